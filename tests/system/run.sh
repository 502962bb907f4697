#!/bin/sh
# System tests: run the bare-metal programs under build/workloads/ on hvsim and compare
# their output with QEMU's (qemu-system-aarch64 -M virt), or with the stored expected
# output when QEMU is not installed; check determinism (--state-hash), --max-insns, an EL2
# boot, and that bad input is refused cleanly.
#
#   sh tests/system/run.sh [--update-expected] path/to/hvsim
#
# --update-expected rewrites tests/system/expected/*.out from QEMU and exits.
# Environment: WORKLOADS (default: <dir of hvsim>/workloads), QEMU (default:
# qemu-system-aarch64), HVSIM_TIMEOUT (seconds per hvsim run, default 120).
set -u

UPDATE=0
if [ "${1:-}" = "--update-expected" ]; then
    UPDATE=1
    shift
fi
if [ $# -ne 1 ]; then
    echo "usage: sh tests/system/run.sh [--update-expected] HVSIM" >&2
    exit 2
fi
HVSIM=$1
HERE=$(cd "$(dirname "$0")" && pwd)
EXPECTED=$HERE/expected
WORKLOADS=${WORKLOADS:-$(dirname "$HVSIM")/workloads}
QEMU=${QEMU:-qemu-system-aarch64}
HV_TIMEOUT=${HVSIM_TIMEOUT:-120}
QEMU_TIMEOUT=60

if ! command -v "$QEMU" >/dev/null 2>&1; then
    QEMU=
fi

NAME=system
# shellcheck source=tests/system/harness.sh
. "$HERE/harness.sh"

# Per-program machine options, the same for hvsim and QEMU.
cpu_for() {
    case $1 in
    atomics) echo max ;; # LSE atomics need an ARMv8.1 core; cortex-a57 is ARMv8.0
    minihv) echo max ;;  # the default demo runs on -cpu max
    vhe | pan_serror) echo max ;;   # FEAT_VHE, FEAT_PAN
    fptrap) echo max ;;             # the E2H layout of CPTR_EL2 needs FEAT_VHE
    *) echo cortex-a57 ;;
    esac
}
smp_for() {
    case $1 in
    smp | its) echo 2 ;;
    smp_ipi | smp_timer | gicv2) echo 4 ;;
    *) echo 1 ;;
    esac
}

# run_qemu ELF MACHINE CPU SMP OUT
# QEMU's multi-threaded TCG is not deterministic and an SMP program occasionally stalls on a
# loaded host: a run that times out is tried once more before it counts as a failure.
run_qemu() {
    for try in 1 2; do
        case $2 in
        *gic-version=*) qm=$2 ;;
        *) qm=$2,gic-version=3 ;;
        esac
        timeout "$QEMU_TIMEOUT" "$QEMU" -M "$qm" -cpu "$3" -smp "$4" -m 256M -nographic \
            -global virtio-mmio.force-legacy=false \
            -kernel "$1" >"$5" 2>"$5.err" </dev/null
        qrc=$?
        [ "$qrc" -eq 124 ] && [ "$try" -eq 1 ] || return "$qrc"
    done
}

# run_hvsim ELF MACHINE CPU SMP OUT [extra options...]; sets rc
run_hvsim() {
    elf=$1 machine=$2 cpu=$3 smp=$4 out=$5
    shift 5
    timeout "$HV_TIMEOUT" "$HVSIM" -M "$machine" -cpu "$cpu" -smp "$smp" -m 256M \
        -kernel "$elf" "$@" >"$out" 2>"$out.err" </dev/null
    rc=$?
}

first_line() {
    head -n 1 "$1" 2>/dev/null | cut -c 1-160
}

show_diff() {
    diff "$1" "$2" | head -n 8 | sed 's/^/    /'
}

# check_program NAME ELF MACHINE -- output compared with QEMU and the stored file
check_program() {
    name=$1 elf=$2 machine=$3
    base=$(basename "$elf" .elf)
    cpu=$(cpu_for "$base")
    smp=$(smp_for "$base")
    stored=$EXPECTED/$name.out
    if [ ! -f "$elf" ]; then
        fail "$name" "missing $elf (run make workloads)"
        return
    fi
    ref=
    if [ -n "$QEMU" ]; then
        if run_qemu "$elf" "$machine" "$cpu" "$smp" "$TMP/$name.qemu"; then
            ref=$TMP/$name.qemu
            if [ "$UPDATE" = 1 ]; then
                cp "$ref" "$stored"
                echo "updated $stored"
                return
            fi
            if [ ! -f "$stored" ]; then
                fail "$name-expected" "no stored output $stored"
            elif cmp -s "$ref" "$stored"; then
                pass "$name-expected"
            else
                fail "$name-expected" "QEMU's output differs from $stored"
                show_diff "$stored" "$ref"
            fi
        else
            fail "$name-qemu" "QEMU run failed: $(first_line "$TMP/$name.qemu.err")"
            ref=$stored
        fi
    else
        ref=$stored
    fi
    [ "$UPDATE" = 1 ] && return
    if [ ! -f "$ref" ]; then
        fail "$name" "no reference output"
        return
    fi
    run_hvsim "$elf" "$machine" "$cpu" "$smp" "$TMP/$name.hv"
    hv=$TMP/$name.hv
    armarm=$EXPECTED/$name.armarm
    if [ "$rc" -eq 0 ] && [ -f "$armarm" ]; then
        # Lines "armarm: ..." are where QEMU does not follow the Arm ARM: hvsim's are
        # compared with the stored $name.armarm, the rest with the reference.
        grep -v '^armarm: ' "$ref" >"$TMP/$name.ref"
        ref=$TMP/$name.ref
        grep -v '^armarm: ' "$hv" >"$TMP/$name.hvq"
        grep '^armarm: ' "$hv" >"$TMP/$name.hva"
        hv=$TMP/$name.hvq
        if cmp -s "$armarm" "$TMP/$name.hva"; then
            pass "$name-armarm"
        else
            fail "$name-armarm" "the Arm ARM lines differ from $armarm (< stored, > hvsim)"
            show_diff "$armarm" "$TMP/$name.hva"
        fi
    fi
    if [ "$rc" -ne 0 ]; then
        fail "$name" "hvsim exit code $rc: $(first_line "$TMP/$name.hv.err")"
    elif ! cmp -s "$ref" "$hv"; then
        fail "$name" "output differs from the reference (< reference, > hvsim)"
        show_diff "$ref" "$hv"
    else
        pass "$name"
    fi
}

