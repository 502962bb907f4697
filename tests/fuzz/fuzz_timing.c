/* The cycle model's two readers of outside input: the --timing-config key file
 * (tm_config_load) and the model's section of a snapshot (tm_state_load). Each input is a
 * key file, optionally followed by a line "#state" and bytes XORed into the saved state of
 * the model that configuration makes (the digest kept, so the loader takes it: the state
 * arrays are what it must sanitise). An accepted configuration of bounded size is built,
 * driven through fetches, loads, stores, walks and branches, saved, XORed, loaded, driven
 * again, and must save and load again unchanged in size. Seeds: tests/fuzz/seeds/timing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/timing/model.h"
#include "tests/fuzz/fuzz_common.h"

#define MAX_STATE (8u << 20)       /* bigger models are legitimate, just slow to fuzz */

static FzFile file;

/* A 2D walk of 4 over 4 levels, its addresses from va (the walk caches see repeats). */
static void fake_walk(void *cpu, uint64_t va, bool fetch, TmWalk *w)
{
    (void)cpu;
    (void)fetch;
    w->n = 0;
    for (int l1 = 0; l1 <= 4; l1++) {
        for (int l2 = 0; l2 < 4 && w->n < TM_WALK_MAX; l2++)
            w->r[w->n++] = (typeof(w->r[0])){ 0x40000000 + (uint64_t)l2 * 0x1000 +
                                              ((va >> (12 + 9 * l2)) & 511) * 8, 2, (uint8_t)l2 };
        if (l1 < 4 && w->n < TM_WALK_MAX)
            w->r[w->n++] = (typeof(w->r[0])){ 0x50000000 + (uint64_t)l1 * 0x1000 +
                                              ((va >> (39 - 9 * l1)) & 511) * 8, 1, (uint8_t)l1 };
    }
    w->ok = (va & 0x3000) != 0x3000;
    w->s1 = w->s2 = true;
    w->global = va & 1;
    w->ipa = va;
    w->shift = va & 0x100000 ? 21 : 12;
    w->asid = (unsigned)(va >> 48);
    w->vmid = (unsigned)(va >> 40) & 0xff;
}

static void drive(TimingSys *s, uint64_t seed)
{
    for (int i = 0; i < 2000; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        TmCore *k = &s->core[(seed >> 60) % (uint64_t)s->ncores];
        uint64_t va = (seed >> 8) & 0x0000ffffffffffc0ULL, pa = (seed >> 20) & 0xffffffc0ULL;
        uint64_t ctx = tlbm_ctx((unsigned)(seed >> 40) % 3, (unsigned)(seed >> 16) & 3,
                                (unsigned)(seed >> 24) & 3);
        switch ((seed >> 56) & 7) {
        case 0:
            tm_fetch(s, k, NULL, va, pa, seed & 1, ctx);
            break;
        case 1: case 2:
            tm_data(s, k, NULL, va, pa, seed & 2, (TmAccKind)((seed >> 4) % 3), seed & 1, ctx,
                    (int)(seed >> 5) & 3);
            break;
        case 3:
            tm_branch(s, k, (BrKind)((seed >> 4) % 6), va & ~3ULL, seed & 1, pa & ~3ULL);
            break;
        case 4:
            tm_dc(s, k, pa, seed & 1, seed & 2);
            break;
        case 5:
            tm_tlbi(k, &(TlbmInv){ .kind = (TlbmInvKind)((seed >> 4) % 6),
                                   .regime = (unsigned)(seed >> 8) % 3, .vmid = 1, .asid = 2,
                                   .match_vmid = seed & 1, .any_asid = seed & 2, .va = va,
                                   .ipa = pa }, seed & 4);
            break;
        case 6:
            tm_dc_setway(s, k, (unsigned)(seed >> 4) & 1, (uint32_t)(seed >> 8),
                         (uint32_t)(seed >> 40), seed & 1, seed & 2);
            break;
        default:
            tm_attribute(s, k, (int)(seed >> 4) & 3, (int)(seed >> 8) % 5 - 1);
            break;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *mark = memmem(data, size, "\n#state\n", 8);
    size_t cfg_len = mark ? (size_t)(mark - data) + 1 : size;
    TmConfig cfg;
    char *err = tm_config_load(&cfg, fz_file_set(&file, data, cfg_len));
    if (err) {
        g_free(err);
        return 0;
    }
    uint64_t bytes = (uint64_t)cfg.l1i.size + cfg.l1d.size + cfg.l2.size;
    uint64_t lines = bytes / cfg.l2.line;
    if (lines * 17 + ((uint64_t)cfg.l2tlb_entries + cfg.itlb_entries + cfg.dtlb_entries) * 48 +
            cfg.bp_entries + 16ull * cfg.btb_entries > MAX_STATE)
        return 0;
    TimingSys *s = tm_new(&cfg, 2, fake_walk);
    drive(s, size);
    uint64_t n = tm_state_size(s);
    uint8_t *st = g_malloc(n);
    tm_state_save(s, st);
    if (mark) {
        const uint8_t *x = mark + 8;
        size_t xn = size - (size_t)(x - data);
        for (size_t i = 0; i < xn; i++)
            st[64 + (i * 131) % (n - 64)] ^= x[i];   /* past the digest */
    }
    if (!tm_state_load(s, st, n)) {
        fprintf(stderr, "fuzz: the model refused its own state\n");
        abort();
    }
    drive(s, size * 3 + 1);
    tm_state_save(s, st);
    if (!tm_state_load(s, st, n) || tm_state_size(s) != n)
        abort();
    g_free(st);
    tm_free(s);
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_file_init(&file, "timing.ini");
    return 0;
}
