/* x86-64 integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP in all their forms,
 * TEST, INC/DEC, NOT/NEG, and the BCD adjustments of the legacy modes. */
#include "cpu/x86_64/exec.h"
#include "cpu/x86_64/sys_internal.h"

enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

/* op of a and b at size: the result and all six arithmetic flags (inline: the decode
 * cache's specialised handlers below fix op and size). */
static inline __attribute__((always_inline)) uint64_t alu(X86Cpu *c, unsigned op, uint64_t a,
                                                          uint64_t b, unsigned size)
{
    uint32_t f;
    uint64_t r;
    unsigned cf = c->rflags & X86_CF ? 1 : 0;
    switch (op) {
    case ALU_ADD: r = x86_add_flags(a, b, 0, size, &f); break;
    case ALU_ADC: r = x86_add_flags(a, b, cf, size, &f); break;
    case ALU_SBB: r = x86_sub_flags(a, b, cf, size, &f); break;
    case ALU_SUB:
    case ALU_CMP: r = x86_sub_flags(a, b, 0, size, &f); break;
    case ALU_OR: r = (a | b) & x86_mask(size); f = x86_logic_flags(r, size); break;
    case ALU_AND: r = (a & b) & x86_mask(size); f = x86_logic_flags(r, size); break;
    default: r = (a ^ b) & x86_mask(size); f = x86_logic_flags(r, size); break;
    }
    x86_set_flags(c, X86_FLAGS_ARITH, f);
    return r;
}

/* r/m op= value (CMP: flags only); false, with nothing changed, when an access faults. */
static inline __attribute__((always_inline)) bool alu_rm_do(X86Cpu *c, const X86Insn *d,
                                                            unsigned op, uint64_t b,
                                                            unsigned size)
{
    uint64_t a;
    bool ok = op == ALU_CMP ? x86_rm_read(c, d, size, &a) : x86_rm_read_rmw(c, d, size, &a);
    if (!ok)
        return false;
    uint64_t saved = c->rflags;
    uint64_t r = alu(c, op, a, b, size);
    if (op != ALU_CMP && !x86_rm_write(c, d, size, r)) {
        c->rflags = saved;
        return false;
    }
    return true;
}

static int alu_rm(X86Cpu *c, const X86Insn *d, unsigned op, uint64_t b, unsigned size)
{
    return alu_rm_do(c, d, op, b, size) ? x86_retire(c, d) : X86_FAULT;
}

/* 00-3D: the operation is opcode bits 5:3, the form bits 2:0. */
int x86_op_alu(X86Cpu *c, const X86Insn *d)
{
    unsigned op = (d->opcode >> 3) & 7, size = d->opsize;
    uint64_t a, b;
    switch (d->opcode & 7) {
    case 0:
    case 1:                               /* Eb,Gb / Ev,Gv */
        return alu_rm(c, d, op, x86_get_reg(c, d, d->reg, size), size);
    case 2:
    case 3:                               /* Gb,Eb / Gv,Ev */
        if (!x86_rm_read(c, d, size, &b))
            return X86_FAULT;
        a = x86_get_reg(c, d, d->reg, size);
        break;
    default:                              /* AL,Ib / rAX,Iz */
        a = x86_get_reg(c, d, X86_RAX, size);
        b = d->imm;
        uint64_t r = alu(c, op, a, b, size);
        if (op != ALU_CMP)
            x86_set_reg(c, d, X86_RAX, size, r);
        return x86_retire(c, d);
    }
    uint64_t r = alu(c, op, a, b, size);
    if (op != ALU_CMP)
        x86_set_reg(c, d, d->reg, size, r);
    return x86_retire(c, d);
}

/* 80-83: ALU Eb/Ev with an immediate; the operation is ModRM.reg. */
int x86_op_grp1(X86Cpu *c, const X86Insn *d)
{
    return alu_rm(c, d, d->reg & 7, d->imm, d->opsize);
}

static int test(X86Cpu *c, const X86Insn *d, uint64_t a, uint64_t b)
{
    uint64_t r = a & b & x86_mask(d->opsize);
    x86_set_flags(c, X86_FLAGS_ARITH, x86_logic_flags(r, d->opsize));
    return x86_retire(c, d);
}

