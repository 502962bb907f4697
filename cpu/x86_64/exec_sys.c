/* x86-64 system instructions (SDM vol. 2): segment-register loads and stores, far jumps,
 * calls and returns, IRET, INT n / INT3 / INTO / INT1, HLT, CLI/STI, port I/O with INS/OUTS,
 * the descriptor-table group (SLDT..VERW, SGDT..INVLPG, SWAPGS, RDTSCP, CLAC/STAC), LAR/LSL,
 * SYSCALL/SYSRET, SYSENTER/SYSEXIT, control and debug registers, RDMSR/WRMSR, RDTSC, CPUID,
 * INVPCID and the 0F AE group (FXSAVE/FXRSTOR, LDMXCSR/STMXCSR, fences, CLFLUSH).
 *
 * Not modelled, and what the guest sees: call gates and task switches in far transfers
 * (#GP(selector)), IRET with NT set (a task return: #GP(0)) and to virtual-8086 mode
 * (#GP(0)), debug-register breakpoints (DR0-7 are storage), performance counters (RDPMC
 * #GP(0)), SMM (RSM #UD), XSAVE and RDRAND/RDSEED/MONITOR (#UD: not advertised). */
#include <string.h>
#include "cpu/x86_64/sys_internal.h"
#include "cpu/x86_64/exec.h"
#include "devices/lapic.h"

#pragma weak lapic_mmio_read
#pragma weak lapic_mmio_write
#pragma weak lapic_msr_read
#pragma weak lapic_msr_write

/* EV_EXC_RETURN: an IRET, SYSRET or SYSEXIT took the core from CPL from to where it is. */
static void publish_return(X86Cpu *c, unsigned from)
{
    if (!ev_wants(&c->m->events, EV_EXC_RETURN))
        return;
    EvInfo e = { .kind = EV_EXC_RETURN, .cpu = c->index, .el = (int)from, .vmid = -1,
                 .pc = c->rip, .u.exc = { .to_el = (int)c->cpl, .vector = -1, .cause = -1,
                                             .call = -1 } };
    if (ev_publish(&c->m->events, &e)) {
        x86_pause(c);
    }
}

static int gp0(X86Cpu *c)
{
    x86_raise(c, X86_GP, true, 0);
    return X86_FAULT;
}

static int gp_sel(X86Cpu *c, uint16_t sel)
{
    x86_raise(c, X86_GP, true, sel & 0xfffc);
    return X86_FAULT;
}

static bool real_or_vm86(const X86Cpu *c)
{
    return !x86_protected(c) || x86_vm86(c);
}

/* CR4.UMIP: SGDT, SIDT, SLDT, SMSW and STR are CPL 0 only. */
static bool umip_blocks(const X86Cpu *c)
{
    return (c->cr4 & X86_CR4_UMIP) && c->cpl > 0;
}

static unsigned stack_size(const X86Cpu *c)
{
    return c->stack_bits / 8;
}

static uint64_t sp_mask(unsigned size)
{
    return size == 8 ? ~0ull : size == 4 ? 0xffffffffull : 0xffffull;
}

/* Reads n values of size bytes from the stack at RSP + skip*size without popping. */
static bool stack_peek(X86Cpu *c, unsigned size, int n, uint64_t *vals)
{
    unsigned ss = stack_size(c);
    uint64_t sp = c->gpr[X86_RSP];
    for (int i = 0; i < n; i++) {
        if (!x86_read(c, X86_SS, (sp + (uint64_t)i * size) & sp_mask(ss), size, &vals[i]))
            return false;
    }
    return true;
}

static void set_rsp(X86Cpu *c, uint64_t v)
{
    unsigned ss = stack_size(c);
    uint64_t m = sp_mask(ss);
    c->gpr[X86_RSP] = ss == 8 ? v : (c->gpr[X86_RSP] & ~m) | (v & m);
}

/* ---- segment registers ---- */
int x86_op_mov_to_sreg(X86Cpu *c, const X86Insn *d)
{
    unsigned sreg = d->reg & 7;
    if (sreg == X86_CS || sreg >= X86_NSEG)
        return x86_ud(c);
    uint64_t v;
    if (!x86_rm_read(c, d, 2, &v) || !x86_load_seg(c, (int)sreg, (uint16_t)v))
        return X86_FAULT;
    if (sreg == X86_SS)
        x86_set_shadow(c);
    return x86_retire(c, d);
}

int x86_op_mov_from_sreg(X86Cpu *c, const X86Insn *d)
{
    unsigned sreg = d->reg & 7;
    if (sreg >= X86_NSEG)
        return x86_ud(c);
    uint64_t v = c->seg[sreg].sel;
    if (d->mod == 3)
        x86_set_reg(c, d, d->rm, d->opsize, v);
    else if (!x86_write(c, d->seg, x86_ea(c, d), 2, v))
        return X86_FAULT;
    return x86_retire(c, d);
}

static int sreg_of_opcode(const X86Insn *d)
{
    if (d->map == 1)
        return d->opcode < 0xa8 ? X86_FS : X86_GS;
    return (d->opcode >> 3) & 3;      /* 06/07 ES, 0E CS, 16/17 SS, 1E/1F DS */
}

int x86_op_push_sreg(X86Cpu *c, const X86Insn *d)
{
    if (!x86_push(c, d->opsize, c->seg[sreg_of_opcode(d)].sel))
        return X86_FAULT;
    return x86_retire(c, d);
}

int x86_op_pop_sreg(X86Cpu *c, const X86Insn *d)
{
    int sreg = sreg_of_opcode(d);
    uint64_t v;
    if (!stack_peek(c, d->opsize, 1, &v) || !x86_load_seg(c, sreg, (uint16_t)v))
        return X86_FAULT;
    set_rsp(c, c->gpr[X86_RSP] + d->opsize);
    if (sreg == X86_SS)
        x86_set_shadow(c);
    return x86_retire(c, d);
}

int x86_op_lseg(X86Cpu *c, const X86Insn *d)
{
    int sreg = d->map == 0 ? (d->opcode == 0xc4 ? X86_ES : X86_DS)
             : d->opcode == 0xb2 ? X86_SS : d->opcode == 0xb4 ? X86_FS : X86_GS;
    if (d->mod == 3)
        return x86_ud(c);
    uint64_t ea = x86_ea(c, d), off, sel;
    if (!x86_read(c, d->seg, ea, d->opsize, &off) ||
        !x86_read(c, d->seg, x86_trunc(ea + d->opsize, d->addrsize), 2, &sel) ||
        !x86_load_seg(c, sreg, (uint16_t)sel))
        return X86_FAULT;
    x86_set_reg(c, d, d->reg, d->opsize, off);
    if (sreg == X86_SS)
        x86_set_shadow(c);
    return x86_retire(c, d);
}

/* ---- far transfers ---- */
/* The checks of a far JMP/CALL to a code segment (SDM JMP/CALL, "far jump to a conforming or
 * nonconforming code segment"); call gates and TSS/task gates are not modelled. */
static bool far_target(X86Cpu *c, uint16_t sel, uint64_t *desc)
{
    if (!(sel & ~3u))
        return x86_fault(c, X86_GP, 0, true);
    if (!x86_read_desc(c, sel, desc))
        return false;
    unsigned attr = (unsigned)(*desc >> 40) & 0xff, dpl = (attr >> 5) & 3, rpl = sel & 3;
    if (!(attr & X86_ATTR_S) || !(attr & 8))
        return x86_fault(c, X86_GP, sel & 0xfffc, true);   /* a gate or TSS: not modelled */
    if ((attr & 4) ? dpl > c->cpl : (rpl > c->cpl || dpl != c->cpl))
        return x86_fault(c, X86_GP, sel & 0xfffc, true);
    if (x86_lma(c) && (*desc & (1ull << 53)) && (*desc & (1ull << 54)))
        return x86_fault(c, X86_GP, sel & 0xfffc, true);   /* L and D both set */
    if (!(attr & X86_ATTR_P))
        return x86_fault(c, X86_NP, sel & 0xfffc, true);
    return true;
}

