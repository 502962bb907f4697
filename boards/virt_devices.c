/* The `virt` board's optional and Linux-facing devices: the PL031 RTC (always there, as on
 * QEMU's virt), the 32 virtio-mmio transports and the devices plugged into them from
 * -drive/-device, and their device tree nodes with /chosen's rng-seed and kaslr-seed.
 * Kept apart from virt.c and fdt.c so that each board file calls one function here. */
#include <libfdt.h>
#include <string.h>
#include "boards/virt.h"
#include "devices/pl031.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_console.h"
#include "devices/virtio_rng.h"

/* GIC interrupt specifier (dt-bindings/interrupt-controller/arm-gic.h) */
enum { DT_GIC_SPI = 0, DT_IRQ_EDGE_RISING = 1, DT_IRQ_LEVEL_HIGH = 4 };
#define PH_CLK 0x8000u        /* fdt.c's clock phandle (QEMU's first) */

/* One -device / -drive entry: "NAME[,key=value...]". */
typedef struct DevSpec {
    char *name;
    GHashTable *props;
} DevSpec;

static bool parse_spec(const char *s, DevSpec *d, char **err)
{
    char **parts = g_strsplit(s, ",", -1);
    d->name = g_strdup(parts[0]);
    d->props = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    bool ok = true;
    for (int i = 1; parts[i] && ok; i++) {
        char *eq = strchr(parts[i], '=');
        if (!eq || eq == parts[i]) {
            *err = g_strdup_printf("-device %s: '%s' is not key=value", s, parts[i]);
            ok = false;
        } else {
            g_hash_table_replace(d->props, g_strndup(parts[i], (gsize)(eq - parts[i])),
                                 g_strdup(eq + 1));
        }
    }
    g_strfreev(parts);
    return ok;
}

static void free_spec(DevSpec *d)
{
    g_free(d->name);
    if (d->props)
        g_hash_table_destroy(d->props);
}

static bool prop_onoff(const DevSpec *d, const char *key, bool *out, char **err)
{
    const char *v = g_hash_table_lookup(d->props, key);
    *out = false;
    if (!v)
        return true;
    if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes"))
        *out = true;
    else if (strcmp(v, "off") && strcmp(v, "false") && strcmp(v, "no")) {
        *err = g_strdup_printf("-device %s: %s=%s: expected on or off", d->name, key, v);
        return false;
    }
    return true;
}

/* Only the keys a device knows. */
static bool known_props(const DevSpec *d, const char *const *keys, char **err)
{
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, d->props);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        bool ok = false;
        for (int i = 0; keys[i]; i++)
            ok |= !strcmp(k, keys[i]);
        if (!ok) {
            *err = g_strdup_printf("-device %s: unknown property '%s'", d->name, (char *)k);
            return false;
        }
    }
    return true;
}

static const char *const blk_keys[] = { "file", "readonly", "snapshot", NULL };
static const char *const no_keys[] = { NULL };

bool virt_check_devices(const MachineConfig *cfg, char **err)
{
    int nblk = 0, nrng = 0, nserial = 0, ncons = 0;
    for (char **s = cfg->devices; s && *s; s++) {
        DevSpec d = { 0 };
        bool ok = parse_spec(*s, &d, err);
        if (ok && !strcmp(d.name, "virtio-blk-device")) {
            bool b;
            ok = known_props(&d, blk_keys, err) && prop_onoff(&d, "readonly", &b, err) &&
                 prop_onoff(&d, "snapshot", &b, err);
            if (ok && !g_hash_table_lookup(d.props, "file")) {
                *err = g_strdup("-drive: no file= given");
                ok = false;
            }
            nblk++;
        } else if (ok && !strcmp(d.name, "virtio-rng-device")) {
            ok = known_props(&d, no_keys, err);
            nrng++;
        } else if (ok && !strcmp(d.name, "virtio-serial-device")) {
            ok = known_props(&d, no_keys, err);
            nserial++;
        } else if (ok && !strcmp(d.name, "virtconsole")) {
            ok = known_props(&d, no_keys, err);
            ncons++;
        } else if (ok) {
            *err = g_strdup_printf("-device %s: unknown device (available: virtio-rng-device, "
                                   "virtio-serial-device, virtconsole; disks with -drive)",
                                   d.name);
            ok = false;
        }
        free_spec(&d);
        if (!ok)
            return false;
    }
    if (nblk > VIRT_MAX_DRIVES || nrng > 1 || nserial > 1 || ncons > 1) {
        *err = g_strdup_printf("at most %d -drive, one virtio-rng-device, one "
                               "virtio-serial-device and one virtconsole", VIRT_MAX_DRIVES);
        return false;
    }
    return true;
}

