/* The self-hosted debug architecture (Arm ARM D2): when debug exceptions are enabled,
 * breakpoint and watchpoint matching, software step, and the exceptions they take.
 *
 * IMPLEMENTATION DEFINED and CONSTRAINED UNPREDICTABLE choices, made here:
 *  - 6 breakpoints (the last two context-aware) and 4 watchpoints, as ID_AA64DFR0_EL1 says;
 *    no Secure state, no EL3, no halting debug, no FEAT_VHE context types (BT 0b11xx).
 *  - DBGBVR/DBGWVR bits [63:49] are RESS: values are compared as sign extensions of bit 48
 *    (48-bit VAs); data addresses likewise, so a tagged address (TBI) compares by its VA.
 *  - A breakpoint or watchpoint of a reserved type, or a context type on a breakpoint that is
 *    not context-aware, or linked to one that is not, never matches.
 *  - DBGWCR.MASK with a BAS other than all ones: BAS is ignored (the whole masked range is
 *    watched, as QEMU does). MASK 1 or 2 (reserved): the watchpoint never matches.
 *  - FAR on a Watchpoint exception: the lowest watched byte the access touches (inside the
 *    range the Arm ARM allows; the same address QEMU reports). On a Breakpoint exception FAR
 *    is UNKNOWN: hvsim writes the breakpointed address, as QEMU does.
 *  - An atomic read-modify-write matches watchpoints on loads or stores (WnR = 1 when the
 *    watchpoint watches stores); a store-exclusive is a store.
 *  - An instruction making two accesses (LDP/STP) checks each before making it, so a
 *    watchpoint on the second access is taken after the first was made: the Arm ARM leaves
 *    the memory and registers such an instruction wrote UNKNOWN (D2.10.5 / B2.2.3). A single
 *    access crossing a page is checked whole before any byte of it is made.
 *  - Order at an instruction boundary: a pending, unmasked interrupt is taken before the
 *    Software Step exception of the active-pending state (the run loop checks interrupts
 *    between instructions first). Its handler's exception return restores PSTATE.SS = 0 from
 *    SPSR.SS, and the step exception follows at once with ISV = 0 (nothing stepped since).
 *    QEMU takes the step exception right after the stepped instruction instead. */
#include "cpu/arm64/debug.h"
#include "cpu/arm64/sysreg.h"

#define MDSCR_SS (1ULL << 0)
#define MDSCR_KDE (1ULL << 13)
#define MDSCR_MDE (1ULL << 15)
#define OSLSR_OSLK (1ULL << 1)
#define OSDLR_DLK 1ULL
#define DBGPRCR_CORENPDRQ 1ULL
#define MDCR_TDE (1ULL << 8)
#define ERET_INSN 0xd69f03e0u
#define DEBUG_FSC 0x22        /* ESR ISS.IFSC/DFSC: debug exception */
#define NUM_CTX_BRPS 2        /* ID_AA64DFR0_EL1.CTX_CMPs + 1: the last two breakpoints */

static uint64_t sext49(uint64_t v)
{
    return (uint64_t)((int64_t)(v << 15) >> 15);
}

/* Any load/store exclusive (C4.1.94: o2 = 0; with o1 = 1 and size 0b0x the class holds
 * CASP instead, an atomic read-modify-write). */
static bool is_exclusive(uint32_t raw)
{
    return (raw & 0x3f800000) == 0x08000000 && (raw & 0x80200000) != 0x00200000;
}

/* LDXR, LDAXR, LDXP, LDAXP (L = 1). */
static bool is_load_exclusive(uint32_t raw)
{
    return is_exclusive(raw) && (raw & (1u << 22));
}

/* DebugTargetFrom() for Non-secure state: EL2 when MDCR_EL2.TDE or HCR_EL2.TGE, else EL1. */
static int debug_target(const Arm64Cpu *c)
{
    return c->has_el2 && ((c->sys[A64_SYS_MDCR_EL2] & MDCR_TDE) || (a64_hcr(c) & A64_HCR_TGE)) ? 2 : 1;
}

/* AArch64.GenerateDebugExceptionsFrom() (D2.4, no Secure state, no halting): the OS lock
 * and the OS double lock disable everything; at the target EL only with MDSCR_EL1.KDE and
 * PSTATE.D clear; below it always; above it never. */
