/* Software IEEE arithmetic with the Arm rules; see fpu.h. Each function follows the Arm ARM
 * pseudocode of the same name (shared/functions/float/...): unpack (FPUnpack, with FZ
 * flushing subnormal inputs and raising IDC), NaN processing, the special cases, then the
 * exact result handed to round_pack (FPRoundBase).
 *
 * A finite nonzero operand unpacks to sign, exponent and a 64-bit significand with its top
 * bit set: value = sig / 2^63 * 2^exp. Results are computed exactly or with enough guard bits
 * and a sticky bit (the lowest bit ORed with everything shifted out), which round_pack turns
 * into the rounded bit pattern. */
#include "cpu/arm64/fpu.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

enum { T_ZERO, T_FINITE, T_INF, T_QNAN, T_SNAN };

typedef struct Unp {
    int type;
    bool sign;
    int exp;
    uint64_t sig;
} Unp;

/* Exponent and fraction widths per format (index: fmt). */
static const uint8_t EBITS[4] = { 0, 5, 8, 11 };
static const uint8_t FBITS[4] = { 0, 10, 23, 52 };

static inline int fbits(int fmt) { return FBITS[fmt]; }
static inline int ebits(int fmt) { return EBITS[fmt]; }
static inline int bias(int fmt) { return (1 << (ebits(fmt) - 1)) - 1; }
static inline uint64_t frac_mask(int fmt) { return (1ULL << fbits(fmt)) - 1; }
static inline uint64_t exp_max(int fmt) { return (1ULL << ebits(fmt)) - 1; }
static inline uint64_t quiet_bit(int fmt) { return 1ULL << (fbits(fmt) - 1); }

static inline uint64_t fp_zero(int fmt, bool sign) { return sign ? fpu_sign_bit(fmt) : 0; }
static inline uint64_t fp_inf(int fmt, bool sign)
{
    return fp_zero(fmt, sign) | exp_max(fmt) << fbits(fmt);
}
static inline uint64_t fp_max_normal(int fmt, bool sign)
{
    return fp_zero(fmt, sign) | (exp_max(fmt) - 1) << fbits(fmt) | frac_mask(fmt);
}
/* 2^k for small k (FPTwo: k = 1, FPOnePointFive: 1.5 built by the caller). */
static inline uint64_t fp_pow2(int fmt, bool sign, int k)
{
    return fp_zero(fmt, sign) | (uint64_t)(bias(fmt) + k) << fbits(fmt);
}
uint64_t fpu_default_nan(int fmt) { return exp_max(fmt) << fbits(fmt) | quiet_bit(fmt); }

static inline int clz128(u128 x)
{
    uint64_t hi = (uint64_t)(x >> 64);
    return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll((uint64_t)x);
}
static inline u128 shr_jam128(u128 x, int n)
{
    if (n <= 0)
        return x;
    if (n >= 128)
        return x != 0;
    return (x >> n) | ((x & (((u128)1 << n) - 1)) != 0);
}

/* FPUnpackBase. Subnormal single/double inputs are flushed when FPCR.FZ = 1 (IDC set);
 * half-precision inputs never are (FZ16 needs FEAT_FP16). ahp: FPCR.AHP applied to a
 * half-precision input (FPUnpackCV): the all-ones exponent is an ordinary number. */
static inline __attribute__((always_inline)) Unp unpack_ahp(FpuEnv *e, int fmt, uint64_t x,
                                                           bool ahp)
{
    int F = fbits(fmt);
    Unp u = { T_FINITE, (x >> (F + ebits(fmt))) & 1, 0, 0 };
    uint64_t ex = (x >> F) & exp_max(fmt), frac = x & frac_mask(fmt);
    if (ex == 0) {
        if (frac == 0 || (fmt != FPU_H && (e->fpcr & FPCR_FZ))) {
            u.type = T_ZERO;
            if (frac)
                e->fpsr |= FPSR_IDC;
            return u;
        }
        int msb = 63 - __builtin_clzll(frac);
        u.sig = frac << (63 - msb);
        u.exp = 1 - bias(fmt) - F + msb;
        return u;
    }
    if (ex == exp_max(fmt) && !ahp) {
        u.type = frac == 0 ? T_INF : (frac & quiet_bit(fmt)) ? T_QNAN : T_SNAN;
        return u;
    }
    u.sig = (frac | 1ULL << F) << (63 - F);
    u.exp = (int)ex - bias(fmt);
    return u;
}
static inline Unp unpack(FpuEnv *e, int fmt, uint64_t x) { return unpack_ahp(e, fmt, x, false); }
static inline bool is_nan(const Unp *u) { return u->type >= T_QNAN; }

