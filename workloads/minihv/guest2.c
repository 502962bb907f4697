/* Guest 2: console through 32-bit stores, byte and sign-extending loads, a store of XZR,
 * an HVC with a foreign immediate, an unknown SMC, a yield, 2 ticks waited for with WFI,
 * 2 ticks busy-waited, a CRC-32. */
#include "guest.h"

static uint32_t crc32(const char *s)
{
    uint32_t crc = ~0u;
    for (; *s; s++) {
        crc ^= (uint8_t)*s;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
    return ~crc;
}

int guest_main(void)
{
    console_word = 1;
    uint64_t vmid = hypercall(HC_VMID, 0, 0);
    gprintf("hello from guest %lu at EL%lu\n", vmid, (READ_SYSREG(currentel) >> 2) & 3);
    gprintf("MPIDR_EL1 %#lx MIDR_EL1 %#lx\n", READ_SYSREG(mpidr_el1), READ_SYSREG(midr_el1));

    register uint64_t x0 __asm__("x0") = HC_VERSION;
    __asm__ volatile("hvc #1" : "+r"(x0)::"x1", "x2", "x3", "memory");
    gprintf("HVC #1 (not minihv's immediate) -> %ld\n", (long)x0);
    gprintf("SMC 0x84000099 (unknown PSCI function) -> %ld\n", (long)smc_call(0x84000099));

    /* UARTPCellID0 with LDRB, UARTPCellID3 (0xb1) with LDRSB into an X register. */
    gprintf("UART: UARTPCellID0 %#lx (ldrb), UARTPCellID3 %#lx (ldrsb)\n",
            mmio_ldrb(VUART_IPA + 0xff0), (uint64_t)mmio_ldrsb(VUART_IPA + 0xffc));
    mmio_str32(VUART_IPA + 0x38, 0x50); /* UARTIMSC */
    uint64_t imsc1 = mmio_ldr64(VUART_IPA + 0x38);
    mmio_str32_zero(VUART_IPA + 0x38);
    gprintf("UART: UARTIMSC %#lx, %#lx after STR WZR\n", imsc1, mmio_ldr64(VUART_IPA + 0x38));

    gprintf("hypercall YIELD -> %lu\n", hypercall(HC_YIELD, 0, 0));
    gic_vcpu_init();
    gprintf("waiting for 2 ticks\n");
    wait_ticks(2);
    gprintf("busy-waiting for 2 ticks\n");
    busy_ticks(2);
    gprintf("busy wait over, %u ticks in all\n", ticks);
    gprintf("crc32(\"minihv\") = %#x\n", crc32("minihv"));
    gprintf("bye\n");
    return 0;
}
