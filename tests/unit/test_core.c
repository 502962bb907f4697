/* Machine core: event queue ordering, bus decoding, run loop, branches and system registers. */
#include <criterion/criterion.h>
#include "core/evq.h"
#include "core/bus.h"
#include "cpu/arm64/sysreg.h"
#include "harness.h"
#include "devices/arch_timer.h"

static char order[32];
static int norder;
static void rec(void *opaque, SimTime now)
{
    (void)now;
    order[norder++] = *(const char *)opaque;
}

Test(evq, orders_by_time_priority_then_insertion)
{
    EventQueue q;
    Event e[5];
    static const char names[] = "abcde";
    evq_init(&q);
    norder = 0;
    event_init(&e[0], "a", EVQ_PRIO_TIMER, rec, (void *)&names[0]);
    event_init(&e[1], "b", EVQ_PRIO_DEVICE, rec, (void *)&names[1]);
    event_init(&e[2], "c", EVQ_PRIO_TIMER, rec, (void *)&names[2]);
    event_init(&e[3], "d", EVQ_PRIO_DEVICE, rec, (void *)&names[3]);
    event_init(&e[4], "e", EVQ_PRIO_DEVICE, rec, (void *)&names[4]);
    evq_schedule(&q, &e[0], 100);
    evq_schedule(&q, &e[1], 100);
    evq_schedule(&q, &e[2], 50);
    evq_schedule(&q, &e[3], 100);
    evq_schedule(&q, &e[4], 10);
    evq_cancel(&q, &e[4]);
    cr_assert(!event_pending(&e[4]));
    cr_assert_eq(evq_next_time(&q), 50);
    cr_assert_eq(evq_run_due(&q, 99), 1);
    cr_assert_eq(evq_run_due(&q, 100), 3);
    order[norder] = 0;
    cr_assert_str_eq(order, "cbda");
    cr_assert_eq(evq_next_time(&q), SIMTIME_NEVER);
}

Test(evq, reschedule_moves_event)
{
    EventQueue q;
    Event e[3];
    static const char names[] = "xyz";
    evq_init(&q);
    norder = 0;
    for (int i = 0; i < 3; i++)
        event_init(&e[i], "e", 0, rec, (void *)&names[i]);
    evq_schedule(&q, &e[0], 30);
    evq_schedule(&q, &e[1], 20);
    evq_schedule(&q, &e[2], 10);
    evq_schedule(&q, &e[2], 40);
    evq_run_due(&q, 1000);
    order[norder] = 0;
    cr_assert_str_eq(order, "yxz");
}

static uint64_t mmio_last_off;
static uint64_t mmio_read(void *o, uint64_t off, unsigned size) { (void)o; (void)size; return off * 2; }
static void mmio_write(void *o, uint64_t off, uint64_t v, unsigned size) { (void)o; (void)size; mmio_last_off = off + v; }
static const MmioOps ops = { mmio_read, mmio_write };

Test(bus, decodes_ram_and_mmio_and_rejects_overlap)
{
    Bus b = { 0 };
    uint8_t ram[8192] = { 0 };
    cr_assert_eq(bus_add_ram(&b, "ram", 0x1000, sizeof ram, ram, false), 0);
    cr_assert_eq(bus_add_mmio(&b, "dev", 0x9000, 0x100, &ops, NULL), 0);
    cr_assert_eq(bus_add_mmio(&b, "bad", 0x2000, 0x10, &ops, NULL), -1);
    uint64_t v;
    cr_assert(bus_write(&b, 0x1ffe, 4, 0xdeadbeef));
    cr_assert_eq(ram[0xffe], 0xef);
    cr_assert(bus_read(&b, 0x1ffe, 2, &v));
    cr_assert_eq(v, 0xbeef);
    cr_assert(bus_read(&b, 0x9010, 4, &v));
    cr_assert_eq(v, 0x20);
    cr_assert(bus_write(&b, 0x9004, 4, 7));
    cr_assert_eq(mmio_last_off, 11);
    cr_assert(!bus_read(&b, 0x8000, 4, &v));
    cr_assert(!bus_read(&b, 0x2ffe, 4, &v), "access running off the end of RAM");
    cr_assert_null(bus_ram_ptr(&b, 0x2ff0, 0x20));
}

