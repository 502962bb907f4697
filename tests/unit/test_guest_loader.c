/* -device guest-loader and loader (boards/guest_loader.c) and --dtb-overlay: option parsing
 * with QEMU's checks, the images in RAM at their addresses, the /chosen/module@0xADDR nodes as
 * QEMU's guest-loader writes them, the overlaps hvsim refuses with one line, an overlay's nodes
 * in the tree. tests/system/xen.sh compares the nodes with QEMU's own dumpdtb. */
#include <criterion/criterion.h>
#include <libfdt.h>
#include <string.h>
#include <unistd.h>
#include "boards/virt.h"
#include "cpu/arm64/cpu.h"

#define RAM 0x40000000ULL

static char *write_tmp(const char *name, const void *data, size_t len)
{
    char *p = g_strdup_printf("/tmp/gl-test-%d-%s", (int)getpid(), name);
    cr_assert(g_file_set_contents(p, data, (gssize)len, NULL));
    return p;
}

/* A raw kernel (loaded at RAM + 0x80000): `b .` */
static char *kernel_file(void)
{
    static const uint32_t code[] = { 0x14000000u };
    return write_tmp("kernel", code, sizeof code);
}

static void cfg_init(MachineConfig *cfg, const char *kernel, const char *const *loaders)
{
    machine_config_defaults(cfg);
    cfg->ram_size = 256ULL << 20;
    g_free(cfg->kernel);
    cfg->kernel = g_strdup(kernel);
    cfg->guest_loaders = g_strdupv((char **)loaders);
}

static void parse_fails(const char *spec, const char *want)
{
    GuestModule gm;
    char *err = NULL;
    cr_assert_not(guest_loader_parse(spec, &gm, &err), "accepted '%s'", spec);
    cr_assert(strstr(err, want), "message '%s' lacks '%s'", err, want);
    cr_assert_null(strchr(err, '\n'));
    g_free(err);
}

Test(guest_loader, parse_as_qemu)
{
    GuestModule gm;
    char *err = NULL;
    cr_assert(guest_loader_parse("guest-loader,addr=0x49000000,kernel=Image,bootargs=console=hvc0,,"
                                 "115200 rdinit=/init", &gm, &err), "%s", err);
    cr_assert_eq(gm.addr, 0x49000000);
    cr_assert_eq(gm.kind, GUEST_MODULE_KERNEL);
    cr_assert_str_eq(gm.file, "Image");
    cr_assert_str_eq(gm.bootargs, "console=hvc0,115200 rdinit=/init");   /* ",," is a comma */
    g_free(gm.file);
    g_free(gm.bootargs);
    cr_assert(guest_loader_parse("guest-loader,initrd=rd.cpio,addr=1342177280", &gm, &err), "%s", err);
    cr_assert_eq(gm.addr, 0x50000000);
    cr_assert_eq(gm.kind, GUEST_MODULE_RAMDISK);
    cr_assert_str_eq(gm.file, "rd.cpio");
    cr_assert_null(gm.bootargs);
    g_free(gm.file);

    parse_fails("guest-loader,addr=0x49000000,kernel=a,initrd=b", "kernel and initrd");
    parse_fails("guest-loader,addr=0x49000000", "need a kernel= or initrd=");
    parse_fails("guest-loader,kernel=a", "need addr=");
    parse_fails("guest-loader,addr=0,kernel=a", "need addr=");
    parse_fails("guest-loader,addr=0x49000000,initrd=a,bootargs=x", "only for kernel=");
    parse_fails("guest-loader,addr=0x4900zz,kernel=a", "addr=0x4900zz");
    parse_fails("guest-loader,addr=-5,kernel=a", "addr=-5");
    parse_fails("guest-loader,addr=0x49000000,kernel=a,size=4", "unknown property 'size'");
    parse_fails("guest-loader,addr=0x49000000,kernel", "not key=value");

    /* QEMU's generic loader, files only */
    cr_assert(guest_loader_parse("loader,file=domU.img,addr=0x60000000,force-raw=on", &gm, &err),
              "%s", err);
    cr_assert_eq(gm.kind, GUEST_MODULE_RAW);
    cr_assert_eq(gm.addr, 0x60000000);
    cr_assert(gm.force_raw);
    cr_assert_str_eq(gm.file, "domU.img");
    g_free(gm.file);
    parse_fails("loader,addr=0x60000000", "need file=");
    parse_fails("loader,addr=0x60000000,data=5,data-len=4", "data= is not modelled");
    parse_fails("loader,file=a,addr=0x60000000,cpu-num=0", "cpu-num= is not modelled");
    parse_fails("loader,file=a,addr=0x60000000,force-raw=maybe", "force-raw=maybe");
    parse_fails("loader,file=a,kernel=b", "unknown property 'kernel'");
    parse_fails("generic-loader,file=a", "not a guest-loader or loader");
    parse_fails("guest-loader,addr=0x49000000,kernel=a,bootargs=x\ny", "control character (0x0a)");
}

