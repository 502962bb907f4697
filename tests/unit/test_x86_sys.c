/* The x86-64 core's system part (suite x86sys): a machine with 16 MiB of RAM at 0 and one
 * x86 core, hand-assembled programs run through the real decoder and run loop: mode
 * transitions, IDT delivery with error codes and CR2, canonical checks, SYSCALL/SYSRET,
 * CPUID, MSRs, the double and triple fault, the state description. */
#include <criterion/criterion.h>
#include <string.h>
#include "core/machine.h"
#include "cpu/x86_64/cpu.h"
#include "cpu/x86_64/insn.h"
#include "cpu/x86_64/sys_internal.h"
#include "devices/lapic.h"
#include "x86_harness.h"

static void put(XH *t, uint64_t pa, const void *bytes, size_t n)
{
    memcpy(t->m->ram + pa, bytes, n);
    machine_ram_written(t->m, pa, n);
    x86_decode_flush(t->c);
}

static void put64(XH *t, uint64_t pa, uint64_t v)
{
    put(t, pa, &v, 8);
}

static uint64_t get64(XH *t, uint64_t pa)
{
    uint64_t v;
    memcpy(&v, t->m->ram + pa, 8);
    return v;
}

/* Long-mode tables: PML4 0x10000, PDPT 0x11000, PD 0x12000 mapping the first 2 MiB with one
 * 2 MiB page (flags pde_flags), nothing else. */
#define PML4 0x10000ull
static void long_tables(XH *t, uint64_t pde_flags)
{
    put64(t, PML4, 0x11000 | 7);
    put64(t, 0x11000, 0x12000 | 7);
    put64(t, 0x12000, 0x0 | 0x80 | pde_flags);
}

/* A 64-bit IDT at 0x20000 (256 vectors) with interrupt gates to handlers at
 * 0x3000 + 0x10 * vector (a HLT each), CS 0x08. */
#define IDT 0x20000ull
static void long_idt(XH *t)
{
    for (int v = 0; v < 256; v++) {
        uint64_t h = 0x3000 + 0x10 * (uint64_t)v;
        uint64_t lo = (h & 0xffff) | (0x08ull << 16) | (0x8eull << 40) | ((h >> 16 & 0xffff) << 48);
        put64(t, IDT + 16 * (uint64_t)v, lo);
        put64(t, IDT + 16 * (uint64_t)v + 8, h >> 32);
        uint8_t hlt = 0xf4;
        put(t, h, &hlt, 1);
    }
    t->c->idtr = (X86DescTable){ .base = IDT, .limit = 256 * 16 - 1 };
}

/* A GDT at 0x500: 0x08 kernel code64, 0x10 kernel data, 0x18 user data, 0x20 user code64. */
static void long_gdt(XH *t)
{
    put64(t, 0x500, 0);
    put64(t, 0x508, 0x00af9a000000ffffull);
    put64(t, 0x510, 0x00cf92000000ffffull);
    put64(t, 0x518, 0x00cff2000000ffffull);
    put64(t, 0x520, 0x00affa000000ffffull);
    t->c->gdtr = (X86DescTable){ .base = 0x500, .limit = 0x27 };
}

static void enter_long(XH *t, uint64_t rip)
{
    long_tables(t, 3);
    x86_cpu_enter_long(t->c, rip, PML4);
    long_gdt(t);
    long_idt(t);
    t->c->gpr[X86_RSP] = 0x9000;
}

TestSuite(x86sys);

Test(x86sys, power_on_state)
{
    XH *t = xh_new("qemu64");
    X86Cpu *c = t->c;
    cr_assert_eq(c->rip, 0xfff0);
    cr_assert_eq(c->seg[X86_CS].sel, 0xf000);
    cr_assert_eq(c->seg[X86_CS].base, 0xffff0000ull);
    cr_assert_eq(c->cr0, 0x60000010);
    cr_assert_eq(c->rflags, 2);
    cr_assert_eq(c->gpr[X86_RDX], 0x00060fb1);
    cr_assert_eq(c->code_bits, 16);
    cr_assert_eq(c->cpl, 0);
    cr_assert_eq(c->apic_base, 0xfee00900ull, "xAPIC enabled, BSP");
    cr_assert_eq(c->exc.vector, -1);
    X86Cpu *ap = x86_cpu_new(t->m, 1);
    cr_assert(ap->wait_sipi);
    cr_assert_eq(ap->apic_base, 0xfee00800ull);
    x86_cpu_class.destroy(ap);
    xh_free(t);
}

/* Real mode reading and writing the first page: the soft TLB's empty entries (their fast
 * tag 0) must not pass for RAM at linear page 0 outside 64-bit code, where the data
 * accesses' fast path is off (x86_ram_fast). */
Test(x86sys, real_mode_page_zero)
{
    XH *t = xh_new("qemu64");
    X86Cpu *c = t->c;
    /* at 0x7c00: mov ax,[0x0010]; mov [0x0020],ax; hlt */
    static const uint8_t prog[] = { 0xa1, 0x10, 0x00, 0xa3, 0x20, 0x00, 0xf4 };
    put(t, 0x7c00, prog, sizeof prog);
    uint16_t v = 0xbeef;
    put(t, 0x10, &v, 2);
    c->seg[X86_CS].sel = 0;
    c->seg[X86_CS].base = 0;
    c->rip = 0x7c00;
    x86_update_mode(c);
    x86_decode_mode_changed(c);
    xh_run(t, 3);
    cr_assert_eq(c->gpr[X86_RAX] & 0xffff, 0xbeef);
    uint16_t w;
    memcpy(&w, t->m->ram + 0x20, 2);
    cr_assert_eq(w, 0xbeef);
    cr_assert(c->halted);
    xh_free(t);
}

/* Real mode -> protected mode -> long mode, the way a boot loader does it. */
Test(x86sys, real_to_protected_to_long)
{
    XH *t = xh_new("max");
    X86Cpu *c = t->c;
    /* GDT at 0x500: null, 0x08 code32, 0x10 data, 0x18 code64 */
    put64(t, 0x500, 0);
    put64(t, 0x508, 0x00cf9a000000ffffull);
    put64(t, 0x510, 0x00cf92000000ffffull);
    put64(t, 0x518, 0x00af9a000000ffffull);
    uint8_t gdtr[6] = { 0x1f, 0, 0x00, 0x05, 0, 0 };
    put(t, 0x600, gdtr, sizeof gdtr);
    long_tables(t, 3);
    static const uint8_t code16[] = {
        0x0f, 0x01, 0x16, 0x00, 0x06,       /* lgdt [0x600] */
        0x0f, 0x20, 0xc0,                   /* mov eax, cr0 */
        0x0c, 0x01,                         /* or al, 1 */
        0x0f, 0x22, 0xc0,                   /* mov cr0, eax */
        0xea, 0x00, 0x7d, 0x08, 0x00,       /* jmp 0x08:0x7d00 */
    };
    static const uint8_t code32[] = {
        0x66, 0xb8, 0x10, 0x00,             /* mov ax, 0x10 */
        0x8e, 0xd8,                         /* mov ds, ax */
        0x8e, 0xd0,                         /* mov ss, ax */
        0x0f, 0x20, 0xe0,                   /* mov eax, cr4 */
        0x83, 0xc8, 0x20,                   /* or eax, 0x20 (PAE) */
        0x0f, 0x22, 0xe0,                   /* mov cr4, eax */
        0xb8, 0x00, 0x00, 0x01, 0x00,       /* mov eax, 0x10000 */
        0x0f, 0x22, 0xd8,                   /* mov cr3, eax */
        0xb9, 0x80, 0x00, 0x00, 0xc0,       /* mov ecx, 0xc0000080 (EFER) */
        0x0f, 0x32,                         /* rdmsr */
        0x0d, 0x00, 0x01, 0x00, 0x00,       /* or eax, 0x100 (LME) */
        0x0f, 0x30,                         /* wrmsr */
        0x0f, 0x20, 0xc0,                   /* mov eax, cr0 */
        0x0d, 0x00, 0x00, 0x00, 0x80,       /* or eax, 0x80000000 (PG) */
        0x0f, 0x22, 0xc0,                   /* mov cr0, eax */
        0xea, 0x00, 0x7e, 0x00, 0x00, 0x18, 0x00,   /* jmp 0x18:0x7e00 */
    };
    static const uint8_t code64[] = {
        0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,   /* mov rax, imm64 */
        0xf4,                                                         /* hlt */
    };
    put(t, 0x7c00, code16, sizeof code16);
    put(t, 0x7d00, code32, sizeof code32);
    put(t, 0x7e00, code64, sizeof code64);
    c->seg[X86_CS].sel = 0;
    c->seg[X86_CS].base = 0;
    c->rip = 0x7c00;
    x86_update_mode(c);
    cr_assert_eq(xh_run(t, 5), 0);
    cr_assert_eq(c->code_bits, 32, "after the far jump: 32-bit protected mode");
    cr_assert_eq(c->seg[X86_CS].sel, 0x08);
    cr_assert_eq(c->rip, 0x7d00);
    cr_assert_eq(xh_run(t, 15), 0);
    cr_assert(c->efer & X86_EFER_LMA, "EFER.LMA set by CR0.PG with LME and PAE");
    cr_assert_eq(c->code_bits, 32, "compatibility mode until CS is 64-bit");
    cr_assert_eq(c->seg[X86_DS].sel, 0x10);
    cr_assert_eq(xh_run(t, 3), 0);
    cr_assert_eq(c->code_bits, 64);
    cr_assert_eq(c->gpr[X86_RAX], 0x1122334455667788ull);
    cr_assert(c->halted);
    cr_assert_eq(c->rip, 0x7e0b);
    cr_assert(get64(t, 0x508) & (1ull << 40), "the code descriptor's accessed bit");
    xh_free(t);
}

