/* GICv3 physical LPIs in the redistributors (IHI 0069 5.1): GICR_PROPBASER, GICR_PENDBASER,
 * GICR_CTLR.EnableLPIs, the invalidation registers, and the pending state of LPIs that the ITS
 * (gicv3_its.c) makes pending.
 *
 * Implementation choices (5.1.1 and 5.1.2 leave them open):
 * - 16 ID bits (GICD_TYPER.IDbits = 15, as QEMU's): LPIs 8192-65535; GICR_PROPBASER.IDbits
 *   narrows the range, below 14 bits there are no LPIs.
 * - The configuration table (priority, enable) is read from guest memory when an LPI becomes
 *   pending and when the redistributor re-evaluates its pending LPIs (on INV, INVALL,
 *   GICR_INVLPIR/INVALLR, the acknowledge of the cached LPI, and EnableLPIs); a change to the
 *   table without one of those may go unseen, as 5.1.1 allows ("a Redistributor may cache"
 *   the table). The cache (the best pending LPI) is machine state: snapshots keep it.
 * - Pending state is held in the redistributor ("gic.cpuN.lpi", saved and hashed) and meets the
 *   pending table in memory only at EnableLPIs: 0 -> 1 reads it (unless GICR_PENDBASER.PTZ was
 *   written 1), 1 -> 0 writes it back. GICR_CTLR.EnableLPIs can be cleared (CES reads 0: the
 *   spec then leaves it IMPLEMENTATION DEFINED).
 * - GICR_TYPER.DirectLPI = 0, as on QEMU (an ITS is the way LPIs are raised): GICR_SETLPIR and
 *   GICR_CLRLPIR are RAZ/WI. GICR_INVLPIR, GICR_INVALLR and GICR_SYNCR, IMPLEMENTATION DEFINED
 *   with an ITS (5.1), are implemented; SYNCR.Busy always reads 0.
 * - GICR_PROPBASER and GICR_PENDBASER ignore writes while EnableLPIs is 1 (UNPREDICTABLE). */
#include "devices/gicv3_internal.h"
#include <string.h>

enum {
    GICR_SETLPIR = 0x0040, GICR_CLRLPIR = 0x0048, GICR_PROPBASER = 0x0070,
    GICR_PENDBASER = 0x0078, GICR_INVLPIR = 0x00a0, GICR_INVALLR = 0x00b0, GICR_SYNCR = 0x00c0,
};

#define BASER_PA_MASK 0x000ffffffffff000ull   /* PA [51:12] */
#define PENDBASER_PA_MASK 0x000fffffffff0000ull   /* PA [51:16] */
#define PENDBASER_PTZ (1ull << 62)
#define LPI_PRIO_MASK 0xfcu                     /* configuration byte [7:2] */
#define LPI_CFG_ENABLE 1u

/* The cached best LPI: none, or a pending LPI with a priority the configuration byte can
 * give. */
static bool lpi_state_check(const void *obj, char **err)
{
    const GicV3Lpi *l = obj;
    if (l->hpp_intid == 0 && l->hpp_prio == 0x100)
        return true;
    if (l->hpp_intid >= GICV3_LPI_BASE && l->hpp_intid < GICV3_LPI_BASE + GICV3_NUM_LPIS &&
        gicv3_bit(l->pend, l->hpp_intid - GICV3_LPI_BASE) && l->hpp_prio >= 0 &&
        l->hpp_prio <= 0xff && !(l->hpp_prio & ~(LPI_PRIO_MASK & GICV3_PRIO_MASK)))
        return true;
    *err = g_strdup_printf("hpp_intid %d / hpp_prio 0x%x: not a pending LPI and its priority",
                           l->hpp_intid, (unsigned)l->hpp_prio);
    return false;
}

static const StateField gicv3_lpi_fields[] = {
    STATE_FIELD(GicV3Lpi, propbaser, V_ANY),
    STATE_FIELD(GicV3Lpi, pendbaser, V_ANY),
    STATE_ARRAY(GicV3Lpi, pend, V_ANY),
    STATE_FIELD(GicV3Lpi, hpp_intid, V_REL),
    STATE_FIELD(GicV3Lpi, hpp_prio, V_REL),
};
const StateDesc gicv3_lpi_state_desc =
    STATE_DESC_CHECKED("gicv3-lpi", GicV3Lpi, gicv3_lpi_fields, lpi_state_check);

