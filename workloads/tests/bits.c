/* Bit manipulation: shifts (immediate and register, all kinds), rotates, clz/ctz/popcount,
 * cls, byte and bit reverse, bitfield extract/insert (ubfx/sbfx/bfi/bfxil and C struct
 * bitfields), logical immediates, extr, and the CRC32/CRC32C instructions. */
#include "lib.h"

static const uint64_t vals[] = {
    0, 1, 0x80, 0xff, 0x8000000000000000ull, 0xffffffffffffffffull, 0x0123456789abcdefull,
    0xf0f0f0f00f0f0f0full, 0x00000000ffffffffull, 0x7fffffff80000000ull, 0x0000100000000000ull,
    0xdeadbeefcafef00dull,
};

static uint64_t hash = 0xcbf29ce484222325ull;
static void mix(uint64_t v)
{
    hash ^= v;
    hash *= 0x100000001b3ull;
}

static uint64_t rbit64(uint64_t x)
{
    uint64_t r;
    __asm__("rbit %0, %1" : "=r"(r) : "r"(x));
    return r;
}
static uint64_t cls64(uint64_t x)
{
    uint64_t r;
    __asm__("cls %0, %1" : "=r"(r) : "r"(x));
    return r;
}
static uint32_t cls32(uint32_t x)
{
    uint32_t r;
    __asm__("cls %w0, %w1" : "=r"(r) : "r"(x));
    return r;
}
static uint64_t clz64(uint64_t x)
{
    uint64_t r;
    __asm__("clz %0, %1" : "=r"(r) : "r"(x));
    return r;
}
static uint64_t rev16(uint64_t x)
{
    uint64_t r;
    __asm__("rev16 %0, %1" : "=r"(r) : "r"(x));
    return r;
}
static uint64_t rev32(uint64_t x)
{
    uint64_t r;
    __asm__("rev32 %0, %1" : "=r"(r) : "r"(x));
    return r;
}

static uint32_t crc32b(uint32_t c, uint8_t v)
{
    __asm__(".arch_extension crc\n\tcrc32b %w0, %w0, %w1" : "+r"(c) : "r"(v));
    return c;
}
static uint32_t crc32h(uint32_t c, uint16_t v)
{
    __asm__(".arch_extension crc\n\tcrc32h %w0, %w0, %w1" : "+r"(c) : "r"(v));
    return c;
}
static uint32_t crc32w(uint32_t c, uint32_t v)
{
    __asm__(".arch_extension crc\n\tcrc32w %w0, %w0, %w1" : "+r"(c) : "r"(v));
    return c;
}
static uint32_t crc32x(uint32_t c, uint64_t v)
{
    __asm__(".arch_extension crc\n\tcrc32x %w0, %w0, %1" : "+r"(c) : "r"(v));
    return c;
}
static uint32_t crc32cb(uint32_t c, uint8_t v)
{
    __asm__(".arch_extension crc\n\tcrc32cb %w0, %w0, %w1" : "+r"(c) : "r"(v));
    return c;
}
static uint32_t crc32cx(uint32_t c, uint64_t v)
{
    __asm__(".arch_extension crc\n\tcrc32cx %w0, %w0, %1" : "+r"(c) : "r"(v));
    return c;
}

struct fields {
    unsigned a : 3;
    unsigned b : 7;
    signed c : 5;
    unsigned d : 13;
    unsigned long long e : 29;
    signed long long f : 7;
};

