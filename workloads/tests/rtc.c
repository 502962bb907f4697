/* PL031 real time clock (ARM DDI 0224) at 0x09010000, SPI 2 (INTID 34) on the virt board.
 * Identification registers, the counter against -rtc base= (run with base=2006-06-17T16:01:21;
 * without it only the relations are printed), RTCLR loading the counter, the match
 * interrupt raised when the counter reaches RTCMR and seen pending at the GIC, RTCICR.
 * The core waits for the match in WFI, so the run takes two seconds of (simulated) time. */
#include "lib.h"

#define RTC 0x09010000ULL
#define GICD 0x08000000ULL
#define GICR 0x080a0000ULL
#define RTC_INTID 34
#define BASE_2006 1150560081u       /* 2006-06-17T16:01:21Z */

static inline void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline void w8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline void w64(uint64_t a, uint64_t v) { *(volatile uint64_t *)a = v; }

static void gic_init(void)
{
    w32(GICD + 0x0, (1u << 4) | (1u << 1));              /* ARE, EnableGrp1 */
    w32(GICR + 0x14, r32(GICR + 0x14) & ~2u);            /* WAKER.ProcessorSleep = 0 */
    while (r32(GICR + 0x14) & 4u)
        ;
    WRITE_SYSREG(S3_0_C12_C12_5, 7);                     /* ICC_SRE_EL1 */
    WRITE_SYSREG(S3_0_C4_C6_0, 0xff);                    /* ICC_PMR_EL1 */
    WRITE_SYSREG(S3_0_C12_C12_7, 1);                     /* ICC_IGRPEN1_EL1 */
    w32(GICD + 0x80 + 4, 1u << (RTC_INTID - 32));        /* IGROUPR1: group 1 */
    w8(GICD + 0x400 + RTC_INTID, 0x80);                  /* priority */
    w64(GICD + 0x6000 + 8 * RTC_INTID, 0);               /* IROUTER: core 0 */
    w32(GICD + 0x100 + 4, 1u << (RTC_INTID - 32));       /* ISENABLER1 */
}

static int gic_pending(void)
{
    return (r32(GICD + 0x200 + 4) >> (RTC_INTID - 32)) & 1;   /* ISPENDR1 */
}

int main(void)
{
    printf("rtc: id");
    for (unsigned i = 0; i < 8; i++)
        printf(" %02x", r32(RTC + 0xfe0 + 4 * i));
    printf("\nrtc: CR=%u IMSC=%u RIS=%u\n", r32(RTC + 0xc), r32(RTC + 0x10), r32(RTC + 0x14));

    uint32_t t0 = r32(RTC);
    unsigned d = t0 - BASE_2006;
    printf("rtc: counter at start %s\n", d <= 1 ? "= -rtc base (2006-06-17T16:01:21)" :
                                         "is not the 2006 base (another -rtc base)");

    w32(RTC + 0x8, 0x10000);                             /* RTCLR */
    uint32_t t1 = r32(RTC);
    printf("rtc: after LR=0x10000: counter-LR %s, LR reads 0x%x\n",
           t1 - 0x10000 <= 1 ? "0..1" : "wrong", r32(RTC + 0x8));

    gic_init();
    uint32_t mr = r32(RTC) + 2;
    w32(RTC + 0x4, mr);                                  /* RTCMR */
    w32(RTC + 0x10, 1);                                  /* RTCIMSC */
    printf("rtc: MR=counter+2, before the match: RIS=%u GIC pending=%d\n", r32(RTC + 0x14),
           gic_pending());
    unsigned waits = 0;
    while (!(r32(RTC + 0x14) & 1) && waits < 1000) {
        __asm__ volatile("wfi");
        waits++;
    }
    printf("rtc: match: RIS=%u MIS=%u counter==MR %s, GIC pending=%d\n", r32(RTC + 0x14),
           r32(RTC + 0x18), r32(RTC) == mr ? "yes" : "no", gic_pending());
    w32(RTC + 0x1c, 1);                                  /* RTCICR */
    printf("rtc: after ICR: RIS=%u MIS=%u GIC pending=%d\n", r32(RTC + 0x14), r32(RTC + 0x18),
           gic_pending());
    w32(RTC + 0x10, 0);
    return 0;
}
