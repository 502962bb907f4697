/* x86-64 x87 FPU (SDM vol. 1 ch. 8): the whole D8-DF map — loads and stores of single,
 * double, extended, integer and BCD values, the arithmetic (precision control, rounding,
 * the masked responses and stack faults), comparisons (FCOM/FUCOM/FCOMI families, FTST,
 * FXAM), constants, FCMOVcc, FXCH/FFREE/FINCSTP/FDECSTP, FRNDINT, FSCALE, FXTRACT,
 * FPREM/FPREM1, FSQRT, the transcendental functions, and the control instructions (FNINIT,
 * FNCLEX, FLDCW, FNSTCW, FNSTSW, FNSTENV/FLDENV, FNSAVE/FRSTOR, FWAIT).
 *
 * The arithmetic is fpx80.c's (64-bit significands in software). The transcendental
 * functions (F2XM1, FYL2X, FYL2XP1, FPTAN, FPATAN, FSIN, FCOS, FSINCOS) are computed in
 * double precision with the C library and widened: deterministic, but not to the last bits
 * of hardware's 64-bit results.
 *
 * The state lives in X86Cpu in FXSAVE's terms (ftw the abridged tag byte: bit i = physical
 * register i not empty); FNSTENV/FNSAVE expand it to the full tag word by classifying the
 * registers (SDM vol. 1 §8.1.7). The environment images are the protected-mode ones (SDM
 * vol. 1 Figures 8-9/8-10: 28 bytes with a 32-bit operand, 14 with a 16-bit one), also in
 * real mode, where hardware stores the instruction and data pointers as 20-bit linear
 * addresses instead. Any x87 instruction is #NM with CR0.EM or CR0.TS (FWAIT: with CR0.MP
 * and CR0.TS); a waiting one is #MF with an unmasked exception pending and CR0.NE (without
 * NE the pending exception waits). An unmasked exception sets FSW.ES and B: invalid,
 * denormal and divide-by-zero leave the destination, overflow and underflow store the
 * result with its exponent biased by 24576. */
#include <math.h>
#include <string.h>
#include "cpu/x86_64/exec.h"
#include "cpu/x86_64/fpx80.h"

#define FSW_ES 0x80u
#define FSW_B 0x8000u

static int x87_check(X86Cpu *c)
{
    if (c->cr0 & (X86_CR0_EM | X86_CR0_TS)) {
        x86_raise(c, X86_NM, false, 0);
        return X86_FAULT;
    }
    return X86_OK;
}
#define X87_CHECK(c) do { int r_ = x87_check(c); if (r_ != X86_OK) return r_; } while (0)

static void fninit(X86Cpu *c)
{
    c->fcw = 0x037f;
    c->fsw = 0;
    c->ftw = 0;                   /* all empty */
    c->fop = 0;
    c->fip = c->fdp = 0;
}

/* The full 2-bit tag of physical register i: 0 valid, 1 zero, 2 special, 3 empty. */
static unsigned full_tag(const X86Cpu *c, unsigned i)
{
    if (!(c->ftw & (1u << i)))
        return 3;
    uint64_t mant;
    uint16_t se;
    memcpy(&mant, c->st[i], 8);
    memcpy(&se, c->st[i] + 8, 2);
    unsigned exp = se & 0x7fff;
    if (exp == 0x7fff)
        return 2;
    if (exp == 0)
        return mant ? 2 : 1;
    return mant >> 63 ? 0 : 2;    /* an unnormal (J bit clear) is special */
}

static uint16_t full_tag_word(const X86Cpu *c)
{
    uint16_t t = 0;
    for (unsigned i = 0; i < 8; i++)
        t |= (uint16_t)(full_tag(c, i) << (2 * i));
    return t;
}

/* The environment image (14 or 28 bytes) into buf; returns its size. */
static unsigned env_image(const X86Cpu *c, const X86Insn *d, uint8_t *buf)
{
    uint16_t tw = full_tag_word(c);
    if (d->opsize == 2) {
        uint16_t f[7] = { c->fcw, c->fsw, tw, (uint16_t)c->fip, 0, (uint16_t)c->fdp, 0 };
        memcpy(buf, f, 14);
        return 14;
    }
    uint32_t f[7] = { c->fcw, c->fsw, tw, (uint32_t)c->fip, (uint32_t)(c->fop & 0x7ff) << 16,
                      (uint32_t)c->fdp, 0 };
    memcpy(buf, f, 28);
    return 28;
}

static void load_env(X86Cpu *c, const X86Insn *d, const uint8_t *buf)
{
    uint16_t tw;
    if (d->opsize == 2) {
        uint16_t f[7];
        memcpy(f, buf, 14);
        c->fcw = f[0];
        c->fsw = f[1];
        tw = f[2];
        c->fip = f[3];
        c->fdp = f[5];
    } else {
        uint32_t f[7];
        memcpy(f, buf, 28);
        c->fcw = (uint16_t)f[0];
        c->fsw = (uint16_t)f[1];
        tw = (uint16_t)f[2];
        c->fip = f[3];
        c->fop = (uint16_t)((f[4] >> 16) & 0x7ff);
        c->fdp = f[5];
    }
    c->ftw = 0;
    for (unsigned i = 0; i < 8; i++)
        if (((tw >> (2 * i)) & 3) != 3)
            c->ftw |= (uint16_t)(1u << i);
}

