/* The PC's devices as a kernel without firmware finds them, against QEMU's pc board:
 * the ACPI tables (RSDP in the BIOS area, the MADT's local APICs, I/O APIC and IRQ 0
 * override, the FADT's SCI and PM ports), the CMOS memory-size bytes and the RTC's date,
 * the PIT's IRQ 0 through the I/O APIC's pin 2, and the 16550's THR-empty interrupt through
 * pin 4, the RTC's periodic and update-ended interrupts through pin 8, then IRQ 0 through
 * the 8259 (remapped to 0x20, in virtual-wire mode: its INTR on LINT0 as ExtINT), with the
 * I/O APIC's pin masked. The 8259s are masked until then. Exits
 * through isa-debug-exit with 0 when the interrupts came as they should. */
#include "lib/x86.h"

#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define IOAPIC ((volatile uint32_t *)0xfec00000UL)
#define COM1 0x3f8

void x86_main(uint32_t magic, uint32_t info);
void on_pit(void);
void on_uart(void);
void on_spurious(void);
void on_pic(void);
void on_rtc(void);

static volatile unsigned pit_irqs, uart_irqs, uart_iir_bad, pic_irqs, rtc_pf, rtc_uf;

void on_pit(void)
{
    pit_irqs++;
    lapic_write(LAPIC_EOI, 0);
}

void on_uart(void)
{
    uint8_t iir = inb(COM1 + 2);      /* THR empty: reading IIR clears it */
    if ((iir & 0x0f) != 0x02)
        uart_iir_bad++;
    uart_irqs++;
    lapic_write(LAPIC_EOI, 0);
}

void on_pic(void)
{
    pic_irqs++;
    outb(0x20, 0x20);                 /* non-specific EOI to the 8259 */
}

void on_rtc(void)
{
    outb(0x70, 0x0c);                 /* register C: the flags, cleared by the read */
    uint8_t c = inb(0x71);
    if (c & 0x40)
        rtc_pf++;
    if (c & 0x10)
        rtc_uf++;
    lapic_write(LAPIC_EOI, 0);
}

void on_spurious(void)
{
}

ISR_STUB(isr_pit, on_pit);
ISR_STUB(isr_uart, on_uart);
ISR_STUB(isr_spurious, on_spurious);
ISR_STUB(isr_pic, on_pic);
ISR_STUB(isr_rtc, on_rtc);

static void ioapic_route(unsigned pin, uint32_t low)
{
    IOAPIC[0] = 0x10 + 2 * pin + 1;
    IOAPIC[4] = 0;                    /* destination: APIC 0 */
    IOAPIC[0] = 0x10 + 2 * pin;
    IOAPIC[4] = low;
}

