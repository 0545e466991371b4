"""Running totals kept by the database: dashboards that stay fast on big tables.

A dashboard's figures are GROUP BYs over whole tables (leads by status and source,
opportunities by stage and month, calls per salesperson): at 100,000 leads and 50,000
opportunities each reads tens of thousands of index entries, and a manager's dashboard
took 80-130 ms. A *tally* is a small table holding, for every combination of a few
grouping keys, the number of rows and the sums of some of their columns; triggers on the
source table keep it exact on every insert, update and delete, whatever writes (the ORM,
a bulk ``INSERT ... SELECT``, an import, ``psql``). Reading a figure then sums a few
hundred tally rows instead.

- A module's migration declares a :class:`Tally` and calls :func:`create` (the table is
  also a model of the module, so that queries can name its columns), and :func:`drop` in
  its downgrade. :func:`rebuild` recounts it from the source table, which ``comptoir db
  recount`` does for every tally (after restoring a table without its triggers, say).
- A key is an SQL expression over the source row (``{row}.status``), one per database
  where they differ (a month); keys are never NULL (a missing salesperson is 0, a missing
  month ''), so that the primary key can take the upsert.
- Rows whose count falls to 0 are deleted, so a tally holds only combinations in use.
- SQLite: row triggers (one writer at a time). PostgreSQL: statement triggers over the
  statement's transition tables: its changes are summed per key, keys whose totals do not
  move are left alone (no lock), and the others are upserted in key order, so that two
  statements moving rows between the same tally rows, one row or thousands, cannot
  deadlock. (Two transactions of several statements each may still take the same tally
  rows in opposite orders; PostgreSQL then cancels one, which the app answers with 503 and
  Retry-After, having written nothing.)

A user may be answered from a tally only where it counts exactly the rows they see:
``core.access.tallied(model, user)`` gives that condition on the tally (every row for who
sees every row; the model's ``AccessRule.tallied`` for the others), or None, and then the
live query answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import sqlalchemy as sa

_NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")

#: Every tally declared by the loaded code, by table name.
REGISTRY: dict[str, Tally] = {}


@dataclass(frozen=True)
class Tally:
    table: str
    source: str
    #: tally column -> SQL expression over ``{row}`` (a str, or {dialect: str}).
    keys: dict[str, str | dict[str, str]]
    #: tally column -> SQL expression summed over the rows (``{row}.amount``).
    sums: dict[str, str]
    #: the source columns the keys and sums read (an update of others changes nothing).
    reads: tuple[str, ...]

    def __post_init__(self):
        bad = [n for n in (self.table, self.source, *self.keys, *self.sums, *self.reads)
               if not _NAME.match(n)]
        if bad or "n" in self.keys or "n" in self.sums:
            raise ValueError(f"not plain SQL names (or 'n', the count): {bad}")
        REGISTRY[self.table] = self

    def key_sql(self, dialect: str, row: str) -> list[str]:
        return [(expr if isinstance(expr, str) else expr[dialect]).format(row=row)
                for expr in self.keys.values()]

    def sum_sql(self, row: str) -> list[str]:
        return [expr.format(row=row) for expr in self.sums.values()]

    @property
    def columns(self) -> list[str]:
        return [*self.keys, "n", *self.sums]


def count(model, condition) -> sa.Select | None:
    """The number of source rows the tally ``model``'s rows matching ``condition`` count:
    a list's count from the running totals. None when ``condition`` is (the totals cannot
    answer; the caller counts the table)."""
    if condition is None:
        return None
    return sa.select(sa.func.coalesce(sa.func.sum(model.n), 0)).where(condition)


def _upsert(tally: Tally, dialect: str, row: str, sign: str) -> str:
    values = [*tally.key_sql(dialect, row), f"{sign}1", *(f"{sign}({s})" for s in tally.sum_sql(row))]
    keys = ", ".join(tally.keys)
    add = ", ".join(f"{c} = {tally.table}.{c} + excluded.{c}" for c in ("n", *tally.sums))
    return (f"INSERT INTO {tally.table} ({', '.join(tally.columns)}) "  # nosec B608 - checked names
            f"VALUES ({', '.join(values)}) ON CONFLICT ({keys}) DO UPDATE SET {add}")


def _drop_empty(tally: Tally, dialect: str, row: str) -> str:
    where = " AND ".join(f"{c} = {v}" for c, v in zip(tally.keys, tally.key_sql(dialect, row), strict=True))
    return f"DELETE FROM {tally.table} WHERE {where} AND n = 0"  # nosec B608 - checked names


def _changed(tally: Tally) -> str:
    """SQLite: did the update change a column the tally reads?"""
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in tally.reads)


def ddl(tally: Tally, dialect: str) -> list[str]:
    """The statements creating the triggers of ``tally`` (its table exists)."""
    t = tally.table
    if dialect == "sqlite":
        changed = _changed(tally)
        return [
            f"CREATE TRIGGER {t}_insert AFTER INSERT ON {tally.source} BEGIN "
            f"{_upsert(tally, dialect, 'NEW', '+')}; END",
            f"CREATE TRIGGER {t}_delete AFTER DELETE ON {tally.source} BEGIN "
            f"{_upsert(tally, dialect, 'OLD', '-')}; {_drop_empty(tally, dialect, 'OLD')}; END",
            f"CREATE TRIGGER {t}_update AFTER UPDATE OF {', '.join(tally.reads)} ON {tally.source} "
            f"WHEN {changed} BEGIN "
            f"{_upsert(tally, dialect, 'OLD', '-')}; {_upsert(tally, dialect, 'NEW', '+')}; "
            f"{_drop_empty(tally, dialect, 'OLD')}; END",
        ]
    if dialect == "postgresql":
        # One run per statement, over its transition tables: the statement's changes are
        # summed per key, keys whose totals do not move are left alone, and the others are
        # upserted in key order, so that two statements moving rows between the same tally
        # rows lock them in the same order (no deadlock), whatever the number of rows.
        keys = ", ".join(tally.keys)
        add = ", ".join(f"{c} = {t}.{c} + excluded.{c}" for c in ("n", *tally.sums))

        def delta(row: str, sign: str) -> str:
            values = [*tally.key_sql(dialect, row), f"{sign}1", *(f"{sign}({x})" for x in tally.sum_sql(row))]
            named = ", ".join(f"{v} AS {c}" for v, c in zip(values, tally.columns, strict=True))
            return f"SELECT {named} FROM {'old_rows' if sign == '-' else 'new_rows'} AS {row}"  # nosec B608

        def apply(*parts: str) -> str:
            moved = " OR ".join(f"sum({c}) <> 0" for c in ("n", *tally.sums))
            summed = ", ".join([*tally.keys, *(f"sum({c})" for c in ("n", *tally.sums))])
            return (f"INSERT INTO {t} ({', '.join(tally.columns)}) "  # nosec B608 - checked names
                    f"SELECT {summed} FROM ({' UNION ALL '.join(parts)}) AS d "
                    f"GROUP BY {keys} HAVING {moved} ORDER BY {keys} "
                    f"ON CONFLICT ({keys}) DO UPDATE SET {add}")

        emptied = (f"DELETE FROM {t} WHERE n = 0 AND ({keys}) IN "  # nosec B608 - checked names
                   f"(SELECT {', '.join(tally.key_sql(dialect, 'o'))} FROM old_rows AS o)")
        bodies = {"insert": [apply(delta("r", "+"))],
                  "delete": [apply(delta("o", "-")), emptied],
                  "update": [apply(delta("o", "-"), delta("r", "+")), emptied]}
        tables = {"insert": "NEW TABLE AS new_rows", "delete": "OLD TABLE AS old_rows",
                  "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}
        statements = []
        for event, body in bodies.items():
            statements.append(f"CREATE FUNCTION {t}_{event}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                              f"BEGIN\n  {'; '.join(body)};\n  RETURN NULL;\nEND $$")
            statements.append(f"CREATE TRIGGER {t}_{event} AFTER {event.upper()} ON {tally.source} "
                              f"REFERENCING {tables[event]} FOR EACH STATEMENT EXECUTE FUNCTION {t}_{event}()")
        return statements
    raise NotImplementedError(f"no tally triggers for {dialect}")


def create(op, tally: Tally) -> None:
    """In a migration, after creating the tally's table: its triggers, and its rows counted
    from the source table."""
    bind = op.get_bind()
    for statement in ddl(tally, bind.dialect.name):
        op.execute(statement)
    rebuild(bind, tally)


def drop(op, tally: Tally) -> None:
    """In a migration's downgrade, before dropping the tally's table."""
    t = tally.table
    if op.get_bind().dialect.name == "postgresql":
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {t}_{event} ON {tally.source}")
            op.execute(f"DROP FUNCTION IF EXISTS {t}_{event}()")
    else:
        for suffix in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {t}_{suffix}")


def _counted_sql(tally: Tally, dialect: str) -> str:
    keys = tally.key_sql(dialect, tally.source)
    sums = [f"coalesce(sum({s}), 0)" for s in tally.sum_sql(tally.source)]
    counted = ", ".join([*keys, "count(*)", *sums])
    return f"SELECT {counted} FROM {tally.source} GROUP BY {', '.join(keys)}"  # nosec B608 - checked names


def rebuild(connection, tally: Tally) -> None:
    """Count ``tally`` again from its source table (in the caller's transaction; on
    PostgreSQL the source is locked against writes meanwhile, so none is missed)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(sa.text(f"LOCK TABLE {tally.source} IN SHARE MODE"))
    connection.execute(sa.text(f"DELETE FROM {tally.table}"))  # nosec B608 - checked names
    connection.execute(sa.text(f"INSERT INTO {tally.table} ({', '.join(tally.columns)}) "  # nosec B608
                               + _counted_sql(tally, dialect)))


