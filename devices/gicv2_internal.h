/* GICv2 internals shared by gicv2_dist.c, gicv2_cpuif.c and gicv2_virt.c. */
#ifndef HVSIM_DEVICES_GICV2_INTERNAL_H
#define HVSIM_DEVICES_GICV2_INTERNAL_H
#include "devices/gicv2.h"

#define GICV2_NW (GICV2_NUM_IRQS / 32)       /* 32-bit words of per-INTID bitmaps */
#define GICV2_PRIBITS 5
#define GICV2_PRIO_MASK 0xf8u                  /* 0xff << (8 - PRIBITS) */
/* GICC_IIDR and GICV_IIDR: ArchitectureVersion 2, the GIC-400's product and implementer */
#define GICC_IIDR_VALUE 0x0202143bu
#define GICV2_MIN_BPR (7 - GICV2_PRIBITS)      /* 2: all implemented bits are group priority */
#define GICV2_MIN_ABPR (GICV2_MIN_BPR + 1)     /* IHI 0048B 3.3.3: Group 1 split one bit lower */
#define GICV2_IDLE_PRIO 0xffu
#define GICV2_SPURIOUS 1023
#define GICV2_SPURIOUS_GRP1 1022               /* IAR with a Group 1 HPPI and AckCtl = 0 */

/* GICD_CTLR and GICC_CTLR without the Security Extensions (IHI 0048B 4.3.1, 4.4.1) */
#define GIC_CTLR_EN_GRP0 (1u << 0)
#define GIC_CTLR_EN_GRP1 (1u << 1)
#define GICC_CTLR_ACKCTL (1u << 2)
#define GICC_CTLR_FIQEN (1u << 3)
#define GICC_CTLR_CBPR (1u << 4)
#define GICC_CTLR_EOIMODE (1u << 9)
#define GICC_CTLR_WMASK 0x3ffu                 /* bits 5-8 (bypass disables) stored only */

/* GICH_HCR (IHI 0048B 5.3.1) */
#define GICH_HCR_EN (1u << 0)
#define GICH_HCR_UIE (1u << 1)
#define GICH_HCR_LRENPIE (1u << 2)
#define GICH_HCR_NPIE (1u << 3)
#define GICH_HCR_VGRP0EIE (1u << 4)
#define GICH_HCR_VGRP0DIE (1u << 5)
#define GICH_HCR_VGRP1EIE (1u << 6)
#define GICH_HCR_VGRP1DIE (1u << 7)
#define GICH_HCR_EOICOUNT_SHIFT 27
#define GICH_HCR_WMASK (0xffu | (0x1fu << GICH_HCR_EOICOUNT_SHIFT))

/* GICH_VMCR (5.3.3): the GICV_* register fields the hypervisor saves and restores */
#define GICH_VMCR_GRP0EN (1u << 0)
#define GICH_VMCR_GRP1EN (1u << 1)
#define GICH_VMCR_ACKCTL (1u << 2)
#define GICH_VMCR_FIQEN (1u << 3)
#define GICH_VMCR_CBPR (1u << 4)
#define GICH_VMCR_EOIMODE (1u << 9)
#define GICH_VMCR_ABP_SHIFT 18
#define GICH_VMCR_BP_SHIFT 21
#define GICH_VMCR_PMR_SHIFT 27                 /* VMPriMask: priority bits [7:3] */
#define GICH_VMCR_WMASK (0x21fu | (7u << GICH_VMCR_ABP_SHIFT) | (7u << GICH_VMCR_BP_SHIFT) | \
                         (0x1fu << GICH_VMCR_PMR_SHIFT))

/* GICH_MISR (5.3.4) */
#define GICH_MISR_EOI (1u << 0)
#define GICH_MISR_U (1u << 1)
#define GICH_MISR_LRENP (1u << 2)
#define GICH_MISR_NP (1u << 3)
#define GICH_MISR_VGRP0E (1u << 4)
#define GICH_MISR_VGRP0D (1u << 5)
#define GICH_MISR_VGRP1E (1u << 6)
#define GICH_MISR_VGRP1D (1u << 7)

/* GICH_LR<n> (5.3.9) */
#define GICH_LR_VID_MASK 0x3ffu
#define GICH_LR_PID_SHIFT 10
#define GICH_LR_PID_MASK 0x3ffu
#define GICH_LR_CPUID_MASK 0x7u                /* HW == 0: source core of a virtual SGI */
#define GICH_LR_EOI (1u << 19)                 /* HW == 0: maintenance on deactivation */
#define GICH_LR_PRIO_SHIFT 23                  /* priority bits [7:3] */
#define GICH_LR_STATE_SHIFT 28
#define GICH_LR_STATE_PENDING 1u
#define GICH_LR_STATE_ACTIVE 2u
#define GICH_LR_GRP1 (1u << 30)
#define GICH_LR_HW (1u << 31)
#define GICH_LR_WMASK 0xff8fffffu              /* bits [22:20] reserved */

