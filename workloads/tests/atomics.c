/* Atomics: load/store exclusive loops from the __atomic builtins on 8/16/32/64-bit data,
 * exclusive pairs, CLREX, and the ARMv8.1 LSE instructions (LDADD, LDCLR, LDEOR, LDSET,
 * LDSMAX, LDUMIN, SWP, CAS, CASP) in their size and ordering variants.
 * LSE needs a core that has it: run with -cpu max. */
#include "lib.h"

#pragma GCC target("no-outline-atomics")

static uint64_t hash = 0xcbf29ce484222325ull;
static void mix(uint64_t v)
{
    hash ^= v;
    hash *= 0x100000001b3ull;
}

static uint8_t b8;
static uint16_t h16;
static uint32_t w32;
static uint64_t x64;
static uint64_t pair[2] __attribute__((aligned(16)));

static void exclusive_tests(void)
{
    printf("atomics: exclusives\n");
    uint64_t acc = 0;
    for (int i = 1; i <= 50; i++) {
        acc += __atomic_fetch_add(&x64, (uint64_t)i * 0x10001, __ATOMIC_SEQ_CST);
        __atomic_fetch_sub(&w32, (uint32_t)i * 3, __ATOMIC_ACQ_REL);
        __atomic_fetch_xor(&h16, (uint16_t)(i * 0x1357), __ATOMIC_RELAXED);
        __atomic_fetch_or(&b8, (uint8_t)(1u << (i & 7)), __ATOMIC_RELEASE);
        __atomic_fetch_and(&b8, (uint8_t)~(1u << ((i * 3) & 7)), __ATOMIC_ACQUIRE);
    }
    printf("x64 %016lx acc %016lx w32 %08x h16 %04x b8 %02x\n", (unsigned long)x64,
           (unsigned long)acc, w32, h16, b8);
    mix(x64), mix(acc), mix(w32), mix(h16), mix(b8);

    uint64_t old = __atomic_exchange_n(&x64, 0xfeedfacecafebeefull, __ATOMIC_SEQ_CST);
    uint64_t expect = 1;
    int ok1 = __atomic_compare_exchange_n(&x64, &expect, 2, 0, __ATOMIC_SEQ_CST,
                                          __ATOMIC_SEQ_CST);
    uint64_t seen = expect;
    expect = 0xfeedfacecafebeefull;
    int ok2 = __atomic_compare_exchange_n(&x64, &expect, 42, 0, __ATOMIC_SEQ_CST,
                                          __ATOMIC_SEQ_CST);
    uint32_t e32 = w32;
    int ok3 = __atomic_compare_exchange_n(&w32, &e32, e32 + 1, 0, __ATOMIC_ACQUIRE,
                                          __ATOMIC_RELAXED);
    printf("xchg old %016lx cas %d/%016lx %d -> %lu acq %d %08x\n", (unsigned long)old, ok1,
           (unsigned long)seen, ok2, (unsigned long)x64, ok3, w32);
    mix(old), mix(seen), mix(x64);

    /* An exclusive pair, then a store-exclusive that must fail after CLREX. */
    pair[0] = 0x1111222233334444ull;
    pair[1] = 0x5555666677778888ull;
    uint64_t lo, hi, status;
    __asm__ volatile("1: ldaxp %0, %1, [%3]\n\t"
                     "add %0, %0, #1\n\t"
                     "sub %1, %1, #1\n\t"
                     "stlxp %w2, %0, %1, [%3]\n\t"
                     "cbnz %w2, 1b"
                     : "=&r"(lo), "=&r"(hi), "=&r"(status)
                     : "r"(pair)
                     : "memory");
    uint64_t v, failed;
    __asm__ volatile("ldxr %0, [%2]\n\t"
                     "clrex\n\t"
                     "stxr %w1, %0, [%2]"
                     : "=&r"(v), "=&r"(failed)
                     : "r"(&x64)
                     : "memory");
    uint32_t wv, wstat;
    __asm__ volatile("1: ldaxrh %w0, [%2]\n\t"
                     "add %w0, %w0, #0x101\n\t"
                     "stlxrh %w1, %w0, [%2]\n\t"
                     "cbnz %w1, 1b"
                     : "=&r"(wv), "=&r"(wstat)
                     : "r"(&h16)
                     : "memory");
    printf("pair %016lx %016lx clrex-stxr status %lu h16 %04x\n", (unsigned long)pair[0],
           (unsigned long)pair[1], (unsigned long)failed, h16);
    mix(pair[0]), mix(pair[1]), mix(failed), mix(h16);
}

