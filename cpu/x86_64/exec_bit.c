/* x86-64 bit operations: BT/BTS/BTR/BTC, BSF/BSR, TZCNT/LZCNT, POPCNT, BSWAP, SETcc,
 * CMOVcc.
 *
 * Undefined flags: after BT* only CF is defined (the others are left as they were); after
 * BSF/BSR only ZF (the others follow QEMU: those of a logic operation on the source); after
 * TZCNT/LZCNT only CF and ZF (the others are cleared). */
#include "cpu/x86_64/exec.h"
#include "cpu/x86_64/sys_internal.h"

/* 0F A3/AB/B3/BB (bit offset in a register) and 0F BA /4-/7 (immediate). */
int x86_op_bt(X86Cpu *c, const X86Insn *d)
{
    unsigned size = d->opsize, bits = 8 * size;
    unsigned kind;                    /* 0 BT, 1 BTS, 2 BTR, 3 BTC */
    int64_t off;
    if (d->opcode == 0xba) {
        kind = (d->reg & 7) - 4;
        off = (int64_t)(d->imm & (bits - 1));
    } else {
        kind = (d->opcode >> 3) & 3;
        off = x86_sext(x86_get_reg(c, d, d->reg, size), size);
    }
    uint64_t v, addr = 0;
    unsigned bit;
    if (d->mod == 3) {
        bit = off & (bits - 1);
        v = x86_get_reg(c, d, d->rm, size);
    } else {
        /* a register offset addresses memory beyond the operand: (off / bits) units away */
        /* (an arithmetic shift floors, also for the most negative offset) */
        int64_t unit = off >> (size == 8 ? 6 : size == 4 ? 5 : 4);
        bit = (unsigned)off & (bits - 1);
        addr = x86_trunc(x86_ea(c, d) + (uint64_t)unit * size, d->addrsize);
        bool ok = kind ? x86_read_rmw(c, d->seg, addr, size, &v)
                       : x86_read(c, d->seg, addr, size, &v);
        if (!ok)
            return X86_FAULT;
    }
    bool cf = (v >> bit) & 1;
    uint64_t r = v;
    switch (kind) {
    case 1: r |= 1ull << bit; break;
    case 2: r &= ~(1ull << bit); break;
    case 3: r ^= 1ull << bit; break;
    default: break;
    }
    if (kind) {
        if (d->mod == 3)
            x86_set_reg(c, d, d->rm, size, r);
        else if (!x86_write(c, d->seg, addr, size, r))
            return X86_FAULT;
    }
    x86_set_flags(c, X86_CF, cf ? X86_CF : 0);
    return x86_retire(c, d);
}

static int bit_scan(X86Cpu *c, const X86Insn *d, bool reverse)
{
    uint64_t v;
    if (!x86_rm_read(c, d, d->opsize, &v))
        return X86_FAULT;
    v &= x86_mask(d->opsize);
    x86_set_flags(c, X86_FLAGS_ARITH, x86_logic_flags(v, d->opsize));
    /* a zero source leaves the destination's value, but a 32-bit one is still written
     * (zero-extended), as on Intel parts and in QEMU */
    uint64_t r = x86_get_reg(c, d, d->reg, d->opsize);
    if (v)
        r = reverse ? 63 - (unsigned)__builtin_clzll(v) : (unsigned)__builtin_ctzll(v);
    x86_set_reg(c, d, d->reg, d->opsize, r);
    return x86_retire(c, d);
}
int x86_op_bsf(X86Cpu *c, const X86Insn *d) { return bit_scan(c, d, false); }
int x86_op_bsr(X86Cpu *c, const X86Insn *d) { return bit_scan(c, d, true); }

