/* Boot images of the PC board: a Multiboot v1 kernel (ELF32, ELF64 or the a.out kludge, with
 * its header in the first 8 KiB) entered in 32-bit protected mode as QEMU's -kernel does, a
 * plain x86-64 ELF entered in 64-bit mode on identity page tables, or a Linux bzImage through
 * its 64-bit boot protocol (boards/bzimage.c) on the same tables. */
#ifndef HVSIM_BOARDS_MULTIBOOT_H
#define HVSIM_BOARDS_MULTIBOOT_H
#include <stdbool.h>
#include <stdint.h>
#include "core/machine.h"

#define MULTIBOOT_MAGIC 0x1badb002u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u
#define MULTIBOOT_SEARCH 8192
#define MULTIBOOT_MAX_MODULES 16

/* The memory map the board describes (e820 types). */
enum { E820_RAM = 1, E820_RESERVED = 2, E820_ACPI = 3 };
typedef struct E820Entry {
    uint64_t base, len;
    uint32_t type;
    uint32_t pad;
} E820Entry;

typedef struct PcLoad {
    bool multiboot;           /* else a plain ELF64 entered in long mode */
    uint64_t entry;
    uint64_t low, high;       /* extent of the kernel image */
    uint64_t end;             /* end of everything placed (image, modules, info, tables) */
    uint32_t info;            /* Multiboot: the information structure's address */
    uint64_t cr3;             /* ELF64 and bzImage: the identity page tables */
    uint32_t nmods;
    bool bzimage;             /* a bzImage: entered in long mode with RSI = boot_params */
    uint64_t boot_params;
} PcLoad;

/* Loads m->cfg.kernel (with -append and -initrd FILE[ ARGS][,FILE...] as Multiboot modules)
 * into m's RAM. `map` is the memory map given to the kernel; `avoid` is a range the images
 * must not touch (the BIOS area with the ACPI tables). 0, or -1 with a one-line *err. */
int pc_load_kernel(Machine *m, const E820Entry *map, int nmap, uint64_t avoid_lo,
                   uint64_t avoid_hi, PcLoad *out, char **err);
#endif
