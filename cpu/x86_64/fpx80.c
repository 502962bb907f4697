/* x87 extended-precision arithmetic in software (fpx80.h). Values are unpacked to a sign, an
 * unbiased exponent and a normalised 64-bit significand (value = m * 2^(exp-63)); results
 * carry 64 more bits below the significand plus a sticky bit into one rounding step, which
 * applies precision control, FCW.RC, the denormal range (tininess before rounding, as QEMU
 * models the x87) and overflow, and reports PE, UE, OE and C1 (rounded up). Unmasked
 * underflow and overflow deliver the result with the exponent biased by 24576 (SDM vol. 1
 * §8.5.4-5). */
#include <math.h>
#include <string.h>
#include "cpu/x86_64/fpx80.h"

#define BIAS 16383
#define QUIET (1ull << 62)
#define JBIT (1ull << 63)
typedef unsigned __int128 u128;

enum { C_ZERO, C_NORMAL, C_INF, C_NAN, C_BAD };

typedef struct Unp {
    int cls;
    bool sign;
    int32_t exp;              /* unbiased, for C_NORMAL (denormals are normalised) */
    uint64_t m;
    bool denormal;            /* the operand was a denormal (DE) */
} Unp;

bool f80_is_nan(F80 a) { return f80_exp(a) == 0x7fff && (a.m & JBIT) && (a.m << 1); }
bool f80_is_snan(F80 a) { return f80_is_nan(a) && !(a.m & QUIET); }
bool f80_is_inf(F80 a) { return f80_exp(a) == 0x7fff && a.m == JBIT; }
bool f80_is_zero(F80 a) { return f80_exp(a) == 0 && a.m == 0; }
bool f80_is_denormal(F80 a) { return f80_exp(a) == 0 && a.m != 0; }
bool f80_is_unsupported(F80 a) { return f80_exp(a) != 0 && !(a.m & JBIT); }
F80 f80_indefinite(void) { return (F80){ 0xc000000000000000ull, 0xffff }; }
F80 f80_zero(bool sign) { return (F80){ 0, (uint16_t)(sign ? 0x8000 : 0) }; }
F80 f80_inf(bool sign) { return (F80){ JBIT, (uint16_t)(sign ? 0xffff : 0x7fff) }; }

static Unp unpack(F80 a)
{
    Unp u = { .sign = f80_sign(a), .m = a.m };
    unsigned e = f80_exp(a);
    if (f80_is_unsupported(a)) {
        u.cls = C_BAD;
    } else if (e == 0x7fff) {
        u.cls = a.m << 1 ? C_NAN : C_INF;
    } else if (e == 0) {
        if (!a.m) {
            u.cls = C_ZERO;
        } else {                              /* denormal or pseudo-denormal */
            u.cls = C_NORMAL;
            u.denormal = true;
            int sh = __builtin_clzll(a.m);
            u.m = a.m << sh;
            u.exp = 1 - BIAS - sh;
        }
    } else {
        u.cls = C_NORMAL;
        u.exp = (int32_t)e - BIAS;
    }
    return u;
}

static bool masked(const FxEnv *e, unsigned flag) { return (e->fcw & flag) != 0; }

/* Raises flag; false if it is unmasked (the caller must not write a result). */
static bool raise(FxEnv *e, unsigned flag)
{
    e->flags |= (uint16_t)flag;
    return masked(e, flag);
}

/* Rounds sign * (hi + lo/2^64 + sticky) * 2^(exp-63) to p significand bits in a format with
 * the given bias and largest biased exponent; explicit: the integer bit is stored (x87).
 * Returns the significand field (p bits, left-aligned to 64 for explicit) in *mant and the
 * biased exponent in *bexp. Sets PE/UE/OE/C1. */
