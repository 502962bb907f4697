/* virtio-mmio transports, version 2 (Virtual I/O Device Specification 1.2, 4.2.2), and the
 * split virtqueue (2.7) seen from the device side.
 *
 * Implementation choices:
 *  - A driver must accept VIRTIO_F_VERSION_1 (4.2.2.1: the version 2 layout is the virtio 1
 *    transport) and nothing the device did not offer; otherwise FEATURES_OK does not stick
 *    (3.1.1: the driver re-reads it and gives up).
 *  - Buffers are consumed only after DRIVER_OK (2.1.2). A notification (or DRIVER_OK)
 *    schedules the device's service `latency` ps of simulated time later; the service takes
 *    every chain available then. No VIRTIO_RING_F_EVENT_IDX or INDIRECT_DESC: every used
 *    buffer raises the used-buffer interrupt (2.7.10), the ring's flags are not consulted.
 *  - The interrupt line is InterruptStatus != 0; the DT declares it edge-rising as QEMU does.
 *  - A chain that leaves RAM, loops or is longer than VIRTIO_MAX_SEGS sets DEVICE_NEEDS_RESET
 *    and raises the configuration interrupt (2.1.2); the device then takes nothing more
 *    until the driver resets it.
 *  - Registers are 32-bit (4.2.2.2); other accesses outside the configuration space are
 *    ignored (writes) or read as zero. QEMU's vendor ID ("QEMU") so drivers see what they see
 *    on QEMU. */
#include "devices/virtio_mmio.h"
#include <string.h>

enum {
    VM_MAGIC = 0x000, VM_VERSION = 0x004, VM_DEVICE_ID = 0x008, VM_VENDOR_ID = 0x00c,
    VM_DEV_FEATURES = 0x010, VM_DEV_FEATURES_SEL = 0x014, VM_DRV_FEATURES = 0x020,
    VM_DRV_FEATURES_SEL = 0x024, VM_QUEUE_SEL = 0x030, VM_QUEUE_NUM_MAX = 0x034,
    VM_QUEUE_NUM = 0x038, VM_QUEUE_READY = 0x044, VM_QUEUE_NOTIFY = 0x050,
    VM_INT_STATUS = 0x060, VM_INT_ACK = 0x064, VM_STATUS = 0x070,
    VM_QUEUE_DESC_LO = 0x080, VM_QUEUE_DESC_HI = 0x084, VM_QUEUE_DRIVER_LO = 0x090,
    VM_QUEUE_DRIVER_HI = 0x094, VM_QUEUE_DEVICE_LO = 0x0a0, VM_QUEUE_DEVICE_HI = 0x0a4,
    VM_CONFIG_GEN = 0x0fc, VM_CONFIG = 0x100,
};
#define VIRTIO_MMIO_MAGIC 0x74726976u     /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x554d4551u    /* "QEMU" */
enum { VIRTQ_DESC_F_NEXT = 1, VIRTQ_DESC_F_WRITE = 2, VIRTQ_DESC_F_INDIRECT = 4 };
enum { VIRTIO_INT_USED = 1, VIRTIO_INT_CONFIG = 2 };

static bool virtio_check_state(const void *obj, char **err);
static const StateField virtio_mmio_fields[] = {
    STATE_FIELD(VirtioMmio, status, V_RANGE(0, 0xff)),
    STATE_FIELD(VirtioMmio, isr, V_RANGE(0, 3)),
    STATE_FIELD(VirtioMmio, dev_features_sel, V_ANY),
    STATE_FIELD(VirtioMmio, drv_features_sel, V_ANY),
    STATE_FIELD(VirtioMmio, queue_sel, V_ANY),
    STATE_FIELD(VirtioMmio, config_gen, V_ANY),
    STATE_ARRAY(VirtioMmio, drv_features, V_ANY),
    STATE_ARRAY(VirtioMmio, q_num, V_RANGE(0, VIRTIO_MMIO_QUEUE_MAX)),
    STATE_ARRAY(VirtioMmio, q_ready, V_BOOL),
    STATE_ARRAY(VirtioMmio, q_last_avail, V_RANGE(0, 0xffff)),
    STATE_ARRAY(VirtioMmio, q_used_idx, V_RANGE(0, 0xffff)),
    STATE_ARRAY(VirtioMmio, q_desc, V_ANY),
    STATE_ARRAY(VirtioMmio, q_avail, V_ANY),
    STATE_ARRAY(VirtioMmio, q_used, V_ANY),
    STATE_FIELD(VirtioMmio, service_when, V_REL),
    STATE_RUNTIME(VirtioMmio, m),
    STATE_RUNTIME(VirtioMmio, ops),
    STATE_RUNTIME(VirtioMmio, dev),
    STATE_RUNTIME(VirtioMmio, irq),
    STATE_DERIVED(VirtioMmio, irq_level),
    STATE_RUNTIME(VirtioMmio, index),
    STATE_RUNTIME(VirtioMmio, service_ev),
};
const StateDesc virtio_mmio_state_desc =
    STATE_DESC_CHECKED("virtio-mmio", VirtioMmio, virtio_mmio_fields, virtio_check_state);

