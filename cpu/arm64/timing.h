/* The A64 side of the cycle model (cpu/timing/model.h): what each instruction is for the
 * pipeline (class, registers, branch kind), the translation context its accesses are tagged
 * with, and the reports of fetches, data accesses, exceptions and maintenance. Only the
 * timed run loop (cpu.c) and the access paths reach here, and only when c->tm is set. */
#ifndef HVSIM_CPU_ARM64_TIMING_H
#define HVSIM_CPU_ARM64_TIMING_H
#include "cpu/arm64/cpu.h"
#include "cpu/timing/model.h"

/* A data access the soft TLB served (host address h), or one translated to pa (device:
 * not RAM). */
void a64_tm_host(Arm64Cpu *c, uint64_t va, const uint8_t *h, unsigned size, bool write);
void a64_tm_pa(Arm64Cpu *c, uint64_t va, uint64_t pa, unsigned size, bool write, bool device);
/* Before an instruction: its fetch. After it: its issue, latency and branch outcome (next
 * is where execution goes on; el the EL it executed at). */
/* The translation context of what the core runs now (regime, VMID, ASID), recomputed after
 * anything that may change it (an exception, ERET, a system-register write). */
void a64_tm_ctx(Arm64Cpu *c);
static inline void a64_tm_fetch(Arm64Cpu *c, const A64DecodedPage *p, uint64_t pc)
{
    if (unlikely(!c->tm_ctx_ok))
        a64_tm_ctx(c);
    tm_fetch(c->tms, c->tm, c, pc, p->pa + (pc & (A64_PAGE_SIZE - 1)), c->tm_mmu, c->tm_ctx);
}
void a64_tm_retire(Arm64Cpu *c, const A64Insn *d, uint64_t pc, uint64_t next, int el,
                   uint64_t cyc_start);
/* An exception taken (synchronous or an interrupt). */
void a64_tm_exception(Arm64Cpu *c);
/* TLBI (xt: its register operand) on the model TLBs of every core it reaches; DC and IC
 * (by VA, set/way or all) on the model caches. */
void a64_tm_tlbi(Arm64Cpu *c, uint32_t raw, uint64_t xt);
void a64_tm_maint(Arm64Cpu *c, uint32_t raw, uint64_t xt);
/* CpuClass.timing_changed and .tm_walk (mem.c). */
void a64_timing_changed(void *cpu, TimingSys *s);
void a64_tm_walk(void *cpu, uint64_t va, bool fetch, TmWalk *w);
#endif