bool a64_debug_enabled_from(const Arm64Cpu *c, int from_el, bool d_mask)
{
    if (c->sys[A64_SYS_OSLSR_EL1] & OSLSR_OSLK)
        return false;
    if ((c->sys[A64_SYS_OSDLR_EL1] & OSDLR_DLK) && !(c->sys[A64_SYS_DBGPRCR_EL1] & DBGPRCR_CORENPDRQ))
        return false;         /* DoubleLockStatus() */
    int target = debug_target(c);
    if (from_el == target)
        return (c->sys[A64_SYS_MDSCR_EL1] & MDSCR_KDE) && !d_mask;
    return target > from_el;
}

static bool enabled_here(const Arm64Cpu *c)
{
    return a64_debug_enabled_from(c, c->el, (c->daif & 8) != 0);
}

void a64_debug_update(Arm64Cpu *c)
{
    uint64_t mdscr = c->sys[A64_SYS_MDSCR_EL1];
    uint8_t armed = 0;
    if (mdscr & MDSCR_MDE) {
        for (int n = 0; n < A64_NUM_BRPS; n++)
            if (c->sys[A64_SYS_DBGBCR0 + n] & 1)
                armed |= A64_DBG_BREAK;
        for (int n = 0; n < A64_NUM_WRPS; n++)
            if (c->sys[A64_SYS_DBGWCR0 + n] & 1)
                armed |= A64_DBG_WATCH;
    }
    if (mdscr & MDSCR_SS)
        armed |= A64_DBG_STEP;
    if ((armed & A64_DBG_WATCH) && !(c->dbg_armed & A64_DBG_WATCH))
        a64_tlb_flush(c);     /* cached pages would let accesses bypass the check */
    if (armed != c->dbg_armed)
        c->exit_request = 1;  /* the run loop picks its loop again */
    c->dbg_armed = armed;
}

void a64_debug_write_ctrl(Arm64Cpu *c, const A64SysReg *r, uint64_t v)
{
    c->sys[r->slot] = (c->sys[r->slot] & ~r->writable) | (v & r->writable);
    uint8_t was = c->dbg_armed;
    a64_debug_update(c);
    bool watch_reg = r->slot >= A64_SYS_DBGWVR0 && r->slot < A64_SYS_DBGWCR0 + A64_NUM_WRPS;
    if (watch_reg && (was & c->dbg_armed & A64_DBG_WATCH))
        a64_tlb_flush(c);     /* pages cached while not watched may be watched now */
}

/* ---- matching (D2.8, D2.9, D2.10) ---- */
/* IsInHost(): the EL2&0 regime (E2H, and EL2 or EL0 with TGE). */
static bool in_host(const Arm64Cpu *c)
{
    uint64_t hcr = a64_hcr(c);
    return (hcr & A64_HCR_E2H) && (c->el == 2 || (c->el == 0 && (hcr & A64_HCR_TGE)));
}

/* The context comparisons of breakpoint n (type bt): CONTEXTIDR (BT 0b001x), VMID (0b100x),
 * both (0b101x). Only the context-aware breakpoints compare contexts. */
static bool context_match(const Arm64Cpu *c, int n, unsigned bt)
{
    if (n < A64_NUM_BRPS - NUM_CTX_BRPS)
        return false;
    uint64_t bvr = c->sys[A64_SYS_DBGBVR0 + n];
    bool guest = c->el < 2 && !in_host(c);
    bool cid = in_host(c) ? (uint32_t)bvr == (uint32_t)c->sys[A64_SYS_CONTEXTIDR_EL2]
                          : guest && (uint32_t)bvr == (uint32_t)c->sys[A64_SYS_CONTEXTIDR_EL1];
    bool vmid = c->has_el2 && guest && !(a64_hcr(c) & A64_HCR_TGE) &&
                ((bvr >> 32) & 0xff) == ((c->sys[A64_SYS_VTTBR_EL2] >> 48) & 0xff);
    switch (bt) {
    case 2: case 3: return cid;
    case 8: case 9: return vmid;
    case 10: case 11: return vmid && cid;
    default: return false;
    }
}

/* A linked address breakpoint or watchpoint: the breakpoint LBN must be an enabled linked
 * context breakpoint (BT 0b0011, 0b1001, 0b1011) whose context matches. */
static bool linked_match(const Arm64Cpu *c, uint64_t ctrl)
{
    unsigned lbn = (ctrl >> 16) & 15;
    if (lbn >= A64_NUM_BRPS)
        return false;
    uint64_t bctrl = c->sys[A64_SYS_DBGBCR0 + lbn];
    unsigned bt = (bctrl >> 20) & 15;
    if (!(bctrl & 1) || (bt != 3 && bt != 9 && bt != 11))
        return false;
    return context_match(c, (int)lbn, bt);
}

