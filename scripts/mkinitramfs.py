#!/usr/bin/env python3
"""A reproducible initramfs for hvsim's Linux boots: cpio "newc", every entry owned by 0:0
with mtime 0, entries in sorted order, gzip without a name or timestamp. Same inputs, same
bytes.

    mkinitramfs.py --busybox PATH --init PATH [--file SRC:DEST[:MODE]]...
                   [--modules DIR --module NAME...] [--uncompressed] -o OUT.cpio.gz

--file adds SRC at DEST, with the directories above it. --uncompressed writes the plain cpio
archive (Linux reads either): worth it for an initramfs that carries large files, which the
guest kernel would otherwise spend as many instructions inflating as it takes to boot.

The tree: /bin/busybox (+ /bin/sh), /init, /dev/console (char 5:1, so the kernel has a
console before devtmpfs is mounted), and empty /proc /sys /dev /tmp /root /etc /mnt.

--modules DIR (a kernel's /lib/modules/<version>) with --module NAME: the named modules and
every module they depend on, at their paths under /lib/modules/<version>/, with a
modules.dep for that subset (the format busybox's modprobe reads, dependencies in load
order). The dependencies come from each module's .modinfo: "depends=" (what modpost wrote;
depmod is not needed, so a tree unpacked without running it works) and the "softdep=pre:"
modules, found by file name or by "alias=" (ext4 asks for crypto-crc32c, which
crc32c_generic provides). busybox's modprobe does not read modules.softdep, so those are
listed as dependencies: modprobe loads them first.
"""
import argparse
import gzip
import io
import os
import stat
import struct
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


def modinfo(path):
    """The key=value strings of an ELF64 little-endian module's .modinfo section."""
    with open(path, 'rb') as f:
        elf = f.read()
    if elf[:4] != b'\x7fELF' or elf[4] != 2 or elf[5] != 1:
        raise SystemExit('mkinitramfs: %s: not a 64-bit little-endian ELF module' % path)
    shoff, = struct.unpack_from('<Q', elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', elf, 0x3a)
    def section(i):
        name, _, _, _, off, size = struct.unpack_from('<IIQQQQ', elf, shoff + i * shentsize)
        return name, elf[off:off + size]
    strtab = section(shstrndx)[1]
    for i in range(shnum):
        name, data = section(i)
        if strtab[name:strtab.index(b'\0', name)] == b'.modinfo':
            return [tuple(kv.split('=', 1)) for kv in data.decode('utf-8', 'replace').split('\0')
                    if '=' in kv]
    return []


def needs(info):
    """The modules a module needs loaded before it: depends=, then softdep=pre:."""
    out = []
    for k, v in info:
        if k == 'depends':
            out += [d for d in v.split(',') if d]
        elif k == 'softdep':
            words = v.split()
            pre = False
            for w in words:
                if w.endswith(':'):
                    pre = w == 'pre:'
                elif pre:
                    out.append(w)
    return out


def module_closure(moddir, names):
    """[(relative path, [relative paths of its dependencies in load order])] for the named
    modules and everything they need, dependencies first."""
    index = {}
    for root, _, files in os.walk(moddir):
        for fn in files:
            if fn.endswith('.ko'):
                rel = os.path.relpath(os.path.join(root, fn), moddir)
                index[fn[:-3].replace('-', '_')] = rel
    aliases = {}
    def find(name, chain):
        key = name.replace('-', '_')
        if key in index:
            return index[key]
        if not aliases:                       # read every module's aliases once, if needed
            for rel in sorted(index.values()):
                for k, v in modinfo(os.path.join(moddir, rel)):
                    if k == 'alias':
                        aliases.setdefault(v, rel)
        if name in aliases:
            return aliases[name]
        raise SystemExit('mkinitramfs: no module %s under %s%s' % (
            name, moddir, ' (needed by %s)' % chain[-1] if chain else ''))
    order, deps, seen = [], {}, set()
    def visit(name, chain):
        rel = find(name, chain)
        if rel in seen:
            return rel
        seen.add(rel)
        need = [visit(d, chain + [name]) for d in needs(modinfo(os.path.join(moddir, rel)))]
        deps[rel] = need
        order.append(rel)
        return rel
    for n in names:
        visit(n, [])
    def all_deps(rel, acc):
        for drel in deps[rel]:
            all_deps(drel, acc)
            if drel not in acc:
                acc.append(drel)
        return acc
    # modules.dep lists a module's dependencies with the ones loaded last first (depmod's
    # order: modprobe loads the list from its end)
    return [(rel, list(reversed(all_deps(rel, [])))) for rel in order]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--busybox', required=True)
    ap.add_argument('--init', required=True)
    ap.add_argument('--file', action='append', default=[], help='SRC:DEST[:MODE]')
    ap.add_argument('--modules', help='a kernel\'s lib/modules/<version> directory')
    ap.add_argument('--module', action='append', default=[], help='module name (with --modules)')
    ap.add_argument('--uncompressed', action='store_true', help='no gzip')
    ap.add_argument('-o', required=True)
    a = ap.parse_args()
    if bool(a.modules) != bool(a.module):
        ap.error('--modules DIR and --module NAME go together')
    entries = {}
    for d in ('bin', 'sbin', 'dev', 'proc', 'sys', 'tmp', 'root', 'etc', 'mnt', 'usr', 'usr/bin', 'usr/sbin'):
        entries[d] = (stat.S_IFDIR | 0o755, b'', (0, 0))
    def add_file(src, dest, mode):
        dest = dest.lstrip('/')
        with open(src, 'rb') as f:
            entries[dest] = (stat.S_IFREG | mode, f.read(), (0, 0))
        d = os.path.dirname(dest)
        while d:                              # every directory above it
            entries[d] = (stat.S_IFDIR | 0o755, b'', (0, 0))
            d = os.path.dirname(d)
    add_file(a.busybox, 'bin/busybox', 0o755)
    add_file(a.init, 'init', 0o755)
    for spec in a.file:
        parts = spec.split(':')
        add_file(parts[0], parts[1], int(parts[2], 8) if len(parts) > 2 else 0o644)
    if a.modules:
        moddir = os.path.normpath(a.modules)
        base = 'lib/modules/' + os.path.basename(moddir)
        dep = []
        for rel, needs in module_closure(moddir, a.module):
            add_file(os.path.join(moddir, rel), base + '/' + rel, 0o644)
            dep.append('%s:%s\n' % (rel, ''.join(' ' + d for d in needs)))
        entries[base + '/modules.dep'] = (stat.S_IFREG | 0o644, ''.join(sorted(dep)).encode(), (0, 0))
    entries['bin/sh'] = (stat.S_IFLNK | 0o777, b'busybox', (0, 0))
    entries['dev/console'] = (stat.S_IFCHR | 0o600, b'', (5, 1))
    raw = io.BytesIO()
    for ino, name in enumerate(sorted(entries), start=1):
        mode, data, rdev = entries[name]
        cpio_entry(raw, ino, name, mode, data, rdev, 2 if stat.S_ISDIR(mode) else 1)
    cpio_entry(raw, 0, 'TRAILER!!!', 0)
    with open(a.o + '.tmp', 'wb') as f:
        if a.uncompressed:
            f.write(raw.getvalue())
        else:
            with gzip.GzipFile(filename='', mode='wb', fileobj=f, mtime=0, compresslevel=6) as g:
                g.write(raw.getvalue())
    os.replace(a.o + '.tmp', a.o)
    return 0


if __name__ == '__main__':
    sys.exit(main())
