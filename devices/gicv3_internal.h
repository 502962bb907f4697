/* GICv3 internals shared by gicv3_dist.c, gicv3_redist.c, gicv3_cpuif.c and gicv3_virt.c. */
#ifndef HVSIM_DEVICES_GICV3_INTERNAL_H
#define HVSIM_DEVICES_GICV3_INTERNAL_H
#include "devices/gicv3.h"

#define GICV3_NW (GICV3_NUM_IRQS / 32)       /* 32-bit words of per-INTID bitmaps */
#define GICV3_LPI_WORDS (GICV3_NUM_LPIS / 32)
#define GICV3_PRIBITS 5                        /* implemented priority bits */
#define GICV3_PRIO_MASK 0xf8u                  /* 0xff << (8 - PRIBITS) */
#define GICV3_MIN_BPR0 (7 - GICV3_PRIBITS)     /* 2: all implemented bits are group priority */
#define GICV3_MIN_BPR1 (GICV3_MIN_BPR0 + 1)    /* IHI 0069 12.2.3: Non-secure BPR1 minimum */
#define GICV3_IDLE_PRIO 0xffu

/* GICD_CTLR with DS = 1 (IHI 0069 12.9.4) */
#define GICD_CTLR_EN_GRP0 (1u << 0)
#define GICD_CTLR_EN_GRP1 (1u << 1)
#define GICD_CTLR_ARE (1u << 4)
#define GICD_CTLR_DS (1u << 6)

/* GICR_CTLR */
#define GICR_CTLR_ENABLE_LPIS (1u << 0)
#define GICR_CTLR_DPG0 (1u << 24)
#define GICR_CTLR_DPG1NS (1u << 25)
#define GICR_CTLR_DPG1S (1u << 26)
/* GICR_WAKER */
#define GICR_WAKER_PS (1u << 1)                /* ProcessorSleep */
#define GICR_WAKER_CA (1u << 2)                /* ChildrenAsleep */

/* ICC_CTLR_EL1 */
#define ICC_CTLR_CBPR (1u << 0)
#define ICC_CTLR_EOIMODE (1u << 1)
#define ICC_CTLR_PRIBITS_SHIFT 8
#define ICC_CTLR_A3V (1u << 15)

/* ICH_HCR_EL2 (IHI 0069 12.5.x) */
#define ICH_HCR_EN (1u << 0)
#define ICH_HCR_UIE (1u << 1)
#define ICH_HCR_LRENPIE (1u << 2)
#define ICH_HCR_NPIE (1u << 3)
#define ICH_HCR_VGRP0EIE (1u << 4)
#define ICH_HCR_VGRP0DIE (1u << 5)
#define ICH_HCR_VGRP1EIE (1u << 6)
#define ICH_HCR_VGRP1DIE (1u << 7)
#define ICH_HCR_TC (1u << 10)
#define ICH_HCR_TALL0 (1u << 11)
#define ICH_HCR_TALL1 (1u << 12)
#define ICH_HCR_TDIR (1u << 14)
#define ICH_HCR_EOICOUNT_SHIFT 27
#define ICH_HCR_WMASK (0xffu | ICH_HCR_TC | ICH_HCR_TALL0 | ICH_HCR_TALL1 | ICH_HCR_TDIR | (0x1fu << 27))

/* ICH_VMCR_EL2 */
#define ICH_VMCR_VENG0 (1u << 0)
#define ICH_VMCR_VENG1 (1u << 1)
#define ICH_VMCR_VACKCTL (1u << 2)
#define ICH_VMCR_VFIQEN (1u << 3)
#define ICH_VMCR_VCBPR (1u << 4)
#define ICH_VMCR_VEOIM (1u << 9)
#define ICH_VMCR_VBPR1_SHIFT 18
#define ICH_VMCR_VBPR0_SHIFT 21
#define ICH_VMCR_VPMR_SHIFT 24

/* ICH_LR<n>_EL2 */
#define ICH_LR_VINTID_MASK 0xffffffffull
#define ICH_LR_PINTID_SHIFT 32
#define ICH_LR_PINTID_MASK 0x1fffull
#define ICH_LR_EOI (1ull << 41)                /* HW == 0: maintenance on deactivation */
#define ICH_LR_PRIO_SHIFT 48
#define ICH_LR_GROUP (1ull << 60)
#define ICH_LR_HW (1ull << 61)
#define ICH_LR_STATE_SHIFT 62
#define ICH_LR_STATE_PENDING 1ull
#define ICH_LR_STATE_ACTIVE 2ull

/* ICH_MISR_EL2 */
#define ICH_MISR_EOI (1u << 0)
#define ICH_MISR_U (1u << 1)
#define ICH_MISR_LRENP (1u << 2)
#define ICH_MISR_NP (1u << 3)
#define ICH_MISR_VGRP0E (1u << 4)
#define ICH_MISR_VGRP0D (1u << 5)
#define ICH_MISR_VGRP1E (1u << 6)
#define ICH_MISR_VGRP1D (1u << 7)

