/* The exception model (Arm ARM D1): SVC, UNDEFINED, PC alignment, illegal exception return,
 * EL0 and, when booted at EL2, HVC, trapped WFI/SMC and a virtual IRQ from HCR_EL2.VI.
 * Prints the syndromes so the output can be compared with QEMU's. */
#include "lib.h"

struct exc {
    uint64_t el, idx, esr, elr, far, spsr;
};
static volatile struct exc log_[48];      /* every exception taken, in order */
static volatile unsigned nlog;
static volatile struct exc last[3];       /* last exception taken to EL1 / EL2 */
static volatile unsigned nexc[3];
static volatile uint64_t resume_at[3];    /* nonzero: return there instead of ELR (+4) */
static uint64_t el0_stack[512] __attribute__((aligned(16)));
static uint64_t el1_stack[1024] __attribute__((aligned(16)));

static void handle_exception(struct trap_frame *f, unsigned idx)
{
    (void)f;
    unsigned el = current_el();
    struct trap_info t;
    trap_info(&t);
    uint64_t esr = t.esr, elr = t.elr, far = t.far, spsr = t.spsr;
    unsigned ec = (unsigned)(esr >> 26) & 0x3f;
    uint32_t iss = (uint32_t)esr & 0x1ffffff;
    last[el].idx = idx; last[el].esr = esr; last[el].elr = elr; last[el].far = far; last[el].spsr = spsr;
    nexc[el]++;
    if (nlog < ARRAY_SIZE(log_)) {
        volatile struct exc *l = &log_[nlog++];
        l->el = el; l->idx = idx; l->esr = esr; l->elr = elr; l->far = far; l->spsr = spsr;
    }
    if (el == 1 && (idx & 3) == 1) {
        /* the virtual IRQ: ask EL2 to drop HCR_EL2.VI, then return to the interrupted code */
        __asm__ volatile("hvc #3" ::: "memory");
        return;
    }
    /* Requests from the lower EL: SVC #0xfe / HVC #0xfe end run_lower(); HVC #2/#3 set and
     * clear the virtual IRQ (HCR_EL2.VI). */
    if ((ec == 0x15 || ec == 0x16) && iss == 0xfe && (idx & ~3u) == 8) {
        trap_back_to_caller();
        return;
    } else if (ec == 0x16 && iss == 2) {
        WRITE_SYSREG(hcr_el2, READ_SYSREG(hcr_el2) | (1u << 7) | (1u << 4));
    } else if (ec == 0x16 && (iss == 4 || iss == 5)) {
        uint64_t bits = (1ULL << 26) | (1ULL << 30) | (1ULL << 18) | (1ULL << 25) | (1ULL << 21);
        uint64_t hcr = READ_SYSREG(hcr_el2);
        WRITE_SYSREG(hcr_el2, iss == 4 ? hcr | bits : hcr & ~bits);
    } else if (ec == 0x16 && iss == 3) {
        WRITE_SYSREG(hcr_el2, READ_SYSREG(hcr_el2) & ~(uint64_t)(1u << 7));
    } else if (resume_at[el]) {
        elr = resume_at[el];
        resume_at[el] = 0;
    } else if ((idx & 3) == 0 && ec != 0x15 && ec != 0x16 && ec != 0x0e) {
        elr += 4;             /* skip the faulting instruction */
    }
    if (ec == 0x0e)
        spsr &= ~(uint64_t)(1u << 20);   /* clear PSTATE.IL before returning */
    trap_set_return(spsr, elr);
}

static void report(const char *what, unsigned el, uint64_t expect_elr)
{
    const volatile struct exc *e = &last[el];
    printf("%-18s EL%u vec=%u EC=0x%02x ELR%s\n", what, el, (unsigned)e->idx,
           (unsigned)(e->esr >> 26) & 0x3f, e->elr == expect_elr ? "=expected" : "!=expected");
}

