#!/usr/bin/env python3
"""hvsim x86-64 decoder generator: declarative opcode tables -> C dispatch.

Table syntax (one instruction form per line, '#' starts a comment):

    NAME  OPCODE  [attr ...]  @handler

OPCODE is `XX` or a range `XX-YY` (hex) in the one-byte map, or prefixed by its map:
`0F:XX`, `0F38:XX`, `0F3A:XX`. Attributes:

    M            has a ModRM byte (implied by /N, mod3, modm, modreg)
    /N or /N-K   ModRM.reg digit (or range of digits); default: any
    mod3 / modm  only ModRM.mod == 3 / only mod != 3
    modreg       ModRM.mod is ignored and read as 3 (MOV CRn/DRn)
    +r           the low three opcode bits (with REX.B) name a register
    pNP p66 pF2 pF3   mandatory prefix(es) this form takes (several: any of them); default any
    b v d64 f64 w d q  operand size: byte, 16/32/64 by 66/REX.W, default 64 in 64-bit mode
                 (66 gives 16), always 64 in 64-bit mode, fixed 16, fixed 32, fixed 64
    Ib Ibs Iw Iz Iv Jb Jz Ap IwIb Ov   immediate: byte zero-/sign-extended, word, 16/32
                 (sign-extended to 64), 16/32/64, rel8, rel16/32, far pointer, ENTER's pair,
                 moffs (address-sized)
    i64 / o64    invalid in 64-bit mode / valid only in 64-bit mode
    lock         LOCK allowed (with a memory operand); LOCK elsewhere is #UD
    nofuzz       never drawn by the differential tester
    vex          VEX-encoded (C4/C5; the mandatory prefix is VEX.pp); a form without it
                 never matches a VEX instruction and the other way round

The handler is `int x86_op_HANDLER(X86Cpu *, const X86Insn *)`; several forms may share one
(the handler looks at d->opcode, d->reg). Every handler gets a weak #UD fallback, so an
unwritten one is an undefined instruction.

Two forms that can match the same encoding (same map and opcode byte, intersecting prefix,
digit, mod and mode sets) are an error. --report lists the one-byte and 0F opcodes no form
covers.

Usage: x86decodegen.py --header OUT.h --source OUT.c [--report] TABLE...
"""
import argparse
import os
import re
import sys


class DecodeError(Exception):
    pass


MAPS = {'': 0, '0F': 1, '0F38': 2, '0F3A': 3}
MAP_NAMES = ['', '0F:', '0F38:', '0F3A:']
SIZES = ['v', 'b', 'd64', 'f64', 'w', 'd', 'q']
IMMS = ['none', 'Ib', 'Ibs', 'Iw', 'Iz', 'Iv', 'Jb', 'Jz', 'Ap', 'IwIb', 'Ov']
PFX_BITS = {'pNP': 1, 'p66': 2, 'pF3': 4, 'pF2': 8}
MODE_LEGACY, MODE_64 = 1, 2
NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
# bytes that are prefixes or escapes, never opcodes of their own
PREFIX_BYTES = {0x0f, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3}


class Form:
    def __init__(self, name, where):
        self.name = name
        self.where = where
        self.map = 0
        self.lo = self.hi = 0
        self.modrm = False
        self.regmask = 0xff
        self.mod = 0              # 0 any, 1 mod==3, 2 mod!=3
        self.modreg = False
        self.plusr = False
        self.pfx = 0xf            # set of mandatory prefixes accepted
        self.size = 'v'
        self.imm = 'none'
        self.modes = MODE_LEGACY | MODE_64
        self.lock = False
        self.nofuzz = False
        self.vex = False
        self.handler = None