# ---- output of every test program, then the demo ----------------------------------------
found=0
for elf in "$WORKLOADS"/tests/*.elf; do
    [ -f "$elf" ] || continue
    found=1
    case $(basename "$elf" .elf) in
    display) continue ;;   # hvsim's simple-framebuffer (QEMU's virt has none): display.sh
    gicv2 | gicv2_virt) continue ;;   # the GICv2 programs: gic-version=2, below
    tchase | tbranch | twalk | tvmexit | tshare) continue ;;   # cycle counts: timing*.sh
    esac
    check_program "$(basename "$elf" .elf)" "$elf" virt
done
[ "$found" = 1 ] || fail "workloads" "no programs in $WORKLOADS/tests (run make workloads)"
check_program hello "$WORKLOADS/demo/hello.elf" virt
check_program sysregs-el2 "$WORKLOADS/tests/sysregs.elf" virt,virtualization=on
check_program smp-el2 "$WORKLOADS/tests/smp.elf" virt,virtualization=on
check_program exceptions-el2 "$WORKLOADS/tests/exceptions.elf" virt,virtualization=on
check_program mmu-el2 "$WORKLOADS/tests/mmu.elf" virt,virtualization=on
check_program interrupts-el2 "$WORKLOADS/tests/interrupts.elf" virt,virtualization=on
check_program smp_ipi-el2 "$WORKLOADS/tests/smp_ipi.elf" virt,virtualization=on
check_program smp_timer-el2 "$WORKLOADS/tests/smp_timer.elf" virt,virtualization=on
check_program vhe-el2 "$WORKLOADS/tests/vhe.elf" virt,virtualization=on
check_program pmu-el2 "$WORKLOADS/tests/pmu.elf" virt,virtualization=on
check_program pan_serror-el2 "$WORKLOADS/tests/pan_serror.elf" virt,virtualization=on
check_program fptrap-el2 "$WORKLOADS/tests/fptrap.elf" virt,virtualization=on
check_program debug-el2 "$WORKLOADS/tests/debug.elf" virt,virtualization=on
check_program its-el2 "$WORKLOADS/tests/its.elf" virt,virtualization=on
check_program minihv "$WORKLOADS/minihv/minihv.elf" virt,virtualization=on
check_program gicv2 "$WORKLOADS/tests/gicv2.elf" virt,gic-version=2
check_program gicv2-el2 "$WORKLOADS/tests/gicv2.elf" virt,gic-version=2,virtualization=on
check_program gicv2_virt "$WORKLOADS/tests/gicv2_virt.elf" virt,gic-version=2,virtualization=on
if [ "$UPDATE" = 1 ]; then
    exit 0
fi

# ---- the GICv2's device tree: the interrupt controller node and the PPI specifiers (with
# their GICv2 CPU masks) as QEMU's dumpdtb has them, with and without the virtualization
# extension (QEMU's GICv2m MSI frame, a child node for PCIe, hvsim does not have) ---------
if [ -n "$QEMU" ]; then
    dtb_bad=
    for spec in 1:off 3:on; do
        smp=${spec%:*} virt=${spec#*:}
        m=virt,gic-version=2,virtualization=$virt
        rm -f "$TMP/g2.dtb" "$TMP/g2q.dtb"
        "$HVSIM" -M "$m,dumpdtb=$TMP/g2.dtb" -cpu cortex-a57 -smp "$smp" -m 256M 2>/dev/null
        "$QEMU" -M "$m,dumpdtb=$TMP/g2q.dtb" -cpu cortex-a57 -smp "$smp" -m 256M >/dev/null 2>&1
        for np in /intc@8000000:compatible /intc@8000000:reg /intc@8000000:interrupts \
            /intc@8000000:phandle /timer:interrupts /pmu:interrupts; do
            a=$(fdtget -t x "$TMP/g2.dtb" "${np%%:*}" "${np#*:}" 2>&1)
            b=$(fdtget -t x "$TMP/g2q.dtb" "${np%%:*}" "${np#*:}" 2>&1)
            [ "$a" = "$b" ] || dtb_bad="$dtb_bad smp$smp,virtualization=$virt $np: '$a' vs QEMU '$b';"
        done
    done
    if [ -z "$dtb_bad" ]; then
        pass "gicv2-dtb-qemu"
    else
        fail "gicv2-dtb-qemu" "$dtb_bad"
    fi
fi

# ---- determinism: two runs give the same state hash ----------------------------------------
SMP_ELF=$WORKLOADS/tests/smp.elf
run_hvsim "$SMP_ELF" virt cortex-a57 2 "$TMP/hash1" --state-hash
rc1=$rc
run_hvsim "$SMP_ELF" virt cortex-a57 2 "$TMP/hash2" --state-hash
h1=$(grep '^state-hash:' "$TMP/hash1.err")
h2=$(grep '^state-hash:' "$TMP/hash2.err")
if [ "$rc1" -ne 0 ] || [ "$rc" -ne 0 ]; then
    fail "state-hash" "exit codes $rc1 and $rc"
elif [ -z "$h1" ]; then
    fail "state-hash" "no 'state-hash:' line on stderr"
elif [ "$h1" != "$h2" ]; then
    fail "state-hash" "runs differ: '$h1' vs '$h2'"
elif ! cmp -s "$TMP/hash1" "$TMP/hash2"; then
    fail "state-hash" "guest output differs between runs"
else
    pass "state-hash"
fi

# ---- VM exits: the mmu test's EL1 program under stage 2 exits exactly as designed --------
run_hvsim "$WORKLOADS/tests/mmu.elf" virt,virtualization=on cortex-a57 1 "$TMP/vmx" \
    --stats "$TMP/vmx.json" -d vmexit -D "$TMP/vmx.trace"
want='"vm5.exits": 8 "vm5.exits.hvc": 1 "vm5.exits.dabt": 6 "vm5.exits.iabt": 1'
got=$(python3 "$HERE/statsget.py" "$TMP/vmx.json" --pairs 'vm5\.exits(\.[a-z]+)?' 2>/dev/null)
if [ "$rc" -ne 0 ]; then
    fail "vmexit-stats" "exit code $rc: $(first_line "$TMP/vmx.err")"
elif [ "$got" != "$want" ]; then
    fail "vmexit-stats" "got '$got', want '$want'"
elif [ "$(grep -c '^VMEXIT' "$TMP/vmx.trace")" -ne 8 ] || [ "$(grep -c '^VMENTRY' "$TMP/vmx.trace")" -ne 7 ]; then
    fail "vmexit-stats" "trace has $(grep -c '^VMEXIT' "$TMP/vmx.trace") exits, $(grep -c '^VMENTRY' "$TMP/vmx.trace") entries"
else
    pass "vmexit-stats"
fi

# ---- minihv: the simulator's VM-exit counts equal the hypervisor's own, per guest --------
MINIHV=$WORKLOADS/minihv/minihv.elf
run_hvsim "$MINIHV" virt,virtualization=on max 1 "$TMP/mhv" --stats "$TMP/mhv.json"
mh_fail=
for g in 1 2; do
    line=$(grep "^minihv: g$g exit code 0: exits" "$TMP/mhv")
    for pair in hvc:hvc mmio:dabt wfi:wfx smc:smc irq:irq; do
        own=$(printf '%s\n' "$line" | sed -n "s/.* ${pair%%:*} \([0-9]*\).*/\1/p")
        sim=$(python3 "$HERE/statsget.py" "$TMP/mhv.json" "vm$g.exits.${pair#*:}")
        if [ -z "$own" ] || [ "$own" != "$sim" ]; then
            mh_fail="$mh_fail g$g ${pair%%:*}: minihv says '${own}', hvsim says '${sim}';"
        fi
    done
