/* Loads and stores of SIMD&FP registers (Arm ARM C4.1.88, V=1 forms; C4.1.88.1-4 AdvSIMD
 * structures): LDR/STR B/H/S/D/Q in every addressing mode, LDR literal S/D/Q, LDP/STP/LDNP/
 * STNP S/D/Q, and LD1-LD4/ST1-ST4 (multiple structures, one lane, LDnR replicate).
 *
 * Decoded slots: rd = Rt (a V register number, 0-31), rm = Rt2 for pairs, rn = base
 * (a64_rreg_sp; also the writeback target), imm = byte offset (already scaled) or the
 * post-index immediate; for register offsets rm = the index register (a64_rreg) and
 * u8a = its shift. sf = log2 of the access (element) size in bytes.
 *
 * Precise faults: every load fetches all its bytes into a temporary before any register is
 * written, so a fault (a Q access or a structure crossing into an unmapped page) leaves the
 * registers and the base unchanged. A store that crosses a page boundary first translates
 * both pages (the lower page's fault first, as the access order would report it), so it
 * faults before writing anything rather than leaving half of the data in memory.
 * Accesses wider than 8 bytes are made as 8-byte accesses (the buses take at most 8), and
 * structure elements in memory order, so a device sees naturally aligned accesses whenever
 * the address is. Alignment faults are not modelled for these forms, as for the
 * general-register ones (exec_ldst.c; SCTLR_ELx.A is not implemented).
 *
 * Every executor starts with A64_FP_CHECK: the SIMD&FP access check comes before the
 * address is computed or memory touched (LDR (SIMD&FP) and friends call
 * CheckFPAdvSIMDEnabled64() first in their pseudocode). */
#include "cpu/arm64/cpu.h"
#include "cpu/arm64/ldst_modes.h"
#include "a64_decode_gen.h"

/* Translates both pages of [va, va+len) when the span crosses a page boundary (takes the
 * abort and returns false on a fault). */
static bool span_ok(Arm64Cpu *c, const A64Insn *d, uint64_t va, unsigned len, int acc)
{
    if (likely((va & (A64_PAGE_SIZE - 1)) + len <= A64_PAGE_SIZE))
        return true;
    uint64_t pa, next = (va | (A64_PAGE_SIZE - 1)) + 1;
    return a64_translate(c, d, va, acc, &pa, NULL) && a64_translate(c, d, next, acc, &pa, NULL);
}

/* Host address of [va, va+len) when the span lies in one page the soft TLB maps for this
 * kind of access (RAM; never while watchpoints are set, nor for pages holding decoded code
 * in the write TLB), else NULL: then the access goes piece by piece. */
static inline uint8_t *tlb_span(const SoftTlbEntry *tab, uint64_t va, unsigned len)
{
    if ((va & (A64_PAGE_SIZE - 1)) + len > A64_PAGE_SIZE)
        return NULL;
    const SoftTlbEntry *e = &tab[(va >> A64_PAGE_BITS) & (SOFTTLB_SIZE - 1)];
    if (e->tag != (va & ~(uint64_t)(A64_PAGE_SIZE - 1)))
        return NULL;
    return (uint8_t *)(e->addend + va);
}

/* Reads len bytes (1, 2, 4, 8 or a multiple of 8) at va into buf, in 8-byte pieces. */
static bool mem_read(Arm64Cpu *c, const A64Insn *d, uint64_t va, unsigned len, uint8_t *buf)
{
    const uint8_t *host = tlb_span(a64_tlb(c)->r, va, len);
    if (likely(host && !c->tm)) {
        memcpy(buf, host, len);
        return true;
    }
    for (unsigned off = 0; off < len; off += 8) {
        unsigned n = len - off < 8 ? len - off : 8;
        uint64_t v;
        if (unlikely(!a64_load(c, d, va + off, n, &v)))
            return false;
        memcpy(buf + off, &v, n);
    }
    return true;
}

