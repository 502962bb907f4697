/* The cycle model's parts (suite timing): caches, the architectural TLB, the branch
 * predictor, walk costs against their closed forms, and the configuration file's errors. */
#include <criterion/criterion.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include "cpu/timing/model.h"

static uint64_t wb;
static bool wbv;

Test(timing, cache_lru_evicts_the_least_recently_used_way)
{
    Cache c;
    cache_init(&c, &(CacheGeom){ 4 * 64, 4, 64, 1, CACHE_LRU }, 1);   /* one set, 4 ways */
    for (uint64_t i = 0; i < 4; i++)
        cr_assert(!cache_access(&c, i * 64, false, &wb, &wbv));
    cr_assert(cache_access(&c, 0, false, &wb, &wbv));          /* 0 is now the newest */
    cr_assert(!cache_access(&c, 4 * 64, true, &wb, &wbv));     /* evicts 1 */
    cr_assert(!wbv);
    cr_assert(!cache_probe(&c, 64));
    cr_assert(cache_probe(&c, 0) && cache_probe(&c, 128) && cache_probe(&c, 256));
    /* the dirty line 4*64 leaves with a write-back once it is the oldest */
    for (uint64_t i = 5; i < 9; i++)
        cache_access(&c, i * 64, false, &wb, &wbv);
    cr_assert_eq(c.writebacks, 1);
    cr_assert_eq(c.accesses, 10);
    cr_assert_eq(c.misses, 9);
    cache_free(&c);
}

Test(timing, cache_random_replacement_is_a_function_of_the_seed)
{
    uint64_t misses[3];
    for (int r = 0; r < 3; r++) {
        Cache c;
        cache_init(&c, &(CacheGeom){ 8 * 64, 8, 64, 1, CACHE_RANDOM }, r == 2 ? 99 : 7);
        for (int n = 0; n < 2000; n++)
            cache_access(&c, (uint64_t)((n * 7919) % 13) * 64, false, &wb, &wbv);
        misses[r] = c.misses;
        cache_free(&c);
    }
    cr_assert_eq(misses[0], misses[1]);
    cr_assert_neq(misses[0], misses[2], "another seed, another victim sequence");
}

Test(timing, cache_maintenance_by_address_and_set_way)
{
    Cache c;
    cache_init(&c, &(CacheGeom){ 1024, 2, 64, 1, CACHE_LRU }, 1);   /* 8 sets */
    cache_access(&c, 0x1000, true, &wb, &wbv);
    cr_assert(cache_clean(&c, 0x1000));
    cr_assert(!cache_clean(&c, 0x1000), "clean twice: nothing dirty the second time");
    cr_assert_eq(cache_inval(&c, 0x1000), 1);
    cr_assert(!cache_probe(&c, 0x1000));
    cache_access(&c, 0x1040, true, &wb, &wbv);                 /* set 1, way 0 */
    cr_assert_eq(cache_setway(&c, 1, 0, true, true), 2);
    cr_assert(!cache_probe(&c, 0x1040));
    cache_free(&c);
}

Test(timing, tlb_matches_asid_unless_global_and_invalidates_as_asked)
{
    Tlbm t;
    tlbm_init(&t, 16, 16);    /* fully associative, as the L1 TLBs: a block is found anywhere */
    uint64_t a1 = tlbm_ctx(0, 3, 1), a2 = tlbm_ctx(0, 3, 2), other_vm = tlbm_ctx(0, 4, 1);
    tlbm_fill(&t, 0x400000, 0x80400000, 12, a1, false);
    tlbm_fill(&t, 0x200000, 0x80200000, 21, a1, true);          /* a global 2 MiB block */
    cr_assert(tlbm_lookup(&t, 0x400123, a1));
    cr_assert_null(tlbm_lookup(&t, 0x400123, a2), "another ASID");
    cr_assert(tlbm_lookup(&t, 0x3ff000, a2), "global: any ASID, anywhere in the block");
    cr_assert_null(tlbm_lookup(&t, 0x3ff000, other_vm), "global, but another VMID");
    tlbm_invalidate(&t, &(TlbmInv){ .kind = TLBM_INV_ASID, .regime = 0, .vmid = 3, .asid = 1,
                                    .match_vmid = true });
    cr_assert_null(tlbm_lookup(&t, 0x400000, a1));
    cr_assert(tlbm_lookup(&t, 0x200000, a1), "an ASID invalidation keeps global entries");
    tlbm_invalidate(&t, &(TlbmInv){ .kind = TLBM_INV_VA, .regime = 0, .vmid = 3, .asid = 9,
                                    .match_vmid = true, .va = 0x3f0000 });
    cr_assert_null(tlbm_lookup(&t, 0x200000, a1), "by VA: the whole block holding the VA");
    tlbm_fill(&t, 0x400000, 0x80400000, 12, a1, false);
    tlbm_invalidate(&t, &(TlbmInv){ .kind = TLBM_INV_IPA, .regime = 0, .vmid = 3,
                                    .ipa = 0x80400000 });
    cr_assert_null(tlbm_lookup(&t, 0x400000, a1), "by IPA");
    cr_assert_eq(t.misses, 5);
    tlbm_free(&t);
}

