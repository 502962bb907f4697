/* PMUv3 (Arm ARM DDI 0487 chapter D13): event counters, cycle counter, EL filtering, the
 * MDCR_EL2.HPMN partition, EL0/EL2 access control and the overflow interrupt. See pmu.h for
 * the lazy-counting contract with the CPU.
 *
 * The pseudocode this follows: CountEvents(n) (D13, "Enabling event counters" and
 * "Filtering by Exception level"), CheckForPMUOverflow() (the interrupt request) and the
 * "Accessing" pseudocode of each register in D17/D19. */
#include "cpu/arm64/pmu.h"
#include <stddef.h>
#include <string.h>

#define N A64_PMU_NCOUNTERS
#define CC A64_PMU_CYCLE_IDX
#define CC_BIT (1ull << CC)
#define EV_BITS ((1ull << N) - 1)
/* Writable PMCR bits: X is RAZ/WI (no export), LP RES0 (no PMUv3p5); P and C act, not stored. */
#define PMCR_STORED (A64_PMCR_E | A64_PMCR_D | A64_PMCR_DP | A64_PMCR_LC)
#define TWO32 (1ull << 32)

static const StateField pmu_fields[] = {
    STATE_FIELD(A64Pmu, pmcr, V_REL),
    STATE_FIELD(A64Pmu, cnten, V_REL),
    STATE_FIELD(A64Pmu, ovs, V_REL),
    STATE_FIELD(A64Pmu, inten, V_REL),
    STATE_FIELD(A64Pmu, selr, V_RANGE(0, 31)),
    STATE_FIELD(A64Pmu, userenr, V_RANGE(0, 15)),
    STATE_FIELD(A64Pmu, ccntr, V_ANY),
    STATE_FIELD(A64Pmu, ccfiltr, V_ANY),
    STATE_ARRAY(A64Pmu, evcntr, V_RANGE(0, 0xffffffffu)),
    STATE_ARRAY(A64Pmu, evtyper, V_REL),
    STATE_FIELD(A64Pmu, cc_prescale, V_RANGE(0, 63)),
    STATE_FIELD(A64Pmu, last_insns, V_ANY),
    STATE_FIELD(A64Pmu, last_cycles, V_ANY),
    STATE_DERIVED(A64Pmu, mdcr),
    STATE_DERIVED(A64Pmu, events),
    STATE_DERIVED(A64Pmu, has_el2),
    STATE_DERIVED(A64Pmu, level),
    STATE_RUNTIME(A64Pmu, model_events),
    STATE_RUNTIME(A64Pmu, pad_),
    STATE_RUNTIME(A64Pmu, pmcr_id),
    STATE_RUNTIME(A64Pmu, irq),
};
/* Relations: only the bits a guest's writes can set (last_insns/last_cycles are running
 * totals: any value only shifts the next interval's counts). */
static bool pmu_check_state(const void *obj, char **err)
{
    const A64Pmu *p = obj;
    const uint64_t counters = EV_BITS | CC_BIT;
    const uint64_t types = A64_PMEVTYPER_P | A64_PMEVTYPER_U | A64_PMEVTYPER_NSH | A64_PMEVTYPER_EVT;
    const char *bad = p->pmcr & ~PMCR_STORED ? "pmcr"
                      : p->cnten & ~counters ? "cnten"
                      : p->ovs & ~counters   ? "ovs"
                      : p->inten & ~counters ? "inten"
                                             : NULL;
    for (unsigned n = 0; n < N && !bad; n++)
        if (p->evtyper[n] & ~types)
            bad = "evtyper";
    if (bad)
        *err = g_strdup_printf("%s has bits set that the PMU does not implement", bad);
    return !bad;
}
const StateDesc a64_pmu_state_desc = STATE_DESC_CHECKED("pmu", A64Pmu, pmu_fields, pmu_check_state);

/* PMCEID0_EL0 bit e: common event e (0x00-0x1f) implemented; PMCEID1_EL0 bit e: event
 * 0x20 + e. The upper halves (events 0x4000+, PMUv3p1) are 0. */
