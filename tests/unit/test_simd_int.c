/* AdvSIMD integer and crypto instructions (Arm ARM C4.1, the AdvSIMD classes): saturation and
 * FPSR.QC, rounding shifts at their edges, TBL/TBX out of range, reserved encodings UNDEFINED,
 * and the crypto extension against the FIPS-197 (AES-128) and FIPS-180 (SHA-1, SHA-256 of
 * "abc") known answers. Encodings from aarch64-linux-gnu-as -march=armv8-a+crypto. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "harness.h"
#include "cpu/arm64/sysreg.h"

#define RUN(t, code) cr_assert_eq(th_run((t), (code), sizeof(code) / sizeof((code)[0])), 0, \
                                  "%s", (t)->m->stop_msg)
#define QC (1u << 27)

/* A core at EL1 with SIMD&FP enabled (CPACR_EL1.FPEN = 0b11) and FPSR clear. */
static TH *simd_new(void)
{
    TH *t = th_new();
    t->c->sys[A64_SYS_CPACR_EL1] = 3u << 20;
    t->c->sys[A64_SYS_FPSR] = 0;
    return t;
}

static void set_b(A64Vreg *v, uint8_t x)
{
    memset(v->b, x, 16);
}

static void set_h(A64Vreg *v, uint16_t x)
{
    for (int i = 0; i < 8; i++)
        v->h[i] = x;
}

static void run1(TH *t, uint32_t insn)
{
    const uint32_t code[] = { insn };
    RUN(t, code);
}

/* ------------------------------------------------------------ saturation -------------- */

Test(simd_int, sqadd_saturates_and_sets_qc)
{
    TH *t = simd_new();
    set_b(&t->c->v[1], 0x7f);
    set_b(&t->c->v[2], 0x01);
    run1(t, 0x4e220c20);                /* sqadd v0.16b, v1.16b, v2.16b */
    for (int i = 0; i < 16; i++)
        cr_assert_eq(t->c->v[0].b[i], 0x7f);
    cr_assert(t->c->sys[A64_SYS_FPSR] & QC);
    /* no saturation: QC is cumulative, it stays set; cleared, it stays clear */
    t->c->sys[A64_SYS_FPSR] = 0;
    set_b(&t->c->v[1], 0x80);
    set_b(&t->c->v[2], 0x7f);
    run1(t, 0x4e220c20);
    cr_assert_eq(t->c->v[0].b[3], 0xff);
    cr_assert_eq(t->c->sys[A64_SYS_FPSR], 0);
    th_free(t);
}

Test(simd_int, uqsub_floors_at_zero)
{
    TH *t = simd_new();
    set_h(&t->c->v[1], 5);
    set_h(&t->c->v[2], 7);
    t->c->v[2].h[0] = 3;
    run1(t, 0x6e622c20);                /* uqsub v0.8h, v1.8h, v2.8h */
    cr_assert_eq(t->c->v[0].h[0], 2);
    cr_assert_eq(t->c->v[0].h[7], 0);
    cr_assert(t->c->sys[A64_SYS_FPSR] & QC);
    th_free(t);
}

Test(simd_int, sqdmulh_min_times_min)
{
    TH *t = simd_new();
    set_h(&t->c->v[1], 0x8000);
    set_h(&t->c->v[2], 0x8000);
    t->c->v[2].h[1] = 0x4000;           /* -1 * 0.5 = -0.5 */
    run1(t, 0x0e62b420);                /* sqdmulh v0.4h, v1.4h, v2.4h */
    cr_assert_eq(t->c->v[0].h[0], 0x7fff);
    cr_assert_eq(t->c->v[0].h[1], 0xc000);
    cr_assert_eq(t->c->v[0].d[1], 0, "64-bit form clears the upper half");
    cr_assert(t->c->sys[A64_SYS_FPSR] & QC);
    th_free(t);
}

