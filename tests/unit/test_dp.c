/* Data-processing instructions (Arm ARM C4.1.86, C4.1.87): flags at the carry/overflow
 * edges, shifts, extension, division corner cases, bitfield aliases, bitmask immediates,
 * CRC32 vectors, register 31 as ZR/SP, PC-relative addresses. Encodings from
 * aarch64-linux-gnu-as. */
#include <criterion/criterion.h>
#include <string.h>
#include "harness.h"

#define RUN(t, code) cr_assert_eq(th_run((t), (code), sizeof(code) / sizeof((code)[0])), 0, \
                                  "%s", (t)->m->stop_msg)
/* NZCV as a 4-bit number, N = 8 */
static unsigned nzcv(const Arm64Cpu *c)
{
    return (unsigned)(c->nf << 3 | c->zf << 2 | c->cf << 1 | c->vf);
}
#define FLAGS(t, want) cr_assert_eq(nzcv((t)->c), (want), "NZCV %x, want %x", nzcv((t)->c), (want))

/* ---------------------------------------------------------------- dp_imm ---------------- */

Test(dp_imm, adds_subs_flag_edges_64)
{
    TH *t = th_new();
    static const uint32_t add_ovf[] = { 0xb1000420 /* adds x0, x1, #1 */ };
    t->c->x[1] = 0x7fffffffffffffffULL;
    RUN(t, add_ovf);
    cr_assert_eq(t->c->x[0], 0x8000000000000000ULL);
    FLAGS(t, 0x9);                      /* N V */
    static const uint32_t add_carry[] = { 0xb1000420 /* adds x0, x1, #1 */ };
    t->c->x[1] = ~0ULL;
    RUN(t, add_carry);
    cr_assert_eq(t->c->x[0], 0);
    FLAGS(t, 0x6);                      /* Z C */
    static const uint32_t sub_ovf[] = { 0xf1000420 /* subs x0, x1, #1 */ };
    t->c->x[1] = 0x8000000000000000ULL;
    RUN(t, sub_ovf);
    cr_assert_eq(t->c->x[0], 0x7fffffffffffffffULL);
    FLAGS(t, 0x3);                      /* C V */
    static const uint32_t sub_borrow[] = { 0xf1000420 /* subs x0, x1, #1 */ };
    t->c->x[1] = 0;
    RUN(t, sub_borrow);
    cr_assert_eq(t->c->x[0], ~0ULL);
    FLAGS(t, 0x8);                      /* N, borrow = !C */
    static const uint32_t cmp_eq[] = { 0xf17ffc3f /* cmp x1, #0xfff, lsl #12 */ };
    t->c->x[1] = 0xfff000;
    RUN(t, cmp_eq);
    FLAGS(t, 0x6);
    static const uint32_t cmn[] = { 0xb100043f /* cmn x1, #1 */ };
    t->c->x[1] = ~0ULL;
    RUN(t, cmn);
    FLAGS(t, 0x6);
    th_free(t);
}

Test(dp_imm, adds_subs_flag_edges_32)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0x31000420, /* adds w0, w1, #1 */
        0x71000462, /* subs w2, w3, #1 */
        0x110004a4, /* add w4, w5, #1 */
    };
    t->c->x[1] = 0xffffffff7fffffffULL;  /* upper half ignored */
    t->c->x[3] = 0x100000000ULL;         /* W3 = 0: borrow */
    t->c->x[5] = 0xffffffffULL;
    RUN(t, code);
    cr_assert_eq(t->c->x[0], 0x80000000ULL);
    cr_assert_eq(t->c->x[2], 0xffffffffULL, "32-bit result zero-extended");
    cr_assert_eq(t->c->x[4], 0, "32-bit wrap");
    FLAGS(t, 0x8);                       /* from SUBS: N, no carry, no overflow */
    static const uint32_t ovf[] = { 0x31000420 /* adds w0, w1, #1 */ };
    RUN(t, ovf);
    FLAGS(t, 0x9);
    static const uint32_t carry[] = { 0x71000020 /* subs w0, w1, #0 */ };
    t->c->x[1] = 0xffffffff00000000ULL;
    RUN(t, carry);
    FLAGS(t, 0x6);                       /* 0 - 0: Z C */
    static const uint32_t subovf[] = { 0x71000420 /* subs w0, w1, #1 */ };
    t->c->x[1] = 0x80000000ULL;
    RUN(t, subovf);
    cr_assert_eq(t->c->x[0], 0x7fffffffULL);
    FLAGS(t, 0x3);
    th_free(t);
}

Test(dp_imm, add_sub_immediate_use_sp)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0x910003e0, /* mov x0, sp */
        0xd10083ff, /* sub sp, sp, #0x20 */
        0x910023e1, /* add x1, sp, #8 */
        0xd14007ff, /* sub sp, sp, #1, lsl #12 */
        0x910003e2, /* mov x2, sp */
        0x914007ff, /* add sp, sp, #0x1, lsl #12 */
        0x910083ff, /* add sp, sp, #0x20 */
        0xeb2063ff, /* cmp sp, x0 */
        0xf10043e3, /* subs x3, sp, #0x10 */
    };
    uint64_t sp = t->c->x[A64_SP];
    RUN(t, code);
    cr_assert_eq(t->c->x[0], sp);
    cr_assert_eq(t->c->x[1], sp - 0x20 + 8);
    cr_assert_eq(t->c->x[2], sp - 0x20 - 0x1000);
    cr_assert_eq(t->c->x[A64_SP], sp);
    cr_assert_eq(t->c->x[3], sp - 0x10);
    FLAGS(t, 0x2);
    th_free(t);
}

