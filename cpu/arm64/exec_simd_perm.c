/* AdvSIMD data movement (Arm ARM C4.1, the AdvSIMD classes): copy (DUP, INS, SMOV, UMOV),
 * modified immediate (MOVI, MVNI, ORR/BIC (vector, immediate), FMOV (vector, immediate)),
 * permute (UZP, TRN, ZIP), EXT and table lookup (TBL, TBX).
 *
 * Slots: rd, rn, rm = V register numbers, except the general register of DUP (general) and
 * INS (general) in rn (ZR for 31) and of SMOV/UMOV in rd (the sink for 31); u8a = element
 * size log2; u8b = element (or byte) count of the result; u8c = operation variant; imm =
 * element index (or the expanded immediate); imm2 = second index. */
#include "cpu/arm64/cpu.h"
#include "cpu/arm64/simd_internal.h"
#include "a64_decode_gen.h"

/* ---- copy ------------------------------------------------------------------------------ */
/* imm5 encodes the element size (its lowest set bit) and the index above it; x0000 is
 * reserved. */
static bool imm5_size(unsigned imm5, unsigned *esz, unsigned *index)
{
    if (!(imm5 & 15))
        return false;
    *esz = (unsigned)__builtin_ctz(imm5);
    *index = imm5 >> (*esz + 1);
    return true;
}

/* DUP (element) vector and scalar (MOV Vd, Vn.T[i]): imm = index, u8b = count. */
A64_EXEC(exec_DUP_elem)
{
    A64_FP_CHECK(c, d);
    uint64_t e = vget(&c->v[d->rn], d->u8a, (unsigned)d->imm);
    A64Vreg r = { { 0, 0 } };
    for (unsigned i = 0; i < d->u8b; i++)
        vput(&r, d->u8a, i, e);
    c->v[d->rd] = r;
    return d + 1;
}

A64_EXEC(exec_DUP_gen)
{
    A64_FP_CHECK(c, d);
    uint64_t e = c->x[d->rn];
    A64Vreg r = { { 0, 0 } };
    for (unsigned i = 0; i < d->u8b; i++)
        vput(&r, d->u8a, i, e);
    c->v[d->rd] = r;
    return d + 1;
}

/* INS: the other elements keep their values. */
A64_EXEC(exec_INS_gen)
{
    A64_FP_CHECK(c, d);
    vput(&c->v[d->rd], d->u8a, (unsigned)d->imm, c->x[d->rn]);
    return d + 1;
}

A64_EXEC(exec_INS_elem)
{
    A64_FP_CHECK(c, d);
    vput(&c->v[d->rd], d->u8a, (unsigned)d->imm, vget(&c->v[d->rn], d->u8a, (unsigned)d->imm2));
    return d + 1;
}

/* UMOV / SMOV: sf = 64-bit destination, u8c = sign-extend. */
A64_EXEC(exec_MOV_to_gen)
{
    A64_FP_CHECK(c, d);
    uint64_t e = vget(&c->v[d->rn], d->u8a, (unsigned)d->imm);
    if (d->u8c)
        e = (uint64_t)sext(e, d->u8a);
    a64_set(c, d->rd, e, d->sf);
    return d + 1;
}

/* DUP (element), vector and scalar: the 64-bit element needs Q = 1 in the vector form. */
bool a64_prep_DUP_elem(A64Insn *d, const A64Args *a)
{
    unsigned esz, index;
    bool scalar = (d->raw >> 28) & 1, q = (d->raw >> 30) & 1;
    if (!imm5_size((unsigned)a->imm5, &esz, &index) || (!scalar && esz == 3 && !q))
        return false;
    d->rd = (uint8_t)a->rd;
    d->rn = (uint8_t)a->rn;
    d->u8a = (uint8_t)esz;
    d->u8b = scalar ? 1 : (uint8_t)((q ? 16 : 8) >> esz);
    d->imm = index;
    d->fn = exec_DUP_elem;
    return true;
}

bool a64_prep_DUP_gen(A64Insn *d, const A64Args *a)
{
    unsigned esz, index;
    if (!imm5_size((unsigned)a->imm5, &esz, &index) || (esz == 3 && !a->q))
        return false;
    d->rd = (uint8_t)a->rd;
    d->rn = a64_rreg((uint32_t)a->rn);
    d->u8a = (uint8_t)esz;
    d->u8b = (uint8_t)((a->q ? 16 : 8) >> esz);
    d->fn = exec_DUP_gen;
    return true;
}

bool a64_prep_INS_gen(A64Insn *d, const A64Args *a)
{
    unsigned esz, index;
    if (!imm5_size((unsigned)a->imm5, &esz, &index))
        return false;
    d->rd = (uint8_t)a->rd;
    d->rn = a64_rreg((uint32_t)a->rn);
    d->u8a = (uint8_t)esz;
    d->imm = index;
    d->fn = exec_INS_gen;
    return true;
}

