/* Snapshots (see snapshot.h). The compression of RAM runs uses zlib (compress2/uncompress);
 * the checksum is GLib's SHA-256. */
#include "checkpoint/snapshot.h"
#include <sys/stat.h>
#include <string.h>
#include <zlib.h>
#include "core/outfile.h"
#include "core/version.h"
#include "devices/simplefb.h"

#define PAGE 4096u
#define RUN_MAX_PAGES 256u        /* pages per compressed run (1 MiB) */
static const char magic[8] = { 'H', 'V', 'S', 'I', 'M', 'S', 'N', 'P' };
#define BOM 0x01020304u

/* ---- the described parts of a machine, one section each ---------------------------------- */
typedef struct Part {
    char name[64];
    const StateDesc *desc;
    void *obj;
} Part;

/* The machine's own fields, each core's clock and state, every registered object. */
static GArray *machine_parts(Machine *m)
{
    GArray *parts = g_array_new(FALSE, FALSE, sizeof(Part));
    Part p = { "machine", &machine_state_desc, m };
    g_array_append_val(parts, p);
    for (int i = 0; i < m->ncpus; i++) {
        snprintf(p.name, sizeof p.name, "cpu%d.clock", i);
        p.desc = &machine_cpu_state_desc;
        p.obj = &m->cpus[i];
        g_array_append_val(parts, p);
        snprintf(p.name, sizeof p.name, "cpu%d", i);
        p.desc = m->cpus[i].cls->desc;
        p.obj = m->cpus[i].obj;
        g_array_append_val(parts, p);
    }
    for (int i = 0; i < m->nobjects; i++) {
        g_strlcpy(p.name, m->objects[i].name, sizeof p.name);
        p.desc = m->objects[i].desc;
        p.obj = m->objects[i].obj;
        g_array_append_val(parts, p);
    }
    return parts;
}

/* A device as the guest sees it: without `file=` (a copy of the image elsewhere is the same
 * disk: the disk's state holds the image's SHA-256) and `snapshot=` (what happens to the host
 * file at the end of the run). With `file` non-NULL, *file gets the file= value (or NULL). */
static char *device_canonical(const char *spec, char **file)
{
    char **parts = g_strsplit(spec, ",", -1);
    GString *s = g_string_new(parts[0]);
    if (file)
        *file = NULL;
    for (int i = 1; parts[i]; i++) {
        if (g_str_has_prefix(parts[i], "file=") && file)
            *file = g_strdup(parts[i] + 5);
        else if (!g_str_has_prefix(parts[i], "snapshot=") && !g_str_has_prefix(parts[i], "file="))
            g_string_append_printf(s, ",%s", parts[i]);
    }
    g_strfreev(parts);
    return g_string_free(s, FALSE);
}

/* Header lines "deviceN.file=PATH": where a snapshot's disks were, for --restore without
 * -drive options. Not part of the description (a copy of the image elsewhere will do). */
static void append_device_files(GString *s, const MachineConfig *cfg)
{
    for (int i = 0; cfg->devices && cfg->devices[i]; i++) {
        char *file = NULL, *c = device_canonical(cfg->devices[i], &file);
        if (file)
            g_string_append_printf(s, "device%d.file=%s\n", i, file);
        g_free(file);
        g_free(c);
    }
}

/* Optional devices add `deviceN=` lines and a framebuffer a line `framebuffer=simplefb,...`
 * (its -device spelling); a machine without them has no such lines, so descriptions from
 * before they existed still match. */
