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
#include "cpu/x86_64/exec.h"
#include "x86_harness.h"


TestSuite(x86dcache);

Test(x86dcache, rewrites_the_next_instruction_in_the_same_page)
{
    XH *t = xh_new(NULL);
    static const uint8_t code[] = {
        0xb9, 0x03, 0x00, 0x00, 0x00,                   /* 1000: mov ecx, 3 */
        0x88, 0x0c, 0x25, 0x0d, 0x10, 0x00, 0x00,       /* 1005: mov [0x100d], cl */
        0xb8, 0x00, 0x00, 0x00, 0x00,                   /* 100c: mov eax, <patched> */
        0x01, 0xc3,                                     /* 1011: add ebx, eax */
        0xff, 0xc9,                                     /* 1013: dec ecx */
        0x75, 0xee,                                     /* 1015: jnz 1005 */
        0xf4,                                           /* 1017: hlt */
    };
    xh_put(t, 0x1000, code, sizeof code);
    xh_enter_long(t, 0x1000);
    cr_assert_eq(xh_run(t, 1 + 3 * 5), 0);
    cr_assert_eq(t->c->rip, 0x1017);
    /* 3 + 2 + 1; a stale "mov eax, 3" on the second and third pass gives 9 */
    cr_assert_eq(t->c->gpr[X86_RBX], 6, "ebx %#llx", (unsigned long long)t->c->gpr[X86_RBX]);
    xh_free(t);
}

Test(x86dcache, rewrites_an_instruction_of_another_decoded_page)
{
    XH *t = xh_new(NULL);
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
    xh_put(t, 0x1000, code, sizeof code);
    xh_put(t, 0x2000, sub, sizeof sub);
    xh_enter_long(t, 0x1000);
    cr_assert_eq(xh_run(t, 8), 0);
    cr_assert_eq(t->c->rip, 0x1014);
    cr_assert_eq(t->c->gpr[X86_RBX], 0x55);
    cr_assert_eq(t->c->gpr[X86_RAX], 0x77, "the rewritten subroutine ran");
    xh_free(t);
}

Test(x86dcache, a_remapped_code_page_runs_its_new_code)
{
    XH *t = xh_new(NULL);
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
    xh_put(t, 0x1000, code, sizeof code);
    xh_put(t, 0x6000, sub6, sizeof sub6);
    xh_put(t, 0x7000, sub7, sizeof sub7);
    xh_enter_long(t, 0x1000);
    xh_put64(t, 0x13000, 0x6000 | 3);
    cr_assert_eq(xh_run(t, 9), 0);
    cr_assert_eq(t->c->rip, 0x101f);
    cr_assert_eq(t->c->gpr[X86_RBX], 0x66);
    cr_assert_eq(t->c->gpr[X86_RAX], 0x77, "the new physical page's code ran");
    xh_free(t);
}

/* The specialised handlers the cache gives ALU, TEST, INC/DEC, MOV, IMUL, branches and stack
 * instructions (exec.h's x86_fast_*) against the generic ones: each encoding, from several
 * register and flag states, once through x86_decode + x86_execute (the generic handler) and once through the
 * run loop (cached, specialised); registers, RFLAGS, RIP and the memory operand agree. */
