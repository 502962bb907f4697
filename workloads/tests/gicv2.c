/* Four cores and the GICv2 (IHI 0048B) of `-M virt,gic-version=2`: the memory-mapped
 * distributor and CPU interface, banked per core. SGIs between cores through GICD_SGIR (target
 * list, all but self, self) with the source core in GICC_IAR[12:10]; one SGI pending from
 * three sources (GICD_SPENDSGIR) acknowledged one source at a time; SPIs routed by
 * GICD_ITARGETSR; pending interrupts taken in priority order; preemption by a higher group
 * priority and none by the same one; the virtual timer's PPI 27; EOImode 1 (priority drop,
 * then GICC_DIR); Group 1 with GICC_CTLR.AckCtl. There are no ICC_* System registers:
 * ID_AA64PFR0_EL1.GIC reads 0 and ICC_SRE_EL1/EL2 are UNDEFINED. Run with -smp 4, booted at
 * EL1 or at EL2 (interrupts then go to EL2 with HCR_EL2.IMO). Only core 0 prints, and only
 * facts that do not depend on how the cores interleave. */
#include "lib.h"

#define NCORES 4
#define GICD 0x08000000ULL
#define GICC 0x08010000ULL
enum { GICC_CTLR = 0x00, GICC_PMR = 0x04, GICC_BPR = 0x08, GICC_IAR = 0x0c, GICC_EOIR = 0x10,
       GICC_RPR = 0x14, GICC_HPPIR = 0x18, GICC_DIR = 0x1000 };

static inline void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline void w8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline uint8_t r8(uint64_t a) { return *(volatile uint8_t *)a; }

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

struct core_rec {
    uint32_t itargets0;     /* GICD_ITARGETSR0 as this core reads it */
    uint32_t n;             /* interrupts acknowledged */
    uint32_t log[16];       /* GICC_IAR values, in order */
    uint32_t rpr[16];       /* GICC_RPR right after each acknowledgement */
    uint32_t polled;        /* GICC_IAR read by polling (phase 4) */
    uint32_t done;
};
static struct core_rec rec[NCORES];
static unsigned char stacks[NCORES][16384] __attribute__((aligned(16)));
static volatile uint64_t phase;
static volatile uint32_t nested_hppir;
static volatile uint32_t poll_turn;

static unsigned core_id(void)
{
    return (unsigned)READ_SYSREG(mpidr_el1) & 0xff;
}

static void irq_unmask(void) { __asm__ volatile("msr daifclr, #2\n isb" ::: "memory"); }
static void irq_mask(void) { __asm__ volatile("msr daifset, #2\n isb" ::: "memory"); }

static void pend_spi(unsigned n)
{
    w32(GICD + 0x200 + 4 * (n / 32), 1u << (n % 32));        /* GICD_ISPENDR */
}

static void spi_config(unsigned n, uint8_t prio, uint8_t targets)
{
    w8(GICD + 0x400 + n, prio);
    w8(GICD + 0x800 + n, targets);
    w32(GICD + 0x100 + 4 * (n / 32), 1u << (n % 32));        /* GICD_ISENABLER */
}

static void log_irq(struct core_rec *r, uint32_t iar)
{
    if (r->n < ARRAY_SIZE(r->log)) {
        r->log[r->n] = iar;
        r->rpr[r->n] = r32(GICC + GICC_RPR);
    }
    STORE(r->n, r->n + 1);
}

/* SPI 43's handler lets SPI 44 (higher group priority) preempt it, and leaves SPI 45 (the
 * same group priority) pending until it ends. The exception registers are saved around the
 * nested exception, as any handler that unmasks must. */
static void nest(void)
{
    uint64_t elr, spsr;
    if (current_el() == 2)
        elr = READ_SYSREG(elr_el2), spsr = READ_SYSREG(spsr_el2);
    else
        elr = READ_SYSREG(elr_el1), spsr = READ_SYSREG(spsr_el1);
    pend_spi(44);
    pend_spi(45);
    irq_unmask();
    __asm__ volatile("isb");
    nested_hppir = r32(GICC + GICC_HPPIR);
    irq_mask();
    if (current_el() == 2) {
        WRITE_SYSREG(elr_el2, elr);
        WRITE_SYSREG(spsr_el2, spsr);
    } else {
        WRITE_SYSREG(elr_el1, elr);
        WRITE_SYSREG(spsr_el1, spsr);
    }
}

