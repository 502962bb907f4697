/* A core's registers as debuggers see them: names, widths, groups and GDB's numbering,
 * grouped in the features of a GDB target description (GDB manual, appendix G). Each CPU
 * class describes its own (CpuClass.regs); the GDB stub, the console's `print $reg` and
 * completion read them without knowing the architecture. */
#ifndef HVSIM_CORE_CPUREGS_H
#define HVSIM_CORE_CPUREGS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct CpuReg {
    const char *name;
    unsigned bitsize;
    const char *type;     /* "int", "uint64", "code_ptr", "data_ptr", a feature's type id */
    const char *group;    /* NULL = default ("general") */
    unsigned regnum;      /* GDB's register number: p/P and the 'g' order */
    uint32_t key;         /* the class's own key (AArch64 system registers: op0:op1:CRn:CRm:op2
                           * packed like A64_SYSREG_KEY); 0 for core registers */
} CpuReg;

typedef struct CpuRegFeature {
    const char *name;     /* "org.gnu.gdb.aarch64.core" */
    const char *annex;    /* the qXfer annex serving it: "aarch64-core.xml" */
    const char *types;    /* XML type definitions placed before the registers, or NULL */
    const CpuReg *regs;
    size_t nregs;
    bool in_g;            /* its registers are part of the 'g' packet (in regnum order) */
} CpuRegFeature;

typedef struct CpuRegSet {
    const char *arch;     /* GDB's architecture name: "aarch64", "i386:x86-64" */
    const CpuRegFeature *features;
    size_t nfeatures;
} CpuRegSet;

size_t cpuregs_count(const CpuRegSet *set);
const CpuReg *cpuregs_find(const CpuRegSet *set, unsigned regnum);
/* By name, case-sensitive as GDB's. */
const CpuReg *cpuregs_find_name(const CpuRegSet *set, const char *name);
/* Bytes of the 'g' packet: the registers of the features marked in_g. */
size_t cpuregs_g_bytes(const CpuRegSet *set);
#endif
