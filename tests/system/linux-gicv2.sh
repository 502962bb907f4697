#!/bin/sh
# Debian's own arm64 Linux on the GICv2 (`-M virt,gic-version=2`, `make check-linux`): the
# kernel and busybox packages fetched by name (scripts/linux-image.sh), booted to the shell at
# EL1 on 1 and 4 cores with commands typed through the UART (the timer's, the UART's and a
# virtio-rng's interrupts counted by the GICv2 driver, `info gic` in the debugger), at EL2
# on 4 cores where KVM's nVHE (cortex-a57) and VHE (max) init find the GICH/GICV frames and
# the maintenance interrupt ("vgic interrupt IRQ9"); the state hash at power-off identical
# run after run and after a mid-boot snapshot. Without the packages (no network, nothing
# cached) every test says SKIP with the reason.
#
#   sh tests/system/linux-gicv2.sh HVSIM [DIR]   (DIR: the package cache, default build/debian)
set -u
NAME=linux-gicv2
. "$(dirname "$0")/harness.sh"
HVSIM=$1
TOP=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${2:-$(dirname "$HVSIM")/debian}
TIMEOUT=${HVSIM_TIMEOUT:-300}

prepare linux-gicv2 sh "$TOP/scripts/linux-image.sh" "$DIR" || exit 0
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
first_problem() { grep -m1 -E "^hvsim:|Kernel panic|Oops|BUG:|WARNING:" "$1" "$1.err" | head -1; }

# ---- the shell at EL1: typed commands, the GIC's interrupt counts, `info gic` ------------
# check_shell NAME SMP
check_shell() {
    cat >"$TMP/$1.txt" <<'EOS'
wait-for '/ # '
type 'echo typed-marker-$((6 * 7))\n'
wait-for 'typed-marker-42'
info gic
type 'grep -c ^processor /proc/cpuinfo\n'
type 'head -c 8 /dev/hwrng | od -An -tx1 | wc -w\n'
type 'grep -E "GIC-0 +(27|33|79) " /proc/interrupts | tr -s " "\n'
type 'poweroff -f\n'
continue
EOS
    boot "$TMP/$1" virt,gic-version=2 cortex-a57 "$2" "" -device virtio-rng-device \
        --script "$TMP/$1.txt" </dev/null
    tr -d '\r' <"$TMP/$1" >"$TMP/$1.txt.out"
    out=$TMP/$1.txt.out
    # the timer's PPI 27, the UART's SPI 33 (1 + 32) and the virtio-rng's edge SPI 79
    # (transport 31: 16 + 31 + 32) counted on core 0 by the GICv2 driver
    timer=$(sed -n 's/^ *[0-9]*: \([0-9]*\) .*GIC-0 27 Level arch_timer.*/\1/p' "$out")
    uart=$(sed -n 's/^ *[0-9]*: \([0-9]*\) .*GIC-0 33 Level uart-pl011.*/\1/p' "$out")
    virtio=$(sed -n 's/^ *[0-9]*: \([0-9]*\) .*GIC-0 79 Edge virtio0.*/\1/p' "$out")
    if [ $rc -ne 0 ]; then
        fail "$1" "exit code $rc: $(first_problem "$TMP/$1")"
    elif grep -q 'WARNING:' "$out"; then
        fail "$1" "the kernel warns: $(grep -m1 -A1 'WARNING:' "$out" | tr '\n' ' ')"
    elif ! grep -q '^typed-marker-42' "$out"; then
        fail "$1" "no answer to the typed command"
    elif ! grep -q "^$2\s*\$" "$out"; then
        fail "$1" "the shell does not count $2 processor(s)"
    elif ! grep -q '^8$' "$out"; then
        fail "$1" "no bytes from the virtio-rng (/dev/hwrng)"
    elif [ "${timer:-0}" -lt 10 ] || [ "${uart:-0}" -lt 1 ] || [ "${virtio:-0}" -lt 1 ]; then
        fail "$1" "/proc/interrupts: timer '${timer}', UART '${uart}', virtio '${virtio}' on GIC-0"
    elif ! grep -q '^GICv2: GICD_CTLR 0x1; cpu0: GICC_CTLR 0x1' "$out"; then
        fail "$1" "info gic: $(grep -m1 'GIC' "$out")"
    elif ! grep -q 'machine stopped after .*exit code 0' "$out"; then
        fail "$1" "poweroff -f did not end the machine"
    else
        pass "$1 (timer ticks $timer, UART interrupts $uart, virtio interrupts $virtio)"
    fi
}
check_shell linux-gicv2-shell 1
check_shell linux-gicv2-shell-smp4 4