/* Per core: the banked distributor state of INTIDs 0..31, the CPU interface and the virtual
 * interface. */
typedef struct GicV2Cpu {
    /* --- state (hashed, saved) --- */
    uint32_t group, enable, pend, level, active, edge;   /* INTIDs 0..31; pend unused for SGIs */
    uint8_t prio[32];
    uint8_t sgi_src[16];      /* per SGI: the cores it is pending from (IHI 0048B 3.2.2) */
    uint32_t ctlr, pmr, bpr, abpr;
    uint32_t apr;             /* active priorities: bit n stands for group priority n << 3 */
    uint32_t hcr, vmcr, vapr;
    uint32_t lr[GICV2_NUM_LRS];
    /* --- derived: last levels driven on the outputs (rebuilt by gicv2_update) --- */
    int32_t out_level[4];
} GicV2Cpu;

enum { GICV2_OUT_IRQ, GICV2_OUT_FIQ, GICV2_OUT_VIRQ, GICV2_OUT_VFIQ };

struct GicV2 {
    /* --- distributor state (hashed, saved); bitmaps indexed by INTID, word 0 unused --- */
    uint32_t ctlr;
    uint32_t group[GICV2_NW], enable[GICV2_NW], pend[GICV2_NW], level[GICV2_NW];
    uint32_t active[GICV2_NW], edge[GICV2_NW];
    uint8_t prio[GICV2_NUM_IRQS];
    uint8_t targets[GICV2_NUM_IRQS];          /* GICD_ITARGETSR of the SPIs (0..31 unused) */
    uint32_t pad_;
    /* --- run time --- */
    Machine *m;
    int ncpus;
    int has_virt;             /* GICH and GICV mapped */
    GicV2Cpu cpu[GICV2_MAX_CPUS];
    IrqLine out[GICV2_MAX_CPUS][4];
};

/* A pending interrupt candidate. */
typedef struct GicV2Hppi {
    int intid;                /* GICV2_SPURIOUS if none */
    int prio;                 /* 0x100 if none */
    int group;                /* 0 or 1 */
    int src;                  /* SGIs: the source core reported in IAR[12:10] */
} GicV2Hppi;

static inline bool gicv2_bit(const uint32_t *bm, int n)
{
    return (bm[n >> 5] >> (n & 31)) & 1;
}
static inline void gicv2_setbit(uint32_t *bm, int n, bool v)
{
    if (v)
        bm[n >> 5] |= 1u << (n & 31);
    else
        bm[n >> 5] &= ~(1u << (n & 31));
}

/* The core whose banked registers an MMIO access reaches. */
static inline int gicv2_accessor(const GicV2 *g)
{
    int c = g->m->running_cpu;
    return c >= 0 && c < g->ncpus ? c : 0;
}

/* Mask selecting the group priority (IHI 0048B 3.3.3): Group 1 uses GICC_ABPR, whose split is
 * one bit lower, unless CBPR makes GICC_BPR govern both groups. */
static inline int gicv2_gprio_mask(uint32_t bpr, uint32_t abpr, bool cbpr, int group)
{
    int b = (group == 0 || cbpr) ? (int)(bpr & 7) : (int)(abpr & 7) - 1;
    return (int)((0xffu << (b + 1)) & 0xff);
}

static inline int gicv2_running_prio(uint32_t apr)
{
    return apr ? (__builtin_ctz(apr) << 3) : (int)GICV2_IDLE_PRIO;
}

/* Priority drop: clears the highest active priority (IHI 0048B 3.2.5). */
static inline void gicv2_prio_drop(uint32_t *apr)
{
    *apr &= *apr - 1;
}

/* gicv2_dist.c */
void gicv2_dist_reset(GicV2 *g);
uint32_t gicv2_spi_targets(const GicV2 *g, int intid);    /* mask of implemented cores */
/* gicv2_cpuif.c: the core of the model. */
void gicv2_update(GicV2 *g);                         /* re-evaluate and drive every output */
void gicv2_set_level(GicV2 *g, int cpu, int intid, int level);   /* no update */
void gicv2_deactivate(GicV2 *g, int cpu, int intid);             /* no update */
void gicv2_cpuif_reset(GicV2 *g, int cpu);
extern const MmioOps gicv2_cpu_ops;
/* gicv2_virt.c */
void gicv2_virt_reset(GicV2 *g, int cpu);
uint32_t gicv2_misr(const GicV2Cpu *c);
GicV2Hppi gicv2_virt_hppi(const GicV2Cpu *c);
bool gicv2_virt_signal(const GicV2Cpu *c, const GicV2Hppi *h);
extern const MmioOps gicv2_vctrl_ops;
extern const MmioOps gicv2_vcpu_ops;
#endif
