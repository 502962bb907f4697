/* AArch64 core: architectural state, decoded-instruction form and the executor contract.
 *
 * Register file: x[0..30] are the general registers; x[A64_ZR] always reads as zero,
 * x[A64_SP] is the current stack pointer, x[A64_SINK] absorbs writes to XZR. Decode maps
 * register number 31 to ZR/SP/SINK according to each instruction's semantics, so executors
 * never test for 31.
 *
 * Executors have the signature `const A64Insn *exec_X(Arm64Cpu *c, const A64Insn *d)` and
 * return the next decoded instruction to run: `d + 1` for straight-line code, a pointer into
 * the same decoded page for a taken branch that stays in the page, or NULL after setting
 * c->pc (branch leaving the page, exception, stop request). See a64_next()/a64_branch().
 * They are defined with A64_EXEC(exec_X) { ... }, which threads them: see a64_chain().
 */
#ifndef HVSIM_CPU_ARM64_CPU_H
#define HVSIM_CPU_ARM64_CPU_H
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "core/machine.h"
#include "core/symbolize.h"
#include "mmu/softtlb.h"
#include "mmu/walk.h"
#include "cpu/arm64/pmu.h"

#define A64_ZR 31
#define A64_SP 32
#define A64_SINK 33
#define A64_NREGS 34

#define A64_PAGE_BITS 12
#define A64_PAGE_SIZE (1u << A64_PAGE_BITS)
#define A64_PAGE_INSNS (A64_PAGE_SIZE / 4)
/* Exceptions taken on instruction fetch in a row, without an instruction retiring, before
 * the machine stops with exit 3 (an exception loop; cpu.c, fetch_fault_taken). */
#define A64_FETCH_FAULT_LIMIT 1000

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define A64_NUM_TLBS 5            /* EL0, EL1, EL2, and the other banks of EL0 and EL1 */

typedef struct Arm64Cpu Arm64Cpu;
typedef struct A64CpuModel A64CpuModel;
/* One SIMD&FP register V0..V31 (128 bits). Lanes are in memory order on a little-endian
 * host: b[0] / h[0] / s[0] / d[0] is the least significant element (hvsim builds only for
 * little-endian hosts; see cpu.c). Scalar writes zero the rest of the register. */
typedef union A64Vreg {
    uint64_t d[2];
    uint32_t s[4];
    uint16_t h[8];
    uint8_t b[16];
} A64Vreg;
typedef struct A64Insn A64Insn;
typedef const A64Insn *(*A64ExecFn)(Arm64Cpu *c, const A64Insn *d);

/* Decoded instruction: filled once per guest page by a64_prep_* (cpu/arm64/decode.c). The
 * meaning of the generic slots is each instruction's own (documented at its prep function). */
struct A64Insn {
    A64ExecFn fn;
    uint32_t raw;             /* the encoding */
    uint16_t op;              /* A64_OP_* from the generated decoder */
    uint8_t rd, rn, rm, ra;   /* register indices after ZR/SP mapping (rt, rt2, rs alias) */
    uint8_t sf;               /* 1 = 64-bit operation (or access size log2 for loads/stores) */
    uint8_t u8a, u8b, u8c;    /* small parameters: shift type/amount, cond, opc, flags */
    int16_t rel;              /* direct branches (imm = offset from PC): the target's slot
                               * minus this one when the target is in this page, else
                               * A64_REL_OUT (set by the page's decoder, which knows the slot) */
    int64_t imm;
    int64_t imm2;
};

/* A guest physical page decoded once. insn[A64_PAGE_INSNS] is a sentinel that moves
 * execution to the next page. */
typedef struct A64DecodedPage {
    uint64_t pa;              /* page-aligned physical address */
    uint64_t va;              /* virtual page it was entered through last (for PC) */
    struct A64DecodedPage *hnext;
    A64Insn insn[A64_PAGE_INSNS + 1];
} A64DecodedPage;

/* The exclusive monitor (Arm ARM B2.9): the local monitor of one core. */
typedef struct A64Monitor {
    uint64_t addr;            /* granule-aligned PA of the marked block */
    uint64_t valid;           /* 1 = Exclusive Access state */
    uint64_t size;            /* bytes marked (for LDXP: 16) */
} A64Monitor;

