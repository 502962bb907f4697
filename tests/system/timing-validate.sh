#!/bin/sh
# The cycle-level timing model (issue 13, --timing inorder) against its own definition
# (docs/timing.md), with small caches this script configures: the pointer chase's plateaus
# are the configured L1D, L2 and memory latencies; every load of twalk misses the TLBs and
# its walks read as many descriptors as the closed forms say, for stage 1, stage 2 and both,
# walk caches off, on, and on with the nested walk cache; tbranch's mispredictions are those
# of the predictor the configuration names; a VM exit's round trip with the hypervisor's
# lines cleaned to memory costs k lines' worth of memory latency more than warm, the same k
# under two latencies; two runs give the same cycles; --timing-switch-at N:inorder is atomic
# up to N. What the hvsim under test cannot do yet is a SKIP with the reason, never a PASS.
#
#   sh tests/system/timing-validate.sh path/to/hvsim
#
# Environment: WORKLOADS (default: <dir of hvsim>/workloads).
set -u

if [ $# -ne 1 ]; then
    echo "usage: sh tests/system/timing-validate.sh HVSIM" >&2
    exit 2
fi
HVSIM=$1
HERE=$(cd "$(dirname "$0")" && pwd)
WORKLOADS=${WORKLOADS:-$(dirname "$HVSIM")/workloads}
CHECK="python3 $HERE/timingcheck.py"
GET="python3 $HERE/statsget.py"
NAME=timing-validate
# shellcheck source=tests/system/harness.sh
. "$HERE/harness.sh"

for w in tchase tbranch twalk tvmexit; do
    if [ ! -f "$WORKLOADS/tests/$w.elf" ]; then
        echo "timing-validate: missing $WORKLOADS/tests/$w.elf (run make workloads)" >&2
        exit 2
    fi
done
skipped=0
skip() {
    echo "SKIP $1 ($2)"
    skipped=$((skipped + 1))
}
first_line() {
    head -n 1 "$1" 2>/dev/null | cut -c 1-200
}

# ---- the configuration ------------------------------------------------------------------
L1D=4096 L2=65536 LAT1=3 LAT2=12 MEM=100
# config FILE [MEMORY_LATENCY [WALK_CACHE [NESTED [BPRED]]]]
config() {
    cat >"$1" <<EOF
# tests/system/timing-validate.sh
[core]
issue_width=1
bpred=${5:-bimodal}
bpred_entries=4096
btb_entries=256
ras_entries=16
mispredict_penalty=8
[l1i]
size=16384
ways=4
line=64
latency=1
replacement=lru
[l1d]
size=$L1D
ways=4
line=64
latency=$LAT1
replacement=lru
[l2]
size=$L2
ways=8
line=64
latency=$LAT2
replacement=lru
[memory]
latency=${2:-$MEM}
[tlb]
l1i_entries=32
l1d_entries=8
l2_entries=16
l2_ways=4
l2_latency=4
[walk]
cache=${3:-off}
entries=32
nested=${4:-off}
nested_entries=16
[timing]
seed=1
EOF
}

# run NAME ELF MACHINE CONFIG PARAMS... : hvsim under the in-order model with the parameter
# block; output in $TMP/NAME, statistics in $TMP/NAME.json; sets rc
run() {
    rname=$1 elf=$2 machine=$3 cfg=$4
    shift 4
    $CHECK params "$TMP/$rname.par" "$@"
    timeout 120 "$HVSIM" -M "$machine" -cpu cortex-a57 -m 256M -kernel "$WORKLOADS/tests/$elf.elf" \
        -device "loader,file=$TMP/$rname.par,addr=0x4fff0000" --timing inorder \
        --timing-config "$cfg" --stats "$TMP/$rname.json" --state-hash --force \
        >"$TMP/$rname" 2>"$TMP/$rname.err" </dev/null
    rc=$?
}

config "$TMP/base.ini"
run probe tchase virt "$TMP/base.ini" 1024 1024 64
if [ "$rc" -ne 0 ]; then
    why="--timing inorder: $(first_line "$TMP/probe.err")"
    for t in timing-chase-plateaus timing-walk-refs timing-walk-cycles timing-branch-bimodal \
        timing-branch-gshare timing-vmexit-cold timing-determinism timing-switch-at; do
        skip "$t" "$why"
    done
    echo "timing-validate: $passed passed, $failed failed, $skipped skipped"
    [ "$failed" -eq 0 ]
    exit
fi

# ---- the pointer chase: 1 KiB to 1 MiB, the plateaus of L1D (<= 4 KiB), L2 (8-32 KiB)
# and memory (>= 128 KiB); RAM identity-mapped Normal write-back (with the MMU off data
# accesses are Device-nGnRnE, which a model may rightly leave uncached) ----------------------
CHASE="1024 1048576 4096 1"
run chase tchase virt "$TMP/base.ini" $CHASE
if [ "$rc" -ne 0 ]; then
    fail timing-chase-plateaus "exit code $rc: $(first_line "$TMP/chase.err")"
else
    got=$($CHECK chase "$TMP/chase" $L1D $L2 $LAT1 $LAT2 $MEM)
    case $got in
    ok*) pass "timing-chase-plateaus (${got#ok }; want $LAT1, $LAT2, $MEM)" ;;
    *) fail timing-chase-plateaus "$got" ;;
    esac
