/* CPUID (SDM vol. 2A, CPUID) for the named models -cpu qemu64 and max, from simulated facts
 * only: the features advertised are those the simulator implements, the topology is the
 * machine's, the caches are a fixed description (no timing model reads them).
 *
 * qemu64 follows QEMU's model of that name (vendor, family 15 model 107, the SSE2-era
 * feature set with ABM) minus what hvsim does not model (MCE/MCA, SVM, SSE4A). max adds
 * what the system part implements (x2APIC, TSC deadline, PCID/INVPCID, SMEP/SMAP, 1 GiB
 * pages, RDTSCP, FSGSBASE, UMIP, IA32_ARCH_CAPABILITIES saying that none of the
 * speculative-execution flaws applies: the simulator does not speculate) and
 * SSSE3/SSE4.1/SSE4.2/POPCNT/MOVBE, BMI1, BMI2 and ADX, which the instruction part provides
 * (checked against a real CPU by the differential tester). Without BMI1 (qemu64), F3 0F BC
 * is BSF, as on processors without TZCNT. Not
 * advertised: 5-level paging (the walker and the system part have it, but the near
 * branches' canonical check is 48-bit: LA57 waits for that), XSAVE/AVX, RDRAND/RDSEED (no
 * seeded source), VMX (the next issue), PKU, MONITOR/MWAIT. */
#include <string.h>
#include "cpu/x86_64/sys_internal.h"

/* CPUID.1:EDX */
#define E_FPU (1u << 0)
#define E_DE (1u << 2)
#define E_PSE (1u << 3)
#define E_TSC (1u << 4)
#define E_MSR (1u << 5)
#define E_PAE (1u << 6)
#define E_CX8 (1u << 8)
#define E_APIC (1u << 9)
#define E_SEP (1u << 11)
#define E_MTRR (1u << 12)
#define E_PGE (1u << 13)
#define E_CMOV (1u << 15)
#define E_PAT (1u << 16)
#define E_PSE36 (1u << 17)
#define E_CLFLUSH (1u << 19)
#define E_MMX (1u << 23)
#define E_FXSR (1u << 24)
#define E_SSE (1u << 25)
#define E_SSE2 (1u << 26)
/* CPUID.1:ECX */
#define C_SSE3 (1u << 0)
#define C_SSSE3 (1u << 9)
#define C_CX16 (1u << 13)
#define C_SSE41 (1u << 19)
#define C_SSE42 (1u << 20)
#define C_POPCNT (1u << 23)
#define C_HYPERVISOR (1u << 31)
#define C_MOVBE (1u << 22)
/* CPUID.80000001H:ECX */
#define X_LAHF_LM (1u << 0)
#define X_ABM (1u << 5)       /* LZCNT (the instruction part implements it: F3 0F BD is
                               * LZCNT, not BSR, whatever is advertised) */

#define BASE_EDX (E_FPU | E_DE | E_PSE | E_TSC | E_MSR | E_PAE | E_CX8 | E_APIC | E_SEP | E_MTRR | \
                  E_PGE | E_CMOV | E_PAT | E_PSE36 | E_CLFLUSH | E_MMX | E_FXSR | E_SSE | E_SSE2)

static const X86CpuModel models[] = {
    {
        .name = "qemu64",
        .vendor = "AuthenticAMD",
        .signature = 0x00060fb1,                  /* family 15, model 107, stepping 1 */
        .max_leaf = 0xd,
        .max_ext_leaf = 0x80000008,
        .f1_ecx = C_SSE3 | C_CX16 | C_HYPERVISOR,
        .f1_edx = BASE_EDX,
        .e1_ecx = X_LAHF_LM | X_ABM,
        .e1_edx = X86_E1_EDX_SYSCALL | X86_E1_EDX_NX | X86_E1_EDX_LM,
        .pa_bits = 40,
        .va_bits = 48,
        .brand = "QEMU Virtual CPU version 2.5+",
    },
    {
        .name = "max",
        .vendor = "GenuineIntel",
        .signature = 0x000806f8,                  /* family 6, model 0x8f, stepping 8 */
        .max_leaf = 0xd,
        .max_ext_leaf = 0x80000008,
        .f1_ecx = C_SSE3 | C_SSSE3 | C_CX16 | X86_F1_ECX_PCID | C_SSE41 | C_SSE42 |
                  X86_F1_ECX_X2APIC | C_MOVBE | C_POPCNT | X86_F1_ECX_TSC_DEADLINE |
                  C_HYPERVISOR,
        .f1_edx = BASE_EDX,
        .f7_ebx = X86_F7_EBX_FSGSBASE | X86_F7_EBX_SMEP | X86_F7_EBX_INVPCID |
                  X86_F7_EBX_SMAP | X86_F7_EBX_BMI1 | X86_F7_EBX_BMI2 | X86_F7_EBX_ADX,
        .f7_ecx = X86_F7_ECX_UMIP,
        .f7_edx = X86_F7_EDX_ARCH_CAPABILITIES,
        .e1_ecx = X_LAHF_LM | X_ABM,
        .e1_edx = X86_E1_EDX_SYSCALL | X86_E1_EDX_NX | X86_E1_EDX_PAGE1GB |
                  X86_E1_EDX_RDTSCP | X86_E1_EDX_LM,
        .pa_bits = 40,
        .va_bits = 48,
        .brand = "hvsim x86-64 (max)",
    },
};

