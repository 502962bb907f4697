/* x86-64 MMX: the no-prefix forms of the packed-integer opcodes on MM0-MM7 (with the
 * SSE/SSE2 additions to them: PAVG, PMINUB/PMAXUB, PMINSW/PMAXSW, PSADBW, PMULHUW, PMULUDQ,
 * PADDQ/PSUBQ, PSHUFW, PINSRW/PEXTRW, PMOVMSKB, MOVNTQ, MASKMOVQ) and the SSSE3 ones, MOVD/
 * MOVQ, EMMS, MOVQ2DQ/MOVDQ2Q, and the SSE conversions with an MMX operand (CVTPI2PS/PD,
 * CVT(T)PS2PI, CVT(T)PD2PI, in exec_ssefp.c).
 *
 * MMn is the significand of x87 physical register n (SDM vol. 1 §9.5): an MMX instruction
 * makes every tag valid and TOP 0, a write also sets the register's sign and exponent to all
 * ones; EMMS empties the tags. An MMX instruction is #UD with CR0.EM, #NM with CR0.TS and #MF
 * with an unmasked x87 exception pending (CR0.NE). The lane arithmetic is the SSE code's on
 * the low 8 bytes (sse_int_op, sse_38_op). */
#include "cpu/x86_64/sse.h"

int mmx_enter(X86Cpu *c)
{
    if (c->cr0 & X86_CR0_EM)
        return x86_ud(c);
    if (c->cr0 & X86_CR0_TS) {
        x86_raise(c, X86_NM, false, 0);
        return X86_FAULT;
    }
    if ((c->fsw & 0x80) && (c->cr0 & X86_CR0_NE)) {
        x86_raise(c, X86_MF, false, 0);
        return X86_FAULT;
    }
    return X86_OK;
}

/* The state change every MMX instruction makes (after its checks and memory accesses). */
void mmx_touch(X86Cpu *c)
{
    c->fsw &= (uint16_t)~(7u << 11);          /* TOP = 0 */
    c->ftw = 0xff;                            /* all valid */
}

uint64_t mmx_get(const X86Cpu *c, unsigned r)
{
    uint64_t v;
    memcpy(&v, c->st[r & 7], 8);
    return v;
}

void mmx_set(X86Cpu *c, unsigned r, uint64_t v)
{
    memcpy(c->st[r & 7], &v, 8);
    c->st[r & 7][8] = 0xff;
    c->st[r & 7][9] = 0xff;
}
#define MMX_ENTER(c) do { int r_ = mmx_enter(c); if (r_ != X86_OK) return r_; } while (0)

/* The r/m operand: MMn or m64. */
static bool mm_rm(X86Cpu *c, const X86Insn *d, uint64_t *v)
{
    if (d->mod == 3) {
        *v = mmx_get(c, d->rm);
        return true;
    }
    return x86_read(c, d->seg, x86_ea(c, d), 8, v);
}

/* NP 0F 60-6B, 74-76, D1-D5, D8-DF, E0-E5, E8-EF, F1-F6, F8-FE */
int x86_op_mmx_int(X86Cpu *c, const X86Insn *d)
{
    MMX_ENTER(c);
    uint64_t va, vb;
    if (!mm_rm(c, d, &vb))
        return X86_FAULT;
    va = mmx_get(c, d->reg);
    Xmm a, b, r;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.q[0] = va;
    b.q[0] = vb;
    unsigned op = d->opcode;
    if (op == 0x68 || op == 0x69 || op == 0x6a) {
        /* unpack high: the upper halves, where the 16-byte form looks for them */
        a.q[1] = va >> 32;
        b.q[1] = vb >> 32;
    } else if (op == 0x63 || op == 0x67 || op == 0x6b) {
        a.q[1] = vb;              /* packs: the source's elements after the destination's */
    }
    if (op == 0x6c || op == 0x6d || !sse_int_op(op, &r, &a, &b))
        return x86_ud(c);
    mmx_touch(c);
    mmx_set(c, d->reg, r.q[0]);
    return x86_retire(c, d);
}

