/* GICv2 virtualization extension (IHI 0048B chapter 5): the virtual interface control
 * registers GICH_* (4 list registers, the maintenance interrupt conditions of GICH_MISR) and
 * the virtual CPU interface GICV_*, which has GICC's layout and which a hypervisor maps into
 * its guest's IPA space where the guest expects a GICC. Both frames are banked per core.
 *
 * Implementation choices: only list registers in the Pending state (not Pending and Active)
 * are candidates for acknowledgement; among equal priorities the lowest-numbered list register
 * wins; the per-core GICH aliases of some implementations (5.3: "optional") are not there. */
#include "devices/gicv2_internal.h"

static unsigned lr_state(uint32_t lr)
{
    return (lr >> GICH_LR_STATE_SHIFT) & 3;
}

static int lr_prio(uint32_t lr)
{
    return (int)((lr >> GICH_LR_PRIO_SHIFT) & 0x1f) << 3;
}

static uint32_t lr_vid(uint32_t lr)
{
    return lr & GICH_LR_VID_MASK;
}

/* The source core a virtual SGI reports in GICV_IAR[12:10] (HW == 0 only). */
static uint32_t lr_cpuid(uint32_t lr)
{
    return (lr & GICH_LR_HW) || lr_vid(lr) >= 16 ? 0
                                                 : (lr >> GICH_LR_PID_SHIFT) & GICH_LR_CPUID_MASK;
}

static uint32_t vmcr_field(uint32_t vmcr, int shift, uint32_t mask)
{
    return (vmcr >> shift) & mask;
}

static int vgprio_mask(const GicV2Cpu *c, int group)
{
    return gicv2_gprio_mask(vmcr_field(c->vmcr, GICH_VMCR_BP_SHIFT, 7),
                            vmcr_field(c->vmcr, GICH_VMCR_ABP_SHIFT, 7), c->vmcr & GICH_VMCR_CBPR,
                            group);
}

static int vpmr(const GicV2Cpu *c)
{
    return (int)vmcr_field(c->vmcr, GICH_VMCR_PMR_SHIFT, 0x1f) << 3;
}

/* The highest priority pending list register; h.src is its index. */
GicV2Hppi gicv2_virt_hppi(const GicV2Cpu *c)
{
    GicV2Hppi h = { GICV2_SPURIOUS, 0x100, 0, -1 };
    for (int i = 0; i < GICV2_NUM_LRS; i++) {
        uint32_t lr = c->lr[i];
        if (lr_state(lr) != GICH_LR_STATE_PENDING)
            continue;
        int grp = (lr & GICH_LR_GRP1) ? 1 : 0;
        if (!(c->vmcr & (grp ? GICH_VMCR_GRP1EN : GICH_VMCR_GRP0EN)))
            continue;
        if (lr_prio(lr) < h.prio)
            h = (GicV2Hppi){ (int)lr_vid(lr), lr_prio(lr), grp, i };
    }
    return h;
}

/* 5.1: signalled when the virtual interface is enabled, the priority is higher than the
 * virtual priority mask and the group priority higher than the virtual running priority. */
bool gicv2_virt_signal(const GicV2Cpu *c, const GicV2Hppi *h)
{
    if (!(c->hcr & GICH_HCR_EN) || h->intid == GICV2_SPURIOUS || h->prio >= vpmr(c))
        return false;
    return (h->prio & vgprio_mask(c, h->group)) < gicv2_running_prio(c->vapr);
}

/* GICH_EISR0: the list registers whose deactivation asks for a maintenance interrupt. */
static uint32_t eisr(const GicV2Cpu *c)
{
    uint32_t r = 0;
    for (int i = 0; i < GICV2_NUM_LRS; i++) {
        uint32_t lr = c->lr[i];
        if (lr_state(lr) == 0 && !(lr & GICH_LR_HW) && (lr & GICH_LR_EOI))
            r |= 1u << i;
    }
    return r;
}

/* GICH_ELRSR0: the list registers free for a new interrupt. */
static uint32_t elrsr(const GicV2Cpu *c)
{
    uint32_t r = 0;
    for (int i = 0; i < GICV2_NUM_LRS; i++) {
        uint32_t lr = c->lr[i];
        if (lr_state(lr) == 0 && ((lr & GICH_LR_HW) || !(lr & GICH_LR_EOI)))
            r |= 1u << i;
    }
    return r;
}

