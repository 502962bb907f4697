/* SIMD&FP data movement benchmark: block copies through LD1/ST1 of four Q registers and
 * LDP/STP Q, and the LD4/ST4 (de)interleave of 4-byte pixels into planes and back, repeated
 * ITERATIONS times over 64 KiB (about 2.6e8 guest instructions). It uses no SIMD arithmetic,
 * so it runs as soon as SIMD&FP loads and stores do; vecbench.c is the arithmetic one.
 * Built without -mgeneral-regs-only (Makefile: GUEST_FP_CFLAGS); the FNV-1a checksum at the
 * end is scalar and must be the same on every simulator. */
#include <arm_neon.h>
#include "lib.h"

#ifndef ITERATIONS
#define ITERATIONS 6000
#endif
#define N (64 * 1024)

static uint8_t a[N] __attribute__((aligned(64)));
static uint8_t b[N] __attribute__((aligned(64)));
static uint8_t planes[4][N / 4] __attribute__((aligned(64)));

/* LD1/ST1 {v0-v3}: 64 bytes per step, the destination rotated by `rot` 64-byte blocks */
static __attribute__((noinline)) void copy_x4(uint8_t *dst, const uint8_t *src, unsigned rot)
{
    for (unsigned i = 0; i < N; i += 64)
        vst1q_u8_x4(dst + ((i + rot * 64) & (N - 1)), vld1q_u8_x4(src + i));
}

/* LDP/STP Q with post-index, 32 bytes per step */
static __attribute__((noinline)) void copy_pairs(uint8_t *dst, const uint8_t *src)
{
    __asm__ volatile("1: ldp q0, q1, [%1], #32\n"
                     "   stp q0, q1, [%0], #32\n"
                     "   subs %2, %2, #32\n"
                     "   b.ne 1b"
                     : "+r"(dst), "+r"(src)
                     : "r"((uint64_t)N)
                     : "v0", "v1", "memory", "cc");
}

/* LD4 {v0.16b-v3.16b}: RGBA pixels to four planes; ST4 back */
static __attribute__((noinline)) void split(const uint8_t *src)
{
    for (unsigned i = 0; i < N; i += 64) {
        uint8x16x4_t v = vld4q_u8(src + i);
        vst1q_u8(&planes[0][i / 4], v.val[0]);
        vst1q_u8(&planes[1][i / 4], v.val[1]);
        vst1q_u8(&planes[2][i / 4], v.val[2]);
        vst1q_u8(&planes[3][i / 4], v.val[3]);
    }
}

/* the planes back, with channels 0 and 2 swapped (ARGB <-> ABGR); in assembly, because
 * GCC loads the intrinsics' operands elsewhere and adds register moves (ORR: arithmetic) */
static __attribute__((noinline)) void merge(uint8_t *dst)
{
    for (unsigned i = 0; i < N / 4; i += 16)
        __asm__ volatile("ldr q0, [%1]\n ldr q1, [%2]\n ldr q2, [%3]\n ldr q3, [%4]\n"
                         "st4 {v0.16b, v1.16b, v2.16b, v3.16b}, [%0], #64"
                         : "+r"(dst)
                         : "r"(&planes[2][i]), "r"(&planes[1][i]), "r"(&planes[0][i]),
                           "r"(&planes[3][i])
                         : "v0", "v1", "v2", "v3", "memory");
}

static __attribute__((noinline)) int run(void)
{
    uint32_t s = 0x2545f491u;
    for (unsigned i = 0; i < N; i++) {
        s = s * 1664525u + 1013904223u;
        a[i] = (uint8_t)(s >> 24);
    }
    for (unsigned it = 0; it < ITERATIONS; it++) {
        copy_x4(b, a, it);
        split(b);
        merge(a);
        copy_pairs(b, a);
        copy_x4(a, b, it * 3);
    }
    uint32_t h = 2166136261u;
    for (unsigned i = 0; i < N; i++)
        h = (h ^ a[i]) * 16777619u;
    printf("vecmove: %d iterations\n", ITERATIONS);
    printf("checksum %08x\n", h);
    return 0;
}

/* SIMD&FP on at EL1 (CPACR_EL1.FPEN = 0b11) before any code that may use the registers:
 * run() is a separate function, so none of its FP code can be scheduled above the MSR. */
int main(void)
{
    WRITE_SYSREG(cpacr_el1, READ_SYSREG(cpacr_el1) | (3ULL << 20));
    return run();
}
