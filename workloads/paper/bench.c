/* Guest 1 of the paper build of minihv: the microbenchmarks of Dall et al. (ISCA 2016),
 * Table II, each PAPER_ITERS times, timed with the cycle counter PMCCNTR_EL0. It prints one
 * line per figure, "paper NAME sum=S n=N" (S the cycles summed over the N iterations), which
 * scripts/paper reads; docs/paper.md says what each one measures. */
#include "guest.h"
#include "paper.h"

/* Set by the IRQ handler: PMCCNTR_EL0 on entry, the INTID and the cycles of its
 * acknowledge + end of interrupt. */
static volatile uint64_t irq_recv, irq_complete;
static volatile uint32_t irq_intid;
static uint64_t empty; /* op_empty: the window around nothing */

/* Replaces the minihv runtime's handler (guest_rt.c): the first thing it does is read the
 * cycle counter, then it completes the interrupt through the virtual CPU interface. */
void guest_irq(void);
void guest_irq(void)
{
    irq_recv = READ_SYSREG(pmccntr_el0);
    uint32_t intid;
    irq_complete = op_virq_complete(&intid) - empty;
    irq_intid = intid;
}

/* PMUv3 (Arm ARM D13): the cycle counter on (PMCR_EL0.E, PMCNTENSET_EL0.C), counting at
 * EL2 as well as EL1 (PMCCFILTR_EL0.NSH), so that a window across a VM exit includes the
 * hypervisor's cycles as it does on hardware where EL2 time is not filtered out. */
static void pmu_init(void)
{
    WRITE_SYSREG(pmccfiltr_el0, 1ull << 27);
    WRITE_SYSREG(pmcntenset_el0, 1ull << 31);
    WRITE_SYSREG(pmcr_el0, READ_SYSREG(pmcr_el0) | 1);
    ISB();
}

static void report(const char *name, uint64_t sum)
{
    gprintf("paper %s sum=%lu n=%u\n", name, (unsigned long)sum, PAPER_ITERS);
}

static void bench_window(const char *name, uint64_t (*op)(void))
{
    uint64_t sum = 0;
    for (int i = 0; i < PAPER_ITERS; i++)
        sum += op() - empty;
    report(name, sum);
}

/* Sent -> received: from before the MSR of ICC_SGI1R_EL1 to the handler's first read. */
static void bench_vipi(void)
{
    uint64_t sum = 0, complete = 0;
    uint64_t sgi1r = (0ull << 24) | (1ull << (READ_SYSREG(mpidr_el1) & 0xff)); /* SGI 0 */
    for (int i = 0; i < PAPER_ITERS; i++) {
        irq_recv = 0;
        uint64_t sent = op_sgi_self(sgi1r);
        if (!irq_recv || irq_intid != 0)
            gprintf("paper: virtual IPI not received (INTID %u)\n", irq_intid);
        sum += irq_recv - sent;
        complete += irq_complete;
    }
    report("vipi", sum);
    report("virq_complete", complete);
}

/* Out: the store until minihv's device model sees it; in: the device raising its
 * interrupt until the handler runs; round trip: the store until the handler runs. */
static void bench_io(void)
{
    uint64_t out = 0, in = 0, rt = 0;
    for (int i = 0; i < PAPER_ITERS; i++) {
        irq_recv = 0;
        uint64_t sent = op_doorbell();
        if (!irq_recv || irq_intid != DOORBELL_INTID)
            gprintf("paper: doorbell interrupt not received (INTID %u)\n", irq_intid);
        uint64_t seen = mmio_ldr64(VDOORBELL_IPA + DOORBELL_SEEN);
        uint64_t raised = mmio_ldr64(VDOORBELL_IPA + DOORBELL_RAISED);
        out += seen - sent;
        in += irq_recv - raised;
        rt += irq_recv - sent;
    }
    report("io_out", out);
    report("io_in", in);
    report("io_roundtrip", rt);
}

int guest_main(void)
{
    pmu_init();
    empty = op_empty();
    /* VM switch first: the partner (guest 2) starts on the warm-up yield, answers each
     * timed one and finishes before this guest's console lines need its turns. */
    op_yield();
    bench_window("vm_switch_roundtrip", op_yield);
    bench_window("hypercall", op_hvc);
    bench_window("gic_trap", op_gicd_read);
    gic_vcpu_init();
    bench_vipi();
    bench_io();
    gprintf("paper empty window %lu cycles\n", (unsigned long)empty);
    return 0;
}
