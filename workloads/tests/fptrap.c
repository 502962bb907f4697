/* SIMD&FP access traps (Arm ARM D1.12 and the pseudocode of CheckFPAdvSIMDEnabled64 /
 * AArch64.AdvSIMDFPAccessTrap): CPACR_EL1.FPEN for EL0 and EL1, CPTR_EL2.TFP for EL0, EL1
 * and EL2's own accesses, the E2H layout CPTR_EL2.FPEN (FEAT_VHE, -cpu max) for EL2, a VHE
 * host's EL0 and a guest's EL1, and the HCR_EL2.TGE routing of an EL1 trap to EL2, which is
 * reported as Uncategorized (EC 0). Each probe is a SIMD&FP load (LDR Q), an MRS FPCR or an
 * MSR FPSR; the output is the exception (EL, EC, ISS) or "no trap", compared with QEMU.
 * Booted at EL1 it tests CPACR_EL1; booted at EL2 (virtualization=on) all of them. */
#include "lib.h"

#define HCR_RW (1ULL << 31)
#define HCR_TGE (1ULL << 27)
#define HCR_E2H (1ULL << 34)
#define CPTR_RES1 0x33ffULL               /* CPTR_EL2 (E2H = 0): bits 13:12 and 9:0 RES1 */
#define CPTR_TFP (1ULL << 10)
#define FPEN(v) ((uint64_t)(v) << 20)     /* CPACR_EL1.FPEN, CPTR_EL2.FPEN (E2H = 1) */

static uint64_t buf[2] __attribute__((aligned(16)));
static uint64_t el0_stack[512] __attribute__((aligned(16)));
static uint64_t el1_stack[1024] __attribute__((aligned(16)));
static volatile unsigned nexc, exc_el;
static volatile uint64_t exc_esr;

static void on_trap(struct trap_frame *f, unsigned vec)
{
    (void)f;
    (void)vec;
    struct trap_info t;
    trap_info(&t);
    unsigned ec = (unsigned)(t.esr >> 26) & 0x3f;
    /* SVC/HVC #0xfe: the lower-EL probe is done, back to run_lower()'s caller */
    if ((ec == 0x15 || ec == 0x16) && (t.esr & 0xffff) == 0xfe) {
        trap_back_to_caller();
        return;
    }
    nexc++;
    exc_el = current_el();
    exc_esr = t.esr;
    trap_set_return(t.spsr, t.elr + 4);   /* skip the trapped instruction */
}

static void report(const char *what)
{
    printf("  %-52s ", what);
    if (!nexc)
        printf("no trap\n");
    else
        printf("EL%u EC=0x%02x IL=%u ISS=0x%07x\n", exc_el, (unsigned)(exc_esr >> 26) & 0x3f,
               (unsigned)(exc_esr >> 25) & 1, (unsigned)exc_esr & 0x1ffffff);
    nexc = 0;
}

/* The probes, at the current EL */
static void ldr_q(void) { __asm__ volatile("ldr q0, [%0]" : : "r"(buf) : "memory"); }
static void mrs_fpcr(void) { __asm__ volatile("mrs x0, fpcr" : : : "x0"); }
static void msr_fpsr(void) { __asm__ volatile("msr fpsr, xzr"); }

/* ... and at a lower EL: the probe, then SVC (from EL0) or HVC (from EL1) #0xfe to return */
static void el0_ldr_q(void) { __asm__ volatile("ldr q0, [%0]\n svc #0xfe" : : "r"(buf) : "memory"); }
static void el0_msr_fpsr(void) { __asm__ volatile("msr fpsr, xzr\n svc #0xfe"); }
static void el1_ldr_q(void) { __asm__ volatile("ldr q0, [%0]\n hvc #0xfe" : : "r"(buf) : "memory"); }
static void el1_mrs_fpcr(void) { __asm__ volatile("mrs x0, fpcr\n hvc #0xfe" : : : "x0"); }

static void at_el0(void (*fn)(void))
{
    run_lower(fn, 0x0, (uint64_t)&el0_stack[512]);            /* EL0t, interrupts unmasked */
}

static void at_el1(void (*fn)(void))
{
    run_lower(fn, 0x3c5, (uint64_t)&el1_stack[1024]);         /* EL1h, DAIF masked */
}

static void booted_at_el1(void)
{
    static const char *const names[4] = { "00", "01", "10", "11" };
    char what[64];
    for (unsigned fpen = 0; fpen < 4; fpen++) {
        WRITE_SYSREG(cpacr_el1, FPEN(fpen));
        snprintf(what, sizeof what, "CPACR_EL1.FPEN=%s: EL1 LDR Q", names[fpen]);
        ldr_q();
        report(what);
        snprintf(what, sizeof what, "CPACR_EL1.FPEN=%s: EL1 MRS FPCR", names[fpen]);
        mrs_fpcr();
        report(what);
        snprintf(what, sizeof what, "CPACR_EL1.FPEN=%s: EL0 LDR Q", names[fpen]);
        at_el0(el0_ldr_q);
        report(what);
        snprintf(what, sizeof what, "CPACR_EL1.FPEN=%s: EL0 MSR FPSR", names[fpen]);
        at_el0(el0_msr_fpsr);
        report(what);
    }
    WRITE_SYSREG(cpacr_el1, FPEN(3));
}