/* FPRoundBase: value = sig / 2^63 * 2^exp (sig's top bit set, lowest bit sticky). With
 * FPCR.FZ (single/double) a value below the smallest normal becomes zero with UFC and no
 * IXC. Underflow is tininess before rounding plus inexact. ahp: half-precision output in
 * the alternative format (no infinities: overflow saturates to all-ones with IOC). */
static uint64_t round_pack_ahp(FpuEnv *e, int fmt, bool sign, int exp, uint64_t sig, int rmode,
                               bool ahp)
{
    int F = fbits(fmt), emin = 1 - bias(fmt);
    if (fmt != FPU_H && (e->fpcr & FPCR_FZ) && exp < emin) {
        e->fpsr |= FPSR_UFC;
        return fp_zero(fmt, sign);
    }
    int bexp = exp < emin ? 0 : exp - emin + 1;
    int s = 63 - F + (bexp == 0 ? emin - exp : 0);
    uint64_t mant;
    int err;                      /* 0 exact, 1 below half, 2 half, 3 above half */
    if (s > 64) {
        mant = 0;
        err = 1;
    } else {
        u128 rem = (u128)sig & (((u128)1 << s) - 1), half = (u128)1 << (s - 1);
        mant = (uint64_t)((u128)sig >> s);
        err = rem == 0 ? 0 : rem < half ? 1 : rem == half ? 2 : 3;
    }
    if (bexp == 0 && err)
        e->fpsr |= FPSR_UFC;
    bool up, to_inf;
    switch (rmode) {
    case FPU_RN: up = err == 3 || (err == 2 && (mant & 1)); to_inf = true; break;
    case FPU_RA: up = err >= 2; to_inf = true; break;
    case FPU_RP: up = err && !sign; to_inf = !sign; break;
    case FPU_RM: up = err && sign; to_inf = sign; break;
    default: up = false; to_inf = false; break;     /* RZ, RODD */
    }
    if (up) {
        mant++;
        if (mant == 1ULL << F)
            bexp = 1;
        if (mant == 1ULL << (F + 1)) {
            bexp++;
            mant >>= 1;
        }
    }
    if (rmode == FPU_RODD && err)
        mant |= 1;
    uint64_t r;
    if (!ahp) {
        if ((uint64_t)bexp >= exp_max(fmt)) {
            e->fpsr |= FPSR_OFC;
            r = to_inf ? fp_inf(fmt, sign) : fp_max_normal(fmt, sign);
            err = 1;
        } else {
            r = fp_zero(fmt, sign) | (uint64_t)bexp << F | (mant & frac_mask(fmt));
        }
    } else if ((uint64_t)bexp > exp_max(fmt)) {
        e->fpsr |= FPSR_IOC;
        r = fp_zero(fmt, sign) | 0x7fff;
        err = 0;
    } else {
        r = fp_zero(fmt, sign) | (uint64_t)bexp << F | (mant & frac_mask(fmt));
    }
    if (err)
        e->fpsr |= FPSR_IXC;
    return r;
}
static inline uint64_t round_pack(FpuEnv *e, int fmt, bool sign, int exp, uint64_t sig)
{
    return round_pack_ahp(e, fmt, sign, exp, sig, e->rmode, false);
}
/* Rounds value = S / 2^124 * 2^exp (S != 0, up to 128 bits). */
static uint64_t round_pack128(FpuEnv *e, int fmt, bool sign, int exp, u128 S)
{
    int lz = clz128(S);
    S <<= lz;
    uint64_t sig = (uint64_t)(S >> 64) | ((uint64_t)S != 0);
    return round_pack(e, fmt, sign, exp + 3 - lz, sig);
}

/* FPProcessNaN / FPProcessNaNs / FPProcessNaNs3: the first signalling NaN, else the first
 * quiet NaN, quieted; the default NaN instead when FPCR.DN. */
