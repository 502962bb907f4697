/* x86-64 memory accesses: segmentation (limits and rights in protected mode, canonical
 * checks in 64-bit mode), alignment checks, paging through mmu/x86_walk.c, then the local
 * APIC's page, RAM or a device; instruction fetch; port I/O with the IOPL / TSS I/O-bitmap
 * check. Every check of an access is made before any byte of it is written, so a faulting
 * instruction changes no memory. */
#include <string.h>
#include "cpu/x86_64/sys_internal.h"
#include "cpu/x86_64/insn.h"
#include "cpu/x86_64/exec.h"
#include "devices/lapic.h"

/* The local APIC is the board's (x86pc): until one is linked in, c->lapic stays NULL and
 * these are never called. */
#pragma weak lapic_mmio_read
#pragma weak lapic_mmio_write

#define PAGE 4096ull

void x86_walk_regime(const X86Cpu *c, X86WalkRegime *r)
{
    const X86CpuModel *mdl = c->model;
    *r = (X86WalkRegime){ 0 };
    if (!(c->cr0 & X86_CR0_PG))
        r->mode = X86_PAGING_OFF;
    else if (c->efer & X86_EFER_LMA)
        r->mode = c->cr4 & X86_CR4_LA57 ? X86_PAGING_5LEVEL : X86_PAGING_4LEVEL;
    else if (c->cr4 & X86_CR4_PAE)
        r->mode = X86_PAGING_PAE;
    else
        r->mode = X86_PAGING_32;
    r->cr3 = c->cr3;
    r->wp = (c->cr0 & X86_CR0_WP) != 0;
    r->pse = (c->cr4 & X86_CR4_PSE) != 0;
    r->nxe = (c->efer & X86_EFER_NXE) != 0;
    r->smep = (c->cr4 & X86_CR4_SMEP) != 0;
    r->smap = (c->cr4 & X86_CR4_SMAP) != 0;
    r->ac = (c->rflags & X86_AC) != 0;
    r->pge = (c->cr4 & X86_CR4_PGE) != 0;
    r->pcide = (c->cr4 & X86_CR4_PCIDE) != 0;
    r->gbpages = mdl && (mdl->e1_edx & X86_E1_EDX_PAGE1GB);
    r->pa_bits = mdl ? mdl->pa_bits : 0;
}

static bool lapic_page(const X86Cpu *c, uint64_t pa)
{
    /* IA32_APIC_BASE: bit 11 enables the xAPIC, bit 10 x2APIC mode (MMIO then unmapped) */
    return c->lapic && (c->apic_base & (1u << 11)) && !(c->apic_base & (1u << 10)) &&
           (pa & ~(PAGE - 1)) == (c->apic_base & ~0xfffull & ((1ull << 52) - 1));
}

/* The soft TLB: per access kind (read, write, fetch), a direct-mapped table of 4 KiB linear
 * pages, each tagged with what its permission check depended on (privilege class and
 * RFLAGS.AC) and with the PCID it was made under, or marked global (G with CR4.PGE). An
 * entry is made only by a walk that succeeded for that access kind, so a write entry exists
 * only for a page whose dirty flag is set. Invalidation follows the SDM (4.10.4) or drops
 * more: MOV CR3 the non-global entries (none with PCIDE and bit 63 set), INVLPG the page in
 * every PCID, INVPCID what its type names or more, CR0/CR4/EFER writes everything. */
#define TLB_SIZE X86_TLB_SIZE

/* Each flush also forgets the decode cache's fetch shortcut (dcache.h), which the run
 * loop's chain (cpu.c) relies on instead of looking at the fetch entry again. */
void x86_tlb_flush(X86Cpu *c)
{
    memset(&c->tlb, 0, sizeof c->tlb);
    x86_decode_mode_changed(c);
}

void x86_tlb_flush_nonglobal(X86Cpu *c)
{
    for (unsigned a = 0; a < 3; a++)
        for (unsigned i = 0; i < TLB_SIZE; i++)
            if (c->tlb.e[a][i].pcid != X86_TLB_GLOBAL)
                c->tlb.e[a][i].tag = c->tlb.e[a][i].ftag = 0;
    x86_decode_mode_changed(c);
}

