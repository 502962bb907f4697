/* The self-hosted debug architecture (suite debug, cpu/arm64/debug.c): when debug exceptions
 * are enabled (OS lock, double lock, KDE, PSTATE.D, MDCR_EL2.TDE), the breakpoint and
 * watchpoint comparisons (including the context types and reserved encodings QEMU does not
 * model, so workloads/tests/debug.c cannot compare them), and the software step state
 * machine and watchpoints run through the core. */
#include <criterion/criterion.h>
#include "cpu/arm64/debug.h"
#include "cpu/arm64/sysreg.h"
#include "tests/unit/harness.h"

#define MDE (1ULL << 15)
#define KDE (1ULL << 13)
#define SS 1ULL
#define BCR(pmc, bt) (1ULL | (uint64_t)(pmc) << 1 | 0xfULL << 5 | (uint64_t)(bt) << 20)
#define WCR(pac, lsc, bas) (1ULL | (uint64_t)(pac) << 1 | (uint64_t)(lsc) << 3 | (uint64_t)(bas) << 5)

static TH *t;
static Arm64Cpu *c;

static void setup(void)
{
    t = th_new();
    c = t->c;
    c->sys[A64_SYS_OSLSR_EL1] = 0x8;      /* OS lock clear */
}

static void teardown(void)
{
    th_free(t);
}

TestSuite(debug, .init = setup, .fini = teardown);

Test(debug, enabled_from)
{
    a64_set_el(c, 1);
    cr_expect(a64_debug_enabled_from(c, 0, true), "EL0 -> EL1: always, PSTATE.D or not");
    cr_expect(!a64_debug_enabled_from(c, 1, false), "at the target EL only with KDE");
    c->sys[A64_SYS_MDSCR_EL1] = KDE;
    cr_expect(a64_debug_enabled_from(c, 1, false));
    cr_expect(!a64_debug_enabled_from(c, 1, true), "PSTATE.D masks them at the target EL");
    cr_expect(!a64_debug_enabled_from(c, 2, false), "never from above the target");
    c->sys[A64_SYS_OSLSR_EL1] = 0xa;
    cr_expect(!a64_debug_enabled_from(c, 0, false), "the OS lock disables them");
    c->sys[A64_SYS_OSLSR_EL1] = 0x8;
    c->sys[A64_SYS_OSDLR_EL1] = 1;
    cr_expect(!a64_debug_enabled_from(c, 0, false), "the OS double lock disables them");
    c->sys[A64_SYS_DBGPRCR_EL1] = 1;
    cr_expect(a64_debug_enabled_from(c, 0, false), "... unless DBGPRCR_EL1.CORENPDRQ");
    c->sys[A64_SYS_OSDLR_EL1] = 0;
    /* with EL2: MDCR_EL2.TDE (or HCR_EL2.TGE) moves the target to EL2 */
    c->has_el2 = 1;
    c->sys[A64_SYS_MDCR_EL2] = 1u << 8;
    cr_expect(a64_debug_enabled_from(c, 1, true), "EL1 is below the target now");
    cr_expect(a64_debug_enabled_from(c, 2, false));
    cr_expect(!a64_debug_enabled_from(c, 2, true));
    c->sys[A64_SYS_MDCR_EL2] = 0;
    c->sys[A64_SYS_HCR_EL2] = A64_HCR_TGE;
    cr_expect(a64_debug_enabled_from(c, 1, true), "TGE routes like TDE");
    c->sys[A64_SYS_HCR_EL2] = 0;
    cr_expect(!a64_debug_enabled_from(c, 2, false), "target EL1: nothing from EL2");
}

