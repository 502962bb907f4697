/* Multiboot v1 entry of the x86-64 bare-metal tests: the loader (QEMU's -kernel, hvsim's
 * -M pc) enters here in 32-bit protected mode, paging off, EAX = 0x2BADB002, EBX = the
 * Multiboot information. This builds identity page tables for the first 4 GiB (2 MiB
 * pages), enables PAE, EFER.LME and paging, loads a 64-bit GDT and jumps to 64-bit code,
 * which sets the stack, clears .bss and calls x86_main(magic, info). */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000003          /* modules page-aligned, memory information */

    .section .multiboot, "a"
    .balign 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .text.entry, "ax"
    .code32
    .globl _start
_start:
    cli
    movl %eax, %edi                  /* magic and info: x86_main's arguments */
    movl %ebx, %esi
    /* PML4[0] -> PDPT; PDPT[0..3] -> PD0..PD3; PDn[i] = 2 MiB page */
    movl $pml4, %eax
    movl $pdpt, %ebx
    orl $3, %ebx
    movl %ebx, (%eax)
    movl $0, %ecx
1:  movl %ecx, %eax
    shll $12, %eax
    addl $pd, %eax
    orl $3, %eax
    movl %eax, pdpt(, %ecx, 8)
    incl %ecx
    cmpl $4, %ecx
    jne 1b
    movl $0, %ecx                    /* 2048 entries over the four page directories */
2:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax                  /* present, writable, 2 MiB */
    movl %eax, pd(, %ecx, 8)
    movl %ecx, %eax
    shrl $11, %eax                   /* the high half of the address: bits 32+ */
    movl %eax, pd+4(, %ecx, 8)
    incl %ecx
    cmpl $2048, %ecx
    jne 2b
    movl $pml4, %eax
    movl %eax, %cr3
    movl %cr4, %eax
    orl $0x20, %eax                  /* PAE */
    movl %eax, %cr4
    movl $0xc0000080, %ecx           /* EFER.LME */
    rdmsr
    orl $0x100, %eax
    wrmsr
    movl %cr0, %eax
    orl $0x80000001, %eax            /* PG, PE */
    movl %eax, %cr0
    lgdt gdt_ptr
    ljmp $0x08, $long_entry

    .code64
long_entry:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movq $stack_top, %rsp
    movq %rdi, %r12
    movq %rsi, %r13
    movq $__bss_start, %rdi          /* .bss: zero (the page tables live there too, but */
    movq $__bss_end, %rcx            /* after them in the link: see link.ld) */
    subq %rdi, %rcx
    xorl %eax, %eax
    rep stosb
    movl %r12d, %edi
    movl %r13d, %esi
    call x86_main
3:  cli
    hlt
    jmp 3b

    .section .rodata
    .balign 16
gdt:
    .quad 0
    .quad 0x00af9a000000ffff         /* 0x08: 64-bit code, DPL 0 */
    .quad 0x00cf92000000ffff         /* 0x10: data */
gdt_end:
    .balign 4
gdt_ptr:
    .word gdt_end - gdt - 1
    .long gdt
    .balign 8
    .globl gdt_ptr64                 /* the same for LGDT in 64-bit mode (lib/ap.c) */
gdt_ptr64:
    .word gdt_end - gdt - 1
    .quad gdt

    /* page tables and stack: not zeroed by the loop above (they are in use) */
    .section .pgtables, "aw", @nobits
    .balign 4096
    .globl pml4
pml4: .skip 4096
pdpt: .skip 4096
pd:   .skip 4 * 4096
    .balign 16
stack: .skip 16384
stack_top:
    .section .note.GNU-stack, "", @progbits
