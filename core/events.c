/* The event stream (see events.h). */
#include "core/events.h"
#include <string.h>

static const char *const kind_names[EV_NKINDS] = {
    "insn", "mem", "exc-taken", "exc-return", "vm-exit", "vm-entry", "power-off", "walk", "mmio",
    "irq", "tlbi", "fwcall", "snapshot", "decode", "unimp",
    "timing",
};

const char *ev_kind_name(EvKind k)
{
    return k < EV_NKINDS ? kind_names[k] : "?";
}

int ev_kind_by_name(const char *name)
{
    for (int k = 0; k < EV_NKINDS; k++)
        if (!strcmp(kind_names[k], name))
            return k;
    return -1;
}

static void update_mask(EvStream *s)
{
    s->mask = 0;
    for (int i = 0; i < s->nsubs; i++)
        s->mask |= s->subs[i].kinds;
    s->careful = s->mask & (EV_BIT(EV_INSN) | EV_BIT(EV_MEM));
}

void ev_unsubscribe(EvStream *s, EvFn fn, void *opaque)
{
    for (int i = 0; i < s->nsubs; i++)
        if (s->subs[i].fn == fn && s->subs[i].opaque == opaque) {
            memmove(&s->subs[i], &s->subs[i + 1], (size_t)(s->nsubs - i - 1) * sizeof s->subs[0]);
            s->nsubs--;
            break;
        }
    update_mask(s);
}

bool ev_subscribe(EvStream *s, uint32_t kinds, int prio, const EvFilter *f, EvFn fn, void *opaque)
{
    ev_unsubscribe(s, fn, opaque);
    if (s->nsubs == EV_MAX_SUBS)
        return false;
    int at = s->nsubs;
    while (at > 0 && s->subs[at - 1].prio > prio)
        at--;
    memmove(&s->subs[at + 1], &s->subs[at], (size_t)(s->nsubs - at) * sizeof s->subs[0]);
    s->subs[at] = (EvSub){ .kinds = kinds, .prio = prio, .filter = f ? *f : EV_FILTER_ALL,
                           .fn = fn, .opaque = opaque };
    s->nsubs++;
    update_mask(s);
    return true;
}

static bool passes(const EvFilter *f, const EvInfo *e)
{
    if ((f->cpu >= 0 && f->cpu != e->cpu) || (f->el >= 0 && f->el != e->el) ||
        (f->vmid >= 0 && f->vmid != e->vmid))
        return false;
    if (f->lo <= f->hi) {
        uint64_t a = e->kind == EV_MEM ? e->u.mem.addr : e->kind == EV_WALK ? e->u.walk.addr
                   : e->kind == EV_MMIO ? e->u.mmio.addr : e->pc;
        if (a < f->lo || a > f->hi)
            return false;
    }
    return true;
}

void ev_switch(EvStream *s, bool on, uint32_t kinds, int prio, EvFn fn, void *opaque)
{
    if (on)
        ev_subscribe(s, kinds, prio, NULL, fn, opaque);
    else
        ev_unsubscribe(s, fn, opaque);
}

bool ev_publish(EvStream *s, const EvInfo *e)
{
    bool pause = false;
    /* a subscriber may unsubscribe itself (or another) while hearing an event: walk by
     * index over the table as it is after each call */
    for (int i = 0; i < s->nsubs; i++) {
        const EvSub *sub = &s->subs[i];
        if (!(sub->kinds & EV_BIT(e->kind)) || !passes(&sub->filter, e))
            continue;
        if ((s->muted && sub->prio != EV_PRIO_MODEL) ||
            (s->quiet && (sub->prio == EV_PRIO_TRACE || sub->prio == EV_PRIO_PLUGIN)))
            continue;
        EvFn fn = sub->fn;
        void *opaque = sub->opaque;
        pause |= fn(opaque, e) && !s->muted;
        if (i < s->nsubs && (s->subs[i].fn != fn || s->subs[i].opaque != opaque))
            i--;              /* it removed itself: the next one moved into slot i */
    }
    return pause;
}
