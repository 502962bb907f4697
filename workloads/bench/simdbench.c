/* AdvSIMD integer benchmark: the inner loop of glibc's aarch64 string routines (strlen,
 * memchr: CMEQ, UMAXP, UMOV, SHRN) together with the byte arithmetic of checksums and
 * hashes (ADD, EOR, UADDLP/UADALP, TBL, EXT), run over a 4 KiB buffer ITERATIONS times
 * (about 2e8 guest instructions). Prints a checksum, which must be the same on every
 * simulator. Written as inline assembly: the guest workloads build with
 * -mgeneral-regs-only. */
#include "lib.h"

#ifndef ITERATIONS
#define ITERATIONS 50000
#endif
#define BUF_LEN 4096

static uint8_t buf[BUF_LEN] __attribute__((aligned(16)));
static const uint8_t perm[16] = { 3, 1, 4, 15, 9, 2, 6, 5, 13, 7, 0, 8, 12, 10, 11, 14 };

static uint32_t seed = 0x2545f491u;
static uint32_t lcg(void)
{
    seed = seed * 1664525u + 1013904223u;
    return seed;
}

int main(void)
{
    uint64_t cpacr;
    __asm__ volatile("mrs %0, cpacr_el1" : "=r"(cpacr));
    __asm__ volatile("msr cpacr_el1, %0\n\tisb" : : "r"(cpacr | (3u << 20)));
    for (int i = 0; i < BUF_LEN; i++) {
        uint8_t b = (uint8_t)(lcg() >> 24);
        buf[i] = (i % 97 == 0) ? 0 : b;
    }
    uint64_t zero_chunks = 0, sum[6];
    __asm__ volatile(
        "movi v3.16b, #0\n\t"
        "movi v4.16b, #0\n\t"
        "movi v6.16b, #0\n\t"
        "movi v9.16b, #0\n\t"
        "ld1 {v8.16b}, [%[perm]]\n\t"
        "mov x5, %[iters]\n"
        "0:\n\t"
        "mov x1, %[buf]\n\t"
        "mov x2, %[chunks]\n"
        "1:\n\t"
        "ld1 {v0.16b}, [x1], #16\n\t"
        "cmeq v1.16b, v0.16b, #0\n\t"
        "umaxp v2.16b, v1.16b, v1.16b\n\t"
        "umov x3, v2.d[0]\n\t"
        "cmp x3, #0\n\t"
        "cinc %[zc], %[zc], ne\n\t"
        "add v3.16b, v3.16b, v0.16b\n\t"
        "eor v4.16b, v4.16b, v1.16b\n\t"
        "uaddlp v5.8h, v0.16b\n\t"
        "uadalp v6.4s, v5.8h\n\t"
        "tbl v7.16b, {v0.16b}, v8.16b\n\t"
        "ext v9.16b, v9.16b, v7.16b, #3\n\t"
        "shrn v10.8b, v1.8h, #4\n\t"
        "eor v9.16b, v9.16b, v10.16b\n\t"
        "subs x2, x2, #1\n\t"
        "b.ne 1b\n\t"
        "subs x5, x5, #1\n\t"
        "b.ne 0b\n\t"
        "umov %[s0], v3.d[0]\n\t"
        "umov %[s1], v3.d[1]\n\t"
        "umov %[s2], v4.d[0]\n\t"
        "umov %[s3], v6.d[0]\n\t"
        "umov %[s4], v6.d[1]\n\t"
        "umov %[s5], v9.d[1]\n\t"
        : [zc] "+r"(zero_chunks), [s0] "=&r"(sum[0]), [s1] "=&r"(sum[1]), [s2] "=&r"(sum[2]),
          [s3] "=&r"(sum[3]), [s4] "=&r"(sum[4]), [s5] "=&r"(sum[5])
        : [buf] "r"(buf), [perm] "r"(perm), [chunks] "r"((uint64_t)(BUF_LEN / 16)),
          [iters] "r"((uint64_t)ITERATIONS)
        : "x1", "x2", "x3", "x5", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9",
          "v10", "cc", "memory");
    uint64_t h = zero_chunks;
    for (int i = 0; i < 6; i++)
        h = h * 0x100000001b3ULL ^ sum[i];
    printf("simdbench: %d iterations, %llu chunks with a zero, checksum %016llx\n", ITERATIONS,
           (unsigned long long)zero_chunks, (unsigned long long)h);
    return 0;
}
