/* The in-order timing model, ISA-neutral: configuration (a GLib key file), one TmCore per
 * core (pipeline scoreboard, L1 caches, TLBs, walk caches, branch predictor) and the shared
 * L2, with the statistics and the saved form. The CPU (cpu/arm64/timing.c) drives it: per
 * instruction tm_fetch, tm_issue, its data accesses (tm_data), tm_retire and for branches
 * tm_branch; walks are the CPU's (its walker reads the descriptors), costed here.
 *
 * Time: each core has its own model clock `cyc` (cycles it has executed). An instruction
 * issues when the clock reaches it and its source registers are ready (a scoreboard), takes
 * one issue cycle (a pair of simple ones may share a cycle with issue_width = 2), and stalls
 * the core for cache misses beyond L1, TLB misses, mispredicts and the fixed costs of system
 * instructions and exceptions. A load that hits L1D does not stall: its register is ready
 * l1d.latency cycles after issue. */
#ifndef HVSIM_CPU_TIMING_MODEL_H
#define HVSIM_CPU_TIMING_MODEL_H
#include <stdbool.h>
#include <stdint.h>
#include "cpu/timing/bpred.h"
#include "cpu/timing/cache.h"
#include "cpu/timing/tlbm.h"

typedef enum {
    TM_ALU, TM_MUL, TM_DIV, TM_FP, TM_MEM, TM_SYSREG, TM_BARRIER, TM_ERET, TM_TLBI,
    TM_BRANCH, TM_NCLASS
} TmClass;

typedef struct TmConfig {
    uint32_t issue_width;
    BpKind bpred;
    uint32_t bp_entries, btb_entries, ras_entries, mispredict;
    uint32_t lat[TM_NCLASS];              /* result latency (ALU/MUL/DIV/FP) or cost */
    uint32_t lat_exception;
    CacheGeom l1i, l1d, l2;
    uint32_t mem_latency;
    uint32_t itlb_entries, dtlb_entries, l2tlb_entries, l2tlb_ways, l2tlb_latency;
    bool walk_cache, nested;
    uint32_t walk_entries, nested_entries;
    uint64_t seed;
} TmConfig;

/* One walk as the CPU's walker did it: every descriptor read in order, and the result. */
#define TM_WALK_MAX 40
typedef struct TmWalk {
    int n;
    struct { uint64_t pa; uint8_t stage, level; } r[TM_WALK_MAX];
    bool ok, s1, s2;          /* translated; which stages were on */
    bool global;
    uint64_t ipa;             /* stage-1 output */
    unsigned shift;           /* mapping size (log2), both stages combined */
    unsigned asid, vmid;
} TmWalk;
/* The CPU walks va (for a fetch or a data access) in its current regime, side-effect free. */
typedef void (*TmWalkFn)(void *cpu, uint64_t va, bool fetch, TmWalk *w);

enum { TM_WALK_S1, TM_WALK_S2, TM_WALK_2D };

/* Why cycles were lost: the front end (fetch) and the back end (data and execution). */
enum {
    TM_ST_ICACHE, TM_ST_ITLB, TM_ST_BRANCH,             /* front end */
    TM_ST_DCACHE, TM_ST_DTLB, TM_ST_DEP, TM_ST_EXEC, TM_ST_EXC,   /* back end */
    TM_ST_N
};

typedef struct TmCore {
    uint64_t cyc;                         /* the core's model clock */
    uint64_t ready[72];                   /* scoreboard: when each register's value is ready */
    uint64_t slot_cycle;                  /* dual issue: the cycle the last pair started */
    uint64_t pend_stall;                  /* this instruction's data stalls so far */
    uint8_t pend_hit, pend_pad[7];        /* it had a load that hit L1D */
    /* this instruction's events, for the guest's PMU and EV_TIMING (cleared at retire) */
    struct TmInsnEv {
        uint32_t l1d, l1d_refill, l1i_refill, tlb_refill, l2_refill, stall_fe, walks, pad;
        uint64_t last_va, last_pa;        /* its last data access */
    } ev;
    uint64_t iline, ipage, ictx;          /* the last fetch: line, page, context */
    bool ifetch_valid;
    Cache l1i, l1d, ntlb;
    Cache pwc[2][3];                      /* walk caches per stage and level (0-2: non-leaf) */
    Tlbm itlb, dtlb, l2tlb;
    Bpred bp;
    /* statistics (not state: a snapshot's counters restart) */
    uint64_t insns, walks[3], walk_refs[3], walk_cycles, pwc_hits[2][3], ntlb_hits;
    uint64_t stall[8];                    /* cycles lost, by TM_ST_* cause */
    uint64_t walk_refs_sl[2][4];          /* descriptor reads sent on, by stage and level */
    uint64_t el_cycles[4], el_insns[4], el_l1d_misses[4], el_dtlb_misses[4];
    /* the EL and VM running since the clock, instruction and L1D-miss counts att_* (their
     * cycles and instructions are added to them at the next change: tm_attribute) */
    int32_t att_el, att_vm;
    uint64_t att_cyc, att_insns, att_l1d;
    uint64_t mem_accesses;
} TmCore;

