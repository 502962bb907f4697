/* What the debugger shows of a core's translation and code (CpuClass.debug_translate,
 * debug_translate_ipa, disas, tlb_dump, explain_translation): no side effects, no
 * exception, nothing the guest could see. */
#include <inttypes.h>
#include "cpu/arm64/cpu.h"
#include "cpu/timing/model.h"

bool a64_inspect_translate(void *cpu, uint64_t va, uint64_t *pa)
{
    return a64_debug_translate(cpu, va, pa);
}

bool a64_inspect_translate_ipa(void *cpu, uint64_t ipa, uint64_t *pa)
{
    return a64_debug_translate_ipa(cpu, ipa, pa);
}

/* One A64 instruction (4 bytes, little-endian); with fewer bytes, the encoding as zeros and
 * "?" as its text. */
unsigned a64_disas_bytes(uint64_t pc, const uint8_t *code, size_t len, char *hex, size_t hexn,
                         char *text, size_t textn)
{
    uint32_t insn = 0;
    if (len < 4) {
        snprintf(hex, hexn, "%08x", 0u);
        snprintf(text, textn, "?");
        return 0;
    }
    memcpy(&insn, code, 4);
    snprintf(hex, hexn, "%08x", insn);
    a64_disas(insn, pc, text, textn);
    return 4;
}

/* `info tlb`: the soft TLB of a core (mmu/softtlb.h): the current regime's translations for
 * the fast path, emptied whenever an architectural TLB could have changed (TLBI, EL change,
 * translation-control writes), so a subset of what an architectural TLB would hold. r/w
 * entries map a virtual page to host memory (RAM or another memory-backed region), x entries
 * to a physical address. Under the cycle model, its architectural TLBs follow. */
typedef struct TlbLine {
    uint64_t va, pa;
    unsigned kinds;           /* 1 r, 2 w, 4 x */
} TlbLine;

static gint tlb_line_cmp(gconstpointer a, gconstpointer b)
{
    const TlbLine *x = a, *y = b;
    return x->va != y->va ? (x->va < y->va ? -1 : 1) : x->pa < y->pa ? -1 : x->pa > y->pa;
}

static void tlb_add(GArray *lines, uint64_t va, uint64_t pa, unsigned kind)
{
    for (guint i = 0; i < lines->len; i++) {
        TlbLine *l = &g_array_index(lines, TlbLine, i);
        if (l->va == va && l->pa == pa) {
            l->kinds |= kind;
            return;
        }
    }
    g_array_append_val(lines, ((TlbLine){ va, pa, kind }));
}

/* The architectural TLBs of the cycle model (--timing inorder): what the modelled hardware
 * holds, tagged as it tags them; separate from the soft TLB above. */
static void info_tlb_model(const Arm64Cpu *c, int cpu, GString *out)
{
    static const char *const regimes[] = { "EL1&0", "EL2", "EL2&0", "?" };
    const struct { const char *name; const Tlbm *t; } tlbs[] = {
        { "L1I", &c->tm->itlb }, { "L1D", &c->tm->dtlb }, { "L2", &c->tm->l2tlb } };
    g_string_append_printf(out, "architectural TLBs of cpu%d (the inorder timing model):\n", cpu);
    for (size_t k = 0; k < G_N_ELEMENTS(tlbs); k++) {
        const Tlbm *t = tlbs[k].t;
        unsigned valid = 0;
        for (uint32_t i = 0; i < t->sets * t->ways; i++) {
            const TlbmEntry *e = &t->e[i];
            if (!e->valid)
                continue;
            valid++;
            unsigned regime = (unsigned)(e->ctx >> TLBM_REGIME_SHIFT) & 3;
            g_string_append_printf(out, "  %-3s VA 0x%016" PRIx64 " -> IPA 0x%010" PRIx64 " %4llu%c %s",
                                   tlbs[k].name, e->va, e->ipa,
                                   (unsigned long long)(e->shift >= 30 ? 1ULL << (e->shift - 30)
                                                        : e->shift >= 20 ? 1ULL << (e->shift - 20)
                                                                         : 1ULL << (e->shift - 10)),
                                   e->shift >= 30 ? 'G' : e->shift >= 20 ? 'M' : 'K', regimes[regime]);
            if (regime == 0)
                g_string_append_printf(out, " VMID %u", (unsigned)(e->ctx >> TLBM_VMID_SHIFT) & 0xffff);
            if (e->global)
                g_string_append(out, " global\n");
            else
                g_string_append_printf(out, " ASID %u\n", (unsigned)(e->ctx & TLBM_ASID_MASK));
        }
        g_string_append_printf(out, "  %s: %u of %u entries valid (%u-way)\n", tlbs[k].name, valid,
                               t->sets * t->ways, t->ways);
    }
}

