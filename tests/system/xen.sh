#!/bin/sh
# Xen 4.17 with dom0 on hvsim (`make check-xen`): Debian's xen-hypervisor-4.17-arm64 at EL2
# on two cores, dom0 (Debian's Linux and the busybox initramfs) handed to it with QEMU's
# `-device guest-loader`; a command typed into dom0's shell through Xen's console, recorded
# and replayed; dom0's
# power-off ending hvsim with exit 0; the state hash at power-off identical run after run and
# after snapshots taken inside Xen and restored in a new process; reverse-stepi inside Xen
# and inside dom0; -cpu max (a 40-bit IPA, a concatenated stage-2 root); dom0less domUs from
# a device tree overlay, each domU pinned to its own pCPU from dom0 by XENPIN (the project's
# workloads/xen-pin/). First, without Xen, the device tree guest-loader makes is compared
# with QEMU's, and bad options are refused. Without the packages (no network, nothing
# cached) the Xen tests say SKIP with the reason.
#
#   sh tests/system/xen.sh HVSIM [DIR [XENPIN]]   (DIR: the package cache, default
#                                                  build/debian; XENPIN: default
#                                                  build/workloads/xen-pin/xen-pin)
set -u
NAME=xen
. "$(dirname "$0")/harness.sh"
HVSIM=$1
TOP=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${2:-$(dirname "$HVSIM")/debian}
XENPIN=${3:-$(dirname "$HVSIM")/workloads/xen-pin/xen-pin}
TIMEOUT=${HVSIM_TIMEOUT:-300}

# ---- guest-loader's device tree against QEMU's (any kernel will do: nothing runs) --------
# The same two modules on both; hvsim's /chosen/module@0xADDR nodes must hold QEMU's
# properties, byte for byte.
head -c 100000 /dev/zero | tr '\0' 'k' >"$TMP/gk"
head -c 4097 /dev/zero | tr '\0' 'r' >"$TMP/gr"
printf '\000\000\000\024' >"$TMP/kernel.bin"     # `b .`, loaded raw at RAM + 0x80000
GL="-device guest-loader,addr=0x49000000,kernel=$TMP/gk"
GR="-device guest-loader,addr=0x50000000,initrd=$TMP/gr"
BOOTARGS="console=hvc0,,115200 rdinit=/init"
if ! command -v qemu-system-aarch64 >/dev/null || ! command -v fdtget >/dev/null; then
    echo "SKIP xen-guest-loader-dtb-qemu: needs qemu-system-aarch64 and fdtget"
else
    # shellcheck disable=SC2086
    qemu-system-aarch64 -M virt,gic-version=3,virtualization=on,dumpdtb="$TMP/q.dtb" \
        -cpu cortex-a57 -m 2G -nographic -kernel "$TMP/kernel.bin" $GL,bootargs="$BOOTARGS" $GR \
        >"$TMP/q.log" 2>&1 </dev/null
    # shellcheck disable=SC2086
    "$HVSIM" -M virt,gic-version=3,virtualization=on,dumpdtb="$TMP/h.dtb" -cpu cortex-a57 \
        -m 2G -kernel "$TMP/kernel.bin" $GL,bootargs="$BOOTARGS" $GR >"$TMP/h.log" 2>&1 </dev/null
    rc=$?
    why=""
    for node in /chosen/module@0x49000000 /chosen/module@0x50000000; do
        for p in reg compatible bootargs; do
            q=$(fdtget -t x "$TMP/q.dtb" "$node" "$p" 2>&1)
            h=$(fdtget -t x "$TMP/h.dtb" "$node" "$p" 2>&1)
            [ "$q" = "$h" ] || why="${why:-$node $p: QEMU '$q', hvsim '$h'}"
        done
    done
    if [ ! -s "$TMP/q.dtb" ]; then
        echo "SKIP xen-guest-loader-dtb-qemu: QEMU made no DTB ($(tail -1 "$TMP/q.log"))"
    elif [ $rc -ne 0 ]; then
        fail xen-guest-loader-dtb-qemu "exit code $rc: $(head -1 "$TMP/h.log")"
    elif [ -n "$why" ]; then
        fail xen-guest-loader-dtb-qemu "$why"
    elif [ "$(fdtget "$TMP/h.dtb" /chosen/module@0x49000000 bootargs)" != "console=hvc0,115200 rdinit=/init" ]; then
        fail xen-guest-loader-dtb-qemu "bootargs: $(fdtget "$TMP/h.dtb" /chosen/module@0x49000000 bootargs)"
    else
        pass xen-guest-loader-dtb-qemu
    fi
