"""Benchmark of the CSV lead import: N generated rows (100,000 by default) into a fresh
SQLite database (or COMPTOIR_SQLALCHEMY_DATABASE_URI); reports rows/s and peak memory.

    .venv/bin/python -m bench.lead_import [--rows 100000]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import tempfile
import time
import tracemalloc


def generate(path: str, rows: int) -> None:
    rng = random.Random(42)
    sources = ["website", "trade show", "event", "referral", "cold call", "other", ""]
    cities = ["Paris", "Lyon", "Nantes", "Lille", "Bordeaux", "Marseille", "Toulouse"]
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["First name", "Last name", "Company", "Email", "Phone", "City",
                         "Source", "Description"])
        for i in range(rows):
            writer.writerow([
                f"First{i}", f"Last{i}", f"Company {i % 5000} SARL", f"person{i}@firm{i % 9000}.example",
                f"+33 1 {rng.randint(10, 99)} {rng.randint(10, 99)} {i % 100:02d} {i // 100 % 100:02d}",
                rng.choice(cities), rng.choice(sources), "Imported for the benchmark."])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="comptoir-bench-")
    csv_path = os.path.join(folder, "leads.csv")
    generate(csv_path, args.rows)
    os.environ.setdefault("COMPTOIR_SQLALCHEMY_DATABASE_URI", f"sqlite:///{folder}/bench.db")

    from core import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "bench"})
    with app.app_context():
        from core.module_admin import upgrade_all
        from modules.crm.services import imports

        upgrade_all()
        if os.environ.get("BENCH_TRACEMALLOC"):
            tracemalloc.start()
        started, cpu_started = time.perf_counter(), time.process_time()
        with open(csv_path, "rb") as binary:
            report = imports.import_leads(binary, by=None, duplicates="flag")
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        peak = tracemalloc.get_traced_memory()[1] if tracemalloc.is_tracing() else None
        tracemalloc.stop()
    size = os.path.getsize(csv_path) / 1e6
    print(f"rows: {report.rows:,}  imported: {report.imported:,}  errors: {len(report.errors)}  "
          f"flagged: {len(report.flagged)}")
    print(f"file: {size:.1f} MB  time: {elapsed:.2f} s  rate: {report.rows / elapsed:,.0f} rows/s "
          f"(CPU time of this process: {cpu:.2f} s, {report.rows / cpu:,.0f} rows per CPU second)")
    if peak is not None:
        print(f"peak traced Python memory during the import: {peak / 1e6:.1f} MB")
    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB "
          f"(set BENCH_TRACEMALLOC=1 to trace Python allocations, slower)")


if __name__ == "__main__":
    main()
