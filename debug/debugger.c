/* The debugger core and its command table (see debugger.h). One table of commands (name,
 * arguments, help, handler) serves the console, --script files and GDB's monitor command. */
#include "debug/debugger.h"
#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hypervisor-model/vmexit.h"
#include "checkpoint/snapshot.h"
#include "ui/surface.h"

/* ---- breakpoints and run control ---- */
/* Ctrl-C in the console: the signal handler only asks the machine to stop; the cores return
 * at the next slice boundary, so the stop point is an instruction count like any other. */
static Machine *volatile sigint_machine;
static void on_sigint(int sig)
{
    (void)sig;
    Machine *m = sigint_machine;
    if (m && !m->stop) {      /* a stop already made (power off) is not turned into a pause */
        m->paused = true;
        m->stop = true;
    }
}

static void update_hook(Debugger *d);

int dbg_set_breakpoint(Debugger *d, uint64_t va)
{
    for (int k = 0; k < DBG_MAX_BREAKPOINTS; k++)
        if (!d->bp[k].id) {
            d->bp[k] = (DbgBreakpoint){ d->next_id++, va, -1, -1, -1 };
            update_hook(d);
            return d->bp[k].id;
        }
    return 0;
}

bool dbg_clear_breakpoint_at(Debugger *d, uint64_t va)
{
    for (int k = 0; k < DBG_MAX_BREAKPOINTS; k++)
        if (d->bp[k].id && d->bp[k].va == va && d->bp[k].cpu < 0 && d->bp[k].el < 0 && d->bp[k].vmid < 0) {
            d->bp[k].id = 0;
            update_hook(d);
            return true;
        }
    return false;
}

static bool break_check(void *opaque, int cpu, uint64_t pc, int el, int vmid)
{
    Debugger *d = opaque;
    for (int i = 0; i < DBG_MAX_BREAKPOINTS; i++) {
        const DbgBreakpoint *b = &d->bp[i];
        if (b->id && b->va == pc && (b->cpu < 0 || b->cpu == cpu) && (b->el < 0 || b->el == el) &&
            (b->vmid < 0 || b->vmid == vmid)) {
            d->stop_bp = b->id;
            d->stop_cpu = cpu;
            return true;
        }
    }
    return false;
}

/* break-on: a subscriber of the event stream. A VM exit is heard twice, as EV_VM_EXIT (from
 * the VM-exit model, nested in the exception's publication) and then as the EV_EXC_TAKEN
 * that caused it: the first hit of one exception stands (d->ev_hit), and an exception hit
 * on a VM exit is described as the VM exit (d->ev_vmexit). */
static bool ev_hit(Debugger *d, const DbgEvent *e, const EvInfo *ev)
{
    const CpuClass *cls = d->m->cpus[ev->cpu].cls;
    const char *lv = cls->level_prefix;
    d->stop_bp = e->id;
    d->stop_cpu = ev->cpu;
    if (d->ev_vmexit)
        snprintf(d->stop_event, sizeof d->stop_event, "vmexit %s from vm%d at %s%d, %s=0x%08" PRIx64,
                 d->ev_vmexit, ev->vmid, lv, ev->el, cls->syndrome_name,
                 ev->kind == EV_VM_EXIT ? ev->u.vm.syndrome : ev->u.exc.syndrome);
    else
        snprintf(d->stop_event, sizeof d->stop_event, "exception %s%d->%s%d vector %d, %s=0x%08" PRIx64,
                 lv, ev->el, lv, ev->u.exc.to_el, ev->u.exc.vector, cls->syndrome_name,
                 ev->u.exc.syndrome);
    return true;
}

static bool exc_hit(Debugger *d, const EvInfo *ev)
{
    for (int i = 0; i < DBG_MAX_BREAKPOINTS; i++) {
        const DbgEvent *e = &d->ev[i];
        if (!e->id || (e->cpu >= 0 && e->cpu != ev->cpu) || (e->vmid >= 0 && e->vmid != ev->vmid))
            continue;
        if ((e->kind == DBG_EV_EXCEPTION && ev->u.exc.cause >= 0 && ev->u.exc.cause == e->arg) ||
            (e->kind == DBG_EV_HVC && ev->u.exc.call >= 0 && ev->u.exc.call == e->arg))
            return ev_hit(d, e, ev);
    }
    return false;
}

static bool vmexit_hit(Debugger *d, const EvInfo *ev)
{
    for (int i = 0; i < DBG_MAX_BREAKPOINTS; i++) {
        const DbgEvent *e = &d->ev[i];
        if (e->id && e->kind == DBG_EV_VMEXIT && (e->cpu < 0 || e->cpu == ev->cpu) &&
            (e->vmid < 0 || e->vmid == ev->vmid) && (e->arg < 0 || e->arg == (int)ev->u.vm.reason))
            return ev_hit(d, e, ev);
    }
    return false;
}

/* break-on irq / tlbi: an interrupt acknowledged (physical or virtual), a TLBI executed */
static bool irq_tlbi_hit(Debugger *d, const EvInfo *ev)
{
    if (ev->kind == EV_IRQ && ev->u.irq.stage != EV_IRQ_ACK)
        return false;
    for (int i = 0; i < DBG_MAX_BREAKPOINTS; i++) {
        const DbgEvent *e = &d->ev[i];
        if (!e->id || (e->cpu >= 0 && e->cpu != ev->cpu) || (e->vmid >= 0 && e->vmid != ev->vmid))
            continue;
        if (ev->kind == EV_IRQ && e->kind == DBG_EV_IRQ &&
            (e->arg < 0 || e->arg == (int)ev->u.irq.intid)) {
            char lr[16] = "";
            if (ev->u.irq.lr >= 0)
                snprintf(lr, sizeof lr, ", lr%d", ev->u.irq.lr);
            snprintf(d->stop_event, sizeof d->stop_event, "irq %u acknowledged (%s%s) at %s%d",
                     ev->u.irq.intid, ev->u.irq.virt ? "virtual" : "physical", lr,
                     d->m->cpus[ev->cpu].cls->level_prefix, ev->el);
        } else if (ev->kind == EV_TLBI && e->kind == DBG_EV_TLBI) {
            if (ev->u.tlbi.by_va)
                snprintf(d->stop_event, sizeof d->stop_event, "%s of VA 0x%" PRIx64 " at %s%d",
                         ev->u.tlbi.op, ev->u.tlbi.addr, d->m->cpus[ev->cpu].cls->level_prefix,
                         ev->el);
            else
                snprintf(d->stop_event, sizeof d->stop_event, "%s at %s%d", ev->u.tlbi.op,
                         d->m->cpus[ev->cpu].cls->level_prefix, ev->el);
        } else {
            continue;
        }
        d->stop_bp = e->id;
        d->stop_cpu = ev->cpu;
        return true;
    }
    return false;
}

static bool on_event(void *opaque, const EvInfo *ev)
{
    Debugger *d = opaque;
    if (ev->kind == EV_IRQ || ev->kind == EV_TLBI)
        return irq_tlbi_hit(d, ev);
    if (ev->kind == EV_VM_EXIT) {
        d->ev_vmexit = ev->u.vm.reason_name;
        d->ev_hit = vmexit_hit(d, ev);
        return d->ev_hit;
    }
    bool hit = !d->ev_hit && exc_hit(d, ev);
    d->ev_hit = false;        /* the exception that ends this VM exit's publication */
    d->ev_vmexit = NULL;
    return hit;
}

static bool watch_check(void *opaque, int cpu, uint64_t va, uint64_t pa, unsigned size, bool write)
{
    Debugger *d = opaque;
    for (int i = 0; i < DBG_MAX_BREAKPOINTS; i++) {
        const DbgWatch *w = &d->wp[i];
        if (!w->id || !(w->kind & (write ? DBG_WATCH_WRITE : DBG_WATCH_READ)))
            continue;
        uint64_t a = (w->kind & DBG_WATCH_PHYS) ? pa : va;
        if (a < w->va + w->len && w->va < a + size) {
            d->stop_bp = w->id;
            d->stop_cpu = cpu;
            d->stop_watch_va = va;
            d->stop_watch_kind = write ? DBG_WATCH_WRITE : DBG_WATCH_READ;
            const MachineCpu *mc = &d->m->cpus[cpu];
            snprintf(d->stop_event, sizeof d->stop_event, "watchpoint: %s of %u bytes at 0x%" PRIx64
                     " by cpu%d at %s%d", write ? "write" : "read", size, va, cpu,
                     mc->cls->level_prefix, mc->cls->level(mc->obj));
            return true;
        }
    }
    return false;
}

