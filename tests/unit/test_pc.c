/* The PC board's devices driven through their registers on a bare machine, with simulated
 * time advanced and the event queue run by hand: the local APIC (timer modes, IPIs, INIT and
 * SIPI, x2APIC MSRs, priorities), the I/O APIC, the 16550, isa-debug-exit, fw_cfg, the RTC,
 * the PIT and the 8259, and every device's state description. */
#include <criterion/criterion.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include "devices/fw_cfg.h"
#include "devices/i8259.h"
#include "devices/ioapic.h"
#include "devices/isa_debug_exit.h"
#include "devices/lapic.h"
#include "devices/mc146818.h"
#include "devices/pit.h"
#include "devices/uart16550.h"

static Machine *bare(int smp)
{
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    cfg.ram_size = 16ULL << 20;
    cfg.smp = smp;
    char *err = NULL;
    Machine *m = machine_new(&cfg, 0, &err);
    cr_assert_not_null(m, "machine_new: %s", err ? err : "?");
    machine_config_free(&cfg);
    return m;
}

static void run_until(Machine *m, SimTime t)
{
    m->now = t;
    evq_run_due(&m->evq, t);
}

#define NS(x) ((SimTime)(x) * PS_PER_NS)

static uint8_t in8(Machine *m, uint16_t port)
{
    uint64_t v = 0;
    cr_assert(bus_read(&m->io, port, 1, &v), "nothing at port %#x", port);
    return (uint8_t)v;
}

static void out8(Machine *m, uint16_t port, uint8_t v)
{
    cr_assert(bus_write(&m->io, port, 1, v), "nothing at port %#x", port);
}

/* ---- local APIC ---- */

static void enable(Lapic *a)
{
    lapic_mmio_write(a, LAPIC_SVR, 0x1ff);
}

Test(x86pc_lapic, reset_values)
{
    Machine *m = bare(2);
    Lapic *a = lapic_new(m, 1);
    cr_assert_eq(lapic_mmio_read(a, LAPIC_ID), 1u << 24);
    cr_assert_eq(lapic_mmio_read(a, LAPIC_VERSION), 0x50014u);
    cr_assert_eq(lapic_mmio_read(a, LAPIC_SVR), 0xffu);
    cr_assert_eq(lapic_mmio_read(a, LAPIC_DFR), 0xffffffffu);
    cr_assert_eq(lapic_mmio_read(a, LAPIC_LVT_TIMER), 0x10000u);
    cr_assert_eq(lapic_pending(a), -1);
    /* software-disabled: LVT masks cannot be cleared */
    lapic_mmio_write(a, LAPIC_LVT_TIMER, 0x40);
    cr_assert_eq(lapic_mmio_read(a, LAPIC_LVT_TIMER), 0x10040u);
    lapic_free(a);
    machine_free(m);
}

Test(x86pc_lapic, oneshot_timer)
{
    Machine *m = bare(1);
    Lapic *a = lapic_new(m, 0);
    enable(a);
    lapic_mmio_write(a, LAPIC_TIMER_DIV, 0x3);        /* divide by 16: 16 ns a count */
    lapic_mmio_write(a, LAPIC_LVT_TIMER, 0x40);       /* one-shot, vector 0x40 */
    lapic_mmio_write(a, LAPIC_TIMER_INIT, 1000);      /* 16 us */
    run_until(m, NS(1600));
    cr_assert_eq(lapic_mmio_read(a, LAPIC_TIMER_CUR), 900u);
    cr_assert_eq(lapic_pending(a), -1);
    run_until(m, NS(15999));
    cr_assert_eq(lapic_pending(a), -1);
    run_until(m, NS(16000));
    cr_assert_eq(lapic_mmio_read(a, LAPIC_TIMER_CUR), 0u);
    cr_assert_eq(lapic_pending(a), 0x40);
    lapic_ack(a, 0x40);
    cr_assert_eq(lapic_mmio_read(a, LAPIC_ISR + 0x20), 1u);   /* vector 0x40: ISR word 2 */
    cr_assert_eq(lapic_pending(a), -1);
    lapic_mmio_write(a, LAPIC_EOI, 0);
    cr_assert_eq(lapic_mmio_read(a, LAPIC_ISR + 0x20), 0u);
    run_until(m, NS(64000));                             /* one-shot: no second expiry */
    cr_assert_eq(lapic_pending(a), -1);
    lapic_free(a);
    machine_free(m);
}

Test(x86pc_lapic, periodic_timer)
{
    Machine *m = bare(1);
    Lapic *a = lapic_new(m, 0);
    enable(a);
    lapic_mmio_write(a, LAPIC_TIMER_DIV, 0xb);        /* divide by 1 */
    lapic_mmio_write(a, LAPIC_LVT_TIMER, 0x20000 | 0x31);
    lapic_mmio_write(a, LAPIC_TIMER_INIT, 500);       /* 500 ns */
    int fired = 0;
    for (int t = 100; t <= 2600; t += 100) {
        run_until(m, NS(t));
        if (lapic_pending(a) == 0x31) {
            fired++;
            lapic_ack(a, 0x31);
            lapic_mmio_write(a, LAPIC_EOI, 0);
        }
    }
    cr_assert_eq(fired, 5, "expiries at 500, 1000, ..., 2500 ns: got %d", fired);
    run_until(m, NS(2750));
    cr_assert_eq(lapic_mmio_read(a, LAPIC_TIMER_CUR), 250u);
    /* masking stops the interrupts, not the count */
    lapic_mmio_write(a, LAPIC_LVT_TIMER, 0x30000 | 0x31);
    run_until(m, NS(4000));
    cr_assert_eq(lapic_pending(a), -1);
    lapic_free(a);
    machine_free(m);
}

Test(x86pc_lapic, tsc_deadline)
{
    Machine *m = bare(1);
    Lapic *a = lapic_new(m, 0);
    enable(a);
    lapic_set_tsc_deadline(a, 5000);                  /* ignored outside deadline mode */
    cr_assert_eq(lapic_get_tsc_deadline(a), 0u);
    lapic_mmio_write(a, LAPIC_LVT_TIMER, 0x40000 | 0x50);
    lapic_set_tsc_deadline(a, 5000);                  /* 1 GHz core: 5 us */
    cr_assert_eq(lapic_get_tsc_deadline(a), 5000u);
    lapic_mmio_write(a, LAPIC_TIMER_INIT, 10);        /* ignored in deadline mode */
    run_until(m, NS(4999));
    cr_assert_eq(lapic_pending(a), -1);
    run_until(m, NS(5000));
    cr_assert_eq(lapic_pending(a), 0x50);
    cr_assert_eq(lapic_get_tsc_deadline(a), 0u);      /* disarmed by the expiry */
    lapic_free(a);
    machine_free(m);
}

Test(x86pc_lapic, priorities)
{
    Machine *m = bare(1);
    Lapic *a = lapic_new(m, 0);
    enable(a);
    lapic_deliver(a, 0x45, false);
    lapic_deliver(a, 0x81, false);
    cr_assert_eq(lapic_pending(a), 0x81);
    lapic_ack(a, 0x81);
    cr_assert_eq(lapic_mmio_read(a, LAPIC_PPR), 0x80u);
    cr_assert_eq(lapic_pending(a), -1);               /* 0x45's class is below the ISR's */
    lapic_mmio_write(a, LAPIC_EOI, 0);
    cr_assert_eq(lapic_pending(a), 0x45);
    lapic_mmio_write(a, LAPIC_TPR, 0x40);             /* class 4 blocks 0x45 */
    cr_assert_eq(lapic_pending(a), -1);
    lapic_mmio_write(a, LAPIC_TPR, 0x3f);
    cr_assert_eq(lapic_pending(a), 0x45);
    /* an illegal vector is refused and noted in ESR after a write to it */
    lapic_deliver(a, 7, false);
    lapic_mmio_write(a, LAPIC_ESR, 0);
    cr_assert_eq(lapic_mmio_read(a, LAPIC_ESR), 0x40u);
    lapic_free(a);
    machine_free(m);
}

Test(x86pc_lapic, ipis)
{
    Machine *m = bare(3);
    Lapic *all[3];
    for (int i = 0; i < 3; i++) {
        all[i] = lapic_new(m, i);
        enable(all[i]);
    }
    lapic_connect(all, 3);
    /* fixed, physical destination 2 */
    lapic_mmio_write(all[0], LAPIC_ICR_HI, 2u << 24);
    lapic_mmio_write(all[0], LAPIC_ICR_LO, 0x4000 | 0x61);
    cr_assert_eq(lapic_pending(all[2]), 0x61);
    cr_assert_eq(lapic_pending(all[1]), -1);
    cr_assert_eq(lapic_pending(all[0]), -1);
    cr_assert_eq(lapic_mmio_read(all[0], LAPIC_ICR_LO) & 0x1000, 0u);   /* delivered */
    /* all excluding self */
    lapic_mmio_write(all[1], LAPIC_ICR_LO, (3u << 18) | 0x62);
    cr_assert_eq(lapic_pending(all[0]), 0x62);
    cr_assert_eq(lapic_pending(all[1]), -1);
    /* flat logical: LDR bits */
    lapic_mmio_write(all[1], LAPIC_LDR, 0x02000000);
    lapic_mmio_write(all[0], LAPIC_ICR_HI, 0x02000000);
    lapic_mmio_write(all[0], LAPIC_ICR_LO, 0x800 | 0x70);
    cr_assert_eq(lapic_pending(all[1]), 0x70);
    /* INIT then SIPI to core 2 */
    int vec = -1;
    lapic_mmio_write(all[0], LAPIC_ICR_HI, 2u << 24);
    lapic_mmio_write(all[0], LAPIC_ICR_LO, 0x4500);
    cr_assert_eq(lapic_pending(all[2]), -1, "INIT clears the APIC's IRR");
    lapic_mmio_write(all[0], LAPIC_ICR_LO, 0x8500);       /* INIT level de-assert: nothing */
    lapic_mmio_write(all[0], LAPIC_ICR_LO, 0x4600 | 0x9a);
    cr_assert_eq(lapic_take_event(all[2], &vec), LAPIC_EV_INIT);
    cr_assert_eq(lapic_take_event(all[2], &vec), LAPIC_EV_SIPI);
    cr_assert_eq(vec, 0x9a);
    cr_assert_eq(lapic_take_event(all[2], &vec), LAPIC_EV_NONE);
    /* NMI to self */
    lapic_mmio_write(all[1], LAPIC_ICR_LO, (1u << 18) | 0x400);
    cr_assert_eq(lapic_take_event(all[1], &vec), LAPIC_EV_NMI);
    for (int i = 0; i < 3; i++)
        lapic_free(all[i]);
    machine_free(m);
}

