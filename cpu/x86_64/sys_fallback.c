/* TEMPORARY weak stand-ins for the system part's memory and exception functions (cpu.h),
 * so the decoder and the ordinary instructions link and can be tested before the system part
 * (cpu.c, mem.c, exception.c) is merged. Flat model: linear = segment base + offset, no
 * paging, physical = linear, RAM only, anything else #GP(0). The system part's strong
 * definitions replace every one of these; delete this file once they are in. */
#include <string.h>
#include "cpu/x86_64/cpu.h"

#define WEAK __attribute__((weak))

WEAK void x86_raise(X86Cpu *c, int vector, bool has_error, uint32_t error_code)
{
    if (c->exc.vector >= 0)
        return;
    c->exc.vector = vector;
    c->exc.has_error = has_error;
    c->exc.error_code = error_code;
}

WEAK void x86_update_mode(X86Cpu *c)
{
    bool lma = c->efer & X86_EFER_LMA;
    if (!(c->cr0 & X86_CR0_PE))
        c->code_bits = 16;
    else if (lma && (c->seg[X86_CS].attr & X86_SEG_ATTR_L))
        c->code_bits = 64;
    else
        c->code_bits = c->seg[X86_CS].attr & X86_SEG_ATTR_DB ? 32 : 16;
    c->stack_bits = c->code_bits == 64 ? 64 : (c->seg[X86_SS].attr & X86_SEG_ATTR_DB ? 32 : 16);
    c->cpl = (c->cr0 & X86_CR0_PE) ? (c->seg[X86_CS].attr >> 5) & 3 : 0;
}

static uint8_t *flat(X86Cpu *c, int seg, uint64_t off, unsigned size)
{
    uint64_t la = off + (c->code_bits == 64 && seg < X86_FS ? 0 : c->seg[seg].base);
    Machine *m = c->m;
    if (la < m->ram_base || la - m->ram_base > m->ram_size - size)
        return NULL;
    return m->ram + (la - m->ram_base);
}

WEAK bool x86_read(X86Cpu *c, int seg, uint64_t off, unsigned size, uint64_t *val)
{
    uint8_t *p = flat(c, seg, off, size);
    if (!p)
        return x86_fault(c, X86_GP, 0, true);
    uint64_t v = 0;
    memcpy(&v, p, size);
    *val = v;
    return true;
}

WEAK bool x86_read_rmw(X86Cpu *c, int seg, uint64_t off, unsigned size, uint64_t *val)
{
    return x86_read(c, seg, off, size, val);
}

WEAK bool x86_write(X86Cpu *c, int seg, uint64_t off, unsigned size, uint64_t val)
{
    uint8_t *p = flat(c, seg, off, size);
    if (!p)
        return x86_fault(c, X86_GP, 0, true);
    memcpy(p, &val, size);
    machine_ram_written(c->m, (uint64_t)(p - c->m->ram) + c->m->ram_base, size);
    return true;
}

WEAK unsigned x86_fetch(X86Cpu *c, uint64_t rip, uint8_t *buf, unsigned max)
{
    unsigned n = 0;
    for (; n < max; n++) {
        uint8_t *p = flat(c, X86_CS, rip + n, 1);
        if (!p)
            break;
        buf[n] = *p;
    }
    return n;
}

WEAK void x86_fetch_fault(X86Cpu *c, uint64_t rip)
{
    (void)rip;
    x86_raise(c, X86_GP, true, 0);
}