/* 84, 85, A8, A9 */
int x86_op_test(X86Cpu *c, const X86Insn *d)
{
    uint64_t a;
    if (d->opcode >= 0xa8)
        return test(c, d, x86_get_reg(c, d, X86_RAX, d->opsize), d->imm);
    if (!x86_rm_read(c, d, d->opsize, &a))
        return X86_FAULT;
    return test(c, d, a, x86_get_reg(c, d, d->reg, d->opsize));
}

/* F6/F7 /0 and /1 */
int x86_op_test_imm(X86Cpu *c, const X86Insn *d)
{
    uint64_t a;
    if (!x86_rm_read(c, d, d->opsize, &a))
        return X86_FAULT;
    return test(c, d, a, d->imm);
}

/* INC/DEC: like ADD/SUB 1 with CF kept. */
static uint64_t incdec(X86Cpu *c, uint64_t a, bool dec, unsigned size)
{
    uint32_t f;
    uint64_t r = dec ? x86_sub_flags(a, 1, 0, size, &f) : x86_add_flags(a, 1, 0, size, &f);
    x86_set_flags(c, X86_FLAGS_ARITH & ~X86_CF, f);
    return r;
}

/* FE/FF /0 /1 */
int x86_op_incdec(X86Cpu *c, const X86Insn *d)
{
    uint64_t a;
    if (!x86_rm_read_rmw(c, d, d->opsize, &a))
        return X86_FAULT;
    uint64_t saved = c->rflags;
    uint64_t r = incdec(c, a, d->reg & 1, d->opsize);
    if (!x86_rm_write(c, d, d->opsize, r)) {
        c->rflags = saved;
        return X86_FAULT;
    }
    return x86_retire(c, d);
}

/* 40-4F outside 64-bit mode */
int x86_op_incdec_r(X86Cpu *c, const X86Insn *d)
{
    uint64_t r = incdec(c, x86_get_reg(c, d, d->reg, d->opsize), d->opcode >= 0x48, d->opsize);
    x86_set_reg(c, d, d->reg, d->opsize, r);
    return x86_retire(c, d);
}

/* F6/F7 /2 NOT (no flags), /3 NEG (flags of 0 - x; CF = x != 0) */
int x86_op_notneg(X86Cpu *c, const X86Insn *d)
{
    uint64_t a, r;
    if (!x86_rm_read_rmw(c, d, d->opsize, &a))
        return X86_FAULT;
    uint64_t saved = c->rflags;
    if ((d->reg & 7) == 2) {
        r = ~a & x86_mask(d->opsize);
    } else {
        uint32_t f;
        r = x86_sub_flags(0, a, 0, d->opsize, &f);
        x86_set_flags(c, X86_FLAGS_ARITH, f);
    }
    if (!x86_rm_write(c, d, d->opsize, r)) {
        c->rflags = saved;
        return X86_FAULT;
    }
    return x86_retire(c, d);
}

/* ---- BCD adjustments (legacy modes only; SDM pseudocode. Undefined OF: QEMU's choice of
 * the flags of the final AL where it computes them) ---- */

static void set_al(X86Cpu *c, uint64_t al)
{
    c->gpr[X86_RAX] = (c->gpr[X86_RAX] & ~0xffull) | (al & 0xff);
}

/* 27 DAA */
int x86_op_daa(X86Cpu *c, const X86Insn *d)
{
    unsigned al = c->gpr[X86_RAX] & 0xff, old = al;
    bool cf = c->rflags & X86_CF, af = c->rflags & X86_AF;
    uint32_t f = 0;
    if ((al & 0xf) > 9 || af) {
        al += 6;
        f |= X86_AF;
    }
    if (old > 0x99 || cf) {
        al += 0x60;
        f |= X86_CF;
    }
    set_al(c, al);
    x86_set_flags(c, X86_FLAGS_ARITH, f | x86_szp(al, 1));
    return x86_retire(c, d);
}

