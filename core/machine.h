/* The machine: objects with described state joined by a physical bus and one event queue.
 * Knows no architecture, board or device by name; boards build it, front ends run it. */
#ifndef HVSIM_CORE_MACHINE_H
#define HVSIM_CORE_MACHINE_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/bus.h"
#include "core/cpuregs.h"
#include "core/display.h"
#include "core/events.h"
#include "core/evq.h"
#include "core/state.h"
#include "core/stats.h"
#include "core/symbolize.h"
#include "core/timing.h"

#define MACHINE_MAX_CPUS 8
#define MACHINE_MAX_OBJECTS 64
#define MACHINE_MAX_BREAK_VAS 16
/* Simulated time stays below 2^62 ps (53 days): sums of a time and a quantum never wrap. */
#define MACHINE_TIME_MAX (1ULL << 62)
/* Limits of the configuration (the command line and a snapshot's description alike). */
#define MACHINE_MIN_HZ 1000ULL
#define MACHINE_MAX_HZ 100000000000ULL
#define MACHINE_MAX_QUANTUM (1ULL << 32)
/* The RTC's default reading at simulated time 0: 2025-01-01T00:00:00Z, the same every run. */
#define MACHINE_DEFAULT_RTC_EPOCH 1735689600ULL

/* Exit codes (interface.md). */
enum {
    EXIT_OK = 0,
    EXIT_BAD_INPUT = 1,
    EXIT_UNIMPLEMENTED = 2,
    EXIT_GUEST_CRASH = 3,
    EXIT_BAD_SNAPSHOT = 4,
};

/* Trace categories for -d. */
enum {
    TRACE_IN_ASM = 1u << 0,
    TRACE_EXEC = 1u << 1,
    TRACE_INT = 1u << 2,
    TRACE_MMU = 1u << 3,
    TRACE_VMEXIT = 1u << 4,
    TRACE_UNIMP = 1u << 5,    /* guest accesses to what hvsim does not model (made UNDEFINED) */
};
/* The -d / `trace on` category list ("in_asm,exec"): the mask, or false with *bad set to
 * the first unknown name (g_free). TRACE_CATEGORIES names them all for messages. */
bool trace_parse_categories(const char *spec, uint32_t *mask, char **bad);
#define TRACE_CATEGORIES "in_asm, exec, int, mmu, vmexit, unimp"

/* Everything the command line (or a key file) says about the machine. */
typedef struct MachineConfig {
    char *board;              /* "virt" */
    bool virtualization;      /* boot at EL2 */
    int gic_version;
    bool its;                 /* gic-version=3: an ITS and LPIs (QEMU's its=on, the default) */
    char *cpu_model;          /* "cortex-a57", "max" */
    uint64_t ram_size;
    int smp;
    char *kernel, *append, *initrd, *dtb, *dumpdtb;
    char *dtb_overlay;        /* --dtb-overlay: applied to the tree the machine boots with */
    uint64_t max_insns;       /* 0 = unlimited */
    bool jit_off;             /* --jit off: x86 cores run their handlers alone (cpu/x86_64/jit.h) */
    uint32_t trace_mask;
    char *trace_file;         /* -D: the front end opens it (core/outfile.h) into Machine.trace */
    bool state_hash;
    char *timing;             /* "atomic" or "inorder" */
    char *timing_config;      /* --timing-config: inorder's key file (NULL: defaults) */
    char *timing_switch;      /* --timing-switch-at N:MODEL (NULL: none) */
    uint64_t cpu_hz;
    uint64_t quantum;         /* instructions per core per round-robin slice */
    bool restoring;           /* a snapshot will be loaded: load no kernel, reset no core */
    char **devices;           /* optional devices, NULL-terminated: "virtio-rng-device",
                               * "virtconsole", "virtio-blk-device,file=F[,readonly=on]..." */
    char **guest_loaders;     /* -device guest-loader and loader specs, NULL-terminated
                               * (boards/guest_loader.h): loaded at boot like -kernel, not
                               * part of a snapshot */
    uint64_t seed;            /* --seed: the DT's rng-seed/kaslr-seed, virtio-rng's stream */
    uint64_t rtc_epoch;       /* -rtc base=: the RTC's seconds since 1970 at time 0 */
    /* -device simplefb: the framebuffer's geometry (fb_format NONE: no framebuffer) */
    uint32_t fb_width, fb_height;
    DisplayFormat fb_format;
} MachineConfig;

struct Machine;

