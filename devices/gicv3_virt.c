/* GICv3 virtualization (IHI 0069 chapter 6 and 12.4/12.5): the ICH_*_EL2 hypervisor control
 * registers, four list registers, the maintenance interrupt conditions (ICH_MISR_EL2) and the
 * virtual CPU interface ICV_* that EL1 reaches through the ICC_* encodings when
 * HCR_EL2.IMO/FMO are set.
 *
 * Implementation choices: only list registers in the Pending state (not Pending and Active)
 * are candidates for acknowledgement; among equal priorities the lowest-numbered list register
 * wins. With ICC_SRE_EL1.SRE fixed at 1, ICH_VMCR_EL2.VFIQEn is RES1 and VAckCtl RES0
 * (IHI 0069 12.4.10), so virtual Group 0 is always signalled as vFIQ. */
#include "devices/gicv3_internal.h"

static unsigned lr_state(uint64_t lr)
{
    return (unsigned)(lr >> ICH_LR_STATE_SHIFT) & 3;
}

static int lr_prio(uint64_t lr)
{
    return (int)((lr >> ICH_LR_PRIO_SHIFT) & 0xff);
}

static uint32_t vmcr_field(uint32_t vmcr, int shift, uint32_t mask)
{
    return (vmcr >> shift) & mask;
}

static int vgprio_mask(const GicV3Cpu *c, int group)
{
    uint32_t vmcr = c->ich_vmcr;
    return gicv3_gprio_mask(vmcr_field(vmcr, ICH_VMCR_VBPR0_SHIFT, 7),
                            vmcr_field(vmcr, ICH_VMCR_VBPR1_SHIFT, 7), vmcr & ICH_VMCR_VCBPR, group);
}

static int vrunning_prio(const GicV3Cpu *c)
{
    uint32_t ap = c->ich_ap0r | c->ich_ap1r;
    return ap ? (__builtin_ctz(ap) << 3) : (int)GICV3_IDLE_PRIO;
}

GicV3Hppi gicv3_virt_hppi(const GicV3Cpu *c)
{
    GicV3Hppi h = { GICV3_INTID_SPURIOUS, 0x100, 0 };
    int best = -1;
    for (int i = 0; i < GICV3_NUM_LRS; i++) {
        uint64_t lr = c->ich_lr[i];
        if (lr_state(lr) != ICH_LR_STATE_PENDING)
            continue;
        int grp = (lr & ICH_LR_GROUP) ? 1 : 0;
        if (!(c->ich_vmcr & (grp ? ICH_VMCR_VENG1 : ICH_VMCR_VENG0)))
            continue;
        if (lr_prio(lr) < h.prio) {
            h.prio = lr_prio(lr);
            h.group = grp;
            best = i;
        }
    }
    if (best >= 0)
        h.intid = (int)(c->ich_lr[best] & ICH_LR_VINTID_MASK);
    return h;
}

/* IHI 0069 6.3: signalled when the virtual interface is enabled, the priority is higher than
 * VPMR and the group priority higher than the virtual running priority. */
bool gicv3_virt_signal(const GicV3Cpu *c, GicV3Hppi *h)
{
    if (!(c->ich_hcr & ICH_HCR_EN) || h->intid == GICV3_INTID_SPURIOUS)
        return false;
    if (h->prio >= (int)vmcr_field(c->ich_vmcr, ICH_VMCR_VPMR_SHIFT, 0xff))
        return false;
    int rpr = vrunning_prio(c);
    return rpr == (int)GICV3_IDLE_PRIO || (h->prio & vgprio_mask(c, h->group)) < rpr;
}

static uint32_t ich_eisr(const GicV3Cpu *c)
{
    uint32_t r = 0;
    for (int i = 0; i < GICV3_NUM_LRS; i++) {
        uint64_t lr = c->ich_lr[i];
        if (lr_state(lr) == 0 && !(lr & ICH_LR_HW) && (lr & ICH_LR_EOI))
            r |= 1u << i;
    }
    return r;
}

static uint32_t ich_elrsr(const GicV3Cpu *c)
{
    uint32_t r = 0;
    for (int i = 0; i < GICV3_NUM_LRS; i++) {
        uint64_t lr = c->ich_lr[i];
        if (lr_state(lr) == 0 && ((lr & ICH_LR_HW) || !(lr & ICH_LR_EOI)))
            r |= 1u << i;
    }
    return r;
}

