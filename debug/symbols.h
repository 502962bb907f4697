/* ELF symbol tables for the debugger (libelf). */
#ifndef HVSIM_DEBUG_SYMBOLS_H
#define HVSIM_DEBUG_SYMBOLS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

typedef struct DbgSymbol {
    uint64_t addr, size;
    char *name;
} DbgSymbol;

typedef struct DbgSymbols {
    DbgSymbol *syms;          /* sorted by address */
    size_t n;
} DbgSymbols;

/* Adds the function/object symbols of an ELF file, or of a text symbol map in nm's format
 * (System.map, Linux's /proc/kallsyms); false with *err (one line) otherwise. */
bool dbg_symbols_load(DbgSymbols *t, const char *path, char **err);
void dbg_symbols_free(DbgSymbols *t);
/* The symbol covering addr (or the last one before it when sizes are unknown), or NULL. */
const DbgSymbol *dbg_symbol_at(const DbgSymbols *t, uint64_t addr, uint64_t *off);
bool dbg_symbol_lookup(const DbgSymbols *t, const char *name, uint64_t *addr);

/* Instruction traces with names: loads the symbols of the ELF file elf_path and makes every
 * core of m print `<func+0xoff>` in its -d exec / in_asm lines. The table is freed with the
 * last core that uses it. False with *err (one line) if the file is unreadable, not ELF or
 * has no symbols; the cores are then left as they were. */
struct Machine;
bool dbg_symbols_attach_trace(struct Machine *m, const char *elf_path, char **err);
#endif
