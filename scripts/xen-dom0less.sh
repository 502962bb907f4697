#!/bin/sh
# Writes the device tree overlay that makes Xen start two dom0less domUs (Xen's
# docs/misc/arm/device-tree/booting.txt: /chosen/domUN with compatible "xen,domain", memory in
# KiB, one vCPU, a vpl011 console, and multiboot kernel and ramdisk modules), each booting
# dom0's kernel and an initramfs (dom0's, or INITRD) from its own copy, which hvsim loads with
# QEMU's generic loader:
#
#   scripts/xen-dom0less.sh DIR [INITRD]   (DIR as for scripts/xen-image.sh: Image, initrd)
#   hvsim ... --dtb-overlay DIR/dom0less.dtbo \
#       -device loader,file=DIR/Image,addr=0x52000000 \
#       -device loader,file=INITRD,addr=0x54000000 \
#       -device loader,file=DIR/Image,addr=0x56000000 \
#       -device loader,file=INITRD,addr=0x58000000
#
# INITRD defaults to DIR/initrd.cpio.gz; the overlay holds its size, so the loaders must load
# that same file. DOMU_APPEND sets the domUs' kernel command line (default: the selftest
# /init on ttyAMA0, the vpl011). Needs dtc; writes DIR/dom0less.dtso and DIR/dom0less.dtbo.
set -eu
[ $# -eq 1 ] || [ $# -eq 2 ] || { echo "usage: $0 DIR [INITRD]" >&2; exit 2; }
dir=$1
initrd=${2:-$dir/initrd.cpio.gz}
command -v dtc >/dev/null || { echo "xen-dom0less: dtc not found (apt-get install device-tree-compiler)" >&2; exit 1; }
k=$(printf '0x%x' "$(stat -c %s "$dir/Image")")
r=$(printf '0x%x' "$(stat -c %s "$initrd")")
append=${DOMU_APPEND:-console=ttyAMA0 rdinit=/init hvsim.selftest}
domu() {   # N KERNEL-ADDR RAMDISK-ADDR
    cat <<EOD
	domU$1 {
		compatible = "xen,domain";
		#address-cells = <2>;
		#size-cells = <2>;
		memory = <0 0x40000>;	/* 256 MiB, in KiB */
		cpus = <1>;
		vpl011;
		module@$2 {
			compatible = "multiboot,kernel", "multiboot,module";
			reg = <0 0x$2 0 $k>;
			bootargs = "$append";
		};
		module@$3 {
			compatible = "multiboot,ramdisk", "multiboot,module";
			reg = <0 0x$3 0 $r>;
		};
	};
EOD
}
{
    printf '/dts-v1/;\n/plugin/;\n\n&{/chosen} {\n\t#address-cells = <2>;\n\t#size-cells = <2>;\n'
    domu 1 52000000 54000000
    domu 2 56000000 58000000
    printf '};\n'
} >"$dir/dom0less.dtso"
dtc -@ -q -I dts -O dtb -o "$dir/dom0less.dtbo.tmp" "$dir/dom0less.dtso"
mv "$dir/dom0less.dtbo.tmp" "$dir/dom0less.dtbo"
