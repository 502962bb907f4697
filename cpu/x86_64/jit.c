/* x86-64 block compiler (jit.h): host x86-64 code for runs of common integer instructions.
 *
 * The host code is written by hand through the small encoder below: the blocks need a dozen
 * instruction shapes on fixed registers, and their flags must be the host's own flags of the
 * same operation (a Jcc reads them), which a portable code generator would not give. */
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include "cpu/x86_64/jit.h"
#include "cpu/x86_64/exec.h"
#include "x86_decode_gen.h"

/* per core; a full buffer flushes the decode cache and starts again */
#define JIT_BUF_SIZE (32u << 20)
/* the most instructions one block holds, and the fewest worth a block */
#define JIT_MAX_INSNS 64
#define JIT_MIN_INSNS 2
/* the most bytes one block's code takes (a bound checked before compiling) */
#define JIT_MAX_BYTES (JIT_MAX_INSNS * 400 + 256)

/* ---- the encoder ---- */
enum { H_RAX, H_RCX, H_RDX, H_RBX, H_RSP, H_RBP, H_RSI, H_RDI, H_R8, H_R9, H_R10, H_R11 };

typedef struct {
    uint8_t *p;
} Em;

static void e8(Em *e, unsigned v)
{
    *e->p++ = (uint8_t)v;
}
static void e32(Em *e, uint32_t v)
{
    memcpy(e->p, &v, 4);
    e->p += 4;
}
static void e64(Em *e, uint64_t v)
{
    memcpy(e->p, &v, 8);
    e->p += 8;
}

/* [66] [REX] opcode bytes, then ModRM for reg and [base + index * scale + disp32] (index -1:
 * none; base is never RSP or R12, which would need a SIB byte of their own) */
static void e_mem(Em *e, unsigned size, bool rexw, const char *opc, unsigned nopc, unsigned reg,
                  unsigned base, int index, unsigned scale, int32_t disp)
{
    if (size == 2)
        e8(e, 0x66);
    unsigned rex = (rexw ? 8 : 0) | (reg >> 3 & 1) << 2 | (index >= 0 ? ((unsigned)index >> 3 & 1) << 1 : 0) |
                   (base >> 3 & 1);
    if (rex)
        e8(e, 0x40 | rex);
    for (unsigned i = 0; i < nopc; i++)
        e8(e, (uint8_t)opc[i]);
    if (index >= 0) {
        e8(e, 0x80 | (reg & 7) << 3 | 4);
        unsigned ss = scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0;
        e8(e, ss << 6 | ((unsigned)index & 7) << 3 | (base & 7));
    } else {
        e8(e, 0x80 | (reg & 7) << 3 | (base & 7));
    }
    e32(e, (uint32_t)disp);
}

/* opcode reg, rm with both registers */
static void e_rr(Em *e, unsigned size, bool rexw, const char *opc, unsigned nopc, unsigned reg,
                 unsigned rm)
{
    if (size == 2)
        e8(e, 0x66);
    unsigned rex = (rexw ? 8 : 0) | (reg >> 3 & 1) << 2 | (rm >> 3 & 1);
    if (rex)
        e8(e, 0x40 | rex);
    for (unsigned i = 0; i < nopc; i++)
        e8(e, (uint8_t)opc[i]);
    e8(e, 0xc0 | (reg & 7) << 3 | (rm & 7));
}

