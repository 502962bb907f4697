/* The system-register table (Arm ARM D17-D19). Registers not listed here (nor in the PMU's
 * and the GIC CPU interface's own tables) are UNDEFINED for the guest, except the rest of the
 * ID space, which reads as zero (a64_sysreg_id_space_raz); `-d unimp` logs such accesses. */
#include "cpu/arm64/sysreg.h"
#include "cpu/arm64/debug.h"
#include "devices/arch_timer.h"
#include "hypervisor-model/sysreg_traps.h"
#include <string.h>

#define K A64_SYSREG_KEY
#define FULL (~(uint64_t)0)

_Static_assert(A64_SYS_NUM_SLOTS <= sizeof(((Arm64Cpu *)0)->sys) / sizeof(uint64_t),
               "Arm64Cpu.sys[] too small for the system-register slots");

void a64_pmu_update(Arm64Cpu *c)
{
    uint64_t insns = c->m->cpus[c->index].icount + (c->run_budget - c->insns_left);
    a64_pmu_sync(&c->pmu, insns, a64_now(c) / c->m->timing.ps_per_cycle, c->el);
}

SimTime a64_now(const Arm64Cpu *c)
{
    /* the cycle model's clock since the run started; atomic: one cycle per instruction */
    uint64_t done = c->tm ? c->tm->cyc - c->tm_cyc0 : c->run_budget - c->insns_left;
    return c->m->cpus[c->index].time + done * c->m->timing.ps_per_cycle;
}

uint64_t a64_counter(const Arm64Cpu *c)
{
    return a64_now(c) / (PS_PER_S / A64_CNTFRQ_HZ);
}

static uint64_t rd_nzcv(Arm64Cpu *c, const A64SysReg *r) { (void)r; return a64_get_nzcv(c); }
static void wr_nzcv(Arm64Cpu *c, const A64SysReg *r, uint64_t v) { (void)r; a64_set_nzcv(c, v); }
static uint64_t rd_daif(Arm64Cpu *c, const A64SysReg *r) { (void)r; return (uint64_t)c->daif << 6; }
static void wr_daif(Arm64Cpu *c, const A64SysReg *r, uint64_t v) { (void)r; c->daif = (v >> 6) & 0xf; }
static uint64_t rd_pan(Arm64Cpu *c, const A64SysReg *r) { (void)r; return (uint64_t)c->pan << 22; }
static void wr_pan(Arm64Cpu *c, const A64SysReg *r, uint64_t v)
{
    (void)r;
    c->pan = (v >> 22) & 1;
    a64_tlb_flush(c);
}
static uint64_t rd_currentel(Arm64Cpu *c, const A64SysReg *r) { (void)r; return (uint64_t)c->el << 2; }
static uint64_t rd_spsel(Arm64Cpu *c, const A64SysReg *r) { (void)r; return c->spsel; }
static void wr_spsel(Arm64Cpu *c, const A64SysReg *r, uint64_t v)
{
    (void)r;
    a64_select_sp(c, v & 1);
}
static uint64_t rd_sp_el0(Arm64Cpu *c, const A64SysReg *r)
{
    (void)r;
    return c->spsel == 0 ? c->x[A64_SP] : c->sp_el[0];
}
static void wr_sp_el0(Arm64Cpu *c, const A64SysReg *r, uint64_t v)
{
    (void)r;
    if (c->spsel == 0)
        c->x[A64_SP] = v;
    else
        c->sp_el[0] = v;
}
/* SP_EL1 is only accessible from EL2, where it is always the banked copy (D17.2.130). */
static uint64_t rd_sp_el1(Arm64Cpu *c, const A64SysReg *r) { (void)r; return c->sp_el[1]; }
static void wr_sp_el1(Arm64Cpu *c, const A64SysReg *r, uint64_t v) { (void)r; c->sp_el[1] = v; }
/* ID_AA64PFR0_EL1 (D19.2.67): EL0 and EL1 AArch64 only, EL2 when present (AArch64), no EL3;
 * FP and AdvSIMD per A64_PFR0_FP; GIC (bits 27:24) = 1 when the core is wired to a GICv3's
 * System-register interface, 0 with a GICv2 (whose ICC_* encodings are then UNDEFINED). */
static uint64_t rd_pfr0(Arm64Cpu *c, const A64SysReg *r)
{
    (void)r;
    return 0x00000011ULL | (c->gic ? 0x01000000ULL : 0) | A64_PFR0_FP | (c->has_el2 ? 0x100ULL : 0);
}
/* LO (bits 19:16) = 1 with FEAT_LOR; VH (bits 11:8) = 1 with VHE and EL2; PAN (bits 23:20) = 1
 * with FEAT_PAN. */
static uint64_t rd_mmfr1(Arm64Cpu *c, const A64SysReg *r)
{
    (void)r;
    return (c->has_lor ? 0x10000ULL : 0) | (c->has_vhe ? 0x100ULL : 0) | (c->has_pan ? 0x100000ULL : 0);
}
/* The model's identification values (cpu/arm64/models.c). */
static uint64_t rd_isar0(Arm64Cpu *c, const A64SysReg *r) { (void)r; return c->model->isar0; }
static uint64_t rd_isar1(Arm64Cpu *c, const A64SysReg *r) { (void)r; return c->model->isar1; }
static uint64_t rd_mmfr0(Arm64Cpu *c, const A64SysReg *r) { (void)r; return c->model->mmfr0; }
static uint64_t rd_dfr0(Arm64Cpu *c, const A64SysReg *r) { (void)r; return c->model->dfr0; }
static uint64_t rd_ctr(Arm64Cpu *c, const A64SysReg *r) { (void)r; return c->model->ctr; }
static uint64_t rd_clidr(Arm64Cpu *c, const A64SysReg *r) { (void)r; return c->model->clidr; }
/* CCSIDR_EL1 describes the cache CSSELR_EL1 selects: Level (bits 3:1) and InD (bit 0); L1D,
 * L1I and the unified L2 exist, anything else reads as 0 (UNKNOWN in the Arm ARM). */
static uint64_t rd_ccsidr(Arm64Cpu *c, const A64SysReg *r)
{
    (void)r;
    switch (c->sys[A64_SYS_CSSELR_EL1] & 0xf) {
    case 0: return c->model->ccsidr[0];
    case 1: return c->model->ccsidr[1];
    case 2: return c->model->ccsidr[2];
    default: return 0;
    }
}
/* OS Lock (D2.5): OSLAR_EL1.OSLK sets OSLSR_EL1.OSLK (bit 1); OSLM = 0b10 (bit 3): the OS
 * Lock is implemented. Locked from cold reset. */
