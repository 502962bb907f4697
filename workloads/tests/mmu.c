/* Translation (Arm ARM D8). Booted at EL1: stage 1 of the EL1&0 regime with 4K pages and
 * 2 MiB blocks, translation / access-flag / permission faults with their syndromes, TLB
 * maintenance after a remap, an execute-never fetch. Booted at EL2: stage 2 under an EL1
 * program, with the data-abort syndrome a hypervisor decodes to emulate MMIO (ISV, SAS, SSE,
 * SRT, SF, WnR), HPFAR_EL2, a stage-2 fault on the guest's stage-1 walk (S1PTW) and an
 * instruction abort. */
#include <stdbool.h>
#include "lib.h"

#define RAM 0x40000000ULL
#define UART 0x09000000ULL

/* descriptors */
#define D_TABLE 3ULL
#define D_BLOCK 1ULL
#define D_PAGE 3ULL
#define AF (1ULL << 10)
#define SH_IS (3ULL << 8)
#define AP_RO (2ULL << 6)
#define ATTR(i) ((uint64_t)(i) << 2)
#define PXN (1ULL << 53)
#define UXN (1ULL << 54)
/* stage 2 */
#define S2AP_RW (3ULL << 6)
#define S2_MEM (0xfULL << 2)      /* MemAttr: Normal, Write-Back */
#define S2_DEV (0x1ULL << 2)      /* MemAttr: Device-nGnRE */

static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l2_low[512] __attribute__((aligned(4096)));   /* VA 0 - 1 GiB */
static uint64_t l2_ram[512] __attribute__((aligned(4096)));   /* VA 1 - 2 GiB */
static uint64_t l3[512] __attribute__((aligned(4096)));       /* VA 0x60000000 - 0x601fffff */
static uint8_t pages[4][4096] __attribute__((aligned(4096)));
static uint64_t guest_stack[1024] __attribute__((aligned(16)));

static volatile unsigned nfaults;
static volatile uint64_t skip_to;

static void show(const char *what, const struct trap_info *t, bool far_hpfar)
{
    unsigned ec = (unsigned)(t->esr >> 26) & 0x3f;
    printf("%-22s EC=0x%02x ISS=0x%07x", what, ec, (unsigned)t->esr & 0x1ffffff);
    if (far_hpfar)
        printf(" FAR=0x%08llx", (unsigned long long)t->far);
    printf("\n");
}

static struct trap_info last;
static void on_trap(struct trap_frame *f, unsigned vec)
{
    (void)f;
    (void)vec;
    trap_info(&last);
    nfaults++;
    uint64_t elr = last.elr + 4;
    if (skip_to) {
        elr = skip_to;
        skip_to = 0;
    }
    trap_set_return(last.spsr, elr);
}

#define at(op, va)                                                                          \
    ({                                                                                      \
        __asm__ volatile("at " op ", %0\n isb" : : "r"((uint64_t)(va)) : "memory");         \
        READ_SYSREG(par_el1);                                                               \
    })

static void tlbi_all(void)
{
    __asm__ volatile("dsb ishst\n tlbi vmalle1is\n dsb ish\n isb" ::: "memory");
}

