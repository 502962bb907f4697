/* Translation-table walker (suite mmu): tables are built in a host buffer standing for
 * physical memory at MEM_BASE; the read callback indexes it and counts descriptor reads. */
#include <criterion/criterion.h>
#include <string.h>
#include "mmu/walk.h"

#define MEM_BASE 0x40000000ull
#define MEM_SIZE (8u << 20)

static uint8_t mem[MEM_SIZE];
static uint64_t next_free;
static int nreads;
static uint64_t reads[64];     /* physical addresses read, in order */

static bool rd(void *opaque, uint64_t pa, int stage, int level, uint64_t *desc)
{
    (void)opaque;
    cr_assert_eq(pa & 7, 0, "unaligned descriptor read at %#llx", (unsigned long long)pa);
    if (pa < MEM_BASE || pa + 8 > MEM_BASE + MEM_SIZE)
        return false;
    memcpy(desc, mem + (pa - MEM_BASE), 8);
    if (nreads < 64)
        reads[nreads] = pa;
    nreads++;
    return true;
}

static uint64_t peek(uint64_t pa)
{
    uint64_t v;
    cr_assert(pa >= MEM_BASE && pa + 8 <= MEM_BASE + MEM_SIZE);
    memcpy(&v, mem + (pa - MEM_BASE), 8);
    return v;
}

static void poke(uint64_t pa, uint64_t v)
{
    cr_assert(pa >= MEM_BASE && pa + 8 <= MEM_BASE + MEM_SIZE);
    memcpy(mem + (pa - MEM_BASE), &v, 8);
}

static void reset(void)
{
    memset(mem, 0, sizeof mem);
    next_free = MEM_BASE;
    nreads = 0;
}

static uint64_t alloc(uint64_t size)
{
    uint64_t align = size < 0x10000 ? size : 0x10000;
    if (align < 0x1000)
        align = 0x1000;
    next_free = (next_free + align - 1) & ~(align - 1);
    uint64_t pa = next_free;
    next_free += size;
    cr_assert_leq(next_free, MEM_BASE + MEM_SIZE);
    return pa;
}

/* Geometry of one walk: granule shift, start level, input size. */
typedef struct Geo {
    unsigned g;
    int start;
    unsigned in;
} Geo;

static unsigned gshift(Geo geo, int level)
{
    return geo.g + (unsigned)(3 - level) * (geo.g - 3);
}

static uint64_t entry_addr(Geo geo, uint64_t table, int level, uint64_t ia)
{
    unsigned sh = gshift(geo, level);
    unsigned nb = level == geo.start ? geo.in - sh : geo.g - 3;
    return table + ((ia >> sh) & ((1ull << nb) - 1)) * 8;
}

static uint64_t new_root(Geo geo)
{
    unsigned nb = geo.in - gshift(geo, geo.start);
    uint64_t size = 8ull << nb;
    return alloc(size < (1ull << geo.g) ? 1ull << geo.g : size);
}

/* Map `ia` with a leaf at `level`; `leaf` holds the output address and attributes (the
 * valid/type bits are added). New table descriptors get `tbits`. `ipa_off` is added to
 * table addresses written in descriptors (tables seen through an IPA window). Returns the
 * leaf descriptor's address. */
static uint64_t map_ex(Geo geo, uint64_t root, uint64_t ia, int level, uint64_t leaf,
                       uint64_t tbits, uint64_t ipa_off)
{
    uint64_t table = root;
    for (int l = geo.start; l < level; l++) {
        uint64_t e = entry_addr(geo, table, l, ia);
        uint64_t d = peek(e);
        if (!(d & 1)) {
            d = (alloc(1ull << geo.g) + ipa_off) | 3 | tbits;
            poke(e, d);
        }
        table = (d & 0x0000fffffffff000ull & ~((1ull << geo.g) - 1)) - ipa_off;
    }
    uint64_t e = entry_addr(geo, table, level, ia);
    poke(e, leaf | (level == 3 ? 3 : 1));
    return e;
}

static uint64_t map(Geo geo, uint64_t root, uint64_t ia, int level, uint64_t leaf)
{
    return map_ex(geo, root, ia, level, leaf, 0, 0);
}

/* descriptor bits */
#define AF      (1ull << 10)
#define NG      (1ull << 11)
#define AP_RW   (0ull << 6)    /* EL1 RW, EL0 none */
#define AP_URW  (1ull << 6)    /* EL1 RW, EL0 RW */
#define AP_RO   (2ull << 6)    /* EL1 RO, EL0 none */
#define AP_URO  (3ull << 6)    /* EL1 RO, EL0 RO */
#define PXN     (1ull << 53)
#define UXN     (1ull << 54)
#define IDX(n)  ((uint64_t)(n) << 2)
#define S2_R    (1ull << 6)
#define S2_W    (1ull << 7)
#define S2_XN   (1ull << 54)
#define S2_WB   (0xfull << 2)  /* MemAttr Normal WB/WB */
#define S2_DEV  (0x0ull << 2)  /* MemAttr Device-nGnRnE */

/* idx0 Normal WB, idx1 Normal WB without write-allocate, idx2 Normal NC, idx3 Device-nGnRE */
#define MAIR_VAL 0x000000000444eeffull

/* TCR_EL1: T0SZ, TG0 (00 4K, 01 64K, 10 16K), T1SZ, TG1 (01 16K, 10 4K, 11 64K), IPS */
static uint64_t tcr(unsigned t0sz, unsigned tg0, unsigned t1sz, unsigned tg1, unsigned ips)
{
    return (uint64_t)t0sz | (uint64_t)tg0 << 14 | (uint64_t)t1sz << 16 | (uint64_t)tg1 << 30
         | (uint64_t)ips << 32;
}

static MmuS1Regime el1(uint64_t tcr_v, uint64_t ttbr0, uint64_t ttbr1)
{
    MmuS1Regime r = {
        .enabled = true, .two_ranges = true, .tcr = tcr_v, .ttbr0 = ttbr0, .ttbr1 = ttbr1,
        .mair = MAIR_VAL, .sctlr = 1,
    };
    return r;
}

static MmuResult res;
static MmuFault flt;

static bool xlate(const MmuS1Regime *s1, const MmuS2Regime *s2, uint64_t va, MmuAccess acc)
{
    memset(&res, 0x5a, sizeof res);
    memset(&flt, 0x5a, sizeof flt);
    nreads = 0;
    return mmu_translate(s1, s2, va, acc, rd, NULL, &res, &flt);
}

static void expect_fault(MmuFaultType type, int level, int stage, uint8_t fsc)
{
    cr_assert_eq(flt.type, type, "fault type %d, want %d", flt.type, type);
    cr_assert_eq(flt.level, level, "fault level %d, want %d", flt.level, level);
    cr_assert_eq(flt.stage, stage);
    cr_assert_eq(mmu_fault_status_code(&flt), fsc, "fsc %#x want %#x",
                 mmu_fault_status_code(&flt), fsc);
}

static const Geo G4K48 = { 12, 0, 48 };
static const Geo G4K39 = { 12, 1, 39 };

TestSuite(mmu, .init = reset);

