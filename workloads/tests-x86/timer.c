/* Interrupts through an IDT: a breakpoint exception (INT3), the local APIC timer in periodic
 * then one-shot mode, and a fixed IPI to self through the ICR, each counted by its handler;
 * the 8259s masked first (the firmware may have left IRQ 0 on). Exits through
 * isa-debug-exit with 0 when every count is what it should be. */
#include "lib/x86.h"

#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_ICR_LO 0x300
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0

void x86_main(uint32_t magic, uint32_t info);
void on_timer(void);
void on_ipi(void);
void on_bp(void);
void on_spurious(void);

static volatile unsigned ticks, ipis, bps;

void on_timer(void)
{
    ticks++;
    lapic_write(LAPIC_EOI, 0);
}

void on_ipi(void)
{
    ipis++;
    lapic_write(LAPIC_EOI, 0);
}

void on_bp(void)
{
    bps++;
}

void on_spurious(void)
{
}

ISR_STUB(isr_timer, on_timer);
ISR_STUB(isr_ipi, on_ipi);
ISR_STUB(isr_bp, on_bp);
ISR_STUB(isr_spurious, on_spurious);

static void check(const char *what, unsigned got, unsigned want)
{
    puts_(what);
    puts_(": ");
    put_dec(got);
    puts_(got == want ? " ok\n" : " WRONG\n");
    if (got != want)
        debug_exit(1);
}

void x86_main(uint32_t magic, uint32_t info)
{
    (void)magic, (void)info;
    puts_("interrupts on x86-64\n");
    outb(0x21, 0xff);                 /* mask both 8259s */
    outb(0xa1, 0xff);
    idt_set_gate(3, isr_bp);
    idt_set_gate(0x40, isr_timer);
    idt_set_gate(0x41, isr_ipi);
    idt_set_gate(0xff, isr_spurious);
    idt_init();

    __asm__ volatile("int3");
    check("breakpoints", bps, 1);

    lapic_write(LAPIC_SVR, 0x1ff);    /* enabled, spurious vector 0xff */
    lapic_write(LAPIC_TIMER_DIV, 0x3);   /* divide by 16 */
    lapic_write(LAPIC_LVT_TIMER, 0x20040);   /* periodic, vector 0x40 */
    lapic_write(LAPIC_TIMER_INIT, 20000);
    __asm__ volatile("sti");
    while (ticks < 5)
        __asm__ volatile("hlt");
    lapic_write(LAPIC_LVT_TIMER, 0x10040);   /* masked: no more ticks */
    __asm__ volatile("cli");
    check("periodic ticks", ticks >= 5, 1);

    ticks = 0;
    lapic_write(LAPIC_LVT_TIMER, 0x00040);   /* one-shot */
    lapic_write(LAPIC_TIMER_INIT, 5000);
    __asm__ volatile("sti");
    while (ticks < 1)
        __asm__ volatile("hlt");
    __asm__ volatile("cli");
    check("one-shot current count", lapic_read(LAPIC_TIMER_CUR), 0);
    check("one-shot ticks", ticks, 1);

    lapic_write(LAPIC_ICR_LO, (1u << 18) | 0x4000 | 0x41);   /* fixed, to self */
    __asm__ volatile("sti; nop; cli");
    check("self IPIs", ipis, 1);
    puts_("bye\n");
    debug_exit(0);
}
