#!/usr/bin/env python3
"""Reads hvsim's --stats JSON for the system tests.

  statsget.py FILE NAME          the entry's value (nothing, exit 1, if it has none)
  statsget.py FILE --names RE    the names of the numeric entries matching RE, one per line
  statsget.py FILE --pairs RE    '"name": value' of those entries, on one line
"""
import json
import re
import sys


def show(v):
    return str(v) if isinstance(v, int) else repr(v)


def main():
    with open(sys.argv[1]) as f:
        stats = json.load(f)
    numbers = {k: v for k, v in stats.items()
               if isinstance(v, (int, float)) and not isinstance(v, bool)}
    if len(sys.argv) == 3:
        if sys.argv[2] not in numbers:
            return 1
        print(show(numbers[sys.argv[2]]))
        return 0
    pattern = re.compile(sys.argv[3])
    hits = [(k, v) for k, v in numbers.items() if pattern.fullmatch(k)]
    if sys.argv[2] == "--names":
        print("\n".join(k for k, _ in hits))
    else:
        print(" ".join('"%s": %s' % (k, show(v)) for k, v in hits))
    return 0


if __name__ == "__main__":
    sys.exit(main())
