/* The Performance Monitors Extension, PMUv3 (Arm ARM DDI 0487, chapter D13 "The Performance
 * Monitors Extension"; the registers in D17/D19 "AArch64 System Register Descriptions").
 *
 * One A64Pmu per core, embedded in the core (the struct is public so the hot-path check
 * a64_pmu_wants() is inline). Six 32-bit event counters, the 64-bit cycle counter and one
 * level-sensitive overflow interrupt output (PPI 23 on the virt board).
 *
 * Counting is exact and lazy:
 *  - INST_RETIRED (0x08) and CPU_CYCLES (0x11) and PMCCNTR_EL0 are derived from running totals
 *    the CPU passes to a64_pmu_sync(). The interval since the previous sync is attributed to
 *    the EL passed, so the CPU must sync before every change of PSTATE.EL, before every write
 *    of MDCR_EL2 (then a64_pmu_set_mdcr) and when it needs an overflow to have happened.
 *    a64_pmu_sysreg() syncs by itself with the totals in its context.
 *  - SW_INCR (0x00) is counted by writes to PMSWINC_EL0 inside the module.
 *  - EXC_TAKEN (0x09), EXC_RETURN (0x0a) and BR_RETIRED (0x21) are reported by the CPU with
 *    a64_pmu_count(); a64_pmu_wants() tells (one load and a test) whether any enabled counter
 *    counts that event, so nothing is paid while the PMU is unused.
 *
 * Overflow of an event counter (bit 31 carrying out) sets its PMOVSSET_EL0 bit; overflow of
 * PMCCNTR_EL0 sets bit 31 (on a carry out of bit 31 when PMCR_EL0.LC == 0, out of bit 63 when
 * LC == 1). The interrupt output follows CheckForPMUOverflow(): high iff for some counter n
 * PMOVSSET<n> && PMINTENSET<n> && (n < HPMN ? PMCR_EL0.E : MDCR_EL2.HPME), or for the cycle
 * counter PMOVSSET.C && PMINTENSET.C && PMCR_EL0.E. PMCNTENSET does not take part.
 *
 * Counters reserved for EL2 (n >= MDCR_EL2.HPMN) are enabled by MDCR_EL2.HPME instead of
 * PMCR_EL0.E and are accessible only at EL2, but, as CountEvents() says, still count at any
 * EL their P/U/NSH filter allows (that is how a hypervisor profiles its guests).
 *
 * Implementation: PMUv3 for Armv8.0 (ID_AA64DFR0_EL1.PMUVer = 1): no PMUv3p1 MDCR_EL2.HPMD,
 * no PMUv3p5 long event counters (PMCR_EL0.LP RES0), no EL3 (NSK, NSU, M RES0; everything is
 * Non-secure), no export (PMCR_EL0.X RAZ/WI). CHAIN (0x1e) on an odd counter counts the
 * overflows of the even counter below it.
 */
#ifndef HVSIM_CPU_ARM64_PMU_H
#define HVSIM_CPU_ARM64_PMU_H
#include <stdbool.h>
#include <stdint.h>
#include "core/irq.h"
#include "core/state.h"

#define A64_PMU_NCOUNTERS 6         /* PMCR_EL0.N */
#define A64_PMU_PPI 23              /* overflow interrupt INTID on the virt board (QEMU's) */
#define A64_PMU_CYCLE_IDX 31        /* bit of the cycle counter in PMCNTEN/PMOVS/PMINTEN */

