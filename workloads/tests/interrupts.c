/* Interrupts through the GICv3 (IHI 0069) and the generic timers (Arm ARM D11).
 * Booted at EL1: the EL1 physical and virtual timers (PPIs 30, 27), an SGI to self, a
 * software-pended SPI, priority order of pending interrupts, WFI wake-up.
 * Booted at EL2: the EL2 physical timer (PPI 26) taken at EL2 while an EL1 program waits,
 * and a virtual interrupt injected through ICH_LR0_EL2 that EL1 acknowledges through the
 * ICC names (ICV_* behind them), with an EOI maintenance interrupt (PPI 25). */
#include <stdbool.h>
#include "lib.h"

#define GICD 0x08000000ULL
#define GICR 0x080a0000ULL          /* core 0: RD_base; SGI_base at +0x10000 */
#define GICR_SGI (GICR + 0x10000)

static inline void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline void w8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline void w64(uint64_t a, uint64_t v) { *(volatile uint64_t *)a = v; }

static volatile unsigned seen[16];
static volatile unsigned nseen;
static uint64_t el1_stack[1024] __attribute__((aligned(16)));

static void record(unsigned intid)
{
    if (nseen < ARRAY_SIZE(seen))
        seen[nseen] = intid;
    nseen++;
}

static void gic_init(void)
{
    w32(GICD + 0x0, (1u << 4) | (1u << 1));              /* ARE, EnableGrp1 */
    w32(GICR + 0x14, r32(GICR + 0x14) & ~2u);            /* WAKER.ProcessorSleep = 0 */
    while (r32(GICR + 0x14) & 4u)                        /* ChildrenAsleep */
        ;
    w32(GICR_SGI + 0x80, 0xffffffffu);                   /* SGIs/PPIs: group 1 */
    WRITE_SYSREG(S3_0_C12_C12_5, 7);                     /* ICC_SRE_EL1 */
    WRITE_SYSREG(S3_0_C4_C6_0, 0xff);                    /* ICC_PMR_EL1 */
    WRITE_SYSREG(S3_0_C12_C12_3, 0);                     /* ICC_BPR1_EL1 */
    WRITE_SYSREG(S3_0_C12_C12_7, 1);                     /* ICC_IGRPEN1_EL1 */
}

static void enable_ppi(unsigned intid, uint8_t prio)
{
    w8(GICR_SGI + 0x400 + intid, prio);
    w32(GICR_SGI + 0x100, 1u << intid);                  /* ISENABLER0 */
}

static void on_irq_el1(struct trap_frame *f, unsigned vec)
{
    (void)f;
    if ((vec & 3) != 1) {
        struct trap_info t;
        trap_info(&t);
        unsigned ec = (unsigned)(t.esr >> 26);
        if ((ec == 0x15 || ec == 0x16) && (t.esr & 0xffff) == 0xfe) {
            trap_back_to_caller();
            return;
        }
        printf("unexpected exception vec %u ESR 0x%llx\n", vec, (unsigned long long)t.esr);
        system_off();
    }
    unsigned intid = (unsigned)READ_SYSREG(S3_0_C12_C12_0) & 0xffffff;   /* ICC_IAR1_EL1 */
    record(intid);
    if (intid == 30)
        WRITE_SYSREG(cntp_ctl_el0, 0);
    if (intid == 27)
        WRITE_SYSREG(cntv_ctl_el0, 0);
    WRITE_SYSREG(S3_0_C12_C12_1, intid);                 /* ICC_EOIR1_EL1 */
}

static void print_seen(const char *what)
{
    printf("%s:", what);
    for (unsigned i = 0; i < nseen && i < ARRAY_SIZE(seen); i++)
        printf(" %u", seen[i]);
    printf("\n");
    nseen = 0;
}

static void el1_tests(void)
{
    trap_install(on_irq_el1);
    gic_init();
    enable_ppi(30, 0x80);
    enable_ppi(27, 0x80);
    __asm__ volatile("msr daifclr, #2");

    WRITE_SYSREG(cntp_tval_el0, 500);
    WRITE_SYSREG(cntp_ctl_el0, 1);
    while (nseen == 0)
        __asm__ volatile("wfi");
    print_seen("EL1 physical timer");

    WRITE_SYSREG(cntv_cval_el0, READ_SYSREG(cntvct_el0) + 300);
    WRITE_SYSREG(cntv_ctl_el0, 1);
    while (nseen == 0)
        __asm__ volatile("wfi");
    print_seen("EL1 virtual timer");

    /* masked timer: ISTATUS set, no interrupt */
    WRITE_SYSREG(cntp_tval_el0, 10);
    WRITE_SYSREG(cntp_ctl_el0, 3);
    while (!(READ_SYSREG(cntp_ctl_el0) & 4))
        ;
    printf("masked timer: ISTATUS=1, interrupts %u\n", nseen);
    WRITE_SYSREG(cntp_ctl_el0, 0);

    /* SGI 5 to self (target list bit 0, Aff1..3 = 0) */
    w32(GICR_SGI + 0x100, 1u << 5);
    WRITE_SYSREG(S3_0_C12_C11_5, (5ULL << 24) | 1);      /* ICC_SGI1R_EL1 */
    __asm__ volatile("isb");
    print_seen("SGI to self");

    /* SPI 40, routed to core 0, pended by software */
    w8(GICD + 0x400 + 40, 0x60);
    w32(GICD + 0x80 + 4, 1u << 8);                        /* IGROUPR1: group 1 */
    w64(GICD + 0x6000 + 8 * 40, 0);                       /* IROUTER: Aff 0.0.0.0 */
    w32(GICD + 0x100 + 4, 1u << 8);                       /* ISENABLER1 */
    w32(GICD + 0x200 + 4, 1u << 8);                       /* ISPENDR1 */
    __asm__ volatile("isb");
    print_seen("SPI pended");

    /* three pending at once: taken in priority order */
    w8(GICR_SGI + 0x400 + 1, 0xa0);
    w8(GICR_SGI + 0x400 + 2, 0x20);
    w8(GICR_SGI + 0x400 + 3, 0x60);
    w32(GICR_SGI + 0x100, 0xe);
    __asm__ volatile("msr daifset, #2");
    WRITE_SYSREG(S3_0_C12_C11_5, (1ULL << 24) | 1);
    WRITE_SYSREG(S3_0_C12_C11_5, (2ULL << 24) | 1);
    WRITE_SYSREG(S3_0_C12_C11_5, (3ULL << 24) | 1);
    printf("HPPIR1 while masked: %u\n", (unsigned)READ_SYSREG(S3_0_C12_C12_2));
    __asm__ volatile("msr daifclr, #2\n isb");
    print_seen("priority order");
}

