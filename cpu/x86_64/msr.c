/* x86 model-specific registers (SDM vol. 4): EFER, the SYSCALL and SYSENTER targets, the FS,
 * GS and kernel GS bases, PAT, the APIC base, the TSC and TSC_AUX, the TSC deadline and the
 * x2APIC range (both the local APIC's), MTRRs and MISC_ENABLE as storage, DEBUGCTL reading
 * 0 (branch tracing is not modelled), ARCH_CAPABILITIES (read-only, max). Any other MSR, a reserved bit set or a non-canonical
 * address written raises #GP(0). */
#include "cpu/x86_64/sys_internal.h"
#include "cpu/x86_64/insn.h"
#include "devices/lapic.h"

#pragma weak lapic_set_base
#pragma weak lapic_msr_read
#pragma weak lapic_msr_write
#pragma weak lapic_get_tsc_deadline
#pragma weak lapic_set_tsc_deadline

enum {
    MSR_TSC = 0x10,
    MSR_APIC_BASE = 0x1b,
    MSR_UCODE_REV = 0x8b,
    MSR_ARCH_CAPABILITIES = 0x10a,
    MSR_MTRRCAP = 0xfe,
    MSR_SYSENTER_CS = 0x174,
    MSR_SYSENTER_ESP = 0x175,
    MSR_SYSENTER_EIP = 0x176,
    MSR_MISC_ENABLE = 0x1a0,
    MSR_DEBUGCTL = 0x1d9,
    MSR_MTRR_PHYS = 0x200,    /* 0x200..0x20f: base/mask pairs */
    MSR_MTRR_FIX64K = 0x250,
    MSR_MTRR_FIX16K_80000 = 0x258,
    MSR_MTRR_FIX16K_A0000 = 0x259,
    MSR_MTRR_FIX4K = 0x268,   /* 0x268..0x26f */
    MSR_PAT = 0x277,
    MSR_MTRR_DEF_TYPE = 0x2ff,
    MSR_TSC_DEADLINE = 0x6e0,
    MSR_X2APIC_FIRST = 0x800,
    MSR_X2APIC_LAST = 0x8ff,
    MSR_EFER = 0xc0000080,
    MSR_STAR = 0xc0000081,
    MSR_LSTAR = 0xc0000082,
    MSR_CSTAR = 0xc0000083,
    MSR_FMASK = 0xc0000084,
    MSR_FS_BASE = 0xc0000100,
    MSR_GS_BASE = 0xc0000101,
    MSR_KERNEL_GS_BASE = 0xc0000102,
    MSR_TSC_AUX = 0xc0000103,
};

#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)

void x86_msr_reset(X86Cpu *c)
{
    c->efer = 0;
    c->star = c->lstar = c->cstar = c->fmask = c->kernel_gs_base = 0;
    c->pat = 0x0007040600070406ull;
    c->apic_base = 0xfee00000ull | APIC_BASE_EN;
    c->tsc_aux = 0;
    c->sysenter_cs = c->sysenter_esp = c->sysenter_eip = 0;
    c->misc_enable = 1;       /* fast strings enabled */
    for (int i = 0; i < 32; i++)
        c->mtrr[i] = 0;
    /* the TSC counts from 0 at power-on: simulated cycles so far are taken off */
    c->tsc_offset = 0;
    c->tsc_offset = -x86_tsc(c);
}

/* MTRR MSR -> its slot in c->mtrr, or -1. */
static int mtrr_slot(uint32_t msr)
{
    if (msr == MSR_MTRR_DEF_TYPE)
        return 0;
    if (msr == MSR_MTRR_FIX64K)
        return 1;
    if (msr == MSR_MTRR_FIX16K_80000)
        return 2;
    if (msr == MSR_MTRR_FIX16K_A0000)
        return 3;
    if (msr >= MSR_MTRR_FIX4K && msr <= MSR_MTRR_FIX4K + 7)
        return 4 + (int)(msr - MSR_MTRR_FIX4K);
    if (msr >= MSR_MTRR_PHYS && msr < MSR_MTRR_PHYS + 16)
        return 16 + (int)(msr - MSR_MTRR_PHYS);
    return -1;
}

static bool has(const X86Cpu *c, uint32_t e1_edx, uint32_t f1_ecx)
{
    return (c->model->e1_edx & e1_edx) == e1_edx && (c->model->f1_ecx & f1_ecx) == f1_ecx;
}

static bool canonical(const X86Cpu *c, uint64_t v)
{
    return x86_canonical(v, (c->model->f7_ecx & X86_F7_ECX_LA57) != 0 &&
                                (c->cr4 & X86_CR4_LA57));
}