static void update_hook(Debugger *d)
{
    bool any = false, anyev = false, anywp = false;
    for (int i = 0; i < DBG_MAX_BREAKPOINTS; i++) {
        any |= d->bp[i].id != 0;
        anyev |= d->ev[i].id != 0;
        anywp |= d->wp[i].id != 0;
    }
    d->m->break_check = any ? break_check : NULL;
    d->m->nbreak_vas = 0;
    for (int i = 0; i < DBG_MAX_BREAKPOINTS && d->m->nbreak_vas >= 0; i++) {
        if (!d->bp[i].id)
            continue;
        bool have = false;
        for (int k = 0; k < d->m->nbreak_vas; k++)
            have |= d->m->break_vas[k] == d->bp[i].va;
        if (have)
            continue;
        if (d->m->nbreak_vas == MACHINE_MAX_BREAK_VAS)
            d->m->nbreak_vas = -1;        /* too many: check every instruction */
        else
            d->m->break_vas[d->m->nbreak_vas++] = d->bp[i].va;
    }
    uint32_t kinds = 0;
    for (int i = 0; i < DBG_MAX_BREAKPOINTS; i++)
        if (d->ev[i].id)
            kinds |= d->ev[i].kind == DBG_EV_IRQ    ? EV_BIT(EV_IRQ)
                     : d->ev[i].kind == DBG_EV_TLBI ? EV_BIT(EV_TLBI)
                                                    : EV_BIT(EV_EXC_TAKEN) | EV_BIT(EV_VM_EXIT);
    if (anyev)
        ev_subscribe(&d->m->events, kinds, EV_PRIO_DEBUG, NULL, on_event, d);
    else
        ev_unsubscribe(&d->m->events, on_event, d);
    d->ev_hit = false;
    d->ev_vmexit = NULL;
    bool had_wp = d->m->watch_check != NULL;
    d->m->watch_check = anywp ? watch_check : NULL;
    d->m->break_opaque = d;
    if (anywp && !had_wp)     /* every access must reach the slow path now */
        for (int i = 0; i < d->m->ncpus; i++)
            d->m->cpus[i].cls->flush_tlb(d->m->cpus[i].obj);
}

int dbg_set_watchpoint(Debugger *d, uint64_t va, uint64_t len, unsigned kind)
{
    for (int k = 0; k < DBG_MAX_BREAKPOINTS; k++)
        if (!d->wp[k].id) {
            d->wp[k] = (DbgWatch){ d->next_id++, va, len ? len : 1, kind };
            update_hook(d);
            return d->wp[k].id;
        }
    return 0;
}

bool dbg_clear_watchpoint_at(Debugger *d, uint64_t va, unsigned kind)
{
    for (int k = 0; k < DBG_MAX_BREAKPOINTS; k++)
        if (d->wp[k].id && d->wp[k].va == va && d->wp[k].kind == kind) {
            d->wp[k].id = 0;
            update_hook(d);
            return true;
        }
    return false;
}

/* Reads memory for the user without side effects: RAM and other memory-backed regions only
 * (a device register read can pop a FIFO or acknowledge an interrupt). */
bool dbg_peek(Machine *m, uint64_t pa, unsigned size, uint64_t *v)
{
    const uint8_t *host = bus_ram_ptr(&m->bus, pa, size);
    if (!host)
        return false;
    *v = 0;
    memcpy(v, host, size);   /* little-endian host */
    return true;
}

Debugger *dbg_new(Machine *m)
{
    Debugger *d = g_new0(Debugger, 1);
    d->m = m;
    d->next_id = 1;
    return d;
}

bool dbg_close_trace(Debugger *d, char **err)
{
    if (!d->trace_out)
        return true;
    OutFile *f = d->trace_out;
    d->trace_out = NULL;
    if (d->m->trace == outfile_stream(f))
        d->m->trace = stderr;
    bool reported = d->trace_failed;
    d->trace_failed = false;
    char *e = NULL;
    if (outfile_commit(f, &e) || reported) {
        g_free(e);            /* an error already reported is not reported twice */
        return true;
    }
    *err = e;
    return false;
}

void dbg_free(Debugger *d)
{
    if (!d)
        return;
    if (d->trace_out) {
        if (d->m->trace == outfile_stream(d->trace_out))
            d->m->trace = stderr;
        outfile_abort(d->trace_out);
    }
    d->m->break_check = NULL;
    ev_unsubscribe(&d->m->events, on_event, d);
    d->m->watch_check = NULL;
    dbg_symbols_free(&d->syms);
    reverse_free(d->rev);
    inputlog_free(d->log);
    g_free(d);
}

void dbg_enable_history(Debugger *d, uint64_t interval, uint64_t budget)
{
    d->rev_interval = interval;
    d->rev_budget = budget;
    if (!d->log) {
        d->log = inputlog_new(d->m);
        inputlog_set_apply(d->log, dbg_apply_logged_write, d->m);
    }
    if (budget && !d->rev)
        d->rev = reverse_new(d->m, d->log, interval, budget);
}

/* ---- user writes ---- */
static bool raw_write_mem(Machine *m, int cpu, uint64_t va, const uint8_t *buf, size_t len)
{
    const MachineCpu *mc = &m->cpus[cpu];
    for (size_t i = 0; i < len; i++) {
        uint64_t pa;
        if (!mc->cls->debug_translate(mc->obj, va + i, &pa))
            return false;
        uint8_t *h = bus_ram_ptr(&m->bus, pa, 1);
        if (h) {
            *h = buf[i];
            if (m->code_written)
                m->code_written(m, pa);   /* software breakpoints, patched code */
            machine_ram_written(m, pa, 1);
        } else if (!bus_write(&m->bus, pa, 1, buf[i])) {
            return false;
        }
    }
    return true;
}

static bool raw_write_reg(Machine *m, int cpu, unsigned num, uint64_t v)
{
    const MachineCpu *mc = &m->cpus[cpu];
    return mc->cls->reg_put(mc->obj, num, v);
}

/* A user write is about to change the state: in the past, the snapshots of the recorded
 * future go (the input log drops its own future when the write is noted). */
static void before_user_write(Debugger *d)
{
    if (d->rev)
        reverse_truncate(d->rev);
}

bool dbg_write_mem(Debugger *d, int cpu, uint64_t va, const uint8_t *buf, size_t len)
{
    Machine *m = d->m;
    const MachineCpu *mc = &m->cpus[cpu];
    bool same = true;
    for (size_t i = 0; i < len && same; i++) {
        uint64_t pa, v;
        same = mc->cls->debug_translate(mc->obj, va + i, &pa) && dbg_peek(m, pa, 1, &v) &&
               v == buf[i];
    }
    if (same)
        return true;          /* nothing changes: not an input */
    before_user_write(d);
    if (!raw_write_mem(m, cpu, va, buf, len))
        return false;
    if (d->log)
        inputlog_note_mem(d->log, cpu, va, buf, len);
    return true;
}

bool dbg_write_reg(Debugger *d, int cpu, unsigned regnum, uint64_t v)
{
    const MachineCpu *mc = &d->m->cpus[cpu];
    uint64_t now;
    if (!mc->cls->reg_get(mc->obj, regnum, &now))
        return false;
    if (now == v)
        return true;
    /* a register the class will not write (read-only) is refused before anything changes */
    uint64_t probe = now;
    if (!mc->cls->reg_put(mc->obj, regnum, probe))
        return false;
    before_user_write(d);
    raw_write_reg(d->m, cpu, regnum, v);
    if (d->log)
        inputlog_note_reg(d->log, cpu, (int)regnum, v);
    return true;
}

bool dbg_apply_logged_write(void *machine, const ILEntry *e)
{
    Machine *m = machine;
    if (e->cpu < 0 || e->cpu >= m->ncpus)
        return false;
    return e->kind == IL_MEM ? raw_write_mem(m, e->cpu, e->addr, e->data, e->len)
                             : raw_write_reg(m, e->cpu, (unsigned)e->addr, e->value);
}


/* " <func+0xoff>" when a symbol covers addr */
static void append_sym(Debugger *d, uint64_t addr, GString *out)
{
    uint64_t off;
    const DbgSymbol *s = dbg_symbol_at(&d->syms, addr, &off);
    if (s)
        g_string_append_printf(out, off ? " <%s+0x%" PRIx64 ">" : " <%s>", s->name, off);
}

/* Up to n bytes of code at addr of the selected core (virtual, or physical with phys), as
 * far as they translate and are memory: how many were read. */
static size_t read_code(Debugger *d, int cpu, uint64_t addr, bool phys, uint8_t *buf, size_t n)
{
    const MachineCpu *mc = &d->m->cpus[cpu];
    size_t i;
    for (i = 0; i < n; i++) {
        uint64_t pa = addr + i, v;
        if ((!phys && !mc->cls->debug_translate(mc->obj, addr + i, &pa)) ||
            !dbg_peek(d->m, pa, 1, &v))
            break;
        buf[i] = (uint8_t)v;
    }
    return i;
}

/* One instruction at addr in words (its encoding, its text): the bytes it takes. */
static unsigned disas_at(Debugger *d, int cpu, uint64_t addr, bool phys, char *hex, size_t hexn,
                         char *text, size_t textn)
{
    const MachineCpu *mc = &d->m->cpus[cpu];
    uint8_t code[16];
    size_t n = read_code(d, cpu, addr, phys, code, MIN(sizeof code, mc->cls->max_insn_bytes));
    return mc->cls->disas(addr, code, n, hex, hexn, text, textn);
}

static void describe_pc(Debugger *d, int cpu, GString *out)
{
    const MachineCpu *mc = &d->m->cpus[cpu];
    uint64_t pc = mc->cls->pc(mc->obj);
    char hex[40], dis[128];
    disas_at(d, cpu, pc, false, hex, sizeof hex, dis, sizeof dis);
    g_string_append_printf(out, "cpu%d %s%d pc=0x%016" PRIx64, cpu, mc->cls->level_prefix,
                           mc->cls->level(mc->obj), pc);
    append_sym(d, pc, out);
    g_string_append_printf(out, " %s  %s\n", hex, dis);
}

