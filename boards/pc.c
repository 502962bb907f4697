/* The `pc` board (boards/pc.h): QEMU's pc machine as a bare-metal kernel sees it after
 * QEMU's firmware has run, without the firmware. The ISA interrupts reach both the 8259
 * pair (masked, its output on the boot core's LINT0) and the I/O APIC; IRQ 0 is on the I/O
 * APIC's pin 2 as on QEMU (the PIT's, or the HPET's timer 0 in legacy replacement mode).
 * The application processors wait for INIT and a start-up IPI. */
#include "boards/pc.h"
#include <string.h>
#include "boards/acpi.h"
#include "boards/loader.h"
#include "cpu/x86_64/cpu.h"
#include "devices/pc_clock.h"

bool pc_cpu_model_known(const char *name)
{
    return x86_cpu_model_known(name);
}

/* ---- the small port devices ---- */

static const StateField misc_fields[] = {
    STATE_FIELD(PcMisc, pci_addr, V_ANY),
    STATE_FIELD(PcMisc, pm1_sts, V_ANY),
    STATE_FIELD(PcMisc, pm1_en, V_ANY),
    STATE_FIELD(PcMisc, pm1_cnt, V_ANY),
    STATE_FIELD(PcMisc, port92, V_ANY),
    STATE_RUNTIME(PcMisc, pad0),
    STATE_RUNTIME(PcMisc, m),
};
const StateDesc pc_misc_state_desc = STATE_DESC("pc_misc", PcMisc, misc_fields);

/* A reset request: the run ends, as QEMU's -no-reboot does (hvsim has no firmware to
 * reboot into). */
static void reset_request(PcMisc *s, const char *how)
{
    machine_stop(s->m, EXIT_OK, "the guest reset the machine (%s)", how);
}

static uint64_t post_read(void *o, uint64_t off, unsigned size)
{
    (void)o, (void)off, (void)size;
    return 0xff;
}

static void post_write(void *o, uint64_t off, uint64_t v, unsigned size)
{
    (void)o, (void)off, (void)v, (void)size;   /* POST codes: nobody to show them to */
}

static uint64_t a20_read(void *o, uint64_t off, unsigned size)
{
    (void)off, (void)size;
    return ((PcMisc *)o)->port92;
}

static void a20_write(void *o, uint64_t off, uint64_t v, unsigned size)
{
    PcMisc *s = o;
    (void)off, (void)size;
    s->port92 = (uint8_t)(v & 0x02);
    if (v & 1)
        reset_request(s, "port 0x92");
}

/* 0xcf8-0xcff: CONFIG_ADDRESS (dword at 0xcf8), reset control (byte at 0xcf9), CONFIG_DATA
 * (0xcfc-0xcff) reading all-ones: no device answers on bus 0. */
static uint64_t pci_read(void *o, uint64_t off, unsigned size)
{
    PcMisc *s = o;
    if (off == 0 && size == 4)
        return s->pci_addr;
    if (off == 1 && size == 1)
        return 0;
    return size >= 4 ? 0xffffffffULL : (1ULL << (8 * size)) - 1;
}

static void pci_write(void *o, uint64_t off, uint64_t v, unsigned size)
{
    PcMisc *s = o;
    if (off == 0 && size == 4)
        s->pci_addr = (uint32_t)v & 0x80fffffcu;
    else if (off == 1 && size == 1 && (v & 4))
        reset_request(s, "port 0xcf9");
}

/* The keyboard controller's status port: nothing to read, ready for commands; 0xfe pulses
 * the reset line. */
static uint64_t kbd_read(void *o, uint64_t off, unsigned size)
{
    (void)o, (void)off, (void)size;
    return 0;
}

static void kbd_write(void *o, uint64_t off, uint64_t v, unsigned size)
{
    (void)off, (void)size;
    if ((v & 0xff) == 0xfe)
        reset_request(o, "keyboard controller");
}

/* ACPI PM block: PM1a_STS (+0, write 1 to clear), PM1a_EN (+2), PM1a_CNT (+4: SCI_EN reads
 * 1; SLP_EN with SLP_TYP 0, the DSDT's \_S5, powers off), PM_TMR (+8: 3.579545 MHz,
 * 24 bits, from simulated time). */
