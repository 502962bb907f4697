/* hvsim command line: QEMU's spelling wherever QEMU has the same option.
 *
 * GLib's option parser wants `--long` options, while QEMU users type `-kernel`, `-M virt`
 * and `-machine dumpdtb=F`; so options are parsed here from one table, accepting both one
 * and two leading dashes. */
#include <errno.h>
#include <stddef.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include "boards/pc.h"
#include "boards/virt.h"
#include "hypervisor-model/vmexit.h"
#include "devices/simplefb.h"
#include "main/display.h"
#include "debug/debugger.h"
#include "debug/plugins.h"
#include "debug/symbols.h"
#include "core/machine.h"
#include "cpu/arm64/cpu.h"
#include "checkpoint/inputlog.h"
#include "checkpoint/snapshot.h"
#include "devices/virtio_console.h"
#include <stdarg.h>

#include "core/outfile.h"
#include "core/version.h"

typedef struct Opts {
    MachineConfig cfg;
    char *stats_json, *stats_text;
    char *script;             /* --script FILE: debugger commands in batch */
    bool console;             /* -i / --console */
    int gdb_port;             /* -s / -gdb: 0 = no stub */
    char *gdb_host;
    bool gdb_wait;            /* -S */
    GArray *checkpoints;      /* Checkpoint, from --checkpoint-at N:FILE */
    char *restore;            /* --restore FILE */
    bool force;               /* --force: output files may replace existing files */
    bool gdb_host_writes;     /* --gdb-allow-host-writes: GDB's monitor may write host files */
    bool rtc_utc;             /* -rtc base=utc: the RTC starts from the host's clock */
    GHashTable *drives;       /* -drive if=none,id=ID: ID -> the device it describes */
    char *trace_path;         /* -D FILE (taken out of cfg: opened here, after the inputs) */
    bool missed_checkpoint;   /* the run ended before a --checkpoint-at point */
    GHashTable *given;        /* machine-shaping options the user gave (for --restore) */
    char *record, *replay;    /* --record FILE, --replay FILE: the input log */
    uint64_t rev_interval, rev_budget;   /* reverse execution in debugger sessions */
    uint64_t stats_interval;  /* --stats-interval: a --stats record every N instructions */
    bool display_sdl;         /* -display sdl (default none: make check stays headless) */
    GPtrArray *plugins;       /* --plugin PATH[,key=value...], in order */
    /* the output files, opened once every input has been checked (core/outfile.h) */
    OutFile *out_trace, *out_stats_json, *out_stats_text, *out_record;
} Opts;

typedef struct Checkpoint {
    uint64_t icount;
    char *file;
} Checkpoint;

/* The boards, chosen by -M NAME: what the front end needs of each beyond its Machine. */
typedef struct BoardDef {
    const char *name;
    const char *cpu_models;   /* for messages */
    const char *default_cpu;
    bool (*cpu_known)(const char *model);
    Machine *(*create)(const MachineConfig *cfg, char **err);
    int *(*input_fd)(Machine *m);          /* the console UART's host input */
    void (*detach_input)(Machine *m);      /* the debugger console takes the terminal */
    struct Hvm *(*hvm)(Machine *m);        /* VM-exit accounting, or NULL */
    bool (*writeback)(Machine *m, char **err);   /* disks at exit */
} BoardDef;

static int *virt_input_fd(Machine *m) { return &((VirtBoard *)m->board)->uart->in_fd; }
static void virt_detach_input(Machine *m)
{
    VirtBoard *vb = m->board;
    vb->uart->in_fd = -1;
    if (vb->dev.virtio.console)
        vb->dev.virtio.console->in_fd = -1;
}
static struct Hvm *virt_hvm(Machine *m) { return ((VirtBoard *)m->board)->hvm; }
static int *pc_input_fd(Machine *m) { return &((PcBoard *)m->board)->uart->in_fd; }
static void pc_detach_input(Machine *m)
{
    PcBoard *pb = m->board;
    pb->uart->in_fd = -1;
    if (pb->virtio.console)
        pb->virtio.console->in_fd = -1;
}

static const BoardDef boards[] = {
    { "virt", A64_CPU_MODELS, "cortex-a57", a64_cpu_model_known, virt_create, virt_input_fd,
      virt_detach_input, virt_hvm, virt_writeback_drives },
    { "pc", PC_CPU_MODELS, "qemu64", pc_cpu_model_known, pc_create, pc_input_fd,
      pc_detach_input, NULL, pc_writeback_drives },
};
#define BOARD_NAMES "virt, pc"

static const BoardDef *find_board(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(boards); i++)
        if (!strcmp(boards[i].name, name))
            return &boards[i];
    return NULL;
}

