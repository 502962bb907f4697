#!/bin/sh
# Linux's use of the debug architecture: Debian's kernel boots with an /init
# (workloads/linux/ptrace_debug.c) that debugs a child through ptrace as gdb in a guest
# would: a hardware breakpoint, three single steps and a hardware watchpoint. Its report must
# equal tests/system/expected/linux-ptrace-debug.out (QEMU's, the same), and the kernel must
# find the 6 breakpoints and 4 watchpoints ID_AA64DFR0_EL1 advertises.
#
#   sh tests/system/linux-debug.sh path/to/hvsim
#
# Environment: LINUX_DIR (default build/debian: Image, initrd's busybox under
# root/busybox-static; `make linux-image` on main fetches them), CROSS (aarch64-linux-gnu-).
# Without the kernel or the cross compiler it prints SKIP and succeeds.
set -u
if [ $# -ne 1 ]; then
    echo "usage: sh tests/system/linux-debug.sh HVSIM" >&2
    exit 2
fi
HVSIM=$1
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LINUX_DIR=${LINUX_DIR:-build/debian}
CROSS=${CROSS:-aarch64-linux-gnu-}
IMAGE=$LINUX_DIR/Image
BUSYBOX=$LINUX_DIR/root/busybox-static/bin/busybox
if [ ! -f "$IMAGE" ] || [ ! -f "$BUSYBOX" ] || ! command -v "${CROSS}gcc" >/dev/null 2>&1; then
    echo "SKIP linux-debug: no $IMAGE, $BUSYBOX or ${CROSS}gcc"
    exit 0
fi

NAME=linux-debug
# shellcheck source=tests/system/harness.sh
. "$HERE/harness.sh"

# no libc, no SIMD&FP: it runs wherever the kernel reaches /init
if ! "${CROSS}gcc" -O2 -static -nostdlib -ffreestanding -fno-builtin -mgeneral-regs-only \
    -fno-stack-protector -fno-pic -no-pie -Wall -Wextra -Werror -o "$TMP/init" \
    "$ROOT/workloads/linux/ptrace_debug.c" 2>"$TMP/cc.err"; then
    fail "linux-ptrace-build" "$(head -1 "$TMP/cc.err")"
elif ! python3 "$ROOT/scripts/mkinitramfs.py" --busybox "$BUSYBOX" --init "$TMP/init" \
    -o "$TMP/initrd.cpio.gz" 2>"$TMP/mk.err"; then
    fail "linux-ptrace-initramfs" "$(head -1 "$TMP/mk.err")"
else
    timeout 300 "$HVSIM" -M virt,gic-version=3 -cpu cortex-a57 -m 1G -kernel "$IMAGE" \
        -initrd "$TMP/initrd.cpio.gz" -append "console=ttyAMA0 rdinit=/init" \
        </dev/null >"$TMP/boot" 2>"$TMP/boot.err"
    rc=$?
    sed -n '/^ptrace-debug: start/,/^ptrace-debug: done/p' "$TMP/boot" >"$TMP/report"
    if [ $rc -ne 0 ]; then
        fail "linux-ptrace-debug" "exit code $rc: $(head -1 "$TMP/boot.err")"
    elif ! cmp -s "$TMP/report" "$HERE/expected/linux-ptrace-debug.out"; then
        fail "linux-ptrace-debug" "report differs (< stored, > hvsim)"
        diff "$HERE/expected/linux-ptrace-debug.out" "$TMP/report" | head -n 8 | sed 's/^/    /'
    else
        pass "linux-ptrace-debug"
    fi
    if grep -q 'hw-breakpoint: found 6 breakpoint and 4 watchpoint registers' "$TMP/boot"; then
        pass "linux-hw-breakpoint-count"
    else
        fail "linux-hw-breakpoint-count" "the kernel's hw-breakpoint line is missing"
    fi
fi
echo "linux debug tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
