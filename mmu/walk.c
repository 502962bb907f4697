/* AArch64 translation-table walker, stage 1 and stage 2 (Arm ARM DDI 0487 chapter D8).
 * The order of checks follows the AArch64.S1Walk / AArch64.S2Walk pseudocode: input range,
 * base address size, then per level: descriptor read (through stage 2 for stage-1 tables),
 * validity, table/block/page decode, output address size; then Access flag, then
 * permissions, then (stage 1) stage 2 of the output address. */
#include "mmu/walk.h"
#include <stddef.h>

#define BIT(v, n)          (((v) >> (n)) & 1)
#define FIELD(v, lo, len)  (((v) >> (lo)) & ((UINT64_C(1) << (len)) - 1))
/* bits hi..lo set */
#define MASK(hi, lo)       ((~UINT64_C(0) >> (63 - (hi))) & (~UINT64_C(0) << (lo)))

/* Stage-1 TCR fields, two-range layout (TCR_EL1, TCR_EL2 with E2H). */
#define TCR_EPD0   7
#define TCR_T1SZ   16
#define TCR_A1     22
#define TCR_EPD1   23
#define TCR_TG1    30
#define TCR_IPS    32
#define TCR_AS     36
#define TCR_TBI0   37
#define TCR_TBI1   38
#define TCR_HPD0   41
#define TCR_HPD1   42
#define TCR_TBID0  51
#define TCR_TBID1  52
/* Single-range layout (TCR_EL2 without E2H, TCR_EL3). */
#define TCR2_PS    16
#define TCR2_TBI   20
#define TCR2_HPD   24
#define TCR2_TBID  29
/* Common */
#define TCR_T0SZ   0
#define TCR_TG0    14
#define VTCR_SL0   6
#define VTCR_PS    16
#define VTCR_VS    19
#define SCTLR_I    12
#define SCTLR_WXN  19

/* Descriptor fields (Arm ARM D8, "Translation table descriptor formats"). */
#define D_VALID    0
#define D_TYPE     1          /* table/page when set (levels < 3: table; level 3: page) */
#define D_AP1      6          /* stage 1 AP[1] (EL0 access); stage 2 S2AP[0] (read) */
#define D_AP2      7          /* stage 1 AP[2] (read-only); stage 2 S2AP[1] (write) */
#define D_AF       10
#define D_NG       11
#define D_PXN      53
#define D_XN       54         /* UXN / XN; stage 2 XN[1] */
#define T_PXN      59         /* table descriptor PXNTable */
#define T_XN       60         /* UXNTable / XNTable */
#define T_AP0      61         /* APTable[0]: no EL0 access below */
#define T_AP1      62         /* APTable[1]: no write access below */

#define MMU_MAX_OA 48

static unsigned pamax(uint8_t pa_bits)
{
    return pa_bits && pa_bits < MMU_MAX_OA ? pa_bits : MMU_MAX_OA;
}

/* IPS / PS: output size, never more than the implemented PA size (AArch64.PAMax;
 * a value above it behaves as the implemented size). */
static unsigned oa_bits(unsigned ps, unsigned pa_max)
{
    static const uint8_t sizes[8] = { 32, 36, 40, 42, 44, 48, 52, 52 };
    unsigned b = sizes[ps & 7];
    return b < pa_max ? b : pa_max;
}

/* TG0: 00 4K, 01 64K, 10 16K; TG1: 01 16K, 10 4K, 11 64K. Reserved -> 4K (IMPDEF). */
static unsigned tg0_bits(unsigned tg)
{
    return tg == 1 ? 16 : tg == 2 ? 14 : 12;
}
static unsigned tg1_bits(unsigned tg)
{
    return tg == 1 ? 14 : tg == 3 ? 16 : 12;
}

static unsigned txsz_clamp(unsigned txsz)
{
    return txsz < 16 ? 16 : txsz > 39 ? 39 : txsz;
}

/* Address bits resolved below one entry at `level`. */
static unsigned level_shift(unsigned gbits, int level)
{
    return gbits + (unsigned)(3 - level) * (gbits - 3);
}

