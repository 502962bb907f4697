/* x86 exception and interrupt delivery (SDM vol. 3A chapter 6): the real-mode IVT, the
 * protected-mode IDT (16- and 32-bit interrupt and trap gates, stack switch from the TSS on a
 * privilege change), the long-mode IDT (16-byte gates, IST, RSPn, SS made null on a privilege
 * change, the stack aligned to 16), error codes, the double-fault rules and the triple fault.
 *
 * Not modelled: task gates and task switches (an IDT task gate is #GP(vector) — no
 * operating system we run uses them outside a double fault), virtual-8086 interrupts
 * (#GP(0)), the triple fault's reset (the machine stops with exit 3 and the faulting
 * address: a reset would restart a program that has already failed). */
#include <stdio.h>
#include "cpu/x86_64/sys_internal.h"
#include "cpu/x86_64/insn.h"

void x86_raise(X86Cpu *c, int vector, bool has_error, uint32_t error_code)
{
    if (c->exc.vector >= 0)
        return;               /* the first one wins until delivered */
    c->exc.vector = vector;
    c->exc.has_error = has_error;
    c->exc.error_code = has_error ? error_code : 0;
    c->exc.cr2 = 0;
}

void x86_set_rflags(X86Cpu *c, uint64_t v)
{
    /* defined bits: CF 1 PF AF ZF SF TF IF DF OF IOPL NT RF VM AC VIF VIP ID */
    const uint64_t defined = 0x3f7fd5, old = c->rflags;
    c->rflags = (v & defined) | 2;
    x86_rflags_written(c, old);
}

static bool has_error_code(int vector)
{
    return vector == X86_DF_EXC || (vector >= X86_TS && vector <= X86_PF_EXC) ||
           vector == X86_AC_EXC || vector == 21;
}

/* Contributory exceptions (SDM Table 6-4). */
static bool contributory(int v)
{
    return v == X86_DE || v == X86_TS || v == X86_NP || v == X86_SS_EXC || v == X86_GP;
}

static void publish_taken(X86Cpu *c, int vector, unsigned from_cpl, uint64_t ret_ip,
                          bool has_error, uint32_t ec, int kind)
{
    EvX86Exc a = { .vector = vector, .error_code = ec, .has_error = has_error,
                   .cr2 = vector == X86_PF_EXC ? c->cr2 : 0, .external = kind == X86_EV_EXT };
    EvInfo e = { .kind = EV_EXC_TAKEN, .cpu = c->index, .el = (int)from_cpl, .vmid = -1,
                 .pc = ret_ip,
                 .u.exc = { .to_el = (int)c->cpl, .syndrome = has_error ? ec : 0,
                            .vector = vector, .cause = kind == X86_EV_EXT ? -1 : vector,
                            .call = -1 },
                 .arch = &a };
    if (ev_publish(&c->m->events, &e)) {
        x86_pause(c);
    }
}

/* ---- real mode ---- */
static bool deliver_real(X86Cpu *c, int vector, uint64_t ret_ip)
{
    uint64_t ent;
    if ((uint32_t)vector * 4 + 3 > c->idtr.limit)
        return x86_fault(c, X86_GP, (uint32_t)vector * 8 + 2, true);
    if (!x86_la_read(c, (uint32_t)(c->idtr.base + (uint32_t)vector * 4), 4, X86_PRIV_SUPER, &ent))
        return false;
    /* FLAGS, CS, IP on SS:SP (16-bit; the stack wraps within its 64 KiB) */
    uint16_t sp = (uint16_t)c->gpr[X86_RSP];
    uint64_t ss = c->seg[X86_SS].base;
    uint16_t vals[3] = { (uint16_t)c->rflags, c->seg[X86_CS].sel, (uint16_t)ret_ip };
    for (int i = 0; i < 3; i++) {
        uint64_t pa;
        if (!x86_translate_la(c, (uint32_t)(ss + (uint16_t)(sp - 2 * (i + 1))), X86_ACC_WRITE,
                              X86_PRIV_SUPER, &pa))
            return false;
    }
    for (int i = 0; i < 3; i++) {
        sp = (uint16_t)(sp - 2);
        x86_la_write(c, (uint32_t)(ss + sp), 2, X86_PRIV_SUPER, vals[i]);
    }
    c->gpr[X86_RSP] = (c->gpr[X86_RSP] & ~0xffffull) | sp;
    c->rflags &= ~(uint64_t)(X86_IF | X86_TF | X86_AC | X86_RF);
    x86_seg_load_real(c, X86_CS, (uint16_t)(ent >> 16));
    c->rip = ent & 0xffff;
    return true;
}