Test(x86dcache, specialised_handlers_match_the_generic_ones)
{
    XH *t = xh_new(NULL);
    X86Cpu *c = t->c;
    xh_enter_long(t, 0x1000);
    uint8_t enc[160][16];
    unsigned n = 0, len[160];
#define ENC(...)                                                                              \
    do {                                                                                      \
        const uint8_t b_[] = { __VA_ARGS__ };                                                 \
        memcpy(enc[n], b_, sizeof b_);                                                        \
        len[n++] = sizeof b_;                                                                 \
    } while (0)
    for (uint8_t op = 0; op < 8; op++) {
        ENC(0x48, (uint8_t)(op * 8 + 1), 0xd8);                       /* op rax, rbx */
        ENC((uint8_t)(op * 8 + 3), 0xc3);                             /* op eax, ebx */
        ENC((uint8_t)(op * 8 + 5), 0x80, 0xff, 0xff, 0x7f);           /* op eax, imm32 */
        ENC(0x48, 0x83, (uint8_t)(0xc0 | op << 3 | 1), 0x81);         /* op rcx, -127 */
        ENC(0x48, (uint8_t)(op * 8 + 1), 0x04, 0x25, 0x00, 0x80, 0, 0);   /* op [0x8000], rax */
        ENC((uint8_t)(op * 8 + 3), 0x1c, 0x25, 0x00, 0x80, 0, 0);     /* op ebx, [0x8000] */
    }
    ENC(0x48, 0x85, 0xd8);                                            /* test rax, rbx */
    ENC(0x85, 0xc3);                                                  /* test ebx, eax */
    ENC(0x48, 0x89, 0x04, 0x25, 0x00, 0x80, 0, 0);                    /* mov [0x8000], rax */
    ENC(0x8b, 0x1c, 0x25, 0x00, 0x80, 0, 0);                          /* mov ebx, [0x8000] */
    ENC(0x48, 0x8b, 0xcb);                                            /* mov rcx, rbx */
    ENC(0x48, 0x0f, 0xaf, 0xc3);                                      /* imul rax, rbx */
    ENC(0x0f, 0xaf, 0xc3);                                            /* imul eax, ebx */
    ENC(0x48, 0x6b, 0xc3, 0x85);                                      /* imul rax, rbx, -123 */
    ENC(0x69, 0x1c, 0x25, 0x00, 0x80, 0, 0, 0x01, 0x00, 0x01, 0x80);  /* imul ebx, [0x8000], i */
    ENC(0x48, 0xc1, 0xe0, 0x05);                                      /* shl rax, 5 */
    ENC(0xd1, 0xe9);                                                  /* shr ecx, 1 */
    ENC(0x48, 0xd3, 0xfa);                                            /* sar rdx, cl */
    ENC(0xc1, 0xe3, 0x1f);                                            /* shl ebx, 31 */
    ENC(0x0f, 0xb6, 0xc3);                                            /* movzx eax, bl */
    ENC(0x48, 0x0f, 0xbe, 0xcc);                                      /* movsx rcx, ah */
    ENC(0x48, 0x0f, 0xbf, 0x04, 0x25, 0x00, 0x80, 0, 0);              /* movsx rax, word [0x8000] */
    ENC(0x0f, 0xb7, 0x1c, 0x25, 0x00, 0x80, 0, 0);                    /* movzx ebx, word [0x8000] */
    ENC(0x48, 0x8d, 0x44, 0x8b, 0x08);                                /* lea rax, [rbx + rcx*4 + 8] */
    ENC(0x8d, 0x44, 0x8b, 0xf8);                                      /* lea eax, [rbx + rcx*4 - 8] */
    ENC(0x88, 0x24, 0x25, 0x00, 0x80, 0, 0);                          /* mov [0x8000], ah */
    ENC(0x8a, 0x0c, 0x25, 0x00, 0x80, 0, 0);                          /* mov cl, [0x8000] */
    ENC(0x88, 0xdc);                                                  /* mov ah, bl */
    ENC(0x40, 0x8a, 0xf3);                                            /* mov sil, bl */
    ENC(0x48, 0x0f, 0x42, 0xc3);                                      /* cmovb rax, rbx */
    ENC(0x0f, 0x4f, 0xca);                                            /* cmovg ecx, edx */
    ENC(0x0f, 0x44, 0x04, 0x25, 0x00, 0x80, 0, 0);                    /* cmove eax, [0x8000] */
    ENC(0x0f, 0x97, 0xc4);                                            /* seta ah */
    ENC(0x40, 0x0f, 0x9c, 0xc6);                                      /* setl sil */
    for (uint8_t cc = 0; cc < 16; cc++)
        ENC((uint8_t)(0x70 + cc), 0x10);                              /* jcc +16 */
    ENC(0xa8, 0x81);                                                  /* test al, 0x81 */
    ENC(0xf7, 0xc1, 0x00, 0x00, 0x00, 0x80);                          /* test ecx, 0x80000000 */
    ENC(0x48, 0xf7, 0xc0, 0xff, 0xff, 0xff, 0xff);                    /* test rax, -1 */
    ENC(0xf6, 0x04, 0x25, 0x00, 0x80, 0, 0, 0x80);                    /* test byte [0x8000], 0x80 */
    ENC(0x66, 0x85, 0xc8);                                            /* test ax, cx */
    ENC(0x84, 0xe3);                                                  /* test bl, ah */
    ENC(0xff, 0x04, 0x25, 0x00, 0x80, 0, 0);                          /* inc dword [0x8000] */
    ENC(0xfe, 0xc9);                                                  /* dec cl */
    ENC(0x66, 0xff, 0xc0);                                            /* inc ax */
    ENC(0x48, 0xff, 0xc8);                                            /* dec rax */
    ENC(0x50);                                                        /* push rax */
    ENC(0x59);                                                        /* pop rcx */
    ENC(0x6a, 0x80);                                                  /* push -128 */
    ENC(0xe8, 0x10, 0, 0, 0);                                         /* call +16 */
    ENC(0xc3);                                                        /* ret */
    ENC(0xb8, 0x01, 0x00, 0x00, 0x80);                                /* mov eax, 0x80000001 */
    ENC(0xf3, 0x90);                                                  /* pause */
    ENC(0xeb, 0x10);                                                  /* jmp +16 */
    ENC(0xc1, 0xc0, 0x07);                                            /* rol eax, 7 */
    ENC(0x48, 0xd1, 0xcb);                                            /* ror rbx, 1 */
    ENC(0x48, 0xd3, 0xc0);                                            /* rol rax, cl */
    ENC(0x00, 0xd8);                                                  /* add al, bl */
    ENC(0x66, 0x01, 0xd8);                                            /* add ax, bx */
    ENC(0x80, 0xc4, 0x7f);                                            /* add ah, 0x7f */
    ENC(0x66, 0x83, 0xe9, 0x81);                                      /* sub cx, -127 */
    ENC(0x2a, 0x24, 0x25, 0x00, 0x80, 0, 0);                          /* sub ah, [0x8000] */
    ENC(0x80, 0x2c, 0x25, 0x00, 0x80, 0, 0, 0x03);                    /* sub byte [0x8000], 3 */
    ENC(0x3c, 0x80);                                                  /* cmp al, 0x80 */
    ENC(0x66, 0x3d, 0x00, 0x80);                                      /* cmp ax, 0x8000 */
    ENC(0x18, 0xc3);                                                  /* sbb bl, al */
    ENC(0x66, 0x31, 0x0c, 0x25, 0x00, 0x80, 0, 0);                    /* xor [0x8000], cx */
    ENC(0xc7, 0x04, 0x25, 0x00, 0x80, 0, 0, 0x78, 0x56, 0x34, 0x12);  /* mov dword [0x8000], i */
    ENC(0x48, 0xc7, 0xc1, 0xff, 0xff, 0xff, 0xff);                    /* mov rcx, -1 */
    ENC(0xc6, 0x04, 0x25, 0x00, 0x80, 0, 0, 0xab);                    /* mov byte [0x8000], 0xab */
    ENC(0x66, 0x89, 0xd8);                                            /* mov ax, bx */
    ENC(0x66, 0x8b, 0x0c, 0x25, 0x00, 0x80, 0, 0);                    /* mov cx, [0x8000] */
    ENC(0x48, 0xf7, 0xd8);                                            /* neg rax */
    ENC(0xf6, 0x1c, 0x25, 0x00, 0x80, 0, 0);                          /* neg byte [0x8000] */
    ENC(0xf7, 0xd1);                                                  /* not ecx */
#undef ENC
    static const uint64_t regs[][3] = {
        { 0, 0, 0 },
        { 0xffffffffffffffffull, 1, 0x8000000000000000ull },
        { 0x7fffffff, 0x80000001, 0xff },
        { 0x123456789abcdef0ull, 0x0fedcba987654321ull, 0x10 },
    };
    static const uint64_t flags[] = { 0x2, 0x2 | X86_CF | X86_ZF, 0x2 | X86_SF | X86_OF | X86_PF,
                                      0x2 | X86_CF | X86_SF };
    unsigned specialised = 0;
    for (unsigned i = 0; i < n; i++) {
        for (unsigned r = 0; r < sizeof regs / sizeof regs[0]; r++) {
            for (unsigned f = 0; f < sizeof flags / sizeof flags[0]; f++) {
                uint64_t gpr[2][X86_NGPR], fl[2], rip[2], mem[2];
                for (int way = 0; way < 2; way++) {
                    xh_put(t, 0x1000, enc[i], len[i]);   /* drops the decoded page too */
                    memset(c->gpr, 0, sizeof c->gpr);
                    c->gpr[X86_RAX] = regs[r][0];
                    c->gpr[X86_RBX] = regs[r][1];
                    c->gpr[X86_RCX] = regs[r][2];
                    c->gpr[X86_RSP] = 0x9000;
                    c->rflags = flags[f];
                    c->rip = 0x1000;
                    xh_put64(t, 0x8000, regs[r][2] ^ 0x5555aaaa5555aaaaull);
                    if (way == 0) {
                        X86Insn d;
                        cr_assert(x86_decode(c, &d), "encoding %u", i);
                        cr_assert_eq(x86_execute(c, &d), X86_OK, "encoding %u", i);
                        bool lz;
                        if (x86_fast_alu(&d, &lz) || x86_fast_branch(&d, &lz) ||
                            x86_fast_mov(&d, &lz) || x86_fast_mul(&d, &lz) ||
                            x86_fast_shift(&d, &lz) || x86_fast_cond(&d, &lz) ||
                            x86_fast_stack(&d, &lz))
                            specialised += r == 0 && f == 0;
                    } else {
                        cr_assert_eq(xh_run(t, 1), 0);
                    }
                    memcpy(gpr[way], c->gpr, sizeof c->gpr);
                    fl[way] = c->rflags;
                    rip[way] = c->rip;
                    memcpy(&mem[way], t->m->ram + 0x8000, 8);
                }
                cr_assert_eq(memcmp(gpr[0], gpr[1], sizeof gpr[0]), 0,
                             "encoding %u, state %u/%u: registers", i, r, f);
                cr_assert_eq(fl[0], fl[1], "encoding %u, state %u/%u: rflags %#llx vs %#llx", i,
                             r, f, (unsigned long long)fl[0], (unsigned long long)fl[1]);
                cr_assert_eq(rip[0], rip[1], "encoding %u: rip", i);
                cr_assert_eq(mem[0], mem[1], "encoding %u: memory", i);
            }
        }
    }
    cr_assert_eq(specialised, n, "every encoding here has a specialised handler (%u of %u)",
                 specialised, n);
    xh_free(t);
}

