/* AArch64 registers as debuggers see them: GDB's register set (target description), the
 * debugger's register access by number, and the `info registers|vregs|sysregs` topics.
 * Reads have no side effects; writes act as the debugger's user writes (cpsr: the flags only,
 * FPCR/FPSR through their masks as MSR would). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/arm64/cpu.h"
#include "cpu/arm64/regs.h"
#include "cpu/arm64/sysreg.h"

#define X(n) { "x" #n, 64, "int", NULL, n, 0 }
static const CpuReg a64_core_regs[] = {
    X(0), X(1), X(2), X(3), X(4), X(5), X(6), X(7), X(8), X(9), X(10), X(11), X(12), X(13),
    X(14), X(15), X(16), X(17), X(18), X(19), X(20), X(21), X(22), X(23), X(24), X(25),
    X(26), X(27), X(28), X(29), X(30),
    { "sp", 64, "data_ptr", NULL, A64_GDB_REG_SP, 0 },
    { "pc", 64, "code_ptr", NULL, A64_GDB_REG_PC, 0 },
    /* GDB's aarch64-core.xml: cpsr is 32 bits wide in the 'g' packet and in p/P. */
    { "cpsr", 32, "cpsr_flags", NULL, A64_GDB_REG_CPSR, 0 },
};
#undef X

/* PSTATE as SPSR_ELx lays it out (Arm ARM C5.2.18 SPSR_EL1, AArch64 state). */
static const char a64_cpsr_flags[] =
    "  <flags id=\"cpsr_flags\" size=\"4\">\n"
    "    <field name=\"SP\" start=\"0\" end=\"0\"/>\n"
    "    <field name=\"EL\" start=\"2\" end=\"3\"/>\n"
    "    <field name=\"nRW\" start=\"4\" end=\"4\"/>\n"
    "    <field name=\"F\" start=\"6\" end=\"6\"/>\n"
    "    <field name=\"I\" start=\"7\" end=\"7\"/>\n"
    "    <field name=\"A\" start=\"8\" end=\"8\"/>\n"
    "    <field name=\"D\" start=\"9\" end=\"9\"/>\n"
    "    <field name=\"IL\" start=\"20\" end=\"20\"/>\n"
    "    <field name=\"SS\" start=\"21\" end=\"21\"/>\n"
    "    <field name=\"PAN\" start=\"22\" end=\"22\"/>\n"
    "    <field name=\"UAO\" start=\"23\" end=\"23\"/>\n"
    "    <field name=\"V\" start=\"28\" end=\"28\"/>\n"
    "    <field name=\"C\" start=\"29\" end=\"29\"/>\n"
    "    <field name=\"Z\" start=\"30\" end=\"30\"/>\n"
    "    <field name=\"N\" start=\"31\" end=\"31\"/>\n"
    "  </flags>\n";

/* The SIMD&FP registers as GDB's aarch64 support expects them (it checks the names v0-v31,
 * fpsr, fpcr of org.gnu.gdb.aarch64.fpu): each V register a union of the vector views
 * (d: 2 x double/uint64/int64, s: 4 x single/uint32/int32, h: 8 x half/bfloat16/uint16/int16,
 * b: 16 x uint8/int8, q: 1 x uint128/int128), so `p $v0.d.f` works; GDB builds the q/d/s/h/b
 * pseudo registers on top. fpsr and fpcr are 32 bits wide, as in GDB's aarch64-fpu.xml. */
#define V(n) { "v" #n, 128, "aarch64v", NULL, A64_GDB_REG_V0 + (n), 0 }
static const CpuReg a64_fpu_regs[] = {
    V(0), V(1), V(2), V(3), V(4), V(5), V(6), V(7), V(8), V(9), V(10), V(11), V(12), V(13),
    V(14), V(15), V(16), V(17), V(18), V(19), V(20), V(21), V(22), V(23), V(24), V(25),
    V(26), V(27), V(28), V(29), V(30), V(31),
    { "fpsr", 32, "int", NULL, A64_GDB_REG_FPSR, 0 },
    { "fpcr", 32, "int", NULL, A64_GDB_REG_FPCR, 0 },
};
#undef V

