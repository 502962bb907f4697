/* The per-core generic timers (devices/arch_timer): exact expiry times on the event queue,
 * ENABLE/IMASK/ISTATUS, TVAL arithmetic, CNTVOFF, rescheduling, the four timers apart, the
 * E2H register redirection and rebuilding events after a state load. */
#include <criterion/criterion.h>
#include <string.h>
#include "core/machine.h"
#include "cpu/arm64/sysreg.h"
#include "devices/arch_timer.h"

/* The timers' own constants must agree with the CPU's. */
_Static_assert(ATIMER_CNTFRQ_HZ == A64_CNTFRQ_HZ, "counter frequency differs from the CPU's");
_Static_assert(ATIMER_CNTP_CTL_EL0 == A64_SYSREG_KEY(3, 3, 14, 2, 1), "key encoding differs");
_Static_assert(ATIMER_PS_PER_TICK == 16000, "62.5 MHz is 16000 ps per tick");

#define TICK ATIMER_PS_PER_TICK
#define MAX_EDGES 64

typedef struct Edge {
    int which, level;
    SimTime when;
} Edge;

/* Records every level driven on the four outputs with the time it happened. */
typedef struct Rec {
    Machine *m;
    ArchTimers *t;
    SimTime now;              /* the test's notion of the current time */
    Edge e[MAX_EDGES];
    int n;
} Rec;

static void rec_set(void *opaque, int n, int level)
{
    Rec *r = opaque;
    cr_assert_lt(r->n, MAX_EDGES);
    r->e[r->n++] = (Edge){ n, level, r->now };
}

static Machine *new_machine(void)
{
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    cfg.ram_size = 1 << 20;
    char *err = NULL;
    Machine *m = machine_new(&cfg, 0x40000000ULL, &err);
    machine_config_free(&cfg);
    cr_assert_not_null(m, "machine_new: %s", err ? err : "?");
    return m;
}

static void rec_init(Rec *r)
{
    memset(r, 0, sizeof(*r));
    r->m = new_machine();
    r->t = arch_timer_new(r->m, 0, "cpu0.timer");
    arch_timer_reset(r->t);
    for (int i = 0; i < ATIMER_N; i++)
        arch_timer_connect(r->t, i, (IrqLine){ rec_set, r, i });
    r->n = 0;   /* connecting drives the (low) level once; start counting after it */
}

static void rec_fini(Rec *r)
{
    arch_timer_free(r->t);
    machine_free(r->m);
}

/* Runs the event queue up to `to`, event by event, so each edge is stamped with the exact
 * time its event fired. */
static void advance(Rec *r, SimTime to)
{
    for (;;) {
        SimTime next = evq_next_time(&r->m->evq);
        if (next > to)
            break;
        r->now = next;
        evq_run_due(&r->m->evq, next);
    }
    r->now = to;
}

static void expect_edge(const Rec *r, int i, int which, int level, SimTime when)
{
    cr_assert_gt(r->n, i, "edge %d missing (have %d)", i, r->n);
    cr_expect_eq(r->e[i].which, which, "edge %d: timer %d, want %d", i, r->e[i].which, which);
    cr_expect_eq(r->e[i].level, level, "edge %d: level %d, want %d", i, r->e[i].level, level);
    cr_expect_eq(r->e[i].when, when, "edge %d at %llu ps, want %llu", i,
                 (unsigned long long)r->e[i].when, (unsigned long long)when);
}

static void ctl(Rec *r, int which, uint64_t v) { arch_timer_write_ctl(r->t, which, v, r->now); }
static void cval(Rec *r, int which, uint64_t v) { arch_timer_write_cval(r->t, which, v, r->now); }
static uint64_t rd_ctl(Rec *r, int which) { return arch_timer_read_ctl(r->t, which, r->now); }

Test(arch_timer, counter_from_time)
{
    cr_expect_eq(arch_timer_count(0), 0);
    cr_expect_eq(arch_timer_count(TICK - 1), 0);
    cr_expect_eq(arch_timer_count(TICK), 1);
    cr_expect_eq(arch_timer_count(PS_PER_S), 62500000);
}

