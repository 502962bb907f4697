#!/bin/sh
# Prepares the pinned dom0less run (make xen-dom0less-demo, tests/system/xen.sh): its
# initramfs, DIR/xen-pin/initrd.cpio.gz, with Debian's busybox, workloads/xen-pin/init as /init
# (dom0's and the domUs': the kernel command line picks the role), the kernel's xen-privcmd
# module (/dev/xen/privcmd is a module in Debian's kernel) and XENPIN
# (workloads/xen-pin/xen-pin.c built static) as /bin/xen-pin; and the overlay of
# scripts/xen-dom0less.sh, DIR/dom0less.dtbo, whose two domUs boot that initramfs with
# "hvsim.domu". Linux's own initramfs (scripts/linux-image.sh) is unchanged.
#
#   scripts/xen-pin-image.sh DIR XENPIN
#
# DIR is scripts/xen-image.sh's directory (it is run first: same exit codes, 77 when the
# Debian archive cannot be reached and nothing is cached).
set -eu
[ $# -eq 2 ] || { echo "usage: $0 DIR XENPIN" >&2; exit 2; }
dir=$1
xenpin=$2
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/scripts/xen-image.sh" "$dir"
[ -f "$xenpin" ] || { echo "xen-pin-image: $xenpin: no such file" >&2; exit 1; }
moddir=$(ls -d "$dir"/root/linux-image-arm64/lib/modules/* | head -1)
mkdir -p "$dir/xen-pin"
python3 "$top/scripts/mkinitramfs.py" --busybox "$dir/root/busybox-static/bin/busybox" \
    --init "$top/workloads/xen-pin/init" --modules "$moddir" --module xen-privcmd \
    --file "$xenpin:/bin/xen-pin:755" -o "$dir/xen-pin/initrd.cpio.gz"
DOMU_APPEND="console=ttyAMA0 rdinit=/init hvsim.domu" \
    sh "$top/scripts/xen-dom0less.sh" "$dir" "$dir/xen-pin/initrd.cpio.gz"
