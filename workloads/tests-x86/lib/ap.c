/* Application-processor start-up for the x86-64 bare-metal tests (lib/x86.h: start_aps):
 * a real-mode trampoline copied to 0x8000 takes each core woken by INIT and two start-up
 * IPIs (vector 0x08) through 32-bit protected mode to 64-bit mode on the boot core's page
 * tables; it loads the boot core's GDT, takes a stack by atomic increment and calls the
 * program's function with its slot number. */
#include "x86.h"

#define TRAMPOLINE 0x8000
#define LAPIC_SVR 0xf0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0

void ap_entry64(void);
void ap_main(unsigned slot);
extern const uint8_t tramp_start[], tramp_end[];

uint8_t ap_stacks[AP_MAX][4096] __attribute__((aligned(16)));
volatile unsigned ap_next;
static volatile unsigned ap_started;
static void (*ap_fn)(unsigned slot);

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
    "    movl $1, %edi\n"
    "    lock xaddl %edi, ap_next(%rip)\n"
    "    movq %rdi, %rax\n"
    "    addq $1, %rax\n"
    "    shlq $12, %rax\n"
    "    leaq ap_stacks(%rip), %rsp\n"
    "    addq %rax, %rsp\n"
    /* the boot core's GDT, so that CS is its 0x08 as the IDT's gates say */
    "    lgdt gdt_ptr64(%rip)\n"
    "    pushq $0x08\n"
    "    leaq 2f(%rip), %rax\n"
    "    pushq %rax\n"
    "    lretq\n"
    "2:  movw $0x10, %ax\n"
    "    movw %ax, %ds\n"
    "    movw %ax, %es\n"
    "    movw %ax, %ss\n"
    "    call ap_main\n"
    "1:  cli\n"
    "    hlt\n"
    "    jmp 1b\n");

void ap_main(unsigned slot)
{
    __atomic_fetch_add(&ap_started, 1, __ATOMIC_SEQ_CST);
    if (ap_fn)
        ap_fn(slot);
}

void delay_us(unsigned us)
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

unsigned start_aps(unsigned want, void (*fn)(unsigned slot))
{
    ap_fn = fn;
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
    for (unsigned spins = 0; ap_started < want && spins < 200; spins++)
        delay_us(100);
    return ap_started;
}
