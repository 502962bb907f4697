/* x86-64 decoder: bytes at CS:RIP -> X86Insn, through the forms generated from decode/.
 *
 * Order (SDM vol. 2, ch. 2): legacy prefixes in any order (the last of each group wins, as
 * hardware does), then REX in 64-bit mode (a REX followed by anything but the opcode is
 * ignored), the opcode (one-byte, 0F, 0F 38, 0F 3A), ModRM, SIB, displacement, immediate.
 * The form is picked among those of the opcode byte by mandatory prefix, ModRM.reg digit,
 * ModRM.mod and mode; the generator guarantees that at most one matches. Also the operand
 * helpers handlers use: registers by number and size, the r/m operand, push and pop. */
#include <string.h>
#include "cpu/x86_64/insn.h"
#include "x86_decode_gen.h"

#define X86_PAGE_SIZE 4096u

/* The fetch window: bytes of the instruction read so far (at most 15). */
typedef struct Fetch {
    X86Cpu *c;
    uint8_t buf[X86_MAX_INSN_BYTES];
    unsigned have;            /* bytes x86_fetch delivered */
    unsigned pos;             /* bytes consumed */
    unsigned more;            /* bytes of the next page not fetched yet (fetched when needed) */
} Fetch;

/* The next byte, or false with #GP (past 15 bytes) or the fetch fault raised. The next
 * page is read only when the instruction reaches into it, as the hardware faults: its
 * translation (a walk, accessed flags) is the instruction's only then. */
static bool next_byte(Fetch *f, uint8_t *b)
{
    if (f->pos >= X86_MAX_INSN_BYTES)
        return x86_fault(f->c, X86_GP, 0, true);
    if (f->pos >= f->have && f->more) {
        f->have += x86_fetch(f->c, f->c->rip + f->have, f->buf + f->have, f->more);
        f->more = 0;
    }
    if (f->pos >= f->have) {
        x86_fetch_fault(f->c, f->c->rip + f->pos);
        return false;
    }
    *b = f->buf[f->pos++];
    return true;
}

/* An n-byte little-endian value (n <= 8). */
static bool next_le(Fetch *f, unsigned n, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned i = 0; i < n; i++) {
        uint8_t b;
        if (!next_byte(f, &b))
            return false;
        x |= (uint64_t)b << (8 * i);
    }
    *v = x;
    return true;
}

static int64_t sext(uint64_t v, unsigned bytes)
{
    unsigned sh = 64 - 8 * bytes;
    return (int64_t)(v << sh) >> sh;
}

static bool ud(X86Cpu *c)
{
    return x86_fault(c, X86_UD, 0, false);
}

/* The memory operand of ModRM (mod != 3): base, index, scale, displacement. */
static bool decode_modrm_mem(Fetch *f, X86Insn *d, uint8_t modrm, unsigned default_seg[1])
{
    unsigned mod = modrm >> 6, rm = modrm & 7;
    uint64_t disp = 0;
    d->base = d->index = X86_NGPR;
    d->scale = 1;
    if (d->addrsize == 2) {
        /* 16-bit forms: BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP (disp16 alone at mod 0), BX */
        static const uint8_t base16[8] = { X86_RBX, X86_RBX, X86_RBP, X86_RBP,
                                           X86_RSI, X86_RDI, X86_RBP, X86_RBX };
        static const uint8_t index16[8] = { X86_RSI, X86_RDI, X86_RSI, X86_RDI,
                                            X86_NGPR, X86_NGPR, X86_NGPR, X86_NGPR };
        if (mod == 0 && rm == 6) {
            if (!next_le(f, 2, &disp))
                return false;
            d->disp = (int64_t)disp;
            return true;
        }
        d->base = base16[rm];
        d->index = index16[rm];
        if (d->base == X86_RBP)
            default_seg[0] = X86_SS;
        if (mod == 1) {
            if (!next_le(f, 1, &disp))
                return false;
            d->disp = sext(disp, 1);
        } else if (mod == 2) {
            if (!next_le(f, 2, &disp))
                return false;
            d->disp = sext(disp, 2);
        }
        return true;
    }
    unsigned rex_b = d->rex & 1 ? 8 : 0, rex_x = d->rex & 2 ? 8 : 0;
    bool no_base = false;
    if (rm == 4) {
        uint8_t sib;
        if (!next_byte(f, &sib))
            return false;
        unsigned idx = ((sib >> 3) & 7) | rex_x, b = sib & 7;
        if (idx != X86_RSP)
            d->index = idx;
        d->scale = 1u << (sib >> 6);
        if (b == 5 && mod == 0)
            no_base = true;
        else
            d->base = b | rex_b;
    } else if (rm == 5 && mod == 0) {
        no_base = true;
        if (d->addrsize == 8 || f->c->code_bits == 64)
            d->rip_rel = 1;
    } else {
        d->base = rm | rex_b;
    }
    if (d->base == X86_RSP || d->base == X86_RBP)
        default_seg[0] = X86_SS;
    if (no_base || mod == 2) {
        if (!next_le(f, 4, &disp))
            return false;
        d->disp = sext(disp, 4);
    } else if (mod == 1) {
        if (!next_le(f, 1, &disp))
            return false;
        d->disp = sext(disp, 1);
    }
    return true;
}

