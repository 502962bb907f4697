/* IEEE 754 arithmetic with the Arm rules (Arm ARM "Floating-point support" and the
 * shared/functions/float pseudocode): FPCR.RMode, FZ, DN and AHP, the Arm NaN propagation
 * (FPProcessNaNs/3), tininess detected before rounding, cumulative exception flags in FPSR.
 *
 * Operands and results are raw bit patterns in uint64_t; `fmt` says which format
 * (FPU_H, FPU_S, FPU_D: log2 of the size in bytes). Every operation takes an FpuEnv: the
 * FPCR the instruction sees, the rounding mode FPRound uses (FPCR.RMode, or an explicit one
 * for FCVT*, FRINT* and FCVTXN) and the FPSR, whose cumulative bits the operation sets.
 *
 * The arithmetic is a software implementation (Debian packages no softfloat library: only
 * MPFR, which has no FZ, no Arm NaN rules and no flags per operation). Single and double
 * FADD/FSUB/FMUL/FDIV/FSQRT have an inline fast path on the host FPU for the common case,
 * round to nearest with normal operands and a normal result, where IEEE and Arm agree on
 * everything but the inexact flag (read from the host when FPSR.IXC is still clear). The
 * host's own rounding mode is never changed: it stays round-to-nearest with no flush modes
 * (hvsim sets no other), which the fast path relies on.
 *
 * Half precision appears only in conversions (FCVT, FCVTN/FCVTL): no model advertises
 * FEAT_FP16 (ID_AA64PFR0_EL1.FP = 0), so FZ16 never applies and half-precision inputs and
 * outputs are never flushed. FEAT_AFP (FPCR.AH, FIZ, NEP) is not implemented. */
#ifndef HVSIM_CPU_ARM64_FPU_H
#define HVSIM_CPU_ARM64_FPU_H
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif

enum { FPU_H = 1, FPU_S = 2, FPU_D = 3 };

/* Rounding modes: 0..3 are FPCR.RMode's encodings (FPDecodeRounding). */
enum { FPU_RN = 0, FPU_RP = 1, FPU_RM = 2, FPU_RZ = 3, FPU_RA = 4 /* ties away */,
       FPU_RODD = 5 /* von Neumann rounding, FCVTXN */ };

/* FPCR fields and FPSR cumulative flags (Arm ARM, the FPCR and FPSR register pages). */
#define FPCR_AHP (1u << 26)
#define FPCR_DN (1u << 25)
#define FPCR_FZ (1u << 24)
#define FPCR_RMODE_SHIFT 22
#define FPSR_IOC (1u << 0)
#define FPSR_DZC (1u << 1)
#define FPSR_OFC (1u << 2)
#define FPSR_UFC (1u << 3)
#define FPSR_IXC (1u << 4)
#define FPSR_IDC (1u << 7)

typedef struct FpuEnv {
    uint32_t fpcr;
    uint32_t rmode;     /* rounding for FPRound: FPU_RN.. */
    uint64_t fpsr;      /* FPSR; operations OR their exceptions into it */
} FpuEnv;

static inline FpuEnv fpu_env(uint64_t fpcr, uint64_t fpsr)
{
    return (FpuEnv){ (uint32_t)fpcr, (uint32_t)(fpcr >> FPCR_RMODE_SHIFT) & 3, fpsr };
}

/* Constants (FPDefaultNaN, FPInfinity, FPZero, FPMaxNormal, FPTwo...). */
uint64_t fpu_default_nan(int fmt);
uint64_t fpu_sign_bit(int fmt);

/* Arithmetic (FPAdd, FPSub, FPMul, FPMulX, FPDiv, FPSqrt, FPMax, FPMin, FPMaxNum, FPMinNum). */
uint64_t fpu_add(FpuEnv *e, int fmt, uint64_t a, uint64_t b);
uint64_t fpu_sub(FpuEnv *e, int fmt, uint64_t a, uint64_t b);
uint64_t fpu_mul(FpuEnv *e, int fmt, uint64_t a, uint64_t b);
uint64_t fpu_mulx(FpuEnv *e, int fmt, uint64_t a, uint64_t b);
uint64_t fpu_div(FpuEnv *e, int fmt, uint64_t a, uint64_t b);
uint64_t fpu_sqrt(FpuEnv *e, int fmt, uint64_t a);
uint64_t fpu_max(FpuEnv *e, int fmt, uint64_t a, uint64_t b);
uint64_t fpu_min(FpuEnv *e, int fmt, uint64_t a, uint64_t b);
uint64_t fpu_maxnum(FpuEnv *e, int fmt, uint64_t a, uint64_t b);
uint64_t fpu_minnum(FpuEnv *e, int fmt, uint64_t a, uint64_t b);
/* FPMulAdd(addend, a, b): addend + a * b with one rounding; negations are the caller's
 * (FMSUB passes FPNeg(a): a NaN operand keeps the flipped sign, as in the pseudocode). */
