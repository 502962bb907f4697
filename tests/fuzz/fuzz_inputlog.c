/* Replay-log reader: each input is an input log file (text) for the fuzz machine, loaded
 * with inputlog_load() into a fresh log on the machine in its boot state, then replayed with
 * inputlog_replay_run() (UART bytes fed to the PL011, logged memory and register writes
 * applied, state hashes compared) for at most RUN_INSNS instructions. Seeds are a recording
 * with debugger writes and hashes, and the same with UART input lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "checkpoint/inputlog.h"
#include "debug/debugger.h"
#include "tests/fuzz/fuzz_common.h"

#define RUN_INSNS 30000

static Machine *m;
static GByteArray *boot;
static FzFile file;

static void gen_seeds(void)
{
    Debugger *d = dbg_new(m);
    dbg_enable_history(d, 0, 0);        /* the input log, no reverse execution */
    static const uint8_t bytes[] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4 };
    machine_run_to(m, 1000);
    dbg_write_mem(d, 0, 0x40100000, bytes, sizeof bytes);
    inputlog_note_hash(d->log);
    machine_run_to(m, 2500);
    dbg_write_reg(d, 1, 9, 0x1234567890abcdefULL);
    dbg_write_reg(d, 0, 32, 0x40080038);   /* pc: back to the loop head */
    inputlog_note_hash(d->log);
    machine_run_to(m, 6000);
    dbg_write_mem(d, 1, 0x40200010, bytes, 4);
    machine_run_to(m, 9000);
    char *path = g_build_filename(fz_gen_dir(), "writes.log", NULL), *err = NULL;
    if (inputlog_save(d->log, path, &err)) {
        fprintf(stderr, "fuzz: %s\n", err);
        exit(1);
    }
    printf("fuzz: wrote seed %s\n", path);
    /* the same with UART input for the core's reads (no hashes but the end one) */
    char *text = NULL;
    g_file_get_contents(path, &text, NULL, NULL);
    char **lines = g_strsplit(text, "\n", -1);
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%s\n%s\n", lines[0], lines[1]);
    g_string_append(s, "uart 1 0 68656c6c6f0a\nuart 3 0 41\nuart 4 4000 000102037f80ff\n");
    for (char **l = lines + 2; *l; l++)
        if (g_str_has_prefix(*l, "end "))
            g_string_append_printf(s, "%s\n", *l);
    fz_gen_seed("uart.log", s->str, s->len);
    g_string_free(s, TRUE);
    g_strfreev(lines);
    g_free(text);
    g_free(path);
    dbg_free(d);
    exit(0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    m = fz_machine_new();
    boot = fz_snapshot_now(m);
    fz_file_init(&file, "inputlog");
    if (fz_gen_dir())
        gen_seeds();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_restore(m, boot);
    InputLog *l = inputlog_new(m);
    inputlog_set_apply(l, dbg_apply_logged_write, m);
    char *err = NULL;
    if (inputlog_load(l, fz_file_set(&file, data, size), &err) == 0) {
        m->cfg.max_insns = machine_icount(m) + RUN_INSNS;
        inputlog_replay_run(l, &err);
        m->cfg.max_insns = 0;
    }
    g_free(err);
    inputlog_free(l);
    return 0;
}
