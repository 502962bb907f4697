/* The PC board's kernel loaders.
 *
 * Multiboot v1 (the Multiboot Specification 0.6.96, with QEMU hw/i386/multiboot.c's
 * choices): the header is the first 4-byte-aligned magic in the first 8 KiB whose checksum
 * holds. With flag 16 (the a.out kludge) the header's addresses say what to load; otherwise
 * the file must be ELF (32- or 64-bit: QEMU takes ELF32 only, hvsim takes both), whose
 * PT_LOAD segments go to their physical addresses, the entry translated to physical when it
 * lies in a segment linked elsewhere. Modules (-initrd "FILE ARGS,FILE2 ...": a module's
 * command line is its whole text, as on QEMU) follow the kernel page-aligned, then the
 * information structure with the command line (kernel path, a space, -append), the
 * bootloader name "hvsim", the module list and the memory map. Flags: mem_lower/upper,
 * boot device (0x8000ffff as QEMU), cmdline, modules, mmap, bootloader name.
 *
 * A plain ELF64 (EM_X86_64, no Multiboot header): PT_LOADs at their physical addresses and
 * identity page tables for the first 4 GiB with 2 MiB pages after the image; the core
 * starts in 64-bit mode at e_entry. For programs linked at their physical addresses. */
#include "boards/multiboot.h"
#include "boards/bzimage.h"
#include <elf.h>
#include <string.h>
#include "boards/loader.h"

#define PAGE 4096ULL
#define MB_FLAG_AOUT (1u << 16)
#define MB_INFO_SIZE 120

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

/* The range [lo, hi) is RAM and clear of the range the board keeps. */
static bool placeable(Machine *m, uint64_t lo, uint64_t hi, uint64_t alo, uint64_t ahi)
{
    return hi >= lo && hi <= m->ram_base + m->ram_size && lo >= m->ram_base &&
           (hi <= alo || lo >= ahi);
}

/* Offset of a valid Multiboot header in the first 8 KiB, or -1. */
static long find_header(const uint8_t *buf, size_t len)
{
    for (size_t off = 0; off + 12 <= len && off < MULTIBOOT_SEARCH; off += 4)
        if (rd32(buf + off) == MULTIBOOT_MAGIC &&
            (uint32_t)(rd32(buf + off) + rd32(buf + off + 4) + rd32(buf + off + 8)) == 0)
            return (long)off;
    return -1;
}

typedef struct Seg {
    uint64_t paddr, vaddr, filesz, memsz, offset;
} Seg;

