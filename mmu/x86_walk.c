/* x86 paging walker (Intel SDM vol. 3A chapter 4). The order of checks follows the SDM's
 * description of a translation: per level, the entry's P flag (not present: #PF with P=0),
 * then its reserved bits (#PF with P=1 and RSVD=1), then the next level or the page; then
 * the access rights of the whole path (section 4.6); then, for a translation that succeeds,
 * the accessed flags of every entry used and the page's dirty flag for a write. */
#include "mmu/x86_walk.h"
#include <stddef.h>

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_XD (1ull << 63)

/* bits hi..lo set */
#define MASK(hi, lo) ((~0ull >> (63 - (hi))) & (~0ull << (lo)))

static unsigned maxphy(const X86WalkRegime *r)
{
    return r->pa_bits ? r->pa_bits : 40;
}

/* Reserved bits of an entry at `level` (leaf: a page mapping, else a table pointer). */
static uint64_t reserved_bits(const X86WalkRegime *r, int level, bool leaf)
{
    unsigned m = maxphy(r);
    uint64_t rsvd = 0;
    switch (r->mode) {
    case X86_PAGING_32:
        /* only a 4 MiB page has reserved bits: bit 21, and address bits past MAXPHYADDR
         * in bits 20:13 (PA[39:32]) */
        if (level == 2 && leaf) {
            rsvd = 1ull << 21;
            unsigned hi_bits = m > 40 ? 8 : m - 32;
            if (hi_bits < 8)
                rsvd |= MASK(20, 13 + hi_bits);
        }
        return rsvd;
    case X86_PAGING_PAE:
        if (level == 3)       /* PDPTE: no R/W, U/S, A, PS or XD */
            return MASK(63, m) | MASK(8, 5) | MASK(2, 1);
        rsvd = MASK(62, m);
        break;
    default:
        rsvd = m < 52 ? MASK(51, m) : 0;
        if (level >= 4)
            rsvd |= PTE_PS;
        else if (level == 3 && leaf)
            rsvd |= MASK(29, 13);
        break;
    }
    if (level == 2 && leaf)
        rsvd |= MASK(20, 13);
    if (!r->nxe)
        rsvd |= PTE_XD;
    return rsvd;
}

/* The physical address an entry points to (next table or page frame). */
static uint64_t entry_addr(const X86WalkRegime *r, uint64_t e, int level, bool leaf)
{
    if (r->mode == X86_PAGING_32) {
        if (leaf && level == 2)      /* PSE-36: PA[39:32] in bits 20:13 */
            return (e & 0xffc00000ull) | (((e >> 13) & 0xff) << 32);
        return e & 0xfffff000ull;
    }
    uint64_t a = e & MASK(51, 12);
    if (leaf && level == 3)
        a &= ~MASK(29, 12);
    else if (leaf && level == 2)
        a &= ~MASK(20, 12);
    return a;
}

/* Which of R, W, X this access class may use on a page whose path says user (U/S set at
 * every level), writable (R/W set at every level) and nx (XD set at some level). */
static uint8_t page_perms(const X86WalkRegime *r, X86Priv priv, bool user, bool writable,
                          bool nx)
{
    uint8_t p = 0;
    if (priv == X86_PRIV_USER) {
        if (!user)
            return 0;
        p = X86_PERM_R;
        if (writable)
            p |= X86_PERM_W;
        if (!nx)
            p |= X86_PERM_X;
        return p;
    }
    /* supervisor: SMAP forbids data accesses to user pages unless RFLAGS.AC allows an
     * explicit one; SMEP forbids fetches from them */
    bool smap_block = user && r->smap && (priv == X86_PRIV_IMPLICIT || !r->ac);
    if (!smap_block) {
        p |= X86_PERM_R;
        if (writable || !r->wp)
            p |= X86_PERM_W;
    }
    if (!nx && !(user && r->smep))
        p |= X86_PERM_X;
    return p;
}

static bool fail(const X86WalkRegime *r, X86Access acc, X86Priv priv, int level, bool present,
                 bool rsvd, X86WalkFault *f)
{
    uint32_t ec = 0;
    if (present)
        ec |= X86_PFEC_P;
    if (acc == X86_ACC_WRITE)
        ec |= X86_PFEC_W;
    if (priv == X86_PRIV_USER)
        ec |= X86_PFEC_U;
    if (rsvd)
        ec |= X86_PFEC_RSVD;
    /* I/D: a fetch, when execute-disable exists (NXE outside 32-bit paging) or SMEP is on */
    if (acc == X86_ACC_FETCH && ((r->nxe && r->mode != X86_PAGING_32) || r->smep))
        ec |= X86_PFEC_I;
    f->error_code = ec;
    f->level = level;
    f->rsvd = rsvd;
    return false;
}