void a64_tlb_dump(void *obj, GString *out, CpuSymFn sym, void *ctx)
{
    Arm64Cpu *c = obj;
    Machine *m = c->m;
    int cpu = c->index;
    const SoftTlbEntry *tabs[3] = { a64_tlb(c)->r, a64_tlb(c)->w, a64_tlb(c)->x };
    unsigned counts[3] = { 0, 0, 0 };
    GArray *lines = g_array_new(FALSE, FALSE, sizeof(TlbLine));
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < SOFTTLB_SIZE; i++) {
            const SoftTlbEntry *e = &tabs[k][i];
            if (e->tag == SOFTTLB_INVALID)
                continue;
            uint64_t pa = (uint64_t)(e->addend + (uintptr_t)e->tag);
            if (k < 2)        /* a host pointer: back to the PA of the region holding it */
                pa = bus_host_to_pa(&m->bus, (const uint8_t *)(uintptr_t)pa);
            counts[k]++;
            tlb_add(lines, e->tag, pa, 1u << k);
        }
    g_array_sort(lines, tlb_line_cmp);
    int vmid = a64_current_vmid(c);
    g_string_append_printf(out, "soft TLB of cpu%d at EL%d", cpu, c->el);
    if (vmid >= 0)
        g_string_append_printf(out, ", VMID %d", vmid);
    g_string_append(out, ": cached translations of the current regime; flushed on TLBI, EL change and "
                         "translation-control writes\n");
    for (guint i = 0; i < lines->len; i++) {
        const TlbLine *l = &g_array_index(lines, TlbLine, i);
        g_string_append_printf(out, "  VA 0x%016" PRIx64 " -> PA 0x%010" PRIx64 "  %c%c%c", l->va, l->pa,
                               l->kinds & 1 ? 'r' : '-', l->kinds & 2 ? 'w' : '-', l->kinds & 4 ? 'x' : '-');
        sym(ctx, l->va, out);
        g_string_append_c(out, '\n');
    }
    g_string_append_printf(out, "%u pages cached (entries: %u r, %u w, %u x of %d each)\n", lines->len,
                           counts[0], counts[1], counts[2], SOFTTLB_SIZE);
    g_array_free(lines, TRUE);
    if (c->tm)
        info_tlb_model(c, cpu, out);
}

static void log_desc(void *ctx, uint64_t pa, uint64_t desc, bool ok)
{
    GString *out = ctx;
    if (ok)
        g_string_append_printf(out, "  read descriptor at PA 0x%010" PRIx64 ": 0x%016" PRIx64 "\n", pa, desc);
    else
        g_string_append_printf(out, "  read descriptor at PA 0x%010" PRIx64 ": external abort\n", pa);
}

/* `translate VA`: the walk as the core would do it now, descriptor by descriptor, and its
 * result or fault. */
void a64_explain_translation(void *obj, uint64_t va, GString *out)
{
    Arm64Cpu *c = obj;
    MmuResult r;
    MmuFault f;
    bool on;
    g_string_append_printf(out, "VA 0x%016" PRIx64 " at EL%d (cpu%d):\n", va, c->el, c->index);
    if (a64_debug_walk(c, va, log_desc, out, &r, &f, &on)) {
        if (!on)
            g_string_append_printf(out, "  MMU off: PA 0x%" PRIx64 "\n", r.pa);
        else
            g_string_append_printf(out, "  -> IPA 0x%" PRIx64 " -> PA 0x%" PRIx64 " (attr 0x%02x, perms %s%s%s, "
                                   "block size 0x%" PRIx64 ")\n", r.ipa, r.pa, r.attr,
                                   r.perms & MMU_PERM_R ? "r" : "-", r.perms & MMU_PERM_W ? "w" : "-",
                                   r.perms & MMU_PERM_X ? "x" : "-", r.page_mask + 1);
        return;
    }
    static const char *const types[] = { "none", "address size", "translation", "access flag",
                                         "permission", "external abort" };
    g_string_append_printf(out, "  fault: stage %d %s fault at level %d%s (FSC 0x%02x)", f.stage,
                           types[f.type], f.level, f.s1ptw ? " on the stage-1 walk" : "",
                           mmu_fault_status_code(&f));
    if (f.stage == 2)
        g_string_append_printf(out, ", IPA 0x%" PRIx64, f.ipa);
    g_string_append_c(out, '\n');
}

