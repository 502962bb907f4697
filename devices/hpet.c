/* High Precision Event Timer (IA-PC HPET specification 1.0a, with QEMU hw/timer/hpet.c's
 * choices where the specification leaves room).
 *
 * The main counter runs at 100 MHz of simulated time while ENABLE_CNF is set: counter =
 * `counter` + (now - start) / 10 ns. Each comparator has one event at the time the counter
 * reaches it (the low 32 bits in 32-bit mode, wrapping like the counter). A match with the
 * interrupt enabled drives the timer's output: edge-triggered, one pulse; level-triggered,
 * the general interrupt status bit is set and the line stays high until software writes
 * 1 to that bit. Periodic mode: each match adds the period to the comparator; writing the
 * comparator sets the period (and the comparator itself only with Tn_VAL_SET_CNF, which
 * clears itself), as QEMU does. Outputs: the I/O APIC pin of Tn_INT_ROUTE_CNF, or in legacy
 * replacement mode timer 0 on ISA IRQ 0 and timer 1 on ISA IRQ 8. FSB (MSI) delivery is not
 * offered (Tn_FSB_INT_DEL_CAP clear). */
#include "devices/hpet.h"
#include <string.h>
#include "devices/pc_clock.h"

#define CAP_REV 0x01
#define CAP_COUNT_64 (1ULL << 13)
#define CAP_LEG_RT (1ULL << 15)
#define CAP_VENDOR (0x8086ULL << 16)
#define CONF_ENABLE 1ULL
#define CONF_LEGACY 2ULL
#define TN_LEVEL (1ULL << 1)
#define TN_INT_EN (1ULL << 2)
#define TN_PERIODIC (1ULL << 3)
#define TN_PER_CAP (1ULL << 4)
#define TN_SIZE_64 (1ULL << 5)
#define TN_SETVAL (1ULL << 6)
#define TN_32BIT (1ULL << 8)
#define TN_ROUTE_SHIFT 9
#define TN_WRITABLE (TN_LEVEL | TN_INT_EN | TN_PERIODIC | TN_SETVAL | TN_32BIT | (0x1fULL << 9))
#define PS_PER_COUNT (HPET_PERIOD_FS / 1000)

static const StateField timer_fields[] = {
    STATE_FIELD(HpetTimer, config, V_ANY),
    STATE_FIELD(HpetTimer, cmp, V_ANY),
    STATE_FIELD(HpetTimer, period, V_ANY),
    STATE_FIELD(HpetTimer, fsb, V_ANY),
    STATE_FIELD(HpetTimer, when, V_RANGE(0, MACHINE_TIME_MAX)),
};
const StateDesc hpet_timer_state_desc = STATE_DESC("hpet_timer", HpetTimer, timer_fields);
static bool hpet_check(const void *obj, char **err)
{
    const Hpet *h = obj;
    for (int i = 0; i < HPET_NTIMERS; i++)
        if (!state_validate(&hpet_timer_state_desc, &h->t[i], err))
            return false;
    return true;
}
static const StateField hpet_fields[] = {
    STATE_FIELD(Hpet, t, V_REL),
    STATE_FIELD(Hpet, config, V_RANGE(0, 3)),
    STATE_FIELD(Hpet, isr, V_RANGE(0, (1u << HPET_NTIMERS) - 1)),
    STATE_FIELD(Hpet, counter, V_ANY),
    STATE_FIELD(Hpet, start, V_RANGE(0, MACHINE_TIME_MAX)),
    STATE_FIELD(Hpet, level, V_RANGE(0, (1u << HPET_NTIMERS) - 1)),
    STATE_RUNTIME(Hpet, pad0),
    STATE_RUNTIME(Hpet, m),
    STATE_RUNTIME(Hpet, set_gsi),
    STATE_RUNTIME(Hpet, set_isa),
    STATE_RUNTIME(Hpet, opaque),
    STATE_RUNTIME(Hpet, ev),
};
const StateDesc hpet_state_desc = STATE_DESC_CHECKED("hpet", Hpet, hpet_fields, hpet_check);

static bool enabled(const Hpet *h)
{
    return h->config & CONF_ENABLE;
}

bool hpet_legacy(const Hpet *h)
{
    return (h->config & CONF_LEGACY) != 0;
}

static uint64_t counter_at(const Hpet *h, SimTime t)
{
    if (!enabled(h) || t < h->start)
        return h->counter;
    return h->counter + (t - h->start) / PS_PER_COUNT;
}

uint64_t hpet_counter(Hpet *h)
{
    return counter_at(h, pc_now(h->m));
}

