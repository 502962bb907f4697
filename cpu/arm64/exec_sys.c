/* Exception generation, hints, barriers, PSTATE writes, system instructions and system
 * register moves (Arm ARM C5.2, C6). */
#include "cpu/arm64/cpu.h"
#include "cpu/arm64/sysreg.h"
#include "a64_decode_gen.h"

const A64Insn *a64_unimplemented(Arm64Cpu *c, const A64Insn *d, const char *what)
{
    char dis[128];
    uint64_t pc = a64_pc(c, d);
    a64_disas(d->raw, pc, dis, sizeof dis);
    machine_stop(c->m, EXIT_UNIMPLEMENTED, "cpu%d: unimplemented %s at PC 0x%llx: %08x  %s",
                 c->index, what, (unsigned long long)pc, d->raw, dis);
    c->pc = pc;
    c->insns_left++;          /* it did not retire */
    return NULL;
}

const A64Insn *a64_undefined(Arm64Cpu *c, const A64Insn *d)
{
    return a64_unimplemented(c, d, "instruction (UNDEFINED or not modelled; no exception model yet)");
}

/* ---- exception generation ---- */
static const A64Insn *exec_SVC(Arm64Cpu *c, const A64Insn *d)
{
    return a64_unimplemented(c, d, "SVC (exception model)");
}

static const A64Insn *firmware(Arm64Cpu *c, const A64Insn *d, A64CallKind kind)
{
    uint64_t pc = a64_pc(c, d);
    if (c->el == 0)
        return a64_undefined(c, d);
    c->pc = pc + 4;           /* the call may redirect it (reset, power off) */
    if (!a64_firmware_call(c, kind, (uint16_t)d->imm)) {
        c->pc = pc;
        return a64_unimplemented(c, d, kind == A64_CALL_HVC ? "HVC (no EL2 and not a firmware call)"
                                                            : "SMC (no EL3 and not a firmware call)");
    }
    return NULL;
}

static const A64Insn *exec_HVC(Arm64Cpu *c, const A64Insn *d) { return firmware(c, d, A64_CALL_HVC); }
static const A64Insn *exec_SMC(Arm64Cpu *c, const A64Insn *d) { return firmware(c, d, A64_CALL_SMC); }
static const A64Insn *exec_BRK(Arm64Cpu *c, const A64Insn *d) { return a64_unimplemented(c, d, "BRK (debug exception)"); }
static const A64Insn *exec_HLT(Arm64Cpu *c, const A64Insn *d) { return a64_unimplemented(c, d, "HLT (halting debug)"); }

#define PREP_IMM16(NAME)                                         \
    bool a64_prep_##NAME(A64Insn *d, const A64Args *a)          \
    {                                                            \
        d->imm = a->imm;                                         \
        d->fn = exec_##NAME;                                     \
        return true;                                             \
    }
PREP_IMM16(SVC)
PREP_IMM16(HVC)
PREP_IMM16(SMC)
PREP_IMM16(BRK)
PREP_IMM16(HLT)

/* ---- hints ---- */
static const A64Insn *exec_NOP(Arm64Cpu *c, const A64Insn *d) { (void)c; return d + 1; }

static const A64Insn *exec_WFI(Arm64Cpu *c, const A64Insn *d)
{
    /* Arm ARM D1.16.2: wait until a WFI wake-up event (an interrupt; none is modelled yet) */
    c->pc = a64_pc(c, d) + 4;
    c->halted = 1;
    return NULL;
}

static const A64Insn *exec_WFE(Arm64Cpu *c, const A64Insn *d)
{
    if (c->event_reg) {
        c->event_reg = 0;
        return d + 1;
    }
    c->pc = a64_pc(c, d) + 4;
    c->halted = 2;
    return NULL;
}

