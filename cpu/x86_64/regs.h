/* x86-64 registers as debuggers see them (CpuClass.regs, reg_get, reg_put, reg_part, info):
 * GDB's i386:x86-64 register set and numbering, and the console's `info` topics. */
#ifndef HVSIM_CPU_X86_64_REGS_H
#define HVSIM_CPU_X86_64_REGS_H
#include <glib.h>
#include "core/machine.h"

/* Numbered as GDB's amd64 description (64bit-core.xml, 64bit-sse.xml) and QEMU's:
 * org.gnu.gdb.i386.core: rax rbx rcx rdx rsi rdi rbp rsp r8..r15 (0-15), rip (16), eflags
 * (17, 32 bits), cs ss ds es fs gs (18-23, 32 bits), st0..st7 (24-31, 80 bits), fctrl fstat
 * ftag fiseg fioff foseg fooff fop (32-39, 32 bits); org.gnu.gdb.i386.sse: xmm0..xmm15
 * (40-55, 128 bits), mxcsr (56). Both travel in 'g'. Then, by 'p' only: fs_base gs_base
 * (org.gnu.gdb.i386.segments, 57-58) and org.hvsim.x86.sys (k_gs_base, cr0, cr2, cr3, cr4,
 * cr8, efer from 59, read-only). */
extern const CpuRegSet x86_regset;
#define X86_GDB_REG_RIP 16
#define X86_GDB_REG_EFLAGS 17
#define X86_GDB_REG_CS 18
#define X86_GDB_REG_ST0 24
#define X86_GDB_REG_FCTRL 32
#define X86_GDB_REG_XMM0 40
#define X86_GDB_REG_MXCSR 56
#define X86_GDB_REG_FS_BASE 57
#define X86_GDB_REG_GS_BASE 58
#define X86_GDB_REG_SYS0 59
/* Debugger numbers of the 64-bit parts of the wide registers: part k of st(i) and xmm(i). */
#define X86_DBG_REG_ST(i, k) (0x100u + 2u * (unsigned)(i) + (unsigned)(k))
#define X86_DBG_REG_XMM(i, k) (0x120u + 2u * (unsigned)(i) + (unsigned)(k))

bool x86_reg_get(void *cpu, unsigned num, uint64_t *v);
bool x86_reg_put(void *cpu, unsigned num, uint64_t v);
unsigned x86_reg_part(unsigned regnum, unsigned k);
const char *x86_sysreg_name(size_t i);
extern const CpuInfoTopic x86_info_topics[];
extern const char *const x86_reg_aliases[];
#endif
