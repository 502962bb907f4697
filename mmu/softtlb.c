#include "mmu/softtlb.h"

void softtlb_flush(SoftTlb *t)
{
    t->has_big = 0;
    for (int i = 0; i < SOFTTLB_SIZE; i++) {
        t->r[i].tag = SOFTTLB_INVALID;
        t->w[i].tag = SOFTTLB_INVALID;
        t->x[i].tag = SOFTTLB_INVALID;
    }
}

void softtlb_flush_lower(SoftTlb *t)
{
    for (int i = 0; i < SOFTTLB_SIZE; i++) {
        if (!(t->r[i].tag & (1ULL << 55)))
            t->r[i].tag = SOFTTLB_INVALID;
        if (!(t->w[i].tag & (1ULL << 55)))
            t->w[i].tag = SOFTTLB_INVALID;
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
    if (!((t->w[i].tag ^ va) & m))
        t->w[i].tag = SOFTTLB_INVALID;
    if (!((t->x[i].tag ^ va) & m))
        t->x[i].tag = SOFTTLB_INVALID;
}

void softtlb_flush_write_host(SoftTlb *t, const uint8_t *host_page)
{
    for (int i = 0; i < SOFTTLB_SIZE; i++) {
        SoftTlbEntry *e = &t->w[i];
        if (e->tag != SOFTTLB_INVALID && (const uint8_t *)(e->addend + e->tag) == host_page)
            e->tag = SOFTTLB_INVALID;
    }
}

void softtlb_flush_writes(SoftTlb *t)
{
    for (int i = 0; i < SOFTTLB_SIZE; i++)
        t->w[i].tag = SOFTTLB_INVALID;
}