/* 2F DAS */
int x86_op_das(X86Cpu *c, const X86Insn *d)
{
    unsigned al = c->gpr[X86_RAX] & 0xff, old = al;
    bool cf = c->rflags & X86_CF, af = c->rflags & X86_AF;
    uint32_t f = 0;
    if ((al & 0xf) > 9 || af) {
        if (al < 6)
            f |= X86_CF;
        al -= 6;
        f |= X86_AF;
    }
    if (old > 0x99 || cf) {
        al -= 0x60;
        f |= X86_CF;
    }
    set_al(c, al);
    x86_set_flags(c, X86_FLAGS_ARITH, f | x86_szp(al, 1));
    return x86_retire(c, d);
}

/* 37 AAA / 3F AAS */
static int aaa_aas(X86Cpu *c, const X86Insn *d, bool sub)
{
    uint64_t ax = c->gpr[X86_RAX] & 0xffff;
    uint32_t f = c->rflags & (X86_SF | X86_ZF | X86_PF);
    if ((ax & 0xf) > 9 || (c->rflags & X86_AF)) {
        ax = sub ? ax - 6 - 0x100 : ax + 0x106;
        f |= X86_AF | X86_CF;
    }
    ax &= 0xff0f;
    c->gpr[X86_RAX] = (c->gpr[X86_RAX] & ~0xffffull) | (ax & 0xffff);
    x86_set_flags(c, X86_FLAGS_ARITH, f);
    return x86_retire(c, d);
}
int x86_op_aaa(X86Cpu *c, const X86Insn *d) { return aaa_aas(c, d, false); }
int x86_op_aas(X86Cpu *c, const X86Insn *d) { return aaa_aas(c, d, true); }

/* D4 ib AAM: #DE on a zero base */
int x86_op_aam(X86Cpu *c, const X86Insn *d)
{
    unsigned base = d->imm & 0xff, al = c->gpr[X86_RAX] & 0xff;
    if (!base) {
        x86_raise(c, X86_DE, false, 0);
        return X86_FAULT;
    }
    unsigned ah = al / base;
    al %= base;
    c->gpr[X86_RAX] = (c->gpr[X86_RAX] & ~0xffffull) | (ah << 8) | al;
    x86_set_flags(c, X86_FLAGS_ARITH, x86_szp(al, 1));
    return x86_retire(c, d);
}

/* D5 ib AAD */
int x86_op_aad(X86Cpu *c, const X86Insn *d)
{
    unsigned al = c->gpr[X86_RAX] & 0xff, ah = (c->gpr[X86_RAX] >> 8) & 0xff;
    al = (al + ah * (d->imm & 0xff)) & 0xff;
    c->gpr[X86_RAX] = (c->gpr[X86_RAX] & ~0xffffull) | al;
    x86_set_flags(c, X86_FLAGS_ARITH, x86_szp(al, 1));
    return x86_retire(c, d);
}

/* 66 0F 38 F6 ADCX, F3 0F 38 F6 ADOX: unsigned add with carry through CF (ADCX) or OF
 * (ADOX) alone, the other flags untouched; #UD where CPUID does not advertise ADX (qemu64). */
int x86_op_adx(X86Cpu *c, const X86Insn *d)
{
    if (!(c->model->f7_ebx & X86_F7_EBX_ADX))
        return x86_ud(c);
    unsigned size = d->rex & 8 ? 8 : 4;
    uint64_t b;
    if (!x86_rm_read(c, d, size, &b))
        return X86_FAULT;
    uint32_t flag = d->rep == 0xf3 ? X86_OF : X86_CF;
    uint32_t f;
    uint64_t a = x86_get_reg(c, d, d->reg, size);
    uint64_t r = x86_add_flags(a, b, c->rflags & flag ? 1 : 0, size, &f);
    x86_set_flags(c, flag, f & X86_CF ? flag : 0);
    x86_set_reg(c, d, d->reg, size, r);
    return x86_retire(c, d);
}

/* ---- specialised handlers (dcache.c's selectors in x86_decode_slow) ----
 * The decode cache gives a kept ALU or TEST instruction of operand size 4 or 8 a handler
 * with its operation, size and form fixed: the same steps as x86_op_alu / x86_op_grp1 /
 * x86_op_test, without the switches the host cannot predict. */

