/* x86-64 block compiler: host code for runs of common integer instructions of a decoded page.
 *
 * The decode cache's chain (exec.h) runs one handler per guest instruction; each pays for its
 * dispatch, its operand decoding at run time and its pending flags. For a run of the
 * commonest instructions (MOV, MOVZX/MOVSX, LEA, ADD, SUB, AND, OR, XOR, CMP, TEST of any
 * size, register, immediate or memory operands, and a Jcc after one of them) this compiles
 * host x86-64 code once, with operands, sizes and offsets fixed, the Jcc taken on the host's
 * own flags, and installs it as the handler of the run's first instruction. It keeps the
 * handlers' contract exactly:
 *  - it runs only inside the run loop's chain, and only when the chain may start every
 *    instruction of the block (chain_left); otherwise the first instruction's own handler
 *    runs, as outside the chain (step(), the careful loop, one instruction at a time);
 *  - the guest registers live in the core (c->gpr), RFLAGS' arithmetic flags are left
 *    pending as the handlers leave them (lf_*), and a flag result nothing can observe (the
 *    next instruction writes all flags and nothing between can leave the block) is not
 *    stored;
 *  - memory operands take the soft TLB's RAM entries inline (x86_ram_fast, and
 *    x86_ram_store_ok for stores); anything else (a miss, a page holding code, the fast path
 *    off: watchpoints, EV_MEM subscribers, alignment checks) leaves the block before that
 *    instruction, which then runs through its own handler with everything before it retired.
 *    So no instruction of a block faults, and the architectural work is the handlers',
 *    instruction for instruction;
 *  - it leaves through the handlers' own ways on (x86_next, x86_taken), so chaining, page
 *    switches and the budget work as for any handler.
 * The code lives in a per-core buffer; a dropped page's code is left there until the buffer
 * is full, when the whole decode cache is flushed and the buffer starts again. Host-side
 * only: not in the state description, emptied with the decode cache (x86_decode_flush). */
#ifndef HVSIM_CPU_X86_64_JIT_H
#define HVSIM_CPU_X86_64_JIT_H
#include <stdbool.h>
#include "cpu/x86_64/dcache.h"

/* Compiles the block starting at p's instruction at byte offset off (a target the chain just
 * linked to) if it is worth it and not compiled yet; its handler is replaced by the block's
 * code. false when the code buffer is full (the caller flushes the decode cache). */
bool x86_jit_block(X86Cpu *c, X86DecodedPage *p, unsigned off);
/* d ends a block (or is not in one): the instruction after it may start one. */
bool x86_jit_ends_block(const X86Insn *d);
/* The code buffer starts again (the decode cache was flushed: no handler points into it). */
void x86_jit_reset(X86Cpu *c);
/* Frees the code buffer (the core is destroyed). */
void x86_jit_free(X86Cpu *c);
/* The handler d had before a block was installed on it (d->fn if none). */
X86HandlerFn x86_jit_orig(const X86Cpu *c, X86HandlerFn fn);
#endif