/* B.cond / CBZ / TBNZ / BL / RET loops, with MOVZ/ADD from the data-processing group */
Test(branch, loop_counts_down_and_calls)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0xd2800140, /* mov x0, #10        */
        0xd2800001, /* mov x1, #0         */
        0x94000006, /* bl  +24 (func)     */
        0xf1000400, /* subs x0, x0, #1    */
        0x54ffffc1, /* b.ne -8            */
        0xb4000040, /* cbz x0, +8         */
        0xd503201f, /* nop (skipped)      */
        0x14000003, /* b +12 -> end       */
        0x91000421, /* func: add x1, x1, #1 */
        0xd65f03c0, /* ret                */
        0x37000041, /* end: tbnz w1, #0, +8 (bit0 of 10 is 0 -> not taken) */
        0xd2800542, /* mov x2, #42        */
    };
    /* 2 + 10 * (bl, add, ret, subs, b.ne) + cbz + b + tbnz + mov = 56 */
    cr_assert_eq(th_run_steps(t, code, 12, 56), 0);
    cr_assert_eq(t->c->x[0], 0);
    cr_assert_eq(t->c->x[1], 10);
    cr_assert_eq(t->c->x[2], 42);
    cr_assert_eq(t->c->pc, TH_RAM_BASE + 12 * 4);
    cr_assert_eq(machine_icount(t->m), 56);
    th_free(t);
}

Test(sys, mrs_msr_and_unknown_register_stops)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0xd5384240, /* mrs x0, currentel  */
        0xd2a00021, /* mov x1, #0x10000   */
        0xd518d081, /* msr tpidr_el1, x1  */
        0xd538d082, /* mrs x2, tpidr_el1  */
        0xd53b4203, /* mrs x3, nzcv       */
        0xd5380004, /* mrs x4, midr_el1   */
    };
    t->c->nf = 1;
    t->c->cf = 1;
    cr_assert_eq(th_run(t, code, 6), 0);
    cr_assert_eq(t->c->x[0], 1 << 2);
    cr_assert_eq(t->c->x[2], 0x10000);
    cr_assert_eq(t->c->x[3], 0xa0000000);
    cr_assert_eq(t->c->x[4], 0x411fd070);
    /* an IMPLEMENTATION DEFINED register no model has, an EL3 register (SCR_EL3), an
     * unallocated encoding: UNDEFINED for the guest, not the end of the run */
    static const uint32_t bad[] = { 0xd53ff000 /* mrs x0, s3_7_c15_c0_0 */ };
    cr_assert(th_undefined(t, bad, 1));
    static const uint32_t scr[] = { 0xd53e1100 /* mrs x0, scr_el3 */ };
    cr_assert(th_undefined(t, scr, 1));
    static const uint32_t unalloc[] = { 0xd5384f00 /* mrs x0, s3_0_c4_c15_0 */ };
    cr_assert(th_undefined(t, unalloc, 1));
    th_free(t);
}

/* The rest of the ID space reads as zero (ID_AA64ISAR2_EL1, a reserved ID encoding); writes
 * to it and EL0 reads are UNDEFINED. */
Test(sys, id_space_reads_as_zero)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0xd5380640, /* mrs x0, id_aa64isar2_el1 */
        0xd53807e1, /* mrs x1, s3_0_c0_c7_7 */
        0xd5380402, /* mrs x2, id_aa64pfr0_el1 */
        0xd5380603, /* mrs x3, id_aa64isar0_el1 */
        0xd5380724, /* mrs x4, id_aa64mmfr1_el1 */
    };
    t->c->x[0] = t->c->x[1] = 0xdead;
    cr_assert_eq(th_run(t, code, 5), 0);
    cr_assert_eq(t->c->x[0], 0);
    cr_assert_eq(t->c->x[1], 0);
    cr_assert_eq(t->c->x[2] & 0xfff, 0x011, "EL0/EL1 AArch64, no EL2 without virtualization");
    cr_assert_eq(t->c->x[3], 0x11120, "cortex-a57: AES+PMULL, SHA1, SHA2, CRC32, no LSE");
    cr_assert_eq(t->c->x[4], 0, "cortex-a57: no LOR, PAN or VHE");
    static const uint32_t wr[] = { 0xd51807e0 /* msr s3_0_c0_c7_7, x0 */ };
    cr_assert(th_undefined(t, wr, 1));
    th_free(t);
}

/* Each model has what it advertises: LSE, RCpc, SB and the LOR registers on max, UNDEFINED
 * on cortex-a57. */
