/* x86-64 core: its life (power-on and INIT state, Multiboot and long-mode entry), the
 * state description, the run loop (INIT/SIPI/NMI from the local APIC, interrupts, decode,
 * execute, exception delivery, the progress guarantee) and the CpuClass the machine sees. */
#include <stdio.h>
#include <string.h>
#include "cpu/x86_64/sys_internal.h"
#include "cpu/x86_64/insn.h"
#include "cpu/x86_64/regs.h"
#include "cpu/x86_64/dcache.h"
#include "cpu/x86_64/jit.h"
#include "cpu/x86_64/exec.h"
#include "devices/lapic.h"

int x86_op_iret(X86Cpu *c, const X86Insn *d);

/* The local APIC is the board's: weak references, so a machine without one (unit tests,
 * and this part before the board's is linked in) builds; c->lapic is NULL then. */
#pragma weak lapic_take_event
#pragma weak lapic_pending
#pragma weak lapic_ack
#pragma weak lapic_set_base

/* Every byte of X86Cpu declared (tests/unit/test_x86_sys.c proves the coverage). */
static const StateField x86_fields[] = {
    STATE_ARRAY(X86Cpu, gpr, V_ANY),
    STATE_FIELD(X86Cpu, rip, V_ANY),
    STATE_FIELD(X86Cpu, rflags, V_ANY),
    STATE_ARRAY(X86Cpu, seg, V_ANY),
    STATE_FIELD(X86Cpu, ldtr, V_ANY),
    STATE_FIELD(X86Cpu, tr, V_ANY),
    STATE_FIELD(X86Cpu, gdtr, V_ANY),
    STATE_FIELD(X86Cpu, idtr, V_ANY),
    STATE_FIELD(X86Cpu, cr0, V_ANY),
    STATE_FIELD(X86Cpu, cr2, V_ANY),
    STATE_FIELD(X86Cpu, cr3, V_ANY),
    STATE_FIELD(X86Cpu, cr4, V_ANY),
    STATE_FIELD(X86Cpu, cr8, V_RANGE(0, 15)),
    STATE_FIELD(X86Cpu, xcr0, V_ANY),
    STATE_ARRAY(X86Cpu, dr, V_ANY),
    STATE_FIELD(X86Cpu, efer, V_ANY),
    STATE_FIELD(X86Cpu, star, V_ANY),
    STATE_FIELD(X86Cpu, lstar, V_ANY),
    STATE_FIELD(X86Cpu, cstar, V_ANY),
    STATE_FIELD(X86Cpu, fmask, V_ANY),
    STATE_FIELD(X86Cpu, kernel_gs_base, V_ANY),
    STATE_FIELD(X86Cpu, pat, V_ANY),
    STATE_FIELD(X86Cpu, apic_base, V_ANY),
    STATE_FIELD(X86Cpu, tsc_aux, V_ANY),
    STATE_FIELD(X86Cpu, sysenter_cs, V_ANY),
    STATE_FIELD(X86Cpu, sysenter_esp, V_ANY),
    STATE_FIELD(X86Cpu, sysenter_eip, V_ANY),
    STATE_FIELD(X86Cpu, tsc_offset, V_ANY),
    STATE_ARRAY(X86Cpu, mtrr, V_ANY),
    STATE_FIELD(X86Cpu, misc_enable, V_ANY),
    STATE_FIELD(X86Cpu, fcw, V_ANY),
    STATE_FIELD(X86Cpu, fsw, V_ANY),
    STATE_FIELD(X86Cpu, ftw, V_ANY),
    STATE_FIELD(X86Cpu, fop, V_ANY),
    STATE_FIELD(X86Cpu, fip, V_ANY),
    STATE_FIELD(X86Cpu, fdp, V_ANY),
    STATE_FIELD(X86Cpu, st, V_ANY),
    STATE_FIELD(X86Cpu, xmm, V_ANY),
    STATE_FIELD(X86Cpu, mxcsr, V_ANY),
    STATE_FIELD(X86Cpu, interrupt_shadow, V_BOOL),
    STATE_FIELD(X86Cpu, halted, V_BOOL),
    STATE_FIELD(X86Cpu, wait_sipi, V_BOOL),
    STATE_FIELD(X86Cpu, nmi_pending, V_BOOL),
    STATE_RUNTIME(X86Cpu, pad0),
    STATE_RUNTIME(X86Cpu, exc),           /* empty between instructions */
    STATE_FIELD(X86Cpu, nmi_blocked, V_BOOL),
    STATE_FIELD(X86Cpu, lapic_event, V_RANGE(0, LAPIC_EV_NMI)),
    STATE_FIELD(X86Cpu, sipi_vector, V_RANGE(0, 255)),
    STATE_RUNTIME(X86Cpu, pad1),
    STATE_RUNTIME(X86Cpu, m),
    STATE_RUNTIME(X86Cpu, index),
    STATE_RUNTIME(X86Cpu, fetch_faults),
    STATE_RUNTIME(X86Cpu, lapic),
    STATE_RUNTIME(X86Cpu, insns),
    STATE_RUNTIME(X86Cpu, start_ip),
    STATE_DERIVED(X86Cpu, code_bits),
    STATE_DERIVED(X86Cpu, stack_bits),
    STATE_DERIVED(X86Cpu, cpl),
    STATE_RUNTIME(X86Cpu, trace_mask),
    STATE_RUNTIME(X86Cpu, budget),
    STATE_RUNTIME(X86Cpu, evq_seq),
    STATE_RUNTIME(X86Cpu, model),
    STATE_RUNTIME(X86Cpu, tlb),
    STATE_RUNTIME(X86Cpu, dc_hash),       /* the decode cache: host-side, never state */
    STATE_RUNTIME(X86Cpu, dc_cur),
    STATE_RUNTIME(X86Cpu, dc_garbage),
    STATE_RUNTIME(X86Cpu, dc_la),
    STATE_RUNTIME(X86Cpu, dc_te),
    STATE_RUNTIME(X86Cpu, dc_tag),
    STATE_RUNTIME(X86Cpu, dc_ac),
    STATE_RUNTIME(X86Cpu, dc_pages),
    STATE_RUNTIME(X86Cpu, recheck),
    STATE_RUNTIME(X86Cpu, quiet),
    STATE_RUNTIME(X86Cpu, pad2),
    STATE_RUNTIME(X86Cpu, dc_jump),
    STATE_RUNTIME(X86Cpu, mem_tag),
    STATE_RUNTIME(X86Cpu, lf_a),          /* pending only inside the run loop's chain */
    STATE_RUNTIME(X86Cpu, lf_b),
    STATE_RUNTIME(X86Cpu, lf_r),
    STATE_RUNTIME(X86Cpu, lf_op),
    STATE_RUNTIME(X86Cpu, lf_size),
    STATE_RUNTIME(X86Cpu, chain_left),
    STATE_RUNTIME(X86Cpu, chain_run),
    STATE_RUNTIME(X86Cpu, chain_floor),
    STATE_RUNTIME(X86Cpu, mem_scratch),
    STATE_RUNTIME(X86Cpu, jit_buf),       /* the block compiler's, host-side (jit.h) */
    STATE_RUNTIME(X86Cpu, jit_used),
    STATE_RUNTIME(X86Cpu, jit_blocks),
    STATE_RUNTIME(X86Cpu, jit_off),
    STATE_RUNTIME(X86Cpu, dc_gen),
};
static const StateDesc x86_state_desc = STATE_DESC("x86_64-cpu", X86Cpu, x86_fields);

