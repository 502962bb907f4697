/* Arm PrimeCell Real Time Clock (PL031, ARM DDI 0224): a 32-bit seconds counter that runs on
 * simulated time from a fixed base, with a match register and its interrupt. */
#ifndef HVSIM_DEVICES_PL031_H
#define HVSIM_DEVICES_PL031_H
#include <stdint.h>
#include "core/irq.h"
#include "core/machine.h"

#define PL031_MMIO_SIZE 0x1000

/* Registers (byte offsets, TRM 3.2) */
enum {
    PL031_DR = 0x000, PL031_MR = 0x004, PL031_LR = 0x008, PL031_CR = 0x00c,
    PL031_IMSC = 0x010, PL031_RIS = 0x014, PL031_MIS = 0x018, PL031_ICR = 0x01c,
    PL031_PERIPHID0 = 0xfe0,
};

typedef struct Pl031 {
    /* --- state (hashed, saved) --- */
    uint32_t tick_offset;     /* counter value at simulated time 0 (mod 2^32) */
    uint32_t mr, lr, cr;      /* match, last value loaded, control (RTCStart) */
    uint32_t imsc, ris;       /* bit 0: the match interrupt */
    uint64_t match_when;      /* time of the pending match event, 0 = none */
    /* --- run time --- */
    Machine *m;
    IrqLine irq;
    int irq_level;            /* last level driven (derived) */
    int pad_;
    Event match_ev;
} Pl031;

/* Creates the RTC at `base` with its counter reading `epoch` (seconds since 1970, UTC) at
 * simulated time 0, and registers its state as `name`. NULL if the bus refuses the region. */
Pl031 *pl031_new(Machine *m, const char *name, uint64_t base, uint64_t epoch);
void pl031_free(Pl031 *s);
void pl031_connect_irq(Pl031 *s, IrqLine line);
uint64_t pl031_read(void *opaque, uint64_t off, unsigned size);
void pl031_write(void *opaque, uint64_t off, uint64_t val, unsigned size);
extern const StateDesc pl031_state_desc;
#endif