/* GICH_MISR (5.3.4) */
uint32_t gicv2_misr(const GicV2Cpu *c)
{
    uint32_t hcr = c->hcr, vmcr = c->vmcr, m = 0;
    int valid = 0, pending = 0;
    for (int i = 0; i < GICV2_NUM_LRS; i++) {
        unsigned st = lr_state(c->lr[i]);
        valid += st != 0;
        pending += (st & GICH_LR_STATE_PENDING) != 0;
    }
    if (eisr(c))
        m |= GICH_MISR_EOI;
    if ((hcr & GICH_HCR_UIE) && valid <= 1)
        m |= GICH_MISR_U;
    if ((hcr & GICH_HCR_LRENPIE) && (hcr >> GICH_HCR_EOICOUNT_SHIFT))
        m |= GICH_MISR_LRENP;
    if ((hcr & GICH_HCR_NPIE) && !pending)
        m |= GICH_MISR_NP;
    if ((hcr & GICH_HCR_VGRP0EIE) && (vmcr & GICH_VMCR_GRP0EN))
        m |= GICH_MISR_VGRP0E;
    if ((hcr & GICH_HCR_VGRP0DIE) && !(vmcr & GICH_VMCR_GRP0EN))
        m |= GICH_MISR_VGRP0D;
    if ((hcr & GICH_HCR_VGRP1EIE) && (vmcr & GICH_VMCR_GRP1EN))
        m |= GICH_MISR_VGRP1E;
    if ((hcr & GICH_HCR_VGRP1DIE) && !(vmcr & GICH_VMCR_GRP1EN))
        m |= GICH_MISR_VGRP1D;
    return m;
}

void gicv2_virt_reset(GicV2 *g, int cpu)
{
    GicV2Cpu *c = &g->cpu[cpu];
    c->hcr = 0;
    /* the GICV_BPR and GICV_ABPR reset values (their minimum) */
    c->vmcr = (GICV2_MIN_BPR << GICH_VMCR_BP_SHIFT) | (GICV2_MIN_ABPR << GICH_VMCR_ABP_SHIFT);
    c->vapr = 0;
    for (int i = 0; i < GICV2_NUM_LRS; i++)
        c->lr[i] = 0;
}

/* ---- the virtual CPU interface (GICV_*) ------------------------------------------------- */

/* GICV_IAR / GICV_AIAR (alias: Group 1 only) */
static uint32_t gicv_iar(GicV2Cpu *c, bool alias)
{
    GicV2Hppi h = gicv2_virt_hppi(c);
    if (!gicv2_virt_signal(c, &h))
        return GICV2_SPURIOUS;
    if (alias ? h.group != 1 : (h.group == 1 && !(c->vmcr & GICH_VMCR_ACKCTL)))
        return alias ? GICV2_SPURIOUS : GICV2_SPURIOUS_GRP1;
    uint32_t lr = c->lr[h.src];
    c->lr[h.src] = (lr & ~(3u << GICH_LR_STATE_SHIFT)) | (GICH_LR_STATE_ACTIVE << GICH_LR_STATE_SHIFT);
    c->vapr |= 1u << ((h.prio & vgprio_mask(c, h.group)) >> 3);
    return lr_vid(lr) | lr_cpuid(lr) << 10;
}

/* Virtual deactivation (5.2.1, 5.4): the active list register for the interrupt loses its
 * active state; with HW = 1 the physical interrupt is deactivated in the distributor too. No
 * matching list register: GICH_HCR.EOICount counts the deactivation for the hypervisor, when
 * `count` says so (5.3.1: an EOI that clears no GICH_APR bit does not count). */
