/* The event stream (core/events.h): priority order, filters, the mask publishers test,
 * muting during re-execution, unsubscribing from inside a callback; and the CPU's
 * publishers: one EV_INSN per instruction, EV_MEM for each data access, EV_EXC_TAKEN and
 * EV_EXC_RETURN around an SVC, a pause requested by a subscriber. */
#include <criterion/criterion.h>
#include "core/events.h"
#include "harness.h"
#include "cpu/arm64/sysreg.h"

typedef struct Log {
    char order[16];
    int n;
    int stop_at;              /* return true on the stop_at-th event heard (1-based), or 0 */
    EvInfo last[8];
} Log;

static bool hear_a(void *opaque, const EvInfo *e)
{
    Log *l = opaque;
    l->order[l->n < 15 ? l->n : 15] = 'a';
    l->last[l->n & 7] = *e;
    return ++l->n == l->stop_at;
}
static bool hear_b(void *opaque, const EvInfo *e)
{
    Log *l = opaque;
    l->order[l->n < 15 ? l->n : 15] = 'b';
    return ++l->n == l->stop_at;
}

Test(events, priority_order_and_mask)
{
    EvStream s = { 0 };
    Log l = { 0 };
    cr_assert(!ev_wants(&s, EV_EXC_TAKEN));
    ev_subscribe(&s, EV_BIT(EV_EXC_TAKEN), EV_PRIO_DEBUG, NULL, hear_b, &l);
    ev_subscribe(&s, EV_BIT(EV_EXC_TAKEN) | EV_BIT(EV_INSN), EV_PRIO_TRACE, NULL, hear_a, &l);
    cr_assert(ev_wants(&s, EV_EXC_TAKEN) && ev_wants(&s, EV_INSN) && !ev_wants(&s, EV_MEM));
    cr_assert_eq(s.careful, EV_BIT(EV_INSN));
    EvInfo e = { .kind = EV_EXC_TAKEN, .cpu = 0, .el = 1, .vmid = -1 };
    cr_assert(!ev_publish(&s, &e));
    cr_assert_str_eq(l.order, "ab");       /* the trace before the debugger */
    ev_unsubscribe(&s, hear_a, &l);
    cr_assert(!ev_wants(&s, EV_INSN));
    ev_unsubscribe(&s, hear_b, &l);
    cr_assert_eq(s.mask, 0);
}

Test(events, filters)
{
    EvStream s = { 0 };
    Log l = { 0 };
    EvFilter f = { .cpu = 1, .el = -1, .vmid = 2, .lo = 0x1000, .hi = 0x1fff };
    ev_subscribe(&s, EV_BIT(EV_INSN), EV_PRIO_PLUGIN, &f, hear_a, &l);
    EvInfo e = { .kind = EV_INSN, .cpu = 1, .el = 1, .vmid = 2, .pc = 0x1800 };
    ev_publish(&s, &e);
    e.pc = 0x2000;            /* outside the range */
    ev_publish(&s, &e);
    e.pc = 0x1000;
    e.cpu = 0;                /* another core */
    ev_publish(&s, &e);
    e.cpu = 1;
    e.vmid = -1;              /* not in a guest */
    ev_publish(&s, &e);
    cr_assert_eq(l.n, 1);
    cr_assert_eq(l.last[0].pc, 0x1800);
}

Test(events, muted_only_models_hear_and_none_pauses)
{
    EvStream s = { 0 };
    Log model = { .stop_at = 1 }, plugin = { 0 };
    ev_subscribe(&s, EV_BIT(EV_VM_EXIT), EV_PRIO_MODEL, NULL, hear_a, &model);
    ev_subscribe(&s, EV_BIT(EV_VM_EXIT), EV_PRIO_PLUGIN, NULL, hear_b, &plugin);
    EvInfo e = { .kind = EV_VM_EXIT, .vmid = 1 };
    s.muted = 1;
    cr_assert(!ev_publish(&s, &e));        /* a model asked, but the past cannot pause */
    cr_assert_eq(model.n, 1);
    cr_assert_eq(plugin.n, 0);
    s.muted = 0;
    model.stop_at = 2;
    cr_assert(ev_publish(&s, &e));
    cr_assert_eq(plugin.n, 1);
}

/* Quiet (the debugger re-running the past to find its last stop): the debugger hears and may
 * pause; traces and plugins do not hear. */
Test(events, quiet_keeps_the_debugger)
{
    EvStream s = { 0 };
    Log trace = { 0 }, debug = { .stop_at = 1 }, plugin = { 0 };
    ev_subscribe(&s, EV_BIT(EV_EXC_TAKEN), EV_PRIO_TRACE, NULL, hear_a, &trace);
    ev_subscribe(&s, EV_BIT(EV_EXC_TAKEN), EV_PRIO_DEBUG, NULL, hear_b, &debug);
    ev_subscribe(&s, EV_BIT(EV_EXC_TAKEN), EV_PRIO_PLUGIN, NULL, hear_a, &plugin);
    EvInfo e = { .kind = EV_EXC_TAKEN };
    s.quiet = 1;
    cr_assert(ev_publish(&s, &e));
    cr_assert_eq(trace.n + plugin.n, 0);
    cr_assert_eq(debug.n, 1);
}

