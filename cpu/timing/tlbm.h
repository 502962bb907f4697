/* The architectural TLB as the timing models see it (not the simulator's soft TLB, which is
 * a host-speed cache of walk results in every model): set-associative, LRU, each entry a
 * combined stage-1+2 translation of one page or block, tagged with its context (translation
 * regime, VMID, and ASID unless global) and the IPA it came from, so that TLB maintenance by
 * VA, ASID, VMID or IPA finds what the architecture says it does. ISA-neutral: the context is
 * a number the CPU composes (tlbm_ctx). */
#ifndef HVSIM_CPU_TIMING_TLBM_H
#define HVSIM_CPU_TIMING_TLBM_H
#include <stdbool.h>
#include <stdint.h>

/* regime (0..3) | VMID (16 bits) | ASID (16 bits) */
static inline uint64_t tlbm_ctx(unsigned regime, unsigned vmid, unsigned asid)
{
    return (uint64_t)regime << 32 | (uint64_t)(vmid & 0xffff) << 16 | (asid & 0xffff);
}
#define TLBM_ASID_MASK 0xffffULL
#define TLBM_VMID_SHIFT 16
#define TLBM_REGIME_SHIFT 32

typedef struct TlbmEntry {
    uint64_t va;              /* page/block base (VA bits above shift), 0 with valid = 0 */
    uint64_t ipa;             /* IPA of the page/block base (stage-1 output) */
    uint64_t ctx;             /* tlbm_ctx; the ASID part is 0 for a global entry */
    uint64_t age;
    uint8_t shift;            /* log2 of the mapping size (12, 21, 30, ...) */
    uint8_t global, valid, pad[5];
} TlbmEntry;

typedef struct Tlbm {
    uint32_t sets, ways;
    TlbmEntry *e;
    uint64_t clock;
    uint32_t mru;             /* index of the last hit: checked first */
    uint64_t accesses, misses;
} Tlbm;

/* entries must be a multiple of ways, sets a power of two; NULL or the problem. */
char *tlbm_geom_check(uint32_t entries, uint32_t ways, const char *name);
void tlbm_init(Tlbm *t, uint32_t entries, uint32_t ways);
void tlbm_free(Tlbm *t);
void tlbm_clear(Tlbm *t);
/* The entry translating va in context ctx, or NULL (counts an access, and a miss). */
const TlbmEntry *tlbm_lookup(Tlbm *t, uint64_t va, uint64_t ctx);
void tlbm_fill(Tlbm *t, uint64_t va, uint64_t ipa, unsigned shift, uint64_t ctx, bool global);

/* Invalidation. Every form names a regime (and for EL1&0 a VMID); `any_asid` ignores the
 * ASID, else the entry's ASID must match unless the entry is global. */
typedef enum {
    TLBM_INV_ALL,             /* everything */
    TLBM_INV_REGIME,          /* every entry of a regime (and VMID for EL1&0) */
    TLBM_INV_ASID,            /* non-global entries of one ASID */
    TLBM_INV_VA,              /* entries covering va (one ASID plus globals, or any ASID) */
    TLBM_INV_IPA,             /* entries of the VMID whose IPA range covers ipa */
    TLBM_INV_VMID_ANY_REGIME, /* every entry of a VMID (EL1&0) */
} TlbmInvKind;

typedef struct TlbmInv {
    TlbmInvKind kind;
    unsigned regime, vmid, asid;
    bool match_vmid;          /* EL1&0 forms: only this VMID */
    bool any_asid;
    uint64_t va, ipa;
} TlbmInv;
void tlbm_invalidate(Tlbm *t, const TlbmInv *inv);

uint64_t tlbm_state_size(const Tlbm *t);
void tlbm_state_save(const Tlbm *t, uint8_t *out);
/* Loads; entries are sanitised (a shift outside 12..48 drops the entry). */
void tlbm_state_load(Tlbm *t, const uint8_t *in);
#endif
