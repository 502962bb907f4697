/* GICv3: distributor, redistributors, the ICC_* CPU interface and the ICH_* and ICV_*
 * virtualization (IHI 0069), driven through the bus and the System-register entry point with
 * two cores whose four outputs are recorded. */
#include <criterion/criterion.h>
#include <string.h>
#include "core/machine.h"
#include "devices/gicv3.h"

#define DIST 0x08000000ULL
#define REDIST 0x080A0000ULL
#define SGI_FRAME 0x10000ULL

/* op0:op1:CRn:CRm:op2, the layout of A64_SYSREG_KEY */
#define K(op0, op1, crn, crm, op2) ((uint32_t)(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2)))
#define ICC_PMR K(3, 0, 4, 6, 0)
#define ICC_IAR0 K(3, 0, 12, 8, 0)
#define ICC_EOIR0 K(3, 0, 12, 8, 1)
#define ICC_IAR1 K(3, 0, 12, 12, 0)
#define ICC_EOIR1 K(3, 0, 12, 12, 1)
#define ICC_HPPIR1 K(3, 0, 12, 12, 2)
#define ICC_BPR1 K(3, 0, 12, 12, 3)
#define ICC_CTLR K(3, 0, 12, 12, 4)
#define ICC_SRE K(3, 0, 12, 12, 5)
#define ICC_SRE_EL2 K(3, 4, 12, 9, 5)
#define ICC_IGRPEN0 K(3, 0, 12, 12, 6)
#define ICC_IGRPEN1 K(3, 0, 12, 12, 7)
#define ICC_DIR K(3, 0, 12, 11, 1)
#define ICC_RPR K(3, 0, 12, 11, 3)
#define ICC_SGI1R K(3, 0, 12, 11, 5)
#define ICC_SGI0R K(3, 0, 12, 11, 7)
#define ICC_AP1R0 K(3, 0, 12, 9, 0)
#define ICC_AP1R1 K(3, 0, 12, 9, 1)
#define ICH_HCR K(3, 4, 12, 11, 0)
#define ICH_VTR K(3, 4, 12, 11, 1)
#define ICH_MISR K(3, 4, 12, 11, 2)
#define ICH_EISR K(3, 4, 12, 11, 3)
#define ICH_ELRSR K(3, 4, 12, 11, 5)
#define ICH_VMCR K(3, 4, 12, 11, 7)
#define ICH_AP1R0 K(3, 4, 12, 9, 0)
#define ICH_LR(n) K(3, 4, 12, 12 + ((n) >> 3), (n) & 7)

#define LR_PENDING (1ull << 62)
#define LR_ACTIVE (2ull << 62)
#define LR_HW (1ull << 61)
#define LR_GROUP1 (1ull << 60)
#define LR_EOI (1ull << 41)
#define LR_PRIO(p) ((uint64_t)(p) << 48)
#define LR_PINTID(n) ((uint64_t)(n) << 32)

enum { IRQ, FIQ, VIRQ, VFIQ };

static Machine *M;
static GicV3 *G;
static int level[2][4];
static int changes;

static void rec_set(void *opaque, int n, int lv)
{
    (void)opaque;
    level[n >> 2][n & 3] = lv;
    changes++;
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
    uint64_t mpidr[2] = { 0x80000000ULL, 0x80000001ULL };
    G = gicv3_new(M, 2, mpidr, DIST, REDIST);
    cr_assert_not_null(G);
    memset(level, 0, sizeof level);
    for (int c = 0; c < 2; c++)
        gicv3_connect_cpu(G, c, (IrqLine){ rec_set, NULL, c * 4 + IRQ }, (IrqLine){ rec_set, NULL, c * 4 + FIQ },
                          (IrqLine){ rec_set, NULL, c * 4 + VIRQ }, (IrqLine){ rec_set, NULL, c * 4 + VFIQ });
    changes = 0;
}

static void teardown(void)
{
    gicv3_free(G);
    machine_free(M);
}

TestSuite(gicv3, .init = setup, .fini = teardown);

/* ---- helpers ---- */
static uint32_t dr(uint64_t off)
{
    uint64_t v = 0;
    cr_assert(bus_read(&M->bus, DIST + off, 4, &v));
    return (uint32_t)v;
}
static void dw(uint64_t off, uint64_t v)
{
    cr_assert(bus_write(&M->bus, DIST + off, 4, v));
}
static uint64_t rr(int cpu, uint64_t off, unsigned size)
{
    uint64_t v = 0;
    cr_assert(bus_read(&M->bus, REDIST + cpu * 0x20000ULL + off, size, &v));
    return v;
}
static void rw(int cpu, uint64_t off, uint32_t v)
{
    cr_assert(bus_write(&M->bus, REDIST + cpu * 0x20000ULL + off, 4, v));
}

static GicV3SysregResult acc(int cpu, int el, bool imo, uint32_t key, bool w, uint64_t *v)
{
    GicV3CpuCtx ctx = { .el = el, .imo = imo, .fmo = imo };
    return gicv3_sysreg_access(G, cpu, key, w, v, &ctx);
}
static uint64_t sr(int cpu, uint32_t key)        /* EL1, physical */
{
    uint64_t v = 0;
    cr_assert_eq(acc(cpu, 1, false, key, false, &v), GICV3_SYSREG_OK, "read key %#x", key);
    return v;
}
static void sw(int cpu, uint32_t key, uint64_t v)
{
    cr_assert_eq(acc(cpu, 1, false, key, true, &v), GICV3_SYSREG_OK, "write key %#x", key);
}
static uint64_t hr(int cpu, uint32_t key)        /* EL2 */
{
    uint64_t v = 0;
    cr_assert_eq(acc(cpu, 2, false, key, false, &v), GICV3_SYSREG_OK, "EL2 read key %#x", key);
    return v;
}
static void hw(int cpu, uint32_t key, uint64_t v)
{
    cr_assert_eq(acc(cpu, 2, false, key, true, &v), GICV3_SYSREG_OK, "EL2 write key %#x", key);
}
static uint64_t vr(int cpu, uint32_t key)        /* EL1 with HCR_EL2.IMO/FMO: ICV_* */
{
    uint64_t v = 0;
    cr_assert_eq(acc(cpu, 1, true, key, false, &v), GICV3_SYSREG_OK, "ICV read key %#x", key);
    return v;
}
static void vw(int cpu, uint32_t key, uint64_t v)
{
    cr_assert_eq(acc(cpu, 1, true, key, true, &v), GICV3_SYSREG_OK, "ICV write key %#x", key);
}

