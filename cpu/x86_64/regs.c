/* x86-64 registers as debuggers see them: GDB's amd64 register set (target description), the
 * debugger's register access by number, and the `info registers|vregs|sysregs` topics. Reads
 * have no side effects; writes are the debugger's user writes: general registers, RIP, the
 * flags a program may change, XMM registers, MXCSR and the FS/GS bases. Selectors, x87 state
 * and control registers are read-only here (changing them means loading descriptors or
 * switching modes: the guest's business). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/x86_64/cpu.h"
#include "cpu/x86_64/regs.h"

/* ---- the register set ---- */

#define R(name, n) { name, 64, "int64", NULL, n, 0 }
static const CpuReg x86_core_regs[] = {
    R("rax", 0), R("rbx", 1), R("rcx", 2), R("rdx", 3), R("rsi", 4), R("rdi", 5),
    { "rbp", 64, "data_ptr", NULL, 6, 0 }, { "rsp", 64, "data_ptr", NULL, 7, 0 },
    R("r8", 8), R("r9", 9), R("r10", 10), R("r11", 11), R("r12", 12), R("r13", 13),
    R("r14", 14), R("r15", 15),
    { "rip", 64, "code_ptr", NULL, X86_GDB_REG_RIP, 0 },
    { "eflags", 32, "i386_eflags", NULL, X86_GDB_REG_EFLAGS, 0 },
    { "cs", 32, "int32", NULL, 18, 0 }, { "ss", 32, "int32", NULL, 19, 0 },
    { "ds", 32, "int32", NULL, 20, 0 }, { "es", 32, "int32", NULL, 21, 0 },
    { "fs", 32, "int32", NULL, 22, 0 }, { "gs", 32, "int32", NULL, 23, 0 },
#define ST(i) { "st" #i, 80, "i387_ext", NULL, X86_GDB_REG_ST0 + (i), 0 }
    ST(0), ST(1), ST(2), ST(3), ST(4), ST(5), ST(6), ST(7),
#undef ST
    { "fctrl", 32, "int", "float", 32, 0 }, { "fstat", 32, "int", "float", 33, 0 },
    { "ftag", 32, "int", "float", 34, 0 }, { "fiseg", 32, "int", "float", 35, 0 },
    { "fioff", 32, "int", "float", 36, 0 }, { "foseg", 32, "int", "float", 37, 0 },
    { "fooff", 32, "int", "float", 38, 0 }, { "fop", 32, "int", "float", 39, 0 },
};
#undef R

/* RFLAGS' low half as GDB shows it (SDM vol. 1, 3.4.3). */
static const char x86_core_types[] =
    "  <flags id=\"i386_eflags\" size=\"4\">\n"
    "    <field name=\"CF\" start=\"0\" end=\"0\"/>\n"
    "    <field name=\"\" start=\"1\" end=\"1\"/>\n"
    "    <field name=\"PF\" start=\"2\" end=\"2\"/>\n"
    "    <field name=\"AF\" start=\"4\" end=\"4\"/>\n"
    "    <field name=\"ZF\" start=\"6\" end=\"6\"/>\n"
    "    <field name=\"SF\" start=\"7\" end=\"7\"/>\n"
    "    <field name=\"TF\" start=\"8\" end=\"8\"/>\n"
    "    <field name=\"IF\" start=\"9\" end=\"9\"/>\n"
    "    <field name=\"DF\" start=\"10\" end=\"10\"/>\n"
    "    <field name=\"OF\" start=\"11\" end=\"11\"/>\n"
    "    <field name=\"NT\" start=\"14\" end=\"14\"/>\n"
    "    <field name=\"RF\" start=\"16\" end=\"16\"/>\n"
    "    <field name=\"VM\" start=\"17\" end=\"17\"/>\n"
    "    <field name=\"AC\" start=\"18\" end=\"18\"/>\n"
    "    <field name=\"VIF\" start=\"19\" end=\"19\"/>\n"
    "    <field name=\"VIP\" start=\"20\" end=\"20\"/>\n"
    "    <field name=\"ID\" start=\"21\" end=\"21\"/>\n"
    "  </flags>\n";

#define XMM(i) { "xmm" #i, 128, "vec128", "vector", X86_GDB_REG_XMM0 + (i), 0 }
static const CpuReg x86_sse_regs[] = {
    XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7), XMM(8), XMM(9),
    XMM(10), XMM(11), XMM(12), XMM(13), XMM(14), XMM(15),
    { "mxcsr", 32, "i386_mxcsr", "vector", X86_GDB_REG_MXCSR, 0 },
};
#undef XMM

