/* The statistics registry. Objects register a dump function (machine_add_stats); a dump
 * collects what they report into a StatsSet: counters, values, histograms and formulas, each
 * with a dotted name ("sim.insns", "cpu0.insns", "vm1.exits.hvc": the first component groups
 * them per core, VM, device or plugin), a unit and a description. Front ends write a set as
 * JSON (json-glib) or text, and `stats reset` makes later sets count from that point: a set
 * minus a baseline set (counters and histogram buckets subtract; values stay; formulas are
 * evaluated after the subtraction). */
#ifndef HVSIM_CORE_STATS_H
#define HVSIM_CORE_STATS_H
#include <glib.h>
#include <stdint.h>

typedef struct StatsSink StatsSink;
typedef void (*StatsDumpFn)(void *opaque, const StatsSink *sink);

/* A monotonic count since the start of the run (a reset subtracts it). */
void stats_emit(const StatsSink *s, const char *name, uint64_t value, const char *unit,
                const char *desc);
/* A value that is not a count (a configured clock, a size): a reset leaves it. */
void stats_emit_value(const StatsSink *s, const char *name, uint64_t value, const char *unit,
                      const char *desc);
/* A histogram of n buckets: counts[i] samples below bounds[i] (and at or above bounds[i-1]);
 * the last bucket is open (bounds[n-1] is ignored and written as null). */
void stats_emit_histogram(const StatsSink *s, const char *name, unsigned n, const uint64_t *bounds,
                          const uint64_t *counts, const char *unit, const char *desc);
/* num / den * scale, of two counters of the same set (named in full), evaluated when the set
 * is complete, after any reset; no value when den is 0. den NULL: num * scale. */
void stats_emit_formula(const StatsSink *s, const char *name, const char *num, const char *den,
                        double scale, const char *unit, const char *desc);

#define STATS_MAX_PROVIDERS 16
typedef struct StatsProvider {
    StatsDumpFn fn;
    void *opaque;
} StatsProvider;

typedef enum { STATS_COUNTER, STATS_VALUE, STATS_HISTOGRAM, STATS_FORMULA } StatsKind;

typedef struct StatsItem {
    StatsKind kind;
    char *name, *unit, *desc;
    uint64_t value;           /* counter, value */
    unsigned n;               /* histogram: buckets */
    uint64_t *bounds, *counts;
    char *num, *den;          /* formula */
    double scale;
    double result;            /* formula, once evaluated */
    gboolean defined;         /* formula: den was not 0 */
} StatsItem;

typedef struct StatsSet {
    GArray *items;            /* StatsItem, in the order reported */
    GHashTable *index;        /* name -> position + 1 */
} StatsSet;

/* Runs every provider into a new set (baseline subtracted when not NULL). */
StatsSet *stats_collect(const StatsProvider *providers, int n, const StatsSet *baseline);
void stats_set_free(StatsSet *s);
const StatsItem *stats_find(const StatsSet *s, const char *name);
/* The set as one JSON object: every counter, value and formula as "name": number (formulas
 * with no value as null), histograms under "histograms" ({"unit", "bounds", "counts"}), and
 * each entry's kind, unit and description under "meta". `pretty`: indented; else one line
 * (a --stats-interval record). */
char *stats_set_to_json(const StatsSet *s, gboolean pretty);
/* The set as text, one `name value  description (unit)` line per entry; a histogram is one
 * line per non-empty bucket. */
void stats_set_to_text(const StatsSet *s, GString *out);
#endif
