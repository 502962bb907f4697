/* Plugins (see plugins.h and include/hvsim/plugin.h).
 *
 * Loaded with dlopen(RTLD_NOW | RTLD_LOCAL): every symbol a plugin needs is resolved at load,
 * and hvsim's executable exports none of its own (it is not linked with -rdynamic), so a
 * plugin that calls into hvsim's internals — the only way to a write path, the API having
 * none — fails to load with the symbol's name instead of running. (GLib's GModule wraps the
 * same call; dlopen's flags say exactly what we rely on.) */
#include "debug/plugins.h"
#include <dlfcn.h>
#include <string.h>
#include "debug/symbols.h"
#include "include/hvsim/plugin.h"

#define PLUGIN_MAX_SUBS 8
#define PLUGIN_MAX_HOOKS 4

typedef struct PluginSub {
    struct hvsim_plugin *p;
    hvsim_event_fn fn;
    void *user;
} PluginSub;

typedef struct PluginHook {
    void *fn;                 /* hvsim_stats_fn or the at_exit function */
    void *user;
} PluginHook;

struct hvsim_plugin {
    Plugins *host;
    char *name;               /* file name without directory and ".so" */
    void *dl;
    PluginSub subs[PLUGIN_MAX_SUBS];
    int nsubs;
    PluginHook stats[PLUGIN_MAX_HOOKS], exits[PLUGIN_MAX_HOOKS];
    int nstats, nexits;
    char *stop_reason;
};

struct Plugins {
    Machine *m;
    DbgSymbols syms;
    bool syms_loaded;
    GPtrArray *list;          /* struct hvsim_plugin * in load order */
    const char *stopped_by;   /* the reason of the plugin that asked for the stop */
    hvsim_api api;            /* the table every plugin gets (with the machine's core count) */
};

struct hvsim_stats_sink {
    const StatsSink *sink;
    const char *prefix;
};

_Static_assert((int)HVSIM_EV_NKINDS == (int)EV_NKINDS, "plugin.h and core/events.h list the same kinds");

/* The neutral event as the plugin ABI lays it out (fixed-width fields, its own copy). */
static void to_public(const EvInfo *e, hvsim_event *o)
{
    memset(o, 0, sizeof *o);
    o->kind = (uint32_t)e->kind;
    o->cpu = e->cpu;
    o->el = e->el;
    o->vmid = e->vmid;
    o->pc = e->pc;
    o->time_ps = e->time;
    switch (e->kind) {
    case EV_INSN:
        o->u.insn.raw = e->u.insn.raw;
        break;
    case EV_MEM:
        o->u.mem.va = e->u.mem.addr;
        o->u.mem.pa = e->u.mem.pa;
        o->u.mem.size = e->u.mem.size;
        o->u.mem.write = e->u.mem.write;
        break;
    case EV_EXC_TAKEN:
    case EV_EXC_RETURN:
        o->u.exc.to_el = e->u.exc.to_el;
        o->u.exc.syndrome = e->u.exc.syndrome;
        if (e->kind == EV_EXC_TAKEN)
            o->u.exc.vec = (uint32_t)e->u.exc.vector;
        break;
    case EV_VM_EXIT:
    case EV_VM_ENTRY:
        o->u.vm.reason = (uint32_t)e->u.vm.reason;
        o->u.vm.reason_name = e->u.vm.reason_name;
        o->u.vm.syndrome = e->u.vm.syndrome;
        o->u.vm.cycles = e->u.vm.cycles;
        break;
    case EV_WALK:
        o->u.walk.va = e->u.walk.addr;
        o->u.walk.pa = e->u.walk.pa;
        o->u.walk.access = (uint32_t)e->u.walk.access;
        o->u.walk.fault = e->u.walk.fault;
        memcpy(o->u.walk.refs, e->u.walk.refs, sizeof o->u.walk.refs);
        o->u.walk.desc = e->u.walk.desc;
        o->u.walk.desc_stage_level = e->u.walk.desc_sl;
        o->u.walk.ndesc = e->u.walk.ndesc;
        break;
    case EV_MMIO:
        o->u.mmio.va = e->u.mmio.addr;
        o->u.mmio.pa = e->u.mmio.pa;
        o->u.mmio.offset = e->u.mmio.offset;
        o->u.mmio.value = e->u.mmio.value;
        o->u.mmio.size = e->u.mmio.size;
        o->u.mmio.write = e->u.mmio.write;
        o->u.mmio.device = e->u.mmio.device;
        break;
    case EV_IRQ:
        o->u.irq.stage = (uint32_t)e->u.irq.stage;
        o->u.irq.stage_name = e->u.irq.stage_name;
        o->u.irq.intid = e->u.irq.intid;
        o->u.irq.virt = e->u.irq.virt;
        o->u.irq.lr = e->u.irq.lr;
        o->u.irq.value = e->u.irq.value;
        break;
    case EV_TLBI:
        o->u.tlbi.op = e->u.tlbi.op;
        o->u.tlbi.va = e->u.tlbi.addr;
        o->u.tlbi.by_va = e->u.tlbi.by_va;
        o->u.tlbi.broadcast = e->u.tlbi.broadcast;
        break;
    case EV_FWCALL:
        o->u.call.fid = e->u.call.fid;
        o->u.call.result = e->u.call.result;
        o->u.call.conduit = e->u.call.conduit;
        o->u.call.name = e->u.call.name;
        break;
    case EV_SNAPSHOT:
        o->u.snap.file = e->u.snap.file;
        o->u.snap.restore = e->u.snap.restore;
        break;
    case EV_DECODE:
        o->u.insn.raw = e->u.insn.raw;
        break;
    case EV_UNIMP:
        o->u.unimp.raw = e->u.unimp.raw;
        o->u.unimp.what = e->u.unimp.what;
        break;
    case EV_TIMING:
        o->u.timing.what = e->u.timing.what;
        o->u.timing.count = e->u.timing.count;
        o->u.timing.va = e->u.timing.addr;
        o->u.timing.pa = e->u.timing.pa;
        o->u.timing.cycles = e->u.timing.cycles;
        break;
    default:
        break;
    }
}

