/* virtio entropy device (Virtual I/O Device Specification 1.2, 5.4): bytes from a
 * deterministic generator seeded by --seed. */
#ifndef HVSIM_DEVICES_VIRTIO_RNG_H
#define HVSIM_DEVICES_VIRTIO_RNG_H
#include <stdint.h>
#include "devices/virtio_mmio.h"

typedef struct VirtioRng {
    /* --- state (hashed, saved) --- */
    uint64_t seed;
    uint64_t produced;        /* bytes handed out so far: the generator's position */
    /* --- run time --- */
    VirtioMmio *t;
} VirtioRng;

/* Plugs the device into the next free transport of b; its state is object `name`. */
VirtioRng *virtio_rng_new(Machine *m, VirtioMmioBus *b, const char *name, uint64_t seed);
void virtio_rng_free(VirtioRng *s);
/* The generator: byte `pos` of the stream for `seed` (for tests), n bytes into out. */
void virtio_rng_bytes(uint64_t seed, uint64_t pos, uint8_t *out, size_t n);
extern const StateDesc virtio_rng_state_desc;
#endif