Test(debug, breakpoint_address_and_privilege)
{
    c->sys[A64_SYS_DBGBVR0] = 0x40001000;
    c->sys[A64_SYS_DBGBCR0] = BCR(1, 0);  /* EL1 */
    a64_set_el(c, 1);
    cr_expect(a64_breakpoint_match(c, 0, 0x40001000));
    cr_expect(!a64_breakpoint_match(c, 0, 0x40001004));
    a64_set_el(c, 0);
    cr_expect(!a64_breakpoint_match(c, 0, 0x40001000), "PMC = EL1 only");
    c->sys[A64_SYS_DBGBCR0] = BCR(2, 0);  /* EL0 */
    cr_expect(a64_breakpoint_match(c, 0, 0x40001000));
    c->sys[A64_SYS_DBGBCR0] &= ~(1ULL << 5);
    cr_expect(!a64_breakpoint_match(c, 0, 0x40001000), "BAS[0] clear: no A64 instruction");
    c->sys[A64_SYS_DBGBCR0] = BCR(3, 0) & ~1ULL;
    cr_expect(!a64_breakpoint_match(c, 0, 0x40001000), "disabled");
    /* bits [63:49] of DBGBVR are a sign extension of bit 48 */
    a64_set_el(c, 1);
    c->sys[A64_SYS_DBGBVR0] = 0x0001800000000040ULL;
    c->sys[A64_SYS_DBGBCR0] = BCR(1, 0);
    cr_expect(a64_breakpoint_match(c, 0, 0xffff800000000040ULL));
    /* EL2: HMC = 1, SSC = 0b01, PMC = 0b00 */
    c->has_el2 = 1;
    a64_set_el(c, 2);
    c->sys[A64_SYS_DBGBVR0] = 0x40001000;
    c->sys[A64_SYS_DBGBCR0] = 1 | 0xfULL << 5 | 1ULL << 13 | 1ULL << 14;
    cr_expect(a64_breakpoint_match(c, 0, 0x40001000));
    a64_set_el(c, 1);
    cr_expect(!a64_breakpoint_match(c, 0, 0x40001000), "EL2 only");
    c->sys[A64_SYS_DBGBCR0] |= 2ULL << 14;  /* SSC = 0b11 */
    a64_set_el(c, 2);
    cr_expect(a64_breakpoint_match(c, 0, 0x40001000));
    c->sys[A64_SYS_DBGBCR0] = BCR(3, 0) | 2ULL << 14;  /* SSC = 0b10: Secure only */
    a64_set_el(c, 1);
    cr_expect(!a64_breakpoint_match(c, 0, 0x40001000));
}

Test(debug, breakpoint_contexts)
{
    a64_set_el(c, 0);
    c->sys[A64_SYS_CONTEXTIDR_EL1] = 0x77;
    /* unlinked CONTEXTIDR match: only on the context-aware breakpoints 4 and 5 */
    c->sys[A64_SYS_DBGBVR0 + 4] = 0x77;
    c->sys[A64_SYS_DBGBCR0 + 4] = BCR(3, 2);
    cr_expect(a64_breakpoint_match(c, 4, 0x1234));
    c->sys[A64_SYS_DBGBVR0 + 1] = 0x77;
    c->sys[A64_SYS_DBGBCR0 + 1] = BCR(3, 2);
    cr_expect(!a64_breakpoint_match(c, 1, 0x1234), "breakpoint 1 is not context-aware");
    c->sys[A64_SYS_CONTEXTIDR_EL1] = 0x78;
    cr_expect(!a64_breakpoint_match(c, 4, 0x1234));
    /* linked: address breakpoint 0 -> linked CONTEXTIDR breakpoint 5 */
    c->sys[A64_SYS_DBGBVR0] = 0x1000;
    c->sys[A64_SYS_DBGBCR0] = BCR(3, 1) | 5ULL << 16;
    c->sys[A64_SYS_DBGBVR0 + 5] = 0x78;
    c->sys[A64_SYS_DBGBCR0 + 5] = BCR(3, 3);
    cr_expect(a64_breakpoint_match(c, 0, 0x1000));
    cr_expect(!a64_breakpoint_match(c, 5, 0x1000), "a linked context type alone never matches");
    c->sys[A64_SYS_CONTEXTIDR_EL1] = 0x79;
    cr_expect(!a64_breakpoint_match(c, 0, 0x1000));
    c->sys[A64_SYS_CONTEXTIDR_EL1] = 0x78;
    c->sys[A64_SYS_DBGBCR0 + 5] &= ~1ULL;
    cr_expect(!a64_breakpoint_match(c, 0, 0x1000), "the linked breakpoint is disabled");
    c->sys[A64_SYS_DBGBCR0 + 5] |= 1;
    c->sys[A64_SYS_DBGBCR0] = BCR(3, 1) | 2ULL << 16;
    cr_expect(!a64_breakpoint_match(c, 0, 0x1000), "linked to a breakpoint that is not context-aware");
    /* VMID match (BT 0b1000): only for a guest under EL2 */
    c->sys[A64_SYS_DBGBVR0 + 4] = 5ULL << 32;
    c->sys[A64_SYS_DBGBCR0 + 4] = BCR(3, 8);
    c->sys[A64_SYS_VTTBR_EL2] = 5ULL << 48;
    cr_expect(!a64_breakpoint_match(c, 4, 0x1000), "no EL2: no VMID");
    c->has_el2 = 1;
    cr_expect(a64_breakpoint_match(c, 4, 0x1000));
    c->sys[A64_SYS_VTTBR_EL2] = 6ULL << 48;
    cr_expect(!a64_breakpoint_match(c, 4, 0x1000));
    /* VMID + CONTEXTIDR (BT 0b1010) */
    c->sys[A64_SYS_VTTBR_EL2] = 5ULL << 48;
    c->sys[A64_SYS_DBGBVR0 + 4] = 5ULL << 32 | 0x78;
    c->sys[A64_SYS_DBGBCR0 + 4] = BCR(3, 10);
    cr_expect(a64_breakpoint_match(c, 4, 0x1000));
    c->sys[A64_SYS_CONTEXTIDR_EL1] = 0;
    cr_expect(!a64_breakpoint_match(c, 4, 0x1000));
    c->sys[A64_SYS_DBGBCR0 + 4] = BCR(3, 4);
    cr_expect(!a64_breakpoint_match(c, 4, 0x1000), "BT 0b0100 (AArch32 mismatch) is reserved here");
}

