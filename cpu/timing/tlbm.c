/* The timing models' architectural TLB (tlbm.h). */
#include "cpu/timing/tlbm.h"
#include <glib.h>
#include <string.h>

char *tlbm_geom_check(uint32_t entries, uint32_t ways, const char *name)
{
    if (!entries || !ways || entries % ways || entries > (1u << 20))
        return g_strdup_printf("[tlb] %s: %u entries in %u ways (entries must be a multiple of "
                               "ways, at most 2^20)", name, entries, ways);
    uint32_t sets = entries / ways;
    if (sets & (sets - 1))
        return g_strdup_printf("[tlb] %s: %u sets is not a power of two", name, sets);
    return NULL;
}

void tlbm_init(Tlbm *t, uint32_t entries, uint32_t ways)
{
    memset(t, 0, sizeof *t);
    t->ways = ways;
    t->sets = entries / ways;
    t->e = g_new0(TlbmEntry, entries);
}

void tlbm_free(Tlbm *t)
{
    g_free(t->e);
    memset(t, 0, sizeof *t);
}

void tlbm_clear(Tlbm *t)
{
    memset(t->e, 0, (size_t)t->sets * t->ways * sizeof *t->e);
    t->clock = 0;
    t->mru = 0;
}

static inline bool matches(const TlbmEntry *e, uint64_t va, uint64_t ctx)
{
    return e->valid && ((va ^ e->va) >> e->shift) == 0 &&
           (e->global ? (ctx & ~TLBM_ASID_MASK) == e->ctx : ctx == e->ctx);
}

/* Entries are placed by the 4 KiB page number of the access that filled them (a block is
 * found in the set of any of its pages once each has missed: the splintering of real
 * set-associative TLBs that index by the smallest page). */
static inline uint32_t set_base(const Tlbm *t, uint64_t va)
{
    return (uint32_t)((va >> 12) & (t->sets - 1)) * t->ways;
}

const TlbmEntry *tlbm_lookup(Tlbm *t, uint64_t va, uint64_t ctx)
{
    t->accesses++;
    TlbmEntry *m = &t->e[t->mru];
    if (matches(m, va, ctx)) {
        m->age = ++t->clock;
        return m;
    }
    uint32_t b = set_base(t, va);
    for (uint32_t w = 0; w < t->ways; w++) {
        TlbmEntry *e = &t->e[b + w];
        if (matches(e, va, ctx)) {
            e->age = ++t->clock;
            t->mru = b + w;
            return e;
        }
    }
    t->misses++;
    return NULL;
}

void tlbm_fill(Tlbm *t, uint64_t va, uint64_t ipa, unsigned shift, uint64_t ctx, bool global)
{
    uint32_t b = set_base(t, va), v = 0;
    for (uint32_t w = 0; w < t->ways; w++) {
        if (!t->e[b + w].valid) {
            v = w;
            break;
        }
        if (t->e[b + w].age < t->e[b + v].age)
            v = w;
    }
    uint64_t mask = ~((1ULL << shift) - 1);
    t->e[b + v] = (TlbmEntry){ .va = va & mask, .ipa = ipa & mask, .shift = (uint8_t)shift,
                               .ctx = global ? ctx & ~TLBM_ASID_MASK : ctx,
                               .global = global, .valid = 1, .age = ++t->clock };
    t->mru = b + v;
}

static bool inv_matches(const TlbmEntry *e, const TlbmInv *inv)
{
    unsigned regime = (unsigned)(e->ctx >> TLBM_REGIME_SHIFT);
    unsigned vmid = (unsigned)(e->ctx >> TLBM_VMID_SHIFT) & 0xffff;
    unsigned asid = (unsigned)(e->ctx & TLBM_ASID_MASK);
    switch (inv->kind) {
    case TLBM_INV_ALL:
        return true;
    case TLBM_INV_VMID_ANY_REGIME:
        return regime == inv->regime && vmid == inv->vmid;
    case TLBM_INV_IPA:
        return regime == inv->regime && vmid == inv->vmid &&
               ((inv->ipa ^ e->ipa) >> e->shift) == 0;
    default:
        break;
    }
    if (regime != inv->regime || (inv->match_vmid && vmid != inv->vmid))
        return false;
    if (inv->kind == TLBM_INV_REGIME)
        return true;
    if (inv->kind == TLBM_INV_ASID)
        return !e->global && asid == inv->asid;
    /* TLBM_INV_VA */
    if (((inv->va ^ e->va) >> e->shift) != 0)
        return false;
    return inv->any_asid || e->global || asid == inv->asid;
}

void tlbm_invalidate(Tlbm *t, const TlbmInv *inv)
{
    uint32_t n = t->sets * t->ways;
    for (uint32_t i = 0; i < n; i++)
        if (t->e[i].valid && inv_matches(&t->e[i], inv))
            t->e[i].valid = 0;
}

uint64_t tlbm_state_size(const Tlbm *t)
{
    return (uint64_t)t->sets * t->ways * sizeof(TlbmEntry) + 2 * sizeof(uint64_t);
}

void tlbm_state_save(const Tlbm *t, uint8_t *out)
{
    size_t n = (size_t)t->sets * t->ways;
    memcpy(out, t->e, n * sizeof *t->e);
    uint64_t mru = t->mru;
    memcpy(out + n * sizeof *t->e, &t->clock, 8);
    memcpy(out + n * sizeof *t->e + 8, &mru, 8);
}

void tlbm_state_load(Tlbm *t, const uint8_t *in)
{
    size_t n = (size_t)t->sets * t->ways;
    memcpy(t->e, in, n * sizeof *t->e);
    uint64_t mru;
    memcpy(&t->clock, in + n * sizeof *t->e, 8);
    memcpy(&mru, in + n * sizeof *t->e + 8, 8);
    t->mru = mru < n ? (uint32_t)mru : 0;
    for (size_t i = 0; i < n; i++) {
        TlbmEntry *e = &t->e[i];
        if (e->shift < 12 || e->shift > 48 || e->valid > 1 || e->global > 1)
            memset(e, 0, sizeof *e);
        memset(e->pad, 0, sizeof e->pad);
    }
}
