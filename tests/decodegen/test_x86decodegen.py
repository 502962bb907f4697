"""Tests of scripts/x86decodegen.py: parsing, the overlap check, the completeness report."""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', '..')
sys.path.insert(0, os.path.join(ROOT, 'scripts'))
import x86decodegen as g  # noqa: E402


def forms(text):
    return [g.parse_line(line, f't:{n}') for n, line in enumerate(text.strip().split('\n'), 1)]


class TestParse(unittest.TestCase):
    def test_attributes(self):
        (f,) = forms('GRP1_EvIz 81 /0-6 v Iz lock @grp1')
        self.assertEqual((f.map, f.lo, f.hi), (0, 0x81, 0x81))
        self.assertEqual(f.regmask, 0x7f)
        self.assertTrue(f.modrm and f.lock)
        self.assertEqual((f.size, f.imm, f.handler), ('v', 'Iz', 'grp1'))

    def test_map_range_and_prefixes(self):
        (f,) = forms('BSWAP 0F:C8-CF +r v @bswap')
        self.assertEqual((f.map, f.lo, f.hi, f.plusr), (1, 0xc8, 0xcf, True))
        (f,) = forms('TZCNT 0F:BC M v pF3 @tzcnt')
        self.assertEqual(f.pfx, g.PFX_BITS['pF3'])

    def test_errors(self):
        for bad in ('X 66 @h',              # a prefix byte is no opcode
                    'X 01 M',               # no handler
                    'X 01 M frob @h',       # unknown attribute
                    'X 50-53 +r @h',        # +r needs eight opcodes
                    'X 01 b v @h',          # two sizes
                    'X 04 lock @h'):        # lock without a memory operand
            with self.assertRaises(g.DecodeError, msg=bad):
                forms(bad)


class TestOverlap(unittest.TestCase):
    def test_same_digit_overlaps(self):
        with self.assertRaises(g.DecodeError) as cm:
            g.check(forms('A F7 /2-3 v @a\nB F7 /3 v @b'))
        self.assertIn('A overlaps B', str(cm.exception))

    def test_disjoint_digits_prefixes_modes(self):
        g.check(forms('A F7 /2-3 v @a\nB F7 /4 v @b'))
        g.check(forms('BSF 0F:BC M pNP p66 @a\nTZCNT 0F:BC M pF3 @b'))
        g.check(forms('ARPL 63 M i64 @a\nMOVSXD 63 M o64 @b'))
        g.check(forms('A 0F:C7 /6 mod3 @a\nB 0F:C7 /6 modm @b'))

    def test_range_overlap_and_modrm_agreement(self):
        with self.assertRaises(g.DecodeError):
            g.check(forms('A 70-7F Jb @a\nB 7C @b'))
        with self.assertRaises(g.DecodeError):
            g.check(forms('A 0F:C7 /1 @a\nB 0F:C7 o64 @b'))     # one has ModRM, one not

    def test_vex_and_legacy_forms_do_not_overlap(self):
        g.check(forms('ADX 0F38:F6 M p66 pF3 @a\nMULX 0F38:F6 M pF2 vex @b\n'
                      'MULX2 0F38:F6 M pF3 vex @c'))
        with self.assertRaises(g.DecodeError):
            g.check(forms('A 0F38:F7 M pNP vex @a\nB 0F38:F7 M vex @b'))

    def test_prefix_any_overlaps_specific(self):
        with self.assertRaises(g.DecodeError):
            g.check(forms('A 0F:B8 M @a\nB 0F:B8 M pF3 @b'))

    def test_duplicate_name(self):
        with self.assertRaises(g.DecodeError):
            g.check(forms('A 01 M @a\nA 02 M @a'))


class TestReport(unittest.TestCase):
    def test_uncovered_lists_missing_and_skips_prefixes(self):
        miss = g.uncovered(forms('A 00-05 M @a'))
        self.assertNotIn('00', miss)
        self.assertIn('06', miss)
        self.assertNotIn('66', miss)
        self.assertIn('0F:05', miss)

    def test_project_tables_generate(self):
        tables = sorted(os.path.join(ROOT, 'cpu/x86_64/decode', n)
                        for n in os.listdir(os.path.join(ROOT, 'cpu/x86_64/decode')))
        with tempfile.TemporaryDirectory() as d:
            h, c = os.path.join(d, 'x.h'), os.path.join(d, 'x.c')
            r = subprocess.run([sys.executable, os.path.join(ROOT, 'scripts/x86decodegen.py'),
                                '--report', '--header', h, '--source', c] + tables,
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn('not covered', r.stdout)
            with open(c) as fh:
                src = fh.read()
            self.assertIn('__attribute__((weak)) int x86_op_alu(', src)
            self.assertIn('[X86_OP_ADD_EbGb] = "ADD_EbGb"', src)


if __name__ == '__main__':
    unittest.main()