static void round_to(FxEnv *e, bool sign, int32_t exp, uint64_t hi, uint64_t lo, bool sticky,
                     unsigned p, int bias, int emax, bool for_store, uint64_t *mant,
                     int32_t *bexp, bool *ok)
{
    *ok = true;
    if (!hi && !lo) {
        if (!sticky) {
            *mant = 0;
            *bexp = 0;
            return;
        }
        /* only sticky bits: a value far below the range */
        hi = 1;
        exp -= 127;
    }
    while (!(hi & JBIT)) {                    /* normalise hi:lo */
        hi = (hi << 1) | (lo >> 63);
        lo <<= 1;
        exp--;
    }
    int32_t be = exp + bias;
    bool tiny = be <= 0, denorm = false;
    (void)tiny;
    unsigned rc = (e->fcw >> 10) & 3;
    if (tiny) {
        if (!masked(e, FX_UE) && !for_store) {
            be += 24576;                      /* unmasked underflow: bias adjust */
            e->flags |= FX_UE;
            tiny = false;
        } else {
            unsigned s = (unsigned)(1 - be);
            if (s >= 128) {
                sticky = sticky || hi || lo;
                hi = lo = 0;
            } else {
                u128 v = ((u128)hi << 64) | lo;
                u128 out = s ? v << (128 - s) : 0;
                sticky = sticky || out != 0;
                v >>= s;
                hi = (uint64_t)(v >> 64);
                lo = (uint64_t)v;
            }
            be = 0;
            denorm = true;
        }
    }
    /* drop the bits below the p kept ones (kept is 128-bit: it may carry to 2^64) */
    unsigned drop = 64 - p;
    u128 v = ((u128)hi << 64) | lo;
    unsigned d = 64 + drop;
    u128 kept = v >> d;
    u128 rem = v & (((u128)1 << d) - 1);
    u128 half = (u128)1 << (d - 1);
    bool inexact = rem != 0 || sticky;
    bool inc = false;
    switch (rc) {
    case FX_RN: inc = rem > half || (rem == half && (sticky || (kept & 1))); break;
    case FX_RU: inc = !sign && inexact; break;
    case FX_RD: inc = sign && inexact; break;
    default: break;
    }
    if (inc)
        kept++;
    if (inexact) {
        e->flags |= FX_PE;
        if (denorm)
            e->flags |= FX_UE;
    }
    if (inc)
        e->flags |= FX_C1;
    if (!denorm && (kept >> p)) {             /* carried out: 1.000 * 2 */
        kept >>= 1;
        be++;
    }
    if (denorm && (kept >> (p - 1)))
        be = 1;                               /* rounding made the smallest normal */
    if (be >= emax + 1) {                     /* overflow */
        if (!masked(e, FX_OE) && !for_store) {
            be -= 24576;
            e->flags |= FX_OE;
        } else {
            e->flags |= FX_OE | FX_PE;
            if (!masked(e, FX_OE)) {
                *ok = false;
                return;
            }
            bool to_inf = rc == FX_RN || (rc == FX_RU && !sign) || (rc == FX_RD && sign);
            if (to_inf) {
                e->flags |= FX_C1;
                *bexp = emax + 1;
                *mant = 0;
            } else {
                e->flags &= (uint16_t)~FX_C1;
                *bexp = emax;
                *mant = p == 64 ? ~0ull : ((uint64_t)1 << p) - 1;
            }
            return;
        }
    }
    if (for_store && (e->flags & (FX_UE)) && !masked(e, FX_UE))
        *ok = false;
    *bexp = be;
    *mant = (uint64_t)kept;
}

/* Packs an x87 result (precision control from FCW.PC). */
static F80 pack80(FxEnv *e, bool sign, int32_t exp, uint64_t hi, uint64_t lo, bool sticky,
                  bool pc, bool *ok)
{
    static const unsigned prec[4] = { 24, 64, 53, 64 };
    unsigned p = pc ? prec[(e->fcw >> 8) & 3] : 64;
    uint64_t mant;
    int32_t be;
    round_to(e, sign, exp, hi, lo, sticky, p, BIAS, 0x7ffe, false, &mant, &be, ok);
    if (be == 0x7fff)
        return f80_inf(sign);
    F80 r = { mant << (64 - p), (uint16_t)((sign ? 0x8000 : 0) | (be & 0x7fff)) };
    if (be == 0 && (r.m & JBIT))
        r.se |= 1;
    return r;
}

/* The x87 NaN result of a two-operand operation (SDM table 4-7, x87 column). */
static F80 nan_of(FxEnv *e, F80 a, F80 b, bool *ok)
{
    bool an = f80_is_nan(a), bn = f80_is_nan(b);
    if (f80_is_snan(a) || f80_is_snan(b))
        *ok = raise(e, FX_IE);
    F80 r;
    if (an && bn) {
        uint64_t am = a.m | QUIET, bm = b.m | QUIET;
        if (f80_is_snan(a) != f80_is_snan(b))
            r = f80_is_snan(a) ? b : a;       /* SNaN and QNaN: the QNaN */
        else if (am != bm)
            r = am > bm ? a : b;              /* the larger significand */
        else
            r = f80_sign(a) ? b : a;
    } else {
        r = an ? a : b;
    }
    r.m |= QUIET;
    return r;
}

