/* Data processing - immediate (Arm ARM C4.1.86): PC-relative addressing, add/subtract,
 * logical and move-wide immediates, bitfield moves and extract.
 *
 * Slots: rd = destination (SP or the sink for register 31, per instruction), rn/rm = sources,
 * ra = Rd as a source (MOVK, BFM), imm = precomputed immediate or mask, u8a/u8b/u8c = shift
 * amounts. Every prep picks an executor specialised for width and form. */
#include "cpu/arm64/cpu.h"
#include "cpu/arm64/alu.h"
#include "a64_decode_gen.h"

/* ---- PC-relative addressing ------------------------------------------------------------- */
A64_EXEC(exec_ADR)
{
    c->x[d->rd] = a64_pc(c, d) + (uint64_t)d->imm;
    return d + 1;
}

A64_EXEC(exec_ADRP)
{
    c->x[d->rd] = (a64_pc(c, d) & ~(uint64_t)0xfff) + (uint64_t)d->imm;
    return d + 1;
}

bool a64_prep_ADR(A64Insn *d, const A64Args *a)
{
    d->rd = a64_wreg((uint32_t)a->rd);
    d->imm = a->immhi * 4 + a->immlo;
    d->fn = exec_ADR;
    return true;
}

bool a64_prep_ADRP(A64Insn *d, const A64Args *a)
{
    d->rd = a64_wreg((uint32_t)a->rd);
    d->imm = (int64_t)((uint64_t)(a->immhi * 4 + a->immlo) << 12);
    d->fn = exec_ADRP;
    return true;
}

/* ---- add/subtract (immediate) --------------------------------------------------------------- */
A64_EXEC(exec_ADD_i64)
{
    c->x[d->rd] = c->x[d->rn] + (uint64_t)d->imm;
    return d + 1;
}
A64_EXEC(exec_ADD_i32)
{
    c->x[d->rd] = (uint32_t)(c->x[d->rn] + (uint64_t)d->imm);
    return d + 1;
}
A64_EXEC(exec_ADDS_i64)
{
    c->x[d->rd] = a64_adds64(c, c->x[d->rn], (uint64_t)d->imm);
    return d + 1;
}
A64_EXEC(exec_ADDS_i32)
{
    c->x[d->rd] = a64_adds32(c, (uint32_t)c->x[d->rn], (uint32_t)d->imm);
    return d + 1;
}
A64_EXEC(exec_SUBS_i64)
{
    c->x[d->rd] = a64_subs64(c, c->x[d->rn], (uint64_t)d->imm);
    return d + 1;
}
A64_EXEC(exec_SUBS_i32)
{
    c->x[d->rd] = a64_subs32(c, (uint32_t)c->x[d->rn], (uint32_t)d->imm);
    return d + 1;
}

static int64_t addsub_imm(const A64Args *a)
{
    return a->imm << (a->sh ? 12 : 0);
}

/* ADD/SUB: Rd and Rn may be SP; SUB is ADD of the negated immediate. */
bool a64_prep_ADD_i(A64Insn *d, const A64Args *a)
{
    d->rd = a64_wreg_sp((uint32_t)a->rd);
    d->rn = a64_rreg_sp((uint32_t)a->rn);
    d->sf = (uint8_t)a->sf;
    d->imm = addsub_imm(a);
    d->fn = a->sf ? exec_ADD_i64 : exec_ADD_i32;
    return true;
}

bool a64_prep_SUB_i(A64Insn *d, const A64Args *a)
{
    a64_prep_ADD_i(d, a);
    d->imm = -d->imm;
    return true;
}

/* ADDS/SUBS (CMN/CMP): Rn may be SP, Rd 31 is ZR. */
bool a64_prep_ADDS_i(A64Insn *d, const A64Args *a)
{
    d->rd = a64_wreg((uint32_t)a->rd);
    d->rn = a64_rreg_sp((uint32_t)a->rn);
    d->sf = (uint8_t)a->sf;
    d->imm = addsub_imm(a);
    d->fn = a->sf ? exec_ADDS_i64 : exec_ADDS_i32;
    return true;
}

bool a64_prep_SUBS_i(A64Insn *d, const A64Args *a)
{
    a64_prep_ADDS_i(d, a);
    d->fn = a->sf ? exec_SUBS_i64 : exec_SUBS_i32;
    return true;
}

/* ---- logical (immediate) -------------------------------------------------------------------- */
A64_EXEC(exec_MOVI)
{
    c->x[d->rd] = (uint64_t)d->imm;
    return d + 1;
}

