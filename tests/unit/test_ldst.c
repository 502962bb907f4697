/* Loads and stores (suite ldst) and exclusives / ordered / atomics (suite atomic).
 * Registers are set directly in C; encodings come from aarch64-linux-gnu-as. */
#include <criterion/criterion.h>
#include <string.h>
#include "core/bus.h"
#include "cpu/arm64/sysreg.h"
#include "harness.h"

#define DATA (TH_RAM_BASE + 0x10000)     /* scratch data area, away from the code */
#define JUNK 0xdeadbeefcafef00dULL       /* pre-set destination registers with this */

static void put64(TH *t, uint64_t pa, uint64_t v) { memcpy(th_ram(t, pa), &v, 8); }
static uint64_t get64(TH *t, uint64_t pa) { uint64_t v; memcpy(&v, th_ram(t, pa), 8); return v; }
static uint32_t get32(TH *t, uint64_t pa) { uint32_t v; memcpy(&v, th_ram(t, pa), 4); return v; }
static uint16_t get16(TH *t, uint64_t pa) { uint16_t v; memcpy(&v, th_ram(t, pa), 2); return v; }

static void junk_regs(TH *t, int from, int to)
{
    for (int i = from; i <= to; i++)
        t->c->x[i] = JUNK + (uint64_t)i;
}

#define X(n) (t->c->x[n])
#define EQ(a, b) cr_assert_eq((uint64_t)(a), (uint64_t)(b), "%s = 0x%llx, want 0x%llx", #a, \
                              (unsigned long long)(a), (unsigned long long)(b))
#define RUN_OK(code) cr_assert_eq(th_run(t, code, sizeof code / sizeof code[0]), 0, "%s", t->m->stop_msg)

/* ======================================================================================== */

Test(ldst, unsigned_offset_sizes_and_extension)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0x39400001, /* ldrb w1, [x0] */
        0x79400002, /* ldrh w2, [x0] */
        0xb9400003, /* ldr w3, [x0] */
        0xf9400004, /* ldr x4, [x0] */
        0x39c00005, /* ldrsb w5, [x0] */
        0x39800006, /* ldrsb x6, [x0] */
        0x79c00007, /* ldrsh w7, [x0] */
        0x79800008, /* ldrsh x8, [x0] */
        0xb9800009, /* ldrsw x9, [x0] */
        0xf940040a, /* ldr x10, [x0, #8] */
        0x7940040b, /* ldrh w11, [x0, #2] */
        0x39c0040c, /* ldrsb w12, [x0, #1] */
        0xb94ffc0d, /* ldr w13, [x0, #4092] */
        0xf97ffc0e, /* ldr x14, [x0, #32760] */
    };
    put64(t, DATA, 0xf1e2d3c4b5a69788ULL);
    put64(t, DATA + 8, 0x0123456789abcdefULL);
    put64(t, DATA + 4088, 0x8877665544332211ULL);
    put64(t, DATA + 32760, 0x1122334455667788ULL);
    junk_regs(t, 1, 14);
    X(0) = DATA;
    RUN_OK(code);
    EQ(X(1), 0x88);
    EQ(X(2), 0x9788);
    EQ(X(3), 0xb5a69788);
    EQ(X(4), 0xf1e2d3c4b5a69788ULL);
    EQ(X(5), 0xffffff88);
    EQ(X(6), 0xffffffffffffff88ULL);
    EQ(X(7), 0xffff9788);
    EQ(X(8), 0xffffffffffff9788ULL);
    EQ(X(9), 0xffffffffb5a69788ULL);
    EQ(X(10), 0x0123456789abcdefULL);
    EQ(X(11), 0xb5a6);
    EQ(X(12), 0xffffff97);
    EQ(X(13), 0x88776655);
    EQ(X(14), 0x1122334455667788ULL);
    EQ(X(0), DATA);
    th_free(t);
}

Test(ldst, sign_extension_of_positive_values)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0x39c00005, /* ldrsb w5, [x0] */
        0x39800006, /* ldrsb x6, [x0] */
        0x79c00007, /* ldrsh w7, [x0] */
        0x79800008, /* ldrsh x8, [x0] */
        0xb9800009, /* ldrsw x9, [x0] */
    };
    put64(t, DATA, 0x7f6e5d4c3b2a1978ULL);
    junk_regs(t, 5, 9);
    X(0) = DATA;
    RUN_OK(code);
    EQ(X(5), 0x78);
    EQ(X(6), 0x78);
    EQ(X(7), 0x1978);
    EQ(X(8), 0x1978);
    EQ(X(9), 0x3b2a1978);
    th_free(t);
}

/* DC ZVA zeroes the aligned 64-byte block holding Xt (DCZID_EL0.BS = 4) and nothing else,
 * on the first access to a page (full store path) and through the write entry it leaves; a
 * block that is already zero stays zero (the store is skipped, not the semantics). */
Test(ldst, dc_zva_zeroes_exactly_its_block)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0xd50b7420, /* dc zva, x0 */
        0xd50b7421, /* dc zva, x1 */
        0xd50b7422, /* dc zva, x2 */
        0xd50b7423, /* dc zva, x3 */
    };
    for (uint64_t off = 0; off < 0x2000; off += 8)
        put64(t, DATA + off, 0x0101010101010101ULL * (1 + (off >> 6) % 255));
    memset(th_ram(t, DATA + 0x1100), 0, 64);      /* a block that is zero already */
    X(0) = DATA + 0x13;                           /* first store to the page: slow path */
    X(1) = DATA + 0xbf;                           /* same page: the write entry */
    X(2) = DATA + 0x1100 + 0x21;
    X(3) = DATA + 0x2000 - 1;                     /* the page's last block */
    RUN_OK(code);
    uint64_t zeroed[] = { DATA, DATA + 0x80, DATA + 0x1100, DATA + 0x1fc0 };
    for (uint64_t off = 0; off < 0x2000; off += 8) {
        bool in = false;
        for (size_t k = 0; k < 4; k++)
            in |= DATA + off >= zeroed[k] && DATA + off < zeroed[k] + 64;
        uint64_t want = in ? 0 : 0x0101010101010101ULL * (1 + (off >> 6) % 255);
        cr_assert_eq(get64(t, DATA + off), want, "offset %#llx: %#llx, want %#llx",
                     (unsigned long long)off, (unsigned long long)get64(t, DATA + off),
                     (unsigned long long)want);
    }
    th_free(t);
}

/* DC ZVA into RAM nothing ever wrote stores nothing and leaves the page unwritten (it reads
 * as zeros all the same); a store makes the page written, and DC ZVA then zeroes it. */
Test(ldst, dc_zva_of_never_written_ram)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0xd50b7420, /* dc zva, x0 */
        0xd50b7421, /* dc zva, x1 */
        0xf9400022, /* ldr x2, [x1] */
        0xf9000023, /* str x3, [x1] */
        0xd50b7421, /* dc zva, x1 */
        0xf9400024, /* ldr x4, [x1] */
    };
    const uint64_t fresh = TH_RAM_BASE + 0x200000;    /* pages no one wrote */
    X(0) = fresh;
    X(1) = fresh + 0x1040;
    X(3) = 0x1234;
    X(2) = X(4) = JUNK;
    RUN_OK(code);
    EQ(X(2), 0);
    EQ(X(4), 0);
    cr_expect_eq(t->m->ram_touched[(fresh - TH_RAM_BASE) >> 12], 0, "DC ZVA wrote a zero page");
    cr_expect_eq(t->m->ram_touched[(fresh + 0x1000 - TH_RAM_BASE) >> 12], 1,
                 "the store's page is not marked written");
    th_free(t);
}

