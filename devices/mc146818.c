/* Motorola MC146818A RTC as the PC wires it (QEMU hw/rtc/mc146818rtc.c's register view).
 *
 * The time registers read the clock's seconds now: epoch (-rtc base=, a fixed date by
 * default) + whole simulated seconds + an offset the guest sets by writing the registers
 * with register B's SET bit on (while SET is on the registers hold what was written; clearing
 * SET makes that the time). Data mode (BCD or binary) and 12/24 hours follow register B.
 * Register A's update-in-progress bit always reads 0: an update takes no simulated time.
 *
 * Interrupts on IRQ 8, flags in register C (read clears them and lowers the line), as QEMU
 * runs them: the periodic interrupt at register A's rate (RS 1, 2 as 8, 9; 32.768 kHz time
 * base) while PIE is set; the update-ended (UF) and alarm (AF) flags at each second boundary
 * of simulated time while UIE or AIE is set (alarm bytes with bits 7:6 set match any
 * value), none while SET holds the clock. With those enables clear the flags are not kept
 * (a guest polling register C for UF without UIE sees none). */
#include "devices/mc146818.h"
#include <string.h>
#include "devices/pc_clock.h"

static const StateField rtc_fields[] = {
    STATE_ARRAY(Mc146818, cmos, V_ANY),
    STATE_FIELD(Mc146818, index, V_RANGE(0, 127)),
    STATE_FIELD(Mc146818, nmi_masked, V_BOOL),
    STATE_RUNTIME(Mc146818, pad0),
    STATE_FIELD(Mc146818, offset, V_ANY),
    STATE_FIELD(Mc146818, periodic_when, V_RANGE(0, MACHINE_TIME_MAX)),
    STATE_FIELD(Mc146818, second_when, V_RANGE(0, MACHINE_TIME_MAX)),
    STATE_RUNTIME(Mc146818, m),
    STATE_RUNTIME(Mc146818, epoch),
    STATE_RUNTIME(Mc146818, irq),
    STATE_DERIVED(Mc146818, irq_level),
    STATE_RUNTIME(Mc146818, pad_),
    STATE_RUNTIME(Mc146818, periodic_ev),
    STATE_RUNTIME(Mc146818, second_ev),
};
const StateDesc mc146818_state_desc = STATE_DESC("mc146818", Mc146818, rtc_fields);

/* Days since 1970-01-01 of a civil date, and back (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned mon, unsigned d)
{
    y -= mon <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *mon, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *mon = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*mon <= 2);
}

uint64_t mc146818_seconds(const Mc146818 *s)
{
    return (uint64_t)((int64_t)(s->epoch + pc_now(s->m) / PS_PER_S) + s->offset);
}

static uint8_t to_reg(const Mc146818 *s, unsigned v)
{
    if (s->cmos[RTC_REG_B] & RTC_B_DM_BINARY)
        return (uint8_t)v;
    return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static unsigned from_reg(const Mc146818 *s, uint8_t v)
{
    return (s->cmos[RTC_REG_B] & RTC_B_DM_BINARY) ? v : (v >> 4) * 10 + (v & 15);
}

/* The time registers from the clock now. */
static void fill_time(Mc146818 *s)
{
    uint64_t t = mc146818_seconds(s);
    int64_t y;
    unsigned mon, d, hour = (unsigned)(t / 3600 % 24);
    civil_from_days((int64_t)(t / 86400), &y, &mon, &d);
    s->cmos[RTC_SEC] = to_reg(s, (unsigned)(t % 60));
    s->cmos[RTC_MIN] = to_reg(s, (unsigned)(t / 60 % 60));
    if (s->cmos[RTC_REG_B] & RTC_B_24H) {
        s->cmos[RTC_HOUR] = to_reg(s, hour);
    } else {                  /* 12-hour: 12, 1..11, bit 7 = PM */
        unsigned h12 = hour % 12 ? hour % 12 : 12;
        s->cmos[RTC_HOUR] = (uint8_t)(to_reg(s, h12) | (hour >= 12 ? 0x80 : 0));
    }
    s->cmos[RTC_WDAY] = to_reg(s, (unsigned)((t / 86400 + 4) % 7) + 1);   /* 1970-01-01: Thu */
    s->cmos[RTC_MDAY] = to_reg(s, d);
    s->cmos[RTC_MON] = to_reg(s, mon);
    s->cmos[RTC_YEAR] = to_reg(s, (unsigned)(y % 100));
    s->cmos[RTC_CENTURY] = to_reg(s, (unsigned)(y / 100));
}

