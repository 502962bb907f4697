/* A plain ELF64 (no Multiboot header) on -M pc: entered in 64-bit mode, it checks the mode
 * the loader promised (CR0.PG, CR4.PAE, EFER.LMA), runs a loop whose sum it knows, prints
 * what fw_cfg says and exits through isa-debug-exit with 0. */
#include "../lib/x86.h"

void x86_main(uint32_t magic, uint32_t info);

static uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

void x86_main(uint32_t magic, uint32_t info)
{
    (void)magic, (void)info;
    puts_("plain ELF64 on x86-64\n");
    uint64_t cr0, cr4;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    uint64_t efer = rdmsr(0xc0000080);
    int ok = (cr0 >> 31) & 1 && (cr4 >> 5) & 1 && (efer >> 10) & 1;
    puts_(ok ? "long mode: paging, PAE, LMA\n" : "long mode: NOT AS PROMISED\n");
    volatile uint64_t sum = 0;
    for (uint64_t i = 0; i < 1000000; i++)
        sum += i;
    puts_("sum: ");
    put_dec(sum);
    puts_(sum == 499999500000ULL ? " ok\n" : " WRONG\n");
    puts_("cpus: ");
    put_dec(fw_cfg_read(0x05, 2));
    puts_("\nbye\n");
    debug_exit(ok && sum == 499999500000ULL ? 0 : 1);
}