Test(dp_imm, adr_adrp_relative_to_pc)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0x10000040, /* adr x0, .+8 */
        0x10ffffe1, /* adr x1, .-4 */
        0xf0000002, /* adrp x2, .+0x3000 (the assembler leaves a relocation) */
        0xf0ffffe3, /* adrp x3, .-0x1000 */
        0x707fffe4, /* adr x4, .+0xfffff */
    };
    RUN(t, code);
    cr_assert_eq(t->c->x[0], TH_RAM_BASE + 8);
    cr_assert_eq(t->c->x[1], TH_RAM_BASE);
    cr_assert_eq(t->c->x[2], TH_RAM_BASE + 0x3000);
    cr_assert_eq(t->c->x[3], TH_RAM_BASE - 0x1000);
    cr_assert_eq(t->c->x[4], TH_RAM_BASE + 16 + 0xfffff);
    th_free(t);
}

Test(dp_imm, logical_immediates)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0x92401c20, /* and x0, x1, #0xff */
        0x3200f3e2, /* mov w2, #0x55555555 */
        0xd201f023, /* eor x3, x1, #0xaaaaaaaaaaaaaaaa */
        0xb200cfe4, /* mov x4, #0x0f0f0f0f0f0f0f0f */
        0xb27ff825, /* orr x5, x1, #0xfffffffffffffffe */
        0x12002426, /* and w6, w1, #0x3ff */
        0x32010427, /* orr w7, w1, #0x80000001 */
        0xb2009fe8, /* mov x8, #0x00ff00ff00ff00ff */
        0x927cec3f, /* and sp, x1, #0xfffffffffffffff0 */
        0xf2410029, /* ands x9, x1, #0x8000000000000000 */
    };
    t->c->x[1] = 0x8123456789abcdefULL;
    t->c->cf = t->c->vf = 1;
    RUN(t, code);
    cr_assert_eq(t->c->x[0], 0xef);
    cr_assert_eq(t->c->x[2], 0x55555555);
    cr_assert_eq(t->c->x[3], 0x8123456789abcdefULL ^ 0xaaaaaaaaaaaaaaaaULL);
    cr_assert_eq(t->c->x[4], 0x0f0f0f0f0f0f0f0fULL);
    cr_assert_eq(t->c->x[5], 0xffffffffffffffffULL);
    cr_assert_eq(t->c->x[6], 0x1ef);
    cr_assert_eq(t->c->x[7], 0x89abcdefULL | 0x80000001ULL);
    cr_assert_eq(t->c->x[8], 0x00ff00ff00ff00ffULL);
    cr_assert_eq(t->c->x[A64_SP], 0x8123456789abcde0ULL, "AND (immediate) writes SP");
    cr_assert_eq(t->c->x[9], 0x8000000000000000ULL);
    FLAGS(t, 0x8);                       /* ANDS clears C and V */
    static const uint32_t tst[] = { 0x721c003f /* tst w1, #0x10 */ };
    RUN(t, tst);
    FLAGS(t, 0x4);
    th_free(t);
}

Test(dp_imm, reserved_bitmask_immediates_are_unallocated)
{
    TH *t = th_new();
    /* and x0, x0, N=1 imms=111111: all-ones element is reserved */
    static const uint32_t ones64[] = { 0x9240fc00 };
    cr_assert(th_undefined(t, ones64, 1));
    /* and w0, w0 with N=1: sf=0 forbids N */
    static const uint32_t n32[] = { 0x12400000 };
    cr_assert(th_undefined(t, n32, 1));
    /* movz w0, #0, lsl #32 (hw=2 with sf=0) */
    static const uint32_t hw32[] = { 0x52c00000 };
    cr_assert(th_undefined(t, hw32, 1));
    th_free(t);
}

Test(dp_imm, move_wide)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0xd2e24680, /* movz x0, #0x1234, lsl #48 */
        0x92800001, /* movn x1, #0 */
        0x12800002, /* movn w2, #0 */
        0xf2b7dde3, /* movk x3, #0xbeef, lsl #16 */
        0x7297dde4, /* movk w4, #0xbeef */
        0x92c00025, /* movn x5, #0x1, lsl #32 */
        0x52b00006, /* movz w6, #0x8000, lsl #16 */
        0xd28000bf, /* movz xzr, #5 */
        0xaa1f03e7, /* mov x7, xzr */
    };
    t->c->x[3] = ~0ULL;
    t->c->x[4] = 0xffffffff12345678ULL;
    RUN(t, code);
    cr_assert_eq(t->c->x[0], 0x1234000000000000ULL);
    cr_assert_eq(t->c->x[1], ~0ULL);
    cr_assert_eq(t->c->x[2], 0xffffffffULL);
    cr_assert_eq(t->c->x[3], 0xffffffffbeefffffULL);
    cr_assert_eq(t->c->x[4], 0x1234beefULL, "MOVK W zeroes the upper half");
    cr_assert_eq(t->c->x[5], 0xfffffffeffffffffULL);
    cr_assert_eq(t->c->x[6], 0x80000000ULL);
    cr_assert_eq(t->c->x[7], 0, "write to XZR discarded");
    th_free(t);
}