/* r = size bytes at [base + disp], zero-extended */
static void e_load(Em *e, unsigned size, unsigned r, unsigned base, int32_t disp)
{
    switch (size) {
    case 1: e_mem(e, 4, false, "\x0f\xb6", 2, r, base, -1, 1, disp); break;
    case 2: e_mem(e, 4, false, "\x0f\xb7", 2, r, base, -1, 1, disp); break;
    case 4: e_mem(e, 4, false, "\x8b", 1, r, base, -1, 1, disp); break;
    default: e_mem(e, 8, true, "\x8b", 1, r, base, -1, 1, disp); break;
    }
}
/* r = size bytes at [base + disp], sign-extended to 64 bits */
static void e_load_sx(Em *e, unsigned size, unsigned r, unsigned base, int32_t disp)
{
    switch (size) {
    case 1: e_mem(e, 8, true, "\x0f\xbe", 2, r, base, -1, 1, disp); break;
    case 2: e_mem(e, 8, true, "\x0f\xbf", 2, r, base, -1, 1, disp); break;
    default: e_mem(e, 8, true, "\x63", 1, r, base, -1, 1, disp); break;
    }
}
/* size bytes at [base + disp] = r (r is RAX, RCX, RDX or R8-R11 for bytes) */
static void e_store(Em *e, unsigned size, unsigned r, unsigned base, int32_t disp)
{
    switch (size) {
    case 1: e_mem(e, 4, false, "\x88", 1, r, base, -1, 1, disp); break;
    case 2: e_mem(e, 2, false, "\x89", 1, r, base, -1, 1, disp); break;
    case 4: e_mem(e, 4, false, "\x89", 1, r, base, -1, 1, disp); break;
    default: e_mem(e, 8, true, "\x89", 1, r, base, -1, 1, disp); break;
    }
}
/* r = imm (64 bits) */
static void e_movabs(Em *e, unsigned r, uint64_t imm)
{
    if (imm <= 0xffffffffu) {          /* mov r32, imm32 zero-extends */
        if (r >= 8)
            e8(e, 0x41);
        e8(e, 0xb8 + (r & 7));
        e32(e, (uint32_t)imm);
        return;
    }
    e8(e, 0x48 | (r >> 3 & 1));
    e8(e, 0xb8 + (r & 7));
    e64(e, imm);
}
/* dword [RDI + disp] = imm32 */
static void e_store_imm32(Em *e, int32_t disp, uint32_t imm)
{
    e_mem(e, 4, false, "\xc7", 1, 0, H_RDI, -1, 1, disp);
    e32(e, imm);
}
/* a jump or Jcc (cc: 0-15, or -1 for JMP) with a 32-bit displacement to be filled in; returns
 * where the displacement is */
static uint8_t *e_jump(Em *e, int cc)
{
    if (cc < 0) {
        e8(e, 0xe9);
    } else {
        e8(e, 0x0f);
        e8(e, 0x80 + (unsigned)cc);
    }
    uint8_t *at = e->p;
    e32(e, 0);
    return at;
}
static void e_patch(uint8_t *at, const uint8_t *to)
{
    int32_t rel = (int32_t)(to - (at + 4));
    memcpy(at, &rel, 4);
}
/* jump to a host function (through RAX) */
static void e_jump_abs(Em *e, const void *fn)
{
    e_movabs(e, H_RAX, (uint64_t)(uintptr_t)fn);
    e8(e, 0xff);
    e8(e, 0xe0);
}

/* ---- the block's instructions ---- */
enum { J_ALU, J_MOV, J_MOVZX, J_MOVSX, J_LEA, J_JCC };
/* host ALU operations by the guest's operation number (opcode bits 5:3), TEST as 8; the host
 * opcode is that of "op r/m, reg" at full size (the byte form is one less) */
enum { A_ADD = 0, A_OR = 1, A_AND = 4, A_SUB = 5, A_XOR = 6, A_CMP = 7, A_TEST = 8 };
static const uint8_t alu_opcode[9] = { 0x01, 0x09, 0, 0, 0x21, 0x29, 0x31, 0x29, 0x21 };

enum { O_NONE, O_REG, O_MEM, O_IMM };
typedef struct {
    uint8_t kind;
    uint8_t reg;              /* guest register */
    uint8_t hi;               /* AH..BH: the second byte of reg */
} Opnd;

typedef struct {
    const X86Insn *d;
    unsigned off;             /* byte offset in the page */
    unsigned idx;             /* index in the page's instructions */
    unsigned kind;            /* J_* */
    unsigned alu;             /* A_* */
    unsigned size;            /* operand size (the destination's for MOVZX/MOVSX/LEA) */
    unsigned src_size;        /* MOVZX/MOVSX: the source's */
    Opnd dst, src;
    uint64_t imm;
    bool store_flags;         /* the lazy flags are stored (someone may see them) */
} JOp;

static Opnd opnd_reg(const X86Insn *d, unsigned r, unsigned size)
{
    Opnd o = { O_REG, (uint8_t)r, 0 };
    if (size == 1 && r >= 4 && r < 8 && !d->rex) {
        o.reg = (uint8_t)(r - 4);
        o.hi = 1;
    }
    return o;
}
/* the E (r/m) operand */
static Opnd opnd_e(const X86Insn *d, unsigned size)
{
    if (d->mod == 3)
        return opnd_reg(d, d->rm, size);
    return (Opnd){ O_MEM, 0, 0 };
}
static Opnd opnd_imm(void)
{
    return (Opnd){ O_IMM, 0, 0 };
}

