/* GDB Remote Serial Protocol: the pure protocol layer of the GDB stub (-s, -gdb tcp::PORT,
 * -S). No sockets and no simulator here: an incremental packet receiver, the packet
 * framer, a parser from payloads to a tagged RspCmd, reply builders and the target
 * description XML (qXfer:features:read). The stub proper feeds received bytes to
 * rsp_rx_feed(), acts on each RspCmd against the machine and frames its reply with
 * rsp_frame(). References: GDB manual, appendix E "Remote Serial Protocol" and appendix G
 * "Target Descriptions".
 *
 * Conventions:
 * - Thread ids use the multiprocess-free form: core N is thread N+1 (hex on the wire);
 *   RSP_TID_ALL is "-1", RSP_TID_ANY is "0".
 * - The receiver undoes run-length encoding and the '}' escape, so payloads handed to the
 *   callback are the plain bytes (an 'X' packet's data is binary as is). rsp_frame()
 *   escapes '#', '$', '}' and '*' in every payload it frames, so binary replies (qXfer)
 *   need no escaping by the caller. Replies are never run-length encoded.
 * - Register values travel in target byte order, i.e. little-endian for AArch64. */
#ifndef HVSIM_DEBUG_RSP_H
#define HVSIM_DEBUG_RSP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include "core/cpuregs.h"

#define RSP_PACKET_SIZE 0x4000   /* advertised PacketSize (bytes of payload) */
#define RSP_TID_ALL (-1)
#define RSP_TID_ANY 0
#define RSP_VCONT_MAX 32         /* actions in one vCont packet */
#define RSP_EREVERSE 22          /* "E22": bs/bc while reverse execution is unavailable */

static inline int rsp_tid_of_core(int core) { return core + 1; }
static inline int rsp_core_of_tid(int tid) { return tid - 1; }

/* ---- Framing ---------------------------------------------------------------------- */

typedef enum RspEventKind {
    RSP_EV_PACKET,        /* a packet with a good checksum: reply '+' (unless no-ack mode) */
    RSP_EV_BAD_CHECKSUM,  /* a packet whose checksum failed: reply '-' */
    RSP_EV_ACK,           /* '+' */
    RSP_EV_NAK,           /* '-': resend the last packet */
    RSP_EV_INTERRUPT,     /* 0x03 outside a packet (Ctrl-C) */
    RSP_EV_OVERFLOW,      /* a packet longer than the receiver's limit (dropped): reply '-' */
} RspEventKind;

/* payload/len are set for RSP_EV_PACKET and RSP_EV_BAD_CHECKSUM only; the payload is
 * NUL-terminated (payload[len] == 0) and valid until the callback returns. */
typedef void (*RspRxFn)(void *opaque, RspEventKind ev, const uint8_t *payload, size_t len);

typedef enum RspRxState {
    RSP_RX_IDLE, RSP_RX_DATA, RSP_RX_ESC, RSP_RX_RLE, RSP_RX_SUM1, RSP_RX_SUM2,
} RspRxState;

typedef struct RspRx {
    RspRxState state;
    GByteArray *buf;      /* decoded payload so far */
    uint8_t sum;          /* running checksum of the raw bytes between '$' and '#' */
    uint8_t sum_hi;       /* first checksum digit */
    int last_raw;         /* previous raw payload byte (for '*'), -1 if none */
    bool bad;             /* malformed RLE/escape or overflow seen inside this packet */
    bool overflow;
    size_t limit;         /* maximum decoded payload length */
} RspRx;

void rsp_rx_init(RspRx *rx);
void rsp_rx_free(RspRx *rx);
/* Feeds any chunk of received bytes; calls fn for each complete event, in order. Bytes
 * outside a packet other than '+', '-', 0x03 and '$' are ignored. */
void rsp_rx_feed(RspRx *rx, const uint8_t *buf, size_t len, RspRxFn fn, void *opaque);

/* Appends "$<escaped payload>#xx" to out. */
void rsp_frame(GString *out, const void *payload, size_t len);
uint8_t rsp_checksum(const void *data, size_t len);

/* ---- Packets ---------------------------------------------------------------------- */

