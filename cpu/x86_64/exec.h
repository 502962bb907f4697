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
#include "cpu/x86_64/dcache.h"

/* Specialised handlers for the decode cache (dcache.c): for an instruction of a common shape,
 * a handler with its operation, size or condition fixed and the same semantics as d->fn;
 * NULL otherwise. *lazy (for a handler given): it may run with lazy flags pending (below).
 * A selector may rewrite the cache's copy for its handler (x86_fast_shift: D1's count of 1
 * into imm). */
X86HandlerFn x86_fast_alu(X86Insn *d, bool *lazy);            /* exec_alu.c */
X86HandlerFn x86_fast_branch(X86Insn *d, bool *lazy);         /* exec_branch.c */
X86HandlerFn x86_fast_stack(X86Insn *d, bool *lazy);          /* exec_stack.c */
X86HandlerFn x86_fast_mov(X86Insn *d, bool *lazy);            /* exec_mov.c */
X86HandlerFn x86_fast_mul(X86Insn *d, bool *lazy);            /* exec_muldiv.c */
X86HandlerFn x86_fast_shift(X86Insn *d, bool *lazy);          /* exec_shift.c */
X86HandlerFn x86_fast_cond(X86Insn *d, bool *lazy);           /* exec_bit.c: CMOVcc, SETcc */
/* Generic handlers that neither write an arithmetic flag nor read one but through
 * x86_cond_now (dcache.c marks them lazy too). */
int x86_op_jcc(X86Cpu *c, const X86Insn *d);
int x86_op_setcc(X86Cpu *c, const X86Insn *d);
int x86_op_cmovcc(X86Cpu *c, const X86Insn *d);
int x86_op_lea(X86Cpu *c, const X86Insn *d);
int x86_op_mov(X86Cpu *c, const X86Insn *d);
int x86_op_mov_imm(X86Cpu *c, const X86Insn *d);
int x86_op_mov_imm_r(X86Cpu *c, const X86Insn *d);
int x86_op_movzx(X86Cpu *c, const X86Insn *d);
int x86_op_movsx(X86Cpu *c, const X86Insn *d);
int x86_op_movsxd(X86Cpu *c, const X86Insn *d);
int x86_op_push_r(X86Cpu *c, const X86Insn *d);
int x86_op_pop_r(X86Cpu *c, const X86Insn *d);
int x86_op_push_imm(X86Cpu *c, const X86Insn *d);
int x86_op_call(X86Cpu *c, const X86Insn *d);
int x86_op_ret(X86Cpu *c, const X86Insn *d);
int x86_op_jmp(X86Cpu *c, const X86Insn *d);
int x86_op_nop(X86Cpu *c, const X86Insn *d);

/* ---- lazy arithmetic flags ----
 * Inside the run loop's chain (cpu.c) an ADD, SUB, CMP, AND, OR, XOR, TEST or IMUL of the
 * decode cache's handlers leaves its operands and result (lf_*) instead of computing CF PF AF
 * ZF SF OF (IMUL: lf_b whether the product did not fit), and so does INC or DEC (lf_b: the CF
 * it keeps); a Jcc of the cache evaluates its condition from them; the chain writes them into
 * rflags (x86_lf_flush) before any other handler runs and whenever it leaves, so outside
 * it, and for every handler not marked lazy, rflags is exact. step() flushes after each
 * instruction (its cached handlers are the same). */
enum { X86_LF_NONE, X86_LF_ADD, X86_LF_SUB, X86_LF_LOGIC, X86_LF_MUL, X86_LF_INC, X86_LF_DEC };

X86_INLINE void x86_lf_set(X86Cpu *c, unsigned op, uint64_t a, uint64_t b, uint64_t r,
                           unsigned size)
{
    c->lf_op = op;
    c->lf_size = size;
    c->lf_a = a;
    c->lf_b = b;
    c->lf_r = r;
}
/* x86_lf_write and x86_lf_flush (writing pending flags into rflags) are in cpu.h: the
 * system part flushes too. */

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

/* PF of each low byte: X86_PF where the number of set bits is even (exec_alu.c). */
extern const uint8_t x86_pf_table[256];