Test(arch_timer, future_cval_stays_low)
{
    Rec r;
    rec_init(&r);
    cval(&r, ATIMER_PHYS, 1000);
    ctl(&r, ATIMER_PHYS, ATIMER_CTL_ENABLE);
    cr_expect_eq(r.n, 0, "line driven before expiry");
    cr_expect_eq(rd_ctl(&r, ATIMER_PHYS), ATIMER_CTL_ENABLE, "ISTATUS set early");
    cr_expect_eq(evq_next_time(&r.m->evq), 1000 * TICK, "expiry event at the wrong time");
    advance(&r, 1000 * TICK - 1);
    cr_expect_eq(r.n, 0);
    cr_expect_eq(arch_timer_level(r.t, ATIMER_PHYS), 0);
    cr_expect_eq(rd_ctl(&r, ATIMER_PHYS), ATIMER_CTL_ENABLE);
    rec_fini(&r);
}

Test(arch_timer, fires_at_exact_tick)
{
    Rec r;
    rec_init(&r);
    r.now = 7 * TICK + 123;   /* mid-tick */
    cval(&r, ATIMER_PHYS, 5000);
    ctl(&r, ATIMER_PHYS, ATIMER_CTL_ENABLE);
    advance(&r, 4999 * TICK);   /* one tick earlier */
    cr_expect_eq(r.n, 0, "fired a tick early");
    advance(&r, 5000 * TICK - 1);
    cr_expect_eq(r.n, 0, "fired a picosecond early");
    advance(&r, 5000 * TICK);
    cr_assert_eq(r.n, 1);
    expect_edge(&r, 0, ATIMER_PHYS, 1, 5000 * TICK);
    cr_expect_eq(rd_ctl(&r, ATIMER_PHYS), ATIMER_CTL_ENABLE | ATIMER_CTL_ISTATUS);
    cr_expect_eq(evq_next_time(&r.m->evq), SIMTIME_NEVER, "event left after expiry");
    advance(&r, 100000 * TICK);
    cr_expect_eq(r.n, 1, "level driven again without a change");
    rec_fini(&r);
}

Test(arch_timer, imask_masks_line_not_istatus)
{
    Rec r;
    rec_init(&r);
    cval(&r, ATIMER_PHYS, 10);
    ctl(&r, ATIMER_PHYS, ATIMER_CTL_ENABLE | ATIMER_CTL_IMASK);
    cr_expect_eq(evq_next_time(&r.m->evq), SIMTIME_NEVER, "masked timer keeps an event");
    advance(&r, 20 * TICK);
    cr_expect_eq(r.n, 0, "masked timer raised its line");
    cr_expect_eq(rd_ctl(&r, ATIMER_PHYS), ATIMER_CTL_ENABLE | ATIMER_CTL_IMASK | ATIMER_CTL_ISTATUS);
    ctl(&r, ATIMER_PHYS, ATIMER_CTL_ENABLE);   /* unmask: the condition already holds */
    cr_assert_eq(r.n, 1);
    expect_edge(&r, 0, ATIMER_PHYS, 1, 20 * TICK);
    ctl(&r, ATIMER_PHYS, ATIMER_CTL_ENABLE | ATIMER_CTL_IMASK | ATIMER_CTL_ISTATUS);
    cr_assert_eq(r.n, 2);
    expect_edge(&r, 1, ATIMER_PHYS, 0, 20 * TICK);
    /* ISTATUS is read-only: writing it stored nothing */
    cr_expect_eq(rd_ctl(&r, ATIMER_PHYS), ATIMER_CTL_ENABLE | ATIMER_CTL_IMASK | ATIMER_CTL_ISTATUS);
    ctl(&r, ATIMER_PHYS, 0);
    cr_expect_eq(rd_ctl(&r, ATIMER_PHYS), 0, "ISTATUS reads 1 while disabled");
    rec_fini(&r);
}

Test(arch_timer, disable_lowers)
{
    Rec r;
    rec_init(&r);
    cval(&r, ATIMER_PHYS, 3);
    ctl(&r, ATIMER_PHYS, ATIMER_CTL_ENABLE);
    advance(&r, 3 * TICK);
    cr_assert_eq(r.n, 1);
    r.now = 4 * TICK;
    ctl(&r, ATIMER_PHYS, 0);
    cr_assert_eq(r.n, 2);
    expect_edge(&r, 1, ATIMER_PHYS, 0, 4 * TICK);
    cr_expect_eq(rd_ctl(&r, ATIMER_PHYS), 0);
    cr_expect_eq(arch_timer_level(r.t, ATIMER_PHYS), 0);
    rec_fini(&r);
}