static void stage1_tests(void)
{
    /* MAIR: index 0 Normal WB, index 1 Device-nGnRE */
    WRITE_SYSREG(mair_el1, 0x04ff);
    l1[0] = (uint64_t)l2_low | D_TABLE;
    l1[1] = (uint64_t)l2_ram | D_TABLE;
    l2_low[UART >> 21] = UART | D_BLOCK | AF | ATTR(1) | PXN | UXN;
    for (uint64_t i = 0; i < 128; i++)                   /* 256 MiB of RAM, 2 MiB blocks */
        l2_ram[i] = (RAM + (i << 21)) | D_BLOCK | AF | SH_IS | ATTR(0);
    l2_ram[(0x60000000 - RAM) >> 21] = (uint64_t)l3 | D_TABLE;
    l3[0] = (uint64_t)pages[0] | D_PAGE | AF | SH_IS;
    l3[1] = (uint64_t)pages[1] | D_PAGE | AF | SH_IS | AP_RO;
    l3[2] = (uint64_t)pages[2] | D_PAGE | SH_IS;          /* AF = 0 */
    l3[3] = (uint64_t)pages[3] | D_PAGE | AF | SH_IS | PXN;
    WRITE_SYSREG(ttbr0_el1, (uint64_t)l1);
    /* T0SZ = 25 (39-bit VA, start at level 1), 4K, inner shareable WB walks, IPS 40 bits,
     * EPD1 (no TTBR1 walks) */
    WRITE_SYSREG(tcr_el1, 25 | (1ULL << 8) | (1ULL << 10) | (3ULL << 12) | (1ULL << 23) | (2ULL << 32));
    tlbi_all();
    WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) | 1);
    printf("stage 1 on: SCTLR_EL1.M=%llu\n", (unsigned long long)(READ_SYSREG(sctlr_el1) & 1));

    volatile uint64_t *va0 = (volatile uint64_t *)0x60000000;
    *va0 = 0x1122334455667788ULL;
    printf("page 0 through VA: %s\n", *(volatile uint64_t *)pages[0] == 0x1122334455667788ULL ? "ok" : "WRONG");

    volatile uint64_t *unmapped = (volatile uint64_t *)0x70000000;
    (void)*unmapped;
    show("translation fault", &last, true);
    volatile uint64_t *ro = (volatile uint64_t *)0x60001000;
    (void)*ro;
    printf("read-only page read: %u faults\n", nfaults - 1);
    *ro = 5;
    show("permission fault", &last, true);
    volatile uint64_t *noaf = (volatile uint64_t *)0x60002000;
    (void)*noaf;
    show("access flag fault", &last, true);
    __asm__ volatile("ldp x0, x1, [%0]" : : "r"(0x70000010ULL) : "x0", "x1", "memory");
    show("ldp translation fault", &last, true);

    /* remap page 0 of the window to page 1's frame, then TLBI */
    pages[1][0] = 0x5a;
    l3[0] = (uint64_t)pages[1] | D_PAGE | AF | SH_IS;
    __asm__ volatile("dsb ishst\n tlbi vae1is, %0\n dsb ish\n isb" : : "r"(0x60000000ULL >> 12) : "memory");
    printf("after remap + TLBI VAE1IS: 0x%02x\n", *(volatile uint8_t *)0x60000000);

    /* a 2 MiB block: read one address of it, point the block at another frame, TLBI another
     * page of the block: the whole block's translation is gone (D8.14, "TLB maintenance") */
    volatile uint64_t *blk_a = (volatile uint64_t *)0x4e000000, *blk_b = (volatile uint64_t *)0x4e200000;
    *blk_a = 0xaaaa;
    *blk_b = 0xbbbb;
    printf("block before remap: 0x%llx\n", (unsigned long long)*blk_a);
    l2_ram[(0x4e000000 - RAM) >> 21] = 0x4e200000 | D_BLOCK | AF | SH_IS | ATTR(0);
    __asm__ volatile("dsb ishst\n tlbi vae1is, %0\n dsb ish\n isb" : : "r"(0x4e1ff000ULL >> 12) : "memory");
    printf("block after remap + TLBI of another page: 0x%llx\n", (unsigned long long)*blk_a);
    l2_ram[(0x4e000000 - RAM) >> 21] = 0x4e000000 | D_BLOCK | AF | SH_IS | ATTR(0);
    tlbi_all();

    /* execute from a PXN page: instruction abort, permission fault, level 3 */
    *(volatile uint32_t *)0x60003000 = 0xd65f03c0;       /* ret */
    __asm__ volatile("dsb ish\n ic iallu\n dsb ish\n isb" ::: "memory");
    uint64_t back;
    __asm__ volatile("adr %0, 1f\n str %0, [%1]\n blr %2\n 1:"
                     : "=&r"(back) : "r"(&skip_to), "r"(0x60003000ULL) : "x30", "memory");
    show("PXN fetch", &last, true);
    printf("faults taken: %u\n", nfaults);

    /* address translation instructions report in PAR_EL1 instead of faulting */
    printf("AT S1E1R  0x60000000: PAR=0x%016llx\n", (unsigned long long)at("s1e1r", 0x60000000));
    printf("AT S1E1W  0x60001000: PAR=0x%016llx\n", (unsigned long long)at("s1e1w", 0x60001000));
    printf("AT S1E0R  0x60000000: PAR=0x%016llx\n", (unsigned long long)at("s1e0r", 0x60000000));
    printf("AT S1E1R  0x70000000: PAR=0x%016llx\n", (unsigned long long)at("s1e1r", 0x70000000));
    printf("AT S1E1R  0x09000000: PAR=0x%016llx\n", (unsigned long long)at("s1e1r", UART));
    printf("faults taken: %u\n", nfaults);
    WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) & ~1ULL);
}

/* ---- stage 2 (booted at EL2) ---- */
static uint64_t s2_l1[512] __attribute__((aligned(4096)));
static uint64_t s2_l2_low[512] __attribute__((aligned(4096)));
static uint64_t s2_l2_ram[512] __attribute__((aligned(4096)));
static volatile unsigned guest_done;
static volatile unsigned uart_out;

static uint64_t guest_l1[512] __attribute__((aligned(4096)));

