/* Branch predictors of the in-order model (bpred.h). */
#include "cpu/timing/bpred.h"
#include <glib.h>
#include <string.h>

void bpred_init(Bpred *b, BpKind kind, uint32_t entries, uint32_t btb, uint32_t ras)
{
    memset(b, 0, sizeof *b);
    b->kind = kind;
    b->entries = entries;
    b->btb_entries = btb;
    b->ras_entries = ras;
    b->hist_bits = (uint32_t)__builtin_ctz(entries);
    b->ctr = g_new(uint8_t, entries);
    b->btb_tag = g_new0(uint64_t, btb);
    b->btb_target = g_new0(uint64_t, btb);
    b->ras = g_new0(uint64_t, ras ? ras : 1);
    bpred_clear(b);
}

void bpred_free(Bpred *b)
{
    g_free(b->ctr);
    g_free(b->btb_tag);
    g_free(b->btb_target);
    g_free(b->ras);
    memset(b, 0, sizeof *b);
}

void bpred_clear(Bpred *b)
{
    memset(b->ctr, 1, b->entries);
    if (b->btb_entries) {     /* none: the arrays are NULL */
        memset(b->btb_tag, 0, b->btb_entries * sizeof *b->btb_tag);
        memset(b->btb_target, 0, b->btb_entries * sizeof *b->btb_target);
    }
    memset(b->ras, 0, (b->ras_entries ? b->ras_entries : 1) * sizeof *b->ras);
    b->ras_top = b->ras_count = 0;
    b->hist = 0;
}

static void ras_push(Bpred *b, uint64_t ret)
{
    if (!b->ras_entries)
        return;
    b->ras[b->ras_top] = ret;
    b->ras_top = (b->ras_top + 1) % b->ras_entries;   /* a full stack overwrites its oldest */
    if (b->ras_count < b->ras_entries)
        b->ras_count++;
}

static bool ras_pop(Bpred *b, uint64_t *ret)
{
    if (!b->ras_count)
        return false;
    b->ras_top = (b->ras_top + b->ras_entries - 1) % b->ras_entries;
    b->ras_count--;
    *ret = b->ras[b->ras_top];
    return true;
}

/* BTB: predicted target of an indirect branch; a miss or another target mispredicts. */
static bool btb_predict(Bpred *b, uint64_t pc, uint64_t target)
{
    if (!b->btb_entries)
        return false;
    uint32_t i = (uint32_t)((pc >> 2) % b->btb_entries);
    bool ok = b->btb_tag[i] == pc + 1 && b->btb_target[i] == target;
    b->btb_tag[i] = pc + 1;
    b->btb_target[i] = target;
    return ok;
}

bool bpred_resolve(Bpred *b, BrKind k, uint64_t pc, bool taken, uint64_t target)
{
    bool miss = false;
    b->branches++;
    switch (k) {
    case BR_DIRECT:
        break;
    case BR_CALL:
        ras_push(b, pc + 4);
        break;
    case BR_CALL_INDIRECT:
        miss = !btb_predict(b, pc, target);
        ras_push(b, pc + 4);
        break;
    case BR_INDIRECT:
        miss = !btb_predict(b, pc, target);
        break;
    case BR_RET: {
        uint64_t r;
        miss = !ras_pop(b, &r) || r != target;
        break;
    }
    case BR_COND: {
        if (b->kind == BP_NONE) {
            miss = taken;     /* no predictor: always predicted not taken */
            break;
        }
        uint64_t i = pc >> 2;
        if (b->kind == BP_GSHARE)
            i ^= b->hist;
        i &= b->entries - 1;
        bool pred = b->ctr[i] >= 2;
        miss = pred != taken;
        if (taken && b->ctr[i] < 3)
            b->ctr[i]++;
        else if (!taken && b->ctr[i] > 0)
            b->ctr[i]--;
        b->hist = ((b->hist << 1) | taken) & ((1ULL << b->hist_bits) - 1);
        break;
    }
    }
    b->mispredicts += miss;
    return miss;
}

uint64_t bpred_state_size(const Bpred *b)
{
    uint32_t ras = b->ras_entries ? b->ras_entries : 1;
    return b->entries + (uint64_t)b->btb_entries * 16 + (uint64_t)ras * 8 + 3 * 8;
}

void bpred_state_save(const Bpred *b, uint8_t *out)
{
    uint32_t ras = b->ras_entries ? b->ras_entries : 1;
    uint64_t top = b->ras_top, count = b->ras_count;
    memcpy(out, b->ctr, b->entries);
    out += b->entries;
    if (b->btb_entries) {
        memcpy(out, b->btb_tag, b->btb_entries * 8);
        memcpy(out + b->btb_entries * 8, b->btb_target, b->btb_entries * 8);
    }
    out += b->btb_entries * 16;
    memcpy(out, b->ras, ras * 8);
    out += ras * 8;
    memcpy(out, &top, 8);
    memcpy(out + 8, &count, 8);
    memcpy(out + 16, &b->hist, 8);
}

void bpred_state_load(Bpred *b, const uint8_t *in)
{
    uint32_t ras = b->ras_entries ? b->ras_entries : 1;
    uint64_t top, count;
    memcpy(b->ctr, in, b->entries);
    in += b->entries;
    for (uint32_t i = 0; i < b->entries; i++)
        b->ctr[i] &= 3;
    if (b->btb_entries) {
        memcpy(b->btb_tag, in, b->btb_entries * 8);
        memcpy(b->btb_target, in + b->btb_entries * 8, b->btb_entries * 8);
    }
    in += b->btb_entries * 16;
    memcpy(b->ras, in, ras * 8);
    in += ras * 8;
    memcpy(&top, in, 8);
    memcpy(&count, in + 8, 8);
    memcpy(&b->hist, in + 16, 8);
    b->ras_top = (uint32_t)(top % ras);
    b->ras_count = (uint32_t)(count <= b->ras_entries ? count : b->ras_entries);
    b->hist &= (1ULL << b->hist_bits) - 1;
}