static F80 invalid(FxEnv *e, bool *ok)
{
    *ok = raise(e, FX_IE);
    return f80_indefinite();
}

/* Common operand screening: unsupported formats and NaNs (returns true with *r set), and
 * DE for denormal operands (an unmasked DE stops the operation). */
static bool screen2(FxEnv *e, F80 a, F80 b, const Unp *ua, const Unp *ub, F80 *r, bool *ok)
{
    *ok = true;
    if (ua->cls == C_BAD || ub->cls == C_BAD) {
        *r = invalid(e, ok);
        return true;
    }
    if (ua->cls == C_NAN || ub->cls == C_NAN) {
        *r = nan_of(e, a, b, ok);
        return true;
    }
    if ((ua->denormal || ub->denormal) && !raise(e, FX_DE)) {
        *ok = false;
        *r = a;
        return true;
    }
    return false;
}

static F80 addsub(FxEnv *e, F80 a, F80 b, bool sub, bool *ok)
{
    Unp ua = unpack(a), ub = unpack(b);
    F80 r;
    if (screen2(e, a, b, &ua, &ub, &r, ok))
        return r;
    bool sb = ub.sign ^ sub;
    unsigned rc = (e->fcw >> 10) & 3;
    if (ua.cls == C_INF || ub.cls == C_INF) {
        if (ua.cls == C_INF && ub.cls == C_INF && ua.sign != sb)
            return invalid(e, ok);
        return f80_inf(ua.cls == C_INF ? ua.sign : sb);
    }
    if (ua.cls == C_ZERO && ub.cls == C_ZERO)
        return f80_zero(ua.sign == sb ? ua.sign : rc == FX_RD);
    if (ua.cls == C_ZERO)
        return pack80(e, sb, ub.exp, ub.m, 0, false, true, ok);
    if (ub.cls == C_ZERO)
        return pack80(e, ua.sign, ua.exp, ua.m, 0, false, true, ok);
    /* align: x the larger magnitude */
    bool xs = ua.sign, ys = sb;
    int32_t xe = ua.exp, ye = ub.exp;
    uint64_t xm = ua.m, ym = ub.m;
    if (ye > xe || (ye == xe && ym > xm)) {
        bool ts = xs; xs = ys; ys = ts;
        int32_t te = xe; xe = ye; ye = te;
        uint64_t tm = xm; xm = ym; ym = tm;
    }
    /* 128-bit fixed point: value = v * 2^(xe - 63 - 64), one guard bit above for the carry */
    u128 x = (u128)xm << 63, y;
    bool sticky = false;
    unsigned sh = (unsigned)(xe - ye);
    if (sh >= 127) {
        y = 0;
        sticky = true;
    } else {
        u128 full = (u128)ym << 63;
        y = full >> sh;
        sticky = (y << sh) != full;
    }
    u128 s;
    if (xs == ys) {
        s = x + y;
    } else {
        s = x - y - (sticky ? 1 : 0);         /* the sticky bits borrow one unit */
    }
    if (!s && !sticky)
        return f80_zero(rc == FX_RD);
    /* s holds the value * 2^(xe-63-63): top bit possibly 127 */
    int32_t exp = xe + 1;
    uint64_t hi = (uint64_t)(s >> 64), lo = (uint64_t)s;
    return pack80(e, xs, exp, hi, lo, sticky, true, ok);
}

F80 f80_add(FxEnv *e, F80 a, F80 b, bool *ok) { return addsub(e, a, b, false, ok); }
F80 f80_sub(FxEnv *e, F80 a, F80 b, bool *ok) { return addsub(e, a, b, true, ok); }

