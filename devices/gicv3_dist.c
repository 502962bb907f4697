/* GICv3 distributor (IHI 0069 12.9, GICD_*) plus the object's life cycle, state descriptions
 * and interrupt inputs.
 *
 * One security state: GICD_CTLR.DS and ARE are RAO/WI (affinity routing only), so the banked
 * SGI/PPI copies in the distributor (IGROUPR0, ISENABLER0, ..., IPRIORITYR0-7, ICFGR0-1) are
 * RAZ/WI (12.9: "when affinity routing is enabled ... RAZ/WI") and GICD_IGRPMODR is RAZ/WI
 * (12.9.15, DS == 1). Access sizes: 32-bit everywhere, bytes for IPRIORITYR, 64-bit or 32-bit
 * halves for IROUTER (12.1.3); anything else is a guest error, RAZ/WI. */
#include "devices/gicv3_internal.h"
#include <string.h>

/* GICD_IIDR: implementer Arm (JEP106 0x43b), product and revision 0 (our choice). */
#define GICD_IIDR_VALUE 0x0000043bu
/* PIDR4..7, PIDR0..3, CIDR0..3 (0xffd0..0xfffc): PIDR2.ArchRev = 3 (GICv3). */
static const uint8_t gicv3_id[12] = { 0x44, 0, 0, 0, 0x92, 0xb4, 0x3b, 0, 0x0d, 0xf0, 0x05, 0xb1 };

static const StateField gicv3_fields[] = {
    STATE_FIELD(GicV3, ctlr, V_ANY),
    STATE_ARRAY(GicV3, group, V_ANY),
    STATE_ARRAY(GicV3, enable, V_ANY),
    STATE_ARRAY(GicV3, pend, V_ANY),
    STATE_ARRAY(GicV3, level, V_ANY),
    STATE_ARRAY(GicV3, active, V_ANY),
    STATE_ARRAY(GicV3, edge, V_ANY),
    STATE_ARRAY(GicV3, prio, V_ANY),
    STATE_RUNTIME(GicV3, pad2_),
    STATE_ARRAY(GicV3, irouter, V_ANY),
    STATE_RUNTIME(GicV3, m),
    STATE_RUNTIME(GicV3, ncpus),
    STATE_RUNTIME(GicV3, pad_),
    STATE_RUNTIME(GicV3, cpu),        /* each its own object "gic.cpuN" */
    STATE_RUNTIME(GicV3, out),
    STATE_RUNTIME(GicV3, lpis),
    STATE_RUNTIME(GicV3, pad3_),
    STATE_RUNTIME(GicV3, its),
    STATE_RUNTIME(GicV3, lpi),        /* each its own object "gic.cpuN.lpi" with LPIs */
};
const StateDesc gicv3_state_desc = STATE_DESC("gicv3", GicV3, gicv3_fields);

static const StateField gicv3_cpu_fields[] = {
    STATE_FIELD(GicV3Cpu, mpidr, V_ANY),
    STATE_FIELD(GicV3Cpu, gicr_ctlr, V_ANY),
    STATE_FIELD(GicV3Cpu, gicr_waker, V_ANY),
    STATE_FIELD(GicV3Cpu, group, V_ANY),
    STATE_FIELD(GicV3Cpu, enable, V_ANY),
    STATE_FIELD(GicV3Cpu, pend, V_ANY),
    STATE_FIELD(GicV3Cpu, level, V_ANY),
    STATE_FIELD(GicV3Cpu, active, V_ANY),
    STATE_FIELD(GicV3Cpu, edge, V_ANY),
    STATE_ARRAY(GicV3Cpu, prio, V_ANY),
    STATE_FIELD(GicV3Cpu, icc_ctlr, V_ANY),
    STATE_FIELD(GicV3Cpu, icc_pmr, V_ANY),
    STATE_FIELD(GicV3Cpu, icc_bpr0, V_RANGE(0, 7)),
    STATE_FIELD(GicV3Cpu, icc_bpr1, V_RANGE(0, 7)),
    STATE_FIELD(GicV3Cpu, icc_igrpen0, V_ANY),
    STATE_FIELD(GicV3Cpu, icc_igrpen1, V_ANY),
    STATE_FIELD(GicV3Cpu, icc_sre_el2, V_ANY),
    STATE_FIELD(GicV3Cpu, icc_ap0r, V_ANY),
    STATE_FIELD(GicV3Cpu, icc_ap1r, V_ANY),
    STATE_FIELD(GicV3Cpu, ich_hcr, V_ANY),
    STATE_FIELD(GicV3Cpu, ich_vmcr, V_ANY),
    STATE_FIELD(GicV3Cpu, ich_ap0r, V_ANY),
    STATE_FIELD(GicV3Cpu, ich_ap1r, V_ANY),
    STATE_RUNTIME(GicV3Cpu, pad_),
    STATE_ARRAY(GicV3Cpu, ich_lr, V_ANY),
    STATE_DERIVED(GicV3Cpu, out_level),
};
const StateDesc gicv3_cpu_state_desc = STATE_DESC("gicv3-cpu", GicV3Cpu, gicv3_cpu_fields);

