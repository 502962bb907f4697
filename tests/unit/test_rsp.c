/* GDB remote protocol layer (debug/rsp): framing with checksums, escapes, run-length codes
 * and Ctrl-C; parsing of every packet the stub understands; reply builders; qXfer
 * windowing; the target description XML (parsed back with GMarkup). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/arm64/cpu.h"
#include "cpu/arm64/regs.h"
#include "debug/rsp.h"

/* ---- a recording receiver ---- */

typedef struct Ev {
    RspEventKind kind;
    GByteArray *data;
} Ev;

typedef struct Rec {
    Ev ev[16];
    int n;
} Rec;

static void rec_fn(void *opaque, RspEventKind kind, const uint8_t *payload, size_t len)
{
    Rec *r = opaque;
    cr_assert_lt(r->n, 16);
    Ev *e = &r->ev[r->n++];
    e->kind = kind;
    e->data = g_byte_array_new();
    if (payload) {
        cr_assert_eq(payload[len], 0, "payload is NUL-terminated");
        g_byte_array_append(e->data, payload, (guint)len);
    }
}

static void rec_free(Rec *r)
{
    for (int i = 0; i < r->n; i++)
        g_byte_array_free(r->ev[i].data, TRUE);
    r->n = 0;
}

static void feed_str(RspRx *rx, Rec *r, const char *s)
{
    rsp_rx_feed(rx, (const uint8_t *)s, strlen(s), rec_fn, r);
}

static void parse_str(const char *s, RspCmd *cmd)
{
    rsp_parse((const uint8_t *)s, strlen(s), cmd);
}

/* ---- framing ---- */

Test(rsp, frame_roundtrip_with_escapes)
{
    /* Every byte value, including the four that must be escaped and 0x03. */
    uint8_t pl[256];
    for (int i = 0; i < 256; i++)
        pl[i] = (uint8_t)i;
    GString *w = g_string_new(NULL);
    rsp_frame(w, pl, sizeof pl);
    cr_assert_eq(w->str[0], '$');
    cr_assert_eq(w->str[w->len - 3], '#');
    /* 4 escaped bytes add 4 characters; the raw characters between '$' and '#' never
     * contain an unescaped '#', '$' or '*'. */
    cr_assert_eq(w->len, 1 + 256 + 4 + 3);
    for (size_t i = 1; i < w->len - 3; i++) {
        cr_assert_neq(w->str[i], '#');
        cr_assert_neq(w->str[i], '$');
        cr_assert_neq(w->str[i], '*');
    }
    /* The checksum covers the characters as sent. */
    unsigned sum = rsp_checksum(w->str + 1, w->len - 4);
    char want[3];
    snprintf(want, sizeof want, "%02x", sum);
    cr_assert_str_eq(w->str + w->len - 2, want);

    /* Fed back one byte at a time, the receiver recovers the exact bytes. */
    RspRx rx;
    Rec r = { 0 };
    rsp_rx_init(&rx);
    for (size_t i = 0; i < w->len; i++)
        rsp_rx_feed(&rx, (const uint8_t *)w->str + i, 1, rec_fn, &r);
    cr_assert_eq(r.n, 1);
    cr_assert_eq(r.ev[0].kind, RSP_EV_PACKET);
    cr_assert_eq(r.ev[0].data->len, 256);
    cr_assert_arr_eq(r.ev[0].data->data, pl, 256);
    rec_free(&r);
    rsp_rx_free(&rx);
    g_string_free(w, TRUE);
}

Test(rsp, frame_known_checksum)
{
    GString *w = g_string_new(NULL);
    rsp_frame(w, "OK", 2);
    cr_assert_str_eq(w->str, "$OK#9a");       /* 'O' 0x4f + 'K' 0x4b = 0x9a */
    g_string_truncate(w, 0);
    rsp_frame(w, "", 0);
    cr_assert_str_eq(w->str, "$#00");
    g_string_truncate(w, 0);
    rsp_frame(w, "a}b", 3);                    /* '}' -> "}]" */
    cr_assert_str_eq(w->str, "$a}]b#9d");
    g_string_free(w, TRUE);
}

Test(rsp, bad_checksum_and_acks)
{
    RspRx rx;
    Rec r = { 0 };
    rsp_rx_init(&rx);
    feed_str(&rx, &r, "+$OK#9b-$OK#9A+$g#zz");
    cr_assert_eq(r.n, 6);
    cr_assert_eq(r.ev[0].kind, RSP_EV_ACK);
    cr_assert_eq(r.ev[1].kind, RSP_EV_BAD_CHECKSUM);
    cr_assert_eq(r.ev[2].kind, RSP_EV_NAK);
    cr_assert_eq(r.ev[3].kind, RSP_EV_PACKET, "upper-case checksum digits are accepted");
    cr_assert_eq(r.ev[3].data->len, 2);
    cr_assert_eq(r.ev[4].kind, RSP_EV_ACK);
    cr_assert_eq(r.ev[5].kind, RSP_EV_BAD_CHECKSUM, "non-hex checksum digits");
    rec_free(&r);
    rsp_rx_free(&rx);
}

Test(rsp, interrupt_between_packets)
{
    RspRx rx;
    Rec r = { 0 };
    rsp_rx_init(&rx);
    GString *w = g_string_new(NULL);
    rsp_frame(w, "c", 1);
    g_string_append_c(w, 0x03);
    g_string_append(w, "junk");               /* noise between packets is ignored */
    rsp_frame(w, "?", 1);
    /* split the stream in the middle of the second packet */
    size_t cut = w->len - 2;
    rsp_rx_feed(&rx, (const uint8_t *)w->str, cut, rec_fn, &r);
    cr_assert_eq(r.n, 2);
    rsp_rx_feed(&rx, (const uint8_t *)w->str + cut, w->len - cut, rec_fn, &r);
    cr_assert_eq(r.n, 3);
    cr_assert_eq(r.ev[0].kind, RSP_EV_PACKET);
    cr_assert_eq(r.ev[0].data->data[0], 'c');
    cr_assert_eq(r.ev[1].kind, RSP_EV_INTERRUPT);
    cr_assert_eq(r.ev[2].kind, RSP_EV_PACKET);
    cr_assert_eq(r.ev[2].data->data[0], '?');
    rec_free(&r);
    rsp_rx_free(&rx);
    g_string_free(w, TRUE);
}

/* Builds "$body#xx" with the checksum of body as given (no escaping). */
static void feed_raw(RspRx *rx, Rec *r, const char *body)
{
    char *p = g_strdup_printf("$%s#%02x", body, rsp_checksum(body, strlen(body)));
    feed_str(rx, r, p);
    g_free(p);
}

