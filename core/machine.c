/* Machine lifetime and the deterministic run loop.
 *
 * Cores run round-robin in slices. A slice lasts `quantum` cycles, cut short so that it ends
 * exactly at the next event's time; every core then runs until its local clock reaches the
 * slice end (an idle core's clock simply jumps there), the machine's time advances, and
 * the events due are fired in (time, priority, insertion) order. Nothing here depends on
 * host time, so the same inputs give the same run. */
#include "core/machine.h"
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool trace_parse_categories(const char *spec, uint32_t *mask, char **bad)
{
    static const struct { const char *name; uint32_t bit; } cats[] = {
        { "in_asm", TRACE_IN_ASM }, { "exec", TRACE_EXEC }, { "int", TRACE_INT },
        { "mmu", TRACE_MMU }, { "vmexit", TRACE_VMEXIT }, { "unimp", TRACE_UNIMP },
    };
    uint32_t m = 0;
    gchar **parts = g_strsplit(spec, ",", -1);
    for (int i = 0; parts[i]; i++) {
        size_t k = 0;
        while (k < G_N_ELEMENTS(cats) && strcmp(parts[i], cats[k].name))
            k++;
        if (k == G_N_ELEMENTS(cats)) {
            *bad = g_strdup(parts[i]);
            g_strfreev(parts);
            return false;
        }
        m |= cats[k].bit;
    }
    g_strfreev(parts);
    *mask = m;
    return true;
}

void machine_config_defaults(MachineConfig *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->board = g_strdup("virt");
    cfg->gic_version = 3;
    cfg->its = true;
    cfg->cpu_model = g_strdup("cortex-a57");
    cfg->ram_size = 128ULL << 20;
    cfg->smp = 1;
    cfg->timing = g_strdup("atomic");
    cfg->cpu_hz = 1000000000ULL;
    cfg->quantum = 10000;
    cfg->rtc_epoch = MACHINE_DEFAULT_RTC_EPOCH;
}

bool machine_has_its(const MachineConfig *cfg)
{
    return cfg->its && cfg->gic_version == 3;
}

void machine_config_free(MachineConfig *cfg)
{
    g_free(cfg->board);
    g_free(cfg->cpu_model);
    g_free(cfg->kernel);
    g_free(cfg->append);
    g_free(cfg->initrd);
    g_free(cfg->dtb);
    g_free(cfg->dumpdtb);
    g_free(cfg->dtb_overlay);
    g_free(cfg->trace_file);
    g_free(cfg->timing);
    g_free(cfg->timing_config);
    g_free(cfg->timing_switch);
    g_strfreev(cfg->devices);
    g_strfreev(cfg->guest_loaders);
    memset(cfg, 0, sizeof *cfg);
}

static void config_copy(MachineConfig *dst, const MachineConfig *src)
{
    *dst = *src;
    dst->board = g_strdup(src->board);
    dst->cpu_model = g_strdup(src->cpu_model);
    dst->kernel = g_strdup(src->kernel);
    dst->append = g_strdup(src->append);
    dst->initrd = g_strdup(src->initrd);
    dst->dtb = g_strdup(src->dtb);
    dst->dumpdtb = g_strdup(src->dumpdtb);
    dst->dtb_overlay = g_strdup(src->dtb_overlay);
    dst->trace_file = g_strdup(src->trace_file);
    dst->timing = g_strdup(src->timing);
    dst->timing_config = g_strdup(src->timing_config);
    dst->timing_switch = g_strdup(src->timing_switch);
    dst->devices = g_strdupv(src->devices);
    dst->guest_loaders = g_strdupv(src->guest_loaders);
}