Test(dp_imm, shift_immediates)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0xd3410020, /* lsl x0, x1, #63 */
        0xd37ffc22, /* lsr x2, x1, #63 */
        0x937ffc23, /* asr x3, x1, #63 */
        0xd340fc24, /* lsl x4, x1, #0 */
        0x53010025, /* lsl w5, w1, #31 */
        0x531f7c26, /* lsr w6, w1, #31 */
        0x131f7d07, /* asr w7, w8, #31 */
        0x13017d09, /* asr w9, w8, #1 */
        0xd360fc2a, /* lsr x10, x1, #32 */
        0x9360fc2b, /* asr x11, x1, #32 */
        0x53007c2c, /* lsl w12, w1, #0 */
    };
    t->c->x[1] = 0x8000000180000001ULL;
    t->c->x[8] = 0x0000000080000000ULL;
    RUN(t, code);
    cr_assert_eq(t->c->x[0], 0x8000000000000000ULL);
    cr_assert_eq(t->c->x[2], 1);
    cr_assert_eq(t->c->x[3], ~0ULL);
    cr_assert_eq(t->c->x[4], 0x8000000180000001ULL);
    cr_assert_eq(t->c->x[5], 0x80000000ULL);
    cr_assert_eq(t->c->x[6], 1);
    cr_assert_eq(t->c->x[7], 0xffffffffULL);
    cr_assert_eq(t->c->x[9], 0xc0000000ULL);
    cr_assert_eq(t->c->x[10], 0x80000001ULL);
    cr_assert_eq(t->c->x[11], 0xffffffff80000001ULL);
    cr_assert_eq(t->c->x[12], 0x80000001ULL);
    th_free(t);
}

Test(dp_imm, extensions_and_bitfield_aliases)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0x93401c20, /* sxtb x0, w1 */
        0x13003c22, /* sxth w2, w1 */
        0x93407c23, /* sxtw x3, w1 */
        0x53001c24, /* uxtb w4, w1 */
        0x53003c25, /* uxth w5, w1 */
        0xd3442c26, /* ubfx x6, x1, #4, #8 */
        0x937cfc27, /* sbfx x7, x1, #60, #4 */
        0xb3783c28, /* bfi x8, x1, #8, #16 */
        0x33042c29, /* bfxil w9, w1, #4, #8 */
        0x937c1c2a, /* sbfiz x10, x1, #4, #8 */
        0x53040c2b, /* ubfiz w11, w1, #28, #4 */
        0x13071c2c, /* sbfx w12, w1, #7, #1 */
        0x3301002d, /* bfi w13, w1, #31, #1 */
        0xb37cdfee, /* bfc x14, #4, #56 */
        0xd340fc2f, /* ubfx x15, x1, #0, #64 */
        0x93410030, /* sbfiz x16, x1, #63, #1 */
    };
    t->c->x[1] = 0xf234567880a1c3f5ULL;
    t->c->x[8] = ~0ULL;
    t->c->x[9] = 0xffffffff00000000ULL;
    t->c->x[13] = 0x12345678ULL;
    t->c->x[14] = ~0ULL;
    RUN(t, code);
    cr_assert_eq(t->c->x[0], 0xfffffffffffffff5ULL);
    cr_assert_eq(t->c->x[2], 0xffffc3f5ULL);
    cr_assert_eq(t->c->x[3], 0xffffffff80a1c3f5ULL);
    cr_assert_eq(t->c->x[4], 0xf5);
    cr_assert_eq(t->c->x[5], 0xc3f5);
    cr_assert_eq(t->c->x[6], 0x3f);
    cr_assert_eq(t->c->x[7], 0xffffffffffffffffULL);
    cr_assert_eq(t->c->x[8], 0xffffffffffc3f5ffULL);
    cr_assert_eq(t->c->x[9], 0x3f, "BFXIL W: upper half zeroed, bits 31..8 of Wd kept (0)");
    cr_assert_eq(t->c->x[10], 0xffffffffffffff50ULL);
    cr_assert_eq(t->c->x[11], 0x50000000ULL);
    cr_assert_eq(t->c->x[12], 0xffffffffULL);
    cr_assert_eq(t->c->x[13], 0x92345678ULL);
    cr_assert_eq(t->c->x[14], 0xf00000000000000fULL);
    cr_assert_eq(t->c->x[15], 0xf234567880a1c3f5ULL);
    cr_assert_eq(t->c->x[16], 0x8000000000000000ULL);
    th_free(t);
}

