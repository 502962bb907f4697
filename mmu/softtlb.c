#include "mmu/softtlb.h"
#include <stdbool.h>
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

static unsigned slot(uint64_t va_page)
{
    return (unsigned)(va_page >> 12) & (SOFTTLB_SIZE - 1);
}

static void mark_big(SoftTlb *t, uint64_t va_page, uint8_t order)
{
    if (order)
        t->big_slots[slot(va_page) / 64] |= UINT64_C(1) << (slot(va_page) % 64);
}

void softtlb_fill_read(SoftTlb *t, uint64_t va_page, uint8_t *host_page, uint8_t order,
                       bool writable)
{
    softtlb_fill(&t->r[slot(va_page)], va_page, host_page);
    t->rorder[slot(va_page)] = order;
    t->rwritable[slot(va_page)] = writable;
    mark_big(t, va_page, order);
}

void softtlb_fill_write(SoftTlb *t, uint64_t va_page, uint8_t *host_page, uint8_t order)
{
    SoftTlbEntry *e = &t->w[slot(va_page)];
    if (e->tag != SOFTTLB_INVALID)
        drop_write(t, e);
    softtlb_fill(e, va_page, host_page);
    t->wcount[whash((uintptr_t)host_page)]++;
    t->worder[slot(va_page)] = order;
    mark_big(t, va_page, order);
}

void softtlb_fill_fetch(SoftTlb *t, uint64_t va_page, uint64_t pa_page, uint8_t order)
{
    SoftTlbEntry *e = &t->x[slot(va_page)];
    e->tag = va_page;
    e->addend = (uintptr_t)(pa_page - va_page);
    t->xorder[slot(va_page)] = order;
    mark_big(t, va_page, order);
}

void softtlb_flush(SoftTlb *t)
{
    memset(t->big_slots, 0, sizeof t->big_slots);
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

/* Whether a valid entry tagged `tag`, a piece of a stage-1 mapping of `order`, is part of
 * the mapping that holds va (VA[55:12] compared above the mapping's size). */
static bool covers(uint64_t tag, uint8_t order, uint64_t va)
{
    const uint64_t m = 0x00fffffffffff000ULL;   /* VA[55:12] */
    return tag != SOFTTLB_INVALID && !((tag ^ va) & m & ~((UINT64_C(0x1000) << order) - 1));
}

void softtlb_flush_va(SoftTlb *t, uint64_t va)
{
    unsigned i = (unsigned)(va >> 12) & (SOFTTLB_SIZE - 1);
    if (covers(t->r[i].tag, 0, va))
        t->r[i].tag = SOFTTLB_INVALID;
    if (covers(t->w[i].tag, 0, va))
        drop_write(t, &t->w[i]);
    if (covers(t->x[i].tag, 0, va))
        t->x[i].tag = SOFTTLB_INVALID;
    for (int word = 0; word < SOFTTLB_SIZE / 64; word++)
        for (uint64_t bits = t->big_slots[word]; bits; bits &= bits - 1) {
            int k = word * 64 + __builtin_ctzll(bits);
            if (t->rorder[k] && covers(t->r[k].tag, t->rorder[k], va))
                t->r[k].tag = SOFTTLB_INVALID;
            if (t->worder[k] && covers(t->w[k].tag, t->worder[k], va))
                drop_write(t, &t->w[k]);
            if (t->xorder[k] && covers(t->x[k].tag, t->xorder[k], va))
                t->x[k].tag = SOFTTLB_INVALID;
        }
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
