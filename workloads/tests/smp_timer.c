/* Each core's generic timers (Arm ARM D11) through its own redistributor (IHI 0069): the
 * timer registers are per core, every core's EL1 physical timer (PPI 30) and virtual timer
 * (PPI 27) interrupt that core only, a timer condition at a core whose PPI is disabled stays
 * pending at that core's redistributor alone. Booted at EL2 (virtualization=on) the EL2
 * physical timer (PPI 26) is used instead of the virtual timer and interrupts go to EL2
 * (HCR_EL2.IMO). Run with -smp 4. Only core 0 prints, after each phase, what every core
 * recorded; nothing printed depends on how the cores interleave. */
#include "lib.h"

#define NCORES 4
#define GICD 0x08000000ULL
#define GICR(c) (0x080a0000ULL + 0x20000ULL * (uint64_t)(c))
#define GICR_SGI(c) (GICR(c) + 0x10000)

#define ICC_IAR1 S3_0_C12_C12_0
#define ICC_EOIR1 S3_0_C12_C12_1
#define RD(name) READ_SYSREG(name)
#define WR(name, v) WRITE_SYSREG(name, v)

#define PPI_HP 26     /* EL2 physical timer */
#define PPI_V 27      /* EL1 virtual timer */
#define PPI_P 30      /* EL1 physical timer */

static inline void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline void w8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

struct core_rec {
    uint32_t n;              /* interrupts taken */
    uint32_t log[8];         /* their INTIDs */
    uint32_t ctl_at_irq[8];  /* the timer's CTL as the handler found it */
    uint32_t expired[8];     /* the counter had reached the compare value */
    uint32_t spurious;
    uint64_t cval_readback;
    uint32_t istatus;        /* phase 3: ISTATUS with the PPI disabled */
    uint32_t done;
};
static struct core_rec rec[NCORES];
static unsigned char stacks[NCORES][16384] __attribute__((aligned(16)));
static uint64_t phase;
static uint32_t isolation_ready;

static unsigned core_id(void)
{
    return (unsigned)READ_SYSREG(mpidr_el1) & 0xff;
}

static void irq_unmask(void) { __asm__ volatile("msr daifclr, #2\n isb" ::: "memory"); }

/* The second timer of the phase-4 test: virtual at EL1, EL2 physical at EL2. */
static unsigned second_ppi(void)
{
    return current_el() == 2 ? PPI_HP : PPI_V;
}

static void on_trap(struct trap_frame *f, unsigned vec)
{
    (void)f;
    if ((vec & 3) != 1) {
        struct trap_info t;
        trap_info(&t);
        printf("core %u: unexpected exception vec %u ESR 0x%llx ELR 0x%llx\n", core_id(), vec,
               (unsigned long long)t.esr, (unsigned long long)t.elr);
        system_off();
    }
    struct core_rec *r = &rec[core_id()];
    unsigned intid = (unsigned)RD(ICC_IAR1) & 0xffffff;
    if (intid >= 1020) {
        r->spurious++;
        return;
    }
    uint32_t ctl = 0, expired = 0;
    if (intid == PPI_P) {
        ctl = (uint32_t)READ_SYSREG(cntp_ctl_el0);
        expired = READ_SYSREG(cntpct_el0) >= READ_SYSREG(cntp_cval_el0);
        WRITE_SYSREG(cntp_ctl_el0, 0);
    } else if (intid == PPI_V) {
        ctl = (uint32_t)READ_SYSREG(cntv_ctl_el0);
        expired = READ_SYSREG(cntvct_el0) >= READ_SYSREG(cntv_cval_el0);
        WRITE_SYSREG(cntv_ctl_el0, 0);
    } else if (intid == PPI_HP) {
        ctl = (uint32_t)READ_SYSREG(cnthp_ctl_el2);
        expired = READ_SYSREG(cntpct_el0) >= READ_SYSREG(cnthp_cval_el2);
        WRITE_SYSREG(cnthp_ctl_el2, 0);
    }
    if (r->n < ARRAY_SIZE(r->log)) {
        r->log[r->n] = intid;
        r->ctl_at_irq[r->n] = ctl;
        r->expired[r->n] = expired;
    }
    WR(ICC_EOIR1, intid);
    STORE(r->n, r->n + 1);
}

