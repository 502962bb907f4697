/* GDB Remote Serial Protocol, protocol layer: framing, parsing, replies and the target
 * description. See rsp.h. Section names refer to the GDB manual, appendix E ("Remote
 * Serial Protocol") and appendix G ("Target Descriptions"). */
#include "debug/rsp.h"
#include <limits.h>
#include <string.h>

/* ---- Framing ---------------------------------------------------------------------- */

static const char hexdig[] = "0123456789abcdef";

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void rsp_rx_init(RspRx *rx)
{
    memset(rx, 0, sizeof *rx);
    rx->buf = g_byte_array_new();
    rx->state = RSP_RX_IDLE;
    rx->last_raw = -1;
    rx->limit = RSP_PACKET_SIZE;
}

void rsp_rx_free(RspRx *rx)
{
    if (rx->buf)
        g_byte_array_free(rx->buf, TRUE);
    rx->buf = NULL;
}

static void rx_start(RspRx *rx)
{
    g_byte_array_set_size(rx->buf, 0);
    rx->state = RSP_RX_DATA;
    rx->sum = 0;
    rx->sum_hi = 0;
    rx->last_raw = -1;
    rx->bad = false;
    rx->overflow = false;
}

static void rx_put(RspRx *rx, uint8_t c)
{
    if (rx->buf->len >= rx->limit) {
        rx->overflow = true;
        return;
    }
    g_byte_array_append(rx->buf, &c, 1);
    rx->last_raw = c;
}

static void rx_emit(RspRx *rx, RspEventKind ev, RspRxFn fn, void *opaque)
{
    guint n = rx->buf->len;
    uint8_t nul = 0;
    g_byte_array_append(rx->buf, &nul, 1);   /* NUL-terminate for the callback */
    fn(opaque, ev, rx->buf->data, n);
    g_byte_array_set_size(rx->buf, 0);
}

/* E.1 Overview: "$packet-data#checksum"; the checksum is the modulo-256 sum of the
 * characters between '$' and '#', as sent (so escapes and run-length codes included).
 * '}' escapes the next byte (XOR 0x20); "c*n" repeats c a further n - 29 times. */
void rsp_rx_feed(RspRx *rx, const uint8_t *buf, size_t len, RspRxFn fn, void *opaque)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        switch (rx->state) {
        case RSP_RX_IDLE:
            if (c == '$')
                rx_start(rx);
            else if (c == '+')
                fn(opaque, RSP_EV_ACK, NULL, 0);
            else if (c == '-')
                fn(opaque, RSP_EV_NAK, NULL, 0);
            else if (c == 0x03)
                fn(opaque, RSP_EV_INTERRUPT, NULL, 0);
            /* anything else between packets is line noise */
            break;
        case RSP_RX_DATA:
            if (c == '#') {
                rx->state = RSP_RX_SUM1;
            } else if (c == '$') {
                rx_start(rx);              /* a new packet abandons the partial one */
            } else {
                rx->sum += c;
                if (c == '}')
                    rx->state = RSP_RX_ESC;
                else if (c == '*')
                    rx->state = RSP_RX_RLE;
                else
                    rx_put(rx, c);
            }
            break;
        case RSP_RX_ESC:
            rx->sum += c;
            rx_put(rx, c ^ 0x20);
            rx->state = RSP_RX_DATA;
            break;
        case RSP_RX_RLE:
            if (c == '#') {                /* "*" with no count: malformed */
                rx->bad = true;
                rx->state = RSP_RX_SUM1;
                break;
            }
            if (c == '$') {
                rx_start(rx);
                break;
            }
            rx->sum += c;
            /* The count character is printable and never '#' or '$'; the repeated
             * character is the previous payload byte (after unescaping). */
            if (rx->last_raw < 0 || c < 29 + 3 || c > 126) {
                rx->bad = true;
            } else {
                uint8_t rep = (uint8_t)rx->last_raw;
                for (int n = c - 29; n > 0; n--)
                    rx_put(rx, rep);
            }
            rx->state = RSP_RX_DATA;
            break;
        case RSP_RX_SUM1: {
            int v = hexval(c);
            if (v < 0)
                rx->bad = true;
            rx->sum_hi = (uint8_t)(v < 0 ? 0 : v);
            rx->state = RSP_RX_SUM2;
            break;
        }
        case RSP_RX_SUM2: {
            int v = hexval(c);
            bool ok = v >= 0 && !rx->bad && (uint8_t)(rx->sum_hi << 4 | v) == rx->sum;
            rx->state = RSP_RX_IDLE;
            if (rx->overflow)
                rx_emit(rx, RSP_EV_OVERFLOW, fn, opaque);
            else
                rx_emit(rx, ok ? RSP_EV_PACKET : RSP_EV_BAD_CHECKSUM, fn, opaque);
            break;
        }
        }
    }
}

