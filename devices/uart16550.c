/* National Semiconductor PC16550D UART (the PC's COM1).
 *
 * Transmit: a write to THR goes straight to the machine's console output, so the transmitter
 * is always empty (LSR.THRE = TEMT = 1) and, as on QEMU's model, each write raises the
 * THR-empty interrupt again (when IER.ETBEI allows it). In loopback (MCR bit 4) the character
 * comes back to the receiver instead. Receive: host input is read without blocking only when
 * the guest looks for it (LSR or RBR read with an empty FIFO) and, while IER.ERBFI is set, by
 * an event every 1 ms of simulated time, so the machine's events never depend on the host.
 * A poll that finds characters waiting and no new ones raises the character timeout
 * (IIR 0x0c), as the datasheet's four-character time would. Interrupt identification follows
 * the datasheet's priority (line status, received data / timeout, THR empty, modem status).
 * The interrupt output is not gated by MCR.OUT2 (QEMU does not gate it either). */
#include "devices/uart16550.h"
#include <string.h>
#include "devices/pc_clock.h"

#define UART_POLL_PS (1000000ULL * PS_PER_NS)   /* 1 ms */
#define UART_MSR_DEFAULT 0xb0                  /* DCD, DSR, CTS asserted */

static const StateField uart_fields[] = {
    STATE_ARRAY(Uart16550, rx_fifo, V_ANY),
    STATE_FIELD(Uart16550, rx_pos, V_RANGE(0, UART16550_FIFO_DEPTH - 1)),
    STATE_FIELD(Uart16550, rx_count, V_RANGE(0, UART16550_FIFO_DEPTH)),
    STATE_FIELD(Uart16550, ier, V_RANGE(0, 0x0f)),
    STATE_FIELD(Uart16550, lcr, V_ANY),
    STATE_FIELD(Uart16550, mcr, V_RANGE(0, 0x1f)),
    STATE_FIELD(Uart16550, scr, V_ANY),
    STATE_FIELD(Uart16550, dll, V_ANY),
    STATE_FIELD(Uart16550, dlm, V_ANY),
    STATE_FIELD(Uart16550, fcr, V_ANY),
    STATE_FIELD(Uart16550, msr, V_ANY),
    STATE_FIELD(Uart16550, lsr_err, V_RANGE(0, UART_LSR_OE)),
    STATE_FIELD(Uart16550, thr_ipending, V_BOOL),
    STATE_FIELD(Uart16550, timeout_ipending, V_BOOL),
    STATE_RUNTIME(Uart16550, pad0),
    STATE_FIELD(Uart16550, poll_when, V_RANGE(0, MACHINE_TIME_MAX)),
    STATE_RUNTIME(Uart16550, m),
    STATE_RUNTIME(Uart16550, irq),
    STATE_RUNTIME(Uart16550, in_fd),
    STATE_RUNTIME(Uart16550, in_eof),
    STATE_DERIVED(Uart16550, irq_level),
    STATE_RUNTIME(Uart16550, pad_),
    STATE_RUNTIME(Uart16550, poll_ev),
};
const StateDesc uart16550_state_desc = STATE_DESC("uart16550", Uart16550, uart_fields);

static unsigned fifo_depth(const Uart16550 *s)
{
    return (s->fcr & UART_FCR_ENABLE) ? UART16550_FIFO_DEPTH : 1;
}

/* FCR bits 7:6 select the receive trigger level: 1, 4, 8 or 14 characters. */
static unsigned rx_trigger(const Uart16550 *s)
{
    static const unsigned lvl[4] = { 1, 4, 8, 14 };
    return (s->fcr & UART_FCR_ENABLE) ? lvl[s->fcr >> 6] : 1;
}

/* The interrupt identification the IIR reports now (UART_IIR_NONE: none). */
static uint8_t iir_id(const Uart16550 *s)
{
    if ((s->ier & UART_IER_RLSI) && s->lsr_err)
        return UART_IIR_RLSI;
    if ((s->ier & UART_IER_RDI) && s->timeout_ipending && s->rx_count)
        return UART_IIR_CTI;
    if ((s->ier & UART_IER_RDI) && s->rx_count >= rx_trigger(s))
        return UART_IIR_RDI;
    if ((s->ier & UART_IER_THRI) && s->thr_ipending)
        return UART_IIR_THRI;
    if ((s->ier & UART_IER_MSI) && (s->msr & 0x0f))
        return UART_IIR_MSI;
    return UART_IIR_NONE;
}

