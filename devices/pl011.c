/* Arm PrimeCell UART PL011 (ARM DDI 0183G).
 *
 * Transmit: a write to DR goes straight to the machine's console output, so the TX FIFO is
 * always empty (FR.TXFE = 1, BUSY = 0) and, as on QEMU's model, each write raises TXRIS.
 * Receive: host input is read without blocking only when the guest looks for it (FR or DR
 * read with an empty RX FIFO) and, while an RX interrupt is unmasked, by an event every
 * 1 ms of simulated time. RXRIS follows the FIFO level against the IFLS trigger (TRM 3.4.3,
 * "UARTRXINTR"); with the FIFOs disabled the holding register acts as a one-entry FIFO with
 * a trigger level of one character. RTRIS (receive timeout) is raised by a poll that finds
 * characters waiting and no new ones arrived. */
#include "devices/pl011.h"
#include <string.h>

#define PL011_POLL_PS (1000000ULL * PS_PER_NS)   /* 1 ms */

/* Peripheral and PrimeCell identification (UARTPeriphID0..3, UARTPCellID0..3), QEMU's values. */
static const uint8_t pl011_id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

static const StateField pl011_fields[] = {
    STATE_ARRAY(Pl011, rx_fifo, V_RANGE(0, 0xfff)),
    STATE_FIELD(Pl011, rx_pos, V_RANGE(0, PL011_FIFO_DEPTH - 1)),
    STATE_FIELD(Pl011, rx_count, V_REL),
    STATE_FIELD(Pl011, rsr, V_RANGE(0, 0xf)),
    STATE_FIELD(Pl011, ilpr, V_RANGE(0, 0xff)),
    STATE_FIELD(Pl011, ibrd, V_RANGE(0, 0xffff)),
    STATE_FIELD(Pl011, fbrd, V_RANGE(0, 0x3f)),
    STATE_FIELD(Pl011, lcr_h, V_RANGE(0, 0xff)),
    STATE_FIELD(Pl011, cr, V_RANGE(0, 0xffff)),
    STATE_FIELD(Pl011, ifls, V_RANGE(0, 0x3f)),
    STATE_FIELD(Pl011, imsc, V_RANGE(0, PL011_INT_ALL)),
    STATE_FIELD(Pl011, ris, V_RANGE(0, PL011_INT_ALL)),
    STATE_FIELD(Pl011, dmacr, V_RANGE(0, 7)),
    STATE_FIELD(Pl011, poll_when, V_RANGE(0, MACHINE_TIME_MAX)),
    STATE_DERIVED(Pl011, irq_level),
    STATE_RUNTIME(Pl011, m),
    STATE_RUNTIME(Pl011, irq),
    STATE_RUNTIME(Pl011, in_fd),
    STATE_RUNTIME(Pl011, in_eof),
    STATE_RUNTIME(Pl011, pad_),
    STATE_RUNTIME(Pl011, poll_ev),
};
static unsigned fifo_depth(const Pl011 *s);
/* Relations: the FIFO holds at most its depth (one character with the FIFOs off). */
static bool pl011_check_state(const void *obj, char **err)
{
    const Pl011 *s = obj;
    if (s->rx_count <= fifo_depth(s))
        return true;
    *err = g_strdup_printf("rx_count = %u, but the receive FIFO holds %u", s->rx_count,
                           fifo_depth(s));
    return false;
}
const StateDesc pl011_state_desc = STATE_DESC_CHECKED("pl011", Pl011, pl011_fields, pl011_check_state);

static unsigned fifo_depth(const Pl011 *s)
{
    return (s->lcr_h & PL011_LCR_FEN) ? PL011_FIFO_DEPTH : 1;
}

/* RX trigger level in characters: IFLS.RXIFLSEL (bits 5:3) selects 1/8..7/8 of the FIFO. */
static unsigned rx_trigger(const Pl011 *s)
{
    static const unsigned lvl[8] = { 2, 4, 8, 12, 14, 8, 8, 8 };   /* reserved codes: 1/2 */
    if (!(s->lcr_h & PL011_LCR_FEN))
        return 1;
    return lvl[(s->ifls >> 3) & 7];
}