/* Distributor on with both groups, cores awake, both groups enabled, PMR open. */
static void gic_on(void)
{
    dw(0x0000, 3);
    for (int c = 0; c < 2; c++) {
        rw(c, 0x0014, 0);
        sw(c, ICC_PMR, 0xff);
        sw(c, ICC_IGRPEN0, 1);
        sw(c, ICC_IGRPEN1, 1);
    }
}

static void spi_config(int intid, int group, uint8_t prio, int cpu, bool edge)
{
    uint32_t bit = 1u << (intid % 32);
    uint64_t w = (intid / 32) * 4;
    uint32_t grp = dr(0x0080 + w);
    dw(0x0080 + w, group ? grp | bit : grp & ~bit);
    cr_assert(bus_write(&M->bus, DIST + 0x0400 + intid, 1, prio));
    uint64_t cfg_off = 0x0c00 + (intid / 16) * 4;
    uint32_t cfg = dr(cfg_off);
    uint32_t eb = 2u << (2 * (intid % 16));
    dw(cfg_off, edge ? cfg | eb : cfg & ~eb);
    cr_assert(bus_write(&M->bus, DIST + 0x6000 + 8ULL * intid, 8, (uint64_t)cpu));
    dw(0x0100 + w, bit);
}

static void ppi_config(int cpu, int intid, int group, uint8_t prio)
{
    uint32_t grp = (uint32_t)rr(cpu, SGI_FRAME + 0x0080, 4);
    rw(cpu, SGI_FRAME + 0x0080, group ? grp | (1u << intid) : grp & ~(1u << intid));
    cr_assert(bus_write(&M->bus, REDIST + cpu * 0x20000ULL + SGI_FRAME + 0x0400 + intid, 1, prio));
    rw(cpu, SGI_FRAME + 0x0100, 1u << intid);
}

static bool spi_active(int intid)
{
    return (dr(0x0300 + (intid / 32) * 4) >> (intid % 32)) & 1;
}
static bool spi_pending(int intid)
{
    return (dr(0x0200 + (intid / 32) * 4) >> (intid % 32)) & 1;
}

/* ---- distributor and redistributor registers ---- */

Test(gicv3, identification_and_typer)
{
    uint32_t typer = dr(0x0004);
    cr_assert_eq(typer & 0x1f, 8, "ITLinesNumber for 288 INTIDs");
    cr_assert_eq(32 * ((typer & 0x1f) + 1), 288);
    cr_assert_eq((typer >> 19) & 0x1f, 9, "IDbits");
    cr_assert_eq((typer >> 17) & 1, 0, "no LPIs");
    cr_assert_eq(dr(0x0008) & 0xfff, 0x43b, "IIDR implementer Arm");
    cr_assert_eq((dr(0xffe8) >> 4) & 0xf, 3, "GICD_PIDR2.ArchRev");
    cr_assert_eq((rr(1, 0xffe8, 4) >> 4) & 0xf, 3, "GICR_PIDR2.ArchRev");
    uint32_t ctlr = dr(0x0000);
    cr_assert_eq(ctlr & 0x50, 0x50, "DS and ARE RAO");
    dw(0x0000, 0);
    cr_assert_eq(dr(0x0000), 0x50, "DS/ARE ignore writes, groups off");
    dw(0x0000, 3);
    cr_assert_eq(dr(0x0000), 0x53);
    /* ICC_SRE_EL1.SRE fixed at 1, ICC_CTLR_EL1.PRIbits = 4 (5 bits) */
    cr_assert_eq(sr(0, ICC_SRE) & 1, 1);
    sw(0, ICC_SRE, 0);
    cr_assert_eq(sr(0, ICC_SRE) & 1, 1);
    cr_assert_eq((sr(0, ICC_CTLR) >> 8) & 7, 4);
}

Test(gicv3, redistributor_typer_and_last)
{
    uint64_t t0 = rr(0, 0x0008, 8), t1 = rr(1, 0x0008, 8);
    cr_assert_eq(t0 >> 32, 0, "cpu0 affinity");
    cr_assert_eq(t1 >> 32, 1, "cpu1 affinity (Aff0 = 1)");
    cr_assert_eq((t0 >> 8) & 0xffff, 0);
    cr_assert_eq((t1 >> 8) & 0xffff, 1, "Processor_Number");
    cr_assert_eq(t0 & 0x10, 0, "cpu0 not Last");
    cr_assert_eq(t1 & 0x10, 0x10, "cpu1 Last");
    cr_assert_eq(rr(1, 0x0008, 4), (uint32_t)t1, "32-bit low half");
    cr_assert_eq(rr(1, 0x000c, 4), t1 >> 32, "32-bit high half");
}

