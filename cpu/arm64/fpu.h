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
static inline uint64_t fpu_sign_bit(int fmt) { return 1ULL << ((8 << fmt) - 1); }

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
/* Biased exponent 1..max-1: a normal number; or a zero. */
static inline bool fpu_normal64(uint64_t x) { return ((x >> 52) & 0x7ff) - 1 < 0x7fe; }
static inline bool fpu_normal32(uint32_t x) { return ((x >> 23) & 0xff) - 1 < 0xfe; }
static inline bool fpu_zero64(uint64_t x) { return (x << 1) == 0; }
static inline bool fpu_zero32(uint32_t x) { return (uint32_t)(x << 1) == 0; }
static inline bool fpu_nz64(uint64_t x) { return fpu_normal64(x) || fpu_zero64(x); }
static inline bool fpu_nz32(uint32_t x) { return fpu_normal32(x) || fpu_zero32(x); }
/* A result the fast path may keep: normal and above the smallest binade, so it cannot have
 * been tiny before rounding (a result that rounded up to the smallest normal was: Arm flushes
 * it under FZ and raises Underflow, IEEE's after-rounding tininess does neither). */
static inline bool fpu_fast_ok64(uint64_t x) { return ((x >> 52) & 0x7ff) - 2 < 0x7fd; }
static inline bool fpu_fast_ok32(uint32_t x) { return ((x >> 23) & 0xff) - 2 < 0xfd; }

/* Fast path for round to nearest with normal or zero operands: where the result is normal
 * above the smallest binade, or a zero that is exact (ZOK: a sum that cancels; a product or
 * quotient with a zero operand), IEEE and the Arm ARM agree bit for bit (signs of zeros
 * included) and the only exception possible is Inexact. Anything else (another rounding
 * mode, subnormals, infinities, NaNs, a result that overflows, underflows or lands in the
 * smallest binade) is recomputed by the software path. */
