#include "mmu/softtlb.h"
#include <string.h>

static unsigned whash(uintptr_t host_page)
{
    return (unsigned)(host_page >> 12) & (SOFTTLB_WHASH - 1);
}

/* Invalidate write entry e, which is valid. */
static void drop_write(SoftTlb *t, SoftTlbEntry *e)
{
    t->wcount[whash(e->addend + e->tag)]--;
    e->tag = SOFTTLB_INVALID;
}

void softtlb_fill_write(SoftTlb *t, uint64_t va_page, uint8_t *host_page)
{
    SoftTlbEntry *e = &t->w[(va_page >> 12) & (SOFTTLB_SIZE - 1)];
    if (e->tag != SOFTTLB_INVALID)
        drop_write(t, e);
    softtlb_fill(e, va_page, host_page);
    t->wcount[whash((uintptr_t)host_page)]++;
}

void softtlb_flush(SoftTlb *t)
{
    t->has_big = 0;
    for (int i = 0; i < SOFTTLB_SIZE; i++) {
        t->r[i].tag = SOFTTLB_INVALID;
        t->w[i].tag = SOFTTLB_INVALID;
        t->x[i].tag = SOFTTLB_INVALID;
    }
    memset(t->wcount, 0, sizeof t->wcount);
}

void softtlb_flush_lower(SoftTlb *t)
{
    for (int i = 0; i < SOFTTLB_SIZE; i++) {
        if (!(t->r[i].tag & (1ULL << 55)))
            t->r[i].tag = SOFTTLB_INVALID;
        if (!(t->w[i].tag & (1ULL << 55)))
            drop_write(t, &t->w[i]);
        if (!(t->x[i].tag & (1ULL << 55)))
            t->x[i].tag = SOFTTLB_INVALID;
    }
}

void softtlb_flush_va(SoftTlb *t, uint64_t va)
{
    if (t->has_big) {
        softtlb_flush(t);
        return;
    }
    const uint64_t m = 0x00fffffffffff000ULL;   /* VA[55:12] */
    unsigned i = (unsigned)(va >> 12) & (SOFTTLB_SIZE - 1);
    if (!((t->r[i].tag ^ va) & m))
        t->r[i].tag = SOFTTLB_INVALID;
    if (t->w[i].tag != SOFTTLB_INVALID && !((t->w[i].tag ^ va) & m))
        drop_write(t, &t->w[i]);
    if (!((t->x[i].tag ^ va) & m))
        t->x[i].tag = SOFTTLB_INVALID;
}

void softtlb_flush_write_host(SoftTlb *t, const uint8_t *host_page)
{
    if (!t->wcount[whash((uintptr_t)host_page)])
        return;
    for (int i = 0; i < SOFTTLB_SIZE; i++) {
        SoftTlbEntry *e = &t->w[i];
        if (e->tag != SOFTTLB_INVALID && (const uint8_t *)(e->addend + e->tag) == host_page)
            drop_write(t, e);
    }
}

void softtlb_flush_writes(SoftTlb *t)
{
    for (int i = 0; i < SOFTTLB_SIZE; i++)
        t->w[i].tag = SOFTTLB_INVALID;
    memset(t->wcount, 0, sizeof t->wcount);
}
