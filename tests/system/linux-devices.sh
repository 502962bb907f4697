#!/bin/sh
# Debian's arm64 kernel with the devices of issue 10, driven at its busybox shell
# (tests/system/linuxdrive.py types commands once the init says "shell ready"):
#  - the initramfs of scripts/linux-image.sh carries the virtio and ext4 modules and /init
#    loads them; both virtio devices appear on the virtio bus;
#  - the PL031: hwclock reads the -rtc base (2006) plus the simulated seconds;
#  - virtio-rng is the kernel's hwrng, /dev/hwrng gives bytes;
#  - virtio-blk: an ext2 image made with mke2fs -d holding a file; the guest reads it and
#    writes another, which debugfs finds in the image after the run;
#  - the session recorded with --record replays (--replay, over a copy of the original image)
#    with the same output, random bytes included, and the same state hash;
#  - a shell on hvc0 (console=hvc0, -device virtconsole) reads typed commands;
#  - a snapshot taken mid-boot, restored in a new process, ends in the straight run's state.
# SKIP (with the reason) when the Debian packages can be neither fetched nor found in the
# cache, or e2fsprogs is missing; a kernel that does not reach the shell is a failure.
#
#   sh tests/system/linux-devices.sh path/to/hvsim
# Environment: DEBIAN (default: build/debian next to hvsim, the package cache of
# scripts/linux-image.sh); LINUX_TIMEOUT (seconds per boot,
# default 900).
set -u
if [ $# -ne 1 ]; then
    echo "usage: sh tests/system/linux-devices.sh HVSIM" >&2
    exit 2
fi
HVSIM=$1
NAME=linux-devices
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/system/harness.sh
. "$HERE/harness.sh"
DEBIAN=${DEBIAN:-$(dirname "$HVSIM")/debian}
LTIMEOUT=${LINUX_TIMEOUT:-900}
skip() {
    echo "SKIP linux-devices: $1"
    exit 0
}
IMAGE=$DEBIAN/Image
# the Image and the initramfs with the virtio and ext4 modules, as `make linux-image` makes
# them (scripts/linux-image.sh: 77 = the archive unreachable and nothing cached)
sh "$ROOT/scripts/linux-image.sh" "$DEBIAN" >"$TMP/prep.log" 2>&1
case $? in
0) ;;
77) skip "$(tail -n 1 "$TMP/prep.log")" ;;
*) fail "linux-initramfs" "scripts/linux-image.sh failed: $(tail -n 1 "$TMP/prep.log")"
   echo "linux-devices: $passed passed, $failed failed"
   exit 1 ;;
esac
INITRD=$DEBIAN/initrd.cpio.gz
command -v mke2fs >/dev/null && command -v debugfs >/dev/null || skip "no e2fsprogs"
pass "linux-initramfs"
mkdir -p "$TMP/fs"
echo "hello from the host" >"$TMP/fs/f"
mke2fs -q -F -d "$TMP/fs" -t ext2 "$TMP/disk.img" 8M >/dev/null 2>&1 || skip "mke2fs -d failed"
cp "$TMP/disk.img" "$TMP/orig.img"
cat >"$TMP/cmds.txt" <<'CMDS'
cat /proc/modules | cut -d' ' -f1 | sort | tr '\n' ' '; echo
echo "virtio devices: $(ls /sys/bus/virtio/devices | wc -l)"
echo "hwrng: $(cat /sys/class/misc/hw_random/rng_current)"
dd if=/dev/hwrng bs=16 count=1 2>/dev/null | od -An -tx1
hwclock -r -u
mount -t ext2 /dev/vda /mnt && cat /mnt/f
echo "written by the guest" > /mnt/g && sync && umount /mnt && echo "umount done"
poweroff -f
CMDS
run() {
    # shellcheck disable=SC2086
    timeout $((LTIMEOUT + 30)) python3 "$HERE/linuxdrive.py" "$LTIMEOUT" "$TMP/cmds.txt" "$HVSIM" \
        -M virt,gic-version=3 -cpu cortex-a57 -m 1G -kernel "$IMAGE" -initrd "$INITRD" \
        -append "console=ttyAMA0 rdinit=/init" -rtc base=2006-06-17T16:01:21 \
        -device virtio-rng-device --state-hash "$@"
}
run -drive "file=$TMP/disk.img,format=raw,if=virtio" --record "$TMP/session.log" \
    >"$TMP/boot.out" 2>"$TMP/boot.err"
rc=$?
if ! grep -q "shell ready" "$TMP/boot.out"; then
    fail "linux-shell" "the kernel does not reach the shell (exit $rc: $(grep -m1 'hvsim:' "$TMP/boot.err"))"
    echo "linux-devices: $passed passed, $failed failed"
    exit 1
