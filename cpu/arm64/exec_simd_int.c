/* AdvSIMD integer arithmetic (Arm ARM C4.1 "Data Processing -- Scalar Floating-Point and
 * Advanced SIMD"; the operations in C7.2): three same, three different, two-register misc,
 * across lanes, shift by immediate and by element, in their vector and scalar forms. Copy,
 * modified immediate, permutes and table lookup are in exec_simd_perm.c, the crypto extension
 * in exec_crypto.c.
 *
 * Every operation is one element function (ElemFn, below) named after its instruction; the
 * executors are loops over the elements, generated per element size, that differ only in
 * where the operands come from:
 *   same    Vd[i] = f(Vn[i], Vm[i] | Vm[index] | #shift, Vd[i])           (esz in, esz out)
 *   long    Vd[i] = f(Vn[off+i], Vm[off+i] | Vm[index] | #shift, Vd[i])   (esz in, esz+1 out)
 *   wide    Vd[i] = f(Vn[i], Vm[off+i])                                   (esz+1 and esz in)
 *   narrow  Vd[off+i] = f(Vn[i], Vm[i] | #shift)                          (esz+1 in, esz out)
 * where off is the element index of the upper half for the "2" forms (Q = 1).
 *
 * Slots: rd, rn, rm = V register numbers; u8a = element size log2 (esz) of the operation
 * (the narrow one for long/wide/narrow forms); u8b = element count; u8c = the element
 * function (ElemOp); imm = shift amount, or the index of the by-element operand; imm2 = off.
 * Scalar forms are the same loops with one element: the rest of Vd is zeroed, as the Arm
 * ARM's V[d] = result of a narrower width does. */
#include "cpu/arm64/cpu.h"
#include "cpu/arm64/simd_internal.h"
#include "a64_decode_gen.h"

/* ---- element functions ----------------------------------------------------------------
 * f(c, n, m, a, esz): n and m are operand elements, a the old destination element (for the
 * accumulating and inserting operations), esz the element size the Arm ARM calls esize; the
 * result is truncated by the store. For shifts by immediate m is the shift amount. */
typedef uint64_t (*ElemFn)(Arm64Cpu *c, uint64_t n, uint64_t m, uint64_t a, unsigned esz);
#define EOP(NAME) static uint64_t op_##NAME(Arm64Cpu *c, uint64_t n, uint64_t m, uint64_t a, unsigned esz)

#define S(x) ((a64_s128)sext((x), esz))
#define U(x) ((a64_s128)(x))
#define S2(x) ((a64_s128)sext((x), esz + 1))
#define ONES(cond) ((cond) ? ~0ULL : 0)

/* v >> sh with optional rounding (add 1 << (sh - 1) first), for any sh >= 0: operands are at
 * most 65 bits wide, so past 100 the result is the sign (or 0 when rounding). */
static a64_s128 shr_r(a64_s128 v, unsigned sh, bool round)
{
    if (sh > 100)
        return round ? 0 : (v < 0 ? -1 : 0);
    if (round && sh)
        v += (a64_s128)1 << (sh - 1);
    return v >> sh;
}

/* v shifted by a signed amount (left if positive), the core of the SSHL family (Arm ARM
 * C7.2 SSHL: shift = SInt(Vm element<7:0>)). A left shift past 64 of a nonzero value
 * gives +-2^100: out of range for any saturation, zero in the low 64 bits. */
static a64_s128 shl_var(a64_s128 v, int sh, bool round)
{
    if (sh >= 0) {
        if (v == 0)
            return 0;
        if (sh >= 64)
            return v < 0 ? -((a64_s128)1 << 100) : ((a64_s128)1 << 100);
        return v * ((a64_s128)1 << sh);
    }
    return shr_r(v, (unsigned)-sh, round);
}

static a64_s128 abs128(a64_s128 v)
{
    return v < 0 ? -v : v;
}

/* three same: halving, saturating, compare */
EOP(SHADD) { return (uint64_t)((S(n) + S(m)) >> 1); }
EOP(UHADD) { return (uint64_t)((U(n) + U(m)) >> 1); }
EOP(SRHADD) { return (uint64_t)((S(n) + S(m) + 1) >> 1); }
EOP(URHADD) { return (uint64_t)((U(n) + U(m) + 1) >> 1); }
EOP(SHSUB) { return (uint64_t)((S(n) - S(m)) >> 1); }
EOP(UHSUB) { return (uint64_t)((U(n) - U(m)) >> 1); }
EOP(SQADD) { return sat_s(c, S(n) + S(m), esz); }
EOP(UQADD) { return sat_u(c, U(n) + U(m), esz); }
EOP(SQSUB) { return sat_s(c, S(n) - S(m), esz); }
EOP(UQSUB) { return sat_u(c, U(n) - U(m), esz); }
EOP(CMGT) { return ONES(S(n) > S(m)); }
EOP(CMHI) { return ONES(n > m); }
EOP(CMGE) { return ONES(S(n) >= S(m)); }
EOP(CMHS) { return ONES(n >= m); }
EOP(CMTST) { return ONES(n & m); }
EOP(CMEQ) { return ONES(n == m); }
/* shifts by register */
EOP(SSHL) { return (uint64_t)shl_var(S(n), (int8_t)m, false); }
EOP(USHL) { return (uint64_t)shl_var(U(n), (int8_t)m, false); }
EOP(SRSHL) { return (uint64_t)shl_var(S(n), (int8_t)m, true); }
EOP(URSHL) { return (uint64_t)shl_var(U(n), (int8_t)m, true); }
EOP(SQSHL) { return sat_s(c, shl_var(S(n), (int8_t)m, false), esz); }
EOP(UQSHL) { return sat_u(c, shl_var(U(n), (int8_t)m, false), esz); }
EOP(SQRSHL) { return sat_s(c, shl_var(S(n), (int8_t)m, true), esz); }
EOP(UQRSHL) { return sat_u(c, shl_var(U(n), (int8_t)m, true), esz); }
/* min/max, absolute difference */
EOP(SMAX) { return S(n) > S(m) ? n : m; }
EOP(UMAX) { return n > m ? n : m; }
EOP(SMIN) { return S(n) < S(m) ? n : m; }
EOP(UMIN) { return n < m ? n : m; }
EOP(SABD) { return (uint64_t)abs128(S(n) - S(m)); }
EOP(UABD) { return (uint64_t)abs128(U(n) - U(m)); }
EOP(SABA) { return a + (uint64_t)abs128(S(n) - S(m)); }
EOP(UABA) { return a + (uint64_t)abs128(U(n) - U(m)); }
/* arithmetic */
EOP(ADD) { return n + m; }
EOP(SUB) { return n - m; }
EOP(MUL) { return n * m; }
EOP(MLA) { return a + n * m; }
EOP(MLS) { return a - n * m; }
EOP(PMUL) { return (uint64_t)clmul64(n, m); }
/* SQDMULH / SQRDMULH (Arm ARM C7.2): the high half of the doubled product */
EOP(SQDMULH) { return sat_s(c, (2 * S(n) * S(m)) >> ebits(esz), esz); }
EOP(SQRDMULH) { return sat_s(c, shr_r(2 * S(n) * S(m), ebits(esz), true), esz); }
/* bitwise (whole 64-bit lanes); BSL/BIT/BIF after the VBitOps pseudocode of C7.2 */
EOP(AND) { return n & m; }
EOP(BIC) { return n & ~m; }
EOP(ORR) { return n | m; }
EOP(ORN) { return n | ~m; }
EOP(EOR) { return n ^ m; }
EOP(BSL) { return m ^ ((m ^ n) & a); }
EOP(BIT) { return a ^ ((a ^ n) & m); }
EOP(BIF) { return a ^ ((a ^ n) & ~m); }

