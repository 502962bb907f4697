/* x86-64 decoder and ordinary instructions: tricky cases checked against the SDM (flags of
 * ADC/SBB and shifts, IMUL's CF/OF, #DE, the high byte registers, 32-bit zero extension,
 * REP MOVS backwards and split, CMPXCHG8B/16B, POPF's privilege rules) and the decoder's
 * prefix rules (last segment wins, a stray REX, LOCK, mandatory prefixes, 15 bytes,
 * 16-bit addressing, RIP-relative). The core runs from RAM at 0 in 64-bit mode with flat
 * segments (no paging), one decode + execute per step. */
#include <criterion/criterion.h>
#include <string.h>
#include "core/machine.h"
#include "cpu/x86_64/insn.h"
#include "cpu/x86_64/sys_internal.h"
#include "x86_decode_gen.h"

#define XT_RAM (1u << 20)
#define XT_CODE 0x1000u
#define XT_DATA 0x8000u
#define XT_STACK 0xf000u

typedef struct XT {
    Machine *m;
    X86Cpu *c;
} XT;

static void seg(X86Seg *s, uint32_t attr)
{
    s->base = 0;
    s->limit = 0xffffffff;
    s->sel = 0x10;
    s->attr = attr;
}

/* bits: 64 (long mode) or 16/32 (protected mode with CS.D/SS.B as asked); cpl 0 or 3 */
static XT *xt_new(unsigned bits, unsigned cpl)
{
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    cfg.ram_size = XT_RAM;
    char *err = NULL;
    XT *t = calloc(1, sizeof *t);
    t->m = machine_new(&cfg, 0, &err);
    machine_config_free(&cfg);
    cr_assert_not_null(t->m, "machine_new: %s", err ? err : "?");
    t->c = x86_cpu_new(t->m, 0);
    X86Cpu *c = t->c;
    c->exc.vector = -1;
    c->cr4 = 0;
    c->cr3 = 0;
    c->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
    c->rflags = 2;
    uint32_t dpl = cpl << 5, common = 0x10 | 0x80 | (1u << 15) | dpl;
    uint32_t db = bits == 16 ? 0 : X86_SEG_ATTR_DB;
    if (bits == 64) {
        c->efer = X86_EFER_LME | X86_EFER_LMA;
        seg(&c->seg[X86_CS], 0xb | common | X86_SEG_ATTR_L);
    } else {
        seg(&c->seg[X86_CS], 0xb | common | db);
    }
    for (int i = 0; i < X86_NSEG; i++)
        if (i != X86_CS)
            seg(&c->seg[i], 0x3 | common | db);
    x86_update_mode(c);
    c->gpr[X86_RSP] = XT_STACK;
    return t;
}

static void xt_free(XT *t)
{
    machine_free(t->m);
    g_free(t->c);
    free(t);
}

static uint8_t *ram(XT *t, uint64_t a)
{
    machine_ram_written(t->m, a, 1);
    return t->m->ram + a;
}

/* Puts code at XT_CODE and runs until RIP leaves it (at most max steps); returns the
 * steps taken, or -1 at a fault (c->exc holds it, RIP at the faulting instruction). */
static int xt_run(XT *t, const void *code, size_t n, int max)
{
    memcpy(ram(t, XT_CODE), code, n);
    X86Cpu *c = t->c;
    c->rip = XT_CODE;
    int steps = 0;
    while (c->rip >= XT_CODE && c->rip < XT_CODE + n && steps < max) {
        X86Insn d;
        c->exc.vector = -1;
        if (!x86_decode(c, &d) || x86_execute(c, &d) == X86_FAULT)
            return -1;
        steps++;
    }
    return steps;
}
#define RUN(t, ...) xt_run((t), (const uint8_t[]){ __VA_ARGS__ }, \
                           sizeof((const uint8_t[]){ __VA_ARGS__ }), 1000)

static const uint64_t ARITH = X86_FLAGS_ARITH;

/* ---- flags ---- */

Test(x86_isa, adc_sbb_flags)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    /* STC; MOV AL, 0xFF; ADC AL, 0: 0xFF + 0 + 1 = 0x100 */
    cr_assert_eq(RUN(t, 0xf9, 0xb0, 0xff, 0x14, 0x00), 3);
    cr_assert_eq(c->gpr[X86_RAX] & 0xff, 0);
    cr_assert_eq(c->rflags & ARITH, X86_CF | X86_ZF | X86_AF | X86_PF);
    /* STC; MOV EAX, 0x7FFFFFFF; ADC EAX, 0: signed overflow, no carry */
    cr_assert_eq(RUN(t, 0xf9, 0xb8, 0xff, 0xff, 0xff, 0x7f, 0x83, 0xd0, 0x00), 3);
    cr_assert_eq(c->gpr[X86_RAX], 0x80000000u);
    cr_assert_eq(c->rflags & ARITH, X86_OF | X86_SF | X86_AF | X86_PF);
    /* STC; XOR EAX, EAX (clears CF); STC; SBB EAX, 0: 0 - 0 - 1 = -1, borrow */
    cr_assert_eq(RUN(t, 0x31, 0xc0, 0xf9, 0x83, 0xd8, 0x00), 3);
    cr_assert_eq(c->gpr[X86_RAX], 0xffffffffu);
    cr_assert_eq(c->rflags & ARITH, X86_CF | X86_SF | X86_AF | X86_PF);
    /* STC; MOV RAX, 0x8000000000000000 (via BTS); SBB RAX, 0 -> 0x7FFF...: OF, no CF */
    cr_assert_eq(RUN(t, 0x31, 0xc0, 0x48, 0x0f, 0xba, 0xe8, 0x3f, 0xf9, 0x48, 0x83, 0xd8, 0x00), 4);
    cr_assert_eq(c->gpr[X86_RAX], 0x7fffffffffffffffull);
    cr_assert_eq(c->rflags & (X86_CF | X86_OF | X86_SF | X86_ZF), X86_OF);
    xt_free(t);
}

Test(x86_isa, shl_by_one_and_by_n)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    /* MOV AL, 0x80; SHL AL, 1: result 0, CF = 1, OF = MSB(r) ^ CF = 1 */
    cr_assert_eq(RUN(t, 0xb0, 0x80, 0xd0, 0xe0), 2);
    cr_assert_eq(c->gpr[X86_RAX] & 0xff, 0);
    cr_assert_eq(c->rflags & (X86_CF | X86_OF | X86_ZF | X86_SF | X86_PF),
                 X86_CF | X86_OF | X86_ZF | X86_PF);
    /* MOV AL, 0x40; SHL AL, 1: 0x80, CF = 0, OF = 1 */
    cr_assert_eq(RUN(t, 0xb0, 0x40, 0xd0, 0xe0), 2);
    cr_assert_eq(c->rflags & (X86_CF | X86_OF | X86_SF), X86_OF | X86_SF);
    /* MOV EAX, 0x10000001; SHL EAX, 4: 0x00000010, CF = bit 28 = 1 */
    cr_assert_eq(RUN(t, 0xb8, 0x01, 0x00, 0x00, 0x10, 0xc1, 0xe0, 0x04), 2);
    cr_assert_eq(c->gpr[X86_RAX], 0x10);
    cr_assert(c->rflags & X86_CF);
    cr_assert_not(c->rflags & X86_ZF);
    /* a masked count of 0 changes no flag: STC; MOV CL, 32; SHL EAX, CL */
    uint64_t before = c->rflags | X86_CF;
    cr_assert_eq(RUN(t, 0xf9, 0xb1, 0x20, 0xd3, 0xe0), 3);
    cr_assert_eq(c->rflags, before);
    cr_assert_eq(c->gpr[X86_RAX], 0x10);
    /* SAR keeps the sign: MOV EAX, 0x80000000; SAR EAX, 31 -> -1, CF = bit 30 = 0 */
    cr_assert_eq(RUN(t, 0xb8, 0x00, 0x00, 0x00, 0x80, 0xc1, 0xf8, 0x1f), 2);
    cr_assert_eq(c->gpr[X86_RAX], 0xffffffffu);
    cr_assert_not(c->rflags & X86_CF);
    /* RCL AL, 1 through CF: STC; MOV AL, 0x80; RCL AL, 1 -> 0x01, CF = 1 */
    cr_assert_eq(RUN(t, 0xf9, 0xb0, 0x80, 0xd0, 0xd0), 3);
    cr_assert_eq(c->gpr[X86_RAX] & 0xff, 1);
    cr_assert(c->rflags & X86_CF);
    xt_free(t);
}