static bool fail(MmuFault *f, MmuFaultType type, int level, int stage, bool s1ptw,
                 uint64_t ipa, bool write)
{
    f->type = type;
    f->level = level;
    f->stage = stage;
    f->s1ptw = s1ptw;
    f->ipa = ipa;
    f->write = write;
    return false;
}

uint8_t mmu_fault_status_code(const MmuFault *f)
{
    unsigned lvl = (unsigned)f->level & 3;
    switch (f->type) {
    case MMU_FAULT_ADDR_SIZE:   return (uint8_t)(0x00 | lvl);
    case MMU_FAULT_TRANSLATION: return (uint8_t)(0x04 | lvl);
    case MMU_FAULT_ACCESS_FLAG: return (uint8_t)(0x08 | lvl);
    case MMU_FAULT_PERMISSION:  return (uint8_t)(0x0c | lvl);
    case MMU_FAULT_EXTERNAL:    return (uint8_t)(0x14 | lvl);
    case MMU_FAULT_NONE:        break;
    }
    return 0;
}

/* ---- memory attributes ----------------------------------------------------------------- */

enum { MC_DEVICE, MC_NC, MC_WT, MC_WB };

/* Cacheability class of a MAIR Normal nibble (MAIR_ELx.Attr<n> field description). */
static int nibble_class(unsigned n)
{
    if (n == 0x4)
        return MC_NC;
    if ((n & 0xc) == 0x0 || (n & 0xc) == 0x8)
        return n == 0 ? MC_NC : MC_WT;     /* 0b00RW transient / 0b10RW WT; 0000 unpredictable */
    return MC_WB;                          /* 0b01RW transient / 0b11RW WB */
}

static uint8_t class_nibble(int c, unsigned keep, int keep_class)
{
    if (c == keep_class)
        return (uint8_t)keep;
    return c == MC_NC ? 0x4 : c == MC_WT ? 0xa : 0xf;
}

/* Shareability after the memory type: Device and Normal Non-cacheable are always
 * Outer Shareable (Arm ARM D8, "Memory region attributes"). */
static uint8_t fix_sh(uint8_t attr, uint8_t sh)
{
    if ((attr & 0xf0) == 0 || attr == 0x44)
        return 2;
    return sh;
}

/* Combine a stage-1 MAIR byte with a stage-2 MemAttr[3:0] (no FEAT_S2FWB; S2CombineS1MemAttrs):
 * the more restrictive type and the weaker cacheability win. */
static uint8_t combine_attr(uint8_t s1, unsigned s2)
{
    bool s1dev = (s1 & 0xf0) == 0, s2dev = (s2 & 0xc) == 0;
    if (s1dev || s2dev) {
        unsigned t1 = s1dev ? (s1 >> 2) & 3 : 3, t2 = s2dev ? s2 & 3 : 3;
        return (uint8_t)((t1 < t2 ? t1 : t2) << 2);
    }
    static const int s2class[4] = { MC_NC, MC_NC, MC_WT, MC_WB };  /* 00 reserved -> NC */
    unsigned o1 = s1 >> 4, i1 = s1 & 0xf;
    int co1 = nibble_class(o1), ci1 = nibble_class(i1);
    int co2 = s2class[(s2 >> 2) & 3], ci2 = s2class[s2 & 3];
    int co = co1 < co2 ? co1 : co2, ci = ci1 < ci2 ? ci1 : ci2;
    return (uint8_t)(class_nibble(co, o1, co1) << 4 | class_nibble(ci, i1, ci1));
}

static uint8_t combine_sh(uint8_t a, uint8_t b)
{
    if (a == 2 || b == 2)
        return 2;
    if (a == 3 || b == 3)
        return 3;
    return 0;
}

/* ---- the common table walk ------------------------------------------------------------- */