/* What the block compiler does with d: true and *o filled when it compiles it. */
static bool classify(const X86Insn *d, JOp *o)
{
    if (d->lock || d->vex || !d->lazy)
        return false;
    if (d->has_modrm && d->mod != 3 && d->addrsize != 8)
        return false;
    unsigned op = d->op, osz = d->opsize;
    memset(o, 0, sizeof *o);
    o->d = d;
    o->size = osz;
    switch (op) {
    case X86_OP_ADD_EbGb: case X86_OP_ADD_EvGv: case X86_OP_ADD_GbEb: case X86_OP_ADD_GvEv:
    case X86_OP_ADD_ALIb: case X86_OP_ADD_rAXIz:
    case X86_OP_OR_EbGb: case X86_OP_OR_EvGv: case X86_OP_OR_GbEb: case X86_OP_OR_GvEv:
    case X86_OP_OR_ALIb: case X86_OP_OR_rAXIz:
    case X86_OP_AND_EbGb: case X86_OP_AND_EvGv: case X86_OP_AND_GbEb: case X86_OP_AND_GvEv:
    case X86_OP_AND_ALIb: case X86_OP_AND_rAXIz:
    case X86_OP_SUB_EbGb: case X86_OP_SUB_EvGv: case X86_OP_SUB_GbEb: case X86_OP_SUB_GvEv:
    case X86_OP_SUB_ALIb: case X86_OP_SUB_rAXIz:
    case X86_OP_XOR_EbGb: case X86_OP_XOR_EvGv: case X86_OP_XOR_GbEb: case X86_OP_XOR_GvEv:
    case X86_OP_XOR_ALIb: case X86_OP_XOR_rAXIz:
    case X86_OP_CMP_EbGb: case X86_OP_CMP_EvGv: case X86_OP_CMP_GbEb: case X86_OP_CMP_GvEv:
    case X86_OP_CMP_ALIb: case X86_OP_CMP_rAXIz: {
        unsigned form = d->opcode & 7;
        o->kind = J_ALU;
        o->alu = (d->opcode >> 3) & 7;
        o->size = (form & 1) ? osz : 1;
        switch (form) {
        case 0: case 1:
            o->dst = opnd_e(d, o->size);
            o->src = opnd_reg(d, d->reg, o->size);
            break;
        case 2: case 3:
            o->dst = opnd_reg(d, d->reg, o->size);
            o->src = opnd_e(d, o->size);
            break;
        default:
            o->dst = opnd_reg(d, X86_RAX, o->size);
            o->src = opnd_imm();
            break;
        }
        break;
    }
    case X86_OP_GRP1_EbIb: case X86_OP_CMP_EbIb: case X86_OP_GRP1_EvIz: case X86_OP_CMP_EvIz:
    case X86_OP_GRP1_EvIbs: case X86_OP_CMP_EvIbs:
        o->kind = J_ALU;
        o->alu = d->reg & 7;
        if (o->alu == 2 || o->alu == 3)       /* ADC, SBB read CF */
            return false;
        o->size = d->opcode == 0x80 ? 1 : osz;
        o->dst = opnd_e(d, o->size);
        o->src = opnd_imm();
        break;
    case X86_OP_TEST_EbGb: case X86_OP_TEST_EvGv:
        o->kind = J_ALU;
        o->alu = A_TEST;
        o->size = d->opcode == 0x84 ? 1 : osz;
        o->dst = opnd_e(d, o->size);
        o->src = opnd_reg(d, d->reg, o->size);
        break;
    case X86_OP_TEST_ALIb: case X86_OP_TEST_rAXIz:
        o->kind = J_ALU;
        o->alu = A_TEST;
        o->size = d->opcode == 0xa8 ? 1 : osz;
        o->dst = opnd_reg(d, X86_RAX, o->size);
        o->src = opnd_imm();
        break;
    case X86_OP_TEST_EbIb: case X86_OP_TEST_EvIz:
        o->kind = J_ALU;
        o->alu = A_TEST;
        o->size = d->opcode == 0xf6 ? 1 : osz;
        o->dst = opnd_e(d, o->size);
        o->src = opnd_imm();
        break;
    case X86_OP_MOV_EbGb: case X86_OP_MOV_EvGv:
        o->kind = J_MOV;
        o->size = d->opcode == 0x88 ? 1 : osz;
        o->dst = opnd_e(d, o->size);
        o->src = opnd_reg(d, d->reg, o->size);
        break;
    case X86_OP_MOV_GbEb: case X86_OP_MOV_GvEv:
        o->kind = J_MOV;
        o->size = d->opcode == 0x8a ? 1 : osz;
        o->dst = opnd_reg(d, d->reg, o->size);
        o->src = opnd_e(d, o->size);
        break;
    case X86_OP_MOV_rbIb: case X86_OP_MOV_rvIv:
        o->kind = J_MOV;
        o->size = d->opcode < 0xb8 ? 1 : osz;
        o->dst = opnd_reg(d, d->reg, o->size);
        o->src = opnd_imm();
        break;
    case X86_OP_MOV_EbIb: case X86_OP_MOV_EvIz:
        o->kind = J_MOV;
        o->size = d->opcode == 0xc6 ? 1 : osz;
        o->dst = opnd_e(d, o->size);
        o->src = opnd_imm();
        break;
    case X86_OP_MOVZX_Eb: case X86_OP_MOVZX_Ew: case X86_OP_MOVSX_Eb: case X86_OP_MOVSX_Ew:
        o->kind = (op == X86_OP_MOVZX_Eb || op == X86_OP_MOVZX_Ew) ? J_MOVZX : J_MOVSX;
        o->src_size = (op == X86_OP_MOVZX_Eb || op == X86_OP_MOVSX_Eb) ? 1 : 2;
        o->dst = opnd_reg(d, d->reg, osz);
        o->src = opnd_e(d, o->src_size);
        break;
    case X86_OP_MOVSXD:
        if (osz == 2)
            return false;
        o->kind = osz == 8 ? J_MOVSX : J_MOV;
        o->src_size = 4;
        o->dst = opnd_reg(d, d->reg, osz);
        o->src = opnd_e(d, 4);
        break;
    case X86_OP_LEA:
        if (osz == 2 || d->mod == 3)
            return false;
        o->kind = J_LEA;
        o->dst = opnd_reg(d, d->reg, osz);
        break;
    case X86_OP_Jcc_Jb: case X86_OP_Jcc_Jz:
        o->kind = J_JCC;
        break;
    default:
        return false;
    }
    o->imm = d->imm & x86_mask(o->size);
    return true;
}

