/* The x86-64 block compiler (suite x86jit, cpu/x86_64/jit.h): the host code it installs as the
 * handler of a run's first instruction must do what the handlers do, instruction for
 * instruction. Each test runs guest code once chained (the run loop's chain, where compiled
 * blocks run) and compares it with the same code run one instruction per run with the compiler
 * off (the generic path, which never enters a block): registers, RIP, RFLAGS' arithmetic flags,
 * memory and the retired count. A wrong operand size, offset, segment base, lazy-flag record,
 * host condition, side exit or budget check in the compiler gives a different state; each test
 * also checks that blocks were compiled at all (c->jit_blocks), so it cannot pass by the
 * compiler declining everything. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/machine.h"
#include "cpu/x86_64/cpu.h"
#include "x86_harness.h"

#define CODE 0x1000u              /* the random programs' code */
#define DATA 0x8000u              /* and their data page */
#define DATA_SIZE 0x1000u
#define BASE_RBP 0x8100u          /* the two base registers the programs never write */
#define BASE_R12 0x8600u
#define FS_BASE 0x400u
#define GS_BASE 0x200u

/* ---- a seeded generator of programs of the instructions the compiler takes ---- */

static uint64_t rnd(uint64_t *s)      /* splitmix64 */
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static unsigned below(uint64_t *s, unsigned n)
{
    return (unsigned)(rnd(s) % n);
}
/* a value with a fair share of the edges flags care about */
static uint64_t rnd_value(uint64_t *s)
{
    static const uint64_t edge[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
                                     0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffull,
                                     0x8000000000000000ull, 0xffffffffffffffffull };
    switch (below(s, 4)) {
    case 0: return edge[below(s, sizeof edge / sizeof edge[0])];
    case 1: return edge[below(s, sizeof edge / sizeof edge[0])] + below(s, 3) - 1;
    case 2: return rnd(s) & 0xff;
    default: return rnd(s);
    }
}

#define MAX_INSNS 512
typedef struct {
    uint32_t seed;
    uint8_t b[4096];
    unsigned len;
    unsigned start[MAX_INSNS];        /* each instruction's offset from CODE */
    unsigned n;
    uint64_t gpr[X86_NGPR];
    uint64_t flags;
    uint8_t data[DATA_SIZE];
    /* CALLs to the two subroutines (after the HLT in the same page, and at SUB2 in the next
     * page): where their rel32 is, patched once the subroutines are placed */
    unsigned call_at[8], call_to[8], ncall;
    uint8_t sub2[64];
    unsigned sub2_len;
} Prog;
#define SUB2 0x2000u

/* One instruction's encoding: prefixes, REX, opcode, ModRM (+ SIB, displacement), imm. */
enum { NONE = -1, RIPREL = 16 };
typedef struct {
    uint8_t seg;                      /* 0, 0x64 (FS) or 0x65 (GS) */
    bool o16, rexw, rex40;            /* 66; REX.W; a REX byte even if empty (SPL..DIL) */
    uint8_t opc[2];
    unsigned nopc;
    int opreg;                        /* B0+r / B8+r: the register in the opcode, else NONE */
    bool modrm;
    unsigned reg;                     /* ModRM.reg: a register or an opcode extension */
    bool mem;                         /* r/m is memory, else the register rm */
    unsigned rm;
    int base, index;                  /* NONE, a register, or RIPREL (base) */
    unsigned scale;
    int32_t disp;
    bool disp32;                      /* a 32-bit displacement even when 8 bits would do */
    uint64_t target;                  /* RIPREL: the offset the operand addresses */
    uint64_t imm;
    unsigned immlen;
} Enc;

/* Appends e at CODE + p->len as the program's next instruction. */
static void emit(Prog *p, const Enc *e)
{
    cr_assert_lt(p->n, MAX_INSNS);
    cr_assert_lt(p->len, sizeof p->b - 32);
    uint8_t *o = p->b + p->len, *s = o;
    if (e->seg)
        *o++ = e->seg;
    if (e->o16)
        *o++ = 0x66;
    unsigned r = 0, x = 0, b = 0;
    if (e->modrm) {
        r = e->reg >> 3 & 1;
        if (!e->mem)
            b = e->rm >> 3 & 1;
        else if (e->base != RIPREL) {
            if (e->index != NONE)
                x = (unsigned)e->index >> 3 & 1;
            if (e->base != NONE)
                b = (unsigned)e->base >> 3 & 1;
        }
    } else if (e->opreg != NONE) {
        b = (unsigned)e->opreg >> 3 & 1;
    }
    if (e->rexw || r || x || b || e->rex40)
        *o++ = (uint8_t)(0x40 | e->rexw << 3 | r << 2 | x << 1 | b);
    for (unsigned i = 0; i < e->nopc; i++)
        *o++ = e->opc[i];
    if (e->opreg != NONE)
        o[-1] = (uint8_t)(o[-1] + (e->opreg & 7));
    uint8_t *rel = NULL;
    if (e->modrm) {
        unsigned reg = (e->reg & 7) << 3;
        if (!e->mem) {
            *o++ = (uint8_t)(0xc0 | reg | (e->rm & 7));
        } else if (e->base == RIPREL) {
            *o++ = (uint8_t)(reg | 5);
            rel = o;
            o += 4;
        } else if (e->base == NONE) {               /* [index * scale + disp32] */
            unsigned ss = e->scale == 8 ? 3 : e->scale == 4 ? 2 : e->scale == 2 ? 1 : 0;
            *o++ = (uint8_t)(reg | 4);
            *o++ = (uint8_t)(ss << 6 | (e->index == NONE ? 4u : (unsigned)e->index & 7) << 3 | 5);
            memcpy(o, &e->disp, 4);
            o += 4;
        } else {
            unsigned bl = (unsigned)e->base & 7;
            unsigned mod = e->disp32 || e->disp < -128 || e->disp > 127 ? 2
                           : e->disp == 0 && bl != 5                      ? 0
                                                                          : 1;
            if (e->index != NONE || bl == 4) {
                unsigned ss = e->scale == 8 ? 3 : e->scale == 4 ? 2 : e->scale == 2 ? 1 : 0;
                *o++ = (uint8_t)(mod << 6 | reg | 4);
                *o++ = (uint8_t)(ss << 6 | (e->index == NONE ? 4u : (unsigned)e->index & 7) << 3 |
                                 bl);
            } else {
                *o++ = (uint8_t)(mod << 6 | reg | bl);
            }
            if (mod == 1)
                *o++ = (uint8_t)e->disp;
            else if (mod == 2) {
                memcpy(o, &e->disp, 4);
                o += 4;
            }
        }
    }
    memcpy(o, &e->imm, e->immlen);
    o += e->immlen;
    if (rel) {
        int32_t d = (int32_t)((int64_t)e->target - (int64_t)(CODE + p->len + (unsigned)(o - s)));
        memcpy(rel, &d, 4);
    }
    p->start[p->n++] = p->len;
    p->len += (unsigned)(o - s);
}

static void emit_bytes(Prog *p, const uint8_t *b, unsigned n)
{
    cr_assert_lt(p->n, MAX_INSNS);
    memcpy(p->b + p->len, b, n);
    p->start[p->n++] = p->len;
    p->len += n;
}

/* registers a program may write: all but RSP, the bases RBP and R12 and the counter R15 */
static const unsigned writable[] = { 0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 13, 14 };
#define NWRITABLE (sizeof writable / sizeof writable[0])

/* a register of size bytes to write (dst) or read; low: no REX (bytes 4-7 are AH..BH, which
 * are RAX..RBX's and so writable) */
static unsigned pick_reg(uint64_t *s, bool dst, unsigned size, bool low)
{
    if (low) {
        if (size == 1)
            return below(s, 8);
        static const unsigned lw[] = { 0, 1, 2, 3, 6, 7 };
        return dst ? lw[below(s, 6)] : below(s, 8);
    }
    return dst ? writable[below(s, NWRITABLE)] : below(s, 16);
}

/* A memory operand in the data page for e (whose other fields are set): base RBP or R12 plus
 * a displacement, maybe an index register (its value made small by an instruction emitted
 * before: AND with 0x7f or MOVZX of a byte), [index * scale + disp32] with no base, or
 * RIP-relative; maybe an FS or GS override. low: no register that needs a REX. */
static void pick_mem(uint64_t *s, Prog *p, Enc *e, bool low)
{
    e->modrm = true;
    e->mem = true;
    e->index = NONE;
    e->scale = 1;
    e->disp32 = below(s, 4) == 0;
    unsigned segb = 0;
    switch (below(s, 6)) {
    case 0: e->seg = 0x64; segb = FS_BASE; break;
    case 1: e->seg = 0x65; segb = GS_BASE; break;
    default: e->seg = 0; break;
    }
    unsigned kind = below(s, 8);
    if (kind == 0) {                                          /* RIP-relative */
        e->base = RIPREL;
        e->target = DATA + below(s, 0xbf0) - segb;
        return;
    }
    if (kind != 1)
        e->base = low || below(s, 2) ? X86_RBP : X86_R12;
    else
        e->base = NONE;
    if (below(s, 2)) {
        static const unsigned lw[] = { 0, 1, 2, 3, 6, 7 };
        unsigned ix = low ? lw[below(s, 6)] : writable[below(s, NWRITABLE)];
        Enc pre = { .opreg = NONE, .modrm = true, .rm = ix };
        if (below(s, 2)) {                                    /* and e<ix>, 0x7f */
            pre.opc[0] = 0x83;
            pre.nopc = 1;
            pre.reg = 4;
            pre.imm = 0x7f;
            pre.immlen = 1;
            e->scale = 1u << below(s, 4);
        } else {                                              /* movzx e<ix>, <byte reg> */
            pre.opc[0] = 0x0f;
            pre.opc[1] = 0xb6;
            pre.nopc = 2;
            pre.reg = ix;
            pre.rm = below(s, 8);
            pre.rex40 = !low && below(s, 2);   /* SPL..DIL, else AH..BH */
            if (ix >= 8 && pre.rm >= 4)
                pre.rm &= 3;                   /* with a REX anyway: keep to AL..BL */
            e->scale = 1u << below(s, 3);
        }
        emit(p, &pre);
        e->index = (int)ix;
    }
    if (e->base == NONE)
        e->disp = (int32_t)(DATA + below(s, 0x700));
    else
        e->disp = (int32_t)below(s, 0x200) - 0x100;
}