/* Pages are kept by physical address and code size: the same bytes decoded for 64-bit code,
 * then run as 32-bit compatibility-mode code (CS.L clear), decode anew (48 is REX.W in one,
 * DEC eAX in the other). */
Test(x86dcache, the_same_page_in_another_code_size)
{
    XH *t = xh_new(NULL);
    X86Cpu *c = t->c;
    static const uint8_t code[] = { 0x48, 0xff, 0xc0 };   /* inc rax | dec eax; inc eax */
    xh_put(t, 0x1000, code, sizeof code);
    xh_enter_long(t, 0x1000);
    c->gpr[X86_RAX] = 5;
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->gpr[X86_RAX], 6);
    cr_assert_eq(c->rip, 0x1003);
    c->seg[X86_CS].attr = (c->seg[X86_CS].attr & ~X86_SEG_ATTR_L) | X86_SEG_ATTR_DB;
    x86_update_mode(c);
    cr_assert_eq(c->code_bits, 32);
    c->rip = 0x1000;
    c->gpr[X86_RAX] = 5;
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->gpr[X86_RAX], 4, "DEC eAX");
    cr_assert_eq(c->rip, 0x1001);
    cr_assert_eq(xh_run(t, 1), 0);
    cr_assert_eq(c->gpr[X86_RAX], 5);
    xh_free(t);
}