void x86_tlb_flush_other_pcids(X86Cpu *c, uint32_t pcid)
{
    for (unsigned a = 0; a < 3; a++)
        for (unsigned i = 0; i < TLB_SIZE; i++)
            if (c->tlb.e[a][i].pcid != X86_TLB_GLOBAL && c->tlb.e[a][i].pcid != pcid)
                c->tlb.e[a][i].tag = c->tlb.e[a][i].ftag = 0;
    x86_decode_mode_changed(c);
}

void x86_tlb_flush_page(X86Cpu *c, uint64_t la)
{
    for (unsigned a = 0; a < 3; a++) {
        X86TlbEntry *e = &c->tlb.e[a][(la >> 12) & (TLB_SIZE - 1)];
        if ((e->tag & ~(PAGE - 1)) == (la & ~(PAGE - 1)))
            e->tag = e->ftag = 0;
    }
    x86_decode_mode_changed(c);
}

/* The PCID translations are made under now. */
static inline uint32_t cur_pcid(const X86Cpu *c)
{
    return (c->cr4 & X86_CR4_PCIDE) ? (uint32_t)(c->cr3 & 0xfff) : 0;
}

void x86_tlb_foreach(const X86Cpu *c, void (*fn)(void *ctx, uint64_t la, uint64_t pa,
                                                 unsigned acc, unsigned priv), void *ctx)
{
    for (unsigned a = 0; a < 3; a++)
        for (unsigned i = 0; i < TLB_SIZE; i++) {
            const X86TlbEntry *e = &c->tlb.e[a][i];
            if (e->tag & 1)
                fn(ctx, e->tag & ~0xfffull, e->pa, a, (unsigned)(e->tag >> 1) & 3);
        }
}

static inline uint64_t tlb_tag(const X86Cpu *c, uint64_t la, X86Priv priv)
{
    return (la & ~(PAGE - 1)) | (uint64_t)priv << 1 | ((c->rflags & X86_AC) ? 8 : 0) | 1;
}

/* ---- physical memory ---- */
static void publish_mmio(X86Cpu *c, uint64_t pa, unsigned size, bool write, uint64_t v)
{
    x86_lf_flush(c);          /* subscribers may read the registers (exec.h's lazy flags) */
    const BusRegion *r = bus_find(&c->m->bus, pa);
    EvInfo e = { .kind = EV_MMIO, .cpu = c->index, .el = (int)c->cpl, .vmid = -1,
                 .pc = c->start_ip, .time = 0,
                 .u.mmio = { .addr = pa, .pa = pa, .offset = r ? pa - r->base : pa,
                             .value = v, .size = size, .write = write,
                             .device = r ? r->name : "unassigned" } };
    ev_publish(&c->m->events, &e);
}

uint64_t x86_phys_read(X86Cpu *c, uint64_t pa, unsigned size)
{
    Machine *m = c->m;
    /* the APIC page hides whatever else is at its address */
    uint8_t *p = unlikely(lapic_page(c, pa)) ? NULL : bus_ram_ptr(&m->bus, pa, size);
    if (likely(p != NULL)) {
        uint64_t v = 0;
        memcpy(&v, p, size);
        return v;
    }
    x86_recheck(c);          /* the APIC or a device (cpu.c's instruction boundary) */
    uint64_t v;
    if (lapic_page(c, pa)) {
        /* 32-bit registers at 16-byte strides: other sizes and offsets read 0 */
        v = size == 4 && !(pa & 3) ? lapic_mmio_read(c->lapic, (uint32_t)(pa & 0xfff)) : 0;
    } else if (size == 1 || size == 2 || size == 4 || size == 8) {
        if (!bus_read(&m->bus, pa, size, &v))
            v = ~0ull;        /* nothing decodes it: the PC's floating bus reads all ones */
    } else {
        v = 0;
        for (unsigned i = 0; i < size; i++)
            v |= x86_phys_read(c, pa + i, 1) << (8 * i);
        return v;
    }
    if (size < 8)
        v &= (1ull << (8 * size)) - 1;
    if (ev_wants(&m->events, EV_MMIO))
        publish_mmio(c, pa, size, false, v);
    return v;
}

