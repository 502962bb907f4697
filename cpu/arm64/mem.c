/* Memory access slow paths, the exclusive monitor, and translation.
 *
 * The inline fast paths in cpu.h hit the soft TLB for aligned RAM accesses. Everything else
 * lands here: TLB refills, unaligned or page-crossing accesses, MMIO, stores to pages that
 * hold decoded code (self-modifying code), and stores to pages another core holds an
 * exclusive reservation on. */
#include <string.h>
#include "cpu/arm64/cpu.h"
#include "cpu/arm64/timing.h"
#include "cpu/arm64/debug.h"
#include "cpu/arm64/sysreg.h"

/* Reservation granule: CTR_EL0.ERG = 4 -> 16 words (Arm ARM B2.9.3). */
#define A64_ERG_BYTES 64

/* ---- translation ---- */
#define SCTLR_M 1ULL

/* The soft TLBs of every EL and bank, each kind of invalidation in one place. Invalidations
 * of the EL1&0 regime skip EL2's soft TLB (c->tlb_el[2]); everything else reaches all. */
void a64_tlb_flush(Arm64Cpu *c)
{
    for (int i = 0; i < A64_NUM_TLBS; i++)
        softtlb_flush(&c->tlbs[i]);
}

void a64_tlb_flush_el10(Arm64Cpu *c)
{
    for (int i = 0; i < A64_NUM_TLBS; i++)
        if (&c->tlbs[i] != c->tlb_el[2])
            softtlb_flush(&c->tlbs[i]);
}

void a64_tlb_flush_va(Arm64Cpu *c, uint64_t va, bool el10_only)
{
    for (int i = 0; i < A64_NUM_TLBS; i++)
        if (!el10_only || &c->tlbs[i] != c->tlb_el[2])
            softtlb_flush_va(&c->tlbs[i], va);
}

void a64_tlb_flush_lower(Arm64Cpu *c)
{
    for (int i = 0; i < A64_NUM_TLBS; i++)
        if (&c->tlbs[i] != c->tlb_el[2])
            softtlb_flush_lower(&c->tlbs[i]);
}

void a64_tlb_flush_lower_current(Arm64Cpu *c)
{
    softtlb_flush_lower(c->tlb_el[0]);
    softtlb_flush_lower(c->tlb_el[1]);
}

void a64_tlb_ttbr1(Arm64Cpu *c, uint64_t old, uint64_t now)
{
    for (int el = 0; el < 2; el++) {
        SoftTlb *t = c->tlb_alt[el];
        if (c->tlb_alt_ttbr1 != now)
            softtlb_flush(t);          /* filled under another TTBR1_EL1, or never */
        c->tlb_alt[el] = c->tlb_el[el];
        c->tlb_el[el] = t;
    }
    c->tlb_alt_ttbr1 = old;
    c->tlb_cur = c->tlb_el[c->el];
}

void a64_tlb_flush_write_host(Arm64Cpu *c, const uint8_t *host_page)
{
    /* Nothing to do when this page was flushed last and no write entry was filled since: on
     * SMP every load-exclusive asks this of the other cores, mostly for the same lock's page */
    if (c->wflushed_page == host_page && c->wflushed_gen == c->wfill_gen)
        return;
    for (int i = 0; i < A64_NUM_TLBS; i++)
        softtlb_flush_write_host(&c->tlbs[i], host_page);
    c->wflushed_page = host_page;
    c->wflushed_gen = c->wfill_gen;
}

void a64_tlb_flush_writes(Arm64Cpu *c)
{
    for (int i = 0; i < A64_NUM_TLBS; i++)
        softtlb_flush_writes(&c->tlbs[i]);
}

static bool read_desc(void *opaque, uint64_t pa, int stage, int level, uint64_t *desc)
{
    Arm64Cpu *c = opaque;
    const uint8_t *p = bus_ram_ptr(&c->m->bus, pa, 8);
    if (!p)
        return false;         /* table outside RAM: synchronous external abort on the walk */
    memcpy(desc, p, 8);
    return true;
}

/* The syndrome a hypervisor needs to emulate the access (ESR ISS[24:14], D17.2.37): valid
 * (ISV) only for single general-register loads/stores without writeback, and LDAR/STLR;
 * the masks include bit 26 (V), so SIMD&FP loads/stores report ISV = 0. */
static uint32_t dabt_isv(uint32_t insn)
{
    unsigned size = insn >> 30, rt = insn & 31;
    bool ar = false;
    unsigned opc;
    if ((insn & 0x3f000000) == 0x39000000) {               /* unsigned immediate offset */
        opc = (insn >> 22) & 3;
    } else if ((insn & 0x3f200000) == 0x38000000 && ((insn >> 10) & 3) != 1 &&
               ((insn >> 10) & 3) != 3) {                   /* unscaled / unprivileged */
        opc = (insn >> 22) & 3;
    } else if ((insn & 0x3f200c00) == 0x38200800) {         /* register offset */
        opc = (insn >> 22) & 3;
    } else if ((insn & 0x3fa08000) == 0x08808000) {         /* LDAR / STLR */
        opc = (insn >> 22) & 1;
        ar = true;
    } else {
        return 0;
    }
    if (size == 3 && opc >= 2)
        return 0;             /* PRFM */
    bool sse = opc >= 2, sf = size == 3 || opc == 2;
    return 1u << 24 | size << 22 | (unsigned)sse << 21 | rt << 16 | (unsigned)sf << 15 |
           (unsigned)ar << 14;
}

static const char *fault_name(MmuFaultType t)
{
    switch (t) {
    case MMU_FAULT_ADDR_SIZE: return "address-size fault";
    case MMU_FAULT_TRANSLATION: return "translation fault";
    case MMU_FAULT_ACCESS_FLAG: return "access-flag fault";
    case MMU_FAULT_PERMISSION: return "permission fault";
    case MMU_FAULT_EXTERNAL: return "external abort on the walk";
    default: return "fault";
    }
}

/* The faults an access takes without a walk. */
typedef enum { NOWALK_ALIGNMENT, NOWALK_EXTERNAL, NOWALK_EXTERNAL_FETCH } NoWalkFault;
static void publish_fault(Arm64Cpu *c, const A64Insn *d, uint64_t va, int acc, NoWalkFault f);

