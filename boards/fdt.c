/* The `virt` board's device tree, with QEMU's node names, properties and phandle numbers
 * (hw/arm/virt.c), limited to the devices hvsim models. Built with libfdt's sequential-write
 * API, then opened read-write to patch /memory and /chosen the way QEMU's arm_load_dtb()
 * patches any DTB, generated or given with -dtb. */
#include <libfdt.h>
#include <string.h>
#include "boards/virt.h"
#include "devices/simplefb.h"

#define FDT_BUF_SIZE (64 * 1024)
#define FDT_PATCH_ROOM 4096
/* QEMU's phandle allocation: clock first, then the cores (last core first), then the GIC. */
#define PH_CLK 0x8000u
#define PH_CPU(cfg, i) (0x8000u + (uint32_t)(cfg)->smp - (uint32_t)(i))
#define PH_GIC(cfg) (0x8001u + (uint32_t)(cfg)->smp)
#define PH_ITS(cfg) (PH_GIC(cfg) + 1)             /* QEMU's msi_phandle, right after the GIC's */

/* GIC interrupt specifier types and flags (dt-bindings/interrupt-controller/arm-gic.h) */
enum { GIC_SPI = 0, GIC_PPI = 1, IRQ_LEVEL_HIGH = 4 };
/* Generic timer PPIs: secure physical, non-secure physical, virtual, hypervisor */
enum { PPI_TIMER_S = 13, PPI_TIMER_NS = 14, PPI_TIMER_VIRT = 11, PPI_TIMER_HYP = 10,
       PPI_GIC_MAINT = 9 };

static int prop_cells(void *fdt, const char *name, const uint32_t *v, int n)
{
    fdt32_t buf[16];
    for (int i = 0; i < n; i++)
        buf[i] = cpu_to_fdt32(v[i]);
    return fdt_property(fdt, name, buf, n * 4);
}

/* A string list ("a\0b\0c\0") from a NULL-terminated array. */
static int prop_strings(void *fdt, const char *name, const char *const *s)
{
    char buf[256];
    int len = 0;
    for (; *s; s++) {
        int l = (int)strlen(*s) + 1;
        memcpy(buf + len, *s, (size_t)l);
        len += l;
    }
    return fdt_property(fdt, name, buf, len);
}

static int reg2(void *fdt, const uint64_t *v, int n)
{
    uint32_t cells[16];
    for (int i = 0; i < n; i++) {
        cells[2 * i] = (uint32_t)(v[i] >> 32);
        cells[2 * i + 1] = (uint32_t)v[i];
    }
    return prop_cells(fdt, "reg", cells, 2 * n);
}

static const char *cpu_compatible(const char *model)
{
    /* QEMU's -cpu max reports itself as a Cortex-A57 in the DT (its dtb_compatible) */
    if (model && !strcmp(model, "cortex-a72"))
        return "arm,cortex-a72";
    return "arm,cortex-a57";
}

/* The GIC (QEMU's create_gic()): GICv3 with one redistributor region, or GICv2 with its
 * distributor, CPU interface and, with virtualization=on, the GICH and GICV frames; the
 * maintenance interrupt with virtualization=on. QEMU's GICv2 node also has a GICv2m MSI
 * frame child (for PCIe); hvsim has no PCIe and no GICv2m. */