/* Runs the machine for at most n instructions (0 = until a breakpoint or the end). */
static void run_for(Debugger *d, uint64_t n, GString *out)
{
    Machine *m = d->m;
    if (d->exited) {
        g_string_append_printf(out, "error: %s; nothing to run\n", d->exit_reason);
        return;
    }
    uint64_t user_max = m->cfg.max_insns, start = machine_icount(m);
    uint64_t limit = n ? start + n : 0;
    if (user_max && (!limit || user_max < limit))
        limit = user_max;
    m->cfg.max_insns = limit;
    if (d->stop == DBG_STOP_BREAK)
        m->break_skip_cpu = d->stop_cpu;        /* step over the breakpoint we stand on */
    m->stop = false;
    m->paused = false;
    m->exit_code = 0;
    m->stop_msg[0] = 0;
    d->stop_event[0] = 0;
    d->stop_bp = 0;
    d->stop_watch_kind = 0;
    d->history_begin = false;
    struct sigaction sa = { 0 }, old;
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigint_machine = m;
    sigaction(SIGINT, &sa, &old);
    if (d->rev)
        reverse_run(d->rev);
    else
        machine_run(m);
    if (d->log && !d->rev)
        inputlog_advance(d->log);
    sigaction(SIGINT, &old, NULL);
    sigint_machine = NULL;
    m->cfg.max_insns = user_max;
    m->break_skip_cpu = -1;
    uint64_t ran = machine_icount(m) - start;
    if (m->powered_off)
        m->paused = false;    /* powered off: whatever else asked to stop, the machine ended */
    if (m->paused && m->out_wait_hit) {
        m->out_wait_hit = false;
        d->stop = DBG_STOP_STEP;
        g_string_append_printf(out, "output matched after %" PRIu64 " instructions (icount %" PRIu64 "): ",
                               ran, machine_icount(m));
        describe_pc(d, d->cur_cpu, out);
    } else if (m->paused && d->stop_event[0]) {
        d->stop = DBG_STOP_STEP;              /* the handler's first instruction: no step-over */
        g_string_append_printf(out, "%s %d after %" PRIu64 " instructions: %s\n  now ",
                               d->stop_watch_kind ? "Watchpoint" : "Event", d->stop_bp, ran,
                               d->stop_event);
        describe_pc(d, d->stop_cpu, out);
        d->cur_cpu = d->stop_cpu;
    } else if (m->paused && !d->stop_bp) {
        d->stop = DBG_STOP_STEP;
        g_string_append_printf(out, "interrupted after %" PRIu64 " instructions (icount %" PRIu64 "): ", ran,
                               machine_icount(m));
        describe_pc(d, d->cur_cpu, out);
    } else if (m->paused) {
        d->stop = DBG_STOP_BREAK;
        g_string_append_printf(out, "Breakpoint %d after %" PRIu64 " instructions: ", d->stop_bp, ran);
        describe_pc(d, d->stop_cpu, out);
        d->cur_cpu = d->stop_cpu;
    } else if (m->at_limit && limit && machine_icount(m) >= limit && limit != user_max &&
               !m->stop_msg[0] && m->exit_code == 0) {
        /* only a stop the limit made is a step: a guest that powered off on the step's
         * last instruction (or at the end of a GDB stub's chunk) has ended the machine */
        d->stop = DBG_STOP_STEP;
        g_string_append_printf(out, "stopped after %" PRIu64 " instructions (icount %" PRIu64 "): ", ran,
                               machine_icount(m));
        describe_pc(d, d->cur_cpu, out);
    } else {
        d->stop = DBG_STOP_EXIT;
        d->exited = true;
        if (m->exit_code != 0)
            snprintf(d->exit_reason, sizeof d->exit_reason, "the machine has stopped (exit code %d)",
                     m->exit_code);
        else if (m->at_limit)
            snprintf(d->exit_reason, sizeof d->exit_reason, "the machine has reached --max-insns "
                     "(%" PRIu64 " instructions)", user_max);
        else if (m->stop_msg[0])
            snprintf(d->exit_reason, sizeof d->exit_reason, "the machine has stopped (%s)", m->stop_msg);
        else
            snprintf(d->exit_reason, sizeof d->exit_reason, "the machine has powered off");
        fflush(m->out);
        g_string_append_printf(out, "machine stopped after %" PRIu64 " instructions: exit code %d%s%s\n", ran,
                               m->exit_code, m->stop_msg[0] ? ", " : "", m->stop_msg);
    }
}

DbgStopKind dbg_run(Debugger *d, uint64_t n, GString *out)
{
    run_for(d, n, out);
    return d->stop;
}

/* ---- argument helpers ---- */
static bool parse_u64(const char *s, uint64_t *v)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    *v = g_ascii_strtoull(s, &end, 0);
    return errno == 0 && *end == 0;
}

/* A value of up to 128 bits: 0x followed by 1-32 hex digits, or anything parse_u64 takes;
 * half[0] = bits 63..0. */
static bool parse_u128(const char *s, uint64_t half[2])
{
    half[1] = 0;
    if (!s || (s[0] != '0' || (s[1] != 'x' && s[1] != 'X')))
        return parse_u64(s, &half[0]);
    size_t n = strlen(s + 2);
    if (n == 0 || n > 32)
        return false;
    half[0] = 0;
    for (size_t i = 0; i < n; i++) {
        int h = g_ascii_xdigit_value(s[2 + i]);
        if (h < 0)
            return false;
        half[1] = half[1] << 4 | half[0] >> 60;
        half[0] = half[0] << 4 | (uint64_t)h;
    }
    return true;
}

#define FAIL(...)                                                                          \
    do {                                                                                   \
        g_string_append(out, "error: ");                                                   \
        g_string_append_printf(out, __VA_ARGS__);                                          \
        g_string_append_c(out, '\n');                                                      \
        return false;                                                                      \
    } while (0)

static bool parse_addr(Debugger *d, const char *s, uint64_t *a, bool *phys);

typedef bool (*CmdFn)(Debugger *d, int argc, char **argv, GString *out);
typedef struct DbgCmd {
    const char *name, *args, *help;
    CmdFn fn;
} DbgCmd;

/* ---- commands ---- */
static bool cmd_continue(Debugger *d, int argc, char **argv, GString *out)
{
    uint64_t n = 0;
    if (argc > 1 && !parse_u64(argv[1], &n))
        FAIL("continue: bad count '%s'", argv[1]);
    run_for(d, n, out);
    return !d->exited || d->m->exit_code == 0;
}

static bool cmd_stepi(Debugger *d, int argc, char **argv, GString *out)
{
    uint64_t n = 1;
    if (argc > 1 && (!parse_u64(argv[1], &n) || n == 0))
        FAIL("stepi: bad count '%s'", argv[1]);
    run_for(d, n, out);
    return !d->exited || d->m->exit_code == 0;
}

/* Parses `if COND [&& COND ...]` from argv[i] on, COND being el==N, cpu==N or vmid==N (el
 * only where el is non-NULL); unset conditions stay -1. */
static bool parse_conds(const char *cmd, int argc, char **argv, int i, int *el, int *cpu, int *vmid,
                        GString *out)
{
    const char *keys = el ? "el, cpu or vmid" : "cpu or vmid";
    if (i >= argc)
        return true;
    if (strcmp(argv[i], "if"))
        FAIL("%s: expected 'if', got '%s'", cmd, argv[i]);
    if (i + 1 >= argc)
        FAIL("%s: 'if' needs a condition (%s)", cmd, keys);
    for (i++; i < argc; i++) {
        if (!strcmp(argv[i], "&&"))
            continue;
        char key[8];
        uint64_t v;
        const char *eq = strstr(argv[i], "==");
        if (!eq || eq - argv[i] >= (long)sizeof key || !parse_u64(eq + 2, &v) || v > 0xffff)
            FAIL("%s: bad condition '%s' (%s, as KEY==N)", cmd, argv[i], keys);
        memcpy(key, argv[i], (size_t)(eq - argv[i]));
        key[eq - argv[i]] = 0;
        if (el && !strcmp(key, "el"))
            *el = (int)v;
        else if (!strcmp(key, "cpu"))
            *cpu = (int)v;
        else if (!strcmp(key, "vmid"))
            *vmid = (int)v;
        else
            FAIL("%s: unknown condition '%s' (%s)", cmd, key, keys);
    }
    return true;
}

static bool cmd_break(Debugger *d, int argc, char **argv, GString *out)
{
    uint64_t va;
    bool phys;
    if (argc < 2 || !parse_addr(d, argv[1], &va, &phys) || phys)
        FAIL("usage: break ADDR|SYMBOL[+OFF] [if el==N|cpu==N|vmid==N [&& ...]]");
    DbgBreakpoint b = { 0, va, -1, -1, -1 };
    if (!parse_conds("break", argc, argv, 2, &b.el, &b.cpu, &b.vmid, out))
        return false;
    for (int k = 0; k < DBG_MAX_BREAKPOINTS; k++)
        if (!d->bp[k].id) {
            b.id = d->next_id++;
            d->bp[k] = b;
            update_hook(d);
            g_string_append_printf(out, "Breakpoint %d at 0x%" PRIx64 "\n", b.id, va);
            return true;
        }
    FAIL("break: too many breakpoints (%d)", DBG_MAX_BREAKPOINTS);
}

