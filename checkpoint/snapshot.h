/* Snapshots: the whole machine as bytes, in memory (reverse execution) or in a file.
 *
 * A snapshot is a sequence of named sections, each driven by a state description:
 *   "header"    text lines key=value: format, hvsim version, machine description
 *   "machine"   simulated time, the round-robin schedule in progress, per-core counts
 *   "cpuN"      each core (its CpuClass description)
 *   <object>    every object the machine registered, by instance name ("gic", "uart0", ...)
 *   "mem.NAME"  each memory region (RAM, flash), sparse: runs of non-zero 4 KiB pages,
 *               each run compressed with zlib
 * A file adds a preamble (magic "HVSIMSNP", format version, byte-order mark) and ends with
 * section "end" holding the SHA-256 of everything before it.
 *
 * Loading checks everything first (magic, version, checksum, machine description, every
 * section's fields and sizes, every RAM run's bounds and compressed data) and only then
 * touches the machine: a refused snapshot leaves the machine as it was. */
#ifndef HVSIM_CHECKPOINT_SNAPSHOT_H
#define HVSIM_CHECKPOINT_SNAPSHOT_H
#include <stdbool.h>
#include <glib.h>
#include "core/machine.h"

#define SNAPSHOT_FORMAT 1

/* The options that make a machine what it is, as "key=value" lines (board, cpu, RAM, cores,
 * EL2, GIC, quantum, clock, and "deviceN=" for each optional device as the guest sees it:
 * without file= and snapshot=). Two machines with the same description accept each other's
 * snapshots. A snapshot's header adds "deviceN.file=" for its disks. */
char *snapshot_describe(const MachineConfig *cfg);

/* Serialises the machine (sections above, no preamble or checksum) onto out. */
void snapshot_encode(Machine *m, GByteArray *out);
/* Checks buf (as made by snapshot_encode) against m, then loads it. 0, or EXIT_BAD_SNAPSHOT
 * with a one-line *err and m untouched. */
int snapshot_decode(Machine *m, const uint8_t *buf, size_t len, char **err);

/* The same without RAM and flash (reverse execution keeps RAM as per-page versions; the
 * flash never changes after loading); the disk overlays are in. */
void snapshot_encode_state(Machine *m, GByteArray *out);
int snapshot_decode_state(Machine *m, const uint8_t *buf, size_t len, char **err);

/* Writes a snapshot file: to a temporary file in the same directory, then moved into place;
 * refuses to replace an existing file unless force. 0, or -1 with *err. */
int snapshot_save(Machine *m, const char *path, bool force, char **err);
/* Loads a snapshot file into m. 0, or EXIT_BAD_SNAPSHOT with *err (truncated, corrupt,
 * foreign, another format version, another machine) and m untouched. */
int snapshot_load(Machine *m, const char *path, char **err);
/* Reads only a snapshot file's machine description into cfg (which should hold defaults),
 * for `--restore FILE` to build the machine (cfg->devices as described, without snapshot=).
 * 0, or EXIT_BAD_SNAPSHOT with *err. */
int snapshot_read_config(const char *path, MachineConfig *cfg, char **err);
#endif
