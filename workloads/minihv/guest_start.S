// Start file of a minihv guest: entered at EL1h at IPA 0x40000000 with the MMU off and
// DAIF masked (minihv's SPSR_EL2 = 0x3c5). Sets the stack and VBAR_EL1, zeroes .bss, runs
// guest_main() and reports its return value with the HC_DONE hypercall.
#include "abi.h"
#include "irq_entry.inc"
#include "start.inc"

    .section .text.boot, "ax"
    .global _start
_start:
    set_stack
    set_vbar vbar_el1, guest_vectors
    zero_bss
    bl      guest_main
    .global guest_exit
guest_exit:
    mov     x1, x0
    movz    x0, #(HC_DONE & 0xffff)
    movk    x0, #(HC_DONE >> 16), lsl #16
    hvc     #MINIHV_HVC_IMM
3:  b       3b

    .text
// EL1 vector table: only IRQ from the current EL with SP_EL1 is expected (the virtual
// tick); anything else goes to guest_bad_vector(index).
    .macro bad_vec idx
    .balign 128
    mov     x0, #\idx
    b       guest_bad_vector
    .endm

    .balign 2048
guest_vectors:
    bad_vec 0
    bad_vec 1
    bad_vec 2
    bad_vec 3
    bad_vec 4
    .balign 128             // current EL, SP_ELx: IRQ
    b       irq_entry
    bad_vec 6
    bad_vec 7
    bad_vec 8
    bad_vec 9
    bad_vec 10
    bad_vec 11
    bad_vec 12
    bad_vec 13
    bad_vec 14
    bad_vec 15

// Save the caller-saved registers, run guest_irq(), return with ERET.
irq_entry:
    IRQ_ENTRY_CALL guest_irq
