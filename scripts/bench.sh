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
# Then the vector workloads (BENCH_VECTOR=0 skips them): vecmove.elf (SIMD&FP loads and stores
# only) and vecbench.elf (FP dot product, SAXPY, a byte search: SIMD&FP arithmetic), next to
# the integer workload, each on hvsim and both QEMU modes with its checksum compared; one that
# hvsim cannot run yet (exit code 2) is reported and skipped.
#
# Then snapshot figures (BENCH_SNAPSHOT=0 skips them): for the minihv demo (256 MiB) and for
# the workload on a 1 GiB machine (RAM mostly zero), a snapshot at instruction BENCH_SNAP_AT
# (default 10000000): the file's size, the save time (a run to N+1 with --checkpoint-at N
# minus the same run without) and the load time (--restore then one instruction, minus a
# fresh one-instruction run of the same machine). MINIHV names the demo's ELF.
#
# Then reverse-execution figures (BENCH_REVERSE=0 skips them), debugger sessions (--script) on
# the workload (-M virt -m 256M, EXTRA options too) at N = 1e9 instructions (or the workload's
# length minus one when it is shorter): the recording overhead (`continue N` with the default
# history vs --reverse-budget 0), `info history` at N, and latencies as wall-time differences
# between a script and the same script without the command measured: one `reverse-stepi`,
# BENCH_REVERSE_STEPS (default 10) consecutive ones (per command), after 1e8 and after N
# instructions; and `reverse-continue` to a breakpoint on `main` (entered at the start, so
# 1e8 instructions back) after 1e8. The sessions run in BENCH_RUNS interleaved rounds, the
# fastest of each counts; differences below zero (noise) print as 0.
#
# Then Debian's Linux (BENCH_LINUX=0 skips), Xen 4.17 with dom0 (BENCH_XEN=0 skips) and Xen
# with dom0 and two pinned dom0less domUs (BENCH_DOM0LESS=0 skips) to a marker and to
# power-off, next to QEMU (see their sections below).
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

# now, timed_run, checksum_of, insns_from, marker_time, marker_table
. "$(dirname "$0")/bench-lib.sh"

echo "workload: $ELF"
# shellcheck disable=SC2086 # EXTRA holds several options
timed_run "$TMP/hv.out" "$HVSIM" -M virt -m 256M -kernel "$ELF" --stats "$TMP/stats.json" --force $EXTRA
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

# ---- vector workloads: SIMD&FP data movement and arithmetic ----------------------------
# vec_case ELF: hvsim, QEMU and QEMU -icount shift=0 on one workload, the checksums compared,
# a row each and the two speed ratios. A workload hvsim cannot run yet (exit code 2: an
# instruction not implemented) prints the reason and is skipped, not failed, so the figures
# of the others still come out before the SIMD&FP arithmetic exists.
vec_case() {
    velf=$1
    vname=$(basename "$velf" .elf)
    if [ ! -f "$velf" ]; then
        echo "$vname: $velf not found (run make workloads)"
        status=1
        return
    fi
    # shellcheck disable=SC2086 # EXTRA holds several options
    timed_run "$TMP/v.out" "$HVSIM" -M virt -m 256M -kernel "$velf" --stats "$TMP/vstats.json" \
        --force $EXTRA
    vhv=$secs
    if [ "$rc" -eq 2 ]; then
        echo "$vname: skipped, hvsim cannot run it yet: $(head -n 1 "$TMP/v.out.err")"
        return
    elif [ "$rc" -ne 0 ]; then
        echo "bench: hvsim failed on $vname (exit code $rc): $(head -n 1 "$TMP/v.out.err")" >&2
        status=1
        return
    fi
    vinsns=$(insns_from "$TMP/vstats.json" 2>/dev/null)
    vsum=$(checksum_of "$TMP/v.out")
    vq= vqi=
    if [ -n "$QEMU" ]; then
        timed_run "$TMP/vq.out" "$QEMU" -M virt -cpu cortex-a57 -m 256M -nographic -kernel "$velf"
        vq=$secs
        [ "$rc" -eq 0 ] && [ "$(checksum_of "$TMP/vq.out")" = "$vsum" ] || {
            echo "bench: $vname: QEMU exit $rc or checksum '$(checksum_of "$TMP/vq.out")' != hvsim's '$vsum'" >&2
            status=1
        }
        timed_run "$TMP/vqi.out" "$QEMU" -M virt -cpu cortex-a57 -m 256M -nographic \
            -icount shift=0 -kernel "$velf"
        vqi=$secs
    fi
    awk -v n="$vname" -v insns="$vinsns" -v hv="$vhv" -v q="$vq" -v qi="$vqi" 'BEGIN {
        hm = insns / hv / 1e6
        printf "%-22s %15d %10.3f %10.1f\n", n " hvsim", insns, hv, hm
        if (q != "") {
            qm = insns / q / 1e6
            qim = insns / qi / 1e6
            printf "%-22s %15d %10.3f %10.1f\n", n " qemu", insns, q, qm
            printf "%-22s %15d %10.3f %10.1f\n", n " qemu icount", insns, qi, qim
            printf "%s hvsim/QEMU speed ratio: %.3f (tcg), %.3f (icount)\n", n, hm / qm, hm / qim
        }
    }'
}