/* an immediate of len bytes (8: a 64-bit MOV's) */
static void pick_imm(uint64_t *s, Enc *e, unsigned len)
{
    e->immlen = len;
    e->imm = rnd_value(s) & (len == 8 ? ~0ull : (1ull << (8 * len)) - 1);
}

static void set_size(Enc *e, unsigned size)
{
    e->o16 = size == 2;
    e->rexw = size == 8;
}

/* Appends e as the one-byte opcode opc of an E,G (form 0/1) or G,E (form 2/3) pair at size:
 * the destination a register the program may write, the other operand a register or, half
 * the time, memory in the data page. */
static void emit_eg(uint64_t *s, Prog *p, Enc *e, uint8_t opc, unsigned form, unsigned size,
                    bool low)
{
    set_size(e, size);
    e->opc[0] = opc;
    e->nopc = 1;
    e->modrm = true;
    e->reg = pick_reg(s, form >= 2, size, low);
    if (below(s, 2))
        pick_mem(s, p, e, low);
    else
        e->rm = pick_reg(s, form < 2, size, low);
    emit(p, e);
}

/* Appends one random instruction (with the instruction making its index small, if any);
 * true when it writes all arithmetic flags, so a Jcc may follow. supported_only: one the
 * compiler takes. */
static bool gen_insn(uint64_t *s, Prog *p, bool supported_only)
{
    static const unsigned sizes[] = { 1, 2, 4, 8 };
    static const unsigned alu[] = { 0, 1, 4, 5, 6, 7 };       /* ADD OR AND SUB XOR CMP */
    Enc e = { .opreg = NONE, .index = NONE, .base = NONE, .scale = 1 };
    unsigned size = sizes[below(s, 4)];
    /* bytes without a REX: AH..BH, and neither R8-R15 nor SPL..DIL */
    bool low = size == 1 && below(s, 2);
    e.rex40 = size == 1 && !low;
    unsigned what = below(s, supported_only ? 24 : 27);   /* a CALL ends a block */
    switch (what) {
    case 0: case 1: case 2: {                     /* ALU E,G or G,E: 00-3B */
        unsigned op = alu[below(s, 6)], form = below(s, 2) * 2 + (size != 1);
        emit_eg(s, p, &e, (uint8_t)(op * 8 + form), form, size, low);
        return true;
    }
    case 3: {                                     /* ALU AL/eAX, imm: 04/05 .. 3C/3D */
        unsigned op = alu[below(s, 6)];
        set_size(&e, size);
        e.rex40 = false;
        e.opc[0] = (uint8_t)(op * 8 + 4 + (size != 1));
        e.nopc = 1;
        pick_imm(s, &e, size == 1 ? 1 : size == 2 ? 2 : 4);
        emit(p, &e);
        return true;
    }
    case 4: case 5: {                             /* group 1: 80, 81, 83 /0 /1 /4-/7 */
        set_size(&e, size);
        e.modrm = true;
        e.reg = alu[below(s, 6)];
        unsigned form = size == 1 ? 0x80 : below(s, 2) ? 0x81 : 0x83;
        e.opc[0] = (uint8_t)form;
        e.nopc = 1;
        if (below(s, 2))
            pick_mem(s, p, &e, low);
        else
            e.rm = pick_reg(s, true, size, low);
        pick_imm(s, &e, form != 0x81 ? 1 : size == 2 ? 2 : 4);
        emit(p, &e);
        return true;
    }
    case 6: {                                     /* TEST: 84/85, A8/A9, F6/F7 /0 */
        set_size(&e, size);
        e.nopc = 1;
        switch (below(s, 3)) {
        case 0:
            e.opc[0] = size == 1 ? 0x84 : 0x85;
            e.modrm = true;
            e.reg = pick_reg(s, false, size, low);
            if (below(s, 2))
                pick_mem(s, p, &e, low);
            else
                e.rm = pick_reg(s, false, size, low);
            break;
        case 1:
            e.rex40 = false;
            e.opc[0] = size == 1 ? 0xa8 : 0xa9;
            pick_imm(s, &e, size == 1 ? 1 : size == 2 ? 2 : 4);
            break;
        default:
            e.opc[0] = size == 1 ? 0xf6 : 0xf7;
            e.modrm = true;
            e.reg = 0;
            if (below(s, 2))
                pick_mem(s, p, &e, low);
            else
                e.rm = pick_reg(s, false, size, low);
            pick_imm(s, &e, size == 1 ? 1 : size == 2 ? 2 : 4);
            break;
        }
        emit(p, &e);
        return true;
    }
    case 7: case 8: case 9: {                     /* MOV: 88-8B */
        unsigned form = below(s, 2) * 2 + (size != 1);
        emit_eg(s, p, &e, (uint8_t)(0x88 + form), form, size, low);
        return false;
    }
    case 10: case 11: {                           /* MOV imm: B0-BF, C6/C7 /0 */
        set_size(&e, size);
        e.nopc = 1;
        if (below(s, 2)) {
            e.opc[0] = size == 1 ? 0xb0 : 0xb8;
            e.opreg = (int)pick_reg(s, true, size, low);
            pick_imm(s, &e, size == 1 ? 1 : size == 2 ? 2 : size == 4 ? 4 : 8);
        } else {
            e.opc[0] = size == 1 ? 0xc6 : 0xc7;
            e.modrm = true;
            e.reg = 0;
            if (below(s, 2))
                pick_mem(s, p, &e, low);
            else
                e.rm = pick_reg(s, true, size, low);
            pick_imm(s, &e, size == 1 ? 1 : size == 2 ? 2 : 4);
        }
        emit(p, &e);
        return false;
    }
    case 12: case 13: {                           /* MOVZX/MOVSX: 0F B6/B7/BE/BF */
        unsigned dsize = sizes[1 + below(s, 3)], ssize = 1 + below(s, 2);
        low = ssize == 1 && below(s, 2);
        e.rex40 = ssize == 1 && !low;
        set_size(&e, dsize);
        e.opc[0] = 0x0f;
        e.opc[1] = (uint8_t)((below(s, 2) ? 0xb6 : 0xbe) + (ssize == 2));
        e.nopc = 2;
        e.modrm = true;
        e.reg = pick_reg(s, true, dsize, low);
        if (below(s, 2))
            pick_mem(s, p, &e, low);
        else
            e.rm = pick_reg(s, false, ssize, low);
        emit(p, &e);
        return false;
    }
    case 14: {                                    /* MOVSXD: 63 (REX.W: sign-extends) */
        e.rexw = below(s, 2);
        e.rex40 = false;
        e.opc[0] = 0x63;
        e.nopc = 1;
        e.modrm = true;
        e.reg = pick_reg(s, true, 8, false);
        if (below(s, 2))
            pick_mem(s, p, &e, false);
        else
            e.rm = pick_reg(s, false, 4, false);
        emit(p, &e);
        return false;
    }
    case 15: case 16: {                           /* LEA: 8D, any registers (not accessed) */
        e.rexw = below(s, 2);
        e.rex40 = false;
        e.opc[0] = 0x8d;
        e.nopc = 1;
        e.modrm = true;
        e.mem = true;
        e.reg = pick_reg(s, true, 8, false);
        e.disp32 = below(s, 3) == 0;
        e.disp = (int32_t)rnd_value(s);
        switch (below(s, 4)) {
        case 0:
            e.base = RIPREL;
            e.target = rnd(s) & 0xffffff;
            break;
        case 1:
            e.base = NONE;
            break;
        default:
            e.base = (int)below(s, 16);
            break;
        }
        if (e.base != RIPREL && below(s, 2)) {
            e.index = (int)below(s, 15);
            if (e.index >= 4)
                e.index++;                                    /* RSP is no index */
            e.scale = 1u << below(s, 4);
        }
        emit(p, &e);
        return false;
    }
    case 17: {                                    /* ALU on AH..BH and memory: bytes */
        unsigned op = alu[below(s, 6)];
        e.rex40 = false;
        e.opc[0] = (uint8_t)(op * 8 + 2);
        e.nopc = 1;
        e.modrm = true;
        e.reg = 4 + below(s, 4);                              /* AH..BH */
        if (below(s, 2))
            pick_mem(s, p, &e, true);
        else
            e.rm = below(s, 8);
        emit(p, &e);
        return true;
    }
    case 18: {                                    /* SHL SHR SAR ROL ROR by 1 or imm8 */
        static const unsigned kind[] = { 0, 1, 4, 5, 7 };
        set_size(&e, size);
        bool one = below(s, 3) == 0;
        e.opc[0] = (uint8_t)((one ? 0xd0 : 0xc0) + (size != 1));
        e.nopc = 1;
        e.modrm = true;
        e.reg = kind[below(s, 5)];
        e.rm = pick_reg(s, true, size, low);
        if (!one) {
            e.immlen = 1;
            e.imm = below(s, 4) == 0 ? below(s, 80) : 1 + below(s, 8 * size - 1);
        }
        emit(p, &e);
        return e.reg >= 4;
    }
    case 19: {                                    /* SHL SHR SAR by CL (CL may be 0) */
        static const unsigned kind[] = { 4, 5, 7 };
        set_size(&e, size);
        e.opc[0] = (uint8_t)(0xd2 + (size != 1));
        e.nopc = 1;
        e.modrm = true;
        e.reg = kind[below(s, 3)];
        e.rm = pick_reg(s, true, size, low);
        if (below(s, 3) == 0) {                               /* mov cl, 0 first */
            static const uint8_t cl0[] = { 0xb1, 0x00 };
            emit_bytes(p, cl0, 2);
        }
        emit(p, &e);
        return false;
    }
    case 20: {                                    /* INC DEC NOT NEG: FE/FF /0-1, F6/F7 /2-3 */
        unsigned k = below(s, 4);
        set_size(&e, size);
        e.opc[0] = (uint8_t)((k < 2 ? 0xfe : 0xf6) + (size != 1));
        e.nopc = 1;
        e.modrm = true;
        e.reg = k < 2 ? k : k;                                /* /0 /1 /2 /3 */
        if (below(s, 3) == 0)
            pick_mem(s, p, &e, low);
        else
            e.rm = pick_reg(s, true, size, low);
        emit(p, &e);
        return k == 3;
    }
    case 21: {                                    /* IMUL Gv,Ev / Gv,Ev,imm: 0F AF, 69, 6B */
        unsigned sz = size == 1 ? 4 : size, form = below(s, 3);
        set_size(&e, sz);
        e.rex40 = false;
        if (form == 0) {
            e.opc[0] = 0x0f;
            e.opc[1] = 0xaf;
            e.nopc = 2;
        } else {
            e.opc[0] = form == 1 ? 0x69 : 0x6b;
            e.nopc = 1;
            pick_imm(s, &e, form == 1 ? (sz == 2 ? 2 : 4) : 1);
        }
        e.modrm = true;
        e.reg = pick_reg(s, true, sz, false);
        if (below(s, 3) == 0)
            pick_mem(s, p, &e, false);
        else
            e.rm = pick_reg(s, false, sz, false);
        emit(p, &e);
        return false;
    }
    case 22: {                                    /* CMOVcc 0F 40-4F, SETcc 0F 90-9F */
        unsigned cc = below(s, 16);
        e.modrm = true;
        e.opc[0] = 0x0f;
        e.nopc = 2;
        if (below(s, 2)) {
            unsigned sz = size == 1 ? 4 : size;
            set_size(&e, sz);
            e.rex40 = false;
            e.opc[1] = (uint8_t)(0x40 + cc);
            e.reg = pick_reg(s, true, sz, false);
            if (below(s, 3) == 0)
                pick_mem(s, p, &e, false);
            else
                e.rm = pick_reg(s, false, sz, false);
        } else {
            e.opc[1] = (uint8_t)(0x90 + cc);
            e.rex40 = !low;
            e.rm = pick_reg(s, true, 1, low);
        }
        emit(p, &e);
        return false;
    }
    case 23: {                                    /* PUSH reg/imm, then POP reg */
        uint8_t b[8];
        unsigned n = 0, r = below(s, 16);
        if (below(s, 3) == 0) {
            b[n++] = 0x6a;                                    /* push imm8 */
            b[n++] = (uint8_t)rnd(s);
        } else {
            if (r >= 8)
                b[n++] = 0x41;
            b[n++] = (uint8_t)(0x50 + (r & 7));               /* push r (RSP too) */
        }
        emit_bytes(p, b, n);
        unsigned d = writable[below(s, NWRITABLE)];
        n = 0;
        if (d >= 8)
            b[n++] = 0x41;
        b[n++] = (uint8_t)(0x58 + (d & 7));                   /* pop d */
        emit_bytes(p, b, n);
        return false;
    }
    case 24: {                                    /* CALL one of the subroutines */
        if (p->ncall >= 8)
            return false;
        uint8_t b[5] = { 0xe8 };
        p->call_at[p->ncall] = p->len + 1;
        p->call_to[p->ncall++] = below(s, 2);
        emit_bytes(p, b, 5);
        return false;
    }
    default: {                                    /* not for a block: it ends one */
        static const struct { uint8_t n, b[5]; bool flags; } other[] = {
            { 3, { 0x48, 0x11, 0xd8 }, true },                /* adc rax, rbx */
            { 3, { 0x48, 0x19, 0xca }, true },                /* sbb rdx, rcx */
            { 4, { 0x48, 0x83, 0xd6, 0x05 }, true },          /* adc rsi, 5 */
            { 3, { 0x48, 0xd1, 0xd0 }, false },               /* rcl rax, 1 */
            { 4, { 0x66, 0x8d, 0x43, 0x07 }, false },         /* lea ax, [rbx + 7] (16 bits) */
            { 2, { 0x0f, 0xc8 }, false },                     /* bswap eax */
            { 1, { 0xf5 }, false },                           /* cmc */
            { 3, { 0x48, 0x87, 0xd9 }, false },               /* xchg rcx, rbx */
        };
        unsigned k = below(s, sizeof other / sizeof other[0]);
        emit_bytes(p, other[k].b, other[k].n);
        return other[k].flags;
    }
    }
}