F80 f80_mul(FxEnv *e, F80 a, F80 b, bool *ok)
{
    Unp ua = unpack(a), ub = unpack(b);
    F80 r;
    if (screen2(e, a, b, &ua, &ub, &r, ok))
        return r;
    bool s = ua.sign ^ ub.sign;
    if (ua.cls == C_INF || ub.cls == C_INF) {
        if (ua.cls == C_ZERO || ub.cls == C_ZERO)
            return invalid(e, ok);
        return f80_inf(s);
    }
    if (ua.cls == C_ZERO || ub.cls == C_ZERO)
        return f80_zero(s);
    u128 p = (u128)ua.m * ub.m;
    return pack80(e, s, ua.exp + ub.exp + 1, (uint64_t)(p >> 64), (uint64_t)p, false, true, ok);
}

F80 f80_div(FxEnv *e, F80 a, F80 b, bool *ok)
{
    Unp ua = unpack(a), ub = unpack(b);
    F80 r;
    bool s = ua.sign ^ ub.sign;
    /* a finite dividend over zero is #Z without #D (as the hardware reports it) */
    if (ub.cls == C_ZERO && ua.cls == C_NORMAL) {
        *ok = raise(e, FX_ZE);
        return f80_inf(s);
    }
    if (screen2(e, a, b, &ua, &ub, &r, ok))
        return r;
    if (ua.cls == C_INF) {
        if (ub.cls == C_INF)
            return invalid(e, ok);
        return f80_inf(s);
    }
    if (ub.cls == C_INF)
        return f80_zero(s);
    if (ub.cls == C_ZERO) {
        if (ua.cls == C_ZERO)
            return invalid(e, ok);
        *ok = raise(e, FX_ZE);
        return f80_inf(s);
    }
    if (ua.cls == C_ZERO)
        return f80_zero(s);
    /* q = (ma * 2^64) / mb, 64 or 65 bits, then 64 more bits from the remainder */
    u128 n = (u128)ua.m << 64;
    u128 q = n / ub.m;
    u128 rem = n % ub.m;
    u128 n2 = rem << 64;
    uint64_t q2 = (uint64_t)(n2 / ub.m);
    bool sticky = (n2 % ub.m) != 0;
    /* value = (q + q2/2^64) * 2^(ea - eb - 64) */
    int32_t exp = ua.exp - ub.exp;
    uint64_t hi, lo;
    if (q >> 64) {                            /* 65 bits: shift right one into lo */
        hi = (uint64_t)(q >> 1);
        lo = ((uint64_t)q << 63) | (q2 >> 1);
        sticky = sticky || (q2 & 1);
    } else {
        hi = (uint64_t)q;
        lo = q2;
        exp -= 1;
    }
    return pack80(e, s, exp, hi, lo, sticky, true, ok);
}

/* floor(sqrt(v)) for a 128-bit v, bit by bit */
static uint64_t isqrt128(u128 v, u128 *remp)
{
    u128 rem = 0, root = 0;
    for (int i = 0; i < 64; i++) {
        rem = (rem << 2) | (v >> 126);
        v <<= 2;
        root <<= 1;
        u128 t = (root << 1) | 1;
        if (rem >= t) {
            rem -= t;
            root |= 1;
        }
    }
    *remp = rem;
    return (uint64_t)root;
}

F80 f80_sqrt(FxEnv *e, F80 a, bool *ok)
{
    Unp u = unpack(a);
    *ok = true;
    if (u.cls == C_BAD)
        return invalid(e, ok);
    if (u.cls == C_NAN) {
        if (f80_is_snan(a))
            *ok = raise(e, FX_IE);
        a.m |= QUIET;
        return a;
    }
    if (u.cls == C_ZERO)
        return a;
    if (u.sign)
        return invalid(e, ok);                /* before #D, as the hardware reports it */
    if (u.denormal && !raise(e, FX_DE)) {
        *ok = false;
        return a;
    }
    if (u.cls == C_INF)
        return a;
    /* value = m * 2^(exp-63); make the power of two even */
    int32_t k = u.exp - 63;
    u128 v;
    if (k & 1) {
        v = (u128)u.m << 63;
        k -= 63;
    } else {
        v = (u128)u.m << 64;
        k -= 64;
    }
    u128 rem;
    uint64_t root = isqrt128(v, &rem);
    /* the next bit: set when rem > root; sticky when rem != 0 */
    bool guard = rem > root;
    bool sticky = rem != 0;
    /* root ~ sqrt(v), value = root * 2^(k/2); normalise root to bit 63 */
    int32_t exp = k / 2 + 63;
    uint64_t hi = root, lo = guard ? JBIT : 0;
    return pack80(e, false, exp, hi, lo, sticky, true, ok);
}