/* Lazy flags (exec.h): inside the run loop's chain an ALU result leaves its flags pending
 * until something reads them. A seeded mix of flag producers (ALU in register, immediate and
 * memory forms, TEST of every form, IMUL, INC/DEC), flag-neutral (JMP, CALL, PUSH, POP, MOV
 * imm, NOP among them) instructions and consumers that read some or all
 * flags or write only some (SETcc, ADC/SBB, CMOVcc, PUSHF, LAHF, INC/DEC keeping CF, shifts
 * by 0 (immediate or CL) keeping all, Jcc over an INC, CMC, STC) runs once in one go (chained) and once an
 * instruction per run (never chained), three passes of a loop: registers, RFLAGS and memory
 * must end the same. */
Test(x86dcache, lazy_flags_chained_as_one_by_one)
{
    static const struct { uint8_t n, b[12]; } enc[] = {
        { 3, { 0x48, 0x01, 0xd8 } },                     /* add rax, rbx */
        { 3, { 0x48, 0x29, 0xd8 } },                     /* sub rax, rbx */
        { 3, { 0x48, 0x39, 0xd8 } },                     /* cmp rax, rbx */
        { 3, { 0x48, 0x21, 0xc3 } },                     /* and rbx, rax */
        { 3, { 0x48, 0x09, 0xd1 } },                     /* or rcx, rdx */
        { 2, { 0x31, 0xca } },                           /* xor edx, ecx */
        { 2, { 0x01, 0xca } },                           /* add edx, ecx */
        { 2, { 0x29, 0xd1 } },                           /* sub ecx, edx */
        { 4, { 0x48, 0x83, 0xc0, 0x7f } },               /* add rax, 127 */
        { 4, { 0x48, 0x83, 0xe9, 0x81 } },               /* sub rcx, -127 */
        { 4, { 0x48, 0x83, 0xf8, 0x00 } },               /* cmp rax, 0 */
        { 3, { 0x83, 0xfa, 0x11 } },                     /* cmp edx, 0x11 */
        { 5, { 0x3d, 0x00, 0x00, 0x00, 0x80 } },         /* cmp eax, 0x80000000 */
        { 3, { 0x48, 0x85, 0xc3 } },                     /* test rbx, rax */
        { 2, { 0x85, 0xc9 } },                           /* test ecx, ecx */
        { 8, { 0x48, 0x01, 0x04, 0x25, 0x00, 0x80, 0x00, 0x00 } },        /* add [0x8000], rax */
        { 8, { 0x48, 0x3b, 0x0c, 0x25, 0x00, 0x80, 0x00, 0x00 } },        /* cmp rcx, [0x8000] */
        { 9, { 0x48, 0x83, 0x2c, 0x25, 0x00, 0x80, 0x00, 0x00, 0x03 } },  /* sub qword [0x8000], 3 */
        { 8, { 0x48, 0x39, 0x14, 0x25, 0x00, 0x80, 0x00, 0x00 } },        /* cmp [0x8000], rdx */
        { 4, { 0x48, 0x0f, 0xaf, 0xc3 } },               /* imul rax, rbx */
        { 3, { 0x0f, 0xaf, 0xc3 } },                     /* imul eax, ebx */
        { 3, { 0x6b, 0xc9, 0x85 } },                     /* imul ecx, ecx, -123 */
        { 4, { 0xeb, 0x02, 0xff, 0xc2 } },               /* jmp +2; inc edx */
        { 2, { 0xa8, 0x81 } },                           /* test al, 0x81 */
        { 6, { 0xf7, 0xc1, 0x00, 0x00, 0x00, 0x80 } },   /* test ecx, 0x80000000 */
        { 8, { 0xf6, 0x04, 0x25, 0x00, 0x80, 0x00, 0x00, 0x80 } },  /* test byte [0x8000], 0x80 */
        { 3, { 0x66, 0x85, 0xc8 } },                     /* test ax, cx */
        { 2, { 0x84, 0xe3 } },                           /* test bl, ah */
        { 7, { 0xff, 0x04, 0x25, 0x00, 0x80, 0x00, 0x00 } },        /* inc dword [0x8000] */
        { 2, { 0xfe, 0xc9 } },                           /* dec cl */
        { 3, { 0x66, 0xff, 0xc0 } },                     /* inc ax */
        { 2, { 0x50, 0x59 } },                           /* push rax; pop rcx */
        { 3, { 0x6a, 0x80, 0x5a } },                     /* push -128; pop rdx */
        { 6, { 0xe8, 0x00, 0x00, 0x00, 0x00, 0x5e } },   /* call +0; pop rsi */
        { 5, { 0xb8, 0x01, 0x00, 0x00, 0x80 } },         /* mov eax, 0x80000001 */
        { 3, { 0x90, 0xf3, 0x90 } },                     /* nop; pause */
        { 3, { 0xc1, 0xc0, 0x07 } },                     /* rol eax, 7 */
        { 3, { 0x48, 0xd1, 0xcb } },                     /* ror rbx, 1 */
        { 3, { 0x48, 0xd3, 0xc8 } },                     /* ror rax, cl (cl may be 0) */
        { 2, { 0x0f, 0x31 } },                           /* rdtsc (the retired count) */
        { 3, { 0x48, 0xf7, 0xd9 } },                     /* neg rcx */
        { 2, { 0xf7, 0xd2 } },                           /* not edx */
        { 2, { 0x00, 0xd8 } },                           /* add al, bl */
        { 3, { 0x80, 0xec, 0x11 } },                     /* sub ah, 0x11 */
        { 4, { 0x66, 0x83, 0xf9, 0x80 } },               /* cmp cx, -128 */
        { 2, { 0x38, 0xd3 } },                           /* cmp bl, dl */
        { 2, { 0x10, 0xc8 } },                           /* adc al, cl */
        { 4, { 0x48, 0x8d, 0x04, 0x18 } },               /* lea rax, [rax + rbx] */
        { 3, { 0x48, 0x89, 0xc1 } },                     /* mov rcx, rax */
        { 7, { 0x48, 0xc7, 0xc2, 0xff, 0xff, 0xff, 0x7f } },  /* mov rdx, 0x7fffffff */
        { 3, { 0x0f, 0x92, 0xc0 } },                     /* setb al */
        { 3, { 0x0f, 0x94, 0xc1 } },                     /* sete cl */
        { 3, { 0x0f, 0x9c, 0xc2 } },                     /* setl dl */
        { 3, { 0x0f, 0x9a, 0xc3 } },                     /* setp bl */
        { 3, { 0x0f, 0x90, 0xc0 } },                     /* seto al */
        { 3, { 0x48, 0x11, 0xd8 } },                     /* adc rax, rbx */
        { 3, { 0x48, 0x19, 0xd1 } },                     /* sbb rcx, rdx */
        { 4, { 0x48, 0x0f, 0x42, 0xc3 } },               /* cmovb rax, rbx */
        { 4, { 0x48, 0x0f, 0x4f, 0xca } },               /* cmovg rcx, rdx */
        { 2, { 0x9c, 0x5e } },                           /* pushf; pop rsi */
        { 1, { 0x9f } },                                 /* lahf */
        { 3, { 0x48, 0xff, 0xc0 } },                     /* inc rax */
        { 3, { 0x48, 0xff, 0xc9 } },                     /* dec rcx */
        { 3, { 0x48, 0xd1, 0xe0 } },                     /* shl rax, 1 */
        { 4, { 0x48, 0xc1, 0xe9, 0x00 } },               /* shr rcx, 0 */
        { 4, { 0x48, 0xc1, 0xe0, 0x07 } },               /* shl rax, 7 */
        { 2, { 0xd1, 0xfa } },                           /* sar edx, 1 */
        { 3, { 0x48, 0xd3, 0xeb } },                     /* shr rbx, cl (cl may be 0) */
        { 3, { 0x0f, 0xb6, 0xc9 } },                     /* movzx ecx, cl */
        { 4, { 0x48, 0x0f, 0xbe, 0xd0 } },               /* movsx rdx, al */
        { 5, { 0x72, 0x03, 0x48, 0xff, 0xc2 } },         /* jb +3; inc rdx */
        { 5, { 0x7c, 0x03, 0x48, 0xff, 0xc2 } },         /* jl +3; inc rdx */
        { 5, { 0x74, 0x03, 0x48, 0xff, 0xc2 } },         /* je +3; inc rdx */
        { 5, { 0x7e, 0x03, 0x48, 0xff, 0xc2 } },         /* jle +3; inc rdx */
        { 5, { 0x7a, 0x03, 0x48, 0xff, 0xc2 } },         /* jp +3; inc rdx */
        { 5, { 0x70, 0x03, 0x48, 0xff, 0xc2 } },         /* jo +3; inc rdx */
        { 5, { 0x78, 0x03, 0x48, 0xff, 0xc2 } },         /* js +3; inc rdx */
        { 5, { 0x76, 0x03, 0x48, 0xff, 0xc2 } },         /* jbe +3; inc rdx */
        { 5, { 0x77, 0x03, 0x48, 0xff, 0xc2 } },         /* ja +3; inc rdx */
        { 1, { 0xf5 } },                                 /* cmc */
        { 1, { 0xf9 } },                                 /* stc */
    };
    const unsigned nenc = sizeof enc / sizeof enc[0];
    uint8_t prog[3000];
    unsigned len = 0, count = 0;
    uint32_t seed = 12345;
    while (len < sizeof prog - 16 && (len & 0xfff) < 0xf00) {
        seed = seed * 1103515245u + 12345u;
        unsigned k = (seed >> 16) % nenc;
        memcpy(prog + len, enc[k].b, enc[k].n);
        len += enc[k].n;
        count++;
    }
    /* three passes: the first decodes, the others run chained */
    static const uint8_t loop[] = { 0x49, 0xff, 0xcf, 0x0f, 0x85 };   /* dec r15; jnz start */
    memcpy(prog + len, loop, sizeof loop);
    len += sizeof loop;
    int32_t back = -(int32_t)(len + 4);
    memcpy(prog + len, &back, 4);
    len += 4;
    count = 3 * (count + 2);
    prog[len++] = 0xf4;                                  /* hlt */
    static const uint64_t starts[][4] = {
        { 0x7fffffffffffffffull, 1, 0x80000000, 0xffffffff },
        { 0, 0xffffffffffffffffull, 0x12345678, 0x87654321 },
        { 0x8000000000000000ull, 0x8000000000000000ull, 0, 0x7f },
    };
    for (unsigned st = 0; st < sizeof starts / sizeof starts[0]; st++) {
        uint64_t gpr[2][X86_NGPR], fl[2], mem[2], rip[2];
        for (int way = 0; way < 2; way++) {
            XH *t = xh_new(NULL);
            X86Cpu *c = t->c;
            xh_enter_long(t, 0x1000);
            xh_put(t, 0x1000, prog, len);
            xh_put64(t, 0x8000, 0x5555aaaa5555aaaaull ^ st);
            c->gpr[X86_RAX] = starts[st][0];
            c->gpr[X86_RBX] = starts[st][1];
            c->gpr[X86_RCX] = starts[st][2];
            c->gpr[X86_RDX] = starts[st][3];
            c->rflags = 0x2 | (st & 1 ? X86_CF : 0);
            c->gpr[X86_R15] = 3;
            c->gpr[X86_RSP] = 0x9000;
            xh_run_chained_or_not(t, 3 * count, way == 1);
            cr_assert(c->halted, "state %u, way %d: the program ran to its HLT", st, way);
            memcpy(gpr[way], c->gpr, sizeof c->gpr);
            fl[way] = c->rflags;
            rip[way] = c->rip;
            memcpy(&mem[way], t->m->ram + 0x8000, 8);
            xh_free(t);
        }
        for (unsigned r = 0; r < X86_NGPR; r++)
            cr_assert_eq(gpr[0][r], gpr[1][r], "state %u: register %u %#llx vs %#llx", st, r,
                         (unsigned long long)gpr[0][r], (unsigned long long)gpr[1][r]);
        cr_assert_eq(fl[0], fl[1], "state %u: rflags %#llx vs %#llx", st,
                     (unsigned long long)fl[0], (unsigned long long)fl[1]);
        cr_assert_eq(mem[0], mem[1], "state %u: memory", st);
        cr_assert_eq(rip[0], rip[1], "state %u: rip", st);
    }
}

