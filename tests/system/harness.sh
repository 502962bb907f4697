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
