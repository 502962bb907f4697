/* virtio block device (Virtual I/O Device Specification 1.2, 5.2) on a raw image file, with
 * the guest's writes kept in an overlay that is machine state. */
#ifndef HVSIM_DEVICES_VIRTIO_BLK_H
#define HVSIM_DEVICES_VIRTIO_BLK_H
#include <stdbool.h>
#include <stdint.h>
#include "devices/virtio_mmio.h"

#define VIRTIO_BLK_SECTOR 512u
#define VIRTIO_BLK_PAGE 4096u

typedef struct VirtioBlkConfig {
    const char *file;
    bool readonly;            /* readonly=on: VIRTIO_BLK_F_RO, writes fail */
    bool snapshot;            /* snapshot=on: writes stay in the overlay, never in the file */
} VirtioBlkConfig;

typedef struct VirtioBlk {
    /* --- state (hashed, saved) --- */
    uint8_t image_digest[32]; /* SHA-256 of the image the overlay lies on */
    /* --- run time --- */
    uint8_t file_digest[32];  /* SHA-256 of the image file opened now */
    VirtioMmio *t;
    Machine *m;
    char *name, *map_name, *path;
    int fd;
    bool readonly, writeback;
    uint16_t pad_;
    uint64_t size;            /* image bytes */
    uint8_t *overlay;         /* written pages (machine memory "NAME") */
    uint8_t *map;             /* per page: 1 = the overlay holds it (machine memory "NAME.map") */
    uint8_t *overlay_touched, *map_touched;
} VirtioBlk;

/* Opens the image and plugs the device into the next free transport of b; its state is
 * object `name`, its overlay memories "NAME" and "NAME.map". NULL with a one-line *err
 * (missing or unreadable file, not writable without readonly/snapshot, no transport). */
VirtioBlk *virtio_blk_new(Machine *m, VirtioMmioBus *b, const char *name,
                          const VirtioBlkConfig *cfg, char **err);
/* Writes the overlay's pages back to the image file (nothing with readonly or snapshot=on).
 * false with a one-line *err on a host write error. */
bool virtio_blk_writeback(VirtioBlk *s, char **err);
void virtio_blk_free(VirtioBlk *s);
extern const StateDesc virtio_blk_state_desc;
#endif
