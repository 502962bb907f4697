/* System-register trap rules (suite sysreg_traps): HCR_EL2 / CPTR_EL2 / MDCR_EL2 controls,
 * the EL1-first SCTLR_EL1 / CPACR_EL1 controls for EL0, and the TGE / E2H interactions. */
#include <criterion/criterion.h>
#include <string.h>
#include "cpu/arm64/sysreg.h"
#include "hypervisor-model/sysreg_traps.h"

#define K A64_SYSREG_KEY
#define HCR(b) (1ull << (b))
enum { TID1 = 16, TID2 = 17, TID3 = 18, TIDCP = 20, TACR = 21, TSW = 22, TPCP = 23, TPU = 24,
       TTLB = 25, TVM = 26, TGE = 27, TDZ = 28, TRVM = 30, E2H = 34 };
/* SCTLR_EL1 with UCT, DZE and UCI set: EL0 may use CTR_EL0, DC ZVA and cache maintenance */
#define SCTLR_EL0_OK ((1ull << 15) | (1ull << 14) | (1ull << 26))
#define CPACR_FP_OK (3ull << 20)

static const uint32_t SCTLR_EL1 = K(3, 0, 1, 0, 0), TTBR0_EL1 = K(3, 0, 2, 0, 0),
    TCR_EL1 = K(3, 0, 2, 0, 2), ESR_EL1 = K(3, 0, 5, 2, 0), CONTEXTIDR_EL1 = K(3, 0, 13, 0, 1),
    VBAR_EL1 = K(3, 0, 12, 0, 0), TPIDR_EL1 = K(3, 0, 13, 0, 4), CTR_EL0 = K(3, 3, 0, 0, 1),
    MIDR_EL1 = K(3, 0, 0, 0, 0), DC_ZVA = K(1, 3, 7, 4, 1), DC_CVAU = K(1, 3, 7, 11, 1),
    DC_CIVAC = K(1, 3, 7, 14, 1), DC_IVAC = K(1, 0, 7, 6, 1), DC_CISW = K(1, 0, 7, 14, 2),
    IC_IVAU = K(1, 3, 7, 5, 1), IC_IALLU = K(1, 0, 7, 5, 0), FPCR = K(3, 3, 4, 4, 0),
    FPSR = K(3, 3, 4, 4, 1), CPACR_EL1 = K(3, 0, 1, 0, 2), MDSCR_EL1 = K(2, 0, 0, 2, 2),
    OSLAR_EL1 = K(2, 0, 1, 0, 4), OSLSR_EL1 = K(2, 0, 1, 1, 4), MDRAR_EL1 = K(2, 0, 1, 0, 0),
    PMCR_EL0 = K(3, 3, 9, 12, 0), PMCCNTR_EL0 = K(3, 3, 9, 13, 0);

/* A guest at `el` under an enabled EL2 with the given HCR_EL2, everything else permissive. */
static SysTrapCtx guest(int el, uint64_t hcr)
{
    SysTrapCtx c = { .el = el, .el2_enabled = true, .hcr = hcr, .sctlr_el1 = SCTLR_EL0_OK,
                     .sctlr_el2 = SCTLR_EL0_OK, .cpacr_el1 = CPACR_FP_OK };
    return c;
}

#define NONE SYSTRAP_NONE
#define EL1 SYSTRAP_EL1
#define EL2 SYSTRAP_EL2

