/* Boot image loading: ELF (libelf), Linux arm64 Image, raw binary, initrd.
 * Every byte goes into RAM through the bus (bus_ram_ptr), so an image that would land
 * outside RAM is refused instead of scribbling anywhere. */
#include "boards/loader.h"
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <sys/stat.h>
#include <libelf.h>
#include <string.h>
#include <zlib.h>

#define ARM64_IMAGE_MAGIC 0x644d5241u     /* "ARM\x64" at offset 0x38 */
#define IMAGE_HDR_SIZE 64
#define IMAGE_BSS_MARGIN (1ULL << 20)      /* image_size 0 (pre-3.17 kernels): room for bss */
#define QEMU_BOOTLOADER_MAX 0x1000ULL      /* QEMU keeps its boot stub below this offset */

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

bool loader_copy(Machine *m, uint64_t pa, const void *data, size_t len)
{
    if (len == 0)
        return bus_find(&m->bus, pa) != NULL;
    uint8_t *host = bus_ram_ptr(&m->bus, pa, len);
    if (!host)
        return false;
    if (data)
        memcpy(host, data, len);
    else
        memset(host, 0, len);
    machine_ram_written(m, pa, len);
    return true;
}

static uint64_t ram_end(const Machine *m)
{
    return m->ram_base + m->ram_size;
}

static bool in_range(uint64_t a, uint64_t len, uint64_t base, uint64_t size)
{
    return a >= base && a + len >= a && a + len <= base + size;
}