/* ---- routing ------------------------------------------------------------------------------ */

static uint64_t mpidr_aff(uint64_t mpidr)
{
    return mpidr & 0xff00ffffffull;           /* Aff3, Aff2, Aff1, Aff0 */
}

/* GICD_IROUTER<n> (12.9.22): IRM = 0 routes to the core whose affinity matches; IRM = 1 is
 * 1-of-N, which we make deterministic: the lowest-numbered core that is awake
 * (GICR_WAKER.ProcessorSleep = 0), has not opted out (GICR_CTLR.DPG0/DPG1NS) and has the
 * interrupt's group enabled at its CPU interface. */
int gicv3_spi_target(const GicV3 *g, int intid)
{
    uint64_t r = g->irouter[intid];
    if (r & (1u << 31)) {
        int grp = gicv3_bit(g->group, intid);
        for (int i = 0; i < g->ncpus; i++) {
            const GicV3Cpu *c = &g->cpu[i];
            if (c->gicr_waker & GICR_WAKER_PS)
                continue;
            if (c->gicr_ctlr & (grp ? GICR_CTLR_DPG1NS : GICR_CTLR_DPG0))
                continue;
            if (!((grp ? c->icc_igrpen1 : c->icc_igrpen0) & 1))
                continue;
            return i;
        }
        return -1;
    }
    for (int i = 0; i < g->ncpus; i++)
        if (mpidr_aff(g->cpu[i].mpidr) == mpidr_aff(r))
            return i;
    return -1;
}

/* ---- MMIO --------------------------------------------------------------------------------- */

enum {
    GICD_CTLR = 0x0000, GICD_TYPER = 0x0004, GICD_IIDR = 0x0008,
    GICD_IGROUPR = 0x0080, GICD_ISENABLER = 0x0100, GICD_ICENABLER = 0x0180,
    GICD_ISPENDR = 0x0200, GICD_ICPENDR = 0x0280, GICD_ISACTIVER = 0x0300,
    GICD_ICACTIVER = 0x0380, GICD_IPRIORITYR = 0x0400, GICD_ICFGR = 0x0c00,
    GICD_IGRPMODR = 0x0d00, GICD_IROUTER = 0x6000, GICD_ID = 0xffd0,
};

/* Bitmap register sets: which array, and whether a write sets, clears or stores. */
static uint32_t dist_read32(GicV3 *g, uint64_t off)
{
    if (off == GICD_CTLR)
        return g->ctlr | GICD_CTLR_ARE | GICD_CTLR_DS;
    if (off == GICD_TYPER) {
        /* ITLinesNumber, CPUNumber, A3V; with LPIs LPIS and IDbits = 15 (16-bit INTIDs, as
         * QEMU's), else IDbits = 9 (10-bit INTIDs); MBIS, No1N = 0 */
        uint32_t v = (GICV3_NW - 1) | ((uint32_t)(g->ncpus - 1) << 5) | (1u << 24);
        return v | (g->lpis ? (1u << 17) | ((GICV3_LPI_IDBITS - 1u) << 19) : 9u << 19);
    }
    if (off == GICD_IIDR)
        return GICD_IIDR_VALUE;
    if (off >= GICD_IGROUPR && off < GICD_IPRIORITYR) {
        int w = (int)((off & 0x7f) >> 2);
        if (w == 0 || w >= GICV3_NW)
            return 0;
        switch (off & ~0x7full) {
        case GICD_IGROUPR: return g->group[w];
        case GICD_ISENABLER: case GICD_ICENABLER: return g->enable[w];
        case GICD_ISPENDR: case GICD_ICPENDR: return g->pend[w] | (g->level[w] & ~g->edge[w]);
        case GICD_ISACTIVER: case GICD_ICACTIVER: return g->active[w];
        }
        return 0;
    }
    if (off >= GICD_ICFGR && off < GICD_ICFGR + 4 * (GICV3_NUM_IRQS / 16)) {
        int base = (int)((off - GICD_ICFGR) >> 2) * 16;
        if (base < 32)
            return 0;
        uint32_t v = 0;
        for (int k = 0; k < 16; k++)
            if (gicv3_bit(g->edge, base + k))
                v |= 2u << (2 * k);
        return v;
    }
    if (off >= GICD_ID)
        return gicv3_id[(off - GICD_ID) >> 2];
    return 0;                 /* IGRPMODR, NSACR, SGIR, reserved: RAZ */
}