static uint8_t sum(const uint8_t *p, uint32_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

static uint32_t rd32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void acpi(void)
{
    const uint8_t *rsdp = 0;
    for (uint64_t a = 0xe0000; a < 0x100000; a += 16) {
        const uint8_t *p = (const uint8_t *)a;
        if (rd32(p) == 0x20445352 && rd32(p + 4) == 0x20525450 && !sum(p, 20)) {   /* "RSD PTR " */
            rsdp = p;
            break;
        }
    }
    if (!rsdp) {
        puts_("acpi: no RSDP\n");
        return;
    }
    /* the RSDT, which every revision has */
    const uint8_t *rsdt = (const uint8_t *)(uint64_t)rd32(rsdp + 16);
    puts_("acpi: rsdt checksum ");
    puts_(sum(rsdt, rd32(rsdt + 4)) ? "bad\n" : "ok\n");
    for (uint32_t i = 36; i < rd32(rsdt + 4); i += 4) {
        const uint8_t *t = (const uint8_t *)(uint64_t)rd32(rsdt + i);
        uint32_t len = rd32(t + 4);
        if (sum(t, len)) {
            puts_("acpi: a table with a bad checksum\n");
            continue;
        }
        if (rd32(t) == 0x43495041) {          /* "APIC" */
            unsigned lapics = 0;
            puts_("madt: lapic at ");
            put_hex(rd32(t + 36));
            puts_(", pcat ");
            put_dec(rd32(t + 40) & 1);
            putc_('\n');
            for (uint32_t o = 44; o + 2 <= len && t[o + 1]; o += t[o + 1]) {
                if (t[o] == 0 && (rd32(t + o + 4) & 1))
                    lapics++;
                if (t[o] == 1) {
                    puts_("madt: ioapic at ");
                    put_hex(rd32(t + o + 4));
                    puts_(" gsi base ");
                    put_dec(rd32(t + o + 8));
                    putc_('\n');
                }
                if (t[o] == 2 && t[o + 3] == 0) {
                    puts_("madt: irq 0 -> gsi ");
                    put_dec(rd32(t + o + 4));
                    putc_('\n');
                }
            }
            puts_("madt: enabled lapics ");
            put_dec(lapics);
            putc_('\n');
        }
        if (rd32(t) == 0x50434146) {          /* "FACP" */
            puts_("fadt: sci ");
            put_dec(t[46] | t[47] << 8);
            puts_(", pm1a_evt ");
            put_hex(rd32(t + 56));
            puts_(", pm1a_cnt ");
            put_hex(rd32(t + 64));
            puts_(", pm_tmr ");
            put_hex(rd32(t + 76));
            puts_(", century ");
            put_hex(t[108]);
            putc_('\n');
            const uint8_t *dsdt = (const uint8_t *)(uint64_t)rd32(t + 40);
            puts_("dsdt: checksum ");
            puts_(sum(dsdt, rd32(dsdt + 4)) ? "bad\n" : "ok\n");
        }
    }
}

static uint8_t cmos(uint8_t i)
{
    outb(0x70, i);
    return inb(0x71);
}

static void put2(uint8_t bcd)
{
    putc_((char)('0' + (bcd >> 4)));
    putc_((char)('0' + (bcd & 15)));
}

static void rtc(void)
{
    static const uint8_t bytes[] = { 0x15, 0x16, 0x17, 0x18, 0x30, 0x31, 0x34, 0x35, 0x5f };
    puts_("cmos:");
    for (unsigned i = 0; i < sizeof bytes; i++) {
        putc_(' ');
        put_hex(cmos(bytes[i]));
    }
    puts_("\nrtc: register b ");
    put_hex(cmos(0x0b));
    puts_(", date ");
    put2(cmos(0x32));
    put2(cmos(0x09));
    putc_('-');
    put2(cmos(0x08));
    putc_('-');
    put2(cmos(0x07));
    putc_('\n');
}

void x86_main(uint32_t magic, uint32_t info)
{
    (void)magic, (void)info;
    puts_("pc devices on x86-64\n");
    outb(0x21, 0xff);                 /* mask both 8259s */
    outb(0xa1, 0xff);
    acpi();
    rtc();

    idt_set_gate(0x50, isr_pit);
    idt_set_gate(0x54, isr_uart);
    idt_set_gate(0xff, isr_spurious);
    idt_init();
    lapic_write(LAPIC_SVR, 0x1ff);

    /* PIT channel 0, rate generator, 1193 counts (1 kHz), IRQ 0 on I/O APIC pin 2 */
    ioapic_route(2, 0x50);            /* edge, active high, fixed, physical, unmasked */
    outb(0x43, 0x34);
    outb(0x40, 1193 & 0xff);
    outb(0x40, 1193 >> 8);
    __asm__ volatile("sti");
    while (pit_irqs < 5)
        __asm__ volatile("hlt");
    __asm__ volatile("cli");
    ioapic_route(2, 0x10050);         /* masked */
    puts_("pit: irq 0 through the ioapic ");
    puts_(pit_irqs >= 5 ? "ok\n" : "WRONG\n");

    /* the 16550's THR-empty interrupt on pin 4: one when enabled, one per character */
    ioapic_route(4, 0x54);
    outb(COM1 + 1, 0x02);
    __asm__ volatile("sti; nop; cli");
    outb(COM1, '.');
    __asm__ volatile("sti; nop; cli");
    outb(COM1 + 1, 0x00);
    ioapic_route(4, 0x10054);
    puts_("\nuart: thr-empty interrupts ");
    put_dec(uart_irqs);
    puts_(uart_iir_bad ? " (IIR WRONG)\n" : "\n");

    /* the RTC: 1024 Hz periodic interrupts, then the update-ended one, on pin 8 */
    idt_set_gate(0x58, isr_rtc);
    ioapic_route(8, 0x58);
    outb(0x70, 0x0a);
    outb(0x71, 0x26);
    outb(0x70, 0x0b);
    outb(0x71, 0x42);                 /* PIE, 24 hours */
    __asm__ volatile("sti");
    while (rtc_pf < 3)
        __asm__ volatile("hlt");
    outb(0x70, 0x0b);
    outb(0x71, 0x12);                 /* UIE only */
    while (rtc_uf < 1)
        __asm__ volatile("hlt");
    __asm__ volatile("cli");
    outb(0x70, 0x0b);
    outb(0x71, 0x02);
    ioapic_route(8, 0x10058);
    puts_("rtc: periodic interrupts ");
    puts_(rtc_pf >= 3 ? "ok" : "WRONG");
    puts_(", update-ended ");
    puts_(rtc_uf >= 1 ? "ok\n" : "WRONG\n");

    /* the 8259 in virtual-wire mode: ICW1-4 (vectors 0x20 and 0x28), only IRQ 0 unmasked,
     * LINT0 as ExtINT */
    idt_set_gate(0x20, isr_pic);
    outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01);
    outb(0xa0, 0x11); outb(0xa1, 0x28); outb(0xa1, 0x02); outb(0xa1, 0x01);
    outb(0xa1, 0xff);
    outb(0x21, 0xfe);
    lapic_write(0x350, 0x700);        /* LVT LINT0: ExtINT, unmasked */
    __asm__ volatile("sti");
    while (pic_irqs < 3)
        __asm__ volatile("hlt");
    __asm__ volatile("cli");
    outb(0x21, 0xff);
    outb(0x20, 0x0b);                 /* OCW3: read ISR */
    puts_("pic: irq 0 through the 8259 ");
    puts_(pic_irqs >= 3 ? "ok" : "WRONG");
    puts_(", isr ");
    put_hex(inb(0x20));
    puts_(", imr ");
    put_hex(inb(0x21));
    putc_('\n');
    puts_("bye\n");
    debug_exit(pit_irqs >= 5 && uart_irqs == 2 && !uart_iir_bad && pic_irqs >= 3 && rtc_pf >= 3 &&
               rtc_uf >= 1 ? 0 : 1);
}