static void update_irq(Uart16550 *s)
{
    int level = iir_id(s) != UART_IIR_NONE;
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set(&s->irq, level);
    }
}

static void schedule_poll(Uart16550 *s, SimTime now)
{
    if ((s->ier & UART_IER_RDI) && !event_pending(&s->poll_ev)) {
        s->poll_when = now + UART_POLL_PS;
        evq_schedule(&s->m->evq, &s->poll_ev, s->poll_when);
    }
}

bool uart16550_receive(Uart16550 *s, uint8_t ch)
{
    if (s->rx_count >= fifo_depth(s)) {
        s->lsr_err |= UART_LSR_OE;
        update_irq(s);
        return false;
    }
    s->rx_fifo[(s->rx_pos + s->rx_count) % UART16550_FIFO_DEPTH] = ch;
    s->rx_count++;
    update_irq(s);
    return true;
}

/* One input read attempt (never blocks). Returns how many characters arrived. */
static unsigned poll_input(Uart16550 *s)
{
    fflush(s->m->out);        /* a prompt is on screen before the guest waits for input */
    if (s->rx_count >= fifo_depth(s) || (s->mcr & UART_MCR_LOOP))
        return 0;
    uint8_t buf[UART16550_FIFO_DEPTH];
    size_t n = machine_input(s->m, s->in_fd, &s->in_eof, buf, fifo_depth(s) - s->rx_count);
    for (size_t i = 0; i < n; i++)
        uart16550_receive(s, buf[i]);
    return (unsigned)n;
}

static void poll_event(void *opaque, SimTime now)
{
    Uart16550 *s = opaque;
    s->poll_when = 0;
    unsigned before = s->rx_count;
    if (!poll_input(s) && before && s->rx_count) {
        s->timeout_ipending = 1;
        update_irq(s);
    }
    schedule_poll(s, now);
}

static uint8_t read_rbr(Uart16550 *s)
{
    if (!s->rx_count)
        poll_input(s);
    uint8_t c = s->rx_fifo[s->rx_pos];
    if (s->rx_count) {
        s->rx_count--;
        s->rx_pos = (s->rx_pos + 1) % UART16550_FIFO_DEPTH;
    }
    s->timeout_ipending = 0;
    return c;
}