Test(x86sys, page_fault_through_the_idt)
{
    XH *t = xh_new("max");
    X86Cpu *c = t->c;
    /* mov rax, [0x400000] */
    static const uint8_t code[] = { 0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x40, 0x00 };
    put(t, 0x1000, code, sizeof code);
    enter_long(t, 0x1000);
    c->rflags = 2 | X86_IF | X86_CF;
    cr_assert_eq(xh_run(t, 2), 0);          /* the faulting load, then the handler's HLT */
    cr_assert_eq(c->cr2, 0x400000);
    cr_assert_eq(c->rip, 0x3000 + 0x10 * 14 + 1);
    cr_assert(c->halted);
    cr_assert_eq(c->gpr[X86_RSP], 0x9000 - 48);
    cr_assert_eq(get64(t, 0x9000 - 48), 0, "error code: not present, read, supervisor");
    cr_assert_eq(get64(t, 0x9000 - 40), 0x1000, "RIP of the faulting instruction");
    cr_assert_eq(get64(t, 0x9000 - 32), 0x08);
    cr_assert_eq(get64(t, 0x9000 - 24), 2 | X86_IF | X86_CF);
    cr_assert_eq(get64(t, 0x9000 - 16), 0x9000);
    cr_assert_eq(get64(t, 0x9000 - 8), 0x10);
    cr_assert_not(c->rflags & X86_IF, "an interrupt gate clears IF");
    /* a write to a read-only page: P and W/R set */
    t->c->halted = 0;
    put64(t, 0x12000, 0x80 | 1);                      /* read-only 2 MiB page */
    /* mov [0x5000], rax */
    static const uint8_t store[] = { 0x48, 0x89, 0x04, 0x25, 0x00, 0x50, 0x00, 0x00 };
    put(t, 0x1000, store, sizeof store);
    c->rip = 0x1000;
    c->gpr[X86_RSP] = 0x9000;
    c->cr0 |= X86_CR0_WP;
    x86_tlb_flush(c);                                 /* as the guest's MOV CR3 would */
    /* the handler cannot push on a read-only stack: #PF in #PF delivery is a double
     * fault, whose push faults again: a triple fault */
    cr_assert_eq(xh_run(t, 2), EXIT_GUEST_CRASH);
    cr_assert(strstr(t->m->stop_msg, "triple fault"), "%s", t->m->stop_msg);
    xh_free(t);
}

Test(x86sys, non_canonical_is_gp_or_ss)
{
    XH *t = xh_new("qemu64");
    X86Cpu *c = t->c;
    static const uint8_t code[] = {
        0x48, 0x8b, 0x03,                   /* mov rax, [rbx] */
    };
    put(t, 0x1000, code, sizeof code);
    enter_long(t, 0x1000);
    c->gpr[X86_RBX] = 0x0000800000000000ull;
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->rip, 0x3000 + 0x10 * 13, "#GP");
    cr_assert_eq(get64(t, 0x9000 - 48), 0);
    cr_assert_eq(c->cr2, 0, "no walk, no CR2");
    static const uint8_t code2[] = { 0x48, 0x8b, 0x45, 0x00 };   /* mov rax, [rbp] */
    put(t, 0x1000, code2, sizeof code2);
    c->rip = 0x1000;
    c->gpr[X86_RSP] = 0x9000;
    c->gpr[X86_RBP] = 0xffff000000000000ull;
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->rip, 0x3000 + 0x10 * 12, "#SS for an SS-based access");
    xh_free(t);
}

Test(x86sys, syscall_sysret_round_trip)
{
    XH *t = xh_new("max");
    X86Cpu *c = t->c;
    static const uint8_t user[] = { 0x0f, 0x05, 0x48, 0x31, 0xc0 };   /* syscall; xor rax, rax */
    static const uint8_t kern[] = { 0x48, 0x0f, 0x07 };               /* sysretq */
    put(t, 0x1000, user, sizeof user);
    put(t, 0x2000, kern, sizeof kern);
    long_tables(t, 7);                                /* user pages */
    x86_cpu_enter_long(t->c, 0x1000, PML4);
    long_gdt(t);
    cr_assert(x86_wrmsr(c, 0xc0000081, 0x0010000800000000ull));   /* STAR */
    cr_assert(x86_wrmsr(c, 0xc0000082, 0x2000));                   /* LSTAR */
    cr_assert(x86_wrmsr(c, 0xc0000084, X86_IF | X86_DF));          /* FMASK */
    /* start at CPL 3 */
    c->seg[X86_CS].sel = 0x23;
    c->seg[X86_CS].attr |= 3 << 5;
    c->seg[X86_SS].sel = 0x1b;
    c->seg[X86_SS].attr |= 3 << 5;
    x86_update_mode(c);
    cr_assert_eq(c->cpl, 3);
    c->rflags = 2 | X86_IF | X86_DF | X86_ZF;
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->cpl, 0);
    cr_assert_eq(c->rip, 0x2000);
    cr_assert_eq(c->seg[X86_CS].sel, 0x08);
    cr_assert_eq(c->seg[X86_SS].sel, 0x10);
    cr_assert_eq(c->gpr[X86_RCX], 0x1002);
    cr_assert_eq(c->gpr[X86_R11], 2 | X86_IF | X86_DF | X86_ZF);
    cr_assert_eq(c->rflags, 2 | X86_ZF, "FMASK cleared IF and DF");
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->cpl, 3);
    cr_assert_eq(c->rip, 0x1002);
    cr_assert_eq(c->seg[X86_CS].sel, 0x23);
    cr_assert_eq(c->seg[X86_SS].sel, 0x1b);
    cr_assert_eq(c->code_bits, 64);
    cr_assert_eq(c->rflags, 2 | X86_IF | X86_DF | X86_ZF);
    /* SYSRET at CPL 3 is #GP(0); SYSCALL without EFER.SCE is #UD */
    long_idt(t);
    static const uint8_t sysret_user[] = { 0x48, 0x0f, 0x07 };
    put(t, 0x1002, sysret_user, sizeof sysret_user);
    c->gpr[X86_RSP] = 0x9000;
    cr_assert(x86_wrmsr(c, 0xc0000081, 0x0010000800000000ull));
    /* a privilege change needs the TSS's RSP0: a TSS at 0x4000 with RSP0 0x8800 */
    put64(t, 0x4004, 0x8800);
    c->tr = (X86Seg){ .base = 0x4000, .limit = 0x67, .attr = 0x8b, .sel = 0x28 };
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->rip, 0x3000 + 0x10 * 13);
    cr_assert_eq(c->cpl, 0);
    cr_assert_eq(c->gpr[X86_RSP], 0x8800 - 48, "stack from TSS.RSP0");
    cr_assert_eq(get64(t, 0x8800 - 16), 0x9000, "old RSP");
    cr_assert_eq(get64(t, 0x8800 - 8), 0x1b, "old SS");
    cr_assert_eq(c->seg[X86_SS].sel, 0, "SS is null after a privilege change");
    xh_free(t);
}

static int returns_seen, return_from, return_to;
static uint64_t return_pc;
static bool hear_return(void *opaque, const EvInfo *e)
{
    (void)opaque;
    returns_seen++;
    return_from = e->el;
    return_to = e->u.exc.to_el;
    return_pc = e->pc;
    return false;
}

Test(x86sys, iretq_returns_to_user)
{
    XH *t = xh_new("max");
    X86Cpu *c = t->c;
    /* GDT: 0x08 kernel code64, 0x10 kernel data, 0x18 user data, 0x20 user code64 */
    put64(t, 0x500, 0);
    put64(t, 0x508, 0x00af9a000000ffffull);
    put64(t, 0x510, 0x00cf92000000ffffull);
    put64(t, 0x518, 0x00cff2000000ffffull);
    put64(t, 0x520, 0x00affa000000ffffull);
    static const uint8_t code[] = { 0x48, 0xcf };     /* iretq */
    put(t, 0x1000, code, sizeof code);
    long_tables(t, 7);
    x86_cpu_enter_long(c, 0x1000, PML4);
    c->gdtr = (X86DescTable){ .base = 0x500, .limit = 0x27 };
    c->gpr[X86_RSP] = 0x9000 - 40;
    put64(t, 0x9000 - 40, 0x1800);                    /* RIP */
    put64(t, 0x9000 - 32, 0x23);                      /* CS */
    put64(t, 0x9000 - 24, 2 | X86_IF | X86_IOPL);     /* RFLAGS */
    put64(t, 0x9000 - 16, 0x7000);                    /* RSP */
    put64(t, 0x9000 - 8, 0x1b);                       /* SS */
    returns_seen = 0;
    ev_subscribe(&t->m->events, EV_BIT(EV_EXC_RETURN), EV_PRIO_PLUGIN, NULL, hear_return, NULL);
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(returns_seen, 1, "IRET publishes EV_EXC_RETURN");
    cr_assert_eq(return_from, 0);
    cr_assert_eq(return_to, 3);
    cr_assert_eq(return_pc, 0x1800);
    cr_assert_eq(c->cpl, 3);
    cr_assert_eq(c->rip, 0x1800);
    cr_assert_eq(c->gpr[X86_RSP], 0x7000);
    cr_assert_eq(c->seg[X86_SS].sel, 0x1b);
    cr_assert_eq(c->rflags, 2 | X86_IF | X86_IOPL);
    cr_assert_eq(c->code_bits, 64);
    xh_free(t);
}

Test(x86sys, real_mode_int_and_iret)
{
    XH *t = xh_new("qemu64");
    X86Cpu *c = t->c;
    /* IVT entry 0x10 -> 0x0200:0x0010 (linear 0x2010) */
    uint32_t ivt = 0x02000010;
    put(t, 0x40, &ivt, 4);
    static const uint8_t code[] = { 0xcd, 0x10, 0x90 };   /* int 0x10; nop */
    static const uint8_t handler[] = { 0xcf };            /* iret */
    put(t, 0x7c00, code, sizeof code);
    put(t, 0x2010, handler, sizeof handler);
    c->seg[X86_CS].sel = 0;
    c->seg[X86_CS].base = 0;
    c->rip = 0x7c00;
    c->gpr[X86_RSP] = 0x7000;
    c->rflags = 2 | X86_IF;
    x86_update_mode(c);
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->seg[X86_CS].sel, 0x200);
    cr_assert_eq(c->rip, 0x10);
    cr_assert_eq(c->gpr[X86_RSP], 0x7000 - 6);
    cr_assert_not(c->rflags & X86_IF);
    uint16_t frame[3];
    memcpy(frame, t->m->ram + 0x7000 - 6, 6);
    cr_assert_eq(frame[0], 0x7c02);
    cr_assert_eq(frame[1], 0);
    cr_assert_eq(frame[2], 2 | X86_IF);
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->rip, 0x7c02);
    cr_assert_eq(c->seg[X86_CS].sel, 0);
    cr_assert(c->rflags & X86_IF);
    cr_assert_eq(c->gpr[X86_RSP], 0x7000);
    xh_free(t);
}