done
if [ "$rc" -ne 0 ]; then
    fail "minihv-vmexits" "exit code $rc: $(first_line "$TMP/mhv.err")"
elif [ -n "$mh_fail" ]; then
    fail "minihv-vmexits" "$mh_fail"
else
    pass "minihv-vmexits"
fi

# ---- the statistics registry: histograms and formulas agree with the counters; a time
# series (--stats-interval) every N instructions, ending where the run ends, without
# perturbing the machine; `stats reset` makes later dumps count from there ------------------
run_hvsim "$MINIHV" virt,virtualization=on max 1 "$TMP/st" --stats "$TMP/st.json" --state-hash
if [ "$rc" -ne 0 ]; then
    fail "stats-registry" "exit code $rc: $(first_line "$TMP/st.err")"
elif ! why=$(python3 - "$TMP/st.json" 2>&1 <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
for vm in ("vm1", "vm2"):
    h = s["histograms"][vm + ".exit_latency"]
    # an exit still open when the run ends has no latency yet (one per core at most)
    assert s[vm + ".exits"] - 1 <= sum(h["counts"]) <= s[vm + ".exits"], (vm, "histogram total", sum(h["counts"]), s[vm + ".exits"])
    assert len(h["bounds"]) == len(h["counts"]) and h["bounds"][-1] is None, "bucket layout"
    mean = s[vm + ".exit_cycles"] / s[vm + ".exits"]
    assert abs(s[vm + ".exit_cycles.mean"] - mean) < 1e-9 * mean, (vm, "mean")
    assert s["meta"][vm + ".exit_cycles.mean"]["kind"] == "formula", "meta"
assert s["sim.seconds"] == s["sim.time_ps"] / 1e12, "sim.seconds"
assert s["meta"]["sim.insns"]["unit"] == "instructions", "units"
PYEOF
); then
    fail "stats-registry" "$(printf '%s' "$why" | tail -n 1)"
else
    pass "stats-registry"
fi
run_hvsim "$MINIHV" virt,virtualization=on max 1 "$TMP/sti" --stats "$TMP/sti.jsonl" \
    --stats-interval 100000 --state-hash
if [ "$rc" -ne 0 ]; then
    fail "stats-interval" "exit code $rc: $(first_line "$TMP/sti.err")"
elif [ "$(sed -n 's/^state-hash: //p' "$TMP/sti.err")" != "$(sed -n 's/^state-hash: //p' "$TMP/st.err")" ]; then
    fail "stats-interval" "stopping for the records changed the machine's final state"