/* Program `seed`: random registers, flags and data, then a loop of 10-30 random instructions
 * (a Jcc over the next one after some of the flag writers), R15 (4-6) passes, and HLT. */
static void gen_prog(Prog *p, uint32_t seed)
{
    memset(p, 0, sizeof *p);
    p->seed = seed;
    uint64_t s = seed * 0x2545f4914f6cdd1dull + 1;
    for (unsigned r = 0; r < X86_NGPR; r++)
        p->gpr[r] = rnd_value(&s);
    p->gpr[X86_RSP] = 0x9000;
    p->gpr[X86_RBP] = BASE_RBP;
    p->gpr[X86_R12] = BASE_R12;
    p->gpr[X86_R15] = 4 + seed % 3;        /* the first pass decodes, the second compiles */
    p->flags = 0x2 | (rnd(&s) & X86_FLAGS_ARITH);
    for (unsigned i = 0; i < DATA_SIZE; i += 8) {
        uint64_t v = rnd_value(&s);
        memcpy(p->data + i, &v, 8);
    }
    unsigned body = 10 + below(&s, 21);
    for (unsigned i = 0; i < body; i++) {
        /* the loop's head (a branch target) starts a block: two the compiler takes */
        bool flags = gen_insn(&s, p, i < 2);
        if (flags && below(&s, 3) == 0) {
            /* jcc over the next instruction (and the one making its index small) */
            Prog next = *p;
            unsigned n0 = next.n, l0 = next.len;
            uint8_t cc = (uint8_t)below(&s, 16);
            bool near = below(&s, 3) == 0;
            unsigned jlen = near ? 6 : 2;
            next.len += jlen;                 /* where it would be, for RIP-relative ones */
            gen_insn(&s, &next, false);
            i++;
            unsigned skip = next.len - l0 - jlen;
            uint8_t j[6];
            if (near) {
                j[0] = 0x0f;
                j[1] = (uint8_t)(0x80 + cc);
                memcpy(j + 2, &skip, 4);
            } else {
                j[0] = (uint8_t)(0x70 + cc);
                j[1] = (uint8_t)skip;
            }
            emit_bytes(p, j, jlen);
            memcpy(p->b + p->len, next.b + l0 + jlen, skip);
            for (unsigned k = n0; k < next.n; k++)
                p->start[p->n++] = next.start[k];
            p->len = next.len;
        }
    }
    /* the loop's end: sub r15, 1 (a block with its Jcc) or dec r15 (not one); jnz */
    if (seed & 1) {
        static const uint8_t sub[] = { 0x49, 0x83, 0xef, 0x01 };
        emit_bytes(p, sub, sizeof sub);
    } else {
        static const uint8_t dec[] = { 0x49, 0xff, 0xcf };
        emit_bytes(p, dec, sizeof dec);
    }
    int32_t back = -(int32_t)(p->len + 6);
    uint8_t jnz[6] = { 0x0f, 0x85 };
    memcpy(jnz + 2, &back, 4);
    emit_bytes(p, jnz, sizeof jnz);
    static const uint8_t hlt[] = { 0xf4 };
    emit_bytes(p, hlt, 1);
    /* the subroutines: a few instructions the compiler takes, then RET; one here, one in the
     * next page (a CALL's target outside its block's page) */
    unsigned sub1 = p->len;
    for (unsigned i = 0, k = 2 + below(&s, 3); i < k; i++)
        gen_insn(&s, p, true);
    static const uint8_t ret[] = { 0xc3 };
    emit_bytes(p, ret, 1);
    static const uint8_t sub2[] = { 0x48, 0x83, 0xc3, 0x05,   /* add rbx, 5 */
                                    0x48, 0x31, 0xd8,         /* xor rax, rbx */
                                    0x41, 0x59, 0x41, 0x51,   /* pop r9; push r9 */
                                    0xc3 };
    memcpy(p->sub2, sub2, sizeof sub2);
    p->sub2_len = sizeof sub2;
    for (unsigned i = 0; i < p->ncall; i++) {
        int32_t to = p->call_to[i] ? (int32_t)(SUB2 - CODE) : (int32_t)sub1;
        int32_t rel = to - (int32_t)(p->call_at[i] + 4);
        memcpy(p->b + p->call_at[i], &rel, 4);
    }
}

/* ---- running and comparing ---- */

typedef struct {
    uint64_t gpr[X86_NGPR], rip, flags, icount, blocks;
    bool halted;
    uint8_t data[DATA_SIZE];
} State;

