/* Entry of the plain ELF64 tests (no Multiboot header): hvsim's -M pc enters e_entry in
 * 64-bit mode on its identity page tables with flat segments; this sets the stack, clears
 * .bss and calls x86_main(0, 0). QEMU loads no such kernel: these run on hvsim only. */
    .section .text.entry, "ax"
    .code64
    .globl _start
_start:
    cli
    movq $stack_top, %rsp
    movq $__bss_start, %rdi
    movq $__bss_end, %rcx
    subq %rdi, %rcx
    xorl %eax, %eax
    rep stosb
    xorl %edi, %edi
    xorl %esi, %esi
    call x86_main
1:  cli
    hlt
    jmp 1b

    .section .pgtables, "aw", @nobits
    .balign 16
stack: .skip 16384
stack_top:
    .section .note.GNU-stack, "", @progbits