char *snapshot_describe(const MachineConfig *cfg)
{
    g_autofree char *fb = simplefb_describe(cfg);
    GString *s = g_string_new(NULL);
    g_string_printf(s, "board=%s\ncpu=%s\nram=%llu\nsmp=%d\nvirtualization=%d\n"
                    "gic-version=%d\nquantum=%llu\ncpu-hz=%llu\n",
                    cfg->board ? cfg->board : "virt",
                    cfg->cpu_model ? cfg->cpu_model : "cortex-a57",
                    (unsigned long long)cfg->ram_size, cfg->smp, cfg->virtualization ? 1 : 0,
                    cfg->gic_version, (unsigned long long)cfg->quantum,
                    (unsigned long long)cfg->cpu_hz);
    /* optional devices, in order (their transports follow it): only when there are some, so
     * the description of a machine without them is what it always was */
    /* an ITS is described by its=1; a machine without one, as before ITSs existed, by nothing */
    if (machine_has_its(cfg))
        g_string_append(s, "its=1\n");
    for (int i = 0; cfg->devices && cfg->devices[i]; i++) {
        char *c = device_canonical(cfg->devices[i], NULL);
        g_string_append_printf(s, "device%d=%s\n", i, c);
        g_free(c);
    }
    if (fb)
        g_string_append_printf(s, "framebuffer=%s\n", fb);
    return g_string_free(s, FALSE);
}

/* ---- sections -------------------------------------------------------------------------- */
static void put_section(GByteArray *out, const char *name, const void *data, size_t len)
{
    uint32_t nl = (uint32_t)strlen(name);
    uint64_t l = len;
    g_byte_array_append(out, (const guint8 *)&nl, 4);
    g_byte_array_append(out, (const guint8 *)name, nl);
    g_byte_array_append(out, (const guint8 *)&l, 8);
    if (len)
        g_byte_array_append(out, data, (guint)len);
}

typedef struct Section {
    char name[64];
    const uint8_t *data;
    size_t len;
} Section;

/* Splits buf into sections; false with *err on a malformed one. */
static bool split_sections(const uint8_t *buf, size_t len, GArray *secs, char **err)
{
    size_t p = 0;
    while (p < len) {
        uint32_t nl;
        uint64_t l;
        if (len - p < 4 || (memcpy(&nl, buf + p, 4), nl == 0 || nl >= 64) || len - p - 4 < nl + 8u) {
            *err = g_strdup_printf("malformed section header at byte %zu", p);
            return false;
        }
        Section s;
        memcpy(s.name, buf + p + 4, nl);
        s.name[nl] = 0;
        memcpy(&l, buf + p + 4 + nl, 8);
        p += 4 + nl + 8;
        if (l > len - p) {
            *err = g_strdup_printf("section '%s' is truncated", s.name);
            return false;
        }
        s.data = buf + p;
        s.len = (size_t)l;
        p += (size_t)l;
        g_array_append_val(secs, s);
    }
    return true;
}

static const Section *find_section(GArray *secs, const char *name)
{
    for (guint i = 0; i < secs->len; i++)
        if (!strcmp(g_array_index(secs, Section, i).name, name))
            return &g_array_index(secs, Section, i);
    return NULL;
}

/* ---- memory regions: runs of non-zero pages ------------------------------------------- */
static bool page_zero(const uint8_t *p)
{
    static const uint8_t zero[PAGE];
    return memcmp(p, zero, PAGE) == 0;
}

/* Per run: u64 first page, u32 pages, u32 compressed length, zlib data. */
static void encode_mem(const MachineMem *mm, GByteArray *out)
{
    const uint8_t *d = *mm->data;
    uint64_t npages = mm->size / PAGE;
    uLong cap = compressBound(RUN_MAX_PAGES * PAGE);
    uint8_t *z = g_malloc(cap);
    const uint8_t *t = mm->touched;
    for (uint64_t pg = 0; d && pg < npages;) {
        if ((t && !t[pg]) || page_zero(d + pg * PAGE)) {
            pg++;
            continue;
        }
        uint32_t n = 1;
        while (n < RUN_MAX_PAGES && pg + n < npages && (!t || t[pg + n]) &&
               !page_zero(d + (pg + n) * PAGE))
            n++;
        uLongf zl = cap;
        int rc = compress2(z, &zl, d + pg * PAGE, (uLong)n * PAGE, 1);
        g_assert(rc == Z_OK);
        uint32_t zl32 = (uint32_t)zl;
        g_byte_array_append(out, (const guint8 *)&pg, 8);
        g_byte_array_append(out, (const guint8 *)&n, 4);
        g_byte_array_append(out, (const guint8 *)&zl32, 4);
        g_byte_array_append(out, z, zl32);
        pg += n;
    }
    g_free(z);
}

