/* x86-64 core: architectural state and the contracts between its parts.
 *
 * Parts (each a set of files with one owner; see README "x86-64"):
 *  - decode + execute (insn.h, decode.c, decode/ tables, exec_*.c): bytes at RIP become an
 *    X86Insn, whose handler runs it against this state;
 *  - system (cpu.c, mem.c, seg.c, exception.c, msr.c, cpuid.c, exec_sys.c, inspect.c,
 *    trace.c; docs/x86-system.md): modes, segmentation, paging (mmu/x86_walk.c), the soft
 *    TLB, exceptions and interrupts, MSRs, CPUID, the run loop and the CpuClass the machine
 *    sees.
 *
 * Faults: every memory or privileged access that can fault returns false after recording
 * the exception in c->exc (x86_raise). A handler that sees false returns X86_FAULT at once,
 * having changed no architectural state (reads and checks first, writes last: a
 * read-modify-write reads with x86_read_rmw, which checks write permission too). The run
 * loop delivers c->exc through the IDT, with RIP still at the faulting instruction for
 * faults and after it for traps. */
#ifndef HVSIM_CPU_X86_64_CPU_H
#define HVSIM_CPU_X86_64_CPU_H
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "core/machine.h"
#include "mmu/x86_walk.h"

/* The core's small hot helpers: inlined wherever they are used, whatever the compiler's
 * budget for a file says (a call would cost more than most of their bodies). */
#define X86_INLINE static inline __attribute__((always_inline))

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/* General registers in encoding order. */
enum { X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
       X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15, X86_NGPR };
/* Segment registers in encoding order (the Sreg field of MOV Sreg). */
enum { X86_ES, X86_CS, X86_SS, X86_DS, X86_FS, X86_GS, X86_NSEG, X86_SEG_NONE = 7 };

/* RFLAGS bits. */
#define X86_CF (1u << 0)
#define X86_PF (1u << 2)
#define X86_AF (1u << 4)
#define X86_ZF (1u << 6)
#define X86_SF (1u << 7)
#define X86_TF (1u << 8)
#define X86_IF (1u << 9)
#define X86_DF (1u << 10)
#define X86_OF (1u << 11)
#define X86_IOPL (3u << 12)
#define X86_NT (1u << 14)
#define X86_RF (1u << 16)
#define X86_VM (1u << 17)
#define X86_AC (1u << 18)
#define X86_VIF (1u << 19)
#define X86_VIP (1u << 20)
#define X86_ID (1u << 21)
#define X86_FLAGS_ARITH (X86_CF | X86_PF | X86_AF | X86_ZF | X86_SF | X86_OF)

/* Control-register and EFER bits. */
#define X86_CR0_PE (1u << 0)
#define X86_CR0_MP (1u << 1)
#define X86_CR0_EM (1u << 2)
#define X86_CR0_TS (1u << 3)
#define X86_CR0_ET (1u << 4)
#define X86_CR0_NE (1u << 5)
#define X86_CR0_WP (1u << 16)
#define X86_CR0_AM (1u << 18)
#define X86_CR0_NW (1u << 29)
#define X86_CR0_CD (1u << 30)
#define X86_CR0_PG (1u << 31)
#define X86_CR4_VME (1u << 0)
#define X86_CR4_PVI (1u << 1)
#define X86_CR4_TSD (1u << 2)
#define X86_CR4_DE (1u << 3)
#define X86_CR4_PSE (1u << 4)
#define X86_CR4_PAE (1u << 5)
#define X86_CR4_MCE (1u << 6)
#define X86_CR4_PGE (1u << 7)
#define X86_CR4_PCE (1u << 8)
#define X86_CR4_OSFXSR (1u << 9)
#define X86_CR4_OSXMMEXCPT (1u << 10)
#define X86_CR4_UMIP (1u << 11)
#define X86_CR4_LA57 (1u << 12)
#define X86_CR4_VMXE (1u << 13)
#define X86_CR4_FSGSBASE (1u << 16)
#define X86_CR4_PCIDE (1u << 17)
#define X86_CR4_OSXSAVE (1u << 18)
#define X86_CR4_SMEP (1u << 20)
#define X86_CR4_SMAP (1u << 21)
#define X86_EFER_SCE (1u << 0)
#define X86_EFER_LME (1u << 8)
#define X86_EFER_LMA (1u << 10)
#define X86_EFER_NXE (1u << 11)

