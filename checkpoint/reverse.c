/* Reverse execution (see reverse.h). */
#include "checkpoint/reverse.h"
#include <stdio.h>
#include <string.h>
#include "checkpoint/snapshot.h"

#define PAGE 4096u

typedef struct Version {
    uint32_t snap;            /* id of the snapshot whose state holds this page content */
    uint8_t *data;            /* NULL: the page is zero */
} Version;

typedef struct Snap {
    uint32_t id;              /* ids grow with icount */
    uint64_t icount;
    GByteArray *state;        /* snapshot_encode_state() */
    GArray *dirty;            /* uint32 pages written since the previous snapshot (all
                               * non-zero pages for the first) */
} Snap;

struct Reverse {
    Machine *m;
    InputLog *log;
    uint64_t interval, budget, bytes;
    GPtrArray *snaps;         /* Snap *, by icount */
    GArray **pv;              /* per RAM page: Version, by snap id; NULL = never saved */
    uint32_t next_id;
    int base;                 /* index of the snapshot RAM equals, modulo ram_dirty */
    uint64_t frontier;        /* furthest icount run to */
    bool warned;
};

static uint64_t npages(const Reverse *r)
{
    return r->m->ram_size / PAGE;
}

static Snap *snap_at(const Reverse *r, int i)
{
    return g_ptr_array_index(r->snaps, i);
}

static bool page_zero(const uint8_t *p)
{
    static const uint8_t zero[PAGE];
    return memcmp(p, zero, PAGE) == 0;
}

static void add_version(Reverse *r, uint64_t pg, uint32_t id)
{
    if (!r->pv[pg])
        r->pv[pg] = g_array_new(FALSE, FALSE, sizeof(Version));
    const uint8_t *src = r->m->ram + pg * PAGE;
    Version v = { id, NULL };
    if (!page_zero(src)) {
        v.data = g_memdup2(src, PAGE);
        r->bytes += PAGE;
    }
    g_array_append_val(r->pv[pg], v);
}

static void snap_free(Reverse *r, Snap *s)
{
    r->bytes -= s->state->len + s->dirty->len * sizeof(uint32_t);
    g_byte_array_free(s->state, TRUE);
    g_array_free(s->dirty, TRUE);
    g_free(s);
}

/* Merges snapshot i (neither the first nor the last) into snapshot i + 1: a page version of
 * i survives, relabelled as i + 1's, only if i + 1 has none of its own for that page. */
static void merge_into_next(Reverse *r, int i)
{
    Snap *s = snap_at(r, i), *n = snap_at(r, i + 1);
    for (guint k = 0; k < s->dirty->len; k++) {
        uint32_t pg = g_array_index(s->dirty, uint32_t, k);
        GArray *a = r->pv[pg];
        for (guint j = 0; j < a->len; j++) {
            Version *v = &g_array_index(a, Version, j);
            if (v->snap != s->id)
                continue;
            bool next_has = j + 1 < a->len && g_array_index(a, Version, j + 1).snap == n->id;
            if (next_has) {
                if (v->data)
                    r->bytes -= PAGE;
                g_free(v->data);
                g_array_remove_index(a, j);
            } else {
                v->snap = n->id;
                g_array_append_val(n->dirty, pg);
                r->bytes += sizeof(uint32_t);
            }
            break;
        }
    }
    g_ptr_array_remove_index(r->snaps, i);
    if (r->base > i)
        r->base--;
    snap_free(r, s);
}

/* Keeps the history within the budget by merging every other older snapshot. */
static void thin(Reverse *r)
{
    while (r->bytes > r->budget) {
        int before = (int)r->snaps->len;
        for (int i = 1; i + 1 < (int)r->snaps->len && r->bytes > r->budget; i++)
            if (i != r->base)     /* RAM equals the base: it must stay */
                merge_into_next(r, i);
        if ((int)r->snaps->len == before)
            break;            /* nothing left to merge */
    }
    if (r->bytes > r->budget && !r->warned) {
        fprintf(stderr, "hvsim: reverse execution: history needs %llu KiB, over the budget of "
                "%llu KiB (raise --reverse-budget)\n", (unsigned long long)((r->bytes + 1023) >> 10),
                (unsigned long long)(r->budget >> 10));
        r->warned = true;
    }
}