/* A subscriber called in the middle of a chained run sees RFLAGS exact: lazy flags are
 * written before an event is published (here EV_MEM, for a store after a CMP). */
static uint64_t seen_flags[8];
static unsigned nseen;
static bool record_flags(void *opaque, const EvInfo *e)
{
    const X86Cpu *c = opaque;
    if (e->kind == EV_MEM && e->u.mem.write && nseen < 8)
        seen_flags[nseen++] = c->rflags & X86_FLAGS_ARITH;
    return false;
}

Test(x86dcache, subscribers_see_exact_flags)
{
    XH *t = xh_new(NULL);
    X86Cpu *c = t->c;
    xh_enter_long(t, 0x1000);
    /* cmp rax, rbx; mov [0x8000], rcx; dec r15; jnz back; hlt */
    static const uint8_t prog[] = { 0x48, 0x39, 0xd8, 0x48, 0x89, 0x0c, 0x25, 0x00, 0x80, 0x00,
                                    0x00, 0x49, 0xff, 0xcf, 0x75, 0xf0, 0xf4 };
    xh_put(t, 0x1000, prog, sizeof prog);
    c->gpr[X86_RAX] = 1;
    c->gpr[X86_RBX] = 2;            /* 1 - 2: CF, SF, AF, PF set; ZF, OF clear */
    c->gpr[X86_R15] = 4;
    nseen = 0;
    cr_assert(ev_subscribe(&t->m->events, 1u << EV_MEM, EV_PRIO_PLUGIN, NULL, record_flags, c));
    xh_run(t, 100);
    cr_assert(c->halted);
    cr_assert_eq(nseen, 4, "four stores seen (%u)", nseen);
    for (unsigned i = 0; i < nseen; i++)
        cr_assert_eq(seen_flags[i], X86_CF | X86_SF | X86_AF | X86_PF,
                     "store %u: flags %#llx", i, (unsigned long long)seen_flags[i]);
    xh_free(t);
}

