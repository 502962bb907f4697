/* The progress guarantee (issue 9): a core that takes exception after exception on
 * instruction fetch, retiring nothing, still advances time and meets every stop condition,
 * and the machine stops with exit 3 after A64_FETCH_FAULT_LIMIT of them in a row. */
#include <criterion/criterion.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "boards/virt.h"
#include "checkpoint/snapshot.h"
#include "core/machine.h"
#include "cpu/arm64/cpu.h"

/* A raw kernel at EL1 that turns the MMU on over an empty level-1 table: the next fetch
 * takes a translation fault, and so does the fetch of the vector (VBAR_EL1 = 0), forever. */
static const uint32_t loop_code[] = {
    0xd2a86000, /* mov  x0, #0x43000000   (zeroed RAM: every descriptor invalid) */
    0xd5182000, /* msr  ttbr0_el1, x0 */
    0xd5182020, /* msr  ttbr1_el1, x0 */
    0xd2800320, /* mov  x0, #25           (T0SZ = 25, 4K granule) */
    0xd5182040, /* msr  tcr_el1, x0 */
    0xd5381000, /* mrs  x0, sctlr_el1 */
    0xb2400000, /* orr  x0, x0, #1 */
    0xd5181000, /* msr  sctlr_el1, x0 */
    0xd5033fdf, /* isb */
    0x14000000, /* b    . (never fetched) */
};
#define LOOP_INSNS 8          /* instructions before the first fetch fault (the ISB is
                               * fetched through the new translation) */

static Machine *code_machine(const uint32_t *code, size_t size, uint64_t max_insns,
                             uint32_t trace_mask, FILE *trace)
{
    char *k = g_strdup_printf("/tmp/progress-test-%d.bin", (int)getpid());
    cr_assert(g_file_set_contents(k, (const char *)code, (gssize)size, NULL));
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    cfg.ram_size = 64ULL << 20;
    cfg.max_insns = max_insns;
    cfg.trace_mask = trace_mask;
    g_free(cfg.kernel);
    cfg.kernel = k;
    char *err = NULL;
    Machine *m = virt_create(&cfg, &err);
    cr_assert_not_null(m, "virt_create: %s", err ? err : "?");
    ((VirtBoard *)m->board)->uart->in_fd = -1;
    if (trace)
        m->trace = trace;
    unlink(k);
    machine_config_free(&cfg);
    return m;
}

static Machine *loop_machine(uint64_t max_insns, uint32_t trace_mask, FILE *trace)
{
    return code_machine(loop_code, sizeof loop_code, max_insns, trace_mask, trace);
}

Test(progress, exception_loop_ends_with_exit_3)
{
    Machine *m = loop_machine(0, 0, NULL);
    cr_assert_eq(machine_run(m), EXIT_GUEST_CRASH, "exit %d: %s", m->exit_code, m->stop_msg);
    cr_assert(strstr(m->stop_msg, "exception loop"), "%s", m->stop_msg);
    cr_assert(strstr(m->stop_msg, "taken to EL1 vector 0x200"), "%s", m->stop_msg);
    cr_assert(strstr(m->stop_msg, "translation fault"), "%s", m->stop_msg);
    cr_assert(strstr(m->stop_msg, "last at PC 0x200"), "the looping PC: %s", m->stop_msg);
    cr_assert_eq(machine_icount(m), LOOP_INSNS + A64_FETCH_FAULT_LIMIT,
                 "each fault costs one cycle: %llu", (unsigned long long)machine_icount(m));
    cr_assert_geq(m->cpus[0].time, machine_icount(m) * m->timing.ps_per_cycle,
                  "the core's clock advanced with every fault");
    machine_free(m);
}

Test(progress, instruction_limit_stops_a_loop)
{
    Machine *m = loop_machine(LOOP_INSNS + 300, 0, NULL);
    cr_assert_eq(machine_run(m), EXIT_OK, "exit %d: %s", m->exit_code, m->stop_msg);
    cr_assert(m->at_limit);
    cr_assert_eq(machine_icount(m), LOOP_INSNS + 300);
    machine_free(m);
}