static bool deliver(void *opaque, const EvInfo *e)
{
    PluginSub *s = opaque;
    hvsim_event pe;
    to_public(e, &pe);
    if (!s->fn(s->user, &pe))
        return false;
    Plugins *ps = s->p->host;
    if (!ps->stopped_by) {
        if (!s->p->stop_reason)
            s->p->stop_reason = g_strdup_printf("stopped by plugin %s", s->p->name);
        ps->stopped_by = s->p->stop_reason;
    }
    return true;
}

/* ---- the API table ---- */
static int api_subscribe(hvsim_plugin *p, uint32_t kinds, const hvsim_filter *f, hvsim_event_fn fn,
                         void *user)
{
    if (p->nsubs == PLUGIN_MAX_SUBS || !fn || (kinds & ~((1u << EV_NKINDS) - 1)))
        return -1;
    PluginSub *s = &p->subs[p->nsubs];
    *s = (PluginSub){ p, fn, user };
    EvFilter ef = f ? (EvFilter){ f->cpu, f->el, f->vmid, f->lo, f->hi } : EV_FILTER_ALL;
    if (!ev_subscribe(&p->host->m->events, kinds, EV_PRIO_PLUGIN, &ef, deliver, s))
        return -1;
    p->nsubs++;
    return 0;
}

static void *cpu_obj(hvsim_plugin *p, int cpu, const CpuClass **cls)
{
    Machine *m = p->host->m;
    if (cpu < 0 || cpu >= m->ncpus)
        return NULL;
    *cls = m->cpus[cpu].cls;
    return m->cpus[cpu].obj;
}

static int api_read_reg(hvsim_plugin *p, int cpu, const char *name, uint64_t *v)
{
    const CpuClass *cls;
    void *c = cpu_obj(p, cpu, &cls);
    return c && name && v && cls->peek_reg && cls->peek_reg(c, name, v) ? 0 : -1;
}

static int api_read_virt(hvsim_plugin *p, int cpu, uint64_t va, void *buf, uint64_t len)
{
    const CpuClass *cls;
    void *c = cpu_obj(p, cpu, &cls);
    return c && buf && cls->peek_virt && cls->peek_virt(c, va, buf, len) ? 0 : -1;
}

