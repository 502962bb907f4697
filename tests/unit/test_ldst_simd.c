/* SIMD&FP loads and stores (suite ldst_simd): results of a few forms, and what the random
 * tester and the QEMU comparison cannot show: faults are precise. A load that faults
 * part-way writes no register and no base; a store that faults on its second page writes
 * nothing (QEMU writes the first page's part; the Arm ARM leaves it UNKNOWN, so hvsim picks
 * the behaviour a hypervisor emulating the access can rely on). Encodings come from
 * aarch64-linux-gnu-as. */
#include <criterion/criterion.h>
#include <string.h>
#include "cpu/arm64/sysreg.h"
#include "harness.h"

#define DATA (TH_RAM_BASE + 0x4000)      /* mapped page; the page after it is not */
#define HOLE (TH_RAM_BASE + 0x5000)
#define VBAR (TH_RAM_BASE + 0x10000)
#define TABLES (TH_RAM_BASE + 0x100000)

#define EQ(a, b) cr_assert_eq((uint64_t)(a), (uint64_t)(b), "%s = 0x%llx, want 0x%llx", #a, \
                              (unsigned long long)(a), (unsigned long long)(b))
#define RUN_OK(code) cr_assert_eq(th_run(t, code, sizeof code / sizeof code[0]), 0, "%s", t->m->stop_msg)

static void put64(TH *t, uint64_t pa, uint64_t v) { memcpy(th_ram(t, pa), &v, 8); }

static TH *fp_machine(void)
{
    TH *t = th_new();
    t->c->sys[A64_SYS_CPACR_EL1] = 3ULL << 20;     /* FPEN = 0b11 */
    t->c->sys[A64_SYS_VBAR_EL1] = VBAR;
    for (int r = 0; r < 32; r++)
        for (int b = 0; b < 16; b++)
            t->c->v[r].b[b] = (uint8_t)(0xa0 + r + (b << 4));
    for (int i = 0; i < 0x2000; i++)
        th_ram(t, DATA - 0x1000)[i] = (uint8_t)(i * 7 + 3);
    return t;
}

/* Stage 1 on, 4K granule, 39-bit VAs, identity map of the first 2 MiB of RAM except the
 * page at HOLE. */
static void mmu_with_hole(TH *t)
{
    uint64_t l1 = TABLES, l2 = TABLES + 0x1000, l3 = TABLES + 0x2000;
    put64(t, l1 + 8 * 1, l2 | 3);                 /* 0x40000000: level 2 table */
    put64(t, l2, l3 | 3);                         /* 0x40000000..0x401fffff: level 3 */
    for (uint64_t i = 0; i < 512; i++)
        if (TH_RAM_BASE + (i << 12) != HOLE)      /* AF, inner shareable, AttrIndx 0 */
            put64(t, l3 + 8 * i, (TH_RAM_BASE + (i << 12)) | 3 | 1 << 10 | 3 << 8);
    t->c->sys[A64_SYS_MAIR_EL1] = 0xff;
    t->c->sys[A64_SYS_TCR_EL1] = 25 | 1ULL << 23 | 2ULL << 32;   /* T0SZ 25, EPD1, IPS 40 */
    t->c->sys[A64_SYS_TTBR0_EL1] = l1;
    t->c->sys[A64_SYS_SCTLR_EL1] |= 1;
    a64_tlb_flush(t->c);
}

/* The last instruction of code[n] took a level-3 translation fault (data abort, same EL)
 * at FAR = HOLE; wnr = 1 for a store. */
static void expect_hole_abort(TH *t, size_t n, int wnr)
{
    uint64_t esr = t->c->sys[A64_SYS_ESR_EL1];
    EQ(t->c->pc, VBAR + 0x200);
    EQ(esr >> 26, 0x25);
    EQ(esr & 0x3f, 0x07);
    EQ((esr >> 6) & 1, (uint64_t)wnr);
    EQ((esr >> 24) & 1, 0);                       /* ISV: never for SIMD&FP */
    EQ(t->c->sys[A64_SYS_FAR_EL1], HOLE);
    EQ(t->c->sys[A64_SYS_ELR_EL1], TH_RAM_BASE + 4 * (n - 1));
}

static bool vreg_is_initial(TH *t, int r)
{
    for (int b = 0; b < 16; b++)
        if (t->c->v[r].b[b] != (uint8_t)(0xa0 + r + (b << 4)))
            return false;
    return true;
}