static bool store_bytes(X86Cpu *c, const X86Insn *d, const uint8_t *buf, unsigned n)
{
    uint64_t ea = x86_ea(c, d);
    /* probe the last byte first: a store that faults half-way writes nothing here */
    uint64_t v;
    if (!x86_read_rmw(c, d->seg, x86_trunc(ea + n - 1, d->addrsize), 1, &v))
        return false;
    for (unsigned i = 0; i < n; i++)
        if (!x86_write(c, d->seg, x86_trunc(ea + i, d->addrsize), 1, buf[i]))
            return false;
    return true;
}

static bool load_bytes(X86Cpu *c, const X86Insn *d, uint8_t *buf, unsigned n)
{
    uint64_t ea = x86_ea(c, d);
    for (unsigned i = 0; i < n; i++) {
        uint64_t v;
        if (!x86_read(c, d->seg, x86_trunc(ea + i, d->addrsize), 1, &v))
            return false;
        buf[i] = (uint8_t)v;
    }
    return true;
}

/* 9B: FWAIT */
int x86_op_fwait(X86Cpu *c, const X86Insn *d)
{
    if ((c->cr0 & (X86_CR0_MP | X86_CR0_TS)) == (X86_CR0_MP | X86_CR0_TS)) {
        x86_raise(c, X86_NM, false, 0);
        return X86_FAULT;
    }
    if ((c->fsw & FSW_ES) && (c->cr0 & X86_CR0_NE)) {
        x86_raise(c, X86_MF, false, 0);
        return X86_FAULT;
    }
    return x86_retire(c, d);
}

/* D9 /4 FLDENV, /5 FLDCW, /6 FNSTENV, /7 FNSTCW (memory forms) */
static int x87_d9_ctrl(X86Cpu *c, const X86Insn *d)
{
    uint8_t buf[28];
    uint64_t v;
    switch (d->reg & 7) {
    case 4:
        if (!load_bytes(c, d, buf, d->opsize == 2 ? 14 : 28))
            return X86_FAULT;
        load_env(c, d, buf);
        break;
    case 5:
        if (!x86_read(c, d->seg, x86_ea(c, d), 2, &v))
            return X86_FAULT;
        c->fcw = (uint16_t)v;
        break;
    case 6: {
        unsigned n = env_image(c, d, buf);
        if (!store_bytes(c, d, buf, n))
            return X86_FAULT;
        c->fcw |= 0x3f;           /* FNSTENV masks every exception afterwards */
        break;
    }
    default:
        if (!x86_write(c, d->seg, x86_ea(c, d), 2, c->fcw))
            return X86_FAULT;
        break;
    }
    return x86_retire(c, d);
}

/* DB E2 FNCLEX, DB E3 FNINIT (E0, E1, E4: no-ops) */
static int x87_db_ctrl(X86Cpu *c, const X86Insn *d)
{
    switch (d->rm & 7) {
    case 2:
        c->fsw &= (uint16_t)~(0xffu | FSW_B);
        break;
    case 3:
        fninit(c);
        break;
    case 0:
    case 1:
    case 4:
        break;                    /* FNENI, FNDISI, FNSETPM: 8087/287 only, no-ops since */
    default:
        return x86_ud(c);
    }
    return x86_retire(c, d);
}

/* DD /4 FRSTOR, /6 FNSAVE, /7 FNSTSW m16 (memory forms). The register image is ST(0)..ST(7)
 * in stack order, 10 bytes each. */
static int x87_dd_ctrl(X86Cpu *c, const X86Insn *d)
{
    uint8_t buf[28 + 80];
    unsigned top = (c->fsw >> 11) & 7;
    switch (d->reg & 7) {
    case 4: {
        unsigned n = d->opsize == 2 ? 14 : 28;
        if (!load_bytes(c, d, buf, n + 80))
            return X86_FAULT;
        load_env(c, d, buf);
        top = (c->fsw >> 11) & 7;
        for (unsigned i = 0; i < 8; i++) {
            memset(c->st[(top + i) & 7], 0, 16);
            memcpy(c->st[(top + i) & 7], buf + n + 10 * i, 10);
        }
        break;
    }
    case 6: {
        unsigned n = env_image(c, d, buf);
        for (unsigned i = 0; i < 8; i++)
            memcpy(buf + n + 10 * i, c->st[(top + i) & 7], 10);
        if (!store_bytes(c, d, buf, n + 80))
            return X86_FAULT;
        fninit(c);                /* FNSAVE leaves the FPU initialised */
        break;
    }
    case 7:
        if (!x86_write(c, d->seg, x86_ea(c, d), 2, c->fsw))
            return X86_FAULT;
        break;
    default:
        return x86_ud(c);
    }
    return x86_retire(c, d);
}

/* DF E0: FNSTSW AX */
static int x87_fnstsw_ax(X86Cpu *c, const X86Insn *d)
{
    x86_set_reg(c, d, X86_RAX, 2, c->fsw);
    return x86_retire(c, d);
}

/* ---- the register stack ---- */

#define FSW_C0 0x100u
#define FSW_C1 0x200u
#define FSW_C2 0x400u
#define FSW_C3 0x4000u
#define FSW_CC (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)

static unsigned top_of(const X86Cpu *c) { return (c->fsw >> 11) & 7; }
static void set_top(X86Cpu *c, unsigned t)
{
    c->fsw = (uint16_t)((c->fsw & ~(7u << 11)) | ((t & 7) << 11));
}
static unsigned phys(const X86Cpu *c, unsigned i) { return (top_of(c) + i) & 7; }
static bool is_empty(const X86Cpu *c, unsigned i) { return !(c->ftw & (1u << phys(c, i))); }

static F80 st_get(const X86Cpu *c, unsigned i)
{
    F80 r;
    memcpy(&r.m, c->st[phys(c, i)], 8);
    memcpy(&r.se, c->st[phys(c, i)] + 8, 2);
    return r;
}

