/* -device guest-loader: images for a hypervisor's guests at the user's addresses, and their
 * /chosen/module@0xADDR nodes (see guest_loader.h). The checks and messages are QEMU's
 * guest_loader_realize(); where QEMU loads over anything (RAM it does not check, the kernel,
 * the DTB: only ROM blobs are compared), hvsim refuses a module that leaves RAM or overlaps
 * another image, since the hypervisor would find a corrupt image. */
#include "boards/guest_loader.h"
#include <errno.h>
#include <libfdt.h>
#include <string.h>

#define SPEC_NAME "guest-loader"

/* Splits "k=v,k=v" at single commas; ",," is a literal comma (QEMU's option syntax). The
 * pieces are appended to `out`. */
static void split_opts(const char *s, GPtrArray *out)
{
    GString *cur = g_string_new(NULL);
    for (; *s; s++) {
        if (*s == ',' && s[1] == ',') {
            g_string_append_c(cur, ',');
            s++;
        } else if (*s == ',') {
            g_ptr_array_add(out, g_string_free(cur, FALSE));
            cur = g_string_new(NULL);
        } else {
            g_string_append_c(cur, *s);
        }
    }
    g_ptr_array_add(out, g_string_free(cur, FALSE));
}

static bool parse_addr(const char *v, uint64_t *out)
{
    char *end = NULL;
    if (!*v || *v == '-')
        return false;
    *out = g_ascii_strtoull(v, &end, 0);     /* QEMU's uint64 property: 0x.., 0.., decimal */
    return end && !*end && !(*out == G_MAXUINT64 && errno == ERANGE);
}

static bool parse_onoff(const char *v, bool *out)
{
    if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes"))
        *out = true;
    else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no"))
        *out = false;
    else
        return false;
    return true;
}

/* One key=value of a guest-loader (loader false) or loader spec into gm / *initrd. */
static bool parse_prop(const char *kv, bool loader, GuestModule *gm, char **initrd, char **err)
{
    const char *dev = loader ? "loader" : SPEC_NAME, *eq = strchr(kv, '=');
    if (!eq) {
        *err = g_strdup_printf("-device %s: '%s' is not key=value", dev, kv);
        return false;
    }
    g_autofree char *key = g_strndup(kv, (gsize)(eq - kv));
    const char *v = eq + 1;
    char **slot = loader ? (!strcmp(key, "file") ? &gm->file : NULL)
                         : !strcmp(key, "kernel") ? &gm->file : !strcmp(key, "initrd") ? initrd
                         : !strcmp(key, "bootargs") ? &gm->bootargs : NULL;
    if (!strcmp(key, "addr")) {
        if (!parse_addr(v, &gm->addr)) {
            *err = g_strdup_printf("-device %s: addr=%s: want a number", dev, v);
            return false;
        }
    } else if (slot) {
        g_free(*slot);
        *slot = g_strdup(v);
    } else if (loader && !strcmp(key, "force-raw")) {
        if (!parse_onoff(v, &gm->force_raw)) {
            *err = g_strdup_printf("-device loader: force-raw=%s: expected on or off", v);
            return false;
        }
    } else if (loader && (!strcmp(key, "data") || !strcmp(key, "data-len") ||
                          !strcmp(key, "data-be") || !strcmp(key, "cpu-num"))) {
        *err = g_strdup_printf("-device loader: %s= is not modelled (only file=, addr=, "
                               "force-raw=)", key);
        return false;
    } else {
        *err = g_strdup_printf("-device %s: unknown property '%s' (available: %s)", dev, key,
                               loader ? "file, addr, force-raw" : "addr, kernel, initrd, bootargs");
        return false;
    }
    return true;
}