#define LSE_OP(insn, reg, var, operand)                                                      \
    ({                                                                                       \
        uint64_t o_;                                                                         \
        __asm__ volatile(".arch armv8.1-a\n\t" insn " %" reg "1, %" reg "0, [%2]"            \
                         : "=&r"(o_)                                                         \
                         : "r"((uint64_t)(operand)), "r"(&(var))                             \
                         : "memory");                                                        \
        o_;                                                                                  \
    })

static void lse_tests(void)
{
    printf("atomics: LSE\n");
    x64 = 1000;
    w32 = 0x80000000u;
    h16 = 0x00ff;
    b8 = 0x7f;
    uint64_t r[16];
    r[0] = LSE_OP("ldadd", "x", x64, 234);
    r[1] = LSE_OP("ldaddal", "x", x64, -2000);
    r[2] = LSE_OP("ldclr", "w", w32, 0x80000001u);
    r[3] = LSE_OP("ldeora", "w", w32, 0xf0f0f0f0u);
    r[4] = LSE_OP("ldseth", "w", h16, 0xf000);
    r[5] = LSE_OP("ldsmaxh", "w", h16, 0x0100);  /* 0xf0ff is negative: 0x0100 wins */
    r[6] = LSE_OP("lduminb", "w", b8, 0x80);
    r[7] = LSE_OP("ldsminb", "w", b8, 0x80);     /* -128 is the signed minimum */
    r[8] = LSE_OP("ldumax", "x", x64, 5);
    r[9] = LSE_OP("ldsmin", "x", x64, 5);
    r[10] = LSE_OP("swp", "x", x64, 0x0123456789abcdefull);
    r[11] = LSE_OP("swpalb", "w", b8, 0x5a);
    printf("after ops x64 %016lx w32 %08x h16 %04x b8 %02x\n", (unsigned long)x64, w32, h16,
           b8);

    /* CAS: compare value in, old value out. */
    uint64_t cmp = 0x0123456789abcdefull;
    __asm__ volatile(".arch armv8.1-a\n\tcasal %0, %1, [%2]"
                     : "+r"(cmp)
                     : "r"(0x1111ull), "r"(&x64)
                     : "memory");
    r[12] = cmp;
    uint32_t wcmp = 12345; /* mismatch: memory unchanged, old value returned */
    __asm__ volatile(".arch armv8.1-a\n\tcas %w0, %w1, [%2]"
                     : "+r"(wcmp)
                     : "r"(0x2222u), "r"(&w32)
                     : "memory");
    r[13] = wcmp;

    /* CASP on an even/odd register pair. */
    pair[0] = 7;
    pair[1] = 9;
    register uint64_t c0 __asm__("x4") = 7;
    register uint64_t c1 __asm__("x5") = 9;
    register uint64_t n0 __asm__("x6") = 0xaaaa;
    register uint64_t n1 __asm__("x7") = 0xbbbb;
    __asm__ volatile(".arch armv8.1-a\n\tcaspal x4, x5, x6, x7, [%4]"
                     : "+r"(c0), "+r"(c1)
                     : "r"(n0), "r"(n1), "r"(pair)
                     : "memory");
    r[14] = c0 ^ (c1 << 32);
    register uint64_t d0 __asm__("x4") = 1;
    register uint64_t d1 __asm__("x5") = 2;
    __asm__ volatile(".arch armv8.1-a\n\tcasp x4, x5, x6, x7, [%4]"
                     : "+r"(d0), "+r"(d1)
                     : "r"(n0), "r"(n1), "r"(pair)
                     : "memory");
    r[15] = d0 + d1;
    for (int i = 0; i < 16; i++) {
        printf("r%-2d %016lx\n", i, (unsigned long)r[i]);
        mix(r[i]);
    }
    printf("final x64 %016lx w32 %08x pair %lx %lx\n", (unsigned long)x64, w32,
           (unsigned long)pair[0], (unsigned long)pair[1]);
    mix(x64), mix(w32), mix(pair[0]), mix(pair[1]);
}

int main(void)
{
    exclusive_tests();
    lse_tests();
    printf("hash %016llx\n", (unsigned long long)hash);
    return 0;
}
