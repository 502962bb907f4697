/* The timing model registry: `atomic` (every instruction takes one cycle of the core clock)
 * and `inorder` (cpu/timing/model.c), chosen with --timing. */
#include "core/timing.h"
#include <string.h>

bool timing_kind_parse(const char *name, TimingKind *k)
{
    if (name && !strcmp(name, "atomic"))
        *k = TIMING_ATOMIC;
    else if (name && !strcmp(name, "inorder"))
        *k = TIMING_INORDER;
    else
        return false;
    return true;
}

const char *timing_kind_name(TimingKind k)
{
    return k == TIMING_INORDER ? "inorder" : "atomic";
}

int timing_model_init(TimingModel *tm, const char *name, uint64_t hz)
{
    TimingKind k;
    if (!timing_kind_parse(name, &k))
        return -1;
    if (hz == 0 || hz > 1000000000000ULL)
        return -1;
    tm->kind = k;
    tm->name = timing_kind_name(k);
    tm->hz = hz;
    tm->ps_per_cycle = 1000000000000ULL / hz;
    return 0;
}
