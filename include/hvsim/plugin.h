/* hvsim plugin API — the one header a plugin is built against.
 *
 * A plugin is a shared object loaded with `--plugin PATH[,key=value...]` (several may be
 * given; they load in command-line order). It observes the simulated machine through the
 * event stream and reads its state through the accessor functions below; it cannot change
 * it: there is no write function, accessors copy values out, and hvsim exports none of its
 * internal symbols, so a plugin that links against one (bus_write, a64_set, ...) is refused
 * at load. Runs with plugins loaded are therefore the same runs as without them (the same
 * instructions, output and state hash), and record/replay and reverse execution hold; while
 * reverse execution re-runs the past, plugins hear nothing, so what a plugin counts is the
 * run as the user saw it, once.
 *
 * Determinism of the plugin itself: events arrive in the same order with the same contents
 * on every run. A plugin that uses no host state (time, randomness, addresses of its own
 * memory) in what it writes writes the same output every run.
 *
 * A minimal plugin (cc -shared -fPIC -I<hvsim>/include -o count.so count.c):
 *
 *     #include <hvsim/plugin.h>
 *     #include <stdio.h>
 *     HVSIM_PLUGIN_DECLARE;
 *     static uint64_t n;
 *     static int on_insn(void *user, const hvsim_event *e) { n++; return 0; }
 *     static void on_exit(void *user) { fprintf(stderr, "%llu instructions\n",
 *                                               (unsigned long long)n); }
 *     int hvsim_plugin_install(const hvsim_api *api, hvsim_plugin *self,
 *                              int argc, const hvsim_arg *argv, char **err)
 *     {
 *         hvsim_filter all = HVSIM_FILTER_ALL;
 *         api->subscribe(self, HVSIM_EV_BIT(HVSIM_EV_INSN), &all, on_insn, NULL);
 *         api->at_exit(self, on_exit, NULL);
 *         return 0;
 *     }
 *
 * Versioning: HVSIM_PLUGIN_ABI_VERSION changes whenever a type or the api table changes
 * incompatibly; hvsim refuses a plugin whose hvsim_plugin_abi (set by HVSIM_PLUGIN_DECLARE)
 * differs from its own. New functions are appended to hvsim_api, and api->abi_version tells a
 * plugin which ones exist. */
#ifndef HVSIM_PLUGIN_H
#define HVSIM_PLUGIN_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HVSIM_PLUGIN_ABI_VERSION 3   /* 2: the IRQ, TLBI, FWCALL, SNAPSHOT, DECODE and
                                       * UNIMP events; stat_histogram; 3: TIMING */

/* Every plugin says which ABI it was built for (checked at load). */
#define HVSIM_PLUGIN_DECLARE \
    __attribute__((visibility("default"))) const uint32_t hvsim_plugin_abi = HVSIM_PLUGIN_ABI_VERSION

/* ---- events ---- */
typedef enum hvsim_event_kind {
    HVSIM_EV_INSN = 0,        /* an instruction is about to execute: pc, insn.raw */
    HVSIM_EV_MEM = 1,         /* a data access (translated, before its bytes move): mem.* */
    HVSIM_EV_EXC_TAKEN = 2,   /* an exception was taken: el = the EL it came from, exc.to_el,
                               * pc = the preferred return address, exc.syndrome = ESR */
    HVSIM_EV_EXC_RETURN = 3,  /* an exception return: el = from, exc.to_el, pc = target */
    HVSIM_EV_VM_EXIT = 4,     /* a guest exited to the hypervisor: vmid, vm.reason(_name), pc =
                               * the guest's PC, vm.syndrome */
    HVSIM_EV_VM_ENTRY = 5,    /* its entry: vm.reason of the exit, vm.cycles since the exit */
    HVSIM_EV_POWER_OFF = 6,   /* the guest powered the machine off */
    HVSIM_EV_WALK = 7,        /* a translation-table walk for an access (walk.*): whenever
                               * hvsim's soft TLB misses, which is not the architectural TLB —
                               * counts reflect hvsim's refills (4 KiB pages, per EL); also a
                               * fault taken without a walk (alignment, external abort: fault
                               * set, no descriptors read), as -d mmu lists them */
    HVSIM_EV_MMIO = 8,        /* a core's access to a device, after the device saw it:
                               * mmio.* (value: written, or read back) */
    HVSIM_EV_IRQ = 9,         /* the interrupt controller's CPU interface: irq.* */
    HVSIM_EV_TLBI = 10,       /* a TLB maintenance instruction: tlbi.* */
    HVSIM_EV_FWCALL = 11,     /* a PSCI/SMCCC call hvsim's firmware answered: call.* */
    HVSIM_EV_SNAPSHOT = 12,   /* the machine was saved to or restored from a file: snap.* */
    HVSIM_EV_DECODE = 13,     /* an instruction was decoded (pc, insn.raw): the first time it
                               * runs from its page's code, and again after that code was
                               * dropped (self-modifying code, a flush); QEMU's "translation";
                               * the function's return is ignored (INSN can stop there) */
    HVSIM_EV_UNIMP = 14,      /* the guest used a system register or system instruction hvsim
                               * does not model and sees UNDEFINED: unimp.* */
    HVSIM_EV_TIMING = 15,     /* the cycle model (--timing inorder): an instruction missed L1I,
                               * L1D or L2, walked after an L2 TLB miss, or was mispredicted:
                               * timing.* */
    HVSIM_EV_NKINDS = 16
} hvsim_event_kind;
#define HVSIM_EV_BIT(k) (1u << (k))

