# Shared by scripts/bench.sh and scripts/bench-x86.sh (sourced): wall-clock timing of a
# command over $RUNS runs, the workload's checksum line and sim.insns from --stats JSON.
# The caller sets RUNS; TIMED_OK is the exit code of a successful run (default 0; the x86
# programs end through isa-debug-exit, whose 0 is exit status 1).

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
