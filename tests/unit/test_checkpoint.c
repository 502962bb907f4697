/* Checkpointing in-process (so that ASan/UBSan see it): snapshot encode/decode and files,
 * the input log (device read attempts, files, malformed files) and reverse execution
 * (snapshots every interval, thinning within a budget, going back and forth, truncation after
 * a write in the past). Every state is checked against a fresh machine run straight to the
 * same instruction count: equal state hashes (cores, devices, RAM). */
#include <criterion/criterion.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#include "boards/virt.h"
#include "checkpoint/inputlog.h"
#include "checkpoint/reverse.h"
#include "checkpoint/snapshot.h"
#include "core/machine.h"
#include "cpu/arm64/cpu.h"
#include "devices/pl011.h"

/* A raw kernel (loaded at RAM + 0x80000, entered at EL2): core 0 starts core 1 with PSCI
 * CPU_ON (SMC), then both loop storing counters across many RAM pages, so registers and RAM
 * change with every instruction count.
 *   core 0: x6 += 1; x7 += x6 << 1; [0x40100000 + (x6 & 63) * 4096] = x6, x7
 *   core 1: x6 += 3; x9 ^= x6;      [0x40200000 + (x6 & 31) * 4096 + 16] = x9 */
static const uint32_t kernel_code[] = {
    0xd2b88000, /* 00 mov  x0, #0xc4000000 */
    0xf2800060, /* 04 movk x0, #3            (CPU_ON64) */
    0xd2800021, /* 08 mov  x1, #1 */
    0x100001c2, /* 0c adr  x2, secondary (0x44) */
    0xd2800003, /* 10 mov  x3, #0 */
    0xd4000003, /* 14 smc  #0 */
    0xd2a80205, /* 18 mov  x5, #0x40100000 */
    0xd2800006, /* 1c mov  x6, #0 */
    0xd2800027, /* 20 mov  x7, #1 */
    0x910004c6, /* 24 add  x6, x6, #1 */
    0x8b0604e7, /* 28 add  x7, x7, x6, lsl #1 */
    0x924014c8, /* 2c and  x8, x6, #0x3f */
    0xd374cd08, /* 30 lsl  x8, x8, #12 */
    0x8b050108, /* 34 add  x8, x8, x5 */
    0xf9000106, /* 38 str  x6, [x8] */
    0xf9000507, /* 3c str  x7, [x8, #8] */
    0x17fffff9, /* 40 b    0x24 */
    0xd2a80405, /* 44 secondary: mov x5, #0x40200000 */
    0xd2800006, /* 48 mov  x6, #0 */
    0x91000cc6, /* 4c add  x6, x6, #3 */
    0xca060129, /* 50 eor  x9, x9, x6 */
    0x924010c8, /* 54 and  x8, x6, #0x1f */
    0xd374cd08, /* 58 lsl  x8, x8, #12 */
    0x8b050108, /* 5c add  x8, x8, x5 */
    0xf9000909, /* 60 str  x9, [x8, #16] */
    0x17fffffa, /* 64 b    0x4c */
};
#define CORE0_PAGES 0x40100000ULL
#define SCRATCH_PA  0x40300000ULL   /* never written by the kernel */

static char *tmp_path(const char *name)
{
    return g_strdup_printf("/tmp/ck-test-%d-%s", (int)getpid(), name);
}

static Machine *new_machine(int smp)
{
    char *k = tmp_path("kernel.bin");
    cr_assert(g_file_set_contents(k, (const char *)kernel_code, sizeof kernel_code, NULL));
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    cfg.ram_size = 64ULL << 20;
    cfg.smp = smp;
    cfg.virtualization = true;
    cfg.quantum = 200;        /* the cores interleave within a few thousand instructions */
    g_free(cfg.cpu_model);
    cfg.cpu_model = g_strdup("max");
    g_free(cfg.kernel);
    cfg.kernel = k;
    char *err = NULL;
    Machine *m = virt_create(&cfg, &err);
    cr_assert_not_null(m, "virt_create: %s", err ? err : "?");
    ((VirtBoard *)m->board)->uart->in_fd = -1;   /* tests never read the terminal */
    unlink(k);
    machine_config_free(&cfg);
    return m;
}

static Arm64Cpu *core(Machine *m, int i)
{
    return m->cpus[i].obj;
}

static void run_to(Machine *m, uint64_t n)
{
    cr_assert(machine_run_to(m, n), "machine_run_to(%llu) stopped at %llu (exit %d: %s)",
              (unsigned long long)n, (unsigned long long)machine_icount(m), m->exit_code,
              m->stop_msg);
    cr_assert_eq(machine_icount(m), n);
}

static void hash(Machine *m, char out[65])
{
    machine_state_hash(m, out);
}

/* The state hash of a fresh machine run straight to each of `n` ascending counts. */
static void reference_hashes(int smp, const uint64_t *at, int n, char (*out)[65])
{
    Machine *m = new_machine(smp);
    for (int i = 0; i < n; i++) {
        run_to(m, at[i]);
        hash(m, out[i]);
    }
    machine_free(m);
}

static uint64_t ram64(Machine *m, uint64_t pa)
{
    uint64_t v = 0;
    cr_assert(bus_read(&m->bus, pa, 8, &v));
    return v;
}