static bool cmd_break_on(Debugger *d, int argc, char **argv, GString *out)
{
    DbgEvent e = { 0, DBG_EV_VMEXIT, -1, -1, -1 };
    uint64_t v;
    int nargs = 0;            /* arguments before `if` */
    while (nargs < argc && strcmp(argv[nargs], "if"))
        nargs++;
    if (!parse_conds("break-on", argc, argv, nargs, NULL, &e.cpu, &e.vmid, out))
        return false;
    argc = nargs;
    if (argc >= 2 && !strcmp(argv[1], "vmexit") && argc <= 3) {
        e.kind = DBG_EV_VMEXIT;
        if (argc == 3) {
            for (int r = 0; r < HVM_EXIT_N; r++)
                if (!strcmp(argv[2], hvm_exit_reason_name((HvmExitReason)r)))
                    e.arg = r;
            if (e.arg < 0)
                FAIL("break-on vmexit: unknown reason '%s' (hvc, smc, sysreg, wfx, dabt, iabt, irq, "
                     "fiq, serror, other)", argv[2]);
        }
    } else if (argc == 3 && !strcmp(argv[1], "exception") && parse_u64(argv[2], &v) && v < 64) {
        e.kind = DBG_EV_EXCEPTION;
        e.arg = (int)v;
    } else if (argc == 3 && !strcmp(argv[1], "hvc") && parse_u64(argv[2], &v) && v < 65536) {
        e.kind = DBG_EV_HVC;
        e.arg = (int)v;
    } else if ((argc == 2 || (argc == 3 && parse_u64(argv[2], &v) && v < (1u << 24))) &&
               !strcmp(argv[1], "irq")) {
        e.kind = DBG_EV_IRQ;
        if (argc == 3)
            e.arg = (int)v;
    } else if (argc == 2 && !strcmp(argv[1], "tlbi")) {
        e.kind = DBG_EV_TLBI;
    } else {
        FAIL("usage: break-on vmexit [REASON] | exception EC | hvc IMM | irq [INTID] | tlbi "
             "[if cpu==N && vmid==N]");
    }
    for (int k = 0; k < DBG_MAX_BREAKPOINTS; k++)
        if (!d->ev[k].id) {
            e.id = d->next_id++;
            d->ev[k] = e;
            update_hook(d);
            g_string_append_printf(out, "Breakpoint %d on %s", e.id, argv[1]);
            if (argc == 3)
                g_string_append_printf(out, " %s", argv[2]);
            if (e.cpu >= 0)
                g_string_append_printf(out, " cpu==%d", e.cpu);
            if (e.vmid >= 0)
                g_string_append_printf(out, " vmid==%d", e.vmid);
            g_string_append_c(out, '\n');
            return true;
        }
    FAIL("break-on: too many event breakpoints (%d)", DBG_MAX_BREAKPOINTS);
}

static bool cmd_watch(Debugger *d, int argc, char **argv, GString *out)
{
    uint64_t va, len = 8;
    bool phys;
    unsigned kind = DBG_WATCH_WRITE;
    if (argc < 2 || argc > 4 || !parse_addr(d, argv[1], &va, &phys))
        FAIL("usage: watch ADDR|pa:ADDR|ipa:ADDR [LEN] [r|w|rw] (default 8 bytes, writes)");
    if (argc > 2 && (!parse_u64(argv[2], &len) || len == 0))
        FAIL("watch: bad length '%s'", argv[2]);
    if (va + (len - 1) < va)
        FAIL("watch: 0x%" PRIx64 " + %" PRIu64 " bytes wraps around the address space", va, len);
    if (argc > 3) {
        if (!strcmp(argv[3], "r"))
            kind = DBG_WATCH_READ;
        else if (!strcmp(argv[3], "w"))
            kind = DBG_WATCH_WRITE;
        else if (!strcmp(argv[3], "rw"))
            kind = DBG_WATCH_READ | DBG_WATCH_WRITE;
        else
            FAIL("watch: kind must be r, w or rw");
    }
    int id = dbg_set_watchpoint(d, va, len, kind | (phys ? DBG_WATCH_PHYS : 0));
    if (!id)
        FAIL("watch: too many watchpoints (%d)", DBG_MAX_BREAKPOINTS);
    g_string_append_printf(out, "Watchpoint %d on %s0x%" PRIx64 ", %" PRIu64 " bytes, %s\n", id,
                           phys ? "physical " : "", va, len, kind == 3 ? "rw" : kind == 1 ? "r" : "w");
    return true;
}

static bool cmd_delete(Debugger *d, int argc, char **argv, GString *out)
{
    uint64_t id;
    if (argc != 2 || !parse_u64(argv[1], &id))
        FAIL("usage: delete N");
    for (int k = 0; k < DBG_MAX_BREAKPOINTS; k++) {
        int *slot = d->bp[k].id && (uint64_t)d->bp[k].id == id ? &d->bp[k].id
                    : d->ev[k].id && (uint64_t)d->ev[k].id == id ? &d->ev[k].id
                    : d->wp[k].id && (uint64_t)d->wp[k].id == id ? &d->wp[k].id : NULL;
        if (slot) {
            *slot = 0;
            update_hook(d);
            g_string_append_printf(out, "Deleted breakpoint %d\n", (int)id);
            return true;
        }
    }
    FAIL("delete: no breakpoint %s", argv[1]);
}

/* A register of the class by its GDB name or one of the class's aliases (NULL: none). */
static const CpuReg *find_reg(const CpuClass *cls, const char *name)
{
    for (const char *const *al = cls->reg_aliases; al && al[0]; al += 2)
        if (!strcmp(al[0], name))
            name = al[1];
    return cpuregs_find_name(cls->regs, name);
}

/* set REG VALUE | set mem ADDR VALUE [SIZE]: a user write, logged as external input */
static bool cmd_set(Debugger *d, int argc, char **argv, GString *out)
{
    uint64_t v;
    if (argc >= 4 && !strcmp(argv[1], "mem")) {
        uint64_t addr, size = 8;
        bool phys;
        if (argc > 5 || !parse_addr(d, argv[2], &addr, &phys) || !parse_u64(argv[3], &v) ||
            (argc == 5 && (!parse_u64(argv[4], &size) || (size != 1 && size != 2 && size != 4 && size != 8))))
            FAIL("usage: set mem ADDR VALUE [1|2|4|8] (virtual address of the selected core)");
        if (phys)
            FAIL("set mem: a virtual address of the selected core (no pa:/ipa:)");
        uint8_t b[8];
        for (unsigned i = 0; i < 8; i++)
            b[i] = (uint8_t)(v >> (8 * i));
        if (!dbg_write_mem(d, d->cur_cpu, addr, b, (size_t)size))
            FAIL("set mem: 0x%" PRIx64 " is not mapped", addr);
        g_string_append_printf(out, "wrote %" PRIu64 " bytes at 0x%" PRIx64 "\n", size, addr);
        return true;
    }
    const MachineCpu *mc = &d->m->cpus[d->cur_cpu];
    const CpuReg *reg = argc == 3 ? find_reg(mc->cls, argv[1]) : NULL;
    if (argc != 3 || !reg)
        FAIL("usage: set REG VALUE (a register by its GDB name: x0..x30, sp, pc, v0..v31, "
             "fpcr, fpsr, nzcv on AArch64; rax.., rip, eflags on x86-64) | set mem ADDR VALUE "
             "[SIZE]");
    if (reg->bitsize > 64) {
        uint64_t half[2];
        if (reg->bitsize != 128 || !parse_u128(argv[2], half))
            FAIL("usage: set %s VALUE (up to %u bits, e.g. 0x3ff00000000000004000000000000000)",
                 argv[1], reg->bitsize);
        for (unsigned k = 0; k < 2; k++)
            if (!dbg_write_reg(d, d->cur_cpu, mc->cls->reg_part(reg->regnum, k), half[k]))
                FAIL("set: %s cannot be written", argv[1]);
        g_string_append_printf(out, "%s = 0x%016" PRIx64 "%016" PRIx64 "\n", argv[1], half[1], half[0]);
        return true;
    }
    if (!parse_u64(argv[2], &v))
        FAIL("set: bad value '%s'", argv[2]);
    if (reg->bitsize < 64 && v >> reg->bitsize)
        FAIL("set: %s is %u bits wide", argv[1], reg->bitsize);
    if (!dbg_write_reg(d, d->cur_cpu, reg->regnum, v))
        FAIL("set: %s cannot be written", argv[1]);
    mc->cls->reg_get(mc->obj, reg->regnum, &v);   /* what the register holds (its mask) */
    g_string_append_printf(out, "%s = 0x%016" PRIx64 "\n", argv[1], v);
    return true;
}

static bool cmd_cpu(Debugger *d, int argc, char **argv, GString *out)
{
    uint64_t n;
    if (argc != 2 || !parse_u64(argv[1], &n) || n >= (uint64_t)d->m->ncpus)
        FAIL("usage: cpu N (0..%d)", d->m->ncpus - 1);
    d->cur_cpu = (int)n;
    describe_pc(d, d->cur_cpu, out);
    return true;
}

