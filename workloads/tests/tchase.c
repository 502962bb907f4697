/* Timing validation: load-to-use latency by a pointer chase (tests/system/timing-validate.sh).
 * For working sets of 1 KiB to 4 MiB (doubling), the 64-byte lines of the set are linked
 * into one random cycle (Sattolo's shuffle, a fixed-seed LCG), walked once to warm the
 * caches, then walked by 16 dependent `ldr x0, [x0]` per loop iteration between two reads
 * of PMCCNTR_EL0. Each line: ws=<bytes> cycles_per_load=<n.nn> loads=<n> cycles=<n>.
 *
 * Parameters (wl_param): 0 smallest set (1024), 1 largest (4 MiB), 2 at least this many
 * timed loads per set (4096), 3 identity-map RAM as Normal write-back first (0: run flat
 * with the MMU off). Under --timing atomic a load costs what any instruction does: 18
 * instructions per 16 loads, 1.12 cycles a load. */
#include "timing.h"

#define LINE 64
#define MAX_WS (4u << 20)
#define UNROLL 16

/* aligned to the largest set, so every set starts at a cache-size boundary: a set no larger
 * than a cache fills each of its sets with the same number of lines */
static uint64_t buf[MAX_WS / 8] __attribute__((aligned(MAX_WS)));
static uint32_t perm[MAX_WS / LINE];

static uint64_t lcg = 0x853c49e6748fea9bULL;
static uint32_t rnd(uint32_t bound)
{
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)((lcg >> 33) % bound);
}

/* line i's first word points at line perm[i]; Sattolo's shuffle makes perm one cycle */
static void link(uint32_t lines)
{
    for (uint32_t i = 0; i < lines; i++)
        perm[i] = i;
    for (uint32_t i = lines - 1; i > 0; i--) {
        uint32_t j = rnd(i), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (uint32_t i = 0; i < lines; i++)
        buf[i * (LINE / 8)] = (uint64_t)&buf[perm[i] * (LINE / 8)];
    __asm__ volatile("dsb ish" ::: "memory");
}

/* the chain in x0, as `ldr x0, [x0]`: every load waits for the one before */
static uint64_t chase(uint64_t p, uint64_t iters)
{
    register uint64_t x0 __asm__("x0") = p;
    __asm__ volatile("1:\n"
                     ".rept 16\n ldr x0, [x0]\n .endr\n"
                     "subs %1, %1, #1\n"
                     "b.ne 1b\n"
                     : "+r"(x0), "+r"(iters) : : "memory", "cc");
    return x0;
}

int main(void)
{
    uint64_t lo = wl_param(0, 1024), hi = wl_param(1, MAX_WS), min_loads = wl_param(2, 4096);
    if (lo < LINE * UNROLL || hi > MAX_WS || lo > hi || min_loads < UNROLL) {
        printf("tchase: bad parameters\n");
        return 1;
    }
    if (wl_param(3, 0))
        mmu_identity_on();
    static const unsigned none[1];
    pmu_start(none, 0);
    printf("tchase: working sets %llu..%llu bytes, %s\n", (unsigned long long)lo,
           (unsigned long long)hi, wl_param(3, 0) ? "identity-mapped" : "MMU off");
    for (uint64_t ws = lo; ws <= hi; ws *= 2) {
        uint32_t lines = (uint32_t)(ws / LINE);
        link(lines);
        uint64_t p = chase((uint64_t)buf, lines / UNROLL);   /* warm: the whole cycle */
        uint64_t iters = (lines > min_loads ? lines : min_loads) / UNROLL, loads = iters * UNROLL;
        uint64_t c0 = pmu_cycles();
        p = chase(p, iters);
        uint64_t c1 = pmu_cycles();
        uint64_t cyc = c1 - c0, hundredths = (cyc * 100 + loads / 2) / loads;
        printf("ws=%llu cycles_per_load=%llu.%02llu loads=%llu cycles=%llu%s\n",
               (unsigned long long)ws, (unsigned long long)(hundredths / 100),
               (unsigned long long)(hundredths % 100), (unsigned long long)loads,
               (unsigned long long)cyc, p ? "" : " (lost the chain)");
    }
    printf("tchase: done\n");
    return 0;
}