/* ---- snapshot_encode / snapshot_decode ------------------------------------------------- */
Test(checkpoint, encode_decode_round_trip)
{
    Machine *m = new_machine(2);
    run_to(m, 5000);
    cr_assert_eq(core(m, 1)->powered, 1, "core 1 was started by CPU_ON");
    cr_assert_gt(m->cpus[1].icount, 100, "both cores ran");
    uint64_t x6 = core(m, 0)->x[6], x9 = core(m, 1)->x[9];
    cr_assert_gt(x6, 10);
    cr_assert_eq(ram64(m, CORE0_PAGES + (x6 & 63) * 4096), x6, "core 0's last store in RAM");

    char h0[65], h1[65], h[65];
    hash(m, h0);
    GByteArray *blob = g_byte_array_new();
    snapshot_encode(m, blob);
    cr_assert_gt(blob->len, 0);
    run_to(m, 8000);
    hash(m, h1);
    cr_assert_str_neq(h0, h1, "the kernel changes the state");
    cr_assert_neq(core(m, 0)->x[6], x6);

    char *err = NULL;
    cr_assert_eq(snapshot_decode(m, blob->data, blob->len, &err), 0, "%s", err ? err : "");
    cr_assert_eq(machine_icount(m), 5000);
    cr_assert_eq(core(m, 0)->x[6], x6);
    cr_assert_eq(core(m, 1)->x[9], x9);
    hash(m, h);
    cr_assert_str_eq(h, h0, "decoded state equals the encoded one");
    /* a page written after the snapshot holds its earlier content again (or zero) */
    uint64_t later = core(m, 0)->x[6] + 1;
    cr_assert_eq(ram64(m, CORE0_PAGES + (later & 63) * 4096) < later, 1);
    run_to(m, 8000);
    hash(m, h);
    cr_assert_str_eq(h, h1, "re-execution from the snapshot reaches the same state");

    /* another machine of the same description takes it, and runs on identically */
    Machine *m2 = new_machine(2);
    run_to(m2, 123);
    cr_assert_eq(snapshot_decode(m2, blob->data, blob->len, &err), 0, "%s", err ? err : "");
    hash(m2, h);
    cr_assert_str_eq(h, h0);
    run_to(m2, 8000);
    hash(m2, h);
    cr_assert_str_eq(h, h1);
    machine_free(m2);
    g_byte_array_free(blob, TRUE);
    machine_free(m);
}

Test(checkpoint, decode_refusals_leave_the_machine_untouched)
{
    Machine *m = new_machine(2);
    run_to(m, 3000);
    GByteArray *blob = g_byte_array_new();
    snapshot_encode(m, blob);

    /* another machine: one core */
    Machine *m1 = new_machine(1);
    run_to(m1, 1000);
    char before[65], after[65];
    hash(m1, before);
    char *err = NULL;
    cr_assert_eq(snapshot_decode(m1, blob->data, blob->len, &err), EXIT_BAD_SNAPSHOT);
    cr_assert_not_null(err);
    cr_assert(strstr(err, "smp"), "message names the difference: %s", err);
    g_free(err);
    hash(m1, after);
    cr_assert_str_eq(before, after, "nothing half-loaded");
    cr_assert_eq(machine_icount(m1), 1000);
    run_to(m1, 1500);         /* still runs */
    machine_free(m1);

    /* the same machine further on: truncated blobs, an unknown extra section */
    run_to(m, 4000);
    hash(m, before);
    size_t cuts[] = { blob->len - 1, blob->len / 2, 10, 3 };
    for (size_t i = 0; i < G_N_ELEMENTS(cuts); i++) {
        err = NULL;
        cr_assert_eq(snapshot_decode(m, blob->data, cuts[i], &err), EXIT_BAD_SNAPSHOT,
                     "a blob cut to %zu bytes of %u was accepted", cuts[i], blob->len);
        cr_assert_not_null(err);
        g_free(err);
        hash(m, after);
        cr_assert_str_eq(before, after, "cut to %zu: machine changed", cuts[i]);
    }
    GByteArray *extra = g_byte_array_new();
    g_byte_array_append(extra, blob->data, blob->len);
    uint32_t nl = 5;
    uint64_t l = 2;
    g_byte_array_append(extra, (const guint8 *)&nl, 4);
    g_byte_array_append(extra, (const guint8 *)"bogus", 5);
    g_byte_array_append(extra, (const guint8 *)&l, 8);
    g_byte_array_append(extra, (const guint8 *)"xx", 2);
    err = NULL;
    cr_assert_eq(snapshot_decode(m, extra->data, extra->len, &err), EXIT_BAD_SNAPSHOT);
    cr_assert(err && strstr(err, "section"), "%s", err ? err : "(no message)");
    g_free(err);
    hash(m, after);
    cr_assert_str_eq(before, after);
    /* a state-only blob lacks the memory section: decode (with memory) refuses it */
    GByteArray *st = g_byte_array_new();
    snapshot_encode_state(m, st);
    cr_assert_lt(st->len, blob->len);
    err = NULL;
    cr_assert_eq(snapshot_decode(m, st->data, st->len, &err), EXIT_BAD_SNAPSHOT);
    cr_assert(err && strstr(err, "mem.ram"), "%s", err ? err : "(no message)");
    g_free(err);
    hash(m, after);
    cr_assert_str_eq(before, after);

    /* the intact blob still loads */
    err = NULL;
    cr_assert_eq(snapshot_decode(m, blob->data, blob->len, &err), 0, "%s", err ? err : "");
    cr_assert_eq(machine_icount(m), 3000);
    g_byte_array_free(st, TRUE);
    g_byte_array_free(extra, TRUE);
    g_byte_array_free(blob, TRUE);
    machine_free(m);
}

/* Issue 9: a snapshot whose checksum is right but whose values are impossible (anyone can
 * recompute a checksum) is refused before anything is loaded, naming the section and field. */