def parse_line(text, where):
    toks = text.split()
    if len(toks) < 3:
        raise DecodeError(f'{where}: expected NAME OPCODE ... @handler')
    f = Form(toks[0], where)
    if not NAME_RE.match(f.name):
        raise DecodeError(f'{where}: bad form name {f.name!r}')
    m = re.match(r'^(?:(0F|0F38|0F3A):)?([0-9A-Fa-f]{2})(?:-([0-9A-Fa-f]{2}))?$', toks[1])
    if not m:
        raise DecodeError(f'{where}: bad opcode {toks[1]!r}')
    f.map = MAPS[m.group(1) or '']
    f.lo = int(m.group(2), 16)
    f.hi = int(m.group(3), 16) if m.group(3) else f.lo
    if f.hi < f.lo:
        raise DecodeError(f'{where}: empty opcode range {toks[1]}')
    if f.map == 0 and any(b in PREFIX_BYTES for b in range(f.lo, f.hi + 1)):
        raise DecodeError(f'{where}: {toks[1]} is a prefix or escape byte')
    size_given = imm_given = False
    pfx_given = 0
    for tok in toks[2:]:
        if tok.startswith('@'):
            if f.handler is not None or not NAME_RE.match(tok[1:]):
                raise DecodeError(f'{where}: bad handler {tok!r}')
            f.handler = tok[1:]
        elif re.match(r'^/[0-7](-[0-7])?$', tok):
            a = int(tok[1])
            b = int(tok[3]) if len(tok) > 2 else a
            if b < a:
                raise DecodeError(f'{where}: empty digit range {tok}')
            f.regmask = sum(1 << i for i in range(a, b + 1))
            f.modrm = True
        elif tok == 'M':
            f.modrm = True
        elif tok in ('mod3', 'modm'):
            f.mod = 1 if tok == 'mod3' else 2
            f.modrm = True
        elif tok == 'modreg':
            f.modreg = f.modrm = True
        elif tok == '+r':
            f.plusr = True
        elif tok in PFX_BITS:
            pfx_given |= PFX_BITS[tok]
        elif tok in SIZES:
            if size_given:
                raise DecodeError(f'{where}: two operand sizes')
            size_given = True
            f.size = tok
        elif tok in IMMS[1:]:
            if imm_given:
                raise DecodeError(f'{where}: two immediates')
            imm_given = True
            f.imm = tok
        elif tok == 'i64':
            f.modes = MODE_LEGACY
        elif tok == 'o64':
            f.modes = MODE_64
        elif tok == 'lock':
            f.lock = True
        elif tok == 'nofuzz':
            f.nofuzz = True
        elif tok == 'vex':
            f.vex = True
        else:
            raise DecodeError(f'{where}: unknown attribute {tok!r}')
    if f.handler is None:
        raise DecodeError(f'{where}: no @handler')
    if pfx_given:
        f.pfx = pfx_given
    if f.plusr and f.modrm:
        raise DecodeError(f'{where}: +r form with a ModRM byte')
    if f.plusr and (f.lo & 7 or f.hi - f.lo != 7):
        raise DecodeError(f'{where}: +r needs a range XX-XX+7 with XX a multiple of 8')
    if f.map >= 2:
        f.modrm = True            # every 0F38/0F3A opcode has a ModRM byte
    if f.lock and not f.modrm:
        raise DecodeError(f'{where}: lock on a form without a memory operand')
    return f


def parse_files(paths):
    forms = []
    for path in paths:
        with open(path) as fh:
            for n, line in enumerate(fh, 1):
                text = line.split('#', 1)[0].strip()
                if text:
                    forms.append(parse_line(text, f'{path}:{n}'))
    return forms


def overlaps(a, b):
    if a.map != b.map or a.hi < b.lo or b.hi < a.lo:
        return False
    if a.vex != b.vex:
        return False
    if not (a.pfx & b.pfx) or not (a.modes & b.modes) or not (a.regmask & b.regmask):
        return False
    if a.mod and b.mod and a.mod != b.mod and not a.modreg and not b.modreg:
        return False
    return True


def check(forms):
    names = {}
    for f in forms:
        if f.name in names:
            raise DecodeError(f'{f.where}: form {f.name} already defined at {names[f.name]}')
        names[f.name] = f.where
    by_op = {}
    for f in forms:
        for op in range(f.lo, f.hi + 1):
            by_op.setdefault((f.map, op), []).append(f)
    for (mp, op), lst in sorted(by_op.items()):
        if len({f.modrm for f in lst}) > 1:
            raise DecodeError(f'{lst[0].where}: {MAP_NAMES[mp]}{op:02X}: forms disagree '
                              'on having a ModRM byte')
        for i, a in enumerate(lst):
            for b in lst[i + 1:]:
                if overlaps(a, b):
                    raise DecodeError(f'{b.where}: {a.name} overlaps {b.name} '
                                      f'({MAP_NAMES[mp]}{op:02X})')
    return by_op


def uncovered(forms):
    covered = {(f.map, op) for f in forms for op in range(f.lo, f.hi + 1)}
    out = []
    for mp in (0, 1):
        for op in range(256):
            if mp == 0 and op in PREFIX_BYTES:
                continue
            if mp == 1 and op in (0x38, 0x3a):
                continue
            if (mp, op) not in covered:
                out.append(f'{MAP_NAMES[mp]}{op:02X}')
    return out