static void wr_oslar(Arm64Cpu *c, const A64SysReg *r, uint64_t v)
{
    (void)r;
    c->sys[A64_SYS_OSLSR_EL1] = 0x8 | (v & 1) << 1;
}
/* Claim tags: DBGCLAIMSET_EL1 reads the implemented tags (8), writes set; DBGCLAIMCLR_EL1 reads
 * the tags, writes clear. */
static uint64_t rd_claimset(Arm64Cpu *c, const A64SysReg *r) { (void)c; (void)r; return 0xff; }
static void wr_claimset(Arm64Cpu *c, const A64SysReg *r, uint64_t v) { (void)r; c->sys[A64_SYS_DBGCLAIM] |= v & 0xff; }
static uint64_t rd_claimclr(Arm64Cpu *c, const A64SysReg *r) { (void)r; return c->sys[A64_SYS_DBGCLAIM]; }
static void wr_claimclr(Arm64Cpu *c, const A64SysReg *r, uint64_t v) { (void)r; c->sys[A64_SYS_DBGCLAIM] &= ~(v & 0xff); }
static void wr_ignore(Arm64Cpu *c, const A64SysReg *r, uint64_t v) { (void)c; (void)r; (void)v; }
/* MDCR_EL2 partitions the PMU counters (HPMN) and enables the EL2 ones (HPME): count what
 * happened so far under the old value first. */
static void wr_mdcr(Arm64Cpu *c, const A64SysReg *r, uint64_t v)
{
    (void)r;
    a64_pmu_update(c);
    c->sys[A64_SYS_MDCR_EL2] = v;
    a64_pmu_set_mdcr(&c->pmu, c->has_el2, v);
}
/* HCR_EL2.E2H is RES0 without FEAT_VHE; RW is RES1 because EL1 is AArch64-only here
 * (ID_AA64PFR0_EL1.EL1 = 1), so a hypervisor cannot make EL1 AArch32. */
static void wr_hcr(Arm64Cpu *c, const A64SysReg *r, uint64_t v)
{
    (void)r;
    if (!c->has_vhe)
        v &= ~A64_HCR_E2H;
    v |= 1ULL << 31;
    c->sys[A64_SYS_HCR_EL2] = v;
}
/* ISR_EL1 (D17.2.84): pending IRQ (bit 7) and FIQ (bit 6); at EL0/EL1 under HCR_EL2.IMO/FMO
 * (and not TGE) the virtual ones, else the physical inputs. A (SError) is never pending. */
static uint64_t rd_isr(Arm64Cpu *c, const A64SysReg *r)
{
    (void)r;
    uint64_t hcr = a64_hcr(c), v = 0;
    bool guest = c->el < 2 && !(hcr & A64_HCR_TGE);
    bool irq = guest && (hcr & A64_HCR_IMO)
                   ? (hcr & A64_HCR_VI) || (c->irq_lines & (1u << A64_LINE_VIRQ))
                   : (c->irq_lines & (1u << A64_LINE_IRQ)) != 0;
    bool fiq = guest && (hcr & A64_HCR_FMO)
                   ? (hcr & A64_HCR_VF) || (c->irq_lines & (1u << A64_LINE_VFIQ))
                   : (c->irq_lines & (1u << A64_LINE_FIQ)) != 0;
    if (irq)
        v |= 1u << 7;
    if (fiq)
        v |= 1u << 6;
    return v;
}
/* DCZID_EL0: BS = 4 (64-byte blocks); DZP = 1 where DC ZVA would trap (SCTLR_EL1.DZE at EL0,
 * HCR_EL2.TDZ), as the Arm ARM requires. */
void a64_sys_trap_ctx(const Arm64Cpu *c, SysTrapCtx *t)
{
    *t = (SysTrapCtx){ .el = c->el, .el2_enabled = c->has_el2, .hcr = a64_hcr(c),
                       .cptr = c->sys[A64_SYS_CPTR_EL2], .mdcr = c->sys[A64_SYS_MDCR_EL2],
                       .hstr = c->sys[A64_SYS_HSTR_EL2], .sctlr_el1 = c->sys[A64_SYS_SCTLR_EL1],
                       .sctlr_el2 = c->sys[A64_SYS_SCTLR_EL2],
                       .cpacr_el1 = c->sys[A64_SYS_CPACR_EL1] };
}

static uint64_t rd_dczid(Arm64Cpu *c, const A64SysReg *r)
{
    SysTrapCtx t;
    a64_sys_trap_ctx(c, &t);
    return r->reset | (c->el < 2 && sys_trap_dczid_dzp(&t) ? 0x10 : 0);
}
static uint64_t rd_midr(Arm64Cpu *c, const A64SysReg *r)
{
    (void)r;
    return c->has_el2 && c->el == 1 ? c->sys[A64_SYS_VPIDR_EL2] : c->midr;
}
static uint64_t rd_mpidr(Arm64Cpu *c, const A64SysReg *r)
{
    (void)r;
    return c->has_el2 && c->el == 1 ? c->sys[A64_SYS_VMPIDR_EL2] : c->mpidr;
}
static uint64_t rd_const(Arm64Cpu *c, const A64SysReg *r) { (void)c; return r->reset; }
static uint64_t rd_cntpct(Arm64Cpu *c, const A64SysReg *r) { (void)r; return a64_counter(c); }
/* ELIsInHost(): EL2 with HCR_EL2.E2H, or EL0 with E2H and TGE (D5.6). */
static bool el_is_in_host(const Arm64Cpu *c)
{
    uint64_t h = a64_hcr(c);
    return (h & A64_HCR_E2H) && (c->el == 2 || (c->el == 0 && (h & A64_HCR_TGE)));
}
/* The virtual count is the physical count minus CNTVOFF_EL2, except in the EL2&0 host
 * regime (CNTVCT_EL0 pseudocode, D11.1.2). */
static uint64_t rd_cntvct(Arm64Cpu *c, const A64SysReg *r)
{
    (void)r;
    return a64_counter(c) - (el_is_in_host(c) ? 0 : arch_timer_cntvoff(c->timers));
}
/* Timer registers live in the per-core timer block (devices/arch_timer.c), which also
 * applies the E2H redirections of the _EL0 names to the EL2 timers. */
