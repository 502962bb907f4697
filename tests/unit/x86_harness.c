/* Unit-test harness for the x86-64 core (x86_harness.h). */
#include <criterion/criterion.h>
#include <string.h>
#include "x86_harness.h"

XH *xh_new(const char *model)
{
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    cfg.ram_size = XH_RAM_SIZE;
    if (model) {
        g_free(cfg.cpu_model);
        cfg.cpu_model = g_strdup(model);
    }
    char *err = NULL;
    XH *t = g_new0(XH, 1);
    t->m = machine_new(&cfg, 0, &err);
    machine_config_free(&cfg);
    cr_assert_not_null(t->m, "machine_new: %s", err ? err : "?");
    t->m->out = stdout;
    t->c = x86_cpu_new(t->m, 0);
    machine_add_cpu(t->m, t->c, &x86_cpu_class);
    return t;
}

void xh_free(XH *t)
{
    machine_free(t->m);
    g_free(t);
}

int xh_run(XH *t, uint64_t steps)
{
    t->m->stop = false;
    t->m->exit_code = 0;
    t->m->cfg.max_insns = machine_icount(t->m) + steps;
    return machine_run(t->m);
}

void xh_run_chained_or_not(XH *t, uint64_t max, bool one_by_one)
{
    if (!one_by_one) {
        xh_run(t, max);
        return;
    }
    for (uint64_t i = 0; i <= max && !t->c->halted; i++)
        xh_run(t, 1);
}

void xh_put(XH *t, uint64_t pa, const void *bytes, size_t n)
{
    memcpy(t->m->ram + pa, bytes, n);
    machine_dma_written(t->m, pa, n);
}

void xh_put64(XH *t, uint64_t pa, uint64_t v)
{
    xh_put(t, pa, &v, 8);
}

void xh_enter_long(XH *t, uint64_t rip)
{
    xh_put64(t, XH_PML4, 0x11000 | 7);
    xh_put64(t, 0x11000, 0x12000 | 7);
    xh_put64(t, 0x12000, 0x0 | 0x80 | 3);
    xh_put64(t, 0x12008, 0x13000 | 3);
    x86_cpu_enter_long(t->c, rip, XH_PML4);
    t->c->gpr[X86_RSP] = 0x9000;
}
