/* x86-64 multiply and divide: MUL/IMUL/DIV/IDIV (F6/F7 /4-/7), IMUL r, r/m (0F AF) and
 * IMUL r, r/m, imm (69, 6B).
 *
 * After a multiply CF = OF = "the high half is significant"; SF, ZF and PF (undefined) come
 * from the low half as QEMU computes them, AF is 0. Divides leave the flags as they were
 * (undefined; QEMU does not touch them). A zero divisor or a quotient that does not fit
 * raises #DE with nothing written. */
#include "cpu/x86_64/exec.h"

static inline void mul_flags(X86Cpu *c, uint64_t lo, unsigned size, bool overflow)
{
    x86_set_flags(c, X86_FLAGS_ARITH, x86_szp(lo, size) | (overflow ? X86_CF | X86_OF : 0));
}

/* Writes the double-size result hi:lo of a one-operand multiply or divide: AX for bytes,
 * rDX:rAX otherwise. */
static void set_pair(X86Cpu *c, const X86Insn *d, unsigned size, uint64_t lo, uint64_t hi)
{
    if (size == 1) {
        x86_set_reg(c, d, X86_RAX, 2, ((hi & 0xff) << 8) | (lo & 0xff));
        return;
    }
    x86_set_reg(c, d, X86_RAX, size, lo);
    x86_set_reg(c, d, X86_RDX, size, hi);
}

static int divide_error(X86Cpu *c)
{
    x86_raise(c, X86_DE, false, 0);
    return X86_FAULT;
}

int x86_op_muldiv(X86Cpu *c, const X86Insn *d)
{
    unsigned size = d->opsize, bits = 8 * size;
    uint64_t src, m = x86_mask(size);
    if (!x86_rm_read(c, d, size, &src))
        return X86_FAULT;
    uint64_t a = x86_get_reg(c, d, X86_RAX, size);
    /* the dividend's high half: AH for bytes, rDX otherwise */
    uint64_t h = size == 1 ? (c->gpr[X86_RAX] >> 8) & 0xff : x86_get_reg(c, d, X86_RDX, size);
    switch (d->reg & 7) {
    case 4: {                                   /* MUL */
        unsigned __int128 p = (unsigned __int128)a * src;
        uint64_t lo = (uint64_t)p & m, hi = (uint64_t)(p >> bits) & m;
        set_pair(c, d, size, lo, hi);
        mul_flags(c, lo, size, hi != 0);
        break;
    }
    case 5: {                                   /* IMUL */
        __int128 p = (__int128)x86_sext(a, size) * x86_sext(src, size);
        uint64_t lo = (uint64_t)p & m, hi = (uint64_t)(p >> bits) & m;
        set_pair(c, d, size, lo, hi);
        mul_flags(c, lo, size, (__int128)x86_sext(lo, size) != p);
        break;
    }
    case 6: {                                   /* DIV */
        if (!(src & m))
            return divide_error(c);
        unsigned __int128 n = ((unsigned __int128)h << bits) | a;
        unsigned __int128 q = n / src;
        if (q > m)
            return divide_error(c);
        set_pair(c, d, size, (uint64_t)q, (uint64_t)(n % src));
        break;
    }
    default: {                                  /* IDIV */
        int64_t s = x86_sext(src, size);
        if (!s)
            return divide_error(c);
        __int128 n = (__int128)(((unsigned __int128)h << bits) | a);
        if (bits < 64)
            n = (__int128)x86_sext((uint64_t)n, 2 * size);   /* 2*size <= 8 bytes */
        /* the most negative 128-bit dividend over -1 overflows the host division too */
        if (s == -1 && bits == 64 && (unsigned __int128)n == (unsigned __int128)1 << 127)
            return divide_error(c);
        __int128 q = n / s, r = n % s;
        __int128 lim = (__int128)1 << (bits - 1);
        if (q >= lim || q < -lim)
            return divide_error(c);
        set_pair(c, d, size, (uint64_t)q & m, (uint64_t)r & m);
        break;
    }
    }
    return x86_retire(c, d);
}

/* The two- and three-operand IMUL's product of a and b (size bytes, signed): its low half,
 * *wide whether the whole did not fit in it (CF and OF) */
X86_INLINE uint64_t imul_low(uint64_t a, uint64_t b, unsigned size, bool *wide)
{
    __int128 p = (__int128)x86_sext(a, size) * x86_sext(b, size);
    uint64_t lo = (uint64_t)p & x86_mask(size);
    *wide = (__int128)x86_sext(lo, size) != p;
    return lo;
}

static int imul_to_reg(X86Cpu *c, const X86Insn *d, uint64_t a, uint64_t b)
{
    bool wide;
    uint64_t lo = imul_low(a, b, d->opsize, &wide);
    mul_flags(c, lo, d->opsize, wide);
    x86_set_reg(c, d, d->reg, d->opsize, lo);
    return x86_retire(c, d);
}

/* 0F AF: IMUL Gv, Ev */
int x86_op_imul2(X86Cpu *c, const X86Insn *d)
{
    uint64_t b;
    if (!x86_rm_read(c, d, d->opsize, &b))
        return X86_FAULT;
    return imul_to_reg(c, d, x86_get_reg(c, d, d->reg, d->opsize), b);
}

/* 69, 6B: IMUL Gv, Ev, imm */
int x86_op_imul3(X86Cpu *c, const X86Insn *d)
{
    uint64_t a;
    if (!x86_rm_read(c, d, d->opsize, &a))
        return X86_FAULT;
    return imul_to_reg(c, d, a, d->imm);
}

/* ---- specialised handlers (dcache.c's selectors in x86_decode_slow): IMUL Gv,Ev and
 * Gv,Ev,imm at size 4 or 8 ---- */
/* the product's low half into the register, its flags left pending (X86_LF_MUL) */
X86_INLINE int imul_lz(X86Cpu *c, const X86Insn *d, uint64_t a, uint64_t b, unsigned size)
{
    bool wide;
    uint64_t lo = imul_low(a, b, size, &wide);
    x86_lf_set(c, X86_LF_MUL, 0, wide, lo, size);
    x86_set_reg(c, d, d->reg, size, lo);
    return x86_next(c, d);
}
#define IMUL_FAST(SZ)                                                                         \
    static int imul2_##SZ(X86Cpu *restrict c, const X86Insn *restrict d)                      \
    {                                                                                         \
        uint64_t b;                                                                           \
        if (!x86_rm_read(c, d, SZ, &b))                                                       \
            return X86_FAULT;                                                                 \
        return imul_lz(c, d, x86_get_reg(c, d, d->reg, SZ), b, SZ);                           \
    }                                                                                         \
    static int imul3_##SZ(X86Cpu *restrict c, const X86Insn *restrict d)                      \
    {                                                                                         \
        uint64_t a;                                                                           \
        if (!x86_rm_read(c, d, SZ, &a))                                                       \
            return X86_FAULT;                                                                 \
        return imul_lz(c, d, a, d->imm, SZ);                                                  \
    }
IMUL_FAST(4) IMUL_FAST(8)

X86HandlerFn x86_fast_mul(X86Insn *d, bool *lazy)
{
    *lazy = true;             /* IMUL leaves all six pending, the earlier ones dropped */
    if (d->opsize != 4 && d->opsize != 8)
        return NULL;
    if (d->fn == x86_op_imul2)
        return d->opsize == 8 ? imul2_8 : imul2_4;
    if (d->fn == x86_op_imul3)
        return d->opsize == 8 ? imul3_8 : imul3_4;
    return NULL;
}
