/* Unit-test harness: a bare machine (16 MiB RAM at 0x40000000, one core at EL1, no devices)
 * that runs a few instructions and exposes the core for assertions. */
#ifndef HVSIM_TESTS_HARNESS_H
#define HVSIM_TESTS_HARNESS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/machine.h"
#include "cpu/arm64/cpu.h"

#define TH_RAM_BASE 0x40000000ULL
#define TH_RAM_SIZE (16ULL << 20)

typedef struct TH {
    Machine *m;
    Arm64Cpu *c;
} TH;

TH *th_new(void);                        /* -cpu cortex-a57 */
TH *th_new_model(const char *model);     /* "cortex-a57", "cortex-a72", "max" */
void th_free(TH *t);
/* Copies `n` instruction words to TH_RAM_BASE, points PC there (keeping registers and
 * flags as the test set them) and runs exactly `n` instructions (fewer if one stops the
 * machine). Returns the machine's exit code (0 = ran them all). */
int th_run(TH *t, const uint32_t *code, size_t n);
/* Same, but runs `steps` instructions (for code with branches). */
int th_run_steps(TH *t, const uint32_t *code, size_t n, uint64_t steps);
/* Runs n instructions at EL1 and reports whether the last one took the Undefined
 * Instruction exception (EC 0) to EL1 with ELR pointing at it. */
bool th_undefined(TH *t, const uint32_t *code, size_t n);
/* Host pointer to guest RAM at physical address pa, whose page counts as written from then
 * on (write only within that page through it). */
uint8_t *th_ram(TH *t, uint64_t pa);
#endif