typedef struct WalkCfg {
    int stage;                 /* 1 or 2 */
    unsigned gbits;            /* granule: 12, 14 or 16 */
    int start_level;
    unsigned inputsize;
    unsigned oabits;
    uint64_t base;             /* start table address (IPA for stage 1 under stage 2) */
    bool write;                /* WnR for faults found by the walk */
    const MmuS2Regime *s2;     /* stage 1: translate table addresses through this */
    MmuReadDesc read;
    void *opaque;
} WalkCfg;

typedef struct WalkOut {
    uint64_t desc;             /* the block or page descriptor */
    uint64_t oa;               /* output address of the input address */
    uint64_t page_mask;
    int level;
    uint64_t table_bits;       /* OR of the table descriptors' bits 63:59 */
} WalkOut;

static bool s2_translate(const MmuS2Regime *s2, uint64_t ipa, MmuAccess acc, bool s1ptw,
                         MmuReadDesc read, void *opaque, MmuResult *res, MmuFault *fault,
                         unsigned *memattr);

/* Blocks: 4K at levels 1 and 2, 16K and 64K at level 2 (no FEAT_LPA/LPA2);
 * AArch64.BlockDescSupported. */
static bool block_allowed(unsigned gbits, int level)
{
    return gbits == 12 ? level == 1 || level == 2 : level == 2;
}

static bool walk(const WalkCfg *c, uint64_t ia, WalkOut *o, MmuFault *f)
{
    uint64_t table = c->base;
    uint64_t tbits = 0;
    for (int level = c->start_level;; level++) {
        unsigned shift = level_shift(c->gbits, level);
        unsigned nbits = level == c->start_level ? c->inputsize - shift : c->gbits - 3;
        uint64_t daddr = table + FIELD(ia, shift, nbits) * 8;
        uint64_t paddr = daddr, desc;
        if (c->s2 && c->s2->enabled) {
            /* AArch64.S1Walk: a stage-1 table access is itself translated by stage 2 (as a
             * read); a fault there is a stage-2 fault with S1PTW set and the table's IPA. */
            MmuResult r;
            unsigned memattr;
            if (!s2_translate(c->s2, daddr, MMU_READ, true, c->read, c->opaque, &r, f, &memattr))
                return false;
            paddr = r.pa;
        }
        if (!c->read(c->opaque, paddr, c->stage, level, &desc))
            return fail(f, MMU_FAULT_EXTERNAL, level, c->stage, false,
                        c->stage == 2 ? daddr : 0, c->write);
        if (!BIT(desc, D_VALID))
            return fail(f, MMU_FAULT_TRANSLATION, level, c->stage, false, 0, c->write);
        if (level < 3 && BIT(desc, D_TYPE)) {
            table = desc & MASK(47, c->gbits);
            /* AArch64.S1Walk/S2Walk: address size fault by table descriptor, this level */
            if (table >> c->oabits)
                return fail(f, MMU_FAULT_ADDR_SIZE, level, c->stage, false, 0, c->write);
            tbits |= desc & MASK(63, 59);
            continue;
        }
        /* level 3 with bit 1 clear is reserved: translation fault, like an invalid block */
        if (level == 3 ? !BIT(desc, D_TYPE) : !block_allowed(c->gbits, level))
            return fail(f, MMU_FAULT_TRANSLATION, level, c->stage, false, 0, c->write);
        uint64_t oa = desc & MASK(47, shift);
        if (oa >> c->oabits)
            return fail(f, MMU_FAULT_ADDR_SIZE, level, c->stage, false, 0, c->write);
        o->desc = desc;
        o->page_mask = (UINT64_C(1) << shift) - 1;
        o->oa = oa | (ia & o->page_mask);
        o->level = level;
        o->table_bits = tbits;
        return true;
    }
}

/* Table base from a TTBR/VTTBR: BADDR[47:x] with x from the start table's size
 * (AArch64.TranslationTableWalk: baselowerbound). */
static uint64_t table_base(uint64_t ttbr, unsigned inputsize, unsigned gbits, int level)
{
    unsigned x = 3 + inputsize - level_shift(gbits, level);
    return ttbr & MASK(47, x < 3 ? 3 : x);
}

