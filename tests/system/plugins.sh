#!/bin/sh
# Plugins (include/hvsim/plugin.h, plugins/, tests/plugins/): each example plugin's output
# on a known workload (the memory trace of a known loop included), the refusals (a plugin calling into hvsim's internals, another ABI, a
# bad argument, a missing file), the read API and a plugin's stop, and determinism (the
# state hash with plugins loaded equals the one without; plugin output is the same twice).
#
#   sh tests/system/plugins.sh path/to/hvsim
#
# Environment: WORKLOADS (default: <dir of hvsim>/workloads), PLUGINS (default: <dir of
# hvsim>/plugins), TEST_PLUGINS (default: <dir of hvsim>/tests/plugins).
set -u

if [ $# -ne 1 ]; then
    echo "usage: sh tests/system/plugins.sh HVSIM" >&2
    exit 2
fi
HVSIM=$1
HERE=$(cd "$(dirname "$0")" && pwd)
B=$(dirname "$HVSIM")
WORKLOADS=${WORKLOADS:-$B/workloads}
PLUGINS=${PLUGINS:-$B/plugins}
TEST_PLUGINS=${TEST_PLUGINS:-$B/tests/plugins}
MINIHV=$WORKLOADS/minihv/minihv.elf
HELLO=$WORKLOADS/demo/hello.elf

NAME=plugins
# shellcheck source=tests/system/harness.sh
. "$HERE/harness.sh"

# minihv ARGS...: the demo (two guests under stage 2)
minihv() {
    "$HVSIM" -M virt,virtualization=on -cpu max -m 256M -kernel "$MINIHV" "$@" </dev/null
}
# stat FILE NAME: a counter's value from a --stats JSON file (empty if absent)
stat() {
    python3 "$HERE/statsget.py" "$1" "$2"
}

# ---- insn_mix: its total is the run's instruction count (--max-insns; a whole run) ----
N=500000
if ! minihv --max-insns $N --plugin "$PLUGINS/insn_mix.so,out=$TMP/mix.txt" --stats "$TMP/mix.json" \
        >/dev/null 2>"$TMP/mix.err"; then
    fail "insn-mix-max-insns" "exit code $?: $(head -n 1 "$TMP/mix.err")"
elif [ "$(sed -n 's/^total //p' "$TMP/mix.txt")" != $N ] ||
     [ "$(stat "$TMP/mix.json" plugin.insn_mix.total)" != $N ]; then
    fail "insn-mix-max-insns" "total $(sed -n 's/^total //p' "$TMP/mix.txt"), want $N"
elif [ "$(awk '$1 != "total" { s += $3 } END { print s }' "$TMP/mix.txt")" != $N ] ||
     ! grep -q '^el1 loadstore ' "$TMP/mix.txt" || ! grep -q '^el2 branch_sys ' "$TMP/mix.txt"; then
    fail "insn-mix-max-insns" "the groups do not add up, or EL1/EL2 missing: $(tr '\n' ' ' <"$TMP/mix.txt")"
else
    pass "insn-mix-max-insns"
fi
if ! "$HVSIM" -M virt -m 256M -kernel "$HELLO" --plugin "$PLUGINS/insn_mix.so" --stats "$TMP/hello.json" \
        </dev/null >/dev/null 2>"$TMP/hello.err"; then
    fail "insn-mix-whole-run" "exit code $?: $(head -n 1 "$TMP/hello.err")"
elif [ "$(stat "$TMP/hello.json" plugin.insn_mix.total)" != "$(stat "$TMP/hello.json" sim.insns)" ]; then
    fail "insn-mix-whole-run" "total $(stat "$TMP/hello.json" plugin.insn_mix.total), sim.insns $(stat "$TMP/hello.json" sim.insns)"
else
    pass "insn-mix-whole-run ($(stat "$TMP/hello.json" sim.insns) instructions)"
fi

# ---- vmexit_hist: counts and cycles equal hvsim's own VM-exit statistics ----
if ! minihv --plugin "$PLUGINS/vmexit_hist.so,out=$TMP/hist.txt" --stats "$TMP/hist.json" \
        >/dev/null 2>"$TMP/hist.err"; then
    fail "vmexit-hist" "exit code $?: $(head -n 1 "$TMP/hist.err")"
else
    bad=
    n=0
    for name in $(python3 "$HERE/statsget.py" "$TMP/hist.json" --names 'vm[0-9]+\.exits\.[a-z]+'); do
        vm=${name%%.*}
        reason=${name##*.}
        want=$(stat "$TMP/hist.json" "$name")
        wantc=$(stat "$TMP/hist.json" "$vm.exit_cycles.$reason")
        got=$(stat "$TMP/hist.json" "plugin.vmexit_hist.$vm.$reason.count")
        gotc=$(stat "$TMP/hist.json" "plugin.vmexit_hist.$vm.$reason.cycles")
        line=$(awk -v v="$vm" -v r="$reason" '$1 == v && $2 == r { print $3 " " $4 }' "$TMP/hist.txt")
        if [ "$got" != "$want" ] || [ "$gotc" != "$wantc" ] || [ "$line" != "$want $wantc" ]; then
            bad="$bad $vm.$reason: plugin $got/$gotc (file '$line'), hvsim $want/$wantc;"
        fi
        n=$((n + 1))
    done
    if [ -n "$bad" ] || [ $n -lt 6 ]; then
        fail "vmexit-hist" "${bad:-only $n reasons}"
    else
        pass "vmexit-hist ($n VM/reason pairs)"
    fi
fi

# the plugin's latency histograms in the registry: per VM, summed over the reasons, they are
# hvsim's own vmN.exit_latency (whose last bucket, from 2^23 cycles, holds the plugin's higher
# ones), and each is its .bucketK counters
if [ -f "$TMP/hist.json" ] && ! why=$(python3 - "$TMP/hist.json" 2>&1 <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
h = s["histograms"]
vms = sorted({k.split(".")[2] for k in h if k.startswith("plugin.vmexit_hist.")})
assert vms, "no plugin histograms"
for vm in vms:
    mine = [v for k, v in h.items() if k.startswith("plugin.vmexit_hist.%s." % vm)]
    total = [sum(x["counts"][b] for x in mine) for b in range(32)]
    own = h[vm + ".exit_latency"]["counts"]
    assert total[:23] == own[:23] and sum(total[23:]) == own[23], (vm, total, own)
for k, v in h.items():
    if k.startswith("plugin.vmexit_hist."):
        base = k[:-len(".latency")]
        for b, c in enumerate(v["counts"]):
            assert s.get("%s.bucket%d" % (base, b), 0) == c, (k, b)
PYEOF
); then
    fail "vmexit-hist-registry" "$(printf '%s' "$why" | tail -n 1)"
else
    pass "vmexit-hist-registry"
fi

# ---- hotpc: the top PCs with symbols, the same on every run ----
for i in 1 2; do
    "$HVSIM" -M virt -m 256M -kernel "$HELLO" --plugin "$PLUGINS/hotpc.so,out=$TMP/hot$i.txt,top=5" \
        </dev/null >/dev/null 2>"$TMP/hot.err"
done
if [ "$(wc -l <"$TMP/hot1.txt" 2>/dev/null)" != 5 ] ||
   [ "$(grep -c '^[0-9][0-9]* 0x[0-9a-f]\{16\} [A-Za-z_]' "$TMP/hot1.txt")" != 5 ]; then
    fail "hotpc" "want 5 'count pc symbol' lines: $(head -n 2 "$TMP/hot1.txt" | tr '\n' '|')"
elif ! cmp -s "$TMP/hot1.txt" "$TMP/hot2.txt"; then
    fail "hotpc" "two runs differ"
elif [ "$(sort -s -k1,1nr "$TMP/hot1.txt" | cut -d' ' -f1)" != "$(cut -d' ' -f1 "$TMP/hot1.txt")" ]; then
    fail "hotpc" "not sorted by count"
else
    pass "hotpc ($(head -n 1 "$TMP/hot1.txt"))"
fi

# ---- memtrace: the accesses of a known loop (a raw kernel at RAM + 0x80000: four stores
# post-indexed from 0x40100000, one load back, PSCI SYSTEM_OFF), read back by the script ----
python3 - "$TMP/loop.bin" <<'PY'
import struct, sys
w = [0xd2a80201,  # mov  x1, #0x40100000
     0xd2800082,  # mov  x2, #4
     0xf8008422,  # 1: str x2, [x1], #8
     0xf1000442,  # subs x2, x2, #1
     0x54ffffc1,  # b.ne 1b
     0xf85f8023,  # ldur x3, [x1, #-8]
     0x52800100,  # mov  w0, #8
     0x72b08000,  # movk w0, #0x8400, lsl #16   (PSCI SYSTEM_OFF)
     0xd4000002,  # hvc  #0
     0x14000000]  # b    .
open(sys.argv[1], "wb").write(struct.pack("<%dI" % len(w), *w))
PY
cat >"$TMP/loop.want" <<'EOF2'
cpu0 EL1 vm-1 pc=0000000040080008 W 8 va=0000000040100000 pa=0000000040100000
cpu0 EL1 vm-1 pc=0000000040080008 W 8 va=0000000040100008 pa=0000000040100008
cpu0 EL1 vm-1 pc=0000000040080008 W 8 va=0000000040100010 pa=0000000040100010
cpu0 EL1 vm-1 pc=0000000040080008 W 8 va=0000000040100018 pa=0000000040100018
cpu0 EL1 vm-1 pc=0000000040080014 R 8 va=0000000040100018 pa=0000000040100018
EOF2
if ! "$HVSIM" -M virt -m 256M -kernel "$TMP/loop.bin" --plugin "$PLUGINS/memtrace.so,out=$TMP/loop.mt" \
        </dev/null >/dev/null 2>"$TMP/loop.err"; then
    fail "memtrace-loop" "exit code $?: $(head -n 1 "$TMP/loop.err")"
elif ! python3 "$HERE/../../scripts/memtrace.py" "$TMP/loop.mt" >"$TMP/loop.got" 2>&1 ||
     ! cmp -s "$TMP/loop.want" "$TMP/loop.got"; then
    fail "memtrace-loop" "got: $(head -n 6 "$TMP/loop.got" | tr '\n' '|')"
else
    pass "memtrace-loop"
fi
# a VMID filter on the demo: only guest 1's accesses, all of them at EL0/EL1
if ! minihv --max-insns 300000 --plugin "$PLUGINS/memtrace.so,out=$TMP/vm1.mt,vmid=1" \
        >/dev/null 2>"$TMP/vm1.err"; then
    fail "memtrace-vmid-filter" "exit code $?: $(head -n 1 "$TMP/vm1.err")"
else
    python3 "$HERE/../../scripts/memtrace.py" "$TMP/vm1.mt" >"$TMP/vm1.txt"
    n=$(wc -l <"$TMP/vm1.txt")
    others=$(grep -vc '^cpu0 EL[01] vm1 ' "$TMP/vm1.txt")
    if [ "$n" -lt 100 ] || [ "$others" -ne 0 ]; then
        fail "memtrace-vmid-filter" "$n records, $others not guest 1's"
    else
        pass "memtrace-vmid-filter ($n accesses)"
    fi
fi
head -c 30 "$TMP/loop.mt" >"$TMP/trunc.mt"
if python3 "$HERE/../../scripts/memtrace.py" "$TMP/trunc.mt" >/dev/null 2>"$TMP/trunc.err" ||
   ! grep -q 'truncated' "$TMP/trunc.err"; then
    fail "memtrace-reader-truncated" "$(cat "$TMP/trunc.err")"
else
    pass "memtrace-reader-truncated"
fi

# ---- walkprof: one walk per -d mmu walk or fault line; reads add up per walk ----
if ! minihv --max-insns 2000000 --plugin "$PLUGINS/walkprof.so,out=$TMP/wp.txt" -d mmu -D "$TMP/wp.trace" \
        >/dev/null 2>"$TMP/wp.err"; then
    fail "walkprof" "exit code $?: $(head -n 1 "$TMP/wp.err")"
else
    v() { sed -n "s/^$1 //p" "$TMP/wp.txt"; }
    ok_walks=$(grep -c '^MMU cpu0 walk ' "$TMP/wp.trace")
    faults=$(grep -c '^MMU cpu0 fault ' "$TMP/wp.trace")
    reads=$(awk '$1 ~ /^s[12]\.l[0-3]$/ { s += $2 } END { print s + 0 }' "$TMP/wp.txt")
    byrefs=$(awk '$1 ~ /^refs\./ { split($1, a, "."); s += a[2] * $2; n += $2 } END { print s + 0, n + 0 }' "$TMP/wp.txt")
    if [ "$(v walks)" != $((ok_walks + faults)) ] || [ "$(v faults)" != "$faults" ] ||
       [ "$byrefs" != "$reads $(v walks)" ] || [ "$(v s2.l1)" = 0 ]; then
        fail "walkprof" "walks $(v walks) faults $(v faults) reads $reads by-refs '$byrefs'; trace: $ok_walks walks, $faults faults"
    else
        pass "walkprof ($(v walks) walks, $reads descriptor reads)"
    fi
fi

# ... and on the exceptions test, whose alignment faults and external aborts take no walk:
# walkprof hears them as faults, as -d mmu lists them (its lines come from the same event)
if ! "$HVSIM" -M virt -cpu max -m 256M -kernel "$WORKLOADS/tests/exceptions.elf" \
        --plugin "$PLUGINS/walkprof.so,out=$TMP/wpx.txt" -d mmu -D "$TMP/wpx.trace" \
        >/dev/null 2>"$TMP/wpx.err" </dev/null; then
    fail "walkprof-faults-without-walks" "exit code $?: $(head -n 1 "$TMP/wpx.err")"
else
    nowalk=$(grep -c 'alignment fault\|external abort' "$TMP/wpx.trace")
    lines=$(grep -c '^MMU ' "$TMP/wpx.trace")
    if [ "$nowalk" -eq 0 ] || [ "$(sed -n 's/^walks //p' "$TMP/wpx.txt")" != "$lines" ]; then
        fail "walkprof-faults-without-walks" "walkprof: $(sed -n 's/^walks //p' "$TMP/wpx.txt") walks; -d mmu: $lines lines ($nowalk without a walk)"
    else
        pass "walkprof-faults-without-walks ($nowalk)"
    fi
fi

# ---- MMIO events: the UART data-register writes are the guest's console output ----
if ! "$HVSIM" -M virt -m 256M -kernel "$HELLO" --plugin "$TEST_PLUGINS/mmiolog.so,out=$TMP/mmio.txt" \
        </dev/null >"$TMP/mmio.out" 2>"$TMP/mmio.err"; then
    fail "mmio-events" "exit code $?: $(head -n 1 "$TMP/mmio.err")"
elif ! python3 - "$TMP/mmio.txt" "$TMP/mmio.out" <<'PY'
import sys
lines = [l.split() for l in open(sys.argv[1])]
sent = bytes(int(v, 16) for dev, off, size, rw, v in lines if dev == "uart0" and off == "0" and rw == "W")
sys.exit(0 if sent and sent == open(sys.argv[2], "rb").read() else 1)
PY
then
    fail "mmio-events" "the uart0 offset-0 writes are not the console output"
else
    pass "mmio-events ($(wc -l <"$TMP/mmio.txt") device accesses)"
fi

# ---- refusals: one line, exit 1 ----
refused() {   # NAME WANT-IN-MESSAGE SPEC
    minihv --plugin "$3" >"$TMP/r.out" 2>"$TMP/r.err"
    rc=$?
    if [ $rc -ne 1 ] || [ "$(wc -l <"$TMP/r.err")" -ne 1 ] || ! grep -q "$2" "$TMP/r.err" ||
       [ -s "$TMP/r.out" ]; then
        fail "$1" "exit $rc: $(head -n 2 "$TMP/r.err" | tr '\n' '|')"
    else
        pass "$1"
    fi
}
refused plugin-write-refused "refused: .*undefined symbol: bus_write" "$TEST_PLUGINS/writer.so"
refused plugin-abi-refused "built for plugin ABI 1003, this hvsim has ABI 3" "$TEST_PLUGINS/badabi.so"
refused plugin-bad-argument "unknown argument" "$PLUGINS/insn_mix.so,bogus=1"
refused plugin-missing "cannot load" "$TMP/none.so"
refused plugin-not-a-library "cannot load" "$MINIHV"

# ---- the read API and a plugin's stop: before instruction 1000, i.e. after 999 ----
minihv --plugin "$TEST_PLUGINS/probe.so,at=1000" --stats "$TMP/probe.json" >/dev/null 2>"$TMP/probe.err"
rc=$?
minihv --max-insns 1000 -d exec -D "$TMP/probe.trace" >/dev/null 2>&1
want_pc=$(tail -n 1 "$TMP/probe.trace" | sed -n 's/.* pc=\([0-9a-f]*\).*/\1/p' | sed 's/^0*//')
line=$(grep '^probe:' "$TMP/probe.err")
if [ $rc -ne 0 ] || ! grep -q "^hvsim: plugin probe: reached the instruction asked for" "$TMP/probe.err"; then
    fail "plugin-stop" "exit $rc: $(tr '\n' '|' <"$TMP/probe.err")"
elif [ "$(stat "$TMP/probe.json" sim.insns)" != 999 ]; then
    fail "plugin-stop" "stopped after $(stat "$TMP/probe.json" sim.insns) instructions, want 999"
elif ! echo "$line" | grep -q "pc=0x$want_pc .*ok=1 refused=1 bad=1 phys=1"; then
    fail "plugin-read-api" "'$line' (want pc=0x$want_pc, ok=1 refused=1 bad=1 phys=1)"
else
    pass "plugin-stop"
    pass "plugin-read-api"
fi

# ---- determinism: plugins observe, they do not change the run ----
N=3000000
minihv --max-insns $N --state-hash >/dev/null 2>"$TMP/h0.err"
for i in 1 2; do
    minihv --max-insns $N --state-hash --plugin "$PLUGINS/insn_mix.so,out=$TMP/m$i.txt" \
        --plugin "$PLUGINS/vmexit_hist.so,out=$TMP/v$i.txt" \
        --plugin "$PLUGINS/hotpc.so,out=$TMP/p$i.txt" \
        --plugin "$PLUGINS/memtrace.so,out=$TMP/t$i.mt" \
        --plugin "$PLUGINS/walkprof.so,out=$TMP/w$i.txt" >/dev/null 2>"$TMP/h$i.err"
done
h0=$(grep '^state-hash:' "$TMP/h0.err")
if [ -z "$h0" ] || [ "$h0" != "$(grep '^state-hash:' "$TMP/h1.err")" ] ||
   [ "$h0" != "$(grep '^state-hash:' "$TMP/h2.err")" ]; then
    fail "plugin-state-hash" "without: '$h0', with: '$(grep '^state-hash:' "$TMP/h1.err")'"
else
    pass "plugin-state-hash"
fi
if ! cmp -s "$TMP/m1.txt" "$TMP/m2.txt" || ! cmp -s "$TMP/v1.txt" "$TMP/v2.txt" ||
   ! cmp -s "$TMP/p1.txt" "$TMP/p2.txt" || ! cmp -s "$TMP/t1.mt" "$TMP/t2.mt" ||
   ! cmp -s "$TMP/w1.txt" "$TMP/w2.txt" ||
   [ ! -s "$TMP/v1.txt" ]; then
    fail "plugin-output-deterministic" "two runs wrote different files"
else
    pass "plugin-output-deterministic"
fi

# ---- the interrupt, TLB-maintenance, firmware-call and snapshot events ----
# minihv's guests count their virtual timer ticks: each tick is one virtual interrupt put in a
# list register, acknowledged and ended through it, as the guests' own counts say; minihv's
# own physical timer interrupt (INTID 26) is acknowledged and ended as often
if ! minihv --plugin "$TEST_PLUGINS/evlog.so,out=$TMP/ev.txt" >"$TMP/ev.out" 2>"$TMP/ev.err"; then
    fail "events-irq" "exit code $?: $(head -n 1 "$TMP/ev.err")"
else
    ticks=$(sed -n 's/.*busy wait over, \([0-9]*\) ticks in all/\1/p' "$TMP/ev.out" | awk '{ s += $1 } END { if (NR) print s }')
    raise=$(grep -c '^irq cpu0 vm-1 raise 1 virt lr[0-3]$' "$TMP/ev.txt")
    ack=$(grep -c '^irq cpu0 vm[12] ack 1 virt lr[0-3]$' "$TMP/ev.txt")
    eoi=$(grep -c '^irq cpu0 vm[12] eoi 1 virt lr[0-3]$' "$TMP/ev.txt")
    pack=$(grep -c '^irq cpu0 vm-1 ack 26 phys -$' "$TMP/ev.txt")
    peoi=$(grep -c '^irq cpu0 vm-1 eoi 26 phys -$' "$TMP/ev.txt")
    if [ -z "$ticks" ] || [ "$raise" != "$ticks" ] || [ "$ack" != "$ticks" ] || [ "$eoi" != "$ticks" ] ||
       [ "$pack" -eq 0 ] || [ "$pack" != "$peoi" ]; then
        fail "events-irq" "guests' ticks $ticks; virtual raised $raise, acked $ack, ended $eoi; physical INTID 26 acked $pack, ended $peoi"
    elif ! grep -q '^fwcall cpu0 smc SYSTEM_OFF 84000008 ' "$TMP/ev.txt"; then
        fail "events-fwcall" "no SYSTEM_OFF call: $(grep '^fwcall' "$TMP/ev.txt" | head -n 1)"
    else
        pass "events-irq ($ticks ticks)"
        pass "events-fwcall"
    fi
fi
# the mmu test's TLB maintenance: as many events as TLBI instructions executed (the -d exec
# trace), the by-VA ones with their pages
if ! "$HVSIM" -M virt -cpu cortex-a57 -m 256M -kernel "$WORKLOADS/tests/mmu.elf" \
        --plugin "$TEST_PLUGINS/evlog.so,out=$TMP/tl.txt" -d exec -D "$TMP/tl.trace" \
        >/dev/null 2>"$TMP/tl.err" </dev/null; then
    fail "events-tlbi" "exit code $?: $(head -n 1 "$TMP/tl.err")"
elif [ "$(grep -c '^tlbi ' "$TMP/tl.txt")" != "$(grep -c ' tlbi ' "$TMP/tl.trace")" ] ||
     ! grep -q '^tlbi cpu0 TLBI VAE1IS 60000000$' "$TMP/tl.txt" ||
     ! grep -q '^tlbi cpu0 TLBI VAE1IS 4e1ff000$' "$TMP/tl.txt" ||
     ! grep -q '^tlbi cpu0 TLBI VMALLE1IS -$' "$TMP/tl.txt"; then
    fail "events-tlbi" "events: $(grep -c '^tlbi ' "$TMP/tl.txt"), TLBIs executed: $(grep -c ' tlbi ' "$TMP/tl.trace"): $(grep '^tlbi' "$TMP/tl.txt" | tr '\n' ';')"
else
    pass "events-tlbi"
fi
# a --checkpoint-at snapshot is an event
if ! "$HVSIM" -M virt -m 256M -kernel "$HELLO" --checkpoint-at "1000:$TMP/ev.snap" \
        --plugin "$TEST_PLUGINS/evlog.so,out=$TMP/sn.txt" >/dev/null 2>"$TMP/sn.err" </dev/null; then
    fail "events-snapshot" "exit code $?: $(head -n 1 "$TMP/sn.err")"
elif [ "$(grep "^snapshot" "$TMP/sn.txt")" != "snapshot save $TMP/ev.snap" ]; then
    fail "events-snapshot" "got '$(grep "^snapshot" "$TMP/sn.txt")'"
else
    pass "events-snapshot"
fi

# decode events are -d in_asm's lines (one per instruction decoded, with its encoding); an
# unmodelled system register is an unimp event and -d unimp's line, before its UNDEFINED
if ! "$HVSIM" -M virt -m 256M -kernel "$HELLO" --plugin "$TEST_PLUGINS/evlog.so,out=$TMP/dc.txt" \
        -d in_asm -D "$TMP/dc.trace" >/dev/null 2>"$TMP/dc.err" </dev/null; then
    fail "events-decode" "exit code $?: $(head -n 1 "$TMP/dc.err")"
elif [ "$(grep -c '^decode ' "$TMP/dc.txt")" != "$(grep -c '^IN: ' "$TMP/dc.trace")" ] ||
     [ "$(awk '$1 == "decode" { print $3, $4 }' "$TMP/dc.txt" | head -n 50)" != \
       "$(sed -n 's/^IN: cpu[0-9]* EL[0-9]\( vm[0-9]*\)\{0,1\} pc=0*\([0-9a-f]*\)\( <[^>]*>\)\{0,1\} \([0-9a-f]\{8\}\) .*/\2 \4/p' "$TMP/dc.trace" | head -n 50)" ]; then
    fail "events-decode" "$(grep -c '^decode ' "$TMP/dc.txt") decode events, $(grep -c '^IN: ' "$TMP/dc.trace") in_asm lines"
else
    pass "events-decode ($(grep -c '^decode ' "$TMP/dc.txt") instructions)"
fi
printf '\000\362\070\325' >"$TMP/impdef.bin"      # mrs x0, s3_0_c15_c2_0
"$HVSIM" -M virt -m 256M -kernel "$TMP/impdef.bin" --max-insns 1 -d unimp -D "$TMP/ui.trace" \
    --plugin "$TEST_PLUGINS/evlog.so,out=$TMP/ui.txt" >/dev/null 2>"$TMP/ui.err" </dev/null
if [ "$(cat "$TMP/ui.trace")" != "UNIMP cpu0: MRS S3_0_C15_C2_0 at PC 0x40080000: UNDEFINED" ] ||
   [ "$(grep '^unimp' "$TMP/ui.txt")" != "unimp cpu0 MRS S3_0_C15_C2_0 (40080000)" ]; then
    fail "events-unimp" "trace '$(cat "$TMP/ui.trace")', event '$(grep '^unimp' "$TMP/ui.txt")'"
else
    pass "events-unimp"
fi

# walk events name each descriptor read: at EL1 the mmu test's first walk of 0x60000000 reads
# what the console's `translate` shows for it (the stored script-translate transcript); under
# stage 2 its guest's walk of 0x80000000 walks stage 2 for each stage-1 table, and faults
"$HVSIM" -M virt -cpu cortex-a57 -m 256M -kernel "$WORKLOADS/tests/mmu.elf" \
    --plugin "$TEST_PLUGINS/evlog.so,out=$TMP/wd1.txt,walkva=60000000" >/dev/null 2>&1 </dev/null
"$HVSIM" -M virt,virtualization=on -cpu cortex-a57 -m 256M -kernel "$WORKLOADS/tests/mmu.elf" \
    --plugin "$TEST_PLUGINS/evlog.so,out=$TMP/wd2.txt,walkva=80000000" >/dev/null 2>&1 </dev/null
want=$(sed -n '/^VA 0x0000000060000000/,/->/s/.*read descriptor at PA 0x0*\([0-9a-f]*\):.*/\1/p' \
    "$HERE/expected/script-translate.out" | tr '\n' ' ')
got=$(grep -m1 '^walk cpu0 60000000 ' "$TMP/wd1.txt" | cut -d' ' -f5- | sed 's/:s[12]l[0-3]//g')
nested=$(grep -m1 '^walk cpu0 80000000 ' "$TMP/wd2.txt" | cut -d' ' -f4- | sed 's/[0-9a-f]*://g')
if [ -z "$want" ] || [ "$got " != "$want" ] || [ "$nested" != "fault s2l1 s2l2 s1l1 s2l1 s2l2" ]; then
    fail "events-walk-descriptors" "EL1: '$got', translate: '$want'; nested: '$nested'"
else
    pass "events-walk-descriptors"
fi

echo "plugin tests: $passed passed, $failed failed"
[ $failed -eq 0 ]