static void take(Reverse *r, bool all)
{
    Machine *m = r->m;
    Snap *s = g_new0(Snap, 1);
    s->id = r->next_id++;
    s->icount = machine_icount(m);
    s->state = g_byte_array_new();
    snapshot_encode_state(m, s->state);
    s->dirty = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    for (uint64_t pg = 0; pg < npages(r); pg++) {
        if (all ? !m->ram_touched[pg] || page_zero(m->ram + pg * PAGE) : !m->ram_dirty[pg])
            continue;
        uint32_t p32 = (uint32_t)pg;
        g_array_append_val(s->dirty, p32);
        add_version(r, pg, s->id);
    }
    r->bytes += s->state->len + s->dirty->len * sizeof(uint32_t);
    g_ptr_array_add(r->snaps, s);
    r->base = (int)r->snaps->len - 1;
    machine_clear_dirty(m);
    thin(r);
}

Reverse *reverse_new(Machine *m, InputLog *log, uint64_t interval, uint64_t budget_bytes)
{
    Reverse *r = g_new0(Reverse, 1);
    r->m = m;
    r->log = log;
    r->interval = interval ? interval : 1;
    r->budget = budget_bytes;
    r->snaps = g_ptr_array_new();
    r->pv = g_new0(GArray *, npages(r));
    machine_track_dirty(m, true);
    r->frontier = machine_icount(m);
    take(r, true);
    return r;
}

void reverse_free(Reverse *r)
{
    if (!r)
        return;
    for (guint i = 0; i < r->snaps->len; i++)
        snap_free(r, snap_at(r, (int)i));
    g_ptr_array_free(r->snaps, TRUE);
    for (uint64_t pg = 0; pg < npages(r); pg++) {
        if (!r->pv[pg])
            continue;
        for (guint j = 0; j < r->pv[pg]->len; j++)
            g_free(g_array_index(r->pv[pg], Version, j).data);
        g_array_free(r->pv[pg], TRUE);
    }
    g_free(r->pv);
    machine_track_dirty(r->m, false);
    g_free(r);
}

/* Index of the snapshot at exactly icount, or -1. */
static int find_exact(const Reverse *r, uint64_t icount)
{
    for (int i = (int)r->snaps->len - 1; i >= 0; i--) {
        if (snap_at(r, i)->icount == icount)
            return i;
        if (snap_at(r, i)->icount < icount)
            break;
    }
    return -1;
}

/* RAM and state back to snapshot j. */
static void restore(Reverse *r, int j)
{
    Machine *m = r->m;
    Snap *t = snap_at(r, j);
    /* pages that may differ: written since base, and written between base and j */
    uint8_t *fix = m->ram_dirty;   /* reuse the dirty map as the set to fix */
    int lo = j < r->base ? j : r->base, hi = j < r->base ? r->base : j;
    for (int i = lo + 1; i <= hi; i++) {
        GArray *d = snap_at(r, i)->dirty;
        for (guint k = 0; k < d->len; k++)
            fix[g_array_index(d, uint32_t, k)] = 1;
    }
    for (uint64_t pg = 0; pg < npages(r); pg++) {
        if (!fix[pg])
            continue;
        const uint8_t *src = NULL;
        GArray *a = r->pv[pg];
        for (int k = a ? (int)a->len - 1 : -1; k >= 0; k--) {
            const Version *v = &g_array_index(a, Version, k);
            if (v->snap <= t->id) {
                src = v->data;
                break;
            }
        }
        if (src) {
            memcpy(m->ram + pg * PAGE, src, PAGE);
            m->ram_touched[pg] = 1;
        } else if (m->ram_touched[pg]) {
            memset(m->ram + pg * PAGE, 0, PAGE);
        }
    }
    char *err = NULL;
    int rc = snapshot_decode_state(m, t->state->data, t->state->len, &err);
    g_assert(rc == 0);        /* our own encoding of this very machine */
    r->base = j;
    machine_clear_dirty(m);
    if (r->log)
        inputlog_seek(r->log);
}

/* The next point forward from now where the run must stop: an existing snapshot (to rebase
 * on it), a new interval point beyond the frontier, or a logged write to re-apply. */
static uint64_t next_stop(const Reverse *r, uint64_t now)
{
    uint64_t next = (now / r->interval + 1) * r->interval;
    for (guint i = 0; i < r->snaps->len; i++) {
        uint64_t ic = snap_at(r, (int)i)->icount;
        if (ic > now) {
            if (ic < next)
                next = ic;
            break;
        }
    }
    if (r->log) {
        const ILEntry *w = inputlog_next_write(r->log);
        if (w && w->icount > now && w->icount < next)
            next = w->icount;
    }
    return next;
}

