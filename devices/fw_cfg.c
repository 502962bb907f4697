/* QEMU's fw_cfg, the traditional port interface (QEMU docs/specs/fw_cfg.rst): writing a key
 * to the selector port rewinds the item; each read of the data port gives its next byte, 0
 * past its end or for a key that holds nothing. The file directory (key 0x19) is a big-endian
 * count followed by one 64-byte entry per file (big-endian size, key, reserved, name).
 *
 * DMA: the guest writes the big-endian address of an access structure (big-endian control,
 * length, address) to 0x514 (high half) and 0x518 (low half, which starts the transfer); the
 * transfer completes at once: select (control bits 31:16), skip, read into guest RAM, then
 * control becomes 0, or ERROR when a buffer is not RAM or a write is asked for (no item is
 * writable). Reading the register gives the signature "QEMU CFG". */
#include "devices/fw_cfg.h"
#include <string.h>

static const StateField fw_cfg_fields[] = {
    STATE_FIELD(FwCfg, select, V_RANGE(0, 0xffff)),
    STATE_FIELD(FwCfg, offset, V_ANY),
    STATE_FIELD(FwCfg, dma_high, V_ANY),
    STATE_RUNTIME(FwCfg, pad0),
    STATE_RUNTIME(FwCfg, m),
    STATE_RUNTIME(FwCfg, items),
    STATE_RUNTIME(FwCfg, nfiles),
    STATE_RUNTIME(FwCfg, pad_),
};
const StateDesc fw_cfg_state_desc = STATE_DESC("fw_cfg", FwCfg, fw_cfg_fields);

static uint8_t data_byte(FwCfg *f)
{
    /* bit 14 of the key marks a write, bit 15 the architecture's own keys; both index the
     * same table here (the board puts nothing at a key it does not fill) */
    uint32_t key = f->select & 0x3fff;
    if (key >= FW_CFG_MAX_ITEMS || f->offset >= f->items[key].len)
        return 0;
    return f->items[key].data[f->offset++];
}

uint64_t fw_cfg_read(void *opaque, uint64_t off, unsigned size)
{
    FwCfg *f = opaque;
    if (off == 0)             /* the selector reads as 0, as on QEMU */
        return 0;
    /* a wide read of the data port takes consecutive bytes, first byte lowest (QEMU splits
     * it the same way) */
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)data_byte(f) << (8 * i);
    return v;
}

void fw_cfg_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    FwCfg *f = opaque;
    (void)size;
    if (off == 0) {
        f->select = (uint32_t)(val & 0xffff);
        f->offset = 0;
    }                         /* data port writes: the interface is read-only since QEMU 2.4 */
}

static const MmioOps fw_cfg_ops = { fw_cfg_read, fw_cfg_write };

static void put_be32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static uint64_t get_be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* One DMA operation on the access structure at pa. */
static void dma_run(FwCfg *f, uint64_t pa)
{
    Machine *m = f->m;
    uint8_t *acc = bus_ram_ptr(&m->bus, pa, 16);
    if (!acc)
        return;               /* not RAM: nothing to report the error in */
    uint32_t control = (uint32_t)get_be(acc, 4), len = (uint32_t)get_be(acc + 4, 4);
    uint64_t addr = get_be(acc + 8, 8);
    bool error = false;
    if (control & FW_CFG_DMA_SELECT) {
        f->select = control >> 16;
        f->offset = 0;
    }
    if (control & FW_CFG_DMA_WRITE) {
        error = true;         /* no writable item */
    } else if (control & (FW_CFG_DMA_READ | FW_CFG_DMA_SKIP)) {
        uint8_t *dst = (control & FW_CFG_DMA_READ) && len ? bus_ram_ptr(&m->bus, addr, len) : NULL;
        if ((control & FW_CFG_DMA_READ) && len && !dst) {
            error = true;
        } else {
            for (uint32_t i = 0; i < len; i++) {
                uint8_t b = data_byte(f);   /* 0 past the item's end */
                if (dst)
                    dst[i] = b;
            }
            if (dst)
                machine_dma_written(m, addr, len);
        }
    }
    put_be32(acc, error ? FW_CFG_DMA_ERROR : 0);
    machine_dma_written(m, pa, 4);
}

/* 0x514: the DMA address register, big-endian, as two 32-bit halves (or one 64-bit). */
static uint64_t dma_read(void *opaque, uint64_t off, unsigned size)
{
    (void)opaque;
    uint64_t sig = FW_CFG_DMA_SIGNATURE;
    /* the register's bytes in memory order are big-endian: byte i is bits 63-8i */
    uint64_t v = 0;
    for (unsigned i = 0; i < size && off + i < 8; i++)
        v |= ((sig >> (56 - 8 * (off + i))) & 0xff) << (8 * i);
    return v;
}

