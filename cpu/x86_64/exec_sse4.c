/* x86-64 SSSE3, SSE4.1 and SSE4.2 without floating-point arithmetic (the -cpu max model
 * advertises them): the 66 0F 38 packed-integer set (PSHUFB, horizontal add/subtract,
 * PMADDUBSW, PSIGN*, PMULHRSW, PABS*, blends by XMM0, PTEST, PMOVSX/ZX*, PMULDQ, PCMPEQQ/
 * GTQ, PACKUSDW, min/max, PMULLD, PHMINPOSUW, MOVNTDQA), CRC32, and the 66 0F 3A forms with
 * an immediate (PALIGNR, blends, PEXTRB/W/D/Q and EXTRACTPS, PINSRB/D/Q and INSERTPS,
 * MPSADBW, the string compares PCMPESTRI/ESTRM/ISTRI/ISTRM). ROUNDxx and DPPS/DPPD are in
 * exec_ssefp.c.
 * 16-byte memory operands must be aligned except for the string compares. */
#include "cpu/x86_64/sse.h"

static int16_t sat16(int v) { return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v); }
static uint16_t usat16(int64_t v) { return (uint16_t)(v > 65535 ? 65535 : v < 0 ? 0 : v); }

/* 66 0F 38 00-0B, 10, 14, 15, 1C-1E, 28, 29, 2B, 37-41: dst = dst OP src */
int x86_op_sse_38(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm a, b, r, x0;
    if (!read_rm128(c, d, &b, true))
        return X86_FAULT;
    get_x(c, d->reg, &a);
    get_x(c, 0, &x0);
    if (!sse_38_op(d->opcode, &r, &a, &b, &x0))
        return x86_ud(c);
    set_x(c, d->reg, &r);
    return x86_retire(c, d);
}

/* The operation of 0F 38 opcode op on 16-byte lanes (x0: XMM0, for the variable blends);
 * false: not one of them. */
