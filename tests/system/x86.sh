#!/bin/sh
# The x86-64 bare-metal tests (workloads/tests-x86/) on hvsim's -M pc, their output compared
# with QEMU's pc board (qemu-system-x86_64 -M pc, TCG, SeaBIOS's Multiboot loader) or, when
# QEMU is not installed, with the stored output in tests/system/expected/x86-*.out; the
# exit status is isa-debug-exit's (0 from the program: 1). Also: the same state hash twice,
# the same end state from a snapshot taken part way and restored in a new process, and bad
# kernels refused with one line and exit 1.
#
#   sh tests/system/x86.sh [--update-expected] path/to/hvsim
#
# Environment: QEMU_X86 (default qemu-system-x86_64), HVSIM_TIMEOUT (default 120).
set -u

UPDATE=0
if [ "${1:-}" = "--update-expected" ]; then
    UPDATE=1
    shift
fi
if [ $# -ne 1 ]; then
    echo "usage: sh tests/system/x86.sh [--update-expected] HVSIM" >&2
    exit 2
fi
HVSIM=$1
HERE=$(cd "$(dirname "$0")" && pwd)
EXPECTED=$HERE/expected
PROGS=$(dirname "$HVSIM")/workloads/tests-x86
QEMU=${QEMU_X86:-qemu-system-x86_64}
HV_TIMEOUT=${HVSIM_TIMEOUT:-120}
if ! command -v "$QEMU" >/dev/null 2>&1; then
    QEMU=
fi
# shellcheck disable=SC2034  # read by harness.sh
NAME=x86
# shellcheck source=tests/system/harness.sh
. "$HERE/harness.sh"
skipped=0
skip() {
    echo "SKIP $1: $2"
    skipped=$((skipped + 1))
}

PROGRAMS="hello timer smp ipi devices hpet"
MACHINE="-m 128M -device isa-debug-exit,iobase=0xf4,iosize=4"
# Per-program machine options, the same for hvsim and QEMU.
append_for() {
    case $1 in
    hello) echo "x86 test arguments" ;;
    *) echo "" ;;
    esac
}
smp_for() {
    case $1 in
    smp | ipi) echo 4 ;;
    *) echo 2 ;;
    esac
}

# QEMU's serial output from the program's first line on (SeaBIOS prints before it).
qemu_run() {
    # shellcheck disable=SC2086
    # hvsim's RTC reads 2025-01-01T00:00:00 at time 0 by default
    timeout 60 "$QEMU" -M pc -nographic -no-reboot -kernel "$1" $MACHINE -smp "$3" \
        -append "$4" -rtc base=2025-01-01T00:00:00 </dev/null \
        >"$TMP/q.raw" 2>"$TMP/q.err"
    echo $? >"$TMP/q.rc"
    tr -d '\r' <"$TMP/q.raw" | awk -v first="$2" '
        !found { i = index($0, first); if (i) { found = 1; print substr($0, i) } ; next }
        { print }' >"$TMP/q.out"
}

# Where the snapshot test stops each program (instructions, all cores): mid-run.
checkpoint_for() {
    case $1 in
    smp | ipi) echo 500000 ;;
    *) echo 10000 ;;
    esac
}

# The first line of each program: where QEMU's output is cut.
# same_hash HASH WHAT HOW ARGS...: the run of $p again with ARGS ends in state HASH
same_hash() {
    want=$1 what=$2 how=$3
    shift 3
    # shellcheck disable=SC2086
    timeout "$HV_TIMEOUT" "$HVSIM" -M pc -kernel "$elf" $MACHINE -smp "$n" --state-hash \
        -append "$(append_for "$p")" --max-insns 500000000 "$@" \
        </dev/null >/dev/null 2>"$TMP/h2.err"
    got=$(grep '^state-hash:' "$TMP/h2.err")
    if [ -n "$want" ] && [ "$want" = "$got" ]; then
        pass "$p: state hash stable, $what"
    else
        fail "$p" "state hash differs between the run and one $how ('$want' vs '$got')"
    fi
}

first_line() {
    case $1 in
    hello) echo "hello from x86-64" ;;
    timer) echo "interrupts on x86-64" ;;
    smp) echo "smp start-up on x86-64" ;;
    ipi) echo "ipis between cores on x86-64" ;;
    devices) echo "pc devices on x86-64" ;;
    hpet) echo "hpet on x86-64" ;;
    esac
}