static void dma_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    FwCfg *f = opaque;
    uint8_t b[8] = { 0 };
    for (unsigned i = 0; i < size && i < 8; i++)
        b[i] = (uint8_t)(val >> (8 * i));
    if (off == 0 && size == 4) {
        f->dma_high = (uint32_t)get_be(b, 4);
    } else if (off == 4 && size == 4) {
        dma_run(f, (uint64_t)f->dma_high << 32 | get_be(b, 4));
        f->dma_high = 0;
    } else if (off == 0 && size == 8) {
        dma_run(f, get_be(b, 8));
    }
}

static const MmioOps fw_cfg_dma_ops = { dma_read, dma_write };

static void set_item(FwCfgItem *it, const void *data, uint32_t len)
{
    g_free(it->data);
    it->data = g_memdup2(data, len);
    it->len = len;
}

void fw_cfg_add_bytes(FwCfg *f, uint16_t key, const void *data, uint32_t len)
{
    if (key < FW_CFG_MAX_ITEMS)
        set_item(&f->items[key], data, len);
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The directory from the files added so far. */
static void rebuild_dir(FwCfg *f)
{
    uint32_t len = 4 + 64 * f->nfiles;
    uint8_t *d = g_malloc0(len);
    put_be32(d, f->nfiles);
    for (uint32_t i = 0; i < f->nfiles; i++) {
        uint8_t *e = d + 4 + 64 * i;
        const FwCfgItem *it = &f->items[FW_CFG_FILE_FIRST + i];
        put_be32(e, it->len);
        e[4] = (uint8_t)((FW_CFG_FILE_FIRST + i) >> 8);
        e[5] = (uint8_t)(FW_CFG_FILE_FIRST + i);
        memcpy(e + 8, it->name, strlen(it->name));
    }
    set_item(&f->items[FW_CFG_FILE_DIR], d, len);
    g_free(d);
}

int fw_cfg_add_file(FwCfg *f, const char *name, const void *data, uint32_t len)
{
    if (FW_CFG_FILE_FIRST + f->nfiles >= FW_CFG_MAX_ITEMS || strlen(name) >= FW_CFG_NAME_MAX)
        return -1;
    int key = FW_CFG_FILE_FIRST + (int)f->nfiles++;
    set_item(&f->items[key], data, len);
    g_strlcpy(f->items[key].name, name, sizeof f->items[key].name);
    rebuild_dir(f);
    return key;
}

FwCfg *fw_cfg_new(Machine *m, const char *name)
{
    FwCfg *f = g_new0(FwCfg, 1);
    f->m = m;
    if (bus_add_mmio(&m->io, name, FW_CFG_PORT_SEL, 2, &fw_cfg_ops, f) < 0 ||
        bus_add_mmio(&m->io, "fw_cfg-dma", FW_CFG_PORT_DMA, 8, &fw_cfg_dma_ops, f) < 0) {
        g_free(f);
        return NULL;
    }
    /* the numbered items are little-endian (the guest's order), whatever the host's */
    uint8_t id[4], ram[8], ncpus[2], nographic[2];
    put_le(id, 3, 4);         /* bit 0: traditional interface; bit 1: DMA */
    put_le(ram, m->cfg.ram_size, 8);
    put_le(ncpus, (uint64_t)m->cfg.smp, 2);
    put_le(nographic, 1, 2);
    fw_cfg_add_bytes(f, FW_CFG_SIGNATURE, "QEMU", 4);
    fw_cfg_add_bytes(f, FW_CFG_ID, id, 4);
    fw_cfg_add_bytes(f, FW_CFG_RAM_SIZE, ram, 8);
    fw_cfg_add_bytes(f, FW_CFG_NOGRAPHIC, nographic, 2);
    fw_cfg_add_bytes(f, FW_CFG_NB_CPUS, ncpus, 2);
    fw_cfg_add_bytes(f, FW_CFG_MAX_CPUS, ncpus, 2);
    rebuild_dir(f);
    machine_add_object(m, name, &fw_cfg_state_desc, f);
    return f;
}

void fw_cfg_free(FwCfg *f)
{
    if (!f)
        return;
    for (int i = 0; i < FW_CFG_MAX_ITEMS; i++)
        g_free(f->items[i].data);
    g_free(f);
}
