/* The decoder and executor (cpu/arm64), the exception model and translation: each input is
 * an 8-byte header and up to 1024 instruction words, placed in RAM and run on core 0 of the
 * fuzz machine (boot state per input, so the GIC, timers and UART answer device accesses) at
 * EL0, EL1 or EL2 for at most RUN_INSNS instructions.
 *
 * Header: byte 0: EL (bits 1:0, modulo 3), bit 2 SPSel, bit 3 unmask interrupts (DAIF = 0);
 *         byte 1: HCR_EL2 bits (bit 0 VM, 1 TGE, 2 E2H, 3 IMO|FMO, 4 TWI|TWE, 5 TSC, 6 VI,
 *                 7 VSE);
 *         byte 2: translation (bit 0 stage 1 of EL1&0, bit 1 stage 1 of EL2, both identity
 *                 maps of the low 3 GiB; stage 2 is the identity map too), bit 2 SIMD&FP
 *                 enabled (CPACR_EL1.FPEN = 0b11: otherwise every SIMD&FP instruction
 *                 traps before its executor runs);
 *         bytes 3-7: register seeds.
 * Every vector (VBAR_EL1, VBAR_EL2) returns past the instruction that raised the exception
 * (ELR += 4; ERET), so random code keeps running after UNDEFINED, aborts and traps. Registers
 * start as pointers into RAM, the GIC, the UART and the page tables, and values derived from
 * the header. An unimplemented instruction (which stops the machine, exit 2) is stepped over
 * and a core halted in WFI with nothing pending is woken, up to 8 times per input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/bus.h"
#include "cpu/arm64/cpu.h"
#include "cpu/arm64/sysreg.h"
#include "tests/fuzz/fuzz_common.h"

#define RUN_INSNS 4000
#define MAX_WORDS 1024
#define CODE_PA   0x40400000ULL
#define VEC_EL1   0x40410000ULL
#define VEC_EL2   0x40420000ULL
#define DATA_PA   0x40500000ULL
#define S1_TABLE  0x40600000ULL
#define S2_TABLE  0x40601000ULL
#define EL0_ALIAS 0x40000000ULL   /* VA 0x80000000 + x maps PA 0x40000000 + x for EL0 */

static Machine *m;
static GByteArray *boot;

static void put32(uint64_t pa, uint32_t v)
{
    memcpy(m->ram + (pa - m->ram_base), &v, 4);
    machine_ram_written(m, pa, 4);
}
static void put64(uint64_t pa, uint64_t v)
{
    memcpy(m->ram + (pa - m->ram_base), &v, 8);
    machine_ram_written(m, pa, 8);
}

/* Identity maps of 1 GiB blocks: [0, 1G) device, [1G, 2G) RAM (EL1 only), [2G, 3G) the
 * same RAM again for EL0 (EL0 read/write/execute, never executable at EL1). */