/* The new RIP against the target segment: its limit, or canonical for 64-bit code. */
static bool target_ok(X86Cpu *c, uint64_t desc, uint64_t rip)
{
    X86Seg s;
    x86_seg_from_desc(&s, 0, desc);
    if (x86_lma(c) && (s.attr & X86_SEG_ATTR_L))
        return x86_canonical(rip, (c->cr4 & X86_CR4_LA57) != 0) || x86_fault(c, X86_GP, 0, true);
    return rip <= s.limit || x86_fault(c, X86_GP, 0, true);
}

static bool far_operand(X86Cpu *c, const X86Insn *d, uint64_t *off, uint16_t *sel)
{
    if (d->map == 0 && (d->opcode == 0xea || d->opcode == 0x9a)) {
        *off = d->imm;
        *sel = (uint16_t)d->imm2;
        return true;
    }
    if (d->mod == 3) {
        x86_raise(c, X86_UD, false, 0);
        return false;
    }
    uint64_t ea = x86_ea(c, d), s;
    if (!x86_read(c, d->seg, ea, d->opsize, off) ||
        !x86_read(c, d->seg, x86_trunc(ea + d->opsize, d->addrsize), 2, &s))
        return false;
    *sel = (uint16_t)s;
    return true;
}

int x86_op_jmp_far(X86Cpu *c, const X86Insn *d)
{
    uint64_t off, desc;
    uint16_t sel;
    if (!far_operand(c, d, &off, &sel))
        return X86_FAULT;
    if (d->opsize < 8)
        off &= sp_mask(d->opsize);
    if (real_or_vm86(c)) {
        x86_seg_load_real(c, X86_CS, sel);
        c->rip = off;
        return X86_OK;
    }
    if (!far_target(c, sel, &desc) || !target_ok(c, desc, off) ||
        !x86_desc_set_accessed(c, sel, desc))
        return X86_FAULT;
    x86_set_cs(c, sel, desc, c->cpl);
    c->rip = off;
    return X86_OK;
}

int x86_op_call_far(X86Cpu *c, const X86Insn *d)
{
    uint64_t off, desc = 0;
    uint16_t sel;
    if (!far_operand(c, d, &off, &sel))
        return X86_FAULT;
    if (d->opsize < 8)
        off &= sp_mask(d->opsize);
    bool real = real_or_vm86(c);
    if (!real && (!far_target(c, sel, &desc) || !target_ok(c, desc, off)))
        return X86_FAULT;
    /* push CS and the return address, both checked before either is written */
    unsigned sz = d->opsize, ss = stack_size(c);
    uint64_t sp = c->gpr[X86_RSP];
    uint64_t a1 = (sp - sz) & sp_mask(ss), a2 = (sp - 2 * sz) & sp_mask(ss), tmp;
    if (!x86_read_rmw(c, X86_SS, a1, sz, &tmp) || !x86_read_rmw(c, X86_SS, a2, sz, &tmp))
        return X86_FAULT;
    if (!real && !x86_desc_set_accessed(c, sel, desc))
        return X86_FAULT;
    x86_write(c, X86_SS, a1, sz, c->seg[X86_CS].sel);
    x86_write(c, X86_SS, a2, sz, x86_next_ip(c, d));
    set_rsp(c, a2);
    if (real)
        x86_seg_load_real(c, X86_CS, sel);
    else
        x86_set_cs(c, sel, desc, c->cpl);
    c->rip = off;
    return X86_OK;
}

/* Data segment registers a return to an outer level may not keep (SDM RET/IRET: a DPL
 * below the new CPL, for data and nonconforming code). */
static void drop_inner_segments(X86Cpu *c)
{
    static const int segs[] = { X86_ES, X86_DS, X86_FS, X86_GS };
    for (int i = 0; i < 4; i++) {
        X86Seg *s = &c->seg[segs[i]];
        bool conforming_code = (s->attr & 0x1c) == 0x1c;
        if (!(s->attr & X86_SEG_ATTR_UNUSABLE) && !conforming_code &&
            X86_ATTR_DPL(s->attr) < c->cpl)
            x86_seg_load_null(c, segs[i], 0);
    }
}

/* The checks of the CS a RET far or IRET returns to. */
static bool return_cs(X86Cpu *c, uint16_t sel, uint64_t *desc)
{
    if (!(sel & ~3u))
        return x86_fault(c, X86_GP, 0, true);
    if (!x86_read_desc(c, sel, desc))
        return false;
    unsigned attr = (unsigned)(*desc >> 40) & 0xff, dpl = (attr >> 5) & 3, rpl = sel & 3;
    if (!(attr & X86_ATTR_S) || !(attr & 8) || rpl < c->cpl ||
        ((attr & 4) ? dpl > rpl : dpl != rpl))
        return x86_fault(c, X86_GP, sel & 0xfffc, true);
    if (x86_lma(c) && (*desc & (1ull << 53)) && (*desc & (1ull << 54)))
        return x86_fault(c, X86_GP, sel & 0xfffc, true);
    if (!(attr & X86_ATTR_P))
        return x86_fault(c, X86_NP, sel & 0xfffc, true);
    return true;
}

/* The SS an outer-level return loads, checked as MOV SS would at the new CPL; a null one is
 * allowed for a 64-bit return to CPL < 3. */
static bool return_ss(X86Cpu *c, uint16_t sel, unsigned new_cpl, bool to64, uint64_t *desc)
{
    *desc = 0;
    if (!(sel & ~3u)) {
        if (to64 && new_cpl < 3 && (sel & 3) == new_cpl)
            return true;
        return x86_fault(c, X86_GP, 0, true);
    }
    if (!x86_read_desc(c, sel, desc))
        return false;
    unsigned attr = (unsigned)(*desc >> 40) & 0xff;
    if ((sel & 3) != new_cpl || !(attr & X86_ATTR_S) || (attr & 8) || !(attr & 2) ||
        ((attr >> 5) & 3) != new_cpl)
        return x86_fault(c, X86_GP, sel & 0xfffc, true);
    if (!(attr & X86_ATTR_P))
        return x86_fault(c, X86_SS_EXC, sel & 0xfffc, true);
    return true;
}

/* RET far and IRET in protected and long mode: vals[] = RIP, CS, (RFLAGS,) RSP, SS as
 * popped. Everything is checked before anything changes. */