/* `info tlb`: the core's translation caches, as its class shows them. */
static void sym_cb(void *ctx, uint64_t va, GString *out)
{
    append_sym(ctx, va, out);
}

static void info_tlb(Debugger *d, int cpu, GString *out)
{
    const MachineCpu *mc = &d->m->cpus[cpu];
    mc->cls->tlb_dump(mc->obj, out, sym_cb, d);
}

/* `info stats`: one `name value` line per counter, value and formula (`-` for a formula with
 * no value), and per non-empty histogram bucket (`name[lo,hi) count`); `info vms`: the
 * per-VM entries alone. */
static void stats_lines(Machine *m, bool vms_only, GString *out)
{
    StatsSet *set = machine_stats(m);
    for (guint i = 0; i < set->items->len; i++) {
        const StatsItem *it = &g_array_index(set->items, StatsItem, i);
        if (vms_only && strncmp(it->name, "vm", 2))
            continue;
        switch (it->kind) {
        case STATS_COUNTER:
        case STATS_VALUE:
            g_string_append_printf(out, "%s %" PRIu64 "\n", it->name, it->value);
            break;
        case STATS_FORMULA:
            if (it->defined)
                g_string_append_printf(out, "%s %.9g\n", it->name, it->result);
            else
                g_string_append_printf(out, "%s -\n", it->name);
            break;
        case STATS_HISTOGRAM:
            for (unsigned k = 0; k < it->n; k++)
                if (it->counts[k] && k + 1 < it->n)
                    g_string_append_printf(out, "%s[%" PRIu64 ",%" PRIu64 ") %" PRIu64 "\n", it->name,
                                           k ? it->bounds[k - 1] : 0, it->bounds[k], it->counts[k]);
                else if (it->counts[k])
                    g_string_append_printf(out, "%s[%" PRIu64 ",) %" PRIu64 "\n", it->name,
                                           k ? it->bounds[k - 1] : 0, it->counts[k]);
            break;
        }
    }
    stats_set_free(set);
}

static bool cmd_info(Debugger *d, int argc, char **argv, GString *out)
{
    const char *what = argc > 1 ? argv[1] : "";
    const MachineCpu *mc = &d->m->cpus[d->cur_cpu];
    MachineObject *obj = *what ? machine_find_object(d->m, what) : NULL;
    const CpuInfoTopic *topic = mc->cls->info_topics;
    while (topic && topic->name && strcmp(topic->name, what))
        topic++;
    if (topic && topic->name) {     /* the architecture's: registers, vregs, sysregs */
        char *err = NULL;
        if (topic->show(mc->obj, argc - 2, argv + 2, out, &err) < 0) {
            g_string_append_printf(out, "error: %s\n", err);
            g_free(err);
            return false;
        }
    } else if (obj && obj->describe && argc == 2) {
        obj->describe(obj->obj, d->cur_cpu, out);   /* a device's state: info gic */
    } else if (!strcmp(what, "breakpoints")) {
        bool any = false;
        for (int k = 0; k < DBG_MAX_BREAKPOINTS; k++) {
            const DbgBreakpoint *b = &d->bp[k];
            if (!b->id)
                continue;
            any = true;
            g_string_append_printf(out, "%d 0x%016" PRIx64, b->id, b->va);
            if (b->cpu >= 0)
                g_string_append_printf(out, " cpu==%d", b->cpu);
            if (b->el >= 0)
                g_string_append_printf(out, " el==%d", b->el);
            if (b->vmid >= 0)
                g_string_append_printf(out, " vmid==%d", b->vmid);
            g_string_append_c(out, '\n');
        }
        static const char *const kinds[] = { "vmexit", "exception", "hvc", "irq", "tlbi" };
        for (int k = 0; k < DBG_MAX_BREAKPOINTS; k++) {
            const DbgEvent *e = &d->ev[k];
            if (!e->id)
                continue;
            any = true;
            g_string_append_printf(out, "%d on %s", e->id, kinds[e->kind]);
            if (e->kind == DBG_EV_VMEXIT && e->arg >= 0)
                g_string_append_printf(out, " %s", hvm_exit_reason_name((HvmExitReason)e->arg));
            else if (e->kind != DBG_EV_VMEXIT && e->arg >= 0)
                g_string_append_printf(out, " %d", e->arg);
            if (e->cpu >= 0)
                g_string_append_printf(out, " cpu==%d", e->cpu);
            if (e->vmid >= 0)
                g_string_append_printf(out, " vmid==%d", e->vmid);
            g_string_append_c(out, '\n');
        }
        for (int k = 0; k < DBG_MAX_BREAKPOINTS; k++) {
            const DbgWatch *w = &d->wp[k];
            if (!w->id)
                continue;
            any = true;
            unsigned k3 = w->kind & (DBG_WATCH_READ | DBG_WATCH_WRITE);
            g_string_append_printf(out, "%d watch %s0x%016" PRIx64 " len %" PRIu64 " %s\n", w->id,
                                   (w->kind & DBG_WATCH_PHYS) ? "pa:" : "", w->va, w->len,
                                   k3 == 3 ? "rw" : k3 == 1 ? "r" : "w");
        }
        if (!any)
            g_string_append(out, "no breakpoints\n");
    } else if (!strcmp(what, "history")) {
        if (!d->rev) {
            g_string_append(out, "reverse execution is off\n");
        } else {
            g_string_append_printf(out, "history: icount %" PRIu64 " to now (%" PRIu64 "), %d snapshots, "
                                   "%.1f MiB of %.1f MiB budget, one every %" PRIu64 " instructions\n",
                                   reverse_first(d->rev), machine_icount(d->m), reverse_count(d->rev),
                                   reverse_bytes(d->rev) / 1048576.0, d->rev_budget / 1048576.0,
                                   d->rev_interval);
        }
    } else if (!strcmp(what, "state-hash")) {
        char hex[65];
        machine_state_hash(d->m, hex);
        g_string_append_printf(out, "state-hash: %s\n", hex);
    } else if (!strcmp(what, "tlb")) {
        uint64_t n = (uint64_t)d->cur_cpu;
        if (argc > 3 || (argc == 3 && (!parse_u64(argv[2], &n) || n >= (uint64_t)d->m->ncpus)))
            FAIL("usage: info tlb [N] (core 0..%d; default the selected core)", d->m->ncpus - 1);
        info_tlb(d, (int)n, out);
    } else if (!strcmp(what, "stats") || !strcmp(what, "vms")) {
        stats_lines(d->m, !strcmp(what, "vms"), out);
    } else {
        FAIL("usage: info registers|sysregs [NAME...]|vregs [N...]|breakpoints|gic|tlb [N]|stats|vms|history|state-hash");
    }
    return true;
}

/* Reads `size` bytes of guest memory at a virtual address of the current core (or a
 * physical one with pa:). */
static bool read_mem(Debugger *d, uint64_t addr, bool phys, unsigned size, uint64_t *v)
{
    uint64_t pa = addr;
    const MachineCpu *mc = &d->m->cpus[d->cur_cpu];
    if (!phys && !mc->cls->debug_translate(mc->obj, addr, &pa))
        return false;
    return dbg_peek(d->m, pa, size, v);
}

static bool parse_addr(Debugger *d, const char *s, uint64_t *a, bool *phys)
{
    *phys = false;
    if (!strncmp(s, "pa:", 3)) {
        *phys = true;
        s += 3;
    } else if (!strncmp(s, "ipa:", 4)) {
        /* through the selected core's stage 2 (the VM loaded in VTTBR_EL2) */
        uint64_t ipa;
        *phys = true;
        const MachineCpu *mc = &d->m->cpus[d->cur_cpu];
        return parse_u64(s + 4, &ipa) && mc->cls->debug_translate_ipa(mc->obj, ipa, a);
    }
    if (parse_u64(s, a))
        return true;
    /* SYMBOL or SYMBOL+OFF */
    char name[128];
    const char *plus = strchr(s, '+');
    size_t n = plus ? (size_t)(plus - s) : strlen(s);
    uint64_t off = 0;
    if (n >= sizeof name || (plus && !parse_u64(plus + 1, &off)))
        return false;
    memcpy(name, s, n);
    name[n] = 0;
    if (!dbg_symbol_lookup(&d->syms, name, a))
        return false;
    *a += off;
    return true;
}

