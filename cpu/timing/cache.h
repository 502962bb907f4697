/* A set-associative cache of physical lines, as the timing models see one: tags only (the
 * data stays in guest RAM), LRU or seeded random replacement, write-back with a dirty bit
 * per line, and write-allocate. ISA-neutral: the hierarchy (cpu/timing/model.c) decides
 * latencies and what a miss goes to next. */
#ifndef HVSIM_CPU_TIMING_CACHE_H
#define HVSIM_CPU_TIMING_CACHE_H
#include <stdbool.h>
#include <stdint.h>

typedef enum { CACHE_LRU, CACHE_RANDOM } CacheRepl;

typedef struct CacheGeom {
    uint32_t size, ways, line;     /* bytes, associativity, bytes per line (powers of two) */
    uint32_t latency;              /* cycles of a hit at this level (load to use) */
    CacheRepl repl;
} CacheGeom;

typedef struct Cache {
    CacheGeom g;
    uint32_t sets, line_bits;
    uint64_t *tag;                 /* sets * ways: line number + 1, 0 = invalid */
    uint64_t *age;                 /* LRU: the clock at the last use */
    uint8_t *dirty;
    uint64_t clock, rng;           /* LRU clock; random replacement's xorshift state */
    uint64_t accesses, misses, writebacks, invals;   /* statistics */
} Cache;

/* NULL, or what is wrong with the geometry ("l1d: size 3000 is not a power of two"). */
char *cache_geom_check(const CacheGeom *g, const char *name);
void cache_init(Cache *c, const CacheGeom *g, uint64_t seed);
void cache_free(Cache *c);
/* Drops every line (a cold start); the statistics stay. */
void cache_clear(Cache *c);

/* An access to the line holding pa: true on a hit. A miss allocates the line; a dirty victim
 * is reported through *wb (its line address) and returns wb_valid = true. */
bool cache_access(Cache *c, uint64_t pa, bool write, uint64_t *wb, bool *wb_valid);
/* Whether the line is present (no state change). */
bool cache_probe(const Cache *c, uint64_t pa);
/* Invalidates the line; returns 1 if it was present, 2 if it was present and dirty. */
int cache_inval(Cache *c, uint64_t pa);
/* Cleans the line (dirty -> clean); true if it was dirty. */
bool cache_clean(Cache *c, uint64_t pa);
/* Set/way maintenance (DC ISW/CSW/CISW): the line in `set`, `way`, if valid. Returns the
 * same as cache_inval for an invalidation, whether it was dirty for a clean. */
int cache_setway(Cache *c, uint32_t set, uint32_t way, bool clean, bool inval);

/* The saved form: tags, ages, dirty bits and the two clocks (statistics are not state). */
uint64_t cache_state_size(const Cache *c);
void cache_state_save(const Cache *c, uint8_t *out);
void cache_state_load(Cache *c, const uint8_t *in);
#endif
