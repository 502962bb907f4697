#!/bin/sh
# KVM in Linux on hvsim (`make check-kvm`): Debian's kernel booted at EL2 as a KVM host runs
# itself as a guest through the project's VMM (workloads/kvm-vmm/, scripts/kvm-image.sh);
# the nested guest's /init debugs a child through ptrace (workloads/linux/ptrace_debug.c:
# KVM traps and switches the guest's debug registers), prints its marker and powers off, the
# VMM exits, the host powers off. On cortex-a57 (nVHE: KVM's world switch at EL2, the host
# at EL1) and max (VHE: the host at EL2), with one core and one vCPU and with two of each.
# The state hash at power-off is the same in two runs (one with a vmexit trace) and after a
# snapshot taken while the guest boots, restored in a new process; the statistics count
# KVM's world switches by reason; `break-on vmexit` stops at KVM's vector on the guest's
# first stage-2 fault; reverse-stepi goes back into the guest and forward again to the same
# state. Without the Debian packages (no network, nothing cached) it says SKIP with the
# reason.
#
#   sh tests/system/kvm.sh HVSIM DIR VMM PTRACE
# (DIR: the package cache; VMM: kvm-vmm, static; PTRACE: ptrace_debug.c built static)
set -u
NAME=kvm
. "$(dirname "$0")/harness.sh"
if [ $# -ne 4 ]; then
    echo "usage: sh tests/system/kvm.sh HVSIM DIR VMM PTRACE" >&2
    exit 2
fi
HVSIM=$1 DIR=$2 VMM=$3 PTRACE=$4
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TIMEOUT=${HVSIM_TIMEOUT:-300}

prepare kvm sh "$TOP/scripts/kvm-image.sh" "$DIR" "$VMM" "$PTRACE" || exit 0
MARKER='kvm-guest: hello from Linux'

# boot OUT CPU SMP APPEND [hvsim options...]: the host at EL2 on SMP cores, with APPEND added to
# its command line, to power-off; sets rc. The
# run takes about 2.1e9 instructions; a guest that loops (as one on VHE did on a stage-2
# fault KVM could not resolve) stops at 5e9 without its marker.
boot() {
    out=$1 cpu=$2 smp=$3 extra=$4
    shift 4
    timeout "$TIMEOUT" "$HVSIM" -M virt,gic-version=${GIC:-3},virtualization=on -cpu "$cpu" -smp "$smp" \
        -m 1G -kernel "$DIR/Image" -initrd "$DIR/kvm/initrd.cpio" --max-insns 5000000000 \
        -append "console=ttyAMA0 rdinit=/init$extra" "$@" </dev/null >"$out" 2>"$out.err"
    rc=$?
}
state_hash() { sed -n 's/^state-hash: //p' "$1.err"; }
first_problem() { grep -m1 -E "^hvsim:|^kvm-vmm:|Kernel panic|Oops|BUG:" "$1" "$1.err" | head -1; }

# check_nested NAME MODE VCPUS: the marker, the VMM's clean exit and the host's KVM mode
check_nested() {
    f=$TMP/$1
    if [ $rc -ne 0 ]; then
        fail "$1" "exit code $rc: $(first_problem "$f")"
    elif ! grep -q "^kvm-host: .* up, $2 initialized" "$f"; then
        fail "$1" "the host did not initialise KVM in $2"
    elif ! grep -q "^$MARKER.*, $3 vcpu(s)" "$f"; then
        fail "$1" "no guest marker: $(first_problem "$f")"
    elif ! grep -q '^kvm-vmm: guest powered off' "$f" || ! grep -q '^kvm-host: vmm exited with 0' "$f"; then
        fail "$1" "the VMM did not end with the guest's power-off"
    else
        pass "$1"
    fi
}
# check_ptrace NAME: the nested guest's ptrace report equals the one Linux gives on hvsim
# without KVM and on QEMU (tests/system/linux-debug.sh); the guest's lines reach the host's
# console through the VMM's stdout, whose tty adds a CR to the guest's CR LF: compared
# without CRs
check_ptrace() {
    tr -d '\r' <"$TMP/$1" | sed -n '/^ptrace-debug: start/,/^ptrace-debug: done/p' >"$TMP/$1.ptrace"
    tr -d '\r' <"$HERE/expected/linux-ptrace-debug.out" >"$TMP/ptrace.expected"
    if cmp -s "$TMP/$1.ptrace" "$TMP/ptrace.expected"; then
        pass "$1-ptrace-debug"
    else
        fail "$1-ptrace-debug" "$(diff "$TMP/ptrace.expected" "$TMP/$1.ptrace" | sed -n 2p)"
    fi
}

# ---- the nested guest on nVHE (cortex-a57), with statistics -------------------------------
# (the guest boots from about 1.0e9 to 2.1e9 instructions: the snapshot is taken inside it)
boot "$TMP/kvm-nvhe" cortex-a57 1 "" --state-hash --stats "$TMP/stats.json" \
    --checkpoint-at "1500000000:$TMP/mid.snap"
check_nested kvm-nvhe "Hyp mode" 1
check_ptrace kvm-nvhe
hash1=$(state_hash "$TMP/kvm-nvhe")

# KVM's world switches are VM exits of VMID 1 (KVM's first VMID): stage-2 faults for the
# guest's RAM and its MMIO (the VMM's PL011), the guest's HVCs (PSCI, SMCCC) and trapped
# system registers, and physical interrupts taken while the guest runs
if python3 - "$TMP/stats.json" >"$TMP/stats.err" 2>&1 <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
def n(k):
    return s.get(k, 0)
need = {'dabt': 10000, 'iabt': 100, 'hvc': 1, 'sysreg': 1, 'irq': 10}
bad = ['%s=%d (want >= %d)' % (r, n('vm1.exits.' + r), m) for r, m in need.items()
       if n('vm1.exits.' + r) < m]
total = sum(n('vm1.exits.' + r) for r in
            ('hvc', 'smc', 'sysreg', 'wfx', 'dabt', 'iabt', 'irq', 'fiq', 'serror', 'other'))
if total != n('vm1.exits'):
    bad.append('reasons sum to %d, vm1.exits is %d' % (total, n('vm1.exits')))
if bad:
    sys.exit('; '.join(bad))
EOF
then
    pass kvm-stats-exits
else
    fail kvm-stats-exits "$(tail -1 "$TMP/stats.err")"
fi

# ---- determinism: the same run again, with a vmexit trace, ends in the same state ---------
boot "$TMP/kvm-trace" cortex-a57 1 "" --state-hash -d vmexit -D "$TMP/vmexit.trace"
hash2=$(state_hash "$TMP/kvm-trace")
if [ $rc -ne 0 ] || [ -z "$hash1" ] || [ "$hash1" != "$hash2" ]; then
    fail kvm-state-hash "exit code $rc, hashes '$hash1' and '$hash2'"
else
    pass kvm-state-hash
fi
timeout "$TIMEOUT" "$HVSIM" --restore "$TMP/mid.snap" --state-hash </dev/null \
    >"$TMP/kvm-restore" 2>"$TMP/kvm-restore.err"
rc=$?
hash3=$(state_hash "$TMP/kvm-restore")
if [ $rc -ne 0 ] || [ -z "$hash1" ] || [ "$hash1" != "$hash3" ]; then
    fail kvm-snapshot-restore "exit code $rc, hashes '$hash1' and '$hash3'"
elif ! grep -q "^$MARKER" "$TMP/kvm-restore"; then
    fail kvm-snapshot-restore "the restored run did not print the guest's marker"
else
    pass kvm-snapshot-restore
fi

# the trace has an exit and an entry for each of KVM's world switches, and the first is the
# guest's first instruction fetch: a stage-2 translation fault at the kernel's entry, whose
# entry is KVM's return to the guest at that instruction (not nVHE KVM's return to its host)
exits=$(grep -c '^VMEXIT cpu0 vm1 ' "$TMP/vmexit.trace" 2>/dev/null)
entries=$(grep -c '^VMENTRY cpu0 vm1 ' "$TMP/vmexit.trace" 2>/dev/null)
want=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['vm1.exits'])" "$TMP/stats.json" 2>/dev/null)
# (the last exit, the guest's PSCI SYSTEM_OFF, is never entered again)
if [ "${exits:-0}" -eq 0 ] || [ "$exits" != "$want" ] || [ "$entries" -ne $((exits - 1)) ]; then
    fail kvm-trace-vmexit "$exits exits and $entries entries traced, statistics say ${want:-?}"