if [ "$UPDATE" = 1 ]; then
    [ -n "$QEMU" ] || { echo "--update-expected needs $QEMU_X86" >&2; exit 2; }
    for p in $PROGRAMS; do
        qemu_run "$PROGS/$p.elf" "$(first_line "$p")" "$(smp_for "$p")" "$(append_for "$p")"
        cp "$TMP/q.out" "$EXPECTED/x86-$p.out"
        echo "wrote $EXPECTED/x86-$p.out (QEMU exit $(cat "$TMP/q.rc"))"
    done
    exit 0
fi

for p in $PROGRAMS; do
    elf=$PROGS/$p.elf
    n=$(smp_for "$p")
    if [ ! -f "$elf" ]; then
        fail "$p" "$elf missing (make workloads-x86)"
        continue
    fi
    # shellcheck disable=SC2086
    timeout "$HV_TIMEOUT" "$HVSIM" -M pc -kernel "$elf" $MACHINE -smp "$n" --state-hash \
        -append "$(append_for "$p")" --max-insns 500000000 </dev/null >"$TMP/h.raw" 2>"$TMP/h.err"
    rc=$?
    if grep -q "built without the x86-64 core" "$TMP/h.err"; then
        skip "$p" "this hvsim has no x86-64 core yet (cpu/x86_64 not merged)"
        continue
    fi
    tr -d '\r' <"$TMP/h.raw" >"$TMP/h.out"
    if [ "$rc" -ne 1 ]; then
        why=$(tail -n 2 "$TMP/h.err" | tr '\n' ' ')
        fail "$p" "hvsim exit $rc, want 1 (the program's 0 through isa-debug-exit); $why"
        continue
    fi
    if [ -n "$QEMU" ]; then
        qemu_run "$elf" "$(first_line "$p")" "$n" "$(append_for "$p")"
        ref=$TMP/q.out
        what="QEMU's"
        if [ "$(cat "$TMP/q.rc")" != 1 ]; then
            fail "$p" "QEMU exit $(cat "$TMP/q.rc"), want 1"
            continue
        fi
    else
        ref=$EXPECTED/x86-$p.out
        what="the stored one (${QEMU_X86:-qemu-system-x86_64} not installed)"
    fi
    if diff -u "$ref" "$TMP/h.out" >"$TMP/diff"; then
        pass "$p: output as $what"
    else
        fail "$p" "output differs from $what: $(head -n 12 "$TMP/diff" | tr '\n' '|')"
        continue
    fi
    # determinism: the same run, the same state hash; the second run has a breakpoint set
    # (at an address no program runs), so its core takes the per-instruction loop instead of
    # chaining the instructions of a decoded page (cpu/x86_64/cpu.c): both loops must do the
    # same architectural work
    h1=$(grep '^state-hash:' "$TMP/h.err")
    printf 'break 0x7ffff000\ncontinue\n' >"$TMP/careful.cmd"
    same_hash "$h1" "the per-instruction loop's the same" "with a breakpoint set" \
        --script "$TMP/careful.cmd"
    # and with the block compiler off (--jit off: the handlers alone, chained)
    same_hash "$h1" "the same with the block compiler off" "with --jit off" --jit off
    # a snapshot part way, restored in a new process, ends in the same state
    at=$(checkpoint_for "$p")
    rm -f "$TMP/cp.snap"
    # shellcheck disable=SC2086
    timeout "$HV_TIMEOUT" "$HVSIM" -M pc -kernel "$elf" $MACHINE -smp "$n" \
        -append "$(append_for "$p")" --checkpoint-at "$at:$TMP/cp.snap" </dev/null >/dev/null \
        2>"$TMP/cp.err"
    timeout "$HV_TIMEOUT" "$HVSIM" --restore "$TMP/cp.snap" --state-hash </dev/null \
        >/dev/null 2>"$TMP/r.err"
    rc=$?
    h3=$(grep '^state-hash:' "$TMP/r.err")
    if [ "$rc" -eq 1 ] && [ -n "$h3" ] && [ "$h3" = "$h1" ]; then
        pass "$p: restored from a snapshot at $at, the same end state"
    else
        why=$(head -n 2 "$TMP/cp.err" "$TMP/r.err" | tr '\n' ' ')
        fail "$p" "restore from $at: exit $rc, '$h3' vs '$h1'; $why"
    fi