Test(simd_int, sqrdmulh_by_element_rounds)
{
    TH *t = simd_new();
    for (int i = 0; i < 4; i++)
        t->c->v[1].s[i] = 3;
    t->c->v[2].s[1] = 0x40000000;       /* 0.5: 2*3*2^30 >> 32 = 1.5, rounded to 2 */
    run1(t, 0x4fa2d020);                /* sqrdmulh v0.4s, v1.4s, v2.s[1] */
    for (int i = 0; i < 4; i++)
        cr_assert_eq(t->c->v[0].s[i], 2);
    cr_assert_eq(t->c->sys[A64_SYS_FPSR] & QC, 0);
    th_free(t);
}

Test(simd_int, narrowing_saturation)
{
    TH *t = simd_new();
    const int16_t in[8] = { 127, 128, -128, -129, 0, -1, 300, -300 };
    for (int i = 0; i < 8; i++)
        t->c->v[1].h[i] = (uint16_t)in[i];
    set_b(&t->c->v[0], 0xaa);
    run1(t, 0x6e212820);                /* sqxtun2 v0.16b, v1.8h */
    const uint8_t want_u[8] = { 127, 128, 0, 0, 0, 0, 255, 0 };
    for (int i = 0; i < 8; i++) {
        cr_assert_eq(t->c->v[0].b[i], 0xaa, "lower half kept");
        cr_assert_eq(t->c->v[0].b[8 + i], want_u[i], "lane %d", i);
    }
    cr_assert(t->c->sys[A64_SYS_FPSR] & QC);
    run1(t, 0x0e214820);                /* sqxtn v0.8b, v1.8h */
    const int8_t want_s[8] = { 127, 127, -128, -128, 0, -1, 127, -128 };
    for (int i = 0; i < 8; i++)
        cr_assert_eq((int8_t)t->c->v[0].b[i], want_s[i], "lane %d", i);
    cr_assert_eq(t->c->v[0].d[1], 0);
    th_free(t);
}

Test(simd_int, sqshlu_negative_is_zero)
{
    TH *t = simd_new();
    t->c->v[1].s[0] = (uint32_t)-1;
    t->c->v[1].s[1] = 1;
    t->c->v[1].s[2] = 0x10000000;       /* << 4 = 2^32: saturates to 0xffffffff */
    t->c->v[1].s[3] = 0x0fffffff;
    run1(t, 0x6f246420);                /* sqshlu v0.4s, v1.4s, #4 */
    cr_assert_eq(t->c->v[0].s[0], 0);
    cr_assert_eq(t->c->v[0].s[1], 16);
    cr_assert_eq(t->c->v[0].s[2], 0xffffffff);
    cr_assert_eq(t->c->v[0].s[3], 0xfffffff0);
    cr_assert(t->c->sys[A64_SYS_FPSR] & QC);
    th_free(t);
}

/* ------------------------------------------------------------ rounding shifts --------- */

Test(simd_int, urshr_by_64_rounds_up)
{
    TH *t = simd_new();
    t->c->v[1].d[0] = ~0ULL;            /* (2^64 - 1 + 2^63) >> 64 = 1 */
    t->c->v[1].d[1] = 0x7fffffffffffffffULL;   /* rounds to 0 */
    run1(t, 0x6f402420);                /* urshr v0.2d, v1.2d, #64 */
    cr_assert_eq(t->c->v[0].d[0], 1);
    cr_assert_eq(t->c->v[0].d[1], 0);
    th_free(t);
}

Test(simd_int, srshr_scalar_rounds_half_up)
{
    TH *t = simd_new();
    t->c->v[1].d[0] = (uint64_t)-3;     /* -1.5 rounds to -1 */
    t->c->v[1].d[1] = 77;
    run1(t, 0x5f7f2420);                /* srshr d0, d1, #1 */
    cr_assert_eq(t->c->v[0].d[0], (uint64_t)-1);
    cr_assert_eq(t->c->v[0].d[1], 0, "scalar clears the rest");
    t->c->v[1].d[0] = 0x7fffffffffffffffULL;   /* no overflow in the rounding add */
    run1(t, 0x5f7f2420);
    cr_assert_eq(t->c->v[0].d[0], 0x4000000000000000ULL);
    th_free(t);
}

