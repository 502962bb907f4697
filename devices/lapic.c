/* The x86 local APIC (Intel SDM vol. 3A chapter 10, "Advanced Programmable Interrupt
 * Controller"): xAPIC registers in a 4 KiB page, the same registers as x2APIC MSRs.
 *
 * Version 0x50014 (an integrated APIC with six LVT entries: timer, thermal, performance,
 * LINT0, LINT1, error; no CMCI). Interrupts: IRR/ISR/TMR as 256-bit sets, the processor
 * priority from TPR and the highest in-service vector (10.8.3.1), a vector is offered when
 * its priority class is above PPR's. An EOI retires the highest in-service vector and, when
 * it was level-triggered, tells the I/O APIC (the board's hook).
 *
 * IPIs: the ICR sends fixed, lowest-priority, NMI, INIT and start-up messages to the APICs
 * the destination selects (physical, flat or cluster logical, x2APIC cluster logical, the
 * shorthands), delivered at once (delivery status always idle). Lowest priority goes to the
 * first APIC the destination selects, by core number (an arbitration without priority
 * classes: implementation choice). INIT, SIPI and NMI are kept for the core, which takes
 * them with lapic_take_event(); INIT also resets this APIC's registers (10.4.7.3), and
 * the INIT level de-assert message is ignored, as modern processors do.
 *
 * Timer: the count runs at LAPIC_TIMER_HZ / divide from simulated time; one-shot and
 * periodic modes schedule one event at the next expiry, TSC-deadline mode at the time the
 * core's TSC (simulated cycles + its tsc_offset) reaches the deadline. A changed divide
 * applies from the period's start (the count is not rebased). Errors (illegal vectors sent
 * or received, illegal register addresses) are recorded for ESR and raise the error
 * interrupt through LVT Error. Thermal and performance LVTs are storage. */
#include "devices/lapic.h"
#include <string.h>
#include "cpu/x86_64/cpu.h"

enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_N };
#define LVT_MASKED (1u << 16)
#define LVT_LEVEL (1u << 15)
#define LAPIC_VERSION_VALUE 0x50014u
#define SVR_ENABLE (1u << 8)
enum { TIMER_ONESHOT = 0, TIMER_PERIODIC = 1, TIMER_TSC_DEADLINE = 2 };
#define ESR_RECV_ILLEGAL (1u << 6)
#define ESR_SEND_ILLEGAL (1u << 5)
#define ESR_ILLEGAL_REG (1u << 7)

struct Lapic {
    /* --- state (hashed, saved) --- */
    uint64_t apic_base;
    uint64_t timer_start;     /* when the current count (period) started */
    uint64_t timer_when;      /* time of the pending timer event, 0 = none */
    uint64_t tsc_deadline;
    uint32_t id;              /* APIC ID (xAPIC: the register's bits 31:24) */
    uint32_t tpr, ldr, dfr, svr, esr, esr_pending, icr_lo, icr_hi;
    uint32_t lvt[LVT_N];
    uint32_t timer_initial, timer_divide;
    uint32_t irr[8], isr[8], tmr[8];
    uint8_t ev_init, ev_sipi, sipi_vector, ev_nmi;
    uint8_t lint_level[2];
    uint8_t irr_any;          /* derived: IRR holds a vector (the core asks every instruction) */
    uint8_t pad0[5];
    /* --- run time --- */
    Machine *m;
    int index;
    int npeers;
    Lapic **peers;
    void (*eoi_hook)(void *opaque, int vector);
    void *eoi_opaque;
    int (*extint_peek)(void *opaque);
    int (*extint_ack)(void *opaque);
    void *extint_opaque;
    Event timer_ev;
};