static bool writes_flags(const JOp *o)
{
    return o->kind == J_ALU;
}
static bool has_mem(const JOp *o)
{
    return o->dst.kind == O_MEM || o->src.kind == O_MEM;
}

/* ---- code generation ---- */
typedef struct {
    Em e;
    X86Cpu *c;
    const JOp *ops;
    unsigned n;
    /* exits: per instruction k, the stub that leaves before it (side) and, for the last,
     * the stubs that go on after it; the jumps to each stub, filled in once it is placed */
    uint8_t *side_fix[JIT_MAX_INSNS][4];
    unsigned nside_fix[JIT_MAX_INSNS];
    /* the lazy flags' operation and size known to be in the core (0: not known) */
    unsigned lf_op, lf_size;
} Gen;

#define OFF(f) ((int32_t)offsetof(X86Cpu, f))

static int32_t reg_off(Opnd o)
{
    return OFF(gpr) + 8 * o.reg + o.hi;
}

static void side_exit_jump(Gen *g, unsigned k, int cc)
{
    g->side_fix[k][g->nside_fix[k]++] = e_jump(&g->e, cc);
}

/* RDX = the memory operand's host address for an access of size bytes (acc: X86_ACC_READ
 * or X86_ACC_WRITE; a write checked as x86_ram_store_ok and marked written): as x86_ram_fast,
 * else out before instruction k */
