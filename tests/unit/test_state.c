/* State descriptions: completeness (every byte of every described struct is declared) and
 * the save/load round trip with pattern bytes, for every object a full virt machine has;
 * state_load's refusals. */
#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>
#include <unistd.h>
#include "boards/virt.h"
#include "core/machine.h"
#include "core/state.h"

static Machine *full_machine(void)
{
    char *path = g_strdup_printf("/tmp/state-test-%d.bin", (int)getpid());
    static const uint32_t loop = 0x14000000u;   /* b . */
    cr_assert(g_file_set_contents(path, (const char *)&loop, 4, NULL));
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    cfg.ram_size = 64ULL << 20;
    cfg.smp = 2;
    cfg.virtualization = true;
    g_free(cfg.cpu_model);
    cfg.cpu_model = g_strdup("max");
    g_free(cfg.kernel);
    cfg.kernel = path;
    /* every optional device too (a disk image of one sector) */
    char *img = g_strdup_printf("/tmp/state-test-%d.img", (int)getpid());
    static const uint8_t sector[512];
    cr_assert(g_file_set_contents(img, (const char *)sector, sizeof sector, NULL));
    char *blk = g_strdup_printf("virtio-blk-device,file=%s", img);
    const char *devs[] = { blk, "virtio-rng-device", "virtconsole", NULL };
    cfg.devices = g_strdupv((char **)devs);
    char *err = NULL;
    Machine *m = virt_create(&cfg, &err);
    cr_assert_not_null(m, "virt_create: %s", err ? err : "?");
    unlink(path);
    unlink(img);
    g_free(img);
    g_free(blk);
    machine_config_free(&cfg);
    return m;
}

/* Every complete state description the machine uses: its objects, its cores, their clocks. */
static int machine_descs(Machine *m, const StateDesc **out, int max)
{
    int n = 0;
    for (int i = 0; i < m->nobjects && n < max; i++)
        out[n++] = m->objects[i].desc;
    for (int i = 0; i < m->ncpus && n < max; i++)
        out[n++] = m->cpus[i].cls->desc;
    if (n < max)
        out[n++] = &machine_cpu_state_desc;   /* each core's clock (machine_state_desc covers
                                                * only some fields of Machine) */
    return n;
}

Test(state, every_struct_is_fully_declared)
{
    Machine *m = full_machine();
    const StateDesc *d[MACHINE_MAX_OBJECTS + MACHINE_MAX_CPUS + 1];
    int n = machine_descs(m, d, (int)G_N_ELEMENTS(d));
    cr_assert_gt(n, 8, "a 2-core virt machine has more than 8 described objects, saw %d", n);
    for (int i = 0; i < n; i++) {
        char *err = NULL;
        cr_expect(state_check_coverage(d[i], &err), "%s", err ? err : "");
        g_free(err);
        err = NULL;
        cr_expect(state_check_validity_declared(d[i], &err), "%s", err ? err : "");
        g_free(err);
    }
    char *err = NULL;
    cr_expect(state_check_validity_declared(&machine_state_desc, &err), "%s", err ? err : "");
    g_free(err);
    machine_free(m);
}

/* A fresh machine is valid by its own descriptions (the loader would accept it). */
Test(state, a_fresh_machine_is_valid)
{
    Machine *m = full_machine();
    const StateDesc *d[MACHINE_MAX_OBJECTS + MACHINE_MAX_CPUS + 1];
    for (int i = 0; i < m->nobjects; i++) {
        char *err = NULL;
        cr_expect(state_validate(m->objects[i].desc, m->objects[i].obj, &err), "%s: %s",
                  m->objects[i].name, err ? err : "");
        g_free(err);
    }
    for (int i = 0; i < m->ncpus; i++) {
        char *err = NULL;
        cr_expect(state_validate(m->cpus[i].cls->desc, m->cpus[i].obj, &err), "cpu%d: %s", i,
                  err ? err : "");
        g_free(err);
    }
    char *err = NULL;
    cr_expect(state_validate(&machine_state_desc, m, &err), "machine: %s", err ? err : "");
    g_free(err);
    (void)d;
    machine_free(m);
}

/* Pattern bytes in, save, load into a zeroed object: every saved field arrives intact and
 * nothing else is written. */
Test(state, pattern_round_trip)
{
    Machine *m = full_machine();
    const StateDesc *d[MACHINE_MAX_OBJECTS + MACHINE_MAX_CPUS + 1];
    int n = machine_descs(m, d, (int)G_N_ELEMENTS(d));
    for (int i = 0; i < n; i++) {
        const StateDesc *sd = d[i];
        uint8_t *src = g_malloc(sd->size), *dst = g_malloc0(sd->size);
        for (size_t k = 0; k < sd->size; k++)
            src[k] = (uint8_t)(k * 37 + 11 + i);
        GByteArray *buf = g_byte_array_new();
        state_save(buf, sd, src);
        char *err = NULL;
        cr_assert(state_load(sd, dst, buf->data, buf->len, &err), "%s: %s", sd->name, err);
        uint8_t *saved = g_malloc0(sd->size);   /* 1 = byte belongs to a saved field */
        for (int f = 0; f < sd->nfields; f++)
            if (state_field_saved(&sd->fields[f]))
                memset(saved + sd->fields[f].offset, 1,
                       (size_t)sd->fields[f].elem_size * sd->fields[f].count);
        for (size_t k = 0; k < sd->size; k++) {
            if (saved[k])
                cr_assert_eq(dst[k], src[k], "%s: saved byte %zu differs", sd->name, k);
            else
                cr_assert_eq(dst[k], 0, "%s: load wrote byte %zu of a non-saved member",
                             sd->name, k);
        }
        g_free(saved);
        g_byte_array_free(buf, TRUE);
        g_free(src);
        g_free(dst);
    }
    machine_free(m);
}