typedef enum RspCmdKind {
    RSP_CMD_UNKNOWN,          /* reply empty */
    RSP_CMD_INVALID,          /* a known packet with malformed arguments: reply E01 */
    RSP_CMD_HALT_REASON,      /* ? */
    RSP_CMD_READ_REGS,        /* g */
    RSP_CMD_WRITE_REGS,       /* G data */
    RSP_CMD_READ_REG,         /* p regnum */
    RSP_CMD_WRITE_REG,        /* P regnum=data */
    RSP_CMD_READ_MEM,         /* m addr,len */
    RSP_CMD_WRITE_MEM,        /* M addr,len:hex   (data decoded) */
    RSP_CMD_WRITE_MEM_BIN,    /* X addr,len:bin   (data as received) */
    RSP_CMD_INSERT_BP,        /* Z type,addr,kind */
    RSP_CMD_REMOVE_BP,        /* z type,addr,kind */
    RSP_CMD_CONTINUE,         /* c [addr], C sig[;addr] */
    RSP_CMD_STEP,             /* s [addr], S sig[;addr] */
    RSP_CMD_VCONT_QUERY,      /* vCont? */
    RSP_CMD_VCONT,            /* vCont;action[:tid]... */
    RSP_CMD_SET_THREAD,       /* H op tid */
    RSP_CMD_THREAD_ALIVE,     /* T tid */
    RSP_CMD_QSUPPORTED,       /* qSupported[:features] */
    RSP_CMD_QXFER_FEATURES,   /* qXfer:features:read:annex:offset,length */
    RSP_CMD_QFTHREADINFO,
    RSP_CMD_QSTHREADINFO,
    RSP_CMD_QC,
    RSP_CMD_QATTACHED,
    RSP_CMD_QRCMD,            /* qRcmd,hex (text decoded into str) */
    RSP_CMD_QOFFSETS,
    RSP_CMD_QSYMBOL,          /* qSymbol:... */
    RSP_CMD_START_NOACK,      /* QStartNoAckMode */
    RSP_CMD_DETACH,           /* D, D;pid */
    RSP_CMD_KILL,             /* k */
    RSP_CMD_REVERSE_STEP,     /* bs */
    RSP_CMD_REVERSE_CONTINUE, /* bc */
    RSP_CMD_MUST_REPLY_EMPTY, /* vMustReplyEmpty */
    RSP_CMD_QTHREADEXTRAINFO, /* qThreadExtraInfo,tid */
} RspCmdKind;

/* Z/z types (GDB manual E.3 "Z type,addr,kind"). */
typedef enum RspBpType {
    RSP_BP_SW = 0, RSP_BP_HW = 1, RSP_WP_WRITE = 2, RSP_WP_READ = 3, RSP_WP_ACCESS = 4,
} RspBpType;

typedef struct RspVContAction {
    char action;          /* 'c', 's', 'C', 'S' or 't' */
    uint8_t sig;          /* for 'C'/'S' */
    int tid;              /* RSP_TID_ALL when no ":tid" was given */
} RspVContAction;

typedef struct RspCmd {
    RspCmdKind kind;
    uint64_t addr;        /* m M X Z z; c/s with has_addr */
    uint64_t len;         /* m M X; qXfer length */
    uint64_t offset;      /* qXfer offset */
    unsigned regnum;      /* p P */
    unsigned bp_type;     /* Z z: RspBpType */
    uint64_t bp_kind;     /* Z z: breakpoint length (4 for A64) or watch length */
    bool has_addr;        /* c/s/C/S given a resume address */
    bool has_sig;         /* C/S */
    uint8_t sig;
    char thread_op;       /* H: 'g' or 'c' */
    int tid;              /* H T qThreadExtraInfo: as sent (the stub checks it names a core) */
    size_t n_actions;     /* vCont */
    RspVContAction actions[RSP_VCONT_MAX];
    GByteArray *data;     /* G P M X: bytes; NULL otherwise */
    char *str;            /* qSupported features, qXfer annex, qRcmd text; NULL otherwise */
} RspCmd;