static void dist_write32(GicV3 *g, uint64_t off, uint32_t v)
{
    if (off == GICD_CTLR) {
        g->ctlr = v & (GICD_CTLR_EN_GRP0 | GICD_CTLR_EN_GRP1);
        return;
    }
    if (off >= GICD_IGROUPR && off < GICD_IPRIORITYR) {
        int w = (int)((off & 0x7f) >> 2);
        if (w == 0 || w >= GICV3_NW)
            return;
        switch (off & ~0x7full) {
        case GICD_IGROUPR: g->group[w] = v; break;
        case GICD_ISENABLER: g->enable[w] |= v; break;
        case GICD_ICENABLER: g->enable[w] &= ~v; break;
        case GICD_ISPENDR: g->pend[w] |= v; break;
        /* 4.1.1: clears the latch; a level interrupt stays pending while its input is high */
        case GICD_ICPENDR: g->pend[w] &= ~v; break;
        case GICD_ISACTIVER: g->active[w] |= v; break;
        case GICD_ICACTIVER: g->active[w] &= ~v; break;
        }
        return;
    }
    if (off >= GICD_ICFGR && off < GICD_ICFGR + 4 * (GICV3_NUM_IRQS / 16)) {
        int base = (int)((off - GICD_ICFGR) >> 2) * 16;
        if (base < 32)
            return;
        for (int k = 0; k < 16; k++)
            gicv3_setbit(g->edge, base + k, (v >> (2 * k + 1)) & 1);
        return;
    }
    /* IGRPMODR, NSACR, SGIR, read-only and reserved registers: WI */
}

static bool in_prio(uint64_t off)
{
    return off >= GICD_IPRIORITYR + 32 && off < GICD_IPRIORITYR + GICV3_NUM_IRQS;
}

static bool in_irouter(uint64_t off)
{
    return off >= GICD_IROUTER + 8 * 32 && off < GICD_IROUTER + 8 * GICV3_NUM_IRQS;
}

#define IROUTER_MASK 0xff80ffffffull   /* Aff3, IRM, Aff2, Aff1, Aff0 */

uint64_t gicv3_dist_read(void *opaque, uint64_t off, unsigned size)
{
    GicV3 *g = opaque;
    if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + 0x400) {
        if ((size != 1 && size != 4) || (off & (size - 1)))
            return 0;
        uint64_t v = 0;
        for (unsigned i = 0; i < size; i++)
            if (in_prio(off + i))
                v |= (uint64_t)g->prio[off + i - GICD_IPRIORITYR] << (8 * i);
        return v;
    }
    if (off >= GICD_IROUTER && off < GICD_IROUTER + 0x2000) {
        if (!in_irouter(off & ~7ull) || (size != 8 && size != 4) || (off & (size - 1)))
            return 0;
        uint64_t r = g->irouter[(off - GICD_IROUTER) >> 3];
        return size == 8 ? r : (uint32_t)(r >> (8 * (off & 4)));
    }
    if (size != 4 || (off & 3))
        return 0;             /* guest error: RAZ */
    return dist_read32(g, off);
}

void gicv3_dist_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    GicV3 *g = opaque;
    if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + 0x400) {
        if ((size != 1 && size != 4) || (off & (size - 1)))
            return;
        for (unsigned i = 0; i < size; i++)
            if (in_prio(off + i))
                g->prio[off + i - GICD_IPRIORITYR] = (uint8_t)(val >> (8 * i)) & GICV3_PRIO_MASK;
    } else if (off >= GICD_IROUTER && off < GICD_IROUTER + 0x2000) {
        if (!in_irouter(off & ~7ull) || (size != 8 && size != 4) || (off & (size - 1)))
            return;
        uint64_t *r = &g->irouter[(off - GICD_IROUTER) >> 3];
        if (size == 8) {
            *r = val & IROUTER_MASK;
        } else {
            int sh = 8 * (int)(off & 4);
            uint64_t m = 0xffffffffull << sh;
            *r = ((*r & ~m) | ((val << sh) & m)) & IROUTER_MASK;
        }
    } else {
        if (size != 4 || (off & 3))
            return;           /* guest error: WI */
        dist_write32(g, off, (uint32_t)val);
    }
    gicv3_update(g);
}

static const MmioOps gicv3_dist_ops = { gicv3_dist_read, gicv3_dist_write };