/* Exception vectors. */
enum { X86_DE = 0, X86_DB = 1, X86_NMI = 2, X86_BP = 3, X86_OFV = 4, X86_BR = 5, X86_UD = 6,
       X86_NM = 7, X86_DF_EXC = 8, X86_TS = 10, X86_NP = 11, X86_SS_EXC = 12, X86_GP = 13,
       X86_PF_EXC = 14, X86_MF = 16, X86_AC_EXC = 17, X86_MC = 18, X86_XM = 19 };

/* A segment register's hidden part. attr holds the descriptor's access rights as VMX
 * stores them: type (bits 3:0), S (4), DPL (6:5), P (7), AVL (12), L (13), D/B (14),
 * G (15); bit 16 "unusable" (a null selector loaded). limit is the expanded byte limit. */
typedef struct X86Seg {
    uint64_t base;
    uint32_t limit;
    uint32_t attr;
    uint16_t sel;
    uint16_t pad[3];
} X86Seg;
#define X86_SEG_ATTR_L (1u << 13)
#define X86_SEG_ATTR_DB (1u << 14)
#define X86_SEG_ATTR_UNUSABLE (1u << 16)

typedef struct X86DescTable {
    uint64_t base;
    uint32_t limit;
    uint32_t pad;
} X86DescTable;

/* The exception an access or check raised, for the run loop to deliver. */
typedef struct X86Exc {
    int32_t vector;           /* -1: none */
    uint32_t error_code;
    bool has_error;
    uint8_t pad[7];
    uint64_t cr2;             /* #PF: the faulting linear address */
} X86Exc;

/* What a handler returns. */
enum { X86_OK = 0,            /* retired: RIP already advanced (or set by a branch) */
       X86_FAULT = 1,         /* c->exc holds an exception; nothing architectural changed */
       X86_STOP = 2 };        /* retired, and the core must leave its loop (HLT, a write
                               * that changed translation, the machine stopping) */

/* The soft TLB (mem.c): translations of linear pages per access kind (read, write, fetch),
 * a cache that is never machine state; all zero is empty. */
#define X86_TLB_SIZE 256
typedef struct X86TlbEntry {
    uint64_t tag;             /* page | priv << 1 | ac << 3 | 1 (valid) */
    uint64_t pa;              /* the page's physical address */
    uint8_t *host;            /* the page in host memory when it is plain RAM (writable RAM
                               * for write entries), else NULL */
    uint32_t pcid;            /* PCID of the walk; X86_TLB_GLOBAL: any */
    uint32_t pad;
    uint64_t ftag;            /* tag when the page is RAM (host set), else 0: the data
                               * accesses' fast path compares only this (x86_ram_fast); an
                               * entry is global or of the current PCID (a CR3 write drops
                               * the other PCIDs' entries, mem.c) */
} X86TlbEntry;
#define X86_TLB_GLOBAL 0xffffffffu
typedef struct X86Tlb {
    X86TlbEntry e[3][X86_TLB_SIZE];
} X86Tlb;

