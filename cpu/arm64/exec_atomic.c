/* Exclusives, load-acquire/store-release, compare-and-swap and LSE atomics (Arm ARM C4.1.88,
 * "Load/store exclusive", "Load/store ordered", "Compare and swap", "Atomic memory operations").
 *
 * Cores run one at a time on the host thread, so a read-modify-write through the host
 * pointer from a64_host_ptr() is single-copy atomic with respect to every other simulated
 * core and the acquire/release orderings need no host barriers. a64_host_ptr(write=true)
 * also clears the other cores' exclusive monitors that cover the location (mem.c).
 *
 * Exclusive monitor rules implemented (Arm ARM B2.9):
 * - LDXR/LDAXR/LDXP/LDAXP mark the physical address and access size in the local monitor.
 * - STXR, STLXR, STXP and STLXP succeed (status 0, store performed) only if the local
 *   monitor marks exactly that address and size (mem.c, a64_monitor_check); otherwise
 *   status 1 and no store. Either
 *   way the local monitor is cleared afterwards (ClearExclusiveLocal in
 *   AArch64.ExclusiveMonitorsPass; QEMU also resets its exclusive address on both paths).
 * - The status register is written after the store, and the stored value and address are
 *   read before it, so Rs == Rt or Rs == Rn (CONSTRAINED UNPREDICTABLE) store the old value.
 * - A non-exclusive store by the same core does NOT clear its own local monitor: the Arm ARM
 *   leaves this IMPLEMENTATION DEFINED (B2.9.2, "Store(Marked_address)" by the same PE).
 *   QEMU neither clears it, though its STXR compares the memory value with the one LDXR
 *   read, so there a plain store of a different value makes the STXR fail; here it succeeds.
 * - Stores by other cores to the marked granule clear the monitor (mem.c), CLREX clears it.
 *
 * Unaligned exclusives, atomics and (with SCTLR_ELx.nAA == 0) unaligned load-acquire /
 * store-release are Alignment faults (a64_alignment_fault).
 *
 * Decoded slots: rn = base (SP for 31); rd = Rt (a64_wreg for loads, a64_rreg for the value
 * of a store); rm = Rs read (compare value / operand), ra = Rs write (status, CAS old value);
 * for pairs u8a = Rt2 (LDXP: write index, STXP: read index) and u8b = Rs+1 write (CASP);
 * sf = log2 of the access size (of one register for pairs). */
#include "cpu/arm64/cpu.h"
#include "cpu/arm64/timing.h"
#include "a64_decode_gen.h"

/* Every access here is at Xn (SP), unoffset. */
static const A64Insn *align_fault(Arm64Cpu *c, const A64Insn *d, bool write)
{
    return a64_alignment_fault(c, d, c->x[d->rn], write);
}

/* ---- load/store exclusive ---- */
/* The load half of LDXR/LDXP: `size` bytes (the whole pair for LDXP) into dst, marking the
 * location in this core's monitor. false on a fault, with the executor's return in *ret. */
static bool load_exclusive(Arm64Cpu *c, const A64Insn *d, unsigned size, void *dst,
                           const A64Insn **ret)
{
    uint64_t va = c->x[d->rn];
    if (unlikely(va & (size - 1))) {
        *ret = align_fault(c, d, false);
        return false;
    }
    uint64_t pa;
    const uint8_t *p = a64_atomic_fast(c, va, size, false, &pa);
    if (!p && !(p = a64_host_ptr(c, d, va, size, false, &pa))) {
        *ret = a64_fault(c, d);
        return false;
    }
    memcpy(dst, p, size);
    a64_monitor_arm(c, pa, size);
    if (c->tm)
        a64_tm_pa(c, va, pa, size, false, false);
    return true;
}

/* STXR/STXP: writes `size` bytes from src if the monitor still holds the location, and the
 * status (0 = stored, 1 = not) to Ws; the monitor is cleared either way. */