/* AArch64.StateMatch() without Secure state: PxC (PMC/PAC) selects EL1 (bit 0) and EL0
 * (bit 1), HMC with SSC adds EL2; SSC 0b10 (Secure only) never matches. An unprivileged
 * access (LDTR/STTR) of a watchpoint is matched as EL0's. */
static bool state_match(const Arm64Cpu *c, uint64_t ctrl, bool linked, bool priv)
{
    unsigned pxc = (ctrl >> 1) & 3, hmc = (ctrl >> 13) & 1, ssc = (ctrl >> 14) & 3;
    if (ssc == 2)
        return false;
    bool el_match;
    switch (priv ? c->el : 0) {
    case 0: el_match = pxc & 2; break;
    case 1: el_match = pxc & 1; break;
    default: el_match = c->has_el2 && ((hmc && ((ssc << 2 | pxc) != 0x8)) || ssc == 3); break;
    }
    return el_match && (!linked || linked_match(c, ctrl));
}

bool a64_breakpoint_match(const Arm64Cpu *c, int n, uint64_t pc)
{
    uint64_t ctrl = c->sys[A64_SYS_DBGBCR0 + n];
    if (!(ctrl & 1))
        return false;
    unsigned bt = (ctrl >> 20) & 15;
    bool value;
    switch (bt) {
    case 0: case 1:
        /* address match: PC[63:2] against DBGBVR, BAS[0] selecting the A64 instruction
         * (BAS other than 0b1111 is for AArch32 only; the byte at PC[1:0] = 0 decides) */
        value = !((pc ^ sext49(c->sys[A64_SYS_DBGBVR0 + n])) & ~3ULL) && ((ctrl >> 5) & 1);
        break;
    case 2: case 8: case 10:
        value = context_match(c, n, bt);
        break;
    default:
        return false;         /* linked context types match only through a link */
    }
    return value && state_match(c, ctrl, bt == 1, c->el != 0);
}

bool a64_breakpoint_page(const Arm64Cpu *c, uint64_t va_page)
{
    for (int n = 0; n < A64_NUM_BRPS; n++) {
        uint64_t ctrl = c->sys[A64_SYS_DBGBCR0 + n];
        unsigned bt = (ctrl >> 20) & 15;
        if (!(ctrl & 1))
            continue;
        if (bt == 2 || bt == 8 || bt == 10)
            return true;
        if (bt <= 1 && !((sext49(c->sys[A64_SYS_DBGBVR0 + n]) ^ va_page) >> A64_PAGE_BITS))
            return true;
    }
    return false;
}

bool a64_watchpoint_page(const Arm64Cpu *c, uint64_t va_page)
{
    va_page = sext49(va_page);
    for (int n = 0; n < A64_NUM_WRPS; n++) {
        uint64_t ctrl = c->sys[A64_SYS_DBGWCR0 + n];
        unsigned mask = (ctrl >> 24) & 31;
        if (!(ctrl & 1) || mask == 1 || mask == 2)
            continue;
        unsigned bits = mask ? mask : 3;       /* the masked block, or the doubleword */
        uint64_t base = sext49(c->sys[A64_SYS_DBGWVR0 + n]) & ~((1ULL << bits) - 1);
        if (base < va_page + A64_PAGE_SIZE && va_page < base + (1ULL << bits))
            return true;
    }
    return false;
}

/* AArch64.WatchpointByteMatch(): DBGWVR[2] selects word (BAS[3:0]) or doubleword (BAS[7:0])
 * granularity; a MASK of 3..31 watches the naturally aligned 2^MASK bytes instead. */
static bool wp_byte_match(const Arm64Cpu *c, int n, uint64_t addr)
{
    uint64_t ctrl = c->sys[A64_SYS_DBGWCR0 + n];
    uint64_t wvr = sext49(c->sys[A64_SYS_DBGWVR0 + n]);
    unsigned bas = (ctrl >> 5) & 0xff, mask = (ctrl >> 24) & 31;
    unsigned bottom = (wvr & 4) ? 2 : 3;
    addr = sext49(addr);
    if (mask == 1 || mask == 2)
        return false;
    if (mask > bottom)
        return ((addr ^ wvr) >> mask) == 0;
    return ((addr ^ wvr) >> bottom) == 0 && ((bas >> (addr & ((1u << bottom) - 1))) & 1);
}

