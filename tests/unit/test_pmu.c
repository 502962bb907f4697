/* PMUv3 (cpu/arm64/pmu): lazy INST_RETIRED/CPU_CYCLES/PMCCNTR counting from the CPU's totals,
 * EL filtering (P, U, NSH), the MDCR_EL2.HPMN partition and PMCR_EL0.N view, TPM/TPMCR traps,
 * PMUSERENR_EL0 at EL0, SW_INCR, overflow flags and the interrupt output, PMCR.P/C/D/LC and
 * the overflow look-ahead. The module is driven alone with a recording interrupt line. */
#include <criterion/criterion.h>
#include <string.h>
#include "cpu/arm64/pmu.h"
#include "cpu/arm64/sysreg.h"

_Static_assert(A64_PMCR_EL0 == A64_SYSREG_KEY(3, 3, 9, 12, 0), "key layout differs from sysreg.h");
_Static_assert(A64_PMEVTYPER_EL0(5) == A64_SYSREG_KEY(3, 3, 14, 12, 5), "PMEVTYPER5 encoding");
_Static_assert(A64_PMCCFILTR_EL0 == A64_SYSREG_KEY(3, 3, 14, 15, 7), "PMCCFILTR encoding");
_Static_assert(A64_PMINTENSET_EL1 == A64_SYSREG_KEY(3, 0, 9, 14, 1), "PMINTENSET encoding");

typedef struct Fx {
    A64Pmu p;
    int level, edges;
    uint64_t insns, cycles;   /* the fake CPU's totals */
} Fx;

static void fake_irq(void *opaque, int n, int level)
{
    Fx *f = opaque;
    cr_assert_eq(n, A64_PMU_PPI);
    if (level != f->level)
        f->edges++;
    f->level = level;
}

static void fx_init(Fx *f, bool el2, uint64_t mdcr)
{
    memset(f, 0, sizeof *f);
    f->level = -1;
    a64_pmu_init(&f->p, (IrqLine){ fake_irq, f, A64_PMU_PPI });
    a64_pmu_set_mdcr(&f->p, el2, mdcr);
    cr_assert_eq(f->level, 0, "the output starts low");
    f->edges = 0;
}

/* Retires `di` instructions taking `dc` cycles at `el`, then syncs. */
static void run(Fx *f, int el, uint64_t di, uint64_t dc)
{
    f->insns += di;
    f->cycles += dc;
    a64_pmu_sync(&f->p, f->insns, f->cycles, el);
}

static A64PmuAccess acc(Fx *f, uint32_t key, bool write, uint64_t *v, int el)
{
    A64PmuCtx ctx = { .el = el, .insns_total = f->insns, .cycles_total = f->cycles };
    return a64_pmu_sysreg(&f->p, key, write, v, &ctx);
}

static uint64_t rd(Fx *f, uint32_t key, int el)
{
    uint64_t v = 0xdead;
    cr_assert_eq(acc(f, key, false, &v, el), A64_PMU_OK, "read of key %#x at EL%d", key, el);
    return v;
}

static void wr(Fx *f, uint32_t key, uint64_t v, int el)
{
    cr_assert_eq(acc(f, key, true, &v, el), A64_PMU_OK, "write of key %#x at EL%d", key, el);
}

static A64PmuAccess try_rd(Fx *f, uint32_t key, int el)
{
    uint64_t v = 0;
    return acc(f, key, false, &v, el);
}

static A64PmuAccess try_wr(Fx *f, uint32_t key, uint64_t v, int el)
{
    return acc(f, key, true, &v, el);
}