F80 f80_round_int(FxEnv *e, F80 a, bool *ok)
{
    Unp u = unpack(a);
    *ok = true;
    if (u.cls == C_BAD)
        return invalid(e, ok);
    if (u.cls == C_NAN) {
        if (f80_is_snan(a))
            *ok = raise(e, FX_IE);
        a.m |= QUIET;
        return a;
    }
    if (u.denormal && !raise(e, FX_DE)) {
        *ok = false;
        return a;
    }
    if (u.cls != C_NORMAL || u.exp >= 63)
        return a;
    unsigned rc = (e->fcw >> 10) & 3;
    uint64_t ip, frac;
    int shift = 63 - u.exp;                  /* fraction bits */
    if (shift >= 64) {
        ip = 0;
        frac = u.m;
    } else {
        ip = u.m >> shift;
        frac = u.m << (64 - shift);
    }
    bool inc = false;
    bool exact = shift >= 64 ? u.m == 0 : frac == 0;
    uint64_t half = shift >= 64 ? (shift == 64 ? JBIT : 0) : JBIT;
    uint64_t fr = shift > 64 ? (u.m ? 1 : 0) : frac;   /* below 0.5 when shift > 64 */
    switch (rc) {
    case FX_RN:
        if (shift > 64)
            inc = false;
        else
            inc = fr > half || (fr == half && (ip & 1));
        break;
    case FX_RU: inc = !u.sign && !exact; break;
    case FX_RD: inc = u.sign && !exact; break;
    default: break;
    }
    if (!exact) {
        e->flags |= FX_PE;
        if (inc)
            e->flags |= FX_C1;
    }
    ip += inc;
    if (!ip)
        return f80_zero(u.sign);
    int lz = __builtin_clzll(ip);
    return (F80){ ip << lz, (uint16_t)((u.sign ? 0x8000 : 0) | (63 - lz + BIAS)) };
}

F80 f80_scale(FxEnv *e, F80 a, F80 b, bool *ok)
{
    Unp ua = unpack(a), ub = unpack(b);
    F80 r;
    if (screen2(e, a, b, &ua, &ub, &r, ok))
        return r;
    if (ub.cls == C_INF) {
        if (ua.cls == C_ZERO && !ub.sign)
            return invalid(e, ok);
        if (ua.cls == C_INF && ub.sign)
            return invalid(e, ok);
        if (ua.cls == C_ZERO || ua.cls == C_INF)
            return a;
        return ub.sign ? f80_zero(ua.sign) : f80_inf(ua.sign);
    }
    if (ua.cls != C_NORMAL)
        return a;
    int64_t n = 0;
    if (ub.cls == C_NORMAL) {
        if (ub.exp >= 30)
            n = ub.sign ? -(1ll << 30) : (1ll << 30);
        else if (ub.exp >= 0)
            n = (int64_t)(ub.m >> (63 - ub.exp)) * (ub.sign ? -1 : 1);
    }
    return pack80(e, ua.sign, (int32_t)(ua.exp + n), ua.m, 0, false, false, ok);
}

F80 f80_rem(FxEnv *e, F80 a, F80 b, bool round_nearest, unsigned *q, bool *partial, bool *ok)
{
    Unp ua = unpack(a), ub = unpack(b);
    F80 r;
    *q = 0;
    *partial = false;
    if (screen2(e, a, b, &ua, &ub, &r, ok))
        return r;
    if (ua.cls == C_INF || ub.cls == C_ZERO)
        return invalid(e, ok);
    if (ua.cls == C_ZERO || ub.cls == C_INF)
        return a;
    int32_t d = ua.exp - ub.exp;
    bool sign = ua.sign;
    if (d < 0) {
        /* |a| < |b|: FPREM leaves a; FPREM1 gives a -+ b when |a| > |b|/2 (only possible
         * for d == -1: compare the significands) */
        if (!round_nearest || d < -1 || ua.m <= ub.m)
            return a;
        *q = 1;
        u128 m = ((u128)ub.m << 1) - ua.m;   /* (2 mb - ma) * 2^(ea - 63) */
        uint64_t hi = (uint64_t)(m >> 1), lo = (uint64_t)m << 63;
        return pack80(e, !sign, ua.exp + 1, hi, lo, false, false, ok);
    }
    /* N = d when d < 64 (complete); else 32 + d mod 32 (partial, SDM's "between 32 and 63") */
    int32_t n = d;
    if (d >= 64) {
        *partial = true;
        n = 32 + (d % 32);
    }
    u128 num = (u128)ua.m << n;
    uint64_t qq = (uint64_t)(num / ub.m);
    uint64_t rem = (uint64_t)(num % ub.m);
    /* a - qq * b * 2^(d-n) = rem * 2^(ea - n - 63) */
    int32_t rexp = ua.exp - n;
    if (round_nearest && !*partial) {
        u128 twice = (u128)rem << 1;
        if (twice > ub.m || (twice == ub.m && (qq & 1))) {
            qq++;
            rem = ub.m - rem;
            sign = !sign;
        }
    }
    *q = (unsigned)(qq & 7);
    if (!rem)
        return f80_zero(sign);
    int lz = __builtin_clzll(rem);
    return pack80(e, sign, rexp - lz, rem << lz, 0, false, false, ok);
}

