/* isa-debug-exit (QEMU hw/misc/debugexit.c's behaviour): a write of v stops the machine with
 * exit code (v << 1) | 1; reads give 0. It has no state: a run that wrote it has ended. */
#include "devices/isa_debug_exit.h"

static uint64_t dbgexit_read(void *opaque, uint64_t off, unsigned size)
{
    (void)opaque, (void)off, (void)size;
    return 0;
}

static void dbgexit_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    IsaDebugExit *d = opaque;
    (void)off;
    uint64_t v = size >= 4 ? (uint32_t)val : val & ((1ULL << (8 * size)) - 1);
    /* QEMU exits the process with this status, which the shell sees modulo 256 */
    int code = (int)(((v << 1) | 1) & 0xff);
    machine_stop(d->m, code, "isa-debug-exit: the guest wrote %#llx (exit status %d)",
                 (unsigned long long)v, code);
}

static const MmioOps dbgexit_ops = { dbgexit_read, dbgexit_write };

IsaDebugExit *isa_debug_exit_new(Machine *m, uint16_t iobase, unsigned iosize)
{
    IsaDebugExit *d = g_new0(IsaDebugExit, 1);
    d->m = m;
    if (bus_add_mmio(&m->io, "isa-debug-exit", iobase, iosize, &dbgexit_ops, d) < 0) {
        g_free(d);
        return NULL;
    }
    return d;
}

void isa_debug_exit_free(IsaDebugExit *d)
{
    g_free(d);
}