static const StateField lapic_fields[] = {
    STATE_FIELD(Lapic, apic_base, V_ANY),
    STATE_FIELD(Lapic, timer_start, V_RANGE(0, MACHINE_TIME_MAX)),
    STATE_FIELD(Lapic, timer_when, V_RANGE(0, MACHINE_TIME_MAX)),
    STATE_FIELD(Lapic, tsc_deadline, V_ANY),
    STATE_FIELD(Lapic, id, V_ANY),
    STATE_FIELD(Lapic, tpr, V_RANGE(0, 0xff)),
    STATE_FIELD(Lapic, ldr, V_ANY),
    STATE_FIELD(Lapic, dfr, V_ANY),
    STATE_FIELD(Lapic, svr, V_RANGE(0, 0x3ff)),
    STATE_FIELD(Lapic, esr, V_ANY),
    STATE_FIELD(Lapic, esr_pending, V_ANY),
    STATE_FIELD(Lapic, icr_lo, V_ANY),
    STATE_FIELD(Lapic, icr_hi, V_ANY),
    STATE_ARRAY(Lapic, lvt, V_ANY),
    STATE_FIELD(Lapic, timer_initial, V_ANY),
    STATE_FIELD(Lapic, timer_divide, V_RANGE(0, 0xb)),
    STATE_ARRAY(Lapic, irr, V_ANY),
    STATE_ARRAY(Lapic, isr, V_ANY),
    STATE_ARRAY(Lapic, tmr, V_ANY),
    STATE_FIELD(Lapic, ev_init, V_BOOL),
    STATE_FIELD(Lapic, ev_sipi, V_BOOL),
    STATE_FIELD(Lapic, sipi_vector, V_ANY),
    STATE_FIELD(Lapic, ev_nmi, V_BOOL),
    STATE_ARRAY(Lapic, lint_level, V_BOOL),
    STATE_DERIVED(Lapic, irr_any),
    STATE_RUNTIME(Lapic, pad0),
    STATE_RUNTIME(Lapic, m),
    STATE_RUNTIME(Lapic, index),
    STATE_RUNTIME(Lapic, npeers),
    STATE_RUNTIME(Lapic, peers),
    STATE_RUNTIME(Lapic, eoi_hook),
    STATE_RUNTIME(Lapic, eoi_opaque),
    STATE_RUNTIME(Lapic, extint_peek),
    STATE_RUNTIME(Lapic, extint_ack),
    STATE_RUNTIME(Lapic, extint_opaque),
    STATE_RUNTIME(Lapic, timer_ev),
};
const StateDesc lapic_state_desc = STATE_DESC("lapic", Lapic, lapic_fields);

/* ---- time ---- */

/* Now as this APIC's core sees it: its clock plus what it retired of its slice, the same
 * instant its RDTSC reads (outside a run of the core, its clock). */
static SimTime lapic_now(const Lapic *a)
{
    const Machine *m = a->m;
    if (a->index >= m->ncpus)
        return machine_time(m);
    const MachineCpu *mc = &m->cpus[a->index];
    uint64_t done = m->running_cpu == a->index && mc->cls->retired ? mc->cls->retired(mc->obj) : 0;
    return mc->time + done * m->timing.ps_per_cycle;
}

static uint64_t tsc_offset(const Lapic *a)
{
    return a->index < a->m->ncpus ? ((const X86Cpu *)a->m->cpus[a->index].obj)->tsc_offset : 0;
}

static unsigned timer_mode(const Lapic *a)
{
    return (a->lvt[LVT_TIMER] >> 17) & 3;
}

/* Picoseconds per count: 1 GHz divided by 2, 4, ... 128 or 1 (divide value 0b1011). */
static uint64_t ps_per_count(const Lapic *a)
{
    unsigned v = ((a->timer_divide >> 1) & 4) | (a->timer_divide & 3);
    return (PS_PER_S / LAPIC_TIMER_HZ) << ((v + 1) & 7);
}

static uint32_t current_count(const Lapic *a, SimTime now)
{
    if (timer_mode(a) == TIMER_TSC_DEADLINE || !a->timer_initial || now < a->timer_start)
        return timer_mode(a) == TIMER_TSC_DEADLINE ? 0 : a->timer_initial;
    uint64_t n = (now - a->timer_start) / ps_per_count(a);
    if (timer_mode(a) == TIMER_PERIODIC)
        return a->timer_initial - (uint32_t)(n % a->timer_initial);
    return n >= a->timer_initial ? 0 : a->timer_initial - (uint32_t)n;
}

