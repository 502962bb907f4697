/* virtio block device (Virtual I/O Device Specification 1.2, 5.2) on a raw image.
 *
 * What happens to the guest's writes (README, "Disks"):
 *  - The image file is only read while the machine runs. A write goes to an overlay of
 *    4 KiB pages (the first write to a page copies it from the file, then modifies it); the
 *    overlay and its page map are machine memories, so snapshots save them, reverse
 *    execution restores them and the state hash covers them.
 *  - At the end of the run (any exit code) the overlay's pages are written back into the
 *    file in place: never truncated, never extended, only bytes the guest wrote to change;
 *    not with snapshot=on (the overlay is dropped) nor readonly=on (writes fail with
 *    VIRTIO_BLK_S_IOERR, and VIRTIO_BLK_F_RO tells the driver). A guest FLUSH completes at
 *    once: the data is already in the machine's state, and writing the file mid-run would
 *    change it under the snapshots and reverse-execution history taken before.
 *  - The state holds the SHA-256 of the image the overlay lies on; a snapshot restored over
 *    another file (say one a later run wrote back into) is refused naming the drive.
 * Requests complete at a deterministic time: the service runs 100 us of simulated time
 * after the notification and completes every request available then. Features: SEG_MAX
 * (a chain of header, up to 62 data buffers and status), BLK_SIZE 512, FLUSH, RO. GET_ID
 * answers the drive's name. */
#include "devices/virtio_blk.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLK_LATENCY_PS (100ULL * 1000 * PS_PER_NS)   /* 100 us per service */
enum {
    VIRTIO_BLK_F_SEG_MAX = 2, VIRTIO_BLK_F_RO = 5, VIRTIO_BLK_F_BLK_SIZE = 6,
    VIRTIO_BLK_F_FLUSH = 9,
};
enum { VIRTIO_BLK_T_IN = 0, VIRTIO_BLK_T_OUT = 1, VIRTIO_BLK_T_FLUSH = 4, VIRTIO_BLK_T_GET_ID = 8 };
enum { VIRTIO_BLK_S_OK = 0, VIRTIO_BLK_S_IOERR = 1, VIRTIO_BLK_S_UNSUPP = 2 };
#define VIRTIO_BLK_ID_BYTES 20

static bool blk_check_state(const void *obj, char **err);
static const StateField virtio_blk_fields[] = {
    STATE_ARRAY(VirtioBlk, image_digest, V_REL),
    STATE_RUNTIME(VirtioBlk, file_digest),
    STATE_RUNTIME(VirtioBlk, t),
    STATE_RUNTIME(VirtioBlk, m),
    STATE_RUNTIME(VirtioBlk, name),
    STATE_RUNTIME(VirtioBlk, map_name),
    STATE_RUNTIME(VirtioBlk, path),
    STATE_RUNTIME(VirtioBlk, fd),
    STATE_RUNTIME(VirtioBlk, readonly),
    STATE_RUNTIME(VirtioBlk, writeback),
    STATE_RUNTIME(VirtioBlk, pad_),
    STATE_RUNTIME(VirtioBlk, size),
    STATE_RUNTIME(VirtioBlk, overlay),
    STATE_RUNTIME(VirtioBlk, map),
    STATE_RUNTIME(VirtioBlk, overlay_touched),
    STATE_RUNTIME(VirtioBlk, map_touched),
};
const StateDesc virtio_blk_state_desc =
    STATE_DESC_CHECKED("virtio-blk", VirtioBlk, virtio_blk_fields, blk_check_state);

/* The overlay of a snapshot only makes sense over the image it was taken over. */
static bool blk_check_state(const void *obj, char **err)
{
    const VirtioBlk *s = obj;
    if (!memcmp(s->image_digest, s->file_digest, sizeof s->image_digest))
        return true;
    *err = g_strdup_printf("image_digest: the snapshot's disk image is not %s as it is now "
                           "(its contents changed since the snapshot)", s->path);
    return false;
}

static uint64_t npages(const VirtioBlk *s)
{
    return (s->size + VIRTIO_BLK_PAGE - 1) / VIRTIO_BLK_PAGE;
}