#define PMCEID0 ((1ull << A64_PMU_EV_SW_INCR) | (1ull << A64_PMU_EV_INST_RETIRED) | \
                 (1ull << A64_PMU_EV_EXC_TAKEN) | (1ull << A64_PMU_EV_EXC_RETURN) | \
                 (1ull << A64_PMU_EV_CPU_CYCLES) | (1ull << A64_PMU_EV_CHAIN))
#define PMCEID1 (1ull << (A64_PMU_EV_BR_RETIRED - 0x20))
/* and with a cycle model, its events */
#define PMCEID0_MODEL ((1ull << A64_PMU_EV_L1I_CACHE_REFILL) | (1ull << A64_PMU_EV_L1D_CACHE_REFILL) | \
                       (1ull << A64_PMU_EV_L1D_CACHE) | (1ull << A64_PMU_EV_L1D_TLB_REFILL) | \
                       (1ull << A64_PMU_EV_BR_MIS_PRED) | (1ull << A64_PMU_EV_BR_PRED) | \
                       (1ull << A64_PMU_EV_MEM_ACCESS) | (1ull << A64_PMU_EV_L2D_CACHE_REFILL))
#define PMCEID1_MODEL ((1ull << (A64_PMU_EV_STALL_FRONTEND - 0x20)) | \
                       (1ull << (A64_PMU_EV_STALL_BACKEND - 0x20)))

/* ---- counting rules ---- */

/* MDCR_EL2.HPMN as it takes effect: values above N are CONSTRAINED UNPREDICTABLE, treated
 * as N. Without EL2 no counter is reserved. */
static unsigned hpmn(const A64Pmu *p)
{
    if (!p->has_el2)
        return N;
    unsigned h = (unsigned)(p->mdcr & A64_MDCR_HPMN);
    return h > N ? N : h;
}

/* The enable of CountEvents(n): counters reserved for EL2 (n >= HPMN) are enabled by
 * MDCR_EL2.HPME instead of PMCR_EL0.E (D13 "Enabling event counters"). */
static bool range_enabled(const A64Pmu *p, unsigned n)
{
    if (n != CC && n >= hpmn(p))
        return p->mdcr & A64_MDCR_HPME;
    return p->pmcr & A64_PMCR_E;
}

static bool counter_enabled(const A64Pmu *p, unsigned n)
{
    return ((p->cnten >> n) & 1) && range_enabled(p, n);
}

/* The filter of CountEvents(n) without EL3 (everything Non-secure): at EL0 U, at EL1 P
 * exclude; at EL2 the counter counts only if NSH is 1. */
static bool filter_allows(const A64Pmu *p, uint64_t filter, int el)
{
    switch (el) {
    case 0: return !(filter & A64_PMEVTYPER_U);
    case 1: return !(filter & A64_PMEVTYPER_P);
    case 2: return p->has_el2 && (filter & A64_PMEVTYPER_NSH);
    default: return false;
    }
}

static bool counting(const A64Pmu *p, unsigned n, int el)
{
    uint64_t filter = n == CC ? p->ccfiltr : p->evtyper[n];
    return counter_enabled(p, n) && filter_allows(p, filter, el);
}

static unsigned event_of(const A64Pmu *p, unsigned n)
{
    return (unsigned)(p->evtyper[n] & A64_PMEVTYPER_EVT);
}

/* CheckForPMUOverflow(): the interrupt request does not depend on PMCNTENSET. */
static bool irq_request(const A64Pmu *p)
{
    uint64_t pend = p->ovs & p->inten;
    if ((pend & CC_BIT) && (p->pmcr & A64_PMCR_E))
        return true;
    for (unsigned n = 0; n < N; n++)
        if (((pend >> n) & 1) && range_enabled(p, n))
            return true;
    return false;
}

/* Rebuilds the derived event mask and drives the output if its level changed. */
static void refresh(A64Pmu *p)
{
    uint64_t ev = 0;
    for (unsigned n = 0; n < N; n++) {
        unsigned e = event_of(p, n);
        if (counter_enabled(p, n) && e < 64)
            ev |= 1ull << e;
    }
    p->events = ev;
    uint8_t level = irq_request(p);
    if (level != p->level) {
        p->level = level;
        irq_set(&p->irq, level);
    }
}

/* Adds d to 32-bit event counter n; an unsigned carry out of bit 31 sets PMOVSSET<n>. An
 * even counter's overflow is the CHAIN event (0x1e) of the odd counter above it: counted there
 * when that counter is enabled and counts CHAIN (the pair is one 64-bit counter). d adds at
 * most one overflow: the CPU syncs more often than every 2^32 events. */