/* SET cleared: the written registers become the time. */
static void take_time(Mc146818 *s)
{
    unsigned hour = from_reg(s, s->cmos[RTC_HOUR] & 0x7f);
    if (!(s->cmos[RTC_REG_B] & RTC_B_24H))
        hour = hour % 12 + ((s->cmos[RTC_HOUR] & 0x80) ? 12 : 0);
    int64_t y = from_reg(s, s->cmos[RTC_CENTURY]) * 100 + from_reg(s, s->cmos[RTC_YEAR]);
    unsigned mon = from_reg(s, s->cmos[RTC_MON]), d = from_reg(s, s->cmos[RTC_MDAY]);
    if (mon < 1 || mon > 12 || d < 1 || d > 31)
        return;               /* an impossible date: the clock keeps its time */
    int64_t t = days_from_civil(y, mon, d) * 86400 + hour * 3600 +
                from_reg(s, s->cmos[RTC_MIN]) * 60 + from_reg(s, s->cmos[RTC_SEC]);
    s->offset += t - (int64_t)mc146818_seconds(s);
}

/* ---- interrupts ---- */

static void update_irq(Mc146818 *s)
{
    uint8_t c = s->cmos[RTC_REG_C] & 0x70;
    if (c & s->cmos[RTC_REG_B])
        c |= RTC_C_IRQF;
    s->cmos[RTC_REG_C] = c;
    int level = (c & RTC_C_IRQF) != 0;
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set(&s->irq, level);
    }
}

/* The periodic interrupt's period in picoseconds (0: off). */
static uint64_t period_ps(const Mc146818 *s)
{
    unsigned rs = s->cmos[RTC_REG_A] & 0x0f;
    if (!rs)
        return 0;
    if (rs <= 2)
        rs += 7;
    return (PS_PER_S << (rs - 1)) / 32768;
}

static void schedule_periodic(Mc146818 *s, SimTime now)
{
    evq_cancel(&s->m->evq, &s->periodic_ev);
    s->periodic_when = 0;
    uint64_t p = period_ps(s);
    if (!p || !(s->cmos[RTC_REG_B] & RTC_B_PIE))
        return;
    s->periodic_when = (now / p + 1) * p;     /* on the time base's grid */
    if (s->periodic_when < MACHINE_TIME_MAX)
        evq_schedule(&s->m->evq, &s->periodic_ev, s->periodic_when);
    else
        s->periodic_when = 0;
}

static void schedule_second(Mc146818 *s, SimTime now)
{
    evq_cancel(&s->m->evq, &s->second_ev);
    s->second_when = 0;
    if (!(s->cmos[RTC_REG_B] & (RTC_B_UIE | RTC_B_AIE)))
        return;
    s->second_when = (now / PS_PER_S + 1) * PS_PER_S;
    if (s->second_when < MACHINE_TIME_MAX)
        evq_schedule(&s->m->evq, &s->second_ev, s->second_when);
    else
        s->second_when = 0;
}

static void periodic_event(void *opaque, SimTime now)
{
    Mc146818 *s = opaque;
    s->cmos[RTC_REG_C] |= RTC_C_PF;
    update_irq(s);
    schedule_periodic(s, now);
}

static bool alarm_matches(const Mc146818 *s)
{
    static const uint8_t pairs[3][2] = { { RTC_SEC_ALARM, RTC_SEC }, { RTC_MIN_ALARM, RTC_MIN },
                                         { RTC_HOUR_ALARM, RTC_HOUR } };
    for (int i = 0; i < 3; i++) {
        uint8_t a = s->cmos[pairs[i][0]];
        if ((a & 0xc0) != 0xc0 && a != s->cmos[pairs[i][1]])
            return false;
    }
    return true;
}

static void fill_time(Mc146818 *s);

static void second_event(void *opaque, SimTime now)
{
    Mc146818 *s = opaque;
    if (!(s->cmos[RTC_REG_B] & RTC_B_SET)) {
        fill_time(s);
        s->cmos[RTC_REG_C] |= RTC_C_UF;
        if (alarm_matches(s))
            s->cmos[RTC_REG_C] |= RTC_C_AF;
        update_irq(s);
    }
    schedule_second(s, now);
}

static bool is_time_reg(unsigned i)
{
    return i <= RTC_YEAR || i == RTC_CENTURY;
}