elif ! why=$(python3 - "$TMP/sti.jsonl" "$TMP/st.json" 2>&1 <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
final = json.load(open(sys.argv[2]))
n = final["sim.insns"]
want = [100000 * k for k in range(1, n // 100000 + 1)]
if n % 100000:
    want.append(n)
got = [r["sim.insns"] for r in recs]
assert got == want, ("records at", got[:5], "...", len(got), "want", len(want))
assert recs[-1] == final, "the last record is not the exit's statistics"
assert all(a.get("vm1.exits", 0) <= b.get("vm1.exits", 0) for a, b in zip(recs, recs[1:])), "counters went back"
PYEOF
); then
    fail "stats-interval" "$(printf '%s' "$why" | tail -n 1)"
else
    pass "stats-interval"
fi
printf 'continue 200000\nstats reset\nstats dump %s\ncontinue\nstats dump %s\n' \
    "$TMP/streset-0.json" "$TMP/streset.json" >"$TMP/streset.txt"
run_hvsim "$MINIHV" virt,virtualization=on max 1 "$TMP/str" --script "$TMP/streset.txt"
if [ "$rc" -ne 0 ]; then
    fail "stats-reset" "exit code $rc: $(first_line "$TMP/str.err")"
elif ! why=$(python3 - "$TMP/streset-0.json" "$TMP/streset.json" "$TMP/st.json" 2>&1 <<'PYEOF'
import json, sys
zero, after, whole = (json.load(open(f)) for f in sys.argv[1:])
assert zero["sim.insns"] == 0 and zero["sim.cpu_hz"] == whole["sim.cpu_hz"], "right after the reset"
assert after["sim.insns"] == whole["sim.insns"] - 200000, ("insns", after["sim.insns"], whole["sim.insns"])
for k, v in whole.items():
    if k.endswith(".exits") and k in after:
        assert after[k] <= v, (k, "more after a reset than in the whole run")
assert after["vm1.exits"] - 1 <= sum(after["histograms"]["vm1.exit_latency"]["counts"]) <= after["vm1.exits"] + 1, "histogram after reset"
PYEOF
); then
    fail "stats-reset" "$(printf '%s' "$why" | tail -n 1)"
else
    pass "stats-reset"
fi

# ---- break-on irq / tlbi: stops right after the event, and reverse-continue finds the last
# one before: minihv's EL2 timer interrupt (INTID 26) twice and back; the mmu test's TLBIs -----
printf 'break-on irq 26\ncontinue\ncontinue\nreverse-continue\n' >"$TMP/boi.txt"
run_hvsim "$MINIHV" virt,virtualization=on max 1 "$TMP/boi" --script "$TMP/boi.txt"
first=$(sed -n 's/^Event 1 after \([0-9]*\) instructions: irq 26 acknowledged (physical) at EL2$/\1/p' "$TMP/boi" | head -n 1)
back=$(sed -n 's/^Event 1 at icount \([0-9]*\): irq 26 acknowledged (physical) at EL2$/\1/p' "$TMP/boi")
printf 'break-on tlbi\ncontinue\ncontinue\nx/1gx 0x60000000\n' >"$TMP/bot.txt"
run_hvsim "$WORKLOADS/tests/mmu.elf" virt cortex-a57 1 "$TMP/bot" --script "$TMP/bot.txt"
if [ "$(grep -c '^Event 1 after .*irq 26 acknowledged (physical) at EL2$' "$TMP/boi")" != 2 ] ||
   [ -z "$first" ] || [ "$first" != "$back" ]; then
    fail "break-on-irq" "$(grep '^Event' "$TMP/boi" | tr '\n' ';')"
elif ! grep -q '^Event 1 after [0-9]* instructions: TLBI VMALLE1IS at EL1$' "$TMP/bot" ||
     ! grep -q '^Event 1 after [0-9]* instructions: TLBI VAE1IS of VA 0x60000000 at EL1$' "$TMP/bot"; then
    fail "break-on-tlbi" "$(grep '^Event' "$TMP/bot" | tr '\n' ';')"
else
    pass "break-on-irq-tlbi"
fi

# ---- the demo is deterministic: same state hash on repeated runs, per quantum setting ------
for q in 1000 37; do
    run_hvsim "$MINIHV" virt,virtualization=on max 1 "$TMP/mhq1" --quantum "$q" --state-hash
    rc1=$rc
    run_hvsim "$MINIHV" virt,virtualization=on max 1 "$TMP/mhq2" --quantum "$q" --state-hash
    h1=$(grep '^state-hash:' "$TMP/mhq1.err")
    h2=$(grep '^state-hash:' "$TMP/mhq2.err")
    if [ "$rc1" -ne 0 ] || [ "$rc" -ne 0 ] || [ -z "$h1" ]; then
        fail "minihv-state-hash-q$q" "exit codes $rc1, $rc; $(first_line "$TMP/mhq1.err")"
    elif [ "$h1" != "$h2" ] || ! cmp -s "$TMP/mhq1" "$TMP/mhq2"; then
        fail "minihv-state-hash-q$q" "runs differ: '$h1' vs '$h2'"
    else
        pass "minihv-state-hash-q$q"
    fi
done

# ---- threaded dispatch in one long budget: executors jump to the next executor, and an
# optimised build relies on the compiler making those jumps (sibling calls). Were one a real
# call, 5e7 instructions in one quantum would nest 5e7 frames and overflow a 2 MiB stack. ----
BENCH_INT=$(dirname "$HVSIM")/workloads/bench/intbench.elf
if [ -f "$BENCH_INT" ]; then
    (ulimit -s 2048 && timeout "$HV_TIMEOUT" "$HVSIM" -M virt -cpu cortex-a57 -kernel "$BENCH_INT" \
        --quantum 4294967296 --max-insns 50000000 --stats "$TMP/chain.json" --force \
        >"$TMP/chain.out" 2>"$TMP/chain.err")
    rc=$?
    if [ $rc -ne 0 ]; then
        fail "threaded-dispatch-one-budget" "exit code $rc: $(first_line "$TMP/chain.err")"
    elif [ "$(python3 "$HERE/statsget.py" "$TMP/chain.json" cpu0.insns)" != 50000000 ]; then
        fail "threaded-dispatch-one-budget" "not 5e7 instructions: $(python3 "$HERE/statsget.py" "$TMP/chain.json" --pairs 'cpu0\.insns')"
    else
        pass "threaded-dispatch-one-budget"
    fi
else
    fail "threaded-dispatch-one-budget" "$BENCH_INT not built"
fi

# ---- the demo's trace is deterministic: two runs write byte-identical trace files. The
# full exec trace is about 60 MB per million instructions (some 2.5 GB for the whole demo),
# so the exec,int,vmexit trace stops at --max-insns 2000000 (both guests have run and
# exited to the hypervisor hundreds of times by then); the int,vmexit trace covers the
# whole run. ----------------------------------------------------------------------------
for cats in exec,int,vmexit:2000000 int,vmexit:0; do
    name=minihv-trace-${cats%%:*}
    n=${cats#*:}
    set --
    [ "$n" != 0 ] && set -- --max-insns "$n"
    run_hvsim "$MINIHV" virt,virtualization=on max 1 "$TMP/tr1" -d "${cats%%:*}" -D "$TMP/tr1.trace" "$@"
    rc1=$rc
    run_hvsim "$MINIHV" virt,virtualization=on max 1 "$TMP/tr2" -d "${cats%%:*}" -D "$TMP/tr2.trace" "$@"
    if [ "$rc1" -ne 0 ] || [ "$rc" -ne 0 ]; then
        fail "$name" "exit codes $rc1, $rc; $(first_line "$TMP/tr1.err")"
    elif [ "$(grep -c '^VMEXIT' "$TMP/tr1.trace")" -lt 100 ]; then
        fail "$name" "only $(grep -c '^VMEXIT' "$TMP/tr1.trace") VM exits in the trace"
    elif ! cmp "$TMP/tr1.trace" "$TMP/tr2.trace" >"$TMP/tr.cmp" 2>&1; then
        fail "$name" "the traces differ: $(first_line "$TMP/tr.cmp")"
    elif ! cmp -s "$TMP/tr1" "$TMP/tr2"; then
        fail "$name" "guest output differs between runs"
    else
        pass "$name ($(wc -c <"$TMP/tr1.trace") bytes)"
    fi
    rm -f "$TMP/tr1.trace" "$TMP/tr2.trace"
done

# ---- the debugger: a --script session on minihv (breakpoints with EL/VMID conditions,
# registers, memory, disassembly, stepping) gives the stored transcript, and the state it
# stops in has the same hash as a straight run of the same length (no perturbation) ------
SCRIPTS=$(dirname "$0")/scripts
run_hvsim "$MINIHV" virt,virtualization=on max 1 "$TMP/dbg" --script "$SCRIPTS/minihv-debug.txt"
if [ "$rc" -ne 0 ]; then
    fail "script-minihv" "exit code $rc: $(first_line "$TMP/dbg.err")"
elif ! cmp -s "$TMP/dbg" "$EXPECTED/script-minihv.out"; then
    fail "script-minihv" "transcript differs (< stored, > hvsim)"
    show_diff "$EXPECTED/script-minihv.out" "$TMP/dbg"
else
    n=$(sed -n 's/^stopped after [0-9]* instructions (icount \([0-9]*\)).*/\1/p' "$TMP/dbg" | tail -1)
    h=$(sed -n 's/^state-hash: //p' "$TMP/dbg")
    run_hvsim "$MINIHV" virt,virtualization=on max 1 "$TMP/dbgref" --max-insns "$n" --state-hash
    href=$(sed -n 's/^state-hash: //p' "$TMP/dbgref.err")
    if [ -z "$h" ] || [ "$h" != "$href" ]; then
        fail "script-minihv" "state after the session '$h' != straight run to icount $n '$href'"
    else
        pass "script-minihv"
    fi
fi
# check_transcript NAME ELF MACHINE CPU SCRIPT: the session's output equals the stored one
check_transcript() {
    name=$1
    sed "s|@MINIHV@|$MINIHV|; s|@WORKLOADS@|$WORKLOADS|; s|@TRACE@|$TMP/$name.trace|" "$5" >"$TMP/$name.txt"
    run_hvsim "$2" "$3" "$4" 1 "$TMP/$name" --script "$TMP/$name.txt"
    if [ "$rc" -ne 0 ]; then
        fail "$name" "exit code $rc: $(first_line "$TMP/$name.err")"
    elif ! cmp -s "$TMP/$name" "$EXPECTED/$name.out"; then
        fail "$name" "transcript differs (< stored, > hvsim)"
        show_diff "$EXPECTED/$name.out" "$TMP/$name"
    else
        pass "$name"
    fi
}
check_transcript script-translate "$WORKLOADS/tests/mmu.elf" virt cortex-a57 "$SCRIPTS/mmu-translate.txt"
check_transcript script-symbols "$MINIHV" virt,virtualization=on max "$SCRIPTS/minihv-symbols.txt"
check_transcript script-watch "$WORKLOADS/demo/hello.elf" virt cortex-a57 "$SCRIPTS/hello-watch.txt"
# the guest's own debug exceptions under hvsim's debugger: the same end state as a straight run
check_transcript script-debug-arch "$WORKLOADS/tests/debug.elf" virt cortex-a57 "$SCRIPTS/debug-arch.txt"
run_hvsim "$WORKLOADS/tests/debug.elf" virt cortex-a57 1 "$TMP/dbgarch" --state-hash
h=$(sed -n 's/^state-hash: //p' "$TMP/script-debug-arch")
if [ -n "$h" ] && [ "$h" = "$(sed -n 's/^state-hash: //p' "$TMP/dbgarch.err")" ]; then
    pass "script-debug-arch-invisible"
else
    fail "script-debug-arch-invisible" "state after the session '$h' differs from a straight run"
fi
# a stop on an instruction abort (an exception on fetch) is invisible too
run_hvsim "$WORKLOADS/tests/mmu.elf" virt cortex-a57 1 "$TMP/iabt-stop" --script "$SCRIPTS/mmu-iabt.txt"
run_hvsim "$WORKLOADS/tests/mmu.elf" virt cortex-a57 1 "$TMP/iabt-straight" --state-hash
h=$(sed -n 's/^state-hash: //p' "$TMP/iabt-stop")
if grep -q '^Event 1 .*ESR=0x8600000f' "$TMP/iabt-stop" && [ -n "$h" ] &&
    [ "$h" = "$(sed -n 's/^state-hash: //p' "$TMP/iabt-straight.err")" ]; then
    pass "script-iabt-stop-invisible"
else
    fail "script-iabt-stop-invisible" "state after the session '$h' differs from a straight run"
fi
# the same through GDB: a hardware breakpoint where the guest has its own, stepi into the
# guest's breakpoint and software step exceptions (their vectors), then on to the end with the
# guest's output and end state of a straight run
GDB=$(command -v gdb-multiarch || true)
if [ -z "$GDB" ]; then
    echo "SKIP gdb-debug-arch (gdb-multiarch not installed)"
else
    DEBUG_ELF=$WORKLOADS/tests/debug.elf
    port=$((24000 + $$ % 20000))
    timeout 60 "$HVSIM" -M virt -cpu cortex-a57 -m 256M -kernel "$DEBUG_ELF" -gdb "tcp::$port" -S \
        --state-hash >"$TMP/gda.guest" 2>"$TMP/gda.hv" </dev/null &
    hvpid=$!
    wait_for_gdb "$TMP/gda.hv"
    timeout 60 "$GDB" -batch -nx -ex "file $DEBUG_ELF" -ex "target remote 127.0.0.1:$port" \
        -ex "hbreak el1_bp_target" -ex "continue" -ex "continue" -ex "stepi" -ex "p \$pc" \
        -ex "delete" -ex "break el0_step_code" -ex "continue" -ex "stepi" -ex "stepi" -ex "p \$pc" \
        -ex "delete" -ex "continue" >"$TMP/gda.out" 2>&1 </dev/null
    wait $hvpid
    rc=$?
    h=$(sed -n 's/^state-hash: //p' "$TMP/gda.hv")
    if [ "$rc" -ne 0 ]; then
        fail "gdb-debug-arch" "hvsim exit code $rc: $(tail -n 1 "$TMP/gda.hv")"
    elif ! grep -q '^\$1 = .*<trap_vectors+512>' "$TMP/gda.out" ||
        ! grep -q '^\$2 = .*<trap_vectors+1024>' "$TMP/gda.out"; then
        fail "gdb-debug-arch" "unexpected session: $(grep -m4 '^\$\|rror' "$TMP/gda.out" | tr '\n' ' ')"
    elif ! cmp -s "$TMP/gda.guest" "$TMP/debug.hv" ||
        [ "$h" != "$(sed -n 's/^state-hash: //p' "$TMP/dbgarch.err")" ]; then
        fail "gdb-debug-arch" "the guest's output or end state differs from a straight run"
    else
        pass "gdb-debug-arch"
    fi
fi
check_transcript script-until-trace "$MINIHV" virt,virtualization=on max "$SCRIPTS/minihv-until-trace.txt"
if ! cmp -s "$TMP/script-until-trace.trace" "$EXPECTED/script-until-trace.trace"; then
    fail "script-until-trace-file" "the trace written by 'trace on' differs (< stored, > hvsim)"
    show_diff "$EXPECTED/script-until-trace.trace" "$TMP/script-until-trace.trace"
else
    pass "script-until-trace-file"
fi
check_transcript script-tlb "$MINIHV" virt,virtualization=on max "$SCRIPTS/minihv-tlb.txt"
check_transcript script-fpldst-vregs "$WORKLOADS/tests/fpldst.elf" virt cortex-a57 "$SCRIPTS/fpldst-vregs.txt"
check_transcript script-ipa "$MINIHV" virt,virtualization=on max "$SCRIPTS/minihv-ipa.txt"
# the README's walkthrough (Debugging), console part; its GDB part is checked below
check_transcript script-walkthrough "$MINIHV" virt,virtualization=on max "$SCRIPTS/minihv-walkthrough.txt"
run_hvsim "$WORKLOADS/demo/hello.elf" virt cortex-a57 1 "$TMP/bad" --script "$SCRIPTS/bad-command.txt"
if [ "$rc" -ne 1 ]; then
    fail "script-bad-command" "exit code $rc, want 1"
elif ! grep -q "^error: unknown command 'frobnicate'" "$TMP/bad" ||
    ! grep -q "bad-command.txt:2: command failed" "$TMP/bad.err" || grep -q "icount 3" "$TMP/bad"; then
    fail "script-bad-command" "no error line, or the script went on after it"
else
    pass "script-bad-command"
fi
printf 'stepi 2\nhelp stepi\nquit\n' | timeout 30 "$HVSIM" -M virt -m 256M \
    -kernel "$WORKLOADS/demo/hello.elf" -i >"$TMP/con" 2>"$TMP/con.err"
rc=$?
if [ "$rc" -ne 0 ] || ! grep -q "stopped after 2 instructions (icount 2)" "$TMP/con" ||
    ! grep -q "^stepi .*run N instructions" "$TMP/con"; then
    fail "console" "exit code $rc; $(first_line "$TMP/con")"
else
    pass "console"
fi

# ---- Ctrl-C in the console stops a running machine at an instruction boundary ------------
( echo continue; sleep 2; echo "info stats"; echo quit ) |
    timeout 60 "$HVSIM" -M virt -m 256M -kernel "$WORKLOADS/bench/intbench.elf" -i \
        >"$TMP/int.out" 2>"$TMP/int.err" &
intpid=$!
i=0
while [ $i -lt 50 ] && ! grep -q "continue" "$TMP/int.out" 2>/dev/null; do
    sleep 0.1
    i=$((i + 1))
done
# at the prompt Ctrl-C is ignored, so on a loaded host a signal that comes too early is
# simply sent again until the running machine reports the stop
sleep 0.3
i=0
while [ $i -lt 20 ] && ! grep -q "^interrupted after" "$TMP/int.out" 2>/dev/null &&
    kill -INT "$intpid" 2>/dev/null; do
    sleep 0.2
    i=$((i + 1))
done
wait "$intpid"
rc=$?
if [ "$rc" -ne 0 ] || ! grep -q "^interrupted after [0-9]* instructions" "$TMP/int.out" ||
    ! grep -q "^sim.insns" "$TMP/int.out"; then
    fail "console-interrupt" "exit code $rc; $(first_line "$TMP/int.out")"
else
    pass "console-interrupt"
fi

# ---- a console session in a terminal (tmux): breakpoint, stepping, registers, memory,
# disassembly, Ctrl-C on a long run, quit ---------------------------------------------------
if command -v tmux >/dev/null 2>&1; then
    if sh "$HERE/console-tmux.sh" "$HVSIM" "$WORKLOADS" >"$TMP/tmux.out" 2>&1; then
        pass "console-tmux"
    else
        fail "console-tmux" "$(tail -n 1 "$TMP/tmux.out")"
        sed 's/^/    /' "$TMP/tmux.out" | tail -n 30
    fi
else
    echo "skipped console-tmux: tmux is not installed"
fi

# ---- the GDB remote stub with gdb-multiarch: symbols, breakpoint, registers, memory, step,
# monitor command, detach (the guest then runs to its end) ------------------------------------
GDB=${GDB:-gdb-multiarch}
if command -v "$GDB" >/dev/null 2>&1; then
    port=$((20000 + $$ % 20000))
    HELLO=$WORKLOADS/demo/hello.elf
    timeout 60 "$HVSIM" -M virt -m 256M -kernel "$HELLO" -gdb "tcp::$port" -S \
        >"$TMP/gdb.guest" 2>"$TMP/gdb.hv" </dev/null &
    hvpid=$!
    wait_for_gdb "$TMP/gdb.hv"
    timeout 60 "$GDB" -batch -nx -ex "file $HELLO" -ex "target remote 127.0.0.1:$port" \
        -ex "break main" -ex "continue" -ex "info registers pc" -ex "x/2i \$pc" -ex "stepi" \
        -ex "monitor info stats" -ex "info threads" -ex "delete" \
        -ex "watch *(long *)((char *)&__stack_top - 40)" -ex "continue" -ex "delete" -ex "detach" \
        >"$TMP/gdb.out" 2>&1 </dev/null
    wait $hvpid
    rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "gdb-stub" "hvsim exit code $rc: $(first_line "$TMP/gdb.hv")"
    elif ! grep -q "Breakpoint 1, .*main" "$TMP/gdb.out" || ! grep -q "^sim.insns" "$TMP/gdb.out" ||
        ! grep -q "^Hardware watchpoint" "$TMP/gdb.out" || ! grep -q "^New value" "$TMP/gdb.out" ||
        ! grep -q "Thread 1" "$TMP/gdb.out" || ! grep -q "^bye" "$TMP/gdb.guest"; then
        fail "gdb-stub" "unexpected session (see below)"
        sed 's/^/    /' "$TMP/gdb.out" | head -30
    else
        pass "gdb-stub"
    fi
    # the README's walkthrough, GDB part: stop at guest 2's first hypercall exit through a
    # monitor command, read the syndrome and the guest's x0, break in minihv's inlined
    # handle_hvc, run to the HC_VMID case and see the result land in the guest's x0
    port=$((port + 1))
    timeout 60 "$HVSIM" -M virt,virtualization=on -cpu max -m 256M -kernel "$MINIHV" \
        -gdb "tcp::$port" -S >"$TMP/gdbw.guest" 2>"$TMP/gdbw.hv" </dev/null &
    hvpid=$!
    wait_for_gdb "$TMP/gdbw.hv"
    timeout 60 "$GDB" -batch -nx -ex "file $MINIHV" -ex "target remote 127.0.0.1:$port" \
        -ex "monitor break-on vmexit hvc if vmid==2" -ex "continue" \
        -ex "monitor info sysregs ESR_EL2 ELR_EL2" -ex "info registers x0" \
        -ex "break handle_hvc" -ex "continue" -ex "print vcpus[1].id" \
        -ex "advance 327" -ex "stepi 3" -ex "print/x vcpus[1].regs.x[0]" \
        -ex "delete" -ex "monitor delete 1" -ex "continue" \
        >"$TMP/gdbw.out" 2>&1 </dev/null
    wait $hvpid
    rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "gdb-walkthrough" "hvsim exit code $rc: $(first_line "$TMP/gdbw.hv")"
    elif ! grep -q "^hv_vectors () at" "$TMP/gdbw.out" ||
        ! grep -q "^ESR_EL2 *0x000000005a004d48" "$TMP/gdbw.out" ||
        ! grep -q "^x0 *0x86000001" "$TMP/gdbw.out" ||
        ! grep -q "^Breakpoint 1, .* in handle_hvc " "$TMP/gdbw.out" ||
        ! grep -q '^\$1 = 2$' "$TMP/gdbw.out" || ! grep -q "case HC_VMID" "$TMP/gdbw.out" ||
        ! grep -q '^\$2 = 0x2$' "$TMP/gdbw.out" || ! grep -q "exited normally" "$TMP/gdbw.out" ||
        ! grep -q "^minihv: PSCI SYSTEM_OFF" "$TMP/gdbw.guest"; then
        fail "gdb-walkthrough" "unexpected session (see below)"
        sed 's/^/    /' "$TMP/gdbw.out" | head -30
    else
        pass "gdb-walkthrough"
    fi
    # the SIMD&FP registers: GDB takes org.gnu.gdb.aarch64.fpu (v0-v31 as its aarch64v
    # unions, its q/d pseudo registers on top), reads them with 'g'/'p' after fpldst's first
    # load (v0 = 0x26, v1 the test's pattern) and writes v5 and fpcr with 'P', which the
    # console (monitor) sees
    port=$((port + 1))
    FPLDST=$WORKLOADS/tests/fpldst.elf
    timeout 60 "$HVSIM" -M virt -m 256M -kernel "$FPLDST" -gdb "tcp::$port" -S \
        >"$TMP/gdbf.guest" 2>"$TMP/gdbf.hv" </dev/null &
    hvpid=$!
    wait_for_gdb "$TMP/gdbf.hv"
    timeout 60 "$GDB" -batch -nx -ex "file $FPLDST" -ex "target remote 127.0.0.1:$port" \
        -ex "break show" -ex "continue" -ex "info registers v0" -ex "p/x \$v1.q.u" \
        -ex "p/x \$q1" -ex "p \$d0" -ex "set \$v5.d.u[1] = 0x1122334455667788" \
        -ex "set \$v5.d.f[0] = 1.5" -ex "set \$fpcr = 0x00c00000" -ex "p \$v5.d.f[0]" \
        -ex "monitor info vregs 5" -ex "p/x \$fpcr" -ex "delete" -ex "continue" \
        >"$TMP/gdbf.out" 2>&1 </dev/null
    wait $hvpid
    rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "gdb-fpu" "hvsim exit code $rc: $(first_line "$TMP/gdbf.hv")"
    elif ! grep -q "^v0 .*q = {u = {0x26}, s = {0x26}}}" "$TMP/gdbf.out" ||
        ! grep -q '^\$1 = {0x91817161514131211101f1e1d1c1b1a1}$' "$TMP/gdbf.out" ||
        ! grep -q '^\$2 = {u = 0x91817161514131211101f1e1d1c1b1a1, s = 0x91817161514131211101f1e1d1c1b1a1}$' "$TMP/gdbf.out" ||
        ! grep -q '^\$3 = {f = 1.877.*e-322, u = 38, s = 38}$' "$TMP/gdbf.out" ||
        ! grep -q '^\$4 = 1.5$' "$TMP/gdbf.out" ||
        ! grep -q "^v5  0x11223344556677883ff8000000000000 " "$TMP/gdbf.out" ||
        ! grep -q '^\$5 = 0xc00000$' "$TMP/gdbf.out" || ! grep -q "exited normally" "$TMP/gdbf.out" ||
        ! grep -q "^ld1 {v0.16b}" "$TMP/gdbf.guest"; then
        fail "gdb-fpu" "unexpected session (see below)"
        sed 's/^/    /' "$TMP/gdbf.out" | head -30
    else
        pass "gdb-fpu"
    fi
else
    fail "gdb-stub" "$GDB not installed (scripts/install-deps installs gdb-multiarch)"
fi

# ---- --max-insns stops a long program early, exit 0 -------------------------------------
BENCH_ELF=$WORKLOADS/bench/intbench.elf
[ -f "$BENCH_ELF" ] || BENCH_ELF=$WORKLOADS/tests/arith.elf
run_hvsim "$BENCH_ELF" virt cortex-a57 1 "$TMP/maxi" --max-insns 20000
if [ "$rc" -ne 0 ]; then
    fail "max-insns" "exit code $rc: $(first_line "$TMP/maxi.err")"
elif grep -q '^exit code' "$TMP/maxi"; then
    fail "max-insns" "the program ran to its end"
else
    pass "max-insns"
fi

# ---- bad input: exit code 1, exactly one line on stderr ------------------------------------
# expect_error NAME CODE [hvsim arguments...]
expect_error() {
    name=$1 want=$2
    shift 2
    timeout 30 "$HVSIM" "$@" >"$TMP/err.out" 2>"$TMP/err.err" </dev/null
    rc=$?
    lines=$(grep -c '' "$TMP/err.err")
    if [ "$rc" -ne "$want" ]; then
        fail "$name" "exit code $rc, want $want; stderr: $(first_line "$TMP/err.err")"
    elif [ "$lines" -ne 1 ]; then
        fail "$name" "$lines lines on stderr, want 1"
    else
        pass "$name"
    fi
}

ARITH=$WORKLOADS/tests/arith.elf
head -c 100 "$ARITH" >"$TMP/truncated.elf"

# ELF images made to order: mkelf FILE vaddr:filesz:memsz[,...] (segments of NOPs)
mkelf() {
    python3 - "$@" <<'EOF'
import struct, sys
out, segs = sys.argv[1], [tuple(int(x, 0) for x in s.split(':')) for s in sys.argv[2].split(',')]
ehsize, phsize = 64, 56
data_off = ehsize + phsize * len(segs)
data_off = (data_off + 15) & ~15
body, phdrs = b'', b''
for vaddr, filesz, memsz in segs:
    off = data_off + len(body)
    body += b'\x1f\x20\x03\xd5' * (filesz // 4)          # nop
    phdrs += struct.pack('<IIQQQQQQ', 1, 7, off, vaddr, vaddr, filesz, memsz, 16)
hdr = struct.pack('<4sBBBBB7sHHIQQQIHHHHHH', b'\x7fELF', 2, 1, 1, 0, 0, b'\0' * 7, 2, 183, 1,
                  segs[0][0], ehsize, 0, 0, ehsize, phsize, len(segs), 64, 0, 0)
img = hdr + phdrs
img += b'\0' * (data_off - len(img)) + body
open(out, 'wb').write(img)
EOF
}

if command -v python3 >/dev/null 2>&1; then
    mkelf "$TMP/overlap.elf" 0x40080000:0x1000:0x1000,0x40080800:0x1000:0x1000
    mkelf "$TMP/toobig.elf" 0x40080000:0x1000:0x400000
fi

expect_error "bad-missing-kernel" 1 -M virt -m 256M -kernel "$TMP/no-such-file.elf"
expect_error "bad-not-aarch64-elf" 1 -M virt -m 256M -kernel /bin/true
expect_error "bad-truncated-elf" 1 -M virt -m 256M -kernel "$TMP/truncated.elf"
expect_error "bad-unknown-option" 1 -M virt -m 256M --no-such-option -kernel "$ARITH"
expect_error "bad-stats-interval-zero" 1 -M virt -m 256M -kernel "$ARITH" --stats "$TMP/si.json" --stats-interval 0
expect_error "bad-stats-interval-no-stats" 1 -M virt -m 256M -kernel "$ARITH" --stats-interval 1000
expect_error "bad-stats-interval-debugger" 1 -M virt -m 256M -kernel "$ARITH" --stats "$TMP/si.json" \
    --stats-interval 1000 --script /dev/null
expect_error "bad-its-option" 1 -M virt,its=maybe -m 256M -kernel "$ARITH"
expect_error "bad-directory-kernel" 1 -M virt -m 256M -kernel "$TMP"
if [ -f "$TMP/overlap.elf" ]; then
    expect_error "bad-overlapping-segments" 1 -M virt -m 256M -kernel "$TMP/overlap.elf"
    # 2 MiB of RAM ends at 0x40200000; the image needs up to 0x40480000
    expect_error "bad-ram-too-small" 1 -M virt -m 2M -kernel "$TMP/toobig.elf"
else
    fail "bad-crafted-elf" "python3 is needed to craft the ELF images"
fi

# ---- an unimplemented instruction: exit code 2 with PC, encoding and disassembly --------
# dcps1 = 0xd4a00001 (little endian): hvsim models no Debug state
printf '\001\000\240\324' >"$TMP/unimpl.bin"
timeout 30 "$HVSIM" -M virt -m 256M -kernel "$TMP/unimpl.bin" >"$TMP/un.out" 2>"$TMP/un.err" \
    </dev/null
rc=$?
if [ "$rc" -ne 2 ]; then
    fail "unimplemented-insn" "exit code $rc, want 2: $(first_line "$TMP/un.err")"
elif ! grep -qi '40080000' "$TMP/un.err" || ! grep -qi 'd4a00001' "$TMP/un.err" ||
    ! grep -qi 'dcps1' "$TMP/un.err"; then
    fail "unimplemented-insn" "message lacks PC, encoding or disassembly: $(first_line "$TMP/un.err")"
else
    pass "unimplemented-insn"
fi

WORKLOADS=$WORKLOADS sh "$(cd "$(dirname "$0")" && pwd)/hardening.sh" "$HVSIM" && pass "hardening" || fail "hardening" "see above"
echo "system tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