Test(mmu, page_4k_48bit_four_levels)
{
    uint64_t root = new_root(G4K48);
    uint64_t va = 0x0000123456789000ull, pa = 0x0000876543210000ull;
    map(G4K48, root, va, 3, pa | AF | IDX(1));
    MmuS1Regime s1 = el1(tcr(16, 0, 16, 2, 5), root | (0x42ull << 48), 0);
    cr_assert(xlate(&s1, NULL, va + 0xabc, MMU_READ));
    cr_assert_eq(res.pa, pa + 0xabc);
    cr_assert_eq(res.ipa, pa + 0xabc);
    cr_assert_eq(res.page_mask, 0xfff);
    cr_assert_eq(res.attr, 0xee);
    cr_assert_eq(res.asid, 0x42);
    cr_assert(res.global);
    cr_assert_eq(res.perms, MMU_PERM_R | MMU_PERM_W | MMU_PERM_X);
    cr_assert_eq(nreads, 4);
    /* TTBR bits below the table alignment (CnP, bit 0, and BADDR[11:1] for a 4 KiB
     * table) are not part of the table address */
    s1.ttbr0 = root | 0xff1;
    cr_assert(xlate(&s1, NULL, va + 0xabc, MMU_READ));
    cr_assert_eq(res.pa, pa + 0xabc);
    cr_assert_eq(reads[0], root + ((va >> 39) & 0x1ff) * 8);
    /* the neighbouring page is not mapped: level 3 translation fault */
    cr_assert_not(xlate(&s1, NULL, va + 0x1000, MMU_WRITE));
    expect_fault(MMU_FAULT_TRANSLATION, 3, 1, 0x07);
    cr_assert(flt.write);
}

Test(mmu, page_4k_39bit_three_levels)
{
    uint64_t root = new_root(G4K39);
    uint64_t va = 0x0000007fdead5000ull, pa = 0x0000000080001000ull;
    map(G4K39, root, va, 3, pa | AF | IDX(2));
    MmuS1Regime s1 = el1(tcr(25, 0, 25, 2, 5), root, 0);
    cr_assert(xlate(&s1, NULL, va + 8, MMU_FETCH));
    cr_assert_eq(res.pa, pa + 8);
    cr_assert_eq(res.attr, 0x44);
    cr_assert_eq(nreads, 3);
    /* bit 39 set in a 39-bit TTBR0 range: outside, level 0 */
    cr_assert_not(xlate(&s1, NULL, va | (1ull << 39), MMU_READ));
    expect_fault(MMU_FAULT_TRANSLATION, 0, 1, 0x04);
    cr_assert_eq(nreads, 0);
}

Test(mmu, blocks_2m_and_1g)
{
    uint64_t root = new_root(G4K48);
    map(G4K48, root, 0x40000000ull, 1, 0x0000004080000000ull | AF | IDX(1));  /* 1 GiB */
    map(G4K48, root, 0x00200000ull, 2, 0x0000000123400000ull & ~0x1fffffull);
    map(G4K48, root, 0x00400000ull, 2, 0x0000000123600000ull | AF);
    MmuS1Regime s1 = el1(tcr(16, 0, 16, 2, 5), root, 0);
    cr_assert(xlate(&s1, NULL, 0x40000000ull + 0x12345678, MMU_READ));
    cr_assert_eq(res.pa, 0x0000004080000000ull + 0x12345678);
    cr_assert_eq(res.page_mask, 0x3fffffff);
    cr_assert_eq(nreads, 2);
    cr_assert(xlate(&s1, NULL, 0x00400000ull + 0x1abcde, MMU_WRITE));
    cr_assert_eq(res.pa, 0x0000000123600000ull + 0x1abcde);
    cr_assert_eq(res.page_mask, 0x1fffff);
    cr_assert_eq(res.attr, 0xff);    /* index 0 */
    cr_assert_eq(nreads, 3);
    /* 2 MiB block without AF: access flag fault at level 2 */
    cr_assert_not(xlate(&s1, NULL, 0x00200000ull, MMU_READ));
    expect_fault(MMU_FAULT_ACCESS_FLAG, 2, 1, 0x0a);
    /* a block at level 0 is invalid for 4K: translation fault level 0 */
    uint64_t l0 = entry_addr(G4K48, root, 0, 0x0000008000000000ull);
    poke(l0, 0x1 | AF);
    cr_assert_not(xlate(&s1, NULL, 0x0000008000000000ull, MMU_READ));
    expect_fault(MMU_FAULT_TRANSLATION, 0, 1, 0x04);
}

Test(mmu, granule_64k_42bit)
{
    Geo g = { 16, 2, 42 };
    uint64_t root = new_root(g);
    uint64_t va = 0x000003ffe1230000ull;
    map(g, root, va, 3, 0x0000000abcde0000ull | AF);
    map(g, root, 0x20000000ull, 2, 0x0000001200000000ull | AF);  /* 512 MiB block */
    MmuS1Regime s1 = el1(tcr(22, 1, 16, 2, 5), root, 0);
    cr_assert(xlate(&s1, NULL, va + 0xfedc, MMU_READ));
    cr_assert_eq(res.pa, 0x0000000abcde0000ull + 0xfedc);
    cr_assert_eq(res.page_mask, 0xffff);
    cr_assert_eq(nreads, 2);
    cr_assert(xlate(&s1, NULL, 0x20000000ull + 0x1234567, MMU_READ));
    cr_assert_eq(res.pa, 0x0000001200000000ull + 0x1234567);
    cr_assert_eq(res.page_mask, 0x1fffffff);
    cr_assert_eq(nreads, 1);
    /* 64K granule through TG0 = 01, 4K through TG0 = 00: same registers but TG0 = 00 walk
     * a different index, so the wrong granule must not find the page */
    s1.tcr = tcr(22, 0, 16, 2, 5);
    cr_assert_not(xlate(&s1, NULL, va, MMU_READ));
}

Test(mmu, granule_16k_47_and_48bit)
{
    Geo g47 = { 14, 1, 47 };
    uint64_t root = new_root(g47);
    uint64_t va = 0x00007abcdef24000ull;
    map(g47, root, va, 3, 0x0000000555554000ull | AF);
    map(g47, root, 0x02000000ull, 2, 0x0000000066000000ull | AF);  /* 32 MiB block */
    MmuS1Regime s1 = el1(tcr(17, 2, 16, 2, 5), root, 0);
    cr_assert(xlate(&s1, NULL, va + 0x3ff8, MMU_READ));
    cr_assert_eq(res.pa, 0x0000000555554000ull + 0x3ff8);
    cr_assert_eq(res.page_mask, 0x3fff);
    cr_assert_eq(nreads, 3);
    cr_assert(xlate(&s1, NULL, 0x02000000ull + 0x1fffff0, MMU_READ));
    cr_assert_eq(res.pa, 0x0000000066000000ull + 0x1fffff0);
    cr_assert_eq(res.page_mask, 0x1ffffff);

    /* 48-bit: level 0 table with 2 entries, VA[47] picks the entry */
    Geo g48 = { 14, 0, 48 };
    uint64_t root48 = new_root(g48);
    uint64_t va48 = 0x0000fabcdef24000ull;
    map(g48, root48, va48, 3, 0x0000000777774000ull | AF);
    s1 = el1(tcr(16, 2, 16, 2, 5), root48, 0);
    cr_assert(xlate(&s1, NULL, va48 + 4, MMU_READ));
    cr_assert_eq(res.pa, 0x0000000777774000ull + 4);
    cr_assert_eq(nreads, 4);
    cr_assert_not(xlate(&s1, NULL, va48 & ~(1ull << 47), MMU_READ));
    expect_fault(MMU_FAULT_TRANSLATION, 0, 1, 0x04);
    cr_assert_eq(nreads, 1);
    /* a level-1 block is not allowed with 16K: translation fault level 1 */
    uint64_t l0 = entry_addr(g48, root48, 0, va48);
    uint64_t l1 = entry_addr(g48, peek(l0) & 0xffffffffc000ull, 1, va48);
    poke(l1, 0x0000001000000000ull | AF | 1);
    cr_assert_not(xlate(&s1, NULL, va48, MMU_READ));
    expect_fault(MMU_FAULT_TRANSLATION, 1, 1, 0x05);
}

