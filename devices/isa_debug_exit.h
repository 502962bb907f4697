/* QEMU's isa-debug-exit: a port whose write ends the run with exit status (v << 1) | 1, so a
 * bare-metal test reports its result as QEMU's process exit status. */
#ifndef HVSIM_DEVICES_ISA_DEBUG_EXIT_H
#define HVSIM_DEVICES_ISA_DEBUG_EXIT_H
#include <stdint.h>
#include "core/machine.h"

typedef struct IsaDebugExit {
    Machine *m;
} IsaDebugExit;

/* At ports [iobase, iobase + iosize) of m's io bus (iosize 1, 2 or 4). NULL if taken. */
IsaDebugExit *isa_debug_exit_new(Machine *m, uint16_t iobase, unsigned iosize);
void isa_debug_exit_free(IsaDebugExit *d);
#endif