Test(debug, watchpoint_bas_lsc_mask)
{
    uint64_t first = 0;
    a64_set_el(c, 1);
    c->sys[A64_SYS_DBGWVR0] = 0x40002008;
    c->sys[A64_SYS_DBGWCR0] = WCR(3, 2, 0x0c);   /* stores to bytes 2, 3 */
    cr_expect(!a64_watchpoint_match(c, 0, 0x40002008, 2, true, false, true, &first));
    cr_expect(a64_watchpoint_match(c, 0, 0x40002008, 4, true, false, true, &first));
    cr_expect_eq(first, 0x4000200a, "the first watched byte");
    cr_expect(!a64_watchpoint_match(c, 0, 0x40002008, 8, false, true, true, &first), "loads not watched");
    cr_expect(a64_watchpoint_match(c, 0, 0x40002000, 16, true, true, true, &first), "RMW over it");
    cr_expect(a64_watchpoint_match(c, 0, 0x4000200b, 1, true, false, true, &first));
    cr_expect(!a64_watchpoint_match(c, 0, 0x4000200c, 1, true, false, true, &first));
    /* word granularity: DBGWVR[2] = 1, BAS[3:0] for the word at 0x4000200c */
    c->sys[A64_SYS_DBGWVR0] = 0x4000200c;
    c->sys[A64_SYS_DBGWCR0] = WCR(3, 3, 0x01);
    cr_expect(a64_watchpoint_match(c, 0, 0x40002008, 8, false, true, true, &first));
    cr_expect_eq(first, 0x4000200c);
    cr_expect(!a64_watchpoint_match(c, 0, 0x4000200d, 1, false, true, true, &first));
    /* privilege: PAC = EL0; an unprivileged access at EL1 matches as EL0's */
    c->sys[A64_SYS_DBGWCR0] = WCR(2, 3, 0x01);
    cr_expect(!a64_watchpoint_match(c, 0, 0x4000200c, 1, false, true, true, &first));
    cr_expect(a64_watchpoint_match(c, 0, 0x4000200c, 1, false, true, false, &first));
    /* MASK = 12: the naturally aligned 4 KiB around DBGWVR, BAS ignored */
    c->sys[A64_SYS_DBGWVR0] = 0x40003000;
    c->sys[A64_SYS_DBGWCR0] = WCR(3, 3, 0xff) | 12ULL << 24;
    cr_expect(a64_watchpoint_match(c, 0, 0x40003ff8, 8, true, false, true, &first));
    cr_expect(!a64_watchpoint_match(c, 0, 0x40004000, 8, true, false, true, &first));
    cr_expect(!a64_watchpoint_match(c, 0, 0x40002ff8, 8, true, false, true, &first));
    c->sys[A64_SYS_DBGWCR0] = WCR(3, 3, 0xff) | 2ULL << 24;
    cr_expect(!a64_watchpoint_match(c, 0, 0x40003000, 8, true, false, true, &first), "MASK 2 is reserved");
}

/* Code at TH_RAM_BASE: the core's careful loop must take these exceptions by itself. */
static const uint32_t nops[] = { 0xd503201f, 0xd503201f, 0xd503201f, 0xd503201f };