void x86_phys_write(X86Cpu *c, uint64_t pa, unsigned size, uint64_t v)
{
    Machine *m = c->m;
    const BusRegion *r = unlikely(lapic_page(c, pa)) ? NULL : bus_find(&m->bus, pa);
    if (likely(r && r->host && pa + size <= r->base + r->size)) {
        if (r->readonly)
            return;
        memcpy(r->host + (pa - r->base), &v, size);
        machine_ram_written(m, pa, size);
        if (pa - m->ram_base < m->ram_size && m->code_written) {
            uint64_t first = (pa - m->ram_base) >> 12;
            uint64_t last = (pa + size - 1 - m->ram_base) >> 12;
            if (m->ram_code[first])
                m->code_written(m, pa);
            if (last != first && last < (m->ram_size >> 12) && m->ram_code[last])
                m->code_written(m, pa + size - 1);
        }
        return;
    }
    x86_recheck(c);          /* the APIC or a device (cpu.c's instruction boundary) */
    if (lapic_page(c, pa)) {
        if (size == 4 && !(pa & 3))
            lapic_mmio_write(c->lapic, (uint32_t)(pa & 0xfff), (uint32_t)v);
    } else if (size == 1 || size == 2 || size == 4 || size == 8) {
        bus_write(&m->bus, pa, size, v);    /* nothing there: the write goes nowhere */
    } else {
        for (unsigned i = 0; i < size; i++)
            x86_phys_write(c, pa + i, 1, v >> (8 * i));
        return;
    }
    if (ev_wants(&m->events, EV_MMIO))
        publish_mmio(c, pa, size, true, v);
}

/* ---- paging ---- */
static bool walk_read(void *opaque, uint64_t pa, unsigned size, int level, uint64_t *v)
{
    X86Cpu *c = opaque;
    (void)level;
    uint8_t *p = bus_ram_ptr(&c->m->bus, pa, size);
    if (!p)
        return false;         /* tables outside RAM: treated as not present */
    *v = 0;
    memcpy(v, p, size);
    return true;
}

static void walk_write(void *opaque, uint64_t pa, unsigned size, int level, uint64_t v)
{
    X86Cpu *c = opaque;
    (void)level;
    x86_phys_write(c, pa, size, v);
}

/* The host memory of the physical page at pa for an access kind, or NULL (a device, the
 * APIC page, ROM for writes). */
static uint8_t *page_host(X86Cpu *c, uint64_t pa, X86Access acc)
{
    if (lapic_page(c, pa))
        return NULL;
    const BusRegion *r = bus_find(&c->m->bus, pa);
    if (!r || !r->host || (acc == X86_ACC_WRITE && r->readonly) ||
        pa + PAGE > r->base + r->size)
        return NULL;
    return r->host + (pa - r->base);
}

/* Translation with the host page: *host is the page's host memory (NULL if not RAM). */
static bool translate_host(X86Cpu *c, uint64_t la, X86Access acc, X86Priv priv, uint64_t *pa,
                           uint8_t **host)
{
    uint64_t tag = tlb_tag(c, la, priv);
    X86TlbEntry *te = &c->tlb.e[acc][(la >> 12) & (TLB_SIZE - 1)];
    if (!(c->cr0 & X86_CR0_PG)) {
        /* no paging: the entry only remembers the host page (emptied when CR0 changes) */
        *pa = (uint32_t)la;
        if (te->tag != tag || te->pcid != X86_TLB_GLOBAL) {
            te->tag = tag;
            te->pa = *pa & ~(PAGE - 1);
            te->host = page_host(c, te->pa, acc);
            te->pcid = X86_TLB_GLOBAL;
            te->ftag = te->host ? tag : 0;
        }
        *host = te->host;
        return true;
    }
    if (likely(te->tag == tag && (te->pcid == cur_pcid(c) || te->pcid == X86_TLB_GLOBAL))) {
        *pa = te->pa | (la & (PAGE - 1));
        *host = te->host;
        return true;
    }
    *host = NULL;
    if (!x86_translate_la(c, la, acc, priv, pa))
        return false;
    if (te->tag == tag && (te->pcid == cur_pcid(c) || te->pcid == X86_TLB_GLOBAL))
        *host = te->host;
    return true;
}

