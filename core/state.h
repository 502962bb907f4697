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

/* Which values of a saved field are valid. A snapshot is input from outside: the loader
 * checks every saved field before it loads anything, so an impossible machine (an EL the core
 * does not have, a FIFO position past the FIFO) is refused instead of run. Every saved field
 * declares one of:
 *   V_ANY          every bit pattern is a state the machine can be in (registers, memory);
 *   V_RANGE(lo,hi) each element (read as an unsigned integer of its size) in [lo, hi];
 *   V_BOOL         V_RANGE(0, 1);
 *   V_REL          valid values depend on other fields or on the configuration: the
 *                  description's check function decides (it must have one).
 * VK_NONE (nothing declared) fails the coverage test. */
enum { VK_NONE = 0, VK_ANY, VK_RANGE, VK_REL };
#define V_ANY .vkind = VK_ANY
#define V_RANGE(lo, hi) .vkind = VK_RANGE, .vmin = (lo), .vmax = (hi)
#define V_BOOL V_RANGE(0, 1)
#define V_REL .vkind = VK_REL

typedef struct StateField {
    const char *name;
    size_t offset;
    uint32_t elem_size;       /* bytes per element */
    uint32_t count;           /* array length (1 for scalars) */
    uint32_t flags;
    uint32_t align;           /* alignment of the member's type */
    uint32_t vkind;           /* VK_* */
    uint64_t vmin, vmax;      /* VK_RANGE */
} StateField;

#define STATE_MEMBER_(type, field, fl) \
    .name = #field, .offset = offsetof(type, field), .elem_size = sizeof(((type *)0)->field), \
    .count = 1, .flags = (fl), .align = __alignof__(((type *)0)->field)
/* A saved scalar or array and its valid values: STATE_FIELD(Pl011, rx_pos, V_RANGE(0, 15)). */
#define STATE_FIELD(type, field, valid) { STATE_MEMBER_(type, field, 0), valid }
#define STATE_ARRAY(type, field, valid) \
    { .name = #field, .offset = offsetof(type, field), \
      .elem_size = sizeof(((type *)0)->field[0]), \
      .count = sizeof(((type *)0)->field) / sizeof(((type *)0)->field[0]), .flags = 0, \
      .align = __alignof__(((type *)0)->field[0]), valid }
#define STATE_DERIVED(type, field) { STATE_MEMBER_(type, field, SF_DERIVED) }
#define STATE_RUNTIME(type, field) { STATE_MEMBER_(type, field, SF_RUNTIME) }

/* Checks the relations among an object's fields (its V_REL fields). obj is a staged copy:
 * the saved fields as loaded, everything else as in the live object (configuration and
 * wiring are valid there). Returns false with a one-line *err (g_free) naming the field. */
typedef bool (*StateCheckFn)(const void *obj, char **err);

typedef struct StateDesc {
    const char *name;         /* type name, e.g. "pl011" */
    const StateField *fields;
    int nfields;
    size_t size;              /* sizeof the struct */
    size_t align;
    StateCheckFn check;       /* relations (V_REL fields), or NULL */
} StateDesc;

#define STATE_DESC(nm, type, arr) \
    { nm, arr, (int)(sizeof(arr) / sizeof(arr[0])), sizeof(type), __alignof__(type), NULL }
#define STATE_DESC_CHECKED(nm, type, arr, fn) \
    { nm, arr, (int)(sizeof(arr) / sizeof(arr[0])), sizeof(type), __alignof__(type), fn }

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
/* Checks obj's saved fields against their declared values (V_RANGE), then the description's
 * relations (V_REL). false with a one-line *err (g_free) naming the field and the value. */
bool state_validate(const StateDesc *d, const void *obj, char **err);
/* True if every saved field declares its valid values (and a description with V_REL fields
 * has a check function). On false, *err names the first field without. */
bool state_check_validity_declared(const StateDesc *d, char **err);
/* The value of element i of field f of obj, as an unsigned integer (elements of 1, 2, 4 or
 * 8 bytes). */
uint64_t state_field_value(const StateField *f, const void *obj, uint32_t i);
/* True if every byte of the struct is declared. Padding cannot be told apart from an
 * undeclared small member, so described structs keep their padding as explicit members
 * (declared STATE_RUNTIME). On false, *err names the first undeclared byte range. */
bool state_check_coverage(const StateDesc *d, char **err);
#endif