int main(void)
{
    printf("bits: shifts and rotates\n");
    for (size_t i = 0; i < ARRAY_SIZE(vals); i++) {
        uint64_t x = vals[i];
        for (unsigned s = 0; s < 64; s += 13) {
            uint64_t lsl = x << s, lsr = x >> s, asr = (uint64_t)((int64_t)x >> s);
            uint64_t ror = (x >> s) | (x << ((64 - s) & 63));
            uint32_t w = (uint32_t)x, s32 = s & 31;
            uint32_t wl = w << s32, wr = w >> s32, wa = (uint32_t)((int32_t)w >> s32);
            uint32_t wror = (w >> s32) | (w << ((32 - s32) & 31));
            /* register-amount forms use the amount modulo the width */
            uint64_t rv, rw;
            __asm__("lsl %0, %1, %2" : "=r"(rv) : "r"(x), "r"((uint64_t)s + 64));
            __asm__("asr %w0, %w1, %w2" : "=r"(rw) : "r"(x), "r"((uint64_t)s + 96));
            printf("%2u %2u %016lx %016lx %016lx %016lx %08x %08x %08x %08x %016lx %08lx\n",
                   (unsigned)i, s, (unsigned long)lsl, (unsigned long)lsr, (unsigned long)asr,
                   (unsigned long)ror, wl, wr, wa, wror, (unsigned long)rv, (unsigned long)rw);
            mix(lsl ^ lsr ^ asr ^ ror ^ rv), mix(wl ^ wr ^ wa ^ wror ^ rw);
        }
    }

    printf("bits: counts and reverses\n");
    for (size_t i = 0; i < ARRAY_SIZE(vals); i++) {
        uint64_t x = vals[i];
        uint32_t w = (uint32_t)(x >> 8);
        unsigned clz = x ? (unsigned)__builtin_clzll(x) : 64;
        unsigned ctz = x ? (unsigned)__builtin_ctzll(x) : 64;
        unsigned pop = (unsigned)__builtin_popcountll(x);
        unsigned clzw = w ? (unsigned)__builtin_clz(w) : 32;
        unsigned popw = (unsigned)__builtin_popcount(w);
        printf("%2u clz %2u/%2lu ctz %2u pop %2u clzw %2u popw %2u cls %2lu/%2u par %d\n",
               (unsigned)i, clz, (unsigned long)clz64(x), ctz, pop, clzw, popw,
               (unsigned long)cls64(x), cls32(w), __builtin_parityll(x));
        printf("   rev %016llx %08x rev16 %016lx rev32 %016lx rbit %016lx\n",
               (unsigned long long)__builtin_bswap64(x), __builtin_bswap32(w),
               (unsigned long)rev16(x), (unsigned long)rev32(x), (unsigned long)rbit64(x));
        mix(clz + ctz * 64 + pop * 4096), mix(rbit64(x)), mix(rev16(x) ^ rev32(x));
    }

    printf("bits: bitfields\n");
    for (size_t i = 0; i < ARRAY_SIZE(vals); i++) {
        uint64_t x = vals[i], y = vals[(i + 5) % ARRAY_SIZE(vals)];
        uint64_t ubfx, sbfx, bfi = y, bfxil = y, sbfiz, ubfiz, extr, sxtb, uxth;
        __asm__("ubfx %0, %1, #12, #20" : "=r"(ubfx) : "r"(x));
        __asm__("sbfx %0, %1, #4, #9" : "=r"(sbfx) : "r"(x));
        __asm__("bfi %0, %1, #17, #11" : "+r"(bfi) : "r"(x));
        __asm__("bfxil %0, %1, #40, #24" : "+r"(bfxil) : "r"(x));
        __asm__("sbfiz %0, %1, #8, #33" : "=r"(sbfiz) : "r"(x));
        __asm__("ubfiz %w0, %w1, #3, #7" : "=r"(ubfiz) : "r"(x));
        __asm__("extr %0, %1, %2, #23" : "=r"(extr) : "r"(x), "r"(y));
        __asm__("sxtb %w0, %w1" : "=r"(sxtb) : "r"(x));
        __asm__("uxth %w0, %w1" : "=r"(uxth) : "r"(y));
        printf("%2u %016lx %016lx %016lx %016lx %016lx %08lx %016lx %08lx %04lx\n", (unsigned)i,
               (unsigned long)ubfx, (unsigned long)sbfx, (unsigned long)bfi,
               (unsigned long)bfxil, (unsigned long)sbfiz, (unsigned long)ubfiz,
               (unsigned long)extr, (unsigned long)sxtb, (unsigned long)uxth);
        mix(ubfx ^ sbfx ^ bfi ^ bfxil), mix(sbfiz ^ ubfiz ^ extr ^ sxtb ^ uxth);

        struct fields f;
        memset(&f, 0, sizeof(f));
        f.a = (unsigned)x;
        f.b = (unsigned)(x >> 3);
        f.c = (int)(x >> 10);
        f.d = (unsigned)(y >> 2);
        f.e = y >> 13;
        f.f = (long long)(x >> 57);
        f.b += f.a;
        f.c -= 3;
        printf("   fields %u %u %d %u %llx %lld\n", f.a, f.b, f.c, f.d,
               (unsigned long long)f.e, (long long)f.f);
        mix(f.a + f.b * 8ull + (uint64_t)(f.c + 16) * 1024 + f.d * 65536ull);
    }

    printf("bits: logical immediates\n");
    for (size_t i = 0; i < ARRAY_SIZE(vals); i++) {
        uint64_t x = vals[i], r1, r2, r3, r4;
        __asm__("and %0, %1, #0x00ff00ff00ff00ff" : "=r"(r1) : "r"(x));
        __asm__("orr %0, %1, #0x8000000000000001" : "=r"(r2) : "r"(x));
        __asm__("eor %w0, %w1, #0x3c3c3c3c" : "=r"(r3) : "r"(x));
        __asm__("orn %0, %1, %1, ror #7" : "=r"(r4) : "r"(x));
        printf("%2u %016lx %016lx %08lx %016lx\n", (unsigned)i, (unsigned long)r1,
               (unsigned long)r2, (unsigned long)r3, (unsigned long)r4);
        mix(r1 ^ r2 ^ r3 ^ r4);
    }

    printf("bits: crc32\n");
    const char *text = "hvsim: deterministic AArch64 simulation";
    uint32_t c = 0xffffffffu, cc = 0xffffffffu;
    for (const char *p = text; *p; p++) {
        c = crc32b(c, (uint8_t)*p);
        cc = crc32cb(cc, (uint8_t)*p);
    }
    printf("crc32b %08x crc32cb %08x\n", ~c, ~cc);
    uint32_t cx = 0, ccx = ~0u, ch = 0, cw = 0;
    for (size_t i = 0; i < ARRAY_SIZE(vals); i++) {
        cx = crc32x(cx, vals[i]);
        ccx = crc32cx(ccx, vals[i]);
        ch = crc32h(ch, (uint16_t)vals[i]);
        cw = crc32w(cw, (uint32_t)(vals[i] >> 16));
    }
    printf("crc32x %08x crc32cx %08x crc32h %08x crc32w %08x\n", cx, ccx, ch, cw);
    mix(c), mix(cc), mix(cx), mix(ccx), mix(ch), mix(cw);
    printf("hash %016llx\n", (unsigned long long)hash);
    return 0;
}