static const char a64_fpu_types[] =
    "  <vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
    "  <vector id=\"v2u\" type=\"uint64\" count=\"2\"/>\n"
    "  <vector id=\"v2i\" type=\"int64\" count=\"2\"/>\n"
    "  <vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
    "  <vector id=\"v4u\" type=\"uint32\" count=\"4\"/>\n"
    "  <vector id=\"v4i\" type=\"int32\" count=\"4\"/>\n"
    "  <vector id=\"v8f\" type=\"ieee_half\" count=\"8\"/>\n"
    "  <vector id=\"v8u\" type=\"uint16\" count=\"8\"/>\n"
    "  <vector id=\"v8i\" type=\"int16\" count=\"8\"/>\n"
    "  <vector id=\"v8bf16\" type=\"bfloat16\" count=\"8\"/>\n"
    "  <vector id=\"v16u\" type=\"uint8\" count=\"16\"/>\n"
    "  <vector id=\"v16i\" type=\"int8\" count=\"16\"/>\n"
    "  <vector id=\"v1u\" type=\"uint128\" count=\"1\"/>\n"
    "  <vector id=\"v1i\" type=\"int128\" count=\"1\"/>\n"
    "  <union id=\"vnd\">\n"
    "    <field name=\"f\" type=\"v2d\"/>\n"
    "    <field name=\"u\" type=\"v2u\"/>\n"
    "    <field name=\"s\" type=\"v2i\"/>\n"
    "  </union>\n"
    "  <union id=\"vns\">\n"
    "    <field name=\"f\" type=\"v4f\"/>\n"
    "    <field name=\"u\" type=\"v4u\"/>\n"
    "    <field name=\"s\" type=\"v4i\"/>\n"
    "  </union>\n"
    "  <union id=\"vnh\">\n"
    "    <field name=\"bf\" type=\"v8bf16\"/>\n"
    "    <field name=\"f\" type=\"v8f\"/>\n"
    "    <field name=\"u\" type=\"v8u\"/>\n"
    "    <field name=\"s\" type=\"v8i\"/>\n"
    "  </union>\n"
    "  <union id=\"vnb\">\n"
    "    <field name=\"u\" type=\"v16u\"/>\n"
    "    <field name=\"s\" type=\"v16i\"/>\n"
    "  </union>\n"
    "  <union id=\"vnq\">\n"
    "    <field name=\"u\" type=\"v1u\"/>\n"
    "    <field name=\"s\" type=\"v1i\"/>\n"
    "  </union>\n"
    "  <union id=\"aarch64v\">\n"
    "    <field name=\"d\" type=\"vnd\"/>\n"
    "    <field name=\"s\" type=\"vns\"/>\n"
    "    <field name=\"h\" type=\"vnh\"/>\n"
    "    <field name=\"b\" type=\"vnb\"/>\n"
    "    <field name=\"q\" type=\"vnq\"/>\n"
    "  </union>\n";

/* op0:op1:CRn:CRm:op2, the layout of A64_SYSREG_KEY in cpu/arm64/sysreg.h. */
#define RSP_SYSREG(op0, op1, crn, crm, op2) \
    ((uint32_t)(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2)))
#define S(name, n, op0, op1, crn, crm, op2) \
    { name, 64, "uint64", "system", A64_GDB_REG_SYS0 + (n), RSP_SYSREG(op0, op1, crn, crm, op2) }
/* The registers that matter when debugging a hypervisor; encodings from the Arm ARM
 * (DDI 0487) register descriptions, chapter D23. */
static const CpuReg a64_sys_regs[] = {
    S("CurrentEL", 0, 3, 0, 4, 2, 2),
    S("HCR_EL2", 1, 3, 4, 1, 1, 0),
    S("VTTBR_EL2", 2, 3, 4, 2, 1, 0),
    S("VTCR_EL2", 3, 3, 4, 2, 1, 2),
    S("ESR_EL2", 4, 3, 4, 5, 2, 0),
    S("FAR_EL2", 5, 3, 4, 6, 0, 0),
    S("HPFAR_EL2", 6, 3, 4, 6, 0, 4),
    S("ELR_EL2", 7, 3, 4, 4, 0, 1),
    S("SPSR_EL2", 8, 3, 4, 4, 0, 0),
    S("SCTLR_EL1", 9, 3, 0, 1, 0, 0),
    S("SCTLR_EL2", 10, 3, 4, 1, 0, 0),
    S("TTBR0_EL1", 11, 3, 0, 2, 0, 0),
    S("TTBR1_EL1", 12, 3, 0, 2, 0, 1),
    S("TTBR0_EL2", 13, 3, 4, 2, 0, 0),
    S("VBAR_EL1", 14, 3, 0, 12, 0, 0),
    S("VBAR_EL2", 15, 3, 4, 12, 0, 0),
    S("ESR_EL1", 16, 3, 0, 5, 2, 0),
    S("FAR_EL1", 17, 3, 0, 6, 0, 0),
    S("ELR_EL1", 18, 3, 0, 4, 0, 1),
    S("SPSR_EL1", 19, 3, 0, 4, 0, 0),
};
#undef S

