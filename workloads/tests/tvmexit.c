/* Timing validation: a VM exit's round trip with the hypervisor's lines warm and cold
 * (tests/system/timing-validate.sh). Booted at EL2 (virtualization=on), the program
 * installs a one-entry hypervisor (the EL2 vector for a synchronous exception from EL1:
 * push two registers on the EL2 stack, count the HVC in a line of its own, pop, ERET) and
 * drops to EL1, where a guest times `HVC #0` with PMCCNTR_EL0 (counting EL2 too:
 * PMCCFILTR_EL0.NSH) four times warm, then twice each after cleaning and invalidating the
 * hypervisor's lines to the point of coherency (DC CIVAC over its vector's code, its
 * counter and its stack line, Arm ARM D7.5.9) and invalidating the instruction caches
 * (IC IALLU). An `HVC #0xfe` ends the run; EL2 prints
 *   tvmexit: warm=W1,W2,W3,W4 cold=C1,C2 hvc_warm=W4 hvc_cold=C2 cold_minus_warm=C2-W4
 *
 * Parameter (wl_param) 0: identity-map RAM as Normal write-back at EL2 and EL1 (1, the
 * default), or run both flat with the MMU off (0: data accesses Device-nGnRnE). */
#include "timing.h"

#define WARM 4
#define COLD 2

/* the hypervisor's data, a line of its own: the guest's accesses must not bring the line
 * back after cleaning it */
struct tv_line {
    volatile uint64_t count;
    uint64_t pad[7];
};
struct tv_line tv_data __attribute__((aligned(64)));
uint64_t tv_el2_sp;                           /* SP_EL2 when EL1 is entered */
static uint64_t warm[WARM], cold[COLD];
static uint64_t guest_stack[1024] __attribute__((aligned(16)));

void tv_finish(void) __attribute__((noreturn));
extern char tv_vectors[], tv_handler[], tv_handler_end[];

/* EL2's vectors: only a lower EL's synchronous exception (offset 0x400) is expected */
__asm__(".text\n"
        ".balign 2048\n"
        ".global tv_vectors, tv_handler, tv_handler_end\n"
        "tv_vectors:\n"
        ".rept 8\n .balign 128\n b tv_unexpected\n .endr\n"
        ".balign 128\n"
        "tv_handler:\n"
        "  stp x0, x1, [sp, #-16]!\n"
        "  mrs x0, esr_el2\n"
        "  and x0, x0, #0xffff\n"
        "  cmp x0, #0xfe\n"
        "  b.eq tv_finish\n"
        "  adrp x0, tv_data\n"
        "  ldr x1, [x0, :lo12:tv_data]\n"
        "  add x1, x1, #1\n"
        "  str x1, [x0, :lo12:tv_data]\n"
        "  ldp x0, x1, [sp], #16\n"
        "  eret\n"
        "tv_handler_end:\n"
        ".rept 7\n .balign 128\n b tv_unexpected\n .endr\n"
        "tv_unexpected:\n"
        "  mrs x1, esr_el2\n"
        "  mrs x2, elr_el2\n"
        "  mrs x3, far_el2\n"
        "  mov x0, #99\n"
        "  b exception_report\n");

static uint64_t roundtrip(void)
{
    uint64_t c0 = pmu_cycles();
    __asm__ volatile("hvc #0" ::: "memory");
    return pmu_cycles() - c0;
}

static void clean_inval(uint64_t start, uint64_t end)
{
    uint64_t line = 4ULL << ((READ_SYSREG(ctr_el0) >> 16) & 15);   /* DminLine */
    for (uint64_t a = start & ~(line - 1); a < end; a += line)
        __asm__ volatile("dc civac, %0" : : "r"(a) : "memory");
}

static void evict_hypervisor(uint64_t el2_sp)
{
    clean_inval((uint64_t)tv_handler, (uint64_t)tv_handler_end);
    clean_inval((uint64_t)&tv_data, (uint64_t)(&tv_data + 1));
    clean_inval(el2_sp - 16, el2_sp);
    __asm__ volatile("dsb ish\n ic iallu\n dsb ish\n isb" ::: "memory");
}

static void guest(void)
{
    if (wl_param(0, 1))
        mmu_identity_on();
    for (unsigned i = 0; i < WARM; i++)
        warm[i] = roundtrip();
    uint64_t el2_sp = tv_el2_sp;
    for (unsigned i = 0; i < COLD; i++) {
        evict_hypervisor(el2_sp);
        cold[i] = roundtrip();
    }
    __asm__ volatile("hvc #0xfe");
    for (;;)
        ;
}

void tv_finish(void)
{
    printf("tvmexit: warm=%llu,%llu,%llu,%llu cold=%llu,%llu hvc_warm=%llu hvc_cold=%llu "
           "cold_minus_warm=%lld\n",
           (unsigned long long)warm[0], (unsigned long long)warm[1], (unsigned long long)warm[2],
           (unsigned long long)warm[3], (unsigned long long)cold[0], (unsigned long long)cold[1],
           (unsigned long long)warm[WARM - 1], (unsigned long long)cold[COLD - 1],
           (long long)(cold[COLD - 1] - warm[WARM - 1]));
    printf("tvmexit: %llu hypercalls counted\n", (unsigned long long)tv_data.count);
    exit(0);
}

int main(void)
{
    if (current_el() != 2) {
        printf("tvmexit: needs EL2 (-M virt,virtualization=on)\n");
        return 1;
    }
    if (wl_param(0, 1))
        mmu_identity_on();
    static const unsigned none[1];
    pmu_start(none, 0);
    WRITE_SYSREG(hcr_el2, 1ULL << 31);                      /* RW: EL1 is AArch64 */
    WRITE_SYSREG(vbar_el2, (uint64_t)tv_vectors);
    /* enter guest() at EL1h, DAIF masked, on its own stack; EL2 keeps this stack */
    __asm__ volatile("mov x9, sp\n"
                     "str x9, [%0]\n"
                     "msr elr_el2, %1\n"
                     "msr spsr_el2, %2\n"
                     "msr sp_el1, %3\n"
                     "dsb ish\n"
                     "isb\n"
                     "eret\n"
                     :
                     : "r"(&tv_el2_sp), "r"(guest), "r"(0x3c5ULL), "r"(&guest_stack[1024])
                     : "x9", "memory");
    __builtin_unreachable();
}
