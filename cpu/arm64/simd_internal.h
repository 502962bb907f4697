/* Helpers shared by the AdvSIMD integer and crypto executors (exec_simd_*.c, exec_crypto.c):
 * element access by size, sign extension, saturation with FPSR.QC.
 *
 * Element sizes are given as esz = log2(bytes): 0 = B, 1 = H, 2 = S, 3 = D. Executors build
 * the result in a local A64Vreg (zeroed, so a 64-bit or scalar result clears the rest of the
 * register, Arm ARM "V[] = value" with a narrower width) and store it last, which also makes
 * Vd = Vn / Vm aliasing safe. */
#ifndef HVSIM_CPU_ARM64_SIMD_INTERNAL_H
#define HVSIM_CPU_ARM64_SIMD_INTERNAL_H
#include "cpu/arm64/cpu.h"
#include "cpu/arm64/sysreg.h"

typedef __int128 a64_s128;
typedef unsigned __int128 a64_u128;

static inline uint64_t vget(const A64Vreg *v, unsigned esz, unsigned i)
{
    switch (esz) {
    case 0: return v->b[i];
    case 1: return v->h[i];
    case 2: return v->s[i];
    default: return v->d[i];
    }
}

/* Stores the low 8 << esz bits of x. */
static inline void vput(A64Vreg *v, unsigned esz, unsigned i, uint64_t x)
{
    switch (esz) {
    case 0: v->b[i] = (uint8_t)x; break;
    case 1: v->h[i] = (uint16_t)x; break;
    case 2: v->s[i] = (uint32_t)x; break;
    default: v->d[i] = x; break;
    }
}

static inline unsigned ebits(unsigned esz)
{
    return 8u << esz;
}

static inline uint64_t emask(unsigned esz)
{
    return esz >= 3 ? ~0ULL : (1ULL << ebits(esz)) - 1;
}

static inline int64_t sext(uint64_t x, unsigned esz)
{
    unsigned sh = 64 - ebits(esz);
    return (int64_t)(x << sh) >> sh;
}

/* FPSR.QC (bit 27): the cumulative saturation flag (Arm ARM C5.2.8). */
static inline void set_qc(Arm64Cpu *c)
{
    c->sys[A64_SYS_FPSR] |= 1u << 27;
}

/* SignedSatQ / UnsignedSatQ (Arm ARM J1 shared/functions/integer): v clamped to the range of
 * an esz element, QC set when it had to be; returns the element's bits. */
static inline uint64_t sat_s(Arm64Cpu *c, a64_s128 v, unsigned esz)
{
    a64_s128 max = ((a64_s128)1 << (ebits(esz) - 1)) - 1, min = -max - 1;
    if (v > max) {
        set_qc(c);
        v = max;
    } else if (v < min) {
        set_qc(c);
        v = min;
    }
    return (uint64_t)v & emask(esz);
}

static inline uint64_t sat_u(Arm64Cpu *c, a64_s128 v, unsigned esz)
{
    a64_s128 max = ((a64_s128)1 << ebits(esz)) - 1;
    if (v > max) {
        set_qc(c);
        v = max;
    } else if (v < 0) {
        set_qc(c);
        v = 0;
    }
    return (uint64_t)v;
}

/* Carry-less (polynomial) multiply of two 64-bit values: the 128-bit product (PMUL, PMULL). */
static inline a64_u128 clmul64(uint64_t a, uint64_t b)
{
    a64_u128 r = 0;
    for (unsigned i = 0; i < 64; i++)
        if ((b >> i) & 1)
            r ^= (a64_u128)a << i;
    return r;
}
#endif