Test(arch_timer, tval_arithmetic)
{
    Rec r;
    rec_init(&r);
    r.now = 1000 * TICK + 5;
    arch_timer_write_tval(r.t, ATIMER_PHYS, 100, r.now);
    cr_expect_eq(arch_timer_read_cval(r.t, ATIMER_PHYS), 1100);
    cr_expect_eq(arch_timer_read_tval(r.t, ATIMER_PHYS, r.now), 100);
    ctl(&r, ATIMER_PHYS, ATIMER_CTL_ENABLE);
    advance(&r, 1150 * TICK);
    expect_edge(&r, 0, ATIMER_PHYS, 1, 1100 * TICK);
    uint64_t tv = arch_timer_read_tval(r.t, ATIMER_PHYS, r.now);
    cr_expect_eq(tv >> 32, 0, "TVAL bits 63:32 are RES0");
    cr_expect_eq((int32_t)tv, -50, "TVAL after expiry %d, want -50", (int32_t)tv);
    /* a negative TVAL is sign-extended: CVAL in the past, the line stays high */
    arch_timer_write_tval(r.t, ATIMER_PHYS, (uint32_t)-10, r.now);
    cr_expect_eq(arch_timer_read_cval(r.t, ATIMER_PHYS), 1140);
    cr_expect_eq(r.n, 1);
    /* only TVAL[31:0] counts: bit 32 set is ignored, 0x7fffffff is the largest delay */
    arch_timer_write_tval(r.t, ATIMER_PHYS, 0x17fffffffULL, r.now);
    cr_expect_eq(arch_timer_read_cval(r.t, ATIMER_PHYS), 1150 + 0x7fffffffULL);
    cr_expect_eq(r.n, 2);
    expect_edge(&r, 1, ATIMER_PHYS, 0, 1150 * TICK);
    cr_expect_eq(evq_next_time(&r.m->evq), (1150 + 0x7fffffffULL) * TICK);
    rec_fini(&r);
}

Test(arch_timer, virtual_timer_uses_cntvoff)
{
    Rec r;
    rec_init(&r);
    r.now = 2000 * TICK;
    arch_timer_set_cntvoff(r.t, 1000, r.now);
    cr_expect_eq(arch_timer_cntvoff(r.t), 1000);
    /* virtual count is 1000 now; CVAL 1500 is reached at physical count 2500 */
    cval(&r, ATIMER_VIRT, 1500);
    ctl(&r, ATIMER_VIRT, ATIMER_CTL_ENABLE);
    cr_expect_eq(r.n, 0);
    cr_expect_eq(arch_timer_read_tval(r.t, ATIMER_VIRT, r.now), 500);
    /* the same CVAL on the physical timer is already met */
    cval(&r, ATIMER_PHYS, 1500);
    ctl(&r, ATIMER_PHYS, ATIMER_CTL_ENABLE | ATIMER_CTL_IMASK);
    cr_expect(rd_ctl(&r, ATIMER_PHYS) & ATIMER_CTL_ISTATUS);
    cr_expect_not(rd_ctl(&r, ATIMER_VIRT) & ATIMER_CTL_ISTATUS);
    advance(&r, 2500 * TICK - 1);
    cr_expect_eq(r.n, 0);
    advance(&r, 2500 * TICK);
    cr_assert_eq(r.n, 1);
    expect_edge(&r, 0, ATIMER_VIRT, 1, 2500 * TICK);
    /* TVAL write is relative to the virtual count */
    arch_timer_write_tval(r.t, ATIMER_VIRT, 10, r.now);
    cr_expect_eq(arch_timer_read_cval(r.t, ATIMER_VIRT), 1510);
    rec_fini(&r);
}