/* EV_WALK: a walk the soft TLB did not spare, its entries and its result or fault. */
static void publish_walk(X86Cpu *c, uint64_t la, X86Access acc, const X86WalkRegime *r,
                         const X86WalkResult *res, const X86WalkFault *f, bool ok)
{
    x86_lf_flush(c);
    static const char *const regimes[] = { "paging off", "32-bit paging", "PAE paging",
                                           "4-level paging", "5-level paging" };
    int top = r->mode == X86_PAGING_32 ? 2 : r->mode == X86_PAGING_PAE ? 3
            : r->mode == X86_PAGING_4LEVEL ? 4 : 5;
    uint8_t sl[X86_WALK_MAX_LEVELS];
    for (unsigned i = 0; i < res->nread; i++)
        sl[i] = (uint8_t)(1 << 4 | (top - (int)i));
    EvInfo e = { .kind = EV_WALK, .cpu = c->index, .el = (int)c->cpl, .vmid = -1,
                 .pc = c->start_ip,
                 .u.walk = { .addr = la, .pa = ok ? res->pa : 0, .access = (int)acc, .fault = !ok,
                             .desc = res->entry_pa, .desc_sl = sl, .ndesc = res->nread,
                             .perms = ok ? res->perms : 0, .regime = regimes[r->mode],
                             .s2_vmid = -1, .fault_stage = ok ? 0 : 1,
                             .fault_level = ok ? 0 : f->level,
                             .fault_name = ok ? NULL : f->rsvd ? "reserved bit"
                                         : (f->error_code & X86_PFEC_P) ? "protection"
                                                                        : "not present",
                             .ipa = ok ? res->pa : f->error_code } };
    if (ev_publish(&c->m->events, &e)) {
        x86_pause(c);
    }
}

bool x86_translate_la(X86Cpu *c, uint64_t la, X86Access acc, X86Priv priv, uint64_t *pa)
{
    if (!(c->cr0 & X86_CR0_PG)) {
        *pa = (uint32_t)la;
        return true;
    }
    uint64_t tag = tlb_tag(c, la, priv);
    X86TlbEntry *te = &c->tlb.e[acc][(la >> 12) & (TLB_SIZE - 1)];
    if (likely(te->tag == tag && (te->pcid == cur_pcid(c) || te->pcid == X86_TLB_GLOBAL))) {
        *pa = te->pa | (la & (PAGE - 1));
        return true;
    }
    X86WalkRegime r;
    x86_walk_regime(c, &r);
    X86WalkResult res;
    X86WalkFault f;
    bool ok = x86_translate(&r, la, acc, priv, walk_read, walk_write, c, &res, &f);
    if (unlikely(ev_wants(&c->m->events, EV_WALK)))
        publish_walk(c, la, acc, &r, &res, &f, ok);
    if (likely(ok)) {
        *pa = res.pa;
        te->tag = tag;
        te->pa = res.pa & ~(PAGE - 1);
        te->host = page_host(c, te->pa, acc);
        te->pcid = res.global ? X86_TLB_GLOBAL : cur_pcid(c);
        te->ftag = te->host ? tag : 0;
        return true;
    }
    x86_raise(c, X86_PF_EXC, true, f.error_code);
    if (c->exc.vector == X86_PF_EXC)
        c->exc.cr2 = la;
    return false;
}

static X86Priv data_priv(const X86Cpu *c)
{
    return c->cpl == 3 ? X86_PRIV_USER : X86_PRIV_SUPER;
}

/* Translates the pages of [la, la+len) (at most two): pa[0] for la, pa[1] for the first
 * byte of the next page when the access crosses one. */