if [ "${BENCH_VECTOR:-1}" != 0 ]; then
    echo
    echo "vector workloads (SIMD&FP): $(dirname "$ELF")/vecmove.elf, vecbench.elf"
    printf "%-22s %15s %10s %10s\n" "workload, simulator" "guest insns" "wall s" "MIPS"
    vec_case "$(dirname "$ELF")/vecmove.elf"
    vec_case "$(dirname "$ELF")/vecbench.elf"
fi

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

# ---- reverse execution: recording overhead, history size, latency ----------------------
# rev_run NAME [HVSIM_OPTION...] -- SCRIPT_LINE...: one timed debugger session of the
# workload running the script lines; keeps the fastest wall time so far in best_NAME ("unset"
# before the first run, empty once a run failed). The sessions run in RUNS interleaved rounds, so a slow spell of the
# host hits all of them alike rather than one.
rev_run() {
    name=$1
    shift
    opts=
    while [ "$1" != -- ]; do
        opts="$opts $1"
        shift
    done
    shift
    : >"$TMP/$name.txt"
    for line in "$@"; do
        printf '%s\n' "$line" >>"$TMP/$name.txt"
    done
    eval "prev=\$best_$name"
    [ -n "$prev" ] || return 0          # failed before: skip
    t0=$(now)
    # shellcheck disable=SC2086 # EXTRA and opts hold several options
    "$HVSIM" -M virt -m 256M -kernel "$ELF" $EXTRA $opts --script "$TMP/$name.txt" \
        >"$TMP/$name.out" 2>"$TMP/$name.out.err" </dev/null
    r=$?
    t1=$(now)
    if [ "$r" -ne 0 ]; then
        echo "bench: reverse session $name failed (exit code $r): $(head -n 1 "$TMP/$name.out.err")" >&2
        status=1
        eval "best_$name="
        return 0
    fi
    s=$(awk -v a="$t0" -v b="$t1" -v p="$prev" 'BEGIN {
        d = b - a
        printf "%.3f", (p != "unset" && p < d) ? p : d
    }')
    eval "best_$name=\$s"
}

# ms A B: (B - A) seconds in milliseconds, 0 when negative, "-" when a run failed
ms() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a == "" || b == "") { print "-"; exit }
        d = (b - a) * 1000
        printf "%.0f", d < 0 ? 0 : d
    }'
}

