/* x86-64 SSE/SSE2 without floating-point arithmetic: the moves (MOVUPS/UPD/SS/SD, MOVAPS/
 * APD, MOVDQA/DQU, MOVD/MOVQ, MOVLPS/HPS/LPD/HPD, MOVHLPS/LHPS, the non-temporal stores),
 * MOVMSKPS/PD and PMOVMSKB, the bitwise logic (AND/ANDN/OR/XOR PS/PD), UNPCK*PS/PD,
 * SHUFPS/PD, PSHUFD/HW/LW, and the packed-integer set of 66 0F 60-FE (add, subtract with and
 * without saturation, compare, min/max, average, multiply, SAD, shifts, packs, unpacks).
 *
 * Every SSE instruction first checks the SSE state (SDM vol. 3 §13.1): CR0.EM or a clear
 * CR4.OSFXSR is #UD, CR0.TS is #NM. A 16-byte memory operand must be 16-byte aligned
 * (#GP(0)) except for the explicitly unaligned moves (MOVUPS/UPD, MOVDQU); 4- and 8-byte
 * operands never are. None of these touches MXCSR or RFLAGS. */
#include "cpu/x86_64/sse.h"

/* ---- moves ---- */

/* 0F 10/11: MOVUPS, MOVUPD (16 bytes, unaligned), MOVSS (F3: 4 bytes), MOVSD (F2: 8). A
 * load from memory clears the rest of the register; a register-to-register move keeps it. */
int x86_op_sse_movu(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    unsigned p = mp(d), n = p == 0xf3 ? 4 : p == 0xf2 ? 8 : 16;
    bool load = d->opcode == 0x10;
    Xmm x, y;
    if (n == 16) {
        if (load) {
            if (!read_rm128(c, d, &x, false))
                return X86_FAULT;
            set_x(c, d->reg, &x);
        } else {
            get_x(c, d->reg, &x);
            if (!write_rm128(c, d, &x, false))
                return X86_FAULT;
        }
        return x86_retire(c, d);
    }
    if (load) {
        if (d->mod == 3) {
            get_x(c, d->reg, &x);
            get_x(c, d->rm, &y);
            memcpy(&x, &y, n);
        } else {
            uint64_t v;
            if (!x86_read(c, d->seg, x86_ea(c, d), n, &v))
                return X86_FAULT;
            memset(&x, 0, sizeof x);
            memcpy(&x, &v, n);
        }
        set_x(c, d->reg, &x);
    } else {
        get_x(c, d->reg, &x);
        if (d->mod == 3) {
            get_x(c, d->rm, &y);
            memcpy(&y, &x, n);
            set_x(c, d->rm, &y);
        } else {
            uint64_t v = 0;
            memcpy(&v, &x, n);
            if (!x86_write(c, d->seg, x86_ea(c, d), n, v))
                return X86_FAULT;
        }
    }
    return x86_retire(c, d);
}

/* 0F 12/13 and 0F 16/17: the low (12/13) or high (16/17) quadword from/to m64; with a
 * register source the no-prefix load forms are MOVHLPS (high to low) and MOVLHPS (low to
 * high). Stores and the 66 forms take memory only. */
static int move_half(X86Cpu *c, const X86Insn *d, unsigned half)
{
    SSE_CHECK(c);
    bool load = !(d->opcode & 1);
    Xmm x, y;
    get_x(c, d->reg, &x);
    if (d->mod == 3) {
        if (!load || mp(d) == 0x66)
            return x86_ud(c);
        get_x(c, d->rm, &y);
        x.q[half] = y.q[half ^ 1];
        set_x(c, d->reg, &x);
        return x86_retire(c, d);
    }
    uint64_t ea = x86_ea(c, d), v;
    if (load) {
        if (!x86_read(c, d->seg, ea, 8, &v))
            return X86_FAULT;
        x.q[half] = v;
        set_x(c, d->reg, &x);
    } else if (!x86_write(c, d->seg, ea, 8, x.q[half])) {
        return X86_FAULT;
    }
    return x86_retire(c, d);
}
int x86_op_sse_movlp(X86Cpu *c, const X86Insn *d) { return move_half(c, d, 0); }
int x86_op_sse_movhp(X86Cpu *c, const X86Insn *d) { return move_half(c, d, 1); }

