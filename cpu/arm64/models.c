/* The CPU models: what each one advertises in its ID registers, and the features the
 * executors check. A feature is advertised exactly when it is implemented; each model
 * advertises what the real part has (Cortex-A57/A72 TRMs: Armv8.0-A with the Cryptographic
 * Extension, 44-bit physical addresses, 48 KB L1I / 32 KB L1D / 2 MB or 1 MB L2 caches) or,
 * for `max`, what hvsim implements beyond Armv8.0.
 *
 * Fields not listed in a model read as zero: no AArch32 at any EL (PFR0.EL0..EL3 = 1 or 0),
 * no SVE/SME/MTE/pointer authentication/BTI, FEAT_FP16 absent (PFR0.FP = 0: single and double
 * precision; half precision only in conversions). */
#include "cpu/arm64/cpu.h"
#include <glib.h>
#include <string.h>

/* ID_AA64ISAR0_EL1 fields (D19.2.61) */
#define ISAR0_AES_PMULL (2ULL << 4)
#define ISAR0_SHA1 (1ULL << 8)
#define ISAR0_SHA2 (1ULL << 12)
#define ISAR0_CRC32 (1ULL << 16)
#define ISAR0_ATOMIC (2ULL << 20)       /* FEAT_LSE */
#define ISAR0_V80_CRYPTO (ISAR0_AES_PMULL | ISAR0_SHA1 | ISAR0_SHA2 | ISAR0_CRC32)
/* ID_AA64ISAR1_EL1.LRCPC = 2: LDAPR and LDAPUR/STLUR (FEAT_LRCPC, FEAT_LRCPC2) */
#define ISAR1_LRCPC2 (2ULL << 20)
#define ISAR1_SB (1ULL << 36)           /* FEAT_SB: the SB barrier */
/* ID_AA64MMFR0_EL1: PARange (3:0), ASIDBits (7:4) = 16 bits, TGran16 (23:20), TGran64 (27:24)
 * = 0 (supported), TGran4 (31:28) = 0 (supported) */
#define MMFR0_PA40 2ULL
#define MMFR0_PA44 4ULL
#define MMFR0_ASID16 (2ULL << 4)
#define MMFR0_BIGEND (1ULL << 8)        /* mixed-endian support at EL1/EL0 (BigEnd) */
#define MMFR0_SNSMEM (1ULL << 12)
#define MMFR0_TGRAN16 (1ULL << 20)
/* ID_AA64DFR0_EL1: DebugVer 6 (Armv8.0 debug), PMUVer 1, BRPs 5 (6 breakpoints), WRPs 3
 * (4 watchpoints), CTX_CMPs 1 (2 context-aware breakpoints) */
#define DFR0_V80 0x10305106ULL

/* What the Cortex-A57 and A72 share: Armv8.0 with the Cryptographic Extension, 44-bit PA,
 * the same cache geometry registers; they differ in MIDR, the L2 size and the PMU's IDCODE. */
#define CORTEX_A5X_A7X                                                         \
    .isar0 = ISAR0_V80_CRYPTO,                                                 \
    .mmfr0 = MMFR0_PA44 | MMFR0_ASID16 | MMFR0_BIGEND | MMFR0_SNSMEM,          \
    .dfr0 = DFR0_V80, .ctr = 0x8444c004ULL, .clidr = 0x0a200023ULL, .pa_bits = 44

static const A64CpuModel models[] = {
    {
        .name = "cortex-a57",
        .midr = 0x411fd070ULL,   /* r1p0, as QEMU reports it */
        CORTEX_A5X_A7X,
        .ccsidr = { 0x701fe00aULL, 0x201fe012ULL, 0x70ffe07aULL },   /* L2 2 MiB */
        .pmu_idcode = 0x01,
    },
    {
        .name = "cortex-a72",
        .midr = 0x410fd083ULL,   /* r0p3 */
        CORTEX_A5X_A7X,
        .ccsidr = { 0x701fe00aULL, 0x201fe012ULL, 0x707fe07aULL },   /* L2 1 MiB */
        .pmu_idcode = 0x02,
    },
    {
        /* everything hvsim implements: LSE atomics, RCpc (LDAPR, LDAPUR/STLUR), SB, PAN, LOR
         * (registers and HCR_EL2.TLOR; no LORegions: LORID_EL1 = 0), VHE with EL2 */
        .name = "max",
        .midr = 0x000f0048ULL,   /* implementer 0 ("software use"), as hvsim has always
                                  * reported it */
        .isar0 = ISAR0_V80_CRYPTO | ISAR0_ATOMIC,
        .isar1 = ISAR1_LRCPC2 | ISAR1_SB,
        .mmfr0 = MMFR0_PA40 | MMFR0_ASID16 | MMFR0_BIGEND | MMFR0_SNSMEM | MMFR0_TGRAN16,
        .dfr0 = DFR0_V80,
        .ctr = 0x8444c004ULL,
        .clidr = 0x0a200023ULL,
        .ccsidr = { 0x701fe00aULL, 0x201fe012ULL, 0x70ffe07aULL },
        .pa_bits = 40,
        .pmu_idcode = 0x01,
        .pan = true, .vhe = true, .lor = true, .lse = true, .rcpc = true, .sb = true,
    },
};

const A64CpuModel *a64_cpu_model_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(models); i++)
        if (!strcmp(name, models[i].name))
            return &models[i];
    return NULL;
}

bool a64_cpu_model_known(const char *name)
{
    return a64_cpu_model_find(name) != NULL;
}
