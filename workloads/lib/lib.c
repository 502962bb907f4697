/* Runtime for bare-metal programs: PL011 UART output, printf, string functions, PSCI. */
#include "lib.h"

/* Keep GCC from turning the copy loops below into calls to themselves. */
#pragma GCC optimize("no-tree-loop-distribute-patterns")

#define UART_BASE 0x09000000ul
#define UART_DR 0x00
#define UART_FR 0x18
#define UART_CR 0x30
#define UART_FR_TXFF (1u << 5)

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
    *(volatile uint32_t *)addr = v;
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
    return *(volatile uint32_t *)addr;
}

static int uart_ready;

void uart_putc(char ch)
{
    if (!uart_ready) {
        mmio_write32(UART_BASE + UART_CR, 0x301); /* UARTEN | TXE | RXE */
        uart_ready = 1;
    }
    while (mmio_read32(UART_BASE + UART_FR) & UART_FR_TXFF)
        ;
    mmio_write32(UART_BASE + UART_DR, (uint8_t)ch);
}

void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

/* ---- formatted output ------------------------------------------------------------- */

struct sink {
    char *buf; /* NULL: write to the UART */
    size_t size;
    size_t len;
};

static void sink_put(struct sink *s, char ch)
{
    if (!s->buf)
        uart_putc(ch);
    else if (s->len + 1 < s->size)
        s->buf[s->len] = ch;
    s->len++;
}

static void put_field(struct sink *s, const char *body, size_t n, const char *prefix, int width,
                      int left, int zero)
{
    size_t plen = strlen(prefix);
    int pad = width - (int)(n + plen);
    if (pad < 0)
        pad = 0;
    if (!left && !zero)
        for (int i = 0; i < pad; i++)
            sink_put(s, ' ');
    for (size_t i = 0; i < plen; i++)
        sink_put(s, prefix[i]);
    if (!left && zero)
        for (int i = 0; i < pad; i++)
            sink_put(s, '0');
    for (size_t i = 0; i < n; i++)
        sink_put(s, body[i]);
    if (left)
        for (int i = 0; i < pad; i++)
            sink_put(s, ' ');
}

static size_t fmt_unsigned(char *end, unsigned long long v, unsigned base, int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;
    do {
        *--p = digits[v % base];
        v /= base;
    } while (v);
    return (size_t)(end - p);
}

static int do_format(struct sink *s, const char *fmt, va_list ap)
{
    char tmp[32];
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            sink_put(s, *fmt);
            continue;
        }
        fmt++;
        int left = 0, zero = 0, plus = 0, alt = 0;
        for (;; fmt++) {
            if (*fmt == '-')
                left = 1;
            else if (*fmt == '0')
                zero = 1;
            else if (*fmt == '+')
                plus = 1;
            else if (*fmt == '#')
                alt = 1;
            else
                break;
        }
        int width = 0;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                left = 1;
                width = -width;
            }
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        int lng = 0; /* 0 int, 1 long, 2 long long */
        if (*fmt == 'l') {
            lng = 1;
            fmt++;
            if (*fmt == 'l') {
                lng = 2;
                fmt++;
            }
        } else if (*fmt == 'z') {
            lng = 1;
            fmt++;
        } else if (*fmt == 'h') {
            fmt++;
            if (*fmt == 'h')
                fmt++;
        }
        char *end = tmp + sizeof(tmp);
        size_t n;
        switch (*fmt) {
        case 'd':
        case 'i': {
            long long v = lng == 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int);
            unsigned long long mag = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
            n = fmt_unsigned(end, mag, 10, 0);
            put_field(s, end - n, n, v < 0 ? "-" : plus ? "+" : "", width, left, zero);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            unsigned long long v = lng == 2 ? va_arg(ap, unsigned long long)
                                   : lng    ? va_arg(ap, unsigned long)
                                            : va_arg(ap, unsigned);
            unsigned base = *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16;
            n = fmt_unsigned(end, v, base, *fmt == 'X');
            const char *prefix = (alt && base == 16 && v) ? (*fmt == 'X' ? "0X" : "0x") : "";
            put_field(s, end - n, n, prefix, width, left, zero);
            break;
        }
        case 'p': {
            uintptr_t v = (uintptr_t)va_arg(ap, void *);
            n = fmt_unsigned(end, v, 16, 0);
            put_field(s, end - n, n, "0x", width, left, zero);
            break;
        }
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            put_field(s, str, strlen(str), "", width, left, 0);
            break;
        }
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            put_field(s, tmp, 1, "", width, left, 0);
            break;
        case '%':
            sink_put(s, '%');
            break;
        case '\0':
            fmt--;
            break;
        default:
            sink_put(s, '%');
            sink_put(s, *fmt);
            break;
        }
    }
    return (int)s->len;
}

int vprintf(const char *fmt, va_list ap)
{
    struct sink s = {0, 0, 0};
    return do_format(&s, fmt, ap);
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vprintf(fmt, ap);
    va_end(ap);
    return r;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink s = {buf, size, 0};
    int r = do_format(&s, fmt, ap);
    if (size)
        buf[s.len < size ? s.len : size - 1] = '\0';
    return r;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return r;
}

