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

/* ---- the board's side (boards/pc.c), added by x86pc ---- */
/* Register offsets of the xAPIC page (x2APIC MSR = 0x800 + offset / 16). */
enum { LAPIC_ID = 0x20, LAPIC_VERSION = 0x30, LAPIC_TPR = 0x80, LAPIC_APR = 0x90,
       LAPIC_PPR = 0xa0, LAPIC_EOI = 0xb0, LAPIC_RRD = 0xc0, LAPIC_LDR = 0xd0, LAPIC_DFR = 0xe0,
       LAPIC_SVR = 0xf0, LAPIC_ISR = 0x100, LAPIC_TMR = 0x180, LAPIC_IRR = 0x200,
       LAPIC_ESR = 0x280, LAPIC_ICR_LO = 0x300, LAPIC_ICR_HI = 0x310, LAPIC_LVT_TIMER = 0x320,
       LAPIC_LVT_THERMAL = 0x330, LAPIC_LVT_PERF = 0x340, LAPIC_LVT_LINT0 = 0x350,
       LAPIC_LVT_LINT1 = 0x360, LAPIC_LVT_ERROR = 0x370, LAPIC_TIMER_INIT = 0x380,
       LAPIC_TIMER_CUR = 0x390, LAPIC_TIMER_DIV = 0x3e0, LAPIC_SELF_IPI = 0x3f0 };
/* Delivery modes (ICR, LVT, I/O APIC redirection entries, bits 10:8). */
enum { LAPIC_DM_FIXED = 0, LAPIC_DM_LOWEST = 1, LAPIC_DM_SMI = 2, LAPIC_DM_NMI = 4,
       LAPIC_DM_INIT = 5, LAPIC_DM_SIPI = 6, LAPIC_DM_EXTINT = 7 };
#define LAPIC_BASE_DEFAULT 0xfee00000ULL
#define LAPIC_BASE_BSP (1ULL << 8)
#define LAPIC_BASE_EXTD (1ULL << 10)
#define LAPIC_BASE_EN (1ULL << 11)
/* The timer counts at 1 GHz divided by the divide configuration (QEMU's bus clock). */
#define LAPIC_TIMER_HZ 1000000000ULL

void lapic_free(Lapic *a);
/* Joins the APICs of all cores so that IPIs reach each other (the array is kept). */
void lapic_connect(Lapic **all, int n);
/* Called on an EOI of a level-triggered vector (TMR set): the I/O APIC's remote IRR. */
void lapic_set_eoi_hook(Lapic *a, void (*fn)(void *opaque, int vector), void *opaque);
/* The 8259's INTR on LINT0 in ExtINT mode: peek gives the vector an acknowledge would give
 * (-1: none), ack acknowledges and returns it. */
void lapic_set_extint(Lapic *a, int (*peek)(void *opaque), int (*ack)(void *opaque), void *opaque);
/* LINT0/LINT1 input levels: an IrqLine set function (opaque the Lapic, n the pin). */
void lapic_set_lint(void *opaque, int n, int level);
/* An interrupt message on the APIC bus (I/O APIC, MSI, ICR): to every APIC of `all` the
 * destination selects (dest and logical as in the ICR; shorthand 0 none, 1 self, 2 all,
 * 3 all but self, with self the sender or NULL). */
void lapic_send(Lapic **all, int n, const Lapic *self, uint32_t dest, bool logical,
                int shorthand, int mode, int vector, bool level);
/* x2APIC mode is on (IA32_APIC_BASE EN and EXTD). */
bool lapic_x2apic(const Lapic *a);
extern const StateDesc lapic_state_desc;
#endif