static bool add_event(A64Pmu *p, unsigned n, uint64_t d)
{
    uint64_t v = p->evcntr[n];
    bool ovf = d >= TWO32 - v;
    p->evcntr[n] = (uint32_t)(v + d);
    if (ovf) {
        p->ovs |= 1ull << n;
        if (!(n & 1) && n + 1 < N && event_of(p, n + 1) == A64_PMU_EV_CHAIN &&
            counter_enabled(p, n + 1))
            add_event(p, n + 1, 1);
    }
    return ovf;
}

/* Adds `ticks` to PMCCNTR_EL0. Overflow: carry out of bit 31 (LC == 0) or bit 63 (LC == 1)
 * (PMCR_EL0.LC). */
static bool add_cycles(A64Pmu *p, uint64_t ticks)
{
    uint64_t v = p->ccntr;
    bool ovf;
    if (p->pmcr & A64_PMCR_LC)
        ovf = v + ticks < v;
    else
        ovf = ticks >= TWO32 - (v & 0xffffffffu);
    p->ccntr = v + ticks;
    if (ovf)
        p->ovs |= CC_BIT;
    return ovf;
}

/* ---- lifecycle ---- */

void a64_pmu_init(A64Pmu *p, IrqLine overflow_irq)
{
    memset(p, 0, sizeof *p);
    p->irq = overflow_irq;
    a64_pmu_set_id(p, 0x41, 0x01);
    a64_pmu_reset(p);
}

void a64_pmu_connect(A64Pmu *p, IrqLine overflow_irq)
{
    p->irq = overflow_irq;
    irq_set(&p->irq, p->level);
}

void a64_pmu_set_id(A64Pmu *p, uint8_t imp, uint8_t idcode)
{
    p->pmcr_id = (uint32_t)imp << 24 | (uint32_t)idcode << 16;
}

void a64_pmu_reset(A64Pmu *p)
{
    p->pmcr = p->cnten = p->ovs = p->inten = p->selr = p->userenr = 0;
    p->ccntr = p->ccfiltr = p->cc_prescale = 0;
    memset(p->evcntr, 0, sizeof p->evcntr);
    memset(p->evtyper, 0, sizeof p->evtyper);
    refresh(p);
    irq_set(&p->irq, p->level);
}

void a64_pmu_set_mdcr(A64Pmu *p, bool has_el2, uint64_t mdcr_el2)
{
    p->has_el2 = has_el2;
    p->mdcr = has_el2 ? mdcr_el2 : 0;
    p->level = (uint8_t)!irq_request(p);   /* force refresh() to drive the line */
    refresh(p);
}

/* ---- counting ---- */

void a64_pmu_sync(A64Pmu *p, uint64_t insns_total, uint64_t cycles_total, int el)
{
    uint64_t di = insns_total - p->last_insns, dc = cycles_total - p->last_cycles;
    p->last_insns = insns_total;
    p->last_cycles = cycles_total;
    if (!(di | dc) || !(p->cnten & (EV_BITS | CC_BIT)))
        return;
    bool ovf = false;
    for (unsigned n = 0; n < N; n++) {
        if (!counting(p, n, el))
            continue;
        unsigned e = event_of(p, n);
        uint64_t d = e == A64_PMU_EV_INST_RETIRED ? di : e == A64_PMU_EV_CPU_CYCLES ? dc : 0;
        if (d)
            ovf |= add_event(p, n, d);
    }
    if (dc && counting(p, CC, el)) {
        uint64_t ticks = dc;
        if (p->pmcr & A64_PMCR_D) {
            /* PMCR_EL0.D: one increment every 64 cycles; the remainder carries over. */
            uint64_t t = p->cc_prescale + dc;
            ticks = t / 64;
            p->cc_prescale = t % 64;
        }
        if (ticks)
            ovf |= add_cycles(p, ticks);
    }
    if (ovf)
        refresh(p);
}