static bool cmd_x(Debugger *d, int argc, char **argv, GString *out)
{
    /* x/[N][b|h|w|g][x|d] ADDR */
    unsigned count = 1, size = 8;
    char fmt = 'x';
    const char *f = strchr(argv[0], '/');
    if (f) {
        char *end;
        unsigned long n = strtoul(f + 1, &end, 10);
        if (end != f + 1)
            count = (unsigned)n;
        for (; *end; end++) {
            switch (*end) {
            case 'b': size = 1; break;
            case 'h': size = 2; break;
            case 'w': size = 4; break;
            case 'g': size = 8; break;
            case 'x': case 'd': fmt = *end; break;
            default: FAIL("x: bad format '%s' (x/[N][b|h|w|g][x|d] ADDR)", f + 1);
            }
        }
    }
    uint64_t addr;
    bool phys;
    if (argc != 2 || !parse_addr(d, argv[1], &addr, &phys))
        FAIL("usage: x/[N][b|h|w|g][x|d] ADDR (pa:ADDR physical, ipa:ADDR through stage 2; an IPA stage 2 does not map is refused)");
    if (count == 0 || count > 4096)
        FAIL("x: count must be 1..4096");
    for (unsigned i = 0; i < count; i++) {
        uint64_t a = addr + (uint64_t)i * size, v = 0;
        if (i % (16 / size > 4 ? 4 : 16 / size) == 0)
            g_string_append_printf(out, "%s0x%016" PRIx64 ":", i ? "\n" : "", a);
        if (!read_mem(d, a, phys, size, &v))
            FAIL("x: cannot read 0x%" PRIx64 " (not mapped, or a device register: reading one has side effects)", a);
        if (fmt == 'x')
            g_string_append_printf(out, " 0x%0*" PRIx64, (int)size * 2, v);
        else
            g_string_append_printf(out, " %" PRId64, size == 8 ? (int64_t)v : size == 4 ? (int32_t)v
                                                 : size == 2 ? (int16_t)v : (int8_t)v);
    }
    g_string_append_c(out, '\n');
    return true;
}

static bool cmd_disas(Debugger *d, int argc, char **argv, GString *out)
{
    const MachineCpu *mc = &d->m->cpus[d->cur_cpu];
    uint64_t addr = mc->cls->pc(mc->obj), n = 8;
    bool phys = false;
    if (argc > 1 && !parse_addr(d, argv[1], &addr, &phys))
        FAIL("usage: disas [ADDR] [N]");
    if (argc > 2 && (!parse_u64(argv[2], &n) || n == 0 || n > 4096))
        FAIL("disas: bad count '%s'", argv[2]);
    uint64_t a = addr;
    for (uint64_t i = 0; i < n; i++) {
        char hex[40], dis[128];
        unsigned len = disas_at(d, d->cur_cpu, a, phys, hex, sizeof hex, dis, sizeof dis);
        if (!len)
            FAIL("disas: cannot read 0x%" PRIx64 " (not mapped)", a);
        g_string_append_printf(out, "0x%016" PRIx64, a);
        append_sym(d, a, out);
        g_string_append_printf(out, ": %s  %s\n", hex, dis);
        a += len;
    }
    return true;
}

static bool cmd_translate(Debugger *d, int argc, char **argv, GString *out)
{
    uint64_t va;
    if (argc != 2 || !parse_u64(argv[1], &va))
        FAIL("usage: translate VA");
    const MachineCpu *mc = &d->m->cpus[d->cur_cpu];
    mc->cls->explain_translation(mc->obj, va, out);
    return true;
}

static bool cmd_symbols(Debugger *d, int argc, char **argv, GString *out)
{
    if (argc != 2)
        FAIL("usage: symbols FILE (an ELF file)");
    char *err = NULL;
    size_t before = d->syms.n;
    if (!dbg_symbols_load(&d->syms, argv[1], &err)) {
        g_string_append_printf(out, "error: symbols: %s\n", err);
        g_free(err);
        return false;
    }
    g_string_append_printf(out, "%zu symbols loaded\n", d->syms.n - before);
    return true;
}

static bool cmd_until(Debugger *d, int argc, char **argv, GString *out)
{
    uint64_t va;
    bool phys;
    if (argc != 2 || !parse_addr(d, argv[1], &va, &phys) || phys)
        FAIL("usage: until ADDR|SYMBOL[+OFF]");
    int id = dbg_set_breakpoint(d, va);
    if (!id)
        FAIL("until: too many breakpoints");
    run_for(d, 0, out);
    for (int k = 0; k < DBG_MAX_BREAKPOINTS; k++)   /* the temporary breakpoint goes */
        if (d->bp[k].id == id) {
            d->bp[k].id = 0;
            update_hook(d);
        }
    return !d->exited || d->m->exit_code == 0;
}

/* The arguments of `type` / `wait-for` as one string: joined with single spaces, C escapes
 * (\n, \r, \t, \\, \", \ooo octal) decoded, so "type ls\n" types ls and Enter. */
static char *text_arg(char **argv)
{
    char *joined = g_strjoinv(" ", argv + 1);
    char *text = g_strcompress(joined);
    g_free(joined);
    return text;
}

/* type TEXT: the guest's console receives TEXT as if typed (after whatever the host terminal
 * gave before it); logged as input under --record and in reverse-execution history. */
static bool cmd_type(Debugger *d, int argc, char **argv, GString *out)
{
    if (argc < 2)
        FAIL("usage: type TEXT (escapes: \\n for Enter, \\t, \\\\, \\ooo)");
    char *text = text_arg(argv);
    machine_type(d->m, (const uint8_t *)text, strlen(text));
    g_free(text);
    return true;
}

/* wait-for TEXT: run until the guest's console output ends with TEXT (a breakpoint on output,
 * like Simics' wait-for-string); other stops (breakpoints, the end) come first as usual. */
static bool cmd_wait_for(Debugger *d, int argc, char **argv, GString *out)
{
    if (argc < 2)
        FAIL("usage: wait-for TEXT");
    char *text = text_arg(argv);
    if (!*text) {
        g_free(text);
        FAIL("wait-for: empty text");
    }
    machine_wait_for_output(d->m, text);
    g_free(text);
    run_for(d, 0, out);
    bool matched = !d->m->out_wait;     /* cleared by the match */
    machine_wait_for_output(d->m, NULL);
    if (d->exited && !matched)
        FAIL("wait-for: the machine stopped before the text appeared");
    return !d->exited || d->m->exit_code == 0;
}

/* Commands that write a host file: refused when the command came from a GDB client, unless
 * hvsim was started with --gdb-allow-host-writes (a debugger connection must not be able to
 * replace the user's files). */
static bool host_write_allowed(Debugger *d, const char *cmd, GString *out)
{
    if (!d->in_gdb || d->gdb_host_writes)
        return true;
    g_string_append_printf(out, "error: %s: writing host files from GDB is disabled (start hvsim with "
                           "--gdb-allow-host-writes)\n", cmd);
    return false;
}

/* Opens FILE for a command under the output-file rule (core/outfile.h); NULL after an
 * error line in out. */
static OutFile *open_output(Debugger *d, const char *cmd, const char *path, bool force, GString *out)
{
    if (!host_write_allowed(d, cmd, out))
        return NULL;
    char *err = NULL;
    OutFile *f = outfile_open(path, force || d->force, &err);
    if (!f) {
        g_string_append_printf(out, "error: %s: %s\n", cmd, err);
        g_free(err);
    }
    return f;
}

/* trace on [FILE] [CATEGORIES] [force] | trace off: switches -d tracing of every core at run
 * time; FILE replaces the trace file (the previous one is finished and closed). */
static bool cmd_trace(Debugger *d, int argc, char **argv, GString *out)
{
    Machine *m = d->m;
    uint32_t mask = 0;
    bool force = argc >= 4 && !strcmp(argv[argc - 1], "force");   /* after a FILE only */
    if (force)
        argc--;
    if (argc >= 2 && !strcmp(argv[1], "off") && argc == 2 && !force) {
        mask = 0;
    } else if (argc >= 2 && !strcmp(argv[1], "on") && argc <= 4) {
        mask = TRACE_EXEC | TRACE_INT | TRACE_VMEXIT;
        if (argc == 4) {
            /* the categories first: a bad one must not touch any file */
            char *bad;
            if (!trace_parse_categories(argv[3], &mask, &bad)) {
                g_string_append_printf(out, "error: trace: unknown category '%s' (" TRACE_CATEGORIES ")\n",
                                       bad);
                g_free(bad);
                return false;
            }
        }
        if (argc >= 3) {
            OutFile *f = open_output(d, "trace", argv[2], force, out);
            if (!f)
                return false;
            char *err = NULL;
            bool closed = dbg_close_trace(d, &err);
            d->trace_out = f;
            m->trace = outfile_stream(f);
            if (!closed) {
                g_string_append_printf(out, "error: trace: %s\n", err);
                g_free(err);
                return false;
            }
        }
    } else {
        FAIL("usage: trace on [FILE] [exec,in_asm,int,mmu,vmexit,unimp] [force] | trace off");
    }
    machine_set_trace_mask(m, mask);
    if (m->trace)
        fflush(m->trace);
    g_string_append_printf(out, "tracing %s\n", mask ? "on" : "off");
    return true;
}

/* stats dump FILE [force]: the statistics registry, as JSON (--stats's format) when FILE
 * ends in .json, else one `name value` line per entry (as `info stats` prints it);
 * stats reset: later dumps, `info stats` and the statistics at exit count from here */