static bool translate_range(X86Cpu *c, uint64_t la, unsigned len, X86Access acc, X86Priv priv,
                            uint64_t pa[2])
{
    if (!x86_translate_la(c, la, acc, priv, &pa[0]))
        return false;
    uint64_t next = (la | (PAGE - 1)) + 1;
    if (la + len - 1 >= next || (la + len - 1 < la)) {
        uint64_t la2 = next;
        if (!(c->efer & X86_EFER_LMA))
            la2 = (uint32_t)la2;
        if (!x86_translate_la(c, la2, acc, priv, &pa[1]))
            return false;
    }
    return true;
}

/* Reads or writes len bytes (1..16) of buf at a translated range. */
static void range_io(X86Cpu *c, uint64_t la, unsigned len, const uint64_t pa[2], uint8_t *buf,
                     bool write)
{
    unsigned first = (unsigned)(PAGE - (la & (PAGE - 1)));
    if (first > len)
        first = len;
    for (int part = 0; part < 2; part++) {
        unsigned n = part ? len - first : first, off = part ? first : 0;
        uint64_t p = pa[part];
        while (n) {
            unsigned k = n >= 8 ? 8 : n >= 4 ? 4 : n >= 2 ? 2 : 1;
            /* a device sees the access whole when it is a power of two that fits */
            if (n == 3 || n == 5 || n == 6 || n == 7)
                k = n & 4 ? 4 : n & 2 ? 2 : 1;
            uint64_t v = 0;
            if (write) {
                memcpy(&v, buf + off, k);
                x86_phys_write(c, p, k, v);
            } else {
                v = x86_phys_read(c, p, k);
                memcpy(buf + off, &v, k);
            }
            p += k;
            off += k;
            n -= k;
        }
    }
}

bool x86_la_read(X86Cpu *c, uint64_t la, unsigned size, X86Priv priv, uint64_t *v)
{
    uint64_t pa[2] = { 0, 0 };
    if (!translate_range(c, la, size, X86_ACC_READ, priv, pa))
        return false;
    *v = 0;
    range_io(c, la, size, pa, (uint8_t *)v, false);
    return true;
}

bool x86_la_write(X86Cpu *c, uint64_t la, unsigned size, X86Priv priv, uint64_t v)
{
    uint64_t pa[2] = { 0, 0 };
    if (!translate_range(c, la, size, X86_ACC_WRITE, priv, pa))
        return false;
    range_io(c, la, size, pa, (uint8_t *)&v, true);
    return true;
}

bool x86_la_probe_write(X86Cpu *c, uint64_t la, unsigned len, X86Priv priv)
{
    for (uint64_t p = la & ~(PAGE - 1); p <= ((la + len - 1) & ~(PAGE - 1)); p += PAGE) {
        uint64_t pa;
        if (!x86_translate_la(c, p < la ? la : p, X86_ACC_WRITE, priv, &pa))
            return false;
    }
    return true;
}

/* ---- segmentation ---- */
static bool seg_fault(X86Cpu *c, int seg)
{
    return x86_fault(c, seg == X86_SS ? X86_SS_EXC : X86_GP, 0, true);
}

bool x86_seg_la(X86Cpu *c, int seg, uint64_t off, unsigned size, bool write, uint64_t *la)
{
    const X86Seg *s = &c->seg[seg];
    if (x86_mode64(c)) {
        /* 64-bit mode: only FS and GS have a base; the address must be canonical */
        uint64_t a = off + (seg == X86_FS || seg == X86_GS ? s->base : 0);
        bool la57 = (c->cr4 & X86_CR4_LA57) != 0;
        if (unlikely(!x86_canonical(a, la57) || !x86_canonical(a + size - 1, la57)))
            return seg_fault(c, seg);
        *la = a;
        return true;
    }
    if (x86_protected(c) && !x86_vm86(c)) {
        if (unlikely(s->attr & X86_SEG_ATTR_UNUSABLE))
            return seg_fault(c, seg);
        unsigned type = X86_ATTR_TYPE(s->attr);
        if (type & 8) {       /* code: never writable, readable if type bit 1 */
            if (write || !(type & 2))
                return seg_fault(c, seg);
        } else if (write && !(type & 2)) {
            return seg_fault(c, seg);
        }
        uint64_t last = off + size - 1;
        if (!(type & 8) && (type & 4)) {      /* expand-down: limit+1 .. 64 KiB or 4 GiB */
            uint64_t top = s->attr & X86_SEG_ATTR_DB ? 0xffffffffull : 0xffffull;
            if (off <= s->limit || last > top)
                return seg_fault(c, seg);
        } else if (last > s->limit) {
            return seg_fault(c, seg);
        }
    } else if (off + size - 1 > s->limit) {
        return seg_fault(c, seg);     /* real mode: the cached limit (64 KiB, or unreal) */
    }
    *la = (uint32_t)(s->base + off);
    return true;
}

