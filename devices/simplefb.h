/* simplefb: a linear framebuffer that Linux drives with its built-in simple-framebuffer
 * driver (Documentation/devicetree/bindings/display/simple-framebuffer.yaml), as firmware
 * hands one over: no registers, no device state, only the configuration.
 *
 * The frame is a carve-out at the top of RAM, described in the device tree as a
 * /reserved-memory region with no-map (so Linux neither allocates it nor maps it as RAM,
 * and the driver may ioremap it) and a `simple-framebuffer` node over it. Being RAM, the
 * frame is in the state hash, in snapshots and in reverse execution with no code of its own,
 * and the cores write it on their fast path. */
#ifndef HVSIM_DEVICES_SIMPLEFB_H
#define HVSIM_DEVICES_SIMPLEFB_H
#include <stdbool.h>
#include <stdint.h>
#include "core/display.h"
#include "core/machine.h"

#define SIMPLEFB_DEFAULT_WIDTH 1024
#define SIMPLEFB_DEFAULT_HEIGHT 768
#define SIMPLEFB_MAX_DIM 8192
/* The carve-out is the frame rounded up to 2 MiB: a no-map region must be whole pages for
 * any granule, and 2 MiB keeps Linux's linear map of the RAM below it in block mappings. */
#define SIMPLEFB_ALIGN (2ULL << 20)

/* -device simplefb[,width=W][,height=H][,format=a8r8g8b8|r5g6b5]: sets cfg->fb_*. 0, or -1
 * with a one-line *err. */
int simplefb_parse(MachineConfig *cfg, const char *opts, char **err);
/* The frame of the configured framebuffer at the top of RAM [ram_base, ram_base + ram_size),
 * and the size of its carve-out. false when no framebuffer is configured. */
bool simplefb_surface(const MachineConfig *cfg, uint64_t ram_base, DisplaySurface *s,
                      uint64_t *carve_size);
/* Adds the /reserved-memory carve-out and the simple-framebuffer node to a device tree being
 * written with libfdt's sequential-write API, inside the root node (nothing without a
 * framebuffer). A libfdt error code, or 0. */
int simplefb_fdt(void *fdt, const MachineConfig *cfg, uint64_t ram_base);
/* "1024x768,a8r8g8b8" for the snapshot's machine description; NULL without a framebuffer. */
char *simplefb_describe(const MachineConfig *cfg);
#endif