Test(sysreg_traps, tvm_traps_writes_trvm_traps_reads)
{
    uint32_t vm_regs[] = { SCTLR_EL1, TTBR0_EL1, K(3, 0, 2, 0, 1), TCR_EL1, ESR_EL1,
                           K(3, 0, 6, 0, 0), K(3, 0, 5, 1, 0), K(3, 0, 5, 1, 1),
                           K(3, 0, 10, 2, 0), K(3, 0, 10, 3, 0), CONTEXTIDR_EL1 };
    SysTrapCtx tvm = guest(1, HCR(TVM)), trvm = guest(1, HCR(TRVM));
    for (size_t i = 0; i < sizeof vm_regs / sizeof vm_regs[0]; i++) {
        cr_expect_eq(sys_trap_check(vm_regs[i], false, &tvm), EL2, "TVM write %#x", vm_regs[i]);
        cr_expect_eq(sys_trap_check(vm_regs[i], true, &tvm), NONE, "TVM read %#x", vm_regs[i]);
        cr_expect_eq(sys_trap_check(vm_regs[i], true, &trvm), EL2, "TRVM read %#x", vm_regs[i]);
        cr_expect_eq(sys_trap_check(vm_regs[i], false, &trvm), NONE, "TRVM wr %#x", vm_regs[i]);
    }
    cr_expect_str_eq(sys_trap_reason(TCR_EL1, false, &tvm), "HCR_EL2.TVM");
    cr_expect_str_eq(sys_trap_reason(TCR_EL1, true, &trvm), "HCR_EL2.TRVM");
    /* not virtual-memory controls */
    cr_expect_eq(sys_trap_check(VBAR_EL1, false, &tvm), NONE);
    cr_expect_eq(sys_trap_check(TPIDR_EL1, true, &trvm), NONE);
    cr_expect_null(sys_trap_reason(VBAR_EL1, false, &tvm));
}

Test(sysreg_traps, tvm_needs_el2_enabled_and_el1)
{
    SysTrapCtx c = guest(1, HCR(TVM) | HCR(TRVM));
    c.el2_enabled = false;
    cr_expect_eq(sys_trap_check(SCTLR_EL1, false, &c), NONE);
    c = guest(0, HCR(TVM));    /* EL0 cannot reach SCTLR_EL1 (UNDEFINED, the caller's job) */
    cr_expect_eq(sys_trap_check(SCTLR_EL1, false, &c), NONE);
    c = guest(2, HCR(TVM));
    cr_expect_eq(sys_trap_check(SCTLR_EL1, false, &c), NONE);
    c = guest(1, 0);
    cr_expect_eq(sys_trap_check(SCTLR_EL1, false, &c), NONE);
}

Test(sysreg_traps, tid1_tid2)
{
    SysTrapCtx c = guest(1, HCR(TID1));
    cr_expect_eq(sys_trap_check(K(3, 0, 0, 0, 6), true, &c), EL2);   /* REVIDR_EL1 */
    cr_expect_eq(sys_trap_check(K(3, 1, 0, 0, 7), true, &c), EL2);   /* AIDR_EL1 */
    cr_expect_eq(sys_trap_check(MIDR_EL1, true, &c), NONE);
    cr_expect_eq(sys_trap_check(CTR_EL0, true, &c), NONE);
    c = guest(1, HCR(TID2));
    cr_expect_eq(sys_trap_check(CTR_EL0, true, &c), EL2);
    cr_expect_eq(sys_trap_check(K(3, 1, 0, 0, 0), true, &c), EL2);   /* CCSIDR_EL1 */
    cr_expect_eq(sys_trap_check(K(3, 1, 0, 0, 1), true, &c), EL2);   /* CLIDR_EL1 */
    cr_expect_eq(sys_trap_check(K(3, 2, 0, 0, 0), false, &c), EL2);  /* CSSELR_EL1 write */
    cr_expect_eq(sys_trap_check(K(3, 2, 0, 0, 0), true, &c), EL2);
    cr_expect_eq(sys_trap_check(K(3, 0, 0, 0, 6), true, &c), NONE);  /* REVIDR: TID1 only */
    /* TID2 traps EL0 reads of CTR_EL0 too (UCT = 1 here) */
    c = guest(0, HCR(TID2));
    cr_expect_eq(sys_trap_check(CTR_EL0, true, &c), EL2);
    cr_expect_str_eq(sys_trap_reason(CTR_EL0, true, &c), "HCR_EL2.TID2");
}

