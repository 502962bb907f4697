/* x86-64 block compiler (jit.h): host x86-64 code for runs of a decoded page's instructions.
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

/* chain_left -= n: the block's instructions that retired, or started (x86_insns_now) */
static void e_chain_sub(Em *e, unsigned n)
{
    if (!n)
        return;
    e_mem(e, 8, true, "\x81", 1, 5, H_RDI, -1, 1, (int32_t)offsetof(X86Cpu, chain_left));  /* sub */
    e32(e, n);
}

/* ---- the block's instructions ---- */
enum {
    J_ALU,                    /* ADD OR AND SUB XOR CMP TEST */
    J_UNARY,                  /* INC DEC NOT NEG (unary: 0 INC, 1 DEC, 2 NOT, 3 NEG) */
    J_SHIFT,                  /* SHL SHR SAR by a constant (shift: ModRM.reg) */
    J_IMUL,                   /* IMUL Gv, Ev (, imm) */
    J_MOV, J_MOVZX, J_MOVSX, J_LEA,
    J_CMOV, J_SETCC,          /* read the flags */
    J_NOP,
    J_PUSH, J_POP,            /* 64-bit PUSH reg/imm, POP reg */
    J_SHIFTCL,                /* SHL SHR SAR of a register by CL (a count of 0 keeps the flags) */
    J_ROT,                    /* ROL ROR of a register by a constant (CF, OF only) */
    J_CALLOUT,                /* any other computation: its generic handler called */
    J_JCC, J_JMP, J_CALL, J_RET,   /* end the block */
};
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
    unsigned alu;             /* A_*; J_UNARY: 0-3; J_SHIFT: 4 SHL, 5 SHR, 7 SAR */
    unsigned size;            /* operand size (the destination's for MOVZX/MOVSX/LEA) */
    unsigned src_size;        /* MOVZX/MOVSX: the source's */
    unsigned cc;              /* CMOVcc, SETcc, Jcc: the condition */
    Opnd dst, src;
    uint64_t imm;             /* the immediate at size; J_SHIFT: the count */
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
    if (d->lock || d->vex)
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
    case X86_OP_INCDEC_Eb: case X86_OP_INCDEC_Ev: case X86_OP_NOTNEG_Eb: case X86_OP_NOTNEG_Ev:
        o->kind = J_UNARY;
        o->alu = (op == X86_OP_NOTNEG_Eb || op == X86_OP_NOTNEG_Ev) ? 2 + (d->reg & 1)
                                                                    : (d->reg & 1);
        o->size = (op == X86_OP_INCDEC_Eb || op == X86_OP_NOTNEG_Eb) ? 1 : osz;
        o->dst = opnd_e(d, o->size);
        break;
    case X86_OP_SHIFT_EbIb: case X86_OP_SHIFT_EvIb: case X86_OP_SHIFT_Eb1: case X86_OP_SHIFT_Ev1: {
        unsigned kind = d->reg & 7;
        if (kind == 2 || kind == 3 || kind == 6)
            return false;             /* RCL, RCR (through CF), SAL (the same as SHL) */
        o->kind = kind < 2 ? J_ROT : J_SHIFT;
        o->alu = kind;
        o->size = (op == X86_OP_SHIFT_EbIb || op == X86_OP_SHIFT_Eb1) ? 1 : osz;
        uint64_t n = (op == X86_OP_SHIFT_Eb1 || op == X86_OP_SHIFT_Ev1) ? 1 : d->imm;
        n &= o->size == 8 ? 63 : 31;
        /* a count of 0 changes no flag; past a byte or word's width the host's CF is
         * undefined */
        if (!n || n >= 8 * o->size || d->mod != 3 || (kind < 2 && o->size < 4))
            return false;
        o->dst = opnd_e(d, o->size);
        o->imm = n;
        return true;
    }
    case X86_OP_SHIFT_EvCL: {
        unsigned kind = d->reg & 7;
        if ((kind != 4 && kind != 5 && kind != 7) || d->mod != 3 || osz < 4)
            return false;
        o->kind = J_SHIFTCL;
        o->alu = kind;
        o->dst = opnd_e(d, osz);
        return true;
    }
    case X86_OP_PUSH_r: case X86_OP_PUSH_Iz: case X86_OP_PUSH_Ibs:
        if (osz != 8)
            return false;
        o->kind = J_PUSH;
        o->src = op == X86_OP_PUSH_r ? opnd_reg(d, d->reg, 8) : opnd_imm();
        break;
    case X86_OP_POP_r:
        if (osz != 8)
            return false;
        o->kind = J_POP;
        o->dst = opnd_reg(d, d->reg, 8);
        break;
    case X86_OP_CALL_Jz:
        if (osz != 8)
            return false;
        o->kind = J_CALL;
        break;
    case X86_OP_RET:
        if (osz != 8)
            return false;
        o->kind = J_RET;
        break;
    case X86_OP_IMUL_GvEv: case X86_OP_IMUL_GvEvIz: case X86_OP_IMUL_GvEvIbs:
        if (osz == 2)
            return false;
        o->kind = J_IMUL;
        o->dst = opnd_reg(d, d->reg, osz);
        o->src = opnd_e(d, osz);
        if (op != X86_OP_IMUL_GvEv) {
            o->imm = d->imm & x86_mask(osz);
            o->dst.kind = O_REG;
            return true;
        }
        o->imm = 0;
        return true;
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
    case X86_OP_CMOVcc:
        if (osz == 2)
            return false;
        o->kind = J_CMOV;
        o->cc = d->opcode & 15;
        o->dst = opnd_reg(d, d->reg, osz);
        o->src = opnd_e(d, osz);
        break;
    case X86_OP_SETcc:
        if (d->mod != 3)
            return false;
        o->kind = J_SETCC;
        o->cc = d->opcode & 15;
        o->size = 1;
        o->dst = opnd_e(d, 1);
        break;
    case X86_OP_NOP_Ev:
        o->kind = J_NOP;
        break;
    case X86_OP_XCHG_rAX:             /* 90: NOP (with F3: PAUSE, its own handler) */
        if (d->reg != X86_RAX || d->rep)
            return false;
        o->kind = J_NOP;
        break;
    case X86_OP_Jcc_Jb: case X86_OP_Jcc_Jz:
        o->kind = J_JCC;
        o->cc = d->opcode & 15;
        break;
    case X86_OP_JMP_Jb: case X86_OP_JMP_Jz:
        o->kind = J_JMP;
        break;
    default:
        /* the rest of what a program computes (what the differential tester runs, not the
         * system instructions) through its generic handler */
        if (op >= X86_OP_COUNT || (x86_forms[op].flags & X86_F_NOFUZZ))
            return false;
        o->kind = J_CALLOUT;
        return true;
    }
    o->imm = d->imm & x86_mask(o->size);
    return true;
}

/* writes the arithmetic flags */
static bool writes_flags(const JOp *o)
{
    return o->kind == J_ALU || o->kind == J_SHIFT || o->kind == J_IMUL || o->kind == J_SHIFTCL ||
           o->kind == J_ROT || o->kind == J_CALLOUT || (o->kind == J_UNARY && o->alu != 2);
}
/* reads them (INC and DEC keep CF, rotates the flags but CF and OF, a shift by CL all of
 * them when CL is 0) */