static uint64_t pm_read(void *o, uint64_t off, unsigned size)
{
    PcMisc *s = o;
    (void)size;
    switch (off) {
    case 0: return s->pm1_sts;
    case 2: return s->pm1_en;
    case 4: return s->pm1_cnt | 1;
    case 8: {
        SimTime t = pc_now(s->m);
        return (uint64_t)((unsigned __int128)t * 3579545 / PS_PER_S) & 0xffffff;
    }
    default: return 0;
    }
}

static void pm_write(void *o, uint64_t off, uint64_t v, unsigned size)
{
    PcMisc *s = o;
    if (off == 0) {
        s->pm1_sts &= (uint16_t)~v;
        if (size == 4)
            s->pm1_en = (uint16_t)(v >> 16);
    } else if (off == 2) {
        s->pm1_en = (uint16_t)v;
    } else if (off == 4) {
        s->pm1_cnt = (uint16_t)(v & ~(1u << 13));   /* SLP_EN is write-only */
        if ((v & (1u << 13)) && ((v >> 10) & 7) == 0)
            machine_power_off(s->m);
    }
}

static const MmioOps post_ops = { post_read, post_write };
static const MmioOps a20_ops = { a20_read, a20_write };
static const MmioOps pci_ops = { pci_read, pci_write };
static const MmioOps kbd_ops = { kbd_read, kbd_write };
static const MmioOps pm_ops = { pm_read, pm_write };

static PcMisc *misc_new(Machine *m)
{
    PcMisc *s = g_new0(PcMisc, 1);
    s->m = m;
    s->port92 = 0x02;
    if (bus_add_mmio(&m->io, "post", 0x80, 1, &post_ops, s) < 0 ||
        bus_add_mmio(&m->io, "a20", 0x92, 1, &a20_ops, s) < 0 ||
        bus_add_mmio(&m->io, "pci-conf", 0xcf8, 8, &pci_ops, s) < 0 ||
        bus_add_mmio(&m->io, "kbd-ctl", 0x64, 1, &kbd_ops, s) < 0 ||
        bus_add_mmio(&m->io, "acpi-pm", ACPI_PM_BASE, 12, &pm_ops, s) < 0) {
        g_free(s);
        return NULL;
    }
    machine_add_object(m, "pc_misc", &pc_misc_state_desc, s);
    return s;
}

/* ---- interrupts ---- */

void pc_isa_irq(void *opaque, int n, int level)
{
    PcBoard *pb = opaque;
    i8259_set_irq(pb->pic, n, level);
    ioapic_set_irq(pb->ioapic, n == 0 ? 2 : n, level);
}

/* The PIT's output reaches IRQ 0 unless the HPET's legacy replacement has taken it. */
static void pit_irq(void *opaque, int n, int level)
{
    PcBoard *pb = opaque;
    if (!hpet_legacy(pb->hpet))
        pc_isa_irq(pb, n, level);
}

/* The RTC's output reaches IRQ 8 unless the HPET's legacy replacement has taken it. */
static void rtc_irq(void *opaque, int n, int level)
{
    PcBoard *pb = opaque;
    if (!hpet_legacy(pb->hpet))
        pc_isa_irq(pb, n, level);
}

static void hpet_gsi(void *opaque, int gsi, int level)
{
    ioapic_set_irq(((PcBoard *)opaque)->ioapic, gsi, level);
}

/* Transport n's I/O APIC pin: the devices take transports from the top (the first given on
 * transport 31), so transport 31 - k is the k-th device's and drives pin 16 + k. At most
 * the disks, an entropy source and a console: pins 16-21. */
G_STATIC_ASSERT(PC_VIRTIO_GSI + VIRTIO_DEV_MAX_DRIVES + 2 <= IOAPIC_NPINS);
static uint32_t transport_gsi(int n)
{
    return PC_VIRTIO_GSI + (uint32_t)(VIRTIO_MMIO_NUM - 1 - n);
}

static IrqLine transport_irq(void *opaque, int n)
{
    PcBoard *pb = opaque;
    return (IrqLine){ ioapic_set_irq, pb->ioapic, (int)transport_gsi(n) };
}

static int pic_peek(void *opaque) { return i8259_peek(opaque); }
static int pic_ack(void *opaque) { return i8259_ack(opaque); }

/* ---- configuration ---- */

