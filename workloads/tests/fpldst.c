/* SIMD&FP loads and stores (Arm ARM C4.1.88, C7.2 LD1-LD4/ST1-ST4): every addressing mode
 * with real index registers (the random tester keeps Rm = XZR), literals, pairs, structures
 * with register post-index and register-number wrap-around, and precise faults: accesses
 * that run off the end of RAM (an external abort, taken with the MMU off like QEMU's virt)
 * leave every register and the base unchanged. Printed for comparison with QEMU.
 *
 * Each case loads V0-V31 from a known pattern, runs one instruction with the base in x9
 * (and an index in x10), stores V0-V31 and prints the registers that changed, the base's
 * movement, a CRC of the scratch memory and the exception, if any. After a fault only the
 * syndrome and the base are printed: the destination registers of a faulting load, and the
 * memory a faulting store would have written, are UNKNOWN in the Arm ARM (only the base of a
 * writeback form must keep its value): QEMU writes the elements before the faulting one,
 * hvsim none (the unit tests ldst_simd/fault_* check hvsim's registers and memory). */
#include "lib.h"

#define RAM_END 0x50000000ULL     /* -m 256M: the first byte with nothing behind it */

static uint8_t mem[1024] __attribute__((aligned(64)));
static uint8_t vin[32][16] __attribute__((aligned(16)));
static uint8_t vout[32][16] __attribute__((aligned(16)));
static volatile uint64_t exc_esr, exc_far;
static volatile unsigned nexc;

static void handler(struct trap_frame *f, unsigned idx)
{
    (void)f;
    struct trap_info t;
    trap_info(&t);
    exc_esr = t.esr;
    exc_far = t.far;
    nexc++;
    if ((idx & 3) != 0 || ((t.esr >> 26) & 0x3f) != 0x25) {
        printf("unexpected exception: vec=%u ESR=0x%llx\n", idx, (unsigned long long)t.esr);
        system_off();
    }
    trap_set_return(t.spsr, t.elr + 4);
}

static void reset_state(void)
{
    for (unsigned i = 0; i < sizeof mem; i++)
        mem[i] = (uint8_t)(i * 7 + 3);
    for (unsigned r = 0; r < 32; r++)
        for (unsigned b = 0; b < 16; b++)
            vin[r][b] = (uint8_t)(0xa0 + r + (b << 4));
}

static void show(const char *name, uint64_t moved)
{
    printf("%-40s base%+lld mem=%08x", name, (long long)moved, crc32_sw(mem, sizeof mem));
    if (nexc)
        printf(" fault EC=0x%02x ISS=0x%07x FAR=%s", (unsigned)(exc_esr >> 26) & 0x3f,
               (unsigned)exc_esr & 0x1ffffff, exc_far >= RAM_END - 64 ? "end+" : "?");
    if (nexc)
        printf("%lld", (long long)(exc_far - RAM_END));
    printf("\n");
    for (unsigned r = 0; r < 32 && !nexc; r++) {
        if (!memcmp(vin[r], vout[r], 16))
            continue;
        printf("  v%-2u ", r);
        for (int b = 15; b >= 0; b--)
            printf("%02x", vout[r][b]);
        printf("\n");
    }
    nexc = 0;
}

/* Runs INSN with x9 = base, x10 = index, V0-V31 from vin; stores V0-V31 to vout. */
#define RUN_AT(name, insn, base, idx)                                                    \
    do {                                                                                 \
        uint64_t b_ = (uint64_t)(base), b0_ = b_;                                        \
        reset_state();                                                                   \
        __asm__ volatile("mov x11, %[vi]\n"                                              \
                         "ldp q0, q1, [x11], #32\n ldp q2, q3, [x11], #32\n"             \
                         "ldp q4, q5, [x11], #32\n ldp q6, q7, [x11], #32\n"             \
                         "ldp q8, q9, [x11], #32\n ldp q10, q11, [x11], #32\n"           \
                         "ldp q12, q13, [x11], #32\n ldp q14, q15, [x11], #32\n"         \
                         "ldp q16, q17, [x11], #32\n ldp q18, q19, [x11], #32\n"         \
                         "ldp q20, q21, [x11], #32\n ldp q22, q23, [x11], #32\n"         \
                         "ldp q24, q25, [x11], #32\n ldp q26, q27, [x11], #32\n"         \
                         "ldp q28, q29, [x11], #32\n ldp q30, q31, [x11], #32\n"         \
                         "mov x9, %[b]\n mov x10, %[i]\n"                                \
                         insn "\n"                                                       \
                         "mov %[b], x9\n mov x11, %[vo]\n"                               \
                         "stp q0, q1, [x11], #32\n stp q2, q3, [x11], #32\n"             \
                         "stp q4, q5, [x11], #32\n stp q6, q7, [x11], #32\n"             \
                         "stp q8, q9, [x11], #32\n stp q10, q11, [x11], #32\n"           \
                         "stp q12, q13, [x11], #32\n stp q14, q15, [x11], #32\n"         \
                         "stp q16, q17, [x11], #32\n stp q18, q19, [x11], #32\n"         \
                         "stp q20, q21, [x11], #32\n stp q22, q23, [x11], #32\n"         \
                         "stp q24, q25, [x11], #32\n stp q26, q27, [x11], #32\n"         \
                         "stp q28, q29, [x11], #32\n stp q30, q31, [x11], #32\n"         \
                         : [b] "+r"(b_)                                                  \
                         : [i] "r"((uint64_t)(idx)), [vi] "r"(vin), [vo] "r"(vout)       \
                         : "x9", "x10", "x11", "memory");                                \
        show(name, b_ - b0_);                                                            \
    } while (0)