static void gen_mem(Gen *g, unsigned k, unsigned size, X86Access acc)
{
    Em *e = &g->e;
    const JOp *o = &g->ops[k];
    const X86Insn *d = o->d;
    /* the offset */
    if (d->rip_rel) {
        int64_t disp = (int64_t)o->off - (int64_t)g->ops[0].off + d->len + d->disp;
        e_mem(e, 8, true, "\x8d", 1, H_RDX, H_R11, -1, 1, (int32_t)disp);   /* lea rdx */
    } else {
        if (d->base < X86_NGPR)
            e_load(e, 8, H_RDX, H_RDI, OFF(gpr) + 8 * d->base);
        else
            e_rr(e, 4, false, "\x31", 1, H_RDX, H_RDX);                      /* xor edx, edx */
        if (d->index < X86_NGPR) {
            e_load(e, 8, H_RAX, H_RDI, OFF(gpr) + 8 * d->index);
            e_mem(e, 8, true, "\x8d", 1, H_RDX, H_RDX, H_RAX, d->scale, (int32_t)d->disp);
        } else if (d->disp) {
            e_mem(e, 8, true, "\x8d", 1, H_RDX, H_RDX, -1, 1, (int32_t)d->disp);
        }
    }
    if (d->seg >= X86_FS)
        e_mem(e, 8, true, "\x03", 1, H_RDX, H_RDI, -1, 1,
              OFF(seg) + (int32_t)(d->seg * sizeof(X86Seg)) + (int32_t)offsetof(X86Seg, base));
    /* the soft TLB's entry: R8 */
    e_rr(e, 8, true, "\x8b", 1, H_RAX, H_RDX);                  /* mov rax, rdx */
    e_rr(e, 8, true, "\xc1", 1, 5, H_RAX);                      /* shr rax, 12 */
    e8(e, 12);
    e8(e, 0x25);                                                /* and eax, TLB_SIZE - 1 */
    e32(e, X86_TLB_SIZE - 1);
    e_rr(e, 8, true, "\x69", 1, H_RAX, H_RAX);                  /* imul rax, rax, size */
    e32(e, (uint32_t)sizeof(X86TlbEntry));
    e_mem(e, 8, true, "\x8d", 1, H_R8, H_RDI, H_RAX, 1,
          OFF(tlb) + (int32_t)(acc * X86_TLB_SIZE * sizeof(X86TlbEntry)));    /* lea r8 */
    e_rr(e, 8, true, "\x8b", 1, H_RAX, H_RDX);                  /* mov rax, rdx */
    e8(e, 0x48);                                                /* and rax, ~0xfff */
    e8(e, 0x25);
    e32(e, 0xfffff000u);
    e_mem(e, 8, true, "\x0b", 1, H_RAX, H_RDI, -1, 1, OFF(mem_tag));          /* or rax, */
    e_mem(e, 8, true, "\x3b", 1, H_RAX, H_R8, -1, 1,
          (int32_t)offsetof(X86TlbEntry, ftag));                             /* cmp rax, */
    side_exit_jump(g, k, 5);                                    /* jne */
    e_rr(e, 4, false, "\x8b", 1, H_RAX, H_RDX);                 /* mov eax, edx */
    e8(e, 0x25);                                                /* and eax, 0xfff */
    e32(e, 0xfff);
    e8(e, 0x3d);                                                /* cmp eax, 4096 - size */
    e32(e, 4096 - size);
    side_exit_jump(g, k, 7);                                    /* ja */
    if (acc == X86_ACC_WRITE) {
        /* x86_ram_store_ok: R9 the machine, R10 the RAM page's number */
        e_load(e, 8, H_R9, H_RDI, OFF(m));
        e_load(e, 8, H_R10, H_R8, (int32_t)offsetof(X86TlbEntry, pa));
        e_mem(e, 8, true, "\x2b", 1, H_R10, H_R9, -1, 1,
              (int32_t)offsetof(Machine, ram_base));                         /* sub r10, */
        e_mem(e, 8, true, "\x3b", 1, H_R10, H_R9, -1, 1,
              (int32_t)offsetof(Machine, ram_size));                         /* cmp r10, */
        side_exit_jump(g, k, 3);                                /* jae */
        e_rr(e, 8, true, "\xc1", 1, 5, H_R10);                  /* shr r10, 12 */
        e8(e, 12);
        e_load(e, 8, H_RCX, H_R9, (int32_t)offsetof(Machine, ram_code));
        e_mem(e, 4, false, "\x80", 1, 7, H_RCX, H_R10, 1, 0);  /* cmp byte [rcx + r10], 0 */
        e8(e, 0);
        side_exit_jump(g, k, 5);                                /* jne */
        e_load(e, 8, H_RCX, H_R9, (int32_t)offsetof(Machine, ram_touched));
        e_mem(e, 4, false, "\xc6", 1, 0, H_RCX, H_R10, 1, 0);  /* mov byte [rcx + r10], 1 */
        e8(e, 1);
        e_load(e, 8, H_RCX, H_R9, (int32_t)offsetof(Machine, ram_dirty));
        e_rr(e, 8, true, "\x85", 1, H_RCX, H_RCX);              /* test rcx, rcx */
        uint8_t *skip = e_jump(e, 4);                           /* je */
        e_mem(e, 4, false, "\xc6", 1, 0, H_RCX, H_R10, 1, 0);
        e8(e, 1);
        e_patch(skip, e->p);
    }
    e_mem(e, 8, true, "\x03", 1, H_RAX, H_R8, -1, 1,
          (int32_t)offsetof(X86TlbEntry, host));                             /* add rax, */
    e_rr(e, 8, true, "\x8b", 1, H_RDX, H_RAX);                  /* mov rdx, rax */
}

