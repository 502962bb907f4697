/* State descriptions: every stateful object lists its fields so that the state hash,
 * snapshots and the console's `info` commands are driven by one table. */
#ifndef HVSIM_CORE_STATE_H
#define HVSIM_CORE_STATE_H
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

enum { SF_DERIVED = 1 };   /* rebuilt after load; not hashed or saved */

typedef struct StateField {
    const char *name;
    size_t offset;
    uint32_t elem_size;       /* bytes per element */
    uint32_t count;           /* array length (1 for scalars) */
    uint32_t flags;
} StateField;

#define STATE_FIELD(type, field) \
    { #field, offsetof(type, field), sizeof(((type *)0)->field), 1, 0 }
#define STATE_ARRAY(type, field) \
    { #field, offsetof(type, field), sizeof(((type *)0)->field[0]), \
      sizeof(((type *)0)->field) / sizeof(((type *)0)->field[0]), 0 }
#define STATE_DERIVED(type, field) \
    { #field, offsetof(type, field), sizeof(((type *)0)->field), 1, SF_DERIVED }

typedef struct StateDesc {
    const char *name;         /* type name, e.g. "pl011" */
    const StateField *fields;
    int nfields;
} StateDesc;

#define STATE_DESC(nm, arr) { nm, arr, (int)(sizeof(arr) / sizeof(arr[0])) }

/* Feeds every non-derived field of obj into a running checksum (name, then bytes). */
void state_hash_object(GChecksum *ck, const char *instance, const StateDesc *d, const void *obj);
#endif
