/* SMP start-up as an operating system does it without firmware (lib/ap.c): the boot core
 * sends INIT and two start-up IPIs to all the other cores, which go from real mode to
 * 64-bit mode and record their APIC IDs. The boot core prints how many started and their
 * IDs (only it prints, so the output does not depend on how the cores interleave) and
 * exits through isa-debug-exit with 0. */
#include "lib/x86.h"

#define LAPIC_ID 0x20

void x86_main(uint32_t magic, uint32_t info);

static volatile uint32_t ap_ids[AP_MAX];

static void record_id(unsigned slot)
{
    if (slot < AP_MAX)
        ap_ids[slot] = lapic_read(LAPIC_ID) >> 24;
}

void x86_main(uint32_t magic, uint32_t info)
{
    (void)magic, (void)info;
    puts_("smp start-up on x86-64\n");
    unsigned ncpus = (unsigned)fw_cfg_read(0x05, 2);
    puts_("cpus: ");
    put_dec(ncpus);
    putc_('\n');
    unsigned started = start_aps(ncpus - 1, record_id);
    puts_("started: ");
    put_dec(started);
    puts_("\nids:");
    /* the IDs in increasing order, whichever core took which slot */
    for (uint32_t id = 0; id < 256; id++)
        for (unsigned s = 0; s < started && s < AP_MAX; s++)
            if (ap_ids[s] == id) {
                putc_(' ');
                put_dec(id);
            }
    puts_("\nbye\n");
    debug_exit(started == ncpus - 1 ? 0 : 1);
}
