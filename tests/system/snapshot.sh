#!/bin/sh
# Snapshot, replay and reverse-execution tests (issue: determinism you can prove):
#  - a run stopped at instruction N, saved, and resumed from the file in a new process ends
#    in the state (hash) and with the output of the uninterrupted run: minihv (1 core, two
#    guests under stage 2, timers), SMP programs on 2 and 4 cores (IPIs in flight, timers
#    pending, exclusive monitors armed mid-loop);
#  - bad snapshot files (truncated, corrupt, foreign, other format version, other machine,
#    missing) are refused with exit code 4 and one line on stderr;
#  - an existing file is never replaced without --force;
#  - --record / --replay: a run fed by a delayed pipe replays bit for bit without input;
#    a tampered log is reported as a divergence, a malformed or foreign one refused (exit 4);
#  - reverse execution (--script): reverse-stepi lands in the state of the straight run at
#    N-1 (and further back), forward again reproduces the future, reverse-continue lands on
#    the previous event hit, on 1 and 4 cores; gdb-multiarch's reverse-stepi and
#    reverse-continue work through the stub.
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
NAME=snapshot
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/system/harness.sh
. "$HERE/harness.sh"
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
        rm -f "$TMP/r.stats"
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

# ---- a core in the middle of the guest's software step (workloads/tests/debug.c): a snapshot
# at each instruction count across the stepped EL0 code (PSTATE.SS, the step syndrome and the
# debug registers in flight) restores to the straight run's end state ------------------------
DEBUG_ELF=$WORKLOADS/tests/debug.elf
MD="-M virt -cpu cortex-a57 -m 256M"
printf 'symbols %s\nbreak el0_step_code\ncontinue\nstepi\n' "$DEBUG_ELF" >"$TMP/step.txt"
# shellcheck disable=SC2086
at=$(hv $MD -kernel "$DEBUG_ELF" --script "$TMP/step.txt" 2>/dev/null |
    sed -n 's/^stopped after 1 instructions (icount \([0-9]*\)).*/\1/p')
# shellcheck disable=SC2086
hv $MD -kernel "$DEBUG_ELF" --state-hash >/dev/null 2>"$TMP/d.err"
full=$(hash_of "$TMP/d.err")
bad=""
if [ -n "$at" ]; then
    for N in $(seq $((at - 2)) $((at + 30))); do
        rm -f "$TMP/d.snap"
        # shellcheck disable=SC2086
        hv $MD -kernel "$DEBUG_ELF" --checkpoint-at "$N:$TMP/d.snap" >/dev/null 2>&1
        hv --restore "$TMP/d.snap" --state-hash >/dev/null 2>"$TMP/dr.err"
        [ "$(hash_of "$TMP/dr.err")" = "$full" ] || bad="$bad $N"
    done
fi
if [ -z "$at" ] || [ -z "$full" ]; then
    fail "snapshot-debug-step" "no straight run or no icount of el0_step_code"
elif [ -n "$bad" ]; then
    fail "snapshot-debug-step" "restored state differs at N =$bad"
else
    pass "snapshot-debug-step"
fi

