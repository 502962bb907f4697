/* The `virt` board's optional and Linux-facing devices: the PL031 RTC (always there, as on
 * QEMU's virt), the 32 virtio-mmio transports and the devices plugged into them from
 * -drive/-device (boards/virtio_devices.c), and their device tree nodes with /chosen's
 * rng-seed and kaslr-seed.
 * Kept apart from virt.c and fdt.c so that each board file calls one function here. */
#include <libfdt.h>
#include <string.h>
#include "boards/virt.h"
#include "devices/pl031.h"

/* GIC interrupt specifier (dt-bindings/interrupt-controller/arm-gic.h) */
enum { DT_GIC_SPI = 0, DT_IRQ_EDGE_RISING = 1, DT_IRQ_LEVEL_HIGH = 4 };
#define PH_CLK 0x8000u        /* fdt.c's clock phandle (QEMU's first) */

bool virt_check_devices(const MachineConfig *cfg, char **err)
{
    return virtio_devices_check(cfg->devices, NULL, NULL, err);
}

bool virt_has_virtconsole(const MachineConfig *cfg)
{
    return virtio_devices_have_console(cfg->devices);
}

/* Transport n's interrupt: SPI 16 + n (QEMU's virt). */
static IrqLine transport_irq(void *opaque, int n)
{
    return virt_spi_line(opaque, 32 + VIRT_MMIO_SPI + n);
}

int virt_add_devices(Machine *m, VirtBoard *vb, char **err)
{
    VirtDevices *dv = &vb->dev;
    dv->rtc = pl031_new(m, "rtc", VIRT_RTC_BASE, m->cfg.rtc_epoch);
    if (!dv->rtc) {
        *err = g_strdup("cannot map the PL031 on the bus");
        return -1;
    }
    pl031_connect_irq(dv->rtc, virt_spi_line(vb, 32 + VIRT_RTC_SPI));
    return virtio_devices_add(m, &dv->virtio, VIRT_MMIO_BASE, transport_irq, vb, err);
}

bool virt_writeback_drives(Machine *m, char **err)
{
    VirtBoard *vb = m->board;
    return virtio_devices_writeback(&vb->dev.virtio, err);
}

void virt_free_devices(VirtBoard *vb)
{
    virtio_devices_free(&vb->dev.virtio);
    pl031_free(vb->dev.rtc);
}

/* ---- device tree ------------------------------------------------------------------------ */

static int prop_cells(void *fdt, const char *name, const uint32_t *v, int n)
{
    fdt32_t buf[8];
    for (int i = 0; i < n; i++)
        buf[i] = cpu_to_fdt32(v[i]);
    return fdt_property(fdt, name, buf, n * 4);
}

/* SHA-256(seed || label): /chosen's seeds, so one --seed gives one KASLR offset. */
static void seed_bytes(uint64_t seed, const char *label, uint8_t out[32])
{
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    uint8_t le[8];
    for (int k = 0; k < 8; k++)
        le[k] = (uint8_t)(seed >> (8 * k));
    g_checksum_update(ck, le, 8);
    g_checksum_update(ck, (const guchar *)label, (gssize)strlen(label));
    gsize len = 32;
    g_checksum_get_digest(ck, out, &len);
    g_checksum_free(ck);
}

int virt_fdt_devices(void *fdt)
{
    int r;
    char name[64];
#define T(x) do { if ((r = (x)) < 0) return r; } while (0)
    /* QEMU's create_rtc() */
    snprintf(name, sizeof name, "pl031@%llx", (unsigned long long)VIRT_RTC_BASE);
    T(fdt_begin_node(fdt, name));
    T(fdt_property_string(fdt, "clock-names", "apb_pclk"));
    T(fdt_property_cell(fdt, "clocks", PH_CLK));
    uint32_t rirq[3] = { DT_GIC_SPI, VIRT_RTC_SPI, DT_IRQ_LEVEL_HIGH };
    T(prop_cells(fdt, "interrupts", rirq, 3));
    uint32_t rreg[4] = { 0, (uint32_t)VIRT_RTC_BASE, 0, PL031_MMIO_SIZE };
    T(prop_cells(fdt, "reg", rreg, 4));
    T(fdt_property(fdt, "compatible", "arm,pl031\0arm,primecell", sizeof "arm,pl031\0arm,primecell"));
    T(fdt_end_node(fdt));

    /* QEMU's create_virtio_devices(): every transport, populated or not, lowest address
     * first; edge-triggered SPIs 16..47 */
    for (int n = 0; n < VIRTIO_MMIO_NUM; n++) {
        uint64_t base = VIRT_MMIO_BASE + (uint64_t)n * VIRTIO_MMIO_STRIDE;
        snprintf(name, sizeof name, "virtio_mmio@%llx", (unsigned long long)base);
        T(fdt_begin_node(fdt, name));
        T(fdt_property(fdt, "dma-coherent", NULL, 0));
        uint32_t irq[3] = { DT_GIC_SPI, VIRT_MMIO_SPI + (uint32_t)n, DT_IRQ_EDGE_RISING };
        T(prop_cells(fdt, "interrupts", irq, 3));
        uint32_t reg[4] = { 0, (uint32_t)base, 0, VIRTIO_MMIO_STRIDE };
        T(prop_cells(fdt, "reg", reg, 4));
        T(fdt_property_string(fdt, "compatible", "virtio,mmio"));
        T(fdt_end_node(fdt));
    }
#undef T
    return 0;
}

int virt_fdt_seeds(void *fdt, const MachineConfig *cfg)
{
    int r;
    uint8_t rng[32], kaslr[32];
    seed_bytes(cfg->seed, "rng-seed", rng);
    seed_bytes(cfg->seed, "kaslr-seed", kaslr);
    /* QEMU: 32 bytes of rng-seed and a 64-bit kaslr-seed (two cells) */
    if ((r = fdt_property(fdt, "rng-seed", rng, sizeof rng)) < 0)
        return r;
    uint64_t k;
    memcpy(&k, kaslr, 8);
    return fdt_property_u64(fdt, "kaslr-seed", k);
}