static bool is_write(MmuAccess acc)
{
    return acc == MMU_WRITE || acc == MMU_RMW;
}

/* Check r/w/x against the access; fills the permission fault. */
static bool check_perms(unsigned perms, MmuAccess acc, MmuFault *f, int level, int stage,
                        bool s1ptw, uint64_t ipa)
{
    bool r = perms & MMU_PERM_R, w = perms & MMU_PERM_W;
    switch (acc) {
    case MMU_READ:  if (r) return true; break;
    case MMU_WRITE: if (w) return true; break;
    case MMU_FETCH: if (perms & MMU_PERM_X) return true; break;
    case MMU_RMW:
        if (r && w)
            return true;
        /* the pseudocode's failedread: WnR = 0 when the read is what is not allowed */
        return fail(f, MMU_FAULT_PERMISSION, level, stage, s1ptw, ipa, r);
    }
    return fail(f, MMU_FAULT_PERMISSION, level, stage, s1ptw, ipa, is_write(acc));
}

/* ---- stage 2 ---------------------------------------------------------------------------- */

/* Stage 2; *memattr gets the leaf's MemAttr[3:0] (0xf, Normal WB, when stage 2 is off). */
static bool s2_translate(const MmuS2Regime *s2, uint64_t ipa, MmuAccess acc, bool s1ptw,
                         MmuReadDesc read, void *opaque, MmuResult *res, MmuFault *fault,
                         unsigned *memattr)
{
    *memattr = 0xf;
    if (!s2 || !s2->enabled) {
        res->pa = res->ipa = ipa;
        res->page_mask = ~UINT64_C(0);
        res->asid = 0;
        res->global = true;
        res->vmid = 0;
        res->attr = 0xff;
        res->sh = 3;
        res->perms = MMU_PERM_R | MMU_PERM_W | MMU_PERM_X;
        return true;
    }
    uint64_t vtcr = s2->vtcr;
    bool wr = s1ptw ? false : is_write(acc);
    unsigned gbits = tg0_bits((unsigned)FIELD(vtcr, TCR_TG0, 2));
    unsigned inputsize = 64 - txsz_clamp((unsigned)FIELD(vtcr, TCR_T0SZ, 6));
    unsigned sl0 = (unsigned)FIELD(vtcr, VTCR_SL0, 2);
    unsigned pm = pamax(s2->pa_bits);
    /* SL0: 4K 0->level 2, 1->1, 2->0; 16K/64K 0->level 3, 1->2, 2->1; 3 is reserved
     * without FEAT_TTST/LPA2; the deepest start needs PAMax >= 44 (4K, 64K) or 42 (16K)
     * (AArch64.S2InvalidSL). The start table must resolve 1..stride+4 bits, i.e. up to 16
     * concatenated tables (AArch64.S2InconsistentSL). Either: level-0 translation fault. */
    int level = (gbits == 12 ? 2 : 3) - (int)sl0;
    int nbits = (int)inputsize - (int)level_shift(gbits, level);
    if (sl0 == 3 || (sl0 == 2 && pm < (gbits == 14 ? 42u : 44u))
        || nbits < 1 || nbits > (int)gbits - 3 + 4)
        return fail(fault, MMU_FAULT_TRANSLATION, 0, 2, s1ptw, ipa, wr);
    if (ipa >> inputsize)
        return fail(fault, MMU_FAULT_TRANSLATION, 0, 2, s1ptw, ipa, wr);
    unsigned oab = oa_bits((unsigned)FIELD(vtcr, VTCR_PS, 3), pm);
    if (FIELD(s2->vttbr, 0, 48) >> oab)
        return fail(fault, MMU_FAULT_ADDR_SIZE, 0, 2, s1ptw, ipa, wr);

    WalkCfg c = {
        .stage = 2, .gbits = gbits, .start_level = level, .inputsize = inputsize,
        .oabits = oab, .base = table_base(s2->vttbr, inputsize, gbits, level),
        .write = wr, .s2 = NULL, .read = read, .opaque = opaque,
    };
    WalkOut o;
    if (!walk(&c, ipa, &o, fault)) {
        fault->s1ptw = s1ptw;
        fault->ipa = ipa;
        return false;
    }
    if (!BIT(o.desc, D_AF))
        return fail(fault, MMU_FAULT_ACCESS_FLAG, o.level, 2, s1ptw, ipa, wr);
    /* S2AP[0] read, S2AP[1] write, XN[1] (AArch64.S2DirectBasePermissions). A fetch
     * checks only execute, and faults on stage-2 Device memory; a stage-1 walk access is
     * checked as a read (AArch64.S2CheckPermissions). */
    *memattr = (unsigned)FIELD(o.desc, 2, 4);
    bool device = (*memattr & 0xc) == 0;
    unsigned perms = (BIT(o.desc, D_AP1) ? MMU_PERM_R : 0) | (BIT(o.desc, D_AP2) ? MMU_PERM_W : 0)
                   | (BIT(o.desc, D_XN) || device ? 0 : MMU_PERM_X);
    if (!check_perms(perms, s1ptw ? MMU_READ : acc, fault, o.level, 2, s1ptw, ipa))
        return false;
    /* HCR_EL2.PTW (D8.3.x, "Protected table walk"): a stage-1 table walk that stage 2 maps to
     * Device memory is a stage-2 Permission fault */
    if (s1ptw && device && s2->ptw)
        return fail(fault, MMU_FAULT_PERMISSION, o.level, 2, true, ipa, false);
    res->pa = o.oa;
    res->ipa = ipa;
    res->page_mask = o.page_mask;
    res->asid = 0;
    res->global = true;
    res->vmid = (uint16_t)(BIT(vtcr, VTCR_VS) ? FIELD(s2->vttbr, 48, 16) : FIELD(s2->vttbr, 48, 8));
    res->attr = combine_attr(0xff, *memattr);
    res->sh = fix_sh(res->attr, (uint8_t)FIELD(o.desc, 8, 2));
    res->perms = (uint8_t)perms;
    return true;
}

