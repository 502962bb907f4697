/* Timing validation: the cost of a TLB miss under one or two stages of translation
 * (tests/system/timing-validate.sh, the 2D-walk table of make paper). Booted at EL2
 * (virtualization=on, cortex-a57: a level-0 start of stage 2 needs PAMax >= 44, Arm ARM
 * AArch64.S2InvalidSL), it builds an identity stage 2 for the EL1 program (4 KiB granule,
 * 4 levels: a 48-bit IPA space starting at level 0, or 3 levels: 39 bits from level 1;
 * 4 KiB leaf pages) and an identity stage 1 for EL1 (4 KiB pages, 4 levels over 48-bit VAs
 * or 3 over 39), both Normal write-back, then drops to EL1, which loads one word from each
 * of P pages spread over an 8 MiB region, cyclically, R times, and returns with HVC. With
 * more pages than the TLBs hold every load misses them and walks: differencing two runs
 * with different R gives the steady-state walk per load, cold start cancelled.
 *
 * The page i the program loads from is region + i * (8 MiB / P), at line (i + i / 64) mod 64
 * of it: up to 64 pages, lines in distinct L1D sets (with a small L1D the data stays there);
 * up to 2048 consecutive pages, two lines per set of a 1 MiB 16-way L2. So the data's misses
 * are the same every round and the walks are what varies.
 *
 * Parameters (wl_param): 0 stage-1 levels (4; 3; 0 = stage 1 off), 1 stage-2 levels (4; 3;
 * 0 = stage 2 off), 2 pages P (64), 3 rounds R (16). With stage 1 off and stage 2 on,
 * HCR_EL2.DC makes EL1's accesses Normal write-back as with stage 1 on (D8.2.10).
 * Output: twalk: s1=N s2=N pages=P rounds=R loads=P*R cycles=C l1d_tlb_refill=N, where
 * cycles are PMCCNTR_EL0 from the ERET to EL1 to the HVC's return and the refills PMU
 * event 0x05 L1D_TLB_REFILL over the same window. */
#include "timing.h"

#define RAM 0x40000000ULL
#define MAP_END 0x43000000ULL              /* image, tables, stack and the region */
#define REGION 0x42000000ULL
#define REGION_SIZE (8ULL << 20)
#define PAGE 4096ULL

#define D_TABLE 3ULL
#define D_PAGE 3ULL
#define AF (1ULL << 10)
#define SH_IS (3ULL << 8)
#define S1_NORMAL (0ULL << 2)              /* AttrIndx 0: MAIR_EL1 attribute 0 */
#define S2AP_RW (3ULL << 6)
#define S2_NORMAL (0xfULL << 2)            /* MemAttr: Normal, inner/outer write-back */

/* both stages' tables: 48 MiB of 4 KiB pages is 24 level-3 tables, plus the levels above */
#define POOL_TABLES 64
static uint64_t pool[POOL_TABLES][512] __attribute__((aligned(4096)));
static unsigned pool_used;
static uint64_t guest_stack[512] __attribute__((aligned(16)));

static uint64_t *table_alloc(void)
{
    if (pool_used == POOL_TABLES) {
        printf("twalk: out of page-table pages\n");
        exit(1);
    }
    return pool[pool_used++];
}

/* an identity page mapping of [RAM, MAP_END) in a `levels`-level 4 KiB-granule table */
static uint64_t *build(unsigned levels, uint64_t leaf_attrs)
{
    uint64_t *root = table_alloc();
    for (uint64_t a = RAM; a < MAP_END; a += PAGE) {
        uint64_t *t = root;
        for (unsigned lvl = 4 - levels; lvl < 3; lvl++) {
            uint64_t *e = &t[(a >> (39 - 9 * lvl)) & 511];
            if (!*e)
                *e = (uint64_t)table_alloc() | D_TABLE;
            t = (uint64_t *)(*e & 0x0000fffffffff000ULL);
        }
        t[(a >> 12) & 511] = a | D_PAGE | AF | SH_IS | leaf_attrs;
    }
    return root;
}

/* T0SZ for `levels` levels of a 4 KiB granule: 48-bit or 39-bit input */
static uint64_t t0sz(unsigned levels)
{
    return levels == 4 ? 16 : 25;
}

/* The EL1 program: x19 region, x20 pages, x21 stride, x22 rounds (run_lower() enters it
 * with the caller's x19-x28); registers only, so the loads are the only data accesses
 * between the ERET and the HVC. */
