/* x86-64 data movement: MOV in its forms, LEA, MOVZX/MOVSX/MOVSXD, XCHG, XADD, CMPXCHG,
 * CMPXCHG8B/16B, MOVBE, CBW/CWD and their wider forms, XLAT, LAHF/SAHF, the flag
 * instructions (CLC STC CMC CLD STD), PUSHF/POPF, NOP and PAUSE, UD0/UD1/UD2.
 *
 * LOCK: a single core runs each instruction atomically, so a LOCK'd read-modify-write needs
 * nothing more than its plain form (the decoder has already refused LOCK elsewhere). */
#include "cpu/x86_64/exec.h"

/* 88 89 8A 8B */
int x86_op_mov(X86Cpu *c, const X86Insn *d)
{
    uint64_t v;
    if (d->opcode & 2) {
        if (!x86_rm_read(c, d, d->opsize, &v))
            return X86_FAULT;
        x86_set_reg(c, d, d->reg, d->opsize, v);
    } else if (!x86_rm_write(c, d, d->opsize, x86_get_reg(c, d, d->reg, d->opsize))) {
        return X86_FAULT;
    }
    return x86_retire(c, d);
}

/* A0-A3: the offset is the immediate (d->disp), in the segment the prefixes give */
int x86_op_mov_moffs(X86Cpu *c, const X86Insn *d)
{
    uint64_t v, off = x86_trunc((uint64_t)d->disp, d->addrsize);
    if (d->opcode & 2) {
        if (!x86_write(c, d->seg, off, d->opsize, x86_get_reg(c, d, X86_RAX, d->opsize)))
            return X86_FAULT;
    } else {
        if (!x86_read(c, d->seg, off, d->opsize, &v))
            return X86_FAULT;
        x86_set_reg(c, d, X86_RAX, d->opsize, v);
    }
    return x86_retire(c, d);
}

/* B0-BF */
int x86_op_mov_imm_r(X86Cpu *c, const X86Insn *d)
{
    x86_set_reg(c, d, d->reg, d->opsize, d->imm);
    return x86_retire(c, d);
}

/* C6 /0, C7 /0 */
int x86_op_mov_imm(X86Cpu *c, const X86Insn *d)
{
    if (!x86_rm_write(c, d, d->opsize, d->imm))
        return X86_FAULT;
    return x86_retire(c, d);
}

/* 8D: the offset, truncated to the operand size */
int x86_op_lea(X86Cpu *c, const X86Insn *d)
{
    x86_set_reg(c, d, d->reg, d->opsize, x86_ea(c, d));
    return x86_retire(c, d);
}

/* 0F B6/B7 (zero) and 0F BE/BF (sign): the source is a byte (B6, BE) or a word */
static int extend(X86Cpu *c, const X86Insn *d, bool sign)
{
    unsigned ss = d->opcode & 1 ? 2 : 1;
    uint64_t v;
    if (!x86_rm_read(c, d, ss, &v))
        return X86_FAULT;
    if (sign)
        v = (uint64_t)x86_sext(v, ss);
    x86_set_reg(c, d, d->reg, d->opsize, v);
    return x86_retire(c, d);
}
int x86_op_movzx(X86Cpu *c, const X86Insn *d) { return extend(c, d, false); }
int x86_op_movsx(X86Cpu *c, const X86Insn *d) { return extend(c, d, true); }

/* 63 in 64-bit mode: MOVSXD Gv, Ed (without REX.W a plain 32- or 16-bit move) */
int x86_op_movsxd(X86Cpu *c, const X86Insn *d)
{
    uint64_t v;
    unsigned ss = d->opsize == 8 ? 4 : d->opsize;
    if (!x86_rm_read(c, d, ss, &v))
        return X86_FAULT;
    x86_set_reg(c, d, d->reg, d->opsize, (uint64_t)x86_sext(v, ss));
    return x86_retire(c, d);
}

/* 86, 87: memory first (it may fault), then the register */
int x86_op_xchg(X86Cpu *c, const X86Insn *d)
{
    uint64_t a, b = x86_get_reg(c, d, d->reg, d->opsize);
    if (!x86_rm_read_rmw(c, d, d->opsize, &a) || !x86_rm_write(c, d, d->opsize, b))
        return X86_FAULT;
    x86_set_reg(c, d, d->reg, d->opsize, a);
    return x86_retire(c, d);
}

