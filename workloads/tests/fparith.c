/* Floating point end to end: scalar and AdvSIMD FP instructions over edge values (zeros,
 * subnormals, the smallest normal, the largest finite, infinities, quiet and signalling NaNs,
 * rounding ties) in several FPCR modes (RMode, FZ, DN, AHP); per instruction and mode one
 * line with a hash of the results and the FPSR flags they raised. Compared with QEMU's output
 * by the system tests. Built with the FP registers allowed (Makefile); main enables them
 * (CPACR_EL1.FPEN) before calling the FP code, which lives in functions of its own. */
#include "lib.h"

static const uint64_t dvals[] = {
    0x0000000000000000ull, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff8000000000000ull,
    0x0010000000000000ull, 0x000fffffffffffffull, 0x0000000000000001ull, 0x7fefffffffffffffull,
    0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000001ull, 0x7ff0000000000002ull,
    0x3fd5555555555555ull, 0x4004000000000000ull, 0xc3e0000000000000ull, 0x3fefffffffffffffull,
};
static const uint32_t svals[] = {
    0x00000000u, 0x80000000u, 0x3f800000u, 0xbfc00000u, 0x00800000u, 0x007fffffu, 0x00000001u,
    0x7f7fffffu, 0x7f800000u, 0xff800000u, 0x7fc00001u, 0x7f800002u, 0x3eaaaaabu, 0x40200000u,
    0xcf000000u, 0x3f7fffffu,
};
#define NV 16

static const uint64_t modes[] = {
    0, 1ull << 22, 2ull << 22, 3ull << 22, 1ull << 24, 1ull << 25,
    (1ull << 24) | (1ull << 25) | (2ull << 22), 1ull << 26,
};

static uint64_t hash;
static void mix(uint64_t v)
{
    hash ^= v + 0x9e3779b97f4a7c15ull + (hash << 6) + (hash >> 2);
}

#define OP_D2(NAME, INSN)                                                                   \
    __attribute__((noinline)) static void NAME(void)                                        \
    {                                                                                       \
        for (int i = 0; i < NV; i++)                                                        \
            for (int j = 0; j < NV; j++) {                                                  \
                uint64_t r;                                                                 \
                __asm__ volatile("fmov d1, %1\n\tfmov d2, %2\n\t" INSN "\n\tfmov %0, d0"    \
                                 : "=r"(r) : "r"(dvals[i]), "r"(dvals[j])                   \
                                 : "v0", "v1", "v2", "x3", "cc");                           \
                mix(r);                                                                     \
            }                                                                               \
    }
#define OP_S2(NAME, INSN)                                                                   \
    __attribute__((noinline)) static void NAME(void)                                        \
    {                                                                                       \
        for (int i = 0; i < NV; i++)                                                        \
            for (int j = 0; j < NV; j++) {                                                  \
                uint64_t r;                                                                 \
                __asm__ volatile("fmov s1, %w1\n\tfmov s2, %w2\n\t" INSN "\n\tfmov %0, d0"  \
                                 : "=r"(r) : "r"(svals[i]), "r"(svals[j]) : "v0", "v1", "v2"); \
                mix(r);                                                                     \
            }                                                                               \
    }
#define OP_D1(NAME, INSN)                                                                   \
    __attribute__((noinline)) static void NAME(void)                                        \
    {                                                                                       \
        for (int i = 0; i < NV; i++) {                                                      \
            uint64_t r;                                                                     \
            __asm__ volatile("fmov d1, %1\n\tmov x0, #0\n\t" INSN "\n\tfmov x1, d0\n\t"     \
                             "eor %0, x0, x1"                                               \
                             : "=r"(r) : "r"(dvals[i]) : "v0", "v1", "x0", "x1");           \
            mix(r);                                                                         \
        }                                                                                   \
    }