Test(ldst_simd, register_offsets_pairs_and_lanes)
{
    TH *t = fp_machine();
    static const uint32_t code[] = {
        0x3ce17811, /* ldr q17, [x0, x1, lsl #4] */
        0x3ca1c812, /* str q18, [x0, w1, sxtw] */
    };
    t->c->x[0] = DATA;
    t->c->x[1] = 0xfffffffffffffffeULL;   /* -2: q17 from DATA - 32; w1 = -2 for the store */
    RUN_OK(code);
    uint8_t *p = th_ram(t, DATA - 32);
    for (int b = 0; b < 16; b++)
        EQ(t->c->v[17].b[b], p[b]);
    for (int b = 0; b < 16; b++)
        EQ(th_ram(t, DATA - 2)[b], (uint8_t)(0xa0 + 18 + (b << 4)));
    th_free(t);

    t = fp_machine();
    static const uint32_t code2[] = {
        0x6dffb40c, /* ldp d12, d13, [x0, #-8]! */
        0x4dc1e40e, /* ld3r {v14.8h-v16.8h}, [x0], x1 */
        0x4d609013, /* ld2 {v19.s, v20.s}[3], [x0] */
    };
    t->c->x[0] = DATA + 8;
    t->c->x[1] = 100;
    RUN_OK(code2);
    uint64_t d0, d1;
    memcpy(&d0, th_ram(t, DATA), 8);
    memcpy(&d1, th_ram(t, DATA + 8), 8);
    EQ(t->c->v[12].d[0], d0);
    EQ(t->c->v[12].d[1], 0);              /* scalar writes clear the rest */
    EQ(t->c->v[13].d[0], d1);
    for (int s = 0; s < 3; s++) {
        uint16_t h;
        memcpy(&h, th_ram(t, DATA + 2 * s), 2);
        for (int l = 0; l < 8; l++)
            EQ(t->c->v[14 + s].h[l], h);
    }
    EQ(t->c->x[0], DATA + 100);           /* post-indexed by x1 */
    uint32_t w0, w1;
    memcpy(&w0, th_ram(t, DATA + 100), 4);
    memcpy(&w1, th_ram(t, DATA + 104), 4);
    EQ(t->c->v[19].s[3], w0);
    EQ(t->c->v[20].s[3], w1);
    EQ(t->c->v[19].s[0], 0xe3d3c3b3u);   /* other lanes keep their values */
    th_free(t);
}

Test(ldst_simd, fault_q_load_crossing_page_writes_nothing)
{
    TH *t = fp_machine();
    mmu_with_hole(t);
    static const uint32_t code[] = { 0x3cc10400 }; /* ldr q0, [x0], #16 */
    t->c->x[0] = HOLE - 8;
    RUN_OK(code);
    expect_hole_abort(t, 1, 0);
    cr_assert(vreg_is_initial(t, 0), "v0 was written");
    EQ(t->c->x[0], HOLE - 8);
    th_free(t);
}

Test(ldst_simd, fault_ld1_four_registers_writes_nothing)
{
    TH *t = fp_machine();
    mmu_with_hole(t);
    static const uint32_t code[] = { 0x4cdf2002 }; /* ld1 {v2.16b-v5.16b}, [x0], #64 */
    t->c->x[0] = HOLE - 32;
    RUN_OK(code);
    expect_hole_abort(t, 1, 0);
    for (int r = 2; r <= 5; r++)
        cr_assert(vreg_is_initial(t, r), "v%d was written", r);
    EQ(t->c->x[0], HOLE - 32);
    th_free(t);
}

Test(ldst_simd, fault_stores_crossing_page_write_nothing)
{
    static const uint32_t str_q[] = { 0x3d800001 };   /* str q1, [x0] */
    static const uint32_t stp_q[] = { 0xad001c06 };   /* stp q6, q7, [x0] */
    static const uint32_t st4_lane[] = { 0x0d20a008 }; /* st4 {v8.s-v11.s}[0], [x0] */
    const struct { const uint32_t *code; uint64_t x0; } cases[] = {
        { str_q, HOLE - 8 }, { stp_q, HOLE - 16 }, { st4_lane, HOLE - 8 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TH *t = fp_machine();
        mmu_with_hole(t);
        uint8_t before[64];
        memcpy(before, th_ram(t, HOLE - 64), 64);
        t->c->x[0] = cases[i].x0;
        cr_assert_eq(th_run(t, cases[i].code, 1), 0, "%s", t->m->stop_msg);
        expect_hole_abort(t, 1, 1);
        cr_assert(!memcmp(before, th_ram(t, HOLE - 64), 64), "case %zu: memory was written", i);
        th_free(t);
    }
}

/* The SIMD&FP access check comes before the address is used: with CPACR_EL1.FPEN = 0 a load
 * from the hole is an EC 0x07 trap, not a data abort. */
Test(ldst_simd, fp_trap_precedes_the_access)
{
    TH *t = fp_machine();
    mmu_with_hole(t);
    t->c->sys[A64_SYS_CPACR_EL1] = 0;
    static const uint32_t code[] = { 0x3cc10400 }; /* ldr q0, [x0], #16 */
    t->c->x[0] = HOLE;
    RUN_OK(code);
    EQ(t->c->pc, VBAR + 0x200);
    EQ(t->c->sys[A64_SYS_ESR_EL1], 0x07ULL << 26 | 1u << 25 | 1u << 24 | 0xeu << 20);
    EQ(t->c->x[0], HOLE);
    cr_assert(vreg_is_initial(t, 0));
    th_free(t);
}
