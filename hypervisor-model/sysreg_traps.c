/* System-register and system-instruction trap rules (see sysreg_traps.h).
 *
 * Two tables: the controls (which bit of which register, and the exception class) and the
 * rules (which encodings each control covers). sys_trap_lookup() first folds the context into
 * "effective" control words, so every architectural interaction (HCR_EL2.TGE / E2H making
 * fields behave as 0, MDCR_EL2.TDE forcing TDA/TDOSA/TDRA, the two CPTR_EL2 layouts, the
 * inverted sense of SCTLR_EL1.UCT/DZE/UCI) is handled once, in effective(), and the rule
 * walk is a plain table scan.
 *
 * Controls with no AArch64 encoding to trap, written down so nobody looks for them:
 *  - HCR_EL2.TID0 traps only AArch32 FPSID / JIDR.
 *  - HSTR_EL2.T<n> traps only AArch32 CP15 accesses (MCR/MRC with CRn = n) at EL0/EL1; an
 *    AArch64-only guest is never affected, so ctx->hstr is accepted and ignored.
 *  - HCR_EL2.TSC (SMC) and TWI/TWE (WFI/WFE) trap instructions that are not system-register
 *    accesses; the core handles them where it executes SMC / WFx (EC 0x17 / 0x01).
 *  - HCR_EL2.AT (FEAT_NV), TERR (FEAT_RAS) and the FEAT_EVT controls TID4,
 *    TICAB, TOCU, TTLBIS, TTLBOS: the core implements none of these features.
 *  - CPTR_EL2.TAM (activity monitors), TZ/TSM (SVE/SME), MDCR_EL2.TPMS/TTRF (SPE, trace
 *    filter): features not implemented.
 *  - MDSCR_EL1.TDCC (EL0 DCC accesses trap to EL1 first) and PMUSERENR_EL0 (EL0 PMU accesses
 *    trap to EL1 first) are the debug and PMU modules' EL1-side checks; the caller makes them
 *    before asking here. The MDCR_EL2.TDA/TPM rules below cover EL0 as well.
 *  - FEAT_IDST (EL0 reads of ID registers trap to EL1 instead of UNDEFINED) is not
 *    implemented: EL0 ID-register reads are UNDEFINED, decided by the caller. */
#include "hypervisor-model/sysreg_traps.h"
#include <glib.h>

/* Encoding key, as cpu/arm64/sysreg.h A64_SYSREG_KEY (MRS/MSR/SYS bits [20:5]). */
#define K(op0, op1, crn, crm, op2) \
    ((uint32_t)(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2)))
#define M_OP0 0xc000u
#define M_OP1 0x3800u
#define M_CRN 0x0780u
#define M_CRM 0x0078u
#define M_OP2 0x0007u
#define M_ALL 0xffffu

/* HCR_EL2 (D19.2.48 in DDI 0487K; D17.2.48 in earlier issues) */
#define HCR_TWI (1ull << 13)
#define HCR_TWE (1ull << 14)
#define HCR_TID0 (1ull << 15)
#define HCR_TID1 (1ull << 16)
#define HCR_TID2 (1ull << 17)
#define HCR_TID3 (1ull << 18)
#define HCR_TSC (1ull << 19)
#define HCR_TIDCP (1ull << 20)
#define HCR_TACR (1ull << 21)
#define HCR_TSW (1ull << 22)
#define HCR_TPCP (1ull << 23)
#define HCR_TPU (1ull << 24)
#define HCR_TTLB (1ull << 25)
#define HCR_TVM (1ull << 26)
#define HCR_TGE (1ull << 27)
#define HCR_TDZ (1ull << 28)
#define HCR_TRVM (1ull << 30)
#define HCR_E2H (1ull << 34)
#define HCR_TLOR (1ull << 35)
/* MDCR_EL2 */
#define MDCR_TPMCR (1ull << 5)
#define MDCR_TPM (1ull << 6)
#define MDCR_TDE (1ull << 8)
#define MDCR_TDA (1ull << 9)
#define MDCR_TDOSA (1ull << 10)
#define MDCR_TDRA (1ull << 11)
/* CPTR_EL2, E2H = 0 layout (the effective word always uses it) */
#define CPTR_TFP (1ull << 10)
#define CPTR_TTA (1ull << 20)
#define CPTR_TCPAC (1ull << 31)
/* CPTR_EL2, E2H = 1 layout */
#define CPTR_E2H_FPEN_SHIFT 20
#define CPTR_E2H_TTA (1ull << 28)
/* SCTLR_ELx, CPACR_EL1 */
#define SCTLR_DZE (1ull << 14)
#define SCTLR_UCT (1ull << 15)
#define SCTLR_UCI (1ull << 26)
#define CPACR_FPEN_SHIFT 20
/* Effective EL1-control word: one bit per EL1 trap that fires */
#define EL1_UCT 1u
#define EL1_DZE 2u
#define EL1_UCI 4u
#define EL1_FPEN 8u

