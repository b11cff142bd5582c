"""Benchmarks (`make bench`): `python -m bench [import|settlement|bridge|search|payments] [options]`; with no name, all
run with their defaults. Each prints its figures next to a baseline measured in the same run."""

from __future__ import annotations

import sys

from bench import bridge, elder_import, payments, search, settlement

BENCHMARKS = {"import": elder_import.main, "settlement": settlement.main, "bridge": bridge.main,
              "search": search.main, "payments": payments.main}


def main(argv: list[str]) -> int:
    if argv and argv[0] in BENCHMARKS:
        return BENCHMARKS[argv[0]](argv[1:])
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if argv:
        print(f"unknown benchmark {argv[0]!r}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    return max(run([]) for run in BENCHMARKS.values())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
