#include "core/bus.h"
#include <string.h>

static bool overlaps(const Bus *b, uint64_t base, uint64_t size)
{
    for (int i = 0; i < b->nregions; i++) {
        const BusRegion *r = &b->regions[i];
        if (base < r->base + r->size && r->base < base + size)
            return true;
    }
    return false;
}

static BusRegion *add(Bus *b, const char *name, uint64_t base, uint64_t size)
{
    if (b->nregions >= BUS_MAX_REGIONS || size == 0 || base + size < base || overlaps(b, base, size))
        return NULL;
    if (b->nregions == 0 || size > b->regions[b->largest].size)
        b->largest = b->nregions;
    BusRegion *r = &b->regions[b->nregions++];
    memset(r, 0, sizeof *r);
    r->name = name;
    r->base = base;
    r->size = size;
    return r;
}

int bus_add_ram(Bus *b, const char *name, uint64_t base, uint64_t size, uint8_t *host, bool readonly)
{
    BusRegion *r = add(b, name, base, size);
    if (!r)
        return -1;
    r->host = host;
    r->readonly = readonly;
    return 0;
}

int bus_add_mmio(Bus *b, const char *name, uint64_t base, uint64_t size, const MmioOps *ops, void *opaque)
{
    BusRegion *r = add(b, name, base, size);
    if (!r)
        return -1;
    r->ops = ops;
    r->opaque = opaque;
    return 0;
}

const BusRegion *bus_find(const Bus *b, uint64_t pa)
{
    if (b->nregions && pa - b->regions[b->largest].base < b->regions[b->largest].size)
        return &b->regions[b->largest];   /* regions never overlap: the same answer */
    for (int i = 0; i < b->nregions; i++) {
        const BusRegion *r = &b->regions[i];
        if (pa - r->base < r->size)
            return r;
    }
    return NULL;
}

uint8_t *bus_ram_ptr(const Bus *b, uint64_t pa, uint64_t len)
{
    const BusRegion *r = bus_find(b, pa);
    if (!r || !r->host || len > r->size - (pa - r->base))
        return NULL;
    return r->host + (pa - r->base);
}

bool bus_read(const Bus *b, uint64_t pa, unsigned size, uint64_t *val)
{
    const BusRegion *r = bus_find(b, pa);
    if (!r || size > r->size - (pa - r->base))
        return false;
    if (r->host) {
        uint64_t v = 0;
        memcpy(&v, r->host + (pa - r->base), size);
        *val = v;
        return true;
    }
    *val = r->ops->read ? r->ops->read(r->opaque, pa - r->base, size) : 0;
    return true;
}

bool bus_write(const Bus *b, uint64_t pa, unsigned size, uint64_t val)
{
    const BusRegion *r = bus_find(b, pa);
    if (!r || size > r->size - (pa - r->base))
        return false;
    if (r->host) {
        if (!r->readonly)
            memcpy(r->host + (pa - r->base), &val, size);
        return true;
    }
    if (r->ops->write)
        r->ops->write(r->opaque, pa - r->base, val, size);
    return true;
}

uint64_t bus_host_to_pa(const Bus *b, const uint8_t *host)
{
    for (int i = 0; i < b->nregions; i++) {
        const BusRegion *r = &b->regions[i];
        if (r->host && host >= r->host && (uint64_t)(host - r->host) < r->size)
            return r->base + (uint64_t)(host - r->host);
    }
    return ~(uint64_t)0;
}
