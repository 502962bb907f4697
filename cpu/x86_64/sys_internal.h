/* x86-64 system part: what its files (cpu.c, mem.c, seg.c, exception.c, msr.c, cpuid.c,
 * exec_sys.c, inspect.c) share and nobody else needs. */
#ifndef HVSIM_CPU_X86_64_SYS_INTERNAL_H
#define HVSIM_CPU_X86_64_SYS_INTERNAL_H
#include "cpu/x86_64/cpu.h"
#include "cpu/x86_64/insn.h"
#include "mmu/x86_walk.h"

/* ---- modes ---- */
static inline bool x86_protected(const X86Cpu *c) { return (c->cr0 & X86_CR0_PE) != 0; }
static inline bool x86_vm86(const X86Cpu *c)
{
    return (c->cr0 & X86_CR0_PE) && (c->rflags & X86_VM);
}
static inline bool x86_lma(const X86Cpu *c) { return (c->efer & X86_EFER_LMA) != 0; }
static inline bool x86_mode64(const X86Cpu *c) { return c->code_bits == 64; }

/* ---- what the run loop's boundary must look at (cpu.c) ---- */
/* The local APIC or a device was touched (MMIO, port I/O, MSRs, CR8), or something below
 * happened: the run loop looks at the instruction boundary again before the next
 * instruction, and its chain of instructions in a page leaves (the decode cache's shortcut
 * forgotten: the chain's one check, cpu.c); lazy flags are written into rflags now. */
static inline void x86_recheck(X86Cpu *c)
{
    c->recheck = 1;
    x86_decode_mode_changed(c);
    x86_lf_flush(c);          /* what a device does may reach a subscriber reading registers */
}
/* A subscriber or a watchpoint asked to pause: the machine stops after this instruction. */
static inline void x86_pause(X86Cpu *c)
{
    c->m->paused = true;
    c->m->stop = true;
    x86_recheck(c);
}
/* MOV SS, POP SS, LSS, STI: interrupts wait until after the next instruction. */
static inline void x86_set_shadow(X86Cpu *c)
{
    c->interrupt_shadow = 1;
    x86_recheck(c);
}

/* Segment attribute fields (X86Seg.attr, the VMX layout). */
#define X86_ATTR_TYPE(a) ((a) & 0xfu)
#define X86_ATTR_S (1u << 4)
#define X86_ATTR_DPL(a) (((a) >> 5) & 3u)
#define X86_ATTR_P (1u << 7)
#define X86_ATTR_G (1u << 15)

/* ---- memory (mem.c) ---- */
/* The walker's view of the current paging registers (ac: RFLAGS.AC as now). */
void x86_walk_regime(const X86Cpu *c, X86WalkRegime *r);
/* Linear to physical for an access; false: #PF raised (CR2 in c->exc.cr2). */
bool x86_translate_la(X86Cpu *c, uint64_t la, X86Access acc, X86Priv priv, uint64_t *pa);
/* Accesses by linear address with an explicit privilege (system tables, the stack frames of
 * an event delivery): paging checks only, no segmentation. size 1..8. */
bool x86_la_read(X86Cpu *c, uint64_t la, unsigned size, X86Priv priv, uint64_t *v);
bool x86_la_write(X86Cpu *c, uint64_t la, unsigned size, X86Priv priv, uint64_t v);
/* Checks that [la, la+len) may be written (every page translated), raising #PF if not. */
bool x86_la_probe_write(X86Cpu *c, uint64_t la, unsigned len, X86Priv priv);
/* Physical accesses: the LAPIC page, RAM, devices on the bus (unbacked reads all ones). */
uint64_t x86_phys_read(X86Cpu *c, uint64_t pa, unsigned size);
void x86_phys_write(X86Cpu *c, uint64_t pa, unsigned size, uint64_t v);
/* Segmentation for a data access: the linear address of seg:off, or false with #GP/#SS. */
bool x86_seg_la(X86Cpu *c, int seg, uint64_t off, unsigned size, bool write, uint64_t *la);
/* Translation changed (CR0/CR3/CR4/EFER written, INVLPG, INVPCID): drop cached ones. */
void x86_tlb_flush(X86Cpu *c);
/* Drops the non-global translations (MOV CR3), or those of one linear page (INVLPG). */
void x86_tlb_flush_nonglobal(X86Cpu *c);
/* Drops the entries neither global nor of pcid (a CR3 write keeping pcid's). */
void x86_tlb_flush_other_pcids(X86Cpu *c, uint32_t pcid);
void x86_tlb_flush_page(X86Cpu *c, uint64_t la);
/* Cached translations, for `info tlb`: calls fn for each valid entry. */
void x86_tlb_foreach(const X86Cpu *c, void (*fn)(void *ctx, uint64_t la, uint64_t pa,
                                                 unsigned acc, unsigned priv), void *ctx);

/* ---- segments and descriptors (seg.c) ---- */
/* Real-mode / virtual-8086 load: base = sel << 4, the limit and rights kept (real mode) or
 * made 64 KiB read/write at DPL 3 (virtual-8086 mode). */