Machine *machine_new(const MachineConfig *cfg, uint64_t ram_base, char **err)
{
    Machine *m = g_new0(Machine, 1);
    config_copy(&m->cfg, cfg);
    evq_init(&m->evq);
    m->out = stdout;
    m->trace = stderr;
    if (cfg->cpu_hz < MACHINE_MIN_HZ || cfg->cpu_hz > MACHINE_MAX_HZ) {
        *err = g_strdup_printf("core clock %llu Hz: want %llu to %llu Hz",
                               (unsigned long long)cfg->cpu_hz, MACHINE_MIN_HZ, MACHINE_MAX_HZ);
        machine_free(m);
        return NULL;
    }
    if (timing_model_init(&m->timing, cfg->timing, cfg->cpu_hz) < 0) {
        *err = g_strdup_printf("unknown timing model '%s' (available: atomic, inorder)", cfg->timing);
        machine_free(m);
        return NULL;
    }
    char *terr = tm_config_load(&m->timing.cfg, cfg->timing_config);
    if (terr) {
        char *t = g_strdup_printf("--timing-config %s", terr);
        g_free(terr);
        terr = t;
    } else if (cfg->timing_switch) {
        char *colon = strchr(cfg->timing_switch, ':');
        guint64 n = 0;
        g_autofree char *num = colon ? g_strndup(cfg->timing_switch, (gsize)(colon - cfg->timing_switch)) : NULL;
        if (!colon || !g_ascii_string_to_unsigned(num, 10, 1, G_MAXUINT64, &n, NULL) ||
            !timing_kind_parse(colon + 1, &m->timing.switch_to))
            terr = g_strdup_printf("--timing-switch-at %s: want N:MODEL (N > 0 instructions, "
                                   "MODEL atomic or inorder)", cfg->timing_switch);
        m->timing.switch_at = n;
    }
    if (terr) {
        *err = terr;
        machine_free(m);
        return NULL;
    }
    if (cfg->quantum == 0 || cfg->quantum > MACHINE_MAX_QUANTUM) {
        *err = g_strdup_printf("quantum %llu: want 1 to %llu instructions",
                               (unsigned long long)cfg->quantum, MACHINE_MAX_QUANTUM);
        machine_free(m);
        return NULL;
    }
    if (cfg->ram_size == 0 || cfg->ram_size > (255ULL << 30) || (cfg->ram_size & 0xfff)) {
        *err = g_strdup_printf("invalid RAM size %llu bytes (want a multiple of 4 KiB up to 255G)",
                               (unsigned long long)cfg->ram_size);
        machine_free(m);
        return NULL;
    }
    /* calloc gives zero pages lazily from the host, so a large -m costs only what is used */
    m->ram = calloc(1, cfg->ram_size);
    if (!m->ram) {
        *err = g_strdup_printf("cannot allocate %llu MiB of guest RAM",
                               (unsigned long long)(cfg->ram_size >> 20));
        machine_free(m);
        return NULL;
    }
    m->break_skip_cpu = -1;
    m->running_cpu = -1;
    m->out_digest = 0xcbf29ce484222325ULL;   /* FNV-1a offset basis */
    m->ram_code = calloc(1, cfg->ram_size >> 12);
    m->ram_touched = calloc(1, cfg->ram_size >> 12);
    if (!m->ram_code || !m->ram_touched) {
        *err = g_strdup("cannot allocate the code-page map");
        machine_free(m);
        return NULL;
    }
    m->ram_base = ram_base;
    m->ram_size = cfg->ram_size;
    bus_add_ram(&m->bus, "ram", ram_base, cfg->ram_size, m->ram, false);
    machine_add_memory(m, "ram", ram_base, cfg->ram_size, &m->ram);
    m->mems[m->nmems - 1].touched = m->ram_touched;
    return m;                 /* traces go to stderr until a front end gives m->trace a file */
}

void machine_free(Machine *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->ncpus; i++)
        if (m->cpus[i].cls->destroy)
            m->cpus[i].cls->destroy(m->cpus[i].obj);
    if (m->board_destroy)
        m->board_destroy(m->board);
    for (int i = 0; i < m->nobjects; i++)
        g_free(m->objects[i].name);
    free(m->ram);
    tm_free(m->timing.sys);
    stats_set_free(m->stats_base);
    free(m->ram_code);
    free(m->ram_dirty);
    free(m->ram_touched);
    if (m->typed)
        g_byte_array_free(m->typed, TRUE);
    g_free(m->out_wait);
    if (m->out_tail)
        g_string_free(m->out_tail, TRUE);
    machine_config_free(&m->cfg);
    g_free(m);
}

int machine_add_cpu(Machine *m, void *cpu, const CpuClass *cls)
{
    if (m->ncpus >= MACHINE_MAX_CPUS)
        return -1;
    MachineCpu *mc = &m->cpus[m->ncpus];
    mc->obj = cpu;
    mc->cls = cls;
    mc->icount = 0;
    mc->time = m->now;
    return m->ncpus++;
}