Test(sys, features_follow_the_model)
{
    static const uint32_t ldadd[] = { 0xf8200020 /* ldadd x0, x0, [x1] */ };
    static const uint32_t ldapr[] = { 0xf8bfc020 /* ldapr x0, [x1] */ };
    static const uint32_t sb[] = { 0xd50330ff /* sb */ };
    static const uint32_t lorc[] = { 0xd518a460 /* msr lorc_el1, x0 */ };
    const uint32_t *progs[] = { ldadd, ldapr, sb, lorc };
    for (size_t i = 0; i < 4; i++) {
        TH *t = th_new();
        t->c->x[1] = TH_RAM_BASE + 0x8000;
        cr_assert(th_undefined(t, progs[i], 1), "cortex-a57, program %zu", i);
        th_free(t);
        t = th_new_model("max");
        t->c->x[1] = TH_RAM_BASE + 0x8000;
        t->c->x[0] = 1;
        cr_assert_eq(th_run(t, progs[i], 1), 0, "max, program %zu", i);
        cr_assert_eq(t->c->el, 1);
        cr_assert_eq(t->c->pc, TH_RAM_BASE + 4, "max, program %zu", i);
        th_free(t);
    }
}

/* BRK is a Breakpoint Instruction exception (EC 0x3C, ISS = imm16) to EL1. */
Test(sys, brk_is_an_exception)
{
    TH *t = th_new();
    static const uint32_t code[] = { 0xd4200000 | (0x800 << 5) /* brk #0x800 */ };
    t->c->sys[A64_SYS_VBAR_EL1] = TH_RAM_BASE + 0x10000;
    cr_assert_eq(th_run(t, code, 1), 0);
    cr_assert_eq(t->c->sys[A64_SYS_ESR_EL1], (0x3cULL << 26) | (1u << 25) | 0x800);
    cr_assert_eq(t->c->sys[A64_SYS_ELR_EL1], TH_RAM_BASE);
    cr_assert_eq(t->c->pc, TH_RAM_BASE + 0x10000 + 0x200);
    th_free(t);
}

/* EL2 registers: storage with the RES0 bits of VBAR_EL2 kept clear, the virtual counter offset
 * by CNTVOFF_EL2 (D11.1.2), and no access from EL1. */
Test(sys, el2_registers_and_virtual_counter_offset)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0xd51cc001, /* msr vbar_el2, x1    */
        0xd53cc002, /* mrs x2, vbar_el2    */
        0xd51ce063, /* msr cntvoff_el2, x3 */
        0xd53be024, /* mrs x4, cntpct_el0  */
        0xd53be045, /* mrs x5, cntvct_el0  */
    };
    a64_set_el(t->c, 2);
    t->c->x[1] = 0x40001fffULL;
    t->c->x[3] = 7;
    cr_assert_eq(th_run(t, code, 5), 0);
    cr_assert_eq(t->c->x[2], 0x40001800ULL);
    cr_assert_eq(t->c->x[4] - t->c->x[5], 7, "cntpct %llu cntvct %llu",
                 (unsigned long long)t->c->x[4], (unsigned long long)t->c->x[5]);
    a64_set_el(t->c, 1);
    t->c->sys[A64_SYS_VBAR_EL1] = TH_RAM_BASE + 0x1000;
    static const uint32_t from_el1[] = { 0xd53c1106 /* mrs x6, hcr_el2 */ };
    cr_assert_eq(th_run(t, from_el1, 1), 0);
    cr_assert_eq(t->c->sys[A64_SYS_ESR_EL1], 0x02000000, "UNDEFINED at EL1");
    cr_assert_eq(t->c->sys[A64_SYS_ELR_EL1], TH_RAM_BASE);
    cr_assert_eq(t->c->pc, TH_RAM_BASE + 0x1200);
    th_free(t);
}

/* FEAT_VHE (Arm ARM D5.6): *_EL12 names are UNDEFINED at EL2 unless HCR_EL2.E2H; with E2H
 * they reach the EL1 registers while EL1 names reach EL2's; CNTVCT_EL0 read at EL2 with E2H
 * has no CNTVOFF_EL2 applied (CNTVCT_EL0 accessibility pseudocode; QEMU 7.2 applies it). */
