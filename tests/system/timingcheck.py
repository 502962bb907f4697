#!/usr/bin/env python3
"""What the timing workloads (workloads/tests/t*.c) must print under `--timing inorder`,
worked out from the model's definition (docs/timing.md, issue 13) independently of hvsim:
the helper of tests/system/timing-validate.sh.

  timingcheck.py params FILE V0 V1 ...     the parameter block the workloads read
                                           (wl_param: magic, count, 64-bit values)
  timingcheck.py chase OUT L1D L2 LAT1 LAT2 MEM
                                           the pointer chase's plateaus
  timingcheck.py branch OUT ELF MODEL ENTRIES RAS
                                           tbranch's counts against a predictor model
  timingcheck.py walkform KIND N1 N2 CACHE NESTED
                                           descriptor reads per walk (closed form)

A check prints "ok" and what it measured, or the first thing that differs; exit 0 either way
when it ran (1 on unusable input), so the caller decides PASS, FAIL or SKIP.
"""
import re
import struct
import subprocess
import sys

PARAMS_MAGIC = 0x4D524150454D4954  # "TIMEPARM", workloads/lib/timing.h


def write_params(path, values):
    with open(path, "wb") as f:
        f.write(struct.pack("<%dQ" % (2 + len(values)), PARAMS_MAGIC, len(values), *values))


# ---- the pointer chase ------------------------------------------------------------------
# A load that hits L1D has its result LAT1 cycles after it issues, and the next load of the
# chain needs it: LAT1 cycles a load. A load that misses stalls the core LAT2 (L2 hit) or MEM
# cycles in total. Each 16 loads also carry a SUBS and a B.NE, which either issue in a load's
# shadow or add a cycle each: at most 2/16 = 0.125 a load. The loop exit's mispredict and the
# ISB/MRS pairs around the window come once per window of at least 4096 loads: below 0.025 a
# load for costs up to 100 cycles. So a plateau is within [LAT, LAT + 0.15].
CHASE_TOLERANCE = 0.15


def chase(out, l1d, l2, lat1, lat2, mem):
    rows = [(int(w), int(c), int(n)) for w, n, c in
            re.findall(r"^ws=(\d+) cycles_per_load=[\d.]+ loads=(\d+) cycles=(\d+)$", out, re.M)]
    if not rows:
        return "no ws= lines"
    seen = {"l1d": [], "l2": [], "memory": []}
    for ws, cycles, loads in rows:
        if ws <= l1d:
            level, lat = "l1d", lat1
        elif 2 * l1d <= ws <= l2 // 2:
            level, lat = "l2", lat2
        elif ws >= 2 * l2:
            level, lat = "memory", mem
        else:
            continue  # between plateaus: a mix of hits and misses
        cpl = cycles / loads
        if not lat <= cpl <= lat + CHASE_TOLERANCE:
            return f"ws={ws}: {cpl:.3f} cycles a load, want {lat}..{lat + CHASE_TOLERANCE} ({level})"
        seen[level].append(cpl)
    if not all(seen.values()):
        return f"a plateau without a working set: {seen}"
    return "ok " + " ".join(f"{k}={min(v):.3f}..{max(v):.3f}" for k, v in seen.items())


# ---- the branch patterns ----------------------------------------------------------------
# tbranch's windows, instruction by instruction (workloads/tests/tbranch.c): the conditional
# branches as (offset from the pattern's symbol, taken), in order; every window also has the
# driver's BL and the pattern's RET.
def loop63():
    for outer in range(16):
        for i in range(64):
            yield 12, i < 63          # inner B.NE
        yield 20, outer < 15          # outer B.NE


def alt():
    for x1 in range(128, 0, -1):
        yield 8, x1 % 2 == 0          # B.EQ after TST x1, #1
        yield 20, x1 > 1              # loop B.NE


def ind():
    for x1 in range(64, 0, -1):
        yield 32, x1 > 1              # loop B.NE after the BLR


PATTERNS = {
    # name: (symbol, its conditional branches, branches in a window, mispredicts of the
    # indirect branches and returns as f(window, return-stack entries))
    "loop63": ("tb_loop63", loop63, 2 + 16 * 65, lambda w, ras: 0),
    "alt": ("tb_alt", alt, 2 + 256, lambda w, ras: 0),
    # 24 distinct return addresses pushed into a 16-entry stack: whether it wraps or drops,
    # the 8 oldest are gone when their RETs come
    "chain24": (None, None, 48, lambda w, ras: max(0, 24 - ras)),
    "chain12": (None, None, 24, lambda w, ras: max(0, 12 - ras)),
    # the BTB holds a BLR's last target: a new target each time misses every time; the same
    # target misses once, cold (the BLRs' RETs are on the return stack)
    "ind2": ("tb_ind2", ind, 2 + 64 * 3, lambda w, ras: 64),
    "ind1": ("tb_ind1", ind, 2 + 64 * 3, lambda w, ras: 1 if w == 0 else 0),
}


