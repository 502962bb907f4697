/* The microbenchmarks of Dall et al., "ARM Virtualization: Performance and Architectural
 * Implications" (ISCA 2016), Table II, as minihv guests (see docs/paper.md). */
#ifndef PAPER_H
#define PAPER_H

#include <stdint.h>

/* Timed iterations of each benchmark in one run. The atomic timing model gives every
 * iteration the same cycles, so a handful is enough; the partner guest yields exactly
 * PAPER_ITERS + 1 times (one warm-up switch, then the timed ones). */
#define PAPER_ITERS 8

/* ops.S: each returns the cycles PMCCNTR_EL0 counted across its operation, less nothing;
 * op_empty is the same window around nothing, which the caller subtracts. The one-way
 * operations return the PMCCNTR_EL0 value read just before the operation instead. */
uint64_t op_empty(void);
uint64_t op_hvc(void);
uint64_t op_gicd_read(void);
uint64_t op_yield(void);
uint64_t op_sgi_self(uint64_t sgi1r);  /* -> PMCCNTR_EL0 before the MSR */
uint64_t op_doorbell(void);            /* -> PMCCNTR_EL0 before the store */
uint64_t op_virq_complete(uint32_t *intid);
void partner_yields(uint64_t n);

#endif
