/* x86 paging walker (suite x86walk): tables built in a host buffer standing for physical
 * memory from 0; the callbacks index it, count reads and record A/D write-backs. */
#include <criterion/criterion.h>
#include <string.h>
#include "mmu/x86_walk.h"

#define MEM_SIZE (4u << 20)
#define P 1ull
#define RW 2ull
#define US 4ull
#define A (1ull << 5)
#define D (1ull << 6)
#define PS (1ull << 7)
#define G (1ull << 8)
#define XD (1ull << 63)

static uint8_t mem[MEM_SIZE];
static uint64_t next_free;
static int nreads, nwrites;

static bool rd(void *opaque, uint64_t pa, unsigned size, int level, uint64_t *v)
{
    (void)opaque;
    (void)level;
    cr_assert_eq(pa & (size - 1), 0);
    if (pa + size > MEM_SIZE)
        return false;
    *v = 0;
    memcpy(v, mem + pa, size);
    nreads++;
    return true;
}

static void wr(void *opaque, uint64_t pa, unsigned size, int level, uint64_t v)
{
    (void)opaque;
    (void)level;
    cr_assert(pa + size <= MEM_SIZE);
    memcpy(mem + pa, &v, size);
    nwrites++;
}

static uint64_t peek(uint64_t pa, unsigned size)
{
    uint64_t v = 0;
    memcpy(&v, mem + pa, size);
    return v;
}

static void poke(uint64_t pa, unsigned size, uint64_t v)
{
    memcpy(mem + pa, &v, size);
}

static void init(void)
{
    memset(mem, 0, sizeof mem);
    next_free = 0x1000;
    nreads = nwrites = 0;
}

static uint64_t table(void)
{
    uint64_t pa = next_free;
    next_free += 0x1000;
    cr_assert_leq(next_free, MEM_SIZE);
    return pa;
}

/* 4-level tables mapping va to a 4 KiB frame with leaf flags, upper levels `up`. Returns
 * the PTE's address. */
static uint64_t map4k(uint64_t cr3, uint64_t va, uint64_t frame, uint64_t up, uint64_t leaf)
{
    uint64_t t = cr3;
    for (int level = 4; level > 1; level--) {
        uint64_t ea = t + ((va >> (12 + 9 * (level - 1))) & 511) * 8;
        uint64_t e = peek(ea, 8);
        if (!(e & P)) {
            e = table() | up;
            poke(ea, 8, e);
        }
        t = e & 0xffffffffff000ull;
    }
    uint64_t ea = t + ((va >> 12) & 511) * 8;
    poke(ea, 8, frame | leaf);
    return ea;
}

static X86WalkRegime long4(uint64_t cr3)
{
    return (X86WalkRegime){ .mode = X86_PAGING_4LEVEL, .cr3 = cr3, .nxe = true, .wp = true,
                            .gbpages = true };
}

static bool tr(const X86WalkRegime *r, uint64_t va, X86Access acc, X86Priv priv,
               X86WalkResult *res, X86WalkFault *f)
{
    return x86_translate(r, va, acc, priv, rd, wr, NULL, res, f);
}

TestSuite(x86walk, .init = init);

Test(x86walk, canonical)
{
    cr_assert(x86_canonical(0x00007fffffffffffull, false));
    cr_assert(x86_canonical(0xffff800000000000ull, false));
    cr_assert_not(x86_canonical(0x0000800000000000ull, false));
    cr_assert_not(x86_canonical(0xfff0000000000000ull, false));
    cr_assert(x86_canonical(0x00ffffffffffffffull, true));
    cr_assert(x86_canonical(0x0000800000000000ull, true));
    cr_assert_not(x86_canonical(0x0100000000000000ull, true));
}

Test(x86walk, paging_off_is_identity)
{
    X86WalkRegime r = { .mode = X86_PAGING_OFF };
    X86WalkResult res;
    X86WalkFault f;
    cr_assert(tr(&r, 0x12345678, X86_ACC_WRITE, X86_PRIV_USER, &res, &f));
    cr_assert_eq(res.pa, 0x12345678);
    cr_assert_eq(res.perms, 7);
    cr_assert_eq(nreads, 0);
}

