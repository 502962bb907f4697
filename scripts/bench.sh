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
#
# Then snapshot figures (BENCH_SNAPSHOT=0 skips them): for the minihv demo (256 MiB) and for
# the workload on a 1 GiB machine (RAM mostly zero), a snapshot at instruction BENCH_SNAP_AT
# (default 10000000): the file's size, the save time (a run to N+1 with --checkpoint-at N
# minus the same run without) and the load time (--restore then one instruction, minus a
# fresh one-instruction run of the same machine). MINIHV names the demo's ELF.
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

# ---- snapshots: size, save and load time ----------------------------------------------
# snap_case NAME RAM ELF MACHINE CPU: prints one row of the table (EXTRA is not used: a
# restored machine takes its description from the file)
snap_case() {
    name=$1 ram=$2 elf=$3 machine=$4 cpu=$5
    snap=$TMP/$name.snap
    if [ ! -f "$elf" ]; then
        printf "%-22s %6s %12s\n" "$name" "$ram" "(no $elf)"
        return
    fi
    set -- -M "$machine" -cpu "$cpu" -m "$ram" -kernel "$elf"
    timed_run "$TMP/sn.out" "$HVSIM" "$@" --max-insns "$((SNAP_AT + 1))"
    t_run=$secs r1=$rc
    timed_run "$TMP/sn.out" "$HVSIM" "$@" --max-insns "$((SNAP_AT + 1))" --force \
        --checkpoint-at "$SNAP_AT:$snap"
    t_save=$secs r2=$rc
    size=$(wc -c <"$snap" 2>/dev/null || echo 0)
    timed_run "$TMP/sn.out" "$HVSIM" --restore "$snap" --max-insns "$((SNAP_AT + 1))"
    t_load=$secs r3=$rc
    timed_run "$TMP/sn.out" "$HVSIM" "$@" --max-insns 1
    t_tiny=$secs r4=$rc
    if [ "$r1$r2$r3$r4" != 0000 ] || [ "$size" -eq 0 ]; then
        echo "bench: snapshot of $name failed (exit codes $r1 $r2 $r3 $r4): $(head -n 1 "$TMP/sn.out.err")" >&2
        status=1
        return
    fi
    awk -v n="$name" -v ram="$ram" -v size="$size" -v run="$t_run" -v ck="$t_save" \
        -v rs="$t_load" -v tiny="$t_tiny" 'BEGIN {
        save = ck - run; load = rs - tiny
        printf "%-22s %6s %12d %10.3f %10.3f\n", n, ram, size, save < 0 ? 0 : save, load < 0 ? 0 : load
    }'
    rm -f "$snap"
}

if [ "${BENCH_SNAPSHOT:-1}" != 0 ]; then
    SNAP_AT=${BENCH_SNAP_AT:-10000000}
    MINIHV=${MINIHV:-$(dirname "$HVSIM")/workloads/minihv/minihv.elf}
    echo
    printf "%-22s %6s %12s %10s %10s\n" "snapshot at $SNAP_AT" "RAM" "file bytes" "save s" "load s"
    snap_case minihv 256M "$MINIHV" virt,virtualization=on max
    snap_case "$(basename "$ELF" .elf)" 1G "$ELF" virt cortex-a57
fi
exit "$status"
