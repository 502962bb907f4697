/* The first x86-64 program (make demo-x86): entered by Multiboot, in 64-bit mode from
 * start.S, it prints a greeting, what fw_cfg says (signature, CPU count, RAM size; by ports
 * and by DMA) and what the Multiboot information says (memory below and above 1 MiB, the
 * command line after the kernel's file name), then exits through isa-debug-exit with 0
 * (process status 1, as on QEMU). */
#include "lib/x86.h"

void x86_main(uint32_t magic, uint32_t info);

void x86_main(uint32_t magic, uint32_t info)
{
    puts_("hello from x86-64\n");
    if (magic != 0x2badb002) {
        puts_("not entered by a Multiboot loader\n");
        debug_exit(1);
    }
    uint64_t sig = fw_cfg_read(0x00, 4);
    puts_("fw_cfg: ");
    for (int i = 0; i < 4; i++)
        putc_((char)(sig >> (8 * i)));
    puts_("\ncpus: ");
    put_dec(fw_cfg_read(0x05, 2));
    puts_("\nram: ");
    put_dec(fw_cfg_read(0x03, 8) >> 20);
    puts_(" MiB\n");
    char dsig[5] = { 0 };
    uint16_t dcpus = 0;
    if (!(fw_cfg_read(0x01, 4) & 2) || fw_cfg_dma_read(0x00, dsig, 4) ||
        fw_cfg_dma_read(0x05, &dcpus, 2)) {
        puts_("fw_cfg dma: not working\n");
    } else {
        puts_("fw_cfg dma: ");
        puts_(dsig);
        puts_(", cpus ");
        put_dec(dcpus);
        putc_('\n');
    }
    const MbInfo *mb = (const MbInfo *)(uint64_t)info;
    if (mb->flags & 1) {
        puts_("multiboot memory: lower ");
        put_dec(mb->mem_lower);
        puts_(" KiB, upper ");
        put_dec(mb->mem_upper);
        puts_(" KiB\n");
    }
    if (mb->flags & 4) {
        /* the loader's command line is the kernel's file name, a space, -append */
        const char *cmd = (const char *)(uint64_t)mb->cmdline;
        while (*cmd && *cmd != ' ')
            cmd++;
        puts_("command line after the file name: '");
        puts_(cmd);
        puts_("'\n");
    }
    puts_("bye\n");
    debug_exit(0);
}