fi

# ---- bad guest-loader, loader and --dtb-overlay options: exit 1, one line, no DTB written --
bad_why=""
bad_case() {   # WANT hvsim-options...
    want=$1
    shift
    "$HVSIM" -M virt,virtualization=on,dumpdtb="$TMP/bad.dtb" -m 256M -kernel "$TMP/kernel.bin" \
        "$@" >"$TMP/bad.out" 2>"$TMP/bad.err" </dev/null
    brc=$?
    if [ $brc -ne 1 ] || [ "$(wc -l <"$TMP/bad.err")" -ne 1 ] || ! grep -q -- "$want" "$TMP/bad.err" ||
       [ -e "$TMP/bad.dtb" ]; then
        bad_why=${bad_why:-"$* -> exit $brc: $(head -2 "$TMP/bad.err" | tr '\n' ' ')"}
    fi
}
bad_case "need a kernel= or initrd=" -device guest-loader,addr=0x49000000
bad_case "kernel and initrd" -device guest-loader,addr=0x49000000,kernel="$TMP/gk",initrd="$TMP/gr"
bad_case "does not lie wholly in RAM" -device guest-loader,addr=0x4fffff00,kernel="$TMP/gk"
bad_case "overlaps" -device guest-loader,addr=0x49000000,kernel="$TMP/gk" \
    -device loader,file="$TMP/gr",addr=0x49000100
bad_case "overlaps the DTB" -device loader,file="$TMP/gk",addr=0x48000000
bad_case "cannot read guest initrd" -device guest-loader,addr=0x49000000,initrd="$TMP/missing"
"$HVSIM" -M virt,dumpdtb="$TMP/plain.dtb" -m 256M >/dev/null 2>&1     # a tree, not an overlay
bad_case "not a device tree overlay" --dtb-overlay "$TMP/plain.dtb"
bad_case "cpu-num= is not modelled" -device loader,file="$TMP/gk",addr=0x49000000,cpu-num=0
if [ -n "$bad_why" ]; then
    fail xen-guest-loader-bad-input "$bad_why"
else
    pass xen-guest-loader-bad-input
fi

# ---- xen-pin's arguments, checked before it opens /dev/xen/privcmd (under qemu-aarch64) ----
# a bad one: exit 2 with one line naming it; good ones outside Xen: exit 1, one line
if ! command -v qemu-aarch64 >/dev/null; then
    echo "SKIP xen-pin-bad-input: needs qemu-aarch64 (qemu-user)"
elif [ ! -x "$XENPIN" ]; then
    fail xen-pin-bad-input "no xen-pin at $XENPIN (make $XENPIN)"