Test(ldst, stores_each_size_touch_only_their_bytes)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0x39000401, /* strb w1, [x0, #1] */
        0x79000802, /* strh w2, [x0, #4] */
        0xb9000803, /* str w3, [x0, #8] */
        0xf9000804, /* str x4, [x0, #16] */
    };
    memset(th_ram(t, DATA), 0xaa, 32);
    X(0) = DATA;
    X(1) = 0x1111111111111101ULL;
    X(2) = 0x2222222222220202ULL;
    X(3) = 0x3333333303030303ULL;
    X(4) = 0x0404040404040404ULL;
    RUN_OK(code);
    EQ(get64(t, DATA), 0xaaaa0202aaaa01aaULL);
    EQ(get64(t, DATA + 8), 0xaaaaaaaa03030303ULL);
    EQ(get64(t, DATA + 16), 0x0404040404040404ULL);
    EQ(get64(t, DATA + 24), 0xaaaaaaaaaaaaaaaaULL);
    th_free(t);
}

Test(ldst, unscaled_offsets_and_unaligned)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0xf85f8001, /* ldur x1, [x0, #-8] */
        0xb8403002, /* ldur w2, [x0, #3] */
        0x789ff003, /* ldursh x3, [x0, #-1] */
        0x38cff004, /* ldursb w4, [x0, #255] */
        0xf8100005, /* stur x5, [x0, #-256] */
        0x78001006, /* sturh w6, [x0, #1] */
        0x38500007, /* ldurb w7, [x0, #-256] */
        0xb89fc008, /* ldursw x8, [x0, #-4] */
    };
    uint64_t b = DATA + 0x400;
    put64(t, b - 8, 0x8000000000000001ULL);
    put64(t, b, 0x7766554433221100ULL);
    *th_ram(t, b + 255) = 0x90;
    junk_regs(t, 1, 8);
    X(0) = b;
    X(5) = 0x0123456789abcdefULL;
    X(6) = 0xffffffffffff5aa5ULL;
    RUN_OK(code);
    EQ(X(1), 0x8000000000000001ULL);
    EQ(X(2), 0x66554433);
    EQ(X(3), 0x0080);            /* bytes 0x80 (b-1) and 0x00 (b): 0x0080, positive */
    EQ(X(4), 0xffffff90);
    EQ(get64(t, b - 256), 0x0123456789abcdefULL);
    EQ(get64(t, b), 0x77665544335aa500ULL);
    EQ(X(7), 0xef);
    EQ(X(8), 0xffffffff80000000ULL);
    th_free(t);
}

Test(ldst, pre_and_post_index_writeback)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0xf8408c01, /* ldr x1, [x0, #8]! */
        0xf8410402, /* ldr x2, [x0], #16 */
        0x78dfec03, /* ldrsh w3, [x0, #-2]! */
        0xb81fcca4, /* str w4, [x5, #-4]! */
        0x381ff4e6, /* strb w6, [x7], #-1 */
        0xb88ff528, /* ldrsw x8, [x9], #255 */
        0xb8500d6a, /* ldr w10, [x11, #-256]! */
    };
    put64(t, DATA + 8, 0x1111);
    put64(t, DATA + 16, 0x8000222233334444ULL);
    X(0) = DATA;
    X(4) = 0x44444444;
    X(5) = DATA + 0x104;
    X(6) = 0x66;
    X(7) = DATA + 0x200;
    X(9) = DATA + 16;
    X(11) = DATA + 0x110;
    put64(t, DATA + 0x10, 0x8000222233334444ULL);
    junk_regs(t, 1, 3);
    RUN_OK(code);
    EQ(X(1), 0x1111);
    EQ(X(2), 0x1111);            /* post-index: loads from the old base (DATA + 8) */
    EQ(X(0), DATA + 22);         /* +8, +16, -2 */
    EQ(X(3), 0xffff8000);        /* halfword at DATA + 22 */
    EQ(get32(t, DATA + 0x100), 0x44444444);
    EQ(X(5), DATA + 0x100);
    EQ(*th_ram(t, DATA + 0x200), 0x66);
    EQ(X(7), DATA + 0x1ff);
    EQ(X(8), 0x33334444);
    EQ(X(9), DATA + 16 + 255);
    EQ(X(10), 0x33334444);
    EQ(X(11), DATA + 0x10);
    th_free(t);
}

/* Rn == Rt with writeback is CONSTRAINED UNPREDICTABLE; we follow QEMU: for loads the
 * written-back address wins, stores store the old register value. */
Test(ldst, writeback_with_rn_equal_rt_follows_qemu)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0xf8408400, /* ldr x0, [x0], #8 */
        0xf8008421, /* str x1, [x1], #8 */
        0xf8410c42, /* ldr x2, [x2, #16]! */
        0xa8c11063, /* ldp x3, x4, [x3], #16 */
        0xa94014c5, /* ldp x5, x5, [x6] */
    };
    put64(t, DATA, 0x1111);
    put64(t, DATA + 8, 0x2222);
    put64(t, DATA + 16, 0x3333);
    X(0) = DATA;
    X(1) = DATA + 0x100;
    X(2) = DATA;
    X(3) = DATA;
    X(6) = DATA;
    RUN_OK(code);
    EQ(X(0), DATA + 8);
    EQ(get64(t, DATA + 0x100), DATA + 0x100);
    EQ(X(1), DATA + 0x108);
    EQ(X(2), DATA + 16);
    EQ(X(3), DATA + 16);
    EQ(X(4), 0x2222);
    EQ(X(5), 0x1111);            /* Rt == Rt2: Rt gets the first value, as in QEMU */
    th_free(t);
}

Test(ldst, sp_as_base)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0xf94007e1, /* ldr x1, [sp, #8] */
        0xf81f0fe2, /* str x2, [sp, #-16]! */
        0xa9bf13e3, /* stp x3, x4, [sp, #-16]! */
        0xa8c11be5, /* ldp x5, x6, [sp], #16 */
        0xf84107e7, /* ldr x7, [sp], #16 */
        0xb8696be8, /* ldr w8, [sp, x9] */
    };
    uint64_t sp = DATA + 0x800;
    X(A64_SP) = sp;
    put64(t, sp + 8, 0xabcdef);
    put64(t, sp + 16, 0x12345678);
    X(2) = 0x2222;
    X(3) = 0x3333;
    X(4) = 0x4444;
    X(9) = 16;
    RUN_OK(code);
    EQ(X(1), 0xabcdef);
    EQ(get64(t, sp - 16), 0x2222);
    EQ(get64(t, sp - 32), 0x3333);
    EQ(get64(t, sp - 24), 0x4444);
    EQ(X(5), 0x3333);
    EQ(X(6), 0x4444);
    EQ(X(7), 0x2222);
    EQ(X(A64_SP), sp);
    EQ(X(8), 0x12345678);
    th_free(t);
}