static uint64_t process_nan(FpuEnv *e, int fmt, const Unp *u, uint64_t x)
{
    if (u->type == T_SNAN) {
        x |= quiet_bit(fmt);
        e->fpsr |= FPSR_IOC;
    }
    return (e->fpcr & FPCR_DN) ? fpu_default_nan(fmt) : x;
}
static bool process_nans(FpuEnv *e, int fmt, const Unp *ua, const Unp *ub, uint64_t a, uint64_t b,
                         uint64_t *r)
{
    if (ua->type == T_SNAN) *r = process_nan(e, fmt, ua, a);
    else if (ub->type == T_SNAN) *r = process_nan(e, fmt, ub, b);
    else if (ua->type == T_QNAN) *r = process_nan(e, fmt, ua, a);
    else if (ub->type == T_QNAN) *r = process_nan(e, fmt, ub, b);
    else return false;
    return true;
}
static bool process_nans3(FpuEnv *e, int fmt, const Unp *ua, const Unp *ub, const Unp *uc,
                          uint64_t a, uint64_t b, uint64_t c, uint64_t *r)
{
    if (ua->type == T_SNAN) *r = process_nan(e, fmt, ua, a);
    else if (ub->type == T_SNAN) *r = process_nan(e, fmt, ub, b);
    else if (uc->type == T_SNAN) *r = process_nan(e, fmt, uc, c);
    else if (ua->type == T_QNAN) *r = process_nan(e, fmt, ua, a);
    else if (ub->type == T_QNAN) *r = process_nan(e, fmt, ub, b);
    else if (uc->type == T_QNAN) *r = process_nan(e, fmt, uc, c);
    else return false;
    return true;
}
static inline uint64_t invalid(FpuEnv *e, int fmt)
{
    e->fpsr |= FPSR_IOC;
    return fpu_default_nan(fmt);
}

/* Sum of two exact values A / 2^124 * 2^ea and B / 2^124 * 2^eb (A, B < 2^126; a zero has
 * A = 0), rounded; an exact zero is +0, or -0 when rounding toward minus infinity. */
static uint64_t add_exact(FpuEnv *e, int fmt, bool sa, int ea, u128 A, bool sb, int eb, u128 B,
                          int exp_adj)
{
    if (A == 0) { sa = sb; ea = eb; A = B; B = 0; }
    else if (B != 0 && ea < eb) {
        bool ts = sa; sa = sb; sb = ts;
        int te = ea; ea = eb; eb = te;
        u128 tm = A; A = B; B = tm;
    }
    if (B)
        B = shr_jam128(B, ea - eb);
    u128 S = A;
    if (sa == sb) {
        S += B;
    } else {
        s128 d = (s128)(A - B);
        if (d < 0) { d = -d; sa = !sa; }
        S = (u128)d;
    }
    if (S == 0)
        return fp_zero(fmt, e->rmode == FPU_RM);
    return round_pack128(e, fmt, sa, ea + exp_adj, S);
}

/* FPAdd / FPSub: negate = FPSub (the NaN operand keeps its sign). */
static uint64_t addsub(FpuEnv *e, int fmt, uint64_t a, uint64_t b, bool negate)
{
    Unp ua = unpack(e, fmt, a), ub = unpack(e, fmt, b);
    uint64_t r;
    if (process_nans(e, fmt, &ua, &ub, a, b, &r))
        return r;
    ub.sign ^= negate;
    if (ua.type == T_INF && ub.type == T_INF && ua.sign != ub.sign)
        return invalid(e, fmt);
    if (ua.type == T_INF || ub.type == T_INF)
        return fp_inf(fmt, ua.type == T_INF ? ua.sign : ub.sign);
    if (ua.type == T_ZERO && ub.type == T_ZERO && ua.sign == ub.sign)
        return fp_zero(fmt, ua.sign);
    return add_exact(e, fmt, ua.sign, ua.exp, ua.type == T_ZERO ? 0 : (u128)ua.sig << 61,
                     ub.sign, ub.exp, ub.type == T_ZERO ? 0 : (u128)ub.sig << 61, 0);
}
uint64_t fpu_add(FpuEnv *e, int fmt, uint64_t a, uint64_t b) { return addsub(e, fmt, a, b, false); }
uint64_t fpu_sub(FpuEnv *e, int fmt, uint64_t a, uint64_t b) { return addsub(e, fmt, a, b, true); }

/* FPMul and FPMulX (mulx: infinity times zero is 2 with the product's sign). */
static uint64_t mul(FpuEnv *e, int fmt, uint64_t a, uint64_t b, bool mulx)
{
    Unp ua = unpack(e, fmt, a), ub = unpack(e, fmt, b);
    uint64_t r;
    if (process_nans(e, fmt, &ua, &ub, a, b, &r))
        return r;
    bool s = ua.sign ^ ub.sign;
    if ((ua.type == T_INF && ub.type == T_ZERO) || (ua.type == T_ZERO && ub.type == T_INF))
        return mulx ? fp_pow2(fmt, s, 1) : invalid(e, fmt);
    if (ua.type == T_INF || ub.type == T_INF)
        return fp_inf(fmt, s);
    if (ua.type == T_ZERO || ub.type == T_ZERO)
        return fp_zero(fmt, s);
    u128 p = (u128)ua.sig * ub.sig;       /* [2^126, 2^128) */
    return round_pack128(e, fmt, s, ua.exp + ub.exp - 2, p);
}
uint64_t fpu_mul(FpuEnv *e, int fmt, uint64_t a, uint64_t b) { return mul(e, fmt, a, b, false); }
uint64_t fpu_mulx(FpuEnv *e, int fmt, uint64_t a, uint64_t b) { return mul(e, fmt, a, b, true); }

