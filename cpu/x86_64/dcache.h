/* x86-64 decode cache: decoded instructions kept per guest code page, so that a loop is
 * decoded once, not on every pass.
 *
 * A page is keyed by what decoding depends on: its physical address and the code size
 * (c->code_bits); the decoder reads nothing else from the core (x86_decode: the bytes, the
 * mode). Being physical, a page survives paging changes: the fetch is still checked on every
 * instruction, by the soft TLB's fetch entry for RIP's linear page (a hit is the whole check
 * of the uncached fetch; a miss goes the uncached way, walk and faults included). Only an
 * instruction the uncached decoder fetched from one RAM page alone is cached, so the cached
 * and uncached paths do the same architectural work: in 64-bit code one whose bytes end in
 * its page (the decoder reads the next page only for an instruction that reaches into it);
 * in other modes one whose 15-byte fetch window lies inside the page and the CS limit. The
 * rest (an instruction across two pages, code near the CS limit, code outside RAM, undefined
 * encodings) is decoded on every run.
 *
 * Code written through any path (stores, string instructions, page-table A/D updates, DMA,
 * the debugger) reaches machine->code_written for a page marked in m->ram_code[], which
 * drops the page on every x86 core. A dropped page is freed only after the instruction
 * running from it returns (it may have overwritten itself). The cache is host-side: not in
 * the state description, not hashed, emptied by x86_decode_flush (reset, snapshot load). */
#ifndef HVSIM_CPU_X86_64_DCACHE_H
#define HVSIM_CPU_X86_64_DCACHE_H
#include "cpu/x86_64/insn.h"
#include "cpu/x86_64/sys_internal.h"

#define X86_DC_PAGE 4096u
/* the fetch window the uncached decoder takes whole: an instruction starting past this
 * offset of its page is never cached */
#define X86_DC_LAST_OFF (X86_DC_PAGE - X86_MAX_INSN_BYTES)

typedef struct X86DecodedPage {
    struct X86DecodedPage *next;   /* hash chain; the garbage list once dropped */
    uint64_t pa;                   /* the page's physical address */
    unsigned bits;                 /* the code size it was decoded at */
    unsigned n, cap;               /* decoded instructions, room */
    X86Insn *insn;
    uint8_t *tried;                /* per instruction: the block compiler looked at it as the
                                    * start of a block (jit.h) */
    uint16_t slot[X86_DC_PAGE];    /* per byte offset: 1 + index in insn, 0 not decoded */
} X86DecodedPage;

/* Decodes the instruction at c->rip through the cache: a cached X86Insn, or *tmp filled by
 * the uncached decoder; NULL with c->exc set when decoding faults. The pointer stays valid
 * until the next call (a page dropped meanwhile is freed by x86_dcache_collect). */
const X86Insn *x86_decode_slow(X86Cpu *c, X86Insn *tmp);
/* Frees the pages dropped while an instruction ran. */
void x86_dcache_collect(X86Cpu *c);
/* Machine.code_written for x86 cores: drops the decoded page holding pa on every core. */
void x86_code_written(Machine *m, uint64_t pa);

/* The linear address of RIP's page and whether a cached instruction there may be used: in
 * 64-bit code anywhere in the page (one is kept only when its bytes end in the page), else
 * the 15-byte fetch window inside one page and inside CS. */
static inline bool x86_dc_window(const X86Cpu *c, uint64_t *la)
{
    uint64_t rip = c->rip;
    if (likely(c->code_bits == 64)) {
        *la = rip;
        return x86_canonical(rip, (c->cr4 & X86_CR4_LA57) != 0);
    } else {
        const X86Seg *cs = &c->seg[X86_CS];
        if (rip + X86_MAX_INSN_BYTES - 1 > cs->limit)
            return false;
        *la = (uint32_t)(cs->base + rip);
    }
    return (*la & (X86_DC_PAGE - 1)) <= X86_DC_LAST_OFF;
}

/* The tag a fetch TLB entry for la's page has when it serves the current privilege and AC. */
static inline uint64_t x86_dc_fetch_tag(const X86Cpu *c, uint64_t la)
{
    return (la & ~(uint64_t)(X86_DC_PAGE - 1)) |
           (uint64_t)(c->cpl == 3 ? X86_PRIV_USER : X86_PRIV_SUPER) << 1 |
           ((c->rflags & X86_AC) ? 8 : 0) | 1;
}

/* The soft TLB's fetch entry for la when it hits now (no walk, nothing changed), else
 * NULL. */
