/* The statistics registry's sets (see stats.h). */
#include "core/stats.h"
#include <json-glib/json-glib.h>
#include <stdio.h>

struct StatsSink {
    StatsSet *set;
};

static StatsItem *add(const StatsSink *s, StatsKind kind, const char *name, const char *unit,
                      const char *desc)
{
    StatsItem it = { .kind = kind, .name = g_strdup(name), .unit = g_strdup(unit ? unit : ""),
                     .desc = g_strdup(desc ? desc : "") };
    /* a name reported twice keeps its first entry (providers are independent) */
    if (g_hash_table_contains(s->set->index, name)) {
        g_free(it.name);
        g_free(it.unit);
        g_free(it.desc);
        return NULL;
    }
    g_array_append_val(s->set->items, it);
    g_hash_table_insert(s->set->index, g_strdup(name), GUINT_TO_POINTER(s->set->items->len));
    return &g_array_index(s->set->items, StatsItem, s->set->items->len - 1);
}

void stats_emit(const StatsSink *s, const char *name, uint64_t value, const char *unit,
                const char *desc)
{
    StatsItem *it = add(s, STATS_COUNTER, name, unit, desc);
    if (it)
        it->value = value;
}

void stats_emit_value(const StatsSink *s, const char *name, uint64_t value, const char *unit,
                      const char *desc)
{
    StatsItem *it = add(s, STATS_VALUE, name, unit, desc);
    if (it)
        it->value = value;
}

void stats_emit_histogram(const StatsSink *s, const char *name, unsigned n, const uint64_t *bounds,
                          const uint64_t *counts, const char *unit, const char *desc)
{
    StatsItem *it = n ? add(s, STATS_HISTOGRAM, name, unit, desc) : NULL;
    if (!it)
        return;
    it->n = n;
    it->bounds = g_memdup2(bounds, n * sizeof *bounds);
    it->counts = g_memdup2(counts, n * sizeof *counts);
}

void stats_emit_formula(const StatsSink *s, const char *name, const char *num, const char *den,
                        double scale, const char *unit, const char *desc)
{
    StatsItem *it = add(s, STATS_FORMULA, name, unit, desc);
    if (!it)
        return;
    it->num = g_strdup(num);
    it->den = g_strdup(den);
    it->scale = scale;
}

const StatsItem *stats_find(const StatsSet *s, const char *name)
{
    guint pos = GPOINTER_TO_UINT(g_hash_table_lookup(s->index, name));
    return pos ? &g_array_index(s->items, StatsItem, pos - 1) : NULL;
}

static void item_clear(gpointer p)
{
    StatsItem *it = p;
    g_free(it->name);
    g_free(it->unit);
    g_free(it->desc);
    g_free(it->bounds);
    g_free(it->counts);
    g_free(it->num);
    g_free(it->den);
}

static StatsSet *set_new(void)
{
    StatsSet *s = g_new0(StatsSet, 1);
    s->items = g_array_new(FALSE, TRUE, sizeof(StatsItem));
    g_array_set_clear_func(s->items, item_clear);
    s->index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return s;
}

void stats_set_free(StatsSet *s)
{
    if (!s)
        return;
    g_array_free(s->items, TRUE);
    g_hash_table_destroy(s->index);
    g_free(s);
}

/* Counts since the baseline: counters and histogram buckets subtract (an entry the baseline
 * lacks, or one that shrank, counts from zero). */
static void subtract(StatsSet *s, const StatsSet *base)
{
    for (guint i = 0; i < s->items->len; i++) {
        StatsItem *it = &g_array_index(s->items, StatsItem, i);
        const StatsItem *b = stats_find(base, it->name);
        if (!b || b->kind != it->kind)
            continue;
        if (it->kind == STATS_COUNTER)
            it->value = it->value >= b->value ? it->value - b->value : it->value;
        else if (it->kind == STATS_HISTOGRAM && b->n == it->n)
            for (unsigned k = 0; k < it->n; k++)
                it->counts[k] = it->counts[k] >= b->counts[k] ? it->counts[k] - b->counts[k]
                                                              : it->counts[k];
    }
}

static gboolean number(const StatsSet *s, const char *name, double *v)
{
    const StatsItem *it = stats_find(s, name);
    if (!it || (it->kind != STATS_COUNTER && it->kind != STATS_VALUE))
        return FALSE;
    *v = (double)it->value;
    return TRUE;
}

static void evaluate(StatsSet *s)
{
    for (guint i = 0; i < s->items->len; i++) {
        StatsItem *it = &g_array_index(s->items, StatsItem, i);
        if (it->kind != STATS_FORMULA)
            continue;
        double n, d = 1;
        it->defined = number(s, it->num, &n) && (!it->den || (number(s, it->den, &d) && d != 0));
        /* a scale below 1 divides (sim.seconds = sim.time_ps / 1e12 is then as exact as a
         * double can hold it) */
        double r = n / d;
        it->result = !it->defined ? 0 : it->scale < 1 ? r / (1 / it->scale) : r * it->scale;
    }
}

