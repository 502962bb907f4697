/* The interactive console (-i / --console): readline with history in ~/.hvsim_history and
 * tab completion of command names; every line goes through the same command table as
 * --script files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <readline/history.h>
#include <readline/readline.h>
#include "debug/debugger.h"

static char *complete_command(const char *text, int state)
{
    static int idx;
    static size_t len;
    const char *const *names = dbg_command_names();
    if (!state) {
        idx = 0;
        len = strlen(text);
    }
    while (names[idx]) {
        const char *n = names[idx++];
        if (!strncmp(n, text, len))
            return strdup(n);
    }
    return NULL;
}

static char **completion(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1;
    if (start != 0)
        return NULL;          /* arguments: no completion yet */
    return rl_completion_matches(text, complete_command);
}

int dbg_console(Debugger *d)
{
    char *hist = g_build_filename(g_get_home_dir(), ".hvsim_history", NULL);
    using_history();
    read_history(hist);
    rl_attempted_completion_function = completion;
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
    write_history(hist);
    g_free(hist);
    g_string_free(out, TRUE);
    return status;
}