static void gic_cpu_init(unsigned c)
{
    w32(GICR(c) + 0x14, r32(GICR(c) + 0x14) & ~2u);   /* WAKER.ProcessorSleep = 0 */
    while (r32(GICR(c) + 0x14) & 4u)                  /* ChildrenAsleep */
        ;
    w32(GICR_SGI(c) + 0x80, 0xffffffffu);             /* IGROUPR0: Group 1 */
    w8(GICR_SGI(c) + 0x400 + PPI_P, 0x80);
    w8(GICR_SGI(c) + 0x400 + PPI_V, 0x80);
    w8(GICR_SGI(c) + 0x400 + PPI_HP, 0x80);
    WR(S3_0_C12_C12_5, 7);                            /* ICC_SRE_EL1 */
    WR(S3_0_C4_C6_0, 0xff);                           /* ICC_PMR_EL1 */
    WR(S3_0_C12_C12_3, 0);                            /* ICC_BPR1_EL1 */
    WR(S3_0_C12_C12_7, 1);                            /* ICC_IGRPEN1_EL1 */
    if (current_el() == 2)   /* physical IRQs to EL2: HCR_EL2.RW | IMO | FMO */
        WRITE_SYSREG(hcr_el2, (1ULL << 31) | (1ULL << 4) | (1ULL << 3));
}

static void enable_ppi(unsigned c, unsigned intid)
{
    w32(GICR_SGI(c) + 0x100, 1u << intid);            /* ISENABLER0 */
}

static void disable_ppi(unsigned c, unsigned intid)
{
    w32(GICR_SGI(c) + 0x180, 1u << intid);            /* ICENABLER0 */
    while (r32(GICR(c) + 0x0) & (1u << 31))           /* GICR_CTLR.RWP */
        ;
}

static void wait_phase(uint64_t p)
{
    while (LOAD(phase) < p)
        ;
}

static void wait_done(uint32_t p)
{
    for (unsigned c = 1; c < NCORES; c++)
        while (LOAD(rec[c].done) < p)
            ;
}

/* Phase 2: the physical timer of this core, a different delay per core. */
static void physical_timer(unsigned c)
{
    uint32_t before = rec[c].n;
    enable_ppi(c, PPI_P);
    WRITE_SYSREG(cntp_tval_el0, 2000 + 1500 * c);
    WRITE_SYSREG(cntp_ctl_el0, 1);
    while (LOAD(rec[c].n) == before)
        __asm__ volatile("wfi");
}

/* Phase 4: the second timer (virtual or EL2 physical) by compare value. */
static void second_timer(unsigned c)
{
    uint32_t before = rec[c].n;
    enable_ppi(c, second_ppi());
    if (second_ppi() == PPI_V) {
        WRITE_SYSREG(cntv_cval_el0, READ_SYSREG(cntvct_el0) + 1000 + 700 * c);
        WRITE_SYSREG(cntv_ctl_el0, 1);
    } else {
        WRITE_SYSREG(cnthp_cval_el2, READ_SYSREG(cntpct_el0) + 1000 + 700 * c);
        WRITE_SYSREG(cnthp_ctl_el2, 1);
    }
    while (LOAD(rec[c].n) == before)
        __asm__ volatile("wfi");
}

