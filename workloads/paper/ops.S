// The timed operations of the paper guests. Each is a function of its own so that the VM
// exits it makes can be told apart by the guest PC hvsim reports (scripts/paper matches the
// -d vmexit trace against these symbols). The window: t0 = ISB, read PMCCNTR_EL0, ISB; the
// operation; t1 = ISB, read PMCCNTR_EL0 (Arm ARM D13: PMCCNTR_EL0 reads are not ordered
// with the instructions around them without an ISB). x9 carries t0 across the operation:
// minihv saves and restores every general-purpose register of a guest, and so does KVM.
//
// Built twice: for minihv's guest with the defaults below, and for the KVM guest
// (kvm_bench.c) with COUNTER = cntvct_el0 (KVM gives a guest its own PMU, whose cycle
// counter does not count while KVM runs), HVC_FN/HVC_IMM = PSCI_VERSION/#0 (a call KVM
// answers itself) and DOORBELL = the VMM's PL011 (an MMIO exit to the VMM in user space).
#include "abi.h"

#ifndef COUNTER
#define COUNTER pmccntr_el0
#define HVC_FN HC_VERSION
#define HVC_IMM MINIHV_HVC_IMM
#define DOORBELL (VDOORBELL_IPA + DOORBELL_NOTIFY)
#endif
#ifndef GICD
#define GICD VGICD_IPA
#endif

    .macro t0
    isb
    mrs     x9, COUNTER
    isb
    .endm
    .macro t1
    isb
    mrs     x10, COUNTER
    sub     x0, x10, x9
    .endm
    .macro movfn reg, fn
    movz    \reg, #((\fn) & 0xffff)
    movk    \reg, #((\fn) >> 16), lsl #16
    .endm

    .text
    .global op_empty, op_hvc, op_gicd_read, op_yield, op_sgi_self, op_doorbell
    .global op_virq_complete, partner_yields

    .type op_empty, %function
op_empty:
    t0
    t1
    ret
    .size op_empty, . - op_empty

// Hypercall: an HVC the hypervisor answers at once (HVC_FN), there and back.
    .type op_hvc, %function
op_hvc:
    movfn   x0, HVC_FN
    t0
    hvc     #HVC_IMM
    t1
    ret
    .size op_hvc, . - op_hvc

// Interrupt-controller trap: a read of GICD_TYPER, emulated by minihv from the stage-2
// fault.
    .type op_gicd_read, %function
op_gicd_read:
    movz    x1, #(GICD >> 16), lsl #16
    t0
    ldr     w2, [x1, #((GICD & 0xffff) + 4)]
    t1
    ret
    .size op_gicd_read, . - op_gicd_read

// VM switch: HC_YIELD to the partner guest, which yields straight back (two switches).
    .type op_yield, %function
op_yield:
    movfn   x0, HC_YIELD
    t0
    hvc     #MINIHV_HVC_IMM
    t1
    ret
    .size op_yield, . - op_yield

// Virtual IPI: ICC_SGI1R_EL1 = x0 (traps to minihv, which queues the SGI); the interrupt is
// taken when minihv returns, before the ISB after the MSR. Returns t0.
    .type op_sgi_self, %function
op_sgi_self:
    t0
    msr     icc_sgi1r_el1, x0
    isb
    mov     x0, x9
    ret
    .size op_sgi_self, . - op_sgi_self

// I/O out and in: a store to the doorbell; minihv's device model stamps what it sees and
// raises DOORBELL_INTID, taken when minihv returns. Returns t0.
    .type op_doorbell, %function
op_doorbell:
    movz    x1, #(DOORBELL >> 16), lsl #16
    t0
    str     wzr, [x1, #(DOORBELL & 0xffff)]
    isb
    mov     x0, x9
    ret
    .size op_doorbell, . - op_doorbell

// Virtual IRQ completion: acknowledge and end the interrupt being taken through the
// virtual CPU interface (ICV_IAR1_EL1, ICV_EOIR1_EL1 under HCR_EL2.IMO: no trap). The
// INTID goes to *x0.
    .type op_virq_complete, %function
op_virq_complete:
    mov     x11, x0
    t0
    mrs     x1, icc_iar1_el1
    msr     icc_eoir1_el1, x1
    t1
    str     w1, [x11]
    ret
    .size op_virq_complete, . - op_virq_complete

// The partner guest's side of the VM switch: x0 yields, each straight after the last.
    .type partner_yields, %function
partner_yields:
    mov     x9, x0
1:  movfn   x0, HC_YIELD
    hvc     #MINIHV_HVC_IMM
    subs    x9, x9, #1
    b.ne    1b
    ret
    .size partner_yields, . - partner_yields