Test(sysreg_traps, tid3_covers_whole_id_group_3_range)
{
    SysTrapCtx c = guest(1, HCR(TID3));
    int trapped = 0;
    for (unsigned crm = 0; crm < 8; crm++)
        for (unsigned op2 = 0; op2 < 8; op2++) {
            SysTrapResult r = sys_trap_check(K(3, 0, 0, crm, op2), true, &c);
            cr_expect_eq(r, crm >= 1 ? EL2 : NONE, "S3_0_C0_C%u_%u", crm, op2);
            trapped += r == EL2;
        }
    cr_expect_eq(trapped, 56);
    /* named ones and unallocated ones alike */
    cr_expect_eq(sys_trap_check(K(3, 0, 0, 4, 0), true, &c), EL2);   /* ID_AA64PFR0_EL1 */
    cr_expect_eq(sys_trap_check(K(3, 0, 0, 7, 0), true, &c), EL2);   /* ID_AA64MMFR0_EL1 */
    cr_expect_eq(sys_trap_check(K(3, 0, 0, 1, 0), true, &c), EL2);   /* ID_PFR0_EL1 */
    cr_expect_eq(sys_trap_check(K(3, 0, 0, 3, 0), true, &c), EL2);   /* MVFR0_EL1 */
    cr_expect_eq(sys_trap_check(K(3, 0, 0, 7, 7), true, &c), EL2);   /* unallocated */
    /* outside: op1 != 0, CRn != 0 */
    cr_expect_eq(sys_trap_check(K(3, 1, 0, 4, 0), true, &c), NONE);
    cr_expect_eq(sys_trap_check(K(3, 0, 1, 4, 0), true, &c), NONE);
    cr_expect_str_eq(sys_trap_reason(K(3, 0, 0, 6, 0), true, &c), "HCR_EL2.TID3");
}

Test(sysreg_traps, tidcp_impdef_spaces)
{
    SysTrapCtx c = guest(1, HCR(TIDCP));
    for (unsigned op1 = 0; op1 < 8; op1++) {
        cr_expect_eq(sys_trap_check(K(3, op1, 15, 2, 0), false, &c), EL2, "S3_%u_C15_C2_0", op1);
        cr_expect_eq(sys_trap_check(K(3, op1, 15, 15, 7), true, &c), EL2);
        cr_expect_eq(sys_trap_check(K(3, op1, 11, 0, 3), true, &c), EL2);
    }
    cr_expect_eq(sys_trap_check(K(3, 0, 14, 0, 0), true, &c), NONE);
    cr_expect_eq(sys_trap_check(K(3, 0, 10, 2, 0), false, &c), NONE);  /* MAIR_EL1 */
    c.el = 0;
    cr_expect_eq(sys_trap_check(K(3, 3, 15, 2, 0), true, &c), NONE);
}

Test(sysreg_traps, tacr_actlr_only)
{
    SysTrapCtx c = guest(1, HCR(TACR));
    cr_expect_eq(sys_trap_check(K(3, 0, 1, 0, 1), true, &c), EL2);
    cr_expect_eq(sys_trap_check(K(3, 0, 1, 0, 1), false, &c), EL2);
    cr_expect_eq(sys_trap_check(SCTLR_EL1, false, &c), NONE);
    cr_expect_eq(sys_trap_check(CPACR_EL1, false, &c), NONE);
}

Test(sysreg_traps, cache_maintenance_tsw_tpcp_tpu)
{
    SysTrapCtx c = guest(1, HCR(TSW));
    cr_expect_eq(sys_trap_check(DC_CISW, false, &c), EL2);
    cr_expect_eq(sys_trap_check(K(1, 0, 7, 6, 2), false, &c), EL2);    /* DC ISW */
    cr_expect_eq(sys_trap_check(K(1, 0, 7, 10, 2), false, &c), EL2);   /* DC CSW */
    cr_expect_eq(sys_trap_check(DC_CIVAC, false, &c), NONE);
    c = guest(1, HCR(TPCP));
    cr_expect_eq(sys_trap_check(DC_CIVAC, false, &c), EL2);
    cr_expect_eq(sys_trap_check(DC_IVAC, false, &c), EL2);
    cr_expect_eq(sys_trap_check(K(1, 3, 7, 12, 1), false, &c), EL2);   /* DC CVAP */
    cr_expect_eq(sys_trap_check(DC_CVAU, false, &c), NONE);
    cr_expect_eq(sys_trap_check(DC_CISW, false, &c), NONE);
    c = guest(1, HCR(TPU));
    cr_expect_eq(sys_trap_check(DC_CVAU, false, &c), EL2);
    cr_expect_eq(sys_trap_check(IC_IVAU, false, &c), EL2);
    cr_expect_eq(sys_trap_check(IC_IALLU, false, &c), EL2);
    cr_expect_eq(sys_trap_check(K(1, 0, 7, 1, 0), false, &c), EL2);    /* IC IALLUIS */
    cr_expect_eq(sys_trap_check(DC_CIVAC, false, &c), NONE);
    cr_expect_str_eq(sys_trap_reason(IC_IVAU, false, &c), "HCR_EL2.TPU");
    /* EL0 with UCI = 1: TPU and TPCP apply to EL0 too; TSW has no EL0 form */
    c = guest(0, HCR(TPU) | HCR(TPCP));
    cr_expect_eq(sys_trap_check(IC_IVAU, false, &c), EL2);
    cr_expect_eq(sys_trap_check(DC_CIVAC, false, &c), EL2);
}