if [ "${BENCH_REVERSE:-1}" != 0 ]; then
    K=${BENCH_REVERSE_STEPS:-10}
    if [ "$insns" -gt 1000000000 ]; then
        NL=1000000000 nl_note=
    else
        NL=$((insns - 1)) nl_note=" (the workload's length)"
    fi
    NS=100000000
    [ "$NS" -le "$NL" ] || NS=$NL
    steps=
    i=0
    while [ "$i" -lt "$K" ]; do
        steps="$steps reverse-stepi"
        i=$((i + 1))
    done
    # shellcheck disable=SC2086 # steps holds K words
    set -- $steps
    echo
    echo "reverse execution: $(basename "$ELF") (-M virt -m 256M), N = $NL$nl_note"
    best_off=unset best_on=unset best_nl1=unset best_nlk=unset best_ns=unset best_ns1=unset
    best_nsk=unset best_nsb=unset best_nsrc=unset
    round=0
    while [ "$round" -lt "$RUNS" ]; do
        # recording overhead at N; "on" is also the base of the latencies at N
        rev_run off --reverse-budget 0 -- "continue $NL"
        rev_run on -- "continue $NL" "info history"
        rev_run nl1 -- "continue $NL" reverse-stepi
        rev_run nlk -- "continue $NL" "$@"
        rev_run ns -- "continue $NS"
        rev_run ns1 -- "continue $NS" reverse-stepi
        rev_run nsk -- "continue $NS" "$@"
        # the breakpoint is set after the forward run, so only reverse-continue meets it
        rev_run nsb -- "continue $NS" "symbols $ELF" "break main"
        rev_run nsrc -- "continue $NS" "symbols $ELF" "break main" reverse-continue
        round=$((round + 1))
    done

    awk -v off="$best_off" -v on="$best_on" -v n="$NL" 'BEGIN {
        printf "%-34s %10s\n", "continue " n, "wall s"
        printf "%-34s %10s\n", "  --reverse-budget 0 (off)", off == "" ? "-" : sprintf("%.3f", off)
        printf "%-34s %10s\n", "  default history (on)", on == "" ? "-" : sprintf("%.3f", on)
        if (off != "" && on != "" && off > 0)
            printf "recording overhead: %.1f %% (target < 20 %%)\n", (on - off) / off * 100
    }'
    # "history: icount 0 to now (N), S snapshots, X MiB of Y MiB budget, ..."
    grep -h '^history:' "$TMP/on.out" "$TMP/on.out.err" 2>/dev/null | head -n 1 |
        awk -v n="$NL" '{
            sub(/^history: /, "")
            split($0, f, ", ")
            printf "info history after %s: %s, %s\n", n, f[2], f[3]
            seen = 1
        }
        END { if (!seen) print "info history after " n ": (no output)" }'

    per() {
        awk -v d="$(ms "$1" "$2")" -v k="$K" 'BEGIN { print d == "-" ? "-" : sprintf("%.0f", d / k) }'
    }
    rc_hit=$(grep -ho 'Breakpoint 1 at icount [0-9]*' "$TMP/nsrc.out" 2>/dev/null | head -n 1)
    rc_hit=${rc_hit##* }
    printf "%-34s %12s %12s\n" "latency ms, after" "$NS" "$NL"
    printf "%-34s %12s %12s   (target < 200 ms at %s)\n" "  reverse-stepi" \
        "$(ms "$best_ns" "$best_ns1")" "$(ms "$best_on" "$best_nl1")" "$NL"
    printf "%-34s %12s %12s\n" "  reverse-stepi, mean of $K" \
        "$(per "$best_ns" "$best_nsk")" "$(per "$best_on" "$best_nlk")"
    printf "%-34s %12s %12s\n" "  reverse-continue to main" "$(ms "$best_nsb" "$best_nsrc")" "-"
    [ -z "$rc_hit" ] || echo "(reverse-continue: breakpoint hit at icount $rc_hit, $((NS - rc_hit)) instructions back)"
fi

# ---- the cycle model: MIPS under --timing inorder --------------------------------------
# (BENCH_TIMING=0 skips.) The integer workload and, when its image is there, Debian's Linux
# to power-off under the inorder model in its default configuration (pipeline, caches, TLBs,
# walk caches and branch prediction all on; docs/timing.md), beside atomic's speed above:
# guest instructions, wall seconds, MIPS, and the model's cycles and IPC.
timing_case() {
    label=$1
    shift
    timed_run "$TMP/ti.out" "$@" --timing inorder --stats "$TMP/ti.json" --force
    if [ "$rc" -ne 0 ]; then
        echo "bench: hvsim --timing inorder failed on $label (exit code $rc): $(head -n 1 "$TMP/ti.out.err")" >&2
        status=1
        return
    fi
    python3 - "$TMP/ti.json" "$secs" "$label" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1]))
secs, label = float(sys.argv[2]), sys.argv[3]
n = d["sim.insns"]
cyc = sum(v for k, v in d.items() if k.startswith("timing.cpu") and k.endswith(".cycles")
          and k.count(".") == 2)
