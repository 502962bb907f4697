/* Unit-test harness for the x86-64 core (x86_harness.h). */
#include <criterion/criterion.h>
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