Test(gicv3, waker_handshake)
{
    cr_assert_eq(rr(0, 0x0014, 4) & 6, 6, "asleep at reset: ProcessorSleep and ChildrenAsleep");
    rw(0, 0x0014, 0);
    cr_assert_eq(rr(0, 0x0014, 4) & 6, 0, "ChildrenAsleep follows ProcessorSleep = 0");
    cr_assert_eq(rr(1, 0x0014, 4) & 6, 6, "cpu1 untouched");
    rw(0, 0x0014, 2);
    cr_assert_eq(rr(0, 0x0014, 4) & 6, 6);
}

Test(gicv3, bad_offsets_and_sizes_are_raz_wi)
{
    dw(0x0000, 3);
    uint64_t v = 0;
    cr_assert(bus_write(&M->bus, DIST + 0x0000, 8, 0));     /* 64-bit access to a 32-bit register */
    cr_assert_eq(dr(0x0000) & 3, 3, "ignored");
    cr_assert(bus_read(&M->bus, DIST + 0x0001, 1, &v));
    cr_assert_eq(v, 0);
    cr_assert(bus_read(&M->bus, DIST + 0x5000, 4, &v));
    cr_assert_eq(v, 0);
    dw(0x5000, 0xffffffff);
    dw(0x0080, 0xffffffff);                                  /* IGROUPR0: banked, RAZ/WI with ARE */
    cr_assert_eq(dr(0x0080), 0);
    dw(0x0d04, 0xffffffff);                                  /* IGRPMODR: RAZ/WI with DS = 1 */
    cr_assert_eq(dr(0x0d04), 0);
    cr_assert(bus_write(&M->bus, DIST + 0x0400 + 300, 1, 0x80));   /* beyond the last INTID */
    cr_assert(bus_read(&M->bus, DIST + 0x0400 + 300, 1, &v));
    cr_assert_eq(v, 0);
    cr_assert(bus_write(&M->bus, REDIST + 0x10000 + 0x0100, 2, 0xffff));   /* halfword: WI */
    cr_assert_eq(rr(0, SGI_FRAME + 0x0100, 4), 0);
    cr_assert(bus_write(&M->bus, REDIST + 0x7000, 4, 1));
    cr_assert_eq(rr(0, 0x7000, 4), 0);
    cr_assert_eq(level[0][IRQ] | level[1][IRQ], 0);
}

Test(gicv3, priority_byte_and_word_access)
{
    cr_assert(bus_write(&M->bus, DIST + 0x0400 + 40, 4, 0x12345678));
    cr_assert_eq(dr(0x0400 + 40), 0x10305078, "5 implemented priority bits");
    uint64_t v = 0;
    cr_assert(bus_read(&M->bus, DIST + 0x0400 + 42, 1, &v));
    cr_assert_eq(v, 0x30);
    cr_assert(bus_write(&M->bus, REDIST + SGI_FRAME + 0x0400 + 27, 1, 0xa5));
    cr_assert_eq(rr(0, SGI_FRAME + 0x0418, 4) >> 24, 0xa0);
}

/* ---- physical delivery ---- */

Test(gicv3, spi_routed_ack_eoi)
{
    gic_on();
    spi_config(40, 1, 0x80, 1, false);
    cr_assert_eq(level[1][IRQ], 0);
    gicv3_set_spi(G, 40, 1);
    cr_assert_eq(level[1][IRQ], 1, "IROUTER = cpu1");
    cr_assert_eq(level[0][IRQ], 0);
    cr_assert_eq(level[1][FIQ], 0, "group 1 is IRQ");
    cr_assert_eq(sr(1, ICC_HPPIR1), 40);
    cr_assert_eq(sr(0, ICC_IAR1), 1023, "not routed to cpu0");
    cr_assert_eq(sr(1, ICC_IAR1), 40);
    cr_assert_eq(level[1][IRQ], 0, "active: no longer signalled");
    cr_assert(spi_active(40));
    cr_assert_eq(sr(1, ICC_RPR), 0x80);
    cr_assert_eq(sr(1, ICC_AP1R0), 1u << (0x80 >> 3));
    gicv3_set_spi(G, 40, 0);
    sw(1, ICC_EOIR1, 40);
    cr_assert_eq(sr(1, ICC_RPR), 0xff, "priority dropped");
    cr_assert(!spi_active(40), "deactivated (EOImode 0)");
    cr_assert_eq(level[1][IRQ], 0);
    /* disabling the distributor group or the SPI masks it */
    gicv3_set_spi(G, 40, 1);
    cr_assert_eq(level[1][IRQ], 1);
    dw(0x0180 + 4, 1u << 8);
    cr_assert_eq(level[1][IRQ], 0, "ICENABLER");
    dw(0x0100 + 4, 1u << 8);
    dw(0x0000, 1);
    cr_assert_eq(level[1][IRQ], 0, "EnableGrp1 = 0");
}

Test(gicv3, priority_order_and_pmr)
{
    gic_on();
    spi_config(33, 1, 0x80, 0, true);
    spi_config(34, 1, 0x40, 0, true);
    sw(0, ICC_PMR, 0x40);
    gicv3_set_spi(G, 33, 1);
    gicv3_set_spi(G, 34, 1);
    cr_assert_eq(level[0][IRQ], 0, "0x40 not higher than PMR 0x40");
    cr_assert_eq(sr(0, ICC_IAR1), 1023);
    cr_assert_eq(sr(0, ICC_HPPIR1), 34, "HPPIR ignores the PMR");
    sw(0, ICC_PMR, 0x48);
    cr_assert_eq(level[0][IRQ], 1);
    cr_assert_eq(sr(0, ICC_IAR1), 34, "higher priority first");
    cr_assert_eq(level[0][IRQ], 0, "0x80 masked by PMR 0x48");
    sw(0, ICC_EOIR1, 34);
    sw(0, ICC_PMR, 0xff);
    cr_assert_eq(level[0][IRQ], 1);
    cr_assert_eq(sr(0, ICC_IAR1), 33);
    sw(0, ICC_EOIR1, 33);
    cr_assert_eq(sr(0, ICC_IAR1), 1023);
}