def gen_header(forms):
    out = ['/* Generated by scripts/x86decodegen.py - do not edit. */',
           '#ifndef HVSIM_X86_DECODE_GEN_H', '#define HVSIM_X86_DECODE_GEN_H',
           '#include <stdint.h>', '#include "cpu/x86_64/insn.h"', '',
           'enum {']
    for f in forms:
        out.append(f'    X86_OP_{f.name},')
    out += ['    X86_OP_COUNT', '};', '',
            '/* operand-size classes and immediate kinds of a form */',
            'enum { ' + ', '.join(f'X86_SZ_{s.upper()}' for s in SIZES) + ' };',
            'enum { ' + ', '.join(f'X86_IMM_{s.upper()}' for s in IMMS) + ' };',
            '#define X86_F_MODRM 1u', '#define X86_F_PLUSR 2u', '#define X86_F_LOCK 4u',
            '#define X86_F_MODREG 8u', '#define X86_F_NOFUZZ 16u', '#define X86_F_VEX 32u',
            '#define X86_MODE_LEGACY 1u', '#define X86_MODE_64 2u',
            '#define X86_PFX_NP 1u', '#define X86_PFX_66 2u', '#define X86_PFX_F3 4u',
            '#define X86_PFX_F2 8u', '',
            'typedef struct X86Form {',
            '    X86HandlerFn fn;',
            '    uint16_t op;',
            '    uint8_t map, lo, hi;      /* opcode bytes lo..hi of map */',
            '    uint8_t flags;            /* X86_F_* */',
            '    uint8_t regmask;          /* ModRM.reg digits accepted (bit n: /n) */',
            '    uint8_t mod;              /* 0 any, 1 mod == 3 only, 2 mod != 3 only */',
            '    uint8_t pfx;              /* mandatory prefixes accepted (X86_PFX_*) */',
            '    uint8_t modes;            /* X86_MODE_* */',
            '    uint8_t size;             /* X86_SZ_* */',
            '    uint8_t imm;              /* X86_IMM_* */',
            '} X86Form;', '',
            'extern const X86Form x86_forms[X86_OP_COUNT];',
            '/* per map and opcode byte: the first of its forms in x86_form_list and how many */',
            'extern const uint16_t x86_form_index[4][256][2];',
            'extern const uint16_t x86_form_list[];',
            'extern const char *const x86_op_names[X86_OP_COUNT];',
            '#endif', '']
    return '\n'.join(out)


def gen_source(forms, by_op, header_name):
    out = ['/* Generated by scripts/x86decodegen.py - do not edit. */',
           f'#include "{header_name}"', '']
    handlers = sorted({f.handler for f in forms})
    for h in handlers:
        out.append(f'__attribute__((weak)) int x86_op_{h}(X86Cpu *c, const X86Insn *d);')
    out.append('')
    for h in handlers:
        out += [f'__attribute__((weak)) int x86_op_{h}(X86Cpu *c, const X86Insn *d)',
                '{', '    (void)d;', '    x86_raise(c, X86_UD, false, 0);',
                '    return X86_FAULT;', '}']
    out += ['', 'const X86Form x86_forms[X86_OP_COUNT] = {']
    for f in forms:
        flags = []
        if f.modrm:
            flags.append('X86_F_MODRM')
        if f.plusr:
            flags.append('X86_F_PLUSR')
        if f.lock:
            flags.append('X86_F_LOCK')
        if f.modreg:
            flags.append('X86_F_MODREG')
        if f.nofuzz:
            flags.append('X86_F_NOFUZZ')
        if f.vex:
            flags.append('X86_F_VEX')
        out.append(f'    [X86_OP_{f.name}] = {{ x86_op_{f.handler}, X86_OP_{f.name}, {f.map}, '
                   f'0x{f.lo:02x}, 0x{f.hi:02x}, {"|".join(flags) or "0"}, 0x{f.regmask:02x}, '
                   f'{f.mod}, 0x{f.pfx:x}, {f.modes}, X86_SZ_{f.size.upper()}, '
                   f'X86_IMM_{f.imm.upper()} }},')
    out += ['};', '']
    lst = []
    index = {}
    for key, fl in sorted(by_op.items()):
        index[key] = (len(lst), len(fl))
        lst += [f.name for f in fl]
    out.append('const uint16_t x86_form_list[] = {')
    for name in lst:
        out.append(f'    X86_OP_{name},')
    out += ['};', '', 'const uint16_t x86_form_index[4][256][2] = {']
    for (mp, op), (first, n) in sorted(index.items()):
        out.append(f'    [{mp}][0x{op:02x}] = {{ {first}, {n} }},')
    out += ['};', '', 'const char *const x86_op_names[X86_OP_COUNT] = {']
    for f in forms:
        out.append(f'    [X86_OP_{f.name}] = "{f.name}",')
    out += ['};', '']
    return '\n'.join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--header')
    ap.add_argument('--source')
    ap.add_argument('--report', action='store_true',
                    help='list the one-byte and 0F opcodes no form covers')
    ap.add_argument('tables', nargs='+')
    args = ap.parse_args(argv)
    try:
        forms = parse_files(args.tables)
        by_op = check(forms)
    except (DecodeError, OSError) as e:
        print(f'x86decodegen: {e}', file=sys.stderr)
        return 1
    if args.report:
        miss = uncovered(forms)
        print(f'{len(forms)} forms; {len(miss)} one-byte/0F opcodes not covered:')
        for i in range(0, len(miss), 16):
            print('  ' + ' '.join(miss[i:i + 16]))
    if args.header:
        with open(args.header, 'w') as fh:
            fh.write(gen_header(forms))
    if args.source:
        with open(args.source, 'w') as fh:
            fh.write(gen_source(forms, by_op, os.path.basename(args.header or
                                                               'x86_decode_gen.h')))
    return 0


if __name__ == '__main__':
    sys.exit(main())