bool mmu_s2_translate(const MmuS2Regime *s2, uint64_t ipa, MmuAccess acc, bool s1ptw,
                      MmuReadDesc read, void *opaque, MmuResult *res, MmuFault *fault)
{
    unsigned memattr;
    fault->type = MMU_FAULT_NONE;
    return s2_translate(s2, ipa, acc, s1ptw, read, opaque, res, fault, &memattr);
}

/* ---- stage 1 ---------------------------------------------------------------------------- */

/* Stage-1 permissions of a leaf for the accessing class (AArch64.S1DirectBasePermissions
 * and S1ComputePermissions without overlays: AP[2:1], hierarchical APTable/XNTable,
 * UXN/PXN, WXN, PAN). */
static unsigned s1_perms(const MmuS1Regime *s1, uint64_t desc, uint64_t tbits, bool hpd)
{
    bool ap2 = BIT(desc, D_AP2), ap1 = BIT(desc, D_AP1);
    bool wxn = BIT(s1->sctlr, SCTLR_WXN);
    if (!hpd)
        ap2 |= BIT(tbits, T_AP1);
    if (!s1->two_ranges) {
        /* single range: AP[1] RES1, no EL0; XNTable at 60, PXNTable/APTable[0] RES0 */
        bool w = !ap2;
        bool xn = BIT(desc, D_XN) || (!hpd && BIT(tbits, T_XN)) || (w && wxn);
        return MMU_PERM_R | (w ? MMU_PERM_W : 0) | (xn ? 0 : MMU_PERM_X);
    }
    if (!hpd && BIT(tbits, T_AP0))
        ap1 = false;
    bool uxn = BIT(desc, D_XN) || (!hpd && BIT(tbits, T_XN));
    bool pxn = BIT(desc, D_PXN) || (!hpd && BIT(tbits, T_PXN));
    bool user_r = ap1, user_w = ap1 && !ap2;
    if (s1->el0_access) {
        bool x = !(uxn || (user_w && wxn));   /* EL0 may execute without read access */
        return (user_r ? MMU_PERM_R : 0) | (user_w ? MMU_PERM_W : 0) | (x ? MMU_PERM_X : 0);
    }
    bool priv_w = !ap2;
    /* memory writable at EL0 is never executable at EL1/EL2 (S1DirectBasePermissions) */
    bool x = !(pxn || (priv_w && wxn) || user_w);
    bool r = true;
    /* FEAT_PAN: a privileged data access to EL0-accessible memory faults */
    if (s1->pan && user_r)
        r = priv_w = false;
    return (r ? MMU_PERM_R : 0) | (priv_w ? MMU_PERM_W : 0) | (x ? MMU_PERM_X : 0);
}

