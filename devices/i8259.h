/* The PC's legacy interrupt controllers: two Intel 8259A, the master at 0x20/0x21 (IRQ 0-7)
 * and the slave at 0xa0/0xa1 (IRQ 8-15) cascaded on the master's IRQ 2, with the edge/level
 * control registers at 0x4d0/0x4d1. */
#ifndef HVSIM_DEVICES_I8259_H
#define HVSIM_DEVICES_I8259_H
#include <stdint.h>
#include "core/irq.h"
#include "core/machine.h"

typedef struct Pic8259 {
    uint8_t irr, isr, imr;
    uint8_t level;            /* input levels (edges are taken against them) */
    uint8_t vector_base;      /* ICW2 (bits 7:3) */
    uint8_t init_step;        /* 0 ready; 2, 3, 4: the ICW expected next */
    uint8_t icw4_needed, auto_eoi;
    uint8_t read_isr;         /* OCW3: the command port reads ISR (1) or IRR (0) */
    uint8_t special_mask;
    uint8_t elcr;             /* edge/level control (ports 0x4d0/0x4d1): 1 = level */
    uint8_t pad[5];
} Pic8259;

typedef struct I8259 {
    /* --- state (hashed, saved) --- */
    Pic8259 pic[2];
    uint8_t out;              /* the master's INT output as driven */
    uint8_t pad0[7];
    /* --- run time --- */
    Machine *m;
    IrqLine intr;             /* the master's INT pin (the BSP's LINT0) */
} I8259;

I8259 *i8259_new(Machine *m, const char *name);
void i8259_free(I8259 *s);
void i8259_connect_intr(I8259 *s, IrqLine line);
/* IRQ input n (0..15) to the given level; an IrqLine set function. */
void i8259_set_irq(void *opaque, int n, int level);
/* The vector an interrupt acknowledge would give now (-1: nothing pending), and the
 * acknowledge itself (returns the vector; a spurious IRQ 7 or 15 when nothing is pending). */
int i8259_peek(I8259 *s);
int i8259_ack(I8259 *s);
extern const StateDesc i8259_state_desc;
#endif