/* An instruction in a page's last 14 bytes that ends in the page: the decoder reads the next
 * page only when an instruction reaches into it (the next page's accessed flag stays clear),
 * and such an instruction is kept decoded like any other: a loop over the page boundary runs
 * the same chained as one instruction at a time, and an instruction across the boundary
 * reads its bytes from both pages (which sets that flag). */
Test(x86dcache, the_end_of_a_page)
{
    /* VA 0x200000 -> PA 0x6000, VA 0x201000 -> PA 0x7000 (PTEs at 0x13000 and 0x13008) */
    uint64_t result[2][3];
    for (int way = 0; way < 2; way++) {
        XH *t = xh_new(NULL);
        X86Cpu *c = t->c;
        static const uint8_t loop[] = {
            0x48, 0xff, 0xc0,                           /* 200ff5: inc rax */
            0x48, 0xff, 0xcb,                           /* 200ff8: dec rbx */
            0x75, 0xf8,                                 /* 200ffb: jnz 200ff5 */
            0x48, 0x83, 0xc1, 0x07,                     /* 200ffd..201000: add rcx, 7 ends */
        };
        /* 0x200ffd + 4 = 0x201001: the ADD reaches one byte into the next page */
        xh_put(t, 0x6ff5, loop, 11);
        xh_put(t, 0x7000, &loop[11], 1);
        static const uint8_t rest[] = { 0xf4 };         /* 201001: hlt */
        xh_put(t, 0x7001, rest, 1);
        xh_put64(t, 0x13000, 0x6000 | 3);
        xh_put64(t, 0x13008, 0x7000 | 3);                  /* accessed flag clear */
        xh_enter_long(t, 0x200ff5);
        c->gpr[X86_RBX] = 50;
        if (way == 0) {
            xh_run(t, 3 * 50 - 1);                         /* the loop, not yet the ADD */
            uint64_t pte;
            memcpy(&pte, t->m->ram + 0x13008, 8);
            cr_assert_eq(pte & 0x20, 0, "the next page not read while no instruction reaches it");
            xh_run(t, 10);
        } else {
            for (unsigned i = 0; i < 3 * 50 + 10 && !c->halted; i++)
                xh_run(t, 1);
        }
        cr_assert(c->halted, "way %d ran to HLT (rip %#llx)", way, (unsigned long long)c->rip);
        uint64_t pte;
        memcpy(&pte, t->m->ram + 0x13008, 8);
        cr_assert_neq(pte & 0x20, 0, "the ADD across the boundary read the next page");
        result[way][0] = c->gpr[X86_RAX];
        result[way][1] = c->gpr[X86_RCX];
        result[way][2] = c->rip;
        xh_free(t);
    }
    cr_assert_eq(result[0][0], 50);
    cr_assert_eq(result[0][1], 7);
    cr_assert_eq(memcmp(result[0], result[1], sizeof result[0]), 0);
}