static void update_irq(Pl011 *s)
{
    int level = (s->ris & s->imsc) != 0;
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set(&s->irq, level);
    }
}

static void poll_event(void *opaque, SimTime now);

static bool rx_irq_unmasked(const Pl011 *s)
{
    return (s->imsc & (PL011_INT_RX | PL011_INT_RT)) != 0;
}

/* Schedules the next RX poll 1 ms after `now` if an RX interrupt is unmasked. */
static void schedule_poll(Pl011 *s, SimTime now)
{
    /* Scheduled whether or not there is host input, so that the machine's events (and with
     * them the slices of the cores) never depend on the host. */
    if (rx_irq_unmasked(s) && !event_pending(&s->poll_ev)) {
        s->poll_when = now + PL011_POLL_PS;
        evq_schedule(&s->m->evq, &s->poll_ev, s->poll_when);
    }
}

bool pl011_receive(Pl011 *s, uint8_t ch)
{
    if (s->rx_count >= fifo_depth(s))
        return false;
    unsigned slot = (s->rx_pos + s->rx_count) % PL011_FIFO_DEPTH;
    s->rx_fifo[slot] = ch;
    s->rx_count++;
    if (s->rx_count >= rx_trigger(s))
        s->ris |= PL011_INT_RX;
    update_irq(s);
    return true;
}

/* One input read attempt (never blocks): the machine reads the host, or its input log when
 * recording, replaying or re-executing. Returns how many characters arrived. */
static unsigned poll_input(Pl011 *s)
{
    fflush(s->m->out);        /* a prompt is on screen before the guest waits for input */
    if (s->rx_count >= fifo_depth(s))
        return 0;
    uint8_t buf[PL011_FIFO_DEPTH];
    size_t n = machine_input(s->m, s->in_fd, &s->in_eof, buf, fifo_depth(s) - s->rx_count);
    for (size_t i = 0; i < n; i++)
        pl011_receive(s, buf[i]);
    return (unsigned)n;
}

static void poll_event(void *opaque, SimTime now)
{
    Pl011 *s = opaque;
    s->poll_when = 0;
    unsigned before = s->rx_count;
    unsigned got = poll_input(s);
    if (!got && before && s->rx_count) {
        s->ris |= PL011_INT_RT;
        update_irq(s);
    }
    schedule_poll(s, now);
}

static uint32_t read_dr(Pl011 *s)
{
    if (!s->rx_count)
        poll_input(s);
    uint32_t c = s->rx_fifo[s->rx_pos];
    if (s->rx_count) {
        s->rx_count--;
        s->rx_pos = (s->rx_pos + 1) % PL011_FIFO_DEPTH;
    }
    if (s->rx_count < rx_trigger(s))
        s->ris &= ~PL011_INT_RX;
    if (!s->rx_count)
        s->ris &= ~PL011_INT_RT;
    s->rsr = (c >> 8) & 0xf;
    update_irq(s);
    return c;
}

static uint32_t read_reg(Pl011 *s, uint64_t off)
{
    switch (off) {
    case PL011_DR:
        return read_dr(s);
    case PL011_RSR:
        return s->rsr;
    case PL011_FR: {
        if (!s->rx_count)
            poll_input(s);
        uint32_t fr = PL011_FR_TXFE;
        if (!s->rx_count)
            fr |= PL011_FR_RXFE;
        if (s->rx_count >= fifo_depth(s))
            fr |= PL011_FR_RXFF;
        return fr;
    }
    case PL011_ILPR: return s->ilpr;
    case PL011_IBRD: return s->ibrd;
    case PL011_FBRD: return s->fbrd;
    case PL011_LCR_H: return s->lcr_h;
    case PL011_CR: return s->cr;
    case PL011_IFLS: return s->ifls;
    case PL011_IMSC: return s->imsc;
    case PL011_RIS: return s->ris;
    case PL011_MIS: return s->ris & s->imsc;
    case PL011_DMACR: return s->dmacr;
    default:
        if (off >= PL011_PERIPHID0 && off <= 0xffc)
            return pl011_id[(off - PL011_PERIPHID0) >> 2];
        return 0;             /* reserved, ICR (write-only): read as zero */
    }
}

