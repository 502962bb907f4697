/* The input log (see inputlog.h). */
#include "checkpoint/inputlog.h"
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "checkpoint/snapshot.h"
#include "core/outfile.h"

struct InputLog {
    Machine *m;
    GArray *uart;             /* ILEntry, by seq */
    GArray *stops;            /* ILEntry (mem, reg, hash), by icount */
    guint uart_cur, stop_cur; /* first entry of the future */
    uint64_t frontier;        /* the furthest instruction count the machine has run to */
    bool replay;              /* loaded from a file: no live input at all */
    ILApplyFn apply;
    void *apply_opaque;
};

static void entry_free(ILEntry *e)
{
    g_free(e->data);
    e->data = NULL;
}

void inputlog_advance(InputLog *l)
{
    uint64_t now = machine_icount(l->m);
    if (now > l->frontier)
        l->frontier = now;
}

/* Device read attempt number m->input_seq. */
static size_t input_hook(void *opaque, int fd, int *eof, uint8_t *buf, size_t max)
{
    InputLog *l = opaque;
    Machine *m = l->m;
    uint64_t seq = m->input_seq;
    while (l->uart_cur < l->uart->len && g_array_index(l->uart, ILEntry, l->uart_cur).seq < seq)
        l->uart_cur++;
    if (l->uart_cur < l->uart->len) {
        ILEntry *e = &g_array_index(l->uart, ILEntry, l->uart_cur);
        if (e->seq != seq)
            return 0;         /* the past (or a replay): nothing arrived at this attempt */
        size_t n = e->len < max ? e->len : max;
        memcpy(buf, e->data, n);
        l->uart_cur++;
        return n;
    }
    uint64_t now = machine_icount_exact(m);
    if (l->replay || now < l->frontier)
        return 0;             /* re-executing the past: the host's input is not for now */
    size_t n = machine_host_input(m, fd, eof, buf, max);
    if (n) {
        ILEntry e = { .kind = IL_UART, .seq = seq, .icount = now, .data = g_memdup2(buf, n),
                      .len = (uint32_t)n };
        g_array_append_val(l->uart, e);
        l->uart_cur = l->uart->len;
    }
    return n;
}

InputLog *inputlog_new(Machine *m)
{
    InputLog *l = g_new0(InputLog, 1);
    l->m = m;
    l->uart = g_array_new(FALSE, TRUE, sizeof(ILEntry));
    l->stops = g_array_new(FALSE, TRUE, sizeof(ILEntry));
    m->input = input_hook;
    m->input_opaque = l;
    l->frontier = machine_icount(m);
    return l;
}

void inputlog_free(InputLog *l)
{
    if (!l)
        return;
    if (l->m->input_opaque == l) {
        l->m->input = NULL;
        l->m->input_opaque = NULL;
    }
    for (guint i = 0; i < l->uart->len; i++)
        entry_free(&g_array_index(l->uart, ILEntry, i));
    for (guint i = 0; i < l->stops->len; i++)
        entry_free(&g_array_index(l->stops, ILEntry, i));
    g_array_free(l->uart, TRUE);
    g_array_free(l->stops, TRUE);
    g_free(l);
}

void inputlog_set_apply(InputLog *l, ILApplyFn fn, void *opaque)
{
    l->apply = fn;
    l->apply_opaque = opaque;
}

bool inputlog_in_past(const InputLog *l)
{
    return l->uart_cur < l->uart->len || l->stop_cur < l->stops->len ||
           machine_icount(l->m) < l->frontier;
}

void inputlog_truncate(InputLog *l)
{
    for (guint i = l->uart_cur; i < l->uart->len; i++)
        entry_free(&g_array_index(l->uart, ILEntry, i));
    g_array_set_size(l->uart, l->uart_cur);
    for (guint i = l->stop_cur; i < l->stops->len; i++)
        entry_free(&g_array_index(l->stops, ILEntry, i));
    g_array_set_size(l->stops, l->stop_cur);
    l->frontier = machine_icount(l->m);
    l->replay = false;
}

void inputlog_seek(InputLog *l)
{
    uint64_t seq = l->m->input_seq, now = machine_icount(l->m);
    l->uart_cur = 0;
    while (l->uart_cur < l->uart->len && g_array_index(l->uart, ILEntry, l->uart_cur).seq <= seq)
        l->uart_cur++;
    l->stop_cur = 0;
    while (l->stop_cur < l->stops->len && g_array_index(l->stops, ILEntry, l->stop_cur).icount < now)
        l->stop_cur++;
}