/* host register r = the operand (zero-extended; memory at [RDX]) */
static void gen_get(Gen *g, const JOp *o, Opnd x, unsigned size, unsigned r)
{
    switch (x.kind) {
    case O_REG: e_load(&g->e, size, r, H_RDI, reg_off(x)); break;
    case O_MEM: e_load(&g->e, size, r, H_RDX, 0); break;
    default: e_movabs(&g->e, r, o->imm); break;
    }
}
/* the operand = host RAX (zero-extended from size bytes when size is 4) */
static void gen_put(Gen *g, Opnd x, unsigned size)
{
    if (x.kind == O_REG)          /* a 4-byte register write zero-extends: all 8 bytes */
        e_store(&g->e, size == 4 ? 8 : size, H_RAX, H_RDI, reg_off(x));
    else
        e_store(&g->e, size, H_RAX, H_RDX, 0);
}

static void gen_lazy_op(Gen *g, unsigned op, unsigned size)
{
    if (g->lf_op != op)
        e_store_imm32(&g->e, OFF(lf_op), op);
    if (g->lf_size != size)
        e_store_imm32(&g->e, OFF(lf_size), size);
    g->lf_op = op;
    g->lf_size = size;
}

static void gen_alu(Gen *g, unsigned k)
{
    const JOp *o = &g->ops[k];
    Em *e = &g->e;
    unsigned size = o->size;
    bool result = o->alu != A_CMP && o->alu != A_TEST;
    if (has_mem(o))
        gen_mem(g, k, size, (o->dst.kind == O_MEM && result) ? X86_ACC_WRITE : X86_ACC_READ);
    gen_get(g, o, o->dst, size, H_RAX);
    gen_get(g, o, o->src, size, H_RCX);
    bool arith = o->alu == A_ADD || o->alu == A_SUB || o->alu == A_CMP;
    if (o->store_flags && arith) {
        e_store(e, 8, H_RAX, H_RDI, OFF(lf_a));
        e_store(e, 8, H_RCX, H_RDI, OFF(lf_b));
    }
    char opc = (char)(alu_opcode[o->alu] - (size == 1));
    e_rr(e, size, size == 8, &opc, 1, H_RCX, H_RAX);           /* op rax, rcx: the flags */
    if (result)
        gen_put(g, o->dst, size);
    if (o->store_flags) {
        e_store(e, 8, H_RAX, H_RDI, OFF(lf_r));
        gen_lazy_op(g, arith ? (o->alu == A_ADD ? X86_LF_ADD : X86_LF_SUB) : X86_LF_LOGIC, size);
    }
}