/* ---- protected and long mode ---- */
/* Pushes n values of size bytes below rsp on the stack at ss_base (a linear address), as
 * the given privilege, after checking every byte can be written. Returns the new RSP. */
static bool push_frame(X86Cpu *c, uint64_t ss_base, uint64_t rsp, unsigned sp_mask,
                       const uint64_t *vals, int n, unsigned size, X86Priv priv, uint64_t *new_rsp)
{
    uint64_t mask = sp_mask == 8 ? ~0ull : sp_mask == 4 ? 0xffffffffull : 0xffffull;
    uint64_t top = (rsp - (uint64_t)n * size) & mask;
    uint64_t la = ss_base + top;
    if (sp_mask != 8)
        la = (uint32_t)la;
    if (sp_mask == 8 && !x86_canonical(la, (c->cr4 & X86_CR4_LA57) != 0))
        return x86_fault(c, X86_SS_EXC, 0, true);
    if (!x86_la_probe_write(c, la, (unsigned)n * size, priv))
        return false;
    uint64_t sp = rsp;
    for (int i = 0; i < n; i++) {
        sp = (sp - size) & mask;
        uint64_t a = ss_base + sp;
        x86_la_write(c, sp_mask == 8 ? a : (uint32_t)a, size, priv, vals[i]);
    }
    *new_rsp = (rsp & ~mask) | sp;
    return true;
}

/* The target code segment of a gate: checks (SDM 6.12.1.1) and its descriptor. */
static bool gate_cs(X86Cpu *c, uint16_t sel, uint32_t ext, bool long_mode, uint64_t *desc)
{
    if (!(sel & ~3u))
        return x86_fault(c, X86_GP, ext, true);
    if (!x86_read_desc(c, sel, desc)) {
        if (c->exc.vector == X86_GP)
            c->exc.error_code |= ext;     /* outside the GDT/LDT; a #PF keeps its own code */
        return false;
    }
    unsigned attr = (unsigned)(*desc >> 40) & 0xff, dpl = (attr >> 5) & 3;
    if (!(attr & X86_ATTR_S) || !(attr & 8) || dpl > c->cpl)
        return x86_fault(c, X86_GP, (sel & 0xfffc) | ext, true);
    if (long_mode && (!(*desc & (1ull << 53)) || (*desc & (1ull << 54))))
        return x86_fault(c, X86_GP, (sel & 0xfffc) | ext, true);
    if (!(attr & X86_ATTR_P))
        return x86_fault(c, X86_NP, (sel & 0xfffc) | ext, true);
    return true;
}

