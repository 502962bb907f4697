// Start file of the KVM benchmark guest (kvm_bench.c): an arm64 Linux Image as the
// project's VMM (workloads/kvm-vmm/vmm.c) loads one, so that KVM runs it as it runs Linux.
// The 64-byte header (Documentation/arm64/booting.rst): a branch to the code, text_offset 0,
// image_size (what the VMM checks fits below the initrd), flags 0 (little-endian), the
// magic "ARM\x64". Entered at EL1h with the MMU off, x0 = the DTB (unused).
#include "abi.h"

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
    adrp    x1, __stack_top
    add     x1, x1, :lo12:__stack_top
    mov     sp, x1
    adrp    x1, kvm_vectors
    add     x1, x1, :lo12:kvm_vectors
    msr     vbar_el1, x1
    isb
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
1:  cmp     x1, x2
    b.hs    2f
    stp     xzr, xzr, [x1], #16
    b       1b
2:  bl      guest_main
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

// As minihv's guest_start.S: the caller-saved registers around guest_irq(), then ERET.
irq_entry:
    sub     sp, sp, #176
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x29, [sp, #144]
    str     x30, [sp, #160]
    bl      guest_irq
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x29, [sp, #144]
    ldr     x30, [sp, #160]
    add     sp, sp, #176
    eret