static const CpuRegFeature a64_features[] = {
    { "org.gnu.gdb.aarch64.core", "aarch64-core.xml", a64_cpsr_flags,
      a64_core_regs, G_N_ELEMENTS(a64_core_regs), true },
    { "org.gnu.gdb.aarch64.fpu", "aarch64-fpu.xml", a64_fpu_types,
      a64_fpu_regs, G_N_ELEMENTS(a64_fpu_regs), true },
    { "org.hvsim.sys", "hvsim-sys.xml", NULL, a64_sys_regs, G_N_ELEMENTS(a64_sys_regs), false },
};

const CpuRegSet a64_regset = { "aarch64", a64_features, G_N_ELEMENTS(a64_features) };

const CpuRegSet *a64_gdb_regset(void)
{
    return &a64_regset;
}

/* FPSR and FPCR: the system register entries (their masks), by GDB number. */
static const A64SysReg *fp_ctl_reg(unsigned regnum)
{
    return a64_sysreg_find(regnum == A64_GDB_REG_FPSR ? A64_SYSREG_KEY(3, 3, 4, 4, 1)
                                                      : A64_SYSREG_KEY(3, 3, 4, 4, 0));
}

bool a64_reg_get(void *cpu, unsigned num, uint64_t *v)
{
    Arm64Cpu *c = cpu;
    if (num < 31)
        *v = c->x[num];
    else if (num == A64_GDB_REG_SP)
        *v = c->x[A64_SP];
    else if (num == A64_GDB_REG_PC)
        *v = c->pc;
    else if (num == A64_GDB_REG_CPSR)
        *v = a64_pstate_to_spsr(c);
    else if (num == A64_GDB_REG_FPSR || num == A64_GDB_REG_FPCR)
        *v = a64_sysreg_read(c, fp_ctl_reg(num));
    else if (num >= A64_DBG_REG_VD(0, 0) && num <= A64_DBG_REG_VD(31, 1))
        *v = c->v[(num - A64_DBG_REG_VD(0, 0)) / 2].d[num & 1];
    else {
        const CpuReg *r = num >= A64_GDB_REG_SYS0 ? cpuregs_find(&a64_regset, num) : NULL;
        if (!r)
            return false;     /* unknown, or a V register (read by its parts) */
        const A64SysReg *sr = a64_sysreg_find(r->key);
        *v = !sr || (sr->min_el == 2 && !c->has_el2) ? 0 : a64_sysreg_read(c, sr);
    }
    return true;
}

bool a64_reg_put(void *cpu, unsigned num, uint64_t v)
{
    Arm64Cpu *c = cpu;
    if (num < 31)
        c->x[num] = v;
    else if (num == A64_GDB_REG_SP)
        c->x[A64_SP] = v;
    else if (num == A64_GDB_REG_PC)
        c->pc = v;
    else if (num == A64_GDB_REG_CPSR)
        a64_set_nzcv(c, v);   /* only the flags: the EL is not the debugger's to change */
    else if (num == A64_GDB_REG_FPSR || num == A64_GDB_REG_FPCR)
        a64_sysreg_write(c, fp_ctl_reg(num), v);   /* as MSR would: RES0 bits stay 0 */
    else if (num >= A64_DBG_REG_VD(0, 0) && num <= A64_DBG_REG_VD(31, 1))
        c->v[(num - A64_DBG_REG_VD(0, 0)) / 2].d[num & 1] = v;
    else
        return false;         /* system registers are read-only here */
    return true;
}

unsigned a64_reg_part(unsigned regnum, unsigned k)
{
    if (regnum >= A64_GDB_REG_V0 && regnum < A64_GDB_REG_V0 + 32)
        return A64_DBG_REG_VD(regnum - A64_GDB_REG_V0, k);
    return regnum;
}

/* `set nzcv` writes the flags of cpsr. */
const char *const a64_reg_aliases[] = { "nzcv", "cpsr", NULL };

/* ---- info topics ---- */

/* FPCR and FPSR with their fields decoded (Arm ARM C5.2.8 FPCR, C5.2.10 FPSR). */
static void info_fp_control(Arm64Cpu *c, GString *out)
{
    static const char *const rmode[] = { "RN", "RP", "RM", "RZ" };
    uint64_t fpcr = c->sys[A64_SYS_FPCR], fpsr = c->sys[A64_SYS_FPSR];
    g_string_append_printf(out, "fpcr 0x%08" PRIx64 " (%s%s%s%s%s)  fpsr 0x%08" PRIx64 " (", fpcr,
                           rmode[(fpcr >> 22) & 3], fpcr & (1u << 24) ? " FZ" : "",
                           fpcr & (1u << 19) ? " FZ16" : "", fpcr & (1u << 25) ? " DN" : "",
                           fpcr & (1u << 26) ? " AHP" : "", fpsr);
    static const char *const flag[] = { "IOC", "DZC", "OFC", "UFC", "IXC", NULL, NULL, "IDC" };
    bool any = false;
    for (unsigned b = 0; b < 8; b++)
        if (flag[b] && (fpsr >> b) & 1) {
            g_string_append_printf(out, "%s%s", any ? " " : "", flag[b]);
            any = true;
        }
    if ((fpsr >> 27) & 1) {
        g_string_append_printf(out, "%sQC", any ? " " : "");
        any = true;
    }
    g_string_append_printf(out, "%s)\n", any ? "" : "no flags");
}

