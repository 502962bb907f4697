/* Timing models. `atomic`: every instruction takes one cycle of the core clock. */
#include "core/timing.h"
#include <string.h>

static uint64_t atomic_cycles(const TimingModel *tm, uint64_t insns)
{
    (void)tm;
    return insns;
}

int timing_model_init(TimingModel *tm, const char *name, uint64_t hz)
{
    if (!name || strcmp(name, "atomic") != 0)
        return -1;
    if (hz == 0 || hz > 1000000000000ULL)
        return -1;
    tm->name = "atomic";
    tm->hz = hz;
    tm->ps_per_cycle = 1000000000000ULL / hz;
    tm->cycles_for_insns = atomic_cycles;
    return 0;
}