/* Walks the runs of a memory section; with dst non-NULL decompresses into it, else into a
 * scratch buffer (checking). */
static bool decode_mem(const MachineMem *mm, const Section *s, uint8_t *dst, char **err)
{
    uint8_t *scratch = dst ? NULL : g_malloc(RUN_MAX_PAGES * PAGE);
    uint64_t npages = mm->size / PAGE;
    size_t p = 0;
    bool ok = false;
    while (p < s->len) {
        uint64_t pg;
        uint32_t n, zl;
        if (s->len - p < 16) {
            *err = g_strdup_printf("%s: truncated page run", s->name);
            goto out;
        }
        memcpy(&pg, s->data + p, 8);
        memcpy(&n, s->data + p + 8, 4);
        memcpy(&zl, s->data + p + 12, 4);
        p += 16;
        if (n == 0 || n > RUN_MAX_PAGES || pg >= npages || n > npages - pg || zl > s->len - p) {
            *err = g_strdup_printf("%s: page run %llu+%u lies outside the region or the file",
                                   s->name, (unsigned long long)pg, n);
            goto out;
        }
        uLongf out_len = (uLongf)n * PAGE;
        int rc = uncompress(dst ? dst + pg * PAGE : scratch, &out_len, s->data + p, zl);
        if (dst && mm->touched)
            memset(mm->touched + pg, 1, n);
        if (rc != Z_OK || out_len != (uLongf)n * PAGE) {
            *err = g_strdup_printf("%s: page run at page %llu does not decompress", s->name,
                                   (unsigned long long)pg);
            goto out;
        }
        p += zl;
    }
    ok = true;
out:
    g_free(scratch);
    return ok;
}

/* ---- encode / decode ------------------------------------------------------------------- */
/* Which memory regions an encoding holds: all of them in a file; without `ram` (reverse
 * execution, which keeps RAM itself as per-page versions) those the guest writes besides RAM
 * (disk overlays: the ones with a map of written pages), not the flash, which the loader
 * fills and nothing writes. */
static bool mem_wanted(const Machine *m, int i, bool ram)
{
    return ram || (m->mems[i].data != &m->ram && m->mems[i].touched);
}

static void encode(Machine *m, GByteArray *out, bool mem)
{
    char *desc = snapshot_describe(&m->cfg);
    GString *hdr = g_string_new(NULL);
    g_string_printf(hdr, "format=%d\nhvsim=%s\nicount=%llu\n%s", SNAPSHOT_FORMAT, HVSIM_VERSION,
                    (unsigned long long)machine_icount(m), desc);
    append_device_files(hdr, &m->cfg);
    put_section(out, "header", hdr->str, hdr->len);
    g_string_free(hdr, TRUE);
    g_free(desc);

    GByteArray *b = g_byte_array_new();
    GArray *parts = machine_parts(m);
    for (guint i = 0; i < parts->len; i++) {
        const Part *p = &g_array_index(parts, Part, i);
        g_byte_array_set_size(b, 0);
        state_save(b, p->desc, p->obj);
        put_section(out, p->name, b->data, b->len);
    }
    g_array_free(parts, TRUE);
    /* the cycle model's state (caches, TLBs, predictor, clocks), when it has run: the model's
     * configuration digest leads it, so a restore under another configuration starts cold */
    if (m->timing.sys) {
        g_byte_array_set_size(b, (guint)tm_state_size(m->timing.sys));
        tm_state_save(m->timing.sys, b->data);
        put_section(out, "timing.inorder", b->data, b->len);
    }
    for (int i = 0; i < m->nmems; i++) {
        if (!mem_wanted(m, i, mem))
            continue;
        char name[64];
        snprintf(name, sizeof name, "mem.%s", m->mems[i].name);
        g_byte_array_set_size(b, 0);
        encode_mem(&m->mems[i], b);
        put_section(out, name, b->data, b->len);
    }
    g_byte_array_free(b, TRUE);
}

/* Value of `key` in "key=value" lines, or NULL. */
static char *header_value(const char *text, const char *key)
{
    char **lines = g_strsplit(text, "\n", -1);
    char *v = NULL;
    size_t kl = strlen(key);
    for (char **l = lines; *l && !v; l++)
        if (!strncmp(*l, key, kl) && (*l)[kl] == '=')
            v = g_strdup(*l + kl + 1);
    g_strfreev(lines);
    return v;
}

