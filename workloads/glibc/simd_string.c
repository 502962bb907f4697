/* glibc's AArch64 string routines on the simulator: the objects of the cross C library's
 * libc.a (Debian's glibc, the code a Linux userland runs: CMEQ, UMAXP/UMINP, ADDP, SHRN, BIC
 * (vector, immediate), AND/ORR, TBL-free nibble masks, FMOV to a general register, LDP of Q
 * registers ...), linked with a glibc_ prefix on every global symbol (see the Makefile), run
 * on every alignment 0-15 of the source, lengths 0-95 and the position of the character or
 * difference sought, each result compared with a plain C reference. Prints the number of
 * cases and mismatches per routine; make check-glibc compares the output with QEMU's. */
#include "lib.h"

size_t glibc___strlen_asimd(const char *s);
size_t glibc___strnlen(const char *s, size_t n);
void *glibc___memchr_generic(const void *s, int c, size_t n);
void *glibc___memrchr(const void *s, int c, size_t n);
char *glibc_strchr(const char *s, int c);
char *glibc___strchrnul(const char *s, int c);
char *glibc_strrchr(const char *s, int c);
int glibc_memcmp(const void *a, const void *b, size_t n);
int glibc_strcmp(const char *a, const char *b);
int glibc_strncmp(const char *a, const char *b, size_t n);
char *glibc_strcpy(char *d, const char *s);
char *glibc___stpcpy(char *d, const char *s);
void *glibc___memset_generic(void *d, int c, size_t n);
void *glibc___memcpy_simd(void *d, const void *s, size_t n);
void *glibc___memmove_simd(void *d, const void *s, size_t n);

#define MAXLEN 96
#define BUF 512

static char a[BUF] __attribute__((aligned(64)));
static char b[BUF] __attribute__((aligned(64)));
static char ref[BUF] __attribute__((aligned(64)));
/* copy destinations: [dst + 64, dst + 64 + GUARD) is checked whole (guard bytes 0x5a) */
#define GUARD 400
static char dst[BUF] __attribute__((aligned(64)));

typedef struct Count {
    const char *name;
    unsigned cases, bad;
} Count;

static uint32_t seed = 0x9e3779b9u;
static uint32_t lcg(void)
{
    seed = seed * 1664525u + 1013904223u;
    return seed;
}

/* Fills p[0..n) with bytes 1..255 other than avoid, and p[n] = 0. */
static void fill(char *p, size_t n, int avoid)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t x;
        do
            x = (uint8_t)(lcg() >> 24);
        while (x == 0 || x == (uint8_t)avoid);
        p[i] = (char)x;
    }
    p[n] = 0;
}

static void check(Count *c, int ok, size_t align, size_t len, size_t pos)
{
    c->cases++;
    if (!ok && c->bad++ < 3)
        printf("  %s: mismatch at align %u, length %u, position %u\n", c->name, (unsigned)align,
               (unsigned)len, (unsigned)pos);
}

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

static int ref_memcmp(const uint8_t *x, const uint8_t *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] - y[i];
    return 0;
}