Test(gicv3, equal_priority_lowest_intid_wins)
{
    gic_on();
    spi_config(45, 1, 0x60, 0, true);
    spi_config(44, 1, 0x60, 0, true);
    gicv3_set_spi(G, 45, 1);
    gicv3_set_spi(G, 44, 1);
    cr_assert_eq(sr(0, ICC_IAR1), 44);
}

Test(gicv3, preemption_by_group_priority_with_bpr)
{
    gic_on();
    spi_config(33, 1, 0xa0, 0, true);
    spi_config(34, 1, 0x90, 0, true);
    spi_config(35, 1, 0x70, 0, true);
    gicv3_set_spi(G, 33, 1);
    cr_assert_eq(sr(0, ICC_BPR1), 3, "Non-secure BPR1 minimum");
    sw(0, ICC_BPR1, 6);               /* group priority = bits [7:6] */
    cr_assert_eq(sr(0, ICC_BPR1), 6);
    cr_assert_eq(sr(0, ICC_IAR1), 33);
    cr_assert_eq(sr(0, ICC_RPR), 0x80, "running priority is the group priority");
    gicv3_set_spi(G, 34, 1);
    cr_assert_eq(level[0][IRQ], 0, "0x90 is in the same priority group as 0xa0");
    cr_assert_eq(sr(0, ICC_IAR1), 1023);
    gicv3_set_spi(G, 35, 1);
    cr_assert_eq(level[0][IRQ], 1, "0x70 is in a higher group: preempts");
    cr_assert_eq(sr(0, ICC_IAR1), 35);
    cr_assert_eq(sr(0, ICC_RPR), 0x40);
    sw(0, ICC_EOIR1, 35);
    sw(0, ICC_EOIR1, 33);
    /* with the minimum BPR every priority bit is group priority: 0x90 preempts 0xa0 */
    sw(0, ICC_BPR1, 0);
    cr_assert_eq(sr(0, ICC_BPR1), 3, "writes below the minimum give the minimum");
    gicv3_set_spi(G, 33, 0);
    gicv3_set_spi(G, 33, 1);
    gicv3_set_spi(G, 34, 0);
    cr_assert_eq(sr(0, ICC_IAR1), 34, "34 still pending from before");
    sw(0, ICC_EOIR1, 34);
    cr_assert_eq(sr(0, ICC_IAR1), 33);
    cr_assert_eq(sr(0, ICC_RPR), 0xa0);
    gicv3_set_spi(G, 34, 1);
    cr_assert_eq(level[0][IRQ], 1);
    cr_assert_eq(sr(0, ICC_IAR1), 34);
}

Test(gicv3, level_versus_edge)
{
    gic_on();
    spi_config(50, 1, 0x80, 0, false);   /* level */
    spi_config(51, 1, 0x80, 0, true);    /* edge */
    cr_assert_eq((dr(0x0c00 + 12) >> (2 * 3 + 1)) & 1, 1, "ICFGR edge bit for 51");
    gicv3_set_spi(G, 50, 1);
    cr_assert_eq(sr(0, ICC_IAR1), 50);
    cr_assert(spi_pending(50) && spi_active(50), "level still asserted: active and pending");
    dw(0x0280 + 4, 1u << 18);                              /* ICPENDR: the input still holds it */
    cr_assert(spi_pending(50));
    gicv3_set_spi(G, 50, 0);
    cr_assert(!spi_pending(50), "level interrupt follows its input");
    sw(0, ICC_EOIR1, 50);
    /* edge: a pulse latches */
    gicv3_set_spi(G, 51, 1);
    gicv3_set_spi(G, 51, 0);
    cr_assert(spi_pending(51));
    cr_assert_eq(level[0][IRQ], 1);
    cr_assert_eq(sr(0, ICC_IAR1), 51);
    cr_assert(!spi_pending(51), "acknowledge clears the edge latch");
    gicv3_set_spi(G, 51, 1);
    cr_assert(spi_pending(51) && spi_active(51), "second edge while active");
    gicv3_set_spi(G, 51, 1);
    sw(0, ICC_EOIR1, 51);
    cr_assert_eq(sr(0, ICC_IAR1), 51, "one more acknowledge, not two");
    sw(0, ICC_EOIR1, 51);
    cr_assert_eq(sr(0, ICC_IAR1), 1023);
    /* software pending of a level interrupt with a low input: cleared by ICPENDR */
    dw(0x0200 + 4, 1u << 18);
    cr_assert(spi_pending(50));
    dw(0x0280 + 4, 1u << 18);
    cr_assert(!spi_pending(50));
}

