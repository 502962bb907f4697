/* GICv2 distributor (IHI 0048B 4.3, GICD_*) plus the object's life cycle, state descriptions
 * and interrupt inputs.
 *
 * The SGI and PPI registers (IGROUPR0, I[SC]ENABLER0, I[SC]PENDR0, I[SC]ACTIVER0,
 * IPRIORITYR0-7, ITARGETSR0-7, ICFGR1) are banked per core (4.3: "banked"); the core making
 * the access picks the copy. SGIs are pending per source core (GICD_SGIR, GICD_[SC]PENDSGIR).
 * Implementation choices, as the GIC-400 makes them: SGIs are always enabled
 * (GICD_ISENABLER0[15:0] RAO/WI) and always edge-triggered (GICD_ICFGR0 reads 0xaaaaaaaa);
 * PPI trigger modes are programmable. Access sizes: 32-bit everywhere, bytes as well for
 * IPRIORITYR, ITARGETSR and [SC]PENDSGIR (4.1.4); anything else is a guest error, RAZ/WI. */
#include "devices/gicv2_internal.h"
#include <string.h>

/* GICD_IIDR: the GIC-400's (implementer Arm, product 0x02, r0p1) */
#define GICD_IIDR_VALUE 0x0200143bu
/* PIDR4..7, PIDR0..3, CIDR0..3 (0xfd0..0xffc): PIDR2.ArchRev = 2 (GICv2) */
static const uint8_t gicv2_id[12] = { 0x04, 0, 0, 0, 0x90, 0xb4, 0x2b, 0, 0x0d, 0xf0, 0x05, 0xb1 };

static const StateField gicv2_fields[] = {
    STATE_FIELD(GicV2, ctlr, V_ANY),
    STATE_ARRAY(GicV2, group, V_ANY),
    STATE_ARRAY(GicV2, enable, V_ANY),
    STATE_ARRAY(GicV2, pend, V_ANY),
    STATE_ARRAY(GicV2, level, V_ANY),
    STATE_ARRAY(GicV2, active, V_ANY),
    STATE_ARRAY(GicV2, edge, V_ANY),
    STATE_ARRAY(GicV2, prio, V_ANY),
    STATE_ARRAY(GicV2, targets, V_ANY),
    STATE_RUNTIME(GicV2, pad_),
    STATE_RUNTIME(GicV2, m),
    STATE_RUNTIME(GicV2, ncpus),
    STATE_RUNTIME(GicV2, has_virt),
    STATE_RUNTIME(GicV2, cpu),        /* each its own object "gic.cpuN" */
    STATE_RUNTIME(GicV2, out),
};
const StateDesc gicv2_state_desc = STATE_DESC("gicv2", GicV2, gicv2_fields);

static const StateField gicv2_cpu_fields[] = {
    STATE_FIELD(GicV2Cpu, group, V_ANY),
    STATE_FIELD(GicV2Cpu, enable, V_ANY),
    STATE_FIELD(GicV2Cpu, pend, V_ANY),
    STATE_FIELD(GicV2Cpu, level, V_ANY),
    STATE_FIELD(GicV2Cpu, active, V_ANY),
    STATE_FIELD(GicV2Cpu, edge, V_ANY),
    STATE_ARRAY(GicV2Cpu, prio, V_ANY),
    STATE_ARRAY(GicV2Cpu, sgi_src, V_ANY),
    STATE_FIELD(GicV2Cpu, ctlr, V_ANY),
    STATE_FIELD(GicV2Cpu, pmr, V_ANY),
    STATE_FIELD(GicV2Cpu, bpr, V_RANGE(0, 7)),
    STATE_FIELD(GicV2Cpu, abpr, V_RANGE(0, 7)),
    STATE_FIELD(GicV2Cpu, apr, V_ANY),
    STATE_FIELD(GicV2Cpu, hcr, V_ANY),
    STATE_FIELD(GicV2Cpu, vmcr, V_ANY),
    STATE_FIELD(GicV2Cpu, vapr, V_ANY),
    STATE_ARRAY(GicV2Cpu, lr, V_ANY),
    STATE_DERIVED(GicV2Cpu, out_level),
};
const StateDesc gicv2_cpu_state_desc = STATE_DESC("gicv2-cpu", GicV2Cpu, gicv2_cpu_fields);