Test(x86pc_lapic, x2apic_msrs)
{
    Machine *m = bare(2);
    Lapic *all[2] = { lapic_new(m, 0), lapic_new(m, 1) };
    lapic_connect(all, 2);
    uint64_t v;
    cr_assert_not(lapic_msr_read(all[1], 0x802, &v), "x2APIC MSRs #GP in xAPIC mode");
    for (int i = 0; i < 2; i++)
        lapic_set_base(all[i], LAPIC_BASE_DEFAULT | LAPIC_BASE_EN | LAPIC_BASE_EXTD);
    cr_assert(lapic_msr_read(all[1], 0x802, &v));
    cr_assert_eq(v, 1u);                              /* the whole 32-bit ID */
    cr_assert(lapic_msr_read(all[1], 0x80d, &v));
    cr_assert_eq(v, 0x2u);                            /* cluster 0, bit 1 */
    cr_assert_not(lapic_msr_read(all[1], 0x80e, &v), "no DFR in x2APIC mode");
    cr_assert_not(lapic_msr_write(all[1], 0x80b, 1), "a non-zero EOI is #GP");
    cr_assert(lapic_msr_write(all[1], 0x80f, 0x1ff));
    cr_assert(lapic_msr_write(all[0], 0x80f, 0x1ff));
    /* one 64-bit ICR write: destination 1 in the high half */
    cr_assert(lapic_msr_write(all[0], 0x830, (1ULL << 32) | 0x4000 | 0x55));
    cr_assert_eq(lapic_pending(all[1]), 0x55);
    cr_assert(lapic_msr_write(all[1], 0x83f, 0x66));  /* SELF IPI */
    cr_assert_eq(lapic_pending(all[1]), 0x66);
    cr_assert_not(lapic_msr_read(all[1], 0x83f, &v), "SELF IPI is write-only");
    lapic_free(all[0]);
    lapic_free(all[1]);
    machine_free(m);
}

/* ---- I/O APIC ---- */

static void ioapic_reg(Machine *m, uint32_t reg, uint32_t v)
{
    cr_assert(bus_write(&m->bus, IOAPIC_BASE, 4, reg));
    cr_assert(bus_write(&m->bus, IOAPIC_BASE + 0x10, 4, v));
}

Test(x86pc_ioapic, edge_and_level)
{
    Machine *m = bare(2);
    Lapic *all[2] = { lapic_new(m, 0), lapic_new(m, 1) };
    lapic_connect(all, 2);
    enable(all[0]);
    enable(all[1]);
    Ioapic *io = ioapic_new(m, "ioapic", IOAPIC_BASE, all, 2);
    for (int i = 0; i < 2; i++)
        lapic_set_eoi_hook(all[i], ioapic_eoi, io);
    uint64_t v;
    cr_assert(bus_write(&m->bus, IOAPIC_BASE, 4, 1));
    cr_assert(bus_read(&m->bus, IOAPIC_BASE + 0x10, 4, &v));
    cr_assert_eq(v, 0x170020u);
    /* pin 4, edge, vector 0x34, to APIC 1 */
    ioapic_reg(m, 0x10 + 2 * 4 + 1, 1u << 24);
    ioapic_reg(m, 0x10 + 2 * 4, 0x34);
    ioapic_set_irq(io, 4, 1);
    cr_assert_eq(lapic_pending(all[1]), 0x34);
    cr_assert_eq(lapic_pending(all[0]), -1);
    lapic_ack(all[1], 0x34);
    lapic_mmio_write(all[1], LAPIC_EOI, 0);
    ioapic_set_irq(io, 4, 1);                         /* no new edge */
    cr_assert_eq(lapic_pending(all[1]), -1);
    /* pin 9, level, vector 0x39, to APIC 0: remote IRR until the EOI, then again */
    ioapic_reg(m, 0x10 + 2 * 9, 0x8000 | 0x39);
    ioapic_set_irq(io, 9, 1);
    cr_assert_eq(lapic_pending(all[0]), 0x39);
    lapic_ack(all[0], 0x39);
    cr_assert(bus_write(&m->bus, IOAPIC_BASE, 4, 0x10 + 2 * 9));
    cr_assert(bus_read(&m->bus, IOAPIC_BASE + 0x10, 4, &v));
    cr_assert(v & 0x4000, "remote IRR set while the vector is in service");
    lapic_mmio_write(all[0], LAPIC_EOI, 0);         /* level: the EOI reaches the I/O APIC */
    cr_assert_eq(lapic_pending(all[0]), 0x39, "the line is still high: sent again");
    lapic_ack(all[0], 0x39);
    ioapic_set_irq(io, 9, 0);
    lapic_mmio_write(all[0], LAPIC_EOI, 0);
    cr_assert_eq(lapic_pending(all[0]), -1);
    /* masked edge: lost */
    ioapic_reg(m, 0x10 + 2 * 5, 0x10000 | 0x35);
    ioapic_set_irq(io, 5, 1);
    cr_assert_eq(lapic_pending(all[0]), -1);
    ioapic_free(io);
    lapic_free(all[0]);
    lapic_free(all[1]);
    machine_free(m);
}

/* ---- 16550 ---- */

static int irq_seen;
static void note_irq(void *opaque, int n, int level)
{
    (void)opaque, (void)n;
    irq_seen = level;
}

Test(x86pc_uart, transmit_and_interrupts)
{
    Machine *m = bare(1);
    char *buf = NULL;
    size_t len = 0;
    m->out = open_memstream(&buf, &len);
    Uart16550 *u = uart16550_new(m, "uart", 0x3f8, -1);
    cr_assert_not_null(u);
    uart16550_connect_irq(u, (IrqLine){ note_irq, NULL, 4 });
    for (const char *p = "hi\n"; *p; p++)
        out8(m, 0x3f8, (uint8_t)*p);
    fflush(m->out);
    cr_assert_eq(len, 3u);
    cr_assert_eq(memcmp(buf, "hi\n", 3), 0);
    cr_assert_eq(in8(m, 0x3fd) & 0x60, 0x60);        /* THRE and TEMT */
    cr_assert_eq(in8(m, 0x3fa), 0x01);                /* no interrupt */
    out8(m, 0x3f9, UART_IER_THRI);                    /* enabling ETBEI with THR empty */
    cr_assert_eq(irq_seen, 1);
    cr_assert_eq(in8(m, 0x3fa), UART_IIR_THRI);
    cr_assert_eq(irq_seen, 0, "reading IIR clears the THRE interrupt");
    /* received data in loopback, FIFO on with trigger 1 */
    out8(m, 0x3fa, 0x07);
    out8(m, 0x3fc, UART_MCR_LOOP);
    out8(m, 0x3f9, UART_IER_RDI);
    out8(m, 0x3f8, 'x');
    cr_assert_eq(irq_seen, 1);
    cr_assert_eq(in8(m, 0x3fa), UART_IIR_RDI | UART_IIR_FIFO);
    cr_assert_eq(in8(m, 0x3fd) & 1, 1);
    cr_assert_eq(in8(m, 0x3f8), 'x');
    cr_assert_eq(irq_seen, 0);
    /* divisor latch */
    out8(m, 0x3fb, 0x83);
    out8(m, 0x3f8, 0x01);
    out8(m, 0x3f9, 0x00);
    cr_assert_eq(in8(m, 0x3f8), 0x01);
    out8(m, 0x3fb, 0x03);
    cr_assert_eq(in8(m, 0x3f9), UART_IER_RDI);
    fclose(m->out);
    m->out = stdout;
    free(buf);
    uart16550_free(u);
    machine_free(m);
}

/* ---- isa-debug-exit, fw_cfg, RTC ---- */

Test(x86pc_misc, debug_exit_status)
{
    Machine *m = bare(1);
    IsaDebugExit *d = isa_debug_exit_new(m, 0xf4, 4);
    cr_assert(bus_write(&m->io, 0xf4, 4, 0x10));
    cr_assert(m->stop);
    cr_assert_eq(m->exit_code, 0x21);
    isa_debug_exit_free(d);
    machine_free(m);
}

