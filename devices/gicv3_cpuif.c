/* GICv3 physical CPU interface (IHI 0069 chapter 4 and 12.2, the ICC_* System registers) and
 * the evaluation that drives every output of the GIC.
 *
 * Priorities have 5 implemented bits (0xf8 mask); an active-priority register bit n stands for
 * group priority n << 3. With GICD_CTLR.DS = 1 and a core without EL3 (hvsim's Non-secure
 * EL1/EL2), Group 0 is signalled as FIQ and Group 1 as IRQ (IHI 0069 4.6.2, table 4-3).
 *
 * Implementation choices (written down where the spec leaves them open):
 * - among pending interrupts of equal priority the lowest INTID wins;
 * - interrupts of a group disabled at the CPU interface (ICC_IGRPEN<n>) are not candidates for
 *   the highest priority pending interrupt, so they cannot hide an enabled group's one;
 * - GICR_WAKER.ProcessorSleep does not gate delivery (as in QEMU); it only removes the core
 *   from 1-of-N SPI selection. */
#include "devices/gicv3_internal.h"
#include <inttypes.h>

/* ---- state changes without re-evaluation ------------------------------------------------ */

void gicv3_set_level(GicV3 *g, int cpu, int intid, int level)
{
    uint32_t *lv, *pend, *edge;
    int bit = intid;
    if (intid < 32) {
        if (cpu < 0 || cpu >= g->ncpus)
            return;
        GicV3Cpu *c = &g->cpu[cpu];
        lv = &c->level, pend = &c->pend, edge = &c->edge;
    } else if (intid < GICV3_NUM_IRQS) {
        lv = g->level, pend = g->pend, edge = g->edge;
    } else {
        return;
    }
    bool was = gicv3_bit(lv, bit);
    gicv3_setbit(lv, bit, level != 0);
    /* IHI 0069 4.1.1: an edge-triggered interrupt becomes pending on a rising edge */
    if (level && !was && gicv3_bit(edge, bit))
        gicv3_setbit(pend, bit, true);
}

void gicv3_deactivate(GicV3 *g, int cpu, int intid)
{
    if (intid < 32)
        g->cpu[cpu].active &= ~(1u << intid);
    else if (intid < GICV3_NUM_IRQS)
        gicv3_setbit(g->active, intid, false);
}

/* ---- priorities -------------------------------------------------------------------------- */

/* Mask selecting the group priority field (IHI 0069 4.8.3). For Group 1 (Non-secure with DS=1)
 * the split is one bit lower than the BPR value says, unless CBPR makes BPR0 govern both
 * groups (pseudocode GroupBits(), as QEMU does). */
int gicv3_gprio_mask(uint32_t bpr0, uint32_t bpr1, bool cbpr, int group)
{
    int bpr;
    if (group == 0 || cbpr)
        bpr = (int)(bpr0 & 7);
    else
        bpr = (int)(bpr1 & 7) - 1;
    return (int)((0xffu << (bpr + 1)) & 0xff);
}

static int cpu_gprio_mask(const GicV3Cpu *c, int group)
{
    return gicv3_gprio_mask(c->icc_bpr0, c->icc_bpr1, c->icc_ctlr & ICC_CTLR_CBPR, group);
}

static int running_prio(uint32_t ap0, uint32_t ap1)
{
    uint32_t ap = ap0 | ap1;
    return ap ? (__builtin_ctz(ap) << 3) : (int)GICV3_IDLE_PRIO;
}

static void consider(GicV3Hppi *h, int intid, int prio, int group)
{
    if (prio < h->prio || (prio == h->prio && intid < h->intid)) {
        h->intid = intid;
        h->prio = prio;
        h->group = group;
    }
}

static bool group_enabled(const GicV3 *g, const GicV3Cpu *c, int group)
{
    if (group)
        return (g->ctlr & GICD_CTLR_EN_GRP1) && (c->icc_igrpen1 & 1);
    return (g->ctlr & GICD_CTLR_EN_GRP0) && (c->icc_igrpen0 & 1);
}