static const void *node_prop(const void *fdt, const char *path, const char *name, int *len)
{
    int n = fdt_path_offset(fdt, path);
    cr_assert_geq(n, 0, "no node %s", path);
    const void *p = fdt_getprop(fdt, n, name, len);
    cr_assert_not_null(p, "no %s in %s", name, path);
    return p;
}

Test(guest_loader, images_in_ram_and_chosen_modules)
{
    char *k = kernel_file();
    uint8_t img[10000], rd[3001];
    for (size_t i = 0; i < sizeof img; i++)
        img[i] = (uint8_t)(i * 7 + 1);
    memset(rd, 0xa5, sizeof rd);
    char *gk = write_tmp("guest-image", img, sizeof img);
    char *gr = write_tmp("guest-initrd", rd, sizeof rd);
    char *s1 = g_strdup_printf("guest-loader,addr=0x49000000,kernel=%s,bootargs=console=hvc0 "
                               "rdinit=/init", gk);
    char *s2 = g_strdup_printf("guest-loader,addr=0x4a000000,initrd=%s", gr);
    char *s3 = g_strdup_printf("loader,file=%s,addr=0x4b000000", gr);
    const char *specs[] = { s1, s2, s3, NULL };
    MachineConfig cfg;
    cfg_init(&cfg, k, specs);
    char *err = NULL;
    Machine *m = virt_create(&cfg, &err);
    cr_assert_not_null(m, "%s", err);
    cr_assert_eq(memcmp(m->ram + (0x49000000 - RAM), img, sizeof img), 0);
    cr_assert_eq(memcmp(m->ram + (0x4a000000 - RAM), rd, sizeof rd), 0);
    cr_assert_eq(memcmp(m->ram + (0x4b000000 - RAM), rd, sizeof rd), 0);

    Arm64Cpu *c = m->cpus[0].obj;
    const void *fdt = m->ram + (c->x[0] - RAM);
    cr_assert_eq(fdt_check_header(fdt), 0);
    int len;
    /* QEMU's node: reg as two 64-bit numbers, the two compatibles, the kernel's bootargs */
    const fdt64_t *reg = node_prop(fdt, "/chosen/module@0x49000000", "reg", &len);
    cr_assert_eq(len, 16);
    cr_assert_eq(fdt64_ld(&reg[0]), 0x49000000);
    cr_assert_eq(fdt64_ld(&reg[1]), sizeof img);
    const char *compat = node_prop(fdt, "/chosen/module@0x49000000", "compatible", &len);
    cr_assert_eq(len, (int)sizeof "multiboot,module\0multiboot,kernel");
    cr_assert_eq(memcmp(compat, "multiboot,module\0multiboot,kernel", (size_t)len), 0);
    cr_assert_str_eq(node_prop(fdt, "/chosen/module@0x49000000", "bootargs", NULL),
                     "console=hvc0 rdinit=/init");
    reg = node_prop(fdt, "/chosen/module@0x4a000000", "reg", &len);
    cr_assert_eq(fdt64_ld(&reg[0]), 0x4a000000);
    cr_assert_eq(fdt64_ld(&reg[1]), sizeof rd);
    compat = node_prop(fdt, "/chosen/module@0x4a000000", "compatible", &len);
    cr_assert_eq(memcmp(compat, "multiboot,module\0multiboot,ramdisk", (size_t)len), 0);
    int rdn = fdt_path_offset(fdt, "/chosen/module@0x4a000000");
    cr_assert_null(fdt_getprop(fdt, rdn, "bootargs", NULL));
    /* as in QEMU's blob, the last one given comes first */
    int first = fdt_first_subnode(fdt, fdt_path_offset(fdt, "/chosen"));
    cr_assert_str_eq(fdt_get_name(fdt, first, NULL), "module@0x4a000000");
    /* the generic loader's image has no node */
    cr_assert_eq(fdt_path_offset(fdt, "/chosen/module@0x4b000000"), -FDT_ERR_NOTFOUND);
    int nmod = 0, sub;
    fdt_for_each_subnode(sub, fdt, fdt_path_offset(fdt, "/chosen"))
        nmod++;
    cr_assert_eq(nmod, 2);
    machine_free(m);
    machine_config_free(&cfg);
    unlink(k);
    unlink(gk);
    unlink(gr);
    g_free(k);
    g_free(gk);
    g_free(gr);
    g_free(s1);
    g_free(s2);
    g_free(s3);
}

