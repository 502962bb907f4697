/* AArch64 core: lifecycle, the decoded-page cache and the run loop.
 *
 * Guest code is decoded lazily, one instruction at a time, into a per-physical-page array
 * of A64Insn (every slot starts as a "decode me" stub that replaces itself on first
 * execution). The run loop then just chains executors: d = d->fn(c, d). Writes to a page
 * holding decoded code take the store slow path (the soft TLB refuses write entries for such
 * pages) and drop the decoded page on every core. */
#include <stdlib.h>
#include <string.h>
#include "cpu/arm64/cpu.h"
#include "cpu/arm64/debug.h"
#include "cpu/arm64/regs.h"
#include "cpu/arm64/sysreg.h"
#include "cpu/arm64/timing.h"
#include "devices/arch_timer.h"
#include "a64_decode_gen.h"

#define A64_CHAIN_STACK (256 * 1024)
#define PAGE_CACHE_MAX 8192   /* decoded pages per core before the cache is flushed */

/* ---- state description (hash, snapshots) ---- */
static const StateField a64_fields[] = {
    STATE_ARRAY(Arm64Cpu, x, V_REL),
    STATE_FIELD(Arm64Cpu, pc, V_ANY),
    STATE_FIELD(Arm64Cpu, nf, V_BOOL),
    STATE_FIELD(Arm64Cpu, zf, V_BOOL),
    STATE_FIELD(Arm64Cpu, cf, V_BOOL),
    STATE_FIELD(Arm64Cpu, vf, V_BOOL),
    STATE_FIELD(Arm64Cpu, el, V_REL),
    STATE_FIELD(Arm64Cpu, spsel, V_REL),
    STATE_FIELD(Arm64Cpu, daif, V_RANGE(0, 15)),
    STATE_FIELD(Arm64Cpu, halted, V_RANGE(0, 2)),   /* 1 WFI, 2 WFE (SEV wakes only 2) */
    STATE_FIELD(Arm64Cpu, powered, V_BOOL),
    STATE_FIELD(Arm64Cpu, event_reg, V_BOOL),
    STATE_FIELD(Arm64Cpu, pan, V_REL),
    STATE_FIELD(Arm64Cpu, il, V_BOOL),
    STATE_FIELD(Arm64Cpu, irq_lines, V_RANGE(0, 15)),
    STATE_FIELD(Arm64Cpu, ss, V_BOOL),
    STATE_FIELD(Arm64Cpu, ss_syn, V_RANGE(0, 3)),
    STATE_ARRAY(Arm64Cpu, sp_el, V_ANY),
    STATE_ARRAY(Arm64Cpu, sys, V_ANY),
    STATE_ARRAY(Arm64Cpu, v, V_ANY),
    STATE_FIELD(Arm64Cpu, mon.addr, V_ANY),
    STATE_FIELD(Arm64Cpu, mon.valid, V_BOOL),
    STATE_FIELD(Arm64Cpu, mon.size, V_RANGE(0, 16)),
    /* not machine state: identity and wiring fixed at creation, the run loop's budget,
     * decoded code and the soft TLB (both flushed by a64_post_load), the PMU (its own
     * object "cpuN.pmu") */
    STATE_RUNTIME(Arm64Cpu, pad_),
    STATE_RUNTIME(Arm64Cpu, index),
    STATE_RUNTIME(Arm64Cpu, pad2_),
    STATE_RUNTIME(Arm64Cpu, mpidr),
    STATE_RUNTIME(Arm64Cpu, midr),
    STATE_RUNTIME(Arm64Cpu, m),
    STATE_RUNTIME(Arm64Cpu, tm),
    STATE_RUNTIME(Arm64Cpu, insns_left),
    STATE_RUNTIME(Arm64Cpu, run_budget),
    STATE_RUNTIME(Arm64Cpu, chain_floor),
    STATE_RUNTIME(Arm64Cpu, tlb_cur),
    STATE_RUNTIME(Arm64Cpu, wfill_gen),
    STATE_RUNTIME(Arm64Cpu, wflushed_page),
    STATE_RUNTIME(Arm64Cpu, wflushed_gen),
    STATE_RUNTIME(Arm64Cpu, free_list),
    STATE_RUNTIME(Arm64Cpu, tlbs),
    STATE_RUNTIME(Arm64Cpu, tlb_el),
    STATE_RUNTIME(Arm64Cpu, tlb_alt),
    STATE_RUNTIME(Arm64Cpu, tlb_alt_ttbr1),
    STATE_RUNTIME(Arm64Cpu, cur_page),
    STATE_RUNTIME(Arm64Cpu, page_hash),
    STATE_RUNTIME(Arm64Cpu, page_hash_mask),
    STATE_RUNTIME(Arm64Cpu, npages),
    STATE_RUNTIME(Arm64Cpu, exit_request),
    STATE_RUNTIME(Arm64Cpu, has_el2),
    STATE_RUNTIME(Arm64Cpu, has_vhe),
    STATE_RUNTIME(Arm64Cpu, has_pan),
    STATE_RUNTIME(Arm64Cpu, has_lse),
    STATE_RUNTIME(Arm64Cpu, has_rcpc),
    STATE_RUNTIME(Arm64Cpu, has_lor),
    STATE_RUNTIME(Arm64Cpu, pa_bits),
    STATE_RUNTIME(Arm64Cpu, model),
    STATE_RUNTIME(Arm64Cpu, feature_attrs),
    STATE_RUNTIME(Arm64Cpu, last_order),
    STATE_DERIVED(Arm64Cpu, dbg_armed),
    STATE_RUNTIME(Arm64Cpu, pad6_),
    STATE_RUNTIME(Arm64Cpu, timers),
    STATE_RUNTIME(Arm64Cpu, gic),
    STATE_RUNTIME(Arm64Cpu, hvm),
    STATE_RUNTIME(Arm64Cpu, pmu),
    STATE_RUNTIME(Arm64Cpu, pmu_cut),
    STATE_RUNTIME(Arm64Cpu, evq_seq),
    STATE_FIELD(Arm64Cpu, fetch_faults, V_RANGE(0, A64_FETCH_FAULT_LIMIT)),
    STATE_RUNTIME(Arm64Cpu, pad5_),
    STATE_RUNTIME(Arm64Cpu, trace_mask),
    STATE_RUNTIME(Arm64Cpu, pad4_),
    STATE_RUNTIME(Arm64Cpu, symbolizer),
    STATE_RUNTIME(Arm64Cpu, tms),
    STATE_RUNTIME(Arm64Cpu, tm_cyc0),
    STATE_RUNTIME(Arm64Cpu, tm_end),
    STATE_RUNTIME(Arm64Cpu, tm_ctx),
    STATE_RUNTIME(Arm64Cpu, tm_line),
    STATE_RUNTIME(Arm64Cpu, tm_ctx_ok),
    STATE_RUNTIME(Arm64Cpu, tm_mmu),
    STATE_RUNTIME(Arm64Cpu, tm_write),
    STATE_RUNTIME(Arm64Cpu, pad7_),
    STATE_RUNTIME(Arm64Cpu, tm_vm),
};
/* Relations: the EL is one the core implements (EL3 never, EL2 only with
 * virtualization=on), EL0 uses SP_EL0, PSTATE.PAN needs FEAT_PAN, XZR reads as zero. */