uint64_t fpu_div(FpuEnv *e, int fmt, uint64_t a, uint64_t b)
{
    Unp ua = unpack(e, fmt, a), ub = unpack(e, fmt, b);
    uint64_t r;
    if (process_nans(e, fmt, &ua, &ub, a, b, &r))
        return r;
    bool s = ua.sign ^ ub.sign;
    if ((ua.type == T_INF && ub.type == T_INF) || (ua.type == T_ZERO && ub.type == T_ZERO))
        return invalid(e, fmt);
    if (ua.type == T_INF || ub.type == T_ZERO) {
        if (ua.type != T_INF)
            e->fpsr |= FPSR_DZC;
        return fp_inf(fmt, s);
    }
    if (ua.type == T_ZERO || ub.type == T_INF)
        return fp_zero(fmt, s);
    u128 n = (u128)ua.sig << 64;
    u128 q = n / ub.sig;                  /* (2^63, 2^65): value = q / 2^64 * 2^(ea-eb) */
    bool rem = (n - q * ub.sig) != 0;
    return round_pack128(e, fmt, s, ua.exp - ub.exp + 60, q | rem);
}

uint64_t fpu_sqrt(FpuEnv *e, int fmt, uint64_t a)
{
    Unp u = unpack(e, fmt, a);
    if (is_nan(&u))
        return process_nan(e, fmt, &u, a);
    if (u.type == T_ZERO)
        return fp_zero(fmt, u.sign);
    if (u.sign)
        return invalid(e, fmt);
    if (u.type == T_INF)
        return fp_inf(fmt, false);
    /* value = sig * 2^(exp-63) = R * 2^(exp-63-t) with R = sig << t, t in {63, 64} making
     * the remaining exponent even: sqrt = isqrt(R) * 2^((exp-63-t)/2), isqrt(R) in
     * [2^63, 2^64), found bit by bit. */
    int k = u.exp - 63, t = (k & 1) ? 63 : 64;
    u128 R = (u128)u.sig << t;
    uint64_t root = 0;
    for (int bit = 63; bit >= 0; bit--) {
        uint64_t cand = root | (1ULL << bit);
        if ((u128)cand * cand <= R)
            root = cand;
    }
    bool inexact = (u128)root * root != R;
    return round_pack(e, fmt, false, 63 + (k - t) / 2, root | inexact);
}

/* FPMulAdd core: addend + a * b (all unpacked, no NaNs, no infinities, not both zero with
 * equal signs), one rounding; exp_adj scales the exact result by 2^exp_adj (FRSQRTS). */
static uint64_t muladd_exact(FpuEnv *e, int fmt, const Unp *uc, const Unp *ua, const Unp *ub,
                             int exp_adj)
{
    bool sp = ua->sign ^ ub->sign;
    u128 P = 0, C = 0;
    int ep = 0, ec = uc->exp;
    if (ua->type != T_ZERO && ub->type != T_ZERO) {
        /* (sig_a * sig_b) / 2^126: shifted right by 2 it is exact (each significand has at
         * most 53 significant bits, the product at least 22 trailing zeros). */
        P = ((u128)ua->sig * ub->sig) >> 2;
        ep = ua->exp + ub->exp;
    }
    if (uc->type != T_ZERO)
        C = (u128)uc->sig << 61;
    return add_exact(e, fmt, sp, ep, P, uc->sign, ec, C, exp_adj);
}

