"""Where a page's time goes: each SQL statement's time, then the rest (Python, templates).

    BENCH_REUSE_DB=sqlite:////tmp/bench.db python -m bench.profile_page /crm/ [--as manager] [--plan]

Reuses (or builds) the full data set, signs in as the first salesperson (or the manager),
requests the page a few times to warm caches, then once with a timer on every statement.
``--plan`` prints each statement's EXPLAIN QUERY PLAN (SQLite) / EXPLAIN (PostgreSQL).
``--pyinstrument`` profiles the Python side as well.
"""

from __future__ import annotations

import argparse
import os
import time

import sqlalchemy as sa

from bench.bench_pages import signed_in
from bench.dataset import dataset_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("--as", dest="role", default="salesperson", choices=("salesperson", "manager"))
    parser.add_argument("--plan", action="store_true")
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--quick", action="store_true", help="the 1/20 data set")
    parser.add_argument("--repeat", type=int, default=1,
                        help="profile this many requests together (pyinstrument samples every 0.1 ms)")
    args = parser.parse_args(argv)

    from core.db import db

    with dataset_app(20 if args.quick else 1) as (app, info):
        email = "s0@bench.example" if args.role == "salesperson" else "manager@bench.example"
        client = signed_in(app, email)
        for _ in range(3):
            assert client.get(args.url).status_code == 200
        statements: list[tuple[float, str, object]] = []

        def before(conn, cursor, statement, parameters, context, executemany):
            conn.info.setdefault("started", []).append(time.perf_counter())

        def after(conn, cursor, statement, parameters, context, executemany):
            started = conn.info["started"].pop()
            statements.append(((time.perf_counter() - started) * 1000, statement, parameters))

        sa.event.listen(db.engine, "before_cursor_execute", before)
        sa.event.listen(db.engine, "after_cursor_execute", after)
        profiler = None
        if args.pyinstrument:
            from pyinstrument import Profiler
            profiler = Profiler(interval=0.0001)
            profiler.start()
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.repeat):
            client.get(args.url)
        total = (time.perf_counter() - started) * 1000 / args.repeat
        total_cpu = (time.process_time() - cpu) * 1000 / args.repeat
        if profiler:
            profiler.stop()
        del statements[len(statements) // args.repeat:]  # one request's statements
        sa.event.remove(db.engine, "before_cursor_execute", before)
        sa.event.remove(db.engine, "after_cursor_execute", after)

        in_sql = sum(s[0] for s in statements)
        width = int(os.environ.get("BENCH_SQL_WIDTH", 400))  # characters of each statement shown
        for ms, statement, parameters in sorted(statements, key=lambda s: -s[0]):
            print(f"{ms:8.2f} ms  {' '.join(statement.split())[:width]}")
            if args.plan:
                explain = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN ANALYZE "
                with db.engine.connect() as conn:
                    for row in conn.exec_driver_sql(explain + statement, parameters):
                        print("             ", " | ".join(str(v) for v in row))
        print(f"{len(statements)} statements, {in_sql:.1f} ms in SQL; page {total:.1f} ms wall, "
              f"{total_cpu:.1f} ms CPU; outside SQL {total - in_sql:.1f} ms")
        if profiler:
            print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