/* Takes the Data or Instruction Abort for a translation fault (D1.3.3, D17.2.37). */
static void take_abort(Arm64Cpu *c, const A64Insn *d, uint64_t va, int acc, const MmuFault *f)
{
    bool fetch = acc == MMU_FETCH;
    int target = f->stage == 2 ? 2 : a64_sync_target_el(c);
    unsigned ec = fetch ? (target == c->el ? A64_EC_IABT_CUR : A64_EC_IABT_LOW)
                        : (target == c->el ? A64_EC_DABT_CUR : A64_EC_DABT_LOW);
    uint32_t iss = mmu_fault_status_code(f);
    if (f->s1ptw)
        iss |= 1u << 7;
    if (!fetch && f->write && !f->s1ptw)
        iss |= 1u << 6;       /* WnR */
    if (!fetch && f->stage == 2 && !f->s1ptw && d)
        iss |= dabt_isv(d->raw);
    if (f->stage == 2)
        c->sys[A64_SYS_HPFAR_EL2] = (f->ipa >> 12) << 4;
    uint64_t esr = (uint64_t)ec << 26 | 1u << 25 | iss;
    a64_take_exception(c, target, A64_VEC_SYNC, esr, d ? a64_pc(c, d) : va, true, va);
}

/* Alignment fault (B2.5.2: exclusives, atomics, load-acquire/store-release and the RCpc forms
 * must be naturally aligned; checked before translation): a Data Abort with DFSC 0b100001,
 * taken where a stage-1 fault would be, FAR = va, WnR for a store or read-modify-write. */
const A64Insn *a64_alignment_fault(Arm64Cpu *c, const A64Insn *d, uint64_t va, bool write)
{
    int target = a64_sync_target_el(c);
    unsigned ec = target == c->el ? A64_EC_DABT_CUR : A64_EC_DABT_LOW;
    uint32_t iss = 0x21 | (write ? 1u << 6 : 0);
    if (target == 2)
        iss |= dabt_isv(d->raw);          /* as external_abort: the access syndrome, as QEMU */
    uint64_t esr = (uint64_t)ec << 26 | 1u << 25 | iss;
    publish_fault(c, d, va, write ? MMU_WRITE : MMU_READ, NOWALK_ALIGNMENT);
    a64_take_exception(c, target, A64_VEC_SYNC, esr, a64_pc(c, d), true, va);
    return NULL;
}

/* The regimes of a translation from EL `el` (2: the EL2 regime; 0/1: EL1&0), with stage 2
 * when `with_s2` and HCR_EL2 enables it. */
static void regimes(const Arm64Cpu *c, int el, bool with_s2, MmuS1Regime *s1, MmuS2Regime *s2)
{
    uint64_t hcr = a64_hcr(c);
    *s1 = (MmuS1Regime){ .pa_bits = c->pa_bits };   /* the model's PARange */
    *s2 = (MmuS2Regime){ .pa_bits = c->pa_bits };
    bool e2h = hcr & A64_HCR_E2H;
    if (el == 2 || (el == 0 && e2h && (hcr & A64_HCR_TGE))) {
        /* EL2 regime, or with E2H the EL2&0 regime (D8.1.3): two VA ranges, TCR_EL2 in the
         * TCR_EL1 layout, TTBR1_EL2, ASIDs; EL0 is in it when TGE is set too. */
        s1->enabled = c->sys[A64_SYS_SCTLR_EL2] & SCTLR_M;
        s1->tcr = c->sys[A64_SYS_TCR_EL2];
        s1->ttbr0 = c->sys[A64_SYS_TTBR0_EL2];
        s1->mair = c->sys[A64_SYS_MAIR_EL2];
        s1->sctlr = c->sys[A64_SYS_SCTLR_EL2];
        if (e2h) {
            s1->two_ranges = true;
            s1->ttbr1 = c->sys[A64_SYS_TTBR1_EL2];
            s1->el0_access = el == 0;
            s1->pan = c->pan && el == 2;
        }
        return;
    }
    /* EL1&0 regime; HCR_EL2.TGE (without E2H) disables stage 1 and stage 2 for it, and
     * HCR_EL2.DC makes stage 1 behave as disabled (D8.2.11). */
    bool tge = hcr & A64_HCR_TGE;
    s1->enabled = (c->sys[A64_SYS_SCTLR_EL1] & SCTLR_M) && !tge && !(hcr & A64_HCR_DC);
    s1->two_ranges = true;
    s1->el0_access = el == 0;
    s1->pan = c->pan && el == 1;
    s1->dc = (hcr & A64_HCR_DC) != 0;
    s1->tcr = c->sys[A64_SYS_TCR_EL1];
    s1->ttbr0 = c->sys[A64_SYS_TTBR0_EL1];
    s1->ttbr1 = c->sys[A64_SYS_TTBR1_EL1];
    s1->mair = c->sys[A64_SYS_MAIR_EL1];
    s1->sctlr = c->sys[A64_SYS_SCTLR_EL1];
    s2->enabled = with_s2 && (hcr & (A64_HCR_VM | A64_HCR_DC)) && !tge;
    s2->ptw = (hcr & (1ULL << 2)) != 0;      /* HCR_EL2.PTW */
    s2->vtcr = c->sys[A64_SYS_VTCR_EL2];
    s2->vttbr = c->sys[A64_SYS_VTTBR_EL2];
}

/* EV_WALK: the walk's descriptor reads counted by stage and level (a stage-1 table read under
 * stage 2 costs a stage-2 walk of its own first: nested walks read up to 24 descriptors). */
#define WALK_MAX_DESC 32      /* a 4-level stage 1 under a 4-level stage 2 reads 24 */
typedef struct WalkCount {
    Arm64Cpu *c;
    uint8_t refs[2][4];
    unsigned n;
    uint64_t desc[WALK_MAX_DESC];
    uint8_t sl[WALK_MAX_DESC];
} WalkCount;

static bool read_desc_counted(void *opaque, uint64_t pa, int stage, int level, uint64_t *desc)
{
    WalkCount *w = opaque;
    if (stage >= 1 && stage <= 2 && level >= 0 && level <= 3 && w->refs[stage - 1][level] < 255)
        w->refs[stage - 1][level]++;
    if (w->n < WALK_MAX_DESC) {
        w->desc[w->n] = pa;
        w->sl[w->n++] = (uint8_t)(stage << 4 | (level & 15));
    }
    return read_desc(w->c, pa, stage, level, desc);
}

