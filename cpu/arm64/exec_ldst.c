/* Loads and stores of general-purpose registers (Arm ARM C4.1.88): single registers in every
 * addressing mode, literal loads, pairs, prefetches, and the RCpc unscaled forms.
 *
 * Decoded slots: rd = Rt (a64_wreg for loads: XZR -> sink; a64_rreg for stores: XZR reads
 * zero), rn = base (a64_rreg_sp; the same index is the writeback target), rm = index register
 * or, for pairs, Rt2; imm = byte offset (already scaled); u8a = register-offset shift amount.
 * Executors are specialised per access kind (size, sign/zero extension, store) and per
 * addressing mode, so the hot path is one address computation and one inline TLB lookup.
 *
 * Writeback with Rn == Rt (or Rt2) is CONSTRAINED UNPREDICTABLE (Arm ARM K1.2.3): like QEMU we
 * perform the access with the original base, then write the loaded value, then the written
 * back address (checked with qemu-aarch64), so for loads the base register ends up holding
 * the new address; stores store the register's value from before the writeback.
 *
 * Unprivileged LDTR/STTR check EL0's permissions at EL1 (and EL2 with E2H+TGE), see
 * a64_access_unpriv in mem.c. */
#include "cpu/arm64/cpu.h"
#include "cpu/arm64/ldst_modes.h"
#include "a64_decode_gen.h"

/* ---- access kinds: size in bytes and the extension of the loaded value ---- */
#define EXT_B(v) ((uint64_t)(uint8_t)(v))
#define EXT_H(v) ((uint64_t)(uint16_t)(v))
#define EXT_W(v) ((uint64_t)(uint32_t)(v))
#define EXT_X(v) ((uint64_t)(v))
#define EXT_SBX(v) ((uint64_t)(int64_t)(int8_t)(v))
#define EXT_SBW(v) ((uint64_t)(uint32_t)(int32_t)(int8_t)(v))
#define EXT_SHX(v) ((uint64_t)(int64_t)(int16_t)(v))
#define EXT_SHW(v) ((uint64_t)(uint32_t)(int32_t)(int16_t)(v))
#define EXT_SWX(v) ((uint64_t)(int64_t)(int32_t)(v))

/* Stored values are truncated to the access size here, so devices behind the slow path
 * never see the register's upper bits. */

/* ---- addressing modes: ADDR_/WB_ from ldst_modes.h ----
 * Each executor is a fast path (the soft TLB hits: no exit check, since RAM raises no exit
 * request) that chains on, and a cold slow path (devices, faults, watchpoints, unaligned)
 * that it jumps to and that chains on itself, so neither needs a stack frame. */
#define DEF_LD(K, SIZE, MODE)                                                   \
    static __attribute__((noinline, cold)) const A64Insn *                      \
    slow_LD_##K##_##MODE(Arm64Cpu *c, const A64Insn *d, uint64_t addr)          \
    {                                                                           \
        uint64_t v;                                                             \
        if (unlikely(!a64_load_slow(c, d, addr, SIZE, &v)))                    \
            return a64_fault(c, d);                                             \
        c->x[d->rd] = EXT_##K(v);                                               \
        WB_##MODE;                                                              \
        return a64_chain(c, a64_next(c, d));                                    \
    }                                                                           \
    static const A64Insn *exec_LD_##K##_##MODE(Arm64Cpu *c, const A64Insn *d)   \
    {                                                                           \
        uint64_t addr = ADDR_##MODE;                                            \
        const SoftTlbEntry *e = a64_tlb_read_entry(c, addr);                    \
        if (unlikely(!a64_tlb_hit(e, addr, SIZE) || c->tm))                     \
            return slow_LD_##K##_##MODE(c, d, addr);                            \
        c->x[d->rd] = EXT_##K(a64_host_get((const uint8_t *)(e->addend + addr), SIZE)); \
        WB_##MODE;                                                              \
        return a64_chain(c, d + 1);                                             \
    }

