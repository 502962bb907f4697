/* System registers: one table entry per register (name, encoding, minimum EL, storage or
 * callbacks, reset value). The same table serves MRS/MSR, reset, the state hash and, later,
 * the debugger's register lists and the EL2 trap rules. */
#ifndef HVSIM_CPU_ARM64_SYSREG_H
#define HVSIM_CPU_ARM64_SYSREG_H
#include <stdint.h>
#include "cpu/arm64/cpu.h"

/* Encoding key: op0:op1:CRn:CRm:op2 as in MRS/MSR bits [20:5]. */
#define A64_SYSREG_KEY(op0, op1, crn, crm, op2) \
    ((uint32_t)(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2)))

/* Breakpoint and watchpoint register pairs (ID_AA64DFR0_EL1.BRPs + 1, WRPs + 1). */
#define A64_NUM_BRPS 6
#define A64_NUM_WRPS 4

/* Storage slots in Arm64Cpu.sys[]. */
enum {
    A64_SYS_SCTLR_EL1, A64_SYS_ACTLR_EL1, A64_SYS_CPACR_EL1,
    A64_SYS_TTBR0_EL1, A64_SYS_TTBR1_EL1, A64_SYS_TCR_EL1, A64_SYS_MAIR_EL1, A64_SYS_AMAIR_EL1,
    A64_SYS_VBAR_EL1, A64_SYS_ESR_EL1, A64_SYS_FAR_EL1, A64_SYS_ELR_EL1, A64_SYS_SPSR_EL1,
    A64_SYS_AFSR0_EL1, A64_SYS_AFSR1_EL1, A64_SYS_PAR_EL1, A64_SYS_CONTEXTIDR_EL1,
    A64_SYS_TPIDR_EL0, A64_SYS_TPIDRRO_EL0, A64_SYS_TPIDR_EL1,
    A64_SYS_CNTKCTL_EL1,
    A64_SYS_MDSCR_EL1, A64_SYS_FPCR, A64_SYS_FPSR, A64_SYS_CSSELR_EL1,
    /* EL2 (storage only until the exception model and trap rules land) */
    A64_SYS_SCTLR_EL2, A64_SYS_ACTLR_EL2, A64_SYS_HCR_EL2, A64_SYS_MDCR_EL2, A64_SYS_CPTR_EL2,
    A64_SYS_HSTR_EL2, A64_SYS_HACR_EL2, A64_SYS_TTBR0_EL2, A64_SYS_TCR_EL2,
    A64_SYS_VTTBR_EL2, A64_SYS_VTCR_EL2, A64_SYS_MAIR_EL2, A64_SYS_AMAIR_EL2,
    A64_SYS_VBAR_EL2, A64_SYS_ESR_EL2, A64_SYS_FAR_EL2, A64_SYS_HPFAR_EL2,
    A64_SYS_ELR_EL2, A64_SYS_SPSR_EL2, A64_SYS_AFSR0_EL2, A64_SYS_AFSR1_EL2,
    A64_SYS_TPIDR_EL2, A64_SYS_VPIDR_EL2, A64_SYS_VMPIDR_EL2,
    A64_SYS_CNTHCTL_EL2, A64_SYS_TTBR1_EL2, A64_SYS_CONTEXTIDR_EL2,
    /* FEAT_LOR */
    A64_SYS_LORSA_EL1, A64_SYS_LOREA_EL1, A64_SYS_LORN_EL1, A64_SYS_LORC_EL1,
    /* self-hosted debug (D2): OS lock and double lock, claim tags, the comms channel's
     * interrupt enable, breakpoint and watchpoint pairs (as many as ID_AA64DFR0 says) */
    A64_SYS_OSLSR_EL1, A64_SYS_OSDLR_EL1, A64_SYS_DBGPRCR_EL1, A64_SYS_DBGCLAIM,
    A64_SYS_MDCCINT_EL1, A64_SYS_OSECCR_EL1, A64_SYS_OSDTRRX_EL1, A64_SYS_OSDTRTX_EL1,
    A64_SYS_DBGBVR0, A64_SYS_DBGBCR0 = A64_SYS_DBGBVR0 + A64_NUM_BRPS,
    A64_SYS_DBGWVR0 = A64_SYS_DBGBCR0 + A64_NUM_BRPS,
    A64_SYS_DBGWCR0 = A64_SYS_DBGWVR0 + A64_NUM_WRPS,
    A64_SYS_NUM_SLOTS = A64_SYS_DBGWCR0 + A64_NUM_WRPS
};