Test(x86sys, triple_fault_stops_the_machine)
{
    XH *t = xh_new("qemu64");
    X86Cpu *c = t->c;
    static const uint8_t code[] = { 0x48, 0x8b, 0x03 };   /* mov rax, [rbx] */
    put(t, 0x1000, code, sizeof code);
    enter_long(t, 0x1000);
    c->idtr.limit = 0;                                    /* no gate for anything */
    c->gpr[X86_RBX] = 0x0000800000000000ull;
    cr_assert_eq(xh_run(t, 10), EXIT_GUEST_CRASH);
    cr_assert(strstr(t->m->stop_msg, "triple fault at RIP 0x1000"), "%s", t->m->stop_msg);
    xh_free(t);
}

Test(x86sys, exception_loop_stops_the_machine)
{
    XH *t = xh_new("qemu64");
    X86Cpu *c = t->c;
    enter_long(t, 0x1000);
    /* every handler at an unmapped address: each delivery's fetch faults again */
    for (int v = 0; v < 32; v++) {
        uint64_t h = 0x400000;
        put64(t, IDT + 16 * (uint64_t)v, (h & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
                                             ((h >> 16 & 0xffff) << 48));
    }
    c->rip = 0x500000;
    c->gpr[X86_RSP] = 0x1f0000;                       /* room for a thousand frames */
    cr_assert_eq(xh_run(t, 100000), EXIT_GUEST_CRASH);
    cr_assert(strstr(t->m->stop_msg, "exception loop"), "%s", t->m->stop_msg);
    xh_free(t);
}

Test(x86sys, cpuid_leaves)
{
    XH *t = xh_new("qemu64");
    uint32_t r[4];
    x86_cpuid(t->c, 0, 0, r);
    cr_assert_eq(r[0], 0xd);
    char vendor[13] = { 0 };
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    cr_assert_str_eq(vendor, "AuthenticAMD");
    x86_cpuid(t->c, 1, 0, r);
    cr_assert_eq(r[0], 0x00060fb1);
    cr_assert(r[3] & (1u << 25), "SSE");
    cr_assert_not(r[2] & X86_F1_ECX_X2APIC);
    x86_cpuid(t->c, 0x80000001, 0, r);
    cr_assert(r[3] & X86_E1_EDX_LM);
    cr_assert_not(r[3] & X86_E1_EDX_PAGE1GB);
    x86_cpuid(t->c, 0x80000008, 0, r);
    cr_assert_eq(r[0], 0x3028);
    x86_cpuid(t->c, 0x80000002, 0, r);
    cr_assert_eq(memcmp(r, "QEMU Virtual CPU", 16), 0);
    xh_free(t);
    t = xh_new("max");
    x86_cpuid(t->c, 0, 0, r);
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    cr_assert_str_eq(vendor, "GenuineIntel");
    x86_cpuid(t->c, 7, 0, r);
    cr_assert(r[1] & X86_F7_EBX_SMEP);
    cr_assert_not(r[2] & X86_F7_ECX_LA57);
    x86_cpuid(t->c, 0x80000001, 0, r);
    cr_assert(r[3] & X86_E1_EDX_PAGE1GB);
    x86_cpuid(t->c, 0xb, 1, r);
    cr_assert_eq(r[1], 1, "one core in the package");
    x86_cpuid(t->c, 0x80000008, 0, r);
    cr_assert_eq(r[0], 0x3028);
    /* through the instruction: EAX in, four registers out */
    static const uint8_t code[] = { 0x0f, 0xa2 };
    put(t, 0x1000, code, sizeof code);
    enter_long(t, 0x1000);
    t->c->gpr[X86_RAX] = 0xffffffff00000001ull;
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(t->c->gpr[X86_RAX], 0x000806f8);
    cr_assert_eq(t->c->rip, 0x1002);
    xh_free(t);
}

Test(x86sys, msrs)
{
    XH *t = xh_new("max");
    X86Cpu *c = t->c;
    static const struct { uint32_t msr; uint64_t v; } rw[] = {
        { 0xc0000081, 0x0023001000000000ull },   /* STAR */
        { 0xc0000082, 0xffffffff81000000ull },   /* LSTAR */
        { 0xc0000083, 0xffffffff81000100ull },   /* CSTAR */
        { 0xc0000084, 0x47700 },                 /* FMASK */
        { 0xc0000100, 0x7f0000001000ull },       /* FS_BASE */
        { 0xc0000101, 0xffff888000000000ull },   /* GS_BASE */
        { 0xc0000102, 0x1234000ull },            /* KERNEL_GS_BASE */
        { 0x277, 0x0007010600070106ull },        /* PAT */
        { 0xc0000103, 5 },                       /* TSC_AUX */
        { 0x174, 0x10 }, { 0x175, 0x8000 }, { 0x176, 0x9000 },   /* SYSENTER_* */
        { 0x2ff, 0xc06 },                        /* MTRRdefType */
        { 0x250, 0x0606060606060606ull },        /* fixed */
        { 0x200, 0x80000006ull }, { 0x201, 0xff80000800ull },    /* variable pair 0 */
        { 0x1a0, 0x850089 },                     /* MISC_ENABLE */
        { 0x1b, 0xfee00c00ull },                 /* APIC_BASE: x2APIC on */
    };
    for (size_t i = 0; i < sizeof rw / sizeof rw[0]; i++) {
        uint64_t v;
        cr_assert(x86_wrmsr(c, rw[i].msr, rw[i].v), "wrmsr 0x%x", rw[i].msr);
        cr_assert(x86_rdmsr(c, rw[i].msr, &v), "rdmsr 0x%x", rw[i].msr);
        cr_assert_eq(v, rw[i].msr == 0x1b ? rw[i].v | 0x100 : rw[i].v, "MSR 0x%x", rw[i].msr);
        cr_assert_eq(c->exc.vector, -1);
    }
    cr_assert_eq(c->seg[X86_FS].base, 0x7f0000001000ull);
    uint64_t v;
    cr_assert(x86_rdmsr(c, 0xfe, &v));
    cr_assert_eq(v, 0x508);
    cr_assert(x86_rdmsr(c, 0x10a, &v));
    cr_assert(v & 1, "ARCH_CAPABILITIES.RDCL_NO");
    cr_assert_not(x86_wrmsr(c, 0x10a, 0), "read-only");
    c->exc.vector = -1;
    /* TSC: written, it counts on from the value */
    cr_assert(x86_wrmsr(c, 0x10, 1000000));
    cr_assert(x86_rdmsr(c, 0x10, &v));
    cr_assert_eq(v, 1000000);
    /* #GP: unknown MSR, non-canonical LSTAR, reserved EFER bit, bad PAT type */
    static const struct { uint32_t msr; uint64_t v; } bad[] = {
        { 0xc0000082, 0x0000800000000000ull }, { 0xc0000080, 1ull << 2 }, { 0x277, 2 },
        { 0x12345, 0 }, { 0x2ff, 0x1000 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c->exc.vector = -1;
        cr_assert_not(x86_wrmsr(c, bad[i].msr, bad[i].v), "MSR 0x%x", bad[i].msr);
        cr_assert_eq(c->exc.vector, X86_GP);
        cr_assert_eq(c->exc.error_code, 0);
    }
    c->exc.vector = -1;
    cr_assert_not(x86_rdmsr(c, 0x12345, &v));
    cr_assert_eq(c->exc.vector, X86_GP);
    c->exc.vector = -1;
    /* qemu64 has no TSC_AUX (no RDTSCP) */
    XH *q = xh_new("qemu64");
    cr_assert_not(x86_rdmsr(q->c, 0xc0000103, &v));
    xh_free(q);
    /* WRMSR/RDMSR instructions, and #GP at CPL 3 */
    static const uint8_t code[] = { 0x0f, 0x30, 0x0f, 0x32 };
    put(t, 0x1000, code, sizeof code);
    enter_long(t, 0x1000);
    c->gpr[X86_RCX] = 0xc0000102;
    c->gpr[X86_RAX] = 0x89abcdef;
    c->gpr[X86_RDX] = 0xffffffff;
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->kernel_gs_base, 0xffffffff89abcdefull);
    c->gpr[X86_RAX] = c->gpr[X86_RDX] = 0;
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->gpr[X86_RAX], 0x89abcdef);
    cr_assert_eq(c->gpr[X86_RDX], 0xffffffff);
    xh_free(t);
}

Test(x86sys, cr_writes_checked)
{
    XH *t = xh_new("qemu64");
    X86Cpu *c = t->c;
    /* mov cr4, rax ; mov cr0, rax */
    static const uint8_t code[] = { 0x0f, 0x22, 0xe0 };
    put(t, 0x1000, code, sizeof code);
    enter_long(t, 0x1000);
    c->gpr[X86_RAX] = c->cr4 | X86_CR4_SMEP;          /* qemu64 has no SMEP */
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->rip, 0x3000 + 0x10 * 13);
    c->rip = 0x1000;
    c->gpr[X86_RSP] = 0x9000;
    c->gpr[X86_RAX] = c->cr4 & ~(uint64_t)X86_CR4_PAE; /* PAE off in long mode */
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->rip, 0x3000 + 0x10 * 13);
    c->rip = 0x1000;
    c->gpr[X86_RSP] = 0x9000;
    c->gpr[X86_RAX] = c->cr4 | X86_CR4_TSD;
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->rip, 0x1003);
    cr_assert(c->cr4 & X86_CR4_TSD);
    /* mov cr3, rax with a bit past MAXPHYADDR: #GP(0), CR3 kept */
    static const uint8_t cr3[] = { 0x0f, 0x22, 0xd8 };
    put(t, 0x1000, cr3, sizeof cr3);
    c->rip = 0x1000;
    c->gpr[X86_RSP] = 0x9000;
    c->gpr[X86_RAX] = PML4 | (1ull << 62);
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->rip, 0x3000 + 0x10 * 13);
    cr_assert_eq(c->cr3, PML4);
    xh_free(t);
}