fi

# ---- page walks: P = 64 pages (more than the 8-entry L1 dTLB and the 16-entry L2 TLB hold),
# R = 8 and 16 rounds; the difference is 512 loads, each a TLB miss and a walk --------------
P=64 R1=8 R2=16
walk_bad= walk_good= walk_skip= cyc_bad= cyc_good=
for wc in off:off on:off on:on; do
    cache=${wc%:*} nested=${wc#*:}
    config "$TMP/w-$cache-$nested.ini" $MEM "$cache" "$nested"
    for lv in 4:4 4:0 0:4 3:3 3:0 0:3; do
        n1=${lv%:*} n2=${lv#*:}
        if [ "$n1" -ne 0 ] && [ "$n2" -ne 0 ]; then kind=2d
        elif [ "$n1" -ne 0 ]; then kind=s1
        else kind=s2
        fi
        # nested only changes 2D walks
        [ "$nested" = on ] && [ $kind != 2d ] && continue
        tag="$kind $n1/$n2 cache=$cache nested=$nested"
        for r in $R1 $R2; do
            run "w$r" twalk virt,virtualization=on "$TMP/w-$cache-$nested.ini" "$n1" "$n2" $P "$r"
            [ "$rc" -eq 0 ] || break
        done
        if [ "$rc" -ne 0 ]; then
            walk_bad="$walk_bad $tag: exit code $rc: $(first_line "$TMP/w$r.err");"
            continue
        fi
        want=$($CHECK walkform $kind "$n1" "$n2" "$cache" "$nested")
        res=$(python3 - "$TMP/w$R1.json" "$TMP/w$R2.json" $kind $((P * (R2 - R1))) "$want" $LAT2 <<'EOF'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
kind, loads, want, lat2 = sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
keys = [f"timing.cpu0.walks.{kind}", f"timing.cpu0.walk_refs.{kind}", "timing.cpu0.dtlb.misses",
        "timing.cpu0.walk_cycles"]
missing = [k for k in keys if k not in b]
if missing:
    print("skip no " + ", ".join(missing) + " in --stats")
    sys.exit()
d = {k: b[k] - a[k] for k in keys}
walks, refs = d[keys[0]], d[keys[1]]
if walks != loads or d[keys[2]] != loads:
    print(f"bad {walks} walks and {d[keys[2]]} dTLB misses for {loads} loads")
elif refs != want * walks:
    print(f"bad {refs / walks:g} descriptor reads a walk, want {want}")
else:
    # each descriptor read goes to L2 (and hits there: the tables' lines fit)
    cyc = d[keys[3]] / walks
    print(f"ok {want} {cyc:g} {'' if cyc == want * lat2 else 'cycles'}")
EOF
)
        case $res in
        ok*) set -- $res
            walk_good="$walk_good $kind$n1/$n2,$cache,$nested=$2"
            if [ -n "${4:-}" ]; then
                cyc_bad="$cyc_bad $tag: $3 walk cycles a walk, want $2 x $LAT2;"
            else
                cyc_good="$cyc_good $kind$n1/$n2,$cache,$nested=$3"
            fi ;;
        skip*) walk_skip=${res#skip } ;;
        *) walk_bad="$walk_bad $tag: ${res#bad };" ;;
        esac
    done
done
if [ -n "$walk_bad" ]; then
    fail timing-walk-refs "$walk_bad"
elif [ -n "$walk_skip" ]; then
    skip timing-walk-refs "$walk_skip"
else
    pass "timing-walk-refs (descriptor reads a walk:$walk_good)"
fi
if [ -n "$walk_bad" ] || [ -n "$walk_skip" ]; then
    skip timing-walk-cycles "no walk figures to check"
elif [ -n "$cyc_bad" ]; then
    fail timing-walk-cycles "$cyc_bad"
else
    pass "timing-walk-cycles (walk cycles = reads x L2 latency $LAT2:$cyc_good)"
fi

# ---- branch prediction: tbranch's windows under bimodal exactly, gshare's trained window ----
for bp in bimodal gshare; do
    config "$TMP/bp-$bp.ini" $MEM off off $bp
    run "br-$bp" tbranch virt "$TMP/bp-$bp.ini"
    if [ "$rc" -ne 0 ]; then
        fail "timing-branch-$bp" "exit code $rc: $(first_line "$TMP/br-$bp.err")"
    elif ! grep -q 'br_pred=[1-9]' "$TMP/br-$bp"; then
        skip "timing-branch-$bp" "PMU event 0x12 BR_PRED counts nothing under --timing inorder"
    else
        got=$($CHECK branch "$TMP/br-$bp" "$WORKLOADS/tests/tbranch.elf" $bp 4096 16)
        case $got in
        ok*) pass "timing-branch-$bp (mispredicts cold,warm1,warm2,warm3: ${got#ok })" ;;
        *) fail "timing-branch-$bp" "$got" ;;
        esac
    fi
