/* Unit-test harness for the x86-64 core (suites x86sys, x86dcache): a machine with 16 MiB
 * of RAM at 0 and one x86 core added to it, run through the machine's own loop. */
#ifndef HVSIM_TESTS_X86_HARNESS_H
#define HVSIM_TESTS_X86_HARNESS_H
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
#endif
