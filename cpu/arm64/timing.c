/* The A64 side of the cycle model (timing.h): instructions as the pipeline sees them, the
 * translation context of accesses, and the reports the run loop and access paths make. */
#include "cpu/arm64/timing.h"
#include <string.h>
#include "a64_decode_gen.h"
#include "cpu/arm64/sysreg.h"

/* What an operation is to the pipeline: built once from the decode table's names. */
typedef struct A64TmOp {
    uint8_t cls;              /* TmClass */
    uint8_t br;               /* BrKind, for TM_BRANCH */
    uint8_t vregs;            /* rd (and for non-memory classes rn/rm/ra) name V registers */
    uint8_t src;              /* A64_SRC_*: which operand fields are sources */
} A64TmOp;

/* Operand fields that are sources whatever their value (X0 included); the others count only
 * when non-zero (a field the decode left at 0 is most often unused). */
enum { A64_SRC_RN = 1, A64_SRC_RM = 2, A64_SRC_RA = 4, A64_SRC_NONE = 8 };

static A64TmOp op_info[A64_NUM_OPS + 1];
static bool op_info_ready;

static bool name_in(const char *n, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(n, *list))
            return true;
    return false;
}

/* Which operand fields an operation reads. */
static uint8_t sources(const char *n, const char *group, uint8_t cls)
{
    static const char *const no_rn[] = { "MOVZ", "MOVN", "MOVK", "ADR", "ADRP", "B", "BL",
        "B_cond", "MRS", "MSR_i", "HINT", "CLREX", "DSB", "DMB", "ISB", "SB", "SVC", "HVC",
        "SMC", "BRK", "HLT", "ERET", "MODIMM", "FMOV_i", "LDR_lit", "LDRV_lit", NULL };
    static const char *const rm_ra[] = { "MADD", "MSUB", "SMADDL", "SMSUBL", "UMADDL",
                                         "UMSUBL", NULL };
    static const char *const rm[] = { "SMULH", "UMULH", "ADC", "ADCS", "SBC", "SBCS", "CSEL",
        "CSINC", "CSINV", "CSNEG", "CCMP_r", "CCMN_r", "LSLV", "LSRV", "ASRV", "RORV", "SDIV",
        "UDIV", "EXTR", "CRC32", NULL };
    if (name_in(n, no_rn))
        return A64_SRC_NONE;
    if (name_in(n, rm_ra))
        return A64_SRC_RN | A64_SRC_RM | A64_SRC_RA;
    size_t len = strlen(n);
    bool reg_form = len > 2 && (!strcmp(n + len - 2, "_r") || !strcmp(n + len - 2, "_x"));
    if (name_in(n, rm) || (reg_form && !strcmp(group, "dp_reg")))
        return A64_SRC_RN | A64_SRC_RM;
    (void)cls;
    return A64_SRC_RN;
}

