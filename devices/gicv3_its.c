/* GICv3 Interrupt Translation Service (IHI 0069 chapter 5.2-5.3 and 8.19): translates an
 * (DeviceID, EventID) pair, written to GITS_TRANSLATER or given to an INT command, into an LPI
 * made pending at the redistributor its collection names. Control frame at the base (GITS_CTLR,
 * IIDR, TYPER, CBASER, CWRITER, CREADR, BASER0-7), translation frame 64 KiB above it.
 *
 * Implementation choices (written down where the spec leaves them to the implementation):
 * - GITS_TYPER as QEMU's: physical LPIs only, 16 DeviceID bits, 16 EventID bits, 16 collection
 *   ID bits (CIL = 1, CIDbits = 15), 12-byte ITT entries, PTA = 0 (a collection's target is a
 *   processor number, GICR_TYPER.Processor_Number). No collections held in the ITS (HCC = 0).
 * - BASER0 is the Device table, BASER1 the Collection table, 8-byte entries, both flat or
 *   two-level (Indirect), any page size; BASER2-7 are unimplemented (RAZ/WI). BASERn and CBASER
 *   ignore writes while GITS_CTLR.Enabled is 1 (UNPREDICTABLE in the spec).
 * - The tables' entries, in guest memory (formats IMPLEMENTATION DEFINED, 5.2.1): a device entry
 *   is Valid [0], ITT size [5:1] (EventID bits - 1), ITT address >> 8 [49:6]; a collection entry
 *   Valid [0], target processor [36:1]; an interrupt translation entry (12 bytes) Valid [0],
 *   physical [1] (always 1), pINTID [25:2], ICID [47:32], and four zero bytes.
 * - Commands run when GITS_CWRITER is written (and when the ITS is enabled with commands
 *   waiting), all at once: every effect is complete when the write retires, so SYNC has
 *   nothing to wait for. A command with a bad parameter (8.19.1's errors: an unmapped device,
 *   an EventID or DeviceID out of range, an unmapped collection for INT...), and a command
 *   this ITS does not have (GICv4's, unallocated numbers), is ignored and the queue goes on,
 *   as the spec allows and QEMU does; a command that cannot be read (the queue outside RAM)
 *   stalls it (GITS_CREADR.Stalled, until CWRITER is written with Retry).
 * - A core's write to GITS_TRANSLATER comes from DeviceID 0 (the requester ID of a core's
 *   access is IMPLEMENTATION DEFINED; QEMU's is 0 too). */
#include "devices/gicv3_internal.h"
#include <string.h>

#define ITS_DEVBITS 16
#define ITS_EVBITS 16
#define ITS_CIDBITS 16
#define ITS_ITE_SIZE 12
#define ITS_TABLE_ESZ 8

enum {
    GITS_CTLR = 0x0000, GITS_IIDR = 0x0004, GITS_TYPER = 0x0008, GITS_CBASER = 0x0080,
    GITS_CWRITER = 0x0088, GITS_CREADR = 0x0090, GITS_BASER = 0x0100, GITS_ID = 0xffd0,
    GITS_TRANSLATER = 0x10040,
};

#define GITS_CTLR_ENABLED (1u << 0)
#define GITS_CTLR_QUIESCENT (1u << 31)
#define CREADR_STALLED 1ull
#define CWRITER_RETRY 1ull
#define QUEUE_OFF_MASK 0xfffe0ull                   /* [19:5] */
#define BASER_VALID (1ull << 63)
#define BASER_INDIRECT (1ull << 62)
#define BASER_TYPE_SHIFT 56
#define BASER_ESZ_SHIFT 48
#define BASER_RO ((7ull << BASER_TYPE_SHIFT) | (0x1full << BASER_ESZ_SHIFT))
#define BASER_PA_MASK 0x0000fffffffff000ull          /* [47:12] */
enum { BASER_TYPE_DEVICE = 1, BASER_TYPE_COLLECTION = 4 };