Test(sys, vhe_aliases_redirection_and_host_virtual_count)
{
    TH *t = th_new();
    t->c->has_el2 = t->c->has_vhe = 1;
    a64_set_el(t->c, 2);
    t->c->sys[A64_SYS_VBAR_EL2] = TH_RAM_BASE + 0x2000;
    static const uint32_t el12[] = { 0xd53d1000 /* mrs x0, sctlr_el12 */ };
    cr_assert_eq(th_run(t, el12, 1), 0);
    cr_assert_eq(t->c->sys[A64_SYS_ESR_EL2] >> 26, 0, "UNDEFINED without E2H");
    cr_assert_eq(t->c->pc, TH_RAM_BASE + 0x2200);
    t->c->sys[A64_SYS_HCR_EL2] = A64_HCR_E2H | A64_HCR_TGE;
    t->c->sys[A64_SYS_SCTLR_EL1] = 0x1111;
    t->c->sys[A64_SYS_SCTLR_EL2] = 0x2222;
    static const uint32_t code[] = {
        0xd53d1000, /* mrs x0, sctlr_el12 */
        0xd5381001, /* mrs x1, sctlr_el1 (-> SCTLR_EL2) */
        0xd51ce063, /* msr cntvoff_el2, x3 */
        0xd53be024, /* mrs x4, cntpct_el0 */
        0xd53be045, /* mrs x5, cntvct_el0 */
    };
    t->c->x[3] = 1000;
    cr_assert_eq(th_run(t, code, 5), 0);
    cr_assert_eq(t->c->x[0], 0x1111);
    cr_assert_eq(t->c->x[1], 0x2222);
    cr_assert_eq(t->c->x[4], t->c->x[5], "no virtual offset in the host");
    th_free(t);
}

/* PMUv3 (D13): BR_RETIRED counts each branch exactly; INST_RETIRED counts from the enabling
 * PMCR_EL0 write to the instruction before the read; overflow sets PMOVSSET. */
Test(pmu, exact_branch_and_instruction_counts)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0xd51bec02, /* msr pmevtyper0_el0, x2: BR_RETIRED */
        0xd51bec23, /* msr pmevtyper1_el0, x3: INST_RETIRED */
        0xd5189e24, /* msr pmintenset_el1, x4 */
        0xd51be826, /* msr pmevcntr1_el0, x6 */
        0xd51b9c28, /* msr pmcntenset_el0, x8 */
        0xd51b9c05, /* msr pmcr_el0, x5 */
        0x14000001, /* b .+4 */
        0x14000001, /* b .+4 */
        0x14000001, /* b .+4 */
        0x14000001, /* b .+4 */
        0x14000001, /* b .+4 */
        0xd53be800, /* mrs x0, pmevcntr0_el0 */
        0xd53be821, /* mrs x1, pmevcntr1_el0 */
        0xd53b9e67, /* mrs x7, pmovsset_el0 */
    };
    t->c->x[2] = 0x21;
    t->c->x[3] = 0x08;
    t->c->x[4] = 2;                      /* overflow interrupt for counter 1 */
    t->c->x[6] = 0xfffffffcULL;          /* counter 1 overflows after 4 */
    t->c->x[8] = 3;
    t->c->x[5] = 1;                      /* PMCR_EL0.E */
    cr_assert_eq(th_run(t, code, 14), 0);
    cr_assert_eq(t->c->x[0], 5, "BR_RETIRED %llu", (unsigned long long)t->c->x[0]);
    /* PMCR write, 5 branches, 1st MRS: 7 instructions; preset 0xfffffffc -> wrapped to 3 */
    cr_assert_eq(t->c->x[1], 3, "INST_RETIRED %llu", (unsigned long long)t->c->x[1]);
    cr_assert_eq(t->c->x[7] & 2, 2, "PMOVSSET %llx", (unsigned long long)t->c->x[7]);
    th_free(t);
}

/* A timer programmed mid-slice fires at its exact simulated time, not at the slice end: the
 * core stops its budget at the new event (1 GHz core, 62.5 MHz counter: 10 ticks = 160
 * instructions after the write at instruction 0). */