static A64TmOp classify_op(const char *n, const char *group)
{
    static const char *const cond[] = { "B_cond", "CBZ", "CBNZ", "TBZ", "TBNZ", NULL };
    static const char *const barrier[] = { "DSB", "DMB", "ISB", "SB", NULL };
    static const char *const sysreg[] = { "MSR_i", "MSR_r", "MRS", "SYS", "SYSL", NULL };
    static const char *const mul[] = { "MADD", "MSUB", "SMADDL", "SMSUBL", "UMADDL", "UMSUBL",
                                       "SMULH", "UMULH", "CRC32", NULL };
    static const char *const div[] = { "SDIV", "UDIV", NULL };
    static const char *const fdiv[] = { "FDIV", "FSQRT", "FDIV_v", "FSQRT_v", NULL };
    static const char *const mem[] = { "CAS", "CASP", "SWP", "LDOP", "LDAR", "STLR", "LDXR",
                                       "STXR", "LDXP", "STXP", "LDAPR", "LDR_lit", NULL };
    bool simd = !strcmp(group, "fp") || !strcmp(group, "simd_fp") ||
                !strcmp(group, "simd_int") || !strcmp(group, "crypto");
    if (!strcmp(n, "B"))
        return (A64TmOp){ TM_BRANCH, BR_DIRECT, 0, 0 };
    if (!strcmp(n, "BL"))
        return (A64TmOp){ TM_BRANCH, BR_CALL, 0, 0 };
    if (!strcmp(n, "BR"))
        return (A64TmOp){ TM_BRANCH, BR_INDIRECT, 0, 0 };
    if (!strcmp(n, "BLR"))
        return (A64TmOp){ TM_BRANCH, BR_CALL_INDIRECT, 0, 0 };
    if (!strcmp(n, "RET"))
        return (A64TmOp){ TM_BRANCH, BR_RET, 0, 0 };
    if (name_in(n, cond))
        return (A64TmOp){ TM_BRANCH, BR_COND, 0, 0 };
    if (!strcmp(n, "ERET"))
        return (A64TmOp){ TM_ERET, 0, 0, 0 };
    if (name_in(n, barrier))
        return (A64TmOp){ TM_BARRIER, 0, 0, 0 };
    if (name_in(n, sysreg))
        return (A64TmOp){ TM_SYSREG, 0, 0, 0 };
    if (name_in(n, mul))
        return (A64TmOp){ TM_MUL, 0, 0, 0 };
    if (name_in(n, div))
        return (A64TmOp){ TM_DIV, 0, 0, 0 };
    if (name_in(n, fdiv))
        return (A64TmOp){ TM_DIV, 0, 1, 0 };
    if (!strcmp(n, "LDRV_lit") || !strcmp(group, "ldst_simd"))
        return (A64TmOp){ TM_MEM, 0, 1, 0 };
    if (!strcmp(group, "ldst") || name_in(n, mem))
        return (A64TmOp){ TM_MEM, 0, 0, 0 };
    if (simd)
        return (A64TmOp){ TM_FP, 0, 1, 0 };
    return (A64TmOp){ TM_ALU, 0, 0, 0 };
}

static void op_info_init(void)
{
    for (int i = 0; i <= A64_NUM_OPS; i++)
        op_info[i] = (A64TmOp){ TM_ALU, 0, 0, 0 };
    for (int i = 0; i < a64_npatterns; i++) {
        const A64Pattern *p = &a64_patterns[i];
        if (p->op < A64_NUM_OPS) {
            op_info[p->op] = classify_op(p->name, p->group);
            op_info[p->op].src = sources(p->name, p->group, op_info[p->op].cls);
        }
    }
    op_info_ready = true;
}

void a64_timing_changed(void *cpu, TimingSys *s)
{
    Arm64Cpu *c = cpu;
    if (!op_info_ready)
        op_info_init();
    c->tms = s;
    c->tm = s ? &s->core[c->index] : NULL;
    c->pmu.model_events = s != NULL;
    c->tm_ctx_ok = 0;
    c->tm_line = 0;
}

/* ---- the translation context (tlbm_ctx) ---- */
/* The VMID in VTTBR_EL2, 8 or 16 bits as VTCR_EL2.VS says (0 without EL2). */
static unsigned vttbr_vmid(const Arm64Cpu *c)
{
    if (!c->has_el2)
        return 0;
    return (unsigned)(c->sys[A64_SYS_VTTBR_EL2] >> 48) &
           ((c->sys[A64_SYS_VTCR_EL2] >> 19) & 1 ? 0xffff : 0xff);
}

/* The ASID of a two-range regime: TTBR0's or TTBR1's as TCR.A1 says, 8 or 16 bits as TCR.AS
 * says. */
static unsigned regime_asid(uint64_t tcr, uint64_t ttbr0, uint64_t ttbr1)
{
    uint64_t ttbr = (tcr >> 22) & 1 ? ttbr1 : ttbr0;
    return (unsigned)(ttbr >> 48) & ((tcr >> 36) & 1 ? 0xffff : 0xff);
}

/* regime 0 = EL1&0 (tagged with the VMID), 1 = EL2, 2 = EL2&0; the ASID from TTBR0 or TTBR1
 * as TCR.A1 says, 8 or 16 bits as TCR.AS says. */
