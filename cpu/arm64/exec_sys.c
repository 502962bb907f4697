/* Exception generation, hints, barriers, PSTATE writes, system instructions and system
 * register moves (Arm ARM C5.2, C6). */
#include "cpu/arm64/cpu.h"
#include "cpu/arm64/timing.h"
#include "cpu/arm64/debug.h"
#include "cpu/arm64/sysreg.h"
#include "devices/gicv3.h"
#include "hypervisor-model/sysreg_traps.h"
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

/* ---- exception generation (C6.2: SVC, HVC, SMC; routing per D1.3) ---- */
A64_EXEC(exec_SVC)
{
    /* Preferred return: the next instruction. From EL0 to EL1, or EL2 when HCR_EL2.TGE. */
    a64_ss_advance(c, d->raw);
    const A64Insn *r = a64_sync_exception(c, d, a64_sync_target_el(c), A64_EC_SVC, (uint32_t)d->imm);
    c->sys[c->el == 2 ? A64_SYS_ELR_EL2 : A64_SYS_ELR_EL1] += 4;
    return r;
}

/* A call that the board's firmware (PSCI) handles, as if EL3 or a hypervisor did. */
static const A64Insn *firmware(Arm64Cpu *c, const A64Insn *d, A64CallKind kind)
{
    uint64_t pc = a64_pc(c, d), fid = c->x[0];
    c->pc = pc + 4;           /* the call may redirect it (reset, power off) */
    if (!a64_firmware_call(c, kind, (uint16_t)d->imm)) {
        c->pc = pc;
        return a64_undefined(c, d);
    }
    c->exit_request = 1;
    if (unlikely(ev_wants(&c->m->events, EV_FWCALL))) {
        EvInfo e = { .kind = EV_FWCALL, .cpu = c->index, .el = c->el, .vmid = a64_current_vmid(c),
                     .pc = pc, .time = a64_now(c),
                     .u.call = { .fid = (uint32_t)fid, .result = c->x[0],
                                 .conduit = kind == A64_CALL_SMC ? "smc" : "hvc",
                                 .name = a64_firmware_call_name((uint32_t)fid) } };
        if (ev_publish(&c->m->events, &e))
            a64_pause_after(c);   /* exit_request is set already */
    }
    return NULL;
}

A64_EXEC(exec_HVC)
{
    /* C6.2.112: UNDEFINED at EL0, when EL2 is not implemented (then the board's HVC firmware
     * conduit answers, as QEMU's virt does) and when HCR_EL2.HCD is set. */
    if (c->el == 0)
        return a64_undefined(c, d);
    if (!c->has_el2)
        return firmware(c, d, A64_CALL_HVC);
    if (a64_hcr(c) & A64_HCR_HCD)
        return a64_undefined(c, d);
    a64_ss_advance(c, d->raw);
    const A64Insn *r = a64_sync_exception(c, d, 2, A64_EC_HVC, (uint32_t)d->imm);
    c->sys[A64_SYS_ELR_EL2] += 4;   /* preferred return: the next instruction */
    return r;
}

A64_EXEC(exec_SMC)
{
    /* C6.2.248: UNDEFINED at EL0; from EL1 trapped to EL2 by HCR_EL2.TSC (EC 0x17, ELR = the
     * SMC itself, D1.19.3); otherwise the firmware (no EL3) or UNDEFINED. */
    if (c->el == 0)
        return a64_undefined(c, d);
    if (c->el == 1 && (a64_hcr(c) & A64_HCR_TSC))
        return a64_sync_exception(c, d, 2, A64_EC_SMC, (uint32_t)d->imm);
    return firmware(c, d, A64_CALL_SMC);
}

/* BRK #imm (C6.2.38): a Breakpoint Instruction exception (EC 0x3C, ISS = the immediate),
 * never masked, to the EL debug exceptions go to (a64_debug_target_el). */
A64_EXEC(exec_BRK)
{
    return a64_sync_exception(c, d, a64_debug_target_el(c), A64_EC_BRK, (uint32_t)d->imm & 0xffff);
}
/* HLT: halting debug is never enabled (no external debugger: EDSCR.HDE = 0), so it is
 * UNDEFINED (C6.2.115), as on QEMU without semihosting. */