static void secondary(void *arg)
{
    unsigned c = (unsigned)(uintptr_t)arg;
    struct core_rec *r = &rec[c];
    trap_install(on_trap);
    gic_cpu_init(c);
    irq_unmask();
    /* phase 1: the compare value is per core */
    WRITE_SYSREG(cntp_ctl_el0, 0);
    WRITE_SYSREG(cntp_cval_el0, 0x123400000000ULL + c);
    STORE(r->done, 1);
    wait_phase(2);
    r->cval_readback = READ_SYSREG(cntp_cval_el0);
    physical_timer(c);
    STORE(r->done, 2);

    /* phase 3: core 1's timer fires with PPI 30 disabled at its redistributor */
    wait_phase(3);
    if (c == 1) {
        disable_ppi(c, PPI_P);
        WRITE_SYSREG(cntp_tval_el0, 100);
        WRITE_SYSREG(cntp_ctl_el0, 1);
        while (!(READ_SYSREG(cntp_ctl_el0) & 4))
            ;
        r->istatus = 1;
        STORE(isolation_ready, 1);
        while (LOAD(isolation_ready) != 2)
            ;
        uint32_t before = r->n;
        enable_ppi(c, PPI_P);                         /* now it is taken */
        while (LOAD(r->n) == before)
            __asm__ volatile("wfi");
    }
    STORE(r->done, 3);

    wait_phase(4);
    second_timer(c);
    STORE(r->done, 4);
}

static void print_phase(const char *what, uint32_t *base)
{
    printf("%s:\n", what);
    for (unsigned c = 0; c < NCORES; c++) {
        struct core_rec *r = &rec[c];
        printf("  core %u:", c);
        for (uint32_t i = base[c]; i < r->n && i < ARRAY_SIZE(r->log); i++)
            printf(" INTID %u (CTL %u, expired %u)", r->log[i], r->ctl_at_irq[i], r->expired[i]);
        printf("\n");
        base[c] = r->n;
    }
}

int main(void)
{
    trap_install(on_trap);
    unsigned el = current_el();
    printf("smp_timer at EL%u\n", el);
    w32(GICD + 0x0, (1u << 4) | (1u << 1));          /* GICD_CTLR: ARE, EnableGrp1 */
    gic_cpu_init(0);
    irq_unmask();
    WRITE_SYSREG(cntp_ctl_el0, 0);
    WRITE_SYSREG(cntp_cval_el0, 0x123400000000ULL);
    for (unsigned c = 1; c < NCORES; c++) {
        int64_t st = start_core(c, secondary, (void *)(uintptr_t)c, stacks[c] + sizeof(stacks[c]));
        if (st != 0) {
            printf("CPU_ON core %u: %ld; needs %u cores (-smp %u)\n", c, (long)st, NCORES, NCORES);
            return 1;
        }
    }
    wait_done(1);
    STORE(phase, 2);
    rec[0].cval_readback = READ_SYSREG(cntp_cval_el0);
    uint32_t base[NCORES] = {0};
    physical_timer(0);
    wait_done(2);
    printf("CNTP_CVAL_EL0 per core:");
    for (unsigned c = 0; c < NCORES; c++)
        printf(" %lx", (unsigned long)rec[c].cval_readback);
    printf("\n");
    print_phase("EL1 physical timer, each core", base);

    /* phase 3 */
    STORE(phase, 3);
    while (LOAD(isolation_ready) != 1)
        ;
    printf("core 1 timer fired with PPI 30 disabled: ISTATUS %u, pending at redistributors:",
           rec[1].istatus);
    for (unsigned c = 0; c < NCORES; c++)
        printf(" %u", (r32(GICR_SGI(c) + 0x200) >> PPI_P) & 1);   /* GICR_ISPENDR0 */
    printf("\n");
    STORE(isolation_ready, 2);
    wait_done(3);
    print_phase("after enabling it at core 1", base);

    /* phase 4 */
    STORE(phase, 4);
    second_timer(0);
    wait_done(4);
    print_phase(el == 2 ? "EL2 physical timer, each core" : "EL1 virtual timer, each core", base);

    for (unsigned c = 1; c < NCORES; c++)
        while (psci_call(PSCI_AFFINITY_INFO, c, 0, 0) != 1)
            ;
    printf("done\n");
    return 0;
}
