/* GICv2 (IHI 0048B): distributor, the banked memory-mapped CPU interface and the GICH/GICV
 * virtualization extension, driven through the bus with two cores whose four outputs are
 * recorded. The accessing core is m->running_cpu, as when a core runs. */
#include <criterion/criterion.h>
#include <string.h>
#include "core/machine.h"
#include "core/state.h"
#include "devices/gicv2.h"

#define DIST 0x08000000ULL
#define CPUIF 0x08010000ULL
#define VCTRL 0x08030000ULL
#define VCPU 0x08040000ULL

/* GICC / GICV offsets */
enum { CTLR = 0x00, PMR = 0x04, BPR = 0x08, IAR = 0x0c, EOIR = 0x10, RPR = 0x14, HPPIR = 0x18,
       AIAR = 0x20, APR0 = 0xd0, CDIR = 0x1000 };
/* GICH offsets */
enum { HCR = 0x00, VTR = 0x04, VMCR = 0x08, MISR = 0x10, EISR = 0x20, ELRSR = 0x30, LR0 = 0x100 };

#define LR_PENDING (1u << 28)
#define LR_ACTIVE (2u << 28)
#define LR_GRP1 (1u << 30)
#define LR_HW (1u << 31)
#define LR_EOI (1u << 19)
#define LR_PRIO(p) ((uint32_t)(p) >> 3 << 23)
#define LR_PID(n) ((uint32_t)(n) << 10)

enum { IRQ, FIQ, VIRQ, VFIQ };

static Machine *M;
static GicV2 *G;
static int level[2][4];

static void rec_set(void *opaque, int n, int lv)
{
    (void)opaque;
    level[n >> 2][n & 3] = lv;
}

static void setup(void)
{
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    cfg.ram_size = 1ULL << 20;
    char *err = NULL;
    M = machine_new(&cfg, 0x40000000ULL, &err);
    machine_config_free(&cfg);
    cr_assert_not_null(M, "machine_new: %s", err ? err : "?");
    GicV2Map map = { DIST, CPUIF, VCTRL, VCPU };
    G = gicv2_new(M, 2, &map);
    cr_assert_not_null(G);
    memset(level, 0, sizeof level);
    for (int c = 0; c < 2; c++)
        gicv2_connect_cpu(G, c, (IrqLine){ rec_set, NULL, c * 4 + IRQ }, (IrqLine){ rec_set, NULL, c * 4 + FIQ },
                          (IrqLine){ rec_set, NULL, c * 4 + VIRQ }, (IrqLine){ rec_set, NULL, c * 4 + VFIQ });
}

static void teardown(void)
{
    gicv2_free(G);
    machine_free(M);
}

TestSuite(gicv2, .init = setup, .fini = teardown);

/* ---- helpers: accesses as core `cpu` ---- */
static uint32_t rd(int cpu, uint64_t base, uint64_t off)
{
    uint64_t v = 0;
    M->running_cpu = cpu;
    cr_assert(bus_read(&M->bus, base + off, 4, &v));
    M->running_cpu = -1;
    return (uint32_t)v;
}
static void wr(int cpu, uint64_t base, uint64_t off, uint32_t v)
{
    M->running_cpu = cpu;
    cr_assert(bus_write(&M->bus, base + off, 4, v));
    M->running_cpu = -1;
}
static void wr8(int cpu, uint64_t base, uint64_t off, uint8_t v)
{
    M->running_cpu = cpu;
    cr_assert(bus_write(&M->bus, base + off, 1, v));
    M->running_cpu = -1;
}

/* Distributor and both CPU interfaces on, Group 0, everything unmasked. */
static void gic_on(void)
{
    wr(0, DIST, 0x000, 1);
    for (int c = 0; c < 2; c++) {
        wr(c, CPUIF, CTLR, 1);
        wr(c, CPUIF, PMR, 0xff);
    }
}

static void spi(int n, uint8_t prio, uint8_t targets)
{
    wr8(0, DIST, 0x400 + n, prio);
    wr8(0, DIST, 0x800 + n, targets);
    wr(0, DIST, 0x100 + 4 * (n / 32), 1u << (n % 32));
}

Test(gicv2, state_descriptions_cover_every_byte)
{
    char *err = NULL;
    cr_expect(state_check_coverage(&gicv2_state_desc, &err), "%s", err ? err : "");
    g_free(err);
    err = NULL;
    cr_expect(state_check_coverage(&gicv2_cpu_state_desc, &err), "%s", err ? err : "");
    g_free(err);
    err = NULL;
    cr_expect(state_check_validity_declared(&gicv2_state_desc, &err), "%s", err ? err : "");
    g_free(err);
    err = NULL;
    cr_expect(state_check_validity_declared(&gicv2_cpu_state_desc, &err), "%s", err ? err : "");
    g_free(err);
}