/* The machine description must match line by line; names the first difference. */
static bool check_description(const char *hdr, const MachineConfig *cfg, char **err)
{
    char *mine = snapshot_describe(cfg);
    char **lines = g_strsplit(mine, "\n", -1);
    bool ok = true;
    for (char **l = lines; *l && **l && ok; l++) {
        char *eq = strchr(*l, '=');
        *eq = 0;
        char *theirs = header_value(hdr, *l);
        if (!theirs || strcmp(theirs, eq + 1)) {
            *err = g_strdup_printf("the snapshot is of another machine: %s=%s in the snapshot, "
                                   "%s here", *l, theirs ? theirs : "(missing)", eq + 1);
            ok = false;
        }
        g_free(theirs);
    }
    char *fb = ok && cfg->fb_format == DISPLAY_FMT_NONE ? header_value(hdr, "framebuffer") : NULL;
    if (fb) {
        *err = g_strdup_printf("the snapshot is of another machine: framebuffer=%s in the "
                               "snapshot, none here", fb);
        ok = false;
        g_free(fb);
    }
    g_strfreev(lines);
    g_free(mine);
    return ok;
}

void snapshot_encode(Machine *m, GByteArray *out)
{
    encode(m, out, true);
}

void snapshot_encode_state(Machine *m, GByteArray *out)
{
    encode(m, out, false);
}

/* Where part p is staged when it lies inside Machine (the machine's own fields, each core's
 * clock): the same place in the copy mstage of m. NULL for a part outside Machine. */
static void *stage_of(const Machine *m, Machine *mstage, const Part *p)
{
    uintptr_t obj = (uintptr_t)p->obj, base = (uintptr_t)m;
    if (obj < base || obj - base >= sizeof *m)
        return NULL;
    return (uint8_t *)mstage + (obj - base);
}

/* The cycle model after a load: its state when the snapshot has one made under the same
 * model and configuration; else (taken under atomic, or another configuration) the model
 * starts cold, and says so once on stderr. */
static void load_timing(Machine *m, const Section *s)
{
    TimingModel *tm = &m->timing;
    if (tm->kind != TIMING_INORDER && !tm->sys)
        return;               /* atomic now: a saved model state waits for nothing */
    if (!tm->sys)
        machine_timing_switch(m, TIMING_INORDER);
    if (s && tm_state_load(tm->sys, s->data, s->len))
        return;
    tm_cold(tm->sys);
    fprintf(stderr, "hvsim: %s: the inorder model starts cold\n",
            s ? "the snapshot's timing state is of another configuration"
              : "the snapshot holds no timing state (taken under atomic)");
}