/* Relations: a pending service lies within simulated time; queues beyond the device's are
 * never set up (their registers are not writable). */
static bool virtio_check_state(const void *obj, char **err)
{
    const VirtioMmio *t = obj;
    if (t->service_when > MACHINE_TIME_MAX) {
        *err = g_strdup_printf("service_when = %llu lies beyond the end of simulated time",
                               (unsigned long long)t->service_when);
        return false;
    }
    for (int q = t->ops->nqueues; q < VIRTIO_MMIO_MAX_QUEUES; q++)
        if (t->q_num[q] || t->q_ready[q] || t->q_desc[q] || t->q_avail[q] || t->q_used[q]) {
            *err = g_strdup_printf("queue %d is set up, but the device has %d", q,
                                   t->ops->nqueues);
            return false;
        }
    return true;
}

static uint64_t offered(const VirtioMmio *t)
{
    return t->ops->features | VIRTIO_F_VERSION_1;
}

static void update_irq(VirtioMmio *t)
{
    int level = t->isr != 0;
    if (level != t->irq_level) {
        t->irq_level = level;
        irq_set(&t->irq, level);
    }
}

static void schedule_service(VirtioMmio *t)
{
    if (!(t->status & VIRTIO_STAT_DRIVER_OK) || (t->status & VIRTIO_STAT_NEEDS_RESET) ||
        event_pending(&t->service_ev))
        return;
    t->service_when = machine_time(t->m) + t->ops->latency;
    evq_schedule(&t->m->evq, &t->service_ev, t->service_when);
}

static void service_event(void *opaque, SimTime now)
{
    VirtioMmio *t = opaque;
    (void)now;
    t->service_when = 0;
    if ((t->status & VIRTIO_STAT_DRIVER_OK) && !(t->status & VIRTIO_STAT_NEEDS_RESET))
        t->ops->service(t->dev);
}

/* Status 0: the device forgets everything the driver set up (4.2.2.1). */
static void transport_reset(VirtioMmio *t)
{
    t->status = t->isr = 0;
    t->dev_features_sel = t->drv_features_sel = t->queue_sel = 0;
    t->drv_features[0] = t->drv_features[1] = 0;
    for (int q = 0; q < VIRTIO_MMIO_MAX_QUEUES; q++) {
        t->q_num[q] = t->q_ready[q] = t->q_last_avail[q] = t->q_used_idx[q] = 0;
        t->q_desc[q] = t->q_avail[q] = t->q_used[q] = 0;
    }
    t->service_when = 0;
    evq_cancel(&t->m->evq, &t->service_ev);
    if (t->ops->reset)
        t->ops->reset(t->dev);
    update_irq(t);
}

static void write_status(VirtioMmio *t, uint32_t v)
{
    if (v == 0) {
        transport_reset(t);
        return;
    }
    v &= 0xff;
    if ((v & VIRTIO_STAT_FEATURES_OK) && !(t->status & VIRTIO_STAT_FEATURES_OK)) {
        uint64_t drv = t->drv_features[0] | (uint64_t)t->drv_features[1] << 32;
        if (!(drv & VIRTIO_F_VERSION_1) || (drv & ~offered(t)))
            v &= ~(uint32_t)VIRTIO_STAT_FEATURES_OK;   /* declined: the driver sees it clear */
    }
    t->status = v | (t->status & VIRTIO_STAT_NEEDS_RESET);
    if (v & VIRTIO_STAT_DRIVER_OK)
        schedule_service(t);  /* buffers made available before DRIVER_OK */
}

static uint64_t *queue_addr(VirtioMmio *t, uint64_t off, bool *hi)
{
    unsigned q = t->queue_sel;
    *hi = (off & 4) != 0;
    switch (off & ~4ULL) {
    case VM_QUEUE_DESC_LO: return &t->q_desc[q];
    case VM_QUEUE_DRIVER_LO: return &t->q_avail[q];
    default: return &t->q_used[q];
    }
}

