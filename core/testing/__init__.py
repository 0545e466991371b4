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


def schema_diff(engine, metadata, prefix: str = "") -> list:
    """What Alembic's autogenerate finds between the migrated database and the models
    (``alembic check``), restricted to the tables named ``prefix*``: a module's tests call
    ``assert schema_diff(db.engine, db.metadata, "crm_") == []``.

    SQLAlchemy cannot reflect SQLite's expression indexes (``lower(email)``), so Alembic
    leaves them out there; this checks instead that each one exists by name (PostgreSQL
    compares them in full). The substring-search indexes of ``core.search`` belong to the
    migrations alone and are not compared."""
    import warnings

    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from core import search
    from core.migrate import VERSION_TABLE

    with engine.connect() as conn, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "version_table": VERSION_TABLE,
            "include_object": lambda obj, name, *_: not search.is_search_object(name)})
        diff = [d for d in compare_metadata(context, metadata) if prefix in repr(d)]
        if conn.dialect.name == "sqlite":
            existing = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars())
            for table in metadata.tables.values():
                for index in table.indexes:
                    expression = any(not isinstance(e, sa.Column) for e in index.expressions)
                    if expression and table.name.startswith(prefix) and index.name not in existing:
                        diff.append(("missing expression index", table.name, index.name))
    return diff
