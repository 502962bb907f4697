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
        char num[64], den[64];
        snprintf(name, sizeof name, "vm%d.exit_cycles.mean", v);
        snprintf(num, sizeof num, "vm%d.exit_cycles", v);
        snprintf(den, sizeof den, "vm%d.exits", v);
        stats_emit_formula(sink, name, num, den, 1, "cycles", "mean cycles from VM exit to entry");
        uint64_t bounds[HVM_LAT_BUCKETS];
        for (int k = 0; k < HVM_LAT_BUCKETS; k++)
            bounds[k] = UINT64_C(2) << k;
        snprintf(name, sizeof name, "vm%d.exit_latency", v);
        stats_emit_histogram(sink, name, HVM_LAT_BUCKETS, bounds, vm->latency, "cycles",
                             "VM exits by cycles from exit to entry (log2 buckets)");
        for (int r = 0; r < HVM_EXIT_N; r++) {
            if (!vm->exits[r])
                continue;
            snprintf(name, sizeof name, "vm%d.exits.%s", v, reason_names[r]);
            stats_emit(sink, name, vm->exits[r], "exits", "VM exits for this reason");
            snprintf(name, sizeof name, "vm%d.exit_cycles.%s", v, reason_names[r]);
            stats_emit(sink, name, vm->cycles[r], "cycles", "cycles in EL2 for this reason");
            snprintf(num, sizeof num, "vm%d.exit_cycles.%s", v, reason_names[r]);
            snprintf(den, sizeof den, "vm%d.exits.%s", v, reason_names[r]);
            snprintf(name, sizeof name, "vm%d.exit_cycles.%s.mean", v, reason_names[r]);
            stats_emit_formula(sink, name, num, den, 1, "cycles",
                               "mean cycles from VM exit to entry for this reason");
        }
    }
}

/* -d vmexit: one line per VM exit and entry, a subscriber of the event stream. */
static bool trace_vm(void *opaque, const EvInfo *e)
{
    const Hvm *h = opaque;
    if (e->kind == EV_VM_EXIT)
        fprintf(h->m->trace, "VMEXIT cpu%d vm%d %s esr=%08" PRIx64 " pc=%016" PRIx64 " t=%" PRIu64 "\n",
                e->cpu, e->vmid, e->u.vm.reason_name, e->u.vm.syndrome, e->pc,
                e->time / h->m->timing.ps_per_cycle);
    else
        fprintf(h->m->trace, "VMENTRY cpu%d vm%d pc=%016" PRIx64 " after %" PRIu64 " cycles\n",
                e->cpu, e->vmid, e->pc, e->u.vm.cycles);
    return false;
}

void hvm_set_trace(Hvm *h, bool on)
{
    ev_switch(&h->m->events, on, EV_BIT(EV_VM_EXIT) | EV_BIT(EV_VM_ENTRY), EV_PRIO_TRACE, trace_vm, h);
}

/* A VM exit: every exception taken to EL2 from a guest (EL0/EL1 with HCR_EL2.VM set, which
 * is when the event carries a VMID). Publishes EV_VM_EXIT after counting it. */
static bool vm_exit(Hvm *h, const EvInfo *e)
{
    const EvArm64Exc *a = e->arch;
    HvmExitReason reason = hvm_exit_reason(a->vec, (unsigned)(a->esr >> 26) & 0x3f);
    uint16_t vmid = (uint16_t)(e->vmid % HVM_MAX_VMIDS);
    HvmVcpu *vc = &h->vcpu[e->cpu];
    h->seen[vmid] = 1;
    h->vm[vmid].exits[reason]++;
    vc->in_exit = 1;
    vc->reason = (uint8_t)reason;
    vc->vmid = vmid;
    vc->exit_time = e->time;
    if (!ev_wants(&h->m->events, EV_VM_EXIT))
        return false;
    EvInfo x = { .kind = EV_VM_EXIT, .cpu = e->cpu, .el = e->el, .vmid = vmid, .pc = e->pc,
                 .time = e->time,
                 .u.vm = { .reason = reason, .reason_name = reason_names[reason],
                           .syndrome = a->esr },
                 .arch = e->arch };
    return ev_publish(&h->m->events, &x);
}

/* The matching entry: the next exception return from EL2 into stage 2 (EL0/EL1 with
 * HCR_EL2.VM set, which is when the event carries a VMID) on that core, as a VM exit leaves
 * it: an nVHE hypervisor's return to its own host at EL1 (KVM's, HCR_EL2.VM = 0) is not one,
 * so KVM's exit lasts until the guest runs again. */
static bool vm_entry(Hvm *h, const EvInfo *e)
{
    HvmVcpu *vc = &h->vcpu[e->cpu];
    if (!vc->in_exit)
        return false;         /* first entry into a guest: nothing to close */
    uint64_t cycles = (e->time - vc->exit_time) / h->m->timing.ps_per_cycle;
    h->vm[vc->vmid].cycles[vc->reason] += cycles;
    int bucket = cycles < 2 ? 0 : 63 - __builtin_clzll(cycles);
    h->vm[vc->vmid].latency[MIN(bucket, HVM_LAT_BUCKETS - 1)]++;
    vc->in_exit = 0;
    if (!ev_wants(&h->m->events, EV_VM_ENTRY))
        return false;
    EvInfo x = { .kind = EV_VM_ENTRY, .cpu = e->cpu, .el = e->u.exc.to_el, .vmid = vc->vmid,
                 .pc = e->pc, .time = e->time,
                 .u.vm = { .reason = vc->reason, .reason_name = reason_names[vc->reason],
                           .cycles = cycles } };
    return ev_publish(&h->m->events, &x);
}

static bool on_event(void *opaque, const EvInfo *e)
{
    Hvm *h = opaque;
    if (e->kind == EV_EXC_TAKEN)
        return e->u.exc.to_el == 2 && e->el < 2 && e->vmid >= 0 && vm_exit(h, e);
    return e->el == 2 && e->u.exc.to_el < 2 && e->vmid >= 0 && vm_entry(h, e);
}

Hvm *hvm_new(Machine *m)
{
    Hvm *h = g_new0(Hvm, 1);
    h->m = m;
    h->trace = (m->cfg.trace_mask & TRACE_VMEXIT) != 0;
    machine_add_stats(m, dump, h);
    machine_add_object(m, "hvm", &hvm_state_desc, h);
    ev_subscribe(&m->events, EV_BIT(EV_EXC_TAKEN) | EV_BIT(EV_EXC_RETURN), EV_PRIO_MODEL, NULL,
                 on_event, h);
    hvm_set_trace(h, h->trace);
    return h;
}

void hvm_free(Hvm *h)
{
    if (!h)
        return;
    ev_unsubscribe(&h->m->events, on_event, h);
    ev_unsubscribe(&h->m->events, trace_vm, h);
    g_free(h);
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