static bool a64_check_state(const void *obj, char **err)
{
    const Arm64Cpu *c = obj;
    int max_el = c->has_el2 ? 2 : 1;
    if (c->el > max_el)
        *err = g_strdup_printf("el = %u, but this core implements EL0..EL%d", c->el, max_el);
    else if (c->el == 0 && c->spsel)
        *err = g_strdup("spsel = 1 at EL0 (EL0 has only SP_EL0)");
    else if (c->pan > c->has_pan)
        *err = g_strdup_printf("pan = %u, but this core has no FEAT_PAN", c->pan);
    else if (c->x[A64_ZR])
        *err = g_strdup("x[31] (XZR) is not zero");
    else
        return true;
    return false;
}
const StateDesc a64_state_desc = STATE_DESC_CHECKED("arm64-cpu", Arm64Cpu, a64_fields, a64_check_state);

/* ---- decoding ---- */
/* An encoding no decode table claims: if Capstone knows it as an instruction (other than
 * UDF), it is a real instruction hvsim does not model yet (stop, exit code 2); otherwise it is
 * unallocated and UNDEFINED for the guest. */
static const A64Insn *exec_unallocated(Arm64Cpu *c, const A64Insn *d)
{
    char dis[128];
    if (a64_disas(d->raw, a64_pc(c, d), dis, sizeof dis) && strncmp(dis, "udf", 3) != 0)
        return a64_unimplemented(c, d, "instruction");
    return a64_undefined(c, d);
}

/* An encoding a table claims but its prep function rejects (unallocated within the class,
 * or a form of a feature no model implements), or one of a feature this core's model does
 * not advertise: UNDEFINED, whatever Capstone calls it. */
static const A64Insn *exec_undefined(Arm64Cpu *c, const A64Insn *d)
{
    return a64_undefined(c, d);
}

/* The decode-table attributes that name a feature (!lse, !rcpc, !sb), and those this core's
 * model has. */
#define A64_FEATURE_ATTRS (A64_ATTR_LSE | A64_ATTR_RCPC | A64_ATTR_SB)
static uint32_t model_feature_attrs(const A64CpuModel *m)
{
    return (m->lse ? A64_ATTR_LSE : 0) | (m->rcpc ? A64_ATTR_RCPC : 0) | (m->sb ? A64_ATTR_SB : 0);
}

void a64_decode_insn(A64Insn *d, uint32_t insn)
{
    A64Args a = {0};
    memset(d, 0, sizeof *d);
    d->raw = insn;
    int op = a64_decode_args(insn, &a);
    if (op < 0) {
        d->op = 0xffff;
        d->fn = exec_unallocated;
        return;
    }
    d->op = (uint16_t)op;
    if (!a64_prep_op(op, d, &a)) {
        memset(d, 0, sizeof *d);
        d->raw = insn;
        d->op = (uint16_t)op;
        d->fn = exec_undefined;
    }
}

int a64_current_vmid(const Arm64Cpu *c)
{
    return c->el < 2 && (a64_hcr(c) & A64_HCR_VM) ? (int)((c->sys[A64_SYS_VTTBR_EL2] >> 48) & 0xff)
                                                   : -1;
}

/* One -d exec / in_asm line:
 *   EXEC cpu0 EL1 vm2 pc=0000000040001234 <guest_main+0x14> d503201f  nop
 * "vmN" only under stage 2, "<sym[+0xoff]>" only when the symbolizer knows the PC. Nothing
 * host-dependent goes in, so traces are byte-identical across runs. */
static void trace_insn(Arm64Cpu *c, const char *tag, uint64_t pc, uint32_t insn)
{
    char dis[128], vm[16] = "", sym[160] = "";
    a64_disas(insn, pc, dis, sizeof dis);
    int vmid = a64_current_vmid(c);
    if (vmid >= 0)
        snprintf(vm, sizeof vm, " vm%d", vmid);
    uint64_t off = 0;
    const char *name = symbolize(c->symbolizer, pc, &off);
    if (name)
        snprintf(sym, sizeof sym, off ? " <%s+0x%llx>" : " <%s>", name, (unsigned long long)off);
    fprintf(c->m->trace, "%s cpu%d EL%d%s pc=%016llx%s %08x  %s\n", tag, c->index, c->el, vm,
            (unsigned long long)pc, sym, insn, dis);
}

