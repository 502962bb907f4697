/* The input log: every input that enters the machine from outside, stamped so that a
 * re-execution can feed it back at exactly the same point.
 *
 *  - UART (device) input: stamped with the machine's input attempt count (input_seq, machine
 *    state). Every read attempt a device makes is counted whether or not the host had data,
 *    so attempt N of a re-execution is attempt N of the original run.
 *  - Debugger writes (memory, registers): stamped with the machine's instruction count; they
 *    are made while the machine is stopped there and are re-applied at that count.
 *  - State hashes: recorded at intervals and at the end, checked on replay to report the
 *    first instruction count where a replay diverges.
 *
 * The log is a timeline with a present: entries before it are the past, entries after it the
 * future. Live input (the host's) is read only at the frontier (no future left); in the past
 * (after a rewind, or while replaying a file) device reads get the logged bytes instead.
 *
 * File form (text, one entry per line):
 *   hvsim-input-log 1
 *   machine <snapshot_describe() lines joined by spaces>
 *   uart SEQ ICOUNT HEXBYTES
 *   mem ICOUNT CPU VA HEXBYTES
 *   reg ICOUNT CPU REGNO VALUE
 *   hash ICOUNT SHA256
 *   end ICOUNT SHA256 stop|quit
 * The end line says how the recorded run ended: "stop" when the machine stopped by itself (the
 * guest powered off or crashed; a replay runs until the machine stops and checks it stopped at
 * ICOUNT), "quit" when the user ended it (a console or GDB session quit, --max-insns; a
 * replay runs to ICOUNT). An end line without the word is read as "stop". Entries are in
 * order (uart by SEQ, the others by ICOUNT); a file that breaks a rule is refused whole. */
#ifndef HVSIM_CHECKPOINT_INPUTLOG_H
#define HVSIM_CHECKPOINT_INPUTLOG_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/machine.h"

typedef enum { IL_UART, IL_MEM, IL_REG, IL_HASH } ILKind;
#define IL_MAX_REGNO 0xffff        /* register numbers a log line may carry */
#define IL_MAX_MEM_WRITE 65536     /* bytes one logged memory write may carry */

typedef struct ILEntry {
    ILKind kind;
    uint64_t seq;             /* IL_UART: the read attempt */
    uint64_t icount;
    int cpu;
    uint64_t addr;            /* IL_MEM: virtual address; IL_REG: register number */
    uint64_t value;           /* IL_REG; the end line (IL_HASH): 1 = "quit", 0 = "stop" */
    uint8_t *data;            /* IL_UART, IL_MEM bytes; IL_HASH: 65-byte hex string */
    uint32_t len;
} ILEntry;

/* Applies a logged debugger write to the machine (the debugger owns register numbering and
 * translation); returns false if it cannot. */
typedef bool (*ILApplyFn)(void *opaque, const ILEntry *e);

typedef struct InputLog InputLog;

/* Attaches a log to m (installs m->input): live at first, nothing recorded yet. */
InputLog *inputlog_new(Machine *m);
void inputlog_free(InputLog *l);
/* Sets how debugger writes are re-applied (without one, replay cannot apply them). */
void inputlog_set_apply(InputLog *l, ILApplyFn fn, void *opaque);

/* A debugger write made now (machine stopped): logged at the current instruction count. If
 * the log has a future, it no longer happens: the future is dropped first. */
void inputlog_note_mem(InputLog *l, int cpu, uint64_t va, const uint8_t *data, size_t len);
void inputlog_note_reg(InputLog *l, int cpu, int regno, uint64_t value);
/* Records the state hash now (a divergence check point). */
void inputlog_note_hash(InputLog *l);

/* After the machine was restored to an earlier point: entries at or after it become the
 * future again (UART by input_seq; writes at or after the instruction count). */
void inputlog_seek(InputLog *l);
/* The machine ran forward to now: moves the frontier (where live input starts) along. */
void inputlog_advance(InputLog *l);
/* Drops the future (entries after the present). */
void inputlog_truncate(InputLog *l);
/* True if there is a future (we are in the past). */
bool inputlog_in_past(const InputLog *l);
/* The next debugger write still to apply, or NULL. */
const ILEntry *inputlog_next_write(const InputLog *l);
/* Applies that write (the machine must be at its instruction count) and moves past it. */
bool inputlog_apply_next_write(InputLog *l);

/* Writes the whole log (past and future) with an end line carrying the current hash to out
 * (the caller checks the stream's errors). */
void inputlog_write(InputLog *l, FILE *out);
/* The same to a new file (core/outfile.h: never replacing one); -1 with *err on failure. */
int inputlog_save(InputLog *l, const char *path, char **err);
/* Loads a log for replay into a fresh log attached to m: everything becomes the future.
 * EXIT_BAD_SNAPSHOT with *err if the file is malformed or of another machine. */
int inputlog_load(InputLog *l, const char *path, char **err);

/* --record: runs the machine to its end, logging a state hash every `interval`
 * instructions; returns the machine's exit code. */
int inputlog_record_run(InputLog *l, uint64_t interval);
/* --replay: runs the machine to its end feeding the logged input, applying logged writes and
 * checking logged hashes; on the first mismatch stops and returns EXIT_BAD_SNAPSHOT with
 * *err naming the instruction counts between which the runs diverged. */
int inputlog_replay_run(InputLog *l, char **err);
#endif