Test(gicv3, sgi_target_list_and_irm)
{
    gic_on();
    for (int c = 0; c < 2; c++)
        ppi_config(c, 3, 1, 0x10);
    ppi_config(1, 5, 0, 0x10);               /* SGI 5 is group 0 on cpu1 */
    sw(0, ICC_SGI1R, (3ull << 24) | (1u << 1));   /* Aff3.2.1 = 0, target list {Aff0 = 1} */
    cr_assert_eq(level[1][IRQ], 1);
    cr_assert_eq(level[0][IRQ], 0);
    cr_assert_eq(rr(1, SGI_FRAME + 0x0200, 4) & (1u << 3), 1u << 3, "GICR_ISPENDR0");
    cr_assert_eq(sr(1, ICC_IAR1), 3);
    sw(1, ICC_EOIR1, 3);
    /* IRM = 1: every core but the sender */
    sw(1, ICC_SGI1R, (3ull << 24) | (1ull << 40));
    cr_assert_eq(level[0][IRQ], 1);
    cr_assert_eq(level[1][IRQ], 0);
    cr_assert_eq(sr(0, ICC_IAR1), 3);
    sw(0, ICC_EOIR1, 3);
    /* a target list with a different Aff1 reaches nobody */
    sw(0, ICC_SGI1R, (3ull << 24) | (1ull << 16) | 3);
    cr_assert_eq(level[0][IRQ] | level[1][IRQ], 0);
    /* SGI0R does not raise a Group 1 SGI */
    sw(0, ICC_SGI0R, (3ull << 24) | 2);
    cr_assert_eq(level[1][IRQ] | level[1][FIQ], 0);
    /* SGI0R raises a Group 0 SGI, as FIQ */
    sw(0, ICC_SGI0R, (5ull << 24) | 2);
    cr_assert_eq(level[1][FIQ], 1);
    cr_assert_eq(sr(1, ICC_IAR0), 5);
    sw(1, ICC_EOIR0, 5);
    cr_assert_eq(level[1][FIQ], 0);
    /* with DS = 1, SGI1R reaches a Group 0 SGI too */
    sw(0, ICC_SGI1R, (5ull << 24) | 2);
    cr_assert_eq(level[1][FIQ], 1);
}

Test(gicv3, ppi_per_core)
{
    gic_on();
    ppi_config(1, 27, 1, 0x20);
    IrqLine l = gicv3_ppi_line(G, 1, 27);
    irq_set(&l, 1);
    cr_assert_eq(level[1][IRQ], 1);
    cr_assert_eq(level[0][IRQ], 0, "PPIs are private");
    cr_assert_eq(sr(1, ICC_IAR1), 27);
    irq_set(&l, 0);
    sw(1, ICC_EOIR1, 27);
    cr_assert_eq(rr(1, SGI_FRAME + 0x0300, 4), 0, "GICR_ISACTIVER0 clear");
    cr_assert_eq(level[1][IRQ], 0);
    /* PPI trigger mode is programmable in GICR_ICFGR1, SGIs are fixed edge */
    cr_assert_eq(rr(1, SGI_FRAME + 0x0c00, 4), 0xaaaaaaaa);
    rw(1, SGI_FRAME + 0x0c04, 2u << (2 * (27 - 16)));
    cr_assert_eq(rr(1, SGI_FRAME + 0x0c04, 4), 2u << (2 * (27 - 16)));
    irq_set(&l, 1);
    irq_set(&l, 0);
    cr_assert_eq(level[1][IRQ], 1, "edge PPI latched");
}

Test(gicv3, group0_is_fiq)
{
    gic_on();
    IrqLine l = gicv3_spi_line(G, 60);
    spi_config(60, 0, 0x40, 0, false);
    irq_set(&l, 1);
    cr_assert_eq(level[0][FIQ], 1);
    cr_assert_eq(level[0][IRQ], 0);
    cr_assert_eq(sr(0, ICC_IAR1), 1023, "IAR1 does not acknowledge Group 0");
    cr_assert_eq(sr(0, ICC_IAR0), 60);
    cr_assert_eq(level[0][FIQ], 0);
    irq_set(&l, 0);
    sw(0, ICC_EOIR0, 60);
    cr_assert(!spi_active(60));
    sw(0, ICC_IGRPEN0, 0);
    irq_set(&l, 1);
    cr_assert_eq(level[0][FIQ], 0, "IGRPEN0 = 0");
}

Test(gicv3, eoimode1_split_drop_and_deactivate)
{
    gic_on();
    sw(0, ICC_CTLR, 2);
    cr_assert_eq(sr(0, ICC_CTLR) & 2, 2);
    spi_config(70, 1, 0x80, 0, true);
    spi_config(71, 1, 0x80, 0, true);
    gicv3_set_spi(G, 70, 1);
    gicv3_set_spi(G, 71, 1);
    cr_assert_eq(sr(0, ICC_IAR1), 70);
    cr_assert_eq(level[0][IRQ], 0, "71 cannot preempt the same priority");
    sw(0, ICC_EOIR1, 70);
    cr_assert_eq(sr(0, ICC_RPR), 0xff, "priority dropped");
    cr_assert(spi_active(70), "but still active (EOImode = 1)");
    cr_assert_eq(level[0][IRQ], 1, "71 now signalled");
    sw(0, ICC_DIR, 70);
    cr_assert(!spi_active(70));
    cr_assert_eq(sr(0, ICC_IAR1), 71);
}

Test(gicv3, irouter_affinity_and_1_of_n)
{
    gic_on();
    spi_config(80, 1, 0x80, 0, false);
    cr_assert(bus_write(&M->bus, DIST + 0x6000 + 8 * 80, 8, 0xffffffffffffffffULL));
    uint64_t v = 0;
    cr_assert(bus_read(&M->bus, DIST + 0x6000 + 8 * 80, 8, &v));
    cr_assert_eq(v, 0xff80ffffffULL, "Aff3, IRM, Aff2..0 only");
    cr_assert(bus_write(&M->bus, DIST + 0x6000 + 8 * 80, 4, 1));         /* low half: Aff0 = 1 */
    cr_assert(bus_write(&M->bus, DIST + 0x6000 + 8 * 80 + 4, 4, 0));
    cr_assert(bus_read(&M->bus, DIST + 0x6000 + 8 * 80, 8, &v));
    cr_assert_eq(v, 1);
    gicv3_set_spi(G, 80, 1);
    cr_assert_eq(level[1][IRQ], 1);
    cr_assert_eq(level[0][IRQ], 0);
    /* no core with Aff1 = 1: nobody gets it */
    cr_assert(bus_write(&M->bus, DIST + 0x6000 + 8 * 80, 8, 0x100));
    cr_assert_eq(level[0][IRQ] | level[1][IRQ], 0);
    /* 1-of-N: lowest-numbered eligible core */
    cr_assert(bus_write(&M->bus, DIST + 0x6000 + 8 * 80, 8, 1ull << 31));
    cr_assert_eq(level[0][IRQ], 1);
    cr_assert_eq(level[1][IRQ], 0);
    rw(0, 0x0014, 2);                        /* cpu0 goes to sleep */
    cr_assert_eq(level[0][IRQ], 0);
    cr_assert_eq(level[1][IRQ], 1);
    rw(0, 0x0014, 0);
    rw(0, 0x0000, 1u << 25);                 /* cpu0 opts out of Group 1 1-of-N (DPG1NS) */
    cr_assert_eq(level[1][IRQ], 1);
    rw(0, 0x0000, 0);
    cr_assert_eq(level[0][IRQ], 1);
    cr_assert_eq(sr(0, ICC_IAR1), 80);
}