#define RUN(name, insn, off, idx) RUN_AT(name, insn, &mem[512 + (off)], idx)

static void single_registers(void)
{
    RUN("ldr b0 uimm", "ldr b0, [x9, #5]", 0, 0);
    RUN("ldr h1 uimm", "ldr h1, [x9, #6]", 0, 0);
    RUN("ldr s2 uimm", "ldr s2, [x9, #8]", 0, 0);
    RUN("ldr d3 uimm", "ldr d3, [x9, #16]", 0, 0);
    RUN("ldr q4 uimm", "ldr q4, [x9, #496]", -512, 0);
    RUN("ldur q5 unaligned", "ldur q5, [x9, #-3]", 0, 0);
    RUN("ldur h6", "ldur h6, [x9, #-255]", 0, 0);
    RUN("ldr q7 pre", "ldr q7, [x9, #-32]!", 0, 0);
    RUN("ldr d8 post", "ldr d8, [x9], #-8", 0, 0);
    RUN("ldr b9 post", "ldr b9, [x9], #255", 0, 0);
    RUN("ldr q10 [x, lsl #4]", "ldr q10, [x9, x10, lsl #4]", 0, 3);
    RUN("ldr q11 [x, sxtx]", "ldr q11, [x9, x10, sxtx]", 0, -40);
    RUN("ldr d12 [w, sxtw #3]", "ldr d12, [x9, w10, sxtw #3]", 0, 0xfffffffeULL);
    RUN("ldr s13 [w, uxtw]", "ldr s13, [x9, w10, uxtw]", -512, 0x100000044ULL);
    RUN("ldr s14 [w, uxtw #2]", "ldr s14, [x9, w10, uxtw #2]", -512, 5);
    RUN("ldr h15 [x, lsl #1]", "ldr h15, [x9, x10, lsl #1]", 0, -7);
    RUN("ldr b16 [x]", "ldr b16, [x9, x10]", 0, 9);
    RUN("ldr b17 [x, lsl #0]", "ldr b17, [x9, x10, lsl #0]", 0, -9);
    RUN("ldr d18 [w, sxtw]", "ldr d18, [x9, w10, sxtw]", 0, 0xffffffe0ULL);
    RUN("str b0 uimm", "str b0, [x9, #1]", 0, 0);
    RUN("str h1 [x, lsl #1]", "str h1, [x9, x10, lsl #1]", 0, -3);
    RUN("str s2 pre", "str s2, [x9, #-4]!", 0, 0);
    RUN("str d3 [w, sxtw #3]", "str d3, [x9, w10, sxtw #3]", 0, 0xffffffffULL);
    RUN("str q4 post", "str q4, [x9], #16", 0, 0);
    RUN("stur q5 unaligned", "stur q5, [x9, #7]", 0, 0);
    RUN("str q6 [x, lsl #4]", "str q6, [x9, x10, lsl #4]", 0, -2);
    RUN("str q7 [w, uxtw]", "str q7, [x9, w10, uxtw]", -512, 0x700000011ULL);
}