static int decode(Machine *m, const uint8_t *buf, size_t len, bool mem, char **err)
{
    GArray *secs = g_array_new(FALSE, FALSE, sizeof(Section)), *parts = NULL;
    GPtrArray *staged = NULL;
    Machine *mstage = NULL;
    int rc = EXIT_BAD_SNAPSHOT;
    char *hdr = NULL, *what = NULL;
    if (!split_sections(buf, len, secs, &what))
        goto out;
    const Section *h = find_section(secs, "header");
    if (!h) {
        what = g_strdup("no header section");
        goto out;
    }
    hdr = g_strndup((const char *)h->data, h->len);
    char *fmt = header_value(hdr, "format");
    bool fmt_ok = fmt && atoi(fmt) == SNAPSHOT_FORMAT;
    if (!fmt_ok)
        what = g_strdup_printf("snapshot format %s; this hvsim reads format %d",
                               fmt ? fmt : "(missing)", SNAPSHOT_FORMAT);
    g_free(fmt);
    if (!fmt_ok || !check_description(hdr, &m->cfg, &what))
        goto out;

    /* pass 1: every section present, well formed, and nothing unknown; each part loaded into
     * a staged copy of its object (parts inside Machine into one copy of the machine, so the
     * machine's relations see the staged clocks) and every field's value checked there */
    parts = machine_parts(m);
    staged = g_ptr_array_new_with_free_func(g_free);
    mstage = g_memdup2(m, sizeof *m);
    guint known = 1 + parts->len;   /* header, the parts */
    for (guint i = 0; i < parts->len; i++) {
        const Part *p = &g_array_index(parts, Part, i);
        const Section *s = find_section(secs, p->name);
        if (!s) {
            what = g_strdup_printf("section '%s' missing", p->name);
            goto out;
        }
        void *stage = stage_of(m, mstage, p), *copy = NULL;
        if (!stage)
            stage = copy = g_memdup2(p->obj, p->desc->size);
        g_ptr_array_add(staged, copy);   /* owned copies; NULL: inside the machine's copy */
        char *e = NULL;
        if (!state_load(p->desc, stage, s->data, s->len, &e)) {
            what = g_strdup_printf("%s: %s", p->name, e);
            g_free(e);
            goto out;
        }
    }
    for (guint i = 0; i < parts->len; i++) {
        const Part *p = &g_array_index(parts, Part, i);
        const void *stage = g_ptr_array_index(staged, i);
        if (!stage)
            stage = stage_of(m, mstage, p);
        char *e = NULL;
        if (!state_validate(p->desc, stage, &e)) {
            what = g_strdup_printf("section '%s': %s", p->name, e);
            g_free(e);
            goto out;
        }
    }
    for (int i = 0; i < m->nmems; i++) {
        if (!mem_wanted(m, i, mem))
            continue;
        char name[64];
        snprintf(name, sizeof name, "mem.%s", m->mems[i].name);
        const Section *s = find_section(secs, name);
        if (!s) {
            what = g_strdup_printf("section '%s' missing", name);
            goto out;
        }
        if (!decode_mem(&m->mems[i], s, NULL, &what))
            goto out;
        known++;
    }
    const Section *tsec = find_section(secs, "timing.inorder");
    known += tsec != NULL;
    if (secs->len != known) {
        what = g_strdup_printf("%u sections, %u expected (an unknown or repeated section)",
                               secs->len, known);
        goto out;
    }

    /* pass 2: load (nothing below can fail) */
    while (m->evq.n)
        evq_cancel(&m->evq, m->evq.heap[0]);
    for (guint i = 0; i < parts->len; i++) {
        const Part *p = &g_array_index(parts, Part, i);
        const Section *s = find_section(secs, p->name);
        state_load(p->desc, p->obj, s->data, s->len, &what);
    }
    for (int i = 0; i < m->nmems; i++) {
        if (!mem_wanted(m, i, mem))
            continue;
        MachineMem *mm = &m->mems[i];
        char name[64];
        snprintf(name, sizeof name, "mem.%s", mm->name);
        const Section *s = find_section(secs, name);
        if (*mm->data && mm->touched) {
            /* only written pages can be non-zero: zero those, untouched stay untouched */
            for (uint64_t pg = 0; pg < mm->size / PAGE; pg++)
                if (mm->touched[pg]) {
                    memset(*mm->data + pg * PAGE, 0, PAGE);
                    mm->touched[pg] = 0;
                }
        } else if (*mm->data) {
            memset(*mm->data, 0, mm->size);
        } else if (s->len) {
            *mm->data = g_malloc0(mm->size);
        }
        if (s->len)
            decode_mem(mm, s, *mm->data, &what);
    }
    load_timing(m, tsec);
    memset(m->ram_code, 0, m->ram_size >> 12);   /* every core drops its decoded code */
    for (int i = 0; i < m->ncpus; i++)
        if (m->cpus[i].cls->post_load)
            m->cpus[i].cls->post_load(m->cpus[i].obj);
    for (int i = 0; i < m->nobjects; i++)
        if (m->objects[i].post_load)
            m->objects[i].post_load(m->objects[i].obj, m->now);
    m->stop = false;
    m->paused = false;
    m->at_limit = false;
    m->exit_code = EXIT_OK;
    m->stop_msg[0] = 0;
    rc = 0;
out:
    if (rc)
        *err = what;
    g_free(hdr);
    g_array_free(secs, TRUE);
    if (parts)
        g_array_free(parts, TRUE);
    if (staged)
        g_ptr_array_free(staged, TRUE);
    g_free(mstage);
    return rc;
}

