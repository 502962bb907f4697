/* The I/O APIC (Intel 82093AA, as QEMU's version 0x20 with the EOI register): 24 inputs,
 * each routed by a redirection entry to the local APICs. MMIO at 0xfec00000. */
#ifndef HVSIM_DEVICES_IOAPIC_H
#define HVSIM_DEVICES_IOAPIC_H
#include <stdint.h>
#include "core/machine.h"
#include "devices/lapic.h"

#define IOAPIC_BASE 0xfec00000ULL
#define IOAPIC_NPINS 24

typedef struct Ioapic {
    /* --- state (hashed, saved) --- */
    uint64_t redir[IOAPIC_NPINS];
    uint32_t id;              /* bits 27:24 of register 0 */
    uint32_t sel;             /* IOREGSEL */
    uint32_t irr;             /* input levels seen (level: asserted; edge: unused) */
    uint32_t pad0;
    /* --- run time --- */
    Machine *m;
    Lapic **lapics;
    int nlapics;
    int pad_;
} Ioapic;

Ioapic *ioapic_new(Machine *m, const char *name, uint64_t base, Lapic **lapics, int nlapics);
void ioapic_free(Ioapic *s);
/* Input pin n to the given level: an IrqLine set function. */
void ioapic_set_irq(void *opaque, int n, int level);
/* A local APIC's EOI of a level-triggered vector (lapic_set_eoi_hook's function). */
void ioapic_eoi(void *opaque, int vector);
uint64_t ioapic_read(void *opaque, uint64_t off, unsigned size);
void ioapic_write(void *opaque, uint64_t off, uint64_t val, unsigned size);
extern const StateDesc ioapic_state_desc;
#endif
