/* Linux's x86 boot protocol for a bzImage, 64-bit entry (boards/bzimage.h). Offsets are the
 * setup header's and struct boot_params' (Documentation/arch/x86/boot.rst and zero-page.rst):
 * the header starts at 0x1f1 in the image and is copied to the same offset in the zero page. */
#include <string.h>
#include <glib.h>
#include "boards/bzimage.h"
#include "boards/loader.h"

/* setup header fields (offsets in the image and in boot_params) */
#define HDR_SETUP_SECTS 0x1f1
#define HDR_BOOT_FLAG 0x1fe       /* 0xaa55 */
#define HDR_JUMP 0x200            /* its second byte gives the header's length */
#define HDR_MAGIC 0x202           /* "HdrS" */
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
/* boot_params outside the header */
#define BP_ACPI_RSDP 0x070
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE 0x2d0

#define LOADFLAGS_LOADED_HIGH 0x01
#define LOADFLAGS_KEEP_SEGMENTS 0x40
#define XLF_KERNEL_64 0x01
#define XLF_CAN_BE_LOADED_ABOVE_4G 0x02
#define LOADER_TYPE_UNDEFINED 0xff

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, (uint32_t)v); wr32(p + 4, (uint32_t)(v >> 32)); }

bool bzimage_probe(const uint8_t *head, size_t len)
{
    return len >= HDR_MAGIC + 4 && !memcmp(head + HDR_MAGIC, "HdrS", 4);
}

/* The highest RAM range of the e820 map holding [lo, lo+len) with lo >= min, below max, at
 * align: the address, or 0 if none. */
static uint64_t place_high(const BzImageParams *p, uint64_t len, uint64_t min, uint64_t max,
                           uint64_t align)
{
    uint64_t best = 0;
    for (unsigned i = 0; i < p->ne820; i++) {
        const E820Entry *e = &p->e820[i];
        if (e->type != E820_RAM || e->len < len)
            continue;
        uint64_t end = MIN(e->base + e->len, max);
        if (end < len || end - len < MAX(e->base, min))
            continue;
        uint64_t at = (end - len) & ~(align - 1);
        if (at >= MAX(e->base, min) && at > best)
            best = at;
    }
    return best;
}