void a64_tm_ctx(Arm64Cpu *c)
{
    uint64_t hcr = a64_hcr(c);
    bool e2h = hcr & A64_HCR_E2H;
    unsigned regime, vmid = 0, asid = 0;
    bool mmu;
    if (c->el == 2 || (c->el == 0 && e2h && (hcr & A64_HCR_TGE))) {
        regime = e2h ? 2 : 1;
        mmu = c->sys[A64_SYS_SCTLR_EL2] & 1;
        if (e2h)
            asid = regime_asid(c->sys[A64_SYS_TCR_EL2], c->sys[A64_SYS_TTBR0_EL2],
                               c->sys[A64_SYS_TTBR1_EL2]);
    } else {
        regime = 0;
        bool tge = hcr & A64_HCR_TGE;
        bool s1 = (c->sys[A64_SYS_SCTLR_EL1] & 1) && !tge && !(hcr & A64_HCR_DC);
        bool s2 = c->has_el2 && (hcr & (A64_HCR_VM | A64_HCR_DC)) && !tge;
        mmu = s1 || s2;
        asid = regime_asid(c->sys[A64_SYS_TCR_EL1], c->sys[A64_SYS_TTBR0_EL1],
                           c->sys[A64_SYS_TTBR1_EL1]);
        vmid = vttbr_vmid(c);
    }
    c->tm_ctx = tlbm_ctx(regime, vmid, asid);
    c->tm_mmu = mmu;
    c->tm_vm = a64_current_vmid(c);
    tm_attribute(c->tms, c->tm, c->el, c->tm_vm);
    c->tm_ctx_ok = 1;
}

static inline uint64_t ctx_of(Arm64Cpu *c)
{
    if (!c->tm_ctx_ok)
        a64_tm_ctx(c);
    return c->tm_ctx;
}

/* ---- reports ---- */
void a64_tm_pa(Arm64Cpu *c, uint64_t va, uint64_t pa, unsigned size, bool write, bool device)
{
    TimingSys *s = c->tms;
    unsigned lb = c->tm->l1d.line_bits;
    uint64_t first = pa >> lb, last = (pa + (size ? size : 1) - 1) >> lb;
    c->tm_write |= write;
    if (first == last && c->tm_line == first + 1)
        return;               /* the line this instruction reported already */
    uint64_t ctx = ctx_of(c);
    for (uint64_t l = first; l <= last; l++) {
        /* one access per line per instruction: the paths that split an access (a slow path
         * storing in pieces, a fast path taking the whole) report the same */
        if (c->tm_line == l + 1)
            continue;
        c->tm_line = l + 1;
        uint64_t lva = va + ((l << lb) > pa ? (l << lb) - pa : 0);
        bool whole = write && pa <= (l << lb) && pa + size >= ((l + 1) << lb);
        tm_data(s, c->tm, c, lva, l << lb, write,
                device ? TM_ACC_DEVICE : whole ? TM_ACC_WHOLE_LINE : TM_ACC_CACHED, c->tm_mmu,
                ctx, c->el);
    }
}

void a64_tm_host(Arm64Cpu *c, uint64_t va, const uint8_t *h, unsigned size, bool write)
{
    Machine *m = c->m;
    uint64_t pa;
    if (h >= m->ram && h < m->ram + m->ram_size)
        pa = m->ram_base + (uint64_t)(h - m->ram);
    else   /* another RAM region (the flash): by its place on the bus, never by host address */
        pa = bus_host_to_pa(&m->bus, h);
    a64_tm_pa(c, va, pa, size, write, false);
}

void a64_tm_exception(Arm64Cpu *c)
{
    TmCore *k = c->tm;
    k->pend_stall += c->tms->cfg.lat_exception;
    k->stall[TM_ST_EXC] += c->tms->cfg.lat_exception;
    c->tm_ctx_ok = 0;         /* a new EL */
}

static inline unsigned reg_index(unsigned r, bool v)
{
    return v ? 34 + (r & 31) : r;
}

