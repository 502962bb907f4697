/* Timing models: how simulated time passes as cores execute. `atomic`: one cycle per
 * instruction, time derived from instruction counts (the fast loops). `inorder`: the cycle
 * model of cpu/timing/model.h (pipeline, caches, TLBs, walk caches, branch prediction),
 * driven by each core's timed loop, which reports the cycles it used. The machine's
 * scheduler gives each core a budget of cycles and instructions per slice either way. */
#ifndef HVSIM_CORE_TIMING_H
#define HVSIM_CORE_TIMING_H
#include <stdint.h>
#include "cpu/timing/model.h"

typedef enum { TIMING_ATOMIC, TIMING_INORDER } TimingKind;

typedef struct TimingModel {
    const char *name;         /* of the current model */
    TimingKind kind;
    uint64_t hz;              /* core clock */
    uint64_t ps_per_cycle;
    TmConfig cfg;             /* inorder's configuration (defaults, or --timing-config) */
    TimingSys *sys;           /* inorder: the model's state, made on first use; NULL else */
    uint64_t switch_at;       /* --timing-switch-at: machine instruction count (0 = none) */
    TimingKind switch_to;
} TimingModel;

/* The model named `name` ("atomic", "inorder"); -1 if unknown or hz out of range. */
int timing_model_init(TimingModel *tm, const char *name, uint64_t hz);
/* Parses "atomic"/"inorder" into *k; false if unknown. */
bool timing_kind_parse(const char *name, TimingKind *k);
const char *timing_kind_name(TimingKind k);
#endif
