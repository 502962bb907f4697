/* The system registers of the blocks with their own access rules, in the one register space
 * (sysreg.c searches these tables after its own): the PMUv3 registers (cpu/arm64/pmu.c
 * decides UNDEFINED, PMUSERENR_EL0 and MDCR_EL2.TPM/TPMCR) and the GICv3 CPU interface
 * (devices/gicv3_cpuif.c: ICC_*, the ICV_* behind them under HCR_EL2.IMO/FMO, ICH_*, and
 * ICH_HCR_EL2's traps). Listing them here gives them names for `info sysregs`, completion and
 * traces; the blocks keep their state and its state descriptions. Counter and list-register
 * numbers the models do not implement are not listed: their encodings are UNDEFINED. */
#include "cpu/arm64/sysreg.h"
#include "devices/gicv3.h"

#define K A64_SYSREG_KEY

static A64SysRegResult pmu_access(Arm64Cpu *c, const A64SysReg *r, bool write, uint64_t *v)
{
    uint64_t hcr = a64_hcr(c);
    a64_pmu_update(c);
    A64PmuCtx ctx = { .el = c->el,
                      .el0_in_host = c->el == 0 && (hcr & (A64_HCR_E2H | A64_HCR_TGE)) ==
                                                       (A64_HCR_E2H | A64_HCR_TGE),
                      .insns_total = c->pmu.last_insns, .cycles_total = c->pmu.last_cycles };
    switch (a64_pmu_sysreg(&c->pmu, r->key, write, v, &ctx)) {
    case A64_PMU_OK:
        return A64_SR_DONE;
    case A64_PMU_TRAP_EL1:
        return A64_SR_TRAP_EL1;
    case A64_PMU_TRAP_EL2:
        return A64_SR_TRAP_EL2;
    default:
        return A64_SR_UNDEF;
    }
}

/* The list register holding virtual interrupt vintid (not invalid), or -1. Reading list
 * registers has no side effect. */
static int find_lr(Arm64Cpu *c, uint32_t vintid)
{
    GicV3CpuCtx el2 = { .el = 2 };
    for (int n = 0; n < 4; n++) {
        uint64_t lr;
        if (gicv3_sysreg_access(c->gic, c->index, K(3, 4, 12, 12, n), false, &lr, &el2) ==
                GICV3_SYSREG_OK && (uint32_t)lr == vintid && (lr >> 62))
            return n;
    }
    return -1;
}

/* EV_IRQ from a completed CPU-interface access: acknowledge (IAR), end (EOIR), deactivate
 * (DIR), raise (an SGI sent; a virtual interrupt written pending into a list register).
 * ICC_* accesses of a guest under HCR_EL2.IMO/FMO reach the virtual interface (virt). True
 * when a subscriber asks for a pause. */
static bool publish_irq(Arm64Cpu *c, uint32_t key, bool write, uint64_t v, const GicV3CpuCtx *ctx,
                        int lr_before)
{
    static const char *const stages[] = { "raise", "ack", "eoi", "deactivate" };
    bool group0 = key == K(3, 0, 12, 8, 0) || key == K(3, 0, 12, 8, 1);
    bool virt = group0 ? ctx->fmo : ctx->imo;
    int stage, lr = lr_before;
    uint32_t intid = (uint32_t)v & 0xffffff;
    if (!write && (key == K(3, 0, 12, 8, 0) || key == K(3, 0, 12, 12, 0))) {
        if (intid >= 1020 && intid < 1024)
            return false;                       /* spurious: nothing acknowledged */
        stage = EV_IRQ_ACK;
    } else if (write && (key == K(3, 0, 12, 8, 1) || key == K(3, 0, 12, 12, 1))) {
        stage = EV_IRQ_EOI;
    } else if (write && key == K(3, 0, 12, 11, 1)) {
        stage = EV_IRQ_DEACTIVATE;
        virt = ctx->imo || ctx->fmo;
    } else if (write && (key == K(3, 0, 12, 11, 5) || key == K(3, 0, 12, 11, 6) ||
                         key == K(3, 0, 12, 11, 7))) {
        stage = EV_IRQ_RAISE;                   /* SGI: INTID in bits [27:24] */
        intid = (uint32_t)(v >> 24) & 0xf;
        virt = false;
    } else if (write && (key & ~7u) == K(3, 4, 12, 12, 0) && ((v >> 62) & 1)) {
        stage = EV_IRQ_RAISE;                   /* ICH_LR<n>_EL2 written pending */
        intid = (uint32_t)v;
        virt = true;
        lr = (int)(key & 7);
    } else {
        return false;
    }
    if (virt && lr < 0)
        lr = find_lr(c, intid);
    EvInfo e = { .kind = EV_IRQ, .cpu = c->index, .el = c->el, .vmid = a64_current_vmid(c),
                 .pc = c->pc, .time = a64_now(c),
                 .u.irq = { .stage = stage, .stage_name = stages[stage], .intid = intid,
                            .virt = virt, .lr = lr, .value = v } };
    return ev_publish(&c->m->events, &e);
}