static const A64Insn *store_exclusive(Arm64Cpu *c, const A64Insn *d, unsigned size, const void *src)
{
    uint64_t va = c->x[d->rn];
    if (unlikely(va & (size - 1)))
        return align_fault(c, d, true);
    uint64_t pa;
    /* a cached page: no translation, and nothing of the slow path's store work is due; a
     * page the read entry knows writable (its write entry dropped for another core's
     * monitor): no translation, the store's side effects if the monitor passes; else the
     * permission check first, the rest only if the monitor passes */
    uint8_t *p = a64_atomic_fast(c, va, size, true, &pa);
    bool prep = false;
    if (!p) {
        p = a64_tlb_writable(c, va, size, &pa, NULL);
        prep = p != NULL;
        if (!p && !a64_translate(c, d, va, MMU_WRITE, &pa, NULL))
            return a64_fault(c, d);
    }
    bool pass = a64_monitor_check(c, pa, size);
    a64_monitor_clear(c);
    if (c->tm)
        a64_tm_pa(c, va, pa, size, true, false);   /* the line is fetched for writing either way */
    if (pass) {
        if (prep)
            a64_ram_store_prep(c, pa, size);
        else if (!p && !(p = a64_host_at(c, d, va, pa, size, true)))
            return a64_fault(c, d);
        memcpy(p, src, size);
    }
    c->x[d->ra] = pass ? 0 : 1;
    return a64_next(c, d);
}

A64_EXEC(exec_LDXR)
{
    uint64_t v = 0;
    const A64Insn *ret;
    if (!load_exclusive(c, d, 1u << d->sf, &v, &ret))
        return ret;
    c->x[d->rd] = v;
    return a64_next(c, d);
}

A64_EXEC(exec_STXR)
{
    uint64_t v = c->x[d->rd];
    return store_exclusive(c, d, 1u << d->sf, &v);
}

bool a64_prep_LDXR(A64Insn *d, const A64Args *a)
{
    d->rd = a64_wreg((uint32_t)a->rt);
    d->rn = a64_rreg_sp((uint32_t)a->rn);
    d->sf = (uint8_t)a->size;
    d->fn = exec_LDXR;
    return true;
}

bool a64_prep_STXR(A64Insn *d, const A64Args *a)
{
    d->rd = a64_rreg((uint32_t)a->rt);
    d->ra = a64_wreg((uint32_t)a->rs);
    d->rn = a64_rreg_sp((uint32_t)a->rn);
    d->sf = (uint8_t)a->size;
    d->fn = exec_STXR;
    return true;
}

/* ---- exclusive pairs: one access of twice the register size, aligned to that size ---- */
A64_EXEC(exec_LDXP_W)
{
    uint64_t v;
    const A64Insn *ret;
    if (!load_exclusive(c, d, 8, &v, &ret))
        return ret;
    c->x[d->u8a] = v >> 32;   /* Rt == Rt2 (CONSTRAINED UNPREDICTABLE): Rt wins, as in QEMU */
    c->x[d->rd] = (uint32_t)v;
    return a64_next(c, d);
}

A64_EXEC(exec_LDXP_X)
{
    uint64_t v[2];
    const A64Insn *ret;
    if (!load_exclusive(c, d, 16, v, &ret))
        return ret;
    c->x[d->rd] = v[0];
    c->x[d->u8a] = v[1];      /* Rt == Rt2: Rt2 wins here, as in QEMU */
    return a64_next(c, d);
}

A64_EXEC(exec_STXP_W)
{
    uint64_t v = (uint32_t)c->x[d->rd] | (c->x[d->u8a] << 32);
    return store_exclusive(c, d, 8, &v);
}

A64_EXEC(exec_STXP_X)
{
    uint64_t v[2] = { c->x[d->rd], c->x[d->u8a] };
    return store_exclusive(c, d, 16, v);
}

bool a64_prep_LDXP(A64Insn *d, const A64Args *a)
{
    d->rd = a64_wreg((uint32_t)a->rt);
    d->u8a = a64_wreg((uint32_t)a->rt2);
    d->rn = a64_rreg_sp((uint32_t)a->rn);
    d->sf = (uint8_t)(a->sz ? 3 : 2);
    d->fn = a->sz ? exec_LDXP_X : exec_LDXP_W;
    return true;
}