void x86_update_mode(X86Cpu *c)
{
    const X86Seg *cs = &c->seg[X86_CS], *ss = &c->seg[X86_SS];
    x86_decode_mode_changed(c);   /* the decode cache's fetch check depends on mode and CPL */
    if (!(c->cr0 & X86_CR0_PE)) {
        c->code_bits = c->stack_bits = 16;
        c->cpl = 0;
    } else if (c->rflags & X86_VM) {
        c->code_bits = c->stack_bits = 16;
        c->cpl = 3;
    } else if ((c->efer & X86_EFER_LMA) && (cs->attr & X86_SEG_ATTR_L)) {
        c->code_bits = c->stack_bits = 64;
        c->cpl = X86_ATTR_DPL(ss->attr);
    } else {
        c->code_bits = cs->attr & X86_SEG_ATTR_DB ? 32 : 16;
        c->stack_bits = ss->attr & X86_SEG_ATTR_DB ? 32 : 16;
        c->cpl = X86_ATTR_DPL(ss->attr);
    }
    x86_mem_fast_refresh(c);
}

/* The state INIT gives (SDM vol. 3A Table 9-1); MSRs, the TSC, the APIC base and the x87/SSE
 * state beyond what is listed keep their values (the caller resets them on power-on). */
static void init_state(X86Cpu *c)
{
    memset(c->gpr, 0, sizeof c->gpr);
    c->gpr[X86_RDX] = c->model->signature;
    c->rip = 0xfff0;
    c->rflags = 2;
    for (int i = 0; i < X86_NSEG; i++)
        c->seg[i] = (X86Seg){ .base = 0, .limit = 0xffff, .attr = 0x93, .sel = 0 };
    c->seg[X86_CS] = (X86Seg){ .base = 0xffff0000ull, .limit = 0xffff, .attr = 0x9b,
                               .sel = 0xf000 };
    c->ldtr = (X86Seg){ .limit = 0xffff, .attr = 0x82 };
    c->tr = (X86Seg){ .limit = 0xffff, .attr = 0x8b };
    c->gdtr = (X86DescTable){ .base = 0, .limit = 0xffff };
    c->idtr = (X86DescTable){ .base = 0, .limit = 0xffff };
    /* CR0: CD, NW and ET set; the rest (and CR2-4, CR8) clear */
    c->cr0 = X86_CR0_CD | X86_CR0_NW | X86_CR0_ET;
    c->cr2 = c->cr3 = c->cr4 = c->cr8 = 0;
    c->xcr0 = 1;
    memset(c->dr, 0, sizeof c->dr);
    c->dr[6] = 0xffff0ff0;
    c->dr[7] = 0x400;
    c->efer = 0;
    c->fcw = 0x40;
    c->fsw = c->ftw = c->fop = 0;
    c->fip = c->fdp = 0;
    memset(c->st, 0, sizeof c->st);
    memset(c->xmm, 0, sizeof c->xmm);
    c->mxcsr = 0x1f80;
    c->interrupt_shadow = 0;
    c->halted = 0;
    c->nmi_pending = 0;
    c->nmi_blocked = 0;
    c->exc = (X86Exc){ .vector = -1 };
    c->lapic_event = 0;
    c->sipi_vector = 0;
    x86_update_mode(c);
    x86_tlb_flush(c);
    x86_decode_flush(c);
}