static int protected_return(X86Cpu *c, const X86Insn *d, bool iret, uint64_t imm)
{
    unsigned sz = d->opsize;
    bool lm64 = x86_mode64(c);
    int head = iret ? 3 : 2;
    uint64_t v[5] = { 0 };
    if (!stack_peek(c, sz, head, v))
        return X86_FAULT;
    uint16_t cs_sel = (uint16_t)v[1];
    uint64_t cs_desc, ss_desc = 0;
    if (iret && (c->rflags & X86_NT))
        return gp0(c);        /* a task return: not modelled */
    if (iret && !lm64 && (v[2] & X86_VM) && c->cpl == 0)
        return gp0(c);        /* a return to virtual-8086 mode: not modelled */
    if (!return_cs(c, cs_sel, &cs_desc))
        return X86_FAULT;
    unsigned new_cpl = cs_sel & 3;
    bool to64 = x86_lma(c) && (cs_desc & (1ull << 53));
    /* 64-bit mode IRET always pops SS:RSP; elsewhere only an outer-level return does */
    bool outer = new_cpl > c->cpl || (iret && lm64);
    uint64_t skip = iret ? 0 : imm;
    if (outer) {
        uint64_t tail[2];
        unsigned ss = stack_size(c);
        for (int i = 0; i < 2; i++)
            if (!x86_read(c, X86_SS, (c->gpr[X86_RSP] + skip + (uint64_t)(head + i) * sz) &
                                         sp_mask(ss), sz, &tail[i]))
                return X86_FAULT;
        v[3] = tail[0];
        v[4] = tail[1];
        if (!return_ss(c, (uint16_t)v[4], new_cpl, to64, &ss_desc))
            return X86_FAULT;
    }
    uint64_t rip = sz < 8 ? v[0] & sp_mask(sz) : v[0];
    if (!target_ok(c, cs_desc, rip) || !x86_desc_set_accessed(c, cs_sel, cs_desc))
        return X86_FAULT;
    /* committed */
    unsigned old_cpl = c->cpl;
    if (iret) {
        uint64_t f = v[2], keep = 0, mask = 0x3f7fd5;
        if (sz == 2)
            mask &= 0xffff;
        else if (sz == 4)
            mask &= 0xffffffffull;
        /* IOPL changes at CPL 0 only; IF where CPL <= IOPL; VM, VIF, VIP at CPL 0 only */
        if (old_cpl > 0)
            mask &= ~(uint64_t)(X86_IOPL | X86_VM | X86_VIF | X86_VIP);
        if (x86_lma(c))
            mask &= ~(uint64_t)X86_VM;    /* no virtual-8086 mode in IA-32e mode */
        if (old_cpl > ((c->rflags & X86_IOPL) >> 12))
            mask &= ~(uint64_t)X86_IF;
        keep = c->rflags & ~mask;
        x86_set_rflags(c, keep | (f & mask));
        c->nmi_blocked = 0;
    }
    uint64_t sp_after = c->gpr[X86_RSP] + (uint64_t)head * sz + skip;
    if (outer) {
        if (v[4] & ~3u) {
            x86_desc_set_accessed(c, (uint16_t)v[4], ss_desc);
            x86_seg_from_desc(&c->seg[X86_SS], (uint16_t)v[4], ss_desc | (1ull << 40));
        } else {
            x86_seg_load_null(c, X86_SS, (uint16_t)v[4]);
        }
        x86_set_cs(c, cs_sel, cs_desc, new_cpl);
        uint64_t nsp = v[3] + (iret ? 0 : imm);
        c->gpr[X86_RSP] = to64 ? nsp : c->stack_bits == 32 ? (uint32_t)nsp
                                         : (c->gpr[X86_RSP] & ~0xffffull) | (nsp & 0xffff);
        if (new_cpl > old_cpl)
            drop_inner_segments(c);
    } else {
        x86_set_cs(c, cs_sel, cs_desc, new_cpl);
        set_rsp(c, sp_after);
    }
    x86_update_mode(c);
    c->rip = rip;
    if (iret)
        publish_return(c, old_cpl);
    return X86_OK;
}

int x86_op_retf(X86Cpu *c, const X86Insn *d)
{
    uint64_t imm = d->opcode == 0xca ? d->imm & 0xffff : 0;
    if (real_or_vm86(c)) {
        uint64_t v[2];
        if (!stack_peek(c, d->opsize, 2, v))
            return X86_FAULT;
        x86_seg_load_real(c, X86_CS, (uint16_t)v[1]);
        set_rsp(c, c->gpr[X86_RSP] + 2 * d->opsize + imm);
        c->rip = v[0] & sp_mask(d->opsize);
        return X86_OK;
    }
    return protected_return(c, d, false, imm);
}

int x86_op_iret(X86Cpu *c, const X86Insn *d)
{
    if (!x86_protected(c)) {
        uint64_t v[3];
        if (!stack_peek(c, d->opsize, 3, v))
            return X86_FAULT;
        uint64_t mask = d->opsize == 2 ? 0xffff : 0x257fd5;   /* real mode: VM, VIF, VIP kept */
        x86_seg_load_real(c, X86_CS, (uint16_t)v[1]);
        x86_set_rflags(c, (c->rflags & ~mask) | (v[2] & mask));
        set_rsp(c, c->gpr[X86_RSP] + 3 * d->opsize);
        c->rip = v[0] & sp_mask(d->opsize);
        c->nmi_blocked = 0;
        x86_update_mode(c);
        publish_return(c, 0);
        return X86_OK;
    }
    if (x86_vm86(c))
        return gp0(c);        /* virtual-8086 mode: not modelled */
    return protected_return(c, d, true, 0);
}

/* ---- software interrupts, HLT, CLI/STI ---- */
static int soft_int(X86Cpu *c, const X86Insn *d, int vector, int kind)
{
    if (x86_vm86(c) && kind == X86_EV_SOFT && (c->rflags & X86_IOPL) != X86_IOPL)
        return gp0(c);
    if (!x86_interrupt(c, vector, kind, false, 0, x86_next_ip(c, d)))
        return X86_FAULT;
    return X86_OK;
}

int x86_op_int(X86Cpu *c, const X86Insn *d)
{
    return soft_int(c, d, (int)(d->imm & 0xff), X86_EV_SOFT);
}
int x86_op_int3(X86Cpu *c, const X86Insn *d) { return soft_int(c, d, X86_BP, X86_EV_SOFT); }
int x86_op_int1(X86Cpu *c, const X86Insn *d) { return soft_int(c, d, X86_DB, X86_EV_ICEBP); }

int x86_op_into(X86Cpu *c, const X86Insn *d)
{
    if (!(c->rflags & X86_OF))
        return x86_retire(c, d);
    return soft_int(c, d, X86_OFV, X86_EV_SOFT);
}

int x86_op_hlt(X86Cpu *c, const X86Insn *d)
{
    if (c->cpl != 0)
        return gp0(c);
    c->rip = x86_next_ip(c, d);
    c->halted = 1;
    return X86_STOP;
}

static bool if_allowed(const X86Cpu *c)
{
    return !x86_protected(c) || c->cpl <= ((c->rflags & X86_IOPL) >> 12);
}

int x86_op_cli(X86Cpu *c, const X86Insn *d)
{
    if (!if_allowed(c))
        return gp0(c);        /* VME/PVI (VIF) not modelled */
    c->rflags &= ~(uint64_t)X86_IF;
    return x86_retire(c, d);
}

int x86_op_sti(X86Cpu *c, const X86Insn *d)
{
    if (!if_allowed(c))
        return gp0(c);
    if (!(c->rflags & X86_IF))
        x86_set_shadow(c);   /* interrupts wait until after the next instruction */
    c->rflags |= X86_IF;
    return x86_retire(c, d);
}

/* ---- port I/O ---- */
static unsigned io_size(const X86Insn *d)
{
    return (d->opcode & 1) ? (d->opsize == 2 ? 2 : 4) : 1;
}

static uint16_t io_port(const X86Cpu *c, const X86Insn *d)
{
    return d->opcode < 0xe8 && d->opcode >= 0xe4 ? (uint16_t)d->imm : (uint16_t)c->gpr[X86_RDX];
}

int x86_op_in(X86Cpu *c, const X86Insn *d)
{
    unsigned size = io_size(d);
    uint32_t v;
    if (!x86_in(c, io_port(c, d), size, &v))
        return X86_FAULT;
    x86_set_reg(c, d, X86_RAX, size, v);
    return x86_retire(c, d);
}

int x86_op_out(X86Cpu *c, const X86Insn *d)
{
    unsigned size = io_size(d);
    if (!x86_out(c, io_port(c, d), size, (uint32_t)x86_get_reg(c, d, X86_RAX, size)))
        return X86_FAULT;
    return x86_retire(c, d);
}

