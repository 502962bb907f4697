/* The GICv2 virtualization extension (IHI 0048B chapter 5) of `-M
 * virt,gic-version=2,virtualization=on`: a small EL2 program injects virtual interrupts
 * through the GICH list registers and an EL1 guest takes them through the virtual CPU
 * interface GICV, as a hypervisor's guest does through the GICC addresses it is given.
 * Stage 2 is off here, so the guest reaches GICV at its physical address.
 *  1. a virtual interrupt with the EOI bit: the guest's GICV_EOIR raises the maintenance
 *     interrupt (PPI 25, GICH_MISR.EOI, GICH_EISR0) at EL2, which frees the list register;
 *  2. a hardware interrupt: the physical SPI acknowledged at EL2 (EOImode 1: priority drop
 *     only) and forwarded with GICH_LR.HW; the guest's EOI deactivates the physical SPI;
 *  3. a virtual SGI reports its source core (GICV_IAR[12:10]);
 *  4. an EOI that drops a priority but matches no list register counts in GICH_HCR.EOICount,
 *     a maintenance interrupt with LRENPIE;
 *  5. underflow and no-pending conditions in GICH_MISR. */
#include "lib.h"

#define GICD 0x08000000ULL
#define GICC 0x08010000ULL
#define GICH 0x08030000ULL
#define GICV 0x08040000ULL
enum { C_CTLR = 0x00, C_PMR = 0x04, C_IAR = 0x0c, C_EOIR = 0x10, C_RPR = 0x14, C_DIR = 0x1000 };
enum { H_HCR = 0x00, H_VTR = 0x04, H_VMCR = 0x08, H_MISR = 0x10, H_EISR = 0x20, H_ELRSR = 0x30,
       H_LR0 = 0x100 };
#define LR_PENDING (1u << 28)
#define LR_HW (1u << 31)
#define LR_EOI (1u << 19)
#define LR_PRIO(p) ((uint32_t)(p) >> 3 << 23)
#define LR_PID(n) ((uint32_t)(n) << 10)
#define HCR_EN 1u
#define HCR_UIE 2u
#define HCR_LRENPIE 4u
#define HCR_NPIE 8u

static inline void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline void w8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }

static uint64_t el1_stack[1024] __attribute__((aligned(16)));

/* what the guest saw */
static volatile uint32_t g_iar[8], g_rpr[8], g_n;
/* what EL2 saw */
static volatile uint32_t h_intid[8], h_misr[8], h_eisr[8], h_elrsr[8], h_active[8], h_n;
static volatile uint32_t extra_eoi;          /* the guest EOIs an interrupt no LR holds */

static void guest(void)
{
    w32(GICV + C_PMR, 0xf8);
    w32(GICV + C_CTLR, 1);                   /* virtual Group 0 on */
    uint32_t want = g_n + 1;
    __asm__ volatile("msr daifclr, #2\n isb");
    while (g_n < want)
        __asm__ volatile("wfi");
    __asm__ volatile("msr daifset, #2\n hvc #0xfe");
}

static void on_irq_el1(void)
{
    uint32_t iar = r32(GICV + C_IAR);
    if ((iar & 0x3ff) >= 1020)
        return;
    if (g_n < ARRAY_SIZE(g_iar)) {
        g_iar[g_n] = iar;
        g_rpr[g_n] = r32(GICV + C_RPR);
    }
    /* step 4 EOIs another vINTID: the priority drops, no list register matches */
    w32(GICV + C_EOIR, extra_eoi ? extra_eoi : iar);
    g_n++;
}

/* Physical interrupts at EL2: the maintenance interrupt and the SPI to forward. */
static void on_irq_el2(void)
{
    uint32_t iar = r32(GICC + C_IAR);
    unsigned intid = iar & 0x3ff;
    if (intid >= 1020)
        return;
    unsigned i = h_n < ARRAY_SIZE(h_intid) ? h_n : ARRAY_SIZE(h_intid) - 1;
    h_intid[i] = intid;
    w32(GICC + C_EOIR, iar);                 /* EOImode 1: priority drop only */
    if (intid == 25) {
        h_misr[i] = r32(GICH + H_MISR);
        h_eisr[i] = r32(GICH + H_EISR);
        w32(GICH + H_LR0, 0);                /* free the list register */
        w32(GICH + H_HCR, HCR_EN | HCR_LRENPIE);   /* and zero EOICount */
        h_elrsr[i] = r32(GICH + H_ELRSR);
        w32(GICC + C_DIR, iar);
    } else if (intid == 48) {
        /* forward as vINTID 60; the guest's EOI deactivates 48 */
        w32(GICH + H_LR0, LR_HW | LR_PID(48) | LR_PENDING | LR_PRIO(0x80) | 60);
        h_active[i] = (r32(GICD + 0x304) >> (48 - 32)) & 1;
    }
    h_n++;
}

static void on_trap(struct trap_frame *f, unsigned vec)
{
    (void)f;
    struct trap_info t;
    if ((vec & 3) == 1) {
        if (current_el() == 2)
            on_irq_el2();
        else
            on_irq_el1();
        return;
    }
    trap_info(&t);
    if (current_el() == 2 && (t.esr >> 26) == 0x16 && (t.esr & 0xffff) == 0xfe) {
        trap_back_to_caller();
        return;
    }
    printf("unexpected exception at EL%u vec %u ESR 0x%llx ELR 0x%llx\n", current_el(), vec,
           (unsigned long long)t.esr, (unsigned long long)t.elr);
    system_off();
}