uint64_t fpu_muladd(FpuEnv *e, int fmt, uint64_t c, uint64_t a, uint64_t b)
{
    Unp uc = unpack(e, fmt, c), ua = unpack(e, fmt, a), ub = unpack(e, fmt, b);
    uint64_t r;
    bool inf_zero = (ua.type == T_INF && ub.type == T_ZERO) || (ua.type == T_ZERO && ub.type == T_INF);
    bool done = process_nans3(e, fmt, &uc, &ua, &ub, c, a, b, &r);
    /* A quiet NaN addend does not hide the Invalid Operation of infinity times zero. */
    if (uc.type == T_QNAN && inf_zero)
        return invalid(e, fmt);
    if (done)
        return r;
    bool sp = ua.sign ^ ub.sign, infp = ua.type == T_INF || ub.type == T_INF;
    bool zerop = ua.type == T_ZERO || ub.type == T_ZERO;
    if (inf_zero || (uc.type == T_INF && infp && uc.sign != sp))
        return invalid(e, fmt);
    if (uc.type == T_INF || infp)
        return fp_inf(fmt, uc.type == T_INF ? uc.sign : sp);
    if (uc.type == T_ZERO && zerop && uc.sign == sp)
        return fp_zero(fmt, uc.sign);
    return muladd_exact(e, fmt, &uc, &ua, &ub, 0);
}

/* FPRecipStepFused / FPRSqrtStepFused: op1 is negated before anything else. */
static uint64_t step_fused(FpuEnv *e, int fmt, uint64_t a, uint64_t b, bool rsqrt)
{
    a ^= fpu_sign_bit(fmt);
    Unp ua = unpack(e, fmt, a), ub = unpack(e, fmt, b);
    uint64_t r;
    if (process_nans(e, fmt, &ua, &ub, a, b, &r))
        return r;
    if ((ua.type == T_INF && ub.type == T_ZERO) || (ua.type == T_ZERO && ub.type == T_INF))
        return rsqrt ? fp_pow2(fmt, false, 0) | quiet_bit(fmt) : fp_pow2(fmt, false, 1);
    if (ua.type == T_INF || ub.type == T_INF)
        return fp_inf(fmt, ua.sign ^ ub.sign);
    /* addend 2.0 or 3.0 */
    Unp uc = { T_FINITE, false, 1, rsqrt ? 3ULL << 62 : 1ULL << 63 };
    return muladd_exact(e, fmt, &uc, &ua, &ub, rsqrt ? -1 : 0);
}
uint64_t fpu_recip_step(FpuEnv *e, int fmt, uint64_t a, uint64_t b) { return step_fused(e, fmt, a, b, false); }
uint64_t fpu_rsqrt_step(FpuEnv *e, int fmt, uint64_t a, uint64_t b) { return step_fused(e, fmt, a, b, true); }

/* Ordering of two unpacked non-NaN values: -1, 0, 1 (zeros of either sign are equal). */
static int cmp_unp(int fmt, const Unp *ua, uint64_t a, const Unp *ub, uint64_t b)
{
    uint64_t mask = fpu_sign_bit(fmt) - 1;
    int64_t ka = ua->type == T_ZERO ? 0 : (int64_t)(a & mask);
    int64_t kb = ub->type == T_ZERO ? 0 : (int64_t)(b & mask);
    if (ua->sign) ka = -ka;
    if (ub->sign) kb = -kb;
    return ka < kb ? -1 : ka > kb;
}

/* FPMax / FPMin: the selected operand as it unpacked (a flushed input is a zero); two zeros
 * give +0 for max unless both are -0, -0 for min unless both are +0. */
static uint64_t minmax(FpuEnv *e, int fmt, uint64_t a, uint64_t b, bool is_max)
{
    Unp ua = unpack(e, fmt, a), ub = unpack(e, fmt, b);
    uint64_t r;
    if (process_nans(e, fmt, &ua, &ub, a, b, &r))
        return r;
    int c = cmp_unp(fmt, &ua, a, &ub, b);
    bool first = is_max ? c > 0 : c < 0;
    const Unp *u = first ? &ua : &ub;
    if (u->type == T_ZERO)
        return fp_zero(fmt, is_max ? (ua.sign && ub.sign) : (ua.sign || ub.sign));
    return first ? a : b;
}
uint64_t fpu_max(FpuEnv *e, int fmt, uint64_t a, uint64_t b) { return minmax(e, fmt, a, b, true); }
uint64_t fpu_min(FpuEnv *e, int fmt, uint64_t a, uint64_t b) { return minmax(e, fmt, a, b, false); }

/* FPMaxNum / FPMinNum: a single quiet NaN loses (becomes -inf for max, +inf for min). */
static bool is_qnan_raw(int fmt, uint64_t x)
{
    return ((x >> fbits(fmt)) & exp_max(fmt)) == exp_max(fmt) && (x & quiet_bit(fmt));
}
static uint64_t minmaxnum(FpuEnv *e, int fmt, uint64_t a, uint64_t b, bool is_max)
{
    bool qa = is_qnan_raw(fmt, a), qb = is_qnan_raw(fmt, b);
    if (qa && !qb)
        a = fp_inf(fmt, is_max);
    else if (!qa && qb)
        b = fp_inf(fmt, is_max);
    return minmax(e, fmt, a, b, is_max);
}
uint64_t fpu_maxnum(FpuEnv *e, int fmt, uint64_t a, uint64_t b) { return minmaxnum(e, fmt, a, b, true); }
uint64_t fpu_minnum(FpuEnv *e, int fmt, uint64_t a, uint64_t b) { return minmaxnum(e, fmt, a, b, false); }