#define IO_STRING_CHUNK 1024

/* INS / OUTS, alone or with REP: chunks of iterations, RIP kept until the count ends (the
 * run loop takes interrupts between chunks). */
static int io_string(X86Cpu *c, const X86Insn *d, bool in)
{
    unsigned size = io_size(d), as = d->addrsize;
    uint16_t port = (uint16_t)c->gpr[X86_RDX];
    bool rep = d->rep != 0;
    int64_t step = (c->rflags & X86_DF) ? -(int64_t)size : (int64_t)size;
    for (unsigned n = 0; n < IO_STRING_CHUNK; n++) {
        if (rep && !x86_get_reg(c, d, X86_RCX, as))
            return x86_retire(c, d);
        if (in) {
            uint64_t di = x86_get_reg(c, d, X86_RDI, as), tmp;
            uint32_t v;
            /* the destination is checked before the port is read (a read may act) */
            if (!x86_read_rmw(c, X86_ES, di, size, &tmp) || !x86_in(c, port, size, &v))
                return X86_FAULT;
            x86_write(c, X86_ES, di, size, v);
            x86_set_reg(c, d, X86_RDI, as, di + (uint64_t)step);
        } else {
            uint64_t si = x86_get_reg(c, d, X86_RSI, as), v;
            if (!x86_read(c, d->seg, si, size, &v) || !x86_out(c, port, size, (uint32_t)v))
                return X86_FAULT;
            x86_set_reg(c, d, X86_RSI, as, si + (uint64_t)step);
        }
        if (!rep)
            return x86_retire(c, d);
        x86_set_reg(c, d, X86_RCX, as, x86_get_reg(c, d, X86_RCX, as) - 1);
    }
    return X86_OK;            /* more to do: the same instruction again */
}

int x86_op_ins(X86Cpu *c, const X86Insn *d) { return io_string(c, d, true); }
int x86_op_outs(X86Cpu *c, const X86Insn *d) { return io_string(c, d, false); }

/* ---- descriptor tables: group 6 (0F 00) ---- */
static bool store_sel(X86Cpu *c, const X86Insn *d, uint16_t sel)
{
    if (d->mod == 3) {
        x86_set_reg(c, d, d->rm, d->opsize, sel);
        return true;
    }
    return x86_write(c, d->seg, x86_ea(c, d), 2, sel);
}

/* A system descriptor (LDT, TSS): 8 bytes, 16 in long mode (base bits 63:32 above). */
static bool read_sys_desc(X86Cpu *c, uint16_t sel, uint64_t *lo, uint64_t *hi)
{
    *hi = 0;
    if (!x86_read_desc(c, sel, lo))
        return false;
    if (!x86_lma(c))
        return true;
    if ((uint32_t)(sel & ~7u) + 15 > c->gdtr.limit)
        return x86_fault(c, X86_GP, sel & 0xfffc, true);
    return x86_la_read(c, c->gdtr.base + (sel & ~7u) + 8, 8, X86_PRIV_IMPLICIT, hi);
}

static int lldt_ltr(X86Cpu *c, const X86Insn *d, bool ltr)
{
    if (c->cpl != 0)
        return gp0(c);
    uint64_t v, lo, hi;
    if (!x86_rm_read(c, d, 2, &v))
        return X86_FAULT;
    uint16_t sel = (uint16_t)v;
    if (!(sel & ~3u)) {
        if (ltr)
            return gp0(c);
        c->ldtr = (X86Seg){ .sel = sel, .attr = X86_SEG_ATTR_UNUSABLE };
        return x86_retire(c, d);
    }
    if (sel & 4)
        return gp_sel(c, sel);            /* must be in the GDT */
    if (!read_sys_desc(c, sel, &lo, &hi))
        return X86_FAULT;
    unsigned attr = (unsigned)(lo >> 40) & 0xff, type = attr & 0xf;
    bool ok = !(attr & X86_ATTR_S) &&
              (ltr ? (type == 9 || (!x86_lma(c) && type == 1)) : type == 2);
    if (!ok)
        return gp_sel(c, sel);
    if (!(attr & X86_ATTR_P)) {
        x86_raise(c, X86_NP, true, sel & 0xfffc);
        return X86_FAULT;
    }
    X86Seg *s = ltr ? &c->tr : &c->ldtr;
    if (ltr) {            /* the TSS becomes busy */
        uint64_t la = c->gdtr.base + (sel & ~7u) + 5;
        if (!x86_la_write(c, x86_lma(c) ? la : (uint32_t)la, 1, X86_PRIV_IMPLICIT, attr | 2))
            return X86_FAULT;
        lo |= 2ull << 40;
    }
    x86_seg_from_desc(s, sel, lo);
    s->base |= hi << 32;
    return x86_retire(c, d);
}

/* VERR / VERW / LAR / LSL: whether sel names a descriptor this CPL may see (ZF), without
 * faulting for a bad selector. */
static bool visible_desc(X86Cpu *c, uint16_t sel, uint64_t *desc, bool *found)
{
    *found = false;
    if (!(sel & ~3u))
        return true;
    uint32_t limit = sel & 4 ? c->ldtr.limit : c->gdtr.limit;
    if ((sel & 4) && (c->ldtr.attr & X86_SEG_ATTR_UNUSABLE))
        return true;
    if ((uint32_t)(sel & ~7u) + 7 > limit)
        return true;
    if (!x86_read_desc(c, sel, desc))
        return false;         /* a page fault reading the table */
    unsigned attr = (unsigned)(*desc >> 40) & 0xff, dpl = (attr >> 5) & 3;
    bool conforming = (attr & 0x1c) == 0x1c;
    if (!conforming && (dpl < c->cpl || dpl < (sel & 3u)))
        return true;
    *found = true;
    return true;
}

int x86_op_grp6(X86Cpu *c, const X86Insn *d)
{
    unsigned op = d->reg & 7;
    if (real_or_vm86(c))
        return x86_ud(c);
    if (op <= 1 && umip_blocks(c))
        return gp0(c);
    switch (op) {
    case 0:
        return store_sel(c, d, c->ldtr.sel) ? x86_retire(c, d) : X86_FAULT;
    case 1:
        return store_sel(c, d, c->tr.sel) ? x86_retire(c, d) : X86_FAULT;
    case 2:
        return lldt_ltr(c, d, false);
    case 3:
        return lldt_ltr(c, d, true);
    case 4:
    case 5: {
        uint64_t v, desc = 0;
        bool found;
        if (!x86_rm_read(c, d, 2, &v) || !visible_desc(c, (uint16_t)v, &desc, &found))
            return X86_FAULT;
        unsigned attr = (unsigned)(desc >> 40) & 0xff;
        bool ok = found && (attr & X86_ATTR_S) &&
                  (op == 4 ? (!(attr & 8) || (attr & 2)) : (!(attr & 8) && (attr & 2)));
        x86_set_flags(c, X86_ZF, ok ? X86_ZF : 0);
        return x86_retire(c, d);
    }
    default:
        return x86_ud(c);
    }
}