static int count_zeros(X86Cpu *c, const X86Insn *d, bool leading)
{
    uint64_t v;
    unsigned bits = 8 * d->opsize, n;
    if (!x86_rm_read(c, d, d->opsize, &v))
        return X86_FAULT;
    v &= x86_mask(d->opsize);
    if (!v)
        n = bits;
    else
        n = leading ? (unsigned)__builtin_clzll(v) - (64 - bits) : (unsigned)__builtin_ctzll(v);
    x86_set_flags(c, X86_FLAGS_ARITH, (v ? 0 : X86_CF) | (n ? 0 : X86_ZF));
    x86_set_reg(c, d, d->reg, d->opsize, n);
    return x86_retire(c, d);
}
/* F3 0F BC: TZCNT where BMI1 is advertised, else BSF with an ignored REP prefix (SDM TZCNT:
 * "on processors that do not support TZCNT, the instruction byte encoding is executed as
 * BSF") */
int x86_op_tzcnt(X86Cpu *c, const X86Insn *d)
{
    if (!(c->model->f7_ebx & X86_F7_EBX_BMI1))
        return x86_op_bsf(c, d);
    return count_zeros(c, d, false);
}
int x86_op_lzcnt(X86Cpu *c, const X86Insn *d) { return count_zeros(c, d, true); }

/* F3 0F B8: ZF = source is zero, the other flags cleared */
int x86_op_popcnt(X86Cpu *c, const X86Insn *d)
{
    uint64_t v;
    if (!x86_rm_read(c, d, d->opsize, &v))
        return X86_FAULT;
    v &= x86_mask(d->opsize);
    x86_set_flags(c, X86_FLAGS_ARITH, v ? 0 : X86_ZF);
    x86_set_reg(c, d, d->reg, d->opsize, (uint64_t)__builtin_popcountll(v));
    return x86_retire(c, d);
}

/* 0F C8+r. With a 16-bit operand (undefined) the low word becomes 0, as on Intel parts. */
int x86_op_bswap(X86Cpu *c, const X86Insn *d)
{
    uint64_t v = c->gpr[d->reg];
    if (d->opsize == 8)
        v = __builtin_bswap64(v);
    else if (d->opsize == 4)
        v = __builtin_bswap32((uint32_t)v);
    else
        v = 0;
    x86_set_reg(c, d, d->reg, d->opsize, v);
    return x86_retire(c, d);
}

/* 0F 90-9F */
int x86_op_setcc(X86Cpu *c, const X86Insn *d)
{
    if (!x86_rm_write(c, d, 1, x86_cond_now(c, d->opcode & 15)))
        return X86_FAULT;
    return x86_retire(c, d);
}

/* 0F 40-4F: the source is read (and may fault) whatever the condition; a 32-bit
 * destination is zero-extended even when the condition is false. */
int x86_op_cmovcc(X86Cpu *c, const X86Insn *d)
{
    uint64_t v;
    if (!x86_rm_read(c, d, d->opsize, &v))
        return X86_FAULT;
    if (!x86_cond_now(c, d->opcode & 15))
        v = x86_get_reg(c, d, d->reg, d->opsize);
    x86_set_reg(c, d, d->reg, d->opsize, v);
    return x86_retire(c, d);
}

/* ---- specialised handlers (dcache.c): CMOVcc at size 4 or 8 and SETcc of a register, the
 * condition fixed; they read pending lazy flags (x86_cond_now) ---- */
#define CMOV_FAST(CC, SZ)                                                                     \
    static int cmov_##CC##_##SZ##_r(X86Cpu *restrict c, const X86Insn *restrict d)            \
    {                                                                                         \
        unsigned src = x86_cond_now(c, CC) ? d->rm : d->reg;                                  \
        x86_set_reg(c, d, d->reg, SZ, x86_get_reg(c, d, src, SZ));                            \
        return x86_next(c, d);                                                                \
    }                                                                                         \
    static int cmov_##CC##_##SZ##_m(X86Cpu *restrict c, const X86Insn *restrict d)            \
    {                                                                                         \
        uint64_t v;                                                                           \
        if (!x86_read(c, d->seg, x86_ea(c, d), SZ, &v))                                       \
            return X86_FAULT;                                                                 \
        if (!x86_cond_now(c, CC))                                                             \
            v = x86_get_reg(c, d, d->reg, SZ);                                                \
        x86_set_reg(c, d, d->reg, SZ, v);                                                     \
        return x86_next(c, d);                                                                \
    }