Test(core, timer_programmed_mid_slice_interrupts_on_time)
{
    TH *t = th_new();
    static uint32_t code[1200];
    code[0] = 0xd51be201;                /* msr cntp_tval_el0, x1 */
    code[1] = 0xd51be222;                /* msr cntp_ctl_el0, x2 */
    for (int i = 2; i < 1200; i++)
        code[i] = 0xd503201f;            /* nop */
    arch_timer_connect(t->c->timers, ATIMER_PHYS, (IrqLine){ a64_cpu_set_line, t->c, A64_LINE_IRQ });
    t->c->sys[A64_SYS_VBAR_EL1] = TH_RAM_BASE + 0x2000;
    static const uint32_t spin = 0x14000000;   /* b . at the IRQ vector */
    memcpy(th_ram(t, TH_RAM_BASE + 0x2280), &spin, 4);
    t->c->x[1] = 10;
    t->c->x[2] = 1;
    t->c->daif = 0;
    cr_assert_eq(th_run_steps(t, code, 1200, 1000), 0);
    cr_assert_eq(t->c->sys[A64_SYS_ELR_EL1], TH_RAM_BASE + 160 * 4, "IRQ at insn %llu",
                 (unsigned long long)((t->c->sys[A64_SYS_ELR_EL1] - TH_RAM_BASE) / 4));
    th_free(t);
}

Test(sys, unallocated_stops_with_pc_encoding_and_disassembly)
{
    TH *t = th_new();
    /* dcps1: hvsim models no Debug state (with FP and AdvSIMD in, it is one of the few
     * encodings Capstone knows that no table claims) */
    static const uint32_t code[] = { 0xd503201f, 0xd4a00001 };
    cr_assert_eq(th_run(t, code, 2), EXIT_UNIMPLEMENTED);
    cr_assert(strstr(t->m->stop_msg, "PC 0x40000004") != NULL, "%s", t->m->stop_msg);
    cr_assert(strstr(t->m->stop_msg, "d4a00001") != NULL, "%s", t->m->stop_msg);
    cr_assert(strstr(t->m->stop_msg, "dcps1") != NULL, "%s", t->m->stop_msg);
    cr_assert_eq(machine_icount(t->m), 1);
    th_free(t);
}

/* An unallocated encoding (UDF) is the Undefined Instruction exception (D1.3.1): EC 0, IL 1,
 * ELR = the instruction, taken to VBAR_EL1 + 0x200 (current EL, SP_ELx), PSTATE masked. */
Test(exc, udf_takes_undefined_instruction_exception)
{
    TH *t = th_new();
    static const uint32_t code[] = { 0xd503201f, 0x00000000 /* udf #0 */ };
    t->c->sys[A64_SYS_VBAR_EL1] = TH_RAM_BASE + 0x1000;
    t->c->daif = 0;
    t->c->nf = 1;
    cr_assert_eq(th_run(t, code, 2), 0);
    cr_assert_eq(t->c->pc, TH_RAM_BASE + 0x1200);
    cr_assert_eq(t->c->sys[A64_SYS_ESR_EL1], 0x02000000);
    cr_assert_eq(t->c->sys[A64_SYS_ELR_EL1], TH_RAM_BASE + 4);
    cr_assert_eq(t->c->sys[A64_SYS_SPSR_EL1], 0x80000005);   /* N, EL1h, DAIF clear */
    cr_assert_eq(t->c->daif, 0xf);
    cr_assert_eq(t->c->el, 1);
    th_free(t);
}

/* SVC at EL0 goes to the lower-EL vector of EL1 with ISS = imm16 and ELR = next instruction;
 * ERET returns to EL0 with SP_EL0 restored. */
Test(exc, svc_from_el0_and_eret_back)
{
    TH *t = th_new();
    static const uint32_t code[] = {
        0xd4000541, /* svc #0x2a */
        0xd503201f, /* nop */
    };
    t->c->sys[A64_SYS_VBAR_EL1] = TH_RAM_BASE + 0x1000;
    a64_select_sp(t->c, 0);
    a64_set_el(t->c, 0);
    t->c->x[A64_SP] = 0x1230;            /* SP_EL0 */
    t->c->sp_el[1] = 0x4560;             /* SP_EL1, banked */
    t->c->daif = 0;
    cr_assert_eq(th_run(t, code, 1), 0);
    cr_assert_eq(t->c->pc, TH_RAM_BASE + 0x1400);
    cr_assert_eq(t->c->sys[A64_SYS_ESR_EL1], (0x15u << 26) | (1u << 25) | 0x2a);
    cr_assert_eq(t->c->sys[A64_SYS_ELR_EL1], TH_RAM_BASE + 4);
    cr_assert_eq(t->c->sys[A64_SYS_SPSR_EL1], 0);
    cr_assert_eq(t->c->el, 1);
    cr_assert_eq(t->c->x[A64_SP], 0x4560);
    cr_assert_eq(machine_icount(t->m), 1, "SVC retires");
    /* ERET (at the vector) back to EL0 */
    static const uint32_t eret[] = { 0xd69f03e0 };
    memcpy(th_ram(t, TH_RAM_BASE + 0x1400), eret, 4);
    t->m->cfg.max_insns = machine_icount(t->m) + 1;
    t->m->stop = false;
    cr_assert_eq(machine_run(t->m), 0);
    cr_assert_eq(t->c->el, 0);
    cr_assert_eq(t->c->pc, TH_RAM_BASE + 4);
    cr_assert_eq(t->c->x[A64_SP], 0x1230);
    th_free(t);
}

