/* GICv2 CPU interface (IHI 0048B 3.2-3.3 and 4.4, GICC_*), memory-mapped and banked per core,
 * and the evaluation that drives every output of the GIC.
 *
 * Without the Security Extensions: Group 0 is signalled as FIQ when GICC_CTLR.FIQEn is set and
 * as IRQ otherwise, Group 1 always as IRQ (3.3.1); GICC_IAR acknowledges Group 1 only with
 * GICC_CTLR.AckCtl set (else it returns 1022), the aliased GICC_AIAR/AEOIR/AHPPIR/ABPR act on
 * Group 1 (as QEMU has them for a GIC with groups).
 *
 * Implementation choices (written down where the spec leaves them open):
 * - among pending interrupts of equal priority the lowest INTID wins, an SGI's lowest source
 *   core first;
 * - interrupts of a group disabled at the CPU interface are not candidates, so they cannot
 *   hide an enabled group's one;
 * - an SPI targeting several cores is pending on each until one acknowledges it (3.1.2, the
 *   1-N model); the round-robin order of the cores decides which, deterministically;
 * - one set of active priorities (GICC_APR0) covers both groups: a priority drop removes the
 *   highest active priority whatever its group (3.2.5); GICC_APR1-3 and GICC_NSAPRn, which
 *   need more priority bits or the Security Extensions, are RAZ/WI;
 * - GICC_HPPIR reports an interrupt only when its priority is above GICC_PMR (as QEMU). */
#include "devices/gicv2_internal.h"
#include <inttypes.h>

/* ---- state changes without re-evaluation ------------------------------------------------ */

void gicv2_set_level(GicV2 *g, int cpu, int intid, int level)
{
    uint32_t *lv, *pend, *edge;
    if (intid < 32) {
        if (cpu < 0 || cpu >= g->ncpus)
            return;
        GicV2Cpu *c = &g->cpu[cpu];
        lv = &c->level, pend = &c->pend, edge = &c->edge;
    } else if (intid < GICV2_NUM_IRQS) {
        lv = g->level, pend = g->pend, edge = g->edge;
    } else {
        return;
    }
    bool was = gicv2_bit(lv, intid);
    gicv2_setbit(lv, intid, level != 0);
    /* IHI 0048B 1.4.2: an edge-triggered interrupt becomes pending on a rising edge */
    if (level && !was && gicv2_bit(edge, intid))
        gicv2_setbit(pend, intid, true);
}

void gicv2_deactivate(GicV2 *g, int cpu, int intid)
{
    if (intid < 32)
        g->cpu[cpu].active &= ~(1u << intid);
    else if (intid < GICV2_NUM_IRQS)
        gicv2_setbit(g->active, intid, false);
}

/* ---- priorities and the highest priority pending interrupt ------------------------------- */

static int cpu_gprio_mask(const GicV2Cpu *c, int group)
{
    return gicv2_gprio_mask(c->bpr, c->abpr, c->ctlr & GICC_CTLR_CBPR, group);
}

static void consider(GicV2Hppi *h, int intid, int prio, int group, int src)
{
    if (prio < h->prio || (prio == h->prio && intid < h->intid)) {
        *h = (GicV2Hppi){ intid, prio, group, src };
    }
}

static bool group_enabled(const GicV2 *g, const GicV2Cpu *c, int group)
{
    uint32_t bit = group ? GIC_CTLR_EN_GRP1 : GIC_CTLR_EN_GRP0;
    return (g->ctlr & bit) && (c->ctlr & bit);
}