Test(gicv3, outputs_driven_only_on_change)
{
    gic_on();
    spi_config(90, 1, 0x80, 0, false);
    int before = changes;
    gicv3_set_spi(G, 90, 1);
    cr_assert_eq(changes, before + 1);
    gicv3_set_spi(G, 90, 1);
    dw(0x0000, 3);
    sr(0, ICC_PMR);
    cr_assert_eq(changes, before + 1, "no new edges without a level change");
}

/* ---- access rules ---- */

Test(gicv3, sysreg_access_rules)
{
    uint64_t v = 0;
    cr_assert_eq(acc(0, 1, false, K(3, 0, 1, 0, 0), false, &v), GICV3_SYSREG_NONE, "SCTLR_EL1");
    cr_assert_eq(acc(0, 1, false, ICH_HCR, false, &v), GICV3_SYSREG_UNDEF, "ICH_* at EL1");
    cr_assert_eq(acc(0, 0, false, ICC_PMR, false, &v), GICV3_SYSREG_UNDEF, "EL0");
    cr_assert_eq(acc(0, 1, false, ICC_IAR1, true, &v), GICV3_SYSREG_UNDEF, "IAR1 is read-only");
    cr_assert_eq(acc(0, 1, false, ICC_EOIR1, false, &v), GICV3_SYSREG_UNDEF, "EOIR1 is write-only");
    cr_assert_eq(acc(0, 1, false, ICC_AP1R1, false, &v), GICV3_SYSREG_UNDEF, "AP1R1 needs 6 bits");
    cr_assert_eq(acc(0, 1, false, ICH_LR(4), false, &v), GICV3_SYSREG_UNDEF);
    cr_assert_eq(acc(0, 2, false, ICH_LR(4), false, &v), GICV3_SYSREG_UNDEF, "ListRegs = 3");
    cr_assert_eq(acc(0, 1, true, ICC_SGI1R, true, &v), GICV3_SYSREG_TRAP_EL2, "SGI1R with IMO");
    hw(0, ICH_HCR, 1u << 12);                /* TALL1 */
    cr_assert_eq(acc(0, 1, false, ICC_IAR1, false, &v), GICV3_SYSREG_TRAP_EL2);
    cr_assert_eq(acc(0, 1, false, ICC_PMR, false, &v), GICV3_SYSREG_OK);
    hw(0, ICH_HCR, 1u << 10);                /* TC */
    cr_assert_eq(acc(0, 1, true, ICC_PMR, false, &v), GICV3_SYSREG_TRAP_EL2);
    cr_assert_eq(acc(0, 2, false, ICC_PMR, false, &v), GICV3_SYSREG_OK, "not at EL2");
    hw(0, ICH_HCR, 0);
    /* ICC_SRE_EL2.Enable = 0 traps EL1 accesses to ICC_SRE_EL1 */
    cr_assert_eq(hr(0, ICC_SRE_EL2), 0xf);
    hw(0, ICC_SRE_EL2, 0);
    cr_assert_eq(hr(0, ICC_SRE_EL2), 7, "SRE, DFB, DIB stay set");
    cr_assert_eq(acc(0, 1, false, ICC_SRE, false, &v), GICV3_SYSREG_TRAP_EL2);
    hw(0, ICC_SRE_EL2, 8);
    cr_assert_eq(acc(0, 1, false, ICC_SRE, false, &v), GICV3_SYSREG_OK);
    /* ICV_BPR1 / ICV_CTLR.CBPR live in ICH_VMCR_EL2 */
    vw(0, ICC_BPR1, 1);
    cr_assert_eq(vr(0, ICC_BPR1), 3, "virtual BPR1 minimum");
    vw(0, ICC_BPR1, 5);
    cr_assert_eq((hr(0, ICH_VMCR) >> 18) & 7, 5, "VBPR1");
    vw(0, ICC_CTLR, 1);
    cr_assert_eq(hr(0, ICH_VMCR) & (1u << 4), 1u << 4, "VCBPR");
    cr_assert_eq(vr(0, ICC_BPR1), 3, "VCBPR: BPR1 reads VBPR0 + 1");
    cr_assert_eq(sr(0, ICC_BPR1), 3, "physical BPR1 untouched");
    uint64_t vtr = hr(0, ICH_VTR);
    cr_assert_eq(vtr & 0x1f, 3, "ListRegs");
    cr_assert_eq((vtr >> 26) & 7, 4, "PREbits");
    cr_assert_eq((vtr >> 29) & 7, 4, "PRIbits");
    /* EL1 with IMO sees ICV_PMR (ICH_VMCR.VPMR), not the physical PMR */
    sw(0, ICC_PMR, 0x30);
    vw(0, ICC_PMR, 0xc8);
    cr_assert_eq(sr(0, ICC_PMR), 0x30);
    cr_assert_eq(vr(0, ICC_PMR), 0xc8);
    cr_assert_eq(hr(0, ICH_VMCR) >> 24, 0xc8);
}

