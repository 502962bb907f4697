/* Helpers shared by the SSE handlers (exec_sse.c, exec_ssefp.c, exec_sse4.c): the XMM
 * register as lanes, the mandatory prefix, the SSE state checks and 16-byte operands. */
#ifndef HVSIM_CPU_X86_64_SSE_H
#define HVSIM_CPU_X86_64_SSE_H
#include <string.h>
#include "cpu/x86_64/exec.h"

typedef union Xmm {
    uint8_t b[16];
    int8_t sb[16];
    uint16_t w[8];
    int16_t sw[8];
    uint32_t d[4];
    int32_t sd[4];
    uint64_t q[2];
    int64_t sq[2];
} Xmm;

/* The mandatory prefix, as the decoder chose the form: F3/F2 outrank 66. */
static inline unsigned mp(const X86Insn *d)
{
    return d->rep ? d->rep : d->osize_prefix ? 0x66 : 0;
}

/* SDM vol. 3 §13.1: CR0.EM or a clear CR4.OSFXSR is #UD, CR0.TS is #NM. */
static inline int sse_check(X86Cpu *c)
{
    if ((c->cr0 & X86_CR0_EM) || !(c->cr4 & X86_CR4_OSFXSR))
        return x86_ud(c);
    if (c->cr0 & X86_CR0_TS) {
        x86_raise(c, X86_NM, false, 0);
        return X86_FAULT;
    }
    return X86_OK;
}
#define SSE_CHECK(c) do { int r_ = sse_check(c); if (r_ != X86_OK) return r_; } while (0)

static inline void get_x(const X86Cpu *c, unsigned r, Xmm *x)
{
    memcpy(x, c->xmm[r], 16);
}
static inline void set_x(X86Cpu *c, unsigned r, const Xmm *x)
{
    memcpy(c->xmm[r], x, 16);
}

/* The r/m operand as 16 bytes (XMM register or m128; #GP(0) if aligned is asked and the
 * address is not 16-byte aligned). */
static inline bool read_rm128(X86Cpu *c, const X86Insn *d, Xmm *x, bool aligned)
{
    if (d->mod == 3) {
        get_x(c, d->rm, x);
        return true;
    }
    uint64_t ea = x86_ea(c, d);
    if (aligned && (ea & 15))
        return x86_fault(c, X86_GP, 0, true);
    return x86_read16(c, d->seg, ea, x);
}

static inline bool write_rm128(X86Cpu *c, const X86Insn *d, const Xmm *x, bool aligned)
{
    if (d->mod == 3) {
        set_x(c, d->rm, x);
        return true;
    }
    uint64_t ea = x86_ea(c, d);
    if (aligned && (ea & 15))
        return x86_fault(c, X86_GP, 0, true);
    return x86_write16(c, d->seg, ea, x);
}

/* The r/m operand's low n bytes (n < 16; memory reads exactly n bytes), zero-extended. */
static inline bool read_rm_low(X86Cpu *c, const X86Insn *d, unsigned n, Xmm *x)
{
    memset(x, 0, sizeof *x);
    if (d->mod == 3) {
        get_x(c, d->rm, x);
        return true;
    }
    return x86_read(c, d->seg, x86_ea(c, d), n, &x->q[0]);
}
/* MMX registers (exec_mmx.c): the checks and x87-to-MMX transition of an MMX access, and
 * MMn's value. */
int mmx_enter(X86Cpu *c);
uint64_t mmx_get(const X86Cpu *c, unsigned r);
void mmx_set(X86Cpu *c, unsigned r, uint64_t v);
void mmx_touch(X86Cpu *c);
/* The lane operations the MMX forms share (exec_sse.c, exec_sse4.c). */
bool sse_int_op(unsigned op, Xmm *r, const Xmm *a, const Xmm *b);
bool sse_38_op(unsigned op, Xmm *r, const Xmm *a, const Xmm *b, const Xmm *x0);
#endif
