#!/usr/bin/env python3
"""Drives a Linux boot on hvsim like a user at the console: waits for the init's
"shell ready" line, then types each line of CMDFILE (a pause after each), and passes the
guest's output through to stdout. Host-timed input: record the session (--record) to rerun
it exactly.

    linuxdrive.py TIMEOUT_SECONDS CMDFILE HVSIM [ARGS...]

Exit status: hvsim's, or 124 when TIMEOUT_SECONDS pass first (hvsim is killed)."""
import os
import select
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    timeout = float(sys.argv[1])
    with open(sys.argv[2]) as f:
        cmds = f.read().splitlines()
    p = subprocess.Popen(sys.argv[3:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    os.set_blocking(p.stdout.fileno(), False)
    out, sent, start = b'', False, time.monotonic()
    while p.poll() is None:
        if time.monotonic() - start > timeout:
            p.kill()
            p.wait()
            return 124
        if select.select([p.stdout], [], [], 0.5)[0]:
            data = p.stdout.read() or b''
            out += data
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        if not sent and b'shell ready' in out:
            time.sleep(0.5)
            for c in cmds:
                p.stdin.write((c + '\n').encode())
                p.stdin.flush()
                time.sleep(0.3)
            p.stdin.close()
            sent = True
    sys.stdout.buffer.write(p.stdout.read() or b'')
    return p.returncode


if __name__ == '__main__':
    sys.exit(main())
