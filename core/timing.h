/* Timing models: the interpreter charges time through this interface only, so cycle-level
 * models plug in without touching the executors. `atomic` = one cycle per instruction. */
#ifndef HVSIM_CORE_TIMING_H
#define HVSIM_CORE_TIMING_H
#include <stdint.h>

typedef struct TimingModel {
    const char *name;
    uint64_t hz;              /* core clock */
    uint64_t ps_per_cycle;
    /* Cycles for a run of `insns` straight-line instructions without memory events.
     * Atomic: insns. Detailed models hook memory and branch events instead. */
    uint64_t (*cycles_for_insns)(const struct TimingModel *tm, uint64_t insns);
} TimingModel;

/* Returns 0, or -1 if `name` is unknown. */
int timing_model_init(TimingModel *tm, const char *name, uint64_t hz);
#endif
