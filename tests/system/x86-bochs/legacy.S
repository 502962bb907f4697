/* 32-bit protected mode, as a Multiboot loader enters it, for the Bochs comparison
 * (tests/system/x86-bochs.sh): interrupt and trap gates through a 32-bit IDT, the stack
 * switch from a 32-bit TSS on a privilege change (INT from CPL 3 through a DPL-3 gate and
 * IRET back), #GP with the IDT error code for a DPL-0 gate from CPL 3, #GP for a limit
 * violation (expand-up and expand-down), #GP for a write to a read-only segment, #NP for a
 * not-present segment, #GP for a selector past the GDT; each handler prints the vector, the
 * error code (or -), the interrupted CS and whether the stack was switched, then resumes at
 * the continuation the test left in `resume`. Ends through isa-debug-exit (port 0xf4), then
 * Bochs's shutdown port (0x8900).
 * Built with as --32 and ld -m elf_i386 -Ttext=0x100000 by the script. hvsim prints what
 * Bochs prints; QEMU's TCG does not check data-segment limits and rights here (the limit,
 * expand-down and read-only lines end without an exception). */
    .set MB_MAGIC, 0x1badb002
    .set MB_FLAGS, 0                     /* loaded by its ELF headers */
    .section .text
    .code32
    .globl _start
    .balign 4
mb_header:
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
_start:
    cli
    mov $0xff, %al                       /* the 8259s masked (firmware may leave IRQ 0 on) */
    out %al, $0x21
    out %al, $0xa1
    lgdt gdt_ptr
    ljmp $0x08, $1f
1:  mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    mov $stack_top, %esp
    /* TSS: its descriptor's base, ESP0/SS0 for CPL 3 -> 0 */
    mov $tss, %eax
    mov %ax, tss_desc + 2
    shr $16, %eax
    mov %al, tss_desc + 4
    mov %ah, tss_desc + 7
    movl $kstack_top, tss + 4
    movl $0x10, tss + 8
    mov $0x28, %ax
    ltr %ax
    /* IDT: a handler per vector of interest */
    mov $h0d, %eax
    mov $13, %ecx
    mov $0x8e, %edx
    call set_gate
    mov $h0b, %eax
    mov $11, %ecx
    call set_gate
    mov $h0c, %eax
    mov $12, %ecx
    call set_gate
    mov $h80, %eax
    mov $0x80, %ecx
    mov $0xee, %edx                      /* DPL 3 interrupt gate */
    call set_gate
    mov $h81, %eax
    mov $0x81, %ecx
    mov $0x8f, %edx                      /* DPL 0 trap gate */
    call set_gate
    lidt idt_ptr

    mov $msg_title, %esi
    call puts

    /* INT 0x80 at CPL 0: no stack switch */
    mov $msg_int80, %esi
    call puts
    movl $1f, resume
    int $0x80
1:  call done

    /* limit 0xfff, byte granular: [0x1000] is past it */
    mov $msg_limit, %esi
    call puts
    movl $1f, resume
    mov $0x30, %ax
    mov %ax, %es
    mov %es:0xffc, %eax
    mov %es:0x1000, %eax
1:  call done

    /* expand-down above 0xfff, 64 KiB: [0x800] is below the limit */
    mov $msg_expdown, %esi
    call puts
    movl $1f, resume
    mov $0x38, %ax
    mov %ax, %es
    mov %es:0x2000, %eax
    mov %es:0x800, %eax
1:  call done

    /* read-only data segment */
    mov $msg_rodata, %esi
    call puts
    movl $1f, resume
    mov $0x40, %ax
    mov %ax, %es
    mov %es:0x10, %eax
    mov %eax, %es:0x10
1:  call done

    /* not-present data segment */
    mov $msg_np, %esi
    call puts
    movl $1f, resume
    mov $0x48, %ax
    mov %ax, %es
1:  call done

    /* a selector past the GDT */
    mov $msg_past, %esi
    call puts
    movl $1f, resume
    mov $0x1230, %ax
    mov %ax, %es
1:  call done
    mov $0x10, %ax
    mov %ax, %es

    /* CPL 3: INT 0x80 through the DPL-3 gate (stack switch), IRET back to CPL 3 */
    mov $msg_user80, %esi
    call puts
    movl $1f, resume
    mov %esp, kesp_save
    pushl $0x23                          /* SS */
    pushl $ustack_top                    /* ESP */
    pushl $0x2                           /* EFLAGS: interrupts stay off */
    pushl $0x1b                          /* CS */
    pushl $2f                            /* EIP */
    iret
2:  int $0x80                            /* returns here at CPL 3 */
    int $0x81                            /* DPL 0 gate: #GP(0x81 * 8 + 2) */
1:  call done

    mov $msg_end, %esi
    call puts
    mov $0, %al
    out %al, $0xf4
    mov $0x3fd, %dx                      /* Bochs: COM1's transmitter empty (LSR.TEMT), */
4:  in %dx, %al
    test $0x40, %al
    jz 4b
    mov $shutdown, %esi                  /* then "Shutdown" to port 0x8900 ends the run */
    mov $8, %ecx
    mov $0x8900, %dx
    cld
    rep outsb
3:  hlt
    jmp 3b

/* set_gate: vector ecx, handler eax, type/attributes dl */
set_gate:
    lea idt(,%ecx,8), %edi
    mov %ax, (%edi)
    movw $0x08, 2(%edi)
    movb $0, 4(%edi)
    mov %dl, 5(%edi)
    shr $16, %eax
    mov %ax, 6(%edi)
    ret