uint64_t fpu_muladd(FpuEnv *e, int fmt, uint64_t addend, uint64_t a, uint64_t b);
/* FPRecipStepFused (2 - a*b) and FPRSqrtStepFused ((3 - a*b) / 2), fused. */
uint64_t fpu_recip_step(FpuEnv *e, int fmt, uint64_t a, uint64_t b);
uint64_t fpu_rsqrt_step(FpuEnv *e, int fmt, uint64_t a, uint64_t b);
/* FPRecipEstimate, FPRSqrtEstimate (8-bit estimates of the pseudocode's tables), FPRecpX. */
uint64_t fpu_recip_estimate(FpuEnv *e, int fmt, uint64_t a);
uint64_t fpu_rsqrt_estimate(FpuEnv *e, int fmt, uint64_t a);
uint64_t fpu_recpx(FpuEnv *e, int fmt, uint64_t a);
/* UnsignedRecipEstimate, UnsignedRSqrtEstimate (URECPE, URSQRTE) on 32-bit elements. */
uint32_t fpu_urecpe(uint32_t a);
uint32_t fpu_ursqrte(uint32_t a);

/* FPCompare: NZCV (bits 3..0); signal_all = FCMPE (every NaN is Invalid Operation). */
unsigned fpu_compare(FpuEnv *e, int fmt, uint64_t a, uint64_t b, bool signal_all);
/* FPCompareEQ / GE / GT of the vector compares. */
bool fpu_compare_eq(FpuEnv *e, int fmt, uint64_t a, uint64_t b);
bool fpu_compare_ge(FpuEnv *e, int fmt, uint64_t a, uint64_t b);
bool fpu_compare_gt(FpuEnv *e, int fmt, uint64_t a, uint64_t b);

/* FPRoundInt(a, rounding, exact): FRINT*; exact = FRINTX (inexact results raise IXC). */
uint64_t fpu_round_int(FpuEnv *e, int fmt, uint64_t a, int rounding, bool exact);
/* FPConvert between formats (FCVT, FCVTN, FCVTL; rounding FPU_RODD for FCVTXN). */
uint64_t fpu_convert(FpuEnv *e, int from, int to, uint64_t a, int rounding);
/* FPToFixed: a * 2^fbits to a `bits`-wide (32/64) signed or unsigned integer, saturating. */
uint64_t fpu_to_fixed(FpuEnv *e, int fmt, uint64_t a, int fbits, bool is_unsigned, int rounding,
                      int bits);
/* FixedToFP: the `bits`-wide (32/64) integer v / 2^fbits, rounded by e->rmode. */
uint64_t fpu_from_fixed(FpuEnv *e, int fmt, uint64_t v, int fbits, bool is_unsigned, int bits);

/* ---- the inline fast paths --------------------------------------------------------------- */
/* Host operation on doubles/floats that reports whether the result was inexact: the flag
 * comes from MXCSR.PE, cleared just before. Other hosts have no fast path (everything goes to
 * the software implementation). */
#if defined(__x86_64__)
#define FPU_HOST_OP(insn, r, a, b, inexact)                                                  \
    do {                                                                                     \
        uint32_t csr_;                                                                       \
        __asm__ volatile("stmxcsr %[m]\n\tandl $-33, %[m]\n\tldmxcsr %[m]\n\t" insn          \
                         " %[y], %[x]\n\tstmxcsr %[m]"                                       \
                         : [x] "+x"(r), [m] "=m"(csr_) : [y] "x"(b));                         \
        (inexact) = (csr_ & 0x20) != 0;                                                      \
        (void)(a);                                                                           \
    } while (0)
#else
#define FPU_NO_FAST_PATH 1
#endif

static inline double fpu_f64(uint64_t x) { double d; memcpy(&d, &x, 8); return d; }
static inline uint64_t fpu_b64(double d) { uint64_t x; memcpy(&x, &d, 8); return x; }
static inline float fpu_f32(uint32_t x) { float f; memcpy(&f, &x, 4); return f; }
static inline uint32_t fpu_b32(float f) { uint32_t x; memcpy(&x, &f, 4); return x; }
/* Biased exponent 1..max-1: a normal number. */
static inline bool fpu_normal64(uint64_t x) { return ((x >> 52) & 0x7ff) - 1 < 0x7fe; }
static inline bool fpu_normal32(uint32_t x) { return ((x >> 23) & 0xff) - 1 < 0xfe; }
/* A result the fast path may keep: normal and above the smallest binade, so it cannot have
 * been tiny before rounding (a result that rounded up to the smallest normal was: Arm flushes
 * it under FZ and raises Underflow, IEEE's after-rounding tininess does neither). */