/* ---- routing ------------------------------------------------------------------------------ */

/* GICD_ITARGETSR (4.3.12): in a uniprocessor GIC the registers are RAZ/WI and every SPI goes
 * to the one core. Bits of cores that do not exist are ignored. */
uint32_t gicv2_spi_targets(const GicV2 *g, int intid)
{
    if (g->ncpus == 1)
        return 1;
    return g->targets[intid] & ((1u << g->ncpus) - 1);
}

/* ---- MMIO --------------------------------------------------------------------------------- */

enum {
    GICD_CTLR = 0x000, GICD_TYPER = 0x004, GICD_IIDR = 0x008,
    GICD_IGROUPR = 0x080, GICD_ISENABLER = 0x100, GICD_ICENABLER = 0x180,
    GICD_ISPENDR = 0x200, GICD_ICPENDR = 0x280, GICD_ISACTIVER = 0x300,
    GICD_ICACTIVER = 0x380, GICD_IPRIORITYR = 0x400, GICD_ITARGETSR = 0x800,
    GICD_ICFGR = 0xc00, GICD_SGIR = 0xf00, GICD_CPENDSGIR = 0xf10, GICD_SPENDSGIR = 0xf20,
    GICD_ID = 0xfd0,
};

#define SGI_MASK 0xffffu

/* The banked word 0 of a bitmap register set, for the accessing core. */
static uint32_t *banked_bitmap(GicV2Cpu *c, uint64_t set)
{
    switch (set) {
    case GICD_IGROUPR: return &c->group;
    case GICD_ISENABLER: case GICD_ICENABLER: return &c->enable;
    case GICD_ISPENDR: case GICD_ICPENDR: return &c->pend;
    default: return &c->active;
    }
}

static uint32_t *spi_bitmap(GicV2 *g, uint64_t set)
{
    switch (set) {
    case GICD_IGROUPR: return g->group;
    case GICD_ISENABLER: case GICD_ICENABLER: return g->enable;
    case GICD_ISPENDR: case GICD_ICPENDR: return g->pend;
    default: return g->active;
    }
}

static uint32_t sgi_pending_bits(const GicV2Cpu *c)
{
    uint32_t v = 0;
    for (int i = 0; i < 16; i++)
        if (c->sgi_src[i])
            v |= 1u << i;
    return v;
}

static uint32_t read_bitmap(GicV2 *g, int cpu, uint64_t off)
{
    uint64_t set = off & ~0x7full;
    int w = (int)((off & 0x7f) >> 2);
    if (w >= GICV2_NW)
        return 0;
    if (w > 0) {
        uint32_t v = spi_bitmap(g, set)[w];
        if (set == GICD_ISPENDR || set == GICD_ICPENDR)
            v |= g->level[w] & ~g->edge[w];
        return v;
    }
    GicV2Cpu *c = &g->cpu[cpu];
    uint32_t v = *banked_bitmap(c, set);
    if (set == GICD_ISENABLER || set == GICD_ICENABLER)
        v |= SGI_MASK;
    if (set == GICD_ISPENDR || set == GICD_ICPENDR)
        v = (v & ~SGI_MASK) | (c->level & ~c->edge & ~SGI_MASK) | sgi_pending_bits(c);
    return v;
}

static void write_bitmap(GicV2 *g, int cpu, uint64_t off, uint32_t v)
{
    uint64_t set = off & ~0x7full;
    int w = (int)((off & 0x7f) >> 2);
    if (w >= GICV2_NW)
        return;
    uint32_t *bm;
    if (w > 0) {
        bm = &spi_bitmap(g, set)[w];
    } else {
        bm = banked_bitmap(&g->cpu[cpu], set);
        /* SGIs: always enabled; their pending state is set and cleared per source through
         * GICD_[SC]PENDSGIR (4.3.7: the GICD_I[SC]PENDR0 bits of SGIs are read-only) */
        if (set != GICD_IGROUPR && set != GICD_ISACTIVER && set != GICD_ICACTIVER)
            v &= ~SGI_MASK;
    }
    switch (set) {
    case GICD_IGROUPR: *bm = v; break;
    case GICD_ISENABLER: case GICD_ISPENDR: case GICD_ISACTIVER: *bm |= v; break;
    /* a level interrupt stays pending while its input is high (4.3.8) */
    default: *bm &= ~v; break;
    }
}