/* 0F 28/29: MOVAPS/MOVAPD; 0F 2B: MOVNTPS/MOVNTPD (store) */
int x86_op_sse_mova(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm x;
    if (d->opcode == 0x28) {
        if (!read_rm128(c, d, &x, true))
            return X86_FAULT;
        set_x(c, d->reg, &x);
    } else {
        get_x(c, d->reg, &x);
        if (!write_rm128(c, d, &x, true))
            return X86_FAULT;
    }
    return x86_retire(c, d);
}

/* 66/F3 0F 6F and 7F: MOVDQA (aligned) / MOVDQU; 66 0F E7: MOVNTDQ (aligned store) */
int x86_op_sse_movdq(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    bool aligned = mp(d) == 0x66;
    Xmm x;
    if (d->opcode == 0x6f) {
        if (!read_rm128(c, d, &x, aligned))
            return X86_FAULT;
        set_x(c, d->reg, &x);
    } else {
        get_x(c, d->reg, &x);
        if (!write_rm128(c, d, &x, aligned))
            return X86_FAULT;
    }
    return x86_retire(c, d);
}

/* 66 0F 6E: MOVD/MOVQ xmm, r/m32/64 (zero-extended); 66 0F 7E: MOVD/MOVQ r/m32/64, xmm */
int x86_op_sse_movd(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    unsigned n = d->rex & 8 ? 8 : 4;
    Xmm x;
    if (d->opcode == 0x6e) {
        uint64_t v;
        if (!x86_rm_read(c, d, n, &v))
            return X86_FAULT;
        memset(&x, 0, sizeof x);
        x.q[0] = v;
        set_x(c, d->reg, &x);
    } else {
        get_x(c, d->reg, &x);
        if (!x86_rm_write(c, d, n, n == 8 ? x.q[0] : x.d[0]))
            return X86_FAULT;
    }
    return x86_retire(c, d);
}

/* F3 0F 7E: MOVQ xmm, xmm/m64; 66 0F D6: MOVQ xmm/m64, xmm. The destination register's
 * high quadword is cleared. */
int x86_op_sse_movq(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm x, y;
    memset(&y, 0, sizeof y);
    if (d->opcode == 0x7e) {
        if (d->mod == 3) {
            get_x(c, d->rm, &x);
            y.q[0] = x.q[0];
        } else if (!x86_read(c, d->seg, x86_ea(c, d), 8, &y.q[0])) {
            return X86_FAULT;
        }
        set_x(c, d->reg, &y);
    } else {
        get_x(c, d->reg, &x);
        if (d->mod == 3) {
            y.q[0] = x.q[0];
            set_x(c, d->rm, &y);
        } else if (!x86_write(c, d->seg, x86_ea(c, d), 8, x.q[0])) {
            return X86_FAULT;
        }
    }
    return x86_retire(c, d);
}

/* NP 0F C3: MOVNTI m32/64, r32/64 (an ordinary store here) */
int x86_op_movnti(X86Cpu *c, const X86Insn *d)
{
    unsigned n = d->opsize == 8 ? 8 : 4;
    if (!x86_rm_write(c, d, n, x86_get_reg(c, d, d->reg, n)))
        return X86_FAULT;
    return x86_retire(c, d);
}

/* 0F 50: MOVMSKPS/PD r32, xmm: the sign bits of the elements */
int x86_op_sse_movmskp(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm x;
    get_x(c, d->rm, &x);
    uint64_t m = 0;
    if (mp(d) == 0x66)
        m = (x.q[0] >> 63) | ((x.q[1] >> 63) << 1);
    else
        for (int i = 0; i < 4; i++)
            m |= (uint64_t)(x.d[i] >> 31) << i;
    x86_set_reg(c, d, d->reg, 8, m);
    return x86_retire(c, d);
}

/* 66 0F D7: PMOVMSKB r32, xmm */
int x86_op_sse_pmovmskb(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm x;
    get_x(c, d->rm, &x);
    uint64_t m = 0;
    for (int i = 0; i < 16; i++)
        m |= (uint64_t)(x.b[i] >> 7) << i;
    x86_set_reg(c, d, d->reg, 8, m);
    return x86_retire(c, d);
}

/* 66 0F C4: PINSRW xmm, r32/m16, imm8 */
int x86_op_sse_pinsrw(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    uint64_t v;
    if (!x86_rm_read(c, d, 2, &v))
        return X86_FAULT;
    Xmm x;
    get_x(c, d->reg, &x);
    x.w[d->imm & 7] = (uint16_t)v;
    set_x(c, d->reg, &x);
    return x86_retire(c, d);
}

