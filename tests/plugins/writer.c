/* A plugin that tries to change guest state by calling into hvsim's internals (the bus's
 * write path): hvsim exports no such symbol, so it must be refused at load. */
#include <hvsim/plugin.h>
#include <stdbool.h>

HVSIM_PLUGIN_DECLARE;

struct Bus;
extern bool bus_write(struct Bus *b, uint64_t pa, unsigned size, uint64_t val);

int hvsim_plugin_install(const hvsim_api *api, hvsim_plugin *self, int argc, const hvsim_arg *argv,
                         char **err)
{
    bus_write((struct Bus *)0, 0x40000000, 8, 0);
    return 0;
}