/* Highest priority pending interrupt of every core, SPIs routed once. */
static void compute_hppi(const GicV3 *g, GicV3Hppi *h)
{
    for (int i = 0; i < g->ncpus; i++) {
        const GicV3Cpu *c = &g->cpu[i];
        h[i] = (GicV3Hppi){ GICV3_INTID_SPURIOUS, 0x100, 0 };
        uint32_t cand = (c->pend | (c->level & ~c->edge)) & c->enable & ~c->active;
        while (cand) {
            int n = __builtin_ctz(cand);
            cand &= cand - 1;
            int grp = (c->group >> n) & 1;
            if (group_enabled(g, c, grp))
                consider(&h[i], n, c->prio[n], grp);
        }
    }
    for (int w = 1; w < GICV3_NW; w++) {
        uint32_t cand = (g->pend[w] | (g->level[w] & ~g->edge[w])) & g->enable[w] & ~g->active[w];
        while (cand) {
            int n = w * 32 + __builtin_ctz(cand);
            cand &= cand - 1;
            int t = gicv3_spi_target(g, n);
            if (t < 0)
                continue;
            int grp = gicv3_bit(g->group, n);
            if (group_enabled(g, &g->cpu[t], grp))
                consider(&h[t], n, g->prio[n], grp);
        }
    }
    /* LPIs are Group 1 (IHI 0069 5.1 with DS = 1); the redistributor keeps its best one */
    for (int i = 0; g->lpis && i < g->ncpus; i++) {
        const GicV3Lpi *l = &g->lpi[i];
        if (l->hpp_intid && group_enabled(g, &g->cpu[i], 1))
            consider(&h[i], l->hpp_intid, l->hpp_prio, 1);
    }
}

/* IHI 0069 4.8.1/4.7: a pending interrupt is signalled when its priority is higher than the
 * priority mask and its group priority higher than the running priority. */
static bool can_signal(const GicV3Cpu *c, const GicV3Hppi *h)
{
    if (h->intid == GICV3_INTID_SPURIOUS || h->prio >= (int)c->icc_pmr)
        return false;
    int rpr = running_prio(c->icc_ap0r, c->icc_ap1r);
    return rpr == (int)GICV3_IDLE_PRIO || (h->prio & cpu_gprio_mask(c, h->group)) < rpr;
}

static void drive(GicV3 *g, int cpu, int which, int level)
{
    GicV3Cpu *c = &g->cpu[cpu];
    if (c->out_level[which] != level) {
        c->out_level[which] = level;
        irq_set(&g->out[cpu][which], level);
    }
}

void gicv3_update(GicV3 *g)
{
    /* Maintenance interrupts first: they feed PPI 25 of the physical side (IHI 0069 6.6.1). */
    for (int i = 0; i < g->ncpus; i++) {
        const GicV3Cpu *c = &g->cpu[i];
        int maint = (c->ich_hcr & ICH_HCR_EN) && gicv3_ich_misr(c) != 0;
        gicv3_set_level(g, i, GICV3_MAINT_PPI, maint);
    }
    GicV3Hppi h[GICV3_MAX_CPUS];
    compute_hppi(g, h);
    for (int i = 0; i < g->ncpus; i++) {
        GicV3Cpu *c = &g->cpu[i];
        bool sig = can_signal(c, &h[i]);
        drive(g, i, GICV3_OUT_IRQ, sig && h[i].group == 1);
        drive(g, i, GICV3_OUT_FIQ, sig && h[i].group == 0);
        GicV3Hppi v = gicv3_virt_hppi(c);
        bool vsig = gicv3_virt_signal(c, &v);
        drive(g, i, GICV3_OUT_VIRQ, vsig && v.group == 1);
        drive(g, i, GICV3_OUT_VFIQ, vsig && v.group == 0);
    }
}

void gicv3_cpuif_reset(GicV3 *g, int cpu)
{
    GicV3Cpu *c = &g->cpu[cpu];
    c->icc_ctlr = 0;
    c->icc_pmr = 0;
    c->icc_bpr0 = GICV3_MIN_BPR0;
    c->icc_bpr1 = GICV3_MIN_BPR1;
    c->icc_igrpen0 = c->icc_igrpen1 = 0;
    c->icc_ap0r = c->icc_ap1r = 0;
    /* ICC_SRE_EL2: SRE, DFB, DIB are RAO/WI; Enable resets to 1 (architecturally UNKNOWN) so
     * that EL1 software runs without an EL2 that sets it. */
    c->icc_sre_el2 = 0xf;
}

