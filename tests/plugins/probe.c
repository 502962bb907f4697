/* Exercises the read API and the stop request: at=N stops the run before the N-th
 * instruction (1-based) and prints, for core 0 there, pc, x0, el, SCTLR_EL1 and the 4 bytes
 * at pc read through the core's translation and physically; each line is checked by
 * tests/system/plugins.sh against the same values from the debugger. */
#include <hvsim/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HVSIM_PLUGIN_DECLARE;

static const hvsim_api *api;
static hvsim_plugin *me;
static uint64_t at, seen;

static int on_insn(void *user, const hvsim_event *e)
{
    if (++seen < at)
        return 0;
    uint64_t pc = 0, x0 = 0, el = 0, sctlr = 0, iar = 0;
    uint32_t word = 0, pword = 0;
    int ok = !api->read_reg(me, e->cpu, "pc", &pc) && !api->read_reg(me, e->cpu, "x0", &x0) &&
             !api->read_reg(me, e->cpu, "el", &el) && !api->read_reg(me, e->cpu, "SCTLR_EL1", &sctlr) &&
             !api->read_virt(me, e->cpu, e->pc, &word, 4);
    /* reading it would acknowledge an interrupt: refused */
    int refused = api->read_reg(me, e->cpu, "ICC_IAR1_EL1", &iar) != 0;
    int bad = api->read_reg(me, e->cpu, "x31", &iar) != 0 && api->read_reg(me, 99, "x0", &iar) != 0;
    int phys = el < 2 && !(sctlr & 1) ? !api->read_phys(me, e->pc, &pword, 4) && pword == word : 1;
    fprintf(stderr, "probe: insn %llu pc=0x%llx x0=0x%llx el=%llu sctlr=0x%llx word=%08x ok=%d "
            "refused=%d bad=%d phys=%d\n", (unsigned long long)seen, (unsigned long long)pc,
            (unsigned long long)x0, (unsigned long long)el, (unsigned long long)sctlr, word, ok,
            refused, bad, phys);
    api->set_stop_reason(me, "reached the instruction asked for");
    return 1;
}

int hvsim_plugin_install(const hvsim_api *a, hvsim_plugin *self, int argc, const hvsim_arg *argv,
                         char **err)
{
    api = a;
    me = self;
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i].key, "at"))
            at = strtoull(argv[i].value, NULL, 0);
    if (!at) {
        *err = strdup("want at=N (N > 0)");
        return 1;
    }
    hvsim_filter all = HVSIM_FILTER_ALL;
    return api->subscribe(self, HVSIM_EV_BIT(HVSIM_EV_INSN), &all, on_insn, NULL);
}
