/* Intel 8254 programmable interval timer (datasheet 231164), as the PC wires it.
 *
 * The counters run from simulated time: elapsed ticks = ticks(now) - ticks(load_time) at
 * 1.193182 MHz, so no event runs for a counter nobody watches. Channel 0's output reaches
 * IRQ 0 through one event at its next edge: mode 0 raises it at terminal count (and a new
 * count lowers it), modes 2 and 3 give one rising edge per period (a pulse, since the
 * interrupt controllers take edges). Channel 2 counts while its gate (port 0x61 bit 0) is
 * high; a rising gate restarts it, which covers what Linux and bare-metal code do with it
 * (the one-shot calibration loop polling OUT2 in port 0x61 bit 5). Modes 1 and 5 count like
 * 0 and 4 from the gate's rising edge; BCD counting is accepted and counted in binary. */
#include "devices/pit.h"
#include <string.h>
#include "devices/pc_clock.h"

static const StateField ch_fields[] = {
    STATE_FIELD(PitChannel, load_time, V_RANGE(0, MACHINE_TIME_MAX)),
    STATE_FIELD(PitChannel, count, V_RANGE(1, 65536)),
    STATE_FIELD(PitChannel, latch, V_ANY),
    STATE_FIELD(PitChannel, mode, V_RANGE(0, 5)),
    STATE_FIELD(PitChannel, rw_mode, V_RANGE(1, 3)),
    STATE_FIELD(PitChannel, bcd, V_BOOL),
    STATE_FIELD(PitChannel, gate, V_BOOL),
    STATE_FIELD(PitChannel, latched, V_RANGE(0, 3)),
    STATE_FIELD(PitChannel, status_latched, V_BOOL),
    STATE_FIELD(PitChannel, status, V_ANY),
    STATE_FIELD(PitChannel, read_msb, V_BOOL),
    STATE_FIELD(PitChannel, write_msb, V_BOOL),
    STATE_FIELD(PitChannel, write_lsb, V_ANY),
};
/* The three channels are saved as one array of bytes each described above; the Pit's own
 * description lists them as a byte array and the test of PitChannel's table proves the
 * layout has no undeclared member. */
const StateDesc pit_channel_state_desc = STATE_DESC("pit_channel", PitChannel, ch_fields);
static const StateField pit_fields[] = {
    STATE_FIELD(Pit, ch, V_REL),
    STATE_FIELD(Pit, irq_when, V_RANGE(0, MACHINE_TIME_MAX)),
    STATE_FIELD(Pit, speaker, V_BOOL),
    STATE_FIELD(Pit, irq_high, V_BOOL),
    STATE_RUNTIME(Pit, pad0),
    STATE_RUNTIME(Pit, m),
    STATE_RUNTIME(Pit, irq),
    STATE_RUNTIME(Pit, ev),
};
static bool pit_check(const void *obj, char **err)
{
    const Pit *p = obj;
    for (int i = 0; i < 3; i++)
        if (!state_validate(&pit_channel_state_desc, &p->ch[i], err))
            return false;
    return true;
}
const StateDesc pit_state_desc = STATE_DESC_CHECKED("pit", Pit, pit_fields, pit_check);

static uint64_t ticks_at(SimTime t)
{
    return (uint64_t)((unsigned __int128)t * PIT_HZ / PS_PER_S);
}

/* The first time at which ticks_at() reaches n. */
static SimTime time_of_tick(uint64_t n)
{
    return (SimTime)(((unsigned __int128)n * PS_PER_S + PIT_HZ - 1) / PIT_HZ);
}

static SimTime now(const Pit *p)
{
    return pc_now(p->m);
}

/* Ticks counted since the channel was loaded (0 while its gate holds it). */
static uint64_t elapsed(const Pit *p, const PitChannel *c)
{
    if (!c->gate)
        return 0;
    SimTime t = now(p);
    return t > c->load_time ? ticks_at(t) - ticks_at(c->load_time) : 0;
}

static uint16_t count_of(const PitChannel *c, uint64_t d)
{
    switch (c->mode) {
    case 2:
        return (uint16_t)(c->count - d % c->count);
    case 3:
        return (uint16_t)(c->count - (2 * d) % c->count);
    default:                  /* 0, 1, 4, 5: count down and wrap */
        return (uint16_t)((c->count - d) & 0xffff);
    }
}

