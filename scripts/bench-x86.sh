#!/bin/sh
# x86-64 benchmark: runs the integer workload build/workloads/bench-x86/intbench.elf (a
# Multiboot ELF; the same source as the Arm one) on hvsim -M pc and, when they are installed,
# on qemu-system-x86_64 -M pc (TCG) and on Bochs; checks that all print the same checksum and
# prints guest instructions, wall seconds, MIPS and hvsim's speed relative to the others.
# Then Debian's amd64 Linux to its selftest's marker and to power-off on hvsim and QEMU TCG.
#
#   sh scripts/bench-x86.sh path/to/hvsim ["extra hvsim options"]
#
# The integer workload ends through isa-debug-exit (the guest writes 0: exit status 1, the
# program's success) and then Bochs's shutdown port (lib/x86.h: debug_exit_or_shutdown).
# The guest instruction count comes from hvsim (--stats: sim.insns); QEMU and Bochs run the
# same program, so their MIPS figures use that count too.
#
# Bochs has no Multiboot loader: it boots the program through its BIOS and GRUB from an ISO
# (scripts/bochs-lib.sh, as tests/system/x86-bochs.sh does), which takes a second or two of
# its run. To keep the comparison fair, Bochs also runs the boot baseline
# build/workloads/bench-x86/boot.elf (the same start-up and ending, no work) from an ISO made
# the same way, and the table shows Bochs's whole run (raw) and the run less the baseline's
# (net of boot, from which its MIPS and the hvsim/Bochs ratio are taken). hvsim loads the ELF
# itself; QEMU's figure includes its firmware's start (SeaBIOS and the Multiboot option ROM,
# a tenth of a second or so), which is left in.
#
# Then (BENCH_LINUX=0 skips; on by default when BENCH_LINUX_DIR, default build/debian-amd64,
# holds bzImage and initrd.cpio.gz: make linux-image-x86) Debian's amd64 kernel and the
# selftest /init (hvsim.selftest: a few busybox commands, then poweroff -f through ACPI S5)
# with -M pc -cpu max -m 1G -smp 4 on hvsim and on QEMU TCG (-no-reboot): wall seconds to the
# "hvsim-linux: selftest" line and to the end of the run, hvsim's guest instructions to both
# (to the marker from a --script wait-for run), the ratios and hvsim's state hash.
#
# Between the two, a line from objdump: whether each of the x86 core's specialised handlers
# goes on to the next instruction with a jump of its own (names those that do not).
#
# Environment: BENCH_ELF (the workload), BENCH_RUNS (runs per simulator, the fastest counts;
# default 1), QEMU (the QEMU binary), BOCHS_TIMEOUT (seconds per Bochs run, default 600),
# BENCH_LINUX, BENCH_LINUX_DIR. Figures only: nothing here asserts a speed.
set -u

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: sh scripts/bench-x86.sh HVSIM [\"EXTRA_FLAGS\"]" >&2
    exit 2
fi
HVSIM=$1
EXTRA=${2:-}
ELF=${BENCH_ELF:-$(dirname "$HVSIM")/workloads/bench-x86/intbench.elf}
BOOT_ELF=$(dirname "$HVSIM")/workloads/bench-x86/boot.elf
RUNS=${BENCH_RUNS:-1}
QEMU=${QEMU:-qemu-system-x86_64}
command -v "$QEMU" >/dev/null 2>&1 || QEMU=
BOCHS_LIMIT=${BOCHS_TIMEOUT:-600}
LINUX_DIR=${BENCH_LINUX_DIR:-$(dirname "$HVSIM")/debian-amd64}

if [ ! -x "$HVSIM" ]; then
    echo "bench-x86: $HVSIM not found (run make)" >&2
    exit 1
fi
for f in "$ELF" "$BOOT_ELF"; do
    if [ ! -f "$f" ]; then
        echo "bench-x86: $f not found (run make workloads-x86)" >&2
        exit 1
    fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hvsim-bench-x86.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM

# now, timed_run (a run succeeds with isa-debug-exit status 1), checksum_of, insns_from,
# marker_time, insns_to_marker, marker_table
TIMED_OK=1
. "$(dirname "$0")/bench-lib.sh"
# bochs_missing, bochs_prepare, bochs_exec
. "$(dirname "$0")/bochs-lib.sh"
BOCHS_MISSING=$(bochs_missing)

echo "workload: $ELF"
# shellcheck disable=SC2086 # EXTRA holds several options
timed_run "$TMP/hv.out" "$HVSIM" -M pc -m 128M -kernel "$ELF" \
    -device isa-debug-exit,iobase=0xf4,iosize=4 --stats "$TMP/stats.json" --force $EXTRA
hv_secs=$secs
if [ "$rc" -ne 1 ]; then
    echo "bench-x86: hvsim failed (exit code $rc): $(head -n 1 "$TMP/hv.out.err")" >&2
    exit 1
fi
hv_sum=$(checksum_of "$TMP/hv.out")
insns=$(insns_from "$TMP/stats.json" 2>/dev/null)
if [ -z "$insns" ]; then
    echo "bench-x86: no sim.insns in hvsim's --stats output" >&2
    exit 1
fi

q_secs=
status=0
if [ -n "$QEMU" ]; then
    timed_run "$TMP/q.out" "$QEMU" -M pc -m 128M -nographic -kernel "$ELF" \
        -device isa-debug-exit,iobase=0xf4,iosize=4
    q_secs=$secs
    if [ "$rc" -ne 1 ]; then
        echo "bench-x86: QEMU failed (exit code $rc)" >&2
        status=1
        q_secs=
    elif [ "$(checksum_of "$TMP/q.out")" != "$hv_sum" ]; then
        echo "bench-x86: checksum mismatch: hvsim '$hv_sum', QEMU '$(checksum_of "$TMP/q.out")'" >&2
        status=1
    fi
else
    echo "(qemu-system-x86_64 not installed: QEMU skipped)"
fi

# bochs_timed NAME ELF: the program's run in Bochs from its own ISO under $TMP/NAME, the
# fastest of RUNS in $secs, COM1's output (CRs dropped) in $TMP/NAME.out; status 1 (with the
# reason on stderr) unless every run ended at the shutdown port. Bochs's exit status then is 1
# (the port's PANIC), as isa-debug-exit's is on the others (TIMED_OK).
bochs_timed() {
    mkdir -p "$TMP/$1"
    if ! bochs_prepare "$2" "$TMP/$1"; then
        echo "bench-x86: grub-mkrescue failed: $(tail -n 1 "$TMP/$1/grub.log")" >&2
        return 1
    fi
    timed_run "$TMP/$1.run" bochs_exec "$TMP/$1" "$BOCHS_LIMIT"
    tr -d '\r' <"$TMP/$1/com1.raw" >"$TMP/$1.out" 2>/dev/null
    if [ "$rc" -ne 1 ] || ! grep -q 'Shutdown port: shutdown requested' "$TMP/$1/bochs.out"; then
        echo "bench-x86: Bochs did not reach the shutdown port on $(basename "$2") (exit code $rc):" \
             "$(grep -m 1 -i 'panic' "$TMP/$1/bochs.log" "$TMP/$1/bochs.out" 2>/dev/null)" >&2
        return 1
    fi
}

b_secs=
b_boot=
if [ -n "$BOCHS_MISSING" ]; then
    echo "($BOCHS_MISSING not installed: Bochs skipped; apt-get install $BOCHS_PACKAGES)"
elif bochs_timed boot "$BOOT_ELF"; then
    b_boot=$secs
    if ! grep -q '^boot baseline: done' "$TMP/boot.out"; then
        echo "bench-x86: Bochs ran boot.elf without its line: '$(tail -n 1 "$TMP/boot.out")'" >&2
        status=1
    elif bochs_timed bench "$ELF"; then
        b_secs=$secs
        if [ "$(checksum_of "$TMP/bench.out")" != "$hv_sum" ]; then
            echo "bench-x86: checksum mismatch: hvsim '$hv_sum', Bochs '$(checksum_of "$TMP/bench.out")'" >&2
            status=1
        fi
    else
        status=1
    fi
else
    status=1
fi
echo "$hv_sum (hvsim)"

awk -v insns="$insns" -v hv="$hv_secs" -v q="$q_secs" -v b="$b_secs" -v bb="$b_boot" 'BEGIN {
    printf "%-26s %15s %10s %10s\n", "simulator", "guest insns", "wall s", "MIPS"
    printf "%-26s %15d %10.3f %10.1f\n", "hvsim -M pc", insns, hv, insns / hv / 1e6
    if (q != "")
        printf "%-26s %15d %10.3f %10.1f\n", "qemu -M pc (tcg)", insns, q, insns / q / 1e6
    if (b != "") {
        net = b - bb
        printf "%-26s %15d %10.3f %10.1f\n", "bochs, whole run", insns, b, insns / b / 1e6
        printf "%-26s %15s %10.3f\n", "bochs, boot baseline", "-", bb
        if (net > 0)
            printf "%-26s %15d %10.3f %10.1f\n", "bochs, net of the boot", insns, net, insns / net / 1e6
    }
    if (q != "" && q > 0)
        printf "hvsim/QEMU wall-time ratio: %.2f\n", hv / q
    if (b != "" && net > 0)
        printf "hvsim/Bochs speed ratio: %.2f (net of the boot; %.2f raw)\n", net / hv, b / hv
}'

