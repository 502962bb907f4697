/* Memory trace: every data access, written to a binary file in the format below (read it
 * with scripts/memtrace.py).
 *
 *   --plugin build/plugins/memtrace.so,out=FILE[,lo=VA][,hi=VA][,cpu=N][,el=N][,vmid=N]
 *
 * File format (little-endian), version 1:
 *   header, 16 bytes: "HVMEMTR1" (8 bytes), u32 version = 1, u32 record size = 32
 *   records, 32 bytes each, in the order the accesses happened:
 *     u64 va, u64 pa, u64 pc (of the instruction), u8 size (bytes), u8 flags (bit 0: write),
 *     u8 cpu, u8 el, i32 vmid (-1 outside a guest)
 * An access that crosses a page is recorded byte by byte (as hvsim performs it). Counters:
 * plugin.memtrace.reads, plugin.memtrace.writes. */
#include <hvsim/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HVSIM_PLUGIN_DECLARE;

#define RECORD_SIZE 32
static const hvsim_api *api;
static FILE *out;
static uint64_t reads, writes;

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static int on_mem(void *user, const hvsim_event *e)
{
    uint8_t r[RECORD_SIZE];
    put64(r, e->u.mem.va);
    put64(r + 8, e->u.mem.pa);
    put64(r + 16, e->pc);
    r[24] = (uint8_t)e->u.mem.size;
    r[25] = e->u.mem.write ? 1 : 0;
    r[26] = (uint8_t)e->cpu;
    r[27] = (uint8_t)e->el;
    uint32_t vmid = (uint32_t)e->vmid;
    for (int i = 0; i < 4; i++)
        r[28 + i] = (uint8_t)(vmid >> (8 * i));
    fwrite(r, 1, sizeof r, out);
    if (e->u.mem.write)
        writes++;
    else
        reads++;
    return 0;
}

static void stats(void *user, const hvsim_stats_sink *sink)
{
    api->stat(sink, "reads", reads, "accesses", "data reads traced");
    api->stat(sink, "writes", writes, "accesses", "data writes traced");
}

static void finish(void *user)
{
    if (fclose(out) != 0)
        fprintf(stderr, "memtrace: error writing the trace\n");
}

int hvsim_plugin_install(const hvsim_api *a, hvsim_plugin *self, int argc, const hvsim_arg *argv,
                         char **err)
{
    api = a;
    hvsim_filter f = HVSIM_FILTER_ALL;
    const char *path = NULL;
    for (int i = 0; i < argc; i++) {
        const char *k = argv[i].key, *v = argv[i].value;
        if (!strcmp(k, "out"))
            path = v;
        else if (!strcmp(k, "lo"))
            f.lo = strtoull(v, NULL, 0);
        else if (!strcmp(k, "hi"))
            f.hi = strtoull(v, NULL, 0);
        else if (!strcmp(k, "cpu"))
            f.cpu = atoi(v);
        else if (!strcmp(k, "el"))
            f.el = atoi(v);
        else if (!strcmp(k, "vmid"))
            f.vmid = atoi(v);
        else {
            *err = strdup("unknown argument (want out=FILE, lo=, hi=, cpu=, el=, vmid=)");
            return 1;
        }
    }
    if (!path) {
        *err = strdup("want out=FILE");
        return 1;
    }
    if (!(out = fopen(path, "wb"))) {
        *err = strdup("cannot create the out= file");
        return 1;
    }
    static const uint8_t header[16] = { 'H', 'V', 'M', 'E', 'M', 'T', 'R', '1', 1, 0, 0, 0,
                                        RECORD_SIZE, 0, 0, 0 };
    fwrite(header, 1, sizeof header, out);
    if (api->subscribe(self, HVSIM_EV_BIT(HVSIM_EV_MEM), &f, on_mem, NULL))
        return 1;
    api->add_stats(self, stats, NULL);
    api->at_exit(self, finish, NULL);
    return 0;
}