typedef struct BadEdit {
    const char *what;         /* expected in the message */
    void (*apply)(Machine *m, bool undo);
} BadEdit;
static uint64_t saved_u64;
static void edit_el74(Machine *m, bool undo) { core(m, 0)->el = undo ? (uint8_t)saved_u64 : (saved_u64 = core(m, 0)->el, 74); }
static void edit_el130(Machine *m, bool undo) { core(m, 0)->el = undo ? (uint8_t)saved_u64 : (saved_u64 = core(m, 0)->el, 130); }
static void edit_el3(Machine *m, bool undo) { core(m, 1)->el = undo ? (uint8_t)saved_u64 : (saved_u64 = core(m, 1)->el, 3); }
static void edit_nf(Machine *m, bool undo) { core(m, 0)->nf = undo ? (uint8_t)saved_u64 : (saved_u64 = core(m, 0)->nf, 2); }
static void edit_rx_pos(Machine *m, bool undo)
{
    Pl011 *u = ((VirtBoard *)m->board)->uart;
    u->rx_pos = undo ? (uint32_t)saved_u64 : (saved_u64 = u->rx_pos, 1000000);
}
static void edit_rx_count(Machine *m, bool undo)
{
    Pl011 *u = ((VirtBoard *)m->board)->uart;
    u->rx_count = undo ? (uint32_t)saved_u64 : (saved_u64 = u->rx_count, 2);   /* FIFOs off */
}
static void edit_clock(Machine *m, bool undo) { m->cpus[1].time = undo ? saved_u64 : (saved_u64 = m->cpus[1].time, UINT64_MAX - 5); }
static void edit_now(Machine *m, bool undo) { m->now = undo ? saved_u64 : (saved_u64 = m->now, UINT64_MAX - 5); }
static void edit_icount(Machine *m, bool undo) { m->cpus[0].icount = undo ? saved_u64 : (saved_u64 = m->cpus[0].icount, UINT64_MAX / 2); }
static void edit_next_cpu(Machine *m, bool undo)
{
    m->round.next_cpu = undo ? saved_u64 : (saved_u64 = m->round.next_cpu, 7);
    m->round.active = 1;
}
static void edit_pmu(Machine *m, bool undo) { core(m, 0)->pmu.selr = undo ? saved_u64 : (saved_u64 = core(m, 0)->pmu.selr, 32); }

Test(checkpoint, decode_refuses_impossible_values)
{
    static const BadEdit edits[] = {
        { "section 'cpu0': el = 74, but this core implements EL0..EL2", edit_el74 },
        { "section 'cpu0': el = 130", edit_el130 },
        { "section 'cpu1': el = 3", edit_el3 },
        { "section 'cpu0': nf = 2 is invalid (valid: 0..1)", edit_nf },
        { "section 'uart0': rx_pos = 1000000 is invalid (valid: 0..15)", edit_rx_pos },
        { "section 'uart0': rx_count = 2, but the receive FIFO holds 1", edit_rx_count },
        { "cpu1.clock: time =", edit_clock },
        { "section 'machine': now =", edit_now },
        { "cpu0.clock: icount =", edit_icount },
        { "round.next_cpu = 7", edit_next_cpu },
        { "section 'cpu0.pmu': selr = 32", edit_pmu },
    };
    Machine *m = new_machine(2);
    run_to(m, 3000);
    Machine *m2 = new_machine(2);
    run_to(m2, 1000);
    char before[65], after[65];
    hash(m2, before);
    for (size_t i = 0; i < G_N_ELEMENTS(edits); i++) {
        MachineRound round = m->round;
        edits[i].apply(m, false);
        GByteArray *blob = g_byte_array_new();
        snapshot_encode(m, blob);
        edits[i].apply(m, true);
        m->round = round;
        char *err = NULL;
        cr_assert_eq(snapshot_decode(m2, blob->data, blob->len, &err), EXIT_BAD_SNAPSHOT,
                     "accepted: %s", edits[i].what);
        cr_assert(err && strstr(err, edits[i].what), "want '%s', got '%s'", edits[i].what,
                  err ? err : "(none)");
        g_free(err);
        hash(m2, after);
        cr_assert_str_eq(before, after, "%s: the machine changed", edits[i].what);
        g_byte_array_free(blob, TRUE);
    }
    /* undone, the same machine's snapshot loads */
    GByteArray *blob = g_byte_array_new();
    snapshot_encode(m, blob);
    char *err = NULL;
    cr_assert_eq(snapshot_decode(m2, blob->data, blob->len, &err), 0, "%s", err ? err : "");
    g_byte_array_free(blob, TRUE);
    machine_free(m2);
    machine_free(m);
}

/* ---- snapshot files -------------------------------------------------------------------- */
static int dir_entries(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    cr_assert_not_null(d);
    int n = 0;
    while (g_dir_read_name(d))
        n++;
    g_dir_close(d);
    return n;
}