/* Common architectural events implemented (Arm ARM D13.11 / D17 table of common events). */
enum {
    A64_PMU_EV_SW_INCR = 0x00,
    A64_PMU_EV_INST_RETIRED = 0x08,
    A64_PMU_EV_EXC_TAKEN = 0x09,
    A64_PMU_EV_EXC_RETURN = 0x0a,
    A64_PMU_EV_CPU_CYCLES = 0x11,
    A64_PMU_EV_BR_RETIRED = 0x21,
    A64_PMU_EV_CHAIN = 0x1e,            /* an odd counter: overflows of the even one below */
    /* counted only under a cycle model (--timing inorder: cpu/arm64/timing.c) */
    A64_PMU_EV_L1I_CACHE_REFILL = 0x01,
    A64_PMU_EV_L1D_CACHE_REFILL = 0x03,
    A64_PMU_EV_L1D_CACHE = 0x04,
    A64_PMU_EV_L1D_TLB_REFILL = 0x05,
    A64_PMU_EV_BR_MIS_PRED = 0x10,
    A64_PMU_EV_BR_PRED = 0x12,
    A64_PMU_EV_MEM_ACCESS = 0x13,
    A64_PMU_EV_L2D_CACHE_REFILL = 0x17,
    A64_PMU_EV_STALL_FRONTEND = 0x23,
    A64_PMU_EV_STALL_BACKEND = 0x24,
};

/* PMCR_EL0 fields. */
#define A64_PMCR_E (1u << 0)
#define A64_PMCR_P (1u << 1)        /* write-only: reset the event counters */
#define A64_PMCR_C (1u << 2)        /* write-only: reset the cycle counter */
#define A64_PMCR_D (1u << 3)        /* PMCCNTR_EL0 counts every 64th cycle */
#define A64_PMCR_X (1u << 4)
#define A64_PMCR_DP (1u << 5)
#define A64_PMCR_LC (1u << 6)
#define A64_PMCR_N_SHIFT 11
/* PMEVTYPER<n>_EL0 / PMCCFILTR_EL0 fields. */
#define A64_PMEVTYPER_P (1u << 31)  /* 1: do not count at EL1 */
#define A64_PMEVTYPER_U (1u << 30)  /* 1: do not count at EL0 */
#define A64_PMEVTYPER_NSH (1u << 27) /* 1: count at EL2 */
#define A64_PMEVTYPER_EVT 0x3ffu    /* evtCount[9:0] */
/* PMUSERENR_EL0 fields. */
#define A64_PMUSERENR_EN (1u << 0)
#define A64_PMUSERENR_SW (1u << 1)
#define A64_PMUSERENR_CR (1u << 2)
#define A64_PMUSERENR_ER (1u << 3)
/* MDCR_EL2 fields this module uses. */
#define A64_MDCR_HPMN 0x1fu
#define A64_MDCR_TPMCR (1u << 5)
#define A64_MDCR_TPM (1u << 6)
#define A64_MDCR_HPME (1u << 7)

/* System-register keys: op0:op1:CRn:CRm:op2, the layout of A64_SYSREG_KEY (sysreg.h). */
#define A64_PMU_KEY(op0, op1, crn, crm, op2) \
    ((uint32_t)(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2)))
#define A64_PMCR_EL0 A64_PMU_KEY(3, 3, 9, 12, 0)
#define A64_PMCNTENSET_EL0 A64_PMU_KEY(3, 3, 9, 12, 1)
#define A64_PMCNTENCLR_EL0 A64_PMU_KEY(3, 3, 9, 12, 2)
#define A64_PMOVSCLR_EL0 A64_PMU_KEY(3, 3, 9, 12, 3)
#define A64_PMSWINC_EL0 A64_PMU_KEY(3, 3, 9, 12, 4)
#define A64_PMSELR_EL0 A64_PMU_KEY(3, 3, 9, 12, 5)
#define A64_PMCEID0_EL0 A64_PMU_KEY(3, 3, 9, 12, 6)
#define A64_PMCEID1_EL0 A64_PMU_KEY(3, 3, 9, 12, 7)
#define A64_PMCCNTR_EL0 A64_PMU_KEY(3, 3, 9, 13, 0)
#define A64_PMXEVTYPER_EL0 A64_PMU_KEY(3, 3, 9, 13, 1)
#define A64_PMXEVCNTR_EL0 A64_PMU_KEY(3, 3, 9, 13, 2)
#define A64_PMUSERENR_EL0 A64_PMU_KEY(3, 3, 9, 14, 0)
#define A64_PMINTENSET_EL1 A64_PMU_KEY(3, 0, 9, 14, 1)
#define A64_PMINTENCLR_EL1 A64_PMU_KEY(3, 0, 9, 14, 2)
#define A64_PMOVSSET_EL0 A64_PMU_KEY(3, 3, 9, 14, 3)
/* PMEVCNTR<n>_EL0: CRn 14, CRm 0b10:n[4:3], op2 n[2:0]; PMEVTYPER<n>_EL0: CRm 0b11:n[4:3]. */
#define A64_PMEVCNTR_EL0(n) A64_PMU_KEY(3, 3, 14, 8 | ((n) >> 3), (n) & 7)
#define A64_PMEVTYPER_EL0(n) A64_PMU_KEY(3, 3, 14, 12 | ((n) >> 3), (n) & 7)
#define A64_PMCCFILTR_EL0 A64_PMEVTYPER_EL0(31)

