#!/bin/sh
# Hardening tests (issue: hardening the front ends), each run as a user would:
#  - the GDB stub checks every thread id a client sends (vCont;s:ff then g used to crash it);
#  - GDB's monitor cannot make hvsim write host files unless --gdb-allow-host-writes;
#  - `trace on FILE BADCATEGORY` is one error line and touches no file;
#  - a guest that powers off on the last instruction of a step, at a breakpoint or at the
#    end of the stub's run chunk has ended the machine: no run afterwards, exit 0, GDB W00;
#  - every output file (-D, --stats, --stats-text, --record, dumpdtb, console trace) is
#    opened only after the inputs are good, never replaces a file without --force, is
#    written in place when it is a device or FIFO, and a write error is exit 1 with one
#    line naming the file;
#  - the loaders refuse inputs that cannot fit (a device that never ends) and read program
#    headers at an odd offset;
#  - a guest whose exception vector cannot be fetched stops with exit 3 (the progress
#    guarantee), answers --max-insns, and its trace stops with it.
#
#   sh tests/system/hardening.sh path/to/hvsim
# Environment: WORKLOADS (default: <dir of hvsim>/workloads).
set -u
if [ $# -ne 1 ]; then
    echo "usage: sh tests/system/hardening.sh HVSIM" >&2
    exit 2
fi
HVSIM=$1
WORKLOADS=${WORKLOADS:-$(dirname "$HVSIM")/workloads}
NAME=hardening
# shellcheck source=tests/system/harness.sh
. "$(cd "$(dirname "$0")" && pwd)/harness.sh"

HELLO=$WORKLOADS/demo/hello.elf
M="-M virt -m 256M"
first_line() {
    head -n 1 "$1" 2>/dev/null | cut -c 1-160
}
# hv ARGS...: runs hvsim (stdout, stderr to $TMP/hv.out, $TMP/hv.err), sets rc
hv() {
    timeout 60 "$HVSIM" "$@" >"$TMP/hv.out" 2>"$TMP/hv.err" </dev/null
    rc=$?
}
lines() {
    grep -c '' "$1"
}
# expect NAME CODE: rc is CODE and stderr one line (or, with CODE 0, anything)
expect() {
    if [ "$rc" -ne "$2" ]; then
        fail "$1" "exit code $rc, want $2: $(first_line "$TMP/hv.err")"
        return 1
    fi
    if [ "$2" -ne 0 ] && [ "$(lines "$TMP/hv.err")" -ne 1 ]; then
        fail "$1" "$(lines "$TMP/hv.err") lines on stderr, want 1: $(first_line "$TMP/hv.err")"
        return 1
    fi
    return 0
}

if ! command -v python3 >/dev/null 2>&1; then
    fail "hardening" "python3 is needed to craft guests and speak the GDB protocol"
    echo "hardening tests: $passed passed, $failed failed"
    exit 1
fi

# ---- guests made to order ---------------------------------------------------------------
# off.bin: PSCI SYSTEM_OFF in three instructions (movz x0,#8; movk x0,#0x8400,lsl 16; hvc #0)
# chunk.bin: the HVC is instruction 1000000, the end of the GDB stub's first run chunk
# odd.elf: an ELF whose program headers start at an odd file offset, running off.bin's code
python3 - "$TMP" <<'EOF'
import struct, sys
d = sys.argv[1]
off = [0xd2800100, 0xf2b08000, 0xd4000002]
def words(ws):
    return b''.join(struct.pack('<I', w) for w in ws)
open(d + '/off.bin', 'wb').write(words(off))
n = 499997   # 3 + 2 * n + 3 = 1000000
chunk = [0xd2800001 | ((n & 0xffff) << 5), 0xf2a00001 | ((n >> 16) << 5), 0xd503201f,
         0xf1000421, 0x54ffffe1] + off
open(d + '/chunk.bin', 'wb').write(words(chunk))
code = words(off)
phoff = 64 + 1
data_off = phoff + 56 + 3
ph = struct.pack('<IIQQQQQQ', 1, 5, data_off, 0x40080000, 0x40080000, len(code), len(code), 4)
eh = struct.pack('<4sBBBBB7sHHIQQQIHHHHHH', b'\x7fELF', 2, 1, 1, 0, 0, b'\0' * 7, 2, 183, 1,
                 0x40080000, phoff, 0, 0, 64, 56, 1, 64, 0, 0)
img = eh + b'\0' + ph + b'\0' * 3 + code
open(d + '/odd.elf', 'wb').write(img)
EOF

# A minimal GDB client: rsp.py PORT PACKET... sends each packet and prints its reply on a
# line ("monitor:TEXT" sends qRcmd, printing the console output as "O:TEXT" lines first;
# "k" expects no reply). Prints EOF when the stub closes the connection.
cat >"$TMP/rsp.py" <<'EOF'
import socket, sys, time
port, pkts = int(sys.argv[1]), sys.argv[2:]
for _ in range(300):          # 30 s: a loaded host starts hvsim slowly
    try:
        s = socket.create_connection(('127.0.0.1', port))
        break
    except OSError:
        time.sleep(0.1)
else:
    print('cannot connect'); sys.exit(2)
s.settimeout(60)
buf = b''
def packet():
    global buf
    while True:
        i = buf.find(b'$')
        j = buf.find(b'#', i + 1) if i >= 0 else -1
        if j >= 0 and len(buf) >= j + 3:
            p, buf = buf[i + 1:j], buf[j + 3:]
            s.sendall(b'+')
            return p
        d = s.recv(65536)
        if not d:
            return None
        buf += d
for p in pkts:
    monitor = p.startswith('monitor:')
    if monitor:
        p = 'qRcmd,' + p[len('monitor:'):].encode().hex()
    b = p.encode()
    s.sendall(b'$' + b + b'#%02x' % (sum(b) & 0xff))
    if p == 'k':
        break
    while True:
        r = packet()
        if r is None:
            print('EOF'); sys.exit(0)
        if monitor and r.startswith(b'O') and r != b'OK':
            print('O:' + bytes.fromhex(r[1:].decode()).decode().rstrip('\n'))
            continue
        print(r.decode(errors='replace'))
        break
s.close()
EOF

port=$((40000 + $$ % 10000))
# gdb_session NAME HVSIM-ARGS... -- PACKETS...: runs hvsim with a stub on a fresh port and
# the client; the replies in $TMP/NAME.rsp, hvsim's exit code in rc
gdb_session() {
    gname=$1
    shift
    port=$((port + 1))
    hvargs=""
    while [ "$1" != "--" ]; do
        hvargs="$hvargs $1"
        shift
    done
    shift
    # shellcheck disable=SC2086
    timeout 60 "$HVSIM" $hvargs -gdb "tcp::$port" -S >"$TMP/$gname.guest" 2>"$TMP/$gname.hv" \
        </dev/null &
    hvpid=$!
    timeout 60 python3 "$TMP/rsp.py" "$port" "$@" >"$TMP/$gname.rsp" 2>&1
    wait $hvpid
    rc=$?
}

# ---- 1. thread ids from the client --------------------------------------------------------
# ('g' is the core and fpu registers: 33 x 8 + 4 + 32 x 16 + 2 x 4 bytes, 1576 hex digits)
gdb_session tid $M -kernel "$HELLO" -- "vCont;s:ff" g Hgff g Hcff T9 "qThreadExtraInfo,ff" k
if [ "$rc" -ne 0 ]; then
    fail "gdb-unknown-thread" "hvsim exit code $rc: $(first_line "$TMP/tid.hv")"
elif [ "$(sed -n '1p;3p;5p;6p;7p' "$TMP/tid.rsp" | tr '\n' ' ')" != "E01 E01 E01 E01 E01 " ] ||
    [ "$(sed -n 2p "$TMP/tid.rsp" | tr -d '\n' | wc -c)" -ne 1576 ] ||
    [ "$(sed -n 4p "$TMP/tid.rsp" | tr -d '\n' | wc -c)" -ne 1576 ]; then
    fail "gdb-unknown-thread" "replies: $(tr '\n' ' ' <"$TMP/tid.rsp" | cut -c 1-120)"
else
    pass "gdb-unknown-thread"
fi

# ---- 2. GDB may not write host files unless allowed ----------------------------------------
printf 'precious\n' >"$TMP/victim"
gdb_session mon $M -device simplefb -kernel "$HELLO" -- "monitor:trace on $TMP/victim force" \
    "monitor:checkpoint save $TMP/victim force" "monitor:stats dump $TMP/new.txt" \
    "monitor:trace on $TMP/new.trace exec" "monitor:screendump $TMP/new.png" k
refusals=$(grep -c '^O:error: .*--gdb-allow-host-writes' "$TMP/mon.rsp")
if [ "$rc" -ne 0 ]; then
    fail "gdb-monitor-no-host-writes" "hvsim exit code $rc: $(first_line "$TMP/mon.hv")"
elif [ "$refusals" -ne 5 ] || [ "$(grep -c '^E01$' "$TMP/mon.rsp")" -ne 5 ]; then
    fail "gdb-monitor-no-host-writes" "replies: $(tr '\n' ' ' <"$TMP/mon.rsp" | cut -c 1-160)"
elif [ "$(cat "$TMP/victim")" != "precious" ] || [ -e "$TMP/new.txt" ] || [ -e "$TMP/new.trace" ] ||
    [ -e "$TMP/new.png" ]; then
    fail "gdb-monitor-no-host-writes" "a host file was written"
else
    pass "gdb-monitor-no-host-writes"
fi
gdb_session monok $M -device simplefb -kernel "$HELLO" --gdb-allow-host-writes -- \
    "monitor:stats dump $TMP/new.txt" "monitor:screendump $TMP/new.png" \
    "monitor:stats dump $TMP/victim" k
if [ "$rc" -ne 0 ] || [ "$(sed -n '$p' "$TMP/monok.rsp")" != "E01" ] ||
    ! grep -q '^sim.insns 0$' "$TMP/new.txt" 2>/dev/null || [ "$(cat "$TMP/victim")" != "precious" ] ||
    ! python3 "$(dirname "$0")/pngcheck.py" "$TMP/new.png" text 0; then
    fail "gdb-allow-host-writes" "exit $rc; replies: $(tr '\n' ' ' <"$TMP/monok.rsp" | cut -c 1-160)"
else
    pass "gdb-allow-host-writes"
fi

# ---- 3. trace on FILE BADCATEGORY -----------------------------------------------------------
printf 'trace on %s exec,bogus\n' "$TMP/t.trace" >"$TMP/badcat.txt"
hv $M -kernel "$HELLO" --script "$TMP/badcat.txt"
if expect "script-trace-bad-category" 1; then
    if ! grep -q "^error: trace: unknown category 'bogus'" "$TMP/hv.out" || [ -e "$TMP/t.trace" ]; then
        fail "script-trace-bad-category" "output '$(first_line "$TMP/hv.out")', or the file was created"
    else
        pass "script-trace-bad-category"
    fi
fi
printf 'trace on %s exec\n' "$TMP/victim" >"$TMP/noreplace.txt"
hv $M -kernel "$HELLO" --script "$TMP/noreplace.txt"
if expect "script-trace-no-replace" 1; then
    if [ "$(cat "$TMP/victim")" != "precious" ] || ! grep -q -- "--force" "$TMP/hv.out"; then
        fail "script-trace-no-replace" "$(first_line "$TMP/hv.out")"
    else
        pass "script-trace-no-replace"
    fi
fi

# ---- 4. power-off ends the machine ----------------------------------------------------------
# script_poweroff NAME COMMANDS: the script's run commands after the power-off are refused
# with "the machine has powered off", the script ends with 0 and the machine ran 3 insns
script_poweroff() {
    printf "$2" >"$TMP/$1.txt"
    hv $M -kernel "$TMP/off.bin" --script "$TMP/$1.txt" --stats-text "$TMP/$1.stats"
    if [ "$rc" -ne 0 ]; then
        fail "$1" "exit code $rc, want 0: $(first_line "$TMP/hv.err") / $(tail -n 1 "$TMP/hv.out")"
    elif ! grep -q "^error: the machine has powered off; nothing to run" "$TMP/hv.out" ||
        ! grep -q "^sim.insns  *3 " "$TMP/$1.stats"; then
        fail "$1" "output: $(tr '\n' ' ' <"$TMP/hv.out" | cut -c 1-160)"
    else
        pass "$1"
    fi
}
script_poweroff "poweroff-on-last-stepi" 'stepi 3\ncontinue\nstepi\n'
script_poweroff "poweroff-after-breakpoint" 'break 0x40080008\ncontinue\nstepi\ncontinue\n'
gdb_session chunk $M -kernel "$TMP/chunk.bin" -- "vCont;c" "?" "vCont;s"
if [ "$rc" -ne 0 ] || [ "$(tr '\n' ' ' <"$TMP/chunk.rsp")" != "W00 W00 W00 " ]; then
    fail "gdb-poweroff-at-chunk-end" "exit $rc; replies: $(tr '\n' ' ' <"$TMP/chunk.rsp" | cut -c 1-80)"
else
    pass "gdb-poweroff-at-chunk-end"
fi
gdb_session step $M -kernel "$TMP/off.bin" -- "Z0,40080008,4" c s
if [ "$rc" -ne 0 ] || [ "$(sed -n 3p "$TMP/step.rsp")" != "W00" ]; then
    fail "gdb-poweroff-on-step" "exit $rc; replies: $(tr '\n' ' ' <"$TMP/step.rsp" | cut -c 1-80)"
else
    pass "gdb-poweroff-on-step"
fi

# ---- 5. output files ---------------------------------------------------------------------
hv $M -kernel "$TMP/no-such-kernel" -D "$TMP/bad.trace" -d exec --stats "$TMP/bad.json"
if expect "outputs-after-inputs" 1; then
    if [ -e "$TMP/bad.trace" ] || [ -e "$TMP/bad.json" ]; then
        fail "outputs-after-inputs" "a bad kernel left output files behind"
    else
        pass "outputs-after-inputs"
    fi
fi
hv $M -kernel "$HELLO" --stats /nonexistent/dir/x.json
if expect "stats-unwritable-at-start" 1; then
    if [ -s "$TMP/hv.out" ] || ! grep -q "/nonexistent/dir/x.json" "$TMP/hv.err"; then
        fail "stats-unwritable-at-start" "the guest ran first, or the message lacks the file"
    else
        pass "stats-unwritable-at-start"
    fi
fi
for opt in --stats --stats-text -D --record; do
    printf 'precious\n' >"$TMP/victim"
    hv $M -kernel "$HELLO" $opt "$TMP/victim"
    if expect "no-replace$opt" 1; then
        if [ "$(cat "$TMP/victim")" != "precious" ] || [ -s "$TMP/hv.out" ] ||
            ! grep -q -- "--force" "$TMP/hv.err"; then
            fail "no-replace$opt" "file changed or the run went ahead: $(first_line "$TMP/hv.err")"
        else
            pass "no-replace$opt"
        fi
    fi
    hv $M -kernel "$HELLO" $opt "$TMP/victim" --force
    if expect "force$opt" 0; then
        if [ "$(cat "$TMP/victim")" = "precious" ] || [ "$(find "$TMP" -name '.victim.*' | wc -l)" -ne 0 ]; then
            fail "force$opt" "the file was not replaced, or a temporary file was left"
        else
            pass "force$opt"
        fi
    fi
done
printf 'precious\n' >"$TMP/victim"
hv -M "virt,dumpdtb=$TMP/victim" -m 256M
if expect "no-replace-dumpdtb" 1; then
    if [ "$(cat "$TMP/victim")" != "precious" ]; then
        fail "no-replace-dumpdtb" "the file was replaced"
    else
        pass "no-replace-dumpdtb"
    fi
fi
hv $M -kernel "$HELLO" --stats "$TMP/same" --stats-text "$TMP/same"
expect "one-file-two-outputs" 1 && pass "one-file-two-outputs"

# write errors: /dev/full is a device, written in place; the error names it
for opt in "-d exec -D" --stats --stats-text; do
    # shellcheck disable=SC2086
    hv $M -kernel "$HELLO" $opt /dev/full
    if expect "dev-full$(echo "$opt" | tr -d ' ')" 1; then
        if ! grep -q "'/dev/full': No space left on device" "$TMP/hv.err"; then
            fail "dev-full$(echo "$opt" | tr -d ' ')" "$(first_line "$TMP/hv.err")"
        else
            pass "dev-full$(echo "$opt" | tr -d ' ')"
        fi
    fi
done
timeout 60 "$HVSIM" $M -kernel "$HELLO" >/dev/full 2>"$TMP/hv.err" </dev/null
rc=$?
expect "stdout-dev-full" 1 && pass "stdout-dev-full"

# a FIFO is written in place (it stays a FIFO; the reader gets the data)
for what in dumpdtb record; do
    mkfifo "$TMP/fifo-$what"
    timeout 60 cat "$TMP/fifo-$what" >"$TMP/fifo-$what.out" &
    catpid=$!
    if [ $what = dumpdtb ]; then
        hv -M "virt,dumpdtb=$TMP/fifo-$what" -m 256M
    else
        hv $M -kernel "$HELLO" --record "$TMP/fifo-$what"
    fi
    wait $catpid
    if [ "$rc" -ne 0 ] || [ ! -p "$TMP/fifo-$what" ]; then
        fail "fifo-$what" "exit $rc, or the FIFO was replaced: $(first_line "$TMP/hv.err")"
    elif [ $what = dumpdtb ] && [ "$(od -An -tx1 -N4 "$TMP/fifo-$what.out" | tr -d ' ')" != d00dfeed ]; then
        fail "fifo-$what" "the reader got no DTB"
    elif [ $what = record ] && ! grep -q '^hvsim-input-log' "$TMP/fifo-$what.out"; then
        fail "fifo-$what" "the reader got no input log"
    else
        pass "fifo-$what"
    fi
done

# ---- 6. loaders ---------------------------------------------------------------------------
hv $M -kernel "$TMP/odd.elf"
expect "elf-odd-phoff" 0 && pass "elf-odd-phoff"
# a device that never ends is read only as far as it could fit (memory bounded to be safe)
(
    ulimit -v 4000000 2>/dev/null
    timeout 60 "$HVSIM" -M virt -m 16M -kernel "$TMP/off.bin" -initrd /dev/zero \
        >"$TMP/hv.out" 2>"$TMP/hv.err" </dev/null
)
rc=$?
expect "initrd-dev-zero" 1 && pass "initrd-dev-zero"
(
    ulimit -v 4000000 2>/dev/null
    timeout 60 "$HVSIM" -M virt -m 16M -kernel /dev/zero >"$TMP/hv.out" 2>"$TMP/hv.err" </dev/null
)
rc=$?
expect "kernel-dev-zero" 1 && pass "kernel-dev-zero"

# ---- the progress guarantee: a vector that cannot be fetched -------------------------------
# loop.bin turns the MMU on over an empty table at EL1: every fetch, the vector's included,
# takes a translation fault and no instruction retires again
python3 - "$TMP" <<'EOF2'
import struct, sys
code = [0xd2a86000, 0xd5182000, 0xd5182020, 0xd2800320, 0xd5182040, 0xd5381000, 0xb2400000,
        0xd5181000, 0xd5033fdf, 0x14000000]
open(sys.argv[1] + '/loop.bin', 'wb').write(b''.join(struct.pack('<I', w) for w in code))
EOF2
hv $M -kernel "$TMP/loop.bin"
if expect "exception-loop-exit-3" 3; then
    if grep -q "exception loop: 1000 exceptions in a row.*last at PC 0x200, taken to EL1 vector 0x200" "$TMP/hv.err"; then
        pass "exception-loop-exit-3"
    else
        fail "exception-loop-exit-3" "$(first_line "$TMP/hv.err")"
    fi
fi
hv $M -kernel "$TMP/loop.bin" --max-insns 500 --stats-text "$TMP/loop.stats"
if expect "exception-loop-max-insns" 0; then
    if grep -q '^sim.insns *500 ' "$TMP/loop.stats"; then
        pass "exception-loop-max-insns"
    else
        fail "exception-loop-max-insns" "$(grep '^sim.insns' "$TMP/loop.stats")"
    fi
fi
hv $M -kernel "$TMP/loop.bin" -d int,exec -D "$TMP/loop.trace"
size=$(wc -c <"$TMP/loop.trace" 2>/dev/null || echo 0)
if expect "exception-loop-trace-bounded" 3; then
    if [ "$size" -gt 0 ] && [ "$size" -lt 1000000 ]; then
        pass "exception-loop-trace-bounded"
    else
        fail "exception-loop-trace-bounded" "trace of $size bytes"
    fi
fi

echo "hardening tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