void a64_pmu_count(A64Pmu *p, unsigned event, uint64_t n, int el)
{
    if (!a64_pmu_wants(p, event) || !n || event == A64_PMU_EV_INST_RETIRED ||
        event == A64_PMU_EV_CPU_CYCLES)
        return;
    bool ovf = false;
    for (unsigned i = 0; i < N; i++)
        if (event_of(p, i) == event && counting(p, i, el))
            ovf |= add_event(p, i, n);
    if (ovf)
        refresh(p);
}

/* Whether an overflow of counter n could raise the output now. */
static bool overflow_matters(const A64Pmu *p, unsigned n, int el)
{
    return ((p->inten >> n) & 1) && !((p->ovs >> n) & 1) && counting(p, n, el);
}

uint64_t a64_pmu_insns_until_overflow(const A64Pmu *p, int el)
{
    uint64_t best = UINT64_MAX;
    for (unsigned n = 0; n < N; n++)
        if (event_of(p, n) == A64_PMU_EV_INST_RETIRED && overflow_matters(p, n, el)) {
            uint64_t k = TWO32 - p->evcntr[n];
            if (k < best)
                best = k;
        }
    return best;
}

uint64_t a64_pmu_cycles_until_overflow(const A64Pmu *p, int el)
{
    uint64_t best = UINT64_MAX;
    for (unsigned n = 0; n < N; n++)
        if (event_of(p, n) == A64_PMU_EV_CPU_CYCLES && overflow_matters(p, n, el)) {
            uint64_t k = TWO32 - p->evcntr[n];
            if (k < best)
                best = k;
        }
    if (overflow_matters(p, CC, el)) {
        uint64_t ticks;       /* increments of PMCCNTR until the overflowing one */
        if (p->pmcr & A64_PMCR_LC)
            ticks = p->ccntr ? 0 - p->ccntr : UINT64_MAX;   /* 2^64 saturates */
        else
            ticks = TWO32 - (p->ccntr & 0xffffffffu);
        uint64_t k = ticks;
        if (p->pmcr & A64_PMCR_D)
            k = ticks > (UINT64_MAX - 63) / 64 ? UINT64_MAX : ticks * 64 - p->cc_prescale;
        if (k < best)
            best = k;
    }
    return best;
}

/* ---- register access ---- */

enum PmuReg {
    R_PMCR, R_CNTENSET, R_CNTENCLR, R_OVSCLR, R_SWINC, R_SELR, R_CEID0, R_CEID1, R_CCNTR,
    R_XEVTYPER, R_XEVCNTR, R_USERENR, R_INTENSET, R_INTENCLR, R_OVSSET, R_EVCNTR, R_EVTYPER,
    R_CCFILTR,
};

/* Identifies key; *idx receives the counter number of PMEVCNTR<n>/PMEVTYPER<n>. */
static int decode(uint32_t key, unsigned *idx)
{
    switch (key) {
    case A64_PMCR_EL0: return R_PMCR;
    case A64_PMCNTENSET_EL0: return R_CNTENSET;
    case A64_PMCNTENCLR_EL0: return R_CNTENCLR;
    case A64_PMOVSCLR_EL0: return R_OVSCLR;
    case A64_PMSWINC_EL0: return R_SWINC;
    case A64_PMSELR_EL0: return R_SELR;
    case A64_PMCEID0_EL0: return R_CEID0;
    case A64_PMCEID1_EL0: return R_CEID1;
    case A64_PMCCNTR_EL0: return R_CCNTR;
    case A64_PMXEVTYPER_EL0: return R_XEVTYPER;
    case A64_PMXEVCNTR_EL0: return R_XEVCNTR;
    case A64_PMUSERENR_EL0: return R_USERENR;
    case A64_PMINTENSET_EL1: return R_INTENSET;
    case A64_PMINTENCLR_EL1: return R_INTENCLR;
    case A64_PMOVSSET_EL0: return R_OVSSET;
    case A64_PMCCFILTR_EL0: return R_CCFILTR;
    }
    /* op0 3, op1 3, CRn 14, CRm 0b10xx / 0b11xx */
    if ((key & ~(uint32_t)0x3f) == (A64_PMEVCNTR_EL0(0) & ~(uint32_t)0x3f) ||
        (key & ~(uint32_t)0x3f) == (A64_PMEVTYPER_EL0(0) & ~(uint32_t)0x3f)) {
        *idx = key & 0x1f;
        return (key & 0x20) ? R_EVTYPER : R_EVCNTR;
    }
    return -1;
}