/* The page map: one byte per disk page, in whole pages of its own. */
static uint64_t map_bytes(const VirtioBlk *s)
{
    return (npages(s) + VIRTIO_BLK_PAGE - 1) / VIRTIO_BLK_PAGE * VIRTIO_BLK_PAGE;
}

/* Bytes [off, off+len) of the image file; false on a host read error. */
static bool file_read(VirtioBlk *s, uint64_t off, uint8_t *buf, size_t len)
{
    while (len) {
        ssize_t n = pread(s->fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        buf += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return true;
}

/* Disk bytes [off, off+len), within one page: from the overlay if it holds the page. */
static bool disk_read(VirtioBlk *s, uint64_t off, uint8_t *buf, size_t len)
{
    uint64_t pg = off / VIRTIO_BLK_PAGE;
    if (s->map && s->map[pg]) {
        memcpy(buf, s->overlay + off, len);
        return true;
    }
    return file_read(s, off, buf, len);
}

/* Makes the overlay hold page pg (a copy of the file's), allocating the memories on first
 * use (zero pages are never touched by the host until then). */
static bool overlay_page(VirtioBlk *s, uint64_t pg)
{
    if (!s->overlay)
        s->overlay = g_malloc0(npages(s) * VIRTIO_BLK_PAGE);
    if (!s->map)
        s->map = g_malloc0(map_bytes(s));
    if (s->map[pg])
        return true;
    uint64_t off = pg * VIRTIO_BLK_PAGE;
    size_t len = s->size - off < VIRTIO_BLK_PAGE ? (size_t)(s->size - off) : VIRTIO_BLK_PAGE;
    if (!file_read(s, off, s->overlay + off, len))
        return false;
    s->map[pg] = 1;
    s->overlay_touched[pg] = 1;
    s->map_touched[pg / VIRTIO_BLK_PAGE] = 1;
    return true;
}

static bool disk_write(VirtioBlk *s, uint64_t off, const uint8_t *buf, size_t len)
{
    uint64_t pg = off / VIRTIO_BLK_PAGE;
    if (!overlay_page(s, pg))
        return false;
    memcpy(s->overlay + off, buf, len);
    s->overlay_touched[pg] = 1;   /* a snapshot restore leaves zero pages untouched */
    return true;
}

/* Moves the data part of a read or write request, page by page, between the disk and the
 * chain (reads fill the writable part before the status byte). */
static uint8_t transfer(VirtioBlk *s, const VirtioReq *r, uint64_t sector, bool write,
                        uint32_t *written)
{
    uint64_t len = write ? r->readable - 16 : r->writable - 1;
    uint64_t off = sector * VIRTIO_BLK_SECTOR;
    if (len % VIRTIO_BLK_SECTOR || sector > s->size / VIRTIO_BLK_SECTOR ||
        len > s->size / VIRTIO_BLK_SECTOR * VIRTIO_BLK_SECTOR - off)
        return VIRTIO_BLK_S_IOERR;
    if (write && s->readonly)
        return VIRTIO_BLK_S_IOERR;
    uint8_t buf[VIRTIO_BLK_PAGE];
    for (uint64_t done = 0; done < len;) {
        uint64_t at = off + done;
        size_t n = VIRTIO_BLK_PAGE - at % VIRTIO_BLK_PAGE;
        if (n > len - done)
            n = (size_t)(len - done);
        if (write) {
            virtio_req_read(s->t, r, 16 + done, buf, n);
            if (!disk_write(s, at, buf, n))
                return VIRTIO_BLK_S_IOERR;
        } else {
            if (!disk_read(s, at, buf, n))
                return VIRTIO_BLK_S_IOERR;
            virtio_req_write(s->t, r, done, buf, n);
            *written += (uint32_t)n;
        }
        done += n;
    }
    return VIRTIO_BLK_S_OK;
}

static void blk_request(VirtioBlk *s, const VirtioReq *r)
{
    uint8_t hdr[16];
    uint32_t written = 0;
    uint8_t status;
    if (r->readable < 16 || r->writable < 1) {
        /* 5.2.6.1: no room for the header or the status: nothing can be said */
        virtio_queue_push(s->t, 0, r, 0);
        return;
    }
    virtio_req_read(s->t, r, 0, hdr, 16);
    uint32_t type;
    uint64_t sector;
    memcpy(&type, hdr, 4);
    memcpy(&sector, hdr + 8, 8);
    switch (type) {
    case VIRTIO_BLK_T_IN:
        status = transfer(s, r, sector, false, &written);
        break;
    case VIRTIO_BLK_T_OUT:
        status = transfer(s, r, sector, true, &written);
        break;
    case VIRTIO_BLK_T_FLUSH:
        status = VIRTIO_BLK_S_OK;     /* see the top of the file */
        break;
    case VIRTIO_BLK_T_GET_ID: {
        char id[VIRTIO_BLK_ID_BYTES] = { 0 };
        memcpy(id, s->name, MIN(strlen(s->name), sizeof id));   /* no NUL when 20 long */
        written = (uint32_t)virtio_req_write(s->t, r, 0, id, MIN(r->writable - 1, sizeof id));
        status = VIRTIO_BLK_S_OK;
        break;
    }
    default:
        status = VIRTIO_BLK_S_UNSUPP;
        break;
    }
    virtio_req_write(s->t, r, r->writable - 1, &status, 1);
    virtio_queue_push(s->t, 0, r, written + 1);
}

static void blk_service(void *dev)
{
    VirtioBlk *s = dev;
    VirtioReq r;
    while (virtio_queue_pop(s->t, 0, &r))
        blk_request(s, &r);
}

/* Configuration space (5.2.4): capacity, size_max (not offered), seg_max, geometry (not
 * offered), blk_size. */
static uint64_t blk_config_read(void *dev, uint64_t off, unsigned size)
{
    VirtioBlk *s = dev;
    uint8_t c[24] = { 0 };
    uint64_t cap = s->size / VIRTIO_BLK_SECTOR;
    uint32_t seg_max = VIRTIO_MAX_SEGS - 2, blk_size = VIRTIO_BLK_SECTOR;
    memcpy(c, &cap, 8);
    memcpy(c + 12, &seg_max, 4);
    memcpy(c + 20, &blk_size, 4);
    uint64_t v = 0;
    if (off < sizeof c && size <= sizeof c - off)
        memcpy(&v, c + off, size);
    return v;
}

static const VirtioDevOps blk_ops = {
    .device_id = VIRTIO_ID_BLOCK,
    .features = (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
                (1ULL << VIRTIO_BLK_F_FLUSH),
    .nqueues = 1,
    .latency = BLK_LATENCY_PS,
    .config_read = blk_config_read,
    .service = blk_service,
};
static const VirtioDevOps blk_ro_ops = {
    .device_id = VIRTIO_ID_BLOCK,
    .features = (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
                (1ULL << VIRTIO_BLK_F_FLUSH) | (1ULL << VIRTIO_BLK_F_RO),
    .nqueues = 1,
    .latency = BLK_LATENCY_PS,
    .config_read = blk_config_read,
    .service = blk_service,
};

/* Opens the image (read-only: the file is written only by virtio_blk_writeback) and takes
 * its SHA-256. */
static bool open_image(VirtioBlk *s, const VirtioBlkConfig *cfg, char **err)
{
    s->fd = open(cfg->file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (s->fd < 0 || fstat(s->fd, &st) < 0) {
        *err = g_strdup_printf("-drive file=%s: %s", cfg->file, g_strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode) || st.st_size < (off_t)VIRTIO_BLK_SECTOR) {
        *err = g_strdup_printf("-drive file=%s: want a regular file of at least 512 bytes "
                               "(a raw disk image)", cfg->file);
        return false;
    }
    /* the file is written back at exit: it must be writable now, not found read-only then */
    if (s->writeback && access(cfg->file, W_OK) != 0) {
        *err = g_strdup_printf("-drive file=%s: not writable (%s); add readonly=on or "
                               "snapshot=on", cfg->file, g_strerror(errno));
        return false;
    }
    s->size = (uint64_t)st.st_size;
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    uint8_t *buf = g_malloc(1 << 20);
    bool ok = true;
    for (uint64_t off = 0; ok && off < s->size;) {
        size_t n = s->size - off < (1u << 20) ? (size_t)(s->size - off) : (1u << 20);
        ok = file_read(s, off, buf, n);
        g_checksum_update(ck, buf, (gssize)n);
        off += n;
    }
    g_free(buf);
    gsize dl = sizeof s->file_digest;
    g_checksum_get_digest(ck, s->file_digest, &dl);
    g_checksum_free(ck);
    if (!ok)
        *err = g_strdup_printf("-drive file=%s: read error: %s", cfg->file, g_strerror(errno));
    memcpy(s->image_digest, s->file_digest, sizeof s->image_digest);
    return ok;
}

VirtioBlk *virtio_blk_new(Machine *m, VirtioMmioBus *b, const char *name,
                          const VirtioBlkConfig *cfg, char **err)
{
    VirtioBlk *s = g_new0(VirtioBlk, 1);
    s->m = m;
    s->fd = -1;
    s->readonly = cfg->readonly;
    s->writeback = !cfg->readonly && !cfg->snapshot;
    s->path = g_strdup(cfg->file);
    s->name = g_strdup(name);
    s->map_name = g_strdup_printf("%s.map", name);
    if (!open_image(s, cfg, err)) {
        virtio_blk_free(s);
        return NULL;
    }
    s->t = virtio_mmio_plug(b, name, s->readonly ? &blk_ro_ops : &blk_ops, s);
    if (!s->t) {
        *err = g_strdup_printf("-drive file=%s: all %d virtio-mmio transports are taken",
                               cfg->file, VIRTIO_MMIO_NUM);
        virtio_blk_free(s);
        return NULL;
    }
    uint64_t np = npages(s);
    s->overlay_touched = g_malloc0(np);
    s->map_touched = g_malloc0(map_bytes(s) / VIRTIO_BLK_PAGE);
    machine_add_memory(m, s->name, 0, np * VIRTIO_BLK_PAGE, &s->overlay);
    m->mems[m->nmems - 1].touched = s->overlay_touched;
    machine_add_memory(m, s->map_name, 0, map_bytes(s), &s->map);
    m->mems[m->nmems - 1].touched = s->map_touched;
    machine_add_object(m, name, &virtio_blk_state_desc, s);
    return s;
}

bool virtio_blk_writeback(VirtioBlk *s, char **err)
{
    if (!s->writeback || !s->map)
        return true;
    int fd = open(s->path, O_WRONLY | O_CLOEXEC);   /* never O_TRUNC, never O_CREAT */
    bool ok = fd >= 0;
    for (uint64_t pg = 0; ok && pg < npages(s); pg++) {
        if (!s->map[pg])
            continue;
        uint64_t off = pg * VIRTIO_BLK_PAGE;
        size_t len = s->size - off < VIRTIO_BLK_PAGE ? (size_t)(s->size - off) : VIRTIO_BLK_PAGE;
        ok = pwrite(fd, s->overlay + off, len, (off_t)off) == (ssize_t)len;
    }
    if (ok)
        ok = fsync(fd) == 0;
    if (!ok)
        *err = g_strdup_printf("-drive file=%s: cannot write the guest's writes back: %s",
                               s->path, g_strerror(errno ? errno : EIO));
    if (fd >= 0 && close(fd) != 0 && ok) {
        *err = g_strdup_printf("-drive file=%s: cannot write the guest's writes back: %s",
                               s->path, g_strerror(errno));
        ok = false;
    }
    return ok;
}

void virtio_blk_free(VirtioBlk *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    g_free(s->overlay);
    g_free(s->map);
    g_free(s->overlay_touched);
    g_free(s->map_touched);
    g_free(s->name);
    g_free(s->map_name);
    g_free(s->path);
    g_free(s);
}