/* -d exec: a subscriber of EV_INSN (opaque: the machine). */
static bool trace_exec(void *opaque, const EvInfo *e)
{
    Machine *m = opaque;
    trace_insn(m->cpus[e->cpu].obj, "EXEC", e->pc, e->u.insn.raw);
    return false;
}

void a64_trace_exec(Machine *m, bool on)
{
    ev_switch(&m->events, on, EV_BIT(EV_INSN), EV_PRIO_TRACE, trace_exec, m);
}

/* -d in_asm: a subscriber of EV_DECODE (opaque: the machine). */
static bool trace_in_asm(void *opaque, const EvInfo *e)
{
    Machine *m = opaque;
    trace_insn(m->cpus[e->cpu].obj, "IN:", e->pc, e->u.insn.raw);
    return false;
}

void a64_trace_in_asm(Machine *m, bool on)
{
    ev_switch(&m->events, on, EV_BIT(EV_DECODE), EV_PRIO_TRACE, trace_in_asm, m);
}

/* First execution of a slot: decode it in place, then run it. */
static const A64Insn *exec_decode_lazy(Arm64Cpu *c, const A64Insn *d)
{
    A64Insn *w = (A64Insn *)d;   /* the page is ours; only this stub writes it */
    size_t idx = (size_t)(d - c->cur_page->insn);
    uint32_t insn;
    const uint8_t *host = bus_ram_ptr(&c->m->bus, c->cur_page->pa + idx * 4, 4);
    memcpy(&insn, host, 4);
    a64_decode_insn(w, insn);
    /* where a direct branch lands, when in this page (meaningless, and unread, elsewhere) */
    int64_t target = (int64_t)idx + (w->imm >> 2);
    w->rel = target >= 0 && target < A64_PAGE_INSNS ? (int16_t)(target - (int64_t)idx) : A64_REL_OUT;
    if (unlikely(w->op < A64_NUM_OPS &&
                 (a64_patterns[w->op].attrs & A64_FEATURE_ATTRS & ~c->feature_attrs)))
        w->fn = exec_undefined;
    if (unlikely(ev_wants(&c->m->events, EV_DECODE))) {
        /* heard, not a place to pause (EV_INSN is, for the same instruction, next) */
        EvInfo e = { .kind = EV_DECODE, .cpu = c->index, .el = c->el, .vmid = a64_current_vmid(c),
                     .pc = a64_pc(c, d), .time = a64_now(c), .u.insn = { insn } };
        ev_publish(&c->m->events, &e);
    }
    return w->fn(c, w);
}

/* Something for a64_check_interrupts to look at: a physical line up, PSTATE.IL, or a virtual
 * interrupt HCR_EL2 injects. */
static inline bool interrupt_lines_up(const Arm64Cpu *c)
{
    return (c->irq_lines | c->il) ||
           (c->has_el2 && (c->sys[A64_SYS_HCR_EL2] & (A64_HCR_VI | A64_HCR_VF | A64_HCR_VSE)));
}

/* The decoded page va's cached fetch translation already leads to (the soft TLB's x entry
 * and its xcode), entered through va's page; NULL when either is missing. */
static inline A64DecodedPage *cached_page(Arm64Cpu *c, uint64_t va)
{
    SoftTlb *t = a64_tlb(c);
    unsigned xi = (va >> A64_PAGE_BITS) & (SOFTTLB_SIZE - 1);
    A64DecodedPage *p = t->xcode[xi];
    if (unlikely(t->x[xi].tag != (va & ~(uint64_t)(A64_PAGE_SIZE - 1))) || unlikely(!p))
        return NULL;
    p->va = t->x[xi].tag;
    return p;
}

/* Going on in another page (a branch, or straight on past the page's end) without the run
 * loop, when the loop would do nothing there but find the page: no event scheduled since it
 * looked (event_horizon), no interrupt line or virtual interrupt up (taken or not, it would
 * decide), no stop, no debug-register or PMU work (breakpoint pages, software step, branch
 * counting, an overflow cut), no page waiting to be freed, budget left, and the fetch
 * translation cached with its decoded page. Otherwise the loop does it, with the same
 * outcome. */
const A64Insn *a64_cross_page(Arm64Cpu *c, uint64_t va)
{
    c->pc = va;
    /* insns_left <= 1: the budget's last instruction, or run_traced (it shows executors one
     * instruction of budget), whose checks are per page */
    if (unlikely(c->insns_left <= 1) ||
        unlikely(c->exit_request | (va & 3) | c->dbg_armed) || unlikely(interrupt_lines_up(c)) ||
        unlikely(c->m->evq.next_seq != c->evq_seq) || unlikely(c->m->stop) ||
        unlikely(c->free_list != NULL) || unlikely(c->pmu_cut) ||
        unlikely(c->pmu.inten & ~c->pmu.ovs) || unlikely(a64_pmu_wants(&c->pmu, A64_PMU_EV_BR_RETIRED)))
        return NULL;
    A64DecodedPage *p = cached_page(c, va);
    if (unlikely(!p))
        return NULL;
    c->cur_page = p;
    c->fetch_faults = 0;
    return &p->insn[(va & (A64_PAGE_SIZE - 1)) >> 2];
}

/* Sentinel after the last slot of a page: continue on the next page. It is not an
 * instruction: it goes straight on to the next page's first (the budget already counts that
 * one), or gives back the budget the run loop charges for it. */
