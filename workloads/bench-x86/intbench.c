/* The integer benchmark of workloads/bench/intbench.c, the same source, as an x86-64
 * bare-metal Multiboot program: its printf is a small one over the 16550 here, and it ends
 * through isa-debug-exit (hvsim, QEMU) or Bochs's shutdown port. Its checksum line must equal the Arm build's (the algorithm is
 * integer-only and defines every result), so the same work runs on both architectures. */
#include <stdarg.h>
#include "../tests-x86/lib/x86.h"

/* What intbench prints: %d, %u, %lu and %x with an optional zero-padded width, %s. */
static void put_num(uint64_t v, unsigned base, int width, bool neg)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (neg)
        putc_('-');
    for (int i = n; i < width; i++)
        putc_('0');
    while (n)
        putc_(buf[--n]);
}

static int bench_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            putc_(*p);
            continue;
        }
        int width = 0, lng = 0;
        p++;
        while (*p >= '0' && *p <= '9')
            width = width * 10 + (*p++ - '0');
        while (*p == 'l') {
            lng = 1;
            p++;
        }
        switch (*p) {
        case 'd': {
            int64_t v = lng ? va_arg(ap, long) : va_arg(ap, int);
            put_num(v < 0 ? (uint64_t)-v : (uint64_t)v, 10, width, v < 0);
            break;
        }
        case 'u':
            put_num(lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, width, false);
            break;
        case 'x':
            put_num(lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, width, false);
            break;
        case 's':
            puts_(va_arg(ap, const char *));
            break;
        default:
            putc_(*p);
        }
    }
    va_end(ap);
    return 0;
}

#define printf bench_printf
#define main intbench_main
#include "../bench/intbench.c"     /* its "lib.h" is workloads/bench-x86/lib.h */

void x86_main(uint32_t magic, uint32_t info);
void x86_main(uint32_t magic, uint32_t info)
{
    (void)magic, (void)info;
    intbench_main();
    debug_exit_or_shutdown(0);
}
