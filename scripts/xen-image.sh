#!/bin/sh
# Prepares Xen 4.17 with a dom0 for hvsim: DIR/xen (Debian's xen-hypervisor-4.17-arm64, whose
# /boot/xen-4.17-arm64 is an arm64 Image), and dom0's DIR/Image and DIR/initrd.cpio.gz (the
# Linux kernel and busybox initramfs of scripts/linux-image.sh). Packages are fetched by name
# once and cached under DIR (scripts/fetch-debian.sh).
#
#   scripts/xen-image.sh DIR
#
# Exit 0 when the three files are ready; 77 (with the reason on stderr) when the Debian
# archive cannot be reached and nothing is cached; anything else is a failure.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/scripts/linux-image.sh" "$dir"
sh "$top/scripts/fetch-debian.sh" "$dir" xen-hypervisor-4.17-arm64
xen=$dir/root/xen-hypervisor-4.17-arm64/boot/xen-4.17-arm64
[ -f "$xen" ] || { echo "xen-image: the package has no /boot/xen-4.17-arm64" >&2; exit 1; }
if [ ! -f "$dir/xen" ] || ! cmp -s "$xen" "$dir/xen"; then
    cp "$xen" "$dir/xen.tmp"
    mv "$dir/xen.tmp" "$dir/xen"
fi