static void write_reg(Pl011 *s, uint64_t off, uint32_t v)
{
    switch (off) {
    case PL011_DR:
        /* Sent at once whatever UARTEN/TXE say, as QEMU does (bare-metal code often never
         * enables the UART); the FIFO drains instantly and TXRIS is raised. */
        machine_output(s->m, (uint8_t)v);
        s->ris |= PL011_INT_TX;
        break;
    case PL011_RSR:           /* UARTECR: any write clears the error flags */
        s->rsr = 0;
        break;
    case PL011_ILPR: s->ilpr = v & 0xff; break;
    case PL011_IBRD: s->ibrd = v & 0xffff; break;
    case PL011_FBRD: s->fbrd = v & 0x3f; break;
    case PL011_LCR_H:
        if ((s->lcr_h ^ v) & PL011_LCR_FEN) {   /* switching FIFO mode empties the FIFO */
            s->rx_count = 0;
            s->rx_pos = 0;
            s->ris &= ~(PL011_INT_RX | PL011_INT_RT);
        }
        s->lcr_h = v & 0xff;
        break;
    case PL011_CR: s->cr = v & 0xff87; break;
    case PL011_IFLS: s->ifls = v & 0x3f; break;
    case PL011_IMSC:
        s->imsc = v & PL011_INT_ALL;
        schedule_poll(s, machine_time(s->m));
        break;
    case PL011_ICR: s->ris &= ~(v & PL011_INT_ALL); break;
    case PL011_DMACR: s->dmacr = v & 7; break;
    default:
        break;                /* read-only or reserved: ignored */
    }
    update_irq(s);
}

uint64_t pl011_read(void *opaque, uint64_t off, unsigned size)
{
    Pl011 *s = opaque;
    uint32_t v = read_reg(s, off & ~3ULL) >> (8 * (off & 3));
    return size >= 4 ? v : v & ((1u << (8 * size)) - 1);
}

void pl011_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    Pl011 *s = opaque;
    if (off & 3)
        return;               /* sub-word write into the middle of a register: ignored */
    if (size < 4)
        val &= (1ULL << (8 * size)) - 1;
    write_reg(s, off, (uint32_t)val);
}

static const MmioOps pl011_ops = { pl011_read, pl011_write };

void pl011_reset(Pl011 *s)
{
    memset(s->rx_fifo, 0, sizeof s->rx_fifo);
    s->rx_pos = s->rx_count = 0;
    s->rsr = s->ilpr = s->ibrd = s->fbrd = s->lcr_h = 0;
    s->cr = 0x300;            /* TXE | RXE */
    s->ifls = 0x12;           /* 1/2 full for both FIFOs */
    s->imsc = s->ris = s->dmacr = 0;
    s->poll_when = 0;
    if (s->m)
        evq_cancel(&s->m->evq, &s->poll_ev);
    update_irq(s);
}

/* After a snapshot load: the interrupt level is derived, the poll event follows poll_when. */
static void pl011_post_load(void *obj, SimTime now)
{
    Pl011 *s = obj;
    (void)now;
    s->irq_level = (s->ris & s->imsc) != 0;
    evq_cancel(&s->m->evq, &s->poll_ev);
    if (s->poll_when)
        evq_schedule(&s->m->evq, &s->poll_ev, s->poll_when);
}

Pl011 *pl011_new(Machine *m, const char *name, uint64_t base, int in_fd)
{
    Pl011 *s = g_new0(Pl011, 1);
    s->m = m;
    s->in_fd = in_fd;
    event_init(&s->poll_ev, "pl011-rx-poll", EVQ_PRIO_DEVICE, poll_event, s);
    pl011_reset(s);
    if (bus_add_mmio(&m->bus, name, base, PL011_MMIO_SIZE, &pl011_ops, s) < 0) {
        g_free(s);
        return NULL;
    }
    machine_add_object(m, name, &pl011_state_desc, s)->post_load = pl011_post_load;
    return s;
}

void pl011_connect_irq(Pl011 *s, IrqLine line)
{
    s->irq = line;
    irq_set(&s->irq, s->irq_level);
}

void pl011_free(Pl011 *s)
{
    if (!s)
        return;
    if (s->m)
        evq_cancel(&s->m->evq, &s->poll_ev);
    g_free(s);
}
