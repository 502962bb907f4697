#!/bin/sh
# Prepares Debian's arm64 Linux for hvsim: DIR/Image (the kernel package's vmlinuz, a plain
# arm64 Image) and DIR/initrd.cpio.gz (Debian's busybox-static with workloads/linux/init and
# the kernel's virtio and ext4 modules, packed reproducibly by scripts/mkinitramfs.py). Packages are fetched by name once and
# cached under DIR (scripts/fetch-debian.sh).
#
#   scripts/linux-image.sh DIR
#
# Exit 0 when both files are ready; 77 (with the reason on stderr) when the Debian archive
# cannot be reached and nothing is cached; anything else is a failure.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/scripts/fetch-debian.sh" "$dir" linux-image-arm64@kernel busybox-static
kernel=$(ls "$dir"/root/linux-image-arm64/boot/vmlinuz-* | head -1)
if [ ! -f "$dir/Image" ] || ! cmp -s "$kernel" "$dir/Image"; then
    cp "$kernel" "$dir/Image.tmp"
    mv "$dir/Image.tmp" "$dir/Image"
fi
# the virtio drivers and ext4 are modules in Debian's kernel: /init loads them (disks, the
# virtio console and entropy source work with `make linux-demo` as with the tests)
moddir=$(ls -d "$dir"/root/linux-image-arm64/lib/modules/* | head -1)
python3 "$top/scripts/mkinitramfs.py" --busybox "$dir/root/busybox-static/bin/busybox" \
    --init "$top/workloads/linux/init" --modules "$moddir" --module virtio_mmio \
    --module virtio_blk --module virtio_console --module virtio_rng --module ext4 \
    -o "$dir/initrd.cpio.gz"
