#!/bin/sh
# Debian's amd64 kernel with the virtio devices on -M pc (`make check-linux-devices-x86`), as
# tests/system/linux-devices.sh does on -M virt:
#  - the initramfs of scripts/linux-image-x86.sh carries the virtio and ext4 modules and /init
#    loads them; virtio_mmio binds to the transports the DSDT describes, each on its I/O APIC
#    pin (16 up, level-triggered: "fasteoi" in /proc/interrupts);
#  - virtio-blk (QEMU's -drive if=none,id=D -device virtio-blk-device,drive=D): an ext2 image
#    made with mke2fs -d holding a file; the guest reads it and writes another, which debugfs
#    finds in the image after the run;
#  - virtio-rng is the kernel's hwrng, /dev/hwrng gives bytes;
#  - the commands are typed by a --script at simulated points, so a second run gives the same
#    output, the same state hash and the same image (--record/--replay not needed);
#  - a snapshot taken after the devices were probed, restored in a new process with the same
#    script, or replaying the first run's --record log, ends in the straight run's state hash
#    and image;
#  - a shell on hvc0 (console=hvc0, -device virtconsole) reads the host's input.
# SKIP (with the reason) when the Debian packages can be neither fetched nor found in the
# cache, or e2fsprogs is missing; a kernel that does not reach the shell is a failure.
#
#   sh tests/system/linux-devices-x86.sh HVSIM [DIR]   (DIR: the package cache, default
#                                                       build/debian-amd64)
# Environment: HVSIM_TIMEOUT (seconds per boot, default 600).
set -u
NAME=linux-devices-x86
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/system/harness.sh
. "$HERE/harness.sh"
if [ $# -lt 1 ]; then
    echo "usage: sh tests/system/linux-devices-x86.sh HVSIM [DIR]" >&2
    exit 2
fi
# absolute: the runs start in their own directories
HVSIM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
DIR=${2:-$(dirname "$HVSIM")/debian-amd64}
TIMEOUT=${HVSIM_TIMEOUT:-600}

prepare linux-devices-x86 sh "$TOP/scripts/linux-image-x86.sh" "$DIR" || exit 0
if ! command -v mke2fs >/dev/null || ! command -v debugfs >/dev/null; then
    echo "SKIP linux-devices-x86: no e2fsprogs (mke2fs, debugfs)"
    exit 0
fi
DIR=$(cd "$DIR" && pwd)
KERNEL=$DIR/bzImage
INITRD=$DIR/initrd.cpio.gz
mkdir -p "$TMP/fs"
echo "hello from the host" >"$TMP/fs/f"
if ! mke2fs -q -F -d "$TMP/fs" -t ext2 "$TMP/orig.img" 8M >/dev/null 2>&1; then
    echo "SKIP linux-devices-x86: mke2fs -d failed (e2fsprogs older than 1.43?)"
    exit 0
fi
DISK=$TMP/disk.img
cp "$TMP/orig.img" "$DISK"

cat >"$TMP/cmds.txt" <<'EOS'
wait-for '/ # '
type 'echo modules: $(cut -d" " -f1 /proc/modules | sort)\n'
type 'echo "virtio devices: $(ls /sys/bus/virtio/devices | wc -l)"\n'
type 'echo "hwrng: $(cat /sys/class/misc/hw_random/rng_current)"\n'
type 'echo "rng: $(dd if=/dev/hwrng bs=16 count=1 2>/dev/null | od -An -tx1)"\n'
type 'grep virtio /proc/interrupts\n'
type 'mount -t ext2 /dev/vda /mnt && cat /mnt/f\n'
type 'echo "written by the guest" > /mnt/g && sync && umount /mnt && echo "umount done"\n'
type 'poweroff -f\n'
continue
EOS
# the first run saves a snapshot on its way: after virtio_mmio, virtio_blk and virtio_rng were
# probed, before the shell (the restored run then takes the same commands)
AT=6300000000
{ echo "continue $AT"; echo "checkpoint save mid.snap"; cat "$TMP/cmds.txt"; } >"$TMP/snap.txt"
mkdir "$TMP/1" "$TMP/2"

DEVICES="-drive file=$DISK,format=raw,if=none,id=disk0 -device virtio-blk-device,drive=disk0
 -device virtio-rng-device"
# boot N: 1 core, the disk and the entropy source, the typed commands, a snapshot on the way
# (into directory N: $TMP/N/mid.snap), the output in $TMP/N/out
boot() {
    n=$1
    shift
    # shellcheck disable=SC2086
    (cd "$TMP/$n" && timeout "$TIMEOUT" "$HVSIM" -M pc -cpu max -m 1G -kernel "$KERNEL" \
        -initrd "$INITRD" -append "console=ttyS0 rdinit=/init" $DEVICES --state-hash \
        --script "$TMP/snap.txt" "$@" </dev/null >"$TMP/$n/out" 2>"$TMP/$n/out.err")
    rc=$?
}
state_hash() { sed -n 's/^state-hash: //p' "$1.err"; }
first_problem() { grep -m1 -E "^hvsim:|Kernel panic|Oops|BUG:" "$1" "$1.err" | head -1; }
check() {
    if grep -q -- "$2" "$TMP/a.txt"; then
        pass "$1"
    else
        fail "$1" "no '$2' in the guest's output"
    fi
}

# ---- the devices at the shell -------------------------------------------------------------
boot 1 --record "$TMP/session.log"
tr -d '\r' <"$TMP/1/out" >"$TMP/a.txt"
cp "$DISK" "$TMP/a.img"
h1=$(state_hash "$TMP/1/out")
if ! grep -q "hvsim-linux: shell ready" "$TMP/a.txt"; then
    fail "linux-x86-devices-shell" "the kernel does not reach the shell (exit $rc: $(first_problem "$TMP/1/out"))"
    echo "linux-devices-x86: $passed passed, $failed failed"
    exit 1
fi
if [ "$rc" -eq 0 ] && grep -q 'machine stopped after .*exit code 0' "$TMP/a.txt"; then
    pass "linux-x86-devices-poweroff"
else
    fail "linux-x86-devices-poweroff" "exit $rc: $(first_problem "$TMP/1/out")"
fi
mods=$(sed -n 's/^modules: //p' "$TMP/a.txt")
missing=
for m in virtio_mmio virtio_blk virtio_rng ext4; do
    case " $mods " in *" $m "*) ;; *) missing="$missing $m" ;; esac
