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

/* Writes the tables for ncpus cores (local APIC IDs 0..ncpus-1), an I/O APIC at
 * ioapic_base and an HPET at hpet_base (0: none) into RAM. */
void acpi_build(Machine *m, int ncpus, uint64_t ioapic_base, uint64_t hpet_base);
#endif