static uint32_t read_reg(VirtioMmio *t, uint64_t off)
{
    bool qok = t->queue_sel < (uint32_t)t->ops->nqueues;
    switch (off) {
    case VM_MAGIC: return VIRTIO_MMIO_MAGIC;
    case VM_VERSION: return 2;
    case VM_DEVICE_ID: return t->ops->device_id;
    case VM_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
    case VM_DEV_FEATURES:
        return t->dev_features_sel < 2 ? (uint32_t)(offered(t) >> (32 * t->dev_features_sel)) : 0;
    case VM_QUEUE_NUM_MAX: return qok ? VIRTIO_MMIO_QUEUE_MAX : 0;
    case VM_QUEUE_READY: return qok ? t->q_ready[t->queue_sel] : 0;
    case VM_INT_STATUS: return t->isr;
    case VM_STATUS: return t->status;
    case VM_CONFIG_GEN: return t->config_gen;
    case VM_QUEUE_DESC_LO: case VM_QUEUE_DESC_HI: case VM_QUEUE_DRIVER_LO:
    case VM_QUEUE_DRIVER_HI: case VM_QUEUE_DEVICE_LO: case VM_QUEUE_DEVICE_HI: {
        bool hi;
        if (!qok)
            return 0;
        uint64_t a = *queue_addr(t, off, &hi);
        return (uint32_t)(hi ? a >> 32 : a);
    }
    default: return 0;        /* write-only or reserved */
    }
}

static void write_queue_reg(VirtioMmio *t, uint64_t off, uint32_t v)
{
    unsigned q = t->queue_sel;
    if (q >= (unsigned)t->ops->nqueues)
        return;
    if (off == VM_QUEUE_READY) {
        t->q_ready[q] = v & 1;
        if (t->q_ready[q]) {  /* the rings start where the driver's start: empty */
            t->q_last_avail[q] = 0;
            t->q_used_idx[q] = 0;
        }
        return;
    }
    if (t->q_ready[q])
        return;               /* 4.2.2.3: set up only while the queue is not ready */
    if (off == VM_QUEUE_NUM) {
        /* 2.7: a power of 2 up to QueueNumMax; anything else leaves the queue unusable */
        t->q_num[q] = (v && v <= VIRTIO_MMIO_QUEUE_MAX && !(v & (v - 1))) ? v : 0;
        return;
    }
    bool hi;
    uint64_t *a = queue_addr(t, off, &hi);
    *a = hi ? (*a & 0xffffffffULL) | (uint64_t)v << 32 : (*a & ~0xffffffffULL) | v;
}

static void write_reg(VirtioMmio *t, uint64_t off, uint32_t v)
{
    switch (off) {
    case VM_DEV_FEATURES_SEL: t->dev_features_sel = v; break;
    case VM_DRV_FEATURES:
        if (t->drv_features_sel < 2 && !(t->status & VIRTIO_STAT_FEATURES_OK))
            t->drv_features[t->drv_features_sel] = v;
        break;
    case VM_DRV_FEATURES_SEL: t->drv_features_sel = v; break;
    case VM_QUEUE_SEL: t->queue_sel = v; break;
    case VM_QUEUE_NUM: case VM_QUEUE_READY: case VM_QUEUE_DESC_LO: case VM_QUEUE_DESC_HI:
    case VM_QUEUE_DRIVER_LO: case VM_QUEUE_DRIVER_HI: case VM_QUEUE_DEVICE_LO:
    case VM_QUEUE_DEVICE_HI:
        write_queue_reg(t, off, v);
        break;
    case VM_QUEUE_NOTIFY:
        if (v < (uint32_t)t->ops->nqueues)
            schedule_service(t);
        break;
    case VM_INT_ACK:
        t->isr &= ~v;
        update_irq(t);
        break;
    case VM_STATUS: write_status(t, v); break;
    default: break;           /* read-only or reserved */
    }
}

static uint64_t transport_read(VirtioMmio *t, uint64_t off, unsigned size)
{
    if (off >= VM_CONFIG)
        return t->ops->config_read ? t->ops->config_read(t->dev, off - VM_CONFIG, size) : 0;
    if ((off & 3) || size != 4)
        return 0;
    return read_reg(t, off);
}

/* Reads of a transport without a device: the header that says so (DeviceID 0, 4.2.2.1). */
static uint64_t empty_read(uint64_t off, unsigned size)
{
    if (size != 4)
        return 0;
    switch (off) {
    case VM_MAGIC: return VIRTIO_MMIO_MAGIC;
    case VM_VERSION: return 2;
    case VM_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
    default: return 0;
    }
}

