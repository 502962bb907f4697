/* The self-hosted debug architecture (Arm ARM D2): breakpoints, watchpoints and software step
 * as the guest programs them through MDSCR_EL1, the OS lock and the DBGB / DBGW register pairs.
 * (BRK is an instruction, in exec_sys.c; hvsim's own debugger is debug/, invisible to this.)
 *
 * Nothing here runs while no debug event can happen: c->dbg_armed says, coarsely, which kinds
 * the guest's registers arm (kept by the register writes, reset and snapshot load). Armed
 * software step, or an armed breakpoint that can match on the page being entered
 * (a64_breakpoint_page), makes the core run its careful loop, which calls
 * a64_debug_before_insn()/a64_debug_after_insn() around the instructions of such pages; armed
 * watchpoints keep the pages they watch out of the soft TLB (a64_watchpoint_page), so every
 * access to them reaches the slow path and a64_watchpoint_hit(). The precise conditions (OS lock, PSTATE.D, KDE, the target EL, the
 * privilege filters) are decided there, per event. */
#ifndef HVSIM_CPU_ARM64_DEBUG_H
#define HVSIM_CPU_ARM64_DEBUG_H
#include <stdbool.h>
#include <stdint.h>
#include "cpu/arm64/cpu.h"

/* c->dbg_armed bits */
#define A64_DBG_BREAK 1u      /* MDSCR_EL1.MDE and some DBGBCR<n>.E */
#define A64_DBG_WATCH 2u      /* MDSCR_EL1.MDE and some DBGWCR<n>.E */
#define A64_DBG_STEP 4u       /* MDSCR_EL1.SS */

/* c->ss_syn: what the software step state machine stepped last (ESR ISS of EC 0x32/0x33) */
#define A64_SS_STEPPED 1u     /* an instruction was stepped (ISV = 1) */
#define A64_SS_EX 2u          /* it was a load-exclusive (EX = 1) */

/* Recomputes c->dbg_armed from the debug registers (after a write, reset or snapshot load);
 * newly armed watchpoints flush the soft TLB, and the run loop is asked to look again. */
void a64_debug_update(Arm64Cpu *c);
/* Write callback of MDSCR_EL1, DBGBCR<n>_EL1, DBGWVR<n>_EL1 and DBGWCR<n>_EL1 (the table's
 * writable mask applies, then a64_debug_update; a changed watchpoint flushes the soft TLB). */
struct A64SysReg;
void a64_debug_write_ctrl(Arm64Cpu *c, const struct A64SysReg *r, uint64_t v);

/* AArch64.GenerateDebugExceptionsFrom(from_el, mask = PSTATE.D) (D2.4): debug exceptions
 * (other than BRK) can be generated at from_el. */
bool a64_debug_enabled_from(const Arm64Cpu *c, int from_el, bool d_mask);

/* Careful loop, before the instruction at pc: a pending Software Step exception (active-
 * pending state), else a Breakpoint exception. Returns true if one was taken (c->pc is the
 * vector). */
bool a64_debug_before_insn(Arm64Cpu *c, uint64_t pc);
/* Careful loop, after an instruction ran (raw: its encoding): SSAdvance(), unless the
 * instruction was an exception return (which sets PSTATE.SS itself). */
void a64_debug_after_insn(Arm64Cpu *c, uint32_t raw);
/* SSAdvance() for the exception-generating instructions (SVC, HVC): the instruction counts
 * as stepped before the exception it generates is taken (SPSR.SS = 0). */
void a64_ss_advance(Arm64Cpu *c, uint32_t raw);
/* PSTATE.SS after an exception return to the state in spsr (DebugExceptionReturnSS), from
 * the EL executing the ERET; call before the EL changes. */
uint8_t a64_debug_return_ss(const Arm64Cpu *c, uint64_t spsr, bool illegal);

/* Watchpoint access kinds */
enum { A64_WP_LOAD, A64_WP_STORE, A64_WP_RMW };
/* A data access of `size` bytes at va by the instruction d (kind A64_WP_*; unpriv for
 * LDTR/STTR at EL1): takes the Watchpoint exception and returns true if a watchpoint matches
 * and debug exceptions are enabled; the access must then not happen. Call after translation
 * (translation faults have priority, AArch64.TranslateAddress) and before the access. */
bool a64_watchpoint_hit(Arm64Cpu *c, const A64Insn *d, uint64_t va, unsigned size, int kind, bool unpriv);

/* True if an enabled breakpoint can match an instruction on the page at va_page: an address
 * breakpoint there, or a context breakpoint (those match anywhere). The run loop decides per
 * page entry; a write to a debug register ends the page's run, so the answer stays right. */
bool a64_breakpoint_page(const Arm64Cpu *c, uint64_t va_page);
/* True if an enabled watchpoint watches a byte of the page at va_page: the slow path must not
 * cache it in the soft TLB. */
bool a64_watchpoint_page(const Arm64Cpu *c, uint64_t va_page);

/* The matching logic, pure functions of the registers (unit-tested). */
/* Breakpoint n matches an instruction fetch at pc in the core's current state (BT, BAS,
 * PMC/HMC/SSC, context and linked comparisons). */
bool a64_breakpoint_match(const Arm64Cpu *c, int n, uint64_t pc);
/* Watchpoint n matches the access; *first receives the lowest watched byte address in it. */
bool a64_watchpoint_match(const Arm64Cpu *c, int n, uint64_t va, unsigned size, bool write, bool read,
                          bool priv, uint64_t *first);
#endif
