/* GICv3 redistributors (IHI 0069 12.10/12.11): per core a 64 KiB RD_base frame (control,
 * identification, GICR_WAKER) and a 64 KiB SGI_base frame (SGI and PPI configuration).
 * The LPI registers are gicv3_lpi.c's (RAZ/WI without an ITS). SGIs are always edge
 * (GICR_ICFGR0 reads 0xaaaaaaaa); PPI trigger modes are programmable. Access sizes as in the
 * distributor: 32-bit, bytes for IPRIORITYR, 64-bit or halves for GICR_TYPER; else RAZ/WI. */
#include "devices/gicv3_internal.h"
#include <string.h>

#define GICR_SGI_BASE 0x10000
enum {
    GICR_CTLR = 0x0000, GICR_IIDR = 0x0004, GICR_TYPER = 0x0008, GICR_WAKER = 0x0014,
    GICR_ID = 0xffd0,
    /* SGI_base frame */
    GICR_IGROUPR0 = 0x0080, GICR_ISENABLER0 = 0x0100, GICR_ICENABLER0 = 0x0180,
    GICR_ISPENDR0 = 0x0200, GICR_ICPENDR0 = 0x0280, GICR_ISACTIVER0 = 0x0300,
    GICR_ICACTIVER0 = 0x0380, GICR_IPRIORITYR = 0x0400, GICR_ICFGR0 = 0x0c00,
    GICR_ICFGR1 = 0x0c04, GICR_IGRPMODR0 = 0x0d00,
};

static const uint8_t gicr_id[12] = { 0x44, 0, 0, 0, 0x93, 0xb4, 0x3b, 0, 0x0d, 0xf0, 0x05, 0xb1 };

/* GICR_TYPER (12.11.35): Affinity_Value [63:32], Processor_Number [23:8], Last [4], PLPIS [0]
 * with LPIs; CommonLPIAff = 0 (every redistributor shares one LPI configuration table), no
 * DirectLPI, VLPIS (GICv4) or DPGS. */
static uint64_t gicr_typer(const GicV3 *g, int cpu)
{
    uint64_t mp = g->cpu[cpu].mpidr;
    uint64_t aff = ((mp >> 32) & 0xff) << 24 | (mp & 0xffffff);
    return aff << 32 | (uint64_t)cpu << 8 | (cpu == g->ncpus - 1 ? 1u << 4 : 0) | (g->lpis ? 1u : 0);
}

static uint32_t rd_read32(GicV3 *g, int cpu, uint64_t off)
{
    GicV3Cpu *c = &g->cpu[cpu];
    switch (off) {
    case GICR_CTLR: return c->gicr_ctlr;
    case GICR_IIDR: return 0x0000043bu;
    case GICR_WAKER: return c->gicr_waker;
    }
    if (off >= GICR_ID)
        return gicr_id[(off - GICR_ID) >> 2];
    return 0;
}

static void rd_write32(GicV3 *g, int cpu, uint64_t off, uint32_t v)
{
    GicV3Cpu *c = &g->cpu[cpu];
    switch (off) {
    case GICR_CTLR:
        c->gicr_ctlr = (c->gicr_ctlr & GICR_CTLR_ENABLE_LPIS) |
                       (v & (GICR_CTLR_DPG0 | GICR_CTLR_DPG1NS | GICR_CTLR_DPG1S));
        gicv3_lpi_enable_write(g, cpu, v & GICR_CTLR_ENABLE_LPIS);
        break;
    case GICR_WAKER:
        /* 12.11.41: ChildrenAsleep follows ProcessorSleep at once (no power sequencing) */
        c->gicr_waker = (v & GICR_WAKER_PS) ? (GICR_WAKER_PS | GICR_WAKER_CA) : 0;
        break;
    default:
        break;                /* read-only, LPI and reserved registers: WI */
    }
}

static uint32_t sgi_read32(GicV3 *g, int cpu, uint64_t off)
{
    GicV3Cpu *c = &g->cpu[cpu];
    switch (off) {
    case GICR_IGROUPR0: return c->group;
    case GICR_ISENABLER0: case GICR_ICENABLER0: return c->enable;
    case GICR_ISPENDR0: case GICR_ICPENDR0: return c->pend | (c->level & ~c->edge);
    case GICR_ISACTIVER0: case GICR_ICACTIVER0: return c->active;
    case GICR_ICFGR0: return 0xaaaaaaaau;
    case GICR_ICFGR1: {
        uint32_t v = 0;
        for (int k = 0; k < 16; k++)
            if ((c->edge >> (16 + k)) & 1)
                v |= 2u << (2 * k);
        return v;
    }
    default:
        return 0;             /* IGRPMODR0 (DS = 1), NSACR, reserved: RAZ */
    }
}