#define SETCC_FAST(CC)                                                                        \
    static int setcc_##CC##_r(X86Cpu *restrict c, const X86Insn *restrict d)                  \
    {                                                                                         \
        x86_set_reg(c, d, d->rm, 1, x86_cond_now(c, CC));                                     \
        return x86_next(c, d);                                                                \
    }
#define COND_FAST(CC) CMOV_FAST(CC, 4) CMOV_FAST(CC, 8) SETCC_FAST(CC)
COND_FAST(0) COND_FAST(1) COND_FAST(2) COND_FAST(3) COND_FAST(4) COND_FAST(5) COND_FAST(6)
COND_FAST(7) COND_FAST(8) COND_FAST(9) COND_FAST(10) COND_FAST(11) COND_FAST(12)
COND_FAST(13) COND_FAST(14) COND_FAST(15)
#define COND_ROW(CC) { { cmov_##CC##_4_r, cmov_##CC##_4_m }, { cmov_##CC##_8_r, cmov_##CC##_8_m } }
static const X86HandlerFn cmov_fast[16][2][2] = {
    COND_ROW(0), COND_ROW(1), COND_ROW(2), COND_ROW(3), COND_ROW(4), COND_ROW(5),
    COND_ROW(6), COND_ROW(7), COND_ROW(8), COND_ROW(9), COND_ROW(10), COND_ROW(11),
    COND_ROW(12), COND_ROW(13), COND_ROW(14), COND_ROW(15),
};
static const X86HandlerFn setcc_fast[16] = {
    setcc_0_r, setcc_1_r, setcc_2_r, setcc_3_r, setcc_4_r, setcc_5_r, setcc_6_r, setcc_7_r,
    setcc_8_r, setcc_9_r, setcc_10_r, setcc_11_r, setcc_12_r, setcc_13_r, setcc_14_r,
    setcc_15_r,
};

X86HandlerFn x86_fast_cond(X86Insn *d, bool *lazy)
{
    if (d->fn == x86_op_cmovcc && (d->opsize == 4 || d->opsize == 8)) {
        *lazy = true;
        return cmov_fast[d->opcode & 15][d->opsize == 8][d->mod != 3];
    }
    if (d->fn == x86_op_setcc && d->mod == 3) {
        *lazy = true;
        return setcc_fast[d->opcode & 15];
    }
    return NULL;
}

/* ---- BMI1 and BMI2 (VEX-encoded; 32-bit operands, 64-bit with VEX.W in 64-bit mode;
 * VEX.L must be 0). vvvv names the extra register. Undefined flags: AF and PF cleared, as
 * QEMU does. ---- */

static uint64_t pdep(uint64_t src, uint64_t mask)
{
    uint64_t r = 0;
    for (unsigned i = 0, k = 0; i < 64; i++)
        if (mask >> i & 1)
            r |= ((src >> k++) & 1) << i;
    return r;
}

static uint64_t pext(uint64_t src, uint64_t mask)
{
    uint64_t r = 0;
    for (unsigned i = 0, k = 0; i < 64; i++)
        if (mask >> i & 1)
            r |= ((src >> i) & 1) << k++;
    return r;
}

