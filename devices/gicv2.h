/* GICv2 interrupt controller (Arm GIC Architecture Specification v2, IHI 0048B) as QEMU's virt
 * board has it with gic-version=2: a distributor, a memory-mapped CPU interface banked per
 * core, and the virtualization extension (the GICH_* virtual interface control registers with
 * four list registers, the GICV_* virtual CPU interface a guest reaches through stage 2, and
 * the maintenance interrupt on PPI 25).
 *
 * No Security Extensions (GICD_TYPER.SecurityExtn = 0, as QEMU's virt without secure=on);
 * interrupt groups are there (GICv2), Group 0 signalled as FIQ when GICC_CTLR.FIQEn is set.
 * 288 INTIDs (SGIs 0-15, PPIs 16-31, SPIs 32-287), 5 priority bits (32 levels, as the
 * GIC-400), up to 8 cores. There are no ICC_* System registers: cores see
 * ID_AA64PFR0_EL1.GIC = 0 and the encodings are UNDEFINED. */
#ifndef HVSIM_DEVICES_GICV2_H
#define HVSIM_DEVICES_GICV2_H
#include <stdbool.h>
#include <stdint.h>
#include "core/irq.h"
#include "core/machine.h"

#define GICV2_DIST_SIZE 0x10000
#define GICV2_CPU_SIZE 0x10000               /* GICC and GICV: 8 KiB used (DIR at 0x1000) */
#define GICV2_VCTRL_SIZE 0x10000             /* GICH */
#define GICV2_NUM_IRQS 288
#define GICV2_MAX_CPUS 8
#define GICV2_NUM_LRS 4
#define GICV2_MAINT_PPI 25                   /* virt board: GICH maintenance interrupt */

typedef struct GicV2 GicV2;

/* Where the four register frames go. vctrl == 0: no virtualization extension (no GICH/GICV,
 * no maintenance interrupt). */
typedef struct GicV2Map {
    uint64_t dist, cpu, vctrl, vcpu;
} GicV2Map;

/* Creates the GIC for `ncpus` cores (1..GICV2_MAX_CPUS), maps its frames on m->bus and
 * registers its state ("gic" and "gic.cpuN"). Banked registers (the SGI/PPI copies in the
 * distributor, GICC, GICH, GICV) are those of the core making the access (m->running_cpu;
 * core 0 for accesses from outside a core, such as the debugger's). NULL if the bus refuses
 * a region or ncpus is out of range. */
GicV2 *gicv2_new(Machine *m, int ncpus, const GicV2Map *map);
void gicv2_free(GicV2 *g);
void gicv2_reset(GicV2 *g);

/* Outputs to core `cpu`: physical IRQ and FIQ, virtual IRQ and FIQ (from GICV). Each is
 * driven with its current level at once and afterwards only on change. */
void gicv2_connect_cpu(GicV2 *g, int cpu, IrqLine irq, IrqLine fiq, IrqLine virq, IrqLine vfiq);

/* Interrupt inputs, level-sensitive or edge-triggered per GICD_ICFGR. Out-of-range numbers
 * are ignored. */
void gicv2_set_spi(GicV2 *g, int intid, int level);              /* intid 32..287 */
void gicv2_set_ppi(GicV2 *g, int cpu, int intid, int level);     /* intid 16..31 */
IrqLine gicv2_spi_line(GicV2 *g, int intid);
IrqLine gicv2_ppi_line(GicV2 *g, int cpu, int intid);

/* A readable summary for the debugger's `info gic`. */
void gicv2_describe(const GicV2 *g, int cpu, GString *out);
extern const StateDesc gicv2_state_desc;
extern const StateDesc gicv2_cpu_state_desc;
#endif