Test(arch_timer, cntvoff_change_reevaluates)
{
    Rec r;
    rec_init(&r);
    r.now = 100 * TICK;
    cval(&r, ATIMER_VIRT, 500);
    ctl(&r, ATIMER_VIRT, ATIMER_CTL_ENABLE);
    cval(&r, ATIMER_HYP_VIRT, 500);
    ctl(&r, ATIMER_HYP_VIRT, ATIMER_CTL_ENABLE);
    /* a larger offset moves the virtual expiry later: physical 500 + 50 */
    arch_timer_set_cntvoff(r.t, 50, r.now);
    advance(&r, 500 * TICK);
    cr_assert_eq(r.n, 1, "only the EL2 virtual timer should fire at 500 (got %d edges)", r.n);
    expect_edge(&r, 0, ATIMER_HYP_VIRT, 1, 500 * TICK);
    /* the offset going down makes the condition hold at once */
    r.now = 520 * TICK;
    arch_timer_set_cntvoff(r.t, 10, r.now);
    cr_assert_eq(r.n, 2);
    expect_edge(&r, 1, ATIMER_VIRT, 1, 520 * TICK);
    /* and up again lowers it; the EL2 virtual timer ignores CNTVOFF */
    arch_timer_set_cntvoff(r.t, 200, r.now);
    cr_assert_eq(r.n, 3);
    expect_edge(&r, 2, ATIMER_VIRT, 0, 520 * TICK);
    cr_expect_eq(arch_timer_level(r.t, ATIMER_HYP_VIRT), 1);
    cr_expect_eq(evq_next_time(&r.m->evq), 700 * TICK);
    advance(&r, 700 * TICK);
    cr_assert_eq(r.n, 4);
    expect_edge(&r, 3, ATIMER_VIRT, 1, 700 * TICK);
    rec_fini(&r);
}

Test(arch_timer, hyp_virt_ignores_cntvoff)
{
    Rec r;
    rec_init(&r);
    arch_timer_set_cntvoff(r.t, 12345, 0);
    cval(&r, ATIMER_HYP_VIRT, 300);
    ctl(&r, ATIMER_HYP_VIRT, ATIMER_CTL_ENABLE);
    cr_expect_eq(arch_timer_read_tval(r.t, ATIMER_HYP_VIRT, 0), 300);
    advance(&r, 300 * TICK);
    cr_assert_eq(r.n, 1);
    expect_edge(&r, 0, ATIMER_HYP_VIRT, 1, 300 * TICK);
    rec_fini(&r);
}

Test(arch_timer, reprogram_reschedules)
{
    Rec r;
    rec_init(&r);
    cval(&r, ATIMER_PHYS, 1000);
    ctl(&r, ATIMER_PHYS, ATIMER_CTL_ENABLE);
    r.now = 10 * TICK;
    cval(&r, ATIMER_PHYS, 500);   /* earlier */
    cr_expect_eq(evq_next_time(&r.m->evq), 500 * TICK);
    advance(&r, 2000 * TICK);
    cr_assert_eq(r.n, 1, "stale event fired too (%d edges)", r.n);
    expect_edge(&r, 0, ATIMER_PHYS, 1, 500 * TICK);
    /* later than now: the condition no longer holds, the line drops and rises again */
    cval(&r, ATIMER_PHYS, 3000);
    cr_assert_eq(r.n, 2);
    expect_edge(&r, 1, ATIMER_PHYS, 0, 2000 * TICK);
    cval(&r, ATIMER_PHYS, 4000);   /* later still: the 3000 event must be gone */
    advance(&r, 3999 * TICK);
    cr_expect_eq(r.n, 2);
    advance(&r, 5000 * TICK);
    cr_assert_eq(r.n, 3);
    expect_edge(&r, 2, ATIMER_PHYS, 1, 4000 * TICK);
    rec_fini(&r);
}