#define X86_DC_HASH 256        /* decode cache hash buckets (dcache.c) */
#define X86_DC_JUMP 256        /* decode cache page switches remembered (dcache.c) */
typedef struct X86Cpu X86Cpu;
struct X86Cpu {
    /* ---- architectural state (described in cpu.c's StateDesc) ---- */
    uint64_t gpr[X86_NGPR];
    uint64_t rip;
    uint64_t rflags;          /* bit 1 always set */
    X86Seg seg[X86_NSEG];
    X86Seg ldtr, tr;
    X86DescTable gdtr, idtr;
    uint64_t cr0, cr2, cr3, cr4, cr8, xcr0;
    uint64_t dr[8];
    uint64_t efer, star, lstar, cstar, fmask, kernel_gs_base, pat, apic_base, tsc_aux;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t tsc_offset;      /* TSC = simulated cycles + tsc_offset (IA32_TSC writes) */
    uint64_t mtrr[32];        /* MTRRs as storage: [0] def_type, [1..11] fixed (64K, 16K x2,
                               * 4K x8), [16..31] variable base/mask pairs */
    uint64_t misc_enable;     /* IA32_MISC_ENABLE as storage */
    /* x87 and SSE, in FXSAVE's terms */
    uint16_t fcw, fsw, ftw, fop;
    uint64_t fip, fdp;
    uint8_t st[8][16];        /* ST(i) as 80-bit extended (10 bytes used), physical order */
    uint64_t xmm[16][2];
    uint32_t mxcsr;
    uint32_t interrupt_shadow;   /* 1: the next instruction runs with interrupts held
                                  * (after STI or MOV SS/POP SS) */
    uint32_t halted;          /* HLT: waits for an interrupt */
    uint32_t wait_sipi;       /* an AP after INIT: waits for a start-up IPI */
    uint32_t nmi_pending;
    uint32_t pad0;
    X86Exc exc;               /* the exception being raised (vector -1 between instructions) */
    uint32_t nmi_blocked;     /* an NMI handler runs: further NMIs wait for its IRET */
    int32_t lapic_event;      /* a LAPIC_EV_* taken from the local APIC but not yet acted on
                               * (asked while the core idles), or 0 */
    int32_t sipi_vector;      /* its start-up vector (LAPIC_EV_SIPI) */
    uint32_t pad1;

    /* ---- host-side and derived state (not described) ---- */
    Machine *m;
    int index;                /* core number = initial APIC ID */
    uint32_t fetch_faults;    /* exceptions delivered in a row without an instruction
                               * retiring (the progress guarantee, X86_FETCH_FAULT_LIMIT) */
    struct Lapic *lapic;      /* this core's local APIC (devices/lapic.h), set by the board */
    uint64_t insns;           /* retired inside the current run() */
    uint64_t start_ip;        /* RIP of the instruction executing (for faults) */
    unsigned code_bits;       /* 16, 32 or 64: derived from CR0.PE, EFER.LMA, CS.L, CS.D */
    unsigned stack_bits;      /* 16, 32 or 64: from SS.B (64 in 64-bit mode) */
    unsigned cpl;             /* current privilege level (SS.DPL, as VMX keeps it: it equals
                               * CS.DPL but for conforming code; 0 in real mode, 3 in
                               * virtual-8086 mode) */
    uint32_t trace_mask;
    /* the run loop (cpu.c) */
    uint64_t budget;          /* instructions this run() may retire */
    uint64_t evq_seq;         /* event-queue schedule count the budget was last cut at */
    const struct X86CpuModel *model;   /* -cpu: qemu64 or max (cpuid.c) */
    X86Tlb tlb;               /* the soft TLB (mem.c), inside the core so that however the
                               * core is freed nothing is left behind */
    /* the decode cache (dcache.h) */
    struct X86DecodedPage *dc_hash[X86_DC_HASH];
    struct X86DecodedPage *dc_cur;       /* the page the last cached instruction came from */
    struct X86DecodedPage *dc_garbage;   /* dropped, freed after the running instruction */
    /* the last fetch check that passed in 64-bit mode, to repeat it cheaply while RIP stays
     * in its page: the linear page (~0: none), the fetch TLB entry and its tag then, RFLAGS.AC
     * then (part of the tag); x86_update_mode, x86_decode_mode_changed and
     * x86_decode_flush forget it */
    uint64_t dc_la;
    const X86TlbEntry *dc_te;
    uint64_t dc_tag;
    uint64_t dc_ac;
    uint32_t dc_pages;
    /* the run loop's instruction boundary (cpu.c): quiet when the last full check found
     * nothing the core could take (no APIC event, no NMI, no interrupt requested, whatever
     * IF says) and, since, nothing touched the local APIC or a device (MMIO, port I/O, MSRs,
     * CR8: they set recheck): until then the check would find nothing again */
    uint8_t recheck;
    uint8_t quiet;
    uint16_t pad2;
    /* the chain's way into other decoded pages (x86_dc_switch), by linear page: the page,
     * the fetch TLB entry that held it and that entry's tag then (the linear page's); emptied
     * whenever a decoded page is dropped */
    struct X86DcJump {
        struct X86DecodedPage *p;
        const X86TlbEntry *te;
        uint64_t tag;
    } dc_jump[X86_DC_JUMP];
    /* the data accesses' fast path (x86_ram_fast): the low bits of a soft-TLB tag for the
     * current privilege and RFLAGS.AC (valid | priv << 1 | ac << 3), 2 (no valid bit: it
     * matches no entry, empty ones included) where the fast path must not be taken (not
     * 64-bit code, alignment checks on: CR0.AM and RFLAGS.AC at CPL 3, a watchpoint or an
     * EV_MEM subscriber) */
    uint64_t mem_tag;
    /* lazy arithmetic flags (exec.h): an ADD, SUB/CMP or logic result whose CF PF AF ZF SF OF
     * are not yet in rflags. Only inside the run loop's chain (cpu.c), which writes them into
     * rflags before anything else can look: never machine state. */
    uint64_t lf_a, lf_b, lf_r;
    uint32_t lf_op;           /* X86_LF_*: 0 none pending */
    uint32_t lf_size;
    /* the chain's threaded dispatch (exec.h's x86_next): how many more instructions the
     * handlers may start one after the other (0 outside the run loop's chain, and once
     * anything the chain must leave for happened: x86_decode_mode_changed, x86_recheck) */
    uint64_t chain_left;
    /* chain_left as the chain's loop set it before a handler, less what forgetting the chain
     * gave up: chain_run - chain_left handlers started by handlers are retired and not yet in
     * insns (x86_insns_now) */
    uint64_t chain_run;
    /* the stack depth below which a handler returns instead of going on, where the compiler
     * may make calls of the jumps (builds without optimisation, sanitizers) */
    uintptr_t chain_floor;
    uint64_t mem_scratch;     /* x86_read's slow path's value */
    /* the block compiler (jit.h): its code buffer (mapped on first use), bytes used, and
     * whether it compiles at all (--jit off: the handlers alone) */
    uint8_t *jit_buf;
    size_t jit_used;
    uint64_t jit_blocks;      /* blocks compiled since the last reset (statistics, tests) */
    uint32_t jit_off;
    /* counts the decode cache's page drops and flushes: a block's remembered page switch
     * (jit.c) holds only while it is unchanged */
    uint32_t dc_gen;
};
/* Exceptions in a row without a retired instruction after which the machine stops (exit 3):
 * a loop real hardware would hang in. */