/* Interrupt inputs: a physical IRQ is taken at EL1 only when PSTATE.I is clear; a WFI core
 * wakes for a pending IRQ even while it is masked. */
Test(exc, irq_line_masking_and_wfi_wakeup)
{
    TH *t = th_new();
    static const uint32_t code[] = { 0xd503207f /* wfi */, 0xd503201f, 0xd503201f, 0xd503201f };
    t->c->sys[A64_SYS_VBAR_EL1] = TH_RAM_BASE + 0x1000;
    t->c->daif = 0x2;                    /* IRQ masked */
    cr_assert_eq(th_run_steps(t, code, 4, 1), 0);
    cr_assert(t->c->halted);
    a64_cpu_set_line(t->c, A64_LINE_IRQ, 1);
    t->m->cfg.max_insns = machine_icount(t->m) + 2;
    t->m->stop = false;
    cr_assert_eq(machine_run(t->m), 0);
    cr_assert_eq(t->c->pc, TH_RAM_BASE + 12, "woke and ran on while masked: pc %llx",
                 (unsigned long long)t->c->pc);
    t->c->daif = 0;
    static const uint32_t nop = 0xd503201f;
    memcpy(th_ram(t, TH_RAM_BASE + 0x1280), &nop, 4);
    t->m->cfg.max_insns = machine_icount(t->m) + 1;
    t->m->stop = false;
    cr_assert_eq(machine_run(t->m), 0);
    cr_assert_eq(t->c->sys[A64_SYS_ELR_EL1], TH_RAM_BASE + 12);
    cr_assert_eq(t->c->pc, TH_RAM_BASE + 0x1280 + 4, "IRQ vector (current EL, SPx) then one insn");
    th_free(t);
}

Test(core, self_modifying_code_is_seen)
{
    TH *t = th_new();
    /* Overwrite the instruction at +12 (mov x0,#1) with mov x0,#2 before executing it. */
    static const uint32_t code[] = {
        0x58000081, /* ldr x1, +16 (literal: new insn word + padding) */
        0x10000042, /* adr x2, +8 */
        0xb9000041, /* str w1, [x2] */
        0xd2800020, /* mov x0, #1  (patched) */
        0xd2800040, /* literal: mov x0, #2 */
        0x00000000,
    };
    cr_assert_eq(th_run_steps(t, code, 6, 4), 0);
    cr_assert_eq(t->c->x[0], 2, "x0 = %llu", (unsigned long long)t->c->x[0]);
    th_free(t);
}

Test(core, wfi_with_nothing_pending_reports_hang)
{
    TH *t = th_new();
    static const uint32_t code[] = { 0xd503207f /* wfi */ };
    cr_assert_eq(th_run_steps(t, code, 1, 100), EXIT_GUEST_CRASH);
    cr_assert(strstr(t->m->stop_msg, "halted") != NULL);
    th_free(t);
}

Test(core, counter_follows_simulated_time)
{
    TH *t = th_new();
    /* 1 GHz core, 62.5 MHz counter: 16 instructions per tick */
    static uint32_t code[1601];
    for (int i = 0; i < 1600; i++)
        code[i] = 0xd503201f;   /* nop */
    code[1600] = 0xd53be020;    /* mrs x0, cntpct_el0 */
    cr_assert_eq(th_run(t, code, 1601), 0);
    cr_assert_eq(t->c->x[0], 100);
    th_free(t);
}

/* Global monitor (Arm ARM B2.9): another core's store to the marked granule makes this
 * core's store-exclusive fail; without it, it succeeds. One-instruction slices interleave
 * the two cores deterministically. */
