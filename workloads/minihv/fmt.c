/* Minimal printf core shared by minihv and its guests. */
#include "fmt.h"

static void put_num(fmt_putc_fn put, uint64_t v, unsigned base, int neg, int width, int zero,
                    int alt)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    int len = n + neg + (alt ? 2 : 0);
    if (!zero)
        for (; width > len; width--)
            put(' ');
    if (neg)
        put('-');
    if (alt) {
        put('0');
        put('x');
    }
    if (zero)
        for (; width > len; width--)
            put('0');
    while (n)
        put(buf[--n]);
}

void fmt_vprintf(fmt_putc_fn put, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(*fmt);
            continue;
        }
        int zero = 0, alt = 0, width = 0, lng = 0;
        for (fmt++; *fmt == '0' || *fmt == '#'; fmt++)
            *fmt == '0' ? (zero = 1) : (alt = 1);
        for (; *fmt >= '0' && *fmt <= '9'; fmt++)
            width = width * 10 + (*fmt - '0');
        for (; *fmt == 'l'; fmt++)
            lng = 1;
        switch (*fmt) {
        case 'c':
            put((char)va_arg(ap, int));
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            int n = 0;
            while (s[n])
                n++;
            for (; width > n; width--)
                put(' ');
            while (*s)
                put(*s++);
            break;
        }
        case 'd': {
            int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            put_num(put, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0, width, zero, 0);
            break;
        }
        case 'u':
        case 'x': {
            uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            put_num(put, v, *fmt == 'u' ? 10 : 16, 0, width, zero, alt);
            break;
        }
        case 'p':
            put_num(put, (uint64_t)(uintptr_t)va_arg(ap, void *), 16, 0, width, zero, 1);
            break;
        case '\0':
            return;
        default:
            put(*fmt);
            break;
        }
    }
}