static bool publish_walk(Arm64Cpu *c, const A64Insn *d, uint64_t va, int acc, const WalkCount *w,
                         const MmuS1Regime *s1, const MmuS2Regime *s2, const MmuResult *res,
                         const MmuFault *f, bool ok)
{
    EvInfo e = { .kind = EV_WALK, .cpu = c->index, .el = c->el, .vmid = a64_current_vmid(c),
                 .pc = d && c->cur_page ? a64_pc(c, d) : c->pc, .time = a64_now(c),
                 .u.walk = { .addr = va, .pa = ok ? res->pa : 0, .access = acc, .fault = !ok,
                             .perms = ok ? res->perms : 0,
                             .regime = !s1->enabled ? "stage 2 only"
                                       : c->el == 2 ? (s1->two_ranges ? "EL2&0" : "EL2") : "EL1&0",
                             .stage2 = s2->enabled && s1->enabled,
                             .s2_vmid = ok && s2->enabled ? res->vmid : -1,
                             .fault_stage = ok ? 0 : f->stage, .fault_level = ok ? 0 : f->level,
                             .fault_name = ok ? NULL : fault_name(f->type),
                             .s1ptw = !ok && f->s1ptw, .ipa = ok ? res->ipa : f->ipa } };
    if (w) {
        memcpy(e.u.walk.refs, w->refs, sizeof w->refs);
        e.u.walk.desc = w->desc;
        e.u.walk.desc_sl = w->sl;
        e.u.walk.ndesc = w->n;
    }
    return ev_publish(&c->m->events, &e);
}

/* EV_WALK for a fault an access takes without a walk (alignment, external abort). */
static void publish_fault(Arm64Cpu *c, const A64Insn *d, uint64_t va, int acc, NoWalkFault f)
{
    static const char *const what[] = { "alignment fault", "external abort",
                                        "external abort on fetch" };
    if (!ev_wants(&c->m->events, EV_WALK))
        return;
    EvInfo e = { .kind = EV_WALK, .cpu = c->index, .el = c->el, .vmid = a64_current_vmid(c),
                 .pc = d && c->cur_page ? a64_pc(c, d) : c->pc, .time = a64_now(c),
                 .u.walk = { .addr = va, .access = acc, .fault = true, .fault_name = what[f],
                             .no_walk = true, .s2_vmid = -1,
                             .alignment = f == NOWALK_ALIGNMENT } };
    ev_publish(&c->m->events, &e);
}

/* -d mmu: one line per walk and per fault, a subscriber of EV_WALK (opaque: the machine). */
static bool trace_walk(void *opaque, const EvInfo *e)
{
    Machine *m = opaque;
    FILE *t = m->trace;
    uint64_t va = e->u.walk.addr;
    if (e->u.walk.no_walk) {
        if (e->u.walk.alignment)
            fprintf(t, "MMU cpu%d fault va=%016llx alignment fault\n", e->cpu, (unsigned long long)va);
        else
            fprintf(t, "MMU cpu%d %s va=%016llx\n", e->cpu, e->u.walk.fault_name, (unsigned long long)va);
    } else if (e->u.walk.fault) {
        fprintf(t, "MMU cpu%d fault va=%016llx stage %d level %d %s%s ipa=%llx\n", e->cpu,
                (unsigned long long)va, e->u.walk.fault_stage, e->u.walk.fault_level,
                e->u.walk.fault_name, e->u.walk.s1ptw ? " (stage-1 walk)" : "",
                (unsigned long long)e->u.walk.ipa);
    } else {
        int acc = e->u.walk.access;
        unsigned p = e->u.walk.perms;
        fprintf(t, "MMU cpu%d walk va=%016llx -> pa=%llx %s%c%c%c %s%s", e->cpu,
                (unsigned long long)va, (unsigned long long)e->u.walk.pa,
                acc == MMU_FETCH ? "fetch " : acc == MMU_READ ? "read " : "write ",
                (p & MMU_PERM_R) ? 'r' : '-', (p & MMU_PERM_W) ? 'w' : '-', (p & MMU_PERM_X) ? 'x' : '-',
                e->u.walk.regime, e->u.walk.stage2 ? " + stage 2" : "");
        if (e->u.walk.s2_vmid >= 0)
            fprintf(t, " vm%d", e->u.walk.s2_vmid);
        fputc('\n', t);
    }
    return false;
}

void a64_trace_mmu(Machine *m, bool on)
{
    ev_switch(&m->events, on, EV_BIT(EV_WALK), EV_PRIO_TRACE, trace_walk, m);
}

/* Translation for an access made with the privilege of EL `el` (the current EL, or EL0 for
 * the unprivileged LDTR/STTR family). */
static bool translate_el(Arm64Cpu *c, const A64Insn *d, uint64_t va, int acc, int el, uint64_t *pa,
                         uint8_t *perms)
{
    MmuS1Regime s1;
    MmuS2Regime s2;
    regimes(c, el, true, &s1, &s2);
    c->last_order = 0;
    if (!s1.enabled && !s2.enabled) {
        *pa = va;             /* flat: MMU off */
        if (perms)
            *perms = MMU_PERM_R | MMU_PERM_W | MMU_PERM_X;
        return true;
    }
    MmuResult res;
    MmuFault f;
    bool ok;
    if (ev_wants(&c->m->events, EV_WALK)) {
        WalkCount w = { .c = c };
        ok = mmu_translate(&s1, s2.enabled ? &s2 : NULL, va, (MmuAccess)acc, read_desc_counted, &w,
                           &res, &f);
        if (publish_walk(c, d, va, acc, &w, &s1, &s2, &res, &f, ok))
            a64_pause_after(c);   /* after the access (or the abort) */
    } else {
        ok = mmu_translate(&s1, s2.enabled ? &s2 : NULL, va, (MmuAccess)acc, read_desc, c, &res, &f);
    }
    if (!ok) {
        take_abort(c, d, va, acc, &f);
        return false;
    }
    *pa = res.pa;
    /* A TLBI by VA names one VA of a stage-1 mapping and drops all of it, so the soft TLB
     * notes the size of the stage-1 mapping each piece comes from. A stage-2 block under a
     * 4 KiB stage-1 page is one piece: the guest's TLBI by VA drops it, and stage-2 changes
     * come with TLBIs by IPA or VMID, which drop everything. */
    c->last_order = (uint8_t)(__builtin_ctzll(~res.s1_page_mask) - 12);
    if (perms)
        *perms = res.perms;
    return true;
}