bool a64_prep_INS_elem(A64Insn *d, const A64Args *a)
{
    unsigned esz, index;
    if (!imm5_size((unsigned)a->imm5, &esz, &index))
        return false;
    d->rd = (uint8_t)a->rd;
    d->rn = (uint8_t)a->rn;
    d->u8a = (uint8_t)esz;
    d->imm = index;
    d->imm2 = (unsigned)a->imm4 >> esz;
    d->fn = exec_INS_elem;
    return true;
}

/* SMOV: to W from B/H elements (Q = 0), to X from B/H/S (Q = 1). UMOV: to W from B/H/S
 * (Q = 0), to X from D (Q = 1) only (C7.2). */
static bool prep_mov_to_gen(A64Insn *d, const A64Args *a, bool is_signed)
{
    unsigned esz, index;
    if (!imm5_size((unsigned)a->imm5, &esz, &index))
        return false;
    if (is_signed ? (esz == 3 || (esz == 2 && !a->q)) : (a->q ? esz != 3 : esz == 3))
        return false;
    d->rd = a64_wreg((uint32_t)a->rd);
    d->rn = (uint8_t)a->rn;
    d->u8a = (uint8_t)esz;
    d->u8c = is_signed;
    d->sf = (uint8_t)a->q;
    d->imm = index;
    d->fn = exec_MOV_to_gen;
    return true;
}

bool a64_prep_SMOV(A64Insn *d, const A64Args *a) { return prep_mov_to_gen(d, a, true); }
bool a64_prep_UMOV(A64Insn *d, const A64Args *a) { return prep_mov_to_gen(d, a, false); }

/* ---- modified immediate ------------------------------------------------------------------ */
enum { MODIMM_MOV, MODIMM_ORR, MODIMM_BIC };

/* imm = the 64-bit pattern (replicated to both halves when Q = 1), u8b = Q. */
A64_EXEC(exec_MODIMM)
{
    A64_FP_CHECK(c, d);
    uint64_t imm = (uint64_t)d->imm;
    A64Vreg r = c->v[d->rd];
    switch (d->u8c) {
    case MODIMM_MOV: r.d[0] = r.d[1] = imm; break;
    case MODIMM_ORR: r.d[0] |= imm; r.d[1] |= imm; break;
    default: r.d[0] &= ~imm; r.d[1] &= ~imm; break;
    }
    if (!d->u8b)
        r.d[1] = 0;
    c->v[d->rd] = r;
    return d + 1;
}

static uint64_t rep32(uint64_t x) { return x | x << 32; }
static uint64_t rep16(uint64_t x) { return rep32(x | x << 16); }

/* AdvSIMDExpandImm (Arm ARM J1 shared/functions/vector/AdvSIMDExpandImm); false for the
 * unallocated FMOV (double) with Q = 0 (op = 1, cmode = 1111). */
static bool expand_imm(unsigned op, unsigned cmode, uint64_t imm8, bool q, uint64_t *out)
{
    switch (cmode >> 1) {
    case 0: *out = rep32(imm8); return true;
    case 1: *out = rep32(imm8 << 8); return true;
    case 2: *out = rep32(imm8 << 16); return true;
    case 3: *out = rep32(imm8 << 24); return true;
    case 4: *out = rep16(imm8); return true;
    case 5: *out = rep16(imm8 << 8); return true;
    case 6: *out = rep32(cmode & 1 ? imm8 << 16 | 0xffff : imm8 << 8 | 0xff); return true;
    default: break;
    }
    uint64_t b6 = (imm8 >> 6) & 1, b7 = imm8 >> 7;
    if (!(cmode & 1)) {
        if (!op) {
            *out = rep16(imm8 | imm8 << 8) ;
            return true;
        }
        uint64_t r = 0;                 /* MOVI (64-bit): each bit a byte of ones */
        for (unsigned i = 0; i < 8; i++)
            if ((imm8 >> i) & 1)
                r |= 0xffULL << (8 * i);
        *out = r;
        return true;
    }
    if (!op) {                          /* FMOV (single precision) */
        uint64_t f = b7 << 31 | (b6 ^ 1) << 30 | (b6 ? 0x1fULL : 0) << 25 | (imm8 & 0x3f) << 19;
        *out = rep32(f);
        return true;
    }
    if (!q)
        return false;
    *out = b7 << 63 | (b6 ^ 1) << 62 | (b6 ? 0xffULL : 0) << 54 | (imm8 & 0x3f) << 48;
    return true;
}

/* op:cmode select the operation (C4.1 "Advanced SIMD modified immediate"): cmode 0xx1
 * and 10x1 are ORR (op = 0) / BIC (op = 1), every other cmode sets the register (MVNI
 * inverts the pattern for cmode 0xx0, 10x0, 110x with op = 1). */
bool a64_prep_MODIMM(A64Insn *d, const A64Args *a)
{
    unsigned op = (unsigned)a->op, cmode = (unsigned)a->cmode;
    uint64_t imm8 = (uint64_t)a->abc << 5 | (uint64_t)a->defgh, imm;
    if (!expand_imm(op, cmode, imm8, a->q, &imm))
        return false;
    bool logic = (cmode & 1) && cmode < 12;
    d->rd = (uint8_t)a->rd;
    d->u8b = (uint8_t)a->q;
    if (logic) {
        d->u8c = op ? MODIMM_BIC : MODIMM_ORR;
    } else {
        d->u8c = MODIMM_MOV;
        if (op && cmode < 14)           /* MVNI */
            imm = ~imm;
    }
    d->imm = (int64_t)imm;
    d->fn = exec_MODIMM;
    return true;
}

