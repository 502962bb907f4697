"""Checks a screendump (an 8-bit RGB PNG, decoded here with zlib, not compared as bytes).

  pngcheck.py FILE pattern WIDTH HEIGHT FORMAT   every pixel is workloads/tests/display.c's
                                                 pattern as FORMAT (a8r8g8b8, r5g6b5) stores it
  pngcheck.py FILE text MIN                      at least MIN pixels differ from the most
                                                 common colour (a console with text on it)
  pngcheck.py FILE same OTHER                    both files hold the same pixels
  pngcheck.py FILE.raw text MIN WIDTH HEIGHT     the same as text, for a raw a8r8g8b8 frame
                                                 (a guest memory dump, stride WIDTH * 4)

Prints one line saying what differs and exits 1, or exits 0."""
import struct
import sys
import zlib


def decode(path):
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        sys.exit(f'{path}: not a PNG file')
    pos, idat, width = 8, b'', None
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if zlib.crc32(kind + body) != struct.unpack('>I', data[pos + 8 + n:pos + 12 + n])[0]:
            sys.exit(f'{path}: bad CRC in a {kind.decode()} chunk')
        if kind == b'IHDR':
            width, height, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
            if (depth, ctype, interlace) != (8, 2, 0):
                sys.exit(f'{path}: want 8-bit RGB without interlace, got depth {depth} type {ctype}')
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride, rows, prev = width * 3, [], bytearray(width * 3)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):   # PNG filters (ISO/IEC 15948 clause 9)
            a = line[i - 3] if i >= 3 else 0
            b, c = prev[i], prev[i - 3] if i >= 3 else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xff
            elif f == 2:
                line[i] = (line[i] + b) & 0xff
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xff
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def expected(x, y, fmt):
    r, g, b = (x * 7) & 0xff, (y * 5) & 0xff, (x ^ y) & 0xff
    if fmt == 'r5g6b5':   # stored as 5/6/5 bits, widened by repeating the top bits
        r, g, b = r >> 3, g >> 2, b >> 3
        r, g, b = (r << 3) | (r >> 2), (g << 2) | (g >> 4), (b << 3) | (b >> 2)
    return bytes((r, g, b))


def decode_raw(path, width, height):
    data = open(path, 'rb').read()
    if len(data) < width * height * 4:
        sys.exit(f'{path}: {len(data)} bytes, want {width * height * 4}')
    rows = []
    for y in range(height):
        line = data[y * width * 4:(y + 1) * width * 4]
        rows.append(b''.join(bytes((line[4 * x + 2], line[4 * x + 1], line[4 * x]))
                             for x in range(width)))
    return width, height, rows


def main():
    path, mode = sys.argv[1], sys.argv[2]
    if path.endswith('.raw'):
        width, height, rows = decode_raw(path, int(sys.argv[4]), int(sys.argv[5]))
    else:
        width, height, rows = decode(path)
    if mode == 'pattern':
        w, h, fmt = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
        if (width, height) != (w, h):
            sys.exit(f'{path}: {width}x{height}, want {w}x{h}')
        for y in range(h):
            want = b''.join(expected(x, y, fmt) for x in range(w))
            if rows[y] != want:
                x = next(i for i in range(w) if rows[y][3 * i:3 * i + 3] != want[3 * i:3 * i + 3])
                sys.exit(f'{path}: pixel ({x},{y}) is {rows[y][3 * x:3 * x + 3].hex()}, '
                         f'want {want[3 * x:3 * x + 3].hex()}')
    elif mode == 'text':
        counts = {}
        for row in rows:
            for x in range(width):
                px = row[3 * x:3 * x + 3]
                counts[px] = counts.get(px, 0) + 1
        background = max(counts.values())
        if width * height - background < int(sys.argv[3]):
            sys.exit(f'{path}: only {width * height - background} pixels differ from the '
                     f'background, want {sys.argv[3]}')
    elif mode == 'same':
        other = decode(sys.argv[3])
        if (width, height, rows) != other:
            sys.exit(f'{path} and {sys.argv[3]} differ')
    else:
        sys.exit(f'unknown mode {mode}')


main()