Test(pmu, identification_and_decode)
{
    Fx f;
    fx_init(&f, false, 0);
    uint64_t pmcr = rd(&f, A64_PMCR_EL0, 1);
    cr_assert_eq((pmcr >> 11) & 0x1f, 6, "N = 6");
    cr_assert_eq(pmcr >> 16, 0x4101, "IMP 0x41, IDCODE 0x01 as QEMU's cortex-a57");
    cr_assert_eq(pmcr & 0x7ff, 0, "E, D, LC reset to 0");
    uint64_t ceid0 = rd(&f, A64_PMCEID0_EL0, 1), ceid1 = rd(&f, A64_PMCEID1_EL0, 1);
    cr_assert_eq(ceid0, (1u << 0x00) | (1u << 0x08) | (1u << 0x09) | (1u << 0x0a) | (1u << 0x11) |
                            (1u << 0x1e));
    cr_assert_eq(ceid1, 1u << (0x21 - 0x20));
    cr_assert_eq(try_wr(&f, A64_PMCEID0_EL0, 0, 1), A64_PMU_UNDEF, "PMCEID0 is read-only");
    cr_assert_eq(try_rd(&f, A64_PMSWINC_EL0, 1), A64_PMU_UNDEF, "PMSWINC is write-only");
    cr_assert_eq(try_rd(&f, A64_PMEVCNTR_EL0(6), 1), A64_PMU_UNDEF, "no counter 6");
    cr_assert_eq(try_rd(&f, A64_SYSREG_KEY(3, 0, 1, 0, 0), 1), A64_PMU_NONE, "SCTLR is not ours");
    a64_pmu_set_id(&f.p, 0x41, 0x02);
    cr_assert_eq(rd(&f, A64_PMCR_EL0, 1) >> 16, 0x4102);
}

Test(pmu, lazy_counts_attributed_to_the_el_of_each_interval)
{
    Fx f;
    fx_init(&f, false, 0);
    wr(&f, A64_PMEVTYPER_EL0(0), A64_PMU_EV_INST_RETIRED, 1);
    wr(&f, A64_PMEVTYPER_EL0(1), A64_PMEVTYPER_U | A64_PMU_EV_CPU_CYCLES, 1);  /* not EL0 */
    wr(&f, A64_PMEVTYPER_EL0(2), A64_PMEVTYPER_P | A64_PMU_EV_INST_RETIRED, 1); /* not EL1 */
    wr(&f, A64_PMCCFILTR_EL0, A64_PMEVTYPER_P, 1);                               /* EL0 only */
    wr(&f, A64_PMCNTENSET_EL0, 0x80000007, 1);
    run(&f, 1, 100, 150);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(0), 1), 0, "PMCR.E is still 0");
    wr(&f, A64_PMCR_EL0, A64_PMCR_E, 1);
    run(&f, 1, 100, 150);
    run(&f, 0, 40, 70);
    run(&f, 1, 5, 9);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(0), 1), 145, "instructions at EL1 and EL0");
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(1), 1), 159, "cycles at EL1 only");
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(2), 1), 40, "instructions at EL0 only");
    cr_assert_eq(rd(&f, A64_PMCCNTR_EL0, 1), 70, "cycle counter at EL0 only");
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(3), 1), 0, "counter 3 not enabled");
    /* A disabled counter stops; re-enabling resumes from its value. */
    wr(&f, A64_PMCNTENCLR_EL0, 1, 1);
    cr_assert_eq(rd(&f, A64_PMCNTENSET_EL0, 1), 0x80000006);
    run(&f, 1, 1000, 1000);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(0), 1), 145);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(1), 1), 1159);
}

Test(pmu, nsh_counts_at_el2_only_when_set)
{
    Fx f;
    fx_init(&f, true, 6);
    wr(&f, A64_PMEVTYPER_EL0(0), A64_PMU_EV_INST_RETIRED, 2);
    wr(&f, A64_PMEVTYPER_EL0(1), A64_PMEVTYPER_NSH | A64_PMU_EV_INST_RETIRED, 2);
    wr(&f, A64_PMEVTYPER_EL0(2), A64_PMEVTYPER_NSH | A64_PMEVTYPER_P | A64_PMEVTYPER_U |
                                 A64_PMU_EV_INST_RETIRED, 2);
    wr(&f, A64_PMCNTENSET_EL0, 7, 2);
    wr(&f, A64_PMCR_EL0, A64_PMCR_E, 2);
    run(&f, 2, 10, 10);
    run(&f, 1, 20, 20);
    run(&f, 0, 300, 300);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(0), 2), 320, "NSH = 0: EL1 and EL0, not EL2");
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(1), 2), 330, "NSH = 1: every EL");
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(2), 2), 10, "EL2 only");
    /* Without EL2, NSH is RES0. */
    Fx g;
    fx_init(&g, false, 0);
    wr(&g, A64_PMEVTYPER_EL0(0), A64_PMEVTYPER_NSH | A64_PMEVTYPER_P | 0x3ff, 1);
    cr_assert_eq(rd(&g, A64_PMEVTYPER_EL0(0), 1), A64_PMEVTYPER_P | 0x3ff);
}

