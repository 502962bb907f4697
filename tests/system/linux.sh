#!/bin/sh
# Debian's own arm64 Linux on hvsim (`make check-linux`): the kernel and busybox packages
# fetched by name (scripts/linux-image.sh), booted to busybox at EL1 and at EL2 (nVHE on
# cortex-a57, VHE on max), on 1 and 4 cores; shell commands typed through the UART; the
# state hash at power-off identical run after run and after a mid-boot snapshot; the
# debugger on the kernel (symbols from /proc/kallsyms, a breakpoint by name, break-on
# exception). Without the packages (no network, nothing cached) every test says SKIP
# with the reason.
#
#   sh tests/system/linux.sh HVSIM [DIR]      (DIR: the package cache, default build/debian)
set -u
NAME=linux
. "$(dirname "$0")/harness.sh"
HVSIM=$1
TOP=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${2:-$(dirname "$HVSIM")/debian}
TIMEOUT=${HVSIM_TIMEOUT:-300}

prepare linux sh "$TOP/scripts/linux-image.sh" "$DIR" || exit 0
IMAGE=$DIR/Image
INITRD=$DIR/initrd.cpio.gz
APPEND="console=ttyAMA0 rdinit=/init"

# boot OUT MACHINE CPU SMP EXTRA-APPEND [hvsim options...] < input
boot() {
    out=$1 machine=$2 cpu=$3 smp=$4 extra=$5
    shift 5
    timeout "$TIMEOUT" "$HVSIM" -M "$machine" -cpu "$cpu" -smp "$smp" -m 1G -kernel "$IMAGE" \
        -initrd "$INITRD" -append "$APPEND$extra" --state-hash "$@" >"$out" 2>"$out.err"
    rc=$?
}
state_hash() { sed -n 's/^state-hash: //p' "$1.err"; }
first_problem() { grep -m1 -E "^hvsim:|Kernel panic|Oops|BUG:" "$1" "$1.err" | head -1; }

# ---- typed commands: the shell answers through the UART, poweroff -f ends the run --------
# A debugger script waits for the prompt, types (the console's `wait-for` / `type`; typing
# before the shell reads would be lost, as on hardware: the driver drains the FIFO).
# check_shell NAME MACHINE CPU SMP
check_shell() {
    cat >"$TMP/$1.txt" <<'EOS'
wait-for '/ # '
type 'echo typed-marker-$((6 * 7))\n'
wait-for 'typed-marker-42'
type 'grep -c ^processor /proc/cpuinfo\n'
type 'uname -m\n'
type 'poweroff -f\n'
continue
EOS
    boot "$TMP/$1" "$2" "$3" "$4" "" --script "$TMP/$1.txt" </dev/null
    if [ $rc -ne 0 ]; then
        fail "$1" "exit code $rc: $(first_problem "$TMP/$1")"
    elif ! grep -q '^typed-marker-42' "$TMP/$1"; then
        fail "$1" "no answer to the typed command"
    elif ! grep -q "^$4\s*\$" "$TMP/$1"; then
        fail "$1" "the shell does not count $4 processor(s)"
    elif ! grep -q '^aarch64' "$TMP/$1"; then
        fail "$1" "uname -m"
    elif ! grep -q 'machine stopped after .*exit code 0' "$TMP/$1"; then
        fail "$1" "poweroff -f did not end the machine"
    else
        pass "$1"
    fi
}
check_shell linux-shell-a57 virt,gic-version=3 cortex-a57 1
check_shell linux-shell-a57-smp4 virt,gic-version=3 cortex-a57 4

# ---- selftest boots (no input): each model, EL1 and EL2 --------------------------------
# check_selftest NAME MACHINE CPU SMP [PATTERN]
check_selftest() {
    boot "$TMP/$1" "$2" "$3" "$4" " hvsim.selftest" </dev/null
    if [ $rc -ne 0 ]; then
        fail "$1" "exit code $rc: $(first_problem "$TMP/$1")"
    elif ! grep -q '^hvsim-linux: selftest done' "$TMP/$1"; then
        fail "$1" "the selftest did not finish"
    elif ! grep -q '^sum: 5050' "$TMP/$1" || ! grep -q '^sha256: 8e40c847658453cc' "$TMP/$1"; then
        fail "$1" "busybox computed something else: $(grep -E '^(sum|sha256):' "$TMP/$1" | tr '\n' ' ')"
    elif [ -n "${5:-}" ] && ! grep -q "$5" "$TMP/$1"; then
        fail "$1" "the log does not say '$5'"
    else
        pass "$1"
    fi
}
check_selftest linux-a72 virt,gic-version=3 cortex-a72 1
check_selftest linux-max virt,gic-version=3 max 1
check_selftest linux-a57-el2-nvhe virt,gic-version=3,virtualization=on cortex-a57 1 \
    "Hyp mode initialized successfully"
check_selftest linux-max-el2-vhe virt,gic-version=3,virtualization=on max 1 \
    "VHE mode initialized successfully"
check_selftest linux-max-el2-smp4 virt,gic-version=3,virtualization=on max 4 \
    "VHE mode initialized successfully"

# ---- determinism: the same hash at power-off, run after run (1 and 4 cores) ---------------
for smp in 1 4; do
    boot "$TMP/det$smp-a" virt,gic-version=3 cortex-a57 $smp " hvsim.selftest" </dev/null
    rc_a=$rc
    boot "$TMP/det$smp-b" virt,gic-version=3 cortex-a57 $smp " hvsim.selftest" </dev/null
    ha=$(state_hash "$TMP/det$smp-a") hb=$(state_hash "$TMP/det$smp-b")
    if [ $rc_a -ne 0 ] || [ $rc -ne 0 ] || [ -z "$ha" ]; then
        fail "linux-deterministic-smp$smp" "exit codes $rc_a/$rc"
    elif [ "$ha" != "$hb" ] || ! cmp -s "$TMP/det$smp-a" "$TMP/det$smp-b"; then
        fail "linux-deterministic-smp$smp" "two runs differ ($ha / $hb)"
    else
        pass "linux-deterministic-smp$smp"
    fi
