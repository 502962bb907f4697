/* x86-64 shifts and rotates: ROL ROR RCL RCR SHL SHR SAL SAR (C0 C1 D0-D3), SHLD, SHRD.
 *
 * The count is masked to 5 bits (6 with a 64-bit operand); a masked count of 0 changes no
 * flag. Flags the SDM leaves undefined follow QEMU: OF is computed by the count-1 formula
 * for every count, AF is 0 after shifts, CF of SHL/SHR past the operand's width is the bit
 * the 64-bit shift leaves there (0). */
#include "cpu/x86_64/exec.h"

static unsigned count_of(const X86Cpu *c, const X86Insn *d)
{
    uint64_t n;
    switch (d->opcode) {
    case 0xd0: case 0xd1: n = 1; break;
    case 0xd2: case 0xd3: case 0xa5: case 0xad: n = c->gpr[X86_RCX]; break;
    default: n = d->imm; break;
    }
    return n & (d->opsize == 8 ? 63 : 31);
}

/* One shift or rotate of a (size bytes) by n (already masked, n > 0); sets the flags. */
X86_INLINE uint64_t shift(X86Cpu *c, unsigned kind, uint64_t a, unsigned n, unsigned size)
{
    unsigned bits = 8 * size;
    uint64_t m = x86_mask(size), sb = x86_sign_bit(size), r, t;
    uint32_t f;
    a &= m;
    switch (kind) {
    case 0:                                     /* ROL */
    case 1: {                                   /* ROR */
        unsigned k = n % bits;
        if (kind == 0)
            r = k ? ((a << k) | (a >> (bits - k))) & m : a;
        else
            r = k ? ((a >> k) | (a << (bits - k))) & m : a;
        bool cf = kind == 0 ? r & 1 : !!(r & sb);
        bool of = kind == 0 ? (!!(r & sb)) ^ cf : (!!(r & sb)) ^ (!!(r & (sb >> 1)));
        x86_set_flags(c, X86_CF | X86_OF, (cf ? X86_CF : 0) | (of ? X86_OF : 0));
        return r;
    }
    case 2:                                     /* RCL: rotate through CF, width bits+1 */
    case 3: {                                   /* RCR */
        unsigned k = n % (bits + 1);
        if (!k)
            return a;
        unsigned __int128 w = ((unsigned __int128)(c->rflags & X86_CF ? 1 : 0) << bits) | a;
        unsigned __int128 wm = ((unsigned __int128)1 << (bits + 1)) - 1;
        if (kind == 2)
            w = ((w << k) | (w >> (bits + 1 - k))) & wm;
        else
            w = ((w >> k) | (w << (bits + 1 - k))) & wm;
        r = (uint64_t)w & m;
        bool cf = (w >> bits) & 1;
        bool of = !!((a ^ r) & sb);
        x86_set_flags(c, X86_CF | X86_OF, (cf ? X86_CF : 0) | (of ? X86_OF : 0));
        return r;
    }
    case 4:                                     /* SHL */
    case 6:                                     /* SAL */
        t = n - 1 < 64 ? a << (n - 1) : 0;
        r = (t << 1) & m;
        f = x86_szp(r, size);
        if (t & sb)
            f |= X86_CF;
        if ((t ^ r) & sb)
            f |= X86_OF;
        break;
    case 5:                                     /* SHR */
        t = a >> (n - 1);
        r = t >> 1;
        f = x86_szp(r, size);
        if (t & 1)
            f |= X86_CF;
        if ((t ^ r) & sb)
            f |= X86_OF;
        break;
    default:                                    /* SAR */
        t = (uint64_t)(x86_sext(a, size) >> (n - 1));
        r = (uint64_t)((int64_t)t >> 1) & m;
        f = x86_szp(r, size);
        if (t & 1)
            f |= X86_CF;
        break;
    }
    x86_set_flags(c, X86_FLAGS_ARITH, f);
    return r;
}

/* C0 C1 D0 D1 D2 D3: the operation is ModRM.reg. */
int x86_op_shift(X86Cpu *c, const X86Insn *d)
{
    uint64_t a;
    if (!x86_rm_read_rmw(c, d, d->opsize, &a))
        return X86_FAULT;
    unsigned n = count_of(c, d);
    uint64_t saved = c->rflags;
    uint64_t r = n ? shift(c, d->reg & 7, a, n, d->opsize) : a;
    if (!x86_rm_write(c, d, d->opsize, r)) {
        c->rflags = saved;
        return X86_FAULT;
    }
    return x86_retire(c, d);
}

/* ---- specialised handlers (dcache.c): ROL, ROR, SHL, SHR, SAL, SAR of a register of size 4
 * or 8 by an immediate count (C1, and D1's 1: the cache's copy carries it in imm) or by CL
 * (D3) ----
 * A count that masks to 0 changes no flag and leaves pending lazy flags pending
 * (shift_flags_before says what any other does with them). */
/* Before a shift by a count that is not 0: ROL and ROR write CF and OF only, so pending flags
 * go into rflags first; the others write all six, so pending ones are dropped. */
