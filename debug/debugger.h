/* The debugger core: breakpoints (with conditions on core, EL and VMID), run control
 * (continue, stepi) and one command table that serves the console (-i), batch scripts
 * (--script FILE) and, later, GDB's `monitor` command. Commands write their output to a
 * GString so every front end prints the same text. */
#ifndef HVSIM_DEBUG_DEBUGGER_H
#define HVSIM_DEBUG_DEBUGGER_H
#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "checkpoint/inputlog.h"
#include "checkpoint/reverse.h"
#include "core/machine.h"
#include "core/outfile.h"
#include "debug/symbols.h"

#define DBG_MAX_BREAKPOINTS 64

typedef struct DbgBreakpoint {
    int id;                   /* 0 = free slot */
    uint64_t va;
    int cpu, el, vmid;        /* -1 = any */
} DbgBreakpoint;

/* Event breakpoints: stop right after an exception is taken (at the handler's first
 * instruction), an interrupt is acknowledged or a TLB maintenance instruction executes. */
typedef enum { DBG_EV_VMEXIT, DBG_EV_EXCEPTION, DBG_EV_HVC, DBG_EV_IRQ, DBG_EV_TLBI } DbgEventKind;
typedef struct DbgEvent {
    int id;                   /* 0 = free; shares numbering with breakpoints */
    DbgEventKind kind;
    int arg;                  /* VM-exit reason (-1 any), EC, HVC immediate, or INTID (-1 any) */
    int cpu, vmid;            /* conditions, -1 = any; vmid is the VMID the exception came from */
} DbgEvent;

/* Watchpoints: stop after a data access that overlaps [va, va + len) (with DBG_WATCH_PHYS in
 * kind: the physical range, whichever virtual address reaches it). */
typedef struct DbgWatch {
    int id;                   /* 0 = free */
    uint64_t va, len;
    unsigned kind;            /* DBG_WATCH_READ | DBG_WATCH_WRITE */
} DbgWatch;
enum { DBG_WATCH_READ = 1, DBG_WATCH_WRITE = 2, DBG_WATCH_PHYS = 4 /* va is a physical address */ };

typedef enum { DBG_STOP_NONE, DBG_STOP_BREAK, DBG_STOP_STEP, DBG_STOP_EXIT } DbgStopKind;

typedef struct Debugger {
    Machine *m;
    DbgBreakpoint bp[DBG_MAX_BREAKPOINTS];
    DbgEvent ev[DBG_MAX_BREAKPOINTS];
    DbgWatch wp[DBG_MAX_BREAKPOINTS];
    uint64_t stop_watch_va;   /* address of the access that hit a watchpoint */
    unsigned stop_watch_kind; /* 0 = the stop was not a watchpoint */
    char stop_event[160];     /* description of the event that stopped the machine, or "" */
    /* break-on, between a VM exit and the exception that made it (debugger.c, on_event) */
    bool ev_hit;              /* the VM exit hit */
    const char *ev_vmexit;    /* its reason, or NULL: the exception is no VM exit */
    DbgSymbols syms;          /* `symbols FILE` */
    int next_id;
    int cur_cpu;              /* `cpu N` */
    bool exited;              /* the machine stopped for good (power off, error) */
    char exit_reason[600];    /* why, for commands that find it so: "the machine has powered off" */
    /* the last stop */
    DbgStopKind stop;
    int stop_cpu, stop_bp;
    uint64_t stop_pc;
    /* history: the input log (UART input, user writes) and reverse execution */
    InputLog *log;
    Reverse *rev;             /* NULL: reverse execution off */
    uint64_t rev_interval, rev_budget;
    bool history_begin;       /* the last reverse operation stopped at the start of history */
    /* host files: commands that write one (trace on FILE, checkpoint save, stats dump,
     * screendump) replace an existing file only with force; from GDB's monitor (in_gdb) they are refused unless
     * gdb_host_writes (--gdb-allow-host-writes) */
    bool force;               /* --force */
    bool gdb_host_writes;
    bool in_gdb;              /* the command being run came from a GDB client */
    OutFile *trace_out;       /* where traces go (-D, `trace on FILE`); NULL = stderr */
    bool trace_failed;        /* a write error on it was reported */
} Debugger;