static void fw_select(Machine *m, uint16_t key)
{
    cr_assert(bus_write(&m->io, 0x510, 2, key));
}

static uint64_t fw_read(Machine *m, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)in8(m, 0x511) << (8 * i);
    return v;
}

Test(x86pc_misc, fw_cfg_items)
{
    Machine *m = bare(3);
    FwCfg *f = fw_cfg_new(m, "fw_cfg");
    fw_select(m, FW_CFG_SIGNATURE);
    cr_assert_eq(fw_read(m, 4), 0x554d4551u);         /* "QEMU" */
    cr_assert_eq(fw_read(m, 1), 0u, "past the end: 0");
    fw_select(m, FW_CFG_NB_CPUS);
    cr_assert_eq(fw_read(m, 2), 3u);
    fw_select(m, FW_CFG_RAM_SIZE);
    cr_assert_eq(fw_read(m, 8), 16ULL << 20);
    static const uint8_t e820[20] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0 };
    cr_assert_eq(fw_cfg_add_file(f, "etc/e820", e820, sizeof e820), FW_CFG_FILE_FIRST);
    fw_select(m, FW_CFG_FILE_DIR);
    uint8_t dir[4 + 64];
    for (size_t i = 0; i < sizeof dir; i++)
        dir[i] = (uint8_t)fw_read(m, 1);
    cr_assert_eq(dir[3], 1);                          /* one file, big-endian */
    cr_assert_eq(dir[7], 20);                         /* its size */
    cr_assert_eq(dir[9], FW_CFG_FILE_FIRST);          /* its key */
    cr_assert_str_eq((char *)dir + 12, "etc/e820");
    fw_select(m, FW_CFG_FILE_FIRST);
    cr_assert_eq(fw_read(m, 8), 0u);
    cr_assert_eq(fw_read(m, 8), 0x1000000u);
    fw_cfg_free(f);
    machine_free(m);
}

static unsigned bcd(uint8_t v) { return (v >> 4) * 10 + (v & 15); }

static uint8_t cmos(Machine *m, uint8_t idx)
{
    out8(m, 0x70, idx);
    return in8(m, 0x71);
}

Test(x86pc_misc, rtc_time)
{
    Machine *m = bare(1);
    /* 2025-01-01T00:00:00Z + 1 h 2 min 3 s of simulated time */
    Mc146818 *r = mc146818_new(m, "rtc", MACHINE_DEFAULT_RTC_EPOCH);
    m->now = 3723 * PS_PER_S;
    cr_assert_eq(bcd(cmos(m, RTC_SEC)), 3u);
    cr_assert_eq(bcd(cmos(m, RTC_MIN)), 2u);
    cr_assert_eq(bcd(cmos(m, RTC_HOUR)), 1u);
    cr_assert_eq(bcd(cmos(m, RTC_MDAY)), 1u);
    cr_assert_eq(bcd(cmos(m, RTC_MON)), 1u);
    cr_assert_eq(bcd(cmos(m, RTC_YEAR)), 25u);
    cr_assert_eq(bcd(cmos(m, RTC_CENTURY)), 20u);
    cr_assert_eq(cmos(m, RTC_WDAY), 4);               /* a Wednesday: day 4 counting Sunday 1 */
    /* binary mode, then set the clock to 2030-06-15 12:00:00 */
    out8(m, 0x70, RTC_REG_B);
    out8(m, 0x71, RTC_B_24H | RTC_B_DM_BINARY | RTC_B_SET);
    static const uint8_t set[][2] = { { RTC_SEC, 0 }, { RTC_MIN, 0 }, { RTC_HOUR, 12 },
                                      { RTC_MDAY, 15 }, { RTC_MON, 6 }, { RTC_YEAR, 30 },
                                      { RTC_CENTURY, 20 } };
    for (size_t i = 0; i < G_N_ELEMENTS(set); i++) {
        out8(m, 0x70, set[i][0]);
        out8(m, 0x71, set[i][1]);
    }
    out8(m, 0x70, RTC_REG_B);
    out8(m, 0x71, RTC_B_24H | RTC_B_DM_BINARY);
    m->now += 61 * PS_PER_S;
    cr_assert_eq(mc146818_seconds(r), 1907755261ULL);
    cr_assert_eq(cmos(m, RTC_MIN), 1);
    cr_assert_eq(cmos(m, RTC_SEC), 1);
    mc146818_free(r);
    machine_free(m);
}

Test(x86pc_misc, pit_counts_and_irq0)
{
    Machine *m = bare(1);
    Pit *p = pit_new(m, "pit");
    pit_connect_irq(p, (IrqLine){ note_irq, NULL, 0 });
    irq_seen = 0;
    /* channel 2, mode 0, 1193 counts (~1 ms), gated by port 0x61 */
    out8(m, 0x61, 0x00);
    out8(m, 0x43, 0xb0);
    out8(m, 0x42, 1193 & 0xff);
    out8(m, 0x42, 1193 >> 8);
    m->now = NS(500000);
    cr_assert_eq(in8(m, 0x61) & 0x20, 0, "gate low: not counting");
    out8(m, 0x61, 0x01);
    m->now = NS(1000000);
    cr_assert_eq(in8(m, 0x61) & 0x20, 0, "0.5 ms after the gate: not yet");
    m->now = NS(1500000);
    cr_assert_eq(in8(m, 0x61) & 0x20, 0x20, "1 ms after the gate: OUT2 high");
    /* channel 0, rate generator, period 1000 counts: IRQ 0 edges */
    m->now = 0;
    out8(m, 0x43, 0x34);
    out8(m, 0x40, 1000 & 0xff);
    out8(m, 0x40, 1000 >> 8);
    out8(m, 0x43, 0x00);                              /* latch channel 0 */
    m->now = NS(420000);                              /* 501 counts later */
    uint16_t lsb = in8(m, 0x40);                     /* LSB first, then MSB */
    uint16_t c = (uint16_t)(lsb | in8(m, 0x40) << 8);
    cr_assert_eq(c, 1000, "the latched count is the one at the latch command");
    uint16_t now_count = pit_get_count(p, 0);
    cr_assert_eq(now_count, 1000 - 501);
    cr_assert(p->irq_when > 0);
    SimTime first = p->irq_when;
    run_until(m, first);
    cr_assert_eq(p->irq_when - first, (SimTime)((1000 * PS_PER_S + PIT_HZ - 1) / PIT_HZ) - 1,
                 "the next edge a period later");
    pit_free(p);
    machine_free(m);
}

static int intr_level;
static void note_intr(void *opaque, int n, int level)
{
    (void)opaque, (void)n;
    intr_level = level;
}

Test(x86pc_misc, i8259_cascade)
{
    Machine *m = bare(1);
    I8259 *s = i8259_new(m, "pic");
    i8259_connect_intr(s, (IrqLine){ note_intr, NULL, 0 });
    cr_assert_eq(in8(m, 0x21), 0xff);
    /* Linux's initialisation: ICW1..4, vectors 0x30 / 0x38 */
    out8(m, 0x20, 0x11); out8(m, 0x21, 0x30); out8(m, 0x21, 0x04); out8(m, 0x21, 0x01);
    out8(m, 0xa0, 0x11); out8(m, 0xa1, 0x38); out8(m, 0xa1, 0x02); out8(m, 0xa1, 0x01);
    out8(m, 0x21, 0xfb);                              /* only the cascade */
    out8(m, 0xa1, 0xfe);                              /* IRQ 8 */
    i8259_set_irq(s, 8, 1);
    cr_assert_eq(intr_level, 1);
    cr_assert_eq(i8259_peek(s), 0x38);
    cr_assert_eq(i8259_ack(s), 0x38);
    cr_assert_eq(intr_level, 0);
    out8(m, 0xa0, 0x0b);                              /* read ISR */
    cr_assert_eq(in8(m, 0xa0), 0x01);
    out8(m, 0xa0, 0x20);
    out8(m, 0x20, 0x20);
    cr_assert_eq(in8(m, 0xa0), 0x00);
    i8259_free(s);
    machine_free(m);
}

/* Every device's description declares every byte and the values it may hold. */
Test(x86pc_misc, state_descriptions)
{
    extern const StateDesc pit_channel_state_desc;
    const StateDesc *d[] = { &lapic_state_desc, &ioapic_state_desc, &uart16550_state_desc,
                             &fw_cfg_state_desc, &mc146818_state_desc, &pit_state_desc,
                             &pit_channel_state_desc, &i8259_state_desc };
    for (size_t i = 0; i < G_N_ELEMENTS(d); i++) {
        char *err = NULL;
        cr_assert(state_check_coverage(d[i], &err), "%s: %s", d[i]->name, err);
        cr_assert(state_check_validity_declared(d[i], &err), "%s: %s", d[i]->name, err);
    }
}

/* ---- the loaders and the ACPI tables (boards/multiboot.c, boards/acpi.c) ---- */
#include <elf.h>
#include <unistd.h>
#include "boards/acpi.h"
#include "boards/multiboot.h"
#include "boards/pc.h"
#include "devices/virtio_console.h"
#include "devices/virtio_rng.h"
#include "cpu/x86_64/cpu.h"

static char *tmpfile_with(const char *what, const void *data, size_t len)
{
    char *path = g_strdup_printf("/tmp/hvsim-pctest-%d-%s", (int)getpid(), what);
    cr_assert(g_file_set_contents(path, data, (gssize)len, NULL));
    return path;
}