print("%-22s %15d %10.3f %10.1f %15d %6.2f" % (label, n, secs, n / secs / 1e6, cyc, n / cyc))
EOF2
}
if [ "${BENCH_TIMING:-1}" != 0 ]; then
    echo
    echo "cycle model: --timing inorder, default configuration"
    printf "%-22s %15s %10s %10s %15s %6s\n" "workload" "guest insns" "wall s" "MIPS" "cycles" "IPC"
    # shellcheck disable=SC2086
    timing_case "integer workload" "$HVSIM" -M virt -m 256M -kernel "$ELF" $EXTRA
    if [ "$(checksum_of "$TMP/ti.out")" != "$hv_sum" ]; then
        echo "bench: checksum under inorder '$(checksum_of "$TMP/ti.out")', atomic '$hv_sum'" >&2
        status=1
    fi
    LXDIR=${BENCH_LINUX_DIR:-$(dirname "$HVSIM")/debian}
    if [ "${BENCH_LINUX:-1}" != 0 ] && [ -f "$LXDIR/Image" ] && [ -f "$LXDIR/initrd.cpio.gz" ]; then
        # shellcheck disable=SC2086
        timing_case "Linux to power-off" "$HVSIM" -M virt,gic-version=3 -cpu cortex-a57 -m 1G \
            -kernel "$LXDIR/Image" -initrd "$LXDIR/initrd.cpio.gz" \
            -append "console=ttyAMA0 rdinit=/init hvsim.selftest" $EXTRA
    fi
    echo "(target: at least 30 MIPS under inorder; atomic's speed is the table above)"
fi

# ---- Debian's Linux: boot to the shell marker and to power-off ---------------------------
# (BENCH_LINUX=0 skips; needs `make linux-image`.) The same Image and initramfs with the
# selftest /init (hvsim.selftest: a few busybox commands, then poweroff -f) on hvsim, QEMU TCG
# and QEMU -icount shift=0, -M virt,gic-version=3 -cpu cortex-a57 -m 1G: wall seconds to the
# "hvsim-linux: selftest" line and to the end of the run, guest instructions to power-off
# (hvsim's count), and hvsim's state hash at power-off.
LINUX_DIR=${BENCH_LINUX_DIR:-$(dirname "$HVSIM")/debian}
if [ "${BENCH_LINUX:-1}" != 0 ] && [ -f "$LINUX_DIR/Image" ] && [ -f "$LINUX_DIR/initrd.cpio.gz" ]; then
    echo
    echo "Linux: $LINUX_DIR/Image to power-off (-cpu cortex-a57, 1 core, selftest /init)"
    LX="-M virt,gic-version=3 -cpu cortex-a57 -m 1G -kernel $LINUX_DIR/Image -initrd $LINUX_DIR/initrd.cpio.gz"
    LXAPPEND="console=ttyAMA0 rdinit=/init hvsim.selftest"
    # shellcheck disable=SC2086 # LX and EXTRA hold several options
    set -- $(marker_time "$TMP/lx.out" "$HVSIM" $LX -append "$LXAPPEND" --stats "$TMP/lx.json" \
        --force --state-hash $EXTRA)
    lh_mark=$1 lh_end=$2 lh_rc=$3
    lx_insns=$(insns_from "$TMP/lx.json" 2>/dev/null)
    lx_hash=$(sed -n 's/^state-hash: //p' "$TMP/lx.out.err")
    lq_mark=- lq_end=- lqi_mark=- lqi_end=-
    if [ -n "$QEMU" ]; then
        # shellcheck disable=SC2086
        set -- $(marker_time "$TMP/lq.out" "$QEMU" $LX -nographic -append "$LXAPPEND")
        lq_mark=$1 lq_end=$2
        # shellcheck disable=SC2086
        set -- $(marker_time "$TMP/lqi.out" "$QEMU" $LX -nographic -icount shift=0 -append "$LXAPPEND")
        lqi_mark=$1 lqi_end=$2
    fi
    if [ "$lh_rc" != 0 ]; then
        echo "bench: hvsim did not boot Linux to power-off (exit code $lh_rc): $(grep -m1 'hvsim:' "$TMP/lx.out.err")" >&2
        status=1
    fi
    awk -v n="${lx_insns:-0}" -v hm="$lh_mark" -v he="$lh_end" -v qm="$lq_mark" -v qe="$lq_end" \
        -v im="$lqi_mark" -v ie="$lqi_end" 'BEGIN {
        printf "%-22s %15s %12s %12s\n", "simulator", "guest insns", "to shell s", "to off s"
        printf "%-22s %15d %12s %12s\n", "hvsim", n, hm, he
        printf "%-22s %15s %12s %12s\n", "qemu (tcg)", "-", qm, qe
        printf "%-22s %15s %12s %12s\n", "qemu -icount shift=0", "-", im, ie
        if (qe != "-" && he != "-" && qe > 0)
            printf "hvsim/QEMU wall-time ratio to power-off: %.2f (tcg; target <= 2)\n", he / qe
    }'
    echo "state hash at power-off: ${lx_hash:-?}"