/* ---- virtualization ---- */

static void virt_on(int cpu)
{
    hw(cpu, ICH_HCR, 1);                             /* En */
    hw(cpu, ICH_VMCR, (0xf8u << 24) | 2);            /* VPMR, VENG1 */
}

Test(gicv3, list_register_injection)
{
    virt_on(0);
    cr_assert_eq(hr(0, ICH_ELRSR), 0xf, "all LRs empty");
    hw(0, ICH_LR(1), LR_PENDING | LR_GROUP1 | LR_PRIO(0xa0) | 100);
    cr_assert_eq(level[0][VIRQ], 1);
    cr_assert_eq(level[0][IRQ], 0);
    cr_assert_eq(level[1][VIRQ], 0);
    cr_assert_eq(hr(0, ICH_ELRSR), 0xd);
    cr_assert_eq(vr(0, ICC_HPPIR1), 100);
    hw(0, ICH_LR(2), LR_PENDING | LR_GROUP1 | LR_PRIO(0x50) | 101);
    cr_assert_eq(vr(0, ICC_IAR1), 101, "highest priority LR first");
    cr_assert_eq(hr(0, ICH_LR(2)) >> 62, 2, "LR now active");
    cr_assert_eq(vr(0, ICC_RPR), 0x50);
    cr_assert_eq(vr(0, ICC_AP1R0), 1u << (0x50 >> 3));
    cr_assert_eq(hr(0, ICH_AP1R0), 1u << (0x50 >> 3), "ICV_AP1R0 is ICH_AP1R0_EL2");
    cr_assert_eq(level[0][VIRQ], 0, "0xa0 cannot preempt 0x50");
    vw(0, ICC_EOIR1, 101);
    cr_assert_eq(hr(0, ICH_LR(2)) >> 62, 0, "LR invalid after EOI");
    cr_assert_eq(hr(0, ICH_ELRSR), 0xd);
    cr_assert_eq(level[0][VIRQ], 1);
    cr_assert_eq(vr(0, ICC_IAR1), 100);
    vw(0, ICC_EOIR1, 100);
    cr_assert_eq(vr(0, ICC_IAR1), 1023);
    cr_assert_eq(hr(0, ICH_ELRSR), 0xf);
    /* VPMR masks, En = 0 disables */
    hw(0, ICH_LR(0), LR_PENDING | LR_GROUP1 | LR_PRIO(0x80) | 7);
    vw(0, ICC_PMR, 0x80);
    cr_assert_eq(level[0][VIRQ], 0);
    vw(0, ICC_PMR, 0xf8);
    cr_assert_eq(level[0][VIRQ], 1);
    hw(0, ICH_HCR, 0);
    cr_assert_eq(level[0][VIRQ], 0);
    cr_assert_eq(vr(0, ICC_IAR1), 1023);
    /* group 0 list registers go to vFIQ */
    hw(0, ICH_HCR, 1);
    hw(0, ICH_LR(0), 0);
    hw(0, ICH_VMCR, (0xf8u << 24) | 1);      /* VENG0 only */
    hw(0, ICH_LR(3), LR_PENDING | LR_PRIO(0x80) | 9);
    cr_assert_eq(level[0][VFIQ], 1);
    cr_assert_eq(level[0][VIRQ], 0);
    cr_assert_eq(vr(0, ICC_IAR0), 9);
}

Test(gicv3, eoi_maintenance_interrupt)
{
    gic_on();
    ppi_config(0, 25, 1, 0x00);
    virt_on(0);
    hw(0, ICH_LR(0), LR_PENDING | LR_GROUP1 | LR_EOI | LR_PRIO(0x80) | 200);
    cr_assert_eq(hr(0, ICH_EISR), 0);
    cr_assert_eq(hr(0, ICH_ELRSR), 0xe, "an LR with EOI set is not empty");
    cr_assert_eq(vr(0, ICC_IAR1), 200);
    cr_assert_eq(level[0][IRQ], 0);
    vw(0, ICC_EOIR1, 200);
    cr_assert_eq(hr(0, ICH_EISR), 1, "LR0 signals end of interrupt");
    cr_assert_eq(hr(0, ICH_MISR) & 1, 1, "MISR.EOI");
    cr_assert_eq(hr(0, ICH_ELRSR), 0xe, "still not empty until the hypervisor clears it");
    cr_assert_eq(level[0][IRQ], 1, "maintenance interrupt on PPI 25");
    cr_assert_eq(level[1][IRQ], 0);
    cr_assert_eq(sr(0, ICC_IAR1), 25);
    hw(0, ICH_LR(0), 0);
    cr_assert_eq(hr(0, ICH_MISR), 0);
    sw(0, ICC_EOIR1, 25);
    cr_assert_eq(level[0][IRQ], 0, "level maintenance interrupt went away");
    /* EOIcount: an EOI with no matching LR, LRENPIE */
    hw(0, ICH_HCR, 1 | 4);
    hw(0, ICH_LR(0), LR_PENDING | LR_GROUP1 | LR_PRIO(0x80) | 201);
    cr_assert_eq(vr(0, ICC_IAR1), 201);
    hw(0, ICH_LR(0), 0);                     /* the hypervisor took the LR away */
    cr_assert_eq(hr(0, ICH_MISR), 0);
    vw(0, ICC_EOIR1, 201);
    cr_assert_eq(hr(0, ICH_HCR) >> 27, 1, "EOIcount");
    vw(0, ICC_EOIR1, 202);
    cr_assert_eq(hr(0, ICH_HCR) >> 27, 1, "an EOI that drops no active priority does not count");
    cr_assert_eq(hr(0, ICH_MISR), 4, "MISR.LRENP");
    cr_assert_eq(level[0][IRQ], 1);
    hw(0, ICH_HCR, 1);
    cr_assert_eq(level[0][IRQ], 0);
    /* underflow: UIE with at most one valid LR; NPIE with no pending LR */
    hw(0, ICH_HCR, 1 | 2);
    cr_assert_eq(hr(0, ICH_MISR), 2, "MISR.U");
    hw(0, ICH_LR(0), LR_PENDING | LR_GROUP1 | 1);
    hw(0, ICH_LR(1), LR_PENDING | LR_GROUP1 | 2);
    cr_assert_eq(hr(0, ICH_MISR), 0);
    hw(0, ICH_HCR, 1 | 8);
    cr_assert_eq(hr(0, ICH_MISR), 0);
    hw(0, ICH_LR(0), LR_ACTIVE | LR_GROUP1 | 1);
    hw(0, ICH_LR(1), 0);
    cr_assert_eq(hr(0, ICH_MISR), 8, "MISR.NP");
    /* VGrp1E / VGrp1D */
    hw(0, ICH_HCR, 1 | 0x40 | 0x80);
    cr_assert_eq(hr(0, ICH_MISR), 0x40, "VENG1 set: VGrp1E");
    vw(0, ICC_IGRPEN1, 0);
    cr_assert_eq(hr(0, ICH_MISR), 0x80, "VGrp1D");
    cr_assert_eq(hr(0, ICH_VMCR) & 2, 0);
}