int x86_op_bmi(X86Cpu *c, const X86Insn *d)
{
    /* ANDN, BLSR/BLSMSK/BLSI and BEXTR are BMI1; the rest BMI2: #UD where not advertised */
    bool bmi1 = d->map == 2 && d->vex_pp == 0 && (d->opcode == 0xf2 || d->opcode == 0xf3 ||
                                                   d->opcode == 0xf7);
    uint32_t need = bmi1 ? X86_F7_EBX_BMI1 : X86_F7_EBX_BMI2;
    if (d->vex_l || !(c->model->f7_ebx & need))
        return x86_ud(c);
    unsigned size = d->rex & 8 ? 8 : 4, bits = 8 * size;
    uint64_t m = x86_mask(size), src, v = x86_get_reg(c, d, d->vvvv, size), r = 0;
    if (!x86_rm_read(c, d, size, &src))
        return X86_FAULT;
    uint32_t f = 0;
    bool flags = true;
    unsigned dest = d->reg;
    switch (d->map == 3 ? 0x100 | d->opcode : (d->vex_pp << 8) | d->opcode) {
    case 0xf2:                                       /* ANDN: ~vvvv & r/m */
        r = ~v & src & m;
        f = x86_szp(r, size) & (X86_SF | X86_ZF);
        break;
    case 0xf3:                                       /* BLSR, BLSMSK, BLSI into vvvv */
        dest = d->vvvv;
        switch (d->reg & 7) {
        case 1: r = src & (src - 1); f = x86_szp(r & m, size) & (X86_SF | X86_ZF); break;
        case 2: r = src ^ (src - 1); f = x86_szp(r & m, size) & X86_SF; break;
        default: r = src & (0 - src); f = x86_szp(r & m, size) & (X86_SF | X86_ZF); break;
        }
        r &= m;
        if ((d->reg & 7) == 3 ? src != 0 : src == 0)
            f |= X86_CF;
        break;
    case 0xf7: {                                     /* BEXTR: start vvvv[7:0], length [15:8] */
        unsigned start = v & 0xff, len = (v >> 8) & 0xff;
        r = start < bits ? src >> start : 0;
        if (len < bits)
            r &= (1ull << len) - 1;
        f = r ? 0 : X86_ZF;
        break;
    }
    case 0xf5: {                                     /* BZHI: bits from vvvv[7:0] up cleared */
        unsigned n = v & 0xff;
        r = n < bits ? src & ((1ull << n) - 1) : src;
        f = x86_szp(r, size) & (X86_SF | X86_ZF);
        if (n > bits - 1)
            f |= X86_CF;
        break;
    }
    case 0x2f5: r = pext(v, src) & m; flags = false; break;          /* PEXT (F3) */
    case 0x3f5: r = pdep(v, src) & m; flags = false; break;          /* PDEP (F2) */
    case 0x3f6: {                                    /* MULX: rDX * r/m, high to reg, low to vvvv */
        unsigned __int128 p = (unsigned __int128)x86_get_reg(c, d, X86_RDX, size) * src;
        uint64_t lo = (uint64_t)p & m, hi = (uint64_t)(p >> bits) & m;
        x86_set_reg(c, d, d->vvvv, size, lo);
        x86_set_reg(c, d, d->reg, size, hi);         /* the high half wins if they are one */
        return x86_retire(c, d);
    }
    case 0x1f7: case 0x2f7: case 0x3f7: {            /* SHLX (66), SARX (F3), SHRX (F2) */
        unsigned n = v & (bits - 1);
        if (d->vex_pp == 1)
            r = (src << n) & m;
        else if (d->vex_pp == 2)
            r = (uint64_t)(x86_sext(src, size) >> n) & m;
        else
            r = src >> n;
        flags = false;
        break;
    }
    case 0x1f0: {                                    /* RORX (0F3A F0, F2): by the immediate */
        if (d->vvvv)
            return x86_ud(c);                        /* VEX.vvvv must be 1111b */
        unsigned n = d->imm & (bits - 1);
        r = n ? ((src >> n) | (src << (bits - n))) & m : src;
        flags = false;
        break;
    }
    default:
        return x86_ud(c);
    }
    if (flags)
        x86_set_flags(c, X86_FLAGS_ARITH, f);
    x86_set_reg(c, d, dest, size, r);
    return x86_retire(c, d);
}