Test(x86_isa, imul_overflow_flags)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    /* MOV EAX, 0x10000; IMUL EAX, EAX, 0x10000: 2^32 overflows 32 bits */
    cr_assert_eq(RUN(t, 0xb8, 0x00, 0x00, 0x01, 0x00, 0x69, 0xc0, 0x00, 0x00, 0x01, 0x00), 2);
    cr_assert_eq(c->gpr[X86_RAX], 0);
    cr_assert_eq(c->rflags & (X86_CF | X86_OF), X86_CF | X86_OF);
    /* MOV EAX, -3; MOV ECX, 5; IMUL ECX (EDX:EAX = -15): fits, CF = OF = 0 */
    cr_assert_eq(RUN(t, 0xb8, 0xfd, 0xff, 0xff, 0xff, 0xb9, 0x05, 0, 0, 0, 0xf7, 0xe9), 3);
    cr_assert_eq(c->gpr[X86_RAX], 0xfffffff1u);
    cr_assert_eq(c->gpr[X86_RDX], 0xffffffffu);
    cr_assert_eq(c->rflags & (X86_CF | X86_OF), 0);
    /* the same as MUL: 0xFFFFFFFD * 5 has a high half, CF = OF = 1 */
    cr_assert_eq(RUN(t, 0xb8, 0xfd, 0xff, 0xff, 0xff, 0xf7, 0xe1), 2);
    cr_assert_eq(c->gpr[X86_RDX], 4);
    cr_assert_eq(c->rflags & (X86_CF | X86_OF), X86_CF | X86_OF);
    xt_free(t);
}

Test(x86_isa, div_raises_de)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    /* XOR ECX, ECX; MOV EAX, 7; DIV ECX: #DE, nothing written, RIP at the DIV */
    cr_assert_eq(RUN(t, 0x31, 0xc9, 0xb8, 0x07, 0, 0, 0, 0xf7, 0xf1), -1);
    cr_assert_eq(c->exc.vector, X86_DE);
    cr_assert_eq(c->rip, XT_CODE + 7);
    cr_assert_eq(c->gpr[X86_RAX], 7);
    /* quotient overflow: EDX = 2, EAX = 0, ECX = 2: 2^33 / 2 does not fit */
    cr_assert_eq(RUN(t, 0xba, 2, 0, 0, 0, 0x31, 0xc0, 0xb9, 2, 0, 0, 0, 0xf7, 0xf1), -1);
    cr_assert_eq(c->exc.vector, X86_DE);
    /* IDIV: -128 / -1 in AL overflows; -7 / 2 = -3 rem -1 */
    cr_assert_eq(RUN(t, 0x66, 0xb8, 0x80, 0xff, 0xb1, 0xff, 0xf6, 0xf9), -1);
    cr_assert_eq(c->exc.vector, X86_DE);
    cr_assert_eq(RUN(t, 0x66, 0xb8, 0xf9, 0xff, 0xb1, 0x02, 0xf6, 0xf9), 3);
    cr_assert_eq(c->gpr[X86_RAX] & 0xffff, 0xfffd);     /* AH = -1, AL = -3 */
    xt_free(t);
}

/* ---- registers ---- */

Test(x86_isa, high_byte_registers)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    c->gpr[X86_RAX] = 0x1111111111111111ull;
    c->gpr[X86_RSP] = XT_STACK;
    /* MOV AH, 0x22 (no REX: AH) */
    cr_assert_eq(RUN(t, 0xb4, 0x22), 1);
    cr_assert_eq(c->gpr[X86_RAX], 0x1111111111112211ull);
    cr_assert_eq(c->gpr[X86_RSP], XT_STACK);
    /* with an (empty) REX, the same number is SPL */
    cr_assert_eq(RUN(t, 0x40, 0xb4, 0x33), 1);
    cr_assert_eq(c->gpr[X86_RSP], (XT_STACK & ~0xffull) | 0x33);
    c->gpr[X86_RSP] = XT_STACK;
    /* MOV BH, AH; XCHG CH, AL */
    c->gpr[X86_RBX] = 0;
    c->gpr[X86_RCX] = 0;
    cr_assert_eq(RUN(t, 0x88, 0xe7, 0x86, 0xc5), 2);
    cr_assert_eq(c->gpr[X86_RBX], 0x2200);
    cr_assert_eq(c->gpr[X86_RCX], 0x1100);
    cr_assert_eq(c->gpr[X86_RAX] & 0xff, 0);
    xt_free(t);
}

Test(x86_isa, zero_extension_and_merges)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    c->gpr[X86_RAX] = 0xffffffffffffffffull;
    c->gpr[X86_RBX] = 0xffffffffffffffffull;
    c->gpr[X86_RCX] = 0xffffffffffffffffull;
    /* ADD EAX, 1 zero-extends; ADD BX, 1 and ADD CL, 1 merge */
    cr_assert_eq(RUN(t, 0x83, 0xc0, 0x01, 0x66, 0x83, 0xc3, 0x01, 0x80, 0xc1, 0x01), 3);
    cr_assert_eq(c->gpr[X86_RAX], 0);
    cr_assert_eq(c->gpr[X86_RBX], 0xffffffffffff0000ull);
    cr_assert_eq(c->gpr[X86_RCX], 0xffffffffffffff00ull);
    /* a 32-bit CMOV whose condition is false still zero-extends (CLC; CMOVC EDX, EAX) */
    c->gpr[X86_RDX] = 0xaaaaaaaa55555555ull;
    cr_assert_eq(RUN(t, 0xf8, 0x0f, 0x42, 0xd0), 2);
    cr_assert_eq(c->gpr[X86_RDX], 0x55555555u);
    /* 90 is NOP, not XCHG EAX, EAX (which would zero-extend) */
    c->gpr[X86_RAX] = 0x123456789ull;
    cr_assert_eq(RUN(t, 0x90), 1);
    cr_assert_eq(c->gpr[X86_RAX], 0x123456789ull);
    /* MOVSXD RAX, ECX; MOVZX EBX, CL */
    c->gpr[X86_RCX] = 0x80000080u;
    cr_assert_eq(RUN(t, 0x48, 0x63, 0xc1, 0x0f, 0xb6, 0xd9), 2);
    cr_assert_eq(c->gpr[X86_RAX], 0xffffffff80000080ull);
    cr_assert_eq(c->gpr[X86_RBX], 0x80);
    xt_free(t);
}

/* ---- strings ---- */