/* 90-97: XCHG rAX, r; 90 itself (without REX.B) is NOP, and PAUSE with F3 */
int x86_op_xchg_rax(X86Cpu *c, const X86Insn *d)
{
    if (d->reg != X86_RAX) {
        uint64_t a = x86_get_reg(c, d, X86_RAX, d->opsize);
        x86_set_reg(c, d, X86_RAX, d->opsize, x86_get_reg(c, d, d->reg, d->opsize));
        x86_set_reg(c, d, d->reg, d->opsize, a);
    }
    return x86_retire(c, d);
}

/* 98: CBW / CWDE / CDQE */
int x86_op_cbw(X86Cpu *c, const X86Insn *d)
{
    unsigned half = d->opsize / 2;
    x86_set_reg(c, d, X86_RAX, d->opsize,
                (uint64_t)x86_sext(x86_get_reg(c, d, X86_RAX, half), half));
    return x86_retire(c, d);
}

/* 99: CWD / CDQ / CQO */
int x86_op_cwd(X86Cpu *c, const X86Insn *d)
{
    bool neg = x86_get_reg(c, d, X86_RAX, d->opsize) & x86_sign_bit(d->opsize);
    x86_set_reg(c, d, X86_RDX, d->opsize, neg ? ~0ull : 0);
    return x86_retire(c, d);
}

/* 9E: SF ZF AF PF CF from AH */
int x86_op_sahf(X86Cpu *c, const X86Insn *d)
{
    uint32_t m = X86_SF | X86_ZF | X86_AF | X86_PF | X86_CF;
    x86_set_flags(c, m, (uint32_t)(c->gpr[X86_RAX] >> 8));
    return x86_retire(c, d);
}

/* 9F: AH = SF ZF 0 AF 0 PF 1 CF */
int x86_op_lahf(X86Cpu *c, const X86Insn *d)
{
    uint64_t ah = (c->rflags & (X86_SF | X86_ZF | X86_AF | X86_PF | X86_CF)) | 2;
    c->gpr[X86_RAX] = (c->gpr[X86_RAX] & ~0xff00ull) | (ah << 8);
    return x86_retire(c, d);
}

/* D7: AL = [seg: rBX + AL] */
int x86_op_xlat(X86Cpu *c, const X86Insn *d)
{
    uint64_t v;
    uint64_t off = x86_trunc(c->gpr[X86_RBX] + (c->gpr[X86_RAX] & 0xff), d->addrsize);
    if (!x86_read(c, d->seg, off, 1, &v))
        return X86_FAULT;
    x86_set_reg(c, d, X86_RAX, 1, v);
    return x86_retire(c, d);
}

/* 0F C0/C1: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP */
int x86_op_xadd(X86Cpu *c, const X86Insn *d)
{
    uint64_t a, b = x86_get_reg(c, d, d->reg, d->opsize);
    uint32_t f;
    if (!x86_rm_read_rmw(c, d, d->opsize, &a))
        return X86_FAULT;
    uint64_t r = x86_add_flags(a, b, 0, d->opsize, &f);
    if (d->mod != 3 && !x86_write(c, d->seg, x86_ea(c, d), d->opsize, r))
        return X86_FAULT;
    x86_set_reg(c, d, d->reg, d->opsize, a);
    if (d->mod == 3)
        x86_set_reg(c, d, d->rm, d->opsize, r);
    x86_set_flags(c, X86_FLAGS_ARITH, f);
    return x86_retire(c, d);
}

/* 0F B0/B1: flags of rAX - DEST; equal: DEST = SRC; else rAX = DEST. A memory destination
 * is written either way (its own value back, as the locked cycle does); a register
 * destination only when equal, so a failing 32-bit CMPXCHG leaves its upper half (as QEMU
 * does); the accumulator only when they differ. */
int x86_op_cmpxchg(X86Cpu *c, const X86Insn *d)
{
    unsigned size = d->opsize;
    uint64_t dst, acc = x86_get_reg(c, d, X86_RAX, size);
    uint32_t f;
    if (!x86_rm_read_rmw(c, d, size, &dst))
        return X86_FAULT;
    x86_sub_flags(acc, dst, 0, size, &f);
    bool eq = f & X86_ZF;
    if ((eq || d->mod != 3) &&
        !x86_rm_write(c, d, size, eq ? x86_get_reg(c, d, d->reg, size) : dst))
        return X86_FAULT;
    if (!eq)
        x86_set_reg(c, d, X86_RAX, size, dst);
    x86_set_flags(c, X86_FLAGS_ARITH, f);
    return x86_retire(c, d);
}