int snapshot_decode(Machine *m, const uint8_t *buf, size_t len, char **err)
{
    return decode(m, buf, len, true, err);
}

int snapshot_decode_state(Machine *m, const uint8_t *buf, size_t len, char **err)
{
    return decode(m, buf, len, false, err);
}

/* ---- files ----------------------------------------------------------------------------- */
static void preamble(GByteArray *out)
{
    uint32_t v = SNAPSHOT_FORMAT, bom = BOM;
    g_byte_array_append(out, (const guint8 *)magic, 8);
    g_byte_array_append(out, (const guint8 *)&v, 4);
    g_byte_array_append(out, (const guint8 *)&bom, 4);
}

static void sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(ck, p, (gssize)n);
    gsize l = 32;
    g_checksum_get_digest(ck, out, &l);
    g_checksum_free(ck);
}

/* EV_SNAPSHOT: the machine was saved to or restored from path (the subscriber cannot pause
 * here: a snapshot is taken or loaded between instructions, outside any run). */
static void publish(Machine *m, const char *path, bool restore)
{
    if (!ev_wants(&m->events, EV_SNAPSHOT))
        return;
    EvInfo e = { .kind = EV_SNAPSHOT, .cpu = -1, .el = -1, .vmid = -1, .time = m->now,
                 .u.snap = { .file = path, .restore = restore } };
    ev_publish(&m->events, &e);
}

int snapshot_save(Machine *m, const char *path, bool force, char **err)
{
    struct stat st;
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        *err = g_strdup_printf("'%s' exists and is not a regular file; not writing a snapshot there", path);
        return -1;
    }
    GByteArray *b = g_byte_array_new();
    preamble(b);
    snapshot_encode(m, b);
    uint8_t digest[32];
    sha256(b->data, b->len, digest);
    put_section(b, "end", digest, 32);
    /* core/outfile: a temporary file linked (or, with force, renamed) into place */
    int rc = outfile_write(path, b->data, b->len, force, err) ? 0 : -1;
    g_byte_array_free(b, TRUE);
    if (rc == 0)
        publish(m, path, false);
    return rc;
}

/* Reads and checks a file's preamble and checksum; on success *body and *body_len give the
 * section stream (without "end"), owned by *file. */
static int read_checked(const char *path, char **file, const uint8_t **body, size_t *body_len,
                        char **err)
{
    gsize len;
    GError *ge = NULL;
    if (!g_file_get_contents(path, file, &len, &ge)) {
        *err = g_strdup_printf("cannot read the snapshot: %s", ge->message);
        g_error_free(ge);
        return EXIT_BAD_SNAPSHOT;
    }
    const uint8_t *p = (const uint8_t *)*file;
    uint32_t v, bom;
    const size_t end_len = 4 + 3 + 8 + 32;
    if (len < 16 || memcmp(p, magic, 8)) {
        *err = g_strdup_printf("%s: not an hvsim snapshot (bad magic)", path);
        goto bad;
    }
    memcpy(&v, p + 8, 4);
    memcpy(&bom, p + 12, 4);
    if (bom != BOM) {
        *err = g_strdup_printf("%s: snapshot written on a host of the other byte order", path);
        goto bad;
    }
    if (v != SNAPSHOT_FORMAT) {
        *err = g_strdup_printf("%s: snapshot format %u; this hvsim reads format %d", path, v,
                               SNAPSHOT_FORMAT);
        goto bad;
    }
    /* the end section's whole header: name length 3, "end", payload length 32 */
    if (len < 16 + end_len || memcmp(p + len - end_len, "\x03\0\0\0end\x20\0\0\0\0\0\0\0", 15)) {
        *err = g_strdup_printf("%s: truncated (no end section)", path);
        goto bad;
    }
    uint8_t digest[32];
    sha256(p, len - end_len, digest);
    if (memcmp(digest, p + len - 32, 32)) {
        *err = g_strdup_printf("%s: checksum mismatch (the file is corrupt)", path);
        goto bad;
    }
    *body = p + 16;
    *body_len = len - 16 - end_len;
    return 0;
bad:
    g_free(*file);
    *file = NULL;
    return EXIT_BAD_SNAPSHOT;
}