void machine_add_stats(Machine *m, StatsDumpFn fn, void *opaque)
{
    g_assert(m->nstats < STATS_MAX_PROVIDERS);
    m->stats[m->nstats++] = (StatsProvider){ fn, opaque };
}

/* The machine's own entries, reported first. */
static void dump_machine(void *opaque, const StatsSink *sink)
{
    Machine *m = opaque;
    stats_emit_formula(sink, "sim.seconds", "sim.time_ps", NULL, 1e-12, "s", "simulated seconds");
    stats_emit_value(sink, "sim.exit_code", (uint64_t)m->exit_code, "", "the run's exit code so far");
    stats_emit(sink, "sim.insns", machine_icount(m), "instructions", "instructions executed (all cores)");
    stats_emit(sink, "sim.time_ps", m->now, "ps", "simulated time");
    stats_emit_value(sink, "sim.cpu_hz", m->timing.hz, "Hz", "core clock of the timing model");
    for (int i = 0; i < m->ncpus; i++) {
        char name[32], share[32];
        snprintf(name, sizeof name, "cpu%d.insns", i);
        stats_emit(sink, name, m->cpus[i].icount, "instructions", "instructions executed");
        snprintf(share, sizeof share, "cpu%d.insn_share", i);
        stats_emit_formula(sink, share, name, "sim.insns", 1, "fraction",
                           "the core's share of all instructions executed");
    }
}

StatsSet *machine_stats(Machine *m)
{
    StatsProvider all[STATS_MAX_PROVIDERS + 1] = { { dump_machine, m } };
    memcpy(all + 1, m->stats, (size_t)m->nstats * sizeof all[0]);
    return stats_collect(all, m->nstats + 1, m->stats_base);
}

void machine_stats_reset(Machine *m)
{
    stats_set_free(m->stats_base);
    m->stats_base = NULL;
    m->stats_base = machine_stats(m);
}

MachineObject *machine_add_object(Machine *m, const char *name, const StateDesc *desc, void *obj)
{
    g_assert(m->nobjects < MACHINE_MAX_OBJECTS);
    MachineObject *o = &m->objects[m->nobjects++];
    o->name = g_strdup(name);
    o->desc = desc;
    o->obj = obj;
    o->post_load = NULL;
    return o;
}

void machine_add_memory(Machine *m, const char *name, uint64_t base, uint64_t size, uint8_t **data)
{
    g_assert(m->nmems < MACHINE_MAX_MEMS);
    m->mems[m->nmems++] = (MachineMem){ name, base, size, data, NULL };
}

bool machine_run_to(Machine *m, uint64_t target)
{
    uint64_t user_max = m->cfg.max_insns;
    uint64_t lim = user_max && user_max < target ? user_max : target;
    if (!m->stop && machine_icount(m) < lim) {
        m->cfg.max_insns = lim;
        machine_run(m);
        m->cfg.max_insns = user_max;
    } else if (!m->stop && user_max && machine_icount(m) >= user_max) {
        machine_stop(m, EXIT_OK, NULL);    /* already at the user's own limit */
        m->at_limit = true;
    }
    if (m->stop && m->at_limit && machine_icount(m) == lim && !(user_max && lim == user_max)) {
        m->stop = false;      /* our limit, not the user's: ready to run on */
        m->at_limit = false;
    }
    return machine_icount(m) == target && (!m->stop || m->at_limit);
}

MachineObject *machine_find_object(Machine *m, const char *name)
{
    for (int i = 0; i < m->nobjects; i++)
        if (!strcmp(m->objects[i].name, name))
            return &m->objects[i];
    return NULL;
}

void machine_stop(Machine *m, int code, const char *fmt, ...)
{
    if (m->stop)
        return;
    m->stop = true;
    m->exit_code = code;
    m->stop_msg[0] = 0;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(m->stop_msg, sizeof m->stop_msg, fmt, ap);
        va_end(ap);
    }
}

void machine_power_off(Machine *m)
{
    if (ev_wants(&m->events, EV_POWER_OFF)) {
        EvInfo e = { .kind = EV_POWER_OFF, .cpu = m->running_cpu, .el = -1, .vmid = -1,
                     .time = machine_time(m) };
        ev_publish(&m->events, &e);
    }
    m->powered_off = true;
    if (m->stop && m->paused) {   /* a pause asked for at the same moment gives way */
        m->stop = false;
        m->paused = false;
    }
    machine_stop(m, EXIT_OK, NULL);
}