static void gicv_deactivate(GicV2 *g, int cpu, uint32_t v, bool count)
{
    GicV2Cpu *c = &g->cpu[cpu];
    uint32_t vid = v & 0x3ff, cpuid = (v >> 10) & 7;
    if (vid >= 1020)
        return;
    for (int i = 0; i < GICV2_NUM_LRS; i++) {
        uint32_t lr = c->lr[i];
        if (!(lr_state(lr) & GICH_LR_STATE_ACTIVE) || lr_vid(lr) != vid || lr_cpuid(lr) != (vid < 16 ? cpuid : 0))
            continue;
        c->lr[i] = lr & ~(GICH_LR_STATE_ACTIVE << GICH_LR_STATE_SHIFT);
        if (lr & GICH_LR_HW) {
            int pid = (int)((lr >> GICH_LR_PID_SHIFT) & GICH_LR_PID_MASK);
            if (pid < 1020)
                gicv2_deactivate(g, cpu, pid);
        }
        return;
    }
    if (!count)
        return;
    uint32_t cnt = ((c->hcr >> GICH_HCR_EOICOUNT_SHIFT) + 1) & 0x1f;
    c->hcr = (c->hcr & ~(0x1fu << GICH_HCR_EOICOUNT_SHIFT)) | (cnt << GICH_HCR_EOICOUNT_SHIFT);
}

static void gicv_eoir(GicV2 *g, int cpu, uint32_t v)
{
    GicV2Cpu *c = &g->cpu[cpu];
    if ((v & 0x3ff) >= 1020)
        return;
    bool dropped = c->vapr != 0;
    gicv2_prio_drop(&c->vapr);
    if (!(c->vmcr & GICH_VMCR_EOIMODE))
        gicv_deactivate(g, cpu, v, dropped);
}

static uint32_t gicv_hppir(const GicV2Cpu *c, bool alias)
{
    GicV2Hppi h = gicv2_virt_hppi(c);
    if (h.intid == GICV2_SPURIOUS || h.prio >= vpmr(c))
        return GICV2_SPURIOUS;
    if (alias ? h.group != 1 : (h.group == 1 && !(c->vmcr & GICH_VMCR_ACKCTL)))
        return alias ? GICV2_SPURIOUS : GICV2_SPURIOUS_GRP1;
    return lr_vid(c->lr[h.src]) | lr_cpuid(c->lr[h.src]) << 10;
}

static void set_vmcr_field(GicV2Cpu *c, int shift, uint32_t mask, uint32_t v)
{
    c->vmcr = (c->vmcr & ~(mask << shift)) | ((v & mask) << shift);
}

static uint32_t clamp(uint32_t v, uint32_t min)
{
    return v < min ? min : v;
}

/* GICV_* offsets: GICC's (4.4) */
enum {
    GICV_CTLR = 0x00, GICV_PMR = 0x04, GICV_BPR = 0x08, GICV_IAR = 0x0c, GICV_EOIR = 0x10,
    GICV_RPR = 0x14, GICV_HPPIR = 0x18, GICV_ABPR = 0x1c, GICV_AIAR = 0x20, GICV_AEOIR = 0x24,
    GICV_AHPPIR = 0x28, GICV_APR0 = 0xd0, GICV_IIDR = 0xfc, GICV_DIR = 0x1000,
};
#define GICV_CTLR_MASK 0x21fu      /* EnableGrp0/1, AckCtl, FIQEn, CBPR, EOImode: GICH_VMCR's */

static uint64_t vcpu_read(void *opaque, uint64_t off, unsigned size)
{
    GicV2 *g = opaque;
    GicV2Cpu *c = &g->cpu[gicv2_accessor(g)];
    if (size != 4 || (off & 3))
        return 0;             /* guest error: RAZ */
    uint32_t v = 0;
    switch (off) {
    case GICV_CTLR: v = c->vmcr & GICV_CTLR_MASK; break;
    case GICV_PMR: v = (uint32_t)vpmr(c); break;
    case GICV_BPR: v = vmcr_field(c->vmcr, GICH_VMCR_BP_SHIFT, 7); break;
    case GICV_ABPR: v = vmcr_field(c->vmcr, GICH_VMCR_ABP_SHIFT, 7); break;
    case GICV_IAR: v = gicv_iar(c, false); break;
    case GICV_AIAR: v = gicv_iar(c, true); break;
    case GICV_RPR: v = (uint32_t)gicv2_running_prio(c->vapr); break;
    case GICV_HPPIR: v = gicv_hppir(c, false); break;
    case GICV_AHPPIR: v = gicv_hppir(c, true); break;
    case GICV_APR0: v = c->vapr; break;
    case GICV_IIDR: v = GICC_IIDR_VALUE; break;
    default: break;
    }
    if (off == GICV_IAR || off == GICV_AIAR)
        gicv2_update(g);
    return v;
}

