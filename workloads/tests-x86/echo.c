/* Serial input by interrupt: the 16550's received-data interrupt (FIFO on, trigger level 1)
 * through the I/O APIC's pin 4 fills a buffer; the main loop sleeps in HLT and echoes each
 * character in brackets, until 'q'. The host's input reaches the guest through
 * machine_input(), so a recorded run replays the same. */
#include "lib/x86.h"

#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define IOAPIC ((volatile uint32_t *)0xfec00000UL)
#define COM1 0x3f8

void x86_main(uint32_t magic, uint32_t info);
void on_uart(void);
void on_spurious(void);

static volatile char buf[256];
static volatile unsigned head, tail;

void on_uart(void)
{
    while (inb(COM1 + 5) & 1)         /* everything the FIFO holds */
        buf[head++ & 255] = (char)inb(COM1);
    lapic_write(LAPIC_EOI, 0);
}

void on_spurious(void)
{
}

ISR_STUB(isr_uart, on_uart);
ISR_STUB(isr_spurious, on_spurious);

void x86_main(uint32_t magic, uint32_t info)
{
    (void)magic, (void)info;
    outb(COM1 + 2, 0x07);             /* FIFO on and cleared (before anything arrives), trigger 1 */
    puts_("serial input on x86-64\n");
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    idt_set_gate(0x54, isr_uart);
    idt_set_gate(0xff, isr_spurious);
    idt_init();
    lapic_write(LAPIC_SVR, 0x1ff);
    IOAPIC[0] = 0x10 + 2 * 4 + 1;
    IOAPIC[4] = 0;
    IOAPIC[0] = 0x10 + 2 * 4;
    IOAPIC[4] = 0x54;                 /* edge, fixed, to APIC 0 */
    outb(COM1 + 4, 0x0b);             /* DTR, RTS, OUT2 */
    outb(COM1 + 1, 0x01);             /* received-data interrupt */
    for (;;) {
        __asm__ volatile("cli");
        if (tail == head) {
            __asm__ volatile("sti; hlt");
            continue;
        }
        __asm__ volatile("sti");
        char c = buf[tail++ & 255];
        if (c == '\n' || c == '\r')
            continue;
        putc_('[');
        putc_(c);
        puts_("]\n");
        if (c == 'q')
            break;
    }
    puts_("bye\n");
    debug_exit(0);
}