static EvStream *self_stream;
static bool leave(void *opaque, const EvInfo *e)
{
    Log *l = opaque;
    l->n++;
    ev_unsubscribe(self_stream, leave, opaque);
    return false;
}

Test(events, unsubscribe_from_a_callback)
{
    EvStream s = { 0 };
    self_stream = &s;
    Log l1 = { 0 }, l2 = { 0 };
    ev_subscribe(&s, EV_BIT(EV_MEM), EV_PRIO_PLUGIN, NULL, leave, &l1);
    ev_subscribe(&s, EV_BIT(EV_MEM), EV_PRIO_PLUGIN, NULL, hear_a, &l2);
    EvInfo e = { .kind = EV_MEM };
    ev_publish(&s, &e);
    ev_publish(&s, &e);
    cr_assert_eq(l1.n, 1);
    cr_assert_eq(l2.n, 2);    /* the next subscriber was not skipped */
    cr_assert_eq(s.nsubs, 1);
}

Test(events, kind_names)
{
    for (int k = 0; k < EV_NKINDS; k++)
        cr_assert_eq(ev_kind_by_name(ev_kind_name((EvKind)k)), k);
    cr_assert_eq(ev_kind_by_name("nonsense"), -1);
}

/* The core's publishers on a few instructions at EL1. */
Test(events, cpu_publishes_insn_mem_and_exceptions)
{
    TH *t = th_new();
    Log ins = { 0 }, mem = { 0 }, exc = { 0 };
    ev_subscribe(&t->m->events, EV_BIT(EV_INSN), EV_PRIO_PLUGIN, NULL, hear_a, &ins);
    ev_subscribe(&t->m->events, EV_BIT(EV_MEM), EV_PRIO_PLUGIN, NULL, hear_a, &mem);
    static const uint32_t code[] = {
        0xd2a80021, /* mov  x1, #0x40010000 */
        0xf9000021, /* str  x1, [x1] */
        0xf9400022, /* ldr  x2, [x1] */
        0xd503201f, /* nop */
    };
    cr_assert_eq(th_run(t, code, 4), 0);
    cr_assert_eq(ins.n, 4);
    cr_assert_eq(ins.last[0].pc, TH_RAM_BASE);
    cr_assert_eq(ins.last[1].u.insn.raw, 0xf9000021);
    cr_assert_eq(ins.last[3].el, 1);
    cr_assert_eq(mem.n, 2);
    cr_assert(mem.last[0].u.mem.write && !mem.last[1].u.mem.write);
    cr_assert_eq(mem.last[0].u.mem.addr, 0x40010000);
    cr_assert_eq(mem.last[1].u.mem.size, 8);
    cr_assert_eq(mem.last[1].pc, TH_RAM_BASE + 8);
    cr_assert_eq(t->c->x[2], 0x40010000);

    /* SVC to EL1: taken (from EL1 to EL1) then, with ELR pointing back, returned from */
    ev_unsubscribe(&t->m->events, hear_a, &ins);
    ev_unsubscribe(&t->m->events, hear_a, &mem);
    ev_subscribe(&t->m->events, EV_BIT(EV_EXC_TAKEN) | EV_BIT(EV_EXC_RETURN), EV_PRIO_PLUGIN,
                 NULL, hear_a, &exc);
    t->c->sys[A64_SYS_VBAR_EL1] = TH_RAM_BASE + 0x800;
    uint32_t *vec = (uint32_t *)th_ram(t, TH_RAM_BASE + 0x800 + 0x200);   /* current EL, SPx */
    vec[0] = 0xd69f03e0;      /* eret */
    t->c->spsel = 1;
    static const uint32_t svc[] = { 0xd4000021 /* svc #1 */, 0xd503201f /* nop */ };
    cr_assert_eq(th_run(t, svc, 2), 0);
    cr_assert_eq(exc.n, 2);
    cr_assert_eq(exc.last[0].kind, EV_EXC_TAKEN);
    cr_assert_eq(exc.last[0].u.exc.to_el, 1);
    cr_assert_eq(exc.last[0].u.exc.syndrome >> 26, 0x15);   /* EC: SVC from AArch64 */
    cr_assert_eq(exc.last[1].kind, EV_EXC_RETURN);
    cr_assert_eq(exc.last[1].pc, TH_RAM_BASE + 4);
    th_free(t);
}

/* A subscriber's pause stops the run before the instruction it heard. */
Test(events, insn_subscriber_pauses_before_the_instruction)
{
    TH *t = th_new();
    Log ins = { .stop_at = 3 };
    ev_subscribe(&t->m->events, EV_BIT(EV_INSN), EV_PRIO_PLUGIN, NULL, hear_a, &ins);
    static const uint32_t code[] = {
        0xd2800021, /* mov x1, #1 */
        0xd2800042, /* mov x2, #2 */
        0xd2800063, /* mov x3, #3 */
        0xd2800084, /* mov x4, #4 */
    };
    th_run(t, code, 4);
    cr_assert(t->m->paused);
    cr_assert_eq(t->c->pc, TH_RAM_BASE + 8);
    cr_assert_eq(t->c->x[2], 2);
    cr_assert_neq(t->c->x[3], 3);
    th_free(t);
}