static void sgi_write32(GicV3 *g, int cpu, uint64_t off, uint32_t v)
{
    GicV3Cpu *c = &g->cpu[cpu];
    switch (off) {
    case GICR_IGROUPR0: c->group = v; break;
    case GICR_ISENABLER0: c->enable |= v; break;
    case GICR_ICENABLER0: c->enable &= ~v; break;
    case GICR_ISPENDR0: c->pend |= v; break;
    case GICR_ICPENDR0: c->pend &= ~v; break;
    case GICR_ISACTIVER0: c->active |= v; break;
    case GICR_ICACTIVER0: c->active &= ~v; break;
    case GICR_ICFGR1:
        for (int k = 0; k < 16; k++) {
            if ((v >> (2 * k + 1)) & 1)
                c->edge |= 1u << (16 + k);
            else
                c->edge &= ~(1u << (16 + k));
        }
        break;
    default:
        break;                /* ICFGR0 (SGIs fixed edge), IGRPMODR0, reserved: WI */
    }
}

static bool decode(const GicV3 *g, uint64_t *off, int *cpu)
{
    *cpu = (int)(*off / GICV3_REDIST_STRIDE);
    *off %= GICV3_REDIST_STRIDE;
    return *cpu < g->ncpus;
}

uint64_t gicv3_redist_read(void *opaque, uint64_t off, unsigned size)
{
    GicV3 *g = opaque;
    int cpu;
    if (!decode(g, &off, &cpu) || (off & (size - 1)))
        return 0;
    GicV3Cpu *c = &g->cpu[cpu];
    if (off >= GICR_SGI_BASE + GICR_IPRIORITYR && off < GICR_SGI_BASE + GICR_IPRIORITYR + 32) {
        if (size != 1 && size != 4)
            return 0;
        uint64_t v = 0, n = off - GICR_SGI_BASE - GICR_IPRIORITYR;
        for (unsigned i = 0; i < size; i++)
            v |= (uint64_t)c->prio[n + i] << (8 * i);
        return v;
    }
    uint64_t lv;
    if (gicv3_lpi_reg_read(g, cpu, off, size, &lv))
        return lv;
    if (off >= GICR_TYPER && off < GICR_TYPER + 8) {
        if (size == 8)
            return gicr_typer(g, cpu);
        if (size == 4)
            return (uint32_t)(gicr_typer(g, cpu) >> (8 * (off & 4)));
        return 0;
    }
    if (size != 4)
        return 0;             /* guest error: RAZ */
    return off < GICR_SGI_BASE ? rd_read32(g, cpu, off) : sgi_read32(g, cpu, off - GICR_SGI_BASE);
}

void gicv3_redist_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    GicV3 *g = opaque;
    int cpu;
    if (!decode(g, &off, &cpu) || (off & (size - 1)))
        return;
    GicV3Cpu *c = &g->cpu[cpu];
    if (off >= GICR_SGI_BASE + GICR_IPRIORITYR && off < GICR_SGI_BASE + GICR_IPRIORITYR + 32) {
        if (size != 1 && size != 4)
            return;
        uint64_t n = off - GICR_SGI_BASE - GICR_IPRIORITYR;
        for (unsigned i = 0; i < size; i++)
            c->prio[n + i] = (uint8_t)(val >> (8 * i)) & GICV3_PRIO_MASK;
    } else if (gicv3_lpi_reg_write(g, cpu, off, val, size)) {
        /* done */
    } else {
        if (size != 4)
            return;           /* guest error: WI */
        if (off < GICR_SGI_BASE)
            rd_write32(g, cpu, off, (uint32_t)val);
        else
            sgi_write32(g, cpu, off - GICR_SGI_BASE, (uint32_t)val);
    }
    gicv3_update(g);
}

const MmioOps gicv3_redist_ops = { gicv3_redist_read, gicv3_redist_write };

void gicv3_redist_reset(GicV3 *g, int cpu)
{
    GicV3Cpu *c = &g->cpu[cpu];
    c->gicr_ctlr = 0;
    c->gicr_waker = GICR_WAKER_PS | GICR_WAKER_CA;
    c->group = c->enable = c->pend = c->active = 0;
    c->edge = 0xffff;         /* SGIs edge, PPIs level-sensitive */
    memset(c->prio, 0, sizeof c->prio);
    /* c->level holds input wires: kept */
}