Test(arch_timer, four_timers_independent)
{
    Rec r;
    rec_init(&r);
    static const uint64_t cv[ATIMER_N] = { 400, 100, 300, 200 };
    for (int i = 0; i < ATIMER_N; i++) {
        cval(&r, i, cv[i]);
        ctl(&r, i, ATIMER_CTL_ENABLE);
    }
    cr_expect_eq(r.m->evq.n, ATIMER_N);
    advance(&r, 1000 * TICK);
    cr_assert_eq(r.n, 4);
    expect_edge(&r, 0, ATIMER_VIRT, 1, 100 * TICK);
    expect_edge(&r, 1, ATIMER_HYP_VIRT, 1, 200 * TICK);
    expect_edge(&r, 2, ATIMER_HYP_PHYS, 1, 300 * TICK);
    expect_edge(&r, 3, ATIMER_PHYS, 1, 400 * TICK);
    ctl(&r, ATIMER_HYP_PHYS, 0);
    cr_assert_eq(r.n, 5);
    expect_edge(&r, 4, ATIMER_HYP_PHYS, 0, 1000 * TICK);
    for (int i = 0; i < ATIMER_N; i++) {
        cr_expect_eq(arch_timer_level(r.t, i), i != ATIMER_HYP_PHYS);
        cr_expect_eq(arch_timer_read_cval(r.t, i), cv[i]);
    }
    rec_fini(&r);
}

Test(arch_timer, huge_cval_never_fires)
{
    Rec r;
    rec_init(&r);
    cval(&r, ATIMER_PHYS, UINT64_MAX);
    ctl(&r, ATIMER_PHYS, ATIMER_CTL_ENABLE);
    cr_expect_eq(evq_next_time(&r.m->evq), SIMTIME_NEVER);
    /* the last count simulated time reaches still gets an event */
    uint64_t last = SIMTIME_NEVER / TICK;
    cval(&r, ATIMER_PHYS, last);
    cr_expect_eq(evq_next_time(&r.m->evq), last * TICK);
    cval(&r, ATIMER_PHYS, last + 1);
    cr_expect_eq(evq_next_time(&r.m->evq), SIMTIME_NEVER);
    cr_expect_eq(r.n, 0);
    rec_fini(&r);
}

Test(arch_timer, virtual_count_wrap_lowers)
{
    Rec r;
    rec_init(&r);
    r.now = 100 * TICK;
    /* CNTVOFF above the count: the virtual count is 2^64 - 5, past CVAL = 10 ... */
    arch_timer_set_cntvoff(r.t, 105, r.now);
    cval(&r, ATIMER_VIRT, 10);
    ctl(&r, ATIMER_VIRT, ATIMER_CTL_ENABLE);
    cr_assert_eq(r.n, 1);
    expect_edge(&r, 0, ATIMER_VIRT, 1, 100 * TICK);
    /* ... until it wraps to 0 at physical 105, then it is met again at virtual 10 */
    advance(&r, 200 * TICK);
    cr_assert_eq(r.n, 3);
    expect_edge(&r, 1, ATIMER_VIRT, 0, 105 * TICK);
    expect_edge(&r, 2, ATIMER_VIRT, 1, 115 * TICK);
    rec_fini(&r);
}

Test(arch_timer, reset_lowers_and_cancels)
{
    Rec r;
    rec_init(&r);
    r.now = 100 * TICK;
    cval(&r, ATIMER_PHYS, 0);
    ctl(&r, ATIMER_PHYS, ATIMER_CTL_ENABLE);
    cval(&r, ATIMER_VIRT, 500);
    ctl(&r, ATIMER_VIRT, ATIMER_CTL_ENABLE);
    arch_timer_set_cntvoff(r.t, 3, r.now);
    cr_assert_eq(r.n, 1);
    cr_expect_eq(evq_next_time(&r.m->evq), 503 * TICK);
    arch_timer_reset(r.t);
    cr_assert_eq(r.n, 2);
    expect_edge(&r, 1, ATIMER_PHYS, 0, 100 * TICK);
    cr_expect_eq(evq_next_time(&r.m->evq), SIMTIME_NEVER);
    cr_expect_eq(arch_timer_cntvoff(r.t), 0);
    for (int i = 0; i < ATIMER_N; i++) {
        cr_expect_eq(rd_ctl(&r, i), 0);
        cr_expect_eq(arch_timer_read_cval(r.t, i), 0);
    }
    rec_fini(&r);
}