static void build_tables(void)
{
    const uint64_t af = 1ULL << 10, sh = 3ULL << 8, block = 1;
    put64(S1_TABLE + 0, 0x00000000ULL | af | (0 << 2) | block);              /* MAIR idx 0 */
    put64(S1_TABLE + 8, 0x40000000ULL | af | sh | (1 << 2) | block);         /* idx 1 */
    put64(S1_TABLE + 16, 0x40000000ULL | af | sh | (1 << 2) | (1ULL << 6) | (1ULL << 53) | block);
    const uint64_t s2ap = 3ULL << 6;
    put64(S2_TABLE + 0, 0x00000000ULL | af | s2ap | (1ULL << 2) | block);    /* device */
    put64(S2_TABLE + 8, 0x40000000ULL | af | sh | s2ap | (0xfULL << 2) | block);
    put64(S2_TABLE + 16, 0x80000000ULL | af | sh | s2ap | (0xfULL << 2) | block);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    m = fz_machine_new();
    /* vectors: 16 entries of `mrs x30, elr_elN; add x30, x30, #4; msr elr_elN, x30; eret` */
    static const uint32_t h1[] = { 0xd538403e, 0x910013de, 0xd518403e, 0xd69f03e0 };
    static const uint32_t h2[] = { 0xd53c403e, 0x910013de, 0xd51c403e, 0xd69f03e0 };
    for (int v = 0; v < 16; v++)
        for (int i = 0; i < 4; i++) {
            put32(VEC_EL1 + v * 0x80 + i * 4, h1[i]);
            put32(VEC_EL2 + v * 0x80 + i * 4, h2[i]);
        }
    build_tables();
    boot = fz_snapshot_now(m);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8 + 4)
        return 0;
    fz_restore(m, boot);
    Arm64Cpu *c = m->cpus[0].obj;
    size_t nwords = (size - 8) / 4;
    if (nwords > MAX_WORDS)
        nwords = MAX_WORDS;
    memcpy(m->ram + (CODE_PA - m->ram_base), data + 8, nwords * 4);
    machine_ram_written(m, CODE_PA, nwords * 4);
    for (size_t off = 0; off < nwords * 4; off += A64_PAGE_SIZE)
        a64_invalidate_code_page(m, CODE_PA + off);

    int el = (data[0] & 3) % 3;
    uint8_t hb = data[1], mmu = data[2];
    uint64_t seed = 0;
    memcpy(&seed, data + 3, 5);
    a64_cpu_reset(c, CODE_PA, 2);
    uint64_t *s = c->sys;
    s[A64_SYS_VBAR_EL1] = VEC_EL1;
    s[A64_SYS_VBAR_EL2] = VEC_EL2;
    uint64_t hcr = 1ULL << 31;   /* RW: EL1 is AArch64 */
    if (hb & 1) hcr |= A64_HCR_VM;
    if (hb & 2) hcr |= A64_HCR_TGE;
    if (hb & 4) hcr |= A64_HCR_E2H;
    if (hb & 8) hcr |= A64_HCR_IMO | A64_HCR_FMO | A64_HCR_AMO;
    if (hb & 16) hcr |= A64_HCR_TWI | A64_HCR_TWE;
    if (hb & 32) hcr |= A64_HCR_TSC;
    if (hb & 64) hcr |= A64_HCR_VI;
    if (hb & 128) hcr |= A64_HCR_VSE;
    s[A64_SYS_HCR_EL2] = hcr;
    s[A64_SYS_VTTBR_EL2] = S2_TABLE | (1ULL << 48);
    s[A64_SYS_VTCR_EL2] = (1ULL << 31) | (2ULL << 16) | (3ULL << 12) | (1ULL << 10) |
                          (1ULL << 8) | (1ULL << 6) | 25;
    const uint64_t tcr = (3ULL << 12) | (1ULL << 10) | (1ULL << 8) | 25;
    s[A64_SYS_TCR_EL1] = tcr | (1ULL << 23) | (2ULL << 32);
    s[A64_SYS_TCR_EL2] = tcr | (1ULL << 31) | (1ULL << 23) | (2ULL << 16);
    s[A64_SYS_TTBR0_EL1] = s[A64_SYS_TTBR0_EL2] = S1_TABLE;
    s[A64_SYS_MAIR_EL1] = s[A64_SYS_MAIR_EL2] = 0xff00;
    if (mmu & 1)
        s[A64_SYS_SCTLR_EL1] |= 1;
    if (mmu & 2)
        s[A64_SYS_SCTLR_EL2] |= 1;
    if (mmu & 4)
        s[A64_SYS_CPACR_EL1] |= 3ULL << 20;
    a64_set_el(c, el);     /* the one way the EL changes: the soft TLB follows it */
    c->spsel = 1;
    a64_select_sp(c, el && (data[0] & 4));
    c->daif = data[0] & 8 ? 0 : 0xf;
    c->pc = el == 0 && (mmu & 1) ? CODE_PA + EL0_ALIAS : CODE_PA;
    for (int i = 0; i < 8; i++)
        c->x[i] = DATA_PA + (uint64_t)i * 0x108;
    c->x[8] = 0x08000000;   /* GIC distributor */
    c->x[9] = 0x080a0000;   /* redistributor of core 0 */
    c->x[10] = 0x09000000;  /* PL011 */
    c->x[11] = S1_TABLE;
    for (int i = 12; i < 31; i++)
        c->x[i] = seed * (uint64_t)(i * 2 + 1) ^ ((uint64_t)i << 56);
    for (int i = 0; i < 32; i++) {
        c->v[i].d[0] = seed * (uint64_t)(i * 2 + 3) ^ ((uint64_t)i << 48);
        c->v[i].d[1] = ~c->v[i].d[0] * 0x9e3779b97f4a7c15ULL;
    }
    c->x[A64_SP] = DATA_PA + 0x8000;
    c->sp_el[0] = c->sp_el[1] = c->sp_el[2] = DATA_PA + 0x8000;
    a64_flush_decoded(c);
    /* an unimplemented instruction stops the machine: step over it and go on, a few times;
     * a WFI with nothing to wake the core (the machine hangs) is woken */
    uint64_t end = machine_icount(m) + RUN_INSNS;
    fz_run(m, RUN_INSNS);
    for (int skips = 0; skips < 8 && machine_icount(m) < end; skips++) {
        if (m->exit_code == EXIT_UNIMPLEMENTED)
            c->pc += 4;
        else if (m->exit_code == EXIT_GUEST_CRASH && c->halted)
            c->halted = 0;
        else
            break;
        m->stop = false;
        m->exit_code = EXIT_OK;
        m->stop_msg[0] = 0;
        fz_run(m, end - machine_icount(m));
    }
    if (getenv("HVSIM_FUZZ_VERBOSE"))
        fprintf(stderr, "exec: %llu instructions, EL%d pc=%llx, exit %d %s\n",
                (unsigned long long)machine_icount(m), c->el, (unsigned long long)c->pc,
                m->exit_code, m->stop_msg);
    return 0;
}