/* The timer's output pin (an I/O APIC GSI, or -1 - ISA IRQ in legacy mode). */
static void drive(Hpet *h, int i, int level)
{
    uint32_t bit = 1u << i;
    if (!!(h->level & bit) == !!level)
        return;
    h->level = level ? h->level | bit : h->level & ~bit;
    if (hpet_legacy(h) && i < 2) {
        if (h->set_isa)
            h->set_isa(h->opaque, i == 0 ? 0 : 8, level);
    } else if (h->set_gsi) {
        h->set_gsi(h->opaque, (int)((h->t[i].config >> TN_ROUTE_SHIFT) & 0x1f), level);
    }
}

/* The time at which the counter next equals timer i's comparator (0: not while counting
 * or beyond simulated time). */
static SimTime match_time(const Hpet *h, int i, SimTime now)
{
    const HpetTimer *t = &h->t[i];
    if (!enabled(h))
        return 0;
    uint64_t c = counter_at(h, now), ahead;
    if (t->config & TN_32BIT)
        ahead = (uint32_t)((uint32_t)t->cmp - (uint32_t)c);
    else
        ahead = t->cmp - c;
    if (ahead == 0)
        ahead = (t->config & TN_32BIT) ? 1ULL << 32 : 0;   /* equal now: the next wrap */
    if (!ahead || ahead > (MACHINE_TIME_MAX - now) / PS_PER_COUNT)
        return 0;
    /* the instant the counter reaches c + ahead (counts start at h->start) */
    uint64_t n = c - h->counter + ahead;
    return h->start + n * PS_PER_COUNT;
}

static void schedule(Hpet *h, int i, SimTime now)
{
    evq_cancel(&h->m->evq, &h->ev[i]);
    h->t[i].when = match_time(h, i, now);
    if (h->t[i].when)
        evq_schedule(&h->m->evq, &h->ev[i], h->t[i].when);
}

static void fire(Hpet *h, int i)
{
    HpetTimer *t = &h->t[i];
    if (!(t->config & TN_INT_EN))
        return;
    if (t->config & TN_LEVEL) {
        h->isr |= 1u << i;
        drive(h, i, 1);
    } else {
        drive(h, i, 1);
        drive(h, i, 0);
    }
}

static void match_event(void *opaque, SimTime now)
{
    Hpet *h = opaque;
    int i = 0;
    /* which timer: the event's opaque is the Hpet, so find the due one */
    for (i = 0; i < HPET_NTIMERS; i++)
        if (h->t[i].when == now && !event_pending(&h->ev[i]))
            break;
    if (i == HPET_NTIMERS)
        return;
    HpetTimer *t = &h->t[i];
    t->when = 0;
    fire(h, i);
    if ((t->config & TN_PERIODIC) && t->period) {
        uint64_t c = counter_at(h, now);
        do {                  /* the next period after now */
            t->cmp += t->period;
        } while ((t->config & TN_32BIT) ? (int32_t)((uint32_t)t->cmp - (uint32_t)c) <= 0
                                        : (int64_t)(t->cmp - c) <= 0);
        if (t->config & TN_32BIT)
            t->cmp = (uint32_t)t->cmp;
    }
    schedule(h, i, now);
}

static void reschedule_all(Hpet *h, SimTime now)
{
    for (int i = 0; i < HPET_NTIMERS; i++)
        schedule(h, i, now);
}

static uint64_t read64(Hpet *h, uint64_t off)
{
    if (off == 0x000)
        return (HPET_PERIOD_FS << 32) | CAP_VENDOR | CAP_LEG_RT | CAP_COUNT_64 |
               ((uint64_t)(HPET_NTIMERS - 1) << 8) | CAP_REV;
    if (off == 0x010)
        return h->config;
    if (off == 0x020)
        return h->isr;
    if (off == 0x0f0)
        return hpet_counter(h);
    if (off >= 0x100 && off < 0x100 + 0x20 * HPET_NTIMERS) {
        HpetTimer *t = &h->t[(off - 0x100) / 0x20];
        switch ((off - 0x100) % 0x20) {
        case 0x00: return t->config;
        case 0x08: return t->cmp;
        case 0x10: return t->fsb;
        }
    }
    return 0;
}

