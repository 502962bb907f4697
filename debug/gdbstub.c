/* The GDB remote stub (-s, -gdb tcp:[HOST]:PORT): one TCP connection at a time, on loopback
 * unless a host is named. The protocol layer is debug/rsp.c; run control, breakpoints and
 * monitor commands go through the debugger core, so a GDB session and a console session see
 * the same machine. Threads are cores (core N = thread N+1). The target runs in chunks so a
 * Ctrl-C from GDB stops it at an instruction boundary. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "debug/debugger.h"
#include "debug/rsp.h"

#define RUN_CHUNK 1000000     /* instructions between checks for Ctrl-C */

typedef struct Stub {
    Debugger *d;
    int fd;
    bool noack;
    bool closed;
    bool killed;
    int exit_code;
    int gcpu;                 /* Hg: core for registers and memory */
    RspRx rx;
    RspConfig cfg;
    GQueue packets;           /* GByteArray* of received payloads */
    bool interrupt;
    bool detached;
} Stub;

static void send_raw(Stub *s, const char *buf, size_t len)
{
    while (len && !s->closed) {
        ssize_t n = write(s->fd, buf, len);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            s->closed = true;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

static void send_packet(Stub *s, const GString *payload)
{
    GString *f = g_string_new(NULL);
    rsp_frame(f, payload->str, payload->len);
    send_raw(s, f->str, f->len);
    g_string_free(f, TRUE);
}

static void on_event(void *opaque, RspEventKind ev, const uint8_t *payload, size_t len)
{
    Stub *s = opaque;
    switch (ev) {
    case RSP_EV_PACKET:
        if (!s->noack)
            send_raw(s, "+", 1);
        g_queue_push_tail(&s->packets, g_byte_array_append(g_byte_array_new(), payload, (guint)len));
        break;
    case RSP_EV_BAD_CHECKSUM:
    case RSP_EV_OVERFLOW:
        send_raw(s, "-", 1);
        break;
    case RSP_EV_INTERRUPT:
        s->interrupt = true;
        break;
    default:
        break;
    }
}

/* Reads what is available (blocking when `wait`); false when the connection is gone. */
static bool pump(Stub *s, bool wait)
{
    struct pollfd p = { s->fd, POLLIN, 0 };
    int r = poll(&p, 1, wait ? -1 : 0);
    if (r <= 0)
        return r == 0 || errno == EINTR;
    uint8_t buf[4096];
    ssize_t n = read(s->fd, buf, sizeof buf);
    if (n <= 0) {
        s->closed = true;
        return false;
    }
    rsp_rx_feed(&s->rx, buf, (size_t)n, on_event, s);
    return true;
}

static const MachineCpu *gcore(Stub *s)
{
    return &s->d->m->cpus[s->gcpu];
}

/* Appends register regnum of the selected core as the target's bytes (little-endian, the
 * register's full width: a register wider than 64 bits part by part). */
static bool reg_put(Stub *s, unsigned regnum, GString *out)
{
    const MachineCpu *mc = gcore(s);
    const CpuReg *r = cpuregs_find(mc->cls->regs, regnum);
    if (!r)
        return false;
    for (unsigned k = 0; k * 64 < r->bitsize; k++) {
        uint64_t v = 0;
        unsigned bytes = r->bitsize - k * 64 >= 64 ? 8 : (r->bitsize - k * 64) / 8;
        if (!mc->cls->reg_get(mc->obj, r->bitsize > 64 ? mc->cls->reg_part(regnum, k) : regnum, &v))
            v = 0;            /* not readable now: zeros, as a register GDB must still get */
        rsp_put_reg(out, v, bytes);
    }
    return true;
}

/* Writes register regnum from exactly its width of target bytes, each 64-bit part a user
 * write of the debugger (a logged input). Read-only registers refuse. */
static bool reg_set(Stub *s, unsigned regnum, const uint8_t *data, size_t len)
{
    const MachineCpu *mc = gcore(s);
    const CpuReg *r = cpuregs_find(mc->cls->regs, regnum);
    if (!r || len != r->bitsize / 8)
        return false;
    for (unsigned k = 0; k * 64 < r->bitsize; k++) {
        uint64_t v;
        unsigned bytes = r->bitsize - k * 64 >= 64 ? 8 : (r->bitsize - k * 64) / 8;
        if (!rsp_get_reg(data + 8 * k, bytes, bytes, &v) ||
            !dbg_write_reg(s->d, s->gcpu, r->bitsize > 64 ? mc->cls->reg_part(regnum, k) : regnum, v))
            return false;
    }
    return true;
}

/* c/s with an address: the program counter (the register of type code_ptr) is set first. */
static void set_pc(Stub *s, uint64_t pc)
{
    const CpuRegSet *set = gcore(s)->cls->regs;
    for (size_t f = 0; f < set->nfeatures; f++)
        for (size_t i = 0; i < set->features[f].nregs; i++)
            if (!strcmp(set->features[f].regs[i].type, "code_ptr")) {
                dbg_write_reg(s->d, s->gcpu, set->features[f].regs[i].regnum, pc);
                return;
            }
}

/* The 'g' registers (the features marked in_g, in regnum order): read into out, or written
 * from data. */
static void for_g_regs(Stub *s, GString *out, const uint8_t *data, size_t len)
{
    const CpuRegSet *set = gcore(s)->cls->regs;
    size_t off = 0;
    for (unsigned regnum = 0; off < cpuregs_g_bytes(set); regnum++) {
        const CpuReg *r = cpuregs_find(set, regnum);
        if (!r)
            break;            /* the 'g' registers are numbered densely from 0 */
        if (out)
            reg_put(s, regnum, out);
        else if (off + r->bitsize / 8 <= len)
            reg_set(s, regnum, data + off, r->bitsize / 8);
        off += r->bitsize / 8;
    }
}

/* A thread id from the client names a core: > 0 and at most the number of cores. */
static bool tid_is_core(const Stub *s, int tid)
{
    return tid > 0 && rsp_core_of_tid(tid) < s->d->m->ncpus;
}

/* Memory of the selected core: every byte must translate (and, for reads, be RAM or ROM)
 * before anything is read or written, so a refused write changes nothing. An access that
 * wraps around the address space is refused. */
static bool mem_access(Stub *s, uint64_t addr, uint8_t *buf, size_t len, bool write)
{
    Machine *m = s->d->m;
    const MachineCpu *mc = &m->cpus[s->gcpu];
    if (len && addr + (len - 1) < addr)
        return false;
    for (size_t i = 0; i < len; i++) {
        uint64_t pa, v;
        if (!mc->cls->debug_translate(mc->obj, addr + i, &pa))
            return false;
        if (!write) {
            if (!dbg_peek(m, pa, 1, &v))
                return false;
            buf[i] = (uint8_t)v;
        }
    }
    return !write || dbg_write_mem(s->d, s->gcpu, addr, buf, len);
}

static void reply_stop(Stub *s, GString *out)
{
    Debugger *d = s->d;
    g_string_truncate(out, 0);
    if (d->exited) {
        rsp_reply_exited(out, (uint8_t)d->m->exit_code);
        return;
    }
    RspStop st = { 0 };
    st.signal = 5;
    st.tid = rsp_tid_of_core(d->stop == DBG_STOP_BREAK ? d->stop_cpu : s->gcpu);
    st.reason = d->stop == DBG_STOP_BREAK && !d->stop_event[0] ? RSP_STOP_SWBREAK : RSP_STOP_SIGNAL;
    if (d->stop_watch_kind) {
        unsigned wk = 0;
        for (int i = 0; i < DBG_MAX_BREAKPOINTS; i++)
            if (d->wp[i].id == d->stop_bp)
                wk = d->wp[i].kind & (DBG_WATCH_READ | DBG_WATCH_WRITE);
        st.reason = wk == (DBG_WATCH_READ | DBG_WATCH_WRITE) ? RSP_STOP_AWATCH
                    : wk == DBG_WATCH_READ ? RSP_STOP_RWATCH : RSP_STOP_WATCH;
        st.addr = d->stop_watch_va;
        st.tid = rsp_tid_of_core(d->stop_cpu);
        s->gcpu = d->stop_cpu;
    }
    if (d->stop == DBG_STOP_BREAK)
        s->gcpu = d->stop_cpu;
    if (d->history_begin)
        st.reason = RSP_STOP_HISTORY_BEGIN;
    rsp_reply_stop(out, &st);
}

/* Runs until a breakpoint, the end, `steps` instructions (0: no limit) or Ctrl-C. */
static void run(Stub *s, uint64_t steps)
{
    GString *dummy = g_string_new(NULL);
    s->interrupt = false;
    for (;;) {
        uint64_t chunk = steps ? (steps < RUN_CHUNK ? steps : RUN_CHUNK) : RUN_CHUNK;
        g_string_truncate(dummy, 0);
        DbgStopKind k = dbg_run(s->d, chunk, dummy);
        if (k != DBG_STOP_STEP || s->d->stop_event[0])
            break;            /* breakpoint, event or the end */
        if (steps) {
            steps -= chunk;
            if (!steps)
                break;
        }
        if (!pump(s, false) || s->interrupt)
            break;            /* Ctrl-C (or the connection went away): stop here */
    }
    g_string_free(dummy, TRUE);
}

static void handle(Stub *s, const GByteArray *pkt, GString *out)
{
    RspCmd cmd;
    RspCmdKind k = rsp_parse(pkt->data, pkt->len, &cmd);
    g_string_truncate(out, 0);
    if (rsp_reply_generic(out, &cmd, &s->cfg, gcore(s)->cls->regs)) {
        if (k == RSP_CMD_START_NOACK)
            s->noack = true;
        rsp_cmd_clear(&cmd);
        send_packet(s, out);
        return;
    }
    Machine *m = s->d->m;
    switch (k) {
    case RSP_CMD_HALT_REASON:
        reply_stop(s, out);
        break;
    case RSP_CMD_READ_REGS:           /* the registers of the features in 'g', in order */
        for_g_regs(s, out, NULL, 0);
        break;
    case RSP_CMD_WRITE_REGS:
        if (cmd.data->len != cpuregs_g_bytes(gcore(s)->cls->regs)) {
            rsp_reply_error(out, 1);      /* all of 'g' or nothing */
            break;
        }
        for_g_regs(s, NULL, cmd.data->data, cmd.data->len);
        rsp_reply_ok(out);
        break;
    case RSP_CMD_READ_REG:
        if (!reg_put(s, cmd.regnum, out))
            rsp_reply_error(out, 1);
        break;
    case RSP_CMD_WRITE_REG:
        if (reg_set(s, cmd.regnum, cmd.data->data, cmd.data->len))
            rsp_reply_ok(out);
        else
            rsp_reply_error(out, 1);
        break;
    case RSP_CMD_READ_MEM: {
        size_t len = cmd.len > 0x1000 ? 0x1000 : cmd.len;
        uint8_t *buf = g_malloc(len ? len : 1);
        if (mem_access(s, cmd.addr, buf, len, false))
            rsp_hex_encode(out, buf, len);
        else
            rsp_reply_error(out, 14);
        g_free(buf);
        break;
    }
    case RSP_CMD_WRITE_MEM:
    case RSP_CMD_WRITE_MEM_BIN:
        if (mem_access(s, cmd.addr, cmd.data->data, cmd.data->len, true))
            rsp_reply_ok(out);
        else
            rsp_reply_error(out, 14);
        break;
    case RSP_CMD_INSERT_BP:
    case RSP_CMD_REMOVE_BP:
        if (cmd.bp_type > 1) {
            /* Z2 write, Z3 read, Z4 access watchpoints */
            unsigned kind = cmd.bp_type == 2 ? DBG_WATCH_WRITE : cmd.bp_type == 3 ? DBG_WATCH_READ
                                                                            : DBG_WATCH_READ | DBG_WATCH_WRITE;
            if (cmd.bp_kind == 0 || cmd.addr + (cmd.bp_kind - 1) < cmd.addr) {
                rsp_reply_error(out, 1);  /* no length, or a range that wraps */
                break;
            }
            if (k == RSP_CMD_INSERT_BP ? dbg_set_watchpoint(s->d, cmd.addr, cmd.bp_kind, kind) != 0
                                       : dbg_clear_watchpoint_at(s->d, cmd.addr, kind))
                rsp_reply_ok(out);
            else
                rsp_reply_error(out, 14);
            break;
        }
        if (k == RSP_CMD_INSERT_BP ? dbg_set_breakpoint(s->d, cmd.addr) != 0
                                   : dbg_clear_breakpoint_at(s->d, cmd.addr))
            rsp_reply_ok(out);
        else
            rsp_reply_error(out, 14);
        break;
    case RSP_CMD_REVERSE_STEP:
    case RSP_CMD_REVERSE_CONTINUE: {
        GString *dummy = g_string_new(NULL);
        if (k == RSP_CMD_REVERSE_STEP)
            dbg_reverse_step(s->d, 1, dummy);
        else
            dbg_reverse_continue(s->d, dummy);
        g_string_free(dummy, TRUE);
        reply_stop(s, out);
        break;
    }
    case RSP_CMD_CONTINUE:
        if (cmd.has_addr)
            set_pc(s, cmd.addr);
        run(s, 0);
        reply_stop(s, out);
        break;
    case RSP_CMD_STEP:
        if (cmd.has_addr)
            set_pc(s, cmd.addr);
        run(s, 1);
        reply_stop(s, out);
        break;
    case RSP_CMD_VCONT: {
        bool step = false, bad = false;
        int step_cpu = s->gcpu;
        for (size_t i = 0; i < cmd.n_actions; i++) {
            int tid = cmd.actions[i].tid;
            if (tid != RSP_TID_ALL && tid != RSP_TID_ANY && !tid_is_core(s, tid))
                bad = true;       /* no such thread: nothing runs, nothing is selected */
            else if (cmd.actions[i].action == 's' || cmd.actions[i].action == 'S') {
                step = true;
                if (tid > 0)
                    step_cpu = rsp_core_of_tid(tid);
            }
        }
        if (bad) {
            rsp_reply_error(out, 1);
            break;
        }
        s->gcpu = step_cpu;
        run(s, step ? 1 : 0);
        reply_stop(s, out);
        break;
    }
    case RSP_CMD_SET_THREAD:
        /* -1 (all) and 0 (any) keep the selected core; a thread that is no core is refused */
        if (cmd.tid == RSP_TID_ALL || cmd.tid == RSP_TID_ANY) {
            rsp_reply_ok(out);
        } else if (tid_is_core(s, cmd.tid)) {
            s->gcpu = rsp_core_of_tid(cmd.tid);
            rsp_reply_ok(out);
        } else {
            rsp_reply_error(out, 1);
        }
        break;
    case RSP_CMD_THREAD_ALIVE:
        if (tid_is_core(s, cmd.tid))
            rsp_reply_ok(out);
        else
            rsp_reply_error(out, 1);
        break;
    case RSP_CMD_QTHREADEXTRAINFO:
        if (tid_is_core(s, cmd.tid)) {
            int core = rsp_core_of_tid(cmd.tid);
            const MachineCpu *mc = &m->cpus[core];
            char *text = g_strdup_printf("cpu%d %s%d%s", core, mc->cls->level_prefix,
                                         mc->cls->level(mc->obj),
                                         mc->cls->off(mc->obj) ? " (off)"
                                         : mc->cls->idle(mc->obj) ? " (idle)" : "");
            rsp_hex_encode(out, text, strlen(text));
            g_free(text);
        } else {
            rsp_reply_error(out, 1);
        }
        break;
    case RSP_CMD_QFTHREADINFO:
        g_string_append_c(out, 'm');
        for (int i = 0; i < m->ncpus; i++)
            g_string_append_printf(out, "%s%x", i ? "," : "", rsp_tid_of_core(i));
        break;
    case RSP_CMD_QSTHREADINFO:
        g_string_append_c(out, 'l');
        break;
    case RSP_CMD_QC:
        g_string_append_printf(out, "QC%x", rsp_tid_of_core(s->gcpu));
        break;
    case RSP_CMD_QRCMD: {
        GString *text = g_string_new(NULL);
        bool failed;
        s->d->in_gdb = true;      /* host file writes need --gdb-allow-host-writes */
        dbg_command(s->d, cmd.str ? cmd.str : "", text, &failed);
        s->d->in_gdb = false;
        if (text->len) {
            GString *o = g_string_new(NULL);
            rsp_reply_console(o, text->str);
            send_packet(s, o);
            g_string_free(o, TRUE);
        }
        g_string_free(text, TRUE);
        if (failed)
            rsp_reply_error(out, 1);
        else
            rsp_reply_ok(out);
        break;
    }
    case RSP_CMD_DETACH:
        rsp_reply_ok(out);
        send_packet(s, out);
        s->closed = true;
        s->detached = true;
        rsp_cmd_clear(&cmd);
        return;
    case RSP_CMD_KILL:
        s->killed = true;
        s->closed = true;
        rsp_cmd_clear(&cmd);
        return;
    default:
        break;                /* empty reply: not supported */
    }
    rsp_cmd_clear(&cmd);
    send_packet(s, out);
}

bool dbg_gdb_serve(Debugger *d, int fd, bool *detached)
{
    Stub s = { .d = d, .fd = fd, .gcpu = d->cur_cpu };
    s.cfg = RSP_CONFIG_DEFAULT;
    s.cfg.reverse = d->rev != NULL;
    rsp_rx_init(&s.rx);
    g_queue_init(&s.packets);
    GString *out = g_string_new(NULL);
    while (!s.closed) {
        GByteArray *p = g_queue_pop_head(&s.packets);
        if (p) {
            handle(&s, p, out);
            g_byte_array_unref(p);
        } else if (!pump(&s, true)) {
            break;
        }
    }
    while (!g_queue_is_empty(&s.packets))
        g_byte_array_unref(g_queue_pop_head(&s.packets));
    g_string_free(out, TRUE);
    rsp_rx_free(&s.rx);
    *detached = s.detached;
    return s.killed;
}

int dbg_gdbstub(Debugger *d, const char *host, int port)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    if (ls < 0) {
        fprintf(stderr, "hvsim: gdb stub: socket: %s\n", strerror(errno));
        return EXIT_BAD_INPUT;
    }
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (!host || !*host)
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);   /* loopback unless asked otherwise */
    else if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        fprintf(stderr, "hvsim: gdb stub: bad address '%s' (an IPv4 address)\n", host);
        close(ls);
        return EXIT_BAD_INPUT;
    }
    if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 1) < 0) {
        fprintf(stderr, "hvsim: gdb stub: cannot listen on port %d: %s\n", port, strerror(errno));
        close(ls);
        return EXIT_BAD_INPUT;
    }
    fprintf(stderr, "hvsim: waiting for gdb on %s:%d\n", host && *host ? host : "127.0.0.1", port);
    int code = 0;
    while (!d->exited) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "hvsim: gdb stub: accept: %s\n", strerror(errno));
            code = EXIT_BAD_INPUT;
            break;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        bool detached;
        bool killed = dbg_gdb_serve(d, fd, &detached);
        close(fd);
        if (killed)
            break;
        if (detached) {
            /* a detach resumes the machine to its end, as QEMU does; a lost connection
             * leaves it paused for the next one */
            GString *o = g_string_new(NULL);
            while (!d->exited)
                dbg_run(d, 0, o);
            g_string_free(o, TRUE);
        }
    }
    close(ls);
    if (!code && d->exited)
        code = d->m->exit_code;
    return code;
}
