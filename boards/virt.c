/* The `virt` board: what `-M virt -m SIZE -kernel FILE` turns into a running machine.
 *
 * Boot protocol (as QEMU's hw/arm/boot.c without firmware):
 *  - ELF: loaded at its physical addresses, entry e_entry, x0 = 0 (QEMU treats ELF images
 *    as bare-metal, not Linux). The DTB goes to the start of RAM when the image does not
 *    start there (it must fit below the image); otherwise after the image, 2 MiB aligned
 *    (QEMU places none then). Only segments in RAM count: an ELF whose headers land in the
 *    flash window still gets its DTB at RAM base. Our DTB is packed (a few KiB), QEMU's is
 *    padded to 1 MiB, so ours fits below images QEMU would boot without one.
 *  - Linux arm64 Image or raw binary: entry = load address, x0 = DTB address, x1..x3 = 0;
 *    the DTB after the initrd (or where the initrd would go), 2 MiB aligned.
 *  - Core 0 starts at EL1, or at EL2 with virtualization=on; the others are off until
 *    PSCI CPU_ON (boards/psci.c).
 *  - MMIO map and interrupt numbers: QEMU's. GICv3 distributor and redistributors, or with
 *    gic-version=2 a GICv2 (distributor, CPU interface, GICH and GICV), PL011 on
 *    SPI 1 (INTID 33), generic timers on PPIs 30 (EL1 physical), 27 (EL1 virtual),
 *    26 (EL2 physical), 28 (EL2 virtual), GIC maintenance interrupt PPI 25. */
#include "boards/virt.h"
#include "core/outfile.h"
#include <libfdt.h>
#include <string.h>
#include "cpu/arm64/cpu.h"
#include "devices/arch_timer.h"
#include "devices/gicv2.h"
#include "devices/gicv3.h"
#include "devices/simplefb.h"
#include "hypervisor-model/vmexit.h"

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* The flash banks, as plain read-only memory: reads return what an ELF put there (or zero),
 * writes are ignored. Mapped as MMIO so that the cores never fetch instructions from it
 * (they fetch from RAM only). No CFI command set yet. */
static uint64_t flash_read(void *opaque, uint64_t off, unsigned size)
{
    const LoaderRom *f = opaque;
    uint64_t v = 0;
    if (f->data && off + size <= f->size)
        memcpy(&v, f->data + off, size);   /* little-endian host */
    return v;
}

static void flash_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
}

static const MmioOps flash_ops = { flash_read, flash_write };

static void virt_board_destroy(void *opaque)
{
    VirtBoard *vb = opaque;
    g_free(vb->flash.data);
    pl011_free(vb->uart);
    virt_free_devices(vb);
    guest_loader_free(&vb->modules);
    gicv3_free(vb->gic);
    gicv2_free(vb->gicv2);
    hvm_free(vb->hvm);
    g_free(vb->dtb);
    g_free(vb);
}

/* The DTB the machine boots with: generated, or -dtb FILE; patched with /memory, bootargs
 * and the initrd range. */
static void *make_dtb(const MachineConfig *cfg, uint64_t initrd_start, uint64_t initrd_size,
                      const GuestModules *mods, char **err)
{
    void *fdt = cfg->dtb ? virt_fdt_load(cfg->dtb, err) : virt_fdt_generate(cfg, err);
    if (!fdt)
        return NULL;
    g_autofree char *what = cfg->dtb ? g_strdup_printf("from %s", cfg->dtb) : g_strdup("(generated)");
    if (virt_fdt_finish(&fdt, cfg, VIRT_RAM_BASE, initrd_start, initrd_size, mods, what, err) < 0) {
        g_free(fdt);
        return NULL;
    }
    return fdt;
}