/* Highest priority pending interrupt of every core. */
static void compute_hppi(const GicV2 *g, GicV2Hppi *h)
{
    for (int i = 0; i < g->ncpus; i++) {
        const GicV2Cpu *c = &g->cpu[i];
        h[i] = (GicV2Hppi){ GICV2_SPURIOUS, 0x100, 0, 0 };
        uint32_t pend = (c->pend | (c->level & ~c->edge)) & ~0xffffu;
        for (int n = 0; n < 16; n++)
            if (c->sgi_src[n])
                pend |= 1u << n;
        uint32_t cand = pend & (c->enable | 0xffffu) & ~c->active;
        while (cand) {
            int n = __builtin_ctz(cand);
            cand &= cand - 1;
            int grp = (c->group >> n) & 1;
            if (group_enabled(g, c, grp))
                consider(&h[i], n, c->prio[n], grp, n < 16 ? __builtin_ctz(c->sgi_src[n]) : 0);
        }
    }
    for (int w = 1; w < GICV2_NW; w++) {
        uint32_t cand = (g->pend[w] | (g->level[w] & ~g->edge[w])) & g->enable[w] & ~g->active[w];
        while (cand) {
            int n = w * 32 + __builtin_ctz(cand);
            cand &= cand - 1;
            int grp = gicv2_bit(g->group, n);
            uint32_t t = gicv2_spi_targets(g, n);
            for (int i = 0; i < g->ncpus; i++)
                if ((t >> i & 1) && group_enabled(g, &g->cpu[i], grp))
                    consider(&h[i], n, g->prio[n], grp, 0);
        }
    }
}

/* 3.2.2/3.3: signalled when the priority is higher than the priority mask and the group
 * priority higher than the running priority. */
static bool can_signal(const GicV2Cpu *c, const GicV2Hppi *h)
{
    if (h->intid == GICV2_SPURIOUS || h->prio >= (int)c->pmr)
        return false;
    return (h->prio & cpu_gprio_mask(c, h->group)) < gicv2_running_prio(c->apr);
}

static void drive(GicV2 *g, int cpu, int which, int level)
{
    GicV2Cpu *c = &g->cpu[cpu];
    if (c->out_level[which] != level) {
        c->out_level[which] = level;
        irq_set(&g->out[cpu][which], level);
    }
}

void gicv2_update(GicV2 *g)
{
    /* Maintenance interrupts first: they feed PPI 25 of the physical side (5.3.4). */
    if (g->has_virt)
        for (int i = 0; i < g->ncpus; i++) {
            const GicV2Cpu *c = &g->cpu[i];
            gicv2_set_level(g, i, GICV2_MAINT_PPI, (c->hcr & GICH_HCR_EN) && gicv2_misr(c) != 0);
        }
    GicV2Hppi h[GICV2_MAX_CPUS];
    compute_hppi(g, h);
    for (int i = 0; i < g->ncpus; i++) {
        GicV2Cpu *c = &g->cpu[i];
        bool sig = can_signal(c, &h[i]);
        bool fiq = h[i].group == 0 && (c->ctlr & GICC_CTLR_FIQEN);
        drive(g, i, GICV2_OUT_IRQ, sig && !fiq);
        drive(g, i, GICV2_OUT_FIQ, sig && fiq);
        GicV2Hppi v = gicv2_virt_hppi(c);
        bool vsig = gicv2_virt_signal(c, &v);
        bool vfiq = v.group == 0 && (c->vmcr & GICH_VMCR_FIQEN);
        drive(g, i, GICV2_OUT_VIRQ, vsig && !vfiq);
        drive(g, i, GICV2_OUT_VFIQ, vsig && vfiq);
    }
}

void gicv2_cpuif_reset(GicV2 *g, int cpu)
{
    GicV2Cpu *c = &g->cpu[cpu];
    c->ctlr = 0;
    c->pmr = 0;
    c->bpr = GICV2_MIN_BPR;
    c->abpr = GICV2_MIN_ABPR;
    c->apr = 0;
}

/* ---- acknowledge, end of interrupt, deactivate ---------------------------------------- */

