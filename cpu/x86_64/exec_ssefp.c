/* x86-64 SSE/SSE2 floating point: ADD SUB MUL DIV MIN MAX SQRT in their PS/PD/SS/SD forms,
 * CMPPS/PD/SS/SD, UCOMISS/SD and COMISS/SD, and the conversions CVTSI2SS/SD, CVT(T)SS2SI,
 * CVT(T)SD2SI, CVTSS2SD, CVTSD2SS, CVTPS2PD, CVTPD2PS, CVTDQ2PS, CVT(T)PS2DQ, CVTDQ2PD,
 * CVT(T)PD2DQ.
 *
 * The IEEE arithmetic is the project's software FPU (cpu/arm64/fpu.c, with its host fast
 * path); the x86 rules sit around it (SDM vol. 1 §4.8.3, §11.5): a NaN operand gives the
 * first source quieted, else the second (MIN/MAX: the second source whenever either is a
 * NaN or both are zeros); an invalid operation gives the "real indefinite" (a negative
 * QNaN) and a failed integer conversion the "integer indefinite" (the most negative
 * integer); DAZ reads denormal inputs as zeros, DE flags a denormal input, FTZ flushes a
 * denormal result to zero with UE and PE. MXCSR.RC rounds. Exceptions are accumulated in
 * MXCSR; one that MXCSR does not mask raises #XM (#UD without CR4.OSXMMEXCPT) with nothing
 * written. Underflow's tininess is detected before rounding (the rule the FPU follows, as
 * QEMU's x86 model does); where hardware differs it changes UE only for results that round
 * up to the smallest normal. */
#include "cpu/arm64/fpu.h"
#include "cpu/x86_64/sse.h"

#define MX_IE 0x01u
#define MX_DE 0x02u
#define MX_ZE 0x04u
#define MX_OE 0x08u
#define MX_UE 0x10u
#define MX_PE 0x20u
#define MX_DAZ 0x40u
#define MX_FTZ 0x8000u

/* One instruction's FP context: the FPU environment for MXCSR.RC and the flags so far. */
typedef struct Fx {
    FpuEnv e;
    uint32_t mxcsr;
    uint32_t flags;
} Fx;

static void fx_init(const X86Cpu *c, Fx *f)
{
    static const uint32_t rmode[4] = { FPU_RN, FPU_RM, FPU_RP, FPU_RZ };
    uint32_t rc = (c->mxcsr >> 13) & 3;
    f->e = fpu_env((uint64_t)rmode[rc] << FPCR_RMODE_SHIFT, 0);
    f->mxcsr = c->mxcsr;
    f->flags = 0;
}

/* Folds the FPU's flags into f->flags. */
static void fx_collect(Fx *f)
{
    uint64_t s = f->e.fpsr;
    f->flags |= (s & FPSR_IOC ? MX_IE : 0) | (s & FPSR_DZC ? MX_ZE : 0) |
                (s & FPSR_OFC ? MX_OE : 0) | (s & FPSR_UFC ? MX_UE : 0) |
                (s & FPSR_IXC ? MX_PE : 0);
    f->e.fpsr = 0;
}

/* Ends the instruction: the flags into MXCSR; an unmasked one is #XM (or #UD). */
static bool fx_finish(X86Cpu *c, Fx *f)
{
    fx_collect(f);
    c->mxcsr |= f->flags;
    if (f->flags & ~(c->mxcsr >> 7) & 0x3f) {
        x86_raise(c, c->cr4 & X86_CR4_OSXMMEXCPT ? X86_XM : X86_UD, false, 0);
        return false;
    }
    return true;
}

/* ---- values (fmt FPU_S or FPU_D) ---- */
static unsigned fbits(int fmt) { return fmt == FPU_D ? 64 : 32; }
static uint64_t exp_mask(int fmt) { return fmt == FPU_D ? 0x7ff0000000000000ull : 0x7f800000u; }
static uint64_t frac_mask(int fmt) { return fmt == FPU_D ? 0x000fffffffffffffull : 0x007fffffu; }
static uint64_t quiet_bit(int fmt) { return fmt == FPU_D ? 1ull << 51 : 1u << 22; }
static uint64_t sign_of(int fmt) { return 1ull << (fbits(fmt) - 1); }
static bool is_nan(int fmt, uint64_t x)
{
    return (x & exp_mask(fmt)) == exp_mask(fmt) && (x & frac_mask(fmt));
}
static bool is_snan(int fmt, uint64_t x) { return is_nan(fmt, x) && !(x & quiet_bit(fmt)); }
static bool is_denormal(int fmt, uint64_t x)
{
    return !(x & exp_mask(fmt)) && (x & frac_mask(fmt));
}
static uint64_t indefinite(int fmt) { return fmt == FPU_D ? 0xfff8000000000000ull : 0xffc00000u; }