int x86_op_lar(X86Cpu *c, const X86Insn *d)
{
    if (real_or_vm86(c))
        return x86_ud(c);
    uint64_t v, desc = 0;
    bool found;
    if (!x86_rm_read(c, d, 2, &v) || !visible_desc(c, (uint16_t)v, &desc, &found))
        return X86_FAULT;
    unsigned attr = (unsigned)(desc >> 40) & 0xff, type = attr & 0xf;
    /* system types LAR reports: LDT, TSSes, call gates (and task gate outside long mode) */
    bool sys_ok = x86_lma(c) ? (type == 2 || type == 9 || type == 11 || type == 12)
                             : (type != 0 && type != 8 && type != 10 && type != 13 &&
                                type != 14 && type != 15);
    if (found && ((attr & X86_ATTR_S) || sys_ok)) {
        x86_set_reg(c, d, d->reg, d->opsize, (desc >> 32) & 0x00f0ff00u);
        x86_set_flags(c, X86_ZF, X86_ZF);
    } else {
        x86_set_flags(c, X86_ZF, 0);
    }
    return x86_retire(c, d);
}

int x86_op_lsl(X86Cpu *c, const X86Insn *d)
{
    if (real_or_vm86(c))
        return x86_ud(c);
    uint64_t v, desc = 0;
    bool found;
    if (!x86_rm_read(c, d, 2, &v) || !visible_desc(c, (uint16_t)v, &desc, &found))
        return X86_FAULT;
    unsigned attr = (unsigned)(desc >> 40) & 0xff, type = attr & 0xf;
    bool sys_ok = x86_lma(c) ? (type == 2 || type == 9 || type == 11)
                             : (type == 1 || type == 2 || type == 3 || type == 9 || type == 11);
    if (found && ((attr & X86_ATTR_S) || sys_ok)) {
        X86Seg s;
        x86_seg_from_desc(&s, 0, desc);
        x86_set_reg(c, d, d->reg, d->opsize, s.limit);
        x86_set_flags(c, X86_ZF, X86_ZF);
    } else {
        x86_set_flags(c, X86_ZF, 0);
    }
    return x86_retire(c, d);
}

/* ---- group 7 (0F 01) ---- */
static int store_table(X86Cpu *c, const X86Insn *d, const X86DescTable *t)
{
    uint64_t ea = x86_ea(c, d), tmp;
    unsigned bsize = x86_mode64(c) ? 8 : 4;
    uint64_t ea2 = x86_trunc(ea + 2, d->addrsize);
    if (!x86_read_rmw(c, d->seg, ea2, bsize, &tmp) || !x86_write(c, d->seg, ea, 2, t->limit))
        return X86_FAULT;
    x86_write(c, d->seg, ea2, bsize, bsize == 4 ? (uint32_t)t->base : t->base);
    return x86_retire(c, d);
}

static int load_table(X86Cpu *c, const X86Insn *d, X86DescTable *t)
{
    if (c->cpl != 0)
        return gp0(c);
    uint64_t ea = x86_ea(c, d), limit, base;
    unsigned bsize = x86_mode64(c) ? 8 : 4;
    if (!x86_read(c, d->seg, ea, 2, &limit) ||
        !x86_read(c, d->seg, x86_trunc(ea + 2, d->addrsize), bsize, &base))
        return X86_FAULT;
    if (d->opsize == 2 && !x86_mode64(c))
        base &= 0xffffff;
    if (x86_mode64(c) && !x86_canonical(base, (c->cr4 & X86_CR4_LA57) != 0))
        return gp0(c);
    t->base = base;
    t->limit = (uint32_t)limit;
    return x86_retire(c, d);
}

static void flush_translations(X86Cpu *c)
{
    x86_tlb_flush(c);
    x86_decode_mode_changed(c);
}

int x86_op_rdtsc(X86Cpu *c, const X86Insn *d);

int x86_op_grp7(X86Cpu *c, const X86Insn *d)
{
    unsigned op = d->reg & 7, rm = d->rm & 7;
    if ((op <= 1 || op == 4) && (d->mod != 3 || op == 4) && umip_blocks(c))
        return gp0(c);
    if (d->mod != 3) {
        switch (op) {
        case 0: return store_table(c, d, &c->gdtr);
        case 1: return store_table(c, d, &c->idtr);
        case 2: return load_table(c, d, &c->gdtr);
        case 3: return load_table(c, d, &c->idtr);
        case 4: return x86_write(c, d->seg, x86_ea(c, d), 2, c->cr0 & 0xffff) ? x86_retire(c, d)
                                                                              : X86_FAULT;
        case 6: break;        /* LMSW m16 */
        case 7: {             /* INVLPG: the page in every PCID, global or not */
            if (c->cpl != 0)
                return gp0(c);
            uint64_t la;
            X86Exc saved = c->exc;
            if (x86_seg_la(c, d->seg, x86_ea(c, d), 1, false, &la))
                x86_tlb_flush_page(c, la);
            c->exc = saved;   /* a bad address invalidates nothing and does not fault */
            x86_decode_mode_changed(c);
            return x86_retire(c, d);
        }
        default:
            return x86_ud(c);
        }
    } else {
        switch (op << 3 | rm) {
        case 1 << 3 | 2:      /* CLAC */
        case 1 << 3 | 3:      /* STAC */
            if (!(c->model->f7_ebx & X86_F7_EBX_SMAP))
                return x86_ud(c);
            if (c->cpl != 0)
                return x86_ud(c);
            uint64_t old = c->rflags;
            if (rm == 2)
                c->rflags &= ~(uint64_t)X86_AC;
            else
                c->rflags |= X86_AC;
            x86_rflags_written(c, old);
            return x86_retire(c, d);
        case 7 << 3 | 0:      /* SWAPGS */
            if (!x86_mode64(c))
                return x86_ud(c);
            if (c->cpl != 0)
                return gp0(c);
            {
                uint64_t t = c->seg[X86_GS].base;
                c->seg[X86_GS].base = c->kernel_gs_base;
                c->kernel_gs_base = t;
            }
            return x86_retire(c, d);
        case 7 << 3 | 1:      /* RDTSCP */
            if (!(c->model->e1_edx & X86_E1_EDX_RDTSCP))
                return x86_ud(c);
            if (x86_op_rdtsc(c, d) != X86_OK)
                return X86_FAULT;
            c->gpr[X86_RCX] = (uint32_t)c->tsc_aux;
            return X86_OK;
        default:
            if (op == 4) {    /* SMSW r */
                x86_set_reg(c, d, d->rm, d->opsize, d->opsize == 2 ? c->cr0 & 0xffff : c->cr0);
                return x86_retire(c, d);
            }
            if (op == 6)
                break;        /* LMSW r16 */
            return x86_ud(c); /* MONITOR/MWAIT, XGETBV/XSETBV, VMX/SVM: not advertised */
        }
    }
    /* LMSW: PE, MP, EM, TS; PE cannot be cleared */
    if (c->cpl != 0)
        return gp0(c);
    uint64_t v;
    if (!x86_rm_read(c, d, 2, &v))
        return X86_FAULT;
    uint64_t low = X86_CR0_MP | X86_CR0_EM | X86_CR0_TS;
    c->cr0 = (c->cr0 & ~low) | (v & low) | (v & X86_CR0_PE) | (c->cr0 & X86_CR0_PE);
    x86_update_mode(c);
    flush_translations(c);
    return x86_retire(c, d);
}

/* ---- SYSCALL / SYSRET, SYSENTER / SYSEXIT ---- */
/* The fixed flat segments these instructions load (SDM SYSCALL: base 0, limit 4 GiB). */
static void flat_cs(X86Cpu *c, uint16_t sel, unsigned dpl, bool l)
{
    c->seg[X86_CS] = (X86Seg){ .base = 0, .limit = 0xffffffff, .sel = sel,
                               .attr = 0x9b | dpl << 5 | X86_ATTR_G |
                                       (l ? X86_SEG_ATTR_L : X86_SEG_ATTR_DB) };
}

static void flat_ss(X86Cpu *c, uint16_t sel, unsigned dpl)
{
    c->seg[X86_SS] = (X86Seg){ .base = 0, .limit = 0xffffffff, .sel = sel,
                               .attr = 0x93 | dpl << 5 | X86_ATTR_G | X86_SEG_ATTR_DB };
}

