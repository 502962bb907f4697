#!/usr/bin/env python3
"""Carries the values of an old snapshot (a fuzz regression input) into the current layout,
so the input keeps reaching the code it once crashed after the machine's state gains fields.

    migrate_snapshot.py OLD TEMPLATE OUT

TEMPLATE is a snapshot of the same machine taken by the current hvsim (the snapshot
harness's seeds: HVSIM_FUZZ_GEN_SEEDS, see README.md). OUT has TEMPLATE's sections and
fields; every field OLD also has, with the same element size, takes OLD's elements (as many
as both have); the header takes OLD's value for each key both have; fields and sections OLD
lacks keep TEMPLATE's values; sections that are not field lists (memory) are OLD's. The SHA-256 is recomputed (format: checkpoint/snapshot.c,
the same walk as tests/system/snapedit.py)."""
import hashlib
import struct
import sys

END_LEN = 4 + 3 + 8 + 32


def sections(data):
    p, body_end = 16, len(data) - END_LEN
    while p < body_end:
        (nl,) = struct.unpack_from("<I", data, p)
        name = data[p + 4:p + 4 + nl].decode()
        (ln,) = struct.unpack_from("<Q", data, p + 4 + nl)
        start = p + 4 + nl + 8
        yield name, bytes(data[start:start + ln])
        p = start + ln


def fields(sec):
    q, out = 0, []
    while q < len(sec):
        (fl,) = struct.unpack_from("<H", sec, q)
        name = sec[q + 2:q + 2 + fl].decode()
        esz, count = struct.unpack_from("<II", sec, q + 2 + fl)
        elems = q + 2 + fl + 8
        out.append((name, esz, count, sec[q:elems], sec[elems:elems + esz * count]))
        q = elems + esz * count
    return out


def migrate_fields(old, new):
    olds = {n: (esz, cnt, data) for n, esz, cnt, _, data in fields(old)}
    out = bytearray()
    for name, esz, count, head, data in fields(new):
        data = bytearray(data)
        if name in olds and olds[name][0] == esz:
            n = min(count, olds[name][1]) * esz
            data[:n] = olds[name][2][:n]
        out += head + data
    return bytes(out)


def migrate_header(old, new):
    keys = dict(l.split("=", 1) for l in old.decode().split("\n") if "=" in l)
    lines = []
    for l in new.decode().split("\n"):
        k = l.split("=", 1)[0]
        lines.append(f"{k}={keys[k]}" if "=" in l and k in keys else l)
    return "\n".join(lines).encode()


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    old = open(sys.argv[1], "rb").read()
    tmpl = open(sys.argv[2], "rb").read()
    olds = dict(sections(old))
    out = bytearray(tmpl[:16])
    for name, sec in sections(tmpl):
        if name in olds:
            try:
                sec = migrate_header(olds[name], sec) if name == "header" else migrate_fields(olds[name], sec)
            except (UnicodeDecodeError, struct.error):
                sec = olds[name]      # not a field section (memory pages): OLD's as they are
        out += struct.pack("<I", len(name)) + name.encode() + struct.pack("<Q", len(sec)) + sec
    out += tmpl[len(tmpl) - END_LEN:len(tmpl) - 32] + hashlib.sha256(bytes(out)).digest()
    open(sys.argv[3], "wb").write(bytes(out))


main()