Test(x86sys, port_io_and_iopl)
{
    XH *t = xh_new("qemu64");
    X86Cpu *c = t->c;
    static const uint8_t code[] = {
        0xb0, 0x5a,                         /* mov al, 0x5a */
        0xe6, 0x80,                         /* out 0x80, al */
        0xe4, 0x81,                         /* in al, 0x81 (nothing there) */
    };
    put(t, 0x1000, code, sizeof code);
    enter_long(t, 0x1000);
    c->gpr[X86_RAX] = 0;
    cr_assert_eq(xh_run(t, 3), 0);
    cr_assert_eq(c->gpr[X86_RAX] & 0xff, 0xff, "an empty port reads all ones");
    /* CPL 3 with IOPL 0 and no TSS bitmap: #GP(0) */
    long_tables(t, 7);
    c->rip = 0x1000;
    c->seg[X86_CS].attr |= 3 << 5;
    c->seg[X86_SS].attr |= 3 << 5;
    c->seg[X86_CS].sel |= 3;
    c->seg[X86_SS].sel |= 3;
    x86_update_mode(c);
    put64(t, 0x4004, 0x8800);
    c->tr = (X86Seg){ .base = 0x4000, .limit = 0x67, .attr = 0x8b, .sel = 0x28 };
    uint16_t iomap = 0x68;
    put(t, 0x4066, &iomap, 2);
    cr_assert_eq(xh_run(t, 2), 0);
    cr_assert_eq(c->rip, 0x3000 + 0x10 * 13);
    xh_free(t);
}

Test(x86sys, alignment_check)
{
    XH *t = xh_new("qemu64");
    X86Cpu *c = t->c;
    static const uint8_t code[] = { 0x8b, 0x03 };     /* mov eax, [rbx] */
    put(t, 0x1000, code, sizeof code);
    long_tables(t, 7);
    x86_cpu_enter_long(c, 0x1000, PML4);
    long_gdt(t);
    long_idt(t);
    c->seg[X86_CS].attr |= 3 << 5;
    c->seg[X86_SS].attr |= 3 << 5;
    x86_update_mode(c);
    put64(t, 0x4004, 0x8800);
    c->tr = (X86Seg){ .base = 0x4000, .limit = 0x67, .attr = 0x8b, .sel = 0x28 };
    c->gpr[X86_RSP] = 0x9000;
    c->gpr[X86_RBX] = 0x5001;
    c->rflags = 2 | X86_AC;
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->rip, 0x1002, "CR0.AM clear: no check");
    c->rip = 0x1000;
    c->cr0 |= X86_CR0_AM;
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->rip, 0x3000 + 0x10 * 17, "#AC");
    xh_free(t);
}

/* Every byte of X86Cpu declared; saved fields round-trip; each saved field changes the
 * hash. */
Test(x86sys, state_description)
{
    XH *t = xh_new("qemu64");
    const StateDesc *sd = x86_cpu_class.desc;
    char *err = NULL;
    cr_assert(state_check_coverage(sd, &err), "%s", err ? err : "");
    cr_assert(state_check_validity_declared(sd, &err), "%s", err ? err : "");
    uint8_t *src = g_malloc(sd->size), *dst = g_malloc0(sd->size);
    for (size_t k = 0; k < sd->size; k++)
        src[k] = (uint8_t)(k * 37 + 11);
    GByteArray *buf = g_byte_array_new();
    state_save(buf, sd, src);
    cr_assert(state_load(sd, dst, buf->data, buf->len, &err), "%s", err);
    for (int f = 0; f < sd->nfields; f++) {
        const StateField *fl = &sd->fields[f];
        size_t n = (size_t)fl->elem_size * fl->count;
        if (state_field_saved(fl))
            cr_assert_eq(memcmp(dst + fl->offset, src + fl->offset, n), 0, "%s", fl->name);
    }
    g_byte_array_free(buf, TRUE);
    g_free(src);
    g_free(dst);
    /* the hash follows every saved field */
    X86Cpu *c = t->c;
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    x86_cpu_class.hash(c, ck);
    char *h0 = g_strdup(g_checksum_get_string(ck));
    g_checksum_free(ck);
    for (int f = 0; f < sd->nfields; f++) {
        const StateField *fl = &sd->fields[f];
        if (!state_field_saved(fl))
            continue;
        uint8_t *p = (uint8_t *)c + fl->offset;
        p[0] ^= 1;
        ck = g_checksum_new(G_CHECKSUM_SHA256);
        x86_cpu_class.hash(c, ck);
        cr_assert_str_neq(g_checksum_get_string(ck), h0, "field %s", fl->name);
        g_checksum_free(ck);
        p[0] ^= 1;
    }
    g_free(h0);
    xh_free(t);
}

Test(x86sys, peek_and_translate)
{
    XH *t = xh_new("max");
    X86Cpu *c = t->c;
    enter_long(t, 0x1000);
    c->gpr[X86_R13] = 0x1313;
    uint64_t v;
    cr_assert(x86_cpu_class.peek_reg(c, "r13", &v));
    cr_assert_eq(v, 0x1313);
    cr_assert(x86_cpu_class.peek_reg(c, "cr3", &v));
    cr_assert_eq(v, PML4);
    cr_assert(x86_cpu_class.peek_reg(c, "efer", &v));
    cr_assert(v & X86_EFER_LMA);
    cr_assert_not(x86_cpu_class.peek_reg(c, "x0", &v));
    uint64_t pa;
    cr_assert(x86_cpu_class.debug_translate(c, 0x1234, &pa));
    cr_assert_eq(pa, 0x1234);
    cr_assert_not(x86_cpu_class.debug_translate(c, 0x400000, &pa));
    cr_assert_eq(get64(t, 0x12000) & 0x20, 0, "the debugger's walk sets no A bit");
    GString *s = g_string_new(NULL);
    x86_cpu_class.explain_translation(c, 0x1234, s);
    cr_assert(strstr(s->str, "PML4E") && strstr(s->str, "-> PA 0x1234"), "%s", s->str);
    g_string_truncate(s, 0);
    x86_cpu_class.explain_translation(c, 0x400000, s);
    cr_assert(strstr(s->str, "not present"), "%s", s->str);
    g_string_free(s, TRUE);
    put64(t, 0x1100, 0x1122334455667788ull);
    uint64_t b;
    cr_assert(x86_cpu_class.peek_virt(c, 0x1100, &b, 8));
    cr_assert_eq(b, 0x1122334455667788ull);
    xh_free(t);
}

Test(x86sys, invlpg_drops_a_cached_translation)
{
    XH *t = xh_new("max");
    X86Cpu *c = t->c;
    /* a 4 KiB mapping of VA 0x200000 (second PD entry -> a page table at 0x13000) */
    static const uint8_t code[] = {
        0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00,   /* mov rax, [0x200000] */
        0x0f, 0x01, 0x3c, 0x25, 0x00, 0x00, 0x20, 0x00,   /* invlpg [0x200000] */
        0x48, 0x8b, 0x1c, 0x25, 0x00, 0x00, 0x20, 0x00,   /* mov rbx, [0x200000] */
    };
    put(t, 0x1000, code, sizeof code);
    enter_long(t, 0x1000);
    put64(t, 0x12008, 0x13000 | 3);
    put64(t, 0x13000, 0x6000 | 3);
    put64(t, 0x6000, 0x6666);
    put64(t, 0x7000, 0x7777);
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->gpr[X86_RAX], 0x6666);
    put64(t, 0x13000, 0x7000 | 3);                    /* the guest remaps the page */
    cr_assert_eq(xh_run(t, 2), 0);
    cr_assert_eq(c->gpr[X86_RBX], 0x7777, "INVLPG made the new mapping visible");
    cr_assert(get64(t, 0x13000) & 0x20, "the walk set the accessed flag");
    xh_free(t);
}

/* Two cores with local APICs: the pc board's wiring without its devices. */
static XH *xt_new_smp(X86Cpu **ap, Lapic **apics)
{
    XH *t = xh_new("max");
    *ap = x86_cpu_new(t->m, 1);
    machine_add_cpu(t->m, *ap, &x86_cpu_class);
    apics[0] = lapic_new(t->m, 0);
    apics[1] = lapic_new(t->m, 1);
    t->c->lapic = apics[0];
    (*ap)->lapic = apics[1];
    lapic_connect(apics, 2);
    x86_cpu_reset(t->c, true);
    x86_cpu_reset(*ap, false);
    return t;
}

/* The APIC page (0xfee00000) mapped by a 1 GiB page at 3 GiB, besides the first 2 MiB. */
static void map_apic(XH *t)
{
    put64(t, 0x11000 + 3 * 8, 0xc0000000ull | 0x83 | 0x10);
}