/* An ELF (32- or 64-bit x86) with one PT_LOAD of `code` at paddr (linked at vaddr), the
 * Multiboot header at its start when mb is set. */
static char *make_elf(bool is64, bool mb, uint64_t paddr, uint64_t vaddr, uint64_t entry,
                      uint64_t memsz, const char *what)
{
    uint8_t f[0x2000] = { 0 };
    uint32_t payload = 0x1000, filesz = 64;
    if (mb) {
        uint32_t h[3] = { MULTIBOOT_MAGIC, 3, (uint32_t)-(MULTIBOOT_MAGIC + 3) };
        memcpy(f + payload, h, sizeof h);
    }
    memset(f + payload + 12, 0x90, filesz - 12);
    if (is64) {
        Elf64_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = 1,
                          .e_entry = entry, .e_phoff = sizeof eh, .e_ehsize = sizeof eh,
                          .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 1 };
        memcpy(eh.e_ident, ELFMAG, SELFMAG);
        eh.e_ident[EI_CLASS] = ELFCLASS64;
        eh.e_ident[EI_DATA] = ELFDATA2LSB;
        Elf64_Phdr ph = { .p_type = PT_LOAD, .p_offset = payload, .p_vaddr = vaddr,
                          .p_paddr = paddr, .p_filesz = filesz, .p_memsz = memsz };
        memcpy(f, &eh, sizeof eh);
        memcpy(f + sizeof eh, &ph, sizeof ph);
    } else {
        Elf32_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_386, .e_version = 1,
                          .e_entry = (uint32_t)entry, .e_phoff = sizeof eh,
                          .e_ehsize = sizeof eh, .e_phentsize = sizeof(Elf32_Phdr),
                          .e_phnum = 1 };
        memcpy(eh.e_ident, ELFMAG, SELFMAG);
        eh.e_ident[EI_CLASS] = ELFCLASS32;
        eh.e_ident[EI_DATA] = ELFDATA2LSB;
        Elf32_Phdr ph = { .p_type = PT_LOAD, .p_offset = payload, .p_vaddr = (uint32_t)vaddr,
                          .p_paddr = (uint32_t)paddr, .p_filesz = filesz,
                          .p_memsz = (uint32_t)memsz };
        memcpy(f, &eh, sizeof eh);
        memcpy(f + sizeof eh, &ph, sizeof ph);
    }
    return tmpfile_with(what, f, sizeof f);
}

static uint32_t ram32(Machine *m, uint64_t pa)
{
    uint64_t v = 0;
    cr_assert(bus_read(&m->bus, pa, 4, &v));
    return (uint32_t)v;
}

static uint64_t ram64(Machine *m, uint64_t pa)
{
    uint64_t v = 0;
    cr_assert(bus_read(&m->bus, pa, 8, &v));
    return v;
}

static const E820Entry test_map[] = {
    { 0, 0x9fc00, E820_RAM, 0 }, { 0x9fc00, 0x400, E820_RESERVED, 0 },
    { 0x100000, (16ULL << 20) - 0x100000, E820_RAM, 0 },
};

Test(x86pc_load, multiboot_elf32_info_and_modules)
{
    Machine *m = bare(1);
    char *k = make_elf(false, true, 0x200000, 0xc0200000, 0xc020000c, 0x3000, "mb32");
    char *m1 = tmpfile_with("mod1", "first module", 12);
    char *m2 = tmpfile_with("mod2", "second", 6);
    m->cfg.kernel = g_strdup(k);
    m->cfg.append = g_strdup("console=ttyS0");
    m->cfg.initrd = g_strdup_printf("%s arg1 arg2,%s", m1, m2);
    PcLoad ld;
    char *err = NULL;
    cr_assert_eq(pc_load_kernel(m, test_map, 3, 0x9fc00, 0x100000, &ld, &err), 0, "%s", err);
    cr_assert(ld.multiboot);
    cr_assert_eq(ld.entry, 0x20000cu, "the entry translated to its physical address");
    cr_assert_eq(ram32(m, 0x200000), MULTIBOOT_MAGIC);
    cr_assert_eq(ram32(m, 0x202000), 0u, "bss zeroed");
    uint32_t info = ld.info;
    cr_assert_eq(ram32(m, info), 0x24fu);   /* mem, boot device, cmdline, mods, mmap, name */
    cr_assert_eq(ram32(m, info + 4), 639u);
    cr_assert_eq(ram32(m, info + 8), 15u * 1024);
    char buf[256];
    uint8_t *host = bus_ram_ptr(&m->bus, ram32(m, info + 16), 1);
    g_strlcpy(buf, (const char *)host, sizeof buf);
    char *want = g_strdup_printf("%s console=ttyS0", k);
    cr_assert_str_eq(buf, want);
    cr_assert_eq(ram32(m, info + 20), 2u);
    uint32_t mods = ram32(m, info + 24);
    uint32_t s1 = ram32(m, mods), e1 = ram32(m, mods + 4);
    cr_assert_eq(s1 & 0xfff, 0u, "modules page-aligned");
    cr_assert_geq(s1, 0x203000u, "after the kernel");
    cr_assert_eq(e1 - s1, 12u);
    cr_assert_eq(memcmp(bus_ram_ptr(&m->bus, s1, 12), "first module", 12), 0);
    g_strlcpy(buf, (const char *)bus_ram_ptr(&m->bus, ram32(m, mods + 8), 1), sizeof buf);
    char *want1 = g_strdup_printf("%s arg1 arg2", m1);
    cr_assert_str_eq(buf, want1);
    cr_assert_eq(ram32(m, mods + 20) - ram32(m, mods + 16), 6u);
    cr_assert_eq(ram32(m, info + 44), 3u * 24);            /* mmap: three entries */
    uint32_t mm = ram32(m, info + 48);
    cr_assert_eq(ram32(m, mm), 20u);
    cr_assert_eq(ram64(m, mm + 24 + 4), 0x9fc00u);
    cr_assert_eq(ram32(m, mm + 24 + 20), (uint32_t)E820_RESERVED);
    g_strlcpy(buf, (const char *)bus_ram_ptr(&m->bus, ram32(m, info + 64), 1), sizeof buf);
    cr_assert_str_eq(buf, "hvsim");
    unlink(k), unlink(m1), unlink(m2);
    g_free(k), g_free(m1), g_free(m2), g_free(want), g_free(want1);
    machine_free(m);
}

Test(x86pc_load, elf64_long_mode_tables)
{
    Machine *m = bare(1);
    char *k = make_elf(true, false, 0x400000, 0x400000, 0x400010, 0x1000, "plain64");
    m->cfg.kernel = g_strdup(k);
    PcLoad ld;
    char *err = NULL;
    cr_assert_eq(pc_load_kernel(m, test_map, 3, 0x9fc00, 0x100000, &ld, &err), 0, "%s", err);
    cr_assert_not(ld.multiboot);
    cr_assert_eq(ld.entry, 0x400010u);
    cr_assert_geq(ld.cr3, 0x401000u);
    uint64_t pdpt = ram64(m, ld.cr3) & ~0xfffULL;
    cr_assert_eq(ram64(m, ld.cr3) & 3, 3u);
    uint64_t pd3 = ram64(m, pdpt + 3 * 8) & ~0xfffULL;
    cr_assert_eq(ram64(m, pd3 + 511 * 8), 0xffe00000ULL | 0x83, "the last 2 MiB below 4 GiB");
    unlink(k);
    g_free(k);
    machine_free(m);
}

Test(x86pc_load, bad_kernels)
{
    Machine *m = bare(1);
    PcLoad ld;
    char *err = NULL;
    char *junk = tmpfile_with("junk", "MZ not an elf at all", 20);
    m->cfg.kernel = g_strdup(junk);
    cr_assert_eq(pc_load_kernel(m, test_map, 3, 0x9fc00, 0x100000, &ld, &err), -1);
    cr_assert(strstr(err, "neither a Multiboot kernel"), "%s", err);
    cr_assert_null(strchr(err, '\n'));
    g_clear_pointer(&err, g_free);
    char *big = make_elf(false, true, 0x2000000, 0x2000000, 0x2000000, 0x1000, "beyond");
    g_free(m->cfg.kernel);
    m->cfg.kernel = g_strdup(big);
    cr_assert_eq(pc_load_kernel(m, test_map, 3, 0x9fc00, 0x100000, &ld, &err), -1);
    cr_assert(strstr(err, "outside RAM"), "%s", err);
    g_clear_pointer(&err, g_free);
    char *bios = make_elf(false, true, 0xf0000, 0xf0000, 0xf0000, 0x100, "bios");
    g_free(m->cfg.kernel);
    m->cfg.kernel = g_strdup(bios);
    cr_assert_eq(pc_load_kernel(m, test_map, 3, 0x9fc00, 0x100000, &ld, &err), -1,
                 "a segment over the ACPI tables is refused");
    g_clear_pointer(&err, g_free);
    char *elf32 = make_elf(false, false, 0x200000, 0x200000, 0x200000, 0x100, "elf32");
    g_free(m->cfg.kernel);
    m->cfg.kernel = g_strdup(elf32);
    cr_assert_eq(pc_load_kernel(m, test_map, 3, 0x9fc00, 0x100000, &ld, &err), -1);
    cr_assert(strstr(err, "32-bit ELF without a Multiboot header"), "%s", err);
    g_clear_pointer(&err, g_free);
    unlink(junk), unlink(big), unlink(bios), unlink(elf32);
    g_free(junk), g_free(big), g_free(bios), g_free(elf32);
    machine_free(m);
}

