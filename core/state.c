#include "core/state.h"
#include <stdio.h>
#include <string.h>

void state_hash_object(GChecksum *ck, const char *instance, const StateDesc *d, const void *obj)
{
    g_checksum_update(ck, (const guchar *)instance, (gssize)strlen(instance) + 1);
    for (int i = 0; i < d->nfields; i++) {
        const StateField *f = &d->fields[i];
        if (!state_field_saved(f))
            continue;
        g_checksum_update(ck, (const guchar *)f->name, (gssize)strlen(f->name) + 1);
        g_checksum_update(ck, (const guchar *)obj + f->offset, (gssize)f->elem_size * f->count);
    }
}

static void put(GByteArray *out, const void *p, size_t n)
{
    g_byte_array_append(out, p, (guint)n);
}

void state_save(GByteArray *out, const StateDesc *d, const void *obj)
{
    for (int i = 0; i < d->nfields; i++) {
        const StateField *f = &d->fields[i];
        if (!state_field_saved(f))
            continue;
        uint16_t nl = (uint16_t)strlen(f->name);
        put(out, &nl, 2);
        put(out, f->name, nl);
        put(out, &f->elem_size, 4);
        put(out, &f->count, 4);
        put(out, (const uint8_t *)obj + f->offset, (size_t)f->elem_size * f->count);
    }
}

/* One field record of a serialised object. */
typedef struct Rec {
    const char *name;
    uint16_t nl;
    uint32_t elem_size, count;
    const uint8_t *data;
} Rec;

static bool next_rec(const uint8_t *buf, size_t len, size_t *pos, Rec *r)
{
    size_t p = *pos;
    if (len - p < 2)
        return false;
    memcpy(&r->nl, buf + p, 2);
    p += 2;
    if (len - p < (size_t)r->nl + 8)
        return false;
    r->name = (const char *)buf + p;
    p += r->nl;
    memcpy(&r->elem_size, buf + p, 4);
    memcpy(&r->count, buf + p + 4, 4);
    p += 8;
    uint64_t n = (uint64_t)r->elem_size * r->count;
    if (len - p < n)
        return false;
    r->data = buf + p;
    *pos = p + n;
    return true;
}

bool state_load(const StateDesc *d, void *obj, const uint8_t *buf, size_t len, char **err)
{
    /* pass 1: every record names a saved field once, with its shape */
    const uint8_t **src = g_new0(const uint8_t *, d->nfields);
    bool ok = false;
    size_t pos = 0;
    while (pos < len) {
        Rec r;
        if (!next_rec(buf, len, &pos, &r)) {
            *err = g_strdup_printf("%s: truncated field record", d->name);
            goto out;
        }
        int i;
        for (i = 0; i < d->nfields; i++) {
            const StateField *f = &d->fields[i];
            if (state_field_saved(f) && strlen(f->name) == r.nl && !memcmp(f->name, r.name, r.nl))
                break;
        }
        if (i == d->nfields) {
            *err = g_strdup_printf("%s: unknown field '%.*s'", d->name, (int)r.nl, r.name);
            goto out;
        }
        const StateField *f = &d->fields[i];
        if (src[i]) {
            *err = g_strdup_printf("%s.%s: field appears twice", d->name, f->name);
            goto out;
        }
        if (r.elem_size != f->elem_size || r.count != f->count) {
            *err = g_strdup_printf("%s.%s: %u x %u bytes in the snapshot, %u x %u expected",
                                   d->name, f->name, r.count, r.elem_size, f->count,
                                   f->elem_size);
            goto out;
        }
        src[i] = r.data;
    }
    for (int i = 0; i < d->nfields; i++) {
        if (state_field_saved(&d->fields[i]) && !src[i]) {
            *err = g_strdup_printf("%s.%s: field missing", d->name, d->fields[i].name);
            goto out;
        }
    }
    /* pass 2: copy */
    if (obj)
        for (int i = 0; i < d->nfields; i++)
            if (src[i])
                memcpy((uint8_t *)obj + d->fields[i].offset, src[i],
                       (size_t)d->fields[i].elem_size * d->fields[i].count);
    ok = true;
out:
    g_free(src);
    return ok;
}

static int by_offset(const void *a, const void *b)
{
    const StateField *x = *(const StateField *const *)a, *y = *(const StateField *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

bool state_check_coverage(const StateDesc *d, char **err)
{
    const StateField **f = g_new(const StateField *, d->nfields);
    for (int i = 0; i < d->nfields; i++)
        f[i] = &d->fields[i];
    qsort(f, (size_t)d->nfields, sizeof f[0], by_offset);
    size_t pos = 0;
    bool ok = true;
    for (int i = 0; i < d->nfields && ok; i++) {
        size_t size = (size_t)f[i]->elem_size * f[i]->count;
        if (f[i]->offset < pos) {
            *err = g_strdup_printf("%s: '%s' overlaps the member before it", d->name, f[i]->name);
            ok = false;
        } else if (f[i]->offset > pos) {
            *err = g_strdup_printf("%s: bytes %zu..%zu before '%s' are not declared (declare "
                                   "the member, or make the padding an explicit member)",
                                   d->name, pos, f[i]->offset - 1, f[i]->name);
            ok = false;
        }
        pos = f[i]->offset + size;
    }
    if (ok && pos < d->size) {
        *err = g_strdup_printf("%s: bytes %zu..%zu at the end are not declared", d->name, pos,
                               d->size - 1);
        ok = false;
    }
    g_free(f);
    return ok;
}

uint64_t state_field_value(const StateField *f, const void *obj, uint32_t i)
{
    const uint8_t *p = (const uint8_t *)obj + f->offset + (size_t)i * f->elem_size;
    switch (f->elem_size) {
    case 1: return *p;
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    case 8: { uint64_t v; memcpy(&v, p, 8); return v; }
    default: return 0;
    }
}

bool state_validate(const StateDesc *d, const void *obj, char **err)
{
    for (int i = 0; i < d->nfields; i++) {
        const StateField *f = &d->fields[i];
        if (!state_field_saved(f) || f->vkind != VK_RANGE)
            continue;
        for (uint32_t k = 0; k < f->count; k++) {
            uint64_t v = state_field_value(f, obj, k);
            if (v < f->vmin || v > f->vmax) {
                char idx[24] = "";
                if (f->count > 1)
                    snprintf(idx, sizeof idx, "[%u]", k);
                *err = g_strdup_printf("%s%s = %llu is invalid (valid: %llu..%llu)", f->name, idx,
                                       (unsigned long long)v, (unsigned long long)f->vmin,
                                       (unsigned long long)f->vmax);
                return false;
            }
        }
    }
    return !d->check || d->check(obj, err);
}

bool state_check_validity_declared(const StateDesc *d, char **err)
{
    bool rel = false;
    for (int i = 0; i < d->nfields; i++) {
        const StateField *f = &d->fields[i];
        if (!state_field_saved(f))
            continue;
        if (f->vkind == VK_NONE) {
            *err = g_strdup_printf("%s.%s: no valid values declared (V_ANY, V_RANGE, V_BOOL or "
                                   "V_REL)", d->name, f->name);
            return false;
        }
        if (f->vkind == VK_RANGE &&
            (f->elem_size > 8 || (f->elem_size & (f->elem_size - 1)) || f->vmin > f->vmax)) {
            *err = g_strdup_printf("%s.%s: a range needs an integer field and min <= max",
                                   d->name, f->name);
            return false;
        }
        rel |= f->vkind == VK_REL;
    }
    if (rel && !d->check) {
        *err = g_strdup_printf("%s: V_REL fields but no check function", d->name);
        return false;
    }
    return true;
}
