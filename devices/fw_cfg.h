/* QEMU's firmware configuration interface, port form (docs/specs/fw_cfg.rst): a 16-bit
 * selector at 0x510 and a byte-wide data port at 0x511. Items are fixed when the board is
 * built (signature, ID, RAM size, CPU count, the file directory with its files); only the
 * selector and the read offset are machine state. */
#ifndef HVSIM_DEVICES_FW_CFG_H
#define HVSIM_DEVICES_FW_CFG_H
#include <stdint.h>
#include "core/machine.h"

enum { FW_CFG_SIGNATURE = 0x00, FW_CFG_ID = 0x01, FW_CFG_RAM_SIZE = 0x03,
       FW_CFG_NOGRAPHIC = 0x04, FW_CFG_NB_CPUS = 0x05, FW_CFG_MAX_CPUS = 0x0f,
       FW_CFG_FILE_DIR = 0x19, FW_CFG_FILE_FIRST = 0x20, FW_CFG_MAX_ITEMS = 0x40 };
#define FW_CFG_PORT_SEL 0x510
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
    /* --- run time (fixed at build) --- */
    Machine *m;
    FwCfgItem items[FW_CFG_MAX_ITEMS];
    uint32_t nfiles;
    uint32_t pad_;
} FwCfg;

/* At ports 0x510..0x511 of m's io bus, with the signature, the ID (no DMA), RAM size, CPU
 * count and an empty file directory. NULL if the ports are taken. */
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
