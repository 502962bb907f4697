/* GICv3 interrupt controller (Arm GIC Architecture Specification, IHI 0069) for the virt board:
 * distributor, one redistributor per core, the system-register CPU interface (ICC_*) and the
 * virtualization extension (ICH_* list registers, the virtual CPU interface ICV_*, the
 * maintenance interrupt on PPI 25).
 *
 * One security state (GICD_CTLR.DS = 1, as QEMU's virt without secure=on), affinity routing
 * always on (ARE RAO/WI), 288 INTIDs (SGIs 0-15, PPIs 16-31, SPIs 32-287), 5 priority bits,
 * 4 list registers. With an ITS (gicv3_its_new) the redistributors also have physical LPIs,
 * INTIDs 8192-65535 (16 ID bits, as QEMU's). */
#ifndef HVSIM_DEVICES_GICV3_H
#define HVSIM_DEVICES_GICV3_H
#include <stdbool.h>
#include <stdint.h>
#include "core/irq.h"
#include "core/machine.h"

#define GICV3_DIST_SIZE 0x10000
#define GICV3_REDIST_STRIDE 0x20000          /* RD_base frame + SGI_base frame per core */
#define GICV3_NUM_IRQS 288
#define GICV3_MAX_CPUS 8
#define GICV3_NUM_LRS 4
#define GICV3_MAINT_PPI 25                    /* virt board: ICH maintenance interrupt */
#define GICV3_INTID_SPURIOUS 1023
#define GICV3_LPI_BASE 8192
#define GICV3_LPI_IDBITS 16                   /* INTIDs below 1 << 16 */
#define GICV3_NUM_LPIS ((1 << GICV3_LPI_IDBITS) - GICV3_LPI_BASE)
#define GICV3_ITS_SIZE 0x20000                /* control frame + translation frame */

typedef struct GicV3 GicV3;

/* What the CPU tells the CPU interface about the access (Arm ARM D1, GIC 12.1.x). */
typedef struct GicV3CpuCtx {
    int el;                   /* current exception level, 0..2 */
    /* Effective routing of EL1 accesses to the virtual interface: true when the access is at
     * EL1, EL2 is enabled, HCR_EL2.TGE == 0 and HCR_EL2.IMO (resp. FMO) == 1. */
    bool imo, fmo;
} GicV3CpuCtx;

typedef enum GicV3SysregResult {
    GICV3_SYSREG_NONE = 0,    /* not a GIC register: the CPU's own table decides */
    GICV3_SYSREG_OK,          /* done (*val holds the value read) */
    GICV3_SYSREG_UNDEF,       /* UNDEFINED at this EL (e.g. ICH_* at EL1, AP0R1 with 5 prio bits) */
    GICV3_SYSREG_TRAP_EL2,    /* trap to EL2, ESR_EL2.EC = 0x18 (ICH_HCR_EL2.TC/TALL0/TALL1/TDIR,
                               * ICC_SGI*R at EL1 with IMO/FMO, ICC_SRE_EL1 with ICC_SRE_EL2.Enable=0) */
} GicV3SysregResult;

/* Creates the GIC for `ncpus` cores (1..GICV3_MAX_CPUS) whose MPIDR_EL1 values are mpidr[],
 * maps the distributor (64 KiB) at dist_base and ncpus redistributors (128 KiB each) from
 * redist_base on m->bus, and registers its state ("gic" and "gic.cpuN"). NULL if the bus
 * refuses a region or ncpus is out of range. */
GicV3 *gicv3_new(Machine *m, int ncpus, const uint64_t *mpidr, uint64_t dist_base, uint64_t redist_base);
void gicv3_free(GicV3 *g);
void gicv3_reset(GicV3 *g);

/* Outputs to core `cpu`: physical IRQ (group 1) and FIQ (group 0), virtual IRQ and FIQ.
 * Each is driven with its current level at once and afterwards only on change. */
void gicv3_connect_cpu(GicV3 *g, int cpu, IrqLine irq, IrqLine fiq, IrqLine virq, IrqLine vfiq);

/* Interrupt inputs. Level-sensitive or edge-triggered per GICD_ICFGR / GICR_ICFGR1: an edge
 * interrupt becomes pending on a rising level. Out-of-range numbers are ignored. */
void gicv3_set_spi(GicV3 *g, int intid, int level);                /* intid 32..287 */
void gicv3_set_ppi(GicV3 *g, int cpu, int intid, int level);       /* intid 16..31 */
IrqLine gicv3_spi_line(GicV3 *g, int intid);
IrqLine gicv3_ppi_line(GicV3 *g, int cpu, int intid);

/* System-register access from core `cpu` (MRS when !is_write, MSR otherwise).
 * key = op0<<14 | op1<<11 | CRn<<7 | CRm<<3 | op2 (A64_SYSREG_KEY). Covers ICC_*_EL1,
 * ICC_SRE_EL2 and ICH_*_EL2; EL1 accesses go to ICV_* per ctx->imo/fmo. */
GicV3SysregResult gicv3_sysreg_access(GicV3 *g, int cpu, uint32_t key, bool is_write, uint64_t *val,
                                      const GicV3CpuCtx *ctx);

/* MMIO handlers (also reachable through the bus). Offsets are relative to the region base. */
uint64_t gicv3_dist_read(void *opaque, uint64_t off, unsigned size);
void gicv3_dist_write(void *opaque, uint64_t off, uint64_t val, unsigned size);
uint64_t gicv3_redist_read(void *opaque, uint64_t off, unsigned size);
void gicv3_redist_write(void *opaque, uint64_t off, uint64_t val, unsigned size);

/* The ITS (gicv3_its.c, IHI 0069 chapters 5 and 8): its two 64 KiB frames at `base` on m->bus;
 * turns on LPIs in g's redistributors and registers the state ("gic.its", "gic.cpuN.lpi").
 * NULL if the bus refuses the region. Freed with g (gicv3_free). */
typedef struct GicV3Its GicV3Its;
GicV3Its *gicv3_its_new(Machine *m, GicV3 *g, uint64_t base);
/* An MSI: EventID `event` from DeviceID `dev`, as a write to GITS_TRANSLATER by that device.
 * False when the ITS drops it (disabled, unmapped device or event, out of range). */
bool gicv3_its_translate(GicV3Its *its, uint32_t dev, uint32_t event);
/* The LPI INTID's pending state at core `cpu` (for the debugger and the tests). */
bool gicv3_lpi_pending(const GicV3 *g, int cpu, int intid);
extern const StateDesc gicv3_its_state_desc;

/* A readable summary for the debugger's `info gic`: the core's SGI/PPI and the SPI enable,
 * pending and active sets, the CPU interface and the list registers in use. */
void gicv3_describe(const GicV3 *g, int cpu, GString *out);
extern const StateDesc gicv3_state_desc;
extern const StateDesc gicv3_cpu_state_desc;
#endif