else
    pin_why=""
    for a in "" d1v0=x d1v0=64 d1v0=3-2 d1v0=1, dxv0 d1v0+2 d32768v0; do
        # shellcheck disable=SC2086 # "" is no argument at all
        qemu-aarch64 "$XENPIN" $a >"$TMP/pin.out" 2>"$TMP/pin.err"
        prc=$?
        if [ $prc -ne 2 ] || [ "$(wc -l <"$TMP/pin.err")" -ne 1 ] || [ -s "$TMP/pin.out" ] ||
           ! grep -q "${a:+bad argument '$a' (}usage: xen-pin" "$TMP/pin.err"; then
            pin_why=${pin_why:-"'$a' -> exit $prc: $(head -2 "$TMP/pin.err" | tr '\n' ' ')"}
        fi
    done
    qemu-aarch64 "$XENPIN" d1v0=0,2-3 d0v1 >"$TMP/pin.out" 2>"$TMP/pin.err"
    prc=$?
    if [ $prc -ne 1 ] || [ "$(wc -l <"$TMP/pin.err")" -ne 1 ] ||
       ! grep -q '^xen-pin: /dev/xen/privcmd (is xen-privcmd loaded, and is this dom0?): ' "$TMP/pin.err"; then
        pin_why=${pin_why:-"outside Xen -> exit $prc: $(head -2 "$TMP/pin.err" | tr '\n' ' ')"}
    fi
    if [ -n "$pin_why" ]; then
        fail xen-pin-bad-input "$pin_why"
    else
        pass xen-pin-bad-input
    fi
fi

# ---- Xen and dom0 ------------------------------------------------------------------------
if ! prepare xen sh "$TOP/scripts/xen-image.sh" "$DIR"; then
    echo "xen tests: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
fi
XEN_APPEND="dom0_mem=512M console=dtuart dtuart=/pl011@9000000"
DOM0_APPEND="console=hvc0 rdinit=/init"

# boot OUT EXTRA-DOM0-APPEND [hvsim options...] < input
boot() {
    out=$1 extra=$2
    shift 2
    timeout "$TIMEOUT" "$HVSIM" -M virt,gic-version=3,virtualization=on -cpu cortex-a57 -m 2G \
        -smp 2 -kernel "$DIR/xen" -append "$XEN_APPEND" \
        -device guest-loader,addr=0x49000000,kernel="$DIR/Image",bootargs="$DOM0_APPEND$extra" \
        -device guest-loader,addr=0x50000000,initrd="$DIR/initrd.cpio.gz" \
        --state-hash "$@" >"$out" 2>"$out.err"
    rc=$?
}
state_hash() { sed -n 's/^state-hash: //p' "$1.err"; }
first_problem() { grep -s -m1 -E "^hvsim:|Panic on CPU|Kernel panic|Oops|BUG:" "$1" "$1.err" | head -1; }

# ---- a command typed into dom0's shell (Xen's console passes the UART's input to dom0) -----
cat >"$TMP/shell.txt" <<'EOS'
wait-for '/ # '
type 'cat /sys/hypervisor/type\n'
type 'echo dom0-marker-$((6 * 7))\n'
wait-for 'dom0-marker-42'
type 'poweroff -f\n'
continue
EOS
boot "$TMP/shell" "" --script "$TMP/shell.txt" --record "$TMP/shell.rec" </dev/null
if [ $rc -ne 0 ]; then
    fail xen-dom0-shell "exit code $rc: $(first_problem "$TMP/shell")"
elif ! grep -q '^(XEN) Loading d0 kernel from boot module @ 0000000049000000' "$TMP/shell"; then
    fail xen-dom0-shell "Xen did not find dom0's kernel module"
elif ! tr -d '\r' <"$TMP/shell" | grep -q '^xen$'; then
    fail xen-dom0-shell "/sys/hypervisor/type does not say xen"
elif ! grep -q '^dom0-marker-42' "$TMP/shell"; then
    fail xen-dom0-shell "no answer to the typed command"
elif ! grep -q '^(XEN) Hardware Dom0 halted: halting machine' "$TMP/shell" ||
     ! grep -q 'machine stopped after .*exit code 0' "$TMP/shell"; then
    fail xen-dom0-shell "dom0's poweroff -f did not end the machine"
else
    pass xen-dom0-shell
fi
# the typed session, recorded, replays without the script: the keys reach dom0 through Xen's
# console at the same instructions, to the same answer and state hash
boot "$TMP/replay" "" --replay "$TMP/shell.rec" </dev/null
if [ $rc -ne 0 ]; then
    fail xen-dom0-replay "exit code $rc: $(first_problem "$TMP/replay")"