/* GICC_IAR (4.4.4) and GICC_AIAR (4.4.10, alias = Group 1 only). */
static uint32_t gicc_iar(GicV2 *g, int cpu, bool alias)
{
    GicV2Hppi h[GICV2_MAX_CPUS];
    compute_hppi(g, h);
    GicV2Cpu *c = &g->cpu[cpu];
    const GicV2Hppi *p = &h[cpu];
    if (!can_signal(c, p))
        return GICV2_SPURIOUS;
    if (alias ? p->group != 1 : (p->group == 1 && !(c->ctlr & GICC_CTLR_ACKCTL)))
        return alias ? GICV2_SPURIOUS : GICV2_SPURIOUS_GRP1;
    int n = p->intid;
    if (n < 16) {
        c->sgi_src[n] &= (uint8_t)~(1u << p->src);
        c->active |= 1u << n;
    } else if (n < 32) {
        c->pend &= ~(1u << n);
        c->active |= 1u << n;
    } else {
        gicv2_setbit(g->pend, n, false);
        gicv2_setbit(g->active, n, true);
    }
    c->apr |= 1u << ((p->prio & cpu_gprio_mask(c, p->group)) >> 3);
    return (uint32_t)n | (n < 16 ? (uint32_t)p->src << 10 : 0);
}

/* GICC_EOIR/AEOIR (4.4.5): priority drop, and deactivation unless EOImode splits it off to
 * GICC_DIR (4.4.15). */
static void gicc_eoir(GicV2 *g, int cpu, uint32_t v)
{
    GicV2Cpu *c = &g->cpu[cpu];
    int n = (int)(v & 0x3ff);
    if (n >= 1020)
        return;               /* special INTIDs: ignored */
    gicv2_prio_drop(&c->apr);
    if (!(c->ctlr & GICC_CTLR_EOIMODE))
        gicv2_deactivate(g, cpu, n);
}

static uint32_t gicc_hppir(GicV2 *g, int cpu, bool alias)
{
    GicV2Hppi h[GICV2_MAX_CPUS];
    compute_hppi(g, h);
    const GicV2Cpu *c = &g->cpu[cpu];
    const GicV2Hppi *p = &h[cpu];
    if (p->intid == GICV2_SPURIOUS || p->prio >= (int)c->pmr)
        return GICV2_SPURIOUS;
    if (alias ? p->group != 1 : (p->group == 1 && !(c->ctlr & GICC_CTLR_ACKCTL)))
        return alias ? GICV2_SPURIOUS : GICV2_SPURIOUS_GRP1;
    return (uint32_t)p->intid | (p->intid < 16 ? (uint32_t)p->src << 10 : 0);
}

/* ---- GICC MMIO ---------------------------------------------------------------------------- */

enum {
    GICC_CTLR = 0x00, GICC_PMR = 0x04, GICC_BPR = 0x08, GICC_IAR = 0x0c, GICC_EOIR = 0x10,
    GICC_RPR = 0x14, GICC_HPPIR = 0x18, GICC_ABPR = 0x1c, GICC_AIAR = 0x20, GICC_AEOIR = 0x24,
    GICC_AHPPIR = 0x28, GICC_APR0 = 0xd0, GICC_IIDR = 0xfc, GICC_DIR = 0x1000,
};

static uint32_t clamp_bpr(uint32_t v, uint32_t min)
{
    v &= 7;
    return v < min ? min : v;
}

static uint64_t cpu_read(void *opaque, uint64_t off, unsigned size)
{
    GicV2 *g = opaque;
    int cpu = gicv2_accessor(g);
    GicV2Cpu *c = &g->cpu[cpu];
    if (size != 4 || (off & 3))
        return 0;             /* guest error: RAZ */
    uint32_t v = 0;
    switch (off) {
    case GICC_CTLR: v = c->ctlr; break;
    case GICC_PMR: v = c->pmr; break;
    case GICC_BPR: v = c->bpr; break;
    case GICC_ABPR: v = c->abpr; break;
    case GICC_IAR: v = gicc_iar(g, cpu, false); break;
    case GICC_AIAR: v = gicc_iar(g, cpu, true); break;
    case GICC_RPR: v = (uint32_t)gicv2_running_prio(c->apr); break;
    case GICC_HPPIR: v = gicc_hppir(g, cpu, false); break;
    case GICC_AHPPIR: v = gicc_hppir(g, cpu, true); break;
    case GICC_APR0: v = c->apr; break;
    case GICC_IIDR: v = GICC_IIDR_VALUE; break;
    default: break;           /* write-only, APR1-3, NSAPRn, reserved: RAZ */
    }
    if (off == GICC_IAR || off == GICC_AIAR)
        gicv2_update(g);
    return v;
}