/* three different, long: n, m of esz; a and the result of esz + 1 */
EOP(SADDL) { return (uint64_t)(S(n) + S(m)); }
EOP(UADDL) { return n + m; }
EOP(SSUBL) { return (uint64_t)(S(n) - S(m)); }
EOP(USUBL) { return n - m; }
EOP(SABAL) { return a + (uint64_t)abs128(S(n) - S(m)); }
EOP(UABAL) { return a + (uint64_t)abs128(U(n) - U(m)); }
EOP(SABDL) { return (uint64_t)abs128(S(n) - S(m)); }
EOP(UABDL) { return (uint64_t)abs128(U(n) - U(m)); }
EOP(SMLAL) { return a + (uint64_t)(S(n) * S(m)); }
EOP(UMLAL) { return a + n * m; }
EOP(SMLSL) { return a - (uint64_t)(S(n) * S(m)); }
EOP(UMLSL) { return a - n * m; }
EOP(SMULL) { return (uint64_t)(S(n) * S(m)); }
EOP(UMULL) { return n * m; }
/* SQDMLAL and friends (C7.2): the doubled product saturates, then the accumulation */
EOP(SQDMULL) { return sat_s(c, 2 * S(n) * S(m), esz + 1); }
EOP(SQDMLAL) { return sat_s(c, S2(a) + S2(op_SQDMULL(c, n, m, 0, esz)), esz + 1); }
EOP(SQDMLSL) { return sat_s(c, S2(a) - S2(op_SQDMULL(c, n, m, 0, esz)), esz + 1); }
/* wide: n of esz + 1, m of esz */
EOP(SADDW) { return n + (uint64_t)sext(m, esz); }
EOP(UADDW) { return n + m; }
EOP(SSUBW) { return n - (uint64_t)sext(m, esz); }
EOP(USUBW) { return n - m; }
/* high narrow: n, m of esz + 1, the result their sum's or difference's upper half */
EOP(ADDHN) { return (n + m) >> ebits(esz); }
EOP(RADDHN) { return (uint64_t)((U(n) + U(m) + ((a64_s128)1 << (ebits(esz) - 1))) >> ebits(esz)); }
EOP(SUBHN) { return (n - m) >> ebits(esz); }
EOP(RSUBHN) { return (n - m + (1ULL << (ebits(esz) - 1))) >> ebits(esz); }

/* two-register misc (m unused; a = Vd for the accumulating ones) */
EOP(SUQADD) { return sat_s(c, S(a) + U(n), esz); }
EOP(USQADD) { return sat_u(c, U(a) + S(n), esz); }
EOP(CLS) { return n == 0 ? ebits(esz) - 1 : (uint64_t)__builtin_clrsbll(sext(n, esz)) - (64 - ebits(esz)); }
EOP(CLZ) { return n == 0 ? ebits(esz) : (uint64_t)__builtin_clzll(n) - (64 - ebits(esz)); }
EOP(CNT) { return (uint64_t)__builtin_popcountll(n); }
EOP(NOT) { return ~n; }
EOP(RBIT)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < ebits(esz); i++)
        r |= ((n >> i) & 1) << (ebits(esz) - 1 - i);
    return r;
}
EOP(SQABS) { return sat_s(c, abs128(S(n)), esz); }
EOP(SQNEG) { return sat_s(c, -S(n), esz); }
EOP(ABS) { return (uint64_t)abs128(S(n)); }
EOP(NEG) { return -n; }
EOP(CMGT0) { return ONES(S(n) > 0); }
EOP(CMGE0) { return ONES(S(n) >= 0); }
EOP(CMEQ0) { return ONES(n == 0); }
EOP(CMLE0) { return ONES(S(n) <= 0); }
EOP(CMLT0) { return ONES(S(n) < 0); }
/* narrowing moves: n of esz + 1 */
EOP(XTN) { return n; }
EOP(SQXTN) { return sat_s(c, S2(n), esz); }
EOP(UQXTN) { return sat_u(c, U(n), esz); }
EOP(SQXTUN) { return sat_u(c, S2(n), esz); }
/* pairwise long add (SADDLP/UADDLP and the accumulating SADALP/UADALP): n, m the pair */
EOP(SADDLP) { return a + (uint64_t)(S(n) + S(m)); }
EOP(UADDLP) { return a + n + m; }

/* shift by immediate: m is the amount (right: 1..esize, left: 0..esize-1) */
EOP(SSHR) { return (uint64_t)shr_r(S(n), (unsigned)m, false); }
EOP(USHR) { return (uint64_t)shr_r(U(n), (unsigned)m, false); }
EOP(SSRA) { return a + (uint64_t)shr_r(S(n), (unsigned)m, false); }
EOP(USRA) { return a + (uint64_t)shr_r(U(n), (unsigned)m, false); }
EOP(SRSHR) { return (uint64_t)shr_r(S(n), (unsigned)m, true); }
EOP(URSHR) { return (uint64_t)shr_r(U(n), (unsigned)m, true); }
EOP(SRSRA) { return a + (uint64_t)shr_r(S(n), (unsigned)m, true); }
EOP(URSRA) { return a + (uint64_t)shr_r(U(n), (unsigned)m, true); }
/* SRI / SLI (Arm ARM C7.2): only the bits shifted in replace Vd's */
EOP(SRI)
{
    uint64_t mask = m >= 64 ? 0 : emask(esz) >> m;
    return (a & ~mask) | ((uint64_t)shr_r(U(n), (unsigned)m, false) & mask);
}
EOP(SHL) { return n << m; }
EOP(SLI)
{
    uint64_t mask = emask(esz) << m;
    return (a & ~mask) | (n << m);
}
EOP(SQSHLI) { return sat_s(c, shl_var(S(n), (int)m, false), esz); }
EOP(UQSHLI) { return sat_u(c, shl_var(U(n), (int)m, false), esz); }
EOP(SQSHLU) { return sat_u(c, shl_var(S(n), (int)m, false), esz); }
/* narrowing right shifts: n of esz + 1 */
EOP(SHRN) { return (uint64_t)shr_r(U(n), (unsigned)m, false); }
EOP(RSHRN) { return (uint64_t)shr_r(U(n), (unsigned)m, true); }
EOP(SQSHRN) { return sat_s(c, shr_r(S2(n), (unsigned)m, false), esz); }
EOP(SQRSHRN) { return sat_s(c, shr_r(S2(n), (unsigned)m, true), esz); }
EOP(UQSHRN) { return sat_u(c, shr_r(U(n), (unsigned)m, false), esz); }
EOP(UQRSHRN) { return sat_u(c, shr_r(U(n), (unsigned)m, true), esz); }
EOP(SQSHRUN) { return sat_u(c, shr_r(S2(n), (unsigned)m, false), esz); }
EOP(SQRSHRUN) { return sat_u(c, shr_r(S2(n), (unsigned)m, true), esz); }
/* widening left shifts (SSHLL/USHLL, and SHLL by esize) */
EOP(SSHLL) { return (uint64_t)sext(n, esz) << m; }
EOP(USHLL) { return n << m; }