/* DAZ and DE for an input. */
static uint64_t fx_input(Fx *f, int fmt, uint64_t x)
{
    if (is_denormal(fmt, x)) {
        if (f->mxcsr & MX_DAZ)
            return x & sign_of(fmt);
        f->flags |= MX_DE;
    }
    return x;
}

/* FTZ and the invalid-operation NaN for a computed result. */
static uint64_t fx_result(Fx *f, int fmt, uint64_t r)
{
    if (is_nan(fmt, r))
        return indefinite(fmt);
    if ((f->mxcsr & MX_FTZ) && is_denormal(fmt, r)) {
        f->flags |= MX_UE | MX_PE;
        return r & sign_of(fmt);
    }
    return r;
}

/* The NaN result of a two-operand operation with a NaN operand (first source first). */
static uint64_t nan_result(Fx *f, int fmt, uint64_t a, uint64_t b)
{
    if (is_snan(fmt, a) || is_snan(fmt, b))
        f->flags |= MX_IE;
    return (is_nan(fmt, a) ? a : b) | quiet_bit(fmt);
}

enum { OP_SQRT = 0x51, OP_ADD = 0x58, OP_MUL = 0x59, OP_SUB = 0x5c, OP_MIN = 0x5d,
       OP_DIV = 0x5e, OP_MAX = 0x5f };

static bool fless(int fmt, uint64_t a, uint64_t b)
{
    return fmt == FPU_D ? fpu_f64(a) < fpu_f64(b) : fpu_f32((uint32_t)a) < fpu_f32((uint32_t)b);
}

/* One element of a 5x operation: a (first source, the destination) op b. */
static uint64_t arith(Fx *f, int op, int fmt, uint64_t a, uint64_t b)
{
    if (op == OP_SQRT) {          /* one source: b */
        if (is_nan(fmt, b)) {
            if (is_snan(fmt, b))
                f->flags |= MX_IE;
            return b | quiet_bit(fmt);
        }
        b = fx_input(f, fmt, b);
        return fx_result(f, fmt, fpu_sqrt(&f->e, fmt, b));
    }
    a = fx_input(f, fmt, a);
    b = fx_input(f, fmt, b);
    if (op == OP_MIN || op == OP_MAX) {
        /* the second source for NaNs (Invalid for any NaN) and for two zeros */
        if (is_nan(fmt, a) || is_nan(fmt, b)) {
            f->flags |= MX_IE;
            return b;
        }
        bool pick_a = op == OP_MIN ? fless(fmt, a, b) : fless(fmt, b, a);
        return pick_a ? a : b;
    }
    if (is_nan(fmt, a) || is_nan(fmt, b))
        return nan_result(f, fmt, a, b);
    uint64_t r;
    switch (op) {
    case OP_ADD: r = fpu_add(&f->e, fmt, a, b); break;
    case OP_SUB: r = fpu_sub(&f->e, fmt, a, b); break;
    case OP_MUL: r = fpu_mul(&f->e, fmt, a, b); break;
    default: r = fpu_div(&f->e, fmt, a, b); break;
    }
    return fx_result(f, fmt, r);
}

/* The source operand: XMM register, or memory of n bytes (16: aligned m128). */
static bool read_src(X86Cpu *c, const X86Insn *d, unsigned n, Xmm *x)
{
    memset(x, 0, sizeof *x);
    if (d->mod == 3) {
        memcpy(x, c->xmm[d->rm], 16);
        return true;
    }
    uint64_t ea = x86_ea(c, d);
    if (n == 16) {
        if (ea & 15)
            return x86_fault(c, X86_GP, 0, true);
        return x86_read16(c, d->seg, ea, x);
    }
    return x86_read(c, d->seg, ea, n, &x->q[0]);
}

