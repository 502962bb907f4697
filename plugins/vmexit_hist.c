/* VM-exit latency histogram: VM exits per VMID and reason, and for every exit that an entry
 * closed the cycles between them, in power-of-two buckets (bucket k holds latencies in
 * [2^k, 2^(k+1)), bucket 0 also 0). count and cycles equal hvsim's own vmN.exits.REASON and
 * vmN.exit_cycles.REASON.
 *
 *   --plugin build/plugins/vmexit_hist.so[,out=FILE][,vmid=N]
 *
 * Counters plugin.vmexit_hist.vmN.REASON.count / .cycles / .bucketK and the histogram
 * plugin.vmexit_hist.vmN.REASON.latency join --stats; out=
 * writes "vmN REASON count cycles b0 b1 ..." lines at exit. vmid= keeps one VM. */
#include <hvsim/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HVSIM_PLUGIN_DECLARE;

#define NVM 256
#define NBUCKETS 32
typedef struct Hist {
    uint64_t count, cycles, bucket[NBUCKETS];   /* exits; cycles and buckets of closed ones */
    const char *name;
} Hist;
static const hvsim_api *api;
static Hist hist[NVM][HVSIM_EXIT_NREASONS];
static char *out_path;

static int bucket_of(uint64_t c)
{
    int b = 0;
    while (c > 1 && b < NBUCKETS - 1) {
        c >>= 1;
        b++;
    }
    return b;
}

/* An exit counts; the entry that closes it carries its reason and latency. */
static int on_vm(void *user, const hvsim_event *e)
{
    Hist *h = &hist[e->vmid & (NVM - 1)][e->u.vm.reason % HVSIM_EXIT_NREASONS];
    if (e->kind == HVSIM_EV_VM_EXIT) {
        h->count++;
        h->name = e->u.vm.reason_name;
        return 0;
    }
    h->cycles += e->u.vm.cycles;
    h->bucket[bucket_of(e->u.vm.cycles)]++;
    return 0;
}

static void stats(void *user, const hvsim_stats_sink *sink)
{
    char name[96];
    for (int v = 0; v < NVM; v++)
        for (int r = 0; r < HVSIM_EXIT_NREASONS; r++) {
            const Hist *h = &hist[v][r];
            if (!h->count)
                continue;
            snprintf(name, sizeof name, "vm%d.%s.count", v, h->name);
            api->stat(sink, name, h->count, "exits", "VM exits");
            snprintf(name, sizeof name, "vm%d.%s.cycles", v, h->name);
            api->stat(sink, name, h->cycles, "cycles", "cycles from exit to entry, summed over closed exits");
            for (int b = 0; b < NBUCKETS; b++)
                if (h->bucket[b]) {
                    snprintf(name, sizeof name, "vm%d.%s.bucket%d", v, h->name, b);
                    api->stat(sink, name, h->bucket[b], "exits", "exits with latency in [2^k, 2^(k+1))");
                }
            uint64_t bounds[NBUCKETS];
            for (int b = 0; b < NBUCKETS; b++)
                bounds[b] = UINT64_C(2) << b;         /* bucket 0: [0, 2) */
            snprintf(name, sizeof name, "vm%d.%s.latency", v, h->name);
            api->stat_histogram(sink, name, NBUCKETS, bounds, h->bucket, "cycles",
                                "closed exits by cycles from exit to entry");
        }
}

static void finish(void *user)
{
    if (!out_path)
        return;
    FILE *f = fopen(out_path, "w");
    if (!f) {
        fprintf(stderr, "vmexit_hist: cannot write %s\n", out_path);
        return;
    }
    for (int v = 0; v < NVM; v++)
        for (int r = 0; r < HVSIM_EXIT_NREASONS; r++) {
            const Hist *h = &hist[v][r];
            if (!h->count)
                continue;
            fprintf(f, "vm%d %s %llu %llu", v, h->name, (unsigned long long)h->count,
                    (unsigned long long)h->cycles);
            int last = NBUCKETS - 1;
            while (last > 0 && !h->bucket[last])
                last--;
            for (int b = 0; b <= last; b++)
                fprintf(f, " %llu", (unsigned long long)h->bucket[b]);
            fprintf(f, "\n");
        }
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
        } else {
            *err = strdup("unknown argument (want out=FILE, vmid=N)");
            return 1;
        }
    }
    if (api->subscribe(self, HVSIM_EV_BIT(HVSIM_EV_VM_EXIT) | HVSIM_EV_BIT(HVSIM_EV_VM_ENTRY), &f,
                       on_vm, NULL))
        return 1;
    api->add_stats(self, stats, NULL);
    api->at_exit(self, finish, NULL);
    return 0;
}