Test(rsp, run_length_decoding)
{
    RspRx rx;
    Rec r = { 0 };
    rsp_rx_init(&rx);
    feed_raw(&rx, &r, "0* ");                 /* ' ' = 32: 3 more -> "0000" */
    feed_raw(&rx, &r, "ab*\"c");              /* '"' = 34: 5 more b's */
    feed_raw(&rx, &r, "}]*!");                /* repeat an escaped '}' 4 more times */
    feed_raw(&rx, &r, "*!");                  /* nothing to repeat: malformed */
    cr_assert_eq(r.n, 4);
    cr_assert_eq(r.ev[0].kind, RSP_EV_PACKET);
    cr_assert_eq(r.ev[0].data->len, 4);
    cr_assert_arr_eq(r.ev[0].data->data, "0000", 4);
    cr_assert_eq(r.ev[1].data->len, 8);
    cr_assert_arr_eq(r.ev[1].data->data, "abbbbbbc", 8);
    cr_assert_eq(r.ev[2].data->len, 5);
    cr_assert_arr_eq(r.ev[2].data->data, "}}}}}", 5);
    cr_assert_eq(r.ev[3].kind, RSP_EV_BAD_CHECKSUM);
    rec_free(&r);
    rsp_rx_free(&rx);
}

Test(rsp, overflow_is_reported)
{
    RspRx rx;
    Rec r = { 0 };
    rsp_rx_init(&rx);
    rx.limit = 4;
    feed_raw(&rx, &r, "12345");
    feed_raw(&rx, &r, "1234");
    cr_assert_eq(r.n, 2);
    cr_assert_eq(r.ev[0].kind, RSP_EV_OVERFLOW);
    cr_assert_eq(r.ev[1].kind, RSP_EV_PACKET);
    rec_free(&r);
    rsp_rx_free(&rx);
}

/* ---- parsing ---- */

Test(rsp, parse_simple_packets)
{
    static const struct { const char *p; RspCmdKind k; } t[] = {
        { "?", RSP_CMD_HALT_REASON }, { "g", RSP_CMD_READ_REGS },
        { "vCont?", RSP_CMD_VCONT_QUERY }, { "qfThreadInfo", RSP_CMD_QFTHREADINFO },
        { "qsThreadInfo", RSP_CMD_QSTHREADINFO }, { "qC", RSP_CMD_QC },
        { "qAttached", RSP_CMD_QATTACHED }, { "qAttached:1", RSP_CMD_QATTACHED },
        { "qOffsets", RSP_CMD_QOFFSETS }, { "qSymbol::", RSP_CMD_QSYMBOL },
        { "QStartNoAckMode", RSP_CMD_START_NOACK }, { "D", RSP_CMD_DETACH },
        { "D;1", RSP_CMD_DETACH }, { "k", RSP_CMD_KILL }, { "bs", RSP_CMD_REVERSE_STEP },
        { "bc", RSP_CMD_REVERSE_CONTINUE }, { "vMustReplyEmpty", RSP_CMD_MUST_REPLY_EMPTY },
        { "qTStatus", RSP_CMD_UNKNOWN }, { "vFile:open:", RSP_CMD_UNKNOWN },
        { "qXfer:auxv:read::0,100", RSP_CMD_UNKNOWN }, { "", RSP_CMD_UNKNOWN },
        { "QNonStop:1", RSP_CMD_UNKNOWN }, { "gg", RSP_CMD_UNKNOWN },
        { "m10", RSP_CMD_INVALID }, { "p", RSP_CMD_INVALID }, { "Z5,0,4", RSP_CMD_INVALID },
        { "vCont;x", RSP_CMD_INVALID }, { "Hx1", RSP_CMD_INVALID },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
        RspCmd c;
        parse_str(t[i].p, &c);
        cr_assert_eq(c.kind, t[i].k, "'%s' parsed as %d", t[i].p, c.kind);
        rsp_cmd_clear(&c);
    }
}

Test(rsp, parse_registers)
{
    RspCmd c;
    parse_str("p21", &c);
    cr_assert_eq(c.kind, RSP_CMD_READ_REG);
    cr_assert_eq(c.regnum, 0x21);
    rsp_cmd_clear(&c);

    parse_str("P20=efcdab8967452301", &c);
    cr_assert_eq(c.kind, RSP_CMD_WRITE_REG);
    cr_assert_eq(c.regnum, A64_GDB_REG_PC);
    uint64_t v;
    cr_assert(rsp_get_reg(c.data->data, c.data->len, 8, &v));
    cr_assert_eq(v, 0x0123456789abcdefULL, "little-endian: %#" G_GINT64_MODIFIER "x", v);
    rsp_cmd_clear(&c);

    parse_str("G0102030405060708aabbccdd", &c);
    cr_assert_eq(c.kind, RSP_CMD_WRITE_REGS);
    cr_assert_eq(c.data->len, 12);
    cr_assert(rsp_get_reg(c.data->data + 8, 4, 4, &v));
    cr_assert_eq(v, 0xddccbbaa);
    rsp_cmd_clear(&c);

    parse_str("G012", &c);                   /* odd number of digits */
    cr_assert_eq(c.kind, RSP_CMD_INVALID);
    cr_assert_null(c.data, "nothing is left allocated on error");
    rsp_cmd_clear(&c);
    parse_str("P1=zz", &c);
    cr_assert_eq(c.kind, RSP_CMD_INVALID);
    rsp_cmd_clear(&c);
}

Test(rsp, parse_memory)
{
    RspCmd c;
    parse_str("mffff000040001000,40", &c);
    cr_assert_eq(c.kind, RSP_CMD_READ_MEM);
    cr_assert_eq(c.addr, 0xffff000040001000ULL);
    cr_assert_eq(c.len, 0x40);
    rsp_cmd_clear(&c);

    parse_str("m10000000000000000,4", &c);   /* 17 digits: beyond 64 bits */
    cr_assert_eq(c.kind, RSP_CMD_INVALID);
    rsp_cmd_clear(&c);

    parse_str("M40000000,3:a1b2c3", &c);
    cr_assert_eq(c.kind, RSP_CMD_WRITE_MEM);
    cr_assert_eq(c.addr, 0x40000000);
    cr_assert_eq(c.data->len, 3);
    cr_assert_arr_eq(c.data->data, "\xa1\xb2\xc3", 3);
    rsp_cmd_clear(&c);

    parse_str("M40000000,4:a1b2c3", &c);     /* length mismatch */
    cr_assert_eq(c.kind, RSP_CMD_INVALID);
    rsp_cmd_clear(&c);

    /* X with binary data containing every escaped byte and a NUL, through the wire. */
    static const uint8_t bin[] = { '#', 0x00, '$', '}', '*', 0x03, 0xff };
    GString *pl = g_string_new("X40000010,7:");
    g_string_append_len(pl, (const char *)bin, sizeof bin);
    GString *w = g_string_new(NULL);
    rsp_frame(w, pl->str, pl->len);
    RspRx rx;
    Rec r = { 0 };
    rsp_rx_init(&rx);
    rsp_rx_feed(&rx, (const uint8_t *)w->str, w->len, rec_fn, &r);   /* holds a NUL */
    cr_assert_eq(r.n, 1);
    cr_assert_eq(r.ev[0].kind, RSP_EV_PACKET);
    rsp_parse(r.ev[0].data->data, r.ev[0].data->len, &c);
    cr_assert_eq(c.kind, RSP_CMD_WRITE_MEM_BIN);
    cr_assert_eq(c.addr, 0x40000010);
    cr_assert_eq(c.len, 7);
    cr_assert_eq(c.data->len, 7);
    cr_assert_arr_eq(c.data->data, bin, 7);
    rsp_cmd_clear(&c);

    parse_str("X40000010,0:", &c);           /* GDB's probe for X support */
    cr_assert_eq(c.kind, RSP_CMD_WRITE_MEM_BIN);
    cr_assert_eq(c.data->len, 0);
    rsp_cmd_clear(&c);
    parse_str("X40000010,2:a", &c);
    cr_assert_eq(c.kind, RSP_CMD_INVALID);
    rsp_cmd_clear(&c);

    rec_free(&r);
    rsp_rx_free(&rx);
    g_string_free(w, TRUE);
    g_string_free(pl, TRUE);
}

