/* Exception handling for test programs: a vector table that saves x0-x30 in a frame and
 * calls the handler installed with trap_install(), and run_lower(), which runs a function at
 * a lower exception level until the handler sends it back with trap_back_to_caller(). */
#include "lib.h"

static trap_fn handler;
uint64_t trap_saved_ctx[14];   /* run_lower(): x19..x30 and sp of the caller */

__asm__(".section .text\n"
        ".balign 2048\n"
        ".global trap_vectors\n"
        "trap_vectors:\n"
        ".irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        ".balign 128\n"
        "sub sp, sp, #256\n"
        "stp x0, x1, [sp, #0]\n"
        "mov x1, #\\i\n"
        "b trap_common\n"
        ".endr\n"
        "trap_common:\n"
        "stp x2, x3, [sp, #16]\n stp x4, x5, [sp, #32]\n stp x6, x7, [sp, #48]\n"
        "stp x8, x9, [sp, #64]\n stp x10, x11, [sp, #80]\n stp x12, x13, [sp, #96]\n"
        "stp x14, x15, [sp, #112]\n stp x16, x17, [sp, #128]\n stp x18, x19, [sp, #144]\n"
        "stp x20, x21, [sp, #160]\n stp x22, x23, [sp, #176]\n stp x24, x25, [sp, #192]\n"
        "stp x26, x27, [sp, #208]\n stp x28, x29, [sp, #224]\n str x30, [sp, #240]\n"
        "mov x0, sp\n"
        "bl trap_dispatch\n"
        "ldp x2, x3, [sp, #16]\n ldp x4, x5, [sp, #32]\n ldp x6, x7, [sp, #48]\n"
        "ldp x8, x9, [sp, #64]\n ldp x10, x11, [sp, #80]\n ldp x12, x13, [sp, #96]\n"
        "ldp x14, x15, [sp, #112]\n ldp x16, x17, [sp, #128]\n ldp x18, x19, [sp, #144]\n"
        "ldp x20, x21, [sp, #160]\n ldp x22, x23, [sp, #176]\n ldp x24, x25, [sp, #192]\n"
        "ldp x26, x27, [sp, #208]\n ldp x28, x29, [sp, #224]\n ldr x30, [sp, #240]\n"
        "ldp x0, x1, [sp, #0]\n"
        "add sp, sp, #256\n"
        "eret\n"
        ".global run_lower\n"
        "run_lower:\n"
        "adrp x9, trap_saved_ctx\n add x9, x9, :lo12:trap_saved_ctx\n"
        "stp x19, x20, [x9, #0]\n stp x21, x22, [x9, #16]\n stp x23, x24, [x9, #32]\n"
        "stp x25, x26, [x9, #48]\n stp x27, x28, [x9, #64]\n stp x29, x30, [x9, #80]\n"
        "mov x10, sp\n str x10, [x9, #96]\n"
        "mrs x10, CurrentEL\n cmp x10, #8\n b.eq 1f\n"
        "msr elr_el1, x0\n msr spsr_el1, x1\n msr sp_el0, x2\n isb\n eret\n"
        "1: msr elr_el2, x0\n msr spsr_el2, x1\n msr sp_el1, x2\n isb\n eret\n"
        ".global trap_lower_back\n"
        "trap_lower_back:\n"
        "adrp x9, trap_saved_ctx\n add x9, x9, :lo12:trap_saved_ctx\n"
        "ldp x19, x20, [x9, #0]\n ldp x21, x22, [x9, #16]\n ldp x23, x24, [x9, #32]\n"
        "ldp x25, x26, [x9, #48]\n ldp x27, x28, [x9, #64]\n ldp x29, x30, [x9, #80]\n"
        "ldr x10, [x9, #96]\n mov sp, x10\n"
        "ret\n"
        ".text\n");

extern char trap_vectors[], trap_lower_back[];
void trap_dispatch(struct trap_frame *f, uint64_t vec);

void trap_dispatch(struct trap_frame *f, uint64_t vec)
{
    if (handler)
        handler(f, (unsigned)vec);
}

void trap_install(trap_fn fn)
{
    handler = fn;
    uint64_t v = (uint64_t)trap_vectors;
    if (current_el() == 2)
        __asm__ volatile("msr vbar_el2, %0" : : "r"(v));
    __asm__ volatile("msr vbar_el1, %0\n isb" : : "r"(v));
}

void trap_back_to_caller(void)
{
    /* The exception was taken from the level run_lower() entered: return to its caller at
     * this level, with interrupts masked as they were. */
    uint64_t spsr = 0x3c5 | (uint64_t)current_el() << 2;
    spsr &= ~(uint64_t)0x4;
    spsr |= (uint64_t)current_el() << 2;
    trap_set_return(spsr, (uint64_t)trap_lower_back);
}

void trap_set_return(uint64_t spsr, uint64_t elr)
{
    if (current_el() == 2)
        __asm__ volatile("msr spsr_el2, %0\n msr elr_el2, %1" : : "r"(spsr), "r"(elr));
    else
        __asm__ volatile("msr spsr_el1, %0\n msr elr_el1, %1" : : "r"(spsr), "r"(elr));
}

void trap_info(struct trap_info *t)
{
    if (current_el() == 2) {
        t->esr = READ_SYSREG(esr_el2);
        t->elr = READ_SYSREG(elr_el2);
        t->far = READ_SYSREG(far_el2);
        t->spsr = READ_SYSREG(spsr_el2);
        t->hpfar = READ_SYSREG(hpfar_el2);
    } else {
        t->esr = READ_SYSREG(esr_el1);
        t->elr = READ_SYSREG(elr_el1);
        t->far = READ_SYSREG(far_el1);
        t->spsr = READ_SYSREG(spsr_el1);
        t->hpfar = 0;
    }
}