/* Alignment check (#AC(0)): CR0.AM, RFLAGS.AC and CPL 3, for a misaligned access. */
static bool align_check(X86Cpu *c, uint64_t off, unsigned size)
{
    if (unlikely((c->cr0 & X86_CR0_AM) && (c->rflags & X86_AC) && c->cpl == 3 &&
                 (off & (size - 1)) && size <= 8))
        return x86_fault(c, X86_AC_EXC, 0, true);
    return true;
}

/* A store to RAM through its host page: the bookkeeping of x86_phys_write's RAM path. */
static inline void ram_store(X86Cpu *c, uint8_t *host, uint64_t pa, const uint8_t *buf, unsigned size)
{
    Machine *m = c->m;
    switch (size) {          /* constant sizes: moves, not a call */
    case 1: memcpy(host, buf, 1); break;
    case 2: memcpy(host, buf, 2); break;
    case 4: memcpy(host, buf, 4); break;
    case 8: memcpy(host, buf, 8); break;
    default: memcpy(host, buf, size); break;
    }
    machine_ram_written(m, pa, size);
    if (pa - m->ram_base < m->ram_size && m->code_written && m->ram_code[(pa - m->ram_base) >> 12])
        m->code_written(m, pa);
}

static bool data_access(X86Cpu *c, int seg, uint64_t off, unsigned size, X86Access acc,
                        uint8_t *buf)
{
    uint64_t la, pa[2] = { 0, 0 };
    if (!x86_seg_la(c, seg, off, size, acc == X86_ACC_WRITE, &la) || !align_check(c, off, size))
        return false;
    Machine *m = c->m;
    /* within one RAM page, nobody watching: straight to host memory */
    if (likely(((la & (PAGE - 1)) + size <= PAGE) && !m->watch_check &&
               !ev_wants(&m->events, EV_MEM))) {
        uint8_t *host;
        if (!translate_host(c, la, acc, data_priv(c), &pa[0], &host))
            return false;
        if (likely(host != NULL)) {
            host += la & (PAGE - 1);
            if (acc == X86_ACC_WRITE)
                ram_store(c, host, pa[0], buf, size);
            else
                memcpy(buf, host, size);
            return true;
        }
    }
    if (!translate_range(c, la, size, acc, data_priv(c), pa))
        return false;
    if (unlikely(m->watch_check != NULL || ev_wants(&m->events, EV_MEM)))
        x86_lf_flush(c);      /* the debugger and subscribers may read the registers */
    if (unlikely(m->watch_check) &&
        m->watch_check(m->break_opaque, c->index, la, pa[0], size, acc == X86_ACC_WRITE)) {
        x86_pause(c);
    }
    if (unlikely(ev_wants(&m->events, EV_MEM))) {
        EvInfo e = { .kind = EV_MEM, .cpu = c->index, .el = (int)c->cpl, .vmid = -1,
                     .pc = c->start_ip,
                     .u.mem = { .addr = la, .pa = pa[0], .size = size,
                                .write = acc == X86_ACC_WRITE } };
        if (ev_publish(&m->events, &e)) {
            x86_pause(c);
        }
    }
    /* a read for a read-modify-write only checks: the bytes are read below */
    range_io(c, la, size, pa, buf, acc == X86_ACC_WRITE && buf != NULL);
    return true;
}

