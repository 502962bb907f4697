/* VM exits and entries: the research vocabulary on top of the Armv8 virtualization
 * architecture. Every exception taken to EL2 from EL0/EL1 while HCR_EL2.VM = 1 is a VM exit
 * with a reason (from the exception class or the interrupt vector), the VMID of the running
 * guest and its PC; the next exception return from EL2 into stage 2 (EL0/EL1 with
 * HCR_EL2.VM set) is the matching VM entry.
 * Counts and cycles (exit to entry, in the timing model's cycles) are kept per VM and per
 * reason and dumped through the statistics registry; `-d vmexit` traces each one.
 * The model hears exceptions taken and returned from on the event stream (core/events.h)
 * and publishes EV_VM_EXIT and EV_VM_ENTRY there in turn. */
#ifndef HVSIM_HYPERVISOR_MODEL_VMEXIT_H
#define HVSIM_HYPERVISOR_MODEL_VMEXIT_H
#include <stdbool.h>
#include <stdint.h>
#include "core/machine.h"

typedef enum HvmExitReason {
    HVM_EXIT_HVC, HVM_EXIT_SMC, HVM_EXIT_SYSREG, HVM_EXIT_WFX, HVM_EXIT_DABT, HVM_EXIT_IABT,
    HVM_EXIT_IRQ, HVM_EXIT_FIQ, HVM_EXIT_SERROR, HVM_EXIT_OTHER, HVM_EXIT_N
} HvmExitReason;

#define HVM_MAX_VMIDS 256     /* 8-bit VMIDs (VTCR_EL2.VS = 0) */

#define HVM_LAT_BUCKETS 24    /* exit-to-entry latency: [0,2), [2,4), ... [2^23,) cycles */

typedef struct HvmVm {
    uint64_t exits[HVM_EXIT_N];
    uint64_t cycles[HVM_EXIT_N];   /* exit -> entry */
    uint64_t latency[HVM_LAT_BUCKETS];   /* exits by exit-to-entry cycles, log2 buckets */
} HvmVm;

typedef struct HvmVcpu {
    uint8_t in_exit;          /* 1 between a VM exit and its entry */
    uint8_t reason;
    uint16_t vmid;
    uint32_t pad_;
    SimTime exit_time;
} HvmVcpu;

/* The accounting is part of the machine's state (hashed, saved in snapshots), so a run
 * resumed from a snapshot reports the same totals as the uninterrupted run. */
typedef struct Hvm {
    HvmVcpu vcpu[MACHINE_MAX_CPUS];
    HvmVm vm[HVM_MAX_VMIDS];
    uint8_t seen[HVM_MAX_VMIDS];   /* 1 once the VM has exited at least once */
    /* --- run time --- */
    Machine *m;
    uint8_t trace;            /* -d vmexit at start (the live switch is cfg.trace_mask) */
    uint8_t pad_[7];
} Hvm;

extern const StateDesc hvm_state_desc;

/* Creates the model for machine m and registers its statistics. */
Hvm *hvm_new(Machine *m);
void hvm_free(Hvm *h);
const char *hvm_exit_reason_name(HvmExitReason r);
/* The reason for an exception with vector kind `vec` (0 sync, 1 IRQ, 2 FIQ, 3 SError) and
 * ESR_EL2.EC `ec` (D17.2.37). */
HvmExitReason hvm_exit_reason(int vec, unsigned ec);
/* -d vmexit on or off (a subscriber of EV_VM_EXIT and EV_VM_ENTRY). */
void hvm_set_trace(Hvm *h, bool on);
/* Short per-VM table (exits and mean cycles per reason), as printed with -d vmexit. */
void hvm_print_summary(const Hvm *h, FILE *out);
#endif
