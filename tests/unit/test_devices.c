/* The PL031 RTC, the virtio-mmio transport and the virtio devices, driven through their
 * registers on a virt machine, with the event queue run by hand: what the TRM and the virtio
 * specification say, and what hvsim chose where they leave room (README, "Disks"). */
#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>
#include <unistd.h>
#include "boards/virt.h"
#include "checkpoint/snapshot.h"
#include "devices/pl031.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_rng.h"

#define T31 (VIRT_MMIO_BASE + 31 * VIRTIO_MMIO_STRIDE)   /* the first device's transport */
#define RING 0x40100000ULL                                /* queue structures in RAM */
#define DATA 0x40200000ULL

static char *tmp_path(const char *what)
{
    return g_strdup_printf("/tmp/hvsim-devtest-%d-%s", (int)getpid(), what);
}

/* A virt machine with the given devices (NULL-terminated), running a `b .` loop. */
static Machine *machine_with(const char *const *devs)
{
    char *kernel = tmp_path("kernel");
    static const uint32_t loop = 0x14000000u;
    cr_assert(g_file_set_contents(kernel, (const char *)&loop, 4, NULL));
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    cfg.ram_size = 64ULL << 20;
    g_free(cfg.kernel);
    cfg.kernel = kernel;
    cfg.devices = g_strdupv((char **)devs);
    char *err = NULL;
    Machine *m = virt_create(&cfg, &err);
    cr_assert_not_null(m, "virt_create: %s", err ? err : "?");
    unlink(kernel);
    machine_config_free(&cfg);
    return m;
}

static uint32_t rd(Machine *m, uint64_t pa)
{
    uint64_t v = 0;
    cr_assert(bus_read(&m->bus, pa, 4, &v));
    return (uint32_t)v;
}

static void wr(Machine *m, uint64_t pa, uint32_t v)
{
    cr_assert(bus_write(&m->bus, pa, 4, v));
}

/* Advances simulated time to t, firing the events due (the cores' clocks jump there, as an
 * idle core's would). */
static void run_until(Machine *m, SimTime t)
{
    m->now = t;
    for (int i = 0; i < m->ncpus; i++)
        m->cpus[i].time = t;
    evq_run_due(&m->evq, t);
}

/* ---- PL031 ------------------------------------------------------------------------------- */

Test(pl031, counts_seconds_of_simulated_time_from_the_base)
{
    const char *none[] = { NULL };
    Machine *m = machine_with(none);
    cr_assert_eq(rd(m, VIRT_RTC_BASE), (uint32_t)MACHINE_DEFAULT_RTC_EPOCH);
    run_until(m, 2 * PS_PER_S + 1);
    cr_assert_eq(rd(m, VIRT_RTC_BASE), (uint32_t)MACHINE_DEFAULT_RTC_EPOCH + 2);
    wr(m, VIRT_RTC_BASE + PL031_LR, 100);            /* load: counts on from 100 */
    cr_assert_eq(rd(m, VIRT_RTC_BASE), 100);
    run_until(m, 3 * PS_PER_S);
    cr_assert_eq(rd(m, VIRT_RTC_BASE), 101);
    cr_assert_eq(rd(m, VIRT_RTC_BASE + PL031_CR), 1);
    wr(m, VIRT_RTC_BASE + PL031_CR, 0);              /* TRM: no effect once started */
    cr_assert_eq(rd(m, VIRT_RTC_BASE + PL031_CR), 1);
    machine_free(m);
}

Test(pl031, match_interrupt_at_the_second_the_counter_equals_mr)
{
    const char *none[] = { NULL };
    Machine *m = machine_with(none);
    uint32_t now = rd(m, VIRT_RTC_BASE);
    wr(m, VIRT_RTC_BASE + PL031_IMSC, 1);
    wr(m, VIRT_RTC_BASE + PL031_MR, now + 3);
    run_until(m, 3 * PS_PER_S - 1);
    cr_assert_eq(rd(m, VIRT_RTC_BASE + PL031_RIS), 0, "one picosecond early");
    run_until(m, 3 * PS_PER_S);
    cr_assert_eq(rd(m, VIRT_RTC_BASE + PL031_RIS), 1);
    cr_assert_eq(rd(m, VIRT_RTC_BASE + PL031_MIS), 1);
    wr(m, VIRT_RTC_BASE + PL031_ICR, 1);
    cr_assert_eq(rd(m, VIRT_RTC_BASE + PL031_RIS), 0);
    /* a match value the counter has passed: no interrupt (TRM: equality; QEMU raises it) */
    wr(m, VIRT_RTC_BASE + PL031_MR, rd(m, VIRT_RTC_BASE) - 1);
    run_until(m, 60 * PS_PER_S);
    cr_assert_eq(rd(m, VIRT_RTC_BASE + PL031_RIS), 0);
    /* equal now: at once */
    wr(m, VIRT_RTC_BASE + PL031_MR, rd(m, VIRT_RTC_BASE));
    cr_assert_eq(rd(m, VIRT_RTC_BASE + PL031_RIS), 1);
    machine_free(m);
}

