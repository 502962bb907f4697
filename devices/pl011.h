/* Arm PrimeCell UART (PL011, ARM DDI 0183): transmit to the machine's console output,
 * receive from a host file descriptor (stdin), interrupt status per the TRM. */
#ifndef HVSIM_DEVICES_PL011_H
#define HVSIM_DEVICES_PL011_H
#include <stdint.h>
#include "core/irq.h"
#include "core/machine.h"

#define PL011_MMIO_SIZE 0x1000
#define PL011_FIFO_DEPTH 16

/* Registers (byte offsets) */
enum {
    PL011_DR = 0x000, PL011_RSR = 0x004, PL011_FR = 0x018, PL011_ILPR = 0x020,
    PL011_IBRD = 0x024, PL011_FBRD = 0x028, PL011_LCR_H = 0x02c, PL011_CR = 0x030,
    PL011_IFLS = 0x034, PL011_IMSC = 0x038, PL011_RIS = 0x03c, PL011_MIS = 0x040,
    PL011_ICR = 0x044, PL011_DMACR = 0x048, PL011_PERIPHID0 = 0xfe0,
};
/* FR bits */
enum {
    PL011_FR_BUSY = 1u << 3, PL011_FR_RXFE = 1u << 4, PL011_FR_TXFF = 1u << 5,
    PL011_FR_RXFF = 1u << 6, PL011_FR_TXFE = 1u << 7,
};
/* Interrupt bits (RIS/MIS/IMSC/ICR) */
enum {
    PL011_INT_RX = 1u << 4, PL011_INT_TX = 1u << 5, PL011_INT_RT = 1u << 6,
    PL011_INT_ALL = 0x7ff,
};
#define PL011_LCR_FEN (1u << 4)

typedef struct Pl011 {
    /* --- state (hashed, saved) --- */
    uint16_t rx_fifo[PL011_FIFO_DEPTH];  /* data byte | error bits 8..11 */
    uint32_t rx_pos, rx_count;
    uint32_t rsr, ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, ris, dmacr;
    uint64_t poll_when;       /* time of the pending RX poll, 0 = none */
    /* --- run time --- */
    Machine *m;
    IrqLine irq;              /* unconnected (set == NULL) until an interrupt controller exists */
    int in_fd;                /* host input (0 = stdin), -1 = none */
    int in_eof;               /* the input reached end of file (host state: not hashed) */
    int irq_level;            /* last level driven on irq (derived) */
    int pad_;
    Event poll_ev;
} Pl011;

/* Creates the UART, maps it at `base` on m's bus and registers its state as `name`.
 * Input comes from in_fd (-1 for none). NULL if the bus refuses the region. */
Pl011 *pl011_new(Machine *m, const char *name, uint64_t base, int in_fd);
void pl011_free(Pl011 *s);
void pl011_reset(Pl011 *s);
/* Connects the interrupt output and drives its current level. */
void pl011_connect_irq(Pl011 *s, IrqLine line);
/* Pushes one received character (as the host input would); false if the FIFO is full. */
bool pl011_receive(Pl011 *s, uint8_t ch);
uint64_t pl011_read(void *opaque, uint64_t off, unsigned size);
void pl011_write(void *opaque, uint64_t off, uint64_t val, unsigned size);
extern const StateDesc pl011_state_desc;
#endif
