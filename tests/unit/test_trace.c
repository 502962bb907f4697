/* Instruction trace lines (suite trace): `-d exec` / `-d in_asm` name the core, EL, the VMID
 * under stage 2, the PC with its symbol, the encoding and Capstone's disassembly. The core
 * writes to the machine's trace FILE, here a memory stream. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include "harness.h"
#include "cpu/arm64/sysreg.h"
#include "debug/symbols.h"
#include "hypervisor-model/vmexit.h"

static const uint32_t code[] = {
    0xd503201f,   /* nop */
    0x91000400,   /* add x0, x0, #1 */
    0xd2800541,   /* movz x1, #0x2a (Capstone prints no alias) */
};
#define NCODE (sizeof code / sizeof code[0])

typedef struct Trace {
    TH *t;
    char *buf;
    size_t len;
} Trace;

static void trace_open(Trace *tr, uint32_t mask)
{
    tr->t = th_new();
    tr->buf = NULL;
    tr->len = 0;
    tr->t->m->trace = open_memstream(&tr->buf, &tr->len);
    cr_assert_not_null(tr->t->m->trace);
    a64_set_trace_mask(tr->t->m, mask);
}

/* Runs the code and returns everything traced (owned by tr). */
static const char *trace_run(Trace *tr)
{
    cr_assert_eq(th_run(tr->t, code, NCODE), 0);
    cr_assert_eq(tr->t->c->x[1], 0x2a);     /* the code did run */
    fflush(tr->t->m->trace);
    return tr->buf;
}

static void trace_close(Trace *tr)
{
    fclose(tr->t->m->trace);
    tr->t->m->trace = stderr;
    th_free(tr->t);
    free(tr->buf);
}

Test(trace, exec_plain_el1)
{
    Trace tr;
    trace_open(&tr, TRACE_EXEC);
    cr_assert_str_eq(trace_run(&tr),
                     "EXEC cpu0 EL1 pc=0000000040000000 d503201f  nop\n"
                     "EXEC cpu0 EL1 pc=0000000040000004 91000400  add x0, x0, #1\n"
                     "EXEC cpu0 EL1 pc=0000000040000008 d2800541  movz x1, #0x2a\n");
    trace_close(&tr);
}

Test(trace, in_asm_once_per_decode)
{
    Trace tr;
    trace_open(&tr, TRACE_IN_ASM);
    trace_run(&tr);
    /* the same code again, still decoded: no new IN: lines */
    tr.t->c->pc = TH_RAM_BASE;
    tr.t->m->cfg.max_insns = machine_icount(tr.t->m) + NCODE;
    cr_assert_eq(machine_run(tr.t->m), 0);
    fflush(tr.t->m->trace);
    cr_assert_str_eq(tr.buf,
                     "IN: cpu0 EL1 pc=0000000040000000 d503201f  nop\n"
                     "IN: cpu0 EL1 pc=0000000040000004 91000400  add x0, x0, #1\n"
                     "IN: cpu0 EL1 pc=0000000040000008 d2800541  movz x1, #0x2a\n");
    trace_close(&tr);
}

/* A symbol source covering [RAM, RAM+8) as "entry"; counts its release. */
static int released;
static const char *fake_symbolize(void *opaque, uint64_t addr, uint64_t *off)
{
    cr_assert_eq(opaque, &released);
    if (addr < TH_RAM_BASE || addr >= TH_RAM_BASE + 8)
        return NULL;
    *off = addr - TH_RAM_BASE;
    return "entry";
}
static void fake_release(void *opaque)
{
    (*(int *)opaque)++;
}