#define ELEM_OPS(X)                                                                          \
    X(SHADD) X(UHADD) X(SRHADD) X(URHADD) X(SHSUB) X(UHSUB) X(SQADD) X(UQADD) X(SQSUB)       \
    X(UQSUB) X(CMGT) X(CMHI) X(CMGE) X(CMHS) X(CMTST) X(CMEQ) X(SSHL) X(USHL) X(SRSHL)       \
    X(URSHL) X(SQSHL) X(UQSHL) X(SQRSHL) X(UQRSHL) X(SMAX) X(UMAX) X(SMIN) X(UMIN) X(SABD)   \
    X(UABD) X(SABA) X(UABA) X(ADD) X(SUB) X(MUL) X(MLA) X(MLS) X(PMUL) X(SQDMULH)            \
    X(SQRDMULH) X(AND) X(BIC) X(ORR) X(ORN) X(EOR) X(BSL) X(BIT) X(BIF)                      \
    X(SADDL) X(UADDL) X(SSUBL) X(USUBL) X(SABAL) X(UABAL) X(SABDL) X(UABDL) X(SMLAL)         \
    X(UMLAL) X(SMLSL) X(UMLSL) X(SMULL) X(UMULL) X(SQDMULL) X(SQDMLAL) X(SQDMLSL)            \
    X(SADDW) X(UADDW) X(SSUBW) X(USUBW) X(ADDHN) X(RADDHN) X(SUBHN) X(RSUBHN)                \
    X(SUQADD) X(USQADD) X(CLS) X(CLZ) X(CNT) X(NOT) X(RBIT) X(SQABS) X(SQNEG) X(ABS) X(NEG)  \
    X(CMGT0) X(CMGE0) X(CMEQ0) X(CMLE0) X(CMLT0) X(XTN) X(SQXTN) X(UQXTN) X(SQXTUN)          \
    X(SADDLP) X(UADDLP)                                                                      \
    X(SSHR) X(USHR) X(SSRA) X(USRA) X(SRSHR) X(URSHR) X(SRSRA) X(URSRA) X(SRI) X(SHL) X(SLI) \
    X(SQSHLI) X(UQSHLI) X(SQSHLU) X(SHRN) X(RSHRN) X(SQSHRN) X(SQRSHRN) X(UQSHRN)            \
    X(UQRSHRN) X(SQSHRUN) X(SQRSHRUN) X(SSHLL) X(USHLL)

#define X_ENUM(N) EOP_##N,
typedef enum { EOP_NONE, ELEM_OPS(X_ENUM) EOP_COUNT } ElemOp;
#define X_FN(N) [EOP_##N] = op_##N,
static const ElemFn elem_fns[EOP_COUNT] = { ELEM_OPS(X_FN) };

/* ---- executors ------------------------------------------------------------------------ */
/* Operand m of the loops: a register element (at the same index, or the half `off` up for
 * the long forms), the by-element operand `me`, or the shift amount. PRE_* reads what the
 * loop needs before it. */
#define M_VEC(ESZ) vget(vm, ESZ, i + off)
#define M_ELEM(ESZ) me
#define M_IMM(ESZ) (uint64_t)d->imm
#define PRE_VEC(ESZ) const A64Vreg *vm = &c->v[d->rm]
#define PRE_ELEM(ESZ) const uint64_t me = vget(&c->v[d->rm], ESZ, (unsigned)d->imm)
#define PRE_IMM(ESZ) (void)0

