/* x87 extended-precision arithmetic in software (SDM vol. 1 ch. 4 and 8): the 80-bit format
 * with its explicit integer bit, precision control (24, 53 or 64 bits), the four rounding
 * modes, denormals, the x87 NaN rules, and the exception flags in FSW's terms. Used by the
 * x87 handlers (exec_x87.c). */
#ifndef HVSIM_CPU_X86_64_FPX80_H
#define HVSIM_CPU_X86_64_FPX80_H
#include <stdbool.h>
#include <stdint.h>

typedef struct F80 {
    uint64_t m;               /* significand, bit 63 the integer bit */
    uint16_t se;              /* sign (bit 15) and biased exponent */
} F80;

/* FSW exception flags (and C1, which rounding sets when it rounded up) */
#define FX_IE 0x01u
#define FX_DE 0x02u
#define FX_ZE 0x04u
#define FX_OE 0x08u
#define FX_UE 0x10u
#define FX_PE 0x20u
#define FX_SF 0x40u
#define FX_C1 0x200u

/* The environment of one operation: FCW (precision, rounding, masks) and the flags raised. */
typedef struct FxEnv {
    uint16_t fcw;
    uint16_t flags;           /* FX_* raised by the operation */
} FxEnv;

enum { FX_RN, FX_RD, FX_RU, FX_RZ };   /* FCW.RC */

static inline bool f80_sign(F80 a) { return a.se >> 15; }
static inline unsigned f80_exp(F80 a) { return a.se & 0x7fff; }
bool f80_is_nan(F80 a);
bool f80_is_snan(F80 a);
bool f80_is_inf(F80 a);
bool f80_is_zero(F80 a);
bool f80_is_denormal(F80 a);        /* exponent 0, significand not 0 (pseudo-denormals too) */
bool f80_is_unsupported(F80 a);     /* unnormal, pseudo-NaN, pseudo-infinity */
F80 f80_indefinite(void);           /* the real indefinite: -QNaN 0xFFFF C000000000000000 */
F80 f80_zero(bool sign);
F80 f80_inf(bool sign);

/* Arithmetic with precision control and rounding from e->fcw; NaN operands, invalid
 * operations, denormal operands and the masked responses all handled (an unmasked invalid,
 * denormal or divide-by-zero exception leaves *ok false: nothing to write). */
F80 f80_add(FxEnv *e, F80 a, F80 b, bool *ok);
F80 f80_sub(FxEnv *e, F80 a, F80 b, bool *ok);
F80 f80_mul(FxEnv *e, F80 a, F80 b, bool *ok);
F80 f80_div(FxEnv *e, F80 a, F80 b, bool *ok);
F80 f80_sqrt(FxEnv *e, F80 a, bool *ok);
F80 f80_round_int(FxEnv *e, F80 a, bool *ok);           /* FRNDINT */
F80 f80_scale(FxEnv *e, F80 a, F80 b, bool *ok);         /* FSCALE: a * 2^trunc(b) */
/* FPREM (round_nearest false) / FPREM1: the partial remainder and the quotient's low
 * bits (q: bit 0 Q0, 1 Q1, 2 Q2); *partial set when the reduction is not complete. */
F80 f80_rem(FxEnv *e, F80 a, F80 b, bool round_nearest, unsigned *q, bool *partial, bool *ok);

/* Comparison: -1 less, 0 equal, 1 greater, 2 unordered; signal_qnan: Invalid for QNaNs
 * too (FCOM, FCOMI) rather than SNaNs only (FUCOM). */
int f80_compare(FxEnv *e, F80 a, F80 b, bool signal_qnan);

/* Conversions. */
F80 f80_from_f32(FxEnv *e, uint32_t v);
F80 f80_from_f64(FxEnv *e, uint64_t v);
F80 f80_from_int(int64_t v);
/* To a 32/64-bit format (bits 32 or 64), rounded by FCW.RC (no precision control); *ok as
 * for arithmetic. */
uint64_t f80_to_float(FxEnv *e, F80 a, unsigned bits, bool *ok);
/* To a signed integer of size bytes (2, 4, 8): by FCW.RC, or truncating; out of range or
 * NaN: Invalid, the integer indefinite when masked (*ok false when not). */
int64_t f80_to_int(FxEnv *e, F80 a, unsigned size, bool truncate, bool *ok);
/* Double conversions for the transcendental functions (computed in double precision). */
double f80_to_double(F80 a);
F80 f80_from_double(FxEnv *e, double d);
#endif