/* Stage 1 off (AArch64.S1DisabledOutput): flat, VA above the PA size -> level-0 address
 * size fault; data Device-nGnRnE, fetches Normal (WT if SCTLR.I else NC); DC: Normal WB. */
static bool s1_off(const MmuS1Regime *s1, uint64_t va, unsigned top, MmuAccess acc,
                   MmuResult *res, MmuFault *fault)
{
    unsigned pm = pamax(s1->pa_bits);
    if (top >= pm && (va & MASK(top, pm)))
        return fail(fault, MMU_FAULT_ADDR_SIZE, 0, 1, false, 0, is_write(acc));
    res->ipa = va & MASK(pm - 1, 0);
    res->page_mask = 0xfff;
    res->asid = 0;
    res->global = true;
    if (s1->dc) {
        res->attr = 0xff;
        res->sh = 0;
    } else {
        res->attr = acc != MMU_FETCH ? 0x00 : BIT(s1->sctlr, SCTLR_I) ? 0xaa : 0x44;
        res->sh = 2;
    }
    res->perms = MMU_PERM_R | MMU_PERM_W | MMU_PERM_X;
    return true;
}

/* Stage 1 alone: fills res->ipa (output), page_mask, asid/global, attr, sh, perms. */
static bool s1_translate(const MmuS1Regime *s1, const MmuS2Regime *s2, uint64_t va,
                         MmuAccess acc, MmuReadDesc read, void *opaque, MmuResult *res,
                         MmuFault *fault)
{
    uint64_t tcr = s1->tcr;
    bool wr = is_write(acc), fetch = acc == MMU_FETCH;
    bool hi, tbi, epd, hpd;
    unsigned txsz, gbits, ps;
    uint64_t ttbr;
    if (s1->two_ranges) {
        /* VA[55] selects TTBR0/TTBR1 (AArch64.GetVARange) */
        hi = BIT(va, 55);
        tbi = BIT(tcr, hi ? TCR_TBI1 : TCR_TBI0)
              && !(fetch && BIT(tcr, hi ? TCR_TBID1 : TCR_TBID0));
        txsz = (unsigned)FIELD(tcr, hi ? TCR_T1SZ : TCR_T0SZ, 6);
        gbits = hi ? tg1_bits((unsigned)FIELD(tcr, TCR_TG1, 2))
                   : tg0_bits((unsigned)FIELD(tcr, TCR_TG0, 2));
        epd = BIT(tcr, hi ? TCR_EPD1 : TCR_EPD0);
        hpd = BIT(tcr, hi ? TCR_HPD1 : TCR_HPD0);
        ps = (unsigned)FIELD(tcr, TCR_IPS, 3);
        ttbr = hi ? s1->ttbr1 : s1->ttbr0;
    } else {
        hi = false;
        tbi = BIT(tcr, TCR2_TBI) && !(fetch && BIT(tcr, TCR2_TBID));
        txsz = (unsigned)FIELD(tcr, TCR_T0SZ, 6);
        gbits = tg0_bits((unsigned)FIELD(tcr, TCR_TG0, 2));
        epd = false;
        hpd = BIT(tcr, TCR2_HPD);
        ps = (unsigned)FIELD(tcr, TCR2_PS, 3);
        ttbr = s1->ttbr0;
    }
    unsigned top = tbi ? 55 : 63;
    if (!s1->enabled)
        return s1_off(s1, va, top, acc, res, fault);

    unsigned inputsize = 64 - txsz_clamp(txsz);
    /* VA outside both ranges (the hole), or an EPDn-disabled range: level-0 translation
     * fault (AArch64.S1Translate / S1InvalidTxSZ ... fault.level = 0). */
    uint64_t upper = va & MASK(top, inputsize);
    if (upper != (hi ? MASK(top, inputsize) : 0) || epd)
        return fail(fault, MMU_FAULT_TRANSLATION, 0, 1, false, 0, wr);
    unsigned oab = oa_bits(ps, pamax(s1->pa_bits));
    if (FIELD(ttbr, 0, 48) >> oab)
        return fail(fault, MMU_FAULT_ADDR_SIZE, 0, 1, false, 0, wr);
    /* start level: 4 - ceil((inputsize - granule) / stride) */
    unsigned stride = gbits - 3;
    int level = 4 - (int)((inputsize - gbits + stride - 1) / stride);

    WalkCfg c = {
        .stage = 1, .gbits = gbits, .start_level = level, .inputsize = inputsize,
        .oabits = oab, .base = table_base(ttbr, inputsize, gbits, level),
        .write = wr, .s2 = s2, .read = read, .opaque = opaque,
    };
    WalkOut o;
    if (!walk(&c, va, &o, fault))
        return false;
    if (!BIT(o.desc, D_AF))
        return fail(fault, MMU_FAULT_ACCESS_FLAG, o.level, 1, false, 0, wr);
    uint8_t attr = (uint8_t)(s1->mair >> (8 * FIELD(o.desc, 2, 3)));
    unsigned perms = s1_perms(s1, o.desc, o.table_bits, hpd);
    /* AArch64.S1CheckPermissions: a fetch from Device memory is a permission fault (older
     * revisions: CONSTRAINED UNPREDICTABLE, the fault being one permitted choice) */
    if ((attr & 0xf0) == 0)
        perms &= ~MMU_PERM_X;
    if (!check_perms(perms, acc, fault, o.level, 1, false, 0))
        return false;

    uint64_t asid_ttbr = BIT(tcr, TCR_A1) ? s1->ttbr1 : s1->ttbr0;
    res->ipa = o.oa;
    res->page_mask = o.page_mask;
    res->asid = s1->two_ranges ? (uint16_t)FIELD(asid_ttbr, 48, BIT(tcr, TCR_AS) ? 16 : 8) : 0;
    res->global = !s1->two_ranges || !BIT(o.desc, D_NG);
    res->attr = attr;
    res->sh = fix_sh(res->attr, (uint8_t)FIELD(o.desc, 8, 2));
    res->perms = (uint8_t)perms;
    return true;
}