/* Counters software at this EL may use: GetNumEventCountersAccessible(). */
static unsigned accessible(const A64Pmu *p, const A64PmuCtx *ctx)
{
    if (p->has_el2 && ctx->el < 2 && !(ctx->el == 0 && ctx->el0_in_host))
        return hpmn(p);
    return N;
}

/* Bits of PMCNTEN/PMOVS/PMINTEN/PMSWINC visible at this EL: bits of counters reserved for
 * EL2 are RAZ/WI at EL0/EL1. */
static uint64_t visible_mask(const A64Pmu *p, const A64PmuCtx *ctx)
{
    return ((1ull << accessible(p, ctx)) - 1) | CC_BIT;
}

/* The access checks, in the priority of the registers' "Accessing" pseudocode. */
static A64PmuAccess check(const A64Pmu *p, int r, unsigned idx, bool write,
                          const A64PmuCtx *ctx)
{
    int el = ctx->el;
    /* Direction: PMSWINC is write-only, PMCEID0/1 read-only (the other direction of the
     * encoding is unallocated). */
    if ((r == R_SWINC && !write) || ((r == R_CEID0 || r == R_CEID1) && write))
        return A64_PMU_UNDEF;
    if ((r == R_EVCNTR || r == R_EVTYPER) &&
        (idx >= N || (el < 2 && idx >= accessible(p, ctx))))
        return A64_PMU_UNDEF;
    if (el == 0) {
        if (r == R_INTENSET || r == R_INTENCLR || (r == R_USERENR && write))
            return A64_PMU_UNDEF;
        uint64_t en = p->userenr;
        bool ok;
        switch (r) {
        case R_USERENR: ok = true; break;
        case R_SWINC: ok = en & (A64_PMUSERENR_EN | A64_PMUSERENR_SW); break;
        case R_CCNTR: ok = (en & A64_PMUSERENR_EN) || (!write && (en & A64_PMUSERENR_CR)); break;
        case R_EVCNTR:
        case R_XEVCNTR: ok = (en & A64_PMUSERENR_EN) || (!write && (en & A64_PMUSERENR_ER)); break;
        case R_SELR: ok = en & (A64_PMUSERENR_EN | A64_PMUSERENR_ER); break;
        default: ok = en & A64_PMUSERENR_EN; break;
        }
        if (!ok)
            return A64_PMU_TRAP_EL1;
    }
    if (el < 2 && p->has_el2) {
        if (r == R_PMCR && (p->mdcr & A64_MDCR_TPMCR) && !(el == 0 && ctx->el0_in_host))
            return A64_PMU_TRAP_EL2;
        if (p->mdcr & A64_MDCR_TPM)
            return A64_PMU_TRAP_EL2;
    }
    return A64_PMU_OK;
}

/* PMCR_EL0.P: at EL0/EL1 only the counters not reserved for EL2 are reset. */
static void write_pmcr(A64Pmu *p, uint64_t v, const A64PmuCtx *ctx)
{
    p->pmcr = v & PMCR_STORED;
    if (v & A64_PMCR_P)
        for (unsigned n = 0; n < accessible(p, ctx); n++)
            p->evcntr[n] = 0;
    if (v & A64_PMCR_C) {
        p->ccntr = 0;
        p->cc_prescale = 0;
    }
}

static uint64_t read_pmcr(const A64Pmu *p, const A64PmuCtx *ctx)
{
    /* N reads as MDCR_EL2.HPMN at EL0/EL1 when EL2 is implemented (PMCR_EL0.N). */
    return p->pmcr_id | (uint64_t)accessible(p, ctx) << A64_PMCR_N_SHIFT | p->pmcr;
}

static uint64_t type_mask(const A64Pmu *p)
{
    return A64_PMEVTYPER_P | A64_PMEVTYPER_U | (p->has_el2 ? A64_PMEVTYPER_NSH : 0);
}

/* Event counter n through PMXEV* / PMEV*; rw on *val. */
static void access_evcntr(A64Pmu *p, unsigned n, bool write, uint64_t *val)
{
    if (write)
        p->evcntr[n] = (uint32_t)*val;
    else
        *val = p->evcntr[n];
}

