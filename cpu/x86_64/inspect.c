/* What the debugger and plugins see of an x86 core (CpuClass.peek_reg, peek_virt,
 * debug_translate, tlb_dump, explain_translation): no side effects (no A/D updates, no
 * exception raised), nothing the guest could see. */
#include <inttypes.h>
#include <string.h>
#include <strings.h>
#include "cpu/x86_64/sys_internal.h"

/* A walk with no write-back: the debugger's. */
static bool peek_pte(void *opaque, uint64_t pa, unsigned size, int level, uint64_t *v)
{
    X86Cpu *c = opaque;
    (void)level;
    uint8_t *p = bus_ram_ptr(&c->m->bus, pa, size);
    if (!p)
        return false;
    *v = 0;
    memcpy(v, p, size);
    return true;
}

static bool walk_quiet(X86Cpu *c, uint64_t va, X86WalkResult *res, X86WalkFault *f)
{
    X86WalkRegime r;
    x86_walk_regime(c, &r);
    if (r.mode >= X86_PAGING_4LEVEL && !x86_canonical(va, r.mode == X86_PAGING_5LEVEL)) {
        *res = (X86WalkResult){ 0 };
        *f = (X86WalkFault){ .error_code = 0, .level = 0 };
        return false;
    }
    /* a supervisor read: what the kernel would see at this address */
    return x86_translate(&r, va, X86_ACC_READ, X86_PRIV_SUPER, peek_pte, NULL, c, res, f);
}

bool x86_debug_translate(void *cpu, uint64_t va, uint64_t *pa)
{
    X86WalkResult res;
    X86WalkFault f;
    if (!walk_quiet(cpu, va, &res, &f))
        return false;
    *pa = res.pa;
    return true;
}

bool x86_debug_translate_ipa(void *cpu, uint64_t ipa, uint64_t *pa)
{
    (void)cpu;
    *pa = ipa;                /* no second stage (EPT comes with VMX) */
    return true;
}

bool x86_peek_virt(void *cpu, uint64_t va, void *buf, uint64_t len)
{
    X86Cpu *c = cpu;
    uint8_t *out = buf;
    while (len) {
        uint64_t pa, chunk = 4096 - (va & 4095);
        if (chunk > len)
            chunk = len;
        if (!x86_debug_translate(c, va, &pa))
            return false;
        const uint8_t *p = bus_ram_ptr(&c->m->bus, pa, chunk);
        if (!p)
            return false;
        memcpy(out, p, chunk);
        out += chunk;
        va += chunk;
        len -= chunk;
    }
    return true;
}

static const char *const gpr_names[X86_NGPR] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};
static const char *const seg_names[X86_NSEG] = { "es", "cs", "ss", "ds", "fs", "gs" };

bool x86_peek_reg(void *cpu, const char *name, uint64_t *v)
{
    const X86Cpu *c = cpu;
    for (int i = 0; i < X86_NGPR; i++)
        if (!strcasecmp(name, gpr_names[i])) {
            *v = c->gpr[i];
            return true;
        }
    for (int i = 0; i < X86_NSEG; i++) {
        char base[16];
        snprintf(base, sizeof base, "%s_base", seg_names[i]);
        if (!strcasecmp(name, seg_names[i])) {
            *v = c->seg[i].sel;
            return true;
        }
        if (!strcasecmp(name, base)) {
            *v = c->seg[i].base;
            return true;
        }
    }
    static const struct { const char *name; size_t off; } regs[] = {
        { "rip", offsetof(X86Cpu, rip) },       { "pc", offsetof(X86Cpu, rip) },
        { "rflags", offsetof(X86Cpu, rflags) }, { "eflags", offsetof(X86Cpu, rflags) },
        { "cr0", offsetof(X86Cpu, cr0) },       { "cr2", offsetof(X86Cpu, cr2) },
        { "cr3", offsetof(X86Cpu, cr3) },       { "cr4", offsetof(X86Cpu, cr4) },
        { "cr8", offsetof(X86Cpu, cr8) },       { "xcr0", offsetof(X86Cpu, xcr0) },
        { "efer", offsetof(X86Cpu, efer) },     { "star", offsetof(X86Cpu, star) },
        { "lstar", offsetof(X86Cpu, lstar) },   { "cstar", offsetof(X86Cpu, cstar) },
        { "fmask", offsetof(X86Cpu, fmask) },
        { "kernel_gs_base", offsetof(X86Cpu, kernel_gs_base) },
        { "pat", offsetof(X86Cpu, pat) },       { "apic_base", offsetof(X86Cpu, apic_base) },
        { "tsc_aux", offsetof(X86Cpu, tsc_aux) },
        { "gdtr_base", offsetof(X86Cpu, gdtr.base) },
        { "idtr_base", offsetof(X86Cpu, idtr.base) },
        { "tr_base", offsetof(X86Cpu, tr.base) },
    };
    for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++)
        if (!strcasecmp(name, regs[i].name)) {
            memcpy(v, (const uint8_t *)c + regs[i].off, 8);
            return true;
        }
    if (!strcasecmp(name, "cpl")) {
        *v = c->cpl;
        return true;
    }
    if (!strcasecmp(name, "mxcsr")) {
        *v = c->mxcsr;
        return true;
    }
    if (!strcasecmp(name, "tsc")) {
        *v = x86_tsc((X86Cpu *)cpu);
        return true;
    }
    if (!strncasecmp(name, "dr", 2) && name[2] >= '0' && name[2] <= '7' && !name[3]) {
        *v = c->dr[name[2] - '0'];
        return true;
    }
    return false;
}

