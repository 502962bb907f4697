/* Helpers shared by the x86-64 instruction handlers (exec_*.c): operand sizes, RFLAGS
 * arithmetic (SDM vol. 1 §3.4.3, appendix A), condition codes, retiring.
 *
 * RFLAGS is kept materialised in c->rflags: every handler computes the flags it defines.
 * Where the SDM leaves a flag undefined, the handlers do what QEMU's TCG does (so the
 * differential tester can compare more), and say so where it happens: AF is 0 after logic
 * operations and shifts; SF, ZF and PF after MUL/IMUL come from the low half of the result. */
#ifndef HVSIM_CPU_X86_64_EXEC_H
#define HVSIM_CPU_X86_64_EXEC_H
#include "cpu/x86_64/insn.h"

/* Specialised handlers for the decode cache (dcache.c): for an instruction of a common shape,
 * a handler with its operation, size or condition fixed and the same semantics as d->fn;
 * NULL otherwise. */
X86HandlerFn x86_fast_alu(const X86Insn *d);      /* exec_alu.c */
X86HandlerFn x86_fast_jcc(const X86Insn *d);      /* exec_branch.c */
X86HandlerFn x86_fast_mov(const X86Insn *d);      /* exec_mov.c */
X86HandlerFn x86_fast_mul(const X86Insn *d);      /* exec_muldiv.c */

static inline uint64_t x86_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}
static inline uint64_t x86_sign_bit(unsigned size)
{
    return 1ull << (8 * size - 1);
}
static inline int64_t x86_sext(uint64_t v, unsigned size)
{
    unsigned sh = 64 - 8 * size;
    return (int64_t)(v << sh) >> sh;
}

/* SF, ZF and PF of a result of `size` bytes. */
static inline uint32_t x86_szp(uint64_t r, unsigned size)
{
    uint32_t f = 0;
    r &= x86_mask(size);
    if (!r)
        f |= X86_ZF;
    if (r & x86_sign_bit(size))
        f |= X86_SF;
    if (!__builtin_parity((unsigned)(r & 0xff)))
        f |= X86_PF;
    return f;
}

/* Replaces the flags in `which` by those of f. */
static inline void x86_set_flags(X86Cpu *c, uint32_t which, uint32_t f)
{
    c->rflags = (c->rflags & ~(uint64_t)which) | (f & which);
}

/* a + b + cin at size bytes; *f gets CF PF AF ZF SF OF. */
static inline uint64_t x86_add_flags(uint64_t a, uint64_t b, unsigned cin, unsigned size,
                                     uint32_t *f)
{
    uint64_t m = x86_mask(size);
    a &= m;
    b &= m;
    uint64_t r = (a + b + cin) & m;
    uint32_t fl = x86_szp(r, size);
    if (r < a || (cin && r == a))
        fl |= X86_CF;
    if ((a ^ r) & (b ^ r) & x86_sign_bit(size))
        fl |= X86_OF;
    if ((a ^ b ^ r) & 0x10)
        fl |= X86_AF;
    *f = fl;
    return r;
}

/* a - b - bin at size bytes. */
static inline uint64_t x86_sub_flags(uint64_t a, uint64_t b, unsigned bin, unsigned size,
                                     uint32_t *f)
{
    uint64_t m = x86_mask(size);
    a &= m;
    b &= m;
    uint64_t r = (a - b - bin) & m;
    uint32_t fl = x86_szp(r, size);
    if (a < b || (bin && a == b))
        fl |= X86_CF;
    if ((a ^ b) & (a ^ r) & x86_sign_bit(size))
        fl |= X86_OF;
    if ((a ^ b ^ r) & 0x10)
        fl |= X86_AF;
    *f = fl;
    return r;
}

/* Flags of a logic result: CF = OF = 0, AF = 0 (undefined; QEMU and Intel give 0). */
static inline uint32_t x86_logic_flags(uint64_t r, unsigned size)
{
    return x86_szp(r, size);
}

/* Condition code cc (the low nibble of Jcc/SETcc/CMOVcc). */
static inline bool x86_cond(const X86Cpu *c, unsigned cc)
{
    uint64_t f = c->rflags;
    bool r;
    switch ((cc >> 1) & 7) {
    case 0: r = f & X86_OF; break;
    case 1: r = f & X86_CF; break;
    case 2: r = f & X86_ZF; break;
    case 3: r = f & (X86_CF | X86_ZF); break;
    case 4: r = f & X86_SF; break;
    case 5: r = f & X86_PF; break;
    case 6: r = !(f & X86_SF) != !(f & X86_OF); break;
    default: r = (f & X86_ZF) || !(f & X86_SF) != !(f & X86_OF); break;
    }
    return (cc & 1) ? !r : r;
}

/* Retires d: RIP to the next instruction. */
static inline int x86_retire(X86Cpu *c, const X86Insn *d)
{
    c->rip = x86_next_ip(c, d);
    return X86_OK;
}

/* The r/m operand for a read-modify-write (memory checked for writing too). */
static inline bool x86_rm_read_rmw(X86Cpu *c, const X86Insn *d, unsigned size, uint64_t *v)
{
    if (d->mod == 3) {
        *v = x86_get_reg(c, d, d->rm, size);
        return true;
    }
    return x86_read_rmw(c, d->seg, x86_ea(c, d), size, v);
}

/* A read-modify-write of d's memory operand through one translation: its host address when
 * the soft TLB holds it as writable RAM for a fast store (x86_ram_fast, x86_ram_store_ok:
 * the page is marked written now, so the caller must not fault after this), else NULL and
 * the caller takes its general path. */
static inline uint8_t *x86_rmw_fast(X86Cpu *c, const X86Insn *d, unsigned size)
{
    uint64_t pa;
    uint8_t *h = x86_ram_fast(c, d->seg, x86_ea(c, d), size, X86_ACC_WRITE, &pa);
    if (likely(h != NULL && x86_ram_store_ok(c, pa)))
        return h;
    return NULL;
}

/* An address truncated to size bytes (2, 4 or 8). */
static inline uint64_t x86_trunc(uint64_t a, unsigned size)
{
    return a & x86_mask(size);
}

/* A branch target: #GP(0) if not canonical in 64-bit mode; outside it truncated to the
 * operand size and #GP(0) past the CS limit (SDM JMP/CALL/Jcc: the fault is the branch's). */
static inline int x86_branch(X86Cpu *c, uint64_t target, unsigned opsize)
{
    if (c->code_bits == 64) {
        if ((uint64_t)((int64_t)(target << 16) >> 16) != target) {
            x86_raise(c, X86_GP, true, 0);
            return X86_FAULT;
        }
    } else {
        target = x86_trunc(target, opsize);
        if (target > c->seg[X86_CS].limit) {
            x86_raise(c, X86_GP, true, 0);
            return X86_FAULT;
        }
    }
    c->rip = target;
    return X86_OK;
}

static inline int x86_ud(X86Cpu *c)
{
    x86_raise(c, X86_UD, false, 0);
    return X86_FAULT;
}
#endif
