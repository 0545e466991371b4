"""Markdown tables from a results file of bench/run.py (for bench/RESULTS.md).

    python -m bench.report [bench/out/results.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def table(rows: list[dict], columns: list[str] | None = None) -> str:
    rows = [r for r in rows if r]
    if not rows:
        return ""
    columns = columns or list(dict.fromkeys(k for r in rows for k in r))
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = argv if argv is not None else sys.argv[1:]
    path = Path(argv[0] if argv else Path(__file__).parent / "out" / "results.json")
    results = json.loads(path.read_text())
    print(f"Machine: {results['machine']}, quick: {results['quick']}\n")
    for name, bench in results["benchmarks"].items():
        print(f"### {name} ({bench['seconds']} s)\n")
        rows = bench["rows"]
        if name == "bench_pages":
            pages = [r for r in rows if "page" in r]
            print(table(pages, ["page", "as", "median_ms", "p95_ms", "cpu_ms", "queries", "bare_ms",
                                "ratio", "bare_cpu_ms", "cpu_ratio", "target_ms", "ok"]))
            print()
            print(table([r for r in rows if "page" not in r]))
        else:
            print(table(rows))
        print()


if __name__ == "__main__":
    main()
