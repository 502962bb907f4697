/* PMUv3 (Arm ARM D13) as software sees it, for comparison with QEMU: PMCR_EL0.N, SW_INCR,
 * the cycle and instruction counters running only while enabled, and the overflow interrupt
 * (PPI 23 through the GICv3). Exact counts of INST_RETIRED / BR_RETIRED / EXC_TAKEN are
 * checked by the unit tests (QEMU counts instructions only approximately without -icount). */
#include "lib.h"

#define GICD 0x08000000ULL
#define GICR 0x080a0000ULL
#define GICR_SGI (GICR + 0x10000)

static volatile unsigned irqs, last_intid;
static volatile uint64_t ovs_seen;

static void on_trap(struct trap_frame *f, unsigned vec)
{
    (void)f;
    if ((vec & 3) != 1) {
        struct trap_info t;
        trap_info(&t);
        printf("unexpected exception ESR 0x%llx\n", (unsigned long long)t.esr);
        system_off();
    }
    unsigned intid = (unsigned)READ_SYSREG(S3_0_C12_C12_0) & 0xffffff;
    last_intid = intid;
    ovs_seen = READ_SYSREG(pmovsset_el0);
    WRITE_SYSREG(pmovsclr_el0, ovs_seen);       /* clear: the level drops */
    irqs++;
    WRITE_SYSREG(S3_0_C12_C12_1, intid);
}

int main(void)
{
    printf("pmu test at EL%u\n", current_el());
    trap_install(on_trap);
    uint64_t pmcr = READ_SYSREG(pmcr_el0);
    printf("PMCR_EL0.N=%llu\n", (unsigned long long)((pmcr >> 11) & 0x1f));

    /* SW_INCR on counter 0 */
    WRITE_SYSREG(pmevtyper0_el0, 0x00);
    WRITE_SYSREG(pmevcntr0_el0, 0);
    WRITE_SYSREG(pmcntenset_el0, 1);
    WRITE_SYSREG(pmcr_el0, 1);
    for (int i = 0; i < 10; i++)
        WRITE_SYSREG(pmswinc_el0, 1);
    printf("SW_INCR x10: %llu\n", (unsigned long long)READ_SYSREG(pmevcntr0_el0));

    /* the cycle counter and INST_RETIRED run only while enabled */
    WRITE_SYSREG(pmevtyper1_el0, 0x08);
    WRITE_SYSREG(pmcntenset_el0, 2u | (1u << 31));
    uint64_t c0 = READ_SYSREG(pmccntr_el0), i0 = READ_SYSREG(pmevcntr1_el0);
    for (volatile int i = 0; i < 1000; i++)
        ;
    uint64_t c1 = READ_SYSREG(pmccntr_el0), i1 = READ_SYSREG(pmevcntr1_el0);
    /* (INST_RETIRED is not printed: QEMU without -icount approximates it) */
    (void)i0;
    (void)i1;
    printf("enabled: cycles advance %s\n", c1 > c0 ? "yes" : "no");
    WRITE_SYSREG(pmcr_el0, 0);
    c0 = READ_SYSREG(pmccntr_el0);
    for (volatile int i = 0; i < 1000; i++)
        ;
    printf("disabled: cycles stay %s\n", READ_SYSREG(pmccntr_el0) == c0 ? "yes" : "no");

    /* overflow interrupt: SW_INCR from 0xffffffff */
    WRITE_SYSREG(pmcntenclr_el0, ~0ULL);

    *(volatile uint32_t *)(GICD + 0x0) = (1u << 4) | (1u << 1);
    *(volatile uint32_t *)(GICR + 0x14) &= ~2u;
    while (*(volatile uint32_t *)(GICR + 0x14) & 4u)
        ;
    *(volatile uint32_t *)(GICR_SGI + 0x80) = 0xffffffffu;
    *(volatile uint8_t *)(GICR_SGI + 0x400 + 23) = 0x80;
    *(volatile uint32_t *)(GICR_SGI + 0x100) = 1u << 23;
    WRITE_SYSREG(S3_0_C12_C12_5, 7);
    WRITE_SYSREG(S3_0_C4_C6_0, 0xff);
    WRITE_SYSREG(S3_0_C12_C12_7, 1);
    WRITE_SYSREG(pmevcntr0_el0, 0xffffffffULL);
    WRITE_SYSREG(pmintenset_el1, 1);
    WRITE_SYSREG(pmcntenset_el0, 1);
    WRITE_SYSREG(pmcr_el0, 1);
    __asm__ volatile("msr daifclr, #2");
    WRITE_SYSREG(pmswinc_el0, 1);
    __asm__ volatile("isb");
    for (int i = 0; i < 100 && !irqs; i++)
        __asm__ volatile("nop");
    __asm__ volatile("msr daifset, #2");
    printf("overflow: %u interrupt(s), INTID %u, PMOVSSET 0x%llx, counter %llu\n", irqs, last_intid,
           (unsigned long long)ovs_seen, (unsigned long long)READ_SYSREG(pmevcntr0_el0));
    WRITE_SYSREG(pmcr_el0, 0);
    printf("done\n");
    return 0;
}