static void timer_schedule(Lapic *a, SimTime now)
{
    evq_cancel(&a->m->evq, &a->timer_ev);
    a->timer_when = 0;
    if (timer_mode(a) == TIMER_TSC_DEADLINE) {
        if (!a->tsc_deadline)
            return;
        uint64_t off = tsc_offset(a), ps = a->m->timing.ps_per_cycle;
        uint64_t cycles = a->tsc_deadline > off ? a->tsc_deadline - off : 0;
        SimTime when = cycles >= MACHINE_TIME_MAX / ps ? 0 : cycles * ps;
        if (!when && cycles)
            return;           /* beyond the end of simulated time */
        a->timer_when = when > now ? when : now;
    } else {
        if (!a->timer_initial)
            return;
        uint64_t period = (uint64_t)a->timer_initial * ps_per_count(a);
        if (timer_mode(a) == TIMER_PERIODIC) {
            uint64_t k = now >= a->timer_start ? (now - a->timer_start) / period + 1 : 1;
            a->timer_when = a->timer_start + k * period;
        } else if (now < a->timer_start + period) {
            a->timer_when = a->timer_start + period;
        } else {
            return;           /* expired already */
        }
    }
    if (a->timer_when == 0)
        a->timer_when = 1;    /* 0 means none: an expiry at time 0 is taken at 1 ps */
    evq_schedule(&a->m->evq, &a->timer_ev, a->timer_when);
}

/* ---- events ---- */

/* EV_IRQ for the event stream (core/events.h), as the Arm GIC's CPU interface reports
 * them: an IPI sent (raise; value = the ICR), a vector acknowledged by the core (ack), an
 * EOI. The core's state gives the PC: the instruction's for the register accesses, the
 * interrupted one for an acknowledge. A subscriber's pause stops the machine at the
 * core's next boundary. */
static void publish_irq(Lapic *a, int stage, int vector, uint64_t value)
{
    static const char *const stages[] = { "raise", "ack", "eoi", "deactivate" };
    Machine *m = a->m;
    const X86Cpu *c = a->index < m->ncpus ? m->cpus[a->index].obj : NULL;
    EvInfo e = { .kind = EV_IRQ, .cpu = a->index, .el = c ? (int)c->cpl : -1, .vmid = -1,
                 .pc = c ? (stage == EV_IRQ_ACK ? c->rip : c->start_ip) : 0,
                 .time = lapic_now(a),
                 .u.irq = { .stage = stage, .stage_name = stages[stage],
                            .intid = (uint32_t)vector, .virt = false, .lr = -1,
                            .value = value } };
    if (ev_publish(&m->events, &e)) {
        m->paused = true;
        m->stop = true;
    }
}

/* ---- interrupt sets ---- */

static bool bit_get(const uint32_t *set, int v) { return (set[v >> 5] >> (v & 31)) & 1; }
static void bit_set(uint32_t *set, int v) { set[v >> 5] |= 1u << (v & 31); }
static void bit_clear(uint32_t *set, int v) { set[v >> 5] &= ~(1u << (v & 31)); }

static int highest(const uint32_t *set)
{
    for (int i = 7; i >= 0; i--)
        if (set[i])
            return i * 32 + 31 - __builtin_clz(set[i]);
    return -1;
}