unsigned fpu_compare(FpuEnv *e, int fmt, uint64_t a, uint64_t b, bool signal_all)
{
    Unp ua = unpack(e, fmt, a), ub = unpack(e, fmt, b);
    if (is_nan(&ua) || is_nan(&ub)) {
        if (signal_all || ua.type == T_SNAN || ub.type == T_SNAN)
            e->fpsr |= FPSR_IOC;
        return 0x3;
    }
    int c = cmp_unp(fmt, &ua, a, &ub, b);
    return c == 0 ? 0x6 : c < 0 ? 0x8 : 0x2;
}
/* FPCompareEQ (quiet: only signalling NaNs raise Invalid) and GE/GT (every NaN does). */
static int compare_vec(FpuEnv *e, int fmt, uint64_t a, uint64_t b, bool quiet)
{
    Unp ua = unpack(e, fmt, a), ub = unpack(e, fmt, b);
    if (is_nan(&ua) || is_nan(&ub)) {
        if (!quiet || ua.type == T_SNAN || ub.type == T_SNAN)
            e->fpsr |= FPSR_IOC;
        return 2;
    }
    return cmp_unp(fmt, &ua, a, &ub, b);
}
bool fpu_compare_eq(FpuEnv *e, int fmt, uint64_t a, uint64_t b) { return compare_vec(e, fmt, a, b, true) == 0; }
bool fpu_compare_ge(FpuEnv *e, int fmt, uint64_t a, uint64_t b)
{
    int c = compare_vec(e, fmt, a, b, false);
    return c == 0 || c == 1;
}
bool fpu_compare_gt(FpuEnv *e, int fmt, uint64_t a, uint64_t b) { return compare_vec(e, fmt, a, b, false) == 1; }

/* Integer part of value = sig / 2^63 * 2^k (k < 64) and the class of the fraction left
 * (0 none, 1 below half, 2 half, 3 above half). */
static int split_int(uint64_t sig, int k, u128 *ip)
{
    if (k < -1) {
        *ip = 0;
        return 1;
    }
    int s = 63 - k;                       /* 0..64 */
    *ip = (u128)sig >> s;
    if (s == 0)
        return 0;
    u128 rem = (u128)sig & (((u128)1 << s) - 1), half = (u128)1 << (s - 1);
    return rem == 0 ? 0 : rem < half ? 1 : rem == half ? 2 : 3;
}
/* Whether rounding the magnitude ip (+ fraction class err) goes up, per the pseudocode's
 * round_up cases rewritten for sign and magnitude. */
static bool round_up_int(int rounding, bool sign, u128 ip, int err)
{
    switch (rounding) {
    case FPU_RN: return err == 3 || (err == 2 && (ip & 1));
    case FPU_RA: return err >= 2;
    case FPU_RP: return err && !sign;
    case FPU_RM: return err && sign;
    default: return false;
    }
}

uint64_t fpu_round_int(FpuEnv *e, int fmt, uint64_t a, int rounding, bool exact)
{
    Unp u = unpack(e, fmt, a);
    if (is_nan(&u))
        return process_nan(e, fmt, &u, a);
    if (u.type == T_INF)
        return fp_inf(fmt, u.sign);
    if (u.type == T_ZERO)
        return fp_zero(fmt, u.sign);
    if (u.exp >= fbits(fmt))
        return a;                         /* already an integer */
    u128 ip;
    int err = split_int(u.sig, u.exp, &ip);
    if (round_up_int(rounding, u.sign, ip, err))
        ip++;
    if (err && exact)
        e->fpsr |= FPSR_IXC;
    if (ip == 0)
        return fp_zero(fmt, u.sign);
    uint64_t m = (uint64_t)ip;
    int lz = __builtin_clzll(m);
    return round_pack(e, fmt, u.sign, 63 - lz, m << lz);   /* exact: raises nothing */
}

