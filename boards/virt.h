/* The `virt` board: QEMU's virt memory map, a generated device tree, PSCI firmware, a PL011.
 * Two machines can live in one process: all board state hangs off Machine.board. */
#ifndef HVSIM_BOARDS_VIRT_H
#define HVSIM_BOARDS_VIRT_H
#include <stddef.h>
#include <stdint.h>
#include "boards/guest_loader.h"
#include "boards/loader.h"
#include "boards/virtio_devices.h"
#include "core/machine.h"
#include "devices/pl011.h"
#include "devices/virtio_mmio.h"

/* QEMU's hw/arm/virt.c base_memmap */
#define VIRT_FLASH_BASE       0x00000000ULL
#define VIRT_FLASH_SIZE       0x08000000ULL   /* two 64 MiB banks */
#define VIRT_GIC_DIST_BASE    0x08000000ULL
#define VIRT_GIC_DIST_SIZE    0x00010000ULL
#define VIRT_GIC_CPU_BASE     0x08010000ULL   /* GICv2: GICC */
#define VIRT_GIC_CPU_SIZE     0x00010000ULL
#define VIRT_GIC_HYP_BASE     0x08030000ULL   /* GICv2: GICH */
#define VIRT_GIC_HYP_SIZE     0x00010000ULL
#define VIRT_GIC_VCPU_BASE    0x08040000ULL   /* GICv2: GICV */
#define VIRT_GIC_VCPU_SIZE    0x00010000ULL
#define VIRT_GIC_ITS_BASE     0x08080000ULL   /* GICv3 ITS (its=on) */
#define VIRT_GIC_ITS_SIZE     0x00020000ULL
#define VIRT_GIC_REDIST_BASE  0x080a0000ULL
#define VIRT_GIC_REDIST_SIZE  0x00f60000ULL
#define VIRT_UART_BASE        0x09000000ULL
#define VIRT_RTC_BASE         0x09010000ULL
#define VIRT_MMIO_BASE        0x0a000000ULL
#define VIRT_RAM_BASE         0x40000000ULL
#define VIRT_UART_SPI         1
#define VIRT_RTC_SPI          2
#define VIRT_MMIO_SPI         16              /* transport n on SPI 16 + n */
#define VIRT_MAX_DRIVES       VIRTIO_DEV_MAX_DRIVES
#define VIRT_DTB_ALIGN        (2ULL << 20)

/* The RTC and the virtio devices (boards/virt_devices.c). */
typedef struct VirtDevices {
    struct Pl031 *rtc;
    VirtioDevices virtio;
} VirtDevices;

typedef struct VirtBoard {
    Pl011 *uart;
    struct GicV3 *gic;        /* gic-version=3 */
    struct GicV2 *gicv2;      /* gic-version=2 */
    struct Hvm *hvm;          /* VM exit accounting */
    LoaderRom flash;          /* read-only, zero unless an ELF segment was loaded there */
    LoadInfo load;
    GuestModules modules;     /* -device guest-loader images */
    void *dtb;                /* the blob placed in RAM (packed) */
    uint64_t dtb_addr, dtb_size;
    VirtDevices dev;
} VirtBoard;

/* Builds the machine: cores (core 0 at the entry point, at EL1 or at EL2 with
 * virtualization=on; the others off until PSCI CPU_ON), devices, kernel, initrd, DTB.
 * NULL with a one-line *err on bad input. */
Machine *virt_create(const MachineConfig *cfg, char **err);
/* Writes the device tree the machine would boot with to cfg->dumpdtb (core/outfile.h: never
 * a partial file; an existing file only with force). 0, or -1 with *err set. */
int virt_dump_dtb(const MachineConfig *cfg, bool force, char **err);

/* The GIC's input for SPI `intid` (32..287), or for PPI `intid` (16..31) of core `cpu`,
 * whichever GIC the board has. */
IrqLine virt_spi_line(VirtBoard *vb, int intid);
IrqLine virt_ppi_line(VirtBoard *vb, int cpu, int intid);

/* The RTC and virtio devices (boards/virt_devices.c). */
/* Checks cfg->devices (names, properties, counts); false with a one-line *err. */
bool virt_check_devices(const MachineConfig *cfg, char **err);
/* True if a virtio console takes the host's input (the PL011 then gets none). */
bool virt_has_virtconsole(const MachineConfig *cfg);
/* Creates the PL031, the virtio-mmio transports and the devices of m->cfg.devices in order
 * (the first lands on the highest transport, as on QEMU). 0, or -1 with *err. */
int virt_add_devices(Machine *m, VirtBoard *vb, char **err);
void virt_free_devices(VirtBoard *vb);
/* Writes every -drive's overlay back into its file (at the end of a run). false with *err. */
bool virt_writeback_drives(Machine *m, char **err);
/* Device tree nodes of the PL031 and the 32 transports; /chosen's rng-seed and kaslr-seed
 * from cfg->seed (inside the open /chosen node). libfdt error codes. */
int virt_fdt_devices(void *fdt);
int virt_fdt_seeds(void *fdt, const MachineConfig *cfg);

/* Device tree (boards/fdt.c). Blobs are g_malloc'd. */
void *virt_fdt_generate(const MachineConfig *cfg, char **err);
/* Reads and checks a DTB file given with -dtb. */
void *virt_fdt_load(const char *path, char **err);
/* Sets /memory reg, /chosen bootargs (-append) and linux,initrd-start/end (initrd_size != 0)
 * as QEMU's arm_load_dtb() does, adds the guest-loader modules' /chosen nodes (mods may be
 * NULL), then packs the blob; *fdt may be reallocated. `what` names the blob in messages. */
int virt_fdt_finish(void **fdt, const MachineConfig *cfg, uint64_t ram_base,
                    uint64_t initrd_start, uint64_t initrd_size, const GuestModules *mods,
                    const char *what, char **err);
#endif