/* Number of INTID bits GICR_PROPBASER gives (5.1.1), 0 when that leaves no LPIs. */
static int lpi_idbits(const GicV3Lpi *l)
{
    int bits = (int)(l->propbaser & 0x1f) + 1;
    if (bits < 14)
        return 0;
    return bits > GICV3_LPI_IDBITS ? GICV3_LPI_IDBITS : bits;
}

static bool lpi_in_range(const GicV3Lpi *l, int intid)
{
    return intid >= GICV3_LPI_BASE && intid < (1 << lpi_idbits(l));
}

static bool lpis_on(const GicV3 *g, int cpu)
{
    return g->lpis && (g->cpu[cpu].gicr_ctlr & GICR_CTLR_ENABLE_LPIS);
}

/* The LPI's configuration byte (5.1.1: byte intid - 8192 of the table); 0 (disabled) when the
 * table is not in RAM. */
static uint8_t lpi_config(const GicV3 *g, const GicV3Lpi *l, int intid)
{
    const uint8_t *p = bus_ram_ptr(&g->m->bus, (l->propbaser & BASER_PA_MASK) +
                                   (uint64_t)(intid - GICV3_LPI_BASE), 1);
    return p ? *p : 0;
}

/* Takes LPI intid as a candidate for the core's highest priority pending LPI. */
static void lpi_consider(const GicV3 *g, GicV3Lpi *l, int intid)
{
    uint8_t cfg = lpi_config(g, l, intid);
    if (!(cfg & LPI_CFG_ENABLE))
        return;
    int prio = (int)(cfg & LPI_PRIO_MASK & GICV3_PRIO_MASK);
    if (!l->hpp_intid || prio < l->hpp_prio || (prio == l->hpp_prio && intid < l->hpp_intid)) {
        l->hpp_intid = intid;
        l->hpp_prio = prio;
    }
}

/* Re-reads the configuration of every pending LPI of the core (an INVALL). */
void gicv3_lpi_rescan(GicV3 *g, int cpu)
{
    GicV3Lpi *l = &g->lpi[cpu];
    l->hpp_intid = 0;
    l->hpp_prio = 0x100;
    if (!lpis_on(g, cpu))
        return;
    for (int w = 0; w < GICV3_LPI_WORDS; w++) {
        uint32_t bits = l->pend[w];
        while (bits) {
            lpi_consider(g, l, GICV3_LPI_BASE + w * 32 + __builtin_ctz(bits));
            bits &= bits - 1;
        }
    }
}

bool gicv3_lpi_pending(const GicV3 *g, int cpu, int intid)
{
    if (cpu < 0 || cpu >= g->ncpus || intid < GICV3_LPI_BASE || intid >= GICV3_LPI_BASE + GICV3_NUM_LPIS)
        return false;
    return gicv3_bit(g->lpi[cpu].pend, intid - GICV3_LPI_BASE);
}

/* Sets or clears the pending state of LPI intid at core cpu; no re-evaluation of the
 * outputs. 5.1: with EnableLPIs == 0 an LPI cannot become pending (it is lost). */
void gicv3_lpi_set_pending(GicV3 *g, int cpu, int intid, bool pending)
{
    if (cpu < 0 || cpu >= g->ncpus || !lpis_on(g, cpu))
        return;
    GicV3Lpi *l = &g->lpi[cpu];
    if (!lpi_in_range(l, intid))
        return;
    gicv3_setbit(l->pend, intid - GICV3_LPI_BASE, pending);
    if (pending)
        lpi_consider(g, l, intid);
    else if (intid == l->hpp_intid)
        gicv3_lpi_rescan(g, cpu);
}

/* ICC_IAR1 took LPI intid: LPIs have no active state (4.1.2), it is simply no longer pending. */
void gicv3_lpi_ack(GicV3 *g, int cpu, int intid)
{
    gicv3_lpi_set_pending(g, cpu, intid, false);
}

/* The pending table in memory, bit n for INTID n (5.1.2); the first 1 KiB (INTIDs below 8192)
 * is the GIC's own and not touched. */
static uint8_t *pending_table(GicV3 *g, const GicV3Lpi *l)
{
    uint64_t bytes = (1ull << lpi_idbits(l)) / 8;
    if (bytes <= GICV3_LPI_BASE / 8)
        return NULL;
    uint8_t *t = bus_ram_ptr(&g->m->bus, l->pendbaser & PENDBASER_PA_MASK, bytes);
    return t ? t + GICV3_LPI_BASE / 8 : NULL;
}