static uint8_t sum(Machine *m, uint64_t pa, uint32_t len)
{
    uint8_t s = 0, *p = bus_ram_ptr(&m->bus, pa, len);
    for (uint32_t i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

Test(x86pc_load, acpi_tables)
{
    Machine *m = bare(4);
    acpi_build(m, 4, IOAPIC_BASE, 0xfed00000, NULL, 0);
    uint8_t *rsdp = bus_ram_ptr(&m->bus, ACPI_RSDP_ADDR, 36);
    cr_assert_eq(memcmp(rsdp, "RSD PTR ", 8), 0);
    cr_assert_eq(sum(m, ACPI_RSDP_ADDR, 20), 0);
    cr_assert_eq(sum(m, ACPI_RSDP_ADDR, 36), 0);
    uint64_t xsdt = ram64(m, ACPI_RSDP_ADDR + 24);
    uint32_t xlen = ram32(m, xsdt + 4);
    cr_assert_eq(sum(m, xsdt, xlen), 0);
    bool have_madt = false, have_fadt = false;
    for (uint32_t i = 36; i < xlen; i += 8) {
        uint64_t t = ram64(m, xsdt + i);
        uint32_t len = ram32(m, t + 4);
        cr_assert_eq(sum(m, t, len), 0, "table at %#llx", (unsigned long long)t);
        uint8_t *h = bus_ram_ptr(&m->bus, t, len);
        if (!memcmp(h, "APIC", 4)) {
            have_madt = true;
            int lapics = 0, ioapics = 0;
            for (uint32_t o = 44; o < len; o += h[o + 1])
                lapics += h[o] == 0, ioapics += h[o] == 1;
            cr_assert_eq(lapics, 4);
            cr_assert_eq(ioapics, 1);
        }
        if (!memcmp(h, "FACP", 4)) {
            have_fadt = true;
            uint32_t dsdt = ram32(m, t + 40);
            cr_assert_eq(sum(m, dsdt, ram32(m, dsdt + 4)), 0);
            cr_assert_eq(ram32(m, t + 64), (uint32_t)ACPI_PM1_CNT);
        }
    }
    cr_assert(have_madt && have_fadt);
    uint32_t rsdt = ram32(m, ACPI_RSDP_ADDR + 16);
    cr_assert_eq(sum(m, rsdt, ram32(m, rsdt + 4)), 0, "the RSDT too");
    char *err = NULL;
    cr_assert(state_check_coverage(&pc_misc_state_desc, &err), "%s", err);
    machine_free(m);
}

/* ---- HPET ---- */
#include "devices/hpet.h"

static int gsi_edges[32], gsi_level[32], isa_edges[16];
static void note_gsi(void *o, int gsi, int level)
{
    (void)o;
    if (level && !gsi_level[gsi])
        gsi_edges[gsi]++;
    gsi_level[gsi] = level;
}
static void note_isa(void *o, int irq, int level)
{
    (void)o;
    if (level)
        isa_edges[irq]++;
}

static uint64_t hrd(Machine *m, uint64_t off)
{
    uint64_t v = 0;
    cr_assert(bus_read(&m->bus, HPET_BASE + off, 8, &v));
    return v;
}

static void hwr(Machine *m, uint64_t off, uint64_t v)
{
    cr_assert(bus_write(&m->bus, HPET_BASE + off, 8, v));
}

Test(x86pc_hpet, counter_and_timers)
{
    Machine *m = bare(1);
    Hpet *h = hpet_new(m, "hpet", HPET_BASE);
    memset(gsi_edges, 0, sizeof gsi_edges);
    memset(gsi_level, 0, sizeof gsi_level);
    memset(isa_edges, 0, sizeof isa_edges);
    hpet_connect(h, note_gsi, note_isa, NULL);
    uint64_t cap = hrd(m, 0);
    cr_assert_eq(cap >> 32, 10000000u, "10 ns a count");
    cr_assert_eq((cap >> 8) & 0x1f, 2u, "three timers");
    cr_assert_eq(hrd(m, 0x100) >> 32, 0x4u, "QEMU pc's routing capability: pin 2");
    run_until(m, NS(1000));
    cr_assert_eq(hrd(m, 0xf0), 0u, "halted");
    hwr(m, 0x10, 1);                                  /* enable at 1 us */
    run_until(m, NS(2000));
    cr_assert_eq(hrd(m, 0xf0), 100u);
    /* timer 0: one-shot, edge, pin 20, at count 500 */
    hwr(m, 0x100, (20u << 9) | (1u << 2));
    hwr(m, 0x108, 500);
    run_until(m, NS(5999));
    cr_assert_eq(gsi_edges[20], 0);
    run_until(m, NS(6000));
    cr_assert_eq(gsi_edges[20], 1);
    cr_assert_eq(gsi_level[20], 0, "edge: a pulse");
    /* timer 1: periodic, level, pin 21, every 100 counts from 1000 */
    hwr(m, 0x120, (21u << 9) | (1u << 1) | (1u << 2) | (1u << 3) | (1u << 6));
    hwr(m, 0x128, 1000);
    hwr(m, 0x128, 100);
    run_until(m, NS(11000));
    cr_assert_eq(gsi_edges[21], 1);
    cr_assert_eq(gsi_level[21], 1, "level: held");
    cr_assert_eq(hrd(m, 0x20), 2u, "its status bit");
    run_until(m, NS(13000));
    cr_assert_eq(gsi_edges[21], 1, "the line stays high: no new edge");
    hwr(m, 0x20, 2);                                  /* clear the status */
    cr_assert_eq(gsi_level[21], 0);
    run_until(m, NS(14000));
    cr_assert_eq(gsi_edges[21], 2, "the next period raises it again");
    cr_assert_eq(hrd(m, 0x128), 1400u, "the comparator advanced by the period");
    /* legacy replacement: timer 0 to ISA IRQ 0 */
    hwr(m, 0x10, 3);
    hwr(m, 0x108, hrd(m, 0xf0) + 10);
    run_until(m, NS(14100));
    cr_assert_eq(isa_edges[0], 1);
    cr_assert(hpet_legacy(h));
    /* halting keeps the count */
    hwr(m, 0x10, 0);
    uint64_t c = hrd(m, 0xf0);
    run_until(m, NS(20000));
    cr_assert_eq(hrd(m, 0xf0), c);
    char *err = NULL;
    cr_assert(state_check_coverage(&hpet_state_desc, &err), "%s", err);
    cr_assert(state_check_coverage(&hpet_timer_state_desc, &err), "%s", err);
    cr_assert(state_check_validity_declared(&hpet_state_desc, &err), "%s", err);
    hpet_free(h);
    machine_free(m);
}

/* The local APIC reports IPIs, acknowledges and EOIs on the event stream (EV_IRQ). */
static int irq_ev_stage[8], irq_ev_vec[8], irq_ev_cpu[8], n_irq_ev;
static bool note_irq_ev(void *opaque, const EvInfo *e)
{
    (void)opaque;
    if (n_irq_ev < 8) {
        irq_ev_stage[n_irq_ev] = e->u.irq.stage;
        irq_ev_vec[n_irq_ev] = (int)e->u.irq.intid;
        irq_ev_cpu[n_irq_ev] = e->cpu;
        n_irq_ev++;
    }
    return false;
}

Test(x86pc_lapic, irq_events)
{
    Machine *m = bare(2);
    Lapic *all[2] = { lapic_new(m, 0), lapic_new(m, 1) };
    lapic_connect(all, 2);
    enable(all[0]);
    enable(all[1]);
    EvFilter f = EV_FILTER_ALL;
    cr_assert(ev_subscribe(&m->events, EV_BIT(EV_IRQ), EV_PRIO_PLUGIN, &f, note_irq_ev, NULL));
    n_irq_ev = 0;
    lapic_mmio_write(all[0], LAPIC_ICR_HI, 1u << 24);
    lapic_mmio_write(all[0], LAPIC_ICR_LO, 0x4000 | 0x77);
    lapic_ack(all[1], lapic_pending(all[1]));
    lapic_mmio_write(all[1], LAPIC_EOI, 0);
    cr_assert_eq(n_irq_ev, 3);
    cr_assert_eq(irq_ev_stage[0], EV_IRQ_RAISE);
    cr_assert_eq(irq_ev_cpu[0], 0, "raised by the sender");
    cr_assert_eq(irq_ev_stage[1], EV_IRQ_ACK);
    cr_assert_eq(irq_ev_cpu[1], 1);
    cr_assert_eq(irq_ev_stage[2], EV_IRQ_EOI);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(irq_ev_vec[i], 0x77);
    ev_unsubscribe(&m->events, note_irq_ev, NULL);
    lapic_free(all[0]);
    lapic_free(all[1]);
    machine_free(m);
}

/* ELCR: a level-triggered IRQ requests while its input is high, again after its EOI. */
Test(x86pc_misc, i8259_level_mode)
{
    Machine *m = bare(1);
    I8259 *s = i8259_new(m, "pic");
    i8259_connect_intr(s, (IrqLine){ note_intr, NULL, 0 });
    out8(m, 0x20, 0x11); out8(m, 0x21, 0x30); out8(m, 0x21, 0x04); out8(m, 0x21, 0x01);
    out8(m, 0x21, 0x00);
    out8(m, 0x4d0, 0xff);
    cr_assert_eq(in8(m, 0x4d0), 0xf8, "IRQ 0-2 cannot be level-triggered");
    i8259_set_irq(s, 5, 1);
    cr_assert_eq(i8259_ack(s), 0x35);
    out8(m, 0x20, 0x20);                              /* EOI with the input still high */
    cr_assert_eq(i8259_peek(s), 0x35, "requested again");
    i8259_set_irq(s, 5, 0);
    cr_assert_eq(i8259_peek(s), -1, "the request ends with the input");
    /* edge-triggered IRQ 1: one request per rising edge */
    i8259_set_irq(s, 1, 1);
    cr_assert_eq(i8259_ack(s), 0x31);
    out8(m, 0x20, 0x20);
    cr_assert_eq(i8259_peek(s), -1);
    i8259_free(s);
    machine_free(m);
}

/* 16550: the FIFO's trigger level and the character timeout. */
Test(x86pc_uart, fifo_trigger_and_timeout)
{
    Machine *m = bare(1);
    Uart16550 *u = uart16550_new(m, "uart", 0x3f8, -1);
    irq_seen = 0;
    uart16550_connect_irq(u, (IrqLine){ note_irq, NULL, 4 });
    out8(m, 0x3fa, 0x41);                             /* FIFO on, trigger 4 */
    out8(m, 0x3f9, UART_IER_RDI);
    for (int i = 0; i < 3; i++)
        cr_assert(uart16550_receive(u, (uint8_t)('a' + i)));
    cr_assert_eq(irq_seen, 0, "3 characters: below the trigger");
    run_until(m, NS(1000000));                        /* a poll finds them waiting */
    cr_assert_eq(irq_seen, 1);
    cr_assert_eq(in8(m, 0x3fa) & 0x0f, UART_IIR_CTI);
    cr_assert_eq(in8(m, 0x3f8), 'a');
    cr_assert_eq(irq_seen, 0, "reading RBR clears the timeout");
    cr_assert(uart16550_receive(u, 'd'));
    cr_assert(uart16550_receive(u, 'e'));
    cr_assert_eq(irq_seen, 1, "4 characters: the trigger");
    cr_assert_eq(in8(m, 0x3fa) & 0x0f, UART_IIR_RDI);
    for (int i = 0; i < 16; i++)
        uart16550_receive(u, 'x');
    cr_assert_eq(in8(m, 0x3fd) & UART_LSR_OE, UART_LSR_OE, "overrun");
    cr_assert_eq(in8(m, 0x3fd) & UART_LSR_OE, 0, "cleared by the read");
    char *err = NULL;
    cr_assert(state_validate(&uart16550_state_desc, u, &err), "%s", err);
    uart16550_free(u);
    machine_free(m);
}

/* PIT mode 3 (square wave) and mode 0's output, and the read-back command. */
Test(x86pc_misc, pit_modes)
{
    Machine *m = bare(1);
    Pit *p = pit_new(m, "pit");
    out8(m, 0x43, 0x76);                              /* channel 1, LSB/MSB, mode 3 */
    out8(m, 0x41, 100);
    out8(m, 0x41, 0);
    SimTime tick = PS_PER_S / PIT_HZ + 1;
    m->now = 10 * tick;
    cr_assert_eq(pit_get_out(p, 1), 1, "high in the first half");
    cr_assert_eq(pit_get_count(p, 1), 80, "counts down by two");
    m->now = 60 * tick;
    cr_assert_eq(pit_get_out(p, 1), 0, "low in the second half");
    out8(m, 0x43, 0xe4);                              /* read-back: status of channel 1 */
    uint8_t st = in8(m, 0x41);
    cr_assert_eq(st & 0x3f, 0x36, "access LSB/MSB, mode 3, binary");
    cr_assert_eq(st >> 7, 0, "OUT low");
    out8(m, 0x43, 0x70);                              /* mode 0 */
    m->now = 100 * tick;
    out8(m, 0x41, 10);
    out8(m, 0x41, 0);
    cr_assert_eq(pit_get_out(p, 1), 0);
    m->now = 111 * tick;
    cr_assert_eq(pit_get_out(p, 1), 1, "terminal count");
    pit_free(p);
    machine_free(m);
}

/* ---- the whole pc machine ---- */

static Machine *pc_machine_with(int smp, char **dev)
{
    char *k = make_elf(false, true, 0x200000, 0x200000, 0x20000c, 0x1000, "pcmachine");
    MachineConfig cfg;
    machine_config_defaults(&cfg);
    g_free(cfg.board);
    cfg.board = g_strdup("pc");
    g_free(cfg.cpu_model);
    cfg.cpu_model = g_strdup("qemu64");
    cfg.ram_size = 32ULL << 20;
    cfg.smp = smp;
    cfg.kernel = g_strdup(k);
    cfg.devices = g_strdupv(dev);
    char *err = NULL;
    Machine *m = pc_create(&cfg, &err);
    cr_assert_not_null(m, "pc_create: %s", err ? err : "?");
    machine_config_free(&cfg);
    unlink(k);
    g_free(k);
    return m;
}

static Machine *pc_machine(int smp)
{
    char *dev[] = { "isa-debug-exit,iobase=0xf4,iosize=4", NULL };
    return pc_machine_with(smp, dev);
}

/* Every object of a pc machine: fully declared, valid when fresh, saved and loaded intact. */
Test(x86pc_machine, state_descriptions_round_trip)
{
    Machine *m = pc_machine(2);
    cr_assert_eq(m->ncpus, 2);
    cr_assert_not_null(machine_find_object(m, "lapic1"));
    cr_assert_not_null(machine_find_object(m, "hpet"));
    for (int i = 0; i < m->nobjects; i++) {
        const StateDesc *sd = m->objects[i].desc;
        char *err = NULL;
        cr_assert(state_check_coverage(sd, &err), "%s: %s", m->objects[i].name, err);
        cr_assert(state_check_validity_declared(sd, &err), "%s: %s", m->objects[i].name, err);
        cr_assert(state_validate(sd, m->objects[i].obj, &err), "%s: %s", m->objects[i].name, err);
        GByteArray *buf = g_byte_array_new();
        state_save(buf, sd, m->objects[i].obj);
        uint8_t *copy = g_malloc0(sd->size);
        cr_assert(state_load(sd, copy, buf->data, buf->len, &err), "%s: %s", sd->name, err);
        GByteArray *again = g_byte_array_new();
        state_save(again, sd, copy);
        cr_assert_eq(again->len, buf->len);
        cr_assert_eq(memcmp(again->data, buf->data, buf->len), 0, "%s", m->objects[i].name);
        g_byte_array_free(buf, TRUE);
        g_byte_array_free(again, TRUE);
        g_free(copy);
    }
    machine_free(m);
}

/* Two machines built alike hash alike; the boot core starts at the Multiboot entry, the
 * other waits for a start-up IPI. */
Test(x86pc_machine, built_alike_hash_alike)
{
    Machine *a = pc_machine(2), *b = pc_machine(2);
    char ha[65], hb[65];
    machine_state_hash(a, ha);
    machine_state_hash(b, hb);
    cr_assert_str_eq(ha, hb);
    PcBoard *pb = a->board;
    cr_assert_eq(pb->cpu[0]->rip, 0x20000cu);
    cr_assert_eq(pb->cpu[0]->gpr[X86_RAX], MULTIBOOT_BOOTLOADER_MAGIC);
    cr_assert_eq(pb->cpu[0]->gpr[X86_RBX], pb->load.info);
    cr_assert(pb->cpu[1]->wait_sipi);
    cr_assert(a->cpus[1].cls->idle(a->cpus[1].obj), "an AP idles until its SIPI");
    machine_free(a);
    machine_free(b);
}

/* RTC interrupts: periodic at register A's rate, update-ended each second, the alarm. */
static int rtc_edges;
static void note_rtc(void *opaque, int n, int level)
{
    (void)opaque, (void)n;
    if (level && !irq_seen)
        rtc_edges++;
    irq_seen = level;
}

Test(x86pc_misc, rtc_interrupts)
{
    Machine *m = bare(1);
    Mc146818 *r = mc146818_new(m, "rtc", MACHINE_DEFAULT_RTC_EPOCH);
    irq_seen = 0;
    rtc_edges = 0;
    mc146818_connect_irq(r, (IrqLine){ note_rtc, NULL, 8 });
    out8(m, 0x70, RTC_REG_A);
    out8(m, 0x71, 0x26);                              /* 1024 Hz */
    out8(m, 0x70, RTC_REG_B);
    out8(m, 0x71, RTC_B_24H | RTC_B_PIE);
    run_until(m, 976562 * PS_PER_NS - 1);             /* just before 1/1024 s */
    cr_assert_eq(rtc_edges, 0);
    run_until(m, 976563 * PS_PER_NS);
    cr_assert_eq(rtc_edges, 1);
    cr_assert_eq(cmos(m, RTC_REG_C), RTC_C_IRQF | RTC_C_PF);
    cr_assert_eq(irq_seen, 0, "reading C lowers IRQ 8");
    cr_assert_eq(cmos(m, RTC_REG_C), 0, "and clears the flags");
    /* update-ended and alarm at 00:00:02 */
    out8(m, 0x70, RTC_REG_B);
    out8(m, 0x71, RTC_B_24H | RTC_B_UIE | RTC_B_AIE);
    out8(m, 0x70, RTC_SEC_ALARM);
    out8(m, 0x71, 0x02);
    out8(m, 0x70, RTC_MIN_ALARM);
    out8(m, 0x71, 0xc0);                              /* any minute */
    out8(m, 0x70, RTC_HOUR_ALARM);
    out8(m, 0x71, 0xff);                              /* any hour */
    run_until(m, PS_PER_S);
    cr_assert_eq(cmos(m, RTC_REG_C), RTC_C_IRQF | RTC_C_UF, "second 1: update only");
    run_until(m, 2 * PS_PER_S);
    cr_assert_eq(cmos(m, RTC_REG_C), RTC_C_IRQF | RTC_C_UF | RTC_C_AF, "second 2: the alarm");
    char *err = NULL;
    cr_assert(state_check_coverage(&mc146818_state_desc, &err), "%s", err);
    mc146818_free(r);
    machine_free(m);
}

/* fw_cfg's DMA interface: an access structure in RAM, the address written big-endian. */
static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint32_t bswap32_(uint32_t v)
{
    return v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24;
}

Test(x86pc_misc, fw_cfg_dma)
{
    Machine *m = bare(2);
    FwCfg *f = fw_cfg_new(m, "fw_cfg");
    fw_select(m, FW_CFG_ID);
    cr_assert_eq(fw_read(m, 4), 3u, "traditional and DMA");
    uint64_t v = 0;
    cr_assert(bus_read(&m->io, FW_CFG_PORT_DMA, 4, &v));
    cr_assert_eq(v, 0x554d4551u, "the register reads \"QEMU CFG\" in memory order");
    uint8_t *acc = bus_ram_ptr(&m->bus, 0x1000, 16), *buf = bus_ram_ptr(&m->bus, 0x2000, 16);
    memset(buf, 0xee, 16);
    put_be(acc, (FW_CFG_NB_CPUS << 16) | FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 4);
    put_be(acc + 4, 4, 4);                            /* 2 bytes of item, then zeros */
    put_be(acc + 8, 0x2000, 8);
    cr_assert(bus_write(&m->io, FW_CFG_PORT_DMA, 4, bswap32_(0)));
    cr_assert(bus_write(&m->io, FW_CFG_PORT_DMA + 4, 4, bswap32_(0x1000)));
    cr_assert_eq(acc[0] | acc[1] | acc[2] | acc[3], 0, "control 0: done");
    cr_assert_eq(buf[0], 2);
    cr_assert_eq(buf[1] | buf[2] | buf[3], 0);
    cr_assert_eq(buf[4], 0xee, "no further");
    /* skip 2 then read 2 of the signature, continuing the selected item */
    fw_select(m, FW_CFG_SIGNATURE);
    put_be(acc, FW_CFG_DMA_SKIP, 4);
    put_be(acc + 4, 2, 4);
    cr_assert(bus_write(&m->io, FW_CFG_PORT_DMA + 4, 4, bswap32_(0x1000)));
    put_be(acc, FW_CFG_DMA_READ, 4);
    cr_assert(bus_write(&m->io, FW_CFG_PORT_DMA + 4, 4, bswap32_(0x1000)));
    cr_assert_eq(memcmp(buf, "MU", 2), 0);
    /* a write is refused; so is a buffer outside RAM */
    put_be(acc, FW_CFG_DMA_WRITE, 4);
    cr_assert(bus_write(&m->io, FW_CFG_PORT_DMA + 4, 4, bswap32_(0x1000)));
    cr_assert_eq(acc[3], FW_CFG_DMA_ERROR);
    put_be(acc, FW_CFG_DMA_READ, 4);
    put_be(acc + 8, 0xfff00000ULL, 8);
    cr_assert(bus_write(&m->io, FW_CFG_PORT_DMA + 4, 4, bswap32_(0x1000)));
    cr_assert_eq(acc[3], FW_CFG_DMA_ERROR);
    fw_cfg_free(f);
    machine_free(m);
}

/* LVT Error: an illegal vector raises the error interrupt; ESR shows why after a write. */
Test(x86pc_lapic, error_interrupt)
{
    Machine *m = bare(1);
    Lapic *a = lapic_new(m, 0);
    enable(a);
    lapic_mmio_write(a, LAPIC_LVT_ERROR, 0xfe);
    lapic_mmio_write(a, LAPIC_ICR_LO, (1u << 18) | 0x05);   /* fixed vector 5 to self */
    cr_assert_eq(lapic_pending(a), 0xfe);
    lapic_mmio_write(a, LAPIC_ESR, 0);
    cr_assert_eq(lapic_mmio_read(a, LAPIC_ESR), 0x20u, "send illegal vector");
    lapic_free(a);
    machine_free(m);
}

/* The Multiboot a.out kludge: the header's addresses say what to load and where to enter. */
Test(x86pc_load, multiboot_aout_kludge)
{
    Machine *m = bare(1);
    uint8_t f[0x200] = { 0 };
    /* header at file offset 0x40, loaded so that the header lands at 0x300040 */
    uint32_t h[8] = { MULTIBOOT_MAGIC, 1u << 16, 0, 0x300040, 0x300000, 0x300100, 0x302000,
                      0x300080 };
    h[2] = (uint32_t)-(h[0] + h[1]);
    memcpy(f + 0x40, h, sizeof h);
    memset(f + 0x80, 0x90, 0x180);                     /* beyond load_end: not loaded */
    char *k = tmpfile_with("aout", f, sizeof f);
    m->cfg.kernel = g_strdup(k);
    memset(bus_ram_ptr(&m->bus, 0x300100, 0x1f00), 0xaa, 0x1f00);
    PcLoad ld;
    char *err = NULL;
    cr_assert_eq(pc_load_kernel(m, test_map, 3, 0x9fc00, 0x100000, &ld, &err), 0, "%s", err);
    cr_assert(ld.multiboot);
    cr_assert_eq(ld.entry, 0x300080u);
    cr_assert_eq(ram32(m, 0x300040), MULTIBOOT_MAGIC);
    cr_assert_eq(ram32(m, 0x300100), 0u, "bss zeroed up to bss_end_addr");
    cr_assert_eq(ram32(m, 0x301ffc), 0u);
    cr_assert_geq(ld.info, 0x302000u, "the information after the image");
    unlink(k);
    g_free(k);
    /* -initrd with a kernel that has no Multiboot header */
    char *k64 = make_elf(true, false, 0x400000, 0x400000, 0x400000, 0x100, "initrd64");
    g_free(m->cfg.kernel);
    m->cfg.kernel = g_strdup(k64);
    m->cfg.initrd = g_strdup(k64);
    cr_assert_eq(pc_load_kernel(m, test_map, 3, 0x9fc00, 0x100000, &ld, &err), -1);
    cr_assert(strstr(err, "-initrd needs a Multiboot kernel"), "%s", err);
    g_free(err);
    unlink(k64);
    g_free(k64);
    machine_free(m);
}

/* Guest misuse: random accesses of every size to every port and register of the board's
 * devices, with time advancing and events running, leave every object valid by its own
 * description (a snapshot of it would load) and crash nothing (run under ASan/UBSan too). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

Test(x86pc_machine, random_device_accesses_stay_valid)
{
    Machine *m = pc_machine(2);
    PcBoard *pb = m->board;
    FILE *devnull = fopen("/dev/null", "w");
    m->out = devnull;
    static const uint16_t ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x40, 0x41, 0x42,
                                      0x43, 0x61, 0x70, 0x71, 0x3f8, 0x3f9, 0x3fa, 0x3fb,
                                      0x3fc, 0x3fd, 0x3fe, 0x3ff, 0x510, 0x511, 0x514, 0x518,
                                      0x80, 0x64, 0xcf8, 0xcf9, 0xcfc, 0x600, 0x602, 0x604,
                                      0x608 };
    static const unsigned sizes[] = { 1, 2, 4 };
    SimTime t = 0;
    for (int i = 0; i < 200000; i++) {
        uint64_t r = rnd(), v = rnd();
        unsigned size = sizes[r % 3];
        switch ((r >> 8) % 6) {
        case 0:
        case 1: {
            uint16_t port = ports[(r >> 16) % G_N_ELEMENTS(ports)];
            if (r & (1ULL << 40))
                bus_write(&m->io, port, size, v);
            else
                bus_read(&m->io, port, size, &v);
            break;
        }
        case 2: {
            uint64_t off = (r >> 16) & 0x3f8;
            if (r & (1ULL << 40))
                bus_write(&m->bus, HPET_BASE + off, (r >> 41) & 1 ? 8 : 4, v);
            else
                bus_read(&m->bus, HPET_BASE + off, 4, &v);
            break;
        }
        case 3: {
            static const uint64_t offs[] = { 0x00, 0x10, 0x40 };
            uint64_t off = offs[(r >> 16) % 3];
            if (r & (1ULL << 40))
                bus_write(&m->bus, IOAPIC_BASE + off, 4, off ? v : v & 0x3f);
            else
                bus_read(&m->bus, IOAPIC_BASE + off, 4, &v);
            break;
        }
        case 4: {
            Lapic *a = pb->lapic[(r >> 16) & 1];
            uint32_t off = (uint32_t)(r >> 20) & 0x3f0;
            if (off == LAPIC_ICR_LO && ((v >> 8) & 7) == LAPIC_DM_INIT)
                v &= ~0x700ULL;  /* INIT resets the APIC: fine, but keep the test's cores */
            if (r & (1ULL << 40))
                lapic_mmio_write(a, off, (uint32_t)v);
            else
                lapic_mmio_read(a, off);
            if ((r >> 42) % 64 == 0)
                lapic_set_tsc_deadline(a, v & 0xffffff);
            if ((r >> 48) % 16 == 0)
                lapic_ack(a, lapic_pending(a));
            break;
        }
        default:
            pc_isa_irq(pb, (int)((r >> 16) % 16), (int)((r >> 20) & 1));
            t += (r >> 24) % 50000 * PS_PER_NS / 1000;
            run_until(m, t);
            break;
        }
        m->stop = false;     /* a reset request or debug-exit write ends nothing here */
    }
    for (int i = 0; i < m->nobjects; i++) {
        char *err = NULL;
        cr_assert(state_validate(m->objects[i].desc, m->objects[i].obj, &err), "%s: %s",
                  m->objects[i].name, err);
    }
    m->out = stdout;
    fclose(devnull);
    machine_free(m);
}

