/* Two-stage walk profiler: descriptor reads per translation-table walk, by stage and level,
 * and how many walks read how many descriptors (a 4-level stage 1 under a 4-level stage 2
 * reads up to 24: each stage-1 table address is itself translated by stage 2).
 *
 *   --plugin build/plugins/walkprof.so[,out=FILE][,vmid=N][,el=N]
 *
 * Walks happen when hvsim's soft TLB misses (see HVSIM_EV_WALK). Counters:
 * plugin.walkprof.walks, .faults, .s1.lN and .s2.lN (descriptor reads), .refs.N (walks that
 * read N descriptors); out= writes the same as "name value" lines. */
#include <hvsim/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HVSIM_PLUGIN_DECLARE;

#define MAX_REFS 64
static const hvsim_api *api;
static uint64_t walks, faults, level_refs[2][4], per_walk[MAX_REFS + 1];
static char *out_path;

static int on_walk(void *user, const hvsim_event *e)
{
    unsigned n = 0;
    for (int s = 0; s < 2; s++)
        for (int l = 0; l < 4; l++) {
            level_refs[s][l] += e->u.walk.refs[s][l];
            n += e->u.walk.refs[s][l];
        }
    walks++;
    faults += e->u.walk.fault != 0;
    per_walk[n < MAX_REFS ? n : MAX_REFS]++;
    return 0;
}

/* Every counter once, to a statistics sink or a file. */
static void each(void (*put)(void *ctx, const char *name, uint64_t v, const char *unit,
                             const char *desc), void *ctx)
{
    char name[32];
    put(ctx, "walks", walks, "walks", "translation-table walks");
    put(ctx, "faults", faults, "walks", "walks that ended in a fault");
    for (int s = 0; s < 2; s++)
        for (int l = 0; l < 4; l++) {
            snprintf(name, sizeof name, "s%d.l%d", s + 1, l);
            put(ctx, name, level_refs[s][l], "reads", "descriptor reads at this stage and level");
        }
    for (int n = 0; n <= MAX_REFS; n++)
        if (per_walk[n]) {
            snprintf(name, sizeof name, "refs.%d", n);
            put(ctx, name, per_walk[n], "walks", "walks that read this many descriptors");
        }
}

static void put_stat(void *ctx, const char *name, uint64_t v, const char *unit, const char *desc)
{
    api->stat(ctx, name, v, unit, desc);
}

static void stats(void *user, const hvsim_stats_sink *sink)
{
    each(put_stat, (void *)sink);
}

static void put_line(void *ctx, const char *name, uint64_t v, const char *unit, const char *desc)
{
    fprintf(ctx, "%s %llu\n", name, (unsigned long long)v);
}

static void finish(void *user)
{
    if (!out_path)
        return;
    FILE *f = fopen(out_path, "w");
    if (!f) {
        fprintf(stderr, "walkprof: cannot write %s\n", out_path);
        return;
    }
    each(put_line, f);
    fclose(f);
    free(out_path);
}

int hvsim_plugin_install(const hvsim_api *a, hvsim_plugin *self, int argc, const hvsim_arg *argv,
                         char **err)
{
    api = a;
    hvsim_filter f = HVSIM_FILTER_ALL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i].key, "out")) {
            out_path = strdup(argv[i].value);
        } else if (!strcmp(argv[i].key, "vmid")) {
            f.vmid = atoi(argv[i].value);
        } else if (!strcmp(argv[i].key, "el")) {
            f.el = atoi(argv[i].value);
        } else {
            *err = strdup("unknown argument (want out=FILE, vmid=N, el=N)");
            return 1;
        }
    }
    if (api->subscribe(self, HVSIM_EV_BIT(HVSIM_EV_WALK), &f, on_walk, NULL))
        return 1;
    api->add_stats(self, stats, NULL);
    api->at_exit(self, finish, NULL);
    return 0;
}
