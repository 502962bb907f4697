/* Two cores: PSCI CPU_ON starts core 1, both add to a shared counter with atomic
 * read-modify-write loops (a second CPU_ON while it runs must fail with ALREADY_ON), core 1 reports through a release store and turns itself off;
 * core 0 waits for it with AFFINITY_INFO. Run with -smp 2. Only totals are printed, so the
 * output does not depend on how the cores interleave.
 * Booted at EL2, core 0 then calls CPU_ON from EL1 through SMC, as an nVHE Linux host does:
 * core 1 must still enter at EL2, the highest Non-secure EL (QEMU and Trusted Firmware do so;
 * Linux wants every CPU at the same EL). */
#include "lib.h"

#pragma GCC target("no-outline-atomics")

#define ITERS 20000

static uint64_t counter;
static uint64_t xor_acc;
static uint32_t done, started, go;
static uint64_t secondary_mpidr;
static uint64_t secondary_el;
static unsigned char stack1[16384] __attribute__((aligned(16)));

static void secondary(void *arg)
{
    uint64_t step = (uint64_t)(uintptr_t)arg;
    secondary_mpidr = READ_SYSREG(mpidr_el1);
    secondary_el = current_el();
    __atomic_store_n(&started, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        __asm__ volatile("yield");
    for (int i = 0; i < ITERS; i++) {
        __atomic_fetch_add(&counter, step, __ATOMIC_RELAXED);
        __atomic_fetch_xor(&xor_acc, (uint64_t)i * 0x9e3779b97f4a7c15ull, __ATOMIC_RELAXED);
    }
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
}

/* Core 1's entry for the CPU_ON from EL1: note CurrentEL, turn off (SMC: the conduit of a
 * machine booted at EL2). Runs with the MMU off and no stack. */
static volatile uint64_t probe_el;
extern char probe_entry[];
__asm__(".text\n"
        "probe_entry:\n"
        "mrs x1, CurrentEL\n lsr x1, x1, #2\n"
        "adrp x2, probe_el\n str x1, [x2, :lo12:probe_el]\n dsb sy\n"
        "1: movz x0, #0x0002\n movk x0, #0x8400, lsl #16\n smc #0\n b 1b\n");

static void el1_cpu_on(void)
{
    register uint64_t x0 __asm__("x0") = PSCI_CPU_ON;
    register uint64_t x1 __asm__("x1") = 1;
    register uint64_t x2 __asm__("x2") = (uint64_t)(uintptr_t)probe_entry;
    register uint64_t x3 __asm__("x3") = 0;
    __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) :: "memory");
    __asm__ volatile("hvc #0xfe" :: "r"(x0) : "memory");   /* back to EL2 with the result */
}

static volatile int64_t el1_on_ret;
static void on_trap(struct trap_frame *f, unsigned vec)
{
    (void)vec;
    el1_on_ret = (int64_t)f->x[0];
    trap_back_to_caller();
}

static unsigned char el1_stack[4096] __attribute__((aligned(16)));

static void cpu_on_from_el1(void)
{
    trap_install(on_trap);
    WRITE_SYSREG(hcr_el2, 1ULL << 31);   /* RW; SMC not trapped (TSC = 0) */
    run_lower(el1_cpu_on, 0x3c5, (uint64_t)(uintptr_t)(el1_stack + sizeof(el1_stack)));
    while (!probe_el)
        __asm__ volatile("yield");
    while (psci_call(PSCI_AFFINITY_INFO, 1, 0, 0) != 1)
        __asm__ volatile("yield");
    printf("CPU_ON from EL1 (SMC): %ld, core 1 entered at EL%lu\n", (long)el1_on_ret,
           (unsigned long)probe_el);
}

int main(void)
{
    printf("smp: boot core MPIDR %08lx\n", (unsigned long)READ_SYSREG(mpidr_el1));
    int64_t aff = psci_call(PSCI_AFFINITY_INFO, 1, 0, 0);
    printf("core 1 before CPU_ON: %s\n", aff == 1 ? "off" : aff == 0 ? "on" : "error");

    int64_t r = start_core(1, secondary, (void *)3, stack1 + sizeof(stack1));
    printf("CPU_ON core 1: %ld\n", (long)r);
    while (!__atomic_load_n(&started, __ATOMIC_ACQUIRE))
        __asm__ volatile("yield");
    /* core 1 is running and waits for `go`: a second CPU_ON must be refused */
    int64_t again = psci_call(PSCI_CPU_ON, 1, 0x40080000, 0);
    printf("CPU_ON core 1 again: %ld\n", (long)again);
    printf("core 1 while running: %ld\n", (long)psci_call(PSCI_AFFINITY_INFO, 1, 0, 0));
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    int64_t bad = psci_call(PSCI_CPU_ON, 7, 0x40080000, 0);
    printf("CPU_ON core 7: %ld\n", (long)bad);

    for (int i = 0; i < ITERS; i++) {
        __atomic_fetch_add(&counter, 5, __ATOMIC_RELAXED);
        __atomic_fetch_xor(&xor_acc, (uint64_t)i * 0x9e3779b97f4a7c15ull, __ATOMIC_RELAXED);
    }
    while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE))
        __asm__ volatile("yield");
    unsigned polls = 0;
    while (psci_call(PSCI_AFFINITY_INFO, 1, 0, 0) != 1)
        polls++;
    printf("core 1 turned off: yes\n");
    printf("core 1 MPIDR %08lx EL%lu\n", (unsigned long)secondary_mpidr,
           (unsigned long)secondary_el);
    printf("counter %lu (expected %lu)\n", (unsigned long)counter,
           (unsigned long)(ITERS * 8ul));
    printf("xor %016lx (expected 0)\n", (unsigned long)xor_acc);
    (void)polls;
    if (current_el() == 2)
        cpu_on_from_el1();
    return counter == ITERS * 8ul && xor_acc == 0 ? 0 : 1;
}