static bool amd(const X86Cpu *c)
{
    return c->model->vendor[0] == 'A';
}

/* SYSCALL: Intel has it in 64-bit mode only; AMD also in compatibility mode (to CSTAR) and
 * in legacy protected mode (to STAR[31:0], a 32-bit flat CS, IF and VM cleared). */
int x86_op_syscall(X86Cpu *c, const X86Insn *d)
{
    if (!(c->efer & X86_EFER_SCE) || (!x86_mode64(c) && (!amd(c) || !x86_protected(c))))
        return x86_ud(c);
    uint16_t sel = (uint16_t)(c->star >> 32) & 0xfffc;
    uint64_t next = x86_next_ip(c, d);
    bool from64 = x86_mode64(c);
    if (x86_lma(c)) {
        c->gpr[X86_RCX] = next;
        c->gpr[X86_R11] = c->rflags & ~(uint64_t)X86_RF;
        flat_cs(c, sel, 0, true);
        x86_set_rflags(c, c->rflags & ~(c->fmask | X86_RF));
        c->rip = from64 ? c->lstar : c->cstar;
    } else {
        c->gpr[X86_RCX] = (uint32_t)next;
        flat_cs(c, sel, 0, false);
        c->rflags &= ~(uint64_t)(X86_IF | X86_VM | X86_RF);
        c->rip = (uint32_t)c->star;
    }
    flat_ss(c, (uint16_t)(sel + 8), 0);
    x86_update_mode(c);
    x86_decode_mode_changed(c);
    return X86_OK;
}

int x86_op_sysret(X86Cpu *c, const X86Insn *d)
{
    if (!(c->efer & X86_EFER_SCE) || !x86_mode64(c))
        return x86_ud(c);
    if (c->cpl != 0)
        return gp0(c);
    uint16_t base = (uint16_t)(c->star >> 48);
    bool to64 = d->opsize == 8;
    if (to64 && !x86_canonical(c->gpr[X86_RCX], (c->cr4 & X86_CR4_LA57) != 0))
        return gp0(c);        /* Intel faults at CPL 0 here */
    if (to64) {
        flat_cs(c, (uint16_t)((base + 16) | 3), 3, true);
        c->rip = c->gpr[X86_RCX];
    } else {
        flat_cs(c, (uint16_t)(base | 3), 3, false);
        c->rip = (uint32_t)c->gpr[X86_RCX];
    }
    flat_ss(c, (uint16_t)((base + 8) | 3), 3);
    x86_set_rflags(c, (c->gpr[X86_R11] & 0x3c7fd7) | 2);
    x86_update_mode(c);
    x86_decode_mode_changed(c);
    publish_return(c, 0);
    return X86_OK;
}

int x86_op_sysenter(X86Cpu *c, const X86Insn *d)
{
    (void)d;
    if (amd(c) && x86_lma(c))
        return x86_ud(c);     /* AMD: no SYSENTER/SYSEXIT in long mode */
    if (!x86_protected(c) || !(c->sysenter_cs & 0xfffc))
        return gp0(c);
    uint16_t sel = (uint16_t)(c->sysenter_cs & 0xfffc);
    bool lm = x86_lma(c);
    flat_cs(c, sel, 0, lm);
    flat_ss(c, (uint16_t)(sel + 8), 0);
    c->rflags &= ~(uint64_t)(X86_VM | X86_IF | X86_RF);
    c->gpr[X86_RSP] = lm ? c->sysenter_esp : (uint32_t)c->sysenter_esp;
    c->rip = lm ? c->sysenter_eip : (uint32_t)c->sysenter_eip;
    x86_update_mode(c);
    x86_decode_mode_changed(c);
    return X86_OK;
}

int x86_op_sysexit(X86Cpu *c, const X86Insn *d)
{
    if (amd(c) && x86_lma(c))
        return x86_ud(c);
    if (!x86_protected(c) || x86_vm86(c) || c->cpl != 0 || !(c->sysenter_cs & 0xfffc))
        return gp0(c);
    uint16_t base = (uint16_t)(c->sysenter_cs & 0xfffc);
    bool to64 = d->opsize == 8;
    if (to64) {
        if (!x86_canonical(c->gpr[X86_RDX], (c->cr4 & X86_CR4_LA57) != 0) ||
            !x86_canonical(c->gpr[X86_RCX], (c->cr4 & X86_CR4_LA57) != 0))
            return gp0(c);
        flat_cs(c, (uint16_t)((base + 32) | 3), 3, true);
        flat_ss(c, (uint16_t)((base + 40) | 3), 3);
        c->gpr[X86_RSP] = c->gpr[X86_RCX];
        c->rip = c->gpr[X86_RDX];
    } else {
        flat_cs(c, (uint16_t)((base + 16) | 3), 3, false);
        flat_ss(c, (uint16_t)((base + 24) | 3), 3);
        c->gpr[X86_RSP] = (uint32_t)c->gpr[X86_RCX];
        c->rip = (uint32_t)c->gpr[X86_RDX];
    }
    x86_update_mode(c);
    x86_decode_mode_changed(c);
    publish_return(c, 0);
    return X86_OK;
}

/* ---- control and debug registers ---- */
static uint64_t read_cr8(X86Cpu *c)
{
    x86_recheck(c);          /* the APIC is asked (cpu.c's instruction boundary) */
    /* CR8 is the local APIC's TPR[7:4] when there is one */
    if (c->lapic && (c->apic_base & (1u << 11))) {
        if ((c->apic_base & (1u << 10)) && lapic_msr_read) {
            uint64_t v;
            if (lapic_msr_read(c->lapic, 0x808, &v))
                return (v >> 4) & 0xf;
        } else if (lapic_mmio_read) {
            return (lapic_mmio_read(c->lapic, 0x80) >> 4) & 0xf;
        }
    }
    return c->cr8;
}

static void write_cr8(X86Cpu *c, uint64_t v)
{
    x86_recheck(c);          /* the TPR may unmask a requested interrupt */
    c->cr8 = v;
    if (c->lapic && (c->apic_base & (1u << 11))) {
        if ((c->apic_base & (1u << 10)) && lapic_msr_write)
            lapic_msr_write(c->lapic, 0x808, v << 4);
        else if (lapic_mmio_write)
            lapic_mmio_write(c->lapic, 0x80, (uint32_t)(v << 4));
    }
}

static bool write_cr0(X86Cpu *c, uint64_t v)
{
    const uint64_t ok = X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | X86_CR0_ET |
                        X86_CR0_NE | X86_CR0_WP | X86_CR0_AM | X86_CR0_NW | X86_CR0_CD |
                        X86_CR0_PG;
    if (v & ~ok & ~0xffffffffull)
        return false;         /* bits 63:32 */
    v &= ok;
    v |= X86_CR0_ET;          /* hard-wired to 1 */
    if ((v & X86_CR0_PG) && !(v & X86_CR0_PE))
        return false;
    if ((v & X86_CR0_NW) && !(v & X86_CR0_CD))
        return false;
    bool pg_on = (v & X86_CR0_PG) && !(c->cr0 & X86_CR0_PG);
    bool pg_off = !(v & X86_CR0_PG) && (c->cr0 & X86_CR0_PG);
    if (pg_on && (c->efer & X86_EFER_LME)) {
        /* long mode activation: needs PAE, and not from a 64-bit code segment */
        if (!(c->cr4 & X86_CR4_PAE) || (c->seg[X86_CS].attr & X86_SEG_ATTR_L))
            return false;
        c->efer |= X86_EFER_LMA;
    }
    if (pg_off && x86_lma(c)) {
        if (x86_mode64(c))
            return false;     /* paging can only be turned off from compatibility mode */
        c->efer &= ~(uint64_t)X86_EFER_LMA;
    }
    c->cr0 = v;
    x86_update_mode(c);
    flush_translations(c);
    return true;
}

