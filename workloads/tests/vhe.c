/* FEAT_VHE (Arm ARM D5.6, D8.1.3): HCR_EL2.E2H at EL2. EL1 register names reach the EL2
 * registers, *_EL12 names reach EL1's, the virtual counter ignores CNTVOFF_EL2, EL0 under TGE
 * takes its exceptions to EL2, and the EL2&0 regime translates through TTBR1_EL2 for high
 * addresses. Needs -cpu max and virtualization=on; prints a note and stops otherwise. */
#include "lib.h"

#define HCR_RW (1ULL << 31)
#define HCR_TGE (1ULL << 27)
#define HCR_E2H (1ULL << 34)

static uint64_t ttbr1_l1[512] __attribute__((aligned(4096)));
static uint64_t ttbr0_l1[512] __attribute__((aligned(4096)));
static uint64_t el0_stack[512] __attribute__((aligned(16)));
static volatile unsigned nexc;
static struct trap_info last;
static volatile unsigned last_vec;

static void on_trap(struct trap_frame *f, unsigned vec)
{
    (void)f;
    trap_info(&last);
    last_vec = vec;
    nexc++;
    unsigned ec = (unsigned)(last.esr >> 26);
    if (ec == 0x15 && (last.esr & 0xffff) == 0xfe) {
        trap_back_to_caller();
        return;
    }
    trap_set_return(last.spsr, last.elr + (ec == 0x15 ? 0 : 4));
}

static void el0_code(void)
{
    __asm__ volatile("svc #0x11\n svc #0xfe" ::: "memory");
}

int main(void)
{
    unsigned el = current_el();
    uint64_t vh = (READ_SYSREG(id_aa64mmfr1_el1) >> 8) & 0xf;
    printf("vhe test at EL%u\n", el);
    if (el != 2 || !vh) {
        /* (without EL2, QEMU still reports VH = 1; hvsim reports 0: FEAT_VHE needs EL2) */
        printf("needs EL2 with FEAT_VHE\n");
        return 0;
    }
    printf("ID_AA64MMFR1_EL1.VH=%llu\n", (unsigned long long)vh);
    trap_install(on_trap);

    /* Where QEMU 7.2 and the Arm ARM differ, the unit tests check the Arm ARM (tests/unit/
     * test_core.c): *_EL12 is UNDEFINED without E2H, and CNTVCT_EL0 at EL2 with E2H has no
     * CNTVOFF_EL2 applied. */
    unsigned before;
    WRITE_SYSREG(hcr_el2, HCR_RW | HCR_E2H | HCR_TGE);
    printf("HCR_EL2.E2H reads %llu\n", (unsigned long long)((READ_SYSREG(hcr_el2) >> 34) & 1));

    /* register redirection: EL1 names reach EL2 registers; _EL12 names reach EL1's */
    uint64_t vbar2 = READ_SYSREG(vbar_el2);
    WRITE_SYSREG(contextidr_el1, 0x1234);
    WRITE_SYSREG(S3_5_C13_C0_1, 0x5678);
    printf("CONTEXTIDR_EL1 name -> EL2 register: 0x%llx, CONTEXTIDR_EL12 -> 0x%llx\n",
           (unsigned long long)READ_SYSREG(S3_4_C13_C0_1), (unsigned long long)READ_SYSREG(S3_5_C13_C0_1));
    printf("VBAR_EL1 name reads VBAR_EL2: %s\n", READ_SYSREG(vbar_el1) == vbar2 ? "yes" : "no");
    WRITE_SYSREG(tpidr_el1, 7);
    printf("TPIDR_EL1 is not redirected: TPIDR_EL2=0x%llx\n", (unsigned long long)READ_SYSREG(tpidr_el2));

    /* EL0 in the host (TGE): exceptions go to EL2 */
    before = nexc;
    run_lower(el0_code, 0, (uint64_t)&el0_stack[512]);
    printf("EL0 under TGE: %u exceptions to EL2, vector %u, EC=0x%02x ISS=0x%llx\n", nexc - before,
           last_vec, (unsigned)(last.esr >> 26), (unsigned long long)(last.esr & 0x1ffffff));

    /* the EL2&0 regime: TTBR1_EL2 maps the top 512 GiB; 1 GiB block to RAM */
    ttbr1_l1[511] = 0x40000000ULL | 1 | (1ULL << 10) | (3ULL << 8);
    ttbr0_l1[1] = 0x40000000ULL | 1 | (1ULL << 10) | (3ULL << 8);   /* identity for the code */
    WRITE_SYSREG(mair_el1, 0xff);                           /* -> MAIR_EL2 */
    /* TCR (EL1 layout under E2H): T0SZ/T1SZ 25, TG0/TG1 4K, IPS 40 bits */
    WRITE_SYSREG(tcr_el1, 25 | (25ULL << 16) | (2ULL << 30) | (2ULL << 32));
    WRITE_SYSREG(ttbr0_el1, (uint64_t)ttbr0_l1);            /* -> TTBR0_EL2 */
    WRITE_SYSREG(ttbr1_el1, (uint64_t)ttbr1_l1);            /* -> TTBR1_EL2 */
    __asm__ volatile("dsb ish\n tlbi alle2\n dsb ish\n isb" ::: "memory");
    /* stage 1 on only around the access (the UART is not mapped) */
    volatile uint64_t *low = (volatile uint64_t *)0x40700000;
    *low = 0xfeedfacecafe;
    uint64_t high_va = 0xffffffffc0000000ULL + 0x700000;
    uint64_t val;
    __asm__ volatile("mrs x9, sctlr_el1\n orr x9, x9, #1\n msr sctlr_el1, x9\n isb\n"
                     "ldr %0, [%1]\n"
                     "bic x9, x9, #1\n msr sctlr_el1, x9\n isb\n"
                     : "=&r"(val) : "r"(high_va) : "x9", "memory");
    printf("EL2&0 via TTBR1_EL2: 0x%llx\n", (unsigned long long)val);
    printf("SCTLR_EL2.M after: %llu\n", (unsigned long long)(READ_SYSREG(sctlr_el2) & 1));

    /* the EL2 virtual timer through the CNTV_* names in the host; the EL1 virtual timer
     * (CNTV_CTL_EL02) stays off. (Its PPI 28, which QEMU 7.2 leaves unconnected, is checked by
     * the platform unit tests.) */
    WRITE_SYSREG(cntv_tval_el0, 50);
    WRITE_SYSREG(cntv_ctl_el0, 1);
    while (!(READ_SYSREG(cntv_ctl_el0) & 4))
        ;
    printf("CNTHV via CNTV_CTL_EL0: ISTATUS=1; CNTV_CTL_EL02=%llu\n",
           (unsigned long long)READ_SYSREG(S3_5_C14_C3_1));
    WRITE_SYSREG(cntv_ctl_el0, 0);

    WRITE_SYSREG(hcr_el2, HCR_RW);
    printf("done\n");
    return 0;
}
