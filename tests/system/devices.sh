#!/bin/sh
# The devices Linux expects on virt (issue 10): the PL031 RTC and virtio-mmio block, entropy
# and console, with the bare-metal drivers of workloads/tests/{rtc,virtio}.c:
#  - rtc with -rtc base=DATE, and virtio with a disk and the entropy device, against QEMU
#    (same output but the random bytes; the disk image QEMU wrote through equals the one
#    hvsim wrote back at exit); readonly=on and snapshot=on leave the image as it was;
#  - the virtio console: output on stdout, input from stdin, and record/replay of it;
#  - --seed: the same seed gives the same entropy bytes and DT, another seed other ones;
#  - snapshots: restored at several points, the run ends in the straight run's state hash
#    and output; restoring over a changed image is refused; reverse-stepi over disk writes
#    lands in the straight run's state;
#  - bad -drive/-device/--seed/-rtc options: one line, exit 1, the image untouched.
#
#   sh tests/system/devices.sh path/to/hvsim
# Environment: WORKLOADS (default: <dir of hvsim>/workloads), QEMU (qemu-system-aarch64).
set -u
if [ $# -ne 1 ]; then
    echo "usage: sh tests/system/devices.sh HVSIM" >&2
    exit 2
fi
HVSIM=$1
WORKLOADS=${WORKLOADS:-$(dirname "$HVSIM")/workloads}
QEMU=${QEMU:-qemu-system-aarch64}
command -v "$QEMU" >/dev/null 2>&1 || QEMU=
NAME=devices
HERE=$(cd "$(dirname "$0")" && pwd)
EXPECTED=$HERE/expected
# shellcheck source=tests/system/harness.sh
. "$HERE/harness.sh"

RTC=$WORKLOADS/tests/rtc.elf
VIRTIO=$WORKLOADS/tests/virtio.elf
M="-M virt -cpu cortex-a57 -m 256M"
hv() {
    timeout 120 "$HVSIM" $M "$@"
}
qemu() {
    timeout 60 "$QEMU" -M virt,gic-version=3 -cpu cortex-a57 -m 256M -nographic \
        -global virtio-mmio.force-legacy=false "$@" </dev/null
}
hash_of() {
    sed -n 's/^state-hash: //p' "$1"
}
# a 1 MiB raw image whose bytes say where they are
mkimage() {
    python3 -c "
import sys
d = bytearray(1 << 20)
for i in range(len(d)):
    d[i] = (i * 13 + i // 512) & 0xff
open(sys.argv[1], 'wb').write(d)" "$1"
}
# compare OUT with QEMU's (when installed) or the stored expected file, then record it
check_ref() {
    name=$1 out=$2 ref=$3
    if [ -n "$QEMU" ] && [ -s "$ref" ]; then
        :
    elif [ -f "$EXPECTED/$name.out" ]; then
        ref=$EXPECTED/$name.out
    else
        fail "$name" "no QEMU and no stored $EXPECTED/$name.out"
        return 1
    fi
    if cmp -s "$ref" "$out"; then
        return 0
    fi
    fail "$name" "output differs from the reference (< reference, > hvsim)"
    diff "$ref" "$out" | head -n 8 | sed 's/^/    /'
    return 1
}

# ---- PL031 against QEMU, with -rtc base= -------------------------------------------------
hv -kernel "$RTC" -rtc base=2006-06-17T16:01:21 >"$TMP/rtc.hv" 2>"$TMP/rtc.err" </dev/null
rc=$?
[ -n "$QEMU" ] && qemu -kernel "$RTC" -rtc base=2006-06-17T16:01:21 >"$TMP/rtc.q" 2>&1
if [ "$rc" -ne 0 ]; then
    fail "rtc-base" "exit $rc: $(head -n 1 "$TMP/rtc.err")"
elif check_ref rtc-base "$TMP/rtc.hv" "$TMP/rtc.q" &&
    grep -q "counter at start = -rtc base" "$TMP/rtc.hv"; then
    pass "rtc-base"
fi
# the default base is a fixed date: two runs, one state
hv -kernel "$RTC" --state-hash >/dev/null 2>"$TMP/r1.err" </dev/null
hv -kernel "$RTC" --state-hash >/dev/null 2>"$TMP/r2.err" </dev/null
if [ -n "$(hash_of "$TMP/r1.err")" ] && [ "$(hash_of "$TMP/r1.err")" = "$(hash_of "$TMP/r2.err")" ]; then
    pass "rtc-default-base-deterministic"
else
    fail "rtc-default-base-deterministic" "state hashes differ or missing"
fi

# ---- virtio block + entropy against QEMU ---------------------------------------------------
mkimage "$TMP/orig.img"
cp "$TMP/orig.img" "$TMP/hv.img"
cp "$TMP/orig.img" "$TMP/q.img"
DEVS="-device virtio-rng-device"
hv -kernel "$VIRTIO" -drive "file=$TMP/hv.img,format=raw,if=none,id=d0" \
    -device virtio-blk-device,drive=d0 $DEVS >"$TMP/v.hv" 2>"$TMP/v.err" </dev/null
rc=$?
if [ -n "$QEMU" ]; then
    qemu -kernel "$VIRTIO" -drive "file=$TMP/q.img,format=raw,if=none,id=d0" \
        -device virtio-blk-device,drive=d0 $DEVS >"$TMP/v.q.raw" 2>&1
    grep -v '^rng bytes' "$TMP/v.q.raw" >"$TMP/v.q"
fi
grep -v '^rng bytes' "$TMP/v.hv" >"$TMP/v.hv.cmp"
if [ "$rc" -ne 0 ]; then
    fail "virtio-blk-rng" "exit $rc: $(head -n 1 "$TMP/v.err")"
elif check_ref virtio-blk-rng "$TMP/v.hv.cmp" "$TMP/v.q"; then
    pass "virtio-blk-rng"
fi
# the guest's write of sector 1 is in the file after the run, as QEMU's is
if cmp -s "$TMP/orig.img" "$TMP/hv.img"; then
    fail "virtio-blk-writeback" "the image is unchanged after the guest's write"
elif [ -n "$QEMU" ] && ! cmp -s "$TMP/q.img" "$TMP/hv.img"; then
    fail "virtio-blk-writeback" "the image differs from the one QEMU wrote"
elif [ "$(cmp -l "$TMP/orig.img" "$TMP/hv.img" | awk '$1 <= 512 || $1 > 1024' | wc -l)" -ne 0 ]; then
    fail "virtio-blk-writeback" "bytes outside sector 1 changed"
else
    pass "virtio-blk-writeback"
fi

# readonly=on: the write fails (IOERR), as on QEMU; snapshot=on: the guest sees its write,
# the file does not
for mode in readonly snapshot; do
    cp "$TMP/orig.img" "$TMP/$mode.img"
    hv -kernel "$VIRTIO" -drive "file=$TMP/$mode.img,format=raw,if=virtio,$mode=on" \
        >"$TMP/$mode.hv" 2>"$TMP/$mode.err" </dev/null
    rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "virtio-blk-$mode" "exit $rc: $(head -n 1 "$TMP/$mode.err")"
    elif ! cmp -s "$TMP/orig.img" "$TMP/$mode.img"; then
        fail "virtio-blk-$mode" "the image changed"
    elif [ $mode = readonly ] && ! grep -q "write sector 1: status 1" "$TMP/$mode.hv"; then
        fail "virtio-blk-$mode" "the write did not fail: $(grep 'write sector' "$TMP/$mode.hv")"
    elif [ $mode = snapshot ] && ! grep -q "read sector 1 back: status 0, same bytes" "$TMP/$mode.hv"; then
        fail "virtio-blk-$mode" "the guest does not read back its write"
    else
        pass "virtio-blk-$mode"
    fi
done
if [ -n "$QEMU" ]; then
    cp "$TMP/orig.img" "$TMP/qro.img"
    qemu -kernel "$VIRTIO" -drive "file=$TMP/qro.img,format=raw,if=none,id=d0,readonly=on" \
        -device virtio-blk-device,drive=d0 >"$TMP/ro.q" 2>&1
    if cmp -s "$TMP/ro.q" "$TMP/readonly.hv"; then
        pass "virtio-blk-readonly-qemu"
    else
        fail "virtio-blk-readonly-qemu" "output differs from QEMU's"
        diff "$TMP/ro.q" "$TMP/readonly.hv" | head -n 6 | sed 's/^/    /'
    fi
fi

# ---- entropy: --seed decides the bytes -------------------------------------------------------
for s in 1 1 2; do
    hv -kernel "$VIRTIO" -device virtio-rng-device --seed $s 2>/dev/null </dev/null |
        grep '^rng bytes' >>"$TMP/rng.$s"
done
if [ "$(sort -u "$TMP/rng.1" | wc -l)" -eq 1 ] && [ "$(wc -l <"$TMP/rng.1")" -eq 2 ] &&
    ! cmp -s "$TMP/rng.1" "$TMP/rng.2" && [ -s "$TMP/rng.2" ]; then
    pass "virtio-rng-seed"
else
    fail "virtio-rng-seed" "same seed: $(sort -u "$TMP/rng.1" | wc -l) distinct lines; seeds 1 and 2 equal?"
fi
"$HVSIM" $M -machine dumpdtb="$TMP/a.dtb" --seed 9 && "$HVSIM" $M -machine dumpdtb="$TMP/b.dtb" --seed 9 &&
    "$HVSIM" $M -machine dumpdtb="$TMP/c.dtb" --seed 10
if cmp -s "$TMP/a.dtb" "$TMP/b.dtb" && ! cmp -s "$TMP/a.dtb" "$TMP/c.dtb" &&
    [ "$(fdtget -t x "$TMP/a.dtb" /chosen kaslr-seed)" != "$(fdtget -t x "$TMP/c.dtb" /chosen kaslr-seed)" ]; then
    pass "seed-dtb"
else
    fail "seed-dtb" "the DT's seeds do not follow --seed"
fi

# ---- virtio console: stdout, stdin, record/replay ------------------------------------------
printf 'typed line\n' >"$TMP/in.txt"
hv -kernel "$VIRTIO" -device virtio-serial-device -device virtconsole \
    --record "$TMP/con.log" --state-hash <"$TMP/in.txt" >"$TMP/con.hv" 2>"$TMP/con.err"
rc=$?
if [ "$rc" -ne 0 ]; then
    fail "virtio-console" "exit $rc: $(head -n 1 "$TMP/con.err")"
elif grep -q "^hello from the virtio console$" "$TMP/con.hv" &&
    grep -q "received: typed line" "$TMP/con.hv"; then
    pass "virtio-console"
else
    fail "virtio-console" "no line written or input not received"
fi
hv -kernel "$VIRTIO" -device virtio-serial-device -device virtconsole \
    --replay "$TMP/con.log" --state-hash </dev/null >"$TMP/conr.hv" 2>"$TMP/conr.err"
if cmp -s "$TMP/con.hv" "$TMP/conr.hv" && [ "$(hash_of "$TMP/con.err")" = "$(hash_of "$TMP/conr.err")" ]; then
    pass "virtio-console-replay"
else
    fail "virtio-console-replay" "replay differs: $(tail -n 1 "$TMP/conr.err")"
fi

# ---- snapshots: restored runs end where the straight run does ----------------------------
ALL="-device virtio-rng-device"
cp "$TMP/orig.img" "$TMP/s.img"
hv -kernel "$VIRTIO" -drive "file=$TMP/s.img,format=raw,if=virtio" $ALL --state-hash \
    --stats-text "$TMP/s.stats" >"$TMP/s.out" 2>"$TMP/s.err" </dev/null
FULL=$(hash_of "$TMP/s.err")
TOTAL=$(awk '/^cpu0\.insns/ { print $2 }' "$TMP/s.stats")
for N in 2000 $((TOTAL / 4)) $((TOTAL / 2)) $((TOTAL * 3 / 4)) $((TOTAL - 100)); do
    name="snapshot-virtio-at-$N"
    cp "$TMP/orig.img" "$TMP/s.img"
    hv -kernel "$VIRTIO" -drive "file=$TMP/s.img,format=raw,if=virtio,snapshot=on" $ALL \
        --checkpoint-at "$N:$TMP/s$N.snap" >"$TMP/pre.out" 2>/dev/null </dev/null
    hv -kernel "$VIRTIO" -drive "file=$TMP/s.img,format=raw,if=virtio,snapshot=on" $ALL \
        --max-insns "$N" >"$TMP/pre.out" 2>/dev/null </dev/null
    hv --restore "$TMP/s$N.snap" -drive "file=$TMP/s.img,format=raw,if=virtio" $ALL \
        --state-hash >"$TMP/post.out" 2>"$TMP/post.err" </dev/null
    rc=$?
    if [ "$rc" -ne 0 ] || [ "$(hash_of "$TMP/post.err")" != "$FULL" ]; then
        fail "$name" "exit $rc, $(grep -v state-hash "$TMP/post.err" | head -n 1) (hash $(hash_of "$TMP/post.err"), want $FULL)"
    elif ! cat "$TMP/pre.out" "$TMP/post.out" | cmp -s - "$TMP/s.out"; then
        fail "$name" "output before N + restored output differs from the straight run"
    elif [ "$N" -gt 2000 ] && cmp -s "$TMP/orig.img" "$TMP/s.img"; then
        fail "$name" "the restored run did not write the guest's write back"
    else
        pass "$name"
    fi
done
# over an image that changed since the snapshot: refused, naming the drive
N=$((TOTAL / 2))
hv --restore "$TMP/s$N.snap" -drive "file=$TMP/s.img,format=raw,if=virtio" $ALL \
    >/dev/null 2>"$TMP/chg.err" </dev/null
rc=$?
if [ "$rc" -eq 4 ] && grep -q "image_digest" "$TMP/chg.err" && [ "$(wc -l <"$TMP/chg.err")" -eq 1 ]; then
    pass "snapshot-virtio-changed-image"
else
    fail "snapshot-virtio-changed-image" "exit $rc: $(head -n 1 "$TMP/chg.err")"
fi
# a copy of the image elsewhere is the same disk (its digest is in the state, not its path)
cp "$TMP/orig.img" "$TMP/copy.img"
hv --restore "$TMP/s$N.snap" -drive "file=$TMP/copy.img,format=raw,if=virtio,snapshot=on" $ALL \
    --state-hash >/dev/null 2>"$TMP/copy.err" </dev/null
rc=$?
if [ "$rc" -eq 0 ] && [ "$(hash_of "$TMP/copy.err")" = "$FULL" ]; then
    pass "snapshot-virtio-image-copy"
else
    fail "snapshot-virtio-image-copy" "exit $rc: $(head -n 1 "$TMP/copy.err")"
fi
# other devices, or the same in another order (other transports): refused
cp "$TMP/orig.img" "$TMP/s.img"
for opts in "-device virtio-rng-device" \
    "-device virtio-rng-device -drive file=$TMP/s.img,format=raw,if=virtio"; do
    # shellcheck disable=SC2086
    hv --restore "$TMP/s$N.snap" $opts >/dev/null 2>"$TMP/nodev.err" </dev/null
    rc=$?
    if [ "$rc" -eq 4 ] && [ "$(wc -l <"$TMP/nodev.err")" -eq 1 ]; then
        pass "snapshot-virtio-other-devices"
    else
        fail "snapshot-virtio-other-devices" "$opts: exit $rc: $(head -n 1 "$TMP/nodev.err")"
    fi
done
# no device options: the snapshot's own, its disk at snapshot=on (the file stays as it is)
hv --restore "$TMP/s$N.snap" --state-hash >"$TMP/own.out" 2>"$TMP/own.err" </dev/null
rc=$?
if [ "$rc" -eq 0 ] && [ "$(hash_of "$TMP/own.err")" = "$FULL" ] && cmp -s "$TMP/orig.img" "$TMP/s.img"; then
    pass "snapshot-virtio-devices-from-the-snapshot"
else
    fail "snapshot-virtio-devices-from-the-snapshot" "exit $rc: $(head -n 1 "$TMP/own.err")"
fi

# ---- reverse execution over disk writes and entropy ---------------------------------------
H=$((TOTAL / 2))
printf '%s\n' "continue $TOTAL" "reverse-stepi $((TOTAL - H))" "info state-hash" \
    "stepi $((TOTAL - H - 10))" "info state-hash" >"$TMP/rev.txt"
cp "$TMP/orig.img" "$TMP/rv.img"
hv -kernel "$VIRTIO" -drive "file=$TMP/rv.img,format=raw,if=virtio,snapshot=on" $ALL \
    --script "$TMP/rev.txt" --reverse-interval 20000 >"$TMP/rev.out" 2>&1 </dev/null
ok=1
n=0
for at in $H $((TOTAL - 10)); do
    n=$((n + 1))
    got=$(sed -n 's/^state-hash: //p' "$TMP/rev.out" | sed -n "${n}p")
    hv -kernel "$VIRTIO" -drive "file=$TMP/orig.img,format=raw,if=virtio,snapshot=on" $ALL \
        --max-insns "$at" --state-hash >/dev/null 2>"$TMP/rs.err" </dev/null
    [ -n "$got" ] && [ "$got" = "$(hash_of "$TMP/rs.err")" ] || ok=0
done
if [ "$ok" = 1 ]; then
    pass "reverse-virtio"
else
    fail "reverse-virtio" "states differ from the straight run: $(grep -m1 -i error "$TMP/rev.out")"
fi

# ---- bad options: one line, exit 1, nothing written ---------------------------------------
cp "$TMP/orig.img" "$TMP/bad.img"
bad() {
    name=$1
    shift
    hv -kernel "$VIRTIO" "$@" >"$TMP/bad.out" 2>"$TMP/bad.err" </dev/null
    rc=$?
    if [ "$rc" -eq 1 ] && [ "$(wc -l <"$TMP/bad.err")" -eq 1 ] && [ ! -s "$TMP/bad.out" ] &&
        cmp -s "$TMP/orig.img" "$TMP/bad.img"; then
        pass "$name"
    else
        fail "$name" "exit $rc: $(head -n 2 "$TMP/bad.err" | tr '\n' ' ')"
    fi
}
bad bad-drive-missing-file -drive "file=$TMP/none.img,format=raw,if=virtio"
bad bad-drive-directory -drive "file=$TMP,format=raw,if=virtio"
bad bad-drive-format -drive "file=$TMP/bad.img,format=qcow2,if=virtio"
bad bad-drive-if -drive "file=$TMP/bad.img,format=raw,if=ide"
bad bad-drive-no-file -drive "format=raw,if=virtio"
bad bad-drive-readonly-value -drive "file=$TMP/bad.img,readonly=maybe"
bad bad-device-unknown -device e1000
bad bad-device-drive-id -device virtio-blk-device,drive=nope
bad bad-device-twice -device virtio-rng-device -device virtio-rng-device
bad bad-seed --seed -3
bad bad-rtc-date -rtc base=yesterday
bad bad-rtc-utc-record -rtc base=utc --record "$TMP/x.log"
: >"$TMP/empty.img"
bad bad-drive-empty-image -drive "file=$TMP/empty.img,format=raw"

echo "devices: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
