/* SIMD&FP arithmetic benchmark: a single-precision dot product (FMLA into four
 * accumulators, FADDP/FADDV), SAXPY (FMLA by element) and a byte search in text (CMEQ, UMAXV
 * for memchr; CMEQ/SUB accumulation and UADDLV for counting), written with arm_neon.h and
 * repeated ITERATIONS times (a few 1e8 guest instructions). The checksum (the float results'
 * bits and the counts) must be the same on every simulator: it checks the arithmetic too.
 * Built without -mgeneral-regs-only (Makefile: GUEST_FP_CFLAGS). */
#include <arm_neon.h>
#include "lib.h"

#ifndef ITERATIONS
#define ITERATIONS 60000
#endif
#define NF 1024
#define NT 8192

static float x[NF] __attribute__((aligned(64)));
static float y[NF] __attribute__((aligned(64)));
static uint8_t text[NT] __attribute__((aligned(64)));

static __attribute__((noinline)) float dot(const float *p, const float *q)
{
    float32x4_t s0 = vdupq_n_f32(0), s1 = s0, s2 = s0, s3 = s0;
    for (unsigned i = 0; i < NF; i += 16) {
        s0 = vfmaq_f32(s0, vld1q_f32(p + i), vld1q_f32(q + i));
        s1 = vfmaq_f32(s1, vld1q_f32(p + i + 4), vld1q_f32(q + i + 4));
        s2 = vfmaq_f32(s2, vld1q_f32(p + i + 8), vld1q_f32(q + i + 8));
        s3 = vfmaq_f32(s3, vld1q_f32(p + i + 12), vld1q_f32(q + i + 12));
    }
    return vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
}

/* y = a * x + y */
static __attribute__((noinline)) void saxpy(float a, const float *p, float *q)
{
    for (unsigned i = 0; i < NF; i += 8) {
        vst1q_f32(q + i, vfmaq_n_f32(vld1q_f32(q + i), vld1q_f32(p + i), a));
        vst1q_f32(q + i + 4, vfmaq_n_f32(vld1q_f32(q + i + 4), vld1q_f32(p + i + 4), a));
    }
}

/* index of the first byte c at or after `from`, or NT */
static __attribute__((noinline)) unsigned find(uint8_t c, unsigned from)
{
    uint8x16_t k = vdupq_n_u8(c);
    unsigned i = from & ~15u;
    for (; i < NT; i += 16) {
        uint8x16_t eq = vceqq_u8(vld1q_u8(text + i), k);
        if (vmaxvq_u8(eq)) {
            for (unsigned j = i < from ? from : i; j < i + 16; j++)
                if (text[j] == c)
                    return j;
        }
    }
    return NT;
}

/* how many bytes equal c (CMEQ gives 0xff: subtracting it counts, 255 blocks at a time) */
static __attribute__((noinline)) unsigned count(uint8_t c)
{
    uint8x16_t k = vdupq_n_u8(c);
    unsigned n = 0;
    for (unsigned i = 0; i < NT;) {
        uint8x16_t acc = vdupq_n_u8(0);
        for (unsigned b = 0; b < 255 && i < NT; b++, i += 16)
            acc = vsubq_u8(acc, vceqq_u8(vld1q_u8(text + i), k));
        n += vaddlvq_u8(acc);
    }
    return n;
}

static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static __attribute__((noinline)) int run(void)
{
    uint32_t s = 0x2545f491u;
    for (unsigned i = 0; i < NF; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)(int32_t)(s >> 20) * (1.0f / 2048.0f) - 1.0f;
        s = s * 1664525u + 1013904223u;
        y[i] = (float)(int32_t)(s >> 20) * (1.0f / 4096.0f);
    }
    for (unsigned i = 0; i < NT; i++) {
        s = s * 1664525u + 1013904223u;
        text[i] = (uint8_t)('a' + (s >> 24) % 26);
    }
    uint32_t h = 0;
    for (unsigned it = 0; it < ITERATIONS; it++) {
        float d = dot(x, y);
        saxpy(it & 1 ? -0.5f : 0.4999f, x, y);
        uint8_t c = (uint8_t)('a' + it % 26);
        unsigned at = find(c, (it * 97) % NT), n = count(c);
        h = (h * 31 + bits(d)) ^ (at << 16) ^ n;
    }
    printf("vecbench: %d iterations\n", ITERATIONS);
    printf("checksum %08x %08x\n", h, bits(dot(y, y)));
    return 0;
}

/* SIMD&FP on at EL1 (CPACR_EL1.FPEN = 0b11) before any code that may use the registers:
 * run() is a separate function, so none of its FP code can be scheduled above the MSR. */
int main(void)
{
    WRITE_SYSREG(cpacr_el1, READ_SYSREG(cpacr_el1) | (3ULL << 20));
    return run();
}