/* The PT_LOAD segments of an ELF32 or ELF64 x86 file; false with *err on a bad file. */
static bool elf_segments(const char *path, const uint8_t *buf, size_t len, bool want64,
                         Seg **segs, int *nseg, uint64_t *entry, char **err)
{
    if (len < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG)) {
        *err = g_strdup_printf("%s: not an ELF file", path);
        return false;
    }
    bool is64 = buf[EI_CLASS] == ELFCLASS64;
    if ((!is64 && buf[EI_CLASS] != ELFCLASS32) || buf[EI_DATA] != ELFDATA2LSB) {
        *err = g_strdup_printf("%s: not a little-endian 32- or 64-bit ELF file", path);
        return false;
    }
    if (want64 && !is64) {
        *err = g_strdup_printf("%s: a 32-bit ELF without a Multiboot header", path);
        return false;
    }
    uint64_t phoff, phentsize, phnum;
    unsigned machine;
    if (is64) {
        Elf64_Ehdr eh;
        if (len < sizeof eh)
            goto truncated;
        memcpy(&eh, buf, sizeof eh);
        machine = eh.e_machine;
        *entry = eh.e_entry;
        phoff = eh.e_phoff, phentsize = eh.e_phentsize, phnum = eh.e_phnum;
        if (phentsize < sizeof(Elf64_Phdr))
            goto bad_ph;
    } else {
        Elf32_Ehdr eh;
        if (len < sizeof eh)
            goto truncated;
        memcpy(&eh, buf, sizeof eh);
        machine = eh.e_machine;
        *entry = eh.e_entry;
        phoff = eh.e_phoff, phentsize = eh.e_phentsize, phnum = eh.e_phnum;
        if (phentsize < sizeof(Elf32_Phdr))
            goto bad_ph;
    }
    if (machine != (is64 ? EM_X86_64 : EM_386)) {
        *err = g_strdup_printf("%s: ELF for machine %u, not %s", path, machine,
                               is64 ? "x86-64" : "i386");
        return false;
    }
    if (phoff > len || phnum * phentsize > len - phoff)
        goto bad_ph;
    *segs = g_new0(Seg, phnum ? phnum : 1);
    *nseg = 0;
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *p = buf + phoff + i * phentsize;
        Seg s;
        uint32_t type;
        if (is64) {
            Elf64_Phdr ph;
            memcpy(&ph, p, sizeof ph);
            type = ph.p_type;
            s = (Seg){ ph.p_paddr, ph.p_vaddr, ph.p_filesz, ph.p_memsz, ph.p_offset };
        } else {
            Elf32_Phdr ph;
            memcpy(&ph, p, sizeof ph);
            type = ph.p_type;
            s = (Seg){ ph.p_paddr, ph.p_vaddr, ph.p_filesz, ph.p_memsz, ph.p_offset };
        }
        if (type != PT_LOAD || s.memsz == 0)
            continue;
        if (s.filesz > s.memsz || s.offset > len || s.filesz > len - s.offset) {
            *err = g_strdup_printf("%s: segment %llu lies outside the file", path,
                                   (unsigned long long)i);
            g_free(*segs);
            return false;
        }
        (*segs)[(*nseg)++] = s;
    }
    if (!*nseg) {
        *err = g_strdup_printf("%s: no loadable segment", path);
        g_free(*segs);
        return false;
    }
    return true;
truncated:
    *err = g_strdup_printf("%s: truncated ELF header", path);
    return false;
bad_ph:
    *err = g_strdup_printf("%s: bad program header table", path);
    return false;
}

static int load_elf(Machine *m, const char *path, const uint8_t *buf, size_t len, bool want64,
                    uint64_t alo, uint64_t ahi, PcLoad *out, char **err)
{
    Seg *segs;
    int n;
    uint64_t entry;
    if (!elf_segments(path, buf, len, want64, &segs, &n, &entry, err))
        return -1;
    out->low = UINT64_MAX;
    out->high = 0;
    for (int i = 0; i < n; i++) {
        Seg *s = &segs[i];
        if (s->paddr + s->memsz < s->paddr ||
            !placeable(m, s->paddr, s->paddr + s->memsz, alo, ahi)) {
            *err = g_strdup_printf("%s: segment at 0x%llx-0x%llx is outside RAM (0-0x%llx) or "
                                   "in the BIOS area (0x%llx-0x%llx)", path,
                                   (unsigned long long)s->paddr,
                                   (unsigned long long)(s->paddr + s->memsz),
                                   (unsigned long long)(m->ram_base + m->ram_size),
                                   (unsigned long long)alo, (unsigned long long)ahi);
            g_free(segs);
            return -1;
        }
        loader_copy(m, s->paddr, buf + s->offset, s->filesz);
        loader_copy(m, s->paddr + s->filesz, NULL, s->memsz - s->filesz);
        if (s->paddr < out->low)
            out->low = s->paddr;
        if (s->paddr + s->memsz > out->high)
            out->high = s->paddr + s->memsz;
        /* an entry inside a segment linked at another address: its physical address */
        if (entry >= s->vaddr && entry - s->vaddr < s->memsz && s->vaddr != s->paddr)
            entry = entry - s->vaddr + s->paddr;
    }
    out->entry = entry;
    g_free(segs);
    return 0;
}

