/* The per-core Arm generic timers (Arm ARM DDI 0487 J.a chapter D11, "The Generic Timer in
 * AArch64 state"; chapter D12 in rev L.a).
 *
 * Each timer holds CTL (ENABLE, IMASK) and a 64-bit CompareValue. The timer condition is
 * (Count - Offset) >= CVAL, an unsigned 64-bit compare (D11.2.4, "Operation of the
 * CompareValue views of the timers"). Offset is CNTVOFF_EL2 for the EL1 virtual timer and
 * zero for the EL1 physical timer (no FEAT_ECV CNTPOFF here) and for both EL2 timers: the EL2
 * virtual timer compares the physical count, CNTVOFF_EL2 does not apply to it (same section;
 * rev L.a D12.2.4.1 lists the Offset per timer).
 *
 * The count is derived from simulated time only (floor(now / 16000 ps)), so the condition
 * changes at exactly computable times. While a timer is enabled and unmasked, one event sits
 * on the machine's queue at the first picosecond its condition changes; the event
 * re-evaluates the timer. Any register write re-evaluates and reschedules. With IMASK set or
 * ENABLE clear the output cannot change, so no event is kept and ISTATUS is computed on read.
 *
 * Implementation choices: ISTATUS reads as 0 while ENABLE is 0 (the Arm ARM makes it
 * UNKNOWN); TVAL reads are computed whatever ENABLE is (UNKNOWN when disabled). */
#include "devices/arch_timer.h"
#include <glib.h>

typedef struct ATimerCtx {
    ArchTimers *t;
    int which;
} ATimerCtx;

struct ArchTimers {
    /* --- state (hashed, saved) --- */
    uint64_t ctl[ATIMER_N];   /* ENABLE | IMASK only; ISTATUS is computed */
    uint64_t cval[ATIMER_N];
    uint64_t cntvoff;         /* CNTVOFF_EL2 */
    /* --- derived (rebuilt by arch_timer_post_load) --- */
    uint8_t level[ATIMER_N];  /* level driven on each output */
    uint32_t pad_;
    /* --- run time --- */
    Machine *m;
    int cpu;
    uint32_t pad2_;
    IrqLine line[ATIMER_N];
    Event ev[ATIMER_N];
    ATimerCtx ctx[ATIMER_N];
};

static const StateField arch_timer_fields[] = {
    STATE_ARRAY(ArchTimers, ctl, V_RANGE(0, ATIMER_CTL_ENABLE | ATIMER_CTL_IMASK)),
    STATE_ARRAY(ArchTimers, cval, V_ANY),
    STATE_FIELD(ArchTimers, cntvoff, V_ANY),
    STATE_DERIVED(ArchTimers, level),
    STATE_RUNTIME(ArchTimers, pad_),
    STATE_RUNTIME(ArchTimers, m),
    STATE_RUNTIME(ArchTimers, cpu),
    STATE_RUNTIME(ArchTimers, pad2_),
    STATE_RUNTIME(ArchTimers, line),
    STATE_RUNTIME(ArchTimers, ev),      /* rescheduled by arch_timer_post_load */
    STATE_RUNTIME(ArchTimers, ctx),
};
const StateDesc arch_timer_state_desc = STATE_DESC("arch_timer", ArchTimers, arch_timer_fields);

static const char *const ev_names[ATIMER_N] = {
    "timer.phys", "timer.virt", "timer.hyp_phys", "timer.hyp_virt",
};

uint64_t arch_timer_count(SimTime now)
{
    return now / ATIMER_PS_PER_TICK;
}

/* The Offset of D11.2.4 for this timer. */
static uint64_t offset(const ArchTimers *t, int which)
{
    return which == ATIMER_VIRT ? t->cntvoff : 0;
}

/* The count as this timer sees it (CNTPCT_EL0, or CNTPCT_EL0 - CNTVOFF_EL2). */
static uint64_t view_count(const ArchTimers *t, int which, SimTime now)
{
    return arch_timer_count(now) - offset(t, which);
}

static bool condition_met(const ArchTimers *t, int which, SimTime now)
{
    return view_count(t, which, now) >= t->cval[which];
}

static bool output_enabled(const ArchTimers *t, int which)
{
    return (t->ctl[which] & (ATIMER_CTL_ENABLE | ATIMER_CTL_IMASK)) == ATIMER_CTL_ENABLE;
}