/* ---- acknowledge, end of interrupt, deactivate ---------------------------------------- */

static uint64_t icc_iar(GicV3 *g, int cpu, int group)
{
    GicV3Hppi h[GICV3_MAX_CPUS];
    compute_hppi(g, h);
    GicV3Cpu *c = &g->cpu[cpu];
    const GicV3Hppi *p = &h[cpu];
    if (p->group != group || !can_signal(c, p))
        return GICV3_INTID_SPURIOUS;
    int n = p->intid;
    if (n >= GICV3_LPI_BASE) {
        gicv3_lpi_ack(g, cpu, n);
    } else if (n < 32) {
        c->pend &= ~(1u << n);
        c->active |= 1u << n;
    } else {
        gicv3_setbit(g->pend, n, false);
        gicv3_setbit(g->active, n, true);
    }
    uint32_t bit = 1u << ((p->prio & cpu_gprio_mask(c, group)) >> 3);
    if (group)
        c->icc_ap1r |= bit;
    else
        c->icc_ap0r |= bit;
    return (uint64_t)n;
}

/* Priority drop: clears the highest active priority (IHI 0069 4.5.1). */
static void prio_drop(uint32_t *ap_own, uint32_t *ap_other)
{
    uint32_t ap = *ap_own | *ap_other;
    if (!ap)
        return;
    uint32_t bit = ap & -ap;
    if (*ap_own & bit)
        *ap_own &= ~bit;
    else
        *ap_other &= ~bit;
}

static void icc_eoir(GicV3 *g, int cpu, int group, uint64_t v)
{
    GicV3Cpu *c = &g->cpu[cpu];
    int n = (int)(v & 0xffffff);
    if (n >= 1020 && n <= 1023)
        return;               /* special INTIDs: ignored */
    if (group)
        prio_drop(&c->icc_ap1r, &c->icc_ap0r);
    else
        prio_drop(&c->icc_ap0r, &c->icc_ap1r);
    if (!(c->icc_ctlr & ICC_CTLR_EOIMODE))
        gicv3_deactivate(g, cpu, n);
}

static uint64_t icc_hppir(GicV3 *g, int cpu, int group)
{
    GicV3Hppi h[GICV3_MAX_CPUS];
    compute_hppi(g, h);
    return h[cpu].group == group ? (uint64_t)h[cpu].intid : GICV3_INTID_SPURIOUS;
}

/* ICC_SGI0R/SGI1R/ASGI1R (IHI 0069 12.2.21, table "Forwarding an SGI to a target PE"): target
 * list or all-but-self (IRM). With GICD_CTLR.DS = 1, SGI1R reaches the SGI whichever group it
 * is configured in at the target; SGI0R, and ASGI1R (there is no other Security state's
 * Group 1), reach only SGIs configured as Group 0 (as KVM's vGIC does). */
static void icc_sgi(GicV3 *g, int cpu, uint64_t v, bool any_group)
{
    int intid = (int)((v >> 24) & 0xf);
    bool irm = (v >> 40) & 1;
    uint64_t aff321 = ((v >> 48) & 0xff) << 32 | ((v >> 32) & 0xff) << 16 | ((v >> 16) & 0xff) << 8;
    int rs = (int)((v >> 44) & 0xf);
    for (int i = 0; i < g->ncpus; i++) {
        GicV3Cpu *t = &g->cpu[i];
        if (irm) {
            if (i == cpu)
                continue;
        } else {
            if ((t->mpidr & 0xff00ffff00ull) != aff321)
                continue;
            int aff0 = (int)(t->mpidr & 0xff);
            if (aff0 / 16 != rs || !((v >> (aff0 % 16)) & 1))
                continue;
        }
        if (!any_group && ((t->group >> intid) & 1))
            continue;
        t->pend |= 1u << intid;
    }
}

/* ---- the System-register entry point --------------------------------------------------- */

enum { K_NONE, K_UNDEF, K_COMMON, K_G0, K_G1, K_SGI0, K_SGI1, K_SRE, K_EL2 };