/* NP 0F 71-73 /digit ib: shifts of MMn by an immediate (no byte shifts: /3 /7 are #UD) */
int x86_op_mmx_shift_imm(X86Cpu *c, const X86Insn *d)
{
    MMX_ENTER(c);
    unsigned digit = d->reg & 7, op;
    static const uint8_t ops[3][8] = {
        { 0, 0, 0xd1, 0, 0xe1, 0, 0xf1, 0 },
        { 0, 0, 0xd2, 0, 0xe2, 0, 0xf2, 0 },
        { 0, 0, 0xd3, 0, 0, 0, 0xf3, 0 },
    };
    op = ops[d->opcode - 0x71][digit];
    if (!op)
        return x86_ud(c);
    Xmm a, b, r;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.q[0] = mmx_get(c, d->rm);
    b.q[0] = d->imm & 0xff;
    sse_int_op(op, &r, &a, &b);
    mmx_touch(c);
    mmx_set(c, d->rm, r.q[0]);
    return x86_retire(c, d);
}

/* NP 0F 6E MOVD/MOVQ mm, r/m32/64; 7E MOVD/MOVQ r/m32/64, mm; 6F MOVQ mm, mm/m64;
 * 7F MOVQ mm/m64, mm; E7 MOVNTQ m64, mm */
int x86_op_mmx_mov(X86Cpu *c, const X86Insn *d)
{
    MMX_ENTER(c);
    uint64_t v;
    unsigned n = d->rex & 8 ? 8 : 4;
    switch (d->opcode) {
    case 0x6e:
        if (!x86_rm_read(c, d, n, &v))
            return X86_FAULT;
        mmx_touch(c);
        mmx_set(c, d->reg, v);
        break;
    case 0x7e:
        v = mmx_get(c, d->reg);
        if (!x86_rm_write(c, d, n, n == 8 ? v : (uint32_t)v))
            return X86_FAULT;
        mmx_touch(c);
        break;
    case 0x6f:
        if (!mm_rm(c, d, &v))
            return X86_FAULT;
        mmx_touch(c);
        mmx_set(c, d->reg, v);
        break;
    default:                  /* 7F, E7 */
        v = mmx_get(c, d->reg);
        if (d->mod == 3) {
            mmx_touch(c);
            mmx_set(c, d->rm, v);
            break;
        }
        if (!x86_write(c, d->seg, x86_ea(c, d), 8, v))
            return X86_FAULT;
        mmx_touch(c);
        break;
    }
    return x86_retire(c, d);
}

/* 0F 77: EMMS */
int x86_op_mmx_emms(X86Cpu *c, const X86Insn *d)
{
    MMX_ENTER(c);
    c->ftw = 0;
    return x86_retire(c, d);
}

/* NP 0F 70: PSHUFW mm, mm/m64, imm8 */
int x86_op_mmx_pshufw(X86Cpu *c, const X86Insn *d)
{
    MMX_ENTER(c);
    uint64_t vb, r = 0;
    if (!mm_rm(c, d, &vb))
        return X86_FAULT;
    for (unsigned k = 0; k < 4; k++)
        r |= ((vb >> (16 * ((d->imm >> (2 * k)) & 3))) & 0xffff) << (16 * k);
    mmx_touch(c);
    mmx_set(c, d->reg, r);
    return x86_retire(c, d);
}

