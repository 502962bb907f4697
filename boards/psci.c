/* PSCI 1.1 (Arm DEN 0022) handled as firmware would, for the `virt` board.
 *
 * The conduit is the one the generated device tree advertises: HVC when the guest boots at
 * EL1, SMC when it boots at EL2 (-M virt,virtualization=on), as on QEMU's `virt` without
 * EL3. A call through the other instruction, or with a non-zero immediate, is not a
 * firmware call: the core makes it UNDEFINED. Through the conduit, function IDs outside
 * PSCI follow the SMC Calling Convention (version, features, "unknown function" = -1). */
#include "cpu/arm64/cpu.h"

enum {
    PSCI_VERSION = 0x84000000u,
    PSCI_CPU_SUSPEND = 0x84000001u,
    PSCI_CPU_OFF = 0x84000002u,
    PSCI_CPU_ON = 0x84000003u,
    PSCI_AFFINITY_INFO = 0x84000004u,
    PSCI_MIGRATE_INFO_TYPE = 0x84000006u,
    PSCI_SYSTEM_OFF = 0x84000008u,
    PSCI_SYSTEM_RESET = 0x84000009u,
    PSCI_FEATURES = 0x8400000au,
    PSCI_64 = 0x40000000u,        /* SMC64 bit of the function ID */
    SMCCC_VERSION = 0x80000000u,
    SMCCC_ARCH_FEATURES = 0x80000001u,
};

enum {
    PSCI_RET_SUCCESS = 0,
    PSCI_RET_NOT_SUPPORTED = -1,
    SMCCC_RET_UNKNOWN = -1,
    PSCI_RET_INVALID_PARAMETERS = -2,
    PSCI_RET_ALREADY_ON = -4,
};

#define PSCI_AFF_MASK 0xff00ffffffULL

static Arm64Cpu *find_cpu(Machine *m, uint64_t mpidr)
{
    for (int i = 0; i < m->ncpus; i++) {
        Arm64Cpu *t = m->cpus[i].obj;
        if ((t->mpidr & PSCI_AFF_MASK) == (mpidr & PSCI_AFF_MASK))
            return t;
    }
    return NULL;
}

/* Function IDs this firmware implements (32-bit IDs; the 64-bit forms where they exist). */
static bool implemented(uint32_t fn)
{
    switch (fn) {
    case PSCI_VERSION: case PSCI_CPU_SUSPEND: case PSCI_CPU_SUSPEND | PSCI_64:
    case PSCI_CPU_OFF: case PSCI_CPU_ON: case PSCI_CPU_ON | PSCI_64:
    case PSCI_AFFINITY_INFO: case PSCI_AFFINITY_INFO | PSCI_64:
    case PSCI_MIGRATE_INFO_TYPE: case PSCI_SYSTEM_OFF: case PSCI_SYSTEM_RESET:
    case PSCI_FEATURES:
        return true;
    default:
        return false;
    }
}

const char *a64_firmware_call_name(uint32_t fid)
{
    switch (fid & ~PSCI_64) {
    case PSCI_VERSION: return "PSCI_VERSION";
    case PSCI_CPU_SUSPEND: return "CPU_SUSPEND";
    case PSCI_CPU_OFF: return "CPU_OFF";
    case PSCI_CPU_ON: return "CPU_ON";
    case PSCI_AFFINITY_INFO: return "AFFINITY_INFO";
    case PSCI_MIGRATE_INFO_TYPE: return "MIGRATE_INFO_TYPE";
    case PSCI_SYSTEM_OFF: return "SYSTEM_OFF";
    case PSCI_SYSTEM_RESET: return "SYSTEM_RESET";
    case PSCI_FEATURES: return "PSCI_FEATURES";
    case SMCCC_VERSION: return "SMCCC_VERSION";
    case SMCCC_ARCH_FEATURES: return "SMCCC_ARCH_FEATURES";
    default: return NULL;
    }
}