bool virt_has_virtconsole(const MachineConfig *cfg)
{
    for (char **s = cfg->devices; s && *s; s++)
        if (!strcmp(*s, "virtconsole") || !strcmp(*s, "virtio-serial-device"))
            return true;
    return false;
}

/* Plugs the transport's interrupt: transport n on SPI 16 + n (QEMU's virt). */
static void connect(VirtBoard *vb, VirtioMmio *t)
{
    virtio_mmio_connect_irq(t, virt_spi_line(vb, 32 + VIRT_MMIO_SPI + t->index));
}

static bool add_one(Machine *m, VirtBoard *vb, const char *spec, char **err)
{
    VirtDevices *dv = &vb->dev;
    DevSpec d = { 0 };
    bool ok = parse_spec(spec, &d, err);
    if (ok && !strcmp(d.name, "virtio-blk-device")) {
        VirtioBlkConfig bc = { .file = g_hash_table_lookup(d.props, "file") };
        prop_onoff(&d, "readonly", &bc.readonly, err);
        prop_onoff(&d, "snapshot", &bc.snapshot, err);
        char name[16];
        snprintf(name, sizeof name, "vd%c", 'a' + dv->nblk);
        VirtioBlk *b = virtio_blk_new(m, dv->virtio, name, &bc, err);
        ok = b != NULL;
        if (ok) {
            dv->blk[dv->nblk++] = b;
            connect(vb, b->t);
        }
    } else if (ok && !strcmp(d.name, "virtio-rng-device")) {
        dv->rng = virtio_rng_new(m, dv->virtio, "rng0", m->cfg.seed);
        if (dv->rng)
            connect(vb, dv->rng->t);
    } else if (ok && !dv->console) {   /* virtio-serial-device or virtconsole: one port */
        dv->console = virtio_console_new(m, dv->virtio, "hvc0", 0);
        if (dv->console)
            connect(vb, dv->console->t);
    }
    free_spec(&d);
    return ok;
}

int virt_add_devices(Machine *m, VirtBoard *vb, char **err)
{
    VirtDevices *dv = &vb->dev;
    dv->rtc = pl031_new(m, "rtc", VIRT_RTC_BASE, m->cfg.rtc_epoch);
    dv->virtio = virtio_mmio_bus_new(m, VIRT_MMIO_BASE);
    if (!dv->rtc || !dv->virtio) {
        *err = g_strdup("cannot map the PL031 or the virtio-mmio transports on the bus");
        return -1;
    }
    pl031_connect_irq(dv->rtc, virt_spi_line(vb, 32 + VIRT_RTC_SPI));
    for (char **s = m->cfg.devices; s && *s; s++)
        if (!add_one(m, vb, *s, err))
            return -1;
    return 0;
}

bool virt_writeback_drives(Machine *m, char **err)
{
    VirtBoard *vb = m->board;
    for (int i = 0; i < vb->dev.nblk; i++)
        if (!virtio_blk_writeback(vb->dev.blk[i], err))
            return false;
    return true;
}

void virt_free_devices(VirtBoard *vb)
{
    VirtDevices *dv = &vb->dev;
    for (int i = 0; i < dv->nblk; i++)
        virtio_blk_free(dv->blk[i]);
    virtio_rng_free(dv->rng);
    virtio_console_free(dv->console);
    virtio_mmio_bus_free(dv->virtio);
    pl031_free(dv->rtc);
}