/* IHI 0069 12.5.10 ICH_MISR_EL2 */
uint32_t gicv3_ich_misr(const GicV3Cpu *c)
{
    uint32_t hcr = c->ich_hcr, vmcr = c->ich_vmcr, m = 0;
    int valid = 0, pending = 0;
    for (int i = 0; i < GICV3_NUM_LRS; i++) {
        unsigned st = lr_state(c->ich_lr[i]);
        valid += st != 0;
        pending += (st & ICH_LR_STATE_PENDING) != 0;
    }
    if (ich_eisr(c))
        m |= ICH_MISR_EOI;
    if ((hcr & ICH_HCR_UIE) && valid <= 1)
        m |= ICH_MISR_U;
    if ((hcr & ICH_HCR_LRENPIE) && (hcr >> ICH_HCR_EOICOUNT_SHIFT))
        m |= ICH_MISR_LRENP;
    if ((hcr & ICH_HCR_NPIE) && !pending)
        m |= ICH_MISR_NP;
    if ((hcr & ICH_HCR_VGRP0EIE) && (vmcr & ICH_VMCR_VENG0))
        m |= ICH_MISR_VGRP0E;
    if ((hcr & ICH_HCR_VGRP0DIE) && !(vmcr & ICH_VMCR_VENG0))
        m |= ICH_MISR_VGRP0D;
    if ((hcr & ICH_HCR_VGRP1EIE) && (vmcr & ICH_VMCR_VENG1))
        m |= ICH_MISR_VGRP1E;
    if ((hcr & ICH_HCR_VGRP1DIE) && !(vmcr & ICH_VMCR_VENG1))
        m |= ICH_MISR_VGRP1D;
    return m;
}

void gicv3_virt_reset(GicV3 *g, int cpu)
{
    GicV3Cpu *c = &g->cpu[cpu];
    c->ich_hcr = 0;
    c->ich_vmcr = ICH_VMCR_VFIQEN | (GICV3_MIN_BPR0 << ICH_VMCR_VBPR0_SHIFT) |
                  (GICV3_MIN_BPR1 << ICH_VMCR_VBPR1_SHIFT);
    c->ich_ap0r = c->ich_ap1r = 0;
    for (int i = 0; i < GICV3_NUM_LRS; i++)
        c->ich_lr[i] = 0;
}

/* ---- the virtual CPU interface ---------------------------------------------------------- */

static uint64_t icv_iar(GicV3Cpu *c, int group)
{
    GicV3Hppi h = gicv3_virt_hppi(c);
    if (h.group != group || !gicv3_virt_signal(c, &h))
        return GICV3_INTID_SPURIOUS;
    for (int i = 0; i < GICV3_NUM_LRS; i++) {
        uint64_t lr = c->ich_lr[i];
        if (lr_state(lr) == ICH_LR_STATE_PENDING && (int)(lr & ICH_LR_VINTID_MASK) == h.intid &&
            lr_prio(lr) == h.prio) {
            c->ich_lr[i] = (lr & ~(3ull << ICH_LR_STATE_SHIFT)) |
                           (ICH_LR_STATE_ACTIVE << ICH_LR_STATE_SHIFT);
            break;
        }
    }
    uint32_t bit = 1u << ((h.prio & vgprio_mask(c, group)) >> 3);
    if (group)
        c->ich_ap1r |= bit;
    else
        c->ich_ap0r |= bit;
    return (uint64_t)h.intid;
}

/* Virtual deactivation (IHI 0069 6.2.4): the active list register for vINTID loses its active
 * state; with HW = 1 the physical pINTID is deactivated too. No matching list register:
 * ICH_HCR_EL2.EOIcount counts the deactivation for the hypervisor, when `count` says so (an
 * EOI that clears no active-priority bit does not count: ICH_HCR_EL2.EOIcount). */
static void icv_deactivate(GicV3 *g, int cpu, uint32_t vintid, bool count)
{
    GicV3Cpu *c = &g->cpu[cpu];
    if (vintid >= 1020 && vintid <= 1023)
        return;
    for (int i = 0; i < GICV3_NUM_LRS; i++) {
        uint64_t lr = c->ich_lr[i];
        if (!(lr_state(lr) & ICH_LR_STATE_ACTIVE) || (uint32_t)(lr & ICH_LR_VINTID_MASK) != vintid)
            continue;
        c->ich_lr[i] = lr & ~(ICH_LR_STATE_ACTIVE << ICH_LR_STATE_SHIFT);
        if (lr & ICH_LR_HW) {
            int pintid = (int)((lr >> ICH_LR_PINTID_SHIFT) & ICH_LR_PINTID_MASK);
            if (pintid < 1020)
                gicv3_deactivate(g, cpu, pintid);
        }
        return;
    }
    if (!count)
        return;
    uint32_t cnt = ((c->ich_hcr >> ICH_HCR_EOICOUNT_SHIFT) + 1) & 0x1f;
    c->ich_hcr = (c->ich_hcr & ~(0x1fu << ICH_HCR_EOICOUNT_SHIFT)) | (cnt << ICH_HCR_EOICOUNT_SHIFT);
}

