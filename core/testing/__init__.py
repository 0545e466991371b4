"""Test helpers for Comptoir and its plugins (the pytest plugin is ``pytest_plugin``)."""

from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_queries(engine):
    """Count the SQL statements run on ``engine`` inside the block (BEGIN/COMMIT excluded).

    Query budgets: ``with count_queries(db.engine) as q: client.get(...)``, then compare
    ``q.count`` for 10 and 1,000 rows: it must not grow with the data.
    """
    counter = QueryCounter()

    def before(conn, cursor, statement, parameters, context, executemany):
        text = statement.strip().upper()
        if not text.startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")):
            counter.statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