A64_EXEC(exec_HLT) { return a64_undefined(c, d); }

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
A64_EXEC(exec_NOP) { (void)c; return d + 1; }

/* WFI/WFE traps (D1.19.2): to EL1 from EL0 unless SCTLR_EL1.nTWI/nTWE, to EL2 from EL0/EL1
 * with HCR_EL2.TWI/TWE. ISS: CV = 1, COND = 0xe, TI = 0 (WFI) or 1 (WFE). */
static bool wfx_trap(Arm64Cpu *c, const A64Insn *d, bool wfe)
{
    uint32_t iss = 1u << 24 | 0xeu << 20 | (wfe ? 1u : 0u);
    if (c->el == 0 && !(c->sys[A64_SYS_SCTLR_EL1] & (wfe ? 1u << 18 : 1u << 16)) &&
        !(a64_hcr(c) & A64_HCR_TGE)) {
        a64_sync_exception(c, d, 1, A64_EC_WFX, iss);
        return true;
    }
    if (c->el < 2 && (a64_hcr(c) & (wfe ? A64_HCR_TWE : A64_HCR_TWI))) {
        a64_sync_exception(c, d, 2, A64_EC_WFX, iss);
        return true;
    }
    return false;
}

A64_EXEC(exec_WFI)
{
    if (c->el < 2 && wfx_trap(c, d, false))
        return NULL;
    /* D1.16.2: wait for a WFI wake-up event; the run loop wakes the core when one is pending. */
    c->pc = a64_pc(c, d) + 4;
    c->halted = 1;
    return NULL;
}

A64_EXEC(exec_WFE)
{
    if (c->el < 2 && wfx_trap(c, d, true))
        return NULL;
    if (c->event_reg) {
        c->event_reg = 0;
        return d + 1;
    }
    c->pc = a64_pc(c, d) + 4;
    c->halted = 2;
    return NULL;
}

A64_EXEC(exec_SEV)
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

A64_EXEC(exec_SEVL)
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
A64_EXEC(exec_CLREX)
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
A64_EXEC(exec_MSR_SPSel)
{
    if (c->el == 0)
        return a64_undefined(c, d);
    a64_select_sp(c, (int)d->imm);
    return d + 1;
}

A64_EXEC(exec_MSR_DAIFSet)
{
    if (c->el == 0 && !(c->sys[A64_SYS_SCTLR_EL1] & (1u << 9)))   /* SCTLR_EL1.UMA */
        return a64_undefined(c, d);
    c->daif |= (uint8_t)d->imm;
    return d + 1;
}

A64_EXEC(exec_MSR_DAIFClr)
{
    if (c->el == 0 && !(c->sys[A64_SYS_SCTLR_EL1] & (1u << 9)))
        return a64_undefined(c, d);
    c->daif &= (uint8_t)~d->imm;
    c->exit_request = 1;      /* an unmasked pending interrupt is taken after this instruction */
    return a64_next(c, d);
}

/* MSR PAN, #imm (FEAT_PAN, C5.2.2): EL1/EL2 only; the soft TLB caches permissions. */
A64_EXEC(exec_MSR_PAN)
{
    if (c->el == 0 || !c->has_pan)
        return a64_undefined(c, d);
    if (c->pan != (d->imm & 1)) {
        c->pan = (uint8_t)(d->imm & 1);
        a64_tlb_flush(c);
    }
    return a64_next(c, d);
}

/* The other PSTATE fields (UAO, SSBS, DIT, TCO, ALLINT, SVCR*) and the FlagM instructions in
 * this space (CFINV, XAFLAG, AXFLAG) belong to features no model advertises: UNDEFINED. */
A64_EXEC(exec_MSR_i_undef)
{
    return a64_undefined(c, d);
}