# ---- multi-core programs: several N each, hash after restore equals the straight run ------
# (PROG:SMP[:GIC]; the GICv2 programs run on gic-version=2)
for spec in smp_timer:4 smp_ipi:4 atomics:2 smp:2 gicv2:4:2 gicv2_virt:1:2; do
    prog=${spec%%:*}
    rest=${spec#*:}
    smp=${rest%%:*}
    gic=3
    [ "$rest" != "$smp" ] && gic=${rest#*:}
    elf=$WORKLOADS/tests/$prog.elf
    M="-M virt,virtualization=on,gic-version=$gic -cpu max -m 256M -smp $smp"
    rm -f "$TMP/s.stats"
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
    expect_bad "snapshot-bad-gic-version" "gic-version=2, the snapshot's machine has gic-version=3" \
        --restore "$GOOD" -M virt,virtualization=on,gic-version=2
    expect_bad "snapshot-bad-missing" "cannot read" --restore "$TMP/no-such.snap"
    # issue 9: edited fields under a recomputed checksum are refused by value, naming the
    # section and the field (each of these used to crash, hang or run)
    for edit in "cpu0 el 74:el = 74" "cpu0 el 130:el = 130" "cpu0 el 3:el = 3" \
        "uart0 rx_pos 99:rx_pos = 99" "cpu0 nf 7:nf = 7" \
        "cpu0.clock time 18446744073709551000:cpu0.clock: time" \
        "machine now 18446744073709551000:now = " \
        "header smp 100:smp 100" "header quantum 18446744073709551615:quantum" \
        "header cpu-hz 0:core clock 0 Hz" "header cpu nosuchcpu:unknown CPU model" \
        "header ram 1:invalid RAM size"; do
        set -- ${edit%%:*}
        if python3 "$HERE/snapedit.py" "$GOOD" "$TMP/edit.snap" "$1" "$2" "$3"; then
            want="section '.*${edit#*:}"
            [ "$1" = header ] && want="describes a machine hvsim cannot build: .*${edit#*:}"
            expect_bad "snapshot-bad-value-$1-$2-$3" "$want" --restore "$TMP/edit.snap"
        else
            fail "snapshot-bad-value-$1-$2" "snapedit.py could not edit the snapshot"
        fi
    done
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

# ---- a snapshot with characters waiting in the UART's receive FIFO ------------------------
# The echo demo enables the 16-byte FIFOs; input already in the pipe arrives in one read
# attempt (the input log shows its instruction count), and the guest takes the characters
# out one by one afterwards: a checkpoint in between holds them in the FIFO.
ECHO=$WORKLOADS/demo/echo.elf
MV="-M virt -m 256M"
# shellcheck disable=SC2086
printf 'hello\nquit\n' | timeout 60 "$HVSIM" $MV -kernel "$ECHO" --record "$TMP/fifo.log" \
    --state-hash >"$TMP/fifo-full.out" 2>"$TMP/fifo-full.err"
arrived=$(awk '$1 == "uart" { print $3; exit }' "$TMP/fifo.log")
nbytes=$(awk '$1 == "uart" { print length($4) / 2; exit }' "$TMP/fifo.log")
if [ -z "$arrived" ] || [ "$nbytes" -lt 2 ]; then
    fail "snapshot-uart-fifo" "the input did not arrive in one attempt: $(grep -m1 '^uart' "$TMP/fifo.log")"
else
    N=$((arrived + 30))
    # shellcheck disable=SC2086
    printf 'hello\nquit\n' | timeout 60 "$HVSIM" $MV -kernel "$ECHO" --max-insns "$N" >"$TMP/fifo-pre.out" 2>/dev/null
    # shellcheck disable=SC2086
    printf 'hello\nquit\n' | timeout 60 "$HVSIM" $MV -kernel "$ECHO" --checkpoint-at "$N:$TMP/fifo.snap" \
        >/dev/null 2>&1
    hv --restore "$TMP/fifo.snap" --state-hash >"$TMP/fifo-post.out" 2>"$TMP/fifo-post.err"
    cat "$TMP/fifo-pre.out" "$TMP/fifo-post.out" >"$TMP/fifo-joined.out"
    if [ "$(hash_of "$TMP/fifo-post.err")" != "$(hash_of "$TMP/fifo-full.err")" ] ||
        ! cmp -s "$TMP/fifo-joined.out" "$TMP/fifo-full.out" || ! grep -q "^> hello" "$TMP/fifo-post.out"; then
        fail "snapshot-uart-fifo" "restored at $N: $(tail -n 1 "$TMP/fifo-post.err"); $(head -n 2 "$TMP/fifo-post.out")"
    else
        pass "snapshot-uart-fifo"
    fi
fi

# ---- console checkpoint save/load: loading goes back to the saved state -------------------
printf '%s\n' "continue 1000000" "checkpoint save $TMP/con.snap" "continue 2000000" \
    "info state-hash" "checkpoint load $TMP/con.snap" "continue 2000000" "info state-hash" \
    >"$TMP/con.txt"
# shellcheck disable=SC2086
hv $EL2 -kernel "$MINIHV" --script "$TMP/con.txt" >"$TMP/con.out" 2>&1
rc=$?
ha=$(grep '^state-hash: ' "$TMP/con.out" | sed -n 1p)
hb=$(grep '^state-hash: ' "$TMP/con.out" | sed -n 2p)
printf '%s\n' "checkpoint save $TMP/con.snap" >"$TMP/con2.txt"
# shellcheck disable=SC2086
hv $EL2 -kernel "$MINIHV" --script "$TMP/con2.txt" >"$TMP/con2.out" 2>&1
rc2=$?
if [ "$rc" -ne 0 ] || [ -z "$ha" ] || [ "$ha" != "$hb" ] || ! grep -q "^loaded " "$TMP/con.out"; then
    fail "console-checkpoint" "exit $rc: $(grep -m1 'error' "$TMP/con.out")"
elif [ "$rc2" -ne 1 ] || ! grep -q "exists" "$TMP/con2.out"; then
    fail "console-checkpoint" "saving over an existing file: exit $rc2, $(head -n 1 "$TMP/con2.out")"
else
    pass "console-checkpoint"
fi

# ---- record and replay ------------------------------------------------------------------
ECHO=$WORKLOADS/demo/echo.elf
MV="-M virt -m 256M"
# shellcheck disable=SC2086
(sleep 0.3; printf 'hello\n'; sleep 0.3; printf 'second line\n') |
    timeout 120 "$HVSIM" $MV -kernel "$ECHO" --record "$TMP/echo.log" --state-hash \
        >"$TMP/rec.out" 2>"$TMP/rec.err"
# shellcheck disable=SC2086
hv $MV -kernel "$ECHO" --replay "$TMP/echo.log" --state-hash >"$TMP/rep.out" 2>"$TMP/rep.err"
rc=$?
if ! grep -q "^> hello (5 chars" "$TMP/rec.out" || ! grep -q "^uart " "$TMP/echo.log"; then
    fail "replay-echo" "the recording did not see the input: $(head -n 3 "$TMP/rec.out")"
elif [ "$rc" -ne 0 ] || ! cmp -s "$TMP/rec.out" "$TMP/rep.out" ||
    [ "$(hash_of "$TMP/rec.err")" != "$(hash_of "$TMP/rep.err")" ]; then
    fail "replay-echo" "exit $rc; output or state hash differs: $(tail -n 1 "$TMP/rep.err")"
else
    pass "replay-echo"
fi
# change the first recorded character: the replay diverges, reported with exit 4
awk '!done && /^uart / { $4 = "7a"; done = 1 } { print }' "$TMP/echo.log" >"$TMP/tampered.log"
# shellcheck disable=SC2086
expect_bad "replay-divergence" "diverged" $MV -kernel "$ECHO" --replay "$TMP/tampered.log"
grep -v '^end ' "$TMP/echo.log" >"$TMP/noend.log"
# shellcheck disable=SC2086
expect_bad "replay-bad-truncated" "truncated" $MV -kernel "$ECHO" --replay "$TMP/noend.log"
sed 's/^uart \([0-9]*\) /uart \1 x/' "$TMP/echo.log" >"$TMP/malformed.log"
# shellcheck disable=SC2086
expect_bad "replay-bad-malformed" "malformed" $MV -kernel "$ECHO" --replay "$TMP/malformed.log"
# shellcheck disable=SC2086
expect_bad "replay-bad-machine" "another machine" $MV -smp 2 -kernel "$ECHO" --replay "$TMP/echo.log"

# ---- typed input in a script: wait-for the prompt, type lines, recorded and replayed -------
cat >"$TMP/typed.txt" <<'EOS'
wait-for "'quit' ends\n"
type 'hello\n'
wait-for '(5 chars'
type 'quit\n'
continue
EOS
# shellcheck disable=SC2086
timeout 120 "$HVSIM" $MV -kernel "$ECHO" --script "$TMP/typed.txt" --record "$TMP/typed.log" \
    --state-hash >"$TMP/typed.out" 2>"$TMP/typed.err" </dev/null
rc_t=$?
# shellcheck disable=SC2086
hv $MV -kernel "$ECHO" --replay "$TMP/typed.log" --state-hash >"$TMP/typed-rep.out" 2>"$TMP/typed-rep.err"
rc=$?
if [ "$rc_t" -ne 0 ] || ! grep -q "^> hello (5 chars" "$TMP/typed.out" ||
    ! grep -q "output matched after" "$TMP/typed.out"; then
    fail "script-type-wait-for" "exit $rc_t: $(grep -m2 -E 'error|> ' "$TMP/typed.out" | tr '\n' ' ')"
elif [ "$rc" -ne 0 ] || ! grep -q "^> hello (5 chars" "$TMP/typed-rep.out" ||
    [ "$(hash_of "$TMP/typed.err")" != "$(hash_of "$TMP/typed-rep.err")" ]; then
    fail "script-type-wait-for" "the replay differs (exit $rc): $(tail -n 1 "$TMP/typed-rep.err")"
else
    pass "script-type-wait-for"
fi

# check_replay NAME PATTERN... : runs minihv under the script $TMP/NAME.txt with --record,
# checks the log has a line matching each PATTERN, then replays the log in a plain run, which
# must end in the state hash the script printed
check_replay() {
    name=$1
    shift
    # shellcheck disable=SC2086
    hv $EL2 -kernel "$MINIHV" --script "$TMP/$name.txt" --record "$TMP/$name.log" \
        >"$TMP/$name.out" 2>&1
    rc=$?
    missing=""
    for pat in "$@"; do
        grep -q "$pat" "$TMP/$name.log" || missing="$missing '$pat'"
    done
    # shellcheck disable=SC2086
    hv $EL2 -kernel "$MINIHV" --replay "$TMP/$name.log" --state-hash >/dev/null \
        2>"$TMP/$name.rerr"
    rc2=$?
    want=$(sed -n 's/^state-hash: //p' "$TMP/$name.out")
    if [ "$rc" -ne 0 ] || [ -n "$missing" ]; then
        fail "$name" "exit $rc; log lacks$missing"
    elif [ "$rc2" -ne 0 ] || [ -z "$want" ] || [ "$(hash_of "$TMP/$name.rerr")" != "$want" ]; then
        fail "$name" "replay exit $rc2: $(tail -n 1 "$TMP/$name.rerr")"
    else
        pass "$name"
    fi
}

# a debugger session's writes (console `set`) are logged by --record and re-applied by
# --replay in a plain run: the replay ends in the session's state
printf '%s\n' "continue 100000" "set x19 0x1234" "set mem 0x40005b80 0xdeadbeef 4" "continue" \
    "info state-hash" >"$TMP/replay-user-writes.txt"
check_replay replay-user-writes "^reg 100000 0 19 1234$" "^mem 100000 0 40005b80 efbeadde$"
# SIMD&FP writes: a V register is logged as its two doublewords (debugger numbers 0x100 + 2n
# and + 1), FPCR by GDB's number 67
printf '%s\n' "continue 100000" "set v5 0x11223344556677883ff0000000000000" "set fpcr 0xc00000" \
    "continue" "info state-hash" >"$TMP/replay-fp-writes.txt"
check_replay replay-fp-writes "^reg 100000 0 266 3ff0000000000000$" \
    "^reg 100000 0 267 1122334455667788$" "^reg 100000 0 67 c00000$"

# issue 9: a script that quits before the guest finishes is recorded with "quit" on its end
# line; the replay stops at the same instruction in the same state (it used to run the guest
# to its end and report a divergence)
printf '%s\n' "continue 150000" "set mem 0x40005b80 0xfeedf00d 4" "continue 50000" \
    "info state-hash" "quit" >"$TMP/replay-quit-early.txt"
check_replay replay-quit-early "^end 200000 [0-9a-f]* quit$"

# issue 9: reverse-stepi past the start of the history (here: a checkpoint load) stops there,
# whatever N is (a count near 2^64 used to wrap around and move forward)
printf '%s\n' "continue 100000" "checkpoint save $TMP/rs.snap" "continue 50000" \
    "checkpoint load $TMP/rs.snap" "stepi 10" "reverse-stepi 18446744073709551615" \
    "info state-hash" "reverse-stepi 200000" "info state-hash" >"$TMP/rs.txt"
# shellcheck disable=SC2086
hv $EL2 -kernel "$MINIHV" --script "$TMP/rs.txt" >"$TMP/rs.out" 2>&1
rc=$?
# shellcheck disable=SC2086
hv $EL2 -kernel "$MINIHV" --max-insns 100000 --state-hash >/dev/null 2>"$TMP/rs100k.err"
want=$(hash_of "$TMP/rs100k.err")
got=$(sed -n 's/^state-hash: //p' "$TMP/rs.out" | sort -u)
if [ "$rc" -ne 0 ] || [ "$(grep -c 'reached the start of the recorded history (icount 100000)' "$TMP/rs.out")" -ne 2 ]; then
    fail "reverse-clamp-after-load" "exit $rc: $(grep -e reverse -e reached -e stepped "$TMP/rs.out" | head -n 3)"
elif [ -z "$want" ] || [ "$got" != "$want" ]; then
    fail "reverse-clamp-after-load" "state after the clamp: $got, want $want"
else
    pass "reverse-clamp-after-load"
fi

# ---- reverse execution in a script: states equal the straight run's ----------------------
# check_reverse NAME ELF "MACHINE OPTIONS" SCRIPT: the k-th "info state-hash" output must
# equal the hash of a straight run of N instructions, N from the k-th line "# at N"
check_reverse() {
    name=$1
    elf=$2
    mopts=$3
    script=$4
    # shellcheck disable=SC2086
    hv $mopts -kernel "$elf" --script "$script" --reverse-interval 1000000 >"$TMP/rv.out" 2>&1
    rc=$?
    bad=""
    n=0
    for N in $(sed -n 's/^# at //p' "$script"); do
        n=$((n + 1))
        got=$(grep '^state-hash: ' "$TMP/rv.out" | sed -n "${n}p" | sed 's/^state-hash: //')
        # shellcheck disable=SC2086
        hv $mopts -kernel "$elf" --max-insns "$N" --state-hash >/dev/null 2>"$TMP/rs.err"
        if [ -z "$got" ] || [ "$got" != "$(hash_of "$TMP/rs.err")" ]; then
            bad="$bad $N"
        fi
    done
    if [ "$rc" -ne 0 ]; then
        fail "$name" "script failed (exit $rc): $(grep -m1 'error' "$TMP/rv.out")"
    elif [ "$n" -eq 0 ] || [ -n "$bad" ]; then
        fail "$name" "state differs from the straight run at:$bad"
    else
        pass "$name"
    fi
}
printf '%s\n' "continue 5000000" "# at 5000000" "info state-hash" \
    "reverse-stepi" "# at 4999999" "info state-hash" \
    "reverse-stepi 2500000" "# at 2499999" "info state-hash" \
    "stepi 7000001" "# at 9500000" "info state-hash" \
    "rewind-to 123" "# at 123" "info state-hash" \
    "continue 3000000" "reverse-stepi 1" "# at 3000122" "info state-hash" >"$TMP/rev-minihv.txt"
check_reverse "reverse-minihv" "$MINIHV" "$EL2" "$TMP/rev-minihv.txt"
printf '%s\n' "continue 30000" "# at 30000" "info state-hash" \
    "reverse-stepi 7" "# at 29993" "info state-hash" \
    "reverse-stepi 15000" "# at 14993" "info state-hash" \
    "continue 10000" "# at 24993" "info state-hash" >"$TMP/rev-smp.txt"
check_reverse "reverse-smp_ipi-smp4" "$WORKLOADS/tests/smp_ipi.elf" \
    "-M virt,virtualization=on -cpu max -m 256M -smp 4" "$TMP/rev-smp.txt"
check_reverse "reverse-gicv2-smp4" "$WORKLOADS/tests/gicv2.elf" \
    "-M virt,virtualization=on,gic-version=2 -cpu max -m 256M -smp 4" "$TMP/rev-smp.txt"

# reverse-continue lands on the previous event hit: its state equals the hit's
printf '%s\n' "break-on vmexit hvc" "continue" "continue" "info state-hash" "continue" \
    "continue" "reverse-continue" "reverse-continue" "info state-hash" "reverse-continue" \
    "reverse-continue" >"$TMP/rev-cont.txt"
# shellcheck disable=SC2086
hv $EL2 -kernel "$MINIHV" --script "$TMP/rev-cont.txt" >"$TMP/rc.out" 2>&1
rc=$?
h2=$(grep '^state-hash: ' "$TMP/rc.out" | sed -n 1p)
h3=$(grep '^state-hash: ' "$TMP/rc.out" | sed -n 2p)
if [ "$rc" -ne 0 ] || [ -z "$h2" ] || [ "$h2" != "$h3" ] ||
    ! grep -q "^Event 1 at icount" "$TMP/rc.out" || ! grep -q "^no earlier stop" "$TMP/rc.out"; then
    fail "reverse-continue" "exit $rc: $(grep -m1 'error\|^Event 1 at' "$TMP/rc.out")"
else
    pass "reverse-continue"
fi

# ... and on the previous watchpoint hit, tens of millions of instructions back
printf '%s\n' "watch 0x40005b80 8 rw" "continue" "info state-hash" "continue" "continue" \
    "reverse-continue" "reverse-continue" "info state-hash" >"$TMP/rev-watch.txt"
# shellcheck disable=SC2086
hv $EL2 -kernel "$MINIHV" --script "$TMP/rev-watch.txt" >"$TMP/rw.out" 2>&1
rc=$?
h1=$(grep '^state-hash: ' "$TMP/rw.out" | sed -n 1p)
h2=$(grep '^state-hash: ' "$TMP/rw.out" | sed -n 2p)
if [ "$rc" -ne 0 ] || [ -z "$h1" ] || [ "$h1" != "$h2" ] ||
    [ "$(grep -c '^Watchpoint 1 at icount' "$TMP/rw.out")" -ne 2 ]; then
    fail "reverse-continue-watch" "exit $rc: $(grep -m1 'error\|^Watchpoint 1 at' "$TMP/rw.out")"
else
    pass "reverse-continue-watch"
fi

# ---- gdb-multiarch: reverse-stepi and reverse-continue through the stub --------------------
GDB=$(command -v gdb-multiarch || true)
if [ -z "$GDB" ]; then
    echo "SKIP gdb-reverse (gdb-multiarch not installed)"
else
    HELLO=$WORKLOADS/demo/hello.elf
    port=$((21000 + $$ % 20000))
    # stub PREFIX: starts hvsim on hello.elf waiting for gdb on $port; sets hvpid
    stub() {
        timeout 60 "$HVSIM" -M virt -m 256M -kernel "$HELLO" -gdb "tcp::$port" -S \
            >"$TMP/$1.guest" 2>"$TMP/$1.hv" </dev/null &
        hvpid=$!
        wait_for_gdb "$TMP/$1.hv"
    }
    stub gr
    timeout 60 "$GDB" -batch -nx -ex "file $HELLO" -ex "target remote 127.0.0.1:$port" \
        -ex "break main" -ex "continue" -ex "stepi 5" -ex "p \$pc" -ex "stepi" -ex "reverse-stepi" \
        -ex "p \$pc" -ex "reverse-continue" -ex "p \$pc" -ex "reverse-continue" -ex "p \$pc" \
        -ex "delete" -ex "detach" >"$TMP/gr.out" 2>&1 </dev/null
    wait $hvpid
    rc=$?
    p1=$(sed -n 's/^\$1 = .*<main+\([0-9]*\)>.*/\1/p' "$TMP/gr.out")
    p2=$(sed -n 's/^\$2 = .*<main+\([0-9]*\)>.*/\1/p' "$TMP/gr.out")
    if [ "$rc" -ne 0 ]; then
        fail "gdb-reverse" "hvsim exit code $rc: $(tail -n 1 "$TMP/gr.hv")"
    elif [ -z "$p1" ] || [ "$p1" != "$p2" ] || ! grep -q '^\$3 = .*<main>' "$TMP/gr.out" ||
        ! grep -q "No more reverse-execution history" "$TMP/gr.out" ||
        ! grep -q '^\$4 = .*<_start>' "$TMP/gr.out" || ! grep -q "^bye" "$TMP/gr.guest"; then
        fail "gdb-reverse" "unexpected session: $(grep -m4 '^\$\|rror' "$TMP/gr.out" | tr '\n' ' ')"
    else
        pass "gdb-reverse"
    fi
    # a register write in the past is part of the new timeline: stepping back over it again
    # lands in a state that has it
    port=$((port + 1))
    stub gw
    timeout 60 "$GDB" -batch -nx -ex "file $HELLO" -ex "target remote 127.0.0.1:$port" \
        -ex "break main" -ex "continue" -ex "stepi 5" -ex "reverse-stepi 3" \
        -ex "set \$x19 = 0x1234" -ex "p/x \$x19" -ex "stepi 2" -ex "reverse-stepi 2" \
        -ex "p/x \$x19" -ex "delete" -ex "detach" >"$TMP/gw.out" 2>&1 </dev/null
    wait $hvpid
    rc=$?
    if [ "$rc" -ne 0 ] || [ "$(grep -c '^\$[12] = 0x1234$' "$TMP/gw.out")" -ne 2 ]; then
        fail "gdb-reverse-write" "exit $rc: $(grep -m3 '^\$\|rror' "$TMP/gw.out" | tr '\n' ' ')"
    else
        pass "gdb-reverse-write"
    fi
fi

# ---- the ITS: a snapshot taken while LPIs are pending at both cores (its.elf stops in
# lpis_pending_here), restored in a new process, ends in the straight run's state and
# output; reverse-stepi over ITS commands and LPI acknowledges returns to the same state ---
ITS_ELF=$WORKLOADS/tests/its.elf
ITSM="-M virt -cpu cortex-a57 -smp 2 -m 256M"
cat >"$TMP/its.txt" <<EOS
symbols $ITS_ELF
break lpis_pending_here
continue
info gic
cpu 1
info gic
cpu 0
checkpoint save $TMP/its.snap
info state-hash
stepi 2000
reverse-stepi 2000
info state-hash
delete 1
continue
EOS
# shellcheck disable=SC2086
hv $ITSM -kernel "$ITS_ELF" --state-hash >"$TMP/its-full.out" 2>"$TMP/its-full.err"
# shellcheck disable=SC2086
hv $ITSM -kernel "$ITS_ELF" --script "$TMP/its.txt" --state-hash >"$TMP/its-s.out" 2>"$TMP/its-s.err"
rc_s=$?
hv --restore "$TMP/its.snap" --state-hash >"$TMP/its-r.out" 2>"$TMP/its-r.err"
rc_r=$?
h_full=$(hash_of "$TMP/its-full.err") h_s=$(hash_of "$TMP/its-s.err") h_r=$(hash_of "$TMP/its-r.err")
# the session's two hashes at the stop (before the steps and after stepping back)
stop_hashes=$(sed -n 's/^state-hash: //p' "$TMP/its-s.out" | sort -u | wc -l)
if [ "$rc_s" -ne 0 ] || [ "$rc_r" -ne 0 ] || [ -z "$h_full" ]; then
    fail "snapshot-its-lpis-pending" "exit codes $rc_s/$rc_r: $(tail -n 1 "$TMP/its-r.err")"
elif ! grep -q 'LPIs enabled, .*pending: 8200$' "$TMP/its-s.out" ||
    ! grep -q 'LPIs enabled, .*pending: 8202 8300$' "$TMP/its-s.out"; then
    fail "snapshot-its-lpis-pending" "info gic does not show the pending LPIs"
elif [ "$h_r" != "$h_full" ] || [ "$h_s" != "$h_full" ]; then
    fail "snapshot-its-lpis-pending" "final states differ: straight $h_full, session $h_s, restored $h_r"
elif ! grep -q '^pending at both: core 1 took 2: 8300(prio 0x20) 8202(prio 0x80)$' "$TMP/its-r.out" ||
    ! grep -q '^its: done' "$TMP/its-r.out"; then
    fail "snapshot-its-lpis-pending" "the restored run did not take the pending LPIs"
elif [ "$stop_hashes" -ne 1 ]; then
    fail "snapshot-its-reverse" "reverse-stepi 2000 did not return to the state at the stop"
else
    pass "snapshot-its-lpis-pending"
    pass "snapshot-its-reverse"
fi

# a recorded run of its.elf replays to the same state; a machine without the ITS is another
# machine for the log and for the snapshot
# shellcheck disable=SC2086
hv $ITSM -kernel "$ITS_ELF" --record "$TMP/its.log" --state-hash >"$TMP/its-rec.out" 2>"$TMP/its-rec.err"
# shellcheck disable=SC2086
hv $ITSM -kernel "$ITS_ELF" --replay "$TMP/its.log" --state-hash >"$TMP/its-rep.out" 2>"$TMP/its-rep.err"
rc=$?
if [ "$rc" -ne 0 ] || [ "$(hash_of "$TMP/its-rec.err")" != "$h_full" ] ||
    [ "$(hash_of "$TMP/its-rep.err")" != "$h_full" ] || ! cmp -s "$TMP/its-rec.out" "$TMP/its-rep.out"; then
    fail "replay-its" "exit $rc: $(tail -n 1 "$TMP/its-rep.err")"
else
    pass "replay-its"
fi
# shellcheck disable=SC2086
expect_bad "replay-its-off" "another machine" -M virt,its=off -cpu cortex-a57 -smp 2 -m 256M \
    -kernel "$ITS_ELF" --replay "$TMP/its.log"
expect_bad "snapshot-its-off" "its=" --restore "$TMP/its.snap" -M virt,its=off

echo "snapshot tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