static unsigned operand_size(const X86Cpu *c, const X86Insn *d, unsigned cls)
{
    bool w = d->rex & 8;
    unsigned def = c->code_bits == 16 ? 2 : 4;
    unsigned other = def == 2 ? 4 : 2;
    switch (cls) {
    case X86_SZ_B: return 1;
    case X86_SZ_W: return 2;
    case X86_SZ_D: return 4;
    case X86_SZ_Q: return 8;
    case X86_SZ_D64:
        if (c->code_bits == 64)
            return d->osize_prefix && !w ? 2 : 8;
        return d->osize_prefix ? other : def;
    case X86_SZ_F64:
        if (c->code_bits == 64)
            return 8;
        return d->osize_prefix ? other : def;
    default:
        if (w && c->code_bits == 64)
            return 8;
        return d->osize_prefix ? other : def;
    }
}

static bool decode_imm(Fetch *f, const X86Cpu *c, X86Insn *d, unsigned kind)
{
    uint64_t v = 0, v2 = 0;
    unsigned n;
    switch (kind) {
    case X86_IMM_NONE:
        return true;
    case X86_IMM_IB:
        if (!next_le(f, 1, &v))
            return false;
        break;
    case X86_IMM_IBS:
    case X86_IMM_JB:
        if (!next_le(f, 1, &v))
            return false;
        v = (uint64_t)sext(v, 1);
        break;
    case X86_IMM_IW:
        if (!next_le(f, 2, &v))
            return false;
        break;
    case X86_IMM_IZ:
    case X86_IMM_JZ:
        n = d->opsize == 2 ? 2 : 4;
        if (!next_le(f, n, &v))
            return false;
        v = (uint64_t)sext(v, n);
        break;
    case X86_IMM_IV:
        if (!next_le(f, d->opsize, &v))
            return false;
        break;
    case X86_IMM_AP:
        if (!next_le(f, d->opsize == 2 ? 2 : 4, &v) || !next_le(f, 2, &v2))
            return false;
        break;
    case X86_IMM_IWIB:
        if (!next_le(f, 2, &v) || !next_le(f, 1, &v2))
            return false;
        break;
    case X86_IMM_OV:
        if (!next_le(f, d->addrsize, &v))
            return false;
        break;
    }
    (void)c;
    d->imm = v;
    d->imm2 = v2;
    return true;
}

/* Mandatory-prefix class of the instruction: VEX.pp; else F2/F3 (the last given) outrank 66. */
static unsigned mandatory_prefix(const X86Insn *d)
{
    if (d->vex) {
        static const unsigned pp[4] = { X86_PFX_NP, X86_PFX_66, X86_PFX_F3, X86_PFX_F2 };
        return pp[d->vex_pp & 3];
    }
    if (d->rep == 0xf3)
        return X86_PFX_F3;
    if (d->rep == 0xf2)
        return X86_PFX_F2;
    return d->osize_prefix ? X86_PFX_66 : X86_PFX_NP;
}