/* alu for the decode cache's lazy handlers: ADD, SUB, CMP, AND, OR and XOR leave their
 * flags pending (exec.h); ADC and SBB read CF and compute theirs (their handlers are not
 * marked lazy, so the chain has written any pending flags first). */
static inline __attribute__((always_inline)) uint64_t alu_lz(X86Cpu *c, unsigned op,
                                                             uint64_t a, uint64_t b,
                                                             unsigned size)
{
    uint64_t m = x86_mask(size), r;
    a &= m;
    b &= m;
    switch (op) {
    case ALU_ADD: r = (a + b) & m; x86_lf_set(c, X86_LF_ADD, a, b, r, size); return r;
    case ALU_SUB:
    case ALU_CMP: r = (a - b) & m; x86_lf_set(c, X86_LF_SUB, a, b, r, size); return r;
    case ALU_OR: r = a | b; break;
    case ALU_AND: r = a & b; break;
    case ALU_XOR: r = a ^ b; break;
    default: return alu(c, op, a, b, size);
    }
    x86_lf_set(c, X86_LF_LOGIC, 0, 0, r, size);
    return r;
}
#define ALU_LAZY(op) ((op) != ALU_ADC && (op) != ALU_SBB)

/* PF (bit 2) of every byte value, built by quarters: flipping a bit flips the parity */
#define PAR2(n) n, (n) ^ 4, (n) ^ 4, n
#define PAR4(n) PAR2(n), PAR2((n) ^ 4), PAR2((n) ^ 4), PAR2(n)
#define PAR6(n) PAR4(n), PAR4((n) ^ 4), PAR4((n) ^ 4), PAR4(n)
const uint8_t x86_pf_table[256] = { PAR6(4), PAR6(0), PAR6(0), PAR6(4) };
_Static_assert(X86_PF == 4, "PF is bit 2");

/* The flags pending (exec.h) into rflags: the same as x86_add_flags, x86_sub_flags and
 * x86_logic_flags give, without their branches. */
void x86_lf_write(X86Cpu *c)
{
    uint64_t a = c->lf_a, b = c->lf_b, r = c->lf_r;
    unsigned sh = 8 * c->lf_size - 1;
    uint32_t f = x86_pf_table[r & 0xff] | (r ? 0 : X86_ZF) | (uint32_t)((r >> sh) & 1) * X86_SF;
    switch (c->lf_op) {
    case X86_LF_ADD:
        f |= (uint32_t)(r < a) * X86_CF | (uint32_t)(((a ^ r) & (b ^ r)) >> sh & 1) * X86_OF |
             (uint32_t)((a ^ b ^ r) & X86_AF);
        break;
    case X86_LF_SUB:
        f |= (uint32_t)(a < b) * X86_CF | (uint32_t)(((a ^ b) & (a ^ r)) >> sh & 1) * X86_OF |
             (uint32_t)((a ^ b ^ r) & X86_AF);
        break;
    case X86_LF_MUL:
        f |= b ? X86_CF | X86_OF : 0;
        break;    case X86_LF_INC:
        f |= (uint32_t)b * X86_CF | (uint32_t)(r == 1ull << sh) * X86_OF |
             (uint32_t)((a ^ r) & X86_AF);
        break;
    case X86_LF_DEC:
        f |= (uint32_t)b * X86_CF | (uint32_t)(a == 1ull << sh) * X86_OF |
             (uint32_t)((a ^ r) & X86_AF);
        break;
    default:
        break;
    }
    c->rflags = (c->rflags & ~(uint64_t)X86_FLAGS_ARITH) | f;
    c->lf_op = X86_LF_NONE;
}

/* r/m op= b, as alu_rm, then on to the next instruction when chained */
static inline __attribute__((always_inline)) int alu_rm_k(X86Cpu *c, const X86Insn *d,
                                                          unsigned op, uint64_t b, unsigned size)
{
    return alu_rm_do(c, d, op, b, size) ? x86_next(c, d) : X86_FAULT;
}

/* r/m op= b with a memory r/m: one translation for the read and the write when the soft TLB
 * holds the page as RAM, else alu_rm_k's general path */
