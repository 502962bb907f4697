/* Boot image loading as QEMU's -kernel/-initrd do it (hw/arm/boot.c's rules): an ELF at its
 * physical addresses, a Linux arm64 Image (or Image.gz) at a 2 MiB-aligned RAM base + text_offset, any
 * other file as a raw binary at RAM base + 0x80000; the initrd after the kernel. */
#ifndef HVSIM_BOARDS_LOADER_H
#define HVSIM_BOARDS_LOADER_H
#include <stddef.h>
#include <stdint.h>
#include "core/machine.h"

typedef enum { KERNEL_ELF, KERNEL_IMAGE, KERNEL_RAW } KernelKind;

typedef struct LoadInfo {
    KernelKind kind;
    uint64_t entry;
    uint64_t low, high;           /* extent of the image in RAM, high exclusive */
    uint64_t initrd_start, initrd_size;   /* initrd_start is set even without an initrd */
} LoadInfo;

#define LOADER_RAW_OFFSET 0x80000ULL          /* QEMU's KERNEL64_LOAD_ADDR */
#define LOADER_IMAGE_ALIGN (2ULL << 20)

/* Read-only memory an ELF segment may be loaded into besides RAM (QEMU's virt puts such
 * segments into its flash banks). `data` is allocated (zeroed) on the first write. */
typedef struct LoaderRom {
    uint64_t base, size;
    uint8_t *data;
} LoaderRom;

/* Loads `path` into m's RAM (through the bus), or ELF segments into `rom` (may be NULL).
 * 0, or -1 with a one-line *err naming the file. */
int loader_load_kernel(Machine *m, const char *path, LoaderRom *rom, LoadInfo *li, char **err);
/* Places the initrd (path may be NULL: only computes li->initrd_start) after the kernel:
 * at RAM base + min(RAM/2, 128 MiB), or above the kernel if that is higher, page aligned. */
int loader_load_initrd(Machine *m, const char *path, LoadInfo *li, char **err);
/* Loads a whole file at pa, as QEMU's load_image_targphys() (-device guest-loader): at most
 * RAM's size, wholly in RAM; its length in *size. `what` names it in messages ("kernel").
 * 0, or -1 with a one-line *err. */
int loader_load_at(Machine *m, const char *path, const char *what, uint64_t pa, uint64_t *size,
                   char **err);
/* Copies a buffer into RAM at pa; false if [pa, pa+len) is not wholly RAM. */
bool loader_copy(Machine *m, uint64_t pa, const void *data, size_t len);
#endif