bool a64_prep_MSR_i(A64Insn *d, const A64Args *a)
{
    d->imm = a->crm;
    if (a->op1 == 0 && a->op2 == 4) {
        d->imm = a->crm & 1;
        d->fn = exec_MSR_PAN;
    } else if (a->op1 == 0 && a->op2 == 5) {
        d->imm = a->crm & 1;
        d->fn = exec_MSR_SPSel;
    } else if (a->op1 == 3 && a->op2 == 6) {
        d->fn = exec_MSR_DAIFSet;
    } else if (a->op1 == 3 && a->op2 == 7) {
        d->fn = exec_MSR_DAIFClr;
    } else {
        d->fn = exec_MSR_i_undef;
    }
    return true;
}


/* EL2 configurable controls and the EL1-first EL0 controls (hypervisor-model/sysreg_traps.h)
 * for an MRS/MSR/SYS/SYSL that is not UNDEFINED. True when the access trapped (the exception
 * has been taken: the executor returns NULL); false when it goes ahead. */
_Static_assert(A64_SYS_CPACR_EL1 == 2 && A64_SYS_HCR_EL2 == 27 && A64_SYS_CPTR_EL2 == 29,
               "a64_fp_enabled (cpu.h) names these slots by number");

/* AArch64.AdvSIMDFPAccessTrap (Arm ARM J1): EC 0x07 with ISS CV = 1, COND = 0b1110, as QEMU
 * reports it for A64 (the Arm ARM makes the AArch32 condition fields of this ISS meaningless
 * for A64; QEMU's value is kept so bare-metal comparisons hold); but a trap meant for EL1
 * (CPACR_EL1.FPEN) that HCR_EL2.TGE routes to EL2 is reported as Uncategorized, EC 0 and ISS
 * 0 (QEMU agrees). */
static void fp_access_trap(Arm64Cpu *c, const A64Insn *d, int el, SysTrapCtl ctl)
{
    if (el == 2 && ctl == SYSTRAP_CPACR_FPEN)
        a64_sync_exception(c, d, 2, A64_EC_UNKNOWN, 0);
    else
        a64_sync_exception(c, d, el, A64_EC_FP, (1u << 24) | (0xeu << 20));
}

/* The slow half of the SIMD&FP access check: the trap rules decide. */
bool a64_fp_trapped(Arm64Cpu *c, const A64Insn *d)
{
    SysTrapCtx t;
    a64_sys_trap_ctx(c, &t);
    SysTrapHit h;
    if (sys_trap_fp_lookup(&t, &h) == SYSTRAP_NONE)
        return false;
    fp_access_trap(c, d, h.target == SYSTRAP_EL2 ? 2 : a64_sync_target_el(c), h.ctl);
    return true;
}

static bool sysreg_trapped(Arm64Cpu *c, const A64Insn *d)
{
    uint32_t key = (d->raw >> 5) & 0xffff;       /* op0:op1:CRn:CRm:op2 */
    if (c->el >= 2) {
        /* EL2's own FPCR/FPSR accesses: CPTR_EL2.TFP / FPEN (AArch64.CheckFPEnabled), the
         * only control that traps EL2's system-register accesses */
        if ((key & ~1u) == A64_SYSREG_KEY(3, 3, 4, 4, 0) && c->el == 2)
            return a64_fp_trapped(c, d);
        return false;
    }
    /* Fast path for EL1: none of the EL2 controls that trap system registers is set, and
     * CPACR_EL1.FPEN lets FPCR/FPSR through. */
    uint64_t hcr = a64_hcr(c);
    if (c->el == 1 && !(hcr & A64_HCR_E2H) && ((c->sys[A64_SYS_CPACR_EL1] >> 20) & 3) == 3) {
        const uint64_t hcr_traps = 0x5ff78000ULL;    /* TID0-3, TIDCP, TACR, TSW, TPCP, TPU,
                                                        TTLB, TVM, TGE, TDZ, TRVM */
        const uint64_t mdcr_traps = 0xf60ULL;        /* TPMCR, TPM, TDE, TDA, TDOSA, TDRA */
        const uint64_t cptr_traps = (1ULL << 10) | (1ULL << 20) | (1ULL << 31);
        if (!(hcr & hcr_traps) && !(c->has_el2 && ((c->sys[A64_SYS_MDCR_EL2] & mdcr_traps) ||
                                                   (c->sys[A64_SYS_CPTR_EL2] & cptr_traps))))
            return false;
    }
    if (!sys_trap_covers(key))
        return false;
    SysTrapCtx t;
    a64_sys_trap_ctx(c, &t);
    SysTrapHit h;
    bool read = d->raw & (1u << 21);             /* MRS / SYSL */
    if (sys_trap_lookup(key, read, &t, &h) == SYSTRAP_NONE)
        return false;
    int el = h.target == SYSTRAP_EL1 ? 1 : 2;
    if (h.ec == A64_EC_FP)      /* FPCR/FPSR under the SIMD&FP access controls */
        fp_access_trap(c, d, el, h.ctl);
    else
        a64_sysreg_trap(c, d, el);
    return true;
}