static A64SysRegResult gic_access(Arm64Cpu *c, const A64SysReg *r, bool write, uint64_t *v)
{
    if (!c->gic)
        return A64_SR_UNDEF;
    uint64_t hcr = a64_hcr(c);
    bool guest = c->el == 1 && c->has_el2 && !(hcr & A64_HCR_TGE);
    GicV3CpuCtx ctx = { .el = c->el, .imo = guest && (hcr & A64_HCR_IMO),
                        .fmo = guest && (hcr & A64_HCR_FMO) };
    /* a virtual EOI or deactivation frees its list register: which one, before it does */
    int lr_before = -1;
    if (unlikely(ev_wants(&c->m->events, EV_IRQ)) && write && (ctx.imo || ctx.fmo) &&
        (r->key == K(3, 0, 12, 8, 1) || r->key == K(3, 0, 12, 12, 1) || r->key == K(3, 0, 12, 11, 1)))
        lr_before = find_lr(c, (uint32_t)*v & 0xffffff);
    switch (gicv3_sysreg_access(c->gic, c->index, r->key, write, v, &ctx)) {
    case GICV3_SYSREG_OK:
        if (unlikely(ev_wants(&c->m->events, EV_IRQ)) &&
            publish_irq(c, r->key, write, *v, &ctx, lr_before))
            a64_pause_after(c);
        return A64_SR_DONE;
    case GICV3_SYSREG_TRAP_EL2:
        return A64_SR_TRAP_EL2;
    default:
        return A64_SR_UNDEF;
    }
}

/* name, key, minimum EL (for listings; the block checks), access bits, flags */
#define PMU(name, key, min_el, acc, flags) \
    { name, key, min_el, acc, -1, 0, 0, NULL, NULL, 0, pmu_access, flags }
#define GIC(name, key, min_el, acc, flags) \
    { name, key, min_el, acc, -1, 0, 0, NULL, NULL, 0, gic_access, flags }
#define NP A64_SR_NOPEEK

