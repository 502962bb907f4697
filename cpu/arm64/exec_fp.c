/* Scalar floating point (Arm ARM C4.1.95 "Data Processing -- Scalar Floating-Point and
 * Advanced SIMD", the scalar FP classes; C7.2 per instruction):
 * moves, conversions to and from integers and fixed point, FCVT between precisions, the
 * 1-, 2- and 3-source data processing groups, compares, conditional compare and select.
 * The arithmetic is cpu/arm64/fpu.c's.
 *
 * Slots: rd, rn, rm, ra = V register numbers, or general registers through a64_rreg/a64_wreg
 * for the GPR operands of FMOV and the conversions; u8a = format (FPU_H/S/D) of the FP
 * operands, u8b = the second format (FCVT's destination) or the integer size (32/64), u8c =
 * rounding mode (conversions, FRINT*) or flags (below); imm = fbits, an immediate, or the
 * condition's truth table (a64_cond_mask). Half precision (ftype 11) only with FEAT_FP16,
 * which no model advertises: its arithmetic encodings are unallocated, FCVT keeps it. */
#include "cpu/arm64/fp_internal.h"
#include "cpu/arm64/alu.h"
#include "a64_decode_gen.h"

#define RND_FPCR 0xff      /* rounding slot value: FPCR.RMode at run time */

/* ftype -> format; -1 for the reserved 10. */
static int ftype_fmt(int64_t ft)
{
    static const int fmts[4] = { FPU_S, FPU_D, -1, FPU_H };
    return fmts[ft & 3];
}
/* ftype of an arithmetic instruction: single or double only (no FEAT_FP16). */
static bool prep_arith_fmt(A64Insn *d, const A64Args *a)
{
    if (a->ft != 0 && a->ft != 1)
        return false;
    d->u8a = (uint8_t)ftype_fmt(a->ft);
    d->rd = (uint8_t)a->rd;
    d->rn = (uint8_t)a->rn;
    return true;
}
static inline uint64_t sreg(const Arm64Cpu *c, unsigned r, int fmt)
{
    return c->v[r].d[0] & a64_fmt_mask(fmt);
}