Test(progress, run_to_reaches_counts_inside_a_loop)
{
    Machine *m = loop_machine(0, 0, NULL);
    for (uint64_t n = 5; n <= 605; n += 100) {
        cr_assert(machine_run_to(m, n), "stopped before %llu: %s", (unsigned long long)n,
                  m->stop_msg);
        cr_assert_eq(machine_icount(m), n);
    }
    machine_free(m);
}

/* -d int in such a loop writes one line per exception and stops with the machine. */
Test(progress, traced_loop_is_bounded)
{
    char *text = NULL;
    size_t len = 0;
    FILE *t = open_memstream(&text, &len);
    Machine *m = loop_machine(0, TRACE_INT | TRACE_EXEC, t);
    cr_assert_eq(machine_run(m), EXIT_GUEST_CRASH, "exit %d: %s", m->exit_code, m->stop_msg);
    machine_free(m);
    fclose(t);
    cr_assert_lt(len, 1000000, "trace of %zu bytes", len);
    cr_assert(strstr(text, "translation fault"), "the trace shows the faults");
    free(text);
}

/* Every core waits in WFI for a timer an hour away (no interrupt controller set up, so the
 * expiry wakes nothing): time jumps to the event instead of stepping through 360 million
 * quanta, and the machine then hangs (exit 3) at the simulated hour. */
static const uint32_t hour_code[] = {
    0xd2c00680, /* mov  x0, #0x3400000000 */
    0xf2ac6160, /* movk x0, #0x630b, lsl #16 */
    0xf2914000, /* movk x0, #0x8a00        (3600 s of 62.5 MHz ticks) */
    0xd51be340, /* msr  cntv_cval_el0, x0 */
    0xd2800020, /* mov  x0, #1 */
    0xd51be320, /* msr  cntv_ctl_el0, x0   (enabled, not masked) */
    0xd503207f, /* wfi */
    0x17ffffff, /* b    .-4 */
};

Test(progress, idle_cores_jump_to_the_next_event)
{
    Machine *m = code_machine(hour_code, sizeof hour_code, 0, 0, NULL);
    cr_assert_eq(machine_run(m), EXIT_GUEST_CRASH, "exit %d: %s", m->exit_code, m->stop_msg);
    cr_assert(strstr(m->stop_msg, "halted or off"), "%s", m->stop_msg);
    cr_assert_geq(m->now, 3600 * PS_PER_S, "now = %llu ps", (unsigned long long)m->now);
    cr_assert_lt(m->now, 3601 * PS_PER_S, "now = %llu ps", (unsigned long long)m->now);
    machine_free(m);
}

/* The same with the timer at 2^49 ticks (about 2^63 ps): past the end of simulated time, the
 * machine stops at once instead of running for ever. */
static const uint32_t far_code[] = {
    0xd2e00040, /* mov  x0, #0x2000000000000 */
    0xd51be340, /* msr  cntv_cval_el0, x0 */
    0xd2800020, /* mov  x0, #1 */
    0xd51be320, /* msr  cntv_ctl_el0, x0 */
    0xd503207f, /* wfi */
    0x17ffffff, /* b    .-4 */
};

Test(progress, an_event_past_the_end_of_time_stops_the_machine)
{
    Machine *m = code_machine(far_code, sizeof far_code, 0, 0, NULL);
    cr_assert_eq(machine_run(m), EXIT_GUEST_CRASH, "exit %d: %s", m->exit_code, m->stop_msg);
    cr_assert(strstr(m->stop_msg, "simulated time would pass its end"), "%s", m->stop_msg);
    cr_assert_leq(m->now, MACHINE_TIME_MAX);
    machine_free(m);
}

/* Power-off wins over a pause asked for at the same moment (Ctrl-C), and a powered-off
 * machine runs nothing more. */