class Predictor:
    """2-bit saturating counters initialised to 1 (weakly not-taken); bimodal indexes with
    (PC >> 2) mod entries, gshare with that XOR the last log2(entries) outcomes. `seed`
    stands for the program's code before the pattern: counters it left anywhere (0-3)."""

    def __init__(self, model, entries, history=0, seed=None):
        self.model, self.entries = model, entries
        self.bits = entries.bit_length() - 1
        self.table = {}
        self.hist = history
        self.seed = seed

    def counter(self, i):
        if self.seed is None:
            return 1
        return (i * 2654435761 + self.seed) % 7 % 4

    def run(self, pc, taken):
        i = (pc >> 2) % self.entries
        if self.model == "gshare":
            i = ((pc >> 2) ^ self.hist) % self.entries
        c = self.table.get(i, self.counter(i))
        miss = (c >= 2) != taken
        self.table[i] = min(c + 1, 3) if taken else max(c - 1, 0)
        self.hist = ((self.hist << 1) | int(taken)) & ((1 << self.bits) - 1)
        return miss


def symbols(elf):
    """{name: address} of an ELF's symbols, and the span of its code in bytes"""
    out = subprocess.run(["nm", elf], check=True, capture_output=True, text=True).stdout
    rows = [f for f in (l.split() for l in out.splitlines()) if len(f) == 3]
    code = [int(f[0], 16) for f in rows if f[1] in "tT"]
    return {f[2]: int(f[0], 16) for f in rows}, max(code) - min(code) + 4


WINDOWS = 4


def expected_windows(name, syms, model, entries, ras, history, seed=None):
    sym, gen, branches, other = PATTERNS[name]
    p = Predictor(model, entries, history, seed)
    wins = []
    for w in range(WINDOWS):
        cond = sum(p.run(syms[sym] + off, t) for off, t in gen()) if gen else 0
        wins.append((branches, cond + other(w, ras)))
    return wins


def branch(out, elf, model, entries, ras):
    got = {}
    for name, win, pred, mis in re.findall(
            r"^pattern=(\S+) window=(\S+) br_pred=(\d+) br_mis_pred=(\d+)$", out, re.M):
        got.setdefault(name, []).append((int(pred), int(mis)))
    if set(got) != set(PATTERNS) or any(len(v) != WINDOWS for v in got.values()):
        return "tbranch printed " + repr(got)
    syms, code_span = symbols(elf)
    notes = []
    for name in PATTERNS:
        if model == "bimodal":
            # no other branch shares a counter with the pattern's when the program's text
            # spans fewer than `entries` instructions
            if code_span > 4 * entries:
                return f"the program is larger than {entries} instructions: counters alias"
            want = expected_windows(name, syms, model, entries, ras, 0)
        else:
            # gshare's history when a pattern starts is the program's before it, and so are
            # the counters its first indexes meet: the first window's indexes differ from the
            # later ones', whose counters the program may have left anywhere, and two updates
            # saturate a counter. So the third warm window is the pattern's own: the same
            # count from 8 starting histories, each with counters 1 and with counters left
            # pseudo-randomly
            tries = {expected_windows(name, syms, model, entries, ras, h, seed)[3]
                     for h in (0, 1, 0x155, 0xaaa, 0xfff, 0x3c, 0x800, 0x7ff)
                     for seed in (None, 1, 2, 3)}
            if len(tries) != 1:
                notes.append(f"{name}: the last window depends on the state before it")
                continue
            want = [None, None, None, tries.pop()]
        for w, (g, e) in enumerate(zip(got[name], want)):
            if e is not None and g != e:
                return (f"{name} window {w}: br_pred {g[0]} br_mis_pred {g[1]}, "
                        f"want {e[0]} and {e[1]} ({model}, {entries} entries, RAS {ras})")
    return "ok " + " ".join(f"{n}={','.join(str(m) for _, m in v)}" for n, v in got.items()) + \
        ("; " + "; ".join(notes) if notes else "")


# ---- page walks -------------------------------------------------------------------------
def walkform(kind, n1, n2, cache, nested):
    """Descriptor reads of one walk as docs/timing.md defines them, every non-leaf entry
    cached when the walk caches are on."""
    if kind == "s1":
        return 1 if cache else n1
    if kind == "s2":
        return 1 if cache else n2
    if not cache:
        return (n1 + 1) * (n2 + 1) - 1    # each s1 table's IPA and the output through stage 2
    if not nested:
        return n1 + 2     # a stage-2 leaf per s1 table, the s1 leaf, the final stage-2 leaf
    return 2              # the s1 leaf and the final stage-2 leaf


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 1
    cmd, args = argv[1], argv[2:]
    try:
        if cmd == "params":
            write_params(args[0], [int(v, 0) for v in args[1:]])
            return 0
        if cmd == "chase":
            print(chase(open(args[0]).read(), *(int(v) for v in args[1:6])))
            return 0
        if cmd == "branch":
            print(branch(open(args[0]).read(), args[1], args[2], int(args[3]), int(args[4])))
            return 0
        if cmd == "walkform":
            print(walkform(args[0], int(args[1]), int(args[2]), args[3] == "on", args[4] == "on"))
            return 0
    except (OSError, IndexError, ValueError, KeyError, subprocess.CalledProcessError) as e:
        print(f"timingcheck: {cmd}: {e}", file=sys.stderr)
        return 1
    print(f"timingcheck: unknown command {cmd}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
