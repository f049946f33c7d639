"""Benchmarks: every measure as one JSON line, then `N passed, M failed`; non-zero exit on a miss.

    .venv/bin/python benchmarks/bench.py [resolve ingest budget summary export preferences http] [--scale S]

Runs on a throw-away database: BENCH_DATABASE_URL, else DATABASE_URL's server with `<name>_bench`, else
a SQLite file in var/. `--scale 1` is the issue's sizes (1M ledger and export rows, a 10k-operation run,
100k audit rows, 10k profiles); `--scale 0.001 --rounds 1` is the smoke run of the test suite.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import Harness, bench_database_url, database_create, database_drop  # noqa: E402

BENCHES = ["resolve", "ingest", "budget", "summary", "export", "preferences", "http"]


def main(only: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", nargs="*", help=f"some of: {' '.join(BENCHES)} (default: all)")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each HTTP load run")
    parser.add_argument("--suffix", default="_bench", help="added to DATABASE_URL's database name")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    chosen = only or args.which or BENCHES
    unknown = sorted(set(chosen) - set(BENCHES))
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHES)}")
    url = bench_database_url(args.suffix)
    h = Harness(scale=args.scale, rounds=args.rounds, seconds=args.seconds, database_url=url)
    started = time.monotonic()
    errors = []
    database_create(url)
    try:
        for name in chosen:
            try:
                importlib.import_module(f"benchmarks.bench_{name}").run(h)
            except Exception as error:  # a benchmark that breaks is a failed measure, and the others still run
                errors.append(name)
                h.report(f"{name}_error", 0, None, ok=False, note=f"{type(error).__name__}: {error}"[:300])
    finally:
        if not args.keep:
            database_drop(url)
    failed = sum(not r["ok"] for r in h.results)
    print(f"{len(h.results) - failed} passed, {failed} failed ({time.monotonic() - started:.0f} s, "
          f"scale {args.scale}, {'PostgreSQL' if url.startswith('postgres') else 'SQLite'})", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