/* irq.stage */
enum { HVSIM_IRQ_RAISE, HVSIM_IRQ_ACK, HVSIM_IRQ_EOI, HVSIM_IRQ_DEACTIVATE };

/* VM-exit reasons (vm.reason), as hvsim's statistics name them. */
enum {
    HVSIM_EXIT_HVC, HVSIM_EXIT_SMC, HVSIM_EXIT_SYSREG, HVSIM_EXIT_WFX, HVSIM_EXIT_DABT,
    HVSIM_EXIT_IABT, HVSIM_EXIT_IRQ, HVSIM_EXIT_FIQ, HVSIM_EXIT_SERROR, HVSIM_EXIT_OTHER,
    HVSIM_EXIT_NREASONS
};

typedef struct hvsim_event {
    uint32_t kind;            /* hvsim_event_kind */
    int32_t cpu;              /* core number */
    int32_t el;               /* exception level at the event */
    int32_t vmid;             /* running guest's VMID (stage 2 on), else -1 */
    uint64_t pc;
    uint64_t time_ps;         /* simulated time in picoseconds */
    union {
        struct { uint32_t raw; } insn;                          /* the encoding */
        struct { uint64_t va, pa; uint32_t size, write; } mem;
        struct { int32_t to_el; uint32_t vec; uint64_t syndrome; } exc;   /* vec: 0 sync,
                                                                 * 1 IRQ, 2 FIQ, 3 SError */
        struct { uint32_t reason; const char *reason_name; uint64_t syndrome, cycles; } vm;
        /* va, the pa it gave (0 on a fault), access (0 read, 1 write, 2 fetch, 3 RMW),
         * descriptors read per stage (0: stage 1, 1: stage 2) and level; and each descriptor
         * read in order: desc[i] its physical address, desc_stage_level[i] = stage << 4 |
         * level (stage 1 or 2), for i < ndesc (the arrays live during the call) */
        struct { uint64_t va, pa; uint32_t access, fault; uint8_t refs[2][4];
                 const uint64_t *desc; const uint8_t *desc_stage_level; uint32_t ndesc; } walk;
        /* the device by its name in hvsim's memory map ("uart0", "gicd") and the offset */
        struct { uint64_t va, pa, offset, value; uint32_t size, write; const char *device; } mmio;
        /* stage: HVSIM_IRQ_* (stage_name: "raise", "ack", "eoi", "deactivate"); intid (the
         * vINTID when virt); lr: the list register holding a virtual interrupt, else -1;
         * value: the SGI register written (raise, physical), or the list register */
        struct { uint32_t stage; const char *stage_name; uint32_t intid, virt; int32_t lr;
                 uint64_t value; } irq;
        /* op: "TLBI VAE1IS" etc.; va: the page of a by-VA form; by_va; broadcast: an IS/OS
         * form (every core's TLBs) */
        struct { const char *op; uint64_t va; uint32_t by_va, broadcast; } tlbi;
        /* fid: the SMCCC function ID, result: x0 after; conduit "hvc"/"smc"; name: the PSCI
         * function ("CPU_ON") or NULL */
        struct { uint64_t fid, result; const char *conduit, *name; } call;
        /* file, restore: 0 saved, 1 restored */
        struct { const char *file; uint32_t restore; } snap;
        /* the encoding and what it is ("MRS S3_0_C15_C2_0", "SYS #0, C7, C9, #0") */
        struct { uint32_t raw; const char *what; } unimp;
        /* what: "l1i_miss", "l1d_miss", "l2_miss", "walk" or "mispredict"; count: how many
         * in this instruction (pc); va, pa: its last data access (0: none); cycles: the
         * instruction's cycles under the model */
        struct { const char *what; uint32_t count; uint64_t va, pa, cycles; } timing;
    } u;
} hvsim_event;

