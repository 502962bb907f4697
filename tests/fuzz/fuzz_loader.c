/* Boot image loading (boards/loader.c through virt_create): each input is the -kernel file
 * (ELF, Linux arm64 Image, gzip-compressed Image, or raw), given as an in-memory file to a
 * fresh fuzz machine; an accepted image then runs RUN_INSNS instructions. The same file goes
 * through the symbol reader hvsim runs on every kernel for its traces (debug/symbols.c: ELF
 * symbol tables, or a System.map / /proc/kallsyms text map). The same bytes are also a
 * --dtb-overlay file (libfdt's overlay code on a user's blob, boards/fdt.c) for the fuzz
 * machine, as text, a -device guest-loader/loader spec (boards/guest_loader.c), and the -kernel
 * of a -M pc machine (boards/multiboot.c, boards/bzimage.c), which then runs RUN_INSNS too.
 * Seeds: the fuzz kernel raw, as an ELF (RAM and flash segments), as an Image and as an
 * Image.gz, a kallsyms map, a dom0less overlay, a guest-loader spec, an x86 Multiboot ELF32,
 * an x86 ELF64 and a bzImage header with a small protected-mode part. */
#include <stdio.h>
#include <string.h>
#include "boards/guest_loader.h"
#include "debug/symbols.h"
#include "tests/fuzz/fuzz_common.h"

#define RUN_INSNS 2000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *err = NULL;
    Machine *m = fz_machine_with_kernel(data, size, &err);
    if (m) {
        fz_run(m, RUN_INSNS);
        machine_free(m);
    }
    g_clear_pointer(&err, g_free);
    /* the same bytes as -M pc's kernel: Multiboot (ELF32/ELF64/a.out kludge), ELF64, bzImage */
    if ((m = fz_pc_with_kernel(data, size, &err))) {
        fz_run(m, RUN_INSNS);
        machine_free(m);
    } else if (!err || strchr(err, '\n')) {
        abort();              /* a refusal is one line */
    }
    g_clear_pointer(&err, g_free);
    static FzFile sf;
    if (!sf.path[0])
        fz_file_init(&sf, "symbols");
    DbgSymbols t = { 0 };
    if (dbg_symbols_load(&t, fz_file_set(&sf, data, size), &err)) {
        uint64_t off, addr;
        const DbgSymbol *s = dbg_symbol_at(&t, t.syms[t.n / 2].addr, &off);
        if (!s || !dbg_symbol_lookup(&t, s->name, &addr))
            abort();          /* a symbol found by address is found by its name */
    }
    dbg_symbols_free(&t);
    g_clear_pointer(&err, g_free);
    if ((m = fz_machine_with_overlay(data, size, &err)))
        machine_free(m);
    g_clear_pointer(&err, g_free);
    char *spec = g_strndup((const char *)data, size);
    GuestModule gm;
    if (guest_loader_parse(spec, &gm, &err)) {
        if (!gm.file || (gm.kind == GUEST_MODULE_RAMDISK && gm.bootargs))
            abort();          /* accepted specs name an image; bootargs only for kernels */
        g_free(gm.file);
        g_free(gm.bootargs);
    } else if (!err || strchr(err, '\n')) {
        abort();              /* a refusal is one line */
    }
    g_free(spec);
    g_free(err);
    return 0;
}