Test(dp_imm, extract_and_rotate)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0x93c10020, /* ror x0, x1, #0 */
        0x93c32022, /* extr x2, x1, x3, #8 */
        0x13817c24, /* ror w4, w1, #31 */
        0x13834025, /* extr w5, w1, w3, #16 */
        0x93c1fc26, /* ror x6, x1, #63 */
        0x13830027, /* extr w7, w1, w3, #0 */
    };
    t->c->x[1] = 0x0123456789abcdefULL;
    t->c->x[3] = 0xfedcba9876543210ULL;
    RUN(t, code);
    cr_assert_eq(t->c->x[0], 0x0123456789abcdefULL);
    cr_assert_eq(t->c->x[2], 0xeffedcba98765432ULL);
    cr_assert_eq(t->c->x[4], 0x13579bdfULL);
    cr_assert_eq(t->c->x[5], 0xcdef7654ULL);
    cr_assert_eq(t->c->x[6], 0x02468acf13579bdeULL);
    cr_assert_eq(t->c->x[7], 0x76543210ULL);
    th_free(t);
}

/* ---------------------------------------------------------------- dp_reg ---------------- */

Test(dp_reg, logical_shifted)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0x8a021020, /* and x0, x1, x2, lsl #4 */
        0x8a220023, /* bic x3, x1, x2 */
        0xaa42fc24, /* orr x4, x1, x2, lsr #63 */
        0xaaa2ffe5, /* orn x5, xzr, x2, asr #63 */
        0xcac21026, /* eor x6, x1, x2, ror #4 */
        0x4ae27c27, /* eon w7, w1, w2, ror #31 */
        0xaa0203e8, /* mov x8, x2 */
        0x2a0203e9, /* mov w9, w2 */
        0xaac2002a, /* orr x10, x1, x2, ror #0 */
        0x6a21002b, /* bics w11, w1, w1 */
    };
    t->c->x[1] = 0x0123456789abcdefULL;
    t->c->x[2] = 0x8000000000000f0fULL;
    t->c->nf = t->c->cf = t->c->vf = 1;
    RUN(t, code);
    cr_assert_eq(t->c->x[0], 0x0123456789abcdefULL & 0xf0f0);
    cr_assert_eq(t->c->x[3], 0x0123456789abcdefULL & ~0x8000000000000f0fULL);
    cr_assert_eq(t->c->x[4], 0x0123456789abcdefULL);
    cr_assert_eq(t->c->x[5], 0);
    cr_assert_eq(t->c->x[6], 0x0123456789abcdefULL ^ 0xf8000000000000f0ULL);
    cr_assert_eq(t->c->x[7], (uint32_t)~(0x89abcdefu ^ 0x00001e1eu));
    cr_assert_eq(t->c->x[8], 0x8000000000000f0fULL);
    cr_assert_eq(t->c->x[9], 0xf0f);
    cr_assert_eq(t->c->x[10], 0x8123456789abcfefULL);
    cr_assert_eq(t->c->x[11], 0);
    FLAGS(t, 0x4);
    static const uint32_t tst[] = { 0xea02043f /* tst x1, x2, lsl #1 */ };
    t->c->x[2] = 0x4000000000000000ULL;
    t->c->x[1] = 0x8000000000000000ULL;
    RUN(t, tst);
    FLAGS(t, 0x8);
    th_free(t);
}

Test(dp_reg, shift_amount_32_with_sf0_is_unallocated)
{
    TH *t = th_new();
    /* and w0, w1, w2, lsl #32 (imm6 = 100000) */
    static const uint32_t a[] = { 0x0a028020 };
    cr_assert(th_undefined(t, a, 1));
    /* add x0, x1, x2, ror #1 (shift = 11 reserved) */
    static const uint32_t b[] = { 0x8bc20420 };
    cr_assert(th_undefined(t, b, 1));
    /* add x0, x1, w2, uxtb #5 (shift > 4) */
    static const uint32_t e[] = { 0x8b221420 };
    cr_assert(th_undefined(t, e, 1));
    th_free(t);
}

Test(dp_reg, add_sub_shifted)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0x8b82fc20, /* add x0, x1, x2, asr #63 */
        0x4b427c23, /* sub w3, w1, w2, lsr #31 */
        0xcb0103e4, /* neg x4, x1 */
        0x8b02fc25, /* add x5, x1, x2, lsl #63 */
        0x0b027c26, /* add w6, w1, w2, lsl #31 */
        0xeb010027, /* subs x7, x1, x1 */
    };
    t->c->x[1] = 5;
    t->c->x[2] = 0x8000000080000001ULL;
    RUN(t, code);
    cr_assert_eq(t->c->x[0], 4);
    cr_assert_eq(t->c->x[3], 4);
    cr_assert_eq(t->c->x[4], (uint64_t)-5);
    cr_assert_eq(t->c->x[5], 0x8000000000000005ULL);
    cr_assert_eq(t->c->x[6], 0x80000005ULL);
    cr_assert_eq(t->c->x[7], 0);
    FLAGS(t, 0x6);
    static const uint32_t cmp[] = { 0x6b027c3f /* cmp w1, w2, lsl #31 */ };
    t->c->x[1] = 0x7fffffff;
    t->c->x[2] = 1;
    RUN(t, cmp);
    FLAGS(t, 0x9);                      /* 0x7fffffff - 0x80000000: N V, borrow */
    static const uint32_t adds[] = { 0xab020020 /* adds x0, x1, x2 */ };
    t->c->x[1] = 0x8000000000000000ULL;
    t->c->x[2] = 0x8000000000000000ULL;
    RUN(t, adds);
    cr_assert_eq(t->c->x[0], 0);
    FLAGS(t, 0x7);                      /* Z C V */
    th_free(t);
}

