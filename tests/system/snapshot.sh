#!/bin/sh
# Snapshot, replay and reverse-execution tests (issue: determinism you can prove):
#  - a run stopped at instruction N, saved, and resumed from the file in a new process ends
#    in the state (hash) and with the output of the uninterrupted run: minihv (1 core, two
#    guests under stage 2, timers), SMP programs on 2 and 4 cores (IPIs in flight, timers
#    pending, exclusive monitors armed mid-loop);
#  - bad snapshot files (truncated, corrupt, foreign, other format version, other machine,
#    missing) are refused with exit code 4 and one line on stderr;
#  - an existing file is never replaced without --force.
#
#   sh tests/system/snapshot.sh path/to/hvsim
# Environment: WORKLOADS (default: <dir of hvsim>/workloads).
set -u
if [ $# -ne 1 ]; then
    echo "usage: sh tests/system/snapshot.sh HVSIM" >&2
    exit 2
fi
HVSIM=$1
WORKLOADS=${WORKLOADS:-$(dirname "$HVSIM")/workloads}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hvsim-snapshot.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT INT TERM
# shellcheck disable=SC3045
ulimit -c 0 2>/dev/null

passed=0
failed=0
pass() {
    echo "PASS $1"
    passed=$((passed + 1))
}
fail() {
    echo "FAIL $1${2:+: $2}"
    failed=$((failed + 1))
}
hv() {
    timeout 120 "$HVSIM" "$@" </dev/null
}
hash_of() {
    sed -n 's/^state-hash: //p' "$1"
}
insns_of() {
    awk '/^cpu[0-9]+\.insns/ { s += $2 } END { print s + 0 }' "$1"
}

MINIHV=$WORKLOADS/minihv/minihv.elf
EL2="-M virt,virtualization=on -cpu max -m 256M"

# ---- minihv: straight run vs checkpoint at N, restored in a new process -----------------
# shellcheck disable=SC2086
hv $EL2 -kernel "$MINIHV" --state-hash --stats-text "$TMP/full.stats" >"$TMP/full.out" 2>"$TMP/full.err"
FULL=$(hash_of "$TMP/full.err")
TOTAL=$(insns_of "$TMP/full.stats")
if [ -z "$FULL" ] || [ "$TOTAL" -lt 1000000 ]; then
    fail "snapshot-minihv" "the straight run failed: $(tail -n 1 "$TMP/full.err")"
else
    for N in 1000 1000000 $((TOTAL / 3)) $((TOTAL - 5000)); do
        name="snapshot-minihv-at-$N"
        # shellcheck disable=SC2086
        hv $EL2 -kernel "$MINIHV" --checkpoint-at "$N:$TMP/m$N.snap" >/dev/null 2>"$TMP/ck.err"
        # the output before N, then the restored run's output, is the straight run's output
        # shellcheck disable=SC2086
        hv $EL2 -kernel "$MINIHV" --max-insns "$N" >"$TMP/pre.out" 2>/dev/null
        hv --restore "$TMP/m$N.snap" --state-hash --stats-text "$TMP/r.stats" >"$TMP/post.out" \
            2>"$TMP/r.err"
        rc=$?
        cat "$TMP/pre.out" "$TMP/post.out" >"$TMP/joined.out"
        if [ ! -s "$TMP/m$N.snap" ]; then
            fail "$name" "no snapshot written: $(tail -n 1 "$TMP/ck.err")"
        elif [ "$rc" -ne 0 ] || [ "$(hash_of "$TMP/r.err")" != "$FULL" ]; then
            fail "$name" "restored run: exit $rc, $(tail -n 1 "$TMP/r.err") (want $FULL)"
        elif ! cmp -s "$TMP/joined.out" "$TMP/full.out"; then
            fail "$name" "output before N + restored output differs from the straight run"
        elif ! grep -q "^vm1 exits: .*hvc=6" "$TMP/r.err"; then
            fail "$name" "VM-exit totals not carried: $(grep '^vm1' "$TMP/r.err")"
        else
            pass "$name"
        fi
    done
fi

# ---- multi-core programs: several N each, hash after restore equals the straight run ------
for spec in smp_timer:4 smp_ipi:4 atomics:2 smp:2; do
    prog=${spec%:*}
    smp=${spec#*:}
    elf=$WORKLOADS/tests/$prog.elf
    M="-M virt,virtualization=on -cpu max -m 256M -smp $smp"
    # shellcheck disable=SC2086
    hv $M -kernel "$elf" --state-hash --stats-text "$TMP/s.stats" >/dev/null 2>"$TMP/s.err"
    full=$(hash_of "$TMP/s.err")
    total=$(insns_of "$TMP/s.stats")
    bad=""
    for k in 1 3 5 7 9; do
        N=$((total * k / 10 + k))
        rm -f "$TMP/s.snap"
        # shellcheck disable=SC2086
        hv $M -kernel "$elf" --checkpoint-at "$N:$TMP/s.snap" >/dev/null 2>&1
        hv --restore "$TMP/s.snap" --state-hash >/dev/null 2>"$TMP/sr.err"
        [ "$(hash_of "$TMP/sr.err")" = "$full" ] || bad="$bad $N"
    done
    if [ -z "$full" ] || [ "$total" -lt 1000 ]; then
        fail "snapshot-$prog-smp$smp" "the straight run failed"
    elif [ -n "$bad" ]; then
        fail "snapshot-$prog-smp$smp" "restored state differs at N =$bad"
    else
        pass "snapshot-$prog-smp$smp"
    fi
done

# ---- bad snapshot files: exit 4, one line naming the problem --------------------------------
# expect_bad NAME PATTERN [hvsim arguments...]
expect_bad() {
    name=$1
    pat=$2
    shift 2
    hv "$@" >"$TMP/bad.out" 2>"$TMP/bad.err"
    rc=$?
    lines=$(wc -l <"$TMP/bad.err")
    if [ "$rc" -ne 4 ]; then
        fail "$name" "exit code $rc, want 4: $(head -n 1 "$TMP/bad.err")"
    elif [ "$lines" -ne 1 ] || ! grep -qi -- "$pat" "$TMP/bad.err"; then
        fail "$name" "want one line with '$pat': $(cat "$TMP/bad.err")"
    else
        pass "$name"
    fi
}
GOOD=$TMP/m1000.snap
if [ -s "$GOOD" ]; then
    size=$(wc -c <"$GOOD")
    head -c $((size - 100)) "$GOOD" >"$TMP/trunc.snap"
    expect_bad "snapshot-bad-truncated" "truncated" --restore "$TMP/trunc.snap"
    cp "$GOOD" "$TMP/corrupt.snap"
    printf '\377' | dd of="$TMP/corrupt.snap" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
    expect_bad "snapshot-bad-corrupt" "checksum" --restore "$TMP/corrupt.snap"
    expect_bad "snapshot-bad-foreign" "not an hvsim snapshot" --restore "$MINIHV"
    cp "$GOOD" "$TMP/v9.snap"
    printf '\011' | dd of="$TMP/v9.snap" bs=1 seek=8 conv=notrunc 2>/dev/null
    expect_bad "snapshot-bad-version" "format 9" --restore "$TMP/v9.snap"
    expect_bad "snapshot-bad-machine" "smp" --restore "$GOOD" -smp 2
    expect_bad "snapshot-bad-missing" "cannot read" --restore "$TMP/no-such.snap"
else
    fail "snapshot-bad-files" "no snapshot to damage"
fi

# ---- an existing file is not replaced without --force --------------------------------------
printf 'precious\n' >"$TMP/keep.snap"
# shellcheck disable=SC2086
hv $EL2 -kernel "$MINIHV" --checkpoint-at "1000:$TMP/keep.snap" >/dev/null 2>"$TMP/keep.err"
rc=$?
if [ "$rc" -ne 1 ] || [ "$(cat "$TMP/keep.snap")" != "precious" ] || ! grep -q "exists" "$TMP/keep.err"; then
    fail "snapshot-no-overwrite" "exit $rc, $(head -n 1 "$TMP/keep.err")"
else
    # shellcheck disable=SC2086
    hv $EL2 -kernel "$MINIHV" --checkpoint-at "1000:$TMP/keep.snap" --force >/dev/null 2>&1
    if cmp -s "$TMP/keep.snap" "$GOOD"; then
        pass "snapshot-no-overwrite"
    else
        fail "snapshot-no-overwrite" "--force did not write the snapshot"
    fi
fi

echo "snapshot tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