static void add_stop(InputLog *l, ILEntry *e)
{
    /* a write while in the past changes the future: it no longer happens */
    if (e->kind != IL_HASH && inputlog_in_past(l))
        inputlog_truncate(l);
    inputlog_advance(l);
    g_array_append_val(l->stops, *e);
    l->stop_cur = l->stops->len;
}

void inputlog_note_mem(InputLog *l, int cpu, uint64_t va, const uint8_t *data, size_t len)
{
    ILEntry e = { .kind = IL_MEM, .icount = machine_icount(l->m), .cpu = cpu, .addr = va,
                  .data = g_memdup2(data, len), .len = (uint32_t)len };
    add_stop(l, &e);
}

void inputlog_note_reg(InputLog *l, int cpu, int regno, uint64_t value)
{
    ILEntry e = { .kind = IL_REG, .icount = machine_icount(l->m), .cpu = cpu,
                  .addr = (uint64_t)regno, .value = value };
    add_stop(l, &e);
}

void inputlog_note_hash(InputLog *l)
{
    char hex[65];
    machine_state_hash(l->m, hex);
    ILEntry e = { .kind = IL_HASH, .icount = machine_icount(l->m), .data = g_memdup2(hex, 65),
                  .len = 65 };
    add_stop(l, &e);
}

const ILEntry *inputlog_next_write(const InputLog *l)
{
    for (guint i = l->stop_cur; i < l->stops->len; i++) {
        const ILEntry *e = &g_array_index(l->stops, ILEntry, i);
        if (e->kind != IL_HASH)
            return e;
    }
    return NULL;
}

bool inputlog_apply_next_write(InputLog *l)
{
    while (l->stop_cur < l->stops->len) {
        const ILEntry *e = &g_array_index(l->stops, ILEntry, l->stop_cur++);
        if (e->kind == IL_HASH)
            continue;
        return l->apply && l->apply(l->apply_opaque, e);
    }
    return false;
}

/* ---- files ----------------------------------------------------------------------------- */
static void put_hex(GString *s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(s, "%02x", p[i]);
}

static char *one_line_description(const MachineConfig *cfg)
{
    char *d = snapshot_describe(cfg);
    g_strstrip(d);
    for (char *p = d; *p; p++)
        if (*p == '\n')
            *p = ' ';
    return d;
}

/* The whole log as text (see inputlog.h for the form). */
static GString *format_log(InputLog *l)
{
    GString *s = g_string_new("hvsim-input-log 1\n");
    char *desc = one_line_description(&l->m->cfg);
    g_string_append_printf(s, "machine %s\n", desc);
    g_free(desc);
    /* merge the two timelines by instruction count for a readable file */
    guint u = 0, t = 0;
    while (u < l->uart->len || t < l->stops->len) {
        const ILEntry *a = u < l->uart->len ? &g_array_index(l->uart, ILEntry, u) : NULL;
        const ILEntry *b = t < l->stops->len ? &g_array_index(l->stops, ILEntry, t) : NULL;
        const ILEntry *e = !b || (a && a->icount <= b->icount) ? a : b;
        if (e == a)
            u++;
        else
            t++;
        switch (e->kind) {
        case IL_UART:
            g_string_append_printf(s, "uart %" PRIu64 " %" PRIu64 " ", e->seq, e->icount);
            put_hex(s, e->data, e->len);
            break;
        case IL_MEM:
            g_string_append_printf(s, "mem %" PRIu64 " %d %" PRIx64 " ", e->icount, e->cpu, e->addr);
            put_hex(s, e->data, e->len);
            break;
        case IL_REG:
            g_string_append_printf(s, "reg %" PRIu64 " %d %" PRIu64 " %" PRIx64, e->icount, e->cpu,
                                   e->addr, e->value);
            break;
        case IL_HASH:
            g_string_append_printf(s, "hash %" PRIu64 " %s", e->icount, (const char *)e->data);
            break;
        }
        g_string_append_c(s, '\n');
    }
    char hex[65];
    machine_state_hash(l->m, hex);
    Machine *m = l->m;
    bool stopped = m->stop && !m->paused && !m->at_limit;
    g_string_append_printf(s, "end %" PRIu64 " %s %s\n", machine_icount(m), hex,
                           stopped ? "stop" : "quit");
    return s;
}