static const A64Insn *exec_SEV(Arm64Cpu *c, const A64Insn *d)
{
    Machine *m = c->m;
    for (int i = 0; i < m->ncpus; i++) {
        Arm64Cpu *o = (Arm64Cpu *)m->cpus[i].obj;
        o->event_reg = 1;
        if (o->halted == 2) {
            o->halted = 0;
            o->event_reg = 0;
        }
    }
    return d + 1;
}

static const A64Insn *exec_SEVL(Arm64Cpu *c, const A64Insn *d)
{
    c->event_reg = 1;
    return d + 1;
}

bool a64_prep_HINT(A64Insn *d, const A64Args *a)
{
    switch (a->crm << 3 | a->op2) {
    case 2: d->fn = exec_WFE; break;
    case 3: d->fn = exec_WFI; break;
    case 4: d->fn = exec_SEV; break;
    case 5: d->fn = exec_SEVL; break;
    default: d->fn = exec_NOP; break;   /* NOP, YIELD, and unallocated hints (C5.2.3) */
    }
    return true;
}

/* ---- barriers ---- */
static const A64Insn *exec_CLREX(Arm64Cpu *c, const A64Insn *d)
{
    a64_monitor_clear(c);
    return d + 1;
}

bool a64_prep_CLREX(A64Insn *d, const A64Args *a) { (void)a; d->fn = exec_CLREX; return true; }
/* One core's accesses are performed in program order and cores interleave only at slice
 * boundaries, so barriers have nothing to order. */
bool a64_prep_DSB(A64Insn *d, const A64Args *a) { (void)a; d->fn = exec_NOP; return true; }
bool a64_prep_DMB(A64Insn *d, const A64Args *a) { (void)a; d->fn = exec_NOP; return true; }
bool a64_prep_ISB(A64Insn *d, const A64Args *a) { (void)a; d->fn = exec_NOP; return true; }
bool a64_prep_SB(A64Insn *d, const A64Args *a) { (void)a; d->fn = exec_NOP; return true; }

/* ---- MSR (immediate): PSTATE fields (C5.2.2) ---- */
static const A64Insn *exec_MSR_SPSel(Arm64Cpu *c, const A64Insn *d)
{
    if (c->el == 0)
        return a64_undefined(c, d);
    a64_select_sp(c, (int)d->imm);
    return d + 1;
}

static const A64Insn *exec_MSR_DAIFSet(Arm64Cpu *c, const A64Insn *d)
{
    if (c->el == 0 && !(c->sys[A64_SYS_SCTLR_EL1] & (1u << 9)))   /* SCTLR_EL1.UMA */
        return a64_undefined(c, d);
    c->daif |= (uint8_t)d->imm;
    return d + 1;
}

static const A64Insn *exec_MSR_DAIFClr(Arm64Cpu *c, const A64Insn *d)
{
    if (c->el == 0 && !(c->sys[A64_SYS_SCTLR_EL1] & (1u << 9)))
        return a64_undefined(c, d);
    c->daif &= (uint8_t)~d->imm;
    /* an unmasked pending interrupt is taken after this instruction (when interrupts exist) */
    return a64_next(c, d);
}

static const A64Insn *exec_MSR_i_unimpl(Arm64Cpu *c, const A64Insn *d)
{
    return a64_unimplemented(c, d, "MSR (immediate) PSTATE field");
}

bool a64_prep_MSR_i(A64Insn *d, const A64Args *a)
{
    d->imm = a->crm;
    if (a->op1 == 0 && a->op2 == 5) {
        d->imm = a->crm & 1;
        d->fn = exec_MSR_SPSel;
    } else if (a->op1 == 3 && a->op2 == 6) {
        d->fn = exec_MSR_DAIFSet;
    } else if (a->op1 == 3 && a->op2 == 7) {
        d->fn = exec_MSR_DAIFClr;
    } else {
        d->fn = exec_MSR_i_unimpl;
    }
    return true;
}