/* -device isa-debug-exit[,iobase=N][,iosize=N] (QEMU's defaults: 0x501, 2). */
static bool parse_debug_exit(const char *spec, uint16_t *base, unsigned *size, char **err)
{
    char **parts = g_strsplit(spec, ",", -1);
    bool ok = !strcmp(parts[0], "isa-debug-exit");
    uint64_t b = 0x501, sz = 2;
    if (!ok)
        *err = g_strdup_printf("-device %s: the pc board has isa-debug-exit only", spec);
    for (int i = 1; ok && parts[i]; i++) {
        const char *p = parts[i];
        char *end;
        if (g_str_has_prefix(p, "iobase=")) {
            b = g_ascii_strtoull(p + 7, &end, 0);
            ok = *end == 0 && end != p + 7 && b <= 0xfffc;
        } else if (g_str_has_prefix(p, "iosize=")) {
            sz = g_ascii_strtoull(p + 7, &end, 0);
            ok = *end == 0 && (sz == 1 || sz == 2 || sz == 4);
        } else {
            ok = false;
        }
        if (!ok)
            *err = g_strdup_printf("-device %s: '%s': want iobase=PORT and iosize=1, 2 or 4",
                                   spec, p);
    }
    g_strfreev(parts);
    *base = (uint16_t)b;
    *size = (unsigned)sz;
    return ok;
}

static bool is_debug_exit(const char *spec)
{
    return !strcmp(spec, "isa-debug-exit") || g_str_has_prefix(spec, "isa-debug-exit,");
}

static bool check_config(const MachineConfig *cfg, char **err)
{
    if (cfg->smp < 1 || cfg->smp > MACHINE_MAX_CPUS) {
        *err = g_strdup_printf("-smp %d: want a number of cores from 1 to %d", cfg->smp,
                               MACHINE_MAX_CPUS);
        return false;
    }
    if (cfg->ram_size < PC_RAM_MIN || cfg->ram_size >= PC_RAM_MAX) {
        *err = g_strdup_printf("-m: the pc board takes 2M up to (not including) 3584M of RAM "
                               "(got %llu MiB)",
                               (unsigned long long)(cfg->ram_size >> 20));
        return false;
    }
    if (cfg->cpu_model && !pc_cpu_model_known(cfg->cpu_model)) {
        *err = g_strdup_printf("unknown CPU model '%s' for the pc board (available: "
                               PC_CPU_MODELS ")", cfg->cpu_model);
        return false;
    }
    if (cfg->virtualization) {
        *err = g_strdup("-machine virtualization=on is for the virt board");
        return false;
    }
    if (cfg->dtb || cfg->dtb_overlay || cfg->dumpdtb) {
        *err = g_strdup("the pc board has no device tree (-dtb, --dtb-overlay, dumpdtb)");
        return false;
    }
    if (cfg->guest_loaders) {
        *err = g_strdup("-device guest-loader/loader are for the virt board (use -initrd "
                        "FILE,FILE for Multiboot modules)");
        return false;
    }
    if (cfg->fb_format) {
        *err = g_strdup("-device simplefb is for the virt board");
        return false;
    }
    if (!virtio_devices_check(cfg->devices, is_debug_exit, "isa-debug-exit", err))
        return false;
    int nexit = 0;
    for (char **d = cfg->devices; d && *d; d++) {
        if (virtio_devices_owns(*d))
            continue;
        uint16_t b;
        unsigned sz;
        if (!parse_debug_exit(*d, &b, &sz, err))
            return false;
        if (++nexit > 1) {
            *err = g_strdup("-device isa-debug-exit: only one");
            return false;
        }
    }
    return true;
}

/* ---- memory map and firmware data ---- */

static void add_e820(PcBoard *pb, uint64_t base, uint64_t len, uint32_t type)
{
    pb->e820[pb->ne820++] = (E820Entry){ base, len, type, 0 };
}

static void build_e820(PcBoard *pb, uint64_t ram)
{
    add_e820(pb, 0, PC_BIOS_LO, E820_RAM);
    add_e820(pb, PC_BIOS_LO, 0xa0000 - PC_BIOS_LO, E820_RESERVED);    /* EBDA */
    add_e820(pb, 0xe0000, 0x20000, E820_RESERVED);                    /* BIOS area, ACPI */
    /* the top 128 KiB reserved, as SeaBIOS leaves it under QEMU (its high tables): a
     * Multiboot kernel sees the same mem_upper and memory map on both */
    add_e820(pb, PC_BIOS_HI, ram - PC_HIGH_RESERVED - PC_BIOS_HI, E820_RAM);
    add_e820(pb, ram - PC_HIGH_RESERVED, PC_HIGH_RESERVED, E820_RESERVED);
    add_e820(pb, IOAPIC_BASE, 0x1000, E820_RESERVED);
    add_e820(pb, LAPIC_BASE_DEFAULT, 0x1000, E820_RESERVED);
}