Test(rsp, parse_breakpoints)
{
    static const struct { const char *p; RspCmdKind k; unsigned type; uint64_t addr, kind; } t[] = {
        { "Z0,40001000,4", RSP_CMD_INSERT_BP, RSP_BP_SW, 0x40001000, 4 },
        { "z0,40001000,4", RSP_CMD_REMOVE_BP, RSP_BP_SW, 0x40001000, 4 },
        { "Z1,ffff800000080000,4", RSP_CMD_INSERT_BP, RSP_BP_HW, 0xffff800000080000ULL, 4 },
        { "Z2,40002000,8", RSP_CMD_INSERT_BP, RSP_WP_WRITE, 0x40002000, 8 },
        { "Z3,40002004,2", RSP_CMD_INSERT_BP, RSP_WP_READ, 0x40002004, 2 },
        { "z4,40002008,1", RSP_CMD_REMOVE_BP, RSP_WP_ACCESS, 0x40002008, 1 },
        { "Z0,1000,4;X1,0", RSP_CMD_INSERT_BP, RSP_BP_SW, 0x1000, 4 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
        RspCmd c;
        parse_str(t[i].p, &c);
        cr_assert_eq(c.kind, t[i].k, "%s", t[i].p);
        cr_assert_eq(c.bp_type, t[i].type, "%s", t[i].p);
        cr_assert_eq(c.addr, t[i].addr, "%s", t[i].p);
        cr_assert_eq(c.bp_kind, t[i].kind, "%s", t[i].p);
        rsp_cmd_clear(&c);
    }
    RspCmd c;
    parse_str("Z0,1000", &c);
    cr_assert_eq(c.kind, RSP_CMD_INVALID);
    rsp_cmd_clear(&c);
}

Test(rsp, parse_resume_and_threads)
{
    RspCmd c;
    parse_str("c", &c);
    cr_assert_eq(c.kind, RSP_CMD_CONTINUE);
    cr_assert_not(c.has_addr);
    rsp_cmd_clear(&c);
    parse_str("s40000100", &c);
    cr_assert_eq(c.kind, RSP_CMD_STEP);
    cr_assert(c.has_addr);
    cr_assert_eq(c.addr, 0x40000100);
    rsp_cmd_clear(&c);
    parse_str("C0b;40000200", &c);
    cr_assert_eq(c.kind, RSP_CMD_CONTINUE);
    cr_assert(c.has_sig && c.sig == 0x0b && c.has_addr && c.addr == 0x40000200);
    rsp_cmd_clear(&c);
    parse_str("S05", &c);
    cr_assert_eq(c.kind, RSP_CMD_STEP);
    cr_assert(c.has_sig && c.sig == 5 && !c.has_addr);
    rsp_cmd_clear(&c);

    parse_str("Hg2", &c);
    cr_assert_eq(c.kind, RSP_CMD_SET_THREAD);
    cr_assert_eq(c.thread_op, 'g');
    cr_assert_eq(rsp_core_of_tid(c.tid), 1);
    rsp_cmd_clear(&c);
    parse_str("Hc-1", &c);
    cr_assert_eq(c.thread_op, 'c');
    cr_assert_eq(c.tid, RSP_TID_ALL);
    rsp_cmd_clear(&c);
    parse_str("Hg0", &c);
    cr_assert_eq(c.tid, RSP_TID_ANY);
    rsp_cmd_clear(&c);
    parse_str("Ta", &c);
    cr_assert_eq(c.kind, RSP_CMD_THREAD_ALIVE);
    cr_assert_eq(c.tid, 10);
    rsp_cmd_clear(&c);
}

Test(rsp, parse_vcont)
{
    RspCmd c;
    parse_str("vCont;s:2;c", &c);
    cr_assert_eq(c.kind, RSP_CMD_VCONT);
    cr_assert_eq(c.n_actions, 2);
    cr_assert_eq(c.actions[0].action, 's');
    cr_assert_eq(c.actions[0].tid, 2);
    cr_assert_eq(c.actions[1].action, 'c');
    cr_assert_eq(c.actions[1].tid, RSP_TID_ALL);
    rsp_cmd_clear(&c);

    parse_str("vCont;C02:1;S05:3;t:-1;c:4", &c);
    cr_assert_eq(c.kind, RSP_CMD_VCONT);
    cr_assert_eq(c.n_actions, 4);
    cr_assert(c.actions[0].action == 'C' && c.actions[0].sig == 2 && c.actions[0].tid == 1);
    cr_assert(c.actions[1].action == 'S' && c.actions[1].sig == 5 && c.actions[1].tid == 3);
    cr_assert(c.actions[2].action == 't' && c.actions[2].tid == RSP_TID_ALL);
    cr_assert(c.actions[3].action == 'c' && c.actions[3].tid == 4);
    rsp_cmd_clear(&c);

    static const char *bad[] = { "vCont;", "vCont;c;", "vCont;C", "vCont;s:", "vCont;r1,2" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        parse_str(bad[i], &c);
        cr_assert_eq(c.kind, RSP_CMD_INVALID, "%s", bad[i]);
        rsp_cmd_clear(&c);
    }
}

Test(rsp, parse_queries)
{
    RspCmd c;
    parse_str("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386", &c);
    cr_assert_eq(c.kind, RSP_CMD_QSUPPORTED);
    cr_assert_str_eq(c.str, "multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
    rsp_cmd_clear(&c);
    parse_str("qSupported", &c);
    cr_assert_eq(c.kind, RSP_CMD_QSUPPORTED);
    cr_assert_str_eq(c.str, "");
    rsp_cmd_clear(&c);

    parse_str("qXfer:features:read:target.xml:1f0,ffb", &c);
    cr_assert_eq(c.kind, RSP_CMD_QXFER_FEATURES);
    cr_assert_str_eq(c.str, "target.xml");
    cr_assert_eq(c.offset, 0x1f0);
    cr_assert_eq(c.len, 0xffb);
    rsp_cmd_clear(&c);
    parse_str("qXfer:features:read:target.xml:0", &c);
    cr_assert_eq(c.kind, RSP_CMD_INVALID);
    rsp_cmd_clear(&c);

    /* "monitor info sysregs" */
    GString *h = g_string_new("qRcmd,");
    rsp_hex_encode(h, "info sysregs", 12);
    parse_str(h->str, &c);
    cr_assert_eq(c.kind, RSP_CMD_QRCMD);
    cr_assert_str_eq(c.str, "info sysregs");
    rsp_cmd_clear(&c);
    parse_str("qRcmd,6", &c);
    cr_assert_eq(c.kind, RSP_CMD_INVALID);
    rsp_cmd_clear(&c);
    g_string_free(h, TRUE);
}

/* ---- replies ---- */

Test(rsp, reply_builders)
{
    GString *o = g_string_new(NULL);
    rsp_reply_ok(o);
    cr_assert_str_eq(o->str, "OK");
    g_string_truncate(o, 0);
    rsp_reply_error(o, 0x16);
    cr_assert_str_eq(o->str, "E16");
    g_string_truncate(o, 0);
    rsp_reply_exited(o, 0);
    cr_assert_str_eq(o->str, "W00");

    static const struct { RspStop s; const char *want; } t[] = {
        { { 5, 1, RSP_STOP_SWBREAK, 0 }, "T05thread:1;swbreak:;" },
        { { 5, 12, RSP_STOP_HWBREAK, 0 }, "T05thread:c;hwbreak:;" },
        { { 2, 3, RSP_STOP_SIGNAL, 0 }, "T02thread:3;" },
        { { 5, 2, RSP_STOP_WATCH, 0x40002000 }, "T05thread:2;watch:40002000;" },
        { { 5, 2, RSP_STOP_RWATCH, 0x8 }, "T05thread:2;rwatch:8;" },
        { { 5, 2, RSP_STOP_AWATCH, 0xffff000000001000ULL },
          "T05thread:2;awatch:ffff000000001000;" },
        { { 5, 0, RSP_STOP_SIGNAL, 0 }, "T05" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
        g_string_truncate(o, 0);
        rsp_reply_stop(o, &t[i].s);
        cr_assert_str_eq(o->str, t[i].want);
    }

    g_string_truncate(o, 0);
    rsp_reply_console(o, "hi\n");
    cr_assert_str_eq(o->str, "O68690a");
    g_string_truncate(o, 0);
    rsp_reply_vcont_query(o);
    cr_assert_str_eq(o->str, "vCont;c;C;s;S;t");
    g_string_free(o, TRUE);
}

Test(rsp, hex_registers_little_endian)
{
    GString *o = g_string_new(NULL);
    rsp_put_reg(o, 0x1122334455667788ULL, 8);
    rsp_put_reg(o, 0x600003c5, 4);            /* cpsr: 32 bits in the 'g' packet */
    cr_assert_str_eq(o->str, "8877665544332211" "c5030060");
    uint8_t b[12];
    cr_assert(rsp_hex_decode(o->str, 12, b));
    uint64_t v;
    cr_assert(rsp_get_reg(b, 12, 8, &v));
    cr_assert_eq(v, 0x1122334455667788ULL);
    cr_assert(rsp_get_reg(b + 8, 4, 4, &v));
    cr_assert_eq(v, 0x600003c5);
    cr_assert_not(rsp_get_reg(b, 3, 4, &v), "short data");
    cr_assert_not(rsp_hex_decode("0g", 1, b));
    cr_assert(rsp_hex_decode("AbCd", 2, b));
    cr_assert(b[0] == 0xab && b[1] == 0xcd);
    g_string_free(o, TRUE);
}

Test(rsp, xfer_windowing)
{
    const char *doc = "0123456789";
    GString *o = g_string_new(NULL);
    rsp_reply_xfer(o, doc, 10, 0, 4);
    cr_assert_str_eq(o->str, "m0123");
    g_string_truncate(o, 0);
    rsp_reply_xfer(o, doc, 10, 4, 4);
    cr_assert_str_eq(o->str, "m4567");
    g_string_truncate(o, 0);
    rsp_reply_xfer(o, doc, 10, 8, 4);
    cr_assert_str_eq(o->str, "l89");
    g_string_truncate(o, 0);
    rsp_reply_xfer(o, doc, 10, 6, 4);
    cr_assert_str_eq(o->str, "l6789", "a window ending exactly at the end is the last");
    g_string_truncate(o, 0);
    rsp_reply_xfer(o, doc, 10, 10, 4);
    cr_assert_str_eq(o->str, "l");
    g_string_truncate(o, 0);
    rsp_reply_xfer(o, doc, 10, 99, 4);
    cr_assert_str_eq(o->str, "l");

    /* Reassembling target.xml through qXfer packets of 7 bytes gives the document. */
    const CpuRegSet *set = a64_gdb_regset();
    RspConfig cfg = RSP_CONFIG_DEFAULT;
    char *want = rsp_target_xml(set);
    GString *got = g_string_new(NULL);
    for (uint64_t off = 0;; off += 7) {
        char *q = g_strdup_printf("qXfer:features:read:target.xml:%" G_GINT64_MODIFIER "x,7",
                                  off);
        RspCmd c;
        parse_str(q, &c);
        g_string_truncate(o, 0);
        cr_assert(rsp_reply_generic(o, &c, &cfg, set));
        cr_assert(o->str[0] == 'm' || o->str[0] == 'l');
        g_string_append(got, o->str + 1);
        rsp_cmd_clear(&c);
        g_free(q);
        if (o->str[0] == 'l')
            break;
    }
    cr_assert_str_eq(got->str, want);
    RspCmd c;
    parse_str("qXfer:features:read:nosuch.xml:0,100", &c);
    g_string_truncate(o, 0);
    cr_assert(rsp_reply_generic(o, &c, &cfg, set));
    cr_assert_str_eq(o->str, "E00");
    rsp_cmd_clear(&c);
    g_free(want);
    g_string_free(got, TRUE);
    g_string_free(o, TRUE);
}

/* ---- target description ---- */

typedef struct XmlSeen {
    int regs, features, includes, arch_elems;
    GString *arch, *feature, *includes_list;
    int maxreg;
    bool in_arch;
    GHashTable *names;        /* name -> "bitsize/type/group/regnum" */
} XmlSeen;

static const char *attr(const char **n, const char **v, const char *want)
{
    for (int i = 0; n[i]; i++)
        if (strcmp(n[i], want) == 0)
            return v[i];
    return NULL;
}

static void x_start(GMarkupParseContext *ctx, const char *el, const char **an, const char **av,
                    gpointer ud, GError **err)
{
    XmlSeen *s = ud;
    if (strcmp(el, "reg") == 0) {
        s->regs++;
        const char *rn = attr(an, av, "regnum");
        cr_assert_not_null(rn);
        int r = atoi(rn);
        if (r > s->maxreg)
            s->maxreg = r;
        const char *g = attr(an, av, "group");
        g_hash_table_insert(s->names, g_strdup(attr(an, av, "name")),
                            g_strdup_printf("%s/%s/%s/%s", attr(an, av, "bitsize"),
                                            attr(an, av, "type"), g ? g : "-", rn));
    } else if (strcmp(el, "feature") == 0) {
        s->features++;
        g_string_assign(s->feature, attr(an, av, "name"));
    } else if (strcmp(el, "xi:include") == 0) {
        s->includes++;
        g_string_append_printf(s->includes_list, "%s ", attr(an, av, "href"));
    } else if (strcmp(el, "architecture") == 0) {
        s->arch_elems++;
        s->in_arch = true;
    }
}

static void x_end(GMarkupParseContext *ctx, const char *el, gpointer ud, GError **err)
{
    ((XmlSeen *)ud)->in_arch = false;
}

static void x_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer ud,
                   GError **err)
{
    XmlSeen *s = ud;
    if (s->in_arch)
        g_string_append_len(s->arch, text, (gssize)len);
}

static void parse_xml(const char *doc, XmlSeen *s)
{
    static const GMarkupParser p = { x_start, x_end, x_text, NULL, NULL };
    GError *err = NULL;
    GMarkupParseContext *ctx = g_markup_parse_context_new(&p, 0, s, NULL);
    gboolean ok = g_markup_parse_context_parse(ctx, doc, -1, &err) &&
                  g_markup_parse_context_end_parse(ctx, &err);
    cr_assert(ok, "XML not well formed: %s\n%s", err ? err->message : "?", doc);
    g_markup_parse_context_free(ctx);
}

Test(rsp, target_xml)
{
    const CpuRegSet *set = a64_gdb_regset();
    XmlSeen s = { 0 };
    s.arch = g_string_new(NULL);
    s.feature = g_string_new(NULL);
    s.includes_list = g_string_new(NULL);
    s.names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    s.maxreg = -1;

    char *top = rsp_target_xml(set);
    parse_xml(top, &s);
    cr_assert_str_eq(s.arch->str, "aarch64");
    cr_assert_eq(s.includes, 3);
    cr_assert_eq(s.regs, 0);

    /* Every annex target.xml references is served, and is a well-formed feature. */
    char **hrefs = g_strsplit(g_strstrip(s.includes_list->str), " ", -1);
    GString *fnames = g_string_new(NULL);
    for (char **h = hrefs; *h; h++) {
        char *doc = rsp_xfer_document(set, *h);
        cr_assert_not_null(doc, "annex %s", *h);
        int before = s.features;
        parse_xml(doc, &s);
        cr_assert_eq(s.features, before + 1);
        g_string_append_printf(fnames, "%s ", s.feature->str);
        g_free(doc);
    }
    cr_assert_str_eq(fnames->str, "org.gnu.gdb.aarch64.core org.gnu.gdb.aarch64.fpu org.hvsim.sys ");
    cr_assert_null(rsp_xfer_document(set, "arm-core.xml"));

    /* 34 core + 34 fpu + 20 system registers, numbered 0..87 without gaps or duplicates. */
    cr_assert_eq(s.regs, 88);
    cr_assert_eq(g_hash_table_size(s.names), 88);
    cr_assert_eq(s.maxreg, 87);
    cr_assert_eq(cpuregs_count(set), 88);
    for (unsigned r = 0; r < 88; r++) {
        const CpuReg *reg = cpuregs_find(set, r);
        cr_assert_not_null(reg, "regnum %u", r);
        cr_assert_eq(reg->regnum, r);
    }
    cr_assert_null(cpuregs_find(set, 88));
    /* GDB's numbering and types for the fpu feature (it checks the names) */
    cr_assert_str_eq(g_hash_table_lookup(s.names, "v0"), "128/aarch64v/-/34");
    cr_assert_str_eq(g_hash_table_lookup(s.names, "v31"), "128/aarch64v/-/65");
    cr_assert_str_eq(g_hash_table_lookup(s.names, "fpsr"), "32/int/-/66");
    cr_assert_str_eq(g_hash_table_lookup(s.names, "fpcr"), "32/int/-/67");
    char *fpu = rsp_xfer_document(set, "aarch64-fpu.xml");
    cr_assert(strstr(fpu, "<union id=\"aarch64v\">") && strstr(fpu, "<field name=\"q\" type=\"vnq\"/>"),
              "%s", fpu);
    g_free(fpu);

    cr_assert_str_eq(g_hash_table_lookup(s.names, "x0"), "64/int/-/0");
    cr_assert_str_eq(g_hash_table_lookup(s.names, "x30"), "64/int/-/30");
    cr_assert_str_eq(g_hash_table_lookup(s.names, "sp"), "64/data_ptr/-/31");
    cr_assert_str_eq(g_hash_table_lookup(s.names, "pc"), "64/code_ptr/-/32");
    cr_assert_str_eq(g_hash_table_lookup(s.names, "cpsr"), "32/cpsr_flags/-/33");
    cr_assert_str_eq(g_hash_table_lookup(s.names, "CurrentEL"), "64/uint64/system/68");
    static const char *sys[] = { "HCR_EL2", "VTTBR_EL2", "VTCR_EL2", "ESR_EL2", "FAR_EL2",
        "HPFAR_EL2", "ELR_EL2", "SPSR_EL2", "SCTLR_EL1", "SCTLR_EL2", "TTBR0_EL1",
        "TTBR1_EL1", "TTBR0_EL2", "VBAR_EL1", "VBAR_EL2", "ESR_EL1", "FAR_EL1", "ELR_EL1",
        "SPSR_EL1" };
    for (size_t i = 0; i < G_N_ELEMENTS(sys); i++) {
        const char *v = g_hash_table_lookup(s.names, sys[i]);
        cr_assert_not_null(v, "%s", sys[i]);
        cr_assert(g_str_has_prefix(v, "64/uint64/system/"), "%s: %s", sys[i], v);
    }
    /* Encodings line up with the MRS operand fields (Arm ARM D23). */
    cr_assert_eq(cpuregs_find_name(set, "HCR_EL2")->key,
                 (3u << 14) | (4u << 11) | (1u << 7) | (1u << 3) | 0);
    cr_assert_eq(cpuregs_find_name(set, "HPFAR_EL2")->key,
                 (3u << 14) | (4u << 11) | (6u << 7) | (0u << 3) | 4);
    cr_assert_eq(cpuregs_find_name(set, "pc")->key, 0);
    /* 'g': 31 x-regs + sp + pc at 8 bytes, cpsr at 4, v0-v31 at 16, fpsr and fpcr at 4. */
    cr_assert_eq(cpuregs_g_bytes(set), 33 * 8 + 4 + 32 * 16 + 2 * 4);

    g_strfreev(hrefs);
    g_string_free(fnames, TRUE);
    g_free(top);
    g_string_free(s.arch, TRUE);
    g_string_free(s.feature, TRUE);
    g_string_free(s.includes_list, TRUE);
    g_hash_table_destroy(s.names);
}

Test(rsp, qsupported_and_generic_replies)
{
    const CpuRegSet *set = a64_gdb_regset();
    RspConfig cfg = RSP_CONFIG_DEFAULT;
    GString *o = g_string_new(NULL);
    RspCmd c;

    parse_str("qSupported:multiprocess+;swbreak+;hwbreak+", &c);
    cr_assert(rsp_reply_generic(o, &c, &cfg, set));
    rsp_cmd_clear(&c);
    char **feat = g_strsplit(o->str, ";", -1);
    static const char *need[] = { "qXfer:features:read+", "swbreak+", "hwbreak+",
                                  "vContSupported+", "QStartNoAckMode+" };
    for (size_t i = 0; i < G_N_ELEMENTS(need); i++)
        cr_assert(g_strv_contains((const char *const *)feat, need[i]), "%s in %s", need[i],
                  o->str);
    cr_assert(g_str_has_prefix(o->str, "PacketSize=4000;"), "%s", o->str);
    cr_assert_null(strstr(o->str, "Reverse"), "no reverse execution yet: %s", o->str);
    g_strfreev(feat);

    /* bs/bc: a clean error until reverse execution exists; then the caller's. */
    static const char *rev[] = { "bs", "bc" };
    for (int i = 0; i < 2; i++) {
        parse_str(rev[i], &c);
        g_string_truncate(o, 0);
        cr_assert(rsp_reply_generic(o, &c, &cfg, set));
        cr_assert_str_eq(o->str, "E16");
        RspConfig rcfg = { RSP_PACKET_SIZE, true };
        g_string_truncate(o, 0);
        cr_assert_not(rsp_reply_generic(o, &c, &rcfg, set));
        cr_assert_eq(o->len, 0);
        rsp_cmd_clear(&c);
    }
    RspConfig rcfg = { 0x1000, true };
    g_string_truncate(o, 0);
    rsp_reply_qsupported(o, &rcfg);
    cr_assert(strstr(o->str, "PacketSize=1000;"));
    cr_assert(strstr(o->str, ";ReverseStep+;ReverseContinue+"));

    static const struct { const char *p; const char *want; } t[] = {
        { "vCont?", "vCont;c;C;s;S;t" }, { "QStartNoAckMode", "OK" }, { "qSymbol::", "OK" },
        { "qAttached", "1" }, { "qOffsets", "Text=0;Data=0;Bss=0" },
        { "vMustReplyEmpty", "" }, { "qTStatus", "" }, { "m1", "E01" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
        parse_str(t[i].p, &c);
        g_string_truncate(o, 0);
        cr_assert(rsp_reply_generic(o, &c, &cfg, set), "%s", t[i].p);
        cr_assert_str_eq(o->str, t[i].want, "%s", t[i].p);
        rsp_cmd_clear(&c);
    }
    /* Packets the simulator answers are left to it. */
    static const char *sim[] = { "g", "?", "m0,4", "c", "Z0,0,4", "qRcmd,6869", "qfThreadInfo",
                                 "k", "D", "Hg1", "vCont;c" };
    for (size_t i = 0; i < G_N_ELEMENTS(sim); i++) {
        parse_str(sim[i], &c);
        g_string_truncate(o, 0);
        cr_assert_not(rsp_reply_generic(o, &c, &cfg, set), "%s", sim[i]);
        cr_assert_eq(o->len, 0);
        rsp_cmd_clear(&c);
    }
    g_string_free(o, TRUE);
}

/* ---- the stub against a machine (debug/gdbstub.c over a socket pair) ---- */
/* Issue "hardening": every number a client sends is checked (thread ids, register numbers,
 * lengths, address ranges), commands that write host files are refused unless allowed, and
 * a guest that powers off at the end of a run chunk or step ends the session with W00. */

#include <sys/socket.h>
#include <unistd.h>
#include "boards/virt.h"
#include "debug/debugger.h"

/* Loads `code` as a raw kernel into a 64 MiB virt machine with `smp` cores. */
static Machine *stub_machine(const uint32_t *code, size_t n, int smp)
{
    char *path = g_strdup_printf("/tmp/rsp-stub-%d.bin", (int)getpid());
    cr_assert(g_file_set_contents(path, (const char *)code, (gssize)(n * 4), NULL));
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    cfg.ram_size = 64ULL << 20;
    cfg.smp = smp;
    cfg.kernel = g_strdup(path);
    char *err = NULL;
    Machine *m = virt_create(&cfg, &err);
    cr_assert_not_null(m, "%s", err);
    ((VirtBoard *)m->board)->uart->in_fd = -1;
    machine_config_free(&cfg);
    unlink(path);
    g_free(path);
    return m;
}

static void collect(void *opaque, RspEventKind kind, const uint8_t *payload, size_t len)
{
    GPtrArray *replies = opaque;
    if (kind == RSP_EV_PACKET)
        g_ptr_array_add(replies, g_strndup((const char *)payload, len));
}

/* Sends every packet, then end of input; the stub answers them all and returns. The
 * replies (payloads, "O..." console output included) in order. */
static GPtrArray *stub_session(Debugger *d, const char *const *packets, size_t n)
{
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    GString *w = g_string_new(NULL);
    for (size_t i = 0; i < n; i++)
        rsp_frame(w, packets[i], strlen(packets[i]));
    cr_assert_eq(write(sv[0], w->str, w->len), (ssize_t)w->len);
    g_string_free(w, TRUE);
    shutdown(sv[0], SHUT_WR);
    bool detached;
    dbg_gdb_serve(d, sv[1], &detached);
    close(sv[1]);
    GPtrArray *replies = g_ptr_array_new_with_free_func(g_free);
    RspRx rx;
    rsp_rx_init(&rx);
    rx.limit = 1 << 20;
    uint8_t buf[4096];
    ssize_t got;
    while ((got = read(sv[0], buf, sizeof buf)) > 0)
        rsp_rx_feed(&rx, buf, (size_t)got, collect, replies);
    rsp_rx_free(&rx);
    close(sv[0]);
    return replies;
}

#define REPLY(r, i) ((const char *)g_ptr_array_index((r), (i)))

Test(gdbstub, unknown_threads_get_an_error_never_an_index)
{
    static const uint32_t code[] = { 0xd503201f, 0xd503201f, 0x14000000 };   /* nop; nop; b . */
    Machine *m = stub_machine(code, 3, 2);
    Debugger *d = dbg_new(m);
    static const char *const p[] = {
        "vCont;s:ff", "g", "Hgff", "g", "Hcff", "T3", "T2", "qThreadExtraInfo,ff",
        "qThreadExtraInfo,2", "vCont;c:1;s:9", "Hg2", "qC", "vCont;s:2", "qC", "Hg-1", "Hg0",
    };
    GPtrArray *r = stub_session(d, p, G_N_ELEMENTS(p));
    cr_assert_eq(r->len, G_N_ELEMENTS(p));
    size_t gbytes = cpuregs_g_bytes(a64_gdb_regset());
    cr_assert_str_eq(REPLY(r, 0), "E01", "vCont;s:ff");
    cr_assert_eq(strlen(REPLY(r, 1)), 2 * gbytes, "g after a refused vCont: %s", REPLY(r, 1));
    cr_assert_str_eq(REPLY(r, 2), "E01", "Hgff");
    cr_assert_eq(strlen(REPLY(r, 3)), 2 * gbytes);
    cr_assert_str_eq(REPLY(r, 4), "E01", "Hcff");
    cr_assert_str_eq(REPLY(r, 5), "E01", "T3 on a 2-core machine");
    cr_assert_str_eq(REPLY(r, 6), "OK");
    cr_assert_str_eq(REPLY(r, 7), "E01", "qThreadExtraInfo,ff");
    GString *hex = g_string_new(NULL);
    rsp_hex_encode(hex, "cpu1 EL1 (off)", strlen("cpu1 EL1 (off)"));
    cr_assert_str_eq(REPLY(r, 8), hex->str, "qThreadExtraInfo,2: %s", REPLY(r, 8));
    g_string_free(hex, TRUE);
    cr_assert_str_eq(REPLY(r, 9), "E01", "one bad thread refuses the whole vCont");
    cr_assert_str_eq(REPLY(r, 10), "OK");
    cr_assert_str_eq(REPLY(r, 11), "QC2");
    cr_assert(g_str_has_prefix(REPLY(r, 12), "T05"), "%s", REPLY(r, 12));
    cr_assert_str_eq(REPLY(r, 13), "QC2");
    cr_assert_str_eq(REPLY(r, 14), "OK");
    cr_assert_str_eq(REPLY(r, 15), "OK");
    cr_assert_eq(machine_icount(m), 1, "a refused vCont ran the machine (only vCont;s:2 may)");
    g_ptr_array_free(r, TRUE);
    dbg_free(d);
    machine_free(m);
}

Test(gdbstub, lengths_registers_and_ranges_are_checked)
{
    static const uint32_t code[] = { 0xd503201f, 0x14000000 };
    Machine *m = stub_machine(code, 2, 1);
    Debugger *d = dbg_new(m);
    static const char *const p[] = {
        "mffffffffffffffff,2",       /* wraps around the address space */
        "Mffffffffffffffff,2:0102",
        "m40080000,4",
        "P21=00",                    /* cpsr is 4 bytes */
        "P1=0102",                   /* x1 is 8 */
        "P99=0000000000000000",      /* no such register */
        "p99",
        "G00",                       /* not the whole 'g' block */
        "Z2,ffffffffffffff00,200",   /* watch range wraps */
        "Z2,40080000,0",             /* no length */
        "Z2,40080000,8",
        "p1",
    };
    GPtrArray *r = stub_session(d, p, G_N_ELEMENTS(p));
    cr_assert_eq(r->len, G_N_ELEMENTS(p));
    cr_assert_str_eq(REPLY(r, 0), "E0e");
    cr_assert_str_eq(REPLY(r, 1), "E0e");
    cr_assert_str_eq(REPLY(r, 2), "1f2003d5");
    cr_assert_str_eq(REPLY(r, 3), "E01");
    cr_assert_str_eq(REPLY(r, 4), "E01");
    cr_assert_str_eq(REPLY(r, 5), "E01");
    cr_assert_str_eq(REPLY(r, 6), "E01");
    cr_assert_str_eq(REPLY(r, 7), "E01");
    cr_assert_str_eq(REPLY(r, 8), "E01");
    cr_assert_str_eq(REPLY(r, 9), "E01");
    cr_assert_str_eq(REPLY(r, 10), "OK");
    cr_assert_str_eq(REPLY(r, 11), "0000000000000000", "x1 was written by a refused P or G");
    g_ptr_array_free(r, TRUE);
    dbg_free(d);
    machine_free(m);
}

/* The SIMD&FP registers through p/P/g/G: V registers are 16 target bytes (lowest first),
 * fpsr and fpcr 4; writes go through the debugger (FPCR keeps only its writable bits), a
 * short value is refused, and G writes the V registers like P. */
Test(gdbstub, fpu_registers_read_and_write)
{
    static const uint32_t code[] = { 0xd503201f, 0x14000000 };
    Machine *m = stub_machine(code, 2, 1);
    Debugger *d = dbg_new(m);
    static const char *const p[] = {
        "P22=00112233445566778899aabbccddeeff",   /* v0 */
        "p22",
        "P41=0011",                               /* v31: too short */
        "P42=9f000008",                           /* fpsr = 0x0800009f */
        "p42",
        "P43=ffffffff",                           /* fpcr: writable bits only */
        "p43",
        "g",
    };
    GPtrArray *r = stub_session(d, p, G_N_ELEMENTS(p));
    cr_assert_eq(r->len, G_N_ELEMENTS(p));
    cr_assert_str_eq(REPLY(r, 0), "OK");
    cr_assert_str_eq(REPLY(r, 1), "00112233445566778899aabbccddeeff");
    Arm64Cpu *c = m->cpus[0].obj;
    cr_assert_eq(c->v[0].d[0], 0x7766554433221100ULL);
    cr_assert_eq(c->v[0].d[1], 0xffeeddccbbaa9988ULL);
    cr_assert_str_eq(REPLY(r, 2), "E01");
    cr_assert_str_eq(REPLY(r, 3), "OK");
    cr_assert_str_eq(REPLY(r, 4), "9f000008");
    cr_assert_str_eq(REPLY(r, 5), "OK");
    cr_assert_str_eq(REPLY(r, 6), "0000c007", "%s", REPLY(r, 6));   /* AHP, DN, FZ, RMode */
    const char *g = REPLY(r, 7);
    size_t vo = 2 * (33 * 8 + 4);             /* v0 follows the core registers */
    cr_assert_eq(strlen(g), 2 * cpuregs_g_bytes(a64_gdb_regset()));
    cr_assert(!strncmp(g + vo, "00112233445566778899aabbccddeeff", 32), "%s", g + vo);
    cr_assert(!strcmp(g + strlen(g) - 16, "9f0000080000c007"), "%s", g + strlen(g) - 16);

    /* G with v1 changed, then p of v1 */
    char *gw = g_strdup_printf("G%s", g);
    memcpy(gw + 1 + vo + 32, "0102030405060708090a0b0c0d0e0f10", 32);
    const char *const p2[] = { gw, "p23" };
    GPtrArray *r2 = stub_session(d, p2, 2);
    cr_assert_str_eq(REPLY(r2, 0), "OK");
    cr_assert_str_eq(REPLY(r2, 1), "0102030405060708090a0b0c0d0e0f10");
    cr_assert_eq(c->v[1].d[1], 0x100f0e0d0c0b0a09ULL);
    g_free(gw);
    g_ptr_array_free(r2, TRUE);
    g_ptr_array_free(r, TRUE);
    dbg_free(d);
    machine_free(m);
}

/* qRcmd with a command text */
static char *rcmd(const char *text)
{
    GString *s = g_string_new("qRcmd,");
    rsp_hex_encode(s, text, strlen(text));
    return g_string_free(s, FALSE);
}

Test(gdbstub, monitor_cannot_write_host_files_unless_allowed)
{
    static const uint32_t code[] = { 0xd503201f, 0x14000000 };
    Machine *m = stub_machine(code, 2, 1);
    Debugger *d = dbg_new(m);
    char *dir = g_dir_make_tmp("rsp-monitor-XXXXXX", NULL);
    char *victim = g_build_filename(dir, "victim", NULL);
    char *fresh = g_build_filename(dir, "fresh", NULL);
    cr_assert(g_file_set_contents(victim, "keep me", -1, NULL));
    char *cmds[] = {
        g_strdup_printf("trace on %s", victim), g_strdup_printf("trace on %s exec force", fresh),
        g_strdup_printf("checkpoint save %s force", victim), g_strdup_printf("stats dump %s force", victim),
    };
    const char *p[G_N_ELEMENTS(cmds)];
    for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++)
        p[i] = rcmd(cmds[i]);
    GPtrArray *r = stub_session(d, p, G_N_ELEMENTS(p));
    /* each: one "O" line saying why, then E01 */
    cr_assert_eq(r->len, 2 * G_N_ELEMENTS(p));
    for (size_t i = 0; i < G_N_ELEMENTS(p); i++) {
        cr_assert_str_eq(REPLY(r, 2 * i + 1), "E01", "%s", cmds[i]);
        const char *o = REPLY(r, 2 * i);
        cr_assert_eq(o[0], 'O');
        size_t n = strlen(o + 1) / 2;
        char *text = g_malloc0(n + 1);
        cr_assert(rsp_hex_decode(o + 1, n, (uint8_t *)text));
        cr_assert(strstr(text, "--gdb-allow-host-writes"), "%s: %s", cmds[i], text);
        cr_assert_eq(strchr(text, '\n'), text + n - 1, "one line: %s", text);
        g_free(text);
    }
    g_ptr_array_free(r, TRUE);
    char *s = NULL;
    cr_assert(g_file_get_contents(victim, &s, NULL, NULL));
    cr_assert_str_eq(s, "keep me");
    g_free(s);
    cr_assert(!g_file_test(fresh, G_FILE_TEST_EXISTS));

    /* allowed: the same monitor command writes (a new file; the existing one needs force) */
    d->gdb_host_writes = true;
    char *cmd2 = g_strdup_printf("stats dump %s", fresh);
    const char *p2[] = { rcmd(cmd2) };
    r = stub_session(d, p2, 1);
    cr_assert_str_eq(REPLY(r, r->len - 1), "OK");
    cr_assert(g_file_get_contents(fresh, &s, NULL, NULL));
    cr_assert(strstr(s, "sim.insns 0"), "%s", s);
    g_free(s);
    g_ptr_array_free(r, TRUE);
    g_free((char *)p2[0]);
    g_free(cmd2);

    for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++) {
        g_free(cmds[i]);
        g_free((char *)p[i]);
    }
    unlink(victim);
    unlink(fresh);
    rmdir(dir);
    g_free(victim);
    g_free(fresh);
    g_free(dir);
    dbg_free(d);
    machine_free(m);
}

/* movz x0,#8; movk x0,#0x8400,lsl #16; hvc #0: PSCI SYSTEM_OFF */
#define POWER_OFF 0xd2800100u, 0xf2b08000u, 0xd4000002u

Test(gdbstub, power_off_at_a_chunk_boundary_is_an_exit)
{
    /* 3 + 2 * 499997 + 3 = 1000000 instructions: the HVC is the last of the stub's first
     * run chunk (1000000 instructions) */
    static const uint32_t code[] = {
        0xd2800001u | (0xa11du << 5),   /* movz x1, #0xa11d */
        0xf2a00000u | (7u << 5) | 1,    /* movk x1, #7, lsl #16: 499997 */
        0xd503201fu,                    /* nop */
        0xf1000421u,                    /* subs x1, x1, #1 */
        0x54ffffe1u,                    /* b.ne .-4 */
        POWER_OFF,
    };
    Machine *m = stub_machine(code, G_N_ELEMENTS(code), 1);
    Debugger *d = dbg_new(m);
    static const char *const p[] = { "vCont;c", "?", "vCont;s", "g" };
    GPtrArray *r = stub_session(d, p, G_N_ELEMENTS(p));
    cr_assert_eq(machine_icount(m), 1000000);
    cr_assert_str_eq(REPLY(r, 0), "W00", "power-off at the chunk's end: %s", REPLY(r, 0));
    cr_assert_str_eq(REPLY(r, 1), "W00");
    cr_assert_str_eq(REPLY(r, 2), "W00", "a step after the power-off ran the machine");
    cr_assert_eq(machine_icount(m), 1000000);
    g_ptr_array_free(r, TRUE);
    dbg_free(d);
    machine_free(m);
}

Test(gdbstub, power_off_on_a_step_is_an_exit)
{
    static const uint32_t code[] = { POWER_OFF };
    Machine *m = stub_machine(code, G_N_ELEMENTS(code), 1);
    Debugger *d = dbg_new(m);
    static const char *const p[] = { "Z0,40080008,4", "c", "s", "c" };
    GPtrArray *r = stub_session(d, p, G_N_ELEMENTS(p));
    cr_assert_str_eq(REPLY(r, 0), "OK");
    cr_assert(g_str_has_prefix(REPLY(r, 1), "T05"), "%s", REPLY(r, 1));
    cr_assert(strstr(REPLY(r, 1), "swbreak"), "%s", REPLY(r, 1));
    cr_assert_str_eq(REPLY(r, 2), "W00", "power-off on the step from a breakpoint: %s", REPLY(r, 2));
    cr_assert_str_eq(REPLY(r, 3), "W00");
    cr_assert_eq(machine_icount(m), 3);
    cr_assert_eq(m->exit_code, 0);
    g_ptr_array_free(r, TRUE);
    dbg_free(d);
    machine_free(m);
}

Test(debugger, commands_after_power_off_say_so)
{
    static const uint32_t code[] = { POWER_OFF };
    Machine *m = stub_machine(code, G_N_ELEMENTS(code), 1);
    Debugger *d = dbg_new(m);
    GString *out = g_string_new(NULL);
    bool failed;
    dbg_command(d, "stepi 3", out, &failed);
    cr_assert_not(failed);
    cr_assert(d->exited, "power-off on the step's last instruction: %s", out->str);
    cr_assert(strstr(out->str, "machine stopped after 3 instructions: exit code 0"), "%s", out->str);
    for (int i = 0; i < 2; i++) {
        g_string_truncate(out, 0);
        dbg_command(d, i ? "stepi" : "continue", out, &failed);
        cr_assert_str_eq(out->str, "error: the machine has powered off; nothing to run\n");
        cr_assert_not(failed, "a script ends with 0 as for a power-off");
    }
    cr_assert_eq(machine_icount(m), 3);
    cr_assert_eq(m->exit_code, 0);
    g_string_free(out, TRUE);
    dbg_free(d);
    machine_free(m);
}

Test(debugger, trace_with_a_bad_category_touches_no_file)
{
    static const uint32_t code[] = { 0xd503201f, 0x14000000 };
    Machine *m = stub_machine(code, 2, 1);
    Debugger *d = dbg_new(m);
    char *path = g_strdup_printf("/tmp/rsp-trace-%d.txt", (int)getpid());
    cr_assert(g_file_set_contents(path, "old trace", -1, NULL));
    GString *out = g_string_new(NULL);
    bool failed;
    char *line = g_strdup_printf("trace on %s exec,bogus force", path);
    dbg_command(d, line, out, &failed);
    cr_assert(failed);
    cr_assert_str_eq(out->str, "error: trace: unknown category 'bogus' (in_asm, exec, int, mmu, "
                     "vmexit, unimp)\n");
    char *s = NULL;
    cr_assert(g_file_get_contents(path, &s, NULL, NULL));
    cr_assert_str_eq(s, "old trace");
    g_free(s);
    /* without force the existing file stays; with it the trace replaces it when closed */
    g_free(line);
    line = g_strdup_printf("trace on %s exec", path);
    g_string_truncate(out, 0);
    dbg_command(d, line, out, &failed);
    cr_assert(failed);
    cr_assert(strstr(out->str, "--force"), "%s", out->str);
    g_free(line);
    line = g_strdup_printf("trace on %s exec force", path);
    g_string_truncate(out, 0);
    dbg_command(d, line, out, &failed);
    cr_assert_not(failed, "%s", out->str);
    dbg_command(d, "stepi 2", out, &failed);
    char *err = NULL;
    cr_assert(dbg_close_trace(d, &err), "%s", err);
    cr_assert(g_file_get_contents(path, &s, NULL, NULL));
    cr_assert(strstr(s, "EXEC") || strstr(s, "nop"), "%s", s);
    g_free(s);
    unlink(path);
    g_free(line);
    g_free(path);
    g_string_free(out, TRUE);
    dbg_free(d);
    machine_free(m);
}
