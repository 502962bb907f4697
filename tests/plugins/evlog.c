/* Logs the interrupt-controller, TLB-maintenance, firmware-call and snapshot events to
 * out=FILE, one line each, for tests/system/plugins.sh:
 *   irq cpuN vmV STAGE INTID virt|phys lrN|-      tlbi cpuN OP VA|-
 *   fwcall cpuN CONDUIT NAME FID RESULT           snapshot save|restore FILE
 *   decode cpuN PC RAW                            unimp cpuN WHAT (PC)
 *   timing cpuN WHAT COUNT (the cycle model's events, --timing inorder)
 * and with walkva=HEX, each walk of that VA: walk cpuN VA PA|fault PA:sSlL... */
#include <hvsim/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HVSIM_PLUGIN_DECLARE;

static FILE *out;
static uint64_t walk_va = ~0ULL;

static int on_event(void *user, const hvsim_event *e)
{
    switch (e->kind) {
    case HVSIM_EV_IRQ:
        fprintf(out, "irq cpu%d vm%d %s %u %s ", e->cpu, e->vmid, e->u.irq.stage_name,
                e->u.irq.intid, e->u.irq.virt ? "virt" : "phys");
        if (e->u.irq.lr >= 0)
            fprintf(out, "lr%d\n", e->u.irq.lr);
        else
            fprintf(out, "-\n");
        break;
    case HVSIM_EV_TLBI:
        if (e->u.tlbi.by_va)
            fprintf(out, "tlbi cpu%d %s %llx\n", e->cpu, e->u.tlbi.op, (unsigned long long)e->u.tlbi.va);
        else
            fprintf(out, "tlbi cpu%d %s -\n", e->cpu, e->u.tlbi.op);
        break;
    case HVSIM_EV_FWCALL:
        fprintf(out, "fwcall cpu%d %s %s %llx %llx\n", e->cpu, e->u.call.conduit,
                e->u.call.name ? e->u.call.name : "?", (unsigned long long)e->u.call.fid,
                (unsigned long long)e->u.call.result);
        break;
    case HVSIM_EV_SNAPSHOT:
        fprintf(out, "snapshot %s %s\n", e->u.snap.restore ? "restore" : "save", e->u.snap.file);
        break;
    case HVSIM_EV_DECODE:
        fprintf(out, "decode cpu%d %llx %08x\n", e->cpu, (unsigned long long)e->pc, e->u.insn.raw);
        break;
    case HVSIM_EV_WALK:
        fprintf(out, "walk cpu%d %llx ", e->cpu, (unsigned long long)e->u.walk.va);
        if (e->u.walk.fault)
            fprintf(out, "fault");
        else
            fprintf(out, "%llx", (unsigned long long)e->u.walk.pa);
        for (uint32_t i = 0; i < e->u.walk.ndesc; i++)
            fprintf(out, " %llx:s%dl%d", (unsigned long long)e->u.walk.desc[i],
                    e->u.walk.desc_stage_level[i] >> 4, e->u.walk.desc_stage_level[i] & 15);
        fputc('\n', out);
        break;
    case HVSIM_EV_UNIMP:
        fprintf(out, "unimp cpu%d %s (%llx)\n", e->cpu, e->u.unimp.what, (unsigned long long)e->pc);
        break;
    case HVSIM_EV_TIMING:
        fprintf(out, "timing cpu%d %s %u\n", e->cpu, e->u.timing.what, e->u.timing.count);
        break;
    default:
        break;
    }
    return 0;
}

static void finish(void *user)
{
    fclose(out);
}

int hvsim_plugin_install(const hvsim_api *api, hvsim_plugin *self, int argc, const hvsim_arg *argv,
                         char **err)
{
    if (argc < 1 || argc > 2 || strcmp(argv[0].key, "out") ||
        (argc == 2 && strcmp(argv[1].key, "walkva")) || !(out = fopen(argv[0].value, "w"))) {
        *err = strdup("want out=FILE (writable)[,walkva=HEX]");
        return 1;
    }
    hvsim_filter all = HVSIM_FILTER_ALL;
    api->at_exit(self, finish, NULL);
    if (argc == 2) {
        walk_va = strtoull(argv[1].value, NULL, 16);
        hvsim_filter one = { -1, -1, -1, walk_va, walk_va };
        if (api->subscribe(self, HVSIM_EV_BIT(HVSIM_EV_WALK), &one, on_event, NULL))
            return 1;
    }
    return api->subscribe(self, HVSIM_EV_BIT(HVSIM_EV_IRQ) | HVSIM_EV_BIT(HVSIM_EV_TLBI) |
                                    HVSIM_EV_BIT(HVSIM_EV_FWCALL) | HVSIM_EV_BIT(HVSIM_EV_SNAPSHOT) |
                                    HVSIM_EV_BIT(HVSIM_EV_DECODE) | HVSIM_EV_BIT(HVSIM_EV_UNIMP) |
                                    HVSIM_EV_BIT(HVSIM_EV_TIMING),
                          &all, on_event, NULL);
}