static void usage(FILE *f)
{
    fputs("usage: hvsim [options]\n"
          "  -M, -machine virt[,gic-version=2|3][,virtualization=on|off][,its=on|off][,dumpdtb=FILE]\n"
          "  -M, -machine pc      x86-64 PC: 16550 COM1, LAPIC/IOAPIC, ACPI; -kernel is a Multiboot\n"
          "                       v1 kernel (-initrd FILE[ ARGS][,FILE...] its modules) or an ELF64\n"
          "                       entered in 64-bit mode, or a bzImage; -device\n"
          "                       isa-debug-exit,iobase=P,iosize=N; the virtio devices below\n"
          "                       (in the ACPI DSDT)\n"
          "  -cpu NAME            CPU model: " A64_CPU_MODELS " (default cortex-a57);\n"
          "                       -M pc: " PC_CPU_MODELS " (default qemu64)\n"
          "  -m SIZE              RAM size, e.g. 256M, 2G (a plain number is MiB)\n"
          "  -smp N               number of cores (1-8)\n"
          "  -kernel FILE         ELF, Linux arm64 Image, or raw binary (at RAM + 0x80000)\n"
          "  -append STRING       kernel command line\n"
          "  -initrd FILE         initial ramdisk\n"
          "  -dtb FILE            use this device tree instead of the generated one\n"
          "  --dtb-overlay FILE   apply this device tree overlay (dtc -@) to the tree the\n"
          "                       machine boots with (Xen's dom0less domains, say)\n"
          "  -d LIST              trace: in_asm,exec,int,mmu,vmexit,unimp (comma-separated)\n"
          "  -D FILE              write traces to FILE (default stderr)\n"
          "  --max-insns N        stop after N instructions (all cores)\n"
          "  --jit on|off         x86: compile guest code to host code (on) or not\n"
          "  --plugin PATH[,key=value...]  load a plugin (repeatable; see docs/plugins.md)\n"
          "  --checkpoint-at N:FILE  save a snapshot when the instruction count reaches N\n"
          "                       (repeatable; never replaces a file unless --force)\n"
          "  --restore FILE       start from a snapshot (it carries the machine description;\n"
          "                       options given with it must agree)\n"
          "  --force              let output files (snapshots, -D, --stats, --record,\n"
          "                       dumpdtb, console trace/stats files) replace existing files\n"
          "  --record FILE        log external input (UART, debugger writes) and state hashes\n"
          "  --replay FILE        rerun with a recorded input log; exit 4 at a divergence\n"
          "  --reverse-interval N   debugger sessions: snapshot every N instructions for\n"
          "                       reverse execution (default 10000000)\n"
          "  --reverse-budget SIZE  memory for reverse-execution history (default 1G; 0 = off)\n"
          "  --state-hash         at exit print 'state-hash: <hex>' on stderr\n"
          "  --stats FILE.json    write statistics at exit; --stats-text FILE as text\n"
          "  --stats-interval N   with --stats: one JSON line every N instructions and at\n"
          "                       exit instead (a time series)\n"
          "  -i, --console        interactive debugger console (readline; type help)\n"
          "  --script FILE        run debugger commands from FILE, then exit\n"
          "  -s, -gdb tcp:[HOST]:PORT  GDB remote stub (-s: tcp::1234; loopback unless HOST)\n"
          "  -S                   wait for gdb before running (the stub always does)\n"
          "  --gdb-allow-host-writes  let GDB's monitor commands write host files (trace on\n"
          "                       FILE, checkpoint save, stats dump, screendump); refused\n"
          "                       by default\n"
          "  -drive file=F,format=raw,if=virtio[,readonly=on][,snapshot=on]\n"
          "                       virtio-blk disk (virt and pc); the guest's writes reach F at exit\n"
          "                       (never with readonly=on or snapshot=on); or QEMU's\n"
          "                       -drive ...,if=none,id=D -device virtio-blk-device,drive=D\n"
          "  -device virtio-rng-device | virtio-serial-device | virtconsole\n"
          "                       virtio entropy source; virtio console hvc0 (takes stdin)\n"
          "  --seed N             DT rng-seed/kaslr-seed and virtio-rng bytes (default 0)\n"
          "  -rtc base=utc|YYYY-MM-DD[THH:MM:SS]  PL031 time at start (default 2025-01-01)\n"
          "  --timing MODEL       timing model: atomic (one cycle per instruction, default) or\n"
          "                       inorder (pipeline, caches, TLBs, walk caches; docs/timing.md)\n"
          "  --timing-config FILE the inorder model's parameters (a key file; docs/timing.md)\n"
          "  --timing-switch-at N:MODEL  switch every core to MODEL at instruction N\n"
          "  --cpu-hz HZ          core clock (default 1000000000)\n"
          "  --quantum N          cycles per core per round-robin slice (instructions under atomic;\n"
          "                       default 10000)\n"
          "  -device guest-loader,addr=A,kernel=F[,bootargs=S] | guest-loader,addr=A,initrd=F\n"
          "                       a hypervisor's guest image at A, in the DT as\n"
          "                       /chosen/module@0xA (QEMU's guest-loader; ',,' is a comma)\n"
          "  -device loader,file=F,addr=A[,force-raw=on]\n"
          "                       a raw image at A, in no DT node (QEMU's generic loader)\n"
          "  -device simplefb[,width=W][,height=H][,format=a8r8g8b8|r5g6b5]\n"
          "                       a framebuffer Linux drives as simple-framebuffer (default\n"
          "                       1024x768 a8r8g8b8), at the top of RAM\n"
          "  -display sdl|none    show the framebuffer in a window, keys to the UART (default\n"
          "                       none)\n"
          "  -nographic           the same as -display none\n"
          "  -h, --help           this text;  --version  the version\n"
          "Exit codes: 0 powered off / requested stop, 1 bad input, 2 unimplemented,\n"
          "3 guest hung or crashed the machine, 4 bad snapshot or replay file.\n",
          f);
}

static Opts *opened_outputs;   /* whose output files a fatal error must drop */
static void abort_outputs(Opts *o);

/* One line on stderr, then exit with `code` (leaving no half-written output file). */
static G_GNUC_PRINTF(2, 0) G_GNUC_NORETURN void vdie(int code, const char *fmt, va_list ap)
{
    if (opened_outputs)
        abort_outputs(opened_outputs);
    fputs("hvsim: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    exit(code);
}

static G_GNUC_PRINTF(1, 2) G_GNUC_NORETURN void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdie(EXIT_BAD_INPUT, fmt, ap);
}

/* Sizes as QEMU reads -m: a number with an optional K/M/G/T suffix; no suffix = MiB. */
static bool parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return false;
    uint64_t mul;
    switch (*end) {
    case 0: case 'M': case 'm': mul = 1ULL << 20; break;
    case 'K': case 'k': mul = 1ULL << 10; break;
    case 'G': case 'g': mul = 1ULL << 30; break;
    case 'T': case 't': mul = 1ULL << 40; break;
    case 'B': case 'b': mul = 1; break;
    default: return false;
    }
    if (*end && end[1] && !(end[1] == 'B' && !end[2]))
        return false;
    if (v > UINT64_MAX / mul)
        return false;
    *out = v * mul;
    return true;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return false;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