bool x86_translate(const X86WalkRegime *r, uint64_t la, X86Access acc, X86Priv priv,
                   X86ReadPte read, X86WritePte write, void *opaque, X86WalkResult *res,
                   X86WalkFault *fault)
{
    *res = (X86WalkResult){ 0 };
    *fault = (X86WalkFault){ 0 };
    if (r->mode == X86_PAGING_OFF) {
        res->pa = (uint32_t)la;
        res->page_mask = 0xfff;
        res->perms = X86_PERM_R | X86_PERM_W | X86_PERM_X;
        res->global = true;
        return true;
    }
    int level;
    unsigned esize = 8;
    uint64_t table;
    switch (r->mode) {
    case X86_PAGING_32:
        level = 2;
        esize = 4;
        la = (uint32_t)la;
        table = r->cr3 & 0xfffff000ull;
        break;
    case X86_PAGING_PAE:
        level = 3;
        la = (uint32_t)la;
        table = r->cr3 & 0xffffffe0ull;
        break;
    case X86_PAGING_5LEVEL:
        level = 5;
        table = r->cr3 & MASK(maxphy(r) - 1, 12);
        res->pcid = r->pcide ? (uint16_t)(r->cr3 & 0xfff) : 0;
        break;
    default:
        level = 4;
        table = r->cr3 & MASK(maxphy(r) - 1, 12);
        res->pcid = r->pcide ? (uint16_t)(r->cr3 & 0xfff) : 0;
        break;
    }
    int top = level;
    bool user = true, writable = true, nx = false;
    uint64_t e = 0;
    for (;;) {
        unsigned shift, bits;
        if (r->mode == X86_PAGING_32) {
            shift = level == 2 ? 22 : 12;
            bits = 10;
        } else {
            shift = 12 + 9 * (unsigned)(level - 1);
            bits = r->mode == X86_PAGING_PAE && level == 3 ? 2 : 9;
        }
        uint64_t pa = table + ((la >> shift) & ((1ull << bits) - 1)) * esize;
        if (!read(opaque, pa, esize, level, &e))
            return fail(r, acc, priv, level, false, false, fault);
        res->entry_pa[res->nread] = pa;
        res->entry[res->nread] = e;
        res->nread++;
        if (!(e & PTE_P))
            return fail(r, acc, priv, level, false, false, fault);
        bool pae_pdpte = r->mode == X86_PAGING_PAE && level == 3;
        bool leaf = level == 1 ||
                    (!pae_pdpte && (e & PTE_PS) &&
                     (r->mode == X86_PAGING_32 ? r->pse && level == 2
                                               : level == 2 || (level == 3 && r->gbpages)));
        uint64_t rsvd = reserved_bits(r, level, leaf);
        /* PS in a PDPTE without 1 GiB pages (or in a PML4E/PML5E) is reserved */
        if (!leaf && level == 3 && !pae_pdpte && (e & PTE_PS))
            rsvd |= PTE_PS;
        if (e & rsvd)
            return fail(r, acc, priv, level, true, true, fault);
        if (!pae_pdpte) {
            user &= (e & PTE_US) != 0;
            writable &= (e & PTE_RW) != 0;
            if (r->nxe && (e & PTE_XD))
                nx = true;
        }
        if (leaf) {
            res->level = (uint8_t)level;
            res->page_mask = r->mode == X86_PAGING_32 && level == 2 ? 0x3fffff
                                                                    : (1ull << shift) - 1;
            res->pa = entry_addr(r, e, level, true) | (la & res->page_mask);
            break;
        }
        table = entry_addr(r, e, level, false);
        level--;
    }
    res->user = user;
    res->perms = page_perms(r, priv, user, writable, nx);
    res->global = r->pge && (e & PTE_G);
    uint8_t need = acc == X86_ACC_WRITE ? X86_PERM_W : acc == X86_ACC_FETCH ? X86_PERM_X
                                                                               : X86_PERM_R;
    if (!(res->perms & need))
        return fail(r, acc, priv, res->level, true, false, fault);
    /* accessed flags on every entry used, dirty on the page for a write (PAE's PDPTEs have
     * neither) */
    for (unsigned i = 0; i < res->nread; i++) {
        bool leaf = i + 1 == res->nread;
        if (r->mode == X86_PAGING_PAE && i == 0)
            continue;
        uint64_t v = res->entry[i] | PTE_A;
        if (leaf && acc == X86_ACC_WRITE)
            v |= PTE_D;
        if (v != res->entry[i]) {
            if (write)
                write(opaque, res->entry_pa[i], esize, top - (int)i, v);
            res->entry[i] = v;
        }
    }
    res->dirty = (res->entry[res->nread - 1] & PTE_D) != 0;
    return true;
}