static uint64_t rd_timer(Arm64Cpu *c, const A64SysReg *r)
{
    uint64_t v = 0;
    arch_timer_sysreg(c->timers, r->key, false, &v, a64_now(c), el_is_in_host(c));
    return v;
}
static void wr_timer(Arm64Cpu *c, const A64SysReg *r, uint64_t v)
{
    arch_timer_sysreg(c->timers, r->key, true, &v, a64_now(c), el_is_in_host(c));
}
static uint64_t rd_cntvoff(Arm64Cpu *c, const A64SysReg *r) { (void)r; return arch_timer_cntvoff(c->timers); }
static void wr_cntvoff(Arm64Cpu *c, const A64SysReg *r, uint64_t v)
{
    (void)r;
    arch_timer_set_cntvoff(c->timers, v, a64_now(c));
}
static uint64_t rd_cntfrq(Arm64Cpu *c, const A64SysReg *r) { (void)c; (void)r; return A64_CNTFRQ_HZ; }

static const A64SysReg sysregs[] = {
    /* special-purpose registers */
    { "NZCV", K(3, 3, 4, 2, 0), 0, A64_SR_RW, -1, 0, 0, rd_nzcv, wr_nzcv, 0, NULL, 0 },
    { "DAIF", K(3, 3, 4, 2, 1), 0, A64_SR_RW, -1, 0, 0, rd_daif, wr_daif, 0, NULL, 0 },
    { "CurrentEL", K(3, 0, 4, 2, 2), 1, A64_SR_R, -1, 0, 0, rd_currentel, NULL, 0, NULL, 0 },
    { "PAN", K(3, 0, 4, 2, 3), 1, A64_SR_RW, -1, 0, 0, rd_pan, wr_pan, A64_FEAT_PAN, NULL, 0 },
    { "SPSel", K(3, 0, 4, 2, 0), 1, A64_SR_RW, -1, 0, 0, rd_spsel, wr_spsel, 0, NULL, 0 },
    { "SP_EL0", K(3, 0, 4, 1, 0), 1, A64_SR_RW, -1, 0, 0, rd_sp_el0, wr_sp_el0, 0, NULL, 0 },
    { "SP_EL1", K(3, 4, 4, 1, 0), 2, A64_SR_RW, -1, 0, 0, rd_sp_el1, wr_sp_el1, 0, NULL, 0 },
    /* FPCR: AHP, DN, FZ, RMode. FZ16 is RES0 without FEAT_FP16 (no model has it); the
     * exception trap enables are RAZ/WI (hvsim does not trap floating-point exceptions, an
     * implementation choice the Arm ARM allows); Len and Stride are RES0 without AArch32
     * (QEMU keeps them writable) */
    { "FPCR", K(3, 3, 4, 4, 0), 0, A64_SR_RW, A64_SYS_FPCR, 0, 0x07c00000ULL, NULL, NULL, 0, NULL, 0 },
    { "FPSR", K(3, 3, 4, 4, 1), 0, A64_SR_RW, A64_SYS_FPSR, 0, 0xf800009fULL, NULL, NULL, 0, NULL, 0 },
    /* identification: the model's values (cpu/arm64/models.c); the rest of the ID space
     * (op0 3, op1 0, CRn 0, CRm 1-7) reads as zero, see a64_sysreg_id_space_raz */
    { "MIDR_EL1", K(3, 0, 0, 0, 0), 1, A64_SR_R, -1, 0, 0, rd_midr, NULL, 0, NULL, 0 },
    { "MPIDR_EL1", K(3, 0, 0, 0, 5), 1, A64_SR_R, -1, 0, 0, rd_mpidr, NULL, 0, NULL, 0 },
    { "REVIDR_EL1", K(3, 0, 0, 0, 6), 1, A64_SR_R, -1, 0, 0, rd_const, NULL, 0, NULL, 0 },
    { "ID_AA64PFR0_EL1", K(3, 0, 0, 4, 0), 1, A64_SR_R, -1, 0, 0, rd_pfr0, NULL, 0, NULL, 0 },
    { "ID_AA64PFR1_EL1", K(3, 0, 0, 4, 1), 1, A64_SR_R, -1, 0, 0, rd_const, NULL, 0, NULL, 0 },
    { "ID_AA64DFR0_EL1", K(3, 0, 0, 5, 0), 1, A64_SR_R, -1, 0, 0, rd_dfr0, NULL, 0, NULL, 0 },
    { "ID_AA64DFR1_EL1", K(3, 0, 0, 5, 1), 1, A64_SR_R, -1, 0, 0, rd_const, NULL, 0, NULL, 0 },
    { "ID_AA64AFR0_EL1", K(3, 0, 0, 5, 4), 1, A64_SR_R, -1, 0, 0, rd_const, NULL, 0, NULL, 0 },
    { "ID_AA64AFR1_EL1", K(3, 0, 0, 5, 5), 1, A64_SR_R, -1, 0, 0, rd_const, NULL, 0, NULL, 0 },
    /* CRC32 (bits 19:16 = 1), atomics LSE (bits 23:20 = 2) */
    { "ID_AA64ISAR0_EL1", K(3, 0, 0, 6, 0), 1, A64_SR_R, -1, 0, 0, rd_isar0, NULL, 0, NULL, 0 },
    /* LRCPC (bits 23:20) = 2: LDAPR and the unscaled LDAPUR/STLUR forms */
    { "ID_AA64ISAR1_EL1", K(3, 0, 0, 6, 1), 1, A64_SR_R, -1, 0, 0, rd_isar1, NULL, 0, NULL, 0 },
    { "ID_AA64ISAR2_EL1", K(3, 0, 0, 6, 2), 1, A64_SR_R, -1, 0, 0, rd_const, NULL, 0, NULL, 0 },
    /* PARange 40 bits, ASID 16 bits, 4K, 16K (TGran16 = 1) and 64K granules */
    { "ID_AA64MMFR0_EL1", K(3, 0, 0, 7, 0), 1, A64_SR_R, -1, 0, 0, rd_mmfr0, NULL, 0, NULL, 0 },
    { "ID_AA64MMFR1_EL1", K(3, 0, 0, 7, 1), 1, A64_SR_R, -1, 0, 0, rd_mmfr1, NULL, 0, NULL, 0 },
    { "ID_AA64MMFR2_EL1", K(3, 0, 0, 7, 2), 1, A64_SR_R, -1, 0, 0, rd_const, NULL, 0, NULL, 0 },
    { "CTR_EL0", K(3, 3, 0, 0, 1), 0, A64_SR_R, -1, 0, 0, rd_ctr, NULL, 0, NULL, 0 },
    /* DC ZVA block of 64 bytes (BS = 4), permitted */
    { "DCZID_EL0", K(3, 3, 0, 0, 7), 0, A64_SR_R, -1, 4, 0, rd_dczid, NULL, 0, NULL, 0 },
    { "CLIDR_EL1", K(3, 1, 0, 0, 1), 1, A64_SR_R, -1, 0, 0, rd_clidr, NULL, 0, NULL, 0 },
    { "CCSIDR_EL1", K(3, 1, 0, 0, 0), 1, A64_SR_R, -1, 0, 0, rd_ccsidr, NULL, 0, NULL, 0 },
    { "AIDR_EL1", K(3, 1, 0, 0, 7), 1, A64_SR_R, -1, 0, 0, rd_const, NULL, 0, NULL, 0 },
    { "CSSELR_EL1", K(3, 2, 0, 0, 0), 1, A64_SR_RW, A64_SYS_CSSELR_EL1, 0, 0xf, NULL, NULL, 0, NULL, 0 },
    /* EL1 system control and translation */
    { "SCTLR_EL1", K(3, 0, 1, 0, 0), 1, A64_SR_RW, A64_SYS_SCTLR_EL1, 0x30d00800ULL, FULL, NULL, NULL, 0, NULL, 0 },
    { "ACTLR_EL1", K(3, 0, 1, 0, 1), 1, A64_SR_RW, A64_SYS_ACTLR_EL1, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "CPACR_EL1", K(3, 0, 1, 0, 2), 1, A64_SR_RW, A64_SYS_CPACR_EL1, 0, 0x30300000ULL, NULL, NULL, 0, NULL, 0 },
    { "TTBR0_EL1", K(3, 0, 2, 0, 0), 1, A64_SR_RW, A64_SYS_TTBR0_EL1, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "TTBR1_EL1", K(3, 0, 2, 0, 1), 1, A64_SR_RW, A64_SYS_TTBR1_EL1, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "TCR_EL1", K(3, 0, 2, 0, 2), 1, A64_SR_RW, A64_SYS_TCR_EL1, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "AFSR0_EL1", K(3, 0, 5, 1, 0), 1, A64_SR_RW, A64_SYS_AFSR0_EL1, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "AFSR1_EL1", K(3, 0, 5, 1, 1), 1, A64_SR_RW, A64_SYS_AFSR1_EL1, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "ESR_EL1", K(3, 0, 5, 2, 0), 1, A64_SR_RW, A64_SYS_ESR_EL1, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "FAR_EL1", K(3, 0, 6, 0, 0), 1, A64_SR_RW, A64_SYS_FAR_EL1, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "PAR_EL1", K(3, 0, 7, 4, 0), 1, A64_SR_RW, A64_SYS_PAR_EL1, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "MAIR_EL1", K(3, 0, 10, 2, 0), 1, A64_SR_RW, A64_SYS_MAIR_EL1, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "AMAIR_EL1", K(3, 0, 10, 3, 0), 1, A64_SR_RW, A64_SYS_AMAIR_EL1, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "ISR_EL1", K(3, 0, 12, 1, 0), 1, A64_SR_R, -1, 0, 0, rd_isr, NULL, 0, NULL, 0 },
    { "VBAR_EL1", K(3, 0, 12, 0, 0), 1, A64_SR_RW, A64_SYS_VBAR_EL1, 0, ~(uint64_t)0x7ff, NULL, NULL, 0, NULL, 0 },
    { "CONTEXTIDR_EL1", K(3, 0, 13, 0, 1), 1, A64_SR_RW, A64_SYS_CONTEXTIDR_EL1, 0, 0xffffffffULL, NULL, NULL, 0, NULL, 0 },
    { "TPIDR_EL1", K(3, 0, 13, 0, 4), 1, A64_SR_RW, A64_SYS_TPIDR_EL1, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "ELR_EL1", K(3, 0, 4, 0, 1), 1, A64_SR_RW, A64_SYS_ELR_EL1, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "SPSR_EL1", K(3, 0, 4, 0, 0), 1, A64_SR_RW, A64_SYS_SPSR_EL1, 0, FULL, NULL, NULL, 0, NULL, 0 },
    /* self-hosted debug (D2, D19.3): the debug exceptions these enable are in debug.c */
    { "MDSCR_EL1", K(2, 0, 0, 2, 2), 1, A64_SR_RW, A64_SYS_MDSCR_EL1, 0, 0xe0f041ULL, NULL, a64_debug_write_ctrl, 0, NULL, 0 },
    { "OSLAR_EL1", K(2, 0, 1, 0, 4), 1, A64_SR_W, -1, 0, 0, NULL, wr_oslar, 0, NULL, 0 },
    { "OSLSR_EL1", K(2, 0, 1, 1, 4), 1, A64_SR_R, A64_SYS_OSLSR_EL1, 0xa, 0, NULL, NULL, 0, NULL, 0 },
    { "OSDLR_EL1", K(2, 0, 1, 3, 4), 1, A64_SR_RW, A64_SYS_OSDLR_EL1, 0, 1, NULL, NULL, 0, NULL, 0 },
    { "DBGPRCR_EL1", K(2, 0, 1, 4, 4), 1, A64_SR_RW, A64_SYS_DBGPRCR_EL1, 0, 1, NULL, NULL, 0, NULL, 0 },
    { "MDRAR_EL1", K(2, 0, 1, 0, 0), 1, A64_SR_R, -1, 0, 0, rd_const, NULL, 0, NULL, 0 },
    { "MDCCINT_EL1", K(2, 0, 0, 2, 0), 1, A64_SR_RW, A64_SYS_MDCCINT_EL1, 0, 0x60000000ULL, NULL, NULL, 0, NULL, 0 },
    { "OSDTRRX_EL1", K(2, 0, 0, 0, 2), 1, A64_SR_RW, A64_SYS_OSDTRRX_EL1, 0, 0xffffffffULL, NULL, NULL, 0, NULL, 0 },
    { "OSDTRTX_EL1", K(2, 0, 0, 3, 2), 1, A64_SR_RW, A64_SYS_OSDTRTX_EL1, 0, 0xffffffffULL, NULL, NULL, 0, NULL, 0 },
    { "OSECCR_EL1", K(2, 0, 0, 6, 2), 1, A64_SR_RW, A64_SYS_OSECCR_EL1, 0, 0xffffffffULL, NULL, NULL, 0, NULL, 0 },
    { "DBGCLAIMSET_EL1", K(2, 0, 7, 8, 6), 1, A64_SR_RW, -1, 0, 0, rd_claimset, wr_claimset, 0, NULL, 0 },
    { "DBGCLAIMCLR_EL1", K(2, 0, 7, 9, 6), 1, A64_SR_RW, -1, 0, 0, rd_claimclr, wr_claimclr, 0, NULL, 0 },
    /* no Secure state: Non-secure invasive and non-invasive debug implemented and enabled */
    { "DBGAUTHSTATUS_EL1", K(2, 0, 7, 14, 6), 1, A64_SR_R, -1, 0xf, 0, rd_const, NULL, 0, NULL, 0 },
    /* the Debug Communications Channel has no external debugger behind it: never full,
     * never anything to receive, transmits go nowhere */
    { "MDCCSR_EL0", K(2, 3, 0, 1, 0), 0, A64_SR_R, -1, 0, 0, rd_const, NULL, 0, NULL, 0 },
    { "DBGDTR_EL0", K(2, 3, 0, 4, 0), 0, A64_SR_RW, -1, 0, 0, rd_const, wr_ignore, 0, NULL, 0 },
    { "DBGDTRRX_EL0", K(2, 3, 0, 5, 0), 0, A64_SR_RW, -1, 0, 0, rd_const, wr_ignore, 0, NULL, 0 },
#define BRP(n) \
    { "DBGBVR" #n "_EL1", K(2, 0, 0, n, 4), 1, A64_SR_RW, A64_SYS_DBGBVR0 + n, 0, ~3ULL, NULL, NULL, 0, NULL, 0 }, \
    { "DBGBCR" #n "_EL1", K(2, 0, 0, n, 5), 1, A64_SR_RW, A64_SYS_DBGBCR0 + n, 0, 0x00ffe1e7ULL, NULL, a64_debug_write_ctrl, 0, NULL, 0 }
#define WRP(n) \
    { "DBGWVR" #n "_EL1", K(2, 0, 0, n, 6), 1, A64_SR_RW, A64_SYS_DBGWVR0 + n, 0, 0x001ffffffffffffcULL, NULL, a64_debug_write_ctrl, 0, NULL, 0 }, \
    { "DBGWCR" #n "_EL1", K(2, 0, 0, n, 7), 1, A64_SR_RW, A64_SYS_DBGWCR0 + n, 0, 0x1f1fffffULL, NULL, a64_debug_write_ctrl, 0, NULL, 0 }
    BRP(0), BRP(1), BRP(2), BRP(3), BRP(4), BRP(5),
    WRP(0), WRP(1), WRP(2), WRP(3),
#undef BRP
#undef WRP
    /* FEAT_LOR (D19.2.9x): no LORegions (LORID_EL1 = 0), the registers are storage; HCR_EL2.TLOR
     * traps them (hypervisor-model/sysreg_traps.c) */
    { "LORSA_EL1", K(3, 0, 10, 4, 0), 1, A64_SR_RW, A64_SYS_LORSA_EL1, 0, 0x0000ffffffff0001ULL, NULL, NULL, A64_FEAT_LOR, NULL, 0 },
    { "LOREA_EL1", K(3, 0, 10, 4, 1), 1, A64_SR_RW, A64_SYS_LOREA_EL1, 0, 0x0000ffffffff0000ULL, NULL, NULL, A64_FEAT_LOR, NULL, 0 },
    { "LORN_EL1", K(3, 0, 10, 4, 2), 1, A64_SR_RW, A64_SYS_LORN_EL1, 0, 0, NULL, NULL, A64_FEAT_LOR, NULL, 0 },
    { "LORC_EL1", K(3, 0, 10, 4, 3), 1, A64_SR_RW, A64_SYS_LORC_EL1, 0, 0x3fdULL, NULL, NULL, A64_FEAT_LOR, NULL, 0 },
    { "LORID_EL1", K(3, 0, 10, 4, 7), 1, A64_SR_R, -1, 0, 0, rd_const, NULL, A64_FEAT_LOR, NULL, 0 },
    { "TPIDR_EL0", K(3, 3, 13, 0, 2), 0, A64_SR_RW, A64_SYS_TPIDR_EL0, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "TPIDRRO_EL0", K(3, 3, 13, 0, 3), 0, A64_SR_RW, A64_SYS_TPIDRRO_EL0, 0, FULL, NULL, NULL, 0, NULL, 0 },
    /* EL2 (D17.2): plain storage for now; the trap rules they drive arrive with the exception
     * model. Reset values: SCTLR_EL2 RES1 bits, HCR_EL2 all zero (RW from reset is IMPDEF). */
    { "SCTLR_EL2", K(3, 4, 1, 0, 0), 2, A64_SR_RW, A64_SYS_SCTLR_EL2, 0x30c50830ULL, FULL, NULL, NULL, 0, NULL, 0 },
    { "ACTLR_EL2", K(3, 4, 1, 0, 1), 2, A64_SR_RW, A64_SYS_ACTLR_EL2, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "HCR_EL2", K(3, 4, 1, 1, 0), 2, A64_SR_RW, A64_SYS_HCR_EL2, 0x80000000ULL, FULL, NULL, wr_hcr, 0, NULL, 0 },
    { "MDCR_EL2", K(3, 4, 1, 1, 1), 2, A64_SR_RW, A64_SYS_MDCR_EL2, 6, FULL, NULL, wr_mdcr, 0, NULL, 0 },
    { "CPTR_EL2", K(3, 4, 1, 1, 2), 2, A64_SR_RW, A64_SYS_CPTR_EL2, 0x33ffULL, FULL, NULL, NULL, 0, NULL, 0 },
    { "HSTR_EL2", K(3, 4, 1, 1, 3), 2, A64_SR_RW, A64_SYS_HSTR_EL2, 0, 0xffff, NULL, NULL, 0, NULL, 0 },
    { "HACR_EL2", K(3, 4, 1, 1, 7), 2, A64_SR_RW, A64_SYS_HACR_EL2, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "TTBR0_EL2", K(3, 4, 2, 0, 0), 2, A64_SR_RW, A64_SYS_TTBR0_EL2, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "TCR_EL2", K(3, 4, 2, 0, 2), 2, A64_SR_RW, A64_SYS_TCR_EL2, 0x80800000ULL, FULL, NULL, NULL, 0, NULL, 0 },
    { "VTTBR_EL2", K(3, 4, 2, 1, 0), 2, A64_SR_RW, A64_SYS_VTTBR_EL2, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "VTCR_EL2", K(3, 4, 2, 1, 2), 2, A64_SR_RW, A64_SYS_VTCR_EL2, 0x80000000ULL, FULL, NULL, NULL, 0, NULL, 0 },
    { "SPSR_EL2", K(3, 4, 4, 0, 0), 2, A64_SR_RW, A64_SYS_SPSR_EL2, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "ELR_EL2", K(3, 4, 4, 0, 1), 2, A64_SR_RW, A64_SYS_ELR_EL2, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "AFSR0_EL2", K(3, 4, 5, 1, 0), 2, A64_SR_RW, A64_SYS_AFSR0_EL2, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "AFSR1_EL2", K(3, 4, 5, 1, 1), 2, A64_SR_RW, A64_SYS_AFSR1_EL2, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "ESR_EL2", K(3, 4, 5, 2, 0), 2, A64_SR_RW, A64_SYS_ESR_EL2, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "FAR_EL2", K(3, 4, 6, 0, 0), 2, A64_SR_RW, A64_SYS_FAR_EL2, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "HPFAR_EL2", K(3, 4, 6, 0, 4), 2, A64_SR_RW, A64_SYS_HPFAR_EL2, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "MAIR_EL2", K(3, 4, 10, 2, 0), 2, A64_SR_RW, A64_SYS_MAIR_EL2, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "AMAIR_EL2", K(3, 4, 10, 3, 0), 2, A64_SR_RW, A64_SYS_AMAIR_EL2, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "VBAR_EL2", K(3, 4, 12, 0, 0), 2, A64_SR_RW, A64_SYS_VBAR_EL2, 0, ~(uint64_t)0x7ff, NULL, NULL, 0, NULL, 0 },
    { "TPIDR_EL2", K(3, 4, 13, 0, 2), 2, A64_SR_RW, A64_SYS_TPIDR_EL2, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "VPIDR_EL2", K(3, 4, 0, 0, 0), 2, A64_SR_RW, A64_SYS_VPIDR_EL2, 0, 0xffffffffULL, NULL, NULL, 0, NULL, 0 },
    { "VMPIDR_EL2", K(3, 4, 0, 0, 5), 2, A64_SR_RW, A64_SYS_VMPIDR_EL2, 0, FULL, NULL, NULL, 0, NULL, 0 },
    { "CNTHCTL_EL2", K(3, 4, 14, 1, 0), 2, A64_SR_RW, A64_SYS_CNTHCTL_EL2, 3, FULL, NULL, NULL, 0, NULL, 0 },
    { "CNTVOFF_EL2", K(3, 4, 14, 0, 3), 2, A64_SR_RW, -1, 0, FULL, rd_cntvoff, wr_cntvoff, 0, NULL, 0 },
    /* FEAT_VHE: the EL2&0 regime's second table base and context ID */
    { "TTBR1_EL2", K(3, 4, 2, 0, 1), 2, A64_SR_RW, A64_SYS_TTBR1_EL2, 0, FULL, NULL, NULL, A64_FEAT_VHE, NULL, 0 },
    { "CONTEXTIDR_EL2", K(3, 4, 13, 0, 1), 2, A64_SR_RW, A64_SYS_CONTEXTIDR_EL2, 0, 0xffffffffULL, NULL, NULL, A64_FEAT_VHE, NULL, 0 },
    /* *_EL12: the EL1 registers as EL2 sees them with HCR_EL2.E2H = 1 (D5.6.2) */
    { "SCTLR_EL12", K(3, 5, 1, 0, 0), 2, A64_SR_RW, A64_SYS_SCTLR_EL1, 0, FULL, NULL, NULL, A64_FEAT_E2H_ALIAS, NULL, 0 },
    { "CPACR_EL12", K(3, 5, 1, 0, 2), 2, A64_SR_RW, A64_SYS_CPACR_EL1, 0, 0x30300000ULL, NULL, NULL, A64_FEAT_E2H_ALIAS, NULL, 0 },
    { "TTBR0_EL12", K(3, 5, 2, 0, 0), 2, A64_SR_RW, A64_SYS_TTBR0_EL1, 0, FULL, NULL, NULL, A64_FEAT_E2H_ALIAS, NULL, 0 },
    { "TTBR1_EL12", K(3, 5, 2, 0, 1), 2, A64_SR_RW, A64_SYS_TTBR1_EL1, 0, FULL, NULL, NULL, A64_FEAT_E2H_ALIAS, NULL, 0 },
    { "TCR_EL12", K(3, 5, 2, 0, 2), 2, A64_SR_RW, A64_SYS_TCR_EL1, 0, FULL, NULL, NULL, A64_FEAT_E2H_ALIAS, NULL, 0 },
    { "SPSR_EL12", K(3, 5, 4, 0, 0), 2, A64_SR_RW, A64_SYS_SPSR_EL1, 0, FULL, NULL, NULL, A64_FEAT_E2H_ALIAS, NULL, 0 },
    { "ELR_EL12", K(3, 5, 4, 0, 1), 2, A64_SR_RW, A64_SYS_ELR_EL1, 0, FULL, NULL, NULL, A64_FEAT_E2H_ALIAS, NULL, 0 },
    { "AFSR0_EL12", K(3, 5, 5, 1, 0), 2, A64_SR_RW, A64_SYS_AFSR0_EL1, 0, FULL, NULL, NULL, A64_FEAT_E2H_ALIAS, NULL, 0 },
    { "AFSR1_EL12", K(3, 5, 5, 1, 1), 2, A64_SR_RW, A64_SYS_AFSR1_EL1, 0, FULL, NULL, NULL, A64_FEAT_E2H_ALIAS, NULL, 0 },
    { "ESR_EL12", K(3, 5, 5, 2, 0), 2, A64_SR_RW, A64_SYS_ESR_EL1, 0, FULL, NULL, NULL, A64_FEAT_E2H_ALIAS, NULL, 0 },
    { "FAR_EL12", K(3, 5, 6, 0, 0), 2, A64_SR_RW, A64_SYS_FAR_EL1, 0, FULL, NULL, NULL, A64_FEAT_E2H_ALIAS, NULL, 0 },
    { "MAIR_EL12", K(3, 5, 10, 2, 0), 2, A64_SR_RW, A64_SYS_MAIR_EL1, 0, FULL, NULL, NULL, A64_FEAT_E2H_ALIAS, NULL, 0 },
    { "AMAIR_EL12", K(3, 5, 10, 3, 0), 2, A64_SR_RW, A64_SYS_AMAIR_EL1, 0, FULL, NULL, NULL, A64_FEAT_E2H_ALIAS, NULL, 0 },
    { "VBAR_EL12", K(3, 5, 12, 0, 0), 2, A64_SR_RW, A64_SYS_VBAR_EL1, 0, ~(uint64_t)0x7ff, NULL, NULL, A64_FEAT_E2H_ALIAS, NULL, 0 },
    { "CONTEXTIDR_EL12", K(3, 5, 13, 0, 1), 2, A64_SR_RW, A64_SYS_CONTEXTIDR_EL1, 0, 0xffffffffULL, NULL, NULL, A64_FEAT_E2H_ALIAS, NULL, 0 },
    { "CNTKCTL_EL12", K(3, 5, 14, 1, 0), 2, A64_SR_RW, A64_SYS_CNTKCTL_EL1, 0, 0x3ff, NULL, NULL, A64_FEAT_E2H_ALIAS, NULL, 0 },
    /* generic timer (D11); EL0 access is gated by CNTKCTL_EL1 once traps are modelled */
    { "CNTFRQ_EL0", K(3, 3, 14, 0, 0), 0, A64_SR_R, -1, 0, 0, rd_cntfrq, NULL, 0, NULL, 0 },
    { "CNTPCT_EL0", K(3, 3, 14, 0, 1), 0, A64_SR_R, -1, 0, 0, rd_cntpct, NULL, 0, NULL, 0 },
    { "CNTVCT_EL0", K(3, 3, 14, 0, 2), 0, A64_SR_R, -1, 0, 0, rd_cntvct, NULL, 0, NULL, 0 },
    { "CNTKCTL_EL1", K(3, 0, 14, 1, 0), 1, A64_SR_RW, A64_SYS_CNTKCTL_EL1, 0, 0x3ff, NULL, NULL, 0, NULL, 0 },
    { "CNTP_TVAL_EL0", K(3, 3, 14, 2, 0), 0, A64_SR_RW, -1, 0, FULL, rd_timer, wr_timer, 0, NULL, 0 },
    { "CNTP_CTL_EL0", K(3, 3, 14, 2, 1), 0, A64_SR_RW, -1, 0, FULL, rd_timer, wr_timer, 0, NULL, 0 },
    { "CNTP_CVAL_EL0", K(3, 3, 14, 2, 2), 0, A64_SR_RW, -1, 0, FULL, rd_timer, wr_timer, 0, NULL, 0 },
    { "CNTV_TVAL_EL0", K(3, 3, 14, 3, 0), 0, A64_SR_RW, -1, 0, FULL, rd_timer, wr_timer, 0, NULL, 0 },
    { "CNTV_CTL_EL0", K(3, 3, 14, 3, 1), 0, A64_SR_RW, -1, 0, FULL, rd_timer, wr_timer, 0, NULL, 0 },
    { "CNTV_CVAL_EL0", K(3, 3, 14, 3, 2), 0, A64_SR_RW, -1, 0, FULL, rd_timer, wr_timer, 0, NULL, 0 },
    { "CNTHP_TVAL_EL2", K(3, 4, 14, 2, 0), 2, A64_SR_RW, -1, 0, FULL, rd_timer, wr_timer, 0, NULL, 0 },
    { "CNTHP_CTL_EL2", K(3, 4, 14, 2, 1), 2, A64_SR_RW, -1, 0, FULL, rd_timer, wr_timer, 0, NULL, 0 },
    { "CNTHP_CVAL_EL2", K(3, 4, 14, 2, 2), 2, A64_SR_RW, -1, 0, FULL, rd_timer, wr_timer, 0, NULL, 0 },
    { "CNTHV_TVAL_EL2", K(3, 4, 14, 3, 0), 2, A64_SR_RW, -1, 0, FULL, rd_timer, wr_timer, A64_FEAT_VHE, NULL, 0 },
    { "CNTHV_CTL_EL2", K(3, 4, 14, 3, 1), 2, A64_SR_RW, -1, 0, FULL, rd_timer, wr_timer, A64_FEAT_VHE, NULL, 0 },
    { "CNTHV_CVAL_EL2", K(3, 4, 14, 3, 2), 2, A64_SR_RW, -1, 0, FULL, rd_timer, wr_timer, A64_FEAT_VHE, NULL, 0 },
    { "CNTP_TVAL_EL02", K(3, 5, 14, 2, 0), 2, A64_SR_RW, -1, 0, FULL, rd_timer, wr_timer, A64_FEAT_E2H_ALIAS, NULL, 0 },
    { "CNTP_CTL_EL02", K(3, 5, 14, 2, 1), 2, A64_SR_RW, -1, 0, FULL, rd_timer, wr_timer, A64_FEAT_E2H_ALIAS, NULL, 0 },
    { "CNTP_CVAL_EL02", K(3, 5, 14, 2, 2), 2, A64_SR_RW, -1, 0, FULL, rd_timer, wr_timer, A64_FEAT_E2H_ALIAS, NULL, 0 },
    { "CNTV_TVAL_EL02", K(3, 5, 14, 3, 0), 2, A64_SR_RW, -1, 0, FULL, rd_timer, wr_timer, A64_FEAT_E2H_ALIAS, NULL, 0 },
    { "CNTV_CTL_EL02", K(3, 5, 14, 3, 1), 2, A64_SR_RW, -1, 0, FULL, rd_timer, wr_timer, A64_FEAT_E2H_ALIAS, NULL, 0 },
    { "CNTV_CVAL_EL02", K(3, 5, 14, 3, 2), 2, A64_SR_RW, -1, 0, FULL, rd_timer, wr_timer, A64_FEAT_E2H_ALIAS, NULL, 0 },
};

/* Generic-timer access controls (D11.2.2, CNTKCTL_EL1 / CNTHCTL_EL2): 0 = allowed, else the
 * EL the access traps to with EC 0x18. Only for keys op0 = 3, op1 = 3, CRn = 14. */
int a64_timer_access_trap(const Arm64Cpu *c, uint32_t key)
{
    if (c->el >= 2 || ((key >> 11) & 7) != 3 || ((key >> 7) & 15) != 14 || (key >> 14) != 3)
        return 0;
    unsigned crm = (key >> 3) & 15, op2 = key & 7;
    enum { FRQ, PCT, VCT, PTIMER, VTIMER, OTHER } kind =
        crm == 0 ? (op2 == 0 ? FRQ : op2 == 1 ? PCT : op2 == 2 ? VCT : OTHER)
        : crm == 2 ? PTIMER : crm == 3 ? VTIMER : OTHER;
    if (kind == OTHER)
        return 0;
    uint64_t hcr = a64_hcr(c);
    bool e2h = hcr & A64_HCR_E2H, tge = hcr & A64_HCR_TGE;
    uint64_t hctl = c->has_el2 ? c->sys[A64_SYS_CNTHCTL_EL2] : ~0ULL;
    if (c->el == 0) {
        /* EL0: CNTKCTL_EL1, or CNTHCTL_EL2 in the same layout when EL0 is in the host */
        bool host = e2h && tge;
        uint64_t k = host ? hctl : c->sys[A64_SYS_CNTKCTL_EL1];
        bool ok = kind == FRQ ? (k & 3) != 0 : kind == PCT ? (k & 1) : kind == VCT ? (k & 2)
                  : kind == PTIMER ? (k & (1u << 9)) : (k & (1u << 8));
        if (!ok)
            return host || tge ? 2 : 1;
        if (host)
            return 0;
    }
    if (!c->has_el2 || tge)
        return 0;
    /* EL1 (and EL0 after CNTKCTL): the physical counter and timer under CNTHCTL_EL2 */
    unsigned pct_bit = e2h ? 10 : 0, pten_bit = e2h ? 11 : 1;
    if (kind == PCT && !(hctl & (1ULL << pct_bit)))
        return 2;
    if (kind == PTIMER && !(hctl & (1ULL << pten_bit)))
        return 2;
    return 0;
}

bool a64_sysreg_accessible(const Arm64Cpu *c, const A64SysReg *r)
{
    switch (r->feat) {
    case A64_FEAT_VHE:
        return c->has_vhe;
    case A64_FEAT_PAN:
        return c->has_pan;
    case A64_FEAT_LOR:
        return c->has_lor;
    case A64_FEAT_E2H_ALIAS:
        return c->el == 2 && (a64_hcr(c) & A64_HCR_E2H);
    default:
        return true;
    }
}

/* EL1 name -> EL2 register under HCR_EL2.E2H at EL2 (D5.6.2, "Register redirection"). */
static const uint32_t e2h_pairs[][2] = {
    { K(3, 0, 1, 0, 0), K(3, 4, 1, 0, 0) },     /* SCTLR */
    { K(3, 0, 1, 0, 2), K(3, 4, 1, 1, 2) },     /* CPACR_EL1 -> CPTR_EL2 */
    { K(3, 0, 2, 0, 0), K(3, 4, 2, 0, 0) },     /* TTBR0 */
    { K(3, 0, 2, 0, 1), K(3, 4, 2, 0, 1) },     /* TTBR1 */
    { K(3, 0, 2, 0, 2), K(3, 4, 2, 0, 2) },     /* TCR */
    { K(3, 0, 4, 0, 0), K(3, 4, 4, 0, 0) },     /* SPSR */
    { K(3, 0, 4, 0, 1), K(3, 4, 4, 0, 1) },     /* ELR */
    { K(3, 0, 5, 1, 0), K(3, 4, 5, 1, 0) },     /* AFSR0 */
    { K(3, 0, 5, 1, 1), K(3, 4, 5, 1, 1) },     /* AFSR1 */
    { K(3, 0, 5, 2, 0), K(3, 4, 5, 2, 0) },     /* ESR */
    { K(3, 0, 6, 0, 0), K(3, 4, 6, 0, 0) },     /* FAR */
    { K(3, 0, 10, 2, 0), K(3, 4, 10, 2, 0) },   /* MAIR */
    { K(3, 0, 10, 3, 0), K(3, 4, 10, 3, 0) },   /* AMAIR */
    { K(3, 0, 12, 0, 0), K(3, 4, 12, 0, 0) },   /* VBAR */
    { K(3, 0, 13, 0, 1), K(3, 4, 13, 0, 1) },   /* CONTEXTIDR */
    { K(3, 0, 14, 1, 0), K(3, 4, 14, 1, 0) },   /* CNTKCTL_EL1 -> CNTHCTL_EL2 */
};

const A64SysReg *a64_sysreg_e2h_redirect(const A64SysReg *r)
{
    for (size_t i = 0; i < sizeof e2h_pairs / sizeof e2h_pairs[0]; i++)
        if (e2h_pairs[i][0] == r->key) {
            const A64SysReg *t = a64_sysreg_find(e2h_pairs[i][1]);
            return t ? t : r;
        }
    return r;
}

/* The one space: the core's table, then the blocks' (sysreg_blocks.c), in that order for
 * listings; encodings are unique across all of them (sys/unique_encodings). */
static const struct { const A64SysReg *regs; const size_t *n; } spaces[] = {
    { a64_pmu_sysregs, &a64_pmu_nsysregs },
    { a64_gic_sysregs, &a64_gic_nsysregs },
};

size_t a64_sysreg_count(void)
{
    size_t n = sizeof sysregs / sizeof sysregs[0];
    for (size_t i = 0; i < sizeof spaces / sizeof spaces[0]; i++)
        n += *spaces[i].n;
    return n;
}

const A64SysReg *a64_sysreg_at(size_t i)
{
    size_t n = sizeof sysregs / sizeof sysregs[0];
    if (i < n)
        return &sysregs[i];
    i -= n;
    for (size_t k = 0; k < sizeof spaces / sizeof spaces[0]; k++) {
        if (i < *spaces[k].n)
            return &spaces[k].regs[i];
        i -= *spaces[k].n;
    }
    return NULL;
}

const A64SysReg *a64_sysreg_find(uint32_t key)
{
    const A64SysReg *r;
    for (size_t i = 0; (r = a64_sysreg_at(i)); i++)
        if (r->key == key)
            return r;
    return NULL;
}

const A64SysReg *a64_sysreg_by_name(const char *name)
{
    const A64SysReg *r;
    for (size_t i = 0; (r = a64_sysreg_at(i)); i++)
        if (g_ascii_strcasecmp(r->name, name) == 0)
            return r;
    return NULL;
}

void a64_sysreg_reset(Arm64Cpu *c)
{
    memset(c->sys, 0, sizeof c->sys);
    for (size_t i = 0; i < sizeof sysregs / sizeof sysregs[0]; i++)
        if (sysregs[i].slot >= 0)
            c->sys[sysregs[i].slot] = sysregs[i].reset;
    /* VPIDR/VMPIDR reset to the real values (UNKNOWN in the Arm ARM; QEMU does the same) */
    c->sys[A64_SYS_VPIDR_EL2] = c->midr;
    c->sys[A64_SYS_VMPIDR_EL2] = c->mpidr;
}

uint64_t a64_sysreg_read(Arm64Cpu *c, const A64SysReg *r)
{
    if (r->read)
        return r->read(c, r);
    return c->sys[r->slot];
}

void a64_sysreg_write(Arm64Cpu *c, const A64SysReg *r, uint64_t v)
{
    if (r->write) {
        r->write(c, r, v);
        return;
    }
    if (r->slot >= 0)
        c->sys[r->slot] = (c->sys[r->slot] & ~r->writable) | (v & r->writable);
}
