/* Host files hvsim writes (traces, statistics, the device tree, input logs): one rule for all.
 *
 *  - A regular file is written under a temporary name next to it and put in place only when
 *    complete (outfile_commit), so a reader never sees half a file and a failed run leaves
 *    nothing behind. An existing regular file is replaced only with `force`; without it the
 *    name is claimed with link(), which refuses atomically if it appeared meanwhile.
 *  - Anything else that exists (a character device such as /dev/null or /dev/full, a FIFO,
 *    a terminal) is written in place: renaming over it would replace the device node. So is
 *    a symbolic link (through it; with force if it leads to a regular file or nowhere).
 *  - A directory is refused.
 *  - Every write error is reported: outfile_check() after a flush, outfile_commit() at the
 *    end (flush, ferror, fsync, close, link or rename), each with one line naming the file.
 *
 * Front ends open their outputs after validating their inputs and before running, so an
 * unwritable or existing path fails at start-up and a bad input creates no file. */
#ifndef HVSIM_CORE_OUTFILE_H
#define HVSIM_CORE_OUTFILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct OutFile OutFile;

/* Opens path for writing under the rules above. NULL with a one-line *err naming the file
 * ("'F' exists; not replacing it (use --force, or another name)" for an existing file). */
OutFile *outfile_open(const char *path, bool force, char **err);
/* The stream to write to (valid until commit or abort). */
FILE *outfile_stream(OutFile *f);
const char *outfile_path(const OutFile *f);
/* True if path is written in place (it exists and is not a regular file). */
bool outfile_in_place(const OutFile *f);
/* Flushes and reports a write error so far (false, one line in *err); the file stays open. */
bool outfile_check(OutFile *f, char **err);
/* Finishes the file: flush, error check, fsync, close, then the temporary file takes the
 * target's name. Frees f whatever happens; on failure the temporary file is removed and
 * *err says why (one line naming the file). */
bool outfile_commit(OutFile *f, char **err);
/* Drops the file: closes it and removes the temporary file (the target is untouched). */
void outfile_abort(OutFile *f);
/* The whole file at once: open, write len bytes, commit. */
bool outfile_write(const char *path, const void *data, size_t len, bool force, char **err);
#endif