Test(mmu, ttbr1_high_addresses_and_tg1_encoding)
{
    uint64_t root0 = new_root(G4K48), root1 = new_root(G4K48);
    uint64_t va = 0xffff800012345000ull;
    map(G4K48, root1, va, 3, 0x0000000012345000ull | AF);
    map(G4K48, root0, va & 0x0000ffffffffffffull, 3, 0x0000000099999000ull | AF);
    /* TG1 = 10 is 4K (TG0 = 00 is 4K) */
    MmuS1Regime s1 = el1(tcr(16, 0, 16, 2, 5), root0, root1);
    cr_assert(xlate(&s1, NULL, va + 0x10, MMU_READ));
    cr_assert_eq(res.pa, 0x0000000012345010ull);
    cr_assert(xlate(&s1, NULL, (va & 0x0000ffffffffffffull) + 0x10, MMU_READ));
    cr_assert_eq(res.pa, 0x0000000099999010ull);
    /* tagged pointer: only with TBI1 */
    uint64_t tagged = (va & ~(0xffull << 56)) | (0x5aull << 56);
    cr_assert_not(xlate(&s1, NULL, tagged, MMU_READ));
    expect_fault(MMU_FAULT_TRANSLATION, 0, 1, 0x04);
    s1.tcr |= 1ull << 38; /* TBI1 */
    cr_assert(xlate(&s1, NULL, tagged, MMU_READ));
    cr_assert_eq(res.pa, 0x0000000012345000ull);

    /* TTBR1 with a 64K granule: TG1 = 11 (TG0's 64K is 01), 42-bit range */
    Geo g = { 16, 2, 42 };
    uint64_t r64 = new_root(g);
    uint64_t va64 = 0xfffffc0000010000ull;
    map(g, r64, va64, 3, 0x0000000044440000ull | AF);
    s1 = el1(tcr(16, 0, 22, 3, 5), root0, r64);
    cr_assert(xlate(&s1, NULL, va64 + 0x8888, MMU_READ));
    cr_assert_eq(res.pa, 0x0000000044448888ull);
    cr_assert_eq(res.page_mask, 0xffff);
    /* TG1 = 01 is 16K, not 64K: the same tables no longer translate this VA */
    s1.tcr = tcr(16, 0, 22, 1, 5);
    cr_assert_not(xlate(&s1, NULL, va64 + 0x8888, MMU_READ));
}

Test(mmu, hole_and_epd_give_level0_translation_fault)
{
    uint64_t root = new_root(G4K48);
    map(G4K48, root, 0x1000, 3, 0x2000 | AF);
    MmuS1Regime s1 = el1(tcr(16, 0, 16, 2, 5), root, root);
    static const uint64_t hole[] = {
        0x0001000000000000ull, 0x8000000000000000ull, 0xfffe000000001000ull,
        0x00ff000000001000ull,
    };
    for (size_t i = 0; i < sizeof hole / sizeof hole[0]; i++) {
        cr_assert_not(xlate(&s1, NULL, hole[i], MMU_WRITE));
        expect_fault(MMU_FAULT_TRANSLATION, 0, 1, 0x04);
        cr_assert(flt.write);
        cr_assert_eq(nreads, 0);
    }
    cr_assert(xlate(&s1, NULL, 0x1008, MMU_READ));
    cr_assert_eq(res.pa, 0x2008);
    s1.tcr |= 1ull << 7;   /* EPD0 */
    cr_assert_not(xlate(&s1, NULL, 0x1008, MMU_READ));
    expect_fault(MMU_FAULT_TRANSLATION, 0, 1, 0x04);
    cr_assert_eq(nreads, 0);
    cr_assert(xlate(&s1, NULL, 0xffff000000001008ull, MMU_READ));  /* TTBR1 unaffected */
    cr_assert_eq(res.pa, 0x2008);
    s1.tcr |= 1ull << 23;  /* EPD1 */
    cr_assert_not(xlate(&s1, NULL, 0xffff000000001008ull, MMU_READ));
    expect_fault(MMU_FAULT_TRANSLATION, 0, 1, 0x04);
}

Test(mmu, missing_entry_at_each_level)
{
    uint64_t root = new_root(G4K48);
    uint64_t va = 0x0000008040201000ull;   /* index 1 at every level */
    map(G4K48, root, va, 3, 0x0000000011111000ull | AF);
    MmuS1Regime s1 = el1(tcr(16, 0, 16, 2, 5), root, 0);
    cr_assert(xlate(&s1, NULL, va, MMU_READ));
    uint64_t e[4];
    uint64_t t = root;
    for (int l = 0; l < 4; l++) {
        e[l] = entry_addr(G4K48, t, l, va);
        t = peek(e[l]) & 0x0000fffffffff000ull;
    }
    /* level 3 reserved encoding (bit 1 clear): translation fault level 3 */
    uint64_t d3 = peek(e[3]);
    poke(e[3], d3 & ~2ull);
    cr_assert_not(xlate(&s1, NULL, va, MMU_FETCH));
    expect_fault(MMU_FAULT_TRANSLATION, 3, 1, 0x07);
    cr_assert_not(flt.write);
    poke(e[3], d3);
    for (int l = 3; l >= 0; l--) {
        uint64_t d = peek(e[l]);
        poke(e[l], d & ~1ull);
        cr_assert_not(xlate(&s1, NULL, va, MMU_READ));
        expect_fault(MMU_FAULT_TRANSLATION, l, 1, (uint8_t)(0x04 | l));
        cr_assert_eq(nreads, l + 1);
        poke(e[l], d);
    }
    cr_assert(xlate(&s1, NULL, va, MMU_READ));
    cr_assert_eq(res.pa, 0x0000000011111000ull);
}

Test(mmu, access_flag_fault)
{
    uint64_t root = new_root(G4K39);
    uint64_t e = map(G4K39, root, 0x5000, 3, 0x7000);
    MmuS1Regime s1 = el1(tcr(25, 0, 25, 2, 5), root, 0);
    cr_assert_not(xlate(&s1, NULL, 0x5000, MMU_WRITE));
    expect_fault(MMU_FAULT_ACCESS_FLAG, 3, 1, 0x0b);
    cr_assert(flt.write);
    /* access flag is checked before permissions: a read-only page without AF */
    poke(e, peek(e) | AP_RO);
    cr_assert_not(xlate(&s1, NULL, 0x5000, MMU_WRITE));
    expect_fault(MMU_FAULT_ACCESS_FLAG, 3, 1, 0x0b);
    poke(e, peek(e) | AF);
    cr_assert_not(xlate(&s1, NULL, 0x5000, MMU_WRITE));
    expect_fault(MMU_FAULT_PERMISSION, 3, 1, 0x0f);
}