static uint32_t ppr(const Lapic *a)
{
    int isrv = highest(a->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
    return (a->tpr & 0xf0) >= isr_class ? a->tpr : isr_class;
}

static bool hw_enabled(const Lapic *a)
{
    return (a->apic_base & LAPIC_BASE_EN) != 0;
}

static void accept(Lapic *a, int vector, bool level);

/* An error found (10.5.3): recorded for the next ESR write, and the error interrupt through
 * LVT Error when it is unmasked (once per new error bit: its vector, if legal, cannot
 * raise another). */
static void raise_error(Lapic *a, uint32_t bit)
{
    bool fresh = !(a->esr_pending & bit);
    a->esr_pending |= bit;
    uint32_t l = a->lvt[LVT_ERROR];
    if (fresh && !(l & LVT_MASKED) && (l & 0xff) >= 16)
        accept(a, l & 0xff, false);
}

/* A fixed interrupt arrives (10.8.2, 10.8.4): IRR, and TMR for level-triggered. */
static void accept(Lapic *a, int vector, bool level)
{
    if (!hw_enabled(a))
        return;
    if (vector < 16) {        /* vectors 0-15 are illegal (10.5.3) */
        raise_error(a, ESR_RECV_ILLEGAL);
        return;
    }
    bit_set(a->irr, vector);
    a->irr_any = 1;
    if (level)
        bit_set(a->tmr, vector);
    else
        bit_clear(a->tmr, vector);
}

void lapic_deliver(Lapic *a, int vector, bool level)
{
    accept(a, vector & 0xff, level);
}

static bool extint_active(const Lapic *a)
{
    if (!a->extint_peek || !a->lint_level[0])
        return false;
    if (!hw_enabled(a))       /* a disabled APIC passes INTR through (virtual wire) */
        return true;
    uint32_t l = a->lvt[LVT_LINT0];
    return !(l & LVT_MASKED) && ((l >> 8) & 7) == LAPIC_DM_EXTINT;
}

int lapic_pending(Lapic *a)
{
    if (likely(!a->irr_any) && !(a->extint_peek && a->lint_level[0]))
        return -1;            /* the common case, asked before every instruction */
    if (extint_active(a)) {
        int v = a->extint_peek(a->extint_opaque);
        if (v >= 0)
            return v;
    }
    if (!hw_enabled(a) || !(a->svr & SVR_ENABLE))
        return -1;
    int irrv = highest(a->irr);
    if (irrv < 0 || ((uint32_t)irrv & 0xf0) <= (ppr(a) & 0xf0))
        return -1;
    return irrv;
}

void lapic_ack(Lapic *a, int vector)
{
    if (extint_active(a) && a->extint_peek(a->extint_opaque) == vector) {
        a->extint_ack(a->extint_opaque);
        return;
    }
    if (vector < 0 || vector > 255 || !bit_get(a->irr, vector))
        return;
    bit_clear(a->irr, vector);
    a->irr_any = highest(a->irr) >= 0;
    bit_set(a->isr, vector);
    if (unlikely(ev_wants(&a->m->events, EV_IRQ)))
        publish_irq(a, EV_IRQ_ACK, vector, 0);
}

static void eoi(Lapic *a)
{
    int v = highest(a->isr);
    if (v < 0)
        return;
    bit_clear(a->isr, v);
    if (unlikely(ev_wants(&a->m->events, EV_IRQ)))
        publish_irq(a, EV_IRQ_EOI, v, 0);
    if (bit_get(a->tmr, v) && a->eoi_hook)
        a->eoi_hook(a->eoi_opaque, v);
}

int lapic_take_event(Lapic *a, int *sipi_vector)
{
    if (a->ev_init) {
        a->ev_init = 0;
        return LAPIC_EV_INIT;
    }
    if (a->ev_sipi) {
        a->ev_sipi = 0;
        *sipi_vector = a->sipi_vector;
        return LAPIC_EV_SIPI;
    }
    if (a->ev_nmi) {
        a->ev_nmi = 0;
        return LAPIC_EV_NMI;
    }
    return LAPIC_EV_NONE;
}

/* ---- reset ---- */

/* Power-up / INIT state of the registers (10.4.7.1); ID and APIC base are kept. */
static void reset_regs(Lapic *a)
{
    a->tpr = a->esr = a->esr_pending = a->icr_lo = a->icr_hi = 0;
    a->ldr = 0;
    a->dfr = 0xffffffff;
    a->svr = 0xff;
    for (int i = 0; i < LVT_N; i++)
        a->lvt[i] = LVT_MASKED;
    a->timer_initial = a->timer_divide = 0;
    a->timer_start = 0;
    a->tsc_deadline = 0;
    memset(a->irr, 0, sizeof a->irr);
    a->irr_any = 0;
    memset(a->isr, 0, sizeof a->isr);
    memset(a->tmr, 0, sizeof a->tmr);
    a->timer_when = 0;
    evq_cancel(&a->m->evq, &a->timer_ev);
}

bool lapic_x2apic(const Lapic *a)
{
    return (a->apic_base & (LAPIC_BASE_EN | LAPIC_BASE_EXTD)) == (LAPIC_BASE_EN | LAPIC_BASE_EXTD);
}

/* x2APIC's logical ID (10.12.10.2): the cluster (ID bits 19:4) and one bit of 16. */
static uint32_t x2apic_ldr(uint32_t id)
{
    return ((id >> 4) << 16) | (1u << (id & 15));
}

void lapic_set_base(Lapic *a, uint64_t apic_base)
{
    bool was_x2 = lapic_x2apic(a), was_en = hw_enabled(a);
    a->apic_base = apic_base;
    if (was_en && !hw_enabled(a)) {
        reset_regs(a);        /* a globally disabled APIC loses its state (10.4.3) */
        a->svr = 0xff;
    }
    if (lapic_x2apic(a) && !was_x2)
        a->ldr = x2apic_ldr(a->id);
}

/* ---- messages between APICs ---- */

static bool dest_matches(const Lapic *t, uint32_t dest, bool logical)
{
    if (lapic_x2apic(t)) {
        if (!logical)
            return dest == 0xffffffff || dest == t->id;
        return dest == 0xffffffff ||
               ((dest >> 16) == (t->ldr >> 16) && (dest & t->ldr & 0xffff) != 0);
    }
    dest &= 0xff;
    if (!logical)
        return dest == 0xff || dest == (t->id & 0xff);
    uint32_t ldr = t->ldr >> 24;
    if ((t->dfr >> 28) == 0xf)                   /* flat model */
        return (ldr & dest) != 0;
    /* cluster model: the cluster (high nibble; 0xf all) and a bit of the low nibble */
    return ((dest >> 4) == 0xf || (dest >> 4) == (ldr >> 4)) && (ldr & dest & 0xf) != 0;
}

static void receive(Lapic *t, int mode, int vector, bool level)
{
    switch (mode) {
    case LAPIC_DM_FIXED:
    case LAPIC_DM_LOWEST:
        accept(t, vector, level);
        break;
    case LAPIC_DM_NMI:
        if (hw_enabled(t))
            t->ev_nmi = 1;
        break;
    case LAPIC_DM_INIT:
        reset_regs(t);
        t->ev_init = 1;
        t->ev_sipi = 0;
        break;
    case LAPIC_DM_SIPI:
        t->ev_sipi = 1;
        t->sipi_vector = (uint8_t)vector;
        break;
    default:                  /* SMI and ExtINT messages: not modelled, dropped */
        break;
    }
}

void lapic_send(Lapic **all, int n, const Lapic *self, uint32_t dest, bool logical,
                int shorthand, int mode, int vector, bool level)
{
    for (int i = 0; i < n; i++) {
        Lapic *t = all[i];
        bool hit;
        switch (shorthand) {
        case 1: hit = t == self; break;
        case 2: hit = true; break;
        case 3: hit = t != self; break;
        default: hit = dest_matches(t, dest, logical); break;
        }
        if (!hit)
            continue;
        receive(t, mode, vector, level);
        if (mode == LAPIC_DM_LOWEST)
            return;           /* one receiver: the first selected */
    }
}

static void send_icr(Lapic *a, uint32_t lo, uint32_t dest)
{
    int mode = (lo >> 8) & 7, vector = lo & 0xff, shorthand = (lo >> 18) & 3;
    bool logical = (lo >> 11) & 1, assert_ = (lo >> 14) & 1, trig_level = (lo >> 15) & 1;
    if (mode == LAPIC_DM_INIT && !assert_ && trig_level)
        return;               /* INIT level de-assert: no effect (10.6.1) */
    if ((mode == LAPIC_DM_FIXED || mode == LAPIC_DM_LOWEST) && vector < 16) {
        raise_error(a, ESR_SEND_ILLEGAL);
        return;
    }
    if (unlikely(ev_wants(&a->m->events, EV_IRQ)))
        publish_irq(a, EV_IRQ_RAISE, vector, (uint64_t)dest << 32 | lo);
    Lapic *self_only[1] = { a };
    Lapic **all = a->peers ? a->peers : self_only;
    int n = a->peers ? a->npeers : 1;
    /* interrupts sent by the ICR are edge-triggered (fixed, lowest priority) */
    lapic_send(all, n, a, dest, logical, shorthand, mode, vector, false);
}

void lapic_set_lint(void *opaque, int pin, int level)
{
    Lapic *a = opaque;
    bool rising = level && !a->lint_level[pin];
    a->lint_level[pin] = level != 0;
    uint32_t l = a->lvt[LVT_LINT0 + pin];
    if (!rising || (l & LVT_MASKED) || !hw_enabled(a))
        return;
    switch ((l >> 8) & 7) {
    case LAPIC_DM_FIXED:
        accept(a, l & 0xff, (l & LVT_LEVEL) != 0);
        break;
    case LAPIC_DM_NMI:
        a->ev_nmi = 1;
        break;
    default:                  /* ExtINT: lapic_pending asks the 8259 */
        break;
    }
}

/* ---- the timer ---- */

static void timer_event(void *opaque, SimTime now)
{
    Lapic *a = opaque;
    a->timer_when = 0;
    uint32_t l = a->lvt[LVT_TIMER];
    if (!(l & LVT_MASKED))
        accept(a, l & 0xff, false);
    if (timer_mode(a) == TIMER_TSC_DEADLINE)
        a->tsc_deadline = 0;  /* an expired deadline disarms (10.5.4.1) */
    else if (timer_mode(a) == TIMER_PERIODIC)
        timer_schedule(a, now);
}

uint64_t lapic_get_tsc_deadline(Lapic *a)
{
    return timer_mode(a) == TIMER_TSC_DEADLINE ? a->tsc_deadline : 0;
}

void lapic_set_tsc_deadline(Lapic *a, uint64_t deadline)
{
    if (timer_mode(a) != TIMER_TSC_DEADLINE)
        return;               /* ignored in the other timer modes (10.5.4.1) */
    a->tsc_deadline = deadline;
    timer_schedule(a, lapic_now(a));
}

/* ---- registers ---- */

/* Reads register `off` (xAPIC offsets); false if it does not exist or is write-only. */
static bool reg_read(Lapic *a, uint32_t off, uint64_t *val, bool x2)
{
    SimTime now = lapic_now(a);
    uint32_t v;
    if (off >= LAPIC_ISR && off < LAPIC_ISR + 0x80) {
        *val = a->isr[(off - LAPIC_ISR) >> 4];
        return true;
    }
    if (off >= LAPIC_TMR && off < LAPIC_TMR + 0x80) {
        *val = a->tmr[(off - LAPIC_TMR) >> 4];
        return true;
    }
    if (off >= LAPIC_IRR && off < LAPIC_IRR + 0x80) {
        *val = a->irr[(off - LAPIC_IRR) >> 4];
        return true;
    }
    if (off >= LAPIC_LVT_TIMER && off <= LAPIC_LVT_ERROR) {
        *val = a->lvt[(off - LAPIC_LVT_TIMER) >> 4];
        return true;
    }
    switch (off) {
    case LAPIC_ID: v = x2 ? a->id : a->id << 24; break;
    case LAPIC_VERSION: v = LAPIC_VERSION_VALUE; break;
    case LAPIC_TPR: v = a->tpr; break;
    case LAPIC_APR: v = 0; break;
    case LAPIC_PPR: v = ppr(a); break;
    case LAPIC_LDR: v = a->ldr; break;
    case LAPIC_DFR:
        if (x2)
            return false;
        v = a->dfr;
        break;
    case LAPIC_SVR: v = a->svr; break;
    case LAPIC_ESR: v = a->esr; break;
    case LAPIC_ICR_LO:
        if (x2) {
            *val = (uint64_t)a->icr_hi << 32 | a->icr_lo;
            return true;
        }
        v = a->icr_lo;
        break;
    case LAPIC_ICR_HI:
        if (x2)
            return false;
        v = a->icr_hi;
        break;
    case LAPIC_TIMER_INIT: v = a->timer_initial; break;
    case LAPIC_TIMER_CUR: v = current_count(a, now); break;
    case LAPIC_TIMER_DIV: v = a->timer_divide; break;
    case LAPIC_EOI:
    case LAPIC_SELF_IPI:
        if (x2)
            return false;     /* write-only */
        v = 0;
        break;
    default:
        return false;
    }
    *val = v;
    return true;
}

static void write_lvt(Lapic *a, int i, uint32_t v)
{
    static const uint32_t writable[LVT_N] = {
        [LVT_TIMER] = 0x700ff, [LVT_THERMAL] = 0x107ff, [LVT_PERF] = 0x107ff,
        [LVT_LINT0] = 0x1a7ff, [LVT_LINT1] = 0x1a7ff, [LVT_ERROR] = 0x100ff,
    };
    v &= writable[i];
    if (!(a->svr & SVR_ENABLE))
        v |= LVT_MASKED;      /* software-disabled: the mask bits cannot be cleared */
    if (i == LVT_TIMER) {
        unsigned old = timer_mode(a);
        if ((v >> 17 & 3) == 3)
            v &= ~(3u << 17); /* the reserved mode 3 acts as one-shot */
        a->lvt[i] = v;
        if ((old == TIMER_TSC_DEADLINE) != (timer_mode(a) == TIMER_TSC_DEADLINE)) {
            /* switching between the count and the deadline disarms both (10.5.4.1);
             * one-shot <-> periodic keeps the count running */
            a->timer_initial = 0;
            a->tsc_deadline = 0;
        }
        timer_schedule(a, lapic_now(a));
        return;
    }
    a->lvt[i] = v;
}

/* Writes register `off`; false if it does not exist or is read-only (x2APIC #GP). */
static bool reg_write(Lapic *a, uint32_t off, uint64_t val, bool x2)
{
    uint32_t v = (uint32_t)val;
    if (off >= LAPIC_LVT_TIMER && off <= LAPIC_LVT_ERROR) {
        write_lvt(a, (int)((off - LAPIC_LVT_TIMER) >> 4), v);
        return true;
    }
    switch (off) {
    case LAPIC_ID:
        if (x2)
            return false;
        a->id = v >> 24;
        return true;
    case LAPIC_TPR:
        a->tpr = v & 0xff;
        return true;
    case LAPIC_EOI:
        if (x2 && v)
            return false;     /* x2APIC: a non-zero EOI write is #GP (10.12.1.2) */
        eoi(a);
        return true;
    case LAPIC_LDR:
        if (x2)
            return false;
        a->ldr = v & 0xff000000;
        return true;
    case LAPIC_DFR:
        if (x2)
            return false;
        a->dfr = v | 0x0fffffff;
        return true;
    case LAPIC_SVR:
        a->svr = v & 0x3ff;
        if (!(a->svr & SVR_ENABLE))
            for (int i = 0; i < LVT_N; i++)
                a->lvt[i] |= LVT_MASKED;
        return true;
    case LAPIC_ESR:
        if (x2 && v)
            return false;
        a->esr = a->esr_pending;   /* a write latches the errors since the last one */
        a->esr_pending = 0;
        return true;
    case LAPIC_ICR_LO:
        if (x2) {
            a->icr_hi = (uint32_t)(val >> 32);
            a->icr_lo = v & ~(1u << 12);
            send_icr(a, a->icr_lo, a->icr_hi);
        } else {
            a->icr_lo = v & ~(1u << 12);
            send_icr(a, a->icr_lo, a->icr_hi >> 24);
        }
        return true;
    case LAPIC_ICR_HI:
        if (x2)
            return false;
        a->icr_hi = v & 0xff000000;
        return true;
    case LAPIC_TIMER_INIT:
        if (timer_mode(a) == TIMER_TSC_DEADLINE)
            return true;      /* ignored in TSC-deadline mode */
        a->timer_initial = v;
        a->timer_start = lapic_now(a);
        timer_schedule(a, a->timer_start);
        return true;
    case LAPIC_TIMER_DIV:
        a->timer_divide = v & 0xb;
        timer_schedule(a, lapic_now(a));
        return true;
    case LAPIC_SELF_IPI:
        if (!x2)
            return false;
        accept(a, v & 0xff, false);
        return true;
    default: {
        /* xAPIC: a read-only register ignores the write, one that does not exist is an
         * illegal register address; x2APIC: both are #GP */
        uint64_t ignored;
        return !x2 && reg_read(a, off, &ignored, false);
    }
    }
}

uint32_t lapic_mmio_read(Lapic *a, uint32_t off)
{
    uint64_t v = 0;
    if ((off & 0xf) || !reg_read(a, off & 0xff0, &v, false)) {
        if (!(off & 0xf))
            raise_error(a, ESR_ILLEGAL_REG);
        return 0;
    }
    return (uint32_t)v;
}

void lapic_mmio_write(Lapic *a, uint32_t off, uint32_t val)
{
    if (off & 0xf)
        return;
    if (!reg_write(a, off & 0xff0, val, false))
        raise_error(a, ESR_ILLEGAL_REG);
}

bool lapic_msr_read(Lapic *a, uint32_t msr, uint64_t *val)
{
    if (!lapic_x2apic(a) || msr < 0x800 || msr > 0x8ff)
        return false;
    return reg_read(a, (msr - 0x800) << 4, val, true);
}

bool lapic_msr_write(Lapic *a, uint32_t msr, uint64_t val)
{
    if (!lapic_x2apic(a) || msr < 0x800 || msr > 0x8ff)
        return false;
    uint32_t off = (msr - 0x800) << 4;
    if (off != LAPIC_ICR_LO && (val >> 32))
        return false;         /* reserved upper half (10.12.1.2) */
    return reg_write(a, off, val, true);
}

/* ---- life ---- */

static void lapic_post_load(void *obj, SimTime now)
{
    Lapic *a = obj;
    (void)now;
    a->irr_any = highest(a->irr) >= 0;
    evq_cancel(&a->m->evq, &a->timer_ev);
    if (a->timer_when)
        evq_schedule(&a->m->evq, &a->timer_ev, a->timer_when);
}

Lapic *lapic_new(Machine *m, int index)
{
    Lapic *a = g_new0(Lapic, 1);
    a->m = m;
    a->index = index;
    a->id = (uint32_t)index;
    a->apic_base = LAPIC_BASE_DEFAULT | LAPIC_BASE_EN | (index == 0 ? LAPIC_BASE_BSP : 0);
    event_init(&a->timer_ev, "lapic-timer", EVQ_PRIO_TIMER, timer_event, a);
    reset_regs(a);
    char name[16];
    snprintf(name, sizeof name, "lapic%d", index);
    machine_add_object(m, name, &lapic_state_desc, a)->post_load = lapic_post_load;
    return a;
}

void lapic_free(Lapic *a)
{
    if (!a)
        return;
    evq_cancel(&a->m->evq, &a->timer_ev);
    g_free(a);
}

void lapic_connect(Lapic **all, int n)
{
    for (int i = 0; i < n; i++) {
        all[i]->peers = all;
        all[i]->npeers = n;
    }
}

void lapic_set_eoi_hook(Lapic *a, void (*fn)(void *opaque, int vector), void *opaque)
{
    a->eoi_hook = fn;
    a->eoi_opaque = opaque;
}

void lapic_set_extint(Lapic *a, int (*peek)(void *opaque), int (*ack)(void *opaque), void *opaque)
{
    a->extint_peek = peek;
    a->extint_ack = ack;
    a->extint_opaque = opaque;
}
