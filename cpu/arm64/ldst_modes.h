/* Addressing modes of the single-register loads and stores, shared by the general-register
 * (exec_ldst.c) and SIMD&FP (exec_ldst_simd.c) executors. Executors are specialised per mode:
 * ADDR_<mode> computes the access address from the decoded slots (rn = base, imm = byte
 * offset, rm = index register, u8a = its shift), WB_<mode> writes the base back after the
 * access. */
#ifndef HVSIM_CPU_ARM64_LDST_MODES_H
#define HVSIM_CPU_ARM64_LDST_MODES_H
#include "cpu/arm64/cpu.h"

enum { M_OFF, M_PRE, M_POST, M_RX, M_RUW, M_RSW, M_NUM };

#define ADDR_OFF  (c->x[d->rn] + (uint64_t)d->imm)
#define ADDR_PRE  (c->x[d->rn] + (uint64_t)d->imm)
#define ADDR_POST (c->x[d->rn])
#define ADDR_RX   (c->x[d->rn] + (c->x[d->rm] << d->u8a))
#define ADDR_RUW  (c->x[d->rn] + ((uint64_t)(uint32_t)c->x[d->rm] << d->u8a))
#define ADDR_RSW  (c->x[d->rn] + ((uint64_t)(int64_t)(int32_t)c->x[d->rm] << d->u8a))
#define ADDR_LIT  (a64_pc(c, d) + (uint64_t)d->imm)

#define WB_OFF  (void)addr
#define WB_PRE  c->x[d->rn] = addr
#define WB_POST c->x[d->rn] = addr + (uint64_t)d->imm
#define WB_RX   (void)addr
#define WB_RUW  (void)addr
#define WB_RSW  (void)addr
#define WB_LIT  (void)addr

/* The register-offset form's option field: M_RUW (UXTW), M_RX (LSL = UXTX, and SXTX: the
 * 64-bit value as is), M_RSW (SXTW), or -1 when option<1> = 0 (unallocated). */
static inline int a64_ldst_reg_mode(int64_t option)
{
    switch (option) {
    case 2: return M_RUW;
    case 3: case 7: return M_RX;
    case 6: return M_RSW;
    default: return -1;
    }
}
#endif