done

# ---- a VM exit cold: memory latencies 100, 150, 200 --------------------------------------
vm_bad= vm_d=
for m in 100 150 200; do
    config "$TMP/vm$m.ini" $m
    run "vm$m" tvmexit virt,virtualization=on "$TMP/vm$m.ini"
    d=$(sed -n 's/^tvmexit: .* cold_minus_warm=\([-0-9]*\)$/\1/p' "$TMP/vm$m")
    if [ "$rc" -ne 0 ] || [ -z "$d" ]; then
        vm_bad="memory latency $m: exit code $rc: $(first_line "$TMP/vm$m.err")"
        break
    fi
    vm_d="$vm_d $d"
done
if [ -n "$vm_bad" ]; then
    fail timing-vmexit-cold "$vm_bad"
else
    res=$(python3 - $vm_d $LAT1 <<'EOF'
import sys
d100, d150, d200, lat1 = (int(v) for v in sys.argv[1:5])
# cold - warm = k * M - c: k lines missed all the way to memory, the three the guest cleaned
# (the handler's code, its counter, its stack line); c what their hits cost warm less what
# the guest's own lines, refetched from L2 after IC IALLU, add: c does not change with M
if d100 <= 0 or (d150 - d100) % 50 or (d200 - d150) % 50:
    print(f"bad cold - warm {d100}, {d150}, {d200} at memory latency 100, 150, 200")
elif (d150 - d100) // 50 != (d200 - d150) // 50 or (d150 - d100) // 50 != 3:
    print(f"bad k {(d150 - d100) / 50} from 100 to 150, {(d200 - d150) / 50} from 150 to 200, want 3")
else:
    k = (d150 - d100) // 50
    print(f"ok k={k} cold-warm={d100},{d150},{d200} c={k * 100 - d100}")
EOF
)
    case $res in
    ok*) pass "timing-vmexit-cold (${res#ok })" ;;
    *) fail timing-vmexit-cold "${res#bad }" ;;
    esac
fi

# ---- determinism: the chase run again gives the same cycles, output and state ------------
det_bad=
for f in "" .err .json; do
    cp "$TMP/chase$f" "$TMP/chase.first$f"
done
run chase tchase virt "$TMP/base.ini" $CHASE
c1=$($GET "$TMP/chase.first.json" timing.cpu0.cycles)
c2=$($GET "$TMP/chase.json" timing.cpu0.cycles)
if [ -z "$c1" ]; then
    det_bad="no timing.cpu0.cycles in --stats"
elif [ "$c1" != "$c2" ] || ! cmp -s "$TMP/chase" "$TMP/chase.first" ||
    [ "$(grep state-hash "$TMP/chase.err")" != "$(grep state-hash "$TMP/chase.first.err")" ]; then
    det_bad="the chase: cycles $c1 then $c2, or output or state differ"
fi
if [ -z "$det_bad" ]; then
    pass "timing-determinism ($c1 cycles twice, same output and state hash)"
elif [ "$det_bad" = "no timing.cpu0.cycles in --stats" ]; then
    skip timing-determinism "$det_bad"
else
    fail timing-determinism "$det_bad"
fi

# ---- --timing-switch-at N:inorder: atomic up to instruction N. Switching at the first
# instruction gives the in-order run's figures (the chase's windows come long after the
# switch), switching beyond the end the atomic run's -------------------------------------
sw_bad=
$CHECK params "$TMP/sw.par" $CHASE
for spec in 1:chase 1000000000000:atomic; do
    n=${spec%:*} ref=${spec#*:}
    timeout 120 "$HVSIM" -M virt -cpu cortex-a57 -m 256M -kernel "$WORKLOADS/tests/tchase.elf" \
        -device "loader,file=$TMP/sw.par,addr=0x4fff0000" --timing-switch-at "$n:inorder" \
        --timing-config "$TMP/base.ini" >"$TMP/sw$n" 2>"$TMP/sw$n.err" </dev/null
    rc=$?
    if [ "$ref" = atomic ]; then
        timeout 120 "$HVSIM" -M virt -cpu cortex-a57 -m 256M -kernel "$WORKLOADS/tests/tchase.elf" \
            -device "loader,file=$TMP/sw.par,addr=0x4fff0000" --timing atomic \
            >"$TMP/atomic" 2>/dev/null </dev/null
    fi
    if [ "$rc" -ne 0 ]; then
        sw_bad="exit code $rc: $(first_line "$TMP/sw$n.err")"
        break
    elif ! cmp -s "$TMP/sw$n" "$TMP/$ref"; then
        sw_bad="switching at $n does not give the $ref run's output: $(diff "$TMP/$ref" "$TMP/sw$n" | sed -n 2p)"
    fi
done
case $sw_bad in
"") pass "timing-switch-at (at 1: the in-order figures; beyond the end: the atomic ones)" ;;
*unknown*option* | *unrecognized* | *timing-switch-at*) skip timing-switch-at "$sw_bad" ;;
*) fail timing-switch-at "$sw_bad" ;;
esac

echo "timing-validate: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