bool x86_decode(X86Cpu *c, X86Insn *d)
{
    Fetch f = { .c = c };
    memset(d, 0, sizeof(*d));
    /* this page's bytes first */
    uint64_t la = c->code_bits == 64 ? c->rip : (uint32_t)(c->seg[X86_CS].base + c->rip);
    unsigned room = X86_PAGE_SIZE - (unsigned)(la & (X86_PAGE_SIZE - 1));
    unsigned here = room < X86_MAX_INSN_BYTES ? room : X86_MAX_INSN_BYTES;
    f.have = x86_fetch(c, c->rip, f.buf, here);
    if (f.have == here)
        f.more = X86_MAX_INSN_BYTES - here;
    bool long64 = c->code_bits == 64;
    unsigned seg_override = X86_SEG_NONE;
    bool asize_prefix = false;
    uint8_t b;
    for (;;) {
        if (!next_byte(&f, &b))
            return false;
        switch (b) {
        case 0xf0: d->lock = 1; d->rex = 0; continue;
        case 0xf2: case 0xf3: d->rep = b; d->rex = 0; continue;
        case 0x26: seg_override = X86_ES; d->rex = 0; continue;
        case 0x2e: seg_override = X86_CS; d->rex = 0; continue;
        case 0x36: seg_override = X86_SS; d->rex = 0; continue;
        case 0x3e: seg_override = X86_DS; d->rex = 0; continue;
        case 0x64: seg_override = X86_FS; d->rex = 0; continue;
        case 0x65: seg_override = X86_GS; d->rex = 0; continue;
        case 0x66: d->osize_prefix = 1; d->rex = 0; continue;
        case 0x67: asize_prefix = true; d->rex = 0; continue;
        default: break;
        }
        if (long64 && (b & 0xf0) == 0x40) {
            d->rex = b;       /* counts only if the opcode follows at once */
            continue;
        }
        break;
    }
    unsigned map = 0;
    /* VEX: C4/C5 in 64-bit mode, elsewhere only when the next byte looks like a register
     * ModRM (LES/LDS otherwise); 66, F2, F3, LOCK or REX before it is #UD */
    if ((b == 0xc4 || b == 0xc5) && c->code_bits != 16 && f.pos < f.have &&
        (long64 || (f.buf[f.pos] >> 6) == 3)) {
        if (d->osize_prefix || d->rep || d->lock || d->rex)
            return ud(c);
        uint8_t v1, v2;
        if (!next_byte(&f, &v1))
            return false;
        unsigned r = !(v1 & 0x80), x = 0, bb = 0, w = 0;
        if (b == 0xc4) {
            x = !(v1 & 0x40);
            bb = !(v1 & 0x20);
            map = v1 & 31;
            if (map < 1 || map > 3)
                return ud(c);
            if (!next_byte(&f, &v2))
                return false;
            w = v2 >> 7;
        } else {
            map = 1;
            v2 = v1;
        }
        d->vex = 1;
        d->vex_l = (v2 >> 2) & 1;
        d->vex_pp = v2 & 3;
        d->vvvv = (~v2 >> 3) & 15;
        if (long64)
            d->rex = (uint8_t)(0x40 | (w << 3) | (r << 2) | (x << 1) | bb);
        else
            d->vvvv &= 7;
        if (!next_byte(&f, &b))
            return false;
    } else if (b == 0x0f) {
        map = 1;
        if (!next_byte(&f, &b))
            return false;
        if (b == 0x38 || b == 0x3a) {
            map = b == 0x38 ? 2 : 3;
            if (!next_byte(&f, &b))
                return false;
        }
    }
    d->map = map;
    d->opcode = b;
    if (long64)
        d->addrsize = asize_prefix ? 4 : 8;
    else if (c->code_bits == 32)
        d->addrsize = asize_prefix ? 2 : 4;
    else
        d->addrsize = asize_prefix ? 4 : 2;

    const uint16_t *ix = x86_form_index[map][b];
    if (ix[1] == 0)
        return ud(c);
    const X86Form *first = &x86_forms[x86_form_list[ix[0]]];
    uint8_t modrm = 0;
    unsigned mod = 3, digit = 0;
    if (first->flags & X86_F_MODRM) {
        if (!next_byte(&f, &modrm))
            return false;
        mod = modrm >> 6;
        digit = (modrm >> 3) & 7;
    }
    unsigned pfx = mandatory_prefix(d);
    unsigned mode = long64 ? X86_MODE_64 : X86_MODE_LEGACY;
    const X86Form *form = NULL;
    for (unsigned i = 0; i < ix[1]; i++) {
        const X86Form *t = &x86_forms[x86_form_list[ix[0] + i]];
        if (!(t->modes & mode) || !(t->pfx & pfx) || !(t->flags & X86_F_VEX) != !d->vex)
            continue;
        if ((t->flags & X86_F_MODRM) && !(t->regmask & (1u << digit)))
            continue;
        if (!(t->flags & X86_F_MODREG) &&
            ((t->mod == 1 && mod != 3) || (t->mod == 2 && mod == 3)))
            continue;
        form = t;
        break;
    }
    if (!form)
        return ud(c);
    d->fn = form->fn;
    d->op = form->op;
    d->opsize = operand_size(c, d, form->size);

    unsigned default_seg = X86_DS;
    if (form->flags & X86_F_PLUSR) {
        d->reg = (b & 7) | (d->rex & 1 ? 8 : 0);
    } else if (form->flags & X86_F_MODRM) {
        d->has_modrm = 1;
        d->reg = digit | (d->rex & 4 ? 8 : 0);
        if (form->flags & X86_F_MODREG)
            mod = 3;      /* MOV CRn/DRn: mod is ignored (SDM: "read as 11B") */
        d->mod = mod;
        if (mod == 3) {
            d->rm = (modrm & 7) | (d->rex & 1 ? 8 : 0);
        } else {
            d->rm = modrm & 7;
            if (!decode_modrm_mem(&f, d, modrm, &default_seg))
                return false;
        }
    } else {
        d->mod = 3;
    }
    if (d->lock && (!(form->flags & X86_F_LOCK) || d->mod == 3))
        return ud(c);
    if (form->imm == X86_IMM_OV)
        d->base = d->index = X86_NGPR;   /* moffs: the immediate is the whole offset */
    if (!decode_imm(&f, c, d, form->imm))
        return false;
    if (form->imm == X86_IMM_OV)
        d->disp = (int64_t)d->imm;
    d->seg = seg_override != X86_SEG_NONE ? seg_override : default_seg;
    d->len = f.pos;
    /* the three common address shapes, for x86_ea's shortcuts */
    if (d->mod != 3 && d->addrsize == 8 && form->imm != X86_IMM_OV) {
        if (d->rip_rel)
            d->ea_kind = X86_EA_RIP;
        else if (d->base != X86_NGPR && d->index == X86_NGPR)
            d->ea_kind = X86_EA_BASE;
        else if (d->base != X86_NGPR)
            d->ea_kind = X86_EA_INDEX;
    }
    return true;
}

