/* The in-order timing model's ISA-neutral half (model.h): configuration, the memory
 * hierarchy, the TLB hierarchy with walk costs, statistics and the saved form. */
#include "cpu/timing/model.h"
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include "core/stats.h"

static const TmConfig tm_defaults = {
    .issue_width = 2, .bpred = BP_GSHARE, .bp_entries = 4096, .btb_entries = 256,
    .ras_entries = 16, .mispredict = 8,
    .lat = { [TM_ALU] = 1, [TM_MUL] = 3, [TM_DIV] = 12, [TM_FP] = 4, [TM_MEM] = 1,
             [TM_SYSREG] = 5, [TM_BARRIER] = 10, [TM_ERET] = 20, [TM_TLBI] = 10,
             [TM_BRANCH] = 1 },
    .lat_exception = 20,
    .l1i = { 32768, 2, 64, 1, CACHE_LRU },
    .l1d = { 32768, 4, 64, 3, CACHE_LRU },
    .l2 = { 1048576, 16, 64, 15, CACHE_LRU },
    .mem_latency = 150,
    .itlb_entries = 32, .dtlb_entries = 32, .l2tlb_entries = 1024, .l2tlb_ways = 4,
    .l2tlb_latency = 4,
    .walk_cache = true, .nested = true, .walk_entries = 32, .nested_entries = 16,
    .seed = 1,
};

/* ---- configuration ---- */
typedef struct KeyU32 {
    const char *group, *key;
    size_t off;
    uint32_t min, max;
} KeyU32;

#define U32(g, k, field, lo, hi) { g, k, offsetof(TmConfig, field), lo, hi }
static const KeyU32 u32_keys[] = {
    U32("core", "issue_width", issue_width, 1, 2),
    U32("core", "bpred_entries", bp_entries, 1, 1u << 20),
    U32("core", "btb_entries", btb_entries, 0, 1u << 20),
    U32("core", "ras_entries", ras_entries, 0, 1024),
    U32("core", "mispredict_penalty", mispredict, 0, 1000),
    U32("core", "lat_alu", lat[TM_ALU], 1, 1000),
    U32("core", "lat_mul", lat[TM_MUL], 1, 1000),
    U32("core", "lat_div", lat[TM_DIV], 1, 1000),
    U32("core", "lat_fp", lat[TM_FP], 1, 1000),
    U32("core", "lat_sysreg", lat[TM_SYSREG], 1, 10000),
    U32("core", "lat_barrier", lat[TM_BARRIER], 1, 10000),
    U32("core", "lat_eret", lat[TM_ERET], 1, 10000),
    U32("core", "lat_tlbi", lat[TM_TLBI], 1, 10000),
    U32("core", "lat_exception", lat_exception, 0, 10000),
    U32("l1i", "size", l1i.size, 1, 1u << 30), U32("l1i", "ways", l1i.ways, 1, 1024),
    U32("l1i", "line", l1i.line, 1, 512), U32("l1i", "latency", l1i.latency, 0, 10000),
    U32("l1d", "size", l1d.size, 1, 1u << 30), U32("l1d", "ways", l1d.ways, 1, 1024),
    U32("l1d", "line", l1d.line, 1, 512), U32("l1d", "latency", l1d.latency, 1, 10000),
    U32("l2", "size", l2.size, 1, 1u << 30), U32("l2", "ways", l2.ways, 1, 1024),
    U32("l2", "line", l2.line, 1, 512), U32("l2", "latency", l2.latency, 1, 10000),
    U32("memory", "latency", mem_latency, 1, 100000),
    U32("tlb", "l1i_entries", itlb_entries, 1, 4096),
    U32("tlb", "l1d_entries", dtlb_entries, 1, 4096),
    U32("tlb", "l2_entries", l2tlb_entries, 1, 1u << 20),
    U32("tlb", "l2_ways", l2tlb_ways, 1, 1u << 20),
    U32("tlb", "l2_latency", l2tlb_latency, 0, 10000),
    U32("walk", "entries", walk_entries, 1, 4096),
    U32("walk", "nested_entries", nested_entries, 1, 4096),
};

static const char *const groups[] = { "core", "l1i", "l1d", "l2", "memory", "tlb", "walk",
                                      "timing", NULL };

static char *read_choice(GKeyFile *kf, const char *g, const char *k, const char *const *names,
                         int n, int *out)
{
    if (!g_key_file_has_key(kf, g, k, NULL))
        return NULL;
    g_autofree char *v = g_key_file_get_string(kf, g, k, NULL);
    for (int i = 0; i < n; i++)
        if (v && !strcmp(v, names[i])) {
            *out = i;
            return NULL;
        }
    GString *s = g_string_new(NULL);
    for (int i = 0; i < n; i++)
        g_string_append_printf(s, "%s%s", i ? "|" : "", names[i]);
    char *e = g_strdup_printf("[%s] %s=%s: expected %s", g, k, v ? v : "", s->str);
    g_string_free(s, TRUE);
    return e;
}

