/* x86-64 string instructions: MOVS, CMPS, STOS, LODS, SCAS, alone or with REP / REPE /
 * REPNE (F3 / F2; on MOVS, STOS and LODS either prefix repeats).
 *
 * rSI (in the segment the prefixes give, DS by default) and rDI (always ES) step by the
 * element size, down when DF is set; the address size picks SI/ESI/RSI, DI/EDI/RDI and the
 * count CX/ECX/RCX. A repeated instruction runs at most STRING_CHUNK iterations per call and
 * then returns with RIP still at itself and the registers updated, so the run loop can take
 * an interrupt between chunks (as hardware does between iterations); a fault in an
 * iteration leaves the registers as the iterations before it left them. */
#include "cpu/x86_64/exec.h"

#define STRING_CHUNK 4096

enum { S_MOVS, S_CMPS, S_STOS, S_LODS, S_SCAS };

/* One iteration; false: a fault (c->exc). For CMPS/SCAS *flags gets the comparison's. */
static bool step(X86Cpu *c, const X86Insn *d, unsigned kind, unsigned size)
{
    unsigned as = d->addrsize;
    uint64_t si = x86_get_reg(c, d, X86_RSI, as), di = x86_get_reg(c, d, X86_RDI, as);
    uint64_t a, b;
    uint32_t f;
    switch (kind) {
    case S_MOVS:
        if (!x86_read(c, d->seg, si, size, &a) || !x86_write(c, X86_ES, di, size, a))
            return false;
        break;
    case S_CMPS:
        if (!x86_read(c, d->seg, si, size, &a) || !x86_read(c, X86_ES, di, size, &b))
            return false;
        x86_sub_flags(a, b, 0, size, &f);
        x86_set_flags(c, X86_FLAGS_ARITH, f);
        break;
    case S_STOS:
        if (!x86_write(c, X86_ES, di, size, x86_get_reg(c, d, X86_RAX, size)))
            return false;
        break;
    case S_LODS:
        if (!x86_read(c, d->seg, si, size, &a))
            return false;
        x86_set_reg(c, d, X86_RAX, size, a);
        break;
    default:
        if (!x86_read(c, X86_ES, di, size, &b))
            return false;
        x86_sub_flags(x86_get_reg(c, d, X86_RAX, size), b, 0, size, &f);
        x86_set_flags(c, X86_FLAGS_ARITH, f);
        break;
    }
    uint64_t delta = c->rflags & X86_DF ? -(uint64_t)size : size;
    if (kind == S_MOVS || kind == S_CMPS || kind == S_LODS)
        x86_set_reg(c, d, X86_RSI, as, si + delta);
    if (kind != S_LODS)
        x86_set_reg(c, d, X86_RDI, as, di + delta);
    return true;
}

/* A4-AF (the string opcodes): even = bytes, odd = the operand size */
int x86_op_string(X86Cpu *c, const X86Insn *d)
{
    static const uint8_t kinds[12] = { S_MOVS, S_MOVS, S_CMPS, S_CMPS, 0xff, 0xff,
                                       S_STOS, S_STOS, S_LODS, S_LODS, S_SCAS, S_SCAS };
    unsigned kind = kinds[d->opcode - 0xa4];
    unsigned size = d->opcode & 1 ? d->opsize : 1;
    if (!d->rep) {
        if (!step(c, d, kind, size))
            return X86_FAULT;
        return x86_retire(c, d);
    }
    unsigned as = d->addrsize;
    bool compare = kind == S_CMPS || kind == S_SCAS;
    for (unsigned i = 0; i < STRING_CHUNK; i++) {
        uint64_t n = x86_get_reg(c, d, X86_RCX, as);
        if (!n)
            return x86_retire(c, d);
        if (!step(c, d, kind, size))
            return X86_FAULT;
        x86_set_reg(c, d, X86_RCX, as, n - 1);
        if (compare && !(c->rflags & X86_ZF) == (d->rep == 0xf3))
            return x86_retire(c, d);        /* REPE stops on a difference, REPNE on a match */
    }
    if (!x86_get_reg(c, d, X86_RCX, as))
        return x86_retire(c, d);
    return X86_OK;                          /* more to do: RIP stays at the instruction */
}