Test(dp_reg, add_sub_extended)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0x8b22c820, /* add x0, x1, w2, sxtw #2 */
        0x8b2203e3, /* add x3, sp, w2, uxtb */
        0xcb22b024, /* sub x4, x1, w2, sxth #4 */
        0x0b222425, /* add w5, w1, w2, uxth #1 */
        0x8b22ec26, /* add x6, x1, x2, sxtx #3 */
        0x8b224027, /* add x7, x1, w2, uxtw */
        0x8b228028, /* add x8, x1, w2, sxtb */
        0xcb2173ff, /* sub sp, sp, x1, uxtx #4 */
        0xeb22803f, /* cmp x1, w2, sxtb */
    };
    t->c->x[1] = 0x100;
    t->c->x[2] = 0x12348081ULL;
    uint64_t sp = t->c->x[A64_SP];
    RUN(t, code);
    cr_assert_eq(t->c->x[0], 0x100 + 4 * 0x12348081ULL);
    cr_assert_eq(t->c->x[3], sp + 0x81);
    cr_assert_eq(t->c->x[4], 0x100 - ((uint64_t)(int16_t)0x8081 << 4));
    cr_assert_eq(t->c->x[5], (uint32_t)(0x100 + 0x8081 * 2));
    cr_assert_eq(t->c->x[6], 0x100 + 8 * 0x12348081ULL);
    cr_assert_eq(t->c->x[7], 0x100 + 0x12348081ULL);
    cr_assert_eq(t->c->x[8], 0x100 - 0x7f);
    cr_assert_eq(t->c->x[A64_SP], sp - 0x1000, "SUB (extended) writes SP");
    FLAGS(t, 0x0);                      /* 0x100 + 0x7f: borrow as unsigned (C=0) */
    th_free(t);
}

Test(dp_reg, add_sub_with_carry)
{
    TH *t = th_new();
    /* 128-bit add and subtract through the carry */
    static const uint32_t code[] = {
        0xab030020, /* adds x0, x1, x3 */
        0xba040042, /* adcs x2, x2, x4 */
        0xeb030025, /* subs x5, x1, x3 */
        0xfa040046, /* sbcs x6, x2, x4 */
        0x1a080107, /* adc w7, w8, w8 */
        0x5a080109, /* sbc w9, w8, w8 */
        0xda1f03ea, /* ngc x10, xzr */
    };
    t->c->x[1] = ~0ULL;
    t->c->x[2] = 0;
    t->c->x[3] = 1;
    t->c->x[4] = 0;
    t->c->x[8] = 0xffffffffULL;
    RUN(t, code);
    cr_assert_eq(t->c->x[0], 0);
    cr_assert_eq(t->c->x[2], 1);
    cr_assert_eq(t->c->x[5], ~1ULL);
    cr_assert_eq(t->c->x[6], 1);
    FLAGS(t, 0x2);
    cr_assert_eq(t->c->x[7], 0xffffffffULL, "0xffffffff * 2 + C=1 wraps");
    cr_assert_eq(t->c->x[9], 0, "x - x - !C with C=1");
    cr_assert_eq(t->c->x[10], 0);
    static const uint32_t sbc[] = { 0xda020020 /* sbc x0, x1, x2 */ };
    t->c->cf = 0;
    t->c->x[1] = 10;
    t->c->x[2] = 3;
    RUN(t, sbc);
    cr_assert_eq(t->c->x[0], 6);
    static const uint32_t adcs32[] = { 0x3a020020 /* adcs w0, w1, w2 */ };
    t->c->cf = 1;
    t->c->x[1] = 0x7fffffff;
    t->c->x[2] = 0;
    RUN(t, adcs32);
    cr_assert_eq(t->c->x[0], 0x80000000ULL);
    FLAGS(t, 0x9);
    th_free(t);
}

Test(dp_reg, conditional_compare)
{
    TH *t = th_new();
    static const uint32_t ccmp[] = { 0xfa420025 /* ccmp x1, x2, #0b0101, eq */ };
    t->c->x[1] = 3;
    t->c->x[2] = 3;
    t->c->zf = 1;
    RUN(t, ccmp);
    FLAGS(t, 0x6);                      /* condition held: flags of 3 - 3 */
    t->c->zf = 0;
    RUN(t, ccmp);
    FLAGS(t, 0x5);                      /* failed: the immediate NZCV */
    static const uint32_t ccmn[] = { 0x3a5f1828 /* ccmn w1, #31, #0b1000, ne */ };
    t->c->zf = 0;
    t->c->x[1] = 0xffffffe1ULL;         /* -31 */
    RUN(t, ccmn);
    FLAGS(t, 0x6);
    static const uint32_t ccmp_i[] = { 0xfa41a820 /* ccmp x1, #1, #0, ge */ };
    t->c->nf = t->c->vf = t->c->zf = t->c->cf = 0;
    t->c->x[1] = 0x8000000000000000ULL;
    RUN(t, ccmp_i);
    FLAGS(t, 0x3);                      /* INT64_MIN - 1: C V */
    th_free(t);
}