/* ---- virtio-mmio on pc ---- */

/* The DSDT the machine booted with, found as a kernel finds it (RSDP, XSDT, FADT). */
static const uint8_t *find_dsdt(Machine *m, uint32_t *len)
{
    uint64_t xsdt = ram64(m, ACPI_RSDP_ADDR + 24);
    uint32_t xlen = ram32(m, xsdt + 4);
    for (uint32_t i = 36; i < xlen; i += 8) {
        uint64_t t = ram64(m, xsdt + i);
        if (!memcmp(bus_ram_ptr(&m->bus, t, 4), "FACP", 4)) {
            uint32_t dsdt = ram32(m, t + 40);
            *len = ram32(m, dsdt + 4);
            return bus_ram_ptr(&m->bus, dsdt, *len);
        }
    }
    return NULL;
}

static int count_bytes(const uint8_t *p, uint32_t len, const char *s)
{
    int n = 0;
    size_t sl = strlen(s);
    for (uint32_t i = 0; i + sl <= len; i++)
        n += !memcmp(p + i, s, sl);
    return n;
}

/* The first device given takes the highest transport and I/O APIC pin 16, the next one the
 * transport below and pin 17; both are in the DSDT; the registers answer at their
 * addresses; the UART gives the host's input up to the virtio console. */
