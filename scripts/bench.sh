#!/bin/sh
# Benchmark: run the integer workload build/workloads/bench/intbench.elf on hvsim, on QEMU
# (TCG) and on QEMU with -icount shift=0; check that all print the same checksum and print
# guest instructions, wall seconds, MIPS and hvsim's speed relative to each QEMU mode.
#
#   sh scripts/bench.sh path/to/hvsim ["extra hvsim options"]
#
# The guest instruction count comes from hvsim (--stats: sim.insns); QEMU runs the same
# program, so its MIPS figures use that count too. Environment: BENCH_ELF (the workload),
# BENCH_RUNS (runs per simulator, the fastest counts; default 1), QEMU.
set -u

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: sh scripts/bench.sh HVSIM [\"EXTRA_FLAGS\"]" >&2
    exit 2
fi
HVSIM=$1
EXTRA=${2:-}
ELF=${BENCH_ELF:-$(dirname "$HVSIM")/workloads/bench/intbench.elf}
RUNS=${BENCH_RUNS:-1}
QEMU=${QEMU:-qemu-system-aarch64}
command -v "$QEMU" >/dev/null 2>&1 || QEMU=

if [ ! -x "$HVSIM" ]; then
    echo "bench: $HVSIM not found (run make)" >&2
    exit 1
fi
if [ ! -f "$ELF" ]; then
    echo "bench: $ELF not found (run make workloads)" >&2
    exit 1
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hvsim-bench.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM

now() {
    date +%s.%N
}

# timed_run OUT cmd... : runs the command RUNS times, leaves the fastest wall time in $secs
# and the exit code of the last run in $rc
timed_run() {
    out=$1
    shift
    secs=
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        t0=$(now)
        "$@" >"$out" 2>"$out.err" </dev/null
        rc=$?
        t1=$(now)
        s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
        if [ -z "$secs" ] || awk -v a="$s" -v b="$secs" 'BEGIN { exit !(a < b) }'; then
            secs=$s
        fi
        [ "$rc" -eq 0 ] || break
        i=$((i + 1))
    done
}

checksum_of() {
    grep '^checksum' "$1" | head -n 1
}

# sim.insns from the statistics file, flat ("sim.insns": N) or nested ({"sim": {"insns": N}})
insns_from() {
    python3 - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
def find(obj, path):
    if isinstance(obj, dict):
        if path in obj:
            return obj[path]
        head, _, rest = path.partition('.')
        if rest and head in obj:
            return find(obj[head], rest)
    return None
v = find(d, 'sim.insns')
if isinstance(v, dict):
    v = v.get('value')
print(int(v) if v is not None else '')
EOF
}

echo "workload: $ELF"
# shellcheck disable=SC2086 # EXTRA holds several options
timed_run "$TMP/hv.out" "$HVSIM" -M virt -m 256M -kernel "$ELF" --stats "$TMP/stats.json" $EXTRA
hv_secs=$secs
if [ "$rc" -ne 0 ]; then
    echo "bench: hvsim failed (exit code $rc): $(head -n 1 "$TMP/hv.out.err")" >&2
    exit 1
fi
hv_sum=$(checksum_of "$TMP/hv.out")
insns=$(insns_from "$TMP/stats.json" 2>/dev/null)
if [ -z "$insns" ]; then
    echo "bench: no sim.insns in hvsim's --stats output" >&2
    exit 1
fi

q_secs=
qi_secs=
status=0
if [ -n "$QEMU" ]; then
    timed_run "$TMP/q.out" "$QEMU" -M virt -cpu cortex-a57 -m 256M -nographic -kernel "$ELF"
    q_secs=$secs
    q_rc=$rc
    timed_run "$TMP/qi.out" "$QEMU" -M virt -cpu cortex-a57 -m 256M -nographic \
        -icount shift=0 -kernel "$ELF"
    qi_secs=$secs
    qi_rc=$rc
    for pair in "QEMU:$q_rc:$TMP/q.out" "QEMU-icount:$qi_rc:$TMP/qi.out"; do
        name=${pair%%:*}
        rest=${pair#*:}
        r=${rest%%:*}
        f=${rest#*:}
        if [ "$r" -ne 0 ]; then
            echo "bench: $name failed (exit code $r)" >&2
            status=1
        elif [ "$(checksum_of "$f")" != "$hv_sum" ]; then
            echo "bench: checksum mismatch: hvsim '$hv_sum', $name '$(checksum_of "$f")'" >&2
            status=1
        fi
    done
else
    echo "(qemu-system-aarch64 not installed: hvsim figures only)"
fi
echo "$hv_sum (hvsim)"

awk -v insns="$insns" -v hv="$hv_secs" -v q="$q_secs" -v qi="$qi_secs" 'BEGIN {
    printf "%-22s %15s %10s %10s\n", "simulator", "guest insns", "wall s", "MIPS"
    hm = insns / hv / 1e6
    printf "%-22s %15d %10.3f %10.1f\n", "hvsim", insns, hv, hm
    if (q != "") {
        qm = insns / q / 1e6
        qim = insns / qi / 1e6
        printf "%-22s %15d %10.3f %10.1f\n", "qemu (tcg)", insns, q, qm
        printf "%-22s %15d %10.3f %10.1f\n", "qemu -icount shift=0", insns, qi, qim
        printf "hvsim/QEMU speed ratio: %.3f (tcg), %.3f (icount)\n", hm / qm, hm / qim
    }
}'
exit "$status"