int f80_compare(FxEnv *e, F80 a, F80 b, bool signal_qnan)
{
    Unp ua = unpack(a), ub = unpack(b);
    if (ua.cls == C_BAD || ub.cls == C_BAD) {
        e->flags |= FX_IE;
        return 2;
    }
    if (ua.cls == C_NAN || ub.cls == C_NAN) {
        if (signal_qnan || f80_is_snan(a) || f80_is_snan(b))
            e->flags |= FX_IE;
        return 2;
    }
    if (ua.denormal || ub.denormal)
        e->flags |= FX_DE;
    if (ua.cls == C_ZERO && ub.cls == C_ZERO)
        return 0;
    /* order by sign, class, exponent, significand */
    int sa = ua.sign ? -1 : 1, sb = ub.sign ? -1 : 1;
    if (ua.cls == C_ZERO)
        return -sb;
    if (ub.cls == C_ZERO)
        return sa;
    if (sa != sb)
        return sa;
    int mag;
    if (ua.cls == C_INF || ub.cls == C_INF)
        mag = (ua.cls == C_INF) - (ub.cls == C_INF);
    else if (ua.exp != ub.exp)
        mag = ua.exp > ub.exp ? 1 : -1;
    else
        mag = ua.m == ub.m ? 0 : ua.m > ub.m ? 1 : -1;
    return mag * sa;
}

F80 f80_from_f32(FxEnv *e, uint32_t v)
{
    bool s = v >> 31;
    unsigned ex = (v >> 23) & 0xff;
    uint32_t fr = v & 0x7fffff;
    if (ex == 0xff) {
        if (!fr)
            return f80_inf(s);
        F80 r = { JBIT | ((uint64_t)fr << 40), (uint16_t)((s ? 0x8000 : 0) | 0x7fff) };
        if (!(fr & 0x400000)) {
            e->flags |= FX_IE;
            r.m |= QUIET;
        }
        return r;
    }
    if (!ex) {
        if (!fr)
            return f80_zero(s);
        e->flags |= FX_DE;
        int t = 31 - __builtin_clz(fr);      /* value = fr * 2^-149 */
        uint64_t m = (uint64_t)fr << (63 - t);
        return (F80){ m, (uint16_t)((s ? 0x8000 : 0) | (uint16_t)(t - 149 + BIAS)) };
    }
    return (F80){ JBIT | ((uint64_t)fr << 40), (uint16_t)((s ? 0x8000 : 0) | (ex - 127 + BIAS)) };
}

F80 f80_from_f64(FxEnv *e, uint64_t v)
{
    bool s = v >> 63;
    unsigned ex = (v >> 52) & 0x7ff;
    uint64_t fr = v & 0xfffffffffffffull;
    if (ex == 0x7ff) {
        if (!fr)
            return f80_inf(s);
        F80 r = { JBIT | (fr << 11), (uint16_t)((s ? 0x8000 : 0) | 0x7fff) };
        if (!(fr & (1ull << 51))) {
            e->flags |= FX_IE;
            r.m |= QUIET;
        }
        return r;
    }
    if (!ex) {
        if (!fr)
            return f80_zero(s);
        e->flags |= FX_DE;
        int t = 63 - __builtin_clzll(fr);    /* value = fr * 2^-1074 */
        uint64_t m = fr << (63 - t);
        return (F80){ m, (uint16_t)((s ? 0x8000 : 0) | (uint16_t)(t - 1074 + BIAS)) };
    }
    return (F80){ JBIT | (fr << 11), (uint16_t)((s ? 0x8000 : 0) | (ex - 1023 + BIAS)) };
}

