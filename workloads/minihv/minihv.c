/* minihv: a small type-1 hypervisor for the virt board (EL2, stage 2, GICv3 with the ICH
 * virtual CPU interface, generic timers including the EL2 physical timer CNTHP).
 *
 * It runs two guests at EL1 on one physical CPU. See README.md for the design. References:
 * Arm ARM = DDI 0487 (Arm Architecture Reference Manual for A-profile), GIC = IHI 0069
 * (GICv3/v4 architecture specification), PSCI = DEN 0022, SMCCC = DEN 0028. */
#include "abi.h"
#include "fmt.h"

/* ---- virt board (hard-coded; minihv does not read the DT) ------------------------------- */
#define UART_BASE 0x09000000ul
#define GICD_BASE 0x08000000ul
#define GICR_BASE 0x080A0000ul            /* RD_base of CPU 0 */
#define GICR_SGI_BASE (GICR_BASE + 0x10000ul) /* SGI_base frame: RD_base + 64 KiB */
#define CNTHP_INTID 26u                   /* EL2 physical timer PPI (BSA; virt board DT) */

#define NR_VCPUS 2
static const uint64_t guest_pa[NR_VCPUS] = {0x48000000ul, 0x4C000000ul};

static inline void mmio_w32(uint64_t a, uint32_t v)
{
    *(volatile uint32_t *)a = v;
}
static inline uint32_t mmio_r32(uint64_t a)
{
    return *(volatile uint32_t *)a;
}

/* ---- host console: the real PL011 ---------------------------------------------------- */
static void hv_putc(char c)
{
    while (mmio_r32(UART_BASE + 0x18) & (1u << 5)) /* UARTFR.TXFF */
        ;
    mmio_w32(UART_BASE, (uint8_t)c);
}

static void hv_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void hv_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fmt_vprintf(hv_putc, fmt, ap);
    va_end(ap);
}

static void __attribute__((noreturn)) system_off(void)
{
    /* PSCI SYSTEM_OFF through SMC: the conduit at EL2 when there is no EL3 (PSCI, "Conduits"). */
    register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF_FN;
    __asm__ volatile("smc #0" : "+r"(x0)::"x1", "x2", "x3", "memory");
    for (;;)
        __asm__ volatile("wfi");
}

static void __attribute__((noreturn)) panic(const char *what, uint64_t a, uint64_t b)
{
    hv_printf("minihv: PANIC %s (%#lx, %#lx) ESR_EL2 %#lx ELR_EL2 %#lx FAR_EL2 %#lx\n", what,
              a, b, READ_SYSREG(esr_el2), READ_SYSREG(elr_el2), READ_SYSREG(far_el2));
    system_off();
}

void hv_bad_vector(uint64_t idx);
void hv_bad_vector(uint64_t idx)
{
    panic("unexpected exception at EL2, vector", idx, 0);
}

/* ---- vCPU state ------------------------------------------------------------------------ */
/* EL1 (and EL0) system registers a guest owns; swapped on every world switch. */
#define EL1_REGS(X)                                                                        \
    X(sctlr_el1) X(cpacr_el1) X(ttbr0_el1) X(ttbr1_el1) X(tcr_el1) X(mair_el1) X(vbar_el1) \
    X(contextidr_el1) X(tpidr_el1) X(tpidr_el0) X(tpidrro_el0) X(sp_el0) X(sp_el1)         \
    X(elr_el1) X(spsr_el1) X(esr_el1) X(far_el1) X(par_el1) X(cntkctl_el1)                 \
    X(cntv_ctl_el0) X(cntv_cval_el0)

struct el1_regs {
#define X(r) uint64_t r;
    EL1_REGS(X)
#undef X
};

/* Layout known to hv_start.S. */
struct vcpu_regs {
    uint64_t x[31];
    uint64_t elr, spsr; /* ELR_EL2, SPSR_EL2 */
};

enum vcpu_state {
    VCPU_RUNNABLE,
    VCPU_WAITING, /* trapped WFI with nothing pending: runnable again on the next tick */
    VCPU_BLOCKED, /* finished a console line while the console belongs to the other guest */
    VCPU_DONE,
};

struct exit_stats {
    unsigned hvc, mmio, wfi, smc, irq; /* exits by reason */
    unsigned virq;                     /* virtual interrupts injected */
};

#define LINE_MAX 120
struct vuart {
    uint32_t cr, imsc, lcr_h, ibrd, fbrd;
    char line[LINE_MAX];
    unsigned len;
    int line_ready;
};

