/* Reverse execution: in-memory snapshots taken every `interval` instructions while the
 * machine runs forward, and deterministic re-execution from the nearest earlier one.
 *
 * A snapshot holds the machine's state without RAM (snapshot_encode without memory) plus
 * the RAM pages written since the one before (dirty-page tracking: the first store to a page
 * after a snapshot takes the cores' slow path, which marks it). Page contents are kept as
 * versions per page, so going to snapshot j copies back only the pages written between j and
 * now. When the snapshots outgrow the memory budget, older ones are merged pairwise (a page
 * version survives only if no later one replaces it), so history gets sparser, not shorter.
 *
 * External input comes from the input log, so re-execution sees the same UART bytes and
 * debugger writes at the same points; a debugger write made in the past drops the future
 * (snapshots after now and the log's future). */
#ifndef HVSIM_CHECKPOINT_REVERSE_H
#define HVSIM_CHECKPOINT_REVERSE_H
#include <stdbool.h>
#include <stdint.h>
#include "checkpoint/inputlog.h"
#include "core/machine.h"

typedef struct Reverse Reverse;

/* Starts recording history on m from now (the first snapshot is taken here). */
Reverse *reverse_new(Machine *m, InputLog *log, uint64_t interval, uint64_t budget_bytes);
void reverse_free(Reverse *r);

/* Runs forward as machine_run does (until a debugger pause, cfg.max_insns or the end),
 * taking snapshots at interval points passed for the first time and re-applying logged
 * debugger writes when re-executing the past. Returns the machine's exit code. */
int reverse_run(Reverse *r);
/* Puts the machine at instruction count `target` (earlier or later than now), quietly: the
 * debugger's hooks are off and guest output and traces are not repeated. false with *err if
 * target lies before the recorded history or the machine stops before reaching it. */
bool reverse_goto(Reverse *r, uint64_t target, char **err);
/* The user changed the machine's state now: history after now no longer applies. */
void reverse_truncate(Reverse *r);

/* The earliest instruction count the history reaches, and the furthest the machine has run
 * to (going back and forth between them re-executes the recorded past). */
uint64_t reverse_first(const Reverse *r);
uint64_t reverse_frontier(const Reverse *r);
/* Instruction counts of the snapshots at or before `icount`, latest first, as an array the
 * caller g_free()s; *n receives the count. */
uint64_t *reverse_points_before(const Reverse *r, uint64_t icount, int *n);
/* Memory held (bytes) and number of snapshots. */
uint64_t reverse_bytes(const Reverse *r);
int reverse_count(const Reverse *r);
#endif