int bzimage_load_buf(Machine *m, const uint8_t *img, size_t len, const BzImageParams *p,
                     BzImageLoad *out, char **err)
{
    memset(out, 0, sizeof *out);
    if (!bzimage_probe(img, len) || len < 0x270) {
        *err = g_strdup("not a Linux bzImage (no \"HdrS\" setup header at 0x202)");
        return -1;
    }
    uint16_t version = rd16(img + HDR_VERSION);
    if (version < 0x020c || !(img[HDR_XLOADFLAGS] & XLF_KERNEL_64)) {
        *err = g_strdup_printf("bzImage: boot protocol %u.%02u without a 64-bit entry (2.12 with "
                               "XLF_KERNEL_64 needed)", version >> 8, version & 0xff);
        return -1;
    }
    unsigned setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
    size_t pm_off = (size_t)(setup_sects + 1) * 512;
    if (pm_off >= len) {
        *err = g_strdup("bzImage: truncated (no protected-mode kernel after the setup sectors)");
        return -1;
    }
    size_t pm_len = len - pm_off;
    uint64_t pref = rd64(img + HDR_PREF_ADDRESS);
    uint32_t init_size = rd32(img + HDR_INIT_SIZE);
    uint64_t load = pref ? pref : 0x100000;
    if (init_size < pm_len)
        init_size = (uint32_t)pm_len;
    if (load < m->ram_base || load + init_size > m->ram_base + m->ram_size) {
        *err = g_strdup_printf("bzImage: the kernel needs RAM at [0x%" G_GINT64_MODIFIER "x, 0x%"
                               G_GINT64_MODIFIER "x) (raise -m)", load, load + init_size);
        return -1;
    }
    if (!loader_copy(m, load, img + pm_off, pm_len)) {
        *err = g_strdup("bzImage: cannot copy the kernel into RAM");
        return -1;
    }
    /* the zero page: the setup header as in the image, then the loader's fields */
    uint8_t zp[4096];
    memset(zp, 0, sizeof zp);
    size_t hdr_end = HDR_JUMP + 2 + img[HDR_JUMP + 1];
    if (hdr_end > len || hdr_end > sizeof zp)
        hdr_end = MIN(len, sizeof zp);
    memcpy(zp + HDR_SETUP_SECTS, img + HDR_SETUP_SECTS, hdr_end - HDR_SETUP_SECTS);
    zp[HDR_TYPE_OF_LOADER] = LOADER_TYPE_UNDEFINED;
    zp[HDR_LOADFLAGS] |= LOADFLAGS_LOADED_HIGH;
    const char *cmd = p->cmdline ? p->cmdline : "";
    uint32_t cmdline_size = version >= 0x0206 ? rd32(img + HDR_CMDLINE_SIZE) : 255;
    if (strlen(cmd) > cmdline_size) {
        *err = g_strdup_printf("bzImage: the command line is %zu bytes; this kernel takes at most %u",
                               strlen(cmd), cmdline_size);
        return -1;
    }
    if (!loader_copy(m, p->cmdline_addr, cmd, strlen(cmd) + 1)) {
        *err = g_strdup("bzImage: the command line's place is not RAM");
        return -1;
    }
    wr32(zp + HDR_CMD_LINE_PTR, (uint32_t)p->cmdline_addr);
    wr32(zp + BP_EXT_CMD_LINE_PTR, (uint32_t)(p->cmdline_addr >> 32));
    out->initrd_start = 0;
    if (p->initrd) {
        gchar *data = NULL;
        gsize n = 0;
        GError *ge = NULL;
        if (!g_file_get_contents(p->initrd, &data, &n, &ge)) {
            *err = g_strdup_printf("initrd: %s", ge->message);
            g_error_free(ge);
            return -1;
        }
        uint64_t max = (uint64_t)rd32(img + HDR_INITRD_ADDR_MAX) + 1;
        if (img[HDR_XLOADFLAGS] & XLF_CAN_BE_LOADED_ABOVE_4G)
            max = UINT64_MAX;
        uint64_t at = place_high(p, n, load + init_size, max, 4096);
        if (!at || !loader_copy(m, at, data, n)) {
            g_free(data);
            *err = g_strdup_printf("initrd: %" G_GSIZE_FORMAT " bytes do not fit in RAM above the "
                                   "kernel (raise -m)", n);
            return -1;
        }
        g_free(data);
        out->initrd_start = at;
        out->initrd_size = n;
        wr32(zp + HDR_RAMDISK_IMAGE, (uint32_t)at);
        wr32(zp + HDR_RAMDISK_SIZE, (uint32_t)n);
        wr32(zp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(at >> 32));
        wr32(zp + BP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)n >> 32));
    }
    if (p->ne820 > BZ_MAX_E820) {
        *err = g_strdup("bzImage: more than 128 e820 entries");
        return -1;
    }
    zp[BP_E820_ENTRIES] = (uint8_t)p->ne820;
    for (unsigned i = 0; i < p->ne820; i++) {
        uint8_t *e = zp + BP_E820_TABLE + 20 * i;
        wr64(e, p->e820[i].base);
        wr64(e + 8, p->e820[i].len);
        wr32(e + 16, p->e820[i].type);
    }
    if (version >= 0x020e)
        wr64(zp + BP_ACPI_RSDP, p->acpi_rsdp);
    if (!loader_copy(m, p->zero_page, zp, sizeof zp)) {
        *err = g_strdup("bzImage: the zero page's place is not RAM");
        return -1;
    }
    out->entry64 = load + 0x200;
    out->boot_params = p->zero_page;
    out->cmdline = p->cmdline_addr;
    out->kernel_start = load;
    out->kernel_end = load + init_size;
    out->version = version;
    return 0;
}

int bzimage_load(Machine *m, const char *path, const BzImageParams *p, BzImageLoad *out,
                 char **err)
{
    gchar *data = NULL;
    gsize n = 0;
    GError *ge = NULL;
    if (!g_file_get_contents(path, &data, &n, &ge)) {
        *err = g_strdup_printf("kernel: %s", ge->message);
        g_error_free(ge);
        return -1;
    }
    int r = bzimage_load_buf(m, (const uint8_t *)data, n, p, out, err);
    if (r < 0) {
        char *e = g_strdup_printf("%s: %s", path, *err);
        g_free(*err);
        *err = e;
    }
    g_free(data);
    return r;
}