/* REP MOVS and REP STOS go a page at a time straight into RAM (exec_string.c's bulk) when the
 * data fast path is on; with an EV_MEM subscriber it is off and every iteration goes the
 * general way. Both must leave the same memory and registers: an overlapping forward MOVSB
 * (it replicates its first byte), MOVSQ and STOSD crossing pages, a MOVSW from FS. */
static bool count_mem(void *opaque, const EvInfo *e)
{
    (void)e;
    (*(unsigned *)opaque)++;
    return false;
}

Test(x86dcache, rep_movs_stos_in_bulk_as_one_by_one)
{
    static const uint8_t prog[] = {
        0xbe, 0x00, 0x40, 0x00, 0x00,                   /* mov esi, 0x4000 */
        0xbf, 0x01, 0x40, 0x00, 0x00,                   /* mov edi, 0x4001 */
        0xb9, 0x2c, 0x01, 0x00, 0x00,                   /* mov ecx, 300 */
        0xf3, 0xa4,                                     /* rep movsb */
        0xbe, 0xf0, 0x4f, 0x00, 0x00,                   /* mov esi, 0x4ff0 */
        0xbf, 0xe8, 0x6f, 0x00, 0x00,                   /* mov edi, 0x6fe8 */
        0xb9, 0x09, 0x00, 0x00, 0x00,                   /* mov ecx, 9 */
        0xf3, 0x48, 0xa5,                               /* rep movsq */
        0xbf, 0xf4, 0x7f, 0x00, 0x00,                   /* mov edi, 0x7ff4 */
        0xb9, 0x07, 0x00, 0x00, 0x00,                   /* mov ecx, 7 */
        0xf3, 0xab,                                     /* rep stosd */
        0xbe, 0x10, 0x00, 0x00, 0x00,                   /* mov esi, 0x10 (FS: + 0x5000) */
        0xbf, 0x00, 0x79, 0x00, 0x00,                   /* mov edi, 0x7900 */
        0xb9, 0x40, 0x00, 0x00, 0x00,                   /* mov ecx, 64 */
        0xf3, 0x64, 0x66, 0xa5,                         /* rep movsw fs: */
        0xf4,                                           /* hlt */
    };
    uint8_t ram[2][0x5000];
    uint64_t gpr[2][X86_NGPR];
    for (int way = 0; way < 2; way++) {
        XH *t = xh_new(NULL);
        X86Cpu *c = t->c;
        xh_enter_long(t, 0x1000);
        xh_put(t, 0x1000, prog, sizeof prog);
        for (unsigned i = 0x4000; i < 0x8000; i++)
            t->m->ram[i] = (uint8_t)(i * 7 + (i >> 8));
        c->gpr[X86_RAX] = 0x1122334455667788ull;
        c->seg[X86_FS].base = 0x5000;
        unsigned events = 0;
        if (way == 1)
            cr_assert(ev_subscribe(&t->m->events, 1u << EV_MEM, EV_PRIO_PLUGIN, NULL, count_mem,
                                   &events));
        xh_run(t, 100);
        cr_assert(c->halted, "way %d: the program ran to its HLT", way);
        cr_assert(way == 0 || events > 300, "way %d: the general path (%u events)", way, events);
        memcpy(ram[way], t->m->ram + 0x4000, sizeof ram[way]);
        memcpy(gpr[way], c->gpr, sizeof gpr[way]);
        xh_free(t);
    }
    cr_assert_eq(ram[0][0x12c], ram[0][0], "the overlapping MOVSB replicated its first byte");
    cr_assert_eq(memcmp(ram[0], ram[1], sizeof ram[0]), 0, "memory as one by one");
    cr_assert_eq(memcmp(gpr[0], gpr[1], sizeof gpr[0]), 0, "registers as one by one");
}