static void icv_eoir(GicV3 *g, int cpu, int group, uint64_t v)
{
    GicV3Cpu *c = &g->cpu[cpu];
    uint32_t n = (uint32_t)(v & 0xffffff);
    if (n >= 1020 && n <= 1023)
        return;
    uint32_t *own = group ? &c->ich_ap1r : &c->ich_ap0r;
    uint32_t *other = group ? &c->ich_ap0r : &c->ich_ap1r;
    uint32_t ap = *own | *other;
    if (ap) {
        uint32_t bit = ap & -ap;
        if (*own & bit)
            *own &= ~bit;
        else
            *other &= ~bit;
    }
    if (!(c->ich_vmcr & ICH_VMCR_VEOIM))
        icv_deactivate(g, cpu, n, ap != 0);
}

static void set_vmcr_field(GicV3Cpu *c, int shift, uint32_t mask, uint32_t v)
{
    c->ich_vmcr = (c->ich_vmcr & ~(mask << shift)) | ((v & mask) << shift);
}

static uint32_t clamp(uint32_t v, uint32_t min)
{
    return v < min ? min : v;
}

/* A 32-bit register behind a sysreg access: MSR writes it, MRS reads it. ICV_AP*R0_EL1 (the
 * guest's view) and ICH_AP*R0_EL2 (the hypervisor's) are the same storage: the virtual CPU
 * interface's active priorities (IHI 0069, the ICH_AP0R<n>_EL2/ICH_AP1R<n>_EL2 descriptions). */
static void access32(uint32_t *reg, bool w, uint64_t v, uint64_t *val)
{
    if (w)
        *reg = (uint32_t)v;
    else
        *val = *reg;
}

GicV3SysregResult gicv3_icv_access(GicV3 *g, int cpu, uint32_t key, bool w, uint64_t *val)
{
    GicV3Cpu *c = &g->cpu[cpu];
    uint64_t v = w ? *val : 0;
    uint32_t vmcr = c->ich_vmcr;
    switch (key) {
    case KEY_ICC_PMR:
        if (w)
            set_vmcr_field(c, ICH_VMCR_VPMR_SHIFT, 0xff, (uint32_t)v & GICV3_PRIO_MASK);
        else
            *val = vmcr_field(vmcr, ICH_VMCR_VPMR_SHIFT, 0xff);
        break;
    case KEY_ICC_IAR0: *val = icv_iar(c, 0); break;
    case KEY_ICC_IAR1: *val = icv_iar(c, 1); break;
    case KEY_ICC_EOIR0: icv_eoir(g, cpu, 0, v); break;
    case KEY_ICC_EOIR1: icv_eoir(g, cpu, 1, v); break;
    case KEY_ICC_HPPIR0:
    case KEY_ICC_HPPIR1: {
        GicV3Hppi h = gicv3_virt_hppi(c);
        *val = h.group == (key == KEY_ICC_HPPIR1) ? (uint64_t)h.intid : GICV3_INTID_SPURIOUS;
        break;
    }
    case KEY_ICC_DIR:
        if (vmcr & ICH_VMCR_VEOIM)
            icv_deactivate(g, cpu, (uint32_t)(v & 0xffffff), true);
        break;
    case KEY_ICC_RPR: *val = (uint64_t)vrunning_prio(c); break;
    case KEY_ICC_BPR0:
        if (w)
            set_vmcr_field(c, ICH_VMCR_VBPR0_SHIFT, 7, clamp((uint32_t)v & 7, GICV3_MIN_BPR0));
        else
            *val = vmcr_field(vmcr, ICH_VMCR_VBPR0_SHIFT, 7);
        break;
    case KEY_ICC_BPR1:
        if (vmcr & ICH_VMCR_VCBPR) {
            uint32_t b = vmcr_field(vmcr, ICH_VMCR_VBPR0_SHIFT, 7) + 1;
            if (!w)
                *val = b > 7 ? 7 : b;
        } else if (w) {
            set_vmcr_field(c, ICH_VMCR_VBPR1_SHIFT, 7, clamp((uint32_t)v & 7, GICV3_MIN_BPR1));
        } else {
            *val = vmcr_field(vmcr, ICH_VMCR_VBPR1_SHIFT, 7);
        }
        break;
    case KEY_ICC_CTLR:
        /* ICV_CTLR_EL1: CBPR <-> VCBPR, EOImode <-> VEOIM; PRIbits/A3V from ICH_VTR_EL2 */
        if (w) {
            set_vmcr_field(c, 4, 1, (uint32_t)v & ICC_CTLR_CBPR);
            set_vmcr_field(c, 9, 1, ((uint32_t)v & ICC_CTLR_EOIMODE) >> 1);
        } else {
            *val = ((vmcr & ICH_VMCR_VCBPR) ? ICC_CTLR_CBPR : 0) |
                   ((vmcr & ICH_VMCR_VEOIM) ? ICC_CTLR_EOIMODE : 0) |
                   ((GICV3_PRIBITS - 1) << ICC_CTLR_PRIBITS_SHIFT) | ICC_CTLR_A3V;
        }
        break;
    case KEY_ICC_IGRPEN0:
        if (w)
            set_vmcr_field(c, 0, 1, (uint32_t)v & 1);
        else
            *val = vmcr & ICH_VMCR_VENG0;
        break;
    case KEY_ICC_IGRPEN1:
        if (w)
            set_vmcr_field(c, 1, 1, (uint32_t)v & 1);
        else
            *val = (vmcr & ICH_VMCR_VENG1) >> 1;
        break;
    case KEY_ICC_AP0R(0):
        access32(&c->ich_ap0r, w, v, val);
        break;
    case KEY_ICC_AP1R(0):
        access32(&c->ich_ap1r, w, v, val);
        break;
    default:
        return GICV3_SYSREG_UNDEF;
    }
    return GICV3_SYSREG_OK;
}