static uint64_t elem(const Xmm *x, int fmt, unsigned i)
{
    return fmt == FPU_D ? x->q[i] : x->d[i];
}
static void set_elem(Xmm *x, int fmt, unsigned i, uint64_t v)
{
    if (fmt == FPU_D)
        x->q[i] = v;
    else
        x->d[i] = (uint32_t)v;
}

/* NP/66/F3/F2 0F 51, 58, 59, 5C-5F */
int x86_op_sse_arith(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    unsigned p = mp(d);
    int fmt = p == 0x66 || p == 0xf2 ? FPU_D : FPU_S;
    bool scalar = p == 0xf3 || p == 0xf2;
    unsigned n = scalar ? fbits(fmt) / 8 : 16, count = scalar ? 1 : 16 / (fbits(fmt) / 8);
    Xmm a, b;
    if (!read_src(c, d, n, &b))
        return X86_FAULT;
    memcpy(&a, c->xmm[d->reg], 16);
    Fx f;
    fx_init(c, &f);
    for (unsigned i = 0; i < count; i++)
        set_elem(&a, fmt, i, arith(&f, d->opcode, fmt, elem(&a, fmt, i), elem(&b, fmt, i)));
    if (!fx_finish(c, &f))
        return X86_FAULT;
    memcpy(c->xmm[d->reg], &a, 16);
    return x86_retire(c, d);
}

/* CMPxx predicate 0-7 on one element: all ones if true. */
static uint64_t compare(Fx *f, int fmt, unsigned pred, uint64_t a, uint64_t b)
{
    a = fx_input(f, fmt, a);
    b = fx_input(f, fmt, b);
    bool unord = is_nan(fmt, a) || is_nan(fmt, b);
    /* LT, LE, NLT, NLE signal on any NaN; EQ, UNORD, NEQ, ORD only on SNaNs */
    if (unord && ((pred & 3) == 1 || (pred & 3) == 2 || is_snan(fmt, a) || is_snan(fmt, b)))
        f->flags |= MX_IE;
    bool r;
    bool eq = !unord && (fmt == FPU_D ? fpu_f64(a) == fpu_f64(b)
                                      : fpu_f32((uint32_t)a) == fpu_f32((uint32_t)b));
    bool lt = !unord && fless(fmt, a, b);
    switch (pred & 7) {
    case 0: r = eq; break;
    case 1: r = lt; break;
    case 2: r = lt || eq; break;
    case 3: r = unord; break;
    case 4: r = !eq; break;
    case 5: r = !lt; break;
    case 6: r = !(lt || eq); break;
    default: r = !unord; break;
    }
    return r ? (fmt == FPU_D ? ~0ull : 0xffffffffu) : 0;
}

/* 0F C2 ib: CMPPS/CMPPD/CMPSS/CMPSD (predicates 0-7) */
int x86_op_sse_cmp(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    unsigned p = mp(d);
    int fmt = p == 0x66 || p == 0xf2 ? FPU_D : FPU_S;
    bool scalar = p == 0xf3 || p == 0xf2;
    unsigned n = scalar ? fbits(fmt) / 8 : 16, count = scalar ? 1 : 16 / (fbits(fmt) / 8);
    Xmm a, b;
    if (!read_src(c, d, n, &b))
        return X86_FAULT;
    memcpy(&a, c->xmm[d->reg], 16);
    Fx f;
    fx_init(c, &f);
    for (unsigned i = 0; i < count; i++)
        set_elem(&a, fmt, i, compare(&f, fmt, (unsigned)d->imm, elem(&a, fmt, i), elem(&b, fmt, i)));
    if (!fx_finish(c, &f))
        return X86_FAULT;
    memcpy(c->xmm[d->reg], &a, 16);
    return x86_retire(c, d);
}

/* 0F 2E UCOMISS (66: UCOMISD), 0F 2F COMISS/COMISD: ZF PF CF = 111 unordered, 001 less,
 * 100 equal, 000 greater; OF SF AF cleared. COMIS signals on any NaN, UCOMIS on SNaNs. */