uint64_t machine_icount_exact(const Machine *m)
{
    uint64_t n = machine_icount(m);
    if (m->running_cpu >= 0 && m->cpus[m->running_cpu].cls->retired)
        n += m->cpus[m->running_cpu].cls->retired(m->cpus[m->running_cpu].obj);
    return n;
}

size_t machine_read_host(int fd, int *eof, uint8_t *buf, size_t max)
{
    size_t got = 0;
    if (fd < 0 || *eof)
        return 0;
    while (got < max) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 0) <= 0)
            break;
        if (p.revents & (POLLNVAL | POLLERR)) {   /* closed or unusable: no more input */
            *eof = 1;
            break;
        }
        if (!(p.revents & (POLLIN | POLLHUP)))
            break;
        ssize_t n = read(fd, buf + got, max - got);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            break;
        if (n <= 0) {
            *eof = 1;
            break;
        }
        got += (size_t)n;
    }
    return got;
}

size_t machine_host_input(Machine *m, int fd, int *eof, uint8_t *buf, size_t max)
{
    if (m->typed && m->typed->len) {
        size_t n = m->typed->len < max ? m->typed->len : max;
        memcpy(buf, m->typed->data, n);
        g_byte_array_remove_range(m->typed, 0, (guint)n);
        return n;
    }
    return machine_read_host(fd, eof, buf, max);
}

size_t machine_input(Machine *m, int fd, int *eof, uint8_t *buf, size_t max)
{
    m->input_seq++;
    if (m->input)
        return m->input(m->input_opaque, fd, eof, buf, max);
    return machine_host_input(m, fd, eof, buf, max);
}

void machine_type(Machine *m, const uint8_t *bytes, size_t len)
{
    if (!m->typed)
        m->typed = g_byte_array_new();
    g_byte_array_append(m->typed, bytes, (guint)len);
}

void machine_wait_for_output(Machine *m, const char *text)
{
    g_free(m->out_wait);
    m->out_wait = text && *text ? g_strdup(text) : NULL;
    m->out_wait_len = m->out_wait ? strlen(m->out_wait) : 0;
    m->out_wait_hit = false;
    if (!m->out_tail)
        m->out_tail = g_string_new(NULL);
    g_string_truncate(m->out_tail, 0);
}

/* Output watch: the tail of the output as long as the text, compared after each byte.
 * Re-execution of the past (quiet) is not output, so it never matches. */
void machine_output_watch(Machine *m, uint8_t ch)
{
    if (m->quiet_depth)
        return;
    size_t n = m->out_wait_len;
    g_string_append_c(m->out_tail, (char)ch);
    if (m->out_tail->len > n)
        g_string_erase(m->out_tail, 0, (gssize)(m->out_tail->len - n));
    if (m->out_tail->len == n && !memcmp(m->out_tail->str, m->out_wait, n)) {
        g_free(m->out_wait);
        m->out_wait = NULL;
        m->out_wait_hit = true;
        m->paused = true;
        m->stop = true;
    }
}

void machine_quiet(Machine *m, bool on)
{
    if (on && m->quiet_depth++ == 0) {
        FILE *null = fopen("/dev/null", "w");
        if (!null) {
            m->quiet_depth--;   /* cannot silence: output is repeated, nothing worse */
            return;
        }
        fflush(m->out);
        fflush(m->trace);
        m->loud_out = m->out;
        m->loud_trace = m->trace;
        m->out = m->trace = null;
        m->events.quiet++;    /* the past again: traces and plugins do not hear it */
    } else if (!on && m->quiet_depth > 0 && --m->quiet_depth == 0) {
        m->events.quiet--;
        fclose(m->out);
        m->out = m->loud_out;
        m->trace = m->loud_trace;
    }
}

void machine_track_dirty(Machine *m, bool on)
{
    if (on && !m->ram_dirty)
        m->ram_dirty = calloc(1, m->ram_size >> 12);
    else if (!on) {
        free(m->ram_dirty);
        m->ram_dirty = NULL;
    }
    if (on)
        machine_clear_dirty(m);
}

void machine_clear_dirty(Machine *m)
{
    if (m->ram_dirty)
        memset(m->ram_dirty, 0, m->ram_size >> 12);
    for (int i = 0; i < m->ncpus; i++)
        if (m->cpus[i].cls->flush_write_cache)
            m->cpus[i].cls->flush_write_cache(m->cpus[i].obj);
}

