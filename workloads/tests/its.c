/* The GICv3 ITS and LPIs (IHI 0069 chapter 5, 8.19) on two cores: the LPI configuration and
 * pending tables, a two-level device table and a flat collection table, the command queue
 * (MAPC, MAPD, MAPTI, MAPI, INT, CLEAR, DISCARD, INV, INVALL, MOVI, MOVALL, SYNC), LPIs raised
 * by INT and by writes to GITS_TRANSLATER, acknowledged through ICC_IAR1_EL1 on the core their
 * collection targets with the priority and enable bit of the configuration table, and taken as
 * an IRQ exception. Run with -smp 2 (virt's ITS at 0x08080000). Only core 0 prints; core 1
 * drains its CPU interface when asked and records what it saw. Nothing printed depends on how
 * the two cores interleave. */
#include "lib.h"

#define GICD 0x08000000ULL
#define GICR(c) (0x080a0000ULL + 0x20000ULL * (uint64_t)(c))
#define GITS 0x08080000ULL
#define GITS_TRANSLATER (GITS + 0x10040)

#define ICC_IAR1 S3_0_C12_C12_0
#define ICC_EOIR1 S3_0_C12_C12_1
#define ICC_HPPIR1 S3_0_C12_C12_2
#define ICC_RPR S3_0_C12_C11_3
#define RD(name) READ_SYSREG(name)
#define WR(name, v) WRITE_SYSREG(name, v)

static inline void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline void w64(uint64_t a, uint64_t v) { *(volatile uint64_t *)a = v; }
static inline uint64_t r64(uint64_t a) { return *(volatile uint64_t *)a; }
static inline void dsb(void) { __asm__ volatile("dsb sy" ::: "memory"); }

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

#define LPI 8192
#define IDBITS 16
#define PAGE64K 65536

/* Tables in memory; 64 KiB pages for the ITS tables (BASER.Page_Size = 64K). */
static uint8_t prop_table[(1 << IDBITS) - LPI] __attribute__((aligned(PAGE64K)));   /* from 8192 */
static uint8_t pend_table[2][PAGE64K] __attribute__((aligned(PAGE64K)));
static uint64_t dev_l1[PAGE64K / 8] __attribute__((aligned(PAGE64K)));
static uint8_t dev_l2[2][PAGE64K] __attribute__((aligned(PAGE64K)));
static uint8_t coll_table[PAGE64K] __attribute__((aligned(PAGE64K)));
static uint8_t itt0[32 * 12] __attribute__((aligned(256)));              /* 5 EventID bits */
static uint8_t itt1[(1 << 14) * 12] __attribute__((aligned(256)));       /* 14 bits: MAPI */
static uint64_t cmdq[4096 / 8] __attribute__((aligned(4096)));
static unsigned cmd_wr;

static unsigned char stack1[16384] __attribute__((aligned(16)));

/* Core 1's record: a drain request counter and what the drain acknowledged. */
static struct {
    uint32_t ready, req, done;
    uint32_t n;
    uint32_t intid[8], rpr[8];
} c1;

/* Core 0's IRQ handler record. */
static volatile uint32_t irq_n, irq_intid[4];

static void set_cfg(unsigned intid, uint8_t prio, int enable)
{
    prop_table[intid - LPI] = (uint8_t)((prio & 0xfc) | (enable ? 1 : 0));
    dsb();
}

/* ---- the command queue (8.19) ---- */
static void cmd(uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3)
{
    uint64_t *c = &cmdq[cmd_wr / 8];
    c[0] = d0, c[1] = d1, c[2] = d2, c[3] = d3;
    cmd_wr = (cmd_wr + 32) % sizeof cmdq;
    dsb();
    w64(GITS + 0x88, cmd_wr);                      /* GITS_CWRITER */
    for (int i = 0; i < 1000000 && (r64(GITS + 0x90) & 0xfffe0) != cmd_wr; i++)
        ;                                          /* GITS_CREADR */
}