static int classify(uint32_t key)
{
    switch (key) {
    case KEY_ICC_PMR: case KEY_ICC_DIR: case KEY_ICC_RPR: case KEY_ICC_CTLR:
        return K_COMMON;
    case KEY_ICC_IAR0: case KEY_ICC_EOIR0: case KEY_ICC_HPPIR0: case KEY_ICC_BPR0:
    case KEY_ICC_AP0R(0): case KEY_ICC_IGRPEN0:
        return K_G0;
    case KEY_ICC_IAR1: case KEY_ICC_EOIR1: case KEY_ICC_HPPIR1: case KEY_ICC_BPR1:
    case KEY_ICC_AP1R(0): case KEY_ICC_IGRPEN1:
        return K_G1;
    case KEY_ICC_SGI0R:
        return K_SGI0;
    case KEY_ICC_SGI1R: case KEY_ICC_ASGI1R:
        return K_SGI1;
    case KEY_ICC_SRE:
        return K_SRE;
    case KEY_ICC_SRE_EL2: case KEY_ICH_AP0R(0): case KEY_ICH_AP1R(0): case KEY_ICH_HCR:
    case KEY_ICH_VTR: case KEY_ICH_MISR: case KEY_ICH_EISR: case KEY_ICH_ELRSR: case KEY_ICH_VMCR:
        return K_EL2;
    /* Only needed with 6 or 7 priority bits (IHI 0069 12.2.1): UNDEFINED here. */
    case KEY_ICC_AP0R(1): case KEY_ICC_AP0R(2): case KEY_ICC_AP0R(3):
    case KEY_ICC_AP1R(1): case KEY_ICC_AP1R(2): case KEY_ICC_AP1R(3):
    case KEY_ICH_AP0R(1): case KEY_ICH_AP0R(2): case KEY_ICH_AP0R(3):
    case KEY_ICH_AP1R(1): case KEY_ICH_AP1R(2): case KEY_ICH_AP1R(3):
        return K_UNDEF;
    default:
        for (int n = 0; n < 16; n++)
            if (key == KEY_ICH_LR(n))
                return n < GICV3_NUM_LRS ? K_EL2 : K_UNDEF;
        return K_NONE;
    }
}

static bool is_wo(uint32_t key)
{
    return key == KEY_ICC_EOIR0 || key == KEY_ICC_EOIR1 || key == KEY_ICC_DIR ||
           key == KEY_ICC_SGI0R || key == KEY_ICC_SGI1R || key == KEY_ICC_ASGI1R;
}

static bool is_ro(uint32_t key)
{
    return key == KEY_ICC_IAR0 || key == KEY_ICC_IAR1 || key == KEY_ICC_HPPIR0 ||
           key == KEY_ICC_HPPIR1 || key == KEY_ICC_RPR || key == KEY_ICH_VTR ||
           key == KEY_ICH_MISR || key == KEY_ICH_EISR || key == KEY_ICH_ELRSR;
}

static uint32_t clamp_bpr(uint64_t v, uint32_t min)
{
    uint32_t b = (uint32_t)(v & 7);
    return b < min ? min : b;
}

