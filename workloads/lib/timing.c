/* Helpers of the timing workloads: the parameter block a test loads, the PMU, an identity
 * map for cacheable flat programs. */
#include "lib.h"

uint64_t wl_param(unsigned idx, uint64_t dflt)
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

void pmu_start(const unsigned *evs, unsigned n)
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

uint64_t pmu_event(unsigned i)
{
    WRITE_SYSREG(pmselr_el0, i);
    return READ_SYSREG(pmxevcntr_el0);
}

/* one level-1 table: T0SZ 32 (a 32-bit VA space) starts the 4K-granule walk at level 1 */
static uint64_t idmap_l1[512] __attribute__((aligned(4096)));

#define D_BLOCK 1ULL
#define AF (1ULL << 10)
#define SH_IS (3ULL << 8)
#define ATTR(i) ((uint64_t)(i) << 2)
#define SCTLR_M (1ULL << 0)
#define SCTLR_C (1ULL << 2)
#define SCTLR_I (1ULL << 12)

void mmu_identity_on(void)
{
    for (uint64_t i = 0; i < 4; i++)
        idmap_l1[i] = (i << 30) | D_BLOCK | AF |
                      (i == 1 ? SH_IS | ATTR(0) : ATTR(1));   /* RAM: 1-2 GiB */
    __asm__ volatile("dsb ish" ::: "memory");
    /* MAIR: index 0 Normal inner/outer write-back, index 1 Device-nGnRE */
    /* TCR: T0SZ 32, inner/outer WB walks, inner shareable, 4K granule; PS/IPS 40 bits */
    uint64_t tcr = 32 | (1ULL << 8) | (1ULL << 10) | (3ULL << 12);
    if (current_el() == 2) {
        WRITE_SYSREG(mair_el2, 0x04ff);
        WRITE_SYSREG(tcr_el2, tcr | (2ULL << 16) | (1ULL << 23) | (1ULL << 31));   /* RES1 */
        WRITE_SYSREG(ttbr0_el2, (uint64_t)idmap_l1);
        __asm__ volatile("tlbi alle2\n dsb ish\n isb" ::: "memory");
        WRITE_SYSREG(sctlr_el2, READ_SYSREG(sctlr_el2) | SCTLR_M | SCTLR_C | SCTLR_I);
    } else {
        WRITE_SYSREG(mair_el1, 0x04ff);
        WRITE_SYSREG(tcr_el1, tcr | (1ULL << 23) | (2ULL << 32));   /* EPD1: no TTBR1 walks */
        WRITE_SYSREG(ttbr0_el1, (uint64_t)idmap_l1);
        __asm__ volatile("tlbi vmalle1\n dsb ish\n isb" ::: "memory");
        WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) | SCTLR_M | SCTLR_C | SCTLR_I);
    }
}