/* The a.out kludge: the header's load_addr, load_end_addr, bss_end_addr and entry_addr. */
static int load_aout(Machine *m, const char *path, const uint8_t *buf, size_t len, long hoff,
                     uint64_t alo, uint64_t ahi, PcLoad *out, char **err)
{
    if ((size_t)hoff + 32 > len) {
        *err = g_strdup_printf("%s: truncated Multiboot header", path);
        return -1;
    }
    const uint8_t *h = buf + hoff;
    uint32_t header_addr = rd32(h + 12), load_addr = rd32(h + 16), load_end = rd32(h + 20);
    uint32_t bss_end = rd32(h + 24), entry = rd32(h + 28);
    if (header_addr < load_addr || (uint64_t)(header_addr - load_addr) > (uint64_t)hoff) {
        *err = g_strdup_printf("%s: Multiboot header addresses do not fit the file", path);
        return -1;
    }
    uint64_t foff = (uint64_t)hoff - (header_addr - load_addr);
    uint64_t size = load_end ? (uint64_t)load_end - load_addr : len - foff;
    if (load_end && load_end < load_addr) {
        *err = g_strdup_printf("%s: Multiboot load_end_addr below load_addr", path);
        return -1;
    }
    if (size > len - foff)
        size = len - foff;    /* as QEMU: what the file has */
    uint64_t end = bss_end > load_addr + size ? bss_end : load_addr + size;
    if (!placeable(m, load_addr, end, alo, ahi)) {
        *err = g_strdup_printf("%s: image at 0x%x-0x%llx is outside RAM or in the BIOS area",
                               path, load_addr, (unsigned long long)end);
        return -1;
    }
    loader_copy(m, load_addr, buf + foff, size);
    loader_copy(m, load_addr + size, NULL, end - load_addr - size);
    out->low = load_addr;
    out->high = end;
    out->entry = entry;
    return 0;
}

