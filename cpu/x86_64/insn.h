/* x86-64 decoded instructions: the decoder's output and the handler contract.
 *
 * The decoder (decode.c, from the tables in decode/ through scripts/x86decodegen.py) reads
 * prefixes, REX, the opcode (one-byte map, 0F, 0F38, 0F3A), ModRM, SIB, displacement and
 * immediate, and picks the table entry; the entry names a handler
 * `int x86_op_NAME(X86Cpu *c, const X86Insn *d)` that returns X86_OK, X86_FAULT or X86_STOP
 * (cpu.h). Handlers of ordinary instructions live in exec_*.c; handlers of system
 * instructions (segment loads, far transfers, interrupts, control registers, MSRs, I/O,
 * descriptor tables, SYSCALL/SYSRET, CPUID, HLT, CLI/STI, ...) live in exec_sys.c. The
 * generated code declares every handler weak with a #UD fallback, so a part that is not
 * written yet reads as an undefined instruction, never as a link error. */
#ifndef HVSIM_CPU_X86_64_INSN_H
#define HVSIM_CPU_X86_64_INSN_H
#include <stdbool.h>
#include <stdint.h>
#include "cpu/x86_64/cpu.h"

#define X86_MAX_INSN_BYTES 15

typedef struct X86Insn X86Insn;
typedef int (*X86HandlerFn)(X86Cpu *c, const X86Insn *d);

struct X86Insn {
    X86HandlerFn fn;
    uint16_t op;              /* the table entry (generated enum X86_OP_*) */
    uint8_t len;              /* bytes, prefixes included */
    uint8_t map;              /* 0: one-byte, 1: 0F, 2: 0F38, 3: 0F3A */
    uint8_t opcode;           /* the opcode byte within its map */
    uint8_t opsize;           /* operand size in bytes: 2, 4 or 8 (1 for byte forms) */
    uint8_t addrsize;         /* address size in bytes: 2, 4 or 8 */
    uint8_t seg;              /* segment of the memory operand: override or default */
    uint8_t rep;              /* 0, 0xF2 (REPNE) or 0xF3 (REP/REPE) as last given */
    uint8_t lock;             /* LOCK prefix present */
    uint8_t osize_prefix;     /* 66 present (mandatory-prefix decoding) */
    uint8_t rex;              /* the REX byte, 0 if none */
    uint8_t has_modrm;
    uint8_t mod;              /* ModRM.mod (3: register operand) */
    uint8_t reg;              /* ModRM.reg with REX.R (or the low opcode bits with REX.B for
                               * +r forms) */
    uint8_t rm;               /* ModRM.rm with REX.B when mod == 3 */
    /* memory operand (mod != 3): EA = base + index*scale + disp (+ next RIP if rip_rel),
     * truncated to addrsize */
    uint8_t base;             /* X86_NGPR: none */
    uint8_t index;            /* X86_NGPR: none */
    uint8_t scale;            /* 1, 2, 4, 8 */
    uint8_t rip_rel;
    int64_t disp;
    uint64_t imm;             /* first immediate (sign- or zero-extended as the entry says) */
    union {
        uint64_t imm2;        /* second immediate (ENTER's level, far pointer's selector) */
        /* the decode cache's relative branches (Jcc, JMP rel): 1 + the index in the page
         * of their target when it is in the same page, once looked up (exec.h) */
        uint16_t taken;
    };
    /* VEX (C4/C5): the prefix's fields; d->rex then holds its W, R, X, B as a REX would */
    uint8_t vex;              /* 1: VEX-encoded */
    uint8_t vex_l;            /* VEX.L */
    uint8_t vex_pp;           /* VEX.pp: 0 none, 1 66, 2 F3, 3 F2 */
    uint8_t vvvv;             /* VEX.vvvv: the extra register operand (0-15) */
    /* the decode cache's: the handler may run with lazy flags pending (it neither reads
     * rflags' arithmetic flags nor writes some and not others: exec.h, X86_LF_*) */
    uint8_t lazy;
    uint8_t ea_kind;          /* X86_EA_*: the memory operand's shape when a common one */
    /* the decode cache's link to the instruction that follows in the same page (1 + its
     * index in the page, 0 not looked up yet or none): exec.h's x86_next */
    uint16_t next;
};

/* Decodes the instruction at c->rip. false: c->exc holds the fault (#PF/#GP on fetch, #UD
 * for an undefined encoding, #GP for more than 15 bytes). */
bool x86_decode(X86Cpu *c, X86Insn *d);
/* Runs a decoded instruction: d->fn(c, d). */
static inline int x86_execute(X86Cpu *c, const X86Insn *d) { return d->fn(c, d); }
/* Drops everything the decode cache holds (dcache.h): reset, INIT, snapshot load, or RAM
 * written behind the core's back (tests writing memory directly). */
void x86_decode_flush(X86Cpu *c);
/* Mode, CPL, segments or paging changed: the decode cache keeps its pages (keyed by physical
 * page and code size, the fetch checked on every instruction: dcache.h) and forgets only its
 * shortcut for the current page. */