static void literals_and_pairs(void)
{
    RUN("ldr s1 literal", "ldr s1, 1f\n b 2f\n .balign 16\n 1: .quad 0x1122334455667788, "
        "0x99aabbccddeeff00\n 2:", 0, 0);
    RUN("ldr d2 literal", "ldr d2, 1f\n b 2f\n .balign 16\n 1: .quad 0x1122334455667788, "
        "0x99aabbccddeeff00\n 2:", 0, 0);
    RUN("ldr q3 literal", "ldr q3, 1f\n b 2f\n .balign 16\n 1: .quad 0x1122334455667788, "
        "0x99aabbccddeeff00\n 2:", 0, 0);
    RUN("ldr q4 literal backwards", "b 2f\n .balign 16\n 1: .quad 0x0123456789abcdef, "
        "0xfedcba9876543210\n 2: ldr q4, 1b", 0, 0);
    RUN("ldp s0, s1", "ldp s0, s1, [x9, #-256]", 0, 0);
    RUN("ldp d2, d3 pre", "ldp d2, d3, [x9, #504]!", -512, 0);
    RUN("ldp q4, q5 post", "ldp q4, q5, [x9], #-1024", 0, 0);
    RUN("ldp q30, q31", "ldp q30, q31, [x9, #1008]", -512, 0);
    RUN("ldp q6, q6, [x9] (same register)", ".inst 0xad401926", 0, 0);
    RUN("ldnp d7, d8", "ldnp d7, d8, [x9, #-512]", 0, 0);
    RUN("ldnp q9, q10", "ldnp q9, q10, [x9, #32]", 0, 0);
    RUN("stp s0, s1 post", "stp s0, s1, [x9], #252", 0, 0);
    RUN("stp d2, d3", "stp d2, d3, [x9, #-8]", 0, 0);
    RUN("stp q4, q5 pre", "stp q4, q5, [x9, #-64]!", 0, 0);
    RUN("stnp q6, q7", "stnp q6, q7, [x9, #16]", 0, 0);
}

static void structures(void)
{
    RUN("ld1 {v0.16b}", "ld1 {v0.16b}, [x9]", 0, 0);
    RUN("ld1 {v1.8b} post #8", "ld1 {v1.8b}, [x9], #8", 0, 0);
    RUN("ld1 {v2.8h-v3.8h} post x10", "ld1 {v2.8h, v3.8h}, [x9], x10", 0, -100);
    RUN("ld1 {v4.2s-v6.2s}", "ld1 {v4.2s, v5.2s, v6.2s}, [x9]", 0, 0);
    RUN("ld1 {v30.2d-v1.2d} wrap post #64", "ld1 {v30.2d, v31.2d, v0.2d, v1.2d}, [x9], #64", 0, 0);
    RUN("ld2 {v7.4s, v8.4s}", "ld2 {v7.4s, v8.4s}, [x9]", 0, 0);
    RUN("ld2 {v9.8b, v10.8b} post #16", "ld2 {v9.8b, v10.8b}, [x9], #16", 0, 0);
    RUN("ld3 {v11.8h-v13.8h} post x10", "ld3 {v11.8h, v12.8h, v13.8h}, [x9], x10", 0, 4);
    RUN("ld3 {v14.2s-v16.2s}", "ld3 {v14.2s, v15.2s, v16.2s}, [x9]", 0, 0);
    RUN("ld4 {v17.16b-v20.16b}", "ld4 {v17.16b, v18.16b, v19.16b, v20.16b}, [x9]", 0, 0);
    RUN("ld4 {v29.2d-v0.2d} wrap post #64", "ld4 {v29.2d, v30.2d, v31.2d, v0.2d}, [x9], #64", 0, 0);
    RUN("ld4 {v21.4h-v24.4h}", "ld4 {v21.4h, v22.4h, v23.4h, v24.4h}, [x9]", 0, 0);
    RUN("ld1 {v0.b}[15]", "ld1 {v0.b}[15], [x9]", 0, 0);
    RUN("ld1 {v1.h}[2] post #2", "ld1 {v1.h}[2], [x9], #2", 0, 0);
    RUN("ld1 {v2.s}[3] post x10", "ld1 {v2.s}[3], [x9], x10", 0, 12);
    RUN("ld1 {v3.d}[1]", "ld1 {v3.d}[1], [x9]", 0, 0);
    RUN("ld2 {v4.h, v5.h}[7]", "ld2 {v4.h, v5.h}[7], [x9]", 0, 0);
    RUN("ld3 {v6.s-v8.s}[1] post #12", "ld3 {v6.s, v7.s, v8.s}[1], [x9], #12", 0, 0);
    RUN("ld4 {v31.b-v2.b}[9] wrap", "ld4 {v31.b, v0.b, v1.b, v2.b}[9], [x9]", 0, 0);
    RUN("ld4 {v9.d-v12.d}[0] post x10", "ld4 {v9.d, v10.d, v11.d, v12.d}[0], [x9], x10", 0, 32);
    RUN("ld1r {v0.8b}", "ld1r {v0.8b}, [x9]", 0, 0);
    RUN("ld1r {v1.2d} post #8", "ld1r {v1.2d}, [x9], #8", 0, 0);
    RUN("ld2r {v2.4h, v3.4h} post x10", "ld2r {v2.4h, v3.4h}, [x9], x10", 0, -6);
    RUN("ld3r {v4.4s-v6.4s}", "ld3r {v4.4s, v5.4s, v6.4s}, [x9]", 0, 0);
    RUN("ld4r {v7.16b-v10.16b} post #4", "ld4r {v7.16b, v8.16b, v9.16b, v10.16b}, [x9], #4", 0, 0);
    RUN("ld4r {v11.1d-v14.1d}", "ld4r {v11.1d, v12.1d, v13.1d, v14.1d}, [x9]", 0, 0);
    RUN("st1 {v0.16b}", "st1 {v0.16b}, [x9]", 0, 0);
    RUN("st1 {v1.4h-v4.4h} post #32", "st1 {v1.4h, v2.4h, v3.4h, v4.4h}, [x9], #32", 0, 0);
    RUN("st2 {v5.2d, v6.2d} post x10", "st2 {v5.2d, v6.2d}, [x9], x10", 0, 3);
    RUN("st3 {v7.16b-v9.16b}", "st3 {v7.16b, v8.16b, v9.16b}, [x9]", 0, 0);
    RUN("st4 {v30.4s-v1.4s} wrap", "st4 {v30.4s, v31.4s, v0.4s, v1.4s}, [x9]", 0, 0);
    RUN("st1 {v2.b}[13] post #1", "st1 {v2.b}[13], [x9], #1", 0, 0);
    RUN("st2 {v3.s, v4.s}[2]", "st2 {v3.s, v4.s}[2], [x9]", 0, 0);
    RUN("st3 {v5.h-v7.h}[6] post x10", "st3 {v5.h, v6.h, v7.h}[6], [x9], x10", 0, -2);
    RUN("st4 {v8.d-v11.d}[1]", "st4 {v8.d, v9.d, v10.d, v11.d}[1], [x9]", 0, 0);
}