static bool check_config(const MachineConfig *cfg, char **err)
{
    if (cfg->board && strcmp(cfg->board, "virt") != 0) {
        *err = g_strdup_printf("unknown machine '%s' (available: virt)", cfg->board);
        return false;
    }
    if (cfg->smp < 1 || cfg->smp > MACHINE_MAX_CPUS) {
        *err = g_strdup_printf("-smp %d: want a number of cores from 1 to %d", cfg->smp,
                               MACHINE_MAX_CPUS);
        return false;
    }
    if (cfg->gic_version != 2 && cfg->gic_version != 3) {
        *err = g_strdup_printf("gic-version=%d: want 2 or 3", cfg->gic_version);
        return false;
    }
    if (cfg->cpu_model && !a64_cpu_model_known(cfg->cpu_model)) {
        *err = g_strdup_printf("unknown CPU model '%s' (available: " A64_CPU_MODELS ")",
                               cfg->cpu_model);
        return false;
    }
    return virt_check_devices(cfg, err) && guest_loader_check(cfg, err);
}

/* -device simplefb: the frame is the top of RAM (devices/simplefb.h). Refused when RAM is too
 * small for it or when what the loader placed (image, initrd, DTB) reaches into it: the guest
 * would be told that memory is the frame's. `used_end` is the end of the loaded data (0 when
 * restoring). */
static int add_framebuffer(Machine *m, uint64_t used_end, char **err)
{
    uint64_t carve;
    if (!simplefb_surface(&m->cfg, m->ram_base, &m->display, &carve))
        return 0;
    if (carve >= m->ram_size / 2) {
        *err = g_strdup_printf("-device simplefb: the %ux%u frame needs %llu MiB at the top of "
                               "RAM, more than half of -m; use a larger -m", m->display.width,
                               m->display.height, (unsigned long long)(carve >> 20));
        return -1;
    }
    if (used_end > m->display.pa) {
        *err = g_strdup_printf("-device simplefb: the kernel, initrd and DTB reach 0x%llx, into "
                               "the frame at 0x%llx (the top %llu MiB of RAM); use a larger -m",
                               (unsigned long long)used_end, (unsigned long long)m->display.pa,
                               (unsigned long long)(carve >> 20));
        return -1;
    }
    return 0;
}

/* Chooses where the DTB goes (see the top of this file). */
static int place_dtb(Machine *m, VirtBoard *vb, char **err)
{
    const LoadInfo *li = &vb->load;
    uint64_t end = m->ram_base + m->ram_size;
    uint64_t size = vb->dtb_size;
    if (li->kind == KERNEL_ELF && li->low > m->ram_base) {
        if (m->ram_base + size > li->low) {
            *err = g_strdup_printf("%s: the %llu-byte DTB does not fit in RAM below the image "
                                   "(which starts at 0x%llx)", m->cfg.kernel,
                                   (unsigned long long)size, (unsigned long long)li->low);
            return -1;
        }
        vb->dtb_addr = m->ram_base;
    } else if (li->kind == KERNEL_ELF) {
        vb->dtb_addr = align_up(li->high, VIRT_DTB_ALIGN);
    } else {
        vb->dtb_addr = align_up(li->initrd_start + li->initrd_size, VIRT_DTB_ALIGN);
    }
    if (vb->dtb_addr >= end || size > end - vb->dtb_addr) {
        *err = g_strdup_printf("%s: not enough RAM for the DTB after the kernel and initrd "
                               "(it would start at 0x%llx); use a larger -m", m->cfg.kernel,
                               (unsigned long long)vb->dtb_addr);
        return -1;
    }
    /* the DTB goes where QEMU puts it; a guest-loader or loader image there is refused, as
     * QEMU refuses overlapping images */
    const GuestModule *o = guest_loader_overlap(&vb->modules, vb->dtb_addr, size);
    if (o) {
        *err = g_strdup_printf("-device %s: %s at 0x%llx overlaps the DTB at 0x%llx-0x%llx",
                               o->kind == GUEST_MODULE_RAW ? "loader" : "guest-loader", o->file,
                               (unsigned long long)o->addr,
                               (unsigned long long)vb->dtb_addr,
                               (unsigned long long)(vb->dtb_addr + size - 1));
        return -1;
    }
    loader_copy(m, vb->dtb_addr, vb->dtb, size);
    return 0;
}

IrqLine virt_spi_line(VirtBoard *vb, int intid)
{
    return vb->gicv2 ? gicv2_spi_line(vb->gicv2, intid) : gicv3_spi_line(vb->gic, intid);
}