Test(pmu, hpmn_partition_and_pmcr_n_view)
{
    Fx f;
    fx_init(&f, true, 4);     /* HPMN = 4, HPME = 0 */
    cr_assert_eq((rd(&f, A64_PMCR_EL0, 1) >> 11) & 0x1f, 4, "EL1 sees HPMN counters");
    cr_assert_eq((rd(&f, A64_PMCR_EL0, 0 + 2) >> 11) & 0x1f, 6, "EL2 sees all");
    cr_assert_eq(try_rd(&f, A64_PMEVCNTR_EL0(4), 1), A64_PMU_UNDEF, "reserved for EL2");
    cr_assert_eq(try_wr(&f, A64_PMEVTYPER_EL0(5), 0, 1), A64_PMU_UNDEF);
    cr_assert_eq(try_rd(&f, A64_PMEVCNTR_EL0(3), 1), A64_PMU_OK);
    wr(&f, A64_PMCNTENSET_EL0, 0x8000003f, 1);
    cr_assert_eq(rd(&f, A64_PMCNTENSET_EL0, 1), 0x8000000f, "bits 4, 5 RAZ/WI at EL1");
    cr_assert_eq(rd(&f, A64_PMCNTENSET_EL0, 2), 0x8000000f);
    wr(&f, A64_PMCNTENSET_EL0, 0x30, 2);
    cr_assert_eq(rd(&f, A64_PMCNTENSET_EL0, 1), 0x8000000f);
    cr_assert_eq(rd(&f, A64_PMCNTENSET_EL0, 2), 0x8000003f);
    for (unsigned n = 0; n < 6; n++)
        wr(&f, A64_PMEVTYPER_EL0(n), A64_PMU_EV_INST_RETIRED, 2);
    /* PMCR.E enables the first range only; HPME the second. */
    wr(&f, A64_PMCR_EL0, A64_PMCR_E, 1);
    run(&f, 1, 7, 7);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(3), 2), 7);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(4), 2), 0, "HPME = 0");
    run(&f, 2, 0, 0);
    a64_pmu_set_mdcr(&f.p, true, 4 | A64_MDCR_HPME);
    wr(&f, A64_PMCR_EL0, 0, 1);
    run(&f, 1, 5, 5);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(3), 2), 7, "PMCR.E = 0 stops the first range");
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(4), 2), 5, "HPME counts EL1 events for EL2");
    /* Through PMSELR: SEL 4 is out of the EL1 range (RAZ/WI). */
    wr(&f, A64_PMSELR_EL0, 4, 1);
    cr_assert_eq(rd(&f, A64_PMXEVCNTR_EL0, 1), 0);
    wr(&f, A64_PMXEVCNTR_EL0, 99, 1);
    cr_assert_eq(rd(&f, A64_PMXEVCNTR_EL0, 2), 5, "the EL1 write was ignored");
}

Test(pmu, tpm_and_tpmcr_trap_to_el2)
{
    Fx f;
    fx_init(&f, true, 6 | A64_MDCR_TPMCR);
    wr(&f, A64_PMUSERENR_EL0, A64_PMUSERENR_EN, 1);
    cr_assert_eq(try_rd(&f, A64_PMCR_EL0, 1), A64_PMU_TRAP_EL2);
    cr_assert_eq(try_wr(&f, A64_PMCR_EL0, 1, 0), A64_PMU_TRAP_EL2);
    cr_assert_eq(try_rd(&f, A64_PMCCNTR_EL0, 1), A64_PMU_OK, "TPMCR traps PMCR only");
    cr_assert_eq(try_rd(&f, A64_PMCR_EL0, 2), A64_PMU_OK, "never at EL2");
    a64_pmu_set_mdcr(&f.p, true, 6 | A64_MDCR_TPM);
    cr_assert_eq(try_rd(&f, A64_PMCR_EL0, 1), A64_PMU_TRAP_EL2);
    cr_assert_eq(try_rd(&f, A64_PMCCNTR_EL0, 0), A64_PMU_TRAP_EL2);
    cr_assert_eq(try_wr(&f, A64_PMINTENSET_EL1, 1, 1), A64_PMU_TRAP_EL2);
    cr_assert_eq(try_rd(&f, A64_PMUSERENR_EL0, 1), A64_PMU_TRAP_EL2);
    cr_assert_eq(try_wr(&f, A64_PMEVTYPER_EL0(0), 8, 1), A64_PMU_TRAP_EL2);
    cr_assert_eq(rd(&f, A64_PMEVTYPER_EL0(0), 2), 0, "a trapped write changes nothing");
    cr_assert_eq(try_rd(&f, A64_PMCCNTR_EL0, 2), A64_PMU_OK);
    /* UNDEFINED outranks the trap. */
    cr_assert_eq(try_rd(&f, A64_PMINTENSET_EL1, 0), A64_PMU_UNDEF);
    /* Without EL2, MDCR_EL2 does not exist. */
    a64_pmu_set_mdcr(&f.p, false, 6 | A64_MDCR_TPM | A64_MDCR_TPMCR);
    cr_assert_eq(try_rd(&f, A64_PMCR_EL0, 1), A64_PMU_OK);
}