/* Writes through arch_timer_sysreg and finds which timer's CVAL changed. */
static int sysreg_target(Rec *r, uint32_t cval_key, bool e2h)
{
    for (int i = 0; i < ATIMER_N; i++)
        cval(r, i, 0);
    uint64_t v = 777;
    cr_assert(arch_timer_sysreg(r->t, cval_key, true, &v, r->now, e2h));
    int found = -1;
    for (int i = 0; i < ATIMER_N; i++)
        if (arch_timer_read_cval(r->t, i) == 777) {
            cr_assert_eq(found, -1, "one write changed two timers");
            found = i;
        }
    uint64_t back = 0;
    cr_assert(arch_timer_sysreg(r->t, cval_key, false, &back, r->now, e2h));
    cr_expect_eq(back, 777);
    return found;
}

Test(arch_timer, sysreg_keys_and_e2h_redirect)
{
    Rec r;
    rec_init(&r);
    cr_expect_eq(ATIMER_CNTP_CTL_EL0, 0xdf11);   /* S3_3_C14_C2_1 */
    cr_expect_eq(ATIMER_CNTHV_CVAL_EL2, A64_SYSREG_KEY(3, 4, 14, 3, 2));
    cr_expect_eq(ATIMER_CNTV_TVAL_EL02, A64_SYSREG_KEY(3, 5, 14, 3, 0));

    cr_expect_eq(sysreg_target(&r, ATIMER_CNTP_CVAL_EL0, false), ATIMER_PHYS);
    cr_expect_eq(sysreg_target(&r, ATIMER_CNTV_CVAL_EL0, false), ATIMER_VIRT);
    cr_expect_eq(sysreg_target(&r, ATIMER_CNTHP_CVAL_EL2, false), ATIMER_HYP_PHYS);
    cr_expect_eq(sysreg_target(&r, ATIMER_CNTHV_CVAL_EL2, false), ATIMER_HYP_VIRT);
    /* E2H: the EL0 names reach the EL2 timers, the EL02 names the EL1 timers */
    cr_expect_eq(sysreg_target(&r, ATIMER_CNTP_CVAL_EL0, true), ATIMER_HYP_PHYS);
    cr_expect_eq(sysreg_target(&r, ATIMER_CNTV_CVAL_EL0, true), ATIMER_HYP_VIRT);
    cr_expect_eq(sysreg_target(&r, ATIMER_CNTP_CVAL_EL02, true), ATIMER_PHYS);
    cr_expect_eq(sysreg_target(&r, ATIMER_CNTV_CVAL_EL02, true), ATIMER_VIRT);
    cr_expect_eq(sysreg_target(&r, ATIMER_CNTHP_CVAL_EL2, true), ATIMER_HYP_PHYS);
    cr_expect_eq(sysreg_target(&r, ATIMER_CNTHV_CVAL_EL2, true), ATIMER_HYP_VIRT);

    /* CTL and TVAL through the table reach the redirected timer too */
    uint64_t v = ATIMER_CTL_ENABLE | ATIMER_CTL_IMASK;
    cr_assert(arch_timer_sysreg(r.t, ATIMER_CNTV_CTL_EL0, true, &v, r.now, true));
    cr_expect_eq(rd_ctl(&r, ATIMER_HYP_VIRT) & 3, 3);
    cr_expect_eq(rd_ctl(&r, ATIMER_VIRT), 0);
    v = 40;
    cr_assert(arch_timer_sysreg(r.t, ATIMER_CNTP_TVAL_EL02, true, &v, r.now, true));
    cr_expect_eq(arch_timer_read_cval(r.t, ATIMER_PHYS), 40);
    v = 0;
    cr_assert(arch_timer_sysreg(r.t, ATIMER_CNTHV_CTL_EL2, false, &v, r.now, false));
    cr_expect_eq(v, 3);

    /* other generic-timer registers and near misses are not ours */
    static const uint32_t not_ours[] = {
        A64_SYSREG_KEY(3, 3, 14, 0, 0),   /* CNTFRQ_EL0 */
        A64_SYSREG_KEY(3, 3, 14, 0, 2),   /* CNTVCT_EL0 */
        A64_SYSREG_KEY(3, 0, 14, 1, 0),   /* CNTKCTL_EL1 */
        A64_SYSREG_KEY(3, 4, 14, 0, 3),   /* CNTVOFF_EL2 */
        A64_SYSREG_KEY(3, 4, 14, 1, 0),   /* CNTHCTL_EL2 */
        A64_SYSREG_KEY(3, 3, 14, 2, 3),
        A64_SYSREG_KEY(3, 4, 14, 5, 1),   /* CNTHPS_CTL_EL2 (secure EL2, not modelled) */
        A64_SYSREG_KEY(3, 0, 14, 2, 1),
        A64_SYSREG_KEY(3, 3, 13, 2, 1),
        A64_SYSREG_KEY(2, 3, 14, 2, 1),
    };
    for (size_t i = 0; i < sizeof(not_ours) / sizeof(not_ours[0]); i++) {
        uint64_t x = 0x5a5a;
        cr_expect_not(arch_timer_sysreg(r.t, not_ours[i], false, &x, r.now, false), "key %#x", not_ours[i]);
        cr_expect_not(arch_timer_sysreg(r.t, not_ours[i], true, &x, r.now, true), "key %#x", not_ours[i]);
        cr_expect_eq(x, 0x5a5a);
    }
    rec_fini(&r);
}