/* `info NAME [ARGS]` of a CPU class: show appends the selected core's view to out and
 * returns 0, or -1 with a one-line *err. */
typedef struct CpuInfoTopic {
    const char *name;
    int (*show)(void *cpu, int argc, char **argv, GString *out, char **err);
} CpuInfoTopic;

/* Architecture-neutral view of a core, implemented by cpu/<arch>. */
typedef struct CpuClass {
    const char *arch;
    /* Executes at most `max_insns` instructions in at most `max_cycles` cycles of its timing
     * model (it may overrun by one instruction's cycles); returns how many retired, and in
     * *cycles the cycles used (== the instructions under `atomic`). Returns early when the
     * core halts (WFI, powered off) or the machine stops. */
    uint64_t (*run)(void *cpu, uint64_t max_cycles, uint64_t max_insns, uint64_t *cycles);
    /* The cycle model's walker for this core (cpu/timing/model.h), and the switch of the
     * core to a model: sys NULL for atomic. */
    TmWalkFn tm_walk;
    void (*timing_changed)(void *cpu, TimingSys *sys);
    /* True if the core executes nothing now (WFI with nothing pending, or off). */
    bool (*idle)(void *cpu);
    /* True if the core is powered off: only another core can start it again. */
    bool (*off)(void *cpu);
    /* Hash the core's architectural state. */
    void (*hash)(void *cpu, GChecksum *ck);
    /* The core's state description (saved in snapshots as object "cpuN"). */
    const StateDesc *desc;
    /* After a snapshot was loaded into the core: drop decoded code and cached translations,
     * rebuild derived state. */
    void (*post_load)(void *cpu);
    /* Instructions retired so far inside the current run() (0 outside one). */
    uint64_t (*retired)(void *cpu);
    /* Drops cached write permissions so that the next store to every page takes the slow
     * path (which marks it in ram_dirty). */
    void (*flush_write_cache)(void *cpu);
    /* Plugins' reads, without side effects (debug/plugins.c): a register by name (false:
     * unknown, or its read would act), and len bytes at virtual address va as the core
     * translates it now (false: a byte unmapped or not RAM). */
    bool (*peek_reg)(void *cpu, const char *name, uint64_t *v);
    bool (*peek_virt)(void *cpu, uint64_t va, void *buf, uint64_t len);
    /* The debugger's views, without side effects or exceptions: va (or an IPA, through the
     * core's current stage 2) as the core translates it now; the instruction at
     * code[0..len) (pc its address, at most max_insn_bytes read) as its encoding in hex and
     * in words, returning the bytes it takes (0: none decodes, the texts say so); the
     * core's translation caches (`info tlb`, VAs annotated by sym) and one walk explained
     * (`translate`). */
    bool (*debug_translate)(void *cpu, uint64_t va, uint64_t *pa);
    bool (*debug_translate_ipa)(void *cpu, uint64_t ipa, uint64_t *pa);
    unsigned max_insn_bytes;
    unsigned (*disas)(uint64_t pc, const uint8_t *code, size_t len, char *hex, size_t hexn,
                      char *text, size_t textn);
    void (*tlb_dump)(void *cpu, GString *out, void (*sym)(void *ctx, uint64_t va, GString *out),
                     void *ctx);
    void (*explain_translation)(void *cpu, uint64_t va, GString *out);
    /* Registers as debuggers see them (core/cpuregs.h): GDB's set and numbering. Values by
     * debugger number: GDB's number for a register up to 64 bits; a wider one is read and
     * written by its 64-bit parts, part k of GDB register regnum being reg_part(regnum, k).
     * reg_get/reg_put return false for a number that names nothing, or (reg_put) a register
     * the debugger may not write; reg_put acts as a user write (masks apply). reg_aliases:
     * pairs (extra name, the GDB name it stands for), NULL-terminated. */
    const CpuRegSet *regs;
    bool (*reg_get)(void *cpu, unsigned num, uint64_t *v);
    bool (*reg_put)(void *cpu, unsigned num, uint64_t v);
    unsigned (*reg_part)(unsigned regnum, unsigned k);
    const char *const *reg_aliases;
    /* Where the core is, in the architecture's words: the address of its next instruction,
     * its privilege level (EL, CPL: breakpoint conditions and messages) and the level's
     * prefix in messages ("EL" gives "EL1"). */
    uint64_t (*pc)(void *cpu);
    int (*level)(void *cpu);
    const char *level_prefix;
    const char *syndrome_name;   /* what EvInfo's exception syndrome is called: "ESR" */
    /* The architecture's `info` topics (a NULL name ends them) and its system register
     * names for completion (NULL past the last). */
    const struct CpuInfoTopic *info_topics;
    const char *(*sysreg_name)(size_t i);
    /* Drops every cached translation, so that every access takes the slow path (where
     * watchpoints are checked) until it is cached again. */
    void (*flush_tlb)(void *cpu);
    /* Machine-wide, called once per class present (NULL: nothing to do): the trace
     * categories now on (-d, `trace on`), and the symbolizer traces name addresses with. */
    void (*set_trace)(struct Machine *m, uint32_t mask);
    void (*set_symbolizer)(struct Machine *m, Symbolizer *s);
    void (*destroy)(void *cpu);
} CpuClass;