Test(x86walk, four_level_4k_and_ad_bits)
{
    uint64_t cr3 = table();
    uint64_t va = 0x00007f1234567abcull;
    uint64_t pte = map4k(cr3, va, 0x300000, P | RW | US, P | RW | US);
    X86WalkRegime r = long4(cr3);
    X86WalkResult res;
    X86WalkFault f;
    cr_assert(tr(&r, va, X86_ACC_READ, X86_PRIV_USER, &res, &f));
    cr_assert_eq(res.pa, 0x300abc);
    cr_assert_eq(res.page_mask, 0xfff);
    cr_assert_eq(res.level, 1);
    cr_assert_eq(res.nread, 4);
    cr_assert_eq(nreads, 4);
    cr_assert_eq(res.perms, 7);
    /* a read sets A at every level, not D */
    for (int i = 0; i < 4; i++)
        cr_assert(peek(res.entry_pa[i], 8) & A, "level %d A", 4 - i);
    cr_assert_not(peek(pte, 8) & D);
    cr_assert_eq(nwrites, 4);
    /* a second read writes nothing; a write sets D once */
    nwrites = 0;
    cr_assert(tr(&r, va, X86_ACC_READ, X86_PRIV_USER, &res, &f));
    cr_assert_eq(nwrites, 0);
    cr_assert(tr(&r, va, X86_ACC_WRITE, X86_PRIV_USER, &res, &f));
    cr_assert_eq(nwrites, 1);
    cr_assert(peek(pte, 8) & D);
    cr_assert(res.dirty);
}