bool a64_translate(Arm64Cpu *c, const A64Insn *d, uint64_t va, int acc, uint64_t *pa, uint8_t *perms)
{
    return translate_el(c, d, va, acc, c->el, pa, perms);
}

typedef struct WalkLog {
    Arm64Cpu *c;
    void (*log)(void *ctx, uint64_t pa, uint64_t desc, bool ok);
    void *ctx;
} WalkLog;

static bool read_desc_logged(void *opaque, uint64_t pa, int stage, int level, uint64_t *desc)
{
    WalkLog *w = opaque;
    bool ok = read_desc(w->c, pa, stage, level, desc);
    w->log(w->ctx, pa, ok ? *desc : 0, ok);
    return ok;
}

bool a64_debug_walk(Arm64Cpu *c, uint64_t va, void (*log)(void *ctx, uint64_t pa, uint64_t desc, bool ok),
                    void *ctx, MmuResult *res, MmuFault *f, bool *mmu_on)
{
    MmuS1Regime s1;
    MmuS2Regime s2;
    regimes(c, c->el, true, &s1, &s2);
    *mmu_on = s1.enabled || s2.enabled;
    if (!*mmu_on) {
        memset(res, 0, sizeof *res);
        res->pa = res->ipa = va;
        return true;
    }
    WalkLog w = { c, log, ctx };
    return mmu_translate(&s1, s2.enabled ? &s2 : NULL, va, MMU_READ, read_desc_logged, &w, res, f);
}

bool a64_debug_translate(Arm64Cpu *c, uint64_t va, uint64_t *pa)
{
    MmuS1Regime s1;
    MmuS2Regime s2;
    regimes(c, c->el, true, &s1, &s2);
    if (!s1.enabled && !s2.enabled) {
        *pa = va;
        return true;
    }
    MmuResult res;
    MmuFault f;
    if (!mmu_translate(&s1, s2.enabled ? &s2 : NULL, va, MMU_READ, read_desc, c, &res, &f))
        return false;
    *pa = res.pa;
    return true;
}

bool a64_debug_translate_ipa(Arm64Cpu *c, uint64_t ipa, uint64_t *pa)
{
    MmuS1Regime s1;
    MmuS2Regime s2;
    regimes(c, 1, true, &s1, &s2);   /* the EL1&0 regime's stage 2: VTTBR_EL2/VTCR_EL2 */
    if (!s2.enabled) {
        *pa = ipa;
        return true;
    }
    s1.enabled = false;
    s1.dc = false;
    MmuResult res;
    MmuFault f;
    if (!mmu_translate(&s1, &s2, ipa, MMU_READ, read_desc, c, &res, &f))
        return false;
    *pa = res.pa;
    return true;
}

/* AT (C5.5, D8.14): translate as the named regime would and report in PAR_EL1. Stage-1-only
 * forms still walk the stage-1 tables through stage 2; a stage-2 fault there is taken to EL2
 * (D8.14.2), everything else is reported in PAR_EL1 (F, FST, PTW, S). PSTATE.PAN does not
 * apply: only FEAT_PAN2's AT S1E1RP/WP check it (their access descriptor's pan, C5.5), so
 * KVM's AT S1E1R at a VHE host's EL2, where PAN is set, sees a guest's EL0 pages. */
bool a64_at(Arm64Cpu *c, const A64Insn *d, int el, bool stage12, bool write, uint64_t va)
{
    MmuS1Regime s1;
    MmuS2Regime s2;
    regimes(c, el, true, &s1, &s2);
    s1.pan = false;
    MmuResult res;
    MmuFault f;
    uint64_t par;
    MmuAccess acc = write ? MMU_WRITE : MMU_READ;
    bool ok = mmu_translate(&s1, s2.enabled ? &s2 : NULL, va, acc, read_desc, c, &res, &f);
    if (!ok && f.stage == 2 && f.s1ptw && !stage12) {
        if (ev_wants(&c->m->events, EV_WALK))
            publish_walk(c, d, va, MMU_READ, NULL, &s1, &s2, &res, &f, false);
        take_abort(c, d, va, MMU_READ, &f);
        return false;
    }
    if (ok || (f.stage == 2 && !stage12)) {
        /* success; a stage-1-only AT reports the IPA even when stage 2 would fault on it */
        uint64_t out = ok ? (stage12 ? res.pa : res.ipa) : f.ipa;
        uint8_t attr = ok ? res.attr : 0;
        /* SH for Device memory: the Arm ARM lets PAR report the descriptor's value or the
         * effective Outer Shareable. As QEMU: the stage-1 value for stage-1 results, Outer
         * Shareable when both stages were combined. NS = 1 (Non-secure). */
        uint8_t sh = !ok ? 0 : (attr & 0xf0) || (stage12 && s2.enabled) ? res.sh : 0;
        par = (uint64_t)attr << 56 | (out & 0xfffffffff000ULL) | 1u << 11 | 1u << 9 | (uint64_t)sh << 7;
    } else {
        par = 1 | (uint64_t)mmu_fault_status_code(&f) << 1 | 1u << 11 |
              (uint64_t)f.s1ptw << 8 | (uint64_t)(f.stage == 2) << 9;
    }
    c->sys[A64_SYS_PAR_EL1] = par;
    return true;
}

static Arm64Cpu *cpu_at(Machine *m, int i) { return (Arm64Cpu *)m->cpus[i].obj; }

static bool other_core_reserved(Arm64Cpu *c, uint64_t pa_page)
{
    Machine *m = c->m;
    for (int i = 0; i < m->ncpus; i++) {
        Arm64Cpu *o = cpu_at(m, i);
        if (o != c && o->mon.valid && (o->mon.addr & ~(uint64_t)(A64_PAGE_SIZE - 1)) == pa_page)
            return true;
    }
    return false;
}

static const A64Insn *stop_at(Arm64Cpu *c, const A64Insn *d, int code, const char *what,
                              uint64_t va, uint64_t pa)
{
    machine_stop(c->m, code, "cpu%d: %s at VA 0x%llx (PA 0x%llx), PC 0x%llx", c->index, what,
                 (unsigned long long)va, (unsigned long long)pa,
                 (unsigned long long)(d ? a64_pc(c, d) : c->pc));
    c->insns_left++;          /* the access did not retire */
    if (d)
        c->pc = a64_pc(c, d);
    return NULL;
}

