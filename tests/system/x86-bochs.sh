#!/bin/sh
# x86-64 bare-metal programs on hvsim's -M pc against Bochs, the oracle for the system-level
# corner cases where QEMU's TCG is loose (issue 14): each Multiboot program is booted in Bochs
# from a GRUB ISO (Bochs has no Multiboot loader), headless (RFB display with no wait),
# COM1 to a file; its serial output from the program's first line on must equal hvsim's.
# The programs end through isa-debug-exit, which Bochs does not have: a Bochs run ends when
# the program writes "Shutdown" to port 0x8900 (debug_exit_or_shutdown) or when its output has
# not grown for a few seconds. The ISO and the Bochs configuration come from
# scripts/bochs-lib.sh, which scripts/bench-x86.sh shares.
#
#   sh tests/system/x86-bochs.sh path/to/hvsim [PROGRAM...]     (default: sysexc legacy)
#
# A PROGRAM is build/workloads/tests-x86/PROGRAM.elf (make workloads-x86), or the 32-bit
# assembly tests/system/x86-bochs/PROGRAM.S, which this script assembles (as --32, ld).
#
# Needs Debian's bochs, bochsbios, vgabios, grub-pc-bin, grub-common, xorriso, mtools;
# prints SKIP without them. Environment: BOCHS_TIMEOUT (default 60 s per program).
set -u
if [ $# -lt 1 ]; then
    echo "usage: sh tests/system/x86-bochs.sh HVSIM [PROGRAM...]" >&2
    exit 2
fi
HVSIM=$1
shift
PROGRAMS=${*:-sysexc legacy}
HERE=$(cd "$(dirname "$0")" && pwd)
PROGS=$(dirname "$HVSIM")/workloads/tests-x86
LIMIT=${BOCHS_TIMEOUT:-60}
NAME=x86-bochs
# shellcheck source=tests/system/harness.sh
. "$HERE/harness.sh"

# bochs_missing, bochs_prepare, bochs_start, bochs_wait: the GRUB ISO and the Bochs run
# shellcheck source=scripts/bochs-lib.sh
. "$HERE/../../scripts/bochs-lib.sh"
missing=$(bochs_missing)
if [ -n "$missing" ]; then
    echo "SKIP x86-bochs: $missing not installed (apt-get install $BOCHS_PACKAGES)"
    exit 0
fi

# The program's first line: where each output is cut (GRUB and the BIOS print before it).
first_line() {
    case $1 in
    sysexc) echo "system exceptions on x86-64" ;;
    legacy) echo "legacy protected mode on x86" ;;
    *) echo "" ;;             # (the pc programs that read fw_cfg have no Bochs counterpart)
    esac
}

bochs_run() {     # ELF, output file; prints why when it fails
    if ! bochs_prepare "$1" "$TMP"; then
        echo "grub-mkrescue failed: $(tail -1 "$TMP/grub.log")"
        return 1
    fi
    bochs_start "$TMP"
    bochs_wait "$LIMIT"
    if [ ! -f "$TMP/com1.raw" ]; then
        echo "Bochs wrote no COM1 file: $(tail -1 "$TMP/bochs.out")"
        return 1
    fi
    tr -d '\r' <"$TMP/com1.raw" >"$2"
}

cut_from() {      # first line, file
    awk -v first="$1" '!found { i = index($0, first); if (i) { found = 1; print substr($0, i) }
                               next } { print }' "$2"
}

for p in $PROGRAMS; do
    elf=$PROGS/$p.elf
    if [ -f "$HERE/x86-bochs/$p.S" ]; then
        elf=$TMP/$p.elf
        if ! as --32 -o "$TMP/$p.o" "$HERE/x86-bochs/$p.S" ||
           ! ld -m elf_i386 -N -Ttext=0x100000 --no-warn-rwx-segments -o "$elf" "$TMP/$p.o"; then
            fail "$p" "assembling $HERE/x86-bochs/$p.S failed"
            continue
        fi
    fi
    if [ ! -f "$elf" ]; then
        fail "$p" "no $elf (make workloads-x86)"
        continue
    fi
    first=$(first_line "$p")
    if [ -z "$first" ]; then
        fail "$p" "no first line known for it (first_line in this script)"
        continue
    fi
    if ! why=$(bochs_run "$elf" "$TMP/bochs.txt"); then
        fail "$p" "$why"
        continue
    fi
    cut_from "$first" "$TMP/bochs.txt" >"$TMP/b.out"
    timeout 60 "$HVSIM" -M pc -m 128M -device isa-debug-exit,iobase=0xf4,iosize=4 \
        -kernel "$elf" </dev/null 2>/dev/null | tr -d '\r' >"$TMP/h.raw"
    cut_from "$first" "$TMP/h.raw" >"$TMP/h.out"
    if [ ! -s "$TMP/b.out" ]; then
        fail "$p" "no output from Bochs: $(grep -i -m2 'panic' "$TMP/bochs.log" | tr '\n' ' ')"
    elif cmp -s "$TMP/b.out" "$TMP/h.out"; then
        pass "$p: output as Bochs's"
    else
        fail "$p" "output differs from Bochs's: $(diff "$TMP/b.out" "$TMP/h.out" | head -5 | tr '\n' ' ')"
    fi
done
echo "x86-bochs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