done
if [ -n "$mods" ] && [ -z "$missing" ]; then
    pass "linux-x86-modules"
else
    fail "linux-x86-modules" "not loaded:$missing (loaded: $mods)"
fi
check linux-x86-virtio-devices "^virtio devices: 2$"
check linux-x86-hwrng "^hwrng: virtio_rng.0$"
rng=$(sed -n 's/^rng: *//p' "$TMP/a.txt")
case $rng in *[1-9a-f]*) nonzero=1 ;; *) nonzero=0 ;; esac
if [ "$(echo "$rng" | wc -w)" -eq 16 ] && [ "$nonzero" -eq 1 ]; then
    pass "linux-x86-hwrng-bytes"
else
    fail "linux-x86-hwrng-bytes" "want 16 bytes (not all zero) from /dev/hwrng, got '$rng'"
fi
# both transports on I/O APIC pins 16 and 17, level-triggered, and their interrupts taken
if grep -Eq '^ *16: +[1-9][0-9]* +IO-APIC +16-fasteoi +virtio' "$TMP/a.txt" &&
   grep -Eq '^ *17: +[1-9][0-9]* +IO-APIC +17-fasteoi +virtio' "$TMP/a.txt"; then
    pass "linux-x86-virtio-irqs"
else
    fail "linux-x86-virtio-irqs" "$(grep virtio "$TMP/a.txt" | grep IO-APIC | tr '\n' ';')"
fi
check linux-x86-ext2-read "^hello from the host"
check linux-x86-ext2-write "^umount done"
if [ "$(debugfs -R 'cat /g' "$TMP/a.img" 2>/dev/null)" = "written by the guest" ]; then
    pass "linux-x86-ext2-image"
else
    fail "linux-x86-ext2-image" "the guest's file is not in the image after the run"
fi

# ---- the same run again: same output, state hash and image --------------------------------
cp "$TMP/orig.img" "$DISK"
boot 2
h2=$(state_hash "$TMP/2/out")
if [ "$rc" -ne 0 ]; then
    fail "linux-x86-devices-deterministic" "exit $rc: $(first_problem "$TMP/2/out")"
elif [ -z "$h1" ] || [ "$h1" != "$h2" ]; then
    fail "linux-x86-devices-deterministic" "state hash '$h2', first run '$h1'"
elif ! cmp -s "$TMP/1/out" "$TMP/2/out"; then
    fail "linux-x86-devices-deterministic" "the guest's output differs"
elif ! cmp -s "$TMP/a.img" "$DISK"; then
    fail "linux-x86-devices-deterministic" "the image differs"
else
    pass "linux-x86-devices-deterministic"
fi

# ---- the snapshot restored in a new process, over the original image ----------------------
# once with the same commands typed, once replaying the first run's input log; the devices
# given again (a restored run writes only into an image named on its command line)
restore() {
    name=$1
    shift
    cp "$TMP/orig.img" "$DISK"
    if [ ! -s "$TMP/1/mid.snap" ]; then
        fail "$name" "no snapshot at instruction $AT"
        return
    fi
    # shellcheck disable=SC2086
    timeout "$TIMEOUT" "$HVSIM" --restore "$TMP/1/mid.snap" $DEVICES --state-hash "$@" \
        </dev/null >"$TMP/c" 2>"$TMP/c.err"
    rc=$?
    h3=$(state_hash "$TMP/c")
    if [ "$rc" -ne 0 ] || [ "$h1" != "$h3" ]; then
        fail "$name" "exit $rc; '$h1' vs '$h3' $(first_problem "$TMP/c")"
    elif ! cmp -s "$TMP/a.img" "$DISK"; then
        fail "$name" "the image differs from the straight run's"
    else
        pass "$name"
    fi
}
restore linux-x86-devices-snapshot --script "$TMP/cmds.txt"
restore linux-x86-devices-snapshot-replay --replay "$TMP/session.log"

# ---- a shell on the virtio console: the host's input goes to hvc0 --------------------------
printf '%s\n' 'echo "tty: $(tty)"' 'echo marker-$((6*7))' 'poweroff -f' >"$TMP/hvc.txt"
timeout $((TIMEOUT + 30)) python3 "$HERE/linuxdrive.py" "$TIMEOUT" "$TMP/hvc.txt" "$HVSIM" \
    -M pc -cpu max -m 1G -kernel "$KERNEL" -initrd "$INITRD" \
    -append "console=ttyS0 console=hvc0 rdinit=/init" -device virtconsole \
    >"$TMP/hvc.out" 2>"$TMP/hvc.err"
rc=$?
tr -d '\r' <"$TMP/hvc.out" >"$TMP/hvc.txt.out"
if [ "$rc" -eq 0 ] && grep -q "^tty: /dev/hvc0" "$TMP/hvc.txt.out" &&
   grep -q "^marker-42" "$TMP/hvc.txt.out"; then
    pass "linux-x86-virtconsole-shell"
else
    fail "linux-x86-virtconsole-shell" "exit $rc: $(first_problem "$TMP/hvc.out")"
fi
echo "linux-devices-x86: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