static XH *load(const Prog *p, bool jit_off)
{
    XH *t = xh_new(NULL);
    X86Cpu *c = t->c;
    xh_enter_long(t, CODE);
    xh_put(t, CODE, p->b, p->len);
    xh_put(t, SUB2, p->sub2, p->sub2_len);
    xh_put(t, DATA, p->data, DATA_SIZE);
    memcpy(c->gpr, p->gpr, sizeof c->gpr);
    c->rflags = p->flags;
    c->seg[X86_FS].base = FS_BASE;
    c->seg[X86_GS].base = GS_BASE;
    c->jit_off = jit_off;
    return t;
}

static void snap(XH *t, State *st)
{
    memcpy(st->gpr, t->c->gpr, sizeof st->gpr);
    st->rip = t->c->rip;
    st->flags = t->c->rflags & X86_FLAGS_ARITH;
    st->icount = machine_icount(t->m);
    st->blocks = t->c->jit_blocks;
    st->halted = t->c->halted;
    memcpy(st->data, t->m->ram + DATA, DATA_SIZE);
}

static const char *const reg_name[X86_NGPR] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp",
                                                "rsi", "rdi", "r8",  "r9",  "r10", "r11",
                                                "r12", "r13", "r14", "r15" };

/* true when a and b agree (not counting blocks); else why, the first difference */
static bool same_state(const State *a, const State *b, char *why, size_t n)
{
    for (unsigned r = 0; r < X86_NGPR; r++)
        if (a->gpr[r] != b->gpr[r]) {
            snprintf(why, n, "%s %#llx vs %#llx", reg_name[r], (unsigned long long)a->gpr[r],
                     (unsigned long long)b->gpr[r]);
            return false;
        }
    if (a->rip != b->rip) {
        snprintf(why, n, "rip %#llx vs %#llx", (unsigned long long)a->rip,
                 (unsigned long long)b->rip);
        return false;
    }
    if (a->flags != b->flags) {
        snprintf(why, n, "flags %#llx vs %#llx", (unsigned long long)a->flags,
                 (unsigned long long)b->flags);
        return false;
    }
    if (a->icount != b->icount) {
        snprintf(why, n, "retired %llu vs %llu", (unsigned long long)a->icount,
                 (unsigned long long)b->icount);
        return false;
    }
    for (unsigned i = 0; i < DATA_SIZE; i++)
        if (a->data[i] != b->data[i]) {
            snprintf(why, n, "byte %#x: %#x vs %#x", DATA + i, a->data[i], b->data[i]);
            return false;
        }
    return true;
}

/* "instruction i (bytes)" for the instruction at rip */
static void describe(const Prog *p, uint64_t rip, char *out, size_t n)
{
    unsigned i = 0;
    while (i < p->n && CODE + p->start[i] != rip)
        i++;
    if (i == p->n) {
        snprintf(out, n, "rip %#llx (not an instruction's start)", (unsigned long long)rip);
        return;
    }
    unsigned end = i + 1 < p->n ? p->start[i + 1] : p->len;
    int k = snprintf(out, n, "instruction %u at %#llx (", i, (unsigned long long)rip);
    for (unsigned b = p->start[i]; b < end && k > 0 && (size_t)k + 4 < n; b++)
        k += snprintf(out + k, n - (size_t)k, b == p->start[i] ? "%02x" : " %02x", p->b[b]);
    if (k > 0 && (size_t)k + 2 < n)
        snprintf(out + k, n - (size_t)k, ")");
}

/* After a difference at the end: the first instruction where the chained run (budget k, a
 * fresh machine each) and the one-by-one run part, for the failure's message. */
static void first_difference(const Prog *p, char *out, size_t n)
{
    State *a = malloc(sizeof *a), *b = malloc(sizeof *b), *prev = malloc(sizeof *prev);
    XH *ref = load(p, true);
    snap(ref, prev);
    snprintf(out, n, "no difference found instruction by instruction");
    for (uint64_t k = 1; k < 100000 && !prev->halted; k++) {
        xh_run(ref, 1);
        snap(ref, b);
        XH *t = load(p, false);
        xh_run(t, k);
        snap(t, a);
        xh_free(t);
        char why[128], where[160];
        if (!same_state(a, b, why, sizeof why)) {
            describe(p, prev->rip, where, sizeof where);
            snprintf(out, n, "first seen after %llu instructions (a block runs whole), "
                     "the last %s: %s",
                     (unsigned long long)k, where, why);
            break;
        }
        *prev = *b;
    }
    xh_free(ref);
    free(a);
    free(b);
    free(prev);
}

/* Runs p chained with the compiler on into *a and one instruction per run with it off into
 * *b; asserts they agree (the seed, the first differing instruction and the difference in
 * the message) and that both reached the HLT. */
static void run_both(const Prog *p, State *a, State *b)
{
    XH *t = load(p, false);
    xh_run_chained_or_not(t, 100000, false);
    snap(t, a);
    xh_free(t);
    t = load(p, true);
    xh_run_chained_or_not(t, 100000, true);
    snap(t, b);
    xh_free(t);
    cr_assert(b->halted, "seed %u: the program ran to its HLT one by one", p->seed);
    char why[128];
    if (!same_state(a, b, why, sizeof why)) {
        char where[400];
        first_difference(p, where, sizeof where);
        cr_assert_fail("seed %u: chained with blocks vs one by one: %s; %s", p->seed, why, where);
    }
    cr_assert(a->halted, "seed %u: halted", p->seed);
}

TestSuite(x86jit);

/* 40 seeded random programs of everything the compiler takes (every ALU form, TEST, MOV,
 * MOVZX/MOVSX/MOVSXD, LEA, sizes 1-8 with AH..BH, SPL..DIL and R8-R15, immediates, memory
 * through base + disp, base + index * scale + disp, no base, RIP-relative, FS/GS, a Jcc after
 * a flag writer) with a few it does not, in a loop run 4-6 times: chained, where the loop's
 * blocks run from the third pass, and one by one with the compiler off. Every register, RIP,
 * the arithmetic flags, the data page and the retired count must agree; a wrong operand, size,
 * address, flag (the final flags, or a Jcc's direction) or count in a block fails it, naming
 * the seed and the first instruction whose result differs. Every program compiles blocks
 * (its loop's head starts with two the compiler takes). */
Test(x86jit, random_blocks_as_the_handlers)
{
    Prog *p = malloc(sizeof *p);
    State *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    for (uint32_t seed = 1; seed <= 40; seed++) {
        gen_prog(p, seed);
        run_both(p, a, b);
        cr_assert_gt(a->blocks, 0, "seed %u: blocks compiled", seed);
        cr_assert_eq(b->blocks, 0, "seed %u: none with the compiler off", seed);
    }
    free(p);
    free(a);
    free(b);
}

/* Memory operands a block cannot take inline leave it before their instruction, which runs
 * through its own handler (and the rest of the pass through theirs: a block is entered only
 * at its head). First, a loop whose every pass touches new pages, in five blocks (a NOP, which
 * no block holds, ends each; the next starts one), each with the access to leave by second:
 * a read's first touch, a read of a page whose TLB entry the one before evicted (the same
 * slot), a store's first touch after a read that hits, a read across the page's end, and a
 * read across two linear pages mapped to physical pages apart after one that hits. Then
 * stores into pages holding decoded code, the block's own (the immediate of an instruction
 * later in the same block) and another page's (a subroutine's), on some passes only, so that
 * the block has run before. A block that used a TLB entry of another page, or read past its
 * page's end, reads or writes the wrong bytes; one that stored into code without the
 * handler's drop of the decoded page runs the stale immediate. Both against a C model and
 * the one-by-one run. */
static const uint8_t touch_prog[] = {
    0x48, 0x8d, 0xb3, 0x00, 0x08, 0x00, 0x00,             /* 1000: lea rsi, [rbx + 0x800] */
    0x48, 0x8b, 0x8b, 0x00, 0x00, 0x10, 0x00,             /* 1007: mov rcx, [rbx + 0x100000] */
    0x90,                                                 /* 100e: nop */
    0x49, 0x89, 0xca,                                     /* 100f: mov r10, rcx */
    0x48, 0x03, 0x0b,                                     /* 1012: add rcx, [rbx] (evicted) */
    0x90,                                                 /* 1015: nop */
    0x49, 0x89, 0xcb,                                     /* 1016: mov r11, rcx */
    0x48, 0x03, 0x4b, 0x08,                               /* 1019: add rcx, [rbx + 8] */
    0x48, 0x89, 0x0e,                                     /* 101d: mov [rsi], rcx */
    0x90,                                                 /* 1020: nop */
    0x49, 0x89, 0xd2,                                     /* 1021: mov r10, rdx */
    0x8b, 0x93, 0xfe, 0x0f, 0x00, 0x00,                   /* 1024: mov edx, [rbx + 0xffe] */
    0x48, 0x01, 0xd0,                                     /* 102a: add rax, rdx */
    0x90,                                                 /* 102d: nop */
    0x45, 0x8b, 0x58, 0xf8,                               /* 102e: mov r11d, [r8 - 8] */
    0x45, 0x8b, 0x08,                                     /* 1032: mov r9d, [r8] (0x200ffe) */
    0x4c, 0x01, 0xc8,                                     /* 1035: add rax, r9 */
    0x48, 0x81, 0xc3, 0x00, 0x10, 0x00, 0x00,             /* 1038: add rbx, 0x1000 */
    0x49, 0x83, 0xef, 0x01,                               /* 103f: sub r15, 1 */
    0x75, 0xbb,                                           /* 1043: jnz 1000 */
    0xf4,                                                 /* 1045: hlt */
};
/* VA 0x200000 -> PA 0x5000, VA 0x201000 -> PA 0x3000: the read at 0x200ffe takes two bytes of
 * each, not of the RAM after 0x5fff */
