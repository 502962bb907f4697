# shellcheck shell=sh
# Bochs, headless, booting a Multiboot program from a GRUB ISO (Bochs has no Multiboot
# loader): shared by tests/system/x86-bochs.sh and scripts/bench-x86.sh (sourced).
#
#   bochs_missing            the first tool missing, empty when all are there
#   bochs_prepare ELF DIR    DIR/test.iso (GRUB, no menu delay, its console on COM1, the
#                            program by `multiboot`), DIR/bochsrc (128 MiB, RFB display with no
#                            wait for a client, COM1 to DIR/com1.raw, log in DIR/bochs.log) and
#                            DIR/bochs.cmds; status 1 when grub-mkrescue fails (DIR/grub.log)
#   bochs_exec DIR LIMIT     runs it in the foreground, its own messages to DIR/bochs.out,
#                            stopped after LIMIT seconds; the status is Bochs's (1 after a
#                            program's "Shutdown" at port 0x8900: its PANIC ends the run) or
#                            timeout's 124
#   bochs_start DIR          runs it in the background: $bochs_pid
#   bochs_wait LIMIT         waits until Bochs exits (a program writing "Shutdown" to port
#                            0x8900), its COM1 output has not grown for 3 s, or LIMIT seconds
#                            have passed; then stops it
#
# GRUB leaves COM1 at 8 data bits (the programs do not program the line, and Bochs, unlike
# QEMU and hvsim, sends what the LCR says). Sound goes to Bochs's dummy drivers: on a machine
# without a sound card or ALSA configuration, Debian's Bochs 2.7 aborts in its mixer thread
# ("buffer overflow detected") with the default ones. DIR is the caller's own scratch
# directory.
# shellcheck disable=SC2034 # for the callers' SKIP messages
BOCHS_PACKAGES="bochs bochsbios vgabios grub-pc-bin grub-common xorriso mtools"
BOCHS_BIOS=/usr/share/bochs/BIOS-bochs-latest
BOCHS_VGA=/usr/share/bochs/VGABIOS-lgpl-latest

bochs_missing() {
    for _tool in bochs grub-mkrescue xorriso mformat; do
        if ! command -v "$_tool" >/dev/null 2>&1; then
            echo "$_tool"
            return
        fi
    done
    [ -f "$BOCHS_BIOS" ] || { echo "$BOCHS_BIOS"; return; }
    [ -f "$BOCHS_VGA" ] || echo "$BOCHS_VGA"
}

bochs_prepare() {     # ELF, DIR
    rm -rf "$2/iso" "$2/com1.raw"
    mkdir -p "$2/iso/boot/grub"
    cp "$1" "$2/iso/boot/kernel.elf"
    cat >"$2/iso/boot/grub/grub.cfg" <<EOF
set timeout=0
set default=0
serial --unit=0 --speed=115200
terminal_output serial
menuentry "test" {
    multiboot /boot/kernel.elf
    boot
}
EOF
    grub-mkrescue -o "$2/test.iso" "$2/iso" >"$2/grub.log" 2>&1 || return 1
    cat >"$2/bochsrc" <<EOF
megs: 128
cpu: model=corei7_sandy_bridge_2600k, ips=100000000
romimage: file=$BOCHS_BIOS
vgaromimage: file=$BOCHS_VGA
ata0-master: type=cdrom, path=$2/test.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$2/com1.raw
display_library: rfb, options="timeout=0"
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
log: $2/bochs.log
panic: action=fatal
error: action=report
info: action=ignore
EOF
    echo c >"$2/bochs.cmds"     # Debian's Bochs starts in its debugger: continue
}

bochs_exec() {        # DIR, LIMIT
    timeout "$2" bochs -q -f "$1/bochsrc" -rc "$1/bochs.cmds" </dev/null >"$1/bochs.out" 2>&1
}

bochs_start() {       # DIR
    bochs -q -f "$1/bochsrc" -rc "$1/bochs.cmds" </dev/null >"$1/bochs.out" 2>&1 &
    bochs_pid=$!
    bochs_com1=$1/com1.raw
}

bochs_wait() {        # LIMIT
    _last=-1
    _quiet=0
    _t=0
    while [ $_t -lt "$1" ] && kill -0 "$bochs_pid" 2>/dev/null; do
        sleep 1
        _t=$((_t + 1))
        _size=$( (wc -c <"$bochs_com1") 2>/dev/null || echo 0)
        if [ "$_size" -gt 0 ] && [ "$_size" -eq "$_last" ]; then
            _quiet=$((_quiet + 1))
            [ $_quiet -ge 3 ] && break
        else
            _quiet=0
        fi
        _last=$_size
    done
    kill "$bochs_pid" 2>/dev/null
    wait "$bochs_pid" 2>/dev/null
}