void x86_cpu_reset(X86Cpu *c, bool bsp)
{
    x86_msr_reset(c);         /* power-on: MSRs, APIC base (BSP flag), PAT, MTRRs, TSC */
    if (bsp)
        c->apic_base |= 1u << 8;
    if (c->lapic && lapic_set_base)
        lapic_set_base(c->lapic, c->apic_base);
    init_state(c);
    c->wait_sipi = bsp ? 0 : 1;
}

/* Flat 4 GiB segments (the Multiboot and long-mode entry states). */
static void flat_segments(X86Cpu *c, bool long_mode)
{
    for (int i = 0; i < X86_NSEG; i++)
        c->seg[i] = (X86Seg){ .base = 0, .limit = 0xffffffff, .sel = 0x10,
                              .attr = 0x93 | X86_ATTR_G | X86_SEG_ATTR_DB };
    c->seg[X86_CS] = (X86Seg){ .base = 0, .limit = 0xffffffff, .sel = 0x08,
                               .attr = 0x9b | X86_ATTR_G |
                                       (long_mode ? X86_SEG_ATTR_L : X86_SEG_ATTR_DB) };
    c->tr = (X86Seg){ .limit = 0xffff, .attr = 0x8b };
    c->ldtr = (X86Seg){ .attr = 0x82 | X86_SEG_ATTR_UNUSABLE };
}

/* The MTRRs as QEMU's firmware (SeaBIOS) leaves them on every core: the first MiB by fixed
 * ranges (RAM write-back, 0xa0000-0xbffff uncached, 0xc0000-0xfffff write-protected), the
 * PCI hole 3-4 GiB uncached by variable pair 0, write-back elsewhere, MTRRs enabled. An
 * entry state is what a kernel finds after the firmware; without these Linux leaves PAT
 * off. */