uint64_t machine_icount(const Machine *m)
{
    uint64_t n = 0;
    for (int i = 0; i < m->ncpus; i++)
        n += m->cpus[i].icount;
    return n;
}

void machine_timing_switch(Machine *m, TimingKind k)
{
    TimingModel *tm = &m->timing;
    if (k == TIMING_INORDER && !tm->sys && m->ncpus) {
        tm->sys = tm_new(&tm->cfg, m->ncpus, m->cpus[0].cls->tm_walk);
        tm->sys->warm_from = machine_icount(m);
        machine_add_stats(m, tm_stats_dump, tm->sys);
    }
    tm->kind = k;
    tm->name = timing_kind_name(k);
    for (int i = 0; i < m->ncpus; i++)
        if (m->cpus[i].cls->timing_changed)
            m->cpus[i].cls->timing_changed(m->cpus[i].obj, k == TIMING_INORDER ? tm->sys : NULL);
}

SimTime machine_time(const Machine *m)
{
    return m->now;
}

/* True if every core is powered off: nothing can ever start one again. */
static bool all_off(Machine *m)
{
    for (int i = 0; i < m->ncpus; i++)
        if (!m->cpus[i].cls->off || !m->cpus[i].cls->off(m->cpus[i].obj))
            return false;
    return true;
}

/* True if no core has anything to execute until an event changes that. */
static bool all_idle(Machine *m)
{
    for (int i = 0; i < m->ncpus; i++)
        if (!m->cpus[i].cls->idle(m->cpus[i].obj))
            return false;
    return true;
}

int machine_run(Machine *m)
{
    const uint64_t ps = m->timing.ps_per_cycle;
    MachineRound *r = &m->round;
    m->at_limit = false;
    machine_timing_switch(m, m->timing.kind);   /* the cores on the model (once made, kept) */
    if (m->powered_off) {
        machine_stop(m, EXIT_OK, NULL);
        return m->exit_code;
    }
    while (!m->stop) {
        if (!r->active) {
            SimTime next = evq_next_time(&m->evq);
            if (next <= m->now) {
                evq_run_due(&m->evq, m->now);
                continue;
            }
            bool idle = all_idle(m);
            if (idle && all_off(m)) {   /* device events may still come, but nothing runs them */
                machine_stop(m, EXIT_GUEST_CRASH, "every core is powered off (machine hangs)");
                break;
            }
            r->end = m->now + m->cfg.quantum * ps;
            if (next < r->end || (next != SIMTIME_NEVER && idle))
                r->end = next;        /* every core waits for an event: time jumps to it */
            if (r->end > MACHINE_TIME_MAX) {
                machine_stop(m, EXIT_GUEST_CRASH,
                             "simulated time would pass its end (2^62 ps, 53 days): %s",
                             idle ? "all cores wait for an event that far away"
                                  : "the run has lasted that long");
                break;
            }
            r->next_cpu = 0;
            r->all_idle = 1;
            r->active = 1;
        }
        bool limit_hit = false;
        while (r->next_cpu < (uint64_t)m->ncpus && !m->stop) {
            MachineCpu *mc = &m->cpus[r->next_cpu];
            if (mc->time >= r->end) {
                r->all_idle = 0;
                r->next_cpu++;
                continue;
            }
            if (mc->cls->idle(mc->obj)) {
                mc->time = r->end;
                r->next_cpu++;
                continue;
            }
            r->all_idle = 0;
            /* the slice in cycles, and a cap in instructions from the limits */
            uint64_t full = (r->end - mc->time + ps - 1) / ps, cap = UINT64_MAX;
            uint64_t done = m->cfg.max_insns || m->timing.switch_at ? machine_icount(m) : 0;
            if (m->timing.switch_at && done >= m->timing.switch_at) {
                m->timing.switch_at = 0;
                machine_timing_switch(m, m->timing.switch_to);
            }
            if (m->cfg.max_insns) {
                if (done >= m->cfg.max_insns) {
                    limit_hit = true;
                    break;
                }
                cap = m->cfg.max_insns - done;
            }
            if (m->timing.switch_at && cap > m->timing.switch_at - done)
                cap = m->timing.switch_at - done;
            /* atomic: one cycle per instruction, so the slice is an instruction count too */
            bool cycle_model = m->timing.kind != TIMING_ATOMIC;
            uint64_t want = cycle_model || cap < full ? cap : full;
            m->running_cpu = (int)r->next_cpu;
            uint64_t cycles = 0;
            uint64_t ran = mc->cls->run(mc->obj, full, want, &cycles);
            m->running_cpu = -1;
            mc->icount += ran;
            mc->time += cycles * ps;
            /* the core may have scheduled an event inside this slice (a timer): the slice
             * ends there for the cores after it, and the event runs at its exact time */
            SimTime nt = evq_next_time(&m->evq);
            if (nt < r->end && nt > m->now)
                r->end = nt;
            if (ran < want && !m->stop && mc->cls->idle(mc->obj))
                mc->time = r->end;
            /* A core stopped inside its slice (debugger pause, or cut short by the
             * instruction limit) resumes the same slice when the machine runs again, so
             * stopping anywhere leaves the interleaving of the cores unchanged. */
            bool cut = ran == cap && (cycle_model || cap < full);   /* by a limit, not the clock */
            if (!m->stop && !cut)
                r->next_cpu++;
        }
        if (m->stop)
            break;
        if (limit_hit || (m->cfg.max_insns && machine_icount(m) >= m->cfg.max_insns)) {
            machine_stop(m, EXIT_OK, NULL);
            m->at_limit = true;
            break;
        }
        r->active = 0;
        /* a core that could not run its slice (a machine resumed after it stopped on an
         * error) keeps up with the others: every clock is at or past now */
        for (int i = 0; i < m->ncpus; i++)
            if (m->cpus[i].time < r->end)
                m->cpus[i].time = r->end;
        m->now = r->end;
        evq_run_due(&m->evq, m->now);
        if (m->host_poll)
            m->host_poll(m->host_poll_opaque);
        if (r->all_idle && evq_next_time(&m->evq) == SIMTIME_NEVER) {
            if (all_idle(m))
                machine_stop(m, EXIT_GUEST_CRASH,
                             "all cores are halted or off and no event is pending (machine hangs)");
        }
    }
    fflush(m->out);
    return m->exit_code;
}

