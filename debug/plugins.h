/* Plugins (include/hvsim/plugin.h): loading, the ABI check, and the host side of the API —
 * subscriptions on the event stream, read-only accessors, statistics, the exit hook. */
#ifndef HVSIM_DEBUG_PLUGINS_H
#define HVSIM_DEBUG_PLUGINS_H
#include <stdbool.h>
#include "core/machine.h"

typedef struct Plugins Plugins;

/* Loads the plugin named by spec ("PATH[,key=value...]") into m. kernel (may be NULL) is the
 * ELF whose symbols api->symbol() looks up. false with a one-line *err (g_free) when the
 * file cannot be loaded (missing, not a shared object, needing a symbol hvsim does not
 * export), its ABI differs, or its install function fails. */
bool plugins_load(Plugins **ps, Machine *m, const char *spec, const char *kernel, char **err);
/* The run has ended: calls every plugin's at_exit functions (in load order). */
void plugins_at_exit(Plugins *ps);
/* The reason a plugin gave for the stop it requested, or NULL when none asked. */
const char *plugins_stop_reason(const Plugins *ps);
/* Unsubscribes and unloads every plugin. */
void plugins_free(Plugins *ps);
#endif