static void create_fails(const char *kernel, const char *initrd, const char *const *specs,
                         const char *want)
{
    MachineConfig cfg;
    cfg_init(&cfg, kernel, specs);
    cfg.initrd = g_strdup(initrd);
    char *err = NULL;
    Machine *m = virt_create(&cfg, &err);
    cr_assert_null(m, "accepted (expected '%s')", want);
    cr_assert(strstr(err, want), "message '%s' lacks '%s'", err, want);
    cr_assert_null(strchr(err, '\n'), "not one line: '%s'", err);
    g_free(err);
    machine_config_free(&cfg);
}

Test(guest_loader, overlaps_and_bad_files_are_refused)
{
    char *k = kernel_file();
    uint8_t blob[8192];
    memset(blob, 1, sizeof blob);
    char *f = write_tmp("blob", blob, sizeof blob);
    char *empty = write_tmp("empty", "", 0);
    char *rd = write_tmp("rd", blob, sizeof blob);
    char spec[4][512];
    /* over the kernel (RAM + 0x80000) */
    snprintf(spec[0], sizeof spec[0], "guest-loader,addr=0x4007f000,kernel=%s", f);
    create_fails(k, NULL, (const char *[]){ spec[0], NULL }, "overlaps -kernel image");
    /* over the initrd (RAM + 128 MiB) */
    snprintf(spec[0], sizeof spec[0], "guest-loader,addr=0x48000000,initrd=%s", f);
    create_fails(k, rd, (const char *[]){ spec[0], NULL }, "overlaps -initrd");
    /* over another module */
    snprintf(spec[0], sizeof spec[0], "guest-loader,addr=0x49000000,kernel=%s", f);
    snprintf(spec[1], sizeof spec[1], "guest-loader,addr=0x49001000,initrd=%s", f);
    create_fails(k, NULL, (const char *[]){ spec[0], spec[1], NULL }, "overlaps");
    /* over the DTB, which goes where QEMU puts it (RAM + 128 MiB without an initrd) */
    snprintf(spec[0], sizeof spec[0], "guest-loader,addr=0x48000000,kernel=%s", f);
    create_fails(k, NULL, (const char *[]){ spec[0], NULL }, "overlaps the DTB");
    /* past the end of RAM, before RAM, empty, missing */
    snprintf(spec[0], sizeof spec[0], "guest-loader,addr=0x4ffff000,kernel=%s", f);
    create_fails(k, NULL, (const char *[]){ spec[0], NULL }, "does not lie wholly in RAM");
    snprintf(spec[0], sizeof spec[0], "guest-loader,addr=0x1000,initrd=%s", f);
    create_fails(k, NULL, (const char *[]){ spec[0], NULL }, "does not lie wholly in RAM");
    snprintf(spec[0], sizeof spec[0], "guest-loader,addr=0x49000000,kernel=%s", empty);
    create_fails(k, NULL, (const char *[]){ spec[0], NULL }, "empty guest kernel");
    create_fails(k, NULL, (const char *[]){ "guest-loader,addr=0x49000000,kernel=/nonexistent/x",
                                            NULL }, "/nonexistent/x");
    create_fails(k, NULL, (const char *[]){ "guest-loader,addr=0x49000000", NULL },
                 "need a kernel= or initrd=");
    /* the generic loader: an ELF file only with force-raw=on; overlaps as any module */
    static const uint8_t elf[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
    char *e = write_tmp("elf", elf, sizeof elf);
    snprintf(spec[0], sizeof spec[0], "loader,file=%s,addr=0x49000000", e);
    create_fails(k, NULL, (const char *[]){ spec[0], NULL }, "force-raw=on");
    snprintf(spec[0], sizeof spec[0], "loader,file=%s,addr=0x49000000,force-raw=on", e);
    snprintf(spec[1], sizeof spec[1], "loader,file=%s,addr=0x49000020", f);
    create_fails(k, NULL, (const char *[]){ spec[0], spec[1], NULL }, "overlaps");
    unlink(e);
    g_free(e);

    /* dumpdtb without -kernel: no hypervisor to describe the modules to */
    MachineConfig cfg;
    cfg_init(&cfg, NULL, (const char *[]){ "guest-loader,addr=0x49000000,kernel=x", NULL });
    cfg.dumpdtb = g_strdup("/tmp/gl-test-never-written.dtb");
    char *err = NULL;
    cr_assert_eq(virt_dump_dtb(&cfg, true, &err), -1);
    cr_assert(strstr(err, "need -kernel"), "%s", err);
    cr_assert_neq(access(cfg.dumpdtb, F_OK), 0);
    g_free(err);
    machine_config_free(&cfg);
    unlink(k);
    unlink(f);
    unlink(empty);
    unlink(rd);
    g_free(k);
    g_free(f);
    g_free(empty);
    g_free(rd);
}

/* An overlay as `dtc -@` makes it from "&{/chosen} { domU1 { compatible = "xen,domain"; }; };"
 * (target = `target`), built with libfdt's sequential-write API. */
static char *overlay_file(const char *name, const char *target)
{
    char buf[1024];
    cr_assert_eq(fdt_create(buf, sizeof buf), 0);
    cr_assert_eq(fdt_finish_reservemap(buf), 0);
    cr_assert_eq(fdt_begin_node(buf, ""), 0);
    cr_assert_eq(fdt_begin_node(buf, "fragment@0"), 0);
    cr_assert_eq(fdt_property_string(buf, "target-path", target), 0);
    cr_assert_eq(fdt_begin_node(buf, "__overlay__"), 0);
    cr_assert_eq(fdt_begin_node(buf, "domU1"), 0);
    cr_assert_eq(fdt_property_string(buf, "compatible", "xen,domain"), 0);
    cr_assert_eq(fdt_property(buf, "vpl011", NULL, 0), 0);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(fdt_end_node(buf), 0);
    cr_assert_eq(fdt_finish(buf), 0);
    return write_tmp(name, buf, fdt_totalsize(buf));
}

Test(guest_loader, dtb_overlay_adds_nodes_after_the_modules)
{
    char *k = kernel_file();
    uint8_t img[64] = { 1 };
    char *gk = write_tmp("ov-image", img, sizeof img);
    char *spec = g_strdup_printf("guest-loader,addr=0x49000000,kernel=%s", gk);
    char *ov = overlay_file("ov.dtbo", "/chosen");
    MachineConfig cfg;
    cfg_init(&cfg, k, (const char *[]){ spec, NULL });
    cfg.dtb_overlay = g_strdup(ov);
    char *err = NULL;
    Machine *m = virt_create(&cfg, &err);
    cr_assert_not_null(m, "%s", err);
    const void *fdt = m->ram + (((Arm64Cpu *)m->cpus[0].obj)->x[0] - RAM);
    cr_assert_str_eq(node_prop(fdt, "/chosen/domU1", "compatible", NULL), "xen,domain");
    int len;
    node_prop(fdt, "/chosen/domU1", "vpl011", &len);
    cr_assert_eq(len, 0);
    node_prop(fdt, "/chosen/module@0x49000000", "reg", NULL);   /* guest-loader's still there */
    cr_assert_str_eq(node_prop(fdt, "/chosen", "stdout-path", NULL), "/pl011@9000000");
    machine_free(m);
    machine_config_free(&cfg);

    /* a target the tree lacks, or a plain DTB given as an overlay: one line, no machine */
    char *bad = overlay_file("ov-bad.dtbo", "/no-such-node");
    cfg_init(&cfg, k, NULL);
    cfg.dtb_overlay = g_strdup(bad);
    cr_assert_null(virt_create(&cfg, &err));
    cr_assert(strstr(err, "apply --dtb-overlay"), "%s", err);
    cr_assert_null(strchr(err, '\n'));
    g_free(err);
    machine_config_free(&cfg);
    char plain[256];
    cr_assert_eq(fdt_create_empty_tree(plain, sizeof plain), 0);
    char *pf = write_tmp("plain.dtb", plain, fdt_totalsize(plain));
    cfg_init(&cfg, k, NULL);
    cfg.dtb_overlay = g_strdup(pf);
    cr_assert_null(virt_create(&cfg, &err));
    cr_assert(strstr(err, "not a device tree overlay"), "%s", err);
    g_free(err);
    machine_config_free(&cfg);
    unlink(k);
    unlink(gk);
    unlink(ov);
    unlink(bad);
    unlink(pf);
    g_free(k);
    g_free(gk);
    g_free(ov);
    g_free(bad);
    g_free(pf);
    g_free(spec);
}