static int api_read_phys(hvsim_plugin *p, uint64_t pa, void *buf, uint64_t len)
{
    const uint8_t *host = bus_ram_ptr(&p->host->m->bus, pa, len);
    if (!host || !buf)
        return -1;
    memcpy(buf, host, len);
    return 0;
}

static const char *api_symbol(hvsim_plugin *p, uint64_t pc, uint64_t *off)
{
    uint64_t o = 0;
    const DbgSymbol *s = p->host->syms_loaded ? dbg_symbol_at(&p->host->syms, pc, &o) : NULL;
    if (s && off)
        *off = o;
    return s ? s->name : NULL;
}

static uint64_t api_icount(hvsim_plugin *p)
{
    return machine_icount_exact(p->host->m);
}

static void api_add_stats(hvsim_plugin *p, hvsim_stats_fn fn, void *user)
{
    if (p->nstats < PLUGIN_MAX_HOOKS && fn)
        p->stats[p->nstats++] = (PluginHook){ (void *)fn, user };
}

static void api_stat(const hvsim_stats_sink *s, const char *name, uint64_t value, const char *unit,
                     const char *desc)
{
    char *full = g_strdup_printf("%s%s", s->prefix, name);
    stats_emit(s->sink, full, value, unit ? unit : "", desc ? desc : "");
    g_free(full);
}

static void api_stat_histogram(const hvsim_stats_sink *s, const char *name, uint32_t n,
                               const uint64_t *bounds, const uint64_t *counts, const char *unit,
                               const char *desc)
{
    if (!name || !counts || !bounds || n == 0 || n > 4096)
        return;
    char *full = g_strdup_printf("%s%s", s->prefix, name);
    stats_emit_histogram(s->sink, full, n, bounds, counts, unit ? unit : "", desc ? desc : "");
    g_free(full);
}

static void api_at_exit(hvsim_plugin *p, void (*fn)(void *user), void *user)
{
    if (p->nexits < PLUGIN_MAX_HOOKS && fn)
        p->exits[p->nexits++] = (PluginHook){ (void *)fn, user };
}

static void api_set_stop_reason(hvsim_plugin *p, const char *reason)
{
    g_free(p->stop_reason);
    p->stop_reason = g_strdup_printf("plugin %s: %s", p->name, reason ? reason : "stop");
}

static const hvsim_api api = {
    .abi_version = HVSIM_PLUGIN_ABI_VERSION,
    .subscribe = api_subscribe,
    .read_reg = api_read_reg,
    .read_virt = api_read_virt,
    .read_phys = api_read_phys,
    .symbol = api_symbol,
    .icount = api_icount,
    .add_stats = api_add_stats,
    .stat = api_stat,
    .at_exit = api_at_exit,
    .set_stop_reason = api_set_stop_reason,
    .stat_histogram = api_stat_histogram,
};

/* Statistics of every plugin, under plugin.NAME. (one provider for all of them) */
static void dump_stats(void *opaque, const StatsSink *sink)
{
    Plugins *ps = opaque;
    for (guint i = 0; i < ps->list->len; i++) {
        hvsim_plugin *p = g_ptr_array_index(ps->list, i);
        char *prefix = g_strdup_printf("plugin.%s.", p->name);
        struct hvsim_stats_sink s = { sink, prefix };
        for (int k = 0; k < p->nstats; k++)
            ((hvsim_stats_fn)p->stats[k].fn)(p->stats[k].user, &s);
        g_free(prefix);
    }
}

static void plugin_free(hvsim_plugin *p)
{
    for (int i = 0; i < p->nsubs; i++)
        ev_unsubscribe(&p->host->m->events, deliver, &p->subs[i]);
    if (p->dl)
        dlclose(p->dl);
    g_free(p->name);
    g_free(p->stop_reason);
    g_free(p);
}

/* "p.so,out=f,top=10" -> path and arguments (strings into parts) */
static const char *split_spec(char **parts, GArray *args)
{
    for (int i = 1; parts[i]; i++) {
        char *eq = strchr(parts[i], '=');
        hvsim_arg a = { parts[i], "" };
        if (eq) {
            *eq = 0;
            a.value = eq + 1;
        }
        g_array_append_val(args, a);
    }
    return parts[0];
}