/* A snapshot restore as the checkpoint code does it: copy every non-derived field named by
 * the state description into a fresh instance, then post_load. */
static void copy_state(void *dst, const void *src)
{
    const StateDesc *d = &arch_timer_state_desc;
    for (int i = 0; i < d->nfields; i++) {
        const StateField *f = &d->fields[i];
        if (!state_field_saved(f))
            continue;
        memcpy((char *)dst + f->offset, (const char *)src + f->offset, (size_t)f->elem_size * f->count);
    }
}

Test(arch_timer, post_load_reschedules)
{
    Rec a, b;
    rec_init(&a);
    rec_init(&b);
    a.now = b.now = 1000 * TICK;
    arch_timer_set_cntvoff(a.t, 400, a.now);
    cval(&a, ATIMER_VIRT, 900);                  /* physical 1300 */
    ctl(&a, ATIMER_VIRT, ATIMER_CTL_ENABLE);
    cval(&a, ATIMER_HYP_PHYS, 2000);
    ctl(&a, ATIMER_HYP_PHYS, ATIMER_CTL_ENABLE);
    cval(&a, ATIMER_PHYS, 10);                   /* already met: high */
    ctl(&a, ATIMER_PHYS, ATIMER_CTL_ENABLE);
    cval(&a, ATIMER_HYP_VIRT, 1100);             /* masked: no event */
    ctl(&a, ATIMER_HYP_VIRT, ATIMER_CTL_ENABLE | ATIMER_CTL_IMASK);

    copy_state(b.t, a.t);
    cr_assert_eq(b.n, 0);
    arch_timer_post_load(b.t, b.now);
    cr_expect_eq(b.n, ATIMER_N, "post_load drives each line once, drove %d", b.n);
    cr_expect_eq(arch_timer_level(b.t, ATIMER_PHYS), 1, "met timer not driven high after load");
    cr_expect_eq(b.m->evq.n, 2, "want the virtual and EL2 physical events, have %d", b.m->evq.n);
    cr_expect_eq(evq_next_time(&b.m->evq), 1300 * TICK);
    for (int i = 0; i < ATIMER_N; i++)
        cr_expect_eq(arch_timer_read_ctl(b.t, i, b.now), arch_timer_read_ctl(a.t, i, a.now));

    int na = a.n, nb = b.n;
    advance(&a, 3000 * TICK);
    advance(&b, 3000 * TICK);
    cr_assert_eq(a.n - na, 2);
    cr_assert_eq(b.n - nb, 2, "restored timers fired %d times, want 2", b.n - nb);
    for (int i = 0; i < 2; i++) {
        cr_expect_eq(b.e[nb + i].which, a.e[na + i].which);
        cr_expect_eq(b.e[nb + i].level, a.e[na + i].level);
        cr_expect_eq(b.e[nb + i].when, a.e[na + i].when);
    }
    expect_edge(&b, nb, ATIMER_VIRT, 1, 1300 * TICK);
    expect_edge(&b, nb + 1, ATIMER_HYP_PHYS, 1, 2000 * TICK);

    /* equal state hashes */
    char ha[65], hb[65];
    machine_state_hash(a.m, ha);
    machine_state_hash(b.m, hb);
    cr_expect_str_eq(ha, hb);
    rec_fini(&a);
    rec_fini(&b);
}