Test(x86sys, init_sipi_starts_an_application_processor)
{
    X86Cpu *ap;
    Lapic *apics[2];
    XH *t = xt_new_smp(&ap, apics);
    static const uint8_t bsp[] = {
        0xbb, 0x00, 0x00, 0xe0, 0xfe,                               /* mov ebx, 0xfee00000 */
        0xc7, 0x83, 0xf0, 0x00, 0x00, 0x00, 0xff, 0x01, 0x00, 0x00, /* SVR: enabled */
        0xc7, 0x83, 0x10, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, /* ICR high: APIC 1 */
        0xc7, 0x83, 0x00, 0x03, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, /* ICR: INIT */
        0xc7, 0x83, 0x00, 0x03, 0x00, 0x00, 0x08, 0x46, 0x00, 0x00, /* ICR: SIPI vector 8 */
        0xf4,                                                       /* hlt */
    };
    static const uint8_t ap_code[] = { 0xb8, 0x34, 0x12, 0xf4 };     /* mov ax, 0x1234; hlt */
    put(t, 0x1000, bsp, sizeof bsp);
    put(t, 0x8000, ap_code, sizeof ap_code);
    enter_long(t, 0x1000);
    map_apic(t);
    cr_assert(ap->wait_sipi);
    cr_assert(x86_cpu_class.idle(ap), "an AP waits for SIPI");
    xh_run(t, 8);
    cr_assert(t->c->halted);
    cr_assert_not(ap->wait_sipi);
    cr_assert_eq(ap->seg[X86_CS].sel, 0x0800);
    cr_assert_eq(ap->code_bits, 16);
    cr_assert_eq(ap->gpr[X86_RAX] & 0xffff, 0x1234);
    cr_assert(ap->halted);
    cr_assert_eq(ap->rip, 4);
    xh_free(t);
    lapic_free(apics[0]);
    lapic_free(apics[1]);
}

/* STI's shadow: a pending interrupt waits for the instruction after STI (here HLT), so it
 * wakes the core from the HLT and returns after it. */
Test(x86sys, interrupt_after_sti_shadow_wakes_hlt)
{
    X86Cpu *ap;
    Lapic *apics[2];
    XH *t = xt_new_smp(&ap, apics);
    X86Cpu *c = t->c;
    static const uint8_t code[] = {
        0xbb, 0x00, 0x00, 0xe0, 0xfe,                               /* mov ebx, 0xfee00000 */
        0xc7, 0x83, 0xf0, 0x00, 0x00, 0x00, 0xff, 0x01, 0x00, 0x00, /* SVR: enabled */
        0xc7, 0x83, 0x00, 0x03, 0x00, 0x00, 0x40, 0x40, 0x04, 0x00, /* ICR: self, vector 0x40 */
        0xfb,                                                       /* sti */
        0xf4,                                                       /* hlt */
        0x90,                                                       /* nop */
    };
    put(t, 0x1000, code, sizeof code);
    enter_long(t, 0x1000);
    map_apic(t);
    c->rflags = 2;
    xh_run(t, 5);
    cr_assert_eq(c->rip, 0x1000 + sizeof code - 1, "halted after the HLT");
    cr_assert(c->halted);
    xh_run(t, 1);
    cr_assert_eq(c->rip, 0x3000 + 0x10 * 0x40 + 1, "the vector 0x40 handler ran its HLT");
    cr_assert_eq(get64(t, 0x9000 - 40), 0x1000 + sizeof code - 1, "return address after HLT");
    cr_assert(get64(t, 0x9000 - 24) & X86_IF);
    xh_free(t);
    lapic_free(apics[0]);
    lapic_free(apics[1]);
}

/* 32-bit protected mode with 32-bit paging (a 4 MiB page): LTR, IRET to CPL 3, INT 0x80
 * through a DPL-3 interrupt gate with the stack switch from the 32-bit TSS, IRET back. */
Test(x86sys, protected_mode_privilege_round_trip)
{
    XH *t = xh_new("qemu64");
    X86Cpu *c = t->c;
    put64(t, 0x500, 0);
    put64(t, 0x508, 0x00cf9a000000ffffull);           /* 0x08 code, DPL 0 */
    put64(t, 0x510, 0x00cf92000000ffffull);           /* 0x10 data, DPL 0 */
    put64(t, 0x518, 0x00cffa000000ffffull);           /* 0x18 code, DPL 3 */
    put64(t, 0x520, 0x00cff2000000ffffull);           /* 0x20 data, DPL 3 */
    put64(t, 0x528, 0x67 | (0x4000ull << 16) | (0x89ull << 40));   /* 0x28 TSS at 0x4000 */
    uint32_t esp0 = 0x8800, ss0 = 0x10;
    put(t, 0x4004, &esp0, 4);
    put(t, 0x4008, &ss0, 4);
    uint64_t h = 0x3800;                              /* INT 0x80: DPL-3 interrupt gate */
    put64(t, 0x20000 + 8 * 0x80, (h & 0xffff) | (0x08ull << 16) | (0xeeull << 40) |
                                     ((h >> 16) << 48));
    static const uint8_t kern[] = {
        0x66, 0xb8, 0x28, 0x00,                       /* mov ax, 0x28 */
        0x0f, 0x00, 0xd8,                             /* ltr ax */
        0x6a, 0x23,                                   /* push 0x23 (SS) */
        0x68, 0x00, 0x70, 0x00, 0x00,                 /* push 0x7000 (ESP) */
        0x68, 0x02, 0x02, 0x00, 0x00,                 /* push 0x202 (EFLAGS) */
        0x6a, 0x1b,                                   /* push 0x1b (CS) */
        0x68, 0x00, 0x10, 0x00, 0x00,                 /* push 0x1000 (EIP) */
        0xcf,                                         /* iret */
    };
    static const uint8_t user[] = { 0xcd, 0x80, 0x90 };   /* int 0x80; nop */
    static const uint8_t handler[] = { 0xcf };             /* iret */
    put(t, 0x2000, kern, sizeof kern);
    put(t, 0x1000, user, sizeof user);
    put(t, 0x3800, handler, sizeof handler);
    uint32_t pde = 0x87;                              /* 4 MiB page at 0: P, RW, US, PS */
    put(t, 0x10000, &pde, 4);
    x86_cpu_enter_multiboot(c, 0x2000, 0);
    c->gdtr = (X86DescTable){ .base = 0x500, .limit = 0x2f };
    c->idtr = (X86DescTable){ .base = 0x20000, .limit = 0x7ff };
    c->cr3 = 0x10000;
    c->cr4 |= X86_CR4_PSE;
    c->cr0 |= X86_CR0_PG | X86_CR0_WP;
    x86_tlb_flush(c);
    c->gpr[X86_RSP] = 0x9000;
    cr_assert_eq(xh_run(t, 8), 0);
    cr_assert_eq(c->cpl, 3);
    cr_assert_eq(c->rip, 0x1000);
    cr_assert_eq(c->gpr[X86_RSP], 0x7000);
    cr_assert_eq(c->seg[X86_SS].sel, 0x23);
    cr_assert_eq(c->tr.sel, 0x28);
    cr_assert(get64(t, 0x528) & (2ull << 40), "LTR marks the TSS busy");
    cr_assert(c->seg[X86_DS].attr & X86_SEG_ATTR_UNUSABLE, "DPL-0 DS dropped on the way out");
    cr_assert(c->rflags & X86_IF);
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->cpl, 0);
    cr_assert_eq(c->rip, 0x3800);
    cr_assert_eq(c->seg[X86_SS].sel, 0x10);
    cr_assert_eq(c->gpr[X86_RSP], 0x8800 - 20);
    uint32_t frame[5];
    memcpy(frame, t->m->ram + 0x8800 - 20, 20);
    cr_assert_eq(frame[0], 0x1002);
    cr_assert_eq(frame[1], 0x1b);
    cr_assert_eq(frame[2], 0x202);
    cr_assert_eq(frame[3], 0x7000);
    cr_assert_eq(frame[4], 0x23);
    cr_assert_not(c->rflags & X86_IF);
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->cpl, 3);
    cr_assert_eq(c->rip, 0x1002);
    cr_assert_eq(c->gpr[X86_RSP], 0x7000);
    cr_assert(c->rflags & X86_IF);
    /* INT 3 through a gate of DPL 0 from CPL 3: #GP(vector * 8 + 2) */
    put64(t, 0x20000 + 8 * 3, (h & 0xffff) | (0x08ull << 16) | (0x8eull << 40));
    put64(t, 0x20000 + 8 * 13, (0x3900 & 0xffff) | (0x08ull << 16) | (0x8eull << 40));
    static const uint8_t int3[] = { 0xcc };
    put(t, 0x1002, int3, 1);
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->rip, 0x3900);
    memcpy(frame, t->m->ram + 0x8800 - 24, 4);
    cr_assert_eq(frame[0], 3 * 8 + 2, "error code names the IDT entry");
    memcpy(frame, t->m->ram + 0x8800 - 20, 4);
    cr_assert_eq(frame[0], 0x1002, "a fault: the INT3 itself");
    xh_free(t);
}

/* A #GP whose gate is not present raises #NP while it is delivered: two contributory
 * exceptions make a double fault, taken on the stack IST1 of the TSS names. */
Test(x86sys, double_fault_on_its_ist_stack)
{
    XH *t = xh_new("max");
    X86Cpu *c = t->c;
    static const uint8_t code[] = { 0x48, 0x8b, 0x03 };   /* mov rax, [rbx] */
    put(t, 0x1000, code, sizeof code);
    enter_long(t, 0x1000);
    put64(t, IDT + 16 * 13, get64(t, IDT + 16 * 13) & ~(1ull << 47));   /* #GP: not present */
    put64(t, IDT + 16 * 8, get64(t, IDT + 16 * 8) | (1ull << 32));      /* #DF: IST1 */
    put64(t, 0x4000 + 36, 0xa008);                                      /* IST1 (aligned down) */
    c->tr = (X86Seg){ .base = 0x4000, .limit = 0x67, .attr = 0x8b, .sel = 0x28 };
    c->gpr[X86_RBX] = 0x8000000000000000ull;
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->rip, 0x3000 + 0x10 * 8, "the #DF handler");
    cr_assert_eq(c->gpr[X86_RSP], 0xa000 - 48, "on IST1, aligned to 16");
    cr_assert_eq(get64(t, 0xa000 - 48), 0, "#DF's error code is 0");
    cr_assert_eq(get64(t, 0xa000 - 40), 0x1000);
    cr_assert_eq(get64(t, 0xa000 - 16), 0x9000, "the interrupted RSP");
    xh_free(t);
}

