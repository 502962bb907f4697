/* The `pc` board: an x86-64 PC without firmware. RAM from 0 (below 3.5 GiB), the legacy
 * devices on the port I/O bus (8259 pair, 8254, RTC, 16550 COM1, fw_cfg, the ACPI PM block,
 * optionally isa-debug-exit), one local APIC per core and an I/O APIC, an e820 map and ACPI
 * tables, an HPET, the virtio devices of -drive/-device on virtio-mmio transports; the kernel
 * is loaded as QEMU's -kernel does (Multiboot v1), as a plain ELF64 or as a Linux bzImage.
 * All board state hangs off Machine.board. */
#ifndef HVSIM_BOARDS_PC_H
#define HVSIM_BOARDS_PC_H
#include <stdint.h>
#include "boards/multiboot.h"
#include "boards/virtio_devices.h"
#include "core/machine.h"
#include "devices/fw_cfg.h"
#include "devices/hpet.h"
#include "devices/i8259.h"
#include "devices/ioapic.h"
#include "devices/isa_debug_exit.h"
#include "devices/lapic.h"
#include "devices/mc146818.h"
#include "devices/pit.h"
#include "devices/uart16550.h"

/* RAM ends below 3.5 GiB: from there QEMU's pc moves RAM above 4 GiB, which hvsim does not
 * model yet */
#define PC_RAM_MAX 0xe0000000ULL
#define PC_HIGH_RESERVED 0x20000ULL       /* the top of RAM SeaBIOS keeps */
#define PC_RAM_MIN (2ULL << 20)
#define PC_BIOS_LO 0x9fc00ULL             /* EBDA, VGA hole and BIOS area: reserved */
#define PC_BIOS_HI 0x100000ULL
#define PC_COM1 0x3f8
#define PC_COM1_IRQ 4
#define PC_MAX_E820 8
/* The virtio-mmio transports (boards/virtio_devices.h): 32 of 0x200 bytes where QEMU's
 * microvm puts its own, below the I/O APIC; the devices plugged in, first given first, on
 * I/O APIC pins 16 up (level-triggered, active high, as the DSDT describes them). */
#define PC_VIRTIO_BASE 0xfeb00000ULL
#define PC_VIRTIO_GSI 16
#define PC_CPU_MODELS "qemu64, max"

/* The board's small port devices: POST code, A20 gate, PCI configuration mechanism #1
 * (no PCI devices), reset control, the keyboard controller's reset command, and the ACPI PM
 * block the FADT names. */
typedef struct PcMisc {
    /* --- state (hashed, saved) --- */
    uint32_t pci_addr;        /* 0xcf8 */
    uint16_t pm1_sts, pm1_en, pm1_cnt;
    uint8_t port92;           /* bit 1: A20 (always on in hvsim) */
    uint8_t pad0[5];
    /* --- run time --- */
    Machine *m;
} PcMisc;

typedef struct PcBoard {
    struct X86Cpu *cpu[MACHINE_MAX_CPUS];
    Lapic *lapic[MACHINE_MAX_CPUS];
    int ncpus;
    int pad_;
    Ioapic *ioapic;
    I8259 *pic;
    Pit *pit;
    Hpet *hpet;
    Mc146818 *rtc;
    Uart16550 *uart;
    FwCfg *fw_cfg;
    IsaDebugExit *debug_exit;
    PcMisc *misc;
    VirtioDevices virtio;
    E820Entry e820[PC_MAX_E820];
    int ne820;
    PcLoad load;
} PcBoard;

/* True if `name` is a CPU model of this board. */
bool pc_cpu_model_known(const char *name);
/* Builds the machine: cores (the first at the kernel's entry, the others waiting for a
 * start-up IPI), devices, tables, kernel. NULL with a one-line *err on bad input. */
Machine *pc_create(const MachineConfig *cfg, char **err);
/* ISA interrupt n (0..15) to the given level: the 8259 pair and the I/O APIC (IRQ 0 on
 * GSI 2, as the MADT says). An IrqLine set function; opaque is the PcBoard. */
void pc_isa_irq(void *opaque, int n, int level);
/* Writes every -drive's overlay back into its file (at the end of a run). false with *err. */
bool pc_writeback_drives(Machine *m, char **err);
extern const StateDesc pc_misc_state_desc;
#endif
