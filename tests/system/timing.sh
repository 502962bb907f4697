#!/bin/sh
# The cycle model as a user meets it (issue 13; the model's parts have unit tests, suite
# timing, and the validation programs tests/system/timing-validate.sh):
#  - --timing inorder runs minihv (EL2, two guests under stage 2) and an SMP program to the
#    same output as atomic, with the same cycle count and state hash on every run, and for one
#    core the same cycle count under any --quantum; false sharing between two cores shows in
#    their L1D refills (tshare.c);
#  - a snapshot taken under inorder and restored under inorder in a new process reaches the
#    straight run's state hash (caches, TLBs and predictor travel in the file); restored
#    under another model it starts cold and says so; reverse-stepi under inorder lands on the
#    straight run's state;
#  - --timing-switch-at N:inorder fast-forwards to instruction N in atomic, then models;
#  - Debian's Linux boots to its selftest under the model, and a snapshot taken mid-boot
#    restores to the same final state (SKIP without build/debian);
#  - the statistics name walks by kind, and `info tlb` shows the architectural TLBs;
#  - a plugin hears the model's events (TIMING), as many as the statistics count;
#  - bad --timing, --timing-config and --timing-switch-at values: one line, exit 1.
#
#   sh tests/system/timing.sh path/to/hvsim
set -u
if [ $# -ne 1 ]; then
    echo "usage: sh tests/system/timing.sh HVSIM" >&2
    exit 2
fi
HVSIM=$1
WORKLOADS=${WORKLOADS:-$(dirname "$HVSIM")/workloads}
NAME=timing
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/system/harness.sh
. "$HERE/harness.sh"
hv() {
    timeout 300 "$HVSIM" "$@" </dev/null
}
hash_of() {
    sed -n 's/^state-hash: //p' "$1"
}
stat() {
    python3 "$HERE/statsget.py" "$1" "$2"
}

MINIHV=$WORKLOADS/minihv/minihv.elf
SMP=$WORKLOADS/tests/smp.elf
EL2="-M virt,virtualization=on -cpu max -m 256M"

# ---- same output as atomic; the same cycles and hash on every run -----------------------
# shellcheck disable=SC2086
hv $EL2 -kernel "$MINIHV" >"$TMP/atomic.out" 2>/dev/null
for r in 1 2; do
    # shellcheck disable=SC2086
    hv $EL2 -kernel "$MINIHV" --timing inorder --state-hash --stats "$TMP/m$r.json" \
        >"$TMP/m$r.out" 2>"$TMP/m$r.err"
done
c1=$(stat "$TMP/m1.json" timing.cpu0.cycles)
c2=$(stat "$TMP/m2.json" timing.cpu0.cycles)
i1=$(stat "$TMP/m1.json" timing.cpu0.insns)
if ! cmp -s "$TMP/atomic.out" "$TMP/m1.out"; then
    fail "inorder-minihv-output" "differs from atomic: $(diff "$TMP/atomic.out" "$TMP/m1.out" | head -n 3 | tr '\n' ' ')"
elif [ -z "$c1" ] || [ "$c1" != "$c2" ] || [ "$(hash_of "$TMP/m1.err")" != "$(hash_of "$TMP/m2.err")" ]; then
    fail "inorder-minihv-deterministic" "cycles $c1 / $c2, hashes differ or missing"
elif [ "$c1" -eq "$i1" ]; then
    fail "inorder-minihv-deterministic" "$c1 cycles for $i1 instructions: no model at work"
else
    pass "inorder-minihv-deterministic ($i1 instructions in $c1 cycles)"
fi

# 2D walks under the guests' stage 2 (stage 1 off in minihv's guests: stage-2-only walks)
w=$(stat "$TMP/m1.json" timing.cpu0.walks.s2)
rpw=$(stat "$TMP/m1.json" timing.cpu0.walk_refs_per_walk.s2)
if [ -z "$w" ] || [ "$w" -eq 0 ] || ! python3 -c "import sys; r=float('$rpw'); sys.exit(not 1 <= r <= 4)"; then
    fail "inorder-walk-stats" "stage-2 walks $w, references per walk $rpw"
else
    pass "inorder-walk-stats ($w stage-2 walks, $rpw references each)"
fi

# the bare-metal programs (timers, interrupts, SMP, exceptions, MMU, PMU...) print under the
# model what they print under atomic: their output does not depend on the clock
diffs=""
for f in "$WORKLOADS"/tests/*.elf; do
    n=$(basename "$f" .elf)
    case $n in
    tchase | tbranch | twalk | tvmexit | tshare | display | virtio | gicv2* | its) continue ;;
    esac
    smp=1
    case $n in smp*) smp=2 ;; esac
    # shellcheck disable=SC2086
    hv $EL2 -smp $smp -kernel "$f" >"$TMP/ba.out" 2>&1
    # shellcheck disable=SC2086
    hv $EL2 -smp $smp -kernel "$f" --timing inorder >"$TMP/bi.out" 2>&1
    cmp -s "$TMP/ba.out" "$TMP/bi.out" || diffs="$diffs $n"
done
if [ -n "$diffs" ]; then
    fail "inorder-baremetal-outputs" "differ from atomic:$diffs"
else
    pass "inorder-baremetal-outputs"
fi

# per VM: minihv's two guests' instructions add up to what ran under stage 2
v1=$(stat "$TMP/m1.json" timing.vm1.insns)
v2=$(stat "$TMP/m1.json" timing.vm2.insns)
vc=$(stat "$TMP/m1.json" timing.vm1.cycles)
if [ -z "$v1" ] || [ -z "$v2" ] || [ -z "$vc" ] || [ $((v1 + v2)) -ge "$i1" ] || [ "$vc" -le 0 ]; then
    fail "inorder-per-vm" "vm1 $v1, vm2 $v2 instructions (all: $i1), vm1 cycles $vc"
else
    pass "inorder-per-vm (vm1 $v1, vm2 $v2 of $i1 instructions)"
fi

# one core: the cycles do not depend on the scheduling quantum
# shellcheck disable=SC2086
hv $EL2 -kernel "$MINIHV" --timing inorder --quantum 777 --stats "$TMP/q.json" >"$TMP/q.out" 2>/dev/null
cq=$(stat "$TMP/q.json" timing.cpu0.cycles)
if [ "$cq" != "$c1" ] || ! cmp -s "$TMP/q.out" "$TMP/m1.out"; then
    fail "inorder-quantum-invariant" "cycles $cq with --quantum 777, $c1 by default"
else
    pass "inorder-quantum-invariant"
fi

# SMP: 4 cores, coherence traffic; two runs alike
for r in 1 2; do
    hv -smp 4 -kernel "$SMP" --timing inorder --state-hash --stats "$TMP/s$r.json" \
        >"$TMP/s$r.out" 2>"$TMP/s$r.err"
done
hv -smp 4 -kernel "$SMP" >"$TMP/sa.out" 2>/dev/null
if ! cmp -s "$TMP/sa.out" "$TMP/s1.out"; then
    fail "inorder-smp" "output differs from atomic"
elif [ "$(hash_of "$TMP/s1.err")" != "$(hash_of "$TMP/s2.err")" ] || [ -z "$(hash_of "$TMP/s1.err")" ]; then
    fail "inorder-smp" "two runs end in different states"
else
    pass "inorder-smp (coherence invalidations on cpu0: $(stat "$TMP/s1.json" timing.cpu0.l1d.coherence_invals))"
fi

# false sharing: two cores' counters in one line ping-pong it between their L1Ds (each
# store invalidates the other's copy), in two lines they do not; the guest's PMU sees it
hv -smp 2 -kernel "$WORKLOADS/tests/tshare.elf" --timing inorder --quantum 100 >"$TMP/fs.out" 2>&1
one=$(sed -n 's/^one line: counters 20000 20000, core 0 L1D refills \([0-9]*\), cycles \([0-9]*\)$/\1 \2/p' "$TMP/fs.out")
two=$(sed -n 's/^two lines: counters 20000 20000, core 0 L1D refills \([0-9]*\), cycles \([0-9]*\)$/\1 \2/p' "$TMP/fs.out")
if [ -z "$one" ] || [ -z "$two" ] || [ "${one% *}" -lt 500 ] || [ "${two% *}" -gt 5 ] ||
    [ "${one#* }" -le "${two#* }" ]; then
    fail "inorder-false-sharing" "$(tr '\n' ' ' <"$TMP/fs.out")"
else
    pass "inorder-false-sharing (L1D refills ${one% *} in one line, ${two% *} in two; cycles ${one#* } vs ${two#* })"
fi

# ---- snapshots -----------------------------------------------------------------------------
N=$((i1 / 2))
# shellcheck disable=SC2086
hv $EL2 -kernel "$MINIHV" --timing inorder --checkpoint-at "$N:$TMP/i.snap" >/dev/null 2>&1
hv --restore "$TMP/i.snap" --timing inorder --state-hash --stats "$TMP/r.json" >"$TMP/r.out" 2>"$TMP/r.err"
if [ "$(hash_of "$TMP/r.err")" != "$(hash_of "$TMP/m1.err")" ] ||
    [ "$(stat "$TMP/r.json" timing.cpu0.cycles)" != "$c1" ]; then
    fail "inorder-snapshot-restore" "restored at $N: $(tail -n 1 "$TMP/r.err"), cycles $(stat "$TMP/r.json" timing.cpu0.cycles) vs $c1"
else
    pass "inorder-snapshot-restore (at instruction $N)"
fi
# a snapshot taken under atomic, restored under inorder: the model starts cold, said once
# shellcheck disable=SC2086
hv $EL2 -kernel "$MINIHV" --checkpoint-at "$N:$TMP/a.snap" >/dev/null 2>&1
hv --restore "$TMP/a.snap" --timing inorder >/dev/null 2>"$TMP/cold.err"
rc=$?
if [ "$rc" -ne 0 ] || [ "$(grep -c 'inorder model starts cold' "$TMP/cold.err")" -ne 1 ]; then
    fail "inorder-restore-cold" "exit $rc: $(head -n 2 "$TMP/cold.err" | tr '\n' ' ')"
else
    pass "inorder-restore-cold"
fi
# and an inorder snapshot restored under atomic runs on (the model's state is not needed)
hv --restore "$TMP/i.snap" >"$TMP/ra.out" 2>"$TMP/ra.err"
if [ $? -ne 0 ] || grep -q "starts cold" "$TMP/ra.err"; then
    fail "inorder-restore-atomic" "$(tail -n 1 "$TMP/ra.err")"
else
    pass "inorder-restore-atomic"
fi

# reverse-stepi under inorder lands where the straight run stands
M=$((N + 1000))
cat >"$TMP/rev.txt" <<EOF
stepi $M
reverse-stepi 300
info state-hash
EOF
# shellcheck disable=SC2086
hv $EL2 -kernel "$MINIHV" --timing inorder --script "$TMP/rev.txt" >"$TMP/rev.out" 2>&1
# shellcheck disable=SC2086
hv $EL2 -kernel "$MINIHV" --timing inorder --max-insns $((M - 300)) --state-hash >/dev/null 2>"$TMP/str.err"
got=$(sed -n 's/^state-hash: //p; s/^state hash: //p' "$TMP/rev.out" | tail -n 1)
if [ -z "$got" ] || [ "$got" != "$(hash_of "$TMP/str.err")" ]; then
    fail "inorder-reverse-stepi" "after reverse-stepi: '$got', straight run: '$(hash_of "$TMP/str.err")'"
else
    pass "inorder-reverse-stepi"
fi

# ---- sampled simulation -------------------------------------------------------------------
S=$((i1 / 3))
for r in 1 2; do
    # shellcheck disable=SC2086
    hv $EL2 -kernel "$MINIHV" --timing-switch-at "$S:inorder" --state-hash --stats "$TMP/w$r.json" \
        >"$TMP/w$r.out" 2>"$TMP/w$r.err"
done
warm=$(stat "$TMP/w1.json" timing.warm_from_insn)
mi=$(stat "$TMP/w1.json" timing.cpu0.insns)
total=$(stat "$TMP/w1.json" sim.insns)
if [ "$warm" != "$S" ] || [ -z "$mi" ] || [ $((total - mi)) -lt "$S" ] ||
    [ "$(hash_of "$TMP/w1.err")" != "$(hash_of "$TMP/w2.err")" ] || ! cmp -s "$TMP/w1.out" "$TMP/atomic.out"; then
    fail "timing-switch-at" "warm from $warm (want $S), $mi of $total instructions modelled"
else
    pass "timing-switch-at (modelled $mi of $total instructions)"
fi

# ---- info tlb shows the model's TLBs ------------------------------------------------------
printf 'stepi 200000\ninfo tlb\n' >"$TMP/tlb.txt"
# shellcheck disable=SC2086
hv $EL2 -kernel "$MINIHV" --timing inorder --script "$TMP/tlb.txt" >"$TMP/tlb.out" 2>&1
if grep -q "^soft TLB of cpu0" "$TMP/tlb.out" && grep -q "^architectural TLBs of cpu0" "$TMP/tlb.out" &&
    grep -Eq "^  L2  VA 0x[0-9a-f]+ -> IPA 0x[0-9a-f]+ +4K EL1&0 VMID [12]" "$TMP/tlb.out"; then
    pass "info-tlb-model"
else
    fail "info-tlb-model" "$(grep -m3 -E 'TLB|L2' "$TMP/tlb.out" | tr '\n' ' ')"
fi

# ---- plugin events: the model's misses, walks and mispredicts, as the statistics count them
PLUG=$(dirname "$HVSIM")/tests/plugins/evlog.so
hv -kernel "$WORKLOADS/tests/mmu.elf" --timing inorder --plugin "$PLUG,out=$TMP/ev.txt" \
    --stats "$TMP/ev.json" >/dev/null 2>"$TMP/ev.err"
sums=$(awk '$1 == "timing" { s[$3] += $4 } END { printf "%d %d %d %d", s["l1i_miss"], s["l1d_miss"], s["walk"], s["mispredict"] }' "$TMP/ev.txt")
want=""
for k in l1i.misses l1d.misses l2tlb.misses bp.mispredicts; do
    want="$want $(stat "$TMP/ev.json" "timing.cpu0.$k")"
done
if [ "$sums" != "${want# }" ] || [ "$(echo "$sums" | cut -d' ' -f3)" -eq 0 ]; then
    fail "timing-plugin-events" "events $sums, statistics$want"
else
    pass "timing-plugin-events (L1I, L1D misses, walks, mispredicts: $sums)"
fi

# ---- Debian's Linux under the model: to its selftest line and power-off; a snapshot taken
# mid-boot under the model, restored in a new process, ends in the straight run's state ----
LINUX_DIR=${LINUX_DIR:-$(dirname "$HVSIM")/debian}
if [ ! -f "$LINUX_DIR/Image" ] || [ ! -f "$LINUX_DIR/initrd.cpio.gz" ]; then
    echo "SKIP inorder-linux: no $LINUX_DIR/Image (make linux-image fetches Debian's kernel)"
else
    LX="-M virt,gic-version=3 -cpu cortex-a57 -m 1G -kernel $LINUX_DIR/Image -initrd $LINUX_DIR/initrd.cpio.gz"
    # shellcheck disable=SC2086
    hv $LX -append "console=ttyAMA0 rdinit=/init hvsim.selftest" --timing inorder --state-hash \
        --checkpoint-at "400000000:$TMP/lx.snap" --stats "$TMP/lx.json" >"$TMP/lx.out" 2>"$TMP/lx.err"
    rc=$?
    hv --restore "$TMP/lx.snap" --timing inorder --state-hash >"$TMP/lxr.out" 2>"$TMP/lxr.err"
    if [ "$rc" -ne 0 ] || ! grep -q "^hvsim-linux: selftest done" "$TMP/lx.out"; then
        fail "inorder-linux" "exit $rc: $(tail -n 1 "$TMP/lx.err")"
    elif [ "$(hash_of "$TMP/lxr.err")" != "$(hash_of "$TMP/lx.err")" ]; then
        fail "inorder-linux" "restored at 4e8: $(tail -n 1 "$TMP/lxr.err"), straight: $(hash_of "$TMP/lx.err")"
    else
        pass "inorder-linux (IPC $(stat "$TMP/lx.json" timing.cpu0.ipc), stage-1 walks $(stat "$TMP/lx.json" timing.cpu0.walks.s1); restored at 4e8: same state)"
    fi
fi

# ---- bad input ----------------------------------------------------------------------------
printf '[l1d]\nsize=3000\n' >"$TMP/bad.ini"
printf '[l1d]\nsizee=4096\n' >"$TMP/typo.ini"
bad() {
    name=$1
    want=$2
    shift 2
    # shellcheck disable=SC2086
    hv $EL2 -kernel "$MINIHV" "$@" >/dev/null 2>"$TMP/bad.err"
    rc=$?
    if [ "$rc" -ne 1 ] || [ "$(wc -l <"$TMP/bad.err")" -ne 1 ] || ! grep -q -- "$want" "$TMP/bad.err"; then
        fail "$name" "exit $rc: $(head -n 2 "$TMP/bad.err" | tr '\n' ' ')"
    else
        pass "$name"
    fi
}
bad timing-bad-model "unknown timing model" --timing outoforder
bad timing-config-missing "timing-config" --timing inorder --timing-config "$TMP/none.ini"
bad timing-config-geometry "powers of two" --timing inorder --timing-config "$TMP/bad.ini"
bad timing-config-typo "unknown key sizee" --timing inorder --timing-config "$TMP/typo.ini"
bad timing-switch-bad "want N:MODEL" --timing-switch-at 10:fast
bad timing-switch-zero "want N:MODEL" --timing-switch-at 0:inorder

echo "timing: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