static uint64_t pa_mask(const X86Cpu *c)
{
    return (1ull << (c->model->pa_bits ? c->model->pa_bits : 40)) - 1;
}

bool x86_rdmsr(X86Cpu *c, uint32_t msr, uint64_t *v)
{
    x86_recheck(c);          /* x2APIC registers (cpu.c's instruction boundary) */
    int slot = mtrr_slot(msr);
    if (slot >= 0) {
        *v = c->mtrr[slot];
        return true;
    }
    if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST) {
        if (c->lapic && lapic_msr_read && (c->apic_base & APIC_BASE_EXTD) &&
            lapic_msr_read(c->lapic, msr, v))
            return true;
        return x86_fault(c, X86_GP, 0, true);
    }
    switch (msr) {
    case MSR_TSC: *v = x86_tsc(c); return true;
    case MSR_APIC_BASE: *v = c->apic_base; return true;
    case MSR_UCODE_REV: *v = 0; return true;
    case MSR_ARCH_CAPABILITIES:
        if (!(c->model->f7_edx & X86_F7_EDX_ARCH_CAPABILITIES))
            break;
        /* no speculation, so none of the flaws: RDCL_NO, SKIP_L1DFL_VMENTRY, SSB_NO, MDS_NO,
         * PSCHANGE_MC_NO, TAA_NO, SBDR_SSDP_NO, FBSDP_NO, PSDP_NO, BHI_NO, PBRSB_NO,
         * GDS_NO, RFDS_NO */
        *v = 1u << 0 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 6 | 1u << 8 | 1u << 13 |
             1u << 14 | 1u << 15 | 1u << 20 | 1u << 24 | 1u << 26 | 1u << 27;
        return true;
    case MSR_MTRRCAP: *v = 0x508; return true;     /* 8 variable, fixed, WC */
    case MSR_SYSENTER_CS: *v = c->sysenter_cs; return true;
    case MSR_SYSENTER_ESP: *v = c->sysenter_esp; return true;
    case MSR_SYSENTER_EIP: *v = c->sysenter_eip; return true;
    case MSR_MISC_ENABLE: *v = c->misc_enable; return true;
    case MSR_DEBUGCTL: *v = 0; return true;
    case MSR_PAT: *v = c->pat; return true;
    case MSR_TSC_DEADLINE:
        if (!(c->model->f1_ecx & X86_F1_ECX_TSC_DEADLINE))
            break;
        *v = c->lapic && lapic_get_tsc_deadline ? lapic_get_tsc_deadline(c->lapic) : 0;
        return true;
    case MSR_EFER: *v = c->efer; return true;
    case MSR_STAR: *v = c->star; return true;
    case MSR_LSTAR: *v = c->lstar; return true;
    case MSR_CSTAR: *v = c->cstar; return true;
    case MSR_FMASK: *v = c->fmask; return true;
    case MSR_FS_BASE: *v = c->seg[X86_FS].base; return true;
    case MSR_GS_BASE: *v = c->seg[X86_GS].base; return true;
    case MSR_KERNEL_GS_BASE: *v = c->kernel_gs_base; return true;
    case MSR_TSC_AUX:
        if (!has(c, X86_E1_EDX_RDTSCP, 0))
            break;
        *v = c->tsc_aux;
        return true;
    default:
        break;
    }
    return x86_fault(c, X86_GP, 0, true);
}

/* A PAT entry or MTRR type: UC 0, WC 1, WT 4, WP 5, WB 6, UC- 7 (PAT only). */
static bool valid_type(unsigned t, bool pat)
{
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6 || (pat && t == 7);
}

static bool wr_mtrr(X86Cpu *c, int slot, uint64_t v)
{
    if (slot == 0) {          /* def_type: type[7:0], FE[10], E[11] */
        if ((v & ~0xcffull) || !valid_type(v & 0xff, false))
            return false;
    } else if (slot < 16) {   /* fixed: eight types */
        for (int i = 0; i < 8; i++)
            if (!valid_type((v >> (8 * i)) & 0xff, false))
                return false;
    } else if (!(slot & 1)) { /* PhysBase: type, base */
        if ((v & ~(pa_mask(c) & ~0xfffull) & ~0xffull) || !valid_type(v & 0xff, false))
            return false;
    } else if (v & ~(pa_mask(c) & ~0xfffull) & ~0x800ull) {   /* PhysMask: V[11], mask */
        return false;
    }
    c->mtrr[slot] = v;
    return true;
}