typedef struct A64Pmu {
    /* --- state (hashed, saved) --- */
    uint64_t pmcr;            /* the stored bits: E, D, DP, LC */
    uint64_t cnten;           /* PMCNTENSET_EL0: bits [5:0] and C (31) */
    uint64_t ovs;             /* PMOVSSET_EL0 */
    uint64_t inten;           /* PMINTENSET_EL1 */
    uint64_t selr;            /* PMSELR_EL0.SEL */
    uint64_t userenr;         /* PMUSERENR_EL0 */
    uint64_t ccntr;           /* PMCCNTR_EL0 */
    uint64_t ccfiltr;         /* PMCCFILTR_EL0 */
    uint64_t evcntr[A64_PMU_NCOUNTERS];   /* PMEVCNTR<n>_EL0, 32 bits each */
    uint64_t evtyper[A64_PMU_NCOUNTERS];  /* PMEVTYPER<n>_EL0 */
    uint64_t cc_prescale;     /* cycles counted towards the next PMCCNTR tick while PMCR.D */
    uint64_t last_insns;      /* the CPU's totals at the last a64_pmu_sync() */
    uint64_t last_cycles;
    /* --- derived (rebuilt by a64_pmu_set_mdcr) --- */
    uint64_t mdcr;            /* copy of MDCR_EL2 (0 without EL2) */
    uint64_t events;          /* bit e: an enabled counter counts event e (e < 64) */
    uint8_t has_el2;
    uint8_t level;            /* level driven on the interrupt output */
    uint8_t model_events;     /* a cycle model runs: its events are implemented (PMCEID) */
    uint8_t pad_[1];
    /* --- configuration --- */
    uint32_t pmcr_id;         /* PMCR_EL0.IMP:IDCODE in bits [31:16] */
    IrqLine irq;
} A64Pmu;

extern const StateDesc a64_pmu_state_desc;

/* Initialises the PMU (reset state, no EL2, PMCR.IMP/IDCODE 0x41/0x01 as QEMU's cortex-a57
 * and max) with its overflow interrupt output (may be unconnected: (IrqLine){0}). */
void a64_pmu_init(A64Pmu *p, IrqLine overflow_irq);
/* (Re)connects the overflow output, e.g. once the board has made the GIC; drives the
 * current level on it. */
void a64_pmu_connect(A64Pmu *p, IrqLine overflow_irq);
/* PMCR_EL0.IMP and IDCODE (QEMU: cortex-a57 and max 0x41/0x01, cortex-a72 0x41/0x02). */
void a64_pmu_set_id(A64Pmu *p, uint8_t imp, uint8_t idcode);
/* Warm reset: every register 0 (PMCR.E resets to 0; the others are UNKNOWN in the Arm ARM),
 * the output lowered. Keeps the sync totals (with every counter disabled the next sync only
 * moves them on) and the MDCR_EL2 copy: call a64_pmu_set_mdcr with MDCR_EL2's reset value. */
void a64_pmu_reset(A64Pmu *p);
/* Tells the PMU whether EL2 is implemented and the current MDCR_EL2 (HPMN, HPME). Call after
 * reset, after every MDCR_EL2 write (a64_pmu_sync first, so the interval before counts under
 * the old partition) and after a state load (rebuilds the derived fields and drives the
 * output). HPMN greater than N behaves as N; HPMN == 0 reserves every counter for EL2. */