/* ---- device tree ------------------------------------------------------------------------ */

static int prop_cells(void *fdt, const char *name, const uint32_t *v, int n)
{
    fdt32_t buf[8];
    for (int i = 0; i < n; i++)
        buf[i] = cpu_to_fdt32(v[i]);
    return fdt_property(fdt, name, buf, n * 4);
}

/* SHA-256(seed || label): /chosen's seeds, so one --seed gives one KASLR offset. */
static void seed_bytes(uint64_t seed, const char *label, uint8_t out[32])
{
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    uint8_t le[8];
    for (int k = 0; k < 8; k++)
        le[k] = (uint8_t)(seed >> (8 * k));
    g_checksum_update(ck, le, 8);
    g_checksum_update(ck, (const guchar *)label, (gssize)strlen(label));
    gsize len = 32;
    g_checksum_get_digest(ck, out, &len);
    g_checksum_free(ck);
}

int virt_fdt_devices(void *fdt)
{
    int r;
    char name[64];
#define T(x) do { if ((r = (x)) < 0) return r; } while (0)
    /* QEMU's create_rtc() */
    snprintf(name, sizeof name, "pl031@%llx", (unsigned long long)VIRT_RTC_BASE);
    T(fdt_begin_node(fdt, name));
    T(fdt_property_string(fdt, "clock-names", "apb_pclk"));
    T(fdt_property_cell(fdt, "clocks", PH_CLK));
    uint32_t rirq[3] = { DT_GIC_SPI, VIRT_RTC_SPI, DT_IRQ_LEVEL_HIGH };
    T(prop_cells(fdt, "interrupts", rirq, 3));
    uint32_t rreg[4] = { 0, (uint32_t)VIRT_RTC_BASE, 0, PL031_MMIO_SIZE };
    T(prop_cells(fdt, "reg", rreg, 4));
    T(fdt_property(fdt, "compatible", "arm,pl031\0arm,primecell", sizeof "arm,pl031\0arm,primecell"));
    T(fdt_end_node(fdt));

    /* QEMU's create_virtio_devices(): every transport, populated or not, lowest address
     * first; edge-triggered SPIs 16..47 */
    for (int n = 0; n < VIRTIO_MMIO_NUM; n++) {
        uint64_t base = VIRT_MMIO_BASE + (uint64_t)n * VIRTIO_MMIO_STRIDE;
        snprintf(name, sizeof name, "virtio_mmio@%llx", (unsigned long long)base);
        T(fdt_begin_node(fdt, name));
        T(fdt_property(fdt, "dma-coherent", NULL, 0));
        uint32_t irq[3] = { DT_GIC_SPI, VIRT_MMIO_SPI + (uint32_t)n, DT_IRQ_EDGE_RISING };
        T(prop_cells(fdt, "interrupts", irq, 3));
        uint32_t reg[4] = { 0, (uint32_t)base, 0, VIRTIO_MMIO_STRIDE };
        T(prop_cells(fdt, "reg", reg, 4));
        T(fdt_property_string(fdt, "compatible", "virtio,mmio"));
        T(fdt_end_node(fdt));
    }
#undef T
    return 0;
}

int virt_fdt_seeds(void *fdt, const MachineConfig *cfg)
{
    int r;
    uint8_t rng[32], kaslr[32];
    seed_bytes(cfg->seed, "rng-seed", rng);
    seed_bytes(cfg->seed, "kaslr-seed", kaslr);
    /* QEMU: 32 bytes of rng-seed and a 64-bit kaslr-seed (two cells) */
    if ((r = fdt_property(fdt, "rng-seed", rng, sizeof rng)) < 0)
        return r;
    uint64_t k;
    memcpy(&k, kaslr, 8);
    return fdt_property_u64(fdt, "kaslr-seed", k);
}