Test(x86pc_virtio, transports_pins_and_dsdt)
{
    char *dev[] = { "virtio-rng-device", "isa-debug-exit,iobase=0xf4,iosize=4", "virtconsole",
                    NULL };
    Machine *m = pc_machine_with(1, dev);
    PcBoard *pb = m->board;
    uint64_t v = 0;
    uint64_t t31 = PC_VIRTIO_BASE + 31 * VIRTIO_MMIO_STRIDE, t30 = t31 - VIRTIO_MMIO_STRIDE;
    cr_assert(bus_read(&m->bus, t31, 4, &v));
    cr_assert_eq(v, 0x74726976u, "magic \"virt\"");
    cr_assert(bus_read(&m->bus, t31 + 8, 4, &v));
    cr_assert_eq(v, VIRTIO_ID_RNG);
    cr_assert(bus_read(&m->bus, t30 + 8, 4, &v));
    cr_assert_eq(v, VIRTIO_ID_CONSOLE);
    cr_assert(bus_read(&m->bus, t30 - VIRTIO_MMIO_STRIDE + 8, 4, &v));
    cr_assert_eq(v, 0, "an empty transport");
    cr_assert_eq(pb->uart->in_fd, -1, "the virtio console has the input");
    cr_assert_not_null(machine_find_object(m, "rng0.mmio"));
    cr_assert_not_null(machine_find_object(m, "hvc0.mmio"));

    /* the lines: level on the pins' inputs */
    irq_set(&pb->virtio.rng->t->irq, 1);
    cr_assert_eq(pb->ioapic->irr, 1u << 16, "irr %#x", pb->ioapic->irr);
    irq_set(&pb->virtio.rng->t->irq, 0);
    irq_set(&pb->virtio.console->t->irq, 1);
    cr_assert_eq(pb->ioapic->irr, 1u << 17, "irr %#x", pb->ioapic->irr);
    irq_set(&pb->virtio.console->t->irq, 0);

    uint32_t len = 0;
    const uint8_t *dsdt = find_dsdt(m, &len);
    cr_assert_not_null(dsdt);
    cr_assert_eq(sum(m, bus_host_to_pa(&m->bus, dsdt), len), 0, "DSDT checksum");
    cr_assert_eq(count_bytes(dsdt, len, "LNRO0005"), 2);
    cr_assert_eq(count_bytes(dsdt, len, "_S5_"), 1);
    /* Memory32Fixed of transport 30 (first in the DSDT: lowest address first) */
    uint8_t mem[12] = { 0x86, 9, 0, 1 };
    memcpy(mem + 4, &(uint32_t){ (uint32_t)t30 }, 4);
    memcpy(mem + 8, &(uint32_t){ VIRTIO_MMIO_STRIDE }, 4);
    const uint8_t *at = memmem(dsdt, len, mem, sizeof mem);
    cr_assert_not_null(at, "transport 30's registers in _CRS");
    static const uint8_t irq17[9] = { 0x89, 6, 0, 0x01, 1, 17, 0, 0, 0 };
    cr_assert_eq(memcmp(at + sizeof mem, irq17, sizeof irq17), 0, "then its pin, 17, level");
    machine_free(m);
}