static void gen_insn(Gen *g, unsigned k)
{
    const JOp *o = &g->ops[k];
    Em *e = &g->e;
    switch (o->kind) {
    case J_ALU:
        gen_alu(g, k);
        break;
    case J_MOV:
        if (has_mem(o))
            gen_mem(g, k, o->dst.kind == O_MEM ? o->size : (o->src_size ? o->src_size : o->size),
                    o->dst.kind == O_MEM ? X86_ACC_WRITE : X86_ACC_READ);
        gen_get(g, o, o->src, o->src_size ? o->src_size : o->size, H_RAX);
        gen_put(g, o->dst, o->size);
        break;
    case J_MOVZX:
        if (has_mem(o))
            gen_mem(g, k, o->src_size, X86_ACC_READ);
        gen_get(g, o, o->src, o->src_size, H_RAX);
        gen_put(g, o->dst, o->size);
        break;
    case J_MOVSX:
        if (has_mem(o))
            gen_mem(g, k, o->src_size, X86_ACC_READ);
        if (o->src.kind == O_REG)
            e_load_sx(e, o->src_size, H_RAX, H_RDI, reg_off(o->src));
        else
            e_load_sx(e, o->src_size, H_RAX, H_RDX, 0);
        if (o->size == 4)
            e_rr(e, 4, false, "\x8b", 1, H_RAX, H_RAX);         /* mov eax, eax */
        gen_put(g, o->dst, o->size);
        break;
    case J_LEA: {
        const X86Insn *d = o->d;
        if (d->rip_rel) {
            int64_t disp = (int64_t)o->off - (int64_t)g->ops[0].off + d->len + d->disp;
            e_mem(e, 8, true, "\x8d", 1, H_RAX, H_R11, -1, 1, (int32_t)disp);
        } else {
            if (d->base < X86_NGPR)
                e_load(e, 8, H_RAX, H_RDI, OFF(gpr) + 8 * d->base);
            else
                e_rr(e, 4, false, "\x31", 1, H_RAX, H_RAX);
            if (d->index < X86_NGPR) {
                e_load(e, 8, H_RCX, H_RDI, OFF(gpr) + 8 * d->index);
                e_mem(e, 8, true, "\x8d", 1, H_RAX, H_RAX, H_RCX, d->scale, (int32_t)d->disp);
            } else if (d->disp) {
                e_mem(e, 8, true, "\x8d", 1, H_RAX, H_RAX, -1, 1, (int32_t)d->disp);
            }
        }
        if (o->size == 4)
            e_rr(e, 4, false, "\x8b", 1, H_RAX, H_RAX);
        gen_put(g, o->dst, o->size);
        break;
    }
    default:
        break;
    }
}

int x86_jit_next(X86Cpu *c, const X86Insn *d);
int x86_jit_taken(X86Cpu *c, const X86Insn *d);
/* The block's ways out: on from instruction k, as its handler would (x86_next, x86_taken). */
int x86_jit_next(X86Cpu *c, const X86Insn *d)
{
    return x86_next(c, d);
}
int x86_jit_taken(X86Cpu *c, const X86Insn *d)
{
    return x86_taken(c, d);
}

/* A way out of the block at instruction k: instructions 0..k-1 retired (the chain counts
 * k more started, the first being the block's own), RIP and start_ip at k, then fn(c, k's
 * decoded instruction). */
static void gen_exit(Gen *g, unsigned k, const void *fn)
{
    Em *e = &g->e;
    const JOp *o = &g->ops[k];
    if (k) {
        e_mem(e, 8, true, "\x81", 1, 5, H_RDI, -1, 1, OFF(chain_left));   /* sub */
        e32(e, k);
    }
    e_mem(e, 8, true, "\x8d", 1, H_RAX, H_R11, -1, 1, (int32_t)(o->off - g->ops[0].off));
    e_store(e, 8, H_RAX, H_RDI, OFF(rip));
    e_store(e, 8, H_RAX, H_RDI, OFF(start_ip));
    int32_t delta = (int32_t)(((int64_t)o->idx - (int64_t)g->ops[0].idx) * (int64_t)sizeof(X86Insn));
    if (delta)
        e_mem(e, 8, true, "\x8d", 1, H_RSI, H_RSI, -1, 1, delta);          /* lea rsi */
    e_jump_abs(e, fn);
}

static bool jit_owns(const X86Cpu *c, const void *fn)
{
    const uint8_t *p = (const uint8_t *)(uintptr_t)fn;
    return c->jit_buf && p >= c->jit_buf && p < c->jit_buf + c->jit_used;
}

X86HandlerFn x86_jit_orig(const X86Cpu *c, X86HandlerFn fn)
{
    if (!jit_owns(c, (const void *)fn))
        return fn;
    X86HandlerFn orig;
    memcpy(&orig, (const uint8_t *)(uintptr_t)fn - 8, sizeof orig);
    return orig;
}

void x86_jit_reset(X86Cpu *c)
{
    c->jit_used = 0;
    c->jit_blocks = 0;
}

void x86_jit_free(X86Cpu *c)
{
    if (c->jit_buf)
        munmap(c->jit_buf, JIT_BUF_SIZE);
    c->jit_buf = NULL;
    c->jit_used = 0;
}