/* QEMU's guest_loader_realize() checks, or the generic loader's for a file. */
static bool check_spec(bool loader, const GuestModule *gm, const char *initrd, char **err)
{
    if (loader && !gm->file)
        *err = g_strdup("-device loader: need file= (hvsim's loader loads files only)");
    else if (loader)
        return true;
    else if (gm->file && initrd)
        *err = g_strdup("-device guest-loader: cannot specify a kernel and initrd in the same "
                        "stanza");
    else if (!gm->file && !initrd)
        *err = g_strdup("-device guest-loader: need a kernel= or initrd= image");
    else if (!gm->addr)
        *err = g_strdup("-device guest-loader: need addr=, the address of the image");
    else if (gm->bootargs && !gm->file)
        *err = g_strdup("-device guest-loader: bootargs= is only for kernel= images");
    else
        return true;
    return false;
}

bool guest_loader_parse(const char *spec, GuestModule *gm, char **err)
{
    memset(gm, 0, sizeof *gm);
    /* no file name or command line holds one, and every message below quotes the spec */
    for (const char *p = spec; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            *err = g_strdup_printf("-device: a control character (0x%02x) in the options",
                                   (unsigned char)*p);
            return false;
        }
    GPtrArray *parts = g_ptr_array_new_with_free_func(g_free);
    split_opts(spec, parts);
    const char *name = g_ptr_array_index(parts, 0);
    bool loader = !strcmp(name, "loader");
    char *initrd = NULL;
    bool ok = loader || !strcmp(name, SPEC_NAME);
    if (!ok)
        *err = g_strdup_printf("-device %s: not a guest-loader or loader", spec);
    for (guint i = 1; ok && i < parts->len; i++)
        ok = parse_prop(g_ptr_array_index(parts, i), loader, gm, &initrd, err);
    g_ptr_array_free(parts, TRUE);
    if (ok && check_spec(loader, gm, initrd, err)) {
        gm->kind = loader     ? GUEST_MODULE_RAW
                   : gm->file ? GUEST_MODULE_KERNEL
                              : GUEST_MODULE_RAMDISK;
        if (!gm->file)
            gm->file = initrd;
        return true;
    }
    g_free(initrd);
    g_free(gm->file);
    g_free(gm->bootargs);
    memset(gm, 0, sizeof *gm);
    return false;
}