/* The guest's PMU events of this instruction (when an enabled counter counts them). */
static __attribute__((noinline, cold)) void pmu_events(Arm64Cpu *c, TmCore *k, int el,
                                                       bool branch, bool mispredict,
                                                       uint64_t stall_be)
{
    A64Pmu *p = &c->pmu;
    static const struct { unsigned ev; size_t off; } evs[] = {
        { A64_PMU_EV_L1I_CACHE_REFILL, offsetof(TmCore, ev.l1i_refill) },
        { A64_PMU_EV_L1D_CACHE_REFILL, offsetof(TmCore, ev.l1d_refill) },
        { A64_PMU_EV_L1D_CACHE, offsetof(TmCore, ev.l1d) },
        { A64_PMU_EV_L1D_TLB_REFILL, offsetof(TmCore, ev.tlb_refill) },
        { A64_PMU_EV_MEM_ACCESS, offsetof(TmCore, ev.l1d) },
        { A64_PMU_EV_L2D_CACHE_REFILL, offsetof(TmCore, ev.l2_refill) },
        { A64_PMU_EV_STALL_FRONTEND, offsetof(TmCore, ev.stall_fe) },
    };
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
        uint32_t n = *(const uint32_t *)((const char *)k + evs[i].off);
        if (n && a64_pmu_wants(p, evs[i].ev))
            a64_pmu_count(p, evs[i].ev, n, el);
    }
    if (branch && a64_pmu_wants(p, A64_PMU_EV_BR_PRED))
        a64_pmu_count(p, A64_PMU_EV_BR_PRED, 1, el);
    if (mispredict && a64_pmu_wants(p, A64_PMU_EV_BR_MIS_PRED))
        a64_pmu_count(p, A64_PMU_EV_BR_MIS_PRED, 1, el);
    if (stall_be && a64_pmu_wants(p, A64_PMU_EV_STALL_BACKEND))
        a64_pmu_count(p, A64_PMU_EV_STALL_BACKEND, stall_be, el);
}

/* EV_TIMING: what this instruction met in the model, one event per kind. */
static __attribute__((noinline, cold)) void publish(Arm64Cpu *c, const TmCore *k, uint64_t pc,
                                                    int el, bool mispredict, uint64_t cycles)
{
    const struct { const char *what; uint32_t n; } kinds[] = {
        { "l1i_miss", k->ev.l1i_refill }, { "l1d_miss", k->ev.l1d_refill },
        { "l2_miss", k->ev.l2_refill }, { "walk", k->ev.walks }, { "mispredict", mispredict },
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (!kinds[i].n)
            continue;
        EvInfo e = { .kind = EV_TIMING, .cpu = c->index, .el = el, .vmid = a64_current_vmid(c),
                     .pc = pc, .time = a64_now(c),
                     .u.timing = { kinds[i].what, kinds[i].n, k->ev.last_va, k->ev.last_pa, cycles } };
        if (ev_publish(&c->m->events, &e))
            a64_pause_after(c);
    }
}