static void vcpu_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    GicV2 *g = opaque;
    int cpu = gicv2_accessor(g);
    GicV2Cpu *c = &g->cpu[cpu];
    uint32_t v = (uint32_t)val;
    if (size != 4 || (off & 3))
        return;               /* guest error: WI */
    switch (off) {
    case GICV_CTLR: c->vmcr = (c->vmcr & ~GICV_CTLR_MASK) | (v & GICV_CTLR_MASK); break;
    case GICV_PMR: set_vmcr_field(c, GICH_VMCR_PMR_SHIFT, 0x1f, v >> 3); break;
    case GICV_BPR: set_vmcr_field(c, GICH_VMCR_BP_SHIFT, 7, clamp(v & 7, GICV2_MIN_BPR)); break;
    case GICV_ABPR: set_vmcr_field(c, GICH_VMCR_ABP_SHIFT, 7, clamp(v & 7, GICV2_MIN_ABPR)); break;
    case GICV_EOIR: case GICV_AEOIR: gicv_eoir(g, cpu, v); break;
    case GICV_APR0: c->vapr = v; break;
    case GICV_DIR:
        if (c->vmcr & GICH_VMCR_EOIMODE)
            gicv_deactivate(g, cpu, v, true);
        break;
    default: break;
    }
    gicv2_update(g);
}

const MmioOps gicv2_vcpu_ops = { vcpu_read, vcpu_write };

/* ---- GICH_* ------------------------------------------------------------------------------- */

enum {
    GICH_HCR = 0x00, GICH_VTR = 0x04, GICH_VMCR = 0x08, GICH_MISR = 0x10, GICH_EISR0 = 0x20,
    GICH_ELRSR0 = 0x30, GICH_APR = 0xf0, GICH_LR0 = 0x100,
};
/* GICH_VTR (5.3.2): ListRegs = 3 (four), PREbits = PRIbits = 5 (fields hold 4) */
#define GICH_VTR_VALUE ((GICV2_NUM_LRS - 1) | ((GICV2_PRIBITS - 1u) << 26) | ((GICV2_PRIBITS - 1u) << 29))

static uint64_t vctrl_read(void *opaque, uint64_t off, unsigned size)
{
    GicV2 *g = opaque;
    GicV2Cpu *c = &g->cpu[gicv2_accessor(g)];
    if (size != 4 || (off & 3))
        return 0;             /* guest error: RAZ */
    if (off >= GICH_LR0 && off < GICH_LR0 + 4 * GICV2_NUM_LRS)
        return c->lr[(off - GICH_LR0) >> 2];
    switch (off) {
    case GICH_HCR: return c->hcr;
    case GICH_VTR: return GICH_VTR_VALUE;
    case GICH_VMCR: return c->vmcr;
    case GICH_MISR: return gicv2_misr(c);
    case GICH_EISR0: return eisr(c);
    case GICH_ELRSR0: return elrsr(c);
    case GICH_APR: return c->vapr;
    default: return 0;        /* EISR1, ELRSR1, LR4-63, reserved: RAZ */
    }
}

static void vctrl_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    GicV2 *g = opaque;
    GicV2Cpu *c = &g->cpu[gicv2_accessor(g)];
    uint32_t v = (uint32_t)val;
    if (size != 4 || (off & 3))
        return;               /* guest error: WI */
    if (off >= GICH_LR0 && off < GICH_LR0 + 4 * GICV2_NUM_LRS) {
        c->lr[(off - GICH_LR0) >> 2] = v & GICH_LR_WMASK;
    } else if (off == GICH_HCR) {
        c->hcr = v & GICH_HCR_WMASK;
    } else if (off == GICH_VMCR) {
        c->vmcr = v & GICH_VMCR_WMASK;
        set_vmcr_field(c, GICH_VMCR_BP_SHIFT, 7, clamp(vmcr_field(v, GICH_VMCR_BP_SHIFT, 7), GICV2_MIN_BPR));
        set_vmcr_field(c, GICH_VMCR_ABP_SHIFT, 7, clamp(vmcr_field(v, GICH_VMCR_ABP_SHIFT, 7), GICV2_MIN_ABPR));
    } else if (off == GICH_APR) {
        c->vapr = v;
    }
    gicv2_update(g);
}

const MmioOps gicv2_vctrl_ops = { vctrl_read, vctrl_write };