#define SAME(ESZ, KIND)                                                                      \
    A64_EXEC(exec_same_##KIND##ESZ)                                                          \
    {                                                                                         \
        A64_FP_CHECK(c, d);                                                                  \
        ElemFn fn = elem_fns[d->u8c];                                                        \
        const A64Vreg *vn = &c->v[d->rn], *va = &c->v[d->rd];                                \
        const unsigned off = 0;                                                               \
        PRE_##KIND(ESZ);                                                                      \
        (void)off;                                                                            \
        A64Vreg r = { { 0, 0 } };                                                             \
        for (unsigned i = 0; i < d->u8b; i++)                                                 \
            vput(&r, ESZ, i, fn(c, vget(vn, ESZ, i), M_##KIND(ESZ), vget(va, ESZ, i), ESZ));  \
        c->v[d->rd] = r;                                                                      \
        return d + 1;                                                                         \
    }
#define LONG(ESZ, KIND)                                                                      \
    A64_EXEC(exec_long_##KIND##ESZ)                                                          \
    {                                                                                         \
        A64_FP_CHECK(c, d);                                                                  \
        ElemFn fn = elem_fns[d->u8c];                                                        \
        const A64Vreg *vn = &c->v[d->rn], *va = &c->v[d->rd];                                \
        const unsigned off = (unsigned)d->imm2;                                               \
        PRE_##KIND(ESZ);                                                                      \
        (void)off;                                                                            \
        A64Vreg r = { { 0, 0 } };                                                             \
        for (unsigned i = 0; i < d->u8b; i++)                                                 \
            vput(&r, ESZ + 1, i,                                                              \
                 fn(c, vget(vn, ESZ, i + off), M_##KIND(ESZ), vget(va, ESZ + 1, i), ESZ));     \
        c->v[d->rd] = r;                                                                      \
        return d + 1;                                                                         \
    }
/* Narrow: n (and m) of ESZ + 1; the "2" forms write the upper half and keep the lower. */
#define NARROW(ESZ, KIND)                                                                    \
    A64_EXEC(exec_narrow_##KIND##ESZ)                                                        \
    {                                                                                         \
        A64_FP_CHECK(c, d);                                                                  \
        ElemFn fn = elem_fns[d->u8c];                                                        \
        const A64Vreg *vn = &c->v[d->rn];                                                    \
        const unsigned doff = (unsigned)d->imm2, off = 0;                                     \
        PRE_##KIND(ESZ);                                                                      \
        (void)off;                                                                            \
        A64Vreg r = { { doff ? c->v[d->rd].d[0] : 0, 0 } };                                   \
        for (unsigned i = 0; i < d->u8b; i++)                                                 \
            vput(&r, ESZ, i + doff, fn(c, vget(vn, ESZ + 1, i), M_##KIND(ESZ + 1), 0, ESZ));  \
        c->v[d->rd] = r;                                                                      \
        return d + 1;                                                                         \
    }

/* By-element operations take H and S elements only. */
SAME(0, VEC) SAME(0, IMM)
SAME(1, VEC) SAME(1, IMM) SAME(1, ELEM)
SAME(2, VEC) SAME(2, IMM) SAME(2, ELEM)
SAME(3, VEC) SAME(3, IMM)
LONG(0, VEC) LONG(0, IMM) NARROW(0, VEC) NARROW(0, IMM)
LONG(1, VEC) LONG(1, IMM) LONG(1, ELEM) NARROW(1, VEC) NARROW(1, IMM)
LONG(2, VEC) LONG(2, IMM) LONG(2, ELEM) NARROW(2, VEC) NARROW(2, IMM)

static const A64ExecFn same_vec[4] = { exec_same_VEC0, exec_same_VEC1, exec_same_VEC2, exec_same_VEC3 };
static const A64ExecFn same_elem[4] = { NULL, exec_same_ELEM1, exec_same_ELEM2, NULL };
static const A64ExecFn same_imm[4] = { exec_same_IMM0, exec_same_IMM1, exec_same_IMM2, exec_same_IMM3 };
static const A64ExecFn long_vec[3] = { exec_long_VEC0, exec_long_VEC1, exec_long_VEC2 };
static const A64ExecFn long_elem[3] = { NULL, exec_long_ELEM1, exec_long_ELEM2 };
static const A64ExecFn long_imm[3] = { exec_long_IMM0, exec_long_IMM1, exec_long_IMM2 };
static const A64ExecFn narrow_vec[3] = { exec_narrow_VEC0, exec_narrow_VEC1, exec_narrow_VEC2 };
static const A64ExecFn narrow_imm[3] = { exec_narrow_IMM0, exec_narrow_IMM1, exec_narrow_IMM2 };

/* Fast paths: the operations of glibc's and busybox's string routines (and the logical
 * ones) get loops with the element function inlined, per element size, instead of the call
 * through elem_fns; every other operation takes the generic loops. Both call the same
 * element function, so the results cannot differ. */
#define FAST_SAME(OP, ESZ)                                                                   \
    A64_EXEC(exec_fast_##OP##ESZ)                                                            \
    {                                                                                         \
        A64_FP_CHECK(c, d);                                                                  \
        const A64Vreg *vn = &c->v[d->rn], *vm = &c->v[d->rm], *va = &c->v[d->rd];            \
        A64Vreg r = { { 0, 0 } };                                                             \
        for (unsigned i = 0; i < d->u8b; i++)                                                 \
            vput(&r, ESZ, i, op_##OP(c, vget(vn, ESZ, i), vget(vm, ESZ, i), vget(va, ESZ, i), ESZ)); \
        c->v[d->rd] = r;                                                                      \
        return d + 1;                                                                         \
    }
#define FAST_PAIR(OP, ESZ)                                                                   \
    A64_EXEC(exec_fastpair_##OP##ESZ)                                                        \
    {                                                                                         \
        A64_FP_CHECK(c, d);                                                                  \
        const A64Vreg *vn = &c->v[d->rn], *vm = &c->v[d->rm];                                \
        unsigned half = d->u8b / 2;                                                          \
        A64Vreg r = { { 0, 0 } };                                                             \
        for (unsigned i = 0; i < half; i++) {                                                 \
            vput(&r, ESZ, i, op_##OP(c, vget(vn, ESZ, 2 * i), vget(vn, ESZ, 2 * i + 1), 0, ESZ)); \
            vput(&r, ESZ, half + i,                                                           \
                 op_##OP(c, vget(vm, ESZ, 2 * i), vget(vm, ESZ, 2 * i + 1), 0, ESZ));         \
        }                                                                                     \
        c->v[d->rd] = r;                                                                      \
        return d + 1;                                                                         \
    }
#define FAST4(KIND, OP)                                                                      \
    KIND(OP, 0) KIND(OP, 1) KIND(OP, 2) KIND(OP, 3)
#define FAST_SAME_OP(OP)                                                                     \
    FAST4(FAST_SAME, OP)                                                                     \
    static const A64ExecFn fast_same_##OP[4] = { exec_fast_##OP##0, exec_fast_##OP##1,       \
                                                 exec_fast_##OP##2, exec_fast_##OP##3 };
#define FAST_PAIR_OP(OP)                                                                     \
    FAST4(FAST_PAIR, OP)                                                                     \
    static const A64ExecFn fast_pair_##OP[4] = { exec_fastpair_##OP##0, exec_fastpair_##OP##1, \
                                                 exec_fastpair_##OP##2, exec_fastpair_##OP##3 };
#define FAST_SAME_OPS(X)                                                                     \
    X(ADD) X(SUB) X(CMEQ) X(CMHS) X(CMHI) X(CMGT) X(CMGE) X(CMTST) X(UMAX) X(UMIN) X(CMEQ0)   \
    X(CMLT0) X(NOT) X(CNT) X(AND) X(BIC) X(ORR) X(ORN) X(EOR) X(BSL) X(BIT) X(BIF)
#define FAST_PAIR_OPS(X) X(ADD) X(UMAX) X(UMIN)
FAST_SAME_OPS(FAST_SAME_OP)
FAST_PAIR_OPS(FAST_PAIR_OP)
#define X_FAST_SAME(OP) [EOP_##OP] = fast_same_##OP,
#define X_FAST_PAIR(OP) [EOP_##OP] = fast_pair_##OP,
static const A64ExecFn *const fast_same[EOP_COUNT] = { FAST_SAME_OPS(X_FAST_SAME) };
static const A64ExecFn *const fast_pair[EOP_COUNT] = { FAST_PAIR_OPS(X_FAST_PAIR) };

/* SHRN (glibc's strlen and memchr make a nibble mask with SHRN #4) */
#define FAST_SHRN(ESZ)                                                                       \
    A64_EXEC(exec_fast_SHRN##ESZ)                                                            \
    {                                                                                         \
        A64_FP_CHECK(c, d);                                                                  \
        const A64Vreg *vn = &c->v[d->rn];                                                    \
        const unsigned doff = (unsigned)d->imm2, sh = (unsigned)d->imm;                       \
        A64Vreg r = { { doff ? c->v[d->rd].d[0] : 0, 0 } };                                   \
        for (unsigned i = 0; i < d->u8b; i++)                                                 \
            vput(&r, ESZ, i + doff, vget(vn, ESZ + 1, i) >> sh);                              \
        c->v[d->rd] = r;                                                                      \
        return d + 1;                                                                         \
    }
FAST_SHRN(0)
FAST_SHRN(1)
FAST_SHRN(2)
static const A64ExecFn fast_shrn[3] = { exec_fast_SHRN0, exec_fast_SHRN1, exec_fast_SHRN2 };

/* The executor of an element-wise operation (ElemOp) on esz elements. */
static A64ExecFn same_fn(unsigned op, unsigned esz)
{
    return fast_same[op] ? fast_same[op][esz] : same_vec[esz];
}

/* Wide (SADDW ...): n of esz + 1, m of esz from the half off. */
A64_EXEC(exec_wide)
{
    A64_FP_CHECK(c, d);
    ElemFn fn = elem_fns[d->u8c];
    unsigned esz = d->u8a, off = (unsigned)d->imm2;
    const A64Vreg *vn = &c->v[d->rn], *vm = &c->v[d->rm];
    A64Vreg r = { { 0, 0 } };
    for (unsigned i = 0; i < d->u8b; i++)
        vput(&r, esz + 1, i, fn(c, vget(vn, esz + 1, i), vget(vm, esz, i + off), 0, esz));
    c->v[d->rd] = r;
    return d + 1;
}

/* Pairwise (ADDP, S/U MAX/MINP; C7.2): the pairs of the concatenation Vm:Vn. */
A64_EXEC(exec_pair)
{
    A64_FP_CHECK(c, d);
    ElemFn fn = elem_fns[d->u8c];
    unsigned esz = d->u8a, half = d->u8b / 2;
    const A64Vreg *vn = &c->v[d->rn], *vm = &c->v[d->rm];
    A64Vreg r = { { 0, 0 } };
    for (unsigned i = 0; i < half; i++) {
        vput(&r, esz, i, fn(c, vget(vn, esz, 2 * i), vget(vn, esz, 2 * i + 1), 0, esz));
        vput(&r, esz, half + i, fn(c, vget(vm, esz, 2 * i), vget(vm, esz, 2 * i + 1), 0, esz));
    }
    c->v[d->rd] = r;
    return d + 1;
}

static A64ExecFn pair_fn(unsigned op, unsigned esz)
{
    return fast_pair[op] ? fast_pair[op][esz] : exec_pair;
}

/* ADDP (scalar): Dd = Vn.D[0] + Vn.D[1]. */
A64_EXEC(exec_addp_scalar)
{
    A64_FP_CHECK(c, d);
    A64Vreg r = { { c->v[d->rn].d[0] + c->v[d->rn].d[1], 0 } };
    c->v[d->rd] = r;
    return d + 1;
}

/* Pairwise long (S/U ADDLP, and S/U ADALP which accumulate), per element size: count = u8b. */
#define ADDLP(NAME, OP, ESZ, ACC)                                                            \
    A64_EXEC(exec_##NAME##ESZ)                                                               \
    {                                                                                         \
        A64_FP_CHECK(c, d);                                                                  \
        const A64Vreg *vn = &c->v[d->rn], *va = &c->v[d->rd];                                \
        A64Vreg r = { { 0, 0 } };                                                             \
        for (unsigned i = 0; i < d->u8b; i++)                                                 \
            vput(&r, ESZ + 1, i, op_##OP(c, vget(vn, ESZ, 2 * i), vget(vn, ESZ, 2 * i + 1),  \
                                         (ACC) ? vget(va, ESZ + 1, i) : 0, ESZ));             \
        c->v[d->rd] = r;                                                                      \
        return d + 1;                                                                         \
    }
#define ADDLP_ALL(ESZ)                                                                       \
    ADDLP(SADDLP, SADDLP, ESZ, 0) ADDLP(UADDLP, UADDLP, ESZ, 0)                              \
    ADDLP(SADALP, SADDLP, ESZ, 1) ADDLP(UADALP, UADDLP, ESZ, 1)
ADDLP_ALL(0)
ADDLP_ALL(1)
ADDLP_ALL(2)
/* [U][accumulate][esz] */
static const A64ExecFn addlp_fns[2][2][3] = {
    { { exec_SADDLP0, exec_SADDLP1, exec_SADDLP2 }, { exec_SADALP0, exec_SADALP1, exec_SADALP2 } },
    { { exec_UADDLP0, exec_UADDLP1, exec_UADDLP2 }, { exec_UADALP0, exec_UADALP1, exec_UADALP2 } },
};

/* REV16/REV32/REV64 (Arm ARM C7.2): elements reversed inside containers; imm = elements per
 * container - 1, so element i comes from i ^ imm. */
A64_EXEC(exec_rev)
{
    A64_FP_CHECK(c, d);
    unsigned esz = d->u8a, x = (unsigned)d->imm;
    const A64Vreg *vn = &c->v[d->rn];
    A64Vreg r = { { 0, 0 } };
    for (unsigned i = 0; i < d->u8b; i++)
        vput(&r, esz, i, vget(vn, esz, i ^ x));
    c->v[d->rd] = r;
    return d + 1;
}

/* Across lanes (Arm ARM C7.2: ADDV, SADDLV, SMAXV ...): u8c = the operation; the long
 * sums produce an element of esz + 1. */
enum { ACR_ADDV, ACR_SADDLV, ACR_UADDLV, ACR_SMAXV, ACR_UMAXV, ACR_SMINV, ACR_UMINV };
A64_EXEC(exec_across)
{
    A64_FP_CHECK(c, d);
    unsigned esz = d->u8a, count = d->u8b;
    const A64Vreg *vn = &c->v[d->rn];
    uint64_t acc = vget(vn, esz, 0);
    int64_t sacc = sext(acc, esz);
    for (unsigned i = 1; i < count; i++) {
        uint64_t e = vget(vn, esz, i);
        int64_t s = sext(e, esz);
        switch (d->u8c) {
        case ACR_ADDV: case ACR_UADDLV: acc += e; break;
        case ACR_SADDLV: sacc += s; break;
        case ACR_SMAXV: sacc = s > sacc ? s : sacc; break;
        case ACR_UMAXV: acc = e > acc ? e : acc; break;
        case ACR_SMINV: sacc = s < sacc ? s : sacc; break;
        default: acc = e < acc ? e : acc; break;
        }
    }
    bool is_signed = d->u8c == ACR_SADDLV || d->u8c == ACR_SMAXV || d->u8c == ACR_SMINV;
    unsigned resz = (d->u8c == ACR_SADDLV || d->u8c == ACR_UADDLV) ? esz + 1 : esz;
    A64Vreg r = { { 0, 0 } };
    vput(&r, resz, 0, is_signed ? (uint64_t)sacc : acc);
    c->v[d->rd] = r;
    return d + 1;
}

/* ---- prep functions ------------------------------------------------------------------- */
static unsigned bit(uint32_t raw, unsigned n) { return (raw >> n) & 1; }
static bool is_scalar(uint32_t raw) { return bit(raw, 28); }

static void regs(A64Insn *d, const A64Args *a)
{
    d->rd = (uint8_t)a->rd;
    d->rn = (uint8_t)a->rn;
    d->rm = (uint8_t)a->rm;
}

/* Element count of a vector of esz elements: 64 or 128 bits (q), or one for scalars. */
static unsigned count(uint32_t raw, unsigned esz)
{
    return is_scalar(raw) ? 1 : (bit(raw, 30) ? 16u : 8u) >> esz;
}

/* Three same, indexed by U:opcode: the element function, the sizes the vector form allows
 * (bit per size; size 3 also needs Q = 1) and those the scalar form allows (0 = none). */
typedef struct V3Same { uint8_t op, vsizes, ssizes; } V3Same;
#define SZ_BHS 0x7
#define SZ_ALL 0xf
#define SZ_D 0x8
#define SZ_HS 0x6
static const V3Same v3same[64] = {
    [0x00] = { EOP_SHADD, SZ_BHS, 0 },        [0x20] = { EOP_UHADD, SZ_BHS, 0 },
    [0x01] = { EOP_SQADD, SZ_ALL, SZ_ALL },   [0x21] = { EOP_UQADD, SZ_ALL, SZ_ALL },
    [0x02] = { EOP_SRHADD, SZ_BHS, 0 },       [0x22] = { EOP_URHADD, SZ_BHS, 0 },
    [0x04] = { EOP_SHSUB, SZ_BHS, 0 },        [0x24] = { EOP_UHSUB, SZ_BHS, 0 },
    [0x05] = { EOP_SQSUB, SZ_ALL, SZ_ALL },   [0x25] = { EOP_UQSUB, SZ_ALL, SZ_ALL },
    [0x06] = { EOP_CMGT, SZ_ALL, SZ_D },      [0x26] = { EOP_CMHI, SZ_ALL, SZ_D },
    [0x07] = { EOP_CMGE, SZ_ALL, SZ_D },      [0x27] = { EOP_CMHS, SZ_ALL, SZ_D },
    [0x08] = { EOP_SSHL, SZ_ALL, SZ_D },      [0x28] = { EOP_USHL, SZ_ALL, SZ_D },
    [0x09] = { EOP_SQSHL, SZ_ALL, SZ_ALL },   [0x29] = { EOP_UQSHL, SZ_ALL, SZ_ALL },
    [0x0a] = { EOP_SRSHL, SZ_ALL, SZ_D },     [0x2a] = { EOP_URSHL, SZ_ALL, SZ_D },
    [0x0b] = { EOP_SQRSHL, SZ_ALL, SZ_ALL },  [0x2b] = { EOP_UQRSHL, SZ_ALL, SZ_ALL },
    [0x0c] = { EOP_SMAX, SZ_BHS, 0 },         [0x2c] = { EOP_UMAX, SZ_BHS, 0 },
    [0x0d] = { EOP_SMIN, SZ_BHS, 0 },         [0x2d] = { EOP_UMIN, SZ_BHS, 0 },
    [0x0e] = { EOP_SABD, SZ_BHS, 0 },         [0x2e] = { EOP_UABD, SZ_BHS, 0 },
    [0x0f] = { EOP_SABA, SZ_BHS, 0 },         [0x2f] = { EOP_UABA, SZ_BHS, 0 },
    [0x10] = { EOP_ADD, SZ_ALL, SZ_D },       [0x30] = { EOP_SUB, SZ_ALL, SZ_D },
    [0x11] = { EOP_CMTST, SZ_ALL, SZ_D },     [0x31] = { EOP_CMEQ, SZ_ALL, SZ_D },
    [0x12] = { EOP_MLA, SZ_BHS, 0 },          [0x32] = { EOP_MLS, SZ_BHS, 0 },
    [0x13] = { EOP_MUL, SZ_BHS, 0 },          [0x33] = { EOP_PMUL, 0x1, 0 },
    [0x14] = { EOP_SMAX, SZ_BHS, 0 },         [0x34] = { EOP_UMAX, SZ_BHS, 0 },
    [0x15] = { EOP_SMIN, SZ_BHS, 0 },         [0x35] = { EOP_UMIN, SZ_BHS, 0 },
    [0x16] = { EOP_SQDMULH, SZ_HS, SZ_HS },   [0x36] = { EOP_SQRDMULH, SZ_HS, SZ_HS },
    [0x17] = { EOP_ADD, SZ_ALL, 0 },
};
static const uint8_t v3logic[8] = { EOP_AND, EOP_BIC, EOP_ORR, EOP_ORN, EOP_EOR, EOP_BSL, EOP_BIT, EOP_BIF };

/* Three same, vector and scalar, the logical operations and ADDP (scalar). */
bool a64_prep_v3same(A64Insn *d, const A64Args *a)
{
    uint32_t raw = d->raw;
    unsigned opc = (raw >> 11) & 31, u = bit(raw, 29), q = bit(raw, 30);
    regs(d, a);
    if (is_scalar(raw) && !bit(raw, 10)) {          /* ADDP (scalar), size = 11 */
        d->fn = exec_addp_scalar;
        return true;
    }
    unsigned esz = (unsigned)a->size;
    if (opc == 3) {                                 /* logical: size is the operation */
        d->u8c = v3logic[u << 2 | ((raw >> 22) & 3)];   /* the patterns fix size */
        d->u8a = 3;
        d->u8b = q ? 2 : 1;
        d->fn = same_fn(d->u8c, 3);
        return true;
    }
    const V3Same *e = &v3same[u << 5 | opc];
    unsigned sizes = is_scalar(raw) ? e->ssizes : e->vsizes;
    if (!e->op || !((sizes >> esz) & 1) || (!is_scalar(raw) && esz == 3 && !q))
        return false;
    d->u8a = (uint8_t)esz;
    d->u8b = (uint8_t)count(raw, esz);
    d->u8c = e->op;
    d->fn = (opc >= 0x14 && opc != 0x16) ? pair_fn(e->op, esz) : same_fn(e->op, esz);
    return true;
}

/* Three different, indexed by U:opcode; kind: L long, W wide, N narrow. */
typedef struct V3Diff { uint8_t op; char kind; } V3Diff;
static const V3Diff v3diff[32] = {
    [0x00] = { EOP_SADDL, 'L' },  [0x10] = { EOP_UADDL, 'L' },
    [0x01] = { EOP_SADDW, 'W' },  [0x11] = { EOP_UADDW, 'W' },
    [0x02] = { EOP_SSUBL, 'L' },  [0x12] = { EOP_USUBL, 'L' },
    [0x03] = { EOP_SSUBW, 'W' },  [0x13] = { EOP_USUBW, 'W' },
    [0x04] = { EOP_ADDHN, 'N' },  [0x14] = { EOP_RADDHN, 'N' },
    [0x05] = { EOP_SABAL, 'L' },  [0x15] = { EOP_UABAL, 'L' },
    [0x06] = { EOP_SUBHN, 'N' },  [0x16] = { EOP_RSUBHN, 'N' },
    [0x07] = { EOP_SABDL, 'L' },  [0x17] = { EOP_UABDL, 'L' },
    [0x08] = { EOP_SMLAL, 'L' },  [0x18] = { EOP_UMLAL, 'L' },
    [0x09] = { EOP_SQDMLAL, 'L' },
    [0x0a] = { EOP_SMLSL, 'L' },  [0x1a] = { EOP_UMLSL, 'L' },
    [0x0b] = { EOP_SQDMLSL, 'L' },
    [0x0c] = { EOP_SMULL, 'L' },  [0x1c] = { EOP_UMULL, 'L' },
    [0x0d] = { EOP_SQDMULL, 'L' },
    [0x0e] = { EOP_PMUL, 'L' },
};

/* Three different (vector) and SQDMLAL/SQDMLSL/SQDMULL (scalar). size = 11 is reserved
 * (PMULL's 64-bit form is crypto.decode's); the saturating doubling ones take H and S only,
 * PMULL B only (its pattern fixes size = 00). */
bool a64_prep_v3diff(A64Insn *d, const A64Args *a)
{
    uint32_t raw = d->raw;
    unsigned opc = (raw >> 12) & 15, u = bit(raw, 29), esz = (unsigned)a->size;
    const V3Diff *e = &v3diff[u << 4 | opc];
    bool sqd = opc == 9 || opc == 11 || opc == 13;
    if (esz == 3 || (sqd && esz == 0))
        return false;
    regs(d, a);
    d->u8a = (uint8_t)esz;
    d->u8c = e->op;
    if (is_scalar(raw)) {
        d->u8b = 1;
        d->fn = long_vec[esz];
        return true;
    }
    d->u8b = (uint8_t)(8 >> esz);
    d->imm2 = bit(raw, 30) ? 8 >> esz : 0;
    d->fn = e->kind == 'L' ? long_vec[esz] : e->kind == 'W' ? exec_wide : narrow_vec[esz];
    return true;
}

/* Two-register misc, indexed by U:opcode. kind: E element-wise, N narrowing, P pairwise
 * long, R reverse, H SHLL; sizes as for v3same (vector; scalar ones take the scalar mask). */
typedef struct V2Misc { uint8_t op; char kind; uint8_t vsizes, ssizes; } V2Misc;
static const V2Misc v2misc[64] = {
    [0x00] = { 0, 'R', 0x7, 0 },              [0x20] = { 0, 'R', 0x3, 0 },      /* REV64, REV32 */
    [0x01] = { 0, 'R', 0x1, 0 },                                                 /* REV16 */
    [0x02] = { EOP_SADDLP, 'P', SZ_BHS, 0 },  [0x22] = { EOP_UADDLP, 'P', SZ_BHS, 0 },
    [0x03] = { EOP_SUQADD, 'E', SZ_ALL, SZ_ALL }, [0x23] = { EOP_USQADD, 'E', SZ_ALL, SZ_ALL },
    [0x04] = { EOP_CLS, 'E', SZ_BHS, 0 },     [0x24] = { EOP_CLZ, 'E', SZ_BHS, 0 },
    [0x05] = { EOP_CNT, 'E', 0x1, 0 },        [0x25] = { EOP_NOT, 'E', 0x3, 0 }, /* NOT, RBIT */
    [0x06] = { EOP_SADDLP, 'P', SZ_BHS, 0 },  [0x26] = { EOP_UADDLP, 'P', SZ_BHS, 0 },
    [0x07] = { EOP_SQABS, 'E', SZ_ALL, SZ_ALL }, [0x27] = { EOP_SQNEG, 'E', SZ_ALL, SZ_ALL },
    [0x08] = { EOP_CMGT0, 'E', SZ_ALL, SZ_D },   [0x28] = { EOP_CMGE0, 'E', SZ_ALL, SZ_D },
    [0x09] = { EOP_CMEQ0, 'E', SZ_ALL, SZ_D },   [0x29] = { EOP_CMLE0, 'E', SZ_ALL, SZ_D },
    [0x0a] = { EOP_CMLT0, 'E', SZ_ALL, SZ_D },
    [0x0b] = { EOP_ABS, 'E', SZ_ALL, SZ_D },     [0x2b] = { EOP_NEG, 'E', SZ_ALL, SZ_D },
    [0x12] = { EOP_XTN, 'N', SZ_BHS, 0 },        [0x32] = { EOP_SQXTUN, 'N', SZ_BHS, SZ_BHS },
    [0x33] = { EOP_USHLL, 'H', SZ_BHS, 0 },                                      /* SHLL */
    [0x14] = { EOP_SQXTN, 'N', SZ_BHS, SZ_BHS }, [0x34] = { EOP_UQXTN, 'N', SZ_BHS, SZ_BHS },
};

bool a64_prep_v2misc(A64Insn *d, const A64Args *a)
{
    uint32_t raw = d->raw;
    unsigned opc = (raw >> 12) & 31, u = bit(raw, 29), q = bit(raw, 30), esz = (unsigned)a->size;
    const V2Misc *e = &v2misc[u << 5 | opc];
    bool scalar = is_scalar(raw);
    unsigned sizes = scalar ? e->ssizes : e->vsizes;
    if (!((sizes >> esz) & 1))
        return false;
    if (!scalar && esz == 3 && !q && e->kind == 'E')
        return false;
    regs(d, a);
    d->u8a = (uint8_t)esz;
    d->u8c = e->op;
    if (u && opc == 5 && esz == 1) {    /* RBIT: the bits of each byte */
        d->u8a = 0;
        d->u8c = EOP_RBIT;
    }
    switch (e->kind) {
    case 'E':
        d->u8b = (uint8_t)count(raw, d->u8a);
        d->fn = same_fn(d->u8c, d->u8a);
        return true;
    case 'N':                           /* XTN{2}, SQXTN{2} ...: esz is the narrow size */
        d->u8b = scalar ? 1 : (uint8_t)(8 >> esz);
        d->imm2 = !scalar && q ? 8 >> esz : 0;
        d->fn = narrow_vec[esz];
        return true;
    case 'H':                           /* SHLL{2}: widen and shift by esize */
        d->u8b = (uint8_t)(8 >> esz);
        d->imm2 = q ? 8 >> esz : 0;
        d->imm = ebits(esz);
        d->fn = long_imm[esz];
        return true;
    case 'P':                           /* opcode<2> (bit 14): accumulate */
        d->u8b = (uint8_t)((q ? 16 : 8) >> (esz + 1));
        d->fn = addlp_fns[u][bit(raw, 14)][esz];
        return true;
    default: {                          /* REV16/32/64 */
        unsigned cont = 3 - u - 2 * opc;    /* log2 bytes: REV64 3, REV32 2, REV16 1 */
        d->u8b = (uint8_t)count(raw, esz);
        d->imm = (1 << (cont - esz)) - 1;
        d->fn = exec_rev;
        return true;
    }
    }
}

/* Across lanes: size 11 and the 4S form of 32-bit elements with Q = 0 are reserved. */
bool a64_prep_vacross(A64Insn *d, const A64Args *a)
{
    uint32_t raw = d->raw;
    unsigned opc = (raw >> 12) & 31, u = bit(raw, 29), q = bit(raw, 30), esz = (unsigned)a->size;
    if (esz == 3 || (esz == 2 && !q))
        return false;
    regs(d, a);
    d->u8a = (uint8_t)esz;
    d->u8b = (uint8_t)count(raw, esz);
    switch (opc) {
    case 0x03: d->u8c = u ? ACR_UADDLV : ACR_SADDLV; break;
    case 0x0a: d->u8c = u ? ACR_UMAXV : ACR_SMAXV; break;
    case 0x1a: d->u8c = u ? ACR_UMINV : ACR_SMINV; break;
    default: d->u8c = ACR_ADDV; break;
    }
    d->fn = exec_across;
    return true;
}

/* Shift by immediate, indexed by U:opcode. kind: R right (shift = 2*esize - immh:immb),
 * L left (immh:immb - esize), N narrowing right, W widening left; d64 = the scalar form
 * exists for 64-bit elements only. */
typedef struct VShift { uint8_t op; char kind; bool d64; } VShift;
static const VShift vshift[64] = {
    [0x00] = { EOP_SSHR, 'R', true },     [0x20] = { EOP_USHR, 'R', true },
    [0x02] = { EOP_SSRA, 'R', true },     [0x22] = { EOP_USRA, 'R', true },
    [0x04] = { EOP_SRSHR, 'R', true },    [0x24] = { EOP_URSHR, 'R', true },
    [0x06] = { EOP_SRSRA, 'R', true },    [0x26] = { EOP_URSRA, 'R', true },
    [0x28] = { EOP_SRI, 'R', true },
    [0x0a] = { EOP_SHL, 'L', true },      [0x2a] = { EOP_SLI, 'L', true },
    [0x2c] = { EOP_SQSHLU, 'L', false },
    [0x0e] = { EOP_SQSHLI, 'L', false },  [0x2e] = { EOP_UQSHLI, 'L', false },
    [0x10] = { EOP_SHRN, 'N', false },    [0x30] = { EOP_SQSHRUN, 'N', false },
    [0x11] = { EOP_RSHRN, 'N', false },   [0x31] = { EOP_SQRSHRUN, 'N', false },
    [0x12] = { EOP_SQSHRN, 'N', false },  [0x32] = { EOP_UQSHRN, 'N', false },
    [0x13] = { EOP_SQRSHRN, 'N', false }, [0x33] = { EOP_UQRSHRN, 'N', false },
    [0x14] = { EOP_SSHLL, 'W', false },   [0x34] = { EOP_USHLL, 'W', false },
};

/* immh = 0000 never reaches here in the vector form (MODIMM's pattern comes first) and is
 * unallocated in the scalar one; immh = 1xxx is reserved for the narrowing and widening
 * forms (no 128-bit elements) and, with Q = 0, for the vector ones (C4.1). */
bool a64_prep_vshift(A64Insn *d, const A64Args *a)
{
    uint32_t raw = d->raw;
    unsigned opc = (raw >> 11) & 31, u = bit(raw, 29), q = bit(raw, 30);
    unsigned immh = (unsigned)a->immh, immhb = immh << 3 | (unsigned)a->immb;
    const VShift *e = &vshift[u << 5 | opc];
    bool scalar = is_scalar(raw);
    if (immh == 0)
        return false;
    unsigned esz = 31 - (unsigned)__builtin_clz(immh), esize = ebits(esz);
    if ((e->kind == 'N' || e->kind == 'W') && esz == 3)
        return false;
    if (scalar ? (e->d64 && esz != 3) : (esz == 3 && !q))
        return false;
    regs(d, a);
    d->u8a = (uint8_t)esz;
    d->u8c = e->op;
    switch (e->kind) {
    case 'R':
        d->imm = 2 * esize - immhb;
        d->u8b = (uint8_t)count(raw, esz);
        d->fn = same_imm[esz];
        return true;
    case 'L':
        d->imm = immhb - esize;
        d->u8b = (uint8_t)count(raw, esz);
        d->fn = same_imm[esz];
        return true;
    case 'N':
        d->imm = 2 * esize - immhb;
        d->u8b = scalar ? 1 : (uint8_t)(8 >> esz);
        d->imm2 = !scalar && q ? 8 >> esz : 0;
        d->fn = e->op == EOP_SHRN ? fast_shrn[esz] : narrow_imm[esz];
        return true;
    default:
        d->imm = immhb - esize;
        d->u8b = (uint8_t)(8 >> esz);
        d->imm2 = q ? 8 >> esz : 0;
        d->fn = long_imm[esz];
        return true;
    }
}

/* By element, indexed by U:opcode; long = the result is esz + 1 (the "2" forms take the
 * upper half of Vn). */
typedef struct VElem { uint8_t op; bool lng; } VElem;
static const VElem velem[32] = {
    [0x10] = { EOP_MLA, false },     [0x14] = { EOP_MLS, false },
    [0x02] = { EOP_SMLAL, true },    [0x12] = { EOP_UMLAL, true },
    [0x03] = { EOP_SQDMLAL, true },  [0x07] = { EOP_SQDMLSL, true },
    [0x06] = { EOP_SMLSL, true },    [0x16] = { EOP_UMLSL, true },
    [0x08] = { EOP_MUL, false },
    [0x0a] = { EOP_SMULL, true },    [0x1a] = { EOP_UMULL, true },
    [0x0b] = { EOP_SQDMULL, true },
    [0x0c] = { EOP_SQDMULH, false }, [0x0d] = { EOP_SQRDMULH, false },
};

/* Sizes 00 and 11 are reserved for every integer by-element operation. H elements take
 * Vm from V0-V15 and the index H:L:M; S elements V0-V31 and H:L (C7.2 MUL). */
bool a64_prep_velem(A64Insn *d, const A64Args *a)
{
    uint32_t raw = d->raw;
    unsigned opc = (raw >> 12) & 15, u = bit(raw, 29), q = bit(raw, 30), esz = (unsigned)a->size;
    const VElem *e = &velem[u << 4 | opc];
    bool scalar = is_scalar(raw);
    if (esz != 1 && esz != 2)
        return false;
    regs(d, a);
    unsigned h = (unsigned)a->h, l = (unsigned)a->l, rm = (unsigned)a->rm;
    if (esz == 1) {
        d->rm = (uint8_t)(rm & 15);
        d->imm = h << 2 | l << 1 | rm >> 4;
    } else {
        d->imm = h << 1 | l;
    }
    d->u8a = (uint8_t)esz;
    d->u8c = e->op;
    if (e->lng) {
        d->u8b = scalar ? 1 : (uint8_t)(8 >> esz);
        d->imm2 = !scalar && q ? 8 >> esz : 0;
        d->fn = long_elem[esz];
    } else {
        d->u8b = (uint8_t)count(raw, esz);
        d->fn = same_elem[esz];
    }
    return true;
}
