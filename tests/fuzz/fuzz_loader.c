/* Boot image loading (boards/loader.c through virt_create): each input is the -kernel file
 * (ELF, Linux arm64 Image, gzip-compressed Image, or raw), given as an in-memory file to a
 * fresh fuzz machine; an accepted image then runs RUN_INSNS instructions. Seeds: the fuzz
 * kernel raw, as an ELF (RAM and flash segments), as an Image and as an Image.gz. */
#include <stdio.h>
#include "tests/fuzz/fuzz_common.h"

#define RUN_INSNS 2000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *err = NULL;
    Machine *m = fz_machine_with_kernel(data, size, &err);
    if (m) {
        fz_run(m, RUN_INSNS);
        machine_free(m);
    }
    g_free(err);
    return 0;
}