Test(ldst, xzr_load_discards_and_store_writes_zero)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0xf940001f, /* ldr xzr, [x0] */
        0xb8408c1f, /* ldr wzr, [x0, #8]! */
        0xf900003f, /* str xzr, [x1] */
        0x7900103f, /* strh wzr, [x1, #8] */
        0xa9017c3f, /* stp xzr, xzr, [x1, #16] */
        0xa940081f, /* ldp xzr, x2, [x0] */
    };
    put64(t, DATA, 0x1234);
    put64(t, DATA + 8, 0x5678);
    put64(t, DATA + 16, 0x9abc);
    memset(th_ram(t, DATA + 0x100), 0xff, 32);
    X(0) = DATA;
    X(1) = DATA + 0x100;
    uint64_t sp = X(A64_SP);
    RUN_OK(code);
    EQ(X(A64_ZR), 0);
    EQ(X(A64_SP), sp);
    EQ(X(0), DATA + 8);
    EQ(get64(t, DATA + 0x100), 0);
    EQ(get64(t, DATA + 0x108), 0xffffffffffff0000ULL);
    EQ(get64(t, DATA + 0x110), 0);
    EQ(get64(t, DATA + 0x118), 0);
    EQ(X(2), 0x9abc);
    th_free(t);
}

Test(ldst, register_offset_extends)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0xf8627801, /* ldr x1, [x0, x2, lsl #3] */
        0xf8645803, /* ldr x3, [x0, w4, uxtw #3] */
        0xf866d805, /* ldr x5, [x0, w6, sxtw #3] */
        0xf868f807, /* ldr x7, [x0, x8, sxtx #3] */
        0x786a7809, /* ldrh w9, [x0, x10, lsl #1] */
        0x386c680b, /* ldrb w11, [x0, x12] */
        0xb8ae780d, /* ldrsw x13, [x0, x14, lsl #2] */
        0xf870680f, /* ldr x15, [x0, x16] */
        0xb872c811, /* ldr w17, [x0, w18, sxtw] */
        0x78347813, /* strh w19, [x0, x20, lsl #1] */
        0xf8364815, /* str x21, [x0, w22, uxtw] */
        0x38b8d817, /* ldrsb x23, [x0, w24, sxtw #0] */
        0x387a7819, /* ldrb w25, [x0, x26, lsl #0] */
    };
    uint64_t b = DATA + 0x1000;
    for (int i = -4; i < 8; i++)
        put64(t, b + 8 * i, 0x1000 + (uint64_t)(i + 4));
    put64(t, b + 0x40, 0x8070605040302010ULL);
    X(0) = b;
    X(2) = 2;
    X(4) = 0xffffffff00000003ULL;    /* UXTW uses the low word only */
    X(6) = 0x00000000ffffffffULL;    /* SXTW: -1 */
    X(8) = (uint64_t)-2;             /* SXTX: -2 */
    X(10) = 0x20;                    /* halfword index 0x20 -> b + 0x40 */
    X(12) = 0x47;
    X(14) = 0x11;                    /* word index 0x11 -> b + 0x44 */
    X(16) = 0x3;                     /* unscaled: b + 3 */
    X(18) = 0xfffffff8;              /* sxtw, no shift: b - 8 */
    X(19) = 0xbeef;
    X(20) = 0x30;                    /* -> b + 0x60 */
    X(21) = 0x5555666677778888ULL;
    X(22) = 0x100000068ULL;          /* uxtw -> b + 0x68 */
    X(24) = 0xffffffe1;              /* sxtw: b - 31 */
    *th_ram(t, b - 31) = 0xf0;
    X(26) = 0x41;
    junk_regs(t, 1, 1);
    RUN_OK(code);
    EQ(X(1), 0x1006);
    EQ(X(3), 0x1007);
    EQ(X(5), 0x1003);
    EQ(X(7), 0x1002);
    EQ(X(9), 0x2010);
    EQ(X(11), 0x80);
    EQ(X(13), 0xffffffff80706050ULL);
    EQ(X(15), 0x0010050000000000ULL); /* bytes 3..10 of the words 0x1004, 0x1005 */
    EQ(X(17), 0x1003);
    EQ(get16(t, b + 0x60), 0xbeef);
    EQ(get64(t, b + 0x68), 0x5555666677778888ULL);
    EQ(X(23), 0xfffffffffffffff0ULL);
    EQ(X(25), 0x20);
    th_free(t);
}

Test(ldst, literal_loads_and_prefetches)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0x89abcdef, /* back: .word (never executed; code starts at +4) */
        0x18000161, /* ldr w1, data */
        0x58000142, /* ldr x2, data */
        0x98000123, /* ldrsw x3, data */
        0x98ffff84, /* ldrsw x4, back */
        0x58ffff65, /* ldr x5, back */
        0xd80000c0, /* prfm pldl1keep, data */
        0xf9800413, /* prfm pstl2strm, [x0, #8] */
        0xf89ff00c, /* prfum plil3keep, [x0, #-1] */
        0xf8a17800, /* prfm pldl1keep, [x0, x1, lsl #3] */
        0xf8a1c81f, /* prfm #0x1f, [x0, w1, sxtw] */
        0xd503201f, /* nop */
        0x87654321, /* data */
        0x0fedcba9,
    };
    /* th_run starts at the first word; put the code at +4 by running from there */
    memcpy(th_ram(t, TH_RAM_BASE), code, sizeof code);
    a64_invalidate_code_page(t->m, TH_RAM_BASE);
    junk_regs(t, 1, 5);
    X(0) = 0x123;                    /* prefetches of wild addresses do nothing */
    t->c->pc = TH_RAM_BASE + 4;
    t->m->cfg.max_insns = machine_icount(t->m) + 11;
    cr_assert_eq(machine_run(t->m), 0, "%s", t->m->stop_msg);
    EQ(t->c->pc, TH_RAM_BASE + 48);
    EQ(X(1), 0x87654321);
    EQ(X(2), 0x0fedcba987654321ULL);
    EQ(X(3), 0xffffffff87654321ULL);
    EQ(X(4), 0xffffffff89abcdefULL);
    EQ(X(5), 0x1800016189abcdefULL);
    EQ(X(0), 0x123);
    th_free(t);
}

