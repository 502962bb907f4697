/* Shared by the libFuzzer harnesses (tests/fuzz/README.md): a small virt machine built
 * in-process, put back into its boot state before each input, and in-memory files (memfd)
 * for the interfaces that read a path. Nothing here writes outside the process. */
#ifndef HVSIM_TESTS_FUZZ_COMMON_H
#define HVSIM_TESTS_FUZZ_COMMON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include "core/machine.h"

/* The fuzz machine: -M virt,virtualization=on -cpu max -m 64M -smp 2, quantum 200, and a
 * raw kernel in which core 0 starts core 1 (PSCI CPU_ON), arms the EL2 timer, then both
 * loop storing counters across many RAM pages; core 0 also writes and reads the PL011.
 * The UART has no host input; guest output goes to /dev/null. Aborts on failure. */
Machine *fz_machine_new(void);
/* The same machine description with another kernel image (NULL and *err on refusal). */
Machine *fz_machine_with_kernel(const uint8_t *image, size_t len, char **err);
/* The fuzz machine with a --dtb-overlay file (NULL and *err on refusal). */
Machine *fz_machine_with_overlay(const uint8_t *overlay, size_t len, char **err);
/* A two-core -M pc machine (max) with `image` as its -kernel (Multiboot, ELF64 or bzImage). */
Machine *fz_pc_with_kernel(const uint8_t *image, size_t len, char **err);
/* The machine's state as snapshot_encode made it (taken once, right after boot). */
GByteArray *fz_snapshot_now(Machine *m);
/* Puts m back into the state of a snapshot_encode blob; aborts if it is refused. */
void fz_restore(Machine *m, const GByteArray *blob);
/* Runs m for up to n more instructions (a stop, debugger pause or error ends it sooner), and
 * at most FZ_TIME_FACTOR times as long in simulated time as n cycles take. */
#define FZ_TIME_FACTOR 50
void fz_run(Machine *m, uint64_t n);

/* An in-memory file: fz_file_set() replaces its contents and returns a path to it
 * ("/proc/self/fd/N"), valid until the next call on the same file. */
typedef struct FzFile {
    int fd;
    char path[64];
} FzFile;
void fz_file_init(FzFile *f, const char *name);
const char *fz_file_set(FzFile *f, const void *data, size_t len);

/* Seed generation: when HVSIM_FUZZ_GEN_SEEDS names a directory, harnesses that derive their
 * seeds from the machine write them there (fz_gen_seed) from LLVMFuzzerInitialize and exit. */
const char *fz_gen_dir(void);
void fz_gen_seed(const char *name, const void *data, size_t len);

/* A FILE that swallows everything (guest console output). */
FILE *fz_devnull(void);

/* Console commands the harnesses must not run: those that read or write host files
 * (checkpoint, symbols, trace, stats dump) and quit. Parses the line as dbg_command() does. */
bool fz_console_line_ok(const char *line);
/* Puts the debugger hooks of m back as a machine without a debugger has them. */
void fz_detach_debugger(Machine *m);
#endif
