/* The boot baseline of make bench-x86 (scripts/bench-x86.sh): intbench.elf's start-up
 * (lib/start.S: the Multiboot entry, long mode) and its ending, with one line and no work
 * between. Bochs boots the programs through its BIOS and GRUB from an ISO; the run of this
 * program is that boot's time (with Bochs's own start and exit), which the script subtracts
 * from intbench's run in Bochs. */
#include "../tests-x86/lib/x86.h"

void x86_main(uint32_t magic, uint32_t info);
void x86_main(uint32_t magic, uint32_t info)
{
    (void)magic, (void)info;
    puts_("boot baseline: done\n");
    debug_exit_or_shutdown(0);
}