int main(void)
{
    uint64_t cpacr;
    __asm__ volatile("mrs %0, cpacr_el1" : "=r"(cpacr));
    __asm__ volatile("msr cpacr_el1, %0\n\tisb" : : "r"(cpacr | (3u << 20)));

    Count strlen_c = { "strlen", 0, 0 }, strnlen_c = { "strnlen", 0, 0 };
    Count memchr_c = { "memchr", 0, 0 }, memrchr_c = { "memrchr", 0, 0 };
    Count strchr_c = { "strchr", 0, 0 }, strchrnul_c = { "strchrnul", 0, 0 };
    Count strrchr_c = { "strrchr", 0, 0 }, memcmp_c = { "memcmp", 0, 0 };
    Count strcmp_c = { "strcmp", 0, 0 }, strncmp_c = { "strncmp", 0, 0 };
    Count strcpy_c = { "strcpy", 0, 0 }, stpcpy_c = { "stpcpy", 0, 0 };
    Count memset_c = { "memset", 0, 0 }, memcpy_c = { "memcpy", 0, 0 };
    Count memmove_c = { "memmove", 0, 0 };

    for (size_t al = 0; al < 16; al++) {
        for (size_t len = 0; len < MAXLEN; len++) {
            char *s = a + 64 + al;
            const int ch = 'x';
            fill(s, len, ch);
            /* lengths */
            check(&strlen_c, glibc___strlen_asimd(s) == len, al, len, 0);
            for (size_t lim = 0; lim <= len + 1; lim += 7)
                check(&strnlen_c, glibc___strnlen(s, lim) == (lim < len ? lim : len), al, len, lim);
            /* searches: the character absent, then at every position */
            check(&memchr_c, glibc___memchr_generic(s, ch, len) == NULL, al, len, len);
            check(&strchr_c, glibc_strchr(s, ch) == NULL, al, len, len);
            check(&strchrnul_c, glibc___strchrnul(s, ch) == s + len, al, len, len);
            check(&strrchr_c, glibc_strrchr(s, ch) == NULL, al, len, len);
            check(&memrchr_c, glibc___memrchr(s, ch, len) == NULL, al, len, len);
            check(&strchr_c, glibc_strchr(s, 0) == s + len, al, len, len);
            for (size_t pos = 0; pos < len; pos++) {
                char save = s[pos];
                s[pos] = (char)ch;
                size_t last = pos;
                if (pos + 3 < len) {             /* a second one further on, for the r-forms */
                    s[pos + 3] = (char)ch;
                    last = pos + 3;
                }
                check(&memchr_c, glibc___memchr_generic(s, ch, len) == s + pos, al, len, pos);
                check(&memchr_c, glibc___memchr_generic(s, ch, pos) == NULL, al, len, pos);
                check(&strchr_c, glibc_strchr(s, ch) == s + pos, al, len, pos);
                check(&strchrnul_c, glibc___strchrnul(s, ch) == s + pos, al, len, pos);
                check(&strrchr_c, glibc_strrchr(s, ch) == s + last, al, len, pos);
                check(&memrchr_c, glibc___memrchr(s, ch, len) == s + last, al, len, pos);
                if (last != pos)
                    s[last] = 'y';
                s[pos] = save;
                fill(s, len, ch);
            }
            /* comparisons: equal, then a difference at every position (both signs) */
            char *t = b + 64 + (al * 5) % 16;
            memcpy(t, s, len + 1);
            check(&memcmp_c, glibc_memcmp(s, t, len) == 0, al, len, len);
            check(&strcmp_c, glibc_strcmp(s, t) == 0, al, len, len);
            check(&strncmp_c, glibc_strncmp(s, t, len + 5) == 0, al, len, len);
            for (size_t pos = 0; pos < len; pos++) {
                char save = t[pos];
                t[pos] = (char)(save == (char)0xff ? 1 : save + 1);
                int want = ref_memcmp((const uint8_t *)s, (const uint8_t *)t, len);
                check(&memcmp_c, sign(glibc_memcmp(s, t, len)) == sign(want), al, len, pos);
                check(&memcmp_c, glibc_memcmp(s, t, pos) == 0, al, len, pos);
                check(&strcmp_c, sign(glibc_strcmp(s, t)) == sign(want), al, len, pos);
                check(&strncmp_c, sign(glibc_strncmp(s, t, len)) == sign(want), al, len, pos);
                check(&strncmp_c, glibc_strncmp(s, t, pos) == 0, al, len, pos);
                t[pos] = save;
            }
            /* copies: the destination at another alignment, guard bytes around it */
            char *g = dst + 64, *d = g + 16 + (al * 3) % 16;
            memset(g, 0x5a, GUARD);
            char *end = glibc___stpcpy(d, s);
            check(&stpcpy_c, end == d + len && memcmp(d, s, len + 1) == 0 &&
                                 (uint8_t)d[-1] == 0x5a && (uint8_t)d[len + 1] == 0x5a, al, len, 0);
            memset(g, 0x5a, GUARD);
            check(&strcpy_c, glibc_strcpy(d, s) == d && memcmp(d, s, len + 1) == 0 &&
                                 (uint8_t)d[len + 1] == 0x5a, al, len, 0);
            size_t n = len * 3;                  /* memset/memcpy up to 285 bytes */
            memset(g, 0x5a, GUARD);
            memset(ref, 0x5a, GUARD);
            memset(ref + (d - g), (int)len, n);
            check(&memset_c, glibc___memset_generic(d, (int)len, n) == d && memcmp(g, ref, GUARD) == 0,
                  al, len, n);
            fill(a, 300, -1);
            memset(g, 0x5a, GUARD);
            memcpy(ref, g, GUARD);
            memcpy(ref + (d - g), a + al, n);
            check(&memcpy_c, glibc___memcpy_simd(d, a + al, n) == d && memcmp(g, ref, GUARD) == 0,
                  al, len, n);
            /* memmove with overlap both ways */
            memcpy(ref, a, 400);
            memmove(ref + al + 5, ref + 16, n);
            glibc___memmove_simd(a + al + 5, a + 16, n);
            check(&memmove_c, memcmp(a, ref, 400) == 0, al, len, n);
            memcpy(ref, a, 400);
            memmove(ref + 16, ref + al + 5, n);
            glibc___memmove_simd(a + 16, a + al + 5, n);
            check(&memmove_c, memcmp(a, ref, 400) == 0, al, len, n);
        }
    }
    const Count *all[] = { &strlen_c, &strnlen_c, &memchr_c, &memrchr_c, &strchr_c, &strchrnul_c,
                           &strrchr_c, &memcmp_c, &strcmp_c, &strncmp_c, &strcpy_c, &stpcpy_c,
                           &memset_c, &memcpy_c, &memmove_c };
    unsigned bad = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        printf("%-10s %6u cases, %u mismatches\n", all[i]->name, all[i]->cases, all[i]->bad);
        bad += all[i]->bad;
    }
    printf("glibc string routines: %s\n", bad ? "FAIL" : "ok");
    return bad != 0;
}
