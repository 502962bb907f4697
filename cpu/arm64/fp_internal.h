/* Shared by the scalar FP and AdvSIMD FP executors (exec_fp.c, exec_simd_fp.c): the FPCR/
 * FPSR environment an instruction computes in, and element access to the V registers. */
#ifndef HVSIM_CPU_ARM64_FP_INTERNAL_H
#define HVSIM_CPU_ARM64_FP_INTERNAL_H
#include "cpu/arm64/cpu.h"
#include "cpu/arm64/fpu.h"
#include "cpu/arm64/sysreg.h"

/* The environment of one instruction: FPCR as it stands, FPSR's flags accumulate in it and
 * are written back by a64_fpu_done (FPSR is written whether or not a flag was raised). */
static inline FpuEnv a64_fpu_env(const Arm64Cpu *c)
{
    return fpu_env(c->sys[A64_SYS_FPCR], c->sys[A64_SYS_FPSR]);
}
static inline void a64_fpu_done(Arm64Cpu *c, const FpuEnv *e)
{
    c->sys[A64_SYS_FPSR] = e->fpsr;
}

/* Mask of an element of format fmt (FPU_H/S/D = log2 of its bytes). */
static inline uint64_t a64_fmt_mask(int fmt)
{
    return fmt == FPU_D ? ~0ULL : (1ULL << (8 << fmt)) - 1;
}
/* Element i of format fmt of V register r (lanes little-endian, cpu.h). */
static inline uint64_t a64_velem(const Arm64Cpu *c, unsigned r, unsigned i, int fmt)
{
    switch (fmt) {
    case FPU_H: return c->v[r].h[i];
    case FPU_S: return c->v[r].s[i];
    default: return c->v[r].d[i];
    }
}
static inline void a64_set_velem(A64Vreg *v, unsigned i, int fmt, uint64_t x)
{
    switch (fmt) {
    case FPU_H: v->h[i] = (uint16_t)x; break;
    case FPU_S: v->s[i] = (uint32_t)x; break;
    default: v->d[i] = x; break;
    }
}
/* Scalar result: element 0, the rest of the register zeroed (Arm ARM: V[d] = result). */
static inline void a64_vset_scalar(Arm64Cpu *c, unsigned r, uint64_t x)
{
    c->v[r].d[0] = x;
    c->v[r].d[1] = 0;
}

/* Executors come one per format (exec_NAME[0] single, [1] double) around an always-inline
 * BODY(c, d, fmt), so register and element accesses and the arithmetic's format dispatch
 * fold away. */
#define PER_FORMAT(NAME, BODY)                                                                \
    A64_EXEC(exec_##NAME##_S)                                                                \
    {                                                                                         \
        return BODY(c, d, FPU_S);                                                             \
    }                                                                                         \
    A64_EXEC(exec_##NAME##_D)                                                                \
    {                                                                                         \
        return BODY(c, d, FPU_D);                                                             \
    }                                                                                         \
    static const A64ExecFn exec_##NAME[2] = { exec_##NAME##_S, exec_##NAME##_D };
#endif