/* ---- SYS: cache maintenance, TLB maintenance, address translation ---- */
static const A64Insn *exec_DC_ZVA(Arm64Cpu *c, const A64Insn *d)
{
    /* DCZID_EL0.BS = 4: 64-byte blocks */
    uint64_t va = c->x[d->rn] & ~(uint64_t)63;
    for (int i = 0; i < 64; i += 8)
        if (!a64_store(c, d, va + (uint64_t)i, 8, 0))
            return a64_fault(c, d);
    return a64_next(c, d);
}

static const A64Insn *exec_TLBI(Arm64Cpu *c, const A64Insn *d)
{
    /* Without stage 1 every mapping is flat; drop the soft TLB all the same, so the rule
     * "TLB maintenance invalidates cached translations" holds from the start. */
    softtlb_flush(&c->tlb);
    return d + 1;
}

static const A64Insn *exec_SYS_unimpl(Arm64Cpu *c, const A64Insn *d)
{
    return a64_unimplemented(c, d, "system instruction");
}

bool a64_prep_SYS(A64Insn *d, const A64Args *a)
{
    d->rn = a64_rreg((uint32_t)a->rt);
    if (a->crn == 7 && a->op1 == 3 && a->crm == 4 && a->op2 == 1)
        d->fn = exec_DC_ZVA;
    else if (a->crn == 7 && (a->crm == 8 || a->crm == 9))
        d->fn = exec_SYS_unimpl;        /* AT: needs the MMU */
    else if (a->crn == 7)
        d->fn = exec_NOP;               /* DC/IC maintenance: no caches are modelled, and
                                           writes to code already drop decoded pages */
    else if (a->crn == 8)
        d->fn = exec_TLBI;
    else
        d->fn = exec_SYS_unimpl;
    return true;
}

bool a64_prep_SYSL(A64Insn *d, const A64Args *a)
{
    (void)a;
    d->fn = exec_SYS_unimpl;
    return true;
}

/* ---- MRS / MSR (register) ---- */
static const A64Insn *exec_MRS(Arm64Cpu *c, const A64Insn *d)
{
    const A64SysReg *r = (const A64SysReg *)(intptr_t)d->imm;
    if (c->el < r->min_el || !(r->access & A64_SR_R))
        return a64_undefined(c, d);
    c->x[d->rd] = a64_sysreg_read(c, r);
    return d + 1;
}

static const A64Insn *exec_MSR_r(Arm64Cpu *c, const A64Insn *d)
{
    const A64SysReg *r = (const A64SysReg *)(intptr_t)d->imm;
    if (c->el < r->min_el || !(r->access & A64_SR_W))
        return a64_undefined(c, d);
    a64_sysreg_write(c, r, c->x[d->rn]);
    return a64_next(c, d);
}

static const A64Insn *exec_sysreg_unknown(Arm64Cpu *c, const A64Insn *d)
{
    uint32_t k = (d->raw >> 5) & 0xffff;
    char what[96];
    snprintf(what, sizeof what, "system register S%u_%u_C%u_C%u_%u (%s)", (k >> 14) & 3,
             (k >> 11) & 7, (k >> 7) & 15, (k >> 3) & 15, k & 7,
             (d->raw & (1u << 21)) ? "MRS" : "MSR");
    return a64_unimplemented(c, d, what);
}

static bool prep_sysreg_move(A64Insn *d, const A64Args *a, bool read)
{
    const A64SysReg *r = a64_sysreg_find(A64_SYSREG_KEY(a->o0 + 2, a->op1, a->crn, a->crm, a->op2));
    if (!r) {
        d->fn = exec_sysreg_unknown;
        return true;
    }
    d->imm = (int64_t)(intptr_t)r;
    if (read) {
        d->rd = a64_wreg((uint32_t)a->rt);
        d->fn = exec_MRS;
    } else {
        d->rn = a64_rreg((uint32_t)a->rt);
        d->fn = exec_MSR_r;
    }
    return true;
}

bool a64_prep_MRS(A64Insn *d, const A64Args *a) { return prep_sysreg_move(d, a, true); }
bool a64_prep_MSR_r(A64Insn *d, const A64Args *a) { return prep_sysreg_move(d, a, false); }
