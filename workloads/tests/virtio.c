/* virtio-mmio (Virtual I/O Device Specification 1.2, 4.2) on the virt board: the 32
 * transports at 0x0a000000 + 0x200 n, SPI 16 + n, and a driver for each device found there,
 * written from the specification:
 *   block  (5.2): capacity, a read of sector 0, a write of sector 1 read back, FLUSH, GET_ID,
 *                 a read past the end (IOERR);
 *   entropy (5.4): 64 bytes (printed on a line of their own: "rng bytes: ...");
 *   console (5.3): a line written on port 0, then input echoed until a newline.
 * For each: feature negotiation with VIRTIO_F_VERSION_1, the used-buffer interrupt in
 * InterruptStatus and pending at the GIC (edge-triggered), InterruptACK. Without devices it
 * prints that the transports are empty. Runs the same on QEMU with the -device spellings. */
#include <stdbool.h>
#include "lib.h"

#define VIRTIO 0x0a000000ULL
#define GICD 0x08000000ULL
#define QSZ 8

static inline void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline void dmb(void) { __asm__ volatile("dmb sy" ::: "memory"); }

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct vq {
    struct desc desc[QSZ] __attribute__((aligned(16)));
    struct { uint16_t flags, idx, ring[QSZ], used_event; } avail __attribute__((aligned(2)));
    struct { uint16_t flags, idx; struct { uint32_t id, len; } ring[QSZ]; uint16_t ev; }
        used __attribute__((aligned(4096)));
    uint16_t last_used;
};
static struct vq queues[4] __attribute__((aligned(4096)));
static uint8_t buf[3][4096] __attribute__((aligned(4096)));

struct seg { void *p; uint32_t len; bool write; };

static uint64_t base_of(int n) { return VIRTIO + 0x200ULL * (unsigned)n; }

static bool gic_pending(int n)
{
    unsigned id = 32 + 16 + (unsigned)n;
    return (r32(GICD + 0x200 + 4 * (id / 32)) >> (id % 32)) & 1;
}

static void gic_clear(int n)
{
    unsigned id = 32 + 16 + (unsigned)n;
    w32(GICD + 0x280 + 4 * (id / 32), 1u << (id % 32));    /* ICPENDR */
}

/* 3.1.1: reset, ACKNOWLEDGE, DRIVER, features (VERSION_1 and `want` of the low word),
 * FEATURES_OK, queues, DRIVER_OK. */
static bool setup(int n, uint32_t want, int nq, struct vq *qs)
{
    uint64_t b = base_of(n);
    unsigned id = 32 + 16 + (unsigned)n;
    w32(GICD + 0xc00 + 4 * (id / 16), r32(GICD + 0xc00 + 4 * (id / 16)) | 2u << (2 * (id % 16)));
    w32(GICD + 0x70, 0);
    w32(b + 0x70, 1);
    w32(b + 0x70, 1 | 2);
    w32(b + 0x14, 1);
    bool v1 = r32(b + 0x10) & 1;
    w32(b + 0x14, 0);
    uint32_t lo = r32(b + 0x10);
    printf("  features: VERSION_1 %s, wanted 0x%x %s\n", v1 ? "offered" : "missing", want,
           (lo & want) == want ? "offered" : "missing");
    w32(b + 0x24, 0);
    w32(b + 0x20, want);
    w32(b + 0x24, 1);
    w32(b + 0x20, 1);
    w32(b + 0x70, 1 | 2 | 8);
    if (!(r32(b + 0x70) & 8)) {
        printf("  FEATURES_OK not accepted\n");
        return false;
    }
    for (int q = 0; q < nq; q++) {
        struct vq *v = &qs[q];
        memset(v, 0, sizeof *v);
        w32(b + 0x30, (uint32_t)q);
        if (r32(b + 0x34) < QSZ || r32(b + 0x44)) {
            printf("  queue %d: QueueNumMax %u, ready %u\n", q, r32(b + 0x34), r32(b + 0x44));
            return false;
        }
        w32(b + 0x38, QSZ);
        w32(b + 0x80, (uint32_t)(uintptr_t)v->desc);
        w32(b + 0x84, 0);
        w32(b + 0x90, (uint32_t)(uintptr_t)&v->avail);
        w32(b + 0x94, 0);
        w32(b + 0xa0, (uint32_t)(uintptr_t)&v->used);
        w32(b + 0xa4, 0);
        w32(b + 0x44, 1);
    }
    w32(b + 0x70, 1 | 2 | 8 | 4);
    return true;
}

static void post(int n, int q, struct vq *v, const struct seg *s, int ns)
{
    for (int i = 0; i < ns; i++) {
        v->desc[i].addr = (uint64_t)(uintptr_t)s[i].p;
        v->desc[i].len = s[i].len;
        v->desc[i].flags = (uint16_t)((i + 1 < ns ? 1 : 0) | (s[i].write ? 2 : 0));
        v->desc[i].next = (uint16_t)(i + 1);
    }
    v->avail.ring[v->avail.idx % QSZ] = 0;
    dmb();
    v->avail.idx++;
    dmb();
    w32(base_of(n) + 0x50, (uint32_t)q);
}

/* Waits for the used ring to move; returns the used length or -1 after a long wait. */
static long wait_used(struct vq *v)
{
    for (unsigned long i = 0; i < 200000000ul; i++) {
        dmb();
        if (*(volatile uint16_t *)&v->used.idx != v->last_used) {
            long len = v->used.ring[v->last_used % QSZ].len;
            v->last_used++;
            return len;
        }
    }
    return -1;
}