StatsSet *stats_collect(const StatsProvider *providers, int n, const StatsSet *baseline)
{
    StatsSet *s = set_new();
    StatsSink sink = { s };
    for (int i = 0; i < n; i++)
        providers[i].fn(providers[i].opaque, &sink);
    if (baseline)
        subtract(s, baseline);
    evaluate(s);
    return s;
}

static const char *kind_name(StatsKind k)
{
    static const char *const names[] = { "counter", "value", "histogram", "formula" };
    return names[k];
}

char *stats_set_to_json(const StatsSet *s, gboolean pretty)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    for (guint i = 0; i < s->items->len; i++) {
        const StatsItem *it = &g_array_index(s->items, StatsItem, i);
        if (it->kind == STATS_HISTOGRAM)
            continue;
        json_builder_set_member_name(b, it->name);
        if (it->kind == STATS_FORMULA && !it->defined)
            json_builder_add_null_value(b);
        else if (it->kind == STATS_FORMULA)
            json_builder_add_double_value(b, it->result);
        else
            json_builder_add_int_value(b, (gint64)it->value);
    }
    json_builder_set_member_name(b, "histograms");
    json_builder_begin_object(b);
    for (guint i = 0; i < s->items->len; i++) {
        const StatsItem *it = &g_array_index(s->items, StatsItem, i);
        if (it->kind != STATS_HISTOGRAM)
            continue;
        json_builder_set_member_name(b, it->name);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "unit");
        json_builder_add_string_value(b, it->unit);
        json_builder_set_member_name(b, "bounds");
        json_builder_begin_array(b);
        for (unsigned k = 0; k < it->n; k++)
            if (k + 1 < it->n)
                json_builder_add_int_value(b, (gint64)it->bounds[k]);
            else
                json_builder_add_null_value(b);
        json_builder_end_array(b);
        json_builder_set_member_name(b, "counts");
        json_builder_begin_array(b);
        for (unsigned k = 0; k < it->n; k++)
            json_builder_add_int_value(b, (gint64)it->counts[k]);
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
    json_builder_set_member_name(b, "meta");
    json_builder_begin_object(b);
    for (guint i = 0; i < s->items->len; i++) {
        const StatsItem *it = &g_array_index(s->items, StatsItem, i);
        json_builder_set_member_name(b, it->name);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "kind");
        json_builder_add_string_value(b, kind_name(it->kind));
        json_builder_set_member_name(b, "unit");
        json_builder_add_string_value(b, it->unit);
        json_builder_set_member_name(b, "desc");
        json_builder_add_string_value(b, it->desc);
        if (it->kind == STATS_FORMULA) {
            char *f = it->den ? g_strdup_printf("%s / %s * %g", it->num, it->den, it->scale)
                              : g_strdup_printf("%s * %g", it->num, it->scale);
            json_builder_set_member_name(b, "formula");
            json_builder_add_string_value(b, f);
            g_free(f);
        }
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
    JsonGenerator *g = json_generator_new();
    JsonNode *root = json_builder_get_root(b);
    json_generator_set_root(g, root);
    json_generator_set_pretty(g, pretty);
    char *text = json_generator_to_data(g, NULL);
    json_node_unref(root);
    g_object_unref(g);
    g_object_unref(b);
    return text;
}

void stats_set_to_text(const StatsSet *s, GString *out)
{
    for (guint i = 0; i < s->items->len; i++) {
        const StatsItem *it = &g_array_index(s->items, StatsItem, i);
        switch (it->kind) {
        case STATS_COUNTER:
        case STATS_VALUE:
            g_string_append_printf(out, "%-40s %20llu  %s (%s)\n", it->name,
                                   (unsigned long long)it->value, it->desc, it->unit);
            break;
        case STATS_FORMULA:
            if (it->defined)
                g_string_append_printf(out, "%-40s %20.9f  %s (%s)\n", it->name, it->result,
                                       it->desc, it->unit);
            else
                g_string_append_printf(out, "%-40s %20s  %s (%s)\n", it->name, "-", it->desc,
                                       it->unit);
            break;
        case STATS_HISTOGRAM:
            g_string_append_printf(out, "%-40s %20s  %s (%s)\n", it->name, "", it->desc, it->unit);
            for (unsigned k = 0; k < it->n; k++) {
                if (!it->counts[k])
                    continue;
                char range[64];
                if (k + 1 < it->n)
                    snprintf(range, sizeof range, "%s[%llu,%llu)", it->name,
                             (unsigned long long)(k ? it->bounds[k - 1] : 0),
                             (unsigned long long)it->bounds[k]);
                else
                    snprintf(range, sizeof range, "%s[%llu,)", it->name,
                             (unsigned long long)(k ? it->bounds[k - 1] : 0));
                g_string_append_printf(out, "  %-38s %20llu\n", range,
                                       (unsigned long long)it->counts[k]);
            }
            break;
        }
    }
}
