/* Timing validation: the branch predictor through the PMU (tests/system/timing-validate.sh).
 * PMU event 0x10 BR_MIS_PRED counts on counter 0, 0x12 BR_PRED on counter 1. Each pattern
 * is a function called four times in a row by a driver with the same PCs each time (a
 * direct BL, so nothing but the pattern trains the predictor), the counters read between
 * the calls: the first window sees the predictor cold for the pattern's PCs, the next three
 * trained by the pattern itself. Lines: pattern=NAME window=cold|warm1|warm2|warm3
 * br_pred=N br_mis_pred=N. Everything the windows execute is in the assembly below, so a test can
 * count their branches and replay them through a predictor model:
 *
 *   loop63   16 times: an inner loop whose B.NE is taken 63 times, then not (64 runs)
 *   alt      128 runs of a B.EQ taken, not taken, taken, ... (TST of a counting-down x1)
 *   chain24  24 nested calls (BL, 24 distinct return addresses) and their 24 RETs: 8 more
 *            than a 16-entry return stack holds
 *   chain12  the last 12 of the same chain: within the return stack
 *   ind2     64 BLRs from one PC to two targets in turn (the BTB keeps one), each target a RET
 *   ind1     the same BLR always to one target
 *
 * The driver's BL and the pattern's RET are in each window (2 branches). */
#include "timing.h"

__asm__(".text\n"
        /* 16 x (63 taken + 1 not taken) */
        ".balign 64\n"
        "tb_loop63:\n"
        "  mov x1, #16\n"
        "1: mov x2, #64\n"
        "2: subs x2, x2, #1\n"
        "  b.ne 2b\n"
        "  subs x1, x1, #1\n"
        "  b.ne 1b\n"
        "  ret\n"
        /* T, NT, T, NT, ...: x1 = 128, 127, ..., 1; B.EQ taken when x1 is even */
        ".balign 64\n"
        "tb_alt:\n"
        "  mov x1, #128\n"
        "1: tst x1, #1\n"
        "  b.eq 2f\n"
        "  nop\n"
        "2: subs x1, x1, #1\n"
        "  b.ne 1b\n"
        "  ret\n"
        /* 64 BLRs through x4, to tb_ind_a when x1 is even, else to tb_ind_b (same = 0) or
         * tb_ind_a again (same = 1) */
        ".macro TB_IND name, same\n"
        ".balign 64\n"
        "\\name:\n"
        "  stp x29, x30, [sp, #-16]!\n"
        "  mov x1, #64\n"
        "  adr x2, tb_ind_a\n"
        ".if \\same\n"
        "  adr x3, tb_ind_a\n"
        ".else\n"
        "  adr x3, tb_ind_b\n"
        ".endif\n"
        "1: tst x1, #1\n"
        "  csel x4, x2, x3, eq\n"
        "  blr x4\n"
        "  subs x1, x1, #1\n"
        "  b.ne 1b\n"
        "  ldp x29, x30, [sp], #16\n"
        "  ret\n"
        ".endm\n"
        "TB_IND tb_ind2, 0\n"
        "TB_IND tb_ind1, 1\n"
        "tb_ind_a:\n"
        "  ret\n"
        "tb_ind_b:\n"
        "  ret\n"
        /* tb_chain_k calls tb_chain_(k+1); tb_chain_24 is the leaf */
        ".balign 64\n"
        ".irp k,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23\n"
        "tb_chain_\\k:\n"
        "  stp x29, x30, [sp, #-16]!\n"
        "  bl tb_chain_\\k + 16\n"      /* the next function: 4 instructions each */
        "  ldp x29, x30, [sp], #16\n"
        "  ret\n"
        ".endr\n"
        "tb_chain_24:\n"
        "  ret\n"
        /* driver: x0 = where the 5 counter pairs go; calls the pattern 4 times */
        ".macro TB_READ\n"
        "  isb\n"
        "  mrs x9, pmevcntr0_el0\n"
        "  mrs x10, pmevcntr1_el0\n"
        "  stp x9, x10, [x19], #16\n"
        ".endm\n"
        ".macro TB_DRIVER name, body\n"
        ".balign 64\n"
        ".global tb_run_\\name\n"
        "tb_run_\\name:\n"
        "  stp x29, x30, [sp, #-32]!\n"
        "  str x19, [sp, #16]\n"
        "  mov x19, x0\n"
        "  TB_READ\n"
        "  bl \\body\n"
        "  TB_READ\n"
        "  bl \\body\n"
        "  TB_READ\n"
        "  bl \\body\n"
        "  TB_READ\n"
        "  bl \\body\n"
        "  TB_READ\n"
        "  ldr x19, [sp, #16]\n"
        "  ldp x29, x30, [sp], #32\n"
        "  ret\n"
        ".endm\n"
        "TB_DRIVER loop63, tb_loop63\n"
        "TB_DRIVER alt, tb_alt\n"
        "TB_DRIVER chain24, tb_chain_1\n"
        "TB_DRIVER chain12, tb_chain_13\n"
        "TB_DRIVER ind2, tb_ind2\n"
        "TB_DRIVER ind1, tb_ind1\n");

void tb_run_loop63(uint64_t *out);
void tb_run_alt(uint64_t *out);
void tb_run_chain24(uint64_t *out);
void tb_run_chain12(uint64_t *out);
void tb_run_ind2(uint64_t *out);
void tb_run_ind1(uint64_t *out);

static const struct {
    const char *name;
    void (*run)(uint64_t *out);
} patterns[] = {
    { "loop63", tb_run_loop63 },
    { "alt", tb_run_alt },
    { "chain24", tb_run_chain24 },
    { "chain12", tb_run_chain12 },
    { "ind2", tb_run_ind2 },
    { "ind1", tb_run_ind1 },
};

int main(void)
{
    static const unsigned evs[] = { 0x10, 0x12 };   /* BR_MIS_PRED, BR_PRED */
    static const char *const windows[] = { "cold", "warm1", "warm2", "warm3" };
    pmu_start(evs, 2);
    printf("tbranch: BR_MIS_PRED, BR_PRED per window\n");
    for (unsigned p = 0; p < ARRAY_SIZE(patterns); p++) {
        uint64_t c[10];
        patterns[p].run(c);
        for (unsigned w = 0; w < ARRAY_SIZE(windows); w++)
            printf("pattern=%s window=%s br_pred=%llu br_mis_pred=%llu\n", patterns[p].name,
                   windows[w], (unsigned long long)(c[2 * w + 3] - c[2 * w + 1]),
                   (unsigned long long)(c[2 * w + 2] - c[2 * w]));
    }
    printf("tbranch: done\n");
    return 0;
}