static bool cmd_stats(Debugger *d, int argc, char **argv, GString *out)
{
    if (argc == 2 && !strcmp(argv[1], "reset")) {
        machine_stats_reset(d->m);
        g_string_append_printf(out, "statistics reset at instruction %" PRIu64 "\n",
                                machine_icount(d->m));
        return true;
    }
    bool force = argc == 4 && !strcmp(argv[3], "force");
    if (argc < 3 || argc > 4 || strcmp(argv[1], "dump") || (argc == 4 && !force))
        FAIL("usage: stats dump FILE [force] | stats reset");
    OutFile *f = open_output(d, "stats dump", argv[2], force, out);
    if (!f)
        return false;
    GString *text = g_string_new(NULL);
    if (g_str_has_suffix(argv[2], ".json")) {
        StatsSet *set = machine_stats(d->m);
        char *json = stats_set_to_json(set, TRUE);
        g_string_append(text, json);
        g_string_append_c(text, '\n');
        g_free(json);
        stats_set_free(set);
    } else {
        stats_lines(d->m, false, text);
    }
    fwrite(text->str, 1, text->len, outfile_stream(f));
    g_string_free(text, TRUE);
    char *err = NULL;
    if (!outfile_commit(f, &err)) {
        g_string_append_printf(out, "error: stats dump: %s\n", err);
        g_free(err);
        return false;
    }
    g_string_append_printf(out, "wrote %s\n", argv[2]);
    return true;
}

/* screendump FILE [force]: the display's current frame as a PNG (QEMU's monitor command).
 * It reads guest RAM only, so it changes nothing in the machine. */
static bool cmd_screendump(Debugger *d, int argc, char **argv, GString *out)
{
    bool force = argc == 3 && !strcmp(argv[2], "force");
    if (argc < 2 || argc > 3 || (argc == 3 && !force))
        FAIL("usage: screendump FILE [force]");
    if (d->m->display.format == DISPLAY_FMT_NONE)   /* before the file: an error creates none */
        FAIL("screendump: the machine has no display (add -device simplefb)");
    OutFile *f = open_output(d, "screendump", argv[1], force, out);
    if (!f)
        return false;
    char *err = NULL;
    if (!surface_write_png(d->m, f, &err)) {
        outfile_abort(f);
        g_string_append_printf(out, "error: screendump: %s\n", err);
        g_free(err);
        return false;
    }
    if (!outfile_commit(f, &err)) {
        g_string_append_printf(out, "error: screendump: %s\n", err);
        g_free(err);
        return false;
    }
    g_string_append_printf(out, "wrote %s (%ux%u)\n", argv[1], d->m->display.width,
                           d->m->display.height);
    return true;
}

/* ---- history: reverse execution and snapshot files ---- */
/* Quietly to instruction count target (earlier or later); the machine is ready to run on. */
static bool go_to(Debugger *d, uint64_t target, GString *out)
{
    char *err = NULL;
    if (!reverse_goto(d->rev, target, &err)) {
        g_string_append_printf(out, "error: %s\n", err);
        g_free(err);
        return false;
    }
    d->exited = false;
    d->stop = DBG_STOP_STEP;
    d->stop_bp = 0;
    d->stop_event[0] = 0;
    d->stop_watch_kind = 0;
    return true;
}

static bool need_reverse(Debugger *d, const char *cmd, GString *out)
{
    if (d->rev)
        return true;
    g_string_append_printf(out, "error: %s: reverse execution is off (--reverse-budget 0)\n", cmd);
    return false;
}

DbgStopKind dbg_reverse_step(Debugger *d, uint64_t n, GString *out)
{
    uint64_t now = machine_icount(d->m), first = reverse_first(d->rev);
    d->history_begin = now < first || now - first < n;   /* clamps at the start (no wrap) */
    uint64_t target = d->history_begin ? first : now - n;
    if (!go_to(d, target, out))
        return d->stop;
    if (d->history_begin)
        g_string_append_printf(out, "reached the start of the recorded history (icount %" PRIu64 "): ",
                               target);
    else
        g_string_append_printf(out, "stepped back %" PRIu64 " instructions (icount %" PRIu64 "): ", n,
                               target);
    describe_pc(d, d->cur_cpu, out);
    return d->stop;
}

/* Runs [start, end) with the debugger's stops on, quietly, and returns the instruction count
 * of the last stop in it (breakpoint, watchpoint or event), or UINT64_MAX. */
static uint64_t last_hit(Debugger *d, uint64_t start, uint64_t end, GString *out)
{
    Machine *m = d->m;
    if (!go_to(d, start, out))
        return UINT64_MAX;
    uint64_t hit = UINT64_MAX, user_max = m->cfg.max_insns;
    machine_quiet(m, true);
    m->cfg.max_insns = end;
    m->break_skip_cpu = -1;
    for (;;) {
        m->stop = m->paused = false;
        m->exit_code = 0;
        m->stop_msg[0] = 0;
        d->stop_bp = 0;
        d->stop_event[0] = 0;
        d->stop_watch_kind = 0;
        reverse_run(d->rev);
        if (!m->paused || machine_icount(m) >= end)
            break;
        hit = machine_icount(m);
        /* step over a breakpoint we stand on; events and watchpoints stop after the fact */
        m->break_skip_cpu = d->stop_bp && !d->stop_event[0] && !d->stop_watch_kind ? d->stop_cpu : -1;
    }
    m->break_skip_cpu = -1;
    m->cfg.max_insns = user_max;
    machine_quiet(m, false);
    return hit;
}

DbgStopKind dbg_reverse_continue(Debugger *d, GString *out)
{
    Machine *m = d->m;
    uint64_t now = machine_icount(m), hit = UINT64_MAX, end = now;
    int n;
    uint64_t *pts = reverse_points_before(d->rev, now, &n);
    for (int i = 0; i < n && hit == UINT64_MAX; i++) {
        if (pts[i] >= end)
            continue;
        GString *err = g_string_new(NULL);
        hit = last_hit(d, pts[i], end, err);
        g_string_free(err, TRUE);
        end = pts[i];
    }
    g_free(pts);
    d->history_begin = hit == UINT64_MAX;
    if (d->history_begin) {
        uint64_t first = reverse_first(d->rev);
        if (go_to(d, first, out)) {
            g_string_append_printf(out, "no earlier stop: at the start of the recorded history "
                                   "(icount %" PRIu64 "): ", first);
            describe_pc(d, d->cur_cpu, out);
        }
        return d->stop;
    }
    /* land on the hit: just before it, then forward with the stops on until it fires */
    uint64_t from = hit > reverse_first(d->rev) ? hit - 1 : hit;
    if (!go_to(d, from, out))
        return d->stop;
    machine_quiet(m, true);
    GString *tmp = g_string_new(NULL);
    for (int guard = 0; guard < 64; guard++) {
        g_string_truncate(tmp, 0);
        run_for(d, hit + 1 - machine_icount(m), tmp);
        if (!m->paused || machine_icount(m) >= hit)
            break;
    }
    g_string_free(tmp, TRUE);
    machine_quiet(m, false);
    if (!m->paused || machine_icount(m) != hit) {
        /* not reproduced as a stop (a stop tied to Ctrl-C timing): stand at its count */
        if (go_to(d, hit, out)) {
            g_string_append_printf(out, "back at icount %" PRIu64 ": ", hit);
            describe_pc(d, d->cur_cpu, out);
        }
        return d->stop;
    }
    if (d->stop_event[0]) {
        g_string_append_printf(out, "%s %d at icount %" PRIu64 ": %s\n  now ",
                               d->stop_watch_kind ? "Watchpoint" : "Event", d->stop_bp, hit,
                               d->stop_event);
    } else {
        g_string_append_printf(out, "Breakpoint %d at icount %" PRIu64 ": ", d->stop_bp, hit);
    }
    describe_pc(d, d->stop_cpu, out);
    return d->stop;
}

static bool cmd_reverse_stepi(Debugger *d, int argc, char **argv, GString *out)
{
    uint64_t n = 1;
    if (argc > 1 && (!parse_u64(argv[1], &n) || n == 0))
        FAIL("reverse-stepi: bad count '%s'", argv[1]);
    if (!need_reverse(d, "reverse-stepi", out))
        return false;
    GString *o = g_string_new(NULL);
    dbg_reverse_step(d, n, o);
    bool ok = !g_str_has_prefix(o->str, "error:");
    g_string_append(out, o->str);
    g_string_free(o, TRUE);
    return ok;
}

static bool cmd_reverse_continue(Debugger *d, int argc, char **argv, GString *out)
{
    (void)argc;
    (void)argv;
    if (!need_reverse(d, "reverse-continue", out))
        return false;
    GString *o = g_string_new(NULL);
    dbg_reverse_continue(d, o);
    bool ok = !strstr(o->str, "error:");
    g_string_append(out, o->str);
    g_string_free(o, TRUE);
    return ok;
}

static bool cmd_rewind_to(Debugger *d, int argc, char **argv, GString *out)
{
    uint64_t n;
    if (argc != 2 || !parse_u64(argv[1], &n))
        FAIL("rewind-to: want an instruction count");
    if (!need_reverse(d, "rewind-to", out))
        return false;
    if (n > reverse_frontier(d->rev))
        FAIL("rewind-to: instruction %" PRIu64 " has not been reached yet (the history ends at %"
             PRIu64 "); run forward with stepi or continue", n, reverse_frontier(d->rev));
    if (!go_to(d, n, out))
        return false;
    g_string_append_printf(out, "at icount %" PRIu64 ": ", n);
    describe_pc(d, d->cur_cpu, out);
    return true;
}