static void firmware_mtrrs(Machine *m)
{
    uint64_t ram = m->ram_size < (1ull << 32) ? m->ram_size : 1ull << 32;
    for (int k = 0; k < m->ncpus; k++) {
        if (m->cpus[k].cls != &x86_cpu_class)
            continue;
        X86Cpu *c = m->cpus[k].obj;
        uint64_t fix64 = 0, fix16 = 0;
        for (int i = 0; i < 8; i++) {
            if (ram >= 65536ull * (uint64_t)(i + 1))
                fix64 |= 6ull << (8 * i);
            if (ram >= 0x80000 + 16384ull * (uint64_t)(i + 1))
                fix16 |= 6ull << (8 * i);
        }
        c->mtrr[1] = fix64;
        c->mtrr[2] = fix16;
        c->mtrr[3] = 0;
        for (int j = 0; j < 8; j++) {
            uint64_t v = 0;
            for (int i = 0; i < 8; i++)
                if (ram >= 0xc0000 + (uint64_t)j * 0x8000 + 4096ull * (uint64_t)(i + 1))
                    v |= 5ull << (8 * i);
            c->mtrr[4 + j] = v;
        }
        for (int i = 16; i < 32; i++)
            c->mtrr[i] = 0;
        uint64_t phys = (1ull << (c->model->pa_bits ? c->model->pa_bits : 40)) - 1;
        c->mtrr[16] = 0xc0000000ull;                        /* UC */
        c->mtrr[17] = (~(0x40000000ull - 1) & phys) | 0x800;
        c->mtrr[0] = 0xc00 | 6;                             /* enabled, fixed enabled, WB */
    }
}

void x86_cpu_enter_multiboot(X86Cpu *c, uint32_t entry, uint32_t info)
{
    /* Multiboot spec 3.2: protected mode, paging off, flat segments, IF and VM clear; GDTR
     * and IDTR undefined (the OS loads its own) */
    /* CR0 as firmware leaves it (SeaBIOS under QEMU: PE and ET; caches on) */
    c->cr0 = X86_CR0_PE | X86_CR0_ET;
    c->efer &= ~(uint64_t)X86_EFER_LMA;
    flat_segments(c, false);
    c->rflags = 2;
    firmware_mtrrs(c->m);
    c->gpr[X86_RAX] = 0x2badb002;
    c->gpr[X86_RBX] = info;
    c->rip = entry;
    c->wait_sipi = 0;
    c->halted = 0;
    x86_update_mode(c);
    x86_tlb_flush(c);
    x86_decode_flush(c);
}

void x86_cpu_enter_long(X86Cpu *c, uint64_t entry, uint64_t cr3)
{
    c->cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP;
    c->cr4 = X86_CR4_PAE | X86_CR4_PGE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
    c->cr3 = cr3;
    c->efer |= X86_EFER_LME | X86_EFER_LMA | X86_EFER_SCE |
               ((c->model->e1_edx & X86_E1_EDX_NX) ? X86_EFER_NXE : 0);
    flat_segments(c, true);
    firmware_mtrrs(c->m);
    c->rflags = 2;
    c->rip = entry;
    c->wait_sipi = 0;
    c->halted = 0;
    x86_update_mode(c);
    x86_tlb_flush(c);
    x86_decode_flush(c);
}

/* ---- the run loop ---- */
/* host stack the chain's threaded dispatch may use where the compiler makes calls of its
 * jumps (builds without optimisation, sanitizers) */
#define X86_CHAIN_STACK (256 * 1024)
/* instructions the handlers run one after the other before the chain's loop takes over
 * again: what bounds the host stack in any build */
#define X86_CHAIN_RUN 1024
/* An event was scheduled while this core runs: stop at its time so the machine delivers it
 * exactly (atomic timing: one cycle per instruction). */
static void event_horizon(X86Cpu *c)
{
    Machine *m = c->m;
    c->evq_seq = m->evq.next_seq;
    SimTime next = evq_next_time(&m->evq);
    if (next == SIMTIME_NEVER)
        return;
    uint64_t ps = m->timing.ps_per_cycle ? m->timing.ps_per_cycle : 1;
    SimTime now = m->cpus[c->index].time + c->insns * ps;
    uint64_t left = next <= now ? 0 : (next - now + ps - 1) / ps;
    if (c->insns + left < c->budget)
        c->budget = c->insns + left;
}

/* INIT and start-up IPIs, NMIs: what the local APIC has for the core. */
static void take_apic_event(X86Cpu *c)
{
    if (!c->lapic_event && c->lapic && lapic_take_event) {
        int vec = 0;
        c->lapic_event = lapic_take_event(c->lapic, &vec);
        c->sipi_vector = vec & 0xff;
    }
    switch (c->lapic_event) {
    case LAPIC_EV_INIT: {
        uint64_t apic = c->apic_base;
        init_state(c);        /* INIT keeps the MSRs */
        c->apic_base = apic;
        c->wait_sipi = (apic & (1u << 8)) ? 0 : 1;
        break;
    }
    case LAPIC_EV_SIPI:
        if (c->wait_sipi) {   /* real mode at vector << 12, CS = vector << 8 */
            c->wait_sipi = 0;
            c->seg[X86_CS].sel = (uint16_t)(c->sipi_vector << 8);
            c->seg[X86_CS].base = (uint64_t)c->sipi_vector << 12;
            c->rip = 0;
            x86_update_mode(c);
            x86_decode_mode_changed(c);
        }
        break;
    case LAPIC_EV_NMI:
        c->nmi_pending = 1;
        break;
    default:
        break;
    }
    c->lapic_event = 0;
}