/* A size with an optional K/M/G suffix; a plain number is bytes. */
static bool parse_size_bytes(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    uint64_t v = g_ascii_strtoull(s, &end, 10);
    if (errno || end == s)
        return false;
    uint64_t mul = 1;
    if (*end == 'K' || *end == 'k')
        mul = 1ULL << 10;
    else if (*end == 'M' || *end == 'm')
        mul = 1ULL << 20;
    else if (*end == 'G' || *end == 'g')
        mul = 1ULL << 30;
    else if (*end)
        return false;
    if (mul > 1 && end[1])
        return false;
    *out = v * mul;
    return true;
}

static bool parse_onoff(const char *v, bool *out)
{
    if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes")) {
        *out = true;
        return true;
    }
    if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no")) {
        *out = false;
        return true;
    }
    return false;
}

static void parse_machine(MachineConfig *cfg, const char *arg)
{
    gchar **parts = g_strsplit(arg, ",", -1);
    for (int i = 0; parts[i]; i++) {
        const char *p = parts[i];
        const char *eq = strchr(p, '=');
        if (!eq) {
            if (i == 0) {
                if (!find_board(p))
                    die("unknown machine '%s' (available: " BOARD_NAMES ")", p);
                g_free(cfg->board);
                cfg->board = g_strdup(p);
                continue;
            }
            die("bad -machine property '%s'", p);
        }
        g_autofree char *key = g_strndup(p, (gsize)(eq - p));
        const char *val = eq + 1;
        if (!strcmp(key, "type")) {
            if (!find_board(val))
                die("unknown machine '%s' (available: " BOARD_NAMES ")", val);
            g_free(cfg->board);
            cfg->board = g_strdup(val);
        } else if (!strcmp(key, "virtualization")) {
            if (!parse_onoff(val, &cfg->virtualization))
                die("-machine virtualization=%s: expected on or off", val);
        } else if (!strcmp(key, "gic-version")) {
            /* QEMU's "max" is the newest model there is: 3 */
            if (!strcmp(val, "2"))
                cfg->gic_version = 2;
            else if (!strcmp(val, "3") || !strcmp(val, "max"))
                cfg->gic_version = 3;
            else
                die("-machine gic-version=%s: expected 2, 3 or max", val);
        } else if (!strcmp(key, "its")) {
            if (!parse_onoff(val, &cfg->its))
                die("-machine its=%s: expected on or off", val);
        } else if (!strcmp(key, "dumpdtb")) {
            g_free(cfg->dumpdtb);
            cfg->dumpdtb = g_strdup(val);
        } else {
            die("unknown -machine property '%s'", key);
        }
    }
    g_strfreev(parts);
}

static uint32_t parse_trace(const char *arg)
{
    uint32_t mask;
    char *bad;
    if (!trace_parse_categories(arg, &mask, &bad))
        die("-d: unknown trace category '%s' (available: " TRACE_CATEGORIES ")", bad);
    return mask;
}

/* -drive file=F[,format=raw][,if=virtio|none][,id=ID][,readonly=on][,snapshot=on]
 * [,media=disk]: with if=virtio (hvsim's default) a virtio-blk device on virtio-mmio (hvsim
 * has no PCI, where QEMU's virt puts if=virtio); with if=none,id=ID the disk waits for
 * QEMU's `-device virtio-blk-device,drive=ID`. Returns the device, or NULL for if=none. */
static char *parse_drive(Opts *o, const char *v)
{
    GString *spec = g_string_new("virtio-blk-device");
    gchar **parts = g_strsplit(v, ",", -1);
    char *id = NULL;
    bool none = false;
    for (int i = 0; parts[i]; i++) {
        const char *p = parts[i];
        if (!strcmp(p, "format=raw") || !strcmp(p, "if=virtio") || !strcmp(p, "media=disk"))
            continue;
        if (!strcmp(p, "if=none")) {
            none = true;
            continue;
        }
        if (g_str_has_prefix(p, "id=")) {
            g_free(id);
            id = g_strdup(p + 3);
            continue;
        }
        if (g_str_has_prefix(p, "format=") || g_str_has_prefix(p, "if=") ||
            g_str_has_prefix(p, "media="))
            die("-drive %s: only format=raw, if=virtio|none and media=disk are modelled", v);
        if (!g_str_has_prefix(p, "file=") && !g_str_has_prefix(p, "readonly=") &&
            !g_str_has_prefix(p, "snapshot="))
            die("-drive %s: unknown property '%s' (file, format, if, id, readonly, snapshot)",
                v, p);
        g_string_append_printf(spec, ",%s", p);
    }
    g_strfreev(parts);
    if (!none) {
        g_free(id);
        return g_string_free(spec, FALSE);
    }
    if (!id || !*id)
        die("-drive %s: if=none needs id=NAME (for -device virtio-blk-device,drive=NAME)", v);
    g_hash_table_replace(o->drives, id, g_string_free(spec, FALSE));
    return NULL;
}

/* -device virtio-blk-device,drive=ID: the disk of `-drive if=none,id=ID`. */
static char *blk_device(Opts *o, const char *v)
{
    const char *d = strstr(v, ",drive=");
    char *id = d ? g_strndup(d + 7, strcspn(d + 7, ",")) : NULL;
    const char *spec = id ? g_hash_table_lookup(o->drives, id) : NULL;
    if (!spec || strchr(d + 7, ',') || d != v + strlen("virtio-blk-device"))
        die("-device %s: want virtio-blk-device,drive=ID with a -drive if=none,id=ID before it", v);
    g_free(id);
    return g_strdup(spec);
}

/* -rtc base=utc|DATE[,clock=vm]: the RTC's reading at simulated time 0. A date (2006-06-17
 * or 2006-06-17T16:01:21, UTC) keeps runs identical; base=utc reads the host's clock once. */
static void parse_rtc(Opts *o, const char *v)
{
    gchar **parts = g_strsplit(v, ",", -1);
    for (int i = 0; parts[i]; i++) {
        const char *p = parts[i];
        if (!strcmp(p, "clock=vm"))
            continue;
        if (!g_str_has_prefix(p, "base="))
            die("-rtc %s: want base=utc or base=YYYY-MM-DD[THH:MM:SS] (clock=vm only)", v);
        const char *b = p + 5;
        o->rtc_utc = !strcmp(b, "utc");
        if (o->rtc_utc) {
            o->cfg.rtc_epoch = (uint64_t)g_get_real_time() / G_USEC_PER_SEC;
            continue;
        }
        char *iso = strchr(b, 'T') ? g_strdup_printf("%sZ", b) : g_strdup_printf("%sT00:00:00Z", b);
        GDateTime *dt = g_date_time_new_from_iso8601(iso, NULL);
        g_free(iso);
        if (!dt || g_date_time_to_unix(dt) < 0 || g_date_time_to_unix(dt) > UINT32_MAX)
            die("-rtc %s: want base=utc or a date from 1970 to 2106 as YYYY-MM-DD[THH:MM:SS]", v);
        o->cfg.rtc_epoch = (uint64_t)g_date_time_to_unix(dt);
        g_date_time_unref(dt);
    }
    g_strfreev(parts);
}

/* -drive, -device, --seed, -rtc: the devices of boards/virt_devices.c. */
static void parse_device_option(Opts *o, const char *name, const char *v)
{
    MachineConfig *cfg = &o->cfg;
    if (!strcmp(name, "seed")) {
        if (!parse_u64(v, &cfg->seed))
            die("--seed %s: want a number from 0 to 2^64-1", v);
        return;
    }
    if (!strcmp(name, "rtc")) {
        parse_rtc(o, v);
        return;
    }
    char *spec = !strcmp(name, "drive") ? parse_drive(o, v)
                 : g_str_has_prefix(v, "virtio-blk-device") ? blk_device(o, v) : g_strdup(v);
    if (!spec)
        return;
    guint n = cfg->devices ? g_strv_length(cfg->devices) : 0;
    cfg->devices = g_renew(char *, cfg->devices, n + 2);
    cfg->devices[n] = spec;
    cfg->devices[n + 1] = NULL;
}

/* -device guest-loader / loader: boot images (boards/guest_loader.h), checked by the board. */
static bool is_guest_loader(const char *v)
{
    return !strcmp(v, "guest-loader") || !strcmp(v, "loader") ||
           g_str_has_prefix(v, "guest-loader,") || g_str_has_prefix(v, "loader,");
}