Test(dp_reg, conditional_select)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0x9a820020, /* csel x0, x1, x2, eq */
        0x9a821423, /* csinc x3, x1, x2, ne */
        0x5a821024, /* csinv w4, w1, w2, ne */
        0xda821425, /* csneg x5, x1, x2, ne */
        0x1a9f17e6, /* cset w6, eq */
        0xda9f13e7, /* csetm x7, eq */
        0x9a810428, /* cinc x8, x1, ne */
        0x9a82e029, /* csel x9, x1, x2, al */
        0x1a82f02a, /* csel w10, w1, w2, nv */
    };
    t->c->x[1] = 0xffffffff00000010ULL;
    t->c->x[2] = 0x20;
    t->c->zf = 1;
    RUN(t, code);
    cr_assert_eq(t->c->x[0], 0xffffffff00000010ULL);
    cr_assert_eq(t->c->x[3], 0x21);
    cr_assert_eq(t->c->x[4], 0xffffffdfULL);
    cr_assert_eq(t->c->x[5], (uint64_t)-0x20);
    cr_assert_eq(t->c->x[6], 1);
    cr_assert_eq(t->c->x[7], ~0ULL);
    cr_assert_eq(t->c->x[8], 0xffffffff00000010ULL, "CINC ne with Z=1");
    cr_assert_eq(t->c->x[9], 0xffffffff00000010ULL);
    cr_assert_eq(t->c->x[10], 0x10, "NV behaves as AL");
    th_free(t);
}

Test(dp_reg, one_source)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0xdac00020, /* rbit x0, x1 */
        0x5ac00022, /* rbit w2, w1 */
        0xdac00423, /* rev16 x3, x1 */
        0xdac00824, /* rev32 x4, x1 */
        0xdac00c25, /* rev x5, x1 */
        0x5ac00826, /* rev w6, w1 */
        0xdac013e7, /* clz x7, xzr */
        0x5ac013e8, /* clz w8, wzr */
        0xdac01029, /* clz x9, x1 */
        0xdac017ea, /* cls x10, xzr */
        0xdac0158b, /* cls x11, x12 */
        0x5ac015cd, /* cls w13, w14 */
        0x5ac0102f, /* clz w15, w1 */
        0x5ac00430, /* rev16 w16, w1 */
    };
    t->c->x[1] = 0x0123456789abcdefULL;
    t->c->x[12] = ~0ULL;
    t->c->x[14] = 0x00000000c0000000ULL;
    RUN(t, code);
    cr_assert_eq(t->c->x[0], 0xf7b3d591e6a2c480ULL);
    cr_assert_eq(t->c->x[2], 0xf7b3d591ULL);
    cr_assert_eq(t->c->x[3], 0x23016745ab89efcdULL);
    cr_assert_eq(t->c->x[4], 0x67452301efcdab89ULL);
    cr_assert_eq(t->c->x[5], 0xefcdab8967452301ULL);
    cr_assert_eq(t->c->x[6], 0xefcdab89ULL);
    cr_assert_eq(t->c->x[7], 64);
    cr_assert_eq(t->c->x[8], 32);
    cr_assert_eq(t->c->x[9], 7);
    cr_assert_eq(t->c->x[10], 63);
    cr_assert_eq(t->c->x[11], 63);
    cr_assert_eq(t->c->x[13], 1);
    cr_assert_eq(t->c->x[15], 0);
    cr_assert_eq(t->c->x[16], 0xab89efcdULL);
    th_free(t);
}

Test(dp_reg, division_corner_cases)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0x9adf0820, /* udiv x0, x1, xzr */
        0x9ac40c62, /* sdiv x2, x3, x4 */
        0x1ac40cc5, /* sdiv w5, w6, w4 */
        0x9ac90d07, /* sdiv x7, x8, x9 */
        0x1ac9096a, /* udiv w10, w11, w9 */
        0x1adf0ccc, /* sdiv w12, w6, wzr */
        0x9ac9088d, /* udiv x13, x4, x9 */
    };
    t->c->x[1] = 1234;
    t->c->x[3] = 0x8000000000000000ULL;
    t->c->x[4] = ~0ULL;
    t->c->x[6] = 0x80000000ULL;
    t->c->x[8] = (uint64_t)-7;
    t->c->x[9] = 2;
    t->c->x[11] = 0xffffffff00000009ULL;
    RUN(t, code);
    cr_assert_eq(t->c->x[0], 0, "division by zero gives 0");
    cr_assert_eq(t->c->x[2], 0x8000000000000000ULL, "INT64_MIN / -1");
    cr_assert_eq(t->c->x[5], 0x80000000ULL, "INT32_MIN / -1");
    cr_assert_eq(t->c->x[7], (uint64_t)-3, "rounds toward zero");
    cr_assert_eq(t->c->x[10], 4);
    cr_assert_eq(t->c->x[12], 0);
    cr_assert_eq(t->c->x[13], 0x7fffffffffffffffULL);
    th_free(t);
}