#define X86_FETCH_FAULT_LIMIT 1000

/* ---- system part, used by the decoder and handlers ---- */
/* Recomputes code_bits, stack_bits and cpl after CS, SS, CR0 or EFER changed. */
void x86_update_mode(X86Cpu *c);
/* Records an exception (the first one wins until delivered). */
void x86_raise(X86Cpu *c, int vector, bool has_error, uint32_t error_code);
static inline bool x86_fault(X86Cpu *c, int vector, uint32_t error_code, bool has_error)
{
    x86_raise(c, vector, has_error, error_code);
    return false;
}
/* Data accesses through segment `seg` (X86_ES..X86_GS) at offset off (an effective address
 * already truncated to the address size): segment checks, paging, alignment checks, then
 * RAM or a device. size 1, 2, 4, 8 (16 for SSE: x86_read16/x86_write16). false: c->exc set. */
static inline bool x86_read(X86Cpu *c, int seg, uint64_t off, unsigned size, uint64_t *val);
static inline bool x86_write(X86Cpu *c, int seg, uint64_t off, unsigned size, uint64_t val);
/* A read whose location will be written by the same instruction: fails if the write would. */
static inline bool x86_read_rmw(X86Cpu *c, int seg, uint64_t off, unsigned size,
                                uint64_t *val);