bool x86_jit_ends_block(const X86Insn *d)
{
    JOp o;
    return !classify(d, &o) || o.kind == J_JCC;
}

bool x86_jit_block(X86Cpu *c, X86DecodedPage *p, unsigned off)
{
    if (c->jit_off || p->bits != 64 || off >= X86_DC_PAGE || !p->slot[off])
        return true;
    X86Insn *head = &p->insn[p->slot[off] - 1];
    if (jit_owns(c, (const void *)head->fn))
        return true;
    /* the run: supported instructions one after the other in the page, a Jcc ending it
     * when it follows a flag writer (it reads the host's flags) */
    JOp ops[JIT_MAX_INSNS];
    unsigned n = 0;
    while (n < JIT_MAX_INSNS && off < X86_DC_PAGE && p->slot[off]) {
        unsigned idx = p->slot[off] - 1u;
        const X86Insn *d = &p->insn[idx];
        JOp *o = &ops[n];
        if (!classify(d, o))
            break;
        if (o->kind == J_JCC && (n == 0 || !writes_flags(&ops[n - 1])))
            break;
        if (d->rip_rel && (d->disp > 0x7fff0000 || d->disp < -0x7fff0000))
            break;    /* the offset from the block's RIP must fit 32 bits */
        o->off = off;
        o->idx = idx;
        n++;
        if (o->kind == J_JCC)
            break;
        off += d->len;
    }
    if (n < JIT_MIN_INSNS)
        return true;
    /* flag results nobody can see: the next writer comes before any way out (a memory
     * operand's, the block's end) */
    for (unsigned k = 0; k < n; k++) {
        if (!writes_flags(&ops[k]))
            continue;
        ops[k].store_flags = true;
        for (unsigned j = k + 1; j < n; j++) {
            if (has_mem(&ops[j]) || ops[j].kind == J_JCC)
                break;
            if (writes_flags(&ops[j])) {
                ops[k].store_flags = false;
                break;
            }
        }
    }
    if (!c->jit_buf) {
        void *b = mmap(NULL, JIT_BUF_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (b == MAP_FAILED) {
            c->jit_off = 1;         /* the host forbids it: the handlers alone */
            return true;
        }
        c->jit_buf = b;
        c->jit_used = 0;
    }
    if (c->jit_used + JIT_MAX_BYTES > JIT_BUF_SIZE)
        return false;
    Gen g = { .c = c, .ops = ops, .n = n };
    uint8_t *start = c->jit_buf + c->jit_used;
    X86HandlerFn orig = x86_jit_orig(c, head->fn);
    memcpy(start, &orig, sizeof orig);
    g.e.p = start + 8;
    uint8_t *entry = g.e.p;
    Em *e = &g.e;
    /* chain_left: every instruction of the block may start, else the first one's handler */
    e_mem(e, 8, true, "\x81", 1, 7, H_RDI, -1, 1, OFF(chain_left));        /* cmp */
    e32(e, n - 1);
    uint8_t *fallback = e_jump(e, 2);                                       /* jb */
    e_load(e, 8, H_R11, H_RDI, OFF(rip));
    uint8_t *taken = NULL;
    for (unsigned k = 0; k < n; k++) {
        if (ops[k].kind == J_JCC)
            taken = e_jump(e, ops[k].d->opcode & 15);
        else
            gen_insn(&g, k);
    }
    /* on after the last one: not taken, or the end of the run */
    gen_exit(&g, n - 1, (const void *)x86_jit_next);
    if (taken) {
        e_patch(taken, e->p);
        gen_exit(&g, n - 1, (const void *)x86_jit_taken);
    }
    for (unsigned k = 0; k < n; k++) {
        if (!g.nside_fix[k])
            continue;
        for (unsigned i = 0; i < g.nside_fix[k]; i++)
            e_patch(g.side_fix[k][i], e->p);
        gen_exit(&g, k, (const void *)x86_jit_orig(c, ops[k].d->fn));
    }
    e_patch(fallback, e->p);
    e_jump_abs(e, (const void *)orig);
    c->jit_used = (size_t)(e->p - c->jit_buf + 15) & ~(size_t)15;
    head->fn = (X86HandlerFn)(uintptr_t)entry;
    c->jit_blocks++;
    return true;
}