/* ---- 2-source ------------------------------------------------------------------------------ */
#define FP2(NAME, EXPR)                                                                       \
    static inline __attribute__((always_inline)) const A64Insn *                              \
    fp2_##NAME(Arm64Cpu *c, const A64Insn *d, const int fmt)                                  \
    {                                                                                         \
        A64_FP_CHECK(c, d);                                                                   \
        FpuEnv e = a64_fpu_env(c);                                                            \
        uint64_t n = sreg(c, d->rn, fmt), m = sreg(c, d->rm, fmt);                           \
        a64_vset_scalar(c, d->rd, (EXPR));                                                    \
        a64_fpu_done(c, &e);                                                                  \
        return d + 1;                                                                         \
    }                                                                                         \
    PER_FORMAT(NAME, fp2_##NAME)                                                              \
    bool a64_prep_##NAME(A64Insn *d, const A64Args *a)                                       \
    {                                                                                         \
        d->rm = (uint8_t)a->rm;                                                               \
        bool ok = prep_arith_fmt(d, a);                                                       \
        d->fn = exec_##NAME[d->u8a == FPU_D];                                                 \
        return ok;                                                                            \
    }
FP2(FADD, fpu_add_f(&e, fmt, n, m))
FP2(FSUB, fpu_sub_f(&e, fmt, n, m))
FP2(FMUL, fpu_mul_f(&e, fmt, n, m))
FP2(FDIV, fpu_div_f(&e, fmt, n, m))
FP2(FMAX, fpu_max(&e, fmt, n, m))
FP2(FMIN, fpu_min(&e, fmt, n, m))
FP2(FMAXNM, fpu_maxnum(&e, fmt, n, m))
FP2(FMINNM, fpu_minnum(&e, fmt, n, m))
/* FNMUL negates the product after FPMul, a NaN result included. */
FP2(FNMUL, fpu_mul_f(&e, fmt, n, m) ^ fpu_sign_bit(fmt))

/* ---- 3-source: FMADD, FMSUB, FNMADD, FNMSUB -------------------------------------------------
 * FPMulAdd(addend, op1, op2) with op1 negated for FMSUB/FNMADD and the addend for FNMADD/
 * FNMSUB, before the NaN checks (a NaN operand keeps the flipped sign). u8c bit 0 negates
 * op1, bit 1 the addend. */
static inline __attribute__((always_inline)) const A64Insn *fmadd(Arm64Cpu *c, const A64Insn *d,
                                                                  const int fmt)
{
    A64_FP_CHECK(c, d);
    FpuEnv e = a64_fpu_env(c);
    uint64_t sign = fpu_sign_bit(fmt);
    uint64_t n = sreg(c, d->rn, fmt) ^ ((d->u8c & 1) ? sign : 0);
    uint64_t acc = sreg(c, d->ra, fmt) ^ ((d->u8c & 2) ? sign : 0);
    a64_vset_scalar(c, d->rd, fpu_muladd_f(&e, fmt, acc, n, sreg(c, d->rm, fmt)));
    a64_fpu_done(c, &e);
    return d + 1;
}
PER_FORMAT(FMADD, fmadd)
bool a64_prep_FMADD(A64Insn *d, const A64Args *a)
{
    static const uint8_t neg[4] = { 0, 1, 3, 2 };     /* o1:o0 */
    d->rm = (uint8_t)a->rm;
    d->ra = (uint8_t)a->ra;
    d->u8c = neg[(a->o1 << 1) | a->o0];
    bool ok = prep_arith_fmt(d, a);
    d->fn = exec_FMADD[d->u8a == FPU_D];
    return ok;
}

/* ---- 1-source -------------------------------------------------------------------------------- */
#define FP1(NAME, EXPR)                                                                       \
    A64_EXEC(exec_##NAME)                                                                     \
    {                                                                                         \
        A64_FP_CHECK(c, d);                                                                   \
        FpuEnv e = a64_fpu_env(c);                                                            \
        int fmt = d->u8a;                                                                     \
        uint64_t n = sreg(c, d->rn, fmt);                                                     \
        a64_vset_scalar(c, d->rd, (EXPR));                                                    \
        a64_fpu_done(c, &e);                                                                  \
        return d + 1;                                                                         \
    }
/* FMOV, FABS and FNEG touch no flag and no NaN (bit operations). */
FP1(FMOV_r, n)
FP1(FABS, n & ~fpu_sign_bit(fmt))
FP1(FNEG, n ^ fpu_sign_bit(fmt))
FP1(FSQRT, fpu_sqrt_f(&e, fmt, n))
FP1(FRINT, fpu_round_int(&e, fmt, n, d->u8c == RND_FPCR ? (int)e.rmode : d->u8c, d->u8b))
FP1(FCVT, fpu_convert(&e, fmt, d->u8b, n, (int)e.rmode))

#define PREP1(NAME)                                                                           \
    bool a64_prep_##NAME(A64Insn *d, const A64Args *a)                                       \
    {                                                                                         \
        d->fn = exec_##NAME;                                                                  \
        return prep_arith_fmt(d, a);                                                          \
    }
PREP1(FMOV_r)
PREP1(FABS)
PREP1(FNEG)
PREP1(FSQRT)

/* FRINTN, P, M, Z, A, (101 unallocated), X, I: u8c = rounding (RND_FPCR: FPCR's), u8b =
 * exact. */
bool a64_prep_FRINT(A64Insn *d, const A64Args *a)
{
    static const uint8_t rounding[8] = { FPU_RN, FPU_RP, FPU_RM, FPU_RZ, FPU_RA, 0, RND_FPCR,
                                         RND_FPCR };
    if (a->opc == 5)
        return false;
    d->u8c = rounding[a->opc];
    d->u8b = a->opc == 6;
    d->fn = exec_FRINT;
    return prep_arith_fmt(d, a);
}

/* FCVT: ftype is the source, opc the destination (00 S, 01 D, 11 H); half precision is a
 * base FP conversion operand (FPCR.AHP applies). */
bool a64_prep_FCVT(A64Insn *d, const A64Args *a)
{
    int from = ftype_fmt(a->ft), to = ftype_fmt(a->opc);
    if (from < 0 || to < 0 || from == to)
        return false;
    d->u8a = (uint8_t)from;
    d->u8b = (uint8_t)to;
    d->rd = (uint8_t)a->rd;
    d->rn = (uint8_t)a->rn;
    d->fn = exec_FCVT;
    return true;
}

/* ---- FMOV (immediate): VFPExpandImm ------------------------------------------------------ */
static uint64_t vfp_expand_imm(int fmt, unsigned imm8)
{
    int E = fmt == FPU_D ? 11 : 8, F = fmt == FPU_D ? 52 : 23;
    uint64_t sign = imm8 >> 7, b6 = (imm8 >> 6) & 1;
    uint64_t exp = ((b6 ^ 1) << (E - 1)) | ((b6 ? (1ULL << (E - 3)) - 1 : 0) << 2) | ((imm8 >> 4) & 3);
    uint64_t frac = (uint64_t)(imm8 & 15) << (F - 4);
    return sign << (E + F) | exp << F | frac;
}
A64_EXEC(exec_FMOV_i)
{
    A64_FP_CHECK(c, d);
    a64_vset_scalar(c, d->rd, (uint64_t)d->imm);
    return d + 1;
}
bool a64_prep_FMOV_i(A64Insn *d, const A64Args *a)
{
    if (a->ft != 0 && a->ft != 1)
        return false;
    d->rd = (uint8_t)a->rd;
    d->imm = (int64_t)vfp_expand_imm(ftype_fmt(a->ft), (unsigned)a->imm);
    d->fn = exec_FMOV_i;
    return true;
}

/* ---- compares ---------------------------------------------------------------------------- */
/* FCMP/FCMPE: u8b bit 0 = with zero, bit 1 = signalling (FCMPE). */
A64_EXEC(exec_FCMP)
{
    A64_FP_CHECK(c, d);
    FpuEnv e = a64_fpu_env(c);
    int fmt = d->u8a;
    uint64_t m = (d->u8b & 1) ? 0 : sreg(c, d->rm, fmt);
    a64_set_nzcv(c, (uint64_t)fpu_compare(&e, fmt, sreg(c, d->rn, fmt), m, d->u8b & 2) << 28);
    a64_fpu_done(c, &e);
    return d + 1;
}
bool a64_prep_FCMP(A64Insn *d, const A64Args *a)
{
    d->rm = (uint8_t)a->rm;
    d->u8b = (uint8_t)a->opc;
    d->fn = exec_FCMP;
    return prep_arith_fmt(d, a);
}

/* FCCMP/FCCMPE: the comparison when the condition holds, else NZCV = #nzcv (u8b). */
A64_EXEC(exec_FCCMP)
{
    A64_FP_CHECK(c, d);
    if (!a64_cond_mask_holds(c, (uint64_t)d->imm)) {
        a64_set_nzcv(c, (uint64_t)d->u8b << 28);
        return d + 1;
    }
    FpuEnv e = a64_fpu_env(c);
    int fmt = d->u8a;
    a64_set_nzcv(c, (uint64_t)fpu_compare(&e, fmt, sreg(c, d->rn, fmt), sreg(c, d->rm, fmt),
                                          d->u8c) << 28);
    a64_fpu_done(c, &e);
    return d + 1;
}
bool a64_prep_FCCMP(A64Insn *d, const A64Args *a)
{
    d->rm = (uint8_t)a->rm;
    d->u8b = (uint8_t)a->nzcv;
    d->u8c = (uint8_t)a->opc;
    d->imm = a64_cond_mask((unsigned)a->cond);
    d->fn = exec_FCCMP;
    return prep_arith_fmt(d, a);
}

A64_EXEC(exec_FCSEL)
{
    A64_FP_CHECK(c, d);
    unsigned r = a64_cond_mask_holds(c, (uint64_t)d->imm) ? d->rn : d->rm;
    a64_vset_scalar(c, d->rd, sreg(c, r, d->u8a));
    return d + 1;
}
bool a64_prep_FCSEL(A64Insn *d, const A64Args *a)
{
    d->rm = (uint8_t)a->rm;
    d->imm = a64_cond_mask((unsigned)a->cond);
    d->fn = exec_FCSEL;
    return prep_arith_fmt(d, a);
}

/* ---- conversions to and from general registers ------------------------------------------- */
/* FP -> integer (FCVT*S/U, fixed point FCVTZS/ZU): u8b = integer bits, u8c = rounding,
 * imm = fbits, sf = unsigned. */
A64_EXEC(exec_fp_to_int)
{
    A64_FP_CHECK(c, d);
    FpuEnv e = a64_fpu_env(c);
    int fmt = d->u8a;
    c->x[d->rd] = fpu_to_fixed(&e, fmt, sreg(c, d->rn, fmt), (int)d->imm, d->sf, d->u8c, d->u8b);
    a64_fpu_done(c, &e);
    return d + 1;
}
/* integer -> FP (SCVTF/UCVTF, fixed point): the same slots, rounding from FPCR. */
A64_EXEC(exec_int_to_fp)
{
    A64_FP_CHECK(c, d);
    FpuEnv e = a64_fpu_env(c);
    a64_vset_scalar(c, d->rd, fpu_from_fixed(&e, d->u8a, c->x[d->rn], (int)d->imm, d->sf, d->u8b));
    a64_fpu_done(c, &e);
    return d + 1;
}
static bool prep_cvt(A64Insn *d, const A64Args *a, bool to_int, bool is_unsigned, int rounding,
                     int fbits)
{
    if (a->ft != 0 && a->ft != 1)
        return false;
    d->u8a = (uint8_t)ftype_fmt(a->ft);
    d->u8b = a->sf ? 64 : 32;
    d->u8c = (uint8_t)rounding;
    d->sf = is_unsigned;
    d->imm = fbits;
    if (to_int) {
        d->rd = a64_wreg((uint32_t)a->rd);
        d->rn = (uint8_t)a->rn;
        d->fn = exec_fp_to_int;
    } else {
        d->rd = (uint8_t)a->rd;
        d->rn = a64_rreg((uint32_t)a->rn);
        d->fn = exec_int_to_fp;
    }
    return true;
}
/* FCVT{N,P,M,Z}{S,U}: rmode 00 N, 01 P, 10 M, 11 Z are FPU_RN..FPU_RZ. */
bool a64_prep_FCVT_int(A64Insn *d, const A64Args *a)
{
    return prep_cvt(d, a, true, a->u, (int)a->rm, 0);
}
bool a64_prep_FCVTA_int(A64Insn *d, const A64Args *a)
{
    return prep_cvt(d, a, true, a->u, FPU_RA, 0);
}
bool a64_prep_SCVTF_int(A64Insn *d, const A64Args *a) { return prep_cvt(d, a, false, false, 0, 0); }
bool a64_prep_UCVTF_int(A64Insn *d, const A64Args *a) { return prep_cvt(d, a, false, true, 0, 0); }
/* Fixed point: fbits = 64 - scale; a 32-bit integer needs scale >= 32. */
static bool prep_fix(A64Insn *d, const A64Args *a, bool to_int, bool is_unsigned)
{
    if (!a->sf && a->imm < 32)
        return false;
    return prep_cvt(d, a, to_int, is_unsigned, FPU_RZ, 64 - (int)a->imm);
}
bool a64_prep_SCVTF_fix(A64Insn *d, const A64Args *a) { return prep_fix(d, a, false, false); }
bool a64_prep_UCVTF_fix(A64Insn *d, const A64Args *a) { return prep_fix(d, a, false, true); }
bool a64_prep_FCVTZS_fix(A64Insn *d, const A64Args *a) { return prep_fix(d, a, true, false); }
bool a64_prep_FCVTZU_fix(A64Insn *d, const A64Args *a) { return prep_fix(d, a, true, true); }

/* FMOV between general and FP registers: Wd <-> Sn, Xd <-> Dn, Xd <-> Vn.D[1] (sf = 1,
 * ftype = 10, rmode = 01). Writing D[1] leaves D[0] alone; the other forms zero the rest of
 * the V register. The half-precision forms need FEAT_FP16. u8b = the D lane (0/1). */
A64_EXEC(exec_FMOV_to_gpr)
{
    A64_FP_CHECK(c, d);
    uint64_t v = c->v[d->rn].d[d->u8b];
    c->x[d->rd] = d->sf ? v : (uint32_t)v;
    return d + 1;
}
A64_EXEC(exec_FMOV_to_fp)
{
    A64_FP_CHECK(c, d);
    uint64_t x = d->sf ? c->x[d->rn] : (uint32_t)c->x[d->rn];
    if (d->u8b)
        c->v[d->rd].d[1] = x;
    else
        a64_vset_scalar(c, d->rd, x);
    return d + 1;
}
static bool prep_fmov_gpr(A64Insn *d, const A64Args *a)
{
    bool word = !a->sf && a->ft == 0 && a->rm == 0;
    bool dword = a->sf && a->ft == 1 && a->rm == 0;
    bool top = a->sf && a->ft == 2 && a->rm == 1;
    d->sf = (uint8_t)a->sf;
    d->u8b = top;
    return word || dword || top;
}
bool a64_prep_FMOV_to_gpr(A64Insn *d, const A64Args *a)
{
    d->rd = a64_wreg((uint32_t)a->rd);
    d->rn = (uint8_t)a->rn;
    d->fn = exec_FMOV_to_gpr;
    return prep_fmov_gpr(d, a);
}
bool a64_prep_FMOV_to_fp(A64Insn *d, const A64Args *a)
{
    d->rd = (uint8_t)a->rd;
    d->rn = a64_rreg((uint32_t)a->rn);
    d->fn = exec_FMOV_to_fp;
    return prep_fmov_gpr(d, a);
}
