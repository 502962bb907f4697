/* A plugin built for another plugin ABI: refused at load. */
#include <hvsim/plugin.h>

__attribute__((visibility("default"))) const uint32_t hvsim_plugin_abi = HVSIM_PLUGIN_ABI_VERSION + 1000;

int hvsim_plugin_install(const hvsim_api *api, hvsim_plugin *self, int argc, const hvsim_arg *argv,
                         char **err)
{
    return 0;
}