static void access_evtyper(A64Pmu *p, unsigned n, bool write, uint64_t *val)
{
    if (write)
        p->evtyper[n] = *val & (type_mask(p) | A64_PMEVTYPER_EVT);
    else
        *val = p->evtyper[n];
}

static void access_ccfiltr(A64Pmu *p, bool write, uint64_t *val)
{
    if (write)
        p->ccfiltr = *val & type_mask(p);
    else
        *val = p->ccfiltr;
}

static void swinc(A64Pmu *p, uint64_t v, const A64PmuCtx *ctx)
{
    /* PMSWINC_EL0: bits of counters reserved for EL2 are ignored at EL0/EL1; the increment
     * is an event like any other (enable and EL filter apply). refresh() follows. */
    v &= visible_mask(p, ctx) & EV_BITS;
    for (unsigned n = 0; n < N; n++)
        if (((v >> n) & 1) && event_of(p, n) == A64_PMU_EV_SW_INCR && counting(p, n, ctx->el))
            add_event(p, n, 1);
}

A64PmuAccess a64_pmu_sysreg(A64Pmu *p, uint32_t key, bool write, uint64_t *val,
                            const A64PmuCtx *ctx)
{
    unsigned idx = 0;
    int r = decode(key, &idx);
    if (r < 0)
        return A64_PMU_NONE;
    A64PmuAccess a = check(p, r, idx, write, ctx);
    if (a != A64_PMU_OK)
        return a;
    a64_pmu_sync(p, ctx->insns_total, ctx->cycles_total, ctx->el);
    uint64_t vis = visible_mask(p, ctx);
    uint64_t v = write ? *val : 0;
    unsigned sel = (unsigned)p->selr;
    /* PMSELR_EL0.SEL beyond the counters this EL may use (other than 31 for PMXEVTYPER) is
     * CONSTRAINED UNPREDICTABLE: PMXEVTYPER/PMXEVCNTR are RAZ/WI here (QEMU's choice). */
    bool sel_ok = sel < accessible(p, ctx);
    switch (r) {
    case R_PMCR:
        if (write)
            write_pmcr(p, v, ctx);
        else
            v = read_pmcr(p, ctx);
        break;
    case R_CNTENSET:
    case R_CNTENCLR:
        if (write && r == R_CNTENSET)
            p->cnten |= v & vis & (EV_BITS | CC_BIT);
        else if (write)
            p->cnten &= ~(v & vis);
        v = p->cnten & vis;
        break;
    case R_OVSSET:
    case R_OVSCLR:
        if (write && r == R_OVSSET)
            p->ovs |= v & vis & (EV_BITS | CC_BIT);
        else if (write)
            p->ovs &= ~(v & vis);
        v = p->ovs & vis;
        break;
    case R_INTENSET:
    case R_INTENCLR:
        if (write && r == R_INTENSET)
            p->inten |= v & vis & (EV_BITS | CC_BIT);
        else if (write)
            p->inten &= ~(v & vis);
        v = p->inten & vis;
        break;
    case R_SWINC:
        swinc(p, v, ctx);
        break;
    case R_SELR:
        if (write)
            p->selr = v & 0x1f;
        v = p->selr;
        break;
    case R_CEID0: v = PMCEID0 | (p->model_events ? PMCEID0_MODEL : 0); break;
    case R_CEID1: v = PMCEID1 | (p->model_events ? PMCEID1_MODEL : 0); break;
    case R_CCNTR:
        if (write)
            p->ccntr = v;
        v = p->ccntr;
        break;
    case R_USERENR:
        if (write)
            p->userenr = v & 0xf;
        v = p->userenr;
        break;
    case R_XEVTYPER:
        if (sel == CC)
            access_ccfiltr(p, write, &v);
        else if (sel_ok)
            access_evtyper(p, sel, write, &v);
        else
            v = 0;
        break;
    case R_XEVCNTR:
        if (sel_ok)
            access_evcntr(p, sel, write, &v);
        else
            v = 0;
        break;
    case R_EVCNTR: access_evcntr(p, idx, write, &v); break;
    case R_EVTYPER: access_evtyper(p, idx, write, &v); break;
    case R_CCFILTR: access_ccfiltr(p, write, &v); break;
    }
    if (write)
        refresh(p);
    else
        *val = v;
    return A64_PMU_OK;
}
