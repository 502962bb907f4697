/* Branch prediction for the in-order model: direction (bimodal or gshare 2-bit counters),
 * a direct-mapped BTB for indirect branches and a return stack. The definitions the tests
 * check: counters start at 1 (weakly not taken); bimodal indexes with (PC>>2) mod entries;
 * gshare with (PC>>2) XOR the last log2(entries) conditional outcomes. Unconditional direct
 * branches are resolved at decode and never mispredict. */
#ifndef HVSIM_CPU_TIMING_BPRED_H
#define HVSIM_CPU_TIMING_BPRED_H
#include <stdbool.h>
#include <stdint.h>

typedef enum { BP_NONE, BP_BIMODAL, BP_GSHARE } BpKind;

typedef enum {
    BR_COND,                  /* conditional direct (B.cond, CBZ, TBZ...) */
    BR_DIRECT,                /* B */
    BR_CALL,                  /* BL: pushes the return address */
    BR_INDIRECT,              /* BR */
    BR_CALL_INDIRECT,         /* BLR */
    BR_RET,                   /* RET: pops */
} BrKind;

typedef struct Bpred {
    BpKind kind;
    uint32_t entries, btb_entries, ras_entries, hist_bits;
    uint8_t *ctr;             /* 2-bit counters */
    uint64_t *btb_tag, *btb_target;
    uint64_t *ras;
    uint32_t ras_top, ras_count;
    uint64_t hist;
    uint64_t branches, mispredicts;   /* statistics */
} Bpred;

void bpred_init(Bpred *b, BpKind kind, uint32_t entries, uint32_t btb, uint32_t ras);
void bpred_free(Bpred *b);
void bpred_clear(Bpred *b);
/* Predicts and trains on a resolved branch at pc (taken to target, else falls through to
 * pc + 4); returns true on a mispredict. */
bool bpred_resolve(Bpred *b, BrKind k, uint64_t pc, bool taken, uint64_t target);

uint64_t bpred_state_size(const Bpred *b);
void bpred_state_save(const Bpred *b, uint8_t *out);
void bpred_state_load(Bpred *b, const uint8_t *in);
#endif
