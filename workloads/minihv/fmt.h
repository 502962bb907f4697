/* Minimal printf core shared by minihv and its guests: %c %s %d %u %x %p with the 'l'
 * modifier, '0' and '#' flags and a field width. */
#ifndef MINIHV_FMT_H
#define MINIHV_FMT_H

#include <stdarg.h>
#include <stdint.h>

typedef void (*fmt_putc_fn)(char c);

void fmt_vprintf(fmt_putc_fn put, const char *fmt, va_list ap);

#define READ_SYSREG(name)                                                                  \
    ({                                                                                     \
        uint64_t v_;                                                                       \
        __asm__ volatile("mrs %0, " #name : "=r"(v_));                                    \
        v_;                                                                                \
    })
#define WRITE_SYSREG(name, v)                                                              \
    __asm__ volatile("msr " #name ", %0" ::"r"((uint64_t)(v)) : "memory")
#define ISB() __asm__ volatile("isb" ::: "memory")

#endif
