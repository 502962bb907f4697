/* The PC's interval timer: an Intel 8254 at ports 0x40-0x43 counting at 1.193182 MHz of
 * simulated time, channel 0 on IRQ 0, channel 2's gate and output at port 0x61. */
#ifndef HVSIM_DEVICES_PIT_H
#define HVSIM_DEVICES_PIT_H
#include <stdint.h>
#include "core/irq.h"
#include "core/machine.h"

#define PIT_HZ 1193182ULL

typedef struct PitChannel {
    uint64_t load_time;       /* when counting started from `count` */
    uint32_t count;           /* the reload value, 1..65536 */
    uint16_t latch;           /* the latched count */
    uint8_t mode, rw_mode;    /* mode 0..5; access 1 LSB, 2 MSB, 3 LSB then MSB */
    uint8_t bcd, gate;
    uint8_t latched;          /* 0 none, else the access of the latched count still to read */
    uint8_t status_latched;
    uint8_t status;
    uint8_t read_msb;         /* LSB-then-MSB: the next read is the MSB */
    uint8_t write_msb;        /* LSB-then-MSB: the next write is the MSB */
    uint8_t write_lsb;        /* the LSB written so far */
} PitChannel;

typedef struct Pit {
    /* --- state (hashed, saved) --- */
    PitChannel ch[3];
    uint64_t irq_when;        /* time of channel 0's next output edge event, 0 = none */
    uint8_t speaker;          /* port 0x61 bit 1 */
    uint8_t irq_high;         /* channel 0's output as driven on IRQ 0 */
    uint8_t pad0[6];
    /* --- run time --- */
    Machine *m;
    IrqLine irq;
    Event ev;
} Pit;

/* At ports 0x40-0x43 and 0x61 of m's io bus. NULL if taken. */
Pit *pit_new(Machine *m, const char *name);
void pit_free(Pit *p);
void pit_connect_irq(Pit *p, IrqLine line);
/* Channel `ch`'s count and output now (tests, port 0x61). */
uint16_t pit_get_count(Pit *p, int ch);
int pit_get_out(Pit *p, int ch);
uint64_t pit_read(void *opaque, uint64_t off, unsigned size);
void pit_write(void *opaque, uint64_t off, uint64_t val, unsigned size);
extern const StateDesc pit_state_desc;
#endif
