/* x86-64 string instructions: MOVS, CMPS, STOS, LODS, SCAS, alone or with REP / REPE /
 * REPNE (F3 / F2; on MOVS, STOS and LODS either prefix repeats).
 *
 * rSI (in the segment the prefixes give, DS by default) and rDI (always ES) step by the
 * element size, down when DF is set; the address size picks SI/ESI/RSI, DI/EDI/RDI and the
 * count CX/ECX/RCX. A repeated instruction runs at most STRING_CHUNK iterations per call and
 * then returns with RIP still at itself and the registers updated, so the run loop can take
 * an interrupt between chunks (as hardware does between iterations); a fault in an
 * iteration leaves the registers as the iterations before it left them. */
#include <string.h>
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

/* Up to max iterations of REP MOVS or REP STOS with 64-bit addresses and DF clear, as step()
 * would run them one by one, while source and destination stay in RAM pages the soft TLB
 * holds for the fast path (x86_ram_fast: no watchpoint, subscriber, device or decoded code
 * there): the iterations done, 0 when the first cannot go this way. */
static uint64_t bulk(X86Cpu *c, const X86Insn *d, unsigned kind, unsigned size, uint64_t max)
{
    uint64_t di = c->gpr[X86_RDI], si = c->gpr[X86_RSI], pa, k = max;
    uint64_t room = (4096 - (di & 0xfff)) / size;     /* ES's base is 0 in 64-bit code */
    const uint8_t *hs = NULL;
    if (kind == S_MOVS) {
        uint64_t la = si + (d->seg >= X86_FS ? c->seg[d->seg].base : 0);
        uint64_t src_room = (4096 - (la & 0xfff)) / size;
        hs = x86_ram_fast(c, d->seg, si, size, X86_ACC_READ, &pa);
        if (!hs || !src_room)
            return 0;
        room = room < src_room ? room : src_room;
    }
    uint8_t *hd = x86_ram_fast(c, X86_ES, di, size, X86_ACC_WRITE, &pa);
    if (!hd || !room || !x86_ram_store_ok(c, pa))
        return 0;
    k = k < room ? k : room;
    if (kind == S_STOS) {
        uint64_t v = c->gpr[X86_RAX];
        if (size == 1)
            memset(hd, (int)(v & 0xff), k);
        else
            for (uint64_t j = 0; j < k; j++)
                x86_ram_put(hd + j * size, size, v);
    } else {
        if (hd >= hs + k * size || hs >= hd + k * size)
            memcpy(hd, hs, k * size);
        else
            for (uint64_t j = 0; j < k; j++)   /* overlapping: element by element, forward */
                x86_ram_put(hd + j * size, size, x86_ram_load(hs + j * size, size));
        c->gpr[X86_RSI] = si + k * size;
    }
    c->gpr[X86_RDI] = di + k * size;
    c->gpr[X86_RCX] -= k;
    return k;
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
    bool fast = (kind == S_MOVS || kind == S_STOS) && as == 8 && !(c->rflags & X86_DF);
    for (unsigned i = 0; i < STRING_CHUNK; i++) {
        uint64_t n = x86_get_reg(c, d, X86_RCX, as);
        if (!n)
            return x86_retire(c, d);
        if (fast) {
            uint64_t k = bulk(c, d, kind, size, n < STRING_CHUNK - i ? n : STRING_CHUNK - i);
            if (k) {
                i += (unsigned)k - 1;
                continue;
            }
        }
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
