/* AdvSIMD floating point (Arm ARM C4.1.95, the FP opcodes of each class; C7.2 per
 * instruction): element-wise operations over 1 (scalar forms), 2 or 4 lanes of single or
 * double precision with cpu/arm64/fpu.c's arithmetic, pairwise and across-lanes reductions,
 * by-element forms, narrowing and widening conversions.
 *
 * Slots: rd, rn, rm = V registers; u8a = format (FPU_S/FPU_D); u8b = lanes (1 for the scalar
 * forms, whose result zeroes the rest of the register like a 64-bit vector zeroes the top
 * half); u8c = rounding (0xff = FPCR's) or the unsigned flag; imm = fbits or the element
 * index; sf = exact (FRINTX). Results are built in a temporary, so Vd may be a source. */
#include "cpu/arm64/fp_internal.h"
#include "a64_decode_gen.h"

#define RND_FPCR 0xff

static inline int rounding_of(const A64Insn *d, const FpuEnv *e)
{
    return d->u8c == RND_FPCR ? (int)e->rmode : d->u8c;
}
static inline uint64_t all_ones(int fmt, bool b) { return b ? a64_fmt_mask(fmt) : 0; }

/* Format and lane count: sz selects single/double; vectors of .1D (sz = 1, q = 0) are
 * reserved. Scalar forms have one lane. */
static bool prep_lanes(A64Insn *d, const A64Args *a, bool scalar)
{
    d->u8a = a->sz ? FPU_D : FPU_S;
    if (scalar)
        d->u8b = 1;
    else if (a->sz && !a->q)
        return false;
    else
        d->u8b = (uint8_t)((a->q ? 16 : 8) >> d->u8a);
    d->rd = (uint8_t)a->rd;
    d->rn = (uint8_t)a->rn;
    d->rm = (uint8_t)a->rm;
    return true;
}

