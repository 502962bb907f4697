/* Set-associative tag caches for the timing models (cache.h). */
#include "cpu/timing/cache.h"
#include <glib.h>
#include <string.h>

static bool pow2(uint64_t v) { return v && !(v & (v - 1)); }

char *cache_geom_check(const CacheGeom *g, const char *name)
{
    if (!pow2(g->size) || !pow2(g->ways) || !pow2(g->line))
        return g_strdup_printf("[%s]: size %u, ways %u and line %u must be powers of two", name,
                               g->size, g->ways, g->line);
    if (g->line < 16 || g->line > 512)
        return g_strdup_printf("[%s]: line %u outside 16..512 bytes", name, g->line);
    if ((uint64_t)g->ways * g->line > g->size)
        return g_strdup_printf("[%s]: %u ways of %u-byte lines do not fit in %u bytes", name,
                               g->ways, g->line, g->size);
    if (g->size > (1u << 30))
        return g_strdup_printf("[%s]: size %u above 1 GiB", name, g->size);
    return NULL;
}

void cache_init(Cache *c, const CacheGeom *g, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    c->g = *g;
    c->line_bits = (uint32_t)__builtin_ctz(g->line);
    c->sets = g->size / (g->ways * g->line);
    size_t n = (size_t)c->sets * g->ways;
    c->tag = g_new0(uint64_t, n);
    c->age = g_new0(uint64_t, n);
    c->dirty = g_new0(uint8_t, n);
    c->rng = seed | 1;
}

void cache_free(Cache *c)
{
    g_free(c->tag);
    g_free(c->age);
    g_free(c->dirty);
    memset(c, 0, sizeof *c);
}

void cache_clear(Cache *c)
{
    size_t n = (size_t)c->sets * c->g.ways;
    memset(c->tag, 0, n * sizeof *c->tag);
    memset(c->age, 0, n * sizeof *c->age);
    memset(c->dirty, 0, n);
    c->clock = 0;
}

static inline uint64_t *set_of(const Cache *c, uint64_t line, uint32_t *base)
{
    *base = (uint32_t)(line & (c->sets - 1)) * c->g.ways;
    return c->tag + *base;
}

static inline int find(const Cache *c, uint64_t pa, uint32_t *base)
{
    uint64_t line = pa >> c->line_bits;
    const uint64_t *t = set_of(c, line, base);
    for (uint32_t w = 0; w < c->g.ways; w++)
        if (t[w] == line + 1)
            return (int)w;
    return -1;
}

bool cache_access(Cache *c, uint64_t pa, bool write, uint64_t *wb, bool *wb_valid)
{
    uint32_t base;
    c->accesses++;
    *wb_valid = false;
    int w = find(c, pa, &base);
    if (w >= 0) {
        c->age[base + w] = ++c->clock;
        c->dirty[base + w] |= write;
        return true;
    }
    c->misses++;
    uint32_t victim = 0;
    bool free_way = false;
    for (uint32_t i = 0; i < c->g.ways; i++)
        if (!c->tag[base + i]) {
            victim = i;
            free_way = true;
            break;
        }
    if (!free_way) {
        if (c->g.repl == CACHE_RANDOM) {
            c->rng ^= c->rng << 13;
            c->rng ^= c->rng >> 7;
            c->rng ^= c->rng << 17;
            victim = (uint32_t)(c->rng % c->g.ways);
        } else {
            for (uint32_t i = 1; i < c->g.ways; i++)
                if (c->age[base + i] < c->age[base + victim])
                    victim = i;
        }
        if (c->dirty[base + victim]) {
            *wb = (c->tag[base + victim] - 1) << c->line_bits;
            *wb_valid = true;
            c->writebacks++;
        }
    }
    c->tag[base + victim] = (pa >> c->line_bits) + 1;
    c->age[base + victim] = ++c->clock;
    c->dirty[base + victim] = write;
    return false;
}

bool cache_probe(const Cache *c, uint64_t pa)
{
    uint32_t base;
    return find(c, pa, &base) >= 0;
}

int cache_inval(Cache *c, uint64_t pa)
{
    uint32_t base;
    int w = find(c, pa, &base);
    if (w < 0)
        return 0;
    int r = c->dirty[base + w] ? 2 : 1;
    c->tag[base + w] = 0;
    c->dirty[base + w] = 0;
    c->invals++;
    return r;
}

bool cache_clean(Cache *c, uint64_t pa)
{
    uint32_t base;
    int w = find(c, pa, &base);
    if (w < 0 || !c->dirty[base + w])
        return false;
    c->dirty[base + w] = 0;
    return true;
}

int cache_setway(Cache *c, uint32_t set, uint32_t way, bool clean, bool inval)
{
    if (set >= c->sets || way >= c->g.ways)
        return 0;
    uint32_t i = set * c->g.ways + way;
    if (!c->tag[i])
        return 0;
    int r = c->dirty[i] ? 2 : 1;
    if (clean || inval)
        c->dirty[i] = 0;
    if (inval) {
        c->tag[i] = 0;
        c->invals++;
    }
    return r;
}

uint64_t cache_state_size(const Cache *c)
{
    size_t n = (size_t)c->sets * c->g.ways;
    return n * (2 * sizeof(uint64_t) + 1) + 2 * sizeof(uint64_t);
}

void cache_state_save(const Cache *c, uint8_t *out)
{
    size_t n = (size_t)c->sets * c->g.ways;
    memcpy(out, c->tag, n * 8);
    memcpy(out + n * 8, c->age, n * 8);
    memcpy(out + n * 16, c->dirty, n);
    memcpy(out + n * 17, &c->clock, 8);
    memcpy(out + n * 17 + 8, &c->rng, 8);
}

void cache_state_load(Cache *c, const uint8_t *in)
{
    size_t n = (size_t)c->sets * c->g.ways;
    memcpy(c->tag, in, n * 8);
    memcpy(c->age, in + n * 8, n * 8);
    memcpy(c->dirty, in + n * 16, n);
    for (size_t i = 0; i < n; i++)
        c->dirty[i] = c->dirty[i] ? 1 : 0;   /* a saved byte is 0 or 1 in any valid snapshot */
    memcpy(&c->clock, in + n * 17, 8);
    memcpy(&c->rng, in + n * 17 + 8, 8);
    c->rng |= 1;                              /* xorshift never leaves 0: keep it out */
}