static inline bool fpu_fast_ok64(uint64_t x) { return ((x >> 52) & 0x7ff) - 2 < 0x7fd; }
static inline bool fpu_fast_ok32(uint32_t x) { return ((x >> 23) & 0xff) - 2 < 0xfd; }

/* Fast path for round to nearest, normal operands and a normal result: there IEEE and the
 * Arm ARM agree bit for bit, and the only exception possible is Inexact. Anything else
 * (another rounding mode, zeros, subnormals, infinities, NaNs, a result that overflows,
 * lands in the smallest binade or cancels to zero) is recomputed by the software path. */
#ifndef FPU_NO_FAST_PATH
#define FPU_FAST2(NAME, insn, OP)                                                            \
    static inline uint64_t fpu_##NAME##64(FpuEnv *e, uint64_t a, uint64_t b)                  \
    {                                                                                        \
        if (likely(e->rmode == FPU_RN && fpu_normal64(a) && fpu_normal64(b))) {              \
            double r = fpu_f64(a), y = fpu_f64(b);                                           \
            bool ix = false;                                                                 \
            if (e->fpsr & FPSR_IXC)                                                          \
                r = r OP y;                                                                  \
            else                                                                             \
                FPU_HOST_OP(insn "sd", r, a, y, ix);                                         \
            uint64_t rb = fpu_b64(r);                                                        \
            if (likely(fpu_fast_ok64(rb))) {                                                  \
                e->fpsr |= ix ? FPSR_IXC : 0;                                                \
                return rb;                                                                   \
            }                                                                                \
        }                                                                                    \
        return fpu_##NAME(e, FPU_D, a, b);                                                   \
    }                                                                                        \
    static inline uint32_t fpu_##NAME##32(FpuEnv *e, uint32_t a, uint32_t b)                  \
    {                                                                                        \
        if (likely(e->rmode == FPU_RN && fpu_normal32(a) && fpu_normal32(b))) {              \
            float r = fpu_f32(a), y = fpu_f32(b);                                            \
            bool ix = false;                                                                 \
            if (e->fpsr & FPSR_IXC)                                                          \
                r = r OP y;                                                                  \
            else                                                                             \
                FPU_HOST_OP(insn "ss", r, a, y, ix);                                         \
            uint32_t rb = fpu_b32(r);                                                        \
            if (likely(fpu_fast_ok32(rb))) {                                                  \
                e->fpsr |= ix ? FPSR_IXC : 0;                                                \
                return rb;                                                                   \
            }                                                                                \
        }                                                                                    \
        return (uint32_t)fpu_##NAME(e, FPU_S, a, b);                                         \
    }