uint64_t fpu_to_fixed(FpuEnv *e, int fmt, uint64_t a, int fbits_, bool is_unsigned, int rounding,
                      int bits)
{
    Unp u = unpack(e, fmt, a);
    if (is_nan(&u)) {
        e->fpsr |= FPSR_IOC;
        return 0;
    }
    u128 ip = 0;
    int err = 0;
    bool big = u.type == T_INF || (u.type == T_FINITE && u.exp + fbits_ >= 64);
    if (u.type == T_FINITE && !big) {
        err = split_int(u.sig, u.exp + fbits_, &ip);
        if (round_up_int(rounding, u.sign, ip, err))
            ip++;
    }
    u128 lim_pos = is_unsigned ? ((u128)1 << bits) - 1 : ((u128)1 << (bits - 1)) - 1;
    u128 lim_neg = is_unsigned ? 0 : (u128)1 << (bits - 1);
    uint64_t mask = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
    if (!u.sign && (big || ip > lim_pos)) {
        e->fpsr |= FPSR_IOC;
        return (uint64_t)lim_pos;
    }
    if (u.sign && (big || ip > lim_neg)) {
        e->fpsr |= FPSR_IOC;
        return (uint64_t)(-lim_neg) & mask;
    }
    if (err)
        e->fpsr |= FPSR_IXC;
    return (u.sign ? -(uint64_t)ip : (uint64_t)ip) & mask;
}

uint64_t fpu_from_fixed(FpuEnv *e, int fmt, uint64_t v, int fbits_, bool is_unsigned, int bits)
{
    bool sign = false;
    if (bits == 32)
        v = is_unsigned ? (uint32_t)v : (uint64_t)(int64_t)(int32_t)v;
    if (!is_unsigned && (int64_t)v < 0) {
        sign = true;
        v = -v;
    }
    if (v == 0)
        return 0;
    int lz = __builtin_clzll(v);
    return round_pack(e, fmt, sign, 63 - lz - fbits_, v << lz);
}

/* FPConvertNaN: sign and payload kept (the payload's top bits), quiet bit set. */
static uint64_t convert_nan(int from, int to, uint64_t a)
{
    uint64_t payload = (a & frac_mask(from)) << (64 - fbits(from));
    return fp_zero(to, (a >> (ebits(from) + fbits(from))) & 1) | exp_max(to) << fbits(to) |
           quiet_bit(to) | (payload >> (64 - fbits(to)));
}

uint64_t fpu_convert(FpuEnv *e, int from, int to, uint64_t a, int rounding)
{
    bool ahp = (e->fpcr & FPCR_AHP) != 0;
    Unp u = unpack_ahp(e, from, a, from == FPU_H && ahp);
    bool alt = to == FPU_H && ahp;
    if (is_nan(&u)) {
        uint64_t r = alt ? fp_zero(to, u.sign)
                   : (e->fpcr & FPCR_DN) ? fpu_default_nan(to) : convert_nan(from, to, a);
        if (u.type == T_SNAN || alt)
            e->fpsr |= FPSR_IOC;
        return r;
    }
    if (u.type == T_INF) {
        if (alt) {
            e->fpsr |= FPSR_IOC;
            return fp_zero(to, u.sign) | 0x7fff;
        }
        return fp_inf(to, u.sign);
    }
    if (u.type == T_ZERO)
        return fp_zero(to, u.sign);
    return round_pack_ahp(e, to, u.sign, u.exp, u.sig, rounding, alt);
}

/* ---- estimates (Arm ARM shared/functions/float/fprecipestimate etc.) ------------------- */
/* RecipEstimate: a in [256, 512) is 0.5 <= x < 1 in 1/512 steps; result in [256, 512). */
static unsigned recip_estimate(unsigned a)
{
    a = a * 2 + 1;
    unsigned b = (1u << 19) / a;
    return (b + 1) / 2;
}
/* RecipSqrtEstimate: a in [128, 512) is 0.25 <= x < 1 in 1/512 steps. */
static unsigned rsqrt_estimate(unsigned a)
{
    if (a < 256)
        a = a * 2 + 1;
    else
        a = ((a >> 1) << 1) * 2 + 2;
    unsigned b = 512;
    while ((uint64_t)a * (b + 1) * (b + 1) < (1ULL << 28))
        b++;
    return (b + 1) / 2;
}

/* Fraction as a 52-bit field and the biased exponent, as the estimate pseudocode has them. */
static void est_fields(int fmt, uint64_t x, uint64_t *fraction, int *exp)
{
    *fraction = (x & frac_mask(fmt)) << (52 - fbits(fmt));
    *exp = (int)((x >> fbits(fmt)) & exp_max(fmt));
}

