/* virtio-rng (Virtual I/O Device Specification 1.2, 5.4): one request queue; the device
 * fills each device-writable buffer, up to 64 KiB per request (5.4.6 lets it fill less).
 *
 * The bytes are SHA-256 in counter mode: block i of the stream is
 * SHA-256(seed as 8 little-endian bytes || "hvsim-virtio-rng" || i as 8 little-endian bytes).
 * The whole generator state is (seed, position), two numbers in the state description, so a
 * snapshot restored or a reverse step re-executed hands out exactly the same bytes. (GLib's
 * GRand would do as a generator, but its Mersenne Twister state is opaque and cannot be
 * saved; GLib's SHA-256 can be restarted anywhere.) Not for cryptography: the point is that
 * the same --seed gives the same guest. */
#include "devices/virtio_rng.h"
#include <string.h>

#define RNG_LATENCY_PS (10ULL * 1000 * PS_PER_NS)   /* 10 us per service */
#define RNG_BLOCK 32u
#define RNG_MAX_REQ (64u * 1024)

static const StateField virtio_rng_fields[] = {
    STATE_FIELD(VirtioRng, seed, V_ANY),
    STATE_FIELD(VirtioRng, produced, V_ANY),
    STATE_RUNTIME(VirtioRng, t),
};
const StateDesc virtio_rng_state_desc = STATE_DESC("virtio-rng", VirtioRng, virtio_rng_fields);

static void block(uint64_t seed, uint64_t i, uint8_t out[RNG_BLOCK])
{
    static const char label[] = "hvsim-virtio-rng";
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    uint8_t le[8];
    for (int k = 0; k < 8; k++)
        le[k] = (uint8_t)(seed >> (8 * k));
    g_checksum_update(ck, le, 8);
    g_checksum_update(ck, (const guchar *)label, sizeof label - 1);
    for (int k = 0; k < 8; k++)
        le[k] = (uint8_t)(i >> (8 * k));
    g_checksum_update(ck, le, 8);
    gsize len = RNG_BLOCK;
    g_checksum_get_digest(ck, out, &len);
    g_checksum_free(ck);
}

void virtio_rng_bytes(uint64_t seed, uint64_t pos, uint8_t *out, size_t n)
{
    uint8_t b[RNG_BLOCK];
    while (n) {
        block(seed, pos / RNG_BLOCK, b);
        size_t off = pos % RNG_BLOCK, k = RNG_BLOCK - off < n ? RNG_BLOCK - off : n;
        memcpy(out, b + off, k);
        out += k;
        pos += k;
        n -= k;
    }
}

static void rng_service(void *dev)
{
    VirtioRng *s = dev;
    VirtioReq r;
    uint8_t buf[256];
    while (virtio_queue_pop(s->t, 0, &r)) {
        /* 5.4.6: the device may fill less than the whole buffer; a request gets at most
         * RNG_MAX_REQ bytes, so a huge buffer costs the host no more than a small one */
        uint64_t want = r.writable < RNG_MAX_REQ ? r.writable : RNG_MAX_REQ, done = 0;
        while (done < want) {
            size_t n = want - done < sizeof buf ? (size_t)(want - done) : sizeof buf;
            virtio_rng_bytes(s->seed, s->produced, buf, n);
            s->produced += n;
            virtio_req_write(s->t, &r, done, buf, n);
            done += n;
        }
        virtio_queue_push(s->t, 0, &r, (uint32_t)done);
    }
}

static const VirtioDevOps rng_ops = {
    .device_id = VIRTIO_ID_RNG,
    .features = 0,
    .nqueues = 1,
    .latency = RNG_LATENCY_PS,
    .service = rng_service,
};

VirtioRng *virtio_rng_new(Machine *m, VirtioMmioBus *b, const char *name, uint64_t seed)
{
    VirtioRng *s = g_new0(VirtioRng, 1);
    s->seed = seed;
    s->t = virtio_mmio_plug(b, name, &rng_ops, s);
    if (!s->t) {
        g_free(s);
        return NULL;
    }
    machine_add_object(m, name, &virtio_rng_state_desc, s);
    return s;
}

void virtio_rng_free(VirtioRng *s)
{
    g_free(s);
}