elif ! head -1 "$TMP/vmexit.trace" | grep -q '^VMEXIT cpu0 vm1 iabt esr=82000005 pc=0000000040000000 '; then
    fail kvm-trace-vmexit "first line: $(head -1 "$TMP/vmexit.trace")"
elif ! sed -n 2p "$TMP/vmexit.trace" | grep -q '^VMENTRY cpu0 vm1 pc=0000000040000000 '; then
    fail kvm-trace-vmexit "second line: $(sed -n 2p "$TMP/vmexit.trace")"
else
    pass kvm-trace-vmexit
fi

# ---- the nested guest on VHE (max) --------------------------------------------------------
boot "$TMP/kvm-vhe" max 1 ""
check_nested kvm-vhe "VHE mode" 1
check_ptrace kvm-vhe

# ---- two cores, two vCPUs (the guest's secondary started by KVM's PSCI): nVHE, VHE --------
# (before the PSCI fix an nVHE host's secondary came up at EL1 and KVM was off)
boot "$TMP/kvm-nvhe-smp2" cortex-a57 2 " hvsim.kvm-vcpus=2"
check_nested kvm-nvhe-smp2 "Hyp mode" 2
boot "$TMP/kvm-vhe-smp2" max 2 " hvsim.kvm-vcpus=2"
check_nested kvm-vhe-smp2 "VHE mode" 2

