/* The event stream: one publish/subscribe channel through which the machine reports what
 * happens in it (an instruction about to execute, a data access, an exception taken or
 * returned from, a VM exit or entry, a power-off). Everything that observes the machine —
 * the -d traces, VM-exit accounting, the debugger's break-on, plugins — subscribes here
 * instead of owning a hook of its own (gem5's probe points, kept apart from their listeners).
 *
 * Cost: each publisher tests one bit of Machine.ev_mask (ev_wants) before it builds an
 * event, so a kind nobody subscribed to costs a predicted-not-taken branch; per-instruction
 * and per-access kinds cost nothing at all, since the CPU's fast loop never publishes them:
 * with a subscriber the core runs its careful loop, and accesses bypass the soft TLB.
 *
 * An event has neutral fields (core, EL, VMID, PC, address, time) that every architecture
 * fills the same way, per-kind neutral fields, and an architecture-specific part (Arm: the
 * ESR, the exception vector kind) that only subscribers of that architecture read. */
#ifndef HVSIM_CORE_EVENTS_H
#define HVSIM_CORE_EVENTS_H
#include <stdbool.h>
#include <stdint.h>

typedef enum EvKind {
    EV_INSN,                  /* an instruction is about to execute (pc, el, vmid, raw) */
    EV_MEM,                   /* a data access by a core completed (addr = VA, pa, size, write) */
    EV_EXC_TAKEN,             /* an exception was taken (el = from, to_el; the core is at the
                               * handler's first instruction) */
    EV_EXC_RETURN,            /* an exception return (el = from, to_el, pc = the target) */
    EV_VM_EXIT,               /* a guest exited to the hypervisor (vmid, reason, pc = guest PC) */
    EV_VM_ENTRY,              /* the matching entry (vmid, reason of the exit, cycles since it) */
    EV_POWER_OFF,             /* the guest powered the machine off */
    EV_WALK,                  /* a translation-table walk (addr = VA, pa, refs per stage and
                               * level; fault: it ended in a fault) */
    EV_MMIO,                  /* a core's access to a device (addr = VA, pa, device, offset,
                               * size, write, value: written, or read back) */
    EV_IRQ,                   /* the interrupt controller's CPU interface (u.irq): an interrupt
                               * raised (an SGI sent; a virtual one put in a list register),
                               * acknowledged, ended (EOI), deactivated; physical or virtual */
    EV_TLBI,                  /* a TLB maintenance instruction executed (u.tlbi) */
    EV_FWCALL,                /* a PSCI/SMCCC call hvsim's firmware answered (u.call) */
    EV_SNAPSHOT,              /* the machine was saved to or restored from a file (u.snap) */
    EV_DECODE,                /* an instruction was decoded (pc, u.insn.raw): the first time it
                               * runs from its page's code, again after that code was dropped */
    EV_UNIMP,                 /* the guest used a system register or system instruction hvsim
                               * does not model, and sees UNDEFINED (u.unimp) */
    EV_TIMING,                /* the cycle model: an instruction missed a cache, walked or was
                               * mispredicted (u.timing; only under --timing inorder) */
    EV_NKINDS
} EvKind;
#define EV_BIT(k) (1u << (k))

/* Who listens, in the order they hear an event (lower first), so that an event's trace line
 * comes before the lines its consequences print (an exception's before the VM exit's). */
typedef enum EvPrio {
    EV_PRIO_TRACE = 0,        /* -d traces */
    EV_PRIO_MODEL = 10,       /* models whose state follows the events (VM-exit accounting) */
    EV_PRIO_DEBUG = 20,       /* the debugger's break-on */
    EV_PRIO_PLUGIN = 30,      /* plugins */
} EvPrio;

/* EV_IRQ stages */
enum { EV_IRQ_RAISE, EV_IRQ_ACK, EV_IRQ_EOI, EV_IRQ_DEACTIVATE };

/* The Arm part of an exception event (Arm ARM D1.10: vector kind and syndrome). */
typedef struct EvArm64Exc {
    int vec;                  /* 0 synchronous, 1 IRQ, 2 FIQ, 3 SError */
    uint64_t esr, far;
    bool far_valid;
} EvArm64Exc;

/* The x86 part of an exception event (SDM vol. 3A chapter 6): the vector, its error code,
 * CR2 for a page fault, and whether an external interrupt or NMI caused it. u.exc.syndrome
 * holds vector | error_code << 32 for architecture-neutral readers. The field layout
 * keeps EvArm64Exc's first member (the vector kind) at the same place. */
typedef struct EvX86Exc {
    int vector;
    uint32_t error_code;
    uint64_t cr2;
    bool has_error, external;
} EvX86Exc;