/* AP[2:1] for EL1 and EL0 (Arm ARM D8.4.1 table) */
Test(mmu, ap_permissions_el1_and_el0)
{
    uint64_t root = new_root(G4K39);
    map(G4K39, root, 0x10000, 3, 0x100000 | AF | AP_RW);
    map(G4K39, root, 0x11000, 3, 0x101000 | AF | AP_URW);
    map(G4K39, root, 0x12000, 3, 0x102000 | AF | AP_RO);
    map(G4K39, root, 0x13000, 3, 0x103000 | AF | AP_URO);
    MmuS1Regime s1 = el1(tcr(25, 0, 25, 2, 5), root, 0);
    static const struct { uint64_t va; uint8_t el1, el0; } cases[] = {
        { 0x10000, MMU_PERM_R | MMU_PERM_W | MMU_PERM_X, MMU_PERM_X },
        { 0x11000, MMU_PERM_R | MMU_PERM_W, MMU_PERM_R | MMU_PERM_W | MMU_PERM_X },
        { 0x12000, MMU_PERM_R | MMU_PERM_X, MMU_PERM_X },
        { 0x13000, MMU_PERM_R | MMU_PERM_X, MMU_PERM_R | MMU_PERM_X },
    };
    for (size_t i = 0; i < 4; i++) {
        for (int el0 = 0; el0 < 2; el0++) {
            s1.el0_access = el0;
            uint8_t want = el0 ? cases[i].el0 : cases[i].el1;
            cr_assert(xlate(&s1, NULL, cases[i].va, MMU_FETCH) == !!(want & MMU_PERM_X),
                      "case %zu el0 %d fetch", i, el0);
            cr_assert(xlate(&s1, NULL, cases[i].va, MMU_READ) == !!(want & MMU_PERM_R),
                      "case %zu el0 %d read", i, el0);
            bool ok = xlate(&s1, NULL, cases[i].va + 0x18, MMU_WRITE);
            cr_assert(ok == !!(want & MMU_PERM_W), "case %zu el0 %d write", i, el0);
            if (ok) {
                cr_assert_eq(res.perms, want, "case %zu el0 %d perms %#x", i, el0, res.perms);
                cr_assert_eq(res.pa, 0x100000 + 0x1000 * i + 0x18);
            } else {
                expect_fault(MMU_FAULT_PERMISSION, 3, 1, 0x0f);
                cr_assert(flt.write);
            }
        }
    }
}

Test(mmu, pan_blocks_privileged_data_access_to_el0_pages)
{
    uint64_t root = new_root(G4K39);
    map(G4K39, root, 0x10000, 3, 0x100000 | AF | AP_URO);
    map(G4K39, root, 0x11000, 3, 0x101000 | AF | AP_RW);
    MmuS1Regime s1 = el1(tcr(25, 0, 25, 2, 5), root, 0);
    s1.pan = true;
    cr_assert_not(xlate(&s1, NULL, 0x10000, MMU_READ));
    expect_fault(MMU_FAULT_PERMISSION, 3, 1, 0x0f);
    cr_assert_not(flt.write);
    cr_assert(xlate(&s1, NULL, 0x10000, MMU_FETCH));       /* PAN never applies to fetches */
    cr_assert_eq(res.perms, MMU_PERM_X);
    cr_assert(xlate(&s1, NULL, 0x11000, MMU_WRITE));       /* not EL0-accessible */
    s1.el0_access = true;                                  /* LDTR: checked as EL0, no PAN */
    cr_assert(xlate(&s1, NULL, 0x10000, MMU_READ));
    cr_assert_eq(res.pa, 0x100000);
    s1.el0_access = false;
    s1.pan = false;
    cr_assert(xlate(&s1, NULL, 0x10000, MMU_READ));
}

Test(mmu, uxn_pxn_and_implicit_pxn_of_el0_writable)
{
    uint64_t root = new_root(G4K39);
    map(G4K39, root, 0x10000, 3, 0x100000 | AF | AP_URO | UXN);
    map(G4K39, root, 0x11000, 3, 0x101000 | AF | AP_URO | PXN);
    map(G4K39, root, 0x12000, 3, 0x102000 | AF | AP_URW);
    MmuS1Regime s1 = el1(tcr(25, 0, 25, 2, 5), root, 0);
    cr_assert(xlate(&s1, NULL, 0x10000, MMU_FETCH));
    s1.el0_access = true;
    cr_assert_not(xlate(&s1, NULL, 0x10000, MMU_FETCH));
    expect_fault(MMU_FAULT_PERMISSION, 3, 1, 0x0f);
    cr_assert_not(flt.write);
    cr_assert(xlate(&s1, NULL, 0x11000, MMU_FETCH));
    cr_assert(xlate(&s1, NULL, 0x12000, MMU_FETCH));
    s1.el0_access = false;
    cr_assert_not(xlate(&s1, NULL, 0x11000, MMU_FETCH));
    expect_fault(MMU_FAULT_PERMISSION, 3, 1, 0x0f);
    /* EL0-writable memory is never privileged-executable */
    cr_assert_not(xlate(&s1, NULL, 0x12000, MMU_FETCH));
    expect_fault(MMU_FAULT_PERMISSION, 3, 1, 0x0f);
}

Test(mmu, wxn_makes_writable_memory_execute_never)
{
    uint64_t root = new_root(G4K39);
    map(G4K39, root, 0x10000, 3, 0x100000 | AF | AP_RW);
    map(G4K39, root, 0x11000, 3, 0x101000 | AF | AP_RO);
    map(G4K39, root, 0x12000, 3, 0x102000 | AF | AP_URW);
    MmuS1Regime s1 = el1(tcr(25, 0, 25, 2, 5), root, 0);
    cr_assert(xlate(&s1, NULL, 0x10000, MMU_FETCH));
    s1.sctlr |= 1ull << 19;
    cr_assert_not(xlate(&s1, NULL, 0x10000, MMU_FETCH));
    expect_fault(MMU_FAULT_PERMISSION, 3, 1, 0x0f);
    cr_assert(xlate(&s1, NULL, 0x11000, MMU_FETCH));
    cr_assert(xlate(&s1, NULL, 0x10000, MMU_WRITE));
    cr_assert_eq(res.perms, MMU_PERM_R | MMU_PERM_W);
    s1.el0_access = true;
    cr_assert_not(xlate(&s1, NULL, 0x12000, MMU_FETCH));
    expect_fault(MMU_FAULT_PERMISSION, 3, 1, 0x0f);
}

Test(mmu, hierarchical_table_attributes)
{
    /* 39-bit 4K: level 1 table descriptors carry APTable/UXNTable/PXNTable */
    uint64_t va[5] = { 0x00000000ull, 0x40000000ull, 0x80000000ull, 0xc0000000ull, 0x100000000ull };
    uint64_t tb[5] = { 1ull << 62, 1ull << 61, 1ull << 60, 1ull << 59, 0 };
    uint64_t root = new_root(G4K39);
    for (int i = 0; i < 5; i++)
        map_ex(G4K39, root, va[i], 3, (0x200000 + 0x1000 * (uint64_t)i) | AF | AP_URW, tb[i], 0);
    MmuS1Regime s1 = el1(tcr(25, 0, 25, 2, 5), root, 0);
    /* APTable[1]: read-only below, for every EL */
    cr_assert(xlate(&s1, NULL, va[0], MMU_READ));
    cr_assert_not(xlate(&s1, NULL, va[0], MMU_WRITE));
    expect_fault(MMU_FAULT_PERMISSION, 3, 1, 0x0f);
    /* APTable[0]: no EL0 access below, EL1 still RW */
    s1.el0_access = true;
    cr_assert_not(xlate(&s1, NULL, va[1], MMU_READ));
    expect_fault(MMU_FAULT_PERMISSION, 3, 1, 0x0f);
    /* UXNTable: EL0 cannot execute below */
    cr_assert_not(xlate(&s1, NULL, va[2], MMU_FETCH));
    cr_assert(xlate(&s1, NULL, va[3], MMU_FETCH));      /* PXNTable doesn't affect EL0 */
    cr_assert(xlate(&s1, NULL, va[4], MMU_WRITE));
    cr_assert_eq(res.pa, 0x204000);
    s1.el0_access = false;
    cr_assert(xlate(&s1, NULL, va[1], MMU_WRITE));
    cr_assert_eq(res.pa, 0x201000);
    /* HPD0 (TCR_EL1[41]) disables the hierarchical controls */
    s1.tcr |= 1ull << 41;
    cr_assert(xlate(&s1, NULL, va[0], MMU_WRITE));
    s1.el0_access = true;
    cr_assert(xlate(&s1, NULL, va[1], MMU_READ));
    cr_assert(xlate(&s1, NULL, va[2], MMU_FETCH));
}

