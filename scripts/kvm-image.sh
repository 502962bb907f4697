#!/bin/sh
# Prepares the KVM host for hvsim's nested-guest run (make kvm-image, tests/system/kvm.sh):
# DIR/kvm/initrd.cpio, an uncompressed initramfs with Debian's busybox,
# workloads/kvm-vmm/host-init as /init and, under /kvm, the VMM, the kernel Image again (the
# guest runs the host's own kernel), the guest's initramfs (busybox and
# workloads/kvm-vmm/guest-init, and PTRACE, workloads/linux/ptrace_debug.c built static, as
# /bin/ptrace-debug) and the guest's DTBs for one and two vCPUs
# (workloads/kvm-vmm/guest.dts compiled by dtc, with /chosen's initrd range for the VMM's load
# address, RAM + 64 MiB).
#
#   scripts/kvm-image.sh DIR VMM PTRACE [PAPER_IMG]
#
# DIR is scripts/linux-image.sh's directory (it is run first: same exit codes, 77 when the
# Debian archive cannot be reached and nothing is cached); VMM the static kvm-vmm binary.
set -eu
[ $# -eq 3 ] || [ $# -eq 4 ] || { echo "usage: $0 DIR VMM PTRACE [PAPER_IMG]" >&2; exit 2; }
dir=$1
vmm=$2
ptrace=$3
# PAPER_IMG: make paper's KVM guest (workloads/paper/kvm_bench.c): DIR/kvm/paper-initrd.cpio
# is a host with only the VMM and it, run by run-guest with hvsim.kvm-paper
paper=${4:-}
top=$(cd "$(dirname "$0")/.." && pwd)
src=$top/workloads/kvm-vmm
sh "$top/scripts/linux-image.sh" "$dir"
command -v dtc >/dev/null || { echo "kvm-image: dtc not found (apt-get install device-tree-compiler)" >&2; exit 1; }
busybox=$dir/root/busybox-static/bin/busybox
out=$dir/kvm
mkdir -p "$out"
python3 "$top/scripts/mkinitramfs.py" --busybox "$busybox" --init "$src/guest-init" \
    --file "$ptrace:/bin/ptrace-debug:755" -o "$out/guest-initrd.cpio.gz"
initrd_start=$((0x40000000 + (64 << 20)))
initrd_end=$((initrd_start + $(wc -c <"$out/guest-initrd.cpio.gz")))
chosen=$(printf '/ { chosen { linux,initrd-start = <0x0 0x%x>; linux,initrd-end = <0x0 0x%x>; }; };' \
    "$initrd_start" "$initrd_end")
{ cat "$src/guest.dts"; echo "$chosen"; } | dtc -q -I dts -O dtb -o "$out/guest.dtb" -
# two vCPUs: a second cpu node and a second redistributor frame (128 KiB each)
{ cat "$src/guest.dts"; echo "$chosen"
  echo '/ { cpus { cpu@1 { device_type = "cpu"; compatible = "arm,armv8"; reg = <1>;'
  echo '  enable-method = "psci"; }; }; intc@8000000 { reg = <0x0 0x08000000 0x0 0x10000>,'
  echo '  <0x0 0x080a0000 0x0 0x40000>; }; };'
} | dtc -q -I dts -O dtb -o "$out/guest-2vcpu.dtb" -
# GICv2 hosts (-M virt,gic-version=2): KVM's vGICv2, distributor and CPU interface as QEMU's
gicv2='/ { intc@8000000 { compatible = "arm,cortex-a15-gic"; /delete-property/ #redistributor-regions;
  reg = <0x0 0x08000000 0x0 0x10000>, <0x0 0x08010000 0x0 0x10000>; }; };'
{ cat "$src/guest.dts"; echo "$chosen"; echo "$gicv2"; } | dtc -q -I dts -O dtb -o "$out/guest-gicv2.dtb" -
{ cat "$src/guest.dts"; echo "$chosen"; echo "$gicv2"
  echo '/ { cpus { cpu@1 { device_type = "cpu"; compatible = "arm,armv8"; reg = <1>;'
  echo '  enable-method = "psci"; }; }; };'
} | dtc -q -I dts -O dtb -o "$out/guest-2vcpu-gicv2.dtb" -
python3 "$top/scripts/mkinitramfs.py" --busybox "$busybox" --init "$src/host-init" \
    --file "$vmm:/kvm/vmm:755" --file "$src/run-guest:/kvm/run-guest:755" \
    --file "$dir/Image:/kvm/Image" --file "$out/guest-initrd.cpio.gz:/kvm/guest-initrd.cpio.gz" \
    --file "$out/guest.dtb:/kvm/guest.dtb" --file "$out/guest-2vcpu.dtb:/kvm/guest-2vcpu.dtb" \
    --file "$out/guest-gicv2.dtb:/kvm/guest-gicv2.dtb" \
    --file "$out/guest-2vcpu-gicv2.dtb:/kvm/guest-2vcpu-gicv2.dtb" \
    --uncompressed -o "$out/initrd.cpio"
# make paper's host: the VMM and the benchmark guest, no nested Linux (hvsim.kvm-paper)
if [ -n "$paper" ]; then
    python3 "$top/scripts/mkinitramfs.py" --busybox "$busybox" --init "$src/host-init" \
        --file "$vmm:/kvm/vmm:755" --file "$src/run-guest:/kvm/run-guest:755" \
        --file "$paper:/kvm/paper.img" --file "$out/guest.dtb:/kvm/guest.dtb" \
        --file "$out/guest-gicv2.dtb:/kvm/guest-gicv2.dtb" \
        --uncompressed -o "$out/paper-initrd.cpio"
fi