/* ---- SYS: cache maintenance, TLB maintenance, address translation ---- */
/* DC ZVA's 64-byte block through a write entry. A block that is already zero is not
 * written: the same memory afterwards, but a page the guest never wrote stays the host's
 * shared zero page (Xen scrubs all of RAM at boot, Linux clears pages it allocates). */
static inline void zero_block(uint8_t *h)
{
    uint64_t w[8];
    memcpy(w, h, 64);
    if (w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7])
        memset(h, 0, 64);
}

A64_EXEC(exec_DC_ZVA)
{
    /* Only HCR_EL2.TDZ traps it at EL1 (SCTLR_ELx.DZE is EL0's), nothing at EL2 (there is no
     * EL3): Linux clears pages and Xen scrubs its RAM with it, so the full trap lookup is
     * kept for the cases that need it. */
    if (c->el == 0 || (c->el == 1 && (a64_hcr(c) & A64_HCR_TDZ)))
        if (sysreg_trapped(c, d))
            return NULL;
    /* DCZID_EL0.BS = 4: 64-byte blocks */
    uint64_t va = c->x[d->rn] & ~(uint64_t)63;
    if (unlikely(c->tm)) {
        /* the cycle model sees one whole-line store, whichever path below does the work
         * (the others' reports of the line are then the same access) */
        uint64_t pa;
        if (a64_tlb_writable(c, va, 64, &pa, NULL) || a64_debug_translate(c, va, &pa))
            a64_tm_pa(c, va, pa, 64, true, false);
    }
    const SoftTlbEntry *e = a64_tlb_write_entry(c, va);
    if (likely(a64_tlb_hit(e, va, 64) && !c->tm)) {
        zero_block((uint8_t *)(e->addend + va));   /* one block, inside one page */
        return d + 1;
    }
    if (a64_zva_known_zero(c, va))
        return d + 1;
    int z = a64_zva_slow(c, d, va);
    if (z)
        return z > 0 ? a64_next(c, d) : a64_fault(c, d);
    /* The first doubleword through the full store path (translation, faults, watchpoints,
     * monitors; it fills the write entry where it may), the rest as the fast path does */
    if (!a64_store(c, d, va, 8, 0))
        return a64_fault(c, d);
    if (a64_tlb_hit(e, va, 64)) {
        zero_block((uint8_t *)(e->addend + va));
        return a64_next(c, d);
    }
    for (int i = 8; i < 64; i += 8)
        if (!a64_store(c, d, va + (uint64_t)i, 8, 0))
            return a64_fault(c, d);
    return a64_next(c, d);
}

/* EV_TLBI: the operation by its name as Capstone prints it ("TLBI VAE1IS"), and the page of
 * a by-VA form of the EL1&0 regime. True when a subscriber asks for a pause. */