/* An interrupt the core would take now (IF set, no shadow): its vector, or -1. */
static int interrupt_ready(X86Cpu *c)
{
    if (!(c->rflags & X86_IF) || c->interrupt_shadow || !c->lapic || !lapic_pending)
        return -1;
    return lapic_pending(c->lapic);
}

/* The core stops waiting (HLT) for an NMI or an interrupt it can take. */
static bool wakeup_pending(X86Cpu *c)
{
    if (c->nmi_pending && !c->nmi_blocked)
        return true;
    return (c->rflags & X86_IF) && c->lapic && lapic_pending && lapic_pending(c->lapic) >= 0;
}

/* Before an instruction: INIT/SIPI/NMI, then a maskable interrupt. false: the core cannot
 * run now (waiting for SIPI, halted). */
static bool instruction_boundary(X86Cpu *c)
{
    c->recheck = 0;
    c->quiet = 0;
    if (c->lapic || c->lapic_event)
        take_apic_event(c);
    if (c->wait_sipi)
        return false;
    if (c->nmi_pending && !c->nmi_blocked && !c->interrupt_shadow) {
        c->nmi_pending = 0;
        c->start_ip = c->rip;
        x86_take_interrupt(c, X86_NMI);
        return !c->m->stop;
    }
    int v = interrupt_ready(c);
    if (v >= 0) {
        lapic_ack(c->lapic, v);
        c->start_ip = c->rip;
        x86_take_interrupt(c, v);
        return !c->m->stop;
    }
    /* nothing to take, and nothing will be until the APIC or a device is touched */
    c->quiet = !c->lapic_event && !c->nmi_pending && !c->halted &&
               (!c->lapic || !lapic_pending || lapic_pending(c->lapic) < 0);
    return !c->halted;
}

static void exception_taken(X86Cpu *c)
{
    x86_deliver_exc(c);
    if (++c->fetch_faults < X86_FETCH_FAULT_LIMIT || c->m->stop)
        return;
    machine_stop(c->m, EXIT_GUEST_CRASH,
                 "cpu%d: exception loop: %u exceptions in a row without an instruction retiring; "
                 "last at RIP 0x%llx, handler at CS 0x%04x RIP 0x%llx",
                 c->index, X86_FETCH_FAULT_LIMIT, (unsigned long long)c->start_ip,
                 c->seg[X86_CS].sel, (unsigned long long)c->rip);
}