static bool cmd_checkpoint(Debugger *d, int argc, char **argv, GString *out)
{
    Machine *m = d->m;
    if (argc < 3 || (strcmp(argv[1], "save") && strcmp(argv[1], "load")) ||
        (argc == 4 && (strcmp(argv[1], "save") || strcmp(argv[3], "force"))) || argc > 4)
        FAIL("checkpoint: want 'save FILE [force]' or 'load FILE'");
    char *err = NULL;
    if (!strcmp(argv[1], "save")) {
        if (!host_write_allowed(d, "checkpoint save", out))
            return false;
        if (snapshot_save(m, argv[2], argc == 4 || d->force, &err) < 0) {
            g_string_append_printf(out, "error: %s\n", err);
            g_free(err);
            return false;
        }
        g_string_append_printf(out, "saved %s at icount %" PRIu64 "\n", argv[2], machine_icount(m));
        return true;
    }
    if (snapshot_load(m, argv[2], &err)) {
        g_string_append_printf(out, "error: %s\n", err);
        g_free(err);
        return false;
    }
    /* the history before the load belongs to another timeline */
    reverse_free(d->rev);
    d->rev = NULL;
    inputlog_free(d->log);
    d->log = NULL;
    if (d->rev_interval)
        dbg_enable_history(d, d->rev_interval, d->rev_budget);
    d->exited = false;
    d->stop = DBG_STOP_STEP;
    g_string_append_printf(out, "loaded %s: icount %" PRIu64 ", ", argv[2], machine_icount(m));
    describe_pc(d, d->cur_cpu, out);
    return true;
}

static bool cmd_help(Debugger *d, int argc, char **argv, GString *out);
static bool cmd_quit(Debugger *d, int argc, char **argv, GString *out)
{
    (void)d;
    (void)argc;
    (void)argv;
    (void)out;
    return true;
}

static const DbgCmd commands[] = {
    { "continue", "[N]", "run until a breakpoint, the end, or N more instructions", cmd_continue },
    { "stepi", "[N]", "run N instructions (default 1), all cores", cmd_stepi },
    { "break", "ADDR [if el==N && cpu==N && vmid==N]", "stop before the instruction at virtual address ADDR", cmd_break },
    { "break-on", "vmexit [REASON] | exception EC | hvc IMM | irq [INTID] | tlbi [if cpu==N && vmid==N]", "stop right after a VM exit, an exception with class EC, HVC #IMM (vmid: the VM it came from), the acknowledgement of an interrupt (physical or virtual), or a TLB maintenance instruction", cmd_break_on },
    { "watch", "ADDR|pa:ADDR|ipa:ADDR [LEN] [r|w|rw]", "stop after a data access to [ADDR, ADDR+LEN) (virtual, or physical: any mapping of it; default 8 bytes, writes)", cmd_watch },
    { "delete", "N", "delete breakpoint or watchpoint N", cmd_delete },
    { "info", "registers|sysregs [NAME..]|vregs [N..]|breakpoints|gic|tlb [N]|stats|vms|history|state-hash", "show state of the selected core or machine; sysregs NAME: only those; vregs: the SIMD&FP registers (all, or vN...) and FPCR/FPSR; tlb: the soft TLB (cached translations) of the selected core or core N; history: the reverse-execution snapshots", cmd_info },
    { "x", "/[N][b|h|w|g][x|d] ADDR", "examine memory (virtual in the current regime, pa:ADDR physical, ipa:ADDR through stage 2)", cmd_x },
    { "translate", "VA", "walk VA through the current regime, both stages, descriptor by descriptor", cmd_translate },
    { "disas", "[ADDR] [N]", "disassemble N instructions (Capstone) at ADDR or the PC", cmd_disas },
    { "reverse-stepi", "[N]", "go back N instructions (default 1; all cores, by instruction count)", cmd_reverse_stepi },
    { "reverse-continue", "", "go back to the previous breakpoint, watchpoint or event hit, on any core", cmd_reverse_continue },
    { "rewind-to", "N", "go to instruction count N of the recorded history (earlier or later than now), quietly", cmd_rewind_to },
    { "checkpoint", "save FILE [force] | load FILE", "save the machine to a snapshot file, or load one", cmd_checkpoint },
    { "until", "ADDR", "run until the instruction at ADDR (a temporary breakpoint)", cmd_until },
    { "wait-for", "TEXT", "run until the guest's console output ends with TEXT (escapes: \\n, \\t, \\ooo)", cmd_wait_for },
    { "type", "TEXT", "the guest's console receives TEXT as if typed (\\n is Enter); logged as input", cmd_type },
    { "trace", "on [FILE] [CATS] [force] | off", "switch instruction/exception/VM-exit tracing at run time (FILE: never replaces a file without force)", cmd_trace },
    { "stats", "dump FILE [force] | reset", "write the statistics registry to FILE (JSON for *.json; never replaces a file without force), or count from now on", cmd_stats },
    { "screendump", "FILE [force]", "write the display's frame to FILE as a PNG (never replaces a file without force)", cmd_screendump },
    { "set", "REG VALUE | mem ADDR VALUE [SIZE]", "write a register (x0..x30, sp, pc, nzcv, v0..v31 up to 128 bits, fpcr, fpsr) or memory of the selected core; logged as input (--record, reverse execution)", cmd_set },
    { "cpu", "N", "select core N for registers, memory and disassembly", cmd_cpu },
    { "symbols", "FILE", "load symbols from an ELF file or a System.map / /proc/kallsyms text map: addresses print as func+off, ADDR may be a name", cmd_symbols },
    { "help", "[COMMAND]", "list commands or describe one", cmd_help },
    { "quit", "", "leave (the machine is discarded)", cmd_quit },
};
#define NCMDS (sizeof commands / sizeof commands[0])

static bool cmd_help(Debugger *d, int argc, char **argv, GString *out)
{
    (void)d;
    for (size_t i = 0; i < NCMDS; i++) {
        if (argc > 1 && strcmp(argv[1], commands[i].name))
            continue;
        g_string_append_printf(out, "%-9s %-40s %s\n", commands[i].name, commands[i].args, commands[i].help);
        if (argc > 1)
            return true;
    }
    if (argc > 1)
        FAIL("help: no command '%s'", argv[1]);
    return true;
}

const char *const *dbg_command_names(void)
{
    static const char *names[NCMDS + 1];
    for (size_t i = 0; i < NCMDS; i++)
        names[i] = commands[i].name;
    names[NCMDS] = NULL;
    return names;
}

bool dbg_command(Debugger *d, const char *line, GString *out, bool *failed)
{
    *failed = false;
    gchar **argv = NULL;
    gint argc = 0;
    gchar *trimmed = g_strstrip(g_strdup(line));
    bool go_on = true;
    if (!*trimmed || trimmed[0] == '#') {
        g_free(trimmed);
        return true;
    }
    GError *e = NULL;
    if (!g_shell_parse_argv(trimmed, &argc, &argv, &e)) {
        g_string_append_printf(out, "error: %s\n", e->message);
        g_error_free(e);
        *failed = true;
        g_free(trimmed);
        return true;
    }
    char name[32];
    g_strlcpy(name, argv[0], sizeof name);
    char *slash = strchr(name, '/');
    if (slash)
        *slash = 0;
    const DbgCmd *cmd = NULL;
    for (size_t i = 0; i < NCMDS; i++)
        if (!strcmp(commands[i].name, name))
            cmd = &commands[i];
    if (!cmd) {
        g_string_append_printf(out, "error: unknown command '%s' (try help)\n", name);
        *failed = true;
    } else if (slash && cmd->fn != cmd_x) {
        g_string_append_printf(out, "error: '%s' takes no /FORMAT\n", name);
        *failed = true;
    } else {
        *failed = !cmd->fn(d, argc, argv, out);
        go_on = cmd->fn != cmd_quit;
    }
    char *err = NULL;
    if (d->trace_out && !d->trace_failed && !outfile_check(d->trace_out, &err)) {
        /* the trace is flushed after every command: a full disk shows now, once */
        g_string_append_printf(out, "error: trace: %s\n", err);
        g_free(err);
        d->trace_failed = true;
        *failed = true;
    }
    g_strfreev(argv);
    g_free(trimmed);
    return go_on;
}

int dbg_run_script(Debugger *d, const char *path)
{
    gchar *text = NULL;
    GError *e = NULL;
    if (!g_file_get_contents(path, &text, NULL, &e)) {
        fprintf(stderr, "hvsim: cannot read script: %s\n", e->message);
        g_error_free(e);
        return EXIT_BAD_INPUT;
    }
    int status = 0;
    gchar **lines = g_strsplit(text, "\n", -1);
    GString *out = g_string_new(NULL);
    for (int i = 0; lines[i]; i++) {
        bool failed;
        g_string_truncate(out, 0);
        bool go_on = dbg_command(d, lines[i], out, &failed);
        fflush(d->m->out);
        fputs(out->str, stdout);
        fflush(stdout);
        if (failed) {
            fprintf(stderr, "hvsim: %s:%d: command failed: %s\n", path, i + 1, lines[i]);
            status = EXIT_BAD_INPUT;
            break;
        }
        if (!go_on)
            break;
    }
    g_string_free(out, TRUE);
    g_strfreev(lines);
    g_free(text);
    return status;
}
