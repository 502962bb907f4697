#!/bin/sh
# x86-64 under hvsim's debugger, as the Arm side is: the console (symbols, a breakpoint,
# `info registers` with the mode and CPL, disassembly with Capstone, stepi, reverse-stepi,
# `set` by GDB name, translate with the walk explained, info tlb, sysregs, vregs,
# reverse-continue back to the breakpoint), GDB with gdb-multiarch (i386:x86-64: breakpoint
# by symbol, registers, x/i, stepi, reverse-stepi, XMM as GDB's vector union, a register
# write, monitor commands), -d exec/int traces and the statistics.
#
#   sh tests/system/x86-debug.sh path/to/hvsim
set -u
[ $# -eq 1 ] || { echo "usage: sh tests/system/x86-debug.sh HVSIM" >&2; exit 2; }
HVSIM=$1
HERE=$(cd "$(dirname "$0")" && pwd)
PROGS=$(dirname "$HVSIM")/workloads/tests-x86
# shellcheck disable=SC2034  # read by harness.sh
NAME=x86-debug
# shellcheck source=tests/system/harness.sh
. "$HERE/harness.sh"
HELLO=$PROGS/hello.elf
SYMS=$PROGS/hello.elf64
MACHINE="-M pc -m 128M -device isa-debug-exit,iobase=0xf4,iosize=4"

# ---- the console (a script): the same commands as on Arm, the x86 core's words ----------
cat >"$TMP/con.txt" <<SCRIPT
symbols $SYMS
break x86_main
continue
info registers
disas x86_main 2
stepi 3
info registers
reverse-stepi 2
set rax 0x1234
set eflags 0x20047
info registers
translate 0x100000
info tlb
info sysregs efer cr0
info vregs xmm0
reverse-continue
set cs 0x10
SCRIPT
# shellcheck disable=SC2086
timeout 60 "$HVSIM" $MACHINE -kernel "$HELLO" --script "$TMP/con.txt" >"$TMP/con.out" 2>&1
con_rc=$?
bp_after=$(sed -n 's/^Breakpoint 1 after \([0-9]*\) instructions: cpu0 CPL0 pc=0x0000000000100610 <x86_main> 55  push rbp$/\1/p' "$TMP/con.out")
bp_back=$(sed -n 's/^Breakpoint 1 at icount \([0-9]*\): cpu0 CPL0 pc=0x0000000000100610 <x86_main> .*/\1/p' "$TMP/con.out")
why=
grep -q '^rip 0x0000000000100610  rflags 0x00000046 \[ PF ZF \] IOPL=0  CPL0 64-bit$' "$TMP/con.out" ||
    why="info registers at the breakpoint"
grep -q '^cs   0x0008 base 0x0000000000000000 limit 0xffffffff attr 0x0a09b$' "$TMP/con.out" ||
    why="${why:+$why; }the code segment's hidden part"
grep -q '^0x0000000000100611 <x86_main+0x1>: 89f5  mov ebp, esi$' "$TMP/con.out" ||
    why="${why:+$why; }disas"
grep -q '^stepped back 2 instructions (icount [0-9]*): cpu0 CPL0 pc=0x0000000000100611 <x86_main+0x1>' "$TMP/con.out" ||
    why="${why:+$why; }reverse-stepi"
grep -q '^rax 0x0000000000001234 ' "$TMP/con.out" || why="${why:+$why; }set rax"
# eflags: CF and PF set, AC? no: 0x20047 asks for VM (bit 17), which the debugger keeps
grep -q '^rip 0x0000000000100611  rflags 0x00000047 \[ CF PF ZF \] IOPL=0  CPL0 64-bit$' "$TMP/con.out" ||
    why="${why:+$why; }set eflags (CF on, VM refused)"
grep -q '^  PDE   at PA 0x000010c000: 0x00000000000000e3 P RW S A D PS$' "$TMP/con.out" ||
    why="${why:+$why; }translate"
grep -q '^  -> PA 0x100000 (page size 0x200000' "$TMP/con.out" || why="${why:+$why; }translate result"
grep -q '^soft TLB of cpu0' "$TMP/con.out" || why="${why:+$why; }info tlb"
grep -q '^efer             0x0000000000000500$' "$TMP/con.out" || why="${why:+$why; }info sysregs"
grep -q '^xmm0  0x0*  d: 0 0' "$TMP/con.out" || why="${why:+$why; }info vregs"
# the script's last command fails: a selector is the guest's to load
if [ "$con_rc" -ne 1 ] || ! grep -q '^error: set: cs cannot be written$' "$TMP/con.out"; then
    why="${why:+$why; }set cs refused (exit $con_rc)"
fi
if [ -z "$bp_after" ] || [ "$bp_after" != "$bp_back" ]; then
    why="${why:+$why; }reverse-continue to the breakpoint ('$bp_after' vs '$bp_back')"
fi
if [ -n "$why" ]; then
    fail "x86-console" "$why"
    sed 's/^/    /' "$TMP/con.out" | head -60
else
    pass "x86-console"
fi

# ---- GDB ----------------------------------------------------------------------------------
GDB=${GDB:-gdb-multiarch}
if command -v "$GDB" >/dev/null 2>&1; then
    port=$((20000 + ($$ + 7) % 20000))
    # shellcheck disable=SC2086
    timeout 60 "$HVSIM" $MACHINE -kernel "$HELLO" -gdb "tcp::$port" -S \
        >"$TMP/gdb.guest" 2>"$TMP/gdb.hv" </dev/null &
    hvpid=$!
    wait_for_gdb "$TMP/gdb.hv"
    timeout 60 "$GDB" -batch -nx -ex "set architecture i386:x86-64" -ex "file $SYMS" \
        -ex "target remote 127.0.0.1:$port" -ex "break x86_main" -ex "continue" \
        -ex "info registers rip eflags cs" -ex "x/2i \$pc" -ex "stepi" -ex "stepi" \
        -ex "info registers rip" -ex "reverse-stepi" -ex "info registers rip" \
        -ex "p \$xmm0.v2_int64" -ex "set \$r14 = 0x55" -ex "monitor info registers" \
        -ex "info threads" -ex "delete" -ex "continue" >"$TMP/gdb.out" 2>&1 </dev/null
    wait $hvpid
    rc=$?
    why=
    grep -q '^Breakpoint 1, x86_main ' "$TMP/gdb.out" || why="breakpoint by symbol"
    grep -q '^rip *0x100610 *0x100610 <x86_main>$' "$TMP/gdb.out" || why="${why:+$why; }rip"
    grep -q '^eflags *0x46 *\[ PF ZF \]$' "$TMP/gdb.out" || why="${why:+$why; }eflags"
    grep -q '^cs *0x8 *8$' "$TMP/gdb.out" || why="${why:+$why; }cs"
    grep -q '^=> 0x100610 <x86_main>:.*push *%rbp$' "$TMP/gdb.out" || why="${why:+$why; }x/i"
    grep -q '^rip *0x100613 ' "$TMP/gdb.out" || why="${why:+$why; }stepi"
    [ "$(grep -c '^rip *0x100611 ' "$TMP/gdb.out")" = 1 ] || why="${why:+$why; }reverse-stepi"
    grep -q '^\$1 = {0, 0}$' "$TMP/gdb.out" || why="${why:+$why; }xmm0"
    grep -q ' r14 0x0000000000000055' "$TMP/gdb.out" || why="${why:+$why; }register write seen by the console"
    grep -q 'Thread 1 .*cpu0 CPL0' "$TMP/gdb.out" || why="${why:+$why; }info threads"
    grep -q '^\[Inferior 1 (Remote target) exited with code 01\]$' "$TMP/gdb.out" ||
        why="${why:+$why; }the run's end (isa-debug-exit 0: status 1)"
    tr -d '\r' <"$TMP/gdb.guest" | grep -q '^bye$' || why="${why:+$why; }the guest's output"
    if [ "$rc" -ne 1 ] || [ -n "$why" ]; then
        fail "x86-gdb" "exit $rc; $why"
        sed "s/^/    /" "$TMP/gdb.out" "$TMP/gdb.guest" "$TMP/gdb.hv" | head -60
    else
        pass "x86-gdb"
    fi
else
    echo "SKIP x86-gdb: gdb-multiarch not installed"
fi

# ---- traces and statistics ----------------------------------------------------------------
# shellcheck disable=SC2086
timeout 60 "$HVSIM" $MACHINE -kernel "$HELLO" -d exec --max-insns 8 >/dev/null 2>"$TMP/tr.err"
# shellcheck disable=SC2086
timeout 60 "$HVSIM" $MACHINE -kernel "$HELLO" --stats-text "$TMP/st.txt" >"$TMP/st.out" 2>&1
insns=$(sed -n 's/^sim.insns *\([0-9]*\) .*/\1/p' "$TMP/st.txt")
cpu0=$(sed -n 's/^cpu0.insns *\([0-9]*\) .*/\1/p' "$TMP/st.txt")
if ! grep -q '^EXEC cpu0 CPL0 000000000010000c: fa  *cli$' "$TMP/tr.err" ||
   [ "$(grep -c '^EXEC' "$TMP/tr.err")" != 8 ]; then
    fail "x86-trace" "$(head -3 "$TMP/tr.err" | tr '\n' ';')"
elif [ -z "$insns" ] || [ "$insns" = 0 ] || [ "$insns" != "$cpu0" ]; then
    fail "x86-stats" "sim.insns '$insns', cpu0.insns '$cpu0'"
else
    pass "x86-trace-stats"
fi

echo "x86 debug tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
