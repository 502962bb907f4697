/* The AArch64 exception model (Arm ARM D1): taking synchronous exceptions and interrupts,
 * routing between EL1 and EL2, exception return, and the interrupt inputs.
 *
 * EL3 is not implemented: PSCI is firmware emulated by the board (boards/psci.c) and an SMC
 * that is neither trapped to EL2 nor a firmware call is UNDEFINED (D1.19, "SMC when EL3 is
 * not implemented"). EL2 exists when the board enables virtualization. All ELs are AArch64. */
#include "cpu/arm64/cpu.h"
#include "cpu/arm64/timing.h"
#include <string.h>
#include "cpu/arm64/debug.h"
#include "cpu/arm64/sysreg.h"
#include "hypervisor-model/vmexit.h"

/* Per-EL registers of the exception model (index = EL; EL0 and EL3 have none here). */
static const int16_t slot_spsr[4] = { -1, A64_SYS_SPSR_EL1, A64_SYS_SPSR_EL2, -1 };
static const int16_t slot_elr[4] = { -1, A64_SYS_ELR_EL1, A64_SYS_ELR_EL2, -1 };
static const int16_t slot_esr[4] = { -1, A64_SYS_ESR_EL1, A64_SYS_ESR_EL2, -1 };
static const int16_t slot_far[4] = { -1, A64_SYS_FAR_EL1, A64_SYS_FAR_EL2, -1 };
static const int16_t slot_vbar[4] = { -1, A64_SYS_VBAR_EL1, A64_SYS_VBAR_EL2, -1 };

uint64_t a64_hcr(const Arm64Cpu *c)
{
    return c->has_el2 ? c->sys[A64_SYS_HCR_EL2] : 0;
}

uint64_t a64_pstate_to_spsr(const Arm64Cpu *c)
{
    return a64_get_nzcv(c) | (uint64_t)c->pan << 22 | (uint64_t)c->ss << 21 | (uint64_t)c->il << 20 |
           (uint64_t)c->daif << 6 | (uint64_t)c->el << 2 | c->spsel;
}

int a64_sync_target_el(const Arm64Cpu *c)
{
    if (c->el == 2 || (c->el == 0 && (a64_hcr(c) & A64_HCR_TGE)))
        return 2;
    return 1;
}

/* Moves to exception level `el` with stack pointer selection `sp`, banking SP_ELx. */
static void switch_el(Arm64Cpu *c, int el, int sp)
{
    if (el != c->el)
        a64_pmu_update(c);    /* events so far belong to the EL being left (each EL has its
                               * own soft TLB: nothing to flush) */
    int from = c->spsel ? c->el : 0, to = sp ? el : 0;
    c->sp_el[from] = c->x[A64_SP];
    c->x[A64_SP] = c->sp_el[to];
    a64_set_el(c, el);
    c->spsel = (uint8_t)sp;
}

static const char *const vec_names[4] = { "sync", "irq", "fiq", "serror" };

/* The fault status code of an abort (ISS.DFSC/IFSC, D17.2.37 "ESR_EL2"). */
static void describe_fsc(unsigned fsc, char *buf, size_t n)
{
    static const char *const kinds[4] = { "address size", "translation", "access flag", "permission" };
    if (fsc < 0x10)
        snprintf(buf, n, "%s fault, level %u", kinds[fsc >> 2], fsc & 3);
    else if (fsc == 0x10)
        snprintf(buf, n, "synchronous external abort");
    else if (fsc >= 0x14 && fsc <= 0x17)
        snprintf(buf, n, "synchronous external abort on a table walk, level %u", fsc & 3);
    else if (fsc == 0x21)
        snprintf(buf, n, "alignment fault");
    else
        snprintf(buf, n, "fault status 0x%02x", fsc);
}

