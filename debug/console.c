/* The interactive console (-i / --console): readline with history in ~/.hvsim_history and
 * tab completion of command names, `info` topics, register, system register and symbol names;
 * every line goes through the same command table as --script files. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <readline/history.h>
#include <readline/readline.h>
#include "debug/debugger.h"

/* Candidates for the word being completed, gathered when completion starts. */
static GPtrArray *cands;
static Debugger *console_dbg;

static void add_cand(const char *w)
{
    g_ptr_array_add(cands, (gpointer)w);
}

static char *generate(const char *text, int state)
{
    static guint idx;
    static size_t len;
    if (!state) {
        idx = 0;
        len = strlen(text);
    }
    while (idx < cands->len) {
        const char *n = g_ptr_array_index(cands, idx++);
        if (!strncmp(n, text, len))
            return strdup(n);
    }
    return NULL;
}

/* Command names first; then `info` topics, system register names after `info sysregs`,
 * and symbol names (after `symbols FILE`) anywhere an address goes. */
static char **completion(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1;
    if (!cands)
        cands = g_ptr_array_new();
    g_ptr_array_set_size(cands, 0);
    char *before = g_strndup(rl_line_buffer, (gsize)start);
    char **words = g_strsplit_set(g_strstrip(before), " \t", -1);
    guint nw = *words[0] ? g_strv_length(words) : 0;
    static const char *const info_topics[] = { "breakpoints", "tlb", "stats", "vms", "history",
                                                "state-hash", NULL };
    const MachineCpu *mc = console_dbg ? &console_dbg->m->cpus[console_dbg->cur_cpu] : NULL;
    if (nw == 0) {
        for (const char *const *n = dbg_command_names(); *n; n++)
            add_cand(*n);
    } else if (nw == 1 && !strcmp(words[0], "info")) {
        for (const CpuInfoTopic *t = mc ? mc->cls->info_topics : NULL; t && t->name; t++)
            add_cand(t->name);
        for (const char *const *n = info_topics; *n; n++)
            add_cand(*n);
        for (int i = 0; console_dbg && i < console_dbg->m->nobjects; i++)
            if (console_dbg->m->objects[i].describe)
                add_cand(console_dbg->m->objects[i].name);
    } else if (nw == 1 && !strcmp(words[0], "set") && mc) {
        /* the registers the debugger writes: those of GDB's 'g' packet, and the aliases */
        const CpuRegSet *set = mc->cls->regs;
        for (size_t f = 0; f < set->nfeatures; f++)
            for (size_t i = 0; set->features[f].in_g && i < set->features[f].nregs; i++)
                add_cand(set->features[f].regs[i].name);
        for (const char *const *al = mc->cls->reg_aliases; al && al[0]; al += 2)
            add_cand(al[0]);
        add_cand("mem");
    } else if (nw >= 2 && !strcmp(words[0], "info") && !strcmp(words[1], "sysregs") && mc &&
               mc->cls->sysreg_name) {
        const char *n;
        for (size_t i = 0; (n = mc->cls->sysreg_name(i)); i++)
            add_cand(n);
    } else if (console_dbg) {
        const DbgSymbols *t = &console_dbg->syms;
        for (size_t i = 0; i < t->n; i++)
            add_cand(t->syms[i].name);
    }
    g_strfreev(words);
    g_free(before);
    if (!cands->len)
        return NULL;
    return rl_completion_matches(text, generate);
}

int dbg_console(Debugger *d)
{
    char *hist = g_build_filename(g_get_home_dir(), ".hvsim_history", NULL);
    using_history();
    read_history(hist);
    rl_attempted_completion_function = completion;
    console_dbg = d;
    /* Ctrl-C belongs to the running machine (run_for installs its handler): at the prompt it
     * is ignored rather than killing the session, and readline installs no handler of its own */
    rl_catch_signals = 0;
    struct sigaction ign = { 0 }, old_int;
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGINT, &ign, &old_int);
    GString *out = g_string_new(NULL);
    int status = 0;
    for (;;) {
        char *line = readline("(hvsim) ");
        if (!line)
            break;            /* end of input */
        if (*line)
            add_history(line);
        bool failed;
        g_string_truncate(out, 0);
        bool go_on = dbg_command(d, line, out, &failed);
        free(line);
        fflush(d->m->out);
        fputs(out->str, stdout);
        fflush(stdout);
        if (!go_on)
            break;
    }
    sigaction(SIGINT, &old_int, NULL);
    write_history(hist);
    g_free(hist);
    g_string_free(out, TRUE);
    return status;
}