Test(x86_isa, rep_movs_backwards)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    for (int i = 0; i < 16; i++)
        *ram(t, XT_DATA + i) = (uint8_t)(0xa0 + i);
    /* STD; REP MOVSD from DATA+12 to DATA+0x10C downwards, 4 dwords */
    c->gpr[X86_RSI] = XT_DATA + 12;
    c->gpr[X86_RDI] = XT_DATA + 0x10c;
    c->gpr[X86_RCX] = 4;
    cr_assert_eq(RUN(t, 0xfd, 0xf3, 0xa5), 2);
    cr_assert_eq(memcmp(t->m->ram + XT_DATA, t->m->ram + XT_DATA + 0x100, 16), 0);
    cr_assert_eq(c->gpr[X86_RSI], XT_DATA - 4);
    cr_assert_eq(c->gpr[X86_RDI], XT_DATA + 0xfc);
    cr_assert_eq(c->gpr[X86_RCX], 0);
    cr_assert(c->rflags & X86_DF);
    xt_free(t);
}

Test(x86_isa, rep_stos_is_split_and_repe_cmps_stops)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    /* REP STOSB of 5000 bytes: the first execution leaves RIP at itself, the count
     * updated; the second finishes */
    memcpy(ram(t, XT_CODE), (const uint8_t[]){ 0xf3, 0xaa }, 2);
    c->rip = XT_CODE;
    c->gpr[X86_RDI] = XT_DATA;
    c->gpr[X86_RCX] = 5000;
    c->gpr[X86_RAX] = 0x5a;
    X86Insn d;
    cr_assert(x86_decode(c, &d));
    cr_assert_eq(x86_execute(c, &d), X86_OK);
    cr_assert_eq(c->rip, XT_CODE);
    cr_assert(c->gpr[X86_RCX] > 0 && c->gpr[X86_RCX] < 5000);
    cr_assert_eq(c->gpr[X86_RDI], XT_DATA + 5000 - c->gpr[X86_RCX]);
    cr_assert(x86_decode(c, &d));
    cr_assert_eq(x86_execute(c, &d), X86_OK);
    cr_assert_eq(c->rip, XT_CODE + 2);
    cr_assert_eq(c->gpr[X86_RCX], 0);
    cr_assert_eq(*ram(t, XT_DATA + 4999), 0x5a);
    cr_assert_eq(*ram(t, XT_DATA + 5000), 0);
    /* REPE CMPSB stops after the first difference (the 3rd byte) */
    memcpy(ram(t, XT_DATA), "abcd", 4);
    memcpy(ram(t, XT_DATA + 0x100), "abXd", 4);
    c->gpr[X86_RSI] = XT_DATA;
    c->gpr[X86_RDI] = XT_DATA + 0x100;
    c->gpr[X86_RCX] = 4;
    c->rflags &= ~(uint64_t)X86_DF;
    cr_assert_eq(RUN(t, 0xf3, 0xa6), 1);
    cr_assert_eq(c->gpr[X86_RCX], 1);
    cr_assert_eq(c->gpr[X86_RSI], XT_DATA + 3);
    cr_assert_not(c->rflags & X86_ZF);
    cr_assert_not(c->rflags & X86_CF);   /* 'c' - 'X' = 0x63 - 0x58: no borrow */
    xt_free(t);
}

/* ---- atomics ---- */

Test(x86_isa, cmpxchg8b_and_16b)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    uint64_t m = 0x1122334455667788ull;
    memcpy(ram(t, XT_DATA), &m, 8);
    c->gpr[X86_RSI] = XT_DATA;
    c->gpr[X86_RAX] = 0xffffffff55667788ull;
    c->gpr[X86_RDX] = 0x11223344;
    c->gpr[X86_RBX] = 0xaaaaaaaa;
    c->gpr[X86_RCX] = 0xbbbbbbbb;
    /* LOCK CMPXCHG8B [RSI]: equal -> memory = ECX:EBX, ZF */
    cr_assert_eq(RUN(t, 0xf0, 0x0f, 0xc7, 0x0e), 1);
    memcpy(&m, t->m->ram + XT_DATA, 8);
    cr_assert_eq(m, 0xbbbbbbbbaaaaaaaaull);
    cr_assert(c->rflags & X86_ZF);
    /* again: now different -> EDX:EAX = memory (zero-extended), ZF clear */
    cr_assert_eq(RUN(t, 0x0f, 0xc7, 0x0e), 1);
    cr_assert_eq(c->gpr[X86_RAX], 0xaaaaaaaa);
    cr_assert_eq(c->gpr[X86_RDX], 0xbbbbbbbb);
    cr_assert_not(c->rflags & X86_ZF);
    /* CMPXCHG16B needs 16-byte alignment: #GP(0) at DATA+8 */
    c->gpr[X86_RSI] = XT_DATA + 8;
    cr_assert_eq(RUN(t, 0x48, 0x0f, 0xc7, 0x0e), -1);
    cr_assert_eq(c->exc.vector, X86_GP);
    c->gpr[X86_RSI] = XT_DATA + 16;
    c->gpr[X86_RAX] = 0;
    c->gpr[X86_RDX] = 0;
    c->gpr[X86_RBX] = 1;
    c->gpr[X86_RCX] = 2;
    cr_assert_eq(RUN(t, 0x48, 0x0f, 0xc7, 0x0e), 1);
    uint64_t q[2];
    memcpy(q, t->m->ram + XT_DATA + 16, 16);
    cr_assert_eq(q[0], 1);
    cr_assert_eq(q[1], 2);
    cr_assert(c->rflags & X86_ZF);
    xt_free(t);
}

/* ---- POPF ---- */

Test(x86_isa, popf_privilege_rules)
{
    XT *t = xt_new(64, 3);
    X86Cpu *c = t->c;
    cr_assert_eq(c->cpl, 3);
    c->rflags = 2 | X86_IF;
    /* at CPL 3, IOPL 0: PUSH 0x3000 | DF | CF; POPF: IF and IOPL stay silently */
    cr_assert_eq(RUN(t, 0x68, 0x01, 0x34, 0x00, 0x00, 0x9d), 2);
    cr_assert_eq(c->rflags, 2 | X86_IF | X86_DF | X86_CF);
    xt_free(t);
    t = xt_new(64, 0);
    c = t->c;
    c->rflags = 2 | X86_IF;
    /* at CPL 0 both change: IOPL = 3, IF = 0 */
    cr_assert_eq(RUN(t, 0x68, 0x01, 0x30, 0x00, 0x00, 0x9d), 2);
    cr_assert_eq(c->rflags, 2 | X86_IOPL | X86_CF);
    /* PUSHF pushes it back with bit 1 set */
    cr_assert_eq(RUN(t, 0x9c, 0x58), 2);
    cr_assert_eq(c->gpr[X86_RAX], 2 | X86_IOPL | X86_CF);
    xt_free(t);
}

/* ---- the decoder ---- */