Test(simd_int, register_shifts_by_large_and_negative_amounts)
{
    TH *t = simd_new();
    t->c->v[1].d[0] = ~0ULL;
    t->c->v[2].d[0] = (uint64_t)-64;    /* URSHL by -64: rounding right shift by 64 */
    t->c->v[1].d[1] = 1;
    t->c->v[2].d[1] = 0x40;             /* shift left by 64: 0 */
    run1(t, 0x6ee25420);                /* urshl v0.2d, v1.2d, v2.2d */
    cr_assert_eq(t->c->v[0].d[0], 1);
    cr_assert_eq(t->c->v[0].d[1], 0);
    /* SQRSHL: left shifts saturate, right ones round; only the low byte of Vm counts */
    t->c->v[1].s[0] = 0x40000000;
    t->c->v[2].s[0] = 0x101;            /* low byte 1: saturates to INT32_MAX */
    t->c->v[1].s[1] = (uint32_t)-5;
    t->c->v[2].s[1] = 0xfe;             /* -2: -5/4 = -1.25 rounds to -1 */
    t->c->v[1].s[2] = 0x80000000;
    t->c->v[2].s[2] = 0x80;             /* -128: rounds to 0 */
    t->c->v[1].s[3] = 0;
    t->c->v[2].s[3] = 0x7f;             /* zero shifted any amount: 0, no saturation */
    t->c->sys[A64_SYS_FPSR] = 0;
    run1(t, 0x4ea25c20);                /* sqrshl v0.4s, v1.4s, v2.4s */
    cr_assert_eq(t->c->v[0].s[0], 0x7fffffff);
    cr_assert_eq(t->c->v[0].s[1], (uint32_t)-1);
    cr_assert_eq(t->c->v[0].s[2], 0);
    cr_assert_eq(t->c->v[0].s[3], 0);
    cr_assert(t->c->sys[A64_SYS_FPSR] & QC);
    th_free(t);
}

Test(simd_int, uqrshrn_rounds_then_saturates)
{
    TH *t = simd_new();
    t->c->v[1].h[0] = 0x07fb;           /* (2043 + 4) >> 3 = 255 */
    t->c->v[1].h[1] = 0x07fc;           /* (2044 + 4) >> 3 = 256: saturates */
    t->c->v[1].h[2] = 11;               /* 11/8 = 1.375 -> 1 */
    t->c->v[1].h[3] = 12;               /* 1.5 -> 2 */
    run1(t, 0x2f0d9c20);                /* uqrshrn v0.8b, v1.8h, #3 */
    cr_assert_eq(t->c->v[0].b[0], 255);
    cr_assert_eq(t->c->v[0].b[1], 255);
    cr_assert_eq(t->c->v[0].b[2], 1);
    cr_assert_eq(t->c->v[0].b[3], 2);
    cr_assert(t->c->sys[A64_SYS_FPSR] & QC);
    th_free(t);
}

/* ------------------------------------------------------------ table lookup ------------ */

Test(simd_int, tbl_out_of_range_is_zero_tbx_keeps)
{
    TH *t = simd_new();
    for (int i = 0; i < 16; i++) {
        t->c->v[1].b[i] = (uint8_t)(0x10 + i);
        t->c->v[2].b[i] = (uint8_t)(0x20 + i);
        t->c->v[3].b[i] = (uint8_t)(i * 3);      /* 0..45: past 31 is out of range */
    }
    t->c->v[3].b[15] = 0xff;
    run1(t, 0x4e032020);                /* tbl v0.16b, {v1.16b, v2.16b}, v3.16b */
    for (int i = 0; i < 16; i++) {
        unsigned idx = t->c->v[3].b[i];
        uint8_t want = idx < 16 ? (uint8_t)(0x10 + idx) : idx < 32 ? (uint8_t)(0x20 + idx - 16) : 0;
        cr_assert_eq(t->c->v[0].b[i], want, "byte %d (index %u)", i, idx);
    }
    /* TBX with three registers wrapping V30, V31, V0: out of range keeps Vd; 8 bytes only */
    for (int i = 0; i < 16; i++) {
        t->c->v[30].b[i] = (uint8_t)i;
        t->c->v[31].b[i] = (uint8_t)(0x40 + i);
        t->c->v[0].b[i] = (uint8_t)(0x80 + i);
        t->c->v[3].b[i] = (uint8_t)(i * 7);      /* 0, 7, ..., 49: 48 and 49 out of range */
    }
    run1(t, 0x0e0353c0);                /* tbx v0.8b, {v30.16b, v31.16b, v0.16b}, v3.8b */
    for (int i = 0; i < 8; i++) {
        unsigned idx = (unsigned)i * 7;
        uint8_t want = idx < 16 ? (uint8_t)idx : idx < 32 ? (uint8_t)(0x40 + idx - 16)
                     : idx < 48 ? (uint8_t)(0x80 + idx - 32)     /* V0 as the table */
                                : (uint8_t)(0x80 + i);           /* kept */
        cr_assert_eq(t->c->v[0].b[i], want, "byte %d (index %u)", i, idx);
    }
    cr_assert_eq(t->c->v[0].d[1], 0);
    th_free(t);
}

