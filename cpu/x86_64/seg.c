/* x86 segment registers and descriptors: real-mode loads, descriptor reads from the GDT and
 * LDT, and the protected-mode checks of loading a data or stack segment (SDM vol. 2, MOV
 * "Move to/from Segment Registers", and vol. 3A 5.5-5.8). */
#include "cpu/x86_64/sys_internal.h"
#include "cpu/x86_64/insn.h"

void x86_seg_load_real(X86Cpu *c, int seg, uint16_t sel)
{
    X86Seg *s = &c->seg[seg];
    s->sel = sel;
    s->base = (uint64_t)sel << 4;
    if (x86_vm86(c)) {
        s->limit = 0xffff;
        s->attr = 0xf3 | (seg == X86_CS ? 0x8 : 0);    /* present, DPL 3, read/write */
    }
    s->attr &= ~X86_SEG_ATTR_UNUSABLE;
    if (seg == X86_CS || seg == X86_SS) {
        x86_update_mode(c);
        x86_decode_mode_changed(c);
    }
}

void x86_seg_from_desc(X86Seg *s, uint16_t sel, uint64_t d)
{
    s->sel = sel;
    s->base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000ull);
    uint32_t limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
    if (d & (1ull << 55))
        limit = (limit << 12) | 0xfff;
    s->limit = limit;
    s->attr = (uint32_t)(((d >> 40) & 0xff) | (((d >> 52) & 0xf) << 12));
}

void x86_seg_load_null(X86Cpu *c, int seg, uint16_t sel)
{
    X86Seg *s = &c->seg[seg];
    s->sel = sel;
    /* 64-bit mode keeps FS/GS bases (set through MSRs or WRFSBASE); elsewhere they are 0 */
    if (!(x86_mode64(c) && (seg == X86_FS || seg == X86_GS)))
        s->base = 0;
    s->limit = 0;
    s->attr = X86_SEG_ATTR_UNUSABLE | (seg == X86_SS ? (sel & 3u) << 5 : 0);
    if (seg == X86_SS)
        x86_update_mode(c);
}

bool x86_read_desc(X86Cpu *c, uint16_t sel, uint64_t *desc)
{
    const X86DescTable *t = (const X86DescTable *)&c->gdtr;
    uint64_t base;
    uint32_t limit;
    if (sel & 4) {
        if (c->ldtr.attr & X86_SEG_ATTR_UNUSABLE || !(c->ldtr.sel & ~3u))
            return x86_fault(c, X86_GP, sel & 0xfffc, true);
        base = c->ldtr.base;
        limit = c->ldtr.limit;
    } else {
        base = t->base;
        limit = t->limit;
    }
    if ((uint32_t)(sel & ~7u) + 7 > limit)
        return x86_fault(c, X86_GP, sel & 0xfffc, true);
    uint64_t la = base + (sel & ~7u);
    if (!x86_lma(c))
        la = (uint32_t)la;
    return x86_la_read(c, la, 8, X86_PRIV_IMPLICIT, desc);
}

bool x86_desc_set_accessed(X86Cpu *c, uint16_t sel, uint64_t desc)
{
    if (desc & (1ull << 40))
        return true;
    uint64_t base = sel & 4 ? c->ldtr.base : c->gdtr.base;
    uint64_t la = base + (sel & ~7u) + 5;
    if (!x86_lma(c))
        la = (uint32_t)la;
    return x86_la_write(c, la, 1, X86_PRIV_IMPLICIT, ((desc >> 40) & 0xff) | 1);
}

bool x86_load_seg(X86Cpu *c, int seg, uint16_t sel)
{
    if (!x86_protected(c) || x86_vm86(c)) {
        x86_seg_load_real(c, seg, sel);
        return true;
    }
    unsigned rpl = sel & 3, cpl = c->cpl;
    if (!(sel & ~3u)) {
        if (seg == X86_SS && !(x86_mode64(c) && cpl < 3 && rpl == cpl))
            return x86_fault(c, X86_GP, 0, true);
        x86_seg_load_null(c, seg, sel);
        return true;
    }
    uint64_t d;
    if (!x86_read_desc(c, sel, &d))
        return false;
    unsigned attr = (unsigned)(d >> 40) & 0xff, type = attr & 0xf, dpl = (attr >> 5) & 3;
    if (seg == X86_SS) {
        /* a writable data segment at DPL == RPL == CPL */
        if (rpl != cpl || !(attr & X86_ATTR_S) || (type & 8) || !(type & 2) || dpl != cpl)
            return x86_fault(c, X86_GP, sel & 0xfffc, true);
        if (!(attr & X86_ATTR_P))
            return x86_fault(c, X86_SS_EXC, sel & 0xfffc, true);
    } else {
        /* data or readable code; unless conforming code, DPL >= max(CPL, RPL) */
        if (!(attr & X86_ATTR_S) || ((type & 8) && !(type & 2)))
            return x86_fault(c, X86_GP, sel & 0xfffc, true);
        bool conforming = (type & 0xc) == 0xc;
        if (!conforming && (rpl > dpl || cpl > dpl))
            return x86_fault(c, X86_GP, sel & 0xfffc, true);
        if (!(attr & X86_ATTR_P))
            return x86_fault(c, X86_NP, sel & 0xfffc, true);
    }
    if (!x86_desc_set_accessed(c, sel, d))
        return false;
    d |= 1ull << 40;
    x86_seg_from_desc(&c->seg[seg], sel, d);
    if (seg == X86_SS)
        x86_update_mode(c);
    return true;
}

void x86_set_cs(X86Cpu *c, uint16_t sel, uint64_t desc, unsigned cpl)
{
    x86_seg_from_desc(&c->seg[X86_CS], (uint16_t)((sel & ~3u) | cpl), desc | (1ull << 40));
    x86_update_mode(c);       /* the CPL is SS.DPL's: the caller loads SS for a change */
    x86_decode_mode_changed(c);
}