/* ---- string functions ------------------------------------------------------------- */
/* With the MMU off data memory is Device memory, where unaligned accesses fault, so the
 * word loops only run when both pointers are 8-byte aligned. */

void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
        for (; n >= 8; n -= 8, d += 8, s += 8)
            *(uint64_t *)d = *(const uint64_t *)s;
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d == s || n == 0)
        return dst;
    if (d < s || d >= s + n)
        return memcpy(dst, src, n);
    while (n--)
        d[n] = s[n];
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    while (n && ((uintptr_t)d & 7)) {
        *d++ = (unsigned char)c;
        n--;
    }
    uint64_t w = 0x0101010101010101ull * (unsigned char)c;
    for (; n >= 8; n -= 8, d += 8)
        *(uint64_t *)d = w;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

char *strcpy(char *dst, const char *src)
{
    char *d = dst;
    while ((*d++ = *src++))
        ;
    return dst;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return 0;
    }
}

static void swap_bytes(unsigned char *a, unsigned char *b, size_t size)
{
    while (size--) {
        unsigned char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

/* Heap sort: deterministic, no recursion, no allocation. */
void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    unsigned char *b = base;
    if (n < 2)
        return;
    for (size_t start = n / 2; start-- > 0;) {
        for (size_t root = start;;) {
            size_t child = 2 * root + 1;
            if (child >= n)
                break;
            if (child + 1 < n && cmp(b + child * size, b + (child + 1) * size) < 0)
                child++;
            if (cmp(b + root * size, b + child * size) >= 0)
                break;
            swap_bytes(b + root * size, b + child * size, size);
            root = child;
        }
    }
    for (size_t end = n - 1; end > 0; end--) {
        swap_bytes(b, b + end * size, size);
        for (size_t root = 0;;) {
            size_t child = 2 * root + 1;
            if (child >= end)
                break;
            if (child + 1 < end && cmp(b + child * size, b + (child + 1) * size) < 0)
                child++;
            if (cmp(b + root * size, b + child * size) >= 0)
                break;
            swap_bytes(b + root * size, b + child * size, size);
            root = child;
        }
    }
}

/* ---- PSCI and exit ---------------------------------------------------------------- */

unsigned current_el(void)
{
    return (unsigned)(READ_SYSREG(CurrentEL) >> 2) & 3;
}

int64_t psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    if (current_el() == 2)
        __asm__ volatile("smc #0"
                         : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                         :
                         : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
                           "x15", "x16", "x17", "memory");
    else
        __asm__ volatile("hvc #0"
                         : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                         :
                         : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
                           "x15", "x16", "x17", "memory");
    return (int64_t)x0;
}

struct core_start {
    uint64_t sp;
    void (*fn)(void *);
    void *arg;
};

#define MAX_CORES 8
static struct core_start core_starts[MAX_CORES];

extern char secondary_entry[];

int64_t start_core(uint64_t mpidr, void (*fn)(void *), void *arg, void *stack_top)
{
    struct core_start *cs = &core_starts[mpidr & (MAX_CORES - 1)];
    cs->sp = (uint64_t)(uintptr_t)stack_top & ~15ull;
    cs->fn = fn;
    cs->arg = arg;
    __asm__ volatile("dsb sy" ::: "memory");
    return psci_call(PSCI_CPU_ON, mpidr, (uint64_t)(uintptr_t)secondary_entry,
                     (uint64_t)(uintptr_t)cs);
}

void psci_cpu_off(void)
{
    psci_call(PSCI_CPU_OFF, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}

void system_off(void)
{
    psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}

void exit(int code)
{
    printf("exit code %d\n", code);
    system_off();
}

/* Called from the vector table in crt0.S with the vector index and syndrome registers. */
void exception_report(uint64_t idx, uint64_t esr, uint64_t elr, uint64_t far);
void exception_report(uint64_t idx, uint64_t esr, uint64_t elr, uint64_t far)
{
    printf("unexpected exception: vector %lu ESR=%016lx ELR=%016lx FAR=%016lx\n",
           (unsigned long)idx, (unsigned long)esr, (unsigned long)elr, (unsigned long)far);
    exit(255);
}

/* ---- libgcc helpers ---------------------------------------------------------------- */
/* libgcc's population count uses the SIMD CNT instruction; these general-register
 * versions take precedence at link time, so programs stay free of FP/SIMD. */
int __popcountdi2(long long x);
int __popcountdi2(long long x)
{
    uint64_t v = (uint64_t)x;
    v = v - ((v >> 1) & 0x5555555555555555ull);
    v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
    v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (int)((v * 0x0101010101010101ull) >> 56);
}

int __popcountsi2(int x);
int __popcountsi2(int x)
{
    return __popcountdi2((long long)(unsigned)x);
}

int __paritydi2(long long x);
int __paritydi2(long long x)
{
    return __popcountdi2(x) & 1;
}

int __paritysi2(int x);
int __paritysi2(int x)
{
    return __popcountsi2(x) & 1;
}

unsigned crc32_sw(const unsigned char *p, size_t n)
{
    unsigned crc = 0xffffffffu;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
    return ~crc;
}