enum { W_EL1, W_HCR, W_CPTR, W_MDCR, W_N };

typedef struct Control {
    const char *name;
    const char *host_name;    /* EL1 controls when HCR_EL2.{E2H,TGE} = {1,1} */
    uint8_t word;
    uint8_t ec;
    uint64_t bit;
} Control;

#define EC_FP 0x07
#define EC_SYS 0x18

static const Control controls[SYSTRAP_CTL_N] = {
    [SYSTRAP_SCTLR_UCT] = { "SCTLR_EL1.UCT", "SCTLR_EL2.UCT", W_EL1, EC_SYS, EL1_UCT },
    [SYSTRAP_SCTLR_DZE] = { "SCTLR_EL1.DZE", "SCTLR_EL2.DZE", W_EL1, EC_SYS, EL1_DZE },
    [SYSTRAP_SCTLR_UCI] = { "SCTLR_EL1.UCI", "SCTLR_EL2.UCI", W_EL1, EC_SYS, EL1_UCI },
    /* never fires in the EL2&0 regime, where CPACR_EL1 is not used */
    [SYSTRAP_CPACR_FPEN] = { "CPACR_EL1.FPEN", NULL, W_EL1, EC_FP, EL1_FPEN },
    [SYSTRAP_HCR_TID1] = { "HCR_EL2.TID1", NULL, W_HCR, EC_SYS, HCR_TID1 },
    [SYSTRAP_HCR_TID2] = { "HCR_EL2.TID2", NULL, W_HCR, EC_SYS, HCR_TID2 },
    [SYSTRAP_HCR_TID3] = { "HCR_EL2.TID3", NULL, W_HCR, EC_SYS, HCR_TID3 },
    [SYSTRAP_HCR_TIDCP] = { "HCR_EL2.TIDCP", NULL, W_HCR, EC_SYS, HCR_TIDCP },
    [SYSTRAP_HCR_TACR] = { "HCR_EL2.TACR", NULL, W_HCR, EC_SYS, HCR_TACR },
    [SYSTRAP_HCR_TSW] = { "HCR_EL2.TSW", NULL, W_HCR, EC_SYS, HCR_TSW },
    [SYSTRAP_HCR_TPCP] = { "HCR_EL2.TPCP", NULL, W_HCR, EC_SYS, HCR_TPCP },
    [SYSTRAP_HCR_TPU] = { "HCR_EL2.TPU", NULL, W_HCR, EC_SYS, HCR_TPU },
    [SYSTRAP_HCR_TTLB] = { "HCR_EL2.TTLB", NULL, W_HCR, EC_SYS, HCR_TTLB },
    [SYSTRAP_HCR_TVM] = { "HCR_EL2.TVM", NULL, W_HCR, EC_SYS, HCR_TVM },
    [SYSTRAP_HCR_TDZ] = { "HCR_EL2.TDZ", NULL, W_HCR, EC_SYS, HCR_TDZ },
    [SYSTRAP_HCR_TRVM] = { "HCR_EL2.TRVM", NULL, W_HCR, EC_SYS, HCR_TRVM },
    [SYSTRAP_HCR_TLOR] = { "HCR_EL2.TLOR", NULL, W_HCR, EC_SYS, HCR_TLOR },
    [SYSTRAP_CPTR_TFP] = { "CPTR_EL2.TFP", NULL, W_CPTR, EC_FP, CPTR_TFP },
    [SYSTRAP_CPTR_TTA] = { "CPTR_EL2.TTA", NULL, W_CPTR, EC_SYS, CPTR_TTA },
    [SYSTRAP_CPTR_TCPAC] = { "CPTR_EL2.TCPAC", NULL, W_CPTR, EC_SYS, CPTR_TCPAC },
    [SYSTRAP_MDCR_TPMCR] = { "MDCR_EL2.TPMCR", NULL, W_MDCR, EC_SYS, MDCR_TPMCR },
    [SYSTRAP_MDCR_TPM] = { "MDCR_EL2.TPM", NULL, W_MDCR, EC_SYS, MDCR_TPM },
    [SYSTRAP_MDCR_TDA] = { "MDCR_EL2.TDA", NULL, W_MDCR, EC_SYS, MDCR_TDA },
    [SYSTRAP_MDCR_TDOSA] = { "MDCR_EL2.TDOSA", NULL, W_MDCR, EC_SYS, MDCR_TDOSA },
    [SYSTRAP_MDCR_TDRA] = { "MDCR_EL2.TDRA", NULL, W_MDCR, EC_SYS, MDCR_TDRA },
};