static const A64Insn *exec_page_end(Arm64Cpu *c, const A64Insn *d)
{
    (void)d;
    const A64Insn *n = a64_cross_page(c, c->cur_page->va + A64_PAGE_SIZE);
    if (n)
        return n->fn(c, n);
    c->insns_left++;
    return NULL;
}

static uint32_t page_hash(uint64_t pa, uint32_t mask)
{
    uint64_t h = (pa >> A64_PAGE_BITS) * 0x9e3779b97f4a7c15ULL;
    return (uint32_t)(h >> 40) & mask;
}

/* The fetch translations that lead straight to decoded page p (all of them when p is NULL)
 * forget it. */
static void forget_code(Arm64Cpu *c, const A64DecodedPage *p)
{
    for (unsigned t = 0; t < A64_NUM_TLBS; t++)
        for (unsigned i = 0; i < SOFTTLB_SIZE; i++)
            if (!p || c->tlbs[t].xcode[i] == p)
                c->tlbs[t].xcode[i] = NULL;
}

void a64_flush_decoded(Arm64Cpu *c)
{
    for (uint32_t i = 0; i <= c->page_hash_mask; i++) {
        A64DecodedPage *p = c->page_hash[i];
        while (p) {
            A64DecodedPage *n = p->hnext;
            if (p == c->cur_page) {
                p->hnext = c->free_list;
                c->free_list = p;
            } else {
                g_free(p);
            }
            p = n;
        }
        c->page_hash[i] = NULL;
    }
    c->npages = 0;
    forget_code(c, NULL);
    a64_tlb_flush(c);
    if (c->cur_page)
        c->exit_request = 1;
}

static void drop_page(Arm64Cpu *c, uint64_t pa_page)
{
    A64DecodedPage **pp = &c->page_hash[page_hash(pa_page, c->page_hash_mask)];
    while (*pp) {
        A64DecodedPage *p = *pp;
        if (p->pa == pa_page) {
            *pp = p->hnext;
            c->npages--;
            forget_code(c, p);
            if (p == c->cur_page) {
                /* still executing in it: free after the executor returns */
                p->hnext = c->free_list;
                c->free_list = p;
                c->exit_request = 1;
            } else {
                g_free(p);
            }
            return;
        }
        pp = &p->hnext;
    }
}

void a64_invalidate_code_page(Machine *m, uint64_t pa)
{
    uint64_t pa_page = pa & ~(uint64_t)(A64_PAGE_SIZE - 1);
    for (int i = 0; i < m->ncpus; i++)
        drop_page((Arm64Cpu *)m->cpus[i].obj, pa_page);
    if (pa - m->ram_base < m->ram_size)
        m->ram_code[(pa - m->ram_base) >> A64_PAGE_BITS] = 0;
}

static void free_deferred(Arm64Cpu *c)
{
    while (c->free_list) {
        A64DecodedPage *n = c->free_list->hnext;
        g_free(c->free_list);
        c->free_list = n;
    }
}

/* Decoded page for the instruction at virtual address va, or NULL (the machine is stopped
 * with the reason). */
static A64DecodedPage *lookup_page(Arm64Cpu *c, uint64_t va)
{
    Machine *m = c->m;
    uint64_t pa;
    if (va & 3) {
        /* PC alignment fault (D1.3.4): EC 0x22, FAR = ELR = the misaligned PC. */
        uint64_t esr = (uint64_t)A64_EC_PC_ALIGN << 26 | 1u << 25;
        a64_take_exception(c, a64_sync_target_el(c), A64_VEC_SYNC, esr, va, true, va);
        return NULL;
    }
    A64DecodedPage *hit = cached_page(c, va);
    if (likely(hit))
        return hit;
    SoftTlb *t = a64_tlb(c);
    unsigned xi = (va >> A64_PAGE_BITS) & (SOFTTLB_SIZE - 1);
    SoftTlbEntry *xe = &t->x[xi];
    void **xcode = NULL;      /* where to remember the page for this fetch translation */
    if (xe->tag == (va & ~(uint64_t)(A64_PAGE_SIZE - 1))) {
        pa = xe->addend + va;
        xcode = &t->xcode[xi];
    } else {
        uint8_t perms;
        if (!a64_translate(c, NULL, va, MMU_FETCH, &pa, &perms))
            return NULL;      /* Instruction Abort taken */
        if (perms & MMU_PERM_X) {
            softtlb_fill_fetch(t, va & ~(uint64_t)(A64_PAGE_SIZE - 1),
                               pa & ~(uint64_t)(A64_PAGE_SIZE - 1), c->last_order);
            xcode = &t->xcode[xi];
            *xcode = NULL;
        }
    }
    uint64_t pa_page = pa & ~(uint64_t)(A64_PAGE_SIZE - 1);
    uint32_t h = page_hash(pa_page, c->page_hash_mask);
    for (A64DecodedPage *p = c->page_hash[h]; p; p = p->hnext)
        if (p->pa == pa_page) {
            p->va = va & ~(uint64_t)(A64_PAGE_SIZE - 1);
            if (xcode)
                *xcode = p;
            return p;
        }
    uint8_t *host = bus_ram_ptr(&m->bus, pa_page, A64_PAGE_SIZE);
    if (!host) {
        /* Nothing executable behind the address (no memory, or a device): a synchronous
         * External abort on the fetch (IFSC 0x10), as QEMU's virt and real hardware give.
         * The progress guarantee counts it like any fetch-time exception. */
        a64_fetch_external_abort(c, va);
        return NULL;
    }
    if (c->npages >= PAGE_CACHE_MAX)
        a64_flush_decoded(c);
    A64DecodedPage *p = g_malloc(sizeof *p);
    p->pa = pa_page;
    p->va = va & ~(uint64_t)(A64_PAGE_SIZE - 1);
    for (unsigned i = 0; i < A64_PAGE_INSNS; i++) {
        p->insn[i].fn = exec_decode_lazy;
        p->insn[i].raw = 0;
    }
    memset(&p->insn[A64_PAGE_INSNS], 0, sizeof p->insn[0]);
    p->insn[A64_PAGE_INSNS].fn = exec_page_end;
    p->hnext = c->page_hash[h];
    c->page_hash[h] = p;
    c->npages++;
    if (xcode)
        *xcode = p;
    /* From now on, stores to this page must take the slow path on every core. */
    if (pa_page - m->ram_base < m->ram_size)   /* code in ROM/flash needs no store tracking */
        m->ram_code[(pa_page - m->ram_base) >> A64_PAGE_BITS] = 1;
    for (int i = 0; i < m->ncpus; i++)
        a64_tlb_flush_write_host((Arm64Cpu *)m->cpus[i].obj, host);
    return p;
}

