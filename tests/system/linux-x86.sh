#!/bin/sh
# Debian's own amd64 Linux on hvsim's -M pc (`make check-linux-x86`): the kernel and busybox
# packages fetched by name (scripts/linux-image-x86.sh), the bzImage booted through Linux's
# 64-bit boot protocol to busybox: commands typed at the shell on the 16550 (1 core), the
# selftest on 4 cores (every core online, ACPI S5 power-off ending the run with exit 0),
# the same state hash on a second run and after a mid-boot snapshot restored in a new
# process. Without the packages (no network, nothing cached) every test says SKIP with the
# reason.
#
#   sh tests/system/linux-x86.sh HVSIM [DIR]      (DIR: the package cache, default build/debian-amd64)
set -u
NAME=linux-x86
. "$(dirname "$0")/harness.sh"
HVSIM=$1
TOP=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${2:-$(dirname "$HVSIM")/debian-amd64}
TIMEOUT=${HVSIM_TIMEOUT:-600}

prepare linux-x86 sh "$TOP/scripts/linux-image-x86.sh" "$DIR" || exit 0
KERNEL=$DIR/bzImage
INITRD=$DIR/initrd.cpio.gz
APPEND="console=ttyS0 rdinit=/init"

# boot OUT SMP EXTRA-APPEND [hvsim options...] < input
boot() {
    out=$1 smp=$2 extra=$3
    shift 3
    timeout "$TIMEOUT" "$HVSIM" -M pc -cpu max -smp "$smp" -m 1G -kernel "$KERNEL" \
        -initrd "$INITRD" -append "$APPEND$extra" --state-hash "$@" >"$out" 2>"$out.err"
    rc=$?
}
state_hash() { sed -n 's/^state-hash: //p' "$1.err"; }
first_problem() { grep -m1 -E "^hvsim:|Kernel panic|Oops|BUG:" "$1" "$1.err" | head -1; }

# ---- typed commands: the shell answers through the 16550, poweroff -f ends the run --------
cat >"$TMP/shell.txt" <<'EOS'
wait-for '/ # '
type 'echo typed-marker-$((6 * 7))\n'
wait-for 'typed-marker-42'
type 'grep -c ^processor /proc/cpuinfo\n'
type 'uname -m\n'
type 'poweroff -f\n'
continue
EOS
boot "$TMP/shell" 1 "" --script "$TMP/shell.txt" </dev/null
tr -d '\r' <"$TMP/shell" >"$TMP/shell.txt.out"
if [ $rc -ne 0 ]; then
    fail "linux-x86-shell" "exit code $rc: $(first_problem "$TMP/shell")"
elif ! grep -q '^typed-marker-42' "$TMP/shell.txt.out"; then
    fail "linux-x86-shell" "no answer to the typed command"
elif ! grep -q '^1$' "$TMP/shell.txt.out"; then
    fail "linux-x86-shell" "the shell does not count 1 processor"
elif ! grep -q '^x86_64$' "$TMP/shell.txt.out"; then
    fail "linux-x86-shell" "uname -m"
elif ! grep -q 'machine stopped after .*exit code 0' "$TMP/shell.txt.out"; then
    fail "linux-x86-shell" "poweroff -f did not end the machine"
else
    pass "linux-x86-shell"
fi

# ---- the selftest on 4 cores, twice, and from a mid-boot snapshot ------------------------
AT=3000000000
boot "$TMP/st1" 4 " hvsim.selftest" --checkpoint-at "$AT:$TMP/mid.snap" </dev/null
h1=$(state_hash "$TMP/st1")
tr -d '\r' <"$TMP/st1" >"$TMP/st1.txt"
if [ $rc -ne 0 ]; then
    fail "linux-x86-selftest-smp4" "exit code $rc: $(first_problem "$TMP/st1")"
elif ! grep -q '^hvsim-linux: Linux 6\.1\.[0-9-]*-amd64 up, 4 cpu(s)$' "$TMP/st1.txt" ||
     ! grep -q '^cpus online: 0-3$' "$TMP/st1.txt" || ! grep -q '^sum: 5050$' "$TMP/st1.txt" ||
     ! grep -q '^hvsim-linux: selftest done$' "$TMP/st1.txt"; then
    fail "linux-x86-selftest-smp4" "markers missing: $(grep hvsim-linux "$TMP/st1.txt" | tr '\n' ';')"
elif ! grep -q 'reboot: Power down' "$TMP/st1.txt" || [ -z "$h1" ]; then
    fail "linux-x86-selftest-smp4" "no ACPI power-off or no state hash"
else
    pass "linux-x86-selftest-smp4"
fi
boot "$TMP/st2" 4 " hvsim.selftest" </dev/null
h2=$(state_hash "$TMP/st2")
if [ $rc -ne 0 ] || [ "$h1" != "$h2" ] || ! cmp -s "$TMP/st1" "$TMP/st2"; then
    fail "linux-x86-deterministic" "exit $rc; '$h1' vs '$h2'"
else
    pass "linux-x86-deterministic"
fi
if [ ! -s "$TMP/mid.snap" ]; then
    fail "linux-x86-snapshot-mid-boot" "no snapshot at instruction $AT"
else
    timeout "$TIMEOUT" "$HVSIM" --restore "$TMP/mid.snap" --state-hash \
        >"$TMP/st3" 2>"$TMP/st3.err" </dev/null
    rc=$?
    h3=$(state_hash "$TMP/st3")
    if [ $rc -ne 0 ] || [ "$h1" != "$h3" ]; then
        fail "linux-x86-snapshot-mid-boot" "exit $rc; '$h1' vs '$h3' $(first_problem "$TMP/st3")"
    else
        pass "linux-x86-snapshot-mid-boot"
    fi
fi

echo "linux-x86 tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
