/* x86-64 bit operations: BT/BTS/BTR/BTC, BSF/BSR, TZCNT/LZCNT, POPCNT, BSWAP, SETcc,
 * CMOVcc.
 *
 * Undefined flags: after BT* only CF is defined (the others are left as they were); after
 * BSF/BSR only ZF (the others follow QEMU: those of a logic operation on the source); after
 * TZCNT/LZCNT only CF and ZF (the others are cleared). */
#include "cpu/x86_64/exec.h"

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
int x86_op_tzcnt(X86Cpu *c, const X86Insn *d) { return count_zeros(c, d, false); }
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
    if (!x86_rm_write(c, d, 1, x86_cond(c, d->opcode & 15)))
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
    if (!x86_cond(c, d->opcode & 15))
        v = x86_get_reg(c, d, d->reg, d->opsize);
    x86_set_reg(c, d, d->reg, d->opsize, v);
    return x86_retire(c, d);
}
