/* The statistics registry: objects register a dump function; front ends ask the machine to
 * dump every counter into a sink (JSON, text, the console). Counter names are dotted paths
 * ("sim.insns", "cpu0.insns", "vm1.exits.hvc"); each has a unit and a description. */
#ifndef HVSIM_CORE_STATS_H
#define HVSIM_CORE_STATS_H
#include <stdint.h>

typedef struct StatsSink {
    void (*counter)(void *ctx, const char *name, uint64_t value, const char *unit, const char *desc);
    void *ctx;
} StatsSink;

typedef void (*StatsDumpFn)(void *opaque, const StatsSink *sink);

static inline void stats_emit(const StatsSink *s, const char *name, uint64_t value, const char *unit,
                              const char *desc)
{
    s->counter(s->ctx, name, value, unit, desc);
}

#define STATS_MAX_PROVIDERS 16
typedef struct StatsProvider {
    StatsDumpFn fn;
    void *opaque;
} StatsProvider;
#endif
