/* x86-64 stack instructions: PUSH/POP (registers, r/m, immediates), PUSHA/POPA of the
 * legacy modes, ENTER and LEAVE. Stack width: 64 in 64-bit mode, else SS.B (x86_push). */
#include "cpu/x86_64/exec.h"

/* 50+r: PUSH RSP pushes the value before the push */
int x86_op_push_r(X86Cpu *c, const X86Insn *d)
{
    if (!x86_push(c, d->opsize, x86_get_reg(c, d, d->reg, d->opsize)))
        return X86_FAULT;
    return x86_retire(c, d);
}

/* 58+r: POP RSP leaves the popped value in RSP */
int x86_op_pop_r(X86Cpu *c, const X86Insn *d)
{
    uint64_t v;
    if (!x86_pop(c, d->opsize, &v))
        return X86_FAULT;
    x86_set_reg(c, d, d->reg, d->opsize, v);
    return x86_retire(c, d);
}

/* 68, 6A: the immediate sign-extended to the operand size */
int x86_op_push_imm(X86Cpu *c, const X86Insn *d)
{
    if (!x86_push(c, d->opsize, d->imm & x86_mask(d->opsize)))
        return X86_FAULT;
    return x86_retire(c, d);
}

/* FF /6 */
int x86_op_push_ev(X86Cpu *c, const X86Insn *d)
{
    uint64_t v;
    if (!x86_rm_read(c, d, d->opsize, &v) || !x86_push(c, d->opsize, v))
        return X86_FAULT;
    return x86_retire(c, d);
}

/* 8F /0: a memory destination's address is computed with RSP already incremented (SDM
 * POP); if the store faults, RSP goes back. */
int x86_op_pop_ev(X86Cpu *c, const X86Insn *d)
{
    uint64_t v, sp = c->gpr[X86_RSP];
    if (!x86_pop(c, d->opsize, &v))
        return X86_FAULT;
    if (!x86_rm_write(c, d, d->opsize, v)) {
        c->gpr[X86_RSP] = sp;
        return X86_FAULT;
    }
    return x86_retire(c, d);
}

/* 60: PUSHA/PUSHAD (legacy modes): AX CX DX BX, the original SP, BP SI DI */
int x86_op_pusha(X86Cpu *c, const X86Insn *d)
{
    uint64_t sp = c->gpr[X86_RSP];
    for (unsigned r = X86_RAX; r <= X86_RDI; r++) {
        uint64_t v = r == X86_RSP ? sp : c->gpr[r];
        if (!x86_push(c, d->opsize, v & x86_mask(d->opsize))) {
            c->gpr[X86_RSP] = sp;
            return X86_FAULT;
        }
    }
    return x86_retire(c, d);
}

/* 61: POPA/POPAD: DI SI BP (skipped: SP) BX DX CX AX */
int x86_op_popa(X86Cpu *c, const X86Insn *d)
{
    uint64_t sp = c->gpr[X86_RSP], v[8];
    for (int r = X86_RDI; r >= X86_RAX; r--) {
        if (!x86_pop(c, d->opsize, &v[r])) {
            c->gpr[X86_RSP] = sp;
            return X86_FAULT;
        }
    }
    for (unsigned r = X86_RAX; r <= X86_RDI; r++)
        if (r != X86_RSP)
            x86_set_reg(c, d, r, d->opsize, v[r]);
    return x86_retire(c, d);
}

/* C8 iw ib: ENTER size, level (level mod 32) */
int x86_op_enter(X86Cpu *c, const X86Insn *d)
{
    unsigned size = d->opsize, level = d->imm2 & 31;
    unsigned sbytes = c->code_bits == 64 ? 8 : c->stack_bits / 8;
    uint64_t sp0 = c->gpr[X86_RSP], bp0 = c->gpr[X86_RBP];
    if (!x86_push(c, size, bp0 & x86_mask(size)))
        return X86_FAULT;
    uint64_t frame = x86_trunc(c->gpr[X86_RSP], sbytes);
    if (level) {
        uint64_t bp = bp0;
        for (unsigned i = 1; i < level; i++) {
            uint64_t v;
            bp = x86_trunc(bp - size, sbytes);
            if (!x86_read(c, X86_SS, bp, size, &v) || !x86_push(c, size, v))
                goto fault;
        }
        if (!x86_push(c, size, frame))
            goto fault;
    }
    x86_set_reg(c, d, X86_RBP, size == 2 ? 2 : sbytes, frame);
    uint64_t sp = x86_trunc(c->gpr[X86_RSP] - (d->imm & 0xffff), sbytes);
    x86_set_reg(c, d, X86_RSP, sbytes, sp);
    return x86_retire(c, d);
fault:
    c->gpr[X86_RSP] = sp0;
    return X86_FAULT;
}

/* C9: rSP = rBP; pop rBP */
int x86_op_leave(X86Cpu *c, const X86Insn *d)
{
    unsigned sbytes = c->code_bits == 64 ? 8 : c->stack_bits / 8;
    uint64_t sp0 = c->gpr[X86_RSP], v;
    x86_set_reg(c, d, X86_RSP, sbytes, c->gpr[X86_RBP]);
    if (!x86_pop(c, d->opsize, &v)) {
        c->gpr[X86_RSP] = sp0;
        return X86_FAULT;
    }
    x86_set_reg(c, d, X86_RBP, d->opsize, v);
    return x86_retire(c, d);
}

/* ---- specialised handlers (dcache.c's selectors in x86_decode_slow): PUSH and POP of a
 * register, PUSH of an immediate, in 64-bit code (the only code where their operand size is
 * 8: the stack is RSP itself, SS's base 0) ---- */
static int push_r_8(X86Cpu *restrict c, const X86Insn *restrict d)
{
    return x86_push64(c, c->gpr[d->reg]) ? x86_next(c, d) : X86_FAULT;
}

static int pop_r_8(X86Cpu *restrict c, const X86Insn *restrict d)
{
    uint64_t v, sp = c->gpr[X86_RSP];
    if (!x86_read(c, X86_SS, sp, 8, &v))
        return X86_FAULT;
    c->gpr[X86_RSP] = sp + 8;
    c->gpr[d->reg] = v;       /* POP RSP: the value read */
    return x86_next(c, d);
}

static int push_imm_8(X86Cpu *restrict c, const X86Insn *restrict d)
{
    return x86_push64(c, d->imm) ? x86_next(c, d) : X86_FAULT;
}

X86HandlerFn x86_fast_stack(X86Insn *d, bool *lazy)
{
    *lazy = true;             /* no flag touched */
    if (d->opsize != 8)
        return NULL;
    if (d->fn == x86_op_push_r)
        return push_r_8;
    if (d->fn == x86_op_pop_r)
        return pop_r_8;
    if (d->fn == x86_op_push_imm)
        return push_imm_8;
    return NULL;
}
