"""Tests of scripts/decodegen.py: parsing, overlap check, field extraction."""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'scripts'))
import decodegen  # noqa: E402


def parse(text, name='t.decode'):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, name)
        with open(p, 'w') as f:
            f.write(text)
        return decodegen.parse_files([p])


class TestParse(unittest.TestCase):
    def test_mask_match_and_fields(self):
        (p,) = parse('HVC 11010100 000 imm:16 000 10\n')
        self.assertEqual(p.mask, 0xffe0001f)
        self.assertEqual(p.match, 0xd4000002)
        self.assertEqual(p.fields, [('imm', 5, 16, False)])
        self.assertEqual(p.group, 't')

    def test_signed_field_and_attrs(self):
        (p,) = parse('B 0 00101 imm:s26 !nofuzz prep=branch\n')
        self.assertEqual(p.fields, [('imm', 0, 26, True)])
        self.assertEqual(p.attrs, ['nofuzz'])
        self.assertEqual(p.prep, 'branch')

    def test_wrong_length(self):
        with self.assertRaises(decodegen.DecodeError):
            parse('X 0101 imm:3\n')

    def test_duplicate_field(self):
        with self.assertRaises(decodegen.DecodeError):
            parse('X a:16 a:16\n')


class TestOverlap(unittest.TestCase):
    def test_overlap_is_error(self):
        pats = parse('A 1 ...............................\nB .......................... 00000 0\n')
        with self.assertRaises(decodegen.DecodeError) as cm:
            decodegen.check(pats)
        self.assertIn('A overlaps B', str(cm.exception))

    def test_disjoint_ok(self):
        pats = parse('A 1 ...............................\nB 0 ...............................\n')
        decodegen.check(pats)

    def test_group_allows_overlap(self):
        pats = parse('{\nA 1 0000000000000000000000000000000\n'
                     'B 1 ...............................\n}\n')
        decodegen.check(pats)


class TestGeneratedDecoder(unittest.TestCase):
    """Compile the generated decoder with the host compiler and run it."""

    def test_decode_and_sign_extension(self):
        table = ('{\nMOVZ_ZERO 1 10100101 00 0000000000000000 rd:5\n'
                 'MOVZ 1 10100101 hw:2 imm:16 rd:5\n}\n'
                 'B 0 00101 imm:s26\n')
        with tempfile.TemporaryDirectory() as d:
            tp = os.path.join(d, 't.decode')
            with open(tp, 'w') as f:
                f.write(table)
            os.makedirs(os.path.join(d, 'cpu', 'arm64'))
            with open(os.path.join(d, 'cpu', 'arm64', 'cpu.h'), 'w') as f:
                f.write('typedef struct Arm64Cpu Arm64Cpu;\ntypedef struct A64Insn A64Insn;\n'
                        'struct A64Insn { const A64Insn *(*fn)(Arm64Cpu *, const A64Insn *); };\n'
                        'static inline const A64Insn *a64_unimplemented(Arm64Cpu *c, '
                        'const A64Insn *d, const char *w) { (void)c; (void)w; return d; }\n')
            h = os.path.join(d, 'a64_decode_gen.h')
            c = os.path.join(d, 'a64_decode_gen.c')
            self.assertEqual(decodegen.main(['--header', h, '--source', c, tp]), 0)
            main = os.path.join(d, 'main.c')
            with open(main, 'w') as f:
                f.write('#include <stdio.h>\n#include "a64_decode_gen.h"\n'
                        '#define P(n) bool a64_prep_##n(A64Insn *d, const A64Args *a)'
                        '{(void)d;(void)a;return true;}\nP(MOVZ_ZERO) P(MOVZ)\n'
                        'int main(void){A64Args a;int op;\n'
                        'op=a64_decode_args(0xd2800000u|(3u<<21)|(0x1234u<<5)|7,&a);'
                        'printf("%d %lld %lld %lld\\n",op,(long long)a.hw,(long long)a.imm,(long long)a.rd);\n'
                        'op=a64_decode_args(0xd2800005u,&a);printf("%d\\n",op);\n'
                        'op=a64_decode_args(0x17ffffffu,&a);printf("%d %lld\\n",op,(long long)a.imm);\n'
                        'op=a64_decode_args(0xffffffffu,&a);printf("%d\\n",op);\n'
                        '/* B has no prep function here: the weak fallback stops as unimplemented */\n'
                        'A64Insn ins = {0}; a64_decode_args(0x17ffffffu,&a);\n'
                        'int ok=a64_prep_op(A64_OP_B,&ins,&a);\n'
                        'printf("%d %d\\n",ok,ins.fn!=0&&ins.fn(0,&ins)==&ins);'
                        'return 0;}\n')
            exe = os.path.join(d, 'main')
            subprocess.check_call(['cc', '-std=gnu11', '-Wall', '-Werror', '-I', d, main, c,
                                   '-o', exe])
            out = subprocess.check_output([exe]).decode().split('\n')
            self.assertEqual(out[0], '1 3 4660 7')
            self.assertEqual(out[1], '0')
            self.assertEqual(out[2], '2 -1')
            self.assertEqual(out[3], '-1')
            self.assertEqual(out[4], '1 1')


if __name__ == '__main__':
    unittest.main()
