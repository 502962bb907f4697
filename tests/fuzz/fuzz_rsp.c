/* The GDB remote protocol layer alone (debug/rsp.c, no machine): received bytes go through
 * the incremental receiver (rsp_rx_feed) in chunks the input chooses; every packet is parsed
 * (rsp_parse), answered where no simulator is needed (rsp_reply_generic), framed, and the
 * framed reply must come back unchanged through a second receiver. Register and hex helpers
 * are run over the parsed data. Input: byte 0 = chunk size and options, the rest = the
 * byte stream from "GDB". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/arm64/regs.h"
#include "debug/rsp.h"

typedef struct Ctx {
    RspConfig cfg;
    GString *reply, *framed;
    int packets;
} Ctx;

typedef struct Echo {
    const GString *want;
    int got;
} Echo;

static void on_echo(void *opaque, RspEventKind ev, const uint8_t *payload, size_t len)
{
    Echo *e = opaque;
    if (ev != RSP_EV_PACKET || len != e->want->len || memcmp(payload, e->want->str, len)) {
        fprintf(stderr, "fuzz: a framed reply did not come back unchanged (event %d, %zu bytes "
                        "for %zu)\n", (int)ev, len, e->want->len);
        abort();
    }
    e->got++;
}

static void exercise(Ctx *c, const uint8_t *payload, size_t len)
{
    RspCmd cmd;
    RspCmdKind k = rsp_parse(payload, len, &cmd);
    const CpuRegSet *set = a64_gdb_regset();
    g_string_truncate(c->reply, 0);
    rsp_reply_generic(c->reply, &cmd, &c->cfg, set);
    if (k == RSP_CMD_READ_REG || k == RSP_CMD_WRITE_REG) {
        const CpuReg *r = cpuregs_find(set, cmd.regnum);
        uint64_t v;
        if (r && cmd.data)
            rsp_get_reg(cmd.data->data, cmd.data->len, r->bitsize / 8, &v);
        if (r)
            rsp_put_reg(c->reply, cmd.regnum, r->bitsize / 8);
    }
    if (cmd.data) {
        uint8_t *b = g_malloc(cmd.data->len / 2 + 1);
        rsp_hex_decode((const char *)cmd.data->data, cmd.data->len / 2, b);
        g_free(b);
    }
    if (cmd.str) {
        char *doc = rsp_xfer_document(set, cmd.str);
        g_free(doc);
        cpuregs_find_name(set, cmd.str);
    }
    rsp_cmd_clear(&cmd);
    /* the reply, framed, must come back through a receiver unchanged */
    g_string_truncate(c->framed, 0);
    rsp_frame(c->framed, c->reply->str, c->reply->len);
    RspRx rx;
    rsp_rx_init(&rx);
    rx.limit = (size_t)-1;
    Echo e = { c->reply, 0 };
    rsp_rx_feed(&rx, (const uint8_t *)c->framed->str, c->framed->len, on_echo, &e);
    rsp_rx_free(&rx);
    if (e.got != 1) {
        fprintf(stderr, "fuzz: a framed reply of %zu bytes gave %d packets\n", c->reply->len, e.got);
        abort();
    }
}

static void on_event(void *opaque, RspEventKind ev, const uint8_t *payload, size_t len)
{
    Ctx *c = opaque;
    if ((ev == RSP_EV_PACKET || ev == RSP_EV_BAD_CHECKSUM) && c->packets++ < 64) {
        if (payload[len] != 0) {
            fprintf(stderr, "fuzz: payload not NUL-terminated\n");
            abort();
        }
        exercise(c, payload, len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    Ctx c = { RSP_CONFIG_DEFAULT, g_string_new(NULL), g_string_new(NULL), 0 };
    c.cfg.reverse = data[0] & 0x80;
    size_t chunk = (data[0] & 0x3f) + 1;
    RspRx rx;
    rsp_rx_init(&rx);
    if (data[0] & 0x40)
        rx.limit = 64;        /* overflow handling with short packets */
    for (size_t p = 1; p < size; p += chunk)
        rsp_rx_feed(&rx, data + p, size - p < chunk ? size - p : chunk, on_event, &c);
    rsp_rx_free(&rx);
    g_string_free(c.reply, TRUE);
    g_string_free(c.framed, TRUE);
    return 0;
}