Test(checkpoint, save_and_load_files)
{
    char *dir = g_dir_make_tmp("ck-test-XXXXXX", NULL);
    cr_assert_not_null(dir);
    char *path = g_build_filename(dir, "snap.hvs", NULL);
    char *bad = g_build_filename(dir, "bad.hvs", NULL);
    cr_assert(g_file_set_contents(path, "keep me", -1, NULL));

    Machine *m = new_machine(2);
    run_to(m, 6000);
    char h6[65], h[65];
    hash(m, h6);
    char *err = NULL;
    cr_assert_eq(snapshot_save(m, path, false, &err), -1, "replaced a file without force");
    cr_assert(err && strstr(err, "exists"), "%s", err ? err : "(no message)");
    g_free(err);
    char *text = NULL;
    cr_assert(g_file_get_contents(path, &text, NULL, NULL));
    cr_assert_str_eq(text, "keep me", "the existing file is unchanged");
    g_free(text);
    cr_assert_eq(dir_entries(dir), 1, "no temporary file left behind");

    err = NULL;
    cr_assert_eq(snapshot_save(m, path, true, &err), 0, "%s", err ? err : "");
    cr_assert_eq(dir_entries(dir), 1, "no temporary file left behind");
    hash(m, h);
    cr_assert_str_eq(h, h6, "saving does not change the machine");

    /* its description */
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    err = NULL;
    cr_assert_eq(snapshot_read_config(path, &cfg, &err), 0, "%s", err ? err : "");
    cr_assert_eq(cfg.smp, 2);
    cr_assert_eq(cfg.virtualization, true);
    cr_assert_str_eq(cfg.cpu_model, "max");
    cr_assert_eq(cfg.ram_size, 64ULL << 20);
    machine_config_free(&cfg);

    /* run on, load: back at 6000, and the run from there repeats */
    run_to(m, 9000);
    char h9[65];
    hash(m, h9);
    err = NULL;
    cr_assert_eq(snapshot_load(m, path, &err), 0, "%s", err ? err : "");
    hash(m, h);
    cr_assert_str_eq(h, h6);
    run_to(m, 9000);
    hash(m, h);
    cr_assert_str_eq(h, h9);

    /* a flipped byte anywhere in the file: refused by the checksum, machine untouched */
    gsize len;
    char *file = NULL;
    cr_assert(g_file_get_contents(path, &file, &len, NULL));
    size_t flips[] = { len / 2, 20, 17, len - 20, len - 1 };
    for (size_t i = 0; i < G_N_ELEMENTS(flips); i++) {
        file[flips[i]] ^= 0x10;
        cr_assert(g_file_set_contents(bad, file, (gssize)len, NULL));
        file[flips[i]] ^= 0x10;
        err = NULL;
        int rc = snapshot_load(m, bad, &err);
        cr_assert_eq(rc, EXIT_BAD_SNAPSHOT, "flip at %zu of %zu: %d %s", flips[i], (size_t)len, rc, err ? err : "");
        cr_assert(err && strstr(err, "checksum"), "flip at %zu: %s", flips[i], err ? err : "");
        g_free(err);
        hash(m, h);
        cr_assert_str_eq(h, h9);
    }
    /* truncated, not a snapshot, missing */
    cr_assert(g_file_set_contents(bad, file, (gssize)(len - 1), NULL));
    err = NULL;
    cr_assert_eq(snapshot_load(m, bad, &err), EXIT_BAD_SNAPSHOT);
    g_free(err);
    cr_assert(g_file_set_contents(bad, "keep me, I am not a snapshot", -1, NULL));
    err = NULL;
    cr_assert_eq(snapshot_load(m, bad, &err), EXIT_BAD_SNAPSHOT);
    cr_assert(err && strstr(err, "magic"), "%s", err ? err : "");
    g_free(err);
    unlink(bad);
    err = NULL;
    cr_assert_eq(snapshot_load(m, bad, &err), EXIT_BAD_SNAPSHOT);
    g_free(err);
    err = NULL;
    cr_assert_eq(snapshot_read_config(bad, &cfg, &err), EXIT_BAD_SNAPSHOT);
    g_free(err);
    hash(m, h);
    cr_assert_str_eq(h, h9);
    g_free(file);

    /* into a machine of another description: refused, untouched */
    Machine *m1 = new_machine(1);
    char b1[65];
    hash(m1, b1);
    err = NULL;
    cr_assert_eq(snapshot_load(m1, path, &err), EXIT_BAD_SNAPSHOT);
    cr_assert(err && strstr(err, "another machine"), "%s", err ? err : "");
    g_free(err);
    hash(m1, h);
    cr_assert_str_eq(h, b1);
    machine_free(m1);

    /* a directory that does not exist */
    char *nowhere = g_build_filename(dir, "no", "such", "snap.hvs", NULL);
    err = NULL;
    cr_assert_eq(snapshot_save(m, nowhere, true, &err), -1);
    g_free(err);
    g_free(nowhere);

    machine_free(m);
    unlink(path);
    cr_assert_eq(g_rmdir(dir), 0);
    g_free(bad);
    g_free(path);
    g_free(dir);
}

/* Every byte of the "end" section's header (name length, name, data length) is part of the
 * file's integrity: a flip there must be refused like any other. */
Test(checkpoint, end_section_header_is_checked)
{
    char *path = tmp_path("end.hvs");
    unlink(path);
    Machine *m = new_machine(1);
    run_to(m, 100);
    char *err = NULL;
    cr_assert_eq(snapshot_save(m, path, false, &err), 0, "%s", err ? err : "");
    gsize len;
    char *file = NULL;
    cr_assert(g_file_get_contents(path, &file, &len, NULL));
    for (size_t off = len - 47; off < len - 32; off++) {
        file[off] ^= 0x01;
        cr_assert(g_file_set_contents(path, file, (gssize)len, NULL));
        file[off] ^= 0x01;
        err = NULL;
        cr_assert_eq(snapshot_load(m, path, &err), EXIT_BAD_SNAPSHOT, "flip at len-%zu loaded",
                     (size_t)len - off);
        g_free(err);
    }
    g_free(file);
    machine_free(m);
    unlink(path);
    g_free(path);
}

/* ---- the input log --------------------------------------------------------------------- */
static size_t attempt(Machine *m, int fd, uint8_t *buf, size_t max)
{
    int eof = 0;
    memset(buf, 0, max);
    return machine_input(m, fd, &eof, buf, max);
}

typedef struct Applied {
    int n;
    ILEntry last;
} Applied;