Test(pl031, a_pending_match_survives_a_snapshot)
{
    const char *none[] = { NULL };
    Machine *m = machine_with(none), *m2 = machine_with(none);
    wr(m, VIRT_RTC_BASE + PL031_MR, rd(m, VIRT_RTC_BASE) + 5);
    GByteArray *b = g_byte_array_new();
    snapshot_encode(m, b);
    char *err = NULL;
    cr_assert_eq(snapshot_decode(m2, b->data, b->len, &err), 0, "%s", err ? err : "");
    run_until(m2, 5 * PS_PER_S);
    cr_assert_eq(rd(m2, VIRT_RTC_BASE + PL031_RIS), 1);
    g_byte_array_free(b, TRUE);
    machine_free(m);
    machine_free(m2);
}

/* ---- virtio-mmio transport and virtio-rng ------------------------------------------------ */

/* Driver side of 3.1.1 with one queue of 8 at RING; returns the status read back. */
static uint32_t drv_setup(Machine *m, uint64_t t, uint32_t features_hi)
{
    wr(m, t + 0x70, 0);
    wr(m, t + 0x70, 3);
    wr(m, t + 0x24, 1);
    wr(m, t + 0x20, features_hi);
    wr(m, t + 0x70, 3 | 8);
    uint32_t st = rd(m, t + 0x70);
    wr(m, t + 0x30, 0);
    wr(m, t + 0x38, 8);
    wr(m, t + 0x80, (uint32_t)RING);
    wr(m, t + 0x90, (uint32_t)(RING + 0x1000));
    wr(m, t + 0xa0, (uint32_t)(RING + 0x2000));
    wr(m, t + 0x44, 1);
    wr(m, t + 0x70, st | 4);
    return st;
}

/* One descriptor chain of n (addr, len, write) posted as avail entry `slot` and notified. */
static void drv_post(Machine *m, uint64_t t, const uint64_t (*d)[3], int n, uint16_t slot)
{
    uint8_t *ring = bus_ram_ptr(&m->bus, RING, 0x3000);
    for (int i = 0; i < n; i++) {
        uint16_t flags = (uint16_t)((i + 1 < n ? 1 : 0) | (d[i][2] ? 2 : 0)), next = (uint16_t)(i + 1);
        uint32_t len = (uint32_t)d[i][1];
        memcpy(ring + 16 * i, &d[i][0], 8);
        memcpy(ring + 16 * i + 8, &len, 4);
        memcpy(ring + 16 * i + 12, &flags, 2);
        memcpy(ring + 16 * i + 14, &next, 2);
    }
    uint16_t head = 0, idx = (uint16_t)(slot + 1);
    memcpy(ring + 0x1000 + 4 + 2 * (slot % 8), &head, 2);
    memcpy(ring + 0x1000 + 2, &idx, 2);
    wr(m, t + 0x50, 0);
}

static uint16_t used_idx(Machine *m)
{
    uint16_t v;
    memcpy(&v, bus_ram_ptr(&m->bus, RING + 0x2002, 2), 2);
    return v;
}

Test(virtio, transports_without_a_device_read_device_id_0)
{
    const char *none[] = { NULL };
    Machine *m = machine_with(none);
    for (int n = 0; n < VIRTIO_MMIO_NUM; n++) {
        uint64_t t = VIRT_MMIO_BASE + (uint64_t)n * VIRTIO_MMIO_STRIDE;
        cr_assert_eq(rd(m, t), 0x74726976u);
        cr_assert_eq(rd(m, t + 4), 2);
        cr_assert_eq(rd(m, t + 8), 0);
    }
    machine_free(m);
}

