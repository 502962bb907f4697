#!/bin/sh
# The display: -device simplefb, screendump, -display sdl|none.
#
#   sh tests/system/display.sh path/to/hvsim
#
# workloads/tests/display.c finds the simple-framebuffer node in the device tree and draws a
# known pattern; a --script screendump of it is decoded (tests/system/pngcheck.py) and compared
# pixel by pixel. The state hash is the same with no window, -display none and (under Xvfb)
# -display sdl; keys typed into the window with xdotool reach the guest's UART, are recorded,
# and replay without the window to the same state hash; closing the window ends the run. The
# window tests SKIP without Xvfb or xdotool. Environment: WORKLOADS (default: <dir of hvsim>/workloads).
set -u
if [ $# -ne 1 ]; then
    echo "usage: sh tests/system/display.sh HVSIM" >&2
    exit 2
fi
HVSIM=$1
HERE=$(cd "$(dirname "$0")" && pwd)
WORKLOADS=${WORKLOADS:-$(dirname "$HVSIM")/workloads}
ELF=$WORKLOADS/tests/display.elf
NAME=display
# shellcheck source=tests/system/harness.sh
. "$HERE/harness.sh"
M="-M virt -m 256M"
FB_LINE="framebuffer at 0x4fc00000: 1024x768, stride 4096, a8r8g8b8"

first_line() {
    head -n 1 "$1" 2>/dev/null
}
# hv ARGS...: hvsim with stdin from /dev/null; output in $TMP/hv.out, stderr in $TMP/hv.err
hv() {
    timeout 120 "$HVSIM" "$@" >"$TMP/hv.out" 2>"$TMP/hv.err" </dev/null
    rc=$?
}
state_hash() {
    grep '^state-hash:' "$TMP/hv.err"
}

# ---- the pattern, in both formats, through screendump ---------------------------------------
printf 'continue\nscreendump %s\n' "$TMP/a.png" >"$TMP/a.txt"
hv $M -device simplefb -kernel "$ELF" --script "$TMP/a.txt"
if [ "$rc" -ne 0 ]; then
    fail "screendump-a8r8g8b8" "exit code $rc: $(first_line "$TMP/hv.err")"
elif [ "$(first_line "$TMP/hv.out")" != "$FB_LINE" ]; then
    fail "screendump-a8r8g8b8" "the guest found '$(first_line "$TMP/hv.out")', want '$FB_LINE'"
elif ! msg=$(python3 "$HERE/pngcheck.py" "$TMP/a.png" pattern 1024 768 a8r8g8b8 2>&1); then
    fail "screendump-a8r8g8b8" "$msg"
else
    pass "screendump-a8r8g8b8"
fi
printf 'continue\nscreendump %s\n' "$TMP/b.png" >"$TMP/b.txt"
hv $M -device simplefb,width=320,height=200,format=r5g6b5 -kernel "$ELF" --script "$TMP/b.txt"
want="framebuffer at 0x4fe00000: 320x200, stride 640, r5g6b5"
if [ "$rc" -ne 0 ]; then
    fail "screendump-r5g6b5" "exit code $rc: $(first_line "$TMP/hv.err")"
elif [ "$(first_line "$TMP/hv.out")" != "$want" ]; then
    fail "screendump-r5g6b5" "the guest found '$(first_line "$TMP/hv.out")', want '$want'"
elif ! msg=$(python3 "$HERE/pngcheck.py" "$TMP/b.png" pattern 320 200 r5g6b5 2>&1); then
    fail "screendump-r5g6b5" "$msg"
else
    pass "screendump-r5g6b5"
fi

# ---- screendump follows the output-file rule ------------------------------------------------
printf 'precious\n' >"$TMP/victim"
printf 'continue\nscreendump %s\n' "$TMP/victim" >"$TMP/c.txt"
hv $M -device simplefb -kernel "$ELF" --script "$TMP/c.txt"
if [ "$rc" -ne 1 ] || ! grep -q "^error: screendump: .*exists; not replacing it" "$TMP/hv.out" ||
    [ "$(cat "$TMP/victim")" != "precious" ]; then
    fail "screendump-no-overwrite" "exit code $rc: $(grep error "$TMP/hv.out")"
else
    printf 'continue\nscreendump %s force\n' "$TMP/victim" >"$TMP/c.txt"
    hv $M -device simplefb -kernel "$ELF" --script "$TMP/c.txt"
    if [ "$rc" -ne 0 ] || ! python3 "$HERE/pngcheck.py" "$TMP/victim" same "$TMP/a.png"; then
        fail "screendump-no-overwrite" "with force: exit code $rc"
    else
        pass "screendump-no-overwrite"
    fi
fi
printf 'screendump %s\n' "$TMP/none.png" >"$TMP/d.txt"
hv $M -kernel "$ELF" --script "$TMP/d.txt"
if [ "$rc" -ne 1 ] || ! grep -q "^error: screendump: the machine has no display" "$TMP/hv.out" ||
    [ -e "$TMP/none.png" ]; then
    fail "screendump-no-display" "exit code $rc: $(first_line "$TMP/hv.out")"
else
    pass "screendump-no-display"
fi

# ---- bad options: one line, exit 1 -----------------------------------------------------------
bad_ok=1
for args in "-device simplefb,width=0" "-device simplefb,height=99999" "-device simplefb,format=rgb"
do
    # shellcheck disable=SC2086
    hv $M $args -kernel "$ELF"
    if [ "$rc" -ne 1 ] || [ "$(wc -l <"$TMP/hv.err")" -ne 1 ]; then
        fail "display-bad-options" "$args: exit code $rc: $(first_line "$TMP/hv.err")"
        bad_ok=0
    fi
done
for args in "-device vga" "-device simplefb,depth=8" "-display gtk" "-display sdl"; do
    # shellcheck disable=SC2086
    hv $M $args -kernel "$ELF"
    if [ "$rc" -ne 1 ] || [ "$(wc -l <"$TMP/hv.err")" -ne 1 ]; then
        fail "display-bad-options" "$args: exit code $rc: $(first_line "$TMP/hv.err")"
        bad_ok=0
    fi
done
# a frame that does not fit beside what the loader placed, or in RAM at all
hv -M virt -m 16M -device simplefb,width=2048,height=2048 -kernel "$ELF"
if [ "$rc" -ne 1 ] || ! grep -q "more than half of -m" "$TMP/hv.err"; then
    fail "display-bad-options" "-m 16M with a 16 MiB frame: exit code $rc: $(first_line "$TMP/hv.err")"
    bad_ok=0
fi
[ "$bad_ok" = 1 ] && pass "display-bad-options"
if env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER timeout 60 "$HVSIM" $M -device simplefb \
    -display sdl -kernel "$ELF" >"$TMP/hv.out" 2>"$TMP/hv.err" </dev/null; then rc=0; else rc=$?; fi
if [ "$rc" -ne 1 ] || ! grep -q "^hvsim: -display sdl: cannot open a window" "$TMP/hv.err" ||
    [ -s "$TMP/hv.out" ]; then
    fail "display-sdl-without-x" "exit code $rc: $(first_line "$TMP/hv.err")"
else
    pass "display-sdl-without-x"
fi

# ---- the frame is in snapshots ----------------------------------------------------------------
printf 'continue\ncheckpoint save %s\n' "$TMP/fb.snap" >"$TMP/e.txt"
hv $M -device simplefb -kernel "$ELF" --script "$TMP/e.txt"
printf 'screendump %s\n' "$TMP/restored.png" >"$TMP/f.txt"
if [ "$rc" -eq 0 ]; then
    hv --restore "$TMP/fb.snap" --script "$TMP/f.txt"
fi
if [ "$rc" -ne 0 ] || ! msg=$(python3 "$HERE/pngcheck.py" "$TMP/restored.png" same "$TMP/a.png" 2>&1); then
    fail "display-snapshot" "exit code $rc: $(first_line "$TMP/hv.err") ${msg:-}"
else
    hv --restore "$TMP/fb.snap" -device simplefb,width=640 --script "$TMP/f.txt"
    if [ "$rc" -ne 4 ] || ! grep -q -- "-device gives simplefb,width=640" "$TMP/hv.err"; then
        fail "display-snapshot" "restored with another framebuffer: exit code $rc: $(first_line "$TMP/hv.err")"
    else
        pass "display-snapshot"
    fi
fi

# ---- the state hash does not see the display ---------------------------------------------------
hv $M -device simplefb -kernel "$ELF" --state-hash
h_plain=$(state_hash)
hv $M -device simplefb -kernel "$ELF" --state-hash -display none
h_none=$(state_hash)
if [ -z "$h_plain" ] || [ "$h_plain" != "$h_none" ]; then
    fail "display-none-hash" "'$h_plain' vs '$h_none' with -display none"
else
    pass "display-none-hash"
fi

# ---- the window, under Xvfb --------------------------------------------------------------------
if ! command -v Xvfb >/dev/null 2>&1; then
    echo "SKIP display-sdl-hash (Xvfb not installed: apt-get install xvfb)"
    echo "SKIP display-sdl-keys (Xvfb not installed: apt-get install xvfb)"
    echo "SKIP display-sdl-close (Xvfb not installed: apt-get install xvfb)"
    echo "SKIP display-sdl-stdin (Xvfb not installed: apt-get install xvfb)"
else
    dpy=$((50 + $$ % 200))
    Xvfb ":$dpy" -screen 0 1280x1024x24 -nolisten tcp >"$TMP/xvfb.log" 2>&1 &
    xpid=$!
    trap 'kill "$xpid" 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        [ -e "/tmp/.X11-unix/X$dpy" ] && break
        sleep 0.5
    done
    export DISPLAY=":$dpy"
    hv $M -device simplefb -kernel "$ELF" --state-hash -display sdl
    h_sdl=$(state_hash)
    if [ "$rc" -ne 0 ] || [ "$h_sdl" != "$h_plain" ]; then
        fail "display-sdl-hash" "exit code $rc, '$h_sdl' vs '$h_plain' without the window: $(first_line "$TMP/hv.err")"
    else
        pass "display-sdl-hash"
    fi
    if ! command -v xdotool >/dev/null 2>&1; then
        echo "SKIP display-sdl-keys (xdotool not installed: apt-get install xdotool)"
    else
        # the guest echoes what its UART receives up to a carriage return
        timeout 120 "$HVSIM" $M -device simplefb -kernel "$ELF" -append echo -display sdl \
            --record "$TMP/keys.log" --state-hash >"$TMP/k.out" 2>"$TMP/k.err" </dev/null &
        hpid=$!
        win=$(timeout 30 xdotool search --sync --name '^hvsim$' 2>/dev/null | head -n 1)
        if [ -n "$win" ]; then
            xdotool windowfocus --sync "$win" >/dev/null 2>&1
            xdotool type --delay 20 'hi'
            xdotool key Up BackSpace Return
        fi
        wait $hpid
        rc=$?
        want="keys: 68 69 1b 5b 41 7f 0d"
        if [ -z "$win" ]; then
            fail "display-sdl-keys" "no window named hvsim appeared"
        elif [ "$rc" -ne 0 ] || ! grep -q "^$want\$" "$TMP/k.out"; then
            fail "display-sdl-keys" "exit code $rc, guest printed '$(grep keys "$TMP/k.out")', want '$want'"
        else
            h_rec=$(grep '^state-hash:' "$TMP/k.err")
            hv $M -device simplefb -kernel "$ELF" -append echo --replay "$TMP/keys.log" --state-hash
            if [ "$rc" -ne 0 ] || [ "$(state_hash)" != "$h_rec" ] || ! grep -q "^$want\$" "$TMP/hv.out"; then
                fail "display-sdl-keys" "replay without the window: exit code $rc, '$(state_hash)' vs '$h_rec'"
            else
                pass "display-sdl-keys"
            fi
        fi
    fi
    # stdin still feeds the UART with the window open
    printf 'ok\r' | timeout 120 "$HVSIM" $M -device simplefb -kernel "$ELF" -append echo \
        -display sdl >"$TMP/s.out" 2>"$TMP/s.err"
    rc=$?
    if [ "$rc" -ne 0 ] || ! grep -q "^keys: 6f 6b 0d\$" "$TMP/s.out"; then
        fail "display-sdl-stdin" "exit code $rc, guest printed '$(grep keys "$TMP/s.out")': $(first_line "$TMP/s.err")"
    else
        pass "display-sdl-stdin"
    fi
    # closing the window ends the run with exit code 0, as in QEMU
    if ! command -v xdotool >/dev/null 2>&1; then
        echo "SKIP display-sdl-close (xdotool not installed: apt-get install xdotool)"
    else
        timeout 120 "$HVSIM" $M -device simplefb -kernel "$ELF" -append echo -display sdl \
            >"$TMP/q.out" 2>"$TMP/q.err" </dev/null &
        hpid=$!
        win=$(timeout 30 xdotool search --sync --name '^hvsim$' 2>/dev/null | head -n 1)
        [ -n "$win" ] && python3 "$HERE/xclose.py" "$win"
        wait $hpid
        rc=$?
        if [ -z "$win" ] || [ "$rc" -ne 0 ] ||
            ! grep -q "^hvsim: the display window was closed" "$TMP/q.err"; then
            fail "display-sdl-close" "window '$win', exit code $rc: $(first_line "$TMP/q.err")"
        else
            pass "display-sdl-close"
        fi
    fi
fi

# ---- Debian's Linux drives the framebuffer as the device tree describes it ---------------------
# The kernel (FB_SIMPLE=y, FRAMEBUFFER_CONSOLE=y, no modules) with console=tty0 draws its boot
# log into the frame, and /init's selftest (hvsim.selftest: busybox commands, then power-off)
# prints there too, /dev/console being tty0. On hvsim: the boot to power-off, then a
# screendump with text on it; the same state hash and frame with -display sdl under Xvfb; a
# command typed into the window reaching the shell on the serial console (xdotool). On
# QEMU with hvsim's device tree (dumpdtb): the boot to the busybox prompt, the frame read back
# from QEMU's guest memory at the address the DT gives (a second reader of the DT). SKIP
# without the kernel (build/debian, as make linux-image prepares it; DEBIAN_DIR=DIR to use
# another) or QEMU.
DEB=${DEBIAN_DIR:-$(dirname "$HVSIM")/debian}
LINUX_APPEND="console=ttyAMA0 console=tty0 rdinit=/init"
LM="-M virt,gic-version=3 -cpu cortex-a57 -m 1G -device simplefb"
# linux_boot NAME [hvsim options]: the boot to power-off, then a screendump NAME.png
linux_boot() {
    lname=$1
    shift
    printf 'continue\nscreendump %s\n' "$TMP/$lname.png" >"$TMP/$lname.txt"
    # shellcheck disable=SC2086
    timeout 600 "$HVSIM" $LM -kernel "$DEB/Image" -initrd "$DEB/initrd.cpio.gz" \
        -append "$LINUX_APPEND hvsim.selftest" --script "$TMP/$lname.txt" --state-hash "$@" \
        >"$TMP/$lname.out" 2>"$TMP/$lname.err" </dev/null
    rc=$?
}
if [ ! -f "$DEB/Image" ] || [ ! -f "$DEB/initrd.cpio.gz" ]; then
    echo "SKIP linux-fbcon (no Debian kernel: $DEB/Image)"
    echo "SKIP linux-fbcon-sdl-hash (no Debian kernel: $DEB/Image)"
    echo "SKIP linux-sdl-keys (no Debian kernel: $DEB/Image)"
    echo "SKIP linux-fbcon-dt-on-qemu (no Debian kernel: $DEB/Image)"
else
    linux_boot linux
    h_linux=$(grep '^state-hash:' "$TMP/linux.err")
    if [ "$rc" -ne 0 ] || ! grep -q "fb0: simplefb registered" "$TMP/linux.out" ||
        ! grep -q "reboot: Power down" "$TMP/linux.out"; then
        fail "linux-fbcon" "exit code $rc: $(grep -m1 -i 'simplefb\|unimplemented' "$TMP/linux.out" "$TMP/linux.err")"
    elif ! msg=$(python3 "$HERE/pngcheck.py" "$TMP/linux.png" text 20000 2>&1); then
        fail "linux-fbcon" "$msg"
    else
        pass "linux-fbcon"
    fi
    if [ -z "${xpid:-}" ]; then
        echo "SKIP linux-fbcon-sdl-hash (Xvfb not installed: apt-get install xvfb)"
    else
        linux_boot linux-sdl -display sdl
        if [ "$rc" -ne 0 ] || [ "$(grep '^state-hash:' "$TMP/linux-sdl.err")" != "$h_linux" ]; then
            fail "linux-fbcon-sdl-hash" "exit code $rc, '$(grep '^state-hash:' "$TMP/linux-sdl.err")' vs '$h_linux' without the window"
        elif ! msg=$(python3 "$HERE/pngcheck.py" "$TMP/linux-sdl.png" same "$TMP/linux.png" 2>&1); then
            fail "linux-fbcon-sdl-hash" "$msg"
        else
            pass "linux-fbcon-sdl-hash"
        fi
    fi
    # the shell on the serial console (console=ttyAMA0 last) reads what is typed in the window
    if [ -z "${xpid:-}" ] || ! command -v xdotool >/dev/null 2>&1; then
        echo "SKIP linux-sdl-keys (Xvfb or xdotool not installed)"
    else
        # shellcheck disable=SC2086
        timeout 300 "$HVSIM" $LM -kernel "$DEB/Image" -initrd "$DEB/initrd.cpio.gz" \
            -append "console=tty0 console=ttyAMA0 rdinit=/init" -display sdl \
            >"$TMP/lk.out" 2>"$TMP/lk.err" </dev/null &
        hpid=$!
        win=$(timeout 30 xdotool search --sync --name '^hvsim$' 2>/dev/null | head -n 1)
        for _ in $(seq 1 1200); do
            grep -q '/ # ' "$TMP/lk.out" && break
            sleep 0.1
        done
        if [ -n "$win" ]; then
            xdotool windowfocus --sync "$win" >/dev/null 2>&1
            xdotool type --delay 20 'echo hi-from-$((6*7))'
            xdotool key Return
            for _ in $(seq 1 100); do
                grep -q '^hi-from-42' "$TMP/lk.out" && break
                sleep 0.1
            done
            xdotool type --delay 20 'poweroff -f'
            xdotool key Return
        fi
        wait $hpid
        rc=$?
        if [ -z "$win" ] || [ "$rc" -ne 0 ] || ! grep -q '^hi-from-42' "$TMP/lk.out"; then
            fail "linux-sdl-keys" "window '$win', exit code $rc: $(tail -n 2 "$TMP/lk.out" | tr '\n' ' ' | cut -c 1-120)"
        else
            pass "linux-sdl-keys"
        fi
    fi
    if ! command -v qemu-system-aarch64 >/dev/null 2>&1; then
        echo "SKIP linux-fbcon-dt-on-qemu (qemu-system-aarch64 not installed)"
    else
        # shellcheck disable=SC2086
        "$HVSIM" $LM -machine dumpdtb="$TMP/linux.dtb"
        # the frame's address and size: the reg of the node whose compatible is
        # simple-framebuffer (dtc is not needed: the structure block is walked here)
        fb=$(python3 - "$TMP/linux.dtb" <<'PYEOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
p, strs = struct.unpack('>II', d[8:16])
props = {}
while True:
    tok = struct.unpack('>I', d[p:p + 4])[0]
    p += 4
    if tok == 1:                       # FDT_BEGIN_NODE: a new node's properties follow
        props, p = {}, (d.index(b'\0', p) + 4) & ~3
    elif tok == 3:                     # FDT_PROP
        n, no = struct.unpack('>II', d[p:p + 8])
        props[d[strs + no:d.index(b'\0', strs + no)]] = d[p + 8:p + 8 + n]
        p = (p + 8 + n + 3) & ~3
        if props.get(b'compatible') == b'simple-framebuffer\0' and b'reg' in props:
            print('0x%x %d' % struct.unpack('>QQ', props[b'reg']))
            break
    elif tok == 9:
        break
PYEOF
)
        fb_base=${fb% *}
        fb_size=${fb#* }
        timeout 300 qemu-system-aarch64 -M virt,gic-version=3 -cpu cortex-a57 -m 1G \
            -kernel "$DEB/Image" -initrd "$DEB/initrd.cpio.gz" -dtb "$TMP/linux.dtb" \
            -append "$LINUX_APPEND" -display none -serial "file:$TMP/qemu.log" \
            -monitor "unix:$TMP/qmon,server,nowait" >"$TMP/qemu.err" 2>&1 &
        qpid=$!
        python3 - "$TMP/qemu.log" "$TMP/qmon" "$fb_base" "$fb_size" "$TMP/qfb.raw" <<'PYEOF'
import os, socket, sys, time
log, mon, base, size, out = sys.argv[1:]
for _ in range(2400):        # up to 240 s for the boot log to reach init
    if os.path.exists(log) and b'Run /init' in open(log, 'rb').read():
        break
    time.sleep(0.1)
time.sleep(1)
s = socket.socket(socket.AF_UNIX)
s.connect(mon)
s.sendall(('pmemsave %s %s "%s"\n' % (base, size, out)).encode())
for _ in range(100):
    if os.path.exists(out) and os.path.getsize(out) == int(size):
        break
    time.sleep(0.1)
s.sendall(b'quit\n')
time.sleep(0.5)
PYEOF
        wait $qpid
        if ! grep -q "fb0: simplefb registered" "$TMP/qemu.log"; then
            fail "linux-fbcon-dt-on-qemu" "Linux did not register the framebuffer: $(grep -m1 -i 'simple-framebuffer\|simplefb' "$TMP/qemu.log")"
        elif ! msg=$(python3 "$HERE/pngcheck.py" "$TMP/qfb.raw" text 20000 1024 768 2>&1); then
            fail "linux-fbcon-dt-on-qemu" "$msg"
        else
            pass "linux-fbcon-dt-on-qemu"
        fi
    fi
fi

if [ -n "${xpid:-}" ]; then
    kill "$xpid" 2>/dev/null
    wait "$xpid" 2>/dev/null
fi
echo "display: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