bool sse_38_op(unsigned op, Xmm *rp, const Xmm *ap, const Xmm *bp, const Xmm *x0p)
{
    Xmm a = *ap, b = *bp, x0 = *x0p, r = a;
    int i;
    switch (op) {
    case 0x00: for (i = 0; i < 16; i++) r.b[i] = b.b[i] & 0x80 ? 0 : a.b[b.b[i] & 15]; break;
    case 0x01: for (i = 0; i < 4; i++) {
                   r.w[i] = (uint16_t)(a.w[2 * i] + a.w[2 * i + 1]);
                   r.w[4 + i] = (uint16_t)(b.w[2 * i] + b.w[2 * i + 1]);
               } break;
    case 0x02: for (i = 0; i < 2; i++) {
                   r.d[i] = a.d[2 * i] + a.d[2 * i + 1];
                   r.d[2 + i] = b.d[2 * i] + b.d[2 * i + 1];
               } break;
    case 0x03: for (i = 0; i < 4; i++) {
                   r.sw[i] = sat16(a.sw[2 * i] + a.sw[2 * i + 1]);
                   r.sw[4 + i] = sat16(b.sw[2 * i] + b.sw[2 * i + 1]);
               } break;
    case 0x04: for (i = 0; i < 8; i++)
                   r.sw[i] = sat16(a.b[2 * i] * b.sb[2 * i] + a.b[2 * i + 1] * b.sb[2 * i + 1]);
               break;
    case 0x05: for (i = 0; i < 4; i++) {
                   r.w[i] = (uint16_t)(a.w[2 * i] - a.w[2 * i + 1]);
                   r.w[4 + i] = (uint16_t)(b.w[2 * i] - b.w[2 * i + 1]);
               } break;
    case 0x06: for (i = 0; i < 2; i++) {
                   r.d[i] = a.d[2 * i] - a.d[2 * i + 1];
                   r.d[2 + i] = b.d[2 * i] - b.d[2 * i + 1];
               } break;
    case 0x07: for (i = 0; i < 4; i++) {
                   r.sw[i] = sat16(a.sw[2 * i] - a.sw[2 * i + 1]);
                   r.sw[4 + i] = sat16(b.sw[2 * i] - b.sw[2 * i + 1]);
               } break;
    case 0x08: for (i = 0; i < 16; i++)
                   r.sb[i] = (int8_t)(b.sb[i] < 0 ? -a.sb[i] : b.sb[i] ? a.sb[i] : 0);
               break;
    case 0x09: for (i = 0; i < 8; i++)
                   r.sw[i] = (int16_t)(b.sw[i] < 0 ? -a.sw[i] : b.sw[i] ? a.sw[i] : 0);
               break;
    case 0x0a: for (i = 0; i < 4; i++)
                   r.d[i] = b.sd[i] < 0 ? 0u - a.d[i] : b.sd[i] ? a.d[i] : 0;
               break;
    case 0x0b: for (i = 0; i < 8; i++)
                   r.sw[i] = (int16_t)((((a.sw[i] * b.sw[i]) >> 14) + 1) >> 1);
               break;
    case 0x10: for (i = 0; i < 16; i++) r.b[i] = x0.b[i] & 0x80 ? b.b[i] : a.b[i]; break;
    case 0x14: for (i = 0; i < 4; i++) r.d[i] = x0.d[i] >> 31 ? b.d[i] : a.d[i]; break;
    case 0x15: for (i = 0; i < 2; i++) r.q[i] = x0.q[i] >> 63 ? b.q[i] : a.q[i]; break;
    case 0x1c: for (i = 0; i < 16; i++) r.b[i] = (uint8_t)(b.sb[i] < 0 ? -b.sb[i] : b.sb[i]); break;
    case 0x1d: for (i = 0; i < 8; i++) r.w[i] = (uint16_t)(b.sw[i] < 0 ? -b.sw[i] : b.sw[i]); break;
    case 0x1e: for (i = 0; i < 4; i++) r.d[i] = b.sd[i] < 0 ? 0u - b.d[i] : b.d[i]; break;
    case 0x28: for (i = 0; i < 2; i++) r.sq[i] = (int64_t)a.sd[2 * i] * b.sd[2 * i]; break;
    case 0x29: for (i = 0; i < 2; i++) r.q[i] = a.q[i] == b.q[i] ? ~0ull : 0; break;
    case 0x2b: for (i = 0; i < 4; i++) {
                   r.w[i] = usat16(a.sd[i]);
                   r.w[4 + i] = usat16(b.sd[i]);
               } break;
    case 0x37: for (i = 0; i < 2; i++) r.q[i] = a.sq[i] > b.sq[i] ? ~0ull : 0; break;
    case 0x38: for (i = 0; i < 16; i++) r.sb[i] = a.sb[i] < b.sb[i] ? a.sb[i] : b.sb[i]; break;
    case 0x39: for (i = 0; i < 4; i++) r.sd[i] = a.sd[i] < b.sd[i] ? a.sd[i] : b.sd[i]; break;
    case 0x3a: for (i = 0; i < 8; i++) r.w[i] = a.w[i] < b.w[i] ? a.w[i] : b.w[i]; break;
    case 0x3b: for (i = 0; i < 4; i++) r.d[i] = a.d[i] < b.d[i] ? a.d[i] : b.d[i]; break;
    case 0x3c: for (i = 0; i < 16; i++) r.sb[i] = a.sb[i] > b.sb[i] ? a.sb[i] : b.sb[i]; break;
    case 0x3d: for (i = 0; i < 4; i++) r.sd[i] = a.sd[i] > b.sd[i] ? a.sd[i] : b.sd[i]; break;
    case 0x3e: for (i = 0; i < 8; i++) r.w[i] = a.w[i] > b.w[i] ? a.w[i] : b.w[i]; break;
    case 0x3f: for (i = 0; i < 4; i++) r.d[i] = a.d[i] > b.d[i] ? a.d[i] : b.d[i]; break;
    case 0x40: for (i = 0; i < 4; i++) r.d[i] = a.d[i] * b.d[i]; break;
    case 0x41: {
        unsigned m = 0;
        for (i = 1; i < 8; i++)
            if (b.w[i] < b.w[m])
                m = (unsigned)i;
        memset(&r, 0, sizeof r);
        r.w[0] = b.w[m];
        r.w[1] = (uint16_t)m;
        break;
    }
    default: return false;
    }
    *rp = r;
    return true;
}