# ---- a GICv2 host (-M virt,gic-version=2): KVM's vGICv2 on GICH/GICV, the guest's tree with
# a cortex-a15-gic (the VMM falls back to the v2 device, run-guest picks the tree) -----------
GIC=2
boot "$TMP/kvm-nvhe-gicv2" cortex-a57 1 ""
check_nested kvm-nvhe-gicv2 "Hyp mode" 1
boot "$TMP/kvm-vhe-gicv2" max 1 ""
check_nested kvm-vhe-gicv2 "VHE mode" 1
GIC=3

# ---- break-on vmexit: stop at KVM's EL2 vector on the guest's first exit ------------------
# (nVHE: KVM's hyp vectors; the guest's first fetch, at the Image's entry with its MMU off,
# finds stage 2 empty: FAR = the IPA = the entry, HPFAR its page). Then the first data abort,
# three instructions back into the guest (EL1, vm1) and forward again to the same state.
cat >"$TMP/brk.txt" <<'EOS'
break-on vmexit iabt if vmid==1
continue
info sysregs ESR_EL2 FAR_EL2 HPFAR_EL2
delete 1
break-on vmexit dabt if vmid==1
continue
info state-hash
reverse-stepi 3
stepi 3
info state-hash
EOS
boot "$TMP/kvm-break" cortex-a57 1 "" --script "$TMP/brk.txt"
if [ $rc -ne 0 ]; then
    fail kvm-break-on-vmexit "exit code $rc: $(first_problem "$TMP/kvm-break")"
elif ! grep -q '^Event 1 after [0-9]* instructions: vmexit iabt from vm1 at EL1, ESR=0x82000005' "$TMP/kvm-break" ||
    ! grep -q '^  now cpu0 EL2 ' "$TMP/kvm-break" ||
    ! grep -q '^FAR_EL2 *0x0000000040000000$' "$TMP/kvm-break" ||
    ! grep -q '^HPFAR_EL2 *0x0000000000400000$' "$TMP/kvm-break"; then
    fail kvm-break-on-vmexit "$(grep -m1 -E '^(Event|hvsim)' "$TMP/kvm-break" "$TMP/kvm-break.err")"
else
    pass kvm-break-on-vmexit
fi
h_at=$(sed -n 's/^state-hash: //p' "$TMP/kvm-break" | sed -n 1p)
h_again=$(sed -n 's/^state-hash: //p' "$TMP/kvm-break" | sed -n 2p)
if ! grep -q 'vmexit dabt from vm1 at EL1' "$TMP/kvm-break" ||
    ! grep -q '^stepped back 3 instructions .*: cpu0 EL1 ' "$TMP/kvm-break"; then
    fail kvm-reverse-in-guest "$(grep -m1 -E '^(stepped|hvsim)' "$TMP/kvm-break" "$TMP/kvm-break.err")"
elif [ -z "$h_at" ] || [ "$h_at" != "$h_again" ]; then
    fail kvm-reverse-in-guest "state hash at the exit '$h_at', after going back and forth '$h_again'"
else
    pass kvm-reverse-in-guest
fi

echo "kvm tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