Test(pmu, pmuserenr_gates_el0)
{
    Fx f;
    fx_init(&f, false, 0);
    cr_assert_eq(try_rd(&f, A64_PMUSERENR_EL0, 0), A64_PMU_OK, "always readable at EL0");
    cr_assert_eq(try_wr(&f, A64_PMUSERENR_EL0, 1, 0), A64_PMU_UNDEF, "writable from EL1 only");
    cr_assert_eq(try_rd(&f, A64_PMCCNTR_EL0, 0), A64_PMU_TRAP_EL1);
    cr_assert_eq(try_rd(&f, A64_PMCR_EL0, 0), A64_PMU_TRAP_EL1);
    cr_assert_eq(try_wr(&f, A64_PMSWINC_EL0, 1, 0), A64_PMU_TRAP_EL1);
    cr_assert_eq(try_rd(&f, A64_PMSELR_EL0, 0), A64_PMU_TRAP_EL1);
    cr_assert_eq(try_rd(&f, A64_PMINTENSET_EL1, 0), A64_PMU_UNDEF, "EL1 register");
    wr(&f, A64_PMUSERENR_EL0, A64_PMUSERENR_CR, 1);
    cr_assert_eq(try_rd(&f, A64_PMCCNTR_EL0, 0), A64_PMU_OK, "CR: cycle counter reads");
    cr_assert_eq(try_wr(&f, A64_PMCCNTR_EL0, 0, 0), A64_PMU_TRAP_EL1, "but not writes");
    cr_assert_eq(try_rd(&f, A64_PMEVCNTR_EL0(0), 0), A64_PMU_TRAP_EL1);
    wr(&f, A64_PMUSERENR_EL0, A64_PMUSERENR_ER, 1);
    cr_assert_eq(try_rd(&f, A64_PMEVCNTR_EL0(0), 0), A64_PMU_OK, "ER: event counter reads");
    cr_assert_eq(try_rd(&f, A64_PMXEVCNTR_EL0, 0), A64_PMU_OK);
    cr_assert_eq(try_wr(&f, A64_PMSELR_EL0, 1, 0), A64_PMU_OK, "ER: PMSELR both ways");
    cr_assert_eq(try_wr(&f, A64_PMEVCNTR_EL0(0), 0, 0), A64_PMU_TRAP_EL1);
    cr_assert_eq(try_rd(&f, A64_PMCR_EL0, 0), A64_PMU_TRAP_EL1);
    wr(&f, A64_PMUSERENR_EL0, A64_PMUSERENR_SW, 1);
    cr_assert_eq(try_wr(&f, A64_PMSWINC_EL0, 1, 0), A64_PMU_OK, "SW: PMSWINC");
    cr_assert_eq(try_rd(&f, A64_PMCCNTR_EL0, 0), A64_PMU_TRAP_EL1);
    wr(&f, A64_PMUSERENR_EL0, 0xff, 1);
    cr_assert_eq(rd(&f, A64_PMUSERENR_EL0, 0), 0xf, "EN, SW, CR, ER only");
    cr_assert_eq(try_wr(&f, A64_PMCR_EL0, A64_PMCR_E, 0), A64_PMU_OK, "EN: everything");
    cr_assert_eq(try_wr(&f, A64_PMCCNTR_EL0, 5, 0), A64_PMU_OK);
    cr_assert_eq(rd(&f, A64_PMCCNTR_EL0, 1), 5);
}