/* Multiboot modules and the information structure, from out->high up. */
static int place_multiboot_info(Machine *m, const E820Entry *map, int nmap, uint64_t alo,
                                uint64_t ahi, PcLoad *out, char **err)
{
    const MachineConfig *cfg = &m->cfg;
    uint64_t at = align_up(out->high, PAGE);
    uint32_t mods[MULTIBOOT_MAX_MODULES][2];
    char **specs = cfg->initrd ? g_strsplit(cfg->initrd, ",", -1) : g_new0(char *, 1);
    int nmods = 0;
    int rc = -1;
    for (int i = 0; specs[i]; i++) {
        if (nmods == MULTIBOOT_MAX_MODULES) {
            *err = g_strdup_printf("-initrd: more than %d modules", MULTIBOOT_MAX_MODULES);
            goto out;
        }
        char *file = g_strndup(specs[i], strcspn(specs[i], " "));
        gchar *data = NULL;
        gsize len = 0;
        GError *ge = NULL;
        if (!g_file_get_contents(file, &data, &len, &ge)) {
            *err = g_strdup_printf("-initrd %s: %s", file, ge->message);
            g_error_free(ge);
            g_free(file);
            goto out;
        }
        g_free(file);
        if (at + len > UINT32_MAX || !placeable(m, at, at + len, alo, ahi)) {
            *err = g_strdup_printf("-initrd %s: %zu bytes do not fit in RAM at 0x%llx; use a "
                                   "larger -m", specs[i], (size_t)len, (unsigned long long)at);
            g_free(data);
            goto out;
        }
        loader_copy(m, at, data, len);
        g_free(data);
        mods[nmods][0] = (uint32_t)at;
        mods[nmods][1] = (uint32_t)(at + len);
        nmods++;
        at = align_up(at + len, PAGE);
    }
    /* the information area: info, module list, mmap, strings */
    GByteArray *strs = g_byte_array_new();
    uint32_t info = (uint32_t)at;
    uint32_t mod_list = info + MB_INFO_SIZE;
    uint32_t mmap = mod_list + 16 * (uint32_t)nmods;
    uint32_t mmap_len = 24 * (uint32_t)nmap;
    uint32_t str_base = mmap + mmap_len;
    uint32_t total;
    /* QEMU's: the file name and a space, then -append (the space even without it) */
    char *cmdline = g_strdup_printf("%s %s", cfg->kernel, cfg->append ? cfg->append : "");
    uint32_t cmd_at = str_base;
    g_byte_array_append(strs, (const guint8 *)cmdline, (guint)strlen(cmdline) + 1);
    g_free(cmdline);
    uint32_t name_at = str_base + strs->len;
    g_byte_array_append(strs, (const guint8 *)"hvsim", 6);
    uint32_t mod_str[MULTIBOOT_MAX_MODULES];
    for (int i = 0; i < nmods; i++) {
        mod_str[i] = str_base + strs->len;
        g_byte_array_append(strs, (const guint8 *)specs[i], (guint)strlen(specs[i]) + 1);
    }
    total = str_base + strs->len - info;
    uint8_t *area = g_malloc0(total);
    uint8_t *ib = area;
    uint64_t low_kb = 0, upper_kb = 0;
    for (int i = 0; i < nmap; i++)
        if (map[i].type == E820_RAM) {
            if (map[i].base == 0)
                low_kb = map[i].len / 1024;
            else if (map[i].base == 0x100000)
                upper_kb = map[i].len / 1024;
        }
    wr32(ib + 0, (1u << 0) | (1u << 1) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9));
    wr32(ib + 4, (uint32_t)low_kb);
    wr32(ib + 8, (uint32_t)upper_kb);
    wr32(ib + 12, 0x8000ffffu);
    wr32(ib + 16, cmd_at);
    wr32(ib + 20, (uint32_t)nmods);
    wr32(ib + 24, mod_list);
    wr32(ib + 44, mmap_len);
    wr32(ib + 48, mmap);
    wr32(ib + 64, name_at);
    for (int i = 0; i < nmods; i++) {
        uint8_t *e = area + (mod_list - info) + 16 * i;
        wr32(e, mods[i][0]);
        wr32(e + 4, mods[i][1]);
        wr32(e + 8, mod_str[i]);
    }
    for (int i = 0; i < nmap; i++) {
        uint8_t *e = area + (mmap - info) + 24 * i;
        wr32(e, 20);          /* size of the entry after this field */
        wr64(e + 4, map[i].base);
        wr64(e + 12, map[i].len);
        wr32(e + 20, map[i].type);
    }
    memcpy(area + (str_base - info), strs->data, strs->len);
    g_byte_array_free(strs, TRUE);
    if ((uint64_t)info + total > UINT32_MAX || !placeable(m, info, info + total, alo, ahi)) {
        *err = g_strdup_printf("%s: no room in RAM for the Multiboot information at 0x%x",
                               cfg->kernel, info);
        g_free(area);
        goto out;
    }
    loader_copy(m, info, area, total);
    g_free(area);
    out->info = info;
    out->nmods = (uint32_t)nmods;
    out->end = align_up((uint64_t)info + total, PAGE);
    rc = 0;
out:
    g_strfreev(specs);
    return rc;
}

/* Where a bzImage's boot data go: low RAM below the EBDA, away from the BIOS area. */
#define BZ_ZERO_PAGE 0x7000ULL
#define BZ_TABLES 0x10000ULL          /* 6 pages of identity tables */
#define BZ_CMDLINE 0x20000ULL