static bool reads_flags(const JOp *o)
{
    return o->kind == J_CMOV || o->kind == J_SETCC || o->kind == J_JCC || o->kind == J_ROT ||
           o->kind == J_SHIFTCL || o->kind == J_CALLOUT || (o->kind == J_UNARY && o->alu < 2);
}
/* may leave the block before it (the inline memory path not taken) */
static bool has_mem(const JOp *o)
{
    return o->dst.kind == O_MEM || o->src.kind == O_MEM || o->kind == J_PUSH ||
           o->kind == J_POP || o->kind == J_CALL || o->kind == J_RET || o->kind == J_CALLOUT;
}
/* its code (without a memory operand) leaves the host's flags as they were */
static bool keeps_host_flags(const JOp *o)
{
    return o->kind == J_MOV || o->kind == J_MOVZX || o->kind == J_MOVSX || o->kind == J_LEA ||
           o->kind == J_NOP || o->kind == J_CMOV || o->kind == J_SETCC ||
           (o->kind == J_UNARY && o->alu == 2);
}
static bool ends_block(const JOp *o)
{
    return o->kind == J_JCC || o->kind == J_JMP || o->kind == J_CALL || o->kind == J_RET;
}

/* ---- code generation ---- */
#define LF_UNKNOWN 0xffffffffu
typedef struct {
    Em e;
    X86Cpu *c;
    const X86DecodedPage *p;
    const JOp *ops;
    unsigned n;
    /* the ways out before instruction k (a memory operand the inline path does not take):
     * the jumps to its stub, filled in once it is placed */
    uint8_t *side_fix[JIT_MAX_INSNS][4];
    unsigned nside_fix[JIT_MAX_INSNS];
    /* the lazy flags' operation and size known to be in the core (LF_UNKNOWN: not known) */
    unsigned lf_op, lf_size;
    /* the last flag writer of the block so far (-1: none), and whether the host's flags
     * are its flags now (else they are made again from what it left in the core) */
    int writer;
    bool host_flags;
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

/* host RDX = the memory operand's offset (plus an FS/GS base); moves and LEA only, so the
 * host's flags survive it */
static void gen_ea(Gen *g, unsigned k, unsigned r)
{
    Em *e = &g->e;
    const JOp *o = &g->ops[k];
    const X86Insn *d = o->d;
    if (d->rip_rel) {
        int64_t disp = (int64_t)o->off - (int64_t)g->ops[0].off + d->len + d->disp;
        e_mem(e, 8, true, "\x8d", 1, r, H_R11, -1, 1, (int32_t)disp);      /* lea */
    } else {
        if (d->base < X86_NGPR)
            e_load(e, 8, r, H_RDI, OFF(gpr) + 8 * d->base);
        else
            e_movabs(e, r, 0);
        if (d->index < X86_NGPR) {
            e_load(e, 8, H_R9, H_RDI, OFF(gpr) + 8 * d->index);
            e_mem(e, 8, true, "\x8d", 1, r, r, H_R9, d->scale, (int32_t)d->disp);
        } else if (d->disp) {
            e_mem(e, 8, true, "\x8d", 1, r, r, -1, 1, (int32_t)d->disp);
        }
    }
}

/* RDX = the memory operand's host address for an access of size bytes (acc: X86_ACC_READ
 * or X86_ACC_WRITE; a write checked as x86_ram_store_ok and marked written): as x86_ram_fast,
 * else out before instruction k. The host's flags are lost. */
static void gen_tlb(Gen *g, unsigned k, unsigned size, X86Access acc);
static void gen_mem(Gen *g, unsigned k, unsigned size, X86Access acc)
{
    const X86Insn *d = g->ops[k].d;
    gen_ea(g, k, H_RDX);
    if (d->seg >= X86_FS)
        e_mem(&g->e, 8, true, "\x03", 1, H_RDX, H_RDI, -1, 1,
              OFF(seg) + (int32_t)(d->seg * sizeof(X86Seg)) + (int32_t)offsetof(X86Seg, base));
    gen_tlb(g, k, size, acc);
}

/* RDX = the host address of the linear address in RDX, as gen_mem */
static void gen_tlb(Gen *g, unsigned k, unsigned size, X86Access acc)
{
    Em *e = &g->e;
    /* the soft TLB's entry: R8 (index * 40 as (index * 5) * 8) */
    _Static_assert(sizeof(X86TlbEntry) == 40, "the TLB entry's size the code scales by");
    e_rr(e, 4, false, "\x8b", 1, H_RAX, H_RDX);                 /* mov eax, edx */
    e_rr(e, 4, false, "\xc1", 1, 5, H_RAX);                     /* shr eax, 12 */
    e8(e, 12);
    e8(e, 0x25);                                                /* and eax, TLB_SIZE - 1 */
    e32(e, X86_TLB_SIZE - 1);
    e_mem(e, 4, false, "\x8d", 1, H_RAX, H_RAX, H_RAX, 4, 0);  /* lea eax, [rax + rax * 4] */
    e_mem(e, 8, true, "\x8d", 1, H_R8, H_RDI, H_RAX, 8,
          OFF(tlb) + (int32_t)(acc * X86_TLB_SIZE * sizeof(X86TlbEntry)));    /* lea r8 */
    /* the page of the access's last byte, with the privilege and AC bits, is the entry's
     * tag: the access is inside one page the entry holds as RAM (x86_ram_fast) */
    e_mem(e, 8, true, "\x8d", 1, H_RCX, H_RDX, -1, 1, (int32_t)size - 1);   /* lea rcx */
    e8(e, 0x48);                                                /* and rcx, ~0xfff */
    e8(e, 0x81);
    e8(e, 0xe1);
    e32(e, 0xfffff000u);
    e_mem(e, 8, true, "\x0b", 1, H_RCX, H_RDI, -1, 1, OFF(mem_tag));          /* or rcx, */
    e_mem(e, 8, true, "\x3b", 1, H_RCX, H_R8, -1, 1,
          (int32_t)offsetof(X86TlbEntry, ftag));                             /* cmp rcx, */
    side_exit_jump(g, k, 5);                                    /* jne */
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
    e8(e, 0x81);                                                /* and edx, 0xfff */
    e8(e, 0xe2);
    e32(e, 0xfff);
    e_mem(e, 8, true, "\x03", 1, H_RDX, H_R8, -1, 1,
          (int32_t)offsetof(X86TlbEntry, host));                             /* add rdx, */
    g->host_flags = false;
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

/* "op host register, [RDI + disp]" at size (opc: the full-size opcode of "op reg, r/m") */
static void e_op_mem(Em *e, unsigned size, uint8_t opc, unsigned r, int32_t disp)
{
    char b = (char)(opc - (size == 1));
    e_mem(e, size, size == 8, &b, 1, r, H_RDI, -1, 1, disp);
}

/* host flags = RFLAGS' arithmetic flags (only they: AC, TF and DF stay clear on the host) */
static void gen_popf_rflags(Em *e)
{
    e_load(e, 8, H_RAX, H_RDI, OFF(rflags));
    e8(e, 0x25);                                                /* and eax, arith */
    e32(e, X86_FLAGS_ARITH);
    e8(e, 0x50);                                                /* push rax */
    e8(e, 0x9d);                                                /* popf */
}

/* The pending flags into RFLAGS (x86_lf_write) if any, from inside the block: the registers
 * the block keeps (RSI, RDI, R11, and RDX, a memory operand's host address) saved around the
 * call, the host stack aligned for it. The host's flags are lost. */
static void gen_lf_flush(Em *e)
{
    e_mem(e, 4, false, "\x83", 1, 7, H_RDI, -1, 1, OFF(lf_op));            /* cmp lf_op, 0 */
    e8(e, 0);
    uint8_t *skip = e_jump(e, 4);                                          /* je */
    static const uint8_t save[] = { 0x56, 0x57, 0x41, 0x53, 0x52, 0x50 };  /* rsi rdi r11 rdx rax */
    for (size_t i = 0; i < sizeof save; i++)
        e8(e, save[i]);
    e_movabs(e, H_RAX, (uint64_t)(uintptr_t)x86_lf_write);
    e8(e, 0xff);                                                /* call rax */
    e8(e, 0xd0);
    static const uint8_t restore[] = { 0x58, 0x5a, 0x41, 0x5b, 0x5f, 0x5e };
    for (size_t i = 0; i < sizeof restore; i++)
        e8(e, restore[i]);
    e_patch(skip, e->p);
}

/* The host's flags = the guest's, made again from what the block's last writer left in the
 * core: its operation redone on its lazy operands, RFLAGS loaded after a shift or rotate, or,
 * with no writer in the block yet or one that may leave them pending in any form (IMUL, a
 * shift by CL), whatever is pending written into RFLAGS first. */
static void gen_flags_again(Gen *g)
{
    Em *e = &g->e;
    if (g->host_flags)
        return;
    g->host_flags = true;
    const JOp *w = g->writer >= 0 ? &g->ops[g->writer] : NULL;
    if (!w || w->kind == J_IMUL || w->kind == J_SHIFTCL || w->kind == J_CALLOUT) {
        gen_lf_flush(e);
        gen_popf_rflags(e);
        g->lf_op = X86_LF_NONE;   /* x86_lf_write left none */
        return;
    }
    unsigned size = w->size;
    if (w->kind == J_SHIFT || w->kind == J_ROT) {
        gen_popf_rflags(e);
    } else if (w->kind == J_UNARY && w->alu < 2) {
        /* CF as INC/DEC kept it, then the operation again */
        e_mem(e, 4, false, "\x0f\xba", 2, 4, H_RDI, -1, 1, OFF(lf_b));      /* bt */
        e8(e, 0);
        e_load(e, size, H_RAX, H_RDI, OFF(lf_a));
        char opc = (char)(size == 1 ? 0xfe : 0xff);
        e_rr(e, size, size == 8, &opc, 1, w->alu, H_RAX);       /* inc/dec */
    } else if ((w->kind == J_ALU && (w->alu == A_ADD || w->alu == A_SUB || w->alu == A_CMP)) ||
               w->kind == J_UNARY) {
        e_load(e, size, H_RAX, H_RDI, OFF(lf_a));
        e_op_mem(e, size, w->alu == A_ADD && w->kind == J_ALU ? 0x03 : 0x2b, H_RAX, OFF(lf_b));
    } else {                  /* logic: from the result */
        e_load(e, size, H_RAX, H_RDI, OFF(lf_r));
        char opc = (char)(0x85 - (size == 1));
        e_rr(e, size, size == 8, &opc, 1, H_RAX, H_RAX);       /* test */
    }
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
    g->host_flags = true;
}

/* INC DEC NOT NEG of a register or memory */
static void gen_unary(Gen *g, unsigned k)
{
    const JOp *o = &g->ops[k];
    Em *e = &g->e;
    unsigned size = o->size;
    if (has_mem(o))
        gen_mem(g, k, size, X86_ACC_WRITE);
    if (o->alu < 2)
        gen_flags_again(g);   /* CF kept */
    gen_get(g, o, o->dst, size, H_RAX);
    if (o->store_flags)
        e_store(e, 8, H_RAX, H_RDI, OFF(lf_a));
    char opc = (char)(o->alu < 2 ? (size == 1 ? 0xfe : 0xff) : (size == 1 ? 0xf6 : 0xf7));
    e_rr(e, size, size == 8, &opc, 1, o->alu, H_RAX);           /* inc dec not neg rax */
    gen_put(g, o->dst, size);
    if (o->alu == 2)
        return;               /* NOT: no flags */
    if (o->store_flags) {
        e_store(e, 8, H_RAX, H_RDI, OFF(lf_r));
        if (o->alu < 2) {
            e_rr(e, 4, false, "\x0f\x92", 2, 0, H_RCX);         /* setc cl */
            e_rr(e, 4, false, "\x0f\xb6", 2, H_RCX, H_RCX);     /* movzx ecx, cl */
            e_store(e, 8, H_RCX, H_RDI, OFF(lf_b));
            gen_lazy_op(g, o->alu ? X86_LF_DEC : X86_LF_INC, size);
        } else {              /* NEG: 0 - x */
            e_load(e, 8, H_RCX, H_RDI, OFF(lf_a));
            e_store(e, 8, H_RCX, H_RDI, OFF(lf_b));
            e_movabs(e, H_RCX, 0);
            e_store(e, 8, H_RCX, H_RDI, OFF(lf_a));
            gen_lazy_op(g, X86_LF_SUB, size);
        }
    }
    g->host_flags = true;
}

/* SHL SHR SAR of a register by a constant: the flags written into RFLAGS as the handlers
 * compute them (AF 0; OF as QEMU gives it for any count: SHL's CF ^ SF, SHR's the operand's
 * sign for a count of 1, else 0) */
static void gen_shift(Gen *g, unsigned k)
{
    const JOp *o = &g->ops[k];
    Em *e = &g->e;
    unsigned size = o->size;
    gen_get(g, o, o->dst, size, H_RAX);
    char opc = (char)(size == 1 ? 0xc0 : 0xc1);
    e_rr(e, size, size == 8, &opc, 1, o->alu == 7 ? 7 : o->alu, H_RAX);      /* shift rax */
    e8(e, (unsigned)o->imm);
    gen_put(g, o->dst, size);
    g->host_flags = false;
    if (!o->store_flags)
        return;               /* the next writer's come before anyone looks */
    e8(e, 0x9c);                                                /* pushf */
    e8(e, 0x59);                                                /* pop rcx */
    uint32_t keep = X86_CF | X86_PF | X86_ZF | X86_SF;
    if (o->alu == 5 && o->imm == 1)
        keep |= X86_OF;       /* the host's OF of a 1-bit SHR is the operand's sign */
    e8(e, 0x81);                                                /* and ecx, keep */
    e8(e, 0xe1);
    e32(e, keep);
    if (o->alu == 4) {        /* OF = CF ^ SF */
        e_rr(e, 4, false, "\x8b", 1, H_RDX, H_RCX);             /* mov edx, ecx */
        e_rr(e, 4, false, "\xc1", 1, 4, H_RDX);                 /* shl edx, 4: SF to OF */
        e8(e, 4);
        e_rr(e, 4, false, "\x8b", 1, H_R8, H_RCX);              /* mov r8d, ecx */
        e_rr(e, 4, false, "\xc1", 1, 4, H_R8);                  /* shl r8d, 11: CF to OF */
        e8(e, 11);
        e_rr(e, 4, false, "\x31", 1, H_R8, H_RDX);              /* xor edx, r8d */
        e8(e, 0x81);                                            /* and edx, OF */
        e8(e, 0xe2);
        e32(e, X86_OF);
        e_rr(e, 4, false, "\x09", 1, H_RDX, H_RCX);             /* or ecx, edx */
    }
    e_load(e, 8, H_RDX, H_RDI, OFF(rflags));
    e8(e, 0x48);                                                /* and rdx, ~arith */
    e8(e, 0x81);
    e8(e, 0xe2);
    e32(e, ~(uint32_t)X86_FLAGS_ARITH);
    e_rr(e, 8, true, "\x09", 1, H_RCX, H_RDX);                  /* or rdx, rcx */
    e_store(e, 8, H_RDX, H_RDI, OFF(rflags));
    if (g->lf_op != X86_LF_NONE)
        e_store_imm32(e, OFF(lf_op), X86_LF_NONE);              /* pending ones dropped */
    g->lf_op = X86_LF_NONE;
    g->host_flags = false;
}

/* rflags' arithmetic flags = host RCX's (the others kept); none pending now */
static void gen_rflags_arith(Gen *g, uint32_t which)
{
    Em *e = &g->e;
    e_load(e, 8, H_RDX, H_RDI, OFF(rflags));
    e8(e, 0x48);                                                /* and rdx, ~which */
    e8(e, 0x81);
    e8(e, 0xe2);
    e32(e, ~which);
    e_rr(e, 8, true, "\x09", 1, H_RCX, H_RDX);                  /* or rdx, rcx */
    e_store(e, 8, H_RDX, H_RDI, OFF(rflags));
    if (g->lf_op != X86_LF_NONE)
        e_store_imm32(e, OFF(lf_op), X86_LF_NONE);
    g->lf_op = X86_LF_NONE;
}

/* ROL ROR of a register by a constant: CF and OF as the handlers compute them (ROL: CF the
 * result's low bit, OF its sign ^ CF; ROR: CF the sign, OF the sign ^ the bit below), the
 * other flags as they were (pending ones written first) */
static void gen_rot(Gen *g, unsigned k)
{
    const JOp *o = &g->ops[k];
    Em *e = &g->e;
    unsigned size = o->size, bits = 8 * size;
    if (o->store_flags)
        gen_lf_flush(e);
    g->lf_op = o->store_flags ? X86_LF_NONE : g->lf_op;
    gen_get(g, o, o->dst, size, H_RAX);
    e_rr(e, size, size == 8, "\xc1", 1, o->alu, H_RAX);        /* rol/ror rax, n */
    e8(e, (unsigned)o->imm);
    gen_put(g, o->dst, size);
    g->host_flags = false;
    if (!o->store_flags)
        return;
    e_rr(e, 8, true, "\x8b", 1, H_RDX, H_RAX);                 /* mov rdx, rax */
    e_rr(e, 8, true, "\x8b", 1, H_RCX, H_RAX);                 /* mov rcx, rax */
    if (o->alu == 0) {        /* ROL */
        e8(e, 0x83);                                            /* and edx, 1: CF */
        e8(e, 0xe2);
        e8(e, 1);
        e_rr(e, 8, true, "\xc1", 1, 5, H_RCX);                 /* shr rcx, bits - 1 */
        e8(e, bits - 1);
    } else {                  /* ROR */
        e_rr(e, 8, true, "\xc1", 1, 5, H_RDX);                 /* shr rdx, bits - 1: CF */
        e8(e, bits - 1);
        e_rr(e, 8, true, "\xc1", 1, 5, H_RCX);                 /* shr rcx, bits - 2 */
        e8(e, bits - 2);
    }
    e_rr(e, 4, false, "\x31", 1, H_RDX, H_RCX);                /* xor ecx, edx */
    e8(e, 0x83);                                                /* and ecx, 1 */
    e8(e, 0xe1);
    e8(e, 1);
    e_rr(e, 4, false, "\xc1", 1, 4, H_RCX);                    /* shl ecx, 11: OF */
    e8(e, 11);
    e_rr(e, 4, false, "\x09", 1, H_RDX, H_RCX);                /* or ecx, edx */
    gen_rflags_arith(g, X86_CF | X86_OF);
}

/* SHL SHR SAR of a register by CL (masked): with a count of 0 nothing changes (a 4-byte
 * register is still zero-extended); else the flags into RFLAGS as gen_shift, SHR's OF the
 * operand's sign for a count of 1 */
static void gen_shiftcl(Gen *g, unsigned k)
{
    const JOp *o = &g->ops[k];
    Em *e = &g->e;
    unsigned size = o->size, bits = 8 * size;
    e_load(e, 4, H_RCX, H_RDI, OFF(gpr) + 8 * X86_RCX);
    e8(e, 0x83);                                                /* and ecx, bits - 1 */
    e8(e, 0xe1);
    e8(e, bits - 1);
    uint8_t *zero = e_jump(e, 4);                               /* je */
    gen_get(g, o, o->dst, size, H_RAX);
    e_rr(e, 8, true, "\x8b", 1, H_R8, H_RAX);                  /* mov r8, rax */
    e_rr(e, size, size == 8, "\xd3", 1, o->alu, H_RAX);        /* shift rax, cl */
    gen_put(g, o->dst, size);
    e8(e, 0x9c);                                                /* pushf */
    e8(e, 0x41);                                                /* pop r9 */
    e8(e, 0x59);
    e8(e, 0x41);                                                /* and r9d, CF PF ZF SF */
    e8(e, 0x81);
    e8(e, 0xe1);
    e32(e, X86_CF | X86_PF | X86_ZF | X86_SF);
    if (o->alu == 4) {        /* OF = CF ^ SF */
        e_rr(e, 4, false, "\x8b", 1, H_RDX, H_R9);             /* mov edx, r9d */
        e_rr(e, 4, false, "\xc1", 1, 4, H_RDX);                /* shl edx, 4 */
        e8(e, 4);
        e_rr(e, 4, false, "\x8b", 1, H_R10, H_R9);             /* mov r10d, r9d */
        e_rr(e, 4, false, "\xc1", 1, 4, H_R10);                /* shl r10d, 11 */
        e8(e, 11);
        e_rr(e, 4, false, "\x31", 1, H_R10, H_RDX);            /* xor edx, r10d */
        e8(e, 0x81);                                            /* and edx, OF */
        e8(e, 0xe2);
        e32(e, X86_OF);
        e_rr(e, 4, false, "\x09", 1, H_RDX, H_R9);             /* or r9d, edx */
    } else if (o->alu == 5) { /* OF = the sign for a count of 1 */
        e8(e, 0x83);                                            /* cmp ecx, 1 */
        e8(e, 0xf9);
        e8(e, 1);
        uint8_t *not1 = e_jump(e, 5);                           /* jne */
        e_rr(e, 8, true, "\xc1", 1, 5, H_R8);                  /* shr r8, bits - 1 */
        e8(e, bits - 1);
        e_rr(e, 4, false, "\xc1", 1, 4, H_R8);                 /* shl r8d, 11 */
        e8(e, 11);
        e_rr(e, 4, false, "\x09", 1, H_R8, H_R9);              /* or r9d, r8d */
        e_patch(not1, e->p);
    }
    e_rr(e, 8, true, "\x8b", 1, H_RCX, H_R9);                  /* mov rcx, r9 */
    g->lf_op = LF_UNKNOWN;
    gen_rflags_arith(g, X86_FLAGS_ARITH);
    uint8_t *done = e_jump(e, -1);
    e_patch(zero, e->p);
    if (size == 4) {
        e_load(e, 4, H_RAX, H_RDI, reg_off(o->dst));
        e_store(e, 8, H_RAX, H_RDI, reg_off(o->dst));
    }
    e_patch(done, e->p);
    g->lf_op = LF_UNKNOWN;
    g->host_flags = false;
}

/* PUSH (8 bytes): RDX the host address of RSP - 8 (out before k when not inline) */
static void gen_stack_addr(Gen *g, unsigned k, int32_t delta, X86Access acc)
{
    e_load(&g->e, 8, H_RDX, H_RDI, OFF(gpr) + 8 * X86_RSP);
    if (delta)
        e_mem(&g->e, 8, true, "\x8d", 1, H_RDX, H_RDX, -1, 1, delta);     /* lea */
    gen_tlb(g, k, 8, acc);
}
/* RSP += delta */
static void gen_rsp_add(Gen *g, int32_t delta)
{
    e_mem(&g->e, 8, true, "\x81", 1, 0, H_RDI, -1, 1, OFF(gpr) + 8 * X86_RSP);  /* add */
    e32(&g->e, (uint32_t)delta);
}

/* IMUL: the product's low half, its flags left pending (X86_LF_MUL, lf_b: it did not fit) */
static void gen_imul(Gen *g, unsigned k)
{
    const JOp *o = &g->ops[k];
    Em *e = &g->e;
    unsigned size = o->size;
    bool three = o->d->op != X86_OP_IMUL_GvEv;
    if (has_mem(o))
        gen_mem(g, k, size, X86_ACC_READ);
    gen_get(g, o, three ? o->src : o->dst, size, H_RAX);
    if (three)
        e_movabs(e, H_RCX, o->imm);
    else
        gen_get(g, o, o->src, size, H_RCX);
    e_rr(e, size, size == 8, "\x0f\xaf", 2, H_RAX, H_RCX);     /* imul rax, rcx */
    gen_put(g, o->dst, size);
    if (o->store_flags) {
        e_store(e, 8, H_RAX, H_RDI, OFF(lf_r));
        e_rr(e, 4, false, "\x0f\x90", 2, 0, H_RCX);             /* seto cl */
        e_rr(e, 4, false, "\x0f\xb6", 2, H_RCX, H_RCX);         /* movzx ecx, cl */
        e_store(e, 8, H_RCX, H_RDI, OFF(lf_b));
        gen_lazy_op(g, X86_LF_MUL, size);
    }
    g->host_flags = false;    /* SF ZF PF are the host's guess */
}

static void gen_insn(Gen *g, unsigned k)
{
    const JOp *o = &g->ops[k];
    Em *e = &g->e;
    switch (o->kind) {
    case J_ALU:
        gen_alu(g, k);
        break;
    case J_UNARY:
        gen_unary(g, k);
        break;
    case J_SHIFT:
        gen_shift(g, k);
        break;
    case J_IMUL:
        gen_imul(g, k);
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
    case J_LEA:
        gen_ea(g, k, H_RAX);
        if (o->size == 4)
            e_rr(e, 4, false, "\x8b", 1, H_RAX, H_RAX);
        gen_put(g, o->dst, o->size);
        break;
    case J_CMOV: {
        if (has_mem(o))
            gen_mem(g, k, o->size, X86_ACC_READ);
        gen_flags_again(g);
        gen_get(g, o, o->dst, o->size, H_RAX);
        gen_get(g, o, o->src, o->size, H_RCX);
        char opc[2] = { 0x0f, (char)(0x40 + o->cc) };
        e_rr(e, o->size, o->size == 8, opc, 2, H_RAX, H_RCX);   /* cmovcc rax, rcx */
        gen_put(g, o->dst, o->size);
        break;
    }
    case J_ROT:
        gen_rot(g, k);
        break;
    case J_SHIFTCL:
        gen_shiftcl(g, k);
        break;
    case J_PUSH:
        gen_stack_addr(g, k, -8, X86_ACC_WRITE);
        gen_get(g, o, o->src, 8, H_RAX);
        e_store(e, 8, H_RAX, H_RDX, 0);
        gen_rsp_add(g, -8);
        break;
    case J_POP:
        gen_stack_addr(g, k, 0, X86_ACC_READ);
        e_load(e, 8, H_RAX, H_RDX, 0);
        gen_rsp_add(g, 8);
        gen_put(g, o->dst, 8);  /* POP RSP: the value popped */
        break;
    case J_SETCC: {
        gen_flags_again(g);
        char opc[2] = { 0x0f, (char)(0x90 + o->cc) };
        e_rr(e, 4, false, opc, 2, 0, H_RAX);                    /* setcc al */
        gen_put(g, o->dst, 1);
        break;
    }
    default:                  /* NOP */
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
/* RIP and start_ip = the instruction at byte offset off of the page, RSI = its decoded
 * instruction (index idx; RSI held the block's first one) */
static void gen_at(Gen *g, unsigned off, unsigned idx)
{
    Em *e = &g->e;
    e_mem(e, 8, true, "\x8d", 1, H_RAX, H_R11, -1, 1, (int32_t)off - (int32_t)g->ops[0].off);
    e_store(e, 8, H_RAX, H_RDI, OFF(rip));
    e_store(e, 8, H_RAX, H_RDI, OFF(start_ip));
    int32_t delta = (int32_t)(((int64_t)idx - (int64_t)g->ops[0].idx) * (int64_t)sizeof(X86Insn));
    if (delta)
        e_mem(e, 8, true, "\x8d", 1, H_RSI, H_RSI, -1, 1, delta);          /* lea rsi */
}

static void gen_exit(Gen *g, unsigned k, const void *fn)
{
    e_chain_sub(&g->e, k);
    gen_at(g, g->ops[k].off, g->ops[k].idx);
    e_jump_abs(&g->e, fn);
}

/* After instruction k (the block's last) on to the instruction at byte offset to of the
 * page: straight to its handler when the cache has decoded it (it keeps its index) and it
 * may run with flags pending, as x86_chain_to would start it (the block's entry made sure
 * the chain may start it); else through fn (x86_jit_next, x86_jit_taken), as k's own
 * handler would go on. */
static void gen_exit_to(Gen *g, unsigned k, unsigned to, const void *fn)
{
    Em *e = &g->e;
    unsigned s = to < X86_DC_PAGE ? g->p->slot[to] : 0;
    if (!X86_CHAIN_DIRECT || !s || !g->p->insn[s - 1].lazy) {
        gen_exit(g, k, fn);
        return;
    }
    e_chain_sub(e, k + 1);
    gen_at(g, to, s - 1);
    e_mem(e, 4, false, "\xff", 1, 4, H_RSI, -1, 1, (int32_t)offsetof(X86Insn, fn));  /* jmp */
}

/* Instruction k through its generic handler (x86_forms), called from the block: RIP and
 * start_ip at k, the pending flags written, the chain's count forgotten for the call (the
 * handler goes on to nothing: chain_left 0, x86_insns_now unchanged). Then on in the block
 * when it returned X86_OK with RIP at the next instruction, nothing forgotten (dc_la: no mode,
 * paging or RFLAGS.TF/AC change, no device touched) and no decoded page dropped; else back
 * to the caller with the chain's count as after k (X86_OK, or its fault or stop, as a
 * handler returns them). */
static void gen_callout(Gen *g, unsigned k)
{
    const JOp *o = &g->ops[k];
    Em *e = &g->e;
    gen_lf_flush(e);
    /* RCX = chain_left - k: what the chain may still start after k */
    e_load(e, 8, H_RCX, H_RDI, OFF(chain_left));
    if (k) {
        e_rr(e, 8, true, "\x81", 1, 5, H_RCX);                 /* sub rcx, k */
        e32(e, k);
    }
    e_mem(e, 8, true, "\x29", 1, H_RCX, H_RDI, -1, 1, OFF(chain_run));     /* sub [run], rcx */
    e_mem(e, 8, true, "\xc7", 1, 0, H_RDI, -1, 1, OFF(chain_left));        /* mov [left], 0 */
    e32(e, 0);
    int32_t here = (int32_t)(o->off - g->ops[0].off);
    e_mem(e, 8, true, "\x8d", 1, H_RAX, H_R11, -1, 1, here);
    e_store(e, 8, H_RAX, H_RDI, OFF(rip));
    e_store(e, 8, H_RAX, H_RDI, OFF(start_ip));
    static const uint8_t save[] = { 0x56, 0x57, 0x41, 0x53, 0x51, 0x51 };  /* rsi rdi r11 rcx rcx */
    for (size_t i = 0; i < sizeof save; i++)
        e8(e, save[i]);
    int32_t delta = (int32_t)(((int64_t)o->idx - (int64_t)g->ops[0].idx) * (int64_t)sizeof(X86Insn));
    if (delta)
        e_mem(e, 8, true, "\x8d", 1, H_RSI, H_RSI, -1, 1, delta);          /* lea rsi */
    e_movabs(e, H_RAX, (uint64_t)(uintptr_t)x86_forms[o->d->op].fn);
    e8(e, 0xff);                                                /* call rax */
    e8(e, 0xd0);
    static const uint8_t restore[] = { 0x59, 0x59, 0x41, 0x5b, 0x5f, 0x5e };
    for (size_t i = 0; i < sizeof restore; i++)
        e8(e, restore[i]);
    e_rr(e, 4, false, "\x85", 1, H_RAX, H_RAX);                /* test eax, eax */
    uint8_t *out = e_jump(e, 5);                                /* jne: a fault or stop */
    e_mem(e, 8, true, "\x83", 1, 7, H_RDI, -1, 1, OFF(dc_la)); /* cmp qword [dc_la], -1 */
    e8(e, 0xff);
    uint8_t *forgot = e_jump(e, 4);                             /* je */
    e_mem(e, 8, true, "\x83", 1, 7, H_RDI, -1, 1, OFF(dc_garbage));   /* cmp [garbage], 0 */
    e8(e, 0);
    uint8_t *dropped = e_jump(e, 5);                            /* jne */
    e_mem(e, 8, true, "\x8d", 1, H_RAX, H_R11, -1, 1, here + o->d->len);
    e_mem(e, 8, true, "\x3b", 1, H_RAX, H_RDI, -1, 1, OFF(rip));        /* cmp rax, [rip] */
    uint8_t *went = e_jump(e, 5);                               /* jne */
    /* on: the count back as at the block's entry */
    e_mem(e, 8, true, "\x01", 1, H_RCX, H_RDI, -1, 1, OFF(chain_run));     /* add [run], rcx */
    if (k) {
        e_rr(e, 8, true, "\x81", 1, 0, H_RCX);                 /* add rcx, k */
        e32(e, k);
    }
    e_store(e, 8, H_RCX, H_RDI, OFF(chain_left));
    uint8_t *cont = e_jump(e, -1);
    /* back with the count as after k */
    e_patch(dropped, e->p);
    e_patch(went, e->p);
    e_mem(e, 8, true, "\x01", 1, H_RCX, H_RDI, -1, 1, OFF(chain_run));     /* add [run], rcx */
    e_store(e, 8, H_RCX, H_RDI, OFF(chain_left));
    e_patch(forgot, e->p);
    e_rr(e, 4, false, "\x31", 1, H_RAX, H_RAX);                /* xor eax, eax: X86_OK */
    e_patch(out, e->p);
    e8(e, 0xc3);                                                /* ret */
    e_patch(cont, e->p);
    g->host_flags = false;
    g->lf_op = LF_UNKNOWN;
}

int x86_jit_on(X86Cpu *c, const X86Insn *d);
/* On to RIP (a CALL's or RET's target), as their handlers go on (x86_chain_on). */
int x86_jit_on(X86Cpu *c, const X86Insn *d)
{
    (void)d;
    return x86_chain_on(c);
}

static void gen_exit_on(Gen *g, unsigned k, const void *fn);
/* A way out to another page remembered (gen_exit_page): the fetch TLB entry's tag the target
 * page had (its linear page, the privilege and AC then), the entry, the decoded page, the
 * decode cache's dc_gen then and the target's index in the page. */
typedef struct {
    uint64_t tag;
    X86DecodedPage *p;
    const X86TlbEntry *te;
    uint32_t gen;
    uint16_t idx;
    uint16_t pad;
} JitPageCache;

int x86_jit_on_fill(X86Cpu *c, const X86Insn *d, JitPageCache *jc);
/* x86_jit_on, and the page switch remembered in jc when it took one to a decoded instruction
 * that may run with flags pending */
int x86_jit_on_fill(X86Cpu *c, const X86Insn *d, JitPageCache *jc)
{
    (void)d;
    if (!c->chain_left)
        return X86_OK;
    uint64_t off = c->rip - c->dc_la;
    if (off >= X86_DC_PAGE) {
        if (!x86_dc_switch(c))
            return X86_OK;
        off = c->rip - c->dc_la;
        X86DecodedPage *p = c->dc_cur;
        unsigned s = p->slot[off];
        if (s && p->tried[s - 1] && p->insn[s - 1].lazy)
            *jc = (JitPageCache){ .tag = c->dc_tag, .p = p, .te = c->dc_te, .gen = c->dc_gen,
                                  .idx = (uint16_t)(s - 1) };
    }
    return x86_chain_on(c);
}

/* Out after instruction k (the block's last) with RAX the new RIP in another page, a constant
 * offset from the block's: through the page switch this way out remembers (a JitPageCache
 * after the code) when it still holds (the fetch TLB entry unchanged for this privilege and
 * AC, no decoded page dropped since), straight to the target's handler as x86_chain_on would
 * go; else x86_jit_on_fill. */
static void gen_exit_page(Gen *g, unsigned k)
{
    Em *e = &g->e;
    if (!X86_CHAIN_DIRECT) {
        gen_exit_on(g, k, (const void *)x86_jit_on);
        return;
    }
    uint8_t *lea_cache = e->p;
    e_mem(e, 8, true, "\x8d", 1, H_RDX, H_RBP, -1, 1, 0);     /* lea rdx, [rip + cache] */
    lea_cache[2] = (uint8_t)(0x15);                            /* mod 00, rm 101: RIP-relative */
    e->p = lea_cache + 7;
    e_rr(e, 8, true, "\x8b", 1, H_RCX, H_RAX);                 /* mov rcx, rax */
    e8(e, 0x48);                                                /* and rcx, ~0xfff */
    e8(e, 0x81);
    e8(e, 0xe1);
    e32(e, 0xfffff000u);
    e_load(e, 8, H_R8, H_RDI, OFF(dc_tag));
    e_rr(e, 4, false, "\x81", 1, 4, H_R8);                     /* and r8d, 0xfff */
    e32(e, 0xfff);
    e_rr(e, 8, true, "\x09", 1, H_R8, H_RCX);                  /* or rcx, r8: the tag */
    e_mem(e, 8, true, "\x3b", 1, H_RCX, H_RDX, -1, 1, (int32_t)offsetof(JitPageCache, tag));
    uint8_t *miss[5];
    miss[0] = e_jump(e, 5);                                     /* jne */
    e_load(e, 8, H_R8, H_RDX, (int32_t)offsetof(JitPageCache, te));
    e_mem(e, 8, true, "\x3b", 1, H_RCX, H_R8, -1, 1, (int32_t)offsetof(X86TlbEntry, tag));
    miss[1] = e_jump(e, 5);
    e_load(e, 8, H_R9, H_RDX, (int32_t)offsetof(JitPageCache, p));
    e_load(e, 8, H_R10, H_R8, (int32_t)offsetof(X86TlbEntry, pa));
    e_mem(e, 8, true, "\x3b", 1, H_R10, H_R9, -1, 1, (int32_t)offsetof(X86DecodedPage, pa));
    miss[2] = e_jump(e, 5);
    e_load(e, 4, H_R10, H_RDX, (int32_t)offsetof(JitPageCache, gen));
    e_mem(e, 4, false, "\x3b", 1, H_R10, H_RDI, -1, 1, OFF(dc_gen));
    miss[3] = e_jump(e, 5);
    /* the target: p->insn + idx */
    e_load(e, 2, H_R10, H_RDX, (int32_t)offsetof(JitPageCache, idx));
    e_rr(e, 8, true, "\xc1", 1, 4, H_R10);                     /* shl r10, 6 */
    _Static_assert(sizeof(X86Insn) == 64, "the decoded instruction's size the code scales by");
    e8(e, 6);
    e_load(e, 8, H_RSI, H_R9, (int32_t)offsetof(X86DecodedPage, insn));
    e_rr(e, 8, true, "\x01", 1, H_R10, H_RSI);                 /* add rsi, r10 */
    /* the page switch (x86_dc_remember; AC and so dc_ac unchanged) */
    e_store(e, 8, H_R9, H_RDI, OFF(dc_cur));
    e_store(e, 8, H_R8, H_RDI, OFF(dc_te));
    e_store(e, 8, H_RCX, H_RDI, OFF(dc_tag));
    e_rr(e, 8, true, "\x8b", 1, H_R10, H_RAX);                 /* mov r10, rax */
    e_rr(e, 8, true, "\x81", 1, 4, H_R10);                     /* and r10, ~0xfff */
    e32(e, 0xfffff000u);
    e_store(e, 8, H_R10, H_RDI, OFF(dc_la));
    e_chain_sub(e, k + 1);
    e_store(e, 8, H_RAX, H_RDI, OFF(rip));
    e_store(e, 8, H_RAX, H_RDI, OFF(start_ip));
    e_mem(e, 4, false, "\xff", 1, 4, H_RSI, -1, 1, (int32_t)offsetof(X86Insn, fn));  /* jmp */
    for (unsigned i = 0; i < 4; i++)
        e_patch(miss[i], e->p);
    gen_exit_on(g, k, (const void *)x86_jit_on_fill);
    /* the cache, 8-aligned, empty */
    while ((uintptr_t)e->p & 7)
        e8(e, 0xcc);
    int32_t rel = (int32_t)(e->p - (lea_cache + 7));
    memcpy(lea_cache + 3, &rel, 4);
    memset(e->p, 0, sizeof(JitPageCache));
    e->p += sizeof(JitPageCache);
}

/* Out after instruction k (the block's last) with RAX the new RIP: fn (x86_jit_on, or
 * x86_jit_on_fill with RDX its JitPageCache), as x86_chain_on goes on. */
static void gen_exit_on(Gen *g, unsigned k, const void *fn)
{
    e_chain_sub(&g->e, k);
    e_store(&g->e, 8, H_RAX, H_RDI, OFF(rip));
    e_jump_abs(&g->e, fn);
}

/* out before k unless RAX is canonical (48 bits: LA57 is not advertised) */
static void gen_canonical(Gen *g, unsigned k)
{
    Em *e = &g->e;
    e_rr(e, 8, true, "\x8b", 1, H_RCX, H_RAX);                 /* mov rcx, rax */
    e_rr(e, 8, true, "\xc1", 1, 4, H_RCX);                     /* shl rcx, 16 */
    e8(e, 16);
    e_rr(e, 8, true, "\xc1", 1, 7, H_RCX);                     /* sar rcx, 16 */
    e8(e, 16);
    e_rr(e, 8, true, "\x39", 1, H_RAX, H_RCX);                 /* cmp rcx, rax */
    side_exit_jump(g, k, 5);                                    /* jne */
}

/* CALL rel (the block's last): the target checked, the return address pushed, then on */
static void gen_call(Gen *g, unsigned k)
{
    const JOp *o = &g->ops[k];
    Em *e = &g->e;
    int32_t next = (int32_t)(o->off + o->d->len) - (int32_t)g->ops[0].off;
    int64_t to = (int64_t)o->off + o->d->len + (int64_t)o->d->imm;
    bool in_page = to >= 0 && to < X86_DC_PAGE;
    if (!in_page) {
        e_mem(e, 8, true, "\x8d", 1, H_RAX, H_R11, -1, 1, next + (int32_t)o->d->imm);
        gen_canonical(g, k);
    }
    gen_stack_addr(g, k, -8, X86_ACC_WRITE);
    e_mem(e, 8, true, "\x8d", 1, H_RAX, H_R11, -1, 1, next);  /* lea rax: the return address */
    e_store(e, 8, H_RAX, H_RDX, 0);
    gen_rsp_add(g, -8);
    if (in_page) {
        gen_exit_to(g, k, (unsigned)to, (const void *)x86_jit_taken);
    } else {
        e_mem(e, 8, true, "\x8d", 1, H_RAX, H_R11, -1, 1, next + (int32_t)o->d->imm);
        gen_exit_page(g, k);
    }
}

/* RET (the block's last): the target popped and checked, then on */
static void gen_ret(Gen *g, unsigned k)
{
    Em *e = &g->e;
    gen_stack_addr(g, k, 0, X86_ACC_READ);
    e_load(e, 8, H_RAX, H_RDX, 0);
    gen_canonical(g, k);
    gen_rsp_add(g, 8);
    gen_exit_on(g, k, (const void *)x86_jit_on);
}

static bool jit_owns(const X86Cpu *c, const void *fn)
{
    const uint8_t *p = (const uint8_t *)(uintptr_t)fn;
    return c->jit_buf && p >= c->jit_buf && p < c->jit_buf + c->jit_used;
}

/* A block's code starts with a header: the handler its first instruction had, and whether
 * that one may run with flags pending (the instruction is marked so now: jit_fallback). */
#define JIT_HEADER 16
X86HandlerFn x86_jit_orig(const X86Cpu *c, X86HandlerFn fn)
{
    if (!jit_owns(c, (const void *)fn))
        return fn;
    X86HandlerFn orig;
    memcpy(&orig, (const uint8_t *)(uintptr_t)fn - JIT_HEADER, sizeof orig);
    return orig;
}
/* whether d's own handler may run with flags pending */
static bool orig_lazy(const X86Cpu *c, const X86Insn *d)
{
    if (!jit_owns(c, (const void *)d->fn))
        return d->lazy;
    return ((const uint8_t *)(uintptr_t)d->fn)[-JIT_HEADER + 8];
}
int x86_jit_flushed(X86Cpu *c, const X86Insn *d);
/* d's own handler, the pending flags written first (a handler not marked lazy) */
int x86_jit_flushed(X86Cpu *c, const X86Insn *d)
{
    x86_lf_flush(c);
    return x86_jit_orig(c, d->fn)(c, d);
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
    return !classify(d, &o) || ends_block(&o);
}

bool x86_jit_block(X86Cpu *c, X86DecodedPage *p, unsigned off)
{
    if (c->jit_off || p->bits != 64 || off >= X86_DC_PAGE || !p->slot[off])
        return true;
    X86Insn *head = &p->insn[p->slot[off] - 1];
    if (jit_owns(c, (const void *)head->fn))
        return true;
    /* the run: supported instructions one after the other in the page, up to a branch */
    JOp ops[JIT_MAX_INSNS];
    unsigned n = 0;
    while (n < JIT_MAX_INSNS && off < X86_DC_PAGE && p->slot[off]) {
        unsigned idx = p->slot[off] - 1u;
        const X86Insn *d = &p->insn[idx];
        JOp *o = &ops[n];
        if (!classify(d, o))
            break;
        if ((d->rip_rel && (d->disp > 0x7fff0000 || d->disp < -0x7fff0000)) ||
            ((o->kind == J_CALL || o->kind == J_JCC || o->kind == J_JMP) &&
             ((int64_t)d->imm > 0x7fff0000 || (int64_t)d->imm < -0x7fff0000)))
            break;    /* the offset from the block's RIP must fit 32 bits */
        o->off = off;
        o->idx = idx;
        n++;
        if (ends_block(o))
            break;
        off += d->len;
    }
    if (n < JIT_MIN_INSNS)
        return true;
    /* flag results nobody can see: the next writer comes before any way out (a memory
     * operand's, the block's end) and before any reader that would make them again from the
     * core (one after code that loses the host's flags) */
    for (unsigned k = 0; k < n; k++) {
        if (!writes_flags(&ops[k]))
            continue;
        ops[k].store_flags = true;
        bool host = ops[k].kind == J_ALU || ops[k].kind == J_UNARY;
        for (unsigned j = k + 1; j < n; j++) {
            /* a rotate keeps all but CF and OF, a shift by a CL of 0 all of them */
            if (has_mem(&ops[j]) || ends_block(&ops[j]) || (reads_flags(&ops[j]) && !host) ||
                ops[j].kind == J_ROT || ops[j].kind == J_SHIFTCL)
                break;
            if (writes_flags(&ops[j])) {
                ops[k].store_flags = false;
                break;
            }
            host = host && keeps_host_flags(&ops[j]);
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
    Gen g = { .c = c, .p = p, .ops = ops, .n = n, .lf_op = LF_UNKNOWN, .lf_size = LF_UNKNOWN,
              .writer = -1 };
    uint8_t *start = c->jit_buf + c->jit_used;
    X86HandlerFn orig = x86_jit_orig(c, head->fn);
    bool lazy = orig_lazy(c, head);
    memcpy(start, &orig, sizeof orig);
    memset(start + 8, 0, JIT_HEADER - 8);
    start[8] = lazy;
    g.e.p = start + JIT_HEADER;
    uint8_t *entry = g.e.p;
    Em *e = &g.e;
    /* chain_left: every instruction of the block, and the one after it, may start; else the
     * first one's own handler */
    e_mem(e, 8, true, "\x81", 1, 7, H_RDI, -1, 1, OFF(chain_left));        /* cmp */
    e32(e, n);
    uint8_t *fallback = e_jump(e, 2);                                       /* jb */
    e_load(e, 8, H_R11, H_RDI, OFF(rip));
    uint8_t *taken = NULL;
    for (unsigned k = 0; k < n; k++) {
        const JOp *o = &ops[k];
        if (o->kind == J_JCC) {
            gen_flags_again(&g);
            taken = e_jump(e, (int)o->cc);
        } else if (o->kind == J_JMP) {
            taken = e_jump(e, -1);
        } else if (o->kind == J_CALL) {
            gen_call(&g, k);
        } else if (o->kind == J_RET) {
            gen_ret(&g, k);
        } else if (o->kind == J_CALLOUT) {
            gen_callout(&g, k);
        } else {
            gen_insn(&g, k);
        }
        if (writes_flags(o))
            g.writer = (int)k;
    }
    /* on after the last one: not taken, or the end of the run (CALL and RET went) */
    const JOp *last = &ops[n - 1];
    if (last->kind != J_JMP && last->kind != J_CALL && last->kind != J_RET)
        gen_exit_to(&g, n - 1, last->off + last->d->len, (const void *)x86_jit_next);
    if (taken) {
        e_patch(taken, e->p);
        int64_t to = (int64_t)last->off + last->d->len + (int64_t)last->d->imm;
        if (to >= 0 && to < X86_DC_PAGE) {
            gen_exit_to(&g, n - 1, (unsigned)to, (const void *)x86_jit_taken);
        } else {
            /* another page: the target checked (a non-canonical one is the branch's #GP, its
             * own handler's), then on as after a CALL */
            e_mem(e, 8, true, "\x8d", 1, H_RAX, H_R11, -1, 1,
                  (int32_t)(to - (int64_t)ops[0].off));
            gen_canonical(&g, n - 1);
            gen_exit_page(&g, n - 1);
        }
    }
    for (unsigned k = 0; k < n; k++) {
        if (!g.nside_fix[k])
            continue;
        for (unsigned i = 0; i < g.nside_fix[k]; i++)
            e_patch(g.side_fix[k][i], e->p);
        gen_exit(&g, k, orig_lazy(c, ops[k].d) ? (const void *)x86_jit_orig(c, ops[k].d->fn)
                                                : (const void *)x86_jit_flushed);
    }
    /* the first one's own handler: straight, or with the pending flags written first when it
     * was not marked lazy (the block's first instruction is: the block reads no flags it did
     * not write) */
    e_patch(fallback, e->p);
    e_jump_abs(e, lazy ? (const void *)orig : (const void *)x86_jit_flushed);
    c->jit_used = (size_t)(e->p - c->jit_buf + 15) & ~(size_t)15;
    head->fn = (X86HandlerFn)(uintptr_t)entry;
    head->lazy = 1;
    c->jit_blocks++;
    return true;
}
