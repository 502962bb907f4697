#include "core/state.h"

void state_hash_object(GChecksum *ck, const char *instance, const StateDesc *d, const void *obj)
{
    g_checksum_update(ck, (const guchar *)instance, (gssize)strlen(instance) + 1);
    for (int i = 0; i < d->nfields; i++) {
        const StateField *f = &d->fields[i];
        if (f->flags & SF_DERIVED)
            continue;
        g_checksum_update(ck, (const guchar *)f->name, (gssize)strlen(f->name) + 1);
        g_checksum_update(ck, (const guchar *)obj + f->offset, (gssize)f->elem_size * f->count);
    }
}
