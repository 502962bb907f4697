#!/usr/bin/env python3
"""Edits an hvsim snapshot file and recomputes its SHA-256, as anyone can: the checksum
catches accidents, not edits, so the loader must check every value itself.

    snapedit.py IN OUT SECTION FIELD VALUE [INDEX]   element INDEX (default 0) of a field
    snapedit.py IN OUT header KEY VALUE              a key of the machine description

Format: checkpoint/snapshot.c (preamble, sections, an end section with the SHA-256)."""
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
        yield name, bytearray(data[start:start + ln])
        p = start + ln


def edit_field(sec, field, value, index):
    q = 0
    while q < len(sec):
        (fl,) = struct.unpack_from("<H", sec, q)
        fname = sec[q + 2:q + 2 + fl].decode()
        esz, count = struct.unpack_from("<II", sec, q + 2 + fl)
        elems = q + 2 + fl + 8
        if fname == field:
            if index >= count:
                sys.exit(f"{field} has {count} elements")
            off = elems + index * esz
            sec[off:off + esz] = (int(value, 0) % (1 << (8 * esz))).to_bytes(esz, "little")
            return True
        q = elems + esz * count
    return False


def edit_header(sec, key, value):
    lines = sec.decode().split("\n")
    hit = [i for i, l in enumerate(lines) if l.startswith(key + "=")]
    for i in hit:
        lines[i] = f"{key}={value}"
    sec[:] = "\n".join(lines).encode()
    return bool(hit)


def main():
    if len(sys.argv) not in (6, 7):
        sys.exit(__doc__)
    src, dst, section, field, value = sys.argv[1:6]
    index = int(sys.argv[6]) if len(sys.argv) == 7 else 0
    data = open(src, "rb").read()
    out = bytearray(data[:16])
    done = False
    for name, sec in sections(data):
        if name == section:
            done |= edit_header(sec, field, value) if name == "header" else \
                edit_field(sec, field, value, index)
        out += struct.pack("<I", len(name)) + name.encode() + struct.pack("<Q", len(sec)) + sec
    if not done:
        sys.exit(f"no field {section}.{field}")
    digest = hashlib.sha256(bytes(out)).digest()
    out += data[len(data) - END_LEN:len(data) - 32] + digest
    open(dst, "wb").write(bytes(out))


main()
