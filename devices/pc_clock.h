/* The PC devices' "now": while a core runs, the instant of the instruction touching the
 * device (the core's clock plus what it retired of its slice, the instant its RDTSC reads),
 * else the machine's time. With it a guest polling the PIT, the PM timer or the RTC sees
 * time advance instruction by instruction, not once per slice, as it sees the TSC. */
#ifndef HVSIM_DEVICES_PC_CLOCK_H
#define HVSIM_DEVICES_PC_CLOCK_H
#include "core/machine.h"

static inline SimTime pc_now(const Machine *m)
{
    if (m->running_cpu < 0 || m->running_cpu >= m->ncpus)
        return machine_time(m);
    const MachineCpu *mc = &m->cpus[m->running_cpu];
    uint64_t done = mc->cls->retired ? mc->cls->retired(mc->obj) : 0;
    SimTime t = mc->time + done * m->timing.ps_per_cycle;
    return t > m->now ? t : m->now;
}
#endif
