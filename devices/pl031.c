/* Arm PrimeCell Real Time Clock PL031 (ARM DDI 0224B).
 *
 * The counter (RTCDR) is tick_offset + whole seconds of simulated time, so it never depends
 * on the host: the board gives the value at time 0 (-rtc base=, a fixed date by default).
 * Writing RTCLR loads the counter (tick_offset is rebased). RTCStart (RTCCR bit 0) reads as
 * 1 from reset: the counter always runs, as on QEMU's model, and TRM 3.3.4 says writes to it
 * have no effect once it is set.
 *
 * Match interrupt (TRM 2.2.3, 3.3.2): RTCINTR is raised when the counter becomes equal to
 * RTCMR. hvsim computes the simulated second at which that happens next and schedules one
 * event there; a match value the counter reaches only after the end of simulated time (the
 * counter wraps after 136 years, simulated time ends after 53 days) schedules nothing.
 * Writing RTCMR equal to the current value raises the interrupt at once (the counter equals
 * it). QEMU raises it also for a match value in the past (a signed comparison in
 * pl031_set_alarm); the TRM asks for equality, which hvsim follows. */
#include "devices/pl031.h"
#include <string.h>

/* Peripheral and PrimeCell identification (RTCPeriphID0..3, RTCPCellID0..3): QEMU's values */
static const uint8_t pl031_id[8] = { 0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

static const StateField pl031_fields[] = {
    STATE_FIELD(Pl031, tick_offset, V_ANY),
    STATE_FIELD(Pl031, mr, V_ANY),
    STATE_FIELD(Pl031, lr, V_ANY),
    STATE_FIELD(Pl031, cr, V_RANGE(1, 1)),
    STATE_FIELD(Pl031, imsc, V_BOOL),
    STATE_FIELD(Pl031, ris, V_BOOL),
    STATE_FIELD(Pl031, match_when, V_RANGE(0, MACHINE_TIME_MAX)),
    STATE_DERIVED(Pl031, irq_level),
    STATE_RUNTIME(Pl031, m),
    STATE_RUNTIME(Pl031, irq),
    STATE_RUNTIME(Pl031, pad_),
    STATE_RUNTIME(Pl031, match_ev),
};
const StateDesc pl031_state_desc = STATE_DESC("pl031", Pl031, pl031_fields);

static uint32_t counter_at(const Pl031 *s, SimTime t)
{
    return s->tick_offset + (uint32_t)(t / PS_PER_S);
}

static void update_irq(Pl031 *s)
{
    int level = (s->ris & s->imsc & 1) != 0;
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set(&s->irq, level);
    }
}

/* Schedules the match event at the next second, after `now`, at which the counter equals
 * RTCMR (or none when that lies beyond the end of simulated time). */
static void schedule_match(Pl031 *s, SimTime now)
{
    evq_cancel(&s->m->evq, &s->match_ev);
    s->match_when = 0;
    uint64_t sec = now / PS_PER_S;
    uint32_t ahead = s->mr - counter_at(s, now);   /* whole seconds until it equals MR */
    if (ahead == 0) {
        s->ris |= 1;          /* equal now; the next equality is a wrap (2^32 s) away */
    } else if (sec + ahead < MACHINE_TIME_MAX / PS_PER_S) {
        s->match_when = (sec + ahead) * PS_PER_S;
        evq_schedule(&s->m->evq, &s->match_ev, s->match_when);
    }
    update_irq(s);
}

static void match_event(void *opaque, SimTime now)
{
    Pl031 *s = opaque;
    s->match_when = 0;
    s->ris |= 1;
    update_irq(s);
    (void)now;                /* the next equality is 2^32 s away: beyond simulated time */
}

uint64_t pl031_read(void *opaque, uint64_t off, unsigned size)
{
    Pl031 *s = opaque;
    uint32_t v;
    switch (off & ~3ULL) {
    case PL031_DR: v = counter_at(s, machine_time(s->m)); break;
    case PL031_MR: v = s->mr; break;
    case PL031_LR: v = s->lr; break;
    case PL031_CR: v = s->cr; break;
    case PL031_IMSC: v = s->imsc; break;
    case PL031_RIS: v = s->ris; break;
    case PL031_MIS: v = s->ris & s->imsc; break;
    default:
        if (off >= PL031_PERIPHID0 && off <= 0xffc)
            v = pl031_id[(off - PL031_PERIPHID0) >> 2];
        else
            v = 0;            /* reserved, RTCICR (write-only): read as zero */
        break;
    }
    v >>= 8 * (off & 3);
    return size >= 4 ? v : v & ((1u << (8 * size)) - 1);
}

void pl031_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    Pl031 *s = opaque;
    if ((off & 3) || size < 4)
        return;               /* the registers are 32-bit: partial writes are ignored */
    uint32_t v = (uint32_t)val;
    SimTime now = machine_time(s->m);
    switch (off) {
    case PL031_MR:
        s->mr = v;
        schedule_match(s, now);
        break;
    case PL031_LR:
        s->lr = v;
        s->tick_offset = v - (uint32_t)(now / PS_PER_S);
        schedule_match(s, now);
        break;
    case PL031_CR:
        break;                /* RTCStart is set from reset; TRM 3.3.4: writes have no effect */
    case PL031_IMSC:
        s->imsc = v & 1;
        break;
    case PL031_ICR:
        s->ris &= ~(v & 1);
        break;
    default:
        break;                /* read-only or reserved: ignored */
    }
    update_irq(s);
}

static const MmioOps pl031_ops = { pl031_read, pl031_write };

/* After a snapshot load: the interrupt level is derived, the match event follows match_when. */
static void pl031_post_load(void *obj, SimTime now)
{
    Pl031 *s = obj;
    (void)now;
    s->irq_level = (s->ris & s->imsc & 1) != 0;
    evq_cancel(&s->m->evq, &s->match_ev);
    if (s->match_when)
        evq_schedule(&s->m->evq, &s->match_ev, s->match_when);
}

Pl031 *pl031_new(Machine *m, const char *name, uint64_t base, uint64_t epoch)
{
    Pl031 *s = g_new0(Pl031, 1);
    s->m = m;
    event_init(&s->match_ev, "pl031-match", EVQ_PRIO_DEVICE, match_event, s);
    s->tick_offset = (uint32_t)epoch;
    s->cr = 1;
    if (bus_add_mmio(&m->bus, name, base, PL031_MMIO_SIZE, &pl031_ops, s) < 0) {
        g_free(s);
        return NULL;
    }
    machine_add_object(m, name, &pl031_state_desc, s)->post_load = pl031_post_load;
    return s;
}

void pl031_connect_irq(Pl031 *s, IrqLine line)
{
    s->irq = line;
    irq_set(&s->irq, s->irq_level);
}

void pl031_free(Pl031 *s)
{
    if (!s)
        return;
    evq_cancel(&s->m->evq, &s->match_ev);
    g_free(s);
}