static inline __attribute__((always_inline)) int alu_m_k(X86Cpu *c, const X86Insn *d,
                                                         unsigned op, uint64_t b, unsigned size)
{
    if (op == ALU_CMP) {
        uint64_t a;
        if (!x86_read(c, d->seg, x86_ea(c, d), size, &a))
            return X86_FAULT;         /* before the flags change */
        alu_lz(c, op, a, b, size);
        return x86_next(c, d);
    }
    uint8_t *h = x86_rmw_fast(c, d, size);
    if (unlikely(h == NULL)) {
        x86_lf_flush(c);              /* the general path computes flags and may fault */
        return alu_rm_k(c, d, op, b, size);
    }
    x86_ram_put(h, size, alu_lz(c, op, x86_ram_load(h, size), b, size));
    return x86_next(c, d);
}

/* Register forms (mod 3) and memory forms apart: at size 4 or 8 a register number is the
 * register itself (no AH..BH) */
#define ALU_FAST(OP, SZ)                                                                      \
    /* 01-form: Ev,Gv */                                                                      \
    static int alu_ev_gv_##OP##_##SZ##_r(X86Cpu *restrict c, const X86Insn *restrict d)       \
    {                                                                                         \
        uint64_t r = alu_lz(c, OP, x86_get_reg(c, d, d->rm, SZ), x86_get_reg(c, d, d->reg, SZ), \
                           SZ);                                                               \
        if (OP != ALU_CMP)                                                                    \
            x86_set_reg(c, d, d->rm, SZ, r);                                                  \
        return x86_next(c, d);                                                                \
    }                                                                                         \
    static int alu_ev_gv_##OP##_##SZ##_m(X86Cpu *restrict c, const X86Insn *restrict d)       \
    {                                                                                         \
        return alu_m_k(c, d, OP, x86_get_reg(c, d, d->reg, SZ), SZ);                          \
    }                                                                                         \
    /* 03-form: Gv,Ev */                                                                      \
    static int alu_gv_ev_##OP##_##SZ##_r(X86Cpu *restrict c, const X86Insn *restrict d)       \
    {                                                                                         \
        uint64_t r = alu_lz(c, OP, x86_get_reg(c, d, d->reg, SZ), x86_get_reg(c, d, d->rm, SZ), \
                            SZ);                                                              \
        if (OP != ALU_CMP)                                                                    \
            x86_set_reg(c, d, d->reg, SZ, r);                                                 \
        return x86_next(c, d);                                                                \
    }                                                                                         \
    static int alu_gv_ev_##OP##_##SZ##_m(X86Cpu *restrict c, const X86Insn *restrict d)       \
    {                                                                                         \
        uint64_t b;                                                                           \
        if (!x86_read(c, d->seg, x86_ea(c, d), SZ, &b))                                       \
            return X86_FAULT;                                                                 \
        uint64_t r = alu_lz(c, OP, x86_get_reg(c, d, d->reg, SZ), b, SZ);                      \
        if (OP != ALU_CMP)                                                                    \
            x86_set_reg(c, d, d->reg, SZ, r);                                                 \
        return x86_next(c, d);                                                                \
    }                                                                                         \
    /* 05-form: rAX,Iz */                                                                     \
    static int alu_ax_iz_##OP##_##SZ(X86Cpu *restrict c, const X86Insn *restrict d)           \
    {                                                                                         \
        uint64_t r = alu_lz(c, OP, x86_get_reg(c, d, X86_RAX, SZ), d->imm, SZ);                \
        if (OP != ALU_CMP)                                                                    \
            x86_set_reg(c, d, X86_RAX, SZ, r);                                                \
        return x86_next(c, d);                                                                \
    }                                                                                         \
    /* 81/83: Ev,I */                                                                         \
    static int alu_ev_i_##OP##_##SZ##_r(X86Cpu *restrict c, const X86Insn *restrict d)        \
    {                                                                                         \
        uint64_t r = alu_lz(c, OP, x86_get_reg(c, d, d->rm, SZ), d->imm, SZ);                  \
        if (OP != ALU_CMP)                                                                    \
            x86_set_reg(c, d, d->rm, SZ, r);                                                  \
        return x86_next(c, d);                                                                \
    }                                                                                         \
    static int alu_ev_i_##OP##_##SZ##_m(X86Cpu *restrict c, const X86Insn *restrict d)        \
    {                                                                                         \
        return alu_m_k(c, d, OP, d->imm, SZ);                                                 \
    }

