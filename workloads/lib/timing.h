/* Helpers of the timing workloads (workloads/tests/t*.c, tests/system/timing-validate.sh):
 * the parameter block a test loads, the PMU, an identity map for cacheable flat programs.
 * A header of static functions, so that the other programs' images (and the addresses their
 * expected outputs and debugger transcripts show) do not change. */
#ifndef WL_TIMING_H
#define WL_TIMING_H

#include "lib.h"

/* A test passes parameters in a block it loads with `-device loader,file=F,addr=0x4fff0000`:
 * the magic, the count, then 64-bit values by index (little-endian). Without the block, or
 * beyond its count, a program runs with its defaults. */
#define WL_PARAMS_ADDR 0x4fff0000ULL
#define WL_PARAMS_MAGIC 0x4d524150454d4954ULL   /* "TIMEPARM" */

/* PMCCNTR_EL0 between ISBs: nothing before it is still in flight, nothing after it started */
static inline uint64_t pmu_cycles(void)
{
    uint64_t v;
    __asm__ volatile("isb\n mrs %0, pmccntr_el0\n isb" : "=r"(v) : : "memory");
    return v;
}

static inline uint64_t wl_param(unsigned idx, uint64_t dflt)
{
    const volatile uint64_t *p = (const volatile uint64_t *)WL_PARAMS_ADDR;
    if (p[0] != WL_PARAMS_MAGIC || idx >= p[1])
        return dflt;
    return p[2 + idx];
}

#define PMCR_E (1u << 0)
#define PMCR_P (1u << 1)
#define PMCR_C (1u << 2)
#define PMCR_LC (1u << 6)
#define PMU_NSH (1u << 27)   /* PMEVTYPER/PMCCFILTR: count at EL2 as well (D13.4.x) */

/* PMUv3 (Arm ARM D13): the cycle counter and event counters 0..n-1 counting evs[i] at
 * every EL the program runs at (EL2 included: PMCCFILTR_EL0/PMEVTYPERn_EL0.NSH), reset and
 * running. */
static inline void pmu_start(const unsigned *evs, unsigned n)
{
    WRITE_SYSREG(pmcr_el0, 0);
    WRITE_SYSREG(pmcntenclr_el0, ~0ULL);
    for (unsigned i = 0; i < n; i++) {
        WRITE_SYSREG(pmselr_el0, i);
        WRITE_SYSREG(pmxevtyper_el0, evs[i] | PMU_NSH);
    }
    WRITE_SYSREG(pmccfiltr_el0, PMU_NSH);
    WRITE_SYSREG(pmcntenset_el0, (1ULL << 31) | ((1ULL << n) - 1));
    WRITE_SYSREG(pmcr_el0, PMCR_E | PMCR_P | PMCR_C | PMCR_LC);
}

static inline uint64_t pmu_event(unsigned i)
{
    WRITE_SYSREG(pmselr_el0, i);
    return READ_SYSREG(pmxevcntr_el0);
}

/* Identity map of the first 4 GiB by 1 GiB blocks for the current EL's stage 1 (EL1&0 or
 * EL2), RAM Normal write-back, the rest Device-nGnRE, caches on: a flat program whose
 * accesses are cacheable (with the MMU off data accesses are Device-nGnRnE, Arm ARM D8.2.10).
 * One level-1 table: T0SZ 32 (a 32-bit VA space) starts the 4K-granule walk at level 1 */
static uint64_t idmap_l1[512] __attribute__((aligned(4096), unused));

#define IDMAP_BLOCK (1ULL | 1ULL << 10)     /* a block descriptor, AF set */
#define IDMAP_RAM (3ULL << 8 | 0ULL << 2)     /* inner shareable, AttrIndx 0 */
#define IDMAP_DEV (1ULL << 2)                 /* AttrIndx 1 */
#define SCTLR_MCI (1ULL << 0 | 1ULL << 2 | 1ULL << 12)

static inline void mmu_identity_on(void)
{
    for (uint64_t i = 0; i < 4; i++)
        idmap_l1[i] = (i << 30) | IDMAP_BLOCK | (i == 1 ? IDMAP_RAM : IDMAP_DEV);   /* RAM: 1-2 GiB */
    __asm__ volatile("dsb ish" ::: "memory");
    /* MAIR: index 0 Normal inner/outer write-back, index 1 Device-nGnRE */
    /* TCR: T0SZ 32, inner/outer WB walks, inner shareable, 4K granule; PS/IPS 40 bits */
    uint64_t tcr = 32 | (1ULL << 8) | (1ULL << 10) | (3ULL << 12);
    if (current_el() == 2) {
        WRITE_SYSREG(mair_el2, 0x04ff);
        WRITE_SYSREG(tcr_el2, tcr | (2ULL << 16) | (1ULL << 23) | (1ULL << 31));   /* RES1 */
        WRITE_SYSREG(ttbr0_el2, (uint64_t)idmap_l1);
        __asm__ volatile("tlbi alle2\n dsb ish\n isb" ::: "memory");
        WRITE_SYSREG(sctlr_el2, READ_SYSREG(sctlr_el2) | SCTLR_MCI);
    } else {
        WRITE_SYSREG(mair_el1, 0x04ff);
        WRITE_SYSREG(tcr_el1, tcr | (1ULL << 23) | (2ULL << 32));   /* EPD1: no TTBR1 walks */
        WRITE_SYSREG(ttbr0_el1, (uint64_t)idmap_l1);
        __asm__ volatile("tlbi vmalle1\n dsb ish\n isb" ::: "memory");
        WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) | SCTLR_MCI);
    }
}

#endif