Test(debug, software_step_state_machine)
{
    a64_set_el(c, 1);
    c->daif = 0;
    c->sys[A64_SYS_VBAR_EL1] = TH_RAM_BASE + 0x10000;
    c->sys[A64_SYS_MDSCR_EL1] = SS | KDE;
    a64_debug_update(c);
    c->ss = 1;                               /* active-not-pending */
    cr_assert_eq(th_run(t, nops, 2), 0);
    cr_expect_eq(c->sys[A64_SYS_ESR_EL1], 0x33ULL << 26 | 1u << 25 | 1u << 24 | 0x22,
                 "ESR %#llx", (unsigned long long)c->sys[A64_SYS_ESR_EL1]);
    cr_expect_eq(c->sys[A64_SYS_ELR_EL1], TH_RAM_BASE + 4, "before the second instruction");
    cr_expect_eq((c->sys[A64_SYS_SPSR_EL1] >> 21) & 1, 0, "SPSR.SS: active-pending was left");
    cr_expect_eq(c->pc, TH_RAM_BASE + 0x10000 + 0x200);
    cr_expect_eq(c->ss, 0);
    /* returning with SPSR.SS = 0 (from EL1 with PSTATE.D set, to EL1 with D clear):
     * active-pending at once, ISV = 0 as nothing was stepped */
    a64_exception_return(c, 0x5, TH_RAM_BASE);
    cr_expect_eq(c->ss, 0);
    cr_assert_eq(th_run(t, nops, 1), 0);
    cr_expect_eq(c->sys[A64_SYS_ESR_EL1], 0x33ULL << 26 | 1u << 25 | 0x22);
    cr_expect_eq(c->sys[A64_SYS_ELR_EL1], TH_RAM_BASE);
    /* with SPSR.SS = 1 the ERET restores active-not-pending */
    a64_exception_return(c, 0x5 | 1u << 21, TH_RAM_BASE);
    cr_expect_eq(c->ss, 1);
    /* PSTATE.D masks the step at the target EL: the state machine is inactive */
    c->daif = 8;
    cr_assert_eq(th_run(t, nops, 3), 0);
    cr_expect_eq(c->pc, TH_RAM_BASE + 12, "three instructions ran");
}

Test(debug, pstate_ss_is_saved_state)
{
    bool ss = false, syn = false;
    for (int i = 0; i < a64_state_desc.nfields; i++) {
        const StateField *f = &a64_state_desc.fields[i];
        if (!strcmp(f->name, "ss"))
            ss = state_field_saved(f);
        if (!strcmp(f->name, "ss_syn"))
            syn = state_field_saved(f);
    }
    cr_expect(ss && syn, "PSTATE.SS and the stepped-instruction syndrome survive a snapshot");
}

Test(debug, watchpoint_before_the_access)
{
    /* str x1, [x0] ; ldr x2, [x0] */
    static const uint32_t code[] = { 0xf9000001, 0xf9400002 };
    uint64_t *mem = (uint64_t *)th_ram(t, TH_RAM_BASE + 0x8000);
    *mem = 0x1111;
    a64_set_el(c, 1);
    c->daif = 0;
    c->sys[A64_SYS_VBAR_EL1] = TH_RAM_BASE + 0x10000;
    c->x[0] = TH_RAM_BASE + 0x8000;
    c->x[1] = 0x2222;
    c->sys[A64_SYS_DBGWVR0] = TH_RAM_BASE + 0x8000;
    c->sys[A64_SYS_DBGWCR0] = WCR(1, 2, 0xf0);    /* stores to bytes 4-7, EL1 */
    c->sys[A64_SYS_MDSCR_EL1] = MDE | KDE;
    a64_debug_update(c);
    cr_assert_eq(th_run(t, code, 1), 0);
    cr_expect_eq(*mem, 0x1111, "the store was not made");
    cr_expect_eq(c->sys[A64_SYS_ESR_EL1], 0x35ULL << 26 | 1u << 25 | 1u << 6 | 0x22);
    cr_expect_eq(c->sys[A64_SYS_FAR_EL1], TH_RAM_BASE + 0x8004);
    cr_expect_eq(c->sys[A64_SYS_ELR_EL1], TH_RAM_BASE);
    /* PSTATE.D set: the same store is made */
    c->daif = 8;
    cr_assert_eq(th_run(t, code, 2), 0);
    cr_expect_eq(*mem, 0x2222);
    cr_expect_eq(c->x[2], 0x2222);
}

/* Atomics read and write: a watchpoint on loads alone catches them (WnR = 0), CASP included,
 * whose encoding shares its class with the exclusives (-cpu max: FEAT_LSE). */
