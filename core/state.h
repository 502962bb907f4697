/* State descriptions: every stateful object lists its fields so that the state hash,
 * snapshots and the console's `info` commands are driven by one table. */
#ifndef HVSIM_CORE_STATE_H
#define HVSIM_CORE_STATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/* Every member of a described struct is declared, in one of three kinds:
 *   STATE_FIELD / STATE_ARRAY  machine state: hashed, saved in snapshots;
 *   STATE_DERIVED              rebuilt from the saved fields after a load (post_load);
 *   STATE_RUNTIME              wiring and caches that are not machine state (pointers,
 *                              configuration, decoded code), or state saved elsewhere.
 * state_check_coverage() proves that nothing else is in the struct but padding, so a member
 * added without a declaration fails the unit tests instead of a user's experiment. */
enum { SF_DERIVED = 1, SF_RUNTIME = 2 };

typedef struct StateField {
    const char *name;
    size_t offset;
    uint32_t elem_size;       /* bytes per element */
    uint32_t count;           /* array length (1 for scalars) */
    uint32_t flags;
    uint32_t align;           /* alignment of the member's type */
} StateField;

#define STATE_MEMBER_(type, field, flags) \
    { #field, offsetof(type, field), sizeof(((type *)0)->field), 1, flags, \
      __alignof__(((type *)0)->field) }
#define STATE_FIELD(type, field) STATE_MEMBER_(type, field, 0)
#define STATE_ARRAY(type, field) \
    { #field, offsetof(type, field), sizeof(((type *)0)->field[0]), \
      sizeof(((type *)0)->field) / sizeof(((type *)0)->field[0]), 0, \
      __alignof__(((type *)0)->field[0]) }
#define STATE_DERIVED(type, field) STATE_MEMBER_(type, field, SF_DERIVED)
#define STATE_RUNTIME(type, field) STATE_MEMBER_(type, field, SF_RUNTIME)

typedef struct StateDesc {
    const char *name;         /* type name, e.g. "pl011" */
    const StateField *fields;
    int nfields;
    size_t size;              /* sizeof the struct */
    size_t align;
} StateDesc;

#define STATE_DESC(nm, type, arr) \
    { nm, arr, (int)(sizeof(arr) / sizeof(arr[0])), sizeof(type), __alignof__(type) }

static inline bool state_field_saved(const StateField *f)
{
    return !(f->flags & (SF_DERIVED | SF_RUNTIME));
}

/* Feeds every saved field of obj into a running checksum (name, then bytes). */
void state_hash_object(GChecksum *ck, const char *instance, const StateDesc *d, const void *obj);

/* Appends obj's saved fields to out in the self-describing form
 *   per field: u16 name length, name, u32 element size, u32 count, element bytes
 * (host byte order; snapshot files record the byte order in their header). */
void state_save(GByteArray *out, const StateDesc *d, const void *obj);
/* Checks that buf[0..len) holds exactly the saved fields of d (each by name once, with the
 * same element size and count, in any order). With obj non-NULL and the check passed, copies
 * the fields into obj. Returns false with a one-line *err (g_free) naming the first problem;
 * obj is then untouched. */
bool state_load(const StateDesc *d, void *obj, const uint8_t *buf, size_t len, char **err);
/* True if every byte of the struct is declared. Padding cannot be told apart from an
 * undeclared small member, so described structs keep their padding as explicit members
 * (declared STATE_RUNTIME). On false, *err names the first undeclared byte range. */
bool state_check_coverage(const StateDesc *d, char **err);
#endif