static char *check(const TmConfig *c)
{
    char *e;
    if ((e = cache_geom_check(&c->l1i, "l1i")) || (e = cache_geom_check(&c->l1d, "l1d")) ||
        (e = cache_geom_check(&c->l2, "l2")))
        return e;
    if ((e = tlbm_geom_check(c->itlb_entries, c->itlb_entries, "l1i_entries")) ||
        (e = tlbm_geom_check(c->dtlb_entries, c->dtlb_entries, "l1d_entries")) ||
        (e = tlbm_geom_check(c->l2tlb_entries, c->l2tlb_ways, "l2_entries/l2_ways")))
        return e;
    if (c->bp_entries & (c->bp_entries - 1))
        return g_strdup_printf("[core] bpred_entries=%u is not a power of two", c->bp_entries);
    if (c->l1d.line != c->l2.line || c->l1i.line != c->l2.line)
        return g_strdup_printf("[l1i] [l1d] [l2]: line sizes %u, %u, %u differ (one line size "
                               "in the hierarchy)", c->l1i.line, c->l1d.line, c->l2.line);
    return NULL;
}

char *tm_config_load(TmConfig *cfg, const char *path)
{
    *cfg = tm_defaults;
    if (!path)
        return NULL;
    g_autoptr(GKeyFile) kf = g_key_file_new();
    GError *ge = NULL;
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &ge)) {
        char *e = g_strdup_printf("%s: %s", path, ge->message);
        g_error_free(ge);
        return e;
    }
    /* every group and key must be known: a misspelt key would silently leave a default */
    gsize ng = 0;
    g_auto(GStrv) gs = g_key_file_get_groups(kf, &ng);
    for (gsize i = 0; i < ng; i++) {
        if (!g_strv_contains(groups, gs[i]))
            return g_strdup_printf("%s: unknown group [%s] (known: core l1i l1d l2 memory tlb "
                                   "walk timing)", path, gs[i]);
        g_auto(GStrv) ks = g_key_file_get_keys(kf, gs[i], NULL, NULL);
        for (char **k = ks; *k; k++) {
            bool known = false;
            for (size_t j = 0; j < G_N_ELEMENTS(u32_keys); j++)
                known |= !strcmp(u32_keys[j].group, gs[i]) && !strcmp(u32_keys[j].key, *k);
            static const char *const other[] = { "core.bpred", "l1i.replacement",
                "l1d.replacement", "l2.replacement", "walk.cache", "walk.nested",
                "timing.seed", NULL };
            g_autofree char *full = g_strdup_printf("%s.%s", gs[i], *k);
            known |= g_strv_contains(other, full);
            if (!known)
                return g_strdup_printf("%s: unknown key %s in [%s]", path, *k, gs[i]);
        }
    }
    for (size_t j = 0; j < G_N_ELEMENTS(u32_keys); j++) {
        const KeyU32 *k = &u32_keys[j];
        if (!g_key_file_has_key(kf, k->group, k->key, NULL))
            continue;
        g_autofree char *v = g_key_file_get_string(kf, k->group, k->key, NULL);
        guint64 n;
        if (!v || !g_ascii_string_to_unsigned(v, 10, k->min, k->max, &n, NULL))
            return g_strdup_printf("%s: [%s] %s=%s: expected an integer in %u..%u", path,
                                   k->group, k->key, v ? v : "", k->min, k->max);
        *(uint32_t *)((char *)cfg + k->off) = (uint32_t)n;
    }
    static const char *const bp[] = { "none", "bimodal", "gshare" };
    static const char *const repl[] = { "lru", "random" };
    static const char *const onoff[] = { "off", "on" };
    int v;
    char *e;
#define CHOICE(g, k, names, dst, type)                                              \
    do {                                                                            \
        v = -1;                                                                     \
        if ((e = read_choice(kf, g, k, names, G_N_ELEMENTS(names), &v))) {          \
            char *full = g_strdup_printf("%s: %s", path, e);                        \
            g_free(e);                                                              \
            return full;                                                            \
        }                                                                           \
        if (v >= 0)                                                                 \
            dst = (type)v;                                                          \
    } while (0)
    CHOICE("core", "bpred", bp, cfg->bpred, BpKind);
    CHOICE("l1i", "replacement", repl, cfg->l1i.repl, CacheRepl);
    CHOICE("l1d", "replacement", repl, cfg->l1d.repl, CacheRepl);
    CHOICE("l2", "replacement", repl, cfg->l2.repl, CacheRepl);
    CHOICE("walk", "cache", onoff, cfg->walk_cache, bool);
    CHOICE("walk", "nested", onoff, cfg->nested, bool);
