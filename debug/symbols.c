/* Symbol tables for the debugger (`symbols FILE`): function and object symbols of an ELF file
 * read with libelf, so addresses print as func+off and breakpoints take names. */
#include "debug/symbols.h"
#include <stdio.h>
#include "core/machine.h"
#include "core/symbolize.h"
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int by_addr(const void *a, const void *b)
{
    const DbgSymbol *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* A symbol map in nm's text format, one "ADDRESS TYPE NAME [MODULE]" per line: System.map and
 * Linux's /proc/kallsyms. Text and data symbols (types T t W w D d B b R r V v) are kept;
 * sizes are unknown (0: the symbol covers up to the next one). */
static bool load_symbol_map(DbgSymbols *t, FILE *f, const char *path, char **err)
{
    char line[512];
    size_t added = 0, lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char type, name[256];
        unsigned long long addr;
        if (line[0] == '\n' || line[0] == '#')
            continue;
        if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3) {
            *err = g_strdup_printf("'%s' line %zu: not \"ADDRESS TYPE NAME\"", path, lineno);
            return false;
        }
        if (!strchr("TtWwDdBbRrVv", type) || addr == 0)
            continue;
        t->syms = g_renew(DbgSymbol, t->syms, t->n + 1);
        t->syms[t->n++] = (DbgSymbol){ addr, 0, g_strdup(name) };
        added++;
    }
    if (!added) {
        *err = g_strdup_printf("'%s' has no symbols (kallsyms as a user without CAP_SYSLOG "
                               "shows only zero addresses)", path);
        return false;
    }
    qsort(t->syms, t->n, sizeof t->syms[0], by_addr);
    return true;
}

bool dbg_symbols_load(DbgSymbols *t, const char *path, char **err)
{
    {
        /* not ELF: a System.map / kallsyms text map */
        FILE *f = fopen(path, "r");
        if (!f) {
            *err = g_strdup_printf("cannot open '%s'", path);
            return false;
        }
        char magic[4] = { 0 };
        size_t got = fread(magic, 1, 4, f);
        if (got < 4 || memcmp(magic, "\177ELF", 4) != 0) {
            rewind(f);
            bool ok = load_symbol_map(t, f, path, err);
            fclose(f);
            return ok;
        }
        fclose(f);
    }
    if (elf_version(EV_CURRENT) == EV_NONE) {
        *err = g_strdup("libelf: version mismatch");
        return false;
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        *err = g_strdup_printf("cannot open '%s'", path);
        return false;
    }
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    if (!e || elf_kind(e) != ELF_K_ELF) {
        *err = g_strdup_printf("'%s' is not an ELF file", path);
        if (e)
            elf_end(e);
        close(fd);
        return false;
    }
    size_t added = 0;
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(e, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
            continue;
        Elf_Data *data = elf_getdata(scn, NULL);
        size_t n = data ? sh.sh_size / sh.sh_entsize : 0;
        for (size_t i = 0; i < n; i++) {
            GElf_Sym sym;
            if (!gelf_getsym(data, (int)i, &sym))
                continue;
            int type = GELF_ST_TYPE(sym.st_info);
            const char *name = elf_strptr(e, sh.sh_link, sym.st_name);
            if ((type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE) || !name || !*name ||
                name[0] == '$' || sym.st_shndx == SHN_UNDEF || sym.st_shndx == SHN_ABS)
                continue;
            t->syms = g_renew(DbgSymbol, t->syms, t->n + 1);
            t->syms[t->n++] = (DbgSymbol){ sym.st_value, sym.st_size, g_strdup(name) };
            added++;
        }
    }
    elf_end(e);
    close(fd);
    if (!added) {
        *err = g_strdup_printf("'%s' has no symbols", path);
        return false;
    }
    qsort(t->syms, t->n, sizeof t->syms[0], by_addr);
    return true;
}

void dbg_symbols_free(DbgSymbols *t)
{
    for (size_t i = 0; i < t->n; i++)
        g_free(t->syms[i].name);
    g_free(t->syms);
    t->syms = NULL;
    t->n = 0;
}

const DbgSymbol *dbg_symbol_at(const DbgSymbols *t, uint64_t addr, uint64_t *off)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {                      /* last symbol with addr <= the address */
        size_t mid = (lo + hi) / 2;
        if (t->syms[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!lo)
        return NULL;
    const DbgSymbol *s = &t->syms[lo - 1];
    if (s->size && addr >= s->addr + s->size)
        return NULL;
    *off = addr - s->addr;
    return s;
}

bool dbg_symbol_lookup(const DbgSymbols *t, const char *name, uint64_t *addr)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->syms[i].name, name)) {
            *addr = t->syms[i].addr;
            return true;
        }
    return false;
}

static const char *trace_symbolize(void *opaque, uint64_t addr, uint64_t *off)
{
    const DbgSymbol *s = dbg_symbol_at(opaque, addr, off);
    return s ? s->name : NULL;
}

static void trace_release(void *opaque)
{
    dbg_symbols_free(opaque);
    g_free(opaque);
}

bool dbg_symbols_attach_trace(struct Machine *m, const char *elf_path, char **err)
{
    DbgSymbols *t = g_new0(DbgSymbols, 1);
    if (!dbg_symbols_load(t, elf_path, err)) {
        trace_release(t);
        return false;
    }
    Symbolizer *s = symbolizer_new(trace_symbolize, t, trace_release);
    machine_set_symbolizer(m, s);
    symbolizer_unref(s);
    return true;
}