Test(trace, exec_with_symbols)
{
    Trace tr;
    trace_open(&tr, TRACE_EXEC | TRACE_IN_ASM);
    released = 0;
    Symbolizer *s = symbolizer_new(fake_symbolize, &released, fake_release);
    a64_set_symbolizer(tr.t->m, s);
    symbolizer_unref(s);
    cr_assert_eq(released, 0);                 /* the core still holds it */
    cr_assert_str_eq(trace_run(&tr),
                     "EXEC cpu0 EL1 pc=0000000040000000 <entry> d503201f  nop\n"
                     "IN: cpu0 EL1 pc=0000000040000000 <entry> d503201f  nop\n"
                     "EXEC cpu0 EL1 pc=0000000040000004 <entry+0x4> 91000400  add x0, x0, #1\n"
                     "IN: cpu0 EL1 pc=0000000040000004 <entry+0x4> 91000400  add x0, x0, #1\n"
                     "EXEC cpu0 EL1 pc=0000000040000008 d2800541  movz x1, #0x2a\n"
                     "IN: cpu0 EL1 pc=0000000040000008 d2800541  movz x1, #0x2a\n");
    trace_close(&tr);
    cr_assert_eq(released, 1);                 /* released with the core, once */
}

Test(trace, symbolizer_replaced_and_removed)
{
    Trace tr;
    trace_open(&tr, TRACE_EXEC);
    released = 0;
    Symbolizer *s = symbolizer_new(fake_symbolize, &released, fake_release);
    a64_set_symbolizer(tr.t->m, s);
    symbolizer_unref(s);
    a64_set_symbolizer(tr.t->m, NULL);
    cr_assert_eq(released, 1);
    cr_assert_str_eq(trace_run(&tr),
                     "EXEC cpu0 EL1 pc=0000000040000000 d503201f  nop\n"
                     "EXEC cpu0 EL1 pc=0000000040000004 91000400  add x0, x0, #1\n"
                     "EXEC cpu0 EL1 pc=0000000040000008 d2800541  movz x1, #0x2a\n");
    trace_close(&tr);
    cr_assert_eq(released, 1);
}

/* Stage 2 on: an identity 1 GiB block for IPA 0x40000000 (4 KiB granule, 32-bit IPA, start
 * at level 1: VTCR_EL2.T0SZ = 32, SL0 = 1), VMID `vmid` in VTTBR_EL2[55:48]. */
static void stage2_on(TH *t, unsigned vmid)
{
    uint64_t root = TH_RAM_BASE + 0x100000;
    /* level-1 block (D8.3): AF, SH inner, S2AP read/write, MemAttr normal WB, block */
    uint64_t block = TH_RAM_BASE | (1ull << 10) | (3ull << 8) | (3ull << 6) | (0xfull << 2) | 1;
    memset(th_ram(t, root), 0, 32);
    memcpy(th_ram(t, root + 8), &block, 8);
    t->c->has_el2 = 1;
    t->c->sys[A64_SYS_VTCR_EL2] = 32 | (1ull << 6);
    t->c->sys[A64_SYS_VTTBR_EL2] = ((uint64_t)vmid << 48) | root;
    t->c->sys[A64_SYS_HCR_EL2] = A64_HCR_VM;
    a64_tlb_flush(t->c);
}

Test(trace, exec_in_vm)
{
    Trace tr;
    trace_open(&tr, TRACE_EXEC);
    stage2_on(tr.t, 2);
    cr_assert_eq(a64_current_vmid(tr.t->c), 2);
    cr_assert_str_eq(trace_run(&tr),
                     "EXEC cpu0 EL1 vm2 pc=0000000040000000 d503201f  nop\n"
                     "EXEC cpu0 EL1 vm2 pc=0000000040000004 91000400  add x0, x0, #1\n"
                     "EXEC cpu0 EL1 vm2 pc=0000000040000008 d2800541  movz x1, #0x2a\n");
    trace_close(&tr);
}

Test(trace, exec_in_vm_with_symbols_and_el2_outside)
{
    Trace tr;
    trace_open(&tr, TRACE_EXEC);
    released = 0;
    Symbolizer *s = symbolizer_new(fake_symbolize, &released, fake_release);
    a64_set_symbolizer(tr.t->m, s);
    symbolizer_unref(s);
    stage2_on(tr.t, 0xab);
    trace_run(&tr);
    /* EL2 itself is not in a VM even with HCR_EL2.VM set */
    a64_cpu_reset(tr.t->c, TH_RAM_BASE, 2);
    tr.t->c->has_el2 = 1;
    tr.t->c->sys[A64_SYS_HCR_EL2] = A64_HCR_VM;
    cr_assert_eq(a64_current_vmid(tr.t->c), -1);
    cr_assert_eq(th_run(tr.t, code, 1), 0);
    fflush(tr.t->m->trace);
    cr_assert_str_eq(tr.buf,
                     "EXEC cpu0 EL1 vm171 pc=0000000040000000 <entry> d503201f  nop\n"
                     "EXEC cpu0 EL1 vm171 pc=0000000040000004 <entry+0x4> 91000400  add x0, x0, #1\n"
                     "EXEC cpu0 EL1 vm171 pc=0000000040000008 d2800541  movz x1, #0x2a\n"
                     "EXEC cpu0 EL2 pc=0000000040000000 <entry> d503201f  nop\n");
    trace_close(&tr);
}