/* An access to a physical address nothing decodes: a synchronous external abort, not on a
 * walk (DFSC 0x10; EA, an IMPLEMENTATION DEFINED classification, 0), to the EL that takes
 * data aborts from here, as QEMU's virt does. Reported in ESR_EL2 it carries the access
 * syndrome (ISV), as QEMU reports it, so a hypervisor can see what was accessed. */
static void external_abort(Arm64Cpu *c, const A64Insn *d, uint64_t va, bool write)
{
    int target = a64_sync_target_el(c);
    unsigned ec = target == c->el ? A64_EC_DABT_CUR : A64_EC_DABT_LOW;
    uint32_t iss = 0x10 | (write ? 1u << 6 : 0);
    if (target == 2)
        iss |= dabt_isv(d->raw);
    publish_fault(c, d, va, write ? MMU_WRITE : MMU_READ, NOWALK_EXTERNAL);
    a64_take_exception(c, target, A64_VEC_SYNC, (uint64_t)ec << 26 | 1u << 25 | iss, a64_pc(c, d), true, va);
}

/* The same for an instruction fetch (EC 0x20/0x21, IFSC 0x10, FAR = ELR = the address). */
void a64_fetch_external_abort(Arm64Cpu *c, uint64_t va)
{
    int target = a64_sync_target_el(c);
    unsigned ec = target == c->el ? A64_EC_IABT_CUR : A64_EC_IABT_LOW;
    publish_fault(c, NULL, va, MMU_FETCH, NOWALK_EXTERNAL_FETCH);
    a64_take_exception(c, target, A64_VEC_SYNC, (uint64_t)ec << 26 | 1u << 25 | 0x10, va, true, va);
}

/* EV_MEM: a data access, translated, about to move its bytes. */
static bool publish_mem(Arm64Cpu *c, const A64Insn *d, uint64_t va, uint64_t pa, unsigned size, bool write)
{
    EvInfo e = { .kind = EV_MEM, .cpu = c->index, .el = c->el, .vmid = a64_current_vmid(c),
                 .pc = d && c->cur_page ? a64_pc(c, d) : c->pc, .time = a64_now(c),
                 .u.mem = { .addr = va, .pa = pa, .size = size, .write = write } };
    return ev_publish(&c->m->events, &e);
}

/* EV_MMIO: a core's access to a device (after the device saw it; for a read, the value it
 * returned). The device is named by its bus region. A pause stops after the access. */
static void mmio_done(Arm64Cpu *c, const A64Insn *d, uint64_t va, uint64_t pa, unsigned size,
                      bool write, uint64_t value)
{
    Machine *m = c->m;
    if (!ev_wants(&m->events, EV_MMIO))
        return;
    const BusRegion *r = bus_find(&m->bus, pa);
    if (!r || r->host)
        return;               /* RAM reached through the bus (an access across regions) */
    EvInfo e = { .kind = EV_MMIO, .cpu = c->index, .el = c->el, .vmid = a64_current_vmid(c),
                 .pc = d && c->cur_page ? a64_pc(c, d) : c->pc, .time = a64_now(c),
                 .u.mmio = { .addr = va, .pa = pa, .size = size, .write = write, .value = value,
                             .offset = pa - r->base, .device = r->name } };
    if (ev_publish(&m->events, &e))
        a64_pause_after(c);
}

/* Debugger watchpoints and EV_MEM subscribers: with any, nothing is cached in the soft TLB,
 * so every access comes here; a hit pauses the machine after the access completes. */
static inline void watch(Arm64Cpu *c, const A64Insn *d, uint64_t va, uint64_t pa, unsigned size, bool write)
{
    Machine *m = c->m;
    if ((unlikely(m->watch_check) && m->watch_check(m->break_opaque, c->index, va, pa, size, write)) ||
        (ev_wants(&m->events, EV_MEM) && publish_mem(c, d, va, pa, size, write)))
        a64_pause_after(c);
}

/* The guest's watchpoints (debug.c): checked after translation, before the access, so a hit
 * takes the Watchpoint exception with nothing accessed. The pages they watch are not cached in
 * the soft TLB (may_cache). */
static inline bool hw_watch(Arm64Cpu *c, const A64Insn *d, uint64_t va, unsigned size, int kind)
{
    return unlikely(c->dbg_armed & A64_DBG_WATCH) && a64_watchpoint_hit(c, d, va, size, kind, false);
}

/* Whether the slow path may cache the page of va for the fast path: not while hvsim's
 * debugger watches anything or EV_MEM has a subscriber, nor when one of the guest's
 * watchpoints is on the page. */
static inline bool may_cache(const Arm64Cpu *c, uint64_t va)
{
    return !c->m->watch_check && !ev_wants(&c->m->events, EV_MEM) &&
           !(unlikely(c->dbg_armed & A64_DBG_WATCH) &&
             a64_watchpoint_page(c, va & ~(uint64_t)(A64_PAGE_SIZE - 1)));
}

