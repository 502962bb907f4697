/* Memory operations: memcpy/memset/memmove over every alignment, overlapping moves,
 * structure copies, a sort, string functions, snprintf, and loads/stores of every size
 * with sign/zero extension, register offsets, pre/post-index and pairs. */
#include "lib.h"

static uint64_t hash = 0xcbf29ce484222325ull;
static void mix(uint64_t v)
{
    hash ^= v;
    hash *= 0x100000001b3ull;
}

static uint32_t sum_bytes(const unsigned char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static unsigned char src[512] __attribute__((aligned(16)));
static unsigned char dst[512] __attribute__((aligned(16)));

struct record {
    uint64_t id;
    uint32_t a, b;
    uint16_t c[6];
    char name[20];
    int64_t d;
};

static int cmp_int(const void *x, const void *y)
{
    int a = *(const int *)x, b = *(const int *)y;
    return a < b ? -1 : a > b;
}

static int cmp_record(const void *x, const void *y)
{
    const struct record *a = x, *b = y;
    int c = strcmp(a->name, b->name);
    if (c)
        return c;
    return a->id < b->id ? -1 : a->id > b->id;
}

static volatile struct record vrec;

int main(void)
{
    static const size_t lens[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 255};
    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (unsigned char)(i * 7 + 3);

    printf("memops: memcpy/memset by alignment\n");
    for (unsigned so = 0; so < 8; so++) {
        uint32_t line = 0;
        for (unsigned dof = 0; dof < 8; dof++) {
            for (size_t li = 0; li < ARRAY_SIZE(lens); li++) {
                memset(dst, 0xa5, sizeof(dst));
                memcpy(dst + dof, src + so, lens[li]);
                memset(dst + 300 + so, (int)(so * 16 + dof), lens[li] / 2);
                uint32_t h = sum_bytes(dst, sizeof(dst));
                line = line * 31 + h;
                mix(h);
            }
        }
        printf("src+%u: %08x\n", so, line);
    }

    printf("memops: memmove overlaps\n");
    for (int shift = -9; shift <= 9; shift += 3) {
        for (size_t i = 0; i < sizeof(dst); i++)
            dst[i] = (unsigned char)i;
        memmove(dst + 100 + shift, dst + 100, 77);
        printf("shift %3d: %08x %02x %02x %02x\n", shift, sum_bytes(dst, sizeof(dst)),
               dst[100], dst[101 + shift], dst[176 + shift]);
        mix(sum_bytes(dst, sizeof(dst)));
    }

    printf("memops: structure copies\n");
    struct record recs[40];
    static const char *names[] = {"delta", "alpha", "echo", "charlie", "bravo", "foxtrot"};
    for (int i = 0; i < 40; i++) {
        struct record r;
        memset(&r, 0, sizeof(r));
        r.id = rng();
        r.a = rng();
        r.b = (uint32_t)i;
        for (int k = 0; k < 6; k++)
            r.c[k] = (uint16_t)rng();
        strcpy(r.name, names[rng() % ARRAY_SIZE(names)]);
        r.d = -(int64_t)rng() * 1000;
        recs[i] = r;
    }
    vrec = recs[3];
    struct record copy = vrec;
    printf("copy %s %lx %u %d %s\n", copy.name, (unsigned long)copy.id, copy.a, (int)copy.d,
           memcmp(&copy, &recs[3], sizeof(copy)) == 0 ? "equal" : "DIFFERENT");
    qsort(recs, 40, sizeof(recs[0]), cmp_record);
    for (int i = 0; i < 40; i += 5)
        printf("rec %2d %-8s %08lx b=%2u c0=%04x d=%ld\n", i, recs[i].name,
               (unsigned long)recs[i].id, recs[i].b, recs[i].c[0], (long)recs[i].d);
    mix(sum_bytes((const unsigned char *)recs, sizeof(recs)));

    printf("memops: sort\n");
    int arr[300];
    for (int i = 0; i < 300; i++)
        arr[i] = (int)(rng() % 20001) - 10000;
    qsort(arr, 300, sizeof(int), cmp_int);
    int sorted = 1;
    for (int i = 1; i < 300; i++)
        sorted &= arr[i - 1] <= arr[i];
    printf("sorted=%d min=%d median=%d max=%d sum=%08x\n", sorted, arr[0], arr[150], arr[299],
           sum_bytes((const unsigned char *)arr, sizeof(arr)));

    printf("memops: strings\n");
    char buf[96];
    int n = snprintf(buf, sizeof(buf), "[%5d|%-5d|%05d|%x|%08X|%s|%c|%lld|%+d]", 42, -42, -42,
                     0xbeefu, 0xbeefu, "str", 'z', -9000000000ll, 7);
    printf("%s len=%d strlen=%u\n", buf, n, (unsigned)strlen(buf));
    n = snprintf(buf, 10, "truncated %s", "string");
    printf("'%s' %d\n", buf, n);
    printf("cmp %d %d %d %d %d\n", strcmp("abc", "abd") < 0, strcmp("b", "a") > 0,
           strcmp("same", "same"), strncmp("prefix-x", "prefix-y", 7), strncmp("a", "b", 0));
    const char *hay = "find the character";
    printf("strchr %s|%d\n", strchr(hay, 'c'), strchr(hay, 'q') == 0);
    printf("%p %#x [%10s] [%-10s]\n", (void *)0x40080000ul, 255u, "right", "left");

    printf("memops: loads and stores\n");
    uint64_t words[8] __attribute__((aligned(16))) = {
        0x8081828384858687ull, 0x0102030405060708ull, 0xfffefdfcfbfaf9f8ull,
        0x7f6f5f4f3f2f1f0full, 0, 0, 0, 0};
    uint64_t r[12];
    const unsigned char *base = (const unsigned char *)words;
    __asm__("ldrsb %0, [%1, #3]" : "=r"(r[0]) : "r"(base) : "memory");
    __asm__("ldrsh %w0, [%1, #2]" : "=r"(r[1]) : "r"(base) : "memory");
    __asm__("ldrsw %0, [%1, #4]" : "=r"(r[2]) : "r"(base) : "memory");
    __asm__("ldrb %w0, [%1, #17]" : "=r"(r[3]) : "r"(base) : "memory");
    __asm__("ldrh %w0, [%1, %2, lsl #1]" : "=r"(r[4]) : "r"(base), "r"(5ull) : "memory");
    __asm__("ldr %w0, [%1, %w2, sxtw #2]" : "=r"(r[5]) : "r"(base + 16), "r"(-3) : "memory");
    __asm__("ldur %0, [%1, #-5]" : "=r"(r[6]) : "r"(base + 13) : "memory");
    {
        const unsigned char *p = base;
        uint64_t a, b;
        __asm__("ldp %0, %1, [%2], #16" : "=r"(a), "=r"(b), "+r"(p) : : "memory");
        r[7] = a ^ b;
        __asm__("ldr %0, [%1, #8]!" : "=r"(a), "+r"(p) : : "memory");
        r[8] = a + (uint64_t)(p - base);
        __asm__("ldpsw %0, %1, [%2, #-8]" : "=r"(a), "=r"(b) : "r"(p) : "memory");
        r[9] = a + b;
    }
    {
        unsigned char *p = (unsigned char *)&words[4];
        __asm__ volatile("stp %w2, %w3, [%0, #4]!\n\t"
                         "strb %w2, [%0, #-1]\n\t"
                         "strh %w3, [%0, #10]\n\t"
                         "str %2, [%0, #12]\n\t"
                         "sturh %w3, [%0, #-4]"
                         : "+r"(p), "=m"(words)
                         : "r"(0x1122334455667788ull), "r"(0x99aabbccddeeff00ull)
                         : "memory");
        r[10] = words[4] ^ words[5];
        r[11] = words[6];
    }
    for (int i = 0; i < 12; i++) {
        printf("r%-2d %016lx\n", i, (unsigned long)r[i]);
        mix(r[i]);
    }
    printf("words %016lx %016lx %016lx\n", (unsigned long)words[4], (unsigned long)words[5],
           (unsigned long)words[6]);
    printf("hash %016llx\n", (unsigned long long)hash);
    return 0;
}