uint64_t mc146818_read(void *opaque, uint64_t off, unsigned size)
{
    Mc146818 *s = opaque;
    (void)size;
    if (off == 0)
        return 0xff;          /* the index port is write-only */
    unsigned i = s->index;
    if (is_time_reg(i) && !(s->cmos[RTC_REG_B] & RTC_B_SET))
        fill_time(s);
    switch (i) {
    case RTC_REG_A:
        return s->cmos[i] & 0x7f;            /* UIP never set */
    case RTC_REG_C: {
        uint8_t c = s->cmos[RTC_REG_C];
        s->cmos[RTC_REG_C] = 0;              /* read clears the flags and the line */
        update_irq(s);
        return c;
    }
    case RTC_REG_D:
        return 0x80;                         /* VRT: the battery is good */
    default:
        return s->cmos[i];
    }
}

void mc146818_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    Mc146818 *s = opaque;
    (void)size;
    uint8_t v = (uint8_t)val;
    if (off == 0) {
        s->index = v & 0x7f;
        s->nmi_masked = v >> 7;
        return;
    }
    unsigned i = s->index;
    switch (i) {
    case RTC_REG_A:
        s->cmos[i] = v & 0x7f;
        schedule_periodic(s, pc_now(s->m));
        break;
    case RTC_REG_B:
        if ((v & RTC_B_SET) && !(s->cmos[i] & RTC_B_SET))
            fill_time(s);                    /* SET freezes the registers at the time now */
        if (!(v & RTC_B_SET) && (s->cmos[i] & RTC_B_SET)) {
            s->cmos[i] = v;                  /* the mode bits the values were written in */
            take_time(s);
        }
        s->cmos[i] = v;
        schedule_periodic(s, pc_now(s->m));
        schedule_second(s, pc_now(s->m));
        update_irq(s);
        break;
    case RTC_REG_C:
    case RTC_REG_D:
        break;                               /* read-only */
    default:
        if (is_time_reg(i) && !(s->cmos[RTC_REG_B] & RTC_B_SET))
            fill_time(s);                    /* a lone write: the other fields stay current */
        s->cmos[i] = v;
        if (is_time_reg(i) && !(s->cmos[RTC_REG_B] & RTC_B_SET))
            take_time(s);
        break;
    }
}

static const MmioOps rtc_ops = { mc146818_read, mc146818_write };

void mc146818_set_cmos(Mc146818 *s, unsigned index, uint8_t v)
{
    if (index < sizeof s->cmos)
        s->cmos[index] = v;
}

static void rtc_post_load(void *obj, SimTime now)
{
    Mc146818 *s = obj;
    (void)now;
    uint8_t c = s->cmos[RTC_REG_C];
    s->irq_level = (c & RTC_C_IRQF) != 0;
    evq_cancel(&s->m->evq, &s->periodic_ev);
    evq_cancel(&s->m->evq, &s->second_ev);
    if (s->periodic_when)
        evq_schedule(&s->m->evq, &s->periodic_ev, s->periodic_when);
    if (s->second_when)
        evq_schedule(&s->m->evq, &s->second_ev, s->second_when);
}

void mc146818_connect_irq(Mc146818 *s, IrqLine line)
{
    s->irq = line;
    irq_set(&s->irq, s->irq_level);
}

Mc146818 *mc146818_new(Machine *m, const char *name, uint64_t epoch)
{
    Mc146818 *s = g_new0(Mc146818, 1);
    s->m = m;
    s->epoch = epoch;
    event_init(&s->periodic_ev, "rtc-periodic", EVQ_PRIO_TIMER, periodic_event, s);
    event_init(&s->second_ev, "rtc-update", EVQ_PRIO_TIMER, second_event, s);
    s->cmos[RTC_REG_A] = 0x26;               /* 32.768 kHz time base, 1024 Hz rate */
    s->cmos[RTC_REG_B] = RTC_B_24H;          /* BCD, 24 hours, as the PC BIOS leaves it */
    s->cmos[RTC_REG_D] = 0x80;
    if (bus_add_mmio(&m->io, name, 0x70, 2, &rtc_ops, s) < 0) {
        g_free(s);
        return NULL;
    }
    machine_add_object(m, name, &mc146818_state_desc, s)->post_load = rtc_post_load;
    return s;
}

void mc146818_free(Mc146818 *s)
{
    if (!s)
        return;
    evq_cancel(&s->m->evq, &s->periodic_ev);
    evq_cancel(&s->m->evq, &s->second_ev);
    g_free(s);
}