Test(sysreg_traps, ttlb_every_el1_tlbi)
{
    SysTrapCtx c = guest(1, HCR(TTLB));
    cr_expect_eq(sys_trap_check(K(1, 0, 8, 7, 0), false, &c), EL2);    /* TLBI VMALLE1 */
    cr_expect_eq(sys_trap_check(K(1, 0, 8, 3, 1), false, &c), EL2);    /* TLBI VAE1IS */
    cr_expect_eq(sys_trap_check(K(1, 0, 8, 7, 2), false, &c), EL2);    /* TLBI ASIDE1 */
    cr_expect_eq(sys_trap_check(K(1, 0, 9, 7, 0), false, &c), EL2);    /* TLBI VMALLE1nXS */
    cr_expect_eq(sys_trap_check(DC_CIVAC, false, &c), NONE);
    cr_expect_eq(sys_trap_check(TTBR0_EL1, false, &c), NONE);
    c = guest(1, 0);
    cr_expect_eq(sys_trap_check(K(1, 0, 8, 7, 0), false, &c), NONE);
}

Test(sysreg_traps, el0_ctr_uct_traps_to_el1_before_tid2)
{
    SysTrapCtx c = guest(0, HCR(TID2));
    c.sctlr_el1 &= ~(1ull << 15);          /* UCT = 0 */
    SysTrapHit h;
    cr_expect_eq(sys_trap_lookup(CTR_EL0, true, &c, &h), EL1);
    cr_expect_eq(h.ec, 0x18);
    cr_expect_eq(h.ctl, SYSTRAP_SCTLR_UCT);
    cr_expect_str_eq(sys_trap_reason(CTR_EL0, true, &c), "SCTLR_EL1.UCT");
    /* EL1 is not subject to UCT */
    c.el = 1;
    cr_expect_eq(sys_trap_check(CTR_EL0, true, &c), EL2);
    /* no EL2: still traps to EL1 */
    c = guest(0, 0);
    c.el2_enabled = false;
    c.sctlr_el1 = 0;
    cr_expect_eq(sys_trap_check(CTR_EL0, true, &c), EL1);
    /* TGE = 1 (E2H = 0): SCTLR_EL1.UCT still decides, but the trap is routed to EL2 */
    c = guest(0, HCR(TGE));
    c.sctlr_el1 &= ~(1ull << 15);
    cr_expect_eq(sys_trap_check(CTR_EL0, true, &c), EL2);
    cr_expect_str_eq(sys_trap_reason(CTR_EL0, true, &c), "SCTLR_EL1.UCT");
}