static bool write_cr4(X86Cpu *c, uint64_t v)
{
    if (v & ~x86_cr4_valid(c))
        return false;
    if (x86_lma(c) && !(v & X86_CR4_PAE))
        return false;
    if (x86_lma(c) && ((v ^ c->cr4) & X86_CR4_LA57))
        return false;
    if ((v & X86_CR4_PCIDE) && !(c->cr4 & X86_CR4_PCIDE) && (!x86_lma(c) || (c->cr3 & 0xfff)))
        return false;
    c->cr4 = v;
    flush_translations(c);
    return true;
}

static bool write_cr3(X86Cpu *c, uint64_t v)
{
    uint64_t raw = v;
    if (x86_lma(c)) {
        if (c->cr4 & X86_CR4_PCIDE)
            v &= ~(1ull << 63);   /* "no flush": the PCID's translations are kept */
        unsigned pa = c->model->pa_bits ? c->model->pa_bits : 40;
        if (v >> pa)
            return false;
    } else {
        v = (uint32_t)v;
    }
    bool noflush = x86_lma(c) && (c->cr4 & X86_CR4_PCIDE) && (raw >> 63);
    c->cr3 = v;
    if (!noflush)
        x86_tlb_flush_nonglobal(c);   /* every PCID's: more than the SDM asks */
    else    /* the other PCIDs' entries too (a TLB may drop any): the fast path's invariant */
        x86_tlb_flush_other_pcids(c, (uint32_t)(v & 0xfff));
    x86_decode_mode_changed(c);
    return true;
}

int x86_op_mov_cr(X86Cpu *c, const X86Insn *d)
{
    unsigned cr = d->reg;
    bool to_cr = d->opcode == 0x22;
    if (cr != 0 && cr != 2 && cr != 3 && cr != 4 && !(cr == 8 && x86_mode64(c)))
        return x86_ud(c);
    if (c->cpl != 0)
        return gp0(c);
    unsigned size = x86_mode64(c) ? 8 : 4;
    if (!to_cr) {
        uint64_t v = cr == 0 ? c->cr0 : cr == 2 ? c->cr2 : cr == 3 ? c->cr3
                   : cr == 4 ? c->cr4 : read_cr8(c);
        x86_set_reg(c, d, d->rm, size, v);
        return x86_retire(c, d);
    }
    uint64_t v = x86_get_reg(c, d, d->rm, size);
    bool ok = true;
    switch (cr) {
    case 0: ok = write_cr0(c, v); break;
    case 2: c->cr2 = v; break;
    case 3: ok = write_cr3(c, v); break;
    case 4: ok = write_cr4(c, v); break;
    default:
        if (v > 15)
            ok = false;
        else
            write_cr8(c, v);
        break;
    }
    if (!ok)
        return gp0(c);
    c->rip = x86_next_ip(c, d);
    return X86_STOP;          /* translation or mode may have changed */
}

int x86_op_mov_dr(X86Cpu *c, const X86Insn *d)
{
    unsigned dr = d->reg;
    if (dr > 7)
        return x86_ud(c);
    if ((dr == 4 || dr == 5) && (c->cr4 & X86_CR4_DE))
        return x86_ud(c);
    if (c->cpl != 0)
        return gp0(c);
    if (dr == 4 || dr == 5)
        dr += 2;              /* aliases of DR6 and DR7 without CR4.DE */
    unsigned size = x86_mode64(c) ? 8 : 4;
    if (d->opcode == 0x21) {
        x86_set_reg(c, d, d->rm, size, c->dr[dr]);
        return x86_retire(c, d);
    }
    uint64_t v = x86_get_reg(c, d, d->rm, size);
    if (dr >= 6 && (v >> 32))
        return gp0(c);
    if (dr == 6)
        v = (v & 0x0001e00f) | 0xfffe0ff0;   /* reserved bits read as the SDM gives them */
    else if (dr == 7)
        v = (v & ~0x0000d800ull) | 0x400;
    c->dr[dr] = v;
    return x86_retire(c, d);
}

int x86_op_clts(X86Cpu *c, const X86Insn *d)
{
    if (c->cpl != 0)
        return gp0(c);
    c->cr0 &= ~(uint64_t)X86_CR0_TS;
    return x86_retire(c, d);
}

static int cache_op(X86Cpu *c, const X86Insn *d)
{
    if (c->cpl != 0)
        return gp0(c);
    return x86_retire(c, d);  /* no cache is modelled: nothing to write back */
}

int x86_op_invd(X86Cpu *c, const X86Insn *d) { return cache_op(c, d); }
int x86_op_wbinvd(X86Cpu *c, const X86Insn *d) { return cache_op(c, d); }

/* ---- MSRs, TSC, CPUID ---- */
int x86_op_rdmsr(X86Cpu *c, const X86Insn *d)
{
    if (c->cpl != 0)
        return gp0(c);
    uint64_t v;
    if (!x86_rdmsr(c, (uint32_t)c->gpr[X86_RCX], &v))
        return X86_FAULT;
    c->gpr[X86_RAX] = (uint32_t)v;
    c->gpr[X86_RDX] = v >> 32;
    return x86_retire(c, d);
}

int x86_op_wrmsr(X86Cpu *c, const X86Insn *d)
{
    if (c->cpl != 0)
        return gp0(c);
    uint64_t v = (uint32_t)c->gpr[X86_RAX] | (c->gpr[X86_RDX] << 32);
    if (!x86_wrmsr(c, (uint32_t)c->gpr[X86_RCX], v))
        return X86_FAULT;
    c->rip = x86_next_ip(c, d);
    return X86_STOP;          /* EFER, the APIC base or a base register may have changed */
}

int x86_op_rdtsc(X86Cpu *c, const X86Insn *d)
{
    if ((c->cr4 & X86_CR4_TSD) && c->cpl != 0)
        return gp0(c);
    uint64_t t = x86_tsc(c);
    c->gpr[X86_RAX] = (uint32_t)t;
    c->gpr[X86_RDX] = t >> 32;
    return x86_retire(c, d);
}

int x86_op_rdpmc(X86Cpu *c, const X86Insn *d)
{
    (void)d;
    return gp0(c);            /* no performance counters modelled */
}

int x86_op_cpuid(X86Cpu *c, const X86Insn *d)
{
    uint32_t out[4];
    x86_cpuid(c, (uint32_t)c->gpr[X86_RAX], (uint32_t)c->gpr[X86_RCX], out);
    c->gpr[X86_RAX] = out[0];
    c->gpr[X86_RBX] = out[1];
    c->gpr[X86_RCX] = out[2];
    c->gpr[X86_RDX] = out[3];
    return x86_retire(c, d);
}

int x86_op_rsm(X86Cpu *c, const X86Insn *d)
{
    (void)d;
    return x86_ud(c);         /* no SMM */
}