Test(x86_isa, decoder_prefix_rules)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    X86Insn d;
    /* a REX followed by a legacy prefix is ignored: 48 66 01 C0 is ADD AX, AX */
    memcpy(ram(t, XT_CODE), (const uint8_t[]){ 0x48, 0x66, 0x01, 0xc0 }, 4);
    c->rip = XT_CODE;
    cr_assert(x86_decode(c, &d));
    cr_assert_eq(d.opsize, 2);
    cr_assert_eq(d.rex, 0);
    cr_assert_eq(d.len, 4);
    /* the last segment override wins; 67 makes [EAX] */
    memcpy(ram(t, XT_CODE), (const uint8_t[]){ 0x26, 0x64, 0x67, 0x8b, 0x00 }, 5);
    cr_assert(x86_decode(c, &d));
    cr_assert_eq(d.seg, X86_FS);
    cr_assert_eq(d.addrsize, 4);
    /* LOCK on a register destination and on a non-RMW instruction: #UD */
    memcpy(ram(t, XT_CODE), (const uint8_t[]){ 0xf0, 0x01, 0xc0 }, 3);
    cr_assert_not(x86_decode(c, &d));
    cr_assert_eq(c->exc.vector, X86_UD);
    c->exc.vector = -1;
    memcpy(ram(t, XT_CODE), (const uint8_t[]){ 0xf0, 0x8b, 0x00 }, 3);
    cr_assert_not(x86_decode(c, &d));
    cr_assert_eq(c->exc.vector, X86_UD);
    c->exc.vector = -1;
    /* mandatory prefix: F3 0F B8 is POPCNT, 0F B8 alone (JMPE) undefined */
    memcpy(ram(t, XT_CODE), (const uint8_t[]){ 0xf3, 0x0f, 0xb8, 0xc1 }, 4);
    cr_assert(x86_decode(c, &d));
    cr_assert_eq(d.op, X86_OP_POPCNT);
    memcpy(ram(t, XT_CODE), (const uint8_t[]){ 0x0f, 0xb8, 0xc1 }, 3);
    cr_assert_not(x86_decode(c, &d));
    cr_assert_eq(c->exc.vector, X86_UD);
    c->exc.vector = -1;
    /* PUSH ES is invalid in 64-bit mode */
    memcpy(ram(t, XT_CODE), (const uint8_t[]){ 0x06 }, 1);
    cr_assert_not(x86_decode(c, &d));
    cr_assert_eq(c->exc.vector, X86_UD);
    c->exc.vector = -1;
    /* 15 bytes at most: fourteen 66 prefixes and a NOP is 15 (fine), fifteen is #GP(0) */
    uint8_t longi[16];
    memset(longi, 0x66, sizeof longi);
    longi[14] = 0x90;
    memcpy(ram(t, XT_CODE), longi, 15);
    cr_assert(x86_decode(c, &d));
    cr_assert_eq(d.len, 15);
    longi[14] = 0x66;
    longi[15] = 0x90;
    memcpy(ram(t, XT_CODE), longi, 16);
    cr_assert_not(x86_decode(c, &d));
    cr_assert_eq(c->exc.vector, X86_GP);
    xt_free(t);
}

Test(x86_isa, decoder_addressing)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    X86Insn d;
    /* RIP-relative: LEA RAX, [RIP + 0x10] (7 bytes) -> next RIP + 0x10 */
    cr_assert_eq(RUN(t, 0x48, 0x8d, 0x05, 0x10, 0, 0, 0), 1);
    cr_assert_eq(c->gpr[X86_RAX], XT_CODE + 7 + 0x10);
    /* SIB: LEA RAX, [RBX + R9*8 - 8] */
    c->gpr[X86_RBX] = 0x1000;
    c->gpr[X86_R9] = 3;
    cr_assert_eq(RUN(t, 0x4a, 0x8d, 0x44, 0xcb, 0xf8), 1);
    cr_assert_eq(c->gpr[X86_RAX], 0x1000 + 24 - 8);
    /* no base (mod 0, base 5) and no index (4): [disp32] */
    cr_assert_eq(RUN(t, 0x48, 0x8d, 0x04, 0x25, 0x78, 0x56, 0x34, 0x12), 1);
    cr_assert_eq(c->gpr[X86_RAX], 0x12345678);
    /* RSP/RBP bases default to SS */
    memcpy(ram(t, XT_CODE), (const uint8_t[]){ 0x8b, 0x45, 0x00 }, 3);
    c->rip = XT_CODE;
    cr_assert(x86_decode(c, &d));
    cr_assert_eq(d.seg, X86_SS);
    xt_free(t);

    /* 16-bit code: [BX+SI+disp8], [BP] defaults to SS, disp16 alone */
    t = xt_new(16, 0);
    c = t->c;
    cr_assert_eq(c->code_bits, 16);
    c->gpr[X86_RBX] = 0xfff0;
    c->gpr[X86_RSI] = 0x0020;
    cr_assert_eq(RUN(t, 0x8d, 0x40, 0x05), 1);             /* LEA AX, [BX+SI+5] */
    cr_assert_eq(c->gpr[X86_RAX] & 0xffff, 0x0015);        /* wraps at 64 KiB */
    memcpy(ram(t, XT_CODE), (const uint8_t[]){ 0x8b, 0x46, 0x02 }, 3);   /* MOV AX, [BP+2] */
    c->rip = XT_CODE;
    cr_assert(x86_decode(c, &d));
    cr_assert_eq(d.seg, X86_SS);
    cr_assert_eq(d.base, X86_RBP);
    cr_assert_eq(d.opsize, 2);
    cr_assert_eq(RUN(t, 0x8d, 0x06, 0x34, 0x12), 1);       /* LEA AX, [0x1234] */
    cr_assert_eq(c->gpr[X86_RAX] & 0xffff, 0x1234);
    /* 66 gives 32-bit operands in 16-bit code */
    cr_assert_eq(RUN(t, 0x66, 0xb8, 0x78, 0x56, 0x34, 0x12), 1);
    cr_assert_eq(c->gpr[X86_RAX], 0x12345678);
    xt_free(t);
}

Test(x86_isa, branches_calls_and_stack)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    /* CALL +1; (skipped INT3-free byte 0x90); POP RAX: the pushed return address */
    cr_assert_eq(RUN(t, 0xe8, 0x01, 0, 0, 0, 0x90, 0x58), 2);
    cr_assert_eq(c->gpr[X86_RAX], XT_CODE + 5);
    cr_assert_eq(c->gpr[X86_RSP], XT_STACK);
    /* a loop: MOV ECX, 5; XOR EAX, EAX; L: ADD EAX, ECX; LOOP L -> 15 */
    cr_assert_eq(RUN(t, 0xb9, 5, 0, 0, 0, 0x31, 0xc0, 0x01, 0xc8, 0xe2, 0xfc), 12);
    cr_assert_eq(c->gpr[X86_RAX], 15);
    /* ENTER 16, 0; LEAVE restores RSP and RBP */
    c->gpr[X86_RBP] = 0x1234;
    cr_assert_eq(RUN(t, 0xc8, 0x10, 0x00, 0x00, 0xc9), 2);
    cr_assert_eq(c->gpr[X86_RSP], XT_STACK);
    cr_assert_eq(c->gpr[X86_RBP], 0x1234);
    /* a non-canonical JMP target: #GP(0) at the JMP */
    c->gpr[X86_RAX] = 0x0000800000000000ull;
    cr_assert_eq(RUN(t, 0xff, 0xe0), -1);
    cr_assert_eq(c->exc.vector, X86_GP);
    cr_assert_eq(c->rip, XT_CODE);
    xt_free(t);
}

Test(x86_isa, disassembly)
{
    char hex[64], text[64];
    const uint8_t code[] = { 0x48, 0x8d, 0x44, 0xcb, 0xf8 };
    cr_assert_eq(x86_disas(0x1000, code, sizeof code, hex, sizeof hex, text, sizeof text), 5);
    cr_assert_str_eq(hex, "488d44cbf8");
    cr_assert_str_eq(text, "lea rax, [rbx + rcx*8 - 8]");
    /* 16-bit code: 8D 40 05 is LEA AX, [BX + SI + 5] */
    const uint8_t c16[] = { 0x8d, 0x40, 0x05 };
    cr_assert_eq(x86_disas_bits(16, 0x1000, c16, sizeof c16, hex, sizeof hex, text, sizeof text), 3);
    cr_assert_str_eq(text, "lea ax, [bx + si + 5]");
}