uint64_t fpu_recip_estimate(FpuEnv *e, int fmt, uint64_t a)
{
    Unp u = unpack(e, fmt, a);
    if (is_nan(&u))
        return process_nan(e, fmt, &u, a);
    if (u.type == T_INF)
        return fp_zero(fmt, u.sign);
    if (u.type == T_ZERO) {
        e->fpsr |= FPSR_DZC;
        return fp_inf(fmt, u.sign);
    }
    /* |value| < 2^-(bias+1) (2^-16, 2^-128, 2^-1024): the reciprocal overflows. */
    if (u.exp < -bias(fmt) - 1) {
        bool to_inf;
        switch (e->rmode) {
        case FPU_RN: to_inf = true; break;
        case FPU_RP: to_inf = !u.sign; break;
        case FPU_RM: to_inf = u.sign; break;
        default: to_inf = false; break;
        }
        e->fpsr |= FPSR_OFC | FPSR_IXC;
        return to_inf ? fp_inf(fmt, u.sign) : fp_max_normal(fmt, u.sign);
    }
    /* |value| >= 2^(bias-1) with FZ: the reciprocal would be subnormal, flushed. */
    if (fmt != FPU_H && (e->fpcr & FPCR_FZ) && u.exp >= bias(fmt) - 1) {
        e->fpsr |= FPSR_UFC;
        return fp_zero(fmt, u.sign);
    }
    uint64_t fraction;
    int exp;
    est_fields(fmt, a, &fraction, &exp);
    if (exp == 0) {
        if (!(fraction & (1ULL << 51))) {
            exp = -1;
            fraction = (fraction << 2) & ((1ULL << 52) - 1);
        } else {
            fraction = (fraction << 1) & ((1ULL << 52) - 1);
        }
    }
    unsigned scaled = 256 | (unsigned)(fraction >> 44);
    int result_exp = 2 * bias(fmt) - 1 - exp;
    unsigned est = recip_estimate(scaled);
    fraction = (uint64_t)(est & 0xff) << 44;
    if (result_exp == 0) {
        fraction = (1ULL << 51) | (fraction >> 1);
    } else if (result_exp == -1) {
        fraction = (1ULL << 50) | (fraction >> 2);
        result_exp = 0;
    }
    return fp_zero(fmt, u.sign) | (uint64_t)result_exp << fbits(fmt) | fraction >> (52 - fbits(fmt));
}

uint64_t fpu_rsqrt_estimate(FpuEnv *e, int fmt, uint64_t a)
{
    Unp u = unpack(e, fmt, a);
    if (is_nan(&u))
        return process_nan(e, fmt, &u, a);
    if (u.type == T_ZERO) {
        e->fpsr |= FPSR_DZC;
        return fp_inf(fmt, u.sign);
    }
    if (u.sign)
        return invalid(e, fmt);
    if (u.type == T_INF)
        return 0;
    uint64_t fraction;
    int exp;
    est_fields(fmt, a, &fraction, &exp);
    if (exp == 0) {
        while (!(fraction & (1ULL << 51))) {
            fraction = (fraction << 1) & ((1ULL << 52) - 1);
            exp--;
        }
        fraction = (fraction << 1) & ((1ULL << 52) - 1);
    }
    unsigned scaled = (exp & 1) == 0 ? 256 | (unsigned)(fraction >> 44)
                                     : 128 | (unsigned)(fraction >> 45);
    /* (44 - exp) / 2, (380 - exp) / 2, (3068 - exp) / 2: 3 * bias - 1 over two */
    int result_exp = (3 * bias(fmt) - 1 - exp) / 2;
    unsigned est = rsqrt_estimate(scaled);
    return (uint64_t)result_exp << fbits(fmt) | (uint64_t)(est & 0xff) << (fbits(fmt) - 8);
}

uint64_t fpu_recpx(FpuEnv *e, int fmt, uint64_t a)
{
    Unp u = unpack(e, fmt, a);
    if (is_nan(&u))
        return process_nan(e, fmt, &u, a);
    uint64_t ex = (a >> fbits(fmt)) & exp_max(fmt);
    uint64_t rexp = ex == 0 ? exp_max(fmt) - 1 : ~ex & exp_max(fmt);
    return fp_zero(fmt, u.sign) | rexp << fbits(fmt);
}

uint32_t fpu_urecpe(uint32_t a)
{
    if (!(a >> 31))
        return 0xffffffffu;
    return (recip_estimate(a >> 23) & 0x1ff) << 23;
}
uint32_t fpu_ursqrte(uint32_t a)
{
    if (!(a >> 30))
        return 0xffffffffu;
    return (rsqrt_estimate(a >> 23) & 0x1ff) << 23;
}