Test(x86pc_virtio, bad_devices_are_refused)
{
    static const struct { const char *dev[6]; const char *msg; } cases[] = {
        { { "virtio-gpu-device" }, "unknown device (available: isa-debug-exit, virtio-rng" },
        { { "virtio-rng-device,x=1" }, "unknown property 'x'" },
        { { "virtio-rng-device", "virtio-rng-device" }, "one virtio-rng-device" },
        { { "virtio-blk-device,file=/nonexistent/disk.img" }, "/nonexistent/disk.img" },
    };
    char *k = make_elf(false, true, 0x200000, 0x200000, 0x20000c, 0x1000, "pcbad");
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        MachineConfig cfg;
        machine_config_defaults(&cfg);
        g_free(cfg.board);
        cfg.board = g_strdup("pc");
        g_free(cfg.cpu_model);
        cfg.cpu_model = g_strdup("qemu64");
        cfg.ram_size = 32ULL << 20;
        cfg.kernel = g_strdup(k);
        cfg.devices = g_strdupv((char **)cases[i].dev);
        char *err = NULL;
        cr_assert_null(pc_create(&cfg, &err), "%s", cases[i].dev[0]);
        cr_assert(err && strstr(err, cases[i].msg), "%s: %s", cases[i].dev[0], err);
        cr_assert_null(strchr(err, '\n'), "one line");
        g_free(err);
        machine_config_free(&cfg);
    }
    unlink(k);
    g_free(k);
}

/* ACPICA's disassembler reads the DSDT back as the devices Linux's virtio_mmio binds to. */
Test(x86pc_virtio, dsdt_disassembles)
{
    char *iasl = g_find_program_in_path("iasl");
    if (!iasl)
        cr_skip_test("iasl (acpica-tools) is not installed");
    AcpiVirtio v[2] = { { 0xfeb03c00, 0x200, 17 }, { 0xfeb03e00, 0x200, 16 } };
    size_t alen;
    uint8_t *aml = acpi_dsdt_aml(v, 2, &alen);
    /* a table around it: the header iasl expects */
    uint32_t len = 36 + (uint32_t)alen;
    uint8_t *t = g_malloc0(len);
    memcpy(t, "DSDT", 4);
    memcpy(t + 4, &len, 4);
    t[8] = 2;
    memcpy(t + 36, aml, alen);
    uint8_t s = 0;
    for (uint32_t i = 0; i < len; i++)
        s = (uint8_t)(s + t[i]);
    t[9] = (uint8_t)-s;
    char *dir = g_dir_make_tmp("hvsim-dsdt-XXXXXX", NULL);
    char *bin = g_build_filename(dir, "dsdt.dat", NULL);
    char *dsl = g_build_filename(dir, "dsdt.dsl", NULL);
    cr_assert(g_file_set_contents(bin, (const char *)t, len, NULL));
    char *argv[] = { iasl, "-d", bin, NULL };
    int status = -1;
    cr_assert(g_spawn_sync(dir, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                           NULL, NULL, NULL, NULL, &status, NULL));
    char *text = NULL;
    cr_assert(g_file_get_contents(dsl, &text, NULL, NULL), "iasl -d wrote no dsdt.dsl");
    cr_assert(strstr(text, "Device (VR00)") && strstr(text, "Device (VR01)"), "%s", text);
    cr_assert(strstr(text, "Name (_HID, \"LNRO0005\")"), "%s", text);
    cr_assert(strstr(text, "Memory32Fixed (ReadWrite,\n                    0xFEB03E00,"), "%s", text);
    cr_assert(strstr(text, "Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive, ,, )\n"
                           "                {\n                    0x00000010,"), "%s", text);
    cr_assert(strstr(text, "Name (_S5, Package"), "%s", text);
    unlink(bin), unlink(dsl), rmdir(dir);
    g_free(text), g_free(bin), g_free(dsl), g_free(dir), g_free(t), g_free(aml), g_free(iasl);
}