struct Arm64Cpu {
    /* --- architectural state (hashed, saved) --- */
    uint64_t x[A64_NREGS];
    uint64_t pc;
    uint8_t nf, zf, cf, vf;   /* NZCV, each 0 or 1 */
    uint8_t el;               /* current exception level */
    uint8_t spsel;            /* PSTATE.SP */
    uint8_t daif;             /* PSTATE.{D,A,I,F} in bits 3..0 */
    uint8_t halted;           /* low-power state: 1 = in WFI, 2 = in WFE */
    uint8_t powered;          /* 0 = off (PSCI CPU_OFF / not yet on) */
    uint8_t event_reg;        /* WFE event register */
    uint8_t pan;              /* PSTATE.PAN */
    uint8_t il;               /* PSTATE.IL: illegal execution state after a bad ERET */
    uint8_t irq_lines;        /* input levels: bit A64_LINE_IRQ/FIQ/VIRQ/VFIQ (GIC outputs) */
    uint8_t ss;               /* PSTATE.SS: software step, active-not-pending (debug.c) */
    uint8_t ss_syn;           /* what was stepped last: A64_SS_STEPPED | A64_SS_EX (debug.h) */
    uint8_t pad_[1];
    uint64_t sp_el[4];        /* banked SP_ELx (SP_EL0 ... SP_EL3) when not current */
    uint64_t sys[128];        /* system registers, indexed by A64_SYS_* (sysreg.h) */
    A64Vreg v[32];            /* SIMD&FP registers (FPCR/FPSR are sys[A64_SYS_FPCR/FPSR]) */
    A64Monitor mon;
    /* --- derived / run-time state (not hashed) --- */
    int index;                /* core number = its slot in m->cpus[] */
    uint32_t pad2_;
    uint64_t mpidr;
    uint64_t midr;
    Machine *m;
    struct TmCore *tm;        /* the cycle model's part of this core (timing.c), or NULL */
    uint64_t insns_left;      /* remaining budget in the current run() */
    uint64_t run_budget;      /* budget the current run() started with */
    uintptr_t chain_floor;    /* threaded dispatch goes on while the stack is above this */
    A64DecodedPage *free_list; /* decoded pages dropped while executing, freed later */
    SoftTlb tlbs[A64_NUM_TLBS]; /* the soft TLBs' storage; the pointers below name roles */
    SoftTlb *tlb_el[3];       /* soft TLBs, one per EL (a64_tlb(c): the current EL's), so
                               * exception entry and return keep each EL's translations */
    SoftTlb *tlb_alt[2];      /* EL0's and EL1's other bank: their entries made while
                               * TTBR1_EL1 was tlb_alt_ttbr1 (a64_tlb_ttbr1) */
    uint64_t tlb_alt_ttbr1;
    SoftTlb *tlb_cur;         /* tlb_el[el], set wherever el changes (a64_set_el) */
    uint64_t wfill_gen;       /* write entries filled so far (any EL) */
    const uint8_t *wflushed_page; /* a64_tlb_flush_write_host's last page, and wfill_gen */
    uint64_t wflushed_gen;        /* then: no write entry mapped it at that point */
    A64DecodedPage *cur_page; /* page holding the instruction being executed */
    A64DecodedPage **page_hash;
    uint32_t page_hash_mask;
    uint32_t npages;
    uint8_t exit_request;     /* set by slow paths: return to the run loop after this insn */
    uint8_t has_el2;          /* EL2 implemented (virt,virtualization=on) */
    uint8_t has_vhe;          /* FEAT_VHE (-cpu max with EL2) */
    uint8_t has_pan;          /* FEAT_PAN (-cpu max) */
    uint8_t has_lse;          /* FEAT_LSE: atomics, CAS, SWP */
    uint8_t has_rcpc;         /* FEAT_LRCPC(2): LDAPR, LDAPUR/STLUR */
    uint8_t has_lor;          /* FEAT_LOR registers */
    uint8_t pa_bits;          /* physical address size of the model */
    const A64CpuModel *model;
    uint32_t feature_attrs;   /* decode-table feature attributes the model has (cpu.c) */
    uint8_t dbg_armed;        /* A64_DBG_* the debug registers arm (debug.h; derived from them) */
    uint8_t last_order;       /* the last translation's stage-1 mapping size, log2 - 12
                               * (mem.c; SoftTlb.rorder) */
    uint8_t pad6_[2];
    struct ArchTimers *timers; /* this core's generic timers (devices/arch_timer.h) */
    struct GicV3 *gic;        /* the GIC whose CPU interface this core's ICC_* reach, or NULL */
    struct Hvm *hvm;          /* VM exit/entry accounting (hypervisor-model/), or NULL */
    A64Pmu pmu;               /* PMUv3 (own state description "cpuN.pmu") */
    uint64_t pmu_cut;         /* budget held back to stop at a PMU overflow (run loop) */
    uint64_t evq_seq;         /* event-queue schedule count the budget was last checked at */
    uint32_t fetch_faults;    /* exceptions taken on fetch in a row (the progress guarantee;
                               * machine state, saved: not run-time like its neighbours) */
    uint32_t pad5_;
    /* trace */
    uint32_t trace_mask;
    uint32_t pad4_;
    Symbolizer *symbolizer;   /* names PCs in -d exec/in_asm lines (shared, counted), or NULL */
    /* the cycle model (timing.c; its state is the model's, saved by the machine) */
    struct TimingSys *tms;
    uint64_t tm_cyc0;         /* the model clock when the current run() started */
    uint64_t tm_end;          /* and where its cycle budget ends */
    uint64_t tm_ctx;          /* this instruction's translation context, when tm_ctx_ok */
    uint64_t tm_line;         /* the last data line this instruction accessed, + 1 */
    uint8_t tm_ctx_ok, tm_mmu, tm_write, pad7_;
    int32_t tm_vm;            /* the VM running (VMID under stage 2), -1 outside one */
};