Test(gicv3, hw_list_register_deactivates_physical)
{
    gic_on();
    sw(0, ICC_CTLR, 2);                      /* the hypervisor runs with EOImode = 1 */
    spi_config(48, 1, 0x80, 0, false);
    gicv3_set_spi(G, 48, 1);
    cr_assert_eq(hr(0, ICC_IAR1), 48, "EL2 acknowledges the physical interrupt");
    hw(0, ICC_EOIR1, 48);                    /* priority drop only */
    cr_assert(spi_active(48));
    virt_on(0);
    hw(0, ICH_LR(0), LR_PENDING | LR_HW | LR_GROUP1 | LR_PINTID(48) | LR_PRIO(0x80) | 27);
    cr_assert_eq(level[0][VIRQ], 1);
    cr_assert_eq(vr(0, ICC_IAR1), 27);
    gicv3_set_spi(G, 48, 0);
    cr_assert(spi_active(48));
    vw(0, ICC_EOIR1, 27);
    cr_assert(!spi_active(48), "virtual EOI deactivated pINTID 48");
    cr_assert_eq(hr(0, ICH_LR(0)) >> 62, 0);
    cr_assert_eq(hr(0, ICH_EISR), 0, "HW LRs never set EISR");
    cr_assert_eq(hr(0, ICH_ELRSR), 0xf);
    /* VEOIM: EOIR drops priority only, ICV_DIR deactivates */
    vw(0, ICC_CTLR, 2);
    cr_assert_eq(hr(0, ICH_VMCR) & (1u << 9), 1u << 9, "ICV_CTLR.EOImode is VMCR.VEOIM");
    gicv3_set_spi(G, 48, 1);
    cr_assert_eq(hr(0, ICC_IAR1), 48);
    hw(0, ICC_EOIR1, 48);
    hw(0, ICH_LR(0), LR_PENDING | LR_HW | LR_GROUP1 | LR_PINTID(48) | LR_PRIO(0x80) | 27);
    cr_assert_eq(vr(0, ICC_IAR1), 27);
    vw(0, ICC_EOIR1, 27);
    cr_assert_eq(vr(0, ICC_RPR), 0xff);
    cr_assert_eq(hr(0, ICH_LR(0)) >> 62, 2, "still active");
    cr_assert(spi_active(48));
    vw(0, ICC_DIR, 27);
    cr_assert_eq(hr(0, ICH_LR(0)) >> 62, 0);
    cr_assert(!spi_active(48));
}

Test(gicv3, elrsr_eisr_mixed)
{
    virt_on(1);
    hw(1, ICH_LR(0), LR_PENDING | LR_GROUP1 | 1);        /* valid */
    hw(1, ICH_LR(1), LR_EOI | 2);                        /* invalid, EOI: EISR */
    hw(1, ICH_LR(2), LR_HW | LR_PINTID(40) | 3);         /* invalid HW: empty */
    hw(1, ICH_LR(3), LR_ACTIVE | LR_EOI | 4);            /* active */
    cr_assert_eq(hr(1, ICH_ELRSR), 0x4);
    cr_assert_eq(hr(1, ICH_EISR), 0x2);
    cr_assert_eq(hr(1, ICH_MISR) & 1, 1);
    cr_assert_eq(hr(0, ICH_ELRSR), 0xf, "per core");
    /* LR priority keeps the 5 implemented bits */
    hw(1, ICH_LR(0), LR_PENDING | LR_PRIO(0xff) | 1);
    cr_assert_eq((hr(1, ICH_LR(0)) >> 48) & 0xff, 0xf8);
}

Test(gicv3, reset_and_state_hash_deterministic)
{
    gic_on();
    spi_config(40, 1, 0x80, 1, false);
    gicv3_set_spi(G, 40, 1);
    char h1[65], h2[65];
    machine_state_hash(M, h1);
    dw(0x0100 + 4, 0);                       /* a no-op write changes nothing */
    machine_state_hash(M, h2);
    cr_assert_str_eq(h1, h2);
    sw(1, ICC_PMR, 0x10);
    machine_state_hash(M, h2);
    cr_assert_str_neq(h1, h2, "the CPU interface is part of the state");
    gicv3_reset(G);
    cr_assert_eq(level[1][IRQ], 0);
    cr_assert_eq(dr(0x0000), 0x50);
    cr_assert_eq(rr(1, 0x0014, 4) & 6, 6);
}