/* handlers: push a fake error code where the CPU does not, then the vector */
h80: pushl $-1
    pushl $0x80
    jmp common
h81: pushl $-1
    pushl $0x81
    jmp common
h0b: pushl $11
    jmp common
h0c: pushl $12
    jmp common
h0d: pushl $13
    jmp common

/* stack: vector, error, EIP, CS, EFLAGS, (ESP, SS if from CPL 3) */
common:
    mov $0x10, %ax                       /* the handler's data segments */
    mov %ax, %ds
    mov %ax, %es
    mov $msg_exc, %esi
    call puts
    mov (%esp), %eax
    call puthex
    mov $msg_err, %esi
    call puts
    mov 4(%esp), %eax
    cmp $-1, %eax
    je 1f
    call puthex
    jmp 2f
1:  mov $msg_none, %esi
    call puts
2:  mov $msg_cs, %esi
    call puts
    mov 12(%esp), %eax
    call puthex
    mov 12(%esp), %eax
    test $3, %eax
    jz 3f
    /* from CPL 3: the TSS's stack was switched to (the frame is at its top) */
    mov $msg_switched, %esi
    call puts
    lea 28(%esp), %eax
    cmp $kstack_top, %eax
    jne 4f
    mov $msg_yes, %esi
    call puts
    jmp 3f
4:  mov $msg_no, %esi
    call puts
3:  mov $msg_nl, %esi
    call puts
    /* INT 0x80 from CPL 3: back to CPL 3 after it (the IRET pops SS:ESP) */
    cmpl $0x80, (%esp)
    jne 5f
    testl $3, 12(%esp)
    jz 5f
    add $8, %esp
    mov $0x23, %ax
    mov %ax, %ds
    mov %ax, %es
    iret
    /* otherwise: resume at the test's continuation at CPL 0 */
5:  mov resume, %eax
    testl $3, 12(%esp)
    jz 6f
    mov kesp_save, %esp                  /* from CPL 3: the kernel's stack as it was */
    mov $0x10, %bx
    mov %bx, %ds
    mov %bx, %es
    jmp *%eax
6:  mov %eax, 8(%esp)
    add $8, %esp
    iret

done:
    mov $msg_done, %esi
    jmp puts

/* puts: the string at esi on COM1 */
puts:
    push %eax
    push %edx
1:  lodsb
    test %al, %al
    jz 2f
    mov %al, %ah
    mov $0x3fd, %dx
3:  in %dx, %al
    test $0x20, %al
    jz 3b
    mov $0x3f8, %dx
    mov %ah, %al
    out %al, %dx
    jmp 1b
2:  pop %edx
    pop %eax
    ret

/* puthex: eax as 0x... */
puthex:
    push %ecx
    push %esi
    push %eax
    mov $msg_0x, %esi
    call puts
    pop %eax
    push %eax
    mov $8, %ecx
1:  rol $4, %eax
    push %eax
    and $0xf, %eax
    mov hexdigits(%eax), %al
    mov %al, hexbuf
    mov $hexbuf, %esi
    call puts
    pop %eax
    loop 1b
    pop %eax
    pop %esi
    pop %ecx
    ret

    .section .data
    .balign 8
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff             /* 0x08 code, DPL 0 */
    .quad 0x00cf92000000ffff             /* 0x10 data, DPL 0 */
    .quad 0x00cffa000000ffff             /* 0x18 code, DPL 3 */
    .quad 0x00cff2000000ffff             /* 0x20 data, DPL 3 */
tss_desc:
    .word 103, 0                         /* 0x28 TSS, its base set at start */
    .byte 0, 0x89, 0, 0
    .quad 0x0040920000000fff             /* 0x30 data, limit 0xfff, byte granular */
    .quad 0x0000960000000fff             /* 0x38 data, expand-down above 0xfff, B clear */
    .quad 0x0040900000000fff             /* 0x40 data, read-only */
    .quad 0x00cf12000000ffff             /* 0x48 data, not present */
gdt_end:
gdt_ptr:
    .word gdt_end - gdt - 1
    .long gdt
idt_ptr:
    .word 256 * 8 - 1
    .long idt
hexdigits: .ascii "0123456789abcdef"
hexbuf: .byte 0, 0
msg_title: .asciz "legacy protected mode on x86\n"
msg_int80: .asciz "int 0x80 at cpl 0: "
msg_limit: .asciz "limit violation: "
msg_expdown: .asciz "expand-down below the limit: "
msg_rodata: .asciz "write to read-only data: "
msg_np: .asciz "not-present segment: "
msg_past: .asciz "selector past the gdt: "
msg_user80: .asciz "cpl 3: int 0x80 then int 0x81: "
msg_end: .asciz "end\n"
shutdown: .ascii "Shutdown"
msg_exc: .asciz "vector "
msg_err: .asciz " error "
msg_none: .asciz "-"
msg_cs: .asciz " cs "
msg_switched: .asciz " stack switched "
msg_yes: .asciz "yes"
msg_no: .asciz "no"
msg_nl: .asciz "\n"
msg_done: .asciz "done\n"
msg_0x: .asciz "0x"
resume: .long 0
kesp_save: .long 0
    .section .bss
    .balign 16
tss: .space 104
idt: .space 256 * 8
    .space 4096
stack_top:
    .space 4096
kstack_top:
    .space 4096
ustack_top:
