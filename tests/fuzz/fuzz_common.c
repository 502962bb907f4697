/* Shared harness support (see fuzz_common.h). */
#include "tests/fuzz/fuzz_common.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "boards/pc.h"
#include "boards/virt.h"
#include "checkpoint/snapshot.h"

/* Raw kernel, loaded at RAM + 0x80000 and entered at EL2 (assembled from):
 *   _start: mov x0, #0xc4000000; movk x0, #3; mov x1, #1; adr x2, secondary; mov x3, #0
 *           smc #0                                  // PSCI CPU_ON64 core 1
 *           mov x13, #0x1000; msr cnthp_tval_el2, x13; mov x13, #1; msr cnthp_ctl_el2, x13
 *           mov x5, #0x40100000; mov x10, #0x09000000; mov x6, #0; mov x7, #1
 *   loop:   add x6, x6, #1; add x7, x7, x6, lsl #1; and x8, x6, #0x3f; lsl x8, x8, #12
 *           add x8, x8, x5; str x6, [x8]; str x7, [x8, #8]
 *           and x9, x6, #0xff; cbnz x9, 1f
 *           mov w11, #'.'; strb w11, [x10]; ldr w12, [x10, #0x18]; ldr w12, [x10]
 *   1:      b loop
 *   secondary: mov x5, #0x40200000; mov x6, #0
 *   2:      add x6, x6, #3; eor x9, x9, x6; and x8, x6, #0x1f; lsl x8, x8, #12
 *           add x8, x8, x5; str x9, [x8, #16]; b 2b */
static const uint32_t kernel_code[] = {
    0xd2b88000, 0xf2800060, 0xd2800021, 0x10000322, 0xd2800003, 0xd4000003, 0xd282000d,
    0xd51ce20d, 0xd280002d, 0xd51ce22d, 0xd2a80205, 0xd2a1200a, 0xd2800006, 0xd2800027,
    0x910004c6, 0x8b0604e7, 0x924014c8, 0xd374cd08, 0x8b050108, 0xf9000106, 0xf9000507,
    0x92401cc9, 0xb50000a9, 0x528005cb, 0x3900014b, 0xb940194c, 0xb940014c, 0x17fffff3,
    0xd2a80405, 0xd2800006, 0x91000cc6, 0xca060129, 0x924010c8, 0xd374cd08, 0x8b050108,
    0xf9000909, 0x17fffffa,
};

FILE *fz_devnull(void)
{
    static FILE *null;
    if (!null && !(null = fopen("/dev/null", "w"))) {
        fprintf(stderr, "fuzz: /dev/null: %s\n", strerror(errno));
        abort();
    }
    return null;
}

void fz_file_init(FzFile *f, const char *name)
{
    f->fd = memfd_create(name, 0);
    if (f->fd < 0) {
        fprintf(stderr, "fuzz: memfd_create: %s\n", strerror(errno));
        abort();
    }
    snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
}

const char *fz_file_set(FzFile *f, const void *data, size_t len)
{
    if (ftruncate(f->fd, 0) < 0 || (len && pwrite(f->fd, data, len, 0) != (ssize_t)len)) {
        fprintf(stderr, "fuzz: writing %s: %s\n", f->path, strerror(errno));
        abort();
    }
    return f->path;
}

/* The fuzz machine with `image` as its kernel, or with `overlay` (non-NULL) as its
 * --dtb-overlay file and the fuzz kernel. */
static Machine *machine_with(const uint8_t *image, size_t len, const uint8_t *overlay,
                             size_t olen, char **err)
{
    static FzFile kf, of;
    if (!kf.path[0]) {
        fz_file_init(&kf, "kernel");
        fz_file_init(&of, "overlay");
    }
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    cfg.ram_size = 64ULL << 20;
    cfg.smp = 2;
    cfg.virtualization = true;
    cfg.quantum = 200;
    g_free(cfg.cpu_model);
    cfg.cpu_model = g_strdup("max");
    g_free(cfg.kernel);
    cfg.kernel = g_strdup(fz_file_set(&kf, image, len));
    if (overlay)
        cfg.dtb_overlay = g_strdup(fz_file_set(&of, overlay, olen));
    Machine *m = virt_create(&cfg, err);
    machine_config_free(&cfg);
    if (m) {
        ((VirtBoard *)m->board)->uart->in_fd = -1;
        m->out = fz_devnull();
    }
    return m;
}

Machine *fz_machine_with_kernel(const uint8_t *image, size_t len, char **err)
{
    return machine_with(image, len, NULL, 0, err);
}

Machine *fz_pc_with_kernel(const uint8_t *image, size_t len, char **err)
{
    static FzFile kf;
    if (!kf.path[0])
        fz_file_init(&kf, "pc-kernel");
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    g_free(cfg.board);
    cfg.board = g_strdup("pc");
    g_free(cfg.cpu_model);
    cfg.cpu_model = g_strdup("max");
    cfg.ram_size = 128ULL << 20;    /* a bzImage's preferred 16 MiB and its init_size fit */
    cfg.smp = 2;
    cfg.quantum = 200;
    cfg.append = g_strdup("console=ttyS0");
    g_free(cfg.kernel);
    cfg.kernel = g_strdup(fz_file_set(&kf, image, len));
    Machine *m = pc_create(&cfg, err);
    machine_config_free(&cfg);
    if (m) {
        ((PcBoard *)m->board)->uart->in_fd = -1;
        m->out = fz_devnull();
    }
    return m;
}

Machine *fz_machine_with_overlay(const uint8_t *overlay, size_t len, char **err)
{
    return machine_with((const uint8_t *)kernel_code, sizeof kernel_code, overlay, len, err);
}

Machine *fz_machine_new(void)
{
    char *err = NULL;
    Machine *m = fz_machine_with_kernel((const uint8_t *)kernel_code, sizeof kernel_code, &err);
    if (!m) {
        fprintf(stderr, "fuzz: virt_create: %s\n", err ? err : "?");
        abort();
    }
    return m;
}

GByteArray *fz_snapshot_now(Machine *m)
{
    GByteArray *b = g_byte_array_new();
    snapshot_encode(m, b);
    return b;
}

void fz_restore(Machine *m, const GByteArray *blob)
{
    char *err = NULL;
    if (snapshot_decode(m, blob->data, blob->len, &err)) {
        fprintf(stderr, "fuzz: restoring the boot state: %s\n", err ? err : "?");
        abort();
    }
}

static void time_up(void *opaque, SimTime now)
{
    (void)now;
    machine_stop(opaque, EXIT_OK, "fuzz: simulated time bound");
}

void fz_run(Machine *m, uint64_t n)
{
    /* a machine whose cores are all off or asleep advances only time: bound that too */
    Event ev;
    event_init(&ev, "fuzz-time-bound", EVQ_PRIO_SIM_EXIT, time_up, m);
    uint64_t span = n * FZ_TIME_FACTOR * m->timing.ps_per_cycle;
    evq_schedule(&m->evq, &ev, m->now + span < m->now ? UINT64_MAX : m->now + span);
    m->cfg.max_insns = 0;
    machine_run_to(m, machine_icount(m) + n);
    if (event_pending(&ev))
        evq_cancel(&m->evq, &ev);
}

const char *fz_gen_dir(void)
{
    const char *d = getenv("HVSIM_FUZZ_GEN_SEEDS");
    return d && *d ? d : NULL;
}

void fz_gen_seed(const char *name, const void *data, size_t len)
{
    char *path = g_build_filename(fz_gen_dir(), name, NULL);
    GError *e = NULL;
    if (!g_file_set_contents(path, data, (gssize)len, &e)) {
        fprintf(stderr, "fuzz: %s\n", e->message);
        exit(1);
    }
    printf("fuzz: wrote seed %s (%zu bytes)\n", path, len);
    g_free(path);
}

bool fz_console_line_ok(const char *line)
{
    static const char *const blocked[] = { "checkpoint", "symbols", "trace", "stats", "screendump",
                                           "quit" };
    gchar *t = g_strstrip(g_strdup(line));
    gchar **argv = NULL;
    gint argc = 0;
    bool ok = true;
    if (*t && t[0] != '#' && g_shell_parse_argv(t, &argc, &argv, NULL) && argc > 0) {
        char name[32];
        g_strlcpy(name, argv[0], sizeof name);
        char *slash = strchr(name, '/');
        if (slash)
            *slash = 0;
        for (size_t i = 0; i < G_N_ELEMENTS(blocked); i++)
            if (!strcmp(name, blocked[i]))
                ok = false;
        if (argc == 2 && !strcmp(argv[0], "stats") && !strcmp(argv[1], "reset"))
            ok = true;        /* touches no host file */
    }
    g_strfreev(argv);
    g_free(t);
    return ok;
}

void fz_detach_debugger(Machine *m)
{
    m->break_check = NULL;
    m->watch_check = NULL;
    m->break_opaque = NULL;
    m->nbreak_vas = 0;
    m->break_skip_cpu = -1;
    m->cfg.max_insns = 0;
}