Test(progress, power_off_ends_the_machine_whatever_else_stopped_it)
{
    Machine *m = loop_machine(0, 0, NULL);
    cr_assert(machine_run_to(m, 5));
    m->paused = m->stop = true;              /* what the Ctrl-C handler does */
    machine_power_off(m);
    cr_assert(m->stop && m->powered_off && !m->paused, "a pause hid the power-off");
    cr_assert_eq(m->exit_code, EXIT_OK);
    m->stop = false;
    cr_assert_eq(machine_run(m), EXIT_OK);
    cr_assert(m->stop);
    cr_assert_eq(machine_icount(m), 5, "a powered-off machine ran on");
    cr_assert_not(machine_run_to(m, 10));
    cr_assert_eq(machine_icount(m), 5);
    machine_free(m);
}

/* The only core turns itself off (PSCI CPU_OFF): nothing can ever run again, so the machine
 * stops with exit 3 even while device events (a UART poll) would keep time going. */
static const uint32_t cpu_off_code[] = {
    0xd2b08000, /* mov  x0, #0x84000000 */
    0xf2800040, /* movk x0, #2            (PSCI CPU_OFF) */
    0xd4000002, /* hvc  #0 */
    0x14000000, /* b    . */
};

Test(progress, every_core_off_ends_the_machine)
{
    Machine *m = code_machine(cpu_off_code, sizeof cpu_off_code, 0, 0, NULL);
    cr_assert_eq(machine_run(m), EXIT_GUEST_CRASH, "exit %d: %s", m->exit_code, m->stop_msg);
    cr_assert(strstr(m->stop_msg, "every core is powered off"), "%s", m->stop_msg);
    cr_assert_eq(machine_icount(m), 3);
    machine_free(m);
}

/* Both pieces of state the progress guarantee and power-off add travel in snapshots: a loop
 * restored half way stops at the same instruction as the straight run, and a machine saved
 * after the guest powered it off stays off when restored. */
static const uint32_t system_off_code[] = {
    0xd2800100, /* mov  x0, #8 */
    0xf2b08000, /* movk x0, #0x8400, lsl #16   (PSCI SYSTEM_OFF) */
    0xd4000002, /* hvc  #0 */
    0x14000000, /* b    . */
};

static Machine *restored(Machine *from, const uint32_t *code, size_t size)
{
    GByteArray *b = g_byte_array_new();
    snapshot_encode(from, b);
    Machine *m = code_machine(code, size, 0, 0, NULL);
    char *err = NULL;
    cr_assert_eq(snapshot_decode(m, b->data, b->len, &err), 0, "%s", err ? err : "");
    g_byte_array_free(b, TRUE);
    return m;
}

Test(progress, the_loop_count_and_power_off_are_in_snapshots)
{
    Machine *a = loop_machine(0, 0, NULL);
    cr_assert(machine_run_to(a, LOOP_INSNS + 500));
    Machine *b = restored(a, loop_code, sizeof loop_code);
    cr_assert_eq(machine_run(a), EXIT_GUEST_CRASH);
    cr_assert_eq(machine_run(b), EXIT_GUEST_CRASH, "%s", b->stop_msg);
    cr_assert_eq(machine_icount(b), machine_icount(a), "restored loop stopped at %llu, straight "
                 "at %llu", (unsigned long long)machine_icount(b),
                 (unsigned long long)machine_icount(a));
    machine_free(a);
    machine_free(b);

    Machine *c = code_machine(system_off_code, sizeof system_off_code, 0, 0, NULL);
    cr_assert_eq(machine_run(c), EXIT_OK);
    cr_assert(c->powered_off);
    Machine *d = restored(c, system_off_code, sizeof system_off_code);
    cr_assert(d->powered_off, "the snapshot of a powered-off machine restored a running one");
    cr_assert_eq(machine_run(d), EXIT_OK);
    cr_assert_eq(machine_icount(d), 3, "the restored machine ran on");
    machine_free(c);
    machine_free(d);
}