static uint32_t read_icfgr(GicV2 *g, int cpu, int n)
{
    int base = n * 16;
    if (base == 0)
        return 0xaaaaaaaau;                   /* SGIs: edge */
    const uint32_t *edge = base < 32 ? &g->cpu[cpu].edge : g->edge;   /* PPIs: banked word */
    uint32_t v = 0;
    for (int k = 0; k < 16; k++)
        if (gicv2_bit(edge, base + k))
            v |= 2u << (2 * k);
    return v;
}

static void write_icfgr(GicV2 *g, int cpu, int n, uint32_t v)
{
    int base = n * 16;
    if (base == 0)
        return;
    uint32_t *edge = base < 32 ? &g->cpu[cpu].edge : g->edge;
    for (int k = 0; k < 16; k++)
        gicv2_setbit(edge, base + k, (v >> (2 * k + 1)) & 1);
}

/* GICD_SGIR (4.3.15): TargetListFilter [25:24] (0 the list, 1 all but self, 2 self only),
 * CPUTargetList [23:16], SGIINTID [3:0]; NSATT has no meaning without Security Extensions. */
static void send_sgi(GicV2 *g, int cpu, uint32_t v)
{
    int intid = (int)(v & 0xf);
    uint32_t filter = (v >> 24) & 3, targets;
    switch (filter) {
    case 0: targets = (v >> 16) & 0xff; break;
    case 1: targets = 0xffu & ~(1u << cpu); break;
    case 2: targets = 1u << cpu; break;
    default: return;                          /* reserved */
    }
    for (int i = 0; i < g->ncpus; i++)
        if (targets >> i & 1)
            g->cpu[i].sgi_src[intid] |= (uint8_t)(1u << cpu);
}

static uint32_t dist_read32(GicV2 *g, int cpu, uint64_t off)
{
    if (off == GICD_CTLR)
        return g->ctlr;
    if (off == GICD_TYPER)                    /* ITLinesNumber, CPUNumber; SecurityExtn = 0 */
        return (GICV2_NW - 1) | ((uint32_t)(g->ncpus - 1) << 5);
    if (off == GICD_IIDR)
        return GICD_IIDR_VALUE;
    if (off >= GICD_IGROUPR && off < GICD_IPRIORITYR)
        return read_bitmap(g, cpu, off);
    if (off >= GICD_ICFGR && off < GICD_ICFGR + 4 * (GICV2_NUM_IRQS / 16))
        return read_icfgr(g, cpu, (int)((off - GICD_ICFGR) >> 2));
    if (off >= GICD_ID)
        return gicv2_id[(off - GICD_ID) >> 2];
    return 0;                 /* NSACR, SGIR, reserved: RAZ */
}

static void dist_write32(GicV2 *g, int cpu, uint64_t off, uint32_t v)
{
    if (off == GICD_CTLR)
        g->ctlr = v & (GIC_CTLR_EN_GRP0 | GIC_CTLR_EN_GRP1);
    else if (off >= GICD_IGROUPR && off < GICD_IPRIORITYR)
        write_bitmap(g, cpu, off, v);
    else if (off >= GICD_ICFGR && off < GICD_ICFGR + 4 * (GICV2_NUM_IRQS / 16))
        write_icfgr(g, cpu, (int)((off - GICD_ICFGR) >> 2), v);
    else if (off == GICD_SGIR)
        send_sgi(g, cpu, v);
    /* read-only and reserved registers: WI */
}