Test(gicv2, identification)
{
    cr_assert_eq(rd(0, DIST, 0x004), 8u | (1u << 5), "ITLinesNumber 8 (288 INTIDs), two cores");
    cr_assert_eq(rd(0, DIST, 0xfe8) >> 4 & 0xf, 2, "PIDR2.ArchRev = 2");
    cr_assert_eq(rd(0, CPUIF, 0xfc) >> 16 & 0xf, 2, "GICC_IIDR.ArchitectureVersion = 2");
    cr_assert_eq(rd(0, VCTRL, VTR), 0x90000003u, "four list registers, 5 priority bits");
    /* the banked ITARGETSR of the SGIs and PPIs name the reading core */
    cr_assert_eq(rd(0, DIST, 0x800), 0x01010101u);
    cr_assert_eq(rd(1, DIST, 0x81c), 0x02020202u);
    cr_assert_eq(rd(0, DIST, 0xc00), 0xaaaaaaaau, "SGIs are edge-triggered");
}

Test(gicv2, spi_targets_ack_and_eoi)
{
    gic_on();
    spi(40, 0x80, 2);                        /* to core 1 only */
    gicv2_set_spi(G, 40, 1);
    cr_assert_eq(level[0][IRQ], 0);
    cr_assert_eq(level[1][IRQ], 1);
    cr_assert_eq(rd(1, CPUIF, HPPIR), 40);
    cr_assert_eq(rd(1, CPUIF, IAR), 40);
    cr_assert_eq(level[1][IRQ], 0, "active: no longer signalled");
    cr_assert_eq(rd(1, CPUIF, RPR), 0x80);
    cr_assert_eq(rd(1, DIST, 0x304) >> 8 & 1, 1, "GICD_ISACTIVER1 shows 40 active");
    wr(1, CPUIF, EOIR, 40);
    cr_assert_eq(rd(1, CPUIF, RPR), 0xff);
    cr_assert_eq(level[1][IRQ], 1, "a level interrupt still asserted is pending again");
    gicv2_set_spi(G, 40, 0);
    cr_assert_eq(level[1][IRQ], 0);
}

Test(gicv2, sgi_sources_and_filters)
{
    gic_on();
    wr(0, DIST, 0xf00, (2u << 16) | 3);      /* core 0: SGI 3 to the list {1} */
    wr(1, DIST, 0xf00, (2u << 24) | 3);      /* core 1: SGI 3 to itself */
    cr_assert_eq(rd(1, DIST, 0xf20) >> 24 & 0xff, 0x3, "SPENDSGIR: SGI 3 pending from cores 0 and 1");
    cr_assert_eq(rd(1, CPUIF, IAR), 3, "lowest source first: core 0 (CPUID 0)");
    wr(1, CPUIF, EOIR, 3);
    cr_assert_eq(rd(1, CPUIF, IAR), (1u << 10) | 3, "then core 1 (CPUID 1 in bits 12:10)");
    wr(1, CPUIF, EOIR, (1u << 10) | 3);
    cr_assert_eq(rd(1, CPUIF, IAR), 1023);
    wr(1, DIST, 0xf00, (1u << 24) | 5);      /* all but self */
    cr_assert_eq(level[0][IRQ], 1);
    cr_assert_eq(level[1][IRQ], 0);
    cr_assert_eq(rd(0, CPUIF, IAR), (1u << 10) | 5);
}