static bool wr_efer(X86Cpu *c, uint64_t v)
{
    uint64_t ok = X86_EFER_LMA;
    if (has(c, X86_E1_EDX_SYSCALL, 0))
        ok |= X86_EFER_SCE;
    if (has(c, X86_E1_EDX_LM, 0))
        ok |= X86_EFER_LME;
    if (has(c, X86_E1_EDX_NX, 0))
        ok |= X86_EFER_NXE;
    if (v & ~ok)
        return false;
    /* LME cannot change while paging is on; LMA is the processor's (writes ignored) */
    if ((c->cr0 & X86_CR0_PG) && ((v ^ c->efer) & X86_EFER_LME))
        return false;
    c->efer = (v & ~(uint64_t)X86_EFER_LMA) | (c->efer & X86_EFER_LMA);
    x86_tlb_flush(c);         /* NXE changes what a walk allows */
    return true;
}

static bool wr_apic_base(X86Cpu *c, uint64_t v)
{
    uint64_t ok = (pa_mask(c) & ~0xfffull) | APIC_BASE_EN |
                  ((c->model->f1_ecx & X86_F1_ECX_X2APIC) ? APIC_BASE_EXTD : 0);
    v &= ~APIC_BASE_BSP;      /* read-only: kept from reset */
    if (v & ~ok)
        return false;
    /* x2APIC without xAPIC enabled is invalid (SDM vol. 3A 11.12.5) */
    if ((v & APIC_BASE_EXTD) && !(v & APIC_BASE_EN))
        return false;
    c->apic_base = v | (c->apic_base & APIC_BASE_BSP);
    x86_tlb_flush(c);         /* the APIC page moved, or appeared over RAM */
    if (c->lapic && lapic_set_base)
        lapic_set_base(c->lapic, c->apic_base);
    return true;
}

bool x86_wrmsr(X86Cpu *c, uint32_t msr, uint64_t v)
{
    x86_recheck(c);          /* x2APIC registers, the APIC base */
    int slot = mtrr_slot(msr);
    bool ok = true;
    if (slot >= 0) {
        ok = wr_mtrr(c, slot, v);
    } else if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST) {
        ok = c->lapic && lapic_msr_write && (c->apic_base & APIC_BASE_EXTD) &&
             lapic_msr_write(c->lapic, msr, v);
    } else {
        switch (msr) {
        case MSR_TSC:
            c->tsc_offset += v - x86_tsc(c);
            break;
        case MSR_APIC_BASE: ok = wr_apic_base(c, v); break;
        case MSR_UCODE_REV: break;                /* a microcode load: nothing to load */
        case MSR_SYSENTER_CS: c->sysenter_cs = v & 0xffff; break;
        case MSR_SYSENTER_ESP:
            ok = canonical(c, v);
            if (ok)
                c->sysenter_esp = v;
            break;
        case MSR_SYSENTER_EIP:
            ok = canonical(c, v);
            if (ok)
                c->sysenter_eip = v;
            break;
        case MSR_MISC_ENABLE: c->misc_enable = v; break;
        case MSR_DEBUGCTL:
            /* LBR, BTF and the rest are not modelled: the bits read back 0 */
            ok = !(v & ~0xffc3ull);
            break;
        case MSR_PAT:
            for (int i = 0; i < 8; i++)
                if (!valid_type((v >> (8 * i)) & 0xff, true))
                    ok = false;
            if (ok)
                c->pat = v;
            break;
        case MSR_TSC_DEADLINE:
            ok = (c->model->f1_ecx & X86_F1_ECX_TSC_DEADLINE) != 0;
            if (ok && c->lapic && lapic_set_tsc_deadline)
                lapic_set_tsc_deadline(c->lapic, v);
            break;
        case MSR_EFER: ok = wr_efer(c, v); break;
        case MSR_STAR: c->star = v; break;
        case MSR_LSTAR:
        case MSR_CSTAR:
        case MSR_FS_BASE:
        case MSR_GS_BASE:
        case MSR_KERNEL_GS_BASE:
            ok = canonical(c, v);
            if (!ok)
                break;
            if (msr == MSR_LSTAR)
                c->lstar = v;
            else if (msr == MSR_CSTAR)
                c->cstar = v;
            else if (msr == MSR_FS_BASE)
                c->seg[X86_FS].base = v;
            else if (msr == MSR_GS_BASE)
                c->seg[X86_GS].base = v;
            else
                c->kernel_gs_base = v;
            break;
        case MSR_FMASK: c->fmask = (uint32_t)v; break;
        case MSR_TSC_AUX:
            ok = has(c, X86_E1_EDX_RDTSCP, 0) && !(v >> 32);
            if (ok)
                c->tsc_aux = v;
            break;
        default:
            ok = false;
            break;
        }
    }
    return ok ? true : x86_fault(c, X86_GP, 0, true);
}