int x86_op_sse_comis(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    int fmt = mp(d) == 0x66 ? FPU_D : FPU_S;
    Xmm b;
    if (!read_src(c, d, fbits(fmt) / 8, &b))
        return X86_FAULT;
    Fx f;
    fx_init(c, &f);
    uint64_t x = fx_input(&f, fmt, fmt == FPU_D ? c->xmm[d->reg][0] : (uint32_t)c->xmm[d->reg][0]);
    uint64_t y = fx_input(&f, fmt, elem(&b, fmt, 0));
    uint32_t fl;
    if (is_nan(fmt, x) || is_nan(fmt, y)) {
        if (d->opcode == 0x2f || is_snan(fmt, x) || is_snan(fmt, y))
            f.flags |= MX_IE;
        fl = X86_ZF | X86_PF | X86_CF;
    } else if (fless(fmt, x, y)) {
        fl = X86_CF;
    } else if (!fless(fmt, y, x)) {
        fl = X86_ZF;
    } else {
        fl = 0;
    }
    if (!fx_finish(c, &f))
        return X86_FAULT;
    x86_set_flags(c, X86_FLAGS_ARITH, fl);
    return x86_retire(c, d);
}

/* Float to integer (bits 32 or 64), truncating or by MXCSR.RC: a NaN or an out-of-range
 * value is the integer indefinite with IE. */
static uint64_t to_int(Fx *f, int fmt, uint64_t x, unsigned bits, bool truncate)
{
    x = fx_input(f, fmt, x);
    FpuEnv e = f->e;
    e.fpsr = 0;
    uint64_t r = fpu_to_fixed(&e, fmt, x, 0, false, truncate ? FPU_RZ : (int)f->e.rmode,
                              (int)bits);
    if (e.fpsr & FPSR_IOC) {
        f->flags |= MX_IE;
        return bits == 64 ? 1ull << 63 : 1u << 31;
    }
    if (e.fpsr & FPSR_IXC)
        f->flags |= MX_PE;
    return bits == 64 ? r : (uint32_t)r;
}

/* Integer (32 or 64 bits, signed) to float, rounded by MXCSR.RC. */
static uint64_t from_int(Fx *f, int fmt, uint64_t v, unsigned bits)
{
    uint64_t r = fpu_from_fixed(&f->e, fmt, v, 0, false, (int)bits);
    fx_collect(f);
    return r;
}

/* Float to float (CVTSS2SD and friends): NaNs quieted (IE for an SNaN). */
static uint64_t to_fmt(Fx *f, int from, int to, uint64_t x)
{
    x = fx_input(f, from, x);
    uint64_t r = fpu_convert(&f->e, from, to, x, (int)f->e.rmode);
    fx_collect(f);
    if (is_nan(to, r))
        return r;        /* a converted NaN keeps its sign and payload */
    return fx_result(f, to, r);
}

/* F3/F2 0F 2A: CVTSI2SS/SD xmm, r/m32/64 */
int x86_op_sse_cvtsi2s(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    int fmt = d->rep == 0xf2 ? FPU_D : FPU_S;
    unsigned n = d->rex & 8 ? 8 : 4;
    uint64_t v;
    if (!x86_rm_read(c, d, n, &v))
        return X86_FAULT;
    Fx f;
    fx_init(c, &f);
    Xmm a;
    memcpy(&a, c->xmm[d->reg], 16);
    set_elem(&a, fmt, 0, from_int(&f, fmt, v, 8 * n));
    if (!fx_finish(c, &f))
        return X86_FAULT;
    memcpy(c->xmm[d->reg], &a, 16);
    return x86_retire(c, d);
}

/* F3/F2 0F 2C (truncating) and 2D: CVT(T)SS2SI / CVT(T)SD2SI r32/64, xmm/m32/m64 */
int x86_op_sse_cvts2si(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    int fmt = d->rep == 0xf2 ? FPU_D : FPU_S;
    unsigned n = d->rex & 8 ? 8 : 4;
    Xmm b;
    if (!read_src(c, d, fbits(fmt) / 8, &b))
        return X86_FAULT;
    Fx f;
    fx_init(c, &f);
    uint64_t r = to_int(&f, fmt, elem(&b, fmt, 0), 8 * n, d->opcode == 0x2c);
    if (!fx_finish(c, &f))
        return X86_FAULT;
    x86_set_reg(c, d, d->reg, n, r);
    return x86_retire(c, d);
}

