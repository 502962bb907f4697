/* QEMU's firmware configuration interface, port form (docs/specs/fw_cfg.rst): a 16-bit
 * selector at 0x510, a byte-wide data port at 0x511 and the DMA address register at 0x514.
 * Items are fixed when the board is built (signature, ID, RAM size, CPU count, the file
 * directory with its files); only the selector, the read offset and the DMA address's high
 * half are machine state. */
#ifndef HVSIM_DEVICES_FW_CFG_H
#define HVSIM_DEVICES_FW_CFG_H
#include <stdint.h>
#include "core/machine.h"

enum { FW_CFG_SIGNATURE = 0x00, FW_CFG_ID = 0x01, FW_CFG_RAM_SIZE = 0x03,
       FW_CFG_NOGRAPHIC = 0x04, FW_CFG_NB_CPUS = 0x05, FW_CFG_MAX_CPUS = 0x0f,
       FW_CFG_FILE_DIR = 0x19, FW_CFG_FILE_FIRST = 0x20, FW_CFG_MAX_ITEMS = 0x40 };
#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DMA 0x514
#define FW_CFG_DMA_SIGNATURE 0x51454d5520434647ULL   /* "QEMU CFG" */
enum { FW_CFG_DMA_ERROR = 1, FW_CFG_DMA_READ = 2, FW_CFG_DMA_SKIP = 4, FW_CFG_DMA_SELECT = 8,
       FW_CFG_DMA_WRITE = 0x10 };
#define FW_CFG_NAME_MAX 56

typedef struct FwCfgItem {
    uint8_t *data;
    uint32_t len;
    char name[FW_CFG_NAME_MAX];   /* files only ("" for the fixed keys) */
} FwCfgItem;

typedef struct FwCfg {
    /* --- state (hashed, saved) --- */
    uint32_t select;          /* the selected key */
    uint32_t offset;          /* the next byte of it the data port gives */
    uint32_t dma_high;        /* the DMA address's high half, as last written */
    uint32_t pad0;
    /* --- run time (fixed at build) --- */
    Machine *m;
    FwCfgItem items[FW_CFG_MAX_ITEMS];
    uint32_t nfiles;
    uint32_t pad_;
} FwCfg;

/* At ports 0x510..0x511 and 0x514..0x51b of m's io bus, with the signature, the ID
 * (traditional and DMA interfaces), RAM size, CPU count and an empty file directory. NULL
 * if the ports are taken. */
FwCfg *fw_cfg_new(Machine *m, const char *name);
void fw_cfg_free(FwCfg *f);
/* Sets a fixed key's contents (copied). */
void fw_cfg_add_bytes(FwCfg *f, uint16_t key, const void *data, uint32_t len);
/* Adds a file (copied) to the directory; returns its key, or -1 if full or the name too long. */
int fw_cfg_add_file(FwCfg *f, const char *name, const void *data, uint32_t len);
uint64_t fw_cfg_read(void *opaque, uint64_t off, unsigned size);
void fw_cfg_write(void *opaque, uint64_t off, uint64_t val, unsigned size);
extern const StateDesc fw_cfg_state_desc;
#endif