Test(core, other_core_store_clears_exclusive_monitor)
{
    TH *t = th_new();
    Arm64Cpu *c1 = a64_cpu_new(t->m, 1);
    machine_add_cpu(t->m, c1, &a64_cpu_class);
    t->m->cfg.quantum = 1;
    static const uint32_t core0[] = {
        0xc85f7c01, /* ldxr x1, [x0]      */
        0xd503201f, 0xd503201f,
        0xc8027c03, /* stxr w2, x3, [x0]  -> fails: core 1 stored in between */
        0xc85f7c01, /* ldxr x1, [x0]      */
        0xd503201f, 0xd503201f,
        0xc8057c03, /* stxr w5, x3, [x0]  -> succeeds */
    };
    static const uint32_t core1[] = {
        0xd503201f,
        0xf9000004, /* str x4, [x0] */
        0xd503201f, 0xd503201f, 0xd503201f, 0xd503201f, 0xd503201f, 0xd503201f,
    };
    memcpy(th_ram(t, TH_RAM_BASE + 0x1000), core1, sizeof core1);
    a64_cpu_reset(c1, TH_RAM_BASE + 0x1000, 1);
    uint64_t data = TH_RAM_BASE + 0x2000;
    t->c->x[0] = data;
    t->c->x[3] = 0x3333;
    t->c->x[2] = t->c->x[5] = 77;
    c1->x[0] = data;
    c1->x[4] = 0x4444;
    cr_assert_eq(th_run_steps(t, core0, 8, 16), 0);
    cr_assert_eq(t->c->x[2], 1, "first store-exclusive must fail");
    cr_assert_eq(t->c->x[1], 0x4444, "second load-exclusive sees core 1's store");
    cr_assert_eq(t->c->x[5], 0, "second store-exclusive must succeed");
    uint64_t v;
    memcpy(&v, th_ram(t, data), 8);
    cr_assert_eq(v, 0x3333);
    cr_assert_eq(t->m->cpus[1].icount, 8);
    th_free(t);
}

static void run_hash(uint64_t quantum, char out[65])
{
    TH *t = th_new();
    t->m->cfg.quantum = quantum;
    static const uint32_t code[] = {
        0xd2800140, 0xd2800001, 0x94000006, 0xf1000400, 0x54ffffc1, 0xb4000040,
        0xd503201f, 0x14000003, 0x91000421, 0xd65f03c0, 0x37000041, 0xd2800542,
    };
    cr_assert_eq(th_run_steps(t, code, 12, 56), 0);
    machine_state_hash(t->m, out);
    th_free(t);
}

Test(core, state_hash_is_repeatable_and_sensitive)
{
    char a[65], b[65], c[65];
    run_hash(10000, a);
    run_hash(10000, b);
    cr_assert_str_eq(a, b);
    cr_assert_eq(strlen(a), 64);
    TH *t = th_new();
    machine_state_hash(t->m, c);
    cr_assert_str_neq(a, c);
    t->c->x[7] = 1;
    char d[65];
    machine_state_hash(t->m, d);
    cr_assert_str_neq(c, d, "a register change must change the hash");
    th_free(t);
}

/* One system-register space: the core's table and the blocks' (PMU, GIC CPU interface) have
 * unique names and encodings, and each name finds its own entry. */
Test(sys, one_register_space_unique)
{
    size_t n = a64_sysreg_count();
    cr_assert_gt(n, 200);
    for (size_t i = 0; i < n; i++) {
        const A64SysReg *r = a64_sysreg_at(i);
        cr_assert_eq(a64_sysreg_by_name(r->name), r, "%s", r->name);
        if (r->feat != A64_FEAT_E2H_ALIAS)
            cr_assert_eq(a64_sysreg_find(r->key), r, "%s: encoding shared", r->name);
        for (size_t j = i + 1; j < n; j++)
            cr_assert(a64_sysreg_at(j)->key != r->key, "%s and %s share an encoding", r->name,
                      a64_sysreg_at(j)->name);
    }
    cr_assert_not_null(a64_sysreg_by_name("PMCR_EL0")->block);
    cr_assert_not_null(a64_sysreg_by_name("ICH_LR3_EL2")->block);
    cr_assert_null(a64_sysreg_by_name("SCTLR_EL1")->block);
}