/* `-d vmexit`: an exit leaves stage 2 and its entry is the next return into it. An nVHE
 * hypervisor (KVM on cortex-a57) returns to its host at EL1 with HCR_EL2.VM = 0 first, and the
 * host's own HVC is no exit: the guest's HVC at 0x4 is one exit, entered again at 0x10. */
Test(trace, vmentry_is_the_return_into_stage_2)
{
    Trace tr;
    trace_open(&tr, 0);
    Hvm *h = hvm_new(tr.t->m);
    tr.t->c->hvm = h;
    tr.t->m->cfg.trace_mask = TRACE_VMEXIT;
    hvm_set_trace(h, true);   /* -d vmexit subscribes to the VM exit and entry events */
    stage2_on(tr.t, 5);
    tr.t->c->sys[A64_SYS_VBAR_EL2] = TH_RAM_BASE;
    uint32_t prog[0x400 / 4 + 2] = {
        0xd2800002,   /* EL1 (the guest): movz x2, #0 */
        0xd4000002,   /* hvc #0: exit */
        0xd2800022,   /* EL1 (the host): movz x2, #1 */
        0xd4000002,   /* hvc #0: to EL2, no exit */
        0xd503201f,   /* the guest again: nop */
    };
    prog[0x400 / 4] = 0xd51c1102;       /* EL2, lower-EL sync vector: msr hcr_el2, x2 */
    prog[0x400 / 4 + 1] = 0xd69f03e0;   /* eret */
    cr_assert_eq(th_run_steps(tr.t, prog, sizeof prog / sizeof prog[0], 9), 0);
    cr_assert_eq(tr.t->c->el, 1);
    cr_assert_eq(tr.t->c->pc, TH_RAM_BASE + 0x14);
    fflush(tr.t->m->trace);
    cr_assert_str_eq(tr.buf, "VMEXIT cpu0 vm5 hvc esr=5a000000 pc=0000000040000004 t=1\n"
                             "VMENTRY cpu0 vm5 pc=0000000040000010 after 6 cycles\n");
    tr.t->c->hvm = NULL;
    hvm_free(h);
    trace_close(&tr);
}

/* The ELF path: symbols from a real file, and a clean refusal of a file that is not ELF. */
Test(trace, attach_elf_errors)
{
    TH *t = th_new();
    char *err = NULL;
    cr_assert_not(dbg_symbols_attach_trace(t->m, "/nonexistent/file.elf", &err));
    cr_assert_not_null(err);
    cr_assert(strstr(err, "/nonexistent/file.elf"), "%s", err);
    g_free(err);
    err = NULL;
    cr_assert_not(dbg_symbols_attach_trace(t->m, "/dev/null", &err));
    cr_assert_not_null(err);
    g_free(err);
    cr_assert_null(t->c->symbolizer);
    /* this test program's own symbols: the core names th_new's address */
    cr_assert(dbg_symbols_attach_trace(t->m, "/proc/self/exe", &err), "%s", err);
    DbgSymbols syms = { 0 };
    uint64_t a = 0, off = 1;
    cr_assert(dbg_symbols_load(&syms, "/proc/self/exe", &err), "%s", err);
    cr_assert(dbg_symbol_lookup(&syms, "th_new", &a));
    cr_assert_str_eq(symbolize(t->c->symbolizer, a, &off), "th_new");
    cr_assert_eq(off, 0);
    dbg_symbols_free(&syms);
    th_free(t);                                /* frees the table with the core (ASan) */
}