/* ---- SSE ---- */

Test(x86_isa, sse_state_alignment_and_ops)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    c->gpr[X86_RSI] = XT_DATA + 8;
    /* CR4.OSFXSR clear: #UD; CR0.TS: #NM */
    c->cr4 &= ~(uint64_t)X86_CR4_OSFXSR;
    cr_assert_eq(RUN(t, 0x66, 0x0f, 0xef, 0xc0), -1);          /* PXOR XMM0, XMM0 */
    cr_assert_eq(c->exc.vector, X86_UD);
    c->cr4 |= X86_CR4_OSFXSR;
    c->cr0 |= X86_CR0_TS;
    cr_assert_eq(RUN(t, 0x66, 0x0f, 0xef, 0xc0), -1);
    cr_assert_eq(c->exc.vector, X86_NM);
    c->cr0 &= ~(uint64_t)X86_CR0_TS;
    /* MOVDQA from a misaligned address: #GP(0); MOVDQU is fine */
    cr_assert_eq(RUN(t, 0x66, 0x0f, 0x6f, 0x06), -1);
    cr_assert_eq(c->exc.vector, X86_GP);
    for (int i = 0; i < 16; i++)
        *ram(t, XT_DATA + 8 + i) = (uint8_t)(i == 5 ? 'x' : 'a' + i);
    cr_assert_eq(RUN(t, 0xf3, 0x0f, 0x6f, 0x06), 1);
    uint8_t x0[16];
    memcpy(x0, c->xmm[0], 16);
    cr_assert_eq(memcmp(x0, t->m->ram + XT_DATA + 8, 16), 0);
    /* PCMPEQB against 'x' everywhere, then PMOVMSKB: bit 5 only (the strchr idiom) */
    memset(c->xmm[1], 'x', 16);
    cr_assert_eq(RUN(t, 0x66, 0x0f, 0x74, 0xc8, 0x66, 0x0f, 0xd7, 0xc1), 2);
    cr_assert_eq(c->gpr[X86_RAX], 1u << 5);
    /* PSUBUSB saturates at 0, PADDSW at 32767 */
    memset(c->xmm[2], 0x10, 16);
    memset(c->xmm[3], 0x20, 16);
    cr_assert_eq(RUN(t, 0x66, 0x0f, 0xd8, 0xd3), 1);           /* PSUBUSB XMM2, XMM3 */
    cr_assert_eq(c->xmm[2][0], 0);
    cr_assert_eq(c->xmm[2][1], 0);
    memset(c->xmm[2], 0x7f, 16);
    cr_assert_eq(RUN(t, 0x66, 0x0f, 0xed, 0xd3), 1);           /* PADDSW XMM2, XMM3 */
    cr_assert_eq(c->xmm[2][0], 0x7fff7fff7fff7fffull);
    /* PSRLDQ XMM3, 15 leaves one byte; PSHUFD broadcasts dword 0 */
    cr_assert_eq(RUN(t, 0x66, 0x0f, 0x73, 0xdb, 0x0f), 1);
    cr_assert_eq(c->xmm[3][0], 0x20);
    cr_assert_eq(c->xmm[3][1], 0);
    c->xmm[4][0] = 0x1111111122222222ull;
    cr_assert_eq(RUN(t, 0x66, 0x0f, 0x70, 0xec, 0x00), 1);     /* PSHUFD XMM5, XMM4, 0 */
    cr_assert_eq(c->xmm[5][0], 0x2222222222222222ull);
    cr_assert_eq(c->xmm[5][1], 0x2222222222222222ull);
    /* MOVQ RAX, XMM5 (66 REX.W 0F 7E) and MOVD XMM6, EAX (zero-extends the register) */
    memset(c->xmm[6], 0xff, 16);
    cr_assert_eq(RUN(t, 0x66, 0x48, 0x0f, 0x7e, 0xe8, 0x66, 0x0f, 0x6e, 0xf0), 2);
    cr_assert_eq(c->gpr[X86_RAX], 0x2222222222222222ull);
    cr_assert_eq(c->xmm[6][0], 0x22222222u);
    cr_assert_eq(c->xmm[6][1], 0);
    /* the MMX form (no 66): PXOR MM0, MM0 clears MM0, makes every x87 tag valid, TOP 0 and
     * register 0's exponent all ones; EMMS empties the tags */
    memset(c->st[0], 0x5a, 10);
    c->fsw = 0x3800;
    cr_assert_eq(RUN(t, 0x0f, 0xef, 0xc0), 1);
    cr_assert_eq(c->ftw, 0xff);
    cr_assert_eq(c->fsw, 0);
    cr_assert_eq(*(uint64_t *)c->st[0], 0);
    cr_assert_eq(c->st[0][8], 0xff);
    cr_assert_eq(c->st[0][9], 0xff);
    cr_assert_eq(RUN(t, 0x0f, 0x77), 1);
    cr_assert_eq(c->ftw, 0);
    xt_free(t);
}