/* fw_cfg's etc/e820: QEMU's struct e820_entry (address, length, type: 20 bytes packed). */
static void fw_cfg_e820(PcBoard *pb)
{
    uint8_t buf[PC_MAX_E820 * 20];
    for (int i = 0; i < pb->ne820; i++) {
        uint8_t *e = buf + 20 * i;
        for (int k = 0; k < 8; k++) {
            e[k] = (uint8_t)(pb->e820[i].base >> (8 * k));
            e[8 + k] = (uint8_t)(pb->e820[i].len >> (8 * k));
        }
        for (int k = 0; k < 4; k++)
            e[16 + k] = (uint8_t)(pb->e820[i].type >> (8 * k));
    }
    fw_cfg_add_file(pb->fw_cfg, "etc/e820", buf, 20 * (uint32_t)pb->ne820);
}

/* CMOS memory as QEMU's pc leaves it: base, extended and high memory sizes, CPU count. */
static void cmos_init(Mc146818 *rtc, uint64_t ram, int ncpus)
{
    uint64_t ext_kb = (ram - PC_BIOS_HI) / 1024;
    if (ext_kb > 0xffff)
        ext_kb = 0xffff;
    uint64_t high = ram > (16ULL << 20) ? (ram - (16ULL << 20)) >> 16 : 0;
    if (high > 0xffff)
        high = 0xffff;
    mc146818_set_cmos(rtc, 0x15, 0x80);        /* 640 KiB base memory */
    mc146818_set_cmos(rtc, 0x16, 0x02);
    mc146818_set_cmos(rtc, 0x17, (uint8_t)ext_kb);
    mc146818_set_cmos(rtc, 0x18, (uint8_t)(ext_kb >> 8));
    mc146818_set_cmos(rtc, 0x30, (uint8_t)ext_kb);
    mc146818_set_cmos(rtc, 0x31, (uint8_t)(ext_kb >> 8));
    mc146818_set_cmos(rtc, 0x34, (uint8_t)high);
    mc146818_set_cmos(rtc, 0x35, (uint8_t)(high >> 8));
    mc146818_set_cmos(rtc, 0x5f, (uint8_t)(ncpus - 1));
}

static void pc_board_destroy(void *opaque)
{
    PcBoard *pb = opaque;
    for (int i = 0; i < pb->ncpus; i++)
        lapic_free(pb->lapic[i]);
    ioapic_free(pb->ioapic);
    i8259_free(pb->pic);
    pit_free(pb->pit);
    hpet_free(pb->hpet);
    mc146818_free(pb->rtc);
    uart16550_free(pb->uart);
    fw_cfg_free(pb->fw_cfg);
    isa_debug_exit_free(pb->debug_exit);
    virtio_devices_free(&pb->virtio);
    g_free(pb->misc);
    g_free(pb);
}

