/* Control flow: every condition code (B.cond and CSET) after 64- and 32-bit compares of
 * edge values, CBZ/CBNZ/TBZ/TBNZ, switch jump tables, indirect calls through function
 * pointers, deep recursion and loops with early exits. */
#include "lib.h"

static uint64_t hash = 0xcbf29ce484222325ull;
static void mix(uint64_t v)
{
    hash ^= v;
    hash *= 0x100000001b3ull;
}

static const uint64_t cvals[] = {0, 1, 0xffffffffffffffffull, 2, 0x7fffffffffffffffull,
                                 0x8000000000000000ull, 0x0000000080000000ull,
                                 0x000000007fffffffull, 0xffffffff00000000ull};

#define BCOND(cc, reg)                                                                       \
    ({                                                                                       \
        uint64_t t_;                                                                         \
        __asm__("cmp %" reg "1, %" reg "2\n\t"                                               \
                "b." cc " 1f\n\t"                                                            \
                "mov %0, #0\n\t"                                                             \
                "b 2f\n"                                                                     \
                "1: mov %0, #1\n"                                                            \
                "2:"                                                                         \
                : "=r"(t_)                                                                   \
                : "r"(a), "r"(b)                                                             \
                : "cc");                                                                     \
        t_;                                                                                  \
    })

#define CSET(cc)                                                                             \
    ({                                                                                       \
        uint64_t t_;                                                                         \
        __asm__("cmn %1, %2\n\tcset %w0, " cc : "=r"(t_) : "r"(a), "r"(b) : "cc");            \
        t_;                                                                                  \
    })

static unsigned conds64(uint64_t a, uint64_t b)
{
    return (unsigned)(BCOND("eq", "x") | BCOND("ne", "x") << 1 | BCOND("cs", "x") << 2 |
                      BCOND("cc", "x") << 3 | BCOND("mi", "x") << 4 | BCOND("pl", "x") << 5 |
                      BCOND("vs", "x") << 6 | BCOND("vc", "x") << 7 | BCOND("hi", "x") << 8 |
                      BCOND("ls", "x") << 9 | BCOND("ge", "x") << 10 |
                      BCOND("lt", "x") << 11 | BCOND("gt", "x") << 12 |
                      BCOND("le", "x") << 13 | BCOND("al", "x") << 14);
}

static unsigned conds32(uint64_t a, uint64_t b)
{
    return (unsigned)(BCOND("eq", "w") | BCOND("ne", "w") << 1 | BCOND("cs", "w") << 2 |
                      BCOND("cc", "w") << 3 | BCOND("mi", "w") << 4 | BCOND("pl", "w") << 5 |
                      BCOND("vs", "w") << 6 | BCOND("vc", "w") << 7 | BCOND("hi", "w") << 8 |
                      BCOND("ls", "w") << 9 | BCOND("ge", "w") << 10 |
                      BCOND("lt", "w") << 11 | BCOND("gt", "w") << 12 |
                      BCOND("le", "w") << 13);
}

static unsigned csets(uint64_t a, uint64_t b)
{
    return (unsigned)(CSET("eq") | CSET("ne") << 1 | CSET("hs") << 2 | CSET("lo") << 3 |
                      CSET("mi") << 4 | CSET("pl") << 5 | CSET("vs") << 6 | CSET("vc") << 7 |
                      CSET("hi") << 8 | CSET("ls") << 9 | CSET("ge") << 10 | CSET("lt") << 11 |
                      CSET("gt") << 12 | CSET("le") << 13);
}

static unsigned test_branches(uint64_t x)
{
    unsigned r = 0, t;
    __asm__("cbz %1, 1f\n\tmov %w0, #0\n\tb 2f\n1: mov %w0, #1\n2:" : "=r"(t) : "r"(x));
    r |= t;
    __asm__("cbnz %w1, 1f\n\tmov %w0, #0\n\tb 2f\n1: mov %w0, #1\n2:" : "=r"(t) : "r"(x));
    r |= t << 1;
    __asm__("tbz %1, #63, 1f\n\tmov %w0, #0\n\tb 2f\n1: mov %w0, #1\n2:" : "=r"(t) : "r"(x));
    r |= t << 2;
    __asm__("tbnz %1, #31, 1f\n\tmov %w0, #0\n\tb 2f\n1: mov %w0, #1\n2:" : "=r"(t) : "r"(x));
    r |= t << 3;
    __asm__("tbz %w1, #0, 1f\n\tmov %w0, #0\n\tb 2f\n1: mov %w0, #1\n2:" : "=r"(t) : "r"(x));
    r |= t << 4;
    return r;
}