fi

# ---- Xen 4.17 with dom0: to dom0's shell marker and to power-off --------------------------
# (BENCH_XEN=0 skips; needs `make xen-image`.) make xen-demo's machine (-smp 2, 2G, dom0 by
# -device guest-loader) with dom0's selftest /init, on hvsim and QEMU TCG: wall seconds to
# dom0's "hvsim-linux: selftest" line and to the end of the run; hvsim's guest instructions to
# the marker (a --script wait-for run) and to power-off.
if [ "${BENCH_XEN:-1}" != 0 ] && [ -f "$LINUX_DIR/xen" ] && [ -f "$LINUX_DIR/Image" ]; then
    echo
    echo "Xen: $LINUX_DIR/xen with dom0 to power-off (-cpu cortex-a57, 2 cores, dom0's selftest /init)"
    XEN_OPTS="-M virt,gic-version=3,virtualization=on -cpu cortex-a57 -m 2G -smp 2 -kernel $LINUX_DIR/xen"
    XEN_APPEND="dom0_mem=512M console=dtuart dtuart=/pl011@9000000"
    DOM0_K="guest-loader,addr=0x49000000,kernel=$LINUX_DIR/Image,bootargs=console=hvc0 rdinit=/init hvsim.selftest"
    DOM0_R="guest-loader,addr=0x50000000,initrd=$LINUX_DIR/initrd.cpio.gz"
    # shellcheck disable=SC2086 # XEN_OPTS and EXTRA hold several options
    set -- $(marker_time "$TMP/xh.out" "$HVSIM" $XEN_OPTS -append "$XEN_APPEND" -device "$DOM0_K" \
        -device "$DOM0_R" --stats "$TMP/xh.json" --force --state-hash $EXTRA)
    xh_mark=$1 xh_end=$2 xh_rc=$3
    xh_insns=$(insns_from "$TMP/xh.json" 2>/dev/null)
    xh_hash=$(sed -n 's/^state-hash: //p' "$TMP/xh.out.err")
    # shellcheck disable=SC2086
    xh_mark_insns=$(insns_to_marker "$TMP/xmark.out" "hvsim-linux: selftest" "$HVSIM" $XEN_OPTS \
        -append "$XEN_APPEND" -device "$DOM0_K" -device "$DOM0_R" $EXTRA)
    xq_mark=- xq_end=-
    if [ -n "$QEMU" ]; then
        # shellcheck disable=SC2086
        set -- $(marker_time "$TMP/xq.out" "$QEMU" $XEN_OPTS -nographic -append "$XEN_APPEND" \
            -device "$DOM0_K" -device "$DOM0_R")
        xq_mark=$1 xq_end=$2
    fi
    if [ "$xh_rc" != 0 ]; then
        echo "bench: hvsim did not run Xen and dom0 to power-off (exit code $xh_rc): $(grep -m1 'hvsim:' "$TMP/xh.out.err")" >&2
        status=1
    fi
    marker_table shell "$xh_insns" "$xh_mark_insns" "$xh_mark" "$xh_end" "$xq_mark" "$xq_end" \
        "to power-off" "tcg; target <= 2"
    echo "state hash at power-off: ${xh_hash:-?}"
fi

