"""Helpers shared by the benchmarks: a throw-away application and database, timing and
memory figures."""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path


def peak_rss_mb() -> float:
    """Peak resident memory of this process, in MiB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@contextmanager
def bench_app(db_url: str | None = None, fresh: bool = True, **config):
    """An application on a fresh, migrated database (SQLite in a temporary folder unless
    ``db_url`` or COMPTOIR_BENCH_DATABASE_URL says otherwise), inside an app context.
    ``fresh=False`` keeps what the database holds (a data set built earlier)."""
    from core import create_app
    from core.db import db
    from core.module_admin import upgrade_all
    from core.testing.pytest_plugin import _reset_schema, discover_modules

    with tempfile.TemporaryDirectory() as tmp:
        url = db_url or os.environ.get("COMPTOIR_BENCH_DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.db'}"
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                          "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                          "COMPTOIR_MODULES_OVERRIDE": discover_modules(None), **config})
        with app.app_context():
            if fresh:
                _reset_schema(db.engine)
            upgrade_all()
            db.session.remove()
            try:
                yield app
            finally:
                db.session.remove()
                db.engine.dispose()


def timed(fn, repeat: int) -> dict:
    """Median and 95th percentile of ``fn()`` in milliseconds (wall clock), and the median
    CPU time of this process per call (``cpu_ms``: steadier than the wall clock on a busy
    machine; it includes SQLite's work, which runs in process, not PostgreSQL's)."""
    samples, cpu = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    return {"median_ms": round(statistics.median(samples), 2), "p95_ms": round(p95, 2),
            "cpu_ms": round(statistics.median(cpu), 2), "n": repeat}


ROOT = Path(__file__).resolve().parent.parent


def in_own_process(module: str, option: str, size: int) -> dict:
    """Run ``python -m bench.<module> --<option> SIZE --json`` and return its result: a
    measure whose peak memory must be its own (``ru_maxrss`` only grows in a process)."""
    out = subprocess.run([sys.executable, "-m", f"bench.{module}", f"--{option}", str(size), "--json"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def script(measure, option: str, default: int) -> None:
    """The command line of such a bench: ``--<option> N`` (default ``default``), ``--json``."""
    parser = argparse.ArgumentParser()
    parser.add_argument(f"--{option}", type=int, default=default)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(getattr(args, option))
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
