#!/bin/sh
# x86-64 benchmark: runs the integer workload build/workloads/bench-x86/intbench.elf (a
# Multiboot ELF; the same source as the Arm one) on hvsim -M pc and, when it is installed, on
# qemu-system-x86_64 -M pc (TCG); checks that both print the same checksum and prints guest
# instructions, wall seconds of the whole run, MIPS and the hvsim/QEMU wall-time ratio.
#
#   sh scripts/bench-x86.sh path/to/hvsim ["extra hvsim options"]
#
# Both end through isa-debug-exit (the guest writes 0: exit status 1, the program's success).
# The guest instruction count comes from hvsim (--stats: sim.insns); QEMU runs the same
# program, so its MIPS figure uses that count too. Environment: BENCH_ELF (the workload),
# BENCH_RUNS (runs per simulator, the fastest counts; default 1), QEMU (the QEMU binary).
# Figures only: nothing here asserts a speed.
set -u

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: sh scripts/bench-x86.sh HVSIM [\"EXTRA_FLAGS\"]" >&2
    exit 2
fi
HVSIM=$1
EXTRA=${2:-}
ELF=${BENCH_ELF:-$(dirname "$HVSIM")/workloads/bench-x86/intbench.elf}
RUNS=${BENCH_RUNS:-1}
QEMU=${QEMU:-qemu-system-x86_64}
command -v "$QEMU" >/dev/null 2>&1 || QEMU=

if [ ! -x "$HVSIM" ]; then
    echo "bench-x86: $HVSIM not found (run make)" >&2
    exit 1
fi
if [ ! -f "$ELF" ]; then
    echo "bench-x86: $ELF not found (run make workloads-x86)" >&2
    exit 1
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hvsim-bench-x86.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM

# now, timed_run (a run succeeds with isa-debug-exit status 1), checksum_of, insns_from
TIMED_OK=1
. "$(dirname "$0")/bench-lib.sh"

echo "workload: $ELF"
# shellcheck disable=SC2086 # EXTRA holds several options
timed_run "$TMP/hv.out" "$HVSIM" -M pc -m 128M -kernel "$ELF" \
    -device isa-debug-exit,iobase=0xf4,iosize=4 --stats "$TMP/stats.json" --force $EXTRA
hv_secs=$secs
if [ "$rc" -ne 1 ]; then
    echo "bench-x86: hvsim failed (exit code $rc): $(head -n 1 "$TMP/hv.out.err")" >&2
    exit 1
fi
hv_sum=$(checksum_of "$TMP/hv.out")
insns=$(insns_from "$TMP/stats.json" 2>/dev/null)
if [ -z "$insns" ]; then
    echo "bench-x86: no sim.insns in hvsim's --stats output" >&2
    exit 1
fi

q_secs=
status=0
if [ -n "$QEMU" ]; then
    timed_run "$TMP/q.out" "$QEMU" -M pc -m 128M -nographic -kernel "$ELF" \
        -device isa-debug-exit,iobase=0xf4,iosize=4
    q_secs=$secs
    if [ "$rc" -ne 1 ]; then
        echo "bench-x86: QEMU failed (exit code $rc)" >&2
        status=1
        q_secs=
    elif [ "$(checksum_of "$TMP/q.out")" != "$hv_sum" ]; then
        echo "bench-x86: checksum mismatch: hvsim '$hv_sum', QEMU '$(checksum_of "$TMP/q.out")'" >&2
        status=1
    fi
else
    echo "(qemu-system-x86_64 not installed: hvsim figures only)"
fi
echo "$hv_sum (hvsim)"

awk -v insns="$insns" -v hv="$hv_secs" -v q="$q_secs" 'BEGIN {
    printf "%-22s %15s %10s %10s\n", "simulator", "guest insns", "wall s", "MIPS"
    printf "%-22s %15d %10.3f %10.1f\n", "hvsim -M pc", insns, hv, insns / hv / 1e6
    if (q != "") {
        printf "%-22s %15d %10.3f %10.1f\n", "qemu -M pc (tcg)", insns, q, insns / q / 1e6
        if (q > 0)
            printf "hvsim/QEMU wall-time ratio: %.2f\n", hv / q
    }
}'
exit $status