static void icc_access(GicV3 *g, int cpu, uint32_t key, bool w, uint64_t *val)
{
    GicV3Cpu *c = &g->cpu[cpu];
    uint64_t v = w ? *val : 0;
    switch (key) {
    case KEY_ICC_PMR:
        if (w)
            c->icc_pmr = (uint32_t)v & GICV3_PRIO_MASK;
        else
            *val = c->icc_pmr;
        break;
    case KEY_ICC_IAR0: *val = icc_iar(g, cpu, 0); break;
    case KEY_ICC_IAR1: *val = icc_iar(g, cpu, 1); break;
    case KEY_ICC_EOIR0: icc_eoir(g, cpu, 0, v); break;
    case KEY_ICC_EOIR1: icc_eoir(g, cpu, 1, v); break;
    case KEY_ICC_HPPIR0: *val = icc_hppir(g, cpu, 0); break;
    case KEY_ICC_HPPIR1: *val = icc_hppir(g, cpu, 1); break;
    case KEY_ICC_DIR:
        /* IHI 0069 12.2.8: effective only with EOImode == 1; otherwise UNPREDICTABLE, ignored */
        if (c->icc_ctlr & ICC_CTLR_EOIMODE)
            gicv3_deactivate(g, cpu, (int)(v & 0xffffff));
        break;
    case KEY_ICC_RPR: *val = (uint64_t)running_prio(c->icc_ap0r, c->icc_ap1r); break;
    case KEY_ICC_BPR0:
        if (w)
            c->icc_bpr0 = clamp_bpr(v, GICV3_MIN_BPR0);
        else
            *val = c->icc_bpr0;
        break;
    case KEY_ICC_BPR1:
        /* IHI 0069 12.2.5: with CBPR, reads give min(BPR0 + 1, 7) and writes are ignored */
        if (c->icc_ctlr & ICC_CTLR_CBPR) {
            if (!w)
                *val = c->icc_bpr0 + 1 > 7 ? 7 : c->icc_bpr0 + 1;
        } else if (w) {
            c->icc_bpr1 = clamp_bpr(v, GICV3_MIN_BPR1);
        } else {
            *val = c->icc_bpr1;
        }
        break;
    case KEY_ICC_CTLR:
        if (w)
            c->icc_ctlr = (uint32_t)v & (ICC_CTLR_CBPR | ICC_CTLR_EOIMODE);
        else
            *val = c->icc_ctlr | ((GICV3_PRIBITS - 1) << ICC_CTLR_PRIBITS_SHIFT) | ICC_CTLR_A3V;
        break;
    case KEY_ICC_IGRPEN0:
        if (w)
            c->icc_igrpen0 = (uint32_t)v & 1;
        else
            *val = c->icc_igrpen0;
        break;
    case KEY_ICC_IGRPEN1:
        if (w)
            c->icc_igrpen1 = (uint32_t)v & 1;
        else
            *val = c->icc_igrpen1;
        break;
    case KEY_ICC_AP0R(0):
        if (w)
            c->icc_ap0r = (uint32_t)v;
        else
            *val = c->icc_ap0r;
        break;
    case KEY_ICC_AP1R(0):
        if (w)
            c->icc_ap1r = (uint32_t)v;
        else
            *val = c->icc_ap1r;
        break;
    case KEY_ICC_SGI0R: icc_sgi(g, cpu, v, false); break;
    case KEY_ICC_SGI1R: icc_sgi(g, cpu, v, true); break;
    case KEY_ICC_ASGI1R: icc_sgi(g, cpu, v, false); break;
    case KEY_ICC_SRE:
        if (!w)
            *val = 7;         /* SRE, DFB, DIB: RAO/WI (System-register interface only) */
        break;
    case KEY_ICC_SRE_EL2:
        if (w)
            c->icc_sre_el2 = 7 | ((uint32_t)v & 8);
        else
            *val = c->icc_sre_el2;
        break;
    default:
        break;
    }
}

GicV3SysregResult gicv3_sysreg_access(GicV3 *g, int cpu, uint32_t key, bool is_write, uint64_t *val,
                                      const GicV3CpuCtx *ctx)
{
    int k = classify(key);
    if (k == K_NONE)
        return GICV3_SYSREG_NONE;
    if (k == K_UNDEF || ctx->el == 0 || cpu < 0 || cpu >= g->ncpus)
        return GICV3_SYSREG_UNDEF;
    if ((is_write && is_ro(key)) || (!is_write && is_wo(key)))
        return GICV3_SYSREG_UNDEF;
    if (k == K_EL2 && ctx->el < 2)
        return GICV3_SYSREG_UNDEF;
    const GicV3Cpu *c = &g->cpu[cpu];
    bool virt = false;
    if (ctx->el == 1) {
        /* Arm ARM / IHI 0069 12.2: ICH_HCR_EL2 traps come before the IMO/FMO redirection. */
        uint32_t hcr = c->ich_hcr;
        switch (k) {
        case K_COMMON:
            if ((hcr & ICH_HCR_TC) || (key == KEY_ICC_DIR && (hcr & ICH_HCR_TDIR)))
                return GICV3_SYSREG_TRAP_EL2;
            virt = ctx->imo || ctx->fmo;
            break;
        case K_G0:
            if (hcr & ICH_HCR_TALL0)
                return GICV3_SYSREG_TRAP_EL2;
            virt = ctx->fmo;
            break;
        case K_G1:
            if (hcr & ICH_HCR_TALL1)
                return GICV3_SYSREG_TRAP_EL2;
            virt = ctx->imo;
            break;
        case K_SGI0:
            if ((hcr & ICH_HCR_TC) || ctx->fmo)
                return GICV3_SYSREG_TRAP_EL2;
            break;
        case K_SGI1:
            if ((hcr & ICH_HCR_TC) || ctx->imo)
                return GICV3_SYSREG_TRAP_EL2;
            break;
        case K_SRE:
            if (!(c->icc_sre_el2 & 8))
                return GICV3_SYSREG_TRAP_EL2;
            break;
        default:
            break;
        }
    }
    GicV3SysregResult r;
    if (virt) {
        r = gicv3_icv_access(g, cpu, key, is_write, val);
    } else if (k == K_EL2 && key != KEY_ICC_SRE_EL2) {
        r = gicv3_ich_access(g, cpu, key, is_write, val);
    } else {
        icc_access(g, cpu, key, is_write, val);
        r = GICV3_SYSREG_OK;
    }
    gicv3_update(g);
    return r;
}