void x86_mem_fast_refresh(X86Cpu *c)
{
    const Machine *m = c->m;
    c->mem_tag = 2;           /* off: without the valid bit it matches no entry, nor 0 */
    /* alignment checks (align_check) need the slow path only where they apply: CR0.AM,
     * RFLAGS.AC and CPL 3 together (Linux keeps CR0.AM set, its kernel and most of its user
     * code run with AC clear) */
    bool align = (c->cr0 & X86_CR0_AM) && (c->rflags & X86_AC) && c->cpl == 3;
    if (c->code_bits == 64 && !align && m && !m->watch_check && !ev_wants(&m->events, EV_MEM))
        c->mem_tag = tlb_tag(c, 0, data_priv(c));
}

bool x86_read_slow(X86Cpu *c, int seg, uint64_t off, unsigned size, uint64_t *val)
{
    *val = 0;
    return data_access(c, seg, off, size, X86_ACC_READ, (uint8_t *)val);
}

bool x86_write_slow(X86Cpu *c, int seg, uint64_t off, unsigned size, uint64_t val)
{
    return data_access(c, seg, off, size, X86_ACC_WRITE, (uint8_t *)&val);
}

bool x86_read_rmw_slow(X86Cpu *c, int seg, uint64_t off, unsigned size, uint64_t *val)
{
    uint64_t la, pa[2] = { 0, 0 };
    *val = 0;
    if (!x86_seg_la(c, seg, off, size, true, &la) || !align_check(c, off, size))
        return false;
    if (likely((la & (PAGE - 1)) + size <= PAGE)) {
        uint8_t *host;
        if (!translate_host(c, la, X86_ACC_WRITE, data_priv(c), &pa[0], &host))
            return false;
        if (likely(host != NULL)) {
            memcpy(val, host + (la & (PAGE - 1)), size);
            return true;
        }
    }
    if (!translate_range(c, la, size, X86_ACC_WRITE, data_priv(c), pa))
        return false;
    range_io(c, la, size, pa, (uint8_t *)val, false);
    return true;
}

bool x86_read16(X86Cpu *c, int seg, uint64_t off, void *buf16)
{
    memset(buf16, 0, 16);
    return data_access(c, seg, off, 16, X86_ACC_READ, buf16);
}

bool x86_write16(X86Cpu *c, int seg, uint64_t off, const void *buf16)
{
    uint8_t tmp[16];
    memcpy(tmp, buf16, 16);
    return data_access(c, seg, off, 16, X86_ACC_WRITE, tmp);
}

/* ---- instruction fetch ---- */
/* The linear address of CS:rip and how many bytes from it the CS limit allows (0: none). */
static unsigned fetch_window(const X86Cpu *c, uint64_t rip, unsigned max, uint64_t *la)
{
    const X86Seg *cs = &c->seg[X86_CS];
    if (x86_mode64(c)) {
        bool la57 = (c->cr4 & X86_CR4_LA57) != 0;
        *la = rip;
        if (!x86_canonical(rip, la57))
            return 0;
        if (likely(x86_canonical(rip + max - 1, la57) && rip + max - 1 >= rip))
            return max;
        /* bytes past the canonical end are not fetched either */
        for (unsigned n = 1; n < max; n++)
            if (!x86_canonical(rip + n, la57))
                return n;
        return max;
    }
    *la = (uint32_t)(cs->base + rip);
    if (rip > cs->limit)
        return 0;
    uint64_t room = (uint64_t)cs->limit - rip + 1;
    return room < max ? (unsigned)room : max;
}

