/* The Arm generic timers of one core (Arm ARM DDI 0487, "The Generic Timer in AArch64 state",
 * chapter D11 in rev J.a / D12 in rev L.a): the EL1 physical timer (CNTP_*), the EL1 virtual
 * timer (CNTV_*), the EL2 physical timer (CNTHP_*) and the EL2 virtual timer (CNTHV_*,
 * FEAT_VHE). Each drives one level-sensitive PPI output, high iff
 * CTL.ENABLE && !CTL.IMASK && the timer condition holds. Expiry is an event on the machine's
 * queue at the exact picosecond the counter reaches CVAL.
 *
 * Access permission checks (CNTKCTL_EL1/CNTHCTL_EL2 traps, UNDEFINED at the wrong EL or
 * without FEAT_VHE) stay with the CPU; this module only models the timers. */
#ifndef HVSIM_DEVICES_ARCH_TIMER_H
#define HVSIM_DEVICES_ARCH_TIMER_H
#include <stdbool.h>
#include <stdint.h>
#include "core/evq.h"
#include "core/irq.h"
#include "core/machine.h"
#include "core/state.h"

/* The counter frequency (CNTFRQ_EL0); must equal A64_CNTFRQ_HZ in cpu/arm64/sysreg.h. */
#define ATIMER_CNTFRQ_HZ 62500000ULL
#define ATIMER_PS_PER_TICK (PS_PER_S / ATIMER_CNTFRQ_HZ)   /* 16000 ps */

/* Which timer. */
enum { ATIMER_PHYS, ATIMER_VIRT, ATIMER_HYP_PHYS, ATIMER_HYP_VIRT, ATIMER_N };

/* Conventional PPI INTIDs on the virt board (SBSA / QEMU virt). */
enum {
    ATIMER_PPI_PHYS = 30, ATIMER_PPI_VIRT = 27, ATIMER_PPI_HYP_PHYS = 26, ATIMER_PPI_HYP_VIRT = 28,
};

/* CNTx_CTL bits. ISTATUS is read-only and computed on read. */
#define ATIMER_CTL_ENABLE (1u << 0)
#define ATIMER_CTL_IMASK (1u << 1)
#define ATIMER_CTL_ISTATUS (1u << 2)

/* System-register keys: op0:op1:CRn:CRm:op2, as A64_SYSREG_KEY (MRS/MSR bits [20:5]). */
#define ATIMER_KEY(op0, op1, crn, crm, op2) \
    ((uint32_t)(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2)))
/* op2 selects the register: 0 TVAL, 1 CTL, 2 CVAL. */
enum { ATIMER_REG_TVAL = 0, ATIMER_REG_CTL = 1, ATIMER_REG_CVAL = 2 };
#define ATIMER_CNTP_TVAL_EL0 ATIMER_KEY(3, 3, 14, 2, 0)
#define ATIMER_CNTP_CTL_EL0 ATIMER_KEY(3, 3, 14, 2, 1)
#define ATIMER_CNTP_CVAL_EL0 ATIMER_KEY(3, 3, 14, 2, 2)
#define ATIMER_CNTV_TVAL_EL0 ATIMER_KEY(3, 3, 14, 3, 0)
#define ATIMER_CNTV_CTL_EL0 ATIMER_KEY(3, 3, 14, 3, 1)
#define ATIMER_CNTV_CVAL_EL0 ATIMER_KEY(3, 3, 14, 3, 2)
#define ATIMER_CNTHP_TVAL_EL2 ATIMER_KEY(3, 4, 14, 2, 0)
#define ATIMER_CNTHP_CTL_EL2 ATIMER_KEY(3, 4, 14, 2, 1)
#define ATIMER_CNTHP_CVAL_EL2 ATIMER_KEY(3, 4, 14, 2, 2)
#define ATIMER_CNTHV_TVAL_EL2 ATIMER_KEY(3, 4, 14, 3, 0)
#define ATIMER_CNTHV_CTL_EL2 ATIMER_KEY(3, 4, 14, 3, 1)
#define ATIMER_CNTHV_CVAL_EL2 ATIMER_KEY(3, 4, 14, 3, 2)
#define ATIMER_CNTP_TVAL_EL02 ATIMER_KEY(3, 5, 14, 2, 0)
#define ATIMER_CNTP_CTL_EL02 ATIMER_KEY(3, 5, 14, 2, 1)
#define ATIMER_CNTP_CVAL_EL02 ATIMER_KEY(3, 5, 14, 2, 2)
#define ATIMER_CNTV_TVAL_EL02 ATIMER_KEY(3, 5, 14, 3, 0)
#define ATIMER_CNTV_CTL_EL02 ATIMER_KEY(3, 5, 14, 3, 1)
#define ATIMER_CNTV_CVAL_EL02 ATIMER_KEY(3, 5, 14, 3, 2)

