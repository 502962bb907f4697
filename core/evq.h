/* The event queue: one per machine, deterministic order (time, priority, insertion). */
#ifndef HVSIM_CORE_EVQ_H
#define HVSIM_CORE_EVQ_H
#include <stdbool.h>
#include <stdint.h>

/* Simulated time is in picoseconds. */
typedef uint64_t SimTime;
#define SIMTIME_NEVER UINT64_MAX
#define PS_PER_NS 1000ULL
#define PS_PER_S 1000000000000ULL

/* Named priorities: lower runs first among events due at the same time. */
enum { EVQ_PRIO_DEVICE = 0, EVQ_PRIO_TIMER = 10, EVQ_PRIO_SIM_EXIT = 100 };

typedef void (*EventFn)(void *opaque, SimTime now);

typedef struct Event {
    const char *name;
    EventFn fn;
    void *opaque;
    int prio;
    /* owned by the queue */
    SimTime when;
    uint64_t seq;
    int heap_idx;             /* -1 when not scheduled */
} Event;

#define EVQ_MAX 256
typedef struct EventQueue {
    Event *heap[EVQ_MAX];
    int n;
    uint64_t next_seq;
} EventQueue;

void evq_init(EventQueue *q);
void event_init(Event *e, const char *name, int prio, EventFn fn, void *opaque);
/* (Re)schedules e at absolute time `when`. */
void evq_schedule(EventQueue *q, Event *e, SimTime when);
void evq_cancel(EventQueue *q, Event *e);
static inline bool event_pending(const Event *e) { return e->heap_idx >= 0; }
SimTime evq_next_time(const EventQueue *q);
/* Runs every event due at or before `now`, in order. Returns how many ran. */
int evq_run_due(EventQueue *q, SimTime now);
#endif
