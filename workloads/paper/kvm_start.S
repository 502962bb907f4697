// Start file of the KVM benchmark guest (kvm_bench.c): an arm64 Linux Image as the
// project's VMM (workloads/kvm-vmm/vmm.c) loads one, so that KVM runs it as it runs Linux.
// The 64-byte header (Documentation/arm64/booting.rst): a branch to the code, text_offset 0,
// image_size (what the VMM checks fits below the initrd), flags 0 (little-endian), the
// magic "ARM\x64". Entered at EL1h with the MMU off, x0 = the DTB (unused).
#include "irq_entry.inc"

#include "abi.h"
#include "start.inc"

    .section .text.boot, "ax"
    .global _start
_start:
    b       entry
    .long   0
    .quad   0                       // text_offset
    .quad   __image_end - _start    // image_size
    .quad   0                       // flags
    .quad   0, 0, 0
    .ascii  "ARM\x64"
    .long   0
entry:
    msr     daifset, #0xf
    set_stack
    set_vbar vbar_el1, kvm_vectors
    zero_bss
    bl      guest_main
    // PSCI SYSTEM_OFF through HVC (the conduit KVM gives its guests): the VMM exits 0.
    movz    x0, #(PSCI_SYSTEM_OFF_FN & 0xffff)
    movk    x0, #(PSCI_SYSTEM_OFF_FN >> 16), lsl #16
    hvc     #0
3:  b       3b

    .text
// EL1 vectors: IRQ from the current EL with SP_EL1 runs guest_irq(); anything else reports
// its index through guest_bad_vector().
    .macro bad_vec idx
    .balign 128
    mov     x0, #\idx
    b       guest_bad_vector
    .endm

    .balign 2048
kvm_vectors:
    bad_vec 0
    bad_vec 1
    bad_vec 2
    bad_vec 3
    bad_vec 4
    .balign 128
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

// As minihv's guest_start.S (irq_entry.inc): the caller-saved registers around guest_irq(), ERET.
irq_entry:
    IRQ_ENTRY_CALL guest_irq