static bool deliver_protected(X86Cpu *c, int vector, int kind, bool has_error, uint32_t ec,
                              uint64_t ret_ip)
{
    bool lm = x86_lma(c);
    uint32_t ext = kind == X86_EV_SOFT ? 0 : 1;
    uint32_t idt_ec = (uint32_t)vector * 8 + 2 + ext;
    unsigned gate_size = lm ? 16 : 8;
    if ((uint32_t)vector * gate_size + gate_size - 1 > c->idtr.limit)
        return x86_fault(c, X86_GP, idt_ec, true);
    uint64_t ga = c->idtr.base + (uint64_t)vector * gate_size, lo, hi = 0;
    if (!lm)
        ga = (uint32_t)ga;
    if (!x86_la_read(c, ga, 8, X86_PRIV_IMPLICIT, &lo) ||
        (lm && !x86_la_read(c, ga + 8, 8, X86_PRIV_IMPLICIT, &hi)))
        return false;
    unsigned gtype = (unsigned)(lo >> 40) & 0xf, gdpl = (unsigned)(lo >> 45) & 3;
    bool gate32, trap;
    if (lm) {
        if (gtype != 14 && gtype != 15)
            return x86_fault(c, X86_GP, idt_ec, true);
        gate32 = true;
        trap = gtype == 15;
    } else {
        if (gtype == 5)
            return x86_fault(c, X86_GP, idt_ec, true);   /* task gate: not modelled */
        if (gtype != 6 && gtype != 7 && gtype != 14 && gtype != 15)
            return x86_fault(c, X86_GP, idt_ec, true);
        gate32 = gtype >= 14;
        trap = gtype & 1;
    }
    if (kind == X86_EV_SOFT && gdpl < c->cpl)
        return x86_fault(c, X86_GP, idt_ec, true);
    if (!(lo & (1ull << 47)))
        return x86_fault(c, X86_NP, idt_ec, true);
    if (x86_vm86(c))
        return x86_fault(c, X86_GP, 0, true);           /* virtual-8086 mode: not modelled */
    uint16_t sel = (uint16_t)(lo >> 16);
    uint64_t target = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ull);
    if (lm)
        target |= hi << 32;
    else if (!gate32)
        target &= 0xffff;
    uint64_t cs_desc;
    if (!gate_cs(c, sel, ext, lm, &cs_desc))
        return false;
    unsigned cdpl = (unsigned)(cs_desc >> 45) & 3;
    bool conforming = ((cs_desc >> 40) & 0xc) == 0xc;
    unsigned old_cpl = c->cpl, new_cpl = conforming ? old_cpl : cdpl;
    bool priv_change = new_cpl < old_cpl;
    unsigned ist = lm ? (unsigned)(lo >> 32) & 7 : 0;
    X86Priv priv = new_cpl == 3 ? X86_PRIV_USER : X86_PRIV_SUPER;
    uint64_t frame[6];
    int n = 0;
    uint64_t rsp = c->gpr[X86_RSP], ss_base = c->seg[X86_SS].base, new_rsp;
    uint16_t new_ss_sel = c->seg[X86_SS].sel;
    uint64_t new_ss_desc = 0;
    unsigned sp_size;
    if (lm) {
        if (priv_change || ist) {
            /* TSS64: RSPn at 4 + 8n, ISTn at 36 + 8(n-1) */
            uint64_t off = ist ? 36 + 8 * (ist - 1) : 4 + 8 * (uint64_t)new_cpl;
            if (off + 7 > c->tr.limit)
                return x86_fault(c, X86_TS, (c->tr.sel & 0xfffc) | ext, true);
            if (!x86_la_read(c, c->tr.base + off, 8, X86_PRIV_IMPLICIT, &rsp))
                return false;
        }
        rsp &= ~0xfull;
        ss_base = 0;
        if (priv_change)
            new_ss_sel = (uint16_t)new_cpl;
        sp_size = 8;
        frame[n++] = c->seg[X86_SS].sel;
        frame[n++] = c->gpr[X86_RSP];
    } else {
        unsigned esize = gate32 ? 4 : 2;
        if (priv_change) {
            /* TSS32: ESPn at 4 + 8n, SSn at 8 + 8n (16-bit TSS: SPn at 2 + 4n, SSn at 4 + 4n) */
            bool tss32 = X86_ATTR_TYPE(c->tr.attr) == 9 || X86_ATTR_TYPE(c->tr.attr) == 11;
            uint64_t off = tss32 ? 4 + 8 * (uint64_t)new_cpl : 2 + 4 * (uint64_t)new_cpl;
            uint64_t sp_v, ss_v;
            if (off + (tss32 ? 5 : 3) > c->tr.limit)
                return x86_fault(c, X86_TS, (c->tr.sel & 0xfffc) | ext, true);
            unsigned w = tss32 ? 4 : 2;
            if (!x86_la_read(c, (uint32_t)(c->tr.base + off), w, X86_PRIV_IMPLICIT, &sp_v) ||
                !x86_la_read(c, (uint32_t)(c->tr.base + off + w), 2, X86_PRIV_IMPLICIT, &ss_v))
                return false;
            new_ss_sel = (uint16_t)ss_v;
            if (!(new_ss_sel & ~3u) || (new_ss_sel & 3) != new_cpl)
                return x86_fault(c, X86_TS, (new_ss_sel & 0xfffc) | ext, true);
            if (!x86_read_desc(c, new_ss_sel, &new_ss_desc)) {
                if (c->exc.vector == X86_GP) {    /* outside the table: #TS; a #PF stays */
                    c->exc.vector = X86_TS;
                    c->exc.error_code = (new_ss_sel & 0xfffc) | ext;
                }
                return false;
            }
            unsigned a = (unsigned)(new_ss_desc >> 40) & 0xff;
            if (!(a & X86_ATTR_S) || (a & 8) || !(a & 2) || ((a >> 5) & 3) != new_cpl)
                return x86_fault(c, X86_TS, (new_ss_sel & 0xfffc) | ext, true);
            if (!(a & X86_ATTR_P))
                return x86_fault(c, X86_SS_EXC, (new_ss_sel & 0xfffc) | ext, true);
            X86Seg tmp;
            x86_seg_from_desc(&tmp, new_ss_sel, new_ss_desc);
            ss_base = tmp.base;
            rsp = sp_v;
            sp_size = tmp.attr & X86_SEG_ATTR_DB ? 4 : 2;
            frame[n++] = c->seg[X86_SS].sel;
            frame[n++] = c->gpr[X86_RSP] & (esize == 4 ? 0xffffffffull : 0xffff);
        } else {
            sp_size = c->seg[X86_SS].attr & X86_SEG_ATTR_DB ? 4 : 2;
        }
    }
    frame[n++] = c->rflags;
    frame[n++] = c->seg[X86_CS].sel;
    frame[n++] = ret_ip;
    if (has_error)
        frame[n++] = ec;
    unsigned esize = lm ? 8 : gate32 ? 4 : 2;
    if (!push_frame(c, ss_base, rsp, sp_size, frame, n, esize, priv, &new_rsp))
        return false;
    /* committed: nothing below can fault */
    if (priv_change) {
        if (lm) {
            x86_seg_load_null(c, X86_SS, new_ss_sel);
        } else {
            x86_desc_set_accessed(c, new_ss_sel, new_ss_desc);
            x86_seg_from_desc(&c->seg[X86_SS], new_ss_sel, new_ss_desc | (1ull << 40));
        }
    }
    c->gpr[X86_RSP] = new_rsp;
    x86_desc_set_accessed(c, sel, cs_desc);
    x86_set_cs(c, sel, cs_desc, new_cpl);
    x86_update_mode(c);
    c->rip = target;
    c->rflags &= ~(uint64_t)(X86_TF | X86_NT | X86_RF | X86_VM);
    if (!trap)
        c->rflags &= ~(uint64_t)X86_IF;
    return true;
}