/* Options whose value is simply kept as a string: where it goes, or NULL. */
static char **string_option(Opts *o, const char *name)
{
    static const struct { const char *name; size_t off; bool in_cfg; } t[] = {
        { "restore", offsetof(Opts, restore), false },
        { "record", offsetof(Opts, record), false },
        { "replay", offsetof(Opts, replay), false },
        { "stats", offsetof(Opts, stats_json), false },
        { "stats-text", offsetof(Opts, stats_text), false },
        { "script", offsetof(Opts, script), false },
        { "kernel", offsetof(MachineConfig, kernel), true },
        { "append", offsetof(MachineConfig, append), true },
        { "initrd", offsetof(MachineConfig, initrd), true },
        { "dtb", offsetof(MachineConfig, dtb), true },
        { "dtb-overlay", offsetof(MachineConfig, dtb_overlay), true },
        { "D", offsetof(MachineConfig, trace_file), true },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
        if (!strcmp(name, t[i].name))
            return (char **)((t[i].in_cfg ? (char *)&o->cfg : (char *)o) + t[i].off);
    return NULL;
}

static void parse_args(Opts *o, int argc, char **argv)
{
    MachineConfig *cfg = &o->cfg;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !a[1])
            die("unexpected argument '%s' (see hvsim --help)", a);
        const char *name = a + 1;
        if (*name == '-')
            name++;
        /* options without a value */
        if (!strcmp(name, "h") || !strcmp(name, "help")) {
            usage(stdout);
            exit(0);
        }
        if (!strcmp(name, "version")) {
            printf("hvsim %s\n", HVSIM_VERSION);
            exit(0);
        }
        if (!strcmp(name, "state-hash")) {
            cfg->state_hash = true;
            continue;
        }
        if (!strcmp(name, "nographic")) {
            o->display_sdl = false;
            continue;
        }
        if (!strcmp(name, "force")) {
            o->force = true;
            continue;
        }
        if (!strcmp(name, "gdb-allow-host-writes")) {
            o->gdb_host_writes = true;
            continue;
        }
        if (!strcmp(name, "s")) {
            o->gdb_port = 1234;
            continue;
        }
        if (!strcmp(name, "S")) {
            o->gdb_wait = true;   /* the stub always waits for gdb before running */
            continue;
        }
        if (!strcmp(name, "i") || !strcmp(name, "console")) {
            o->console = true;
            continue;
        }
        /* options with a value */
        static const char *const with_value[] = {
            "M", "machine", "cpu", "m", "smp", "kernel", "append", "initrd", "dtb", "d", "D",
            "dtb-overlay", "max-insns", "stats", "stats-text", "timing", "timing-config",
            "timing-switch-at", "cpu-hz", "quantum", "script", "gdb",
            "checkpoint-at", "restore", "record", "replay", "reverse-interval", "reverse-budget",
            "stats-interval", "jit",
            "drive", "device", "seed", "rtc", "display", "plugin", NULL,
        };
        bool known = false;
        for (int k = 0; with_value[k]; k++)
            if (!strcmp(name, with_value[k]))
                known = true;
        if (!known)
            die("unknown option '%s' (see hvsim --help)", a);
        if (i + 1 >= argc)
            die("option '%s' needs a value", a);
        const char *v = argv[++i];
        g_hash_table_add(o->given, g_strdup(!strcmp(name, "machine") ? "M" : name));
        char **str = string_option(o, name);
        if (!strcmp(name, "plugin")) {
            g_ptr_array_add(o->plugins, g_strdup(v));
        } else if (str) {
            g_free(*str);
            *str = g_strdup(v);
        } else if (!strcmp(name, "checkpoint-at")) {
            const char *colon = strchr(v, ':');
            Checkpoint c = { 0, NULL };
            char *nstr = colon ? g_strndup(v, (gsize)(colon - v)) : NULL;
            bool ok = nstr && parse_u64(nstr, &c.icount) && c.icount > 0 && colon[1];
            g_free(nstr);
            if (!ok)
                die("--checkpoint-at %s: want N:FILE with N a positive instruction count", v);
            c.file = g_strdup(colon + 1);
            g_array_append_val(o->checkpoints, c);
        } else if (!strcmp(name, "device") && is_guest_loader(v)) {
            guint n = cfg->guest_loaders ? g_strv_length(cfg->guest_loaders) : 0;
            cfg->guest_loaders = g_renew(char *, cfg->guest_loaders, n + 2);
            cfg->guest_loaders[n] = g_strdup(v);
            cfg->guest_loaders[n + 1] = NULL;
        } else if (!strcmp(name, "device") && g_str_has_prefix(v, "simplefb")) {
            char *err = NULL;
            if (simplefb_parse(cfg, v, &err) < 0)
                die("%s", err);
        } else if (!strcmp(name, "drive") || !strcmp(name, "device") || !strcmp(name, "seed") ||
                   !strcmp(name, "rtc")) {
            parse_device_option(o, name, v);
        } else if (!strcmp(name, "stats-interval")) {
            if (!parse_u64(v, &o->stats_interval) || o->stats_interval == 0)
                die("--stats-interval %s: want a positive number of instructions", v);
        } else if (!strcmp(name, "reverse-interval")) {
            if (!parse_u64(v, &o->rev_interval) || o->rev_interval == 0)
                die("--reverse-interval %s: want a positive number of instructions", v);
        } else if (!strcmp(name, "reverse-budget")) {
            if (!parse_size_bytes(v, &o->rev_budget))
                die("--reverse-budget %s: want a size such as 512M or 2G (0 = off)", v);
        } else if (!strcmp(name, "M") || !strcmp(name, "machine")) {
            parse_machine(cfg, v);
        } else if (!strcmp(name, "cpu")) {
            /* checked against the board's models once the board is known */
            g_free(cfg->cpu_model);
            cfg->cpu_model = g_strdup(v);
        } else if (!strcmp(name, "m")) {
            const char *sz = g_str_has_prefix(v, "size=") ? v + 5 : v;
            if (!parse_size(sz, &cfg->ram_size) || cfg->ram_size == 0)
                die("-m %s: invalid RAM size", v);
        } else if (!strcmp(name, "smp")) {
            const char *n = g_str_has_prefix(v, "cpus=") ? v + 5 : v;
            uint64_t cpus;
            if (!parse_u64(n, &cpus) || cpus < 1 || cpus > MACHINE_MAX_CPUS)
                die("-smp %s: want a number of cores from 1 to %d", v, MACHINE_MAX_CPUS);
            cfg->smp = (int)cpus;
        } else if (!strcmp(name, "d")) {
            cfg->trace_mask |= parse_trace(v);
        } else if (!strcmp(name, "jit")) {
            if (strcmp(v, "on") && strcmp(v, "off"))
                die("--jit %s: want on or off", v);
            cfg->jit_off = !strcmp(v, "off");
        } else if (!strcmp(name, "max-insns")) {
            if (!parse_u64(v, &cfg->max_insns) || cfg->max_insns == 0)
                die("--max-insns %s: want a positive number", v);
        } else if (!strcmp(name, "gdb")) {
            /* tcp::PORT (loopback) or tcp:HOST:PORT */
            const char *p = v;
            if (strncmp(p, "tcp:", 4))
                die("-gdb: expected tcp::PORT or tcp:HOST:PORT, got '%s'", v);
            p += 4;
            const char *colon = strrchr(p, ':');
            char *end;
            long port = colon ? strtol(colon + 1, &end, 10) : -1;
            if (!colon || *end || port <= 0 || port > 65535)
                die("-gdb: bad port in '%s'", v);
            g_free(o->gdb_host);
            o->gdb_host = g_strndup(p, (gsize)(colon - p));
            o->gdb_port = (int)port;
        } else if (!strcmp(name, "display")) {
            if (strcmp(v, "sdl") && strcmp(v, "none"))
                die("-display %s: want sdl or none", v);
            o->display_sdl = !strcmp(v, "sdl");
        } else if (!strcmp(name, "timing")) {
            TimingKind k;
            if (!timing_kind_parse(v, &k))
                die("--timing %s: unknown timing model (available: atomic, inorder)", v);
            g_free(cfg->timing);
            cfg->timing = g_strdup(v);
        } else if (!strcmp(name, "timing-config")) {
            g_free(cfg->timing_config);
            cfg->timing_config = g_strdup(v);
        } else if (!strcmp(name, "timing-switch-at")) {
            g_free(cfg->timing_switch);
            cfg->timing_switch = g_strdup(v);
        } else if (!strcmp(name, "cpu-hz")) {
            if (!parse_u64(v, &cfg->cpu_hz) || cfg->cpu_hz < MACHINE_MIN_HZ || cfg->cpu_hz > MACHINE_MAX_HZ)
                die("--cpu-hz %s: want a frequency from 1000 to 1e11 Hz", v);
        } else if (!strcmp(name, "quantum")) {
            if (!parse_u64(v, &cfg->quantum) || cfg->quantum == 0)
                die("--quantum %s: want a positive number of instructions", v);
        }
    }
}

/* Finishes an output file opened at start-up; false (one line on stderr) on a write error. */
static bool commit_output(OutFile **f)
{
    char *err = NULL;
    bool ok = !*f || outfile_commit(*f, &err);
    *f = NULL;
    if (!ok) {
        fprintf(stderr, "hvsim: %s\n", err);
        g_free(err);
    }
    return ok;
}

static bool commit_text(OutFile **f, const GString *text)
{
    if (*f)
        fwrite(text->str, 1, text->len, outfile_stream(*f));
    return commit_output(f);
}

/* The statistics as one JSON object and a newline: indented at exit, one line per record of
 * a --stats-interval series (the last at exit). */