static bool publish_tlbi(Arm64Cpu *c, const A64Insn *d, uint64_t va)
{
    char text[64], op[64] = "TLBI";
    if (a64_disas(d->raw, a64_pc(c, d), text, sizeof text)) {
        size_t n = strcspn(text, ",");
        snprintf(op, sizeof op, "%.*s", (int)n, text);
        for (char *p = op; *p; p++)
            *p = (char)g_ascii_toupper(*p);
    }
    size_t len = strlen(op);
    bool broadcast = len > 2 && (!strcmp(op + len - 2, "IS") || !strcmp(op + len - 2, "OS"));
    EvInfo e = { .kind = EV_TLBI, .cpu = c->index, .el = c->el, .vmid = a64_current_vmid(c),
                 .pc = a64_pc(c, d), .time = a64_now(c),
                 .u.tlbi = { .op = op, .addr = d->u8a ? va : 0, .by_va = d->u8a,
                             .broadcast = broadcast } };
    return ev_publish(&c->m->events, &e);
}

A64_EXEC(exec_TLBI)
{
    /* The soft TLBs cache walk results without ASID or VMID tags, so every TLBI form (by ASID,
     * VMID, IPA or all; local or Inner Shareable) drops everything on every core, and a TLBI
     * by VA of the EL1&0 regime (VAE1, VAAE1, VALE1, VAALE1, local or IS; d->u8a = 1) drops
     * that 4 KiB page, for every ASID, in every EL's soft TLB of every core, or everything
     * where a TLB holds pieces of larger mappings: a superset of what the architecture
     * requires, never less. (An OS unmapping pages one by one issues these by the thousand.) */
    if (sysreg_trapped(c, d))
        return NULL;
    Machine *m = c->m;
    uint64_t va = (c->x[d->rn] & 0xfffffffffffULL) << 12;     /* Xt[43:0] = VA[55:12] */
    /* Issued at EL2 with E2H and TGE set, the EL1 forms apply to the EL2&0 regime, whose
     * entries are in EL2's and EL0's soft TLBs; otherwise to the EL1&0 regime alone, so
     * EL2's soft TLB (a hypervisor's own mappings, often blocks) keeps its entries. */
    uint64_t hcr = a64_hcr(c);
    bool el20 = c->el == 2 && (hcr & A64_HCR_E2H) && (hcr & A64_HCR_TGE);
    for (int i = 0; i < m->ncpus; i++) {
        Arm64Cpu *o = (Arm64Cpu *)m->cpus[i].obj;
        if (d->u8a)
            a64_tlb_flush_va(o, va, !el20);
        else
            a64_tlb_flush(o);
    }
    if (c->tm)
        a64_tm_tlbi(c, d->raw, c->x[d->rn]);
    if (unlikely(ev_wants(&m->events, EV_TLBI)) && publish_tlbi(c, d, va))
        a64_pause_after(c);
    return a64_next(c, d);
}

/* AT S1E1R/W, S1E0R/W (op1 = 0), S1E2R/W, S12E1R/W, S12E0R/W (op1 = 4); d->u8a = op1,
 * d->u8b = op2. UNDEFINED below the EL the form names. */
A64_EXEC(exec_AT)
{
    unsigned op1 = d->u8a, op2 = d->u8b;
    int min_el = op1 == 4 ? 2 : 1;
    if (c->el < min_el)
        return a64_undefined(c, d);
    int el;
    bool s12 = false;
    if (op1 == 0)
        el = op2 >= 2 ? 0 : 1;                 /* S1E1R/W, S1E0R/W */
    else if (op2 < 2)
        el = 2;                                /* S1E2R/W */
    else {
        el = op2 >= 6 ? 0 : 1;                 /* S12E1R/W, S12E0R/W */
        s12 = true;
    }
    if (!a64_at(c, d, el, s12, op2 & 1, c->x[d->rn]))
        return a64_fault(c, d);
    return a64_next(c, d);
}

/* DC/IC maintenance: no caches are modelled, and writes to code already drop decoded pages;
 * only the traps (HCR_EL2.TSW/TPCP/TPU, SCTLR_EL1.UCI at EL0) are visible. */
A64_EXEC(exec_DC_IC)
{
    if (sysreg_trapped(c, d))
        return NULL;
    if (c->tm)
        a64_tm_maint(c, d->raw, c->x[d->rn]);
    return a64_next(c, d);
}

/* The rest of the SYS/SYSL space: AT S1E1RP/WP (FEAT_PAN2), AT S1E3*, DC/IC/TLBI forms of
 * unadvertised features, prediction restriction, trace and branch-record instructions, and
 * every SYSL (none is allocated without such a feature): UNDEFINED (C5.1). */