static int add_devices(Machine *m, PcBoard *pb, char **err)
{
    const MachineConfig *cfg = &m->cfg;
    pb->ioapic = ioapic_new(m, "ioapic", IOAPIC_BASE, pb->lapic, pb->ncpus);
    pb->pic = i8259_new(m, "i8259");
    pb->pit = pit_new(m, "pit");
    pb->hpet = hpet_new(m, "hpet", HPET_BASE);
    pb->rtc = mc146818_new(m, "rtc", cfg->rtc_epoch);
    /* the host's input goes to one console: a virtio console when there is one */
    pb->uart = uart16550_new(m, "uart0", PC_COM1,
                             virtio_devices_have_console(cfg->devices) ? -1 : 0);
    pb->fw_cfg = fw_cfg_new(m, "fw_cfg");
    pb->misc = misc_new(m);
    if (!pb->ioapic || !pb->pic || !pb->pit || !pb->hpet || !pb->rtc || !pb->uart ||
        !pb->fw_cfg || !pb->misc) {
        *err = g_strdup("cannot map the PC devices on the buses");
        return -1;
    }
    for (char **d = cfg->devices; d && *d; d++) {
        if (virtio_devices_owns(*d))
            continue;
        uint16_t base;
        unsigned size;
        if (!parse_debug_exit(*d, &base, &size, err))
            return -1;
        pb->debug_exit = isa_debug_exit_new(m, base, size);
        if (!pb->debug_exit) {
            *err = g_strdup_printf("-device %s: the ports are taken", *d);
            return -1;
        }
    }
    for (int i = 0; i < pb->ncpus; i++)
        lapic_set_eoi_hook(pb->lapic[i], ioapic_eoi, pb->ioapic);
    lapic_set_extint(pb->lapic[0], pic_peek, pic_ack, pb->pic);
    i8259_connect_intr(pb->pic, (IrqLine){ lapic_set_lint, pb->lapic[0], 0 });
    uart16550_connect_irq(pb->uart, (IrqLine){ pc_isa_irq, pb, PC_COM1_IRQ });
    pit_connect_irq(pb->pit, (IrqLine){ pit_irq, pb, 0 });
    mc146818_connect_irq(pb->rtc, (IrqLine){ rtc_irq, pb, 8 });
    hpet_connect(pb->hpet, hpet_gsi, pc_isa_irq, pb);
    cmos_init(pb->rtc, cfg->ram_size, pb->ncpus);
    return virtio_devices_add(m, &pb->virtio, PC_VIRTIO_BASE, transport_irq, pb, err);
}

bool pc_writeback_drives(Machine *m, char **err)
{
    return virtio_devices_writeback(&((PcBoard *)m->board)->virtio, err);
}

/* The DSDT's view of the transports with a device, lowest address first. */
static int acpi_virtio(const PcBoard *pb, AcpiVirtio *out)
{
    int n = 0;
    for (int i = 0; i < VIRTIO_MMIO_NUM; i++)
        if (pb->virtio.bus->slot[i])
            out[n++] = (AcpiVirtio){ PC_VIRTIO_BASE + (uint64_t)i * VIRTIO_MMIO_STRIDE,
                                     VIRTIO_MMIO_STRIDE, transport_gsi(i) };
    return n;
}

Machine *pc_create(const MachineConfig *cfg, char **err)
{
    if (!check_config(cfg, err))
        return NULL;
    if (!cfg->kernel && !cfg->restoring) {
        *err = g_strdup("no kernel given (use -kernel FILE)");
        return NULL;
    }
    Machine *m = machine_new(cfg, 0, err);
    if (!m)
        return NULL;
    PcBoard *pb = g_new0(PcBoard, 1);
    m->board = pb;
    m->board_destroy = pc_board_destroy;
    pb->ncpus = cfg->smp;
    for (int i = 0; i < cfg->smp; i++) {
        X86Cpu *c = x86_cpu_new(m, i);
        machine_add_cpu(m, c, &x86_cpu_class);
        pb->cpu[i] = c;
        pb->lapic[i] = lapic_new(m, i);
        c->lapic = pb->lapic[i];
    }
    lapic_connect(pb->lapic, pb->ncpus);
    if (add_devices(m, pb, err) < 0)
        goto fail;
    build_e820(pb, cfg->ram_size);
    fw_cfg_e820(pb);
    if (cfg->restoring)
        return m;             /* RAM and every core come from the snapshot */
    AcpiVirtio vio[ACPI_MAX_VIRTIO];
    acpi_build(m, pb->ncpus, IOAPIC_BASE, HPET_BASE, vio, acpi_virtio(pb, vio));
    if (pc_load_kernel(m, pb->e820, pb->ne820, PC_BIOS_LO, PC_BIOS_HI, &pb->load, err) < 0)
        goto fail;
    for (int i = 0; i < pb->ncpus; i++)
        x86_cpu_reset(pb->cpu[i], i == 0);
    if (pb->load.multiboot)
        x86_cpu_enter_multiboot(pb->cpu[0], (uint32_t)pb->load.entry, pb->load.info);
    else
        x86_cpu_enter_long(pb->cpu[0], pb->load.entry, pb->load.cr3);
    if (pb->load.bzimage)
        pb->cpu[0]->gpr[X86_RSI] = pb->load.boot_params;   /* the 64-bit boot protocol */
    return m;
fail:
    machine_free(m);
    return NULL;
}
