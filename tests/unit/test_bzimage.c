/* Linux's x86 boot protocol (suite bzimage, boards/bzimage.c): the protected-mode kernel at its
 * preferred address, the zero page's header copy and loader fields (type_of_loader,
 * LOADED_HIGH, command line, initrd placed high below initrd_addr_max, the e820 table, the
 * RSDP), and the one-line refusals of what the protocol does not allow. */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>
#include "boards/bzimage.h"
#include "boards/pc.h"
#include "cpu/x86_64/cpu.h"

#define MB (1ULL << 20)

static Machine *m;

static void setup(void)
{
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    cfg.ram_size = 64 * MB;
    char *err = NULL;
    m = machine_new(&cfg, 0, &err);
    cr_assert(m, "%s", err);
    machine_config_free(&cfg);
}

static void teardown(void)
{
    machine_free(m);
}

TestSuite(bzimage, .init = setup, .fini = teardown);

static const E820Entry e820[] = {
    { 0, 0x9fc00, E820_RAM, 0 }, { 0x9fc00, 0x400, E820_RESERVED, 0 },
    { 0x100000, 63 * MB, E820_RAM, 0 },
};

/* A 2.15 image with 2 setup sectors, a 64-bit entry, pref_address 16 MiB, init_size 1 MiB. */
static uint8_t *image(size_t *len, uint16_t version, uint8_t xloadflags)
{
    *len = 3 * 512 + 4096;
    uint8_t *b = g_malloc0(*len);
    b[0x1f1] = 2;
    b[0x1fe] = 0x55, b[0x1ff] = 0xaa;
    b[0x200] = 0xeb, b[0x201] = 0x6a;     /* jmp: header ends at 0x26c */
    memcpy(b + 0x202, "HdrS", 4);
    b[0x206] = (uint8_t)version, b[0x207] = (uint8_t)(version >> 8);
    b[0x22c] = 0xff, b[0x22d] = 0xff, b[0x22e] = 0xff, b[0x22f] = 0x01;   /* initrd max 32 MiB */
    b[0x236] = xloadflags;
    b[0x238] = 0xff, b[0x239] = 0x07;     /* cmdline_size 2047 */
    b[0x25a] = 0x00, b[0x25b] = 0x01;     /* pref_address 0x1000000 */
    b[0x262] = 0x10;                      /* init_size 0x100000 */
    for (size_t i = 3 * 512; i < *len; i++)
        b[i] = (uint8_t)(i * 7);
    return b;
}

static uint64_t rd(uint64_t pa, unsigned size)
{
    uint64_t v = 0;
    memcpy(&v, bus_ram_ptr(&m->bus, pa, size), size);
    return v;
}

Test(bzimage, loads_and_fills_the_zero_page)
{
    size_t len;
    uint8_t *img = image(&len, 0x020f, 1);
    char *initrd = g_strdup_printf("/tmp/bz-initrd-%d", (int)getpid());
    cr_assert(g_file_set_contents(initrd, "INITRD-CONTENTS", 15, NULL));
    BzImageParams p = { .cmdline = "console=ttyS0 rdinit=/init", .initrd = initrd,
                        .zero_page = 0x7000, .cmdline_addr = 0x20000, .acpi_rsdp = 0xf5a00,
                        .e820 = e820, .ne820 = 3 };
    BzImageLoad out;
    char *err = NULL;
    cr_assert_eq(bzimage_load_buf(m, img, len, &p, &out, &err), 0, "%s", err);
    cr_assert_eq(out.entry64, 0x1000200);
    cr_assert_eq(out.kernel_start, 0x1000000);
    cr_assert_eq(out.kernel_end, 0x1100000);
    cr_assert(!memcmp(bus_ram_ptr(&m->bus, 0x1000000, 4096), img + 3 * 512, 4096),
              "the protected-mode kernel is after the setup sectors");
    cr_assert_eq(rd(0x7000 + 0x202, 4), 0x53726448, "the header is copied (HdrS)");
    cr_assert_eq(rd(0x7000 + 0x210, 1), 0xff, "type_of_loader: undefined");
    cr_assert(rd(0x7000 + 0x211, 1) & 1, "LOADED_HIGH");
    cr_assert_eq(rd(0x7000 + 0x228, 4), 0x20000);
    cr_assert_str_eq((const char *)bus_ram_ptr(&m->bus, 0x20000, 1), "console=ttyS0 rdinit=/init");
    /* the initrd: page aligned, as high as RAM and initrd_addr_max (32 MiB) allow */
    cr_assert_eq(out.initrd_size, 15);
    cr_assert_eq(out.initrd_start, 0x2000000 - 4096);
    cr_assert_eq(rd(0x7000 + 0x218, 4), out.initrd_start);
    cr_assert_eq(rd(0x7000 + 0x21c, 4), 15);
    cr_assert(!memcmp(bus_ram_ptr(&m->bus, out.initrd_start, 15), "INITRD-CONTENTS", 15));
    cr_assert_eq(rd(0x7000 + 0x1e8, 1), 3);
    cr_assert_eq(rd(0x7000 + 0x2d0 + 40, 8), 0x100000, "e820[2].addr");
    cr_assert_eq(rd(0x7000 + 0x2d0 + 48, 8), 63 * MB);
    cr_assert_eq(rd(0x7000 + 0x2d0 + 56, 4), E820_RAM);
    cr_assert_eq(rd(0x7000 + 0x070, 8), 0xf5a00, "acpi_rsdp_addr");
    unlink(initrd);
    g_free(initrd);
    g_free(img);
}

