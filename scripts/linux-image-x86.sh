#!/bin/sh
# Prepares Debian's amd64 Linux for hvsim's -M pc: DIR/bzImage (the kernel package's vmlinuz,
# a bzImage) and DIR/initrd.cpio.gz (Debian's amd64 busybox-static with workloads/linux/init,
# the same /init as the arm64 image's, and the kernel's virtio and ext4 modules, packed
# reproducibly by scripts/mkinitramfs.py).
# Packages are fetched by name once and cached under DIR (FETCH_ARCH=amd64
# scripts/fetch-debian.sh).
#
#   scripts/linux-image-x86.sh DIR
#
# Exit 0 when both files are ready; 77 (with the reason on stderr) when the Debian archive
# cannot be reached and nothing is cached; anything else is a failure.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
top=$(cd "$(dirname "$0")/.." && pwd)
FETCH_ARCH=amd64 sh "$top/scripts/fetch-debian.sh" "$dir" linux-image-amd64@kernel busybox-static
kernel=$(ls "$dir"/root/linux-image-amd64/boot/vmlinuz-* | head -1)
if [ ! -f "$dir/bzImage" ] || ! cmp -s "$kernel" "$dir/bzImage"; then
    cp "$kernel" "$dir/bzImage.tmp"
    mv "$dir/bzImage.tmp" "$dir/bzImage"
fi
# Debian's amd64 kernel has virtio_mmio (CONFIG_VIRTIO_MMIO=m), virtio_blk, virtio_console,
# virtio_rng and ext4 as modules: /init loads them, and virtio_mmio binds to the transports
# the pc board's DSDT describes (its kernel has no CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES)
moddir=$(ls -d "$dir"/root/linux-image-amd64/lib/modules/* | head -1)
python3 "$top/scripts/mkinitramfs.py" --busybox "$dir/root/busybox-static/bin/busybox" \
    --init "$top/workloads/linux/init" --modules "$moddir" --module virtio_mmio \
    --module virtio_blk --module virtio_console --module virtio_rng --module ext4 \
    -o "$dir/initrd.cpio.gz"