static void put_stats_json(Opts *o, const StatsSet *set)
{
    char *json = stats_set_to_json(set, !o->stats_interval);
    fprintf(outfile_stream(o->out_stats_json), "%s\n", json);
    g_free(json);
}

static void write_stats_record(Machine *m, Opts *o)
{
    StatsSet *set = machine_stats(m);
    put_stats_json(o, set);
    stats_set_free(set);
}

static bool write_stats(Machine *m, Opts *o)
{
    if (!o->out_stats_json && !o->out_stats_text)
        return true;          /* nobody asked: the providers need not run */
    bool ok = true;
    StatsSet *set = machine_stats(m);
    if (o->out_stats_json) {
        put_stats_json(o, set);
        ok &= commit_output(&o->out_stats_json);
    }
    if (o->out_stats_text) {
        GString *s = g_string_new("");
        stats_set_to_text(set, s);
        ok &= commit_text(&o->out_stats_text, s);
        g_string_free(s, TRUE);
    }
    stats_set_free(set);
    return ok;
}

/* --record: the log is written into the output opened at start-up, like every other
 * output file. */
static bool write_record(InputLog *log, OutFile **f)
{
    inputlog_write(log, outfile_stream(*f));
    return commit_output(f);
}

/* Drops every output opened so far (a start-up error: nothing is left behind). */
static void abort_outputs(Opts *o)
{
    OutFile **all[] = { &o->out_trace, &o->out_stats_json, &o->out_stats_text, &o->out_record };
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++) {
        outfile_abort(*all[i]);
        *all[i] = NULL;
    }
}

/* Opens the output files once all inputs are known to be good, before the run: an existing
 * file (without --force) or an unwritable path fails here, not after the run. */
static void open_outputs(Opts *o)
{
    struct { const char *path; OutFile **f; } t[] = {
        { o->trace_path, &o->out_trace },
        { o->stats_json, &o->out_stats_json },
        { o->stats_text, &o->out_stats_text },
        { o->record, &o->out_record },
    };
    opened_outputs = o;
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
        char *err = NULL;
        if (t[i].path && !(*t[i].f = outfile_open(t[i].path, o->force, &err)))
            die("%s", err);
    }
}

static G_GNUC_PRINTF(1, 2) G_GNUC_NORETURN void die_snapshot(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdie(EXIT_BAD_SNAPSHOT, fmt, ap);
}

/* --restore and the optional devices: given again (-drive/-device), they must be the
 * snapshot's, in its order (snapshot= may differ: it is the host file's business); not given,
 * they are the snapshot's, with every disk at snapshot=on, so that a restored run never
 * writes into an image the user did not name. */
static void restore_devices(Opts *o, const MachineConfig *sc)
{
    MachineConfig *c = &o->cfg;
    if (g_hash_table_contains(o->given, "drive") || g_hash_table_contains(o->given, "device")) {
        char *da = snapshot_describe(c), *db = snapshot_describe(sc);   /* as the guest sees them */
        const char *pa = strstr(da, "device0="), *pb = strstr(db, "device0=");
        if (g_strcmp0(pa, pb)) {
            char *list = sc->devices ? g_strjoinv(" ", sc->devices) : g_strdup("none");
            die_snapshot("--restore %s: the -drive/-device options differ from the snapshot's "
                         "devices (in order: %s)", o->restore, list);
        }
        g_free(da);
        g_free(db);
        return;
    }
    g_strfreev(c->devices);
    c->devices = g_strdupv(sc->devices);
    for (char **d = c->devices; d && *d; d++)
        if (g_str_has_prefix(*d, "virtio-blk-device")) {
            char *on = g_strdup_printf("%s,snapshot=on", *d);
            g_free(*d);
            *d = on;
        }
}

/* --restore: the machine comes from the snapshot's description; options given alongside
 * must agree with it (interface.md), else exit 4 naming the first that does not. */
static void restore_config(Opts *o)
{
    MachineConfig sc;
    machine_config_defaults(&sc);
    char *err = NULL;
    if (snapshot_read_config(o->restore, &sc, &err))
        die_snapshot("%s", err);
    MachineConfig *c = &o->cfg;
    const char *bad = NULL;
    char mine[64] = "", theirs[64] = "";
#define DIFFERS(opt, cond, fmt, a, b) \
    if (!bad && g_hash_table_contains(o->given, opt) && (cond)) { \
        bad = opt; \
        snprintf(mine, sizeof mine, fmt, a); \
        snprintf(theirs, sizeof theirs, fmt, b); \
    }
    DIFFERS("M", c->virtualization != sc.virtualization, "virtualization=%d", c->virtualization, sc.virtualization)
    DIFFERS("M", strcmp(c->board, sc.board), "%s", c->board, sc.board)
    DIFFERS("M", c->gic_version != sc.gic_version, "gic-version=%d", c->gic_version, sc.gic_version)
    DIFFERS("M", machine_has_its(c) != machine_has_its(&sc), "its=%d", machine_has_its(c),
            machine_has_its(&sc))
    DIFFERS("cpu", strcmp(c->cpu_model, sc.cpu_model), "%s", c->cpu_model, sc.cpu_model)
    DIFFERS("m", c->ram_size != sc.ram_size, "%llu bytes", (unsigned long long)c->ram_size,
            (unsigned long long)sc.ram_size)
    DIFFERS("smp", c->smp != sc.smp, "%d", c->smp, sc.smp)
    DIFFERS("quantum", c->quantum != sc.quantum, "%llu", (unsigned long long)c->quantum,
            (unsigned long long)sc.quantum)
    DIFFERS("cpu-hz", c->cpu_hz != sc.cpu_hz, "%llu", (unsigned long long)c->cpu_hz,
            (unsigned long long)sc.cpu_hz)
#undef DIFFERS
    g_autofree char *fb_mine = simplefb_describe(c), *fb_theirs = simplefb_describe(&sc);
    if (!bad && g_hash_table_contains(o->given, "device") && g_strcmp0(fb_mine, fb_theirs))
        die_snapshot("--restore %s: -device gives %s, the snapshot's machine has %s", o->restore,
                     fb_mine ? fb_mine : "no framebuffer", fb_theirs ? fb_theirs : "no framebuffer");
    if (bad)
        die_snapshot("--restore %s: -%s gives %s, the snapshot's machine has %s", o->restore, bad,
                     mine, theirs);
    restore_devices(o, &sc);
    g_free(c->board);
    c->board = g_strdup(sc.board);
    g_free(c->cpu_model);
    c->cpu_model = g_strdup(sc.cpu_model);
    c->ram_size = sc.ram_size;
    c->smp = sc.smp;
    c->virtualization = sc.virtualization;
    c->gic_version = sc.gic_version;
    c->its = sc.its;
    c->quantum = sc.quantum;
    c->cpu_hz = sc.cpu_hz;
    c->fb_width = sc.fb_width;
    c->fb_height = sc.fb_height;
    c->fb_format = sc.fb_format;
    c->restoring = true;
    machine_config_free(&sc);
}