/* 66 0F 38 17: PTEST: ZF = (dst AND src) == 0, CF = (NOT dst AND src) == 0, the rest 0 */
int x86_op_sse_ptest(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm a, b;
    if (!read_rm128(c, d, &b, true))
        return X86_FAULT;
    get_x(c, d->reg, &a);
    uint32_t f = 0;
    if (!((a.q[0] & b.q[0]) | (a.q[1] & b.q[1])))
        f |= X86_ZF;
    if (!((~a.q[0] & b.q[0]) | (~a.q[1] & b.q[1])))
        f |= X86_CF;
    x86_set_flags(c, X86_FLAGS_ARITH, f);
    return x86_retire(c, d);
}

/* 66 0F 38 20-25 PMOVSX*, 30-35 PMOVZX*: BW BD BQ WD WQ DQ (the source is the low 8, 4 or
 * 2 bytes of an XMM register or memory of that size) */
int x86_op_sse_pmovx(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    static const uint8_t from[6] = { 1, 1, 1, 2, 2, 4 }, to[6] = { 2, 4, 8, 4, 8, 8 };
    unsigned k = d->opcode & 0xf;
    if (k > 5)
        return x86_ud(c);
    bool sign = d->opcode < 0x30;
    unsigned fs = from[k], ts = to[k], n = 16 / ts;
    Xmm b, r;
    if (!read_rm_low(c, d, fs * n, &b))
        return X86_FAULT;
    for (unsigned i = 0; i < n; i++) {
        uint64_t v = 0;
        memcpy(&v, b.b + fs * i, fs);
        if (sign)
            v = (uint64_t)x86_sext(v, fs);
        memcpy(r.b + ts * i, &v, ts);
    }
    set_x(c, d->reg, &r);
    return x86_retire(c, d);
}

/* 66 0F 38 2A: MOVNTDQA (an aligned load) */
int x86_op_sse_movntdqa(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm x;
    if (!read_rm128(c, d, &x, true))
        return X86_FAULT;
    set_x(c, d->reg, &x);
    return x86_retire(c, d);
}

/* F2 0F 38 F0/F1: CRC32 r32/64, r/m8/16/32/64 (CRC-32C, reflected, no final XOR) */
int x86_op_crc32(X86Cpu *c, const X86Insn *d)
{
    unsigned n = d->opcode == 0xf0 ? 1 : d->rex & 8 ? 8 : d->osize_prefix ? 2 : 4;
    uint64_t v;
    if (!x86_rm_read(c, d, n, &v))
        return X86_FAULT;
    uint32_t crc = (uint32_t)c->gpr[d->reg];
    for (unsigned i = 0; i < n; i++) {
        crc ^= (uint8_t)(v >> (8 * i));
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
    }
    x86_set_reg(c, d, d->reg, d->rex & 8 ? 8 : 4, crc);
    return x86_retire(c, d);
}

/* ---- 66 0F 3A, with an immediate ---- */

/* 0F: PALIGNR: (dst:src) >> 8*imm, the low 16 bytes */
int x86_op_sse_palignr(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm a, b, r;
    if (!read_rm128(c, d, &b, true))
        return X86_FAULT;
    get_x(c, d->reg, &a);
    uint8_t cat[48];
    memcpy(cat, b.b, 16);
    memcpy(cat + 16, a.b, 16);
    memset(cat + 32, 0, 16);
    unsigned s = d->imm & 0xff;
    for (unsigned i = 0; i < 16; i++)
        r.b[i] = s + i < 32 ? cat[s + i] : 0;
    set_x(c, d->reg, &r);
    return x86_retire(c, d);
}

/* 0C BLENDPS, 0D BLENDPD, 0E PBLENDW: the source's elements where the immediate's bit is set */
int x86_op_sse_blendi(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm a, b;
    if (!read_rm128(c, d, &b, true))
        return X86_FAULT;
    get_x(c, d->reg, &a);
    unsigned m = d->imm & 0xff;
    for (int i = 0; i < 8; i++) {
        if (d->opcode == 0x0c && i < 4 && (m >> i & 1))
            a.d[i] = b.d[i];
        else if (d->opcode == 0x0d && i < 2 && (m >> i & 1))
            a.q[i] = b.q[i];
        else if (d->opcode == 0x0e && (m >> i & 1))
            a.w[i] = b.w[i];
    }
    set_x(c, d->reg, &a);
    return x86_retire(c, d);
}