/* At a stop point: apply writes due now, rebase on an existing snapshot or take one. */
static void at_point(Reverse *r)
{
    uint64_t now = machine_icount(r->m);
    if (r->log) {
        const ILEntry *w;
        while ((w = inputlog_next_write(r->log)) && w->icount <= now)
            inputlog_apply_next_write(r->log);
    }
    int j = find_exact(r, now);
    if (j >= 0) {
        r->base = j;          /* deterministic: RAM equals snapshot j's */
        machine_clear_dirty(r->m);
    } else if (now % r->interval == 0 && now > snap_at(r, (int)r->snaps->len - 1)->icount) {
        take(r, false);
    }
    if (now > r->frontier)
        r->frontier = now;
    if (r->log)
        inputlog_advance(r->log);
}

int reverse_run(Reverse *r)
{
    Machine *m = r->m;
    at_point(r);
    while (!m->stop) {
        uint64_t now = machine_icount(m);
        if (!machine_run_to(m, next_stop(r, now)))
            break;
        at_point(r);
    }
    if (machine_icount(m) > r->frontier)
        r->frontier = machine_icount(m);
    if (r->log)
        inputlog_advance(r->log);
    return m->exit_code;
}

bool reverse_goto(Reverse *r, uint64_t target, char **err)
{
    Machine *m = r->m;
    if (target < reverse_first(r)) {
        *err = g_strdup_printf("the recorded history starts at instruction %llu",
                               (unsigned long long)reverse_first(r));
        return false;
    }
    if (target < machine_icount(m) || m->stop) {
        int j = (int)r->snaps->len - 1;
        while (j > 0 && snap_at(r, j)->icount > target)
            j--;
        restore(r, j);
    }
    if (machine_icount(m) == target && !m->stop) {
        at_point(r);          /* logged writes at this count are part of the state here */
        return true;
    }
    /* quietly forward to target: no debugger stops, no repeated output or traces (the event
     * stream muted: only models hear it, so break-on and plugins neither stop nor count) */
    bool (*bc)(void *, int, uint64_t, int, int) = m->break_check;
    bool (*wc)(void *, int, uint64_t, uint64_t, unsigned, bool) = m->watch_check;
    m->break_check = NULL;
    m->watch_check = NULL;
    m->events.muted++;
    machine_quiet(m, true);
    uint64_t user_max = m->cfg.max_insns;
    m->cfg.max_insns = target;
    reverse_run(r);
    m->cfg.max_insns = user_max;
    m->break_check = bc;
    m->watch_check = wc;
    m->events.muted--;
    machine_quiet(m, false);
    bool there = machine_icount(m) == target && m->at_limit;
    if (there) {
        m->stop = false;
        m->at_limit = false;
    } else {
        *err = g_strdup_printf("the machine stopped at instruction %llu before reaching %llu",
                               (unsigned long long)machine_icount(m), (unsigned long long)target);
    }
    return there;
}

void reverse_truncate(Reverse *r)
{
    uint64_t now = machine_icount(r->m);
    while (r->snaps->len > 1 && snap_at(r, (int)r->snaps->len - 1)->icount > now) {
        Snap *s = snap_at(r, (int)r->snaps->len - 1);
        for (guint k = 0; k < s->dirty->len; k++) {
            GArray *a = r->pv[g_array_index(s->dirty, uint32_t, k)];
            Version *v = &g_array_index(a, Version, a->len - 1);
            g_assert(v->snap == s->id);
            if (v->data)
                r->bytes -= PAGE;
            g_free(v->data);
            g_array_set_size(a, a->len - 1);
        }
        g_ptr_array_remove_index(r->snaps, r->snaps->len - 1);
        snap_free(r, s);
    }
    if (r->base >= (int)r->snaps->len)
        r->base = (int)r->snaps->len - 1;
    r->frontier = now;
    if (r->log)
        inputlog_truncate(r->log);
}

uint64_t reverse_first(const Reverse *r)
{
    return snap_at(r, 0)->icount;
}

uint64_t reverse_frontier(const Reverse *r)
{
    return r->frontier > machine_icount(r->m) ? r->frontier : machine_icount(r->m);
}

uint64_t *reverse_points_before(const Reverse *r, uint64_t icount, int *n)
{
    uint64_t *p = g_new(uint64_t, r->snaps->len + 1);
    *n = 0;
    for (int i = (int)r->snaps->len - 1; i >= 0; i--)
        if (snap_at(r, i)->icount <= icount)
            p[(*n)++] = snap_at(r, i)->icount;
    return p;
}

uint64_t reverse_bytes(const Reverse *r)
{
    return r->bytes;
}

int reverse_count(const Reverse *r)
{
    return (int)r->snaps->len;
}
