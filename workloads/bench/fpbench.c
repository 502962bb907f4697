/* Floating-point benchmark: double-precision matrix multiply (FMADD chains), a single-
 * precision loop of division, square root and conversions, and a Newton iteration, repeated
 * ITERATIONS times (2.6e8 instructions). Prints a checksum of the result bits, which must be
 * the same on every simulator. Zero constants are avoided (GCC makes them with MOVI, an
 * AdvSIMD integer instruction), so the loop is FP instructions and the base integer ISA only.
 * Built with the FP registers allowed (Makefile); main enables them (CPACR_EL1.FPEN) before
 * calling the FP code, which lives in functions of its own. */
#include "lib.h"

#ifndef ITERATIONS
#define ITERATIONS 1000
#endif

#define MAT_N 32
#define VEC_N 1024

static double mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N], mat_c[MAT_N][MAT_N];
static float vec[VEC_N];

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}
static uint64_t bits_d(double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    return v;
}

__attribute__((noinline)) static void fill(void)
{
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            mat_a[i][j] = (double)(i * MAT_N + j) / 7.0 - 3.25;
            mat_b[i][j] = 1.0 / (double)(i + j + 1);
        }
    for (int i = 0; i < VEC_N; i++)
        vec[i] = (float)i * 0.37f + 1.0f;
}

__attribute__((noinline)) static uint64_t matmul(void)
{
    uint64_t h = 0;
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            double s = mat_a[i][0] * mat_b[0][j];
            for (int k = 1; k < MAT_N; k++)
                s += mat_a[i][k] * mat_b[k][j];
            mat_c[i][j] = s;
            h = mix(h, bits_d(s));
        }
    /* feed the result back so each iteration differs */
    for (int i = 0; i < MAT_N; i++)
        mat_a[i][i] = mat_c[i][(i + 1) % MAT_N] * 1e-3 + 1.0;
    return h;
}

__attribute__((noinline)) static uint64_t vector_loop(void)
{
    float acc = vec[0];
    int64_t iacc = 0;
    for (int i = 0; i < VEC_N; i++) {
        float x = vec[i];
        float y = __builtin_sqrtf(x) / (x + 1.5f);
        vec[i] = x * 0.999f + y;
        acc += y;
        iacc += (int64_t)(x * 16.0f);
    }
    uint32_t b;
    memcpy(&b, &acc, 4);
    return mix(b, (uint64_t)iacc);
}

__attribute__((noinline)) static uint64_t newton(void)
{
    uint64_t h = 0;
    for (int i = 1; i <= 256; i++) {
        double x = (double)i, r = x;
        for (int k = 0; k < 8; k++)
            r = 0.5 * (r + x / r);
        h = mix(h, bits_d(r));
    }
    return h;
}

__attribute__((noinline)) static uint64_t run(void)
{
    uint64_t h = 0;
    fill();
    for (int it = 0; it < ITERATIONS; it++) {
        h = mix(h, matmul());
        h = mix(h, vector_loop());
        h = mix(h, newton());
    }
    return h;
}

int main(void)
{
    uint64_t cpacr = READ_SYSREG(cpacr_el1);
    __asm__ volatile("msr cpacr_el1, %0\n\tisb" : : "r"(cpacr | (3ull << 20)));
    printf("checksum %016llx\n", (unsigned long long)run());
    return 0;
}