void a64_tm_retire(Arm64Cpu *c, const A64Insn *d, uint64_t pc, uint64_t next, int el,
                   uint64_t cyc_start)
{
    TimingSys *s = c->tms;
    TmCore *k = c->tm;
    const TmConfig *cfg = &s->cfg;
    A64TmOp o = op_info[d->op < A64_NUM_OPS ? d->op : A64_NUM_OPS];
    uint32_t raw = d->raw;
    if (o.cls == TM_SYSREG && ((raw >> 12) & 0xf) == 8 && ((raw >> 19) & 3) == 1)
        o.cls = TM_TLBI;      /* SYS with CRn = 8: TLB maintenance */
    bool mem = o.cls == TM_MEM;
    bool vsrc = o.vregs && !mem;
    uint64_t issue = k->cyc;
#define SRC(r, v)                                                                        \
    do {                                                                                 \
        uint64_t t_ = k->ready[reg_index(r, v)];                                          \
        issue = issue > t_ ? issue : t_;                                                 \
    } while (0)
    /* sources: the fields the operation reads, and the others the decode filled in */
    if (!(o.src & A64_SRC_NONE) && (d->rn || (o.src & A64_SRC_RN)))
        SRC(d->rn, vsrc);
    if (!mem) {
        if (d->rm || (o.src & A64_SRC_RM))
            SRC(d->rm, vsrc);
        if ((d->ra || (o.src & A64_SRC_RA)) && o.cls != TM_BRANCH)
            SRC(d->ra, vsrc);
    } else if (c->tm_write) {
        SRC(d->rd, o.vregs);  /* the data a store writes */
    }
#undef SRC
    uint64_t dep = issue - k->cyc;
    uint64_t done = issue + k->pend_stall;
    uint64_t stall_be = dep + k->pend_stall;
    unsigned dst = reg_index(d->rd, o.vregs);
    switch (o.cls) {
    case TM_MEM:
        if (!c->tm_write)     /* a load: its register waits for the data */
            k->ready[dst] = done + (k->pend_hit ? cfg->l1d.latency : 0);
        k->cyc = done + 1;
        break;
    case TM_SYSREG: case TM_BARRIER: case TM_ERET: case TM_TLBI:
        k->cyc = done + cfg->lat[o.cls];   /* serialising: nothing overlaps them */
        stall_be += cfg->lat[o.cls] - 1;
        k->stall[TM_ST_EXEC] += cfg->lat[o.cls] - 1;
        if (o.cls != TM_BARRIER)
            c->tm_ctx_ok = 0;              /* a translation control or the EL may change */
        break;
    default:
        if (o.cls != TM_BRANCH)
            k->ready[dst] = done + cfg->lat[o.cls];
        if (cfg->issue_width > 1 && k->pend_stall == 0 && k->slot_cycle != issue &&
            (o.cls == TM_ALU || o.cls == TM_BRANCH)) {
            k->slot_cycle = issue;          /* the first of a pair: the next may issue too */
            k->cyc = issue;
        } else {
            k->cyc = done + 1;
        }
        break;
    }
    k->ready[A64_ZR] = 0;
    bool mis = false;
    if (o.cls == TM_BRANCH)
        mis = tm_branch(s, k, (BrKind)o.br, pc, next != pc + 4, next);
    k->stall[TM_ST_DEP] += dep;
    k->insns++;               /* counted to its EL and VM at their next change */
    if (unlikely(c->pmu.events))
        pmu_events(c, k, el, o.cls == TM_BRANCH, mis, stall_be);
    if (unlikely(ev_wants(&c->m->events, EV_TIMING)))
        publish(c, k, pc, el, mis, k->cyc - cyc_start);
    k->pend_stall = 0;
    k->pend_hit = 0;
    memset(&k->ev, 0, sizeof k->ev);
    c->tm_line = 0;
    c->tm_write = 0;
}

/* ---- maintenance ---- */
/* TLBI <op>{, Xt} (C5.5, D8.13): op1:CRm:op2 name the form. The model's TLBs of every core
 * for the broadcast (IS/OS) forms, of this core otherwise. */
void a64_tm_tlbi(Arm64Cpu *c, uint32_t raw, uint64_t xt)
{
    unsigned op1 = (raw >> 16) & 7, crm = (raw >> 8) & 0xf, op2 = (raw >> 5) & 7;
    bool bcast = crm == 3 || crm == 1 || crm == 0 || crm == 5 || crm == 2;   /* IS, OS forms */
    uint64_t hcr = a64_hcr(c);
    bool e2h = hcr & A64_HCR_E2H, tge = hcr & A64_HCR_TGE;
    unsigned vmid = vttbr_vmid(c);
    TlbmInv inv = { .va = (xt & 0xfffffffffffULL) << 12, .asid = (unsigned)(xt >> 48),
                    .ipa = (xt & 0xfffffffffULL) << 12 };
    bool last = false;
    /* the EL1 forms (op1 = 0) name the EL1&0 regime, or EL2&0 at EL2 with E2H and TGE */
    unsigned el1_regime = c->el == 2 && e2h && tge ? 2 : 0;
    if (op1 == 0) {
        inv.regime = el1_regime;
        inv.vmid = el1_regime ? 0 : vmid;
        inv.match_vmid = true;
        switch (op2) {
        case 0: inv.kind = TLBM_INV_REGIME; break;                       /* VMALLE1 */
        case 1: inv.kind = TLBM_INV_VA; break;                           /* VAE1 */
        case 2: inv.kind = TLBM_INV_ASID; break;                         /* ASIDE1 */
        case 3: inv.kind = TLBM_INV_VA; inv.any_asid = true; break;      /* VAAE1 */
        case 5: inv.kind = TLBM_INV_VA; last = true; break;              /* VALE1 */
        case 7: inv.kind = TLBM_INV_VA; inv.any_asid = true; last = true; break;  /* VAALE1 */
        default: inv.kind = TLBM_INV_REGIME; break;
        }
    } else if (op1 == 4) {
        switch (crm == 0 || crm == 4 ? 100 + op2 : op2) {
        case 101: case 105:                                              /* IPAS2(L)E1 */
            inv.kind = TLBM_INV_IPA; inv.regime = 0; inv.vmid = vmid; last = op2 == 5;
            break;
        case 0:                                                          /* ALLE2 */
            inv.kind = TLBM_INV_REGIME; inv.regime = e2h ? 2 : 1;
            break;
        case 1: case 5:                                                  /* VAE2, VALE2 */
            inv.kind = TLBM_INV_VA; inv.regime = e2h ? 2 : 1; inv.any_asid = !e2h; last = op2 == 5;
            break;
        case 4:                                                          /* ALLE1 */
            inv.kind = TLBM_INV_REGIME; inv.regime = 0;
            break;
        case 6:                                                          /* VMALLS12E1 */
            inv.kind = TLBM_INV_VMID_ANY_REGIME; inv.regime = 0; inv.vmid = vmid;
            break;
        default:
            inv.kind = TLBM_INV_ALL;
            break;
        }
    } else {
        inv.kind = TLBM_INV_ALL;
    }
    Machine *m = c->m;
    for (int i = 0; i < m->ncpus; i++) {
        Arm64Cpu *o = (Arm64Cpu *)m->cpus[i].obj;
        if ((bcast || o == c) && o->tm)
            tm_tlbi(o->tm, &inv, last);
    }
}