static void st_set(X86Cpu *c, unsigned i, F80 v)
{
    unsigned p = phys(c, i);
    memset(c->st[p], 0, 16);
    memcpy(c->st[p], &v.m, 8);
    memcpy(c->st[p] + 8, &v.se, 2);
    c->ftw |= (uint16_t)(1u << p);
}

static void st_pop(X86Cpu *c)
{
    c->ftw &= (uint16_t)~(1u << phys(c, 0));
    set_top(c, top_of(c) + 1);
}

/* One instruction's exception bookkeeping. */
typedef struct X87 {
    FxEnv e;
    bool stack_fault;
} X87;

static void x87_begin(X86Cpu *c, X87 *x)
{
    x->e.fcw = c->fcw;
    x->e.flags = 0;
    x->stack_fault = false;
}

/* Folds the flags into FSW (C1 from the rounding unless a stack fault set it); an unmasked
 * exception sets ES and B. */
static void x87_end(X86Cpu *c, X87 *x)
{
    uint16_t f = x->e.flags;
    c->fsw |= f & 0x7f;
    if (!x->stack_fault)
        c->fsw = (uint16_t)((c->fsw & ~FSW_C1) | (f & FX_C1 ? FSW_C1 : 0));
    if (c->fsw & ~c->fcw & 0x3f)
        c->fsw |= 0x8080;
}

/* A stack fault: IE and SF, C1 = overflow. Returns whether the masked response applies. */
static bool stack_fault(X86Cpu *c, X87 *x, bool overflow)
{
    x->e.flags |= FX_IE | FX_SF;
    x->stack_fault = true;
    c->fsw = (uint16_t)((c->fsw & ~FSW_C1) | (overflow ? FSW_C1 : 0));
    return c->fcw & 1;
}

/* Reads ST(i); an empty register is a stack underflow (*ok false if unmasked; the masked
 * response reads the indefinite). */
static F80 st_read(X86Cpu *c, X87 *x, unsigned i, bool *ok)
{
    if (is_empty(c, i)) {
        *ok = stack_fault(c, x, false);
        return f80_indefinite();
    }
    return st_get(c, i);
}

/* Pushes v; a full register is a stack overflow (the indefinite when masked). */
static bool st_push(X86Cpu *c, X87 *x, F80 v)
{
    unsigned t = (top_of(c) - 1) & 7;
    if (c->ftw & (1u << t)) {
        if (!stack_fault(c, x, true))
            return false;
        v = f80_indefinite();
    }
    set_top(c, t);
    st_set(c, 0, v);
    return true;
}

static void set_cc(X86Cpu *c, unsigned c3, unsigned c2, unsigned c1, unsigned c0)
{
    c->fsw = (uint16_t)((c->fsw & ~FSW_CC) | (c3 ? FSW_C3 : 0) | (c2 ? FSW_C2 : 0) |
                        (c1 ? FSW_C1 : 0) | (c0 ? FSW_C0 : 0));
}

/* The result of a compare into C3 C2 C0 (C1 cleared). */
static void cc_compare(X86Cpu *c, int r)
{
    set_cc(c, r == 0 || r == 2, r == 2, 0, r == -1 || r == 2);
}

/* ... or into ZF PF CF (FCOMI family), OF SF AF cleared. */
static void flags_compare(X86Cpu *c, int r)
{
    uint32_t f = r == 2 ? X86_ZF | X86_PF | X86_CF : r == 0 ? X86_ZF : r < 0 ? X86_CF : 0;
    x86_set_flags(c, X86_FLAGS_ARITH, f);
}

/* ---- memory operands ---- */

static bool mem_read(X86Cpu *c, const X86Insn *d, unsigned n, uint64_t *v)
{
    return x86_read(c, d->seg, x86_ea(c, d), n, v);
}

static bool mem_read80(X86Cpu *c, const X86Insn *d, F80 *v)
{
    uint64_t lo, hi;
    uint64_t ea = x86_ea(c, d);
    if (!x86_read(c, d->seg, ea, 8, &lo) ||
        !x86_read(c, d->seg, x86_trunc(ea + 8, d->addrsize), 2, &hi))
        return false;
    v->m = lo;
    v->se = (uint16_t)hi;
    return true;
}

static bool mem_write80(X86Cpu *c, const X86Insn *d, uint64_t lo, uint16_t hi)
{
    uint8_t buf[10];
    memcpy(buf, &lo, 8);
    memcpy(buf + 8, &hi, 2);
    return store_bytes(c, d, buf, 10);
}

/* The value of a memory operand for an arithmetic form: m32/m64 real (D8/DC), m32/m16
 * integer (DA/DE). Conversion flags (SNaN, denormal) go to x. */
static bool arith_operand(X86Cpu *c, const X86Insn *d, X87 *x, F80 *v)
{
    uint64_t raw;
    switch (d->opcode) {
    case 0xd8:
        if (!mem_read(c, d, 4, &raw))
            return false;
        *v = f80_from_f32(&x->e, (uint32_t)raw);
        return true;
    case 0xdc:
        if (!mem_read(c, d, 8, &raw))
            return false;
        *v = f80_from_f64(&x->e, raw);
        return true;
    case 0xda:
        if (!mem_read(c, d, 4, &raw))
            return false;
        *v = f80_from_int((int32_t)raw);
        return true;
    default:
        if (!mem_read(c, d, 2, &raw))
            return false;
        *v = f80_from_int((int16_t)raw);
        return true;
    }
}