static uint64_t trunc_addr(uint64_t a, unsigned size)
{
    return size == 8 ? a : size == 4 ? (uint32_t)a : (uint16_t)a;
}

static unsigned stack_bits(const X86Cpu *c)
{
    return c->code_bits == 64 ? 64 : c->stack_bits;
}

static void set_sp(X86Cpu *c, uint64_t sp)
{
    switch (stack_bits(c)) {
    case 64: c->gpr[X86_RSP] = sp; break;
    case 32: c->gpr[X86_RSP] = (uint32_t)sp; break;
    default: c->gpr[X86_RSP] = (c->gpr[X86_RSP] & ~0xffffull) | (sp & 0xffff); break;
    }
}

bool x86_push(X86Cpu *c, unsigned size, uint64_t v)
{
    unsigned sb = stack_bits(c);
    uint64_t sp = trunc_addr(c->gpr[X86_RSP] - size, sb / 8);
    if (!x86_write(c, X86_SS, sp, size, v))
        return false;
    set_sp(c, sp);
    return true;
}

bool x86_pop(X86Cpu *c, unsigned size, uint64_t *v)
{
    unsigned sb = stack_bits(c);
    uint64_t sp = trunc_addr(c->gpr[X86_RSP], sb / 8);
    if (!x86_read(c, X86_SS, sp, size, v))
        return false;
    set_sp(c, sp + size);
    return true;
}

uint64_t x86_ea_any(const X86Cpu *c, const X86Insn *d)
{
    uint64_t a = (uint64_t)d->disp;
    if (d->base != X86_NGPR)
        a += c->gpr[d->base];
    if (d->index != X86_NGPR)
        a += c->gpr[d->index] * d->scale;
    if (d->rip_rel)
        a += c->rip + d->len;
    return d->addrsize == 8 ? a : d->addrsize == 4 ? (uint32_t)a : (uint16_t)a;
}