elif ! grep -q '^dom0-marker-42' "$TMP/replay"; then
    fail xen-dom0-replay "the replayed session has no answer to the typed command"
elif [ "$(state_hash "$TMP/replay")" != "$(state_hash "$TMP/shell")" ]; then
    fail xen-dom0-replay "state hash $(state_hash "$TMP/replay"), recorded run $(state_hash "$TMP/shell")"
else
    pass xen-dom0-replay
fi

# ---- -cpu max: a 40-bit PA range, so Xen picks a 40-bit IPA with a concatenated stage-2 root
# (3 levels from level 1, two pages: VTCR_EL2.SL0 = 1, T0SZ = 24); dom0 sees LSE atomics ----
timeout "$TIMEOUT" "$HVSIM" -M virt,gic-version=3,virtualization=on -cpu max -m 2G -smp 2 \
    -kernel "$DIR/xen" -append "$XEN_APPEND" \
    -device guest-loader,addr=0x49000000,kernel="$DIR/Image",bootargs="$DOM0_APPEND hvsim.selftest" \
    -device guest-loader,addr=0x50000000,initrd="$DIR/initrd.cpio.gz" >"$TMP/max" 2>&1 </dev/null
rc=$?
if [ $rc -ne 0 ]; then
    fail xen-cpu-max "exit code $rc: $(first_problem "$TMP/max")"
elif ! grep -q '^(XEN) P2M: 40-bit IPA with 40-bit PA' "$TMP/max" ||
     ! grep -q '^(XEN) P2M: 3 levels with order-1 root, VTCR 0x0000000080023558' "$TMP/max"; then
    fail xen-cpu-max "Xen chose another stage 2: $(grep '^(XEN) P2M' "$TMP/max" | tr '\n' ' ')"
elif ! grep -q '^hvsim-linux: selftest done' "$TMP/max" || ! grep -q '^features:.* atomics' "$TMP/max"; then
    fail xen-cpu-max "dom0's selftest did not finish with LSE atomics"
else
    pass xen-cpu-max
fi

# ---- Xen on the GICv2 (-M virt,gic-version=2: GICD/GICC, and GICH/GICV for its vGIC): dom0's
# selftest to power-off, twice to the same state hash ----
for run in a b; do
    timeout "$TIMEOUT" "$HVSIM" -M virt,gic-version=2,virtualization=on -cpu cortex-a57 -m 2G \
        -smp 2 -kernel "$DIR/xen" -append "$XEN_APPEND" \
        -device guest-loader,addr=0x49000000,kernel="$DIR/Image",bootargs="$DOM0_APPEND hvsim.selftest" \
        -device guest-loader,addr=0x50000000,initrd="$DIR/initrd.cpio.gz" \
        --state-hash >"$TMP/v2-$run" 2>"$TMP/v2-$run.err" </dev/null
    eval "rc_$run=\$?"
done
if [ "$rc_a" -ne 0 ] || [ "$rc_b" -ne 0 ]; then
    fail xen-gicv2 "exit codes $rc_a/$rc_b: $(first_problem "$TMP/v2-a")"
elif ! grep -q '^(XEN) GICv2' "$TMP/v2-a"; then
    fail xen-gicv2 "Xen did not drive a GICv2: $(grep -m1 '^(XEN) GIC' "$TMP/v2-a")"
elif ! grep -q '^hvsim-linux: selftest done' "$TMP/v2-a"; then
    fail xen-gicv2 "dom0's selftest did not finish: $(first_problem "$TMP/v2-a")"
elif [ "$(state_hash "$TMP/v2-a")" != "$(state_hash "$TMP/v2-b")" ] || [ -z "$(state_hash "$TMP/v2-a")" ]; then
    fail xen-gicv2 "two runs differ"
else
    pass xen-gicv2
fi