static bool page_is_zero(const uint8_t *p)
{
    static const uint8_t zero[4096];
    return memcmp(p, zero, 4096) == 0;
}

/* The machine's own state: simulated time, the input attempt count, the output digest, the
 * round-robin schedule in progress and whether the guest powered it off (the rest of
 * Machine is wiring). */
static const StateField machine_fields[] = {
    STATE_FIELD(Machine, now, V_RANGE(0, MACHINE_TIME_MAX)),
    STATE_FIELD(Machine, input_seq, V_ANY),
    STATE_FIELD(Machine, out_digest, V_ANY),
    STATE_FIELD(Machine, round.active, V_BOOL),
    STATE_FIELD(Machine, round.end, V_REL),
    STATE_FIELD(Machine, round.next_cpu, V_REL),
    STATE_FIELD(Machine, round.all_idle, V_BOOL),
    STATE_FIELD(Machine, powered_off, V_BOOL),
};

/* Relations of the schedule and the clocks (m is a staged copy whose cpus[] hold the loaded
 * "cpuN.clock" parts): a round in progress ends after now and within one quantum, and names
 * a core; each core's clock lies between now and one quantum (and a cycle of rounding) past
 * it — not only up to the round's end, since an event scheduled during a round cuts the end
 * short after earlier cores ran their whole slice — and a core cannot have retired more
 * instructions than its clock has cycles. */