/* Which events a subscription hears: a field < 0 (cpu, el, vmid) matches all; the address
 * range [lo, hi] (applies to INSN: pc, MEM, WALK and MMIO: va) is off when lo > hi. */
typedef struct hvsim_filter {
    int32_t cpu, el, vmid;
    uint64_t lo, hi;
} hvsim_filter;
#define HVSIM_FILTER_ALL { -1, -1, -1, 1, 0 }

/* Called for each event; returns 0 to go on, non-zero to stop the run there (a plain run
 * ends with exit code 0 and the plugin's reason; in the debugger it is a stop like a
 * breakpoint's; for INSN, before the instruction). */
typedef int (*hvsim_event_fn)(void *user, const hvsim_event *e);

/* ---- statistics ---- */
/* A plugin's counters join hvsim's statistics (--stats, --stats-text, `stats dump`) under
 * "plugin.NAME." where NAME is the plugin's file name without directory and ".so". */
typedef struct hvsim_stats_sink hvsim_stats_sink;
typedef void (*hvsim_stats_fn)(void *user, const hvsim_stats_sink *sink);

/* ---- the plugin and its arguments ---- */
typedef struct hvsim_plugin hvsim_plugin;     /* opaque: this plugin, for every call */
typedef struct hvsim_arg {
    const char *key, *value;  /* "--plugin p.so,out=f.txt,top=10": {"out","f.txt"},{"top","10"};
                               * a bare word has value "" */
} hvsim_arg;

typedef struct hvsim_api {
    uint32_t abi_version;     /* HVSIM_PLUGIN_ABI_VERSION of the hvsim that loaded the plugin */
    uint32_t ncpus;
    /* Subscribes fn to the kinds (HVSIM_EV_BIT()s) that pass filter. Returns 0, or -1 when
     * hvsim has no room for another subscription. Instruction and memory events slow the
     * run (the cores go through their careful paths while anyone hears them). */
    int (*subscribe)(hvsim_plugin *self, uint32_t kinds, const hvsim_filter *filter,
                     hvsim_event_fn fn, void *user);
    /* Reads a register of core cpu by name: "x0".."x30", "sp", "pc", "el", "nzcv", or a
     * system register by its Arm ARM name ("SCTLR_EL1", "VTTBR_EL2"). Returns 0, or -1 for
     * an unknown name or a register whose read would act (ICC_IAR1_EL1 acknowledges). */
    int (*read_reg)(hvsim_plugin *self, int cpu, const char *name, uint64_t *value);
    /* Copies len bytes at virtual address va as core cpu translates it now (its current
     * regime, stage 2 included), or at physical address pa (RAM only: reading a device
     * would act). Returns 0, or -1 when some byte is not mapped or not RAM. */
    int (*read_virt)(hvsim_plugin *self, int cpu, uint64_t va, void *buf, uint64_t len);
    int (*read_phys)(hvsim_plugin *self, uint64_t pa, void *buf, uint64_t len);
    /* The symbol holding pc in the ELF given to -kernel, with *offset from its start; NULL
     * when there is none. The string lives until the run ends. */
    const char *(*symbol)(hvsim_plugin *self, uint64_t pc, uint64_t *offset);
    /* Instructions retired by all cores so far (exact, also inside an event). */
    uint64_t (*icount)(hvsim_plugin *self);
    /* Registers fn to report counters whenever hvsim dumps statistics; fn calls stat(). */
    void (*add_stats)(hvsim_plugin *self, hvsim_stats_fn fn, void *user);
    void (*stat)(const hvsim_stats_sink *sink, const char *name, uint64_t value,
                 const char *unit, const char *description);
    /* Called once when the run has ended (before statistics are written): write files here. */
    void (*at_exit)(hvsim_plugin *self, void (*fn)(void *user), void *user);
    /* The reason reported when an event function asks to stop (copied). */
    void (*set_stop_reason)(hvsim_plugin *self, const char *reason);
    /* From a stats function: a histogram of n buckets, counts[i] samples below bounds[i] (and
     * at or above bounds[i-1]); the last bucket is open (bounds[n-1] is not read). It appears
     * in --stats under "histograms", in --stats-text one line per non-empty bucket, and a
     * `stats reset` restarts its counts like a counter's. */
    void (*stat_histogram)(const hvsim_stats_sink *sink, const char *name, uint32_t n,
                           const uint64_t *bounds, const uint64_t *counts, const char *unit,
                           const char *description);
} hvsim_api;

/* The entry point every plugin defines: subscribe and set up. Returns 0, or non-zero with
 * *err set to a malloc'd one-line message (hvsim prints it and exits with code 1). */
int hvsim_plugin_install(const hvsim_api *api, hvsim_plugin *self, int argc,
                         const hvsim_arg *argv, char **err);

#ifdef __cplusplus
}
#endif
#endif