/* EV_UNIMP for d, named `what`; true when a subscriber asks for a pause (before the
 * UNDEFINED exception). */
static bool publish_unimp(Arm64Cpu *c, const A64Insn *d, const char *what)
{
    EvInfo e = { .kind = EV_UNIMP, .cpu = c->index, .el = c->el, .vmid = a64_current_vmid(c),
                 .pc = a64_pc(c, d), .time = a64_now(c), .u.unimp = { d->raw, what } };
    return ev_publish(&c->m->events, &e);
}

/* -d unimp: a subscriber of EV_UNIMP (opaque: the machine). */
static bool trace_unimp(void *opaque, const EvInfo *e)
{
    Machine *m = opaque;
    fprintf(m->trace, "UNIMP cpu%d: %s at PC 0x%llx: UNDEFINED\n", e->cpu, e->u.unimp.what,
            (unsigned long long)e->pc);
    return false;
}

void a64_trace_unimp(Machine *m, bool on)
{
    ev_switch(&m->events, on, EV_BIT(EV_UNIMP), EV_PRIO_TRACE, trace_unimp, m);
}

/* The UNDEFINED exception of an unmodelled d, after its EV_UNIMP (NULL: paused before it). */
static const A64Insn *unimp_undefined(Arm64Cpu *c, const A64Insn *d, const char *what)
{
    if (unlikely(ev_wants(&c->m->events, EV_UNIMP)) && publish_unimp(c, d, what)) {
        c->m->paused = true;
        c->m->stop = true;
        c->pc = a64_pc(c, d);
        return NULL;
    }
    return a64_undefined(c, d);
}

A64_EXEC(exec_SYS_undef)
{
    char what[64];
    uint32_t k = (d->raw >> 5) & 0xffff;
    snprintf(what, sizeof what, "%s #%u, C%u, C%u, #%u", (d->raw & (1u << 21)) ? "SYSL" : "SYS",
             (k >> 11) & 7, (k >> 7) & 15, (k >> 3) & 15, k & 7);
    return unimp_undefined(c, d, what);
}

bool a64_prep_SYS(A64Insn *d, const A64Args *a)
{
    d->rn = a64_rreg((uint32_t)a->rt);
    if (a->crn == 7 && a->op1 == 3 && a->crm == 4 && a->op2 == 1)
        d->fn = exec_DC_ZVA;
    else if (a->crn == 7 && a->crm == 8 && (a->op1 == 0 ? a->op2 < 4 : a->op1 == 4 && a->op2 != 2 && a->op2 != 3)) {
        d->u8a = (uint8_t)a->op1;
        d->u8b = (uint8_t)a->op2;
        d->fn = exec_AT;
    } else if (a->crn == 7 && (a->crm == 8 || a->crm == 9))
        d->fn = exec_SYS_undef;        /* AT S1E1RP/WP (PAN), S1E3*: not modelled */
    else if (a->crn == 7)
        d->fn = exec_DC_IC;
    else if (a->crn == 8) {
        d->fn = exec_TLBI;
        /* by VA in the EL1&0 regime: op1 0, CRm 3 (IS) or 7, op2 1/3/5/7 */
        d->u8a = a->op1 == 0 && (a->crm == 3 || a->crm == 7) && (a->op2 & 1);
    }
    else
        d->fn = exec_SYS_undef;
    return true;
}

bool a64_prep_SYSL(A64Insn *d, const A64Args *a)
{
    (void)a;
    d->fn = exec_SYS_undef;
    return true;
}

/* ---- MRS / MSR (register) ---- */
/* Registers whose value changes the current translation (regime controls, table bases,
 * ASID/VMID): a write drops the soft TLB. */
