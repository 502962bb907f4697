/* Console command parser and commands (debug/debugger.c) on the small running machine: each
 * input is a script, one command per line, run with dbg_command() on the machine in its boot
 * state with a fresh debugger that keeps history (input log and reverse execution, a snapshot
 * every 2000 instructions), so breakpoints, watchpoints, stepping, memory and register
 * writes, translation, disassembly and reverse execution all see fuzzed arguments. Bounds:
 * MAX_LINES commands, RUN_INSNS instructions per input (every run command stops there);
 * commands that touch host files (checkpoint, symbols, trace, stats dump, screendump) and
 * quit are skipped. */
#include <stdio.h>
#include <string.h>
#include "debug/debugger.h"
#include "tests/fuzz/fuzz_common.h"

#define RUN_INSNS 40000
#define MAX_LINES 24
#define MAX_OUTPUT (1u << 20)

static Machine *m;
static GByteArray *boot;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    m = fz_machine_new();
    boot = fz_snapshot_now(m);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_restore(m, boot);
    Debugger *d = dbg_new(m);
    dbg_enable_history(d, 2000, 8ULL << 20);
    m->cfg.max_insns = machine_icount(m) + RUN_INSNS;
    char *text = g_strndup((const char *)data, size);
    char **lines = g_strsplit(text, "\n", MAX_LINES + 1);
    GString *out = g_string_new(NULL);
    for (int i = 0; lines[i] && i < MAX_LINES; i++) {
        if (!fz_console_line_ok(lines[i]))
            continue;
        bool failed;
        g_string_truncate(out, 0);
        if (!dbg_command(d, lines[i], out, &failed))
            break;
        if (out->len > MAX_OUTPUT)
            break;
    }
    g_string_free(out, TRUE);
    g_strfreev(lines);
    g_free(text);
    dbg_free(d);
    fz_detach_debugger(m);
    return 0;
}