extern const StateDesc a64_state_desc;

/* The soft TLB of the current EL. Each EL has its own (entries carry that EL's permissions
 * in the regime it uses), so changing EL flushes nothing; TLBI, translation-control writes
 * and PSTATE.PAN changes flush all of them (a64_tlb_flush). */
static inline SoftTlb *a64_tlb(Arm64Cpu *c)
{
    return c->tlb_cur;
}

/* The one way the exception level changes (reset, exception entry and return, a loaded
 * snapshot): the current soft TLB follows it. */
static inline void a64_set_el(Arm64Cpu *c, int el)
{
    c->el = (uint8_t)el;
    c->tlb_cur = c->tlb_el[el];
}

/* Program counter of decoded instruction d (which lies in c->cur_page). */
static inline uint64_t a64_pc(const Arm64Cpu *c, const A64Insn *d)
{
    return c->cur_page->va + ((uint64_t)(d - c->cur_page->insn) << 2);
}

/* A debugger or plugin that heard an event asked for a pause: the run stops after the
 * current instruction (its executor returns through a64_next). */
static inline void a64_pause_after(Arm64Cpu *c)
{
    c->m->paused = true;
    c->m->stop = true;
    c->exit_request = 1;
}

/* Next instruction after d, honouring exit requests raised by slow paths. */
static inline const A64Insn *a64_next(Arm64Cpu *c, const A64Insn *d)
{
    if (unlikely(c->exit_request)) {
        c->pc = a64_pc(c, d) + 4;
        return NULL;
    }
    return d + 1;
}

#define A64_REL_OUT INT16_MIN

/* Execution goes on at va, outside the current page (cpu.c): the instruction there when the
 * run loop has nothing to do between the pages, else NULL with c->pc = va. */
const A64Insn *a64_cross_page(Arm64Cpu *c, uint64_t va);

/* Taken direct branch (B, BL, B.cond, CBZ/CBNZ, TBZ/TBNZ: target = PC + d->imm). */
static inline const A64Insn *a64_branch_direct(Arm64Cpu *c, const A64Insn *d)
{
    if (likely(d->rel != A64_REL_OUT) && likely(!c->exit_request))
        return d + d->rel;
    return a64_cross_page(c, a64_pc(c, d) + (uint64_t)d->imm);
}

/* Taken branch from d to virtual address target. */
static inline const A64Insn *a64_branch(Arm64Cpu *c, const A64Insn *d, uint64_t target)
{
    (void)d;
    if (((target ^ c->cur_page->va) >> A64_PAGE_BITS) == 0 && !(target & 3) && !c->exit_request)
        return &c->cur_page->insn[(target & (A64_PAGE_SIZE - 1)) >> 2];
    return a64_cross_page(c, target);
}

/* Threaded dispatch. An executor is written
 *     A64_EXEC(exec_X) { ...; return d + 1; }
 * which defines exec_X as its body inlined into a wrapper that goes straight on to the next
 * instruction's executor (a sibling call: a jump on optimised builds) instead of returning to
 * the run loop, while the budget lasts. The protocol stays the run loop's: an executor returns
 * the next instruction with its own retirement not yet counted (the loop counts it), or NULL.
 * Chaining takes one instruction of the budget before jumping on, so the loop's count comes
 * out the same; with one instruction of budget left it returns to the loop, which is how
 * run_traced gets one instruction per call.
 * Builds where the compiler may make a real call of the jump (unoptimised, or instrumented by
 * ASan) also stop chaining when the stack is below c->chain_floor, so it cannot grow without
 * bound; optimised builds are checked by tests/system/run.sh (a long run in one budget). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)   /* clang's spelling of __SANITIZE_ADDRESS__ */
#define A64_CHAIN_ASAN 1
#endif
#endif
#if !defined(__OPTIMIZE__) || defined(__SANITIZE_ADDRESS__) || defined(A64_CHAIN_ASAN)
static inline bool a64_chain_stack_ok(const Arm64Cpu *c)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    return sp > c->chain_floor;
}
#else
static inline bool a64_chain_stack_ok(const Arm64Cpu *c)
{
    (void)c;
    return true;
}
#endif

static inline const A64Insn *a64_chain(Arm64Cpu *c, const A64Insn *n)
{
    if (likely(n) && a64_chain_stack_ok(c)) {
        if (likely(--c->insns_left))
            return n->fn(c, n);
        c->insns_left = 1;
    }
    return n;
}

#define A64_EXEC(name)                                                                        \
    static inline __attribute__((always_inline)) const A64Insn *name##_body(Arm64Cpu *c,       \
                                                                            const A64Insn *d); \
    static const A64Insn *name(Arm64Cpu *c, const A64Insn *d)                                 \
    {                                                                                         \
        return a64_chain(c, name##_body(c, d));                                               \
    }                                                                                         \
    static inline __attribute__((always_inline)) const A64Insn *name##_body(Arm64Cpu *c,       \
                                                                            const A64Insn *d)