/* After a completion: InterruptStatus, the GIC, then InterruptACK. */
static void check_irq(int n)
{
    uint64_t b = base_of(n);
    unsigned st = r32(b + 0x60);
    bool pend = gic_pending(n);
    w32(b + 0x64, st);
    printf("  interrupt: status bit 0 %u, GIC pending %d, after ACK status %u\n", st & 1, pend,
           r32(b + 0x60));
    gic_clear(n);
}

static uint8_t blk_req(int n, struct vq *v, uint32_t type, uint64_t sector, void *data,
                       uint32_t len, bool write, long *used)
{
    static struct { uint32_t type, reserved; uint64_t sector; } hdr;
    static volatile uint8_t status;
    hdr.type = type;
    hdr.sector = sector;
    status = 0xff;
    struct seg s[3] = { { &hdr, 16, false }, { data, len, write }, { (void *)&status, 1, true } };
    if (len)
        post(n, 0, v, s, 3);
    else
        post(n, 0, v, (struct seg[2]){ s[0], s[2] }, 2);
    *used = wait_used(v);
    return status;
}

static void test_blk(int n)
{
    uint64_t b = base_of(n);
    struct vq *v = &queues[0];
    if (!setup(n, (1u << 6) | (1u << 9), 1, v))      /* BLK_SIZE, FLUSH */
        return;
    uint64_t cap = r32(b + 0x100) | (uint64_t)r32(b + 0x104) << 32;
    printf("  capacity %llu sectors, blk_size %u\n", (unsigned long long)cap, r32(b + 0x114));
    long used;
    uint8_t st = blk_req(n, v, 0, 0, buf[0], 512, true, &used);
    printf("  read sector 0: status %u, used %ld, bytes:", st, used);
    for (int i = 0; i < 16; i++)
        printf(" %02x", buf[0][i]);
    printf("\n");
    check_irq(n);
    for (int i = 0; i < 512; i++)
        buf[1][i] = (uint8_t)(i * 7 + 3);
    st = blk_req(n, v, 1, 1, buf[1], 512, false, &used);
    printf("  write sector 1: status %u, used %ld\n", st, used);
    check_irq(n);
    memset(buf[2], 0, 512);
    st = blk_req(n, v, 0, 1, buf[2], 512, true, &used);
    printf("  read sector 1 back: status %u, %s\n", st,
           memcmp(buf[1], buf[2], 512) ? "differs" : "same bytes");
    check_irq(n);
    st = blk_req(n, v, 4, 0, 0, 0, false, &used);
    printf("  flush: status %u, used %ld\n", st, used);
    check_irq(n);
    st = blk_req(n, v, 8, 0, buf[2], 20, true, &used);
    printf("  get-id: status %u\n", st);
    check_irq(n);
    st = blk_req(n, v, 0, cap, buf[2], 512, true, &used);
    printf("  read past the end: status %u\n", st);
    check_irq(n);
    w32(b + 0x70, 0);
    printf("  reset: status %u, queue 0 ready %u\n", r32(b + 0x70), r32(b + 0x44));
}

static void test_rng(int n)
{
    struct vq *v = &queues[1];
    if (!setup(n, 0, 1, v))
        return;
    memset(buf[0], 0, 64);
    post(n, 0, v, (struct seg[1]){ { buf[0], 64, true } }, 1);
    long used = wait_used(v);
    printf("  request of 64 bytes: used %ld\n", used);
    printf("rng bytes:");
    for (int i = 0; i < 64; i++)
        printf("%s%02x", i % 32 ? "" : " ", buf[0][i]);
    printf("\n");
    check_irq(n);
    w32(base_of(n) + 0x70, 0);
}

static bool memchr_nl(const char *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (s[i] == '\n')
            return true;
    return false;
}

static void test_console(int n)
{
    struct vq *v = &queues[2];               /* receiveq, transmitq */
    if (!setup(n, 0, 2, v))
        return;
    static const char msg[] = "hello from the virtio console\n";
    memcpy(buf[0], msg, sizeof msg - 1);
    post(n, 1, &v[1], (struct seg[1]){ { buf[0], sizeof msg - 1, false } }, 1);
    long used = wait_used(&v[1]);
    printf("  transmit: used %ld\n", used);
    check_irq(n);
    char line[64];
    unsigned got = 0;
    while (got < sizeof line - 1) {
        post(n, 0, &v[0], (struct seg[1]){ { buf[1], 64, true } }, 1);
        long len = wait_used(&v[0]);
        if (len <= 0)
            break;
        memcpy(line + got, buf[1], (unsigned)len < sizeof line - 1 - got ? (unsigned)len : sizeof line - 1 - got);
        got += (unsigned)len;
        w32(base_of(n) + 0x64, r32(base_of(n) + 0x60));
        if (memchr_nl(line, got))
            break;
    }
    line[got < sizeof line ? got : sizeof line - 1] = 0;
    printf("  received: %s", line);
    w32(base_of(n) + 0x70, 0);
}

int main(void)
{
    int found = 0;
    for (int n = 0; n < 32; n++) {
        uint64_t b = base_of(n);
        if (r32(b) != 0x74726976u || r32(b + 4) != 2) {
            printf("transport %d: magic 0x%x version %u\n", n, r32(b), r32(b + 4));
            continue;
        }
        uint32_t id = r32(b + 8);
        if (!id)
            continue;
        found++;
        printf("transport %d (0x%llx, SPI %d): device %u\n", n, (unsigned long long)b, 16 + n, id);
        if (id == 2)
            test_blk(n);
        else if (id == 4)
            test_rng(n);
        else if (id == 3)
            test_console(n);
    }
    printf("virtio-mmio: 32 transports, %d with a device\n", found);
    return 0;
}