#define E0 SYSTRAP_AT_EL0
#define E1 SYSTRAP_AT_EL1
#define E01 (SYSTRAP_AT_EL0 | SYSTRAP_AT_EL1)
#define R SYSTRAP_R
#define W SYSTRAP_W
#define RW SYSTRAP_RW
/* One register, both directions of the virtual-memory controls (TRVM reads, TVM writes). */
#define VM_REG(name, key) \
    { name, key, M_ALL, W, E1, SYSTRAP_HCR_TVM }, { name, key, M_ALL, R, E1, SYSTRAP_HCR_TRVM }

/* In priority order: the EL1 controls first (an EL0 access that SCTLR_EL1 or CPACR_EL1 traps
 * goes to EL1 whatever HCR_EL2 says, per each register's accessibility pseudocode), then the
 * EL2 controls, whose relative order does not matter (they all go to EL2 with EC 0x18, except
 * TFP, whose only registers are not covered by any other rule). */
static const SysTrapRule rules[] = {
    /* ---- EL0 accesses trapped to EL1 (EL2 when HCR_EL2.TGE) ---- */
    { "CTR_EL0", K(3, 3, 0, 0, 1), M_ALL, R, E0, SYSTRAP_SCTLR_UCT },
    { "DC ZVA", K(1, 3, 7, 4, 1), M_ALL, RW, E0, SYSTRAP_SCTLR_DZE },
    { "IC IVAU", K(1, 3, 7, 5, 1), M_ALL, RW, E0, SYSTRAP_SCTLR_UCI },
    { "DC CVAC", K(1, 3, 7, 10, 1), M_ALL, RW, E0, SYSTRAP_SCTLR_UCI },
    { "DC CVAU", K(1, 3, 7, 11, 1), M_ALL, RW, E0, SYSTRAP_SCTLR_UCI },
    { "DC CVAP", K(1, 3, 7, 12, 1), M_ALL, RW, E0, SYSTRAP_SCTLR_UCI },
    { "DC CVADP", K(1, 3, 7, 13, 1), M_ALL, RW, E0, SYSTRAP_SCTLR_UCI },
    { "DC CIVAC", K(1, 3, 7, 14, 1), M_ALL, RW, E0, SYSTRAP_SCTLR_UCI },
    /* FPCR (3,3,4,4,0) and FPSR (3,3,4,4,1); CPACR_EL1.FPEN traps EL1 too */
    { "FPCR/FPSR", K(3, 3, 4, 4, 0), M_ALL & ~1u, RW, E01, SYSTRAP_CPACR_FPEN },

    /* ---- HCR_EL2 ---- */
    { "REVIDR_EL1", K(3, 0, 0, 0, 6), M_ALL, R, E1, SYSTRAP_HCR_TID1 },
    { "AIDR_EL1", K(3, 1, 0, 0, 7), M_ALL, R, E1, SYSTRAP_HCR_TID1 },
    /* TID2: CTR_EL0 from EL0 too (after SCTLR_EL1.UCT above) */
    { "CTR_EL0", K(3, 3, 0, 0, 1), M_ALL, R, E01, SYSTRAP_HCR_TID2 },
    { "CCSIDR_EL1", K(3, 1, 0, 0, 0), M_ALL, R, E1, SYSTRAP_HCR_TID2 },
    { "CLIDR_EL1", K(3, 1, 0, 0, 1), M_ALL, R, E1, SYSTRAP_HCR_TID2 },
    { "CCSIDR2_EL1", K(3, 1, 0, 0, 2), M_ALL, R, E1, SYSTRAP_HCR_TID2 },
    { "CSSELR_EL1", K(3, 2, 0, 0, 0), M_ALL, RW, E1, SYSTRAP_HCR_TID2 },
    /* TID3: op0 3, op1 0, CRn 0, CRm 1..7, any op2, allocated or not. CRm 1 holds
     * ID_PFR0/1, ID_DFR0, ID_AFR0, ID_MMFR0-3; CRm 2-3 ID_ISAR*, ID_MMFR4/5, ID_PFR2,
     * ID_DFR1, MVFR0-2; CRm 4-7 the ID_AA64* registers. The unallocated encodings with
     * CRm 2-7 are trapped when FEAT_FGT is implemented and IMPLEMENTATION DEFINED
     * otherwise: we trap them (the FEAT_FGT behaviour) so a hypervisor sees every
     * ID-space read. */
    { "ID group 3 (CRm 1)", K(3, 0, 0, 1, 0), M_OP0 | M_OP1 | M_CRN | M_CRM, R, E1,
      SYSTRAP_HCR_TID3 },
    { "ID group 3 (CRm 2-3)", K(3, 0, 0, 2, 0), M_OP0 | M_OP1 | M_CRN | 0x70u, R, E1,
      SYSTRAP_HCR_TID3 },
    { "ID group 3 (CRm 4-7)", K(3, 0, 0, 4, 0), M_OP0 | M_OP1 | M_CRN | 0x60u, R, E1,
      SYSTRAP_HCR_TID3 },
    /* TIDCP: the IMPLEMENTATION DEFINED spaces S3_<op1>_C11_* and S3_<op1>_C15_*. EL0
     * accesses: IMPLEMENTATION DEFINED whether trapped or UNDEFINED; ours are UNDEFINED. */
    { "S3_*_C11_*", K(3, 0, 11, 0, 0), M_OP0 | M_CRN, RW, E1, SYSTRAP_HCR_TIDCP },
    { "S3_*_C15_*", K(3, 0, 15, 0, 0), M_OP0 | M_CRN, RW, E1, SYSTRAP_HCR_TIDCP },
    { "ACTLR_EL1", K(3, 0, 1, 0, 1), M_ALL, RW, E1, SYSTRAP_HCR_TACR },
    /* TSW: set/way maintenance */
    { "DC ISW", K(1, 0, 7, 6, 2), M_ALL, RW, E1, SYSTRAP_HCR_TSW },
    { "DC CSW", K(1, 0, 7, 10, 2), M_ALL, RW, E1, SYSTRAP_HCR_TSW },
    { "DC CISW", K(1, 0, 7, 14, 2), M_ALL, RW, E1, SYSTRAP_HCR_TSW },
    /* TPCP: maintenance to the Point of Coherency / Persistence */
    { "DC IVAC", K(1, 0, 7, 6, 1), M_ALL, RW, E1, SYSTRAP_HCR_TPCP },
    { "DC CVAC", K(1, 3, 7, 10, 1), M_ALL, RW, E01, SYSTRAP_HCR_TPCP },
    { "DC CVAP", K(1, 3, 7, 12, 1), M_ALL, RW, E01, SYSTRAP_HCR_TPCP },
    { "DC CVADP", K(1, 3, 7, 13, 1), M_ALL, RW, E01, SYSTRAP_HCR_TPCP },
    { "DC CIVAC", K(1, 3, 7, 14, 1), M_ALL, RW, E01, SYSTRAP_HCR_TPCP },
    /* TPU: maintenance to the Point of Unification */
    { "IC IALLUIS", K(1, 0, 7, 1, 0), M_ALL, RW, E1, SYSTRAP_HCR_TPU },
    { "IC IALLU", K(1, 0, 7, 5, 0), M_ALL, RW, E1, SYSTRAP_HCR_TPU },
    { "IC IVAU", K(1, 3, 7, 5, 1), M_ALL, RW, E01, SYSTRAP_HCR_TPU },
    { "DC CVAU", K(1, 3, 7, 11, 1), M_ALL, RW, E01, SYSTRAP_HCR_TPU },
    /* TTLB: every EL1 TLBI (op1 0, CRn 8; CRn 9 holds the FEAT_XS nXS forms) */
    { "TLBI (EL1)", K(1, 0, 8, 0, 0), M_OP0 | M_OP1 | M_CRN, RW, E1, SYSTRAP_HCR_TTLB },
    { "TLBI nXS (EL1)", K(1, 0, 9, 0, 0), M_OP0 | M_OP1 | M_CRN, RW, E1, SYSTRAP_HCR_TTLB },
    { "DC ZVA", K(1, 3, 7, 4, 1), M_ALL, RW, E01, SYSTRAP_HCR_TDZ },
    /* TLOR: the LORegion registers LORSA/LOREA/LORN/LORC (op2 0-3) and LORID (op2 7) */
    { "LOR*_EL1", K(3, 0, 10, 4, 0), M_OP0 | M_OP1 | M_CRN | M_CRM, RW, E1, SYSTRAP_HCR_TLOR },
    /* TVM (writes) / TRVM (reads): the EL1&0 stage 1 controls */
    VM_REG("SCTLR_EL1", K(3, 0, 1, 0, 0)),
    VM_REG("TTBR0_EL1", K(3, 0, 2, 0, 0)),
    VM_REG("TTBR1_EL1", K(3, 0, 2, 0, 1)),
    VM_REG("TCR_EL1", K(3, 0, 2, 0, 2)),
    VM_REG("AFSR0_EL1", K(3, 0, 5, 1, 0)),
    VM_REG("AFSR1_EL1", K(3, 0, 5, 1, 1)),
    VM_REG("ESR_EL1", K(3, 0, 5, 2, 0)),
    VM_REG("FAR_EL1", K(3, 0, 6, 0, 0)),
    VM_REG("MAIR_EL1", K(3, 0, 10, 2, 0)),
    VM_REG("AMAIR_EL1", K(3, 0, 10, 3, 0)),
    VM_REG("CONTEXTIDR_EL1", K(3, 0, 13, 0, 1)),

    /* ---- CPTR_EL2 ---- */
    { "FPCR/FPSR", K(3, 3, 4, 4, 0), M_ALL & ~1u, RW, E01, SYSTRAP_CPTR_TFP },
    { "CPACR_EL1", K(3, 0, 1, 0, 2), M_ALL, RW, E1, SYSTRAP_CPTR_TCPAC },
    /* trace unit registers: op0 2, op1 1 */
    { "TRC* (trace)", K(2, 1, 0, 0, 0), M_OP0 | M_OP1, RW, E1, SYSTRAP_CPTR_TTA },

    /* ---- MDCR_EL2: PMU (the PMU module checks PMUSERENR_EL0 for EL0 first) ---- */
    { "PMCR_EL0", K(3, 3, 9, 12, 0), M_ALL, RW, E01, SYSTRAP_MDCR_TPM },
    { "PMCR_EL0", K(3, 3, 9, 12, 0), M_ALL, RW, E01, SYSTRAP_MDCR_TPMCR },
    /* PMCNTENSET/CLR, PMOVSCLR, PMSWINC, PMSELR, PMCEID0/1 (CRm 12); PMCCNTR, PMXEVTYPER,
     * PMXEVCNTR (CRm 13) */
    { "PMU (S3_3_C9_C12/C13)", K(3, 3, 9, 12, 0), M_OP0 | M_OP1 | M_CRN | 0x70u, RW, E01,
      SYSTRAP_MDCR_TPM },
    /* PMUSERENR_EL0, PMOVSSET_EL0 */
    { "PMU (S3_3_C9_C14)", K(3, 3, 9, 14, 0), M_OP0 | M_OP1 | M_CRN | M_CRM, RW, E01,
      SYSTRAP_MDCR_TPM },
    { "PMINTENSET_EL1", K(3, 0, 9, 14, 1), M_ALL, RW, E1, SYSTRAP_MDCR_TPM },
    { "PMINTENCLR_EL1", K(3, 0, 9, 14, 2), M_ALL, RW, E1, SYSTRAP_MDCR_TPM },
    { "PMMIR_EL1", K(3, 0, 9, 14, 6), M_ALL, R, E1, SYSTRAP_MDCR_TPM },
    /* PMEVCNTR<n>_EL0 (CRm 8-11), PMEVTYPER<n>_EL0 and PMCCFILTR_EL0 (CRm 12-15) */
    { "PMEV*<n>_EL0/PMCCFILTR_EL0", K(3, 3, 14, 8, 0), M_OP0 | M_OP1 | M_CRN | 0x40u, RW, E01,
      SYSTRAP_MDCR_TPM },

    /* ---- MDCR_EL2: debug ---- */
    { "MDRAR_EL1", K(2, 0, 1, 0, 0), M_ALL, R, E1, SYSTRAP_MDCR_TDRA },
    { "OSLAR_EL1", K(2, 0, 1, 0, 4), M_ALL, W, E1, SYSTRAP_MDCR_TDOSA },
    { "OSLSR_EL1", K(2, 0, 1, 1, 4), M_ALL, R, E1, SYSTRAP_MDCR_TDOSA },
    { "OSDLR_EL1", K(2, 0, 1, 3, 4), M_ALL, RW, E1, SYSTRAP_MDCR_TDOSA },
    { "DBGPRCR_EL1", K(2, 0, 1, 4, 4), M_ALL, RW, E1, SYSTRAP_MDCR_TDOSA },
    { "OSDTRRX_EL1", K(2, 0, 0, 0, 2), M_ALL, RW, E1, SYSTRAP_MDCR_TDA },
    { "MDCCINT_EL1", K(2, 0, 0, 2, 0), M_ALL, RW, E1, SYSTRAP_MDCR_TDA },
    { "MDSCR_EL1", K(2, 0, 0, 2, 2), M_ALL, RW, E1, SYSTRAP_MDCR_TDA },
    { "OSDTRTX_EL1", K(2, 0, 0, 3, 2), M_ALL, RW, E1, SYSTRAP_MDCR_TDA },
    { "OSECCR_EL1", K(2, 0, 0, 6, 2), M_ALL, RW, E1, SYSTRAP_MDCR_TDA },
    /* DBGBVR<n> (op2 4), DBGBCR<n> (5), DBGWVR<n> (6), DBGWCR<n> (7), n = CRm */
    { "DBG{B,W}{V,C}R<n>_EL1", K(2, 0, 0, 0, 4), M_OP0 | M_OP1 | M_CRN | 4u, RW, E1,
      SYSTRAP_MDCR_TDA },
    { "DBGCLAIMSET_EL1", K(2, 0, 7, 8, 6), M_ALL, RW, E1, SYSTRAP_MDCR_TDA },
    { "DBGCLAIMCLR_EL1", K(2, 0, 7, 9, 6), M_ALL, RW, E1, SYSTRAP_MDCR_TDA },
    { "DBGAUTHSTATUS_EL1", K(2, 0, 7, 14, 6), M_ALL, R, E1, SYSTRAP_MDCR_TDA },
    { "MDCCSR_EL0", K(2, 3, 0, 1, 0), M_ALL, R, E01, SYSTRAP_MDCR_TDA },
    { "DBGDTR_EL0", K(2, 3, 0, 4, 0), M_ALL, RW, E01, SYSTRAP_MDCR_TDA },
    { "DBGDTRRX_EL0/DBGDTRTX_EL0", K(2, 3, 0, 5, 0), M_ALL, RW, E01, SYSTRAP_MDCR_TDA },
};