# ---- determinism, and snapshots inside Xen ------------------------------------------------
# Two selftest boots (dom0 runs busybox commands and powers off): the same hash and output.
# The first also saves two snapshots: in Xen's own start-up at EL2 (5 M instructions, before
# dom0 exists) and while dom0 boots under it (600 M); each, restored in a new process, ends in
# the same hash.
boot "$TMP/det-a" " hvsim.selftest" --stats-text "$TMP/stats.txt" \
    --checkpoint-at "5000000:$TMP/xen.snap" --checkpoint-at "600000000:$TMP/dom0.snap" </dev/null
rc_a=$rc
boot "$TMP/det-b" " hvsim.selftest" </dev/null
ha=$(state_hash "$TMP/det-a") hb=$(state_hash "$TMP/det-b")
if [ $rc_a -ne 0 ] || [ $rc -ne 0 ] || [ -z "$ha" ]; then
    fail xen-deterministic "exit codes $rc_a/$rc: $(first_problem "$TMP/det-a")"
elif ! grep -q '^hvsim-linux: selftest done' "$TMP/det-a" || ! grep -q '^sum: 5050' "$TMP/det-a"; then
    fail xen-deterministic "dom0's selftest did not finish"
elif [ "$ha" != "$hb" ] || ! cmp -s "$TMP/det-a" "$TMP/det-b"; then
    fail xen-deterministic "two runs differ ($ha / $hb)"
else
    pass xen-deterministic
fi
# dom0's VM exits by reason: HVCs (hypercalls), data aborts (the emulated GIC distributor)
# and interrupts at least
if ! grep -E '^vm1 exits: .*hvc=[1-9].*dabt=[1-9].*irq=[1-9]' "$TMP/det-a.err" >/dev/null ||
   ! grep -qE '^vm1\.exits\.sysreg +[1-9]' "$TMP/stats.txt"; then
    fail xen-dom0-vmexits "no per-reason VM exits for dom0: $(grep -m1 '^vm1' "$TMP/det-a.err")"
else
    pass xen-dom0-vmexits
fi
for s in xen dom0; do
    timeout "$TIMEOUT" "$HVSIM" --restore "$TMP/$s.snap" --state-hash >"$TMP/r-$s" \
        2>"$TMP/r-$s.err" </dev/null
    rc=$?
    hr=$(state_hash "$TMP/r-$s")
    if [ $rc -ne 0 ] || [ ! -s "$TMP/$s.snap" ]; then
        fail "xen-snapshot-$s" "exit code $rc: $(first_problem "$TMP/r-$s")"
    elif [ "$hr" != "$ha" ]; then
        fail "xen-snapshot-$s" "restored run ends in $hr, straight run in $ha"
    elif ! grep -q '^hvsim-linux: selftest done' "$TMP/r-$s"; then
        fail "xen-snapshot-$s" "the restored run did not finish dom0's selftest"
    else
        pass "xen-snapshot-$s"
    fi
done

# ---- reverse execution inside Xen (EL2, 5 M instructions) and inside dom0 (700 M) ---------
# `reverse-stepi` back to N - K must give the state hash of a straight run of N - K.
cat >"$TMP/rev.txt" <<'EOS'
continue 5000000
reverse-stepi 1000
info state-hash
continue 695001000
reverse-stepi 5000
info state-hash
EOS
boot "$TMP/rev" " hvsim.selftest" --script "$TMP/rev.txt" </dev/null
rc_rev=$rc
tr -d '\r' <"$TMP/rev" | sed -n 's/^state-hash: //p' >"$TMP/rev.hashes"
boot "$TMP/st1" " hvsim.selftest" --max-insns 4999000 </dev/null
rc1=$rc
boot "$TMP/st2" " hvsim.selftest" --max-insns 699995000 </dev/null
if [ $rc_rev -ne 0 ] || [ $rc1 -ne 0 ] || [ $rc -ne 0 ]; then
    fail xen-reverse-step "exit codes $rc_rev/$rc1/$rc: $(first_problem "$TMP/rev")"