static const char *classify(unsigned v)
{
    switch (v % 11) {
    case 0: return "zero";
    case 1: return "one";
    case 2: return "two";
    case 3: return "three";
    case 4: return "four";
    case 5: return "five";
    case 6: return "six";
    case 7: return "seven";
    case 8: return "eight";
    case 9: return "nine";
    default: return "ten";
    }
}

static uint64_t op_add(uint64_t a, uint64_t b) { return a + b; }
static uint64_t op_sub(uint64_t a, uint64_t b) { return a - b; }
static uint64_t op_mul(uint64_t a, uint64_t b) { return a * b; }
static uint64_t op_xor(uint64_t a, uint64_t b) { return a ^ b; }
static uint64_t op_rot(uint64_t a, uint64_t b) { return (a << (b & 63)) | (a >> ((64 - b) & 63)); }
static uint64_t (*const ops[])(uint64_t, uint64_t) = {op_add, op_sub, op_mul, op_xor, op_rot};

static unsigned ackermann(unsigned m, unsigned n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static uint64_t fib(unsigned n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static int collatz_steps(uint64_t n)
{
    int steps = 0;
    while (n != 1) {
        n = (n & 1) ? 3 * n + 1 : n / 2;
        if (++steps > 1000)
            break;
    }
    return steps;
}

int main(void)
{
    printf("control: condition codes (b.cond 64, b.cond 32, cset after cmn)\n");
    for (size_t i = 0; i < ARRAY_SIZE(cvals); i++) {
        for (size_t j = 0; j < ARRAY_SIZE(cvals); j++) {
            unsigned c64 = conds64(cvals[i], cvals[j]);
            unsigned c32 = conds32(cvals[i], cvals[j]);
            unsigned cs = csets(cvals[i], cvals[j]);
            printf("%u %u %04x %04x %04x\n", (unsigned)i, (unsigned)j, c64, c32, cs);
            mix(c64 | (uint64_t)c32 << 16 | (uint64_t)cs << 32);
        }
    }

    printf("control: compare-and-branch, test-and-branch\n");
    for (size_t i = 0; i < ARRAY_SIZE(cvals); i++) {
        unsigned t = test_branches(cvals[i]);
        printf("%u %02x\n", (unsigned)i, t);
        mix(t);
    }

    printf("control: jump table\n");
    for (unsigned v = 0; v < 40; v += 3)
        printf("%u:%s%s", v, classify(v * 7 + 1), v + 3 < 40 ? " " : "\n");

    printf("control: indirect calls\n");
    uint64_t acc = 0x12345;
    for (unsigned k = 0; k < 100; k++)
        acc = ops[(acc ^ k) % ARRAY_SIZE(ops)](acc, k * 0x9e3779b9u + 1);
    printf("acc %016lx\n", (unsigned long)acc);
    mix(acc);

    printf("control: recursion\n");
    printf("ackermann(2,3)=%u ackermann(3,4)=%u fib(24)=%lu\n", ackermann(2, 3),
           ackermann(3, 4), (unsigned long)fib(24));
    int maxsteps = 0;
    uint64_t argmax = 0;
    for (uint64_t n = 1; n < 3000; n++) {
        int s = collatz_steps(n);
        if (s > maxsteps) {
            maxsteps = s;
            argmax = n;
        }
    }
    printf("collatz: %lu takes %d steps\n", (unsigned long)argmax, maxsteps);
    mix(argmax), mix((uint64_t)maxsteps);
    printf("hash %016llx\n", (unsigned long long)hash);
    return 0;
}