typedef struct MachineCpu {
    void *obj;
    const CpuClass *cls;
    uint64_t icount;          /* instructions retired */
    SimTime time;             /* local time, advanced in slices */
} MachineCpu;

typedef struct MachineObject {
    char *name;               /* instance, e.g. "uart0" */
    const StateDesc *desc;
    void *obj;
    /* after a snapshot was loaded: rebuild derived fields, reschedule events (or NULL) */
    void (*post_load)(void *obj, SimTime now);
    /* `info NAME` in the debugger: the object's state for core cpu, in words (or NULL) */
    void (*describe)(void *obj, int cpu, GString *out);
} MachineObject;

/* A memory region whose contents are machine state (RAM, flash): saved sparse in snapshots.
 * *data may be NULL (all zero, allocated on first need). */
typedef struct MachineMem {
    const char *name;
    uint64_t base, size;
    uint8_t **data;
    uint8_t *touched;         /* per 4 KiB page: 0 = never written, so zero (NULL: unknown) */
} MachineMem;
#define MACHINE_MAX_MEMS 12     /* RAM, flash, two per virtio-blk drive */

/* The round-robin schedule in progress (machine state: saved in snapshots, so a run stopped
 * and resumed anywhere, in this process or another, interleaves the cores exactly as the
 * uninterrupted run). Between rounds active = 0. */
typedef struct MachineRound {
    uint64_t active;
    SimTime end;              /* the round's end: quantum or the next event, cut by new events */
    uint64_t next_cpu;        /* the core to run (or resume) next */
    uint64_t all_idle;        /* no core had work so far in this round */
} MachineRound;

typedef struct Machine {
    MachineConfig cfg;
    Bus bus;
    Bus io;                   /* x86 port I/O space (ports 0..0xffff), empty on Arm boards */
    EventQueue evq;
    TimingModel timing;
    SimTime now;
    MachineRound round;
    int ncpus;
    MachineCpu cpus[MACHINE_MAX_CPUS];
    MachineObject objects[MACHINE_MAX_OBJECTS];
    int nobjects;
    StatsProvider stats[STATS_MAX_PROVIDERS];
    int nstats;
    StatsSet *stats_base;     /* the baseline of `stats reset`, or NULL */
    MachineMem mems[MACHINE_MAX_MEMS];
    int nmems;
    uint8_t *ram;             /* main RAM backing (owned) */
    uint8_t *ram_code;        /* per 4 KiB RAM page: 1 if a core holds decoded code for it */
    /* drops every core's decoded code of the RAM page holding pa (set by the board; called
     * for device writes into pages with ram_code set) */
    void (*code_written)(struct Machine *m, uint64_t pa);
    uint64_t ram_base, ram_size;
    /* the frame a display device shows (format NONE: none); set by the board */
    DisplaySurface display;
    /* front end: called between rounds of the run loop, to serve the host (a window's
     * refresh and events); it must not change the machine */
    void (*host_poll)(void *opaque);
    void *host_poll_opaque;
    /* board data (opaque to the core) */
    void *board;
    void (*board_destroy)(void *board);
    /* run control */
    volatile bool stop;       /* set by machine_stop(); cores return at the next boundary */
    bool paused;              /* the stop is a debugger pause (breakpoint), not the end */
    bool at_limit;            /* the stop is cfg.max_insns being reached */
    bool powered_off;         /* the guest powered the machine off: it cannot run on (machine
                               * state: saved and hashed) */
    /* debugger: when set, cores check every instruction (careful run loop) and pause before
     * one for which it returns true; break_skip_cpu's next instruction is not checked */
    bool (*break_check)(void *opaque, int cpu, uint64_t pc, int el, int vmid);
    void *break_opaque;
    /* the virtual addresses of address breakpoints, so cores call break_check only there
     * (and check instructions one by one only on their pages); nbreak_vas < 0: everywhere */
    uint64_t break_vas[MACHINE_MAX_BREAK_VAS];
    int nbreak_vas;
    int break_skip_cpu;
    /* what happens in the machine, for whoever observes it: traces, VM-exit accounting, the
     * debugger, plugins (core/events.h) */
    EvStream events;
    /* debugger: called for data accesses (all take the slow path while set); true pauses the
     * machine after the access */
    bool (*watch_check)(void *opaque, int cpu, uint64_t va, uint64_t pa, unsigned size, bool write);
    /* external input: every read attempt a device makes goes through machine_input(), which
     * reads the host or, when set, this hook (record/replay, reverse execution) */
    size_t (*input)(void *opaque, int fd, int *eof, uint8_t *buf, size_t max);
    void *input_opaque;
    uint64_t input_seq;       /* read attempts so far (machine state: saved and hashed) */
    uint64_t out_digest;      /* FNV-1a of every byte the guest wrote to the console (machine
                               * state: equal hashes mean equal output too) */
    int running_cpu;          /* core inside cls->run(), or -1 */
    uint8_t *ram_dirty;       /* per 4 KiB RAM page: written since the last clear (when set) */
    uint8_t *ram_touched;     /* per 4 KiB RAM page: ever written (untouched pages are zero, so
                               * hashes and snapshots skip them without reading them) */
    /* typed input (`type` in the debugger): bytes served to the console's input before the
     * host's; host-side like the terminal (not machine state; recorded when --record is on) */
    GByteArray *typed;
    /* output watch (`wait-for` in the debugger): when out_wait is set, the run pauses right
     * after the guest's console output ends with it (out_wait_hit) */
    char *out_wait;
    size_t out_wait_len;
    GString *out_tail;
    bool out_wait_hit;
    int exit_code;
    char stop_msg[512];
    FILE *out;                /* guest console output (stdout) */
    FILE *trace;              /* -D file or stderr */
    int quiet_depth;          /* machine_quiet() nesting */
    FILE *loud_out, *loud_trace;   /* out and trace while quiet */
} Machine;

