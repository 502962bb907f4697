/* Four cores and the GICv3 (IHI 0069): PSCI CPU_ON/AFFINITY_INFO, each core's redistributor
 * wake-up and CPU interface, SGIs between cores through ICC_SGI1R_EL1 (target list, Aff1,
 * IRM = 1 broadcast), SGIs pending at a masked core taken in priority order, WFI wake-up by
 * an SGI (PSTATE.I clear and set), WFE/SEV, the WFE wake-up event from the global monitor,
 * the exclusive monitor across cores and an LDXR/STXR counter plus a ticket lock.
 * Run with -smp 4, booted at EL1 or at EL2 (virtualization=on; interrupts then go to EL2
 * with HCR_EL2.IMO). Only core 0 prints, and only facts that do not depend on how the cores
 * interleave: every wait is on a flag the program sets, and secondaries record what they
 * saw for core 0 to print once the phase is over. */
#include "lib.h"

#define NCORES 4
#define GICD 0x08000000ULL
#define GICR(c) (0x080a0000ULL + 0x20000ULL * (uint64_t)(c))   /* RD_base */
#define GICR_SGI(c) (GICR(c) + 0x10000)                         /* SGI_base */

/* ICC registers by encoding (Arm ARM / IHI 0069 12.2) */
#define ICC_IAR1 S3_0_C12_C12_0
#define ICC_EOIR1 S3_0_C12_C12_1
#define ICC_HPPIR1 S3_0_C12_C12_2
#define ICC_SGI1R S3_0_C12_C11_5
/* expand the names above before READ_SYSREG/WRITE_SYSREG stringify them */
#define RD(name) READ_SYSREG(name)
#define WR(name, v) WRITE_SYSREG(name, v)

static inline void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline uint64_t r64(uint64_t a) { return *(volatile uint64_t *)a; }
static inline void w8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

/* Per-core record of everything a core saw; written only by that core. */
struct core_rec {
    uint64_t mpidr;
    uint32_t el;
    uint32_t waker_before, waker_after;
    uint64_t typer;
    uint32_t n;             /* SGIs acknowledged */
    uint32_t log[24];       /* their INTIDs, in order */
    uint32_t spurious;
    uint32_t hppir;         /* HPPIR1 seen while masked (priority phase) */
    uint32_t wfi_isr;       /* ISR_EL1.I seen after WFI with PSTATE.I = 1 */
    uint32_t wfi_iar;       /* INTID acknowledged by polling after that WFI */
    uint32_t stxr_after_store, stxr_after_other_stxr, stxr_alone, stxr_after_clrex;
    uint32_t sleeping;      /* about to wait in WFI (phase 3) */
    uint32_t done;          /* last phase finished */
};
static struct core_rec rec[NCORES];

static unsigned char stacks[NCORES][16384] __attribute__((aligned(16)));

/* Flags each in their own 4 KiB page, far from the exclusive test location, so no store to
 * a flag falls into the monitored granule. */
struct page {
    uint64_t v;
    uint64_t pad[511];
};
static struct page phase_pg __attribute__((aligned(4096)));
static struct page flag_a, flag_b, wfe_flag, wfe_flag2, excl_loc __attribute__((aligned(4096)));
static struct page counter_pg, ticket_next, ticket_serving, plain_counter __attribute__((aligned(4096)));
static struct page arrived, woken, go __attribute__((aligned(4096)));
#define phase (phase_pg.v)

#define ITERS 1000

static unsigned core_id(void)
{
    return (unsigned)READ_SYSREG(mpidr_el1) & 0xff;
}

static void irq_unmask(void) { __asm__ volatile("msr daifclr, #2\n isb" ::: "memory"); }
static void irq_mask(void) { __asm__ volatile("msr daifset, #2\n isb" ::: "memory"); }

