/* The PC's real-time clock and CMOS memory: a Motorola MC146818A behind the index port 0x70
 * and the data port 0x71. Time comes from simulated time and the configured epoch. */
#ifndef HVSIM_DEVICES_MC146818_H
#define HVSIM_DEVICES_MC146818_H
#include <stdint.h>
#include "core/irq.h"
#include "core/machine.h"

enum { RTC_SEC = 0x00, RTC_MIN = 0x02, RTC_HOUR = 0x04, RTC_WDAY = 0x06, RTC_MDAY = 0x07,
       RTC_MON = 0x08, RTC_YEAR = 0x09, RTC_REG_A = 0x0a, RTC_REG_B = 0x0b, RTC_REG_C = 0x0c,
       RTC_REG_D = 0x0d, RTC_CENTURY = 0x32 };
enum { RTC_B_SET = 0x80, RTC_B_PIE = 0x40, RTC_B_AIE = 0x20, RTC_B_UIE = 0x10,
       RTC_B_DM_BINARY = 0x04, RTC_B_24H = 0x02 };
enum { RTC_C_IRQF = 0x80, RTC_C_PF = 0x40, RTC_C_AF = 0x20, RTC_C_UF = 0x10 };
enum { RTC_SEC_ALARM = 0x01, RTC_MIN_ALARM = 0x03, RTC_HOUR_ALARM = 0x05 };

typedef struct Mc146818 {
    /* --- state (hashed, saved) --- */
    uint8_t cmos[128];        /* the time registers hold what the guest wrote while SET */
    uint8_t index;            /* the selected register (port 0x70 bits 6:0) */
    uint8_t nmi_masked;       /* port 0x70 bit 7 */
    uint8_t pad0[6];
    int64_t offset;           /* seconds added to epoch + simulated seconds (guest's settings) */
    uint64_t periodic_when;   /* the pending periodic-interrupt event, 0 = none */
    uint64_t second_when;     /* the pending end-of-update event (UF, AF), 0 = none */
    /* --- run time --- */
    Machine *m;
    uint64_t epoch;           /* the clock's reading at simulated time 0 (cfg.rtc_epoch) */
    IrqLine irq;              /* IRQ 8 */
    int irq_level;            /* derived: register C's IRQF */
    int pad_;
    Event periodic_ev, second_ev;
} Mc146818;

/* At ports 0x70..0x71 of m's io bus. NULL if taken. */
Mc146818 *mc146818_new(Machine *m, const char *name, uint64_t epoch);
void mc146818_free(Mc146818 *s);
void mc146818_connect_irq(Mc146818 *s, IrqLine line);
/* Sets a CMOS byte (the board's memory-size and CPU-count bytes, as QEMU's pc stores them). */
void mc146818_set_cmos(Mc146818 *s, unsigned index, uint8_t v);
/* The clock's seconds since 1970 now. */
uint64_t mc146818_seconds(const Mc146818 *s);
uint64_t mc146818_read(void *opaque, uint64_t off, unsigned size);
void mc146818_write(void *opaque, uint64_t off, uint64_t val, unsigned size);
extern const StateDesc mc146818_state_desc;
#endif