void machine_config_defaults(MachineConfig *cfg);
/* True if the machine has a GICv3 ITS (its=on with gic-version=3; a GICv2 never has one). */
bool machine_has_its(const MachineConfig *cfg);
void machine_config_free(MachineConfig *cfg);
/* Switches every core to timing model k now (the inorder model made, cold, on its first
 * use; kept with its state when switched away and back). */
void machine_timing_switch(Machine *m, TimingKind k);
/* Allocates the machine, its RAM, event queue and timing model. Boards add the rest. */
Machine *machine_new(const MachineConfig *cfg, uint64_t ram_base, char **err);
void machine_free(Machine *m);
int machine_add_cpu(Machine *m, void *cpu, const CpuClass *cls);
MachineObject *machine_add_object(Machine *m, const char *name, const StateDesc *desc, void *obj);
MachineObject *machine_find_object(Machine *m, const char *name);
/* Registers a memory region for snapshots (RAM is registered by machine_new as "ram"). */
void machine_add_memory(Machine *m, const char *name, uint64_t base, uint64_t size, uint8_t **data);
/* Runs until the machine's instruction count reaches `target` (cfg.max_insns still applies).
 * true if it got there and did not stop for another reason; the machine is then ready to run
 * on, or stopped (m->stop) if target is also cfg.max_insns. false if it stopped before
 * (end, debugger pause, error, the limit). */
bool machine_run_to(Machine *m, uint64_t target);
/* Registers a statistics dump function (called in registration order). */
void machine_add_stats(Machine *m, StatsDumpFn fn, void *opaque);
/* The statistics now: the machine's own (sim.*, per-core instructions) and every provider's,
 * counted from the last machine_stats_reset (the caller frees the set). */