/* An XMM register as the vector views GDB offers (p $xmm0.v4_float), and MXCSR's fields. */
static const char x86_sse_types[] =
    "  <vector id=\"v8bf16\" type=\"bfloat16\" count=\"8\"/>\n"
    "  <vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
    "  <vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
    "  <vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
    "  <vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
    "  <vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
    "  <vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
    "  <union id=\"vec128\">\n"
    "    <field name=\"v8_bfloat16\" type=\"v8bf16\"/>\n"
    "    <field name=\"v4_float\" type=\"v4f\"/>\n"
    "    <field name=\"v2_double\" type=\"v2d\"/>\n"
    "    <field name=\"v16_int8\" type=\"v16i8\"/>\n"
    "    <field name=\"v8_int16\" type=\"v8i16\"/>\n"
    "    <field name=\"v4_int32\" type=\"v4i32\"/>\n"
    "    <field name=\"v2_int64\" type=\"v2i64\"/>\n"
    "    <field name=\"uint128\" type=\"uint128\"/>\n"
    "  </union>\n"
    "  <flags id=\"i386_mxcsr\" size=\"4\">\n"
    "    <field name=\"IE\" start=\"0\" end=\"0\"/>\n"
    "    <field name=\"DE\" start=\"1\" end=\"1\"/>\n"
    "    <field name=\"ZE\" start=\"2\" end=\"2\"/>\n"
    "    <field name=\"OE\" start=\"3\" end=\"3\"/>\n"
    "    <field name=\"UE\" start=\"4\" end=\"4\"/>\n"
    "    <field name=\"PE\" start=\"5\" end=\"5\"/>\n"
    "    <field name=\"DAZ\" start=\"6\" end=\"6\"/>\n"
    "    <field name=\"IM\" start=\"7\" end=\"7\"/>\n"
    "    <field name=\"DM\" start=\"8\" end=\"8\"/>\n"
    "    <field name=\"ZM\" start=\"9\" end=\"9\"/>\n"
    "    <field name=\"OM\" start=\"10\" end=\"10\"/>\n"
    "    <field name=\"UM\" start=\"11\" end=\"11\"/>\n"
    "    <field name=\"PM\" start=\"12\" end=\"12\"/>\n"
    "    <field name=\"FZ\" start=\"15\" end=\"15\"/>\n"
    "  </flags>\n";

static const CpuReg x86_seg_regs[] = {
    { "fs_base", 64, "int", NULL, X86_GDB_REG_FS_BASE, 0 },
    { "gs_base", 64, "int", NULL, X86_GDB_REG_GS_BASE, 0 },
};

/* The system registers that matter when debugging a kernel or a hypervisor (read-only). */
enum { SYS_KGS, SYS_CR0, SYS_CR2, SYS_CR3, SYS_CR4, SYS_CR8, SYS_EFER, SYS_N };
#define S(name, n) { name, 64, "uint64", "system", X86_GDB_REG_SYS0 + (n), 0 }
static const CpuReg x86_sys_regs[] = {
    S("k_gs_base", SYS_KGS), S("cr0", SYS_CR0), S("cr2", SYS_CR2), S("cr3", SYS_CR3),
    S("cr4", SYS_CR4), S("cr8", SYS_CR8), S("efer", SYS_EFER),
};
#undef S

static const CpuRegFeature x86_features[] = {
    { "org.gnu.gdb.i386.core", "64bit-core.xml", x86_core_types, x86_core_regs,
      G_N_ELEMENTS(x86_core_regs), true },
    { "org.gnu.gdb.i386.sse", "64bit-sse.xml", x86_sse_types, x86_sse_regs,
      G_N_ELEMENTS(x86_sse_regs), true },
    { "org.gnu.gdb.i386.segments", "64bit-segments.xml", NULL, x86_seg_regs,
      G_N_ELEMENTS(x86_seg_regs), false },
    { "org.hvsim.x86.sys", "hvsim-x86-sys.xml", NULL, x86_sys_regs, G_N_ELEMENTS(x86_sys_regs),
      false },
};

const CpuRegSet x86_regset = { "i386:x86-64", x86_features, G_N_ELEMENTS(x86_features) };

/* ---- access by number ---- */

/* GDB's order of the general registers (rax rbx rcx rdx rsi rdi rbp rsp r8..) in the
 * encoding order of X86Cpu.gpr. */