#undef CHOICE
    if (g_key_file_has_key(kf, "timing", "seed", NULL)) {
        g_autofree char *s = g_key_file_get_string(kf, "timing", "seed", NULL);
        guint64 n;
        if (!s || !g_ascii_string_to_unsigned(s, 10, 0, G_MAXUINT64, &n, NULL))
            return g_strdup_printf("%s: [timing] seed=%s: expected an unsigned integer", path,
                                   s ? s : "");
        cfg->seed = n;
    }
    if ((e = check(cfg))) {
        char *full = g_strdup_printf("%s: %s", path, e);
        g_free(e);
        return full;
    }
    return NULL;
}

/* ---- construction ---- */
static void core_init(TmCore *k, const TmConfig *c, uint64_t seed)
{
    memset(k, 0, sizeof *k);
    cache_init(&k->l1i, &c->l1i, seed * 4 + 1);
    cache_init(&k->l1d, &c->l1d, seed * 4 + 2);
    /* walk caches: fully associative, keyed by the descriptor's address (8-byte "lines") and
     * the nested walk cache by (VMID, table page) */
    for (int s = 0; s < 2; s++)
        for (int l = 0; l < 3; l++)
            cache_init(&k->pwc[s][l], &(CacheGeom){ c->walk_entries * 8, c->walk_entries, 8, 0, CACHE_LRU }, 1);
    cache_init(&k->ntlb, &(CacheGeom){ c->nested_entries * 4096, c->nested_entries, 4096, 0, CACHE_LRU }, 1);
    tlbm_init(&k->itlb, c->itlb_entries, c->itlb_entries);
    tlbm_init(&k->dtlb, c->dtlb_entries, c->dtlb_entries);
    tlbm_init(&k->l2tlb, c->l2tlb_entries, c->l2tlb_ways);
    bpred_init(&k->bp, c->bpred, c->bp_entries, c->btb_entries, c->ras_entries);
    k->att_vm = -1;
}

TimingSys *tm_new(const TmConfig *cfg, int ncores, TmWalkFn walk)
{
    TimingSys *s = g_new0(TimingSys, 1);
    s->cfg = *cfg;
    s->ncores = ncores;
    s->walk = walk;
    s->core = g_new0(TmCore, ncores);
    for (int i = 0; i < ncores; i++)
        core_init(&s->core[i], cfg, cfg->seed + (uint64_t)i);
    cache_init(&s->l2, &cfg->l2, cfg->seed * 4 + 3);
    GString *d = g_string_new(NULL);
    g_string_append_len(d, (const char *)cfg, sizeof *cfg);
    g_string_append_printf(d, "|%d", ncores);
    s->digest = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)d->str, d->len);
    g_string_free(d, TRUE);
    /* the most one instruction can cost: two walks per access of a 64-byte-plus access
     * crossing pages, a few accesses, the slowest fixed cost, a mispredict */
    uint64_t miss = cfg->mem_latency + cfg->l2.latency + cfg->l2tlb_latency;
    s->max_stall = 16 * (TM_WALK_MAX + 2) * miss + 4 * 10000 + cfg->mispredict + cfg->lat_exception;
    return s;
}

/* Every part of a core's model, for the functions that visit them all (free, clear, the
 * saved form): X(kind, part) with kind_free/_clear/_state_* the part's functions. */
#define TM_CORE_PARTS(X, k)                                                                 \
    X(cache, &(k)->l1i) X(cache, &(k)->l1d)                                                 \
    X(cache, &(k)->pwc[0][0]) X(cache, &(k)->pwc[0][1]) X(cache, &(k)->pwc[0][2])           \
    X(cache, &(k)->pwc[1][0]) X(cache, &(k)->pwc[1][1]) X(cache, &(k)->pwc[1][2])           \
    X(cache, &(k)->ntlb) X(tlbm, &(k)->itlb) X(tlbm, &(k)->dtlb) X(tlbm, &(k)->l2tlb)     \
    X(bpred, &(k)->bp)
#define PART_FREE(kind, part) kind##_free(part);
#define PART_CLEAR(kind, part) kind##_clear(part);

void tm_free(TimingSys *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->ncores; i++) {
        TM_CORE_PARTS(PART_FREE, &s->core[i])
    }
    cache_free(&s->l2);
    g_free(s->core);
    g_free(s->digest);
    g_free(s);
}

/* A new clock (cold, or loaded): nothing since the last attribution. */
static void attribution_restart(TmCore *k)
{
    k->att_cyc = k->cyc;
    k->att_insns = k->insns;
    k->att_l1d = k->l1d.misses;
}