/* 0F 5A: CVTPS2PD (NP), CVTPD2PS (66), CVTSS2SD (F3), CVTSD2SS (F2) */
int x86_op_sse_cvtfp(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    unsigned p = mp(d);
    Xmm a, b, r;
    unsigned n = p == 0xf3 ? 4 : p == 0xf2 || p == 0 ? 8 : 16;
    if (!read_src(c, d, n, &b))
        return X86_FAULT;
    memcpy(&a, c->xmm[d->reg], 16);
    Fx f;
    fx_init(c, &f);
    r = a;
    switch (p) {
    case 0xf3: r.q[0] = to_fmt(&f, FPU_S, FPU_D, b.d[0]); break;
    case 0xf2: r.d[0] = (uint32_t)to_fmt(&f, FPU_D, FPU_S, b.q[0]); break;
    case 0x66:
        r.d[0] = (uint32_t)to_fmt(&f, FPU_D, FPU_S, b.q[0]);
        r.d[1] = (uint32_t)to_fmt(&f, FPU_D, FPU_S, b.q[1]);
        r.q[1] = 0;
        break;
    default: {
        uint32_t lo = b.d[0], hi = b.d[1];
        r.q[0] = to_fmt(&f, FPU_S, FPU_D, lo);
        r.q[1] = to_fmt(&f, FPU_S, FPU_D, hi);
        break;
    }
    }
    if (!fx_finish(c, &f))
        return X86_FAULT;
    memcpy(c->xmm[d->reg], &r, 16);
    return x86_retire(c, d);
}

/* 0F 5B: CVTDQ2PS (NP), CVTPS2DQ (66), CVTTPS2DQ (F3) */
int x86_op_sse_cvtdq(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    unsigned p = mp(d);
    if (p == 0xf2)
        return x86_ud(c);
    Xmm b, r;
    if (!read_src(c, d, 16, &b))
        return X86_FAULT;
    Fx f;
    fx_init(c, &f);
    for (int i = 0; i < 4; i++)
        r.d[i] = p == 0 ? (uint32_t)from_int(&f, FPU_S, (uint64_t)(int64_t)(int32_t)b.d[i], 64)
                        : (uint32_t)to_int(&f, FPU_S, b.d[i], 32, p == 0xf3);
    if (!fx_finish(c, &f))
        return X86_FAULT;
    memcpy(c->xmm[d->reg], &r, 16);
    return x86_retire(c, d);
}

/* 0F E6: CVTDQ2PD (F3), CVTPD2DQ (F2), CVTTPD2DQ (66) */
int x86_op_sse_cvtpd(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    unsigned p = mp(d);
    Xmm b, r;
    if (!read_src(c, d, p == 0xf3 ? 8 : 16, &b))
        return X86_FAULT;
    Fx f;
    fx_init(c, &f);
    if (p == 0xf3) {
        uint32_t lo = b.d[0], hi = b.d[1];
        r.q[0] = from_int(&f, FPU_D, (uint64_t)(int64_t)(int32_t)lo, 64);
        r.q[1] = from_int(&f, FPU_D, (uint64_t)(int64_t)(int32_t)hi, 64);
    } else {
        r.d[0] = (uint32_t)to_int(&f, FPU_D, b.q[0], 32, p == 0x66);
        r.d[1] = (uint32_t)to_int(&f, FPU_D, b.q[1], 32, p == 0x66);
        r.q[1] = 0;
    }
    if (!fx_finish(c, &f))
        return X86_FAULT;
    memcpy(c->xmm[d->reg], &r, 16);
    return x86_retire(c, d);
}

/* ---- SSE3 ---- */

/* 66 0F D0 ADDSUBPD, F2 0F D0 ADDSUBPS: subtract in the even elements, add in the odd */
int x86_op_sse_addsub(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    int fmt = mp(d) == 0x66 ? FPU_D : FPU_S;
    unsigned count = fmt == FPU_D ? 2 : 4;
    Xmm a, b;
    if (!read_src(c, d, 16, &b))
        return X86_FAULT;
    memcpy(&a, c->xmm[d->reg], 16);
    Fx f;
    fx_init(c, &f);
    for (unsigned i = 0; i < count; i++)
        set_elem(&a, fmt, i, arith(&f, i & 1 ? OP_ADD : OP_SUB, fmt, elem(&a, fmt, i),
                                   elem(&b, fmt, i)));
    if (!fx_finish(c, &f))
        return X86_FAULT;
    memcpy(c->xmm[d->reg], &a, 16);
    return x86_retire(c, d);
}