Test(ldst, pairs_all_forms)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0x29400801, /* ldp w1, w2, [x0] */
        0xa9409003, /* ldp x3, x4, [x0, #8] */
        0x69401805, /* ldpsw x5, x6, [x0] */
        0x69ff2127, /* ldpsw x7, x8, [x9, #-8]! */
        0xa8ff2d8a, /* ldp x10, x11, [x12], #-16 */
        0xa841380d, /* ldnp x13, x14, [x0, #16] */
        0x2840c00f, /* ldnp w15, w16, [x0, #4] */
        0x29000a81, /* stp w1, w2, [x20] */
        0xa9809283, /* stp x3, x4, [x20, #8]! */
        0x28bf1aa5, /* stp w5, w6, [x21], #-8 */
        0xa81fa2c7, /* stnp x7, x8, [x22, #504] */
        0x28202ac9, /* stnp w9, w10, [x22, #-256] */
    };
    put64(t, DATA, 0x800000017fffffffULL);
    put64(t, DATA + 8, 0x1111111122222222ULL);
    put64(t, DATA + 16, 0x3333333344444444ULL);
    put64(t, DATA + 24, 0x5555555566666666ULL);
    junk_regs(t, 1, 16);
    X(0) = DATA;
    X(9) = DATA + 8;
    X(12) = DATA + 8;
    X(20) = DATA + 0x100;
    X(21) = DATA + 0x200;
    X(22) = DATA + 0x400;
    RUN_OK(code);
    EQ(X(1), 0x7fffffff);
    EQ(X(2), 0x80000001);
    EQ(X(3), 0x1111111122222222ULL);
    EQ(X(4), 0x3333333344444444ULL);
    EQ(X(5), 0x7fffffff);
    EQ(X(6), 0xffffffff80000001ULL);
    EQ(X(7), 0x7fffffff);
    EQ(X(8), 0xffffffff80000001ULL);
    EQ(X(9), DATA);
    EQ(X(10), 0x1111111122222222ULL);
    EQ(X(11), 0x3333333344444444ULL);
    EQ(X(12), DATA - 8);
    EQ(X(13), 0x3333333344444444ULL);
    EQ(X(14), 0x5555555566666666ULL);
    EQ(X(15), 0x80000001);
    EQ(X(16), 0x22222222);
    EQ(get64(t, DATA + 0x100), 0x800000017fffffffULL);
    EQ(get64(t, DATA + 0x108), 0x1111111122222222ULL);
    EQ(get64(t, DATA + 0x110), 0x3333333344444444ULL);
    EQ(X(20), DATA + 0x108);
    EQ(get64(t, DATA + 0x200), 0x800000017fffffffULL);
    EQ(X(21), DATA + 0x1f8);
    EQ(get64(t, DATA + 0x400 + 504), 0x7fffffff);
    EQ(get64(t, DATA + 0x400 + 512), 0xffffffff80000001ULL);
    EQ(get32(t, DATA + 0x400 - 256), (uint32_t)X(9));
    EQ(get32(t, DATA + 0x400 - 252), (uint32_t)X(10));
    EQ(X(22), DATA + 0x400);
    th_free(t);
}

Test(ldst, page_crossing_unaligned_accesses)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0xf9400004, /* ldr x4, [x0] */
        0x79400022, /* ldrh w2, [x1] */
        0xf9000066, /* str x6, [x3] */
        0xa94020a7, /* ldp x7, x8, [x5] */
        0xa9002969, /* stp x9, x10, [x11] */
        0xf840416c, /* ldur x12, [x11, #4] */
        0xb800616d, /* stur w13, [x11, #6] */
    };
    uint64_t page = DATA + 0x2000, page2 = page + 0x1000;
    for (int i = -16; i < 16; i++)
        *th_ram(t, page + (uint64_t)i) = (uint8_t)(0x80 + i);
    X(0) = page - 4;
    X(1) = page - 1;
    X(3) = page - 3;
    X(5) = page - 12;
    X(6) = 0x0102030405060708ULL;
    X(9) = 0x0706050403020100ULL;
    X(10) = 0x0f0e0d0c0b0a0908ULL;
    X(11) = page2 - 12;
    X(13) = 0xaabbccdd;
    RUN_OK(code);
    EQ(X(4), 0x838281807f7e7d7cULL);
    EQ(X(2), 0x807f);
    EQ(get64(t, page - 4), 0x020304050607087cULL);
    EQ(*th_ram(t, page + 4), 0x01);
    EQ(*th_ram(t, page + 5), 0x85);
    EQ(X(7), 0x7b7a797877767574ULL);
    EQ(X(8), 0x020304050607087cULL);
    EQ(X(12), 0x0b0a090807060504ULL);
    EQ(get64(t, page2 - 12), 0xccdd050403020100ULL);
    EQ(get64(t, page2 - 4), 0x0f0e0d0c0b0aaabbULL);
    th_free(t);
}

Test(ldst, unprivileged_loads_and_stores)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0xf8408801, /* ldtr x1, [x0, #8] */
        0x38dff802, /* ldtrsb w2, [x0, #-1] */
        0x78802803, /* ldtrsh x3, [x0, #2] */
        0xb8010804, /* sttr w4, [x0, #16] */
        0x38014805, /* sttrb w5, [x0, #20] */
        0xb8804806, /* ldtrsw x6, [x0, #4] */
        0x78406807, /* ldtrh w7, [x0, #6] */
    };
    put64(t, DATA + 0x20, 0x8765432180018000ULL);
    put64(t, DATA + 0x28, 0x42);
    *th_ram(t, DATA + 0x1f) = 0xfe;
    memset(th_ram(t, DATA + 0x30), 0xcc, 8);
    junk_regs(t, 1, 7);
    X(0) = DATA + 0x20;
    X(4) = 0x11223344;
    X(5) = 0x55;
    RUN_OK(code);
    EQ(X(0), DATA + 0x20);
    EQ(X(1), 0x42);
    EQ(X(2), 0xfffffffe);
    EQ(X(3), 0xffffffffffff8001ULL);
    EQ(get64(t, DATA + 0x30), 0xcccccc5511223344ULL);
    EQ(X(6), 0xffffffff87654321ULL);
    EQ(X(7), 0x8765);
    th_free(t);
}

Test(ldst, rcpc_unscaled_and_alignment)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0xd9408001, /* ldapur x1, [x0, #8] */
        0x19dff002, /* ldapursb w2, [x0, #-1] */
        0x59802003, /* ldapursh x3, [x0, #2] */
        0x99804004, /* ldapursw x4, [x0, #4] */
        0x59010005, /* stlurh w5, [x0, #16] */
        0xd9018006, /* stlur x6, [x0, #24] */
        0x19401007, /* ldapurb w7, [x0, #1] */
    };
    put64(t, DATA + 0x20, 0x8765432180018000ULL);
    put64(t, DATA + 0x28, 0x42);
    *th_ram(t, DATA + 0x1f) = 0xfe;
    memset(th_ram(t, DATA + 0x30), 0xcc, 8);
    junk_regs(t, 1, 7);
    X(0) = DATA + 0x20;
    X(5) = 0x12345;
    X(6) = 0x0102030405060708ULL;
    RUN_OK(code);
    EQ(X(1), 0x42);
    EQ(X(2), 0xfffffffe);
    EQ(X(3), 0xffffffffffff8001ULL);
    EQ(X(4), 0xffffffff87654321ULL);
    EQ(get64(t, DATA + 0x30), 0xcccccccccccc2345ULL);
    EQ(get64(t, DATA + 0x38), 0x0102030405060708ULL);
    EQ(X(7), 0x80);
    static const uint32_t bad[] = { 0x99401008 /* ldapur w8, [x0, #1] */ };
    t->c->sys[A64_SYS_VBAR_EL1] = TH_RAM_BASE + 0x1000;
    cr_assert_eq(th_run(t, bad, 1), 0);
    EQ(t->c->sys[A64_SYS_ESR_EL1], (0x25ULL << 26) | (1u << 25) | 0x21);   /* Alignment fault */
    EQ(t->c->sys[A64_SYS_FAR_EL1], DATA + 0x21);
    th_free(t);
}