Test(pmu, sw_incr)
{
    Fx f;
    fx_init(&f, true, 6);
    wr(&f, A64_PMEVTYPER_EL0(2), A64_PMU_EV_SW_INCR, 1);
    wr(&f, A64_PMEVTYPER_EL0(3), A64_PMEVTYPER_U | A64_PMU_EV_SW_INCR, 1);
    wr(&f, A64_PMEVTYPER_EL0(4), A64_PMU_EV_INST_RETIRED, 1);
    wr(&f, A64_PMSWINC_EL0, 0x1c, 1);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(2), 1), 0, "disabled counters do not count");
    wr(&f, A64_PMCNTENSET_EL0, 0x1c, 1);
    wr(&f, A64_PMCR_EL0, A64_PMCR_E, 1);
    wr(&f, A64_PMSWINC_EL0, 0x1c, 1);
    wr(&f, A64_PMSWINC_EL0, 0x04, 1);
    wr(&f, A64_PMUSERENR_EL0, A64_PMUSERENR_SW, 1);
    wr(&f, A64_PMSWINC_EL0, 0x0c, 0);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(2), 1), 3);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(3), 1), 1, "U = 1: the EL0 write is filtered");
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(4), 1), 0, "not a SW_INCR counter");
    /* Overflow from a software increment. */
    wr(&f, A64_PMEVCNTR_EL0(2), 0xffffffff, 1);
    wr(&f, A64_PMSWINC_EL0, 0x04, 1);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(2), 1), 0);
    cr_assert_eq(rd(&f, A64_PMOVSSET_EL0, 1), 0x04);
}

Test(pmu, chain_counts_the_even_counters_overflows)
{
    Fx f;
    fx_init(&f, true, 6);
    wr(&f, A64_PMEVTYPER_EL0(0), A64_PMU_EV_SW_INCR, 1);
    wr(&f, A64_PMEVTYPER_EL0(1), A64_PMU_EV_CHAIN, 1);
    wr(&f, A64_PMEVTYPER_EL0(2), A64_PMU_EV_SW_INCR, 1);
    wr(&f, A64_PMEVTYPER_EL0(3), A64_PMU_EV_CHAIN, 1);
    wr(&f, A64_PMCNTENSET_EL0, 0x7, 1);        /* counter 3 (CHAIN) disabled */
    wr(&f, A64_PMCR_EL0, A64_PMCR_E, 1);
    wr(&f, A64_PMEVCNTR_EL0(0), 0xfffffffe, 1);
    wr(&f, A64_PMEVCNTR_EL0(2), 0xffffffff, 1);
    wr(&f, A64_PMSWINC_EL0, 0x5, 1);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(1), 1), 0, "no overflow yet");
    wr(&f, A64_PMSWINC_EL0, 0x5, 1);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(0), 1), 0);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(1), 1), 1, "the high half of the 64-bit pair");
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(3), 1), 0, "a disabled CHAIN counter counts nothing");
    cr_assert_eq(rd(&f, A64_PMOVSSET_EL0, 1), 0x5);
}

Test(pmu, overflow_sets_pmovs_and_raises_the_line_with_pminten)
{
    Fx f;
    fx_init(&f, false, 0);
    wr(&f, A64_PMEVTYPER_EL0(1), A64_PMU_EV_INST_RETIRED, 1);
    wr(&f, A64_PMEVCNTR_EL0(1), 0xfffffff0, 1);
    wr(&f, A64_PMCNTENSET_EL0, 2, 1);
    wr(&f, A64_PMCR_EL0, A64_PMCR_E, 1);
    run(&f, 1, 0x20, 0x20);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(1), 1), 0x10, "wraps at 32 bits");
    cr_assert_eq(rd(&f, A64_PMOVSCLR_EL0, 1), 2);
    cr_assert_eq(f.level, 0, "PMINTEN clear: no interrupt");
    wr(&f, A64_PMINTENSET_EL1, 2, 1);
    cr_assert_eq(f.level, 1);
    cr_assert_eq(rd(&f, A64_PMINTENCLR_EL1, 1), 2);
    wr(&f, A64_PMCR_EL0, 0, 1);
    cr_assert_eq(f.level, 0, "CheckForPMUOverflow needs PMCR.E");
    wr(&f, A64_PMCR_EL0, A64_PMCR_E, 1);
    cr_assert_eq(f.level, 1);
    wr(&f, A64_PMOVSCLR_EL0, 2, 1);
    cr_assert_eq(f.level, 0, "clearing PMOVS lowers it");
    cr_assert_eq(f.edges, 4);
    /* PMOVSSET written by software raises it too; PMINTENCLR lowers it. */
    wr(&f, A64_PMOVSSET_EL0, 1u << 31, 1);
    cr_assert_eq(f.level, 0, "cycle counter interrupt not enabled");
    wr(&f, A64_PMINTENSET_EL1, 1u << 31, 1);
    cr_assert_eq(f.level, 1);
    wr(&f, A64_PMCR_EL0, 0, 1);
    cr_assert_eq(f.level, 0, "the cycle counter's request needs PMCR.E as well");
    wr(&f, A64_PMCR_EL0, A64_PMCR_E, 1);
    cr_assert_eq(f.level, 1);
    wr(&f, A64_PMINTENCLR_EL1, 1u << 31, 1);
    cr_assert_eq(f.level, 0);
}

