/* Instruction mix: every executed instruction counted by its A64 encoding group (Arm ARM
 * C4.1, the top-level table on op0 = bits 28:25) and by the EL it ran at.
 *
 *   --plugin build/plugins/insn_mix.so[,out=FILE]
 *
 * Counters plugin.insn_mix.elN.GROUP and plugin.insn_mix.total join --stats; with out= the
 * same table is written to FILE at exit ("el1 loadstore 1234" lines, then "total N"). */
#include <hvsim/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HVSIM_PLUGIN_DECLARE;

enum { G_RESERVED, G_SVE, G_DP_IMM, G_BRANCH_SYS, G_LOADSTORE, G_DP_REG, G_SIMD_FP, G_N };
static const char *const group_names[G_N] = {
    "reserved", "sve", "dp_imm", "branch_sys", "loadstore", "dp_reg", "simd_fp",
};
static const hvsim_api *api;
static uint64_t counts[4][G_N];
static char *out_path;

/* C4.1, Table C4-1: op0 (bits 28:25) selects the encoding group. */
static int group(uint32_t raw)
{
    unsigned op0 = (raw >> 25) & 0xf;
    switch (op0) {
    case 0x0: case 0x1: case 0x3: return G_RESERVED;   /* reserved, SME, unallocated */
    case 0x2: return G_SVE;
    case 0x8: case 0x9: return G_DP_IMM;
    case 0xa: case 0xb: return G_BRANCH_SYS;
    case 0x5: case 0xd: return G_DP_REG;
    case 0x7: case 0xf: return G_SIMD_FP;
    default: return G_LOADSTORE;                      /* x1x0 */
    }
}

static int on_insn(void *user, const hvsim_event *e)
{
    counts[e->el & 3][group(e->u.insn.raw)]++;
    return 0;
}

static uint64_t total(void)
{
    uint64_t t = 0;
    for (int el = 0; el < 4; el++)
        for (int g = 0; g < G_N; g++)
            t += counts[el][g];
    return t;
}

static void stats(void *user, const hvsim_stats_sink *sink)
{
    char name[64];
    for (int el = 0; el < 4; el++)
        for (int g = 0; g < G_N; g++)
            if (counts[el][g]) {
                snprintf(name, sizeof name, "el%d.%s", el, group_names[g]);
                api->stat(sink, name, counts[el][g], "insns", "instructions of this group at this EL");
            }
    api->stat(sink, "total", total(), "insns", "instructions executed");
}

static void finish(void *user)
{
    if (!out_path)
        return;
    FILE *f = fopen(out_path, "w");
    if (!f) {
        fprintf(stderr, "insn_mix: cannot write %s\n", out_path);
        return;
    }
    for (int el = 0; el < 4; el++)
        for (int g = 0; g < G_N; g++)
            if (counts[el][g])
                fprintf(f, "el%d %s %llu\n", el, group_names[g], (unsigned long long)counts[el][g]);
    fprintf(f, "total %llu\n", (unsigned long long)total());
    fclose(f);
    free(out_path);
}

int hvsim_plugin_install(const hvsim_api *a, hvsim_plugin *self, int argc, const hvsim_arg *argv,
                         char **err)
{
    api = a;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i].key, "out")) {
            out_path = strdup(argv[i].value);
        } else {
            *err = strdup("unknown argument (want out=FILE)");
            return 1;
        }
    }
    hvsim_filter all = HVSIM_FILTER_ALL;
    if (api->subscribe(self, HVSIM_EV_BIT(HVSIM_EV_INSN), &all, on_insn, NULL))
        return 1;
    api->add_stats(self, stats, NULL);
    api->at_exit(self, finish, NULL);
    return 0;
}