void gicv3_dist_reset(GicV3 *g)
{
    g->ctlr = 0;
    memset(g->group, 0, sizeof g->group);
    memset(g->enable, 0, sizeof g->enable);
    memset(g->pend, 0, sizeof g->pend);
    memset(g->active, 0, sizeof g->active);
    memset(g->edge, 0, sizeof g->edge);      /* SPIs reset level-sensitive */
    memset(g->prio, 0, sizeof g->prio);
    memset(g->irouter, 0, sizeof g->irouter);
    /* input levels are wires, not registers: they survive a reset */
}

/* ---- life cycle and inputs ------------------------------------------------------------------ */

void gicv3_reset(GicV3 *g)
{
    gicv3_dist_reset(g);
    for (int i = 0; i < g->ncpus; i++) {
        gicv3_redist_reset(g, i);
        gicv3_cpuif_reset(g, i);
        gicv3_virt_reset(g, i);
        gicv3_lpi_reset(g, i);
    }
    if (g->its)
        gicv3_its_reset(g->its);
    gicv3_update(g);
}

/* After a snapshot load: the output levels last driven are derived; drive every output
 * once with the level the loaded state gives. */
static void gicv3_describe_obj(void *obj, int cpu, GString *out)
{
    gicv3_describe(obj, cpu, out);
}

static void gicv3_post_load(void *obj, SimTime now)
{
    GicV3 *g = obj;
    (void)now;
    for (int i = 0; i < g->ncpus; i++)
        for (int k = 0; k < 4; k++)
            g->cpu[i].out_level[k] = -1;
    gicv3_update(g);
}

GicV3 *gicv3_new(Machine *m, int ncpus, const uint64_t *mpidr, uint64_t dist_base, uint64_t redist_base)
{
    if (ncpus < 1 || ncpus > GICV3_MAX_CPUS)
        return NULL;
    GicV3 *g = g_new0(GicV3, 1);
    g->m = m;
    g->ncpus = ncpus;
    for (int i = 0; i < ncpus; i++)
        g->cpu[i].mpidr = mpidr[i];
    gicv3_reset(g);
    if (bus_add_mmio(&m->bus, "gicv3-dist", dist_base, GICV3_DIST_SIZE, &gicv3_dist_ops, g) < 0 ||
        bus_add_mmio(&m->bus, "gicv3-redist", redist_base, (uint64_t)ncpus * GICV3_REDIST_STRIDE,
                     &gicv3_redist_ops, g) < 0) {
        g_free(g);
        return NULL;
    }
    MachineObject *o = machine_add_object(m, "gic", &gicv3_state_desc, g);
    o->post_load = gicv3_post_load;
    o->describe = gicv3_describe_obj;     /* `info gic` */
    for (int i = 0; i < ncpus; i++) {
        char name[32];
        snprintf(name, sizeof name, "gic.cpu%d", i);
        machine_add_object(m, name, &gicv3_cpu_state_desc, &g->cpu[i]);
    }
    return g;
}

void gicv3_free(GicV3 *g)
{
    if (g)
        g_free(g->its);
    g_free(g);
}

void gicv3_connect_cpu(GicV3 *g, int cpu, IrqLine irq, IrqLine fiq, IrqLine virq, IrqLine vfiq)
{
    if (cpu < 0 || cpu >= g->ncpus)
        return;
    IrqLine *o = g->out[cpu];
    o[GICV3_OUT_IRQ] = irq;
    o[GICV3_OUT_FIQ] = fiq;
    o[GICV3_OUT_VIRQ] = virq;
    o[GICV3_OUT_VFIQ] = vfiq;
    for (int k = 0; k < 4; k++)
        irq_set(&o[k], g->cpu[cpu].out_level[k]);
}

void gicv3_set_spi(GicV3 *g, int intid, int level)
{
    if (intid < 32 || intid >= GICV3_NUM_IRQS)
        return;
    gicv3_set_level(g, 0, intid, level);
    gicv3_update(g);
}

void gicv3_set_ppi(GicV3 *g, int cpu, int intid, int level)
{
    if (intid < 16 || intid >= 32 || cpu < 0 || cpu >= g->ncpus)
        return;
    gicv3_set_level(g, cpu, intid, level);
    gicv3_update(g);
}

static void spi_line_set(void *opaque, int n, int level)
{
    gicv3_set_spi(opaque, n, level);
}

static void ppi_line_set(void *opaque, int n, int level)
{
    gicv3_set_ppi(opaque, n >> 8, n & 0xff, level);
}

IrqLine gicv3_spi_line(GicV3 *g, int intid)
{
    return (IrqLine){ spi_line_set, g, intid };
}

IrqLine gicv3_ppi_line(GicV3 *g, int cpu, int intid)
{
    return (IrqLine){ ppi_line_set, g, cpu << 8 | intid };
}