Test(mmu, address_size_faults)
{
    uint64_t root = new_root(G4K39);
    map(G4K39, root, 0x10000, 3, 0x000000ff00010000ull | AF);        /* below 40 bits */
    map(G4K39, root, 0x11000, 3, 0x0000010000011000ull | AF);        /* bit 40 */
    map(G4K39, root, 0x40000000ull, 1, 0x0000ff0000000000ull | AF);  /* 1 GiB block */
    MmuS1Regime s1 = el1(tcr(25, 0, 25, 2, 2), root, 0);             /* IPS 40 bits */
    cr_assert(xlate(&s1, NULL, 0x10000, MMU_READ));
    cr_assert_eq(res.pa, 0x000000ff00010000ull);
    cr_assert_not(xlate(&s1, NULL, 0x11000, MMU_READ));
    expect_fault(MMU_FAULT_ADDR_SIZE, 3, 1, 0x03);
    cr_assert_not(xlate(&s1, NULL, 0x40000000ull, MMU_READ));
    expect_fault(MMU_FAULT_ADDR_SIZE, 1, 1, 0x01);
    /* a table descriptor pointing above the output size: fault at that level */
    uint64_t e1 = entry_addr(G4K39, root, 1, 0x80000000ull);
    poke(e1, 0x0000100000000000ull | 3);
    cr_assert_not(xlate(&s1, NULL, 0x80000000ull, MMU_READ));
    expect_fault(MMU_FAULT_ADDR_SIZE, 1, 1, 0x01);
    cr_assert_eq(nreads, 1);
    /* IPS 48: the same block is fine */
    s1.tcr = tcr(25, 0, 25, 2, 5);
    cr_assert(xlate(&s1, NULL, 0x40000000ull + 0x10, MMU_READ));
    cr_assert_eq(res.pa, 0x0000ff0000000010ull);
    /* ... unless the implemented PA size is 44 bits (IPS above PARange acts as PARange) */
    s1.pa_bits = 44;
    cr_assert_not(xlate(&s1, NULL, 0x40000000ull, MMU_READ));
    expect_fault(MMU_FAULT_ADDR_SIZE, 1, 1, 0x01);
    /* TTBR above the output size: level 0 */
    s1.pa_bits = 0;
    s1.tcr = tcr(25, 0, 25, 2, 1);                                   /* 36 bits */
    s1.ttbr0 = 0x0000001000000000ull;
    cr_assert_not(xlate(&s1, NULL, 0x10000, MMU_READ));
    expect_fault(MMU_FAULT_ADDR_SIZE, 0, 1, 0x00);
    cr_assert_eq(nreads, 0);
}

Test(mmu, stage1_off_is_flat)
{
    MmuS1Regime s1 = el1(tcr(16, 0, 16, 2, 5), 0, 0);
    s1.enabled = false;
    cr_assert(xlate(&s1, NULL, 0x09000018ull, MMU_WRITE));
    cr_assert_eq(res.pa, 0x09000018ull);
    cr_assert_eq(res.attr, 0x00);          /* data: Device-nGnRnE */
    cr_assert_eq(res.page_mask, 0xfff);
    cr_assert_eq(nreads, 0);
    cr_assert(xlate(&s1, NULL, 0x40080000ull, MMU_FETCH));
    cr_assert_eq(res.pa, 0x40080000ull);
    cr_assert_eq(res.attr, 0x44);          /* SCTLR.I = 0: Normal non-cacheable */
    s1.sctlr |= 1u << 12;
    cr_assert(xlate(&s1, NULL, 0x40080000ull, MMU_FETCH));
    cr_assert_eq(res.attr, 0xaa);
    s1.dc = true;
    cr_assert(xlate(&s1, NULL, 0x40080000ull, MMU_READ));
    cr_assert_eq(res.attr, 0xff);
    /* TBI0: the tag is not part of the output address */
    s1.tcr |= 1ull << 37;
    cr_assert(xlate(&s1, NULL, 0x5a00000040000010ull, MMU_READ));
    cr_assert_eq(res.pa, 0x40000010ull);
    s1.tcr &= ~(1ull << 37);
    cr_assert_not(xlate(&s1, NULL, 0x5a00000040000010ull, MMU_READ));
    expect_fault(MMU_FAULT_ADDR_SIZE, 0, 1, 0x00);
    /* above the PA size: address size fault level 0 */
    s1.pa_bits = 40;
    cr_assert_not(xlate(&s1, NULL, 0x0000010000000000ull, MMU_READ));
    expect_fault(MMU_FAULT_ADDR_SIZE, 0, 1, 0x00);
}

Test(mmu, single_range_el2_regime)
{
    uint64_t root = new_root(G4K48);
    map(G4K48, root, 0x40000000ull, 3, 0x40000000ull | AF | (1ull << 6) | NG | IDX(1));
    map(G4K48, root, 0x40001000ull, 3, 0x40001000ull | AF | AP_RO | (1ull << 6));
    map(G4K48, root, 0x40002000ull, 3, 0x40002000ull | AF | UXN);
    map(G4K48, root, 0x40003000ull, 3, 0x40003000ull | AF | PXN);  /* bit 53 RES0 here */
    MmuS1Regime s1 = {
        .enabled = true, .two_ranges = false, .mair = MAIR_VAL,
        .tcr = 16 | (5ull << 16) | (1ull << 31) | (1ull << 23), .ttbr0 = root | (7ull << 48),
    };
    cr_assert(xlate(&s1, NULL, 0x40000010ull, MMU_FETCH));
    cr_assert_eq(res.pa, 0x40000010ull);
    cr_assert(res.global);                 /* nG ignored: no ASIDs in this regime */
    cr_assert_eq(res.asid, 0);
    cr_assert_eq(res.perms, MMU_PERM_R | MMU_PERM_W | MMU_PERM_X);
    cr_assert(xlate(&s1, NULL, 0x40001000ull, MMU_READ));
    cr_assert_not(xlate(&s1, NULL, 0x40001000ull, MMU_WRITE));
    expect_fault(MMU_FAULT_PERMISSION, 3, 1, 0x0f);
    cr_assert_not(xlate(&s1, NULL, 0x40002000ull, MMU_FETCH));
    expect_fault(MMU_FAULT_PERMISSION, 3, 1, 0x0f);
    cr_assert(xlate(&s1, NULL, 0x40003000ull, MMU_FETCH));
    /* no upper range */
    cr_assert_not(xlate(&s1, NULL, 0xffff000040000000ull, MMU_READ));
    expect_fault(MMU_FAULT_TRANSLATION, 0, 1, 0x04);
    /* PS lives at [18:16] here, IPS's [34:32] means nothing */
    map(G4K48, root, 0x40004000ull, 3, 0x0000000100000000ull | AF);
    cr_assert(xlate(&s1, NULL, 0x40004000ull, MMU_READ));
    cr_assert_eq(res.pa, 0x0000000100000000ull);
    s1.tcr = 16 | (0ull << 16) | (5ull << 32);       /* PS = 32 bits */
    cr_assert(xlate(&s1, NULL, 0x40000000ull, MMU_READ));
    cr_assert_not(xlate(&s1, NULL, 0x40004000ull, MMU_READ));
    expect_fault(MMU_FAULT_ADDR_SIZE, 3, 1, 0x03);
}

/* Stage 2, 4K granule, 40-bit IPA, start level 1 with 2 concatenated tables (SL0 = 1). */
static MmuS2Regime s2_40bit(uint64_t root, uint16_t vmid)
{
    MmuS2Regime s2 = {
        .enabled = true,
        .vtcr = 24 | (1ull << 6) | (0ull << 14) | (2ull << 16),
        .vttbr = root | ((uint64_t)vmid << 48),
    };
    return s2;
}

static const Geo S2G40 = { 12, 1, 40 };