static int info_registers(void *cpu, int argc, char **argv, GString *out, char **err)
{
    Arm64Cpu *c = cpu;
    for (int i = 0; i < 31; i++)
        g_string_append_printf(out, "x%-2d 0x%016" PRIx64 "%s", i, c->x[i], i % 3 == 2 ? "\n" : "  ");
    g_string_append_printf(out, "sp  0x%016" PRIx64 "\n", c->x[A64_SP]);
    g_string_append_printf(out, "pc  0x%016" PRIx64 "  cpsr 0x%08" PRIx64 "  EL%d  NZCV=%d%d%d%d\n", c->pc,
                           a64_pstate_to_spsr(c), c->el, c->nf, c->zf, c->cf, c->vf);
    info_fp_control(c, out);
    return 0;
}

/* info vregs [N...]: V registers as 128-bit values with their doubleword and single lanes
 * read as IEEE values (what most FP code holds), then FPCR/FPSR. */
static int info_vregs(void *cpu, int argc, char **argv, GString *out, char **err)
{
    Arm64Cpu *c = cpu;
    bool pick[32];
    for (int i = 0; i < 32; i++)
        pick[i] = argc == 0;
    for (int a = 0; a < argc; a++) {
        const char *n = argv[a][0] == 'v' ? argv[a] + 1 : argv[a];
        char *end;
        unsigned long r = strtoul(n, &end, 0);
        if (!*n || *end || r > 31) {
            *err = g_strdup_printf("info vregs: no register '%s' (v0..v31)", argv[a]);
            return -1;
        }
        pick[r] = true;
    }
    for (int i = 0; i < 32; i++) {
        if (!pick[i])
            continue;
        const A64Vreg *v = &c->v[i];
        double dd[2];
        float ff[4];
        memcpy(dd, v->d, sizeof dd);
        memcpy(ff, v->s, sizeof ff);
        g_string_append_printf(out, "v%-2d 0x%016" PRIx64 "%016" PRIx64 "  d: %g %g  s: %g %g %g %g\n",
                               i, v->d[1], v->d[0], dd[1], dd[0], (double)ff[3], (double)ff[2],
                               (double)ff[1], (double)ff[0]);
    }
    if (argc == 0)
        info_fp_control(c, out);
    return 0;
}

/* info sysregs [NAME...]: every register of the one space (the core's, the PMU's, the GIC CPU
 * interface's) the debugger can read without acting, accessible at the current EL, or the
 * named ones (case-insensitive; one whose read would act says so); fails if a name matches
 * none. */
static int info_sysregs(void *cpu, int nnames, char **names, GString *out, char **err)
{
    Arm64Cpu *c = cpu;
    for (int n = 0; n < (nnames ? nnames : 1); n++) {
        bool found = false;
        for (size_t i = 0; i < a64_sysreg_count(); i++) {
            const A64SysReg *r = a64_sysreg_at(i);
            if ((r->min_el == 2 && !c->has_el2) || !a64_sysreg_accessible(c, r) ||
                r->feat == A64_FEAT_E2H_ALIAS)
                continue;
            if (nnames && g_ascii_strcasecmp(r->name, names[n]))
                continue;
            uint64_t v;
            if (!a64_sysreg_peek(c, r, &v)) {
                if (nnames) {
                    found = true;
                    g_string_append_printf(out, "%-16s (not read: reading it acts, or not readable "
                                           "at EL%d)\n", r->name, c->el);
                }
                continue;
            }
            found = true;
            g_string_append_printf(out, "%-16s 0x%016" PRIx64 "\n", r->name, v);
        }
        if (nnames && !found) {
            *err = g_strdup_printf("info sysregs: no register '%s' readable at EL%d", names[n], c->el);
            return -1;
        }
    }
    return 0;
}

const char *a64_sysreg_name(size_t i)
{
    return i < a64_sysreg_count() ? a64_sysreg_at(i)->name : NULL;
}

const CpuInfoTopic a64_info_topics[] = {
    { "registers", info_registers },
    { "vregs", info_vregs },
    { "sysregs", info_sysregs },
    { NULL, NULL },
};