static void core_cold(TmCore *k)
{
    TM_CORE_PARTS(PART_CLEAR, k)
    memset(k->ready, 0, sizeof k->ready);
    k->cyc = k->slot_cycle = k->pend_stall = 0;
    k->pend_hit = 0;
    attribution_restart(k);
    k->ifetch_valid = false;
}

void tm_attribute(TimingSys *s, TmCore *k, int el, int vm)
{
    uint64_t dc = k->cyc - k->att_cyc, di = k->insns - k->att_insns;
    k->el_cycles[k->att_el & 3] += dc;
    k->el_insns[k->att_el & 3] += di;
    if (k->att_vm >= 0) {
        unsigned v = (unsigned)k->att_vm & 0xff;
        s->vm_cycles[v] += dc;
        s->vm_insns[v] += di;
        s->vm_l1d_misses[v] += k->l1d.misses - k->att_l1d;
    }
    k->att_el = el;
    k->att_vm = vm;
    k->att_cyc = k->cyc;
    k->att_insns = k->insns;
    k->att_l1d = k->l1d.misses;
}

void tm_cold(TimingSys *s)
{
    for (int i = 0; i < s->ncores; i++)
        core_cold(&s->core[i]);
    cache_clear(&s->l2);
}

/* ---- the memory hierarchy ---- */
/* A miss of an L1 (or a walk's read, which goes to L2 directly): L2, then memory. Returns
 * the total latency of the access. */
static uint32_t l2_access(TimingSys *s, uint64_t pa, bool write)
{
    uint64_t wb;
    bool wbv;
    if (cache_access(&s->l2, pa, write, &wb, &wbv))
        return s->cfg.l2.latency;
    return s->cfg.mem_latency;
}

/* Coherence: a write by core k makes the line invalid in every other core's L1D (and a dirty
 * copy there is written back to L2 first); a read miss takes a dirty copy's data from the
 * other core (cleaned there, written back). Deterministic: cores are visited in order. */
static void others_write(TimingSys *s, const TmCore *k, uint64_t pa)
{
    for (int i = 0; i < s->ncores; i++) {
        TmCore *o = &s->core[i];
        if (o != k && cache_inval(&o->l1d, pa) == 2) {
            uint64_t wb;
            bool wbv;
            cache_access(&s->l2, pa, true, &wb, &wbv);
        }
    }
}

static void others_read(TimingSys *s, const TmCore *k, uint64_t pa)
{
    for (int i = 0; i < s->ncores; i++) {
        TmCore *o = &s->core[i];
        if (o != k && cache_clean(&o->l1d, pa)) {
            uint64_t wb;
            bool wbv;
            cache_access(&s->l2, pa, true, &wb, &wbv);
        }
    }
}

/* ---- walks ---- */
static inline bool pwc_hit(Cache *c, uint64_t pa)
{
    uint64_t wb;
    bool wbv;
    return cache_access(c, pa, false, &wb, &wbv);
}

/* The references a walk sends to the cache hierarchy, and their cycles. Reads come in the
 * walker's order: for a stage-1 table under stage 2, the stage-2 reads that translate the
 * table's address, then the stage-1 read; at the end the stage-2 reads for the output. The
 * last read of each stage-2 run and the last stage-1 read are leaves; only non-leaf reads
 * can hit a walk cache. The nested walk cache keeps, per VMID, that a stage-1 table page was
 * translated, so its whole stage-2 run is skipped. */
/* One descriptor read of a walk: served by the walk cache of its stage and level when it is
 * a non-leaf entry there, else sent to L2 (and memory). Counts the reference in *refs and
 * returns its cycles. */
static uint32_t walk_read(TimingSys *s, TmCore *k, const TmWalk *w, int r, bool leaf,
                          uint32_t *refs)
{
    unsigned st = w->r[r].stage - 1u, lv = w->r[r].level;
    if (!leaf && s->cfg.walk_cache && lv < 3 && pwc_hit(&k->pwc[st][lv], w->r[r].pa)) {
        k->pwc_hits[st][lv]++;
        return 0;
    }
    (*refs)++;
    k->walk_refs_sl[st][lv & 3]++;
    return l2_access(s, w->r[r].pa, false);
}

