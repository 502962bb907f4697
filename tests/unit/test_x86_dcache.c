/* The x86-64 decode cache (suite x86dcache, cpu/x86_64/dcache.h): code that is run, then
 * written, must run as written: self-modifying code in the same page (the next instruction,
 * rewritten on every pass of a loop), code of another page already decoded, and the same
 * linear page remapped to other physical memory. A stale cached instruction gives a
 * different register value in each. */
#include <criterion/criterion.h>
#include <string.h>
#include "core/machine.h"
#include "cpu/x86_64/cpu.h"
#include "cpu/x86_64/insn.h"

#define RAM_SIZE (16ull << 20)
#define PML4 0x10000ull

typedef struct DT {
    Machine *m;
    X86Cpu *c;
} DT;

static DT *dt_new(void)
{
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    cfg.ram_size = RAM_SIZE;
    char *err = NULL;
    DT *t = g_new0(DT, 1);
    t->m = machine_new(&cfg, 0, &err);
    machine_config_free(&cfg);
    cr_assert_not_null(t->m, "machine_new: %s", err ? err : "?");
    t->m->out = stdout;
    t->c = x86_cpu_new(t->m, 0);
    machine_add_cpu(t->m, t->c, &x86_cpu_class);
    return t;
}

static void dt_free(DT *t)
{
    machine_free(t->m);
    g_free(t);
}

static void put(DT *t, uint64_t pa, const void *bytes, size_t n)
{
    memcpy(t->m->ram + pa, bytes, n);
    machine_ram_written(t->m, pa, n);
}

static void put64(DT *t, uint64_t pa, uint64_t v)
{
    put(t, pa, &v, 8);
}

/* Long mode at rip: the first 2 MiB identity-mapped by one 2 MiB page, and VA 0x200000
 * through a page table at 0x13000 (its first entry to the caller's choice). */
static void enter_long(DT *t, uint64_t rip)
{
    put64(t, PML4, 0x11000 | 7);
    put64(t, 0x11000, 0x12000 | 7);
    put64(t, 0x12000, 0x0 | 0x80 | 3);
    put64(t, 0x12008, 0x13000 | 3);
    x86_cpu_enter_long(t->c, rip, PML4);
    t->c->gpr[X86_RSP] = 0x9000;
}

static int run(DT *t, uint64_t steps)
{
    t->m->stop = false;
    t->m->exit_code = 0;
    t->m->cfg.max_insns = machine_icount(t->m) + steps;
    return machine_run(t->m);
}

TestSuite(x86dcache);

Test(x86dcache, rewrites_the_next_instruction_in_the_same_page)
{
    DT *t = dt_new();
    static const uint8_t code[] = {
        0xb9, 0x03, 0x00, 0x00, 0x00,                   /* 1000: mov ecx, 3 */
        0x88, 0x0c, 0x25, 0x0d, 0x10, 0x00, 0x00,       /* 1005: mov [0x100d], cl */
        0xb8, 0x00, 0x00, 0x00, 0x00,                   /* 100c: mov eax, <patched> */
        0x01, 0xc3,                                     /* 1011: add ebx, eax */
        0xff, 0xc9,                                     /* 1013: dec ecx */
        0x75, 0xee,                                     /* 1015: jnz 1005 */
        0xf4,                                           /* 1017: hlt */
    };
    put(t, 0x1000, code, sizeof code);
    enter_long(t, 0x1000);
    cr_assert_eq(run(t, 1 + 3 * 5), 0);
    cr_assert_eq(t->c->rip, 0x1017);
    /* 3 + 2 + 1; a stale "mov eax, 3" on the second and third pass gives 9 */
    cr_assert_eq(t->c->gpr[X86_RBX], 6, "ebx %#llx", (unsigned long long)t->c->gpr[X86_RBX]);
    dt_free(t);
}

Test(x86dcache, rewrites_an_instruction_of_another_decoded_page)
{
    DT *t = dt_new();
    static const uint8_t code[] = {
        0xe8, 0xfb, 0x0f, 0x00, 0x00,                   /* 1000: call 2000 */
        0x89, 0xc3,                                     /* 1005: mov ebx, eax */
        0xc6, 0x04, 0x25, 0x01, 0x20, 0x00, 0x00, 0x77, /* 1007: mov byte [0x2001], 0x77 */
        0xe8, 0xec, 0x0f, 0x00, 0x00,                   /* 100f: call 2000 */
        0xf4,                                           /* 1014: hlt */
    };
    static const uint8_t sub[] = {
        0xb8, 0x55, 0x00, 0x00, 0x00,                   /* 2000: mov eax, 0x55 */
        0xc3,                                           /* 2005: ret */
    };
    put(t, 0x1000, code, sizeof code);
    put(t, 0x2000, sub, sizeof sub);
    enter_long(t, 0x1000);
    cr_assert_eq(run(t, 8), 0);
    cr_assert_eq(t->c->rip, 0x1014);
    cr_assert_eq(t->c->gpr[X86_RBX], 0x55);
    cr_assert_eq(t->c->gpr[X86_RAX], 0x77, "the rewritten subroutine ran");
    dt_free(t);
}

Test(x86dcache, a_remapped_code_page_runs_its_new_code)
{
    DT *t = dt_new();
    static const uint8_t code[] = {
        0xe8, 0xfb, 0xef, 0x1f, 0x00,                   /* 1000: call 200000 */
        0x89, 0xc3,                                     /* 1005: mov ebx, eax */
        0xc7, 0x04, 0x25, 0x00, 0x30, 0x01, 0x00,       /* 1007: mov dword [0x13000], */
        0x03, 0x70, 0x00, 0x00,                         /*       0x7003 (the VA's PTE) */
        0x0f, 0x01, 0x3c, 0x25, 0x00, 0x00, 0x20, 0x00, /* 1012: invlpg [0x200000] */
        0xe8, 0xe1, 0xef, 0x1f, 0x00,                   /* 101a: call 200000 */
        0xf4,                                           /* 101f: hlt */
    };
    static const uint8_t sub6[] = { 0xb8, 0x66, 0x00, 0x00, 0x00, 0xc3 };  /* mov eax; ret */
    static const uint8_t sub7[] = { 0xb8, 0x77, 0x00, 0x00, 0x00, 0xc3 };
    put(t, 0x1000, code, sizeof code);
    put(t, 0x6000, sub6, sizeof sub6);
    put(t, 0x7000, sub7, sizeof sub7);
    enter_long(t, 0x1000);
    put64(t, 0x13000, 0x6000 | 3);
    cr_assert_eq(run(t, 9), 0);
    cr_assert_eq(t->c->rip, 0x101f);
    cr_assert_eq(t->c->gpr[X86_RBX], 0x66);
    cr_assert_eq(t->c->gpr[X86_RAX], 0x77, "the new physical page's code ran");
    dt_free(t);
}