#else
#define FPU_FAST2(NAME, insn, OP)                                                            \
    static inline uint64_t fpu_##NAME##64(FpuEnv *e, uint64_t a, uint64_t b)                  \
    { return fpu_##NAME(e, FPU_D, a, b); }                                                   \
    static inline uint32_t fpu_##NAME##32(FpuEnv *e, uint32_t a, uint32_t b)                  \
    { return (uint32_t)fpu_##NAME(e, FPU_S, a, b); }
#endif
FPU_FAST2(add, "add", +)
FPU_FAST2(sub, "sub", -)
FPU_FAST2(mul, "mul", *)
FPU_FAST2(div, "div", /)

/* Square root: a positive normal operand has a normal root far from both ends of the
 * range, so round to nearest needs only the inexact flag from the host. */
#ifndef FPU_NO_FAST_PATH
#define FPU_FAST_SQRT(BITS, T, insn, normal, tof, tob)                                        \
    static inline uint##BITS##_t fpu_sqrt##BITS(FpuEnv *e, uint##BITS##_t a)                 \
    {                                                                                        \
        if (likely(e->rmode == FPU_RN && normal(a) && !(a >> (BITS - 1)))) {                 \
            T r = 0, x = tof(a);                                                             \
            bool ix = false;                                                                 \
            if (e->fpsr & FPSR_IXC)                                                          \
                __asm__(insn " %[y], %[x]" : [x] "+x"(r) : [y] "x"(x));                      \
            else                                                                             \
                FPU_HOST_OP(insn, r, a, x, ix);                                              \
            e->fpsr |= ix ? FPSR_IXC : 0;                                                    \
            return tob(r);                                                                   \
        }                                                                                    \
        return (uint##BITS##_t)fpu_sqrt(e, BITS == 64 ? FPU_D : FPU_S, a);                   \
    }
FPU_FAST_SQRT(64, double, "sqrtsd", fpu_normal64, fpu_f64, fpu_b64)
FPU_FAST_SQRT(32, float, "sqrtss", fpu_normal32, fpu_f32, fpu_b32)

/* Fused multiply-add on a host with FMA3 (checked once per call through libgcc's CPU model):
 * normal operands and a result outside the smallest binade, as for the other fast paths. */
#define FPU_HOST_FMA(insn, acc, x, y, inexact)                                               \
    do {                                                                                     \
        uint32_t csr_;                                                                       \
        __asm__ volatile("stmxcsr %[m]\n\tandl $-33, %[m]\n\tldmxcsr %[m]\n\t" insn          \
                         " %[y], %[x], %[c]\n\tstmxcsr %[m]"                                 \
                         : [c] "+x"(acc), [m] "=m"(csr_) : [x] "x"(x), [y] "x"(y));           \
        (inexact) = (csr_ & 0x20) != 0;                                                      \
    } while (0)
#define FPU_FAST_FMA(BITS, T, insn, normal, ok, tof, tob)                                     \
    static inline uint##BITS##_t fpu_muladd##BITS(FpuEnv *e, uint##BITS##_t c,               \
                                                  uint##BITS##_t a, uint##BITS##_t b)        \
    {                                                                                        \
        if (likely(e->rmode == FPU_RN && normal(a) && normal(b) && normal(c)) &&             \
            __builtin_cpu_supports("fma")) {                                                 \
            T r = tof(c), x = tof(a), y = tof(b);                                            \
            bool ix = false;                                                                 \
            if (e->fpsr & FPSR_IXC)                                                          \
                __asm__(insn " %[y], %[x], %[c]" : [c] "+x"(r) : [x] "x"(x), [y] "x"(y));   \
            else                                                                             \
                FPU_HOST_FMA(insn, r, x, y, ix);                                             \
            if (likely(ok(tob(r)))) {                                                        \
                e->fpsr |= ix ? FPSR_IXC : 0;                                                \
                return tob(r);                                                               \
            }                                                                                \
        }                                                                                    \
        return (uint##BITS##_t)fpu_muladd(e, BITS == 64 ? FPU_D : FPU_S, c, a, b);           \
    }
FPU_FAST_FMA(64, double, "vfmadd231sd", fpu_normal64, fpu_fast_ok64, fpu_f64, fpu_b64)
FPU_FAST_FMA(32, float, "vfmadd231ss", fpu_normal32, fpu_fast_ok32, fpu_f32, fpu_b32)
#else
static inline uint64_t fpu_sqrt64(FpuEnv *e, uint64_t a) { return fpu_sqrt(e, FPU_D, a); }
static inline uint32_t fpu_sqrt32(FpuEnv *e, uint32_t a) { return (uint32_t)fpu_sqrt(e, FPU_S, a); }
static inline uint64_t fpu_muladd64(FpuEnv *e, uint64_t c, uint64_t a, uint64_t b)
{
    return fpu_muladd(e, FPU_D, c, a, b);
}
static inline uint32_t fpu_muladd32(FpuEnv *e, uint32_t c, uint32_t a, uint32_t b)
{
    return (uint32_t)fpu_muladd(e, FPU_S, c, a, b);
}
#endif

/* Per-format dispatch for the executors, which handle single and double alike. */
static inline uint64_t fpu_add_f(FpuEnv *e, int fmt, uint64_t a, uint64_t b)
{
    return fmt == FPU_D ? fpu_add64(e, a, b) : fpu_add32(e, (uint32_t)a, (uint32_t)b);
}
static inline uint64_t fpu_sub_f(FpuEnv *e, int fmt, uint64_t a, uint64_t b)
{
    return fmt == FPU_D ? fpu_sub64(e, a, b) : fpu_sub32(e, (uint32_t)a, (uint32_t)b);
}
static inline uint64_t fpu_mul_f(FpuEnv *e, int fmt, uint64_t a, uint64_t b)
{
    return fmt == FPU_D ? fpu_mul64(e, a, b) : fpu_mul32(e, (uint32_t)a, (uint32_t)b);
}
static inline uint64_t fpu_div_f(FpuEnv *e, int fmt, uint64_t a, uint64_t b)
{
    return fmt == FPU_D ? fpu_div64(e, a, b) : fpu_div32(e, (uint32_t)a, (uint32_t)b);
}
static inline uint64_t fpu_sqrt_f(FpuEnv *e, int fmt, uint64_t a)
{
    return fmt == FPU_D ? fpu_sqrt64(e, a) : fpu_sqrt32(e, (uint32_t)a);
}
static inline uint64_t fpu_muladd_f(FpuEnv *e, int fmt, uint64_t c, uint64_t a, uint64_t b)
{
    return fmt == FPU_D ? fpu_muladd64(e, c, a, b)
                        : fpu_muladd32(e, (uint32_t)c, (uint32_t)a, (uint32_t)b);
}
#endif