/* NP 0F C4: PINSRW mm, r32/m16, imm8; C5: PEXTRW r32, mm, imm8; D7: PMOVMSKB r32, mm */
int x86_op_mmx_word(X86Cpu *c, const X86Insn *d)
{
    MMX_ENTER(c);
    uint64_t v;
    if (d->opcode == 0xc4) {
        if (!x86_rm_read(c, d, d->mod == 3 ? 4 : 2, &v))
            return X86_FAULT;
        unsigned s = 16 * (d->imm & 3);
        uint64_t r = (mmx_get(c, d->reg) & ~(0xffffull << s)) | ((v & 0xffff) << s);
        mmx_touch(c);
        mmx_set(c, d->reg, r);
        return x86_retire(c, d);
    }
    uint64_t src = mmx_get(c, d->rm);
    if (d->opcode == 0xc5) {
        v = (src >> (16 * (d->imm & 3))) & 0xffff;
    } else {
        v = 0;
        for (unsigned i = 0; i < 8; i++)
            v |= ((src >> (8 * i + 7)) & 1) << i;
    }
    mmx_touch(c);
    x86_set_reg(c, d, d->reg, 8, v);
    return x86_retire(c, d);
}

/* NP 0F F7: MASKMOVQ mm1, mm2: the bytes of mm1 whose mask byte in mm2 has its top bit set
 * go to DS:rDI */
int x86_op_mmx_maskmovq(X86Cpu *c, const X86Insn *d)
{
    MMX_ENTER(c);
    uint64_t v = mmx_get(c, d->reg), m = mmx_get(c, d->rm);
    uint64_t di = x86_get_reg(c, d, X86_RDI, d->addrsize);
    for (unsigned i = 0; i < 8; i++)
        if (((m >> (8 * i + 7)) & 1) &&
            !x86_write(c, d->seg, x86_trunc(di + i, d->addrsize), 1, (v >> (8 * i)) & 0xff))
            return X86_FAULT;
    mmx_touch(c);
    return x86_retire(c, d);
}

/* F3 0F D6: MOVQ2DQ xmm, mm (high quadword cleared); F2 0F D6: MOVDQ2Q mm, xmm */
int x86_op_mmx_movq2dq(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    MMX_ENTER(c);
    if (d->rep == 0xf3) {
        Xmm x;
        memset(&x, 0, sizeof x);
        x.q[0] = mmx_get(c, d->rm);
        set_x(c, d->reg, &x);
    } else {
        mmx_set(c, d->reg, c->xmm[d->rm][0]);
    }
    mmx_touch(c);
    return x86_retire(c, d);
}

/* NP 0F 38 00-0B, 1C-1E and NP 0F 3A 0F: the SSSE3 forms on MMX registers */
int x86_op_mmx_ssse3(X86Cpu *c, const X86Insn *d)
{
    MMX_ENTER(c);
    uint64_t va = mmx_get(c, d->reg), vb, r;
    if (!mm_rm(c, d, &vb))
        return X86_FAULT;
    if (d->map == 3) {                        /* PALIGNR: (dst:src) >> 8*imm, low 8 bytes */
        unsigned s = d->imm & 0xff;
        unsigned __int128 cat = ((unsigned __int128)va << 64) | vb;
        r = s >= 16 ? 0 : (uint64_t)(cat >> (8 * s));
    } else if (d->opcode == 0x00) {           /* PSHUFB: indexes mod 8 */
        r = 0;
        for (unsigned i = 0; i < 8; i++) {
            unsigned ix = (vb >> (8 * i)) & 0xff;
            if (!(ix & 0x80))
                r |= ((va >> (8 * (ix & 7))) & 0xff) << (8 * i);
        }
    } else {
        Xmm a, b, x0, rr;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        memset(&x0, 0, sizeof x0);
        a.q[0] = va;
        b.q[0] = vb;
        /* horizontal adds and subtracts: the source's pairs after the destination's */
        if (d->opcode <= 0x07)
            a.q[1] = vb;
        if (!sse_38_op(d->opcode, &rr, &a, &b, &x0))
            return x86_ud(c);
        r = rr.q[0];
    }
    mmx_touch(c);
    mmx_set(c, d->reg, r);
    return x86_retire(c, d);
}
