/* x86-64 near control transfers: Jcc, JMP, CALL, RET (with an immediate), LOOP/LOOPE/
 * LOOPNE, JrCXZ. In 64-bit mode near branches are always 64-bit (Intel's behaviour: a 66
 * prefix does not shorten them) and a non-canonical target is #GP(0) at the branch; outside
 * it the target is truncated to the operand size. */
#include "cpu/x86_64/exec.h"

static uint64_t rel_target(const X86Cpu *c, const X86Insn *d)
{
    return x86_next_ip(c, d) + d->imm;
}

/* 70-7F, 0F 80-8F */
int x86_op_jcc(X86Cpu *c, const X86Insn *d)
{
    if (x86_cond_now(c, d->opcode & 15))
        return x86_branch(c, rel_target(c, d), d->opsize);
    return x86_retire(c, d);
}

/* EB, E9 */
int x86_op_jmp(X86Cpu *c, const X86Insn *d)
{
    return x86_branch(c, rel_target(c, d), d->opsize);
}

/* FF /4 */
int x86_op_jmp_ev(X86Cpu *c, const X86Insn *d)
{
    uint64_t t;
    if (!x86_rm_read(c, d, d->opsize, &t))
        return X86_FAULT;
    return x86_branch(c, t, d->opsize);
}

/* Pushes the return address, then branches; a bad target pushes nothing. */
static int call_to(X86Cpu *c, const X86Insn *d, uint64_t target)
{
    uint64_t ret = x86_next_ip(c, d), sp = c->gpr[X86_RSP], rip = c->rip;
    if (!x86_push(c, d->opsize, ret & x86_mask(d->opsize)))
        return X86_FAULT;
    if (x86_branch(c, target, d->opsize) != X86_OK) {
        c->gpr[X86_RSP] = sp;
        c->rip = rip;
        return X86_FAULT;
    }
    return X86_OK;
}

/* E8 */
int x86_op_call(X86Cpu *c, const X86Insn *d)
{
    return call_to(c, d, rel_target(c, d));
}

/* FF /2 */
int x86_op_call_ev(X86Cpu *c, const X86Insn *d)
{
    uint64_t t;
    if (!x86_rm_read(c, d, d->opsize, &t))
        return X86_FAULT;
    return call_to(c, d, t);
}

/* C3, C2 iw: pop the return address, then release iw more bytes */
int x86_op_ret(X86Cpu *c, const X86Insn *d)
{
    uint64_t t, sp = c->gpr[X86_RSP];
    if (!x86_pop(c, d->opsize, &t))
        return X86_FAULT;
    if (x86_branch(c, t, d->opsize) != X86_OK) {
        c->gpr[X86_RSP] = sp;
        return X86_FAULT;
    }
    if (d->opcode == 0xc2) {
        unsigned sbytes = c->code_bits == 64 ? 8 : c->stack_bits / 8;
        x86_set_reg(c, d, X86_RSP, sbytes, c->gpr[X86_RSP] + (d->imm & 0xffff));
    }
    return X86_OK;
}

/* E0 LOOPNE, E1 LOOPE, E2 LOOP, E3 JrCXZ: the count register is CX, ECX or RCX by the
 * address size */
int x86_op_loop(X86Cpu *c, const X86Insn *d)
{
    unsigned as = d->addrsize;
    uint64_t n = x86_get_reg(c, d, X86_RCX, as);
    bool take;
    if (d->opcode == 0xe3) {
        take = n == 0;
    } else {
        n = x86_trunc(n - 1, as);
        take = n != 0;
        if (d->opcode == 0xe0)
            take = take && !(c->rflags & X86_ZF);
        else if (d->opcode == 0xe1)
            take = take && (c->rflags & X86_ZF);
    }
    if (take) {
        uint64_t saved = c->gpr[X86_RCX];
        if (d->opcode != 0xe3)
            x86_set_reg(c, d, X86_RCX, as, n);
        if (x86_branch(c, rel_target(c, d), d->opsize) != X86_OK) {
            c->gpr[X86_RCX] = saved;
            return X86_FAULT;
        }
        return X86_OK;
    }
    if (d->opcode != 0xe3)
        x86_set_reg(c, d, X86_RCX, as, n);
    return x86_retire(c, d);
}

/* ---- specialised handlers (dcache.c's selectors in x86_decode_slow): Jcc with its
 * condition fixed ---- */
int x86_branch_rel_taken(X86Cpu *c, const X86Insn *d)
{
    if (x86_branch(c, rel_target(c, d), d->opsize) != X86_OK)
        return X86_FAULT;
    return c->chain_left ? x86_chain_link(c, d, true) : X86_OK;
}

#define JCC_FAST(CC)                                                                          \
    static int jcc_##CC(X86Cpu *restrict c, const X86Insn *restrict d)                        \
    {                                                                                         \
        if (x86_cond_now(c, CC))                                                              \
            return x86_taken(c, d);                                                           \
        return x86_next(c, d);                                                                \
    }
JCC_FAST(0) JCC_FAST(1) JCC_FAST(2) JCC_FAST(3) JCC_FAST(4) JCC_FAST(5) JCC_FAST(6)
JCC_FAST(7) JCC_FAST(8) JCC_FAST(9) JCC_FAST(10) JCC_FAST(11) JCC_FAST(12) JCC_FAST(13)
JCC_FAST(14) JCC_FAST(15)

/* EB, E9: JMP rel */
static int jmp_rel(X86Cpu *restrict c, const X86Insn *restrict d)
{
    return x86_taken(c, d);
}

/* E8 and C3 in 64-bit code (the only code where their operand size is 8); their targets
 * are checked as x86_branch checks them */
static int call_rel_8(X86Cpu *restrict c, const X86Insn *restrict d)
{
    uint64_t ret = c->rip + d->len;
    if (unlikely(!x86_canonical(ret + d->imm, false)))
        return x86_op_call(c, d);     /* #GP(0), nothing pushed */
    return x86_push64(c, ret) ? x86_taken(c, d) : X86_FAULT;
}
static int ret_8(X86Cpu *restrict c, const X86Insn *restrict d)
{
    uint64_t t, sp = c->gpr[X86_RSP];
    if (!x86_read(c, X86_SS, sp, 8, &t))
        return X86_FAULT;
    if (unlikely(!x86_canonical(t, false)))
        return x86_op_ret(c, d);      /* #GP(0), RSP as it was */
    c->gpr[X86_RSP] = sp + 8;
    c->rip = t;
    return x86_chain_on(c);
}

X86HandlerFn x86_fast_branch(X86Insn *d, bool *lazy)
{
    static const X86HandlerFn jcc[16] = {
        jcc_0, jcc_1, jcc_2, jcc_3, jcc_4, jcc_5, jcc_6, jcc_7,
        jcc_8, jcc_9, jcc_10, jcc_11, jcc_12, jcc_13, jcc_14, jcc_15,
    };
    *lazy = true;             /* none writes a flag; a Jcc reads them pending or not */
    if (d->fn == x86_op_jmp)
        return jmp_rel;
    if (d->fn == x86_op_call && d->opsize == 8)
        return call_rel_8;
    if (d->fn == x86_op_ret && d->opcode == 0xc3 && d->opsize == 8)
        return ret_8;
    return d->fn == x86_op_jcc ? jcc[d->opcode & 15] : NULL;
}