/* `info tlb`: the soft TLB (mem.c): linear pages of successful walks, per access kind and
 * privilege class, emptied on every control-register, EFER, INVLPG and INVPCID change. */
typedef struct TlbDump {
    GString *out;
    void (*sym)(void *ctx, uint64_t va, GString *out);
    void *ctx;
    unsigned n;
} TlbDump;

static void dump_entry(void *opaque, uint64_t la, uint64_t pa, unsigned acc, unsigned priv)
{
    static const char *const accs[] = { "r", "w", "x" };
    static const char *const privs[] = { "supervisor", "user", "implicit" };
    TlbDump *t = opaque;
    g_string_append_printf(t->out, "  VA 0x%016" PRIx64 " -> PA 0x%010" PRIx64 "  %s %s", la, pa,
                           accs[acc], privs[priv < 3 ? priv : 0]);
    if (t->sym)
        t->sym(t->ctx, la, t->out);
    g_string_append_c(t->out, '\n');
    t->n++;
}

void x86_tlb_dump(void *cpu, GString *out, void (*sym)(void *ctx, uint64_t va, GString *out),
                  void *ctx)
{
    X86Cpu *c = cpu;
    g_string_append_printf(out, "soft TLB of cpu%d at CPL %u (CR3 0x%" PRIx64 "): cached "
                                "translations; flushed on CR0/CR3/CR4/EFER writes, INVLPG and "
                                "INVPCID\n", c->index, c->cpl, c->cr3);
    TlbDump t = { out, sym, ctx, 0 };
    x86_tlb_foreach(c, dump_entry, &t);
    g_string_append_printf(out, "%u entries\n", t.n);
}

static const char *mode_name(X86PagingMode m)
{
    static const char *const names[] = { "off", "32-bit", "PAE", "4-level", "5-level" };
    return names[m];
}

/* `translate VA`: the walk the core would do now for a supervisor read, entry by entry. */
void x86_explain_translation(void *cpu, uint64_t va, GString *out)
{
    X86Cpu *c = cpu;
    X86WalkRegime r;
    x86_walk_regime(c, &r);
    g_string_append_printf(out, "VA 0x%016" PRIx64 " on cpu%d (paging %s, CR3 0x%" PRIx64 "):\n",
                           va, c->index, mode_name(r.mode), c->cr3);
    if (r.mode == X86_PAGING_OFF) {
        g_string_append_printf(out, "  paging off: PA 0x%" PRIx64 "\n", (uint64_t)(uint32_t)va);
        return;
    }
    X86WalkResult res;
    X86WalkFault f;
    bool ok = walk_quiet(c, va, &res, &f);
    static const char *const level_names[] = { "?", "PTE", "PDE", "PDPTE", "PML4E", "PML5E" };
    int top = r.mode == X86_PAGING_32 ? 2 : r.mode == X86_PAGING_PAE ? 3
            : r.mode == X86_PAGING_4LEVEL ? 4 : 5;
    for (unsigned i = 0; i < res.nread; i++) {
        int level = top - (int)i;
        uint64_t e = res.entry[i];
        g_string_append_printf(out,
                               "  %-5s at PA 0x%010" PRIx64 ": 0x%016" PRIx64 " %s%s%s%s%s%s%s\n",
                               level_names[level], res.entry_pa[i], e, e & 1 ? "P" : "-",
                               e & 2 ? " RW" : " RO", e & 4 ? " US" : " S", e & 0x20 ? " A" : "",
                               e & 0x40 ? " D" : "", level > 1 && (e & 0x80) ? " PS" : "",
                               (e >> 63) && r.nxe ? " XD" : "");
    }
    if (ok) {
        g_string_append_printf(out, "  -> PA 0x%" PRIx64 " (page size 0x%" PRIx64
                                    ", %s, perms %s%s%s%s)\n",
                               res.pa, res.page_mask + 1, res.user ? "user" : "supervisor",
                               res.perms & X86_PERM_R ? "r" : "-",
                               res.perms & X86_PERM_W ? "w" : "-",
                               res.perms & X86_PERM_X ? "x" : "-", res.global ? ", global" : "");
        return;
    }
    if (!res.nread && r.mode >= X86_PAGING_4LEVEL) {
        g_string_append(out, "  non-canonical: #GP (no walk)\n");
        return;
    }
    g_string_append_printf(out, "  fault: #PF error code 0x%x (%s%s) at level %d\n", f.error_code,
                           f.error_code & X86_PFEC_P ? "protection" : "not present",
                           f.rsvd ? ", reserved bit" : "", f.level);
}