Test(sysreg_traps, el0_dc_zva_dze_first_then_tdz_and_dzp)
{
    SysTrapCtx c = guest(0, HCR(TDZ));
    c.sctlr_el1 &= ~(1ull << 14);          /* DZE = 0 */
    cr_expect_eq(sys_trap_check(DC_ZVA, false, &c), EL1);
    cr_expect_str_eq(sys_trap_reason(DC_ZVA, false, &c), "SCTLR_EL1.DZE");
    cr_expect(sys_trap_dczid_dzp(&c));
    c.sctlr_el1 |= 1ull << 14;
    cr_expect_eq(sys_trap_check(DC_ZVA, false, &c), EL2);
    cr_expect_str_eq(sys_trap_reason(DC_ZVA, false, &c), "HCR_EL2.TDZ");
    c.hcr = 0;
    cr_expect_eq(sys_trap_check(DC_ZVA, false, &c), NONE);
    cr_expect_not(sys_trap_dczid_dzp(&c));
    /* EL1 ignores DZE; TDZ traps it */
    c = guest(1, HCR(TDZ));
    c.sctlr_el1 = 0;
    cr_expect_eq(sys_trap_check(DC_ZVA, false, &c), EL2);
    cr_expect(sys_trap_dczid_dzp(&c));
    c.hcr = 0;
    cr_expect_eq(sys_trap_check(DC_ZVA, false, &c), NONE);
    cr_expect_not(sys_trap_dczid_dzp(&c));
    /* UCI does not cover DC ZVA, DZE does not cover DC CVAU */
    c = guest(0, 0);
    c.sctlr_el1 = 1ull << 14;              /* DZE = 1, UCI = 0, UCT = 0 */
    cr_expect_eq(sys_trap_check(DC_ZVA, false, &c), NONE);
    cr_expect_eq(sys_trap_check(DC_CVAU, false, &c), EL1);
    cr_expect_eq(sys_trap_check(IC_IVAU, false, &c), EL1);
    cr_expect_str_eq(sys_trap_reason(DC_CVAU, false, &c), "SCTLR_EL1.UCI");
}

Test(sysreg_traps, e2h_tge_suppression)
{
    /* EL0 of a VHE host: HCR_EL2.{E2H,TGE} = {1,1} makes TID2/TPU/TPCP/TDZ behave as 0 */
    uint64_t traps = HCR(TID2) | HCR(TPU) | HCR(TPCP) | HCR(TDZ);
    SysTrapCtx c = guest(0, traps | HCR(E2H) | HCR(TGE));
    cr_expect_eq(sys_trap_check(CTR_EL0, true, &c), NONE);
    cr_expect_eq(sys_trap_check(DC_CIVAC, false, &c), NONE);
    cr_expect_eq(sys_trap_check(IC_IVAU, false, &c), NONE);
    cr_expect_eq(sys_trap_check(DC_ZVA, false, &c), NONE);
    cr_expect_not(sys_trap_dczid_dzp(&c));
    /* TGE alone leaves these EL0 traps in place */
    c = guest(0, traps | HCR(TGE));
    cr_expect_eq(sys_trap_check(CTR_EL0, true, &c), EL2);
    cr_expect_eq(sys_trap_check(DC_ZVA, false, &c), EL2);
    /* ...but TGE alone suppresses TVM/TRVM, TID1, TID3, TACR, TSW, TTLB */
    c = guest(1, HCR(TGE) | HCR(TVM) | HCR(TID3) | HCR(TTLB) | HCR(TSW) | HCR(TACR));
    cr_expect_eq(sys_trap_check(SCTLR_EL1, false, &c), NONE);
    cr_expect_eq(sys_trap_check(K(3, 0, 0, 4, 0), true, &c), NONE);
    cr_expect_eq(sys_trap_check(K(1, 0, 8, 7, 0), false, &c), NONE);
    cr_expect_eq(sys_trap_check(DC_CISW, false, &c), NONE);
    cr_expect_eq(sys_trap_check(K(3, 0, 1, 0, 1), false, &c), NONE);
    /* E2H alone changes nothing */
    c = guest(0, traps | HCR(E2H));
    cr_expect_eq(sys_trap_check(CTR_EL0, true, &c), EL2);
    cr_expect_eq(sys_trap_check(DC_ZVA, false, &c), EL2);
}

Test(sysreg_traps, host_el0_uses_sctlr_el2)
{
    SysTrapCtx c = guest(0, HCR(E2H) | HCR(TGE));
    c.sctlr_el1 = 0;                        /* ignored in the EL2&0 regime */
    cr_expect_eq(sys_trap_check(CTR_EL0, true, &c), NONE);
    cr_expect_eq(sys_trap_check(DC_ZVA, false, &c), NONE);
    c.sctlr_el2 = 0;
    cr_expect_eq(sys_trap_check(CTR_EL0, true, &c), EL2);
    cr_expect_str_eq(sys_trap_reason(CTR_EL0, true, &c), "SCTLR_EL2.UCT");
    cr_expect_eq(sys_trap_check(DC_ZVA, false, &c), EL2);
    cr_expect_eq(sys_trap_check(DC_CVAU, false, &c), EL2);
}