/* Identity page tables for the first 4 GiB (2 MiB pages) at out->end. */
static int identity_tables(Machine *m, uint64_t alo, uint64_t ahi, PcLoad *out, char **err)
{
    uint64_t at = align_up(out->end, PAGE);
    if (!placeable(m, at, at + 6 * PAGE, alo, ahi)) {
        *err = g_strdup_printf("%s: no room in RAM for the page tables after the image",
                               m->cfg.kernel);
        return -1;
    }
    uint8_t *t = g_malloc0(6 * PAGE);
    const uint64_t P = 1, RW = 2, PS = 0x80;
    wr64(t, (at + PAGE) | P | RW);                        /* PML4[0] -> PDPT */
    for (int i = 0; i < 4; i++) {
        wr64(t + PAGE + 8 * i, (at + (2 + i) * PAGE) | P | RW);   /* PDPT[i] -> PD i */
        for (int j = 0; j < 512; j++)
            wr64(t + (2 + i) * PAGE + 8 * j,
                 ((uint64_t)i << 30) | ((uint64_t)j << 21) | P | RW | PS);
    }
    loader_copy(m, at, t, 6 * PAGE);
    g_free(t);
    out->cr3 = at;
    out->end = at + 6 * PAGE;
    return 0;
}

int pc_load_kernel(Machine *m, const E820Entry *map, int nmap, uint64_t alo, uint64_t ahi,
                   PcLoad *out, char **err)
{
    const char *path = m->cfg.kernel;
    gchar *buf = NULL;
    gsize len = 0;
    GError *ge = NULL;
    memset(out, 0, sizeof *out);
    if (!g_file_get_contents(path, &buf, &len, &ge)) {
        *err = g_strdup_printf("%s: %s", path, ge->message);
        g_error_free(ge);
        return -1;
    }
    int rc;
    long hoff = find_header((const uint8_t *)buf, len);
    if (hoff >= 0) {
        uint32_t flags = rd32((const uint8_t *)buf + hoff + 4);
        out->multiboot = true;
        rc = (flags & MB_FLAG_AOUT)
                 ? load_aout(m, path, (const uint8_t *)buf, len, hoff, alo, ahi, out, err)
                 : load_elf(m, path, (const uint8_t *)buf, len, false, alo, ahi, out, err);
        if (rc == 0 && out->entry > UINT32_MAX) {
            *err = g_strdup_printf("%s: Multiboot entry 0x%llx is above 4 GiB", path,
                                   (unsigned long long)out->entry);
            rc = -1;
        }
        if (rc == 0)
            rc = place_multiboot_info(m, map, nmap, alo, ahi, out, err);
    } else if (bzimage_probe((const uint8_t *)buf, len)) {
        /* Linux: the zero page, command line and page tables in low memory (below the
         * EBDA), the kernel at its preferred address, the initrd high */
        BzImageParams bp = { .cmdline = m->cfg.append, .initrd = m->cfg.initrd,
                             .zero_page = BZ_ZERO_PAGE, .cmdline_addr = BZ_CMDLINE,
                             .e820 = map, .ne820 = (unsigned)nmap };
        BzImageLoad bl;
        rc = bzimage_load_buf(m, (const uint8_t *)buf, len, &bp, &bl, err);
        if (rc < 0) {
            char *e = g_strdup_printf("%s: %s", path, *err);
            g_free(*err);
            *err = e;
        } else {
            out->bzimage = true;
            out->entry = bl.entry64;
            out->boot_params = bl.boot_params;
            out->low = bl.kernel_start;
            out->high = bl.kernel_end;
            out->end = BZ_TABLES;
            rc = identity_tables(m, alo, ahi, out, err);
            out->end = MAX(bl.kernel_end, bl.initrd_start + bl.initrd_size);
        }
    } else if (len >= SELFMAG && !memcmp(buf, ELFMAG, SELFMAG)) {
        if (m->cfg.initrd) {
            *err = g_strdup_printf("%s: -initrd needs a Multiboot kernel (no Multiboot header "
                                   "in its first 8 KiB)", path);
            rc = -1;
        } else {
            rc = load_elf(m, path, (const uint8_t *)buf, len, true, alo, ahi, out, err);
            out->end = out->high;
            if (rc == 0)
                rc = identity_tables(m, alo, ahi, out, err);
        }
    } else {
        *err = g_strdup_printf("%s: neither a Multiboot kernel (no header in its first 8 KiB), "
                               "a Linux bzImage nor an ELF file", path);
        rc = -1;
    }
    g_free(buf);
    return rc;
}