struct vcpu {
    struct vcpu_regs regs; /* first: vcpu_run() takes &regs */
    struct el1_regs el1;
    uint64_t ich_lr0, ich_vmcr, ich_ap0r0, ich_ap1r0; /* virtual CPU interface */
    uint64_t vttbr, vmpidr, vpidr;
    unsigned id; /* 1 or 2: VMID and console prefix */
    enum vcpu_state state;
    int busy;    /* HC_BUSY: time-slice this guest with CNTHP */
    uint64_t exit_code;
    struct vuart uart;
    struct exit_stats st;
};

static struct vcpu vcpus[NR_VCPUS];
static int resched; /* leave the current vCPU at the next scheduling point */
static uint64_t slice_ticks;

uint64_t vcpu_run(struct vcpu_regs *regs);

static void vcpu_load(const struct vcpu *v)
{
#define X(r) WRITE_SYSREG(r, v->el1.r);
    EL1_REGS(X)
#undef X
    WRITE_SYSREG(vttbr_el2, v->vttbr);
    WRITE_SYSREG(vmpidr_el2, v->vmpidr); /* read by the guest as MPIDR_EL1 */
    WRITE_SYSREG(vpidr_el2, v->vpidr);   /* read by the guest as MIDR_EL1 */
    WRITE_SYSREG(ich_vmcr_el2, v->ich_vmcr);
    WRITE_SYSREG(ich_ap0r0_el2, v->ich_ap0r0);
    WRITE_SYSREG(ich_ap1r0_el2, v->ich_ap1r0);
    WRITE_SYSREG(ich_lr0_el2, v->ich_lr0);
}

static void vcpu_save(struct vcpu *v)
{
#define X(r) v->el1.r = READ_SYSREG(r);
    EL1_REGS(X)
#undef X
    v->ich_vmcr = READ_SYSREG(ich_vmcr_el2);
    v->ich_ap0r0 = READ_SYSREG(ich_ap0r0_el2);
    v->ich_ap1r0 = READ_SYSREG(ich_ap1r0_el2);
    v->ich_lr0 = READ_SYSREG(ich_lr0_el2);
}

/* ---- virtual interrupts: ICH_LR0_EL2 (GIC spec, ICH_LR<n>_EL2) ------------------------- */
#define LR_STATE_SHIFT 62 /* 00 invalid, 01 pending, 10 active, 11 pending and active */
#define LR_STATE_PENDING (1ull << 62)
#define LR_GROUP1 (1ull << 60)
#define LR_PRIORITY(p) ((uint64_t)(p) << 48)

static int lr_pending(const struct vcpu *v)
{
    return (v->ich_lr0 >> LR_STATE_SHIFT) & 1;
}

/* Make TICK_INTID pending in the guest; a tick that finds the previous one still in the
 * list register is merged into it (an interrupt is pending or not). */
static void inject_tick(struct vcpu *v)
{
    if (v->ich_lr0 >> LR_STATE_SHIFT)
        return;
    v->ich_lr0 = LR_STATE_PENDING | LR_GROUP1 | LR_PRIORITY(0xa0) | TICK_INTID;
    v->st.virq++;
    if (v->state == VCPU_WAITING)
        v->state = VCPU_RUNNABLE;
}

/* ---- EL2 physical timer (Arm ARM, "The Generic Timer", CNTHP_*) ------------------------ */
static void slice_timer_arm(void)
{
    WRITE_SYSREG(cnthp_tval_el2, slice_ticks);
    WRITE_SYSREG(cnthp_ctl_el2, 1); /* ENABLE, IMASK = 0 */
    ISB();
}

static void slice_timer_stop(void)
{
    /* ENABLE = 0 deasserts the level-sensitive PPI 26: the timer condition needs
     * CNTHP_CTL_EL2.ENABLE = 1. */
    WRITE_SYSREG(cnthp_ctl_el2, 0);
    ISB();
}

/* A physical IRQ reached EL2: acknowledge it at the physical CPU interface (EL2 accesses
 * to ICC_* are never virtualized). `running` is the vCPU it interrupted, or NULL when it
 * woke the idle loop. Every CNTHP expiry is one scheduler tick: each waiting vCPU gets a
 * virtual tick, and so does the preempted busy vCPU, which then yields the CPU. */
static void handle_phys_irq(struct vcpu *running)
{
    uint32_t intid = (uint32_t)READ_SYSREG(icc_iar1_el1);
    if (intid >= 1020) /* spurious (GIC spec, "Special INTIDs") */
        return;
    if (intid != CNTHP_INTID)
        panic("unexpected physical interrupt", intid, 0);
    slice_timer_stop();
    for (int i = 0; i < NR_VCPUS; i++)
        if (vcpus[i].state == VCPU_WAITING)
            inject_tick(&vcpus[i]);
    if (running) {
        inject_tick(running);
        resched = 1;
    }
    /* Priority drop and deactivation (GIC spec, ICC_EOIR1_EL1; ICC_CTLR_EL1.EOImode = 0). */
    WRITE_SYSREG(icc_eoir1_el1, intid);
    ISB();
}