Test(sysreg_traps, cptr_tfp_tcpac_tta)
{
    SysTrapCtx c = guest(1, 0);
    c.cptr = 1ull << 10;                    /* TFP */
    SysTrapHit h;
    cr_expect_eq(sys_trap_lookup(FPCR, false, &c, &h), EL2);
    cr_expect_eq(h.ec, 0x07);
    cr_expect_eq(sys_trap_check(FPSR, true, &c), EL2);
    cr_expect_eq(sys_trap_fp(&c), EL2);
    cr_expect_eq(sys_trap_check(CPACR_EL1, false, &c), NONE);
    c.el = 0;
    cr_expect_eq(sys_trap_check(FPSR, true, &c), EL2);
    /* CPACR_EL1.FPEN traps to EL1 first */
    c.cpacr_el1 = 0;
    cr_expect_eq(sys_trap_lookup(FPSR, true, &c, &h), EL1);
    cr_expect_eq(h.ec, 0x07);
    cr_expect_eq(sys_trap_fp(&c), EL1);
    c.cpacr_el1 = 1ull << 20;               /* FPEN = 01: EL0 traps, EL1 does not */
    cr_expect_eq(sys_trap_fp(&c), EL1);
    c.el = 1;
    cr_expect_eq(sys_trap_fp(&c), EL2);     /* falls through to CPTR_EL2.TFP */
    c.cptr = 0;
    cr_expect_eq(sys_trap_fp(&c), NONE);
    /* HCR_EL2.TGE = 1 (E2H = 0): CPACR_EL1.FPEN still traps EL0, routed to EL2; the lookup
     * names the control, so the core reports it as Uncategorized (EC 0) */
    SysTrapCtx g = guest(0, HCR(TGE));
    g.cpacr_el1 = 0;
    cr_expect_eq(sys_trap_fp_lookup(&g, &h), EL2);
    cr_expect_eq(h.ctl, SYSTRAP_CPACR_FPEN);
    g.cpacr_el1 = 3ull << 20;
    g.cptr = 1ull << 10;
    cr_expect_eq(sys_trap_fp_lookup(&g, &h), EL2);
    cr_expect_eq(h.ctl, SYSTRAP_CPTR_TFP);
    /* TCPAC */
    c.cptr = 1ull << 31;
    cr_expect_eq(sys_trap_check(CPACR_EL1, true, &c), EL2);
    cr_expect_eq(sys_trap_check(CPACR_EL1, false, &c), EL2);
    cr_expect_str_eq(sys_trap_reason(CPACR_EL1, false, &c), "CPTR_EL2.TCPAC");
    cr_expect_eq(sys_trap_check(FPCR, false, &c), NONE);
    /* TTA: trace registers (op0 2, op1 1), bit 20 with E2H = 0, bit 28 with E2H = 1 */
    c.cptr = 1ull << 20;
    cr_expect_eq(sys_trap_check(K(2, 1, 0, 1, 0), false, &c), EL2);    /* TRCPRGCTLR */
    cr_expect_eq(sys_trap_check(MDSCR_EL1, false, &c), NONE);
    c.hcr = HCR(E2H);
    cr_expect_eq(sys_trap_check(K(2, 1, 0, 1, 0), false, &c), NONE);
    c.cptr = 1ull << 28;
    cr_expect_eq(sys_trap_check(K(2, 1, 0, 1, 0), false, &c), EL2);
}

Test(sysreg_traps, cptr_e2h_fpen)
{
    SysTrapCtx c = guest(0, HCR(E2H) | HCR(TGE));
    c.cpacr_el1 = 0;                        /* not used in the EL2&0 regime */
    c.cptr = 3ull << 20;                    /* FPEN = 11 */
    cr_expect_eq(sys_trap_fp(&c), NONE);
    c.cptr = 1ull << 20;                    /* FPEN = 01: host EL0 traps */
    cr_expect_eq(sys_trap_fp(&c), EL2);
    cr_expect_str_eq(sys_trap_reason(FPCR, true, &c), "CPTR_EL2.FPEN");
    c.cptr = 0;
    cr_expect_eq(sys_trap_check(FPCR, true, &c), EL2);
    /* guest (TGE = 0) under a VHE host: FPEN = 01 traps nothing */
    c = guest(1, HCR(E2H));
    c.cptr = 1ull << 20;
    cr_expect_eq(sys_trap_fp(&c), NONE);
    c.cptr = 0;
    cr_expect_eq(sys_trap_fp(&c), EL2);
}

