/* Tiny runtime for bare-metal programs on the virt board: PL011 output, printf, string
 * functions, PSCI calls and system register access. */
#ifndef WL_LIB_H
#define WL_LIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* PSCI function identifiers (SMC64 where both exist). */
#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_OFF 0x84000002u
#define PSCI_CPU_ON 0xC4000003u
#define PSCI_AFFINITY_INFO 0xC4000004u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u

#define READ_SYSREG(name)                                                                  \
    ({                                                                                     \
        uint64_t v_;                                                                       \
        __asm__ volatile("mrs %0, " #name : "=r"(v_));                                    \
        v_;                                                                                \
    })

void uart_putc(char ch);
void uart_puts(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *dst, const char *src);
char *strchr(const char *s, int c);
void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
/* CRC-32 (IEEE 802.3, reflected), bit by bit. */
unsigned crc32_sw(const unsigned char *p, size_t n);

/* Exception level the program runs at (1 or 2). */
unsigned current_el(void);
/* PSCI call through the conduit for the current EL (HVC at EL1, SMC at EL2). */
int64_t psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
/* Start core `mpidr` running fn(arg) on the given stack top; returns the PSCI status. */
int64_t start_core(uint64_t mpidr, void (*fn)(void *), void *arg, void *stack_top);
void psci_cpu_off(void) __attribute__((noreturn));
void exit(int code) __attribute__((noreturn));
void system_off(void) __attribute__((noreturn));

#define WRITE_SYSREG(name, v) \
    __asm__ volatile("msr " #name ", %0\n isb" : : "r"((uint64_t)(v)) : "memory")

/* Exceptions in test programs (trap.c). The frame holds x0-x30 of the interrupted code;
 * a handler may change them. `vec` is the vector index 0-15 (offset / 0x80). */
struct trap_frame {
    uint64_t x[31];
    uint64_t pad;
};
struct trap_info {
    uint64_t esr, elr, far, spsr, hpfar;
};
typedef void (*trap_fn)(struct trap_frame *f, unsigned vec);
/* Point VBAR of the current EL (and VBAR_EL1 when at EL2) at the table; fn handles all. */
void trap_install(trap_fn fn);
/* Syndrome registers of the current EL. */
void trap_info(struct trap_info *t);
/* Set where the handler's ERET goes. */
void trap_set_return(uint64_t spsr, uint64_t elr);
/* Run fn at the lower level given by spsr (EL0t 0x0, EL1h 0x3c5) on stack sp; returns when a
 * handler calls trap_back_to_caller(). */
void run_lower(void (*fn)(void), uint64_t spsr, uint64_t sp);
void trap_back_to_caller(void);

#endif