/* The byte-accessible registers: one byte each of IPRIORITYR, ITARGETSR, [SC]PENDSGIR. */
static uint8_t dist_read8(GicV2 *g, int cpu, uint64_t off)
{
    GicV2Cpu *c = &g->cpu[cpu];
    if (off < GICD_ITARGETSR) {
        int n = (int)(off - GICD_IPRIORITYR);
        return n < 32 ? c->prio[n] : n < GICV2_NUM_IRQS ? g->prio[n] : 0;
    }
    if (off < GICD_ICFGR) {
        int n = (int)(off - GICD_ITARGETSR);
        if (g->ncpus == 1 || n >= GICV2_NUM_IRQS)
            return 0;
        return n < 32 ? (uint8_t)(1u << cpu) : (uint8_t)gicv2_spi_targets(g, n);
    }
    return c->sgi_src[(off - GICD_CPENDSGIR) & 0xf];
}

static void dist_write8(GicV2 *g, int cpu, uint64_t off, uint8_t v)
{
    GicV2Cpu *c = &g->cpu[cpu];
    if (off < GICD_ITARGETSR) {
        int n = (int)(off - GICD_IPRIORITYR);
        if (n < 32)
            c->prio[n] = v & GICV2_PRIO_MASK;
        else if (n < GICV2_NUM_IRQS)
            g->prio[n] = v & GICV2_PRIO_MASK;
    } else if (off < GICD_ICFGR) {
        int n = (int)(off - GICD_ITARGETSR);
        if (n >= 32 && n < GICV2_NUM_IRQS && g->ncpus > 1)
            g->targets[n] = v;
    } else if (off < GICD_SPENDSGIR) {
        c->sgi_src[off - GICD_CPENDSGIR] &= (uint8_t)~v;
    } else {
        c->sgi_src[off - GICD_SPENDSGIR] |= v & (uint8_t)((1u << g->ncpus) - 1);
    }
}

static bool byte_reg(uint64_t off)
{
    return (off >= GICD_IPRIORITYR && off < GICD_ICFGR) ||
           (off >= GICD_CPENDSGIR && off < GICD_SPENDSGIR + 16);
}

static uint64_t dist_read(void *opaque, uint64_t off, unsigned size)
{
    GicV2 *g = opaque;
    int cpu = gicv2_accessor(g);
    if (off & (size - 1))
        return 0;             /* guest error: RAZ */
    if (byte_reg(off) && (size == 1 || size == 4)) {
        uint64_t v = 0;
        for (unsigned i = 0; i < size; i++)
            v |= (uint64_t)dist_read8(g, cpu, off + i) << (8 * i);
        return v;
    }
    return size == 4 ? dist_read32(g, cpu, off) : 0;
}

static void dist_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    GicV2 *g = opaque;
    int cpu = gicv2_accessor(g);
    if (off & (size - 1))
        return;               /* guest error: WI */
    if (byte_reg(off) && (size == 1 || size == 4)) {
        for (unsigned i = 0; i < size; i++)
            dist_write8(g, cpu, off + i, (uint8_t)(val >> (8 * i)));
    } else if (size == 4) {
        dist_write32(g, cpu, off, (uint32_t)val);
    }
    gicv2_update(g);
}

static const MmioOps gicv2_dist_ops = { dist_read, dist_write };

void gicv2_dist_reset(GicV2 *g)
{
    g->ctlr = 0;
    memset(g->group, 0, sizeof g->group);
    memset(g->enable, 0, sizeof g->enable);
    memset(g->pend, 0, sizeof g->pend);
    memset(g->active, 0, sizeof g->active);
    memset(g->edge, 0, sizeof g->edge);      /* SPIs reset level-sensitive */
    memset(g->prio, 0, sizeof g->prio);
    memset(g->targets, 0, sizeof g->targets);
    for (int i = 0; i < g->ncpus; i++) {
        GicV2Cpu *c = &g->cpu[i];
        c->group = c->enable = c->pend = c->active = c->edge = 0;
        memset(c->prio, 0, sizeof c->prio);
        memset(c->sgi_src, 0, sizeof c->sgi_src);
    }
    /* input levels are wires, not registers: they survive a reset */
}

/* ---- life cycle and inputs ------------------------------------------------------------------ */