Test(sysreg_traps, mdcr_debug_and_pmu)
{
    SysTrapCtx c = guest(1, 0);
    c.mdcr = 1ull << 9;                     /* TDA */
    cr_expect_eq(sys_trap_check(MDSCR_EL1, false, &c), EL2);
    cr_expect_eq(sys_trap_check(K(2, 0, 0, 5, 4), true, &c), EL2);     /* DBGBVR5_EL1 */
    cr_expect_eq(sys_trap_check(K(2, 0, 0, 3, 7), false, &c), EL2);    /* DBGWCR3_EL1 */
    cr_expect_eq(sys_trap_check(OSLAR_EL1, false, &c), NONE);          /* TDOSA's */
    cr_expect_eq(sys_trap_check(MDRAR_EL1, true, &c), NONE);           /* TDRA's */
    c.el = 0;
    cr_expect_eq(sys_trap_check(K(2, 3, 0, 1, 0), true, &c), EL2);     /* MDCCSR_EL0 */
    c = guest(1, 0);
    c.mdcr = 1ull << 10;                    /* TDOSA */
    cr_expect_eq(sys_trap_check(OSLAR_EL1, false, &c), EL2);
    cr_expect_eq(sys_trap_check(OSLSR_EL1, true, &c), EL2);
    cr_expect_eq(sys_trap_check(MDSCR_EL1, true, &c), NONE);
    c.mdcr = 1ull << 11;                    /* TDRA */
    cr_expect_eq(sys_trap_check(MDRAR_EL1, true, &c), EL2);
    cr_expect_eq(sys_trap_check(OSLAR_EL1, false, &c), NONE);
    /* TDE makes all three behave as 1; TGE forces TDE */
    c.mdcr = 1ull << 8;
    cr_expect_eq(sys_trap_check(MDSCR_EL1, true, &c), EL2);
    cr_expect_eq(sys_trap_check(OSLAR_EL1, false, &c), EL2);
    cr_expect_eq(sys_trap_check(MDRAR_EL1, true, &c), EL2);
    c = guest(0, HCR(TGE));
    cr_expect_eq(sys_trap_check(K(2, 3, 0, 4, 0), true, &c), EL2);     /* DBGDTR_EL0 */
    /* PMU: TPM covers the lot, TPMCR only PMCR_EL0 */
    c = guest(0, 0);
    c.mdcr = 1ull << 6;
    cr_expect_eq(sys_trap_check(PMCR_EL0, true, &c), EL2);
    cr_expect_eq(sys_trap_check(PMCCNTR_EL0, true, &c), EL2);
    cr_expect_eq(sys_trap_check(K(3, 3, 14, 9, 3), true, &c), EL2);    /* PMEVCNTR11_EL0 */
    cr_expect_eq(sys_trap_check(K(3, 3, 14, 15, 7), false, &c), EL2);  /* PMCCFILTR_EL0 */
    c.el = 1;
    cr_expect_eq(sys_trap_check(K(3, 0, 9, 14, 1), false, &c), EL2);   /* PMINTENSET_EL1 */
    c.mdcr = 1ull << 5;
    cr_expect_eq(sys_trap_check(PMCR_EL0, false, &c), EL2);
    cr_expect_str_eq(sys_trap_reason(PMCR_EL0, false, &c), "MDCR_EL2.TPMCR");
    cr_expect_eq(sys_trap_check(PMCCNTR_EL0, true, &c), NONE);
    c.mdcr = 0;
    cr_expect_eq(sys_trap_check(PMCR_EL0, false, &c), NONE);
    /* host EL0 (E2H, TGE): TPMCR does not apply, TPM does */
    c = guest(0, HCR(E2H) | HCR(TGE));
    c.mdcr = 1ull << 5;
    cr_expect_eq(sys_trap_check(PMCR_EL0, true, &c), NONE);
    c.mdcr = 1ull << 6;
    cr_expect_eq(sys_trap_check(PMCR_EL0, true, &c), EL2);
    c = guest(0, HCR(TGE));
    c.mdcr = 1ull << 5;
    cr_expect_eq(sys_trap_check(PMCR_EL0, true, &c), EL2);
}