typedef struct ArchTimers ArchTimers;   /* all timers of one core (opaque) */

/* Creates the timers of core `cpu` (reset state, outputs unconnected) and registers their
 * state description as `name` (e.g. "cpu0.timer"). Free only while tearing the machine
 * down, before machine_free (the machine keeps the registration). */
ArchTimers *arch_timer_new(Machine *m, int cpu, const char *name);
void arch_timer_free(ArchTimers *t);
/* CTL = 0 (ENABLE is 0 after a warm reset), CVAL = 0, CNTVOFF = 0; lowers raised lines. */
void arch_timer_reset(ArchTimers *t);
/* Connects the output of timer `which` and drives its current level. */
void arch_timer_connect(ArchTimers *t, int which, IrqLine line);

/* The physical count (CNTPCT_EL0) at simulated time `now`. */
uint64_t arch_timer_count(SimTime now);
/* CNTVOFF_EL2: the EL1 virtual timer compares (count - CNTVOFF) with its CVAL, so a change
 * re-evaluates it at `now`. The timers own this value; sysreg.c should read it back here. */
void arch_timer_set_cntvoff(ArchTimers *t, uint64_t off, SimTime now);
uint64_t arch_timer_cntvoff(const ArchTimers *t);

/* Register access for one timer; `now` is the accessing core's current time. */
uint64_t arch_timer_read_ctl(ArchTimers *t, int which, SimTime now);   /* ISTATUS computed */
void arch_timer_write_ctl(ArchTimers *t, int which, uint64_t v, SimTime now);
uint64_t arch_timer_read_cval(ArchTimers *t, int which);
void arch_timer_write_cval(ArchTimers *t, int which, uint64_t v, SimTime now);
/* TVAL reads (CVAL - count)[31:0], zero-extended (bits 63:32 are RES0), so
 * (int32_t)value is negative once the timer has expired; writes set
 * CVAL = count + SignExtend(v[31:0]). `count` is the timer's view of the counter. */
uint64_t arch_timer_read_tval(ArchTimers *t, int which, SimTime now);
void arch_timer_write_tval(ArchTimers *t, int which, uint64_t v, SimTime now);

/* The output level currently driven by timer `which` (0 or 1). */
int arch_timer_level(const ArchTimers *t, int which);

/* MRS (write = false: *val receives the value) or MSR (write = true: *val is written) of the
 * timer register with encoding `key`. Returns false, touching nothing, if key is not a timer
 * register. e2h_redirect must be ELIsInHost(PSTATE.EL): HCR_EL2.E2H == 1 at EL2, or
 * HCR_EL2.{E2H,TGE} == {1,1} at EL0; then CNTP_*_EL0 reach the EL2 physical timer and
 * CNTV_*_EL0 the EL2 virtual timer. CNTP_*_EL02 / CNTV_*_EL02 always reach the EL1 timers
 * (the caller makes them UNDEFINED unless at EL2 with E2H == 1). */
bool arch_timer_sysreg(ArchTimers *t, uint32_t key, bool write, uint64_t *val, SimTime now,
                       bool e2h_redirect);

/* After the state has been loaded (snapshot restore): recomputes the output levels at `now`,
 * drives every connected line with its level and reschedules the expiry events. */
void arch_timer_post_load(ArchTimers *t, SimTime now);

extern const StateDesc arch_timer_state_desc;
#endif