/* ---- the run loop ---- */
/* Instructions run in this call; afterwards the budget is empty so that a64_now() outside a
 * run (debugger, devices) is the core's time without a stale partial slice. */
static uint64_t finish_run(Arm64Cpu *c)
{
    uint64_t ran = c->run_budget - c->insns_left;
    c->run_budget = c->insns_left = 0;
    if (c->tm)
        c->tm_cyc0 = c->tm->cyc;   /* a64_now() outside a run: the clock the machine keeps */
    return ran;
}

/* An event was scheduled while this core runs (a timer programmed, say): if it falls before
 * the end of the core's budget, stop there so the machine delivers it at its exact time. */
static void event_horizon(Arm64Cpu *c)
{
    c->evq_seq = c->m->evq.next_seq;
    SimTime next = evq_next_time(&c->m->evq), now = a64_now(c);
    uint64_t ps = c->m->timing.ps_per_cycle;
    if (next == SIMTIME_NEVER)
        return;
    uint64_t left = next <= now ? 0 : (next - now + ps - 1) / ps;   /* atomic: 1 insn/cycle */
    if (c->tm) {
        /* the timed loop stops when the model's clock reaches the event */
        if (c->tm->cyc + left < c->tm_end)
            c->tm_end = c->tm->cyc + left;
        return;
    }
    if (left < c->insns_left) {
        c->run_budget -= c->insns_left - left;   /* done = budget - left stays the same */
        c->insns_left = left;
    }
}

/* The progress guarantee: an exception taken on instruction fetch (abort, PC alignment)
 * retires nothing, but it costs one cycle of the budget like an instruction, so simulated
 * time advances and every stop condition (--max-insns, Ctrl-C, GDB's interrupt, the end of a
 * step) still comes. A core that takes A64_FETCH_FAULT_LIMIT of them in a row without
 * retiring an instruction is in a loop real hardware would hang in (a vector that cannot be
 * fetched): the machine stops with exit 3 naming the faulting PC, the vector and the
 * syndrome. Legitimate software takes at most a few in a row. */
static void fetch_fault_taken(Arm64Cpu *c)
{
    c->insns_left--;
    if (++c->fetch_faults < A64_FETCH_FAULT_LIMIT)
        return;
    bool el2 = c->el == 2;
    uint64_t elr = c->sys[el2 ? A64_SYS_ELR_EL2 : A64_SYS_ELR_EL1];
    uint64_t esr = c->sys[el2 ? A64_SYS_ESR_EL2 : A64_SYS_ESR_EL1];
    char why[160];
    a64_describe_esr(esr, why, sizeof why);
    machine_stop(c->m, EXIT_GUEST_CRASH,
                 "cpu%d: exception loop: %u exceptions in a row without an instruction retiring; "
                 "last at PC 0x%llx, taken to EL%d vector 0x%llx, ESR 0x%llx (%s)",
                 c->index, A64_FETCH_FAULT_LIMIT, (unsigned long long)elr, c->el,
                 (unsigned long long)c->pc, (unsigned long long)esr, why);
}

/* Between two runs of instructions (both loops): shorten the budget to a newly scheduled
 * event, take a pending interrupt, then find the decoded page at PC. Returns the page; NULL
 * with *end set when the loop must stop (budget gone, machine stopped, fetch failed), NULL
 * with *end clear when an exception moved PC and the caller should look again. */
static A64DecodedPage *next_page(Arm64Cpu *c, bool *end)
{
    *end = false;
    if (unlikely(c->m->evq.next_seq != c->evq_seq)) {
        event_horizon(c);
        if (!c->insns_left || (c->tm && c->tm->cyc >= c->tm_end)) {
            *end = true;
            return NULL;
        }
    }
    if (unlikely(interrupt_lines_up(c)))
        a64_check_interrupts(c);
    if (unlikely(c->m->stop)) {
        *end = true;          /* a debugger event on the interrupt just taken */
        return NULL;
    }
    A64DecodedPage *p = lookup_page(c, c->pc);
    if (likely(p)) {
        c->fetch_faults = 0;
    } else {
        /* an exception was taken: charged also when a debugger event on it stops the
         * machine (break-on vmexit iabt), as in a straight run */
        fetch_fault_taken(c);
        *end = !c->insns_left || c->m->stop;
    }
    return p;
}

/* EV_INSN: the instruction at pc is about to execute. True: pause before it. The core's PC
 * is made the instruction's first, so that subscribers reading it see where the core is
 * (the careful loop keeps it in d otherwise, and sets it when it leaves). */