Test(ldst, unallocated_encodings_are_undefined)
{
    static const uint32_t bad[] = {
        0xb9c00000, /* size=10 opc=11 unsigned offset (no "LDRSW to W") */
        0xf9c00000, /* size=11 opc=11 unsigned offset */
        0xf8806400, /* size=11 opc=10 post-index: no PRFM with writeback */
        0xf8806c00, /* size=11 opc=10 pre-index */
        0xf8800800, /* size=11 opc=10 unprivileged: no PRFM */
        0xf8602800, /* register offset with option=001 */
        0x68400000, /* ldnp with opc=01 (no LDNPSW) */
        0xe9400000, /* ldp with opc=11 */
        0x48237c04, /* casp with odd Rs (x3, x4) */
        0x48227c05, /* casp with odd Rt (x5, x6) */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        TH *t = th_new_model("max");
        X(0) = DATA;
        cr_assert(th_undefined(t, &bad[i], 1), "encoding %08x: %s", bad[i], t->m->stop_msg);
        th_free(t);
    }
}

/* ======================================================================================== */
/* Exclusive monitor rules (Arm ARM B2.9) as implemented in exec_atomic.c / mem.c. */

Test(atomic, stxr_without_ldxr_fails)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = { 0xc8027c03 /* stxr w2, x3, [x0] */ };
    put64(t, DATA, 0x1111);
    X(0) = DATA;
    X(2) = 77;
    X(3) = 0x3333;
    RUN_OK(code);
    EQ(X(2), 1);
    EQ(get64(t, DATA), 0x1111);
    th_free(t);
}

Test(atomic, stxr_after_ldxr_succeeds_once)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0xc85f7c01, /* ldxr x1, [x0] */
        0xc8027c03, /* stxr w2, x3, [x0] */
        0xc8047c05, /* stxr w4, x5, [x0] */
    };
    put64(t, DATA, 0x1111);
    X(0) = DATA;
    X(2) = X(4) = 77;
    X(3) = 0x3333;
    X(5) = 0x5555;
    RUN_OK(code);
    EQ(X(1), 0x1111);
    EQ(X(2), 0);
    EQ(X(4), 1);
    EQ(get64(t, DATA), 0x3333);
    cr_assert(!t->c->mon.valid);
    th_free(t);
}

/* IMPLEMENTATION DEFINED (B2.9.2): our own plain store to the marked address does not clear
 * the local monitor, so the store-exclusive still succeeds. */
Test(atomic, own_plain_store_keeps_local_monitor)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0xc85f7c01, /* ldxr x1, [x0] */
        0xf9000006, /* str x6, [x0] */
        0xc8027c03, /* stxr w2, x3, [x0] */
    };
    X(0) = DATA;
    X(2) = 77;
    X(3) = 0x3333;
    X(6) = 0x6666;
    RUN_OK(code);
    EQ(X(2), 0);
    EQ(get64(t, DATA), 0x3333);
    th_free(t);
}

Test(atomic, clrex_other_address_and_other_size_fail)
{
    TH *t = th_new_model("max");
    static const uint32_t clrex[] = {
        0xc85f7c01, /* ldxr x1, [x0] */
        0xd5033f5f, /* clrex */
        0xc8027c03, /* stxr w2, x3, [x0] */
    };
    static const uint32_t other_addr[] = {
        0xc85f7c01, /* ldxr x1, [x0] */
        0xc8027ce3, /* stxr w2, x3, [x7] */
        0xc8047c03, /* stxr w4, x3, [x0] -- the failed one cleared the monitor */
    };
    static const uint32_t other_size[] = {
        0xc85f7c01, /* ldxr x1, [x0] */
        0x88027c03, /* stxr w2, w3, [x0] */
    };
    X(0) = DATA;
    X(7) = DATA + 8;
    X(3) = 0x3333;
    put64(t, DATA, 0x1111);
    put64(t, DATA + 8, 0x2222);
    X(2) = 77;
    RUN_OK(clrex);
    EQ(X(2), 1);
    X(2) = X(4) = 77;
    RUN_OK(other_addr);
    EQ(X(2), 1);
    EQ(X(4), 1);
    X(2) = 77;
    RUN_OK(other_size);
    EQ(X(2), 1);
    EQ(get64(t, DATA), 0x1111);
    EQ(get64(t, DATA + 8), 0x2222);
    th_free(t);
}

Test(atomic, byte_half_word_exclusives_and_sp_base)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0x085f7c01, /* ldxrb w1, [x0] */
        0x08027c03, /* stxrb w2, w3, [x0] */
        0x485ffc04, /* ldaxrh w4, [x0] (Rt = 4) */
        0x4805fc03, /* stlxrh w5, w3, [x0] */
        0x885ffc06, /* ldaxr w6, [x0] */
        0x8807fc03, /* stlxr w7, w3, [x0] */
        0xc85f7fe8, /* ldxr x8, [sp] */
        0xc8097fff, /* stxr w9, xzr, [sp] */
    };
    put64(t, DATA, 0x8899aabbccddeeffULL);
    X(0) = DATA;
    X(A64_SP) = DATA + 0x40;
    put64(t, DATA + 0x40, 0x4040);
    junk_regs(t, 1, 9);
    X(3) = 0xffffffff12345680ULL;
    RUN_OK(code);
    EQ(X(1), 0xff);
    EQ(X(2), 0);
    EQ(X(4), 0xee80);
    EQ(X(5), 0);
    EQ(X(6), 0xccdd5680);
    EQ(X(7), 0);
    EQ(get64(t, DATA), 0x8899aabb12345680ULL);
    EQ(X(8), 0x4040);
    EQ(X(9), 0);
    EQ(get64(t, DATA + 0x40), 0);
    th_free(t);
}

Test(atomic, exclusive_pairs)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0xc87f8801, /* ldaxp x1, x2, [x0] */
        0xc8239404, /* stlxp w3, x4, x5, [x0] */
        0x887f20e6, /* ldxp w6, w8, [x7] */
        0x882a2ce9, /* stxp w10, w9, w11, [x7] */
    };
    put64(t, DATA, 0x1111);
    put64(t, DATA + 8, 0x2222);
    put64(t, DATA + 0x20, 0x8765432112345678ULL);
    X(0) = DATA;
    X(3) = 77;
    X(4) = 0x4444;
    X(5) = 0x5555;
    X(7) = DATA + 0x20;
    X(9) = 0xffffffffaaaaaaaaULL;
    X(10) = 77;
    X(11) = 0xbbbbbbbb;
    RUN_OK(code);
    EQ(X(1), 0x1111);
    EQ(X(2), 0x2222);
    EQ(X(3), 0);
    EQ(get64(t, DATA), 0x4444);
    EQ(get64(t, DATA + 8), 0x5555);
    EQ(X(6), 0x12345678);
    EQ(X(8), 0x87654321);
    EQ(X(10), 0);
    EQ(get64(t, DATA + 0x20), 0xbbbbbbbbaaaaaaaaULL);
    /* a pair store needs a pair reservation: stlxp after ldxr of the same address fails */
    static const uint32_t mismatch[] = {
        0xc85f7c01, /* ldxr x1, [x0] */
        0xc8239404, /* stlxp w3, x4, x5, [x0] */
    };
    X(3) = 77;
    RUN_OK(mismatch);
    EQ(X(3), 1);
    th_free(t);
}

