/* The HPET as a kernel uses it: the capabilities (period, timers, legacy replacement), the
 * main counter running once enabled, timer 0 periodic in legacy replacement mode on IRQ 0
 * (the I/O APIC's pin 2, where the PIT was), and timer 2 one-shot, level-triggered, routed
 * to I/O APIC pin 2 (the one pin QEMU's pc offers) with its status bit held until cleared.
 * Exits through isa-debug-exit with 0 when the interrupts came as they should. */
#include "lib/x86.h"

#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define IOAPIC ((volatile uint32_t *)0xfec00000UL)
#define HPET ((volatile uint64_t *)0xfed00000UL)
#define HPET_CAP 0x00
#define HPET_CONF 0x02
#define HPET_ISR 0x04
#define HPET_COUNTER 0x1e
#define HPET_TN_CONF(n) (0x20 + 4 * (n))
#define HPET_TN_CMP(n) (0x21 + 4 * (n))

void x86_main(uint32_t magic, uint32_t info);
void on_t0(void);
void on_t2(void);
void on_spurious(void);

static volatile unsigned t0_irqs, t2_irqs, t2_isr_seen;

void on_t0(void)
{
    t0_irqs++;
    lapic_write(LAPIC_EOI, 0);
}

void on_t2(void)
{
    t2_irqs++;
    t2_isr_seen |= (unsigned)(HPET[HPET_ISR] >> 2) & 1;
    HPET[HPET_ISR] = 1u << 2;         /* clear the status: the line drops */
    lapic_write(LAPIC_EOI, 0);        /* level: the I/O APIC's remote IRR clears */
}

void on_spurious(void)
{
}

ISR_STUB(isr_t0, on_t0);
ISR_STUB(isr_t2, on_t2);
ISR_STUB(isr_spurious, on_spurious);

static void ioapic_route(unsigned pin, uint32_t low)
{
    IOAPIC[0] = 0x10 + 2 * pin + 1;
    IOAPIC[4] = 0;
    IOAPIC[0] = 0x10 + 2 * pin;
    IOAPIC[4] = low;
}

void x86_main(uint32_t magic, uint32_t info)
{
    (void)magic, (void)info;
    puts_("hpet on x86-64\n");
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    uint64_t cap = HPET[HPET_CAP];
    puts_("hpet: period ");
    put_dec(cap >> 32);
    puts_(" fs, timers ");
    put_dec(((cap >> 8) & 0x1f) + 1);
    puts_(", legacy ");
    put_dec((cap >> 15) & 1);
    puts_(", 64-bit ");
    put_dec((cap >> 13) & 1);
    puts_(", vendor ");
    put_hex((cap >> 16) & 0xffff);
    puts_("\nhpet: timer 2 routes ");
    put_hex(HPET[HPET_TN_CONF(2)] >> 32);
    putc_('\n');

    idt_set_gate(0x60, isr_t0);
    idt_set_gate(0x62, isr_t2);
    idt_set_gate(0xff, isr_spurious);
    idt_init();
    lapic_write(LAPIC_SVR, 0x1ff);

    HPET[HPET_CONF] = 0;
    HPET[HPET_COUNTER] = 0;
    uint64_t c0 = HPET[HPET_COUNTER];
    HPET[HPET_CONF] = 1;              /* enable */
    for (volatile int i = 0; i < 1000; i++)
        ;
    puts_("hpet: counter runs ");
    puts_(HPET[HPET_COUNTER] > c0 ? "yes\n" : "NO\n");

    /* timer 0: periodic every 100 us in legacy replacement mode (IRQ 0: pin 2) */
    ioapic_route(2, 0x60);
    HPET[HPET_CONF] = 0;
    HPET[HPET_TN_CONF(0)] = (1u << 2) | (1u << 3) | (1u << 6);   /* int, periodic, set value */
    HPET[HPET_TN_CMP(0)] = HPET[HPET_COUNTER] + 10000;
    HPET[HPET_TN_CMP(0)] = 10000;
    HPET[HPET_CONF] = 3;              /* enable, legacy replacement */
    __asm__ volatile("sti");
    while (t0_irqs < 3)
        __asm__ volatile("hlt");
    __asm__ volatile("cli");
    HPET[HPET_TN_CONF(0)] = 0;
    ioapic_route(2, 0x10060);
    puts_("hpet: timer 0 periodic on irq 0 ");
    puts_(t0_irqs >= 3 ? "ok\n" : "WRONG\n");

    /* timer 2: one-shot, level, pin 2 (legacy replacement off) */
    HPET[HPET_CONF] = 1;
    ioapic_route(2, 0x8000 | 0x62);   /* level, active high */
    HPET[HPET_TN_CONF(2)] = (2u << 9) | (1u << 2) | (1u << 1);
    HPET[HPET_TN_CMP(2)] = HPET[HPET_COUNTER] + 5000;
    __asm__ volatile("sti");
    while (t2_irqs < 1)
        __asm__ volatile("hlt");
    for (volatile int i = 0; i < 1000; i++)
        ;
    __asm__ volatile("cli");
    /* at least one: QEMU's TCG at times delivers this level interrupt twice (hvsim once,
     * which tests/unit/test_pc.c checks) */
    puts_("hpet: timer 2 level on pin 2: interrupted ");
    puts_(t2_irqs >= 1 ? "yes" : "NO");
    puts_(", status bit seen ");
    put_dec(t2_isr_seen);
    puts_(", status now ");
    put_dec((unsigned)HPET[HPET_ISR]);
    puts_("\nbye\n");
    debug_exit(t0_irqs >= 3 && t2_irqs >= 1 && t2_isr_seen ? 0 : 1);
}
