/* Logs every device access of the cores to out=FILE: "device offset size R|W value" (hex),
 * for tests/system/plugins.sh, which rebuilds the guest's console output from the UART's
 * data-register writes. */
#include <hvsim/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HVSIM_PLUGIN_DECLARE;

static FILE *out;

static int on_mmio(void *user, const hvsim_event *e)
{
    fprintf(out, "%s %llx %u %c %llx\n", e->u.mmio.device, (unsigned long long)e->u.mmio.offset,
            e->u.mmio.size, e->u.mmio.write ? 'W' : 'R', (unsigned long long)e->u.mmio.value);
    return 0;
}

static void finish(void *user)
{
    fclose(out);
}

int hvsim_plugin_install(const hvsim_api *api, hvsim_plugin *self, int argc, const hvsim_arg *argv,
                         char **err)
{
    if (argc != 1 || strcmp(argv[0].key, "out") || !(out = fopen(argv[0].value, "w"))) {
        *err = strdup("want out=FILE (writable)");
        return 1;
    }
    hvsim_filter all = HVSIM_FILTER_ALL;
    api->at_exit(self, finish, NULL);
    return api->subscribe(self, HVSIM_EV_BIT(HVSIM_EV_MMIO), &all, on_mmio, NULL);
}
