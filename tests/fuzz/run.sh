#!/bin/sh
# Runs the libFuzzer harnesses (tests/fuzz/README.md). Called by the Makefile:
#   run.sh probe CC                              can CC build libFuzzer harnesses? (else SKIP)
#   run.sh fuzz  BUILD_DIR SECONDS JOBS H...     `make fuzz`: each harness SECONDS, JOBS at once
#   run.sh check BUILD_DIR 0 JOBS H...           `make check-fuzz`: seeds + regress/ replayed,
#                                                then a 10 s burst of each with -seed=1
# Findings land in BUILD_DIR/crashes/<harness>/; the status is 1 if there are any.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# Known leaks (lsan.supp, see pending/README.md) are matched by source file, which needs full
# allocation stacks (GLib has no frame pointers): slower, so only while there are entries.
if grep -q '^leak:' "$here/lsan.supp" 2>/dev/null; then
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:fast_unwind_on_malloc=0}
    LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/lsan.supp}
else
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
    LSAN_OPTIONS=${LSAN_OPTIONS:-}
fi
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS
BURST=${FUZZ_BURST:-10}
COMMON="-timeout=25 -rss_limit_mb=2560 -malloc_limit_mb=2048 -close_fd_mask=1"

dict_of() { d=$1; [ "$d" = gdbstub ] && d=rsp; [ -f "$here/dict/$d.dict" ] && echo "-dict=$here/dict/$d.dict"; }

case "$1" in
probe)
    cc=$2
    if ! command -v "$cc" >/dev/null 2>&1; then
        echo "fuzz: SKIP: $cc not found (apt-get install -y clang libclang-rt-14-dev, or scripts/install-deps)"
        exit 1
    fi
    t=$(mktemp -d)
    printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' > "$t/p.c"
    if ! "$cc" -fsanitize=fuzzer,address,undefined "$t/p.c" -o "$t/p" >"$t/log" 2>&1; then
        echo "fuzz: SKIP: $cc cannot link libFuzzer with ASan/UBSan (libclang_rt.fuzzer missing?: apt-get install -y libclang-rt-14-dev): $(head -1 "$t/log")"
        rm -rf "$t"
        exit 1
    fi
    rm -rf "$t"
    exit 0 ;;
one-fuzz)
    # one-fuzz BUILD_DIR SECONDS HARNESS: repeated runs until SECONDS are used up, so that a
    # finding does not end the harness's share (each finding is kept under crashes/)
    b=$2; secs=$3; h=$4
    corpus=$b/corpus/$h; crashes=$b/crashes/$h; log=$b/logs/$h.log
    mkdir -p "$corpus" "$crashes" "$b/logs"
    cp "$here/seeds/$h/"* "$corpus/" 2>/dev/null
    : > "$log"
    start=$(date +%s); execs=0; runs=0
    while :; do
        left=$((secs - ($(date +%s) - start)))
        [ "$left" -ge 2 ] || break
        t0=$(date +%s)
        "$b/$h" $COMMON $(dict_of "$h") -max_total_time="$left" -print_final_stats=1 \
            -artifact_prefix="$crashes/" "$corpus" >>"$log" 2>&1
        rc=$?
        runs=$((runs + 1))
        n=$(grep 'stat::number_of_executed_units' "$log" | tail -1 | awk '{print $2}')
        execs=$((execs + ${n:-0}))
        [ $rc -eq 0 ] && break
        # a finding at once (e.g. on the seeds) would only repeat: stop
        [ $(($(date +%s) - t0)) -ge 3 ] || break
        echo "=== restart after a finding" >> "$log"
    done
    found=$(ls "$crashes" | grep -c -E '^(crash|leak|timeout|oom|slow-unit)-')
    if ! grep -q 'stat::number_of_executed_units' "$log"; then
        echo "fuzz: $h did not run (log $log): $(tail -2 "$log" | tr '\n' ' ')" > "$b/logs/$h.summary"
        exit 0
    fi
    cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/cov \1, features \2, corpus \3/p')
    printf 'fuzz: %-9s %10s execs in %ss (%s run(s)); %s; findings: %s\n' "$h" "$execs" "$secs" \
        "$runs" "${cov:-no stats}" "$found" > "$b/logs/$h.summary"
    exit 0 ;;
one-check)
    b=$2; h=$3
    log=$b/logs/check-$h.log; crashes=$b/crashes/$h
    mkdir -p "$b/logs" "$crashes"
    files=$(ls "$here/seeds/$h/"* "$here/regress/$h/"* 2>/dev/null)
    nseed=$(ls "$here/seeds/$h" 2>/dev/null | wc -l); nreg=$(ls "$here/regress/$h" 2>/dev/null | wc -l)
    if ! "$b/$h" $COMMON $(dict_of "$h") $files >"$log" 2>&1; then
        echo "check-fuzz: $h: FAIL replaying seeds/regression inputs (log $log):"
        grep -E 'ERROR|SUMMARY|runtime error|Running:' "$log" | tail -8
        exit 1
    fi
    corpus=$b/check-corpus/$h
    rm -rf "$corpus"; mkdir -p "$corpus"; cp "$here/seeds/$h/"* "$corpus/"
    if ! "$b/$h" $COMMON $(dict_of "$h") -seed=1 -max_total_time="$BURST" -print_final_stats=1 \
            -artifact_prefix="$crashes/" "$corpus" >>"$log" 2>&1; then
        echo "check-fuzz: $h: FAIL: the burst found something (log $log; input under $crashes/):"
        grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | tail -8
        exit 1
    fi
    n=$(grep 'stat::number_of_executed_units' "$log" | tail -1 | awk '{print $2}')
    echo "check-fuzz: $h: $nseed seeds + $nreg regression inputs replayed; burst of ${BURST}s: ${n:-?} execs; ok"
    exit 0 ;;
fuzz|check)
    mode=$1; b=$2; secs=$3; jobs=$4; shift 4
    start=$(date +%s)
    if [ "$mode" = fuzz ]; then
        echo "fuzz: $# harnesses, ${secs}s each, $jobs at a time; corpora in $b/corpus, findings in $b/crashes"
        rm -f "$b"/logs/*.summary
        printf '%s\n' "$@" | xargs -P "$jobs" -I{} sh "$0" one-fuzz "$b" "$secs" {}
        status=0
        for h in "$@"; do
            cat "$b/logs/$h.summary" 2>/dev/null || { echo "fuzz: $h: no result"; status=1; }
            grep -q 'findings: 0$' "$b/logs/$h.summary" 2>/dev/null || status=1
        done
        [ $status = 0 ] || echo "fuzz: FAILED: findings under $b/crashes/ (logs in $b/logs/)"
        echo "fuzz: $(($(date +%s) - start))s"
        exit $status
    fi
    out=$(printf '%s\n' "$@" | xargs -P "$jobs" -I{} sh "$0" one-check "$b" {}; echo "rc=$?")
    echo "$out" | grep -v '^rc='
    echo "check-fuzz: $(($(date +%s) - start))s"
    case "$out" in *rc=0) echo "check-fuzz: PASS"; exit 0 ;; *) echo "check-fuzz: FAIL"; exit 1 ;; esac ;;
*)
    echo "usage: run.sh probe CC | fuzz|check BUILD_DIR SECONDS JOBS HARNESS..." >&2
    exit 2 ;;
esac