bool a64_load_slow(Arm64Cpu *c, const A64Insn *d, uint64_t va, unsigned size, uint64_t *val)
{
    /* every change of EL goes through a64_set_el: a TLB of another EL would grant its rights */
    g_assert(c->tlb_cur == c->tlb_el[c->el]);
    /* an unaligned access inside one cached page: the fast path's tag wants alignment, the
     * page's entry is as good for it (a memcpy, little-endian like the guest) */
    uint64_t page = va & ~(uint64_t)(A64_PAGE_SIZE - 1);
    const SoftTlbEntry *e = &a64_tlb(c)->r[(va >> A64_PAGE_BITS) & (SOFTTLB_SIZE - 1)];
    if (e->tag == page && (va & (A64_PAGE_SIZE - 1)) + size <= A64_PAGE_SIZE) {
        *val = a64_host_get((const uint8_t *)(e->addend + va), size);   /* 1, 2, 4 or 8 */
        A64_TM_HOST(c, va, e->addend + va, size, false);
        return true;
    }
    if (((va & (A64_PAGE_SIZE - 1)) + size) > A64_PAGE_SIZE) {
        /* crosses a page boundary: assemble from bytes (little-endian); a watchpoint on any
         * of them is taken before the first is read */
        if (hw_watch(c, d, va, size, A64_WP_LOAD))
            return false;
        uint64_t v = 0;
        for (unsigned i = 0; i < size; i++) {
            uint64_t b;
            if (!a64_load_slow(c, d, va + i, 1, &b))
                return false;
            v |= b << (8 * i);
        }
        *val = v;
        return true;
    }
    uint64_t pa;
    uint8_t perms;
    if (!a64_translate(c, d, va, MMU_READ, &pa, &perms) || hw_watch(c, d, va, size, A64_WP_LOAD))
        return false;
    Machine *m = c->m;
    watch(c, d, va, pa, size, false);
    uint8_t *host = bus_ram_ptr(&m->bus, pa, size);
    if (c->tm)
        a64_tm_pa(c, va, pa, size, false, !host);
    if (host) {
        uint64_t v = 0;
        memcpy(&v, host, size);
        *val = v;
        uint8_t *hpage = bus_ram_ptr(&m->bus, pa & ~(uint64_t)(A64_PAGE_SIZE - 1), A64_PAGE_SIZE);
        if (hpage && (perms & MMU_PERM_R) && may_cache(c, va)) {
            uint64_t pa_page = pa & ~(uint64_t)(A64_PAGE_SIZE - 1);
            softtlb_fill_read(a64_tlb(c), va & ~(uint64_t)(A64_PAGE_SIZE - 1), hpage,
                              c->last_order, (perms & MMU_PERM_W) &&
                                             pa_page - m->ram_base < m->ram_size);
        }
        return true;
    }
    if (!bus_read(&m->bus, pa, size, val)) {
        external_abort(c, d, va, false);
        return false;
    }
    mmio_done(c, d, va, pa, size, false, *val);
    if (m->stop)
        c->exit_request = 1;
    return true;
}

/* Common work before a store to RAM at pa: self-modifying code, other cores' monitors. */
static void before_ram_store(Arm64Cpu *c, uint64_t pa, unsigned size)
{
    Machine *m = c->m;
    uint64_t off = pa - m->ram_base, npages = m->ram_size >> A64_PAGE_BITS;
    uint64_t idx = off >> A64_PAGE_BITS, last = (off + size - 1) >> A64_PAGE_BITS;
    if (idx < npages && m->ram_code[idx])
        a64_invalidate_code_page(m, pa);
    if (last != idx && last < npages && m->ram_code[last])
        a64_invalidate_code_page(m, pa + size - 1);
    machine_ram_written(m, pa, size);
    a64_monitor_store_notify(c, pa, size);
}

bool a64_store_slow(Arm64Cpu *c, const A64Insn *d, uint64_t va, unsigned size, uint64_t val)
{
    g_assert(c->tlb_cur == c->tlb_el[c->el]);
    uint64_t page = va & ~(uint64_t)(A64_PAGE_SIZE - 1);
    const SoftTlbEntry *e = &a64_tlb(c)->w[(va >> A64_PAGE_BITS) & (SOFTTLB_SIZE - 1)];
    if (e->tag == page && (va & (A64_PAGE_SIZE - 1)) + size <= A64_PAGE_SIZE) {
        a64_host_put((uint8_t *)(e->addend + va), size, val);   /* as the fast path: see the load */
        A64_TM_HOST(c, va, e->addend + va, size, true);
        return true;
    }
    if (((va & (A64_PAGE_SIZE - 1)) + size) > A64_PAGE_SIZE) {
        if (hw_watch(c, d, va, size, A64_WP_STORE))
            return false;
        for (unsigned i = 0; i < size; i++)
            if (!a64_store_slow(c, d, va + i, 1, (val >> (8 * i)) & 0xff))
                return false;
        return true;
    }
    uint64_t pa;
    uint8_t perms = MMU_PERM_W;
    if (!a64_tlb_writable(c, va, size, &pa, &c->last_order) &&  /* the write entry's order */
        (!a64_translate(c, d, va, MMU_WRITE, &pa, &perms) || hw_watch(c, d, va, size, A64_WP_STORE)))
        return false;
    Machine *m = c->m;
    watch(c, d, va, pa, size, true);
    const BusRegion *r = bus_find(&m->bus, pa);
    if (c->tm)
        a64_tm_pa(c, va, pa, size, true, !(r && r->host));
    if (r && r->host && size <= r->size - (pa - r->base)) {
        if (r->readonly)
            return true;      /* ROM: writes ignored */
        before_ram_store(c, pa, size);
        /* Storing what memory already holds leaves the host page alone: a guest zeroing
         * memory it never wrote (Xen scrubs all of RAM) then reads the host's shared zero
         * page instead of making the host allocate and clear a page per 4 KiB. */
        if (memcmp(r->host + (pa - r->base), &val, size))
            memcpy(r->host + (pa - r->base), &val, size);
        uint64_t pa_page = pa & ~(uint64_t)(A64_PAGE_SIZE - 1);
        uint8_t *hpage = bus_ram_ptr(&m->bus, pa_page, A64_PAGE_SIZE);
        if (hpage && (perms & MMU_PERM_W) && may_cache(c, va) && pa_page - m->ram_base < m->ram_size &&
            !m->ram_code[(pa_page - m->ram_base) >> A64_PAGE_BITS] &&
            !other_core_reserved(c, pa_page)) {
            softtlb_fill_write(a64_tlb(c), va & ~(uint64_t)(A64_PAGE_SIZE - 1), hpage,
                               c->last_order);
            c->wfill_gen++;   /* the only place write entries are made */
        }
        return true;
    }
    if (size < 8)
        val &= (1ULL << (size * 8)) - 1;   /* devices see exactly the bytes stored */
    if (!bus_write(&m->bus, pa, size, val)) {
        external_abort(c, d, va, true);
        return false;
    }
    mmio_done(c, d, va, pa, size, true, val);
    if (m->stop)
        c->exit_request = 1;
    return true;
}

/* The soft TLB's answer for an aligned RAM access of an exclusive or atomic: the host
 * pointer (and *pa) when the page is cached for reading and, for a write, for writing too —
 * an entry exists only where the access needs nothing of the slow path (no decoded code, no
 * other core's reservation, no watchpoint). NULL: take the slow path. */
