/* FEAT_PAN (Arm ARM D8.4.2) and virtual SError (D1.3.8), on -cpu max.
 * Booted at EL1: with PSTATE.PAN set, an EL1 data access to a page EL0 can access is a
 * permission fault; exception entry sets PAN when SCTLR_EL1.SPAN is 0. The unprivileged
 * LDTR/STTR use EL0's permissions whatever PAN says: they reach the EL0 page with PAN set
 * and fault on an EL1-only page; AT S1E1R/W translate it with PAN set.
 * Booted at EL2: HCR_EL2.VSE with AMO raises a virtual SError at EL1 once PSTATE.A is clear;
 * taking it clears VSE. */
#include "lib.h"

#define RAM 0x40000000ULL
#define UART 0x09000000ULL

static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l2_low[512] __attribute__((aligned(4096)));
static uint64_t l2_ram[512] __attribute__((aligned(4096)));
static uint64_t l3[512] __attribute__((aligned(4096)));
static uint8_t user_page[4096] __attribute__((aligned(4096)));
static uint8_t kernel_page[4096] __attribute__((aligned(4096)));
static uint64_t el1_stack[1024] __attribute__((aligned(16)));

static volatile unsigned nexc;
static volatile uint64_t last_esr, pan_in_handler;
static volatile unsigned last_vec;

static uint64_t read_pan(void)
{
    return READ_SYSREG(S3_0_C4_C2_3);
}

static void on_trap(struct trap_frame *f, unsigned vec)
{
    (void)f;
    struct trap_info t;
    trap_info(&t);
    nexc++;
    last_vec = vec;
    last_esr = t.esr;
    if (current_el() == 1)
        pan_in_handler = read_pan() >> 22;
    unsigned ec = (unsigned)(t.esr >> 26);
    if ((ec == 0x15 || ec == 0x16) && (t.esr & 0xffff) == 0xfe) {
        trap_back_to_caller();
        return;
    }
    uint64_t next = t.elr + ((vec & 3) == 0 && ec != 0x15 && ec != 0x16 ? 4 : 0);
    /* return with PAN as it was before the exception (SPSR.PAN) */
    trap_set_return(t.spsr, next);
}