static int load_elf(Machine *m, const char *path, const uint8_t *buf, size_t len, LoaderRom *rom,
                    LoadInfo *li, char **err)
{
    if (len < EI_NIDENT || buf[EI_CLASS] != ELFCLASS64) {
        *err = g_strdup_printf("%s: not a 64-bit ELF file", path);
        return -1;
    }
    if (buf[EI_DATA] != ELFDATA2LSB) {
        *err = g_strdup_printf("%s: big-endian ELF (want little-endian AArch64)", path);
        return -1;
    }
    if (len < sizeof(Elf64_Ehdr)) {
        *err = g_strdup_printf("%s: truncated ELF header", path);
        return -1;
    }
    elf_version(EV_CURRENT);
    Elf *e = elf_memory((char *)buf, len);
    GElf_Phdr *ph = NULL;
    int rc = -1;
    Elf64_Ehdr *eh = e ? elf64_getehdr(e) : NULL;
    if (!eh) {
        *err = g_strdup_printf("%s: bad ELF header (%s)", path, elf_errmsg(-1));
        goto out;
    }
    if (eh->e_machine != EM_AARCH64) {
        *err = g_strdup_printf("%s: ELF for machine %u, not AArch64", path, eh->e_machine);
        goto out;
    }
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) {
        *err = g_strdup_printf("%s: ELF type %u is not an executable", path, eh->e_type);
        goto out;
    }
    if (eh->e_phoff > len || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff) {
        *err = g_strdup_printf("%s: truncated ELF (program headers past the end of the file)", path);
        goto out;
    }
    /* the program headers are copied out one by one (gelf_getphdr): e_phoff need not be
     * aligned, and libelf hands out a pointer into the file image when it is not */
    size_t phnum = 0;
    if (elf_getphdrnum(e, &phnum) != 0) {
        *err = g_strdup_printf("%s: bad ELF program headers (%s)", path, elf_errmsg(-1));
        goto out;
    }
    if (phnum > (len - eh->e_phoff) / sizeof(Elf64_Phdr)) {
        *err = g_strdup_printf("%s: truncated ELF (program headers past the end of the file)", path);
        goto out;
    }
    ph = g_new0(GElf_Phdr, phnum ? phnum : 1);
    for (size_t i = 0; i < phnum; i++)
        if (!gelf_getphdr(e, (int)i, &ph[i])) {
            *err = g_strdup_printf("%s: bad ELF program header %zu (%s)", path, i, elf_errmsg(-1));
            goto out;
        }
    li->low = UINT64_MAX;
    li->high = 0;
    int nload = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const GElf_Phdr *p = &ph[i];
        if (p->p_type != PT_LOAD || p->p_memsz == 0)
            continue;
        if (p->p_filesz > p->p_memsz) {
            *err = g_strdup_printf("%s: segment %u has a file size larger than its memory size",
                                   path, i);
            goto out;
        }
        if (p->p_offset > len || p->p_filesz > len - p->p_offset) {
            *err = g_strdup_printf("%s: truncated ELF (segment %u extends past the end of the file)",
                                   path, i);
            goto out;
        }
        if (!in_range(p->p_paddr, p->p_memsz, m->ram_base, m->ram_size) &&
            !(rom && in_range(p->p_paddr, p->p_memsz, rom->base, rom->size))) {
            *err = g_strdup_printf("%s: segment %u at 0x%llx-0x%llx lies outside RAM "
                                   "(0x%llx-0x%llx) and flash", path, i, (unsigned long long)p->p_paddr,
                                   (unsigned long long)(p->p_paddr + p->p_memsz - 1),
                                   (unsigned long long)m->ram_base,
                                   (unsigned long long)(ram_end(m) - 1));
            goto out;
        }
        for (unsigned j = 0; j < i; j++) {
            const GElf_Phdr *q = &ph[j];
            if (q->p_type != PT_LOAD || q->p_memsz == 0)
                continue;
            if (p->p_paddr < q->p_paddr + q->p_memsz && q->p_paddr < p->p_paddr + p->p_memsz) {
                *err = g_strdup_printf("%s: segments %u and %u overlap at 0x%llx", path, j, i,
                                       (unsigned long long)(p->p_paddr > q->p_paddr ? p->p_paddr
                                                                                   : q->p_paddr));
                goto out;
            }
        }
        nload++;
    }
    if (!nload) {
        *err = g_strdup_printf("%s: ELF has no loadable segment", path);
        goto out;
    }
    if (!in_range(eh->e_entry, 4, m->ram_base, m->ram_size)) {
        /* instructions are fetched from RAM only (flash holds data, not code, for now) */
        *err = g_strdup_printf("%s: entry point 0x%llx is not in RAM (0x%llx-0x%llx)", path,
                               (unsigned long long)eh->e_entry, (unsigned long long)m->ram_base,
                               (unsigned long long)(ram_end(m) - 1));
        goto out;
    }
    for (unsigned i = 0; i < phnum; i++) {
        const GElf_Phdr *p = &ph[i];
        if (p->p_type != PT_LOAD || p->p_memsz == 0)
            continue;
        if (!in_range(p->p_paddr, p->p_memsz, m->ram_base, m->ram_size)) {
            /* flash: zero-filled on allocation, so only the file bytes need copying */
            if (!rom->data)
                rom->data = g_malloc0(rom->size);
            memcpy(rom->data + (p->p_paddr - rom->base), buf + p->p_offset, p->p_filesz);
            continue;
        }
        loader_copy(m, p->p_paddr, buf + p->p_offset, p->p_filesz);
        loader_copy(m, p->p_paddr + p->p_filesz, NULL, p->p_memsz - p->p_filesz);
        if (p->p_paddr < li->low)
            li->low = p->p_paddr;
        if (p->p_paddr + p->p_memsz > li->high)
            li->high = p->p_paddr + p->p_memsz;
    }
    if (li->low == UINT64_MAX)    /* nothing in RAM */
        li->low = li->high = m->ram_base;
    li->kind = KERNEL_ELF;
    li->entry = eh->e_entry;
    rc = 0;
out:
    g_free(ph);
    if (e)
        elf_end(e);
    return rc;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Linux arm64 Image (Documentation/arch/arm64/booting.rst). Placement follows QEMU's
 * load_aarch64_image(): text_offset counts only when image_size is non-zero (else 0x80000),
 * and an offset below QEMU's boot stub is moved up by 2 MiB, so images land at the same
 * addresses on both simulators. */
