/* simplefb: see simplefb.h. */
#include "devices/simplefb.h"
#include <errno.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

static bool parse_dim(const char *v, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno || end == v || *end || *v == '-' || n < 1 || n > SIMPLEFB_MAX_DIM)
        return false;
    *out = (uint32_t)n;
    return true;
}

int simplefb_parse(MachineConfig *cfg, const char *opts, char **err)
{
    gchar **parts = g_strsplit(opts, ",", -1);
    uint32_t w = SIMPLEFB_DEFAULT_WIDTH, h = SIMPLEFB_DEFAULT_HEIGHT;
    DisplayFormat f = DISPLAY_FMT_A8R8G8B8;
    int rc = -1;
    if (strcmp(parts[0], "simplefb") != 0) {
        *err = g_strdup_printf("-device %s: unknown device (available: simplefb)", parts[0]);
        goto out;
    }
    for (int i = 1; parts[i]; i++) {
        const char *p = parts[i], *eq = strchr(p, '=');
        g_autofree char *key = eq ? g_strndup(p, (gsize)(eq - p)) : g_strdup(p);
        const char *v = eq ? eq + 1 : "";
        if (!strcmp(key, "width") || !strcmp(key, "height")) {
            if (!parse_dim(v, !strcmp(key, "width") ? &w : &h)) {
                *err = g_strdup_printf("-device simplefb: %s=%s: want 1 to %d pixels", key, v,
                                       SIMPLEFB_MAX_DIM);
                goto out;
            }
        } else if (!strcmp(key, "format")) {
            if (!strcmp(v, "a8r8g8b8"))
                f = DISPLAY_FMT_A8R8G8B8;
            else if (!strcmp(v, "r5g6b5"))
                f = DISPLAY_FMT_R5G6B5;
            else {
                *err = g_strdup_printf("-device simplefb: format=%s: want a8r8g8b8 or r5g6b5", v);
                goto out;
            }
        } else {
            *err = g_strdup_printf("-device simplefb: unknown property '%s' (width, height, "
                                   "format)", key);
            goto out;
        }
    }
    cfg->fb_width = w;
    cfg->fb_height = h;
    cfg->fb_format = f;
    rc = 0;
out:
    g_strfreev(parts);
    return rc;
}

bool simplefb_surface(const MachineConfig *cfg, uint64_t ram_base, DisplaySurface *s,
                      uint64_t *carve_size)
{
    if (cfg->fb_format == DISPLAY_FMT_NONE)
        return false;
    uint32_t stride = cfg->fb_width * display_bytes_per_pixel(cfg->fb_format);
    uint64_t carve = ((uint64_t)stride * cfg->fb_height + SIMPLEFB_ALIGN - 1) & ~(SIMPLEFB_ALIGN - 1);
    /* a RAM too small for the carve-out gives a frame at ram_base - carve: the board refuses
     * it (virt_create), since the frame then leaves RAM */
    *s = (DisplaySurface){ .pa = ram_base + cfg->ram_size - carve, .width = cfg->fb_width,
                           .height = cfg->fb_height, .stride = stride, .format = cfg->fb_format };
    *carve_size = carve;
    return true;
}

static int reg2(void *fdt, uint64_t base, uint64_t size)
{
    fdt64_t r[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };
    return fdt_property(fdt, "reg", r, sizeof r);
}

int simplefb_fdt(void *fdt, const MachineConfig *cfg, uint64_t ram_base)
{
    DisplaySurface s;
    uint64_t carve;
    char name[64];
    int r;
    if (!simplefb_surface(cfg, ram_base, &s, &carve))
        return 0;
#define T(x) do { if ((r = (x)) < 0) return r; } while (0)
    /* reserved-memory.yaml: no-map keeps the region out of the linear map and the page
     * allocator; the simple-framebuffer driver then maps it itself (ioremap_wc) */
    T(fdt_begin_node(fdt, "reserved-memory"));
    T(fdt_property_cell(fdt, "#address-cells", 2));
    T(fdt_property_cell(fdt, "#size-cells", 2));
    T(fdt_property(fdt, "ranges", NULL, 0));
    snprintf(name, sizeof name, "framebuffer@%llx", (unsigned long long)s.pa);
    T(fdt_begin_node(fdt, name));
    T(reg2(fdt, s.pa, carve));
    T(fdt_property(fdt, "no-map", NULL, 0));
    T(fdt_end_node(fdt));
    T(fdt_end_node(fdt));

    T(fdt_begin_node(fdt, name));
    T(fdt_property_string(fdt, "compatible", "simple-framebuffer"));
    T(reg2(fdt, s.pa, (uint64_t)s.stride * s.height));
    T(fdt_property_cell(fdt, "width", s.width));
    T(fdt_property_cell(fdt, "height", s.height));
    T(fdt_property_cell(fdt, "stride", s.stride));
    T(fdt_property_string(fdt, "format", display_format_name(s.format)));
    T(fdt_end_node(fdt));
#undef T
    return 0;
}

char *simplefb_describe(const MachineConfig *cfg)
{
    if (cfg->fb_format == DISPLAY_FMT_NONE)
        return NULL;
    return g_strdup_printf("simplefb,width=%u,height=%u,format=%s", cfg->fb_width,
                           cfg->fb_height, display_format_name(cfg->fb_format));
}