static const uint8_t gdb_gpr[16] = { X86_RAX, X86_RBX, X86_RCX, X86_RDX, X86_RSI, X86_RDI,
                                     X86_RBP, X86_RSP, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t gdb_seg[6] = { X86_CS, X86_SS, X86_DS, X86_ES, X86_FS, X86_GS };

/* The flags a debugger may change: the status flags, TF, IF, DF, IOPL, NT, RF, AC and ID
 * (VM, VIF and VIP change the mode: not the debugger's). */
#define X86_DBG_FLAGS_RW (X86_FLAGS_ARITH | X86_TF | X86_IF | X86_DF | X86_IOPL | X86_NT | \
                          X86_RF | X86_AC | X86_ID)

/* ST(i) is physical register (TOP + i) mod 8. */
static const uint8_t *st_bytes(const X86Cpu *c, unsigned i)
{
    unsigned top = (c->fsw >> 11) & 7;
    return c->st[(top + i) & 7];
}

/* The full 16-bit tag word from FXSAVE's abridged one: empty (11) or valid (00); the zero
 * and special kinds are not told apart here. */
static uint32_t full_ftag(const X86Cpu *c)
{
    if (c->ftw > 0xff)
        return c->ftw;        /* already the full form */
    uint32_t t = 0;
    for (unsigned i = 0; i < 8; i++)
        if (!((c->ftw >> i) & 1))
            t |= 3u << (2 * i);
    return t;
}

bool x86_reg_get(void *cpu, unsigned num, uint64_t *v)
{
    const X86Cpu *c = cpu;
    if (num < 16) {
        *v = c->gpr[gdb_gpr[num]];
    } else if (num == X86_GDB_REG_RIP) {
        *v = c->rip;
    } else if (num == X86_GDB_REG_EFLAGS) {
        *v = (uint32_t)c->rflags;
    } else if (num >= X86_GDB_REG_CS && num < X86_GDB_REG_CS + 6) {
        *v = c->seg[gdb_seg[num - X86_GDB_REG_CS]].sel;
    } else if (num >= X86_GDB_REG_FCTRL && num < X86_GDB_REG_FCTRL + 8) {
        const uint64_t vals[8] = { c->fcw, c->fsw, full_ftag(c), 0, (uint32_t)c->fip, 0,
                                   (uint32_t)c->fdp, c->fop };
        *v = vals[num - X86_GDB_REG_FCTRL];
    } else if (num == X86_GDB_REG_MXCSR) {
        *v = c->mxcsr;
    } else if (num == X86_GDB_REG_FS_BASE) {
        *v = c->seg[X86_FS].base;
    } else if (num == X86_GDB_REG_GS_BASE) {
        *v = c->seg[X86_GS].base;
    } else if (num >= X86_GDB_REG_SYS0 && num < X86_GDB_REG_SYS0 + SYS_N) {
        const uint64_t vals[SYS_N] = { c->kernel_gs_base, c->cr0, c->cr2, c->cr3, c->cr4,
                                       c->cr8, c->efer };
        *v = vals[num - X86_GDB_REG_SYS0];
    } else if (num >= X86_DBG_REG_ST(0, 0) && num <= X86_DBG_REG_ST(7, 1)) {
        const uint8_t *b = st_bytes(c, (num - X86_DBG_REG_ST(0, 0)) / 2);
        *v = 0;
        if (num & 1)
            memcpy(v, b + 8, 2);   /* sign and exponent */
        else
            memcpy(v, b, 8);       /* significand */
    } else if (num >= X86_DBG_REG_XMM(0, 0) && num <= X86_DBG_REG_XMM(15, 1)) {
        *v = c->xmm[(num - X86_DBG_REG_XMM(0, 0)) / 2][num & 1];
    } else {
        return false;         /* unknown, or a wide register (read by its parts) */
    }
    return true;
}

bool x86_reg_put(void *cpu, unsigned num, uint64_t v)
{
    X86Cpu *c = cpu;
    if (num < 16)
        c->gpr[gdb_gpr[num]] = v;
    else if (num == X86_GDB_REG_RIP)
        c->rip = v;
    else if (num == X86_GDB_REG_EFLAGS)
        c->rflags = (c->rflags & ~(uint64_t)X86_DBG_FLAGS_RW) | (v & X86_DBG_FLAGS_RW) | 2;
    else if (num == X86_GDB_REG_MXCSR)
        c->mxcsr = (uint32_t)v & 0xffff;
    else if (num == X86_GDB_REG_FS_BASE)
        c->seg[X86_FS].base = v;
    else if (num == X86_GDB_REG_GS_BASE)
        c->seg[X86_GS].base = v;
    else if (num >= X86_DBG_REG_XMM(0, 0) && num <= X86_DBG_REG_XMM(15, 1))
        c->xmm[(num - X86_DBG_REG_XMM(0, 0)) / 2][num & 1] = v;
    else
        return false;
    return true;
}