bool guest_loader_check(const MachineConfig *cfg, char **err)
{
    for (char **s = cfg->guest_loaders; s && *s; s++) {
        GuestModule gm;
        if (!guest_loader_parse(*s, &gm, err))
            return false;
        g_free(gm.file);
        g_free(gm.bootargs);
    }
    return true;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

const GuestModule *guest_loader_overlap(const GuestModules *gms, uint64_t addr, uint64_t size)
{
    for (int i = 0; i < gms->n; i++)
        if (overlaps(addr, size, gms->mod[i].addr, gms->mod[i].size))
            return &gms->mod[i];
    return NULL;
}

uint64_t guest_loader_end(const GuestModules *gms)
{
    uint64_t end = 0;
    for (int i = 0; i < gms->n; i++)
        if (gms->mod[i].addr + gms->mod[i].size > end)
            end = gms->mod[i].addr + gms->mod[i].size;
    return end;
}

/* One module against what is already in RAM. */
static bool check_place(const GuestModule *gm, const LoadInfo *li, const GuestModules *done,
                        char **err)
{
    static const char *const whats[] = { "kernel", "initrd", "image" };
    const char *what = whats[gm->kind];
    const GuestModule *o = guest_loader_overlap(done, gm->addr, gm->size);
    const char *with = NULL;
    uint64_t at = 0;
    if (overlaps(gm->addr, gm->size, li->low, li->high - li->low)) {
        with = "-kernel image";
        at = li->low;
    } else if (li->initrd_size && overlaps(gm->addr, gm->size, li->initrd_start, li->initrd_size)) {
        with = "-initrd";
        at = li->initrd_start;
    } else if (o) {
        with = o->file;
        at = o->addr;
    }
    if (!with)
        return true;
    *err = g_strdup_printf("-device %s: %s %s at 0x%llx-0x%llx overlaps %s at 0x%llx",
                           gm->kind == GUEST_MODULE_RAW ? "loader" : SPEC_NAME, what, gm->file,
                           (unsigned long long)gm->addr,
                           (unsigned long long)(gm->addr + gm->size - 1), with,
                           (unsigned long long)at);
    return false;
}

int guest_loader_load(Machine *m, const LoadInfo *li, GuestModules *out, char **err)
{
    out->mod = NULL;
    out->n = 0;
    for (char **s = m->cfg.guest_loaders; s && *s; s++) {
        GuestModule gm;
        if (!guest_loader_parse(*s, &gm, err))
            return -1;
        out->mod = g_renew(GuestModule, out->mod, out->n + 1);
        out->mod[out->n] = gm;
        GuestModule *p = &out->mod[out->n];
        static const char *const whats[] = { "guest kernel", "guest initrd", "loader image" };
        bool bad = loader_load_at(m, p->file, whats[p->kind], p->addr, &p->size, err) < 0 ||
                   !check_place(p, li, out, err);
        out->n++;
        if (!bad && p->kind == GUEST_MODULE_RAW && !p->force_raw &&
            !memcmp(m->ram + (p->addr - m->ram_base), "\177ELF", p->size < 4 ? p->size : 4)) {
            /* QEMU's generic loader would load the segments: hvsim's loads bytes only */
            *err = g_strdup_printf("-device loader: %s is an ELF file; hvsim loads it only as "
                                   "bytes, with force-raw=on", p->file);
            bad = true;
        }
        if (bad)
            return -1;
    }
    return 0;
}

int guest_loader_fdt_room(const GuestModules *gms)
{
    int room = 0;
    for (int i = 0; i < gms->n; i++)
        room += 256 + (gms->mod[i].bootargs ? (int)strlen(gms->mod[i].bootargs) : 0);
    return room;
}

int guest_loader_fdt(void *fdt, int chosen, const GuestModules *gms)
{
    static const char kernel_compat[] = "multiboot,module\0multiboot,kernel";
    static const char ramdisk_compat[] = "multiboot,module\0multiboot,ramdisk";
    for (int i = 0; i < gms->n; i++) {
        const GuestModule *gm = &gms->mod[i];
        if (gm->kind == GUEST_MODULE_RAW)
            continue;
        char name[48];
        /* QEMU's name: "module@0x%08" PRIx64 (with the 0x) */
        snprintf(name, sizeof name, "module@0x%08llx", (unsigned long long)gm->addr);
        int node = fdt_subnode_offset(fdt, chosen, name);
        if (node == -FDT_ERR_NOTFOUND)
            node = fdt_add_subnode(fdt, chosen, name);
        if (node < 0)
            return node;
        /* QEMU writes reg as two 64-bit numbers whatever /#address-cells says */
        fdt64_t reg[2] = { cpu_to_fdt64(gm->addr), cpu_to_fdt64(gm->size) };
        int r = fdt_setprop(fdt, node, "reg", reg, sizeof reg);
        bool k = gm->kind == GUEST_MODULE_KERNEL;
        if (r >= 0)
            r = fdt_setprop(fdt, node, "compatible", k ? kernel_compat : ramdisk_compat,
                            k ? sizeof kernel_compat : sizeof ramdisk_compat);
        if (r >= 0 && gm->bootargs)
            r = fdt_setprop_string(fdt, node, "bootargs", gm->bootargs);
        if (r < 0)
            return r;
    }
    return 0;
}

void guest_loader_free(GuestModules *gms)
{
    for (int i = 0; i < gms->n; i++) {
        g_free(gms->mod[i].file);
        g_free(gms->mod[i].bootargs);
    }
    g_free(gms->mod);
    gms->mod = NULL;
    gms->n = 0;
}
