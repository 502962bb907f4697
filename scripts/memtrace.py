#!/usr/bin/env python3
"""Reads a memory trace written by plugins/memtrace.so (format: the comment at the top of
plugins/memtrace.c) and prints one line per access:

    cpu0 EL1 vm-1 pc=0000000040080010 W 8 va=0000000040100000 pa=0000000040100000

    python3 scripts/memtrace.py TRACE [--summary]

--summary prints the counts of reads and writes and of distinct 4 KiB pages instead.
Exit code 1 with one line on stderr for a file that is not such a trace."""
import struct
import sys

MAGIC = b"HVMEMTR1"
RECORD = struct.Struct("<QQQBBBBi")


def records(data):
    if len(data) < 16 or data[:8] != MAGIC:
        raise ValueError("not an hvsim memory trace (no HVMEMTR1 header)")
    version, size = struct.unpack_from("<II", data, 8)
    if version != 1 or size != RECORD.size:
        raise ValueError(f"unsupported trace version {version} / record size {size}")
    body = data[16:]
    if len(body) % size:
        raise ValueError(f"truncated: {len(body) % size} bytes after the last whole record")
    for off in range(0, len(body), size):
        yield RECORD.unpack_from(body, off)


def main(argv):
    args = [a for a in argv[1:] if a != "--summary"]
    if len(args) != 1:
        print(__doc__.strip().splitlines()[3].strip(), file=sys.stderr)
        return 2
    try:
        with open(args[0], "rb") as f:
            recs = list(records(f.read()))
    except (OSError, ValueError) as e:
        print(f"memtrace.py: {args[0]}: {e}", file=sys.stderr)
        return 1
    if "--summary" in argv:
        writes = sum(1 for r in recs if r[4] & 1)
        pages = len({r[0] >> 12 for r in recs})
        print(f"reads {len(recs) - writes} writes {writes} pages {pages}")
        return 0
    for va, pa, pc, size, flags, cpu, el, vmid in recs:
        print(f"cpu{cpu} EL{el} vm{vmid} pc={pc:016x} {'W' if flags & 1 else 'R'} {size} "
              f"va={va:016x} pa={pa:016x}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
