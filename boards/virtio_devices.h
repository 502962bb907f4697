/* The virtio devices a board builds from -drive / -device (virtio-blk-device,
 * virtio-rng-device, virtio-serial-device, virtconsole): parsing and checking the entries of
 * MachineConfig.devices, the 32 virtio-mmio transports, the devices plugged into them in
 * the order given, the disks' write-back at exit. Board-neutral: the board says where the
 * transports lie and which interrupt line each one drives (a GIC SPI on virt, an I/O APIC
 * pin on pc), and describes them to the guest (device tree, ACPI). */
#ifndef HVSIM_BOARDS_VIRTIO_DEVICES_H
#define HVSIM_BOARDS_VIRTIO_DEVICES_H
#include <stdbool.h>
#include <stdint.h>
#include "core/irq.h"
#include "core/machine.h"
#include "devices/virtio_mmio.h"

#define VIRTIO_DEV_MAX_DRIVES 4

typedef struct VirtioDevices {
    VirtioMmioBus *bus;
    struct VirtioBlk *blk[VIRTIO_DEV_MAX_DRIVES];
    int nblk;
    int pad_;
    struct VirtioRng *rng;
    struct VirtioConsole *console;
} VirtioDevices;

/* The interrupt line of transport n (0..31), from the board. */
typedef IrqLine (*VirtioIrqFn)(void *opaque, int n);

/* True if the -device entry `spec` ("NAME[,key=value...]") is one of the virtio devices. */
bool virtio_devices_owns(const char *spec);
/* Checks the entries of `devices` (NULL-terminated, may be NULL): virtio entries for their
 * properties and counts; any other entry must satisfy board_owns (NULL: none may appear),
 * else "unknown device" listing board_names ("NAME, NAME") and the virtio devices. false
 * with a one-line *err. */
bool virtio_devices_check(char *const *devices, bool (*board_owns)(const char *spec),
                          const char *board_names, char **err);
/* True if a virtio console is among `devices` (it takes the host's input). */
bool virtio_devices_have_console(char *const *devices);
/* Maps the transports at `base` and creates the virtio entries of m->cfg.devices in order
 * (the first on the highest transport, as on QEMU), each transport's interrupt from irq.
 * 0, or -1 with a one-line *err. */
int virtio_devices_add(Machine *m, VirtioDevices *dv, uint64_t base, VirtioIrqFn irq,
                       void *opaque, char **err);
/* Writes every disk's overlay back into its file (at the end of a run). false with *err. */
bool virtio_devices_writeback(VirtioDevices *dv, char **err);
void virtio_devices_free(VirtioDevices *dv);
#endif