/* 0F C7 /1: CMPXCHG8B m64, or CMPXCHG16B m128 with REX.W (#GP unless 16-byte aligned).
 * Only ZF changes. */
int x86_op_cmpxchg8b(X86Cpu *c, const X86Insn *d)
{
    unsigned half = d->opsize == 8 ? 8 : 4;
    uint64_t ea = x86_ea(c, d), lo, hi;
    if (half == 8 && (ea & 15)) {
        x86_raise(c, X86_GP, true, 0);
        return X86_FAULT;
    }
    if (!x86_read_rmw(c, d->seg, ea, half, &lo) ||
        !x86_read_rmw(c, d->seg, x86_trunc(ea + half, d->addrsize), half, &hi))
        return X86_FAULT;
    uint64_t m = x86_mask(half);
    bool eq = lo == (c->gpr[X86_RAX] & m) && hi == (c->gpr[X86_RDX] & m);
    uint64_t nlo = eq ? c->gpr[X86_RBX] & m : lo, nhi = eq ? c->gpr[X86_RCX] & m : hi;
    if (!x86_write(c, d->seg, ea, half, nlo) ||
        !x86_write(c, d->seg, x86_trunc(ea + half, d->addrsize), half, nhi))
        return X86_FAULT;
    if (!eq) {
        x86_set_reg(c, d, X86_RAX, half, lo);
        x86_set_reg(c, d, X86_RDX, half, hi);
    }
    x86_set_flags(c, X86_ZF, eq ? X86_ZF : 0);
    return x86_retire(c, d);
}

/* 0F 38 F0/F1: MOVBE (memory only) */
int x86_op_movbe(X86Cpu *c, const X86Insn *d)
{
    unsigned size = d->opsize;
    uint64_t v;
    if (d->opcode == 0xf0) {
        if (!x86_rm_read(c, d, size, &v))
            return X86_FAULT;
    } else {
        v = x86_get_reg(c, d, d->reg, size);
    }
    v = size == 8 ? __builtin_bswap64(v) : size == 4 ? __builtin_bswap32((uint32_t)v)
                                                     : __builtin_bswap16((uint16_t)v);
    if (d->opcode == 0xf0)
        x86_set_reg(c, d, d->reg, size, v);
    else if (!x86_rm_write(c, d, size, v))
        return X86_FAULT;
    return x86_retire(c, d);
}

/* F5 CMC, F8 CLC, F9 STC, FC CLD, FD STD */
int x86_op_flagop(X86Cpu *c, const X86Insn *d)
{
    switch (d->opcode) {
    case 0xf5: c->rflags ^= X86_CF; break;
    case 0xf8: c->rflags &= ~(uint64_t)X86_CF; break;
    case 0xf9: c->rflags |= X86_CF; break;
    case 0xfc: c->rflags &= ~(uint64_t)X86_DF; break;
    default: c->rflags |= X86_DF; break;
    }
    return x86_retire(c, d);
}

/* 9C: the image has VM and RF clear. (Virtual-8086 mode with IOPL < 3 is #GP(0).) */
int x86_op_pushf(X86Cpu *c, const X86Insn *d)
{
    if ((c->rflags & X86_VM) && ((c->rflags & X86_IOPL) >> 12) < 3) {
        x86_raise(c, X86_GP, true, 0);
        return X86_FAULT;
    }
    uint64_t v = c->rflags & ~(uint64_t)(X86_VM | X86_RF);
    if (!x86_push(c, d->opsize, v & x86_mask(d->opsize)))
        return X86_FAULT;
    return x86_retire(c, d);
}

/* 9D (SDM POPF): the arithmetic flags, TF, DF, NT always; AC and ID with a 32/64-bit
 * operand; IOPL only at CPL 0 (or in real mode); IF only when CPL <= IOPL (or in real
 * mode); otherwise those stay silently. RF is cleared, VM, VIF and VIP stay. Virtual-8086
 * mode with IOPL < 3 is #GP(0). */