#define CROSS_VA 0x200ffeu
static const uint8_t cross_bytes[2][2] = { { 0x11, 0x22 }, { 0x33, 0x44 } };
#define TOUCH_PAGES 8
#define TOUCH_AT 0x40000u

/* the pages from TOUCH_AT and TOUCH_AT + 1 MiB, at at */
static void touch_fill(uint8_t *at)
{
    for (unsigned i = 0; i < (TOUCH_PAGES + 1) * 0x1000; i++) {
        at[i] = (uint8_t)(i * 13 + (i >> 9));
        at[0x100000 + i] = (uint8_t)(i * 7 + (i >> 10) + 1);
    }
}

static void touch_run(bool one_by_one, uint64_t *gpr, uint8_t *mem, uint64_t *blocks)
{
    XH *t = xh_new(NULL);
    X86Cpu *c = t->c;
    xh_enter_long(t, CODE);
    xh_put(t, CODE, touch_prog, sizeof touch_prog);
    touch_fill(t->m->ram + TOUCH_AT);
    c->gpr[X86_RAX] = 0x1234;
    c->gpr[X86_RBX] = TOUCH_AT;
    c->gpr[X86_R15] = TOUCH_PAGES;
    c->gpr[X86_R8] = CROSS_VA;
    xh_put64(t, 0x13000, 0x5000 | 3);
    xh_put64(t, 0x13008, 0x3000 | 3);
    xh_put(t, 0x5ffe, cross_bytes[0], 2);
    xh_put(t, 0x3000, cross_bytes[1], 2);
    xh_put(t, 0x6000, "\x55\x66", 2);                      /* what a read past 0x5fff gets */
    c->jit_off = one_by_one;
    xh_run_chained_or_not(t, 1000, one_by_one);
    cr_assert(c->halted, "one by one %d: the program ran to its HLT", one_by_one);
    memcpy(gpr, c->gpr, sizeof c->gpr);
    memcpy(mem, t->m->ram + TOUCH_AT, TOUCH_PAGES * 0x1000);
    *blocks = c->jit_blocks;
    xh_free(t);
}

static void touch_test(void)
{
    /* the model's RAM from TOUCH_AT */
    static uint8_t ram[0x100000 + (TOUCH_PAGES + 1) * 0x1000], mem[2][TOUCH_PAGES * 0x1000];
    touch_fill(ram);
    uint64_t rax = 0x1234;
    for (unsigned i = 0; i < TOUCH_PAGES; i++) {
        uint64_t at = i * 0x1000ull, x, y, z;
        uint32_t d;
        memcpy(&x, ram + at + 0x100000, 8);
        memcpy(&y, ram + at, 8);
        memcpy(&z, ram + at + 8, 8);
        x += y + z;
        memcpy(ram + at + 0x800, &x, 8);
        memcpy(&d, ram + at + 0xffe, 4);
        rax += d;
        rax += 0x44332211u;                                   /* cross_bytes */
    }
    uint64_t gpr[2][X86_NGPR], blocks[2];
    for (int way = 0; way < 2; way++)
        touch_run(way == 1, gpr[way], mem[way], &blocks[way]);
    cr_assert_gt(blocks[0], 0, "the loop was compiled");
    cr_assert_eq(gpr[0][X86_RAX], rax, "rax %#llx, model %#llx",
                 (unsigned long long)gpr[0][X86_RAX], (unsigned long long)rax);
    cr_assert_eq(gpr[0][X86_RBX], TOUCH_AT + TOUCH_PAGES * 0x1000);
    cr_assert_eq(memcmp(mem[0], ram, sizeof mem[0]), 0, "the stores as the model's");
    cr_assert_eq(memcmp(gpr[0], gpr[1], sizeof gpr[0]), 0, "registers as one by one");
    cr_assert_eq(memcmp(mem[0], mem[1], sizeof mem[0]), 0, "memory as one by one");
}

/* R15 from 6 down to 1: each pass stores R15 + 0x10 where the table at [rbp + r15 * 8]
 * says, the data page or (passes 3 and 1) the low byte of the ADD's immediate after it, in
 * the same block; EBX sums the ADD's immediates. Passes 6, 5, 4 add 0, 3 and 2 add 0x13, 1
 * adds 0x11. Then the same with the immediate in another page's subroutine (MOV EAX, imm;
 * RET) called after the store. */
static const uint8_t smc_prog[] = {
    0x4a, 0x8b, 0x74, 0xfd, 0x00,                         /* 1000: mov rsi, [rbp + r15*8] */
    0x44, 0x89, 0xf9,                                     /* 1005: mov ecx, r15d */
    0x83, 0xc1, 0x10,                                     /* 1008: add ecx, 0x10 */
    0x89, 0xca,                                           /* 100b: mov edx, ecx */
    0x88, 0x0e,                                           /* 100d: mov [rsi], cl */
    0x48, 0x8d, 0x7a, 0x01,                               /* 100f: lea rdi, [rdx + 1] */
    0x81, 0xc3, 0x00, 0x00, 0x00, 0x00,                   /* 1013: add ebx, <patched> */
    0x89, 0xd8,                                           /* 1019: mov eax, ebx */
    0x49, 0x83, 0xef, 0x01,                               /* 101b: sub r15, 1 */
    0x75, 0xdf,                                           /* 101f: jnz 1000 */
    0xf4,                                                 /* 1021: hlt */
};
static const uint8_t smc_call_prog[] = {
    0x4a, 0x8b, 0x74, 0xfd, 0x00,                         /* 1000: mov rsi, [rbp + r15*8] */
    0x44, 0x89, 0xf9,                                     /* 1005: mov ecx, r15d */
    0x83, 0xc1, 0x10,                                     /* 1008: add ecx, 0x10 */
    0x89, 0xca,                                           /* 100b: mov edx, ecx */
    0x88, 0x0e,                                           /* 100d: mov [rsi], cl */
    0x48, 0x8d, 0x7a, 0x01,                               /* 100f: lea rdi, [rdx + 1] */
    0xe8, 0xe8, 0x0f, 0x00, 0x00,                         /* 1013: call 2000 */
    0x01, 0xc3,                                           /* 1018: add ebx, eax */
    0x49, 0x83, 0xef, 0x01,                               /* 101a: sub r15, 1 */
    0x75, 0xe0,                                           /* 101e: jnz 1000 */
    0xf4,                                                 /* 1020: hlt */
};
static const uint8_t smc_sub[] = { 0xb8, 0x00, 0x00, 0x00, 0x00, 0xc3 };   /* mov eax; ret */

static void smc_run(const uint8_t *prog, size_t n, uint64_t code_byte, bool one_by_one,
                    uint64_t *gpr, uint8_t *data, uint64_t *blocks)
{
    XH *t = xh_new(NULL);
    X86Cpu *c = t->c;
    xh_enter_long(t, CODE);
    xh_put(t, CODE, prog, n);
    xh_put(t, 0x2000, smc_sub, sizeof smc_sub);
    for (unsigned r = 1; r <= 6; r++)
        xh_put64(t, DATA + 8 * r, r == 3 || r == 1 ? code_byte : DATA + 0x100 + r);
    c->gpr[X86_RBP] = DATA;
    c->gpr[X86_RBX] = 0;
    c->gpr[X86_R15] = 6;
    c->jit_off = one_by_one;
    xh_run_chained_or_not(t, 1000, one_by_one);
    cr_assert(c->halted, "one by one %d: the program ran to its HLT", one_by_one);
    memcpy(gpr, c->gpr, sizeof c->gpr);
    memcpy(data, t->m->ram + DATA, DATA_SIZE);
    *blocks = c->jit_blocks;
    xh_free(t);
}

static void smc_test(const uint8_t *prog, size_t n, uint64_t code_byte, const char *what)
{
    static uint8_t data[2][DATA_SIZE];
    uint64_t gpr[2][X86_NGPR], blocks[2];
    for (int way = 0; way < 2; way++)
        smc_run(prog, n, code_byte, way == 1, gpr[way], data[way], &blocks[way]);
    cr_assert_gt(blocks[0], 0, "%s: the loop was compiled", what);
    cr_assert_eq(gpr[0][X86_RBX], 0x37, "%s: ebx %#llx (0x37: each pass's immediate as stored)",
                 what, (unsigned long long)gpr[0][X86_RBX]);
    for (unsigned r = 6; r >= 2; r--)
        if (r != 3)
            cr_assert_eq(data[0][0x100 + r], 0x10 + r, "%s: the data store of pass %u", what, r);
    cr_assert_eq(memcmp(gpr[0], gpr[1], sizeof gpr[0]), 0, "%s: registers as one by one", what);
    cr_assert_eq(memcmp(data[0], data[1], DATA_SIZE), 0, "%s: memory as one by one", what);
}

Test(x86jit, side_exit_on_a_page_the_tlb_misses)
{
    touch_test();
    smc_test(smc_prog, sizeof smc_prog, 0x1015, "the block's own page");
    smc_test(smc_call_prog, sizeof smc_call_prog, 0x2001, "another page");
}

/* A store an EV_MEM subscriber watches leaves the block (the data fast path is off) and is
 * published by its handler, with RFLAGS made exact first: the flags of the block's CMP before
 * it must have been recorded although the ADD after it writes all flags again (a memory
 * operand is a way out, so the CMP's result is not one nobody can see). A compiler that
 * dropped them gives the subscriber the flags of the SUB of the pass before. */