/* digit 0 add, 1 mul, 4 a - b, 5 b - a, 6 a / b, 7 b / a */
static F80 arith(FxEnv *e, unsigned digit, F80 a, F80 b, bool *ok)
{
    switch (digit) {
    case 0: return f80_add(e, a, b, ok);
    case 1: return f80_mul(e, a, b, ok);
    case 4: return f80_sub(e, a, b, ok);
    case 5: return f80_sub(e, b, a, ok);
    case 6: return f80_div(e, a, b, ok);
    default: return f80_div(e, b, a, ok);
    }
}

/* The instruction and data pointers and the opcode of the last non-control instruction
 * (FNSTENV, FXSAVE). */
static void note_insn(X86Cpu *c, const X86Insn *d)
{
    c->fip = c->rip;
    c->fop = (uint16_t)(((d->opcode & 7) << 8) | (d->mod << 6) | ((d->reg & 7) << 3) |
                        (d->rm & 7));
    if (d->mod != 3)
        c->fdp = x86_ea(c, d);
}

static int x87_arith_tail(X86Cpu *c, const X86Insn *d, X87 *x, unsigned digit, unsigned i,
                          F80 a, F80 b, bool pop);

/* D8, DC, DA, DE: arithmetic and compares, memory or register forms */
static int x87_arith(X86Cpu *c, const X86Insn *d, X87 *x)
{
    unsigned digit = d->reg & 7, i = d->rm & 7;
    bool ok = true, pop = false;
    F80 a, b;
    /* a single or double memory operand that was a denormal is #D, unless the operation is
     * invalid or divides by zero (those first, as the hardware reports it) */
    X87 conv;
    conv.e.fcw = x->e.fcw;
    conv.e.flags = 0;
    if (d->mod != 3) {
        if (!arith_operand(c, d, &conv, &b))
            return X86_FAULT;
        x->e.flags |= conv.e.flags & (uint16_t)~FX_DE;
        a = st_read(c, x, 0, &ok);
        i = 0;
    } else {
        if (d->opcode == 0xde && digit == 3 && i != 1)
            return -1;                        /* DE D8-DF but D9 (FCOMPP): reserved */
        a = st_read(c, x, 0, &ok);
        if (ok)
            b = st_read(c, x, i, &ok);
        else
            b = f80_indefinite();
        pop = d->opcode == 0xde;
    }
    if (!ok && !x->stack_fault)
        ok = true;
    int result = x87_arith_tail(c, d, x, digit, i, a, b, pop);
    if ((conv.e.flags & FX_DE) && !(x->e.flags & (FX_IE | FX_ZE)))
        x->e.flags |= FX_DE;
    return result;
}

static int x87_arith_tail(X86Cpu *c, const X86Insn *d, X87 *x, unsigned digit, unsigned i,
                          F80 a, F80 b, bool pop)
{
    bool ok = true;
    F80 r;
    if (digit == 2 || digit == 3) {
        /* FCOM, FCOMP; DC D0/D8 (FCOM2, FCOMP3) and DE D0 (FCOMP5) are undocumented
         * aliases; DE D9 is FCOMPP */
        int cr = x->stack_fault ? 2 : f80_compare(&x->e, a, b, true);
        cc_compare(c, cr);
        unsigned pops = digit == 3 ? 1 : 0;
        if (d->opcode == 0xde && d->mod == 3)
            pops = digit == 3 ? 2 : 1;
        while (pops--)
            st_pop(c);
        return X86_OK;
    }
    if (x->stack_fault && !(c->fcw & 1))
        return X86_OK;                        /* unmasked stack fault: nothing written */
    r = x->stack_fault ? f80_indefinite() : arith(&x->e, digit, a, b, &ok);
    unsigned dest = d->mod == 3 && d->opcode != 0xd8 ? i : 0;
    if (ok)
        st_set(c, dest, r);
    if (pop)
        st_pop(c);
    return X86_OK;
}

/* FCMOVcc (DA/DB C0-DF): DA = when, DB = unless; digit 0 B, 1 E, 2 BE, 3 U */
static void x87_fcmov(X86Cpu *c, const X86Insn *d, X87 *x)
{
    static const uint32_t conds[4] = { X86_CF, X86_ZF, X86_CF | X86_ZF, X86_PF };
    bool cond = (c->rflags & conds[d->reg & 3]) != 0;
    if (d->opcode == 0xdb)
        cond = !cond;
    bool ok = true;
    F80 v = st_read(c, x, d->rm & 7, &ok);
    if (is_empty(c, 0) && !x->stack_fault)
        stack_fault(c, x, false);
    if (cond && (ok || (c->fcw & 1)))
        st_set(c, 0, v);
}

/* The rounded constants (SDM: kept internally to 66 bits, rounded by FCW.RC): the value to
 * nearest, and the one below for RD/RZ (or above for RU) where they differ. */
static F80 constant(X86Cpu *c, unsigned which)
{
    static const struct { uint16_t se; uint64_t near, down, up; } k[5] = {
        { 0x4000, 0xd49a784bcd1b8afeull, 0xd49a784bcd1b8afeull, 0xd49a784bcd1b8affull },
        { 0x3fff, 0xb8aa3b295c17f0bcull, 0xb8aa3b295c17f0bbull, 0xb8aa3b295c17f0bcull },
        { 0x4000, 0xc90fdaa22168c235ull, 0xc90fdaa22168c234ull, 0xc90fdaa22168c235ull },
        { 0x3ffd, 0x9a209a84fbcff799ull, 0x9a209a84fbcff798ull, 0x9a209a84fbcff799ull },
        { 0x3ffe, 0xb17217f7d1cf79acull, 0xb17217f7d1cf79abull, 0xb17217f7d1cf79acull },
    };
    unsigned rc = (c->fcw >> 10) & 3;
    uint64_t m = rc == FX_RN ? k[which].near : rc == FX_RU ? k[which].up : k[which].down;
    return (F80){ m, k[which].se };
}