Test(timing, bimodal_loop_branch_mispredicts_once_per_exit_and_the_return_stack_overflows)
{
    Bpred b;
    bpred_init(&b, BP_BIMODAL, 1024, 64, 16);
    /* a loop branch taken 63 times then not: after warm-up one mispredict per loop (the
     * exit), plus the first iterations that move the counter from 1 to taken */
    for (int loop = 0; loop < 10; loop++)
        for (int i = 0; i < 64; i++)
            bpred_resolve(&b, BR_COND, 0x1000, i < 63, i < 63 ? 0xf00 : 0x1004);
    cr_assert_eq(b.mispredicts, 1 + 10, "one to train, one exit per loop: %llu",
                 (unsigned long long)b.mispredicts);
    /* alternating taken / not taken: bimodal (from weakly not taken) always wrong */
    uint64_t before = b.mispredicts;
    for (int i = 0; i < 100; i++)
        bpred_resolve(&b, BR_COND, 0x2004, i % 2 == 0, 0x1f00);   /* its own counter */
    cr_assert_eq(b.mispredicts - before, 100);
    /* 24 nested calls and their returns: the stack keeps 16, the 8 oldest returns miss */
    before = b.mispredicts;
    for (int i = 0; i < 24; i++)
        bpred_resolve(&b, BR_CALL, 0x3000 + (uint64_t)i * 8, true, 0x5000);
    for (int i = 23; i >= 0; i--)
        bpred_resolve(&b, BR_RET, 0x5000, true, 0x3000 + (uint64_t)i * 8 + 4);
    cr_assert_eq(b.mispredicts - before, 8);
    bpred_free(&b);
}

Test(timing, gshare_learns_an_alternating_branch)
{
    Bpred b;
    bpred_init(&b, BP_GSHARE, 4096, 64, 16);
    for (int i = 0; i < 1000; i++)
        bpred_resolve(&b, BR_COND, 0x2000, i % 2 == 0, 0x1f00);
    uint64_t warm = b.mispredicts;
    for (int i = 1000; i < 2000; i++)
        bpred_resolve(&b, BR_COND, 0x2000, i % 2 == 0, 0x1f00);
    cr_assert_eq(b.mispredicts, warm, "trained: no mispredict in 1000 more");
    bpred_free(&b);
}

/* A synthetic n1-level stage 1 over an n2-level stage 2, tables in distinct pages: the
 * walker's read order (stage-2 run for each stage-1 table, the stage-1 read; the final run). */
static int walk_n1 = 4, walk_n2 = 4;
static void fake_walk(void *cpu, uint64_t va, bool fetch, TmWalk *w)
{
    (void)cpu;
    (void)fetch;
    w->n = 0;
    int n1 = walk_n1, n2 = walk_n2;
    for (int l1 = 0; l1 <= n1; l1++) {
        if (n2) {
            for (int l2 = 0; l2 < n2; l2++) {
                /* stage-2 tables: shared upper levels, leaf table by the IPA's 2 MiB */
                uint64_t ipa = l1 < n1 ? 0x10000000 + (uint64_t)l1 * 0x1000 : va;
                uint64_t pa = 0x40000000 + (uint64_t)l2 * 0x100000 +
                              (l2 == n2 - 1 ? (ipa >> 21) * 0x1000 : 0) + ((ipa >> 12) & 511) * 8;
                w->r[w->n].pa = pa;
                w->r[w->n].stage = 2;
                w->r[w->n].level = (uint8_t)(4 - n2 + l2);
                w->n++;
            }
        }
        if (l1 == n1 || !n1)
            break;
        w->r[w->n].pa = 0x10000000 + (uint64_t)l1 * 0x1000 + ((va >> (12 + 9 * (n1 - 1 - l1))) & 511) * 8;
        w->r[w->n].stage = 1;
        w->r[w->n].level = (uint8_t)(4 - n1 + l1);
        w->n++;
    }
    w->ok = true;
    w->s1 = n1 > 0;
    w->s2 = n2 > 0;
    w->global = true;
    w->ipa = va;
    w->shift = 12;
    w->asid = 0;
    w->vmid = 1;
}

