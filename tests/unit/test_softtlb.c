/* Soft TLB bookkeeping (suite softtlb): the per-bucket count of write entries that lets
 * softtlb_flush_write_host return without a scan must stay exact under every change of the
 * write entries, or a store to a page whose code was decoded (or that another core's
 * exclusive monitor watches) would keep its fast path. */
#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>
#include "mmu/softtlb.h"

static void check_counts(const SoftTlb *t)
{
    unsigned want[SOFTTLB_WHASH] = { 0 };
    for (int i = 0; i < SOFTTLB_SIZE; i++)
        if (t->w[i].tag != SOFTTLB_INVALID)
            want[((t->w[i].addend + t->w[i].tag) >> 12) & (SOFTTLB_WHASH - 1)]++;
    for (int b = 0; b < SOFTTLB_WHASH; b++)
        cr_assert_eq(t->wcount[b], want[b], "bucket %d counts %u write entries, holds %u", b,
                     t->wcount[b], want[b]);
}

/* Whether a valid entry tagged tag, a piece of a mapping of 4 KiB << order, maps va. */
static bool covers(uint64_t tag, uint8_t order, uint64_t va)
{
    uint64_t size = UINT64_C(0x1000) << order;
    return tag != SOFTTLB_INVALID && (tag & 0x00ffffffffffffffULL & ~(size - 1)) ==
                                         (va & 0x00ffffffffffffffULL & ~(size - 1));
}

static bool has_write_to(const SoftTlb *t, const uint8_t *host_page)
{
    for (int i = 0; i < SOFTTLB_SIZE; i++)
        if (t->w[i].tag != SOFTTLB_INVALID &&
            (const uint8_t *)(t->w[i].addend + t->w[i].tag) == host_page)
            return true;
    return false;
}

Test(softtlb, write_counts_stay_exact_under_every_change)
{
    static SoftTlb t;
    static uint8_t ram[64 << 12] __attribute__((aligned(4096)));
    softtlb_flush(&t);
    GRand *rng = g_rand_new_with_seed(12345);
    for (int step = 0; step < 200000; step++) {
        /* VAs from both halves, so flush_lower has something to keep; a few hundred pages,
         * so fills replace valid entries; 64 host pages, so several VAs alias one */
        uint64_t va = ((uint64_t)g_rand_int_range(rng, 0, 600) << 12) |
                      (g_rand_boolean(rng) ? 0xffff000000000000ULL : 0);
        uint8_t *host = ram + ((size_t)g_rand_int_range(rng, 0, 64) << 12);
        switch (g_rand_int_range(rng, 0, 100)) {
        case 0:
            softtlb_flush(&t);
            break;
        case 1:
            softtlb_flush_writes(&t);
            break;
        case 2: case 3:
            softtlb_flush_lower(&t);
            break;
        case 4: case 5: case 6: case 7:
            softtlb_flush_va(&t, va);
            for (int i = 0; i < SOFTTLB_SIZE; i++)
                cr_assert(!covers(t.w[i].tag, t.worder[i], va) &&
                          !covers(t.r[i].tag, t.rorder[i], va),
                          "an entry of the mapping holding the TLBI's VA survived");
            break;
        case 8: case 9: case 10: case 11:
            softtlb_flush_write_host(&t, host);
            cr_assert(!has_write_to(&t, host), "a write entry to the flushed page survived");
            break;
        default: {
            uint8_t order = g_rand_int_range(rng, 0, 8) ? 0 : 9;     /* some 2 MiB blocks */
            softtlb_fill_write(&t, va, host, order);
            softtlb_fill_read(&t, va, host, order, true);
            break;
        }
        }
        if (step % 97 == 0)
            check_counts(&t);
    }
    /* the top of the VA space: a TLBI there must not count an invalid entry as dropped */
    softtlb_flush(&t);
    softtlb_fill_write(&t, 0x1000, ram, 0);
    softtlb_flush_va(&t, 0xfffffffffffff000ULL);
    check_counts(&t);
    softtlb_flush_write_host(&t, ram);
    cr_assert(!has_write_to(&t, ram));
    check_counts(&t);
    g_rand_free(rng);
}

/* A TLBI by VA drops every 4 KiB piece of the stage-1 block that holds the VA (in all three
 * kinds of entry), and only those: pieces of a neighbouring block and 4 KiB pages stay. */
Test(softtlb, flush_va_drops_the_whole_block_the_va_falls_in)
{
    static SoftTlb t;
    static uint8_t ram[4 << 12] __attribute__((aligned(4096)));
    softtlb_flush(&t);
    const uint64_t blk = 0xffff000040200000ULL, next = blk + 0x200000;
    softtlb_fill_read(&t, blk + 0x3000, ram, 9, false);
    softtlb_fill_write(&t, blk + 0x1ff000, ram + 4096, 9);
    softtlb_fill_fetch(&t, blk + 0x10000, 0x40010000, 9);
    softtlb_fill_read(&t, next + 0x4000, ram, 9, false);          /* the next block */
    softtlb_fill_read(&t, 0x7000, ram + 8192, 0, false);          /* a page elsewhere */
    softtlb_flush_va(&t, blk + 0x155000);                  /* a VA inside the first block */
    cr_expect_eq(t.r[(blk + 0x3000) >> 12 & 255].tag, SOFTTLB_INVALID);
    cr_expect_eq(t.w[(blk + 0x1ff000) >> 12 & 255].tag, SOFTTLB_INVALID);
    cr_expect_eq(t.x[(blk + 0x10000) >> 12 & 255].tag, SOFTTLB_INVALID);
    cr_expect_eq(t.r[(next + 0x4000) >> 12 & 255].tag, next + 0x4000);
    cr_expect_eq(t.r[7].tag, 0x7000);
    check_counts(&t);
    /* the top byte is not part of the comparison (TLBI's VA[55:12]) */
    softtlb_flush_va(&t, (next & 0x00ffffffffffffffULL) + 0x1000);
    cr_expect_eq(t.r[(next + 0x4000) >> 12 & 255].tag, SOFTTLB_INVALID);
    cr_expect_eq(t.r[7].tag, 0x7000);
}
