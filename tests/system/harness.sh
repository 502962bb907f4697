# Shared by the system test scripts (sourced): a private temporary directory removed at exit,
# no core files, and PASS/FAIL counting. The caller sets NAME (for the directory) first.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hvsim-$NAME.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT INT TERM
# A crashing simulator must not leave core files behind (dash and bash have ulimit -c).
# shellcheck disable=SC3045
ulimit -c 0 2>/dev/null

passed=0
failed=0
pass() {
    echo "PASS $1"
    passed=$((passed + 1))
}
fail() {
    echo "FAIL $1${2:+: $2}"
    failed=$((failed + 1))
}
# wait_for_gdb FILE: waits (up to 5 s) until hvsim's stderr in FILE says its GDB stub listens.
wait_for_gdb() {
    _i=0
    while [ $_i -lt 50 ] && ! grep -q "waiting for gdb" "$1" 2>/dev/null; do
        sleep 0.1
        _i=$((_i + 1))
    done
}
# prepare NAME CMD...: runs an image script (its output in $TMP/prep.log). 0: ready. Its exit
# 77 (the Debian archive unreachable and nothing cached) prints "SKIP NAME: the reason" and
# returns 1, for the caller to end without failing; any other failure prints FAIL NAME-image
# and exits 1. (The status is taken from the command itself: `if ! cmd; then rc=$?` would see
# the negation's 0.)
prepare() {
    _name=$1
    shift
    "$@" >"$TMP/prep.log" 2>&1
    _rc=$?
    [ "$_rc" -eq 0 ] && return 0
    if [ "$_rc" -eq 77 ]; then
        echo "SKIP $_name: $(tail -n 1 "$TMP/prep.log")"
        return 1
    fi
    echo "FAIL $_name-image: $(tail -n 1 "$TMP/prep.log")"
    exit 1
}