/* SF, ZF and PF of a result of `size` bytes. */
static inline uint32_t x86_szp(uint64_t r, unsigned size)
{
    r &= x86_mask(size);
    return x86_pf_table[r & 0xff] | (r ? 0 : X86_ZF) |
           (uint32_t)((r >> (8 * size - 1)) & 1) * X86_SF;
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
X86_INLINE bool x86_cond(const X86Cpu *c, unsigned cc)
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

/* Condition cc from pending lazy flags (c->lf_op set): as x86_cond would find it in the
 * flags x86_lf_write computes. */
X86_INLINE bool x86_cond_lf(const X86Cpu *c, unsigned cc)
{
    unsigned size = c->lf_size;
    uint64_t a = c->lf_a, b = c->lf_b, r = c->lf_r, sign = x86_sign_bit(size);
    bool cf, of, zf = r == 0, sf = (r & sign) != 0;
    switch (c->lf_op) {
    case X86_LF_ADD:
        cf = r < a;
        of = ((a ^ r) & (b ^ r) & sign) != 0;
        break;
    case X86_LF_SUB:
        cf = a < b;
        of = ((a ^ b) & (a ^ r) & sign) != 0;
        break;
    case X86_LF_MUL:          /* b: the product did not fit */
        cf = of = b != 0;
        break;
    case X86_LF_INC:          /* b: CF as it was */
        cf = b != 0;
        of = r == sign;
        break;
    case X86_LF_DEC:
        cf = b != 0;
        of = a == sign;
        break;
    default:
        cf = of = false;
        break;
    }
    bool t;
    switch ((cc >> 1) & 7) {
    case 0: t = of; break;
    case 1: t = cf; break;
    case 2: t = zf; break;
    case 3: t = cf || zf; break;
    case 4: t = sf; break;
    case 5: t = !__builtin_parity((unsigned)(r & 0xff)); break;
    case 6: t = sf != of; break;
    default: t = zf || sf != of; break;
    }
    return (cc & 1) ? !t : t;
}

/* Condition cc whether flags are pending or not (the handlers marked lazy that read one). */
X86_INLINE bool x86_cond_now(const X86Cpu *c, unsigned cc)
{
    return c->lf_op ? x86_cond_lf(c, cc) : x86_cond(c, cc);
}

/* Retires d: RIP to the next instruction. */
static inline int x86_retire(X86Cpu *c, const X86Insn *d)
{
    c->rip = x86_next_ip(c, d);
    return X86_OK;
}

/* Threaded dispatch inside the run loop's chain (cpu.c): after an instruction of the decode
 * cache's specialised handlers retired, the next one runs from here, a jump of this
 * handler's own (so the host predicts it by what came before) instead of the chain loop's
 * one call for all. It does what the loop does between two instructions, and returns to the
 * loop (X86_OK, the retired instruction counted by x86_insns_now) for anything else: outside
 * the chain or once it must leave (chain_left 0: the budget's last instruction, or
 * x86_decode_mode_changed), RIP in a page the cache has not decoded or the soft TLB does not
 * hold for fetching (another one becomes the chain's page: x86_dc_switch), RIP at an
 * undecoded slot, lazy flags to write first, or the host stack below chain_floor in builds
 * where the compiler may make a call of the jump. chain_left also bounds how deep such calls
 * could go in any build. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)   /* clang's spelling of __SANITIZE_ADDRESS__ */
#define X86_CHAIN_ASAN 1
#endif
#endif
#if !defined(__OPTIMIZE__) || defined(__SANITIZE_ADDRESS__) || defined(X86_CHAIN_ASAN)
static inline bool x86_chain_stack_ok(const X86Cpu *c)
{
    return (uintptr_t)__builtin_frame_address(0) >= c->chain_floor;
}
/* the block compiler (jit.c) jumps straight to the next handler only where the stack needs
 * no check */
#define X86_CHAIN_DIRECT 0
#else
#define X86_CHAIN_DIRECT 1
static inline bool x86_chain_stack_ok(const X86Cpu *c)
{
    (void)c;
    return true;
}
#endif

/* On to n, the decoded instruction at RIP in the chain's page (chain_left not 0). */
X86_INLINE int x86_chain_to(X86Cpu *c, const X86Insn *n)
{
    if (unlikely(!n->lazy && c->lf_op) || unlikely(!x86_chain_stack_ok(c)))
        return X86_OK;
    c->chain_left--;          /* the instruction that retired: x86_insns_now */
    c->start_ip = c->rip;
    c->exc.vector = -1;
    return n->fn(c, n);
}

/* x86_jit_try at p's instruction at off, then on to it as x86_chain_to (dcache.c). */
int x86_chain_try(X86Cpu *c, X86DecodedPage *p, unsigned off);

/* After a branch set RIP: on to the instruction there when chained. */
X86_INLINE int x86_chain_on(X86Cpu *c)
{
    if (!c->chain_left)
        return X86_OK;
    /* the chain's page is dc_la and dc_cur while chain_left is not 0; RIP in another one
     * the cache has decoded and the soft TLB holds becomes it */
    uint64_t off = c->rip - c->dc_la;
    if (unlikely(off >= X86_DC_PAGE)) {
        if (!x86_dc_switch(c))
            return X86_OK;
        off = c->rip - c->dc_la;
    }
    X86DecodedPage *p = c->dc_cur;
    unsigned s = p->slot[off];
    if (unlikely(!s))
        return X86_OK;
    if (unlikely(!p->tried[s - 1]))
        return x86_chain_try(c, p, (unsigned)off);   /* a block may start here (jit.h) */
    return x86_chain_to(c, &p->insn[s - 1]);
}

/* A relative branch d of the chain's page taken to RIP + d->len + d->imm: the target through
 * its link d->taken when the chain goes on (exec_branch.c), else as x86_branch. */
int x86_branch_rel_taken(X86Cpu *c, const X86Insn *d);
X86_INLINE int x86_taken(X86Cpu *c, const X86Insn *d)
{
    if (likely(c->chain_left && d->taken)) {
        c->rip += d->len + d->imm;    /* in the page, so canonical */
        return x86_chain_to(c, &c->dc_cur->insn[d->taken - 1]);
    }
    return x86_branch_rel_taken(c, d);
}

/* The link from d (in the chain's page) to the instruction at RIP, where it went: the one
 * after it (kept in d->next) or, taken, its relative branch's target (d->taken); looked up
 * once, then on to it as x86_chain_to (dcache.c). X86_OK when none is decoded there yet. RIP
 * in another page has no link: x86_chain_on switches. */
int x86_chain_link(X86Cpu *c, const X86Insn *d, bool taken);

/* x86_retire, then on to the next instruction when chained. The chain runs 64-bit code, where
 * the next RIP needs no truncation. */
X86_INLINE int x86_next(X86Cpu *c, const X86Insn *d)
{
    if (likely(c->chain_left)) {
        c->rip += d->len;
        unsigned s = d->next;
        if (unlikely(!s))
            return x86_chain_link(c, d, false);   /* a jump too: nothing kept across it */
        return x86_chain_to(c, &c->dc_cur->insn[s - 1]);
    }
    c->rip = x86_next_ip(c, d);
    return X86_OK;
}

/* PUSH of 8 bytes in 64-bit code (the stack is RSP itself, SS's base 0): RSP moves only when
 * the store went through. */
X86_INLINE bool x86_push64(X86Cpu *c, uint64_t v)
{
    uint64_t sp = c->gpr[X86_RSP] - 8;
    if (!x86_write(c, X86_SS, sp, 8, v))
        return false;
    c->gpr[X86_RSP] = sp;
    return true;
}

/* The r/m operand for a read-modify-write (memory checked for writing too). */
X86_INLINE bool x86_rm_read_rmw(X86Cpu *c, const X86Insn *d, unsigned size, uint64_t *v)
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
X86_INLINE uint8_t *x86_rmw_fast(X86Cpu *c, const X86Insn *d, unsigned size)
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
        if (!x86_canonical(target, false)) {   /* 48-bit: LA57 is not advertised */
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
