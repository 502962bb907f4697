/* Linux's x86 boot protocol for a bzImage (Documentation/arch/x86/boot.rst), 64-bit entry:
 * the protected-mode kernel is loaded at its preferred address, the zero page (struct
 * boot_params) is built from the image's setup header with the command line, the initrd and
 * the e820 map, and the core enters startup_64 (load address + 0x200) in 64-bit mode with
 * RSI pointing at the zero page. The board supplies the e820 map and where things may go. */
#ifndef HVSIM_BOARDS_BZIMAGE_H
#define HVSIM_BOARDS_BZIMAGE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/machine.h"

#include "boards/multiboot.h"   /* E820Entry */

#define BZ_MAX_E820 128

typedef struct BzImageLoad {
    uint64_t entry64;         /* startup_64 */
    uint64_t boot_params;     /* the zero page */
    uint64_t cmdline;         /* the command line (NUL-terminated) */
    uint64_t kernel_start, kernel_end;   /* [load address, load address + init_size) */
    uint64_t initrd_start, initrd_size;
    uint16_t version;         /* the boot protocol version (0x020f = 2.15) */
} BzImageLoad;

/* What the board decides: where the zero page and the command line go (below the kernel,
 * in RAM), the RSDP's address to hand over (0: none), and the e820 map. */
typedef struct BzImageParams {
    const char *cmdline;      /* NULL: "" */
    const char *initrd;       /* NULL: none */
    uint64_t zero_page;       /* 4 KiB aligned */
    uint64_t cmdline_addr;
    uint64_t acpi_rsdp;
    const E820Entry *e820;
    unsigned ne820;
} BzImageParams;

/* True if the file's first bytes look like a bzImage ("HdrS" at 0x202). */
bool bzimage_probe(const uint8_t *head, size_t len);
/* Loads the bzImage at path into m's RAM. 0, or -1 with a one-line *err naming what is
 * wrong (not a bzImage, protocol older than 2.12 or no 64-bit entry, too large for RAM, the
 * initrd does not fit below initrd_addr_max). */
int bzimage_load(Machine *m, const char *path, const BzImageParams *p, BzImageLoad *out,
                 char **err);
/* The same from a buffer (tests, fuzzing). */
int bzimage_load_buf(Machine *m, const uint8_t *img, size_t len, const BzImageParams *p,
                     BzImageLoad *out, char **err);
#endif