/* Alignment faults (B2.5.2): a Data Abort with DFSC 0b100001, FAR = the address, WnR for
 * stores and read-modify-writes. An unaligned STXR faults even with the monitor clear: the
 * alignment check comes first in ExclusiveMonitorsPass (QEMU fails the store instead). */
Test(atomic, unaligned_exclusive_and_atomic_alignment_fault)
{
    static const uint32_t bad[] = {
        0xc85f7c01, /* ldxr x1, [x0] */
        0xc8027c03, /* stxr w2, x3, [x0] */
        0xc87f8801, /* ldaxp x1, x2, [x0] (x0 8-aligned, not 16) */
        0xf8210002, /* ldadd x1, x2, [x0] */
        0xc8a17c02, /* cas x1, x2, [x0] */
        0xc8dffc01, /* ldar x1, [x0] */
        0x889ffc08, /* stlr w8, [x0] */
    };
    static const uint64_t addr[] = { 4, 4, 8, 1, 2, 4, 2 };
    static const bool wnr[] = { false, true, false, true, true, false, true };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        TH *t = th_new_model("max");
        t->c->sys[A64_SYS_VBAR_EL1] = TH_RAM_BASE + 0x1000;
        X(0) = DATA + addr[i];
        cr_assert_eq(th_run(t, &bad[i], 1), 0, "encoding %08x", bad[i]);
        EQ(t->c->sys[A64_SYS_ESR_EL1], (0x25ULL << 26) | (1u << 25) | (wnr[i] ? 1u << 6 : 0) | 0x21);
        EQ(t->c->sys[A64_SYS_FAR_EL1], DATA + addr[i]);
        EQ(t->c->sys[A64_SYS_ELR_EL1], TH_RAM_BASE);
        EQ(t->c->pc, TH_RAM_BASE + 0x1200);
        th_free(t);
    }
}

Test(atomic, acquire_release_all_sizes)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0xc8dffc01, /* ldar x1, [x0] */
        0x08dffc02, /* ldarb w2, [x0] */
        0x48dffc03, /* ldarh w3, [x0] */
        0x88dffc04, /* ldar w4, [x0] */
        0xc8df7c09, /* ldlar x9, [x0] */
        0x08df7c0a, /* ldlarb w10, [x0] */
        0xf8bfc00d, /* ldapr x13, [x0] */
        0x38bfc00e, /* ldaprb w14, [x0] */
        0x78bfc00f, /* ldaprh w15, [x0] */
        0xb8bfc010, /* ldapr w16, [x0] */
        0xc89ffe25, /* stlr x5, [x17] */
        0x089ffe46, /* stlrb w6, [x18] */
        0x489ffe67, /* stlrh w7, [x19] */
        0x889ffe88, /* stlr w8, [x20] */
        0xc89f7eab, /* stllr x11, [x21] */
        0x489f7ecc, /* stllrh w12, [x22] */
    };
    put64(t, DATA, 0xf1e2d3c4b5a69788ULL);
    junk_regs(t, 1, 16);
    X(0) = DATA;
    for (int i = 17; i <= 22; i++) {
        X(i) = DATA + 0x100 + 8 * (uint64_t)(i - 17);
        put64(t, X(i), 0xaaaaaaaaaaaaaaaaULL);
    }
    X(5) = 0x0505050505050505ULL;
    X(6) = 0x66;
    X(7) = 0x7777;
    X(8) = 0x88888888;
    X(11) = 0x0b0b0b0b0b0b0b0bULL;
    X(12) = 0xcccc;
    RUN_OK(code);
    EQ(X(1), 0xf1e2d3c4b5a69788ULL);
    EQ(X(2), 0x88);
    EQ(X(3), 0x9788);
    EQ(X(4), 0xb5a69788);
    EQ(X(9), 0xf1e2d3c4b5a69788ULL);
    EQ(X(10), 0x88);
    EQ(X(13), 0xf1e2d3c4b5a69788ULL);
    EQ(X(14), 0x88);
    EQ(X(15), 0x9788);
    EQ(X(16), 0xb5a69788);
    EQ(get64(t, DATA + 0x100), 0x0505050505050505ULL);
    EQ(get64(t, DATA + 0x108), 0xaaaaaaaaaaaaaa66ULL);
    EQ(get64(t, DATA + 0x110), 0xaaaaaaaaaaaa7777ULL);
    EQ(get64(t, DATA + 0x118), 0xaaaaaaaa88888888ULL);
    EQ(get64(t, DATA + 0x120), 0x0b0b0b0b0b0b0b0bULL);
    EQ(get64(t, DATA + 0x128), 0xaaaaaaaaaaaaccccULL);
    th_free(t);
}

Test(atomic, cas_success_and_failure)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0xc8a17c02, /* cas x1, x2, [x0] -- succeeds */
        0xc8e3fc04, /* casal x3, x4, [x0] -- fails: x3 != memory */
        0x08a57ce6, /* casb w5, w6, [x7] -- compares the low byte only */
        0x48e87d89, /* casah w8, w9, [x12] -- fails */
        0x88eafdab, /* casal w10, w11, [x13] -- compares the low word only */
    };
    put64(t, DATA, 0x1111);
    put64(t, DATA + 0x10, 0xffffffffffffff80ULL);
    put64(t, DATA + 0x18, 0xaaaaaaaaaaaa8001ULL);
    put64(t, DATA + 0x20, 0xaaaaaaaa12345678ULL);
    X(0) = DATA;
    X(1) = 0x1111;
    X(2) = 0x2222;
    X(3) = 0x1111;      /* stale: memory holds 0x2222 after the first CAS */
    X(4) = 0x4444;
    X(5) = 0xffffff80;  /* low byte matches 0x80 */
    X(6) = 0x1234567f;
    X(7) = DATA + 0x10;
    X(8) = 0x8000;      /* != 0x8001: fails, w8 gets 0x8001 */
    X(9) = 0x9999;
    X(12) = DATA + 0x18;
    X(10) = 0xffffffff12345678ULL;
    X(11) = 0xdeadbeef;
    X(13) = DATA + 0x20;
    RUN_OK(code);
    EQ(X(1), 0x1111);
    EQ(X(3), 0x2222);
    EQ(get64(t, DATA), 0x2222);
    EQ(X(5), 0x80);
    EQ(get64(t, DATA + 0x10), 0xffffffffffffff7fULL);
    EQ(X(8), 0x8001);
    EQ(get64(t, DATA + 0x18), 0xaaaaaaaaaaaa8001ULL);
    EQ(X(10), 0x12345678);
    EQ(get64(t, DATA + 0x20), 0xaaaaaaaadeadbeefULL);
    th_free(t);
}

Test(atomic, cas_with_rs_equal_rt)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = { 0xc8a17c01 /* cas x1, x1, [x0] */ };
    put64(t, DATA, 0x5);
    X(0) = DATA;
    X(1) = 0x5;
    RUN_OK(code);
    EQ(X(1), 0x5);
    EQ(get64(t, DATA), 0x5);
    th_free(t);
}