unsigned x86_reg_part(unsigned regnum, unsigned k)
{
    if (regnum >= X86_GDB_REG_ST0 && regnum < X86_GDB_REG_ST0 + 8)
        return X86_DBG_REG_ST(regnum - X86_GDB_REG_ST0, k);
    if (regnum >= X86_GDB_REG_XMM0 && regnum < X86_GDB_REG_XMM0 + 16)
        return X86_DBG_REG_XMM(regnum - X86_GDB_REG_XMM0, k);
    return regnum;
}

/* The console's names for what GDB calls otherwise. */
const char *const x86_reg_aliases[] = { "rflags", "eflags", "pc", "rip", "sp", "rsp", NULL };

/* ---- info topics ---- */

static const char *const gpr_names[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                           "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *const seg_names[X86_NSEG] = { "es", "cs", "ss", "ds", "fs", "gs" };

/* The mode in words, from the architectural state alone. */
static const char *mode_name(const X86Cpu *c)
{
    if (!(c->cr0 & X86_CR0_PE))
        return "real";
    if (c->rflags & X86_VM)
        return "virtual-8086";
    if (c->efer & X86_EFER_LMA)
        return c->seg[X86_CS].attr & X86_SEG_ATTR_L ? "64-bit" : "compatibility";
    return c->seg[X86_CS].attr & X86_SEG_ATTR_DB ? "protected 32-bit" : "protected 16-bit";
}

static void flags_words(uint64_t f, GString *out)
{
    static const struct { uint32_t bit; const char *name; } fl[] = {
        { X86_CF, "CF" }, { X86_PF, "PF" }, { X86_AF, "AF" }, { X86_ZF, "ZF" }, { X86_SF, "SF" },
        { X86_TF, "TF" }, { X86_IF, "IF" }, { X86_DF, "DF" }, { X86_OF, "OF" }, { X86_NT, "NT" },
        { X86_RF, "RF" }, { X86_VM, "VM" }, { X86_AC, "AC" }, { X86_ID, "ID" },
    };
    g_string_append(out, "[");
    for (size_t i = 0; i < G_N_ELEMENTS(fl); i++)
        if (f & fl[i].bit)
            g_string_append_printf(out, " %s", fl[i].name);
    g_string_append_printf(out, " ] IOPL=%u", (unsigned)((f >> 12) & 3));
}

static void seg_line(const char *name, const X86Seg *s, GString *out)
{
    g_string_append_printf(out, "%-4s 0x%04x base 0x%016" PRIx64 " limit 0x%08x attr 0x%05x\n",
                           name, s->sel, s->base, s->limit, s->attr);
}

static int info_registers(void *cpu, int argc, char **argv, GString *out, char **err)
{
    const X86Cpu *c = cpu;
    for (int i = 0; i < 16; i++)
        g_string_append_printf(out, "%-3s 0x%016" PRIx64 "%s", gpr_names[i], c->gpr[i],
                               i % 3 == 2 || i == 15 ? "\n" : "  ");
    g_string_append_printf(out, "rip 0x%016" PRIx64 "  rflags 0x%08" PRIx64 " ", c->rip, c->rflags);
    flags_words(c->rflags, out);
    g_string_append_printf(out, "  CPL%u %s\n", (unsigned)(c->seg[X86_CS].attr >> 5) & 3,
                           mode_name(c));
    for (int s = 0; s < X86_NSEG; s++)
        seg_line(seg_names[s], &c->seg[s], out);
    g_string_append_printf(out, "cr0 0x%08" PRIx64 "  cr2 0x%016" PRIx64 "  cr3 0x%016" PRIx64
                           "  cr4 0x%08" PRIx64 "  efer 0x%" PRIx64 "\n",
                           c->cr0, c->cr2, c->cr3, c->cr4, c->efer);
    return 0;
}

/* info vregs [N...]: XMM registers with their double and single lanes, then MXCSR and the
 * x87 stack. */
static int info_vregs(void *cpu, int argc, char **argv, GString *out, char **err)
{
    const X86Cpu *c = cpu;
    bool pick[16];
    for (int i = 0; i < 16; i++)
        pick[i] = argc == 0;
    for (int a = 0; a < argc; a++) {
        const char *n = !strncmp(argv[a], "xmm", 3) ? argv[a] + 3 : argv[a];
        char *end;
        unsigned long r = strtoul(n, &end, 10);
        if (!*n || *end || r > 15) {
            *err = g_strdup_printf("info vregs: no register '%s' (xmm0..xmm15)", argv[a]);
            return -1;
        }
        pick[r] = true;
    }
    for (int i = 0; i < 16; i++) {
        if (!pick[i])
            continue;
        double dd[2];
        float ff[4];
        memcpy(dd, c->xmm[i], sizeof dd);
        memcpy(ff, c->xmm[i], sizeof ff);
        g_string_append_printf(out, "xmm%-2d 0x%016" PRIx64 "%016" PRIx64 "  d: %g %g  s: %g %g %g %g\n",
                               i, c->xmm[i][1], c->xmm[i][0], dd[1], dd[0], (double)ff[3],
                               (double)ff[2], (double)ff[1], (double)ff[0]);
    }
    if (argc == 0) {
        g_string_append_printf(out, "mxcsr 0x%08x  fcw 0x%04x  fsw 0x%04x  ftw 0x%04x\n",
                               c->mxcsr, c->fcw, c->fsw, c->ftw);
        for (unsigned i = 0; i < 8; i++) {
            const uint8_t *b = st_bytes(c, i);
            uint64_t mant;
            uint16_t se;
            memcpy(&mant, b, 8);
            memcpy(&se, b + 8, 2);
            g_string_append_printf(out, "st%u  0x%04x%016" PRIx64 "\n", i, se, mant);
        }
    }
    return 0;
}

/* info sysregs [NAME...]: control registers, MSRs and descriptor tables. */
static int info_sysregs(void *cpu, int nnames, char **names, GString *out, char **err)
{
    const X86Cpu *c = cpu;
    const struct { const char *name; uint64_t v; } r[] = {
        { "cr0", c->cr0 }, { "cr2", c->cr2 }, { "cr3", c->cr3 }, { "cr4", c->cr4 },
        { "cr8", c->cr8 }, { "xcr0", c->xcr0 }, { "efer", c->efer }, { "star", c->star },
        { "lstar", c->lstar }, { "cstar", c->cstar }, { "fmask", c->fmask },
        { "fs_base", c->seg[X86_FS].base }, { "gs_base", c->seg[X86_GS].base },
        { "kernel_gs_base", c->kernel_gs_base }, { "pat", c->pat }, { "apic_base", c->apic_base },
        { "tsc_aux", c->tsc_aux }, { "sysenter_cs", c->sysenter_cs },
        { "sysenter_esp", c->sysenter_esp }, { "sysenter_eip", c->sysenter_eip },
        { "dr0", c->dr[0] }, { "dr1", c->dr[1] }, { "dr2", c->dr[2] }, { "dr3", c->dr[3] },
        { "dr6", c->dr[6] }, { "dr7", c->dr[7] },
        { "gdtr.base", c->gdtr.base }, { "gdtr.limit", c->gdtr.limit },
        { "idtr.base", c->idtr.base }, { "idtr.limit", c->idtr.limit },
        { "ldtr", c->ldtr.sel }, { "tr", c->tr.sel }, { "tr.base", c->tr.base },
    };
    for (int n = 0; n < (nnames ? nnames : 1); n++) {
        bool found = false;
        for (size_t i = 0; i < G_N_ELEMENTS(r); i++) {
            if (nnames && g_ascii_strcasecmp(r[i].name, names[n]))
                continue;
            found = true;
            g_string_append_printf(out, "%-16s 0x%016" PRIx64 "\n", r[i].name, r[i].v);
        }
        if (nnames && !found) {
            *err = g_strdup_printf("info sysregs: no register '%s'", names[n]);
            return -1;
        }
    }
    return 0;
}

const char *x86_sysreg_name(size_t i)
{
    static const char *const names[] = {
        "cr0", "cr2", "cr3", "cr4", "cr8", "xcr0", "efer", "star", "lstar", "cstar", "fmask",
        "fs_base", "gs_base", "kernel_gs_base", "pat", "apic_base", "tsc_aux", "sysenter_cs",
        "sysenter_esp", "sysenter_eip", "dr0", "dr1", "dr2", "dr3", "dr6", "dr7", "gdtr.base",
        "gdtr.limit", "idtr.base", "idtr.limit", "ldtr", "tr", "tr.base",
    };
    return i < G_N_ELEMENTS(names) ? names[i] : NULL;
}

const CpuInfoTopic x86_info_topics[] = {
    { "registers", info_registers },
    { "vregs", info_vregs },
    { "sysregs", info_sysregs },
    { NULL, NULL },
};
