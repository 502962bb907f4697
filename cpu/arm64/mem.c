/* Memory access slow paths, the exclusive monitor, and translation.
 *
 * The inline fast paths in cpu.h hit the soft TLB for aligned RAM accesses. Everything else
 * lands here: TLB refills, unaligned or page-crossing accesses, MMIO, stores to pages that
 * hold decoded code (self-modifying code), and stores to pages another core holds an
 * exclusive reservation on. */
#include <string.h>
#include "cpu/arm64/cpu.h"

/* Reservation granule: CTR_EL0.ERG = 4 -> 16 words (Arm ARM B2.9.3). */
#define A64_ERG_BYTES 64

bool a64_translate(Arm64Cpu *c, uint64_t va, bool write, uint64_t *pa)
{
    (void)write;
    /* Stage 1 disabled (SCTLR_EL1.M = 0): flat mapping. The MMU lands with the EL2 work. */
    (void)c;
    *pa = va;
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

bool a64_load_slow(Arm64Cpu *c, const A64Insn *d, uint64_t va, unsigned size, uint64_t *val)
{
    if (((va & (A64_PAGE_SIZE - 1)) + size) > A64_PAGE_SIZE) {
        /* crosses a page boundary: assemble from bytes (little-endian) */
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
    if (!a64_translate(c, va, false, &pa))
        return false;
    Machine *m = c->m;
    uint8_t *host = bus_ram_ptr(&m->bus, pa, size);
    if (host) {
        uint64_t v = 0;
        memcpy(&v, host, size);
        *val = v;
        uint8_t *hpage = bus_ram_ptr(&m->bus, pa & ~(uint64_t)(A64_PAGE_SIZE - 1), A64_PAGE_SIZE);
        if (hpage)
            softtlb_fill(&c->tlb.r[(va >> A64_PAGE_BITS) & (SOFTTLB_SIZE - 1)],
                         va & ~(uint64_t)(A64_PAGE_SIZE - 1), hpage);
        return true;
    }
    if (!bus_read(&m->bus, pa, size, val)) {
        stop_at(c, d, EXIT_GUEST_CRASH, "load from unmapped physical address (external abort)", va, pa);
        return false;
    }
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
    a64_monitor_store_notify(c, pa, size);
}

bool a64_store_slow(Arm64Cpu *c, const A64Insn *d, uint64_t va, unsigned size, uint64_t val)
{
    if (((va & (A64_PAGE_SIZE - 1)) + size) > A64_PAGE_SIZE) {
        for (unsigned i = 0; i < size; i++)
            if (!a64_store_slow(c, d, va + i, 1, (val >> (8 * i)) & 0xff))
                return false;
        return true;
    }
    uint64_t pa;
    if (!a64_translate(c, va, true, &pa))
        return false;
    Machine *m = c->m;
    const BusRegion *r = bus_find(&m->bus, pa);
    if (r && r->host && size <= r->size - (pa - r->base)) {
        if (r->readonly)
            return true;      /* ROM: writes ignored */
        before_ram_store(c, pa, size);
        memcpy(r->host + (pa - r->base), &val, size);
        uint64_t pa_page = pa & ~(uint64_t)(A64_PAGE_SIZE - 1);
        uint8_t *hpage = bus_ram_ptr(&m->bus, pa_page, A64_PAGE_SIZE);
        if (hpage && pa_page - m->ram_base < m->ram_size &&
            !m->ram_code[(pa_page - m->ram_base) >> A64_PAGE_BITS] &&
            !other_core_reserved(c, pa_page))
            softtlb_fill(&c->tlb.w[(va >> A64_PAGE_BITS) & (SOFTTLB_SIZE - 1)],
                         va & ~(uint64_t)(A64_PAGE_SIZE - 1), hpage);
        return true;
    }
    if (size < 8)
        val &= (1ULL << (size * 8)) - 1;   /* devices see exactly the bytes stored */
    if (!bus_write(&m->bus, pa, size, val)) {
        stop_at(c, d, EXIT_GUEST_CRASH, "store to unmapped physical address (external abort)", va, pa);
        return false;
    }
    if (m->stop)
        c->exit_request = 1;
    return true;
}

uint8_t *a64_host_ptr(Arm64Cpu *c, const A64Insn *d, uint64_t va, unsigned size, bool write)
{
    if (va & (size - 1)) {
        /* Arm ARM B2.5.2: exclusives and atomics must be naturally aligned */
        stop_at(c, d, EXIT_UNIMPLEMENTED, "alignment fault (exception model not implemented yet)", va, va);
        return NULL;
    }
    uint64_t pa;
    if (!a64_translate(c, va, write, &pa))
        return NULL;
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
            softtlb_flush_write_host(&o->tlb, hpage);
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
        if (pa < gend && g < pa + size)
            o->mon.valid = 0;
    }
}
