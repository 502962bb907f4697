/* Integer arithmetic: add/sub/mul/div/rem on 32- and 64-bit values, signed and unsigned,
 * edge cases (zero, -1, INT_MIN, powers of two), flag-setting forms with NZCV, carries,
 * multiply-high, multiply-accumulate, extends and conditional selects. Printed as hex. */
#include "lib.h"

static const uint64_t v64[] = {
    0, 1, 2, 3, 7, 0x7fffffffffffffffull, 0x8000000000000000ull, 0xffffffffffffffffull,
    0xfffffffffffffffeull, 0x00000000ffffffffull, 0x0000000100000000ull, 0x123456789abcdef0ull,
    0xfedcba9876543210ull, 0x5555555555555555ull, 0x8000000000000001ull, 1000000007ull,
};

static const uint32_t v32[] = {
    0, 1, 2, 3, 10, 0x7fffffffu, 0x80000000u, 0xffffffffu, 0xfffffffeu, 0x0000ffffu,
    0x12345678u, 0x9abcdef0u, 0x80000001u, 65537u,
};

/* Division through the instructions themselves: defined for a zero divisor (result 0)
 * and for INT_MIN / -1 (result INT_MIN), where C leaves it undefined. */
static uint64_t udiv64(uint64_t a, uint64_t b)
{
    uint64_t r;
    __asm__("udiv %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
static uint64_t sdiv64(uint64_t a, uint64_t b)
{
    uint64_t r;
    __asm__("sdiv %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
static uint32_t udiv32(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("udiv %w0, %w1, %w2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
static uint32_t sdiv32(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("sdiv %w0, %w1, %w2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

#define FLAGS_OP(name, insn, reg)                                                            \
    static uint64_t name(uint64_t a, uint64_t b, uint64_t *res)                              \
    {                                                                                        \
        uint64_t r, f;                                                                       \
        __asm__(insn " %" reg "0, %" reg "2, %" reg "3\n\tmrs %1, nzcv"                      \
                : "=&r"(r), "=r"(f)                                                          \
                : "r"(a), "r"(b)                                                             \
                : "cc");                                                                     \
        *res = r;                                                                            \
        return f >> 28;                                                                      \
    }
FLAGS_OP(adds64, "adds", "x")
FLAGS_OP(subs64, "subs", "x")
FLAGS_OP(adds32, "adds", "w")
FLAGS_OP(subs32, "subs", "w")
FLAGS_OP(ands64, "ands", "x")
FLAGS_OP(bics32, "bics", "w")

/* Add/subtract with carry, carry in set or clear. */
static uint64_t adc_chain(uint64_t a, uint64_t b, int carry_in, uint64_t *nzcv)
{
    uint64_t r, f;
    __asm__("cmp %3, #1\n\t"  /* C = (carry_in >= 1) */
            "adcs %0, %2, %4\n\t"
            "mrs %1, nzcv"
            : "=&r"(r), "=&r"(f)
            : "r"(a), "r"((uint64_t)carry_in), "r"(b)
            : "cc");
    *nzcv = f >> 28;
    return r;
}

static uint64_t sbc_chain(uint64_t a, uint64_t b, int carry_in, uint64_t *nzcv)
{
    uint64_t r, f;
    __asm__("cmp %3, #1\n\t"
            "sbcs %w0, %w2, %w4\n\t"
            "mrs %1, nzcv"
            : "=&r"(r), "=&r"(f)
            : "r"(a), "r"((uint64_t)carry_in), "r"(b)
            : "cc");
    *nzcv = f >> 28;
    return r;
}

static uint64_t hash = 0xcbf29ce484222325ull;
static void mix(uint64_t v)
{
    hash ^= v;
    hash *= 0x100000001b3ull;
}

int main(void)
{
    printf("arith: 64-bit\n");
    for (size_t i = 0; i < ARRAY_SIZE(v64); i++) {
        for (size_t j = 0; j < ARRAY_SIZE(v64); j++) {
            uint64_t a = v64[i], b = v64[j];
            uint64_t add = a + b, sub = a - b, mul = a * b;
            uint64_t umulh = (uint64_t)(((unsigned __int128)a * b) >> 64);
            uint64_t smulh = (uint64_t)(((__int128)(int64_t)a * (int64_t)b) >> 64);
            uint64_t ud = udiv64(a, b), sd = sdiv64(a, b);
            uint64_t ur = a - ud * b, sr = a - sd * b;
            uint64_t r1, r2, r3, f1 = adds64(a, b, &r1), f2 = subs64(a, b, &r2),
                             f3 = ands64(a, b, &r3);
            uint64_t fa, fs, adc = adc_chain(a, b, (int)(j & 1), &fa);
            uint64_t sbc = sbc_chain(a, b, (int)(i & 1), &fs);
            printf("%2u %2u %016lx %016lx %016lx %016lx %016lx\n", (unsigned)i, (unsigned)j,
                   (unsigned long)add, (unsigned long)sub, (unsigned long)mul,
                   (unsigned long)umulh, (unsigned long)smulh);
            printf("      %016lx %016lx %016lx %016lx nzcv %lx %lx %lx %lx %lx %016lx %08lx\n",
                   (unsigned long)ud, (unsigned long)sd, (unsigned long)ur, (unsigned long)sr,
                   (unsigned long)f1, (unsigned long)f2, (unsigned long)f3,
                   (unsigned long)fa, (unsigned long)fs, (unsigned long)adc,
                   (unsigned long)sbc);
            mix(add), mix(sub), mix(mul), mix(umulh), mix(smulh), mix(ud), mix(sd);
            mix(r1 ^ r2 ^ r3);
        }
    }

    printf("arith: 32-bit\n");
    for (size_t i = 0; i < ARRAY_SIZE(v32); i++) {
        for (size_t j = 0; j < ARRAY_SIZE(v32); j++) {
            uint32_t a = v32[i], b = v32[j];
            uint32_t ud = udiv32(a, b), sd = sdiv32(a, b);
            uint64_t r1, r2, r3, f1 = adds32(a, b, &r1), f2 = subs32(a, b, &r2),
                             f3 = bics32(a, b, &r3);
            int64_t smull = (int64_t)(int32_t)a * (int32_t)b;
            uint64_t umull = (uint64_t)a * b;
            printf("%2u %2u %08x %08x %08x %08x %08x %08x %08x %016lx %016lx nzcv %lx %lx %lx\n",
                   (unsigned)i, (unsigned)j, a + b, a - b, a * b, ud, sd,
                   (uint32_t)(a - ud * b), (uint32_t)(a - sd * b), (unsigned long)smull,
                   (unsigned long)umull, (unsigned long)f1, (unsigned long)f2,
                   (unsigned long)f3);
            mix(r1), mix(r2), mix(r3), mix((uint64_t)smull), mix(umull);
        }
    }

    printf("arith: multiply-accumulate and extends\n");
    for (size_t i = 0; i + 2 < ARRAY_SIZE(v64); i++) {
        uint64_t a = v64[i], b = v64[i + 1], c = v64[i + 2];
        uint64_t madd, msub, smaddl, umsubl;
        __asm__("madd %0, %1, %2, %3" : "=r"(madd) : "r"(a), "r"(b), "r"(c));
        __asm__("msub %0, %1, %2, %3" : "=r"(msub) : "r"(a), "r"(b), "r"(c));
        __asm__("smaddl %0, %w1, %w2, %3" : "=r"(smaddl) : "r"(a), "r"(b), "r"(c));
        __asm__("umsubl %0, %w1, %w2, %3" : "=r"(umsubl) : "r"(a), "r"(b), "r"(c));
        uint64_t ext1, ext2, ext3;
        __asm__("add %0, %1, %w2, sxtb #2" : "=r"(ext1) : "r"(a), "r"(b));
        __asm__("sub %0, %1, %w2, uxth #4" : "=r"(ext2) : "r"(a), "r"(b));
        __asm__("add %0, %1, %w2, sxtw" : "=r"(ext3) : "r"(a), "r"(c));
        printf("%2u %016lx %016lx %016lx %016lx %016lx %016lx %016lx\n", (unsigned)i,
               (unsigned long)madd, (unsigned long)msub, (unsigned long)smaddl,
               (unsigned long)umsubl, (unsigned long)ext1, (unsigned long)ext2,
               (unsigned long)ext3);
        mix(madd), mix(msub), mix(smaddl), mix(umsubl), mix(ext1 ^ ext2 ^ ext3);
    }

    printf("arith: conditional select\n");
    for (size_t i = 0; i + 1 < ARRAY_SIZE(v64); i++) {
        uint64_t a = v64[i], b = v64[i + 1], r1, r2, r3, r4;
        __asm__("cmp %1, %2\n\tcsel %0, %1, %2, lt" : "=r"(r1) : "r"(a), "r"(b) : "cc");
        __asm__("cmp %1, %2\n\tcsinc %0, %1, %2, hi" : "=r"(r2) : "r"(a), "r"(b) : "cc");
        __asm__("cmn %1, %2\n\tcsneg %0, %1, %2, vs" : "=r"(r3) : "r"(a), "r"(b) : "cc");
        __asm__("ccmp %1, %2, #5, ne\n\tcset %0, ge" : "=r"(r4) : "r"(a), "r"(b) : "cc");
        printf("%2u %016lx %016lx %016lx %lu\n", (unsigned)i, (unsigned long)r1,
               (unsigned long)r2, (unsigned long)r3, (unsigned long)r4);
        mix(r1), mix(r2), mix(r3), mix(r4);
    }

    /* Signed printing and C-level arithmetic through the compiler's own code. */
    long long s = 0;
    for (int k = -50; k <= 50; k += 7)
        s += (long long)k * k * k / 3 - k % 7;
    printf("signed sum %lld, %d %d %d\n", s, -2147483647 - 1, -5 / 2, -5 % 2);
    printf("hash %016llx\n", (unsigned long long)hash);
    return 0;
}