static bool record_apply(void *opaque, const ILEntry *e)
{
    Applied *a = opaque;
    a->n++;
    a->last = *e;
    a->last.data = NULL;
    return true;
}

Test(checkpoint, inputlog_records_and_replays_read_attempts)
{
    char *path = tmp_path("input.log");
    int p[2];
    cr_assert_eq(pipe(p), 0);
    uint8_t buf[16];

    Machine *m = new_machine(1);
    InputLog *l = inputlog_new(m);
    cr_assert_eq(m->input_opaque, l);
    cr_assert_eq(attempt(m, -1, buf, sizeof buf), 0);                 /* attempt 1 */
    cr_assert_eq(write(p[1], "abc", 3), 3);
    cr_assert_eq(attempt(m, p[0], buf, sizeof buf), 3);               /* attempt 2 */
    cr_assert_eq(memcmp(buf, "abc", 3), 0);
    cr_assert_eq(attempt(m, p[0], buf, sizeof buf), 0, "the pipe is empty");  /* 3 */
    run_to(m, 500);
    cr_assert_eq(write(p[1], "xyz!0123456789", 14), 14);
    cr_assert_eq(attempt(m, p[0], buf, 4), 4, "at most max bytes");   /* attempt 4 */
    cr_assert_eq(memcmp(buf, "xyz!", 4), 0);
    inputlog_note_reg(l, 0, 7, 0x1234abcdULL);
    run_to(m, 700);
    cr_assert_eq(attempt(m, p[0], buf, sizeof buf), 10);              /* attempt 5 */
    cr_assert_eq(memcmp(buf, "0123456789", 10), 0);
    cr_assert_eq(m->input_seq, 5);
    cr_assert(!inputlog_in_past(l), "recording live: no future");
    char end_hash[65];
    hash(m, end_hash);
    char *err = NULL;
    cr_assert_eq(inputlog_save(l, path, &err), 0, "%s", err ? err : "");
    inputlog_free(l);
    cr_assert_null(m->input, "freeing the log uninstalls its hook");

    char *text = NULL;
    cr_assert(g_file_get_contents(path, &text, NULL, NULL));
    cr_assert(g_str_has_prefix(text, "hvsim-input-log 1\nmachine "), "%s", text);
    cr_assert(strstr(text, "\nuart 2 0 616263\n"), "%s", text);
    cr_assert(strstr(text, "\nuart 4 500 78797a21\n"), "%s", text);
    cr_assert(strstr(text, "\nreg 500 0 7 1234abcd\n"), "%s", text);
    cr_assert(strstr(text, "\nuart 5 700 30313233343536373839\n"), "%s", text);
    /* the machine did not stop by itself: the user ended the run (replay runs to 700) */
    char *end_line = g_strdup_printf("\nend 700 %s quit\n", end_hash);
    cr_assert(strstr(text, end_line), "%s", text);
    g_free(end_line);
    cr_assert_null(strstr(text, "uart 1 "), "attempts without data are not logged");
    cr_assert_null(strstr(text, "uart 3 "), "attempts without data are not logged");

    /* replay on a fresh machine: the logged bytes at the same attempts, nothing elsewhere,
     * whatever the host has ready */
    Machine *m2 = new_machine(1);
    InputLog *l2 = inputlog_new(m2);
    Applied ap = { 0 };
    inputlog_set_apply(l2, record_apply, &ap);
    err = NULL;
    cr_assert_eq(inputlog_load(l2, path, &err), 0, "%s", err ? err : "");
    cr_assert(inputlog_in_past(l2), "a loaded log is all future");
    cr_assert_eq(write(p[1], "live", 4), 4);
    cr_assert_eq(attempt(m2, p[0], buf, sizeof buf), 0);              /* attempt 1 */
    cr_assert_eq(attempt(m2, -1, buf, sizeof buf), 3);                /* attempt 2 */
    cr_assert_eq(memcmp(buf, "abc", 3), 0);
    cr_assert_eq(attempt(m2, p[0], buf, sizeof buf), 0);              /* attempt 3 */
    cr_assert_eq(attempt(m2, -1, buf, sizeof buf), 4);                /* attempt 4 */
    cr_assert_eq(memcmp(buf, "xyz!", 4), 0);
    const ILEntry *w = inputlog_next_write(l2);
    cr_assert_not_null(w);
    cr_assert_eq(w->kind, IL_REG);
    cr_assert_eq(w->icount, 500);
    cr_assert(inputlog_apply_next_write(l2));
    cr_assert_eq(ap.n, 1);
    cr_assert_eq(ap.last.cpu, 0);
    cr_assert_eq(ap.last.addr, 7);
    cr_assert_eq(ap.last.value, 0x1234abcdULL);
    cr_assert_null(inputlog_next_write(l2), "hash/end entries are not writes");
    cr_assert_eq(attempt(m2, -1, buf, sizeof buf), 10);               /* attempt 5 */
    cr_assert_eq(memcmp(buf, "0123456789", 10), 0);
    cr_assert_eq(attempt(m2, p[0], buf, sizeof buf), 0, "no live input in a replay");  /* 6 */
    /* the host's bytes were not consumed */
    cr_assert_eq(read(p[0], buf, sizeof buf), 4);
    cr_assert_eq(memcmp(buf, "live", 4), 0);
    inputlog_free(l2);
    machine_free(m2);

    g_free(text);
    machine_free(m);
    close(p[0]);
    close(p[1]);
    unlink(path);
    g_free(path);
}

