/* AArch64 VMSAv8-64 translation-table walker (Arm ARM DDI 0487, chapter D8), stage 1 and
 * stage 2, 4K/16K/64K granules, 48-bit OA at most (no FEAT_LPA/LPA2/D128).
 *
 * Pure and CPU-independent: the caller passes the register values of one translation
 * regime and a callback that reads 8-byte descriptors from physical memory. Nothing is
 * cached here; the architectural TLB and the soft TLB live elsewhere.
 *
 * Not modelled (the caller decides what to do if a guest programs them):
 * - hardware Access flag / dirty state update (FEAT_HAFDBS): AF == 0 always faults;
 * - big-endian table walks (SCTLR_ELx.EE == 1): the callback returns the descriptor value
 *   as read little-endian, a caller supporting EE swaps in its callback;
 * - FEAT_XNX (stage-2 XN[0]), FEAT_PAN3 (EPAN), FEAT_E0PD, FEAT_S2FWB,
 *   the Contiguous bit (a TLB hint, ignored, which the architecture allows).
 * Implementation-defined / CONSTRAINED UNPREDICTABLE choices made here:
 * - TxSZ outside 16..39 behaves as the nearest legal value (not as a level-0 fault);
 * - a reserved TG0/TG1 encoding behaves as the 4K granule;
 * - IPS/PS above the implemented PA size behave as the implemented size;
 * - an instruction fetch from Device memory is a permission fault at either stage.
 *
 * Caching results: `perms` depends on el0_access and, for R/W, on pan; and with stage 1 off
 * `attr` depends on the access (data Device, fetches Normal). A cache keyed only by page
 * must be flushed when those change, or keep them in its tag.
 */
#ifndef HVSIM_MMU_WALK_H
#define HVSIM_MMU_WALK_H
#include <stdbool.h>
#include <stdint.h>

typedef enum MmuAccess {
    MMU_READ,
    MMU_WRITE,
    MMU_FETCH,
    MMU_RMW,          /* atomic read-modify-write: needs read and write permission */
} MmuAccess;

/* Read the 64-bit descriptor at physical address `pa` (8-byte aligned), the table entry of
 * `level` of a `stage` (1 or 2) walk. Return false for an external abort (e.g. no memory
 * there). */
typedef bool (*MmuReadDesc)(void *opaque, uint64_t pa, int stage, int level, uint64_t *desc);

/* One stage-1 regime: EL1&0, EL2&0 (VHE: TCR_EL2 has the TCR_EL1 layout) or the
 * single-range EL2 / EL3 regime (TCR_EL2 without E2H: T0SZ, TG0, PS[18:16], TBI[20],
 * HPD[24], TBID[29]; TTBR0 only, no ASID, XN instead of UXN/PXN). */
typedef struct MmuS1Regime {
    bool enabled;          /* SCTLR_ELx.M, cleared by the caller when HCR_EL2.DC/TGE say so */
    bool two_ranges;       /* EL1&0 and EL2&0: TTBR0/TTBR1 */
    bool el0_access;       /* unprivileged access (EL0, or LDTR/STTR); two_ranges only */
    bool pan;              /* PSTATE.PAN; two_ranges only, never applies to fetches */
    bool dc;               /* HCR_EL2.DC (EL1&0): with enabled == false memory is Normal WB */
    uint8_t pa_bits;       /* implemented PA size (ID_AA64MMFR0_EL1.PARange); 0 = 48 */
    uint64_t tcr, ttbr0, ttbr1, mair, sctlr;   /* sctlr: WXN[19], I[12] are used */
} MmuS1Regime;

typedef struct MmuS2Regime {
    bool enabled;          /* HCR_EL2.VM (or DC) */
    bool ptw;              /* HCR_EL2.PTW: a stage-1 walk to stage-2 Device memory faults */
    uint8_t pa_bits;       /* implemented PA size; 0 = 48 */
    uint64_t vtcr, vttbr;  /* VTCR_EL2: T0SZ, SL0, TG0, PS, VS; VTTBR_EL2: BADDR, VMID */
} MmuS2Regime;

#define MMU_PERM_R 1u
#define MMU_PERM_W 2u
#define MMU_PERM_X 4u

typedef struct MmuResult {
    uint64_t pa;           /* output address of the access */
    uint64_t ipa;          /* stage-1 output (== pa when stage 2 is off) */
    uint64_t page_mask;    /* size-1 of the block/page mapping it (smaller of both stages);
                            * 0xfff when stage 1 is off */
    uint64_t s1_page_mask; /* the same for stage 1 alone: what a TLBI by VA covers */
    uint16_t asid;         /* from TTBR0/TTBR1 per TCR.A1, 8 or 16 bits per TCR.AS */
    bool global;           /* nG == 0, stage 1 off, or single-range regime */
    uint16_t vmid;         /* VTTBR_EL2.VMID, 8 bits or 16 with VTCR_EL2.VS (s2 != NULL) */
    uint8_t attr;          /* MAIR-format attribute byte, stage 2 combined in */
    uint8_t sh;            /* shareability: 0 NSH, 2 OSH, 3 ISH (stages combined) */
    uint8_t perms;         /* MMU_PERM_*: what this access class (EL0 or privileged, with
                            * PAN for R/W) may do at this page, both stages combined */
} MmuResult;

typedef enum MmuFaultType {
    MMU_FAULT_NONE,
    MMU_FAULT_ADDR_SIZE,
    MMU_FAULT_TRANSLATION,
    MMU_FAULT_ACCESS_FLAG,
    MMU_FAULT_PERMISSION,
    MMU_FAULT_EXTERNAL,    /* synchronous external abort on a table walk */
} MmuFaultType;

typedef struct MmuFault {
    MmuFaultType type;
    int level;             /* lookup level 0..3 */
    int stage;             /* 1 or 2 */
    bool s1ptw;            /* stage-2 fault on a stage-1 table walk access (ESR ISS.S1PTW) */
    bool write;            /* ESR ISS.WnR (false for fetches and for s1ptw faults) */
    uint64_t ipa;          /* stage-2 faults: the faulting IPA (HPFAR_EL2 = ipa[47:12] << 4) */
} MmuFault;

/* DFSC/IFSC (ESR_ELx ISS[5:0]) for a fault. */
uint8_t mmu_fault_status_code(const MmuFault *f);

/* Translate `va` through stage 1 and, if `s2` is non-NULL and enabled, stage 2 (every
 * stage-1 descriptor read and the final output). `va` may carry a top-byte tag when
 * TCR.TBI applies. Returns true and fills `res`, or false and fills `fault`. */
bool mmu_translate(const MmuS1Regime *s1, const MmuS2Regime *s2, uint64_t va, MmuAccess acc,
                   MmuReadDesc read, void *opaque, MmuResult *res, MmuFault *fault);

/* Stage 2 alone (IPA -> PA): AT S12*, and the walker itself. `s1ptw` marks a stage-1
 * table-walk access (checked as a read). With stage 2 disabled the result is the identity
 * with perms RWX, attr 0xff, page_mask ~0 (no restriction). */
bool mmu_s2_translate(const MmuS2Regime *s2, uint64_t ipa, MmuAccess acc, bool s1ptw,
                      MmuReadDesc read, void *opaque, MmuResult *res, MmuFault *fault);
#endif