/* DC ISW/CSW/CISW: Xt = Level[3:1], SetWay (way in the top bits, set above the line bits). */
static void dc_setway(Arm64Cpu *c, uint64_t xt, bool clean, bool inval)
{
    const TmConfig *cfg = &c->tms->cfg;
    unsigned level = (unsigned)(xt >> 1) & 7;
    const CacheGeom *g = level == 0 ? &cfg->l1d : &cfg->l2;
    uint32_t ways = g->ways, sets = g->size / (g->ways * g->line);
    unsigned a = ways > 1 ? 32 - (unsigned)__builtin_clz(ways - 1) : 0;
    unsigned l = (unsigned)__builtin_ctz(g->line);
    uint32_t way = a ? (uint32_t)(xt >> (32 - a)) & (ways - 1) : 0;
    uint32_t set = (uint32_t)(xt >> l) & (sets - 1);
    tm_dc_setway(c->tms, c->tm, level, set, way, clean, inval);
}

static void ic_all(Arm64Cpu *c, bool all_cores)
{
    Machine *m = c->m;
    for (int i = 0; i < m->ncpus; i++) {
        Arm64Cpu *o = (Arm64Cpu *)m->cpus[i].obj;
        if ((all_cores || o == c) && o->tm)
            tm_ic_all(o->tm);
    }
}

/* DC/IC (C5.3): op1:CRn:CRm:op2. By VA to the Point of Coherency or Unification: the line in
 * every core's L1D and the L2 (the translation as the debugger's: no fault is taken here, the
 * functional path decides those). */
void a64_tm_maint(Arm64Cpu *c, uint32_t raw, uint64_t xt)
{
    unsigned op1 = (raw >> 16) & 7, crn = (raw >> 12) & 0xf, crm = (raw >> 8) & 0xf;
    unsigned op2 = (raw >> 5) & 7;
    if (crn != 7)
        return;
    if (op1 == 0 && op2 == 0 && (crm == 1 || crm == 5)) {
        ic_all(c, crm == 1);                             /* IC IALLUIS, IALLU */
        return;
    }
    if (op1 == 3 && crm == 5 && op2 == 1) {
        ic_all(c, true);                                 /* IC IVAU: the whole L1I, all cores */
        return;
    }
    if (op1 == 0 && op2 == 2) {                          /* DC ISW, CSW, CISW */
        dc_setway(c, xt, crm == 10 || crm == 14, crm == 6 || crm == 14);
        return;
    }
    bool clean = crm == 10 || crm == 11 || crm == 12 || crm == 13 || crm == 14;
    bool inval = crm == 6 || crm == 14;
    if (!clean && !inval)
        return;
    uint64_t pa;
    if (a64_debug_translate(c, xt, &pa))
        tm_dc(c->tms, c->tm, pa, clean, inval);
}