/* 14 PEXTRB, 15 PEXTRW, 16 PEXTRD/Q, 17 EXTRACTPS: an element of XMM(reg) to r/m (a
 * register destination is zero-extended) */
int x86_op_sse_pextr(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm a;
    get_x(c, d->reg, &a);
    unsigned i = d->imm & 0xff, n;
    uint64_t v;
    switch (d->opcode) {
    case 0x14: n = 1; v = a.b[i & 15]; break;
    case 0x15: n = 2; v = a.w[i & 7]; break;
    case 0x16:
        if (d->rex & 8) {
            n = 8;
            v = a.q[i & 1];
        } else {
            n = 4;
            v = a.d[i & 3];
        }
        break;
    default: n = 4; v = a.d[i & 3]; break;
    }
    if (d->mod == 3)
        x86_set_reg(c, d, d->rm, 8, v);
    else if (!x86_write(c, d->seg, x86_ea(c, d), n, v))
        return X86_FAULT;
    return x86_retire(c, d);
}

/* 20 PINSRB, 22 PINSRD/Q: r/m into an element of XMM(reg) */
int x86_op_sse_pinsr(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    unsigned n = d->opcode == 0x20 ? 1 : d->rex & 8 ? 8 : 4, i = d->imm & 0xff;
    uint64_t v;
    /* PINSRB's register source is r32 (its low byte), never AH..BH */
    if (!x86_rm_read(c, d, d->mod == 3 && n == 1 ? 4 : n, &v))
        return X86_FAULT;
    Xmm a;
    get_x(c, d->reg, &a);
    if (n == 1)
        a.b[i & 15] = (uint8_t)v;
    else if (n == 4)
        a.d[i & 3] = (uint32_t)v;
    else
        a.q[i & 1] = v;
    set_x(c, d->reg, &a);
    return x86_retire(c, d);
}

/* 21: INSERTPS: a dword (from a register: the one imm[7:6] picks) into element imm[5:4],
 * then the elements imm[3:0] names are zeroed */
int x86_op_sse_insertps(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    unsigned i = d->imm & 0xff;
    uint32_t v;
    if (d->mod == 3) {
        v = (uint32_t)(c->xmm[d->rm][(i >> 7) & 1] >> (32 * ((i >> 6) & 1)));
    } else {
        uint64_t m;
        if (!x86_read(c, d->seg, x86_ea(c, d), 4, &m))
            return X86_FAULT;
        v = (uint32_t)m;
    }
    Xmm a;
    get_x(c, d->reg, &a);
    a.d[(i >> 4) & 3] = v;
    for (int k = 0; k < 4; k++)
        if (i >> k & 1)
            a.d[k] = 0;
    set_x(c, d->reg, &a);
    return x86_retire(c, d);
}

/* 42: MPSADBW: eight sums of absolute differences of 4-byte blocks, the destination's
 * sliding from byte 4*imm[2], the source's fixed at 4*imm[1:0] */
int x86_op_sse_mpsadbw(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm a, b, r;
    if (!read_rm128(c, d, &b, true))
        return X86_FAULT;
    get_x(c, d->reg, &a);
    unsigned ao = ((d->imm >> 2) & 1) * 4, bo = (d->imm & 3) * 4;
    for (unsigned i = 0; i < 8; i++) {
        unsigned s = 0;
        for (unsigned k = 0; k < 4; k++) {
            int diff = a.b[ao + i + k] - b.b[bo + k];
            s += (unsigned)(diff < 0 ? -diff : diff);
        }
        r.w[i] = (uint16_t)s;
    }
    set_x(c, d->reg, &r);
    return x86_retire(c, d);
}

/* ---- SSE4.2 string compares (SDM vol. 2B §4.1 "Imm8 Control Byte Operation for
 * PCMPESTRI / PCMPESTRM / PCMPISTRI / PCMPISTRM") ---- */

static int64_t str_elem(const Xmm *x, unsigned fmt, unsigned i)
{
    switch (fmt) {
    case 0: return x->b[i];
    case 1: return x->w[i];
    case 2: return x->sb[i];
    default: return x->sw[i];
    }
}