static uint64_t refs_per_walk(int n1, int n2, bool pwc, bool nested)
{
    TmConfig cfg;
    cr_assert_null(tm_config_load(&cfg, NULL));
    cfg.walk_cache = pwc;
    cfg.nested = nested;
    cfg.dtlb_entries = 1;
    cfg.l2tlb_entries = 1;
    cfg.l2tlb_ways = 1;
    walk_n1 = n1;
    walk_n2 = n2;
    TimingSys *s = tm_new(&cfg, 1, fake_walk);
    TmCore *k = &s->core[0];
    /* alternate two pages of one 2 MiB region: every access misses the one-entry TLBs */
    for (int i = 0; i < 8; i++)
        tm_data(s, k, NULL, 0x600000 + (uint64_t)(i & 1) * 0x1000, 0x1000, false, TM_ACC_CACHED, true,
                tlbm_ctx(0, 1, 0), 1);
    int kind = n1 && n2 ? TM_WALK_2D : n1 ? TM_WALK_S1 : TM_WALK_S2;
    uint64_t walks0 = k->walks[kind], refs0 = k->walk_refs[kind];
    for (int i = 0; i < 10; i++)
        tm_data(s, k, NULL, 0x600000 + (uint64_t)(i & 1) * 0x1000, 0x1000, false, TM_ACC_CACHED, true,
                tlbm_ctx(0, 1, 0), 1);
    cr_assert_eq(k->walks[kind] - walks0, 10);
    uint64_t r = (k->walk_refs[kind] - refs0) / 10;
    cr_assert_eq((k->walk_refs[kind] - refs0) % 10, 0, "the same count every walk");
    tm_free(s);
    return r;
}

Test(timing, walk_references_equal_the_closed_forms)
{
    /* caches off: (n1 + 1)(n2 + 1) - 1 */
    cr_assert_eq(refs_per_walk(4, 4, false, false), 24);
    cr_assert_eq(refs_per_walk(3, 4, false, false), 19);
    cr_assert_eq(refs_per_walk(3, 3, false, false), 15);
    cr_assert_eq(refs_per_walk(4, 0, false, false), 4);
    cr_assert_eq(refs_per_walk(0, 4, false, false), 4);
    /* every non-leaf entry cached: the leaves */
    cr_assert_eq(refs_per_walk(4, 0, true, false), 1);
    cr_assert_eq(refs_per_walk(0, 4, true, false), 1);
    cr_assert_eq(refs_per_walk(4, 4, true, false), 6);
    cr_assert_eq(refs_per_walk(4, 4, true, true), 2);
}

static char *config_error(const char *text)
{
    char *path = NULL;
    int fd = g_file_open_tmp("hvsim-timing-XXXXXX.ini", &path, NULL);
    cr_assert(fd >= 0);
    cr_assert(g_file_set_contents(path, text, -1, NULL));
    close(fd);
    TmConfig cfg;
    char *e = tm_config_load(&cfg, path);
    g_unlink(path);
    g_free(path);
    return e;
}

Test(timing, configuration_errors_name_the_key)
{
    TmConfig cfg;
    cr_assert_null(tm_config_load(&cfg, NULL));
    cr_assert_eq(cfg.l1d.latency, 3);
    static const struct { const char *text, *want; } bad[] = {
        { "[l1d]\nsize=3000\n", "powers of two" },
        { "[l1d]\nsiz=4096\n", "unknown key siz" },
        { "[core]\nbpred=perceptron\n", "none|bimodal|gshare" },
        { "[cache]\n", "unknown group [cache]" },
        { "[memory]\nlatency=-5\n", "[memory] latency=-5" },
        { "[l1d]\nline=32\n", "line sizes" },
        { "not a key file", "" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *e = config_error(bad[i].text);
        cr_assert(e && strstr(e, bad[i].want), "'%s': %s", bad[i].text, e ? e : "(accepted)");
        g_free(e);
    }
    char *e;
    e = config_error("[l1d]\nsize=4096\nlatency=2\n[memory]\nlatency=300\n[walk]\ncache=off\n");
    cr_assert_null(e, "%s", e);
}
