/* SMP start-up as an operating system does it without firmware: the boot core copies a
 * real-mode trampoline to 0x8000, sends INIT and two start-up IPIs (vector 0x08) to all the
 * other cores; each goes from real mode through 32-bit protected mode to 64-bit mode on the
 * boot core's page tables, takes a stack, and records its APIC ID. The boot core prints how
 * many started and their IDs (only it prints, so the output does not depend on how the cores
 * interleave) and exits through isa-debug-exit with 0. */
#include "lib/x86.h"

#define LAPIC_ID 0x20
#define LAPIC_SVR 0xf0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0
#define TRAMPOLINE 0x8000
#define MAX_CPUS 8

void x86_main(uint32_t magic, uint32_t info);
void ap_main(unsigned slot);
void ap_entry64(void);
extern const uint8_t tramp_start[], tramp_end[];

static volatile unsigned started;
static volatile uint32_t ap_ids[MAX_CPUS];
uint8_t ap_stacks[MAX_CPUS][4096] __attribute__((aligned(16)));
volatile unsigned ap_next;

/* The trampoline: assembled here, run at TRAMPOLINE (addresses inside it are computed from
 * that); it ends by jumping to ap_entry64 in the kernel. */
__asm__(
    ".section .rodata\n"
    ".globl tramp_start, tramp_end\n"
    ".code16\n"
    "tramp_start:\n"
    "    cli\n"
    "    xorw %ax, %ax\n"
    "    movw %ax, %ds\n"
    "    lgdtl (tgdt_ptr - tramp_start + 0x8000)\n"
    "    movl %cr0, %eax\n"
    "    orl $1, %eax\n"
    "    movl %eax, %cr0\n"
    "    ljmpl $0x08, $(t32 - tramp_start + 0x8000)\n"
    ".code32\n"
    "t32:\n"
    "    movw $0x10, %ax\n"
    "    movw %ax, %ds\n"
    "    movw %ax, %es\n"
    "    movw %ax, %ss\n"
    "    movl $pml4, %eax\n"
    "    movl %eax, %cr3\n"
    "    movl %cr4, %eax\n"
    "    orl $0x20, %eax\n"
    "    movl %eax, %cr4\n"
    "    movl $0xc0000080, %ecx\n"
    "    rdmsr\n"
    "    orl $0x100, %eax\n"
    "    wrmsr\n"
    "    movl %cr0, %eax\n"
    "    orl $0x80000000, %eax\n"
    "    movl %eax, %cr0\n"
    "    ljmp $0x18, $(t64 - tramp_start + 0x8000)\n"
    ".code64\n"
    "t64:\n"
    "    movabsq $ap_entry64, %rax\n"
    "    jmp *%rax\n"
    "    .balign 8\n"
    "tgdt:\n"
    "    .quad 0\n"
    "    .quad 0x00cf9a000000ffff\n"   /* 0x08: 32-bit code */
    "    .quad 0x00cf92000000ffff\n"   /* 0x10: data */
    "    .quad 0x00af9a000000ffff\n"   /* 0x18: 64-bit code */
    "tgdt_ptr:\n"
    "    .word 31\n"
    "    .long tgdt - tramp_start + 0x8000\n"
    "tramp_end:\n"
    ".text\n"
    /* in the kernel: a stack slot by atomic increment, then C */
    ".globl ap_entry64\n"
    "ap_entry64:\n"
    "    movw $0x10, %ax\n"
    "    movw %ax, %ds\n"
    "    movw %ax, %es\n"
    "    movw %ax, %ss\n"
    "    movl $1, %edi\n"
    "    lock xaddl %edi, ap_next(%rip)\n"
    "    movq %rdi, %rax\n"
    "    addq $1, %rax\n"
    "    shlq $12, %rax\n"
    "    leaq ap_stacks(%rip), %rsp\n"
    "    addq %rax, %rsp\n"
    "    call ap_main\n"
    "1:  cli\n"
    "    hlt\n"
    "    jmp 1b\n");

void ap_main(unsigned slot)
{
    if (slot < MAX_CPUS)
        ap_ids[slot] = lapic_read(LAPIC_ID) >> 24;
    __atomic_fetch_add(&started, 1, __ATOMIC_SEQ_CST);
}

/* Waits about `us` microseconds of the LAPIC timer (1 GHz bus, divide by 16). */
static void delay_us(unsigned us)
{
    lapic_write(LAPIC_TIMER_DIV, 0x3);
    lapic_write(LAPIC_LVT_TIMER, 0x10000);   /* masked one-shot: polled */
    lapic_write(LAPIC_TIMER_INIT, us * 1000 / 16);
    while (lapic_read(LAPIC_TIMER_CUR))
        ;
}

static void ipi_all_but_self(uint32_t lo)
{
    lapic_write(LAPIC_ICR_HI, 0);
    lapic_write(LAPIC_ICR_LO, (3u << 18) | lo);
}

void x86_main(uint32_t magic, uint32_t info)
{
    (void)magic, (void)info;
    puts_("smp start-up on x86-64\n");
    unsigned ncpus = (unsigned)fw_cfg_read(0x05, 2);
    puts_("cpus: ");
    put_dec(ncpus);
    putc_('\n');
    volatile uint8_t *dst = (volatile uint8_t *)TRAMPOLINE;
    for (const uint8_t *p = tramp_start; p < tramp_end; p++)
        *dst++ = *p;
    lapic_write(LAPIC_SVR, 0x1ff);
    ipi_all_but_self(0x4500);                 /* INIT, assert */
    delay_us(1000);
    for (int i = 0; i < 2; i++) {
        ipi_all_but_self(0x4600 | (TRAMPOLINE >> 12));   /* start-up */
        delay_us(200);
    }
    for (unsigned spins = 0; started < ncpus - 1 && spins < 200; spins++)
        delay_us(100);
    puts_("started: ");
    put_dec(started);
    puts_("\nids:");
    /* the IDs in increasing order, whichever core took which slot */
    for (uint32_t id = 0; id < 256; id++)
        for (unsigned s = 0; s < started && s < MAX_CPUS; s++)
            if (ap_ids[s] == id) {
                putc_(' ');
                put_dec(id);
            }
    puts_("\nbye\n");
    debug_exit(started == ncpus - 1 ? 0 : 1);
}