/* a System-register access expected to be UNDEFINED: the exception class it took */
static volatile uint32_t expect_undef, undef_ec;

static void on_trap(struct trap_frame *f, unsigned vec)
{
    (void)f;
    if ((vec & 3) != 1) {
        struct trap_info t;
        trap_info(&t);
        if ((vec & 3) == 0 && expect_undef) {
            expect_undef = 0;
            undef_ec = (uint32_t)(t.esr >> 26);
            trap_set_return(t.spsr, t.elr + 4);
            return;
        }
        printf("core %u: unexpected exception vec %u ESR 0x%llx ELR 0x%llx\n", core_id(), vec,
               (unsigned long long)t.esr, (unsigned long long)t.elr);
        system_off();
    }
    struct core_rec *r = &rec[core_id()];
    uint32_t iar = r32(GICC + GICC_IAR);
    unsigned intid = iar & 0x3ff;
    if (intid >= 1020)
        return;
    log_irq(r, iar);
    if (intid == 27)
        WRITE_SYSREG(cntv_ctl_el0, 0);                   /* level: quiet the timer first */
    if (intid == 43)
        nest();
    w32(GICC + GICC_EOIR, iar);
}

/* The calling core's CPU interface and its banked SGI/PPI configuration. */
static void gic_cpu_init(unsigned c)
{
    rec[c].itargets0 = r32(GICD + 0x800);
    w32(GICD + 0x100, 0xffffu);                          /* GICD_ISENABLER0: SGIs */
    for (unsigned i = 0; i < 32; i++)
        w8(GICD + 0x400 + i, 0x80);
    w32(GICC + GICC_PMR, 0xf0);
    w32(GICC + GICC_BPR, 0);                             /* clamped to the minimum */
    w32(GICC + GICC_CTLR, 1);                            /* EnableGrp0 */
    if (current_el() == 2)   /* physical IRQs to EL2: HCR_EL2.RW | IMO | FMO */
        WRITE_SYSREG(hcr_el2, (1ULL << 31) | (1ULL << 4) | (1ULL << 3));
}

static void wait_phase(uint64_t p)
{
    while (LOAD(phase) < p)
        __asm__ volatile("wfe");
}

static void next_phase(uint64_t p)
{
    __asm__ volatile("dsb sy" ::: "memory");
    STORE(phase, p);
    __asm__ volatile("dsb sy\n sev" ::: "memory");
}

static void wait_done(uint32_t p)
{
    for (unsigned c = 1; c < NCORES; c++)
        while (LOAD(rec[c].done) < p)
            ;
}

/* GICD_SGIR: TargetListFilter [25:24], CPUTargetList [23:16], SGIINTID [3:0] */
static void sgir(unsigned filter, unsigned targets, unsigned intid)
{
    w32(GICD + 0xf00, filter << 24 | targets << 16 | intid);
}

static void secondary(void *arg)
{
    unsigned c = (unsigned)(uintptr_t)arg;
    trap_install(on_trap);
    gic_cpu_init(c);
    irq_unmask();
    STORE(rec[c].done, 1);

    /* phase 2: SGIs from core 0; core 3 also sends SGI 4 to itself */
    wait_phase(2);
    if (c == 3)
        sgir(2, 0, 4);
    STORE(rec[c].done, 2);

    /* phase 3: each sends SGI 5 to core 0, which has interrupts masked */
    wait_phase(3);
    sgir(0, 1, 5);
    STORE(rec[c].done, 3);

    /* phase 4: SPIs routed by GICD_ITARGETSR: core 2 takes SPI 50 in on_trap; cores 1 and 3,
     * interrupts masked, poll GICC_IAR for SPI 51 one after the other */
    wait_phase(4);
    if (c != 2)
        irq_mask();
    STORE(rec[c].done, 4);
    if (c != 2) {
        while (LOAD(poll_turn) != c)
            ;
        uint32_t iar = r32(GICC + GICC_IAR);
        rec[c].polled = iar;
        if ((iar & 0x3ff) < 1020)
            w32(GICC + GICC_EOIR, iar);
        STORE(poll_turn, c + 2);
        irq_unmask();
    }
    wait_phase(5);          /* returning turns the core off (PSCI CPU_OFF) */
}