#define NRULES (sizeof rules / sizeof rules[0])

typedef struct Eff {
    uint64_t w[W_N];
    SysTrapResult el1_target; /* where the EL1 controls send their traps */
    bool host;                /* EL0 in the EL2&0 regime: HCR_EL2.{E2H,TGE} = {1,1} */
} Eff;

static unsigned fpen_traps(uint64_t reg, unsigned shift, int el, bool el0_only_too)
{
    /* FPEN (CPACR_EL1, CPTR_EL2 with E2H): 0b00/0b10 trap EL0 and EL1, 0b01 traps EL0 only
     * (for CPTR_EL2: only when TGE = 1, passed as el0_only_too), 0b11 traps nothing. */
    switch ((reg >> shift) & 3) {
    case 0: case 2: return 1;
    case 1: return el == 0 && el0_only_too;
    default: return 0;
    }
}

static void effective(const SysTrapCtx *c, Eff *e)
{
    uint64_t hcr = c->el2_enabled ? c->hcr : 0;
    uint64_t mdcr = c->el2_enabled ? c->mdcr : 0;
    uint64_t cptr = c->el2_enabled ? c->cptr : 0;
    bool tge = hcr & HCR_TGE, e2h = hcr & HCR_E2H;

    /* HCR_EL2.TGE = 1: these fields behave as 0 for all purposes other than a direct read;
     * with E2H = 1 as well (EL0 runs in the EL2&0 regime), a further set does too. See the
     * HCR_EL2 field descriptions ("When HCR_EL2.TGE is 1 ...") in D19.2.48. */
    if (tge) {
        hcr &= ~(HCR_TID1 | HCR_TID3 | HCR_TSC | HCR_TACR | HCR_TSW | HCR_TTLB | HCR_TVM |
                 HCR_TRVM | HCR_TLOR);
        if (e2h)
            hcr &= ~(HCR_TID0 | HCR_TID2 | HCR_TPCP | HCR_TPU | HCR_TDZ | HCR_TWI | HCR_TWE);
    }
    /* MDCR_EL2.TDE is treated as 1 when HCR_EL2.TGE = 1, and TDE = 1 makes TDA, TDOSA and
     * TDRA behave as 1 (MDCR_EL2 field descriptions). */
    if (tge)
        mdcr |= MDCR_TDE;
    if (mdcr & MDCR_TDE)
        mdcr |= MDCR_TDA | MDCR_TDOSA | MDCR_TDRA;
    /* MDCR_EL2.TPMCR does not trap EL0 in the EL2&0 regime (PMCR_EL0 accessibility
     * pseudocode; cpu/arm64/pmu.c agrees). TPM does. */
    if (e2h && tge)
        mdcr &= ~MDCR_TPMCR;

    /* CPTR_EL2 has two layouts; fold the E2H = 1 one into the E2H = 0 bit positions. */
    uint64_t cp = cptr & CPTR_TCPAC;
    if (e2h) {
        if (cptr & CPTR_E2H_TTA)
            cp |= CPTR_TTA;
        if (fpen_traps(cptr, CPTR_E2H_FPEN_SHIFT, c->el, tge))
            cp |= CPTR_TFP;
    } else {
        cp |= cptr & (CPTR_TTA | CPTR_TFP);
    }

    /* EL1 controls. SCTLR_ELx.{UCT,DZE,UCI} = 0 traps EL0. In the EL2&0 regime SCTLR_EL2
     * holds them and the trap goes to EL2; with TGE = 1 (E2H = 0) SCTLR_EL1 still holds
     * them but the trap is routed to EL2. */
    e->host = e2h && tge;
    e->el1_target = tge ? SYSTRAP_EL2 : SYSTRAP_EL1;
    uint64_t el1 = 0;
    if (c->el == 0) {
        uint64_t sctlr = e->host ? c->sctlr_el2 : c->sctlr_el1;
        if (!(sctlr & SCTLR_UCT))
            el1 |= EL1_UCT;
        if (!(sctlr & SCTLR_DZE))
            el1 |= EL1_DZE;
        if (!(sctlr & SCTLR_UCI))
            el1 |= EL1_UCI;
    }
    /* CPACR_EL1 is not used in the EL2&0 regime (CPTR_EL2.FPEN, folded above, is). */
    if (!e->host && fpen_traps(c->cpacr_el1, CPACR_FPEN_SHIFT, c->el, true))
        el1 |= EL1_FPEN;

    e->w[W_EL1] = el1;
    e->w[W_HCR] = hcr;
    e->w[W_CPTR] = cp;
    e->w[W_MDCR] = mdcr;
}