static uint64_t seen_flags[16];
static unsigned nseen;
static bool record_flags(void *opaque, const EvInfo *e)
{
    const X86Cpu *c = opaque;
    if (e->kind == EV_MEM && e->u.mem.write && nseen < 16)
        seen_flags[nseen++] = c->rflags & X86_FLAGS_ARITH;
    return false;
}

Test(x86jit, side_exit_flags_seen_by_a_subscriber)
{
    static const uint8_t prog[] = {
        0x48, 0x39, 0xd8,                                 /* 1000: cmp rax, rbx */
        0x48, 0x89, 0x4d, 0x00,                           /* 1003: mov [rbp], rcx */
        0x48, 0x83, 0xc2, 0x01,                           /* 1007: add rdx, 1 */
        0x49, 0x83, 0xef, 0x01,                           /* 100b: sub r15, 1 */
        0x75, 0xef,                                       /* 100f: jnz 1000 */
        0xf4,                                             /* 1011: hlt */
    };
    uint64_t seen[2][16], blocks[2];
    for (int way = 0; way < 2; way++) {
        XH *t = xh_new(NULL);
        X86Cpu *c = t->c;
        xh_enter_long(t, CODE);
        xh_put(t, CODE, prog, sizeof prog);
        c->gpr[X86_RAX] = 1;
        c->gpr[X86_RBX] = 2;          /* 1 - 2: CF, SF, AF, PF set; ZF, OF clear */
        c->gpr[X86_RBP] = DATA;
        c->gpr[X86_R15] = 6;
        c->jit_off = way == 1;
        nseen = 0;
        cr_assert(ev_subscribe(&t->m->events, 1u << EV_MEM, EV_PRIO_PLUGIN, NULL, record_flags,
                               c));
        xh_run_chained_or_not(t, 1000, way == 1);
        cr_assert(c->halted, "way %d: the program ran to its HLT", way);
        cr_assert_eq(nseen, 6, "way %d: six stores seen (%u)", way, nseen);
        memcpy(seen[way], seen_flags, sizeof seen[way]);
        blocks[way] = c->jit_blocks;
        xh_free(t);
    }
    cr_assert_gt(blocks[0], 0, "the loop was compiled");
    for (unsigned i = 0; i < 6; i++) {
        cr_assert_eq(seen[0][i], X86_CF | X86_SF | X86_AF | X86_PF, "store %u: flags %#llx", i,
                     (unsigned long long)seen[0][i]);
        cr_assert_eq(seen[0][i], seen[1][i], "store %u: as one by one", i);
    }
}

/* With c->jit_off the chain runs the handlers alone: no block is compiled (jit_blocks stays
 * 0; a compiler that ignored the option counts blocks) and the result is that of the compiler
 * on and of one by one. */
/* Every flag writer and reader the compiler takes, in random order, with the flags looked at
 * often and whole (PUSHF; POP, LAHF: they end a block, so the pending flags are what the
 * block left) and through the readers inside blocks (SETcc, CMOVcc, Jcc, ADC after INC):
 * chained with the compiler on, one by one with it off, for twenty seeds. A flag result
 * left out while someone could see it, a wrong OF or AF of a shift or rotate, a shift by a
 * CL of 0 that changes anything but the zero-extension, or flags made again wrongly for a
 * reader gives another state. */
Test(x86jit, flags_of_every_kind_as_one_by_one)
{
    static const struct { uint8_t n, b[14]; } enc[] = {
        { 3, { 0x48, 0x01, 0xd8 } },                     /* add rax, rbx */
        { 3, { 0x48, 0x29, 0xca } },                     /* sub rdx, rcx */
        { 2, { 0x39, 0xc8 } },                           /* cmp eax, ecx */
        { 2, { 0x20, 0xe3 } },                           /* and bl, ah */
        { 3, { 0x66, 0x31, 0xd0 } },                     /* xor ax, dx */
        { 3, { 0x48, 0x85, 0xc9 } },                     /* test rcx, rcx */
        { 4, { 0x48, 0x83, 0xc0, 0x7f } },               /* add rax, 127 */
        { 3, { 0x48, 0xff, 0xc0 } },                     /* inc rax */
        { 2, { 0xfe, 0xc9 } },                           /* dec cl */
        { 3, { 0x66, 0xff, 0xc2 } },                     /* inc dx */
        { 3, { 0x48, 0xf7, 0xda } },                     /* neg rdx */
        { 2, { 0xf6, 0xdb } },                           /* neg bl */
        { 2, { 0xf7, 0xd0 } },                           /* not eax */
        { 3, { 0x48, 0xd1, 0xe0 } },                     /* shl rax, 1 */
        { 4, { 0x48, 0xc1, 0xe8, 0x05 } },               /* shr rax, 5 */
        { 2, { 0xd1, 0xea } },                           /* shr edx, 1 */
        { 3, { 0xc1, 0xfb, 0x1f } },                     /* sar ebx, 31 */
        { 3, { 0x66, 0xd1, 0xe8 } },                     /* shr ax, 1 */
        { 2, { 0xd0, 0xe1 } },                           /* shl cl, 1 */
        { 3, { 0xc0, 0xfa, 0x03 } },                     /* sar dl, 3 */
        { 4, { 0x48, 0xc1, 0xc0, 0x0d } },               /* rol rax, 13 */
        { 3, { 0xc1, 0xcb, 0x07 } },                     /* ror ebx, 7 */
        { 3, { 0x48, 0xd1, 0xca } },                     /* ror rdx, 1 */
        { 2, { 0xd1, 0xc0 } },                           /* rol eax, 1 */
        { 3, { 0x48, 0xd3, 0xe2 } },                     /* shl rdx, cl */
        { 2, { 0xd3, 0xe8 } },                           /* shr eax, cl */
        { 3, { 0x48, 0xd3, 0xfb } },                     /* sar rbx, cl */
        { 2, { 0xb1, 0x00 } },                           /* mov cl, 0 */
        { 2, { 0xb1, 0x01 } },                           /* mov cl, 1 */
        { 2, { 0xb1, 0x21 } },                           /* mov cl, 33 */
        { 4, { 0x48, 0x0f, 0xaf, 0xc3 } },               /* imul rax, rbx */
        { 3, { 0x6b, 0xd2, 0x71 } },                     /* imul edx, edx, 113 */
        { 4, { 0x48, 0x0f, 0x42, 0xc3 } },               /* cmovb rax, rbx */
        { 4, { 0x48, 0x0f, 0x4f, 0xca } },               /* cmovg rcx, rdx */
        { 3, { 0x0f, 0x40, 0xd8 } },                     /* cmovo ebx, eax */
        { 3, { 0x0f, 0x9a, 0xc2 } },                     /* setp dl */
        { 3, { 0x0f, 0x90, 0xc1 } },                     /* seto cl */
        { 3, { 0x0f, 0x98, 0xc3 } },                     /* sets bl */
        { 4, { 0x48, 0x83, 0xd6, 0x00 } },               /* adc rsi, 0: reads CF */
        { 2, { 0x9c, 0x5e } },                           /* pushf; pop rsi */
        /* pushf; pop qword [rbp]; lea rbp, [rbp + 8]; and ebp, 0x8ff8: a log of the flags
         * in the data page, so that every look counts, not only the last */
        { 14, { 0x9c, 0x8f, 0x45, 0x00, 0x48, 0x8d, 0x6d, 0x08, 0x81, 0xe5, 0xf8, 0x8f, 0x00,
                0x00 } },
        { 14, { 0x9c, 0x8f, 0x45, 0x00, 0x48, 0x8d, 0x6d, 0x08, 0x81, 0xe5, 0xf8, 0x8f, 0x00,
                0x00 } },
        { 1, { 0x9f } },                                 /* lahf */
        { 4, { 0x41, 0x54, 0x41, 0x5e } },               /* push r12; pop r14 */
        { 5, { 0x72, 0x03, 0x48, 0xff, 0xc2 } },         /* jb +3; inc rdx */
        { 5, { 0x70, 0x03, 0x48, 0xff, 0xc2 } },         /* jo +3; inc rdx */
        { 5, { 0x7a, 0x03, 0x48, 0xff, 0xc2 } },         /* jp +3; inc rdx */
        { 5, { 0x7e, 0x03, 0x48, 0xff, 0xc2 } },         /* jle +3; inc rdx */
    };
    const unsigned nenc = sizeof enc / sizeof enc[0];
    uint64_t blocks = 0;
    for (uint32_t seed = 1; seed <= 20; seed++) {
        Prog p;
        memset(&p, 0, sizeof p);
        uint64_t s = seed * 0x9e3779b97f4a7c15ull;
        while (p.len < 1500) {
            unsigned k = below(&s, nenc);
            memcpy(p.b + p.len, enc[k].b, enc[k].n);
            p.len += enc[k].n;
        }
        static const uint8_t loop[] = { 0x49, 0xff, 0xcf, 0x0f, 0x85 };  /* dec r15; jnz */
        memcpy(p.b + p.len, loop, sizeof loop);
        p.len += sizeof loop;
        int32_t back = -(int32_t)(p.len + 4);
        memcpy(p.b + p.len, &back, 4);
        p.len += 4;
        p.b[p.len++] = 0xf4;                             /* hlt */
        for (unsigned r = 0; r < X86_NGPR; r++)
            p.gpr[r] = rnd_value(&s);
        p.gpr[X86_RSP] = 0x9000;
        p.gpr[X86_RBP] = DATA;
        p.gpr[X86_R15] = 3;
        p.flags = 0x2 | (rnd(&s) & X86_FLAGS_ARITH);
        State st[2];
        for (int way = 0; way < 2; way++) {
            XH *t = load(&p, way == 1);
            xh_run_chained_or_not(t, 100000, way == 1);
            cr_assert(t->c->halted && t->c->rip == CODE + p.len,
                      "seed %u, way %d: the program ran to its HLT (rip %#llx, not %#x)", seed, way,
                      (unsigned long long)t->c->rip, CODE + p.len);
            snap(t, &st[way]);
            if (way == 0)
                blocks += t->c->jit_blocks;
            xh_free(t);
        }
        char why[128];
        cr_assert(same_state(&st[0], &st[1], why, sizeof why), "seed %u: %s", seed, why);
    }
    cr_assert_gt(blocks, 20, "blocks compiled: %llu", (unsigned long long)blocks);
}