Test(atomic, casp_pairs)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0x48227c04, /* casp x2, x3, x4, x5, [x0] -- succeeds */
        0x4826fc08, /* caspl x6, x7, x8, x9, [x0] -- fails */
        0x0862fd84, /* caspal w2, w3, w4, w5, [x12] */
        0x483efc04, /* caspl x30, xzr, x4, x5, [x0] */
    };
    put64(t, DATA, 0x1111);
    put64(t, DATA + 8, 0x2222);
    put64(t, DATA + 0x20, 0x8888888877777777ULL);
    X(0) = DATA;
    X(2) = 0x1111;
    X(3) = 0x2222;
    X(4) = 0x4444;
    X(5) = 0x5555;
    X(6) = 0x4444;
    X(7) = 0x0;         /* high half differs -> fail */
    X(8) = 0x8888;
    X(9) = 0x9999;
    X(12) = DATA + 0x20;
    cr_assert_eq(th_run(t, code, 2), 0, "%s", t->m->stop_msg);
    EQ(X(2), 0x1111);
    EQ(X(3), 0x2222);
    EQ(get64(t, DATA), 0x4444);
    EQ(get64(t, DATA + 8), 0x5555);
    EQ(X(6), 0x4444);
    EQ(X(7), 0x5555);
    /* W pair: compare w2:w3 = 0x77777777:0x88888888, store w4:w5 */
    X(2) = 0xffffffff77777777ULL;
    X(3) = 0x88888888;
    X(4) = 0xaaaaaaaa01010101ULL;
    X(5) = 0x02020202;
    static const uint32_t w[] = { 0x0862fd84 /* caspal w2, w3, w4, w5, [x12] */ };
    RUN_OK(w);
    EQ(get64(t, DATA + 0x20), 0x0202020201010101ULL);
    EQ(X(2), 0x77777777);
    EQ(X(3), 0x88888888);
    /* (x30, xzr) as the compare pair: xzr compares as zero, its write is discarded */
    put64(t, DATA, 0x3030);
    put64(t, DATA + 8, 0);
    X(30) = 0x3030;
    static const uint32_t z[] = { 0x483efc04 /* caspl x30, xzr, x4, x5, [x0] */ };
    X(4) = 0x4444;
    X(5) = 0x5555;
    RUN_OK(z);
    EQ(get64(t, DATA), 0x4444);
    EQ(get64(t, DATA + 8), 0x5555);
    EQ(X(30), 0x3030);
    EQ(X(A64_ZR), 0);
    th_free(t);
}

/* One LSE operation on memory value m with operand s: checks the old value in Rt and the
 * new memory contents (the 8 bytes at DATA, so neighbouring bytes are checked too). */
static void lse_case(uint32_t insn, uint64_t m, uint64_t s, uint64_t want_old, uint64_t want_mem)
{
    TH *t = th_new_model("max");
    put64(t, DATA, m);
    t->c->x[0] = DATA;
    t->c->x[1] = s;
    t->c->x[2] = JUNK;
    cr_assert_eq(th_run(t, &insn, 1), 0, "%08x: %s", insn, t->m->stop_msg);
    cr_assert_eq(t->c->x[2], want_old, "%08x: old 0x%llx, want 0x%llx", insn,
                 (unsigned long long)t->c->x[2], (unsigned long long)want_old);
    cr_assert_eq(get64(t, DATA), want_mem, "%08x: mem 0x%llx, want 0x%llx", insn,
                 (unsigned long long)get64(t, DATA), (unsigned long long)want_mem);
    cr_assert_eq(t->c->x[1], s);
    th_free(t);
}

Test(atomic, lse_arithmetic_and_logic)
{
    lse_case(0xf8210002 /* ldadd x1, x2, [x0] */, 0xffffffffffffffffULL, 2, 0xffffffffffffffffULL, 1);
    lse_case(0x38a10002 /* ldaddab w1, w2, [x0] */, 0xaaaaaaaaaaaaaaffULL, 0x1234501, 0xff,
             0xaaaaaaaaaaaaaa00ULL);
    lse_case(0xb8210002 /* ldadd w1, w2, [x0] */, 0x11111111ffffffffULL, 0xffffffff00000001ULL,
             0xffffffff, 0x1111111100000000ULL);
    lse_case(0x78611002 /* ldclrlh w1, w2, [x0] */, 0x99999999ffffffffULL, 0x0ff0, 0xffff,
             0x99999999fffff00fULL);
    lse_case(0xb8e12002 /* ldeoral w1, w2, [x0] */, 0x5555555500ff00ffULL, 0xffffffff0f0f0f0fULL,
             0x00ff00ff, 0x555555550ff00ff0ULL);
    lse_case(0xf8213002 /* ldset x1, x2, [x0] */, 0x8000000000000001ULL, 0x0100000000000010ULL,
             0x8000000000000001ULL, 0x8100000000000011ULL);
}

Test(atomic, lse_min_max_edges)
{
    /* signed byte: memory -128 (0x80) vs 127: max = 127, old value zero-extended */
    lse_case(0x38214002 /* ldsmaxb w1, w2, [x0] */, 0xaaaaaaaaaaaaaa80ULL, 0x7f, 0x80,
             0xaaaaaaaaaaaaaa7fULL);
    /* signed half: 0x7fff vs -32768 (0x8000, upper operand bits ignored) */
    lse_case(0x78215002 /* ldsminh w1, w2, [x0] */, 0xaaaaaaaaaaaa7fffULL, 0xffff8000ULL, 0x7fff,
             0xaaaaaaaaaaaa8000ULL);
    /* unsigned word: 0x80000000 is the larger */
    lse_case(0xb8216002 /* ldumax w1, w2, [x0] */, 0x1234567880000000ULL, 0x7fffffff, 0x80000000,
             0x1234567880000000ULL);
    /* unsigned doubleword: min(-1, 1) = 1 */
    lse_case(0xf8217002 /* ldumin x1, x2, [x0] */, 0xffffffffffffffffULL, 1, 0xffffffffffffffffULL, 1);
    /* signed doubleword: max(-1, 0) = 0 */
    lse_case(0xf8214002 /* ldsmax x1, x2, [x0] */, 0xffffffffffffffffULL, 0, 0xffffffffffffffffULL, 0);
    /* signed word: min(INT32_MAX, INT32_MIN) */
    lse_case(0xb8215002 /* ldsmin w1, w2, [x0] */, 0x000000017fffffffULL, 0x80000000, 0x7fffffff,
             0x0000000180000000ULL);
    /* unsigned byte: 0x80 > 0x7f */
    lse_case(0x38216002 /* ldumaxb w1, w2, [x0] */, 0x7f, 0x80, 0x7f, 0x80);
    /* unsigned half: min(0x8000, 0x7fff) */
    lse_case(0x78217002 /* lduminh w1, w2, [x0] */, 0x8000, 0x7fff, 0x8000, 0x7fff);
    /* signed doubleword extremes */
    lse_case(0xf8215002 /* ldsmin x1, x2, [x0] */, 0x8000000000000000ULL, 0x7fffffffffffffffULL,
             0x8000000000000000ULL, 0x8000000000000000ULL);
}