IrqLine virt_ppi_line(VirtBoard *vb, int cpu, int intid)
{
    return vb->gicv2 ? gicv2_ppi_line(vb->gicv2, cpu, intid) : gicv3_ppi_line(vb->gic, cpu, intid);
}

/* The GIC cfg->gic_version names, at QEMU's addresses, wired to every core's interrupt
 * inputs. A GICv2 gets its virtualization extension (GICH, GICV) with virtualization=on,
 * as on QEMU. */
static int add_gic(Machine *m, VirtBoard *vb, char **err)
{
    const MachineConfig *cfg = &m->cfg;
    IrqLine lines[MACHINE_MAX_CPUS][4];
    for (int i = 0; i < cfg->smp; i++) {
        Arm64Cpu *c = m->cpus[i].obj;
        static const int which[4] = { A64_LINE_IRQ, A64_LINE_FIQ, A64_LINE_VIRQ, A64_LINE_VFIQ };
        for (int k = 0; k < 4; k++)
            lines[i][k] = (IrqLine){ a64_cpu_set_line, c, which[k] };
    }
    if (cfg->gic_version == 2) {
        GicV2Map map = { VIRT_GIC_DIST_BASE, VIRT_GIC_CPU_BASE,
                         cfg->virtualization ? VIRT_GIC_HYP_BASE : 0, VIRT_GIC_VCPU_BASE };
        vb->gicv2 = gicv2_new(m, cfg->smp, &map);
        if (!vb->gicv2) {
            *err = g_strdup("cannot map the GICv2 on the bus");
            return -1;
        }
        for (int i = 0; i < cfg->smp; i++)
            gicv2_connect_cpu(vb->gicv2, i, lines[i][0], lines[i][1], lines[i][2], lines[i][3]);
        return 0;
    }
    uint64_t mpidr[MACHINE_MAX_CPUS];
    for (int i = 0; i < cfg->smp; i++)
        mpidr[i] = ((Arm64Cpu *)m->cpus[i].obj)->mpidr;
    vb->gic = gicv3_new(m, cfg->smp, mpidr, VIRT_GIC_DIST_BASE, VIRT_GIC_REDIST_BASE);
    if (!vb->gic) {
        *err = g_strdup("cannot map the GICv3 on the bus");
        return -1;
    }
    for (int i = 0; i < cfg->smp; i++)
        gicv3_connect_cpu(vb->gic, i, lines[i][0], lines[i][1], lines[i][2], lines[i][3]);
    if (machine_has_its(cfg) && !gicv3_its_new(m, vb->gic, VIRT_GIC_ITS_BASE)) {
        *err = g_strdup("cannot map the GICv3 ITS on the bus");
        return -1;
    }
    return 0;
}