/* The same, every case (the inline ones above take the soft TLB's RAM hits themselves). */
bool x86_read_slow(X86Cpu *c, int seg, uint64_t off, unsigned size, uint64_t *val);
bool x86_write_slow(X86Cpu *c, int seg, uint64_t off, unsigned size, uint64_t val);
bool x86_read_rmw_slow(X86Cpu *c, int seg, uint64_t off, unsigned size, uint64_t *val);
/* Recomputes mem_tag (what x86_ram_fast compares): after the mode, CPL, CR0 or RFLAGS.AC
 * changed (x86_update_mode and x86_rflags_written call it) and when a run starts
 * (watchpoints and EV_MEM subscribers come and go between runs). */
void x86_mem_fast_refresh(X86Cpu *c);
bool x86_read16(X86Cpu *c, int seg, uint64_t off, void *buf16);
bool x86_write16(X86Cpu *c, int seg, uint64_t off, const void *buf16);
/* Instruction bytes at linear address CS.base + rip: up to max bytes into buf; returns how
 * many could be read (fewer at an unmapped page, the CS limit or the canonical end). A fault
 * on the first byte the decoder needs is raised by the decoder calling x86_fetch_fault(c,
 * rip + k), k the byte's index (an offset in CS, like rip). */
unsigned x86_fetch(X86Cpu *c, uint64_t rip, uint8_t *buf, unsigned max);
void x86_fetch_fault(X86Cpu *c, uint64_t rip);
/* Port I/O (the machine's io bus) after the IOPL/TSS-bitmap check. */
bool x86_in(X86Cpu *c, uint16_t port, unsigned size, uint32_t *val);
bool x86_out(X86Cpu *c, uint16_t port, unsigned size, uint32_t val);
/* The machine's cycle count as the TSC counts it. */
uint64_t x86_tsc(X86Cpu *c);

/* ---- the core's life (cpu.c) ---- */
X86Cpu *x86_cpu_new(Machine *m, int index);
/* Power-on / INIT state: real mode at F000:FFF0 (bsp) or waiting for SIPI (application
 * processors, wait_sipi = 1). */
void x86_cpu_reset(X86Cpu *c, bool bsp);
/* Multiboot's entry state: 32-bit protected mode, flat CS/DS/ES/SS/FS/GS, paging off,
 * EAX = 0x2BADB002, EBX = info, EIP = entry; every core's MTRRs as the firmware sets them
 * (this and x86_cpu_enter_long are states after the firmware). */
void x86_cpu_enter_multiboot(X86Cpu *c, uint32_t entry, uint32_t info);
/* 64-bit mode with flat segments (CS 0x08 64-bit, the others 0x10), for ELF64 kernels and
 * tests: paging on with cr3 (the caller built the tables), RIP = entry. GDTR and IDTR keep
 * their reset values: the descriptors behind the selectors are not in memory, so the kernel
 * loads its own GDT and IDT before any far transfer, segment load or interrupt (as a
 * Multiboot kernel must). */
void x86_cpu_enter_long(X86Cpu *c, uint64_t entry, uint64_t cr3);
/* -d int, -d exec and -d mmu for x86 cores (TRACE_INT, TRACE_EXEC, TRACE_MMU of mask): on
 * or off. */
void x86_trace_set(Machine *m, uint32_t mask);
/* True if -cpu NAME names a model of this core ("qemu64", "max"); the board checks it. */
bool x86_cpu_model_known(const char *name);
extern const CpuClass x86_cpu_class;

/* Instructions retired so far in this run, those the chain's handlers started included. */
X86_INLINE uint64_t x86_insns_now(const X86Cpu *c)
{
    return c->insns + (c->chain_run - c->chain_left);
}

/* ---- lazy flags (exec.h) ---- */
void x86_lf_write(X86Cpu *c);                          /* exec_alu.c */
/* The pending flags into rflags, if any. */
static inline void x86_lf_flush(X86Cpu *c)
{
    if (c->lf_op)
        x86_lf_write(c);
}

/* ---- data accesses: the inline fast path (mem.c has the rest) ---- */
/* The host address of a data access that the soft TLB holds as RAM, inside one page, in
 * 64-bit code with nothing to check but the translation (mem_tag); else NULL, and the slow
 * path decides (segments, walks, faults, alignment, devices, watchpoints, events). A
 * non-canonical address matches no tag: entries are made for canonical pages only. */