static bool publish_insn(Arm64Cpu *c, uint64_t pc, uint32_t raw)
{
    c->pc = pc;
    EvInfo e = { .kind = EV_INSN, .cpu = c->index, .el = c->el, .vmid = a64_current_vmid(c),
                 .pc = pc, .time = a64_now(c), .u.insn = { .raw = raw } };
    return ev_publish(&c->m->events, &e);
}

/* The careful loop: one instruction at a time, for the debugger's and the guest's
 * breakpoints, software step, EV_INSN subscribers and the cycle model (c->tm: each
 * instruction's fetch and retirement reported, the run ends when the model's clock reaches
 * the end of the slice). */
static uint64_t run_traced(Arm64Cpu *c)
{
    while (c->insns_left && !c->m->stop && !c->halted && c->powered &&
           !(c->tm && c->tm->cyc >= c->tm_end)) {
        bool end;
        A64DecodedPage *p = next_page(c, &end);
        if (end)
            break;
        if (!p)
            continue;         /* an exception was taken; fetch from the vector */
        c->cur_page = p;
        c->exit_request = 0;
        const A64Insn *d = &p->insn[(c->pc & (A64_PAGE_SIZE - 1)) >> 2];
        /* only a page holding an address breakpoint needs the per-instruction check */
        bool bp_page = machine_break_page(c->m, p->va);
        /* likewise the guest's breakpoints; software step needs it everywhere */
        bool dbg_page = unlikely(c->dbg_armed & A64_DBG_STEP) ||
                        (unlikely(c->dbg_armed & A64_DBG_BREAK) && a64_breakpoint_page(c, p->va));
        for (;;) {
            if (d->fn == exec_page_end) {
                c->pc = p->va + A64_PAGE_SIZE;
                break;
            }
            if (unlikely(c->m->break_check)) {
                Machine *m = c->m;
                if (m->break_skip_cpu == c->index) {
                    m->break_skip_cpu = -1;
                } else if (bp_page && machine_break_addr(m, a64_pc(c, d)) &&
                           m->break_check(m->break_opaque, c->index, a64_pc(c, d), c->el,
                                          a64_current_vmid(c))) {
                    uint64_t pc = a64_pc(c, d);
                    c->pc = pc;       /* pause before the instruction */
                    m->paused = true;
                    m->stop = true;
                    break;
                }
            }
            /* the guest's own breakpoints and software step, after hvsim's debugger had its
             * look: the exception is a step of the run, as a fault on fetch is */
            if (dbg_page && a64_debug_before_insn(c, a64_pc(c, d))) {
                c->insns_left--;
                break;
            }
            if (ev_wants(&c->m->events, EV_INSN)) {
                /* the encoding: not yet in d when the slot is still to be decoded */
                uint32_t insn = d->raw;
                if (d->fn == exec_decode_lazy)
                    memcpy(&insn, bus_ram_ptr(&c->m->bus, p->pa + (size_t)(d - p->insn) * 4, 4), 4);
                if (publish_insn(c, a64_pc(c, d), insn)) {
                    c->m->paused = true;      /* before the instruction (c->pc is its) */
                    c->m->stop = true;
                    break;
                }
            }
            uint32_t raw = d->raw;
            uint64_t pc = 0, cyc0 = 0;
            int el = c->el;
            if (c->tm) {
                pc = a64_pc(c, d);
                cyc0 = c->tm->cyc;
                a64_tm_fetch(c, p, pc);
            }
            /* one instruction per call: with one instruction of budget showing, the executor
             * returns instead of chaining on (run_budget moves too, so a64_now() stays) */
            uint64_t rest = c->insns_left - 1;
            c->insns_left -= rest;
            c->run_budget -= rest;
            const A64Insn *n = d->fn(c, d);
            c->insns_left += rest;
            c->run_budget += rest;
            if (c->tm) {
                a64_tm_retire(c, d, pc, n ? a64_pc(c, n) : c->pc, el, cyc0);
                if (unlikely(c->pmu.inten & ~c->pmu.ovs)) {
                    a64_pmu_update(c);   /* an overflow the model's events or cycles made */
                    if (n && interrupt_lines_up(c)) {
                        c->insns_left--;
                        c->pc = a64_pc(c, n);
                        break;
                    }
                }
            }
            if (unlikely(a64_pmu_wants(&c->pmu, A64_PMU_EV_BR_RETIRED)) && a64_is_branch(d->raw ? d->raw : raw))
                a64_pmu_count(&c->pmu, A64_PMU_EV_BR_RETIRED, 1, c->el);
            if (unlikely(c->dbg_armed & A64_DBG_STEP))
                a64_debug_after_insn(c, d->raw ? d->raw : raw);
            c->insns_left--;
            if (!n || !c->insns_left || (c->tm && c->tm->cyc >= c->tm_end)) {
                if (n)
                    c->pc = a64_pc(c, n);
                break;
            }
            d = n;
        }
        free_deferred(c);
    }
    return finish_run(c);
}

/* Shortens the budget so the run loop stops at the instruction that overflows a PMU counter
 * with its interrupt enabled; returns how much was taken off (budget and insns_left alike,
 * so a64_now() stays right). */
static uint64_t pmu_cut(Arm64Cpu *c)
{
    a64_pmu_update(c);
    uint64_t k = a64_pmu_insns_until_overflow(&c->pmu, c->el);
    uint64_t kc = a64_pmu_cycles_until_overflow(&c->pmu, c->el);
    if (kc < k)
        k = kc;                                   /* atomic timing: one cycle per instruction */
    if (k >= c->insns_left)
        return 0;
    uint64_t cut = c->insns_left - k;
    c->insns_left -= cut;
    c->run_budget -= cut;
    return cut;
}

