/* VM exit and entry accounting (see vmexit.h). */
#include "hypervisor-model/vmexit.h"
#include <inttypes.h>

static const char *const reason_names[HVM_EXIT_N] = {
    "hvc", "smc", "sysreg", "wfx", "dabt", "iabt", "irq", "fiq", "serror", "other",
};

static const StateField hvm_fields[] = {
    STATE_ARRAY(Hvm, vcpu, V_REL),
    STATE_ARRAY(Hvm, vm, V_ANY),
    STATE_ARRAY(Hvm, seen, V_BOOL),
    STATE_RUNTIME(Hvm, m),
    STATE_RUNTIME(Hvm, trace),
    STATE_RUNTIME(Hvm, pad_),
};
/* Relations: an exit in progress names a reason and an 8-bit VMID (both index tables). */
static bool hvm_check_state(const void *obj, char **err)
{
    const Hvm *h = obj;
    for (int i = 0; i < MACHINE_MAX_CPUS; i++) {
        const HvmVcpu *vc = &h->vcpu[i];
        if (vc->in_exit > 1 || vc->reason >= HVM_EXIT_N || vc->vmid >= HVM_MAX_VMIDS || vc->pad_) {
            *err = g_strdup_printf("vcpu[%d]: in_exit %u, reason %u, vmid %u (valid: 0..1, "
                                   "0..%d, 0..%d)", i, vc->in_exit, vc->reason, vc->vmid,
                                   HVM_EXIT_N - 1, HVM_MAX_VMIDS - 1);
            return false;
        }
    }
    return true;
}
const StateDesc hvm_state_desc = STATE_DESC_CHECKED("hvm", Hvm, hvm_fields, hvm_check_state);

const char *hvm_exit_reason_name(HvmExitReason r)
{
    return r < HVM_EXIT_N ? reason_names[r] : "?";
}

HvmExitReason hvm_exit_reason(int vec, unsigned ec)
{
    switch (vec) {
    case 1: return HVM_EXIT_IRQ;
    case 2: return HVM_EXIT_FIQ;
    case 3: return HVM_EXIT_SERROR;
    default: break;
    }
    switch (ec) {
    case 0x16: return HVM_EXIT_HVC;
    case 0x17: return HVM_EXIT_SMC;
    case 0x18: return HVM_EXIT_SYSREG;
    case 0x01: return HVM_EXIT_WFX;
    case 0x24: return HVM_EXIT_DABT;
    case 0x20: return HVM_EXIT_IABT;
    default: return HVM_EXIT_OTHER;
    }
}

static void dump(void *opaque, const StatsSink *sink)
{
    const Hvm *h = opaque;
    char name[64];
    for (int v = 0; v < HVM_MAX_VMIDS; v++) {
        const HvmVm *vm = &h->vm[v];
        if (!h->seen[v])
            continue;
        uint64_t total = 0, cycles = 0;
        for (int r = 0; r < HVM_EXIT_N; r++) {
            total += vm->exits[r];
            cycles += vm->cycles[r];
        }
        snprintf(name, sizeof name, "vm%d.exits", v);
        stats_emit(sink, name, total, "exits", "VM exits to EL2");
        snprintf(name, sizeof name, "vm%d.exit_cycles", v);
        stats_emit(sink, name, cycles, "cycles", "cycles from VM exit to VM entry");
        for (int r = 0; r < HVM_EXIT_N; r++) {
            if (!vm->exits[r])
                continue;
            snprintf(name, sizeof name, "vm%d.exits.%s", v, reason_names[r]);
            stats_emit(sink, name, vm->exits[r], "exits", "VM exits for this reason");
            snprintf(name, sizeof name, "vm%d.exit_cycles.%s", v, reason_names[r]);
            stats_emit(sink, name, vm->cycles[r], "cycles", "cycles in EL2 for this reason");
        }
    }
}

Hvm *hvm_new(Machine *m)
{
    Hvm *h = g_new0(Hvm, 1);
    h->m = m;
    h->trace = (m->cfg.trace_mask & TRACE_VMEXIT) != 0;
    machine_add_stats(m, dump, h);
    machine_add_object(m, "hvm", &hvm_state_desc, h);
    return h;
}

void hvm_free(Hvm *h)
{
    if (!h)
        return;
    g_free(h);
}

void hvm_vm_exit(Hvm *h, int cpu, uint16_t vmid, HvmExitReason reason, uint64_t esr,
                 uint64_t guest_pc, SimTime now)
{
    HvmVcpu *vc = &h->vcpu[cpu];
    vmid %= HVM_MAX_VMIDS;
    h->seen[vmid] = 1;
    h->vm[vmid].exits[reason]++;
    vc->in_exit = 1;
    vc->reason = (uint8_t)reason;
    vc->vmid = vmid;
    vc->exit_time = now;
    if (h->m->cfg.trace_mask & TRACE_VMEXIT)
        fprintf(h->m->trace, "VMEXIT cpu%d vm%u %s esr=%08" PRIx64 " pc=%016" PRIx64 " t=%" PRIu64 "\n",
                cpu, vmid, reason_names[reason], esr, guest_pc, now / h->m->timing.ps_per_cycle);
}

void hvm_vm_entry(Hvm *h, int cpu, uint64_t guest_pc, SimTime now)
{
    HvmVcpu *vc = &h->vcpu[cpu];
    if (!vc->in_exit)
        return;               /* first entry into a guest: nothing to close */
    uint64_t cycles = (now - vc->exit_time) / h->m->timing.ps_per_cycle;
    h->vm[vc->vmid].cycles[vc->reason] += cycles;
    vc->in_exit = 0;
    if (h->m->cfg.trace_mask & TRACE_VMEXIT)
        fprintf(h->m->trace, "VMENTRY cpu%d vm%u pc=%016" PRIx64 " after %" PRIu64 " cycles\n", cpu,
                vc->vmid, guest_pc, cycles);
}

void hvm_print_summary(const Hvm *h, FILE *out)
{
    bool any = false;
    for (int v = 0; v < HVM_MAX_VMIDS; v++)
        any |= h->seen[v] != 0;
    if (any)
        fprintf(out, "hvsim: VM exits by VMID and reason (mean cycles from exit to entry):\n");
    for (int v = 0; v < HVM_MAX_VMIDS; v++) {
        const HvmVm *vm = &h->vm[v];
        if (!h->seen[v])
            continue;
        fprintf(out, "vm%d exits:", v);
        for (int r = 0; r < HVM_EXIT_N; r++)
            if (vm->exits[r])
                fprintf(out, " %s=%" PRIu64 " (%" PRIu64 " cycles avg)", reason_names[r], vm->exits[r],
                        vm->cycles[r] / vm->exits[r]);
        fprintf(out, "\n");
    }
}