Test(dp_reg, variable_shifts)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0x9ac22020, /* lsl x0, x1, x2 */
        0x1ac42423, /* lsr w3, w1, w4 */
        0x9ac728c5, /* asr x5, x6, x7 */
        0x9ac92c28, /* ror x8, x1, x9 */
        0x1acb2c2a, /* ror w10, w1, w11 */
        0x1ac728cc, /* asr w12, w6, w7 */
        0x1ac9202d, /* lsl w13, w1, w9 */
        0x9acb242e, /* lsr x14, x1, x11 */
    };
    t->c->x[1] = 0x80000001ULL;
    t->c->x[2] = 64 + 3;                /* amount modulo 64 */
    t->c->x[4] = 33;                    /* modulo 32 -> 1 */
    t->c->x[6] = 0x8000000000000000ULL;
    t->c->x[7] = 63;
    t->c->x[9] = 64;                    /* ROR by 0 */
    t->c->x[11] = 0xffffffffffffffe1ULL; /* 32-bit: 1; 64-bit: 33 */
    RUN(t, code);
    cr_assert_eq(t->c->x[0], 0x400000008ULL);
    cr_assert_eq(t->c->x[3], 0x40000000ULL);
    cr_assert_eq(t->c->x[5], ~0ULL);
    cr_assert_eq(t->c->x[8], 0x80000001ULL);
    cr_assert_eq(t->c->x[10], 0xc0000000ULL);
    cr_assert_eq(t->c->x[12], 0, "W6 = 0: ASR 31 of 0");
    cr_assert_eq(t->c->x[13], 0x80000001ULL);
    cr_assert_eq(t->c->x[14], 0);
    th_free(t);
}

/* crc32 over "123456789" through CRC32B one byte at a time, and through X+B */
static uint32_t crc_bytes(TH *t, const uint32_t *insn, const char *s)
{
    t->c->x[0] = 0xffffffffu;
    for (; *s; s++) {
        t->c->x[1] = (uint8_t)*s | 0xffffff00ULL;   /* only the low byte is used */
        cr_assert_eq(th_run(t, insn, 1), 0);
    }
    return (uint32_t)~t->c->x[0];
}

Test(dp_reg, crc32_check_values)
{
    TH *t = th_new();
    static const uint32_t b[] = { 0x1ac14000 /* crc32b w0, w0, w1 */ };
    static const uint32_t cb[] = { 0x1ac15000 /* crc32cb w0, w0, w1 */ };
    cr_assert_eq(crc_bytes(t, b, "123456789"), 0xcbf43926u);
    cr_assert_eq(crc_bytes(t, cb, "123456789"), 0xe3069283u);
    static const uint32_t wide[] = {
        0x9ac14c00, /* crc32x w0, w0, x1 */
        0x1ac24000, /* crc32b w0, w0, w2 */
        0x9ac15c63, /* crc32cx w3, w3, x1 */
        0x1ac25063, /* crc32cb w3, w3, w2 */
        0x1ac54484, /* crc32h w4, w4, w5 */
        0x1ac64484, /* crc32h w4, w4, w6 */
        0x1ac74884, /* crc32w w4, w4, w7 */
        0x1ac24084, /* crc32b w4, w4, w2 */
        0x1ac55508, /* crc32ch w8, w8, w5 */
        0x1ac65508, /* crc32ch w8, w8, w6 */
        0x1ac75908, /* crc32cw w8, w8, w7 */
        0x1ac25108, /* crc32cb w8, w8, w2 */
    };
    t->c->x[0] = t->c->x[3] = t->c->x[4] = t->c->x[8] = 0xffffffffu;
    t->c->x[1] = 0x3837363534333231ULL;  /* "12345678" little-endian */
    t->c->x[2] = '9';
    t->c->x[5] = 0xffffffffffff3231ULL;  /* "12": upper bits ignored */
    t->c->x[6] = 0x3433;
    t->c->x[7] = 0x38373635;
    RUN(t, wide);
    cr_assert_eq((uint32_t)~t->c->x[0], 0xcbf43926u);
    cr_assert_eq((uint32_t)~t->c->x[3], 0xe3069283u);
    cr_assert_eq((uint32_t)~t->c->x[4], 0xcbf43926u);
    cr_assert_eq((uint32_t)~t->c->x[8], 0xe3069283u);
    cr_assert_eq(t->c->x[0] >> 32, 0);
    /* crc32x with sf=0 (0x1ac24c00 = crc32x w0, w0, w2 with bit 31 clear) is unallocated */
    static const uint32_t bad[] = { 0x1ac24c00 };
    cr_assert(th_undefined(t, bad, 1));
    th_free(t);
}