/* Attaches a debugger to m: installs the breakpoint hook the cores check. */
Debugger *dbg_new(Machine *m);
void dbg_free(Debugger *d);
/* Finishes the trace file (d->trace_out) and points the machine's traces back at stderr;
 * false with a one-line *err on a write error. dbg_free drops a file still open. */
bool dbg_close_trace(Debugger *d, char **err);
/* Runs one command line; appends its output to out. Returns false for `quit`. An error
 * appends one line starting with "error: " and sets *failed. */
bool dbg_command(Debugger *d, const char *line, GString *out, bool *failed);
/* Runs up to n instructions (0 = until a breakpoint or the end); describes the stop in out. */
DbgStopKind dbg_run(Debugger *d, uint64_t n, GString *out);
/* Unconditional breakpoint at va (GDB's Z0/Z1); returns its id, 0 if full. */
int dbg_set_breakpoint(Debugger *d, uint64_t va);
bool dbg_clear_breakpoint_at(Debugger *d, uint64_t va);
/* Watchpoint on [va, va + len) for DBG_WATCH_* kinds; returns its id, 0 if full. */
int dbg_set_watchpoint(Debugger *d, uint64_t va, uint64_t len, unsigned kind);
bool dbg_clear_watchpoint_at(Debugger *d, uint64_t va, unsigned kind);
/* Turns on the input log and, with budget > 0, reverse execution (a snapshot every
 * `interval` instructions, at most `budget` bytes of history). */
void dbg_enable_history(Debugger *d, uint64_t interval, uint64_t budget);
/* User writes (GDB, console): memory through core cpu's current translation; registers by
 * GDB number (0-30 x, 31 sp, 32 pc, 33 cpsr: flags only, 66 fpsr, 67 fpcr) or, for the
 * 128-bit V registers, by doubleword: DBG_REG_VD(n, half) (half 0 = bits 63..0), so every
 * logged write is one 64-bit value. A write that changes something is logged, and drops the
 * recorded future when made in the past. */
#define DBG_REG_FPSR 66
#define DBG_REG_FPCR 67
#define DBG_REG_VD(n, half) (0x100u + 2u * (unsigned)(n) + (unsigned)(half))
bool dbg_write_mem(Debugger *d, int cpu, uint64_t va, const uint8_t *buf, size_t len);
bool dbg_write_reg(Debugger *d, int cpu, unsigned regnum, uint64_t v);
/* Reads guest memory for the user without side effects: memory-backed regions only (no
 * device registers); false elsewhere. */
bool dbg_peek(Machine *m, uint64_t pa, unsigned size, uint64_t *v);
/* Re-applies a logged write (an ILApplyFn; opaque is the Machine). */
bool dbg_apply_logged_write(void *machine, const ILEntry *e);
/* Reverse execution for the front ends: back n instructions, or back to the previous
 * breakpoint/watchpoint/event hit on any core. d->history_begin tells whether the start of
 * the history stopped it. */
DbgStopKind dbg_reverse_step(Debugger *d, uint64_t n, GString *out);
DbgStopKind dbg_reverse_continue(Debugger *d, GString *out);
/* The GDB remote stub: listens on host:port (loopback unless host is given), serves one
 * debugger connection at a time; returns hvsim's exit code when the machine ends or GDB
 * kills it. A lost connection leaves the machine paused for the next one. */
int dbg_gdbstub(Debugger *d, const char *host, int port);
/* Serves one GDB connection on fd (a connected socket) until it closes, GDB detaches or
 * kills; the caller closes fd. Returns true if GDB killed the machine. */
bool dbg_gdb_serve(Debugger *d, int fd, bool *detached);
/* Command names for completion (NULL-terminated). */
const char *const *dbg_command_names(void);
/* Runs a script file (one command per line, `#` comments); output to stdout. Returns the
 * exit code for hvsim: 0, 1 if a command failed or the file is unreadable (message on stderr). */
int dbg_run_script(Debugger *d, const char *path);
/* The interactive console (readline): history in ~/.hvsim_history, tab completion. */
int dbg_console(Debugger *d);
#endif