/* Each flag writer the compiler takes, at the end of a block whose next instruction looks at
 * all the flags (PUSHF, logged to the data page), for operands that reach each flag's corner
 * cases (signs, carries, zero, counts of 0, 1, past the width): the log and the registers as
 * the handlers leave them, one by one with the compiler off. A wrong CF, OF, AF, SF, ZF or PF
 * of any writer (a rotate's OF from the wrong bit, a shift's undefined host AF or OF kept, a
 * shift by a CL of 0 changing anything) shows in the log. */
Test(x86jit, each_writer_s_flags_as_the_handlers)
{
    static const struct { uint8_t n, b[5]; } writer[] = {
        { 3, { 0x48, 0x01, 0xd8 } },                     /* add rax, rbx */
        { 2, { 0x29, 0xd8 } },                           /* sub eax, ebx */
        { 3, { 0x66, 0x39, 0xd8 } },                     /* cmp ax, bx */
        { 2, { 0x20, 0xd8 } },                           /* and al, bl */
        { 3, { 0x48, 0x31, 0xd8 } },                     /* xor rax, rbx */
        { 3, { 0x48, 0xff, 0xc0 } },                     /* inc rax */
        { 2, { 0xff, 0xc8 } },                           /* dec eax */
        { 2, { 0xf6, 0xd8 } },                           /* neg al */
        { 3, { 0x48, 0xf7, 0xd8 } },                     /* neg rax */
        { 3, { 0x48, 0xd1, 0xe0 } },                     /* shl rax, 1 */
        { 3, { 0xc1, 0xe0, 0x05 } },                     /* shl eax, 5 */
        { 2, { 0xd1, 0xe8 } },                           /* shr eax, 1 */
        { 4, { 0x48, 0xc1, 0xe8, 0x21 } },               /* shr rax, 33 */
        { 3, { 0x66, 0xd1, 0xf8 } },                     /* sar ax, 1 */
        { 3, { 0xc0, 0xf8, 0x03 } },                     /* sar al, 3 */
        { 4, { 0x48, 0xc1, 0xc0, 0x07 } },               /* rol rax, 7 */
        { 2, { 0xd1, 0xc0 } },                           /* rol eax, 1 */
        { 3, { 0xc1, 0xc8, 0x07 } },                     /* ror eax, 7 */
        { 3, { 0x48, 0xd1, 0xc8 } },                     /* ror rax, 1 */
        { 3, { 0x48, 0xd3, 0xe0 } },                     /* shl rax, cl */
        { 2, { 0xd3, 0xe8 } },                           /* shr eax, cl */
        { 3, { 0x48, 0xd3, 0xf8 } },                     /* sar rax, cl */
        { 4, { 0x48, 0x0f, 0xaf, 0xc3 } },               /* imul rax, rbx */
        { 3, { 0x6b, 0xc0, 0x71 } },                     /* imul eax, eax, 113 */
    };
    static const uint64_t values[][3] = {                /* rax, rbx, rcx (CL: the count) */
        { 0x40000020ull, 0x7fffffffull, 0 },
        { 0xffffffff80000000ull, 0x8000000000000001ull, 1 },
        { 0x7fffffffffffffffull, 1, 5 },
        { 0, 0, 33 },
        { 0x8000000000000000ull, 0xffffffffffffffffull, 63 },
        { 0x12345678f00fc381ull, 0x0fedcba987654321ull, 0x40 },
    };
    const unsigned nw = sizeof writer / sizeof writer[0], half = (nw + 1) / 2;
    for (unsigned w0 = 0; w0 < nw; w0 += half) {   /* two programs: each fits its page */
    Prog p;
    memset(&p, 0, sizeof p);
    for (unsigned w = w0; w < w0 + half && w < nw; w++) {
        for (unsigned v = 0; v < sizeof values / sizeof values[0]; v++) {
            static const unsigned reg[3] = { 0xb8, 0xbb, 0xb9 };   /* mov rax/rbx/rcx, imm64 */
            for (unsigned r = 0; r < 3; r++) {
                p.b[p.len++] = 0x48;
                p.b[p.len++] = (uint8_t)reg[r];
                memcpy(p.b + p.len, &values[v][r], 8);
                p.len += 8;
            }
            memcpy(p.b + p.len, writer[w].b, writer[w].n);
            p.len += writer[w].n;
            /* pushf; pop qword [rbp]; mov [rbp + 8], rax; lea rbp, [rbp + 16] */
            static const uint8_t look[] = { 0x9c, 0x8f, 0x45, 0x00, 0x48, 0x89, 0x45, 0x08,
                                            0x48, 0x8d, 0x6d, 0x10 };
            memcpy(p.b + p.len, look, sizeof look);
            p.len += sizeof look;
        }
        /* a loop per writer (the log's pointer back to its start: the second pass compiles,
         * the third runs the blocks) */
        static const uint8_t again[] = { 0x48, 0x81, 0xed, 0x60, 0x00, 0x00, 0x00,  /* sub rbp, 96 */
                                         0x49, 0xff, 0xcf, 0x0f, 0x85 };         /* dec r15; jnz */
        memcpy(p.b + p.len, again, sizeof again);
        p.len += sizeof again;
        unsigned start = w == w0 ? 0 : p.start[w - 1];
        int32_t back = (int32_t)start - (int32_t)(p.len + 4);
        memcpy(p.b + p.len, &back, 4);
        p.len += 4;
        /* r15 = 3 and rbp forward for the next writer's log */
        static const uint8_t next[] = { 0x41, 0xbf, 0x03, 0x00, 0x00, 0x00,     /* mov r15d, 3 */
                                        0x48, 0x83, 0xc5, 0x60 };                /* add rbp, 96 */
        memcpy(p.b + p.len, next, sizeof next);
        p.len += sizeof next;
        p.start[w] = p.len;
        cr_assert_lt(p.len, sizeof p.b - 400, "the program fits");
    }
    p.b[p.len++] = 0xf4;                                 /* hlt */
    p.gpr[X86_RSP] = 0x9000;
    p.gpr[X86_RBP] = DATA;
    p.gpr[X86_R15] = 3;
    p.flags = 0x2;
    State st[2];
    for (int way = 0; way < 2; way++) {
        XH *t = load(&p, way == 1);
        xh_run_chained_or_not(t, 1000000, way == 1);
        cr_assert(t->c->halted && t->c->rip == CODE + p.len,
                  "way %d: the program ran to its HLT (rip %#llx)", way,
                  (unsigned long long)t->c->rip);
        snap(t, &st[way]);
        xh_free(t);
    }
    cr_assert_gt(st[0].blocks, (uint64_t)half / 2, "blocks compiled: %llu",
                 (unsigned long long)st[0].blocks);
    for (unsigned i = 0; i < half * 96; i += 16) {
        uint64_t f[2], r[2];
        memcpy(&f[0], st[0].data + i, 8);
        memcpy(&f[1], st[1].data + i, 8);
        memcpy(&r[0], st[0].data + i + 8, 8);
        memcpy(&r[1], st[1].data + i + 8, 8);
        unsigned w = w0 + i / 96, v = (i % 96) / 16;
        cr_assert(f[0] == f[1] && r[0] == r[1],
                  "writer %u (bytes %02x %02x %02x), values %u: flags %#llx, rax %#llx; the "
                  "handlers: %#llx, %#llx", w, w < sizeof writer / sizeof writer[0] ? writer[w].b[0] : 0,
                  w < sizeof writer / sizeof writer[0] ? writer[w].b[1] : 0,
                  w < sizeof writer / sizeof writer[0] ? writer[w].b[2] : 0, v,
                  (unsigned long long)f[0], (unsigned long long)r[0], (unsigned long long)f[1],
                  (unsigned long long)r[1]);
    }
    char why[128];
    cr_assert(same_state(&st[0], &st[1], why, sizeof why), "%s", why);
    }
}

/* A CALL from a block into another page remembers its page switch (jit.c's gen_exit_page):
 * after the linear page is remapped to other code (and INVLPG), or the called code is
 * rewritten (its decoded page dropped), the same CALL must reach the new code. Six passes
 * call 0x200000 and add what it returns; after the fourth the change: remapped (1, 1, 1, 1,
 * 2, 2: 8) or rewritten (1, 1, 1, 1, 5, 5: 14). A stale switch gives 6. */