typedef struct EvInfo {
    EvKind kind;
    int cpu;
    int el;                   /* the EL at the event (the EL left, for exceptions and returns) */
    int vmid;                 /* the running guest's VMID, -1 outside a guest */
    uint64_t pc;              /* the instruction's (EXC_TAKEN: the preferred return address;
                               * EXC_RETURN: the return target; VM_*: the guest's PC) */
    uint64_t time;            /* simulated time (ps) */
    union {
        struct { uint32_t raw; } insn;
        struct { uint64_t addr, pa; unsigned size; bool write; } mem;
        /* to_el: the level taken to (EXC_RETURN: returned to); syndrome: what the
         * architecture records of it (Arm: the ESR; x86: the error code); vector: the
         * architecture's vector (Arm: 0 synchronous, 1 IRQ, 2 FIQ, 3 SError; x86: 0..255);
         * cause: a synchronous exception's class (Arm: ESR.EC; x86: the vector), -1 for an
         * interrupt; call: the immediate of a hypervisor call (Arm: HVC #imm), else -1 */
        struct { int to_el; uint64_t syndrome; int vector, cause; int64_t call; } exc;
        struct { int reason; const char *reason_name; uint64_t syndrome, cycles; } vm;
        /* a walk for an access (fault: it ended in one), or a fault an access takes without
         * a walk (no_walk: an alignment fault, an external abort); what -d mmu prints: the
         * permissions and regime of a walk that succeeded, the stage, level, kind and IPA of
         * a fault */
        struct { uint64_t addr, pa; int access; bool fault; uint8_t refs[2][4];
                 const uint64_t *desc; const uint8_t *desc_sl; unsigned ndesc; /* the
                 * descriptors read, in order: PA, stage << 4 | level (valid in the call) */
                 uint8_t perms; const char *regime; bool stage2; int s2_vmid;
                 int fault_stage, fault_level; const char *fault_name; bool s1ptw, no_walk;
                 bool alignment;   /* no_walk: an alignment fault (else an external abort) */
                 uint64_t ipa; } walk;
        struct { uint64_t addr, pa, offset, value; unsigned size; bool write; const char *device; } mmio;
        /* stage: EV_IRQ_*; intid (the vINTID when virt); lr: the list register of a virtual
         * interrupt (-1: none); value: the SGI register written, or the list register */
        struct { int stage; const char *stage_name; uint32_t intid; bool virt; int lr;
                 uint64_t value; } irq;
        /* op: the instruction's name ("TLBI VAE1IS"); addr: the VA (page) of a by-VA form;
         * by_va, broadcast (the IS/OS forms reach every core) */
        struct { const char *op; uint64_t addr; bool by_va, broadcast; } tlbi;
        /* fid: the function ID (x0), result (x0 after), conduit: "hvc" or "smc" */
        struct { uint64_t fid, result; const char *conduit; const char *name; } call;
        struct { const char *file; bool restore; } snap;
        /* the encoding, and what it is ("MRS S3_0_C15_C2_0", "SYS #0, C7, C9, #0") */
        struct { uint32_t raw; const char *what; } unimp;
        /* what: "l1i_miss", "l1d_miss", "l2_miss", "walk", "mispredict"; count: how many in
         * this instruction; addr, pa: its last data access (0: none); cycles: the
         * instruction's cycles */
        struct { const char *what; unsigned count; uint64_t addr, pa, cycles; } timing;
    } u;
    const void *arch;         /* architecture part (EvArm64Exc for exceptions), or NULL */
} EvInfo;

/* A subscriber: called for each event of the kinds it asked for that passes its filter.
 * Returns true to pause the machine there (a debugger stop: after the event; for EV_INSN
 * before the instruction). */
typedef bool (*EvFn)(void *opaque, const EvInfo *e);

/* What a subscriber wants to hear; a negative cpu/el/vmid and an empty address range
 * (lo > hi) match everything. The address range applies to EV_INSN (pc), EV_MEM, EV_WALK
 * and EV_MMIO (addr). */
typedef struct EvFilter {
    int cpu, el, vmid;
    uint64_t lo, hi;
} EvFilter;
#define EV_FILTER_ALL ((EvFilter){ -1, -1, -1, 1, 0 })

#define EV_MAX_SUBS 32
typedef struct EvSub {
    uint32_t kinds;           /* EV_BIT()s */
    int prio;
    EvFilter filter;
    EvFn fn;
    void *opaque;
} EvSub;

/* Per machine (Machine.events; not machine state: observers are host-side). */
typedef struct EvStream {
    EvSub subs[EV_MAX_SUBS];  /* in priority order, then subscription order */
    int nsubs;
    uint32_t mask;            /* kinds with at least one subscriber (publishers test it) */
    uint32_t careful;         /* EV_INSN/EV_MEM bits: cores must run their careful paths */
    int quiet;                /* > 0: output silenced (machine_quiet: the debugger re-runs the
                               * past to find a stop): traces and plugins hear nothing */
    int muted;                /* > 0: re-execution to reach a point of the past (reverse.c):
                               * only models hear, and nobody may pause */
} EvStream;

/* Subscribes fn to kinds; false when the table is full. Subscribing the same (fn, opaque)
 * again replaces the earlier subscription. */
bool ev_subscribe(EvStream *s, uint32_t kinds, int prio, const EvFilter *f, EvFn fn, void *opaque);
/* Removes (fn, opaque); no-op when not subscribed. */
void ev_unsubscribe(EvStream *s, EvFn fn, void *opaque);
/* A switch for a listener of every event of the kinds (a -d category): subscribes fn when on,
 * removes it when off. */
void ev_switch(EvStream *s, bool on, uint32_t kinds, int prio, EvFn fn, void *opaque);
static inline bool ev_wants(const EvStream *s, EvKind k)
{
    return __builtin_expect((s->mask >> k) & 1, 0);
}
/* Delivers e to its subscribers in order; true if one asked for a pause. While quiet, traces
 * and plugins do not hear it (what they count is the run as it happened, once); while muted
 * only EV_PRIO_MODEL subscribers hear it (they keep machine state), and none may pause. */
bool ev_publish(EvStream *s, const EvInfo *e);
/* The name of a kind ("insn", "exc-taken", ...), and the kind of a name (-1: none). */
const char *ev_kind_name(EvKind k);
int ev_kind_by_name(const char *name);
#endif