static bool s2x(const MmuS2Regime *s2, uint64_t ipa, MmuAccess acc)
{
    memset(&res, 0x5a, sizeof res);
    memset(&flt, 0x5a, sizeof flt);
    nreads = 0;
    return mmu_s2_translate(s2, ipa, acc, false, rd, NULL, &res, &flt);
}

Test(mmu, stage2_concatenated_tables_40bit_ipa)
{
    uint64_t root = new_root(S2G40);
    cr_assert_eq(next_free - root, 0x2000);     /* two concatenated 4 KiB tables */
    map(S2G40, root, 0x0000008012345000ull, 3, 0x0000000076543000ull | AF | S2_R | S2_W | S2_WB);
    map(S2G40, root, 0x0000000012345000ull, 3, 0x0000000011111000ull | AF | S2_R | S2_WB);
    MmuS2Regime s2 = s2_40bit(root, 0x1ab);
    cr_assert(s2x(&s2, 0x0000008012345678ull, MMU_WRITE));
    cr_assert_eq(res.pa, 0x0000000076543678ull);
    cr_assert_eq(res.vmid, 0xab);               /* 8-bit VMID */
    cr_assert_eq(nreads, 3);
    cr_assert_eq(reads[0], root + 0x200 * 8);  /* IPA[39:30] = 0x200: second table */
    cr_assert_eq(res.attr, 0xff);
    cr_assert_eq(res.perms, MMU_PERM_R | MMU_PERM_W | MMU_PERM_X);
    cr_assert(s2x(&s2, 0x0000000012345008ull, MMU_READ));
    cr_assert_eq(res.pa, 0x0000000011111008ull);
    /* IPA beyond 40 bits: stage 2 translation fault level 0 */
    cr_assert_not(s2x(&s2, 0x0000010000000000ull, MMU_READ));
    expect_fault(MMU_FAULT_TRANSLATION, 0, 2, 0x04);
    cr_assert_eq(flt.ipa, 0x0000010000000000ull);
    cr_assert_not(flt.s1ptw);
    /* SL0 = 0 (level 2) would need 2^19 entries: inconsistent, level 0 fault */
    s2.vtcr = 24 | (0ull << 6) | (2ull << 16);
    cr_assert_not(s2x(&s2, 0x0000000012345008ull, MMU_READ));
    expect_fault(MMU_FAULT_TRANSLATION, 0, 2, 0x04);
    /* 16-bit VMID with VTCR.VS */
    s2 = s2_40bit(root, 0x1ab);
    s2.vtcr |= 1ull << 19;
    cr_assert(s2x(&s2, 0x0000000012345008ull, MMU_READ));
    cr_assert_eq(res.vmid, 0x1ab);
}

Test(mmu, stage2_sixteen_concatenated_tables)
{
    Geo g = { 12, 1, 43 };
    uint64_t root = new_root(g);
    cr_assert_eq(next_free - root, 0x10000);
    uint64_t ipa = 0x000007c0aaaaa000ull;      /* bits 42:39 = 0xf: the 16th table */
    map(g, root, ipa, 2, 0x0000000c00000000ull | AF | S2_R | S2_WB);
    MmuS2Regime s2 = { .enabled = true, .vtcr = 21 | (1ull << 6) | (5ull << 16), .vttbr = root };
    cr_assert(s2x(&s2, ipa, MMU_READ));
    cr_assert_eq(res.pa, 0x0000000c00000000ull + (ipa & 0x1fffff));
    cr_assert_eq(res.page_mask, 0x1fffff);
    cr_assert_eq(nreads, 2);
    cr_assert_eq(reads[0], root + ((ipa >> 30) & 0x3fff) * 8);
    cr_assert_eq(reads[0], root + 0xf810);     /* in the 16th table */
    /* 64K granule, SL0 = 1 (level 2), 42-bit IPA: 0x... start at level 2 directly */
    Geo g64 = { 16, 2, 42 };
    uint64_t r64 = new_root(g64);
    map(g64, r64, 0x0000020000030000ull, 3, 0x0000000000120000ull | AF | S2_R | S2_WB);
    MmuS2Regime s64 = { .enabled = true, .vtcr = 22 | (1ull << 6) | (1ull << 14) | (5ull << 16),
                        .vttbr = r64 };
    cr_assert(s2x(&s64, 0x0000020000031234ull, MMU_READ));
    cr_assert_eq(res.pa, 0x0000000000121234ull);
    cr_assert_eq(res.page_mask, 0xffff);
    /* SL0 = 3 is reserved */
    s64.vtcr |= 3ull << 6;
    cr_assert_not(s2x(&s64, 0x0000020000031234ull, MMU_READ));
    expect_fault(MMU_FAULT_TRANSLATION, 0, 2, 0x04);
}

/* Stage-1 tables live in IPA space at IPA_TABLES, which stage 2 maps to the PA window
 * (PA = IPA - IPA_OFF). */
#define IPA_OFF 0x40000000ull   /* IPA 0x80000000.. -> PA 0x40000000.. */

static void s2_map_window(uint64_t s2root)
{
    for (uint64_t off = 0; off < MEM_SIZE; off += 0x200000)
        map(S2G40, s2root, MEM_BASE + IPA_OFF + off, 2,
            (MEM_BASE + off) | AF | S2_R | S2_W | S2_WB);
}

Test(mmu, two_stage_translation)
{
    uint64_t s2root = new_root(S2G40);
    s2_map_window(s2root);
    uint64_t s1root = new_root(G4K39);
    uint64_t va = 0x0000000000a00000ull, ipa = 0x0000000123456000ull;
    map_ex(G4K39, s1root, va, 2, (ipa & ~0x1fffffull) | AF | IDX(1) | NG, 0, IPA_OFF);
    map(S2G40, s2root, ipa, 3, 0x0000000044556000ull | AF | S2_R | S2_W | S2_DEV);
    MmuS1Regime s1 = el1(tcr(25, 0, 25, 2, 5), s1root + IPA_OFF, 0x77ull << 48);
    s1.tcr |= 1ull << 22;   /* A1: ASID from TTBR1 */
    MmuS2Regime s2 = s2_40bit(s2root, 9);
    uint64_t off = ipa & 0x1fffff;
    cr_assert(xlate(&s1, &s2, va + off + 0x10, MMU_WRITE));
    cr_assert_eq(res.ipa, ipa + 0x10);
    cr_assert_eq(res.pa, 0x0000000044556010ull);
    cr_assert_eq(res.page_mask, 0xfff);          /* smaller of 2 MiB (s1) and 4 KiB (s2) */
    cr_assert_eq(res.vmid, 9);
    cr_assert_eq(res.asid, 0x77);
    cr_assert_not(res.global);
    cr_assert_eq(res.attr, 0x00);                /* stage 2 Device wins over Normal WB */
    cr_assert_eq(res.sh, 2);
    cr_assert_eq(res.perms, MMU_PERM_R | MMU_PERM_W);  /* no fetch from S2 Device */
    /* 2 stage-1 levels, each through a 2-level stage-2 walk (2 MiB blocks), then 3 for
     * the output page */
    cr_assert_eq(nreads, 2 * 2 + 2 + 3);
    cr_assert_eq(reads[2], s1root + 8 * 0);                        /* level 1, index 0 */
    cr_assert_eq(reads[5] & 0xfff, ((va + off) >> 21 & 0x1ff) * 8); /* level 2 */
    /* stage 2 of the output: not mapped -> stage 2 translation fault, not s1ptw */
    cr_assert_not(xlate(&s1, &s2, va + off + 0x1000, MMU_WRITE));
    expect_fault(MMU_FAULT_TRANSLATION, 3, 2, 0x07);
    cr_assert_not(flt.s1ptw);
    cr_assert(flt.write);
    cr_assert_eq(flt.ipa, ipa + 0x1000);
    /* a fetch from stage-2 Device memory is a stage-2 permission fault */
    cr_assert_not(xlate(&s1, &s2, va + off, MMU_FETCH));
    expect_fault(MMU_FAULT_PERMISSION, 3, 2, 0x0f);
    cr_assert_eq(flt.ipa, ipa);
    cr_assert_not(flt.write);
}