static int load_image(Machine *m, const char *path, const uint8_t *buf, size_t len, LoadInfo *li,
                      char **err)
{
    if (len < IMAGE_HDR_SIZE) {
        *err = g_strdup_printf("%s: truncated arm64 Image (%zu bytes, header needs %d)", path, len,
                               IMAGE_HDR_SIZE);
        return -1;
    }
    uint64_t text_offset = le64(buf + 8), image_size = le64(buf + 16);
    uint64_t off = LOADER_RAW_OFFSET, span;
    if (image_size) {
        off = text_offset;
        if (off < QEMU_BOOTLOADER_MAX)
            off += LOADER_IMAGE_ALIGN;
        if (len > image_size) {
            *err = g_strdup_printf("%s: arm64 Image is %zu bytes but its header says image_size "
                                   "%llu (truncated or corrupt header)", path, len,
                                   (unsigned long long)image_size);
            return -1;
        }
        span = image_size;
    } else {
        span = len + IMAGE_BSS_MARGIN;
    }
    uint64_t base = align_up(m->ram_base, LOADER_IMAGE_ALIGN);
    uint64_t load = base + off;
    if (off >= m->ram_size || load + span > ram_end(m) || load + span < load) {
        *err = g_strdup_printf("%s: arm64 Image needs 0x%llx bytes at 0x%llx, past the end of "
                               "RAM (0x%llx); use a larger -m", path, (unsigned long long)span,
                               (unsigned long long)load, (unsigned long long)ram_end(m));
        return -1;
    }
    loader_copy(m, load, buf, len);
    li->kind = KERNEL_IMAGE;
    li->entry = load;
    li->low = load;
    li->high = load + span;
    return 0;
}

static int load_raw(Machine *m, const char *path, const uint8_t *buf, size_t len, LoadInfo *li,
                    char **err)
{
    uint64_t load = m->ram_base + LOADER_RAW_OFFSET;
    if (len == 0) {
        *err = g_strdup_printf("%s: empty kernel file", path);
        return -1;
    }
    if (LOADER_RAW_OFFSET >= m->ram_size || len > m->ram_size - LOADER_RAW_OFFSET) {
        *err = g_strdup_printf("%s: %zu-byte image does not fit in RAM at 0x%llx; use a larger -m",
                               path, len, (unsigned long long)load);
        return -1;
    }
    loader_copy(m, load, buf, len);
    li->kind = KERNEL_RAW;
    li->entry = load;
    li->low = load;
    li->high = load + len;
    return 0;
}

#define GUNZIP_MAX (256ULL << 20)   /* largest decompressed Image accepted */

/* Decompresses a gzip file (Image.gz) into a new buffer; NULL if it is not valid gzip. */
static uint8_t *gunzip(const uint8_t *in, size_t len, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (len > GUNZIP_MAX)     /* also keeps len within zlib's uInt */
        return NULL;
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return NULL;
    size_t cap = len * 4 + 4096, n = 0;
    uint8_t *out = g_malloc(cap);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    int r;
    do {
        if (n == cap) {
            if (cap >= GUNZIP_MAX)
                break;
            cap = cap * 2 > GUNZIP_MAX ? GUNZIP_MAX : cap * 2;
            out = g_realloc(out, cap);
        }
        z.next_out = out + n;
        z.avail_out = (uInt)(cap - n);
        r = inflate(&z, Z_NO_FLUSH);
        n = cap - z.avail_out;
    } while (r == Z_OK);
    inflateEnd(&z);
    if (r != Z_STREAM_END) {
        g_free(out);
        return NULL;
    }
    *out_len = n;
    return out;
}

static bool is_image(const uint8_t *b, size_t len)
{
    return len >= 0x3c && b[0x38] == 'A' && b[0x39] == 'R' && b[0x3a] == 'M' && b[0x3b] == 0x64;
}

#define KERNEL_FILE_MAX (4ULL << 30)   /* an ELF file may hold much besides its segments */

/* Reads a whole input file (`what`: "kernel", "initrd"). A regular file larger than max is
 * refused before it is read (*too_big set); so is anything else (a pipe, /dev/zero) that
 * gives more than max bytes. */
static bool read_input(const char *path, const char *what, uint64_t max, gchar **buf, gsize *len,
                       bool *too_big, char **err)
{
    struct stat st;
    *too_big = false;
    *buf = NULL;
    *len = 0;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        FILE *f = fopen(path, "rb");
        if (!f) {
            *err = g_strdup_printf("cannot read %s: %s: %s", what, path, g_strerror(errno));
            return false;
        }
        GByteArray *b = g_byte_array_new();
        uint8_t chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b->len <= max)
            g_byte_array_append(b, chunk, (guint)n);
        bool bad = ferror(f);
        fclose(f);
        if (bad || b->len > max) {
            *too_big = !bad;
            *len = b->len;
            if (bad)
                *err = g_strdup_printf("cannot read %s: %s: read error", what, path);
            g_byte_array_free(b, TRUE);
            return false;
        }
        *len = b->len;
        *buf = (gchar *)g_byte_array_free(b, FALSE);
        return true;
    }
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
        *too_big = true;
        *len = (gsize)st.st_size;
        return false;
    }
    GError *ge = NULL;
    if (!g_file_get_contents(path, buf, len, &ge)) {
        *err = g_strdup_printf("cannot read %s: %s", what, ge->message);
        g_error_free(ge);
        return false;
    }
    return true;
}