void gicv2_reset(GicV2 *g)
{
    gicv2_dist_reset(g);
    for (int i = 0; i < g->ncpus; i++) {
        gicv2_cpuif_reset(g, i);
        gicv2_virt_reset(g, i);
    }
    gicv2_update(g);
}

/* After a snapshot load: the output levels last driven are derived; drive every output
 * once with the level the loaded state gives. */
static void gicv2_describe_obj(void *obj, int cpu, GString *out)
{
    gicv2_describe(obj, cpu, out);
}

static void gicv2_post_load(void *obj, SimTime now)
{
    GicV2 *g = obj;
    (void)now;
    for (int i = 0; i < g->ncpus; i++)
        for (int k = 0; k < 4; k++)
            g->cpu[i].out_level[k] = -1;
    gicv2_update(g);
}

GicV2 *gicv2_new(Machine *m, int ncpus, const GicV2Map *map)
{
    if (ncpus < 1 || ncpus > GICV2_MAX_CPUS)
        return NULL;
    GicV2 *g = g_new0(GicV2, 1);
    g->m = m;
    g->ncpus = ncpus;
    g->has_virt = map->vctrl != 0;
    gicv2_reset(g);
    if (bus_add_mmio(&m->bus, "gicv2-dist", map->dist, GICV2_DIST_SIZE, &gicv2_dist_ops, g) < 0 ||
        bus_add_mmio(&m->bus, "gicv2-cpu", map->cpu, GICV2_CPU_SIZE, &gicv2_cpu_ops, g) < 0 ||
        (g->has_virt &&
         (bus_add_mmio(&m->bus, "gicv2-vctrl", map->vctrl, GICV2_VCTRL_SIZE, &gicv2_vctrl_ops, g) < 0 ||
          bus_add_mmio(&m->bus, "gicv2-vcpu", map->vcpu, GICV2_CPU_SIZE, &gicv2_vcpu_ops, g) < 0))) {
        g_free(g);
        return NULL;
    }
    MachineObject *o = machine_add_object(m, "gic", &gicv2_state_desc, g);
    o->post_load = gicv2_post_load;
    o->describe = gicv2_describe_obj;     /* `info gic` */
    for (int i = 0; i < ncpus; i++) {
        char name[32];
        snprintf(name, sizeof name, "gic.cpu%d", i);
        machine_add_object(m, name, &gicv2_cpu_state_desc, &g->cpu[i]);
    }
    return g;
}

void gicv2_free(GicV2 *g)
{
    g_free(g);
}

void gicv2_connect_cpu(GicV2 *g, int cpu, IrqLine irq, IrqLine fiq, IrqLine virq, IrqLine vfiq)
{
    if (cpu < 0 || cpu >= g->ncpus)
        return;
    IrqLine *o = g->out[cpu];
    o[GICV2_OUT_IRQ] = irq;
    o[GICV2_OUT_FIQ] = fiq;
    o[GICV2_OUT_VIRQ] = virq;
    o[GICV2_OUT_VFIQ] = vfiq;
    for (int k = 0; k < 4; k++)
        irq_set(&o[k], g->cpu[cpu].out_level[k]);
}

void gicv2_set_spi(GicV2 *g, int intid, int level)
{
    if (intid < 32 || intid >= GICV2_NUM_IRQS)
        return;
    gicv2_set_level(g, 0, intid, level);
    gicv2_update(g);
}

void gicv2_set_ppi(GicV2 *g, int cpu, int intid, int level)
{
    if (intid < 16 || intid >= 32 || cpu < 0 || cpu >= g->ncpus)
        return;
    gicv2_set_level(g, cpu, intid, level);
    gicv2_update(g);
}

static void spi_line_set(void *opaque, int n, int level)
{
    gicv2_set_spi(opaque, n, level);
}

static void ppi_line_set(void *opaque, int n, int level)
{
    gicv2_set_ppi(opaque, n >> 8, n & 0xff, level);
}

IrqLine gicv2_spi_line(GicV2 *g, int intid)
{
    return (IrqLine){ spi_line_set, g, intid };
}

IrqLine gicv2_ppi_line(GicV2 *g, int cpu, int intid)
{
    return (IrqLine){ ppi_line_set, g, cpu << 8 | intid };
}
