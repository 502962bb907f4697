/* The framebuffer (devices/simplefb.c) and display surfaces (ui/surface.c): option parsing,
 * the carve-out at the top of RAM and its device-tree description as Linux reads it, the
 * refusal of a frame that the loaded image reaches, pixel conversion, and the snapshot
 * description that carries the framebuffer. */
#include <criterion/criterion.h>
#include <libfdt.h>
#include <string.h>
#include <unistd.h>
#include "boards/virt.h"
#include "checkpoint/snapshot.h"
#include "devices/simplefb.h"
#include "ui/surface.h"

#define INSN_B_SELF 0x14000000u

static void cfg_init(MachineConfig *cfg, const char *kernel, uint64_t ram)
{
    machine_config_defaults(cfg);
    cfg->ram_size = ram;
    cfg->kernel = g_strdup(kernel);
}

static char *write_kernel(const char *name, size_t len)
{
    char *p = g_strdup_printf("/tmp/display-test-%d-%s", (int)getpid(), name);
    uint32_t *code = g_malloc0(len);
    code[0] = INSN_B_SELF;
    cr_assert(g_file_set_contents(p, (const char *)code, (gssize)len, NULL));
    g_free(code);
    return p;
}

static void parse_fails(const char *opts, const char *want)
{
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    char *err = NULL;
    cr_assert_eq(simplefb_parse(&cfg, opts, &err), -1, "'%s' accepted", opts);
    cr_assert(strstr(err, want), "'%s': message '%s' lacks '%s'", opts, err, want);
    cr_assert_null(strchr(err, '\n'));
    cr_assert_eq(cfg.fb_format, DISPLAY_FMT_NONE, "'%s' half-configured a framebuffer", opts);
    g_free(err);
    machine_config_free(&cfg);
}

Test(display, parse_defaults_and_properties)
{
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    char *err = NULL;
    cr_assert_eq(cfg.fb_format, DISPLAY_FMT_NONE);
    cr_assert_eq(simplefb_parse(&cfg, "simplefb", &err), 0);
    cr_assert_eq(cfg.fb_width, 1024);
    cr_assert_eq(cfg.fb_height, 768);
    cr_assert_eq(cfg.fb_format, DISPLAY_FMT_A8R8G8B8);
    cr_assert_eq(simplefb_parse(&cfg, "simplefb,format=r5g6b5,height=200,width=320", &err), 0);
    cr_assert_eq(cfg.fb_width, 320);
    cr_assert_eq(cfg.fb_height, 200);
    cr_assert_eq(cfg.fb_format, DISPLAY_FMT_R5G6B5);
    machine_config_free(&cfg);
}

Test(display, parse_rejects_bad_options)
{
    parse_fails("ramfb", "unknown device");
    parse_fails("simplefb,width=0", "width=0");
    parse_fails("simplefb,height=8193", "height=8193");
    parse_fails("simplefb,width=-5", "width=-5");
    parse_fails("simplefb,width=12x", "width=12x");
    parse_fails("simplefb,format=x8r8g8b8", "format=x8r8g8b8");
    parse_fails("simplefb,depth=8", "unknown property 'depth'");
}

/* The frame sits at the top of RAM in a 2 MiB-rounded carve-out; the DT reserves the carve-out
 * with no-map and describes the frame as the simple-framebuffer binding says. */
Test(display, carve_out_and_device_tree)
{
    char *k = write_kernel("k.bin", 4096);
    MachineConfig cfg;
    cfg_init(&cfg, k, 256ULL << 20);
    char *err = NULL;
    cr_assert_eq(simplefb_parse(&cfg, "simplefb,width=800,height=600,format=r5g6b5", &err), 0);
    Machine *m = virt_create(&cfg, &err);
    cr_assert_not_null(m, "%s", err ? err : "");
    const DisplaySurface *s = &m->display;
    /* 800 * 2 * 600 = 960000 bytes: one 2 MiB carve-out */
    cr_assert_eq(s->pa, 0x40000000ULL + (256ULL << 20) - (2ULL << 20));
    cr_assert_eq(s->stride, 1600);
    cr_assert_not_null(surface_pixels(m));
    VirtBoard *vb = m->board;
    const void *fdt = vb->dtb;
    int fb = fdt_node_offset_by_compatible(fdt, -1, "simple-framebuffer");
    cr_assert_geq(fb, 0);
    int len;
    const fdt64_t *reg = fdt_getprop(fdt, fb, "reg", &len);
    cr_assert_eq(len, 16);
    cr_assert_eq(fdt64_ld(&reg[0]), s->pa);
    cr_assert_eq(fdt64_ld(&reg[1]), 960000);
    cr_assert_eq(fdt32_to_cpu(*(const fdt32_t *)fdt_getprop(fdt, fb, "width", NULL)), 800);
    cr_assert_eq(fdt32_to_cpu(*(const fdt32_t *)fdt_getprop(fdt, fb, "height", NULL)), 600);
    cr_assert_eq(fdt32_to_cpu(*(const fdt32_t *)fdt_getprop(fdt, fb, "stride", NULL)), 1600);
    cr_assert_str_eq(fdt_getprop(fdt, fb, "format", NULL), "r5g6b5");
    int rm = fdt_path_offset(fdt, "/reserved-memory");
    cr_assert_geq(rm, 0);
    int carve = fdt_first_subnode(fdt, rm);
    cr_assert_geq(carve, 0);
    reg = fdt_getprop(fdt, carve, "reg", &len);
    cr_assert_eq(fdt64_ld(&reg[0]), s->pa);
    cr_assert_eq(fdt64_ld(&reg[1]), 2ULL << 20);
    cr_assert_not_null(fdt_getprop(fdt, carve, "no-map", NULL));
    /* the DTB itself lies below the frame */
    cr_assert_leq(vb->dtb_addr + vb->dtb_size, s->pa);
    machine_free(m);
    machine_config_free(&cfg);
    unlink(k);
    g_free(k);
}