Test(mmu, stage2_fault_on_stage1_walk)
{
    uint64_t s2root = new_root(S2G40);
    s2_map_window(s2root);
    uint64_t s1root = new_root(G4K39);
    uint64_t va = 0x0000000040201000ull;
    map_ex(G4K39, s1root, va, 3, 0x5000 | AF, 0, IPA_OFF);
    /* point the level-2 table descriptor at an IPA stage 2 doesn't map */
    uint64_t e1 = entry_addr(G4K39, s1root, 1, va);
    uint64_t l2 = (peek(e1) & 0xfffffffff000ull) - IPA_OFF;
    uint64_t e2 = entry_addr(G4K39, l2, 2, va);
    poke(e2, 0x0000003300000000ull | 3);
    MmuS1Regime s1 = el1(tcr(25, 0, 25, 2, 5), s1root + IPA_OFF, 0);
    MmuS2Regime s2 = s2_40bit(s2root, 1);
    cr_assert_not(xlate(&s1, &s2, va, MMU_WRITE));
    uint64_t want_ipa = 0x0000003300000000ull + ((va >> 12) & 0x1ff) * 8;
    cr_assert_eq(flt.type, MMU_FAULT_TRANSLATION);
    cr_assert_eq(flt.stage, 2);
    cr_assert(flt.s1ptw);
    cr_assert_not(flt.write);                   /* the walk reads */
    cr_assert_eq(flt.ipa, want_ipa);
    cr_assert_eq(flt.level, 1);                 /* stage-2 level 1 entry missing */
    cr_assert_eq(mmu_fault_status_code(&flt), 0x05);
    /* the table's stage-2 page is write-only (no S2AP read): permission fault, s1ptw */
    map(S2G40, s2root, 0x0000003300000000ull, 3, (MEM_BASE + 0x700000) | AF | S2_W | S2_WB);
    cr_assert_not(xlate(&s1, &s2, va, MMU_READ));
    cr_assert_eq(flt.type, MMU_FAULT_PERMISSION);
    cr_assert(flt.s1ptw);
    cr_assert_eq(flt.stage, 2);
    cr_assert_eq(flt.level, 3);
    cr_assert_eq(flt.ipa, want_ipa);
    cr_assert_eq(mmu_fault_status_code(&flt), 0x0f);
    /* readable: the walk continues into PA 0x40700000 (empty) -> stage 1 level 3 fault */
    map(S2G40, s2root, 0x0000003300000000ull, 3, (MEM_BASE + 0x700000) | AF | S2_R | S2_WB);
    cr_assert_not(xlate(&s1, &s2, va, MMU_READ));
    expect_fault(MMU_FAULT_TRANSLATION, 3, 1, 0x07);
    cr_assert_not(flt.s1ptw);
    /* HCR_EL2.PTW: the table page as stage-2 Device memory faults the walk at stage 2 */
    map(S2G40, s2root, 0x0000003300000000ull, 3, (MEM_BASE + 0x700000) | AF | S2_R | (1ull << 2));
    cr_assert_not(xlate(&s1, &s2, va, MMU_READ));
    expect_fault(MMU_FAULT_TRANSLATION, 3, 1, 0x07);     /* PTW = 0: the walk goes on */
    s2.ptw = true;
    cr_assert_not(xlate(&s1, &s2, va, MMU_READ));
    cr_assert_eq(flt.type, MMU_FAULT_PERMISSION);
    cr_assert(flt.s1ptw);
    cr_assert_eq(flt.stage, 2);
    cr_assert_eq(flt.ipa, want_ipa);
    cr_assert_eq(mmu_fault_status_code(&flt), 0x0f);
}

Test(mmu, stage2_permissions_and_access_flag)
{
    uint64_t root = new_root(S2G40);
    map(S2G40, root, 0x10000, 3, 0x80010000ull | AF | S2_R | S2_WB);
    map(S2G40, root, 0x11000, 3, 0x80011000ull | AF | S2_R | S2_W | S2_XN | S2_WB);
    map(S2G40, root, 0x12000, 3, 0x80012000ull | S2_R | S2_W | S2_WB);
    map(S2G40, root, 0x13000, 3, 0x80013000ull | AF | S2_W | S2_WB);
    MmuS2Regime s2 = s2_40bit(root, 3);
    MmuS1Regime off = el1(0, 0, 0);
    off.enabled = false;
    cr_assert(xlate(&off, &s2, 0x10008, MMU_READ));
    cr_assert_eq(res.pa, 0x80010008ull);
    cr_assert_eq(res.perms, MMU_PERM_R | MMU_PERM_X);
    cr_assert_not(xlate(&off, &s2, 0x10008, MMU_WRITE));
    expect_fault(MMU_FAULT_PERMISSION, 3, 2, 0x0f);
    cr_assert(flt.write);
    cr_assert_not(flt.s1ptw);
    cr_assert_eq(flt.ipa, 0x10008);
    cr_assert_not(xlate(&off, &s2, 0x11000, MMU_FETCH));
    expect_fault(MMU_FAULT_PERMISSION, 3, 2, 0x0f);
    cr_assert_not(flt.write);
    cr_assert(xlate(&off, &s2, 0x11000, MMU_WRITE));
    cr_assert_not(xlate(&off, &s2, 0x12000, MMU_READ));
    expect_fault(MMU_FAULT_ACCESS_FLAG, 3, 2, 0x0b);
    cr_assert_eq(flt.ipa, 0x12000);
    /* atomic RMW on write-only memory: the read is refused, WnR = 0 */
    cr_assert_not(xlate(&off, &s2, 0x13000, MMU_RMW));
    expect_fault(MMU_FAULT_PERMISSION, 3, 2, 0x0f);
    cr_assert_not(flt.write);
    /* ... and on read-only memory the write is refused, WnR = 1 */
    cr_assert_not(xlate(&off, &s2, 0x10000, MMU_RMW));
    cr_assert(flt.write);
    /* stage 2 output above PS (40 bits): address size fault */
    map(S2G40, root, 0x14000, 3, 0x0000010000000000ull | AF | S2_R | S2_WB);
    cr_assert_not(xlate(&off, &s2, 0x14000, MMU_READ));
    expect_fault(MMU_FAULT_ADDR_SIZE, 3, 2, 0x03);
}

Test(mmu, external_abort_on_walk)
{
    uint64_t root = new_root(G4K39);
    uint64_t e = entry_addr(G4K39, root, 1, 0x40000000ull);
    poke(e, 0x0000000100000000ull | 3);           /* table outside memory */
    MmuS1Regime s1 = el1(tcr(25, 0, 25, 2, 5), root, 0);
    cr_assert_not(xlate(&s1, NULL, 0x40000000ull, MMU_WRITE));
    expect_fault(MMU_FAULT_EXTERNAL, 2, 1, 0x16);
    cr_assert(flt.write);
    s1.ttbr0 = 0x0000000200000000ull;
    cr_assert_not(xlate(&s1, NULL, 0x40000000ull, MMU_READ));
    expect_fault(MMU_FAULT_EXTERNAL, 1, 1, 0x15);
}