static int gic_node(void *fdt, const MachineConfig *cfg)
{
    int r;
    char name[64];
#define T(x) do { if ((r = (x)) < 0) return r; } while (0)
    snprintf(name, sizeof name, "intc@%llx", (unsigned long long)VIRT_GIC_DIST_BASE);
    T(fdt_begin_node(fdt, name));
    T(fdt_property_cell(fdt, "phandle", PH_GIC(cfg)));
    if (cfg->virtualization) {
        uint32_t maint[3] = { GIC_PPI, PPI_GIC_MAINT, IRQ_LEVEL_HIGH };
        T(prop_cells(fdt, "interrupts", maint, 3));
    }
    if (cfg->gic_version == 2) {
        uint64_t greg[8] = { VIRT_GIC_DIST_BASE, VIRT_GIC_DIST_SIZE, VIRT_GIC_CPU_BASE,
                             VIRT_GIC_CPU_SIZE, VIRT_GIC_HYP_BASE, VIRT_GIC_HYP_SIZE,
                             VIRT_GIC_VCPU_BASE, VIRT_GIC_VCPU_SIZE };
        T(reg2(fdt, greg, cfg->virtualization ? 8 : 4));
        T(fdt_property_string(fdt, "compatible", "arm,cortex-a15-gic"));
    } else {
        /* one redistributor region; like QEMU, the whole window (room for 123 cores) */
        uint64_t greg[4] = { VIRT_GIC_DIST_BASE, VIRT_GIC_DIST_SIZE, VIRT_GIC_REDIST_BASE,
                             VIRT_GIC_REDIST_SIZE };
        T(reg2(fdt, greg, 4));
        T(fdt_property_cell(fdt, "#redistributor-regions", 1));
        T(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
    }
    T(fdt_property(fdt, "ranges", NULL, 0));
    T(fdt_property_cell(fdt, "#size-cells", 2));
    T(fdt_property_cell(fdt, "#address-cells", 2));
    T(fdt_property(fdt, "interrupt-controller", NULL, 0));
    T(fdt_property_cell(fdt, "#interrupt-cells", 3));
    if (machine_has_its(cfg)) {
        /* QEMU's create_its(): an MSI controller child of the GIC */
        uint64_t ireg[2] = { VIRT_GIC_ITS_BASE, VIRT_GIC_ITS_SIZE };
        snprintf(name, sizeof name, "its@%llx", (unsigned long long)VIRT_GIC_ITS_BASE);
        T(fdt_begin_node(fdt, name));
        T(fdt_property_cell(fdt, "phandle", PH_ITS(cfg)));
        T(reg2(fdt, ireg, 2));
        T(fdt_property_cell(fdt, "#msi-cells", 1));
        T(fdt_property(fdt, "msi-controller", NULL, 0));
        T(fdt_property_string(fdt, "compatible", "arm,gic-v3-its"));
        T(fdt_end_node(fdt));
    }
    T(fdt_end_node(fdt));
#undef T
    return 0;
}

/* Flags of a PPI specifier: level-high, and with a GICv2 the mask of the cores it reaches
 * (arm-gic binding: bits [15:8]), as QEMU writes it. */
static uint32_t ppi_flags(const MachineConfig *cfg)
{
    return IRQ_LEVEL_HIGH | (cfg->gic_version == 2 ? ((1u << cfg->smp) - 1) << 8 : 0);
}

static int build(void *fdt, const MachineConfig *cfg)
{
    int r = 0;
    char name[64];
#define T(x) do { if ((r = (x)) < 0) return r; } while (0)
    T(fdt_create(fdt, FDT_BUF_SIZE));
    T(fdt_finish_reservemap(fdt));
    T(fdt_begin_node(fdt, ""));
    T(fdt_property_cell(fdt, "interrupt-parent", PH_GIC(cfg)));
    T(fdt_property_string(fdt, "model", "linux,dummy-virt"));
    T(fdt_property_cell(fdt, "#size-cells", 2));
    T(fdt_property_cell(fdt, "#address-cells", 2));
    T(fdt_property_string(fdt, "compatible", "linux,dummy-virt"));

    /* PSCI 1.0 binding, plus the 0.1 function IDs QEMU also lists */
    T(fdt_begin_node(fdt, "psci"));
    T(fdt_property_cell(fdt, "migrate", 0xc4000005));
    T(fdt_property_cell(fdt, "cpu_on", 0xc4000003));
    T(fdt_property_cell(fdt, "cpu_off", 0x84000002));
    T(fdt_property_cell(fdt, "cpu_suspend", 0xc4000001));
    T(fdt_property_string(fdt, "method", cfg->virtualization ? "smc" : "hvc"));
    static const char *const psci_compat[] = { "arm,psci-1.0", "arm,psci-0.2", "arm,psci", NULL };
    T(prop_strings(fdt, "compatible", psci_compat));
    T(fdt_end_node(fdt));

    snprintf(name, sizeof name, "memory@%llx", (unsigned long long)VIRT_RAM_BASE);
    T(fdt_begin_node(fdt, name));
    uint64_t mem[2] = { VIRT_RAM_BASE, cfg->ram_size };
    T(reg2(fdt, mem, 2));
    T(fdt_property_string(fdt, "device_type", "memory"));
    T(fdt_end_node(fdt));

    snprintf(name, sizeof name, "pl011@%llx", (unsigned long long)VIRT_UART_BASE);
    T(fdt_begin_node(fdt, name));
    static const char *const clk_names[] = { "uartclk", "apb_pclk", NULL };
    T(prop_strings(fdt, "clock-names", clk_names));
    uint32_t clks[2] = { PH_CLK, PH_CLK };
    T(prop_cells(fdt, "clocks", clks, 2));
    uint32_t uirq[3] = { GIC_SPI, VIRT_UART_SPI, IRQ_LEVEL_HIGH };
    T(prop_cells(fdt, "interrupts", uirq, 3));
    uint64_t ureg[2] = { VIRT_UART_BASE, PL011_MMIO_SIZE };
    T(reg2(fdt, ureg, 2));
    static const char *const pl011_compat[] = { "arm,pl011", "arm,primecell", NULL };
    T(prop_strings(fdt, "compatible", pl011_compat));
    T(fdt_end_node(fdt));

    T(gic_node(fdt, cfg));

    T(fdt_begin_node(fdt, "cpus"));
    T(fdt_property_cell(fdt, "#size-cells", 0));
    T(fdt_property_cell(fdt, "#address-cells", 1));
    T(fdt_begin_node(fdt, "cpu-map"));
    T(fdt_begin_node(fdt, "socket0"));
    T(fdt_begin_node(fdt, "cluster0"));
    for (int i = 0; i < cfg->smp; i++) {
        snprintf(name, sizeof name, "core%d", i);
        T(fdt_begin_node(fdt, name));
        T(fdt_property_cell(fdt, "cpu", PH_CPU(cfg, i)));
        T(fdt_end_node(fdt));
    }
    T(fdt_end_node(fdt));
    T(fdt_end_node(fdt));
    T(fdt_end_node(fdt));
    for (int i = 0; i < cfg->smp; i++) {
        snprintf(name, sizeof name, "cpu@%d", i);
        T(fdt_begin_node(fdt, name));
        T(fdt_property_cell(fdt, "phandle", PH_CPU(cfg, i)));
        T(fdt_property_cell(fdt, "reg", (uint32_t)i));
        if (cfg->smp > 1)     /* QEMU names an enable method only with several cores */
            T(fdt_property_string(fdt, "enable-method", "psci"));
        T(fdt_property_string(fdt, "compatible", cpu_compatible(cfg->cpu_model)));
        T(fdt_property_string(fdt, "device_type", "cpu"));
        T(fdt_end_node(fdt));
    }
    T(fdt_end_node(fdt));

    T(fdt_begin_node(fdt, "timer"));
    /* Every timer the model has: with FEAT_VHE (-cpu max and EL2) also the EL2 virtual
     * timer (PPI 28), which QEMU 7.2 leaves out (arm,armv8-timer binding, 5th entry). */
    uint32_t pf = ppi_flags(cfg);
    uint32_t tirq[15] = { GIC_PPI, PPI_TIMER_S, pf, GIC_PPI, PPI_TIMER_NS, pf,
                          GIC_PPI, PPI_TIMER_VIRT, pf, GIC_PPI, PPI_TIMER_HYP, pf,
                          GIC_PPI, 28 - 16, pf };
    bool vhe = cfg->virtualization && cfg->cpu_model && !strcmp(cfg->cpu_model, "max");
    T(prop_cells(fdt, "interrupts", tirq, vhe ? 15 : 12));
    T(fdt_property(fdt, "always-on", NULL, 0));
    static const char *const timer_compat[] = { "arm,armv8-timer", "arm,armv7-timer", NULL };
    T(prop_strings(fdt, "compatible", timer_compat));
    T(fdt_end_node(fdt));

    /* PMUv3 overflow interrupt: PPI 23 (as QEMU's virt) */
    T(fdt_begin_node(fdt, "pmu"));
    uint32_t pirq[3] = { GIC_PPI, 23 - 16, pf };
    T(prop_cells(fdt, "interrupts", pirq, 3));
    T(fdt_property_string(fdt, "compatible", "arm,armv8-pmuv3"));
    T(fdt_end_node(fdt));

    T(fdt_begin_node(fdt, "apb-pclk"));
    T(fdt_property_cell(fdt, "phandle", PH_CLK));
    T(fdt_property_string(fdt, "clock-output-names", "clk24mhz"));
    T(fdt_property_cell(fdt, "clock-frequency", 24000000));
    T(fdt_property_cell(fdt, "#clock-cells", 0));
    T(fdt_property_string(fdt, "compatible", "fixed-clock"));
    T(fdt_end_node(fdt));

    T(virt_fdt_devices(fdt));
    T(simplefb_fdt(fdt, cfg, VIRT_RAM_BASE));

    T(fdt_begin_node(fdt, "chosen"));
    snprintf(name, sizeof name, "/pl011@%llx", (unsigned long long)VIRT_UART_BASE);
    T(fdt_property_string(fdt, "stdout-path", name));
    T(virt_fdt_seeds(fdt, cfg));
    T(fdt_end_node(fdt));

    T(fdt_end_node(fdt));
    T(fdt_finish(fdt));
#undef T
    return 0;
}

void *virt_fdt_generate(const MachineConfig *cfg, char **err)
{
    void *fdt = g_malloc0(FDT_BUF_SIZE);
    int r = build(fdt, cfg);
    if (r < 0) {
        *err = g_strdup_printf("cannot build the device tree: %s", fdt_strerror(r));
        g_free(fdt);
        return NULL;
    }
    return fdt;
}

void *virt_fdt_load(const char *path, char **err)
{
    gchar *buf = NULL;
    gsize len = 0;
    GError *ge = NULL;
    if (!g_file_get_contents(path, &buf, &len, &ge)) {
        *err = g_strdup_printf("cannot read DTB: %s", ge->message);
        g_error_free(ge);
        return NULL;
    }
    int r = len < sizeof(struct fdt_header) ? -FDT_ERR_TRUNCATED : fdt_check_header(buf);
    if (r == 0 && fdt_totalsize(buf) > len)
        r = -FDT_ERR_TRUNCATED;
    if (r == 0)
        r = fdt_check_full(buf, len);
    if (r < 0) {
        *err = g_strdup_printf("%s: not a valid device tree blob (%s)", path, fdt_strerror(r));
        g_free(buf);
        return NULL;
    }
    return buf;
}

/* A --dtb-overlay file: a valid blob with at least one fragment (an overlay compiled by
 * `dtc -@` from "/plugin/;" source). */
static void *load_overlay(const char *path, char **err)
{
    void *ov = virt_fdt_load(path, err);
    if (ov && fdt_subnode_offset(ov, 0, "fragment@0") < 0) {
        *err = g_strdup_printf("--dtb-overlay %s: not a device tree overlay (no /fragment@0; "
                               "compile \"/plugin/;\" source with dtc -@)", path);
        g_free(ov);
        return NULL;
    }
    return ov;
}

int virt_fdt_finish(void **fdtp, const MachineConfig *cfg, uint64_t ram_base,
                    uint64_t initrd_start, uint64_t initrd_size, const GuestModules *mods,
                    const char *what, char **err)
{
    void *old = *fdtp;
    void *overlay = NULL;
    if (cfg->dtb_overlay && !(overlay = load_overlay(cfg->dtb_overlay, err)))
        return -1;
    int size = (int)fdt_totalsize(old) + FDT_PATCH_ROOM +
               (cfg->append ? (int)strlen(cfg->append) : 0) +
               (mods ? guest_loader_fdt_room(mods) : 0) +
               (overlay ? (int)fdt_totalsize(overlay) : 0);
    void *fdt = g_malloc0((size_t)size);
    int r = fdt_open_into(old, fdt, size);
    const char *step = "open";
    if (r < 0)
        goto fail;
    step = "read #address-cells/#size-cells of";
    const fdt32_t *ac = fdt_getprop(fdt, 0, "#address-cells", NULL);
    const fdt32_t *sc = fdt_getprop(fdt, 0, "#size-cells", NULL);
    uint32_t acells = ac ? fdt32_ld(ac) : 0, scells = sc ? fdt32_ld(sc) : 0;
    if (acells < 1 || acells > 2 || scells < 1 || scells > 2) {
        r = -FDT_ERR_BADNCELLS;
        goto fail;
    }
    step = "set /memory reg in";
    int mem = fdt_path_offset(fdt, "/memory");
    if (mem < 0) {
        r = mem;
        goto fail;
    }
    fdt32_t cells[4];
    int n = 0;
    if (acells == 2)
        cells[n++] = cpu_to_fdt32((uint32_t)(ram_base >> 32));
    cells[n++] = cpu_to_fdt32((uint32_t)ram_base);
    if (scells == 2)
        cells[n++] = cpu_to_fdt32((uint32_t)(cfg->ram_size >> 32));
    cells[n++] = cpu_to_fdt32((uint32_t)cfg->ram_size);
    if ((r = fdt_setprop(fdt, mem, "reg", cells, n * 4)) < 0)
        goto fail;
    step = "add /chosen to";
    int chosen = fdt_path_offset(fdt, "/chosen");
    if (chosen < 0)
        chosen = fdt_add_subnode(fdt, 0, "chosen");
    if (chosen < 0) {
        r = chosen;
        goto fail;
    }
    step = "set /chosen properties in";
    if (cfg->append && *cfg->append &&
        (r = fdt_setprop_string(fdt, chosen, "bootargs", cfg->append)) < 0)
        goto fail;
    if (initrd_size) {
        uint64_t end = initrd_start + initrd_size;
        if (acells == 2) {
            if ((r = fdt_setprop_u64(fdt, chosen, "linux,initrd-start", initrd_start)) < 0 ||
                (r = fdt_setprop_u64(fdt, chosen, "linux,initrd-end", end)) < 0)
                goto fail;
        } else if ((r = fdt_setprop_u32(fdt, chosen, "linux,initrd-start", (uint32_t)initrd_start)) < 0 ||
                   (r = fdt_setprop_u32(fdt, chosen, "linux,initrd-end", (uint32_t)end)) < 0) {
            goto fail;
        }
    }
    /* unlike QEMU, also in a -dtb blob: QEMU adds them to its generated tree, which -dtb
     * replaces, so a hypervisor booted with -dtb there finds no modules */
    step = "add /chosen/module nodes to";
    if (mods && (r = guest_loader_fdt(fdt, chosen, mods)) < 0)
        goto fail;
    /* last, so that the overlay may also change what hvsim put in */
    step = "apply --dtb-overlay to";
    if (overlay && (r = fdt_overlay_apply(fdt, overlay)) < 0)
        goto fail;
    if ((r = fdt_pack(fdt)) < 0)
        goto fail;
    g_free(overlay);
    g_free(old);
    *fdtp = fdt;
    return 0;
fail:
    *err = g_strdup_printf("cannot %s the device tree %s: %s", step, what, fdt_strerror(r));
    g_free(overlay);
    g_free(fdt);
    return -1;
}