/* ------------------------------------------------------------ reserved encodings ------ */

Test(simd_int, reserved_encodings_are_undefined)
{
    static const uint32_t reserved[] = {
        0x0ee28420,                     /* add v0.1d: size 11 with Q = 0 */
        0x0e22b420,                     /* sqdmulh with byte elements */
        0x0e083c20,                     /* umov w0, v1.d[0]: a D element needs X (Q = 1) */
        0x2e024020,                     /* ext v0.8b with index 8 */
        0x0e100c20,                     /* dup with imm5 = 10000 */
        0x2f00f400,                     /* fmov (double) with Q = 0 */
        0x0ee0b820,                     /* abs v0.1d (only the scalar abs d0 exists) */
        0x0f408420,                     /* shrn with immh = 1xxx (no 128-bit source) */
    };
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        TH *t = simd_new();
        cr_assert(th_undefined(t, &reserved[i], 1), "%08x should be UNDEFINED", reserved[i]);
        th_free(t);
    }
}

Test(simd_int, fp_disabled_traps_with_ec_7)
{
    TH *t = simd_new();
    t->c->sys[A64_SYS_CPACR_EL1] = 0;
    t->c->sys[A64_SYS_VBAR_EL1] = TH_RAM_BASE + 0x10000;
    const uint32_t code[] = { 0x4e220c20 };     /* sqadd v0.16b, v1.16b, v2.16b */
    RUN(t, code);
    cr_assert_eq(t->c->sys[A64_SYS_ESR_EL1] >> 26, 0x07);
    cr_assert_eq(t->c->pc, TH_RAM_BASE + 0x10000 + 0x200);
    th_free(t);
}

/* ------------------------------------------------------------ crypto ------------------ */

/* S(x) through AESE itself: a state of 16 equal bytes is unchanged by ShiftRows. The
 * known-answer test below checks the result, so an S-box error cannot hide here. */
static uint8_t sbox_via_aese(TH *t, uint8_t x)
{
    set_b(&t->c->v[1], x);
    memset(&t->c->v[0], 0, 16);
    run1(t, 0x4e284820);                /* aese v0.16b, v1.16b */
    return t->c->v[0].b[0];
}

/* FIPS-197 5.2 key expansion of a 128-bit key into 11 round keys (bytes in order). */
static void aes128_expand(TH *t, const uint8_t key[16], uint8_t rk[11][16])
{
    uint8_t rcon = 1;
    memcpy(rk[0], key, 16);
    for (int r = 1; r <= 10; r++) {
        uint8_t w[4];
        for (int i = 0; i < 4; i++)
            w[i] = sbox_via_aese(t, rk[r - 1][12 + (i + 1) % 4]);
        w[0] ^= rcon;
        rcon = (uint8_t)((rcon << 1) ^ (rcon & 0x80 ? 0x1b : 0));
        for (int i = 0; i < 16; i++) {
            uint8_t prev = i < 4 ? w[i] : rk[r][i - 4];
            rk[r][i] = rk[r - 1][i] ^ prev;
        }
    }
}