static void mapc(unsigned icid, unsigned cpu) { cmd(0x09, 0, 1ULL << 63 | (uint64_t)cpu << 16 | icid, 0); }
static void mapd(uint32_t dev, unsigned bits, void *itt)
{
    cmd(0x08 | (uint64_t)dev << 32, bits - 1, 1ULL << 63 | (uint64_t)(uintptr_t)itt, 0);
}
static void mapti(uint32_t dev, uint32_t ev, unsigned intid, unsigned icid)
{
    cmd(0x0a | (uint64_t)dev << 32, ev | (uint64_t)intid << 32, icid, 0);
}
static void mapi(uint32_t dev, uint32_t ev, unsigned icid) { cmd(0x0b | (uint64_t)dev << 32, ev, icid, 0); }
static void ev_cmd(unsigned op, uint32_t dev, uint32_t ev) { cmd(op | (uint64_t)dev << 32, ev, 0, 0); }
#define INT(d, e) ev_cmd(0x03, d, e)
#define CLEAR(d, e) ev_cmd(0x04, d, e)
#define DISCARD(d, e) ev_cmd(0x0f, d, e)
#define INV(d, e) ev_cmd(0x0c, d, e)
static void movi(uint32_t dev, uint32_t ev, unsigned icid) { cmd(0x01 | (uint64_t)dev << 32, ev, icid, 0); }
static void movall(unsigned from, unsigned to) { cmd(0x0e, 0, (uint64_t)from << 16, (uint64_t)to << 16); }
static void invall(unsigned icid) { cmd(0x0d, 0, icid, 0); }
static void sync_rd(unsigned cpu) { cmd(0x05, 0, (uint64_t)cpu << 16, 0); }

/* A stop for the snapshot test (tests/system/snapshot.sh): LPIs are pending at both cores. */
__attribute__((noinline)) void lpis_pending_here(void)
{
    __asm__ volatile("" ::: "memory");
}

/* ---- the CPU interface ---- */
static void gic_cpu_init(unsigned c)
{
    w32(GICR(c) + 0x14, r32(GICR(c) + 0x14) & ~2u);   /* GICR_WAKER.ProcessorSleep = 0 */
    while (r32(GICR(c) + 0x14) & 4u)
        ;
    WR(S3_0_C12_C12_5, 7);                             /* ICC_SRE_EL1 */
    WR(S3_0_C4_C6_0, 0xff);                            /* ICC_PMR_EL1 */
    WR(S3_0_C12_C12_3, 0);                             /* ICC_BPR1_EL1 */
    WR(S3_0_C12_C12_7, 1);                             /* ICC_IGRPEN1_EL1 */
    if (current_el() == 2)
        WRITE_SYSREG(hcr_el2, (1ULL << 31) | (1ULL << 4) | (1ULL << 3));
}

/* The redistributor's LPI tables, then EnableLPIs (5.1.1, 5.1.2). */
static void lpi_init(unsigned c)
{
    w64(GICR(c) + 0x70, (uint64_t)(uintptr_t)prop_table | (IDBITS - 1));   /* PROPBASER */
    w64(GICR(c) + 0x78, (uint64_t)(uintptr_t)pend_table[c]);               /* PENDBASER */
    w32(GICR(c) + 0x0, r32(GICR(c)) | 1);                                  /* EnableLPIs */
}

static unsigned hppir(void) { return (unsigned)RD(ICC_HPPIR1) & 0xffffff; }

/* Acknowledges everything pending at this core, in order; n INTIDs (with the running priority
 * each ran at) into out. */
static unsigned drain(uint32_t *intid, uint32_t *rpr, unsigned max)
{
    unsigned n = 0;
    for (;;) {
        unsigned id = (unsigned)RD(ICC_IAR1) & 0xffffff;
        if (id >= 1020 && id <= 1023)   /* special INTIDs: nothing (more) to take */
            return n;
        if (n < max) {
            intid[n] = id;
            rpr[n] = (uint32_t)RD(ICC_RPR);
        }
        n++;
        WR(ICC_EOIR1, id);
    }
}

