#!/usr/bin/env python3
"""Edits one field of an hvsim snapshot file and recomputes its SHA-256, as anyone can:
the checksum catches accidents, not edits, so the loader must check every value itself.

    snapedit.py IN OUT SECTION FIELD VALUE [INDEX]

Writes IN with element INDEX (default 0) of field FIELD in section SECTION set to VALUE
(an integer of the element's size) to OUT. Format: checkpoint/snapshot.c."""
import hashlib
import struct
import sys


def main():
    if len(sys.argv) not in (6, 7):
        sys.exit(__doc__)
    src, dst, section, field, value = sys.argv[1:6]
    index = int(sys.argv[6]) if len(sys.argv) == 7 else 0
    data = bytearray(open(src, "rb").read())
    end_len = 4 + 3 + 8 + 32
    body_end = len(data) - end_len
    p = 16
    done = False
    while p < body_end:
        (nl,) = struct.unpack_from("<I", data, p)
        name = data[p + 4:p + 4 + nl].decode()
        (ln,) = struct.unpack_from("<Q", data, p + 4 + nl)
        start = p + 4 + nl + 8
        if name == section:
            q = start
            while q < start + ln:
                (fl,) = struct.unpack_from("<H", data, q)
                fname = data[q + 2:q + 2 + fl].decode()
                esz, count = struct.unpack_from("<II", data, q + 2 + fl)
                elems = q + 2 + fl + 8
                if fname == field:
                    if index >= count:
                        sys.exit(f"{section}.{field} has {count} elements")
                    off = elems + index * esz
                    data[off:off + esz] = (int(value, 0) % (1 << (8 * esz))).to_bytes(esz, "little")
                    done = True
                q = elems + esz * count
        p = start + ln
    if not done:
        sys.exit(f"no field {section}.{field}")
    data[len(data) - 32:] = hashlib.sha256(bytes(data[:body_end])).digest()
    open(dst, "wb").write(bytes(data))


main()