/* ---- emulated console: a PL011 at IPA 0x09000000 ---------------------------------------
 * Bytes collect into a per-guest line. A completed line is written to the real UART with
 * a "[gN] " prefix when the console's turn is the guest's; turns alternate line by line
 * between the guests that are still running, so the output is the same however the guests
 * are scheduled. A guest that completes a line out of turn blocks until its turn. */
static unsigned console_turn; /* index of the vCPU whose line comes next */

static void console_emit(struct vcpu *v)
{
    hv_printf("[g%u] ", v->id);
    for (unsigned i = 0; i < v->uart.len; i++)
        hv_putc(v->uart.line[i]);
    hv_putc('\n');
    v->uart.len = 0;
    v->uart.line_ready = 0;
}

/* The console moves on from vCPU `v`: to the other guest unless that one is done. A line
 * that guest has waiting is written at once, which hands the turn back. */
static void console_pass(struct vcpu *v)
{
    struct vcpu *o = &vcpus[(v - vcpus) ^ 1];
    if (o->state == VCPU_DONE)
        return;
    console_turn = (unsigned)(o - vcpus);
    if (o->uart.line_ready) {
        console_emit(o);
        o->state = VCPU_RUNNABLE;
        console_pass(o);
    }
}

static void vuart_tx(struct vcpu *v, char c)
{
    if (c != '\n') {
        if (v->uart.len < LINE_MAX) /* longer lines are cut */
            v->uart.line[v->uart.len++] = c;
        return;
    }
    v->uart.line_ready = 1;
    if (console_turn == (unsigned)(v - vcpus)) {
        console_emit(v);
        console_pass(v);
    } else {
        v->state = VCPU_BLOCKED;
    }
}