Test(x86sys, trace_int_and_exec)
{
    XH *t = xh_new("qemu64");
    /* mov rax, [0x400000] */
    static const uint8_t code[] = { 0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x40, 0x00 };
    put(t, 0x1000, code, sizeof code);
    enter_long(t, 0x1000);
    char *text = NULL;
    size_t len = 0;
    t->m->trace = open_memstream(&text, &len);
    x86_trace_set(t->m, TRACE_INT | TRACE_EXEC | TRACE_MMU);
    cr_assert_eq(xh_run(t, 2), 0);
    x86_trace_set(t->m, 0);
    fclose(t->m->trace);
    t->m->trace = NULL;
    cr_assert(strstr(text, "EXEC cpu0 CPL0 0000000000001000: 488b042500004000"), "%s", text);
    cr_assert(strstr(text, "INT cpu0 #PF CPL0->CPL0 rip=0000000000001000 error=0x0 "
                           "cr2=0000000000400000"), "%s", text);
    cr_assert(strstr(text, "EXEC cpu0 CPL0 00000000000030e0: f4"), "%s", text);
    cr_assert(strstr(text, "MMU cpu0 walk va=0000000000001000 -> pa=1000 fetch rwx 4-level paging"),
              "%s", text);
    cr_assert(strstr(text, "MMU cpu0 fault va=0000000000400000 read level 2 not present error=0x0"),
              "%s", text);
    free(text);
    xh_free(t);
}

/* Assorted system instructions in 64-bit mode, one program: SWAPGS, SGDT/SIDT, far CALL and
 * RETF through the GDT, LAR/LSL/VERW, SMSW, FXSAVE/FXRSTOR, RDTSC, CLFLUSH, fences. */
Test(x86sys, system_instructions_64)
{
    XH *t = xh_new("max");
    X86Cpu *c = t->c;
    static const uint8_t code[] = {
        0x0f, 0x01, 0xf8,                         /* swapgs */
        0x0f, 0x01, 0x04, 0x25, 0x00, 0x60, 0x00, 0x00,   /* sgdt [0x6000] */
        0x0f, 0x01, 0x0c, 0x25, 0x10, 0x60, 0x00, 0x00,   /* sidt [0x6010] */
        0x48, 0xff, 0x1b,                         /* call far qword [rbx] (m16:64) */
        0xb9, 0x10, 0x00, 0x00, 0x00,             /* mov ecx, 0x10 */
        0x0f, 0x02, 0xd1,                         /* lar edx, ecx */
        0x0f, 0x03, 0xf1,                         /* lsl esi, ecx */
        0x0f, 0x00, 0xe9,                         /* verw cx */
        0x0f, 0x01, 0xe7,                         /* smsw edi */
        0x0f, 0xae, 0x04, 0x25, 0x00, 0x70, 0x00, 0x00,   /* fxsave [0x7000] */
        0x0f, 0xae, 0x0c, 0x25, 0x00, 0x70, 0x00, 0x00,   /* fxrstor [0x7000] */
        0x0f, 0x31,                               /* rdtsc */
        0x0f, 0xae, 0x3c, 0x25, 0x00, 0x70, 0x00, 0x00,   /* clflush [0x7000] */
        0x0f, 0xae, 0xf0,                         /* mfence */
        0xf4,                                     /* hlt */
    };
    static const uint8_t far[] = { 0x48, 0xcb };  /* retfq */
    put(t, 0x1000, code, sizeof code);
    put(t, 0x1800, far, sizeof far);
    enter_long(t, 0x1000);
    c->seg[X86_GS].base = 0x1111;
    c->kernel_gs_base = 0x2222;
    put64(t, 0x6100, 0x1800);                     /* the far pointer: offset, selector */
    put64(t, 0x6108, 0x08);
    c->gpr[X86_RBX] = 0x6100;
    c->mxcsr = 0x1f80 | 0x40;
    c->xmm[3][0] = 0x0123456789abcdefull;
    c->xmm[3][1] = 0xfedcba9876543210ull;
    c->fcw = 0x37f;
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->seg[X86_GS].base, 0x2222);
    cr_assert_eq(c->kernel_gs_base, 0x1111);
    cr_assert_eq(xh_run(t, 2), 0);
    uint16_t lim;
    memcpy(&lim, t->m->ram + 0x6000, 2);
    cr_assert_eq(lim, 0x27);
    cr_assert_eq(get64(t, 0x6002), 0x500);
    memcpy(&lim, t->m->ram + 0x6010, 2);
    cr_assert_eq(lim, 256 * 16 - 1);
    cr_assert_eq(get64(t, 0x6012), IDT);
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->rip, 0x1800, "the far call");
    cr_assert_eq(get64(t, 0x9000 - 8), 0x08, "CS pushed");
    cr_assert_eq(get64(t, 0x9000 - 16), 0x1016, "return address pushed");
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->rip, 0x1016, "RETF");
    cr_assert_eq(c->gpr[X86_RSP], 0x9000);
    cr_assert_eq(xh_run(t, 6), 0);               /* mov, LAR, LSL, VERW, SMSW, FXSAVE */
    cr_assert_eq(c->gpr[X86_RDX], 0x00c09200, "LAR: the access rights (limit bits masked)");
    cr_assert_eq(c->gpr[X86_RSI], 0xffffffff, "LSL: the expanded limit");
    cr_assert(c->rflags & X86_ZF, "VERW: the data segment is writable");
    cr_assert_eq(c->gpr[X86_RDI], c->cr0, "SMSW r32");
    c->xmm[3][0] = c->xmm[3][1] = 0;
    c->mxcsr = 0x1f80;
    c->fcw = 0;
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->xmm[3][0], 0x0123456789abcdefull, "FXRSTOR brought XMM3 back");
    cr_assert_eq(c->xmm[3][1], 0xfedcba9876543210ull);
    cr_assert_eq(c->mxcsr, 0x1f80 | 0x40);
    cr_assert_eq(c->fcw, 0x37f);
    uint32_t mxcsr_mask;
    memcpy(&mxcsr_mask, t->m->ram + 0x7000 + 28, 4);
    cr_assert_eq(mxcsr_mask, 0xffff);
    cr_assert_eq(xh_run(t, 4), 0);
    uint64_t tsc = c->gpr[X86_RAX] | c->gpr[X86_RDX] << 32;
    cr_assert_gt(tsc, 0);
    cr_assert_leq(tsc, machine_icount(t->m));
    cr_assert(c->halted);
    xh_free(t);
}

static uint64_t port_val;
static uint64_t port_read(void *opaque, uint64_t off, unsigned size)
{
    (void)opaque;
    (void)size;
    return 0x40 + off + port_val++;
}
static void port_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    (void)opaque;
    (void)off;
    (void)size;
    port_val = val;
}
static const MmioOps port_ops = { port_read, port_write };

Test(x86sys, rep_ins_outs)
{
    XH *t = xh_new("qemu64");
    X86Cpu *c = t->c;
    cr_assert_eq(bus_add_mmio(&t->m->io, "testport", 0x100, 4, &port_ops, NULL), 0);
    static const uint8_t code[] = {
        0xf3, 0x6c,                               /* rep insb */
        0xf3, 0x66, 0x6f,                         /* rep outsw */
    };
    put(t, 0x1000, code, sizeof code);
    enter_long(t, 0x1000);
    port_val = 0;
    c->gpr[X86_RDX] = 0x100;
    c->gpr[X86_RDI] = 0x5000;
    c->gpr[X86_RCX] = 3;
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->rip, 0x1002);
    cr_assert_eq(c->gpr[X86_RCX], 0);
    cr_assert_eq(c->gpr[X86_RDI], 0x5003);
    cr_assert_eq(t->m->ram[0x5000], 0x40);
    cr_assert_eq(t->m->ram[0x5002], 0x42);
    uint16_t words[2] = { 0x1234, 0x5678 };
    put(t, 0x5100, words, 4);
    c->gpr[X86_RSI] = 0x5100;
    c->gpr[X86_RCX] = 2;
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(port_val, 0x5678, "the last word written");
    cr_assert_eq(c->gpr[X86_RSI], 0x5104);
    xh_free(t);
}

Test(x86sys, sysenter_sysexit_64)
{
    XH *t = xh_new("max");
    X86Cpu *c = t->c;
    static const uint8_t user[] = { 0x0f, 0x34 };             /* sysenter */
    static const uint8_t kern[] = { 0x48, 0x0f, 0x35 };       /* sysexitq */
    put(t, 0x1000, user, sizeof user);
    put(t, 0x2000, kern, sizeof kern);
    long_tables(t, 7);
    x86_cpu_enter_long(c, 0x1000, PML4);
    long_gdt(t);
    cr_assert(x86_wrmsr(c, 0x174, 0x08));
    cr_assert(x86_wrmsr(c, 0x175, 0x8800));
    cr_assert(x86_wrmsr(c, 0x176, 0x2000));
    c->seg[X86_CS].attr |= 3 << 5;
    c->seg[X86_SS].attr |= 3 << 5;
    x86_update_mode(c);
    c->gpr[X86_RCX] = 0x7000;                     /* SYSEXIT's RSP and RIP */
    c->gpr[X86_RDX] = 0x1002;
    c->rflags = 2 | X86_IF;
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->cpl, 0);
    cr_assert_eq(c->rip, 0x2000);
    cr_assert_eq(c->gpr[X86_RSP], 0x8800);
    cr_assert_eq(c->code_bits, 64);
    cr_assert_not(c->rflags & X86_IF);
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->cpl, 3);
    cr_assert_eq(c->rip, 0x1002);
    cr_assert_eq(c->gpr[X86_RSP], 0x7000);
    cr_assert_eq(c->seg[X86_CS].sel, 0x08 + 32 + 3);
    cr_assert_eq(c->seg[X86_SS].sel, 0x08 + 40 + 3);
    xh_free(t);
}

/* NMIs through the local APIC: taken with IF clear; one the handler sends itself is held
 * until the handler's IRET. */