static int out_of(const PitChannel *c, uint64_t d)
{
    switch (c->mode) {
    case 0:
    case 1:
        return d >= c->count;
    case 2:                   /* low for one tick at the end of each period */
        return d % c->count != c->count - 1;
    case 3:
        return d % c->count < (c->count + 1) / 2;
    default:                  /* 4, 5: a one-tick low pulse at terminal count */
        return d != c->count;
    }
}

uint16_t pit_get_count(Pit *p, int ch)
{
    return count_of(&p->ch[ch], elapsed(p, &p->ch[ch]));
}

int pit_get_out(Pit *p, int ch)
{
    return out_of(&p->ch[ch], elapsed(p, &p->ch[ch]));
}

/* Channel 0: the time of its next rising output edge after `t` (0: none). */
static SimTime next_edge(const Pit *p)
{
    const PitChannel *c = &p->ch[0];
    uint64_t d = elapsed(p, c), base = ticks_at(c->load_time);
    if (!c->gate)
        return 0;
    switch (c->mode) {
    case 0:
    case 1:
    case 4:
    case 5:
        return d < c->count ? time_of_tick(base + c->count) : 0;
    default:                  /* periodic: an edge at every multiple of the period */
        return time_of_tick(base + (d / c->count + 1) * c->count);
    }
}

static void set_irq(Pit *p, int level)
{
    if (level != p->irq_high) {
        p->irq_high = (uint8_t)level;
        irq_set(&p->irq, level);
    }
}

static void schedule(Pit *p)
{
    evq_cancel(&p->m->evq, &p->ev);
    p->irq_when = next_edge(p);
    if (p->irq_when)
        evq_schedule(&p->m->evq, &p->ev, p->irq_when);
}

static void edge_event(void *opaque, SimTime t)
{
    Pit *p = opaque;
    (void)t;
    p->irq_when = 0;
    if (p->ch[0].mode == 0 || p->ch[0].mode == 1) {
        set_irq(p, 1);        /* stays high until the channel is written again */
    } else {
        set_irq(p, 1);        /* a pulse: the controllers latch the edge */
        set_irq(p, 0);
    }
    schedule(p);
}

static void load(Pit *p, int i, uint32_t v)
{
    PitChannel *c = &p->ch[i];
    c->count = v ? v : 65536;
    c->load_time = now(p);
    if (i == 0) {
        set_irq(p, 0);
        schedule(p);
    }
}

static void write_control(Pit *p, uint8_t v)
{
    int i = v >> 6;
    if (i == 3) {             /* read-back: bit 5 clear latches counts, bit 4 clear status */
        for (int k = 0; k < 3; k++) {
            PitChannel *c = &p->ch[k];
            if (!(v & (2 << k)))
                continue;
            if (!(v & 0x20) && !c->latched) {
                c->latch = pit_get_count(p, k);
                c->latched = c->rw_mode;
            }
            if (!(v & 0x10) && !c->status_latched) {
                c->status = (uint8_t)((pit_get_out(p, k) << 7) | (c->rw_mode << 4) |
                                      (c->mode << 1) | c->bcd);
                c->status_latched = 1;
            }
        }
        return;
    }
    PitChannel *c = &p->ch[i];
    unsigned rw = (v >> 4) & 3;
    if (rw == 0) {            /* counter latch command */
        if (!c->latched) {
            c->latch = pit_get_count(p, i);
            c->latched = c->rw_mode;
        }
        return;
    }
    c->rw_mode = (uint8_t)rw;
    c->mode = (uint8_t)((v >> 1) & 7);
    if (c->mode > 5)
        c->mode -= 4;         /* 6 and 7 are modes 2 and 3 */
    c->bcd = v & 1;
    c->read_msb = c->write_msb = 0;
    c->latched = 0;
    if (i == 0) {             /* a new mode: OUT0 goes low (mode 0) until counting ends */
        set_irq(p, 0);
        evq_cancel(&p->m->evq, &p->ev);
        p->irq_when = 0;
    }
}