Test(virtio, features_ok_needs_version_1)
{
    const char *rng[] = { "virtio-rng-device", NULL };
    Machine *m = machine_with(rng);
    cr_assert_eq(rd(m, T31 + 8), VIRTIO_ID_RNG);
    cr_assert_eq(drv_setup(m, T31, 0) & 8, 0, "a legacy driver is declined");
    cr_assert_eq(drv_setup(m, T31, 1 | 2) & 8, 0, "an unoffered feature is declined");
    cr_assert_eq(drv_setup(m, T31, 1) & 8, 8);
    machine_free(m);
}

Test(virtio, rng_fills_buffers_after_the_latency_with_the_seeded_stream)
{
    const char *rng[] = { "virtio-rng-device", NULL };
    Machine *m = machine_with(rng);
    drv_setup(m, T31, 1);
    const uint64_t d[2][3] = { { DATA, 40, 1 }, { DATA + 100, 24, 1 } };
    drv_post(m, T31, d, 2, 0);
    cr_assert_eq(used_idx(m), 0, "nothing before the service runs");
    run_until(m, 10 * 1000 * PS_PER_NS);
    cr_assert_eq(used_idx(m), 1);
    uint32_t len;
    memcpy(&len, bus_ram_ptr(&m->bus, RING + 0x2008, 4), 4);
    cr_assert_eq(len, 64);
    cr_assert_eq(rd(m, T31 + 0x60), 1, "used-buffer interrupt");
    /* --seed 0: SHA-256(0 || "hvsim-virtio-rng" || 0), split over the two buffers */
    static const uint8_t want[8] = { 0x9e, 0x8f, 0xb3, 0x5d, 0xc1, 0xaf, 0x2d, 0x72 };
    cr_assert_arr_eq(bus_ram_ptr(&m->bus, DATA, 8), want, 8);
    uint8_t all[64];
    virtio_rng_bytes(0, 0, all, 64);
    cr_assert_arr_eq(bus_ram_ptr(&m->bus, DATA, 40), all, 40);
    cr_assert_arr_eq(bus_ram_ptr(&m->bus, DATA + 100, 24), all + 40, 24);
    wr(m, T31 + 0x64, 1);
    cr_assert_eq(rd(m, T31 + 0x60), 0);
    machine_free(m);
}

Test(virtio, rng_stream_is_continuous_across_requests)
{
    uint8_t a[100], b[100];
    virtio_rng_bytes(42, 0, a, 100);
    virtio_rng_bytes(42, 0, b, 7);
    virtio_rng_bytes(42, 7, b + 7, 93);
    cr_assert_arr_eq(a, b, 100);
    static const uint8_t block1[4] = { 0x3c, 0x2f, 0xe4, 0xdc };   /* hashlib, block 1 */
    cr_assert_arr_eq(a + 32, block1, 4);
}

Test(virtio, a_chain_leaving_ram_needs_reset)
{
    const char *rng[] = { "virtio-rng-device", NULL };
    Machine *m = machine_with(rng);
    drv_setup(m, T31, 1);
    const uint64_t d[1][3] = { { 0x1000, 64, 1 } };   /* flash, not RAM */
    drv_post(m, T31, d, 1, 0);
    run_until(m, PS_PER_S);
    cr_assert_eq(used_idx(m), 0);
    cr_assert(rd(m, T31 + 0x70) & VIRTIO_STAT_NEEDS_RESET);
    cr_assert_eq(rd(m, T31 + 0x60), 2, "configuration-change interrupt");
    wr(m, T31 + 0x70, 0);
    cr_assert_eq(rd(m, T31 + 0x70), 0, "a reset clears it");
    machine_free(m);
}

/* ---- virtio-blk ------------------------------------------------------------------------- */

static void blk_rw(Machine *m, uint32_t type, uint64_t sector, uint16_t slot)
{
    uint8_t *hdr = bus_ram_ptr(&m->bus, DATA, 16);
    memset(hdr, 0, 16);
    memcpy(hdr, &type, 4);
    memcpy(hdr + 8, &sector, 8);
    const uint64_t d[3][3] = { { DATA, 16, 0 }, { DATA + 0x1000, 512, type == 0 }, { DATA + 0x2000, 1, 1 } };
    drv_post(m, T31, d, 3, slot);
    run_until(m, m->now + PS_PER_S);
}