/* Registers: 32-bit writes zero the upper half (the executor passes sf). */
static inline void a64_set(Arm64Cpu *c, int r, uint64_t v, int sf)
{
    c->x[r] = sf ? v : (uint32_t)v;
}

/* Register-number mapping used by prep functions. */
static inline uint8_t a64_rreg(uint32_t r) { return r == 31 ? A64_ZR : (uint8_t)r; }
static inline uint8_t a64_rreg_sp(uint32_t r) { return r == 31 ? A64_SP : (uint8_t)r; }
static inline uint8_t a64_wreg(uint32_t r) { return r == 31 ? A64_SINK : (uint8_t)r; }
static inline uint8_t a64_wreg_sp(uint32_t r) { return r == 31 ? A64_SP : (uint8_t)r; }

/* NZCV packing (bits 31..28 as in the NZCV system register). */
static inline uint64_t a64_get_nzcv(const Arm64Cpu *c)
{
    return ((uint64_t)c->nf << 31) | ((uint64_t)c->zf << 30) | ((uint64_t)c->cf << 29) |
           ((uint64_t)c->vf << 28);
}
static inline void a64_set_nzcv(Arm64Cpu *c, uint64_t v)
{
    c->nf = (v >> 31) & 1; c->zf = (v >> 30) & 1; c->cf = (v >> 29) & 1; c->vf = (v >> 28) & 1;
}

/* --- stopping the simulation from an executor --- */
/* Unimplemented encoding/feature: prints PC, encoding, disassembly; exit code 2. */
const A64Insn *a64_unimplemented(Arm64Cpu *c, const A64Insn *d, const char *what);
/* Guest-visible UNDEFINED: the Undefined Instruction exception (EC 0) to EL1 or EL2. */
const A64Insn *a64_undefined(Arm64Cpu *c, const A64Insn *d);

/* --- SIMD&FP access control (Arm ARM D1.12, CheckFPAdvSIMDEnabled64) ---
 * Every SIMD&FP instruction (arithmetic, loads/stores, FMOV, FPCR/FPSR excepted: those are
 * system-register accesses with their own rules) starts with A64_FP_CHECK(c, d).
 * The inline test is the common case (CPACR_EL1.FPEN = 0b11 and no EL2 trap armed); anything
 * else asks the trap rules (hypervisor-model/sysreg_traps.c, sys_trap_fp): a64_fp_trapped
 * takes the EC 0x07 exception to the EL they name and returns true, or returns false when
 * nothing traps after all. */
bool a64_fp_trapped(Arm64Cpu *c, const A64Insn *d);
#define A64_FP_CHECK(c, d)                                                       \
    do {                                                                         \
        if (unlikely(!a64_fp_enabled(c)) && a64_fp_trapped((c), (d)))            \
            return NULL;                                                         \
    } while (0)
static inline bool a64_fp_enabled(const Arm64Cpu *c)
{
    /* CPACR_EL1 is sys slot 2 (A64_SYS_CPACR_EL1), CPTR_EL2 slot 29, HCR_EL2 slot 27: see
     * the _Static_asserts in exec_sys.c. EL0/EL1 outside the EL2&0 regime, FPEN = 0b11,
     * CPTR_EL2.TFP clear (E2H = 0 layout). */
    return c->el < 2 && ((c->sys[2] >> 20) & 3) == 3 &&
           (!c->has_el2 || (!(c->sys[27] & (1ULL << 34)) && !(c->sys[29] & (1ULL << 10))));
}

/* --- memory access (cpu/arm64/mem.c) ---
 * Loads return true with *val filled; stores return true when done. On false the access
 * faulted or needs the run loop (c->pc is set, the executor returns NULL via a64_fault()).
 * Fast paths for aligned RAM accesses are inline; everything else goes to the slow path. */
bool a64_load_slow(Arm64Cpu *c, const A64Insn *d, uint64_t va, unsigned size, uint64_t *val);
bool a64_store_slow(Arm64Cpu *c, const A64Insn *d, uint64_t va, unsigned size, uint64_t val);

/* The soft TLB's fast path alone: the entry for va (reading or writing), and whether it
 * serves an aligned access of `size` bytes there (host address: e->addend + va). Executors
 * that use it go to a64_load_slow/a64_store_slow from a separate cold function, so their
 * fast path needs no stack frame. */
static inline const SoftTlbEntry *a64_tlb_read_entry(Arm64Cpu *c, uint64_t va)
{
    return &a64_tlb(c)->r[(va >> A64_PAGE_BITS) & (SOFTTLB_SIZE - 1)];
}

static inline const SoftTlbEntry *a64_tlb_write_entry(Arm64Cpu *c, uint64_t va)
{
    return &a64_tlb(c)->w[(va >> A64_PAGE_BITS) & (SOFTTLB_SIZE - 1)];
}

static inline bool a64_tlb_hit(const SoftTlbEntry *e, uint64_t va, unsigned size)
{
    return e->tag == (va & (~(uint64_t)(A64_PAGE_SIZE - 1) | (size - 1)));
}