void a64_describe_esr(uint64_t esr, char *buf, size_t n)
{
    unsigned ec = (unsigned)(esr >> 26) & 0x3f;
    uint32_t iss = (uint32_t)esr & 0x1ffffff;
    char fsc[80];
    switch (ec) {
    case A64_EC_UNKNOWN: snprintf(buf, n, "unknown reason (UNDEFINED)"); break;
    case A64_EC_WFX: snprintf(buf, n, "%s trapped", (iss & 1) ? "WFE" : "WFI"); break;
    case 0x07: snprintf(buf, n, "FP/SIMD access trapped"); break;
    case A64_EC_ILLEGAL: snprintf(buf, n, "illegal execution state"); break;
    case A64_EC_SVC: snprintf(buf, n, "SVC #0x%x", iss & 0xffff); break;
    case A64_EC_HVC: snprintf(buf, n, "HVC #0x%x", iss & 0xffff); break;
    case A64_EC_SMC: snprintf(buf, n, "SMC #0x%x", iss & 0xffff); break;
    case A64_EC_SYSREG:
        snprintf(buf, n, "%s S%u_%u_C%u_C%u_%u, x%u trapped", (iss & 1) ? "MRS" : "MSR",
                 (iss >> 20) & 3, (iss >> 14) & 7, (iss >> 10) & 15, (iss >> 1) & 15,
                 (iss >> 17) & 7, (iss >> 5) & 31);
        break;
    case A64_EC_IABT_LOW:
    case A64_EC_IABT_CUR:
        describe_fsc(iss & 0x3f, fsc, sizeof fsc);
        snprintf(buf, n, "instruction abort from %s EL: %s%s", ec == A64_EC_IABT_LOW ? "a lower" : "the same",
                 fsc, (iss & (1u << 7)) ? " (stage-1 walk)" : "");
        break;
    case A64_EC_PC_ALIGN: snprintf(buf, n, "PC alignment fault"); break;
    case A64_EC_DABT_LOW:
    case A64_EC_DABT_CUR:
        describe_fsc(iss & 0x3f, fsc, sizeof fsc);
        snprintf(buf, n, "data abort from %s EL: %s, %s%s", ec == A64_EC_DABT_LOW ? "a lower" : "the same",
                 fsc, (iss & (1u << 6)) ? "write" : "read", (iss & (1u << 7)) ? " (stage-1 walk)" : "");
        if (iss & (1u << 24)) {     /* ISV: SAS, SRT */
            unsigned srt = (iss >> 16) & 31;
            char reg[8];
            snprintf(reg, sizeof reg, srt == 31 ? "xzr" : "x%u", srt);
            snprintf(buf + strlen(buf), n - strlen(buf), ", %u-byte, %s", 1u << ((iss >> 22) & 3), reg);
        }
        break;
    case A64_EC_SP_ALIGN: snprintf(buf, n, "SP alignment fault"); break;
    case 0x2f: snprintf(buf, n, "SError"); break;
    case A64_EC_BREAKPOINT_LOW:
    case A64_EC_BREAKPOINT_CUR:
        snprintf(buf, n, "breakpoint from %s EL", ec == A64_EC_BREAKPOINT_LOW ? "a lower" : "the same");
        break;
    case A64_EC_STEP_LOW:
    case A64_EC_STEP_CUR:
        snprintf(buf, n, "software step from %s EL%s", ec == A64_EC_STEP_LOW ? "a lower" : "the same",
                 !(iss & (1u << 24)) ? " (no instruction stepped)"
                 : (iss & (1u << 6)) ? " (a load-exclusive stepped)" : "");
        break;
    case A64_EC_WATCHPOINT_LOW:
    case A64_EC_WATCHPOINT_CUR:
        snprintf(buf, n, "watchpoint from %s EL: %s", ec == A64_EC_WATCHPOINT_LOW ? "a lower" : "the same",
                 (iss & (1u << 6)) ? "write" : "read");
        break;
    case A64_EC_BRK: snprintf(buf, n, "BRK #0x%x", iss & 0xffff); break;
    default: snprintf(buf, n, "exception class 0x%02x", ec); break;
    }
}

/* -d int: one line per exception taken, a subscriber of EV_EXC_TAKEN (opaque: the machine):
 *   INT cpu0 sync EL1 vm1->EL2 pc=... esr=... far=... (what the syndrome says) */
static bool trace_int(void *opaque, const EvInfo *e)
{
    Machine *m = opaque;
    const EvArm64Exc *a = e->arch;
    char what[160] = "";
    if (a->vec == A64_VEC_SYNC) {
        what[0] = ' ';
        what[1] = '(';
        a64_describe_esr(a->esr, what + 2, sizeof what - 3);
        strcat(what, ")");
    }
    char vmtag[16] = "";
    if (e->vmid >= 0)
        snprintf(vmtag, sizeof vmtag, " vm%d", e->vmid);
    fprintf(m->trace, "INT cpu%d %s EL%d%s->EL%d pc=%016llx esr=%08llx far=%016llx%s\n", e->cpu,
            vec_names[a->vec], e->el, vmtag, e->u.exc.to_el, (unsigned long long)e->pc,
            (unsigned long long)a->esr, a->far_valid ? (unsigned long long)a->far : 0ULL, what);
    return false;
}