/* ---- element-wise, two operands (n, m; the accumulator acc = Vd's element) ------------- */
#define ELEMWISE(NAME, EXPR)                                                                  \
    static inline __attribute__((always_inline)) const A64Insn *                              \
    elem_##NAME(Arm64Cpu *c, const A64Insn *d, const int fmt)                                 \
    {                                                                                         \
        A64_FP_CHECK(c, d);                                                                   \
        FpuEnv e = a64_fpu_env(c);                                                            \
        A64Vreg r = { { 0, 0 } };                                                             \
        for (unsigned i = 0; i < d->u8b; i++) {                                               \
            uint64_t n = a64_velem(c, d->rn, i, fmt);                                         \
            uint64_t m = a64_velem(c, d->rm, i, fmt);                                         \
            uint64_t acc = a64_velem(c, d->rd, i, fmt);                                       \
            (void)m;                                                                          \
            (void)acc;                                                                        \
            a64_set_velem(&r, i, fmt, (EXPR));                                                \
        }                                                                                     \
        c->v[d->rd] = r;                                                                      \
        a64_fpu_done(c, &e);                                                                  \
        return d + 1;                                                                         \
    }                                                                                         \
    PER_FORMAT(NAME, elem_##NAME)
#define SIGN (fpu_sign_bit(fmt))
#define FABS_BITS(x) ((x) & ~SIGN)

ELEMWISE(FADD, fpu_add_f(&e, fmt, n, m))
ELEMWISE(FSUB, fpu_sub_f(&e, fmt, n, m))
ELEMWISE(FMUL, fpu_mul_f(&e, fmt, n, m))
ELEMWISE(FDIV, fpu_div_f(&e, fmt, n, m))
ELEMWISE(FMULX, fpu_mulx(&e, fmt, n, m))
ELEMWISE(FMAX, fpu_max(&e, fmt, n, m))
ELEMWISE(FMIN, fpu_min(&e, fmt, n, m))
ELEMWISE(FMAXNM, fpu_maxnum(&e, fmt, n, m))
ELEMWISE(FMINNM, fpu_minnum(&e, fmt, n, m))
/* FABD: FPAbs(FPSub()): a NaN result loses its sign too. */
ELEMWISE(FABD, FABS_BITS(fpu_sub_f(&e, fmt, n, m)))
/* FMLA: FPMulAdd(acc, n, m); FMLS negates n first (FPNeg, before the NaN checks). */
ELEMWISE(FMLA, fpu_muladd_f(&e, fmt, acc, n, m))
ELEMWISE(FMLS, fpu_muladd_f(&e, fmt, acc, n ^ SIGN, m))
ELEMWISE(FRECPS, fpu_recip_step(&e, fmt, n, m))
ELEMWISE(FRSQRTS, fpu_rsqrt_step(&e, fmt, n, m))
ELEMWISE(FCMEQ, all_ones(fmt, fpu_compare_eq(&e, fmt, n, m)))
ELEMWISE(FCMGE, all_ones(fmt, fpu_compare_ge(&e, fmt, n, m)))
ELEMWISE(FCMGT, all_ones(fmt, fpu_compare_gt(&e, fmt, n, m)))
ELEMWISE(FACGE, all_ones(fmt, fpu_compare_ge(&e, fmt, FABS_BITS(n), FABS_BITS(m))))
ELEMWISE(FACGT, all_ones(fmt, fpu_compare_gt(&e, fmt, FABS_BITS(n), FABS_BITS(m))))

#define PREP_V(NAME, FN, SCALAR)                                                              \
    bool a64_prep_##NAME(A64Insn *d, const A64Args *a)                                       \
    {                                                                                         \
        bool ok = prep_lanes(d, a, SCALAR);                                                   \
        d->fn = exec_##FN[d->u8a == FPU_D];                                                   \
        return ok;                                                                            \
    }
#define PREP_VS(OP) PREP_V(OP##_v, OP, false) PREP_V(OP##_s, OP, true)
PREP_V(FADD_v, FADD, false)
PREP_V(FSUB_v, FSUB, false)
PREP_V(FMUL_v, FMUL, false)
PREP_V(FDIV_v, FDIV, false)
PREP_V(FMAX_v, FMAX, false)
PREP_V(FMIN_v, FMIN, false)
PREP_V(FMAXNM_v, FMAXNM, false)
PREP_V(FMINNM_v, FMINNM, false)
PREP_V(FMLA_v, FMLA, false)
PREP_V(FMLS_v, FMLS, false)
PREP_VS(FMULX)
PREP_VS(FABD)
PREP_VS(FRECPS)
PREP_VS(FRSQRTS)
PREP_VS(FCMEQ)
PREP_VS(FCMGE)
PREP_VS(FCMGT)
PREP_VS(FACGE)
PREP_VS(FACGT)

/* ---- pairwise: the pairs of the concatenation Vm:Vn, low lanes from Vn ------------------ */
#define PAIRWISE(NAME, EXPR)                                                                  \
    static inline __attribute__((always_inline)) const A64Insn *                              \
    pair_##NAME(Arm64Cpu *c, const A64Insn *d, const int fmt)                                 \
    {                                                                                         \
        A64_FP_CHECK(c, d);                                                                   \
        FpuEnv e = a64_fpu_env(c);                                                            \
        unsigned half = d->u8b / 2;                                                           \
        A64Vreg r = { { 0, 0 } };                                                             \
        for (unsigned i = 0; i < d->u8b; i++) {                                               \
            unsigned src = i < half ? d->rn : d->rm, j = 2 * (i < half ? i : i - half);       \
            uint64_t n = a64_velem(c, src, j, fmt), m = a64_velem(c, src, j + 1, fmt);        \
            a64_set_velem(&r, i, fmt, (EXPR));                                                \
        }                                                                                     \
        c->v[d->rd] = r;                                                                      \
        a64_fpu_done(c, &e);                                                                  \
        return d + 1;                                                                         \
    }                                                                                         \
    /* Scalar pairwise: the two lanes of Vn (2S or 2D). */                                    \
    static inline __attribute__((always_inline)) const A64Insn *                              \
    pair_s_##NAME(Arm64Cpu *c, const A64Insn *d, const int fmt)                               \
    {                                                                                         \
        A64_FP_CHECK(c, d);                                                                   \
        FpuEnv e = a64_fpu_env(c);                                                            \
        uint64_t n = a64_velem(c, d->rn, 0, fmt), m = a64_velem(c, d->rn, 1, fmt);            \
        a64_vset_scalar(c, d->rd, (EXPR));                                                    \
        a64_fpu_done(c, &e);                                                                  \
        return d + 1;                                                                         \
    }                                                                                         \
    PER_FORMAT(NAME, pair_##NAME)                                                             \
    PER_FORMAT(NAME##_s, pair_s_##NAME)                                                       \
    PREP_V(NAME##_v, NAME, false)                                                             \
    PREP_V(NAME##_s, NAME##_s, true)
PAIRWISE(FADDP, fpu_add_f(&e, fmt, n, m))
PAIRWISE(FMAXP, fpu_max(&e, fmt, n, m))
PAIRWISE(FMINP, fpu_min(&e, fmt, n, m))
PAIRWISE(FMAXNMP, fpu_maxnum(&e, fmt, n, m))
PAIRWISE(FMINNMP, fpu_minnum(&e, fmt, n, m))

/* ---- across lanes: Reduce() halves recursively, op(op(e0, e1), op(e2, e3)); 4S only ----- */
#define ACROSS(NAME, FN)                                                                      \
    A64_EXEC(exec_##NAME)                                                                     \
    {                                                                                         \
        A64_FP_CHECK(c, d);                                                                   \
        FpuEnv e = a64_fpu_env(c);                                                            \
        const A64Vreg *v = &c->v[d->rn];                                                      \
        uint64_t lo = FN(&e, FPU_S, v->s[0], v->s[1]), hi = FN(&e, FPU_S, v->s[2], v->s[3]);  \
        a64_vset_scalar(c, d->rd, FN(&e, FPU_S, lo, hi));                                     \
        a64_fpu_done(c, &e);                                                                  \
        return d + 1;                                                                         \
    }                                                                                         \
    bool a64_prep_##NAME(A64Insn *d, const A64Args *a)                                       \
    {                                                                                         \
        d->rd = (uint8_t)a->rd;                                                               \
        d->rn = (uint8_t)a->rn;                                                               \
        d->fn = exec_##NAME;                                                                  \
        return a->q && !a->sz;                                                                \
    }
ACROSS(FMAXV, fpu_max)
ACROSS(FMINV, fpu_min)
ACROSS(FMAXNMV, fpu_maxnum)
ACROSS(FMINNMV, fpu_minnum)

/* ---- by element: Vm's element imm against every lane of Vn --------------------------------
 * Vm is m:rm (sz = 0: V0-V31, index h:l; sz = 1: index h, l = 1 reserved). */
#define BY_ELEMENT(NAME, EXPR)                                                                \
    static inline __attribute__((always_inline)) const A64Insn *                              \
    by_elem_##NAME(Arm64Cpu *c, const A64Insn *d, const int fmt)                              \
    {                                                                                         \
        A64_FP_CHECK(c, d);                                                                   \
        FpuEnv e = a64_fpu_env(c);                                                            \
        uint64_t m = a64_velem(c, d->rm, (unsigned)d->imm, fmt);                              \
        A64Vreg r = { { 0, 0 } };                                                             \
        for (unsigned i = 0; i < d->u8b; i++) {                                               \
            uint64_t n = a64_velem(c, d->rn, i, fmt), acc = a64_velem(c, d->rd, i, fmt);      \
            (void)acc;                                                                        \
            a64_set_velem(&r, i, fmt, (EXPR));                                                \
        }                                                                                     \
        c->v[d->rd] = r;                                                                      \
        a64_fpu_done(c, &e);                                                                  \
        return d + 1;                                                                         \
    }                                                                                         \
    PER_FORMAT(NAME##_e, by_elem_##NAME)                                                      \
    bool a64_prep_##NAME##_e(A64Insn *d, const A64Args *a)                                   \
    {                                                                                         \
        bool ok = prep_by_element(d, a, false);                                               \
        d->fn = exec_##NAME##_e[d->u8a == FPU_D];                                             \
        return ok;                                                                            \
    }                                                                                         \
    bool a64_prep_##NAME##_es(A64Insn *d, const A64Args *a)                                  \
    {                                                                                         \
        bool ok = prep_by_element(d, a, true);                                                \
        d->fn = exec_##NAME##_e[d->u8a == FPU_D];                                             \
        return ok;                                                                            \
    }
static bool prep_by_element(A64Insn *d, const A64Args *a, bool scalar)
{
    if (a->sz && a->l)
        return false;
    if (!prep_lanes(d, a, scalar))
        return false;
    d->rm = (uint8_t)(a->m << 4 | a->rm);
    d->imm = a->sz ? a->h : (a->h << 1 | a->l);
    return true;
}
BY_ELEMENT(FMUL, fpu_mul_f(&e, fmt, n, m))
BY_ELEMENT(FMULX, fpu_mulx(&e, fmt, n, m))
BY_ELEMENT(FMLA, fpu_muladd_f(&e, fmt, acc, n, m))
BY_ELEMENT(FMLS, fpu_muladd_f(&e, fmt, acc, n ^ SIGN, m))

/* ---- one operand ----------------------------------------------------------------------------- */
#define UNARY(NAME, EXPR)                                                                     \
    static inline __attribute__((always_inline)) const A64Insn *                              \
    unary_##NAME(Arm64Cpu *c, const A64Insn *d, const int fmt)                                \
    {                                                                                         \
        A64_FP_CHECK(c, d);                                                                   \
        FpuEnv e = a64_fpu_env(c);                                                            \
        A64Vreg r = { { 0, 0 } };                                                             \
        for (unsigned i = 0; i < d->u8b; i++) {                                               \
            uint64_t n = a64_velem(c, d->rn, i, fmt);                                         \
            a64_set_velem(&r, i, fmt, (EXPR));                                                \
        }                                                                                     \
        c->v[d->rd] = r;                                                                      \
        a64_fpu_done(c, &e);                                                                  \
        return d + 1;                                                                         \
    }                                                                                         \
    PER_FORMAT(NAME, unary_##NAME)
#define BITS (8 << fmt)
UNARY(FABS, FABS_BITS(n))
UNARY(FNEG, n ^ SIGN)
UNARY(FSQRT, fpu_sqrt_f(&e, fmt, n))
UNARY(FRINT, fpu_round_int(&e, fmt, n, rounding_of(d, &e), d->sf))
UNARY(FRECPE, fpu_recip_estimate(&e, fmt, n))
UNARY(FRSQRTE, fpu_rsqrt_estimate(&e, fmt, n))
UNARY(FRECPX, fpu_recpx(&e, fmt, n))
UNARY(URECPE, fpu_urecpe((uint32_t)n))
UNARY(URSQRTE, fpu_ursqrte((uint32_t)n))
/* Compares with zero: FCMLE/FCMLT compare zero against the element (GE/GT swapped). */
UNARY(FCMGT0, all_ones(fmt, fpu_compare_gt(&e, fmt, n, 0)))
UNARY(FCMGE0, all_ones(fmt, fpu_compare_ge(&e, fmt, n, 0)))
UNARY(FCMEQ0, all_ones(fmt, fpu_compare_eq(&e, fmt, n, 0)))
UNARY(FCMLE0, all_ones(fmt, fpu_compare_ge(&e, fmt, 0, n)))
UNARY(FCMLT0, all_ones(fmt, fpu_compare_gt(&e, fmt, 0, n)))
/* Conversions: to integers FPToFixed (u8c = rounding, sf = unsigned, imm = fbits), from
 * integers FixedToFP with FPCR's rounding. */
UNARY(TO_INT, fpu_to_fixed(&e, fmt, n, (int)d->imm, d->sf, d->u8c, BITS))
UNARY(FROM_INT, fpu_from_fixed(&e, fmt, n, (int)d->imm, d->sf, BITS))

PREP_V(FABS_v, FABS, false)
PREP_V(FNEG_v, FNEG, false)
PREP_V(FSQRT_v, FSQRT, false)
PREP_VS(FRECPE)
PREP_VS(FRSQRTE)
PREP_V(FRECPX_s, FRECPX, true)
PREP_VS(FCMGT0)
PREP_VS(FCMGE0)
PREP_VS(FCMEQ0)
PREP_VS(FCMLE0)
PREP_VS(FCMLT0)

/* URECPE, URSQRTE: 32-bit lanes only. */
bool a64_prep_URECPE_v(A64Insn *d, const A64Args *a)
{
    d->fn = exec_URECPE[0];
    return !a->sz && prep_lanes(d, a, false);
}
bool a64_prep_URSQRTE_v(A64Insn *d, const A64Args *a)
{
    d->fn = exec_URSQRTE[0];
    return !a->sz && prep_lanes(d, a, false);
}

/* FRINT: u:a:o = 000 N, 001 M, 010 P, 011 Z, 100 A, 101 X (exact), 111 I; 110 unallocated. */
bool a64_prep_FRINT_v(A64Insn *d, const A64Args *a)
{
    static const uint8_t rounding[8] = { FPU_RN, FPU_RM, FPU_RP, FPU_RZ, FPU_RA, RND_FPCR, 0,
                                         RND_FPCR };
    unsigned sel = (unsigned)(a->u << 2 | a->a << 1 | a->o);
    if (sel == 6)
        return false;
    d->u8c = rounding[sel];
    d->sf = sel == 5;
    bool ok = prep_lanes(d, a, false);
    d->fn = exec_FRINT[d->u8a == FPU_D];
    return ok;
}

static bool prep_to_int(A64Insn *d, const A64Args *a, bool scalar, int rounding, int fbits)
{
    d->u8c = (uint8_t)rounding;
    d->sf = (uint8_t)a->u;
    d->imm = fbits;
    bool ok = prep_lanes(d, a, scalar);
    d->fn = exec_TO_INT[d->u8a == FPU_D];
    return ok;
}
static bool prep_from_int(A64Insn *d, const A64Args *a, bool scalar, int fbits)
{
    d->sf = (uint8_t)a->u;
    d->imm = fbits;
    bool ok = prep_lanes(d, a, scalar);
    d->fn = exec_FROM_INT[d->u8a == FPU_D];
    return ok;
}
/* FCVT{N,M,P,Z}{S,U}: a:o = 00 N, 01 M, 10 P, 11 Z. */
static const uint8_t fcvt_rounding[4] = { FPU_RN, FPU_RM, FPU_RP, FPU_RZ };
bool a64_prep_FCVT_v(A64Insn *d, const A64Args *a)
{
    return prep_to_int(d, a, false, fcvt_rounding[a->a << 1 | a->o], 0);
}
bool a64_prep_FCVT_s(A64Insn *d, const A64Args *a)
{
    return prep_to_int(d, a, true, fcvt_rounding[a->a << 1 | a->o], 0);
}
bool a64_prep_FCVTA_v(A64Insn *d, const A64Args *a) { return prep_to_int(d, a, false, FPU_RA, 0); }
bool a64_prep_FCVTA_s(A64Insn *d, const A64Args *a) { return prep_to_int(d, a, true, FPU_RA, 0); }
bool a64_prep_CVTF_v(A64Insn *d, const A64Args *a) { return prep_from_int(d, a, false, 0); }
bool a64_prep_CVTF_s(A64Insn *d, const A64Args *a) { return prep_from_int(d, a, true, 0); }

/* Fixed point (shift by immediate): single immh = 01xx, fbits = 32 - imm5; double immh =
 * 1xxx, fbits = 64 - imm6. The prep reads sz from the pattern's shape. */
static bool prep_fix(A64Insn *d, const A64Args *a, bool scalar, bool dbl, bool to_int)
{
    A64Args b = *a;
    b.sz = dbl;
    int fbits = (dbl ? 64 : 32) - (int)a->imm;
    return to_int ? prep_to_int(d, &b, scalar, FPU_RZ, fbits) : prep_from_int(d, &b, scalar, fbits);
}
bool a64_prep_CVTF_fix_vs(A64Insn *d, const A64Args *a) { return prep_fix(d, a, false, false, false); }
bool a64_prep_CVTF_fix_vd(A64Insn *d, const A64Args *a) { return prep_fix(d, a, false, true, false); }
bool a64_prep_CVTF_fix_ss(A64Insn *d, const A64Args *a) { return prep_fix(d, a, true, false, false); }
bool a64_prep_CVTF_fix_sd(A64Insn *d, const A64Args *a) { return prep_fix(d, a, true, true, false); }
bool a64_prep_FCVTZ_fix_vs(A64Insn *d, const A64Args *a) { return prep_fix(d, a, false, false, true); }
bool a64_prep_FCVTZ_fix_vd(A64Insn *d, const A64Args *a) { return prep_fix(d, a, false, true, true); }
bool a64_prep_FCVTZ_fix_ss(A64Insn *d, const A64Args *a) { return prep_fix(d, a, true, false, true); }
bool a64_prep_FCVTZ_fix_sd(A64Insn *d, const A64Args *a) { return prep_fix(d, a, true, true, true); }

/* ---- narrowing and widening conversions -------------------------------------------------- */
/* FCVTN/FCVTN2, FCVTXN/FCVTXN2: each element of Vn (4S -> 4H, 2D -> 2S) into the low half of
 * Vd (top zeroed), or with q ("2") into the high half (low half kept). u8a = source format,
 * u8c = rounding. The scalar FCVTXN (u8b = 1) is Sd = Dn. */
A64_EXEC(exec_FCVTN)
{
    A64_FP_CHECK(c, d);
    FpuEnv e = a64_fpu_env(c);
    int from = d->u8a, to = from - 1;
    unsigned n = d->u8b, base = d->sf ? n : 0;
    A64Vreg r = d->sf ? c->v[d->rd] : (A64Vreg){ { 0, 0 } };
    for (unsigned i = 0; i < n; i++)
        a64_set_velem(&r, base + i, to,
                      fpu_convert(&e, from, to, a64_velem(c, d->rn, i, from), rounding_of(d, &e)));
    c->v[d->rd] = r;
    a64_fpu_done(c, &e);
    return d + 1;
}
static bool prep_narrow(A64Insn *d, const A64Args *a, int rounding, bool scalar)
{
    d->u8a = a->sz ? FPU_D : FPU_S;
    d->u8b = scalar ? 1 : (uint8_t)(16 >> d->u8a);
    d->sf = scalar ? 0 : (uint8_t)a->q;
    d->u8c = (uint8_t)rounding;
    d->rd = (uint8_t)a->rd;
    d->rn = (uint8_t)a->rn;
    d->fn = exec_FCVTN;
    return true;
}
bool a64_prep_FCVTN_v(A64Insn *d, const A64Args *a) { return prep_narrow(d, a, RND_FPCR, false); }
/* FCVTXN: double to single with round to odd (sz = 0 reserved). */
bool a64_prep_FCVTXN_v(A64Insn *d, const A64Args *a)
{
    return a->sz && prep_narrow(d, a, FPU_RODD, false);
}
bool a64_prep_FCVTXN_s(A64Insn *d, const A64Args *a)
{
    return a->sz && prep_narrow(d, a, FPU_RODD, true);
}

/* FCVTL/FCVTL2: the low (or with q the high) half's elements widened (4H -> 4S, 2S -> 2D). */
A64_EXEC(exec_FCVTL)
{
    A64_FP_CHECK(c, d);
    FpuEnv e = a64_fpu_env(c);
    int from = d->u8a, to = from + 1;
    unsigned n = d->u8b, base = d->sf ? n : 0;
    A64Vreg r = { { 0, 0 } };
    for (unsigned i = 0; i < n; i++)
        a64_set_velem(&r, i, to,
                      fpu_convert(&e, from, to, a64_velem(c, d->rn, base + i, from), (int)e.rmode));
    c->v[d->rd] = r;
    a64_fpu_done(c, &e);
    return d + 1;
}
bool a64_prep_FCVTL_v(A64Insn *d, const A64Args *a)
{
    d->u8a = a->sz ? FPU_S : FPU_H;
    d->u8b = (uint8_t)(8 >> d->u8a);
    d->sf = (uint8_t)a->q;
    d->rd = (uint8_t)a->rd;
    d->rn = (uint8_t)a->rn;
    d->fn = exec_FCVTL;
    return true;
}