static uint8_t read_reg(Uart16550 *s, unsigned off)
{
    bool dlab = s->lcr & UART_LCR_DLAB;
    switch (off) {
    case UART_RBR:
        return dlab ? s->dll : read_rbr(s);
    case UART_IER:
        return dlab ? s->dlm : s->ier;
    case UART_IIR: {
        uint8_t id = iir_id(s);
        if (id == UART_IIR_THRI)
            s->thr_ipending = 0;          /* reading IIR with THRE the source clears it */
        return id | ((s->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO : 0);
    }
    case UART_LCR:
        return s->lcr;
    case UART_MCR:
        return s->mcr;
    case UART_LSR: {
        if (!s->rx_count)
            poll_input(s);
        uint8_t lsr = UART_LSR_THRE | UART_LSR_TEMT | s->lsr_err | (s->rx_count ? UART_LSR_DR : 0);
        s->lsr_err = 0;
        return lsr;
    }
    case UART_MSR: {
        uint8_t v = s->msr;
        if (s->mcr & UART_MCR_LOOP)   /* loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
            v = (uint8_t)(((s->mcr & 1) << 5) | ((s->mcr & 2) << 3) | ((s->mcr & 4) << 4) |
                          ((s->mcr & 8) << 4));
        s->msr &= 0xf0;                  /* the delta bits clear on read */
        return v;
    }
    default:
        return s->scr;
    }
}

static void write_reg(Uart16550 *s, unsigned off, uint8_t v)
{
    bool dlab = s->lcr & UART_LCR_DLAB;
    switch (off) {
    case UART_THR:
        if (dlab) {
            s->dll = v;
            break;
        }
        if (s->mcr & UART_MCR_LOOP)
            uart16550_receive(s, v);
        else
            machine_output(s->m, v);
        s->thr_ipending = 1;               /* sent at once: THR is empty again */
        break;
    case UART_IER:
        if (dlab) {
            s->dlm = v;
            break;
        }
        /* enabling ETBEI with THR empty raises the THR-empty interrupt at once */
        if ((v & UART_IER_THRI) && !(s->ier & UART_IER_THRI))
            s->thr_ipending = 1;
        s->ier = v & 0x0f;
        schedule_poll(s, pc_now(s->m));
        break;
    case UART_FCR:
        if ((v ^ s->fcr) & UART_FCR_ENABLE || (v & UART_FCR_CLEAR_RX)) {
            s->rx_count = s->rx_pos = 0;   /* switching FIFO mode or a reset empties it */
            s->timeout_ipending = 0;
        }
        s->fcr = v & 0xc9;                 /* enable, DMA mode, trigger; the resets self-clear */
        break;
    case UART_LCR:
        s->lcr = v;
        break;
    case UART_MCR:
        s->mcr = v & 0x1f;
        break;
    case UART_LSR:
    case UART_MSR:
        break;                             /* read-only (factory test writes): ignored */
    default:
        s->scr = v;
        break;
    }
    update_irq(s);
}

uint64_t uart16550_read(void *opaque, uint64_t off, unsigned size)
{
    Uart16550 *s = opaque;
    (void)size;               /* an 8-bit device: a wider read gives the register, zero above */
    uint64_t v = read_reg(s, (unsigned)off & 7);
    update_irq(s);
    return v;
}

void uart16550_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    (void)size;               /* an 8-bit device: a wider write reaches the first register */
    write_reg(opaque, (unsigned)off & 7, (uint8_t)val);
}

static const MmioOps uart_ops = { uart16550_read, uart16550_write };

void uart16550_reset(Uart16550 *s)
{
    memset(s->rx_fifo, 0, sizeof s->rx_fifo);
    s->rx_pos = s->rx_count = 0;
    s->ier = s->mcr = s->scr = s->dlm = s->fcr = 0;
    s->lcr = 0;
    s->dll = 0x0c;            /* 9600 baud from the 1.8432 MHz clock, as QEMU's reset */
    s->msr = UART_MSR_DEFAULT;
    s->lsr_err = s->thr_ipending = s->timeout_ipending = 0;
    s->poll_when = 0;
    if (s->m)
        evq_cancel(&s->m->evq, &s->poll_ev);
    update_irq(s);
}

static void uart_post_load(void *obj, SimTime now)
{
    Uart16550 *s = obj;
    (void)now;
    s->irq_level = iir_id(s) != UART_IIR_NONE;
    evq_cancel(&s->m->evq, &s->poll_ev);
    if (s->poll_when)
        evq_schedule(&s->m->evq, &s->poll_ev, s->poll_when);
}

Uart16550 *uart16550_new(Machine *m, const char *name, uint16_t base, int in_fd)
{
    Uart16550 *s = g_new0(Uart16550, 1);
    s->m = m;
    s->in_fd = in_fd;
    event_init(&s->poll_ev, "uart16550-rx-poll", EVQ_PRIO_DEVICE, poll_event, s);
    uart16550_reset(s);
    if (bus_add_mmio(&m->io, name, base, 8, &uart_ops, s) < 0) {
        g_free(s);
        return NULL;
    }
    machine_add_object(m, name, &uart16550_state_desc, s)->post_load = uart_post_load;
    return s;
}

void uart16550_connect_irq(Uart16550 *s, IrqLine line)
{
    s->irq = line;
    irq_set(&s->irq, s->irq_level);
}

void uart16550_free(Uart16550 *s)
{
    if (!s)
        return;
    if (s->m)
        evq_cancel(&s->m->evq, &s->poll_ev);
    g_free(s);
}