static uint64_t bus_read_cb(void *opaque, uint64_t off, unsigned size)
{
    VirtioMmioBus *b = opaque;
    VirtioMmio *t = b->slot[off / VIRTIO_MMIO_STRIDE];
    off %= VIRTIO_MMIO_STRIDE;
    return t ? transport_read(t, off, size) : empty_read(off, size);
}

static void bus_write_cb(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    VirtioMmioBus *b = opaque;
    VirtioMmio *t = b->slot[off / VIRTIO_MMIO_STRIDE];
    off %= VIRTIO_MMIO_STRIDE;
    /* the configuration spaces of these devices are read-only (console size, block geometry
     * and capacity, no writable fields offered) */
    if (t && off < VM_CONFIG && !(off & 3) && size == 4)
        write_reg(t, off, (uint32_t)val);
}

static const MmioOps virtio_bus_ops = { bus_read_cb, bus_write_cb };

VirtioMmioBus *virtio_mmio_bus_new(Machine *m, uint64_t base)
{
    VirtioMmioBus *b = g_new0(VirtioMmioBus, 1);
    b->m = m;
    b->base = base;
    if (bus_add_mmio(&m->bus, "virtio-mmio", base, VIRTIO_MMIO_NUM * VIRTIO_MMIO_STRIDE,
                     &virtio_bus_ops, b) < 0) {
        g_free(b);
        return NULL;
    }
    return b;
}

void virtio_mmio_bus_free(VirtioMmioBus *b)
{
    if (!b)
        return;
    for (int i = 0; i < VIRTIO_MMIO_NUM; i++)
        if (b->slot[i]) {
            evq_cancel(&b->m->evq, &b->slot[i]->service_ev);
            g_free(b->slot[i]);
        }
    g_free(b);
}

/* After a snapshot load: the interrupt level is derived, the service event follows
 * service_when. */
static void virtio_post_load(void *obj, SimTime now)
{
    VirtioMmio *t = obj;
    (void)now;
    t->irq_level = t->isr != 0;
    evq_cancel(&t->m->evq, &t->service_ev);
    if (t->service_when)
        evq_schedule(&t->m->evq, &t->service_ev, t->service_when);
}

VirtioMmio *virtio_mmio_plug(VirtioMmioBus *b, const char *name, const VirtioDevOps *ops, void *dev)
{
    if (b->nplugged >= VIRTIO_MMIO_NUM)
        return NULL;
    g_assert(ops->nqueues <= VIRTIO_MMIO_MAX_QUEUES);
    VirtioMmio *t = g_new0(VirtioMmio, 1);
    t->m = b->m;
    t->ops = ops;
    t->dev = dev;
    t->index = VIRTIO_MMIO_NUM - 1 - b->nplugged++;
    event_init(&t->service_ev, "virtio-service", EVQ_PRIO_DEVICE, service_event, t);
    b->slot[t->index] = t;
    char *oname = g_strdup_printf("%s.mmio", name);
    machine_add_object(b->m, oname, &virtio_mmio_state_desc, t)->post_load = virtio_post_load;
    g_free(oname);
    return t;
}

void virtio_mmio_connect_irq(VirtioMmio *t, IrqLine line)
{
    t->irq = line;
    irq_set(&t->irq, t->irq_level);
}

/* ---- the split virtqueue (2.7) --------------------------------------------------------- */

/* Guest RAM at [pa, pa+len), or NULL when it is not wholly RAM. */
static uint8_t *ram(VirtioMmio *t, uint64_t pa, uint64_t len)
{
    return bus_ram_ptr(&t->m->bus, pa, len ? len : 1);
}

static void needs_reset(VirtioMmio *t)
{
    t->status |= VIRTIO_STAT_NEEDS_RESET;
    t->isr |= VIRTIO_INT_CONFIG;
    update_irq(t);
}

bool virtio_queue_ready(const VirtioMmio *t, int q)
{
    return (t->status & VIRTIO_STAT_DRIVER_OK) && !(t->status & VIRTIO_STAT_NEEDS_RESET) &&
           q < t->ops->nqueues && t->q_ready[q] && t->q_num[q];
}

/* The available ring of queue q if it holds an entry not taken yet, else NULL. */
static const uint8_t *avail_entry(VirtioMmio *t, int q)
{
    if (!virtio_queue_ready(t, q))
        return NULL;
    const uint8_t *avail = ram(t, t->q_avail[q], 4 + 2 * t->q_num[q]);
    if (!avail) {
        needs_reset(t);
        return NULL;
    }
    uint16_t avail_idx;
    memcpy(&avail_idx, avail + 2, 2);     /* little-endian host, as virtio 1 rings */
    return avail_idx == (uint16_t)t->q_last_avail[q] ? NULL : avail;
}