static void print_drain(const char *what)
{
    uint32_t id[8], rpr[8];
    unsigned n = drain(id, rpr, 8);
    printf("%s: core 0 took %u:", what, n);
    for (unsigned i = 0; i < n && i < 8; i++)
        printf(" %u(prio 0x%x)", id[i], rpr[i]);
    printf("\n");
}

/* Asks core 1 to drain its CPU interface and prints what it took. */
static void core1_drain(const char *what)
{
    uint32_t r = c1.req + 1;
    STORE(c1.req, r);
    __asm__ volatile("sev");
    while (LOAD(c1.done) != r)
        ;
    printf("%s: core 1 took %u:", what, c1.n);
    for (unsigned i = 0; i < c1.n && i < 8; i++)
        printf(" %u(prio 0x%x)", c1.intid[i], c1.rpr[i]);
    printf("\n");
}

static void secondary(void *arg)
{
    (void)arg;
    gic_cpu_init(1);
    lpi_init(1);
    STORE(c1.ready, 1);
    uint32_t seen = 0;
    for (;;) {
        while (LOAD(c1.req) == seen)
            __asm__ volatile("wfe");
        seen = LOAD(c1.req);
        c1.n = drain(c1.intid, c1.rpr, 8);
        STORE(c1.done, seen);
    }
}

static void on_trap(struct trap_frame *f, unsigned vec)
{
    (void)f;
    if ((vec & 3) != 1) {
        struct trap_info t;
        trap_info(&t);
        printf("unexpected exception vec %u ESR 0x%llx ELR 0x%llx\n", vec,
               (unsigned long long)t.esr, (unsigned long long)t.elr);
        system_off();
    }
    unsigned id = (unsigned)RD(ICC_IAR1) & 0xffffff;
    if (id >= 1020 && id <= 1023)
        return;
    if (irq_n < 4)
        irq_intid[irq_n] = id;
    irq_n = irq_n + 1;
    WR(ICC_EOIR1, id);
}