bool x86_interrupt(X86Cpu *c, int vector, int kind, bool has_error, uint32_t error_code,
                   uint64_t ret_ip)
{
    unsigned from = c->cpl;
    X86Exc saved = c->exc;
    c->exc.vector = -1;
    if (vector == X86_PF_EXC && kind == X86_EV_EXC)
        c->cr2 = saved.cr2;   /* CR2 is loaded as the #PF is delivered, even if that faults */
    bool ok = x86_protected(c) ? deliver_protected(c, vector, kind, has_error, error_code, ret_ip)
                               : deliver_real(c, vector, ret_ip);
    if (!ok)
        return false;
    c->halted = 0;
    if (vector == X86_NMI && kind == X86_EV_EXT)
        c->nmi_blocked = 1;
    if (ev_wants(&c->m->events, EV_EXC_TAKEN))
        publish_taken(c, vector, from, ret_ip, has_error, error_code, kind);
    return true;
}

static void triple_fault(X86Cpu *c, int first)
{
    machine_stop(c->m, EXIT_GUEST_CRASH,
                 "cpu%d: triple fault at RIP 0x%llx (CS 0x%04x, CPL %u): exception %d while "
                 "delivering a double fault (first fault: vector %d)",
                 c->index, (unsigned long long)c->start_ip, c->seg[X86_CS].sel, c->cpl,
                 c->exc.vector, first);
    c->exc.vector = -1;
    c->halted = 1;            /* shutdown: the core does nothing more */
}

void x86_deliver_exc(X86Cpu *c)
{
    int vector = c->exc.vector, kind = X86_EV_EXC, first = vector;
    bool has_error = c->exc.has_error && x86_protected(c);
    uint32_t ec = c->exc.error_code;
    if (vector < 0)
        return;
    for (int depth = 0; depth < 3; depth++) {
        if (x86_interrupt(c, vector, kind, has_error, ec, c->rip))
            return;
        int next = c->exc.vector;
        if (vector == X86_DF_EXC) {
            triple_fault(c, first);
            return;
        }
        /* SDM Table 6-5: contributory after contributory, or a page fault or contributory
         * exception after a page fault, is a double fault */
        if ((contributory(vector) && contributory(next)) ||
            (vector == X86_PF_EXC && (next == X86_PF_EXC || contributory(next)))) {
            vector = X86_DF_EXC;
            ec = 0;
            has_error = true;
        } else {
            vector = next;
            ec = c->exc.error_code;
            has_error = c->exc.has_error && x86_protected(c) && has_error_code(vector);
        }
        c->exc.cr2 = c->exc.vector == X86_PF_EXC ? c->exc.cr2 : 0;
        c->exc.vector = vector;
        c->exc.error_code = ec;
        c->exc.has_error = has_error;
    }
    triple_fault(c, first);
}

void x86_take_interrupt(X86Cpu *c, int vector)
{
    if (x86_interrupt(c, vector, X86_EV_EXT, false, 0, c->rip))
        return;
    x86_deliver_exc(c);       /* the fault delivering it raised */
}
