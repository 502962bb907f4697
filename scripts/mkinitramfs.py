#!/usr/bin/env python3
"""A reproducible initramfs for hvsim's Linux boots: cpio "newc", every entry owned by 0:0
with mtime 0, entries in sorted order, gzip without a name or timestamp. Same inputs, same
bytes.

    mkinitramfs.py --busybox PATH --init PATH [--file SRC:DEST[:MODE]]... -o OUT.cpio.gz

The tree: /bin/busybox (+ /bin/sh), /init, /dev/console (char 5:1, so the kernel has a
console before devtmpfs is mounted), and empty /proc /sys /dev /tmp /root /etc /mnt.
"""
import argparse
import gzip
import io
import os
import stat
import sys


def cpio_entry(out, ino, name, mode, data=b'', rdev=(0, 0), nlink=1):
    name_b = name.encode() + b'\0'
    hdr = '070701' + ''.join('%08x' % v for v in (
        ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0))
    out.write(hdr.encode())
    out.write(name_b)
    out.write(b'\0' * ((4 - (110 + len(name_b)) % 4) % 4))
    out.write(data)
    out.write(b'\0' * ((4 - len(data) % 4) % 4))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--busybox', required=True)
    ap.add_argument('--init', required=True)
    ap.add_argument('--file', action='append', default=[], help='SRC:DEST[:MODE]')
    ap.add_argument('-o', required=True)
    a = ap.parse_args()
    entries = {}
    for d in ('bin', 'sbin', 'dev', 'proc', 'sys', 'tmp', 'root', 'etc', 'mnt', 'usr', 'usr/bin', 'usr/sbin'):
        entries[d] = (stat.S_IFDIR | 0o755, b'', (0, 0))
    def add_file(src, dest, mode):
        with open(src, 'rb') as f:
            entries[dest.lstrip('/')] = (stat.S_IFREG | mode, f.read(), (0, 0))
    add_file(a.busybox, 'bin/busybox', 0o755)
    add_file(a.init, 'init', 0o755)
    for spec in a.file:
        parts = spec.split(':')
        add_file(parts[0], parts[1], int(parts[2], 8) if len(parts) > 2 else 0o644)
    entries['bin/sh'] = (stat.S_IFLNK | 0o777, b'busybox', (0, 0))
    entries['dev/console'] = (stat.S_IFCHR | 0o600, b'', (5, 1))
    raw = io.BytesIO()
    for ino, name in enumerate(sorted(entries), start=1):
        mode, data, rdev = entries[name]
        cpio_entry(raw, ino, name, mode, data, rdev, 2 if stat.S_ISDIR(mode) else 1)
    cpio_entry(raw, 0, 'TRAILER!!!', 0)
    with open(a.o + '.tmp', 'wb') as f:
        with gzip.GzipFile(filename='', mode='wb', fileobj=f, mtime=0, compresslevel=6) as g:
            g.write(raw.getvalue())
    os.replace(a.o + '.tmp', a.o)
    return 0


if __name__ == '__main__':
    sys.exit(main())