Test(debug, watchpoint_on_loads_catches_atomics)
{
    static const uint32_t casp[] = { 0x48227c04 };    /* casp x2, x3, x4, x5, [x0] */
    static const uint32_t swp[] = { 0xf8218002 };     /* swp x1, x2, [x0] */
    th_free(t);
    t = th_new_model("max");
    c = t->c;
    c->sys[A64_SYS_OSLSR_EL1] = 0x8;
    a64_set_el(c, 1);
    c->daif = 0;
    c->sys[A64_SYS_VBAR_EL1] = TH_RAM_BASE + 0x10000;
    c->x[0] = TH_RAM_BASE + 0x8000;
    c->sys[A64_SYS_DBGWVR0] = TH_RAM_BASE + 0x8000;
    c->sys[A64_SYS_DBGWCR0] = WCR(1, 1, 0xff);    /* loads, EL1 */
    c->sys[A64_SYS_MDSCR_EL1] = MDE | KDE;
    a64_debug_update(c);
    const uint32_t *code[] = { casp, swp };
    for (int i = 0; i < 2; i++) {
        c->sys[A64_SYS_ESR_EL1] = 0;
        c->daif = 0;                              /* the exception before masked D */
        cr_assert_eq(th_run(t, code[i], 1), 0);
        cr_expect_eq(c->sys[A64_SYS_ESR_EL1], 0x35ULL << 26 | 1u << 25 | 0x22, "%s: ESR %#llx",
                     i ? "SWP" : "CASP", (unsigned long long)c->sys[A64_SYS_ESR_EL1]);
        cr_expect_eq(c->sys[A64_SYS_FAR_EL1], TH_RAM_BASE + 0x8000);
    }
}

Test(debug, pages_the_run_loop_and_soft_tlb_must_watch)
{
    c->sys[A64_SYS_DBGBVR0 + 1] = 0x40001ffc;
    c->sys[A64_SYS_DBGBCR0 + 1] = BCR(3, 0);
    cr_expect(a64_breakpoint_page(c, 0x40001000));
    cr_expect(!a64_breakpoint_page(c, 0x40002000));
    c->sys[A64_SYS_DBGBVR0 + 4] = 0x77;
    c->sys[A64_SYS_DBGBCR0 + 4] = BCR(3, 2);            /* CONTEXTIDR: anywhere */
    cr_expect(a64_breakpoint_page(c, 0x40002000));
    c->sys[A64_SYS_DBGWVR0 + 2] = 0x40003ff8;
    c->sys[A64_SYS_DBGWCR0 + 2] = WCR(3, 3, 0x80);
    cr_expect(a64_watchpoint_page(c, 0x40003000));
    cr_expect(!a64_watchpoint_page(c, 0x40004000));
    c->sys[A64_SYS_DBGWCR0 + 2] = WCR(3, 3, 0xff) | 13ULL << 24;   /* 8 KiB from 0x40002000 */
    cr_expect(a64_watchpoint_page(c, 0x40002000));
    cr_expect(a64_watchpoint_page(c, 0x40003000));
    cr_expect(!a64_watchpoint_page(c, 0x40004000));
    cr_expect(!a64_watchpoint_page(c, 0x40001000));
}

/* A page the soft TLB cached while unwatched is watched after a DBGWVR write. */
Test(debug, watchpoint_moved_onto_a_cached_page)
{
    static const uint32_t code[] = { 0xf9000001 };     /* str x1, [x0] */
    a64_set_el(c, 1);
    c->sys[A64_SYS_VBAR_EL1] = TH_RAM_BASE + 0x10000;
    c->x[0] = TH_RAM_BASE + 0x8000;
    c->x[1] = 0x3333;
    a64_sysreg_write(c, a64_sysreg_by_name("MDSCR_EL1"), MDE | KDE);
    a64_sysreg_write(c, a64_sysreg_by_name("DBGWVR0_EL1"), TH_RAM_BASE + 0x9000);
    a64_sysreg_write(c, a64_sysreg_by_name("DBGWCR0_EL1"), WCR(1, 2, 0xff));
    c->daif = 0;
    cr_assert_eq(th_run(t, code, 1), 0);
    cr_assert_eq(th_run(t, code, 1), 0);       /* the second store hits the cached page */
    cr_expect_eq(c->pc, TH_RAM_BASE + 4, "no exception: the page is not watched");
    a64_sysreg_write(c, a64_sysreg_by_name("DBGWVR0_EL1"), TH_RAM_BASE + 0x8000);
    c->x[1] = 0x4444;
    cr_assert_eq(th_run(t, code, 1), 0);
    cr_expect_eq(c->sys[A64_SYS_ESR_EL1], 0x35ULL << 26 | 1u << 25 | 1u << 6 | 0x22);
    cr_expect_eq(*(uint64_t *)th_ram(t, TH_RAM_BASE + 0x8000), 0x3333, "the store was not made");
}