Test(atomic, swp_all_sizes)
{
    lse_case(0xf8e18002 /* swpal x1, x2, [x0] */, 0x1122334455667788ULL, 0x99, 0x1122334455667788ULL, 0x99);
    lse_case(0x38218002 /* swpb w1, w2, [x0] */, 0x1122334455667788ULL, 0xabc, 0x88, 0x11223344556677bcULL);
    lse_case(0x78218002 /* swph w1, w2, [x0] */, 0x1122334455667788ULL, 0xabcd, 0x7788, 0x112233445566abcdULL);
    lse_case(0xb8218002 /* swp w1, w2, [x0] */, 0x1122334455667788ULL, 0xffffffff01020304ULL,
             0x55667788, 0x1122334401020304ULL);
}

Test(atomic, st_aliases_and_rs_equal_rt)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0xb821001f, /* stadd w1, [x0] */
        0xf86140ff, /* stsmaxl x1, [x7] */
        0xf8238103, /* swp x3, x3, [x8] */
    };
    put64(t, DATA, 0xfffffff0);
    put64(t, DATA + 8, (uint64_t)-5);
    put64(t, DATA + 16, 0x1616);
    X(0) = DATA;
    X(1) = 0x20;
    X(7) = DATA + 8;
    X(3) = 0x3333;
    X(8) = DATA + 16;
    uint64_t sp = X(A64_SP);
    RUN_OK(code);
    EQ(get64(t, DATA), 0x10);          /* 32-bit add wraps */
    EQ(get64(t, DATA + 8), 0x20);
    EQ(X(A64_ZR), 0);
    EQ(X(A64_SP), sp);
    EQ(X(3), 0x1616);
    EQ(get64(t, DATA + 16), 0x3333);
    th_free(t);
}

/* STXR with Rs == Rt is CONSTRAINED UNPREDICTABLE; like QEMU we store the register's value
 * and then write the status into it. */
Test(atomic, stxr_status_written_after_store)
{
    TH *t = th_new_model("max");
    static const uint32_t code[] = {
        0xc85f7c01, /* ldxr x1, [x0] */
        0xc8037c03, /* stxr w3, x3, [x0] */
    };
    X(0) = DATA;
    X(3) = 0x3333;
    RUN_OK(code);
    EQ(get64(t, DATA), 0x3333);
    EQ(X(3), 0);
    th_free(t);
}

/* An LSE atomic and a CAS by another core to the marked granule clear this core's monitor;
 * a store outside the granule does not. One-instruction slices interleave the cores. */
Test(atomic, other_core_atomic_clears_monitor)
{
    TH *t = th_new_model("max");
    Arm64Cpu *c1 = a64_cpu_new(t->m, 1);
    machine_add_cpu(t->m, c1, &a64_cpu_class);
    t->m->cfg.quantum = 1;
    static const uint32_t core0[] = {
        0xc85f7c01, /* ldxr x1, [x0] */
        0xd503201f, /* nop (core 1: ldadd) */
        0xc8027c03, /* stxr w2, x3, [x0] -> fails */
        0xc85f7c01, /* ldxr x1, [x0] */
        0xd503201f, /* nop (core 1: str to another granule) */
        0xc8057c03, /* stxr w5, x3, [x0] -> succeeds */
        0xc85f7c01, /* ldxr x1, [x0] */
        0xd503201f, /* nop (core 1: cas, failing compare, same granule + 8) */
        0xc8067c03, /* stxr w6, x3, [x0] -> fails */
    };
    static const uint32_t core1[] = {
        0xd503201f,
        0xf8240006, /* ldadd x4, x6, [x0] */
        0xd503201f, 0xd503201f,
        0xf9000127, /* str x7, [x9] */
        0xd503201f, 0xd503201f,
        0xc8a17d02, /* cas x1, x2, [x8] */
        0xd503201f,
    };
    memcpy(th_ram(t, TH_RAM_BASE + 0x1000), core1, sizeof core1);
    a64_cpu_reset(c1, TH_RAM_BASE + 0x1000, 1);
    uint64_t data = DATA + 0x40;
    t->c->x[0] = data;
    t->c->x[3] = 0x3333;
    t->c->x[2] = t->c->x[5] = t->c->x[6] = 77;
    c1->x[0] = data;
    c1->x[4] = 1;
    c1->x[9] = data + 64;     /* next reservation granule */
    c1->x[8] = data + 8;
    c1->x[1] = 0x12345;       /* does not match: CAS fails but still counts */
    put64(t, data, 0x100);
    cr_assert_eq(th_run_steps(t, core0, 9, 18), 0, "%s", t->m->stop_msg);
    EQ(t->c->x[2], 1);
    EQ(t->c->x[5], 0);
    EQ(c1->x[6], 0x100);
    EQ(get64(t, data), 0x3333);
    EQ(get64(t, data + 8), 0);
    /* whether a CAS that fails its comparison clears other monitors is IMPLEMENTATION
     * DEFINED; ours does (it takes the write path) */
    EQ(t->c->x[6], 1);
    th_free(t);
}

/* Loads and stores to a device go through the bus (slow path), with the access size. */
static uint64_t dev_log[8][3];
static int dev_n;
static uint64_t dev_read(void *o, uint64_t off, unsigned size)
{
    (void)o;
    dev_log[dev_n][0] = 'r'; dev_log[dev_n][1] = off; dev_log[dev_n][2] = size; dev_n++;
    return 0xf0f0f0f0f0f0f000ULL | off;
}
static void dev_write(void *o, uint64_t off, uint64_t v, unsigned size)
{
    (void)o;
    dev_log[dev_n][0] = v; dev_log[dev_n][1] = off; dev_log[dev_n][2] = size; dev_n++;
}
static const MmioOps dev_ops = { dev_read, dev_write };

Test(ldst, mmio_accesses_use_bus_with_size)
{
    TH *t = th_new_model("max");
    cr_assert_eq(bus_add_mmio(&t->m->bus, "dev", 0x09000000, 0x1000, &dev_ops, NULL), 0);
    static const uint32_t code[] = {
        0xb9400001, /* ldr w1, [x0] */
        0x79c00402, /* ldrsh w2, [x0, #2] */
        0xf8408c03, /* ldr x3, [x0, #8]! */
        0x39000404, /* strb w4, [x0, #1] */
        0xa9001805, /* stp x5, x6, [x0] */
    };
    dev_n = 0;
    X(0) = 0x09000000;
    X(4) = 0x1234;
    X(5) = 0x55;
    X(6) = 0x66;
    RUN_OK(code);
    EQ(X(1), 0xf0f0f000);
    EQ(X(2), 0xfffff002);
    EQ(X(3), 0xf0f0f0f0f0f0f008ULL);
    EQ(X(0), 0x09000008);
    EQ(dev_n, 6);
    EQ(dev_log[0][2], 4);
    EQ(dev_log[1][2], 2);
    EQ(dev_log[2][1], 8);
    EQ(dev_log[3][0], 0x34);
    EQ(dev_log[3][1], 9);
    EQ(dev_log[3][2], 1);
    EQ(dev_log[4][0], 0x55);
    EQ(dev_log[4][1], 8);
    EQ(dev_log[5][0], 0x66);
    EQ(dev_log[5][1], 16);
    EQ(dev_log[5][2], 8);
    th_free(t);
}