elif ! grep -q 'stepped back 1000 instructions (icount 4999000): cpu[01] EL2' "$TMP/rev" ||
     ! grep -q 'stepped back 5000 instructions (icount 699995000): cpu[01] EL1' "$TMP/rev"; then
    fail xen-reverse-step "did not step back into Xen at EL2 and dom0 at EL1: $(grep 'stepped back' "$TMP/rev" | tr '\n' ' ')"
elif [ "$(sed -n 1p "$TMP/rev.hashes")" != "$(state_hash "$TMP/st1")" ] ||
     [ "$(sed -n 2p "$TMP/rev.hashes")" != "$(state_hash "$TMP/st2")" ]; then
    fail xen-reverse-step "hashes after reverse-stepi differ from straight runs"
else
    pass xen-reverse-step
fi

# ---- dom0less: dom0 and two domUs Xen starts from the device tree, each pinned -----------
# The /chosen/domU1 and domU2 nodes come from a --dtb-overlay, their kernels and initrds from
# QEMU's generic loader (scripts/xen-pin-image.sh and xen-dom0less.sh); on four cores. Dom0's
# two vCPUs are pinned to pCPUs 0 and 1 by Xen (dom0_vcpus_pin); dom0's /init
# (workloads/xen-pin/init) pins domU1's vCPU to pCPU 2 and domU2's to pCPU 3 with the project's
# xen-pin (XEN_DOMCTL_setvcpuaffinity through /dev/xen/privcmd) and prints what Xen reads back.
# From there on the trace of VM exits (`trace on` at dom0's marker) must show, from hvsim's
# own view, every exit of domU1 on cpu2, of domU2 on cpu3 and of dom0 on cpu0-1, while the
# domUs keep working (a sum printed through the vpl011 once a second, idle in between) and
# dom0's shell sleeps, then powers the machine off. Xen gives VMIDs in creation order: dom0
# is vm1, domU1 (domain 1) vm2, domU2 vm3. Without the pin credit2 runs domU1 mostly on cpu3.
if ! command -v dtc >/dev/null; then
    echo "SKIP xen-dom0less: needs dtc (device-tree-compiler)"
elif [ ! -x "$XENPIN" ]; then
    fail xen-dom0less "no xen-pin at $XENPIN (make $XENPIN)"
elif ! sh "$TOP/scripts/xen-pin-image.sh" "$DIR" "$XENPIN" >"$TMP/dl-prep.log" 2>&1; then
    fail xen-dom0less "scripts/xen-pin-image.sh: $(tail -1 "$TMP/dl-prep.log")"
else
    # after the pin: xen-pin's errors for a domain and a pCPU that do not exist, five seconds
    # of the domUs' work, the pins read back again, power-off
    cat >"$TMP/dl.txt" <<EOS