Test(pmu, pmcr_p_and_c_reset_counters)
{
    Fx f;
    fx_init(&f, true, 3 | A64_MDCR_HPME);
    for (unsigned n = 0; n < 6; n++)
        wr(&f, A64_PMEVCNTR_EL0(n), 100 + n, 2);
    wr(&f, A64_PMCCNTR_EL0, 0x123456789ull, 2);
    wr(&f, A64_PMCR_EL0, A64_PMCR_P, 1);
    for (unsigned n = 0; n < 6; n++)
        cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(n), 2), n < 3 ? 0 : 100 + n,
                     "EL1's P resets the first range only (counter %u)", n);
    cr_assert_eq(rd(&f, A64_PMCCNTR_EL0, 2), 0x123456789ull, "P leaves the cycle counter");
    cr_assert_eq(rd(&f, A64_PMCR_EL0, 2) & (A64_PMCR_P | A64_PMCR_C), 0, "P, C read as 0");
    wr(&f, A64_PMCR_EL0, A64_PMCR_P | A64_PMCR_C, 2);
    for (unsigned n = 0; n < 6; n++)
        cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(n), 2), 0, "EL2's P resets all (counter %u)", n);
    cr_assert_eq(rd(&f, A64_PMCCNTR_EL0, 2), 0);
}

Test(pmu, pmcr_d_divides_the_cycle_counter_by_64)
{
    Fx f;
    fx_init(&f, false, 0);
    wr(&f, A64_PMEVTYPER_EL0(0), A64_PMU_EV_CPU_CYCLES, 1);
    wr(&f, A64_PMCNTENSET_EL0, 0x80000001, 1);
    wr(&f, A64_PMCR_EL0, A64_PMCR_E | A64_PMCR_D, 1);
    run(&f, 1, 100, 64 * 10 + 5);
    cr_assert_eq(rd(&f, A64_PMCCNTR_EL0, 1), 10);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(0), 1), 645, "CPU_CYCLES events are not divided");
    run(&f, 1, 1, 58);
    cr_assert_eq(rd(&f, A64_PMCCNTR_EL0, 1), 10, "63 cycles into the next tick");
    run(&f, 1, 1, 1);
    cr_assert_eq(rd(&f, A64_PMCCNTR_EL0, 1), 11);
    /* Look-ahead with the divider: 2^32 - 11 ticks, none of the next 64 cycles done yet. */
    wr(&f, A64_PMINTENSET_EL1, 1u << 31, 1);
    cr_assert_eq(a64_pmu_cycles_until_overflow(&f.p, 1), ((1ull << 32) - 11) * 64);
    run(&f, 1, 0, 10);
    cr_assert_eq(a64_pmu_cycles_until_overflow(&f.p, 1), ((1ull << 32) - 11) * 64 - 10);
    wr(&f, A64_PMCR_EL0, A64_PMCR_E | A64_PMCR_C, 1);
    run(&f, 1, 0, 100);
    cr_assert_eq(rd(&f, A64_PMCCNTR_EL0, 1), 100, "D = 0: every cycle");
}

