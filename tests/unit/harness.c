#include "harness.h"
#include "cpu/arm64/sysreg.h"
#include <criterion/criterion.h>
#include <string.h>

TH *th_new(void)
{
    return th_new_model("cortex-a57");
}

TH *th_new_model(const char *model)
{
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    cfg.ram_size = TH_RAM_SIZE;
    g_free(cfg.cpu_model);
    cfg.cpu_model = g_strdup(model);
    char *err = NULL;
    TH *t = g_new0(TH, 1);
    t->m = machine_new(&cfg, TH_RAM_BASE, &err);
    machine_config_free(&cfg);
    cr_assert_not_null(t->m, "machine_new: %s", err ? err : "?");
    t->m->out = stdout;
    t->c = a64_cpu_new(t->m, 0);
    machine_add_cpu(t->m, t->c, &a64_cpu_class);
    a64_cpu_reset(t->c, TH_RAM_BASE, 1);
    t->c->x[A64_SP] = TH_RAM_BASE + TH_RAM_SIZE - 16;
    return t;
}

void th_free(TH *t)
{
    machine_free(t->m);
    g_free(t);
}

uint8_t *th_ram(TH *t, uint64_t pa)
{
    /* the test may write through it: a page anything writes is marked written, as the
     * machine's own writers do (a never-written page is known to hold zeros) */
    machine_ram_written(t->m, pa, 1);
    return t->m->ram + (pa - TH_RAM_BASE);
}

int th_run_steps(TH *t, const uint32_t *code, size_t n, uint64_t steps)
{
    /* new code at the same address: drop what was decoded there */
    a64_invalidate_code_page(t->m, TH_RAM_BASE);
    memcpy(th_ram(t, TH_RAM_BASE), code, n * 4);
    for (size_t off = 0; off < n * 4; off += A64_PAGE_SIZE)
        a64_invalidate_code_page(t->m, TH_RAM_BASE + off);
    t->c->pc = TH_RAM_BASE;
    t->c->halted = 0;
    t->c->powered = 1;
    t->m->stop = false;
    t->m->exit_code = 0;
    t->m->cfg.max_insns = machine_icount(t->m) + steps;
    return machine_run(t->m);
}

int th_run(TH *t, const uint32_t *code, size_t n)
{
    return th_run_steps(t, code, n, n);
}

bool th_undefined(TH *t, const uint32_t *code, size_t n)
{
    uint64_t vbar = TH_RAM_BASE + 0x10000;
    t->c->sys[A64_SYS_VBAR_EL1] = vbar;
    t->c->sys[A64_SYS_ESR_EL1] = ~0ULL;
    int el = t->c->el;
    if (th_run(t, code, n) != 0)
        return false;
    return t->c->el == 1 && el == 1 && t->c->sys[A64_SYS_ESR_EL1] == 0x02000000 &&
           t->c->sys[A64_SYS_ELR_EL1] == TH_RAM_BASE + (n - 1) * 4 && t->c->pc == vbar + 0x200;
}
