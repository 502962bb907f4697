/* AArch64 registers as debuggers see them (CpuClass.regs, reg_get, reg_put, reg_part,
 * info): GDB's aarch64 register set and numbering, and the console's `info` topics. */
#ifndef HVSIM_CPU_ARM64_REGS_H
#define HVSIM_CPU_ARM64_REGS_H
#include <glib.h>
#include "core/machine.h"

/* The set, numbered as GDB's own aarch64 description (and QEMU's):
 * org.gnu.gdb.aarch64.core (x0-x30, sp, pc as 64-bit regs 0-32, cpsr as a 32-bit cpsr_flags
 * reg 33), org.gnu.gdb.aarch64.fpu (v0-v31 as 128-bit aarch64v unions, regs 34-65; fpsr 66
 * and fpcr 67, 32 bits) and org.hvsim.sys (the EL1/EL2 system registers from regnum 68,
 * read-only). The 'g' packet holds the core and fpu registers. */
const CpuRegSet *a64_gdb_regset(void);
extern const CpuRegSet a64_regset;
#define A64_GDB_REG_SP 31
#define A64_GDB_REG_PC 32
#define A64_GDB_REG_CPSR 33
#define A64_GDB_REG_V0 34
#define A64_GDB_REG_FPSR 66
#define A64_GDB_REG_FPCR 67
#define A64_GDB_REG_SYS0 68
/* Debugger numbers of the 64-bit parts user writes are made of (and input logs record):
 * GDB's numbers for registers up to 64 bits; doubleword `half` of Vn (0: bits 63..0) is
 * A64_DBG_REG_VD(n, half). A write to cpsr changes NZCV only. */
#define A64_DBG_REG_VD(n, half) (0x100u + 2u * (unsigned)(n) + (unsigned)(half))

bool a64_reg_get(void *cpu, unsigned num, uint64_t *v);
bool a64_reg_put(void *cpu, unsigned num, uint64_t v);
unsigned a64_reg_part(unsigned regnum, unsigned k);
const char *a64_sysreg_name(size_t i);
extern const CpuInfoTopic a64_info_topics[];
extern const char *const a64_reg_aliases[];
#endif