void gicv3_lpi_enable_write(GicV3 *g, int cpu, bool enable)
{
    GicV3Cpu *c = &g->cpu[cpu];
    GicV3Lpi *l = &g->lpi[cpu];
    bool was = c->gicr_ctlr & GICR_CTLR_ENABLE_LPIS;
    if (!g->lpis || was == enable)
        return;
    uint8_t *t = pending_table(g, l);
    size_t n = t ? ((1ull << lpi_idbits(l)) - GICV3_LPI_BASE) / 8 : 0;
    if (enable) {
        memset(l->pend, 0, sizeof l->pend);
        if (t && !(l->pendbaser & PENDBASER_PTZ))
            for (size_t i = 0; i < n; i++)
                l->pend[i / 4] |= (uint32_t)t[i] << (8 * (i % 4));
        l->pendbaser &= ~PENDBASER_PTZ;
        c->gicr_ctlr |= GICR_CTLR_ENABLE_LPIS;
    } else {
        for (size_t i = 0; t && i < n; i++)
            t[i] = (uint8_t)(l->pend[i / 4] >> (8 * (i % 4)));
        if (t)
            machine_dma_written(g->m, (l->pendbaser & PENDBASER_PA_MASK) + GICV3_LPI_BASE / 8, n);
        memset(l->pend, 0, sizeof l->pend);
        c->gicr_ctlr &= ~GICR_CTLR_ENABLE_LPIS;
    }
    gicv3_lpi_rescan(g, cpu);
}

/* The RD_base registers this file owns when the GIC has LPIs. */
static bool is_lpi_reg(const GicV3 *g, uint64_t reg)
{
    return g->lpis && (reg == GICR_PROPBASER || reg == GICR_PENDBASER || reg == GICR_SYNCR ||
                       reg == GICR_SETLPIR || reg == GICR_CLRLPIR || reg == GICR_INVLPIR ||
                       reg == GICR_INVALLR);
}

bool gicv3_lpi_reg_read(GicV3 *g, int cpu, uint64_t off, unsigned size, uint64_t *val)
{
    uint64_t reg = off & ~7ull;
    if (!is_lpi_reg(g, reg))
        return false;
    const GicV3Lpi *l = &g->lpi[cpu];
    *val = 0;
    if (size != 8 && size != 4)
        return true;          /* guest error: RAZ */
    if (reg == GICR_PROPBASER)
        *val = gicv3_reg64_read(l->propbaser, off, size);
    else if (reg == GICR_PENDBASER)   /* PTZ reads 0 (12.11.28) */
        *val = gicv3_reg64_read(l->pendbaser & ~PENDBASER_PTZ, off, size);
    return true;              /* SYNCR.Busy 0; the write-only registers RAZ */
}

bool gicv3_lpi_reg_write(GicV3 *g, int cpu, uint64_t off, uint64_t val, unsigned size)
{
    uint64_t reg = off & ~7ull;
    if (!is_lpi_reg(g, reg))
        return false;
    GicV3Lpi *l = &g->lpi[cpu];
    bool on = g->cpu[cpu].gicr_ctlr & GICR_CTLR_ENABLE_LPIS;
    if (size != 8 && size != 4)
        return true;          /* guest error: WI */
    switch (reg) {
    case GICR_PROPBASER:
        if (!on)
            gicv3_reg64_write(&l->propbaser, off, val, size, 0);
        break;
    case GICR_PENDBASER:
        if (!on)
            gicv3_reg64_write(&l->pendbaser, off, val, size, 0);
        break;
    case GICR_INVLPIR:
        /* 12.11.20: re-read one LPI's configuration. With the cache being the highest priority
         * pending LPI, that is a re-evaluation of all of them. */
    case GICR_INVALLR:
        if (!(off & 4))
            gicv3_lpi_rescan(g, cpu);
        break;
    default:
        break;                /* SETLPIR, CLRLPIR (DirectLPI = 0), SYNCR: WI */
    }
    return true;
}

void gicv3_lpi_reset(GicV3 *g, int cpu)
{
    GicV3Lpi *l = &g->lpi[cpu];
    l->propbaser = l->pendbaser = 0;
    memset(l->pend, 0, sizeof l->pend);
    l->hpp_intid = 0;
    l->hpp_prio = 0x100;
}