bool virtio_queue_has_buffer(VirtioMmio *t, int q)
{
    return avail_entry(t, q) != NULL;
}

bool virtio_queue_pop(VirtioMmio *t, int q, VirtioReq *r)
{
    const uint8_t *avail = avail_entry(t, q);
    if (!avail)
        return false;
    uint32_t num = t->q_num[q];
    uint16_t head;
    memcpy(&head, avail + 4 + 2 * (t->q_last_avail[q] % num), 2);
    t->q_last_avail[q] = (t->q_last_avail[q] + 1) & 0xffff;
    memset(r, 0, sizeof *r);
    r->head = head;
    uint32_t i = head;
    /* 2.7.5.3.1: a chain has at most Queue Size descriptors; writable ones come last */
    for (;;) {
        const uint8_t *d = i < num ? ram(t, t->q_desc[q] + 16ULL * i, 16) : NULL;
        if (!d || r->nseg >= VIRTIO_MAX_SEGS || r->nseg >= num)
            goto bad;
        uint64_t addr;
        uint32_t len;
        uint16_t flags, next;
        memcpy(&addr, d, 8);
        memcpy(&len, d + 8, 4);
        memcpy(&flags, d + 12, 2);
        memcpy(&next, d + 14, 2);
        bool w = (flags & VIRTQ_DESC_F_WRITE) != 0;
        if ((flags & VIRTQ_DESC_F_INDIRECT) || (!w && r->writable) || (len && !ram(t, addr, len)))
            goto bad;
        r->seg[r->nseg++] = (VirtioSeg){ addr, len, w };
        if (w)
            r->writable += len;
        else
            r->readable += len;
        if (!(flags & VIRTQ_DESC_F_NEXT))
            return true;
        i = next;
    }
bad:
    needs_reset(t);
    return false;
}

void virtio_queue_push(VirtioMmio *t, int q, const VirtioReq *r, uint32_t written)
{
    uint32_t num = t->q_num[q];
    uint8_t *used = ram(t, t->q_used[q], 4 + 8 * num);
    if (!used) {
        needs_reset(t);
        return;
    }
    uint64_t slot = 4 + 8 * (t->q_used_idx[q] % num);
    uint32_t id = r->head;
    memcpy(used + slot, &id, 4);
    memcpy(used + slot + 4, &written, 4);
    t->q_used_idx[q] = (t->q_used_idx[q] + 1) & 0xffff;
    uint16_t idx = (uint16_t)t->q_used_idx[q];
    memcpy(used + 2, &idx, 2);   /* the entry is in place before the index says so (2.7.8) */
    machine_dma_written(t->m, t->q_used[q] + slot, 8);
    machine_dma_written(t->m, t->q_used[q] + 2, 2);
    t->isr |= VIRTIO_INT_USED;
    update_irq(t);
}

/* Walks the chain's segments of one kind (writable or not) from byte `off` of that kind,
 * calling fn on each piece of guest RAM. */
static size_t walk(VirtioMmio *t, const VirtioReq *r, bool writable, size_t off, size_t len,
                   void (*fn)(VirtioMmio *t, uint64_t pa, uint8_t *host, uint8_t *buf, size_t n),
                   uint8_t *buf)
{
    size_t done = 0;
    for (unsigned i = 0; i < r->nseg && done < len; i++) {
        const VirtioSeg *s = &r->seg[i];
        if ((bool)s->write != writable)
            continue;
        if (off >= s->len) {
            off -= s->len;
            continue;
        }
        size_t n = s->len - off < len - done ? s->len - off : len - done;
        fn(t, s->addr + off, ram(t, s->addr + off, n), buf + done, n);
        done += n;
        off = 0;
    }
    return done;
}

static void copy_out(VirtioMmio *t, uint64_t pa, uint8_t *host, uint8_t *buf, size_t n)
{
    (void)t;
    (void)pa;
    memcpy(buf, host, n);
}

static void copy_in(VirtioMmio *t, uint64_t pa, uint8_t *host, uint8_t *buf, size_t n)
{
    memcpy(host, buf, n);
    machine_dma_written(t->m, pa, n);
}

size_t virtio_req_read(VirtioMmio *t, const VirtioReq *r, size_t off, void *buf, size_t len)
{
    return walk(t, r, false, off, len, copy_out, buf);
}

size_t virtio_req_write(VirtioMmio *t, const VirtioReq *r, size_t off, const void *buf, size_t len)
{
    return walk(t, r, true, off, len, copy_in, (uint8_t *)buf);
}