/* Parses one payload (as handed out by the receiver). Always fills *cmd (release it with
 * rsp_cmd_clear) and returns cmd->kind. */
RspCmdKind rsp_parse(const uint8_t *payload, size_t len, RspCmd *cmd);
void rsp_cmd_clear(RspCmd *cmd);

/* ---- Replies (payloads; frame them with rsp_frame) -------------------------------- */

void rsp_reply_ok(GString *out);
void rsp_reply_error(GString *out, unsigned nn);            /* "Enn" */

typedef enum RspStopReason {
    RSP_STOP_SIGNAL,      /* plain stop (step done, interrupt) */
    RSP_STOP_SWBREAK, RSP_STOP_HWBREAK,
    RSP_STOP_WATCH, RSP_STOP_RWATCH, RSP_STOP_AWATCH,
    RSP_STOP_HISTORY_BEGIN, /* reverse execution reached the start of its history */
} RspStopReason;

typedef struct RspStop {
    uint8_t signal;       /* 5 = SIGTRAP, 2 = SIGINT */
    int tid;              /* > 0, or 0 to omit "thread:" */
    RspStopReason reason;
    uint64_t addr;        /* data address for the watch reasons */
} RspStop;

/* "Tsstthread:N;[swbreak:;|hwbreak:;|watch:addr;...]" */
void rsp_reply_stop(GString *out, const RspStop *stop);
void rsp_reply_exited(GString *out, uint8_t code);          /* "Wxx" */

/* Hex helpers. */
void rsp_hex_encode(GString *out, const void *data, size_t len);
/* Decodes 2*n hex digits into n bytes; false on a non-hex digit. */
bool rsp_hex_decode(const char *hex, size_t n, uint8_t *out);
/* Register values: `bytes` bytes, little-endian. */
void rsp_put_reg(GString *out, uint64_t value, unsigned bytes);
bool rsp_get_reg(const uint8_t *data, size_t len, unsigned bytes, uint64_t *value);

/* What this stub advertises. reverse=false (the default until reverse execution exists)
 * leaves ReverseStep/ReverseContinue out of qSupported and makes bs/bc answer E22. */
typedef struct RspConfig {
    size_t packet_size;
    bool reverse;
} RspConfig;
#define RSP_CONFIG_DEFAULT ((RspConfig){ .packet_size = RSP_PACKET_SIZE, .reverse = false })

void rsp_reply_qsupported(GString *out, const RspConfig *cfg);
/* The reply to "vCont?". */
void rsp_reply_vcont_query(GString *out);
/* qXfer window of doc: "m<data>" if more follows offset+length, "l<data>" otherwise
 * (so "l" alone at or past the end). Data is raw; rsp_frame escapes it. */
void rsp_reply_xfer(GString *out, const void *doc, size_t doc_len, uint64_t offset,
                    uint64_t length);
/* "O<hex text>" console output, e.g. during qRcmd. */
void rsp_reply_console(GString *out, const char *text);

/* ---- Target description ----------------------------------------------------------- */

/* Register sets are the CPU classes' (core/cpuregs.h); the protocol layer serves them. */

/* target.xml: <architecture> plus an xi:include of each feature's annex. g_free it. */
char *rsp_target_xml(const CpuRegSet *set);
/* One feature document, by annex name; NULL if none has that annex. g_free it. */
char *rsp_feature_xml(const CpuRegSet *set, const char *annex);
/* Any annex qXfer:features:read may ask for ("target.xml" or a feature's); NULL if
 * unknown (reply E00). g_free it. */
char *rsp_xfer_document(const CpuRegSet *set, const char *annex);

/* Replies to the packets that need no simulator: qSupported, vCont?, qXfer:features,
 * QStartNoAckMode (OK; the caller then stops acking), qSymbol (OK), qOffsets, qAttached
 * (1 = attached to an existing process, so detach does not kill), bs/bc when !cfg->reverse,
 * vMustReplyEmpty, unknown and invalid packets. Returns false (out untouched) for the
 * packets the simulator must answer. */
bool rsp_reply_generic(GString *out, const RspCmd *cmd, const RspConfig *cfg,
                       const CpuRegSet *set);
#endif