bool a64_prep_STXP(A64Insn *d, const A64Args *a)
{
    d->rd = a64_rreg((uint32_t)a->rt);
    d->u8a = a64_rreg((uint32_t)a->rt2);
    d->ra = a64_wreg((uint32_t)a->rs);
    d->rn = a64_rreg_sp((uint32_t)a->rn);
    d->sf = (uint8_t)(a->sz ? 3 : 2);
    d->fn = a->sz ? exec_STXP_X : exec_STXP_W;
    return true;
}

/* ---- load-acquire / store-release (LDAR, STLR, LDLAR, STLLR, LDAPR): ordinary accesses in
 * a sequential simulator, but an unaligned address is an Alignment fault (SCTLR_ELx.nAA
 * is 0: FEAT_LSE2 does not relax these). LORegions (LDLAR/STLLR) act as LDAR/STLR. ---- */
#define MASK_B(v) ((uint8_t)(v))
#define MASK_H(v) ((uint16_t)(v))
#define MASK_W(v) ((uint32_t)(v))
#define MASK_X(v) ((uint64_t)(v))
#define DEF_ORDERED(SZ, SIZE)                                                   \
    A64_EXEC(exec_LDAR_##SZ)                                                    \
    {                                                                           \
        uint64_t va = c->x[d->rn];                                              \
        uint64_t v;                                                             \
        if (unlikely(va & (SIZE - 1)))                                          \
            return align_fault(c, d, false);                                    \
        if (unlikely(!a64_load(c, d, va, SIZE, &v)))                            \
            return a64_fault(c, d);                                             \
        c->x[d->rd] = v;                                                        \
        return a64_next(c, d);                                                  \
    }                                                                           \
    A64_EXEC(exec_STLR_##SZ)                                                    \
    {                                                                           \
        uint64_t va = c->x[d->rn];                                              \
        if (unlikely(va & (SIZE - 1)))                                          \
            return align_fault(c, d, true);                                     \
        if (unlikely(!a64_store(c, d, va, SIZE, MASK_##SZ(c->x[d->rd]))))       \
            return a64_fault(c, d);                                             \
        return a64_next(c, d);                                                  \
    }
DEF_ORDERED(B, 1)
DEF_ORDERED(H, 2)
DEF_ORDERED(W, 4)
DEF_ORDERED(X, 8)

static const A64ExecFn ldar_fns[4] = { exec_LDAR_B, exec_LDAR_H, exec_LDAR_W, exec_LDAR_X };
static const A64ExecFn stlr_fns[4] = { exec_STLR_B, exec_STLR_H, exec_STLR_W, exec_STLR_X };

bool a64_prep_LDAR(A64Insn *d, const A64Args *a)
{
    d->rd = a64_wreg((uint32_t)a->rt);
    d->rn = a64_rreg_sp((uint32_t)a->rn);
    d->sf = (uint8_t)a->size;
    d->fn = ldar_fns[a->size];
    return true;
}

bool a64_prep_LDAPR(A64Insn *d, const A64Args *a)
{
    return a64_prep_LDAR(d, a);
}

bool a64_prep_STLR(A64Insn *d, const A64Args *a)
{
    d->rd = a64_rreg((uint32_t)a->rt);
    d->rn = a64_rreg_sp((uint32_t)a->rn);
    d->sf = (uint8_t)a->size;
    d->fn = stlr_fns[a->size];
    return true;
}

/* ---- LSE atomic memory operations and SWP: Rt receives the old value (zero-extended);
 * Rt = XZR gives the ST<op> aliases. The new value is always written, as in the Arm ARM. ---- */
#define OP_ADD(o, s, ST)  ((o) + (s))
#define OP_CLR(o, s, ST)  ((o) & ~(s))
#define OP_EOR(o, s, ST)  ((o) ^ (s))
#define OP_SET(o, s, ST)  ((o) | (s))
#define OP_SMAX(o, s, ST) ((ST)(o) > (ST)(s) ? (o) : (s))
#define OP_SMIN(o, s, ST) ((ST)(o) < (ST)(s) ? (o) : (s))
#define OP_UMAX(o, s, ST) ((o) > (s) ? (o) : (s))
#define OP_UMIN(o, s, ST) ((o) < (s) ? (o) : (s))
#define OP_SWP(o, s, ST)  (s)

#define DEF_AMO(OP, SZ, T, ST)                                                  \
    A64_EXEC(exec_##OP##_##SZ)                                                  \
    {                                                                           \
        uint64_t va = c->x[d->rn];                                              \
        if (unlikely(va & (sizeof(T) - 1)))                                     \
            return align_fault(c, d, true);                                     \
        uint8_t *p = a64_host_ptr(c, d, va, sizeof(T), true, NULL);                   \
        if (!p)                                                                 \
            return a64_fault(c, d);                                             \
        A64_TM_HOST(c, va, p, sizeof(T), true);                                 \
        T o, s = (T)c->x[d->rm], n;                                             \
        memcpy(&o, p, sizeof o);                                                \
        n = (T)OP_##OP(o, s, ST);                                               \
        memcpy(p, &n, sizeof n);                                                \
        c->x[d->rd] = (uint64_t)o;                                              \
        return a64_next(c, d);                                                  \
    }
#define DEF_AMO_SIZES(OP)                                                       \
    DEF_AMO(OP, B, uint8_t, int8_t) DEF_AMO(OP, H, uint16_t, int16_t)           \
    DEF_AMO(OP, W, uint32_t, int32_t) DEF_AMO(OP, X, uint64_t, int64_t)
#define AMO_FNS(OP) { exec_##OP##_B, exec_##OP##_H, exec_##OP##_W, exec_##OP##_X }

DEF_AMO_SIZES(ADD)
DEF_AMO_SIZES(CLR)
DEF_AMO_SIZES(EOR)
DEF_AMO_SIZES(SET)
DEF_AMO_SIZES(SMAX)
DEF_AMO_SIZES(SMIN)
DEF_AMO_SIZES(UMAX)
DEF_AMO_SIZES(UMIN)
DEF_AMO_SIZES(SWP)

/* [opc][size] */
static const A64ExecFn amo_fns[8][4] = {
    AMO_FNS(ADD), AMO_FNS(CLR), AMO_FNS(EOR), AMO_FNS(SET),
    AMO_FNS(SMAX), AMO_FNS(SMIN), AMO_FNS(UMAX), AMO_FNS(UMIN),
};
static const A64ExecFn swp_fns[4] = AMO_FNS(SWP);

/* LDADD..LDUMIN and SWP share their operands: Rs the source, Rt the loaded value. */
static bool prep_amo(A64Insn *d, const A64Args *a, A64ExecFn fn)
{
    d->rd = a64_wreg((uint32_t)a->rt);
    d->rm = a64_rreg((uint32_t)a->rs);
    d->rn = a64_rreg_sp((uint32_t)a->rn);
    d->sf = (uint8_t)a->size;
    d->fn = fn;
    return true;
}

bool a64_prep_LDOP(A64Insn *d, const A64Args *a)
{
    return prep_amo(d, a, amo_fns[a->opc][a->size]);
}

bool a64_prep_SWP(A64Insn *d, const A64Args *a)
{
    return prep_amo(d, a, swp_fns[a->size]);
}

/* ---- compare and swap: Rs (compare value) receives the old value, zero-extended from the
 * access size; memory is written only when the values are equal. A failed compare still
 * takes the write path of a64_host_ptr (CAS needs write permission either way), so it also
 * clears other cores' monitors on the granule: IMPLEMENTATION DEFINED in the Arm ARM. ---- */
#define DEF_CAS(SZ, T)                                                          \
    A64_EXEC(exec_CAS_##SZ)                                                     \
    {                                                                           \
        uint64_t va = c->x[d->rn];                                              \
        if (unlikely(va & (sizeof(T) - 1)))                                     \
            return align_fault(c, d, true);                                     \
        uint8_t *p = a64_host_ptr(c, d, va, sizeof(T), true, NULL);                   \
        if (!p)                                                                 \
            return a64_fault(c, d);                                             \
        A64_TM_HOST(c, va, p, sizeof(T), true);                                 \
        T o, cmp = (T)c->x[d->rm], n = (T)c->x[d->rd];                          \
        memcpy(&o, p, sizeof o);                                                \
        if (o == cmp)                                                           \
            memcpy(p, &n, sizeof n);                                            \
        c->x[d->ra] = (uint64_t)o;                                              \
        return a64_next(c, d);                                                  \
    }
DEF_CAS(B, uint8_t)
DEF_CAS(H, uint16_t)
DEF_CAS(W, uint32_t)
DEF_CAS(X, uint64_t)

static const A64ExecFn cas_fns[4] = { exec_CAS_B, exec_CAS_H, exec_CAS_W, exec_CAS_X };

bool a64_prep_CAS(A64Insn *d, const A64Args *a)
{
    d->rd = a64_rreg((uint32_t)a->rt);
    d->rm = a64_rreg((uint32_t)a->rs);
    d->ra = a64_wreg((uint32_t)a->rs);
    d->rn = a64_rreg_sp((uint32_t)a->rn);
    d->sf = (uint8_t)a->size;
    d->fn = cas_fns[a->size];
    return true;
}

/* CASP: Rs:Rs+1 compared with the pair in memory (Rs at the lower address, little-endian),
 * Rt:Rt+1 written on a match; the old pair goes to Rs, Rs+1. Registers are even, so the
 * only pair touching 31 is (30, XZR): reading x[31] gives zero, writes go to u8b. */
A64_EXEC(exec_CASP_W)
{
    uint64_t va = c->x[d->rn];
    if (unlikely(va & 7))
        return align_fault(c, d, true);
    uint8_t *p = a64_host_ptr(c, d, va, 8, true, NULL);
    if (!p)
        return a64_fault(c, d);
    A64_TM_HOST(c, va, p, 8, true);
    uint32_t o[2], cmp[2] = { (uint32_t)c->x[d->rm], (uint32_t)c->x[d->rm + 1] };
    uint32_t n[2] = { (uint32_t)c->x[d->rd], (uint32_t)c->x[d->rd + 1] };
    memcpy(o, p, 8);
    if (o[0] == cmp[0] && o[1] == cmp[1])
        memcpy(p, n, 8);
    c->x[d->ra] = o[0];
    c->x[d->u8b] = o[1];
    return a64_next(c, d);
}

A64_EXEC(exec_CASP_X)
{
    uint64_t va = c->x[d->rn];
    if (unlikely(va & 15))
        return align_fault(c, d, true);
    uint8_t *p = a64_host_ptr(c, d, va, 16, true, NULL);
    if (!p)
        return a64_fault(c, d);
    A64_TM_HOST(c, va, p, 16, true);
    uint64_t o[2], cmp[2] = { c->x[d->rm], c->x[d->rm + 1] };
    uint64_t n[2] = { c->x[d->rd], c->x[d->rd + 1] };
    memcpy(o, p, 16);
    if (o[0] == cmp[0] && o[1] == cmp[1])
        memcpy(p, n, 16);
    c->x[d->ra] = o[0];
    c->x[d->u8b] = o[1];
    return a64_next(c, d);
}

bool a64_prep_CASP(A64Insn *d, const A64Args *a)
{
    if ((a->rs & 1) || (a->rt & 1))
        return false;         /* odd register numbers: unallocated (Arm ARM C6.2, CASP) */
    d->rd = (uint8_t)a->rt;   /* even, <= 30: x[rd], x[rd + 1] (31 = XZR reads zero) */
    d->rm = (uint8_t)a->rs;
    d->ra = a64_wreg((uint32_t)a->rs);
    d->u8b = a64_wreg((uint32_t)a->rs + 1);
    d->rn = a64_rreg_sp((uint32_t)a->rn);
    d->sf = (uint8_t)(a->sz ? 3 : 2);
    d->fn = a->sz ? exec_CASP_X : exec_CASP_W;
    return true;
}