static void print_log(void)
{
    for (unsigned i = 0; i < nlog; i++) {
        const volatile struct exc *e = &log_[i];
        unsigned ec = (unsigned)(e->esr >> 26) & 0x3f;
        /* ESR is architecturally UNKNOWN for IRQ vectors: not printed */
        if ((e->idx & 3) == 0)
            printf("  %2u: EL%u vec=%2u EC=0x%02x IL=%u ISS=0x%07x", i, (unsigned)e->el, (unsigned)e->idx,
                   ec, (unsigned)(e->esr >> 25) & 1, (unsigned)e->esr & 0x1ffffff);
        else
            printf("  %2u: EL%u vec=%2u (interrupt)                   ", i, (unsigned)e->el, (unsigned)e->idx);
        printf(" ELR=0x%08llx SPSR=0x%08x", (unsigned long long)e->elr, (unsigned)e->spsr);
        if (ec == 0x22 && (e->idx & 3) == 0)
            printf(" FAR=0x%08llx", (unsigned long long)e->far);
        printf("\n");
    }
}

static void el0_code(void)
{
    __asm__ volatile("mrs x0, sctlr_el1\n"   /* UNDEFINED at EL0 */
                     "mrs x0, cntvct_el0\n"  /* CNTKCTL_EL1.EL0VCTEN = 0: trapped to EL1 */
                     "svc #0x21\n"
                     "svc #0xfe\n" ::: "x0", "memory");
}

static uint64_t el1_wfi_pc, el1_smc_pc;
static volatile unsigned el1_irqs;

static void el1_code(void)
{
    __asm__ volatile("hvc #0x55\n"
                     "adr x0, 1f\n str x0, [%0]\n"
                     "1: wfi\n"
                     "adr x0, 2f\n str x0, [%1]\n"
                     "2: smc #0x77\n"
                     "hvc #2\n"               /* EL2 sets HCR_EL2.VI */
                     "msr daifclr, #2\n"      /* the virtual IRQ is taken here */
                     "nop\n"
                     "msr daifset, #2\n"
                     "hvc #4\n"               /* EL2 sets TVM, TRVM, TID3, TTLB, TACR */
                     "mrs x1, sctlr_el1\n"    /* TRVM */
                     "msr sctlr_el1, x1\n"    /* TVM */
                     "mrs x1, id_aa64pfr0_el1\n"  /* TID3 */
                     "tlbi vmalle1\n"         /* TTLB */
                     "mrs x1, actlr_el1\n"    /* TACR */
                     "mrs x1, tpidr_el1\n"    /* not trapped */
                     "mrs x1, cntpct_el0\n"   /* CNTHCTL_EL2.EL1PCTEN = 0 */
                     "mrs x1, cntvct_el0\n"   /* not trapped */
                     "msr cntp_ctl_el0, xzr\n" /* CNTHCTL_EL2.EL1PCEN = 0 */
                     "hvc #5\n"
                     "hvc #0xfe\n"
                     : : "r"(&el1_wfi_pc), "r"(&el1_smc_pc) : "x0", "x1", "memory");
}