Test(sysreg_traps, hstr_has_no_aarch64_effect)
{
    SysTrapCtx c = guest(1, 0);
    c.hstr = 0xbfff;                        /* every T<n> */
    cr_expect_eq(sys_trap_check(SCTLR_EL1, false, &c), NONE);
    cr_expect_eq(sys_trap_check(K(3, 0, 15, 0, 0), true, &c), NONE);
    cr_expect_eq(sys_trap_check(MIDR_EL1, true, &c), NONE);
}

Test(sysreg_traps, rule_table_is_listable_and_consistent)
{
    size_t n = sys_trap_rule_count();
    cr_assert_gt(n, 40);
    cr_expect_null(sys_trap_rule(n));
    for (size_t i = 0; i < n; i++) {
        const SysTrapRule *r = sys_trap_rule(i);
        cr_assert_not_null(r);
        cr_expect_not_null(r->what);
        cr_expect_eq(r->key & ~r->mask, 0, "rule %s has key bits outside its mask", r->what);
        cr_expect_lt(r->ctl, SYSTRAP_CTL_N);
        cr_expect_neq(r->dir, 0);
        cr_expect_neq(r->els, 0);
        /* system instructions (op0 1) take both SYS and SYSL directions */
        if ((r->key >> 14) == 1)
            cr_expect_eq(r->dir, SYSTRAP_RW, "%s", r->what);
        cr_expect_neq(strcmp(sys_trap_ctl_name((SysTrapCtl)r->ctl), "?"), 0);
    }
    cr_expect_str_eq(sys_trap_ctl_name(SYSTRAP_CTL_N), "?");
}

/* The per-encoding candidate lists give what a plain scan of the rule table in priority order
 * gives: for every encoding, direction and EL, with every control set (so the first rule that
 * matches is the one that fires). */
Test(sysreg_traps, candidate_index_agrees_with_a_scan_of_every_encoding)
{
    SysTrapCtx c = guest(1, (0x5ff78000ULL & ~(1ULL << 27)) | (1ULL << 35)); /* all but TGE */
    c.mdcr = 0xe60;                /* TPMCR, TPM, TDA, TDOSA, TDRA; TDE would force them */
    c.cptr = (1ULL << 10) | (1ULL << 20) | (1ULL << 31);
    c.sctlr_el1 = c.sctlr_el2 = 0;                              /* UCT, DZE, UCI trap EL0 */
    c.cpacr_el1 = 0;
    size_t n = sys_trap_rule_count();
    for (uint32_t key = 0; key < 0x10000; key++) {
        bool covered = false;
        for (size_t i = 0; i < n; i++)
            covered |= (key & sys_trap_rule(i)->mask) == sys_trap_rule(i)->key;
        cr_assert_eq(sys_trap_covers(key), covered, "key %#x", key);
        for (int el = 0; el <= 1; el++) {
            c.el = el;
            for (int read = 0; read <= 1; read++) {
                const SysTrapRule *want = NULL;
                for (size_t i = 0; i < n && !want; i++) {
                    const SysTrapRule *r = sys_trap_rule(i);
                    if ((key & r->mask) == r->key && (r->dir & (read ? SYSTRAP_R : SYSTRAP_W)) &&
                        (r->els & (el ? SYSTRAP_AT_EL1 : SYSTRAP_AT_EL0)))
                        want = r;
                }
                SysTrapHit h;
                sys_trap_lookup(key, read, &c, &h);
                cr_assert_eq(h.rule, want, "key %#x EL%d %s: rule %s, want %s", key, el,
                             read ? "read" : "write", h.rule ? h.rule->what : "none",
                             want ? want->what : "none");
            }
        }
    }
}