int x86_op_invpcid(X86Cpu *c, const X86Insn *d)
{
    if (!(c->model->f7_ebx & X86_F7_EBX_INVPCID) || d->mod == 3)
        return x86_ud(c);
    if (c->cpl != 0)
        return gp0(c);
    uint64_t type = c->gpr[d->reg], desc[2];
    uint64_t ea = x86_ea(c, d);
    if (!x86_read(c, d->seg, ea, 8, &desc[0]) ||
        !x86_read(c, d->seg, x86_trunc(ea + 8, d->addrsize), 8, &desc[1]))
        return X86_FAULT;
    if (type > 3 || (desc[0] >> 12))
        return gp0(c);
    if (type == 0 && !x86_canonical(desc[1], (c->cr4 & X86_CR4_LA57) != 0))
        return gp0(c);
    /* 0: one address of one PCID (dropped in every PCID); 1: one PCID's non-global
     * translations (every PCID's); 2: everything; 3: everything but global */
    if (type == 0)
        x86_tlb_flush_page(c, desc[1]);
    else if (type == 2)
        x86_tlb_flush(c);
    else
        x86_tlb_flush_nonglobal(c);
    x86_decode_mode_changed(c);
    return x86_retire(c, d);
}

int x86_op_rdrand(X86Cpu *c, const X86Insn *d)
{
    (void)d;
    return x86_ud(c);         /* not advertised: no seeded source yet */
}

int x86_op_rdseed(X86Cpu *c, const X86Insn *d)
{
    (void)d;
    return x86_ud(c);
}

/* ---- group 15 (0F AE) ---- */
static int sse_state_check(X86Cpu *c, bool need_osfxsr)
{
    if ((c->cr0 & X86_CR0_EM) || (need_osfxsr && !(c->cr4 & X86_CR4_OSFXSR)))
        return x86_ud(c);
    if (c->cr0 & X86_CR0_TS) {
        x86_raise(c, X86_NM, false, 0);
        return X86_FAULT;
    }
    return X86_OK;
}

/* The FXSAVE image (SDM vol. 1 Table 10-2): 512 bytes; the 64-bit form (REX.W) keeps FIP
 * and FDP whole, the other form as 32-bit offsets with selectors 0. XMM8-15 in 64-bit mode
 * only. */
static void fxsave_image(const X86Cpu *c, const X86Insn *d, uint8_t *img)
{
    memset(img, 0, 512);
    memcpy(img + 0, &c->fcw, 2);
    memcpy(img + 2, &c->fsw, 2);
    img[4] = (uint8_t)c->ftw;
    memcpy(img + 6, &c->fop, 2);
    if (d->opsize == 8) {
        memcpy(img + 8, &c->fip, 8);
        memcpy(img + 16, &c->fdp, 8);
    } else {
        uint32_t ip = (uint32_t)c->fip, dp = (uint32_t)c->fdp;
        memcpy(img + 8, &ip, 4);
        memcpy(img + 16, &dp, 4);
    }
    uint32_t mask = 0xffff;
    memcpy(img + 24, &c->mxcsr, 4);
    memcpy(img + 28, &mask, 4);
    for (int i = 0; i < 8; i++)
        memcpy(img + 32 + 16 * i, c->st[i], 10);
    int nx = x86_mode64(c) ? 16 : 8;
    for (int i = 0; i < nx; i++)
        memcpy(img + 160 + 16 * i, c->xmm[i], 16);
}

static int fxsave(X86Cpu *c, const X86Insn *d)
{
    uint64_t ea = x86_ea(c, d), la;
    if (ea & 15)
        return gp0(c);
    if (!x86_seg_la(c, d->seg, ea, 512, true, &la) ||
        !x86_la_probe_write(c, la, 512, c->cpl == 3 ? X86_PRIV_USER : X86_PRIV_SUPER))
        return X86_FAULT;
    uint8_t img[512];
    fxsave_image(c, d, img);
    for (int i = 0; i < 32; i++)
        if (!x86_write16(c, d->seg, x86_trunc(ea + 16 * (uint64_t)i, d->addrsize), img + 16 * i))
            return X86_FAULT;
    return x86_retire(c, d);
}

static int fxrstor(X86Cpu *c, const X86Insn *d)
{
    uint64_t ea = x86_ea(c, d);
    if (ea & 15)
        return gp0(c);
    uint8_t img[512];
    for (int i = 0; i < 32; i++)
        if (!x86_read16(c, d->seg, x86_trunc(ea + 16 * (uint64_t)i, d->addrsize), img + 16 * i))
            return X86_FAULT;
    uint32_t mxcsr;
    memcpy(&mxcsr, img + 24, 4);
    if (mxcsr & ~0xffffu)
        return gp0(c);
    memcpy(&c->fcw, img + 0, 2);
    memcpy(&c->fsw, img + 2, 2);
    c->ftw = img[4];
    memcpy(&c->fop, img + 6, 2);
    if (d->opsize == 8) {
        memcpy(&c->fip, img + 8, 8);
        memcpy(&c->fdp, img + 16, 8);
    } else {
        uint32_t ip, dp;
        memcpy(&ip, img + 8, 4);
        memcpy(&dp, img + 16, 4);
        c->fip = ip;
        c->fdp = dp;
    }
    c->mxcsr = mxcsr;
    for (int i = 0; i < 8; i++) {
        memset(c->st[i], 0, 16);
        memcpy(c->st[i], img + 32 + 16 * i, 10);
    }
    int nx = x86_mode64(c) ? 16 : 8;
    for (int i = 0; i < nx; i++)
        memcpy(c->xmm[i], img + 160 + 16 * i, 16);
    return x86_retire(c, d);
}

/* RDFSBASE, RDGSBASE, WRFSBASE, WRGSBASE (F3 0F AE /0../3, register forms): 64-bit mode
 * with CR4.FSGSBASE, at any CPL. */
static int fsgsbase(X86Cpu *c, const X86Insn *d, unsigned op)
{
    if (op > 3 || !x86_mode64(c) || !(c->cr4 & X86_CR4_FSGSBASE))
        return x86_ud(c);
    X86Seg *s = &c->seg[(op & 1) ? X86_GS : X86_FS];
    unsigned size = d->opsize == 8 ? 8 : 4;
    if (op < 2) {
        x86_set_reg(c, d, d->rm, size, s->base);
    } else {
        uint64_t v = x86_get_reg(c, d, d->rm, size);
        if (!x86_canonical(v, (c->cr4 & X86_CR4_LA57) != 0))
            return gp0(c);
        s->base = v;
    }
    return x86_retire(c, d);
}

int x86_op_grp15(X86Cpu *c, const X86Insn *d)
{
    unsigned op = d->reg & 7;
    if (d->mod == 3) {
        if (d->rep == 0xf3)
            return fsgsbase(c, d, op);
        if (op >= 5)
            return x86_retire(c, d);   /* LFENCE, MFENCE, SFENCE: one core at a time */
        return x86_ud(c);
    }
    int r;
    switch (op) {
    case 0:
        return (r = sse_state_check(c, false)) != X86_OK ? r : fxsave(c, d);
    case 1:
        return (r = sse_state_check(c, false)) != X86_OK ? r : fxrstor(c, d);
    case 2: {                 /* LDMXCSR */
        if ((r = sse_state_check(c, true)) != X86_OK)
            return r;
        uint64_t v;
        if (!x86_read(c, d->seg, x86_ea(c, d), 4, &v))
            return X86_FAULT;
        if (v & ~0xffffull)
            return gp0(c);
        c->mxcsr = (uint32_t)v;
        return x86_retire(c, d);
    }
    case 3:                   /* STMXCSR */
        if ((r = sse_state_check(c, true)) != X86_OK)
            return r;
        return x86_write(c, d->seg, x86_ea(c, d), 4, c->mxcsr) ? x86_retire(c, d) : X86_FAULT;
    case 7: {                 /* CLFLUSH: checked like a byte read; no cache to flush */
        uint64_t v;
        if (!x86_read(c, d->seg, x86_ea(c, d), 1, &v))
            return X86_FAULT;
        return x86_retire(c, d);
    }
    default:
        return x86_ud(c);     /* XSAVE, XRSTOR, XSAVEOPT: not advertised */
    }
}