void a64_trace_int(Machine *m, bool on)
{
    ev_switch(&m->events, on, EV_BIT(EV_EXC_TAKEN), EV_PRIO_TRACE, trace_int, m);
}

void a64_set_trace_mask(Machine *m, uint32_t mask)
{
    m->cfg.trace_mask = mask;
    for (int i = 0; i < m->ncpus; i++)
        if (m->cpus[i].cls == &a64_cpu_class)
            ((Arm64Cpu *)m->cpus[i].obj)->trace_mask = mask;
    a64_trace_int(m, (mask & TRACE_INT) != 0);
    a64_trace_exec(m, (mask & TRACE_EXEC) != 0);
    a64_trace_mmu(m, (mask & TRACE_MMU) != 0);
    a64_trace_in_asm(m, (mask & TRACE_IN_ASM) != 0);
    a64_trace_unimp(m, (mask & TRACE_UNIMP) != 0);
    for (int i = 0; i < m->ncpus; i++)
        if (m->cpus[i].cls == &a64_cpu_class && ((Arm64Cpu *)m->cpus[i].obj)->hvm) {
            hvm_set_trace(((Arm64Cpu *)m->cpus[i].obj)->hvm, (mask & TRACE_VMEXIT) != 0);
            break;
        }
}

void a64_take_exception(Arm64Cpu *c, int target_el, int vec, uint64_t esr, uint64_t preferred_return,
                        bool far_valid, uint64_t far)
{
    /* AArch64.TakeException(): the vector offset says where the exception came from. */
    uint64_t offset = (uint64_t)vec * 0x80;
    if (target_el > c->el)
        offset += 0x400;                       /* lower EL using AArch64 */
    else if (c->spsel)
        offset += 0x200;                       /* current EL with SP_ELx */
    int from_el = c->el;
    int vmid = a64_current_vmid(c);
    if (unlikely(a64_pmu_wants(&c->pmu, A64_PMU_EV_EXC_TAKEN)))
        a64_pmu_count(&c->pmu, A64_PMU_EV_EXC_TAKEN, 1, c->el);
    c->sys[slot_spsr[target_el]] = a64_pstate_to_spsr(c);
    c->sys[slot_elr[target_el]] = preferred_return;
    if (vec == A64_VEC_SYNC || vec == A64_VEC_SERROR)
        c->sys[slot_esr[target_el]] = esr;
    if (far_valid)
        c->sys[slot_far[target_el]] = far;
    switch_el(c, target_el, 1);
    if (c->tm)
        a64_tm_exception(c);
    c->daif = 0xf;                             /* D, A, I, F all masked */
    c->il = 0;
    c->ss = 0;                                 /* SPSR.SS kept the step state (D2.12.6) */
    c->ss_syn = 0;
    /* PSTATE.PAN is set on entry to EL1 when SCTLR_EL1.SPAN (bit 23) is 0, and on entry to
     * EL2 in the host (E2H and TGE) when SCTLR_EL2.SPAN is 0 (FEAT_PAN, D1.2.4). */
    if (c->has_pan) {
        uint64_t hcr = a64_hcr(c);
        uint8_t old_pan = c->pan;
        if (target_el == 1 && !(c->sys[A64_SYS_SCTLR_EL1] & (1u << 23)))
            c->pan = 1;
        else if (target_el == 2 && (hcr & A64_HCR_E2H) && (hcr & A64_HCR_TGE) &&
                 !(c->sys[A64_SYS_SCTLR_EL2] & (1u << 23)))
            c->pan = 1;
        if (c->pan != old_pan)
            a64_tlb_flush(c);     /* cached permissions depend on PAN */
    }
    c->halted = 0;
    c->pc = c->sys[slot_vbar[target_el]] + offset;
    c->exit_request = 1;
    if (ev_wants(&c->m->events, EV_EXC_TAKEN)) {
        EvArm64Exc arch = { .vec = vec, .esr = esr, .far = far, .far_valid = far_valid };
        EvInfo e = { .kind = EV_EXC_TAKEN, .cpu = c->index, .el = from_el, .vmid = vmid,
                     .pc = preferred_return, .time = a64_now(c),
                     .u.exc = { .to_el = target_el, .syndrome = esr, .vector = vec,
                                .cause = vec == 0 ? (int)((esr >> 26) & 0x3f) : -1,
                                .call = vec == 0 && ((esr >> 26) & 0x3f) == 0x16
                                        ? (int64_t)(esr & 0xffff) : -1 },
                     .arch = &arch };
        if (ev_publish(&c->m->events, &e)) {
            c->m->paused = true;
            c->m->stop = true;
        }
    }
}