Test(x86walk, no_ad_update_on_fault)
{
    uint64_t cr3 = table();
    uint64_t pte = map4k(cr3, 0x1000, 0x5000, P | RW, P);    /* read-only, supervisor */
    X86WalkRegime r = long4(cr3);
    X86WalkResult res;
    X86WalkFault f;
    cr_assert_not(tr(&r, 0x1000, X86_ACC_WRITE, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(nwrites, 0);
    cr_assert_not(peek(pte, 8) & A);
}

Test(x86walk, large_pages)
{
    uint64_t cr3 = table(), pdpt = table(), pd = table();
    poke(cr3, 8, pdpt | P | RW);
    poke(pdpt + 8 * 1, 8, 0x40000000ull | P | RW | PS);       /* 1 GiB at va 1 GiB */
    poke(pdpt, 8, pd | P | RW);
    poke(pd + 8 * 3, 8, 0x00600000ull | P | RW | PS | G);     /* 2 MiB at va 6 MiB */
    X86WalkRegime r = long4(cr3);
    r.pge = true;
    X86WalkResult res;
    X86WalkFault f;
    cr_assert(tr(&r, 0x40000000ull + 0x2345678, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(res.pa, 0x42345678);
    cr_assert_eq(res.page_mask, (1ull << 30) - 1);
    cr_assert_eq(res.level, 3);
    cr_assert_not(res.global);
    cr_assert(tr(&r, 0x00600000ull + 0x12345, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(res.pa, 0x612345);
    cr_assert_eq(res.page_mask, (1ull << 21) - 1);
    cr_assert_eq(res.level, 2);
    cr_assert(res.global);
    /* without 1 GiB pages PS in a PDPTE is reserved */
    r.gbpages = false;
    cr_assert_not(tr(&r, 0x40000000ull, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(f.error_code, X86_PFEC_P | X86_PFEC_RSVD);
    cr_assert_eq(f.level, 3);
}

Test(x86walk, five_level)
{
    uint64_t cr3 = table(), l4 = table(), l3 = table(), l2 = table(), l1 = table();
    uint64_t va = 0x0012345678abcdefull & ~0xfffull;      /* uses bits 56:48 */
    poke(cr3 + ((va >> 48) & 511) * 8, 8, l4 | P | RW);
    poke(l4 + ((va >> 39) & 511) * 8, 8, l3 | P | RW);
    poke(l3 + ((va >> 30) & 511) * 8, 8, l2 | P | RW);
    poke(l2 + ((va >> 21) & 511) * 8, 8, l1 | P | RW);
    poke(l1 + ((va >> 12) & 511) * 8, 8, 0x7000 | P | RW);
    X86WalkRegime r = long4(cr3 | 0x5);
    r.mode = X86_PAGING_5LEVEL;
    r.pcide = true;
    X86WalkResult res;
    X86WalkFault f;
    cr_assert(tr(&r, va | 0x123, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(res.pa, 0x7123);
    cr_assert_eq(res.nread, 5);
    cr_assert_eq(res.pcid, 5);
}

Test(x86walk, pae_paging)
{
    uint64_t pdpt = 0x2000, pd = 0x3000, pt = 0x4000;
    next_free = 0x5000;
    poke(pdpt + 8 * 2, 8, pd | P);                   /* va 0x80000000.. */
    poke(pd + 8 * 1, 8, pt | P | RW | US);           /* +2 MiB */
    poke(pt + 8 * 5, 8, 0x123000ull | P | RW | US | XD);
    poke(pd + 8 * 2, 8, 0x400000ull | P | RW | PS);  /* 2 MiB page at +4 MiB */
    X86WalkRegime r = { .mode = X86_PAGING_PAE, .cr3 = pdpt, .nxe = true, .wp = true };
    X86WalkResult res;
    X86WalkFault f;
    cr_assert(tr(&r, 0x80205456ull, X86_ACC_WRITE, X86_PRIV_USER, &res, &f));
    cr_assert_eq(res.pa, 0x123456);
    cr_assert_eq(res.perms, X86_PERM_R | X86_PERM_W);
    cr_assert_not(peek(pdpt + 16, 8) & A, "PAE PDPTEs have no accessed flag");
    cr_assert(peek(pd + 8, 8) & A);
    cr_assert(peek(pt + 40, 8) & D);
    cr_assert_not(tr(&r, 0x80205456ull, X86_ACC_FETCH, X86_PRIV_USER, &res, &f));
    cr_assert_eq(f.error_code, X86_PFEC_P | X86_PFEC_U | X86_PFEC_I);
    cr_assert(tr(&r, 0x80400000ull + 0x1234, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(res.pa, 0x401234);
    /* PDPTE reserved bits (2:1) */
    poke(pdpt + 8 * 2, 8, pd | P | RW);
    cr_assert_not(tr(&r, 0x80205456ull, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(f.error_code, X86_PFEC_P | X86_PFEC_RSVD);
    /* without NXE, XD is a reserved bit */
    poke(pdpt + 8 * 2, 8, pd | P);
    r.nxe = false;
    cr_assert_not(tr(&r, 0x80205456ull, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(f.error_code, X86_PFEC_P | X86_PFEC_RSVD);
    cr_assert_eq(f.level, 1);
}

Test(x86walk, paging_32_and_pse)
{
    uint64_t pd = table(), pt = table();
    poke(pd + 4 * 1, 4, pt | P | RW | US);                    /* va 4 MiB.. */
    poke(pt + 4 * 3, 4, 0x9000 | P | US);                     /* read-only user page */
    poke(pd + 4 * 2, 4, 0x00c00000 | (0x3ull << 13) | P | RW | PS);   /* 4 MiB, PA 3_00c00000 */
    X86WalkRegime r = { .mode = X86_PAGING_32, .cr3 = pd, .pse = true, .wp = false };
    X86WalkResult res;
    X86WalkFault f;
    cr_assert(tr(&r, 0x403777, X86_ACC_READ, X86_PRIV_USER, &res, &f));
    cr_assert_eq(res.pa, 0x9777);
    cr_assert(peek(pt + 12, 4) & A);
    cr_assert_eq(peek(pt + 12, 4) >> 32, 0, "a 4-byte entry is written as 4 bytes");
    /* supervisor writes to a read-only page with CR0.WP=0 succeed, user ones fault */
    cr_assert(tr(&r, 0x403777, X86_ACC_WRITE, X86_PRIV_SUPER, &res, &f));
    cr_assert_not(tr(&r, 0x403777, X86_ACC_WRITE, X86_PRIV_USER, &res, &f));
    cr_assert_eq(f.error_code, X86_PFEC_P | X86_PFEC_W | X86_PFEC_U);
    r.wp = true;
    cr_assert_not(tr(&r, 0x403777, X86_ACC_WRITE, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(f.error_code, X86_PFEC_P | X86_PFEC_W);
    /* 4 MiB page with PSE-36 */
    cr_assert(tr(&r, 0x812345, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(res.pa, 0x300c12345ull);
    cr_assert_eq(res.page_mask, 0x3fffff);
    /* without CR4.PSE, PS is ignored: the entry points to a page table */
    poke(pd + 4 * 2, 4, pt | P | RW | US | PS);
    r.pse = false;
    cr_assert(tr(&r, 0x803777, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(res.level, 1);
    cr_assert_eq(res.pa, 0x9777);
    /* bit 21 of a 4 MiB PDE is reserved */
    r.pse = true;
    poke(pd + 4 * 2, 4, 0x00c00000 | (1ull << 21) | P | RW | PS);
    cr_assert_not(tr(&r, 0x800000, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(f.error_code, X86_PFEC_P | X86_PFEC_RSVD);
    /* no I/D bit for a fetch fault in 32-bit paging without SMEP */
    cr_assert_not(tr(&r, 0xc00000, X86_ACC_FETCH, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(f.error_code, 0);
}

Test(x86walk, not_present_error_codes)
{
    uint64_t cr3 = table();
    X86WalkRegime r = long4(cr3);
    X86WalkResult res;
    X86WalkFault f;
    cr_assert_not(tr(&r, 0x1000, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(f.error_code, 0);
    cr_assert_eq(f.level, 4);
    cr_assert_not(tr(&r, 0x1000, X86_ACC_WRITE, X86_PRIV_USER, &res, &f));
    cr_assert_eq(f.error_code, X86_PFEC_W | X86_PFEC_U);
    cr_assert_not(tr(&r, 0x1000, X86_ACC_FETCH, X86_PRIV_USER, &res, &f));
    cr_assert_eq(f.error_code, X86_PFEC_U | X86_PFEC_I);
    /* a present PML4E with a missing PT: the walk stops at level 1 */
    map4k(cr3, 0x1000, 0x5000, P | RW, P);
    cr_assert_not(tr(&r, 0x2000, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(f.level, 1);
    cr_assert_eq(res.nread, 4);
}

Test(x86walk, user_supervisor_rules)
{
    uint64_t cr3 = table();
    map4k(cr3, 0x1000, 0x5000, P | RW | US, P | RW);          /* supervisor page */
    map4k(cr3, 0x2000, 0x6000, P | RW | US, P | RW | US);     /* user page */
    X86WalkRegime r = long4(cr3);
    X86WalkResult res;
    X86WalkFault f;
    cr_assert_not(tr(&r, 0x1000, X86_ACC_READ, X86_PRIV_USER, &res, &f));
    cr_assert_eq(f.error_code, X86_PFEC_P | X86_PFEC_U);
    cr_assert(tr(&r, 0x1000, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_not(res.user);
    cr_assert(tr(&r, 0x2000, X86_ACC_WRITE, X86_PRIV_USER, &res, &f));
    cr_assert(res.user);
    /* U/S clear at an upper level makes the page supervisor */
    uint64_t cr3b = table();
    map4k(cr3b, 0x3000, 0x7000, P | RW, P | RW | US);
    r.cr3 = cr3b;
    cr_assert_not(tr(&r, 0x3000, X86_ACC_READ, X86_PRIV_USER, &res, &f));
    /* R/W clear at an upper level makes it read-only for users */
    uint64_t cr3c = table();
    map4k(cr3c, 0x3000, 0x7000, P | US, P | RW | US);
    r.cr3 = cr3c;
    cr_assert_not(tr(&r, 0x3000, X86_ACC_WRITE, X86_PRIV_USER, &res, &f));
    cr_assert_eq(f.error_code, X86_PFEC_P | X86_PFEC_W | X86_PFEC_U);
    cr_assert_eq(res.perms, X86_PERM_R | X86_PERM_X);
}

Test(x86walk, nx)
{
    uint64_t cr3 = table();
    map4k(cr3, 0x1000, 0x5000, P | RW | US | XD, P | RW | US);   /* XD at an upper level */
    X86WalkRegime r = long4(cr3);
    X86WalkResult res;
    X86WalkFault f;
    cr_assert(tr(&r, 0x1000, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_not(tr(&r, 0x1000, X86_ACC_FETCH, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(f.error_code, X86_PFEC_P | X86_PFEC_I);
    cr_assert_eq(res.perms, X86_PERM_R | X86_PERM_W);
}

Test(x86walk, smep_smap)
{
    uint64_t cr3 = table();
    map4k(cr3, 0x2000, 0x6000, P | RW | US, P | RW | US);     /* user page */
    X86WalkRegime r = long4(cr3);
    X86WalkResult res;
    X86WalkFault f;
    cr_assert(tr(&r, 0x2000, X86_ACC_FETCH, X86_PRIV_SUPER, &res, &f));
    r.smep = true;
    cr_assert_not(tr(&r, 0x2000, X86_ACC_FETCH, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(f.error_code, X86_PFEC_P | X86_PFEC_I);
    cr_assert(tr(&r, 0x2000, X86_ACC_FETCH, X86_PRIV_USER, &res, &f));
    cr_assert(tr(&r, 0x2000, X86_ACC_WRITE, X86_PRIV_SUPER, &res, &f));
    r.smap = true;
    cr_assert_not(tr(&r, 0x2000, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(f.error_code, X86_PFEC_P);
    cr_assert_not(tr(&r, 0x2000, X86_ACC_WRITE, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(f.error_code, X86_PFEC_P | X86_PFEC_W);
    /* RFLAGS.AC lets explicit supervisor accesses through, not implicit ones */
    r.ac = true;
    cr_assert(tr(&r, 0x2000, X86_ACC_WRITE, X86_PRIV_SUPER, &res, &f));
    cr_assert_not(tr(&r, 0x2000, X86_ACC_READ, X86_PRIV_IMPLICIT, &res, &f));
    cr_assert_eq(f.error_code, X86_PFEC_P, "an implicit supervisor access has U/S clear");
    cr_assert(tr(&r, 0x2000, X86_ACC_READ, X86_PRIV_USER, &res, &f));
}

Test(x86walk, reserved_bits)
{
    uint64_t cr3 = table();
    uint64_t pte = map4k(cr3, 0x1000, 0x5000, P | RW, P | RW);
    X86WalkRegime r = long4(cr3);
    X86WalkResult res;
    X86WalkFault f;
    /* an address bit past MAXPHYADDR (40) */
    poke(pte, 8, (1ull << 45) | 0x5000 | P | RW);
    cr_assert_not(tr(&r, 0x1000, X86_ACC_WRITE, X86_PRIV_USER, &res, &f));
    cr_assert_eq(f.error_code, X86_PFEC_P | X86_PFEC_RSVD | X86_PFEC_W | X86_PFEC_U);
    cr_assert_eq(f.level, 1);
    /* with MAXPHYADDR 46 the same bit is an address bit */
    r.pa_bits = 46;
    cr_assert(tr(&r, 0x1000, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(res.pa, (1ull << 45) | 0x5000);
    r.pa_bits = 0;
    /* PS in a PML4E */
    poke(cr3, 8, peek(cr3, 8) | PS);
    cr_assert_not(tr(&r, 0x1000, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(f.error_code, X86_PFEC_P | X86_PFEC_RSVD);
    cr_assert_eq(f.level, 4);
    /* a 2 MiB PDE with bits 20:13 set */
    uint64_t cr3b = table(), pdpt = table(), pd = table();
    poke(cr3b, 8, pdpt | P | RW);
    poke(pdpt, 8, pd | P | RW);
    poke(pd, 8, 0x200000 | (1ull << 13) | P | RW | PS);
    r.cr3 = cr3b;
    cr_assert_not(tr(&r, 0x1000, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(f.error_code, X86_PFEC_P | X86_PFEC_RSVD);
    cr_assert_eq(f.level, 2);
    /* XD without NXE */
    poke(pd, 8, 0x200000 | XD | P | RW | PS);
    r.nxe = false;
    cr_assert_not(tr(&r, 0x1000, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(f.error_code, X86_PFEC_P | X86_PFEC_RSVD);
    r.nxe = true;
    cr_assert(tr(&r, 0x1000, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
}

Test(x86walk, pcid_tag_and_read_failure)
{
    uint64_t cr3 = table();
    map4k(cr3, 0x1000, 0x5000, P | RW, P | RW);
    X86WalkRegime r = long4(cr3 | 0x2a);
    X86WalkResult res;
    X86WalkFault f;
    cr_assert(tr(&r, 0x1000, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(res.pcid, 0, "no PCID without CR4.PCIDE");
    r.pcide = true;
    cr_assert(tr(&r, 0x1000, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(res.pcid, 0x2a);
    /* a table outside memory: not present */
    r.cr3 = 0x100000000ull;
    cr_assert_not(tr(&r, 0x1000, X86_ACC_READ, X86_PRIV_SUPER, &res, &f));
    cr_assert_eq(f.error_code, 0);
}