fi
check() {
    if grep -q "$2" "$TMP/boot.out"; then
        pass "$1"
    else
        fail "$1" "no '$2' in the guest's output"
    fi
}
[ "$rc" -eq 0 ] && pass "linux-poweroff" || fail "linux-poweroff" "exit $rc"
check linux-modules "crc32c_generic ext4 jbd2 mbcache crc16\|virtio_blk virtio_console virtio_mmio virtio_rng"
check linux-virtio-devices "virtio devices: 2"
check linux-hwrng "hwrng: virtio_rng.0"
check linux-rtc "Sat Jun 17 16:[0-9:]* 2006"
check linux-ext2-read "^hello from the host"
check linux-ext2-write "umount done"
if [ "$(debugfs -R 'cat /g' "$TMP/disk.img" 2>/dev/null)" = "written by the guest" ]; then
    pass "linux-ext2-image"
else
    fail "linux-ext2-image" "the guest's file is not in the image after the run"
fi
# the recorded session again, without host input, over the original image
cp "$TMP/orig.img" "$TMP/replay.img"
# shellcheck disable=SC2086
timeout $((LTIMEOUT + 30)) "$HVSIM" -M virt,gic-version=3 -cpu cortex-a57 -m 1G -kernel "$IMAGE" \
    -initrd "$INITRD" -append "console=ttyAMA0 rdinit=/init" \
    -rtc base=2006-06-17T16:01:21 -device virtio-rng-device --state-hash \
    -drive "file=$TMP/replay.img,format=raw,if=virtio" --replay "$TMP/session.log" \
    </dev/null >"$TMP/replay.out" 2>"$TMP/replay.err"
rc=$?
h1=$(sed -n 's/^state-hash: //p' "$TMP/boot.err")
h2=$(sed -n 's/^state-hash: //p' "$TMP/replay.err")
if [ "$rc" -ne 0 ]; then
    fail "linux-replay" "exit $rc: $(grep -m1 'hvsim:' "$TMP/replay.err")"
elif ! cmp -s "$TMP/boot.out" "$TMP/replay.out"; then
    fail "linux-replay" "output differs from the recorded run"
elif [ -z "$h1" ] || [ "$h1" != "$h2" ]; then
    fail "linux-replay" "state hash $h2, recorded run $h1"
elif ! cmp -s "$TMP/disk.img" "$TMP/replay.img"; then
    fail "linux-replay" "the replayed run's image differs from the recorded run's"
else
    pass "linux-replay"
fi
# the shell on the virtio console: console=hvc0 once virtio_console is loaded, the host's
# input going to it (the UART gets none with a virtconsole)
printf '%s\n' 'echo "tty: $(tty)"' 'echo marker-$((6*7))' 'poweroff -f' >"$TMP/hvc.txt"
timeout $((LTIMEOUT + 30)) python3 "$HERE/linuxdrive.py" "$LTIMEOUT" "$TMP/hvc.txt" "$HVSIM" \
    -M virt,gic-version=3 -cpu cortex-a57 -m 1G -kernel "$IMAGE" -initrd "$INITRD" \
    -append "console=ttyAMA0 console=hvc0 rdinit=/init" -device virtconsole \
    >"$TMP/hvc.out" 2>"$TMP/hvc.err"
rc=$?
if [ "$rc" -eq 0 ] && grep -q "^tty: /dev/hvc0" "$TMP/hvc.out" && grep -q "^marker-42" "$TMP/hvc.out"; then
    pass "linux-virtconsole-shell"
else
    fail "linux-virtconsole-shell" "exit $rc: $(grep -m1 'hvsim:' "$TMP/hvc.err")"
fi
# a snapshot taken mid-boot (modules loading, the disk probed, the hwrng thread reading)
# restored in a new process ends where the straight run does
snap_run() {
    timeout "$LTIMEOUT" "$HVSIM" -M virt,gic-version=3 -cpu cortex-a57 -m 1G -kernel "$IMAGE" \
        -initrd "$INITRD" -append "console=ttyAMA0 rdinit=/init" \
        -device virtio-rng-device -drive "file=$TMP/orig.img,format=raw,if=virtio,snapshot=on" \
        --max-insns 1200000000 "$@" </dev/null
}
snap_run --state-hash >/dev/null 2>"$TMP/straight.err"
snap_run --checkpoint-at "500000000:$TMP/mid.snap" >/dev/null 2>&1
timeout "$LTIMEOUT" "$HVSIM" --restore "$TMP/mid.snap" --max-insns 1200000000 --state-hash \
    </dev/null >/dev/null 2>"$TMP/restored.err"
rc=$?
h1=$(sed -n 's/^state-hash: //p' "$TMP/straight.err")
h2=$(sed -n 's/^state-hash: //p' "$TMP/restored.err")
if [ "$rc" -eq 0 ] && [ -n "$h1" ] && [ "$h1" = "$h2" ]; then
    pass "linux-devices-snapshot"
else
    fail "linux-devices-snapshot" "exit $rc, hash $h2, straight run $h1"
fi
echo "linux-devices: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