/* ---- ICH_*_EL2 ----------------------------------------------------------------------------- */

#define ICH_LR_WMASK (ICH_LR_VINTID_MASK | (ICH_LR_PINTID_MASK << ICH_LR_PINTID_SHIFT) | \
                      ((uint64_t)GICV3_PRIO_MASK << ICH_LR_PRIO_SHIFT) | ICH_LR_GROUP | ICH_LR_HW | \
                      (3ull << ICH_LR_STATE_SHIFT))
#define ICH_VMCR_WMASK (ICH_VMCR_VENG0 | ICH_VMCR_VENG1 | ICH_VMCR_VCBPR | ICH_VMCR_VEOIM | \
                        (7u << ICH_VMCR_VBPR1_SHIFT) | (7u << ICH_VMCR_VBPR0_SHIFT) | \
                        ((uint32_t)GICV3_PRIO_MASK << ICH_VMCR_VPMR_SHIFT))

/* ICH_VTR_EL2: ListRegs = 3, TDS (bit 19), nV4 (bit 20, no direct injection), A3V (bit 21),
 * IDbits = 0 (16 bits), PREbits = PRIbits = 5 (fields hold 4). */
#define ICH_VTR_VALUE ((uint64_t)(GICV3_NUM_LRS - 1) | (1u << 19) | (1u << 20) | (1u << 21) | \
                       ((uint64_t)(GICV3_PRIBITS - 1) << 26) | ((uint64_t)(GICV3_PRIBITS - 1) << 29))

GicV3SysregResult gicv3_ich_access(GicV3 *g, int cpu, uint32_t key, bool w, uint64_t *val)
{
    GicV3Cpu *c = &g->cpu[cpu];
    uint64_t v = w ? *val : 0;
    for (int n = 0; n < GICV3_NUM_LRS; n++) {
        if (key == KEY_ICH_LR(n)) {
            if (w)
                c->ich_lr[n] = v & ICH_LR_WMASK;
            else
                *val = c->ich_lr[n];
            return GICV3_SYSREG_OK;
        }
    }
    switch (key) {
    case KEY_ICH_HCR:
        if (w)
            c->ich_hcr = (uint32_t)v & ICH_HCR_WMASK;
        else
            *val = c->ich_hcr;
        break;
    case KEY_ICH_VTR: *val = ICH_VTR_VALUE; break;
    case KEY_ICH_VMCR: {
        if (w) {
            uint32_t nv = ((uint32_t)v & ICH_VMCR_WMASK) | ICH_VMCR_VFIQEN;
            uint32_t b0 = clamp(vmcr_field(nv, ICH_VMCR_VBPR0_SHIFT, 7), GICV3_MIN_BPR0);
            uint32_t b1 = clamp(vmcr_field(nv, ICH_VMCR_VBPR1_SHIFT, 7), GICV3_MIN_BPR1);
            c->ich_vmcr = nv;
            set_vmcr_field(c, ICH_VMCR_VBPR0_SHIFT, 7, b0);
            set_vmcr_field(c, ICH_VMCR_VBPR1_SHIFT, 7, b1);
        } else {
            *val = c->ich_vmcr;
        }
        break;
    }
    case KEY_ICH_MISR: *val = gicv3_ich_misr(c); break;
    case KEY_ICH_EISR: *val = ich_eisr(c); break;
    case KEY_ICH_ELRSR: *val = ich_elrsr(c); break;
    case KEY_ICH_AP0R(0):
        access32(&c->ich_ap0r, w, v, val);
        break;
    case KEY_ICH_AP1R(0):
        access32(&c->ich_ap1r, w, v, val);
        break;
    default:
        return GICV3_SYSREG_UNDEF;
    }
    return GICV3_SYSREG_OK;
}