#define DEF_ST(K, SIZE, MODE)                                                   \
    static __attribute__((noinline, cold)) const A64Insn *                      \
    slow_ST_##K##_##MODE(Arm64Cpu *c, const A64Insn *d, uint64_t addr)          \
    {                                                                           \
        if (unlikely(!a64_store_slow(c, d, addr, SIZE, EXT_##K(c->x[d->rd]))))  \
            return a64_fault(c, d);                                             \
        WB_##MODE;                                                              \
        return a64_chain(c, a64_next(c, d));                                    \
    }                                                                           \
    static const A64Insn *exec_ST_##K##_##MODE(Arm64Cpu *c, const A64Insn *d)   \
    {                                                                           \
        uint64_t addr = ADDR_##MODE;                                            \
        const SoftTlbEntry *e = a64_tlb_write_entry(c, addr);                   \
        if (unlikely(!a64_tlb_hit(e, addr, SIZE) || c->tm))                     \
            return slow_ST_##K##_##MODE(c, d, addr);                            \
        a64_host_put((uint8_t *)(e->addend + addr), SIZE, c->x[d->rd]);         \
        WB_##MODE;                                                              \
        return a64_chain(c, d + 1);                                             \
    }

#define DEF_LD_MODES(K, SIZE)                                                   \
    DEF_LD(K, SIZE, OFF) DEF_LD(K, SIZE, PRE) DEF_LD(K, SIZE, POST)             \
    DEF_LD(K, SIZE, RX) DEF_LD(K, SIZE, RUW) DEF_LD(K, SIZE, RSW)
#define DEF_ST_MODES(K, SIZE)                                                   \
    DEF_ST(K, SIZE, OFF) DEF_ST(K, SIZE, PRE) DEF_ST(K, SIZE, POST)             \
    DEF_ST(K, SIZE, RX) DEF_ST(K, SIZE, RUW) DEF_ST(K, SIZE, RSW)

DEF_ST_MODES(B, 1)
DEF_ST_MODES(H, 2)
DEF_ST_MODES(W, 4)
DEF_ST_MODES(X, 8)
DEF_LD_MODES(B, 1)
DEF_LD_MODES(H, 2)
DEF_LD_MODES(W, 4)
DEF_LD_MODES(X, 8)
DEF_LD_MODES(SBX, 1)
DEF_LD_MODES(SBW, 1)
DEF_LD_MODES(SHX, 2)
DEF_LD_MODES(SHW, 2)
DEF_LD_MODES(SWX, 4)
DEF_LD(W, 4, LIT)
DEF_LD(X, 8, LIT)
DEF_LD(SWX, 4, LIT)

/* Prefetch (PRFM, PRFUM, all forms): a hint, no architectural effect. */
A64_EXEC(exec_PRFM)
{
    (void)c;
    return d + 1;
}

#define MODES(P, K) { P##K##_OFF, P##K##_PRE, P##K##_POST, P##K##_RX, P##K##_RUW, P##K##_RSW }

/* Executors by [size][opc][mode]; NULL = unallocated; exec_PRFM marks the prefetch slot. */
static const A64ExecFn ldst_table[4][4][M_NUM] = {
    { MODES(exec_ST_, B), MODES(exec_LD_, B), MODES(exec_LD_, SBX), MODES(exec_LD_, SBW) },
    { MODES(exec_ST_, H), MODES(exec_LD_, H), MODES(exec_LD_, SHX), MODES(exec_LD_, SHW) },
    { MODES(exec_ST_, W), MODES(exec_LD_, W), MODES(exec_LD_, SWX), { 0 } },
    { MODES(exec_ST_, X), MODES(exec_LD_, X),
      { exec_PRFM, NULL, NULL, exec_PRFM, exec_PRFM, exec_PRFM }, { 0 } },
};

/* Common prep of the single-register forms: picks the executor and maps registers. */
static bool prep_single(A64Insn *d, const A64Args *a, int mode, int64_t imm)
{
    unsigned size = (unsigned)a->size, opc = (unsigned)a->opc;
    A64ExecFn fn = ldst_table[size][opc][mode];
    if (!fn)
        return false;
    d->fn = fn;
    d->sf = (uint8_t)size;
    d->u8b = (uint8_t)opc;
    d->rd = opc == 0 ? a64_rreg((uint32_t)a->rt) : a64_wreg((uint32_t)a->rt);
    d->rn = a64_rreg_sp((uint32_t)a->rn);
    d->imm = imm;
    return true;
}

bool a64_prep_LDST_uimm(A64Insn *d, const A64Args *a)
{
    return prep_single(d, a, M_OFF, a->imm << a->size);
}

bool a64_prep_LDST_unscaled(A64Insn *d, const A64Args *a)
{
    return prep_single(d, a, M_OFF, a->imm);
}

/* LDTR/STTR/LDTRB/LDTRSB/.../LDTRSW: unsigned-offset addressing with EL0's permissions
 * (a64_access_unpriv). d->sf = size log2, d->u8b = opc (0 store, 1 zero-extending load,
 * 2 sign-extend to 64 bits, 3 sign-extend to 32 bits). */
A64_EXEC(exec_LDST_unpriv)
{
    uint64_t addr = c->x[d->rn] + (uint64_t)d->imm;
    unsigned size = 1u << d->sf;
    uint64_t v = d->u8b == 0 ? c->x[d->rd] : 0;
    if (unlikely(!a64_access_unpriv(c, d, addr, size, &v, d->u8b == 0)))
        return a64_fault(c, d);
    if (d->u8b != 0) {
        unsigned shift = 64 - 8 * size;
        if (d->u8b == 2)
            v = (uint64_t)((int64_t)(v << shift) >> shift);
        else if (d->u8b == 3)
            v = (uint32_t)((int64_t)(v << shift) >> shift);
        c->x[d->rd] = v;
    }
    return a64_next(c, d);
}

/* No prefetch form (size=11 opc=1x) and no LDTRSW-to-W (size=10 opc=11): unallocated. */
bool a64_prep_LDST_unpriv(A64Insn *d, const A64Args *a)
{
    if ((a->size == 3 && a->opc >= 2) || (a->size == 2 && a->opc == 3))
        return false;
    if (!prep_single(d, a, M_OFF, a->imm))
        return false;
    d->fn = exec_LDST_unpriv;
    return true;
}

bool a64_prep_LDST_pre(A64Insn *d, const A64Args *a)
{
    return prep_single(d, a, M_PRE, a->imm);
}

bool a64_prep_LDST_post(A64Insn *d, const A64Args *a)
{
    return prep_single(d, a, M_POST, a->imm);
}

bool a64_prep_LDST_reg(A64Insn *d, const A64Args *a)
{
    int mode = a64_ldst_reg_mode(a->option);
    if (mode < 0 || !prep_single(d, a, mode, 0))
        return false;
    d->rm = a64_rreg((uint32_t)a->rm);
    d->u8a = (uint8_t)(a->s ? a->size : 0);
    return true;
}

bool a64_prep_LDR_lit(A64Insn *d, const A64Args *a)
{
    static const A64ExecFn fns[4] = { exec_LD_W_LIT, exec_LD_X_LIT, exec_LD_SWX_LIT, exec_PRFM };
    d->fn = fns[a->opc];
    d->rd = a64_wreg((uint32_t)a->rt);
    d->imm = a->imm * 4;
    return true;
}

/* ---- RCpc unscaled (STLUR*, LDAPUR*). With SCTLR_ELx.nAA == 0 (its reset value, and we
 * model no other) an unaligned access by these instructions is an Alignment fault (Arm ARM
 * B2.5.2, FEAT_LSE2). Ordering needs nothing in a sequential simulator. ---- */
A64_EXEC(exec_RCPC_unscaled)
{
    uint64_t addr = c->x[d->rn] + (uint64_t)d->imm;
    unsigned size = 1u << d->sf;
    if (unlikely(addr & (size - 1)))
        return a64_alignment_fault(c, d, addr, d->u8b == 0);
    uint64_t v;
    switch (d->u8b) {
    case 0:
        if (!a64_store(c, d, addr, size, c->x[d->rd] & (~0ULL >> (64 - 8 * size))))
            return a64_fault(c, d);
        return a64_next(c, d);
    case 1:
        if (!a64_load(c, d, addr, size, &v))
            return a64_fault(c, d);
        break;
    case 2:   /* signed to X */
        if (!a64_load(c, d, addr, size, &v))
            return a64_fault(c, d);
        v = (uint64_t)((int64_t)(v << (64 - 8 * size)) >> (64 - 8 * size));
        break;
    default:  /* signed to W */
        if (!a64_load(c, d, addr, size, &v))
            return a64_fault(c, d);
        v = (uint32_t)((int64_t)(v << (64 - 8 * size)) >> (64 - 8 * size));
        break;
    }
    c->x[d->rd] = v;
    return a64_next(c, d);
}

bool a64_prep_LDST_rcpc_unscaled(A64Insn *d, const A64Args *a)
{
    /* LDAPURSW is size=10 opc=10; size=10 opc=11 and size=11 opc=1x are unallocated */
    if ((a->size == 2 && a->opc == 3) || (a->size == 3 && a->opc >= 2))
        return false;
    if (!prep_single(d, a, M_OFF, a->imm))
        return false;
    d->fn = exec_RCPC_unscaled;
    return true;
}

/* ---- pairs: rd = Rt, rm = Rt2. Loads fetch both values before writing either register
 * (a fault on the second access leaves the registers unchanged); Rt == Rt2 on a load is
 * CONSTRAINED UNPREDICTABLE: Rt gets the first value, as in QEMU (checked with
 * qemu-aarch64 for LDP W/X, LDPSW and LDNP). ---- */
#define EXTP_W(v) ((uint64_t)(uint32_t)(v))
#define EXTP_X(v) ((uint64_t)(v))
#define EXTP_SW(v) ((uint64_t)(int64_t)(int32_t)(v))

/* Fast path: both halves in the page of one soft TLB entry (the first aligned, the second
 * not past the page end); anything else takes the cold slow path, as for single registers. */
#define PAIR_IN_PAGE(addr, SIZE) ((((addr) & (A64_PAGE_SIZE - 1)) + 2 * (SIZE)) <= A64_PAGE_SIZE)
#define DEF_LDP(K, SIZE, MODE)                                                  \
    static __attribute__((noinline, cold)) const A64Insn *                      \
    slow_LDP_##K##_##MODE(Arm64Cpu *c, const A64Insn *d, uint64_t addr)         \
    {                                                                           \
        uint64_t v1, v2;                                                        \
        if (unlikely(!a64_load(c, d, addr, SIZE, &v1)) ||                       \
            unlikely(!a64_load(c, d, addr + SIZE, SIZE, &v2)))                  \
            return a64_fault(c, d);                                             \
        c->x[d->rm] = EXTP_##K(v2);                                             \
        c->x[d->rd] = EXTP_##K(v1);                                             \
        WB_##MODE;                                                              \
        return a64_chain(c, a64_next(c, d));                                    \
    }                                                                           \
    static const A64Insn *exec_LDP_##K##_##MODE(Arm64Cpu *c, const A64Insn *d)  \
    {                                                                           \
        uint64_t addr = ADDR_##MODE;                                            \
        const SoftTlbEntry *e = a64_tlb_read_entry(c, addr);                    \
        if (unlikely(!a64_tlb_hit(e, addr, SIZE) || !PAIR_IN_PAGE(addr, SIZE) || c->tm)) \
            return slow_LDP_##K##_##MODE(c, d, addr);                           \
        const uint8_t *h = (const uint8_t *)(e->addend + addr);                 \
        uint64_t v1 = a64_host_get(h, SIZE), v2 = a64_host_get(h + SIZE, SIZE); \
        c->x[d->rm] = EXTP_##K(v2);                                             \
        c->x[d->rd] = EXTP_##K(v1);                                             \
        WB_##MODE;                                                              \
        return a64_chain(c, d + 1);                                             \
    }
#define DEF_STP(K, SIZE, MODE)                                                  \
    static __attribute__((noinline, cold)) const A64Insn *                      \
    slow_STP_##K##_##MODE(Arm64Cpu *c, const A64Insn *d, uint64_t addr)         \
    {                                                                           \
        if (unlikely(!a64_store(c, d, addr, SIZE, EXTP_##K(c->x[d->rd]))) ||    \
            unlikely(!a64_store(c, d, addr + SIZE, SIZE, EXTP_##K(c->x[d->rm]))))\
            return a64_fault(c, d);                                             \
        WB_##MODE;                                                              \
        return a64_chain(c, a64_next(c, d));                                    \
    }                                                                           \
    static const A64Insn *exec_STP_##K##_##MODE(Arm64Cpu *c, const A64Insn *d)  \
    {                                                                           \
        uint64_t addr = ADDR_##MODE;                                            \
        const SoftTlbEntry *e = a64_tlb_write_entry(c, addr);                   \
        if (unlikely(!a64_tlb_hit(e, addr, SIZE) || !PAIR_IN_PAGE(addr, SIZE) || c->tm)) \
            return slow_STP_##K##_##MODE(c, d, addr);                           \
        uint8_t *h = (uint8_t *)(e->addend + addr);                             \
        a64_host_put(h, SIZE, c->x[d->rd]);                                     \
        a64_host_put(h + SIZE, SIZE, c->x[d->rm]);                              \
        WB_##MODE;                                                              \
        return a64_chain(c, d + 1);                                             \
    }
#define DEF_PAIR_MODES(K, SIZE)                                                 \
    DEF_LDP(K, SIZE, OFF) DEF_LDP(K, SIZE, PRE) DEF_LDP(K, SIZE, POST)
#define DEF_STP_MODES(K, SIZE)                                                  \
    DEF_STP(K, SIZE, OFF) DEF_STP(K, SIZE, PRE) DEF_STP(K, SIZE, POST)

DEF_PAIR_MODES(W, 4)
DEF_PAIR_MODES(X, 8)
DEF_PAIR_MODES(SW, 4)
DEF_STP_MODES(W, 4)
DEF_STP_MODES(X, 8)

/* [opc][L][mode OFF/PRE/POST] */
static const A64ExecFn pair_table[4][2][3] = {
    { { exec_STP_W_OFF, exec_STP_W_PRE, exec_STP_W_POST },
      { exec_LDP_W_OFF, exec_LDP_W_PRE, exec_LDP_W_POST } },
    { { 0 } /* STGP (MTE) */,
      { exec_LDP_SW_OFF, exec_LDP_SW_PRE, exec_LDP_SW_POST } },
    { { exec_STP_X_OFF, exec_STP_X_PRE, exec_STP_X_POST },
      { exec_LDP_X_OFF, exec_LDP_X_PRE, exec_LDP_X_POST } },
    { { 0 }, { 0 } },
};

static bool prep_pair(A64Insn *d, const A64Args *a, int mode)
{
    A64ExecFn fn = pair_table[a->opc][a->l][mode];
    if (!fn)
        return false;
    unsigned scale = a->opc == 2 ? 3 : 2;
    d->fn = fn;
    d->sf = (uint8_t)scale;
    if (a->l) {
        d->rd = a64_wreg((uint32_t)a->rt);
        d->rm = a64_wreg((uint32_t)a->rt2);
    } else {
        d->rd = a64_rreg((uint32_t)a->rt);
        d->rm = a64_rreg((uint32_t)a->rt2);
    }
    d->rn = a64_rreg_sp((uint32_t)a->rn);
    d->imm = a->imm * (1 << scale);
    return true;
}

bool a64_prep_LDST_pair_off(A64Insn *d, const A64Args *a) { return prep_pair(d, a, M_OFF); }
bool a64_prep_LDST_pair_pre(A64Insn *d, const A64Args *a) { return prep_pair(d, a, M_PRE); }
bool a64_prep_LDST_pair_post(A64Insn *d, const A64Args *a) { return prep_pair(d, a, M_POST); }

/* LDNP/STNP: the non-temporal hint changes nothing here; there is no LDNPSW (opc=01). */
bool a64_prep_LDST_pair_nt(A64Insn *d, const A64Args *a)
{
    if (a->opc == 1)
        return false;
    return prep_pair(d, a, M_OFF);
}