static void print_log(unsigned c, const char *what, uint32_t from)
{
    printf("core %u %s:", c, what);
    for (uint32_t i = from; i < rec[c].n && i < ARRAY_SIZE(rec[c].log); i++)
        printf(" %u/cpu%u", rec[c].log[i] & 0x3ff, (rec[c].log[i] >> 10) & 7);
    printf("\n");
}

int main(void)
{
    unsigned el = current_el();
    printf("gicv2 at EL%u\n", el);
    printf("ID_AA64PFR0_EL1.GIC %llu\n", (unsigned long long)(READ_SYSREG(id_aa64pfr0_el1) >> 24 & 0xf));
    uint32_t typer = r32(GICD + 0x004);
    printf("GICD_TYPER ITLinesNumber %u CPUNumber %u SecurityExtn %u\n", typer & 0x1f,
           (typer >> 5) & 7, (typer >> 10) & 1);
    printf("GICD_ICFGR0 0x%x\n", r32(GICD + 0xc00));
    trap_install(on_trap);
    /* no GIC System registers: ICC_SRE_EL1 (and at EL2 ICC_SRE_EL2) are UNDEFINED (EC 0) */
    undef_ec = 0xff;
    expect_undef = 1;
    READ_SYSREG(S3_0_C12_C12_5);
    printf("MRS ICC_SRE_EL1: EC 0x%x\n", undef_ec);
    if (el == 2) {
        undef_ec = 0xff;
        expect_undef = 1;
        READ_SYSREG(S3_4_C12_C9_5);
        printf("MRS ICC_SRE_EL2: EC 0x%x\n", undef_ec);
    }
    w32(GICD + 0x000, 1);                                /* GICD_CTLR: EnableGrp0 */
    gic_cpu_init(0);
    for (unsigned c = 1; c < NCORES; c++)
        start_core(c, secondary, (void *)(uintptr_t)c, &stacks[c][sizeof stacks[c]]);
    wait_done(1);
    for (unsigned c = 0; c < NCORES; c++)
        printf("core %u: GICD_ITARGETSR0 0x%08x\n", c, rec[c].itargets0);

    /* phase 2: SGI 1 to the list {1, 2}, SGI 2 to all but core 0; core 3 sends SGI 4 to
     * itself */
    irq_unmask();
    sgir(0, 0x6, 1);
    sgir(1, 0, 2);
    next_phase(2);
    wait_done(2);
    while (LOAD(rec[1].n) < 2 || LOAD(rec[2].n) < 2 || LOAD(rec[3].n) < 2)
        ;
    for (unsigned c = 1; c < NCORES; c++)
        print_log(c, "SGIs", 0);

    /* phase 3: SGI 5 pending from cores 1, 2 and 3 at once, acknowledged by polling */
    irq_mask();
    next_phase(3);
    wait_done(3);
    printf("GICD_SPENDSGIR SGI 5: sources 0x%x\n", r8(GICD + 0xf20 + 5));
    for (int i = 0; i < 4; i++) {
        uint32_t iar = r32(GICC + GICC_IAR);
        printf("polled GICC_IAR: %u/cpu%u\n", iar & 0x3ff, (iar >> 10) & 7);
        if ((iar & 0x3ff) < 1020)
            w32(GICC + GICC_EOIR, iar);
    }

    /* phase 4: SPI 50 to core 2; SPI 51 to cores 1 and 3, which poll in turn */
    uint32_t n2 = rec[2].n;
    next_phase(4);
    wait_done(4);
    spi_config(50, 0x80, 1u << 2);
    spi_config(51, 0x80, (1u << 1) | (1u << 3));
    pend_spi(50);
    pend_spi(51);
    while (LOAD(rec[2].n) == n2)
        ;
    print_log(2, "SPI", n2);
    STORE(poll_turn, 1);
    while (LOAD(poll_turn) != 5)
        ;
    printf("SPI 51: core 1 polled %u\n", rec[1].polled & 0x3ff);
    /* IHI 0048B 1.4.3: SPIs follow the 1-N model, one core handles the interrupt, and the
     * other then finds nothing; QEMU's GICv2 leaves it pending at every targeted core (N-N) */
    printf("armarm: SPI 51: core 3 polled after core 1 %u\n", rec[3].polled & 0x3ff);
    next_phase(5);

    /* priority order: three SPIs pended while masked */
    struct core_rec *r = &rec[0];
    uint32_t n0 = r->n;
    spi_config(40, 0xa0, 1);
    spi_config(41, 0x60, 1);
    spi_config(42, 0x20, 1);
    pend_spi(40);
    pend_spi(41);
    pend_spi(42);
    printf("GICC_HPPIR while masked: %u\n", r32(GICC + GICC_HPPIR));
    irq_unmask();
    irq_mask();
    print_log(0, "priority order", n0);

    /* preemption with GICC_BPR 3 (group priority bits [7:4]): SPI 44 (0x40) preempts SPI 43
     * (0xc8); SPI 45 (0xc0: higher priority, but the same group priority 0xc0) waits for the
     * end of 43 */
    n0 = r->n;
    w32(GICC + GICC_BPR, 3);
    spi_config(43, 0xc8, 1);
    spi_config(44, 0x40, 1);
    spi_config(45, 0xc0, 1);
    pend_spi(43);
    irq_unmask();
    irq_mask();
    print_log(0, "nested", n0);
    for (uint32_t i = n0; i < r->n; i++)
        printf("  RPR after acknowledging %u: 0x%x\n", r->log[i] & 0x3ff, r->rpr[i]);
    printf("GICC_HPPIR inside 43 after 44 ended: %u\n", nested_hppir);
    printf("GICC_RPR idle: 0x%x\n", r32(GICC + GICC_RPR));

    /* the virtual timer's PPI 27 wakes WFI */
    n0 = r->n;
    w32(GICD + 0x100, 1u << 27);
    WRITE_SYSREG(cntv_tval_el0, 2000);
    WRITE_SYSREG(cntv_ctl_el0, 1);
    irq_unmask();
    while (r->n == n0)
        __asm__ volatile("wfi");
    irq_mask();
    print_log(0, "timer", n0);

    /* EOImode 1: GICC_EOIR drops the priority, GICC_DIR deactivates */
    w32(GICC + GICC_CTLR, 1 | (1u << 9));
    spi_config(46, 0x80, 1);
    pend_spi(46);
    uint32_t iar = r32(GICC + GICC_IAR);
    w32(GICC + GICC_EOIR, iar);
    printf("EOImode 1: acknowledged %u, after EOIR RPR 0x%x active %u", iar,
           r32(GICC + GICC_RPR), (r32(GICD + 0x304) >> (46 - 32)) & 1);
    w32(GICC + GICC_DIR, iar);
    printf(", after DIR active %u\n", (r32(GICD + 0x304) >> (46 - 32)) & 1);

    /* Group 1: GICC_IAR gives 1022 unless AckCtl is set */
    w32(GICD + 0x000, 3);
    w32(GICD + 0x084, 1u << (47 - 32));                  /* GICD_IGROUPR1: 47 in Group 1 */
    w32(GICC + GICC_CTLR, 3);
    spi_config(47, 0x80, 1);
    pend_spi(47);
    printf("Group 1, AckCtl 0: GICC_IAR %u\n", r32(GICC + GICC_IAR));
    w32(GICC + GICC_CTLR, 3 | (1u << 2));
    iar = r32(GICC + GICC_IAR);
    printf("Group 1, AckCtl 1: GICC_IAR %u\n", iar);
    w32(GICC + GICC_EOIR, iar);
    printf("done\n");
    return 0;
}