static int by_icount(gconstpointer a, gconstpointer b)
{
    const Checkpoint *x = a, *y = b;
    return x->icount < y->icount ? -1 : x->icount > y->icount;
}

/* A plain run that stops on the way: at each --checkpoint-at count in turn to save a
 * snapshot, and every --stats-interval instructions to write a statistics record. Stopping
 * at a count and running on changes nothing in the machine (the state hash is the straight
 * run's). */
static int run_with_stops(Machine *m, Opts *o)
{
    g_array_sort(o->checkpoints, by_icount);
    guint next_cp = 0;
    uint64_t next_rec = o->stats_interval ? o->stats_interval : UINT64_MAX;
    for (;;) {
        uint64_t cp = next_cp < o->checkpoints->len
                          ? g_array_index(o->checkpoints, Checkpoint, next_cp).icount : UINT64_MAX;
        uint64_t target = MIN(cp, next_rec);
        if (target == UINT64_MAX)
            break;
        if (!machine_run_to(m, target)) {
            if (cp != UINT64_MAX) {
                Checkpoint *c = &g_array_index(o->checkpoints, Checkpoint, next_cp);
                fprintf(stderr, "hvsim: --checkpoint-at %llu: the run stopped at instruction "
                        "%llu first; %s not written\n", (unsigned long long)c->icount,
                        (unsigned long long)machine_icount(m), c->file);
                o->missed_checkpoint = true;
            }
            break;
        }
        if (target == cp) {
            char *err = NULL;
            if (snapshot_save(m, g_array_index(o->checkpoints, Checkpoint, next_cp).file,
                              o->force, &err) < 0)
                die("%s", err);
            next_cp++;
        }
        if (target == next_rec) {
            write_stats_record(m, o);
            next_rec += o->stats_interval;
        }
    }
    int code = m->stop ? m->exit_code : machine_run(m);
    if (o->missed_checkpoint && code == 0)
        code = EXIT_BAD_INPUT;
    return code;
}

/* Two outputs to one file would overwrite each other: refused at start-up. */
static void check_output_names(const Opts *o)
{
    const char *names[] = { o->trace_path, o->stats_json, o->stats_text, o->record, o->cfg.dumpdtb };
    const char *opts[] = { "-D", "--stats", "--stats-text", "--record", "-machine dumpdtb" };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        for (size_t j = i + 1; j < G_N_ELEMENTS(names); j++)
            if (names[i] && names[j] && !strcmp(names[i], names[j]))
                die("%s and %s both write '%s'", opts[i], opts[j], names[i]);
}

