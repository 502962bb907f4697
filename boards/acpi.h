/* ACPI tables of the PC board, where Linux finds them without a BIOS: the RSDP in the BIOS
 * area (scanned in 0xe0000-0xfffff), XSDT/RSDT, FADT with FACS and a DSDT, the MADT and the
 * HPET table. */
#ifndef HVSIM_BOARDS_ACPI_H
#define HVSIM_BOARDS_ACPI_H
#include <stdint.h>
#include "core/machine.h"

#define ACPI_TABLES_BASE 0xe0000ULL
#define ACPI_RSDP_ADDR 0xf0000ULL
/* The power-management block the FADT describes (boards/pc.c serves it). */
#define ACPI_PM_BASE 0x600
#define ACPI_PM1_CNT (ACPI_PM_BASE + 4)
#define ACPI_PM_TMR (ACPI_PM_BASE + 8)
#define ACPI_SCI_IRQ 9
#define ACPI_RESET_PORT 0xcf9

/* A virtio-mmio transport the DSDT describes (a "LNRO0005" device, as QEMU's microvm and
 * Arm virt describe theirs): its registers and its interrupt, a level-triggered,
 * active-high GSI of the I/O APIC. */
typedef struct AcpiVirtio {
    uint64_t base;
    uint32_t size;
    uint32_t gsi;
} AcpiVirtio;
#define ACPI_MAX_VIRTIO 32

/* Writes the tables for ncpus cores (local APIC IDs 0..ncpus-1), an I/O APIC at
 * ioapic_base, an HPET at hpet_base (0: none) and nvirtio virtio-mmio transports into
 * RAM. */
void acpi_build(Machine *m, int ncpus, uint64_t ioapic_base, uint64_t hpet_base,
                const AcpiVirtio *virtio, int nvirtio);
/* The DSDT's definition block after its header (AML): \_S5 and the transports' devices.
 * g_malloc'd; its length in *len. */
uint8_t *acpi_dsdt_aml(const AcpiVirtio *virtio, int nvirtio, size_t *len);
#endif