static uint64_t a64_run(void *obj, uint64_t max_cycles, uint64_t max_insns, uint64_t *cycles)
{
    Arm64Cpu *c = obj;
    *cycles = 0;
    /* atomic: a cycle per instruction, so the budget is the smaller of the two */
    uint64_t max = c->tm || max_insns < max_cycles ? max_insns : max_cycles;
    if (!c->powered || max == 0 || max_cycles == 0)
        return 0;
    if (c->halted) {
        if (!a64_wakeup_pending(c))
            return 0;
        c->halted = 0;        /* WFI/WFE wake-up event (D1.16) */
    }
    c->run_budget = max;
    c->insns_left = max;
    c->evq_seq = c->m->evq.next_seq;
    if (c->tm) {
        /* the cycle model: the careful loop until the model's clock reaches max_cycles */
        uint64_t start = c->tm->cyc;
        c->tm_cyc0 = start;
        c->tm_end = start + max_cycles;
        uint64_t ran = run_traced(c);
        *cycles = c->tm->cyc - start;
        return ran;
    }
    /* what the fast loop cannot do: publish each instruction (-d exec is a subscriber), check
     * breakpoints, publish each decode (-d in_asm) */
    if (unlikely(ev_wants(&c->m->events, EV_DECODE)) || unlikely(c->m->break_check) ||
        ev_wants(&c->m->events, EV_INSN))
        return *cycles = run_traced(c);
    /* threaded dispatch may use this much stack where the compiler makes calls of its jumps */
    c->chain_floor = (uintptr_t)__builtin_frame_address(0) - A64_CHAIN_STACK;
    while (c->insns_left && !c->m->stop) {
        /* counts branches one by one; checks the guest's software step */
        if (unlikely(a64_pmu_wants(&c->pmu, A64_PMU_EV_BR_RETIRED)) ||
            unlikely(c->dbg_armed & A64_DBG_STEP)) {
            c->cur_page = NULL;
            return *cycles = run_traced(c);
        }
        bool end;
        A64DecodedPage *p = next_page(c, &end);
        if (end)
            break;
        if (!p)
            continue;         /* an exception was taken; fetch from the vector */
        /* a page the guest's breakpoints can match on: the careful loop checks them */
        if (unlikely(c->dbg_armed & A64_DBG_BREAK) && a64_breakpoint_page(c, p->va)) {
            c->cur_page = NULL;
            return *cycles = run_traced(c);
        }
        c->cur_page = p;
        c->exit_request = 0;
        const A64Insn *d = &p->insn[(c->pc & (A64_PAGE_SIZE - 1)) >> 2];
        /* A PMU counter with its overflow interrupt enabled: stop exactly at the overflow. */
        if (unlikely(c->pmu.inten & ~c->pmu.ovs))
            c->pmu_cut = pmu_cut(c);
        do {
            d = d->fn(c, d);
        } while (d && --c->insns_left);
        if (unlikely(c->pmu_cut)) {
            c->insns_left += c->pmu_cut;
            c->run_budget += c->pmu_cut;
            c->pmu_cut = 0;
            a64_pmu_update(c);    /* the overflow raises the interrupt line now */
        }
        if (d) {
            c->pc = a64_pc(c, d);           /* budget used up; d is next */
        } else {
            c->insns_left--;                /* the instruction that left the loop retired */
            if (c->halted || !c->powered) {
                free_deferred(c);
                break;
            }
        }
        free_deferred(c);
    }
    c->cur_page = NULL;
    *cycles = finish_run(c);
    return *cycles;
}

static bool a64_off(void *obj)
{
    return !((const Arm64Cpu *)obj)->powered;
}

static bool a64_idle(void *obj)
{
    const Arm64Cpu *c = obj;
    return !c->powered || (c->halted && !a64_wakeup_pending(c));
}

static void a64_hash(void *obj, GChecksum *ck)
{
    Arm64Cpu *c = obj;
    c->x[A64_SINK] = 0;       /* write sink: never architectural */
    char name[16];
    snprintf(name, sizeof name, "cpu%d", c->index);
    state_hash_object(ck, name, &a64_state_desc, c);
}

/* After a snapshot load: decoded code, translations and the run loop's bookkeeping belong
 * to the state before; the PMU's derived fields follow the loaded MDCR_EL2. */
static void a64_post_load(void *obj)
{
    Arm64Cpu *c = obj;
    c->cur_page = NULL;
    a64_set_el(c, c->el);
    a64_flush_decoded(c);
    free_deferred(c);
    c->exit_request = 0;
    c->insns_left = c->run_budget = 0;
    c->pmu_cut = 0;
    c->evq_seq = 0;
    a64_pmu_set_mdcr(&c->pmu, c->has_el2, c->sys[A64_SYS_MDCR_EL2]);
    a64_debug_update(c);
    c->exit_request = 0;
}

static uint64_t a64_retired(void *obj)
{
    const Arm64Cpu *c = obj;
    return c->run_budget - c->insns_left;
}

static void a64_flush_write_cache(void *obj)
{
    a64_tlb_flush_writes((Arm64Cpu *)obj);
}

static void a64_destroy(void *obj)
{
    Arm64Cpu *c = obj;
    c->cur_page = NULL;
    a64_flush_decoded(c);
    free_deferred(c);
    arch_timer_free(c->timers);
    symbolizer_unref(c->symbolizer);
    g_free(c->page_hash);
    g_free(c);
}

void a64_set_symbolizer(Machine *m, Symbolizer *s)
{
    for (int i = 0; i < m->ncpus; i++) {
        if (m->cpus[i].cls != &a64_cpu_class)
            continue;
        Arm64Cpu *c = m->cpus[i].obj;
        Symbolizer *old = c->symbolizer;
        c->symbolizer = symbolizer_ref(s);
        symbolizer_unref(old);
    }
}

