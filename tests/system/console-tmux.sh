#!/bin/sh
# The interactive console in a real terminal: runs `hvsim -i` inside a detached tmux session
# (private server socket), types commands with send-keys and checks the screen with
# capture-pane. Session 1 debugs the minihv demo (breakpoint with conditions, continue,
# stepi, info registers, x/4x, disas, quit); session 2 interrupts a long `continue` of
# intbench with Ctrl-C. Every wait polls for up to STEP_TIMEOUT seconds (default 20), so a
# loaded machine only makes it slower. HOME is a temporary directory: ~/.hvsim_history is
# not touched (the test checks the history lands there instead).
#
#   sh tests/system/console-tmux.sh HVSIM WORKLOADS
#
# Exit 0 when every step passed; otherwise the last line says which step failed.
set -u
if [ $# -ne 2 ]; then
    echo "usage: sh tests/system/console-tmux.sh HVSIM WORKLOADS" >&2
    exit 2
fi
HVSIM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
WORKLOADS=$(cd "$2" && pwd)
MINIHV=$WORKLOADS/minihv/minihv.elf
BENCH=$WORKLOADS/bench/intbench.elf
STEP_TIMEOUT=${STEP_TIMEOUT:-20}
SOCK=hvsim-test-$$
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hvsim-tmux.XXXXXX") || exit 2
# the server's socket goes under WORK too, so nothing is left in /tmp/tmux-UID
TMUX_TMPDIR=$WORK
export TMUX_TMPDIR
unset TMUX

cleanup() {
    tmux -L "$SOCK" kill-server 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

for f in "$HVSIM" "$MINIHV" "$BENCH"; do
    if [ ! -f "$f" ]; then
        echo "FAIL: missing $f"
        exit 1
    fi
done

die() {
    echo "--- screen of $SESSION:"
    screen | grep -v '^$' | tail -n 25
    echo "FAIL: $*"
    exit 1
}

# the whole pane, history included
screen() {
    tmux -L "$SOCK" capture-pane -p -J -S - -t "$SESSION" 2>/dev/null
}

# wait_for REGEX [COUNT]: until the screen has at least COUNT (default 1) matching lines
wait_for() {
    want=${2:-1}
    t=0
    while [ "$t" -lt $((STEP_TIMEOUT * 10)) ]; do
        n=$(screen | grep -c -e "$1")
        [ "$n" -ge "$want" ] && return 0
        sleep 0.1
        t=$((t + 1))
    done
    die "timed out after ${STEP_TIMEOUT}s waiting for '$1' (x$want)"
}

prompts() {
    screen | grep -c '^(hvsim) '
}

# type LINE: type a command at the prompt and press Enter; waits for the next prompt
# (or, with NOWAIT=1, returns at once)
type_line() {
    before=$(prompts)
    tmux -L "$SOCK" send-keys -t "$SESSION" -l -- "$1"
    tmux -L "$SOCK" send-keys -t "$SESSION" Enter
    [ "${NOWAIT:-0}" = 1 ] || wait_for '^(hvsim) ' $((before + 1))
}

# start NAME ELF MACHINE: hvsim -i in a new session. The pane's shell writes hvsim's exit
# status to a file and stays (remain-on-exit) so the screen can still be read. Its SIGINT
# trap only keeps Ctrl-C (sent to the whole foreground group) from killing the shell;
# hvsim gets the default disposition back at exec.
start() {
    SESSION=$1
    rm -f "$WORK/status.$1"
    cmd="trap : INT; env HOME='$WORK' TERM=xterm '$HVSIM' -M $3 -cpu max -m 256M -kernel '$2' -i; echo \$? >'$WORK/status.$1'"
    if [ -z "$(tmux -L "$SOCK" list-sessions 2>/dev/null)" ]; then
        tmux -L "$SOCK" -f /dev/null new-session -d -s "$SESSION" -x 160 -y 50 "$cmd" \; \
            set-option -g history-limit 20000 \; set-option -g remain-on-exit on ||
            die "tmux could not start"
    else
        tmux -L "$SOCK" new-session -d -s "$SESSION" -x 160 -y 50 "$cmd" || die "tmux could not start"
    fi
    wait_for '^(hvsim) '
}

# waits for the session's hvsim to exit with status 0
wait_exit() {
    t=0
    while [ "$t" -lt $((STEP_TIMEOUT * 10)) ]; do
        if [ -s "$WORK/status.$SESSION" ]; then
            st=$(cat "$WORK/status.$SESSION")
            [ "$st" = 0 ] || die "hvsim exited with status $st"
            return 0
        fi
        sleep 0.1
        t=$((t + 1))
    done
    die "hvsim did not exit within ${STEP_TIMEOUT}s"
}

# ---- session 1: the minihv demo ----------------------------------------------------------
start minihv "$MINIHV" virt,virtualization=on
type_line 'break 0x40000000 if el==1 && vmid==2'
wait_for '^Breakpoint 1 at 0x40000000'
type_line 'continue'
wait_for '^Breakpoint 1 after [0-9]* instructions: cpu0 EL1 pc=0x0000000040000000 .*adrp x1'
screen | grep -q '^minihv: g2 VMID 2' || die "no minihv output before the breakpoint"
type_line 'stepi'
wait_for '^stopped after 1 instructions (icount [0-9]*): cpu0 EL1 pc=0x0000000040000004'
type_line 'info registers'
wait_for '^pc  0x0000000040000004  cpsr 0x[0-9a-f]*  EL1'
wait_for '^x0  0x[0-9a-f]\{16\}  x1  0x[0-9a-f]\{16\}  x2  0x'
# x1 was set by the adrp at 0x40000000: the page of 0x40005000
screen | grep -q '^x0  0x0000000000000000  x1  0x0000000040005000' || die "x1 is not 0x40005000 after the adrp"
type_line 'x/4xw 0x40000000'
wait_for '^0x0000000040000000: 0x[0-9a-f]\{8\} 0x[0-9a-f]\{8\} 0x[0-9a-f]\{8\} 0x[0-9a-f]\{8\}$'
# the first word is the adrp shown at the breakpoint (b0000021)
screen | grep -q '^0x0000000040000000: 0xb0000021 ' || die "x/4xw does not show the adrp encoding"
type_line 'disas 0x40000000 3'
wait_for '^0x0000000040000000: b0000021  adrp x1, #0x40005000'
wait_for '^0x0000000040000008: [0-9a-f]\{8\}  [a-z]'
type_line 'help info'
wait_for '^info .*registers|sysregs'
# tab completion: an info topic, a system register name, a symbol (after `symbols`)
tmux -L "$SOCK" send-keys -t "$SESSION" -l -- 'info sys'
tmux -L "$SOCK" send-keys -t "$SESSION" Tab
tmux -L "$SOCK" send-keys -t "$SESSION" -l -- 'VTTBR'
tmux -L "$SOCK" send-keys -t "$SESSION" Tab Enter
wait_for '^VTTBR_EL2        0x'
type_line "symbols $MINIHV"
wait_for '^[0-9]* symbols loaded'
tmux -L "$SOCK" send-keys -t "$SESSION" -l -- 'break vcpu_r'
tmux -L "$SOCK" send-keys -t "$SESSION" Tab Enter
wait_for '^Breakpoint 2 at 0x'    # `vcpu_r` alone names no symbol: completion made it vcpu_run
NOWAIT=1 type_line 'quit'
wait_exit
grep -q '^break 0x40000000 if el==1 && vmid==2$' "$WORK/.hvsim_history" 2>/dev/null ||
    die "the history did not go to \$HOME/.hvsim_history"

# ---- session 2: Ctrl-C stops a long continue; the console goes on ---------------------
start bench "$BENCH" virt
NOWAIT=1 type_line 'continue'
wait_for '^(hvsim) continue$'
sleep 0.3
# still running: no new prompt yet (intbench takes a few seconds at full speed)
[ "$(prompts)" -eq 1 ] || die "continue returned before Ctrl-C; intbench should run longer"
tmux -L "$SOCK" send-keys -t "$SESSION" C-c
wait_for 'interrupted after [0-9]* instructions (icount [0-9]*): cpu0 EL[0-3] pc=0x'
wait_for '^(hvsim) ' 2
type_line 'stepi 2'
wait_for '^stopped after 2 instructions'
NOWAIT=1 type_line 'quit'
wait_exit

echo "console-tmux: all steps passed"
exit 0