/* Every PMU read syncs the lazily counted events first: not for the debugger. */
const A64SysReg a64_pmu_sysregs[] = {
    PMU("PMCR_EL0", K(3, 3, 9, 12, 0), 0, A64_SR_RW, NP),
    PMU("PMCNTENSET_EL0", K(3, 3, 9, 12, 1), 0, A64_SR_RW, NP),
    PMU("PMCNTENCLR_EL0", K(3, 3, 9, 12, 2), 0, A64_SR_RW, NP),
    PMU("PMOVSCLR_EL0", K(3, 3, 9, 12, 3), 0, A64_SR_RW, NP),
    PMU("PMSWINC_EL0", K(3, 3, 9, 12, 4), 0, A64_SR_W, NP),
    PMU("PMSELR_EL0", K(3, 3, 9, 12, 5), 0, A64_SR_RW, NP),
    PMU("PMCEID0_EL0", K(3, 3, 9, 12, 6), 0, A64_SR_R, NP),
    PMU("PMCEID1_EL0", K(3, 3, 9, 12, 7), 0, A64_SR_R, NP),
    PMU("PMCCNTR_EL0", K(3, 3, 9, 13, 0), 0, A64_SR_RW, NP),
    PMU("PMXEVTYPER_EL0", K(3, 3, 9, 13, 1), 0, A64_SR_RW, NP),
    PMU("PMXEVCNTR_EL0", K(3, 3, 9, 13, 2), 0, A64_SR_RW, NP),
    PMU("PMUSERENR_EL0", K(3, 3, 9, 14, 0), 0, A64_SR_RW, NP),
    PMU("PMINTENSET_EL1", K(3, 0, 9, 14, 1), 1, A64_SR_RW, NP),
    PMU("PMINTENCLR_EL1", K(3, 0, 9, 14, 2), 1, A64_SR_RW, NP),
    PMU("PMOVSSET_EL0", K(3, 3, 9, 14, 3), 0, A64_SR_RW, NP),
#define EVC(n) PMU("PMEVCNTR" #n "_EL0", K(3, 3, 14, 8, n), 0, A64_SR_RW, NP), \
               PMU("PMEVTYPER" #n "_EL0", K(3, 3, 14, 12, n), 0, A64_SR_RW, NP)
    EVC(0), EVC(1), EVC(2), EVC(3), EVC(4), EVC(5),
#undef EVC
    PMU("PMCCFILTR_EL0", K(3, 3, 14, 15, 7), 0, A64_SR_RW, NP),
};
const size_t a64_pmu_nsysregs = sizeof a64_pmu_sysregs / sizeof a64_pmu_sysregs[0];

/* Reading IAR acknowledges an interrupt; the write-only ones have nothing to read. */
const A64SysReg a64_gic_sysregs[] = {
    GIC("ICC_PMR_EL1", K(3, 0, 4, 6, 0), 1, A64_SR_RW, 0),
    GIC("ICC_IAR0_EL1", K(3, 0, 12, 8, 0), 1, A64_SR_R, NP),
    GIC("ICC_EOIR0_EL1", K(3, 0, 12, 8, 1), 1, A64_SR_W, NP),
    GIC("ICC_HPPIR0_EL1", K(3, 0, 12, 8, 2), 1, A64_SR_R, 0),
    GIC("ICC_BPR0_EL1", K(3, 0, 12, 8, 3), 1, A64_SR_RW, 0),
    GIC("ICC_AP0R0_EL1", K(3, 0, 12, 8, 4), 1, A64_SR_RW, 0),
    GIC("ICC_AP1R0_EL1", K(3, 0, 12, 9, 0), 1, A64_SR_RW, 0),
    GIC("ICC_DIR_EL1", K(3, 0, 12, 11, 1), 1, A64_SR_W, NP),
    GIC("ICC_RPR_EL1", K(3, 0, 12, 11, 3), 1, A64_SR_R, 0),
    GIC("ICC_SGI1R_EL1", K(3, 0, 12, 11, 5), 1, A64_SR_W, NP),
    GIC("ICC_ASGI1R_EL1", K(3, 0, 12, 11, 6), 1, A64_SR_W, NP),
    GIC("ICC_SGI0R_EL1", K(3, 0, 12, 11, 7), 1, A64_SR_W, NP),
    GIC("ICC_IAR1_EL1", K(3, 0, 12, 12, 0), 1, A64_SR_R, NP),
    GIC("ICC_EOIR1_EL1", K(3, 0, 12, 12, 1), 1, A64_SR_W, NP),
    GIC("ICC_HPPIR1_EL1", K(3, 0, 12, 12, 2), 1, A64_SR_R, 0),
    GIC("ICC_BPR1_EL1", K(3, 0, 12, 12, 3), 1, A64_SR_RW, 0),
    GIC("ICC_CTLR_EL1", K(3, 0, 12, 12, 4), 1, A64_SR_RW, 0),
    GIC("ICC_SRE_EL1", K(3, 0, 12, 12, 5), 1, A64_SR_RW, 0),
    GIC("ICC_IGRPEN0_EL1", K(3, 0, 12, 12, 6), 1, A64_SR_RW, 0),
    GIC("ICC_IGRPEN1_EL1", K(3, 0, 12, 12, 7), 1, A64_SR_RW, 0),
    GIC("ICC_SRE_EL2", K(3, 4, 12, 9, 5), 2, A64_SR_RW, 0),
    GIC("ICH_AP0R0_EL2", K(3, 4, 12, 8, 0), 2, A64_SR_RW, 0),
    GIC("ICH_AP1R0_EL2", K(3, 4, 12, 9, 0), 2, A64_SR_RW, 0),
    GIC("ICH_HCR_EL2", K(3, 4, 12, 11, 0), 2, A64_SR_RW, 0),
    GIC("ICH_VTR_EL2", K(3, 4, 12, 11, 1), 2, A64_SR_R, 0),
    GIC("ICH_MISR_EL2", K(3, 4, 12, 11, 2), 2, A64_SR_R, 0),
    GIC("ICH_EISR_EL2", K(3, 4, 12, 11, 3), 2, A64_SR_R, 0),
    GIC("ICH_ELRSR_EL2", K(3, 4, 12, 11, 5), 2, A64_SR_R, 0),
    GIC("ICH_VMCR_EL2", K(3, 4, 12, 11, 7), 2, A64_SR_RW, 0),
    GIC("ICH_LR0_EL2", K(3, 4, 12, 12, 0), 2, A64_SR_RW, 0),
    GIC("ICH_LR1_EL2", K(3, 4, 12, 12, 1), 2, A64_SR_RW, 0),
    GIC("ICH_LR2_EL2", K(3, 4, 12, 12, 2), 2, A64_SR_RW, 0),
    GIC("ICH_LR3_EL2", K(3, 4, 12, 12, 3), 2, A64_SR_RW, 0),
};
const size_t a64_gic_nsysregs = sizeof a64_gic_sysregs / sizeof a64_gic_sysregs[0];

bool a64_sysreg_peek(Arm64Cpu *c, const A64SysReg *r, uint64_t *v)
{
    if (r->flags & A64_SR_NOPEEK)
        return false;
    if (r->block) {
        *v = 0;
        return r->block(c, r, false, v) == A64_SR_DONE;
    }
    if (r->slot < 0 && r->read != NULL)
        return false;   /* a computed register: some reads act (ISR, timers sync): not here */
    *v = r->slot >= 0 ? c->sys[r->slot] : 0;
    return r->slot >= 0;
}