static void cpu_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    GicV2 *g = opaque;
    int cpu = gicv2_accessor(g);
    GicV2Cpu *c = &g->cpu[cpu];
    uint32_t v = (uint32_t)val;
    if (size != 4 || (off & 3))
        return;               /* guest error: WI */
    switch (off) {
    case GICC_CTLR: c->ctlr = v & GICC_CTLR_WMASK; break;
    case GICC_PMR: c->pmr = v & GICV2_PRIO_MASK; break;
    case GICC_BPR: c->bpr = clamp_bpr(v, GICV2_MIN_BPR); break;
    case GICC_ABPR: c->abpr = clamp_bpr(v, GICV2_MIN_ABPR); break;
    case GICC_EOIR: case GICC_AEOIR: gicc_eoir(g, cpu, v); break;
    case GICC_APR0: c->apr = v; break;
    case GICC_DIR:
        /* 4.4.15: effective only with EOImode == 1; otherwise UNPREDICTABLE, ignored */
        if ((c->ctlr & GICC_CTLR_EOIMODE) && (v & 0x3ff) < 1020)
            gicv2_deactivate(g, cpu, (int)(v & 0x3ff));
        break;
    default: break;           /* read-only and reserved registers: WI */
    }
    gicv2_update(g);
}

const MmioOps gicv2_cpu_ops = { cpu_read, cpu_write };

/* ---- debugger view ---------------------------------------------------------------------- */
static void list_bits(GString *out, int base, uint32_t bits)
{
    for (int b = 0; b < 32; b++)
        if (bits >> b & 1)
            g_string_append_printf(out, " %d", base + b);
}

void gicv2_describe(const GicV2 *g, int cpu, GString *out)
{
    const GicV2Cpu *c = &g->cpu[cpu];
    uint32_t sgi = 0;
    for (int n = 0; n < 16; n++)
        if (c->sgi_src[n])
            sgi |= 1u << n;
    g_string_append_printf(out, "GICv2: GICD_CTLR 0x%x; cpu%d: GICC_CTLR 0x%x, GICC_PMR 0x%x, "
                           "running priority 0x%x (GICC_APR0 0x%x)\n", g->ctlr, cpu, c->ctlr,
                           c->pmr, gicv2_running_prio(c->apr), c->apr);
    g_string_append(out, "  SGI/PPI enabled:");
    list_bits(out, 0, c->enable | 0xffffu);
    g_string_append(out, "\n  SGI/PPI pending:");
    list_bits(out, 0, ((c->pend | (c->level & ~c->edge)) & ~0xffffu) | sgi);
    g_string_append(out, "\n  SGI/PPI active:");
    list_bits(out, 0, c->active);
    g_string_append(out, "\n  SPI enabled:");
    for (int w = 1; w < GICV2_NW; w++)
        list_bits(out, w * 32, g->enable[w]);
    g_string_append(out, "\n  SPI pending:");
    for (int w = 1; w < GICV2_NW; w++)
        list_bits(out, w * 32, g->pend[w] | (g->level[w] & ~g->edge[w]));
    g_string_append(out, "\n  SPI active:");
    for (int w = 1; w < GICV2_NW; w++)
        list_bits(out, w * 32, g->active[w]);
    g_string_append_c(out, '\n');
    if (!g->has_virt)
        return;
    g_string_append_printf(out, "  GICH_HCR 0x%x, GICH_VMCR 0x%x, GICH_APR 0x%x\n", c->hcr,
                           c->vmcr, c->vapr);
    for (int i = 0; i < GICV2_NUM_LRS; i++)
        if (c->lr[i])
            g_string_append_printf(out, "  GICH_LR%d 0x%08x (state %u, vINTID %u, priority 0x%x%s)\n",
                                   i, c->lr[i], (c->lr[i] >> GICH_LR_STATE_SHIFT) & 3,
                                   c->lr[i] & GICH_LR_VID_MASK,
                                   ((c->lr[i] >> GICH_LR_PRIO_SHIFT) & 0x1f) << 3,
                                   c->lr[i] & GICH_LR_HW ? ", HW" : "");
}
