/* Which system-register accesses (MRS/MSR) and system instructions (SYS/SYSL: DC, IC, TLBI)
 * executed at EL0 or EL1 are trapped, and where to: the EL2 configurable controls of
 * HCR_EL2, CPTR_EL2 and MDCR_EL2 (Arm ARM DDI 0487, D1.19 and each register's
 * "Accessibility" pseudocode), plus the EL0 controls of SCTLR_EL1 / CPACR_EL1 that trap to
 * EL1 first and so take priority over the EL2 ones.
 *
 * The rules are one table ({encoding, mask, direction, ELs, control}), walked in order; the
 * first rule whose control fires decides. The table is public so the debugger and the docs
 * can list it (sys_trap_rule()).
 *
 * The caller checks first whatever makes the access UNDEFINED (register not implemented,
 * EL too low, write to a read-only register): UNDEFINED has priority over every trap here.
 * EL2 and EL3 accesses never reach this module. Stateless: nothing to save or hash. */
#ifndef HVSIM_HYPERVISOR_MODEL_SYSREG_TRAPS_H
#define HVSIM_HYPERVISOR_MODEL_SYSREG_TRAPS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct SysTrapCtx {
    int el;                   /* 0 or 1 (EL2 accesses never trap here) */
    bool el2_enabled;         /* EL2 implemented and (not secure) */
    uint64_t hcr, cptr, mdcr, hstr;   /* HCR_EL2, CPTR_EL2, MDCR_EL2, HSTR_EL2 */
    /* EL0 controls that trap to EL1 before any EL2 control is considered:
     * SCTLR_EL1.UCT (CTR_EL0), .DZE (DC ZVA), .UCI (DC CVAC/CVAU/CVAP/CVADP/CIVAC, IC IVAU)
     * and CPACR_EL1.FPEN (FP/SIMD). With HCR_EL2.{E2H,TGE} = {1,1} (EL0 in the EL2&0
     * regime) SCTLR_EL2's fields of the same names apply instead and CPACR_EL1 does not. */
    uint64_t sctlr_el1, sctlr_el2, cpacr_el1;
} SysTrapCtx;

/* SYSTRAP_EL1 only ever comes from an EL0 access (or from CPACR_EL1.FPEN at EL1). With
 * HCR_EL2.TGE = 1 those traps are routed to EL2 and reported as SYSTRAP_EL2. */
typedef enum { SYSTRAP_NONE, SYSTRAP_EL2, SYSTRAP_EL1 } SysTrapResult;

/* The controls, in the order of the control table. */
typedef enum SysTrapCtl {
    /* EL1 controls (EL0 accesses; trap to EL1, or EL2 when HCR_EL2.TGE = 1) */
    SYSTRAP_SCTLR_UCT, SYSTRAP_SCTLR_DZE, SYSTRAP_SCTLR_UCI, SYSTRAP_CPACR_FPEN,
    /* HCR_EL2 */
    SYSTRAP_HCR_TID1, SYSTRAP_HCR_TID2, SYSTRAP_HCR_TID3, SYSTRAP_HCR_TIDCP,
    SYSTRAP_HCR_TACR, SYSTRAP_HCR_TSW, SYSTRAP_HCR_TPCP, SYSTRAP_HCR_TPU, SYSTRAP_HCR_TTLB,
    SYSTRAP_HCR_TVM, SYSTRAP_HCR_TDZ, SYSTRAP_HCR_TRVM, SYSTRAP_HCR_TLOR,
    /* CPTR_EL2 */
    SYSTRAP_CPTR_TFP, SYSTRAP_CPTR_TTA, SYSTRAP_CPTR_TCPAC,
    /* MDCR_EL2 */
    SYSTRAP_MDCR_TPMCR, SYSTRAP_MDCR_TPM, SYSTRAP_MDCR_TDA, SYSTRAP_MDCR_TDOSA,
    SYSTRAP_MDCR_TDRA,
    SYSTRAP_CTL_N
} SysTrapCtl;

enum { SYSTRAP_R = 1, SYSTRAP_W = 2, SYSTRAP_RW = 3 };     /* SysTrapRule.dir */
enum { SYSTRAP_AT_EL0 = 1, SYSTRAP_AT_EL1 = 2 };           /* SysTrapRule.els */

/* A rule matches encoding key k when (k & mask) == key, the access direction is in dir
 * (SYS counts as a write, SYSL as a read; rules for DC/IC/TLBI take both) and the current
 * EL is in els. */
typedef struct SysTrapRule {
    const char *what;         /* register or instruction group, for listings */
    uint32_t key, mask;
    uint8_t dir, els;
    uint8_t ctl;              /* SysTrapCtl */
} SysTrapRule;

/* The outcome of a lookup. */
typedef struct SysTrapHit {
    SysTrapResult target;
    uint8_t ec;               /* ESR_ELx.EC: 0x18 (MSR/MRS/SYS), 0x07 (FP/SIMD access) */
    SysTrapCtl ctl;           /* valid when target != SYSTRAP_NONE */
    const SysTrapRule *rule;  /* valid when target != SYSTRAP_NONE */
} SysTrapHit;

/* key = op0<<14|op1<<11|CRn<<7|CRm<<3|op2 (same as cpu/arm64/sysreg.h A64_SYSREG_KEY);
 * is_read = MRS / SYSL; a SYS instruction (DC/IC/TLBI/AT) is op0 == 1 in the key. */
SysTrapResult sys_trap_check(uint32_t key, bool is_read, const SysTrapCtx *ctx);
/* The control that causes the trap ("HCR_EL2.TVM", "SCTLR_EL1.UCT", ...), NULL if none. */
const char *sys_trap_reason(uint32_t key, bool is_read, const SysTrapCtx *ctx);
/* Both at once, with the exception class. Returns hit->target (hit may be NULL). */
SysTrapResult sys_trap_lookup(uint32_t key, bool is_read, const SysTrapCtx *ctx,
                              SysTrapHit *hit);
/* Whether any rule covers the encoding at all: when not, no context traps it, and a caller
 * need not build a SysTrapCtx to ask. */
bool sys_trap_covers(uint32_t key);

/* Any FP/AdvSIMD instruction (not only FPCR/FPSR accesses): CPACR_EL1.FPEN, then
 * CPTR_EL2.TFP (or CPTR_EL2.FPEN when HCR_EL2.E2H = 1); reported with EC 0x07, except a
 * CPACR_EL1.FPEN trap that HCR_EL2.TGE routes to EL2 (hit->ctl SYSTRAP_CPACR_FPEN with
 * target SYSTRAP_EL2), which AArch64.AdvSIMDFPAccessTrap reports as Uncategorized (EC 0).
 * The lookup form says which control fired; hit may be NULL. */
SysTrapResult sys_trap_fp(const SysTrapCtx *ctx);
SysTrapResult sys_trap_fp_lookup(const SysTrapCtx *ctx, SysTrapHit *hit);
/* DCZID_EL0.DZP as read by ctx's EL: 1 when DC ZVA would trap (SCTLR_EL1.DZE at EL0,
 * HCR_EL2.TDZ), so software knows not to use it. A CPU-side value effect, not a trap. */
bool sys_trap_dczid_dzp(const SysTrapCtx *ctx);

/* The tables, for the debugger and the documentation. */
size_t sys_trap_rule_count(void);
const SysTrapRule *sys_trap_rule(size_t i);        /* NULL past the end */
const char *sys_trap_ctl_name(SysTrapCtl ctl);
#endif
