/* The virtio devices of -drive / -device (boards/virtio_devices.h), shared by the virt and pc
 * boards. */
#include "boards/virtio_devices.h"
#include <string.h>
#include "devices/virtio_blk.h"
#include "devices/virtio_console.h"
#include "devices/virtio_rng.h"

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
static const char *const virtio_names[] = { "virtio-blk-device", "virtio-rng-device",
                                            "virtio-serial-device", "virtconsole", NULL };

bool virtio_devices_owns(const char *spec)
{
    size_t n = strcspn(spec, ",");
    for (int i = 0; virtio_names[i]; i++)
        if (strlen(virtio_names[i]) == n && !strncmp(spec, virtio_names[i], n))
            return true;
    return false;
}

bool virtio_devices_check(char *const *devices, bool (*board_owns)(const char *spec),
                          const char *board_names, char **err)
{
    int nblk = 0, nrng = 0, nserial = 0, ncons = 0;
    for (char *const *s = devices; s && *s; s++) {
        if (!virtio_devices_owns(*s) && board_owns && board_owns(*s))
            continue;
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
            *err = g_strdup_printf("-device %s: unknown device (available: %s%svirtio-rng-device, "
                                   "virtio-serial-device, virtconsole; disks with -drive)",
                                   d.name, board_names ? board_names : "",
                                   board_names ? ", " : "");
            ok = false;
        }
        free_spec(&d);
        if (!ok)
            return false;
    }
    if (nblk > VIRTIO_DEV_MAX_DRIVES || nrng > 1 || nserial > 1 || ncons > 1) {
        *err = g_strdup_printf("at most %d -drive, one virtio-rng-device, one "
                               "virtio-serial-device and one virtconsole", VIRTIO_DEV_MAX_DRIVES);
        return false;
    }
    return true;
}

bool virtio_devices_have_console(char *const *devices)
{
    for (char *const *s = devices; s && *s; s++)
        if (!strcmp(*s, "virtconsole") || !strcmp(*s, "virtio-serial-device"))
            return true;
    return false;
}

static bool add_one(Machine *m, VirtioDevices *dv, const char *spec, VirtioIrqFn irq,
                    void *opaque, char **err)
{
    DevSpec d = { 0 };
    bool ok = parse_spec(spec, &d, err);
    VirtioMmio *t = NULL;
    if (ok && !strcmp(d.name, "virtio-blk-device")) {
        VirtioBlkConfig bc = { .file = g_hash_table_lookup(d.props, "file") };
        prop_onoff(&d, "readonly", &bc.readonly, err);
        prop_onoff(&d, "snapshot", &bc.snapshot, err);
        char name[16];
        snprintf(name, sizeof name, "vd%c", 'a' + dv->nblk);
        VirtioBlk *b = virtio_blk_new(m, dv->bus, name, &bc, err);
        ok = b != NULL;
        if (ok) {
            dv->blk[dv->nblk++] = b;
            t = b->t;
        }
    } else if (ok && !strcmp(d.name, "virtio-rng-device")) {
        dv->rng = virtio_rng_new(m, dv->bus, "rng0", m->cfg.seed);
        if (dv->rng)
            t = dv->rng->t;
    } else if (ok && !dv->console) {   /* virtio-serial-device or virtconsole: one port */
        dv->console = virtio_console_new(m, dv->bus, "hvc0", 0);
        if (dv->console)
            t = dv->console->t;
    }
    if (t)
        virtio_mmio_connect_irq(t, irq(opaque, t->index));
    free_spec(&d);
    return ok;
}

int virtio_devices_add(Machine *m, VirtioDevices *dv, uint64_t base, VirtioIrqFn irq,
                       void *opaque, char **err)
{
    dv->bus = virtio_mmio_bus_new(m, base);
    if (!dv->bus) {
        *err = g_strdup("cannot map the virtio-mmio transports on the bus");
        return -1;
    }
    for (char **s = m->cfg.devices; s && *s; s++)
        if (virtio_devices_owns(*s) && !add_one(m, dv, *s, irq, opaque, err))
            return -1;
    return 0;
}

bool virtio_devices_writeback(VirtioDevices *dv, char **err)
{
    for (int i = 0; i < dv->nblk; i++)
        if (!virtio_blk_writeback(dv->blk[i], err))
            return false;
    return true;
}

void virtio_devices_free(VirtioDevices *dv)
{
    for (int i = 0; i < dv->nblk; i++)
        virtio_blk_free(dv->blk[i]);
    virtio_rng_free(dv->rng);
    virtio_console_free(dv->console);
    virtio_mmio_bus_free(dv->bus);
}