Test(virtio_blk, writes_stay_in_the_overlay_until_written_back_in_place)
{
    char *img = tmp_path("img");
    uint8_t file[1536];                           /* three sectors: not a whole page */
    for (size_t i = 0; i < sizeof file; i++)
        file[i] = (uint8_t)(i / 512 + 1);
    cr_assert(g_file_set_contents(img, (const char *)file, sizeof file, NULL));
    char *spec = g_strdup_printf("virtio-blk-device,file=%s", img);
    const char *devs[] = { spec, NULL };
    Machine *m = machine_with(devs);
    drv_setup(m, T31, 1);
    cr_assert_eq(rd(m, T31 + 0x100), 3, "capacity in sectors");
    memset(bus_ram_ptr(&m->bus, DATA + 0x1000, 512), 0xab, 512);
    blk_rw(m, 1, 2, 0);                           /* write sector 2 */
    cr_assert_eq(*bus_ram_ptr(&m->bus, DATA + 0x2000, 1), 0, "status OK");
    gchar *now = NULL;
    gsize len = 0;
    cr_assert(g_file_get_contents(img, &now, &len, NULL));
    cr_assert_eq(len, sizeof file);
    cr_assert_arr_eq(now, file, sizeof file, "the file is untouched while running");
    g_free(now);
    blk_rw(m, 0, 2, 1);                           /* read it back */
    cr_assert_eq(*bus_ram_ptr(&m->bus, DATA + 0x1000, 1), 0xab);
    blk_rw(m, 0, 3, 2);                           /* past the end */
    cr_assert_eq(*bus_ram_ptr(&m->bus, DATA + 0x2000, 1), 1, "IOERR");
    char *err = NULL;
    cr_assert(virt_writeback_drives(m, &err), "%s", err ? err : "");
    cr_assert(g_file_get_contents(img, &now, &len, NULL));
    cr_assert_eq(len, sizeof file, "never extended nor truncated");
    cr_assert_arr_eq(now, file, 1024, "sectors the guest did not write are as they were");
    cr_assert_eq((uint8_t)now[1024], 0xab);
    cr_assert_eq((uint8_t)now[1535], 0xab);
    g_free(now);
    machine_free(m);
    unlink(img);
    g_free(img);
    g_free(spec);
}

Test(virtio_blk, a_snapshot_restores_the_overlay_as_it_was)
{
    char *img = tmp_path("img2");
    uint8_t file[4096] = { 0 };
    cr_assert(g_file_set_contents(img, (const char *)file, sizeof file, NULL));
    char *spec = g_strdup_printf("virtio-blk-device,file=%s,snapshot=on", img);
    const char *devs[] = { spec, NULL };
    Machine *m = machine_with(devs);
    drv_setup(m, T31, 1);
    memset(bus_ram_ptr(&m->bus, DATA + 0x1000, 512), 0x11, 512);
    blk_rw(m, 1, 0, 0);
    char before[65], after[65];
    machine_state_hash(m, before);
    GByteArray *b = g_byte_array_new();
    snapshot_encode(m, b);
    memset(bus_ram_ptr(&m->bus, DATA + 0x1000, 512), 0x22, 512);
    blk_rw(m, 1, 0, 1);                           /* overwritten after the snapshot */
    machine_state_hash(m, after);
    cr_assert_str_neq(before, after, "the overlay is in the state hash");
    char *err = NULL;
    cr_assert_eq(snapshot_decode(m, b->data, b->len, &err), 0, "%s", err ? err : "");
    machine_state_hash(m, after);
    cr_assert_str_eq(before, after);
    blk_rw(m, 0, 0, 1);
    cr_assert_eq(*bus_ram_ptr(&m->bus, DATA + 0x1000, 1), 0x11, "the write before the snapshot");
    cr_assert(virt_writeback_drives(m, &err));
    gchar *now = NULL;
    gsize len = 0;
    cr_assert(g_file_get_contents(img, &now, &len, NULL));
    cr_assert_arr_eq(now, file, sizeof file, "snapshot=on: the file never changes");
    g_free(now);
    g_byte_array_free(b, TRUE);
    machine_free(m);
    unlink(img);
    g_free(img);
    g_free(spec);
}