int loader_load_kernel(Machine *m, const char *path, LoaderRom *rom, LoadInfo *li, char **err)
{
    gchar *buf = NULL;
    gsize len = 0;
    bool too_big;
    memset(li, 0, sizeof *li);
    /* a regular file may be an ELF file with debug information larger than RAM; anything
     * else is read only as far as it could fit */
    uint64_t max = KERNEL_FILE_MAX;
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        max = m->ram_size;
    if (!read_input(path, "kernel", max, &buf, &len, &too_big, err)) {
        if (too_big)
            *err = g_strdup_printf("%s: kernel file is larger than %llu bytes (RAM is %llu bytes)",
                                   path, (unsigned long long)max, (unsigned long long)m->ram_size);
        return -1;
    }
    const uint8_t *b = (const uint8_t *)buf;
    int rc;
    if (len >= 4 && !memcmp(b, ELFMAG, SELFMAG))
        rc = load_elf(m, path, b, len, rom, li, err);
    else if (is_image(b, len))
        rc = load_image(m, path, b, len, li, err);
    else {
        /* a gzip-compressed Image (Image.gz) is unpacked, as QEMU does; other gzip files
         * are loaded raw like any other file */
        size_t ulen = 0;
        uint8_t *u = len >= 2 && b[0] == 0x1f && b[1] == 0x8b ? gunzip(b, len, &ulen) : NULL;
        if (u && is_image(u, ulen))
            rc = load_image(m, path, u, ulen, li, err);
        else
            rc = load_raw(m, path, b, len, li, err);
        g_free(u);
    }
    g_free(buf);
    return rc;
}

int loader_load_initrd(Machine *m, const char *path, LoadInfo *li, char **err)
{
    uint64_t half = m->ram_size / 2, max = 128ULL << 20;
    uint64_t start = m->ram_base + (half < max ? half : max);
    if (li->high > start)
        start = li->high;
    start = align_up(start, 4096);
    li->initrd_start = start;
    li->initrd_size = 0;
    if (!path)
        return 0;
    gchar *buf = NULL;
    gsize len = 0;
    bool too_big;
    uint64_t room = start < ram_end(m) ? ram_end(m) - start : 0;
    if (!read_input(path, "initrd", room, &buf, &len, &too_big, err) && !too_big)
        return -1;
    if (too_big || len > room) {
        /* (for a pipe or device, len is what was read before giving up) */
        *err = g_strdup_printf("%s: %zu-byte initrd does not fit in RAM at 0x%llx (%llu bytes "
                               "left); use a larger -m", path, (size_t)len,
                               (unsigned long long)start, (unsigned long long)room);
        g_free(buf);
        return -1;
    }
    loader_copy(m, start, buf, len);
    li->initrd_size = len;
    g_free(buf);
    return 0;
}

int loader_load_at(Machine *m, const char *path, const char *what, uint64_t pa, uint64_t *size,
                   char **err)
{
    gchar *buf = NULL;
    gsize len = 0;
    bool too_big;
    if (!read_input(path, what, m->ram_size, &buf, &len, &too_big, err)) {
        if (too_big)
            *err = g_strdup_printf("%s: %s file is larger than RAM (%llu bytes)", path, what,
                                   (unsigned long long)m->ram_size);
        return -1;
    }
    int rc = -1;
    if (len == 0)
        *err = g_strdup_printf("%s: empty %s file", path, what);
    else if (!in_range(pa, len, m->ram_base, m->ram_size))
        *err = g_strdup_printf("%s: the %zu-byte %s at 0x%llx does not lie wholly in RAM "
                               "(0x%llx-0x%llx)", path, (size_t)len, what, (unsigned long long)pa,
                               (unsigned long long)m->ram_base,
                               (unsigned long long)(ram_end(m) - 1));
    else {
        loader_copy(m, pa, buf, len);
        *size = len;
        rc = 0;
    }
    g_free(buf);
    return rc;
}