static void el2_without_e2h(void)
{
    WRITE_SYSREG(hcr_el2, HCR_RW);
    WRITE_SYSREG(cpacr_el1, FPEN(3));
    WRITE_SYSREG(cptr_el2, CPTR_RES1 | CPTR_TFP);
    ldr_q();
    report("CPTR_EL2.TFP=1: EL2 LDR Q");
    mrs_fpcr();
    report("CPTR_EL2.TFP=1: EL2 MRS FPCR");
    msr_fpsr();
    report("CPTR_EL2.TFP=1: EL2 MSR FPSR");
    at_el1(el1_ldr_q);
    report("CPTR_EL2.TFP=1, CPACR_EL1.FPEN=11: EL1 LDR Q");
    at_el1(el1_mrs_fpcr);
    report("CPTR_EL2.TFP=1, CPACR_EL1.FPEN=11: EL1 MRS FPCR");
    WRITE_SYSREG(cpacr_el1, FPEN(0));
    at_el1(el1_ldr_q);
    report("CPTR_EL2.TFP=1, CPACR_EL1.FPEN=00: EL1 LDR Q");
    WRITE_SYSREG(cptr_el2, CPTR_RES1);
    ldr_q();
    report("CPTR_EL2.TFP=0: EL2 LDR Q");
    at_el1(el1_ldr_q);
    report("CPTR_EL2.TFP=0, CPACR_EL1.FPEN=00: EL1 LDR Q");
    WRITE_SYSREG(cpacr_el1, FPEN(1));
    at_el1(el1_ldr_q);
    report("CPTR_EL2.TFP=0, CPACR_EL1.FPEN=01: EL1 LDR Q");

    /* HCR_EL2.TGE = 1 (E2H = 0): an EL0 trap meant for EL1 goes to EL2 as Uncategorized */
    WRITE_SYSREG(hcr_el2, HCR_RW | HCR_TGE);
    WRITE_SYSREG(cpacr_el1, FPEN(0));
    at_el0(el0_ldr_q);
    report("TGE=1, CPACR_EL1.FPEN=00: EL0 LDR Q");
    at_el0(el0_msr_fpsr);
    report("TGE=1, CPACR_EL1.FPEN=00: EL0 MSR FPSR");
    WRITE_SYSREG(cpacr_el1, FPEN(3));
    WRITE_SYSREG(cptr_el2, CPTR_RES1 | CPTR_TFP);
    at_el0(el0_ldr_q);
    report("TGE=1, CPACR_EL1.FPEN=11, CPTR_EL2.TFP=1: EL0 LDR Q");
    WRITE_SYSREG(cptr_el2, CPTR_RES1);
    at_el0(el0_ldr_q);
    report("TGE=1, CPACR_EL1.FPEN=11, CPTR_EL2.TFP=0: EL0 LDR Q");
    WRITE_SYSREG(hcr_el2, HCR_RW);
}

/* HCR_EL2.E2H = 1: CPTR_EL2 has the CPACR layout (FPEN at 21:20), and CPACR_EL1 is reached
 * as CPACR_EL12 (the EL1 name is CPTR_EL2 at EL2). */
static void el2_with_e2h(void)
{
    static const char *const names[4] = { "00", "01", "10", "11" };
    char what[80];
    WRITE_SYSREG(hcr_el2, HCR_RW | HCR_E2H);
    WRITE_SYSREG(S3_5_C1_C0_2, FPEN(3));                  /* CPACR_EL12 */
    for (unsigned fpen = 0; fpen < 4; fpen++) {
        WRITE_SYSREG(cptr_el2, FPEN(fpen));
        snprintf(what, sizeof what, "E2H=1, CPTR_EL2.FPEN=%s: EL2 LDR Q", names[fpen]);
        ldr_q();
        report(what);
        snprintf(what, sizeof what, "E2H=1 TGE=0, CPTR_EL2.FPEN=%s: EL1 LDR Q", names[fpen]);
        at_el1(el1_ldr_q);
        report(what);
    }
    WRITE_SYSREG(cptr_el2, FPEN(3));
    WRITE_SYSREG(S3_5_C1_C0_2, FPEN(0));
    at_el1(el1_ldr_q);
    report("E2H=1 TGE=0, CPACR_EL12.FPEN=00: EL1 LDR Q");

    /* a VHE host's EL0 (E2H = TGE = 1): CPTR_EL2.FPEN = 01 traps it; CPACR_EL1 is unused */
    WRITE_SYSREG(hcr_el2, HCR_RW | HCR_E2H | HCR_TGE);
    for (unsigned fpen = 0; fpen < 4; fpen++) {
        WRITE_SYSREG(cptr_el2, FPEN(fpen));
        snprintf(what, sizeof what, "E2H=1 TGE=1, CPTR_EL2.FPEN=%s: EL0 LDR Q", names[fpen]);
        at_el0(el0_ldr_q);
        report(what);
        snprintf(what, sizeof what, "E2H=1 TGE=1, CPTR_EL2.FPEN=%s: EL0 MSR FPSR", names[fpen]);
        at_el0(el0_msr_fpsr);
        report(what);
    }
    WRITE_SYSREG(cptr_el2, FPEN(3));
    WRITE_SYSREG(hcr_el2, HCR_RW);
    WRITE_SYSREG(cptr_el2, CPTR_RES1);
}

int main(void)
{
    unsigned el = current_el();
    trap_install(on_trap);
    printf("fptrap at EL%u\n", el);
    if (el == 1) {
        booted_at_el1();
        return 0;
    }
    el2_without_e2h();
    if ((READ_SYSREG(id_aa64mmfr1_el1) >> 8) & 0xf)
        el2_with_e2h();
    else
        printf("no FEAT_VHE: the E2H layout is not tested\n");
    return 0;
}