uint8_t rsp_checksum(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint8_t s = 0;
    for (size_t i = 0; i < len; i++)
        s += p[i];
    return s;
}

static bool needs_escape(uint8_t c)
{
    /* E.1: '#', '$' and '}' must always be escaped; replies also escape '*' so it is
     * not taken for a run-length code. */
    return c == '#' || c == '$' || c == '}' || c == '*';
}

void rsp_frame(GString *out, const void *payload, size_t len)
{
    const uint8_t *p = payload;
    uint8_t sum = 0;
    g_string_append_c(out, '$');
    for (size_t i = 0; i < len; i++) {
        uint8_t c = p[i];
        if (needs_escape(c)) {
            g_string_append_c(out, '}');
            sum += '}';
            c ^= 0x20;
        }
        g_string_append_c(out, (char)c);
        sum += c;
    }
    g_string_append_c(out, '#');
    g_string_append_c(out, hexdig[sum >> 4]);
    g_string_append_c(out, hexdig[sum & 15]);
}

/* ---- Parsing ---------------------------------------------------------------------- */

typedef struct Cur {
    const char *p, *end;
} Cur;

static bool at_end(const Cur *c) { return c->p == c->end; }

static bool eat(Cur *c, char ch)
{
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

static bool hex_u64(Cur *c, uint64_t *v)
{
    uint64_t x = 0;
    const char *start = c->p;
    while (c->p < c->end) {
        int d = hexval((unsigned char)*c->p);
        if (d < 0)
            break;
        if (x >> 60)
            return false;                  /* more than 64 bits */
        x = x << 4 | (uint64_t)d;
        c->p++;
    }
    *v = x;
    return c->p != start;
}

static bool hex_uint(Cur *c, unsigned *v, unsigned max)
{
    uint64_t x;
    if (!hex_u64(c, &x) || x > max)
        return false;
    *v = (unsigned)x;
    return true;
}

/* E.2 thread-id: "-1" = all, "0" = any, else a positive hex id. */
static bool thread_id(Cur *c, int *tid)
{
    if (c->end - c->p >= 2 && c->p[0] == '-' && c->p[1] == '1') {
        c->p += 2;
        *tid = RSP_TID_ALL;
        return true;
    }
    uint64_t x;
    if (!hex_u64(c, &x) || x > INT_MAX)
        return false;
    *tid = (int)x;
    return true;
}

static bool is(const uint8_t *pl, size_t len, const char *s)
{
    size_t n = strlen(s);
    return len == n && memcmp(pl, s, n) == 0;
}

static bool prefix(const uint8_t *pl, size_t len, const char *s)
{
    size_t n = strlen(s);
    return len >= n && memcmp(pl, s, n) == 0;
}

static bool hex_data(Cur *c, RspCmd *cmd)
{
    size_t n = (size_t)(c->end - c->p);
    if (n % 2)
        return false;
    cmd->data = g_byte_array_sized_new((guint)(n / 2));
    g_byte_array_set_size(cmd->data, (guint)(n / 2));
    if (!rsp_hex_decode(c->p, n / 2, cmd->data->data))
        return false;
    c->p = c->end;
    return true;
}

/* "addr,length" */
static bool addr_len(Cur *c, RspCmd *cmd)
{
    return hex_u64(c, &cmd->addr) && eat(c, ',') && hex_u64(c, &cmd->len);
}

/* "[addr]" for c/s, "sig[;addr]" for C/S. */
static bool resume_args(Cur *c, RspCmd *cmd, bool with_sig)
{
    if (with_sig) {
        unsigned s;
        if (!hex_uint(c, &s, 0xff))
            return false;
        cmd->has_sig = true;
        cmd->sig = (uint8_t)s;
        if (at_end(c))
            return true;
        if (!eat(c, ';'))
            return false;
    } else if (at_end(c)) {
        return true;
    }
    cmd->has_addr = true;
    return hex_u64(c, &cmd->addr) && at_end(c);
}

/* E.2 "vCont[;action[:thread-id]]..." */
static bool vcont_actions(Cur *c, RspCmd *cmd)
{
    while (!at_end(c)) {
        if (!eat(c, ';') || at_end(c) || cmd->n_actions == RSP_VCONT_MAX)
            return false;
        RspVContAction *a = &cmd->actions[cmd->n_actions++];
        a->action = *c->p++;
        a->tid = RSP_TID_ALL;
        switch (a->action) {
        case 'C':
        case 'S': {
            unsigned s;
            if (!hex_uint(c, &s, 0xff))
                return false;
            a->sig = (uint8_t)s;
            break;
        }
        case 'c':
        case 's':
        case 't':
            break;
        default:                           /* 'r' (range stepping) is not advertised */
            return false;
        }
        if (eat(c, ':') && !thread_id(c, &a->tid))
            return false;
    }
    return cmd->n_actions > 0;
}

static RspCmdKind parse_q(const uint8_t *pl, size_t len, Cur *c, RspCmd *cmd)
{
    if (is(pl, len, "qSupported") || prefix(pl, len, "qSupported:")) {
        size_t n = strlen("qSupported");
        cmd->str = len > n ? g_strndup((const char *)pl + n + 1, len - n - 1) : g_strdup("");
        return RSP_CMD_QSUPPORTED;
    }
    if (prefix(pl, len, "qXfer:features:read:")) {
        c->p = (const char *)pl + strlen("qXfer:features:read:");
        const char *colon = memchr(c->p, ':', (size_t)(c->end - c->p));
        if (!colon)
            return RSP_CMD_INVALID;
        cmd->str = g_strndup(c->p, (size_t)(colon - c->p));
        c->p = colon + 1;
        if (!hex_u64(c, &cmd->offset) || !eat(c, ',') || !hex_u64(c, &cmd->len) || !at_end(c))
            return RSP_CMD_INVALID;
        return RSP_CMD_QXFER_FEATURES;
    }
    if (is(pl, len, "qfThreadInfo"))
        return RSP_CMD_QFTHREADINFO;
    if (is(pl, len, "qsThreadInfo"))
        return RSP_CMD_QSTHREADINFO;
    if (is(pl, len, "qC"))
        return RSP_CMD_QC;
    if (is(pl, len, "qAttached") || prefix(pl, len, "qAttached:"))
        return RSP_CMD_QATTACHED;
    if (prefix(pl, len, "qRcmd,")) {
        c->p = (const char *)pl + strlen("qRcmd,");
        size_t n = (size_t)(c->end - c->p);
        if (n % 2)
            return RSP_CMD_INVALID;
        cmd->str = g_malloc(n / 2 + 1);
        if (!rsp_hex_decode(c->p, n / 2, (uint8_t *)cmd->str))
            return RSP_CMD_INVALID;
        cmd->str[n / 2] = 0;
        return RSP_CMD_QRCMD;
    }
    if (prefix(pl, len, "qThreadExtraInfo,")) {
        c->p = (const char *)pl + strlen("qThreadExtraInfo,");
        return thread_id(c, &cmd->tid) && at_end(c) ? RSP_CMD_QTHREADEXTRAINFO : RSP_CMD_INVALID;
    }
    if (is(pl, len, "qOffsets"))
        return RSP_CMD_QOFFSETS;
    if (prefix(pl, len, "qSymbol:"))
        return RSP_CMD_QSYMBOL;
    return RSP_CMD_UNKNOWN;
}

static RspCmdKind parse(const uint8_t *pl, size_t len, RspCmd *cmd)
{
    if (len == 0)
        return RSP_CMD_UNKNOWN;
    Cur cur = { (const char *)pl + 1, (const char *)pl + len };
    Cur *c = &cur;
    switch (pl[0]) {
    case '?':
        return len == 1 ? RSP_CMD_HALT_REASON : RSP_CMD_UNKNOWN;
    case 'g':
        return len == 1 ? RSP_CMD_READ_REGS : RSP_CMD_UNKNOWN;
    case 'G':
        return hex_data(c, cmd) ? RSP_CMD_WRITE_REGS : RSP_CMD_INVALID;
    case 'p':
        return hex_uint(c, &cmd->regnum, UINT_MAX) && at_end(c) ? RSP_CMD_READ_REG
                                                               : RSP_CMD_INVALID;
    case 'P':
        return hex_uint(c, &cmd->regnum, UINT_MAX) && eat(c, '=') && hex_data(c, cmd)
                   ? RSP_CMD_WRITE_REG : RSP_CMD_INVALID;
    case 'm':
        return addr_len(c, cmd) && at_end(c) ? RSP_CMD_READ_MEM : RSP_CMD_INVALID;
    case 'M':
        if (!addr_len(c, cmd) || !eat(c, ':') || !hex_data(c, cmd) ||
            cmd->data->len != cmd->len)
            return RSP_CMD_INVALID;
        return RSP_CMD_WRITE_MEM;
    case 'X': {
        /* E.2: the data is binary; the receiver has already undone the escapes. */
        if (!addr_len(c, cmd) || !eat(c, ':') || (uint64_t)(c->end - c->p) != cmd->len)
            return RSP_CMD_INVALID;
        size_t n = (size_t)(c->end - c->p);
        cmd->data = g_byte_array_sized_new((guint)n);
        g_byte_array_append(cmd->data, (const uint8_t *)c->p, (guint)n);
        return RSP_CMD_WRITE_MEM_BIN;
    }
    case 'Z':
    case 'z':
        /* "type,addr,kind[;cond_list...][;cmds:...]": conditions are not advertised
         * (no ConditionalBreakpoints), so anything after kind is ignored. */
        if (!hex_uint(c, &cmd->bp_type, RSP_WP_ACCESS) || !eat(c, ',') ||
            !hex_u64(c, &cmd->addr) || !eat(c, ',') || !hex_u64(c, &cmd->bp_kind) ||
            !(at_end(c) || *c->p == ';'))
            return RSP_CMD_INVALID;
        return pl[0] == 'Z' ? RSP_CMD_INSERT_BP : RSP_CMD_REMOVE_BP;
    case 'c':
    case 'C':
        return resume_args(c, cmd, pl[0] == 'C') ? RSP_CMD_CONTINUE : RSP_CMD_INVALID;
    case 's':
    case 'S':
        return resume_args(c, cmd, pl[0] == 'S') ? RSP_CMD_STEP : RSP_CMD_INVALID;
    case 'v':
        if (is(pl, len, "vCont?"))
            return RSP_CMD_VCONT_QUERY;
        if (prefix(pl, len, "vCont;")) {
            c->p = (const char *)pl + strlen("vCont");
            return vcont_actions(c, cmd) ? RSP_CMD_VCONT : RSP_CMD_INVALID;
        }
        if (is(pl, len, "vMustReplyEmpty"))
            return RSP_CMD_MUST_REPLY_EMPTY;
        return RSP_CMD_UNKNOWN;
    case 'H':
        if (at_end(c) || (*c->p != 'g' && *c->p != 'c'))
            return RSP_CMD_INVALID;
        cmd->thread_op = *c->p++;
        return thread_id(c, &cmd->tid) && at_end(c) ? RSP_CMD_SET_THREAD : RSP_CMD_INVALID;
    case 'T':
        return thread_id(c, &cmd->tid) && at_end(c) ? RSP_CMD_THREAD_ALIVE : RSP_CMD_INVALID;
    case 'q':
        return parse_q(pl, len, c, cmd);
    case 'Q':
        return is(pl, len, "QStartNoAckMode") ? RSP_CMD_START_NOACK : RSP_CMD_UNKNOWN;
    case 'D':
        return len == 1 || pl[1] == ';' ? RSP_CMD_DETACH : RSP_CMD_UNKNOWN;
    case 'k':
        return len == 1 ? RSP_CMD_KILL : RSP_CMD_UNKNOWN;
    case 'b':
        if (is(pl, len, "bs"))
            return RSP_CMD_REVERSE_STEP;
        if (is(pl, len, "bc"))
            return RSP_CMD_REVERSE_CONTINUE;
        return RSP_CMD_UNKNOWN;
    default:
        return RSP_CMD_UNKNOWN;
    }
}

RspCmdKind rsp_parse(const uint8_t *payload, size_t len, RspCmd *cmd)
{
    memset(cmd, 0, sizeof *cmd);
    RspCmdKind k = parse(payload, len, cmd);
    if (k == RSP_CMD_INVALID || k == RSP_CMD_UNKNOWN) {
        rsp_cmd_clear(cmd);               /* no half-filled fields survive */
    }
    cmd->kind = k;
    return k;
}

void rsp_cmd_clear(RspCmd *cmd)
{
    if (cmd->data)
        g_byte_array_free(cmd->data, TRUE);
    g_free(cmd->str);
    memset(cmd, 0, sizeof *cmd);
}

/* ---- Replies ---------------------------------------------------------------------- */

void rsp_reply_ok(GString *out)
{
    g_string_append(out, "OK");
}

void rsp_reply_error(GString *out, unsigned nn)
{
    g_string_append_printf(out, "E%02x", nn & 0xff);
}

/* E.3 Stop Reply Packets: "T AA n1:r1;n2:r2;..." */
void rsp_reply_stop(GString *out, const RspStop *stop)
{
    g_string_append_printf(out, "T%02x", stop->signal);
    if (stop->tid > 0)
        g_string_append_printf(out, "thread:%x;", (unsigned)stop->tid);
    switch (stop->reason) {
    case RSP_STOP_SIGNAL:
        break;
    case RSP_STOP_SWBREAK:
        g_string_append(out, "swbreak:;");
        break;
    case RSP_STOP_HWBREAK:
        g_string_append(out, "hwbreak:;");
        break;
    case RSP_STOP_WATCH:
        g_string_append_printf(out, "watch:%" G_GINT64_MODIFIER "x;", stop->addr);
        break;
    case RSP_STOP_RWATCH:
        g_string_append_printf(out, "rwatch:%" G_GINT64_MODIFIER "x;", stop->addr);
        break;
    case RSP_STOP_AWATCH:
        g_string_append_printf(out, "awatch:%" G_GINT64_MODIFIER "x;", stop->addr);
        break;
    case RSP_STOP_HISTORY_BEGIN:
        g_string_append(out, "replaylog:begin;");   /* E.3: no more reverse history */
        break;
    }
}

void rsp_reply_exited(GString *out, uint8_t code)
{
    g_string_append_printf(out, "W%02x", code);
}

void rsp_hex_encode(GString *out, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        g_string_append_c(out, hexdig[p[i] >> 4]);
        g_string_append_c(out, hexdig[p[i] & 15]);
    }
}