/* The first time after `now` at which the timer condition changes, or SIMTIME_NEVER.
 * Not met: when the view count reaches CVAL. Met with CVAL > 0: when the view count wraps
 * past 2^64 - 1 to 0 (only reachable with a large CNTVOFF). Met with CVAL == 0: never. */
static SimTime next_change(const ArchTimers *t, int which, SimTime now)
{
    uint64_t count = arch_timer_count(now);
    uint64_t vc = count - offset(t, which);
    uint64_t delta;
    if (vc < t->cval[which])
        delta = t->cval[which] - vc;
    else if (t->cval[which] != 0)
        delta = 0 - vc;       /* vc >= cval > 0, so 0 < delta */
    else
        return SIMTIME_NEVER;
    uint64_t target = count + delta;
    if (target < count || target > SIMTIME_NEVER / ATIMER_PS_PER_TICK)
        return SIMTIME_NEVER;   /* beyond the end of simulated time */
    /* the count becomes `target` at exactly target * 16000 ps */
    return target * ATIMER_PS_PER_TICK;
}

/* Drives `level` on the output if it differs from the last level driven (or always). */
static void drive(ArchTimers *t, int which, int level, bool always)
{
    if (always || t->level[which] != level) {
        t->level[which] = (uint8_t)level;
        irq_set(&t->line[which], level);
    }
}

/* Re-evaluates timer `which` at `now`: drives the output (on a change, or always) and keeps
 * exactly one event at the next change of the output, if any. */
static void evaluate(ArchTimers *t, int which, SimTime now, bool always)
{
    evq_cancel(&t->m->evq, &t->ev[which]);
    if (!output_enabled(t, which)) {
        drive(t, which, 0, always);
        return;
    }
    drive(t, which, condition_met(t, which, now), always);
    SimTime when = next_change(t, which, now);
    if (when != SIMTIME_NEVER)
        evq_schedule(&t->m->evq, &t->ev[which], when);
}

static void update(ArchTimers *t, int which, SimTime now)
{
    evaluate(t, which, now, false);
}

static void expiry_event(void *opaque, SimTime now)
{
    ATimerCtx *c = opaque;
    update(c->t, c->which, now);
}

static void post_load_hook(void *obj, SimTime now)
{
    arch_timer_post_load(obj, now);
}

ArchTimers *arch_timer_new(Machine *m, int cpu, const char *name)
{
    ArchTimers *t = g_new0(ArchTimers, 1);
    t->m = m;
    t->cpu = cpu;
    for (int i = 0; i < ATIMER_N; i++) {
        t->ctx[i].t = t;
        t->ctx[i].which = i;
        event_init(&t->ev[i], ev_names[i], EVQ_PRIO_TIMER, expiry_event, &t->ctx[i]);
    }
    machine_add_object(m, name, &arch_timer_state_desc, t)->post_load = post_load_hook;
    return t;
}

void arch_timer_free(ArchTimers *t)
{
    if (!t)
        return;
    for (int i = 0; i < ATIMER_N; i++)
        evq_cancel(&t->m->evq, &t->ev[i]);
    g_free(t);
}

void arch_timer_reset(ArchTimers *t)
{
    t->cntvoff = 0;
    for (int i = 0; i < ATIMER_N; i++) {
        t->ctl[i] = 0;
        t->cval[i] = 0;
        evq_cancel(&t->m->evq, &t->ev[i]);
        drive(t, i, 0, false);
    }
}

void arch_timer_connect(ArchTimers *t, int which, IrqLine line)
{
    g_assert(which >= 0 && which < ATIMER_N);
    t->line[which] = line;
    irq_set(&t->line[which], t->level[which]);
}

void arch_timer_set_cntvoff(ArchTimers *t, uint64_t off, SimTime now)
{
    t->cntvoff = off;
    update(t, ATIMER_VIRT, now);   /* the only timer with a non-zero Offset */
}

uint64_t arch_timer_cntvoff(const ArchTimers *t)
{
    return t->cntvoff;
}

uint64_t arch_timer_read_ctl(ArchTimers *t, int which, SimTime now)
{
    uint64_t ctl = t->ctl[which];
    if ((ctl & ATIMER_CTL_ENABLE) && condition_met(t, which, now))
        ctl |= ATIMER_CTL_ISTATUS;
    return ctl;
}

void arch_timer_write_ctl(ArchTimers *t, int which, uint64_t v, SimTime now)
{
    /* bits 63:3 RES0, ISTATUS read-only */
    t->ctl[which] = v & (ATIMER_CTL_ENABLE | ATIMER_CTL_IMASK);
    update(t, which, now);
}