/* Commands (8.19), DW0 [7:0] */
enum {
    CMD_MOVI = 0x01, CMD_INT = 0x03, CMD_CLEAR = 0x04, CMD_SYNC = 0x05, CMD_MAPD = 0x08,
    CMD_MAPC = 0x09, CMD_MAPTI = 0x0a, CMD_MAPI = 0x0b, CMD_INV = 0x0c, CMD_INVALL = 0x0d,
    CMD_MOVALL = 0x0e, CMD_DISCARD = 0x0f,
};

struct GicV3Its {
    /* --- state (hashed, saved) --- */
    uint32_t ctlr;
    uint32_t pad_;
    uint64_t cbaser, cwriter, creadr;
    uint64_t baser[8];
    /* --- run time --- */
    GicV3 *gic;
};

static const StateField gicv3_its_fields[] = {
    STATE_FIELD(GicV3Its, ctlr, V_ANY),
    STATE_RUNTIME(GicV3Its, pad_),
    STATE_FIELD(GicV3Its, cbaser, V_ANY),
    STATE_FIELD(GicV3Its, cwriter, V_ANY),
    STATE_FIELD(GicV3Its, creadr, V_ANY),
    STATE_ARRAY(GicV3Its, baser, V_ANY),
    STATE_RUNTIME(GicV3Its, gic),
};
const StateDesc gicv3_its_state_desc = STATE_DESC("gicv3-its", GicV3Its, gicv3_its_fields);

/* ---- guest memory ------------------------------------------------------------------------ */

static bool ld(const GicV3Its *its, uint64_t pa, unsigned size, uint64_t *v)
{
    const uint8_t *p = bus_ram_ptr(&its->gic->m->bus, pa, size);
    if (!p)
        return false;
    *v = 0;
    for (unsigned i = 0; i < size; i++)
        *v |= (uint64_t)p[i] << (8 * i);
    return true;
}