static bool sysreg_controls_translation(int slot)
{
    switch (slot) {
    case A64_SYS_SCTLR_EL1: case A64_SYS_TTBR0_EL1: case A64_SYS_TTBR1_EL1: case A64_SYS_TCR_EL1:
    case A64_SYS_SCTLR_EL2: case A64_SYS_TTBR0_EL2: case A64_SYS_TCR_EL2: case A64_SYS_HCR_EL2:
    case A64_SYS_TTBR1_EL2:
    case A64_SYS_VTTBR_EL2: case A64_SYS_VTCR_EL2:
        return true;
    default:
        return false;
    }
}

/* What a write to a translation control drops from the soft TLBs. Writing the value a
 * register holds drops nothing. TTBR0_EL1 only changes the lower VA range of the EL1&0
 * regime (the kernel's half stays: an OS without PAN, like Linux's SW_TTBR0_PAN, switches
 * TTBR0 on every user access and exception), in both banks; a TTBR1_EL1 write that keeps the
 * table base changes only the ASID (TCR_EL1.A1), which tags the lower range's non-global
 * entries: the current bank's lower range goes, the upper range's walks give what they gave.
 * A new TTBR1_EL1 table base changes banks (a64_tlb_ttbr1). SCTLR_EL1 and TCR_EL1 drop the
 * EL1&0 regime's entries; everything else drops every EL's. A superset of what the
 * architecture invalidates: the soft TLB caches walk results of the tables in force, and
 * TLBIs drop at least what they name. */
static void flush_for_write(Arm64Cpu *c, int slot, uint64_t old)
{
    const uint64_t baddr = 0x0000fffffffffffeULL;
    uint64_t now = c->sys[slot];
    if (now == old)
        return;               /* the same tables and controls: nothing cached changes */
    if (slot == A64_SYS_TTBR0_EL1) {
        a64_tlb_flush_lower(c);
    } else if (slot == A64_SYS_TTBR1_EL1 && !((old ^ now) & baddr)) {
        a64_tlb_flush_lower_current(c);     /* a new ASID for the same kernel tables */
    } else if (slot == A64_SYS_TTBR1_EL1) {
        a64_tlb_ttbr1(c, old, now);
    } else if (slot == A64_SYS_SCTLR_EL1 || slot == A64_SYS_TCR_EL1) {
        a64_tlb_flush_el10(c);
    } else {
        a64_tlb_flush(c);
    }
}

/* The register an access reaches: E2H redirection at EL2, feature and alias checks. NULL
 * when the access is UNDEFINED. */
static const A64SysReg *resolve(Arm64Cpu *c, const A64SysReg *r)
{
    if (unlikely(r->feat) && !a64_sysreg_accessible(c, r))
        return NULL;
    if (unlikely(c->el == 2) && (a64_hcr(c) & A64_HCR_E2H))
        r = a64_sysreg_e2h_redirect(r);
    return r;
}

/* The EL2/EL1 trap controls and the generic-timer access controls, for a table register.
 * True when the exception was taken. */
static bool access_trapped(Arm64Cpu *c, const A64Insn *d, const A64SysReg *r)
{
    if (sysreg_trapped(c, d))
        return true;
    if (unlikely(((r->key >> 7) & 15) == 14) && c->el < 2) {
        int t = a64_timer_access_trap(c, r->key);
        if (t) {
            a64_sysreg_trap(c, d, t);
            return true;
        }
    }
    return false;
}

A64_EXEC(exec_MRS)
{
    const A64SysReg *r = resolve(c, (const A64SysReg *)(intptr_t)d->imm);
    if (!r || c->el < r->min_el || !(r->access & A64_SR_R))
        return a64_undefined(c, d);
    if (access_trapped(c, d, r))
        return NULL;
    if (unlikely(r->block))
        c->pc = a64_pc(c, d);  /* the blocks (GIC, PMU) publish events naming the PC */
    c->x[d->rd] = a64_sysreg_read(c, r);
    return unlikely(c->exit_request) ? a64_next(c, d) : d + 1;
}