static void on_trap(struct trap_frame *f, unsigned vec)
{
    (void)f;
    if ((vec & 3) != 1) {
        struct trap_info t;
        trap_info(&t);
        if ((t.esr >> 26) == 0x15 && (t.esr & 0xffff) == 0x5e)
            return;                       /* SVC #0x5e: just return (ERET) */
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
    if (r->n < ARRAY_SIZE(r->log))
        r->log[r->n] = intid;
    WR(ICC_EOIR1, intid);
    STORE(r->n, r->n + 1);
}

/* The redistributor and CPU interface of the calling core (IHI 0069 4.7, 12.11.44). */
static void gic_cpu_init(unsigned c)
{
    struct core_rec *r = &rec[c];
    r->typer = r64(GICR(c) + 0x8);
    r->waker_before = r32(GICR(c) + 0x14);
    w32(GICR(c) + 0x14, r32(GICR(c) + 0x14) & ~2u);   /* ProcessorSleep = 0 */
    while (r32(GICR(c) + 0x14) & 4u)                  /* ChildrenAsleep */
        ;
    r->waker_after = r32(GICR(c) + 0x14);
    w32(GICR_SGI(c) + 0x80, 0xffffffffu);             /* IGROUPR0: SGIs/PPIs Group 1 */
    for (unsigned i = 0; i < 16; i++)
        w8(GICR_SGI(c) + 0x400 + i, 0x80);
    if (c == 1) {
        /* priority order test: SGI 2 highest, then 3, then 1 */
        w8(GICR_SGI(c) + 0x400 + 1, 0xa0);
        w8(GICR_SGI(c) + 0x400 + 2, 0x20);
        w8(GICR_SGI(c) + 0x400 + 3, 0x60);
    }
    w32(GICR_SGI(c) + 0x100, 0xffff);                 /* ISENABLER0: SGIs 0-15 */
    WRITE_SYSREG(S3_0_C12_C12_5, 7);                  /* ICC_SRE_EL1 */
    WRITE_SYSREG(S3_0_C4_C6_0, 0xff);                 /* ICC_PMR_EL1 */
    WRITE_SYSREG(S3_0_C12_C12_3, 0);                  /* ICC_BPR1_EL1 */
    WRITE_SYSREG(S3_0_C12_C12_7, 1);                  /* ICC_IGRPEN1_EL1 */
    if (current_el() == 2)   /* physical IRQs to EL2: HCR_EL2.RW | IMO | FMO */
        WRITE_SYSREG(hcr_el2, (1ULL << 31) | (1ULL << 4) | (1ULL << 3));
}

/* ICC_SGI1R_EL1 (IHI 0069 12.2.21): TargetList [15:0], Aff1 [23:16], INTID [27:24],
 * Aff2 [39:32], IRM [40], RS [47:44], Aff3 [55:48]. */
static void send_sgi(unsigned intid, uint16_t targets, unsigned aff1)
{
    WR(ICC_SGI1R, (uint64_t)intid << 24 | (uint64_t)aff1 << 16 | targets);
}

static void send_sgi_all_but_self(unsigned intid)
{
    WR(ICC_SGI1R, (uint64_t)intid << 24 | 1ULL << 40);
}

static void wait_n(unsigned c, uint32_t n)
{
    while (LOAD(rec[c].n) < n)
        ;
}

/* Secondaries wait for the next phase in WFE (next_phase() sends SEV), so idle cores sleep. */
static void wait_phase(uint64_t p)
{
    while (LOAD(phase) < p)
        __asm__ volatile("wfe");
}

static void phase_done(unsigned c, uint32_t p)
{
    STORE(rec[c].done, p);
}

static void wait_done(uint32_t p)
{
    for (unsigned c = 1; c < NCORES; c++)
        while (LOAD(rec[c].done) < p)
            ;
}

static uint64_t atomic_inc(uint64_t *p)
{
    uint64_t old, tmp;
    uint32_t fail;
    __asm__ volatile("1: ldxr %0, [%3]\n"
                     "add %1, %0, #1\n"
                     "stxr %w2, %1, [%3]\n"
                     "cbnz %w2, 1b\n"
                     : "=&r"(old), "=&r"(tmp), "=&r"(fail)
                     : "r"(p)
                     : "memory");
    return old;
}

static void ticket_lock(void)
{
    uint64_t t = atomic_inc(&ticket_next.v);
    while (LOAD(ticket_serving.v) != t)
        ;
}

static void ticket_unlock(void)
{
    STORE(ticket_serving.v, ticket_serving.v + 1);
}

/* LDXR, tell core 0, wait for core 0 (which may touch the location), then STXR. */
static uint32_t excl_pair(int clrex)
{
    uint64_t v;
    uint32_t st;
    __asm__ volatile("ldxr %0, [%2]\n"
                     "cbz %w4, 2f\n"
                     "clrex\n"
                     "2: mov w9, #1\n"
                     "dmb ish\n"
                     "str x9, [%3]\n"             /* flag_a = 1 */
                     "1: ldar x9, [%5]\n"         /* wait for flag_b */
                     "cbz x9, 1b\n"
                     "add %0, %0, #0x100\n"
                     "stxr %w1, %0, [%2]\n"
                     : "=&r"(v), "=&r"(st)
                     : "r"(&excl_loc.v), "r"(&flag_a.v), "r"(clrex), "r"(&flag_b.v)
                     : "x9", "memory");
    STORE(flag_a.v, 0);
    while (LOAD(flag_b.v))
        ;
    return st;
}

static void secondary(void *arg)
{
    unsigned c = (unsigned)(uintptr_t)arg;
    struct core_rec *r = &rec[c];
    trap_install(on_trap);
    r->mpidr = READ_SYSREG(mpidr_el1);
    r->el = current_el();
    gic_cpu_init(c);
    irq_unmask();
    phase_done(c, 1);

    /* phase 2: SGIs from core 0 (handled by on_trap) */
    wait_phase(2);
    if (c == 1) {
        /* SGIs 1, 2, 3 arrive while masked; taken in priority order once unmasked */
        irq_mask();
        STORE(flag_a.v, 1);
        while (!LOAD(flag_b.v))
            ;
        r->hppir = (uint32_t)RD(ICC_HPPIR1);
        irq_unmask();
        STORE(flag_a.v, 0);
    }
    wait_phase(3);

    /* phase 3: WFI wake-up. Core 2 sleeps with interrupts unmasked; core 3 with PSTATE.I set
     * (the wake-up event does not depend on PSTATE, D1.16.2) and acknowledges by polling. */
    if (c == 2) {
        /* check and sleep with IRQs masked (WFI still wakes on the pending SGI), then unmask
         * to take it: no lost wake-up if the SGI lands between the check and the WFI */
        uint32_t before = r->n;
        irq_mask();
        STORE(r->sleeping, 1);
        while (LOAD(r->n) == before) {
            __asm__ volatile("wfi");
            irq_unmask();
            irq_mask();
        }
        irq_unmask();
    } else if (c == 3) {
        irq_mask();
        STORE(r->sleeping, 1);
        while (!(READ_SYSREG(isr_el1) & 0x80))
            __asm__ volatile("wfi");
        r->wfi_isr = 1;
        unsigned intid = (unsigned)RD(ICC_IAR1) & 0xffffff;
        r->wfi_iar = intid;
        WR(ICC_EOIR1, intid);
        irq_unmask();
    }
    phase_done(c, 3);

    /* phase 4: WFE until core 0 sets the flag and sends SEV */
    wait_phase(4);
    atomic_inc(&arrived.v);
    while (!LOAD(wfe_flag.v))
        __asm__ volatile("wfe");
    atomic_inc(&woken.v);
    phase_done(c, 4);

    /* phase 5: WFE with the flag marked by LDAXR: core 0's plain store clears the global
     * monitor, which is a WFE wake-up event (Arm ARM D1.16.1); no SEV */
    wait_phase(5);
    __asm__ volatile("sevl\n wfe");     /* clear the event register */
    atomic_inc(&arrived.v);
    {
        uint64_t v;
        __asm__ volatile("1: ldaxr %0, [%1]\n"
                         "cbnz %0, 2f\n"
                         "wfe\n"
                         "b 1b\n"
                         "2: clrex\n"
                         : "=&r"(v)
                         : "r"(&wfe_flag2.v)
                         : "memory");
    }
    atomic_inc(&woken.v);
    /* ... and an exception return sets the event register (D1.6.1): core 2 clears it, takes
     * an SVC and returns, then WFE must not wait */
    if (c == 2) {
        __asm__ volatile("sevl\n wfe\n svc #0x5e\n wfe" ::: "memory");
        atomic_inc(&flag_a.v);
    }
    phase_done(c, 5);

    /* phase 6: exclusive monitor (core 1 only, interrupts masked) */
    wait_phase(6);
    if (c == 1) {
        irq_mask();
        r->stxr_after_store = excl_pair(0);
        r->stxr_after_other_stxr = excl_pair(0);
        r->stxr_alone = excl_pair(0);
        r->stxr_after_clrex = excl_pair(1);
        irq_unmask();
    }
    phase_done(c, 6);

    /* phase 7: counters */
    wait_phase(7);
    while (!LOAD(go.v))
        ;
    for (int i = 0; i < ITERS; i++) {
        atomic_inc(&counter_pg.v);
        ticket_lock();
        plain_counter.v++;
        ticket_unlock();
    }
    phase_done(c, 7);
    /* returning turns the core off (PSCI CPU_OFF) */
}

static const char *aff_name(int64_t v)
{
    return v == 0 ? "on" : v == 1 ? "off" : v == 2 ? "on-pending" : "error";
}

static void print_log(unsigned c, const char *what, uint32_t from)
{
    printf("  core %u %s:", c, what);
    for (uint32_t i = from; i < rec[c].n && i < ARRAY_SIZE(rec[c].log); i++)
        printf(" %u", rec[c].log[i]);
    printf("\n");
}

static void next_phase(uint64_t p)
{
    STORE(phase, p);
    __asm__ volatile("dsb ish\n sev" ::: "memory");
}

/* Wait for `n` cores to count in `ctr`, or give up after `ms` milliseconds of counter time. */
static int wait_count(uint64_t *ctr, uint64_t n, unsigned ms)
{
    uint64_t freq = READ_SYSREG(cntfrq_el0);
    uint64_t end = READ_SYSREG(cntpct_el0) + freq / 1000 * ms;
    while (LOAD(*ctr) < n)
        if (READ_SYSREG(cntpct_el0) > end)
            return 0;
    return 1;
}

int main(void)
{
    trap_install(on_trap);
    unsigned el = current_el();
    printf("smp_ipi at EL%u\n", el);
    w32(GICD + 0x0, (1u << 4) | (1u << 1));          /* GICD_CTLR: ARE, EnableGrp1 */
    rec[0].mpidr = READ_SYSREG(mpidr_el1);
    rec[0].el = el;
    gic_cpu_init(0);
    irq_unmask();

    /* ---- 1: bring-up ---- */
    for (unsigned c = 1; c < NCORES; c++)
        printf("core %u before CPU_ON: %s\n", c, aff_name(psci_call(PSCI_AFFINITY_INFO, c, 0, 0)));
    for (unsigned c = 1; c < NCORES; c++) {
        int64_t st = start_core(c, secondary, (void *)(uintptr_t)c, stacks[c] + sizeof(stacks[c]));
        printf("CPU_ON core %u: %ld\n", c, (long)st);
        if (st != 0) {
            printf("needs %u cores (-smp %u)\n", NCORES, NCORES);
            return 1;
        }
    }
    wait_done(1);
    for (unsigned c = 0; c < NCORES; c++) {
        struct core_rec *r = &rec[c];
        uint64_t t = r->typer;
        printf("core %u: MPIDR %08lx EL%u AFFINITY_INFO %s; GICR_TYPER aff %08lx cpu %lu last %lu;"
               " WAKER %x -> %x\n",
               c, (unsigned long)r->mpidr, r->el, aff_name(psci_call(PSCI_AFFINITY_INFO, c, 0, 0)),
               (unsigned long)(t >> 32), (unsigned long)((t >> 8) & 0xffff),
               (unsigned long)((t >> 4) & 1), r->waker_before & 6, r->waker_after & 6);
    }

    /* ---- 2: SGIs ---- */
    next_phase(2);
    while (!LOAD(flag_a.v))           /* core 1 masked */
        ;
    send_sgi(3, 1u << 1, 0);
    send_sgi(1, 1u << 1, 0);
    send_sgi(2, 1u << 1, 0);
    __asm__ volatile("isb");
    uint32_t pend1 = r32(GICR_SGI(1) + 0x200) & 0xffff;   /* GICR_ISPENDR0 of core 1 */
    STORE(flag_b.v, 1);
    wait_n(1, 3);
    while (LOAD(flag_a.v))
        ;
    STORE(flag_b.v, 0);
    printf("SGIs 3, 1, 2 to masked core 1: ISPENDR0 0x%x, HPPIR1 %u\n", pend1, rec[1].hppir);
    print_log(1, "took", 0);

    uint32_t base[NCORES];
    for (unsigned c = 0; c < NCORES; c++)
        base[c] = LOAD(rec[c].n);
    /* one target each: SGI 4 + c to core c, waiting for each acknowledgement */
    for (unsigned c = 1; c < NCORES; c++) {
        send_sgi(4 + c, (uint16_t)(1u << c), 0);
        wait_n(c, base[c] + 1);
    }
    send_sgi(4, 1u << 0, 0);            /* to self */
    __asm__ volatile("isb");
    wait_n(0, base[0] + 1);
    /* a target list with three cores */
    send_sgi(8, 0xe, 0);
    for (unsigned c = 1; c < NCORES; c++)
        wait_n(c, base[c] + 2);
    /* Aff1 = 1: no such core; nothing may arrive */
    send_sgi(9, 0xf, 1);
    /* IRM = 1: every core but this one */
    send_sgi_all_but_self(10);
    for (unsigned c = 1; c < NCORES; c++)
        wait_n(c, base[c] + 3);
    /* a final round to all four, so anything wrongly sent above has arrived by now */
    send_sgi(11, 0xf, 0);
    __asm__ volatile("isb");
    for (unsigned c = 0; c < NCORES; c++)
        wait_n(c, base[c] + (c == 0 ? 2 : 4));
    printf("SGIs by target list, Aff1=1 (nobody), IRM=1 broadcast, all four:\n");
    for (unsigned c = 0; c < NCORES; c++)
        print_log(c, "took", base[c]);

    /* ---- 3: WFI wake-up ---- */
    for (unsigned c = 0; c < NCORES; c++)
        base[c] = LOAD(rec[c].n);
    next_phase(3);
    while (!LOAD(rec[2].sleeping))
        ;
    send_sgi(12, 1u << 2, 0);
    while (!LOAD(rec[3].sleeping))
        ;
    send_sgi(13, 1u << 3, 0);
    wait_done(3);
    print_log(2, "woke from WFI (PSTATE.I=0) and took", base[2]);
    printf("  core 3 woke from WFI (PSTATE.I=1): ISR_EL1.I=%u, polled IAR1 %u, handler took %u\n",
           rec[3].wfi_isr, rec[3].wfi_iar, rec[3].n - base[3]);

    /* ---- 4: WFE / SEV ---- */
    STORE(arrived.v, 0);
    STORE(woken.v, 0);
    next_phase(4);
    while (LOAD(arrived.v) != NCORES - 1)
        ;
    STORE(wfe_flag.v, 1);
    __asm__ volatile("dsb ish\n sev" ::: "memory");
    wait_done(4);
    printf("WFE: %lu cores waited, %lu woke after the flag and SEV\n", (unsigned long)arrived.v,
           (unsigned long)woken.v);

    /* ---- 5: WFE woken by a store to the monitored location ---- */
    STORE(arrived.v, 0);
    STORE(woken.v, 0);
    next_phase(5);
    while (LOAD(arrived.v) != NCORES - 1)
        ;
    wfe_flag2.v = 1;                    /* plain store, no SEV */
    __asm__ volatile("dsb ish" ::: "memory");
    int all = wait_count(&woken.v, NCORES - 1, 1000);
    if (!all)
        __asm__ volatile("sev");
    printf("WFE after LDAXR: store by another core woke %s\n",
           all ? "all three" : "not all (SEV needed)");
    all = wait_count(&flag_a.v, 1, 1000);
    if (!all)
        __asm__ volatile("sev");
    wait_done(5);
    printf("WFE after an exception return: %s\n", all ? "did not wait" : "waited (SEV needed)");
    STORE(flag_a.v, 0);

    /* ---- 6: exclusive monitor across cores ---- */
    excl_loc.v = 0x1000;
    next_phase(6);
    /* 1: a store to the location between core 1's LDXR and STXR */
    while (!LOAD(flag_a.v))
        ;
    excl_loc.v = 0x2000;
    STORE(flag_b.v, 1);
    while (LOAD(flag_a.v))
        ;
    STORE(flag_b.v, 0);
    /* 2: a successful LDXR/STXR of core 0 in between */
    while (!LOAD(flag_a.v))
        ;
    atomic_inc(&excl_loc.v);
    STORE(flag_b.v, 1);
    while (LOAD(flag_a.v))
        ;
    STORE(flag_b.v, 0);
    /* 3, 4: nothing in between (the second with CLREX on core 1) */
    for (int i = 0; i < 2; i++) {
        while (!LOAD(flag_a.v))
            ;
        STORE(flag_b.v, 1);
        while (LOAD(flag_a.v))
            ;
        STORE(flag_b.v, 0);
    }
    wait_done(6);
    printf("core 1 STXR status: after core 0's store %u, after core 0's STXR %u, alone %u,"
           " after CLREX %u; value 0x%lx\n",
           rec[1].stxr_after_store, rec[1].stxr_after_other_stxr, rec[1].stxr_alone,
           rec[1].stxr_after_clrex, (unsigned long)excl_loc.v);

    /* ---- 7: LDXR/STXR counter and a ticket lock, four cores ---- */
    next_phase(7);
    STORE(go.v, 1);
    for (int i = 0; i < ITERS; i++) {
        atomic_inc(&counter_pg.v);
        ticket_lock();
        plain_counter.v++;
        ticket_unlock();
    }
    wait_done(7);
    printf("counters: LDXR/STXR %lu, under ticket lock %lu, tickets %lu (expected %u)\n",
           (unsigned long)counter_pg.v, (unsigned long)plain_counter.v,
           (unsigned long)ticket_next.v, NCORES * ITERS);

    /* ---- 8: secondaries turn themselves off ---- */
    for (unsigned c = 1; c < NCORES; c++) {
        while (psci_call(PSCI_AFFINITY_INFO, c, 0, 0) != 1)
            ;
        printf("core %u off\n", c);
    }
    unsigned spur = 0;
    for (unsigned c = 0; c < NCORES; c++)
        spur += rec[c].spurious;
    (void)spur;   /* spurious acknowledgements depend on timing: not printed */
    printf("done\n");
    return counter_pg.v == NCORES * ITERS && plain_counter.v == NCORES * ITERS ? 0 : 1;
}