Test(mmu, asid_and_ng)
{
    uint64_t root = new_root(G4K39);
    map(G4K39, root, 0x1000, 3, 0x1000 | AF | NG);
    map(G4K39, root, 0x2000, 3, 0x2000 | AF);
    uint64_t t0 = root | (0xabcdull << 48), t1 = 0x1234ull << 48;
    MmuS1Regime s1 = el1(tcr(25, 0, 25, 2, 5), t0, t1);
    cr_assert(xlate(&s1, NULL, 0x1000, MMU_READ));
    cr_assert_eq(res.asid, 0xcd);               /* AS = 0: 8 bits from TTBR0 */
    cr_assert_not(res.global);
    cr_assert_eq(res.vmid, 0);
    s1.tcr |= 1ull << 36;                       /* AS = 1: 16 bits */
    cr_assert(xlate(&s1, NULL, 0x1000, MMU_READ));
    cr_assert_eq(res.asid, 0xabcd);
    s1.tcr |= 1ull << 22;                       /* A1: TTBR1's ASID */
    cr_assert(xlate(&s1, NULL, 0x2000, MMU_READ));
    cr_assert_eq(res.asid, 0x1234);
    cr_assert(res.global);
    /* VMID comes with a stage-2 regime even when stage 2 is off (TLB tagging) */
    MmuS2Regime s2 = { .enabled = false, .vttbr = 0x5566ull << 48 };
    cr_assert(xlate(&s1, &s2, 0x2000, MMU_READ));
    cr_assert_eq(res.vmid, 0x66);
    cr_assert_eq(res.pa, 0x2000);
}

Test(mmu, memory_attribute_combination)
{
    uint64_t s2root = new_root(S2G40);
    s2_map_window(s2root);
    uint64_t s1root = new_root(G4K39);
    map_ex(G4K39, s1root, 0x1000, 3, 0x10000 | AF | IDX(1), 0, IPA_OFF);  /* Normal WB */
    map_ex(G4K39, s1root, 0x2000, 3, 0x11000 | AF | IDX(2), 0, IPA_OFF);  /* Normal NC */
    map_ex(G4K39, s1root, 0x3000, 3, 0x12000 | AF | IDX(3) | (3ull << 8), 0, IPA_OFF);
    map(S2G40, s2root, 0x10000, 3, 0x10000 | AF | S2_R | (0x6ull << 2) | (3ull << 8)); /* NC/WT? */
    map(S2G40, s2root, 0x11000, 3, 0x11000 | AF | S2_R | S2_WB | (3ull << 8));
    map(S2G40, s2root, 0x12000, 3, 0x12000 | AF | S2_R | S2_WB | (3ull << 8));
    MmuS1Regime s1 = el1(tcr(25, 0, 25, 2, 5), s1root + IPA_OFF, 0);
    MmuS2Regime s2 = s2_40bit(s2root, 1);
    /* S1 WB + S2 outer NC (01), inner WT (10) */
    cr_assert(xlate(&s1, &s2, 0x1000, MMU_READ));
    cr_assert_eq(res.attr, 0x4a);
    cr_assert(xlate(&s1, &s2, 0x2000, MMU_READ));
    cr_assert_eq(res.attr, 0x44);
    cr_assert_eq(res.sh, 2);                     /* non-cacheable: outer shareable */
    cr_assert(xlate(&s1, &s2, 0x3000, MMU_READ));
    cr_assert_eq(res.attr, 0x04);                /* stage 1 Device-nGnRE kept */
    cr_assert_eq(res.sh, 2);
    s1.enabled = false;                          /* stage 1 off: data is Device-nGnRnE */
    cr_assert(xlate(&s1, &s2, 0x11000, MMU_READ));
    cr_assert_eq(res.attr, 0x00);
    s1.dc = true;
    cr_assert(xlate(&s1, &s2, 0x11000, MMU_READ));
    cr_assert_eq(res.attr, 0xff);
    cr_assert_eq(res.sh, 3);
}

Test(mmu, fault_status_codes)
{
    static const struct { MmuFaultType t; uint8_t base; } cases[] = {
        { MMU_FAULT_ADDR_SIZE, 0x00 }, { MMU_FAULT_TRANSLATION, 0x04 },
        { MMU_FAULT_ACCESS_FLAG, 0x08 }, { MMU_FAULT_PERMISSION, 0x0c },
        { MMU_FAULT_EXTERNAL, 0x14 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int l = 0; l < 4; l++) {
            MmuFault f = { .type = cases[i].t, .level = l, .stage = 1 };
            cr_assert_eq(mmu_fault_status_code(&f), cases[i].base | l);
        }
    MmuFault none = { .type = MMU_FAULT_NONE };
    cr_assert_eq(mmu_fault_status_code(&none), 0);
}

Test(mmu, fetch_from_stage1_device_memory_faults)
{
    uint64_t root = new_root(G4K39);
    map(G4K39, root, 0x10000, 3, 0x09000000ull | AF | IDX(3));   /* Device-nGnRE */
    map(G4K39, root, 0x11000, 3, 0x40000000ull | AF | IDX(1));   /* Normal WB */
    MmuS1Regime s1 = el1(tcr(25, 0, 25, 2, 5), root, 0);
    cr_assert(xlate(&s1, NULL, 0x10000, MMU_WRITE));
    cr_assert_eq(res.pa, 0x09000000ull);
    cr_assert_eq(res.attr, 0x04);
    cr_assert_eq(res.perms, MMU_PERM_R | MMU_PERM_W);
    cr_assert_not(xlate(&s1, NULL, 0x10000, MMU_FETCH));
    expect_fault(MMU_FAULT_PERMISSION, 3, 1, 0x0f);
    cr_assert(xlate(&s1, NULL, 0x11000, MMU_FETCH));
    cr_assert_eq(res.pa, 0x40000000ull);
}

Test(mmu, stage2_start_level_limits)
{
    /* 64K granule, SL0 = 2: start at level 1, allowed when PAMax >= 44 */
    Geo g = { 16, 1, 48 };
    uint64_t root = new_root(g);
    uint64_t ipa = 0x0000fc0000050000ull;
    map(g, root, ipa, 3, 0x0000000000370000ull | AF | S2_R | S2_WB);
    MmuS2Regime s2 = { .enabled = true, .vtcr = 16 | (2ull << 6) | (1ull << 14) | (5ull << 16),
                       .vttbr = root | (0xffull << 48) };
    cr_assert(s2x(&s2, ipa + 0x123, MMU_READ));
    cr_assert_eq(res.pa, 0x0000000000370123ull);
    cr_assert_eq(res.vmid, 0xff);
    cr_assert_eq(nreads, 3);
    cr_assert_eq(reads[0], root + (ipa >> 42) * 8);
    s2.pa_bits = 40;
    cr_assert_not(s2x(&s2, ipa, MMU_READ));
    expect_fault(MMU_FAULT_TRANSLATION, 0, 2, 0x04);
    /* 4K granule, SL0 = 2: level 0, 48-bit IPA */
    uint64_t root4 = new_root(G4K48);
    map(G4K48, root4, 0x0000800000001000ull, 3, 0x0000000000999000ull | AF | S2_R | S2_WB);
    MmuS2Regime s4 = { .enabled = true, .vtcr = 16 | (2ull << 6) | (5ull << 16), .vttbr = root4 };
    cr_assert(s2x(&s4, 0x0000800000001ff8ull, MMU_READ));
    cr_assert_eq(res.pa, 0x0000000000999ff8ull);
    cr_assert_eq(nreads, 4);
    /* same tables with SL0 = 1 (level 1) and 48-bit input: 2^18 entries, inconsistent */
    s4.vtcr = 16 | (1ull << 6) | (5ull << 16);
    cr_assert_not(s2x(&s4, 0x0000800000001ff8ull, MMU_READ));
    expect_fault(MMU_FAULT_TRANSLATION, 0, 2, 0x04);
    cr_assert_eq(nreads, 0);
}