static void write64(Hpet *h, uint64_t off, uint64_t v, uint64_t mask)
{
    SimTime now = pc_now(h->m);
    uint64_t old = read64(h, off), nv = (old & ~mask) | (v & mask);
    if (off == 0x010) {
        uint64_t was = h->config;
        if ((was & CONF_ENABLE) && !(nv & CONF_ENABLE))
            h->counter = counter_at(h, now);       /* halted: the count is kept */
        if (!(was & CONF_ENABLE) && (nv & CONF_ENABLE))
            h->start = now;
        /* a change of routing moves the timers' raised lines to their new pins */
        uint32_t lv = h->level;
        if ((was ^ nv) & CONF_LEGACY)
            for (int i = 0; i < 2; i++)
                drive(h, i, 0);
        h->config = nv & 3;
        if ((was ^ nv) & CONF_LEGACY)
            for (int i = 0; i < 2; i++)
                if (lv & (1u << i))
                    drive(h, i, 1);
        reschedule_all(h, now);
    } else if (off == 0x020) {
        uint64_t clr = v & mask & h->isr;
        h->isr &= ~clr;
        for (int i = 0; i < HPET_NTIMERS; i++)
            if (clr & (1u << i))
                drive(h, i, 0);
    } else if (off == 0x0f0) {
        if (enabled(h))
            return;           /* written only while halted (spec 2.3.4) */
        h->counter = nv;
        reschedule_all(h, now);
    } else if (off >= 0x100 && off < 0x100 + 0x20 * HPET_NTIMERS) {
        int i = (int)((off - 0x100) / 0x20);
        HpetTimer *t = &h->t[i];
        switch ((off - 0x100) % 0x20) {
        case 0x00: {
            uint64_t was = t->config;
            t->config = (t->config & ~TN_WRITABLE) | (nv & TN_WRITABLE);
            if (!(t->config & TN_LEVEL) && (was & TN_LEVEL)) {
                h->isr &= ~(1u << i);   /* edge now: no status to hold the line */
                drive(h, i, 0);
            }
            if (t->config & TN_32BIT) {
                t->cmp = (uint32_t)t->cmp;
                t->period = (uint32_t)t->period;
            }
            schedule(h, i, now);
            break;
        }
        case 0x08: {
            uint64_t val = (t->config & TN_32BIT) ? (uint32_t)nv : nv;
            uint64_t pmask = (t->config & TN_32BIT) ? 0xffffffffULL : mask;
            if (!(t->config & TN_PERIODIC) || (t->config & TN_SETVAL))
                t->cmp = val;
            if (t->config & TN_PERIODIC)
                t->period = (t->period & ~pmask) | (val & pmask);
            t->config &= ~TN_SETVAL;
            schedule(h, i, now);
            break;
        }
        case 0x10:
            t->fsb = nv;
            break;
        }
    }
}

uint64_t hpet_read(void *opaque, uint64_t off, unsigned size)
{
    Hpet *h = opaque;
    uint64_t v = read64(h, off & ~7ULL);
    if (size == 8)
        return v;
    v >>= 8 * (off & 7);
    return size >= 4 ? (uint32_t)v : v & ((1ULL << (8 * size)) - 1);
}

void hpet_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    Hpet *h = opaque;
    if (size == 8) {
        write64(h, off & ~7ULL, val, ~0ULL);
        return;
    }
    if (size != 4 || (off & 3))
        return;               /* 32- and 64-bit accesses only (spec 2.3) */
    unsigned sh = (off & 4) ? 32 : 0;
    write64(h, off & ~7ULL, (uint64_t)(uint32_t)val << sh, 0xffffffffULL << sh);
}

static const MmioOps hpet_ops = { hpet_read, hpet_write };

static void hpet_post_load(void *obj, SimTime now)
{
    Hpet *h = obj;
    (void)now;
    for (int i = 0; i < HPET_NTIMERS; i++) {
        evq_cancel(&h->m->evq, &h->ev[i]);
        if (h->t[i].when)
            evq_schedule(&h->m->evq, &h->ev[i], h->t[i].when);
    }
}

Hpet *hpet_new(Machine *m, const char *name, uint64_t base)
{
    Hpet *h = g_new0(Hpet, 1);
    h->m = m;
    for (int i = 0; i < HPET_NTIMERS; i++) {
        h->t[i].config = TN_PER_CAP | TN_SIZE_64 | ((uint64_t)HPET_INTCAP << 32);
        h->t[i].cmp = ~0ULL;
        event_init(&h->ev[i], "hpet-match", EVQ_PRIO_TIMER, match_event, h);
    }
    if (bus_add_mmio(&m->bus, name, base, HPET_SIZE, &hpet_ops, h) < 0) {
        g_free(h);
        return NULL;
    }
    machine_add_object(m, name, &hpet_state_desc, h)->post_load = hpet_post_load;
    return h;
}

void hpet_connect(Hpet *h, void (*set_gsi)(void *, int, int), void (*set_isa)(void *, int, int),
                  void *opaque)
{
    h->set_gsi = set_gsi;
    h->set_isa = set_isa;
    h->opaque = opaque;
}

void hpet_free(Hpet *h)
{
    if (!h)
        return;
    for (int i = 0; i < HPET_NTIMERS; i++)
        evq_cancel(&h->m->evq, &h->ev[i]);
    g_free(h);
}