static SysTrapResult fires(const Eff *e, SysTrapCtl ctl)
{
    const Control *k = &controls[ctl];
    if (!(e->w[k->word] & k->bit))
        return SYSTRAP_NONE;
    return k->word == W_EL1 ? e->el1_target : SYSTRAP_EL2;
}

/* The rules whose encoding matches each key, in priority order, worked out the first time
 * the key is looked up: cand_at[key] is 0 (not yet) or 1 + the offset in cand_pool of the
 * list of rule indices, ended by CAND_END. A guest touches a few dozen encodings, so the
 * lookup of a register no rule covers (most of an EL1 kernel's) costs one load, not a scan
 * of every rule. */
#define CAND_END 0xff
_Static_assert(NRULES < CAND_END, "rule indices must fit the candidate lists");
static uint32_t cand_at[1u << 16];
static uint8_t *cand_pool;
static size_t cand_len, cand_cap;

static const uint8_t *candidates(uint32_t key)
{
    key &= 0xffffu;
    if (!cand_at[key]) {
        if (cand_cap - cand_len < NRULES + 1) {
            cand_cap = cand_cap ? cand_cap * 2 : 4096;
            cand_pool = g_realloc(cand_pool, cand_cap);
        }
        cand_at[key] = (uint32_t)cand_len + 1;
        for (size_t i = 0; i < NRULES; i++)
            if ((key & rules[i].mask) == rules[i].key)
                cand_pool[cand_len++] = (uint8_t)i;
        cand_pool[cand_len++] = CAND_END;
    }
    return cand_pool + cand_at[key] - 1;
}