typedef struct A64SysReg A64SysReg;
/* The outcome of a block register's access (A64SysReg.block). */
typedef enum { A64_SR_DONE, A64_SR_UNDEF, A64_SR_TRAP_EL1, A64_SR_TRAP_EL2 } A64SysRegResult;
struct A64SysReg {
    const char *name;
    uint32_t key;
    uint8_t min_el;           /* lowest EL that may access it (0 = EL0) */
    uint8_t access;           /* A64_SR_R | A64_SR_W */
    int16_t slot;             /* index into sys[], or -1 when callbacks compute it */
    uint64_t reset;
    uint64_t writable;        /* bits software can change (others RES0/RES1 from reset) */
    uint64_t (*read)(Arm64Cpu *c, const A64SysReg *r);
    void (*write)(Arm64Cpu *c, const A64SysReg *r, uint64_t v);
    uint8_t feat;             /* A64_FEAT_*: UNDEFINED unless the feature / mode is present */
    /* A block's register (the PMU's, the GIC CPU interface's: cpu/arm64/sysreg_blocks.c): the
     * block checks the access (UNDEFINED, its own traps) and performs it; the generic EL and
     * trap-rule checks do not apply. write = MSR; *v is the value written or read. */
    A64SysRegResult (*block)(Arm64Cpu *c, const A64SysReg *r, bool write, uint64_t *v);
    uint8_t flags;            /* A64_SR_NOPEEK: reading it acts (acknowledges an interrupt,
                               * syncs counters): the debugger does not */
};
enum { A64_SR_NOPEEK = 1 };
/* The block tables (sysreg_blocks.c): one space with the core's own table. */
extern const A64SysReg a64_pmu_sysregs[];
extern const size_t a64_pmu_nsysregs;
extern const A64SysReg a64_gic_sysregs[];
extern const size_t a64_gic_nsysregs;
/* The debugger's read: the value, or false when reading would act (A64_SR_NOPEEK) or the
 * block refuses it at the core's EL. */
bool a64_sysreg_peek(Arm64Cpu *c, const A64SysReg *r, uint64_t *v);
enum { A64_SR_R = 1, A64_SR_W = 2, A64_SR_RW = 3 };
enum {
    A64_FEAT_VHE = 1,         /* FEAT_VHE registers (TTBR1_EL2, CONTEXTIDR_EL2, CNTHV_*) */
    A64_FEAT_E2H_ALIAS = 2,   /* *_EL12 / *_EL02: only at EL2 with HCR_EL2.E2H = 1 */
    A64_FEAT_PAN = 3,         /* FEAT_PAN: the PAN special register */
    A64_FEAT_LOR = 4,         /* FEAT_LOR: LORSA/LOREA/LORN/LORC/LORID */
};
/* The trap-rule context (hypervisor-model/sysreg_traps.h) of the core as it stands. */
struct SysTrapCtx;
void a64_sys_trap_ctx(const Arm64Cpu *c, struct SysTrapCtx *t);
/* Generic-timer traps (CNTKCTL_EL1, CNTHCTL_EL2): 0, or the EL to trap to. */
int a64_timer_access_trap(const Arm64Cpu *c, uint32_t key);
/* Accessibility beyond min_el: feature present and, for aliases, EL2 with E2H. */
bool a64_sysreg_accessible(const Arm64Cpu *c, const A64SysReg *r);
/* With HCR_EL2.E2H at EL2, an EL1 register name reaches its EL2 counterpart (D5.6.2);
 * returns r itself when it has none. */
const A64SysReg *a64_sysreg_e2h_redirect(const A64SysReg *r);

const A64SysReg *a64_sysreg_find(uint32_t key);
/* True for the ID-space encodings (op0 3, op1 0, CRn 0, CRm 1-7) that no table entry
 * describes: allocated or reserved for future ID registers, they read as zero (D19.1.3,
 * "Reserved encodings in the ID space"). */
static inline bool a64_sysreg_id_space_raz(uint32_t key)
{
    return (key >> 7) == ((3u << 7) | 0u) && ((key >> 3) & 15) >= 1 && ((key >> 3) & 15) <= 7;
}
/* SIMD&FP as ID_AA64PFR0_EL1 advertises it: FP (19:16) and AdvSIMD (23:20); 0 = implemented. */
#define A64_PFR0_FP 0ULL
/* The table in order, for the debugger's `info sysregs` and register lists. */
size_t a64_sysreg_count(void);
const A64SysReg *a64_sysreg_at(size_t i);
const A64SysReg *a64_sysreg_by_name(const char *name);
/* Reset every storage slot to its table value. */
void a64_sysreg_reset(Arm64Cpu *c);
/* Generic-timer counter: simulated time / the counter period (CNTFRQ = 62.5 MHz). */
#define A64_CNTFRQ_HZ 62500000ULL
uint64_t a64_counter(const Arm64Cpu *c);
/* Access a register by table entry (no permission checks). */
uint64_t a64_sysreg_read(Arm64Cpu *c, const A64SysReg *r);
void a64_sysreg_write(Arm64Cpu *c, const A64SysReg *r, uint64_t v);
#endif