void inputlog_write(InputLog *l, FILE *out)
{
    GString *s = format_log(l);
    fwrite(s->str, 1, s->len, out);
    g_string_free(s, TRUE);
}

int inputlog_save(InputLog *l, const char *path, char **err)
{
    GString *s = format_log(l);
    int rc = outfile_write(path, s->str, s->len, false, err) ? 0 : -1;
    g_string_free(s, TRUE);
    return rc;
}

static bool parse_hex(const char *h, uint8_t **out, uint32_t *len)
{
    size_t n = strlen(h);
    if (n == 0 || n % 2)
        return false;
    uint8_t *b = g_malloc(n / 2);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = g_ascii_xdigit_value(h[2 * i]), lo = g_ascii_xdigit_value(h[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            g_free(b);
            return false;
        }
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = b;
    *len = (uint32_t)(n / 2);
    return true;
}

static bool parse_cpu(const char *s, int ncpus, int *cpu)
{
    char *end;
    uint64_t v = g_ascii_strtoull(s, &end, 10);
    if (!*s || *end || v >= (uint64_t)ncpus)
        return false;
    *cpu = (int)v;
    return true;
}

static bool is_hash(const char *h)
{
    if (strlen(h) != 64)
        return false;
    for (const char *p = h; *p; p++)
        if (!g_ascii_isxdigit(*p))
            return false;
    return true;
}

int inputlog_load(InputLog *l, const char *path, char **err)
{
    char *text = NULL;
    GError *ge = NULL;
    if (!g_file_get_contents(path, &text, NULL, &ge)) {
        *err = g_strdup_printf("cannot read the input log: %s", ge->message);
        g_error_free(ge);
        return EXIT_BAD_SNAPSHOT;
    }
    char **lines = g_strsplit(text, "\n", -1);
    g_free(text);
    int rc = EXIT_BAD_SNAPSHOT;
    char *desc = one_line_description(&l->m->cfg);
    bool ended = false;
    if (!lines[0] || strcmp(lines[0], "hvsim-input-log 1")) {
        *err = g_strdup_printf("%s: not an hvsim input log (or another version)", path);
        goto out;
    }
    if (!lines[1] || !g_str_has_prefix(lines[1], "machine ") || strcmp(lines[1] + 8, desc)) {
        *err = g_strdup_printf("%s: recorded on another machine (%s; this one: %s)", path,
                               lines[1] && g_str_has_prefix(lines[1], "machine ") ? lines[1] + 8 : "?",
                               desc);
        goto out;
    }
    for (int i = 2; lines[i]; i++) {
        if (!*lines[i])
            continue;
        if (ended) {
            *err = g_strdup_printf("%s:%d: entry after the end line", path, i + 1);
            goto out;
        }
        char **f = g_strsplit(lines[i], " ", -1);
        guint nf = g_strv_length(f);
        ILEntry e = { 0 };
        bool ok = false;
        char *end = NULL;
        if (!strcmp(f[0], "uart") && nf == 4) {
            e.kind = IL_UART;
            e.seq = g_ascii_strtoull(f[1], &end, 10);
            ok = !*end && (e.icount = g_ascii_strtoull(f[2], &end, 10), !*end) &&
                 parse_hex(f[3], &e.data, &e.len) && e.len <= 64;
            if (ok)
                g_array_append_val(l->uart, e);
        } else if (!strcmp(f[0], "mem") && nf == 5) {
            e.kind = IL_MEM;
            e.icount = g_ascii_strtoull(f[1], &end, 10);
            ok = !*end && parse_cpu(f[2], l->m->ncpus, &e.cpu) &&
                 (e.addr = g_ascii_strtoull(f[3], &end, 16), !*end) &&
                 parse_hex(f[4], &e.data, &e.len) && e.len <= IL_MAX_MEM_WRITE;
            if (ok)
                g_array_append_val(l->stops, e);
        } else if (!strcmp(f[0], "reg") && nf == 5) {
            e.kind = IL_REG;
            e.icount = g_ascii_strtoull(f[1], &end, 10);
            ok = !*end && parse_cpu(f[2], l->m->ncpus, &e.cpu) &&
                 (e.addr = g_ascii_strtoull(f[3], &end, 10), !*end) && e.addr <= IL_MAX_REGNO &&
                 (e.value = g_ascii_strtoull(f[4], &end, 16), !*end);
            if (ok)
                g_array_append_val(l->stops, e);
        } else if ((!strcmp(f[0], "hash") && nf == 3) ||
                   (!strcmp(f[0], "end") && (nf == 3 || (nf == 4 && (!strcmp(f[3], "stop") ||
                                                                      !strcmp(f[3], "quit")))))) {
            e.kind = IL_HASH;
            e.icount = g_ascii_strtoull(f[1], &end, 10);
            e.value = nf == 4 && !strcmp(f[3], "quit");
            ok = !*end && is_hash(f[2]);
            if (ok) {
                e.data = (uint8_t *)g_strdup(f[2]);
                e.len = 65;
                if (!strcmp(f[0], "end"))
                    ended = true;
                g_array_append_val(l->stops, e);
            }
        }
        g_strfreev(f);
        if (!ok) {
            g_free(e.data);
            *err = g_strdup_printf("%s:%d: malformed entry", path, i + 1);
            goto out;
        }
        /* in order: device input by attempt, writes and hashes by instruction count */
        GArray *a = e.kind == IL_UART ? l->uart : l->stops;
        if (a->len > 1) {
            const ILEntry *p = &g_array_index(a, ILEntry, a->len - 2);
            if (e.kind == IL_UART ? p->seq >= e.seq : p->icount > e.icount) {
                *err = g_strdup_printf("%s:%d: entry out of order", path, i + 1);
                goto out;
            }
        }
    }
    if (!ended) {
        *err = g_strdup_printf("%s: truncated (no end line)", path);
        goto out;
    }
    l->uart_cur = l->stop_cur = 0;
    l->replay = true;
    rc = 0;
out:
    g_free(desc);
    g_strfreev(lines);
    return rc;
}

int inputlog_record_run(InputLog *l, uint64_t interval)
{
    Machine *m = l->m;
    while (!m->stop) {
        uint64_t next = (machine_icount(m) / interval + 1) * interval;
        if (!machine_run_to(m, next))
            break;
        inputlog_advance(l);
        inputlog_note_hash(l);
    }
    inputlog_advance(l);
    return m->exit_code;
}

int inputlog_replay_run(InputLog *l, char **err)
{
    Machine *m = l->m;
    uint64_t good = 0;        /* last instruction count where the states agreed */
    while (l->stop_cur < l->stops->len) {
        const ILEntry *e = &g_array_index(l->stops, ILEntry, l->stop_cur);
        bool last = l->stop_cur + 1 == l->stops->len;
        if (last) {
            /* the end line: a run the user ended ("quit") replays to its count, one that
             * stopped by itself runs to its end; then the counts and states compare */
            if (e->value)
                machine_run_to(m, e->icount);
            else
                machine_run(m);
            if (machine_icount(m) != e->icount) {
                *err = g_strdup_printf("replay diverged: the run ended at instruction %" PRIu64
                                       ", the recording at %" PRIu64 " (states agreed at %" PRIu64 ")",
                                       machine_icount(m), e->icount, good);
                return EXIT_BAD_SNAPSHOT;
            }
        } else if (!machine_run_to(m, e->icount)) {
            *err = g_strdup_printf("replay diverged: the run stopped at instruction %" PRIu64
                                   " before the recorded event at %" PRIu64 " (states agreed at %"
                                   PRIu64 ")", machine_icount(m), e->icount, good);
            return EXIT_BAD_SNAPSHOT;
        }
        if (e->kind == IL_HASH) {
            char hex[65];
            machine_state_hash(m, hex);
            if (strcmp(hex, (const char *)e->data)) {
                *err = g_strdup_printf("replay diverged between instruction %" PRIu64 " and %" PRIu64
                                       ": the state at %" PRIu64 " differs from the recording",
                                       good, e->icount, e->icount);
                return EXIT_BAD_SNAPSHOT;
            }
            good = e->icount;
            l->stop_cur++;
        } else if (!inputlog_apply_next_write(l)) {
            *err = g_strdup_printf("replay: cannot apply the recorded write at instruction %" PRIu64,
                                   e->icount);
            return EXIT_BAD_SNAPSHOT;
        }
    }
    return m->exit_code;
}
