/* Runtime of the minihv guests: console, virtual interrupts, ticks. */
#include "guest.h"

int console_word;
volatile unsigned ticks, last_intid;

static void gputc(char c)
{
    /* One store to UARTDR per byte; the UART is an emulated PL011 that is never full. */
    if (console_word)
        mmio_str32(VUART_IPA, (uint8_t)c);
    else
        __asm__ volatile("strb %w0, [%1]" ::"r"(c), "r"(VUART_IPA) : "memory");
}

void gprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fmt_vprintf(gputc, fmt, ap);
    va_end(ap);
}

void gic_vcpu_init(void)
{
    /* With HCR_EL2.IMO = 1 these EL1 accesses reach the virtual CPU interface: ICV_PMR_EL1
     * and ICV_IGRPEN1_EL1 are fields of ICH_VMCR_EL2 (GIC spec, "Virtual CPU interface"). */
    WRITE_SYSREG(icc_sre_el1, READ_SYSREG(icc_sre_el1) | 1);
    ISB();
    WRITE_SYSREG(icc_pmr_el1, 0xff);
    WRITE_SYSREG(icc_igrpen1_el1, 1);
    ISB();
    __asm__ volatile("msr daifclr, #2" ::: "memory");
}

/* IRQ handler: acknowledge with ICC_IAR1_EL1 (ICV_IAR1_EL1: the list register goes from
 * pending to active), count the tick, end it with ICC_EOIR1_EL1 (priority drop and
 * deactivation, the list register becomes invalid). Weak: the benchmark guest of
 * workloads/paper/ times its interrupts with a handler of its own. */
void guest_irq(void);
__attribute__((weak)) void guest_irq(void)
{
    uint32_t intid = (uint32_t)READ_SYSREG(icc_iar1_el1);
    if (intid >= 1020)
        return; /* spurious */
    last_intid = intid;
    if (intid == TICK_INTID)
        ticks++;
    WRITE_SYSREG(icc_eoir1_el1, intid);
    ISB();
}

void wait_ticks(unsigned n)
{
    unsigned target = ticks + n, seen = ticks;
    while (ticks < target) {
        /* Trapped by HCR_EL2.TWI: minihv resumes the guest after the next tick, which is
         * taken as soon as the WFI has completed. */
        __asm__ volatile("wfi" ::: "memory");
        while (seen < ticks)
            gprintf("tick %u (INTID %u) after WFI\n", ++seen, last_intid);
    }
}

void busy_ticks(unsigned n)
{
    unsigned target = ticks + n;
    hypercall(HC_BUSY, 1, 0);
    while (ticks < target)
        ;
    hypercall(HC_BUSY, 0, 0);
}

void guest_bad_vector(uint64_t idx);
void guest_bad_vector(uint64_t idx)
{
    gprintf("unexpected exception: vector %lu ESR_EL1 %#lx ELR_EL1 %#lx FAR_EL1 %#lx\n",
            (unsigned long)idx, READ_SYSREG(esr_el1), READ_SYSREG(elr_el1),
            READ_SYSREG(far_el1));
    hypercall(HC_DONE, 255, 0);
    for (;;)
        ;
}