bool sys_trap_covers(uint32_t key)
{
    return *candidates(key) != CAND_END;
}

SysTrapResult sys_trap_lookup(uint32_t key, bool is_read, const SysTrapCtx *ctx,
                              SysTrapHit *hit)
{
    SysTrapHit h = { SYSTRAP_NONE, 0, SYSTRAP_CTL_N, NULL };
    const uint8_t *cand = candidates(key);
    if ((ctx->el == 0 || ctx->el == 1) && *cand != CAND_END) {
        Eff e;
        effective(ctx, &e);
        unsigned dir = is_read ? SYSTRAP_R : SYSTRAP_W;
        unsigned elbit = ctx->el == 0 ? SYSTRAP_AT_EL0 : SYSTRAP_AT_EL1;
        for (; *cand != CAND_END; cand++) {
            const SysTrapRule *r = &rules[*cand];
            if (!(r->dir & dir) || !(r->els & elbit))
                continue;
            SysTrapResult t = fires(&e, (SysTrapCtl)r->ctl);
            if (t == SYSTRAP_NONE)
                continue;
            h.target = t;
            h.ec = controls[r->ctl].ec;
            h.ctl = (SysTrapCtl)r->ctl;
            h.rule = r;
            break;
        }
    }
    if (hit)
        *hit = h;
    return h.target;
}

