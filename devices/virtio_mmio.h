/* virtio-mmio transports (Virtual I/O Device Specification 1.2, 4.2: the version 2 register
 * layout) with split virtqueues (2.7), as QEMU's virt board places them: 32 transports of
 * 0x200 bytes from 0x0a000000, transport n on SPI 16 + n. A device (virtio_blk.c,
 * virtio_console.c, virtio_rng.c) plugs into a transport with a VirtioDevOps table and
 * reaches guest memory only through the helpers here. */
#ifndef HVSIM_DEVICES_VIRTIO_MMIO_H
#define HVSIM_DEVICES_VIRTIO_MMIO_H
#include <stdbool.h>
#include <stdint.h>
#include "core/irq.h"
#include "core/machine.h"

#define VIRTIO_MMIO_NUM 32
#define VIRTIO_MMIO_STRIDE 0x200
#define VIRTIO_MMIO_MAX_QUEUES 2
#define VIRTIO_MMIO_QUEUE_MAX 256     /* QueueNumMax of every queue */
#define VIRTIO_MAX_SEGS 64            /* descriptors in one chain */

/* Device IDs (5) and feature bits (6) */
enum { VIRTIO_ID_BLOCK = 2, VIRTIO_ID_CONSOLE = 3, VIRTIO_ID_RNG = 4 };
#define VIRTIO_F_VERSION_1 (1ULL << 32)
/* Device status (2.1) */
enum {
    VIRTIO_STAT_ACKNOWLEDGE = 1, VIRTIO_STAT_DRIVER = 2, VIRTIO_STAT_DRIVER_OK = 4,
    VIRTIO_STAT_FEATURES_OK = 8, VIRTIO_STAT_NEEDS_RESET = 0x40, VIRTIO_STAT_FAILED = 0x80,
};

typedef struct VirtioMmio VirtioMmio;

/* What a device tells its transport. Configuration space accesses are byte offsets from
 * 0x100; `service` runs `latency` ps of simulated time after the driver notified a queue
 * (or set DRIVER_OK) and consumes what the queues hold. */
typedef struct VirtioDevOps {
    uint32_t device_id;
    uint64_t features;        /* offered; VIRTIO_F_VERSION_1 is always added */
    int nqueues;
    SimTime latency;
    uint64_t (*config_read)(void *dev, uint64_t off, unsigned size);
    void (*service)(void *dev);
    void (*reset)(void *dev);  /* the driver wrote 0 to Status */
} VirtioDevOps;

/* One chain of descriptors taken from a queue's available ring. */
typedef struct VirtioSeg {
    uint64_t addr;
    uint32_t len;
    uint32_t write;           /* device-writable (VIRTQ_DESC_F_WRITE) */
} VirtioSeg;
typedef struct VirtioReq {
    uint16_t head;
    uint16_t nseg;
    uint32_t pad_;
    uint64_t readable, writable;   /* total bytes of each kind (64 segments of up to 4 GiB) */
    VirtioSeg seg[VIRTIO_MAX_SEGS];
} VirtioReq;

struct VirtioMmio {
    /* --- state (hashed, saved) --- */
    uint32_t status;
    uint32_t isr;             /* InterruptStatus: bit 0 used buffer, bit 1 configuration */
    uint32_t dev_features_sel, drv_features_sel, queue_sel, config_gen;
    uint32_t drv_features[2];
    uint32_t q_num[VIRTIO_MMIO_MAX_QUEUES];
    uint32_t q_ready[VIRTIO_MMIO_MAX_QUEUES];
    uint32_t q_last_avail[VIRTIO_MMIO_MAX_QUEUES];   /* next available-ring entry to take */
    uint32_t q_used_idx[VIRTIO_MMIO_MAX_QUEUES];     /* next used-ring index to write */
    uint64_t q_desc[VIRTIO_MMIO_MAX_QUEUES];
    uint64_t q_avail[VIRTIO_MMIO_MAX_QUEUES];
    uint64_t q_used[VIRTIO_MMIO_MAX_QUEUES];
    uint64_t service_when;    /* time of the pending service event, 0 = none */
    /* --- run time --- */
    Machine *m;
    const VirtioDevOps *ops;
    void *dev;
    IrqLine irq;
    int irq_level;            /* last level driven (derived) */
    int index;                /* transport number, 0..31 */
    Event service_ev;
};

/* The 32 transports: one MMIO region; a transport without a device reads as DeviceID 0. */
typedef struct VirtioMmioBus {
    Machine *m;
    uint64_t base;
    int nplugged;
    int pad_;
    VirtioMmio *slot[VIRTIO_MMIO_NUM];
} VirtioMmioBus;

/* Maps the transports at base. NULL if the bus refuses the region. */
VirtioMmioBus *virtio_mmio_bus_new(Machine *m, uint64_t base);
void virtio_mmio_bus_free(VirtioMmioBus *b);
/* Plugs a device into the free transport with the highest address (QEMU's order: the first
 * device given lands on transport 31) and registers the transport's state as "NAME.mmio".
 * NULL when all 32 are taken. */
VirtioMmio *virtio_mmio_plug(VirtioMmioBus *b, const char *name, const VirtioDevOps *ops, void *dev);
void virtio_mmio_connect_irq(VirtioMmio *t, IrqLine line);
extern const StateDesc virtio_mmio_state_desc;

/* Queue helpers for devices (only while the driver is running: DRIVER_OK). */
bool virtio_queue_ready(const VirtioMmio *t, int q);
/* True if queue q's available ring holds a chain the device has not taken. */
bool virtio_queue_has_buffer(VirtioMmio *t, int q);
/* Takes the next chain from queue q's available ring; false when there is none, or when
 * the chain is malformed (then the device is marked NEEDS_RESET). */
bool virtio_queue_pop(VirtioMmio *t, int q, VirtioReq *r);
/* Puts a chain back as used with `written` bytes written, and raises the used-buffer
 * interrupt. */
void virtio_queue_push(VirtioMmio *t, int q, const VirtioReq *r, uint32_t written);
/* Copies bytes out of the chain's readable part / into its writable part, from byte `off`
 * of that part. Returns the bytes copied. */
size_t virtio_req_read(VirtioMmio *t, const VirtioReq *r, size_t off, void *buf, size_t len);
size_t virtio_req_write(VirtioMmio *t, const VirtioReq *r, size_t off, const void *buf, size_t len);
#endif
