"""Unit tests of scripts/sweep's pure parts: the grid's expansion order and the Slurm array
list, which check-slurm exercises only where Slurm runs."""
import importlib.machinery
import importlib.util
import os
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
_loader = importlib.machinery.SourceFileLoader(
    "sweep", os.path.join(HERE, "..", "..", "scripts", "sweep"))
_spec = importlib.util.spec_from_loader("sweep", _loader)
sweep = importlib.util.module_from_spec(_spec)
_loader.exec_module(sweep)


def grid(text):
    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as f:
        f.write(text)
    try:
        return sweep.parse_grid(f.name)
    finally:
        os.unlink(f.name)


class ArraySpec(unittest.TestCase):
    def test_ranges(self):
        self.assertEqual(sweep.array_spec([0, 1, 2, 3]), "0-3")
        self.assertEqual(sweep.array_spec([1, 3, 4]), "1,3-4")
        self.assertEqual(sweep.array_spec([5]), "5")
        self.assertEqual(sweep.array_spec([0, 2, 4, 5, 6, 9]), "0,2,4-6,9")


class Expand(unittest.TestCase):
    def test_grid_order_and_commands(self):
        runs = sweep.expand(*grid(
            "[sweep]\nhvsim = /bin/hvsim\nargs = -m 256M\nrepetitions = 2\n"
            "[param smp]\noption = -smp\nvalues = 1 2\n"
            "[param extra]\noption =\nvalues = \"--quantum 10\" \"\"\n"
            "[workload a]\nkernel = /k/a.elf\n"
            "[workload b]\nkernel = /k/Image\ninitrd = /k/i.gz\nappend = console=ttyAMA0 quiet\n"))
        self.assertEqual(len(runs), 16)
        self.assertEqual([r["index"] for r in runs], list(range(16)))
        self.assertEqual([tuple(r["labels"].values()) for r in runs[:4]],
                         [("a", "1", "--quantum 10", "0"), ("a", "1", "--quantum 10", "1"),
                          ("a", "1", "", "0"), ("a", "1", "", "1")])
        self.assertEqual(runs[0]["argv"], ["/bin/hvsim", "-m", "256M", "-smp", "1",
                                           "--quantum", "10", "-kernel", "/k/a.elf"])
        self.assertEqual(runs[15]["argv"], ["/bin/hvsim", "-m", "256M", "-smp", "2",
                                            "-kernel", "/k/Image", "-initrd", "/k/i.gz",
                                            "-append", "console=ttyAMA0 quiet"])

    def test_refused(self):
        for text in ("[param run]\noption = -x\nvalues = 1\n[workload a]\nkernel = k\n",
                     "[param p]\nvalues = 1\n[param p]\nvalues = 2\n[workload a]\nkernel = k\n",
                     "[sweep]\ntimeout = 0\n[workload a]\nkernel = k\n",
                     "[workload a]\nargs = \"unclosed\n",
                     "[workloads a]\nkernel = k\n"):
            with self.assertRaises(sweep.GridError, msg=text):
                grid(text)


if __name__ == "__main__":
    unittest.main()