int main(void)
{
    trap_install(on_trap);
    printf("its: GICv3 ITS and LPIs at EL%u\n", current_el());
    uint32_t typer = r32(GICD + 0x4);
    printf("GICD_TYPER LPIS %u IDbits %u\n", (typer >> 17) & 1, ((typer >> 19) & 0x1f) + 1);
    for (unsigned c = 0; c < 2; c++)
        printf("GICR%u_TYPER PLPIS %u DirectLPI %u\n", c, (unsigned)(r64(GICR(c) + 8) & 1),
               (unsigned)(r64(GICR(c) + 8) >> 3) & 1);
    uint64_t t = r64(GITS + 0x8);
    printf("GITS_TYPER Physical %u ITT_entry_size %u IDbits %u Devbits %u CIL %u CIDbits %u PTA %u\n",
           (unsigned)(t & 1), (unsigned)((t >> 4) & 0xf) + 1, (unsigned)((t >> 8) & 0x1f) + 1,
           (unsigned)((t >> 13) & 0x1f) + 1, (unsigned)(t >> 36) & 1, (unsigned)((t >> 32) & 0xf) + 1,
           (unsigned)(t >> 19) & 1);
    for (unsigned n = 0; n < 3; n++) {
        uint64_t b = r64(GITS + 0x100 + 8 * n);
        printf("GITS_BASER%u Type %u Entry_Size %u\n", n, (unsigned)(b >> 56) & 7,
               (unsigned)((b >> 48) & 0x1f) + 1);
    }
    printf("GITS_CTLR Enabled %u Quiescent %u\n", r32(GITS) & 1, r32(GITS) >> 31);

    /* distributor: affinity routing, Group 1 on; this core's interface */
    w32(GICD, (1u << 4) | 2u);
    gic_cpu_init(0);

    /* LPI configuration: 8200-8203 on device 0 events 0-3, 8300 and 8195 on device 9000 */
    set_cfg(8200, 0xa0, 1);
    set_cfg(8201, 0x60, 0);          /* disabled for now */
    set_cfg(8202, 0x80, 1);
    set_cfg(8203, 0x40, 1);
    set_cfg(8300, 0x20, 1);
    set_cfg(8195, 0xc0, 1);
    lpi_init(0);
    printf("GICR0_CTLR EnableLPIs %u PROPBASER IDbits %u\n", r32(GICR(0)) & 1,
           (unsigned)(r64(GICR(0) + 0x70) & 0x1f) + 1);
    if (start_core(1, secondary, 0, stack1 + sizeof stack1) != 0)
        printf("CPU_ON failed\n");
    while (!LOAD(c1.ready))
        ;
    printf("GICR1_CTLR EnableLPIs %u\n", r32(GICR(1)) & 1);

    /* the ITS: a two-level device table (level-1 entries for the first two 8192-device pages),
     * a flat collection table, a 4 KiB command queue; then enable */
    dev_l1[0] = 1ULL << 63 | (uint64_t)(uintptr_t)dev_l2[0];
    dev_l1[1] = 1ULL << 63 | (uint64_t)(uintptr_t)dev_l2[1];
    dsb();
    w64(GITS + 0x100, 1ULL << 63 | 1ULL << 62 | (uint64_t)(uintptr_t)dev_l1 | 2u << 8);
    w64(GITS + 0x108, 1ULL << 63 | (uint64_t)(uintptr_t)coll_table | 2u << 8);
    w64(GITS + 0x80, 1ULL << 63 | (uint64_t)(uintptr_t)cmdq);     /* CBASER: one page */
    w64(GITS + 0x88, 0);
    w32(GITS, 1);
    uint64_t b0 = r64(GITS + 0x100);
    printf("GITS_BASER0 Valid %u Indirect %u Page_Size %u; GITS_CTLR Enabled %u; CREADR 0x%llx\n",
           (unsigned)(b0 >> 63), (unsigned)(b0 >> 62) & 1, (unsigned)(b0 >> 8) & 3, r32(GITS) & 1,
           (unsigned long long)r64(GITS + 0x90));

    mapc(0, 0);
    mapc(1, 1);
    mapd(0, 5, itt0);
    mapd(9000, 14, itt1);           /* in the second level-2 page */
    mapti(0, 0, 8200, 0);
    mapti(0, 1, 8201, 0);
    mapti(0, 2, 8202, 1);
    mapti(0, 3, 8203, 0);
    mapti(9000, 3, 8300, 1);
    mapi(9000, 8195, 0);            /* EventID 8195 is the LPI */
    sync_rd(0);
    sync_rd(1);
    printf("commands mapped: CREADR 0x%llx CWRITER 0x%llx\n",
           (unsigned long long)r64(GITS + 0x90), (unsigned long long)r64(GITS + 0x88));

    /* INT: the LPI pending at collection 0's core, its priority from the table */
    INT(0, 0);
    printf("INT 0/0: core 0 HPPIR1 %u\n", hppir());
    print_drain("INT 0/0");
    /* two at once: taken in priority order (8203 at 0x40 before 8200 at 0xa0) */
    INT(0, 0);
    INT(0, 3);
    print_drain("INT 0/0 + 0/3");
    /* a disabled LPI stays pending unseen until enabled and invalidated */
    INT(0, 1);
    printf("INT 0/1 (disabled): core 0 HPPIR1 %u\n", hppir());
    set_cfg(8201, 0x60, 1);
    INV(0, 1);
    printf("INT 0/1 after enable + INV: core 0 HPPIR1 %u\n", hppir());
    print_drain("INV 0/1");
    /* a priority change seen after INVALL */
    INT(0, 0);
    INT(0, 3);
    set_cfg(8200, 0x10, 1);
    invall(0);
    print_drain("INVALL 0 with 8200 at 0x10");
    set_cfg(8200, 0xa0, 1);
    invall(0);
    /* MAPI: the EventID is the INTID */
    INT(9000, 8195);
    print_drain("INT 9000/8195 (MAPI)");

    /* GITS_TRANSLATER: a core's write comes from DeviceID 0 */
    w32(GITS_TRANSLATER, 3);
    dsb();
    print_drain("TRANSLATER event 3");
    /* taken as an IRQ exception */
    __asm__ volatile("msr daifclr, #2\n isb" ::: "memory");
    w32(GITS_TRANSLATER, 0);
    dsb();
    for (int i = 0; i < 100000 && irq_n < 1; i++)
        __asm__ volatile("isb");
    __asm__ volatile("msr daifset, #2\n isb" ::: "memory");
    printf("TRANSLATER event 0 as an IRQ: %u taken, INTID %u\n", irq_n, irq_intid[0]);

    /* CLEAR removes the pending state */
    INT(0, 0);
    CLEAR(0, 0);
    printf("INT + CLEAR 0/0: core 0 HPPIR1 %u\n", hppir());

    /* collection 1: core 1 takes it, core 0 sees nothing */
    INT(0, 2);
    printf("INT 0/2 (collection 1): core 0 HPPIR1 %u\n", hppir());
    core1_drain("INT 0/2");
    INT(9000, 3);
    w32(GITS_TRANSLATER, 2);
    dsb();
    core1_drain("INT 9000/3 + TRANSLATER 2");

    /* pending at both cores at once (the snapshot test stops here) */
    INT(0, 0);
    INT(0, 2);
    INT(9000, 3);
    lpis_pending_here();
    print_drain("pending at both");
    core1_drain("pending at both");

    /* MOVI: a pending LPI moves with its event to the new collection's core */
    INT(0, 2);
    movi(0, 2, 0);
    printf("INT 0/2 then MOVI to collection 0: core 0 HPPIR1 %u\n", hppir());
    print_drain("MOVI");
    core1_drain("MOVI");
    INT(0, 2);
    print_drain("INT 0/2 after MOVI");

    /* MOVALL: every pending LPI of core 1 to core 0 */
    INT(9000, 3);
    movall(1, 0);
    print_drain("INT 9000/3 then MOVALL 1 -> 0");
    core1_drain("MOVALL");

    /* DISCARD: pending state cleared and the event unmapped */
    INT(0, 0);
    DISCARD(0, 0);
    printf("INT + DISCARD 0/0: core 0 HPPIR1 %u\n", hppir());
    INT(0, 0);
    w32(GITS_TRANSLATER, 0);
    dsb();
    printf("INT and TRANSLATER to the discarded event: core 0 HPPIR1 %u\n", hppir());

    /* bad commands are ignored and the queue goes on: an unmapped device, an EventID beyond
     * the device's 5 bits, an LPI number below 8192, a collection on a core that does not
     * exist, a device whose level-1 entry is not valid */
    mapti(7, 0, 8200, 0);
    mapti(0, 40, 8200, 0);
    mapti(0, 4, 100, 0);
    mapc(2, 5);
    mapd(20000, 4, itt0);
    INT(7, 0);
    INT(0, 4);
    INT(20000, 0);
    mapti(0, 4, 8202, 2);            /* collection 2 was not mapped: INT does nothing */
    INT(0, 4);
    INT(0, 3);                       /* and a good command after them still runs */
    printf("bad commands: CREADR == CWRITER %u, stalled %u\n",
           r64(GITS + 0x90) == r64(GITS + 0x88), (unsigned)(r64(GITS + 0x90) & 1));
    print_drain("after bad commands");
    core1_drain("after bad commands");
    printf("its: done\n");
    system_off();
}