int x86_op_popf(X86Cpu *c, const X86Insn *d)
{
    unsigned iopl = (c->rflags & X86_IOPL) >> 12;
    bool real = !(c->cr0 & X86_CR0_PE), v86 = c->rflags & X86_VM;
    if (v86 && iopl < 3) {
        x86_raise(c, X86_GP, true, 0);
        return X86_FAULT;
    }
    uint64_t v;
    if (!x86_pop(c, d->opsize, &v))
        return X86_FAULT;
    uint64_t m = X86_FLAGS_ARITH | X86_TF | X86_DF | X86_NT;
    if (d->opsize > 2)
        m |= X86_AC | X86_ID;
    if (real || (!v86 && c->cpl == 0))
        m |= X86_IOPL;
    if (real || v86 || c->cpl <= iopl)
        m |= X86_IF;
    m &= x86_mask(d->opsize);
    uint64_t old = c->rflags;
    c->rflags = ((c->rflags & ~m) | (v & m) | 2) & ~(uint64_t)X86_RF;
    x86_rflags_written(c, old);
    return x86_retire(c, d);
}

/* 0F 0D, 0F 18-1F: hints and multi-byte NOPs (ENDBR64 among them) */
int x86_op_nop(X86Cpu *c, const X86Insn *d)
{
    return x86_retire(c, d);
}

/* 0F 0B UD2, 0F B9 UD1, 0F FF UD0 */
int x86_op_ud(X86Cpu *c, const X86Insn *d)
{
    return x86_ud(c);
}

/* ---- specialised handlers (dcache.c's selectors in x86_decode_slow): MOV 88/8A/89/8B,
 * MOVZX/MOVSX, LEA ---- */
#define MOV_FAST(SZ)                                                                          \
    static int mov_ev_gv_##SZ##_r(X86Cpu *restrict c, const X86Insn *restrict d)              \
    {                                                                                         \
        x86_set_reg(c, d, d->rm, SZ, x86_get_reg(c, d, d->reg, SZ));                          \
        return x86_next(c, d);                                                                \
    }                                                                                         \
    static int mov_gv_ev_##SZ##_r(X86Cpu *restrict c, const X86Insn *restrict d)              \
    {                                                                                         \
        x86_set_reg(c, d, d->reg, SZ, x86_get_reg(c, d, d->rm, SZ));                          \
        return x86_next(c, d);                                                                \
    }                                                                                         \
    static int mov_ev_gv_##SZ##_m(X86Cpu *restrict c, const X86Insn *restrict d)              \
    {                                                                                         \
        if (!x86_write(c, d->seg, x86_ea(c, d), SZ, x86_get_reg(c, d, d->reg, SZ)))           \
            return X86_FAULT;                                                                 \
        return x86_next(c, d);                                                                \
    }                                                                                         \
    static int mov_gv_ev_##SZ##_m(X86Cpu *restrict c, const X86Insn *restrict d)              \
    {                                                                                         \
        uint64_t v;                                                                           \
        if (!x86_read(c, d->seg, x86_ea(c, d), SZ, &v))                                       \
            return X86_FAULT;                                                                 \
        x86_set_reg(c, d, d->reg, SZ, v);                                                     \
        return x86_next(c, d);                                                                \
    }
MOV_FAST(1) MOV_FAST(2) MOV_FAST(4) MOV_FAST(8)

/* MOVZX/MOVSX from a byte (SS 1) or word (SS 2) to a register of size 4 or 8 */
#define EXT_FAST(NAME, SIGN, SS, SZ)                                                          \
    static int NAME##_##SS##_##SZ##_r(X86Cpu *restrict c, const X86Insn *restrict d)          \
    {                                                                                         \
        uint64_t v = x86_get_reg(c, d, d->rm, SS);                                            \
        x86_set_reg(c, d, d->reg, SZ, SIGN ? (uint64_t)x86_sext(v, SS) : v);                  \
        return x86_next(c, d);                                                                \
    }                                                                                         \
    static int NAME##_##SS##_##SZ##_m(X86Cpu *restrict c, const X86Insn *restrict d)          \
    {                                                                                         \
        uint64_t v;                                                                           \
        if (!x86_read(c, d->seg, x86_ea(c, d), SS, &v))                                       \
            return X86_FAULT;                                                                 \
        x86_set_reg(c, d, d->reg, SZ, SIGN ? (uint64_t)x86_sext(v, SS) : v);                  \
        return x86_next(c, d);                                                                \
    }