bool rsp_hex_decode(const char *hex, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hexval((unsigned char)hex[2 * i]), lo = hexval((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

void rsp_put_reg(GString *out, uint64_t value, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) {
        uint8_t b = i < 8 ? (uint8_t)(value >> (8 * i)) : 0;
        rsp_hex_encode(out, &b, 1);
    }
}

bool rsp_get_reg(const uint8_t *data, size_t len, unsigned bytes, uint64_t *value)
{
    if (len < bytes || bytes > 8)
        return false;
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)data[i] << (8 * i);
    *value = v;
    return true;
}

/* E.4 "qSupported": the stub's features. swbreak/hwbreak let GDB trust the stop reason
 * instead of guessing from the PC; ReverseStep/ReverseContinue only when bs/bc work. */
void rsp_reply_qsupported(GString *out, const RspConfig *cfg)
{
    g_string_append_printf(out, "PacketSize=%zx;qXfer:features:read+;swbreak+;hwbreak+;"
                           "vContSupported+;QStartNoAckMode+", cfg->packet_size);
    if (cfg->reverse)
        g_string_append(out, ";ReverseStep+;ReverseContinue+");
}

void rsp_reply_vcont_query(GString *out)
{
    g_string_append(out, "vCont;c;C;s;S;t");
}

void rsp_reply_xfer(GString *out, const void *doc, size_t doc_len, uint64_t offset,
                    uint64_t length)
{
    if (offset >= doc_len) {
        g_string_append_c(out, 'l');
        return;
    }
    size_t n = doc_len - (size_t)offset;
    if (length < n)
        n = (size_t)length;
    g_string_append_c(out, offset + n < doc_len ? 'm' : 'l');
    g_string_append_len(out, (const char *)doc + offset, (gssize)n);
}

void rsp_reply_console(GString *out, const char *text)
{
    g_string_append_c(out, 'O');
    rsp_hex_encode(out, text, strlen(text));
}

/* ---- Target description ----------------------------------------------------------- */

/* G.2: the top-level document names the architecture and pulls each feature in with
 * <xi:include>; GDB then reads each annex with qXfer:features:read. */
char *rsp_target_xml(const CpuRegSet *set)
{
    GString *s = g_string_new("<?xml version=\"1.0\"?>\n"
                              "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
                              "<target version=\"1.0\">\n");
    char *e = g_markup_printf_escaped("  <architecture>%s</architecture>\n", set->arch);
    g_string_append(s, e);
    g_free(e);
    for (size_t f = 0; f < set->nfeatures; f++) {
        e = g_markup_printf_escaped("  <xi:include href=\"%s\"/>\n", set->features[f].annex);
        g_string_append(s, e);
        g_free(e);
    }
    g_string_append(s, "</target>\n");
    return g_string_free(s, FALSE);
}

/* G.3/G.4: one <feature> with its types and <reg name bitsize type group regnum>. */
char *rsp_feature_xml(const CpuRegSet *set, const char *annex)
{
    for (size_t f = 0; f < set->nfeatures; f++) {
        const CpuRegFeature *ft = &set->features[f];
        if (strcmp(ft->annex, annex) != 0)
            continue;
        GString *s = g_string_new("<?xml version=\"1.0\"?>\n"
                                  "<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n");
        char *e = g_markup_printf_escaped("<feature name=\"%s\">\n", ft->name);
        g_string_append(s, e);
        g_free(e);
        if (ft->types)
            g_string_append(s, ft->types);
        for (size_t i = 0; i < ft->nregs; i++) {
            const CpuReg *r = &ft->regs[i];
            e = g_markup_printf_escaped("  <reg name=\"%s\" bitsize=\"%u\" type=\"%s\"",
                                        r->name, r->bitsize, r->type ? r->type : "int");
            g_string_append(s, e);
            g_free(e);
            if (r->group) {
                e = g_markup_printf_escaped(" group=\"%s\"", r->group);
                g_string_append(s, e);
                g_free(e);
            }
            g_string_append_printf(s, " regnum=\"%u\"/>\n", r->regnum);
        }
        g_string_append(s, "</feature>\n");
        return g_string_free(s, FALSE);
    }
    return NULL;
}

char *rsp_xfer_document(const CpuRegSet *set, const char *annex)
{
    if (strcmp(annex, "target.xml") == 0)
        return rsp_target_xml(set);
    return rsp_feature_xml(set, annex);
}

bool rsp_reply_generic(GString *out, const RspCmd *cmd, const RspConfig *cfg,
                       const CpuRegSet *set)
{
    switch (cmd->kind) {
    case RSP_CMD_QSUPPORTED:
        rsp_reply_qsupported(out, cfg);
        return true;
    case RSP_CMD_VCONT_QUERY:
        rsp_reply_vcont_query(out);
        return true;
    case RSP_CMD_QXFER_FEATURES: {
        char *doc = rsp_xfer_document(set, cmd->str);
        if (!doc) {
            rsp_reply_error(out, 0);       /* E.4 qXfer: "E00" for an unknown annex */
            return true;
        }
        rsp_reply_xfer(out, doc, strlen(doc), cmd->offset, cmd->len);
        g_free(doc);
        return true;
    }
    case RSP_CMD_START_NOACK:
    case RSP_CMD_QSYMBOL:
        rsp_reply_ok(out);
        return true;
    case RSP_CMD_QOFFSETS:
        g_string_append(out, "Text=0;Data=0;Bss=0");   /* a system image is not relocated */
        return true;
    case RSP_CMD_QATTACHED:
        g_string_append_c(out, '1');
        return true;
    case RSP_CMD_REVERSE_STEP:
    case RSP_CMD_REVERSE_CONTINUE:
        if (cfg->reverse)
            return false;
        rsp_reply_error(out, RSP_EREVERSE);
        return true;
    case RSP_CMD_INVALID:
        rsp_reply_error(out, 1);
        return true;
    case RSP_CMD_UNKNOWN:
    case RSP_CMD_MUST_REPLY_EMPTY:
        return true;                       /* the empty reply: "not supported" */
    default:
        return false;
    }
}