Machine *virt_create(const MachineConfig *cfg, char **err)
{
    if (!check_config(cfg, err))
        return NULL;
    if (!cfg->kernel && !cfg->restoring) {
        *err = g_strdup("no kernel given (use -kernel FILE)");
        return NULL;
    }
    Machine *m = machine_new(cfg, VIRT_RAM_BASE, err);
    if (!m)
        return NULL;
    VirtBoard *vb = g_new0(VirtBoard, 1);
    m->board = vb;
    m->board_destroy = virt_board_destroy;

    for (int i = 0; i < cfg->smp; i++) {
        Arm64Cpu *c = a64_cpu_new(m, i);   /* MPIDR.Aff0 = i, powered off */
        machine_add_cpu(m, c, &a64_cpu_class);
    }
    vb->flash.base = VIRT_FLASH_BASE;
    vb->flash.size = VIRT_FLASH_SIZE;
    bus_add_mmio(&m->bus, "flash", VIRT_FLASH_BASE, VIRT_FLASH_SIZE, &flash_ops, &vb->flash);
    machine_add_memory(m, "flash", VIRT_FLASH_BASE, VIRT_FLASH_SIZE, &vb->flash.data);
    if (add_gic(m, vb, err) < 0)
        goto fail;
    vb->hvm = hvm_new(m);
    for (int i = 0; i < cfg->smp; i++) {
        Arm64Cpu *c = m->cpus[i].obj;
        c->gic = vb->gic;     /* the ICC_* System registers: GICv3 only */
        c->hvm = vb->hvm;
        arch_timer_connect(c->timers, ATIMER_PHYS, virt_ppi_line(vb, i, ATIMER_PPI_PHYS));
        arch_timer_connect(c->timers, ATIMER_VIRT, virt_ppi_line(vb, i, ATIMER_PPI_VIRT));
        arch_timer_connect(c->timers, ATIMER_HYP_PHYS, virt_ppi_line(vb, i, ATIMER_PPI_HYP_PHYS));
        arch_timer_connect(c->timers, ATIMER_HYP_VIRT, virt_ppi_line(vb, i, ATIMER_PPI_HYP_VIRT));
        a64_pmu_connect(&c->pmu, virt_ppi_line(vb, i, A64_PMU_PPI));
    }
    /* the host's input goes to one console: a virtio console when there is one */
    vb->uart = pl011_new(m, "uart0", VIRT_UART_BASE, virt_has_virtconsole(cfg) ? -1 : 0);
    if (!vb->uart) {
        *err = g_strdup("cannot map the PL011 on the bus");
        goto fail;
    }
    pl011_connect_irq(vb->uart, virt_spi_line(vb, 32 + VIRT_UART_SPI));
    m->code_written = a64_invalidate_code_page;   /* device DMA over decoded code */
    if (virt_add_devices(m, vb, err) < 0)
        goto fail;
    if (cfg->restoring) {
        if (add_framebuffer(m, 0, err) < 0)
            goto fail;
        return m;             /* RAM, flash and every core come from the snapshot */
    }
    if (loader_load_kernel(m, cfg->kernel, &vb->flash, &vb->load, err) < 0)
        goto fail;
    if (loader_load_initrd(m, cfg->initrd, &vb->load, err) < 0)
        goto fail;
    if (guest_loader_load(m, &vb->load, &vb->modules, err) < 0)
        goto fail;
    vb->dtb = make_dtb(cfg, vb->load.initrd_start, vb->load.initrd_size, &vb->modules, err);
    if (!vb->dtb)
        goto fail;
    vb->dtb_size = fdt_totalsize(vb->dtb);
    if (place_dtb(m, vb, err) < 0)
        goto fail;
    uint64_t used = vb->load.high;
    if (vb->load.initrd_size && vb->load.initrd_start + vb->load.initrd_size > used)
        used = vb->load.initrd_start + vb->load.initrd_size;
    if (guest_loader_end(&vb->modules) > used)
        used = guest_loader_end(&vb->modules);
    if (add_framebuffer(m, used > vb->dtb_addr + vb->dtb_size ? used : vb->dtb_addr + vb->dtb_size,
                        err) < 0)
        goto fail;

    Arm64Cpu *boot = m->cpus[0].obj;
    a64_cpu_reset(boot, vb->load.entry, cfg->virtualization ? 2 : 1);
    if (vb->load.kind != KERNEL_ELF)
        boot->x[0] = vb->dtb_addr;   /* Linux boot protocol: x0 = DTB, x1..x3 = 0 */
    return m;
fail:
    machine_free(m);
    return NULL;
}

int virt_dump_dtb(const MachineConfig *cfg, bool force, char **err)
{
    void *fdt;
    Machine *m = NULL;
    if (!check_config(cfg, err))
        return -1;
    if (cfg->kernel) {
        /* as QEMU: the DTB after loading, with the initrd range and bootargs */
        m = virt_create(cfg, err);
        if (!m)
            return -1;
        fdt = ((VirtBoard *)m->board)->dtb;
    } else if (cfg->guest_loaders) {
        *err = g_strdup("-device guest-loader and loader need -kernel (the hypervisor whose "
                        "guests they load)");
        return -1;
    } else {
        fdt = make_dtb(cfg, 0, 0, NULL, err);
        if (!fdt)
            return -1;
    }
    /* the blob is complete before the file is opened: a bad input creates no file */
    int rc = outfile_write(cfg->dumpdtb, fdt, fdt_totalsize(fdt), force, err) ? 0 : -1;
    if (m)
        machine_free(m);
    else
        g_free(fdt);
    return rc;
}
