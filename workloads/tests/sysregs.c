/* System registers: CurrentEL, MIDR_EL1 (Cortex-A57 r1p0), MPIDR_EL1, CNTFRQ_EL0, that the
 * virtual counter advances, and read-back of writable registers (TPIDR_EL0, TPIDRRO_EL0,
 * TPIDR_EL1, NZCV, DAIF, SPSel). */
#include "lib.h"

int main(void)
{
    unsigned el = current_el();
    printf("CurrentEL %u\n", el);
    printf("MIDR_EL1 %08lx\n", (unsigned long)READ_SYSREG(midr_el1));
    printf("MPIDR_EL1 %08lx\n", (unsigned long)READ_SYSREG(mpidr_el1));
    printf("CNTFRQ_EL0 %lu\n", (unsigned long)READ_SYSREG(cntfrq_el0));

    uint64_t t0 = READ_SYSREG(cntvct_el0);
    volatile uint64_t sink = 0;
    for (int i = 0; i < 200000; i++)
        sink += (uint64_t)i;
    __asm__ volatile("isb");
    uint64_t t1 = READ_SYSREG(cntvct_el0);
    printf("CNTVCT_EL0 increases: %s\n", t1 > t0 ? "yes" : "no");
    uint64_t p0 = READ_SYSREG(cntpct_el0);
    printf("CNTPCT_EL0 >= CNTVCT_EL0 start: %s\n", p0 >= t0 ? "yes" : "no");

    __asm__ volatile("msr tpidr_el0, %0" ::"r"(0x0123456789abcdefull));
    __asm__ volatile("msr tpidrro_el0, %0" ::"r"(0xfedcba9876543210ull));
    __asm__ volatile("msr tpidr_el1, %0" ::"r"(0x5a5a5a5aa5a5a5a5ull));
    printf("TPIDR_EL0 %016lx TPIDRRO_EL0 %016lx TPIDR_EL1 %016lx\n",
           (unsigned long)READ_SYSREG(tpidr_el0), (unsigned long)READ_SYSREG(tpidrro_el0),
           (unsigned long)READ_SYSREG(tpidr_el1));

    uint64_t nzcv_vals[] = {0x00000000, 0x80000000, 0x60000000, 0x20000000, 0xf0000000, 0x10000000};
    for (size_t i = 0; i < ARRAY_SIZE(nzcv_vals); i++) {
        uint64_t back, cond;
        __asm__ volatile("msr nzcv, %2\n\t"
                         "mrs %0, nzcv\n\t"
                         "cset %1, hi"
                         : "=r"(back), "=r"(cond)
                         : "r"(nzcv_vals[i])
                         : "cc");
        printf("NZCV write %08lx read %08lx hi=%lu\n", (unsigned long)nzcv_vals[i],
               (unsigned long)back, (unsigned long)cond);
    }
    uint64_t f1, f2, f3;
    __asm__ volatile("mov x9, #0\n\tcmp x9, #1\n\tmrs %0, nzcv" : "=r"(f1)::"cc", "x9");
    __asm__ volatile("msr nzcv, xzr\n\tmrs %0, nzcv" : "=r"(f2)::"cc");
    __asm__ volatile("mov x9, #-1\n\tadds x9, x9, #1\n\tmrs %0, nzcv" : "=r"(f3)::"cc", "x9");
    printf("cmp %08lx clear %08lx carry-out %08lx\n", (unsigned long)f1, (unsigned long)f2,
           (unsigned long)f3);

    uint64_t daif0 = READ_SYSREG(daif);
    __asm__ volatile("msr daifclr, #4");
    uint64_t daif1 = READ_SYSREG(daif);
    __asm__ volatile("msr daifset, #15");
    uint64_t daif2 = READ_SYSREG(daif);
    printf("DAIF %03lx -> %03lx -> %03lx\n", (unsigned long)daif0, (unsigned long)daif1,
           (unsigned long)daif2);
    uint64_t spsel = READ_SYSREG(spsel);
    printf("SPSel %lu\n", (unsigned long)spsel);
    return 0;
}