X86_INLINE void shift_flags_before(X86Cpu *c, unsigned kind)
{
    if (kind < 2)
        x86_lf_flush(c);
    else
        c->lf_op = X86_LF_NONE;
}
#define SHIFT_FAST(KIND, SZ)                                                                  \
    static int shift_i_##KIND##_##SZ(X86Cpu *restrict c, const X86Insn *restrict d)           \
    {                                                                                         \
        shift_flags_before(c, KIND);                                                          \
        x86_set_reg(c, d, d->rm, SZ,                                                          \
                    shift(c, KIND, x86_get_reg(c, d, d->rm, SZ), (unsigned)d->imm, SZ));      \
        return x86_next(c, d);                                                                \
    }                                                                                         \
    static int shift_cl_##KIND##_##SZ(X86Cpu *restrict c, const X86Insn *restrict d)          \
    {                                                                                         \
        unsigned n = (unsigned)c->gpr[X86_RCX] & (SZ == 8 ? 63 : 31);                         \
        uint64_t a = x86_get_reg(c, d, d->rm, SZ);                                            \
        if (n) {                                                                              \
            shift_flags_before(c, KIND);                                                      \
            a = shift(c, KIND, a, n, SZ);                                                     \
        }                                                                                     \
        x86_set_reg(c, d, d->rm, SZ, a);                                                      \
        return x86_next(c, d);                                                                \
    }
#define SHIFT_FAST_K(KIND) SHIFT_FAST(KIND, 4) SHIFT_FAST(KIND, 8)
SHIFT_FAST_K(0) SHIFT_FAST_K(1) SHIFT_FAST_K(4) SHIFT_FAST_K(5) SHIFT_FAST_K(6) SHIFT_FAST_K(7)
#define SHIFT_ROW(KIND) { { shift_i_##KIND##_4, shift_cl_##KIND##_4 },                        \
                          { shift_i_##KIND##_8, shift_cl_##KIND##_8 } }
/* [kind: ROL ROR - - SHL SHR SAL SAR][size 4, 8][imm, CL]; RCL and RCR are the generic's */
static const X86HandlerFn shift_fast[8][2][2] = {
    SHIFT_ROW(0), SHIFT_ROW(1), { { NULL } }, { { NULL } },
    SHIFT_ROW(4), SHIFT_ROW(5), SHIFT_ROW(6), SHIFT_ROW(7),
};

X86HandlerFn x86_fast_shift(X86Insn *d, bool *lazy)
{
    unsigned kind = d->reg & 7;
    if (d->fn != x86_op_shift || d->mod != 3 || (d->opsize != 4 && d->opsize != 8) ||
        kind == 2 || kind == 3)
        return NULL;
    unsigned q = d->opsize == 8;
    if (d->opcode == 0xd3) {
        *lazy = true;
        return shift_fast[kind][q][1];
    }
    if (d->opcode != 0xc1 && d->opcode != 0xd1)
        return NULL;
    uint64_t n = (d->opcode == 0xd1 ? 1 : d->imm) & (q ? 63 : 31);
    if (!n)
        return NULL;          /* no flag changes: the generic handler */
    d->imm = n;
    *lazy = true;
    return shift_fast[kind][q][0];
}

/* SHLD/SHRD r/m, reg, count: the register's bits shift in. A count past a 16-bit operand's
 * width gives what QEMU gives: the destination:source:destination pattern shifted. */
static int double_shift(X86Cpu *c, const X86Insn *d, bool left)
{
    uint64_t a;
    if (!x86_rm_read_rmw(c, d, d->opsize, &a))
        return X86_FAULT;
    unsigned n = count_of(c, d), size = d->opsize, bits = 8 * size;
    uint64_t b = x86_get_reg(c, d, d->reg, size), m = x86_mask(size), sb = x86_sign_bit(size);
    uint64_t saved = c->rflags, r = a;
    if (n) {
        unsigned __int128 w, t;
        uint32_t f;
        if (left) {
            /* a:b:a (the 16-bit case can shift past b into a again) */
            w = size == 8 ? ((unsigned __int128)a << 64) | b
                          : ((unsigned __int128)a << (2 * bits)) | ((unsigned __int128)b << bits) | a;
            t = w << (n - 1);
            unsigned top = size == 8 ? 127 : 3 * bits - 1;
            r = (uint64_t)((t << 1) >> (top + 1 - bits)) & m;
            f = x86_szp(r, size);
            if ((t >> top) & 1)
                f |= X86_CF;
        } else {
            w = size == 8 ? ((unsigned __int128)b << 64) | a
                          : ((unsigned __int128)a << (2 * bits)) | ((unsigned __int128)b << bits) | a;
            t = w >> (n - 1);
            r = (uint64_t)(t >> 1) & m;
            f = x86_szp(r, size);
            if (t & 1)
                f |= X86_CF;
        }
        if ((a ^ r) & sb)
            f |= X86_OF;
        x86_set_flags(c, X86_FLAGS_ARITH, f);
    }
    if (!x86_rm_write(c, d, size, r)) {
        c->rflags = saved;
        return X86_FAULT;
    }
    return x86_retire(c, d);
}

int x86_op_shld(X86Cpu *c, const X86Insn *d) { return double_shift(c, d, true); }
int x86_op_shrd(X86Cpu *c, const X86Insn *d) { return double_shift(c, d, false); }