static uint32_t walk_cost(TimingSys *s, TmCore *k, const TmWalk *w, int kind)
{
    const TmConfig *c = &s->cfg;
    uint32_t cyc = 0, refs = 0;
    int last_s1 = -1;
    for (int i = 0; i < w->n; i++)
        if (w->r[i].stage == 1)
            last_s1 = i;
    int i = 0;
    while (i < w->n) {
        if (w->r[i].stage == 2) {
            int j = i;
            while (j < w->n && w->r[j].stage == 2)
                j++;
            /* the run i..j-1 translates the table read at j (or, at the end, the output) */
            bool skip = false;
            if (c->nested && j < w->n) {
                uint64_t key = ((uint64_t)(w->vmid & 0xffff) << 36 | (w->r[j].pa >> 12)) << 12;
                skip = pwc_hit(&k->ntlb, key);
                k->ntlb_hits += skip;
            }
            for (int r = i; r < j && !skip; r++)
                cyc += walk_read(s, k, w, r, r == j - 1, &refs);
            i = j;
            continue;
        }
        cyc += walk_read(s, k, w, i, i == last_s1, &refs);
        i++;
    }
    k->walks[kind]++;
    k->walk_refs[kind] += refs;
    k->walk_cycles += cyc;
    s->vm_walks[w->vmid & 0xff] += w->s2;
    return cyc;
}

/* TLB lookup in the I or D side for va, walking on a miss of both levels. Returns the
 * stall cycles. */
static uint32_t translate(TimingSys *s, TmCore *k, void *cpu, Tlbm *l1, uint64_t va,
                          bool fetch, uint64_t ctx, bool *l1_miss)
{
    *l1_miss = false;
    if (tlbm_lookup(l1, va, ctx))
        return 0;
    *l1_miss = true;
    uint32_t cyc = s->cfg.l2tlb_latency;
    const TlbmEntry *e = tlbm_lookup(&k->l2tlb, va, ctx);
    if (e) {
        tlbm_fill(l1, va, e->ipa, e->shift, e->ctx, e->global);   /* its tag matched ctx */
        return cyc;
    }
    TmWalk w;
    w.n = 0;
    k->ev.walks++;
    s->walk(cpu, va, fetch, &w);
    int kind = w.s1 && w.s2 ? TM_WALK_2D : w.s1 ? TM_WALK_S1 : TM_WALK_S2;
    cyc += walk_cost(s, k, &w, kind);
    if (w.ok) {
        uint64_t wctx = (ctx & ~TLBM_ASID_MASK) | (w.global ? 0 : (w.asid & 0xffff));
        tlbm_fill(&k->l2tlb, va, w.ipa, w.shift, wctx, w.global);
        tlbm_fill(l1, va, w.ipa, w.shift, wctx, w.global);
    }
    return cyc;
}

/* A miss of L1 that L2 or memory served: L2's refill count for the PMU. */
static uint32_t l2_refill(TimingSys *s, TmCore *k, uint64_t pa, bool write)
{
    uint32_t lat = l2_access(s, pa, write);
    k->ev.l2_refill += lat != s->cfg.l2.latency;
    return lat;
}

void tm_fetch_slow(TimingSys *s, TmCore *k, void *cpu, uint64_t va, uint64_t pa, bool mmu,
                   uint64_t ctx)
{
    uint32_t stall = 0;
    if (mmu && (!k->ifetch_valid || (va >> 12) != k->ipage || ctx != k->ictx)) {
        bool l1m;
        uint32_t t = translate(s, k, cpu, &k->itlb, va, true, ctx, &l1m);
        k->stall[TM_ST_ITLB] += t;
        stall += t;
    }
    uint64_t wb;
    bool wbv;
    if (!cache_access(&k->l1i, pa, false, &wb, &wbv)) {
        uint32_t t = l2_refill(s, k, pa, false);
        k->stall[TM_ST_ICACHE] += t;
        stall += t;
        k->ev.l1i_refill++;
    }
    k->iline = pa >> 6;
    k->ipage = va >> 12;
    k->ictx = ctx;
    k->ifetch_valid = true;
    k->cyc += stall;
    k->ev.stall_fe += stall;
}

void tm_data(TimingSys *s, TmCore *k, void *cpu, uint64_t va, uint64_t pa, bool write,
             TmAccKind kind, bool mmu, uint64_t ctx, int el)
{
    uint32_t stall = 0;
    k->mem_accesses++;
    k->ev.l1d++;
    k->ev.last_va = va;
    k->ev.last_pa = pa;
    if (mmu) {
        bool l1m;
        stall += translate(s, k, cpu, &k->dtlb, va, false, ctx, &l1m);
        k->stall[TM_ST_DTLB] += stall;
        k->el_dtlb_misses[el & 3] += l1m;
        k->ev.tlb_refill += l1m;
    }
    uint32_t before = stall;
    if (kind == TM_ACC_DEVICE) {
        stall += s->cfg.mem_latency;     /* Device memory: uncached, to the device and back */
    } else {
        uint64_t wb;
        bool wbv;
        if (cache_access(&k->l1d, pa, write, &wb, &wbv)) {
            k->pend_hit |= !write;
        } else {
            k->el_l1d_misses[el & 3]++;
            k->ev.l1d_refill++;
            if (wbv)
                l2_access(s, wb, true);   /* the victim goes to L2 behind the miss (no stall) */
            if (s->ncores > 1 && !write)
                others_read(s, k, pa);
            /* the access's issue cycle is the first of its latency: a dependent load issues
             * `latency` cycles after it, as after a hit (a whole-line store needs nothing of
             * the old line) */
            if (kind != TM_ACC_WHOLE_LINE)
                stall += l2_refill(s, k, pa, false) - 1;
        }
        if (write && s->ncores > 1)
            others_write(s, k, pa);
    }
    k->stall[TM_ST_DCACHE] += stall - before;
    k->pend_stall += stall;
}