X86_INLINE uint8_t *x86_ram_fast(X86Cpu *c, int seg, uint64_t off, unsigned size,
                                 X86Access acc, uint64_t *pa)
{
    uint64_t la = off;
    if (seg >= X86_FS)
        la += c->seg[seg].base;       /* ES, CS, SS, DS have base 0 in 64-bit mode */
    const X86TlbEntry *te = &c->tlb.e[acc][(la >> 12) & (X86_TLB_SIZE - 1)];
    if (likely(te->ftag == ((la & ~0xfffull) | c->mem_tag) && (la & 0xfff) <= 4096 - size)) {
        *pa = te->pa | (la & 0xfff);
        return te->host + (la & 0xfff);
    }
    return NULL;
}

X86_INLINE uint64_t x86_ram_load(const uint8_t *h, unsigned size)
{
    uint8_t b;
    uint16_t w;
    uint32_t l;
    uint64_t q;
    switch (size) {          /* constant sizes: moves, not a call */
    case 1: memcpy(&b, h, 1); return b;
    case 2: memcpy(&w, h, 2); return w;
    case 4: memcpy(&l, h, 4); return l;
    default: memcpy(&q, h, 8); return q;
    }
}

X86_INLINE bool x86_read(X86Cpu *c, int seg, uint64_t off, unsigned size, uint64_t *val)
{
    uint64_t pa;
    const uint8_t *h = x86_ram_fast(c, seg, off, size, X86_ACC_READ, &pa);
    if (likely(h != NULL && size <= 8)) {
        *val = x86_ram_load(h, size);
        return true;
    }
    /* through the core's scratch, not val: a handler's local whose address escapes would
     * keep its jump to the next instruction from being a jump (exec.h's x86_next) */
    if (!x86_read_slow(c, seg, off, size, &c->mem_scratch))
        return false;
    *val = c->mem_scratch;
    return true;
}

X86_INLINE bool x86_read_rmw(X86Cpu *c, int seg, uint64_t off, unsigned size,
                             uint64_t *val)
{
    uint64_t pa;
    const uint8_t *h = x86_ram_fast(c, seg, off, size, X86_ACC_WRITE, &pa);
    if (likely(h != NULL && size <= 8)) {
        *val = x86_ram_load(h, size);
        return true;
    }
    if (!x86_read_rmw_slow(c, seg, off, size, &c->mem_scratch))   /* as x86_read */
        return false;
    *val = c->mem_scratch;
    return true;
}

X86_INLINE void x86_ram_put(uint8_t *h, unsigned size, uint64_t val)
{
    uint8_t b = (uint8_t)val;
    uint16_t w = (uint16_t)val;
    uint32_t l = (uint32_t)val;
    switch (size) {
    case 1: memcpy(h, &b, 1); break;
    case 2: memcpy(h, &w, 2); break;
    case 4: memcpy(h, &l, 4); break;
    default: memcpy(h, &val, 8); break;
    }
}

/* A store about to go to RAM at pa that x86_ram_fast found for writing: inside the
 * machine's main RAM block, it is marked written (the machine's dirty and touched maps) and
 * true; false for a page holding decoded code (ram_code) or outside the block: the slow path
 * stores, and drops the decoded code. */
X86_INLINE bool x86_ram_store_ok(X86Cpu *c, uint64_t pa)
{
    Machine *m = c->m;
    uint64_t page = (pa - m->ram_base) >> 12;
    if (unlikely(pa - m->ram_base >= m->ram_size || m->ram_code[page]))
        return false;
    m->ram_touched[page] = 1;
    if (m->ram_dirty)
        m->ram_dirty[page] = 1;
    return true;
}

X86_INLINE bool x86_write(X86Cpu *c, int seg, uint64_t off, unsigned size, uint64_t val)
{
    uint64_t pa;
    uint8_t *h = x86_ram_fast(c, seg, off, size, X86_ACC_WRITE, &pa);
    if (likely(h != NULL && size <= 8 && x86_ram_store_ok(c, pa))) {
        x86_ram_put(h, size, val);
        return true;
    }
    return x86_write_slow(c, seg, off, size, val);
}
#endif