static bool mem_write(Arm64Cpu *c, const A64Insn *d, uint64_t va, unsigned len, const uint8_t *buf)
{
    uint8_t *host = tlb_span(a64_tlb(c)->w, va, len);
    if (likely(host && !c->tm)) {
        memcpy(host, buf, len);
        return true;
    }
    if (unlikely(!span_ok(c, d, va, len, MMU_WRITE)))
        return false;
    for (unsigned off = 0; off < len; off += 8) {
        unsigned n = len - off < 8 ? len - off : 8;
        uint64_t v = 0;
        memcpy(&v, buf + off, n);
        if (unlikely(!a64_store(c, d, va + off, n, v)))
            return false;
    }
    return true;
}

/* A scalar write of the low `len` bytes zeroes the rest of the register (Arm ARM C1.2.5:
 * V[n] writes of less than 128 bits clear the upper bits). */
static inline void vset(Arm64Cpu *c, unsigned t, const uint8_t *buf, unsigned len)
{
    A64Vreg v = { .d = { 0, 0 } };
    memcpy(v.b, buf, len);
    c->v[t] = v;
}

/* ---- single registers: addressing modes from ldst_modes.h ---- */
#define DEF_VLD(SIZE, MODE)                                                     \
    A64_EXEC(exec_VLD##SIZE##_##MODE)                                            \
    {                                                                           \
        A64_FP_CHECK(c, d);                                                     \
        uint64_t addr = ADDR_##MODE;                                            \
        uint8_t buf[16];                                                        \
        if (unlikely(!mem_read(c, d, addr, SIZE, buf)))                        \
            return a64_fault(c, d);                                             \
        vset(c, d->rd, buf, SIZE);                                              \
        WB_##MODE;                                                              \
        return a64_next(c, d);                                                  \
    }
#define DEF_VST(SIZE, MODE)                                                     \
    A64_EXEC(exec_VST##SIZE##_##MODE)                                            \
    {                                                                           \
        A64_FP_CHECK(c, d);                                                     \
        uint64_t addr = ADDR_##MODE;                                            \
        if (unlikely(!mem_write(c, d, addr, SIZE, c->v[d->rd].b)))             \
            return a64_fault(c, d);                                             \
        WB_##MODE;                                                              \
        return a64_next(c, d);                                                  \
    }
#define DEF_V_MODES(SIZE)                                                       \
    DEF_VLD(SIZE, OFF) DEF_VLD(SIZE, PRE) DEF_VLD(SIZE, POST)                   \
    DEF_VLD(SIZE, RX) DEF_VLD(SIZE, RUW) DEF_VLD(SIZE, RSW)                     \
    DEF_VST(SIZE, OFF) DEF_VST(SIZE, PRE) DEF_VST(SIZE, POST)                   \
    DEF_VST(SIZE, RX) DEF_VST(SIZE, RUW) DEF_VST(SIZE, RSW)

DEF_V_MODES(1)
DEF_V_MODES(2)
DEF_V_MODES(4)
DEF_V_MODES(8)
DEF_V_MODES(16)
DEF_VLD(4, LIT)
DEF_VLD(8, LIT)
DEF_VLD(16, LIT)

#define VMODES(P, S) { P##S##_OFF, P##S##_PRE, P##S##_POST, P##S##_RX, P##S##_RUW, P##S##_RSW }

/* [log2 size 0..4][load][mode] */
static const A64ExecFn vldst_table[5][2][M_NUM] = {
    { VMODES(exec_VST, 1), VMODES(exec_VLD, 1) },
    { VMODES(exec_VST, 2), VMODES(exec_VLD, 2) },
    { VMODES(exec_VST, 4), VMODES(exec_VLD, 4) },
    { VMODES(exec_VST, 8), VMODES(exec_VLD, 8) },
    { VMODES(exec_VST, 16), VMODES(exec_VLD, 16) },
};

/* size:opc<1> gives the access size: opc<1> = 1 only with size = 00 (Q); returns log2 of
 * the size in bytes, or -1 for an unallocated combination. */
static int single_scale(const A64Args *a)
{
    if (a->opc & 2)
        return a->size == 0 ? 4 : -1;
    return (int)a->size;
}

static bool prep_single(A64Insn *d, const A64Args *a, int mode, bool scaled_imm)
{
    int scale = single_scale(a);
    if (scale < 0)
        return false;
    d->fn = vldst_table[scale][a->opc & 1][mode];
    d->sf = (uint8_t)scale;
    d->rd = (uint8_t)a->rt;
    d->rn = a64_rreg_sp((uint32_t)a->rn);
    d->imm = scaled_imm ? a->imm << scale : a->imm;
    return true;
}

bool a64_prep_LDSTV_uimm(A64Insn *d, const A64Args *a) { return prep_single(d, a, M_OFF, true); }
bool a64_prep_LDSTV_unscaled(A64Insn *d, const A64Args *a) { return prep_single(d, a, M_OFF, false); }
bool a64_prep_LDSTV_pre(A64Insn *d, const A64Args *a) { return prep_single(d, a, M_PRE, false); }
bool a64_prep_LDSTV_post(A64Insn *d, const A64Args *a) { return prep_single(d, a, M_POST, false); }

/* Register offset: option<1> = 0 is unallocated; S = 1 shifts by the access size (LSL #0
 * for the byte form, which the assembler spells as an explicit #0). */
bool a64_prep_LDSTV_reg(A64Insn *d, const A64Args *a)
{
    int mode = a64_ldst_reg_mode(a->option);
    if (mode < 0 || !prep_single(d, a, mode, false))
        return false;
    d->rm = a64_rreg((uint32_t)a->rm);
    d->u8a = (uint8_t)(a->s ? d->sf : 0);
    return true;
}

bool a64_prep_LDRV_lit(A64Insn *d, const A64Args *a)
{
    static const A64ExecFn fns[3] = { exec_VLD4_LIT, exec_VLD8_LIT, exec_VLD16_LIT };
    if (a->opc == 3)
        return false;
    d->fn = fns[a->opc];
    d->rd = (uint8_t)a->rt;
    d->imm = a->imm * 4;
    return true;
}

/* ---- pairs: rd = Rt, rm = Rt2. LDP with Rt == Rt2 is CONSTRAINED UNPREDICTABLE (Arm ARM
 * K1.2.5); like QEMU, Rt2's value is the one that stays (checked with qemu-aarch64). ---- */
#define DEF_VLDP(SIZE, MODE)                                                    \
    A64_EXEC(exec_VLDP##SIZE##_##MODE)                                            \
    {                                                                           \
        A64_FP_CHECK(c, d);                                                     \
        uint64_t addr = ADDR_##MODE;                                            \
        uint8_t buf[2 * SIZE];                                                  \
        if (unlikely(!mem_read(c, d, addr, 2 * SIZE, buf)))                    \
            return a64_fault(c, d);                                             \
        vset(c, d->rd, buf, SIZE);                                              \
        vset(c, d->rm, buf + SIZE, SIZE);                                       \
        WB_##MODE;                                                              \
        return a64_next(c, d);                                                  \
    }
#define DEF_VSTP(SIZE, MODE)                                                    \
    A64_EXEC(exec_VSTP##SIZE##_##MODE)                                            \
    {                                                                           \
        A64_FP_CHECK(c, d);                                                     \
        uint64_t addr = ADDR_##MODE;                                            \
        uint8_t buf[2 * SIZE];                                                  \
        memcpy(buf, c->v[d->rd].b, SIZE);                                       \
        memcpy(buf + SIZE, c->v[d->rm].b, SIZE);                                \
        if (unlikely(!mem_write(c, d, addr, 2 * SIZE, buf)))                   \
            return a64_fault(c, d);                                             \
        WB_##MODE;                                                              \
        return a64_next(c, d);                                                  \
    }
#define DEF_VPAIR(SIZE)                                                         \
    DEF_VLDP(SIZE, OFF) DEF_VLDP(SIZE, PRE) DEF_VLDP(SIZE, POST)                \
    DEF_VSTP(SIZE, OFF) DEF_VSTP(SIZE, PRE) DEF_VSTP(SIZE, POST)

DEF_VPAIR(4)
DEF_VPAIR(8)
DEF_VPAIR(16)

#define PMODES(P, S) { P##S##_OFF, P##S##_PRE, P##S##_POST }
/* [opc: S, D, Q][L][mode OFF/PRE/POST] */
static const A64ExecFn vpair_table[3][2][3] = {
    { PMODES(exec_VSTP, 4), PMODES(exec_VLDP, 4) },
    { PMODES(exec_VSTP, 8), PMODES(exec_VLDP, 8) },
    { PMODES(exec_VSTP, 16), PMODES(exec_VLDP, 16) },
};

static bool prep_pair(A64Insn *d, const A64Args *a, int mode)
{
    if (a->opc == 3)
        return false;
    unsigned scale = 2 + (unsigned)a->opc;
    d->fn = vpair_table[a->opc][a->l][mode];
    d->sf = (uint8_t)scale;
    d->rd = (uint8_t)a->rt;
    d->rm = (uint8_t)a->rt2;
    d->rn = a64_rreg_sp((uint32_t)a->rn);
    d->imm = a->imm * (1 << scale);
    return true;
}

bool a64_prep_LDSTV_pair_off(A64Insn *d, const A64Args *a) { return prep_pair(d, a, M_OFF); }
bool a64_prep_LDSTV_pair_pre(A64Insn *d, const A64Args *a) { return prep_pair(d, a, M_PRE); }
bool a64_prep_LDSTV_pair_post(A64Insn *d, const A64Args *a) { return prep_pair(d, a, M_POST); }
/* LDNP/STNP: the non-temporal hint changes nothing here. */
bool a64_prep_LDSTV_pair_nt(A64Insn *d, const A64Args *a) { return prep_pair(d, a, M_OFF); }

/* ---- AdvSIMD structures (Arm ARM C7.2 LD1-LD4, LD1R-LD4R, ST1-ST4) ----
 * rd = Rt, rn = base, rm = post-index register (when ST_POST_REG), sf = log2 element size,
 * u8a = selem (structure elements), u8b = rpt (registers per element for LD1/ST1 x2-x4) or
 * the lane index, u8c = ST_* flags, imm = the post-index immediate (bytes transferred).
 * Registers wrap modulo 32 (V31 is followed by V0). */
enum { ST_LOAD = 1, ST_Q = 2, ST_POST_IMM = 4, ST_POST_REG = 8 };

static inline void structure_writeback(Arm64Cpu *c, const A64Insn *d, uint64_t addr)
{
    if (d->u8c & ST_POST_REG)
        c->x[d->rn] = addr + c->x[d->rm];
    else if (d->u8c & ST_POST_IMM)
        c->x[d->rn] = addr + (uint64_t)d->imm;
}

/* LD2-LD4 / ST2-ST4 (de)interleaving of `elements` structures of selem elements of E bytes
 * between memory order (buf) and registers regs[0..selem), one loop per element size so each
 * copy is a fixed-size move. */
#define INTERLEAVE_LOOPS(E, LOAD)                                               \
    for (unsigned e = 0; e < elements; e++)                                     \
        for (unsigned s = 0; s < selem; s++, p += E) {                          \
            if (LOAD)                                                           \
                memcpy(&regs[s]->b[e * E], p, E);                               \
            else                                                                \
                memcpy(p, &regs[s]->b[e * E], E);                               \
        }
static inline void interleave(A64Vreg *const *regs, uint8_t *p, unsigned selem, unsigned esize,
                              unsigned elements, bool load)
{
    switch (esize) {
    case 1: INTERLEAVE_LOOPS(1, load) break;
    case 2: INTERLEAVE_LOOPS(2, load) break;
    case 4: INTERLEAVE_LOOPS(4, load) break;
    default: INTERLEAVE_LOOPS(8, load) break;
    }
}
#undef INTERLEAVE_LOOPS

/* Multiple structures: element e of structure member s of repetition r lies at byte
 * ((r * elements + e) * selem + s) << size; it is element e of register t + r + s. For
 * LD1/ST1 (selem = 1) that is each register's bytes in order, copied whole. */
A64_EXEC(exec_VSTRUCT_multi)
{
    A64_FP_CHECK(c, d);
    uint64_t addr = c->x[d->rn];
    unsigned esize = 1u << d->sf, regbytes = (d->u8c & ST_Q) ? 16 : 8;
    unsigned selem = d->u8a, rpt = d->u8b, elements = regbytes / esize;
    unsigned len = regbytes * selem * rpt;
    uint8_t buf[64];
    if (d->u8c & ST_LOAD) {
        A64Vreg regs[4];
        if (unlikely(!mem_read(c, d, addr, len, buf)))
            return a64_fault(c, d);
        memset(regs, 0, sizeof regs);     /* Q = 0 clears the upper halves */
        if (selem == 1) {
            for (unsigned r = 0; r < rpt; r++)
                memcpy(regs[r].b, buf + r * regbytes, regbytes);
        } else {
            A64Vreg *const to[4] = { &regs[0], &regs[1], &regs[2], &regs[3] };
            interleave(to, buf, selem, esize, elements, true);
        }
        for (unsigned i = 0; i < rpt * selem; i++)
            c->v[(d->rd + i) & 31] = regs[i];
    } else {
        if (selem == 1) {
            for (unsigned r = 0; r < rpt; r++)
                memcpy(buf + r * regbytes, c->v[(d->rd + r) & 31].b, regbytes);
        } else {
            A64Vreg *const from[4] = { &c->v[d->rd], &c->v[(d->rd + 1) & 31],
                                       &c->v[(d->rd + 2) & 31], &c->v[(d->rd + 3) & 31] };
            interleave(from, buf, selem, esize, elements, false);
        }
        if (unlikely(!mem_write(c, d, addr, len, buf)))
            return a64_fault(c, d);
    }
    structure_writeback(c, d, addr);
    return a64_next(c, d);
}

/* Single structure to/from one lane (u8b = index): the other lanes keep their values. */
A64_EXEC(exec_VSTRUCT_lane)
{
    A64_FP_CHECK(c, d);
    uint64_t addr = c->x[d->rn];
    unsigned esize = 1u << d->sf, selem = d->u8a, off = d->u8b * esize;
    uint8_t buf[32];
    if (d->u8c & ST_LOAD) {
        for (unsigned s = 0; s < selem; s++)
            if (unlikely(!mem_read(c, d, addr + s * esize, esize, buf + s * esize)))
                return a64_fault(c, d);
        for (unsigned s = 0; s < selem; s++)
            memcpy(&c->v[(d->rd + s) & 31].b[off], buf + s * esize, esize);
    } else {
        for (unsigned s = 0; s < selem; s++)
            memcpy(buf + s * esize, &c->v[(d->rd + s) & 31].b[off], esize);
        if (unlikely(!span_ok(c, d, addr, selem * esize, MMU_WRITE)))
            return a64_fault(c, d);     /* the structure may cross a page between elements */
        for (unsigned s = 0; s < selem; s++)
            if (unlikely(!mem_write(c, d, addr + s * esize, esize, buf + s * esize)))
                return a64_fault(c, d);
    }
    structure_writeback(c, d, addr);
    return a64_next(c, d);
}

/* LD1R-LD4R: each element replicated to every lane of its register (Q = 0: the lower 64
 * bits, the upper cleared). */
A64_EXEC(exec_VSTRUCT_rep)
{
    A64_FP_CHECK(c, d);
    uint64_t addr = c->x[d->rn];
    unsigned esize = 1u << d->sf, selem = d->u8a, regbytes = (d->u8c & ST_Q) ? 16 : 8;
    uint8_t buf[32];
    for (unsigned s = 0; s < selem; s++)
        if (unlikely(!mem_read(c, d, addr + s * esize, esize, buf + s * esize)))
            return a64_fault(c, d);
    for (unsigned s = 0; s < selem; s++) {
        A64Vreg v = { .d = { 0, 0 } };
        for (unsigned o = 0; o < regbytes; o += esize)
            memcpy(&v.b[o], buf + s * esize, esize);
        c->v[(d->rd + s) & 31] = v;
    }
    structure_writeback(c, d, addr);
    return a64_next(c, d);
}

/* Post-index: Rm = 31 is the immediate form (the bytes transferred), else Rm is added. */
static void prep_post(A64Insn *d, const A64Args *a, bool post, unsigned bytes)
{
    d->rn = a64_rreg_sp((uint32_t)a->rn);
    d->imm = bytes;
    if (!post)
        return;
    if (a->rm == 31) {
        d->u8c |= ST_POST_IMM;
    } else {
        d->u8c |= ST_POST_REG;
        d->rm = a64_rreg((uint32_t)a->rm);
    }
}

static bool prep_multi(A64Insn *d, const A64Args *a, bool post)
{
    /* opcode -> registers per element (rpt) and structure elements (selem); 0 = unallocated */
    static const uint8_t rpt_of[16] = { 1, 0, 4, 0, 1, 0, 3, 1, 1, 0, 2, 0, 0, 0, 0, 0 };
    static const uint8_t selem_of[16] = { 4, 0, 1, 0, 3, 0, 1, 1, 2, 0, 1, 0, 0, 0, 0, 0 };
    unsigned rpt = rpt_of[a->opcode], selem = selem_of[a->opcode];
    if (!rpt || (a->size == 3 && !a->q && selem > 1))
        return false;     /* no 1D arrangement for LD2-LD4/ST2-ST4 */
    d->fn = exec_VSTRUCT_multi;
    d->rd = (uint8_t)a->rt;
    d->sf = (uint8_t)a->size;
    d->u8a = (uint8_t)selem;
    d->u8b = (uint8_t)rpt;
    d->u8c = (uint8_t)((a->l ? ST_LOAD : 0) | (a->q ? ST_Q : 0));
    prep_post(d, a, post, (a->q ? 16u : 8u) * selem * rpt);
    return true;
}

/* Arm ARM C4.1.88.4 (single structure): opcode<2:1> is the element size, 11 = replicate. */
static bool prep_single_structure(A64Insn *d, const A64Args *a, bool post)
{
    unsigned scale = (unsigned)a->opcode >> 1, selem = ((((unsigned)a->opcode & 1) << 1) | (unsigned)a->r) + 1;
    unsigned q = (unsigned)a->q, s = (unsigned)a->s, size = (unsigned)a->size, index = 0;
    d->fn = exec_VSTRUCT_lane;
    d->u8c = (uint8_t)((a->l ? ST_LOAD : 0) | (q ? ST_Q : 0));
    switch (scale) {
    case 3:                                 /* LD1R-LD4R: loads only, S = 0 */
        if (!a->l || s)
            return false;
        scale = size;
        d->fn = exec_VSTRUCT_rep;
        break;
    case 0:
        index = q << 3 | s << 2 | size;
        break;
    case 1:
        if (size & 1)
            return false;
        index = q << 2 | s << 1 | size >> 1;
        break;
    default:
        if (size & 2)
            return false;
        if (size & 1) {                     /* 64-bit lanes: S must be 0 */
            if (s)
                return false;
            index = q;
            scale = 3;
        } else {
            index = q << 1 | s;
        }
        break;
    }
    d->rd = (uint8_t)a->rt;
    d->sf = (uint8_t)scale;
    d->u8a = (uint8_t)selem;
    d->u8b = (uint8_t)index;
    prep_post(d, a, post, selem << scale);
    return true;
}

bool a64_prep_LDSTV_multi(A64Insn *d, const A64Args *a) { return prep_multi(d, a, false); }
bool a64_prep_LDSTV_multi_post(A64Insn *d, const A64Args *a) { return prep_multi(d, a, true); }
bool a64_prep_LDSTV_single(A64Insn *d, const A64Args *a) { return prep_single_structure(d, a, false); }
bool a64_prep_LDSTV_single_post(A64Insn *d, const A64Args *a) { return prep_single_structure(d, a, true); }