Test(x86_isa, sse_fp_rules)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    c->cr4 |= X86_CR4_OSFXSR;
    c->mxcsr = 0x1f80;
    /* ADDSD: 1.5 + 2.25 = 3.75, exact; the high quadword stays */
    c->xmm[0][0] = 0x3ff8000000000000ull;
    c->xmm[0][1] = 0x1234;
    c->xmm[1][0] = 0x4002000000000000ull;
    cr_assert_eq(RUN(t, 0xf2, 0x0f, 0x58, 0xc1), 1);
    cr_assert_eq(c->xmm[0][0], 0x400e000000000000ull);
    cr_assert_eq(c->xmm[0][1], 0x1234);
    cr_assert_eq(c->mxcsr, 0x1f80);
    /* two NaNs: the first source's, quieted (SDM table 4-7), and IE for the SNaN */
    c->xmm[0][0] = 0x7ff0000000000001ull;     /* SNaN */
    c->xmm[1][0] = 0x7ff8000000000002ull;     /* QNaN */
    cr_assert_eq(RUN(t, 0xf2, 0x0f, 0x59, 0xc1), 1);   /* MULSD */
    cr_assert_eq(c->xmm[0][0], 0x7ff8000000000001ull);
    cr_assert_eq(c->mxcsr & 0x3f, 0x01);
    /* 0/0: the real indefinite, IE; 1/0: +inf, ZE */
    c->mxcsr = 0x1f80;
    c->xmm[0][0] = 0;
    c->xmm[1][0] = 0;
    cr_assert_eq(RUN(t, 0xf2, 0x0f, 0x5e, 0xc1), 1);
    cr_assert_eq(c->xmm[0][0], 0xfff8000000000000ull);
    c->xmm[0][0] = 0x3ff0000000000000ull;
    cr_assert_eq(RUN(t, 0xf2, 0x0f, 0x5e, 0xc1), 1);
    cr_assert_eq(c->xmm[0][0], 0x7ff0000000000000ull);
    cr_assert_eq(c->mxcsr & 0x3f, 0x05);
    /* a denormal operand sets DE; under DAZ it reads as zero and DE stays clear */
    c->mxcsr = 0x1f80;
    c->xmm[0][0] = 1;
    c->xmm[1][0] = 0x3ff0000000000000ull;
    cr_assert_eq(RUN(t, 0xf2, 0x0f, 0x59, 0xc1), 1);
    cr_assert_eq(c->mxcsr & 0x02, 0x02);
    c->mxcsr = 0x1f80 | 0x40;
    c->xmm[0][0] = 1;
    cr_assert_eq(RUN(t, 0xf2, 0x0f, 0x59, 0xc1), 1);
    cr_assert_eq(c->xmm[0][0], 0);
    cr_assert_eq(c->mxcsr & 0x3f, 0);
    /* an unmasked exception (ZE) raises #XM with CR4.OSXMMEXCPT and writes nothing */
    c->cr4 |= X86_CR4_OSXMMEXCPT;
    c->mxcsr = 0x1f80 & ~0x200u;
    c->xmm[0][0] = 0x3ff0000000000000ull;
    c->xmm[1][0] = 0;
    cr_assert_eq(RUN(t, 0xf2, 0x0f, 0x5e, 0xc1), -1);
    cr_assert_eq(c->exc.vector, X86_XM);
    cr_assert_eq(c->xmm[0][0], 0x3ff0000000000000ull);
    cr_assert(c->mxcsr & 0x04);
    /* CVTTSD2SI of a NaN or out of range: the integer indefinite; of -2.75: -2 */
    c->mxcsr = 0x1f80;
    c->xmm[1][0] = 0x7ff8000000000000ull;
    cr_assert_eq(RUN(t, 0xf2, 0x0f, 0x2c, 0xc1), 1);
    cr_assert_eq(c->gpr[X86_RAX], 0x80000000u);
    c->xmm[1][0] = 0xc006000000000000ull;
    cr_assert_eq(RUN(t, 0xf2, 0x48, 0x0f, 0x2c, 0xc1), 1);
    cr_assert_eq(c->gpr[X86_RAX], (uint64_t)-2);
    /* CVTSD2SI rounds by MXCSR.RC: -2.75 to nearest is -3, up is -2 */
    cr_assert_eq(RUN(t, 0xf2, 0x48, 0x0f, 0x2d, 0xc1), 1);
    cr_assert_eq(c->gpr[X86_RAX], (uint64_t)-3);
    c->mxcsr = 0x1f80 | (2u << 13);
    cr_assert_eq(RUN(t, 0xf2, 0x48, 0x0f, 0x2d, 0xc1), 1);
    cr_assert_eq(c->gpr[X86_RAX], (uint64_t)-2);
    /* UCOMISD: unordered sets ZF PF CF; less sets CF */
    c->mxcsr = 0x1f80;
    c->xmm[0][0] = 0x3ff0000000000000ull;
    c->xmm[1][0] = 0x7ff8000000000000ull;
    cr_assert_eq(RUN(t, 0x66, 0x0f, 0x2e, 0xc1), 1);
    cr_assert_eq(c->rflags & X86_FLAGS_ARITH, X86_ZF | X86_PF | X86_CF);
    cr_assert_eq(c->mxcsr & 1, 0);                       /* a QNaN: no IE for UCOMISD */
    c->xmm[1][0] = 0x4000000000000000ull;
    cr_assert_eq(RUN(t, 0x66, 0x0f, 0x2f, 0xc1), 1);     /* COMISD 1 vs 2 */
    cr_assert_eq(c->rflags & X86_FLAGS_ARITH, X86_CF);
    xt_free(t);
}

Test(x86_isa, x87_control)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    c->gpr[X86_RSI] = XT_DATA;
    c->fsw = 0x38a5;                      /* TOP 7, flags set */
    c->fcw = 0x0040;
    /* FNINIT; FNSTCW [RSI]; FNSTSW AX */
    cr_assert_eq(RUN(t, 0xdb, 0xe3, 0xd9, 0x3e, 0xdf, 0xe0), 3);
    cr_assert_eq(*(uint16_t *)(t->m->ram + XT_DATA), 0x037f);
    cr_assert_eq(c->gpr[X86_RAX] & 0xffff, 0);
    cr_assert_eq(c->ftw, 0);
    /* FLDCW from memory; FNCLEX clears the exception flags and B but not TOP */
    *(uint16_t *)ram(t, XT_DATA + 2) = 0x027f;
    c->fsw = 0xb8ff;
    cr_assert_eq(RUN(t, 0xd9, 0x6e, 0x02, 0xdb, 0xe2), 2);
    cr_assert_eq(c->fcw, 0x027f);
    cr_assert_eq(c->fsw, 0x3800);
    /* FNSAVE then FRSTOR: the state comes back; FNSAVE reinitialises; the tag word of an
     * empty FPU is all ones */
    c->ftw = 0x01;                        /* physical register 0 valid: 1.0 */
    uint64_t one = 0x8000000000000000ull;
    memcpy(c->st[0], &one, 8);
    c->st[0][8] = 0xff;
    c->st[0][9] = 0x3f;
    c->fsw = 0x0000;                      /* TOP 0: ST(0) is physical 0 */
    cr_assert_eq(RUN(t, 0xdd, 0x76, 0x10), 1);          /* FNSAVE [RSI+16] */
    cr_assert_eq(c->fcw, 0x037f);
    cr_assert_eq(c->ftw, 0);
    uint32_t env[7];
    memcpy(env, t->m->ram + XT_DATA + 16, 28);
    cr_assert_eq(env[0] & 0xffff, 0x027f);
    cr_assert_eq(env[2] & 0xffff, 0xfffc);           /* reg 0 valid (00), others empty */
    cr_assert_eq(t->m->ram[XT_DATA + 16 + 28 + 9], 0x3f);   /* ST(0)'s exponent byte */
    cr_assert_eq(RUN(t, 0xdd, 0x66, 0x10), 1);          /* FRSTOR [RSI+16] */
    cr_assert_eq(c->fcw, 0x027f);
    cr_assert_eq(c->ftw, 0x01);
    cr_assert_eq(c->st[0][9], 0x3f);
    /* CR0.TS: #NM */
    c->cr0 |= X86_CR0_TS;
    cr_assert_eq(RUN(t, 0xdb, 0xe3), -1);
    cr_assert_eq(c->exc.vector, X86_NM);
    xt_free(t);
}