static void guest(void)
{
    volatile uint32_t *uart = (volatile uint32_t *)UART;
    uart[0] = 'G';                                 /* str w, [x]: emulated by EL2 */
    uint8_t fr = *(volatile uint8_t *)(UART + 0x18);   /* ldrb */
    (void)fr;
    uint64_t d = *(volatile uint64_t *)(UART + 0x40);  /* ldr x */
    (void)d;
    int16_t h = *(volatile int16_t *)(UART + 0x20);    /* ldrsh w */
    (void)h;
    __asm__ volatile("ldp x2, x3, [%0]" : : "r"(UART + 0x30) : "x2", "x3", "memory");
    /* the guest's own stage 1: RAM identity-mapped by a 1 GiB block, VA 0x80000000 through a
     * level-2 table at IPA 0x20000000, which stage 2 does not map: the walk faults at stage 2
     * (S1PTW, HPFAR = that IPA) */
    __asm__ volatile("msr mair_el1, %0\n msr tcr_el1, %1\n msr ttbr0_el1, %2\n isb\n"
                     "mrs x9, sctlr_el1\n orr x9, x9, #1\n msr sctlr_el1, x9\n isb\n"
                     "ldr x10, [%3]\n"
                     "bic x9, x9, #1\n msr sctlr_el1, x9\n isb\n"
                     : : "r"(0xffULL), "r"(25ULL | (1ULL << 23) | (2ULL << 32)), "r"(guest_l1),
                         "r"(0x80000000ULL)
                     : "x9", "x10", "memory");
    /* jump to an IPA with no stage-2 mapping */
    __asm__ volatile("blr %0" : : "r"(0x30000000ULL) : "x30", "memory");
    __asm__ volatile("hvc #0xfe");
}

static void on_exit_to_el2(struct trap_frame *f, unsigned vec)
{
    struct trap_info t;
    trap_info(&t);
    unsigned ec = (unsigned)(t.esr >> 26) & 0x3f;
    uint32_t iss = (uint32_t)t.esr & 0x1ffffff;
    if (vec != 8) {
        printf("unexpected vector %u\n", vec);
        trap_set_return(t.spsr, t.elr + 4);
        return;
    }
    if (ec == 0x16 && iss == 0xfe) {
        trap_back_to_caller();
        return;
    }
    printf("exit EC=0x%02x ISS=0x%07x FAR=0x%08llx HPFAR=0x%llx", ec, iss,
           (unsigned long long)t.far, (unsigned long long)t.hpfar);
    uint64_t next = t.elr + 4;
    if (ec == 0x24 && (iss >> 24) & 1) {
        unsigned srt = (iss >> 16) & 31, wnr = (iss >> 6) & 1;
        if (wnr) {
            printf(" write x%u=0x%llx", srt, (unsigned long long)f->x[srt]);
            uart_out++;
        } else if (srt < 31) {
            f->x[srt] = 0;                          /* emulated read returns 0 */
        }
    } else if (ec == 0x20) {
        next = f->x[30];                            /* instruction abort: return to caller */
    }
    printf("\n");
    trap_set_return(t.spsr, next);
}

static void stage2_tests(void)
{
    trap_install(on_exit_to_el2);
    /* IPA space: 39 bits, start level 1 (VTCR_EL2.SL0 = 1), 4K, PS 40 bits; identity map of
     * the RAM the program uses, nothing at the UART or at 0x20000000 / 0x30000000. */
    s2_l1[1] = (uint64_t)s2_l2_ram | D_TABLE;
    for (uint64_t i = 0; i < 128; i++)
        s2_l2_ram[i] = (RAM + (i << 21)) | D_BLOCK | AF | SH_IS | S2AP_RW | S2_MEM;
    s2_l1[0] = (uint64_t)s2_l2_low | D_TABLE;
    WRITE_SYSREG(vttbr_el2, (uint64_t)s2_l1 | (5ULL << 48));   /* VMID 5 */
    WRITE_SYSREG(vtcr_el2, 25 | (1ULL << 6) | (1ULL << 8) | (1ULL << 10) | (3ULL << 12) | (2ULL << 16) | (1ULL << 31));
    WRITE_SYSREG(hcr_el2, (1ULL << 31) | 1);          /* RW, VM */
    __asm__ volatile("dsb ishst\n tlbi vmalls12e1is\n dsb ish\n isb" ::: "memory");
    printf("AT S12E1R 0x40080000: PAR=0x%016llx\n", (unsigned long long)at("s12e1r", 0x40080000));
    printf("AT S12E1W 0x09000000: PAR=0x%016llx\n", (unsigned long long)at("s12e1w", UART));
    printf("AT S1E1R  0x09000000: PAR=0x%016llx\n", (unsigned long long)at("s1e1r", UART));
    printf("AT S1E2W  0x40080000: PAR=0x%016llx\n", (unsigned long long)at("s1e2w", 0x40080000));
    guest_l1[1] = RAM | D_BLOCK | AF | SH_IS | ATTR(0);
    guest_l1[2] = 0x20000000ULL | D_TABLE;
    run_lower(guest, 0x3c5, (uint64_t)&guest_stack[1024]);
    WRITE_SYSREG(hcr_el2, 1ULL << 31);
    printf("guest done, %u emulated writes\n", uart_out);
}

int main(void)
{
    unsigned el = current_el();
    printf("mmu test at EL%u\n", el);
    if (el == 1) {
        trap_install(on_trap);
        stage1_tests();
    } else {
        stage2_tests();
    }
    (void)guest_done;
    printf("done\n");
    return 0;
}