/* FXAM's class of ST0: C3 C2 C0 (C1 the sign) */
static void x87_fxam(X86Cpu *c)
{
    F80 v = st_get(c, 0);
    unsigned cls;                             /* C3 C2 C0 as bits 2 1 0 */
    if (is_empty(c, 0))
        cls = 5;
    else if (f80_is_unsupported(v))
        cls = 0;
    else if (f80_is_nan(v))
        cls = 1;
    else if (f80_is_inf(v))
        cls = 3;
    else if (f80_is_zero(v))
        cls = 4;
    else if (f80_is_denormal(v))
        cls = 6;
    else
        cls = 2;
    set_cc(c, cls & 4, cls & 2, f80_sign(v), cls & 1);
}

/* The transcendental functions, in double precision (see the file comment). */
static F80 widen(X87 *x, double r)
{
    F80 v = f80_from_double(&x->e, r);
    x->e.flags |= FX_PE;
    return v;
}

static bool finite_arg(F80 v, double *out)
{
    if (f80_is_nan(v) || f80_is_inf(v) || f80_is_unsupported(v))
        return false;
    *out = f80_to_double(v);
    return true;
}

/* D9 E0-FF */
static int x87_d9_reg(X86Cpu *c, const X86Insn *d, X87 *x)
{
    unsigned op = 0xc0 | ((d->reg & 7) << 3) | (d->rm & 7);
    bool ok = true;
    F80 a, b, r;
    unsigned q;
    bool partial;
    double da, db;
    switch (op) {
    case 0xe0: case 0xe1:                     /* FCHS, FABS */
        a = st_read(c, x, 0, &ok);
        if (ok) {
            a.se = op == 0xe0 ? a.se ^ 0x8000 : a.se & 0x7fff;
            st_set(c, 0, a);
            c->fsw &= (uint16_t)~FSW_C1;
        }
        return X86_OK;
    case 0xe4:                                /* FTST */
        a = st_read(c, x, 0, &ok);
        cc_compare(c, x->stack_fault ? 2 : f80_compare(&x->e, a, f80_zero(false), true));
        return X86_OK;
    case 0xe5:
        x87_fxam(c);
        return X86_OK;
    case 0xe8:
        st_push(c, x, f80_from_int(1));
        return X86_OK;
    case 0xe9: case 0xea: case 0xeb: case 0xec: case 0xed:
        st_push(c, x, constant(c, op - 0xe9));
        return X86_OK;
    case 0xee:
        st_push(c, x, f80_zero(false));
        return X86_OK;
    case 0xf6: case 0xf7:                     /* FDECSTP, FINCSTP */
        set_top(c, top_of(c) + (op == 0xf7 ? 1 : 7));
        c->fsw &= (uint16_t)~FSW_C1;
        return X86_OK;
    case 0xf4: {                              /* FXTRACT */
        a = st_read(c, x, 0, &ok);
        if (!ok)
            return X86_OK;
        F80 expo, sig = a;
        if (f80_is_nan(a) || f80_is_unsupported(a)) {
            if (f80_is_snan(a) || f80_is_unsupported(a))
                x->e.flags |= FX_IE;
            expo = sig = f80_is_unsupported(a) ? f80_indefinite() : (F80){ a.m | (1ull << 62), a.se };
        } else if (f80_is_zero(a)) {
            x->e.flags |= FX_ZE;
            if (!(c->fcw & FX_ZE))
                return X86_OK;
            expo = f80_inf(true);
        } else if (f80_is_inf(a)) {
            expo = f80_inf(false);
        } else {
            int32_t e = (int32_t)f80_exp(a) - 16383;
            uint64_t m = a.m;
            if (f80_is_denormal(a)) {
                x->e.flags |= FX_DE;
                int lz = __builtin_clzll(m);
                m <<= lz;
                e = 1 - 16383 - lz;
            }
            expo = f80_from_int(e);
            sig = (F80){ m, (uint16_t)((a.se & 0x8000) | 16383) };
        }
        st_set(c, 0, expo);
        st_push(c, x, sig);
        return X86_OK;
    }
    case 0xf5: case 0xf8:                     /* FPREM1, FPREM */
        a = st_read(c, x, 0, &ok);
        if (ok)
            b = st_read(c, x, 1, &ok);
        if (!ok)
            return X86_OK;
        {
            uint16_t before = x->e.flags;
            r = f80_rem(&x->e, a, b, op == 0xf5, &q, &partial, &ok);
            bool invalid = (x->e.flags & ~before) & FX_IE;
            if (!ok)
                return X86_OK;
            st_set(c, 0, r);
            /* complete: C0 C3 C1 the quotient's bits 2 1 0, C2 0; incomplete: C2 1, the
             * others as they were; invalid or a NaN: C2 0, the others as they were */
            if (partial)
                c->fsw |= FSW_C2;
            else if (invalid || f80_is_nan(a) || f80_is_nan(b))
                c->fsw &= (uint16_t)~FSW_C2;
            else
                set_cc(c, q & 2, 0, q & 1, q & 4);
            x->stack_fault = true;            /* C1 is not rounding's here */
            x->e.flags &= (uint16_t)~FX_SF;
        }
        return X86_OK;
    case 0xfa:                                /* FSQRT */
        a = st_read(c, x, 0, &ok);
        if (ok) {
            r = f80_sqrt(&x->e, a, &ok);
            if (ok)
                st_set(c, 0, r);
        }
        return X86_OK;
    case 0xfc:                                /* FRNDINT */
        a = st_read(c, x, 0, &ok);
        if (ok) {
            r = f80_round_int(&x->e, a, &ok);
            if (ok)
                st_set(c, 0, r);
        }
        return X86_OK;
    case 0xfd:                                /* FSCALE */
        a = st_read(c, x, 0, &ok);
        if (ok)
            b = st_read(c, x, 1, &ok);
        if (ok) {
            r = f80_scale(&x->e, a, b, &ok);
            if (ok)
                st_set(c, 0, r);
        }
        return X86_OK;
    case 0xf0: case 0xf2: case 0xfe: case 0xff: case 0xfb: {   /* F2XM1 FPTAN FSIN FCOS FSINCOS */
        a = st_read(c, x, 0, &ok);
        if (!ok)
            return X86_OK;
        if (!finite_arg(a, &da)) {
            if (f80_is_inf(a) || f80_is_unsupported(a) || f80_is_snan(a))
                x->e.flags |= FX_IE;
            r = f80_is_nan(a) ? (F80){ a.m | (1ull << 62), a.se } : f80_indefinite();
            if (c->fcw & 1 || f80_is_nan(a)) {
                st_set(c, 0, r);
                if (op == 0xf2 || op == 0xfb)
                    st_push(c, x, r);
            }
            return X86_OK;
        }
        if (op != 0xf0 && fabs(da) >= 9223372036854775808.0) {
            c->fsw |= FSW_C2;                 /* out of range: unchanged */
            return X86_OK;
        }
        c->fsw &= (uint16_t)~FSW_C2;
        if (op == 0xf0) {
            st_set(c, 0, widen(x, expm1(da * M_LN2)));
        } else if (op == 0xf2) {
            st_set(c, 0, widen(x, tan(da)));
            st_push(c, x, f80_from_int(1));
        } else if (op == 0xfe) {
            st_set(c, 0, widen(x, sin(da)));
        } else if (op == 0xff) {
            st_set(c, 0, widen(x, cos(da)));
        } else {
            st_set(c, 0, widen(x, sin(da)));
            st_push(c, x, widen(x, cos(da)));
        }
        return X86_OK;
    }
    case 0xf1: case 0xf3: case 0xf9: {        /* FYL2X, FPATAN, FYL2XP1: into ST1, pop */
        a = st_read(c, x, 0, &ok);
        if (ok)
            b = st_read(c, x, 1, &ok);
        if (!ok)
            return X86_OK;
        if (f80_is_nan(a) || f80_is_nan(b) || f80_is_unsupported(a) || f80_is_unsupported(b)) {
            if (f80_is_snan(a) || f80_is_snan(b) || f80_is_unsupported(a) ||
                f80_is_unsupported(b))
                x->e.flags |= FX_IE;
            F80 n = f80_is_nan(a) ? a : f80_is_nan(b) ? b : f80_indefinite();
            n.m |= 1ull << 62;
            st_set(c, 1, n);
            st_pop(c);
            return X86_OK;
        }
        da = f80_to_double(a);
        db = f80_to_double(b);
        double res;
        if (op == 0xf3) {
            res = atan2(db, da);
        } else {
            double arg = op == 0xf1 ? da : da + 1.0;
            if (arg < 0 || (op == 0xf1 && da == 0 && db == 0)) {
                x->e.flags |= FX_IE;
                if (!(c->fcw & 1))
                    return X86_OK;
                st_set(c, 1, f80_indefinite());
                st_pop(c);
                return X86_OK;
            }
            if (op == 0xf1 && da == 0) {
                x->e.flags |= FX_ZE;
                if (!(c->fcw & FX_ZE))
                    return X86_OK;
            }
            res = db * (op == 0xf1 ? log2(da) : log1p(da) / M_LN2);
        }
        st_set(c, 1, widen(x, res));
        st_pop(c);
        return X86_OK;
    }
    default:
        return -1;
    }
}

