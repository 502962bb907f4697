/* Integer ALU helpers shared by the executors: AddWithCarry() with NZCV (Arm ARM J1,
 * shared/functions/integer/AddWithCarry), logical flags and DecodeBitMasks(). */
#ifndef HVSIM_CPU_ARM64_ALU_H
#define HVSIM_CPU_ARM64_ALU_H
#include <stdbool.h>
#include <stdint.h>
#include "cpu/arm64/cpu.h"

/* x - y and x + y, setting NZCV as AddWithCarry(x, NOT(y), 1) and AddWithCarry(x, y, 0) do
 * (CMP, SUBS, CMN, ADDS: the commonest flag-setting instructions). On an x86-64 host the
 * host's own flags are the architecture's (N = SF, Z = ZF, V = OF; C = CF for addition and
 * NOT CF, "no borrow", for subtraction): one instruction and four byte stores instead of
 * computing each flag. */
#if defined(__x86_64__) && !defined(A64_PORTABLE_FLAGS)   /* the ASan build tests the C */
#define A64_HOST_FLAGS 1
#define A64_FLAGS_ASM(OP, SETC, RES, OPND)                                                  \
    __asm__(OP " %[y], %[r]\n\tsets %[n]\n\tsete %[z]\n\t" SETC " %[cf]\n\tseto %[v]"     \
            : [r] "+r"(RES), [n] "=m"(c->nf), [z] "=m"(c->zf), [cf] "=m"(c->cf),               \
              [v] "=m"(c->vf)                                                              \
            : [y] "r"(OPND)                                                               \
            : "cc")
static inline uint64_t a64_subs64(Arm64Cpu *c, uint64_t x, uint64_t y)
{
    A64_FLAGS_ASM("subq", "setae", x, y);
    return x;
}
static inline uint32_t a64_subs32(Arm64Cpu *c, uint32_t x, uint32_t y)
{
    A64_FLAGS_ASM("subl", "setae", x, y);
    return x;
}
static inline uint64_t a64_adds64(Arm64Cpu *c, uint64_t x, uint64_t y)
{
    A64_FLAGS_ASM("addq", "setc", x, y);
    return x;
}
static inline uint32_t a64_adds32(Arm64Cpu *c, uint32_t x, uint32_t y)
{
    A64_FLAGS_ASM("addl", "setc", x, y);
    return x;
}
#endif

/* x + y + carry, setting NZCV; subtraction is a64_adc64(c, x, ~y, 1). */
static inline uint64_t a64_adc64(Arm64Cpu *c, uint64_t x, uint64_t y, unsigned carry)
{
    uint64_t r = x + y + carry;
    c->nf = (uint8_t)(r >> 63);
    c->zf = r == 0;
    c->cf = carry ? r <= x : r < x;
    c->vf = (uint8_t)(((~(x ^ y)) & (x ^ r)) >> 63);
    return r;
}

static inline uint32_t a64_adc32(Arm64Cpu *c, uint32_t x, uint32_t y, unsigned carry)
{
    uint64_t w = (uint64_t)x + y + carry;
    uint32_t r = (uint32_t)w;
    c->nf = (uint8_t)(r >> 31);
    c->zf = r == 0;
    c->cf = (uint8_t)(w >> 32);
    c->vf = (uint8_t)(((~(x ^ y)) & (x ^ r)) >> 31);
    return r;
}

#ifndef A64_HOST_FLAGS
/* elsewhere, and in the ASan build: AddWithCarry itself */
static inline uint64_t a64_subs64(Arm64Cpu *c, uint64_t x, uint64_t y)
{
    return a64_adc64(c, x, ~y, 1);
}
static inline uint32_t a64_subs32(Arm64Cpu *c, uint32_t x, uint32_t y)
{
    return a64_adc32(c, x, ~y, 1);
}
static inline uint64_t a64_adds64(Arm64Cpu *c, uint64_t x, uint64_t y)
{
    return a64_adc64(c, x, y, 0);
}
static inline uint32_t a64_adds32(Arm64Cpu *c, uint32_t x, uint32_t y)
{
    return a64_adc32(c, x, y, 0);
}
#endif

/* Flags of the logical flag-setting forms (ANDS, BICS, TST): N, Z from the result, C=V=0. */
static inline void a64_logic_flags64(Arm64Cpu *c, uint64_t r)
{
    c->nf = (uint8_t)(r >> 63);
    c->zf = r == 0;
    c->cf = 0;
    c->vf = 0;
}

