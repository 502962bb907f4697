/* The GDB stub's packet handling (debug/gdbstub.c) without a socket: the stub's own file is
 * compiled into this harness so that received bytes go through its event callback into its
 * packet queue and every packet through its handler, exactly as a connection would, against
 * the small running machine (boot state per input, a fresh debugger). Replies are written to
 * /dev/null; reading it gives end-of-file, which the stub takes as a lost connection, so a
 * `c` stops after one chunk (and RUN_INSNS bounds every input). Byte 0 of the input turns
 * reverse execution on (bit 0); the rest is the byte stream from "GDB". monitor (qRcmd)
 * commands that touch host files are dropped as in the console harness. */
#include <fcntl.h>
#include "debug/gdbstub.c"
#include "tests/fuzz/fuzz_common.h"

#define RUN_INSNS 40000
#define MAX_PACKETS 48

static Machine *mach;
static GByteArray *boot;
static int null_fd;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    mach = fz_machine_new();
    boot = fz_snapshot_now(mach);
    null_fd = open("/dev/null", O_RDWR);
    return 0;
}

/* qRcmd carries a console command: the same exclusions as the console harness */
static bool packet_ok(const GByteArray *p)
{
    RspCmd cmd;
    bool ok = rsp_parse(p->data, p->len, &cmd) != RSP_CMD_QRCMD || !cmd.str ||
              fz_console_line_ok(cmd.str);
    rsp_cmd_clear(&cmd);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fz_restore(mach, boot);
    Debugger *d = dbg_new(mach);
    dbg_enable_history(d, 2000, data[0] & 1 ? 8ULL << 20 : 0);
    mach->cfg.max_insns = machine_icount(mach) + RUN_INSNS;
    Stub s = { .d = d, .fd = null_fd };
    s.cfg = RSP_CONFIG_DEFAULT;
    s.cfg.reverse = d->rev != NULL;
    rsp_rx_init(&s.rx);
    g_queue_init(&s.packets);
    rsp_rx_feed(&s.rx, data + 1, size - 1, on_event, &s);
    GString *out = g_string_new(NULL);
    for (int n = 0; n < MAX_PACKETS && !s.killed && !s.detached; n++) {
        GByteArray *p = g_queue_pop_head(&s.packets);
        if (!p)
            break;
        s.closed = false;
        if (packet_ok(p))
            handle(&s, p, out);
        g_byte_array_unref(p);
    }
    while (!g_queue_is_empty(&s.packets))
        g_byte_array_unref(g_queue_pop_head(&s.packets));
    g_string_free(out, TRUE);
    rsp_rx_free(&s.rx);
    dbg_free(d);
    fz_detach_debugger(mach);
    return 0;
}
