#!/bin/sh
# scripts/sweep --slurm on a real Slurm: a single-node cluster on localhost, started for this
# test in its private temporary directory (a munge key and munged on their own socket, a
# generated slurm.conf on free ports, slurmctld and slurmd as root with pid files, all ended
# at exit), a tiny grid run as a job array, and its CSV compared with a local sweep's; then a
# --resume that submits only the runs that are missing.
#
#   sh tests/system/slurm.sh path/to/hvsim
#
# Debian's slurm-wlm and munge are installed by name with apt-get when missing (as
# scripts/install-deps does). Prints one SKIP line with the reason, and exits 0, only where
# they cannot be installed or the daemons cannot start.
set -u

if [ $# -ne 1 ]; then
    echo "usage: sh tests/system/slurm.sh HVSIM" >&2
    exit 2
fi
HVSIM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORKLOADS=${WORKLOADS:-$(dirname "$HVSIM")/workloads}
INT=$WORKLOADS/bench/intbench.elf
NAME=slurm
# shellcheck source=tests/system/harness.sh
. "$HERE/harness.sh"

skip() {
    echo "SKIP check-slurm: $1"
    exit 0
}

have_slurm() {
    command -v slurmctld >/dev/null 2>&1 && command -v slurmd >/dev/null 2>&1 &&
        command -v sbatch >/dev/null 2>&1 && command -v sinfo >/dev/null 2>&1 &&
        command -v munged >/dev/null 2>&1 && command -v mungekey >/dev/null 2>&1
}
if ! have_slurm; then
    if [ "$(id -u)" != 0 ]; then
        skip "slurm-wlm and munge are not installed and installing them needs root (apt-get install slurm-wlm munge)"
    fi
    echo "check-slurm: installing slurm-wlm munge"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >"$TMP/apt.log" 2>&1; then
        skip "apt-get install slurm-wlm munge failed: $(tail -n 1 "$TMP/apt.log")"
    fi
    have_slurm || skip "slurm-wlm installed but slurmctld, slurmd, sbatch or munged is still missing"
fi
if [ "$(id -u)" != 0 ]; then
    skip "slurmd launches jobs as root here (SlurmdUser=root); run as root"
fi
[ -f "$INT" ] || { echo "slurm: missing $INT (make all first)" >&2; exit 2; }

# --- the cluster ---------------------------------------------------------------------------
C=$TMP/cluster
mkdir -p "$C/munge" "$C/state" "$C/spool" "$C/log"
chmod 755 "$TMP" "$C"   # munged wants its socket's directories searchable by all
stop_cluster() {
    for p in slurmd slurmctld munge/munged; do
        pid=$(cat "$C/$p.pid" 2>/dev/null) && kill "$pid" 2>/dev/null
    done
    i=0
    while [ $i -lt 50 ]; do
        alive=0
        for p in slurmd slurmctld munge/munged; do
            pid=$(cat "$C/$p.pid" 2>/dev/null) && kill -0 "$pid" 2>/dev/null && alive=1
        done
        [ $alive -eq 0 ] && break
        sleep 0.1
        i=$((i + 1))
    done
    rm -rf "$TMP"
}
trap stop_cluster EXIT INT TERM

mungekey -c -k "$C/munge/munge.key" 2>"$TMP/mungekey.err" ||
    skip "mungekey could not make a key: $(head -n 1 "$TMP/mungekey.err")"
chmod 600 "$C/munge/munge.key"
munged --key-file="$C/munge/munge.key" --socket="$C/munge/munge.sock" \
    --pid-file="$C/munge/munged.pid" --log-file="$C/munge/munged.log" \
    --seed-file="$C/munge/munged.seed" --force >"$TMP/munged.err" 2>&1 ||
    skip "munged did not start: $(tail -n 1 "$TMP/munged.err")"

# two free TCP ports on localhost (asked of the kernel, so two runs of this test do not meet)
PORTS=$(python3 -c 'import socket
ss = [socket.socket() for _ in range(2)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
CTLD_PORT=${PORTS% *}
SLURMD_PORT=${PORTS#* }
NODE=$(hostname -s)
# The runs are tiny: the node offers 8 CPUs whatever the host has (config_overrides lets
# slurmd accept that), so the whole array runs in one wave instead of nproc at a time.
CPUS=8
cat >"$C/slurm.conf" <<EOF
# single-node cluster for tests/system/slurm.sh
ClusterName=hvsimtest
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
AuthInfo=socket=$C/munge/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$C/state
SlurmdSpoolDir=$C/spool
SlurmctldPidFile=$C/slurmctld.pid
SlurmdPidFile=$C/slurmd.pid
SlurmctldLogFile=$C/log/slurmctld.log
SlurmdLogFile=$C/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
ReturnToService=2
SlurmdParameters=config_overrides
SchedulerParameters=sched_interval=1
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$C/slurm.conf"
slurmctld -i >"$TMP/slurmctld.err" 2>&1 ||
    skip "slurmctld did not start: $(tail -n 1 "$TMP/slurmctld.err") $(tail -n 1 "$C/log/slurmctld.log" 2>/dev/null)"
slurmd >"$TMP/slurmd.err" 2>&1 ||
    skip "slurmd did not start: $(tail -n 1 "$TMP/slurmd.err") $(tail -n 1 "$C/log/slurmd.log" 2>/dev/null)"
i=0
until [ "$(sinfo -h -o %T 2>/dev/null)" = idle ]; do
    i=$((i + 1))
    if [ $i -gt 150 ]; then
        skip "the node did not come up within 30 s: $(tail -n 1 "$C/log/slurmd.log" 2>/dev/null)"
    fi
    sleep 0.2
done
pass "a single-node Slurm on localhost ($NODE, $CPUS CPUs, ports $CTLD_PORT and $SLURMD_PORT)"

# --- the same grid locally and as a job array ----------------------------------------------
cat >"$TMP/grid.ini" <<EOF
[sweep]
hvsim = $HVSIM
args = -m 256M
repetitions = 2

[param smp]
option = -smp
values = 1 2

[workload int]
kernel = $INT
args = --max-insns 2000000

[workload broken]
kernel = $INT
args = -smp 9
EOF
"$ROOT/scripts/sweep" "$TMP/grid.ini" -o "$TMP/local" >/dev/null 2>&1
"$ROOT/scripts/sweep" "$TMP/grid.ini" -o "$TMP/slurm" --slurm >"$TMP/s.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q '^#SBATCH --array=0-7$' "$TMP/slurm/slurm.sh" &&
    grep -q '^sweep: Slurm job [0-9]* ended' "$TMP/s.out" &&
    grep -q '^sweep: 4 of 8 runs passed' "$TMP/s.out" && [ -f "$TMP/slurm/slurm/task-0.out" ]; then
    pass "sweep --slurm submits one array task per run (sbatch --array=0-7) and waits"
else
    fail "sweep --slurm" "exit $rc: $(tail -n 2 "$TMP/s.out")"
fi
if cmp -s "$TMP/local/results.csv" "$TMP/slurm/results.csv"; then
    pass "the Slurm sweep's CSV equals the local one (8 rows, the failed runs included)"
else
    fail "CSV from Slurm differs" "$(diff "$TMP/local/results.csv" "$TMP/slurm/results.csv" | head -n 3)"
fi
rm -rf "$TMP/slurm/runs/00001" "$TMP/slurm/runs/00003" "$TMP/slurm/runs/00004"
"$ROOT/scripts/sweep" "$TMP/grid.ini" -o "$TMP/slurm" --slurm --resume >"$TMP/r.out" 2>&1
if grep -q '^#SBATCH --array=1,3-4$' "$TMP/slurm/slurm.sh" &&
    grep -q '^sweep: 8 runs (5 done before)' "$TMP/r.out" &&
    cmp -s "$TMP/local/results.csv" "$TMP/slurm/results.csv"; then
    pass "--slurm --resume submits only the missing runs (--array=1,3-4), same CSV"
else
    fail "--slurm --resume" "$(grep -- --array "$TMP/slurm/slurm.sh"): $(tail -n 1 "$TMP/r.out")"
fi

echo "slurm: $passed passed, $failed failed"
[ $failed -eq 0 ]