/* 0F 7C HADDPD (66) / HADDPS (F2), 0F 7D HSUBPD / HSUBPS: pairs of adjacent elements, the
 * destination's first, then the source's */
int x86_op_sse_hadd(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    int fmt = mp(d) == 0x66 ? FPU_D : FPU_S;
    unsigned half = fmt == FPU_D ? 1 : 2;
    int op = d->opcode == 0x7c ? OP_ADD : OP_SUB;
    Xmm a, b, r;
    if (!read_src(c, d, 16, &b))
        return X86_FAULT;
    memcpy(&a, c->xmm[d->reg], 16);
    Fx f;
    fx_init(c, &f);
    for (unsigned i = 0; i < half; i++) {
        set_elem(&r, fmt, i, arith(&f, op, fmt, elem(&a, fmt, 2 * i), elem(&a, fmt, 2 * i + 1)));
        set_elem(&r, fmt, half + i,
                 arith(&f, op, fmt, elem(&b, fmt, 2 * i), elem(&b, fmt, 2 * i + 1)));
    }
    if (!fx_finish(c, &f))
        return X86_FAULT;
    memcpy(c->xmm[d->reg], &r, 16);
    return x86_retire(c, d);
}

/* ---- SSE4.1 ---- */

/* 66 0F 3A 08 ROUNDPS, 09 ROUNDPD, 0A ROUNDSS, 0B ROUNDSD: to an integral value, by
 * imm[1:0] or (imm[2]) MXCSR.RC; imm[3] suppresses PE. An SNaN is quieted with IE; DE is
 * not signalled (SDM). */
int x86_op_sse_round(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    static const int rmode[4] = { FPU_RN, FPU_RM, FPU_RP, FPU_RZ };
    int fmt = d->opcode & 1 ? FPU_D : FPU_S;
    bool scalar = d->opcode >= 0x0a;
    unsigned count = scalar ? 1 : 16 / (fbits(fmt) / 8), imm = d->imm & 0xff;
    Xmm a, b;
    if (!read_src(c, d, scalar ? fbits(fmt) / 8 : 16, &b))
        return X86_FAULT;
    memcpy(&a, c->xmm[d->reg], 16);
    Fx f;
    fx_init(c, &f);
    int rounding = imm & 4 ? (int)f.e.rmode : rmode[imm & 3];
    for (unsigned i = 0; i < count; i++) {
        uint64_t x = elem(&b, fmt, i), r;
        if (is_nan(fmt, x)) {
            if (is_snan(fmt, x))
                f.flags |= MX_IE;
            r = x | quiet_bit(fmt);
        } else {
            if (is_denormal(fmt, x) && (f.mxcsr & MX_DAZ))
                x &= sign_of(fmt);
            r = fpu_round_int(&f.e, fmt, x, rounding, !(imm & 8));
            fx_collect(&f);
        }
        set_elem(&a, fmt, i, r);
    }
    if (!fx_finish(c, &f))
        return X86_FAULT;
    memcpy(c->xmm[d->reg], &a, 16);
    return x86_retire(c, d);
}

/* 66 0F 3A 40 DPPS, 41 DPPD: the products imm[7:4] selects, summed pairwise (each step
 * rounded), to the elements imm[3:0] selects, +0.0 elsewhere */
int x86_op_sse_dpp(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    int fmt = d->opcode == 0x41 ? FPU_D : FPU_S;
    unsigned count = fmt == FPU_D ? 2 : 4, imm = d->imm & 0xff;
    Xmm a, b, r;
    if (!read_src(c, d, 16, &b))
        return X86_FAULT;
    memcpy(&a, c->xmm[d->reg], 16);
    Fx f;
    fx_init(c, &f);
    uint64_t t[4];
    for (unsigned i = 0; i < count; i++)
        t[i] = imm >> (4 + i) & 1 ? arith(&f, OP_MUL, fmt, elem(&a, fmt, i), elem(&b, fmt, i))
                                  : 0;
    uint64_t sum;
    if (fmt == FPU_D) {
        sum = arith(&f, OP_ADD, fmt, t[0], t[1]);
    } else {
        uint64_t s01 = arith(&f, OP_ADD, fmt, t[0], t[1]);
        uint64_t s23 = arith(&f, OP_ADD, fmt, t[2], t[3]);
        sum = arith(&f, OP_ADD, fmt, s01, s23);
    }
    for (unsigned i = 0; i < count; i++)
        set_elem(&r, fmt, i, imm >> i & 1 ? sum : 0);
    if (!fx_finish(c, &f))
        return X86_FAULT;
    memcpy(c->xmm[d->reg], &r, 16);
    return x86_retire(c, d);
}

