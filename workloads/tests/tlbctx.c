/* TLB maintenance across translation contexts (Arm ARM D8.14): what a TLB may keep when
 * TTBR1_EL1 switches between two table bases and ASIDs, as Linux's KPTI does on every
 * exception from EL0 and return to it, and what it must not keep: a TLBI issued under one
 * TTBR1_EL1 value reaches the other context's translations, and a new TTBR0_EL1 reaches the
 * lower VA range of both. Booted at EL1, stage 1 only, 4K granule, 39-bit VAs. */
#include <stdint.h>
#include "lib.h"

#define RAM 0x40000000ULL
#define UART 0x09000000ULL
#define D_TABLE 3ULL
#define D_BLOCK 1ULL
#define D_PAGE 3ULL
#define AF (1ULL << 10)
#define SH_IS (3ULL << 8)
#define ATTR(i) ((uint64_t)(i) << 2)
#define PXN (1ULL << 53)
#define UXN (1ULL << 54)

/* the upper VA range (TTBR1, T1SZ = 25): VA 0xffffff8000000000 + offset */
#define HI(off) (0xffffff8000000000ULL + (off))
#define LO 0x60000000ULL                   /* a lower-range page, through TTBR0 */

/* TTBR0: RAM identity-mapped by 2 MiB blocks, the UART, and LO through l3 (or l3b) */
static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l1b[512] __attribute__((aligned(4096)));
static uint64_t l2_low[512] __attribute__((aligned(4096)));
static uint64_t l2_ram[512] __attribute__((aligned(4096)));
static uint64_t l2_ramb[512] __attribute__((aligned(4096)));
static uint64_t l3[512] __attribute__((aligned(4096)));
static uint64_t l3b[512] __attribute__((aligned(4096)));
/* TTBR1: two table bases, A and B, each mapping HI(0) through its own level 3 */
static uint64_t a1[512] __attribute__((aligned(4096))), a2[512] __attribute__((aligned(4096))),
    a3[512] __attribute__((aligned(4096)));
static uint64_t b1[512] __attribute__((aligned(4096))), b2[512] __attribute__((aligned(4096))),
    b3[512] __attribute__((aligned(4096)));
static uint8_t frames[6][4096] __attribute__((aligned(4096)));

static void tlbi_all(void)
{
    __asm__ volatile("dsb ishst\n tlbi vmalle1is\n dsb ish\n isb" ::: "memory");
}

static void tlbi_va(uint64_t va)
{
    /* VAAE1IS: this VA for every ASID */
    __asm__ volatile("dsb ishst\n tlbi vaae1is, %0\n dsb ish\n isb" : : "r"((va >> 12) & 0xfffffffffffULL)
                     : "memory");
}

static void set_ttbr1(uint64_t *base, unsigned asid)
{
    WRITE_SYSREG(ttbr1_el1, (uint64_t)base | ((uint64_t)asid << 48));
    __asm__ volatile("isb" ::: "memory");
}

static void set_ttbr0(uint64_t *base)
{
    WRITE_SYSREG(ttbr0_el1, (uint64_t)base);
    __asm__ volatile("isb" ::: "memory");
}

static uint8_t rd(uint64_t va)
{
    return *(volatile uint8_t *)va;
}

static uint64_t page(int f)
{
    return (uint64_t)frames[f] | D_PAGE | AF | SH_IS | PXN | UXN;
}

int main(void)
{
    printf("tlbctx test at EL%u\n", current_el());
    for (int f = 0; f < 6; f++)
        frames[f][0] = (uint8_t)(0xa0 + f);
    WRITE_SYSREG(mair_el1, 0x04ff);
    l1[0] = l1b[0] = (uint64_t)l2_low | D_TABLE;
    l1[1] = (uint64_t)l2_ram | D_TABLE;
    l1b[1] = (uint64_t)l2_ramb | D_TABLE;
    l2_low[UART >> 21] = UART | D_BLOCK | AF | ATTR(1) | PXN | UXN;
    for (uint64_t i = 0; i < 128; i++)
        l2_ram[i] = l2_ramb[i] = (RAM + (i << 21)) | D_BLOCK | AF | SH_IS | ATTR(0);
    l2_ram[(LO - RAM) >> 21] = (uint64_t)l3 | D_TABLE;
    l2_ramb[(LO - RAM) >> 21] = (uint64_t)l3b | D_TABLE;
    l3[0] = page(4);
    l3b[0] = page(5);
    a1[0] = (uint64_t)a2 | D_TABLE;
    a2[0] = (uint64_t)a3 | D_TABLE;
    a3[0] = page(0);
    b1[0] = (uint64_t)b2 | D_TABLE;
    b2[0] = (uint64_t)b3 | D_TABLE;
    b3[0] = page(1);
    set_ttbr0(l1);
    set_ttbr1(a1, 2);
    /* T0SZ = T1SZ = 25, 4K granules (TG1 = 0b10), inner-shareable write-back walks, IPS 40
     * bits, 8-bit ASIDs taken from TTBR1 (A1) */
    WRITE_SYSREG(tcr_el1, 25ULL | (1ULL << 8) | (1ULL << 10) | (3ULL << 12) | (25ULL << 16) |
                              (1ULL << 22) | (1ULL << 24) | (1ULL << 26) | (3ULL << 28) |
                              (2ULL << 30) | (2ULL << 32));
    tlbi_all();
    WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) | 1);
    __asm__ volatile("isb" ::: "memory");

    /* both contexts translate HI(0) and LO, so each has them cached */
    printf("A: hi 0x%02x lo 0x%02x\n", rd(HI(0)), rd(LO));
    set_ttbr1(b1, 3);
    printf("B: hi 0x%02x lo 0x%02x\n", rd(HI(0)), rd(LO));
    set_ttbr1(a1, 2);
    printf("A again: hi 0x%02x\n", rd(HI(0)));

    /* under B, A's mapping of HI(0) moves to frame 2 and a TLBI by VA follows: back under A,
     * the new frame, not a translation kept from before */
    set_ttbr1(b1, 3);
    a3[0] = page(2);
    tlbi_va(HI(0));
    printf("B after A's remap: hi 0x%02x\n", rd(HI(0)));
    set_ttbr1(a1, 2);
    printf("A after TLBI under B: hi 0x%02x\n", rd(HI(0)));

    /* under A, B's mapping moves to frame 3, then a TLBI of all of the EL1&0 regime */
    b3[0] = page(3);
    tlbi_all();
    set_ttbr1(b1, 3);
    printf("B after TLBI VMALLE1IS under A: hi 0x%02x\n", rd(HI(0)));

    /* a new TTBR0_EL1 under B (its LO maps frame 5): under A, which read LO through the
     * first one, LO is the new table's too */
    set_ttbr1(a1, 2);
    printf("A with the first TTBR0: lo 0x%02x\n", rd(LO));
    set_ttbr1(b1, 3);
    set_ttbr0(l1b);
    printf("B with the second TTBR0: lo 0x%02x\n", rd(LO));
    set_ttbr1(a1, 2);
    printf("A with the second TTBR0: lo 0x%02x\n", rd(LO));

    /* a third TTBR1_EL1 value (A's tables, another ASID): what it reads is A's */
    set_ttbr1(a1, 4);
    printf("A, ASID 4: hi 0x%02x lo 0x%02x\n", rd(HI(0)), rd(LO));
    set_ttbr1(b1, 3);
    printf("B: hi 0x%02x\n", rd(HI(0)));

    WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) & ~1ULL);
    __asm__ volatile("isb" ::: "memory");
    printf("done\n");
    return 0;
}