/* 66 0F C5: PEXTRW r32, xmm, imm8 (zero-extended) */
int x86_op_sse_pextrw(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm x;
    get_x(c, d->rm, &x);
    x86_set_reg(c, d, d->reg, 8, x.w[d->imm & 7]);
    return x86_retire(c, d);
}

/* ---- logic, shuffles, unpacks of PS/PD ---- */

/* 0F 54-57: ANDPS ANDNPS ORPS XORPS (and the PD forms: the same bits) */
int x86_op_sse_logicp(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm a, b;
    if (!read_rm128(c, d, &b, true))
        return X86_FAULT;
    get_x(c, d->reg, &a);
    for (int i = 0; i < 2; i++) {
        switch (d->opcode) {
        case 0x54: a.q[i] &= b.q[i]; break;
        case 0x55: a.q[i] = ~a.q[i] & b.q[i]; break;
        case 0x56: a.q[i] |= b.q[i]; break;
        default: a.q[i] ^= b.q[i]; break;
        }
    }
    set_x(c, d->reg, &a);
    return x86_retire(c, d);
}

/* 0F 14/15: UNPCKLPS/UNPCKHPS, 66: UNPCKLPD/UNPCKHPD */
int x86_op_sse_unpckp(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm a, b, r;
    if (!read_rm128(c, d, &b, true))
        return X86_FAULT;
    get_x(c, d->reg, &a);
    unsigned h = d->opcode & 1;
    if (mp(d) == 0x66) {
        r.q[0] = a.q[h];
        r.q[1] = b.q[h];
    } else {
        r.d[0] = a.d[2 * h];
        r.d[1] = b.d[2 * h];
        r.d[2] = a.d[2 * h + 1];
        r.d[3] = b.d[2 * h + 1];
    }
    set_x(c, d->reg, &r);
    return x86_retire(c, d);
}

/* 0F C6: SHUFPS (two dwords from the destination, two from the source), 66: SHUFPD */
int x86_op_sse_shufp(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm a, b, r;
    if (!read_rm128(c, d, &b, true))
        return X86_FAULT;
    get_x(c, d->reg, &a);
    unsigned i = (unsigned)d->imm;
    if (mp(d) == 0x66) {
        r.q[0] = a.q[i & 1];
        r.q[1] = b.q[(i >> 1) & 1];
    } else {
        r.d[0] = a.d[i & 3];
        r.d[1] = a.d[(i >> 2) & 3];
        r.d[2] = b.d[(i >> 4) & 3];
        r.d[3] = b.d[(i >> 6) & 3];
    }
    set_x(c, d->reg, &r);
    return x86_retire(c, d);
}

/* 66 0F 70: PSHUFD; F3: PSHUFHW; F2: PSHUFLW */
int x86_op_sse_pshuf(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm b, r;
    if (!read_rm128(c, d, &b, true))
        return X86_FAULT;
    unsigned i = (unsigned)d->imm;
    r = b;
    switch (mp(d)) {
    case 0x66:
        for (int k = 0; k < 4; k++)
            r.d[k] = b.d[(i >> (2 * k)) & 3];
        break;
    case 0xf3:
        for (int k = 0; k < 4; k++)
            r.w[4 + k] = b.w[4 + ((i >> (2 * k)) & 3)];
        break;
    default:
        for (int k = 0; k < 4; k++)
            r.w[k] = b.w[(i >> (2 * k)) & 3];
        break;
    }
    set_x(c, d->reg, &r);
    return x86_retire(c, d);
}

/* ---- packed integers ---- */

static int8_t sat8(int v) { return (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v); }
static uint8_t usat8(int v) { return (uint8_t)(v > 255 ? 255 : v < 0 ? 0 : v); }
static int16_t sat16(int v) { return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v); }
static uint16_t usat16(int v) { return (uint16_t)(v > 65535 ? 65535 : v < 0 ? 0 : v); }

/* Shifts of every element of a by count (a count past the element width gives 0, or the
 * sign for arithmetic shifts). kind: 0 right logical, 1 right arithmetic, 2 left. esize in
 * bytes (2, 4, 8). */