/* ---- debugger view ---------------------------------------------------------------------- */
static void list_bits(GString *out, const char *what, int base, uint32_t bits)
{
    for (int b = 0; b < 32; b++)
        if (bits >> b & 1)
            g_string_append_printf(out, " %s%d", what, base + b);
}

void gicv3_describe(const GicV3 *g, int cpu, GString *out)
{
    const GicV3Cpu *c = &g->cpu[cpu];
    g_string_append_printf(out, "GICD_CTLR 0x%x; cpu%d: GICR_WAKER 0x%x, ICC_PMR 0x%x, IGRPEN1 %u, "
                           "running priority from AP1R 0x%x\n", g->ctlr, cpu, c->gicr_waker, c->icc_pmr,
                           c->icc_igrpen1, c->icc_ap1r);
    g_string_append(out, "  SGI/PPI enabled:");
    list_bits(out, "", 0, c->enable);
    g_string_append(out, "\n  SGI/PPI pending:");
    list_bits(out, "", 0, c->pend | (c->level & ~c->edge));
    g_string_append(out, "\n  SGI/PPI active:");
    list_bits(out, "", 0, c->active);
    g_string_append(out, "\n  SPI enabled:");
    for (int w = 1; w < GICV3_NW; w++)
        list_bits(out, "", w * 32, g->enable[w]);
    g_string_append(out, "\n  SPI pending:");
    for (int w = 1; w < GICV3_NW; w++)
        list_bits(out, "", w * 32, g->pend[w] | (g->level[w] & ~g->edge[w]));
    g_string_append(out, "\n  SPI active:");
    for (int w = 1; w < GICV3_NW; w++)
        list_bits(out, "", w * 32, g->active[w]);
    if (g->lpis) {
        const GicV3Lpi *l = &g->lpi[cpu];
        g_string_append_printf(out, "\n  LPIs %s, PROPBASER 0x%" PRIx64 ", PENDBASER 0x%" PRIx64 ", pending:",
                               c->gicr_ctlr & GICR_CTLR_ENABLE_LPIS ? "enabled" : "disabled",
                               l->propbaser, l->pendbaser);
        for (int w = 0; w < GICV3_LPI_WORDS; w++)
            list_bits(out, "", GICV3_LPI_BASE + w * 32, l->pend[w]);
    }
    g_string_append_printf(out, "\n  ICH_HCR_EL2 0x%x, ICH_VMCR_EL2 0x%x\n", c->ich_hcr, c->ich_vmcr);
    for (int i = 0; i < GICV3_NUM_LRS; i++)
        if (c->ich_lr[i])
            g_string_append_printf(out, "  ICH_LR%d_EL2 0x%016" PRIx64 " (state %u, vINTID %u, priority 0x%x%s)\n",
                                   i, c->ich_lr[i], (unsigned)(c->ich_lr[i] >> 62),
                                   (unsigned)(c->ich_lr[i] & 0xffffffffu),
                                   (unsigned)(c->ich_lr[i] >> 48) & 0xff, c->ich_lr[i] >> 61 & 1 ? ", HW" : "");
}