wait-for '(pin step over)'
trace on $TMP/dl-pinned.trace vmexit
type 'xen-pin d9v0; echo "no-domain: \$?"; xen-pin d1v0=7; echo "no-cpu: \$?"; sleep 5; xen-pin d1v0 d2v0; echo dom0-slept; poweroff -f\n'
continue
EOS
    PIN_INITRD=$DIR/xen-pin/initrd.cpio.gz
    timeout "$TIMEOUT" "$HVSIM" -M virt,gic-version=3,virtualization=on -cpu cortex-a57 -m 2G \
        -smp 4 -kernel "$DIR/xen" -append "$XEN_APPEND dom0_max_vcpus=2 dom0_vcpus_pin" \
        -device guest-loader,addr=0x49000000,kernel="$DIR/Image",bootargs="$DOM0_APPEND hvsim.xenpin=d1v0=2 hvsim.xenpin=d2v0=3" \
        -device guest-loader,addr=0x50000000,initrd="$PIN_INITRD" \
        -device loader,file="$DIR/Image",addr=0x52000000 \
        -device loader,file="$PIN_INITRD",addr=0x54000000 \
        -device loader,file="$DIR/Image",addr=0x56000000 \
        -device loader,file="$PIN_INITRD",addr=0x58000000 \
        --dtb-overlay "$DIR/dom0less.dtbo" --stats-text "$TMP/dl-stats.txt" --script "$TMP/dl.txt" \
        >"$TMP/dl" 2>&1 </dev/null
    rc=$?
    tr -d '\r' <"$TMP/dl" >"$TMP/dl.clean"
    why=""
    for d in 1 2; do
        grep -q "^(XEN) \*\*\* LOADING DOMU cpus=1 memory=40000KB" "$TMP/dl" || why=${why:-"Xen built no domU"}
        # the domU worked after the pin: its /init's rounds, through its vpl011
        grep -q "^(XEN) DOM$d: hvsim-domu: round 3 sum 5050" "$TMP/dl" || why=${why:-"domU$d did not work three rounds"}
        # vm1 is dom0; the domUs' vpl011 accesses are stage-2 data aborts Xen emulates
        grep -qE "^vm$((d + 1))\.exits\.dabt +[1-9]" "$TMP/dl-stats.txt" || why=${why:-"no VM exits for domU$d"}
    done
    # what Xen reads back: hard affinity, and the pCPU each vCPU is on (the domUs' twice: at
    # the pin and five seconds later)
    for v in "2 d1v0 hard=2 .* cpu=2" "2 d2v0 hard=3 .* cpu=3" "1 d0v0 hard=0 .* cpu=0" \
             "1 d0v1 hard=1 .* cpu=1"; do
        want=${v%% *} v=${v#* }
        [ "$(grep -c "^xen-pin: $v " "$TMP/dl.clean")" -eq "$want" ] ||
            why=${why:-"xen-pin: not $want x '$v': $(grep "^xen-pin: ${v%% *}" "$TMP/dl.clean" | tr '\n' ' ')"}
    done
    # errors from Xen, one line each, exit status 1
    grep -q '^xen-pin: d9v0: XEN_DOMCTL_getvcpuaffinity: No such process$' "$TMP/dl.clean" &&
        grep -q '^no-domain: 1$' "$TMP/dl.clean" || why=${why:-"xen-pin d9v0 did not fail with ESRCH"}
    grep -q '^xen-pin: d1v0: XEN_DOMCTL_setvcpuaffinity: Invalid argument$' "$TMP/dl.clean" &&
        grep -q '^no-cpu: 1$' "$TMP/dl.clean" || why=${why:-"xen-pin d1v0=7 did not fail with EINVAL"}
    # hvsim's view after the pin: the core of every VM exit, by VMID
    placed=$(awk '$1 == "VMEXIT" { n[$3 " " $2]++ }
                  END { for (k in n) print k, n[k] }' "$TMP/dl-pinned.trace" 2>/dev/null | sort)
    stray=$(echo "$placed" | grep -vE '^$|^(vm1 cpu[01]|vm2 cpu2|vm3 cpu3) ' | tr '\n' ' ')
    for vc in "vm1 cpu[01]" "vm2 cpu2" "vm3 cpu3"; do
        echo "$placed" | grep -qE "^$vc [1-9]" || why=${why:-"no VM exits of ${vc% *} after the pin"}
    done
    if [ $rc -ne 0 ]; then
        fail xen-dom0less "exit code $rc: $(first_problem "$TMP/dl")"
    elif ! grep -q '^hvsim-dom0: xen-pin exit 0 ' "$TMP/dl.clean"; then
        fail xen-dom0less "xen-pin failed: $(grep -m1 -E '^(xen-pin|hvsim-dom0: xen-pin)' "$TMP/dl.clean")"
    elif [ -n "$stray" ]; then
        fail xen-dom0less "VM exits off their pinned pCPUs after the pin: $stray"
    elif [ -n "$why" ]; then
        fail xen-dom0less "$why"
    elif ! grep -q '^dom0-slept' "$TMP/dl" || ! grep -q 'machine stopped after .*exit code 0' "$TMP/dl"; then
        fail xen-dom0less "dom0's shell did not power the machine off"
    else
        pass xen-dom0less
    fi
fi

echo "xen tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