#define LOGIC_I(NAME, EXPR)                                                                  \
    A64_EXEC(exec_##NAME##_i64)                                                              \
    {                                                                                         \
        uint64_t x = c->x[d->rn], m = (uint64_t)d->imm;                                       \
        c->x[d->rd] = (EXPR);                                                                 \
        return d + 1;                                                                         \
    }                                                                                         \
    A64_EXEC(exec_##NAME##_i32)                                                              \
    {                                                                                         \
        uint64_t x = c->x[d->rn], m = (uint64_t)d->imm;                                       \
        c->x[d->rd] = (uint32_t)(EXPR);                                                       \
        return d + 1;                                                                         \
    }
LOGIC_I(AND, x & m)
LOGIC_I(ORR, x | m)
LOGIC_I(EOR, x ^ m)
#undef LOGIC_I

A64_EXEC(exec_ANDS_i64)
{
    uint64_t r = c->x[d->rn] & (uint64_t)d->imm;
    a64_logic_flags64(c, r);
    c->x[d->rd] = r;
    return d + 1;
}
A64_EXEC(exec_ANDS_i32)
{
    uint32_t r = (uint32_t)c->x[d->rn] & (uint32_t)d->imm;
    a64_logic_flags32(c, r);
    c->x[d->rd] = r;
    return d + 1;
}

/* Common part: the bitmask immediate; sf=0 with N=1 and reserved masks are unallocated.
 * Rd is SP for AND/ORR/EOR and ZR for ANDS. */
static bool prep_logic_i(A64Insn *d, const A64Args *a, bool flags)
{
    uint64_t wmask, tmask;
    if (!a->sf && a->n)
        return false;
    if (!a64_decode_bit_masks((unsigned)a->n, (unsigned)a->imms, (unsigned)a->immr, true,
                              a->sf ? 64 : 32, &wmask, &tmask))
        return false;
    d->rd = flags ? a64_wreg((uint32_t)a->rd) : a64_wreg_sp((uint32_t)a->rd);
    d->rn = a64_rreg((uint32_t)a->rn);
    d->sf = (uint8_t)a->sf;
    d->imm = (int64_t)wmask;
    return true;
}

bool a64_prep_AND_i(A64Insn *d, const A64Args *a)
{
    if (!prep_logic_i(d, a, false))
        return false;
    d->fn = a->sf ? exec_AND_i64 : exec_AND_i32;
    return true;
}

bool a64_prep_ORR_i(A64Insn *d, const A64Args *a)
{
    if (!prep_logic_i(d, a, false))
        return false;
    d->fn = d->rn == A64_ZR ? exec_MOVI : a->sf ? exec_ORR_i64 : exec_ORR_i32;  /* MOV (bitmask) */
    return true;
}

bool a64_prep_EOR_i(A64Insn *d, const A64Args *a)
{
    if (!prep_logic_i(d, a, false))
        return false;
    d->fn = a->sf ? exec_EOR_i64 : exec_EOR_i32;
    return true;
}

bool a64_prep_ANDS_i(A64Insn *d, const A64Args *a)
{
    if (!prep_logic_i(d, a, true))
        return false;
    d->fn = a->sf ? exec_ANDS_i64 : exec_ANDS_i32;
    return true;
}

/* ---- move wide ------------------------------------------------------------------------------ */
A64_EXEC(exec_MOVK64)
{
    c->x[d->rd] = (c->x[d->ra] & ~(uint64_t)d->imm2) | (uint64_t)d->imm;
    return d + 1;
}
A64_EXEC(exec_MOVK32)
{
    c->x[d->rd] = (uint32_t)((c->x[d->ra] & ~(uint64_t)d->imm2) | (uint64_t)d->imm);
    return d + 1;
}

static bool prep_movw(A64Insn *d, const A64Args *a)
{
    if (!a->sf && a->hw >= 2)
        return false;
    d->rd = a64_wreg((uint32_t)a->rd);
    d->ra = a64_rreg((uint32_t)a->rd);
    d->sf = (uint8_t)a->sf;
    d->u8a = (uint8_t)(a->hw * 16);
    d->imm = (int64_t)((uint64_t)a->imm << d->u8a);
    d->imm2 = (int64_t)(0xffffULL << d->u8a);
    return true;
}

bool a64_prep_MOVZ(A64Insn *d, const A64Args *a)
{
    if (!prep_movw(d, a))
        return false;
    d->fn = exec_MOVI;
    return true;
}

bool a64_prep_MOVN(A64Insn *d, const A64Args *a)
{
    if (!prep_movw(d, a))
        return false;
    d->imm = a->sf ? ~d->imm : (int64_t)(uint32_t)~d->imm;
    d->fn = exec_MOVI;
    return true;
}

bool a64_prep_MOVK(A64Insn *d, const A64Args *a)
{
    if (!prep_movw(d, a))
        return false;
    d->fn = a->sf ? exec_MOVK64 : exec_MOVK32;
    return true;
}

/* ---- bitfield ------------------------------------------------------------------------------- */
/* UBFM: LSR/UBFX (imms >= immr): (x >> u8a) & imm; LSL/UBFIZ: (x & imm) << u8a. */
A64_EXEC(exec_LSR_i64)
{
    c->x[d->rd] = c->x[d->rn] >> d->u8a;
    return d + 1;
}
A64_EXEC(exec_LSR_i32)
{
    c->x[d->rd] = (uint32_t)c->x[d->rn] >> d->u8a;
    return d + 1;
}
A64_EXEC(exec_LSL_i64)
{
    c->x[d->rd] = c->x[d->rn] << d->u8a;
    return d + 1;
}
A64_EXEC(exec_LSL_i32)
{
    c->x[d->rd] = (uint32_t)(c->x[d->rn] << d->u8a);
    return d + 1;
}
A64_EXEC(exec_UBFX)
{
    c->x[d->rd] = (c->x[d->rn] >> d->u8a) & (uint64_t)d->imm;   /* mask fits the width */
    return d + 1;
}
A64_EXEC(exec_UBFIZ)
{
    c->x[d->rd] = (c->x[d->rn] & (uint64_t)d->imm) << d->u8a;  /* field ends below the width */
    return d + 1;
}
/* SBFM: ASR; otherwise ((int64)(x << u8a) >> u8b) << u8c covers SBFX, SXT* and SBFIZ. */
A64_EXEC(exec_ASR_i64)
{
    c->x[d->rd] = (uint64_t)((int64_t)c->x[d->rn] >> d->u8a);
    return d + 1;
}
A64_EXEC(exec_ASR_i32)
{
    c->x[d->rd] = (uint32_t)((int32_t)(uint32_t)c->x[d->rn] >> d->u8a);
    return d + 1;
}
A64_EXEC(exec_SBF64)
{
    c->x[d->rd] = (uint64_t)((int64_t)(c->x[d->rn] << d->u8a) >> d->u8b) << d->u8c;
    return d + 1;
}
A64_EXEC(exec_SBF32)
{
    c->x[d->rd] = (uint32_t)((uint64_t)((int64_t)(c->x[d->rn] << d->u8a) >> d->u8b) << d->u8c);
    return d + 1;
}
/* BFM: BFXIL ((x >> u8a) & imm into the low bits) and BFI ((x & imm) << u8a); imm2 = the
 * destination bits that change. */
A64_EXEC(exec_BFXIL)
{
    c->x[d->rd] = (c->x[d->ra] & ~(uint64_t)d->imm2) | ((c->x[d->rn] >> d->u8a) & (uint64_t)d->imm);
    return d + 1;
}
A64_EXEC(exec_BFI)
{
    c->x[d->rd] = (c->x[d->ra] & ~(uint64_t)d->imm2) | ((c->x[d->rn] & (uint64_t)d->imm) << d->u8a);
    return d + 1;
}
A64_EXEC(exec_BFXIL32)
{
    c->x[d->rd] = (uint32_t)((c->x[d->ra] & ~(uint64_t)d->imm2) | ((c->x[d->rn] >> d->u8a) & (uint64_t)d->imm));
    return d + 1;
}
A64_EXEC(exec_BFI32)
{
    c->x[d->rd] = (uint32_t)((c->x[d->ra] & ~(uint64_t)d->imm2) | ((c->x[d->rn] & (uint64_t)d->imm) << d->u8a));
    return d + 1;
}

static uint64_t ones(unsigned n)
{
    return n >= 64 ? ~0ULL : (1ULL << n) - 1;
}

/* sf must equal N; 32-bit forms need immr, imms < 32. */
static bool prep_bitfield(A64Insn *d, const A64Args *a, unsigned *width)
{
    if (a->sf != a->n)
        return false;
    if (!a->sf && (a->immr >= 32 || a->imms >= 32))
        return false;
    *width = a->sf ? 64 : 32;
    d->rd = a64_wreg((uint32_t)a->rd);
    d->rn = a64_rreg((uint32_t)a->rn);
    d->ra = a64_rreg((uint32_t)a->rd);
    d->sf = (uint8_t)a->sf;
    return true;
}

bool a64_prep_UBFM(A64Insn *d, const A64Args *a)
{
    unsigned w, r = (unsigned)a->immr, s = (unsigned)a->imms;
    if (!prep_bitfield(d, a, &w))
        return false;
    if (s == w - 1) {                       /* LSR #r */
        d->u8a = (uint8_t)r;
        d->fn = a->sf ? exec_LSR_i64 : exec_LSR_i32;
    } else if (s + 1 == r) {                /* LSL #(w - r) */
        d->u8a = (uint8_t)(w - r);
        d->fn = a->sf ? exec_LSL_i64 : exec_LSL_i32;
    } else if (s >= r) {                    /* UBFX, UXTB, UXTH */
        d->u8a = (uint8_t)r;
        d->imm = (int64_t)ones(s - r + 1);
        d->fn = exec_UBFX;
    } else {                                /* UBFIZ: bits s..0 to w - r */
        d->u8a = (uint8_t)(w - r);
        d->imm = (int64_t)ones(s + 1);
        d->fn = exec_UBFIZ;
    }
    return true;
}

bool a64_prep_SBFM(A64Insn *d, const A64Args *a)
{
    unsigned w, r = (unsigned)a->immr, s = (unsigned)a->imms;
    if (!prep_bitfield(d, a, &w))
        return false;
    if (s == w - 1) {                       /* ASR #r */
        d->u8a = (uint8_t)r;
        d->fn = a->sf ? exec_ASR_i64 : exec_ASR_i32;
        return true;
    }
    d->u8a = (uint8_t)(63 - s);             /* the field's top bit to bit 63 */
    if (s >= r) {                           /* SBFX, SXTB/H/W: bits s..r */
        d->u8b = (uint8_t)(63 - s + r);
        d->u8c = 0;
    } else {                                /* SBFIZ: bits s..0 to w - r */
        d->u8b = (uint8_t)(63 - s);
        d->u8c = (uint8_t)(w - r);
    }
    d->fn = a->sf ? exec_SBF64 : exec_SBF32;
    return true;
}

bool a64_prep_BFM(A64Insn *d, const A64Args *a)
{
    unsigned w, r = (unsigned)a->immr, s = (unsigned)a->imms;
    if (!prep_bitfield(d, a, &w))
        return false;
    if (s >= r) {                           /* BFXIL: bits s..r to the bottom */
        d->u8a = (uint8_t)r;
        d->imm = (int64_t)ones(s - r + 1);
        d->imm2 = d->imm;
        d->fn = a->sf ? exec_BFXIL : exec_BFXIL32;
    } else {                                /* BFI: bits s..0 to w - r */
        d->u8a = (uint8_t)(w - r);
        d->imm = (int64_t)ones(s + 1);
        d->imm2 = (int64_t)((uint64_t)d->imm << d->u8a);
        d->fn = a->sf ? exec_BFI : exec_BFI32;
    }
    return true;
}

/* ---- extract -------------------------------------------------------------------------------- */
A64_EXEC(exec_MOVR)
{
    c->x[d->rd] = c->x[d->rm];
    return d + 1;
}
A64_EXEC(exec_EXTR64)
{
    c->x[d->rd] = (c->x[d->rm] >> d->u8a) | (c->x[d->rn] << (64 - d->u8a));
    return d + 1;
}
A64_EXEC(exec_EXTR32)
{
    uint64_t cat = ((uint64_t)(uint32_t)c->x[d->rn] << 32) | (uint32_t)c->x[d->rm];
    c->x[d->rd] = (uint32_t)(cat >> d->u8a);
    return d + 1;
}

bool a64_prep_EXTR(A64Insn *d, const A64Args *a)
{
    if (a->sf != a->n || (!a->sf && a->imms >= 32))
        return false;
    d->rd = a64_wreg((uint32_t)a->rd);
    d->rn = a64_rreg((uint32_t)a->rn);
    d->rm = a64_rreg((uint32_t)a->rm);
    d->sf = (uint8_t)a->sf;
    d->u8a = (uint8_t)a->imms;
    if (a->sf)
        d->fn = a->imms ? exec_EXTR64 : exec_MOVR;
    else
        d->fn = exec_EXTR32;
    return true;
}