Test(x86_isa, sse4_string_and_crc)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    c->cr4 |= X86_CR4_OSFXSR;
    /* CRC32C("123456789") = 0xE3069283 with the usual pre- and post-inversion:
     * MOV EAX, -1; CRC32 RAX, QWORD [RSI]; CRC32 EAX, BYTE [RSI+8]; NOT EAX */
    memcpy(ram(t, XT_DATA), "123456789", 9);
    c->gpr[X86_RSI] = XT_DATA;
    cr_assert_eq(RUN(t, 0xb8, 0xff, 0xff, 0xff, 0xff,
                     0xf2, 0x48, 0x0f, 0x38, 0xf1, 0x06,
                     0xf2, 0x0f, 0x38, 0xf0, 0x46, 0x08,
                     0xf7, 0xd0), 4);
    cr_assert_eq(c->gpr[X86_RAX], 0xe3069283u);
    /* PCMPISTRI XMM1, [RSI], 0x18 (unsigned bytes, equal each, negative polarity): the
     * index of the first byte that differs from "hello" */
    memcpy(ram(t, XT_DATA + 0x20), "help\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    memcpy(c->xmm[1], "hello\0\0\0\0\0\0\0\0\0\0\0", 16);
    c->gpr[X86_RSI] = XT_DATA + 0x20;
    cr_assert_eq(RUN(t, 0x66, 0x0f, 0x3a, 0x63, 0x0e, 0x18), 1);
    cr_assert_eq(c->gpr[X86_RCX], 3);                   /* 'p' != 'l' at index 3 */
    cr_assert(c->rflags & X86_CF);
    cr_assert(c->rflags & X86_ZF);                      /* the memory string ends in it */
    cr_assert(c->rflags & X86_SF);                      /* so does "hello" */
    /* equal any (0x00): the first of "lo" in "help": 'l' at 2 */
    memcpy(c->xmm[2], "lo\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    cr_assert_eq(RUN(t, 0x66, 0x0f, 0x3a, 0x63, 0x16, 0x00), 1);
    cr_assert_eq(c->gpr[X86_RCX], 2);
    /* PSHUFB reverses bytes with the index vector 15..0 */
    for (int i = 0; i < 16; i++) {
        ((uint8_t *)c->xmm[3])[i] = (uint8_t)i;
        ((uint8_t *)c->xmm[4])[i] = (uint8_t)(15 - i);
    }
    cr_assert_eq(RUN(t, 0x66, 0x0f, 0x38, 0x00, 0xdc), 1);      /* PSHUFB XMM3, XMM4 */
    cr_assert_eq(c->xmm[3][0], 0x08090a0b0c0d0e0full);
    /* PTEST: XMM3 AND XMM3 != 0 -> ZF clear; PMOVZXBW widens bytes */
    cr_assert_eq(RUN(t, 0x66, 0x0f, 0x38, 0x17, 0xdb), 1);
    cr_assert_not(c->rflags & X86_ZF);
    cr_assert(c->rflags & X86_CF);
    cr_assert_eq(RUN(t, 0x66, 0x0f, 0x38, 0x30, 0xeb), 1);      /* PMOVZXBW XMM5, XMM3 */
    cr_assert_eq(c->xmm[5][0], 0x000c000d000e000full);
    xt_free(t);
}

Test(x86_isa, branch_past_cs_limit)
{
    XT *t = xt_new(32, 0);
    X86Cpu *c = t->c;
    c->seg[X86_CS].limit = 0x1fff;
    /* JMP +0x1000 from 0x1000 lands past the limit: #GP(0) at the JMP, EIP unchanged */
    cr_assert_eq(RUN(t, 0xe9, 0xfb, 0x0f, 0x00, 0x00), -1);
    cr_assert_eq(c->exc.vector, X86_GP);
    cr_assert_eq(c->rip, XT_CODE);
    /* a CALL there pushes nothing */
    c->gpr[X86_RSP] = XT_STACK;
    cr_assert_eq(RUN(t, 0xe8, 0xfb, 0x0f, 0x00, 0x00), -1);
    cr_assert_eq(c->gpr[X86_RSP], XT_STACK);
    /* inside the limit it is taken */
    c->seg[X86_CS].limit = 0xffffffff;
    cr_assert_eq(RUN(t, 0xeb, 0x00), 1);
    cr_assert_eq(c->rip, XT_CODE + 2);
    xt_free(t);
}

/* ---- x87 arithmetic ---- */

static uint64_t st_mant(const X86Cpu *c, unsigned i)
{
    uint64_t m;
    memcpy(&m, c->st[(((c->fsw >> 11) & 7) + i) & 7], 8);
    return m;
}
static uint16_t st_se(const X86Cpu *c, unsigned i)
{
    uint16_t se;
    memcpy(&se, c->st[(((c->fsw >> 11) & 7) + i) & 7] + 8, 2);
    return se;
}

Test(x86_isa, x87_arithmetic)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    c->gpr[X86_RSI] = XT_DATA;
    /* FNINIT; FLD1; FLD1; FADDP: 2.0; FSQRT: sqrt(2) to 64 bits, rounded to nearest */
    cr_assert_eq(RUN(t, 0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xe8, 0xde, 0xc1, 0xd9, 0xfa), 5);
    cr_assert_eq(st_se(c, 0), 0x3fff);
    cr_assert_eq(st_mant(c, 0), 0xb504f333f9de6484ull);
    cr_assert(c->fsw & 0x20);                        /* PE */
    cr_assert_eq((c->fsw >> 11) & 7, 7);             /* one value on the stack */
    /* FLDPI to nearest; under RC = down the value below */
    cr_assert_eq(RUN(t, 0xd9, 0xeb), 1);
    cr_assert_eq(st_mant(c, 0), 0xc90fdaa22168c235ull);
    c->fcw = 0x077f;
    cr_assert_eq(RUN(t, 0xd9, 0xeb), 1);
    cr_assert_eq(st_mant(c, 0), 0xc90fdaa22168c234ull);
    /* precision control 24 bits: 1/3 with a float's significand (FNINIT; FLDCW; FLD1;
     * FLD1; FADDP; FLD1; FADDP: 3; FLD1; FDIVRP: 1/3) */
    *(uint16_t *)ram(t, XT_DATA) = 0x007f;
    cr_assert_eq(RUN(t, 0xdb, 0xe3, 0xd9, 0x2e, 0xd9, 0xe8, 0xd9, 0xe8, 0xde, 0xc1, 0xd9, 0xe8,
                     0xde, 0xc1, 0xd9, 0xe8, 0xde, 0xf1), 9);
    cr_assert_eq(st_se(c, 0), 0x3ffd);
    cr_assert_eq(st_mant(c, 0), 0xaaaaab0000000000ull);
    xt_free(t);
}

Test(x86_isa, x87_conversions_and_faults)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    c->gpr[X86_RSI] = XT_DATA;
    /* FILD m32 (7); FILD m32 (2); FDIVP: 3.5; FISTP m32 rounds to even: 4 */
    *(int32_t *)ram(t, XT_DATA) = 7;
    *(int32_t *)ram(t, XT_DATA + 4) = 2;
    cr_assert_eq(RUN(t, 0xdb, 0xe3, 0xdb, 0x06, 0xdb, 0x46, 0x04, 0xde, 0xf9,
                     0xdb, 0x5e, 0x08), 5);
    cr_assert_eq(*(int32_t *)(t->m->ram + XT_DATA + 8), 4);
    cr_assert_eq((c->fsw >> 11) & 7, 0);             /* empty again */
    /* 1/0: ZE and +inf (masked); FLD1; FCOMI ST(1): 1 < inf, CF set, ZF = PF = 0 */
    cr_assert_eq(RUN(t, 0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9), 4);
    cr_assert(c->fsw & 0x04);
    cr_assert_eq(st_se(c, 0), 0x7fff);
    cr_assert_eq(st_mant(c, 0), 0x8000000000000000ull);
    cr_assert_eq(RUN(t, 0xd9, 0xe8, 0xdb, 0xf1), 2);
    cr_assert_eq(c->rflags & (X86_ZF | X86_PF | X86_CF), X86_CF);
    /* a ninth push overflows the stack: IE, SF, C1 and the indefinite (masked) */
    cr_assert_eq(RUN(t, 0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8,
                     0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xee), 10);
    cr_assert_eq(c->fsw & 0x241, 0x241);
    cr_assert_eq(st_se(c, 0), 0xffff);
    cr_assert_eq(st_mant(c, 0), 0xc000000000000000ull);
    /* FXAM of an empty register: C3 C0 set (class 101) */
    cr_assert_eq(RUN(t, 0xdb, 0xe3, 0xd9, 0xe5), 2);
    cr_assert_eq(c->fsw & 0x4500, 0x4100);
    /* FBSTP / FBLD round trip of -1234567 */
    *(int32_t *)ram(t, XT_DATA) = -1234567;
    cr_assert_eq(RUN(t, 0xdb, 0x06, 0xdf, 0x76, 0x10, 0xdf, 0x66, 0x10, 0xdb, 0x5e, 0x20), 4);
    cr_assert_eq(t->m->ram[XT_DATA + 0x10], 0x67);
    cr_assert_eq(t->m->ram[XT_DATA + 0x13], 0x01);
    cr_assert_eq(t->m->ram[XT_DATA + 0x19], 0x80);
    cr_assert_eq(*(int32_t *)(t->m->ram + XT_DATA + 0x20), -1234567);
    /* FST m64 of 1/3 (double rounding from extended): the double nearest 1/3 */
    cr_assert_eq(RUN(t, 0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xe8, 0xde, 0xc1, 0xd9, 0xe8, 0xde, 0xc1,
                     0xd9, 0xe8, 0xde, 0xf1, 0xdd, 0x5e, 0x28), 9);
    cr_assert_eq(*(uint64_t *)(t->m->ram + XT_DATA + 0x28), 0x3fd5555555555555ull);
    xt_free(t);
}