static inline const X86TlbEntry *x86_dc_tlb(const X86Cpu *c, uint64_t la)
{
    uint64_t tag = x86_dc_fetch_tag(c, la);
    const X86TlbEntry *te = &c->tlb.e[X86_ACC_FETCH][(la >> 12) & (X86_TLB_SIZE - 1)];
    if (te->tag != tag || !te->host)
        return NULL;
    if (te->pcid != X86_TLB_GLOBAL) {
        /* paging off keeps global entries only (mem.c translate_host) */
        uint32_t pcid = (c->cr4 & X86_CR4_PCIDE) ? (uint32_t)(c->cr3 & 0xfff) : 0;
        if (!(c->cr0 & X86_CR0_PG) || te->pcid != pcid)
            return NULL;
    }
    return te;
}

/* The fetch check of 64-bit code at la passed with te: the shortcut repeats it while RIP
 * stays in la's page (x86_decode_cached, and the run loop's chain in cpu.c). */
static inline void x86_dc_remember(X86Cpu *c, uint64_t la, const X86TlbEntry *te)
{
    c->dc_la = la & ~(uint64_t)(X86_DC_PAGE - 1);
    c->dc_te = te;
    c->dc_tag = te->tag;
    c->dc_ac = c->rflags & X86_AC;
}

/* The fetch check remembered by x86_dc_remember still holds for the current page (as far as
 * the TLB goes: the caller compares RIP's page with dc_la and RFLAGS.AC with dc_ac): its
 * entry unchanged (a flush or refill changes its tag or address). */
static inline bool x86_dc_entry_holds(const X86Cpu *c)
{
    return c->dc_te->tag == c->dc_tag && c->dc_te->pa == c->dc_cur->pa;
}

/* 64-bit code: RIP left the current page for another that the cache has decoded at RIP and
 * whose fetch the soft TLB holds now: that page becomes the current one (its fetch check
 * remembered, as x86_decode_slow would on its way to the same instruction) and true; else
 * false and nothing changed. The run loop's chain goes on through it (cpu.c). Remembered
 * switches (dc_jump) are taken here when the same fetch TLB entry still holds the page for
 * this privilege and AC (a refill or flush changes its tag or address; one of another PCID
 * is dropped when CR3 changes, so every entry is global or current); the rest, and the
 * remembering, in dcache.c. */
bool x86_dc_switch_slow(X86Cpu *c);
X86_INLINE bool x86_dc_switch(X86Cpu *c)
{
    uint64_t la = c->rip, tag = x86_dc_fetch_tag(c, la);
    const struct X86DcJump *j = &c->dc_jump[(la >> 12) & (X86_DC_JUMP - 1)];
    if (likely(j->p && j->tag == tag && j->te->tag == tag && j->te->pa == j->p->pa)) {
        if (!j->p->slot[la & (X86_DC_PAGE - 1)])
            return false;
        c->dc_cur = j->p;
        x86_dc_remember(c, la, j->te);
        return true;
    }
    return x86_dc_switch_slow(c);
}

/* The instruction at byte offset off of p (decoded) as the start of a block: looked at once
 * (p->tried), compiled when worth it (jit.h). false: the code buffer was full and the decode
 * cache was flushed (p is garbage now: the chain leaves). */
bool x86_jit_try(X86Cpu *c, X86DecodedPage *p, unsigned off);

/* The decoded instruction at c->rip: the cache's, or x86_decode_slow's answer. */
static inline const X86Insn *x86_decode_cached(X86Cpu *c, X86Insn *tmp)
{
    uint64_t la;
    const X86TlbEntry *te;
    X86DecodedPage *p = c->dc_cur;
    uint64_t rip = c->rip;
    /* 64-bit code in the page of the last check (then RIP is canonical as its page): the TLB
     * entry unchanged, CPL and mode unchanged (x86_update_mode forgets dc_la), AC unchanged */
    if (likely((rip & ~(uint64_t)(X86_DC_PAGE - 1)) == c->dc_la && x86_dc_entry_holds(c) &&
               (c->rflags & X86_AC) == c->dc_ac)) {
        unsigned s = p->slot[rip & (X86_DC_PAGE - 1)];
        if (likely(s))
            return &p->insn[s - 1];
        return x86_decode_slow(c, tmp);
    }
    if (likely(p && x86_dc_window(c, &la) && (te = x86_dc_tlb(c, la)) != NULL &&
               te->pa == p->pa && p->bits == c->code_bits)) {
        unsigned s = p->slot[la & (X86_DC_PAGE - 1)];
        if (likely(s)) {
            if (c->code_bits == 64)
                x86_dc_remember(c, la, te);
            return &p->insn[s - 1];
        }
    }
    return x86_decode_slow(c, tmp);
}
#endif