static void same_el_tests(unsigned el)
{
    uint64_t ret;
    __asm__ volatile("adr %0, 1f\n svc #0x123\n 1:" : "=r"(ret) : : "memory");
    report("svc", el, ret);

    __asm__ volatile("adr %0, 1f\n 1: udf #7" : "=r"(ret) : : "memory");
    report("undefined", el, ret);

    /* HLT with halting debug disabled (EDSCR.HDE = 0: no external debugger) is UNDEFINED
     * (Arm ARM C6.2.115) */
    __asm__ volatile("adr %0, 1f\n 1: hlt #0x42" : "=r"(ret) : : "memory");
    report("hlt", el, ret);

    uint64_t target;
    __asm__ volatile("adr %0, 1f\n"
                     "add x1, %0, #2\n"
                     "str %0, [%1]\n"
                     "br x1\n"
                     "1:"
                     : "=&r"(target) : "r"(&resume_at[el]) : "x1", "memory");
    report("pc-alignment", el, target + 2);
    printf("%-18s FAR-target=%llu\n", "", (unsigned long long)(last[el].far - target));

    /* exclusives and load-acquire/store-release must be naturally aligned (B2.5.2): an
     * Alignment fault, DFSC 0b100001, WnR for the store (STXR: tests/unit/test_core.c, as
     * QEMU fails it without an access when the monitor is clear) */
    static uint64_t ubuf[4];
    uint64_t una = (uint64_t)&ubuf[1] + 4;
    __asm__ volatile("adr %0, 1f\n 1: ldxr x2, [%1]" : "=&r"(ret) : "r"(una) : "x2", "memory");
    report("ldxr-unaligned", el, ret);
    __asm__ volatile("adr %0, 1f\n 1: ldar x2, [%1]" : "=&r"(ret) : "r"(una) : "x2", "memory");
    report("ldar-unaligned", el, ret);
    __asm__ volatile("adr %0, 1f\n 1: stlr w2, [%1]" : "=&r"(ret) : "r"(una + 1) : "memory");
    report("stlr-unaligned", el, ret);

    /* a load from a physical address nothing decodes: synchronous external abort */
    __asm__ volatile("adr %0, 1f\n 1: ldr w2, [%1]" : "=&r"(ret) : "r"(0x09040000ULL) : "x2", "memory");
    report("external-abort", el, ret);

    /* ERET to a higher EL is an illegal exception return: PSTATE.IL, then the Illegal
     * Execution state exception at the return address. */
    uint64_t spsr = 0x3c5 | (uint64_t)(el + 1) << 2;
    __asm__ volatile("adr %0, 1f\n" : "=r"(ret));
    if (el == 2) {
        WRITE_SYSREG(spsr_el2, spsr);
        WRITE_SYSREG(elr_el2, ret);
    } else {
        WRITE_SYSREG(spsr_el1, spsr);
        WRITE_SYSREG(elr_el1, ret);
    }
    __asm__ volatile("eret\n 1: nop" : : : "memory");
    report("illegal-eret", el, ret);
    printf("%-18s SPSR.IL=%u\n", "", (unsigned)(last[el].spsr >> 20) & 1);
}

int main(void)
{
    unsigned el = current_el();
    printf("exceptions at EL%u\n", el);
    trap_install(handle_exception);

    same_el_tests(el);

    if (el == 1) {
        uint64_t ret;
        __asm__ volatile("adr %0, 1f\n 1: mrs x0, hcr_el2" : "=r"(ret) : : "x0", "memory");
        report("el2-reg-from-el1", 1, ret);

        unsigned before = nexc[1];
        run_lower(el0_code, 0x0, (uint64_t)&el0_stack[512]);
        printf("EL0: %u exceptions\n", nexc[1] - before);
        report("el0-svc-return", 1, last[1].elr);
    } else {
        /* EL1 guest-like code: AArch64 EL1, HVC enabled, WFI and SMC trapped. */
        WRITE_SYSREG(hcr_el2, (1ULL << 31) | (1ULL << 13) | (1ULL << 19));
        unsigned before = nexc[2];
        WRITE_SYSREG(cnthctl_el2, 0);
        run_lower(el1_code, 0x3c5, (uint64_t)&el1_stack[1024]);
        WRITE_SYSREG(cnthctl_el2, 3);
        printf("EL1 guest: %u exits to EL2, %u exceptions at EL1\n", nexc[2] - before, nexc[1]);
        printf("trapped WFI at 0x%08llx, trapped SMC at 0x%08llx\n", (unsigned long long)el1_wfi_pc,
               (unsigned long long)el1_smc_pc);
        WRITE_SYSREG(hcr_el2, 1ULL << 31);
    }
    printf("exception log:\n");
    print_log();
    printf("done\n");
    return 0;
}