@contextmanager
def bulk_insert(session, source: str) -> Iterator[None]:
    """Rows inserted into ``source`` inside the block are counted into its tallies by one
    ``INSERT ... SELECT ... GROUP BY`` at its end instead of one run of the insert trigger
    per row (SQLite; elsewhere the triggers count as usual). The triggers cost a CSV import
    a third of its time.

    As :func:`core.search.bulk_insert`: in the caller's write transaction, the insert
    triggers are dropped and created again before anything can be committed, so no other
    connection sees the table without them; new rows are those with an id above the largest
    one before the block; if the block raises, the triggers are put back."""
    tallies = [t for t in REGISTRY.values() if t.source == source]
    if not tallies or session.get_bind().dialect.name != "sqlite":
        yield
        return
    text = sa.text
    names = [f"{t.table}_insert" for t in tallies]
    found = dict(session.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                      "AND name IN :names").bindparams(sa.bindparam("names", expanding=True)),
                                 {"names": names}).all())
    tallies = [t for t in tallies if f"{t.table}_insert" in found]  # a tally not migrated yet
    last = session.execute(text(f"SELECT max(id) FROM {source}")).scalar() or 0  # nosec B608 - checked names
    for t in tallies:
        session.execute(text(f"DROP TRIGGER {t.table}_insert"))
    try:
        yield
        for t in tallies:
            keys = t.key_sql("sqlite", source)
            sums = [f"sum({s})" for s in t.sum_sql(source)]
            add = ", ".join(f"{c} = {t.table}.{c} + excluded.{c}" for c in ("n", *t.sums))
            session.execute(text(
                f"INSERT INTO {t.table} ({', '.join(t.columns)}) "  # nosec B608 - checked names
                f"SELECT {', '.join([*keys, 'count(*)', *sums])} FROM {source} WHERE {source}.id > :last "
                f"GROUP BY {', '.join(keys)} ON CONFLICT ({', '.join(t.keys)}) DO UPDATE SET {add}"),
                {"last": last})
    except BaseException:
        for t in tallies:
            with suppress(Exception):  # the caller's error is the one to report
                session.execute(text(found[f"{t.table}_insert"]))
        raise
    for t in tallies:
        session.execute(text(found[f"{t.table}_insert"]))


def drift(connection, tally: Tally) -> list[tuple[tuple, tuple | None, tuple | None]]:
    """Where ``tally`` differs from a count of its source: (key, stored, counted) rows,
    values as (n, sums...) or None for a missing row. Empty when it is exact."""
    width = len(tally.keys)
    stored = {tuple(r[:width]): tuple(int(v) for v in r[width:]) for r in connection.execute(
        sa.text(f"SELECT {', '.join(tally.columns)} FROM {tally.table}"))}  # nosec B608 - checked names
    counted = {tuple(r[:width]): tuple(int(v) for v in r[width:])
               for r in connection.execute(sa.text(_counted_sql(tally, connection.dialect.name)))}
    return [(key, stored.get(key), counted.get(key)) for key in sorted(stored.keys() | counted.keys(), key=repr)
            if stored.get(key) != counted.get(key)]