void twalk_guest(void);
__asm__(".text\n"
        ".balign 64\n"
        ".global twalk_guest\n"
        "twalk_guest:\n"
        "1: mov x4, x19\n"         /* this round: page address */
        "   mov x5, xzr\n"         /* page number i */
        "   mov x6, x20\n"
        "2: add x8, x5, x5, lsr #6\n"
        "   ubfiz x8, x8, #6, #6\n"  /* line ((i + i / 64) mod 64) of the page */
        "   ldr x7, [x4, x8]\n"
        "   add x4, x4, x21\n"
        "   add x5, x5, #1\n"
        "   subs x6, x6, #1\n"
        "   b.ne 2b\n"
        "   subs x22, x22, #1\n"
        "   b.ne 1b\n"
        "   hvc #0x77\n");

static void on_hvc(struct trap_frame *f, unsigned vec)
{
    struct trap_info t;
    trap_info(&t);
    (void)f;
    if (vec != 8 || (t.esr >> 26) != 0x16 || (t.esr & 0xffff) != 0x77) {
        printf("twalk: unexpected exception ESR 0x%llx at 0x%llx\n", (unsigned long long)t.esr,
               (unsigned long long)t.elr);
        system_off();
    }
    trap_back_to_caller();
}

int main(void)
{
    unsigned s1 = (unsigned)wl_param(0, 4), s2 = (unsigned)wl_param(1, 4);
    uint64_t pages = wl_param(2, 64), rounds = wl_param(3, 16);
    if (current_el() != 2) {
        printf("twalk: needs EL2 (-M virt,virtualization=on)\n");
        return 1;
    }
    if ((s1 && s1 != 3 && s1 != 4) || (s2 && s2 != 3 && s2 != 4) || pages < 1 ||
        pages > REGION_SIZE / PAGE || rounds < 1) {
        printf("twalk: bad parameters\n");
        return 1;
    }
    trap_install(on_hvc);
    uint64_t hcr = 1ULL << 31;                               /* RW: EL1 is AArch64 */
    if (s2) {
        uint64_t *root = build(s2, S2AP_RW | S2_NORMAL);
        /* VTCR_EL2: T0SZ, SL0 (4K: 2 = level 0, 1 = level 1), inner/outer WB walks, inner
         * shareable, TG0 4K, PS 44 bits, RES1 bit 31 */
        uint64_t vtcr = t0sz(s2) | ((s2 == 4 ? 2ULL : 1ULL) << 6) | (1ULL << 8) | (1ULL << 10) |
                        (3ULL << 12) | (4ULL << 16) | (1ULL << 31);
        WRITE_SYSREG(vtcr_el2, vtcr);
        WRITE_SYSREG(vttbr_el2, (uint64_t)root | (7ULL << 48));   /* VMID 7 */
        hcr |= 1;                                            /* VM */
        if (!s1)
            hcr |= 1ULL << 12;                               /* DC */
    }
    if (s1) {
        uint64_t *root = build(s1, S1_NORMAL);
        WRITE_SYSREG(mair_el1, 0xff);
        /* TCR_EL1: T0SZ, inner/outer WB walks, inner shareable, TG0 4K, EPD1, IPS 44 bits */
        WRITE_SYSREG(tcr_el1, t0sz(s1) | (1ULL << 8) | (1ULL << 10) | (3ULL << 12) |
                                  (1ULL << 23) | (4ULL << 32));
        WRITE_SYSREG(ttbr0_el1, (uint64_t)root);
        /* M, C, I; the RES1 bits of SCTLR_EL1 as it resets */
        WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) | 1 | (1 << 2) | (1 << 12));
    }
    WRITE_SYSREG(hcr_el2, hcr);
    __asm__ volatile("dsb ish\n tlbi alle1\n tlbi vmalls12e1\n dsb ish\n isb" ::: "memory");

    static const unsigned evs[] = { 0x05 };                  /* L1D_TLB_REFILL */
    pmu_start(evs, 1);
    uint64_t stride = (REGION_SIZE / pages) & ~(PAGE - 1);
    uint64_t r0 = pmu_event(0), c0 = pmu_cycles();
    /* run_lower(twalk_guest, EL1h with DAIF masked, the guest's stack) */
    __asm__ volatile("mov x19, %0\n mov x20, %1\n mov x21, %2\n mov x22, %3\n"
                     "mov x0, %4\n mov x1, #0x3c5\n mov x2, %5\n"
                     "bl run_lower\n"
                     :
                     : "r"(REGION), "r"(pages), "r"(stride), "r"(rounds), "r"(twalk_guest),
                       "r"(&guest_stack[512])
                     : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
                       "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21",
                       "x22", "x30", "cc", "memory");
    uint64_t c1 = pmu_cycles(), r1 = pmu_event(0);
    WRITE_SYSREG(hcr_el2, 1ULL << 31);
    printf("twalk: s1=%u s2=%u pages=%llu rounds=%llu loads=%llu cycles=%llu l1d_tlb_refill=%llu\n",
           s1, s2, (unsigned long long)pages, (unsigned long long)rounds,
           (unsigned long long)(pages * rounds), (unsigned long long)(c1 - c0),
           (unsigned long long)(r1 - r0));
    return 0;
}