Test(crypto, aes128_fips197_appendix_c1)
{
    static const uint8_t key[16] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                     0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
    static const uint8_t pt[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
    static const uint8_t ct[16] = { 0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30,
                                    0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a };
    TH *t = simd_new();
    uint8_t rk[11][16];
    aes128_expand(t, key, rk);
    /* encrypt: nine AESE + AESMC rounds, a last AESE, the last round key by EOR */
    memcpy(t->c->v[0].b, pt, 16);
    for (int r = 0; r < 9; r++) {
        memcpy(t->c->v[1].b, rk[r], 16);
        const uint32_t round[] = { 0x4e284820 /* aese v0, v1 */, 0x4e286800 /* aesmc v0, v0 */ };
        RUN(t, round);
    }
    memcpy(t->c->v[1].b, rk[9], 16);
    run1(t, 0x4e284820);
    memcpy(t->c->v[1].b, rk[10], 16);
    run1(t, 0x6e211c00);                /* eor v0.16b, v0.16b, v1.16b */
    cr_assert_arr_eq(t->c->v[0].b, ct, 16, "AES-128 ciphertext");
    /* decrypt (equivalent inverse cipher): AESD + AESIMC with InvMixColumns'ed middle keys */
    for (int r = 10; r > 1; r--) {
        memcpy(t->c->v[1].b, rk[r], 16);
        if (r < 10) {                   /* v1 = InvMixColumns(rk[r]) */
            memcpy(&t->c->v[2], &t->c->v[0], 16);
            memcpy(&t->c->v[0], &t->c->v[1], 16);
            run1(t, 0x4e287800);        /* aesimc v0.16b, v0.16b */
            memcpy(&t->c->v[1], &t->c->v[0], 16);
            memcpy(&t->c->v[0], &t->c->v[2], 16);
        }
        const uint32_t round[] = { 0x4e285820 /* aesd v0, v1 */, 0x4e287800 /* aesimc v0, v0 */ };
        RUN(t, round);
    }
    memcpy(t->c->v[1].b, rk[1], 16);
    memcpy(&t->c->v[2], &t->c->v[0], 16);
    memcpy(&t->c->v[0], &t->c->v[1], 16);
    run1(t, 0x4e287800);
    memcpy(&t->c->v[1], &t->c->v[0], 16);
    memcpy(&t->c->v[0], &t->c->v[2], 16);
    run1(t, 0x4e285820);                /* aesd v0.16b, v1.16b */
    memcpy(t->c->v[1].b, rk[0], 16);
    run1(t, 0x6e211c00);
    cr_assert_arr_eq(t->c->v[0].b, pt, 16, "AES-128 decryption gives the plaintext back");
    th_free(t);
}

/* The "abc" message as one padded 512-bit block, as big-endian words. */
static void abc_block(uint32_t w[16])
{
    memset(w, 0, 16 * sizeof w[0]);
    w[0] = 0x61626380;
    w[15] = 24;
}

static void load_words(A64Vreg *v, const uint32_t *w)
{
    for (int i = 0; i < 4; i++)
        v->s[i] = w[i];
}

/* Message schedule registers V16-V19 rotate by one after each group of four rounds. */
static void rotate_schedule(Arm64Cpu *c)
{
    A64Vreg first = c->v[16];
    memmove(&c->v[16], &c->v[17], 3 * sizeof(A64Vreg));
    c->v[19] = first;
}

Test(crypto, sha1_fips180_abc)
{
    static const uint32_t h0[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
    static const uint32_t want[5] = { 0xa9993e36, 0x4706816a, 0xba3e2571, 0x7850c26c, 0x9cd0d89d };
    static const uint32_t k[4] = { 0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6 };
    static const uint32_t op[4] = { 0x5e0400e0 /* sha1c q0, s7, v4.4s */, 0x5e0410e0 /* sha1p */,
                                    0x5e0420e0 /* sha1m */, 0x5e0410e0 /* sha1p */ };
    TH *t = simd_new();
    uint32_t w[16];
    abc_block(w);
    for (int i = 0; i < 4; i++)
        load_words(&t->c->v[16 + i], w + 4 * i);
    load_words(&t->c->v[0], h0);
    memset(&t->c->v[7], 0, 16);
    t->c->v[7].s[0] = h0[4];
    for (int g = 0; g < 20; g++) {
        for (int i = 0; i < 4; i++)
            t->c->v[5].s[i] = k[g / 5];
        const uint32_t group[] = {
            0x4ea58604,                 /* add v4.4s, v16.4s, v5.4s */
            0x5e280806,                 /* sha1h s6, s0 */
            op[g / 5],
            0x5e123230,                 /* sha1su0 v16.4s, v17.4s, v18.4s */
            0x5e281a70,                 /* sha1su1 v16.4s, v19.4s */
        };
        RUN(t, group);
        t->c->v[7] = t->c->v[6];
        rotate_schedule(t->c);
    }
    for (int i = 0; i < 4; i++)
        cr_assert_eq(t->c->v[0].s[i] + h0[i], want[i], "H%d", i);
    cr_assert_eq(t->c->v[7].s[0] + h0[4], want[4], "H4");
    th_free(t);
}

/* SHA-256 round constants (FIPS-180 4.2.2): the first 32 bits of the fractional parts of
 * the cube roots of the first 64 primes. */
static void sha256_k(uint32_t k[64])
{
    int n = 0;
    for (int p = 2; n < 64; p++) {
        bool prime = true;
        for (int q = 2; q * q <= p; q++)
            prime = prime && p % q;
        if (prime) {
            long double r = cbrtl((long double)p);
            k[n++] = (uint32_t)((r - floorl(r)) * 4294967296.0L);
        }
    }
}

Test(crypto, sha256_fips180_abc)
{
    static const uint32_t h0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    static const uint32_t want[8] = { 0xba7816bf, 0x8f01cfea, 0x414140de, 0x5dae2223,
                                      0xb00361a3, 0x96177a9c, 0xb410ff61, 0xf20015ad };
    uint32_t k[64], w[16];
    sha256_k(k);
    cr_assert_eq(k[0], 0x428a2f98);
    cr_assert_eq(k[63], 0xc67178f2);
    TH *t = simd_new();
    abc_block(w);
    for (int i = 0; i < 4; i++)
        load_words(&t->c->v[16 + i], w + 4 * i);
    load_words(&t->c->v[0], h0);
    load_words(&t->c->v[1], h0 + 4);
    for (int g = 0; g < 16; g++) {
        load_words(&t->c->v[5], k + 4 * g);
        const uint32_t group[] = {
            0x4ea58604,                 /* add v4.4s, v16.4s, v5.4s */
            0x4ea01c02,                 /* mov v2.16b, v0.16b */
            0x5e044020,                 /* sha256h q0, q1, v4.4s */
            0x5e045041,                 /* sha256h2 q1, q2, v4.4s */
            0x5e282a30,                 /* sha256su0 v16.4s, v17.4s */
            0x5e136250,                 /* sha256su1 v16.4s, v18.4s, v19.4s */
        };
        RUN(t, group);
        rotate_schedule(t->c);
    }
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(t->c->v[0].s[i] + h0[i], want[i], "H%d", i);
        cr_assert_eq(t->c->v[1].s[i] + h0[4 + i], want[4 + i], "H%d", 4 + i);
    }
    th_free(t);
}

Test(crypto, pmull_64x64)
{
    TH *t = simd_new();
    t->c->v[1].d[0] = 0x8000000000000001ULL;
    t->c->v[2].d[0] = 3;                /* (x^63 + 1)(x + 1) = x^64 + x^63 + x + 1 */
    t->c->v[1].d[1] = ~0ULL;
    t->c->v[2].d[1] = ~0ULL;            /* the square of all ones: every even power */
    run1(t, 0x0ee2e020);                /* pmull v0.1q, v1.1d, v2.1d */
    cr_assert_eq(t->c->v[0].d[0], 0x8000000000000003ULL);
    cr_assert_eq(t->c->v[0].d[1], 1);
    run1(t, 0x4ee2e020);                /* pmull2 v0.1q, v1.2d, v2.2d */
    cr_assert_eq(t->c->v[0].d[0], 0x5555555555555555ULL);
    cr_assert_eq(t->c->v[0].d[1], 0x5555555555555555ULL);
    th_free(t);
}
