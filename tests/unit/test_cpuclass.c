/* The CPU class contract (suite cpuclass, core/machine.h CpuClass): what the debugger, the
 * GDB stub and the console call without knowing the architecture. Every class must fill
 * every member they use; register access by number must agree with the class's own view
 * (its PC, its register set); and the debugger's generic paths (`set` by GDB name and alias,
 * 128-bit registers in parts, read-only registers refused, `info` topics of the class and of
 * devices) act on the real core. */
#include <criterion/criterion.h>
#include <string.h>
#include "cpu/arm64/regs.h"
#include "cpu/x86_64/cpu.h"
#include "cpu/x86_64/regs.h"
#include "debug/debugger.h"
#include "tests/unit/harness.h"

/* Every member a front end calls is there, and the register set names a PC. */
static void check_class(const CpuClass *cls)
{
    cr_assert(cls->arch && cls->run && cls->idle && cls->off && cls->hash && cls->desc);
    cr_assert(cls->debug_translate && cls->disas && cls->tlb_dump && cls->explain_translation);
    cr_assert(cls->max_insn_bytes > 0);
    cr_assert(cls->regs && cls->reg_get && cls->reg_put && cls->reg_part);
    cr_assert(cls->pc && cls->level && cls->level_prefix && cls->syndrome_name);
    cr_assert(cls->info_topics && cls->info_topics[0].name && cls->flush_tlb);
    cr_assert(cpuregs_g_bytes(cls->regs) > 0);
    bool has_pc = false;
    for (size_t f = 0; f < cls->regs->nfeatures; f++)
        for (size_t i = 0; i < cls->regs->features[f].nregs; i++)
            has_pc |= !strcmp(cls->regs->features[f].regs[i].type, "code_ptr");
    cr_assert(has_pc, "the GDB stub sets the PC through the register of type code_ptr");
}

Test(cpuclass, aarch64_complete)
{
    check_class(&a64_cpu_class);
}

Test(cpuclass, aarch64_registers_by_number)
{
    TH *t = th_new();
    const CpuClass *cls = &a64_cpu_class;
    t->c->x[7] = 0x1234;
    t->c->pc = 0x40001000;
    t->c->v[3].d[0] = 0x1111;
    t->c->v[3].d[1] = 0x2222;
    uint64_t v;
    cr_assert(cls->reg_get(t->c, cpuregs_find_name(cls->regs, "x7")->regnum, &v) && v == 0x1234);
    cr_assert(cls->reg_get(t->c, cpuregs_find_name(cls->regs, "pc")->regnum, &v));
    cr_assert_eq(v, cls->pc(t->c));
    unsigned v3 = cpuregs_find_name(cls->regs, "v3")->regnum;
    cr_assert(!cls->reg_get(t->c, v3, &v), "a 128-bit register is read by its parts");
    cr_assert(cls->reg_get(t->c, cls->reg_part(v3, 1), &v) && v == 0x2222);
    cr_assert(cls->reg_put(t->c, cls->reg_part(v3, 0), 0x3333) && t->c->v[3].d[0] == 0x3333);
    unsigned hcr = cpuregs_find_name(cls->regs, "HCR_EL2")->regnum;
    cr_assert(cls->reg_get(t->c, hcr, &v));
    cr_assert(!cls->reg_put(t->c, hcr, 1), "system registers are read-only to the debugger");
    cr_assert(!cls->reg_get(t->c, 9999, &v));
    th_free(t);
}

static bool run(Debugger *d, const char *line, GString *out)
{
    bool failed = false;
    g_string_truncate(out, 0);
    dbg_command(d, line, out, &failed);
    return !failed;
}

Test(cpuclass, debugger_set_and_info)
{
    TH *t = th_new();
    Debugger *d = dbg_new(t->m);
    GString *out = g_string_new("");
    cr_assert(run(d, "set x5 0x77", out) && t->c->x[5] == 0x77, "%s", out->str);
    cr_assert(run(d, "set v2 0x00000000000000050000000000000006", out), "%s", out->str);
    cr_assert(t->c->v[2].d[0] == 6 && t->c->v[2].d[1] == 5);
    cr_assert(run(d, "set nzcv 0x60000000", out), "%s", out->str);
    cr_assert(t->c->zf && t->c->cf && !t->c->nf && !t->c->vf, "the alias writes cpsr's flags");
    cr_assert(!run(d, "set HCR_EL2 1", out), "a read-only register is refused");
    cr_assert(strstr(out->str, "cannot be written"), "%s", out->str);
    cr_assert(!run(d, "set nosuchreg 1", out));
    cr_assert(run(d, "info registers", out) && strstr(out->str, "x5  0x0000000000000077"), "%s", out->str);
    cr_assert(run(d, "info vregs v2", out) && strstr(out->str, "v2 "), "%s", out->str);
    cr_assert(!run(d, "info vregs v40", out));
    cr_assert(!run(d, "info nosuchtopic", out));
    g_string_free(out, TRUE);
    dbg_free(d);
    th_free(t);
}

Test(cpuclass, x86_64_complete)
{
    check_class(&x86_cpu_class);
}

/* The x86 core's registers by GDB's numbers: GDB's order of the general registers differs
 * from the encoding order; wide registers (st, xmm) go by parts; selectors are read-only;
 * the flags a debugger may not change stay. */
Test(cpuclass, x86_64_registers_by_number)
{
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    cfg.ram_size = 16ULL << 20;
    char *err = NULL;
    Machine *m = machine_new(&cfg, 0, &err);
    cr_assert(m, "%s", err);
    X86Cpu *c = x86_cpu_new(m, 0);
    machine_add_cpu(m, c, &x86_cpu_class);
    const CpuClass *cls = &x86_cpu_class;
    c->gpr[X86_RBX] = 0xb;
    c->gpr[X86_RSP] = 0x5b;
    c->xmm[7][1] = 0x77;
    uint64_t v;
    cr_assert(cls->reg_get(c, cpuregs_find_name(cls->regs, "rbx")->regnum, &v) && v == 0xb);
    cr_assert(cls->reg_get(c, cpuregs_find_name(cls->regs, "rsp")->regnum, &v) && v == 0x5b);
    cr_assert(cls->reg_get(c, cpuregs_find_name(cls->regs, "rip")->regnum, &v));
    cr_assert_eq(v, cls->pc(c));
    unsigned x7 = cpuregs_find_name(cls->regs, "xmm7")->regnum;
    cr_assert(cls->reg_get(c, cls->reg_part(x7, 1), &v) && v == 0x77);
    cr_assert(!cls->reg_put(c, cpuregs_find_name(cls->regs, "cs")->regnum, 0x10),
              "selectors are loaded by the guest, not written by the debugger");
    unsigned fl = cpuregs_find_name(cls->regs, "eflags")->regnum;
    uint64_t vm_before = c->rflags & X86_VM;
    cr_assert(cls->reg_put(c, fl, X86_CF | X86_VM));
    cr_assert(c->rflags & X86_CF);
    cr_assert_eq(c->rflags & X86_VM, vm_before, "VM is not the debugger's to change");
    cr_assert(c->rflags & 2, "bit 1 stays set");
    cr_assert_eq(cpuregs_g_bytes(cls->regs), 16 * 8 + 8 + 4 + 6 * 4 + 8 * 10 + 8 * 4 + 16 * 16 + 4,
                 "the 'g' packet of GDB's amd64 description (560 bytes)");
    machine_free(m);
    machine_config_free(&cfg);
}