typedef struct Toy {
    uint64_t a;
    uint32_t b[2];
    uint8_t c;
    uint8_t pad_[7];
    void *runtime;
} Toy;
static bool toy_check(const void *obj, char **err)
{
    const Toy *t = obj;
    if (t->b[0] <= t->b[1])
        return true;
    *err = g_strdup("b[0] > b[1]");
    return false;
}
static const StateField toy_fields[] = {
    STATE_FIELD(Toy, a, V_ANY), STATE_ARRAY(Toy, b, V_REL), STATE_FIELD(Toy, c, V_RANGE(2, 5)),
    STATE_RUNTIME(Toy, pad_), STATE_RUNTIME(Toy, runtime),
};
static const StateDesc toy_desc = STATE_DESC_CHECKED("toy", Toy, toy_fields, toy_check);
/* the same struct with `c` forgotten */
static const StateField toy_missing_fields[] = {
    STATE_FIELD(Toy, a, V_ANY), STATE_ARRAY(Toy, b, V_ANY),
    STATE_RUNTIME(Toy, pad_), STATE_RUNTIME(Toy, runtime),
};
static const StateDesc toy_missing_desc = STATE_DESC("toy", Toy, toy_missing_fields);
/* `c` without valid values; `b` relational without a check function */
static const StateField toy_novalid_fields[] = {
    STATE_FIELD(Toy, a, V_ANY), STATE_ARRAY(Toy, b, V_ANY), { STATE_MEMBER_(Toy, c, 0) },
    STATE_RUNTIME(Toy, pad_), STATE_RUNTIME(Toy, runtime),
};
static const StateDesc toy_novalid_desc = STATE_DESC("toy", Toy, toy_novalid_fields);
static const StateDesc toy_nocheck_desc = STATE_DESC("toy", Toy, toy_fields);

Test(state, a_field_without_valid_values_is_caught)
{
    char *err = NULL;
    cr_assert(state_check_validity_declared(&toy_desc, &err), "%s", err);
    cr_assert_not(state_check_validity_declared(&toy_novalid_desc, &err));
    cr_assert(strstr(err, "toy.c: no valid values"), "%s", err);
    g_free(err);
    cr_assert_not(state_check_validity_declared(&toy_nocheck_desc, &err));
    cr_assert(strstr(err, "no check function"), "%s", err);
    g_free(err);
}

Test(state, validate_refuses_ranges_and_relations)
{
    Toy t = { .a = ~0ull, .b = { 1, 2 }, .c = 5 };
    char *err = NULL;
    cr_assert(state_validate(&toy_desc, &t, &err), "%s", err);
    t.c = 6;
    cr_assert_not(state_validate(&toy_desc, &t, &err));
    cr_assert_str_eq(err, "c = 6 is invalid (valid: 2..5)");
    g_free(err);
    t.c = 2;
    t.b[0] = 3;
    cr_assert_not(state_validate(&toy_desc, &t, &err));
    cr_assert_str_eq(err, "b[0] > b[1]");
    g_free(err);
}

Test(state, coverage_finds_an_undeclared_member)
{
    char *err = NULL;
    cr_assert(state_check_coverage(&toy_desc, &err), "%s", err);
    cr_assert_not(state_check_coverage(&toy_missing_desc, &err));
    cr_assert(strstr(err, "16..16"), "names the byte range: %s", err);
    g_free(err);
}

static void expect_refused(const GByteArray *b, size_t len, const char *want)
{
    Toy t = { 0 };
    char *err = NULL;
    cr_assert_not(state_load(&toy_desc, &t, b->data, len, &err), "accepted (want '%s')", want);
    cr_assert(strstr(err, want), "error '%s' lacks '%s'", err, want);
    cr_assert_eq(t.a, 0, "a refused load wrote the object");
    g_free(err);
}

Test(state, load_refuses_bad_records)
{
    Toy t = { .a = 0x1122334455667788ull, .b = { 7, 9 }, .c = 5 };
    GByteArray *b = g_byte_array_new();
    state_save(b, &toy_desc, &t);
    Toy u = { 0 };
    char *err = NULL;
    cr_assert(state_load(&toy_desc, &u, b->data, b->len, &err), "%s", err);
    cr_assert_eq(u.a, t.a);
    cr_assert_eq(u.b[1], 9);
    cr_assert_eq(u.c, 5);
    expect_refused(b, b->len - 1, "truncated");
    /* drop the last field (c): 2 + 1 + 8 + 1 bytes */
    expect_refused(b, b->len - 12, "c: field missing");
    /* rename the first field: "a" -> "z" */
    GByteArray *r = g_byte_array_new();
    g_byte_array_append(r, b->data, b->len);
    r->data[2] = 'z';
    expect_refused(r, r->len, "unknown field 'z'");
    /* the loader of a description with c as 16 bits sees a size mismatch */
    memcpy(r->data, b->data, b->len);
    uint32_t two = 2;
    memcpy(r->data + b->len - 1 - 8, &two, 4);
    uint8_t zero = 0;
    g_byte_array_append(r, &zero, 1);
    expect_refused(r, r->len, "c: 1 x 2 bytes");
    g_byte_array_free(r, TRUE);
    g_byte_array_free(b, TRUE);
}