/* 60 PCMPESTRM, 61 PCMPESTRI, 62 PCMPISTRM, 63 PCMPISTRI */
int x86_op_sse_pcmpstr(X86Cpu *c, const X86Insn *d)
{
    SSE_CHECK(c);
    Xmm a, b;
    if (!read_rm128(c, d, &b, false))
        return X86_FAULT;
    get_x(c, d->reg, &a);
    unsigned imm = d->imm & 0xff, fmt = imm & 3, agg = (imm >> 2) & 3, pol = (imm >> 4) & 3;
    unsigned n = fmt & 1 ? 8 : 16;
    bool explicit_len = d->opcode < 0x62;
    unsigned la = n, lb = n;
    if (explicit_len) {
        /* |RAX| and |RDX| (EAX/EDX without REX.W), at most n */
        int64_t ra = d->rex & 8 ? (int64_t)c->gpr[X86_RAX] : (int32_t)c->gpr[X86_RAX];
        int64_t rd = d->rex & 8 ? (int64_t)c->gpr[X86_RDX] : (int32_t)c->gpr[X86_RDX];
        uint64_t ua = ra < 0 ? 0 - (uint64_t)ra : (uint64_t)ra;
        uint64_t ub = rd < 0 ? 0 - (uint64_t)rd : (uint64_t)rd;
        la = ua < n ? (unsigned)ua : n;
        lb = ub < n ? (unsigned)ub : n;
    } else {
        for (unsigned i = 0; i < n; i++)
            if (!str_elem(&a, fmt, i)) {
                la = i;
                break;
            }
        for (unsigned i = 0; i < n; i++)
            if (!str_elem(&b, fmt, i)) {
                lb = i;
                break;
            }
    }
    unsigned res = 0;
    for (unsigned j = 0; j < n; j++) {
        bool bit;
        switch (agg) {
        case 0:                               /* equal any */
            bit = false;
            for (unsigned i = 0; i < la && j < lb && !bit; i++)
                bit = str_elem(&a, fmt, i) == str_elem(&b, fmt, j);
            break;
        case 1:                               /* ranges: a[i] <= b[j] <= a[i+1] */
            bit = false;
            for (unsigned i = 0; i + 1 < la + 1 && i < la && j < lb && !bit; i += 2) {
                int64_t v = str_elem(&b, fmt, j);
                bool ge = v >= str_elem(&a, fmt, i);
                bool le = i + 1 < la && v <= str_elem(&a, fmt, i + 1);
                bit = ge && le;
            }
            break;
        case 2: {                             /* equal each */
            bool va = j < la, vb = j < lb;
            bit = va && vb ? str_elem(&a, fmt, j) == str_elem(&b, fmt, j) : !va && !vb;
            break;
        }
        default:                              /* equal ordered: a as a substring at b[j] */
            bit = true;
            for (unsigned k = 0; k < n - j && bit; k++) {
                bool va = k < la, vb = j + k < lb;
                if (!va)
                    break;                    /* the needle ended: a match so far */
                bit = vb && str_elem(&a, fmt, k) == str_elem(&b, fmt, j + k);
            }
            break;
        }
        if (bit)
            res |= 1u << j;
    }
    unsigned all = (1u << n) - 1;
    if (pol == 1)
        res ^= all;
    else if (pol == 3)
        res ^= (1u << lb) - 1;
    res &= all;
    if (d->opcode & 1) {                      /* ...I: an index into ECX */
        unsigned idx = n;
        if (res)
            idx = imm & 0x40 ? 31 - (unsigned)__builtin_clz(res) : (unsigned)__builtin_ctz(res);
        x86_set_reg(c, d, X86_RCX, 4, idx);
    } else {                                  /* ...M: a mask into XMM0 */
        Xmm m;
        memset(&m, 0, sizeof m);
        if (imm & 0x40) {
            for (unsigned i = 0; i < n; i++)
                if (res >> i & 1) {
                    if (n == 16)
                        m.b[i] = 0xff;
                    else
                        m.w[i] = 0xffff;
                }
        } else {
            m.q[0] = res;
        }
        set_x(c, 0, &m);
    }
    uint32_t f = 0;
    if (res)
        f |= X86_CF;
    if (lb < n)
        f |= X86_ZF;
    if (la < n)
        f |= X86_SF;
    if (res & 1)
        f |= X86_OF;
    x86_set_flags(c, X86_FLAGS_ARITH, f);
    return x86_retire(c, d);
}