static inline void a64_logic_flags32(Arm64Cpu *c, uint32_t r)
{
    c->nf = (uint8_t)(r >> 31);
    c->zf = r == 0;
    c->cf = 0;
    c->vf = 0;
}

static inline uint64_t a64_ror64(uint64_t v, unsigned n)
{
    n &= 63;
    return (v >> n) | (v << ((64 - n) & 63));
}

static inline uint32_t a64_ror32(uint32_t v, unsigned n)
{
    n &= 31;
    return (v >> n) | (v << ((32 - n) & 31));
}

/* ConditionHolds() (Arm ARM J1) per condition, as expressions over the flags of `c`, for
 * executors specialised by condition (B.cond, the conditional selects): X(NAME, HOLDS) for
 * conditions 0 to 14 in order; 15 (NV) behaves as 14 (AL). */
#define A64_CONDS(X)                                                                        \
    X(EQ, c->zf) X(NE, !c->zf) X(CS, c->cf) X(CC, !c->cf) X(MI, c->nf) X(PL, !c->nf)        \
    X(VS, c->vf) X(VC, !c->vf) X(HI, c->cf && !c->zf) X(LS, !(c->cf && !c->zf))             \
    X(GE, c->nf == c->vf) X(LT, c->nf != c->vf) X(GT, !c->zf && c->nf == c->vf)             \
    X(LE, !(!c->zf && c->nf == c->vf)) X(AL, true)

/* Condition as a 16-bit truth table indexed by NZCV (N = bit 3): executors test
 * (mask >> nzcv) & 1 without branching on the condition. Built from A64_CONDS, evaluated on
 * each of the 16 flag combinations. */
typedef struct A64Flags {
    bool nf, zf, cf, vf;
} A64Flags;
#define A64_COND_HOLDS_FN(NAME, HOLDS)                                                      \
    static inline bool a64_holds_##NAME(const A64Flags *c) { return HOLDS; }
A64_CONDS(A64_COND_HOLDS_FN)
#define A64_COND_HOLDS_REF(NAME, HOLDS) a64_holds_##NAME,
static inline uint16_t a64_cond_mask(unsigned cond)
{
    static bool (*const holds[16])(const A64Flags *) = { A64_CONDS(A64_COND_HOLDS_REF) a64_holds_AL };
    uint16_t m = 0;
    for (unsigned f = 0; f < 16; f++) {
        const A64Flags fl = { f >> 3 & 1, f >> 2 & 1, f >> 1 & 1, f & 1 };
        m |= (uint16_t)(holds[cond & 15](&fl) << f);
    }
    return m;
}

static inline bool a64_cond_mask_holds(const Arm64Cpu *c, uint64_t mask)
{
    unsigned f = (unsigned)c->nf << 3 | (unsigned)c->zf << 2 | (unsigned)c->cf << 1 | c->vf;
    return (mask >> f) & 1;
}

/* DecodeBitMasks() (Arm ARM J1, aarch64/instrs/integer/bitmasks): wmask/tmask for a
 * datasize of 32 or 64. Returns false for a reserved encoding. */
static inline bool a64_decode_bit_masks(unsigned n, unsigned imms, unsigned immr, bool immediate,
                                        unsigned datasize, uint64_t *wmask, uint64_t *tmask)
{
    unsigned v = (n << 6) | (~imms & 0x3f);
    if (v == 0)
        return false;
    int len = 31 - __builtin_clz(v);
    if (len < 1)
        return false;
    unsigned esize = 1u << len;
    if (esize > datasize)
        return false;
    unsigned levels = esize - 1;
    if (immediate && (imms & levels) == levels)
        return false;
    unsigned s = imms & levels, r = immr & levels;
    int d = (int)((s - r) & levels);
    uint64_t emask = esize == 64 ? ~0ULL : (1ULL << esize) - 1;
    uint64_t welem = s + 1 >= 64 ? ~0ULL : (1ULL << (s + 1)) - 1;
    uint64_t telem = d + 1 >= 64 ? ~0ULL : (1ULL << (d + 1)) - 1;
    /* ROR(welem, r) within esize bits */
    if (r)
        welem = ((welem >> r) | (welem << (esize - r))) & emask;
    uint64_t w = 0, t = 0;
    for (unsigned i = 0; i < datasize; i += esize) {
        w |= welem << i;
        t |= telem << i;
    }
    *wmask = w;
    *tmask = t;
    return true;
}
#endif