static uint8_t read_counter(Pit *p, int i)
{
    PitChannel *c = &p->ch[i];
    if (c->status_latched) {
        c->status_latched = 0;
        return c->status;
    }
    uint16_t v = c->latched ? c->latch : pit_get_count(p, i);
    unsigned access = c->latched ? c->latched : c->rw_mode;
    uint8_t r;
    if (access == 1) {
        r = (uint8_t)v;
        c->latched = 0;
    } else if (access == 2) {
        r = (uint8_t)(v >> 8);
        c->latched = 0;
    } else {
        r = c->read_msb ? (uint8_t)(v >> 8) : (uint8_t)v;
        if (c->read_msb)
            c->latched = 0;
        c->read_msb ^= 1;
    }
    return r;
}

static void write_counter(Pit *p, int i, uint8_t v)
{
    PitChannel *c = &p->ch[i];
    if (c->rw_mode == 1) {
        load(p, i, v);
    } else if (c->rw_mode == 2) {
        load(p, i, (uint32_t)v << 8);
    } else if (!c->write_msb) {
        c->write_lsb = v;
        c->write_msb = 1;
    } else {
        c->write_msb = 0;
        load(p, i, c->write_lsb | (uint32_t)v << 8);
    }
}

/* Port 0x61: bit 0 gate 2, bit 1 speaker, bit 4 the refresh toggle
 * (every 15.085 us, from simulated time), bit 5 OUT2. */
static uint8_t read_port61(Pit *p)
{
    uint64_t refresh = (now(p) / (15085 * PS_PER_NS / 1000)) & 1;
    return (uint8_t)(p->ch[2].gate | (p->speaker << 1) | (refresh << 4) |
                     (pit_get_out(p, 2) << 5));
}

static void write_port61(Pit *p, uint8_t v)
{
    PitChannel *c = &p->ch[2];
    if ((v & 1) && !c->gate)
        c->load_time = now(p);   /* the rising gate (re)starts the count */
    c->gate = v & 1;
    p->speaker = (v >> 1) & 1;
}

uint64_t pit_read(void *opaque, uint64_t off, unsigned size)
{
    Pit *p = opaque;
    (void)size;
    if (off < 3)
        return read_counter(p, (int)off);
    return 0xff;              /* the control word is write-only */
}

void pit_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    Pit *p = opaque;
    (void)size;
    if (off < 3)
        write_counter(p, (int)off, (uint8_t)val);
    else if (off == 3)
        write_control(p, (uint8_t)val);
}

static uint64_t port61_read(void *opaque, uint64_t off, unsigned size)
{
    (void)off, (void)size;
    return read_port61(opaque);
}

static void port61_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    (void)off, (void)size;
    write_port61(opaque, (uint8_t)val);
}

static const MmioOps pit_ops = { pit_read, pit_write };
static const MmioOps port61_ops = { port61_read, port61_write };

static void pit_post_load(void *obj, SimTime t)
{
    Pit *p = obj;
    (void)t;
    evq_cancel(&p->m->evq, &p->ev);
    if (p->irq_when)
        evq_schedule(&p->m->evq, &p->ev, p->irq_when);
}

Pit *pit_new(Machine *m, const char *name)
{
    Pit *p = g_new0(Pit, 1);
    p->m = m;
    event_init(&p->ev, "pit-irq0", EVQ_PRIO_TIMER, edge_event, p);
    for (int i = 0; i < 3; i++) {
        p->ch[i].count = 65536;
        p->ch[i].rw_mode = 3;
        p->ch[i].gate = i != 2;  /* channels 0 and 1 are gated on; 2 by port 0x61 */
    }
    /* the counters, then port 0x61 as a second region of the same device */
    if (bus_add_mmio(&m->io, name, 0x40, 4, &pit_ops, p) < 0 ||
        bus_add_mmio(&m->io, "port61", 0x61, 1, &port61_ops, p) < 0) {
        g_free(p);
        return NULL;
    }
    machine_add_object(m, name, &pit_state_desc, p)->post_load = pit_post_load;
    return p;
}

void pit_connect_irq(Pit *p, IrqLine line)
{
    p->irq = line;
    irq_set(&p->irq, p->irq_high);
}

void pit_free(Pit *p)
{
    if (!p)
        return;
    if (p->m)
        evq_cancel(&p->m->evq, &p->ev);
    g_free(p);
}