/* FXCH ST(i) */
static int x87_fxch(X86Cpu *c, X87 *x, unsigned i)
{
    bool ok = true;
    F80 s0 = st_read(c, x, 0, &ok), si = st_read(c, x, i, &ok);
    if (!ok)
        return X86_OK;
    st_set(c, 0, si);
    st_set(c, i, s0);
    if (!x->stack_fault)
        c->fsw &= (uint16_t)~FSW_C1;
    return X86_OK;
}

/* FST/FSTP ST(0) to a float of `bits` (32 or 64) in memory: a masked stack underflow stores
 * the indefinite; an unmasked exception of the conversion stores nothing and pops nothing. */
static int fst_float(X86Cpu *c, const X86Insn *d, X87 *x, unsigned bits, bool pop)
{
    bool ok = true;
    F80 a = st_read(c, x, 0, &ok);
    if (!ok)
        return X86_OK;
    uint64_t v = x->stack_fault ? (bits == 32 ? 0xffc00000u : 0xfff8000000000000ull)
                                : f80_to_float(&x->e, a, bits, &ok);
    if (ok && !x86_write(c, d->seg, x86_ea(c, d), bits / 8, v))
        return X86_FAULT;
    if (pop && ok)
        st_pop(c);
    return X86_OK;
}

/* The x87 map: D8-DF. Returns -1 for a reserved encoding (#UD). */
static int x87_dispatch(X86Cpu *c, const X86Insn *d, X87 *x)
{
    unsigned digit = d->reg & 7, i = d->rm & 7;
    bool ok = true;
    F80 a;
    uint64_t raw;
    switch (d->opcode) {
    case 0xd8: case 0xdc: case 0xda: case 0xde:
        if (d->mod == 3 && d->opcode == 0xda) {
            if (digit < 4) {
                x87_fcmov(c, d, x);
                return X86_OK;
            }
            if (digit == 5 && i == 1) {       /* FUCOMPP */
                F80 s0 = st_read(c, x, 0, &ok), s1 = st_read(c, x, 1, &ok);
                cc_compare(c, x->stack_fault ? 2 : f80_compare(&x->e, s0, s1, false));
                st_pop(c);
                st_pop(c);
                return X86_OK;
            }
            return -1;
        }
        return x87_arith(c, d, x);
    case 0xd9:
        if (d->mod == 3) {
            switch (digit) {
            case 0:                           /* FLD ST(i) */
                a = st_read(c, x, i, &ok);
                if (ok || (c->fcw & 1))
                    st_push(c, x, a);
                return X86_OK;
            case 1:                           /* FXCH */
                return x87_fxch(c, x, i);
            case 2:
                return i == 0 ? X86_OK : -1;  /* FNOP */
            case 3:                           /* FSTP1 (undocumented alias of FSTP ST(i)) */
                a = st_read(c, x, 0, &ok);
                if (ok || (c->fcw & 1)) {
                    st_set(c, i, a);
                    st_pop(c);
                }
                return X86_OK;
            default:
                return x87_d9_reg(c, d, x);
            }
        }
        switch (digit) {
        case 0:                               /* FLD m32 */
            if (!mem_read(c, d, 4, &raw))
                return X86_FAULT;
            a = f80_from_f32(&x->e, (uint32_t)raw);
            if ((x->e.flags & ~c->fcw & (FX_IE | FX_DE)))
                return X86_OK;
            st_push(c, x, a);
            return X86_OK;
        case 2: case 3:                       /* FST/FSTP m32 */
            return fst_float(c, d, x, 32, digit == 3);
        default:
            return -1;
        }
    case 0xdb:
        if (d->mod == 3) {
            if (digit < 4) {
                x87_fcmov(c, d, x);
                return X86_OK;
            }
            if (digit == 5 || digit == 6) {   /* FUCOMI, FCOMI */
                F80 s0 = st_read(c, x, 0, &ok), si = st_read(c, x, i, &ok);
                flags_compare(c, x->stack_fault ? 2 : f80_compare(&x->e, s0, si, digit == 6));
                return X86_OK;
            }
            return -1;
        }
        switch (digit) {
        case 0:                               /* FILD m32 */
            if (!mem_read(c, d, 4, &raw))
                return X86_FAULT;
            st_push(c, x, f80_from_int((int32_t)raw));
            return X86_OK;
        case 1: case 2: case 3: {             /* FISTTP, FIST, FISTP m32 */
            a = st_read(c, x, 0, &ok);
            int64_t v = x->stack_fault ? INT32_MIN : f80_to_int(&x->e, a, 4, digit == 1, &ok);
            if (!ok && !x->stack_fault)
                return X86_OK;
            if (!ok && !(c->fcw & 1))
                return X86_OK;
            if (!x86_write(c, d->seg, x86_ea(c, d), 4, (uint32_t)v))
                return X86_FAULT;
            if (digit != 2)
                st_pop(c);
            return X86_OK;
        }
        case 5:                               /* FLD m80 */
            if (!mem_read80(c, d, &a))
                return X86_FAULT;
            st_push(c, x, a);
            return X86_OK;
        case 7:                               /* FSTP m80 */
            a = st_read(c, x, 0, &ok);
            if (!ok && !(c->fcw & 1))
                return X86_OK;
            if (!mem_write80(c, d, a.m, a.se))
                return X86_FAULT;
            st_pop(c);
            return X86_OK;
        default:
            return -1;
        }
    case 0xdd:
        if (d->mod == 3) {
            switch (digit) {
            case 0:                           /* FFREE */
                c->ftw &= (uint16_t)~(1u << phys(c, i));
                return X86_OK;
            case 1:                           /* FXCH4 (undocumented alias) */
                return x87_fxch(c, x, i);
            case 2: case 3:                   /* FST, FSTP ST(i) */
                a = st_read(c, x, 0, &ok);
                if (ok || (c->fcw & 1)) {
                    st_set(c, i, a);
                    if (digit == 3)
                        st_pop(c);
                }
                return X86_OK;
            case 4: case 5: {                 /* FUCOM, FUCOMP */
                F80 s0 = st_read(c, x, 0, &ok), si = st_read(c, x, i, &ok);
                cc_compare(c, x->stack_fault ? 2 : f80_compare(&x->e, s0, si, false));
                if (digit == 5)
                    st_pop(c);
                return X86_OK;
            }
            default:
                return -1;
            }
        }
        switch (digit) {
        case 0:                               /* FLD m64 */
            if (!mem_read(c, d, 8, &raw))
                return X86_FAULT;
            a = f80_from_f64(&x->e, raw);
            if ((x->e.flags & ~c->fcw & (FX_IE | FX_DE)))
                return X86_OK;
            st_push(c, x, a);
            return X86_OK;
        case 1: {                             /* FISTTP m64 */
            a = st_read(c, x, 0, &ok);
            int64_t v = x->stack_fault ? INT64_MIN : f80_to_int(&x->e, a, 8, true, &ok);
            if (!ok && !(c->fcw & 1))
                return X86_OK;
            if (!x86_write(c, d->seg, x86_ea(c, d), 8, (uint64_t)v))
                return X86_FAULT;
            st_pop(c);
            return X86_OK;
        }
        case 2: case 3:                       /* FST/FSTP m64 */
            return fst_float(c, d, x, 64, digit == 3);
        default:
            return -1;
        }
    default:                                  /* DF */
        if (d->mod == 3) {
            switch (digit) {
            case 0:                           /* FFREEP (undocumented) */
                c->ftw &= (uint16_t)~(1u << phys(c, i));
                st_pop(c);
                return X86_OK;
            case 1:                           /* FXCH7 (undocumented alias) */
                return x87_fxch(c, x, i);
            case 2: case 3:                   /* FSTP8, FSTP9 (undocumented aliases) */
                a = st_read(c, x, 0, &ok);
                if (ok || (c->fcw & 1)) {
                    st_set(c, i, a);
                    st_pop(c);
                }
                return X86_OK;
            case 5: case 6: {                 /* FUCOMIP, FCOMIP */
                F80 s0 = st_read(c, x, 0, &ok), si = st_read(c, x, i, &ok);
                flags_compare(c, x->stack_fault ? 2 : f80_compare(&x->e, s0, si, digit == 6));
                st_pop(c);
                return X86_OK;
            }
            default:
                return -1;
            }
        }
        switch (digit) {
        case 0: case 5: {                     /* FILD m16, m64 */
            unsigned n = digit ? 8 : 2;
            if (!mem_read(c, d, n, &raw))
                return X86_FAULT;
            st_push(c, x, f80_from_int(n == 8 ? (int64_t)raw : (int16_t)raw));
            return X86_OK;
        }
        case 1: case 2: case 3: case 7: {     /* FISTTP, FIST, FISTP m16; FISTP m64 */
            unsigned n = digit == 7 ? 8 : 2;
            a = st_read(c, x, 0, &ok);
            int64_t v = x->stack_fault ? (n == 8 ? INT64_MIN : INT16_MIN)
                                       : f80_to_int(&x->e, a, n, digit == 1, &ok);
            if (!ok && !(c->fcw & 1))
                return X86_OK;
            if (!x86_write(c, d->seg, x86_ea(c, d), n, (uint64_t)v & (n == 8 ? ~0ull : 0xffff)))
                return X86_FAULT;
            if (digit != 2)
                st_pop(c);
            return X86_OK;
        }
        case 4: {                             /* FBLD */
            uint8_t buf[10];
            if (!load_bytes(c, d, buf, 10))
                return X86_FAULT;
            int64_t v = 0;
            for (int k = 8; k >= 0; k--)
                v = v * 100 + (buf[k] >> 4) * 10 + (buf[k] & 15);
            F80 r = f80_from_int(v);
            if (buf[9] & 0x80)
                r.se |= 0x8000;
            st_push(c, x, r);
            return X86_OK;
        }
        default: {                            /* FBSTP */
            a = st_read(c, x, 0, &ok);
            uint8_t buf[10] = { 0 };
            int64_t v = 0;
            bool bad = x->stack_fault;
            if (!bad) {
                v = f80_to_int(&x->e, a, 8, false, &ok);
                bad = !ok || (x->e.flags & FX_IE) || v >= 1000000000000000000ll ||
                      v <= -1000000000000000000ll;
                if (bad && !(x->e.flags & FX_IE)) {
                    x->e.flags |= FX_IE;
                    x->e.flags &= (uint16_t)~(FX_PE | FX_C1);
                }
            }
            if (bad) {
                if (!(c->fcw & 1))
                    return X86_OK;
                buf[7] = 0xc0;                /* the packed BCD indefinite */
                buf[8] = buf[9] = 0xff;
            } else {
                uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
                for (int k = 0; k < 9; k++) {
                    buf[k] = (uint8_t)((m % 10) | ((m / 10 % 10) << 4));
                    m /= 100;
                }
                buf[9] = f80_sign(a) ? 0x80 : 0;
            }
            if (!store_bytes(c, d, buf, 10))
                return X86_FAULT;
            st_pop(c);
            return X86_OK;
        }
        }
    }
}

