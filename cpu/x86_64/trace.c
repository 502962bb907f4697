/* -d int, -d exec and -d mmu for x86 cores: subscribers of the event stream (EV_EXC_TAKEN,
 * EV_INSN, EV_WALK) that print one line per exception or interrupt taken, per instruction
 * executed and per page walk (the soft TLB's misses). */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdio.h>
#include "cpu/x86_64/sys_internal.h"
#include "cpu/x86_64/insn.h"

bool x86_peek_virt(void *cpu, uint64_t va, void *buf, uint64_t len);

static const char *const exc_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#MF(9)", "#TS", "#NP",
    "#SS", "#GP", "#PF", "(15)", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

/*   INT cpu0 #PF CPL3->CPL0 rip=... error=0x6 cr2=...
 *   INT cpu0 vector 0x40 (external) CPL0->CPL0 rip=... */
static bool trace_int(void *opaque, const EvInfo *e)
{
    Machine *m = opaque;
    const EvX86Exc *a = e->arch;
    if (!a || m->cpus[e->cpu].cls != &x86_cpu_class)
        return false;
    char what[48];
    if (a->external && a->vector == X86_NMI)
        snprintf(what, sizeof what, "NMI");
    else if (a->external)
        snprintf(what, sizeof what, "vector 0x%02x (external)", a->vector);
    else if (a->vector < 32 && exc_names[a->vector])
        snprintf(what, sizeof what, "%s", exc_names[a->vector]);
    else
        snprintf(what, sizeof what, "vector 0x%02x", a->vector);
    fprintf(m->trace, "INT cpu%d %s CPL%d->CPL%d rip=%016" PRIx64, e->cpu, what, e->el,
            e->u.exc.to_el, e->pc);
    if (a->has_error)
        fprintf(m->trace, " error=0x%x", a->error_code);
    if (a->vector == X86_PF_EXC && !a->external)
        fprintf(m->trace, " cr2=%016" PRIx64, a->cr2);
    fputc('\n', m->trace);
    return false;
}

/* One instruction of 16- or 32-bit code (x86_disas is the 64-bit mode's): as x86_disas. */
static unsigned disas_legacy(unsigned bits, uint64_t pc, const uint8_t *code, size_t len,
                             char *hex, size_t hexn, char *text, size_t textn)
{
    static csh handles[2];
    static int state[2];      /* 0 = not opened, 1 = open, -1 = failed */
    int k = bits == 16 ? 0 : 1;
    if (state[k] == 0)
        state[k] = cs_open(CS_ARCH_X86, bits == 16 ? CS_MODE_16 : CS_MODE_32,
                           &handles[k]) == CS_ERR_OK ? 1 : -1;
    hex[0] = 0;
    snprintf(text, textn, "(bad)");
    if (state[k] != 1 || !len)
        return 0;
    cs_insn *ci;
    if (cs_disasm(handles[k], code, len, pc, 1, &ci) != 1)
        return 0;
    size_t o = 0;
    for (unsigned i = 0; i < ci->size && o + 3 <= hexn; i++)
        o += (size_t)snprintf(hex + o, hexn - o, "%02x", ci->bytes[i]);
    snprintf(text, textn, ci->op_str[0] ? "%s %s" : "%s", ci->mnemonic, ci->op_str);
    unsigned size = ci->size;
    cs_free(ci, 1);
    return size;
}

/*   EXEC cpu0 CPL0 0000000000001000: 48 8b 04 25 00 00 40 00  mov rax, qword ptr [0x400000] */
static bool trace_exec(void *opaque, const EvInfo *e)
{
    Machine *m = opaque;
    if (m->cpus[e->cpu].cls != &x86_cpu_class)
        return false;
    X86Cpu *c = m->cpus[e->cpu].obj;
    uint64_t la = x86_mode64(c) ? e->pc : (uint32_t)(c->seg[X86_CS].base + e->pc);
    uint8_t code[X86_MAX_INSN_BYTES];
    size_t n = 0;
    while (n < sizeof code && x86_peek_virt(c, la + n, code + n, 1))
        n++;
    char hex[64], text[128];
    unsigned got = c->code_bits == 64
                 ? x86_disas(e->pc, code, n, hex, sizeof hex, text, sizeof text)
                 : disas_legacy(c->code_bits, e->pc, code, n, hex, sizeof hex, text, sizeof text);
    if (!got)
        snprintf(text, sizeof text, "(no instruction)");
    fprintf(m->trace, "EXEC cpu%d CPL%d %016" PRIx64 ": %-30s %s\n", e->cpu, e->el, e->pc, hex,
            text);
    return false;
}

/*   MMU cpu0 walk va=... -> pa=... read rw- 4-level paging
 *   MMU cpu0 fault va=... read level 1 not present error=0x4 */
static bool trace_walk(void *opaque, const EvInfo *e)
{
    Machine *m = opaque;
    if (m->cpus[e->cpu].cls != &x86_cpu_class)
        return false;
    static const char *const accs[] = { "read", "write", "fetch" };
    const char *acc = e->u.walk.access >= 0 && e->u.walk.access < 3 ? accs[e->u.walk.access] : "?";
    if (e->u.walk.fault) {
        fprintf(m->trace, "MMU cpu%d fault va=%016" PRIx64 " %s level %d %s error=0x%" PRIx64 "\n",
                e->cpu, e->u.walk.addr, acc, e->u.walk.fault_level, e->u.walk.fault_name,
                e->u.walk.ipa);
    } else {
        unsigned p = e->u.walk.perms;
        fprintf(m->trace, "MMU cpu%d walk va=%016" PRIx64 " -> pa=%" PRIx64 " %s %c%c%c %s\n",
                e->cpu, e->u.walk.addr, e->u.walk.pa, acc, (p & X86_PERM_R) ? 'r' : '-',
                (p & X86_PERM_W) ? 'w' : '-', (p & X86_PERM_X) ? 'x' : '-', e->u.walk.regime);
    }
    return false;
}

void x86_trace_set(Machine *m, uint32_t mask)
{
    ev_switch(&m->events, (mask & TRACE_MMU) != 0, EV_BIT(EV_WALK), EV_PRIO_TRACE,
              trace_walk, m);
    ev_switch(&m->events, (mask & TRACE_INT) != 0, EV_BIT(EV_EXC_TAKEN), EV_PRIO_TRACE,
              trace_int, m);
    ev_switch(&m->events, (mask & TRACE_EXEC) != 0, EV_BIT(EV_INSN), EV_PRIO_TRACE,
              trace_exec, m);
}