OP_D2(fadd_d, "fadd d0, d1, d2")
OP_D2(fsub_d, "fsub d0, d1, d2")
OP_D2(fmul_d, "fmul d0, d1, d2")
OP_D2(fdiv_d, "fdiv d0, d1, d2")
OP_D2(fmadd_d, "fmadd d0, d1, d2, d1")
OP_D2(fnmsub_d, "fnmsub d0, d2, d1, d2")
OP_D2(fmaxnm_d, "fmaxnm d0, d1, d2")
OP_D2(fmin_d, "fmin d0, d1, d2")
OP_D2(fcmpe_d, "fcmpe d1, d2\n\tmrs x3, nzcv\n\tfmov d0, x3")
OP_S2(fadd_s, "fadd s0, s1, s2")
OP_S2(fmul_s, "fmul s0, s1, s2")
OP_S2(fdiv_s, "fdiv s0, s1, s2")
OP_S2(fmla_4s, "fmov s0, s2\n\tfmla v0.4s, v1.4s, v2.s[0]")
OP_S2(frecps_s, "frecps s0, s1, s2")
OP_S2(frsqrts_s, "frsqrts s0, s1, s2")
OP_S2(facgt_s, "facgt s0, s1, s2")
OP_D1(fsqrt_d, "fsqrt d0, d1")
OP_D1(frinti_d, "frinti d0, d1")
OP_D1(frinta_d, "frinta d0, d1")
OP_D1(fcvtzs_x, "fcvtzs x0, d1")
OP_D1(fcvtnu_w, "fcvtnu w0, d1")
OP_D1(fcvt_s, "fcvt s0, d1")
OP_D1(fcvt_h, "fcvt h0, d1\n\tfcvt s0, h0")
OP_D1(fcvtxn, "fcvtxn s0, d1")
OP_D1(frecpe_d, "frecpe d0, d1")
OP_D1(frsqrte_d, "frsqrte d0, d1")
OP_D1(scvtf_d, "fmov x1, d1\n\tscvtf d0, x1, #3")
OP_D1(fcvtl_2d, "fcvtn v1.2s, v1.2d\n\tfcvtl v0.2d, v1.2s")

struct op {
    const char *name;
    void (*fn)(void);
};
static const struct op ops[] = {
    { "fadd_d", fadd_d }, { "fsub_d", fsub_d }, { "fmul_d", fmul_d }, { "fdiv_d", fdiv_d },
    { "fmadd_d", fmadd_d }, { "fnmsub_d", fnmsub_d }, { "fmaxnm_d", fmaxnm_d },
    { "fmin_d", fmin_d }, { "fcmpe_d", fcmpe_d }, { "fadd_s", fadd_s }, { "fmul_s", fmul_s },
    { "fdiv_s", fdiv_s }, { "fmla_4s", fmla_4s }, { "frecps_s", frecps_s },
    { "frsqrts_s", frsqrts_s }, { "facgt_s", facgt_s }, { "fsqrt_d", fsqrt_d },
    { "frinti_d", frinti_d }, { "frinta_d", frinta_d }, { "fcvtzs_x", fcvtzs_x },
    { "fcvtnu_w", fcvtnu_w }, { "fcvt_s", fcvt_s }, { "fcvt_h", fcvt_h }, { "fcvtxn", fcvtxn },
    { "frecpe_d", frecpe_d }, { "frsqrte_d", frsqrte_d }, { "scvtf_d", scvtf_d },
    { "fcvtl_2d", fcvtl_2d },
};

__attribute__((noinline)) static void run(void)
{
    for (unsigned m = 0; m < ARRAY_SIZE(modes); m++) {
        for (unsigned k = 0; k < ARRAY_SIZE(ops); k++) {
            uint64_t fpsr;
            hash = 0;
            __asm__ volatile("msr fpcr, %0\n\tmsr fpsr, xzr" : : "r"(modes[m]));
            ops[k].fn();
            __asm__ volatile("mrs %0, fpsr\n\tmsr fpcr, xzr" : "=r"(fpsr));
            printf("fpcr %08llx %-10s %016llx fpsr %02llx\n", (unsigned long long)modes[m],
                   ops[k].name, (unsigned long long)hash, (unsigned long long)fpsr);
        }
    }
}

int main(void)
{
    uint64_t cpacr = READ_SYSREG(cpacr_el1);
    __asm__ volatile("msr cpacr_el1, %0\n\tisb" : : "r"(cpacr | (3ull << 20)));
    run();
    return 0;
}