/* D8-DF: every x87 instruction */
int x86_op_x87(X86Cpu *c, const X86Insn *d)
{
    X87_CHECK(c);
    unsigned digit = d->reg & 7;
    /* the control instructions (no wait, no pointers noted) */
    if (d->mod != 3 && ((d->opcode == 0xd9 && digit >= 4) ||
                        (d->opcode == 0xdd && (digit == 4 || digit == 6 || digit == 7)))) {
        int r = d->opcode == 0xd9 ? x87_d9_ctrl(c, d) : x87_dd_ctrl(c, d);
        return r;
    }
    if (d->mod == 3 && d->opcode == 0xdb && digit == 4)
        return x87_db_ctrl(c, d);
    if (d->mod == 3 && d->opcode == 0xdf && digit == 4)
        return (d->rm & 7) ? x86_ud(c) : x87_fnstsw_ax(c, d);
    /* a waiting instruction: an unmasked exception pending is #MF now */
    if ((c->fsw & FSW_ES) && (c->cr0 & X86_CR0_NE)) {
        x86_raise(c, X86_MF, false, 0);
        return X86_FAULT;
    }
    X87 x;
    x87_begin(c, &x);
    uint16_t fsw0 = c->fsw, ftw0 = c->ftw;
    uint8_t st0[8][16];
    memcpy(st0, c->st, sizeof st0);
    int r = x87_dispatch(c, d, &x);
    if (r < 0)
        return x86_ud(c);
    if (r == X86_FAULT) {                     /* a memory fault: nothing changed */
        c->fsw = fsw0;
        c->ftw = ftw0;
        memcpy(c->st, st0, sizeof st0);
        return X86_FAULT;
    }
    x87_end(c, &x);
    note_insn(c, d);
    return x86_retire(c, d);
}