bool mmu_translate(const MmuS1Regime *s1, const MmuS2Regime *s2, uint64_t va, MmuAccess acc,
                   MmuReadDesc read, void *opaque, MmuResult *res, MmuFault *fault)
{
    fault->type = MMU_FAULT_NONE;
    if (!s1_translate(s1, s2, va, acc, read, opaque, res, fault))
        return false;
    res->pa = res->ipa;
    res->s1_page_mask = res->page_mask;
    res->vmid = 0;
    if (!s2)
        return true;
    res->vmid = (uint16_t)(BIT(s2->vtcr, VTCR_VS) ? FIELD(s2->vttbr, 48, 16)
                                                  : FIELD(s2->vttbr, 48, 8));
    if (!s2->enabled)
        return true;
    /* the stage-1 output goes through stage 2 (AArch64.FullTranslate) */
    MmuResult r2;
    unsigned memattr;
    if (!s2_translate(s2, res->ipa, acc, false, read, opaque, &r2, fault, &memattr))
        return false;
    res->pa = r2.pa;
    res->page_mask &= r2.page_mask;
    res->perms &= r2.perms;
    res->attr = combine_attr(res->attr, memattr);
    res->sh = fix_sh(res->attr, combine_sh(res->sh, r2.sh));
    return true;
}