/* The saved file with line `idx` replaced by `repl` (NULL: dropped), plus `append`. */
static void write_variant(const char *dst, char **lines, int idx, const char *repl,
                          const char *append)
{
    GString *s = g_string_new(NULL);
    for (int i = 0; lines[i]; i++) {
        if (!*lines[i])
            continue;
        if (i == idx) {
            if (repl)
                g_string_append_printf(s, "%s\n", repl);
        } else {
            g_string_append_printf(s, "%s\n", lines[i]);
        }
    }
    if (append)
        g_string_append(s, append);
    cr_assert(g_file_set_contents(dst, s->str, (gssize)s->len, NULL));
    g_string_free(s, TRUE);
}

static void load_fails(Machine *m, const char *path, const char *want, const char *what)
{
    InputLog *l = inputlog_new(m);
    char *err = NULL;
    cr_assert_eq(inputlog_load(l, path, &err), EXIT_BAD_SNAPSHOT, "%s: accepted", what);
    cr_assert_not_null(err, "%s: no message", what);
    cr_assert(strstr(err, want), "%s: message '%s' lacks '%s'", what, err, want);
    cr_assert_null(strchr(err, '\n'), "%s: one line: %s", what, err);
    g_free(err);
    inputlog_free(l);
}

Test(checkpoint, inputlog_refuses_malformed_files)
{
    char *good = tmp_path("good.log"), *bad = tmp_path("bad.log");
    Machine *m = new_machine(1);
    InputLog *l = inputlog_new(m);
    int p[2];
    cr_assert_eq(pipe(p), 0);
    uint8_t buf[8];
    cr_assert_eq(write(p[1], "hi", 2), 2);
    cr_assert_eq(attempt(m, p[0], buf, sizeof buf), 2);
    run_to(m, 300);
    inputlog_note_hash(l);
    char *err = NULL;
    cr_assert_eq(inputlog_save(l, good, &err), 0, "%s", err ? err : "");
    inputlog_free(l);
    close(p[0]);
    close(p[1]);

    char *text = NULL;
    cr_assert(g_file_get_contents(good, &text, NULL, NULL));
    char **lines = g_strsplit(text, "\n", -1);
    g_free(text);
    int n = (int)g_strv_length(lines);
    cr_assert_geq(n, 5);      /* header, machine, uart, hash, end (+ empty after the last \n) */
    cr_assert(g_str_has_prefix(lines[2], "uart 1 0 6869"), "%s", lines[2]);
    cr_assert(g_str_has_prefix(lines[3], "hash 300 "), "%s", lines[3]);
    cr_assert(g_str_has_prefix(lines[4], "end 300 "), "%s", lines[4]);

    /* the intact file loads */
    l = inputlog_new(m);
    err = NULL;
    cr_assert_eq(inputlog_load(l, good, &err), 0, "%s", err ? err : "");
    inputlog_free(l);

    write_variant(bad, lines, 0, "hvsim-input-log 2", NULL);
    load_fails(m, bad, "not an hvsim input log", "version 2");
    char *other = g_strdup(lines[1]);
    char *smp = strstr(other, "smp=1");
    cr_assert_not_null(smp, "%s", other);
    smp[4] = '2';
    write_variant(bad, lines, 1, other, NULL);
    load_fails(m, bad, "another machine", "smp=2");
    g_free(other);
    write_variant(bad, lines, 2, "uart x 0 6869", NULL);
    load_fails(m, bad, ":3: malformed", "non-numeric attempt");
    write_variant(bad, lines, 2, "uart 1 0 686", NULL);
    load_fails(m, bad, ":3: malformed", "odd hex");
    write_variant(bad, lines, 2, "uart 1 0 68zz", NULL);
    load_fails(m, bad, ":3: malformed", "bad hex digit");
    write_variant(bad, lines, 2, "uart 1 0", NULL);
    load_fails(m, bad, ":3: malformed", "missing field");
    write_variant(bad, lines, 2, "uart 1 0 6869 extra", NULL);
    load_fails(m, bad, ":3: malformed", "extra field");
    write_variant(bad, lines, 2, "reg 5 9 1 ff", NULL);
    load_fails(m, bad, ":3: malformed", "register write on a core that does not exist");
    write_variant(bad, lines, 2, "mem 5 0 4000zz 00", NULL);
    load_fails(m, bad, ":3: malformed", "bad address");
    write_variant(bad, lines, 2, "reg 5 0 4294967296 ff", NULL);
    load_fails(m, bad, ":3: malformed", "register number 2^32 (would write x0)");
    write_variant(bad, lines, 2, "hash 301 " "0000000000000000000000000000000000000000000000000000000000000000", NULL);
    load_fails(m, bad, ":4: entry out of order", "hash before an earlier one");
    write_variant(bad, lines, 4, "end 300 0000000000000000000000000000000000000000000000000000000000000000 later", NULL);
    load_fails(m, bad, ":5: malformed", "unknown end kind");
    write_variant(bad, lines, 2, "frob 1 2 3", NULL);
    load_fails(m, bad, ":3: malformed", "unknown entry");
    write_variant(bad, lines, 3, "hash 300 abcdef", NULL);
    load_fails(m, bad, ":4: malformed", "short hash");
    write_variant(bad, lines, 4, NULL, NULL);
    load_fails(m, bad, "no end line", "end line dropped");
    write_variant(bad, lines, -1, NULL, "uart 9 300 41\n");
    load_fails(m, bad, "after the end line", "entry after the end");
    cr_assert(g_file_set_contents(bad, "", 0, NULL));
    load_fails(m, bad, "not an hvsim input log", "empty file");
    unlink(bad);
    load_fails(m, bad, "cannot read", "missing file");

    g_strfreev(lines);
    machine_free(m);
    unlink(good);
    g_free(good);
    g_free(bad);
}

