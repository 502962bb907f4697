/* Physical bus: RAM and MMIO regions keyed by physical address. */
#ifndef HVSIM_CORE_BUS_H
#define HVSIM_CORE_BUS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUS_MAX_REGIONS 64

/* MMIO callbacks. `size` is 1, 2, 4 or 8 bytes; `off` is relative to the region base.
 * A device that does not decode an access treats it as a guest error (RAZ/WI) and logs it. */
typedef struct MmioOps {
    uint64_t (*read)(void *opaque, uint64_t off, unsigned size);
    void (*write)(void *opaque, uint64_t off, uint64_t val, unsigned size);
} MmioOps;

typedef struct BusRegion {
    const char *name;
    uint64_t base, size;
    uint8_t *host;            /* RAM/ROM backing, NULL for MMIO */
    bool readonly;            /* ROM: writes ignored */
    const MmioOps *ops;
    void *opaque;
} BusRegion;

typedef struct Bus {
    BusRegion regions[BUS_MAX_REGIONS];
    int nregions;
    int largest;              /* index of the largest region (main RAM): bus_find asks it
                               * first, as table walks and slow-path accesses mostly hit it */
} Bus;

/* Returns 0, or -1 if the region overlaps an existing one or the table is full. */
int bus_add_ram(Bus *b, const char *name, uint64_t base, uint64_t size, uint8_t *host, bool readonly);
int bus_add_mmio(Bus *b, const char *name, uint64_t base, uint64_t size, const MmioOps *ops, void *opaque);
const BusRegion *bus_find(const Bus *b, uint64_t pa);
/* Host pointer for [pa, pa+len) if it lies wholly inside one RAM region, else NULL. */
uint8_t *bus_ram_ptr(const Bus *b, uint64_t pa, uint64_t len);
/* The physical address of a host pointer into RAM or another memory-backed region (the
 * reverse of bus_ram_ptr); ~0 if no region holds it. */
uint64_t bus_host_to_pa(const Bus *b, const uint8_t *host);
/* Device or RAM access; false when nothing decodes `pa` (an external abort later). */
bool bus_read(const Bus *b, uint64_t pa, unsigned size, uint64_t *val);
bool bus_write(const Bus *b, uint64_t pa, unsigned size, uint64_t val);
#endif
