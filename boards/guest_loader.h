/* -device guest-loader, as QEMU's hw/core/guest-loader.c: a hypervisor's guest images (Xen's
 * dom0 kernel and initrd) loaded at addresses the user gives, and described to the
 * hypervisor the way a boot loader would, as /chosen/module@0xADDR nodes ("multiboot,module"
 * plus "multiboot,kernel" or "multiboot,ramdisk", reg = <addr size>, the kernel's bootargs):
 * Linux's Documentation/devicetree/bindings/chosen.txt and Xen's
 * docs/misc/arm/device-tree/booting.txt. Also QEMU's generic loader for files
 * (-device loader,file=F,addr=A: hw/core/generic-loader.c), which puts a raw image at an
 * address and tells nobody: the images of Xen's dom0less domUs, whose nodes the user's device
 * tree holds. Boot-time input like -kernel: not machine state, so a snapshot does not list
 * them. */
#ifndef HVSIM_BOARDS_GUEST_LOADER_H
#define HVSIM_BOARDS_GUEST_LOADER_H
#include <stdbool.h>
#include <stdint.h>
#include "boards/loader.h"
#include "core/machine.h"

typedef enum {
    GUEST_MODULE_KERNEL,      /* guest-loader,kernel=: multiboot,kernel */
    GUEST_MODULE_RAMDISK,     /* guest-loader,initrd=: multiboot,ramdisk */
    GUEST_MODULE_RAW,         /* loader,file=: no node */
} GuestModuleKind;

typedef struct GuestModule {
    uint64_t addr, size;
    GuestModuleKind kind;
    bool force_raw;           /* loader: load even an ELF file as bytes */
    char *file;
    char *bootargs;           /* NULL: none (kernels only) */
} GuestModule;

typedef struct GuestModules {
    GuestModule *mod;
    int n;
} GuestModules;

/* Parses one spec ("guest-loader,addr=A,kernel=F[,bootargs=S]",
 * "guest-loader,addr=A,initrd=F" or "loader,file=F,addr=A[,force-raw=on]"; ",," is a comma
 * inside a value, as in QEMU's options) into *gm (size 0). false with a one-line *err, as
 * QEMU refuses it (or naming what hvsim does not model). */
bool guest_loader_parse(const char *spec, GuestModule *gm, char **err);
/* Checks every spec of cfg->guest_loaders. */
bool guest_loader_check(const MachineConfig *cfg, char **err);
/* Loads every module of cfg->guest_loaders into RAM at its address. A module must lie wholly
 * in RAM and overlap neither the kernel and initrd `li` placed nor another module. 0, or -1
 * with a one-line *err naming the file. */
int guest_loader_load(Machine *m, const LoadInfo *li, GuestModules *out, char **err);
/* The module [addr, addr+size) overlaps, or NULL. */
const GuestModule *guest_loader_overlap(const GuestModules *gms, uint64_t addr, uint64_t size);
/* The end of the highest module (0 without any). */
uint64_t guest_loader_end(const GuestModules *gms);
/* Adds the guest-loader modules' /chosen/module@0xADDR nodes under node `chosen` of a
 * read-write blob, in command line order (libfdt puts each new node first, as in QEMU's
 * blob); a node already there (a -dtb made by dumpdtb with the same options) is updated.
 * libfdt error codes. */
int guest_loader_fdt(void *fdt, int chosen, const GuestModules *gms);
/* Bytes of device tree the nodes need at most. */
int guest_loader_fdt_room(const GuestModules *gms);
void guest_loader_free(GuestModules *gms);
#endif