/* ---- permute, extract, table lookup -------------------------------------------------------- */
enum { PERM_UZP1 = 1, PERM_TRN1, PERM_ZIP1, PERM_UZP2 = 5, PERM_TRN2, PERM_ZIP2 };

/* UZP/TRN/ZIP (C7.2 ...): u8c = opcode (part = bit 2), u8b = element count. */
A64_EXEC(exec_perm)
{
    A64_FP_CHECK(c, d);
    unsigned esz = d->u8a, n = d->u8b, part = d->u8c >> 2, half = n / 2;
    const A64Vreg *vn = &c->v[d->rn], *vm = &c->v[d->rm];
    A64Vreg r = { { 0, 0 } };
    for (unsigned i = 0; i < n; i++) {
        uint64_t e;
        switch (d->u8c & 3) {
        case 1: {                       /* UZP: even (odd) elements of Vm:Vn */
            unsigned k = 2 * i + part;
            e = k < n ? vget(vn, esz, k) : vget(vm, esz, k - n);
            break;
        }
        case 2:                         /* TRN: Vn's then Vm's element of each pair */
            e = vget(i & 1 ? vm : vn, esz, (i & ~1u) + part);
            break;
        default:                        /* ZIP: interleave the lower (upper) halves */
            e = vget(i & 1 ? vm : vn, esz, part * half + i / 2);
            break;
        }
        vput(&r, esz, i, e);
    }
    c->v[d->rd] = r;
    return d + 1;
}

bool a64_prep_perm(A64Insn *d, const A64Args *a)
{
    if (a->size == 3 && !a->q)
        return false;
    d->rd = (uint8_t)a->rd;
    d->rn = (uint8_t)a->rn;
    d->rm = (uint8_t)a->rm;
    d->u8a = (uint8_t)a->size;
    d->u8b = (uint8_t)((a->q ? 16 : 8) >> a->size);
    d->u8c = (uint8_t)((d->raw >> 12) & 7);
    d->fn = exec_perm;
    return true;
}

/* EXT: bytes imm.. of Vm:Vn (of 8 or 16 bytes each), as a shift of the concatenation. */
A64_EXEC(exec_EXT)
{
    A64_FP_CHECK(c, d);
    const A64Vreg *vn = &c->v[d->rn], *vm = &c->v[d->rm];
    unsigned sh = 8 * (unsigned)d->imm;
    A64Vreg r = { { 0, 0 } };
    if (d->u8b == 8) {
        a64_u128 cat = (a64_u128)vm->d[0] << 64 | vn->d[0];
        r.d[0] = (uint64_t)(cat >> sh);
    } else {
        a64_u128 lo = (a64_u128)vn->d[1] << 64 | vn->d[0], hi = (a64_u128)vm->d[1] << 64 | vm->d[0];
        a64_u128 v = sh ? lo >> sh | hi << (128 - sh) : lo;
        r.d[0] = (uint64_t)v;
        r.d[1] = (uint64_t)(v >> 64);
    }
    c->v[d->rd] = r;
    return d + 1;
}

/* imm4 >= 8 with Q = 0 is reserved. */
bool a64_prep_EXT(A64Insn *d, const A64Args *a)
{
    if (!a->q && a->imm4 >= 8)
        return false;
    d->rd = (uint8_t)a->rd;
    d->rn = (uint8_t)a->rn;
    d->rm = (uint8_t)a->rm;
    d->u8b = a->q ? 16 : 8;
    d->imm = a->imm4;
    d->fn = exec_EXT;
    return true;
}

/* TBL/TBX (C7.2): u8a = table registers (1-4, Vn, Vn+1, ... modulo 32), u8b = bytes,
 * u8c = TBX (an out-of-range index keeps Vd's byte; TBL writes 0). */
A64_EXEC(exec_tbl)
{
    A64_FP_CHECK(c, d);
    unsigned limit = 16u * d->u8a;
    const A64Vreg *vm = &c->v[d->rm];
    A64Vreg r = { { 0, 0 } };
    if (d->u8c)
        r = c->v[d->rd];
    for (unsigned i = 0; i < d->u8b; i++) {
        unsigned idx = vm->b[i];
        if (idx < limit)
            r.b[i] = c->v[(d->rn + (idx >> 4)) & 31].b[idx & 15];
    }
    if (d->u8b == 8)
        r.d[1] = 0;
    c->v[d->rd] = r;
    return d + 1;
}

bool a64_prep_tbl(A64Insn *d, const A64Args *a)
{
    d->rd = (uint8_t)a->rd;
    d->rn = (uint8_t)a->rn;
    d->rm = (uint8_t)a->rm;
    d->u8a = (uint8_t)(a->len + 1);
    d->u8b = a->q ? 16 : 8;
    d->u8c = (d->raw >> 12) & 1;
    d->fn = exec_tbl;
    return true;
}
