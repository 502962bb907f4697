/* Guest 1: identification registers, hypercalls, a virtual PSCI call, 32-bit accesses to
 * the emulated UART, 3 ticks waited for with WFI, 2 ticks busy-waited, some arithmetic. */
#include "guest.h"

static uint64_t sum_of_primes(unsigned below)
{
    uint64_t sum = 0;
    for (unsigned n = 2; n < below; n++) {
        unsigned d = 2;
        while (d * d <= n && n % d)
            d++;
        if (d * d > n)
            sum += n;
    }
    return sum;
}

int guest_main(void)
{
    uint64_t vmid = hypercall(HC_VMID, 0, 0);
    gprintf("hello from guest %lu at EL%lu\n", vmid, (READ_SYSREG(currentel) >> 2) & 3);
    gprintf("MPIDR_EL1 %#lx MIDR_EL1 %#lx\n", READ_SYSREG(mpidr_el1), READ_SYSREG(midr_el1));
    gprintf("hypercall VERSION -> %#lx\n", hypercall(HC_VERSION, 0, 0));
    gprintf("hypercall ADD(40, 2) -> %lu\n", hypercall(HC_ADD, 40, 2));
    gprintf("SMC PSCI_VERSION -> %#lx\n", smc_call(PSCI_VERSION_FN));

    mmio_str32(VUART_IPA + 0x30, 0x301); /* UARTCR = UARTEN | TXE | RXE */
    uint32_t cr = mmio_ldr32(VUART_IPA + 0x30), fr = mmio_ldr32(VUART_IPA + 0x18);
    uint32_t pid = 0;
    for (unsigned i = 0; i < 4; i++)
        pid |= (mmio_ldr32(VUART_IPA + 0xfe0 + 4 * i) & 0xff) << (8 * i);
    gprintf("UART: UARTCR %#x UARTFR %#x UARTPeriphID %#x\n", cr, fr, pid);

    gic_vcpu_init();
    gprintf("waiting for 3 ticks\n");
    wait_ticks(3);
    gprintf("busy-waiting for 2 ticks\n");
    busy_ticks(2);
    gprintf("busy wait over, %u ticks in all\n", ticks);
    gprintf("sum of primes below 10000 = %lu\n", sum_of_primes(10000));
    gprintf("bye\n");
    return 0;
}