void x86_seg_load_real(X86Cpu *c, int seg, uint16_t sel);
/* The hidden part a descriptor gives (base, expanded limit, attr). */
void x86_seg_from_desc(X86Seg *s, uint16_t sel, uint64_t desc);
/* Reads the 8-byte descriptor of sel from the GDT or LDT. false: #GP(sel) raised (outside the
 * table, or an LDT selector with no LDT) or a #PF from the read. */
bool x86_read_desc(X86Cpu *c, uint16_t sel, uint64_t *desc);
/* Sets the descriptor's accessed bit in memory if clear. */
bool x86_desc_set_accessed(X86Cpu *c, uint16_t sel, uint64_t desc);
/* Loads a data or stack segment register with its protected-mode checks (MOV Sreg, POP
 * Sreg, LDS..LSS): #GP/#NP/#SS as the SDM's MOV pseudocode says. */
bool x86_load_seg(X86Cpu *c, int seg, uint16_t sel);
/* Loads CS for a far transfer to sel: with its checks done by the caller; sets cpl. */
void x86_set_cs(X86Cpu *c, uint16_t sel, uint64_t desc, unsigned cpl);
/* A null selector loaded into seg (64-bit SS at CPL < 3, or DS..GS). */
void x86_seg_load_null(X86Cpu *c, int seg, uint16_t sel);

/* ---- exceptions and interrupts (exception.c) ---- */
enum { X86_EV_EXC,            /* an exception (fault, trap, abort): error code if the vector
                               * has one */
       X86_EV_SOFT,           /* INT n, INT3, INTO: the gate's DPL is checked against CPL */
       X86_EV_EXT,            /* an external interrupt or NMI */
       X86_EV_ICEBP };        /* INT1: a trap without the DPL check */
/* Delivers an event through the IDT with return address ret_ip. true: the core is at the
 * handler. false: delivering it raised another exception (in c->exc) and nothing changed. */
bool x86_interrupt(X86Cpu *c, int vector, int kind, bool has_error, uint32_t error_code,
                   uint64_t ret_ip);
/* Delivers c->exc (a fault: RIP is at the faulting instruction), turning exceptions raised
 * during delivery into the next one, a double fault, or a triple fault (the machine stops). */
void x86_deliver_exc(X86Cpu *c);
/* An external interrupt or NMI taken at an instruction boundary. */
void x86_take_interrupt(X86Cpu *c, int vector);
/* RFLAGS written whole (IRET, POPF from the system side): bit 1 set, reserved bits clear. */
void x86_set_rflags(X86Cpu *c, uint64_t v);

/* ---- MSRs (msr.c) and CPUID (cpuid.c) ---- */
bool x86_rdmsr(X86Cpu *c, uint32_t msr, uint64_t *v);    /* false: #GP(0) raised */
bool x86_wrmsr(X86Cpu *c, uint32_t msr, uint64_t v);
void x86_msr_reset(X86Cpu *c);

typedef struct X86CpuModel {
    const char *name;
    char vendor[13];
    uint32_t signature;       /* CPUID.1:EAX (also EDX at reset) */
    uint32_t max_leaf, max_ext_leaf;
    uint32_t f1_ecx, f1_edx;                /* CPUID.1 */
    uint32_t f7_ebx, f7_ecx, f7_edx;        /* CPUID.(7,0) */
    uint32_t e1_ecx, e1_edx;                /* CPUID.80000001H */
    uint8_t pa_bits, va_bits;
    const char *brand;
} X86CpuModel;
const X86CpuModel *x86_cpu_model_find(const char *name);
/* CPUID leaf/subleaf: out = EAX, EBX, ECX, EDX. */
void x86_cpuid(X86Cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4]);
/* Feature bits used by the system part. */
#define X86_F1_ECX_X2APIC (1u << 21)
#define X86_F1_ECX_TSC_DEADLINE (1u << 24)
#define X86_F1_ECX_PCID (1u << 17)
#define X86_F7_EBX_FSGSBASE (1u << 0)
#define X86_F7_EBX_BMI1 (1u << 3)
#define X86_F7_EBX_SMEP (1u << 7)
#define X86_F7_EBX_BMI2 (1u << 8)
#define X86_F7_EBX_INVPCID (1u << 10)
#define X86_F7_EBX_ADX (1u << 19)
#define X86_F7_EBX_SMAP (1u << 20)
#define X86_F7_ECX_UMIP (1u << 2)
#define X86_F7_ECX_LA57 (1u << 16)
#define X86_F7_EDX_ARCH_CAPABILITIES (1u << 29)
#define X86_E1_EDX_NX (1u << 20)
#define X86_E1_EDX_PAGE1GB (1u << 26)
#define X86_E1_EDX_RDTSCP (1u << 27)
#define X86_E1_EDX_LM (1u << 29)
#define X86_E1_EDX_SYSCALL (1u << 11)

/* CR4 bits this model lets software set. */
uint64_t x86_cr4_valid(const X86Cpu *c);
#endif