/* Host memory as a value of `size` bytes (1, 2, 4 or 8), and back. */
static inline uint64_t a64_host_get(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1: return *p;
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

static inline void a64_host_put(uint8_t *p, unsigned size, uint64_t val)
{
    switch (size) {
    case 1: *p = (uint8_t)val; break;
    case 2: { uint16_t v = (uint16_t)val; memcpy(p, &v, 2); break; }
    case 4: { uint32_t v = (uint32_t)val; memcpy(p, &v, 4); break; }
    default: memcpy(p, &val, 8); break;
    }
}

/* The cycle model (timing.c) hears of every data access: under it (c->tm set) the fast
 * paths give way to the slow paths, which report each access (a64_tm_host, a64_tm_pa); the
 * fast paths pay one test and keep their frameless shape. */
void a64_tm_host(Arm64Cpu *c, uint64_t va, const uint8_t *h, unsigned size, bool write);
#define A64_TM_HOST(c, va, h, size, write)                                                  \
    do {                                                                                   \
        if (unlikely((c)->tm))                                                             \
            a64_tm_host((c), (va), (const uint8_t *)(h), (size), (write));                 \
    } while (0)

static inline bool a64_load(Arm64Cpu *c, const A64Insn *d, uint64_t va, unsigned size, uint64_t *val)
{
    const SoftTlbEntry *e = a64_tlb_read_entry(c, va);
    if (likely(a64_tlb_hit(e, va, size) && !c->tm)) {
        *val = a64_host_get((const uint8_t *)(e->addend + va), size);
        return true;
    }
    return a64_load_slow(c, d, va, size, val);
}

static inline bool a64_store(Arm64Cpu *c, const A64Insn *d, uint64_t va, unsigned size, uint64_t val)
{
    const SoftTlbEntry *e = a64_tlb_write_entry(c, va);
    if (likely(a64_tlb_hit(e, va, size) && !c->tm)) {
        a64_host_put((uint8_t *)(e->addend + va), size, val);
        return true;
    }
    return a64_store_slow(c, d, va, size, val);
}

/* The unprivileged loads/stores (LDTR/STTR...): with EL0's permissions at EL1 (and at EL2 in
 * the EL2&0 regime with TGE), ignoring PSTATE.PAN; an ordinary access elsewhere. *val is
 * the value loaded or the value to store. Same return contract as a64_load/a64_store. */
bool a64_access_unpriv(Arm64Cpu *c, const A64Insn *d, uint64_t va, unsigned size, uint64_t *val,
                       bool write);

/* The Alignment fault of an exclusive, atomic, acquire/release or RCpc access at va (a store
 * or read-modify-write when `write`): taken; returns NULL for the executor to return. */
const A64Insn *a64_alignment_fault(Arm64Cpu *c, const A64Insn *d, uint64_t va, bool write);

/* Host pointer for an aligned RAM access of `size` bytes at va, for atomics and exclusives
 * (which must see one copy of memory), and its physical address in *pa (pa may be NULL);
 * NULL (and c->pc set) on fault. `write` selects the write permission check and does the
 * store's side effects (decoded code on the page, other cores' monitors). */
uint8_t *a64_host_ptr(Arm64Cpu *c, const A64Insn *d, uint64_t va, unsigned size, bool write,
                      uint64_t *pa);
/* Its second half, for an address already translated: watchpoints, then the pointer. */
uint8_t *a64_host_at(Arm64Cpu *c, const A64Insn *d, uint64_t va, uint64_t pa, unsigned size,
                     bool write);
/* The host pointer and *pa of a store of `size` bytes at va (inside one page) when the soft
 * TLB's read entry knows the page writable at this EL, else NULL: no walk, no side effects
 * (a64_ram_store_prep does them). *order (if not NULL): the entry's stage-1 mapping size,
 * for a write entry the store may fill. */
uint8_t *a64_tlb_writable(Arm64Cpu *c, uint64_t va, unsigned size, uint64_t *pa, uint8_t *order);
void a64_ram_store_prep(Arm64Cpu *c, uint64_t pa, unsigned size);
/* DC ZVA of the 64-byte block at va (aligned) into RAM that was never written: nothing to
 * store, and the page stays unwritten (Xen scrubs all of RAM at boot, Linux clears the pages
 * it allocates). a64_zva_known_zero: the soft TLB's read entry says so, without a walk.
 * a64_zva_slow: after a walk, 1 when so (the read entry is filled for the next block), 0
 * when the block must be stored, -1 on a fault (taken). */
bool a64_zva_known_zero(Arm64Cpu *c, uint64_t va);
int a64_zva_slow(Arm64Cpu *c, const A64Insn *d, uint64_t va);
/* Its fast path alone, for LDXR/STXR: the host pointer and *pa when the soft TLB has the page
 * (for reading, and for writing when `write`), else NULL with nothing done. */
uint8_t *a64_atomic_fast(Arm64Cpu *c, uint64_t va, unsigned size, bool write, uint64_t *pa);

/* Physical address of va for the current translation regime (stage 1 of EL1&0 or EL2, then
 * stage 2 when HCR_EL2.VM). acc is an MmuAccess (mmu/walk.h). On a fault the Data or
 * Instruction Abort is taken (ELR = d's PC, or va for fetches when d is NULL) and false is
 * returned. *perms (may be NULL) receives what this access class may do at the page. */
bool a64_translate(Arm64Cpu *c, const A64Insn *d, uint64_t va, int acc, uint64_t *pa, uint8_t *perms);
/* Address translation instruction: translate va in the regime of EL `el` (stage 1, or both
 * stages when stage12), write PAR_EL1. False if an exception was taken instead. */
bool a64_at(Arm64Cpu *c, const A64Insn *d, int el, bool stage12, bool write, uint64_t va);
/* The debugger's view: va translated in the current regime, no exception, no side effect. */
bool a64_debug_translate(Arm64Cpu *c, uint64_t va, uint64_t *pa);
/* An intermediate physical address through stage 2 alone (VTTBR_EL2/VTCR_EL2 as loaded:
 * the VM that ran or runs on the core); identity while HCR_EL2.VM is 0. */
bool a64_debug_translate_ipa(Arm64Cpu *c, uint64_t ipa, uint64_t *pa);
/* The same, reporting every descriptor read of both stages (for `translate`). */
bool a64_debug_walk(Arm64Cpu *c, uint64_t va, void (*log)(void *ctx, uint64_t pa, uint64_t desc, bool ok),
                    void *ctx, MmuResult *res, MmuFault *f, bool *mmu_on);
/* Synchronous External abort on an instruction fetch from va (nothing executable there). */
void a64_fetch_external_abort(Arm64Cpu *c, uint64_t va);
/* Drop every cached translation of this core (the soft TLBs of every EL, for loads, stores and
 * fetches). */
void a64_tlb_flush(Arm64Cpu *c);
/* Narrower invalidations: the stage-1 mapping of a TLBI by VA (in EL0's and EL1's soft TLBs
 * only with el10_only: a TLBI of the EL1&0 regime), the write entries of one host page (code decoded there) and
 * every write entry, over every EL's soft TLB; the lower VA range (a TTBR0_EL1 change) over
 * EL0's and EL1's. */
void a64_tlb_flush_va(Arm64Cpu *c, uint64_t va, bool el10_only);
void a64_tlb_flush_lower(Arm64Cpu *c);
/* The lower VA range of EL0's and EL1's current banks only (a new ASID in TTBR1_EL1). */
void a64_tlb_flush_lower_current(Arm64Cpu *c);
/* A write to the EL1&0 regime's own controls (SCTLR_EL1, TCR_EL1): EL0's and EL1's soft
 * TLBs, both banks. */
void a64_tlb_flush_el10(Arm64Cpu *c);
/* TTBR1_EL1 changed from old to new with a new table base (Linux's KPTI switches between its
 * trampoline and kernel tables, and ASIDs, on every exception from EL0 and return to it):
 * EL0 and EL1 change banks instead of flushing. Each bank is tagged with the TTBR1_EL1 value
 * (table base and ASID) it was filled under and keeps what a TLB tagged with that ASID
 * would keep: TLBIs, TTBR0_EL1 and every other translation-control write reach both banks,
 * and a bank tagged with another value is flushed before it is used. */
void a64_tlb_ttbr1(Arm64Cpu *c, uint64_t old, uint64_t now);
void a64_tlb_flush_write_host(Arm64Cpu *c, const uint8_t *host_page);
void a64_tlb_flush_writes(Arm64Cpu *c);

/* Executor return after a failed access: c->pc was set by the fault path. */
static inline const A64Insn *a64_fault(Arm64Cpu *c, const A64Insn *d)
{
    (void)d;
    (void)c;
    return NULL;
}

/* Exclusive monitor (Arm ARM B2.9). a64_monitor_arm() marks [pa, pa+size) for this core
 * (LDXR/LDAXR/LDXP) and makes other cores' stores to that page take the slow path, where
 * a64_monitor_store_notify() clears any other core's monitor the store touches.
 * a64_monitor_clear() is CLREX / exception return / STXR completion. */
void a64_monitor_arm(Arm64Cpu *c, uint64_t pa, unsigned size);
void a64_monitor_clear(Arm64Cpu *c);
bool a64_monitor_check(const Arm64Cpu *c, uint64_t pa, unsigned size);
void a64_monitor_store_notify(Arm64Cpu *c, uint64_t pa, unsigned size);

/* Selects SP_EL0 (sel=0) or SP_ELx (sel=1) as the current stack pointer (PSTATE.SP). */
void a64_select_sp(Arm64Cpu *c, int sel);
/* Decodes one instruction word into d (used per page, lazily, and by tools). */
void a64_decode_insn(A64Insn *d, uint32_t insn);

/* --- CPU models (cpu/arm64/models.c) --- */
struct A64CpuModel {
    const char *name;
    uint64_t midr;
    uint64_t isar0, isar1, mmfr0, dfr0;       /* ID_AA64ISAR0/1, ID_AA64MMFR0, ID_AA64DFR0 */
    uint64_t ctr, clidr;                      /* CTR_EL0, CLIDR_EL1 */
    uint64_t ccsidr[3];                       /* CCSIDR_EL1 for L1D, L1I, L2 */
    uint8_t pa_bits;                          /* = PARange */
    uint8_t pmu_idcode;                       /* PMCR_EL0.IDCODE */
    bool pan, vhe, lor, lse, rcpc, sb;        /* FEAT_PAN, FEAT_VHE (with EL2), FEAT_LOR,
                                               * FEAT_LSE, FEAT_LRCPC/LRCPC2, FEAT_SB */
};
/* The model called `name`, or NULL. */
const A64CpuModel *a64_cpu_model_find(const char *name);

/* --- core lifecycle (cpu/arm64/cpu.c) --- */
Arm64Cpu *a64_cpu_new(Machine *m, int index);
/* The CPU models a64_cpu_new builds, for messages ("cortex-a57, cortex-a72, max"). */
#define A64_CPU_MODELS "cortex-a57, cortex-a72, max"
/* True if `name` is one of them. */
bool a64_cpu_model_known(const char *name);
void a64_cpu_reset(Arm64Cpu *c, uint64_t entry, int el);
extern const CpuClass a64_cpu_class;
/* Makes every AArch64 core of m name PCs through s in its instruction trace (each core takes
 * a reference; NULL removes it). */
void a64_set_symbolizer(Machine *m, Symbolizer *s);
/* VMID of the current translation regime (VTTBR_EL2[55:48]) when the core runs under stage 2
 * (EL0/EL1 with HCR_EL2.VM = 1), else -1. */
int a64_current_vmid(const Arm64Cpu *c);
/* A syndrome (ESR_ELx) in words: "HVC #0x4d48", "data abort from a lower EL: translation
 * fault, level 1, write, 4 bytes to/from x1", ... (exception classes of D17.2.37). */
void a64_describe_esr(uint64_t esr, char *buf, size_t n);
/* CpuClass.peek_reg / peek_virt (peek.c). */
bool a64_peek_reg(void *obj, const char *name, uint64_t *v);
bool a64_peek_virt(void *obj, uint64_t va, void *buf, uint64_t len);
/* -d int and -d exec on or off: their lines come from subscribers of EV_EXC_TAKEN
 * (exception.c) and EV_INSN (cpu.c). */
void a64_trace_int(Machine *m, bool on);
void a64_trace_exec(Machine *m, bool on);
void a64_trace_mmu(Machine *m, bool on);    /* -d mmu: EV_WALK lines (mem.c) */
void a64_trace_in_asm(Machine *m, bool on); /* -d in_asm: EV_DECODE lines (cpu.c) */
void a64_trace_unimp(Machine *m, bool on);  /* -d unimp: EV_UNIMP lines (exec_sys.c) */
/* Switches the -d categories of every core at run time (the debugger's `trace on|off`). */
void a64_set_trace_mask(Machine *m, uint32_t mask);
/* Drop every decoded page and soft-TLB entry (self-modifying code, reset, restore). */
void a64_flush_decoded(Arm64Cpu *c);
/* Drops decoded code for the physical page containing pa (if any) on every core. */
void a64_invalidate_code_page(Machine *m, uint64_t pa);
/* Firmware calls (PSCI) through HVC/SMC when no higher EL takes them; devices/psci.c. */
typedef enum { A64_CALL_HVC, A64_CALL_SMC } A64CallKind;
bool a64_firmware_call(Arm64Cpu *c, A64CallKind kind, uint16_t imm);
/* The name of a PSCI or SMCCC function ID the firmware knows ("CPU_ON"), else NULL. */
const char *a64_firmware_call_name(uint32_t fid);

/* Disassembly through Capstone: writes "mnemonic operands" into buf. Returns false when
 * Capstone knows no instruction with this encoding (buf then says so). */
bool a64_disas(uint32_t insn, uint64_t pc, char *buf, size_t len);
/* The debugger's views of the core (inspect.c; CpuClass.debug_translate and the others). */
typedef void (*CpuSymFn)(void *ctx, uint64_t va, GString *out);
bool a64_inspect_translate(void *cpu, uint64_t va, uint64_t *pa);
bool a64_inspect_translate_ipa(void *cpu, uint64_t ipa, uint64_t *pa);
unsigned a64_disas_bytes(uint64_t pc, const uint8_t *code, size_t len, char *hex, size_t hexn,
                         char *text, size_t textn);
void a64_tlb_dump(void *cpu, GString *out, CpuSymFn sym, void *ctx);
void a64_explain_translation(void *cpu, uint64_t va, GString *out);

/* Current simulated time of this core (picoseconds), including the part of the slice run. */
SimTime a64_now(const Arm64Cpu *c);
/* Brings the PMU's lazily counted events (instructions, cycles) up to now, at the current EL.
 * Only valid while the core runs (from executors and the run loop). */
void a64_pmu_update(Arm64Cpu *c);
/* Branch instructions for BR_RETIRED (B, BL, B.cond, CBZ/CBNZ, TBZ/TBNZ, BR/BLR/RET; not
 * ERET, which is EXC_RETURN). Counted by the careful run loop, which the core switches to
 * while a PMU counter counts branches, so the fast path carries no PMU hook. */
static inline bool a64_is_branch(uint32_t raw)
{
    return (raw & 0x7c000000) == 0x14000000 || (raw & 0xff000010) == 0x54000000 ||
           (raw & 0x7e000000) == 0x34000000 || (raw & 0x7e000000) == 0x36000000 ||
           ((raw & 0xfe000000) == 0xd6000000 && raw != 0xd69f03e0);
}

/* --- the exception model (cpu/arm64/exception.c, Arm ARM D1) --- */
enum { A64_LINE_IRQ, A64_LINE_FIQ, A64_LINE_VIRQ, A64_LINE_VFIQ };
/* Interrupt input (an IrqLine callback: opaque = the Arm64Cpu, n = A64_LINE_*). */
void a64_cpu_set_line(void *opaque, int n, int level);
/* Exception classes (ESR_ELx.EC, Arm ARM D17.2.37). */
enum {
    A64_EC_UNKNOWN = 0x00, A64_EC_WFX = 0x01, A64_EC_FP = 0x07, A64_EC_ILLEGAL = 0x0e, A64_EC_SVC = 0x15,
    A64_EC_HVC = 0x16, A64_EC_SMC = 0x17, A64_EC_SYSREG = 0x18, A64_EC_IABT_LOW = 0x20,
    A64_EC_IABT_CUR = 0x21, A64_EC_PC_ALIGN = 0x22, A64_EC_DABT_LOW = 0x24,
    A64_EC_DABT_CUR = 0x25, A64_EC_SP_ALIGN = 0x26, A64_EC_BREAKPOINT_LOW = 0x30,
    A64_EC_BREAKPOINT_CUR = 0x31, A64_EC_STEP_LOW = 0x32, A64_EC_STEP_CUR = 0x33,
    A64_EC_WATCHPOINT_LOW = 0x34, A64_EC_WATCHPOINT_CUR = 0x35, A64_EC_BRK = 0x3c,
};
enum { A64_VEC_SYNC = 0, A64_VEC_IRQ = 1, A64_VEC_FIQ = 2, A64_VEC_SERROR = 3 };
/* HCR_EL2 bits used by the core (D17.2.48). */
#define A64_HCR_VM (1ULL << 0)
#define A64_HCR_FMO (1ULL << 3)
#define A64_HCR_IMO (1ULL << 4)
#define A64_HCR_AMO (1ULL << 5)
#define A64_HCR_VF (1ULL << 6)
#define A64_HCR_DC (1ULL << 12)
#define A64_HCR_VSE (1ULL << 8)
#define A64_HCR_VI (1ULL << 7)
#define A64_HCR_TWI (1ULL << 13)
#define A64_HCR_TWE (1ULL << 14)
#define A64_HCR_TSC (1ULL << 19)
#define A64_HCR_TGE (1ULL << 27)
#define A64_HCR_TDZ (1ULL << 28)
#define A64_HCR_HCD (1ULL << 29)
#define A64_HCR_E2H (1ULL << 34)
/* Effective HCR_EL2 (zero when EL2 is not implemented). */
uint64_t a64_hcr(const Arm64Cpu *c);
/* PSTATE as SPSR_ELx holds it (D1.3.5). */
uint64_t a64_pstate_to_spsr(const Arm64Cpu *c);
/* Target EL of a synchronous exception that the architecture routes "to EL1 unless ..."
 * (from EL0 with HCR_EL2.TGE -> EL2; at EL2 -> EL2). */
int a64_sync_target_el(const Arm64Cpu *c);
/* Target EL of a debug exception (BRK, breakpoints, watchpoints, step): MDCR_EL2.TDE/TGE. */
int a64_debug_target_el(const Arm64Cpu *c);
/* Takes an exception to target_el (AArch64.TakeException): SPSR/ELR/ESR (and FAR when
 * far_valid) of the target EL, PSTATE, PC = vector. */
void a64_take_exception(Arm64Cpu *c, int target_el, int vec, uint64_t esr, uint64_t preferred_return,
                        bool far_valid, uint64_t far);
/* Synchronous exception raised by the instruction d (counted as a step); returns NULL
 * for the executor to return. iss is ESR.ISS; IL is set (A64 instructions are 32-bit). */
const A64Insn *a64_sync_exception(Arm64Cpu *c, const A64Insn *d, int target_el, unsigned ec, uint32_t iss);
/* MSR/MRS d trapped to EL `el` with the EC 0x18 syndrome. */
const A64Insn *a64_sysreg_trap(Arm64Cpu *c, const A64Insn *d, int el);
/* Exception return (ERET) to the state in spsr at address elr. */
void a64_exception_return(Arm64Cpu *c, uint64_t spsr, uint64_t elr);
/* Called by the run loop between instructions: takes a pending, unmasked interrupt or the
 * illegal-state exception. Returns true if PC changed. */
bool a64_check_interrupts(Arm64Cpu *c);
/* True if a WFI/WFE wake-up event is pending (an interrupt, masked or not). */
bool a64_wakeup_pending(const Arm64Cpu *c);
#endif