static void run_guest(void)
{
    run_lower(guest, 0x3c5, (uint64_t)&el1_stack[1024]);
}

static void show_guest(const char *what, uint32_t from)
{
    printf("%s: guest acknowledged", what);
    for (uint32_t i = from; i < g_n; i++)
        printf(" %u/cpu%u (GICV_RPR 0x%x)", g_iar[i] & 0x3ff, (g_iar[i] >> 10) & 7, g_rpr[i]);
    printf("\n");
}

int main(void)
{
    if (current_el() != 2) {
        printf("gicv2_virt needs EL2 (virtualization=on)\n");
        return 0;
    }
    printf("gicv2_virt at EL2\n");
    trap_install(on_trap);
    w32(GICD + 0x000, 1);
    w32(GICD + 0x100, (1u << 25) | 0xffffu);         /* maintenance PPI and SGIs */
    w8(GICD + 0x400 + 25, 0x80);
    w32(GICC + C_PMR, 0xf0);
    w32(GICC + C_CTLR, 1 | (1u << 9));               /* EnableGrp0, EOImode 1 */
    WRITE_SYSREG(hcr_el2, (1ULL << 31) | (1ULL << 4) | (1ULL << 3));   /* RW, IMO, FMO */
    printf("GICH_VTR 0x%08x, GICH_ELRSR0 0x%x\n", r32(GICH + H_VTR), r32(GICH + H_ELRSR));

    /* 1: vINTID 42 with the EOI bit */
    w32(GICH + H_HCR, HCR_EN);
    w32(GICH + H_LR0, LR_PENDING | LR_PRIO(0xa0) | LR_EOI | 42);
    printf("GICH_ELRSR0 with LR0 in use 0x%x\n", r32(GICH + H_ELRSR));
    run_guest();
    show_guest("virtual", 0);
    printf("GICV_CTLR in GICH_VMCR: 0x%x, VMPriMask 0x%x\n", r32(GICH + H_VMCR) & 0x21f,
           (r32(GICH + H_VMCR) >> 27) << 3);
    for (uint32_t i = 0; i < h_n; i++)
        printf("EL2 took %u: GICH_MISR 0x%x GICH_EISR0 0x%x, then GICH_ELRSR0 0x%x\n", h_intid[i],
               h_misr[i], h_eisr[i], h_elrsr[i]);

    /* 2: SPI 48 forwarded with HW = 1 as vINTID 60 */
    uint32_t g0 = g_n, h0 = h_n;
    w8(GICD + 0x400 + 48, 0x80);
    w8(GICD + 0x800 + 48, 1);
    w32(GICD + 0x104, 1u << (48 - 32));
    w32(GICD + 0x204, 1u << (48 - 32));              /* ISPENDR: taken at EL2 once in the guest */
    run_guest();
    for (uint32_t i = h0; i < h_n; i++)
        printf("EL2 took %u, forwarded it (active while the guest runs: %u)\n", h_intid[i], h_active[i]);
    show_guest("hardware", g0);
    printf("SPI 48 active after the guest's EOI: %u; GICH_ELRSR0 0x%x\n",
           (r32(GICD + 0x304) >> (48 - 32)) & 1, r32(GICH + H_ELRSR));

    /* 3: a virtual SGI from core 2 (GICH_LR.CPUID) */
    g0 = g_n;
    w32(GICH + H_LR0, LR_PENDING | LR_PRIO(0x90) | (2u << 10) | 3);
    run_guest();
    show_guest("virtual SGI", g0);

    /* 4: the guest acknowledges vINTID 33 and EOIs 77, which no list register holds:
     * EOICount, LRENP (EL2 frees LR0, still active, and zeroes the count) */
    g0 = g_n, h0 = h_n;
    w32(GICH + H_HCR, HCR_EN | HCR_LRENPIE);
    w32(GICH + H_LR0, LR_PENDING | LR_PRIO(0x90) | 33);
    extra_eoi = 77;
    run_guest();
    extra_eoi = 0;
    show_guest("EOIcount", g0);
    for (uint32_t i = h0; i < h_n; i++)
        printf("EL2 took %u: GICH_MISR 0x%x\n", h_intid[i], h_misr[i]);
    printf("GICH_HCR after EL2 cleared EOICount 0x%x\n", r32(GICH + H_HCR));

    /* 5: underflow (UIE, at most one valid list register) and no pending (NPIE) */
    w32(GICH + H_LR0, 0);
    w32(GICH + H_HCR, HCR_EN | HCR_UIE | HCR_NPIE);
    printf("GICH_MISR with no list register in use 0x%x\n", r32(GICH + H_MISR));
    w32(GICH + H_LR0, LR_PENDING | LR_PRIO(0x90) | 34);
    w32(GICH + 0x104, LR_PENDING | LR_PRIO(0x90) | 35);
    printf("GICH_MISR with two pending 0x%x\n", r32(GICH + H_MISR));
    w32(GICH + H_HCR, 0);
    printf("done\n");
    return 0;
}
