/* Address -> symbol hook for traces. The machine's cores print `<name+0xoff>` in their
 * instruction traces through it, without knowing where the names come from (debug/symbols.c
 * fills one from an ELF file). No globals: each holder keeps a reference; the last one to
 * drop it releases the source.
 *
 * Usage: s = symbolizer_new(fn, opaque, release); hand it to holders (each takes a
 * reference with symbolizer_ref); symbolizer_unref(s) drops the creator's own. */
#ifndef HVSIM_CORE_SYMBOLIZE_H
#define HVSIM_CORE_SYMBOLIZE_H
#include <stdint.h>
#include <glib.h>

/* The name of the symbol covering addr, with *off = addr - its start; NULL if none. The
 * returned name lives as long as the source. */
typedef const char *(*SymbolizeFn)(void *opaque, uint64_t addr, uint64_t *off);

typedef struct Symbolizer {
    SymbolizeFn fn;
    void *opaque;
    void (*release)(void *opaque);   /* frees opaque after the last reference, or NULL */
    unsigned refs;
} Symbolizer;

/* A symbolizer holding one reference (the caller's). */
static inline Symbolizer *symbolizer_new(SymbolizeFn fn, void *opaque, void (*release)(void *opaque))
{
    Symbolizer *s = g_new0(Symbolizer, 1);
    s->fn = fn;
    s->opaque = opaque;
    s->release = release;
    s->refs = 1;
    return s;
}

static inline Symbolizer *symbolizer_ref(Symbolizer *s)
{
    if (s)
        s->refs++;
    return s;
}

static inline void symbolizer_unref(Symbolizer *s)
{
    if (!s || --s->refs)
        return;
    if (s->release)
        s->release(s->opaque);
    g_free(s);
}

/* Looks addr up; NULL (and *off untouched) when s is NULL or knows no symbol there. */
static inline const char *symbolize(const Symbolizer *s, uint64_t addr, uint64_t *off)
{
    return s ? s->fn(s->opaque, addr, off) : NULL;
}
#endif
