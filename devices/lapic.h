/* The x86 local APIC (xAPIC at APIC_BASE's page, x2APIC through MSRs 0x800-0x8ff): one per
 * core. The core (cpu/x86_64) routes its accesses here and asks it for interrupts; the
 * board connects the APICs of all cores (IPIs) and the I/O APIC (external interrupts). */
#ifndef HVSIM_DEVICES_LAPIC_H
#define HVSIM_DEVICES_LAPIC_H
#include <stdbool.h>
#include <stdint.h>
#include "core/machine.h"

typedef struct Lapic Lapic;

/* Made for core `index` (APIC ID = index); registered as machine object "lapicN". */
Lapic *lapic_new(Machine *m, int index);
/* xAPIC MMIO: off is the offset in the 4 KiB page, size 4 (other sizes read 0 / ignored). */
uint32_t lapic_mmio_read(Lapic *a, uint32_t off);
void lapic_mmio_write(Lapic *a, uint32_t off, uint32_t val);
/* x2APIC MSRs 0x800..0x8ff: false when the MSR does not exist or the access is not
 * allowed (the core raises #GP). */
bool lapic_msr_read(Lapic *a, uint32_t msr, uint64_t *val);
bool lapic_msr_write(Lapic *a, uint32_t msr, uint64_t val);
/* IA32_APIC_BASE written (enable, x2APIC mode). */
void lapic_set_base(Lapic *a, uint64_t apic_base);
/* TSC_DEADLINE MSR. */
uint64_t lapic_get_tsc_deadline(Lapic *a);
void lapic_set_tsc_deadline(Lapic *a, uint64_t deadline);
/* The vector the core should take now if RFLAGS.IF allows (highest IRR above PPR), or -1. */
int lapic_pending(Lapic *a);
/* The core takes that vector: IRR -> ISR. */
void lapic_ack(Lapic *a, int vector);
/* INIT or start-up IPIs and NMIs for the core: the core asks after each of its steps
 * (or when it wakes): 0 none, else LAPIC_EV_INIT / LAPIC_EV_SIPI (vector in *sipi_vector)
 * / LAPIC_EV_NMI, each reported once. */
enum { LAPIC_EV_NONE, LAPIC_EV_INIT, LAPIC_EV_SIPI, LAPIC_EV_NMI };
int lapic_take_event(Lapic *a, int *sipi_vector);
/* An interrupt delivered to this APIC from outside (I/O APIC, MSI, another APIC). */
void lapic_deliver(Lapic *a, int vector, bool level);
#endif