done

# ---- the GICv3 ITS: Linux probes it and sets up LPIs as on QEMU (the ITS, LPI and MSI lines
# of the boot log, without timestamps, equal QEMU 7.2's: tests/system/expected/) -----------
for smp in 1 4; do
    tr -d '\r' <"$TMP/det$smp-a" | grep -E 'ITS|LPI|MSI' | sed 's/^\[[ 0-9.]*\] //' >"$TMP/its$smp"
    if cmp -s "$TMP/its$smp" "$TOP/tests/system/expected/linux-its-smp$smp.out"; then
        pass "linux-its-probe-smp$smp"
    else
        fail "linux-its-probe-smp$smp" "the ITS lines differ from QEMU's (< QEMU, > hvsim)"
        diff "$TOP/tests/system/expected/linux-its-smp$smp.out" "$TMP/its$smp" | head -n 6 | sed 's/^/    /'
    fi
done
# its=off: no ITS in the device tree or the GIC, Linux boots without one
boot "$TMP/itsoff" virt,gic-version=3,its=off cortex-a57 1 " hvsim.selftest" </dev/null
if [ $rc -ne 0 ] || ! grep -q '^hvsim-linux: selftest done' "$TMP/itsoff"; then
    fail "linux-its-off" "exit code $rc: $(first_problem "$TMP/itsoff")"
elif grep -qE 'ITS|LPI' "$TMP/itsoff"; then
    fail "linux-its-off" "Linux found an ITS: $(grep -m1 -E 'ITS|LPI' "$TMP/itsoff")"
else
    pass "linux-its-off"
fi

# ---- a snapshot mid-boot restores to the same final state ------------------------------
boot "$TMP/snap" virt,gic-version=3 cortex-a57 1 " hvsim.selftest" \
    --checkpoint-at "300000000:$TMP/mid.snap" </dev/null
h_straight=$(state_hash "$TMP/snap")
timeout "$TIMEOUT" "$HVSIM" --restore "$TMP/mid.snap" --state-hash >"$TMP/restored" 2>"$TMP/restored.err" </dev/null
rc_r=$?
h_restored=$(state_hash "$TMP/restored")
if [ $rc -ne 0 ] || [ $rc_r -ne 0 ] || [ ! -s "$TMP/mid.snap" ]; then
    fail "linux-snapshot-mid-boot" "exit codes $rc/$rc_r: $(first_problem "$TMP/restored")"
elif [ "$h_straight" != "$h_restored" ]; then
    fail "linux-snapshot-mid-boot" "restored run ends in $h_restored, straight run in $h_straight"
elif ! grep -q '^hvsim-linux: selftest done' "$TMP/restored"; then
    fail "linux-snapshot-mid-boot" "the restored run did not finish the selftest"
else
    pass "linux-snapshot-mid-boot"
fi

# ---- the debugger on the kernel: symbols from /proc/kallsyms, a breakpoint by name, -------
# ---- break-on exception (the first system call from user space) -------------------------
cat >"$TMP/ksyms.txt" <<'EOS'
wait-for '/ # '
type 'grep -E " (T|t) (do_sys_openat2|schedule_tail)$" /proc/kallsyms\n'
wait-for 'schedule_tail'
type 'poweroff -f\n'
continue
EOS
boot "$TMP/ksyms" virt,gic-version=3 cortex-a57 1 "" --script "$TMP/ksyms.txt" </dev/null
tr -d '\r' <"$TMP/ksyms" | grep -E '^[0-9a-f]{16} [Tt] (do_sys_openat2|schedule_tail)$' >"$TMP/kallsyms.map"
if [ "$(wc -l <"$TMP/kallsyms.map")" -ne 2 ]; then
    fail "linux-debugger-kallsyms" "no kallsyms lines ($(first_problem "$TMP/ksyms"))"
else
    cat >"$TMP/dbg.txt" <<EOS
symbols $TMP/kallsyms.map
break do_sys_openat2
continue
delete 1
break-on exception 0x15
continue
EOS
    timeout "$TIMEOUT" "$HVSIM" -M virt,gic-version=3 -cpu cortex-a57 -m 1G -kernel "$IMAGE" \
        -initrd "$INITRD" -append "$APPEND hvsim.selftest" --script "$TMP/dbg.txt" \
        >"$TMP/dbg" 2>&1 </dev/null
    rc=$?
    if [ $rc -ne 0 ]; then
        fail "linux-debugger-kallsyms" "exit code $rc: $(grep -m1 -iE 'error|hvsim:' "$TMP/dbg")"
    elif ! grep -q 'pc=0x[0-9a-f]* <do_sys_openat2>' "$TMP/dbg"; then
        fail "linux-debugger-kallsyms" "did not stop at do_sys_openat2: $(grep -m3 -iE 'break|stop|pc ' "$TMP/dbg" | tr '\n' ' ')"
    elif ! grep -q 'Event [0-9]* after .*exception EL0->EL1 vector 0, ESR=0x56' "$TMP/dbg"; then
        fail "linux-debugger-kallsyms" "break-on exception 0x15 did not stop on a system call"
    else
        pass "linux-debugger-kallsyms"
    fi
fi

echo "linux tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