int main(int argc, char **argv)
{
    Opts o = { 0 };
    o.checkpoints = g_array_new(FALSE, FALSE, sizeof(Checkpoint));
    o.given = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    o.drives = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    o.plugins = g_ptr_array_new_with_free_func(g_free);
    o.rev_interval = 10000000;
    o.rev_budget = 1ULL << 30;
    machine_config_defaults(&o.cfg);
    parse_args(&o, argc, argv);
    if (o.restore)
        restore_config(&o);
    /* a snapshot's machine is checked by the board that builds it (exit 4 when it cannot) */
    const BoardDef *board = find_board(o.cfg.board);
    if (!board && o.restore)
        die_snapshot("%s: the snapshot describes a machine hvsim cannot build: unknown machine "
                     "'%s'", o.restore, o.cfg.board);
    if (!board)
        die("unknown machine '%s' (available: " BOARD_NAMES ")", o.cfg.board);
    if (!o.restore && !g_hash_table_contains(o.given, "cpu")) {
        g_free(o.cfg.cpu_model);
        o.cfg.cpu_model = g_strdup(board->default_cpu);
    }
    if (!o.restore && !board->cpu_known(o.cfg.cpu_model))
        die("unknown CPU model '%s' (available: %s)", o.cfg.cpu_model, board->cpu_models);
    bool debugging = o.script || o.console || o.gdb_port;
    if (o.checkpoints->len && debugging)
        die("--checkpoint-at is for plain runs; in the console or a script use 'checkpoint save FILE'");
    if (o.replay && (debugging || o.record || o.checkpoints->len))
        die("--replay is for plain runs (without --record, --checkpoint-at or a debugger)");
    if (o.record && o.checkpoints->len)
        die("--record and --checkpoint-at cannot be combined yet");
    if (o.stats_interval && !o.stats_json)
        die("--stats-interval needs --stats FILE (where the records go)");
    if (o.stats_interval && (debugging || o.record || o.replay))
        die("--stats-interval is for plain runs; in the console or a script use 'stats dump FILE'");
    if (o.rtc_utc && (o.record || o.replay))
        die("-rtc base=utc reads the host's clock, which a replay cannot repeat; give the date "
            "(-rtc base=YYYY-MM-DDTHH:MM:SS)");
    /* -D is opened here with the other outputs, once the kernel has loaded (never by the
     * machine: a bad kernel must not leave an empty trace file behind) */
    o.trace_path = o.cfg.trace_file;
    o.cfg.trace_file = NULL;
    check_output_names(&o);
    char *err = NULL;
    if (o.cfg.dumpdtb) {
        if (board->create != virt_create)
            die("-machine dumpdtb: the %s board has no device tree", board->name);
        if (virt_dump_dtb(&o.cfg, o.force, &err) < 0)
            die("%s", err);
        return 0;
    }
    if (!o.cfg.kernel && !o.restore)
        die("no kernel given (use -kernel FILE; see hvsim --help)");
    if (o.script && access(o.script, R_OK) != 0)
        die("cannot read script '%s': %s", o.script, g_strerror(errno));
    if (o.script && g_file_test(o.script, G_FILE_TEST_IS_DIR))
        die("cannot read script '%s': it is a directory", o.script);
    Machine *m = board->create(&o.cfg, &err);
    if (!m && o.restore)      /* the machine comes from the snapshot's description */
        die_snapshot("%s: the snapshot describes a machine hvsim cannot build: %s", o.restore, err);
    if (!m)
        die("%s", err);
    if (o.restore && snapshot_load(m, o.restore, &err))
        die_snapshot("%s", err);
    if (o.console)            /* the console owns the terminal's input */
        board->detach_input(m);
    Display *display = NULL;
    if (o.display_sdl && !(display = display_sdl_open(m, board->input_fd(m), &err)))
        die("%s", err);
    if ((o.cfg.trace_mask & (TRACE_EXEC | TRACE_IN_ASM)) && o.cfg.kernel &&
        !dbg_symbols_attach_trace(m, o.cfg.kernel, &err))
        g_clear_pointer(&err, g_free);   /* not ELF, or no symbols: lines without names */
    Plugins *plugins = NULL;
    for (guint i = 0; i < o.plugins->len; i++)
        if (!plugins_load(&plugins, m, g_ptr_array_index(o.plugins, i), o.cfg.kernel, &err))
            die("%s", err);
    int code;
    InputLog *log = NULL;
    if (o.record && !debugging)
        log = inputlog_new(m);
    if (o.replay) {
        log = inputlog_new(m);
        inputlog_set_apply(log, dbg_apply_logged_write, m);
        if (inputlog_load(log, o.replay, &err))
            die_snapshot("%s", err);
    }
    /* every input is good: now the outputs */
    open_outputs(&o);
    if (o.out_trace)
        m->trace = outfile_stream(o.out_trace);
    if (o.replay) {
        code = inputlog_replay_run(log, &err);
        if (code == EXIT_BAD_SNAPSHOT) {
            fflush(stdout);
            fprintf(stderr, "hvsim: %s\n", err);
            g_free(err);
        }
    } else if (log) {
        code = inputlog_record_run(log, 10000000);
    } else if (o.checkpoints->len || o.stats_interval) {
        code = run_with_stops(m, &o);
    } else if (o.script || o.console || o.gdb_port) {
        Debugger *dbg = dbg_new(m);
        dbg_enable_history(dbg, o.rev_interval, o.rev_budget);
        dbg->force = o.force;
        dbg->gdb_host_writes = o.gdb_host_writes;
        dbg->trace_out = o.out_trace;     /* the debugger's from now on (`trace on FILE`) */
        o.out_trace = NULL;
        code = o.gdb_port ? dbg_gdbstub(dbg, o.gdb_host, o.gdb_port)
               : o.script ? dbg_run_script(dbg, o.script) : dbg_console(dbg);
        if (code == 0 && m->exit_code)
            code = m->exit_code;
        if (!dbg_close_trace(dbg, &err)) {
            fprintf(stderr, "hvsim: %s\n", err);
            g_clear_pointer(&err, g_free);
            if (code == 0)
                code = EXIT_BAD_INPUT;
        }
        if (o.out_record && !write_record(dbg->log, &o.out_record) && code == 0)
            code = EXIT_BAD_INPUT;
        dbg_free(dbg);
    } else {
        code = machine_run(m);
    }
    display_close(display);
    if (plugins_stop_reason(plugins) && m->paused && !m->stop_msg[0])
        snprintf(m->stop_msg, sizeof m->stop_msg, "%s", plugins_stop_reason(plugins));
    plugins_at_exit(plugins);
    if (o.out_trace) {
        m->trace = stderr;
        if (!commit_output(&o.out_trace) && code == 0)
            code = EXIT_BAD_INPUT;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "hvsim: cannot write the guest's output to stdout: %s\n",
                errno ? g_strerror(errno) : "write error");
        if (code == 0)
            code = EXIT_BAD_INPUT;
    }
    if (m->stop_msg[0])
        fprintf(stderr, "hvsim: %s\n", m->stop_msg);
    if (board->writeback && !board->writeback(m, &err)) {
        fprintf(stderr, "hvsim: %s\n", err);
        g_clear_pointer(&err, g_free);
        if (code == 0)
            code = EXIT_BAD_INPUT;
    }
    if (o.cfg.state_hash) {
        char hex[65];
        machine_state_hash(m, hex);
        fprintf(stderr, "state-hash: %s\n", hex);
    }
    if (((o.cfg.trace_mask & TRACE_VMEXIT) || o.stats_text) && board->hvm)
        hvm_print_summary(board->hvm(m), stderr);
    if (!write_stats(m, &o) && code == 0)
        code = EXIT_BAD_INPUT;
    if (log && o.out_record && !write_record(log, &o.out_record) && code == 0)
        code = EXIT_BAD_INPUT;
    inputlog_free(log);
    plugins_free(plugins);
    machine_free(m);
    machine_config_free(&o.cfg);
    g_free(o.stats_json);
    g_free(o.stats_text);
    g_free(o.script);
    g_free(o.gdb_host);
    g_free(o.restore);
    g_free(o.record);
    g_free(o.replay);
    g_free(o.trace_path);
    for (guint i = 0; i < o.checkpoints->len; i++)
        g_free(g_array_index(o.checkpoints, Checkpoint, i).file);
    g_array_free(o.checkpoints, TRUE);
    g_hash_table_destroy(o.given);
    g_hash_table_destroy(o.drives);
    g_ptr_array_free(o.plugins, TRUE);
    return code;
}