Test(gicv2, priority_preemption_and_bpr)
{
    gic_on();
    spi(33, 0xa0, 1);
    spi(34, 0x90, 1);
    spi(35, 0x40, 1);
    gicv2_set_spi(G, 33, 1);
    cr_assert_eq(rd(0, CPUIF, IAR), 33);
    gicv2_set_spi(G, 34, 1);
    /* BPR 2: group priority is bits [7:3]: 0x90 preempts 0xa0 */
    cr_assert_eq(level[0][IRQ], 1);
    wr(0, CPUIF, EOIR, 33);
    gicv2_set_spi(G, 34, 0);
    wr(0, CPUIF, BPR, 5);                    /* group priority bits [7:6]: 0x90 ~ 0xa0 (0x80) */
    cr_assert_eq(rd(0, CPUIF, IAR), 33);
    gicv2_set_spi(G, 34, 1);
    cr_assert_eq(level[0][IRQ], 0, "same group priority: no preemption");
    gicv2_set_spi(G, 35, 1);
    cr_assert_eq(level[0][IRQ], 1, "0x40 preempts");
    cr_assert_eq(rd(0, CPUIF, IAR), 35);
    cr_assert_eq(rd(0, CPUIF, APR0), (1u << (0x40 >> 3)) | (1u << (0x80 >> 3)));
    gicv2_set_spi(G, 35, 0);
    gicv2_set_spi(G, 33, 0);
    wr(0, CPUIF, EOIR, 35);
    wr(0, CPUIF, EOIR, 33);
    cr_assert_eq(rd(0, CPUIF, IAR), 34);
}

Test(gicv2, group1_ackctl_fiqen)
{
    wr(0, DIST, 0x000, 3);
    wr(0, CPUIF, CTLR, 3 | (1u << 3));       /* both groups, FIQEn */
    wr(0, CPUIF, PMR, 0xff);
    spi(50, 0x80, 1);
    spi(51, 0x80, 1);
    wr(0, DIST, 0x080 + 4, 1u << (50 - 32)); /* 50: Group 1 */
    gicv2_set_spi(G, 51, 1);
    cr_assert_eq(level[0][FIQ], 1, "Group 0 with FIQEn: FIQ");
    cr_assert_eq(rd(0, CPUIF, IAR), 51);
    wr(0, CPUIF, EOIR, 51);
    gicv2_set_spi(G, 51, 0);
    gicv2_set_spi(G, 50, 1);
    cr_assert_eq(level[0][IRQ], 1, "Group 1: IRQ");
    cr_assert_eq(rd(0, CPUIF, IAR), 1022, "Group 1 with AckCtl = 0");
    cr_assert_eq(rd(0, CPUIF, AIAR), 50, "the alias acknowledges Group 1");
}

Test(gicv2, eoimode_split_and_dir)
{
    gic_on();
    wr(0, CPUIF, CTLR, 1 | (1u << 9));
    spi(60, 0x80, 1);
    wr(0, DIST, 0x200 + 4, 1u << (60 - 32)); /* ISPENDR */
    cr_assert_eq(rd(0, CPUIF, IAR), 60);
    wr(0, CPUIF, EOIR, 60);
    cr_assert_eq(rd(0, CPUIF, RPR), 0xff, "priority dropped");
    cr_assert_eq(rd(0, DIST, 0x304) >> (60 - 32) & 1, 1, "still active until DIR");
    wr(0, CPUIF, CDIR, 60);
    cr_assert_eq(rd(0, DIST, 0x304) >> (60 - 32) & 1, 0);
}

Test(gicv2, virtual_interface_and_maintenance)
{
    gic_on();
    wr(0, DIST, 0x100, 1u << 25);            /* maintenance PPI enabled */
    wr(0, VCTRL, HCR, 1);
    wr(0, VCPU, CTLR, 1);                    /* the guest: virtual Group 0 on */
    wr(0, VCPU, PMR, 0xf8);
    wr(0, VCTRL, LR0, LR_PENDING | LR_PRIO(0xa0) | LR_EOI | 42);
    cr_assert_eq(rd(0, VCTRL, VMCR) & 1, 1, "GICV_CTLR lives in GICH_VMCR");
    cr_assert_eq(level[0][VIRQ], 1);
    cr_assert_eq(level[1][VIRQ], 0, "banked per core");
    cr_assert_eq(rd(0, VCTRL, ELRSR), 0xe);
    cr_assert_eq(rd(0, VCPU, IAR), 42);
    cr_assert_eq(rd(0, VCTRL, LR0) >> 28 & 3, 2, "active");
    cr_assert_eq(level[0][VIRQ], 0);
    cr_assert_eq(level[0][IRQ], 0);
    wr(0, VCPU, EOIR, 42);
    cr_assert_eq(rd(0, VCTRL, EISR), 1);
    cr_assert_eq(rd(0, VCTRL, MISR), 1, "MISR.EOI");
    cr_assert_eq(level[0][IRQ], 1, "maintenance interrupt");
    cr_assert_eq(rd(0, CPUIF, IAR), 25);
    wr(0, VCTRL, LR0, 0);
    cr_assert_eq(rd(0, VCTRL, MISR), 0);
    wr(0, CPUIF, EOIR, 25);
    /* an EOI that drops a priority but matches no list register: EOICount (5.3.1); one
     * that drops none does not count */
    wr(0, VCTRL, LR0, LR_PENDING | LR_PRIO(0x90) | 43);
    cr_assert_eq(rd(0, VCPU, IAR), 43);
    wr(0, VCPU, EOIR, 77);
    cr_assert_eq(rd(0, VCTRL, HCR) >> 27, 1);
    wr(0, VCPU, EOIR, 78);
    cr_assert_eq(rd(0, VCTRL, HCR) >> 27, 1);
}