static void call_after_change(bool remap)
{
    for (int way = 0; way < 2; way++) {
        XH *t = xh_new(NULL);
        X86Cpu *c = t->c;
        xh_enter_long(t, 0x1000);
        c->jit_off = way == 1;
        xh_put64(t, 0x13000, 0x4000 | 3);                      /* VA 0x200000 -> 0x4000 */
        static const uint8_t f1[] = { 0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3 };   /* mov eax, 1; ret */
        static const uint8_t f2[] = { 0xb8, 0x02, 0x00, 0x00, 0x00, 0xc3 };   /* mov eax, 2; ret */
        xh_put(t, 0x4000, f1, sizeof f1);
        xh_put(t, 0x5000, f2, sizeof f2);
        uint8_t prog[128];
        unsigned n = 0;
        static const uint8_t head[] = { 0x41, 0xbf, 0x06, 0x00, 0x00, 0x00,  /* mov r15d, 6 */
                                        0x31, 0xdb };                        /* xor ebx, ebx */
        memcpy(prog, head, sizeof head);
        n = sizeof head;
        unsigned loop = n;
        static const uint8_t body[] = { 0x44, 0x89, 0xf9,                   /* mov ecx, r15d */
                                        0x83, 0xc6, 0x01 };                 /* add esi, 1 */
        memcpy(prog + n, body, sizeof body);
        n += sizeof body;
        int32_t rel = (int32_t)(0x200000 - (0x1000 + n + 5));
        prog[n++] = 0xe8;                                       /* call 0x200000 */
        memcpy(prog + n, &rel, 4);
        n += 4;
        static const uint8_t after[] = { 0x01, 0xc3,                        /* add ebx, eax */
                                         0x41, 0x83, 0xff, 0x03 };          /* cmp r15d, 3 */
        memcpy(prog + n, after, sizeof after);
        n += sizeof after;
        /* remap: mov qword [0x13000], 0x5003; invlpg [0x200000]; rewrite: mov byte
         * [0x4001], 5 */
        static const uint8_t change_remap[] = {
            0x48, 0xc7, 0x04, 0x25, 0x00, 0x30, 0x01, 0x00, 0x03, 0x50, 0x00, 0x00,
            0x0f, 0x01, 0x3c, 0x25, 0x00, 0x00, 0x20, 0x00 };
        static const uint8_t change_rewrite[] = {
            0xc6, 0x04, 0x25, 0x01, 0x40, 0x00, 0x00, 0x05 };
        const uint8_t *ch = remap ? change_remap : change_rewrite;
        unsigned chn = remap ? sizeof change_remap : sizeof change_rewrite;
        prog[n++] = 0x75;                                       /* jne over the change */
        prog[n++] = (uint8_t)chn;
        memcpy(prog + n, ch, chn);
        n += chn;
        static const uint8_t tail[] = { 0x41, 0xff, 0xcf, 0x0f, 0x85 };     /* dec r15d; jnz */
        memcpy(prog + n, tail, sizeof tail);
        n += sizeof tail;
        int32_t back = (int32_t)loop - (int32_t)(n + 4);
        memcpy(prog + n, &back, 4);
        n += 4;
        prog[n++] = 0xf4;                                       /* hlt */
        xh_put(t, 0x1000, prog, n);
        xh_run_chained_or_not(t, 1000, way == 1);
        cr_assert(c->halted, "way %d: the program ran to its HLT (rip %#llx)", way,
                  (unsigned long long)c->rip);
        cr_assert_eq(c->gpr[X86_RBX], remap ? 8u : 14u, "way %d (%s): ebx %llu", way,
                     remap ? "remapped" : "rewritten", (unsigned long long)c->gpr[X86_RBX]);
        if (way == 0)
            cr_assert_gt(c->jit_blocks, 0, "blocks compiled");
        xh_free(t);
    }
}

Test(x86jit, a_call_to_another_page_follows_a_change)
{
    call_after_change(true);
    call_after_change(false);
}

/* A RET whose target is not canonical faults (#GP) as the instruction itself: RSP and RIP as
 * before it (a block's RET must not pop first). The block [add rbx; push rax; add rcx; ret]
 * runs twice: its RET first returns to the instruction loading the bad address (rax), which
 * jumps back into it. There is no IDT, so the fault ends the run (a triple fault); the state
 * must be the handlers' one by one. It fails when the block's RET skips its check. */
Test(x86jit, a_non_canonical_target_faults_as_the_handlers)
{
    static const uint8_t ret_prog[] = {
        0x41, 0xbf, 0x03, 0x00, 0x00, 0x00,                         /* mov r15d, 3 */
        0x48, 0x8d, 0x05, 0x0f, 0x00, 0x00, 0x00,                   /* lea rax, [rip + 15]: bad */
        0x41, 0xff, 0xcf,                                           /* dec r15d */
        0x74, 0x0a,                                                 /* je +10 (bad) */
        0x48, 0x83, 0xc3, 0x01,                                     /* add rbx, 1 */
        0x50,                                                       /* push rax */
        0x48, 0x01, 0xd9,                                           /* add rcx, rbx */
        0xc3,                                                       /* ret */
        0x90,
        /* bad: rax = 0x8000000000000000, then the same block */
        0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0x80,                      /* mov rax, imm64 */
        0xeb, 0xea,                                                 /* jmp to add rbx */
    };
    for (int way = 0; way < 2; way++) {
        XH *t = xh_new(NULL);
        X86Cpu *c = t->c;
        xh_enter_long(t, 0x1000);
        c->jit_off = way == 1;
        xh_put(t, 0x1000, ret_prog, sizeof ret_prog);
        xh_run_chained_or_not(t, 200, way == 1);
        static uint64_t rip[2], rsp[2], rcx[2];
        rip[way] = c->rip;
        rsp[way] = c->gpr[X86_RSP];
        rcx[way] = c->gpr[X86_RCX];
        if (way == 1) {
            cr_assert_eq(rsp[0], rsp[1], "RSP %#llx, the handlers' %#llx",
                         (unsigned long long)rsp[0], (unsigned long long)rsp[1]);
            cr_assert_eq(rip[0], rip[1], "RIP %#llx, the handlers' %#llx",
                         (unsigned long long)rip[0], (unsigned long long)rip[1]);
            cr_assert_eq(rcx[0], rcx[1], "RCX");
        }
        xh_free(t);
    }
}

Test(x86jit, jit_off_compiles_nothing)
{
    Prog *p = malloc(sizeof *p);
    State *a = malloc(sizeof *a), *b = malloc(sizeof *b), *off = malloc(sizeof *off);
    for (uint32_t seed = 101; seed <= 105; seed++) {
        gen_prog(p, seed);
        run_both(p, a, b);
        cr_assert_gt(a->blocks, 0, "seed %u: compiled with the compiler on", seed);
        XH *t = load(p, true);
        xh_run_chained_or_not(t, 100000, false);
        snap(t, off);
        xh_free(t);
        cr_assert_eq(off->blocks, 0, "seed %u: %llu blocks with the compiler off", seed,
                     (unsigned long long)off->blocks);
        char why[128];
        cr_assert(same_state(off, a, why, sizeof why), "seed %u: off vs on: %s", seed, why);
    }
    free(p);
    free(a);
    free(b);
    free(off);
}

/* A budget that ends inside a block: the block runs only when the chain may start all its
 * instructions, so a run of k instructions retires exactly k (or up to the HLT) and stops in
 * the state of k instructions one by one, wherever k falls in a block. For every k up to the
 * program's end from a fresh machine (then on to the HLT from there), and for runs of 2-13
 * and some longer chunks of instructions on one machine (its blocks compiled by the runs
 * before, entered with every budget left), for four random programs. A block that ran past
 * the budget (or counted its instructions wrong) retires a different number or leaves
 * another state. */
static void budget_prog(const Prog *p)
{
    /* the reference: the state after each instruction, one by one, compiler off */
    unsigned cap = 4096;
    State *ref = malloc(cap * sizeof *ref), *s = malloc(sizeof *s);
    XH *t = load(p, true);
    snap(t, &ref[0]);
    unsigned total = 0;
    while (!t->c->halted) {
        xh_run(t, 1);
        snap(t, s);
        cr_assert_eq(s->icount, total + 1, "seed %u: one instruction per run", p->seed);
        cr_assert_lt(total + 1, cap, "seed %u: a short program", p->seed);
        ref[++total] = *s;
    }
    xh_free(t);
    char why[128], where[160];
    for (unsigned k = 1; k <= total; k++) {
        t = load(p, false);
        xh_run(t, k);
        snap(t, s);
        if (!same_state(s, &ref[k], why, sizeof why)) {
            describe(p, ref[k - 1].rip, where, sizeof where);
            cr_assert_fail("seed %u: budget %u (%u blocks compiled), last %s: %s", p->seed, k,
                           (unsigned)s->blocks, where, why);
        }
        xh_run(t, 100000);
        snap(t, s);
        cr_assert(same_state(s, &ref[total], why, sizeof why),
                  "seed %u: budget %u then on to the HLT: %s", p->seed, k, why);
        xh_free(t);
    }
    static const unsigned chunks[] = { 2,  3,  4,  5,  6,  7,  8,  9,  10,
                                       11, 12, 13, 16, 20, 25, 33, 50, 70 };
    for (unsigned ci = 0; ci < sizeof chunks / sizeof chunks[0]; ci++) {
        unsigned chunk = chunks[ci];
        t = load(p, false);
        uint64_t done = 0;
        while (!t->c->halted) {
            xh_run(t, chunk);
            snap(t, s);
            uint64_t want = done + chunk < total ? done + chunk : total;
            if (!same_state(s, &ref[want], why, sizeof why)) {
                describe(p, ref[done].rip, where, sizeof where);
                cr_assert_fail("seed %u: runs of %u, after %llu from %s: %s", p->seed, chunk,
                               (unsigned long long)done, where, why);
            }
            done = want;
        }
        /* short runs may never link a block's first instruction (runs of 2 never link:
         * step() runs the first, the chain the second alone); longer ones must */
        cr_assert(chunk < 16 || t->c->jit_blocks > 0, "seed %u: runs of %u compiled blocks",
                  p->seed, chunk);
        xh_free(t);
    }
    free(ref);
    free(s);
}

Test(x86jit, budget_inside_a_block)
{
    Prog *p = malloc(sizeof *p);
    for (uint32_t seed = 201; seed <= 204; seed++) {
        gen_prog(p, seed);
        budget_prog(p);
    }
    free(p);
}
