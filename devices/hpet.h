/* The PC's High Precision Event Timer (IA-PC HPET specification 1.0a) at 0xfed00000, as
 * QEMU's pc has it: a 64-bit main counter at 100 MHz and three comparators, routed to I/O
 * APIC pins or, in legacy replacement mode, to ISA IRQ 0 and 8. */
#ifndef HVSIM_DEVICES_HPET_H
#define HVSIM_DEVICES_HPET_H
#include <stdbool.h>
#include <stdint.h>
#include "core/machine.h"

#define HPET_BASE 0xfed00000ULL
#define HPET_SIZE 0x400
#define HPET_NTIMERS 3
#define HPET_PERIOD_FS 10000000ULL       /* 10 ns a count: 100 MHz, QEMU's */
#define HPET_INTCAP 0x00000004u          /* I/O APIC pin 2 only, as on QEMU's pc (i440fx) */

typedef struct HpetTimer {
    uint64_t config;          /* Tn_CONF (capability bits included) */
    uint64_t cmp;             /* comparator */
    uint64_t period;          /* periodic mode: the increment */
    uint64_t fsb;             /* FSB route (storage: no MSI delivery) */
    uint64_t when;            /* time of its pending match event, 0 = none */
} HpetTimer;

typedef struct Hpet {
    /* --- state (hashed, saved) --- */
    HpetTimer t[HPET_NTIMERS];
    uint64_t config;          /* general configuration: ENABLE, LEG_RT */
    uint64_t isr;             /* general interrupt status (level-triggered timers) */
    uint64_t counter;         /* the main counter when it was last stopped or set */
    uint64_t start;           /* time the counter last started counting from `counter` */
    uint32_t level;           /* the output each timer drives (bit per timer) */
    uint32_t pad0;
    /* --- run time --- */
    Machine *m;
    /* the outputs: an I/O APIC pin, or ISA IRQ 0/8 in legacy replacement mode */
    void (*set_gsi)(void *opaque, int gsi, int level);
    void (*set_isa)(void *opaque, int irq, int level);
    void *opaque;
    Event ev[HPET_NTIMERS];
} Hpet;

Hpet *hpet_new(Machine *m, const char *name, uint64_t base);
void hpet_free(Hpet *h);
void hpet_connect(Hpet *h, void (*set_gsi)(void *, int, int), void (*set_isa)(void *, int, int),
                  void *opaque);
/* Legacy replacement routing is on (the PIT's IRQ 0 is then cut off). */
bool hpet_legacy(const Hpet *h);
/* The main counter now. */
uint64_t hpet_counter(Hpet *h);
uint64_t hpet_read(void *opaque, uint64_t off, unsigned size);
void hpet_write(void *opaque, uint64_t off, uint64_t val, unsigned size);
extern const StateDesc hpet_state_desc;
extern const StateDesc hpet_timer_state_desc;
#endif