Test(gicv2, hw_list_register_deactivates_physical)
{
    gic_on();
    wr(0, CPUIF, CTLR, 1 | (1u << 9));       /* the hypervisor: EOImode 1 */
    spi(48, 0x80, 1);
    gicv2_set_spi(G, 48, 1);
    cr_assert_eq(rd(0, CPUIF, IAR), 48);
    wr(0, CPUIF, EOIR, 48);                  /* drop only */
    wr(0, VCTRL, HCR, 1);
    wr(0, VCPU, CTLR, 1);
    wr(0, VCPU, PMR, 0xf8);
    wr(0, VCTRL, LR0, LR_HW | LR_PID(48) | LR_PENDING | LR_PRIO(0x80) | 48);
    cr_assert_eq(rd(0, VCPU, IAR), 48);
    cr_assert_eq(rd(0, DIST, 0x304) >> (48 - 32) & 1, 1);
    wr(0, VCPU, EOIR, 48);
    cr_assert_eq(rd(0, DIST, 0x304) >> (48 - 32) & 1, 0, "the physical interrupt is deactivated");
    cr_assert_eq(rd(0, VCTRL, ELRSR), 0xf);
}

Test(gicv2, reset_and_state_hash)
{
    gic_on();
    spi(40, 0x80, 1);
    gicv2_set_spi(G, 40, 1);
    char h1[65], h2[65];
    machine_state_hash(M, h1);
    wr(1, CPUIF, PMR, 0x10);
    machine_state_hash(M, h2);
    cr_assert_str_neq(h1, h2, "the banked CPU interface is part of the state");
    wr(0, VCTRL, LR0, LR_PENDING | 1);
    char h3[65];
    machine_state_hash(M, h3);
    cr_assert_str_neq(h2, h3, "the list registers are part of the state");
    gicv2_reset(G);
    cr_assert_eq(level[0][IRQ], 0);
    cr_assert_eq(rd(0, DIST, 0x000), 0);
    cr_assert_eq(rd(0, CPUIF, BPR), 2);
}

Test(gicv2, bad_sizes_and_offsets_are_raz_wi)
{
    uint64_t v = 0x1234;
    M->running_cpu = 0;
    cr_assert(bus_read(&M->bus, DIST + 0x004, 2, &v));
    cr_assert_eq(v, 0, "16-bit GICD_TYPER: RAZ");
    cr_assert(bus_write(&M->bus, DIST + 0x000, 8, 3));
    cr_assert(bus_read(&M->bus, CPUIF + IAR, 8, &v));
    cr_assert_eq(v, 0, "64-bit GICC_IAR: RAZ, nothing acknowledged");
    cr_assert(bus_write(&M->bus, VCTRL + LR0 + 1, 4, 0xffffffff));
    M->running_cpu = -1;
    cr_assert_eq(rd(0, DIST, 0x000), 0, "the 64-bit GICD_CTLR write was ignored");
    cr_assert_eq(rd(0, VCTRL, LR0), 0, "the misaligned LR write was ignored");
    wr(0, VCTRL, LR0 + 4 * 4, LR_PENDING | 5);   /* GICH_LR4: not implemented */
    cr_assert_eq(rd(0, VCTRL, LR0 + 4 * 4), 0);
    cr_assert_eq(rd(0, VCTRL, ELRSR), 0xf);
    wr(0, DIST, 0xf00, (3u << 24) | 1);      /* reserved TargetListFilter: no SGI */
    cr_assert_eq(rd(0, DIST, 0xf20), 0);
    cr_assert_eq(rd(1, DIST, 0xf20), 0);
    wr8(0, DIST, 0x800 + 5, 0x2);            /* SGI targets are read-only */
    cr_assert_eq(rd(0, DIST, 0x804), 0x01010101u);
    wr(0, DIST, 0x180, 0xffffffffu);         /* SGIs cannot be disabled (GIC-400) */
    cr_assert_eq(rd(0, DIST, 0x100) & 0xffff, 0xffff);
}