Test(x86sys, nmi_blocked_until_iret)
{
    X86Cpu *ap;
    Lapic *apics[2];
    XH *t = xt_new_smp(&ap, apics);
    X86Cpu *c = t->c;
    static const uint8_t code[] = {
        0xbb, 0x00, 0x00, 0xe0, 0xfe,                               /* mov ebx, 0xfee00000 */
        0xc7, 0x83, 0xf0, 0x00, 0x00, 0x00, 0xff, 0x01, 0x00, 0x00, /* SVR: enabled */
        0xc7, 0x83, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x04, 0x00, /* ICR: self NMI */
        0x90,                                                       /* nop */
    };
    static const uint8_t handler[] = {
        0x48, 0xff, 0xc6,                                           /* inc rsi */
        0x48, 0x83, 0xfe, 0x01,                                     /* cmp rsi, 1 */
        0x75, 0x0a,                                                 /* jne +10 */
        0xc7, 0x83, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x04, 0x00, /* ICR: self NMI */
        0x48, 0xcf,                                                 /* iretq */
    };
    put(t, 0x1000, code, sizeof code);
    enter_long(t, 0x1000);
    put(t, 0x3000 + 0x10 * 2, handler, sizeof handler);   /* over the HLT enter_long put */
    map_apic(t);
    c->rflags = 2;                                  /* IF clear: NMIs come anyway */
    c->gpr[X86_RSI] = 0;
    cr_assert_eq(xh_run(t, 3), 0);
    cr_assert_eq(c->rip, 0x1019);
    cr_assert_eq(xh_run(t, 1), 0);                     /* the NMI taken, its first instruction */
    cr_assert_eq(c->gpr[X86_RSI], 1);
    cr_assert_eq(c->rip, 0x3023);
    cr_assert(c->nmi_blocked);
    cr_assert_eq(xh_run(t, 4), 0);                     /* cmp, jne, the ICR write, the IRET */
    cr_assert_eq(c->gpr[X86_RSI], 1, "the second NMI waited for the IRET");
    cr_assert_eq(c->rip, 0x1019);
    cr_assert_not(c->nmi_blocked);
    cr_assert(c->nmi_pending);
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->gpr[X86_RSI], 2);
    cr_assert_eq(c->rip, 0x3023);
    cr_assert_eq(get64(t, 0x9000 - 40), 0x1019, "it interrupted the NOP");
    xh_free(t);
    lapic_free(apics[0]);
    lapic_free(apics[1]);
}

/* 32-bit protected mode: segment limits (expand-up and expand-down), a read-only data
 * segment, and the TSS I/O bitmap letting CPL 3 use one port. */
Test(x86sys, protected_mode_segment_checks)
{
    XH *t = xh_new("qemu64");
    X86Cpu *c = t->c;
    put64(t, 0x500, 0);
    put64(t, 0x508, 0x00cf9a000000ffffull);           /* 0x08 code */
    put64(t, 0x510, 0x00cf92000000ffffull);           /* 0x10 data, 4 GiB */
    put64(t, 0x518, 0x0040920000000fffull);           /* 0x18 data, limit 0xfff, byte granular */
    put64(t, 0x520, 0x0000960000000fffull);           /* 0x20 expand-down above 0xfff, B clear */
    put64(t, 0x528, 0x0040900000000fffull);           /* 0x28 data read-only */
    static const uint8_t code[] = {
        0x66, 0xb8, 0x18, 0x00,                       /* mov ax, 0x18 */
        0x8e, 0xc0,                                   /* mov es, ax */
        0x26, 0x8b, 0x83, 0xfc, 0x0f, 0x00, 0x00,     /* mov eax, es:[ebx+0xffc] (ok) */
        0x26, 0x8b, 0x83, 0xfd, 0x0f, 0x00, 0x00,     /* mov eax, es:[ebx+0xffd] (#GP) */
    };
    put(t, 0x1000, code, sizeof code);
    x86_cpu_enter_multiboot(c, 0x1000, 0);
    c->gdtr = (X86DescTable){ .base = 0x500, .limit = 0x2f };
    /* 32-bit IDT: #GP -> 0x3000 */
    put64(t, 0x20000 + 8 * 13, 0x3000 | (0x08ull << 16) | (0x8eull << 40));
    c->idtr = (X86DescTable){ .base = 0x20000, .limit = 0x7ff };
    c->gpr[X86_RSP] = 0x9000;
    c->gpr[X86_RBX] = 0;
    cr_assert_eq(xh_run(t, 3), 0);
    cr_assert_eq(c->seg[X86_ES].limit, 0xfff);
    cr_assert_eq(c->rip, 0x100d);
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->rip, 0x3000, "past the limit: #GP(0)");
    /* expand-down: offsets up to the limit fault, above it are fine */
    uint64_t v;
    c->exc.vector = -1;
    cr_assert(x86_load_seg(c, X86_ES, 0x20));
    cr_assert_not(x86_read(c, X86_ES, 0xffc, 4, &v));
    cr_assert_eq(c->exc.vector, X86_GP);
    c->exc.vector = -1;
    cr_assert(x86_read(c, X86_ES, 0x1000, 4, &v));
    cr_assert_not(x86_read(c, X86_ES, 0xfffe, 4, &v), "past 64 KiB with B clear");
    c->exc.vector = -1;
    /* read-only data: reads fine, writes #GP */
    cr_assert(x86_load_seg(c, X86_ES, 0x28));
    cr_assert(x86_read(c, X86_ES, 0x10, 4, &v));
    cr_assert_not(x86_write(c, X86_ES, 0x10, 4, v));
    cr_assert_eq(c->exc.vector, X86_GP);
    c->exc.vector = -1;
    /* SS must be writable: #GP(selector) */
    cr_assert_not(x86_load_seg(c, X86_SS, 0x28));
    cr_assert_eq(c->exc.error_code, 0x28);
    c->exc.vector = -1;
    /* CPL 3, IOPL 0: port 0x80 allowed by the bitmap, 0x81 not */
    put64(t, 0x4000 + 102, 0x68);                     /* bitmap at TSS + 0x68 */
    uint8_t bitmap[32];
    memset(bitmap, 0xff, sizeof bitmap);
    bitmap[0x80 / 8] = (uint8_t)~1u;
    put(t, 0x4068, bitmap, sizeof bitmap);
    c->tr = (X86Seg){ .base = 0x4000, .limit = 0x68 + 32, .attr = 0x8b, .sel = 0x30 };
    c->seg[X86_SS].attr |= 3 << 5;
    x86_update_mode(c);
    cr_assert_eq(c->cpl, 3);
    uint32_t in;
    cr_assert(x86_in(c, 0x80, 1, &in));
    cr_assert_not(x86_in(c, 0x81, 1, &in));
    cr_assert_eq(c->exc.vector, X86_GP);
    c->exc.vector = -1;
    cr_assert_not(x86_in(c, 0x80, 2, &in), "a word at 0x80 needs 0x81 too");
    xh_free(t);
}

/* TF: POPF sets it, the instruction after it runs, then the single-step #DB (a trap: the
 * pushed RIP is the next instruction's) with DR6.BS; the handler runs with TF clear. */
Test(x86sys, single_step_trap)
{
    XH *t = xh_new("qemu64");
    X86Cpu *c = t->c;
    static const uint8_t code[] = {
        0x9c,                                     /* pushfq */
        0x48, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00,   /* or qword [rsp], 0x100 */
        0x9d,                                     /* popfq */
        0x90,                                     /* nop */
        0x90,                                     /* nop */
    };
    put(t, 0x1000, code, sizeof code);
    enter_long(t, 0x1000);
    cr_assert_eq(xh_run(t, 3), 0);
    cr_assert(c->rflags & X86_TF);
    cr_assert_eq(c->rip, 0x100a, "no trap after the POPF that set TF");
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->rip, 0x3000 + 0x10 * 1, "#DB after the first NOP");
    cr_assert_eq(get64(t, 0x9000 - 40), 0x100b);
    cr_assert(get64(t, 0x9000 - 24) & X86_TF);
    cr_assert_not(c->rflags & X86_TF);
    cr_assert(c->dr[6] & (1u << 14), "DR6.BS");
    xh_free(t);
}

/* MOV CR3 drops non-global translations and keeps global ones (CR4.PGE); with CR4.PCIDE and
 * bit 63 set it keeps the PCID's too; INVPCID type 2 drops everything. The tables are
 * changed behind the TLB's back, so what a read sees tells what was kept. */
Test(x86sys, cr3_reload_global_and_pcid)
{
    XH *t = xh_new("max");
    X86Cpu *c = t->c;
    static const uint8_t code[] = {
        0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00,   /* mov rax, [0x200000] (global) */
        0x48, 0x8b, 0x1c, 0x25, 0x00, 0x10, 0x20, 0x00,   /* mov rbx, [0x201000] */
        0x0f, 0x22, 0xd9,                                 /* mov cr3, rcx */
        0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00,   /* mov rax, [0x200000] */
        0x48, 0x8b, 0x1c, 0x25, 0x00, 0x10, 0x20, 0x00,   /* mov rbx, [0x201000] */
        0x66, 0x0f, 0x38, 0x82, 0x3c, 0x25, 0x00, 0x50, 0x00, 0x00,   /* invpcid rdi, [0x5000] */
        0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00,   /* mov rax, [0x200000] */
    };
    put(t, 0x1000, code, sizeof code);
    enter_long(t, 0x1000);
    put64(t, 0x12008, 0x13000 | 3);
    put64(t, 0x13000, 0x6000 | 3 | 0x100);            /* global */
    put64(t, 0x13008, 0x7000 | 3);
    put64(t, 0x6000, 0x66);
    put64(t, 0x7000, 0x77);
    put64(t, 0x8000, 0x88);
    cr_assert(c->cr4 & X86_CR4_PGE);
    c->gpr[X86_RCX] = PML4;
    c->gpr[X86_RDI] = 2;
    cr_assert_eq(xh_run(t, 2), 0);
    cr_assert_eq(c->gpr[X86_RAX], 0x66);
    cr_assert_eq(c->gpr[X86_RBX], 0x77);
    put64(t, 0x13000, 0x8000 | 3 | 0x100);
    put64(t, 0x13008, 0x8000 | 3);
    cr_assert_eq(xh_run(t, 3), 0);
    cr_assert_eq(c->gpr[X86_RAX], 0x66, "the global translation survived MOV CR3");
    cr_assert_eq(c->gpr[X86_RBX], 0x88, "the other was walked again");
    cr_assert_eq(xh_run(t, 2), 0);
    cr_assert_eq(c->gpr[X86_RAX], 0x88, "INVPCID type 2 dropped the global one too");
    xh_free(t);
}