/* Debug exceptions (breakpoint instruction, breakpoints, watchpoints, software step) from
 * EL0/EL1 go to EL1, or to EL2 when MDCR_EL2.TDE (or HCR_EL2.TGE, which makes TDE behave as
 * 1) is set (D2.4, "Routing debug exceptions"); at EL2 they stay at EL2. */
int a64_debug_target_el(const Arm64Cpu *c)
{
    if (c->el == 2)
        return 2;
    if (c->has_el2 && ((c->sys[A64_SYS_MDCR_EL2] & (1ULL << 8)) || (a64_hcr(c) & A64_HCR_TGE)))
        return 2;
    return 1;
}

const A64Insn *a64_sync_exception(Arm64Cpu *c, const A64Insn *d, int target_el, unsigned ec, uint32_t iss)
{
    uint64_t esr = (uint64_t)ec << 26 | 1u << 25 | (iss & 0x1ffffff);
    a64_take_exception(c, target_el, A64_VEC_SYNC, esr, a64_pc(c, d), false, 0);
    /* The faulting instruction does not retire architecturally, but it is a step of the run
     * (it costs a cycle and counts toward --max-insns), so a guest spinning on exceptions
     * still advances simulated time. */
    return NULL;
}

const A64Insn *a64_undefined(Arm64Cpu *c, const A64Insn *d)
{
    return a64_sync_exception(c, d, a64_sync_target_el(c), A64_EC_UNKNOWN, 0);
}

/* AArch64.ExceptionReturn() with the IllegalExceptionReturn() checks (D1.11.2). */
void a64_exception_return(Arm64Cpu *c, uint64_t spsr, uint64_t elr)
{
    int from_el = c->el;
    unsigned m = spsr & 0x1f;
    int target = (int)(m >> 2) & 3;
    bool illegal = (m & 0x10)                                  /* AArch32: not implemented */
                   || (m & 2)                                  /* reserved M[1] */
                   || target > c->el || target == 3
                   || (target == 2 && !c->has_el2)
                   || (target == 1 && c->el == 2 && (a64_hcr(c) & A64_HCR_TGE) &&
                       !(a64_hcr(c) & A64_HCR_E2H))
                   || (target == 0 && (m & 1));
    if (unlikely(a64_pmu_wants(&c->pmu, A64_PMU_EV_EXC_RETURN)))
        a64_pmu_count(&c->pmu, A64_PMU_EV_EXC_RETURN, 1, c->el);
    c->ss = a64_debug_return_ss(c, spsr, illegal);   /* before PSTATE.D and the EL change */
    c->ss_syn = 0;
    a64_set_nzcv(c, spsr);
    c->daif = (spsr >> 6) & 0xf;
    uint8_t new_pan = c->has_pan ? (spsr >> 22) & 1 : 0;
    if (new_pan != c->pan)
        a64_tlb_flush(c);
    c->pan = new_pan;
    if (illegal) {
        c->il = 1;                                             /* EL and SP unchanged */
    } else {
        c->il = (spsr >> 20) & 1;
        switch_el(c, target, (int)(m & 1));
    }
    a64_monitor_clear(c);                                      /* ClearExclusiveLocal() */
    c->event_reg = 1;                                          /* SendEventLocal() (D1.16.1) */
    c->pc = elr;                                               /* no tagged addresses here */
    c->halted = 0;
    c->exit_request = 1;
    if (!illegal && ev_wants(&c->m->events, EV_EXC_RETURN)) {
        /* el: the EL returned from; vmid: the guest returned to (the core is there now) */
        EvInfo e = { .kind = EV_EXC_RETURN, .cpu = c->index, .el = from_el,
                     .vmid = a64_current_vmid(c), .pc = elr, .time = a64_now(c),
                     .u.exc = { .to_el = target } };
        if (ev_publish(&c->m->events, &e)) {
            c->m->paused = true;
            c->m->stop = true;
        }
    }
}

/* ---- interrupts ---- */
void a64_cpu_set_line(void *opaque, int n, int level)
{
    Arm64Cpu *c = opaque;
    uint8_t bit = (uint8_t)(1u << n);
    uint8_t old = c->irq_lines;
    c->irq_lines = level ? (uint8_t)(old | bit) : (uint8_t)(old & ~bit);
    if (c->irq_lines != old)
        c->exit_request = 1;                   /* re-check at the next instruction boundary */
}