#define EXT_FAST_SS(SS, SZ) EXT_FAST(movzx, false, SS, SZ) EXT_FAST(movsx, true, SS, SZ)
EXT_FAST_SS(1, 4) EXT_FAST_SS(1, 8) EXT_FAST_SS(2, 4) EXT_FAST_SS(2, 8)
/* [sign][source word][size 8][memory] */
#define EXT_ROW(NAME, SS) { { NAME##_##SS##_4_r, NAME##_##SS##_4_m },                         \
                            { NAME##_##SS##_8_r, NAME##_##SS##_8_m } }
static const X86HandlerFn ext_fast[2][2][2][2] = {
    { EXT_ROW(movzx, 1), EXT_ROW(movzx, 2) },
    { EXT_ROW(movsx, 1), EXT_ROW(movsx, 2) },
};

/* LEA with a 64-bit address: the register gets the address (truncated to 32 bits at size 4) */
static int lea_8(X86Cpu *restrict c, const X86Insn *restrict d)
{
    c->gpr[d->reg] = x86_ea(c, d);
    return x86_next(c, d);
}
static int lea_4(X86Cpu *restrict c, const X86Insn *restrict d)
{
    c->gpr[d->reg] = (uint32_t)x86_ea(c, d);
    return x86_next(c, d);
}

/* B0-BF: MOV reg, imm; 90 without REX.B (NOP, PAUSE) and the other no-operations */
static int mov_imm_r_k(X86Cpu *restrict c, const X86Insn *restrict d)
{
    x86_set_reg(c, d, d->reg, d->opsize, d->imm);
    return x86_next(c, d);
}

/* C6 /0, C7 /0: MOV r/m, imm */
static int mov_imm_rm_k(X86Cpu *restrict c, const X86Insn *restrict d)
{
    if (!x86_rm_write(c, d, d->opsize, d->imm))
        return X86_FAULT;
    return x86_next(c, d);
}

static int nop_k(X86Cpu *restrict c, const X86Insn *restrict d)
{
    return x86_next(c, d);
}

X86HandlerFn x86_fast_mov(X86Insn *d, bool *lazy)
{
    *lazy = true;             /* none of these touches a flag */
    bool q = d->opsize == 8, mem = d->mod != 3;
    if (d->fn == x86_op_mov_imm_r)
        return mov_imm_r_k;
    if (d->fn == x86_op_mov_imm)
        return mov_imm_rm_k;
    if (d->fn == x86_op_nop || (d->fn == x86_op_xchg_rax && d->reg == X86_RAX))
        return nop_k;
    if ((d->fn == x86_op_movzx || d->fn == x86_op_movsx) && (d->opsize == 4 || q))
        return ext_fast[d->fn == x86_op_movsx][d->opcode & 1][q][mem];
    if (d->fn == x86_op_lea && mem && d->addrsize == 8 && (d->opsize == 4 || q))
        return q ? lea_8 : lea_4;
    if (d->fn != x86_op_mov || d->map != 0)
        return NULL;
    if (d->opcode == 0x88 || d->opcode == 0x8a) {
        if (d->opcode == 0x88)
            return mem ? mov_ev_gv_1_m : mov_ev_gv_1_r;
        return mem ? mov_gv_ev_1_m : mov_gv_ev_1_r;
    }
    if (d->opcode != 0x89 && d->opcode != 0x8b)
        return NULL;
    /* [size 2, 4, 8][89 reg, 8B reg, 89 mem, 8B mem] */
    static const X86HandlerFn mov_v[3][4] = {
        { mov_ev_gv_2_r, mov_gv_ev_2_r, mov_ev_gv_2_m, mov_gv_ev_2_m },
        { mov_ev_gv_4_r, mov_gv_ev_4_r, mov_ev_gv_4_m, mov_gv_ev_4_m },
        { mov_ev_gv_8_r, mov_gv_ev_8_r, mov_ev_gv_8_m, mov_gv_ev_8_m },
    };
    unsigned sz = d->opsize == 2 ? 0 : d->opsize == 4 ? 1 : 2;
    return mov_v[sz][2 * mem + (d->opcode == 0x8b)];
}