static inline uint8_t *tlb_atomic_ptr(Arm64Cpu *c, uint64_t va, bool write, uint64_t *pa)
{
    const SoftTlb *t = a64_tlb(c);
    unsigned i = (va >> A64_PAGE_BITS) & (SOFTTLB_SIZE - 1);
    uint64_t page = va & ~(uint64_t)(A64_PAGE_SIZE - 1);
    if (t->r[i].tag != page || (write && t->w[i].tag != page))
        return NULL;
    uint8_t *host = (uint8_t *)(write ? t->w[i].addend + va : t->r[i].addend + va);
    Machine *m = c->m;
    if (host < m->ram || host >= m->ram + m->ram_size)
        return NULL;
    if (pa)
        *pa = m->ram_base + (uint64_t)(host - m->ram);
    return host;
}

uint8_t *a64_tlb_writable(Arm64Cpu *c, uint64_t va, unsigned size, uint64_t *pa, uint8_t *order)
{
    SoftTlb *t = a64_tlb(c);
    unsigned i = (va >> A64_PAGE_BITS) & (SOFTTLB_SIZE - 1);
    if (t->r[i].tag != (va & ~(uint64_t)(A64_PAGE_SIZE - 1)) || !t->rwritable[i] ||
        (va & (A64_PAGE_SIZE - 1)) + size > A64_PAGE_SIZE)
        return NULL;
    uint8_t *host = (uint8_t *)(t->r[i].addend + va);
    *pa = c->m->ram_base + (uint64_t)(host - c->m->ram);
    if (order)
        *order = t->rorder[i];
    return host;
}

void a64_ram_store_prep(Arm64Cpu *c, uint64_t pa, unsigned size)
{
    before_ram_store(c, pa, size);
}

/* Whether zeroing at pa (main RAM) is a no-op with nothing else to do: the page was never
 * written (machine_ram_written marks pages as anything writes them, so it is all zeros),
 * holds no decoded code and no other core's exclusive reservation. */
static bool known_zero(Arm64Cpu *c, uint64_t pa)
{
    Machine *m = c->m;
    uint64_t idx = (pa - m->ram_base) >> A64_PAGE_BITS;
    return !m->ram_touched[idx] && !m->ram_code[idx] &&
           !other_core_reserved(c, pa & ~(uint64_t)(A64_PAGE_SIZE - 1));
}

bool a64_zva_known_zero(Arm64Cpu *c, uint64_t va)
{
    uint64_t pa;
    if (!a64_tlb_writable(c, va, 64, &pa, NULL) || !known_zero(c, pa))
        return false;
    if (c->tm)
        a64_tm_pa(c, va, pa, 64, true, false);
    return true;
}

int a64_zva_slow(Arm64Cpu *c, const A64Insn *d, uint64_t va)
{
    if (!may_cache(c, va))
        return 0;
    uint64_t pa;
    uint8_t perms;
    if (!a64_translate(c, d, va, MMU_WRITE, &pa, &perms) || hw_watch(c, d, va, 64, A64_WP_STORE))
        return -1;
    Machine *m = c->m;
    uint64_t pa_page = pa & ~(uint64_t)(A64_PAGE_SIZE - 1);
    if (pa_page - m->ram_base >= m->ram_size || !(perms & MMU_PERM_R) || !known_zero(c, pa))
        return 0;
    softtlb_fill_read(a64_tlb(c), va & ~(uint64_t)(A64_PAGE_SIZE - 1),
                      m->ram + (pa_page - m->ram_base), c->last_order, true);
    if (c->tm)
        a64_tm_pa(c, va, pa, 64, true, false);
    return 1;
}

uint8_t *a64_atomic_fast(Arm64Cpu *c, uint64_t va, unsigned size, bool write, uint64_t *pa)
{
    return (va & (size - 1)) ? NULL : tlb_atomic_ptr(c, va, write, pa);
}

uint8_t *a64_host_ptr(Arm64Cpu *c, const A64Insn *d, uint64_t va, unsigned size, bool write,
                      uint64_t *pa_out)
{
    if (!(va & (size - 1))) {
        uint8_t *host = tlb_atomic_ptr(c, va, write, pa_out);
        if (likely(host))
            return host;
    }
    if (va & (size - 1)) {
        a64_alignment_fault(c, d, va, write);
        return NULL;
    }
    uint64_t pa;
    if (!a64_translate(c, d, va, write ? MMU_RMW : MMU_READ, &pa, NULL))
        return NULL;
    if (pa_out)
        *pa_out = pa;
    return a64_host_at(c, d, va, pa, size, write);
}

uint8_t *a64_host_at(Arm64Cpu *c, const A64Insn *d, uint64_t va, uint64_t pa, unsigned size,
                     bool write)
{
    if (hw_watch(c, d, va, size, write ? A64_WP_RMW : A64_WP_LOAD))
        return NULL;
    watch(c, d, va, pa, size, write);
    Machine *m = c->m;
    const BusRegion *r = bus_find(&m->bus, pa);
    if (!r || !r->host || size > r->size - (pa - r->base)) {
        stop_at(c, d, EXIT_UNIMPLEMENTED,
                "atomic or exclusive access outside RAM (not modelled)", va, pa);
        return NULL;
    }
    if (write) {
        if (r->readonly) {
            stop_at(c, d, EXIT_UNIMPLEMENTED, "atomic write to ROM (not modelled)", va, pa);
            return NULL;
        }
        before_ram_store(c, pa, size);
    }
    return r->host + (pa - r->base);
}

/* ---- exclusive monitor ---- */
void a64_monitor_arm(Arm64Cpu *c, uint64_t pa, unsigned size)
{
    c->mon.addr = pa;
    c->mon.size = size;
    c->mon.valid = 1;
    Machine *m = c->m;
    if (m->ncpus < 2)
        return;
    /* other cores' stores to this page must now go through the slow path */
    uint8_t *hpage = bus_ram_ptr(&m->bus, pa & ~(uint64_t)(A64_PAGE_SIZE - 1), A64_PAGE_SIZE);
    if (!hpage)
        return;
    for (int i = 0; i < m->ncpus; i++) {
        Arm64Cpu *o = cpu_at(m, i);
        if (o != c)
            a64_tlb_flush_write_host(o, hpage);
    }
}

void a64_monitor_clear(Arm64Cpu *c)
{
    c->mon.valid = 0;
}

bool a64_monitor_check(const Arm64Cpu *c, uint64_t pa, unsigned size)
{
    /* The store-exclusive must target the address and size the load-exclusive marked;
     * other addresses within the granule fail (an IMPLEMENTATION DEFINED choice the
     * Arm ARM allows; QEMU does the same). */
    return c->mon.valid && c->mon.addr == pa && c->mon.size == size;
}