static void refused(uint8_t *img, size_t len, const BzImageParams *p, const char *want)
{
    BzImageLoad out;
    char *err = NULL;
    cr_assert_eq(bzimage_load_buf(m, img, len, p, &out, &err), -1);
    cr_assert(err && strstr(err, want) && !strchr(err, '\n'), "%s", err ? err : "(none)");
    g_free(err);
}

Test(bzimage, refusals)
{
    size_t len;
    BzImageParams p = { .zero_page = 0x7000, .cmdline_addr = 0x20000, .e820 = e820, .ne820 = 3 };
    uint8_t *img = image(&len, 0x020b, 1);
    refused(img, len, &p, "without a 64-bit entry");
    g_free(img);
    img = image(&len, 0x020f, 0);
    refused(img, len, &p, "without a 64-bit entry");
    img[0x236] = 1;
    refused(img, 0x100, &p, "not a Linux bzImage");
    memcpy(img + 0x202, "XXXX", 4);
    refused(img, len, &p, "not a Linux bzImage");
    memcpy(img + 0x202, "HdrS", 4);
    img[0x25b] = 0x04;                    /* pref_address 64 MiB: past RAM */
    refused(img, len, &p, "raise -m");
    img[0x25b] = 0x01;
    refused(img, 0x300, &p, "truncated");
    p.initrd = "/nonexistent/initrd";
    refused(img, len, &p, "initrd:");
    g_free(img);
}

/* -M pc -kernel bzImage: the board enters startup_64 in 64-bit mode on its identity tables
 * with RSI = the zero page, whose e820 table is the board's map and command line -append. */
Test(bzimage, pc_board_enters_startup_64)
{
    size_t len;
    uint8_t *img = image(&len, 0x020f, 1);
    char *k = g_strdup_printf("/tmp/bz-kernel-%d", (int)getpid());
    cr_assert(g_file_set_contents(k, (const char *)img, (gssize)len, NULL));
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    g_free(cfg.board);
    cfg.board = g_strdup("pc");
    g_free(cfg.cpu_model);
    cfg.cpu_model = g_strdup("max");
    cfg.ram_size = 64 * MB;
    cfg.kernel = g_strdup(k);
    cfg.append = g_strdup("console=ttyS0");
    char *err = NULL;
    Machine *pm = pc_create(&cfg, &err);
    cr_assert_not_null(pm, "pc_create: %s", err ? err : "?");
    X86Cpu *c = pm->cpus[0].obj;
    cr_assert_eq(c->rip, 0x1000200);
    cr_assert(c->efer & X86_EFER_LMA);
    cr_assert(c->seg[X86_CS].attr & X86_SEG_ATTR_L, "64-bit code");
    uint64_t zp = c->gpr[X86_RSI];
    const uint8_t *z = bus_ram_ptr(&pm->bus, zp, 4096);
    cr_assert(z && !memcmp(z + 0x202, "HdrS", 4));
    uint32_t cmd;
    memcpy(&cmd, z + 0x228, 4);
    cr_assert_str_eq((const char *)bus_ram_ptr(&pm->bus, cmd, 1), "console=ttyS0");
    cr_assert(z[0x1e8] >= 2, "the board's e820 map");
    machine_free(pm);
    machine_config_free(&cfg);
    unlink(k);
    g_free(k);
    g_free(img);
}