static void shift_elems(Xmm *a, unsigned esize, unsigned kind, uint64_t count)
{
    unsigned bits = 8 * esize;
    for (unsigned i = 0; i < 16 / esize; i++) {
        uint64_t v = esize == 2 ? a->w[i] : esize == 4 ? a->d[i] : a->q[i];
        if (kind == 1) {
            int64_t s = x86_sext(v, esize);
            v = (uint64_t)(s >> (count >= bits ? bits - 1 : count));
        } else if (count >= bits) {
            v = 0;
        } else {
            v = kind == 2 ? v << count : v >> count;
        }
        if (esize == 2)
            a->w[i] = (uint16_t)v;
        else if (esize == 4)
            a->d[i] = (uint32_t)v;
        else
            a->q[i] = v;
    }
}

/* Byte shifts of the whole register (PSRLDQ / PSLLDQ). */
static void shift_bytes(Xmm *a, unsigned n, bool left)
{
    Xmm r;
    memset(&r, 0, sizeof r);
    if (n < 16) {
        if (left)
            memcpy(r.b + n, a->b, 16 - n);
        else
            memcpy(r.b, a->b + n, 16 - n);
    }
    *a = r;
}

/* 66 0F 71/72/73 /digit ib: shifts of an XMM register by an immediate */
int x86_op_sse_shift_imm(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm a;
    get_x(c, d->rm, &a);
    unsigned digit = d->reg & 7, n = d->imm & 0xff;
    unsigned esize = d->opcode == 0x71 ? 2 : d->opcode == 0x72 ? 4 : 8;
    if (d->opcode == 0x73 && (digit == 3 || digit == 7))
        shift_bytes(&a, n, digit == 7);
    else if (digit == 2)
        shift_elems(&a, esize, 0, n);
    else if (digit == 4 && esize != 8)
        shift_elems(&a, esize, 1, n);
    else if (digit == 6)
        shift_elems(&a, esize, 2, n);
    else
        return x86_ud(c);
    set_x(c, d->rm, &a);
    return x86_retire(c, d);
}

/* 66 0F 60-FE: dst = dst OP src (src: XMM or aligned m128) */
int x86_op_sse_int(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm a, b, r;
    if (!read_rm128(c, d, &b, true))
        return X86_FAULT;
    get_x(c, d->reg, &a);
    if (!sse_int_op(d->opcode, &r, &a, &b))
        return x86_ud(c);
    set_x(c, d->reg, &r);
    return x86_retire(c, d);
}

/* The packed-integer operation of 0F opcode op on 16-byte lanes (the MMX forms use the low 8
 * bytes, exec_mmx.c); false: not one of them. */