/* The chain goes from page to page through x86_dc_switch, which remembers the decoded page of
 * a linear page with the fetch TLB entry that held it (dc_jump). When the guest maps that
 * linear page elsewhere and invalidates the translation (INVLPG, or a CR3 write), a call
 * there runs the code now mapped: the remembered page is not used again. */
static void remap_and_call(bool by_cr3)
{
    XH *t = xh_new(NULL);
    X86Cpu *c = t->c;
    xh_enter_long(t, 0x1000);
    xh_put64(t, 0x13000, 0x4000 | 3);                          /* VA 0x200000 -> 0x4000 */
    static const uint8_t f1[] = { 0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3 };   /* mov eax, 1; ret */
    static const uint8_t f2[] = { 0xb8, 0x02, 0x00, 0x00, 0x00, 0xc3 };   /* mov eax, 2; ret */
    xh_put(t, 0x4000, f1, sizeof f1);
    xh_put(t, 0x5000, f2, sizeof f2);
    uint8_t prog[64];
    unsigned n = 0;
    for (int i = 0; i < 3; i++) {                           /* call 0x200000 three times */
        int32_t rel = (int32_t)(0x200000 - (0x1000 + n + 5));
        prog[n++] = 0xe8;
        memcpy(prog + n, &rel, 4);
        n += 4;
    }
    static const uint8_t remap[] = {
        0x89, 0xc3,                                         /* mov ebx, eax */
        0x48, 0xc7, 0x04, 0x25, 0x00, 0x30, 0x01, 0x00, 0x03, 0x50, 0x00, 0x00,  /* [0x13000] */
    };
    memcpy(prog + n, remap, sizeof remap);
    n += sizeof remap;
    static const uint8_t invlpg[] = { 0x0f, 0x01, 0x3c, 0x25, 0x00, 0x00, 0x20, 0x00 };
    static const uint8_t cr3[] = { 0x0f, 0x20, 0xd8, 0x0f, 0x22, 0xd8 };   /* rax = cr3; back */
    if (by_cr3) {
        memcpy(prog + n, cr3, sizeof cr3);
        n += sizeof cr3;
    } else {
        memcpy(prog + n, invlpg, sizeof invlpg);
        n += sizeof invlpg;
    }
    int32_t rel = (int32_t)(0x200000 - (0x1000 + n + 5));
    prog[n++] = 0xe8;
    memcpy(prog + n, &rel, 4);
    n += 4;
    prog[n++] = 0xf4;                                       /* hlt */
    xh_put(t, 0x1000, prog, n);
    xh_run(t, 1000);
    cr_assert(c->halted, "the program ran to its HLT (rip %#llx)", (unsigned long long)c->rip);
    cr_assert_eq(c->gpr[X86_RBX], 1, "the first mapping's code ran before");
    cr_assert_eq(c->gpr[X86_RAX] & 0xffffffff, 2, "the new mapping's code ran after (%s)",
                 by_cr3 ? "CR3 write" : "INVLPG");
    xh_free(t);
}

Test(x86dcache, page_switch_follows_a_remapping)
{
    remap_and_call(false);
    remap_and_call(true);
}

/* The chain counts the instructions its handlers start without touching the retired count
 * (x86_insns_now adds them): RDTSC, which reads that count, gives the same values chained as
 * one instruction per run, and two of them 12 instructions apart differ by 12. Three passes
 * of a loop: the first decodes, the others run chained. */
Test(x86dcache, rdtsc_counts_chained_instructions)
{
    uint8_t prog[80];
    unsigned n = 0;
    memset(prog, 0x90, 20);                                 /* 20 NOPs */
    n = 20;
    static const uint8_t mid[] = { 0x0f, 0x31, 0x49, 0x89, 0xc0 };   /* rdtsc; mov r8, rax */
    memcpy(prog + n, mid, sizeof mid);
    n += sizeof mid;
    memset(prog + n, 0x90, 10);                             /* 10 NOPs */
    n += 10;
    static const uint8_t end[] = {
        0x0f, 0x31, 0x49, 0x89, 0xc1,                       /* rdtsc; mov r9, rax */
        0x49, 0xff, 0xcf,                                   /* dec r15 */
        0x0f, 0x85,                                         /* jnz start (rel32 below) */
    };
    memcpy(prog + n, end, sizeof end);
    n += sizeof end;
    int32_t back = -(int32_t)(n + 4);
    memcpy(prog + n, &back, 4);
    n += 4;
    prog[n++] = 0xf4;                                       /* hlt */
    uint64_t tsc[2][2];
    for (int way = 0; way < 2; way++) {
        XH *t = xh_new(NULL);
        X86Cpu *c = t->c;
        xh_enter_long(t, 0x1000);
        xh_put(t, 0x1000, prog, n);
        c->gpr[X86_R15] = 3;
        xh_run_chained_or_not(t, 1000, way == 1);
        cr_assert(c->halted, "way %d: the program ran to its HLT", way);
        tsc[way][0] = c->gpr[X86_R8];
        tsc[way][1] = c->gpr[X86_R9];
        xh_free(t);
    }
    cr_assert_eq(tsc[0][1] - tsc[0][0], 12, "chained: %llu instructions apart",
                 (unsigned long long)(tsc[0][1] - tsc[0][0]));
    cr_assert_eq(tsc[0][0], tsc[1][0], "the first RDTSC as one by one");
    cr_assert_eq(tsc[0][1], tsc[1][1], "the second RDTSC as one by one");
}