void tm_dc(TimingSys *s, TmCore *k, uint64_t pa, bool clean, bool inval)
{
    /* by PA to the Point of Coherency: every core's L1D and the L2 */
    for (int i = 0; i < s->ncores; i++) {
        TmCore *o = &s->core[i];
        if (inval)
            cache_inval(&o->l1d, pa);
        else if (clean)
            cache_clean(&o->l1d, pa);
    }
    (void)k;
    if (inval)
        cache_inval(&s->l2, pa);
    else if (clean)
        cache_clean(&s->l2, pa);
}

void tm_dc_setway(TimingSys *s, TmCore *k, unsigned level, uint32_t set, uint32_t way,
                  bool clean, bool inval)
{
    Cache *c = level == 0 ? &k->l1d : level == 1 ? &s->l2 : NULL;
    if (c)
        cache_setway(c, set, way, clean, inval);
}

void tm_ic_all(TmCore *k)
{
    cache_clear(&k->l1i);
    k->ifetch_valid = false;
}

void tm_tlbi(TmCore *k, const TlbmInv *inv, bool last_level)
{
    tlbm_invalidate(&k->itlb, inv);
    tlbm_invalidate(&k->dtlb, inv);
    tlbm_invalidate(&k->l2tlb, inv);
    k->ifetch_valid = false;
    if (!last_level) {
        for (int l = 0; l < 3; l++)
            cache_clear(&k->pwc[0][l]);
        if (inv->kind != TLBM_INV_VA && inv->kind != TLBM_INV_ASID) {
            for (int l = 0; l < 3; l++)
                cache_clear(&k->pwc[1][l]);
            cache_clear(&k->ntlb);
        }
    }
}