bool a64_firmware_call(Arm64Cpu *c, A64CallKind kind, uint16_t imm)
{
    Machine *m = c->m;
    A64CallKind conduit = m->cfg.virtualization ? A64_CALL_SMC : A64_CALL_HVC;
    uint32_t fn = (uint32_t)c->x[0];
    if (kind != conduit || imm != 0)
        return false;
    if ((fn & 0xbfffff00u) != 0x84000000u) {
        /* SMC Calling Convention v1.1 (Arm DEN0028): SMCCC_VERSION, SMCCC_ARCH_FEATURES (no
         * architecture call is implemented: NOT_SUPPORTED for each, which Linux reads as "no
         * firmware mitigation"; a simulator has no speculation to mitigate), and every other
         * function ID is "unknown" (-1 in W0). */
        switch (fn) {
        case SMCCC_VERSION:
            c->x[0] = 0x10001;
            break;
        case SMCCC_ARCH_FEATURES:
            c->x[0] = (uint32_t)c->x[1] == SMCCC_VERSION ? 0 : (uint64_t)(int64_t)PSCI_RET_NOT_SUPPORTED;
            break;
        default:
            c->x[0] = (uint64_t)(int64_t)SMCCC_RET_UNKNOWN;
            break;
        }
        return true;
    }
    bool is64 = fn & PSCI_64;
    uint64_t a1 = c->x[1], a2 = c->x[2], a3 = c->x[3];
    if (!is64) {
        a1 = (uint32_t)a1;
        a2 = (uint32_t)a2;
        a3 = (uint32_t)a3;
    }
    int64_t ret = PSCI_RET_NOT_SUPPORTED;
    switch (fn) {
    case PSCI_VERSION:
        ret = 0x00010001;     /* 1.1 */
        break;
    case PSCI_FEATURES:
        ret = implemented((uint32_t)a1) || (uint32_t)a1 == SMCCC_VERSION ? 0 : PSCI_RET_NOT_SUPPORTED;
        break;
    case PSCI_MIGRATE_INFO_TYPE:
        ret = 2;              /* no Trusted OS: migration not required */
        break;
    case PSCI_CPU_SUSPEND:
    case PSCI_CPU_SUSPEND | PSCI_64:
        /* standby: behaves as WFI; powerdown states return at once (allowed by the spec) */
        if (!(a1 & (1u << 16)))
            c->halted = 1;
        ret = PSCI_RET_SUCCESS;
        break;
    case PSCI_CPU_OFF:
        c->powered = 0;
        c->halted = 0;
        return true;          /* does not return to the caller */
    case PSCI_CPU_ON:
    case PSCI_CPU_ON | PSCI_64: {
        Arm64Cpu *t = find_cpu(m, a1);
        if (!t) {
            ret = PSCI_RET_INVALID_PARAMETERS;
        } else if (t->powered) {
            ret = PSCI_RET_ALREADY_ON;
        } else {
            /* The core starts at the highest Non-secure EL there is, as Trusted Firmware
             * and QEMU's PSCI start it, not at the caller's: an nVHE host calls from EL1
             * but booted at EL2, and Linux wants every CPU entered at the same EL
             * (Documentation/arm64/booting.rst), else "CPUs started in inconsistent modes"
             * and no KVM. */
            a64_cpu_reset(t, a2, t->has_el2 ? 2 : 1);
            t->x[0] = a3;
            ret = PSCI_RET_SUCCESS;
        }
        break;
    }
    case PSCI_AFFINITY_INFO:
    case PSCI_AFFINITY_INFO | PSCI_64: {
        Arm64Cpu *t = a2 == 0 ? find_cpu(m, a1) : NULL;
        ret = !t ? PSCI_RET_INVALID_PARAMETERS : t->powered ? 0 : 1;
        break;
    }
    case PSCI_SYSTEM_OFF:
        machine_power_off(m);
        return true;
    case PSCI_SYSTEM_RESET:
        machine_stop(m, EXIT_OK, "the guest requested a system reset (PSCI SYSTEM_RESET); stopping");
        return true;
    default:
        break;
    }
    c->x[0] = (uint64_t)ret;
    return true;
}