/* NP/F3 0F 52 RSQRTPS/SS, 53 RCPPS/SS. Hardware gives approximations (relative error at
 * most 1.5 * 2^-12) whose exact bits are Intel's; hvsim, like QEMU, returns the correctly
 * rounded 1/sqrt(x) (as 1 / rounded sqrt) and 1/x. No MXCSR flag changes (SDM: none). */
int x86_op_sse_rcp(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    bool scalar = mp(d) == 0xf3;
    Xmm a, b;
    if (!read_src(c, d, scalar ? 4 : 16, &b))
        return X86_FAULT;
    memcpy(&a, c->xmm[d->reg], 16);
    Fx f;
    fx_init(c, &f);
    for (unsigned i = 0; i < (scalar ? 1u : 4u); i++) {
        uint64_t x = b.d[i];
        if (d->opcode == 0x52)
            x = arith(&f, OP_SQRT, FPU_S, 0, x);
        a.d[i] = (uint32_t)arith(&f, OP_DIV, FPU_S, 0x3f800000u, x);
    }
    memcpy(c->xmm[d->reg], &a, 16);
    return x86_retire(c, d);
}

/* ---- conversions with an MMX operand ---- */

/* NP 0F 2A CVTPI2PS xmm, mm/m64 (two int32 to the low two floats, by MXCSR.RC);
 * 66 0F 2A CVTPI2PD xmm, mm/m64 (to two doubles, exact). An MMX source register makes the
 * x87-to-MMX transition; a memory source does not. */
int x86_op_sse_cvtpi2p(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    uint64_t v;
    if (d->mod == 3) {
        int r = mmx_enter(c);
        if (r != X86_OK)
            return r;
        v = mmx_get(c, d->rm);
    } else if (!x86_read(c, d->seg, x86_ea(c, d), 8, &v)) {
        return X86_FAULT;
    }
    Xmm a;
    memcpy(&a, c->xmm[d->reg], 16);
    Fx f;
    fx_init(c, &f);
    int fmt = mp(d) == 0x66 ? FPU_D : FPU_S;
    for (unsigned i = 0; i < 2; i++)
        set_elem(&a, fmt, i, from_int(&f, fmt, (uint64_t)(int64_t)(int32_t)(v >> (32 * i)), 64));
    if (!fx_finish(c, &f))
        return X86_FAULT;
    if (d->mod == 3)
        mmx_touch(c);
    memcpy(c->xmm[d->reg], &a, 16);
    return x86_retire(c, d);
}

/* NP 0F 2C CVTTPS2PI / 2D CVTPS2PI mm, xmm/m64; 66 0F 2C CVTTPD2PI / 2D CVTPD2PI mm,
 * xmm/m128: two int32 (the integer indefinite where out of range) */
int x86_op_sse_cvtp2pi(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    int r0 = mmx_enter(c);
    if (r0 != X86_OK)
        return r0;
    int fmt = mp(d) == 0x66 ? FPU_D : FPU_S;
    Xmm b;
    if (!read_src(c, d, fmt == FPU_D ? 16 : 8, &b))
        return X86_FAULT;
    Fx f;
    fx_init(c, &f);
    uint64_t r = 0;
    for (unsigned i = 0; i < 2; i++)
        r |= (to_int(&f, fmt, elem(&b, fmt, i), 32, d->opcode == 0x2c) & 0xffffffffu) << (32 * i);
    if (!fx_finish(c, &f))
        return X86_FAULT;
    mmx_touch(c);
    mmx_set(c, d->reg, r);
    return x86_retire(c, d);
}
