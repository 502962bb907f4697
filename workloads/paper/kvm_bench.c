/* The KVM column of make paper: the benchmarks of bench.c that a single-vCPU guest of the
 * project's VMM can run (hypercall, interrupt-controller trap, virtual IPI, virtual IRQ
 * completion, I/O out), in an arm64 Image that workloads/kvm-vmm/vmm.c loads in place of
 * Linux (kvm_start.S), and, built for Xen's guest layout, the Xen column as a dom0less domU.
 * Timed with the virtual counter CNTVCT_EL0: the VMM gives its guest no PMU, KVM's virtual
 * one is host perf events that never count EL2 within a guest (Xen's domU is timed the
 * same way). It prints "paper NAME ticks=S n=N" (counter ticks summed over N iterations),
 * the counter's frequency and "paper done"; scripts/paper turns ticks into cycles with
 * hvsim's clock. */
#include "abi.h"
#include "fmt.h"
#include "paper.h"

/* The VMM's layout (QEMU's virt); the Xen build (xen-bench.img) gives Xen's guest layout
 * (xen/include/public/arch-arm.h: GUEST_PL011_BASE, GUEST_GICV3_GICD_BASE, ..._GICR0_BASE). */
#ifndef UART_BASE
#define UART_BASE 0x09000000ul
#define GICD_BASE 0x08000000ul
#define GICR_BASE 0x080a0000ul                /* RD_base of vCPU 0 */
#endif
#define GICR_SGI_BASE (GICR_BASE + 0x10000ul)
#define KVM_ITERS 64 /* the counter ticks every 16 cycles: more iterations than minihv's */

static inline void w32(uint64_t a, uint32_t v)
{
    *(volatile uint32_t *)a = v;
}
static inline uint32_t r32(uint64_t a)
{
    return *(volatile uint32_t *)a;
}

/* The VMM's PL011: each byte one MMIO exit to the VMM, which writes it to its stdout. */
static void uart_putc(char c)
{
    w32(UART_BASE, (uint8_t)c);
}

static void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fmt_vprintf(uart_putc, fmt, ap);
    va_end(ap);
}

static volatile uint64_t irq_recv, irq_complete;
static volatile uint32_t irq_intid;

void guest_irq(void);
void guest_irq(void)
{
    irq_recv = READ_SYSREG(cntvct_el0);
    uint32_t intid;
    irq_complete = op_virq_complete(&intid);
    irq_intid = intid;
}

void guest_bad_vector(uint64_t idx);
void guest_bad_vector(uint64_t idx)
{
    kprintf("paper: unexpected exception: vector %lu ESR_EL1 %#lx ELR_EL1 %#lx\n",
            (unsigned long)idx, READ_SYSREG(esr_el1), READ_SYSREG(elr_el1));
    register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF_FN;
    __asm__ volatile("hvc #0" : "+r"(x0)::"memory");
    for (;;)
        ;
}

/* KVM's vGICv3 as Linux would set it up for SGI 0 (GIC spec, GICD_CTLR, GICR_WAKER,
 * GICR_IGROUPR0, GICR_ISENABLER0), then the CPU interface: with HCR_EL2.IMO, which KVM
 * sets, ICC_* at EL1 are the ICV_* registers. */
static void gic_init(void)
{
    w32(GICD_BASE, (1u << 4) | (1u << 1)); /* ARE, EnableGrp1 */
    w32(GICR_BASE + 0x14, r32(GICR_BASE + 0x14) & ~(1u << 1));
    while (r32(GICR_BASE + 0x14) & (1u << 2))
        ;
    w32(GICR_SGI_BASE + 0x80, ~0u);
    w32(GICR_SGI_BASE + 0x100, 1u);
    WRITE_SYSREG(icc_sre_el1, READ_SYSREG(icc_sre_el1) | 1);
    ISB();
    WRITE_SYSREG(icc_pmr_el1, 0xff);
    WRITE_SYSREG(icc_igrpen1_el1, 1);
    ISB();
    __asm__ volatile("msr daifclr, #2" ::: "memory");
}

static void report(const char *name, uint64_t sum)
{
    kprintf("paper %s ticks=%lu n=%u\n", name, (unsigned long)sum, KVM_ITERS);
}

static void bench_window(const char *name, uint64_t (*op)(void))
{
    uint64_t sum = 0;
    for (int i = 0; i < KVM_ITERS; i++)
        sum += op();
    report(name, sum);
}

static void bench_vipi(void)
{
    uint64_t sum = 0, complete = 0;
    uint64_t sgi1r = 1ull << (READ_SYSREG(mpidr_el1) & 0xf); /* SGI 0 to this vCPU */
    for (int i = 0; i < KVM_ITERS; i++) {
        irq_recv = 0;
        uint64_t sent = op_sgi_self(sgi1r);
        if (!irq_recv || irq_intid != 0)
            kprintf("paper: virtual IPI not received (INTID %u)\n", irq_intid);
        sum += irq_recv - sent;
        complete += irq_complete;
    }
    report("vipi", sum);
    report("virq_complete", complete);
}

/* I/O out: a store to the PL011's UARTIMSC, which KVM hands to the VMM (KVM_EXIT_MMIO);
 * the guest sees the round trip, the VMM has no clock of the guest's to stamp with. */
static void bench_io(void)
{
    uint64_t sum = 0;
    for (int i = 0; i < KVM_ITERS; i++) {
        uint64_t sent = op_doorbell();
        ISB();
        sum += READ_SYSREG(cntvct_el0) - sent;
    }
    report("io_out_roundtrip", sum);
}

int guest_main(void);
int guest_main(void)
{
    kprintf("paper cntfrq %lu\n", (unsigned long)READ_SYSREG(cntfrq_el0));
    bench_window("hypercall", op_hvc);
    bench_window("gic_trap", op_gicd_read);
    gic_init();
    bench_vipi();
    bench_io();
    kprintf("paper done\n"); /* the end for a script's wait-for: a Xen domU's power-off
                               * does not stop the machine */
    return 0;
}