/* ---- reverse execution ----------------------------------------------------------------- */
/* Goes to `target` and checks the state against the reference hash. */
static void goto_check(Reverse *r, Machine *m, uint64_t target, const char *want)
{
    char *err = NULL, h[65];
    cr_assert(reverse_goto(r, target, &err), "reverse_goto(%llu): %s",
              (unsigned long long)target, err ? err : "");
    cr_assert_eq(machine_icount(m), target);
    cr_assert_not(m->stop, "at %llu the machine is ready to run on", (unsigned long long)target);
    hash(m, h);
    cr_assert_str_eq(h, want, "state at %llu differs from a straight run",
                     (unsigned long long)target);
}

#define RV_N 20000ULL
#define RV_INTERVAL 1000ULL

static void reverse_scenario(uint64_t budget, bool expect_thinning)
{
    /* ascending counts for the reference run */
    const uint64_t at[] = { 0, 999, 1000, 7777, RV_N / 2, RV_N / 2 + 1, RV_N - 1, RV_N,
                            RV_N + 500 };
    enum { I0, I999, I1000, I7777, IHALF, IHALF1, ILAST, IN, IBEYOND, NAT };
    char ref[NAT][65];
    reference_hashes(2, at, NAT, ref);

    Machine *m = new_machine(2);
    Reverse *r = reverse_new(m, NULL, RV_INTERVAL, budget);
    cr_assert_eq(reverse_count(r), 1, "the first snapshot is taken at once");
    cr_assert_eq(reverse_first(r), 0);
    m->cfg.max_insns = RV_N;
    cr_assert_eq(reverse_run(r), EXIT_OK);
    cr_assert_eq(machine_icount(m), RV_N);
    char h[65];
    hash(m, h);
    cr_assert_str_eq(h, ref[IN], "recording does not perturb the run");
    int count = reverse_count(r);
    if (expect_thinning) {
        cr_assert_lt(count, (int)(RV_N / RV_INTERVAL), "history was thinned (%d snapshots)", count);
        cr_assert_geq(count, 2);
    } else {
        cr_assert_eq(count, (int)(RV_N / RV_INTERVAL) + 1, "a snapshot at every interval point");
        cr_assert_leq(reverse_bytes(r), budget);
    }
    cr_assert_eq(reverse_first(r), 0, "thinning keeps the start of history");
    int np = 0;
    uint64_t *pts = reverse_points_before(r, RV_N / 2 + 500, &np);
    cr_assert_geq(np, 1);
    cr_assert_eq(pts[np - 1], 0);
    for (int i = 0; i < np; i++) {
        cr_assert_leq(pts[i], RV_N / 2 + 500);
        cr_assert_eq(pts[i] % RV_INTERVAL, 0);
        if (i)
            cr_assert_lt(pts[i], pts[i - 1], "latest first");
    }
    if (!expect_thinning)
        cr_assert_eq(pts[0], RV_N / 2);
    g_free(pts);

    goto_check(r, m, RV_N - 1, ref[ILAST]);
    goto_check(r, m, RV_N / 2, ref[IHALF]);
    goto_check(r, m, RV_N / 2 + 1, ref[IHALF1]);
    goto_check(r, m, 7777, ref[I7777]);
    goto_check(r, m, 0, ref[I0]);
    goto_check(r, m, 999, ref[I999]);
    goto_check(r, m, 1000, ref[I1000]);
    goto_check(r, m, RV_N, ref[IN]);              /* forward again */
    goto_check(r, m, 7777, ref[I7777]);
    goto_check(r, m, RV_N + 500, ref[IBEYOND]);   /* past the recorded end */
    goto_check(r, m, RV_N / 2, ref[IHALF]);
    /* running on from the past reaches the same end */
    cr_assert_eq(reverse_run(r), EXIT_OK);
    cr_assert_eq(machine_icount(m), RV_N);
    hash(m, h);
    cr_assert_str_eq(h, ref[IN]);
    if (!expect_thinning)
        cr_assert_leq(reverse_bytes(r), budget);

    reverse_free(r);
    cr_assert_null(m->ram_dirty, "freeing the history stops dirty tracking");
    machine_free(m);
}

Test(checkpoint, reverse_goto_matches_straight_runs)
{
    reverse_scenario(256ULL << 20, false);
}

Test(checkpoint, reverse_thinned_history_still_exact)
{
    reverse_scenario(64ULL << 10, true);
}

/* Re-applies a logged memory write as the debugger would (the kernel runs with the MMU off,
 * so the address is physical). */
static bool apply_phys_write(void *opaque, const ILEntry *e)
{
    Machine *m = opaque;
    if (e->kind != IL_MEM)
        return false;
    uint8_t *h = bus_ram_ptr(&m->bus, e->addr, e->len);
    if (!h)
        return false;
    memcpy(h, e->data, e->len);
    machine_ram_written(m, e->addr, e->len);
    return true;
}