static uint64_t a64_pc_of(void *cpu)
{
    return ((Arm64Cpu *)cpu)->pc;
}

static int a64_level_of(void *cpu)
{
    return ((Arm64Cpu *)cpu)->el;
}

static void a64_flush_tlb_of(void *cpu)
{
    a64_tlb_flush(cpu);
}

const CpuClass a64_cpu_class = {
    .arch = "aarch64",
    .run = a64_run,
    .tm_walk = a64_tm_walk,
    .timing_changed = a64_timing_changed,
    .idle = a64_idle,
    .off = a64_off,
    .hash = a64_hash,
    .desc = &a64_state_desc,
    .post_load = a64_post_load,
    .retired = a64_retired,
    .flush_write_cache = a64_flush_write_cache,
    .peek_reg = a64_peek_reg,
    .peek_virt = a64_peek_virt,
    .debug_translate = a64_inspect_translate,
    .debug_translate_ipa = a64_inspect_translate_ipa,
    .max_insn_bytes = 4,
    .disas = a64_disas_bytes,
    .tlb_dump = a64_tlb_dump,
    .explain_translation = a64_explain_translation,
    .regs = &a64_regset,
    .reg_get = a64_reg_get,
    .reg_put = a64_reg_put,
    .reg_part = a64_reg_part,
    .reg_aliases = a64_reg_aliases,
    .pc = a64_pc_of,
    .level = a64_level_of,
    .level_prefix = "EL",
    .syndrome_name = "ESR",
    .info_topics = a64_info_topics,
    .sysreg_name = a64_sysreg_name,
    .flush_tlb = a64_flush_tlb_of,
    .set_trace = a64_set_trace_mask,
    .set_symbolizer = a64_set_symbolizer,
    .destroy = a64_destroy,
};

Arm64Cpu *a64_cpu_new(Machine *m, int index)
{
    Arm64Cpu *c = g_new0(Arm64Cpu, 1);
    c->m = m;
    c->index = index;
    a64_set_el(c, 0);
    /* MPIDR: U=0, MT=0, Aff0 = core number (QEMU's virt with up to 8 cores in cluster 0) */
    c->mpidr = 0x80000000ULL | (uint64_t)index;
    const A64CpuModel *model = a64_cpu_model_find(m->cfg.cpu_model ? m->cfg.cpu_model : "cortex-a57");
    g_assert(model);      /* the board checked the name */
    c->model = model;
    c->midr = model->midr;
    c->page_hash_mask = 1023;
    c->page_hash = g_new0(A64DecodedPage *, c->page_hash_mask + 1);
    c->trace_mask = m->cfg.trace_mask;
    if (c->trace_mask & TRACE_INT)
        a64_trace_int(m, true);
    if (c->trace_mask & TRACE_EXEC)
        a64_trace_exec(m, true);
    if (c->trace_mask & TRACE_MMU)
        a64_trace_mmu(m, true);
    if (c->trace_mask & TRACE_IN_ASM)
        a64_trace_in_asm(m, true);
    if (c->trace_mask & TRACE_UNIMP)
        a64_trace_unimp(m, true);
    c->has_el2 = m->cfg.virtualization;
    c->has_vhe = c->has_el2 && model->vhe;
    c->has_pan = model->pan;
    c->has_lse = model->lse;
    c->has_rcpc = model->rcpc;
    c->has_lor = model->lor;
    c->pa_bits = model->pa_bits;
    c->feature_attrs = model_feature_attrs(model);
    char tname[32];
    snprintf(tname, sizeof tname, "cpu%d.timer", index);
    c->timers = arch_timer_new(m, index, tname);
    a64_pmu_init(&c->pmu, (IrqLine){ 0 });
    a64_pmu_set_id(&c->pmu, 0x41, model->pmu_idcode);
    snprintf(tname, sizeof tname, "cpu%d.pmu", index);
    machine_add_object(m, tname, &a64_pmu_state_desc, &c->pmu);
    for (int el = 0; el < 3; el++)
        c->tlb_el[el] = &c->tlbs[el];
    c->tlb_alt[0] = &c->tlbs[3];
    c->tlb_alt[1] = &c->tlbs[4];
    c->tlb_alt_ttbr1 = ~(uint64_t)0;
    a64_tlb_flush(c);
    a64_cpu_reset(c, 0, 1);
    c->powered = 0;
    return c;
}

void a64_select_sp(Arm64Cpu *c, int sel)
{
    sel &= 1;
    if (sel == c->spsel)
        return;
    int from = c->spsel ? c->el : 0, to = sel ? c->el : 0;
    c->sp_el[from] = c->x[A64_SP];
    c->x[A64_SP] = c->sp_el[to];
    c->spsel = (uint8_t)sel;
}

/* Warm reset into AArch64 at `el` with SP_ELx selected and interrupts masked, PC = entry.
 * Registers other than those the architecture resets are zeroed: deterministic. */
void a64_cpu_reset(Arm64Cpu *c, uint64_t entry, int el)
{
    memset(c->x, 0, sizeof c->x);
    memset(c->sp_el, 0, sizeof c->sp_el);
    c->pc = entry;
    c->nf = c->zf = c->cf = c->vf = 0;
    a64_set_el(c, el);
    c->spsel = 1;
    c->daif = 0xf;
    c->halted = 0;
    c->powered = 1;
    c->event_reg = 0;
    memset(&c->mon, 0, sizeof c->mon);
    a64_sysreg_reset(c);
    a64_pmu_reset(&c->pmu);
    a64_pmu_set_mdcr(&c->pmu, c->has_el2, c->sys[A64_SYS_MDCR_EL2]);
    c->ss = c->ss_syn = 0;
    a64_debug_update(c);
    a64_tlb_flush(c);
}