/* Accesses running off the end of RAM: the instruction faults as a whole. */
static void faults(void)
{
    RUN_AT("ldr q0 crossing the end", "ldr q0, [x9]", RAM_END - 8, 0);
    RUN_AT("ldr q1 post crossing the end", "ldr q1, [x9], #16", RAM_END - 8, 0);
    RUN_AT("ldp q2, q3 crossing the end", "ldp q2, q3, [x9, #16]!", RAM_END - 32, 0);
    RUN_AT("ldp d4, d5 second beyond the end", "ldp d4, d5, [x9], #16", RAM_END - 8, 0);
    RUN_AT("ld1 {v6-v9} post crossing the end",
           "ld1 {v6.16b, v7.16b, v8.16b, v9.16b}, [x9], #64", RAM_END - 48, 0);
    RUN_AT("ld4 {v10-v13}[1] crossing the end",
           "ld4 {v10.s, v11.s, v12.s, v13.s}[1], [x9], x10", RAM_END - 8, 4);
    RUN_AT("ld3r {v14-v16} crossing the end", "ld3r {v14.8h, v15.8h, v16.8h}, [x9], #6",
           RAM_END - 4, 0);
    RUN_AT("str q17 beyond the end", "str q17, [x9], #16", RAM_END, 0);
    RUN_AT("stp q18, q19 crossing the end", "stp q18, q19, [x9, #-16]!", RAM_END, 0);
    RUN_AT("st2 {v20, v21} crossing the end", "st2 {v20.2d, v21.2d}, [x9], #32",
           RAM_END - 16, 0);
}

int main(void)
{
    trap_install(handler);
    /* SIMD&FP enabled at EL1 and EL0 (CPACR_EL1.FPEN = 0b11) */
    WRITE_SYSREG(cpacr_el1, READ_SYSREG(cpacr_el1) | (3ULL << 20));
    single_registers();
    literals_and_pairs();
    structures();
    faults();
    return 0;
}
