/* Branches (Arm ARM C4.1.65: "Branches, Exception Generating and System instructions").
 * Targets are precomputed as offsets from the instruction's PC in d->imm, and as a slot
 * offset in d->rel when they are in the same page (a64_branch_direct). */
#include "cpu/arm64/cpu.h"
#include "cpu/arm64/alu.h"
#include "cpu/arm64/sysreg.h"
#include "a64_decode_gen.h"

A64_EXEC(exec_B)
{
    return a64_branch_direct(c, d);
}

A64_EXEC(exec_BL)
{
    c->x[30] = a64_pc(c, d) + 4;
    return a64_branch_direct(c, d);
}

bool a64_prep_B(A64Insn *d, const A64Args *a)
{
    d->imm = a->imm * 4;
    d->fn = exec_B;
    return true;
}

bool a64_prep_BL(A64Insn *d, const A64Args *a)
{
    d->imm = a->imm * 4;
    d->fn = exec_BL;
    return true;
}

A64_EXEC(exec_CBZ64)
{
    return c->x[d->rn] == 0 ? a64_branch_direct(c, d) : d + 1;
}
A64_EXEC(exec_CBNZ64)
{
    return c->x[d->rn] != 0 ? a64_branch_direct(c, d) : d + 1;
}
A64_EXEC(exec_CBZ32)
{
    return (uint32_t)c->x[d->rn] == 0 ? a64_branch_direct(c, d) : d + 1;
}
A64_EXEC(exec_CBNZ32)
{
    return (uint32_t)c->x[d->rn] != 0 ? a64_branch_direct(c, d) : d + 1;
}

bool a64_prep_CBZ(A64Insn *d, const A64Args *a)
{
    d->rn = a64_rreg((uint32_t)a->rt);
    d->imm = a->imm * 4;
    d->fn = a->sf ? exec_CBZ64 : exec_CBZ32;
    return true;
}

bool a64_prep_CBNZ(A64Insn *d, const A64Args *a)
{
    d->rn = a64_rreg((uint32_t)a->rt);
    d->imm = a->imm * 4;
    d->fn = a->sf ? exec_CBNZ64 : exec_CBNZ32;
    return true;
}

A64_EXEC(exec_TBZ)
{
    return !((c->x[d->rn] >> d->u8a) & 1) ? a64_branch_direct(c, d) : d + 1;
}
A64_EXEC(exec_TBNZ)
{
    return ((c->x[d->rn] >> d->u8a) & 1) ? a64_branch_direct(c, d) : d + 1;
}

bool a64_prep_TBZ(A64Insn *d, const A64Args *a)
{
    d->rn = a64_rreg((uint32_t)a->rt);
    d->u8a = (uint8_t)((a->b5 << 5) | a->b40);
    d->imm = a->imm * 4;
    d->fn = exec_TBZ;
    return true;
}

bool a64_prep_TBNZ(A64Insn *d, const A64Args *a)
{
    a64_prep_TBZ(d, a);
    d->fn = exec_TBNZ;
    return true;
}

/* B.cond: one executor per condition, each testing the flags it names -- the commonest
 * conditional instruction, so no truth-table lookup. */
#define DEF_BCOND(NAME, HOLDS)                                                  \
    A64_EXEC(exec_B_##NAME)                                                     \
    {                                                                           \
        return (HOLDS) ? a64_branch_direct(c, d) : d + 1;                       \
    }
A64_CONDS(DEF_BCOND)

#define BCOND_FN(NAME, HOLDS) exec_B_##NAME,
static const A64ExecFn bcond_fns[16] = { A64_CONDS(BCOND_FN) exec_B_AL };

bool a64_prep_B_cond(A64Insn *d, const A64Args *a)
{
    d->u8a = (uint8_t)a->cond;
    d->imm = a->imm * 4;
    d->fn = bcond_fns[a->cond & 15];
    return true;
}

A64_EXEC(exec_BR)
{
    return a64_branch(c, d, c->x[d->rn]);
}

A64_EXEC(exec_BLR)
{
    uint64_t target = c->x[d->rn];   /* read before the link write: BLR X30 */
    c->x[30] = a64_pc(c, d) + 4;
    return a64_branch(c, d, target);
}

bool a64_prep_BR(A64Insn *d, const A64Args *a)
{
    d->rn = a64_rreg((uint32_t)a->rn);
    d->fn = exec_BR;
    return true;
}

bool a64_prep_BLR(A64Insn *d, const A64Args *a)
{
    d->rn = a64_rreg((uint32_t)a->rn);
    d->fn = exec_BLR;
    return true;
}

bool a64_prep_RET(A64Insn *d, const A64Args *a)
{
    return a64_prep_BR(d, a);
}

A64_EXEC(exec_ERET)
{
    /* C6.2.93: UNDEFINED at EL0; returns to SPSR_ELx / ELR_ELx of the current EL. */
    if (c->el == 0)
        return a64_undefined(c, d);
    uint64_t spsr = c->sys[c->el == 2 ? A64_SYS_SPSR_EL2 : A64_SYS_SPSR_EL1];
    uint64_t elr = c->sys[c->el == 2 ? A64_SYS_ELR_EL2 : A64_SYS_ELR_EL1];
    a64_exception_return(c, spsr, elr);
    return NULL;
}

bool a64_prep_ERET(A64Insn *d, const A64Args *a)
{
    (void)a;
    d->fn = exec_ERET;
    return true;
}
