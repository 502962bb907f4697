/* Unit-test harness for the x86-64 core (suites x86sys, x86dcache, x86jit): a machine with 16 MiB
 * of RAM at 0 and one x86 core added to it, run through the machine's own loop. */
#ifndef HVSIM_TESTS_X86_HARNESS_H
#define HVSIM_TESTS_X86_HARNESS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/machine.h"
#include "cpu/x86_64/cpu.h"

#define XH_RAM_SIZE (16ull << 20)

typedef struct XH {
    Machine *m;
    X86Cpu *c;
} XH;

/* model: -cpu's name ("qemu64", "max"), or NULL for the machine's default. */
XH *xh_new(const char *model);
void xh_free(XH *t);
/* Runs `steps` instructions (fewer if the machine stops); the exit code. */
int xh_run(XH *t, uint64_t steps);
/* Runs the core towards its HLT for at most max instructions: in one run (the fast loop, its
 * chain and the block compiler), or one_by_one, one instruction per run (never chained). */
void xh_run_chained_or_not(XH *t, uint64_t max, bool one_by_one);
/* Writes RAM as a device's DMA would: decoded code there is dropped (machine.h). */
void xh_put(XH *t, uint64_t pa, const void *bytes, size_t n);
void xh_put64(XH *t, uint64_t pa, uint64_t v);
/* Long mode at rip, RSP 0x9000: the first 2 MiB identity-mapped by one 2 MiB page (PML4 at
 * XH_PML4), and VA 0x200000 through a page table at 0x13000 (its entries to the caller's
 * choice). */
#define XH_PML4 0x10000ull
void xh_enter_long(XH *t, uint64_t rip);
#endif