/* Per core: redistributor (SGIs and PPIs), CPU interface and virtual CPU interface. */
typedef struct GicV3Cpu {
    /* --- state (hashed, saved) --- */
    uint64_t mpidr;
    uint32_t gicr_ctlr, gicr_waker;
    uint32_t group, enable, pend, level, active, edge;   /* INTIDs 0..31, one bit each */
    uint8_t prio[32];
    uint32_t icc_ctlr, icc_pmr, icc_bpr0, icc_bpr1, icc_igrpen0, icc_igrpen1, icc_sre_el2;
    uint32_t icc_ap0r, icc_ap1r;              /* active priorities, bit = group priority >> 3 */
    uint32_t ich_hcr, ich_vmcr, ich_ap0r, ich_ap1r;
    uint32_t pad_;
    uint64_t ich_lr[GICV3_NUM_LRS];
    /* --- derived: last levels driven on the outputs (rebuilt by gicv3_update) --- */
    int32_t out_level[4];
} GicV3Cpu;

enum { GICV3_OUT_IRQ, GICV3_OUT_FIQ, GICV3_OUT_VIRQ, GICV3_OUT_VFIQ };

/* Per core, with LPIs (gicv3_lpi.c): the redistributor's LPI registers and the pending LPIs,
 * bit n for INTID GICV3_LPI_BASE + n. A separate object ("gic.cpuN.lpi") so that a machine
 * without LPIs (its=off) has the state, hash and snapshot it had before LPIs existed. */
typedef struct GicV3Lpi {
    /* --- state (hashed, saved) --- */
    uint64_t propbaser, pendbaser;
    uint32_t pend[GICV3_LPI_WORDS];
    /* The highest priority pending enabled LPI as of the last re-evaluation: the
     * redistributor's cache of the configuration table (5.1.1), saved because it may
     * legitimately differ from the table in memory until the next INV/INVALL. */
    int32_t hpp_intid;        /* 0 if none */
    int32_t hpp_prio;         /* 0x100 if none */
} GicV3Lpi;

struct GicV3 {
    /* --- distributor state (hashed, saved); bitmaps indexed by INTID, word 0 unused --- */
    uint32_t ctlr;
    uint32_t group[GICV3_NW], enable[GICV3_NW], pend[GICV3_NW], level[GICV3_NW];
    uint32_t active[GICV3_NW], edge[GICV3_NW];
    uint8_t prio[GICV3_NUM_IRQS];
    uint32_t pad2_;
    uint64_t irouter[GICV3_NUM_IRQS];
    /* --- run time --- */
    Machine *m;
    int ncpus;
    uint32_t pad_;
    GicV3Cpu cpu[GICV3_MAX_CPUS];
    IrqLine out[GICV3_MAX_CPUS][4];
    bool lpis;                /* physical LPIs (an ITS is attached): GICD_TYPER.LPIS */
    uint8_t pad3_[7];
    struct GicV3Its *its;
    GicV3Lpi lpi[GICV3_MAX_CPUS];
};

/* A pending interrupt candidate. */
typedef struct GicV3Hppi {
    int intid;                /* GICV3_INTID_SPURIOUS if none */
    int prio;                 /* 0x100 if none */
    int group;                /* 0 or 1 */
} GicV3Hppi;

static inline bool gicv3_bit(const uint32_t *bm, int n)
{
    return (bm[n >> 5] >> (n & 31)) & 1;
}
static inline void gicv3_setbit(uint32_t *bm, int n, bool v)
{
    if (v)
        bm[n >> 5] |= 1u << (n & 31);
    else
        bm[n >> 5] &= ~(1u << (n & 31));
}

/* A 64-bit register read whole or as a 32-bit half (IHI 0069 12.1.3: off & 4 picks it). */
static inline uint64_t gicv3_reg64_read(uint64_t reg, uint64_t off, unsigned size)
{
    return size == 8 ? reg : (uint32_t)(reg >> (8 * (off & 4)));
}
/* Writes a 64-bit register whole or one 32-bit half, keeping the bits of `ro`. */
static inline void gicv3_reg64_write(uint64_t *reg, uint64_t off, uint64_t val, unsigned size,
                                     uint64_t ro)
{
    uint64_t m = size == 8 ? ~0ull : 0xffffffffull << (8 * (off & 4));
    if (size == 4)
        val <<= 8 * (off & 4);
    *reg = (*reg & (ro | ~m)) | (val & m & ~ro);
}