/* Where a physical IRQ (fmo=false) or FIQ goes, and whether PSTATE masks it (D1.3.6):
 * routed to EL2 by HCR_EL2.IMO/FMO or TGE, it is taken from EL0/EL1 whatever PSTATE.I/F say
 * and masked at EL2 by them; routed to EL1, it is never taken at EL2. */
static int phys_target(const Arm64Cpu *c, uint64_t route_bit, unsigned daif_bit, bool ignore_mask)
{
    uint64_t hcr = a64_hcr(c);
    if (hcr & (route_bit | A64_HCR_TGE)) {
        if (c->el < 2 || ignore_mask || !(c->daif & daif_bit))
            return 2;
        return -1;
    }
    if (c->el <= 1 && (ignore_mask || !(c->daif & daif_bit)))
        return 1;
    return -1;
}

/* Virtual IRQ/FIQ (D1.3.7): pending from HCR_EL2.VI/VF or the GIC's virtual CPU interface,
 * taken to EL1 from EL0/EL1 when HCR_EL2.IMO/FMO is set and TGE is not. */
static bool virt_pending(const Arm64Cpu *c, uint64_t route_bit, uint64_t v_bit, int line,
                         unsigned daif_bit, bool ignore_mask)
{
    uint64_t hcr = a64_hcr(c);
    if (!(hcr & route_bit) || (hcr & A64_HCR_TGE) || c->el > 1)
        return false;
    if (!(hcr & v_bit) && !(c->irq_lines & (1u << line)))
        return false;
    return ignore_mask || !(c->daif & daif_bit);
}

bool a64_wakeup_pending(const Arm64Cpu *c)
{
    if (c->irq_lines & (1u << A64_LINE_IRQ | 1u << A64_LINE_FIQ))
        return true;
    return virt_pending(c, A64_HCR_IMO, A64_HCR_VI, A64_LINE_VIRQ, 2, true) ||
           virt_pending(c, A64_HCR_FMO, A64_HCR_VF, A64_LINE_VFIQ, 1, true);
}

bool a64_check_interrupts(Arm64Cpu *c)
{
    if (unlikely(c->il)) {
        /* Illegal Execution state exception (D1.4.4) on the next instruction. */
        uint64_t esr = (uint64_t)A64_EC_ILLEGAL << 26 | 1u << 25;
        a64_take_exception(c, a64_sync_target_el(c), A64_VEC_SYNC, esr, c->pc, false, 0);
        return true;
    }
    /* DAIF bits: D = 8, A = 4, I = 2, F = 1. FIQ before IRQ, physical before virtual. */
    int t;
    if ((c->irq_lines & (1u << A64_LINE_FIQ)) && (t = phys_target(c, A64_HCR_FMO, 1, false)) > 0) {
        a64_take_exception(c, t, A64_VEC_FIQ, 0, c->pc, false, 0);
        return true;
    }
    if ((c->irq_lines & (1u << A64_LINE_IRQ)) && (t = phys_target(c, A64_HCR_IMO, 2, false)) > 0) {
        a64_take_exception(c, t, A64_VEC_IRQ, 0, c->pc, false, 0);
        return true;
    }
    if (virt_pending(c, A64_HCR_FMO, A64_HCR_VF, A64_LINE_VFIQ, 1, false)) {
        a64_take_exception(c, 1, A64_VEC_FIQ, 0, c->pc, false, 0);
        return true;
    }
    if (virt_pending(c, A64_HCR_IMO, A64_HCR_VI, A64_LINE_VIRQ, 2, false)) {
        a64_take_exception(c, 1, A64_VEC_IRQ, 0, c->pc, false, 0);
        return true;
    }
    /* Virtual SError (HCR_EL2.VSE with AMO, D1.3.8): taken to EL1 when PSTATE.A is clear;
     * taking it clears VSE. ESR: IDS = 0, ISS IMPLEMENTATION DEFINED = 0 (no FEAT_RAS). */
    uint64_t hcr = a64_hcr(c);
    if ((hcr & A64_HCR_VSE) && (hcr & A64_HCR_AMO) && !(hcr & A64_HCR_TGE) && c->el <= 1 &&
        !(c->daif & 4)) {
        c->sys[A64_SYS_HCR_EL2] &= ~A64_HCR_VSE;
        a64_take_exception(c, 1, A64_VEC_SERROR, (uint64_t)0x2f << 26 | 1u << 25, c->pc, false, 0);
        return true;
    }
    return false;
}
