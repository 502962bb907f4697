/* x86-64 x87 control instructions: FNINIT, FNCLEX, FLDCW, FNSTCW, FNSTSW (AX and m16),
 * FNSTENV/FLDENV, FNSAVE/FRSTOR and FWAIT — what an operating system and a C runtime use to
 * set up and switch the FPU (Linux runs FNINIT on every core). x87 arithmetic and loads/
 * stores of values are not modelled: those opcodes stay #UD.
 *
 * The state lives in X86Cpu in FXSAVE's terms (ftw the abridged tag byte: bit i = physical
 * register i not empty); FNSTENV/FNSAVE expand it to the full tag word by classifying the
 * registers (SDM vol. 1 §8.1.7). The environment images are the protected-mode ones (SDM
 * vol. 1 Figures 8-9/8-10: 28 bytes with a 32-bit operand, 14 with a 16-bit one), also in
 * real mode, where hardware stores the instruction and data pointers as 20-bit linear
 * addresses instead. Any x87 instruction is #NM with CR0.EM or CR0.TS (FWAIT: with CR0.MP
 * and CR0.TS); FWAIT is #MF with an unmasked exception pending and CR0.NE. */
#include <string.h>
#include "cpu/x86_64/exec.h"

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
int x86_op_x87_d9(X86Cpu *c, const X86Insn *d)
{
    X87_CHECK(c);
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
int x86_op_x87_db(X86Cpu *c, const X86Insn *d)
{
    X87_CHECK(c);
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
int x86_op_x87_dd(X86Cpu *c, const X86Insn *d)
{
    X87_CHECK(c);
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
int x86_op_x87_fnstsw_ax(X86Cpu *c, const X86Insn *d)
{
    X87_CHECK(c);
    if (d->rm & 7)
        return x86_ud(c);         /* DF E1-E7: not here */
    x86_set_reg(c, d, X86_RAX, 2, c->fsw);
    return x86_retire(c, d);
}