SysTrapResult sys_trap_check(uint32_t key, bool is_read, const SysTrapCtx *ctx)
{
    return sys_trap_lookup(key, is_read, ctx, NULL);
}

const char *sys_trap_reason(uint32_t key, bool is_read, const SysTrapCtx *ctx)
{
    SysTrapHit h;
    if (sys_trap_lookup(key, is_read, ctx, &h) == SYSTRAP_NONE)
        return NULL;
    const Control *k = &controls[h.ctl];
    bool e2h = ctx->el2_enabled && (ctx->hcr & HCR_E2H);
    bool host = e2h && (ctx->hcr & HCR_TGE);
    if (host && k->host_name)
        return k->host_name;
    if (e2h && h.ctl == SYSTRAP_CPTR_TFP)
        return "CPTR_EL2.FPEN";        /* the E2H = 1 layout of CPTR_EL2 */
    return k->name;
}

SysTrapResult sys_trap_fp_lookup(const SysTrapCtx *ctx, SysTrapHit *hit)
{
    SysTrapHit h = { SYSTRAP_NONE, EC_FP, SYSTRAP_CPTR_TFP, NULL };
    if (ctx->el == 2 && ctx->el2_enabled) {
        /* CPTR_EL2 traps EL2's own accesses too: TFP (E2H = 0), FPEN = 0b00/0b10 (E2H = 1;
         * 0b01 traps only EL0 with TGE). D19.2.31. */
        bool trap = (ctx->hcr & HCR_E2H) ? fpen_traps(ctx->cptr, CPTR_E2H_FPEN_SHIFT, 2, false)
                                         : (ctx->cptr & CPTR_TFP) != 0;
        if (trap)
            h.target = SYSTRAP_EL2;
    } else if (ctx->el == 0 || ctx->el == 1) {
        Eff e;
        effective(ctx, &e);
        h.target = fires(&e, SYSTRAP_CPACR_FPEN);
        if (h.target != SYSTRAP_NONE)
            h.ctl = SYSTRAP_CPACR_FPEN;
        else
            h.target = fires(&e, SYSTRAP_CPTR_TFP);
    }
    if (hit)
        *hit = h;
    return h.target;
}

SysTrapResult sys_trap_fp(const SysTrapCtx *ctx)
{
    return sys_trap_fp_lookup(ctx, NULL);
}

bool sys_trap_dczid_dzp(const SysTrapCtx *ctx)
{
    /* DCZID_EL0.DZP reads 1 exactly when DC ZVA at this EL is not permitted: the same rules
     * (SCTLR_ELx.DZE at EL0, HCR_EL2.TDZ) that trap it. */
    return sys_trap_check(K(1, 3, 7, 4, 1), false, ctx) != SYSTRAP_NONE;
}

size_t sys_trap_rule_count(void)
{
    return NRULES;
}

const SysTrapRule *sys_trap_rule(size_t i)
{
    return i < NRULES ? &rules[i] : NULL;
}

const char *sys_trap_ctl_name(SysTrapCtl ctl)
{
    return (unsigned)ctl < SYSTRAP_CTL_N ? controls[ctl].name : "?";
}