Test(display, no_framebuffer_no_nodes)
{
    char *k = write_kernel("k0.bin", 4096);
    MachineConfig cfg;
    cfg_init(&cfg, k, 256ULL << 20);
    char *err = NULL;
    Machine *m = virt_create(&cfg, &err);
    cr_assert_not_null(m, "%s", err ? err : "");
    cr_assert_eq(m->display.format, DISPLAY_FMT_NONE);
    cr_assert_null(surface_pixels(m));
    const void *fdt = ((VirtBoard *)m->board)->dtb;
    cr_assert_lt(fdt_node_offset_by_compatible(fdt, -1, "simple-framebuffer"), 0);
    cr_assert_lt(fdt_path_offset(fdt, "/reserved-memory"), 0);
    machine_free(m);
    machine_config_free(&cfg);
    unlink(k);
    g_free(k);
}

/* A raw kernel of 58 MiB in 64 MiB of RAM puts its DTB (after it, 2 MiB aligned) at 60 MiB,
 * where the 4 MiB frame starts: refused. */
Test(display, loaded_image_may_not_reach_the_frame)
{
    char *k = write_kernel("big.bin", 58u << 20);
    MachineConfig cfg;
    cfg_init(&cfg, k, 64ULL << 20);
    char *err = NULL;
    cr_assert_eq(simplefb_parse(&cfg, "simplefb", &err), 0);
    Machine *m = virt_create(&cfg, &err);
    cr_assert_null(m);
    cr_assert(strstr(err, "into the frame"), "%s", err);
    g_free(err);
    err = NULL;
    /* a 16 MiB frame in 16 MiB of RAM */
    char *small = write_kernel("small.bin", 4096);
    g_free(cfg.kernel);
    cfg.kernel = g_strdup(small);
    cr_assert_eq(simplefb_parse(&cfg, "simplefb,width=2048,height=2048", &err), 0);
    cfg.ram_size = 16ULL << 20;
    cr_assert_null(virt_create(&cfg, &err));
    cr_assert(strstr(err, "more than half of -m"), "%s", err);
    g_free(err);
    machine_config_free(&cfg);
    unlink(k);
    unlink(small);
    g_free(k);
    g_free(small);
}

Test(display, pixel_formats)
{
    uint8_t argb[4] = { 0x30, 0x20, 0x10, 0xff };   /* B, G, R, A in memory */
    DisplaySurface s = { .width = 1, .height = 1, .stride = 4, .format = DISPLAY_FMT_A8R8G8B8 };
    cr_assert_eq(surface_rgb(&s, argb, 0, 0), 0x102030);
    s.format = DISPLAY_FMT_R5G6B5;
    s.stride = 4;
    /* full scale stays full scale; each field lands in its own channel */
    uint8_t rgb565[4] = { 0xff, 0xff, 0x00, 0xf8 };   /* 0xffff, then red only (0xf800) */
    s.width = 2;
    cr_assert_eq(surface_rgb(&s, rgb565, 0, 0), 0xffffff);
    cr_assert_eq(surface_rgb(&s, rgb565, 1, 0), 0xff0000);
    uint8_t green[2] = { 0xe0, 0x07 };               /* 0x07e0 */
    cr_assert_eq(surface_rgb(&s, green, 0, 0), 0x00ff00);
}

/* A snapshot's machine description names the framebuffer, and reading it back restores it;
 * a machine without one describes no framebuffer line (older snapshots still match). */
Test(display, snapshot_description)
{
    MachineConfig cfg, back;
    machine_config_defaults(&cfg);
    char *d = snapshot_describe(&cfg);
    cr_assert_null(strstr(d, "framebuffer"));
    g_free(d);
    char *err = NULL;
    cr_assert_eq(simplefb_parse(&cfg, "simplefb,width=640,height=480", &err), 0);
    d = snapshot_describe(&cfg);
    cr_assert(strstr(d, "\nframebuffer=simplefb,width=640,height=480,format=a8r8g8b8\n"), "%s", d);
    g_free(d);
    machine_config_defaults(&back);
    char *path = g_strdup_printf("/tmp/display-test-%d.snap", (int)getpid());
    char *k = write_kernel("ks.bin", 4096);
    cfg.kernel = g_strdup(k);
    Machine *m = virt_create(&cfg, &err);
    cr_assert_not_null(m, "%s", err ? err : "");
    unlink(path);
    cr_assert_eq(snapshot_save(m, path, false, &err), 0, "%s", err ? err : "");
    cr_assert_eq(snapshot_read_config(path, &back, &err), 0, "%s", err ? err : "");
    cr_assert_eq(back.fb_width, 640);
    cr_assert_eq(back.fb_height, 480);
    cr_assert_eq(back.fb_format, DISPLAY_FMT_A8R8G8B8);
    machine_free(m);
    unlink(path);
    unlink(k);
    g_free(k);
    g_free(path);
    machine_config_free(&back);
    machine_config_free(&cfg);
}
