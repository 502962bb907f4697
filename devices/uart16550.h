/* The PC's serial port: a National Semiconductor 16550A UART (COM1 at 0x3f8, IRQ 4).
 * Transmit goes to the machine's console output, receive comes from a host descriptor
 * through machine_input(), as for the PL011. */
#ifndef HVSIM_DEVICES_UART16550_H
#define HVSIM_DEVICES_UART16550_H
#include <stdint.h>
#include "core/irq.h"
#include "core/machine.h"

#define UART16550_FIFO_DEPTH 16

/* Register offsets from the base port (DLAB = LCR bit 7 switches 0 and 1 to the divisor) */
enum { UART_RBR = 0, UART_THR = 0, UART_DLL = 0, UART_IER = 1, UART_DLM = 1, UART_IIR = 2,
       UART_FCR = 2, UART_LCR = 3, UART_MCR = 4, UART_LSR = 5, UART_MSR = 6, UART_SCR = 7 };
enum { UART_IER_RDI = 1, UART_IER_THRI = 2, UART_IER_RLSI = 4, UART_IER_MSI = 8 };
enum { UART_LSR_DR = 0x01, UART_LSR_OE = 0x02, UART_LSR_THRE = 0x20, UART_LSR_TEMT = 0x40 };
enum { UART_IIR_NONE = 0x01, UART_IIR_MSI = 0x00, UART_IIR_THRI = 0x02, UART_IIR_RDI = 0x04,
       UART_IIR_RLSI = 0x06, UART_IIR_CTI = 0x0c, UART_IIR_FIFO = 0xc0 };
enum { UART_FCR_ENABLE = 1, UART_FCR_CLEAR_RX = 2, UART_FCR_CLEAR_TX = 4 };
enum { UART_LCR_DLAB = 0x80 };
enum { UART_MCR_LOOP = 0x10 };

typedef struct Uart16550 {
    /* --- state (hashed, saved) --- */
    uint8_t rx_fifo[UART16550_FIFO_DEPTH];
    uint32_t rx_pos, rx_count;
    uint8_t ier, lcr, mcr, scr, dll, dlm, fcr, msr;
    uint8_t lsr_err;          /* OE latched until LSR is read */
    uint8_t thr_ipending;     /* THR empty interrupt pending (until IIR read or THR written) */
    uint8_t timeout_ipending; /* character timeout (a poll found characters waiting) */
    uint8_t pad0[5];
    uint64_t poll_when;       /* time of the pending RX poll, 0 = none */
    /* --- run time --- */
    Machine *m;
    IrqLine irq;
    int in_fd;                /* host input (0 = stdin), -1 = none */
    int in_eof;
    int irq_level;            /* derived */
    int pad_;
    Event poll_ev;
} Uart16550;

/* Creates the UART at port `base` on m's io bus and registers its state as `name`.
 * NULL if the ports are taken. */
Uart16550 *uart16550_new(Machine *m, const char *name, uint16_t base, int in_fd);
void uart16550_free(Uart16550 *s);
void uart16550_reset(Uart16550 *s);
void uart16550_connect_irq(Uart16550 *s, IrqLine line);
/* Pushes one received character; false if the FIFO is full. */
bool uart16550_receive(Uart16550 *s, uint8_t ch);
uint64_t uart16550_read(void *opaque, uint64_t off, unsigned size);
void uart16550_write(void *opaque, uint64_t off, uint64_t val, unsigned size);
extern const StateDesc uart16550_state_desc;
#endif
