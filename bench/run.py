"""Run the benchmarks: every ``bench/bench_*.py`` module with a ``run(quick: bool) -> list[dict]``.

    python -m bench.run --quick          # minutes (make bench)
    python -m bench.run                  # the full sizes of bench/RESULTS.md
    python -m bench.run --only reminders

Each row is printed as it comes and all rows are written to ``bench/out/results.json``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def discover(only: str | None) -> list[str]:
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if only:
        names = [n for n in names if only in n]
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes in all")
    parser.add_argument("--only", help="run the benchmarks whose name contains this")
    args = parser.parse_args(argv)
    results = {"machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                           "cpus": __import__("os").cpu_count()},
               "quick": args.quick, "benchmarks": {}}
    failed = False
    for name in discover(args.only):
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}: {(module.__doc__ or '').strip().splitlines()[0]}", flush=True)
        started = time.perf_counter()
        try:
            rows = module.run(quick=args.quick)
        except Exception as exc:  # a failed benchmark is reported, the others still run
            failed = True
            print(f"   FAILED: {exc!r}", flush=True)
            continue
        for row in rows:
            print("   " + ", ".join(f"{k}={v}" for k, v in row.items()), flush=True)
        results["benchmarks"][name] = {"rows": rows, "seconds": round(time.perf_counter() - started, 2)}
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str))
    print(f"results in {out / 'results.json'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
