/* What the shared benchmarks (workloads/bench/) take from "lib.h", for their x86-64 builds
 * (the Arm library's lib.h is workloads/lib/lib.h). */
#ifndef BENCH_X86_LIB_H
#define BENCH_X86_LIB_H
#include <stddef.h>
#include <stdint.h>
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
