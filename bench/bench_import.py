"""CSV lead import: rows per second and peak memory, 100,000 rows (5,000 quick; 1,000,000 with BENCH_IMPORT_MILLION=1).

Each size runs in its own process (so its peak RSS is its own) on a fresh database (SQLite
in a temporary folder, or COMPTOIR_BENCH_DATABASE_URL): a generated CSV file goes through
``modules.crm.services.imports.import_leads`` (duplicates flagged), as the upload page and
``comptoir leads import`` do. Also a script:

    .venv/bin/python -m bench.bench_import --rows 100000
"""

from __future__ import annotations

import csv
import os
import random
import resource
import tempfile
import time
import tracemalloc

from bench.common import in_own_process, script


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


def measure(rows: int) -> dict:
    """Generate, import, report (in this process)."""
    from bench.common import bench_app

    folder = tempfile.mkdtemp(prefix="comptoir-bench-import-")
    csv_path = os.path.join(folder, "leads.csv")
    generate(csv_path, rows)
    with bench_app() as app:
        from core.db import db
        from modules.crm.services import imports

        if os.environ.get("BENCH_TRACEMALLOC"):
            tracemalloc.start()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started, cpu = time.perf_counter(), time.process_time()
        with app.test_request_context(), open(csv_path, "rb") as binary:
            report = imports.import_leads(binary, by=None, duplicates="flag")
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        traced = tracemalloc.get_traced_memory()[1] if tracemalloc.is_tracing() else None
        tracemalloc.stop()
        database = db.engine.dialect.name
    result = {"rows": report.rows, "imported": report.imported, "errors": len(report.errors),
              "flagged": len(report.flagged), "database": database,
              "file_mb": round(os.path.getsize(csv_path) / 1e6, 1), "seconds": round(elapsed, 2),
              "rows_per_s": round(report.rows / elapsed), "cpu_rows_per_s": round(report.rows / cpu),
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
              "rss_before_mb": round(rss_before / 1024, 1)}
    if traced is not None:
        result["traced_peak_mb"] = round(traced / 1e6, 1)
    os.remove(csv_path)
    return result


def run(quick: bool) -> list[dict]:
    sizes = [5_000] if quick else [100_000]
    if not quick and os.environ.get("BENCH_IMPORT_MILLION"):
        sizes.append(1_000_000)
    return [in_own_process("bench_import", "rows", size) for size in sizes]


if __name__ == "__main__":
    script(measure, "rows", 100_000)