/* ---- EL2 ---- */
static volatile unsigned el2_irqs[4];
static volatile uint64_t misr_seen, eisr_seen;

static void guest(void)
{
    /* interrupts enabled at EL1; the hypervisor injects vINTID 42 while we wait */
    __asm__ volatile("msr daifclr, #2");
    while (nseen < 1)
        __asm__ volatile("wfi");
    __asm__ volatile("hvc #0xfe");
}

static void on_trap_el2(struct trap_frame *f, unsigned vec)
{
    (void)f;
    if (current_el() == 1) {
        on_irq_el1(f, vec);               /* the guest's own vectors */
        return;
    }
    struct trap_info t;
    trap_info(&t);
    if ((vec & 3) == 1) {                 /* physical IRQ at EL2 */
        unsigned intid = (unsigned)READ_SYSREG(S3_0_C12_C12_0) & 0xffffff;
        if (intid == 26) {
            el2_irqs[0]++;
            WRITE_SYSREG(cnthp_ctl_el2, 0);
            /* inject vINTID 42: pending, group 1, priority 0xa0, EOI maintenance */
            WRITE_SYSREG(S3_4_C12_C12_0, (1ULL << 62) | (1ULL << 60) | (0xa0ULL << 48) | (1ULL << 41) | 42);
        } else if (intid == 25) {
            el2_irqs[1]++;
            misr_seen = READ_SYSREG(S3_4_C12_C11_2);      /* ICH_MISR_EL2 */
            eisr_seen = READ_SYSREG(S3_4_C12_C11_3);      /* ICH_EISR_EL2 */
            WRITE_SYSREG(S3_4_C12_C12_0, 0);              /* free LR0 */
        }
        WRITE_SYSREG(S3_0_C12_C12_1, intid);
        return;
    }
    unsigned ec = (unsigned)(t.esr >> 26);
    if (ec == 0x16 && (t.esr & 0xffff) == 0xfe) {
        trap_back_to_caller();
        return;
    }
    printf("unexpected exit vec %u ESR 0x%llx\n", vec, (unsigned long long)t.esr);
    system_off();
}

static void el2_tests(void)
{
    trap_install(on_trap_el2);
    gic_init();
    enable_ppi(26, 0x80);
    enable_ppi(25, 0x80);
    /* the virtual CPU interface: En, VMCR.VENG1, VPMR 0xff */
    WRITE_SYSREG(S3_4_C12_C11_7, (0xffULL << 24) | 2);    /* ICH_VMCR_EL2 */
    WRITE_SYSREG(S3_4_C12_C11_0, 1);                      /* ICH_HCR_EL2.En */
    printf("ICH_VTR_EL2.ListRegs+1 = %u\n", (unsigned)(READ_SYSREG(S3_4_C12_C11_1) & 0x1f) + 1);
    /* EL1 runs with IRQs routed to EL2 (IMO/FMO), the EL2 timer fires while it waits */
    WRITE_SYSREG(hcr_el2, (1ULL << 31) | (1ULL << 4) | (1ULL << 3));
    WRITE_SYSREG(cnthp_tval_el2, 400);
    WRITE_SYSREG(cnthp_ctl_el2, 1);
    run_lower(guest, 0x3c5, (uint64_t)&el1_stack[1024]);
    WRITE_SYSREG(hcr_el2, 1ULL << 31);
    print_seen("EL1 acknowledged");
    printf("EL2 timer interrupts %u, maintenance interrupts %u\n", el2_irqs[0], el2_irqs[1]);
    printf("MISR.EOI=%u EISR=0x%llx ELRSR=0x%llx\n", (unsigned)(misr_seen & 1),
           (unsigned long long)eisr_seen, (unsigned long long)READ_SYSREG(S3_4_C12_C11_5));
}

int main(void)
{
    unsigned el = current_el();
    printf("interrupts at EL%u\n", el);
    if (el == 1)
        el1_tests();
    else
        el2_tests();
    printf("done\n");
    return 0;
}
