/* Hot-PC profile: how often each instruction address executed, the top N written at exit
 * with the symbol around each (from the -kernel ELF), ties broken by address so the output
 * is the same on every run.
 *
 *   --plugin build/plugins/hotpc.so[,out=FILE][,top=N][,el=N]
 *
 * Writes "count pc symbol+0xoff" lines (default: the top 20, on stderr). */
#include <hvsim/plugin.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HVSIM_PLUGIN_DECLARE;

typedef struct Pc {
    uint64_t pc, count;
} Pc;
static const hvsim_api *api;
static hvsim_plugin *me;
static GHashTable *pcs;       /* pc -> Pc */
static char *out_path;
static int top = 20;

static int on_insn(void *user, const hvsim_event *e)
{
    Pc *p = g_hash_table_lookup(pcs, &e->pc);
    if (!p) {
        p = g_new0(Pc, 1);
        p->pc = e->pc;
        g_hash_table_insert(pcs, &p->pc, p);
    }
    p->count++;
    return 0;
}

static gint hotter(gconstpointer a, gconstpointer b)
{
    const Pc *x = *(Pc *const *)a, *y = *(Pc *const *)b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return x->pc < y->pc ? -1 : x->pc > y->pc;
}

static void finish(void *user)
{
    FILE *f = out_path ? fopen(out_path, "w") : stderr;
    if (!f) {
        fprintf(stderr, "hotpc: cannot write %s\n", out_path);
        f = stderr;
    }
    GPtrArray *all = g_ptr_array_new();
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, pcs);
    while (g_hash_table_iter_next(&it, &key, &value))
        g_ptr_array_add(all, value);
    g_ptr_array_sort(all, hotter);
    for (guint i = 0; i < all->len && (int)i < top; i++) {
        const Pc *p = g_ptr_array_index(all, i);
        uint64_t off = 0;
        const char *sym = api->symbol(me, p->pc, &off);
        fprintf(f, "%llu 0x%016llx", (unsigned long long)p->count, (unsigned long long)p->pc);
        if (sym)
            fprintf(f, off ? " %s+0x%llx" : " %s", sym, (unsigned long long)off);
        fprintf(f, "\n");
    }
    g_ptr_array_free(all, TRUE);
    if (f != stderr)
        fclose(f);
    g_hash_table_destroy(pcs);
    free(out_path);
}

int hvsim_plugin_install(const hvsim_api *a, hvsim_plugin *self, int argc, const hvsim_arg *argv,
                         char **err)
{
    api = a;
    me = self;
    hvsim_filter f = HVSIM_FILTER_ALL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i].key, "out")) {
            out_path = strdup(argv[i].value);
        } else if (!strcmp(argv[i].key, "top") && atoi(argv[i].value) > 0) {
            top = atoi(argv[i].value);
        } else if (!strcmp(argv[i].key, "el")) {
            f.el = atoi(argv[i].value);
        } else {
            *err = strdup("unknown argument (want out=FILE, top=N, el=N)");
            return 1;
        }
    }
    pcs = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
    if (api->subscribe(self, HVSIM_EV_BIT(HVSIM_EV_INSN), &f, on_insn, NULL))
        return 1;
    api->at_exit(self, finish, NULL);
    return 0;
}
