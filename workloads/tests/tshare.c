/* False sharing under the cycle model (--timing inorder, -smp 2): two cores each add 1 to
 * their own counter N times, first with both counters in one 64-byte line, then in lines of
 * their own. Core 0 reports, per phase, the L1D refills (PMU event 0x03) and the cycles its
 * loop and the wait for core 1 took. With the counters in one line each core's store takes
 * the line from the other's L1D (invalidate on write), so the refills follow the scheduling
 * quantum; apart, the lines stay. Not QEMU-compared (tests/system/timing.sh checks it). */
#include "timing.h"

#define N 20000

static volatile uint64_t together[8] __attribute__((aligned(64)));    /* [0] and [1]: one line */
static volatile uint64_t apart[16] __attribute__((aligned(64)));      /* [0] and [8]: two */
static volatile uint32_t phase __attribute__((aligned(64)));
static volatile uint32_t done1 __attribute__((aligned(64)));
static unsigned char stack1[16384] __attribute__((aligned(16)));

static void bump(volatile uint64_t *p)
{
    for (int i = 0; i < N; i++)
        *p = *p + 1;
}

static void secondary(void *arg)
{
    (void)arg;
    for (uint32_t ph = 1; ph <= 2; ph++) {
        while (phase != ph)
            __asm__ volatile("yield");
        bump(ph == 1 ? &together[1] : &apart[8]);
        __atomic_store_n(&done1, ph, __ATOMIC_RELEASE);
    }
}

int main(void)
{
    static const unsigned evs[] = { 0x03 };   /* L1D_CACHE_REFILL */
    pmu_start(evs, 1);
    start_core(1, secondary, 0, stack1 + sizeof(stack1));
    for (uint32_t ph = 1; ph <= 2; ph++) {
        uint64_t c0 = pmu_cycles(), r0 = pmu_event(0);
        phase = ph;
        bump(ph == 1 ? &together[0] : &apart[0]);
        while (__atomic_load_n(&done1, __ATOMIC_ACQUIRE) != ph)
            __asm__ volatile("yield");
        uint64_t c1 = pmu_cycles(), r1 = pmu_event(0);
        printf("%s: counters %lu %lu, core 0 L1D refills %lu, cycles %lu\n",
               ph == 1 ? "one line" : "two lines",
               (unsigned long)(ph == 1 ? together[0] : apart[0]),
               (unsigned long)(ph == 1 ? together[1] : apart[8]), (unsigned long)(r1 - r0),
               (unsigned long)(c1 - c0));
    }
    return 0;
}