Test(pmu, cycle_counter_overflow_depends_on_lc)
{
    Fx f;
    fx_init(&f, false, 0);
    wr(&f, A64_PMCNTENSET_EL0, 1u << 31, 1);
    wr(&f, A64_PMINTENSET_EL1, 1u << 31, 1);
    wr(&f, A64_PMCCNTR_EL0, 0xfffffffa, 1);
    wr(&f, A64_PMCR_EL0, A64_PMCR_E | A64_PMCR_LC, 1);
    cr_assert_eq(a64_pmu_cycles_until_overflow(&f.p, 1), 0ull - 0xfffffffaull);
    run(&f, 1, 10, 10);
    cr_assert_eq(rd(&f, A64_PMCCNTR_EL0, 1), 0x100000004ull, "64 bits wide");
    cr_assert_eq(rd(&f, A64_PMOVSSET_EL0, 1), 0, "LC = 1: no overflow at bit 31");
    wr(&f, A64_PMCR_EL0, A64_PMCR_E, 1);
    wr(&f, A64_PMCCNTR_EL0, 0x1fffffffaull, 1);
    cr_assert_eq(a64_pmu_cycles_until_overflow(&f.p, 1), 6);
    run(&f, 1, 5, 5);
    cr_assert_eq(f.level, 0);
    run(&f, 1, 1, 1);
    cr_assert_eq(rd(&f, A64_PMCCNTR_EL0, 1), 0x200000000ull, "the counter keeps 64 bits");
    cr_assert_eq(rd(&f, A64_PMOVSSET_EL0, 1), 1u << 31, "LC = 0: overflow at bit 31");
    cr_assert_eq(f.level, 1);
    cr_assert_eq(a64_pmu_cycles_until_overflow(&f.p, 1), UINT64_MAX, "already flagged");
}

Test(pmu, insns_until_overflow_is_exact)
{
    Fx f;
    fx_init(&f, false, 0);
    wr(&f, A64_PMEVTYPER_EL0(0), A64_PMU_EV_INST_RETIRED, 1);
    wr(&f, A64_PMEVTYPER_EL0(3), A64_PMEVTYPER_U | A64_PMU_EV_INST_RETIRED, 1);
    wr(&f, A64_PMEVCNTR_EL0(0), 0xffffff00, 1);
    wr(&f, A64_PMEVCNTR_EL0(3), 0xfffffff0, 1);
    wr(&f, A64_PMCNTENSET_EL0, 0x9, 1);
    wr(&f, A64_PMCR_EL0, A64_PMCR_E, 1);
    cr_assert_eq(a64_pmu_insns_until_overflow(&f.p, 1), UINT64_MAX, "no PMINTEN");
    wr(&f, A64_PMINTENSET_EL1, 0x9, 1);
    cr_assert_eq(a64_pmu_insns_until_overflow(&f.p, 1), 0x10, "counter 3 first at EL1");
    cr_assert_eq(a64_pmu_insns_until_overflow(&f.p, 0), 0x100, "counter 3 filtered at EL0");
    cr_assert_eq(a64_pmu_cycles_until_overflow(&f.p, 1), UINT64_MAX);
    run(&f, 0, 0xff, 0xff);
    cr_assert_eq(a64_pmu_insns_until_overflow(&f.p, 0), 1);
    cr_assert_eq(f.level, 0);
    run(&f, 0, 1, 1);
    cr_assert_eq(f.level, 1, "the k-th instruction overflowed");
    cr_assert_eq(rd(&f, A64_PMOVSSET_EL0, 1), 1);
    cr_assert_eq(a64_pmu_insns_until_overflow(&f.p, 1), 0x10, "counter 0 is flagged already");
    cr_assert_eq(a64_pmu_insns_until_overflow(&f.p, 0), UINT64_MAX);
}