unsigned x86_fetch(X86Cpu *c, uint64_t rip, uint8_t *buf, unsigned max)
{
    uint64_t la;
    unsigned n = fetch_window(c, rip, max, &la), got = 0;
    X86Priv priv = data_priv(c);
    /* the common case: a whole instruction's worth inside one RAM page (a constant size
     * makes the copy two moves) */
    if (likely(n == X86_MAX_INSN_BYTES && (la & (PAGE - 1)) <= PAGE - X86_MAX_INSN_BYTES)) {
        uint64_t pa;
        uint8_t *host;
        X86Exc saved = c->exc;
        if (likely(translate_host(c, la, X86_ACC_FETCH, priv, &pa, &host) && host)) {
            memcpy(buf, host + (la & (PAGE - 1)), X86_MAX_INSN_BYTES);
            return X86_MAX_INSN_BYTES;
        }
        c->exc = saved;
    }
    while (got < n) {
        uint64_t pa;
        uint8_t *host;
        X86Exc saved = c->exc;
        if (!translate_host(c, la + got, X86_ACC_FETCH, priv, &pa, &host)) {
            c->exc = saved;   /* the decoder raises the fault if it needs the byte */
            break;
        }
        unsigned chunk = (unsigned)(PAGE - ((la + got) & (PAGE - 1)));
        if (chunk > n - got)
            chunk = n - got;
        uint8_t *p = host ? host + (pa & (PAGE - 1)) : bus_ram_ptr(&c->m->bus, pa, chunk);
        if (p) {
            memcpy(buf + got, p, chunk);
        } else {
            for (unsigned i = 0; i < chunk; i++)
                buf[got + i] = (uint8_t)x86_phys_read(c, pa + i, 1);
        }
        got += chunk;
        if (!x86_mode64(c))
            la = (uint32_t)la;
    }
    return got;
}

void x86_fetch_fault(X86Cpu *c, uint64_t rip)
{
    uint64_t la, pa;
    if (!fetch_window(c, rip, 1, &la)) {
        x86_raise(c, X86_GP, true, 0);   /* past the CS limit, or not canonical */
        return;
    }
    if (x86_translate_la(c, la, X86_ACC_FETCH, data_priv(c), &pa))
        x86_raise(c, X86_GP, true, 0);   /* the byte is there: the decoder asked too far */
}

/* ---- port I/O ---- */
/* The TSS I/O permission bitmap (SDM vol. 1, 19.5.2): every bit of the accessed ports
 * clear, inside the TSS's limit. */
static bool io_allowed(X86Cpu *c, uint16_t port, unsigned size)
{
    if (!x86_protected(c) || (c->cpl <= ((c->rflags & X86_IOPL) >> 12) && !x86_vm86(c)))
        return true;
    const X86Seg *tr = &c->tr;
    unsigned type = X86_ATTR_TYPE(tr->attr);
    if ((type != 9 && type != 11) || tr->limit < 103)
        return false;
    uint64_t base16;
    if (!x86_la_read(c, tr->base + 102, 2, X86_PRIV_IMPLICIT, &base16))
        return false;
    uint64_t at = base16 + port / 8;
    if (at + 1 > tr->limit)
        return false;
    uint64_t bits;
    if (!x86_la_read(c, tr->base + at, 2, X86_PRIV_IMPLICIT, &bits))
        return false;
    unsigned mask = ((1u << size) - 1) << (port & 7);
    return !(bits & mask);
}

bool x86_in(X86Cpu *c, uint16_t port, unsigned size, uint32_t *val)
{
    x86_recheck(c);          /* a device may raise or lower an interrupt (cpu.c) */
    if (!io_allowed(c, port, size)) {
        if (c->exc.vector < 0)
            x86_raise(c, X86_GP, true, 0);
        return false;
    }
    uint64_t v;
    if (!bus_read(&c->m->io, port, size, &v))
        v = ~0ull;            /* no device at the port: all ones */
    *val = size == 4 ? (uint32_t)v : (uint32_t)v & ((1u << (8 * size)) - 1);
    return true;
}

bool x86_out(X86Cpu *c, uint16_t port, unsigned size, uint32_t val)
{
    x86_recheck(c);          /* a device may raise or lower an interrupt (cpu.c) */
    if (!io_allowed(c, port, size)) {
        if (c->exc.vector < 0)
            x86_raise(c, X86_GP, true, 0);
        return false;
    }
    bus_write(&c->m->io, port, size, val);
    return true;
}

uint64_t x86_tsc(X86Cpu *c)
{
    Machine *m = c->m;
    uint64_t ps = m->timing.ps_per_cycle ? m->timing.ps_per_cycle : 1;
    uint64_t base = c->index < m->ncpus ? m->cpus[c->index].time / ps : m->now / ps;
    return base + x86_insns_now(c) + c->tsc_offset;
}