F80 f80_from_int(int64_t v)
{
    if (!v)
        return f80_zero(false);
    bool s = v < 0;
    uint64_t m = s ? 0 - (uint64_t)v : (uint64_t)v;
    int lz = __builtin_clzll(m);
    return (F80){ m << lz, (uint16_t)((s ? 0x8000 : 0) | (63 - lz + BIAS)) };
}

uint64_t f80_to_float(FxEnv *e, F80 a, unsigned bits, bool *ok)
{
    Unp u = unpack(a);
    unsigned p = bits == 64 ? 53 : 24;
    int bias = bits == 64 ? 1023 : 127, emax = bits == 64 ? 0x7fe : 0xfe;
    uint64_t sgn = (uint64_t)u.sign << (bits - 1);
    uint64_t expmask = (uint64_t)(emax + 1) << (p - 1);
    *ok = true;
    switch (u.cls) {
    case C_BAD:
        *ok = raise(e, FX_IE);
        return bits == 64 ? 0xfff8000000000000ull : 0xffc00000u;
    case C_NAN: {
        if (f80_is_snan(a))
            *ok = raise(e, FX_IE);
        uint64_t payload = (a.m << 1) >> (64 - (p - 1));   /* top fraction bits */
        return sgn | expmask | payload | (1ull << (p - 2));
    }
    case C_INF:
        return sgn | expmask;
    case C_ZERO:
        return sgn;
    default:
        break;                                /* a denormal source is no #D for stores */
    }
    uint64_t mant;
    int32_t be;
    round_to(e, u.sign, u.exp, u.m, 0, false, p, bias, emax, true, &mant, &be, ok);
    if (!*ok)
        return 0;
    if (be == emax + 1)
        return sgn | expmask;
    if (be == 0 && (mant >> (p - 1)))
        be = 1;
    return sgn | ((uint64_t)be << (p - 1)) | (mant & ((1ull << (p - 1)) - 1));
}

int64_t f80_to_int(FxEnv *e, F80 a, unsigned size, bool truncate, bool *ok)
{
    Unp u = unpack(a);
    int64_t indef = size == 8 ? INT64_MIN : size == 4 ? INT32_MIN : INT16_MIN;
    *ok = true;
    if (u.cls == C_BAD || u.cls == C_NAN || u.cls == C_INF) {
        *ok = raise(e, FX_IE);
        return indef;
    }
    if (u.cls == C_ZERO)
        return 0;
    FxEnv t = *e;                             /* (FIST has no #D either) */
    t.fcw |= FX_DE;                           /* and FRNDINT's #D does not apply */
    if (truncate)
        t.fcw = (uint16_t)(t.fcw | (3u << 10));
    F80 r = f80_round_int(&t, a, ok);
    e->flags |= t.flags & (FX_PE | FX_C1);
    Unp ur = unpack(r);
    if (ur.cls == C_ZERO)
        return 0;
    uint64_t lim = (uint64_t)1 << (8 * size - 1);
    if (ur.exp >= 64) {
        *ok = raise(e, FX_IE);
        e->flags &= (uint16_t)~(FX_PE | FX_C1);
        return indef;
    }
    uint64_t mag = ur.m >> (63 - ur.exp);
    if (mag > lim || (mag == lim && !ur.sign)) {
        e->flags &= (uint16_t)~(FX_PE | FX_C1);
        *ok = raise(e, FX_IE);
        return indef;
    }
    return ur.sign ? (int64_t)(0 - mag) : (int64_t)mag;
}

double f80_to_double(F80 a)
{
    FxEnv t = { 0x037f, 0 };
    bool ok;
    uint64_t b = f80_to_float(&t, a, 64, &ok);
    double d;
    memcpy(&d, &b, 8);
    return d;
}

F80 f80_from_double(FxEnv *e, double d)
{
    uint64_t b;
    memcpy(&b, &d, 8);
    return f80_from_f64(e, b);
}