done

# a plain ELF64 (no Multiboot header), entered in 64-bit mode on the loader's identity
# tables: QEMU loads no such kernel, so its output is compared with what the program must
# print (tests/system/expected/x86-long64.out, written by hand)
PLAIN=$PROGS/plain/long64.elf
if [ -f "$PLAIN" ]; then
    # shellcheck disable=SC2086
    timeout "$HV_TIMEOUT" "$HVSIM" -M pc -kernel "$PLAIN" $MACHINE -smp 2 </dev/null \
        >"$TMP/l.raw" 2>"$TMP/l.err"
    rc=$?
    tr -d '\r' <"$TMP/l.raw" >"$TMP/l.out"
    if [ "$rc" -eq 1 ] && cmp -s "$EXPECTED/x86-long64.out" "$TMP/l.out"; then
        pass "long64: a plain ELF64 in long mode"
    else
        fail "long64" "exit $rc, output: $(tr '\n' '|' <"$TMP/l.out") $(tail -n 1 "$TMP/l.err")"
    fi
else
    fail "long64" "$PLAIN missing (make workloads-x86)"
fi

# serial input by interrupt (echo): the host's bytes through machine_input(), echoed in
# brackets; then the same run recorded and replayed without input. QEMU is no oracle here:
# when its bytes arrive depends on the host.
ECHO=$PROGS/echo.elf
if [ -f "$ECHO" ]; then
    # shellcheck disable=SC2086
    printf 'hi q' | timeout "$HV_TIMEOUT" "$HVSIM" -M pc -kernel "$ECHO" $MACHINE \
        --record "$TMP/echo.rec" --state-hash >"$TMP/e1.raw" 2>"$TMP/e1.err"
    rc=$?
    printf 'serial input on x86-64\n[h]\n[i]\n[ ]\n[q]\nbye\n' >"$TMP/e.want"
    tr -d '\r' <"$TMP/e1.raw" >"$TMP/e1.out"
    if [ "$rc" -eq 1 ] && cmp -s "$TMP/e.want" "$TMP/e1.out"; then
        pass "echo: serial input by interrupt"
    else
        fail "echo" "exit $rc, output: $(tr '\n' '|' <"$TMP/e1.out")"
    fi
    # shellcheck disable=SC2086
    timeout "$HV_TIMEOUT" "$HVSIM" -M pc -kernel "$ECHO" $MACHINE --replay "$TMP/echo.rec" \
        --state-hash </dev/null >"$TMP/e2.raw" 2>"$TMP/e2.err"
    rc=$?
    if [ "$rc" -eq 1 ] && cmp -s "$TMP/e1.raw" "$TMP/e2.raw" &&
        [ "$(grep '^state-hash' "$TMP/e1.err")" = "$(grep '^state-hash' "$TMP/e2.err")" ]; then
        pass "echo: replayed from its input log, the same output and state"
    else
        fail "echo replay" "exit $rc; $(tail -n 2 "$TMP/e2.err" | tr '\n' ' ')"
    fi
else
    fail "echo" "$ECHO missing (make workloads-x86)"
fi

# bad kernels: one line on stderr, exit 1, whether or not the core is there
printf 'not a kernel' >"$TMP/junk"
check_bad() {
    "$HVSIM" -M pc -kernel "$1" >/dev/null 2>"$TMP/bad.err"
    rc=$?
    lines=$(wc -l <"$TMP/bad.err")
    if [ "$rc" -eq 1 ] && [ "$lines" -eq 1 ]; then
        pass "bad input refused: $2"
    else
        fail "bad input: $2" "exit $rc, $lines lines: $(cat "$TMP/bad.err")"
    fi
}
check_bad "$TMP/junk" "not ELF, no Multiboot header"
check_bad "$TMP/missing" "no such file"
"$HVSIM" -M pc -kernel "$ECHO" --jit maybe >/dev/null 2>"$TMP/bad.err"
rc=$?
if [ "$rc" -ne 0 ] && [ "$(wc -l <"$TMP/bad.err")" -eq 1 ] && grep -q -- '--jit maybe' "$TMP/bad.err"; then
    pass "bad input refused: --jit maybe"
else
    fail "bad input: --jit maybe" "exit $rc: $(cat "$TMP/bad.err")"
fi
echo "x86: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
