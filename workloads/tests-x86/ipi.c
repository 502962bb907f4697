/* Interrupts between cores: the application processors (lib/ap.c) load the IDT, enable
 * their local APICs with a flat logical ID (LDR bit = APIC ID) and wait in HLT. The boot
 * core sends a fixed IPI to each by physical destination, one to all but itself, one to a
 * logical set (APICs 1 and 3), and an NMI to APIC 2, whose handler answers with a fixed IPI
 * back to APIC 0. Each core counts what it received; the boot core prints the counts and
 * exits through isa-debug-exit with 0 when they are what they should be. */
#include "lib/x86.h"

#define LAPIC_ID 0x20
#define LAPIC_EOI 0xb0
#define LAPIC_LDR 0xd0
#define LAPIC_SVR 0xf0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define MAX_ID 8

void x86_main(uint32_t magic, uint32_t info);
void on_ipi(void);
void on_nmi(void);
void on_reply(void);
void on_spurious(void);

static volatile unsigned counts[MAX_ID], nmis[MAX_ID], replies, ready;

static unsigned my_id(void)
{
    return lapic_read(LAPIC_ID) >> 24;
}

static void send(uint32_t dest, uint32_t lo)
{
    lapic_write(LAPIC_ICR_HI, dest << 24);
    lapic_write(LAPIC_ICR_LO, lo);
}

void on_ipi(void)
{
    unsigned id = my_id();
    if (id < MAX_ID)
        counts[id]++;
    lapic_write(LAPIC_EOI, 0);
}

void on_nmi(void)
{
    unsigned id = my_id();
    if (id < MAX_ID)
        nmis[id]++;
    send(0, 0x4000 | 0x41);           /* answer the boot core */
}

void on_reply(void)
{
    replies++;
    lapic_write(LAPIC_EOI, 0);
}

void on_spurious(void)
{
}

ISR_STUB(isr_ipi, on_ipi);
ISR_STUB(isr_nmi, on_nmi);
ISR_STUB(isr_reply, on_reply);
ISR_STUB(isr_spurious, on_spurious);

static void ap_wait(unsigned slot)
{
    (void)slot;
    idt_init();
    lapic_write(LAPIC_SVR, 0x1ff);
    lapic_write(LAPIC_LDR, 1u << (24 + my_id()));
    __atomic_fetch_add(&ready, 1, __ATOMIC_SEQ_CST);
    for (;;)
        __asm__ volatile("sti; hlt");
}

/* Waits up to 20 ms for *v to reach want. */
static void wait_for(volatile unsigned *v, unsigned want)
{
    for (unsigned i = 0; *v < want && i < 2000; i++)
        delay_us(10);
}

static void print_counts(const char *what, unsigned ncpus)
{
    puts_(what);
    puts_(":");
    for (unsigned id = 1; id < ncpus && id < MAX_ID; id++) {
        putc_(' ');
        put_dec(counts[id]);
    }
    putc_('\n');
}

void x86_main(uint32_t magic, uint32_t info)
{
    (void)magic, (void)info;
    puts_("ipis between cores on x86-64\n");
    outb(0x21, 0xff);                 /* mask both 8259s (the firmware leaves IRQ 0 on) */
    outb(0xa1, 0xff);
    unsigned ncpus = (unsigned)fw_cfg_read(0x05, 2);
    idt_set_gate(2, isr_nmi);
    idt_set_gate(0x40, isr_ipi);
    idt_set_gate(0x41, isr_reply);
    idt_set_gate(0xff, isr_spurious);
    idt_init();
    unsigned started = start_aps(ncpus - 1, ap_wait);
    wait_for(&ready, ncpus - 1);
    puts_("ready: ");
    put_dec(ready);
    putc_('\n');
    bool ok = ncpus >= 4 && started == ncpus - 1 && ready == ncpus - 1;

    for (unsigned id = 1; id < ncpus; id++) {
        send(id, 0x4000 | 0x40);      /* fixed, physical */
        wait_for(&counts[id], 1);
    }
    print_counts("physical", ncpus);

    send(0, (3u << 18) | 0x4000 | 0x40);   /* all but self */
    for (unsigned id = 1; id < ncpus; id++)
        wait_for(&counts[id], 2);
    print_counts("all but self", ncpus);

    send(0x0a, 0x800 | 0x4000 | 0x40);   /* logical, flat: APICs 1 and 3 */
    wait_for(&counts[1], 3);
    wait_for(&counts[3], 3);
    print_counts("logical 1 and 3", ncpus);

    __asm__ volatile("sti");
    send(2, 0x4000 | 0x400);          /* NMI to APIC 2 */
    wait_for(&replies, 1);
    __asm__ volatile("cli");
    puts_("nmi to 2: ");
    put_dec(nmis[2]);
    puts_(", replies to 0: ");
    put_dec(replies);
    putc_('\n');

    for (unsigned id = 1; id < ncpus; id++)
        ok = ok && counts[id] == (id == 1 || id == 3 ? 3u : 2u);
    ok = ok && nmis[2] == 1 && replies == 1;
    puts_("bye\n");
    debug_exit(ok ? 0 : 1);
}