static bool st(GicV3Its *its, uint64_t pa, unsigned size, uint64_t v)
{
    uint8_t *p = bus_ram_ptr(&its->gic->m->bus, pa, size);
    if (!p)
        return false;
    for (unsigned i = 0; i < size; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    machine_dma_written(its->gic->m, pa, size);   /* snapshots' dirty pages, decoded code */
    return true;
}

/* ---- the tables (5.2.1) -------------------------------------------------------------------- */

static uint64_t baser_page(uint64_t b)
{
    static const uint64_t sz[4] = { 4096, 16384, 65536, 65536 };
    return sz[(b >> 8) & 3];
}

/* Address of entry `id` of the table BASERn describes, or 0 when the table does not hold it
 * (not valid, beyond its size, or an invalid level-1 entry of a two-level table). */
static uint64_t table_entry(const GicV3Its *its, int n, uint32_t id)
{
    uint64_t b = its->baser[n];
    if (!(b & BASER_VALID))
        return 0;
    uint64_t page = baser_page(b), size = ((b & 0xff) + 1) * page;
    uint64_t base = b & BASER_PA_MASK & ~(page - 1);
    if (!(b & BASER_INDIRECT))
        return (uint64_t)id * ITS_TABLE_ESZ < size ? base + (uint64_t)id * ITS_TABLE_ESZ : 0;
    uint64_t per_page = page / ITS_TABLE_ESZ, l1 = id / per_page, e;
    if (l1 * 8 >= size || !ld(its, base + l1 * 8, 8, &e) || !(e & BASER_VALID))
        return 0;
    return (e & BASER_PA_MASK & ~(page - 1)) + (id % per_page) * ITS_TABLE_ESZ;
}

typedef struct Dte {
    bool valid;
    int evbits;
    uint64_t itt;
} Dte;

typedef struct Ite {
    bool valid;
    int intid;
    uint32_t icid;
} Ite;

static bool read_dte(const GicV3Its *its, uint32_t dev, Dte *d)
{
    uint64_t pa = dev < (1u << ITS_DEVBITS) ? table_entry(its, 0, dev) : 0, v;
    if (!pa || !ld(its, pa, 8, &v))
        return false;
    d->valid = v & 1;
    d->evbits = (int)((v >> 1) & 0x1f) + 1;
    d->itt = ((v >> 6) & ((1ull << 44) - 1)) << 8;
    return true;
}

/* The core collection icid targets, or -1 if it is not mapped. */
static int collection_target(const GicV3Its *its, uint32_t icid)
{
    uint64_t pa = icid < (1u << ITS_CIDBITS) ? table_entry(its, 1, icid) : 0, v;
    if (!pa || !ld(its, pa, 8, &v) || !(v & 1))
        return -1;
    uint64_t cpu = (v >> 1) & ((1ull << 36) - 1);
    return cpu < (uint64_t)its->gic->ncpus ? (int)cpu : -1;
}

static uint64_t ite_addr(const Dte *d, uint32_t event)
{
    return d->itt + (uint64_t)event * ITS_ITE_SIZE;
}

static bool read_ite(const GicV3Its *its, const Dte *d, uint32_t event, Ite *e)
{
    uint64_t v;
    if (!ld(its, ite_addr(d, event), 8, &v))
        return false;
    e->valid = v & 1;
    e->intid = (int)((v >> 2) & 0xffffff);
    e->icid = (uint32_t)((v >> 32) & 0xffff);
    return true;
}

static bool write_ite(GicV3Its *its, const Dte *d, uint32_t event, const Ite *e)
{
    uint64_t v = e->valid ? 1 | 2 | (uint64_t)e->intid << 2 | (uint64_t)e->icid << 32 : 0;
    return st(its, ite_addr(d, event), 8, v) && st(its, ite_addr(d, event) + 8, 4, 0);
}

/* The valid device entry of dev and the valid ITE of its event, or false (a command error:
 * 8.19's "DeviceID not mapped", "EventID out of range", "ITE not valid"). */
static bool lookup(const GicV3Its *its, uint32_t dev, uint32_t event, Dte *d, Ite *e)
{
    return read_dte(its, dev, d) && d->valid && event < (1ull << d->evbits) &&
           read_ite(its, d, event, e) && e->valid;
}

/* ---- translation ------------------------------------------------------------------------- */

bool gicv3_its_translate(GicV3Its *its, uint32_t dev, uint32_t event)
{
    Dte d;
    Ite e;
    if (!(its->ctlr & GITS_CTLR_ENABLED) || !lookup(its, dev, event, &d, &e))
        return false;
    int cpu = collection_target(its, e.icid);
    if (cpu < 0)
        return false;
    gicv3_lpi_set_pending(its->gic, cpu, e.intid, true);
    gicv3_update(its->gic);
    return true;
}

/* ---- commands (8.19) ---------------------------------------------------------------------- */

static bool valid_lpi(int intid)
{
    return intid >= GICV3_LPI_BASE && intid < GICV3_LPI_BASE + GICV3_NUM_LPIS;
}

/* INT, CLEAR, DISCARD: the LPI of (dev, event) made pending or not; DISCARD also unmaps it. */
static void cmd_event(GicV3Its *its, int cmd, uint32_t dev, uint32_t event)
{
    Dte d;
    Ite e;
    if (!lookup(its, dev, event, &d, &e))
        return;
    int cpu = collection_target(its, e.icid);
    if (cpu < 0)
        return;
    if (cmd == CMD_INT)
        gicv3_lpi_set_pending(its->gic, cpu, e.intid, true);
    else
        gicv3_lpi_set_pending(its->gic, cpu, e.intid, false);
    if (cmd == CMD_DISCARD) {
        e.valid = false;
        write_ite(its, &d, event, &e);
    }
}

static void cmd_mapti(GicV3Its *its, uint32_t dev, uint32_t event, int intid, uint32_t icid)
{
    Dte d;
    if (!read_dte(its, dev, &d) || !d.valid || event >= (1ull << d.evbits) || !valid_lpi(intid) ||
        icid >= (1u << ITS_CIDBITS))
        return;
    Ite e = { true, intid, icid };
    write_ite(its, &d, event, &e);
}

static void cmd_mapd(GicV3Its *its, uint32_t dev, int size, uint64_t itt, bool valid)
{
    uint64_t pa = dev < (1u << ITS_DEVBITS) ? table_entry(its, 0, dev) : 0;
    if (!pa || size + 1 > ITS_EVBITS)
        return;
    st(its, pa, 8, valid ? 1 | (uint64_t)size << 1 | (itt >> 8) << 6 : 0);
}

static void cmd_mapc(GicV3Its *its, uint32_t icid, uint64_t rd, bool valid)
{
    uint64_t pa = icid < (1u << ITS_CIDBITS) ? table_entry(its, 1, icid) : 0;
    if (!pa || (valid && rd >= (uint64_t)its->gic->ncpus))
        return;
    st(its, pa, 8, valid ? 1 | rd << 1 : 0);
}

/* MOVI: the event's LPI to another collection, its pending state with it (8.19.12). */
static void cmd_movi(GicV3Its *its, uint32_t dev, uint32_t event, uint32_t icid)
{
    Dte d;
    Ite e;
    if (!lookup(its, dev, event, &d, &e))
        return;
    int from = collection_target(its, e.icid), to = collection_target(its, icid);
    if (from < 0 || to < 0)
        return;
    if (from != to && gicv3_lpi_pending(its->gic, from, e.intid)) {
        gicv3_lpi_set_pending(its->gic, from, e.intid, false);
        gicv3_lpi_set_pending(its->gic, to, e.intid, true);
    }
    e.icid = icid;
    write_ite(its, &d, event, &e);
}

/* MOVALL: every pending LPI of one redistributor to another (8.19.11). */
static void cmd_movall(GicV3Its *its, uint64_t rd1, uint64_t rd2)
{
    GicV3 *g = its->gic;
    if (rd1 >= (uint64_t)g->ncpus || rd2 >= (uint64_t)g->ncpus || rd1 == rd2)
        return;
    GicV3Lpi *from = &g->lpi[rd1];
    for (int w = 0; w < GICV3_LPI_WORDS; w++) {
        uint32_t bits = from->pend[w];
        while (bits) {
            int intid = GICV3_LPI_BASE + w * 32 + __builtin_ctz(bits);
            bits &= bits - 1;
            gicv3_lpi_set_pending(g, (int)rd1, intid, false);
            gicv3_lpi_set_pending(g, (int)rd2, intid, true);
        }
    }
}

/* Runs one command. */
static void run_command(GicV3Its *its, const uint64_t *dw)
{
    uint32_t dev = (uint32_t)(dw[0] >> 32), event = (uint32_t)dw[1];
    uint32_t icid = (uint32_t)(dw[2] & 0xffff);
    uint64_t rd = (dw[2] >> 16) & ((1ull << 36) - 1);
    bool valid = dw[2] >> 63;
    switch (dw[0] & 0xff) {
    case CMD_INT: case CMD_CLEAR: case CMD_DISCARD:
        cmd_event(its, (int)(dw[0] & 0xff), dev, event);
        break;
    case CMD_MAPD:
        cmd_mapd(its, dev, (int)(dw[1] & 0x1f), dw[2] & 0x000fffffffffff00ull, valid);
        break;
    case CMD_MAPC:
        cmd_mapc(its, icid, rd, valid);
        break;
    case CMD_MAPTI:
        cmd_mapti(its, dev, event, (int)(dw[1] >> 32), icid);
        break;
    case CMD_MAPI:
        cmd_mapti(its, dev, event, (int)event, icid);
        break;
    case CMD_MOVI:
        cmd_movi(its, dev, event, icid);
        break;
    case CMD_MOVALL:
        cmd_movall(its, rd, (dw[3] >> 16) & ((1ull << 36) - 1));
        break;
    case CMD_INV: {
        /* re-read the LPI's configuration at its target (8.19.9) */
        Dte d;
        Ite e;
        int cpu;
        if (lookup(its, dev, event, &d, &e) && (cpu = collection_target(its, e.icid)) >= 0)
            gicv3_lpi_rescan(its->gic, cpu);
        break;
    }
    case CMD_INVALL: {
        int cpu = collection_target(its, icid);
        if (cpu >= 0)
            gicv3_lpi_rescan(its->gic, cpu);
        break;
    }
    case CMD_SYNC:            /* every effect is already visible */
    default:                  /* GICv4's and unallocated commands: ignored */
        break;
    }
}

static uint64_t queue_size(const GicV3Its *its)
{
    return ((its->cbaser & 0xff) + 1) * 4096;
}

/* Processes commands from CREADR up to CWRITER (8.19: the queue is a ring of 32-byte
 * commands at CBASER). Stops, stalled, at a command it cannot read or run. */
static void process_queue(GicV3Its *its)
{
    if (!(its->ctlr & GITS_CTLR_ENABLED) || !(its->cbaser & BASER_VALID) ||
        (its->creadr & CREADR_STALLED))
        return;
    uint64_t base = its->cbaser & 0x000ffffffffff000ull, size = queue_size(its);
    uint64_t rd = its->creadr & QUEUE_OFF_MASK, wr = its->cwriter & QUEUE_OFF_MASK;
    if (wr >= size)
        return;               /* CWRITER beyond the queue: UNPREDICTABLE, nothing run */
    while (rd != wr) {
        uint64_t dw[4];
        bool ok = true;
        for (int i = 0; i < 4 && ok; i++)
            ok = ld(its, base + rd + 8 * (uint64_t)i, 8, &dw[i]);
        if (!ok) {
            its->creadr = rd | CREADR_STALLED;
            break;
        }
        run_command(its, dw);
        rd = (rd + 32) % size;
        its->creadr = rd;
    }
    gicv3_update(its->gic);
}

/* ---- MMIO ----------------------------------------------------------------------------------- */

/* GITS_TYPER (12.19.17) */
static uint64_t its_typer(void)
{
    return 1u | (uint64_t)(ITS_ITE_SIZE - 1) << 4 | (uint64_t)(ITS_EVBITS - 1) << 8 |
           (uint64_t)(ITS_DEVBITS - 1) << 13 | (uint64_t)(ITS_CIDBITS - 1) << 32 | 1ull << 36;
}

/* PIDR4..7, PIDR0..3, CIDR0..3: PIDR2.ArchRev = 3 */
static const uint8_t its_id[12] = { 0x44, 0, 0, 0, 0x94, 0xb4, 0x3b, 0, 0x0d, 0xf0, 0x05, 0xb1 };

static uint64_t *reg64(GicV3Its *its, uint64_t off)
{
    switch (off & ~7ull) {
    case GITS_CBASER: return &its->cbaser;
    case GITS_CWRITER: return &its->cwriter;
    case GITS_CREADR: return &its->creadr;
    }
    if (off >= GITS_BASER && off < GITS_BASER + 0x40)
        return &its->baser[(off - GITS_BASER) >> 3];
    return NULL;
}

static uint64_t its_read(void *opaque, uint64_t off, unsigned size)
{
    GicV3Its *its = opaque;
    if ((size != 4 && size != 8) || (off & (size - 1)) || off >= 0x10000)
        return 0;             /* guest error; the translation frame is write-only: RAZ */
    uint64_t v;
    if (off == GITS_CTLR)
        v = its->ctlr | GITS_CTLR_QUIESCENT;
    else if (off == GITS_IIDR)
        v = 0x0000043bu;      /* Arm, product 0 (as GICD_IIDR) */
    else if ((off & ~7ull) == GITS_TYPER)
        v = its_typer();
    else if (reg64(its, off))
        v = *reg64(its, off);
    else if (off >= GITS_ID)
        return size == 4 ? its_id[(off - GITS_ID) >> 2] : 0;
    else
        return 0;             /* reserved: RAZ */
    return gicv3_reg64_read(v, off, size);
}

static void its_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    GicV3Its *its = opaque;
    if (off == GITS_TRANSLATER) {
        /* 12.19.18: 16- or 32-bit writes; EventID from the data, DeviceID from the writer */
        if (size == 2 || size == 4)
            gicv3_its_translate(its, 0, (uint32_t)val);
        return;
    }
    if ((size != 4 && size != 8) || (off & (size - 1)) || off >= 0x10000)
        return;               /* guest error: WI */
    bool on = its->ctlr & GITS_CTLR_ENABLED;
    if (off == GITS_CTLR) {
        its->ctlr = (uint32_t)val & GITS_CTLR_ENABLED;
        if (!on)
            process_queue(its);
    } else if ((off & ~7ull) == GITS_CBASER) {
        if (!on) {
            gicv3_reg64_write(&its->cbaser, off, val, size, 0);
            its->creadr = its->cwriter = 0;   /* 12.19.4: CREADR resets when CBASER is written */
        }
    } else if ((off & ~7ull) == GITS_CWRITER) {
        gicv3_reg64_write(&its->cwriter, off, val, size, ~QUEUE_OFF_MASK);
        if ((val & CWRITER_RETRY) && !(off & 4))
            its->creadr &= ~CREADR_STALLED;
        process_queue(its);
    } else if (off >= GITS_BASER && off < GITS_BASER + 0x10) {
        if (!on)
            gicv3_reg64_write(&its->baser[(off - GITS_BASER) >> 3], off, val, size, BASER_RO);
    }
    /* CREADR, TYPER, IIDR, BASER2-7, reserved: WI */
}