Test(dp_reg, multiply)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0x9b020c20, /* madd x0, x1, x2, x3 */
        0x9b028c24, /* msub x4, x1, x2, x3 */
        0x1b027c25, /* mul w5, w1, w2 */
        0x9b270c26, /* smaddl x6, w1, w7, x3 */
        0x9ba77c28, /* umaddl x8, w1, w7, xzr */
        0x9b278ce9, /* smsubl x9, w7, w7, x3 */
        0x9ba7fcea, /* umsubl x10, w7, w7, xzr */
        0x9b4d7d8b, /* smulh x11, x12, x13 */
        0x9bcd7d8e, /* umulh x14, x12, x13 */
        0x9b4c7d8f, /* smulh x15, x12, x12 */
        0x9bcd7db0, /* umulh x16, x13, x13 */
        0x9b02fc31, /* mneg x17, x1, x2 */
        0x1b020c32, /* madd w18, w1, w2, w3 */
    };
    t->c->x[1] = 0x100000003ULL;
    t->c->x[2] = 0x80000001ULL;
    t->c->x[3] = 10;
    t->c->x[7] = 0xfffffffeULL;          /* -2 as W */
    t->c->x[12] = 0x8000000000000000ULL;
    t->c->x[13] = ~0ULL;
    RUN(t, code);
    cr_assert_eq(t->c->x[0], 10 + 0x100000003ULL * 0x80000001ULL);
    cr_assert_eq(t->c->x[4], 10 - 0x100000003ULL * 0x80000001ULL);
    cr_assert_eq(t->c->x[5], (uint32_t)(3u * 0x80000001u));
    cr_assert_eq(t->c->x[6], 10 - 6);
    cr_assert_eq(t->c->x[8], 3ULL * 0xfffffffeULL);
    cr_assert_eq(t->c->x[9], 10 - 4);
    cr_assert_eq(t->c->x[10], 0 - 0xfffffffeULL * 0xfffffffeULL);
    cr_assert_eq(t->c->x[11], 0, "INT64_MIN * -1 = 2^63: high half 0");
    cr_assert_eq(t->c->x[14], 0x7fffffffffffffffULL);
    cr_assert_eq(t->c->x[15], 0x4000000000000000ULL);
    cr_assert_eq(t->c->x[16], 0xfffffffffffffffeULL);
    cr_assert_eq(t->c->x[17], 0 - 0x100000003ULL * 0x80000001ULL);
    cr_assert_eq(t->c->x[18], (uint32_t)(10u + 3u * 0x80000001u));
    static const uint32_t neg[] = { 0x9b427c20 /* smulh x0, x1, x2 */ };
    t->c->x[1] = (uint64_t)-3;
    t->c->x[2] = 5;
    RUN(t, neg);
    cr_assert_eq(t->c->x[0], ~0ULL, "-15: high half all ones");
    th_free(t);
}

Test(dp_reg, writes_to_xzr_are_discarded)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0xab02003f, /* adds xzr, x1, x2 */
        0x9b027c3f, /* mul xzr, x1, x2 */
        0x9a82043f, /* csinc xzr, x1, x2, eq */
        0xaa0103e3, /* orr x3, xzr, x1 */
        0x8b1f0024, /* add x4, x1, xzr */
        0xcb0103e5, /* sub x5, xzr, x1 */
    };
    t->c->x[1] = 7;
    t->c->x[2] = 9;
    RUN(t, code);
    cr_assert_eq(t->c->x[3], 7);
    cr_assert_eq(t->c->x[4], 7);
    cr_assert_eq(t->c->x[5], (uint64_t)-7);
    cr_assert_eq(t->c->x[A64_ZR], 0);
    FLAGS(t, 0x0);
    th_free(t);
}

/* ConditionHolds() written out independently, checked against CSINC and CCMP for all 16
 * conditions (AL and NV included) and all 16 NZCV values. */
static bool ref_cond(unsigned cond, unsigned f)
{
    bool n = f & 8, z = f & 4, c = f & 2, v = f & 1;
    static const char *const names[16] = { "eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc",
                                           "hi", "ls", "ge", "lt", "gt", "le", "al", "nv" };
    const char *s = names[cond];
    if (!strcmp(s, "eq")) return z;
    if (!strcmp(s, "ne")) return !z;
    if (!strcmp(s, "cs")) return c;
    if (!strcmp(s, "cc")) return !c;
    if (!strcmp(s, "mi")) return n;
    if (!strcmp(s, "pl")) return !n;
    if (!strcmp(s, "vs")) return v;
    if (!strcmp(s, "vc")) return !v;
    if (!strcmp(s, "hi")) return c && !z;
    if (!strcmp(s, "ls")) return !c || z;
    if (!strcmp(s, "ge")) return n == v;
    if (!strcmp(s, "lt")) return n != v;
    if (!strcmp(s, "gt")) return !z && n == v;
    if (!strcmp(s, "le")) return z || n != v;
    return true;                        /* al, nv */
}

Test(dp_reg, all_conditions_for_csinc_and_ccmp)
{
    TH *t = th_new();
    for (unsigned cond = 0; cond < 16; cond++) {
        /* csinc x0, xzr, xzr, cond: 0 if cond holds else 1;
           ccmp xzr, xzr, #0, cond: Z C if cond holds else 0000 */
        uint32_t code[2] = { 0x9a9f07e0u | cond << 12, 0xfa5f03e0u | cond << 12 };
        for (unsigned f = 0; f < 16; f++) {
            t->c->nf = f >> 3 & 1;
            t->c->zf = f >> 2 & 1;
            t->c->cf = f >> 1 & 1;
            t->c->vf = f & 1;
            t->c->x[0] = 77;
            cr_assert_eq(th_run(t, code, 2), 0);
            bool holds = ref_cond(cond, f);
            cr_assert_eq(t->c->x[0], holds ? 0 : 1, "csinc cond %u nzcv %x", cond, f);
            cr_assert_eq(nzcv(t->c), holds ? 0x6u : 0x0u, "ccmp cond %u nzcv %x", cond, f);
        }
    }
    th_free(t);
}