void a64_monitor_store_notify(Arm64Cpu *c, uint64_t pa, unsigned size)
{
    Machine *m = c->m;
    for (int i = 0; i < m->ncpus; i++) {
        Arm64Cpu *o = cpu_at(m, i);
        if (o == c || !o->mon.valid)
            continue;
        uint64_t g = o->mon.addr & ~(uint64_t)(A64_ERG_BYTES - 1);
        uint64_t gend = (o->mon.addr + o->mon.size + A64_ERG_BYTES - 1) & ~(uint64_t)(A64_ERG_BYTES - 1);
        if (pa < gend && g < pa + size) {
            /* Exclusive -> Open in the global monitor is a WFE wake-up event (D1.16.1) */
            o->mon.valid = 0;
            o->event_reg = 1;
            if (o->halted == 2) {
                o->halted = 0;
                o->event_reg = 0;
            }
        }
    }
}

/* LDTR/STTR and friends (Arm ARM C3.2.5, AArch64.CheckPermission's "unprivileged" case): at
 * EL1, and at EL2 in the EL2&0 regime with HCR_EL2.TGE = 1, the access is checked with EL0's
 * permissions, so PSTATE.PAN does not apply (PAN restricts privileged accesses to EL0 data;
 * FEAT_UAO, which would turn this off, is not implemented). Elsewhere it is an ordinary
 * access. Unprivileged accesses never fill the soft TLB (its entries carry the current EL's
 * permissions), so they always come here; they are rare (copy_{to,from}_user). */
bool a64_access_unpriv(Arm64Cpu *c, const A64Insn *d, uint64_t va, unsigned size, uint64_t *val,
                       bool write)
{
    uint64_t hcr = a64_hcr(c);
    bool unpriv = c->el == 1 ||
                  (c->el == 2 && (hcr & (A64_HCR_E2H | A64_HCR_TGE)) == (A64_HCR_E2H | A64_HCR_TGE));
    if (!unpriv)
        return write ? a64_store(c, d, va, size, *val) : a64_load(c, d, va, size, val);
    bool armed = unlikely(c->dbg_armed & A64_DBG_WATCH);
    if (((va & (A64_PAGE_SIZE - 1)) + size) > A64_PAGE_SIZE) {
        /* crosses a page: byte by byte, translating each (little-endian); a watchpoint on
         * any byte is taken before the first is accessed */
        if (armed && a64_watchpoint_hit(c, d, va, size, write ? A64_WP_STORE : A64_WP_LOAD, true))
            return false;
        uint64_t v = write ? *val : 0;
        for (unsigned i = 0; i < size; i++) {
            uint64_t b = (v >> (8 * i)) & 0xff;
            if (!a64_access_unpriv(c, d, va + i, 1, &b, write))
                return false;
            if (!write)
                v |= b << (8 * i);
        }
        if (!write)
            *val = v;
        return true;
    }
    uint64_t pa;
    if (!translate_el(c, d, va, write ? MMU_WRITE : MMU_READ, 0, &pa, NULL))
        return false;
    if (armed && a64_watchpoint_hit(c, d, va, size, write ? A64_WP_STORE : A64_WP_LOAD, true))
        return false;
    Machine *m = c->m;
    watch(c, d, va, pa, size, write);
    const BusRegion *r = bus_find(&m->bus, pa);
    if (c->tm)
        a64_tm_pa(c, va, pa, size, write, !(r && r->host));
    if (r && r->host && size <= r->size - (pa - r->base)) {
        if (!write) {
            uint64_t v = 0;
            memcpy(&v, r->host + (pa - r->base), size);
            *val = v;
        } else if (!r->readonly) {
            before_ram_store(c, pa, size);
            memcpy(r->host + (pa - r->base), val, size);
        }
        return true;
    }
    uint64_t v = *val;
    if (write && size < 8)
        v &= (1ULL << (size * 8)) - 1;
    if (!(write ? bus_write(&m->bus, pa, size, v) : bus_read(&m->bus, pa, size, val))) {
        external_abort(c, d, va, write);
        return false;
    }
    mmio_done(c, d, va, pa, size, write, write ? v : *val);
    if (m->stop)
        c->exit_request = 1;
    return true;
}

/* ---- the cycle model's walker ---- */
typedef struct TmWalkCtx {
    Arm64Cpu *c;
    TmWalk *w;
} TmWalkCtx;

static bool read_desc_tm(void *opaque, uint64_t pa, int stage, int level, uint64_t *desc)
{
    TmWalkCtx *t = opaque;
    if (t->w->n < TM_WALK_MAX) {
        t->w->r[t->w->n].pa = pa;
        t->w->r[t->w->n].stage = (uint8_t)stage;
        t->w->r[t->w->n].level = (uint8_t)level;
        t->w->n++;
    }
    return read_desc(t->c, pa, stage, level, desc);
}

/* A walk of va in the current regime for the model's TLB miss: the same walker, descriptors
 * read from RAM without side effects (no Access flag or dirty updates are modelled), no
 * exception; a fault leaves the reads made so far and ok = false. */
void a64_tm_walk(void *cpu, uint64_t va, bool fetch, TmWalk *w)
{
    Arm64Cpu *c = cpu;
    MmuS1Regime s1;
    MmuS2Regime s2;
    regimes(c, c->el, true, &s1, &s2);
    w->n = 0;
    w->s1 = s1.enabled;
    w->s2 = s2.enabled;
    TmWalkCtx t = { c, w };
    MmuResult res;
    MmuFault f;
    w->ok = mmu_translate(&s1, s2.enabled ? &s2 : NULL, va, fetch ? MMU_FETCH : MMU_READ,
                          read_desc_tm, &t, &res, &f);
    if (!w->ok && f.type == MMU_FAULT_PERMISSION) {
        /* a translation that exists but not for this access class: cache it all the same */
        w->ok = true;
        mmu_translate(&s1, s2.enabled ? &s2 : NULL, va, MMU_READ, read_desc, c, &res, &f);
    }
    if (!w->ok)
        return;
    w->ipa = res.ipa;
    w->shift = (unsigned)__builtin_ctzll(~res.page_mask);
    w->global = res.global;
    w->asid = res.asid;
    w->vmid = s2.enabled ? res.vmid : 0;
}