bool a64_watchpoint_match(const Arm64Cpu *c, int n, uint64_t va, unsigned size, bool write, bool read,
                          bool priv, uint64_t *first)
{
    uint64_t ctrl = c->sys[A64_SYS_DBGWCR0 + n];
    unsigned lsc = (ctrl >> 3) & 3;
    if (!(ctrl & 1) || !((read && (lsc & 1)) || (write && (lsc & 2))))
        return false;
    if (!state_match(c, ctrl, (ctrl >> 20) & 1, priv))
        return false;
    for (unsigned i = 0; i < size; i++)
        if (wp_byte_match(c, n, va + i)) {
            *first = va + i;
            return true;
        }
    return false;
}

/* ---- the exceptions (D2.8.4, D2.10.5, D2.12.6) ---- */
/* A debug exception of class ec_low (+1 when taken to the current EL), preferred return
 * `ret`, to the EL debug exceptions go to. */
static void take_debug(Arm64Cpu *c, unsigned ec_low, uint32_t iss, uint64_t ret, bool far_valid, uint64_t far)
{
    int target = a64_debug_target_el(c);
    unsigned ec = ec_low + (target == c->el);
    a64_take_exception(c, target, A64_VEC_SYNC, (uint64_t)ec << 26 | 1u << 25 | iss, ret, far_valid, far);
}

bool a64_debug_before_insn(Arm64Cpu *c, uint64_t pc)
{
    if (!enabled_here(c))
        return false;
    uint64_t mdscr = c->sys[A64_SYS_MDSCR_EL1];
    /* Software step, active-pending state (PSTATE.SS = 0): the Software Step exception comes
     * before the next instruction, ahead of every other synchronous exception. ISV says an
     * instruction was stepped (not an ERET into this state), EX that it was a load-exclusive. */
    if ((mdscr & MDSCR_SS) && !c->ss) {
        uint32_t iss = DEBUG_FSC;
        if (c->ss_syn & A64_SS_STEPPED)
            iss |= 1u << 24 | ((c->ss_syn & A64_SS_EX) ? 1u << 6 : 0);
        take_debug(c, A64_EC_STEP_LOW, iss, pc, false, 0);
        return true;
    }
    if ((c->dbg_armed & A64_DBG_BREAK) && (mdscr & MDSCR_MDE))
        for (int n = 0; n < A64_NUM_BRPS; n++)
            if (a64_breakpoint_match(c, n, pc)) {
                take_debug(c, A64_EC_BREAKPOINT_LOW, DEBUG_FSC, pc, true, pc);
                return true;
            }
    return false;
}

/* SSAdvance(): active-not-pending becomes active-pending when an instruction completes. */
void a64_ss_advance(Arm64Cpu *c, uint32_t raw)
{
    if ((c->sys[A64_SYS_MDSCR_EL1] & MDSCR_SS) && c->ss) {
        c->ss = 0;
        c->ss_syn = A64_SS_STEPPED | (is_load_exclusive(raw) ? A64_SS_EX : 0);
    }
}

void a64_debug_after_insn(Arm64Cpu *c, uint32_t raw)
{
    if (raw != ERET_INSN)
        a64_ss_advance(c, raw);
}

/* DebugExceptionReturnSS(): SPSR.SS is restored only when stepping is enabled, debug
 * exceptions are disabled where the ERET runs and enabled where it returns to (an illegal
 * return stays at the current EL). */
uint8_t a64_debug_return_ss(const Arm64Cpu *c, uint64_t spsr, bool illegal)
{
    if (!(c->sys[A64_SYS_MDSCR_EL1] & MDSCR_SS) || enabled_here(c))
        return 0;
    int dest = illegal ? c->el : (int)(spsr >> 2) & 3;
    return a64_debug_enabled_from(c, dest, (spsr >> 9) & 1) ? (spsr >> 21) & 1 : 0;
}

bool a64_watchpoint_hit(Arm64Cpu *c, const A64Insn *d, uint64_t va, unsigned size, int kind, bool unpriv)
{
    if (!d || !(c->sys[A64_SYS_MDSCR_EL1] & MDSCR_MDE) || !enabled_here(c))
        return false;
    if (kind == A64_WP_RMW && is_exclusive(d->raw))
        kind = A64_WP_STORE;
    bool write = kind != A64_WP_LOAD, read = kind != A64_WP_STORE;
    bool priv = c->el != 0 && !unpriv;
    for (int n = 0; n < A64_NUM_WRPS; n++) {
        uint64_t first;
        if (a64_watchpoint_match(c, n, va, size, write, read, priv, &first)) {
            bool wnr = write && ((c->sys[A64_SYS_DBGWCR0 + n] >> 4) & 1);
            take_debug(c, A64_EC_WATCHPOINT_LOW, DEBUG_FSC | (wnr ? 1u << 6 : 0), a64_pc(c, d), true, first);
            return true;
        }
    }
    return false;
}
