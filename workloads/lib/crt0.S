// Start file for bare-metal programs: runs at EL1 or EL2 with the MMU off.
// Sets the stack, installs an exception vector table that reports the exception and powers
// off, zeroes .bss, calls main() and passes its return value to exit().

#include "start.inc"

    .section .text.boot, "ax"
    .global _start
_start:
    set_stack
    bl      install_vectors
    zero_bss
    bl      main
    bl      exit
3:  b       3b

// Secondary cores enter here from PSCI CPU_ON with x0 = context id, which points to
// struct { uint64_t sp; void (*fn)(void *); void *arg; }. After fn returns the core
// turns itself off with PSCI CPU_OFF.
    .global secondary_entry
secondary_entry:
    ldr     x1, [x0]
    mov     sp, x1
    mov     x19, x0
    bl      install_vectors
    ldr     x1, [x19, #8]
    ldr     x0, [x19, #16]
    blr     x1
    bl      psci_cpu_off
4:  b       4b

// Point the vector base register of the current exception level at the table below.
install_vectors:
    adrp    x2, exception_vectors
    add     x2, x2, :lo12:exception_vectors
    mrs     x3, CurrentEL
    ubfx    x3, x3, #2, #2
    cmp     x3, #2
    b.eq    5f
    msr     vbar_el1, x2
    isb
    ret
5:  msr     vbar_el2, x2
    isb
    ret

    .macro vec idx
    .balign 128
    mov     x0, #\idx
    b       exception_common
    .endm

    .balign 2048
exception_vectors:
    vec 0
    vec 1
    vec 2
    vec 3
    vec 4
    vec 5
    vec 6
    vec 7
    vec 8
    vec 9
    vec 10
    vec 11
    vec 12
    vec 13
    vec 14
    vec 15

exception_common:
    mrs     x4, CurrentEL
    ubfx    x4, x4, #2, #2
    cmp     x4, #2
    b.eq    6f
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    mrs     x3, far_el1
    b       exception_report
6:  mrs     x1, esr_el2
    mrs     x2, elr_el2
    mrs     x3, far_el2
    b       exception_report