int snapshot_load(Machine *m, const char *path, char **err)
{
    char *file = NULL;
    const uint8_t *body;
    size_t len;
    if (read_checked(path, &file, &body, &len, err))
        return EXIT_BAD_SNAPSHOT;
    char *e = NULL;
    int rc = snapshot_decode(m, body, len, &e);
    if (rc) {
        *err = g_strdup_printf("%s: %s", path, e);
        g_free(e);
    } else {
        publish(m, path, true);
    }
    g_free(file);
    return rc;
}

int snapshot_read_config(const char *path, MachineConfig *cfg, char **err)
{
    char *file = NULL;
    const uint8_t *body;
    size_t len;
    if (read_checked(path, &file, &body, &len, err))
        return EXIT_BAD_SNAPSHOT;
    GArray *secs = g_array_new(FALSE, FALSE, sizeof(Section));
    char *e = NULL, *hdr = NULL;
    int rc = EXIT_BAD_SNAPSHOT;
    const Section *h;
    if (!split_sections(body, len, secs, &e) || !(h = find_section(secs, "header"))) {
        *err = g_strdup_printf("%s: %s", path, e ? e : "no header section");
        goto out;
    }
    hdr = g_strndup((const char *)h->data, h->len);
    static const char *const keys[] = { "board", "cpu", "ram", "smp", "virtualization",
                                        "gic-version", "quantum", "cpu-hz" };
    char *v[G_N_ELEMENTS(keys)];
    bool ok = true;
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        v[i] = header_value(hdr, keys[i]);
        if (!v[i] && ok) {
            *err = g_strdup_printf("%s: the machine description lacks '%s'", path, keys[i]);
            ok = false;
        }
    }
    if (ok) {
        g_free(cfg->board);
        cfg->board = g_strdup(v[0]);
        g_free(cfg->cpu_model);
        cfg->cpu_model = g_strdup(v[1]);
        cfg->ram_size = g_ascii_strtoull(v[2], NULL, 10);
        cfg->smp = atoi(v[3]);
        cfg->virtualization = atoi(v[4]) != 0;
        cfg->gic_version = atoi(v[5]);
        cfg->quantum = g_ascii_strtoull(v[6], NULL, 10);
        cfg->cpu_hz = g_ascii_strtoull(v[7], NULL, 10);
        char *its = header_value(hdr, "its");
        cfg->its = its && atoi(its) != 0;
        g_free(its);
        GPtrArray *devs = g_ptr_array_new();
        for (int i = 0;; i++) {
            char key[32];
            snprintf(key, sizeof key, "device%d", i);
            char *d = header_value(hdr, key);
            if (!d)
                break;
            g_strlcat(key, ".file", sizeof key);
            char *where = header_value(hdr, key);
            if (where) {              /* the disk where it was (file= goes second, as -drive) */
                char *comma = strchr(d, ',');
                char *spec = comma ? g_strdup_printf("%.*s,file=%s%s", (int)(comma - d), d, where,
                                                     comma)
                                   : g_strdup_printf("%s,file=%s", d, where);
                g_free(d);
                d = spec;
            }
            g_free(where);
            g_ptr_array_add(devs, d);
        }
        g_strfreev(cfg->devices);
        cfg->devices = NULL;
        if (devs->len) {
            g_ptr_array_add(devs, NULL);
            cfg->devices = (char **)g_ptr_array_free(devs, FALSE);
        } else {
            g_ptr_array_free(devs, TRUE);
        }
        rc = 0;
    }
    char *fb = ok ? header_value(hdr, "framebuffer") : NULL;
    if (fb && simplefb_parse(cfg, fb, &e) < 0) {
        *err = g_strdup_printf("%s: framebuffer=%s: %s", path, fb, e);
        rc = EXIT_BAD_SNAPSHOT;
    }
    g_free(fb);
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
        g_free(v[i]);
out:
    g_free(e);
    g_free(hdr);
    g_array_free(secs, TRUE);
    g_free(file);
    return rc;
}