/* ---- statistics ---- */
static void emit_core(const StatsSink *sink, const TmCore *k, int i)
{
    char n[96], a[96];
#define C(suffix, val, unit, desc)                                       \
    do {                                                                 \
        snprintf(n, sizeof n, "timing.cpu%d.%s", i, suffix);             \
        stats_emit(sink, n, val, unit, desc);                            \
    } while (0)
#define F(suffix, num, den, scale, unit, desc)                           \
    do {                                                                 \
        snprintf(n, sizeof n, "timing.cpu%d.%s", i, suffix);             \
        snprintf(a, sizeof a, "timing.cpu%d.%s", i, num);                \
        char d_[96];                                                     \
        snprintf(d_, sizeof d_, "timing.cpu%d.%s", i, den);              \
        stats_emit_formula(sink, n, a, d_, scale, unit, desc);           \
    } while (0)
    C("cycles", k->cyc, "cycles", "cycles the core executed under the model");
    C("insns", k->insns, "instructions", "instructions retired under the model");
    F("ipc", "insns", "cycles", 1, "instructions/cycle", "instructions per cycle");
    C("l1i.accesses", k->l1i.accesses, "accesses", "L1I lookups (one per new fetch line)");
    C("l1i.misses", k->l1i.misses, "misses", "L1I misses");
    C("l1d.accesses", k->l1d.accesses, "accesses", "L1D accesses");
    C("l1d.misses", k->l1d.misses, "misses", "L1D misses");
    C("l1d.writebacks", k->l1d.writebacks, "lines", "dirty L1D lines evicted to L2");
    C("l1d.coherence_invals", k->l1d.invals, "lines", "L1D lines invalidated by other cores' writes or maintenance");
    F("l1d.mpki", "l1d.misses", "insns", 1000, "misses/kinsn", "L1D misses per 1000 instructions");
    F("l1i.mpki", "l1i.misses", "insns", 1000, "misses/kinsn", "L1I misses per 1000 instructions");
    C("itlb.accesses", k->itlb.accesses, "accesses", "L1 instruction TLB lookups");
    C("itlb.misses", k->itlb.misses, "misses", "L1 instruction TLB misses");
    C("dtlb.accesses", k->dtlb.accesses, "accesses", "L1 data TLB lookups");
    C("dtlb.misses", k->dtlb.misses, "misses", "L1 data TLB misses");
    C("l2tlb.accesses", k->l2tlb.accesses, "accesses", "L2 TLB lookups");
    C("l2tlb.misses", k->l2tlb.misses, "misses", "L2 TLB misses (each one walks)");
    F("dtlb.mpki", "dtlb.misses", "insns", 1000, "misses/kinsn", "L1 data TLB misses per 1000 instructions");
    static const char *const kinds[3] = { "s1", "s2", "2d" };
    for (int j = 0; j < 3; j++) {
        char x[48], y[48];
        snprintf(x, sizeof x, "walks.%s", kinds[j]);
        C(x, k->walks[j], "walks", "walks by kind (stage 1 only, stage 2 only, both)");
        snprintf(y, sizeof y, "walk_refs.%s", kinds[j]);
        C(y, k->walk_refs[j], "reads", "descriptor reads sent to the cache hierarchy");
        char z[48];
        snprintf(z, sizeof z, "walk_refs_per_walk.%s", kinds[j]);
        F(z, y, x, 1, "reads/walk", "descriptor reads per walk of this kind");
    }
    C("walk_cycles", k->walk_cycles, "cycles", "cycles of descriptor reads in walks");
    for (int st = 0; st < 2; st++)
        for (int l = 0; l < 3; l++) {
            char x[48];
            snprintf(x, sizeof x, "walk.pwc_hits.s%dl%d", st + 1, l);
            C(x, k->pwc_hits[st][l], "reads", "descriptor reads served by the walk cache of this stage and level");
        }
    C("walk.nested_hits", k->ntlb_hits, "runs", "stage-2 walks of stage-1 tables skipped (nested walk cache)");
    C("bp.branches", k->bp.branches, "branches", "branches resolved");
    C("bp.mispredicts", k->bp.mispredicts, "branches", "branches mispredicted");
    F("bp.mpki", "bp.mispredicts", "insns", 1000, "mispredicts/kinsn", "mispredicts per 1000 instructions");
    static const char *const causes[TM_ST_N][2] = {
        { "icache", "L1I misses" }, { "itlb", "instruction TLB misses and their walks" },
        { "branch", "mispredicted branches" }, { "dcache", "L1D misses and device accesses" },
        { "dtlb", "data TLB misses and their walks" },
        { "dependency", "waiting for a source register (load to use, long latencies)" },
        { "exec", "serialising instructions beyond their issue cycle (system registers, barriers, ERET, TLBI)" },
        { "exception", "exception entries" },
    };
    uint64_t fe = 0, be = 0;
    for (int j = 0; j < TM_ST_N; j++) {
        char x[48];
        snprintf(x, sizeof x, "stall.%s", causes[j][0]);
        C(x, k->stall[j], "cycles", causes[j][1]);
        if (j <= TM_ST_BRANCH)
            fe += k->stall[j];
        else
            be += k->stall[j];
    }
    C("stall.frontend", fe, "cycles", "cycles lost to fetch: stall.icache + itlb + branch");
    C("stall.backend", be, "cycles", "cycles lost to data and execution: stall.dcache + dtlb + dependency + exec + exception");
    for (int st = 0; st < 2; st++)
        for (int l = 0; l < 4; l++) {
            char x[48];
            snprintf(x, sizeof x, "walk_refs.by_level.s%dl%d", st + 1, l);
            C(x, k->walk_refs_sl[st][l], "reads", "descriptor reads sent to the cache hierarchy, by stage and level");
        }
    C("mem_accesses", k->mem_accesses, "accesses", "data accesses");
    for (int el = 0; el < 3; el++) {
        char x[48];
        snprintf(x, sizeof x, "el%d.cycles", el);
        C(x, k->el_cycles[el], "cycles", "cycles of instructions executed at this EL");
        snprintf(x, sizeof x, "el%d.insns", el);
        C(x, k->el_insns[el], "instructions", "instructions executed at this EL");
        snprintf(x, sizeof x, "el%d.l1d.misses", el);
        C(x, k->el_l1d_misses[el], "misses", "L1D misses at this EL");
        snprintf(x, sizeof x, "el%d.dtlb.misses", el);
        C(x, k->el_dtlb_misses[el], "misses", "L1 data TLB misses at this EL");
    }
#undef C
#undef F
}