#define ALU_FAST_OP(OP) ALU_FAST(OP, 1) ALU_FAST(OP, 2) ALU_FAST(OP, 4) ALU_FAST(OP, 8)
ALU_FAST_OP(0) ALU_FAST_OP(1) ALU_FAST_OP(2) ALU_FAST_OP(3)
ALU_FAST_OP(4) ALU_FAST_OP(5) ALU_FAST_OP(6) ALU_FAST_OP(7)

/* [op][size 1, 2, 4, 8][Ev,Gv reg, Ev,Gv mem, rAX,Iz, -, Ev,I reg, Ev,I mem, Gv,Ev reg,
 * Gv,Ev mem] */
#define ALU_SZ(OP, SZ)                                                                        \
    { alu_ev_gv_##OP##_##SZ##_r, alu_ev_gv_##OP##_##SZ##_m, alu_ax_iz_##OP##_##SZ, NULL,      \
      alu_ev_i_##OP##_##SZ##_r, alu_ev_i_##OP##_##SZ##_m, alu_gv_ev_##OP##_##SZ##_r,          \
      alu_gv_ev_##OP##_##SZ##_m }
#define ALU_ROW(OP) { ALU_SZ(OP, 1), ALU_SZ(OP, 2), ALU_SZ(OP, 4), ALU_SZ(OP, 8) }
static const X86HandlerFn alu_fast[8][4][8] = {
    ALU_ROW(0), ALU_ROW(1), ALU_ROW(2), ALU_ROW(3),
    ALU_ROW(4), ALU_ROW(5), ALU_ROW(6), ALU_ROW(7),
};

/* TEST of any size: 84/85 (r/m, reg) in register and memory forms apart; F6/F7 /0 /1 (r/m,
 * imm), A8/A9 (rAX, imm) */
#define TEST_FAST(SZ)                                                                         \
    static int test_ev_gv_##SZ##_r(X86Cpu *restrict c, const X86Insn *restrict d)             \
    {                                                                                         \
        uint64_t r = x86_get_reg(c, d, d->rm, SZ) & x86_get_reg(c, d, d->reg, SZ);            \
        x86_lf_set(c, X86_LF_LOGIC, 0, 0, r, SZ);                                             \
        return x86_next(c, d);                                                                \
    }                                                                                         \
    static int test_ev_gv_##SZ##_m(X86Cpu *restrict c, const X86Insn *restrict d)             \
    {                                                                                         \
        uint64_t a;                                                                           \
        if (!x86_read(c, d->seg, x86_ea(c, d), SZ, &a))                                       \
            return X86_FAULT;                                                                 \
        uint64_t r = a & x86_get_reg(c, d, d->reg, SZ);                                       \
        x86_lf_set(c, X86_LF_LOGIC, 0, 0, r, SZ);                                             \
        return x86_next(c, d);                                                                \
    }                                                                                         \
    static int test_rm_i_##SZ(X86Cpu *restrict c, const X86Insn *restrict d)                  \
    {                                                                                         \
        uint64_t a;                                                                           \
        if (!x86_rm_read(c, d, SZ, &a))                                                       \
            return X86_FAULT;                                                                 \
        x86_lf_set(c, X86_LF_LOGIC, 0, 0, a & d->imm & x86_mask(SZ), SZ);                    \
        return x86_next(c, d);                                                                \
    }                                                                                         \
    static int test_ax_i_##SZ(X86Cpu *restrict c, const X86Insn *restrict d)                  \
    {                                                                                         \
        uint64_t r = x86_get_reg(c, d, X86_RAX, SZ) & d->imm & x86_mask(SZ);                  \
        x86_lf_set(c, X86_LF_LOGIC, 0, 0, r, SZ);                                             \
        return x86_next(c, d);                                                                \
    }
TEST_FAST(1) TEST_FAST(2) TEST_FAST(4) TEST_FAST(8)

/* INC, DEC (FE/FF /0 /1), NOT and NEG (F6/F7 /2 /3) of any size, register or memory, their
 * flags pending: INC/DEC keep CF (X86_LF_INC, X86_LF_DEC), NOT writes none, NEG those of 0 - x */
static int unary_lz(X86Cpu *restrict c, const X86Insn *restrict d)
{
    unsigned size = d->opsize, k = d->reg & 7;
    uint64_t cf = k < 2 && (c->lf_op ? x86_cond_lf(c, 2) : (c->rflags & X86_CF) != 0);  /* B */
    uint64_t a, r;
    uint8_t *h = NULL;
    if (d->mod == 3) {
        a = x86_get_reg(c, d, d->rm, size);
    } else {
        h = x86_rmw_fast(c, d, size);
        if (unlikely(h == NULL)) {
            x86_lf_flush(c);          /* the general path computes flags and may fault */
            return k < 2 ? x86_op_incdec(c, d) : x86_op_notneg(c, d);
        }
        a = x86_ram_load(h, size);
    }
    switch (k) {
    case 0: r = a + 1; break;
    case 1: r = a - 1; break;
    case 2: r = ~a; break;
    default: r = 0 - a; break;
    }
    r &= x86_mask(size);
    if (h)
        x86_ram_put(h, size, r);
    else
        x86_set_reg(c, d, d->rm, size, r);
    if (k == 3)
        x86_lf_set(c, X86_LF_SUB, 0, a, r, size);
    else if (k < 2)
        x86_lf_set(c, k ? X86_LF_DEC : X86_LF_INC, a, cf, r, size);
    return x86_next(c, d);
}

static unsigned size_index(unsigned size)
{
    return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
}

X86HandlerFn x86_fast_alu(X86Insn *d, bool *lazy)
{
    static const X86HandlerFn test_ev_gv[4][2] = {
        { test_ev_gv_1_r, test_ev_gv_1_m }, { test_ev_gv_2_r, test_ev_gv_2_m },
        { test_ev_gv_4_r, test_ev_gv_4_m }, { test_ev_gv_8_r, test_ev_gv_8_m },
    };
    static const X86HandlerFn test_rm_i[4] = { test_rm_i_1, test_rm_i_2, test_rm_i_4, test_rm_i_8 };
    static const X86HandlerFn test_ax_i[4] = { test_ax_i_1, test_ax_i_2, test_ax_i_4, test_ax_i_8 };
    unsigned k = size_index(d->opsize);
    if (d->fn == x86_op_incdec || d->fn == x86_op_notneg) {
        *lazy = true;
        return unary_lz;
    }
    if (d->fn == x86_op_test_imm) {
        *lazy = true;
        return test_rm_i[k];
    }
    if (d->fn == x86_op_test && d->opcode >= 0xa8) {
        *lazy = true;
        return test_ax_i[k];
    }
    if (d->fn == x86_op_test) {           /* 84, 85 */
        *lazy = true;
        return test_ev_gv[k][d->mod != 3];
    }
    if (d->map != 0)
        return NULL;
    unsigned mem = d->mod != 3, form = (d->opcode & 7) >> 1;
    *lazy = ALU_LAZY(d->fn == x86_op_grp1 ? d->reg & 7 : (d->opcode >> 3) & 7);
    /* 00-05 and the like: Eb,Gb / Ev,Gv, Gb,Eb / Gv,Ev, AL,Ib / rAX,Iz */
    if (d->fn == x86_op_alu && form == 0)
        return alu_fast[(d->opcode >> 3) & 7][k][mem];
    if (d->fn == x86_op_alu && form == 1)
        return alu_fast[(d->opcode >> 3) & 7][k][6 + mem];
    if (d->fn == x86_op_alu && form == 2)
        return alu_fast[(d->opcode >> 3) & 7][k][2];
    if (d->fn == x86_op_grp1 && d->opcode != 0x82)
        return alu_fast[d->reg & 7][k][4 + mem];
    return NULL;
}
