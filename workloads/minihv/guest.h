/* Runtime of the minihv guests (guest_rt.c): console on the emulated PL011, hypercalls,
 * the virtual GIC CPU interface and the tick helpers. */
#ifndef MINIHV_GUEST_H
#define MINIHV_GUEST_H

#include "abi.h"
#include "fmt.h"

/* Console output through the emulated UART at VUART_IPA: each byte is one store to UARTDR,
 * which faults at stage 2 and is emulated by minihv. `word` selects STR W (32-bit) rather
 * than STRB. */
extern int console_word;
void gprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* MMIO accessors with fixed instructions, so the stage-2 syndrome (ISS.SAS, SSE, SF) is
 * known: ldrb/ldrsb/ldr w/ldr x, strb/str w/str wzr. */
static inline uint64_t mmio_ldrb(uint64_t a)
{
    uint64_t v;
    __asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return v;
}
static inline int64_t mmio_ldrsb(uint64_t a)
{
    int64_t v;
    __asm__ volatile("ldrsb %0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return v;
}
static inline uint32_t mmio_ldr32(uint64_t a)
{
    uint32_t v;
    __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return v;
}
static inline uint64_t mmio_ldr64(uint64_t a)
{
    uint64_t v;
    __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return v;
}
static inline void mmio_str32(uint64_t a, uint32_t v)
{
    __asm__ volatile("str %w0, [%1]" ::"r"(v), "r"(a) : "memory");
}
static inline void mmio_str32_zero(uint64_t a)
{
    __asm__ volatile("str wzr, [%0]" ::"r"(a) : "memory");
}

#define GUEST_STR_(x) #x
#define GUEST_STR(x) GUEST_STR_(x)

/* hvc #MINIHV_HVC_IMM with x0 = fn, x1 = a, x2 = b; returns x0. */
static inline uint64_t hypercall(uint64_t fn, uint64_t a, uint64_t b)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a;
    register uint64_t x2 __asm__("x2") = b;
    __asm__ volatile("hvc #" GUEST_STR(MINIHV_HVC_IMM) : "+r"(x0), "+r"(x1), "+r"(x2)
                     :: "x3", "memory");
    return x0;
}

/* SMC #0 with x0 = fn (trapped by minihv through HCR_EL2.TSC); returns x0. */
static inline uint64_t smc_call(uint64_t fn)
{
    register uint64_t x0 __asm__("x0") = fn;
    __asm__ volatile("smc #0" : "+r"(x0)::"x1", "x2", "x3", "memory");
    return x0;
}

/* Virtual CPU interface: ICC_SRE_EL1.SRE, ICC_PMR_EL1 = 0xff, ICC_IGRPEN1_EL1 = 1, then
 * PSTATE.I cleared. */
void gic_vcpu_init(void);
/* Ticks taken so far, and the INTID of the last one (from ICC_IAR1_EL1). */
extern volatile unsigned ticks, last_intid;
/* Wait with WFI until n more ticks have arrived, printing each. */
void wait_ticks(unsigned n);
/* Busy-wait (HC_BUSY) until n more ticks have arrived. */
void busy_ticks(unsigned n);

int guest_main(void);

#endif