Test(x86_isa, adcx_adox)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    cr_assert_eq(RUN(t, 0x66, 0x0f, 0x38, 0xf6, 0xc1), -1, "qemu64 has no ADX: #UD");
    cr_assert_eq(c->exc.vector, X86_UD);
    c->model = x86_cpu_model_find("max");
    /* STC; MOV EAX, -1; XOR ECX, ECX: OF clear; ADCX EAX, ECX: 0 with CF; ADOX leaves CF */
    c->rflags = 2 | X86_ZF | X86_SF;
    cr_assert_eq(RUN(t, 0xf9, 0xb8, 0xff, 0xff, 0xff, 0xff, 0x66, 0x0f, 0x38, 0xf6, 0xc1), 3);
    cr_assert_eq(c->gpr[X86_RAX], 0);
    cr_assert_eq(c->rflags & (X86_CF | X86_OF | X86_ZF | X86_SF), X86_CF | X86_ZF | X86_SF);
    c->rflags |= X86_OF;
    cr_assert_eq(RUN(t, 0xf3, 0x0f, 0x38, 0xf6, 0xc1), 1);  /* ADOX EAX, ECX: 0 + 0 + OF */
    cr_assert_eq(c->gpr[X86_RAX], 1);
    cr_assert_eq(c->rflags & (X86_CF | X86_OF), X86_CF);
    xt_free(t);
}

Test(x86_isa, bmi1_bmi2)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    cr_assert_eq(RUN(t, 0xc4, 0xe2, 0x78, 0xf2, 0xda), -1, "qemu64 has no BMI1: ANDN is #UD");
    cr_assert_eq(c->exc.vector, X86_UD);
    c->model = x86_cpu_model_find("max");
    c->gpr[X86_RAX] = 0xf0;
    c->gpr[X86_RCX] = 0x0404;              /* BEXTR control: start 4, length 4 */
    c->gpr[X86_RDX] = 0xff00ff00ff00ff00ull;
    /* ANDN EBX, EAX, EDX: ~0xf0 & 0xff00ff00 */
    cr_assert_eq(RUN(t, 0xc4, 0xe2, 0x78, 0xf2, 0xda), 1);
    cr_assert_eq(c->gpr[X86_RBX], 0xff00ff00u);
    /* BLSR RBX, RAX (vvvv = RBX): 0xf0 & 0xef = 0xe0; BLSI: the lowest set bit, CF set */
    cr_assert_eq(RUN(t, 0xc4, 0xe2, 0xe0, 0xf3, 0xc8), 1);
    cr_assert_eq(c->gpr[X86_RBX], 0xe0);
    cr_assert_eq(RUN(t, 0xc4, 0xe2, 0xe0, 0xf3, 0xd8), 1);
    cr_assert_eq(c->gpr[X86_RBX], 0x10);
    cr_assert(c->rflags & X86_CF);
    /* BEXTR EBX, EAX, ECX: bits 4..7 of 0xf0 = 0xf */
    cr_assert_eq(RUN(t, 0xc4, 0xe2, 0x70, 0xf7, 0xd8), 1);
    cr_assert_eq(c->gpr[X86_RBX], 0xf);
    /* PEXT RBX, RDX, RAX (mask 0xf0): bits 4..7 of RDX (0) */
    cr_assert_eq(RUN(t, 0xc4, 0xe2, 0xea, 0xf5, 0xd8), 1);
    cr_assert_eq(c->gpr[X86_RBX], 0);
    /* PDEP RBX, RCX, RAX: 0x0404's low bits 0,0,1,0 into bits 4..7: bit 6 */
    cr_assert_eq(RUN(t, 0xc4, 0xe2, 0xf3, 0xf5, 0xd8), 1);
    cr_assert_eq(c->gpr[X86_RBX], 0x40);
    /* MULX RBX, RSI, RAX: RDX * RAX, high to RBX, low to RSI; no flags */
    uint64_t fl = c->rflags;
    cr_assert_eq(RUN(t, 0xc4, 0xe2, 0xcb, 0xf6, 0xd8), 1);
    cr_assert_eq(c->gpr[X86_RSI], 0xff00ff00ff00ff00ull * 0xf0);
    cr_assert_eq(c->gpr[X86_RBX], 0xef);
    cr_assert_eq(c->rflags, fl);
    /* RORX EBX, EAX, 4 (vvvv 1111b); with another vvvv it is #UD */
    cr_assert_eq(RUN(t, 0xc4, 0xe3, 0x7b, 0xf0, 0xd8, 0x04), 1);
    cr_assert_eq(c->gpr[X86_RBX], 0xf);
    cr_assert_eq(RUN(t, 0xc4, 0xe3, 0x73, 0xf0, 0xd8, 0x04), -1);
    cr_assert_eq(c->exc.vector, X86_UD);
    /* a 66 before VEX is #UD; VEX.L = 1 is #UD */
    cr_assert_eq(RUN(t, 0x66, 0xc4, 0xe2, 0x78, 0xf2, 0xda), -1);
    cr_assert_eq(RUN(t, 0xc4, 0xe2, 0x7c, 0xf2, 0xda), -1);
    xt_free(t);
}

/* F3 0F BC is TZCNT only where BMI1 is advertised (max); on qemu64 it is BSF, as on
 * processors without TZCNT: a zero source sets ZF and leaves the destination, a non-zero one
 * gives the index either way. */
Test(x86_isa, tzcnt_needs_bmi1)
{
    XT *t = xt_new(64, 0);
    X86Cpu *c = t->c;
    c->gpr[X86_RAX] = 0;
    c->gpr[X86_RBX] = 0x77;
    cr_assert_eq(RUN(t, 0xf3, 0x48, 0x0f, 0xbc, 0xd8), 1);      /* tzcnt rbx, rax */
    cr_assert_eq(c->gpr[X86_RBX], 0x77, "qemu64: BSF leaves the destination");
    cr_assert(c->rflags & X86_ZF);
    c->model = x86_cpu_model_find("max");
    cr_assert_eq(RUN(t, 0xf3, 0x48, 0x0f, 0xbc, 0xd8), 1);
    cr_assert_eq(c->gpr[X86_RBX], 64, "max: TZCNT of zero is the operand size");
    cr_assert(c->rflags & X86_CF);
    c->gpr[X86_RAX] = 0x100;
    cr_assert_eq(RUN(t, 0xf3, 0x48, 0x0f, 0xbc, 0xd8), 1);
    cr_assert_eq(c->gpr[X86_RBX], 8);
    xt_free(t);
}