static void pan_tests(void)
{
    WRITE_SYSREG(mair_el1, 0x04ff);
    l1[0] = (uint64_t)l2_low | 3;
    l1[1] = (uint64_t)l2_ram | 3;
    l2_low[UART >> 21] = UART | 1 | (1ULL << 10) | (1ULL << 2) | (3ULL << 53);
    for (uint64_t i = 0; i < 128; i++)
        l2_ram[i] = (RAM + (i << 21)) | 1 | (1ULL << 10) | (3ULL << 8);
    l2_ram[(0x60000000 - RAM) >> 21] = (uint64_t)l3 | 3;
    /* AP = 01: read/write at EL1 and EL0 */
    l3[0] = (uint64_t)user_page | 3 | (1ULL << 10) | (3ULL << 8) | (1ULL << 6) | (1ULL << 54);
    /* AP = 00: read/write at EL1 only */
    l3[1] = (uint64_t)kernel_page | 3 | (1ULL << 10) | (3ULL << 8) | (1ULL << 54);
    WRITE_SYSREG(ttbr0_el1, (uint64_t)l1);
    WRITE_SYSREG(tcr_el1, 25 | (1ULL << 23) | (2ULL << 32));
    __asm__ volatile("dsb ish\n tlbi vmalle1\n dsb ish\n isb" ::: "memory");
    /* SPAN = 1: exception entry leaves PAN alone; M = 1 */
    WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) | 1 | (1u << 23));

    volatile uint64_t *up = (volatile uint64_t *)0x60000000;
    *up = 5;
    printf("PAN=0: EL1 access to an EL0 page: ok (%llu)\n", (unsigned long long)*up);
    __asm__ volatile(".inst 0xd500419f" ::: "memory");   /* msr pan, #1 */
    printf("PAN reads %llu\n", (unsigned long long)(read_pan() >> 22));
    unsigned before = nexc;
    (void)*up;
    printf("PAN=1: %u fault, EC=0x%02x DFSC=0x%02x\n", nexc - before, (unsigned)(last_esr >> 26),
           (unsigned)last_esr & 0x3f);
    uint64_t v = 0;
    before = nexc;
    __asm__ volatile("sttr %1, [%2]\n ldtr %0, [%2]" : "=&r"(v) : "r"(7ULL), "r"(up) : "memory");
    printf("PAN=1: STTR/LDTR to the EL0 page: %u faults, read %llu\n", nexc - before,
           (unsigned long long)v);
    /* AT S1E1R/W ignore PAN (only FEAT_PAN2's S1E1RP/WP check it): KVM translates a guest's
     * faulting EL0 address this way at a VHE host's EL2, where PAN is set */
    uint64_t par_r, par_w;
    __asm__ volatile("at s1e1r, %2\n isb\n mrs %0, par_el1\n at s1e1w, %2\n isb\n mrs %1, par_el1"
                     : "=&r"(par_r), "=&r"(par_w) : "r"(up) : "memory");
    printf("PAN=1: AT S1E1R/W of the EL0 page: F=%llu/%llu, PA %s\n",
           (unsigned long long)(par_r & 1), (unsigned long long)(par_w & 1),
           (par_r & 0xfffffffff000ULL) == (uint64_t)user_page ? "right" : "wrong");
    __asm__ volatile(".inst 0xd500409f" ::: "memory");   /* msr pan, #0 */
    printf("PAN=0 again: %llu\n", (unsigned long long)*up);
    volatile uint64_t *kp = (volatile uint64_t *)0x60001000;
    *kp = 9;
    before = nexc;
    __asm__ volatile("ldtr %0, [%1]" : "=r"(v) : "r"(kp) : "memory");
    printf("LDTR from an EL1-only page: %u fault, EC=0x%02x DFSC=0x%02x; LDR reads %llu\n",
           nexc - before, (unsigned)(last_esr >> 26), (unsigned)last_esr & 0x3f,
           (unsigned long long)*kp);

    /* SPAN = 0: taking an exception to EL1 sets PAN */
    WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) & ~(uint64_t)(1u << 23));
    __asm__ volatile("svc #1" ::: "memory");
    printf("SPAN=0: PAN in the handler %llu, after ERET %llu\n", (unsigned long long)pan_in_handler,
           (unsigned long long)(read_pan() >> 22));
    WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) & ~1ULL);
}

static void guest(void)
{
    __asm__ volatile("msr daifclr, #4\n isb\n nop\n hvc #0xfe" ::: "memory");
}

static void serror_tests(void)
{
    WRITE_SYSREG(hcr_el2, (1ULL << 31) | (1ULL << 5) | (1ULL << 8));   /* RW, AMO, VSE */
    run_lower(guest, 0x3c5, (uint64_t)&el1_stack[1024]);
    printf("after the guest: HCR_EL2.VSE %llu\n", (unsigned long long)((READ_SYSREG(hcr_el2) >> 8) & 1));
    WRITE_SYSREG(hcr_el2, 1ULL << 31);
}

static volatile unsigned serror_vec;
static volatile uint64_t serror_esr;
static void on_trap_el2(struct trap_frame *f, unsigned vec)
{
    if (current_el() == 1 && (vec & 3) == 3) {
        struct trap_info t;
        trap_info(&t);
        serror_vec = vec;
        serror_esr = t.esr;
        return;
    }
    on_trap(f, vec);
}

int main(void)
{
    unsigned el = current_el();
    /* (QEMU's max reports PAN = 2, FEAT_PAN2; hvsim has FEAT_PAN, 1) */
    printf("pan_serror test at EL%u, FEAT_PAN: %s\n", el,
           (READ_SYSREG(id_aa64mmfr1_el1) >> 20) & 0xf ? "yes" : "no");
    if (el == 1) {
        trap_install(on_trap);
        pan_tests();
    } else {
        trap_install(on_trap_el2);
        serror_tests();
        printf("EL1 SError vector %u, ESR_EL1.EC=0x%02x\n", serror_vec, (unsigned)(serror_esr >> 26));
    }
    printf("done\n");
    return 0;
}