static bool publish_insn(X86Cpu *c)
{
    uint8_t b[4] = { 0 };
    X86Exc saved = c->exc;
    x86_fetch(c, c->rip, b, 4);
    c->exc = saved;
    Machine *m = c->m;
    uint64_t ps = m->timing.ps_per_cycle ? m->timing.ps_per_cycle : 1;
    EvInfo e = { .kind = EV_INSN, .cpu = c->index, .el = (int)c->cpl, .vmid = -1, .pc = c->rip,
                 .time = m->cpus[c->index].time + c->insns * ps,
                 .u.insn = { .raw = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
                                    (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24 } };
    return ev_publish(&m->events, &e);
}

/* After an instruction retired: RF clears (but for IRET's own), and with TF set before and
 * after it the single-step trap (#DB with DR6.BS) comes, at the next instruction. A software
 * interrupt cleared TF on its way, so it takes none. */
static void after_insn_debug(X86Cpu *c, const X86Insn *d, bool tf)
{
    if (d->fn != x86_op_iret)
        c->rflags &= ~(uint64_t)X86_RF;
    if (tf && (c->rflags & X86_TF)) {
        c->dr[6] |= 1u << 14;
        x86_raise(c, X86_DB, false, 0);
        x86_deliver_exc(c);
    }
}

/* One instruction (or one event delivery, which costs one like an instruction so that
 * simulated time advances). false: leave the loop. careful: breakpoints and EV_INSN
 * subscribers to serve (a constant where it is inlined). */
static inline __attribute__((always_inline)) bool step(X86Cpu *c, bool careful)
{
    Machine *m = c->m;
    if (!careful) {
        /* the fast loop: nobody to tell */
    } else if (unlikely(m->break_check)) {
        if (m->break_skip_cpu == c->index) {
            m->break_skip_cpu = -1;
        } else if (machine_break_addr(m, c->rip) &&
                   m->break_check(m->break_opaque, c->index, c->rip, (int)c->cpl, -1)) {
            m->paused = true;
            m->stop = true;
            return false;
        }
    }
    if (careful && unlikely(ev_wants(&m->events, EV_INSN)) && publish_insn(c)) {
        m->paused = true;
        m->stop = true;
        return false;
    }
    c->start_ip = c->rip;
    c->exc.vector = -1;       /* nothing left over: the first exception of this one wins */
    bool tf = (c->rflags & X86_TF) != 0;
    bool shadow = c->interrupt_shadow;
    c->interrupt_shadow = 0;
    X86Insn tmp;
    const X86Insn *d = x86_decode_cached(c, &tmp);
    int r;
    if (unlikely(!d)) {
        r = X86_FAULT;
    } else {
        r = x86_execute(c, d);
        x86_lf_flush(c);      /* a cached handler may have left its flags pending */
        /* MOV SS / POP SS / STI set a new shadow for the next instruction; one that was
         * already on ends here (two in a row do not extend it) */
        if (shadow && c->interrupt_shadow)
            c->interrupt_shadow = 0;
    }
    c->insns++;
    if (unlikely(r == X86_FAULT)) {
        c->rip = c->start_ip;
        if (unlikely(c->dc_garbage != NULL))
            x86_dcache_collect(c);
        exception_taken(c);
        return !m->stop;
    }
    c->fetch_faults = 0;
    if (unlikely(c->rflags & (X86_RF | X86_TF)))
        after_insn_debug(c, d, tf);
    if (unlikely(c->dc_garbage != NULL))
        x86_dcache_collect(c);   /* d is not used after this */
    return r == X86_OK;
}

/* After an instruction of the fast loop retired from a decoded page: the instructions that
 * follow it (in its page and in other decoded pages), called one after the other with
 * nothing between them but the checks that would find something to do. It leaves, with the instruction after the last one
 * it ran still to run, at anything step() and the loop's boundary would act on:
 *  - the budget;
 *  - the decode cache's shortcut forgotten (dc_la), its one check between instructions:
 *    - by x86_recheck (sys_internal.h): a device or the APIC touched (MMIO, port I/O, MSRs,
 *      CR8: the only ways an instruction schedules an event or stops the machine), an
 *      interrupt shadow (x86_set_shadow), a pause asked by a subscriber or a watchpoint
 *      (x86_pause);
 *    - by x86_rflags_written (insn.h): RFLAGS.TF or RF set, or AC changed;
 *    - by a change of mode, CPL, segments or paging, a TLB flush, a page dropped (then
 *      dc_garbage is not empty);
 *  - RIP landing where nothing is decoded yet, or in a page the soft TLB does not hold for
 *    fetching now (a page the cache has decoded and the TLB holds becomes the chain's:
 *    x86_dc_switch);
 *  - an instruction faulting or asking to stop (X86_FAULT, X86_STOP).
 * So the architectural work is step()'s, instruction for instruction (a test runs both loops
 * to the same state hash); only the host's bookkeeping between them is left out. */
static inline __attribute__((always_inline)) bool chain(X86Cpu *c)
{
    uint64_t page = c->dc_la;
    const uint64_t ac = c->dc_ac;
    if (page == ~0ull || !c->quiet || c->recheck || c->interrupt_shadow || c->dc_garbage ||
        (c->rflags & (X86_TF | X86_RF | X86_AC)) != ac || !x86_dc_entry_holds(c) ||
        c->m->evq.next_seq != c->evq_seq)
        return true;
    const uint64_t budget = c->budget;
    bool go_on = true;
    /* where the compiler may make calls of the handlers' jumps (exec.h's x86_next), they go
     * down to this much stack below here */
    c->chain_floor = (uintptr_t)__builtin_frame_address(0) - X86_CHAIN_STACK;
    while (likely(c->insns < budget)) {
        /* the chain's page: forgotten (~0), or another one the handlers went on into */
        page = c->dc_la;
        if (unlikely(page == ~0ull))
            break;
        uint64_t off = c->rip - page;
        if (unlikely(off >= X86_DC_PAGE)) {
            /* on into another decoded page, where step() would find the instruction the
             * same way (x86_decode_slow), with nothing to do between them either */
            if (!x86_dc_switch(c))
                break;
            page = c->dc_la;
            off = c->rip - page;
        }
        X86DecodedPage *p = c->dc_cur;
        unsigned s = p->slot[off];
        if (unlikely(!s))
            break;
        /* where the chain starts again (after a handler that does not go on itself) a block
         * may start (jit.h) */
        if (unlikely(!p->tried[s - 1]) && !x86_jit_try(c, p, (unsigned)off))
            break;
        const X86Insn *d = &p->insn[s - 1];
        c->start_ip = c->rip;
        c->exc.vector = -1;
        if (unlikely(!d->lazy))
            x86_lf_flush(c);
        /* the handlers may start this many more themselves: the budget's, at most
         * X86_CHAIN_RUN (which bounds the stack where their jumps are calls) */
        uint64_t left = budget - c->insns - 1;
        c->chain_left = c->chain_run = left < X86_CHAIN_RUN ? left : X86_CHAIN_RUN;
        int r = d->fn(c, d);
        c->insns += 1 + (c->chain_run - c->chain_left);   /* d and those it started */
        c->chain_left = c->chain_run = 0;
        if (unlikely(r != X86_OK)) {
            x86_lf_flush(c);          /* a faulting handler left the flags as before it */
            if (r == X86_FAULT) {
                c->rip = c->start_ip;
                if (unlikely(c->dc_garbage != NULL))
                    x86_dcache_collect(c);
                exception_taken(c);
                return !c->m->stop;
            }
            go_on = false;        /* X86_STOP: as step() returns it */
            break;
        }
    }
    x86_lf_flush(c);
    if (unlikely(c->dc_garbage != NULL))
        x86_dcache_collect(c);
    return go_on;
}

static inline __attribute__((always_inline)) void run_loop(X86Cpu *c, bool careful)
{
    Machine *m = c->m;
    while (c->insns < c->budget && !m->stop) {
        if (unlikely(m->evq.next_seq != c->evq_seq)) {
            event_horizon(c);
            if (c->insns >= c->budget)
                break;
        }
        /* the boundary's checks, unless the last one found nothing and nothing changed */
        if (unlikely(c->recheck || !c->quiet)) {
            if (!instruction_boundary(c))
                break;
            if (c->halted)
                break;
        }
        /* false: the instruction stopped the loop (a fault, X86_STOP) */
        if (!step(c, careful) || (!careful && !chain(c))) {
            if (c->halted || m->stop || c->wait_sipi)
                break;
        }
    }
}

static uint64_t x86_run(void *obj, uint64_t max_cycles, uint64_t max_insns, uint64_t *cycles)
{
    X86Cpu *c = obj;
    Machine *m = c->m;
    *cycles = 0;
    uint64_t max = max_insns < max_cycles ? max_insns : max_cycles;
    if (!max)
        return 0;
    c->budget = max;
    c->insns = 0;
    c->evq_seq = m->evq.next_seq;
    c->recheck = 1;           /* the APIC and the devices may have changed since the last run */
    x86_mem_fast_refresh(c);  /* and watchpoints, EV_MEM subscribers, registers set by hand */
    /* breakpoints and instruction subscribers (-d exec, plugins) need the careful loop;
     * neither comes or goes while the core runs */
    if (m->break_check || ev_wants(&m->events, EV_INSN))
        run_loop(c, true);
    else
        run_loop(c, false);
    uint64_t ran = c->insns;
    c->insns = c->budget = 0;
    *cycles = ran;
    return ran;
}

static bool x86_idle(void *obj)
{
    X86Cpu *c = obj;
    if (!c->halted && !c->wait_sipi)
        return false;         /* running: its loop asks the local APIC itself */
    if (!c->lapic_event && c->lapic && lapic_take_event) {
        /* the event is kept (machine state) until the core acts on it */
        int vec = 0;
        c->lapic_event = lapic_take_event(c->lapic, &vec);
        c->sipi_vector = vec & 0xff;
    }
    if (c->lapic_event)
        return false;
    if (c->wait_sipi)
        return true;
    return c->halted && !wakeup_pending(c);
}

static bool x86_off(void *obj)
{
    const X86Cpu *c = obj;
    /* an AP waiting for SIPI is started by another core, as a powered-off one */
    return c->wait_sipi && !c->lapic_event;
}

static void x86_hash(void *obj, GChecksum *ck)
{
    X86Cpu *c = obj;
    char name[16];
    snprintf(name, sizeof name, "cpu%d", c->index);
    state_hash_object(ck, name, &x86_state_desc, c);
}

static void x86_post_load(void *obj)
{
    X86Cpu *c = obj;
    c->exc = (X86Exc){ .vector = -1 };
    c->insns = c->budget = 0;
    c->evq_seq = 0;
    c->fetch_faults = 0;
    x86_update_mode(c);
    x86_tlb_flush(c);
    x86_decode_flush(c);
}

static uint64_t x86_retired(void *obj)
{
    return x86_insns_now(obj);
}

static void x86_flush_write_cache(void *obj)
{
    (void)obj;                /* every store takes the slow path (no soft TLB yet) */
}

static void x86_timing_changed(void *obj, TimingSys *sys)
{
    /* the cycle model has no x86 walker yet: the core keeps atomic timing */
    (void)obj;
    (void)sys;
}

static void x86_destroy(void *obj)
{
    X86Cpu *c = obj;
    x86_decode_flush(c);
    x86_dcache_collect(c);
    x86_jit_free(c);
    g_free(c);
}

/* inspect.c */
bool x86_peek_reg(void *cpu, const char *name, uint64_t *v);
bool x86_peek_virt(void *cpu, uint64_t va, void *buf, uint64_t len);
bool x86_debug_translate(void *cpu, uint64_t va, uint64_t *pa);
bool x86_debug_translate_ipa(void *cpu, uint64_t ipa, uint64_t *pa);
void x86_tlb_dump(void *cpu, GString *out, void (*sym)(void *ctx, uint64_t va, GString *out),
                  void *ctx);
void x86_explain_translation(void *cpu, uint64_t va, GString *out);

static uint64_t x86_pc_of(void *cpu)
{
    return ((X86Cpu *)cpu)->rip;
}

static int x86_level_of(void *cpu)
{
    return (int)((X86Cpu *)cpu)->cpl;
}

static void x86_flush_tlb_of(void *cpu)
{
    x86_tlb_flush(cpu);
}

const CpuClass x86_cpu_class = {
    .arch = "x86_64",
    .run = x86_run,
    .tm_walk = NULL,
    .timing_changed = x86_timing_changed,
    .idle = x86_idle,
    .off = x86_off,
    .hash = x86_hash,
    .desc = &x86_state_desc,
    .post_load = x86_post_load,
    .retired = x86_retired,
    .flush_write_cache = x86_flush_write_cache,
    .peek_reg = x86_peek_reg,
    .peek_virt = x86_peek_virt,
    .debug_translate = x86_debug_translate,
    .debug_translate_ipa = x86_debug_translate_ipa,
    .max_insn_bytes = X86_MAX_INSN_BYTES,
    .disas = x86_disas,
    .tlb_dump = x86_tlb_dump,
    .explain_translation = x86_explain_translation,
    .regs = &x86_regset,
    .reg_get = x86_reg_get,
    .reg_put = x86_reg_put,
    .reg_part = x86_reg_part,
    .reg_aliases = x86_reg_aliases,
    .pc = x86_pc_of,
    .level = x86_level_of,
    .level_prefix = "CPL",
    .syndrome_name = "error",
    .info_topics = x86_info_topics,
    .sysreg_name = x86_sysreg_name,
    .flush_tlb = x86_flush_tlb_of,
    .set_trace = x86_trace_set,
    .destroy = x86_destroy,
};

X86Cpu *x86_cpu_new(Machine *m, int index)
{
    X86Cpu *c = g_new0(X86Cpu, 1);
    c->m = m;
    c->index = index;
    c->model = x86_cpu_model_find(m->cfg.cpu_model ? m->cfg.cpu_model : "qemu64");
    if (!c->model)
        c->model = x86_cpu_model_find("qemu64");   /* the board checked the name */
    c->trace_mask = m->cfg.trace_mask;
    c->jit_off = m->cfg.jit_off;
    if (c->trace_mask & (TRACE_INT | TRACE_EXEC | TRACE_MMU))
        x86_trace_set(m, c->trace_mask);
    c->exc.vector = -1;
    /* decoded pages are dropped when their code is written (dcache.h) */
    if (!m->code_written)
        m->code_written = x86_code_written;
    x86_cpu_reset(c, index == 0);
    return c;
}

bool x86_cpu_model_known(const char *name)
{
    return x86_cpu_model_find(name) != NULL;
}