uint64_t arch_timer_read_cval(ArchTimers *t, int which)
{
    return t->cval[which];
}

void arch_timer_write_cval(ArchTimers *t, int which, uint64_t v, SimTime now)
{
    t->cval[which] = v;
    update(t, which, now);
}

/* TimerValue view (D11.2.4): reads (CVAL - (Count - Offset))[31:0]; a write sets
 * CVAL = (Count - Offset) + SignExtend(TVAL[31:0]). */
uint64_t arch_timer_read_tval(ArchTimers *t, int which, SimTime now)
{
    return (uint32_t)(t->cval[which] - view_count(t, which, now));
}

void arch_timer_write_tval(ArchTimers *t, int which, uint64_t v, SimTime now)
{
    int64_t tval = (int32_t)(uint32_t)v;
    t->cval[which] = view_count(t, which, now) + (uint64_t)tval;
    update(t, which, now);
}

int arch_timer_level(const ArchTimers *t, int which)
{
    return t->level[which];
}

/* Key -> timer. The *_EL0 names are redirected when ELIsInHost(PSTATE.EL): the access
 * pseudocode of CNTP_CTL_EL0, CNTP_CVAL_EL0, CNTP_TVAL_EL0 (Arm ARM D17/D19 register
 * descriptions, "Accessing ...") reads "elsif PSTATE.EL == EL2 then if ELIsInHost(EL2) then
 * X[t] = CNTHP_CTL_EL2" and, at EL0 with HCR_EL2.{E2H,TGE} == {1,1}, also CNTHP_*_EL2; the
 * CNTV_*_EL0 pseudocode does the same with CNTHV_*_EL2 (FEAT_VHE, "Virtualization Host
 * Extensions", EL1 register redirection). The *_EL02 aliases (op1 = 5) reach the EL1 timers
 * from EL2 when E2H == 1. */
static int key_timer(uint32_t key, bool e2h_redirect, int *reg)
{
    unsigned op0 = (key >> 14) & 3, op1 = (key >> 11) & 7, crn = (key >> 7) & 15;
    unsigned crm = (key >> 3) & 15, op2 = key & 7;
    if ((key >> 16) != 0 || op0 != 3 || crn != 14 || op2 > 2 || (crm != 2 && crm != 3))
        return -1;
    bool virt = crm == 3;
    *reg = (int)op2;
    switch (op1) {
    case 3:   /* CNTP_*_EL0, CNTV_*_EL0 */
        if (e2h_redirect)
            return virt ? ATIMER_HYP_VIRT : ATIMER_HYP_PHYS;
        return virt ? ATIMER_VIRT : ATIMER_PHYS;
    case 4:   /* CNTHP_*_EL2, CNTHV_*_EL2 */
        return virt ? ATIMER_HYP_VIRT : ATIMER_HYP_PHYS;
    case 5:   /* CNTP_*_EL02, CNTV_*_EL02 */
        return virt ? ATIMER_VIRT : ATIMER_PHYS;
    default:
        return -1;
    }
}

bool arch_timer_sysreg(ArchTimers *t, uint32_t key, bool write, uint64_t *val, SimTime now,
                       bool e2h_redirect)
{
    int reg = 0;
    int which = key_timer(key, e2h_redirect, &reg);
    if (which < 0)
        return false;
    switch (reg) {
    case ATIMER_REG_TVAL:
        if (write)
            arch_timer_write_tval(t, which, *val, now);
        else
            *val = arch_timer_read_tval(t, which, now);
        break;
    case ATIMER_REG_CTL:
        if (write)
            arch_timer_write_ctl(t, which, *val, now);
        else
            *val = arch_timer_read_ctl(t, which, now);
        break;
    default:
        if (write)
            arch_timer_write_cval(t, which, *val, now);
        else
            *val = arch_timer_read_cval(t, which);
        break;
    }
    return true;
}

void arch_timer_post_load(ArchTimers *t, SimTime now)
{
    for (int i = 0; i < ATIMER_N; i++) {
        t->ctl[i] &= ATIMER_CTL_ENABLE | ATIMER_CTL_IMASK;
        /* `level` is derived (stale after a load): drive the recomputed level once so the
         * receiver, whose state was loaded too, agrees with it */
        evaluate(t, i, now, true);
    }
}