bool plugins_load(Plugins **pps, Machine *m, const char *spec, const char *kernel, char **err)
{
    if (!*pps) {
        Plugins *ps = g_new0(Plugins, 1);
        ps->m = m;
        ps->list = g_ptr_array_new();
        char *serr = NULL;
        ps->syms_loaded = kernel && dbg_symbols_load(&ps->syms, kernel, &serr);
        g_free(serr);         /* not ELF or no symbols: api->symbol() finds none */
        ps->api = api;
        ps->api.ncpus = (uint32_t)m->ncpus;
        machine_add_stats(m, dump_stats, ps);
        *pps = ps;
    }
    Plugins *ps = *pps;
    char **parts = g_strsplit(spec, ",", -1);
    GArray *args = g_array_new(FALSE, FALSE, sizeof(hvsim_arg));
    const char *path = split_spec(parts, args);
    hvsim_plugin *p = g_new0(hvsim_plugin, 1);
    p->host = ps;
    char *base = g_path_get_basename(path);
    p->name = g_str_has_suffix(base, ".so") ? g_strndup(base, strlen(base) - 3) : g_strdup(base);
    g_free(base);
    bool ok = false;
    /* a bare name would be searched for in the library path: always a file */
    char *file = strchr(path, '/') ? g_strdup(path) : g_strdup_printf("./%s", path);
    p->dl = *path ? dlopen(file, RTLD_NOW | RTLD_LOCAL) : NULL;
    g_free(file);
    const uint32_t *abi;
    int (*install)(const hvsim_api *, hvsim_plugin *, int, const hvsim_arg *, char **);
    if (!p->dl) {
        const char *why = *path ? dlerror() : "no file named";
        /* dlerror() names the file already; an unresolved symbol is the refusal in plugins.h */
        if (strstr(why, "undefined symbol"))
            *err = g_strdup_printf("plugin %s: refused: it calls into hvsim outside the plugin "
                                   "API (%s)", path, why);
        else
            *err = g_strdup_printf("plugin %s: cannot load: %s", path, why);
    } else if (!(abi = dlsym(p->dl, "hvsim_plugin_abi"))) {
        *err = g_strdup_printf("plugin %s: no hvsim_plugin_abi (built without HVSIM_PLUGIN_DECLARE?)", path);
    } else if (*abi != HVSIM_PLUGIN_ABI_VERSION) {
        *err = g_strdup_printf("plugin %s: built for plugin ABI %u, this hvsim has ABI %u: rebuild it "
                               "against this hvsim's include/hvsim/plugin.h", path, *abi,
                               HVSIM_PLUGIN_ABI_VERSION);
    } else if (!(*(void **)&install = dlsym(p->dl, "hvsim_plugin_install"))) {
        *err = g_strdup_printf("plugin %s: no hvsim_plugin_install function", path);
    } else {
        char *perr = NULL;
        int rc = install(&ps->api, p, (int)args->len, (const hvsim_arg *)(void *)args->data, &perr);
        if (rc) {
            *err = g_strdup_printf("plugin %s: %s", path, perr ? perr : "its install function failed");
            free(perr);       /* the plugin's malloc */
        } else {
            ok = true;
        }
    }
    g_array_free(args, TRUE);
    g_strfreev(parts);
    if (!ok) {
        plugin_free(p);
        return false;
    }
    g_ptr_array_add(ps->list, p);
    return true;
}

void plugins_at_exit(Plugins *ps)
{
    if (!ps)
        return;
    for (guint i = 0; i < ps->list->len; i++) {
        hvsim_plugin *p = g_ptr_array_index(ps->list, i);
        for (int k = 0; k < p->nexits; k++)
            ((void (*)(void *))p->exits[k].fn)(p->exits[k].user);
    }
}

const char *plugins_stop_reason(const Plugins *ps)
{
    return ps ? ps->stopped_by : NULL;
}

void plugins_free(Plugins *ps)
{
    if (!ps)
        return;
    for (guint i = 0; i < ps->list->len; i++)
        plugin_free(g_ptr_array_index(ps->list, i));
    g_ptr_array_free(ps->list, TRUE);
    if (ps->syms_loaded)
        dbg_symbols_free(&ps->syms);
    g_free(ps);
}