bool sse_int_op(unsigned op, Xmm *rp, const Xmm *ap, const Xmm *bp)
{
    Xmm a = *ap, b = *bp, r = a;
    int i;
    switch (op) {
    case 0x60: for (i = 0; i < 8; i++) { r.b[2 * i] = a.b[i]; r.b[2 * i + 1] = b.b[i]; } break;
    case 0x61: for (i = 0; i < 4; i++) { r.w[2 * i] = a.w[i]; r.w[2 * i + 1] = b.w[i]; } break;
    case 0x62: for (i = 0; i < 2; i++) { r.d[2 * i] = a.d[i]; r.d[2 * i + 1] = b.d[i]; } break;
    case 0x6c: r.q[0] = a.q[0]; r.q[1] = b.q[0]; break;
    case 0x68: for (i = 0; i < 8; i++) { r.b[2 * i] = a.b[8 + i]; r.b[2 * i + 1] = b.b[8 + i]; } break;
    case 0x69: for (i = 0; i < 4; i++) { r.w[2 * i] = a.w[4 + i]; r.w[2 * i + 1] = b.w[4 + i]; } break;
    case 0x6a: for (i = 0; i < 2; i++) { r.d[2 * i] = a.d[2 + i]; r.d[2 * i + 1] = b.d[2 + i]; } break;
    case 0x6d: r.q[0] = a.q[1]; r.q[1] = b.q[1]; break;
    case 0x63: for (i = 0; i < 8; i++) { r.sb[i] = sat8(a.sw[i]); r.sb[8 + i] = sat8(b.sw[i]); } break;
    case 0x67: for (i = 0; i < 8; i++) { r.b[i] = usat8(a.sw[i]); r.b[8 + i] = usat8(b.sw[i]); } break;
    case 0x6b: for (i = 0; i < 4; i++) {
                   r.sw[i] = sat16(a.sd[i] > 32767 ? 32767 : a.sd[i] < -32768 ? -32768 : a.sd[i]);
                   r.sw[4 + i] = sat16(b.sd[i] > 32767 ? 32767 : b.sd[i] < -32768 ? -32768 : b.sd[i]);
               } break;
    case 0x64: for (i = 0; i < 16; i++) r.b[i] = a.sb[i] > b.sb[i] ? 0xff : 0; break;
    case 0x65: for (i = 0; i < 8; i++) r.w[i] = a.sw[i] > b.sw[i] ? 0xffff : 0; break;
    case 0x66: for (i = 0; i < 4; i++) r.d[i] = a.sd[i] > b.sd[i] ? ~0u : 0; break;
    case 0x74: for (i = 0; i < 16; i++) r.b[i] = a.b[i] == b.b[i] ? 0xff : 0; break;
    case 0x75: for (i = 0; i < 8; i++) r.w[i] = a.w[i] == b.w[i] ? 0xffff : 0; break;
    case 0x76: for (i = 0; i < 4; i++) r.d[i] = a.d[i] == b.d[i] ? ~0u : 0; break;
    case 0xd1: shift_elems(&r, 2, 0, b.q[0]); break;
    case 0xd2: shift_elems(&r, 4, 0, b.q[0]); break;
    case 0xd3: shift_elems(&r, 8, 0, b.q[0]); break;
    case 0xe1: shift_elems(&r, 2, 1, b.q[0]); break;
    case 0xe2: shift_elems(&r, 4, 1, b.q[0]); break;
    case 0xf1: shift_elems(&r, 2, 2, b.q[0]); break;
    case 0xf2: shift_elems(&r, 4, 2, b.q[0]); break;
    case 0xf3: shift_elems(&r, 8, 2, b.q[0]); break;
    case 0xd4: for (i = 0; i < 2; i++) r.q[i] = a.q[i] + b.q[i]; break;
    case 0xd5: for (i = 0; i < 8; i++) r.w[i] = (uint16_t)(a.sw[i] * b.sw[i]); break;
    case 0xd8: for (i = 0; i < 16; i++) r.b[i] = usat8(a.b[i] - b.b[i]); break;
    case 0xd9: for (i = 0; i < 8; i++) r.w[i] = usat16(a.w[i] - b.w[i]); break;
    case 0xda: for (i = 0; i < 16; i++) r.b[i] = a.b[i] < b.b[i] ? a.b[i] : b.b[i]; break;
    case 0xdb: for (i = 0; i < 2; i++) r.q[i] = a.q[i] & b.q[i]; break;
    case 0xdc: for (i = 0; i < 16; i++) r.b[i] = usat8(a.b[i] + b.b[i]); break;
    case 0xdd: for (i = 0; i < 8; i++) r.w[i] = usat16(a.w[i] + b.w[i]); break;
    case 0xde: for (i = 0; i < 16; i++) r.b[i] = a.b[i] > b.b[i] ? a.b[i] : b.b[i]; break;
    case 0xdf: for (i = 0; i < 2; i++) r.q[i] = ~a.q[i] & b.q[i]; break;
    case 0xe0: for (i = 0; i < 16; i++) r.b[i] = (uint8_t)((a.b[i] + b.b[i] + 1) >> 1); break;
    case 0xe3: for (i = 0; i < 8; i++) r.w[i] = (uint16_t)((a.w[i] + b.w[i] + 1) >> 1); break;
    case 0xe4: for (i = 0; i < 8; i++) r.w[i] = (uint16_t)(((uint32_t)a.w[i] * b.w[i]) >> 16); break;
    case 0xe5: for (i = 0; i < 8; i++) r.w[i] = (uint16_t)((a.sw[i] * b.sw[i]) >> 16); break;
    case 0xe8: for (i = 0; i < 16; i++) r.sb[i] = sat8(a.sb[i] - b.sb[i]); break;
    case 0xe9: for (i = 0; i < 8; i++) r.sw[i] = sat16(a.sw[i] - b.sw[i]); break;
    case 0xea: for (i = 0; i < 8; i++) r.sw[i] = a.sw[i] < b.sw[i] ? a.sw[i] : b.sw[i]; break;
    case 0xeb: for (i = 0; i < 2; i++) r.q[i] = a.q[i] | b.q[i]; break;
    case 0xec: for (i = 0; i < 16; i++) r.sb[i] = sat8(a.sb[i] + b.sb[i]); break;
    case 0xed: for (i = 0; i < 8; i++) r.sw[i] = sat16(a.sw[i] + b.sw[i]); break;
    case 0xee: for (i = 0; i < 8; i++) r.sw[i] = a.sw[i] > b.sw[i] ? a.sw[i] : b.sw[i]; break;
    case 0xef: for (i = 0; i < 2; i++) r.q[i] = a.q[i] ^ b.q[i]; break;
    case 0xf4: for (i = 0; i < 2; i++) r.q[i] = (uint64_t)a.d[2 * i] * b.d[2 * i]; break;
    case 0xf5: for (i = 0; i < 4; i++)
                   r.d[i] = (uint32_t)((int32_t)a.sw[2 * i] * b.sw[2 * i] +
                                       (int64_t)a.sw[2 * i + 1] * b.sw[2 * i + 1]);
               break;
    case 0xf6: for (i = 0; i < 2; i++) {
                   unsigned s = 0;
                   for (int k = 0; k < 8; k++) {
                       int diff = a.b[8 * i + k] - b.b[8 * i + k];
                       s += (unsigned)(diff < 0 ? -diff : diff);
                   }
                   r.q[i] = s;
               } break;
    case 0xf8: for (i = 0; i < 16; i++) r.b[i] = (uint8_t)(a.b[i] - b.b[i]); break;
    case 0xf9: for (i = 0; i < 8; i++) r.w[i] = (uint16_t)(a.w[i] - b.w[i]); break;
    case 0xfa: for (i = 0; i < 4; i++) r.d[i] = a.d[i] - b.d[i]; break;
    case 0xfb: for (i = 0; i < 2; i++) r.q[i] = a.q[i] - b.q[i]; break;
    case 0xfc: for (i = 0; i < 16; i++) r.b[i] = (uint8_t)(a.b[i] + b.b[i]); break;
    case 0xfd: for (i = 0; i < 8; i++) r.w[i] = (uint16_t)(a.w[i] + b.w[i]); break;
    case 0xfe: for (i = 0; i < 4; i++) r.d[i] = a.d[i] + b.d[i]; break;
    default: return false;          /* E6-E7, D6-D7, F0, F7: other forms or not here */
    }
    *rp = r;
    return true;
}