const X86CpuModel *x86_cpu_model_find(const char *name)
{
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        if (name && !strcmp(models[i].name, name))
            return &models[i];
    return NULL;
}

uint64_t x86_cr4_valid(const X86Cpu *c)
{
    const X86CpuModel *m = c->model;
    uint64_t v = X86_CR4_TSD | X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE | X86_CR4_PGE |
                 X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
    if (m->f1_ecx & X86_F1_ECX_PCID)
        v |= X86_CR4_PCIDE;
    if (m->f7_ebx & X86_F7_EBX_SMEP)
        v |= X86_CR4_SMEP;
    if (m->f7_ebx & X86_F7_EBX_SMAP)
        v |= X86_CR4_SMAP;
    if (m->f7_ebx & X86_F7_EBX_FSGSBASE)
        v |= X86_CR4_FSGSBASE;
    if (m->f7_ecx & X86_F7_ECX_UMIP)
        v |= X86_CR4_UMIP;
    if (m->f7_ecx & X86_F7_ECX_LA57)
        v |= X86_CR4_LA57;
    return v;
}

static void put_str(uint32_t *regs, const char *s, size_t len)
{
    char buf[16] = { 0 };
    memcpy(buf, s, len < 16 ? len : 16);
    memcpy(regs, buf, 16);
}

/* Deterministic cache parameters (leaf 4): L1D, L1I 32 KiB 8-way, L2 1 MiB 16-way, 64-byte
 * lines. */
static void cache_leaf(uint32_t sub, uint32_t out[4])
{
    static const struct { uint32_t type, level, ways, sets; } caches[] = {
        { 1, 1, 8, 64 }, { 2, 1, 8, 64 }, { 3, 2, 16, 1024 },
    };
    if (sub >= 3)
        return;
    out[0] = caches[sub].type | caches[sub].level << 5 | 1u << 8;
    out[1] = (caches[sub].ways - 1) << 22 | 63;
    out[2] = caches[sub].sets - 1;
}

void x86_cpuid(X86Cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    const X86CpuModel *m = c->model;
    out[0] = out[1] = out[2] = out[3] = 0;
    /* beyond the maximum leaf, Intel returns the highest basic leaf's values */
    if (leaf >= 0x80000000u ? leaf > m->max_ext_leaf : leaf > m->max_leaf) {
        if (leaf >= 0x40000000u && leaf < 0x80000000u)
            return;           /* no hypervisor interface */
        leaf = m->max_leaf;
    }
    unsigned ncpus = c->m->ncpus > 0 ? (unsigned)c->m->ncpus : 1;
    switch (leaf) {
    case 0:
        out[0] = m->max_leaf;
        memcpy(&out[1], m->vendor, 4);
        memcpy(&out[3], m->vendor + 4, 4);
        memcpy(&out[2], m->vendor + 8, 4);
        break;
    case 1:
        out[0] = m->signature;
        /* APIC ID, logical processors 1, CLFLUSH line 8 quadwords */
        out[1] = (uint32_t)c->index << 24 | 1u << 16 | 8u << 8;
        out[2] = m->f1_ecx;
        out[3] = m->f1_edx;
        break;
    case 2:
        out[0] = 1;           /* one round, no descriptors: leaf 4 describes the caches */
        break;
    case 4:
        cache_leaf(sub, out);
        if (out[0])
            out[0] |= (ncpus - 1) << 26 & 0xfc000000u;
        break;
    case 7:
        if (sub == 0) {
            out[1] = m->f7_ebx;
            out[2] = m->f7_ecx;
            out[3] = m->f7_edx;
        }
        break;
    case 0xb:
        /* x2APIC topology: one thread per core, every core in one package */
        if (!(m->f1_ecx & X86_F1_ECX_X2APIC))
            break;
        if (sub == 0) {
            out[1] = 1;
            out[2] = 1u << 8;
        } else if (sub == 1) {
            unsigned shift = 0;
            while ((1u << shift) < ncpus)
                shift++;
            out[0] = shift;
            out[1] = ncpus;
            out[2] = 2u << 8 | 1;
        } else {
            out[2] = sub;
        }
        out[3] = (uint32_t)c->index;
        break;
    case 0x80000000:
        out[0] = m->max_ext_leaf;
        memcpy(&out[1], m->vendor, 4);
        memcpy(&out[3], m->vendor + 4, 4);
        memcpy(&out[2], m->vendor + 8, 4);
        break;
    case 0x80000001:
        out[0] = m->signature;
        out[2] = m->e1_ecx;
        out[3] = m->e1_edx;
        break;
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
        size_t off = (leaf - 0x80000002u) * 16, len = strlen(m->brand);
        if (off < len)
            put_str(out, m->brand + off, len - off);
        break;
    }
    case 0x80000006:
        out[2] = 1024u << 16 | 6u << 12 | 64;      /* L2: 1 MiB, 16-way, 64-byte lines */
        break;
    case 0x80000007:
        out[3] = 1u << 8;     /* invariant TSC: it counts simulated cycles */
        break;
    case 0x80000008:
        out[0] = m->pa_bits | (uint32_t)m->va_bits << 8;
        break;
    default:
        break;
    }
}