# ---- Xen dom0less, pinned: to the pin and to power-off -------------------------------------
# (BENCH_DOM0LESS=0 skips; needs `make xen-pin-image`.) make xen-dom0less-demo's machine (-smp
# 4, dom0 with two vCPUs, two domUs from the overlay) with hvsim.poweroff=1: dom0 pins the
# domUs (xen-pin), sleeps a second while they work, and powers off. Wall seconds to dom0's
# "hvsim-dom0: xen-pin exit" line and to the end of the run, hvsim's guest instructions to
# both; QEMU TCG boots hvsim's device tree of the same machine (dumpdtb: the overlay and the
# guest-loader nodes applied) with the six images from its own -device loader.
PIN_INITRD=$LINUX_DIR/xen-pin/initrd.cpio.gz
if [ "${BENCH_DOM0LESS:-1}" != 0 ] && [ -f "$LINUX_DIR/xen" ] && [ -f "$PIN_INITRD" ] &&
   [ -f "$LINUX_DIR/dom0less.dtbo" ]; then
    echo
    echo "Xen dom0less: dom0 and two domUs, each vCPU pinned to its own core, to power-off (-cpu cortex-a57, 4 cores)"
    DL_M=virt,gic-version=3,virtualization=on
    DL_OPTS="-cpu cortex-a57 -m 2G -smp 4 -kernel $LINUX_DIR/xen"
    DL_APPEND="dom0_mem=512M console=dtuart dtuart=/pl011@9000000 dom0_max_vcpus=2 dom0_vcpus_pin"
    DL_DOM0="console=hvc0 rdinit=/init hvsim.xenpin=d1v0=2 hvsim.xenpin=d2v0=3 hvsim.poweroff=1"
    DL_DOMUS="-device loader,file=$LINUX_DIR/Image,addr=0x52000000 -device loader,file=$PIN_INITRD,addr=0x54000000
        -device loader,file=$LINUX_DIR/Image,addr=0x56000000 -device loader,file=$PIN_INITRD,addr=0x58000000"
    MARKER="hvsim-dom0: xen-pin exit"
    # shellcheck disable=SC2086 # DL_OPTS, DL_DOMUS and EXTRA hold several options
    set -- $(marker_time "$TMP/dh.out" "$HVSIM" -M $DL_M $DL_OPTS -append "$DL_APPEND" \
        -device "guest-loader,addr=0x49000000,kernel=$LINUX_DIR/Image,bootargs=$DL_DOM0" \
        -device "guest-loader,addr=0x50000000,initrd=$PIN_INITRD" $DL_DOMUS \
        --dtb-overlay "$LINUX_DIR/dom0less.dtbo" --stats "$TMP/dh.json" --force $EXTRA)
    dh_mark=$1 dh_end=$2 dh_rc=$3
    dh_insns=$(insns_from "$TMP/dh.json" 2>/dev/null)
    # shellcheck disable=SC2086
    dh_mark_insns=$(insns_to_marker "$TMP/dmark.out" "(pin step over)" "$HVSIM" -M $DL_M $DL_OPTS \
        -append "$DL_APPEND" \
        -device "guest-loader,addr=0x49000000,kernel=$LINUX_DIR/Image,bootargs=$DL_DOM0" \
        -device "guest-loader,addr=0x50000000,initrd=$PIN_INITRD" $DL_DOMUS \
        --dtb-overlay "$LINUX_DIR/dom0less.dtbo" $EXTRA)
    dq_mark=- dq_end=-
    # shellcheck disable=SC2086
    if [ -n "$QEMU" ] && "$HVSIM" -M "$DL_M,dumpdtb=$TMP/dl.dtb" $DL_OPTS -append "$DL_APPEND" \
        -device "guest-loader,addr=0x49000000,kernel=$LINUX_DIR/Image,bootargs=$DL_DOM0" \
        -device "guest-loader,addr=0x50000000,initrd=$PIN_INITRD" $DL_DOMUS \
        --dtb-overlay "$LINUX_DIR/dom0less.dtbo" >/dev/null 2>&1; then
        # shellcheck disable=SC2086
        set -- $(marker_time "$TMP/dq.out" "$QEMU" -M $DL_M $DL_OPTS -nographic -dtb "$TMP/dl.dtb" \
            -append "$DL_APPEND" -device loader,file="$LINUX_DIR/Image",addr=0x49000000 \
            -device loader,file="$PIN_INITRD",addr=0x50000000 $DL_DOMUS)
        dq_mark=$1 dq_end=$2
    fi
    if [ "$dh_rc" != 0 ]; then
        echo "bench: hvsim did not run the pinned dom0less machine to power-off (exit code $dh_rc): $(grep -m1 'hvsim:' "$TMP/dh.out.err")" >&2
        status=1
    fi
    marker_table pin "$dh_insns" "$dh_mark_insns" "$dh_mark" "$dh_end" "$dq_mark" "$dq_end" \
        "to the pin" "QEMU sleeps its guests in real time"
fi
exit "$status"
