/* Binary heap ordered by (when, prio, seq): deterministic for equal times. */
#include "core/evq.h"
#include <assert.h>
#include <stddef.h>

void evq_init(EventQueue *q)
{
    q->n = 0;
    q->next_seq = 0;
}

void event_init(Event *e, const char *name, int prio, EventFn fn, void *opaque)
{
    e->name = name;
    e->prio = prio;
    e->fn = fn;
    e->opaque = opaque;
    e->when = SIMTIME_NEVER;
    e->seq = 0;
    e->heap_idx = -1;
}

static bool before(const Event *a, const Event *b)
{
    if (a->when != b->when)
        return a->when < b->when;
    if (a->prio != b->prio)
        return a->prio < b->prio;
    return a->seq < b->seq;
}

static void place(EventQueue *q, int i, Event *e)
{
    q->heap[i] = e;
    e->heap_idx = i;
}

static void sift_up(EventQueue *q, int i)
{
    Event *e = q->heap[i];
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!before(e, q->heap[p]))
            break;
        place(q, i, q->heap[p]);
        i = p;
    }
    place(q, i, e);
}

static void sift_down(EventQueue *q, int i)
{
    Event *e = q->heap[i];
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        const Event *best = e;
        if (l < q->n && before(q->heap[l], best)) {
            m = l;
            best = q->heap[l];
        }
        if (r < q->n && before(q->heap[r], best))
            m = r;
        if (m == i)
            break;
        place(q, i, q->heap[m]);
        i = m;
    }
    place(q, i, e);
}

void evq_cancel(EventQueue *q, Event *e)
{
    int i = e->heap_idx;
    if (i < 0)
        return;
    e->heap_idx = -1;
    q->n--;
    if (i == q->n)
        return;
    Event *moved = q->heap[q->n];
    place(q, i, moved);
    sift_up(q, i);
    sift_down(q, moved->heap_idx);
}

void evq_schedule(EventQueue *q, Event *e, SimTime when)
{
    evq_cancel(q, e);
    assert(q->n < EVQ_MAX);
    e->when = when;
    e->seq = q->next_seq++;
    place(q, q->n++, e);
    sift_up(q, e->heap_idx);
}

SimTime evq_next_time(const EventQueue *q)
{
    return q->n ? q->heap[0]->when : SIMTIME_NEVER;
}

int evq_run_due(EventQueue *q, SimTime now)
{
    int ran = 0;
    while (q->n && q->heap[0]->when <= now) {
        Event *e = q->heap[0];
        SimTime when = e->when;
        evq_cancel(q, e);
        e->fn(e->opaque, when);
        ran++;
    }
    return ran;
}