void tm_stats_dump(void *opaque, const StatsSink *sink)
{
    TimingSys *s = opaque;
    for (int i = 0; i < s->ncores; i++)
        tm_attribute(s, &s->core[i], s->core[i].att_el, s->core[i].att_vm);   /* up to now */
    stats_emit_value(sink, "timing.warm_from_insn", s->warm_from, "instructions",
                     "machine instruction count at which the model started (cold)");
    for (int i = 0; i < s->ncores; i++)
        emit_core(sink, &s->core[i], i);
    stats_emit(sink, "timing.l2.accesses", s->l2.accesses, "accesses", "L2 accesses (L1 misses, write-backs, walks)");
    stats_emit(sink, "timing.l2.misses", s->l2.misses, "misses", "L2 misses");
    stats_emit(sink, "timing.l2.writebacks", s->l2.writebacks, "lines", "dirty L2 lines evicted to memory");
    stats_emit_formula(sink, "timing.l2.miss_rate", "timing.l2.misses", "timing.l2.accesses", 1,
                       "fraction", "L2 misses per access");
    for (int v = 0; v < 256; v++) {
        if (!s->vm_insns[v] && !s->vm_walks[v])
            continue;
        char n[48], d[48];
        snprintf(n, sizeof n, "timing.vm%d.insns", v);
        stats_emit(sink, n, s->vm_insns[v], "instructions", "instructions the VM ran (VMID's low 8 bits)");
        snprintf(n, sizeof n, "timing.vm%d.cycles", v);
        stats_emit(sink, n, s->vm_cycles[v], "cycles", "cycles of the VM's instructions");
        char num[48];
        snprintf(num, sizeof num, "timing.vm%d.insns", v);
        snprintf(d, sizeof d, "timing.vm%d.cycles", v);
        snprintf(n, sizeof n, "timing.vm%d.ipc", v);
        stats_emit_formula(sink, n, num, d, 1, "instructions/cycle", "the VM's IPC");
        snprintf(n, sizeof n, "timing.vm%d.l1d.misses", v);
        stats_emit(sink, n, s->vm_l1d_misses[v], "misses", "L1D misses of the VM's instructions");
        snprintf(n, sizeof n, "timing.vm%d.walks", v);
        stats_emit(sink, n, s->vm_walks[v], "walks", "walks under stage 2 with the VM's VMID");
    }
}

/* ---- saved form ---- */
/* The saved form in one place: Xfer.save moves the state to p, else from p (each part's
 * loader sanitises what it reads); with p NULL only the size is counted. */
typedef struct Xfer {
    uint8_t *p;
    uint64_t n;
    bool save;
} Xfer;

static void x_u64(Xfer *x, uint64_t *v)
{
    if (x->p && x->save)
        memcpy(x->p + x->n, v, 8);
    else if (x->p)
        memcpy(v, x->p + x->n, 8);
    x->n += 8;
}

#define X_PART(x, kind, obj)                                                  \
    do {                                                                      \
        if ((x)->p && (x)->save)                                              \
            kind##_state_save(obj, (x)->p + (x)->n);                          \
        else if ((x)->p)                                                      \
            kind##_state_load(obj, (x)->p + (x)->n);                          \
        (x)->n += kind##_state_size(obj);                                     \
    } while (0)

static void xfer(TimingSys *s, Xfer *x)
{
    for (int i = 0; i < s->ncores; i++) {
        TmCore *k = &s->core[i];
        uint64_t valid = k->ifetch_valid;
        x_u64(x, &k->cyc);
        x_u64(x, &k->slot_cycle);
        x_u64(x, &k->pend_stall);
        for (size_t r = 0; r < G_N_ELEMENTS(k->ready); r++)
            x_u64(x, &k->ready[r]);
        x_u64(x, &k->iline);
        x_u64(x, &k->ipage);
        x_u64(x, &k->ictx);
        x_u64(x, &valid);
        k->ifetch_valid = valid != 0;
        k->pend_stall %= s->max_stall + 1;
#define PART_XFER(kind, part) X_PART(x, kind, part);
        TM_CORE_PARTS(PART_XFER, k)
#undef PART_XFER
    }
    X_PART(x, cache, &s->l2);
}

uint64_t tm_state_size(const TimingSys *s)
{
    Xfer x = { NULL, 64, false };
    xfer((TimingSys *)s, &x);     /* counts only: nothing is written */
    return x.n;
}

void tm_state_save(const TimingSys *s, uint8_t *p)
{
    memcpy(p, s->digest, 64);
    Xfer x = { p, 64, true };
    xfer((TimingSys *)s, &x);     /* reads the state only */
}

bool tm_state_load(TimingSys *s, const uint8_t *p, uint64_t len)
{
    if (len != tm_state_size(s) || memcmp(p, s->digest, 64))
        return false;
    Xfer x = { (uint8_t *)p, 64, false };   /* read from only */
    xfer(s, &x);
    for (int i = 0; i < s->ncores; i++)
        attribution_restart(&s->core[i]);
    return true;
}