Test(x86sys, entry_states_have_firmware_mtrrs)
{
    XH *t = xh_new("qemu64");
    X86Cpu *c = t->c;
    x86_cpu_enter_multiboot(c, 0x100000, 0x9500);
    uint64_t v;
    cr_assert(x86_rdmsr(c, 0x2ff, &v));
    cr_assert_eq(v, 0xc06, "MTRRs on, write-back by default");
    cr_assert(x86_rdmsr(c, 0x250, &v));
    cr_assert_eq(v, 0x0606060606060606ull);
    cr_assert(x86_rdmsr(c, 0x259, &v));
    cr_assert_eq(v, 0, "the VGA window uncached");
    cr_assert(x86_rdmsr(c, 0x200, &v));
    cr_assert_eq(v, 0xc0000000ull);
    cr_assert(x86_rdmsr(c, 0x201, &v));
    cr_assert_eq(v, 0xffc0000800ull);
    cr_assert_eq(c->gpr[X86_RAX], 0x2badb002);
    cr_assert_eq(c->gpr[X86_RBX], 0x9500);
    cr_assert_eq(c->code_bits, 32);
    cr_assert_eq(c->cr0, X86_CR0_PE | X86_CR0_ET);
    xh_free(t);
}

/* SYSCALL from compatibility mode: AMD (qemu64) goes to CSTAR, Intel (max) raises #UD. */
Test(x86sys, syscall_from_compatibility_mode)
{
    for (int k = 0; k < 2; k++) {
        XH *t = xh_new(k ? "max" : "qemu64");
        X86Cpu *c = t->c;
        static const uint8_t user[] = { 0x0f, 0x05 };             /* syscall */
        put(t, 0x1000, user, sizeof user);
        long_tables(t, 7);
        x86_cpu_enter_long(c, 0x1000, PML4);
        long_gdt(t);
        long_idt(t);
        cr_assert(x86_wrmsr(c, 0xc0000081, 0x0010000800000000ull));
        cr_assert(x86_wrmsr(c, 0xc0000082, 0x2000));
        cr_assert(x86_wrmsr(c, 0xc0000083, 0x2800));
        /* a 32-bit code segment at CPL 3 */
        c->seg[X86_CS] = (X86Seg){ .limit = 0xffffffff, .sel = 0x1b,
                                   .attr = 0xfb | (1u << 15) | X86_SEG_ATTR_DB };
        c->seg[X86_SS].attr |= 3 << 5;
        x86_update_mode(c);
        cr_assert_eq(c->code_bits, 32);
        put64(t, 0x4004, 0x8800);
        c->tr = (X86Seg){ .base = 0x4000, .limit = 0x67, .attr = 0x8b, .sel = 0x28 };
        cr_assert_eq(xh_run(t, 1), 0);
        if (k == 0) {
            cr_assert_eq(c->rip, 0x2800, "AMD: to CSTAR");
            cr_assert_eq(c->code_bits, 64);
            cr_assert_eq(c->gpr[X86_RCX], 0x1002);
        } else {
            cr_assert_eq(c->rip, 0x3000 + 0x10 * 6, "Intel: #UD");
        }
        xh_free(t);
    }
}

/* FSGSBASE (max): RDFSBASE/WRGSBASE with CR4.FSGSBASE, #UD without; UMIP: SGDT at CPL 3 is
 * #GP with CR4.UMIP, allowed without. */
Test(x86sys, fsgsbase_and_umip)
{
    XH *t = xh_new("max");
    X86Cpu *c = t->c;
    static const uint8_t code[] = {
        0xf3, 0x48, 0x0f, 0xae, 0xc0,             /* rdfsbase rax */
        0xf3, 0x48, 0x0f, 0xae, 0xdb,             /* wrgsbase rbx */
        0x0f, 0x01, 0x04, 0x25, 0x00, 0x60, 0x00, 0x00,   /* sgdt [0x6000] */
    };
    put(t, 0x1000, code, sizeof code);
    long_tables(t, 7);
    x86_cpu_enter_long(c, 0x1000, PML4);
    long_gdt(t);
    long_idt(t);
    c->seg[X86_FS].base = 0x7f0000001234ull;
    c->gpr[X86_RBX] = 0xffff888000000000ull;
    c->gpr[X86_RSP] = 0x9000;
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->rip, 0x3000 + 0x10 * 6, "#UD without CR4.FSGSBASE");
    c->rip = 0x1000;
    c->gpr[X86_RSP] = 0x9000;
    c->cr4 |= X86_CR4_FSGSBASE | X86_CR4_UMIP;
    /* CPL 3 from here */
    c->seg[X86_CS].attr |= 3 << 5;
    c->seg[X86_SS].attr |= 3 << 5;
    x86_update_mode(c);
    put64(t, 0x4004, 0x8800);
    c->tr = (X86Seg){ .base = 0x4000, .limit = 0x67, .attr = 0x8b, .sel = 0x28 };
    cr_assert_eq(xh_run(t, 2), 0);
    cr_assert_eq(c->gpr[X86_RAX], 0x7f0000001234ull);
    cr_assert_eq(c->seg[X86_GS].base, 0xffff888000000000ull);
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->rip, 0x3000 + 0x10 * 13, "UMIP: SGDT at CPL 3 is #GP");
    xh_free(t);
}

/* Random code and random descriptor tables, in real, protected and long mode at CPL 0 and
 * 3: whatever the guest does, the run ends in a state (or a triple fault / exception-loop
 * stop), never a host error (this suite also runs under ASan and UBSan). */
Test(x86sys, random_code_and_tables)
{
    uint64_t seed = 12345, total = 0;
    for (int iter = 0; iter < 240; iter++) {
        XH *t = xh_new(iter & 1 ? "max" : "qemu64");
        X86Cpu *c = t->c;
        uint8_t bytes[4096];
        for (size_t i = 0; i < sizeof bytes; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            bytes[i] = (uint8_t)(seed >> 56);
        }
        put(t, 0x1000, bytes, sizeof bytes);
        enter_long(t, 0x1000);
        if (iter & 4) {       /* random GDT entries past 0x20, LDT, IDT gates and TSS */
            put(t, 0x528, bytes + 100, 0x100);
            put(t, 0x600, bytes + 700, 0x80);
            put(t, IDT, bytes + 900, 2048);
            put(t, 0x4000, bytes + 3000, 0x68);
            c->gdtr.limit = 0x127;
            c->ldtr = (X86Seg){ .base = 0x600, .limit = 0x7f, .attr = 0x82, .sel = 0x30 };
        }
        c->tr = (X86Seg){ .base = 0x4000, .limit = 0x67, .attr = 0x8b, .sel = 0x28 };
        for (int r = 0; r < X86_NGPR; r++)
            c->gpr[r] = (seed >> (r * 3)) & 0x1fffff;
        c->gpr[X86_RSP] = 0x9000;
        switch (iter % 4) {
        case 1:               /* CPL 3 */
            long_tables(t, 7);
            c->seg[X86_CS].attr |= 3 << 5;
            c->seg[X86_SS].attr |= 3 << 5;
            put64(t, 0x4004, 0x8800);
            break;
        case 2:               /* real mode */
            c->cr0 = X86_CR0_ET;
            c->efer = 0;
            c->seg[X86_CS] = (X86Seg){ .limit = 0xffff, .attr = 0x9b };
            c->seg[X86_SS] = (X86Seg){ .limit = 0xffff, .attr = 0x93 };
            c->idtr = (X86DescTable){ .base = 0, .limit = 0x3ff };
            break;
        case 3:               /* 32-bit protected mode, paging off */
            c->cr0 = X86_CR0_PE | X86_CR0_ET;
            c->efer = 0;
            c->seg[X86_CS].attr = 0x9b | X86_SEG_ATTR_DB | (1u << 15);
            c->idtr = (X86DescTable){ .base = IDT, .limit = 0x7ff };
            break;
        default:
            break;
        }
        x86_update_mode(c);
        x86_tlb_flush(c);
        int rc = xh_run(t, 400);
        cr_assert(rc == 0 || rc == EXIT_GUEST_CRASH, "iteration %d: exit %d", iter, rc);
        total += machine_icount(t->m);
        xh_free(t);
    }
    cr_assert_gt(total, 240 * 20, "the programs ran (%llu instructions)", (unsigned long long)total);
}

Test(x86sys, trace_exec_in_real_mode)
{
    XH *t = xh_new("qemu64");
    X86Cpu *c = t->c;
    static const uint8_t code[] = { 0xb8, 0x34, 0x12, 0xf4 };   /* mov ax, 0x1234; hlt */
    put(t, 0x7c00, code, sizeof code);
    c->seg[X86_CS].sel = 0;
    c->seg[X86_CS].base = 0;
    c->rip = 0x7c00;
    x86_update_mode(c);
    char *text = NULL;
    size_t len = 0;
    t->m->trace = open_memstream(&text, &len);
    x86_trace_set(t->m, TRACE_EXEC);
    cr_assert_eq(xh_run(t, 2), 0);
    x86_trace_set(t->m, 0);
    fclose(t->m->trace);
    t->m->trace = NULL;
    cr_assert(strstr(text, "0000000000007c00: b83412") && strstr(text, "mov ax, 0x1234"),
              "16-bit code disassembled as such: %s", text);
    free(text);
    xh_free(t);
}