Test(checkpoint, reverse_truncate_after_a_write_in_the_past)
{
    const uint64_t at[] = { 2000, 4000, 4500 };
    char ref[3][65];          /* without the write */
    reference_hashes(2, at, 3, ref);

    Machine *m = new_machine(2);
    run_to(m, 2000);
    InputLog *l = inputlog_new(m);
    inputlog_set_apply(l, apply_phys_write, m);
    Reverse *r = reverse_new(m, l, RV_INTERVAL, 256ULL << 20);
    cr_assert_eq(reverse_first(r), 2000);
    m->cfg.max_insns = 10000;
    cr_assert_eq(reverse_run(r), EXIT_OK);
    cr_assert_eq(reverse_count(r), 9, "2000, 3000, ..., 10000");
    cr_assert_eq(reverse_frontier(r), 10000);
    char *err = NULL;
    cr_assert_not(reverse_goto(r, 1000, &err), "before the history");
    cr_assert(err && strstr(err, "2000"), "%s", err ? err : "");
    g_free(err);
    cr_assert_eq(machine_icount(m), 10000, "a refused goto leaves the machine where it was");

    goto_check(r, m, 4500, ref[2]);
    cr_assert_eq(reverse_frontier(r), 10000, "going back keeps the frontier");
    cr_assert(inputlog_in_past(l));
    /* a user write in the past (as the debugger makes one): the recorded future goes, the
     * write is logged so that re-execution repeats it */
    const uint64_t val = 0x5eed5eed12345678ULL;
    cr_assert_eq(ram64(m, SCRATCH_PA), 0);
    reverse_truncate(r);
    cr_assert(bus_write(&m->bus, SCRATCH_PA, 8, val));
    machine_ram_written(m, SCRATCH_PA, 8);
    inputlog_note_mem(l, 0, SCRATCH_PA, (const uint8_t *)&val, 8);
    cr_assert_eq(reverse_count(r), 3, "2000, 3000, 4000 remain");
    cr_assert_eq(reverse_frontier(r), 4500);
    cr_assert_not(inputlog_in_past(l), "the log's future went too");
    int np = 0;
    uint64_t *pts = reverse_points_before(r, 100000, &np);
    cr_assert_eq(np, 3);
    cr_assert_eq(pts[0], 4000);
    g_free(pts);
    cr_assert_eq(ram64(m, SCRATCH_PA), val, "the write stays");
    char h[65];
    hash(m, h);
    cr_assert_str_neq(h, ref[2], "the write changed the state");

    /* the same write on a straight run: the new history must follow it */
    Machine *ref_m = new_machine(2);
    run_to(ref_m, 4500);
    cr_assert(bus_write(&ref_m->bus, SCRATCH_PA, 8, val));
    machine_ram_written(ref_m, SCRATCH_PA, 8);
    char w4500[65], w6000[65], w10000[65];
    hash(ref_m, w4500);
    run_to(ref_m, 6000);
    hash(ref_m, w6000);
    run_to(ref_m, 10000);
    hash(ref_m, w10000);
    machine_free(ref_m);
    cr_assert_str_eq(h, w4500);

    cr_assert_eq(reverse_run(r), EXIT_OK);
    cr_assert_eq(machine_icount(m), 10000);
    cr_assert_eq(reverse_count(r), 9, "history recorded again up to 10000");
    hash(m, h);
    cr_assert_str_eq(h, w10000);
    goto_check(r, m, 6000, w6000);
    cr_assert_eq(ram64(m, SCRATCH_PA), val);
    goto_check(r, m, 4000, ref[1]);
    cr_assert_eq(ram64(m, SCRATCH_PA), 0, "before the write");
    goto_check(r, m, 2000, ref[0]);
    cr_assert_eq(ram64(m, SCRATCH_PA), 0, "before the write");
    /* forward across the logged write: re-applied at 4500 */
    goto_check(r, m, 4500, w4500);
    goto_check(r, m, 10000, w10000);
    reverse_free(r);
    inputlog_free(l);
    machine_free(m);
}

/* Device input in the past comes from the log, by read attempt, never from the host; at the
 * frontier the host is read (and logged) again. */
Test(checkpoint, reverse_feeds_logged_input_in_the_past)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    uint8_t buf[16];
    Machine *m = new_machine(1);
    InputLog *l = inputlog_new(m);
    Reverse *r = reverse_new(m, l, RV_INTERVAL, 256ULL << 20);
    m->cfg.max_insns = 3000;
    cr_assert_eq(reverse_run(r), EXIT_OK);
    cr_assert_eq(write(p[1], "q", 1), 1);
    cr_assert_eq(attempt(m, p[0], buf, sizeof buf), 1);   /* attempt 1 at 3000, live */
    cr_assert_eq(buf[0], 'q');
    char h3000[65], h6000[65], h[65];
    hash(m, h3000);
    m->cfg.max_insns = 6000;
    m->stop = false;
    cr_assert_eq(reverse_run(r), EXIT_OK);
    cr_assert_eq(machine_icount(m), 6000);
    hash(m, h6000);

    char *err = NULL;
    cr_assert(reverse_goto(r, 3000, &err), "%s", err ? err : "");
    cr_assert_eq(m->input_seq, 0, "the attempt count is machine state");
    cr_assert(inputlog_in_past(l));
    cr_assert_eq(write(p[1], "LIVE", 4), 4);
    cr_assert_eq(attempt(m, p[0], buf, sizeof buf), 1, "attempt 1 again: the logged byte");
    cr_assert_eq(buf[0], 'q');
    hash(m, h);
    cr_assert_str_eq(h, h3000);
    goto_check(r, m, 6000, h6000);
    cr_assert_eq(attempt(m, p[0], buf, sizeof buf), 4, "at the frontier the host is read");
    cr_assert_eq(memcmp(buf, "LIVE", 4), 0);

    /* both attempts are in the log */
    char *path = tmp_path("rev-input.log");
    err = NULL;
    cr_assert_eq(inputlog_save(l, path, &err), 0, "%s", err ? err : "");
    char *text = NULL;
    cr_assert(g_file_get_contents(path, &text, NULL, NULL));
    cr_assert(strstr(text, "\nuart 1 3000 71\n"), "%s", text);
    cr_assert(strstr(text, "\nuart 2 6000 4c495645\n"), "%s", text);
    g_free(text);
    unlink(path);
    g_free(path);
    reverse_free(r);
    inputlog_free(l);
    machine_free(m);
    close(p[0]);
    close(p[1]);
}