void a64_pmu_set_mdcr(A64Pmu *p, bool has_el2, uint64_t mdcr_el2);

/* Attributes the instructions and cycles since the last sync to exception level `el` (the EL
 * that was current for all of them) and records the totals. Totals are the CPU's running
 * counts of retired instructions and elapsed cycles; they only grow (modulo 2^64). May raise
 * the overflow interrupt. */
void a64_pmu_sync(A64Pmu *p, uint64_t insns_total, uint64_t cycles_total, int el);

/* True if an enabled counter counts `event` (only for events < 64). */
static inline bool a64_pmu_wants(const A64Pmu *p, unsigned event)
{
    return event < 64 && ((p->events >> event) & 1);
}
/* Counts n occurrences of a counted event (EXC_TAKEN, EXC_RETURN, BR_RETIRED) attributable
 * to exception level el. Attribution chosen here: EXC_TAKEN to the EL the exception is taken
 * from, EXC_RETURN and BR_RETIRED to the EL the instruction executed at (the ERET's EL).
 * INST_RETIRED and CPU_CYCLES are ignored here (they come from the totals). May raise the
 * overflow interrupt. */
void a64_pmu_count(A64Pmu *p, unsigned event, uint64_t n, int el);

/* Overflow look-ahead, for the CPU to end its slice exactly at an overflow that would change
 * the interrupt output. Only counters whose overflow can raise the output are considered:
 * counting at `el`, PMINTENSET bit set and PMOVSSET bit clear.
 *  - a64_pmu_insns_until_overflow: the smallest k >= 1 such that after k more instructions
 *    retired at `el` an INST_RETIRED counter overflows (the k-th instruction overflows it);
 *  - a64_pmu_cycles_until_overflow: the same in cycles, for CPU_CYCLES counters and
 *    PMCCNTR_EL0 (PMCR.D and the prescaler included);
 * UINT64_MAX if none. The answer holds until the next call into the module that changes its
 * state (sysreg access, sync at another EL, count, set_mdcr, reset): the CPU asks at the start
 * of each slice and after each such call, runs at most that many instructions (and at most
 * the instructions that cover that many cycles), then calls a64_pmu_sync with the totals so
 * the output is raised before the next instruction. */
uint64_t a64_pmu_insns_until_overflow(const A64Pmu *p, int el);
uint64_t a64_pmu_cycles_until_overflow(const A64Pmu *p, int el);

/* Register access. */
typedef struct A64PmuCtx {
    int el;                   /* PSTATE.EL of the MRS/MSR */
    bool el0_in_host;         /* ELIsInHost(EL0): HCR_EL2.{E2H,TGE} == {1,1} and EL0 */
    uint64_t insns_total;     /* the CPU's totals before this instruction (synced first) */
    uint64_t cycles_total;
} A64PmuCtx;
typedef enum {
    A64_PMU_NONE = 0,         /* not a PMU register: the CPU's own table decides */
    A64_PMU_OK,               /* done (*val holds the value read) */
    A64_PMU_UNDEF,            /* UNDEFINED (EC 0): wrong EL, wrong direction, counter >= HPMN */
    A64_PMU_TRAP_EL1,         /* EL0 access disabled by PMUSERENR_EL0: SystemAccessTrap to
                               * EL1, EC 0x18, or to EL2 when HCR_EL2.TGE == 1 */
    A64_PMU_TRAP_EL2,         /* MDCR_EL2.TPM / TPMCR: trap to EL2, EC 0x18 */
} A64PmuAccess;
/* MRS (write = false: *val receives the value) or MSR (write = true) of the PMU register
 * with encoding `key` (A64_SYSREG_KEY layout). Performs the Arm ARM's access checks in their
 * priority order (UNDEFINED, then PMUSERENR_EL0 at EL0, then MDCR_EL2.TPMCR/TPM), syncs with
 * ctx's totals, then accesses. Nothing changes unless it returns A64_PMU_OK. */
A64PmuAccess a64_pmu_sysreg(A64Pmu *p, uint32_t key, bool write, uint64_t *val,
                            const A64PmuCtx *ctx);
#endif