# The x86 core's specialised handlers go on to the next instruction with a jump of their own
# (docs/x86-system.md, "Speed"); a call there, or a jump into one shared out-of-line copy of
# the dispatch, costs 5-10 % and nothing else shows it. objdump names any such handler.
if command -v objdump >/dev/null 2>&1; then
    slow=$(objdump -d --no-show-raw-insn "$HVSIM" |
        awk '/^[0-9a-f]+ <[A-Za-z_0-9.]+>:$/ { fn = $2 }
             /call +\*|<x86_next>|<x86_chain_to>|<x86_chain_on>|<x86_taken>/ { print fn }' |
        sort -u | tr -d '<>:' |
        grep -E '^(alu_|test_|mov_|movzx_|movsx_|lea_|imul[23]_|shift_|jcc_|jmp_rel|call_rel_8|ret_8|push_|pop_r_8|unary_lz|cmov_|setcc_|nop_k)' |
        tr '\n' ' ')
    if [ -n "$slow" ]; then
        echo "x86 handlers going on through a call or a shared copy: $slow"
    else
        echo "x86 handlers: every specialised one goes on with a jump of its own"
    fi
fi

# ---- Debian's amd64 Linux: to the selftest marker and to power-off -----------------------
if [ "${BENCH_LINUX:-1}" != 0 ] && [ -f "$LINUX_DIR/bzImage" ] && [ -f "$LINUX_DIR/initrd.cpio.gz" ]; then
    echo
    echo "Linux: $LINUX_DIR/bzImage to power-off (-M pc -cpu max -m 1G, 4 cores, selftest /init)"
    LX="-M pc -cpu max -m 1G -smp 4 -kernel $LINUX_DIR/bzImage -initrd $LINUX_DIR/initrd.cpio.gz"
    LXAPPEND="console=ttyS0 rdinit=/init hvsim.selftest"
    MARKER="hvsim-linux: selftest"
    # shellcheck disable=SC2046,SC2086 # LX and EXTRA hold several options
    set -- $(marker_time "$TMP/lx.out" "$HVSIM" $LX -append "$LXAPPEND" --stats "$TMP/lx.json" \
        --force --state-hash $EXTRA)
    lh_mark=$1 lh_end=$2 lh_rc=$3
    lx_insns=$(insns_from "$TMP/lx.json" 2>/dev/null)
    lx_hash=$(sed -n 's/^state-hash: //p' "$TMP/lx.out.err")
    # shellcheck disable=SC2086
    lx_mark_insns=$(insns_to_marker "$TMP/lxmark.out" "$MARKER" "$HVSIM" $LX -append "$LXAPPEND" \
        $EXTRA)
    lq_mark=- lq_end=-
    if [ -n "$QEMU" ]; then
        # shellcheck disable=SC2046,SC2086
        set -- $(marker_time "$TMP/lq.out" "$QEMU" $LX -nographic -no-reboot -append "$LXAPPEND")
        lq_mark=$1 lq_end=$2
        if [ "$3" != 0 ]; then
            echo "bench-x86: QEMU did not boot Linux to power-off (exit code $3)" >&2
            status=1
        fi
    else
        echo "(qemu-system-x86_64 not installed: QEMU skipped)"
    fi
    if [ "$lh_rc" != 0 ]; then
        echo "bench-x86: hvsim did not boot Linux to power-off (exit code $lh_rc): $(grep -m1 'hvsim:' "$TMP/lx.out.err")" >&2
        status=1
    fi
    marker_table selftest "$lx_insns" "$lx_mark_insns" "$lh_mark" "$lh_end" "$lq_mark" "$lq_end" \
        both "tcg"
    [ "$lh_rc" = 0 ] && awk -v n="${lx_insns:-0}" -v nm="${lx_mark_insns:-0}" -v hm="$lh_mark" \
        -v he="$lh_end" 'BEGIN {
        if (hm > 0 && nm > 0)
            printf "hvsim MIPS: %.1f to the selftest, %.1f to power-off\n", nm / hm / 1e6, n / he / 1e6
        else if (he > 0)
            printf "hvsim MIPS: %.1f to power-off\n", n / he / 1e6
    }'
    echo "state hash at power-off: ${lx_hash:-?}"
elif [ "${BENCH_LINUX:-1}" != 0 ]; then
    echo
    echo "(no $LINUX_DIR/bzImage and initrd.cpio.gz: Linux skipped; make linux-image-x86)"
fi
exit $status
