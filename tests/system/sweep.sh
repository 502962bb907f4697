#!/bin/sh
# Batch evaluation (issue 12): scripts/sweep on a tiny grid of bare-metal workloads end to
# end (the CSV's rows and numbers, a failing run reported with its exit code and log, the
# same CSV from a second sweep, and from a sweep killed mid-way then resumed), bad grids
# refused, then scripts/table (its exact text, Markdown and LaTeX, mean ± sd) and
# scripts/plot (a PNG that decodes at the expected size, a PDF, the same bytes twice).
#
#   sh tests/system/sweep.sh path/to/hvsim
#
# Environment: WORKLOADS (default: <dir of hvsim>/workloads).
set -u

if [ $# -ne 1 ]; then
    echo "usage: sh tests/system/sweep.sh HVSIM" >&2
    exit 2
fi
HVSIM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORKLOADS=${WORKLOADS:-$(dirname "$HVSIM")/workloads}
SWEEP=$ROOT/scripts/sweep
NAME=sweep
# shellcheck source=tests/system/harness.sh
. "$HERE/harness.sh"

INT=$WORKLOADS/bench/intbench.elf
MINIHV=$WORKLOADS/minihv/minihv.elf
for f in "$HVSIM" "$INT" "$MINIHV"; do
    if [ ! -f "$f" ]; then
        echo "sweep: missing $f (make all first)" >&2
        exit 2
    fi
done

# 3 workloads x 2 x 2 parameter values x 2 repetitions = 24 runs; the third workload fails
# (-smp 9 is refused at start-up, exit code 1).
cat >"$TMP/tiny.ini" <<EOF
# a tiny grid (tests/system/sweep.sh)
[sweep]
hvsim = $HVSIM
args = -m 256M
repetitions = 2

[param smp]
option = -smp
values = 1 2

[param quantum]
option = --quantum
values = 1000 100000   ; the round-robin slice

[workload int]
kernel = $INT
args = --max-insns 2000000

[workload minihv]
kernel = $MINIHV
args = -M virt,virtualization=on -cpu max --max-insns 3000000

[workload broken]
kernel = $INT
args = -smp 9
EOF

# --- a whole sweep -------------------------------------------------------------------------
"$SWEEP" "$TMP/tiny.ini" -o "$TMP/a" -j 2 >"$TMP/a.out" 2>"$TMP/a.err"
rc=$?
CSV=$TMP/a/results.csv
if [ $rc -eq 1 ] && [ -f "$CSV" ]; then
    pass "a sweep with a failing run exits 1 and still writes the CSV"
else
    fail "sweep exit code" "got $rc (want 1), stderr: $(tail -n 3 "$TMP/a.err")"
fi
if [ "$(wc -l <"$CSV")" -eq 25 ] &&
    head -n 1 "$CSV" | grep -q '^run,workload,smp,quantum,rep,exit,' &&
    head -n 1 "$CSV" | grep -q ',sim.insns,' && head -n 1 "$CSV" | grep -q ',vm1.exits,'; then
    pass "the CSV has a header and one row per run, a column per parameter and statistic"
else
    fail "CSV shape" "$(head -n 1 "$CSV")"
fi
# the rows in grid order: workload, then smp, then quantum, then the repetition
got=$(cut -d, -f1-6 "$CSV" | sed -n '2,9p;18p;25p' | tr '\n' ' ')
want="0,int,1,1000,0,0 1,int,1,1000,1,0 2,int,1,100000,0,0 3,int,1,100000,1,0 4,int,2,1000,0,0 5,int,2,1000,1,0 6,int,2,100000,0,0 7,int,2,100000,1,0 16,broken,1,1000,0,1 23,broken,2,100000,1,1 "
if [ "$got" = "$want" ]; then
    pass "rows in grid order, exit codes in the exit column"
else
    fail "row order" "got '$got'"
fi
# every int run stopped at --max-insns, whatever the core count and slice
col=$(head -n 1 "$CSV" | tr ',' '\n' | grep -n '^sim.insns$' | cut -d: -f1)
insns=$(awk -F, -v c="$col" '$2 == "int" { print $c }' "$CSV" | sort -u | tr '\n' ' ')
mh=$(awk -F, -v c="$col" '$2 == "minihv" { print $c }' "$CSV" | sort -u | tr '\n' ' ')
if [ "$insns" = "2000000 " ] && [ "$mh" = "3000000 " ]; then
    pass "sim.insns in the CSV is each workload's --max-insns"
else
    fail "sim.insns column" "int: '$insns', minihv: '$mh'"
fi
n=$(grep -c 'run \(1[6-9]\|2[0-3]\) (workload=broken smp=[12] quantum=[0-9]* rep=[01]) failed: exit 1, log .*/runs/000\(1[6-9]\|2[0-3]\)/log$' "$TMP/a.err")
if [ "$n" -eq 8 ] && grep -q '^sweep: 16 of 24 runs passed' "$TMP/a.err" &&
    grep -q 'smp' "$TMP/a/runs/00016/log" && grep -q -- '--max-insns 2000000' "$TMP/a/runs/00000/cmd"; then
    pass "each failed run is reported with its exit code and log; logs and commands kept"
else
    fail "failure report" "$(grep failed "$TMP/a.err" | head -n 2)"
fi

# --- determinism: a second sweep, and one killed mid-way then resumed -----------------------
"$SWEEP" "$TMP/tiny.ini" -o "$TMP/b" -j 1 >/dev/null 2>&1
if cmp -s "$CSV" "$TMP/b/results.csv"; then
    pass "the same grid gives the same CSV (-j 2 and -j 1)"
else
    fail "CSV differs between two sweeps" "$(diff "$CSV" "$TMP/b/results.csv" | head -n 3)"
fi

# longer runs for the kill: the int workload to 150M instructions (about 0.2 s each)
sed -e 's/--max-insns 2000000/--max-insns 150000000/' "$TMP/tiny.ini" >"$TMP/long.ini"
"$SWEEP" "$TMP/long.ini" -o "$TMP/full" -j 1 >/dev/null 2>&1
"$SWEEP" "$TMP/long.ini" -o "$TMP/k" -j 1 >/dev/null 2>&1 &
pid=$!
i=0
while [ ! -d "$TMP/k/runs/00002" ] && [ $i -lt 600 ]; do
    sleep 0.05
    i=$((i + 1))
done
kill -TERM $pid 2>/dev/null
wait $pid
killed=$?
done_before=$(find "$TMP/k/runs" -name exit | wc -l)
"$SWEEP" "$TMP/long.ini" -o "$TMP/k" >"$TMP/noresume.out" 2>&1
norc=$?
"$SWEEP" "$TMP/long.ini" -o "$TMP/k" --resume -j 2 >/dev/null 2>"$TMP/k.err"
if [ $killed -ne 0 ] && [ "$done_before" -ge 2 ] && [ "$done_before" -lt 24 ] &&
    grep -q "^sweep: 24 runs ($done_before done before)" "$TMP/k.err" &&
    cmp -s "$TMP/full/results.csv" "$TMP/k/results.csv" &&
    [ -z "$(find "$TMP/k/runs" -name '*.tmp*')" ]; then
    pass "a sweep killed after $done_before runs, resumed, ends with the same CSV"
else
    fail "resume after a kill" "killed $killed, $done_before done, $(head -n 1 "$TMP/k.err")"
fi
if [ $norc -eq 2 ] && grep -q -- '--resume continues it' "$TMP/noresume.out"; then
    pass "an earlier sweep's directory is not overwritten without --resume"
else
    fail "rerun without --resume" "exit $norc"
fi
# a changed command is not a finished run: --resume runs it again
sed -i 's/^repetitions = 2/repetitions = 1/; s/values = 1000 100000.*/values = 1000 5000/' "$TMP/long.ini"
"$SWEEP" "$TMP/long.ini" -o "$TMP/k" --resume -j 2 >/dev/null 2>"$TMP/k2.err"
if grep -q '^sweep: 12 runs (1 done before)' "$TMP/k2.err"; then
    pass "--resume runs again every run whose command changed"
else
    fail "--resume with a changed grid" "$(head -n 1 "$TMP/k2.err")"
fi

# a run past its timeout is killed and fails with 124 (the int workload runs 1e9 instructions)
printf '[sweep]\nhvsim = %s\ntimeout = 1\n[workload slow]\nkernel = %s\n' "$HVSIM" "$INT" >"$TMP/slow.ini"
"$SWEEP" "$TMP/slow.ini" -o "$TMP/slow" >/dev/null 2>"$TMP/slow.err"
rc=$?
if [ $rc -eq 1 ] && grep -q '^sweep: run 0 (workload=slow rep=0) failed: exit 124 timeout after 1 s, log ' "$TMP/slow.err" &&
    [ "$(sed -n 2p "$TMP/slow/results.csv")" = "0,slow,0,124" ]; then
    pass "a run past its timeout is killed and reported (exit 124)"
else
    fail "timeout" "exit $rc: $(tail -n 1 "$TMP/slow.err")"
fi

# --- bad input: one line and exit 2 --------------------------------------------------------
printf '[workload x]\nkernel = a\nflavour = b\n' >"$TMP/bad1.ini"
printf '[sweep]\nrepetitions = zero\n[workload x]\nkernel = a\n' >"$TMP/bad2.ini"
printf '[param p]\noption = -smp\n[workload x]\nkernel = a\n' >"$TMP/bad3.ini"
printf '[sweep]\n[param p]\nvalues = 1\n' >"$TMP/bad4.ini"
printf 'kernel = a\n' >"$TMP/bad5.ini"
for g in bad1 bad2 bad3 bad4 bad5 missing; do
    "$SWEEP" "$TMP/$g.ini" -o "$TMP/$g" >"$TMP/$g.out" 2>&1
    rc=$?
    if [ $rc -eq 2 ] && [ "$(wc -l <"$TMP/$g.out")" -eq 1 ] && grep -q '^sweep: ' "$TMP/$g.out" &&
        ! grep -q Traceback "$TMP/$g.out" && [ ! -d "$TMP/$g" ]; then
        pass "bad grid $g refused: $(cat "$TMP/$g.out")"
    else
        fail "bad grid $g" "exit $rc: $(head -n 2 "$TMP/$g.out")"
    fi
done

# --- table ---------------------------------------------------------------------------------
"$ROOT/scripts/table" "$CSV" --rows workload --cols smp --value sim.insns >"$TMP/t.md"
cat >"$TMP/t.want" <<'EOF'
| workload \ smp | 1       | 2       |
| -------------- | ------: | ------: |
| int            | 2000000 | 2000000 |
| minihv         | 3000000 | 3000000 |
EOF
if cmp -s "$TMP/t.md" "$TMP/t.want"; then
    pass "table: the sweep's sim.insns as Markdown, failed runs left out"
else
    fail "markdown table" "$(diff "$TMP/t.want" "$TMP/t.md" | head -n 4)"
fi
# mean and sample standard deviation over repetitions, and a cell with no runs
cat >"$TMP/fixture.csv" <<'EOF'
run,workload,hv,rep,exit,cycles
0,hvc_round_trip,minihv,0,0,100
1,hvc_round_trip,minihv,1,0,104
2,hvc_round_trip,kvm,0,0,2500.5
3,hvc_round_trip,kvm,1,0,2600.5
4,virtual_ipi,minihv,0,0,7
5,virtual_ipi,minihv,1,1,9999
6,io_out_%,kvm,0,0,12
EOF
"$ROOT/scripts/table" "$TMP/fixture.csv" --rows workload --cols hv --value cycles \
    --format latex --digits 1 >"$TMP/t.tex"
cat >"$TMP/t.tex.want" <<'EOF'
% cycles by workload and hv (scripts/table)
\begin{tabular}{lrr}
\hline
 & \multicolumn{2}{c}{hv} \\
workload & minihv & kvm \\
\hline
hvc\_round\_trip & 102.0 $\pm$ 2.8 & 2550.5 $\pm$ 70.7 \\
virtual\_ipi & 7 & -- \\
io\_out\_\% & -- & 12 \\
\hline
\end{tabular}
EOF
if cmp -s "$TMP/t.tex" "$TMP/t.tex.want"; then
    pass "table: LaTeX with mean \$\\pm\$ sd, escaped labels, an empty cell"
else
    fail "latex table" "$(diff "$TMP/t.tex.want" "$TMP/t.tex" | head -n 6)"
fi
# --keep-empty: a hypervisor whose runs have no value keeps its column of "--"
printf '7,hvc_round_trip,xen,0,0,\n' >>"$TMP/fixture.csv"
"$ROOT/scripts/table" "$TMP/fixture.csv" --rows workload --cols hv --value cycles \
    --digits 1 --keep-empty >"$TMP/t.keep"
"$ROOT/scripts/table" "$TMP/fixture.csv" --rows workload --cols hv --value cycles \
    --digits 1 >"$TMP/t.nokeep"
if grep -q '^| workload \\ hv *| minihv *| kvm *| xen |$' "$TMP/t.keep" &&
    grep -q '^| virtual_ipi *| 7 *| -- *| --  |$' "$TMP/t.keep" && ! grep -q xen "$TMP/t.nokeep"; then
    pass "table: --keep-empty keeps a column without values as --"
else
    fail "table --keep-empty" "$(cat "$TMP/t.keep")"
fi
"$ROOT/scripts/table" "$TMP/fixture.csv" --rows workload --cols hv --value nope >"$TMP/t.err" 2>&1
rc=$?
if [ $rc -eq 1 ] && [ "$(cat "$TMP/t.err")" = "table: $TMP/fixture.csv: no column 'nope'" ]; then
    pass "table: an unknown column is one line and exit 1"
else
    fail "table error" "exit $rc: $(cat "$TMP/t.err")"
fi

# --- plot ----------------------------------------------------------------------------------
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
    P=$ROOT/scripts/plot
    "$P" "$CSV" --x quantum --y sim.seconds --group workload -o "$TMP/p1.png" &&
        "$P" "$CSV" --x quantum --y sim.seconds --group workload -o "$TMP/p2.png" &&
        "$P" "$TMP/fixture.csv" --x workload --y cycles --group hv --logy -o "$TMP/p1.pdf" &&
        "$P" "$TMP/fixture.csv" --x workload --y cycles --group hv --logy -o "$TMP/p2.pdf"
    rc=$?
    shape=$(/usr/bin/python3 -c 'import sys, matplotlib.image as m; a = m.imread(sys.argv[1]); print(a.shape[1], a.shape[0], int((a[:, :, :3].std(axis=(0, 1)) > 0).all()))' "$TMP/p1.png" 2>&1)
    if [ $rc -eq 0 ] && [ "$shape" = "640 400 1" ]; then
        pass "plot: a PNG that decodes, 640x400, not blank"
    else
        fail "plot PNG" "exit $rc, decoded: $shape"
    fi
    if [ "$(head -c 5 "$TMP/p1.pdf")" = "%PDF-" ] && cmp -s "$TMP/p1.pdf" "$TMP/p2.pdf" &&
        cmp -s "$TMP/p1.png" "$TMP/p2.png" && ! grep -q -a CreationDate "$TMP/p1.pdf"; then
        pass "plot: PDF too; the same bytes on every run (no dates)"
    else
        fail "plot PDF or reproducibility"
    fi
    "$P" "$CSV" --x quantum --y sim.insns -o "$TMP/p.svg" >"$TMP/p.err" 2>&1
    rc=$?
    if [ $rc -eq 2 ] && grep -q 'want a .png or .pdf' "$TMP/p.err"; then
        pass "plot: another format is refused"
    else
        fail "plot format check" "exit $rc"
    fi
else
    echo "SKIP plot: /usr/bin/python3 has no matplotlib (apt-get install python3-matplotlib)"
fi

echo "sweep: $passed passed, $failed failed"
[ $failed -eq 0 ]