/* PL011 registers (PL011 TRM DDI 0183, "Register descriptions"): offsets minihv emulates. */
static uint64_t vuart_read(struct vcpu *v, uint64_t off)
{
    static const uint8_t id[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    switch (off) {
    case 0x18: return 0x90; /* UARTFR: TXFE | RXFE */
    case 0x24: return v->uart.ibrd;
    case 0x28: return v->uart.fbrd;
    case 0x2c: return v->uart.lcr_h;
    case 0x30: return v->uart.cr;
    case 0x38: return v->uart.imsc;
    default:
        if (off >= 0xfe0 && off < 0x1000 && !(off & 3))
            return id[(off - 0xfe0) >> 2]; /* UARTPeriphID0-3, UARTPCellID0-3 */
        return 0; /* DR (no input), RSR, RIS, MIS, reserved */
    }
}

static void vuart_write(struct vcpu *v, uint64_t off, uint64_t val)
{
    switch (off) {
    case 0x00: vuart_tx(v, (char)val); break;
    case 0x24: v->uart.ibrd = val & 0xffff; break;
    case 0x28: v->uart.fbrd = val & 0x3f; break;
    case 0x2c: v->uart.lcr_h = val & 0xff; break;
    case 0x30: v->uart.cr = val & 0xffff; break;
    case 0x38: v->uart.imsc = val & 0x7ff; break;
    default: break; /* ICR, DMACR, read-only registers: ignored */
    }
}

/* ---- exit handlers ---------------------------------------------------------------------- */
/* ESR_EL2 (Arm ARM, ESR_EL2): EC[31:26], IL[25], ISS[24:0]. */
#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define EC_WFX 0x01
#define EC_HVC64 0x16
#define EC_SMC64 0x17
#define EC_DABT_LOW 0x24

static void vcpu_done(struct vcpu *v, uint64_t code)
{
    v->exit_code = code;
    v->state = VCPU_DONE;
    if (console_turn == (unsigned)(v - vcpus)) {
        struct vcpu *o = &vcpus[(v - vcpus) ^ 1];
        console_turn = (unsigned)(o - vcpus);
        if (o->state == VCPU_BLOCKED) {
            console_emit(o);
            o->state = VCPU_RUNNABLE;
        }
    }
}

static void handle_hvc(struct vcpu *v, uint32_t imm)
{
    uint64_t *x = v->regs.x;
    /* The preferred return address of an HVC exception is the next instruction (Arm ARM,
     * "Preferred exception return address"): ELR_EL2 needs no adjustment. */
    if (imm != MINIHV_HVC_IMM) {
        x[0] = (uint64_t)MINIHV_NOT_SUPPORTED;
        return;
    }
    switch (x[0]) {
    case HC_VERSION: x[0] = MINIHV_VERSION; break;
    case HC_VMID: x[0] = v->id; break;
    case HC_ADD: x[0] = x[1] + x[2]; break;
    case HC_BUSY: v->busy = x[1] != 0; x[0] = 0; break;
    case HC_YIELD: resched = 1; x[0] = 0; break;
    case HC_DONE: vcpu_done(v, x[1]); break;
    default: x[0] = (uint64_t)MINIHV_NOT_SUPPORTED; break;
    }
}

/* A trapped SMC (HCR_EL2.TSC) returns to the SMC instruction itself, so minihv steps over
 * it (Arm ARM, "Preferred exception return address"; HCR_EL2.TSC). */
static void handle_smc(struct vcpu *v)
{
    uint64_t *x = v->regs.x;
    switch ((uint32_t)x[0]) {
    case PSCI_VERSION_FN: x[0] = 0x00010000; break; /* minihv's virtual PSCI is 1.0 */
    case PSCI_SYSTEM_OFF_FN: vcpu_done(v, 0); break;
    default: x[0] = (uint64_t)PSCI_NOT_SUPPORTED; break;
    }
    v->regs.elr += 4;
}

/* Stage-2 data abort (ISS encoding for an exception from a Data Abort, Arm ARM
 * ESR_EL2): with
 * ISV = 1 the syndrome describes the access: SAS[23:22] size, SSE[21] sign extension,
 * SRT[20:16] register (31 = XZR), SF[15] 64-bit register, WnR[6] write, DFSC[5:0]. */
#define ISS_ISV (1u << 24)
#define ISS_SAS(iss) (((iss) >> 22) & 3)
#define ISS_SSE (1u << 21)
#define ISS_SRT(iss) (((iss) >> 16) & 31)
#define ISS_SF (1u << 15)
#define ISS_WNR (1u << 6)
#define ISS_DFSC(iss) ((iss) & 0x3f)

#ifdef MINIHV_PAPER
/* ---- the benchmark devices (workloads/paper/, make paper) -------------------------------
 * Built only into minihv's paper build (-DMINIHV_PAPER, workloads/paper/paper.mk), so the
 * demo's binary, its instruction counts and the transcripts that show them stay as they
 * are (and its source lines up to here: tests/system/run.sh's GDB walkthrough names one). */

/* Per vCPU: the distributor control a guest wrote, the doorbell's PMCCNTR_EL0 stamps. */
struct vdev {
    uint32_t gicd_ctlr;
    uint64_t bell_seen, bell_raised;
};
static struct vdev vdevs[NR_VCPUS];

static struct vdev *vdev_of(const struct vcpu *v)
{
    return &vdevs[v - vcpus];
}

/* Any Group 1 interrupt, as inject_tick() makes the tick pending; one that finds the list
 * register in use is dropped (the benchmarks complete each interrupt before the next). */
static void inject_virq(struct vcpu *v, uint32_t intid)
{
    if (v->ich_lr0 >> LR_STATE_SHIFT)
        return;
    v->ich_lr0 = LR_STATE_PENDING | LR_GROUP1 | LR_PRIORITY(0xa0) | intid;
    v->st.virq++;
}

/* The distributor window (GIC spec, "Distributor register map"): what a guest probing its
 * interrupt controller reads first. GICD_TYPER: ITLinesNumber 1 (INTIDs up to 63), IDbits
 * 9 (10-bit INTIDs), one CPU; GICD_IIDR: implementer Arm (JEP106 0x43b), product 0. */
static uint64_t vgicd_read(const struct vcpu *v, uint64_t off)
{
    switch (off) {
    case 0x0: return vdev_of(v)->gicd_ctlr;
    case 0x4: return (9u << 19) | 1u;
    case 0x8: return 0x43bu;
    default: return 0;
    }
}

static void vgicd_write(struct vcpu *v, uint64_t off, uint64_t val)
{
    if (off == 0x0)
        vdev_of(v)->gicd_ctlr = (uint32_t)val & ((1u << 4) | (1u << 1)); /* ARE, EnableGrp1 */
}

/* The doorbell: the moment minihv's device model sees a NOTIFY is the end of "I/O latency
 * out", the moment it queues the interrupt the start of "I/O latency in". PMCCNTR_EL0 is the
 * one cycle counter the guest reads too; it counts at EL2 when the guest set
 * PMCCFILTR_EL0.NSH (Arm ARM, PMCCFILTR_EL0). */
static uint64_t vdoorbell_read(const struct vcpu *v, uint64_t off)
{
    switch (off) {
    case DOORBELL_SEEN: return vdev_of(v)->bell_seen;
    case DOORBELL_RAISED: return vdev_of(v)->bell_raised;
    default: return 0;
    }
}

static void vdoorbell_write(struct vcpu *v, uint64_t off)
{
    if (off != DOORBELL_NOTIFY)
        return;
    vdev_of(v)->bell_seen = READ_SYSREG(pmccntr_el0);
    inject_virq(v, DOORBELL_INTID);
    vdev_of(v)->bell_raised = READ_SYSREG(pmccntr_el0);
}

static int vdev_claims(uint64_t ipa)
{
    return (ipa & ~0xffful) == VUART_IPA || ipa - VGICD_IPA < VGICD_SIZE ||
           (ipa & ~0xffful) == VDOORBELL_IPA;
}

static uint64_t vdev_read(struct vcpu *v, uint64_t ipa)
{
    if (ipa - VGICD_IPA < VGICD_SIZE)
        return vgicd_read(v, ipa - VGICD_IPA);
    if ((ipa & ~0xffful) == VDOORBELL_IPA)
        return vdoorbell_read(v, ipa & 0xfff);
    return vuart_read(v, ipa & 0xfff);
}

static void vdev_write(struct vcpu *v, uint64_t ipa, uint64_t val)
{
    if (ipa - VGICD_IPA < VGICD_SIZE)
        vgicd_write(v, ipa - VGICD_IPA, val);
    else if ((ipa & ~0xffful) == VDOORBELL_IPA)
        vdoorbell_write(v, ipa & 0xfff);
    else
        vuart_write(v, ipa & 0xfff, val);
}

/* ICC_SGI1R_EL1 at EL1 traps to EL2 when HCR_EL2.IMO is set (GIC spec, ICC_SGI1R_EL1): the
 * virtual CPU interface of GICv3 has no SGI generation, the hypervisor sends virtual SGIs.
 * Each minihv guest has one vCPU, so an SGI reaches the sender itself when the target list
 * names its affinity (IRM = 0, Aff3.Aff2.Aff1 = 0, RS = 0, TargetList bit Aff0), and no one
 * otherwise (IRM = 1 is "all but self"). */
static void vgic_sgi1r(struct vcpu *v, uint64_t val)
{
    uint64_t aff0 = v->vmpidr & 0xff;
    int self = !((val >> 40) & 1) && !(val & 0x00ff0f0000ff0000ull) && ((val >> aff0) & 1);
    if (self)
        inject_virq(v, (uint32_t)(val >> 24) & 0xf);
}

/* A trapped MSR or MRS (ISS for EC 0x18, Arm ARM ESR_EL2): Op0[21:20], Op2[19:17],
 * Op1[16:14], CRn[13:10], Rt[9:5], CRm[4:1], Direction[0] (1 = read). */
#define EC_SYSREG 0x18
#define ISS_SYSREG(op0, op1, crn, crm, op2)                                                   \
    (((op0) << 20) | ((op2) << 17) | ((op1) << 14) | ((crn) << 10) | ((crm) << 1))
#define ISS_SYSREG_MASK ISS_SYSREG(3u, 7u, 15u, 15u, 7u)
#define ISS_SYSREG_RT(iss) (((iss) >> 5) & 31)
#define ISS_ICC_SGI1R_EL1 ISS_SYSREG(3u, 0u, 12u, 11u, 5u)

static void handle_sysreg(struct vcpu *v, uint32_t iss)
{
    unsigned rt = ISS_SYSREG_RT(iss);
    if ((iss & ISS_SYSREG_MASK) != ISS_ICC_SGI1R_EL1 || (iss & 1))
        panic("unexpected system register trap", iss, v->regs.elr);
    vgic_sgi1r(v, rt == 31 ? 0 : v->regs.x[rt]);
    /* A trapped MSR returns to itself (Arm ARM, "Preferred exception return address"). */
    v->regs.elr += 4;
}
#else
/* The demo: the PL011 is the one emulated device. */
static int vdev_claims(uint64_t ipa)
{
    return (ipa & ~0xffful) == VUART_IPA;
}

static uint64_t vdev_read(struct vcpu *v, uint64_t ipa)
{
    return vuart_read(v, ipa & 0xfff);
}

static void vdev_write(struct vcpu *v, uint64_t ipa, uint64_t val)
{
    vuart_write(v, ipa & 0xfff, val);
}
#endif

static void handle_dabt(struct vcpu *v, uint32_t iss)
{
    /* HPFAR_EL2.FIPA[43:4] holds IPA[51:12] of a stage-2 fault (Arm ARM, HPFAR_EL2); FAR_EL2 gives
     * the offset in the page (the guest's VA; its stage 1 is off, so VA = IPA). */
    uint64_t ipa = ((READ_SYSREG(hpfar_el2) >> 4) << 12) | (READ_SYSREG(far_el2) & 0xfff);
    if (!(iss & ISS_ISV) || (ISS_DFSC(iss) & 0x3c) != 0x04 || !vdev_claims(ipa))
        panic("unhandled stage-2 data abort at IPA", ipa, iss);
    unsigned bytes = 1u << ISS_SAS(iss), srt = ISS_SRT(iss);
    uint64_t mask = bytes == 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
    if (iss & ISS_WNR) {
        vdev_write(v, ipa, (srt == 31 ? 0 : v->regs.x[srt]) & mask);
    } else {
        uint64_t val = vdev_read(v, ipa) & mask;
        if ((iss & ISS_SSE) && bytes < 8 && (val >> (8 * bytes - 1)) & 1)
            val |= ~mask;
        if (!(iss & ISS_SF))
            val &= 0xffffffffull; /* a W register: the upper half is zero */
        if (srt != 31)
            v->regs.x[srt] = val;
    }
    v->regs.elr += 4; /* the access is done: step over the load or store */
}

static void handle_sync(struct vcpu *v)
{
    uint64_t esr = READ_SYSREG(esr_el2);
    uint32_t iss = (uint32_t)(esr & 0x1ffffff);
    switch (ESR_EC(esr)) {
    case EC_HVC64:
        v->st.hvc++;
        handle_hvc(v, iss & 0xffff);
        break;
    case EC_SMC64:
        v->st.smc++;
        handle_smc(v);
        break;
    case EC_WFX:
        /* HCR_EL2.TWI traps WFI (ISS.TI = 0); the return address is the WFI itself. The
         * vCPU waits unless a virtual interrupt is already pending. */
        if (iss & 1)
            panic("WFE trapped without HCR_EL2.TWE", esr, 0);
        v->st.wfi++;
        v->regs.elr += 4;
        if (!lr_pending(v))
            v->state = VCPU_WAITING;
        break;
    case EC_DABT_LOW:
        v->st.mmio++;
        handle_dabt(v, iss);
        break;
#ifdef MINIHV_PAPER
    case EC_SYSREG:
        handle_sysreg(v, iss);
        break;
#endif
    default:
        panic("unexpected exit", esr, v->regs.elr);
    }
}

/* ---- stage 2 (Arm ARM, "The AArch64 Virtual Memory System Architecture") --------------
 * 4 KiB granule, 32-bit IPA space (VTCR_EL2.T0SZ = 32), lookup starting at level 1
 * (SL0 = 1; Arm ARM, VTCR_EL2.SL0): one level-1 table of which entry 1 (IPA 1-2 GiB)
 * points to a level-2 table. Guest RAM is IPA 0x40000000..0x403fffff: the first 2 MiB
 * as 4 KiB pages from a level-3 table, the second 2 MiB as one level-2 block. Everything
 * else, including the UART at 0x09000000, gives a stage-2 translation fault. */
#define S2_TABLE 3ull
#define S2_BLOCK 1ull
#define S2_PAGE 3ull
#define S2_MEMATTR_WB (0xfull << 2) /* Normal, Outer and Inner Write-Back (stage 2 MemAttr) */
#define S2_AP_RW (3ull << 6)        /* S2AP: read/write */
#define S2_SH_INNER (3ull << 8)
#define S2_AF (1ull << 10)
#define S2_NORMAL (S2_MEMATTR_WB | S2_AP_RW | S2_SH_INNER | S2_AF)

static uint64_t s2_l1[NR_VCPUS][512] __attribute__((aligned(4096)));
static uint64_t s2_l2[NR_VCPUS][512] __attribute__((aligned(4096)));
static uint64_t s2_l3[NR_VCPUS][512] __attribute__((aligned(4096)));

static void s2_build(int i, uint64_t pa)
{
    s2_l1[i][GUEST_IPA_BASE >> 30] = (uint64_t)(uintptr_t)s2_l2[i] | S2_TABLE;
    s2_l2[i][0] = (uint64_t)(uintptr_t)s2_l3[i] | S2_TABLE;
    for (uint64_t p = 0; p < 512; p++)
        s2_l3[i][p] = (pa + (p << 12)) | S2_NORMAL | S2_PAGE;
    s2_l2[i][1] = (pa + (2ul << 20)) | S2_NORMAL | S2_BLOCK;
}

/* ---- boot ------------------------------------------------------------------------------- */
extern const char guest1_image[], guest1_image_end[], guest2_image[], guest2_image_end[];

static void gic_init(void)
{
    /* Distributor: affinity routing, Group 1 enabled (GIC spec, GICD_CTLR with one Security
     * state as on virt without EL3: bit 4 ARE, bit 1 EnableGrp1). */
    mmio_w32(GICD_BASE + 0x0, (1u << 4) | (1u << 1));
    while (mmio_r32(GICD_BASE + 0x0) & (1u << 31)) /* RWP */
        ;
    /* Wake the redistributor (GIC spec, GICR_WAKER): clear ProcessorSleep, wait for
     * ChildrenAsleep to clear. */
    mmio_w32(GICR_BASE + 0x14, mmio_r32(GICR_BASE + 0x14) & ~(1u << 1));
    while (mmio_r32(GICR_BASE + 0x14) & (1u << 2))
        ;
    /* PPI 26: Group 1, priority 0x80, enabled (GICR_IGROUPR0, IPRIORITYR6, ISENABLER0). */
    mmio_w32(GICR_SGI_BASE + 0x80, mmio_r32(GICR_SGI_BASE + 0x80) | (1u << CNTHP_INTID));
    uint32_t prio = mmio_r32(GICR_SGI_BASE + 0x400 + (CNTHP_INTID & ~3u));
    prio = (prio & ~(0xffu << 8 * (CNTHP_INTID & 3))) | (0x80u << 8 * (CNTHP_INTID & 3));
    mmio_w32(GICR_SGI_BASE + 0x400 + (CNTHP_INTID & ~3u), prio);
    mmio_w32(GICR_SGI_BASE + 0x100, 1u << CNTHP_INTID);

    /* Physical CPU interface through system registers: ICC_SRE_EL2.SRE and .Enable (lets
     * EL1 use ICC_SRE_EL1; GIC spec, ICC_SRE_EL2), priority mask, Group 1 enable. */
    WRITE_SYSREG(icc_sre_el2, READ_SYSREG(icc_sre_el2) | (1u << 0) | (1u << 3));
    ISB();
    WRITE_SYSREG(icc_pmr_el1, 0xff);
    WRITE_SYSREG(icc_bpr1_el1, 0);
    WRITE_SYSREG(icc_igrpen1_el1, 1);
    /* Virtual CPU interface on (GIC spec, ICH_HCR_EL2.En); with HCR_EL2.IMO = 1 the
     * guests' ICC_IAR1_EL1/EOIR1/PMR/IGRPEN1 accesses go to ICV_* registers. */
    WRITE_SYSREG(ich_hcr_el2, 1);
    ISB();
}

static void vcpu_init(int i, const char *img, const char *img_end)
{
    struct vcpu *v = &vcpus[i];
    uint64_t size = (uint64_t)(img_end - img);
    if (size > GUEST_RAM_SIZE)
        panic("guest image too large", (uint64_t)i, size);
    /* Copy the image into the guest's RAM (PA); the EL2 MMU is off, so these are
     * Device-nGnRnE writes that reach memory directly (Arm ARM, "Behavior when
     * stage 1 address translation is disabled"). */
    volatile uint64_t *dst = (volatile uint64_t *)guest_pa[i];
    const uint64_t *src = (const uint64_t *)img;
    for (uint64_t n = 0; n < (size + 7) / 8; n++)
        dst[n] = src[n];
    s2_build(i, guest_pa[i]);

    v->id = (unsigned)i + 1;
    v->state = VCPU_RUNNABLE;
    v->regs.elr = GUEST_IPA_BASE;
    v->regs.spsr = 0x3c5;             /* EL1h, D, A, I, F masked (Arm ARM, SPSR_EL2) */
    v->el1.sctlr_el1 = 0x30d00800;    /* RES1 bits, MMU and caches off, EOS/EIS set */
    v->vttbr = ((uint64_t)v->id << 48) | (uint64_t)(uintptr_t)s2_l1[i]; /* VMID, BADDR */
    v->vmpidr = (1ull << 31) | (uint64_t)i; /* Aff0 = 0, 1 */
    v->vpidr = 0x000f0048;  /* MIDR: implementer 0 = "reserved for software use" */
    v->uart.cr = 0x300;     /* PL011 reset values: TXE | RXE */
    v->uart.lcr_h = 0;
}

static struct vcpu *pick_next(struct vcpu *cur)
{
    unsigned start = cur ? (unsigned)(cur - vcpus) : NR_VCPUS - 1;
    for (unsigned k = 1; k <= NR_VCPUS; k++) {
        struct vcpu *v = &vcpus[(start + k) % NR_VCPUS];
        if (v->state == VCPU_RUNNABLE)
            return v;
    }
    return 0;
}

static int all_done(void)
{
    for (int i = 0; i < NR_VCPUS; i++)
        if (vcpus[i].state != VCPU_DONE)
            return 0;
    return 1;
}

/* Nothing can run: wait for the next scheduler tick with IRQs masked at EL2. WFI wakes on
 * a pending physical IRQ whatever PSTATE.I is (Arm ARM, "WFI wake-up events"). */
static void idle(void)
{
    slice_timer_arm();
    while (!pick_next(0)) {
        __asm__ volatile("dsb sy; wfi" ::: "memory");
        handle_phys_irq(0);
    }
}

static void print_stats(const struct vcpu *v)
{
    hv_printf("minihv: g%u exit code %lu: exits hvc %u, mmio %u, wfi %u, smc %u, irq %u;"
              " virtual interrupts injected %u\n",
              v->id, (unsigned long)v->exit_code, v->st.hvc, v->st.mmio, v->st.wfi, v->st.smc,
              v->st.irq, v->st.virq);
}

void hv_main(void);
void hv_main(void)
{
    mmio_w32(UART_BASE + 0x30, 0x301); /* UARTCR: UARTEN | TXE | RXE */
    if (((READ_SYSREG(currentel) >> 2) & 3) != 2) {
        hv_printf("minihv: must be started at EL2 (virtualization=on)\n");
        for (;;)
            __asm__ volatile("wfi");
    }
    /* ID_AA64PFR0_EL1.GIC[27:24] != 0: the GICv3 system-register CPU interface exists. */
    if (((READ_SYSREG(id_aa64pfr0_el1) >> 24) & 0xf) == 0) {
        hv_printf("minihv: needs a GICv3 CPU interface (-M virt,gic-version=3)\n");
        system_off();
    }
    hv_printf("minihv: hypervisor at EL2, %d guests, stage 2 with 4 KiB granule\n", NR_VCPUS);

    /* EL2 controls. HCR_EL2 (Arm ARM, HCR_EL2): VM stage 2 on, SWIO, FMO/IMO/AMO route physical
     * FIQ/IRQ/SError to EL2 and enable the virtual ones, TWI traps WFI, TSC traps SMC,
     * RW: EL1 is AArch64. */
    WRITE_SYSREG(hcr_el2, (1ull << 0) | (1ull << 1) | (1ull << 3) | (1ull << 4) | (1ull << 5) |
                              (1ull << 13) | (1ull << 19) | (1ull << 31));
    WRITE_SYSREG(cptr_el2, 0x33ff);  /* TFP = 0: no FP/SIMD traps to EL2 (RES1 bits set) */
    WRITE_SYSREG(hstr_el2, 0);
    WRITE_SYSREG(cnthctl_el2, 3);    /* EL1PCTEN, EL1PCEN: EL1 may use the physical timer */
    WRITE_SYSREG(cntvoff_el2, 0);
    /* VTCR_EL2 (Arm ARM, VTCR_EL2): T0SZ = 32, SL0 = 1 (level 1 start), walks Non-cacheable like
     * minihv's own MMU-off accesses to the tables, TG0 = 4 KiB, PS = 32 bits, bit 31 RES1. */
    WRITE_SYSREG(vtcr_el2, (1ull << 31) | (0ull << 16) | (0ull << 14) | (1ull << 6) | 32);

    vcpu_init(0, guest1_image, guest1_image_end);
    vcpu_init(1, guest2_image, guest2_image_end);
    for (int i = 0; i < NR_VCPUS; i++)
        hv_printf("minihv: g%u VMID %u: IPA 0x%08lx -> PA 0x%08lx, %lu MiB;"
                  " UART IPA 0x%08lx left unmapped\n",
                  vcpus[i].id, vcpus[i].id, GUEST_IPA_BASE, guest_pa[i], GUEST_RAM_SIZE >> 20,
                  VUART_IPA);
    __asm__ volatile("dsb ish; tlbi alle1; ic iallu; dsb ish; isb" ::: "memory");

    gic_init();
    slice_ticks = READ_SYSREG(cntfrq_el0) / 100; /* 10 ms */

    struct vcpu *cur = 0;
    while (!all_done()) {
        struct vcpu *v = (cur && cur->state == VCPU_RUNNABLE && !resched) ? cur
                                                                          : pick_next(cur);
        resched = 0;
        if (!v) {
            idle();
            continue;
        }
        cur = v;
        vcpu_load(v);
        /* The slice timer runs only while a guest that declared itself busy is on the CPU:
         * only a busy-waiting guest is preempted, so exit counts do not depend on speed. */
        if (v->busy)
            slice_timer_arm();
        uint64_t kind = vcpu_run(&v->regs);
        vcpu_save(v);
        if (kind == 1) {
            v->st.irq++;
            handle_phys_irq(v); /* acknowledges, then stops the timer */
        } else {
            slice_timer_stop(); /* also drops an expiry that raced with this exit */
            handle_sync(v);
        }
    }
    hv_printf("minihv: both guests done\n");
    for (int i = 0; i < NR_VCPUS; i++)
        print_stats(&vcpus[i]);
    hv_printf("minihv: PSCI SYSTEM_OFF\n");
    system_off();
}