StatsSet *machine_stats(Machine *m);
/* `stats reset`: later sets count from here (host-side: not machine state). */
void machine_stats_reset(Machine *m);
/* Stops the run with exit code `code`; the first stop wins. msg may be NULL. */
void machine_stop(Machine *m, int code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* The guest powers the machine off (PSCI SYSTEM_OFF): a stop with exit code 0 that no pause
 * requested at the same moment (Ctrl-C) can hide, and after which nothing runs. */
void machine_power_off(Machine *m);
/* Runs until a stop. Returns the exit code. */
int machine_run(Machine *m);
/* Trace categories (-d, `trace on`) and the symbolizer for every core's traces: each CPU
 * class present is told once. */
void machine_set_trace_mask(Machine *m, uint32_t mask);
void machine_set_symbolizer(Machine *m, Symbolizer *s);
/* Total instructions retired by all cores. */
uint64_t machine_icount(const Machine *m);
/* The same, exact also while a core is running (device callbacks): counts the running core's
 * instructions of the current slice. */
uint64_t machine_icount_exact(const Machine *m);
/* One read attempt of external input for a device: up to max bytes, never blocking. Counts
 * the attempt (input_seq), then reads host fd (marking *eof at its end) or asks m->input. */
size_t machine_input(Machine *m, int fd, int *eof, uint8_t *buf, size_t max);
/* The host side of machine_input: what fd has ready, without blocking. */
size_t machine_read_host(int fd, int *eof, uint8_t *buf, size_t max);
/* What the outside world offers now: typed bytes (machine_type) first, then fd's. */
size_t machine_host_input(Machine *m, int fd, int *eof, uint8_t *buf, size_t max);
/* Queues bytes as if typed on the console (they reach the guest through machine_input). */
void machine_type(Machine *m, const uint8_t *bytes, size_t len);
/* Pauses the run once the guest's console output ends with text (NULL: no watch). */
void machine_wait_for_output(Machine *m, const char *text);
void machine_output_watch(Machine *m, uint8_t ch);
/* Re-execution of the past: while on (calls nest), guest output and traces go nowhere. */
void machine_quiet(Machine *m, bool on);
/* A byte the guest writes to the console. */
static inline void machine_output(Machine *m, uint8_t ch)
{
    m->out_digest = (m->out_digest ^ ch) * 0x100000001b3ULL;
    fputc(ch, m->out);
    if (m->out_wait)
        machine_output_watch(m, ch);
}
/* Marks RAM [pa, pa+len) written (touched; dirty when tracking); no-op outside RAM. Every
 * writer of RAM other than the cores' fast-path stores calls it (those follow a slow-path
 * store to the same page, which does). */
static inline void machine_ram_written(Machine *m, uint64_t pa, uint64_t len)
{
    if (len && pa - m->ram_base < m->ram_size) {
        uint64_t first = (pa - m->ram_base) >> 12, last = (pa - m->ram_base + len - 1) >> 12;
        for (uint64_t i = first; i <= last && i < (m->ram_size >> 12); i++) {
            m->ram_touched[i] = 1;
            if (m->ram_dirty)
                m->ram_dirty[i] = 1;
        }
    }
}
/* A device's DMA wrote RAM [pa, pa+len): marked written like any store, and decoded code of
 * those pages dropped (a page the guest filled from a disk may be executed next). */
static inline void machine_dma_written(Machine *m, uint64_t pa, uint64_t len)
{
    machine_ram_written(m, pa, len);
    for (uint64_t p = pa & ~0xfffULL; len && p < pa + len; p += 4096)
        if (p - m->ram_base < m->ram_size && m->ram_code[(p - m->ram_base) >> 12] &&
            m->code_written)
            m->code_written(m, p);
}
/* True if the virtual page of va may hold an address breakpoint. */
static inline bool machine_break_page(const Machine *m, uint64_t va)
{
    if (m->nbreak_vas < 0)
        return true;
    for (int i = 0; i < m->nbreak_vas; i++)
        if (m->break_vas[i] >> 12 == va >> 12)
            return true;
    return false;
}
/* True if an address breakpoint may be at va. */
static inline bool machine_break_addr(const Machine *m, uint64_t va)
{
    if (m->nbreak_vas < 0)
        return true;
    for (int i = 0; i < m->nbreak_vas; i++)
        if (m->break_vas[i] == va)
            return true;
    return false;
}
/* Turns dirty tracking on (clearing the map) or off. */
void machine_track_dirty(Machine *m, bool on);
/* Starts a new dirty interval: clears the map and makes every core's next store to each page
 * take the slow path. */
void machine_clear_dirty(Machine *m);
/* Current simulated time as seen by a core that has retired part of its slice. */
SimTime machine_time(const Machine *m);
/* The machine's own state (time, input attempts, output digest, the schedule in progress)
 * and each core's clock (icount, time): described like every object, for the state hash
 * and snapshots. machine_state_desc covers only those fields of Machine. */
extern const StateDesc machine_state_desc;
extern const StateDesc machine_cpu_state_desc;
/* SHA-256 over every object's state, every core and the non-zero RAM pages; hex into out[65]. */
void machine_state_hash(Machine *m, char out[65]);
#endif
