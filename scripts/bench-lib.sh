# Shared by scripts/bench.sh and scripts/bench-x86.sh (sourced): wall-clock timing of a
# command over $RUNS runs, the workload's checksum line and sim.insns from --stats JSON; for
# runs of an OS, the time to a marker line and to the end, hvsim's instruction count to the
# marker, and their table. The caller sets RUNS; TIMED_OK is the exit code of a successful
# run (default 0; the x86 programs end through isa-debug-exit, whose 0 is exit status 1).

now() {
    date +%s.%N
}

# timed_run OUT cmd... : runs the command RUNS times, leaves the fastest wall time in $secs
# and the exit code of the last run in $rc (runs stop at the first that fails)
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
        [ "$rc" -eq "${TIMED_OK:-0}" ] || break
        i=$((i + 1))
    done
}

# the workload's "checksum ..." line (a serial console's CR dropped)
checksum_of() {
    grep '^checksum' "$1" | head -n 1 | tr -d '\r'
}

# sim.insns from the statistics file, flat ("sim.insns": N) or nested ({"sim": {"insns": N}})
insns_from() {
    python3 - "$1" <<'PY'
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
PY
}

# marker_time OUT cmd...: "TO_MARKER TO_END RC", the fastest of RUNS runs; the marker is the
# first line that starts with $MARKER (default: the selftest /init's)
MARKER="hvsim-linux: selftest"
marker_time() {
    MARKER=$MARKER python3 -c '
import os, subprocess, sys, time
runs, out, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
marker = os.environ["MARKER"].encode()
best = None
for _ in range(runs):
    t0 = time.monotonic()
    mark = None
    with open(out, "wb") as f, open(out + ".err", "wb") as e:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=e, stdin=subprocess.DEVNULL)
        for line in p.stdout:
            f.write(line)
            if mark is None and line.startswith(marker):
                mark = time.monotonic() - t0
        rc = p.wait()
    end = time.monotonic() - t0
    if rc != 0:
        print("- - %d" % rc)
        sys.exit(0)
    if best is None or end < best[1]:
        best = (mark if mark is not None else -1.0, end)
print("%.3f %.3f 0" % best)
' "$RUNS" "$@"
}

# insns_to_marker OUT MARKER hvsim-cmd...: hvsim's guest instructions until its output first
# holds MARKER (a --script `wait-for` run, which stops there; its output in OUT), or empty
insns_to_marker() {
    _out=$1
    printf "wait-for '%s'\n" "$2" >"$_out.script"
    shift 2
    "$@" --script "$_out.script" >"$_out" 2>&1 </dev/null
    sed -n 's/.*output matched after \([0-9]*\) instructions.*/\1/p' "$_out" | head -n 1
}

# The table of a run to a marker and to power-off, on hvsim and QEMU:
# marker_table MARKER INSNS INSNS_TO_MARKER HVSIM_MARK_S HVSIM_END_S QEMU_MARK_S QEMU_END_S
#              RATIO_AT ("to power-off", "to the MARKER" or "both") NOTE
marker_table() {
    awk -v mk="$1" -v n="${2:-0}" -v nm="${3:-0}" -v hm="$4" -v he="$5" -v qm="$6" -v qe="$7" \
        -v at="$8" -v note="$9" 'BEGIN {
        printf "%-22s %15s %15s %12s %12s\n", "simulator", "insns to " mk, "insns to off", "to " mk " s", "to off s"
        printf "%-22s %15.0f %15.0f %12s %12s\n", "hvsim", nm, n, hm, he
        printf "%-22s %15s %15s %12s %12s\n", "qemu (tcg)", "-", "-", qm, qe
        if (at == "both" && qm != "-" && hm != "-" && qm > 0)
            printf "hvsim/QEMU wall-time ratio to the %s: %.2f\n", mk, hm / qm
        h = at != "to power-off" && at != "both" ? hm : he
        q = at != "to power-off" && at != "both" ? qm : qe
        if (at == "both")
            at = "to power-off"
        if (q != "-" && h != "-" && q > 0)
            printf "hvsim/QEMU wall-time ratio %s: %.2f (%s)\n", at, h / q, note
    }'
}