static inline void x86_decode_mode_changed(X86Cpu *c)
{
    c->dc_la = ~0ull;
    c->chain_run -= c->chain_left;    /* x86_insns_now unchanged */
    c->chain_left = 0;        /* and the chain leaves after this instruction */
}
/* RFLAGS was written whole (POPF, IRET, SYSRET, STAC/CLAC, ...) from old: TF or RF set, or AC
 * changed (part of the soft TLB's tags), and the chain leaves; AC changes the data accesses'
 * fast path's tag. Every write that may change AC, TF or RF calls it. */
static inline void x86_rflags_written(X86Cpu *c, uint64_t old)
{
    if ((old ^ c->rflags) & X86_AC)
        x86_mem_fast_refresh(c);
    if (((old ^ c->rflags) & X86_AC) || (c->rflags & (X86_TF | X86_RF)))
        x86_decode_mode_changed(c);
}

/* Operand helpers for handlers: inline, since nearly every instruction uses them. */
/* Address shapes with a shortcut (64-bit addresses): base + disp; RIP + disp; base +
 * index * scale + disp. */
enum { X86_EA_OTHER, X86_EA_BASE, X86_EA_RIP, X86_EA_INDEX };
/* The memory operand's offset: any shape (decode.c), and the shortcuts inline. */
uint64_t x86_ea_any(const X86Cpu *c, const X86Insn *d);
X86_INLINE uint64_t x86_ea(const X86Cpu *c, const X86Insn *d)
{
    if (likely(d->ea_kind == X86_EA_BASE))
        return c->gpr[d->base] + (uint64_t)d->disp;
    if (d->ea_kind == X86_EA_RIP)
        return c->rip + d->len + (uint64_t)d->disp;
    if (d->ea_kind == X86_EA_INDEX)
        return c->gpr[d->base] + c->gpr[d->index] * d->scale + (uint64_t)d->disp;
    return x86_ea_any(c, d);  /* out of line: the handlers' common shapes stay short */
}
/* Register operand by number and size: 1-byte numbers 4..7 mean AH..BH without REX. */
X86_INLINE uint64_t x86_get_reg(const X86Cpu *c, const X86Insn *d, unsigned r,
                                unsigned size)
{
    switch (size) {
    case 1:
        if (r >= 4 && r < 8 && !(d && d->rex))
            return (c->gpr[r - 4] >> 8) & 0xff;       /* AH, CH, DH, BH */
        return c->gpr[r] & 0xff;
    case 2: return c->gpr[r] & 0xffff;
    case 4: return (uint32_t)c->gpr[r];
    default: return c->gpr[r];
    }
}
X86_INLINE void x86_set_reg(X86Cpu *c, const X86Insn *d, unsigned r, unsigned size,
                            uint64_t v)
{
    switch (size) {
    case 1:
        if (r >= 4 && r < 8 && !(d && d->rex))
            c->gpr[r - 4] = (c->gpr[r - 4] & ~0xff00ull) | ((v & 0xff) << 8);
        else
            c->gpr[r] = (c->gpr[r] & ~0xffull) | (v & 0xff);
        break;
    case 2: c->gpr[r] = (c->gpr[r] & ~0xffffull) | (v & 0xffff); break;
    case 4: c->gpr[r] = (uint32_t)v; break;          /* 32-bit writes zero-extend */
    default: c->gpr[r] = v; break;
    }
}
/* The r/m operand (register or memory) of d at size bytes. */
X86_INLINE bool x86_rm_read(X86Cpu *c, const X86Insn *d, unsigned size, uint64_t *v)
{
    if (d->mod == 3) {
        *v = x86_get_reg(c, d, d->rm, size);
        return true;
    }
    return x86_read(c, d->seg, x86_ea(c, d), size, v);
}
X86_INLINE bool x86_rm_write(X86Cpu *c, const X86Insn *d, unsigned size, uint64_t v)
{
    if (d->mod == 3) {
        x86_set_reg(c, d, d->rm, size, v);
        return true;
    }
    return x86_write(c, d->seg, x86_ea(c, d), size, v);
}
/* The address of the instruction after d. */
X86_INLINE uint64_t x86_next_ip(const X86Cpu *c, const X86Insn *d)
{
    uint64_t ip = c->rip + d->len;
    return c->code_bits == 64 ? ip : (c->code_bits == 32 ? (uint32_t)ip : (uint16_t)ip);
}
/* Stack push and pop at the stack size (stack_bits, or 64 in 64-bit mode), size bytes. */
bool x86_push(X86Cpu *c, unsigned size, uint64_t v);
bool x86_pop(X86Cpu *c, unsigned size, uint64_t *v);
/* Disassembly with Capstone, for traces and the debugger (CpuClass.disas shape: 64-bit
 * code). */
unsigned x86_disas(uint64_t pc, const uint8_t *code, size_t len, char *hex, size_t hexn,
                   char *text, size_t textn);
/* The same for bits-bit code (16, 32 or 64: the core's code_bits). */
unsigned x86_disas_bits(unsigned bits, uint64_t pc, const uint8_t *code, size_t len, char *hex,
                        size_t hexn, char *text, size_t textn);
#endif