static const MmioOps gicv3_its_ops = { its_read, its_write };

/* ---- life cycle -------------------------------------------------------------------------- */

void gicv3_its_reset(GicV3Its *its)
{
    its->ctlr = 0;
    its->cbaser = its->cwriter = its->creadr = 0;
    memset(its->baser, 0, sizeof its->baser);
    /* 64 KiB pages, as QEMU resets them; Type and Entry_Size are read-only */
    its->baser[0] = (uint64_t)BASER_TYPE_DEVICE << BASER_TYPE_SHIFT |
                    (uint64_t)(ITS_TABLE_ESZ - 1) << BASER_ESZ_SHIFT | 2u << 8;
    its->baser[1] = (uint64_t)BASER_TYPE_COLLECTION << BASER_TYPE_SHIFT |
                    (uint64_t)(ITS_TABLE_ESZ - 1) << BASER_ESZ_SHIFT | 2u << 8;
}

GicV3Its *gicv3_its_new(Machine *m, GicV3 *g, uint64_t base)
{
    GicV3Its *its = g_new0(GicV3Its, 1);
    its->gic = g;
    gicv3_its_reset(its);
    if (bus_add_mmio(&m->bus, "gicv3-its", base, GICV3_ITS_SIZE, &gicv3_its_ops, its) < 0) {
        g_free(its);
        return NULL;
    }
    g->its = its;
    g->lpis = true;
    machine_add_object(m, "gic.its", &gicv3_its_state_desc, its);
    for (int i = 0; i < g->ncpus; i++) {
        char name[32];
        snprintf(name, sizeof name, "gic.cpu%d.lpi", i);
        machine_add_object(m, name, &gicv3_lpi_state_desc, &g->lpi[i]);
    }
    return its;
}