/* ---- SSE3 moves ---- */

/* F3 0F 12 MOVSLDUP, F3 0F 16 MOVSHDUP (aligned m128), F2 0F 12 MOVDDUP (m64) */
int x86_op_sse_movdup(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm b, r;
    if (mp(d) == 0xf2) {
        if (d->mod == 3)
            get_x(c, d->rm, &b);
        else if (!x86_read(c, d->seg, x86_ea(c, d), 8, &b.q[0]))
            return X86_FAULT;
        r.q[0] = r.q[1] = b.q[0];
    } else {
        if (!read_rm128(c, d, &b, true))
            return X86_FAULT;
        unsigned o = d->opcode == 0x16;
        r.d[0] = r.d[1] = b.d[o];
        r.d[2] = r.d[3] = b.d[2 + o];
    }
    set_x(c, d->reg, &r);
    return x86_retire(c, d);
}

/* F2 0F F0: LDDQU (an unaligned 16-byte load) */
int x86_op_sse_lddqu(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm x;
    if (!read_rm128(c, d, &x, false))
        return X86_FAULT;
    set_x(c, d->reg, &x);
    return x86_retire(c, d);
}

/* 66 0F F7: MASKMOVDQU xmm1, xmm2: the bytes of xmm1 whose mask byte in xmm2 has its top bit
 * set go to DS:rDI (the segment may be overridden) */
int x86_op_sse_maskmov(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm v, m;
    get_x(c, d->reg, &v);
    get_x(c, d->rm, &m);
    uint64_t di = x86_get_reg(c, d, X86_RDI, d->addrsize);
    for (unsigned i = 0; i < 16; i++)
        if ((m.b[i] & 0x80) &&
            !x86_write(c, d->seg, x86_trunc(di + i, d->addrsize), 1, v.b[i]))
            return X86_FAULT;
    return x86_retire(c, d);
}
