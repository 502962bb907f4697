/* Per-core soft TLB: virtual page -> host pointer for RAM, the fast path of loads/stores.
 * An entry matches when tag == (va & (PAGE_MASK | (size - 1))), so only aligned accesses
 * that stay within the page hit; everything else takes the slow path. */
#ifndef HVSIM_MMU_SOFTTLB_H
#define HVSIM_MMU_SOFTTLB_H
#include <stdbool.h>
#include <stdint.h>

#define SOFTTLB_SIZE 256
#define SOFTTLB_WHASH 1024    /* buckets of the write entries' host-page count (wcount) */
#define SOFTTLB_INVALID (~(uint64_t)0)

typedef struct SoftTlbEntry {
    uint64_t tag;             /* page-aligned VA, or SOFTTLB_INVALID */
    uintptr_t addend;         /* host = addend + va */
} SoftTlbEntry;

typedef struct SoftTlb {
    SoftTlbEntry r[SOFTTLB_SIZE];
    SoftTlbEntry w[SOFTTLB_SIZE];
    SoftTlbEntry x[SOFTTLB_SIZE];   /* instruction fetch: addend + va = physical address */
    void *xcode[SOFTTLB_SIZE];      /* the CPU's decoded code for x[i]'s physical page, or
                                     * NULL: set by the CPU after it fills x[i], which it
                                     * alone does; cleared by it when the code goes */
    /* How many valid write entries point into host pages of each bucket (host page number
     * mod SOFTTLB_WHASH): softtlb_flush_write_host, asked for every load-exclusive of another
     * core on SMP, returns at once when the page's bucket is empty instead of scanning all
     * write entries. Kept exact by every change of w[] (all of them are in softtlb.c). */
    uint16_t wcount[SOFTTLB_WHASH];
    /* Each entry's stage-1 mapping size as log2(size) - 12: 0 for a 4 KiB page, 9 for a
     * 2 MiB block, 2 or 4 for a 16K or 64K page. A TLBI by VA drops a whole stage-1 mapping,
     * which the soft TLB holds as 4 KiB pieces: softtlb_flush_va drops every piece of the
     * mapping the VA falls in. Meaningful only while the entry is valid. */
    uint8_t rorder[SOFTTLB_SIZE], worder[SOFTTLB_SIZE], xorder[SOFTTLB_SIZE];
    /* The read entry's page was writable at this EL when it was filled: a store that misses
     * the write entries (dropped for another core's exclusive monitor, or a page holding
     * decoded code) knows its translation without a walk. */
    uint8_t rwritable[SOFTTLB_SIZE];
    /* The slots filled with a nonzero order (in any of r, w, x) since the last full flush:
     * softtlb_flush_va looks at these only (a kernel maps few blocks, and unmaps pages by
     * the thousand). */
    uint64_t big_slots[SOFTTLB_SIZE / 64];
} SoftTlb;

void softtlb_flush(SoftTlb *t);
/* Drop the entries of the lower VA range (bit 55 clear: what TTBR0 translates). */
void softtlb_flush_lower(SoftTlb *t);
/* What a TLBI by VA must drop: the entries of the 4 KiB page with VA[55:12] = va's (whatever
 * the top byte), and every piece of a larger stage-1 mapping that holds va. */
void softtlb_flush_va(SoftTlb *t, uint64_t va);
/* Drop every write entry (the next store to each page takes the slow path). */
void softtlb_flush_writes(SoftTlb *t);
/* Drop write entries whose host page is `host_page` (code was decoded there). */
void softtlb_flush_write_host(SoftTlb *t, const uint8_t *host_page);
static inline void softtlb_fill(SoftTlbEntry *e, uint64_t va_page, uint8_t *host_page)
{
    e->tag = va_page;
    e->addend = (uintptr_t)host_page - (uintptr_t)va_page;
}
/* Fill entry (va_page >> 12) % SOFTTLB_SIZE of r[], w[] (keeping wcount exact) or x[], for a
 * piece of a stage-1 mapping of the given order (see rorder). */
void softtlb_fill_read(SoftTlb *t, uint64_t va_page, uint8_t *host_page, uint8_t order,
                       bool writable);
void softtlb_fill_write(SoftTlb *t, uint64_t va_page, uint8_t *host_page, uint8_t order);
void softtlb_fill_fetch(SoftTlb *t, uint64_t va_page, uint64_t pa_page, uint8_t order);
#endif
