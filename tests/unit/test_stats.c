/* The statistics registry's sets (suite stats): collection, reset baselines, formulas and the
 * JSON that json-glib writes (read back with json-glib). */
#include <criterion/criterion.h>
#include <json-glib/json-glib.h>
#include "core/stats.h"

static uint64_t hits, misses, hist[3];

static void provider(void *opaque, const StatsSink *s)
{
    (void)opaque;
    static const uint64_t bounds[3] = { 10, 100, 0 };
    stats_emit(s, "cache.hits", hits, "accesses", "hits");
    stats_emit(s, "cache.misses", misses, "accesses", "misses");
    stats_emit(s, "cache.hits", 999, "accesses", "reported twice: the first stays");
    stats_emit_value(s, "cache.size", 32768, "bytes", "capacity");
    stats_emit_formula(s, "cache.miss_rate", "cache.misses", "cache.hits", 1, "", "misses per hit");
    stats_emit_formula(s, "cache.kmisses", "cache.misses", NULL, 1e-3, "k", "thousands of misses");
    stats_emit_histogram(s, "cache.latency", 3, bounds, hist, "cycles", "access latency");
}

static JsonObject *parse(JsonParser *p, const StatsSet *set)
{
    char *text = stats_set_to_json(set, FALSE);
    cr_assert(json_parser_load_from_data(p, text, -1, NULL), "not JSON: %s", text);
    g_free(text);
    return json_node_get_object(json_parser_get_root(p));
}

Test(stats, collect_reset_formulas_and_json)
{
    StatsProvider prov[1] = { { provider, NULL } };
    hits = 0, misses = 5, hist[0] = 1, hist[1] = 2, hist[2] = 3;
    StatsSet *a = stats_collect(prov, 1, NULL);
    cr_expect_eq(stats_find(a, "cache.hits")->value, 0);
    const StatsItem *rate = stats_find(a, "cache.miss_rate");
    cr_expect(!rate->defined, "a formula over a zero denominator has no value");
    cr_expect_float_eq(stats_find(a, "cache.kmisses")->result, 0.005, 1e-12);
    JsonParser *p = json_parser_new();
    JsonObject *o = parse(p, a);
    cr_expect(json_object_get_null_member(o, "cache.miss_rate"));
    cr_expect_eq(json_object_get_int_member(o, "cache.size"), 32768);
    JsonObject *h = json_object_get_object_member(json_object_get_object_member(o, "histograms"),
                                                  "cache.latency");
    JsonArray *counts = json_object_get_array_member(h, "counts");
    cr_expect_eq(json_array_get_length(counts), 3);
    cr_expect_eq(json_array_get_int_element(counts, 2), 3);
    cr_expect(json_node_is_null(json_array_get_element(json_object_get_array_member(h, "bounds"), 2)),
              "the last bucket is open");
    cr_expect_str_eq(json_object_get_string_member(
                         json_object_get_object_member(json_object_get_object_member(o, "meta"),
                                                       "cache.size"), "kind"), "value");
    g_object_unref(p);

    /* later, against the first set as a baseline */
    hits = 40, misses = 15, hist[0] = 1, hist[1] = 7, hist[2] = 3;
    StatsSet *b = stats_collect(prov, 1, a);
    cr_expect_eq(stats_find(b, "cache.hits")->value, 40);
    cr_expect_eq(stats_find(b, "cache.misses")->value, 10);
    cr_expect_eq(stats_find(b, "cache.size")->value, 32768, "values are not reset");
    cr_expect(stats_find(b, "cache.miss_rate")->defined);
    cr_expect_float_eq(stats_find(b, "cache.miss_rate")->result, 0.25, 1e-12);
    const StatsItem *lat = stats_find(b, "cache.latency");
    cr_expect(lat->counts[0] == 0 && lat->counts[1] == 5 && lat->counts[2] == 0);
    GString *text = g_string_new(NULL);
    stats_set_to_text(b, text);
    cr_expect(strstr(text->str, "cache.latency[10,100)") != NULL, "%s", text->str);
    cr_expect(strstr(text->str, "reported twice") == NULL);
    g_string_free(text, TRUE);
    stats_set_free(a);
    stats_set_free(b);
}
