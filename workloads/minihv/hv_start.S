// minihv start file, EL2 vector table and the world switch.
//
// The boot core enters _start at EL2 with the MMU off (QEMU -kernel with
// virtualization=on and no EL3). vcpu_run() enters a guest with ERET and returns to its C
// caller when the guest exits: a synchronous exception or an IRQ from a lower EL taken to
// EL2 (Arm ARM, "Exception entry"; HCR_EL2.IMO routes physical IRQs to EL2).

// Offsets in struct vcpu_regs (minihv.c): x0..x30, then ELR_EL2 and SPSR_EL2.
#define REGS_X(n)   ((n) * 8)
#define REGS_ELR    (31 * 8)

#include "start.inc"

    .section .text.boot, "ax"
    .global _start
_start:
    set_stack
    set_vbar vbar_el2, hv_vectors
    zero_bss
    bl      hv_main
3:  wfi
    b       3b

    .text
// uint64_t vcpu_run(struct vcpu_regs *regs): 0 = synchronous exit, 1 = IRQ exit.
// The host's callee-saved registers stay on the EL2 stack; TPIDR_EL2 points at regs.
    .global vcpu_run
vcpu_run:
    stp     x29, x30, [sp, #-96]!
    stp     x19, x20, [sp, #16]
    stp     x21, x22, [sp, #32]
    stp     x23, x24, [sp, #48]
    stp     x25, x26, [sp, #64]
    stp     x27, x28, [sp, #80]
    msr     tpidr_el2, x0
    ldp     x1, x2, [x0, #REGS_ELR]
    msr     elr_el2, x1
    msr     spsr_el2, x2
    ldp     x2, x3, [x0, #REGS_X(2)]
    ldp     x4, x5, [x0, #REGS_X(4)]
    ldp     x6, x7, [x0, #REGS_X(6)]
    ldp     x8, x9, [x0, #REGS_X(8)]
    ldp     x10, x11, [x0, #REGS_X(10)]
    ldp     x12, x13, [x0, #REGS_X(12)]
    ldp     x14, x15, [x0, #REGS_X(14)]
    ldp     x16, x17, [x0, #REGS_X(16)]
    ldp     x18, x19, [x0, #REGS_X(18)]
    ldp     x20, x21, [x0, #REGS_X(20)]
    ldp     x22, x23, [x0, #REGS_X(22)]
    ldp     x24, x25, [x0, #REGS_X(24)]
    ldp     x26, x27, [x0, #REGS_X(26)]
    ldp     x28, x29, [x0, #REGS_X(28)]
    ldr     x30, [x0, #REGS_X(30)]
    ldp     x0, x1, [x0, #REGS_X(0)]
    eret

// Guest exit: x0/x1 were pushed by the vector, x0 = exit kind.
guest_exit:
    mrs     x1, tpidr_el2
    stp     x2, x3, [x1, #REGS_X(2)]
    stp     x4, x5, [x1, #REGS_X(4)]
    stp     x6, x7, [x1, #REGS_X(6)]
    stp     x8, x9, [x1, #REGS_X(8)]
    stp     x10, x11, [x1, #REGS_X(10)]
    stp     x12, x13, [x1, #REGS_X(12)]
    stp     x14, x15, [x1, #REGS_X(14)]
    stp     x16, x17, [x1, #REGS_X(16)]
    stp     x18, x19, [x1, #REGS_X(18)]
    stp     x20, x21, [x1, #REGS_X(20)]
    stp     x22, x23, [x1, #REGS_X(22)]
    stp     x24, x25, [x1, #REGS_X(24)]
    stp     x26, x27, [x1, #REGS_X(26)]
    stp     x28, x29, [x1, #REGS_X(28)]
    str     x30, [x1, #REGS_X(30)]
    ldp     x2, x3, [sp], #16
    stp     x2, x3, [x1, #REGS_X(0)]
    mrs     x2, elr_el2
    mrs     x3, spsr_el2
    stp     x2, x3, [x1, #REGS_ELR]
    ldp     x19, x20, [sp, #16]
    ldp     x21, x22, [sp, #32]
    ldp     x23, x24, [sp, #48]
    ldp     x25, x26, [sp, #64]
    ldp     x27, x28, [sp, #80]
    ldp     x29, x30, [sp], #96
    ret

// EL2 vector table (Arm ARM, "Exception vectors"): 16 entries of 128 bytes. Only
// the "lower EL using AArch64" synchronous and IRQ entries are expected; everything else
// is reported by hv_bad_vector() and stops the machine.
    .macro bad_vec idx
    .balign 128
    mov     x0, #\idx
    b       hv_bad_vector
    .endm
    .macro exit_vec kind
    .balign 128
    stp     x0, x1, [sp, #-16]!
    mov     x0, #\kind
    b       guest_exit
    .endm

    .balign 2048
hv_vectors:
    bad_vec 0       // current EL, SP_EL0: sync, IRQ, FIQ, SError
    bad_vec 1
    bad_vec 2
    bad_vec 3
    bad_vec 4       // current EL, SP_EL2
    bad_vec 5
    bad_vec 6
    bad_vec 7
    exit_vec 0      // lower EL, AArch64: sync
    exit_vec 1      //                    IRQ
    bad_vec 10      //                    FIQ
    bad_vec 11      //                    SError
    bad_vec 12      // lower EL, AArch32
    bad_vec 13
    bad_vec 14
    bad_vec 15
