"""`python -m bench [name ...]` (what `make bench` runs): every bench/bench_*.py, or the named ones."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller data sets, for a smoke run")
    args = parser.parse_args(argv)
    here = Path(__file__).parent
    available = sorted(m.name.removeprefix("bench_") for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    chosen = args.names or available
    unknown = set(chosen) - set(available)
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}; available: {', '.join(available)}")
    for name in chosen:
        print(f"== {name} ==", flush=True)
        importlib.import_module(f"bench.bench_{name}").run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