A64_EXEC(exec_MSR_r)
{
    const A64SysReg *r = resolve(c, (const A64SysReg *)(intptr_t)d->imm);
    if (!r || c->el < r->min_el || !(r->access & A64_SR_W))
        return a64_undefined(c, d);
    if (access_trapped(c, d, r))
        return NULL;
    uint64_t old = r->slot >= 0 ? c->sys[r->slot] : 0;
    if (unlikely(r->block))
        c->pc = a64_pc(c, d);  /* the blocks (GIC, PMU) publish events naming the PC */
    a64_sysreg_write(c, r, c->x[d->rn]);
    if (r->slot >= 0 && sysreg_controls_translation(r->slot))
        flush_for_write(c, r->slot, old);
    c->exit_request = 1;      /* DAIF, HCR_EL2, GIC and timer writes can unmask an interrupt */
    return a64_next(c, d);
}

/* MSR/MRS trapped to EL `el` (EC 0x18, ISS per D17.2.37: Op0, Op2, Op1, CRn, Rt, CRm,
 * Direction = 1 for MRS). */
const A64Insn *a64_sysreg_trap(Arm64Cpu *c, const A64Insn *d, int el)
{
    uint32_t k = (d->raw >> 5) & 0xffff, rt = d->raw & 31;
    uint32_t op0 = k >> 14, op1 = (k >> 11) & 7, crn = (k >> 7) & 15, crm = (k >> 3) & 15, op2 = k & 7;
    uint32_t iss = op0 << 20 | op2 << 17 | op1 << 14 | crn << 10 | rt << 5 | crm << 1 |
                   ((d->raw >> 21) & 1);
    return a64_sync_exception(c, d, el, A64_EC_SYSREG, iss);
}

/* MRS/MSR of a block's register (the PMU, the GIC CPU interface): the block decides. */
A64_EXEC(exec_sysreg_block)
{
    const A64SysReg *r = (const A64SysReg *)(intptr_t)d->imm;
    bool read = d->raw & (1u << 21);
    unsigned rt = d->raw & 31;
    uint64_t v = read ? 0 : c->x[a64_rreg(rt)];
    switch (r->block(c, r, !read, &v)) {
    case A64_SR_DONE:
        if (read)
            c->x[a64_wreg(rt)] = v;
        c->exit_request = 1;          /* counters, interrupt outputs may have changed */
        return a64_next(c, d);
    case A64_SR_TRAP_EL1:
        return a64_sysreg_trap(c, d, a64_sync_target_el(c));
    case A64_SR_TRAP_EL2:
        return a64_sysreg_trap(c, d, 2);
    default:
        return a64_undefined(c, d);
    }
}

/* MRS/MSR of an encoding no table describes. */
A64_EXEC(exec_sysreg_unknown)
{
    uint32_t k = (d->raw >> 5) & 0xffff;
    bool read = d->raw & (1u << 21);
    unsigned rt = d->raw & 31;
    /* unallocated ID-space reads (HCR_EL2.TID3) and IMPLEMENTATION DEFINED encodings
     * (HCR_EL2.TIDCP) trap even though no register is there */
    if (c->el == 0)
        return a64_undefined(c, d);   /* no EL0-accessible register is missing from the tables */
    if (sysreg_trapped(c, d))
        return NULL;
    if (read && a64_sysreg_id_space_raz(k)) {
        c->x[a64_wreg(rt)] = 0;
        return a64_next(c, d);
    }
    /* Everything else is a register of a feature no model advertises, an EL3 register, an
     * IMPLEMENTATION DEFINED one or an unallocated encoding: UNDEFINED (D19.1.2). */
    char what[64];
    snprintf(what, sizeof what, "%s S%u_%u_C%u_C%u_%u", read ? "MRS" : "MSR", (k >> 14) & 3,
             (k >> 11) & 7, (k >> 7) & 15, (k >> 3) & 15, k & 7);
    return unimp_undefined(c, d, what);
}

static bool prep_sysreg_move(A64Insn *d, const A64Args *a, bool read)
{
    const A64SysReg *r = a64_sysreg_find(A64_SYSREG_KEY(a->o0 + 2, a->op1, a->crn, a->crm, a->op2));
    if (!r) {
        d->fn = exec_sysreg_unknown;
        return true;
    }
    d->imm = (int64_t)(intptr_t)r;
    if (r->block) {
        d->fn = exec_sysreg_block;
        return true;
    }
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