# ---- selftest boots at EL2: KVM's vGIC on the GICv2 -------------------------------------
# check_selftest NAME MACHINE CPU SMP PATTERN
check_selftest() {
    boot "$TMP/$1" "$2" "$3" "$4" " hvsim.selftest" </dev/null
    if [ $rc -ne 0 ]; then
        fail "$1" "exit code $rc: $(first_problem "$TMP/$1")"
    elif ! grep -q '^hvsim-linux: selftest done' "$TMP/$1"; then
        fail "$1" "the selftest did not finish"
    elif ! grep -q '^sum: 5050' "$TMP/$1" || ! grep -q '^sha256: 8e40c847658453cc' "$TMP/$1"; then
        fail "$1" "busybox computed something else: $(grep -E '^(sum|sha256):' "$TMP/$1" | tr '\n' ' ')"
    elif grep -q 'WARNING:' "$TMP/$1"; then
        # e.g. "CPUs started in inconsistent modes": PSCI CPU_ON must start cores at EL2
        fail "$1" "the kernel warns: $(grep -m1 -B1 'WARNING:' "$TMP/$1" | tr '\n' ' ')"
    elif ! grep -q 'kvm \[1\]: vgic interrupt IRQ9' "$TMP/$1"; then
        fail "$1" "KVM did not take the GICv2 maintenance interrupt: $(grep -m1 'kvm \[1\]' "$TMP/$1")"
    elif ! grep -q "$5" "$TMP/$1"; then
        fail "$1" "the log does not say '$5'"
    else
        pass "$1"
    fi
}
check_selftest linux-gicv2-a57-el2-nvhe-smp4 virt,gic-version=2,virtualization=on cortex-a57 4 \
    "Hyp mode initialized successfully"
check_selftest linux-gicv2-max-el2-vhe-smp4 virt,gic-version=2,virtualization=on max 4 \
    "VHE mode initialized successfully"

# ---- determinism: the same hash at power-off, run after run (4 cores) ---------------------
boot "$TMP/det-a" virt,gic-version=2 cortex-a57 4 " hvsim.selftest" </dev/null
rc_a=$rc
boot "$TMP/det-b" virt,gic-version=2 cortex-a57 4 " hvsim.selftest" </dev/null
ha=$(state_hash "$TMP/det-a") hb=$(state_hash "$TMP/det-b")
if [ $rc_a -ne 0 ] || [ $rc -ne 0 ] || [ -z "$ha" ]; then
    fail "linux-gicv2-deterministic-smp4" "exit codes $rc_a/$rc"
elif [ "$ha" != "$hb" ] || ! cmp -s "$TMP/det-a" "$TMP/det-b"; then
    fail "linux-gicv2-deterministic-smp4" "two runs differ ($ha / $hb)"
else
    pass "linux-gicv2-deterministic-smp4"
fi

# ---- a snapshot mid-boot (GICv2 state included) restores to the same final state --------
boot "$TMP/snap" virt,gic-version=2,virtualization=on cortex-a57 1 " hvsim.selftest" \
    --checkpoint-at "300000000:$TMP/mid.snap" </dev/null
h_straight=$(state_hash "$TMP/snap")
timeout "$TIMEOUT" "$HVSIM" --restore "$TMP/mid.snap" --state-hash >"$TMP/restored" 2>"$TMP/restored.err" </dev/null
rc_r=$?
h_restored=$(state_hash "$TMP/restored")
if [ $rc -ne 0 ] || [ $rc_r -ne 0 ] || [ ! -s "$TMP/mid.snap" ]; then
    fail "linux-gicv2-snapshot-mid-boot" "exit codes $rc/$rc_r: $(first_problem "$TMP/restored")"
elif [ "$h_straight" != "$h_restored" ]; then
    fail "linux-gicv2-snapshot-mid-boot" "restored run ends in $h_restored, straight run in $h_straight"
elif ! grep -q '^hvsim-linux: selftest done' "$TMP/restored"; then
    fail "linux-gicv2-snapshot-mid-boot" "the restored run did not finish the selftest"
else
    pass "linux-gicv2-snapshot-mid-boot"
fi

echo "linux-gicv2 tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