static bool machine_check_state(const void *obj, char **err)
{
    const Machine *m = obj;
    const MachineRound *r = &m->round;
    const uint64_t ps = m->timing.ps_per_cycle;
    /* a cycle model may overrun a slice by one instruction's cycles */
    const uint64_t overrun = m->timing.sys ? m->timing.sys->max_stall : 0;
    const SimTime ahead = (m->cfg.quantum + 1 + overrun) * ps;   /* no overflow: machine.h limits */
    if (r->active) {
        if (r->end < m->now || r->end - m->now > m->cfg.quantum * ps) {
            *err = g_strdup_printf("round.end = %llu lies outside the quantum after now = %llu",
                                   (unsigned long long)r->end, (unsigned long long)m->now);
            return false;
        }
        if (r->next_cpu > (uint64_t)m->ncpus) {
            *err = g_strdup_printf("round.next_cpu = %llu, but the machine has %d cores",
                                   (unsigned long long)r->next_cpu, m->ncpus);
            return false;
        }
    }
    for (int i = 0; i < m->ncpus; i++) {
        const MachineCpu *mc = &m->cpus[i];
        if (mc->time < m->now || mc->time - m->now > ahead) {
            *err = g_strdup_printf("cpu%d.clock: time = %llu ps, outside [%llu, %llu] (now, a "
                                   "quantum and a cycle later)", i, (unsigned long long)mc->time,
                                   (unsigned long long)m->now,
                                   (unsigned long long)(m->now + ahead));
            return false;
        }
        /* at most two instructions per cycle (one under atomic, two with dual issue) */
        if (mc->icount / 2 > mc->time / ps) {
            *err = g_strdup_printf("cpu%d.clock: icount = %llu instructions in %llu cycles",
                                   i, (unsigned long long)mc->icount,
                                   (unsigned long long)(mc->time / ps));
            return false;
        }
    }
    return true;
}
const StateDesc machine_state_desc = STATE_DESC_CHECKED("machine", Machine, machine_fields,
                                                        machine_check_state);

/* Each core's place in the schedule. */
static const StateField machine_cpu_fields[] = {
    STATE_RUNTIME(MachineCpu, obj),
    STATE_RUNTIME(MachineCpu, cls),
    STATE_FIELD(MachineCpu, icount, V_REL),   /* checked by machine_state_desc */
    STATE_FIELD(MachineCpu, time, V_REL),
};
static bool machine_cpu_check_state(const void *obj, char **err)
{
    (void)obj;
    (void)err;
    return true;              /* the relations involve the machine: machine_check_state */
}
const StateDesc machine_cpu_state_desc = STATE_DESC_CHECKED("machine-cpu", MachineCpu,
                                                            machine_cpu_fields,
                                                            machine_cpu_check_state);

void machine_state_hash(Machine *m, char out[65])
{
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    state_hash_object(ck, "machine", &machine_state_desc, m);
    for (int i = 0; i < m->ncpus; i++) {
        MachineCpu *mc = &m->cpus[i];
        char name[32];
        snprintf(name, sizeof name, "cpu%d.clock", i);
        state_hash_object(ck, name, &machine_cpu_state_desc, mc);
        mc->cls->hash(mc->obj, ck);
    }
    for (int i = 0; i < m->nobjects; i++)
        state_hash_object(ck, m->objects[i].name, m->objects[i].desc, m->objects[i].obj);
    for (uint64_t off = 0; off < m->ram_size; off += 4096) {
        if (!m->ram_touched[off >> 12] || page_is_zero(m->ram + off))
            continue;
        g_checksum_update(ck, (const guchar *)&off, sizeof off);
        g_checksum_update(ck, m->ram + off, 4096);
    }
    /* other memories whose written pages are known (disk overlays; the flash is read-only
     * and fixed by the kernel image) */
    for (int i = 0; i < m->nmems; i++) {
        const MachineMem *mm = &m->mems[i];
        if (mm->data == &m->ram || !mm->touched || !*mm->data)
            continue;
        g_checksum_update(ck, (const guchar *)mm->name, (gssize)strlen(mm->name) + 1);
        for (uint64_t off = 0; off < mm->size; off += 4096) {
            if (!mm->touched[off >> 12] || page_is_zero(*mm->data + off))
                continue;
            g_checksum_update(ck, (const guchar *)&off, sizeof off);
            g_checksum_update(ck, *mm->data + off, 4096);
        }
    }
    g_strlcpy(out, g_checksum_get_string(ck), 65);
    g_checksum_free(ck);
}

/* Each class present once, in core order. */
static bool class_seen_before(const Machine *m, int i)
{
    for (int j = 0; j < i; j++)
        if (m->cpus[j].cls == m->cpus[i].cls)
            return true;
    return false;
}

void machine_set_trace_mask(Machine *m, uint32_t mask)
{
    m->cfg.trace_mask = mask;
    for (int i = 0; i < m->ncpus; i++)
        if (!class_seen_before(m, i) && m->cpus[i].cls->set_trace)
            m->cpus[i].cls->set_trace(m, mask);
}

void machine_set_symbolizer(Machine *m, Symbolizer *s)
{
    for (int i = 0; i < m->ncpus; i++)
        if (!class_seen_before(m, i) && m->cpus[i].cls->set_symbolizer)
            m->cpus[i].cls->set_symbolizer(m, s);
}