Test(pmu, counted_events_and_selector_views)
{
    Fx f;
    fx_init(&f, false, 0);
    /* PMXEVTYPER/PMXEVCNTR reach the counter PMSELR selects; SEL 31 is PMCCFILTR. */
    wr(&f, A64_PMSELR_EL0, 2, 1);
    wr(&f, A64_PMXEVTYPER_EL0, A64_PMU_EV_BR_RETIRED, 1);
    wr(&f, A64_PMXEVCNTR_EL0, 40, 1);
    cr_assert_eq(rd(&f, A64_PMEVTYPER_EL0(2), 1), A64_PMU_EV_BR_RETIRED);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(2), 1), 40);
    wr(&f, A64_PMSELR_EL0, 31, 1);
    wr(&f, A64_PMXEVTYPER_EL0, A64_PMEVTYPER_U | 0x3ff, 1);
    cr_assert_eq(rd(&f, A64_PMCCFILTR_EL0, 1), A64_PMEVTYPER_U, "PMCCFILTR has no evtCount");
    wr(&f, A64_PMEVTYPER_EL0(0), A64_PMU_EV_EXC_TAKEN, 1);
    wr(&f, A64_PMEVTYPER_EL0(1), A64_PMEVTYPER_P | A64_PMU_EV_EXC_RETURN, 1);
    cr_assert(!a64_pmu_wants(&f.p, A64_PMU_EV_BR_RETIRED), "nothing enabled yet");
    wr(&f, A64_PMCNTENSET_EL0, 7, 1);
    cr_assert(!a64_pmu_wants(&f.p, A64_PMU_EV_BR_RETIRED), "PMCR.E still 0");
    wr(&f, A64_PMCR_EL0, A64_PMCR_E, 1);
    cr_assert(a64_pmu_wants(&f.p, A64_PMU_EV_BR_RETIRED));
    cr_assert(a64_pmu_wants(&f.p, A64_PMU_EV_EXC_TAKEN));
    cr_assert(!a64_pmu_wants(&f.p, A64_PMU_EV_INST_RETIRED));
    a64_pmu_count(&f.p, A64_PMU_EV_BR_RETIRED, 3, 0);
    a64_pmu_count(&f.p, A64_PMU_EV_EXC_TAKEN, 1, 0);
    a64_pmu_count(&f.p, A64_PMU_EV_EXC_RETURN, 1, 1);
    a64_pmu_count(&f.p, A64_PMU_EV_EXC_RETURN, 1, 2);   /* EL2 absent: never counts */
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(2), 1), 43);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(0), 1), 1);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(1), 1), 0, "P = 1 filters the EL1 ERET");
    a64_pmu_count(&f.p, A64_PMU_EV_EXC_RETURN, 2, 0);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(1), 1), 2);
}

Test(pmu, reset_and_state_description)
{
    Fx f;
    fx_init(&f, false, 0);
    wr(&f, A64_PMCNTENSET_EL0, 1, 1);
    wr(&f, A64_PMINTENSET_EL1, 1, 1);
    wr(&f, A64_PMOVSSET_EL0, 1, 1);
    wr(&f, A64_PMCR_EL0, A64_PMCR_E, 1);
    cr_assert_eq(f.level, 1);
    wr(&f, A64_PMEVTYPER_EL0(0), A64_PMU_EV_INST_RETIRED, 1);
    run(&f, 1, 50, 50);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(0), 1), 50);
    a64_pmu_reset(&f.p);
    cr_assert_eq(f.level, 0);
    cr_assert_eq(rd(&f, A64_PMCNTENSET_EL0, 1), 0);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(0), 1), 0);
    cr_assert_eq(rd(&f, A64_PMCR_EL0, 1) & 0xffff, 6u << 11);
    /* The totals keep running across the reset; nothing before re-enabling is counted. */
    run(&f, 1, 30, 30);
    wr(&f, A64_PMEVTYPER_EL0(0), A64_PMU_EV_INST_RETIRED, 1);
    wr(&f, A64_PMCNTENSET_EL0, 1, 1);
    wr(&f, A64_PMCR_EL0, A64_PMCR_E, 1);
    run(&f, 1, 4, 4);
    cr_assert_eq(rd(&f, A64_PMEVCNTR_EL0(0), 1), 4);
    /* connect drives the current level on the new line. */
    wr(&f, A64_PMOVSSET_EL0, 1, 1);
    wr(&f, A64_PMINTENSET_EL1, 1, 1);
    Fx g;
    memset(&g, 0, sizeof g);
    g.level = -1;
    a64_pmu_connect(&f.p, (IrqLine){ fake_irq, &g, A64_PMU_PPI });
    cr_assert_eq(g.level, 1);
    /* Every state field lies inside the struct, none overlaps the run-time tail. */
    const StateDesc *d = &a64_pmu_state_desc;
    for (int i = 0; i < d->nfields; i++)
        if (!(d->fields[i].flags & SF_RUNTIME))
            cr_assert_leq(d->fields[i].offset + d->fields[i].elem_size * d->fields[i].count,
                      offsetof(A64Pmu, pmcr_id), "%s", d->fields[i].name);
}