/* gicv3_dist.c */
void gicv3_dist_reset(GicV3 *g);
int gicv3_spi_target(const GicV3 *g, int intid);   /* core index or -1 */
/* gicv3_lpi.c */
bool gicv3_lpi_reg_read(GicV3 *g, int cpu, uint64_t off, unsigned size, uint64_t *val);
bool gicv3_lpi_reg_write(GicV3 *g, int cpu, uint64_t off, uint64_t val, unsigned size);
void gicv3_lpi_enable_write(GicV3 *g, int cpu, bool enable);
void gicv3_lpi_rescan(GicV3 *g, int cpu);
void gicv3_lpi_reset(GicV3 *g, int cpu);
void gicv3_lpi_ack(GicV3 *g, int cpu, int intid);
void gicv3_lpi_set_pending(GicV3 *g, int cpu, int intid, bool pending);   /* no update */
extern const StateDesc gicv3_lpi_state_desc;
/* gicv3_its.c */
void gicv3_its_reset(struct GicV3Its *its);
/* gicv3_redist.c */
void gicv3_redist_reset(GicV3 *g, int cpu);
extern const MmioOps gicv3_redist_ops;
/* gicv3_cpuif.c: the core of the model. */
void gicv3_update(GicV3 *g);                        /* re-evaluate and drive every output */
void gicv3_set_level(GicV3 *g, int cpu, int intid, int level);   /* no update */
void gicv3_deactivate(GicV3 *g, int cpu, int intid);             /* no update */
void gicv3_cpuif_reset(GicV3 *g, int cpu);
int gicv3_gprio_mask(uint32_t bpr0, uint32_t bpr1, bool cbpr, int group);
/* gicv3_virt.c */
void gicv3_virt_reset(GicV3 *g, int cpu);
uint32_t gicv3_ich_misr(const GicV3Cpu *c);
GicV3Hppi gicv3_virt_hppi(const GicV3Cpu *c);
bool gicv3_virt_signal(const GicV3Cpu *c, GicV3Hppi *h);
GicV3SysregResult gicv3_icv_access(GicV3 *g, int cpu, uint32_t key, bool is_write, uint64_t *val);
GicV3SysregResult gicv3_ich_access(GicV3 *g, int cpu, uint32_t key, bool is_write, uint64_t *val);

/* Register keys (A64_SYSREG_KEY layout). */
#define GICV3_KEY(op0, op1, crn, crm, op2) \
    ((uint32_t)(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2)))
#define KEY_ICC_PMR GICV3_KEY(3, 0, 4, 6, 0)
#define KEY_ICC_IAR0 GICV3_KEY(3, 0, 12, 8, 0)
#define KEY_ICC_EOIR0 GICV3_KEY(3, 0, 12, 8, 1)
#define KEY_ICC_HPPIR0 GICV3_KEY(3, 0, 12, 8, 2)
#define KEY_ICC_BPR0 GICV3_KEY(3, 0, 12, 8, 3)
#define KEY_ICC_AP0R(n) GICV3_KEY(3, 0, 12, 8, 4 + (n))
#define KEY_ICC_AP1R(n) GICV3_KEY(3, 0, 12, 9, (n))
#define KEY_ICC_DIR GICV3_KEY(3, 0, 12, 11, 1)
#define KEY_ICC_RPR GICV3_KEY(3, 0, 12, 11, 3)
#define KEY_ICC_SGI1R GICV3_KEY(3, 0, 12, 11, 5)
#define KEY_ICC_ASGI1R GICV3_KEY(3, 0, 12, 11, 6)
#define KEY_ICC_SGI0R GICV3_KEY(3, 0, 12, 11, 7)
#define KEY_ICC_IAR1 GICV3_KEY(3, 0, 12, 12, 0)
#define KEY_ICC_EOIR1 GICV3_KEY(3, 0, 12, 12, 1)
#define KEY_ICC_HPPIR1 GICV3_KEY(3, 0, 12, 12, 2)
#define KEY_ICC_BPR1 GICV3_KEY(3, 0, 12, 12, 3)
#define KEY_ICC_CTLR GICV3_KEY(3, 0, 12, 12, 4)
#define KEY_ICC_SRE GICV3_KEY(3, 0, 12, 12, 5)
#define KEY_ICC_IGRPEN0 GICV3_KEY(3, 0, 12, 12, 6)
#define KEY_ICC_IGRPEN1 GICV3_KEY(3, 0, 12, 12, 7)
#define KEY_ICC_SRE_EL2 GICV3_KEY(3, 4, 12, 9, 5)
#define KEY_ICH_AP0R(n) GICV3_KEY(3, 4, 12, 8, (n))
#define KEY_ICH_AP1R(n) GICV3_KEY(3, 4, 12, 9, (n))
#define KEY_ICH_HCR GICV3_KEY(3, 4, 12, 11, 0)
#define KEY_ICH_VTR GICV3_KEY(3, 4, 12, 11, 1)
#define KEY_ICH_MISR GICV3_KEY(3, 4, 12, 11, 2)
#define KEY_ICH_EISR GICV3_KEY(3, 4, 12, 11, 3)
#define KEY_ICH_ELRSR GICV3_KEY(3, 4, 12, 11, 5)
#define KEY_ICH_VMCR GICV3_KEY(3, 4, 12, 11, 7)
#define KEY_ICH_LR(n) GICV3_KEY(3, 4, 12, 12 + ((n) >> 3), ((n) & 7))
#endif