#ifndef FPU_NO_FAST_PATH
#define FPU_FAST2_W(NAME, W, T, sfx, insn, OP, ZOK)                                          \
    static inline uint##W##_t fpu_##NAME##W(FpuEnv *e, uint##W##_t a, uint##W##_t b)          \
    {                                                                                        \
        if (likely(e->rmode == FPU_RN && fpu_nz##W(a) && fpu_nz##W(b))) {                    \
            T r = fpu_f##W(a), y = fpu_f##W(b);                                              \
            bool ix = false;                                                                 \
            if (e->fpsr & FPSR_IXC)                                                          \
                r = r OP y;                                                                  \
            else                                                                             \
                FPU_HOST_OP(insn sfx, r, a, y, ix);                                          \
            uint##W##_t rb = fpu_b##W(r);                                                    \
            if (likely(fpu_fast_ok##W(rb) || (fpu_zero##W(rb) && (ZOK)))) {                 \
                e->fpsr |= ix ? FPSR_IXC : 0;                                                \
                return rb;                                                                   \
            }                                                                                \
        }                                                                                    \
        return (uint##W##_t)fpu_##NAME(e, W == 64 ? FPU_D : FPU_S, a, b);                    \
    }
#define FPU_FAST2(NAME, insn, OP, ZOK)                                                       \
    FPU_FAST2_W(NAME, 64, double, "sd", insn, OP, ZOK)                                       \
    FPU_FAST2_W(NAME, 32, float, "ss", insn, OP, ZOK)
#else
#define FPU_FAST2(NAME, insn, OP, ZOK)                                                       \
    static inline uint64_t fpu_##NAME##64(FpuEnv *e, uint64_t a, uint64_t b)                  \
    { return fpu_##NAME(e, FPU_D, a, b); }                                                   \
    static inline uint32_t fpu_##NAME##32(FpuEnv *e, uint32_t a, uint32_t b)                  \
    { return (uint32_t)fpu_##NAME(e, FPU_S, a, b); }
#endif
/* A zero sum of two normal or zero values is exact (a nonzero exact sum is at least the
 * smallest subnormal); a zero product or quotient of nonzero operands underflowed. */
FPU_FAST2(add, "add", +, true)
FPU_FAST2(sub, "sub", -, true)
FPU_FAST2(mul, "mul", *, (a << 1) == 0 || (b << 1) == 0)
FPU_FAST2(div, "div", /, (a << 1) == 0)

/* Square root: a positive normal operand has a normal root far from both ends of the
 * range, and the root of a zero is that zero, so round to nearest needs only the inexact
 * flag from the host. */
#ifndef FPU_NO_FAST_PATH
#define FPU_FAST_SQRT(W, T, insn)                                                             \
    static inline uint##W##_t fpu_sqrt##W(FpuEnv *e, uint##W##_t a)                          \
    {                                                                                        \
        if (likely(e->rmode == FPU_RN &&                                                     \
                   ((fpu_normal##W(a) && !(a >> (W - 1))) || fpu_zero##W(a)))) {             \
            T r = 0, x = fpu_f##W(a);                                                        \
            bool ix = false;                                                                 \
            if (e->fpsr & FPSR_IXC)                                                          \
                __asm__(insn " %[y], %[x]" : [x] "+x"(r) : [y] "x"(x));                      \
            else                                                                             \
                FPU_HOST_OP(insn, r, a, x, ix);                                              \
            e->fpsr |= ix ? FPSR_IXC : 0;                                                    \
            return fpu_b##W(r);                                                              \
        }                                                                                    \
        return (uint##W##_t)fpu_sqrt(e, W == 64 ? FPU_D : FPU_S, a);                         \
    }
FPU_FAST_SQRT(64, double, "sqrtsd")
FPU_FAST_SQRT(32, float, "sqrtss")

/* Fused multiply-add on a host with FMA3 (checked per call through libgcc's CPU model):
 * normal or zero operands; a zero result is kept only when the addend and the product are
 * zeros (exact), as a cancelling or underflowing one needs the software path. */
#define FPU_HOST_FMA(insn, acc, x, y, inexact)                                               \
    do {                                                                                     \
        uint32_t csr_;                                                                       \
        __asm__ volatile("stmxcsr %[m]\n\tandl $-33, %[m]\n\tldmxcsr %[m]\n\t" insn          \
                         " %[y], %[x], %[c]\n\tstmxcsr %[m]"                                 \
                         : [c] "+x"(acc), [m] "=m"(csr_) : [x] "x"(x), [y] "x"(y));           \
        (inexact) = (csr_ & 0x20) != 0;                                                      \
    } while (0)
#define FPU_FAST_FMA(W, T, insn)                                                              \
    static inline uint##W##_t fpu_muladd##W(FpuEnv *e, uint##W##_t c, uint##W##_t a,          \
                                            uint##W##_t b)                                   \
    {                                                                                        \
        if (likely(e->rmode == FPU_RN && fpu_nz##W(a) && fpu_nz##W(b) && fpu_nz##W(c)) &&    \
            __builtin_cpu_supports("fma")) {                                                 \
            T r = fpu_f##W(c), x = fpu_f##W(a), y = fpu_f##W(b);                             \
            bool ix = false;                                                                 \
            if (e->fpsr & FPSR_IXC)                                                          \
                __asm__(insn " %[y], %[x], %[c]" : [c] "+x"(r) : [x] "x"(x), [y] "x"(y));   \
            else                                                                             \
                FPU_HOST_FMA(insn, r, x, y, ix);                                             \
            uint##W##_t rb = fpu_b##W(r);                                                    \
            if (likely(fpu_fast_ok##W(rb) ||                                                 \
                       (fpu_zero##W(rb) && fpu_zero##W(c) &&                                 \
                        (fpu_zero##W(a) || fpu_zero##W(b))))) {                              \
                e->fpsr |= ix ? FPSR_IXC : 0;                                                \
                return rb;                                                                   \
            }                                                                                \
        }                                                                                    \
        return (uint##W##_t)fpu_muladd(e, W == 64 ? FPU_D : FPU_S, c, a, b);                 \
    }
FPU_FAST_FMA(64, double, "vfmadd231sd")
FPU_FAST_FMA(32, float, "vfmadd231ss")
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