typedef struct TimingSys {
    TmConfig cfg;
    char *digest;                         /* SHA-256 of the configuration, for snapshots */
    int ncores;
    TmCore *core;
    Cache l2;
    TmWalkFn walk;
    /* per VM, by VMID (low 8 bits): instructions, cycles, L1D misses, walks under stage 2 */
    uint64_t vm_insns[256], vm_cycles[256], vm_l1d_misses[256], vm_walks[256];
    uint64_t max_stall;                   /* bound of one instruction's cycles */
    uint64_t warm_from;                   /* instruction count the model started at */
} TimingSys;

/* Defaults, then the key file (NULL: none). NULL, or a one-line error. */
char *tm_config_load(TmConfig *cfg, const char *path);
TimingSys *tm_new(const TmConfig *cfg, int ncores, TmWalkFn walk);
void tm_free(TimingSys *s);
/* Every cache, TLB, walk cache and predictor empty (a cold start). */
void tm_cold(TimingSys *s);

/* Instruction fetch of the instruction at va/pa; translation on or off; ctx as tlbm_ctx. */
void tm_fetch_slow(TimingSys *s, TmCore *k, void *cpu, uint64_t va, uint64_t pa, bool mmu,
                   uint64_t ctx);
static inline void tm_fetch(TimingSys *s, TmCore *k, void *cpu, uint64_t va, uint64_t pa,
                            bool mmu, uint64_t ctx)
{
    if (__builtin_expect(k->ifetch_valid && (pa >> 6) == k->iline && ctx == k->ictx, 1))
        return;               /* the same 64-byte fetch block, page and context */
    tm_fetch_slow(s, k, cpu, va, pa, mmu, ctx);
}
/* A data access (stores and loads; atomics are both): TLB, then L1D/L2/memory. */
typedef enum {
    TM_ACC_CACHED,            /* Normal memory */
    TM_ACC_DEVICE,            /* a device: uncached, [memory] latency */
    TM_ACC_WHOLE_LINE,        /* a store of a whole line (DC ZVA): allocated without a fetch */
} TmAccKind;
void tm_data(TimingSys *s, TmCore *k, void *cpu, uint64_t va, uint64_t pa, bool write,
             TmAccKind kind, bool mmu, uint64_t ctx, int el);
/* Cache maintenance by PA (DC IVAC/CVAC/CIVAC/ZVA-like cleaning; ic = instruction side). */
void tm_dc(TimingSys *s, TmCore *k, uint64_t pa, bool clean, bool inval);
void tm_dc_setway(TimingSys *s, TmCore *k, unsigned level, uint32_t set, uint32_t way,
                  bool clean, bool inval);
void tm_ic_all(TmCore *k);
/* TLB maintenance on one core's TLBs (the CPU loops over cores for broadcasts); walk caches
 * are dropped by every form except last-level VA forms, which keep non-leaf entries. */
void tm_tlbi(TmCore *k, const TlbmInv *inv, bool last_level);

/* A resolved branch; true if it was mispredicted (the penalty is charged). */
static inline bool tm_branch(TimingSys *s, TmCore *k, BrKind kind, uint64_t pc, bool taken,
                             uint64_t target)
{
    if (!bpred_resolve(&k->bp, kind, pc, taken, target))
        return false;
    k->cyc += s->cfg.mispredict;
    k->stall[TM_ST_BRANCH] += s->cfg.mispredict;
    return true;
}

/* From here on the core runs at EL el in VM vm (-1: none): what ran since the last call is
 * counted to the EL and VM of then. */
void tm_attribute(TimingSys *s, TmCore *k, int el, int vm);

/* The statistics provider (machine_add_stats). */
struct StatsSink;
void tm_stats_dump(void *opaque, const struct StatsSink *sink);
/* Saved form: the configuration's digest, then every core's and the L2's state. */
uint64_t tm_state_size(const TimingSys *s);
void tm_state_save(const TimingSys *s, uint8_t *out);
/* false if the size does not match this configuration (the caller starts cold). */
bool tm_state_load(TimingSys *s, const uint8_t *in, uint64_t len);
/* One line describing the configuration (docs, --timing-config errors). */
#endif
