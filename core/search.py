"""Search boxes that stay fast on big tables.

A search box finds the rows where one of a few columns *contains* the typed text
(``LIKE '%text%'``), which no B-tree index can serve: at 100,000 leads both the page's
query and its count read the whole table. So a module's migration gives the searched
columns a substring index (:func:`create_index`), and its queries filter with
:func:`contains`:

- SQLite: an FTS5 table with the trigram tokenizer over the columns (external content:
  it stores only the index; triggers keep it in step with the table). ``contains`` first
  narrows to the rowids MATCHing the text (3 characters or more), then applies the same
  LIKE as before, so the results are exactly those of the plain LIKE.
- PostgreSQL: GIN trigram indexes (``pg_trgm``) on the columns; PostgreSQL serves the
  LIKE from them on its own.

These objects (``<table>_fts*`` tables, ``ix_<table>_<name>_trgm`` indexes) belong to the
migrations, not to the models: schema comparisons skip them (:func:`is_search_object`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import sqlalchemy as sa

MIN_LENGTH = 3  # the trigram index cannot narrow shorter texts: they are scanned


def fts_table(table: str) -> str:
    return f"{table}_fts"


def is_search_object(name: str | None) -> bool:
    """Made by a migration for one database (FTS5 tables, trigram and GiST indexes, indexes
    named ``*_sqlite``), not declared by the models."""
    return bool(name) and (re.fullmatch(r".+_fts(_(data|idx|docsize|config|content))?", name) is not None
                           or name.endswith(("_trgm", "_gist", "_sqlite")))


def _term(q: str) -> str:
    q = "".join(c for c in q if c >= " " or c == "\t")
    return q.strip().lower()


def pattern(q: str) -> str:
    """``q`` as a LIKE pattern matching it anywhere (lowercased; %, _ and \\ escaped)."""
    escaped = _term(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


#: Up to this many matches, a page of them is read through the index (each row fetched by
#: id, then sorted); beyond, the list's own order is walked and each row checked against
#: the matches, which stops at the page's end (see :func:`contains`).
NARROW_LIMIT = 2000
#: Beyond NARROW_LIMIT matches, the first pages walk the list's order checking each row's
#: text (``contains(narrow=None)``), which stops at the page's end: at least 1 row in
#: NARROW_LIMIT / table size matches, so page 4 reads at most 5,000 rows at 100,000 leads.
#: Deeper pages check rows against the index's matches (read whole first: 1-2 ms for 7,400).
TEXT_WALK_PAGES = 4
#: A searched list counts its matches up to this many ("more than 2,000"): see
#: :func:`count_limit`. At least NARROW_LIMIT, which the count decides.
COUNT_LIMIT = NARROW_LIMIT


def count_limit(q: str | None) -> int | None:
    """``core.web.paginate(count_limit=...)`` for a list searched for ``q``: COUNT_LIMIT on
    SQLite, where each match found by the trigram index is then checked in the table (7,400
    matches of "dubois": 5.7 ms, 2.8 counting to 2,000). None, an exact count, without a
    search, and on PostgreSQL: given a LIMIT its planner trades the trigram indexes' bitmap
    scan (6-10 ms for the same count) for a sequential scan it expects to stop early (13)."""
    from core.db import db

    return COUNT_LIMIT if q and db.engine.dialect.name == "sqlite" else None


def contains(table: str, id_column, columns: list, q: str, *, narrow: bool | None = True) -> sa.ColumnElement:
    """Rows of ``table`` where one of ``columns`` (lowercased expressions, those given to
    :func:`create_index`) contains ``q``.

    On SQLite the matching ids come from the trigram index. ``narrow=True`` makes them
    drive the query (best for a count, and for a page of few matches); ``narrow=False``
    only checks rows against them, so a page sorted by an indexed column stops after its
    rows (best when thousands match: fetching and sorting them all took 40-100 ms at
    100,000 leads, against 4 ms); ``narrow=None`` checks the rows' text alone, without
    reading the index's matches first (the first pages of a search with thousands of
    matches: 1.9 -> 0.3 ms for "dubois"). :func:`core.web.paginate` picks by the count and
    the page (``rows_stmt``)."""
    from core.db import unindexed

    like, match = _conditions(table, columns, q)
    if narrow is None or match is None:
        return like
    fts = _fts(table)
    matching = sa.select(fts.c.rowid).where(match).correlate(None)  # its own FROM, always
    ids = id_column if narrow else unindexed(id_column)
    return sa.and_(ids.in_(matching), like)


_FTS_TABLES: dict[str, sa.TableClause] = {}


def _fts(table: str) -> sa.TableClause:
    """``table``'s substring index as a table: one object per table, so that a statement
    names it once in its FROM."""
    fts = _FTS_TABLES.get(table)
    if fts is None:
        fts = _FTS_TABLES[table] = sa.table(fts_table(table), sa.column("rowid"))
    return fts


def _conditions(table: str, columns: list, q: str) -> tuple[sa.ColumnElement, sa.ColumnElement | None]:
    """The LIKE that decides (one of ``columns`` contains ``q``), and the MATCH on
    ``table``'s substring index that narrows to candidates first: None where there is
    none to use (not SQLite: PostgreSQL's trigram indexes serve the LIKE; fewer than 3
    characters)."""
    from core.db import db

    like = sa.or_(*(column.like(pattern(q), escape="\\") for column in columns))
    term = _term(q)
    if db.engine.dialect.name != "sqlite" or len(term) < MIN_LENGTH:
        return like, None
    phrase = '"' + term.replace('"', '""') + '"'  # the text as one FTS phrase, no operators
    return like, sa.literal_column(fts_table(table)).op("MATCH")(phrase)


def narrowed(stmt: sa.Select, table: str, id_column, columns: list, q: str) -> sa.Select:
    """``stmt`` limited to the rows of ``table`` where one of ``columns`` contains ``q``,
    like ``stmt.where(contains(...))`` (narrow), but with the substring index *joined*
    (SQLite): ``JOIN <table>_fts ON rowid = id WHERE <table>_fts MATCH ...``. SQLite builds
    the whole list of an ``IN (SELECT rowid ...)`` before reading the first row, where a
    join reads the index's matches one at a time: a count stopped at 2,001 of the 7,400
    matches of "dubois" took 3.6 ms through the list, 0.7 joined.

    A join, not a condition: only for a statement whose conditions are all AND-ed (a list's
    filters); inside an ``OR`` use :func:`contains`. Elsewhere than SQLite, or for fewer
    than 3 characters, the same condition as ``contains``."""
    like, match = _conditions(table, columns, q)
    if match is None:
        return stmt.where(like)
    fts = _fts(table)
    return stmt.join(fts, fts.c.rowid == id_column).where(match, like)


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_EXPRESSION = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\([A-Za-z_][A-Za-z0-9_]*\))?\Z")  # city, lower(city)


def _checked(table: str, columns: dict[str, str]) -> None:
    """The names go into DDL text: plain identifiers (and one-call expressions) only."""
    bad = [n for n in (table, *columns) if not _IDENTIFIER.match(n)]
    bad += [e for e in columns.values() if not _EXPRESSION.match(e)]
    if bad:
        raise ValueError(f"not plain SQL names: {bad}")


def create_index(op, table: str, columns: dict[str, str]) -> None:
    """In a migration: the substring index of ``table`` over ``columns`` (name -> the SQL
    expression searched on PostgreSQL, e.g. ``{"city": "lower(city)"}``)."""
    _checked(table, columns)
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        fts, names = fts_table(table), ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        # Names checked by _checked(); DDL cannot take bound parameters.
        op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', "
                   f"content_rowid='id', tokenize='trigram')")
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # nosec B608
        op.execute(f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "  # nosec B608
                   f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END")
        op.execute(f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "  # nosec B608
                   f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); END")
        op.execute(f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON {table} BEGIN "  # nosec B608
                   f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); "
                   f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END")
    elif bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, expression in columns.items():
            op.execute(f"CREATE INDEX ix_{table}_{name}_trgm ON {table} "
                       f"USING gin (({expression}) gin_trgm_ops)")


@contextmanager
def bulk_insert(session, table: str) -> Iterator[None]:
    """Rows inserted into ``table`` inside the block get their substring-index entries in
    one ``INSERT ... SELECT`` at its end, instead of one run of the FTS trigger per row
    (SQLite; elsewhere nothing to do). A CSV import spent 45% of its time in that trigger.

    It works in the caller's transaction, which must be a write transaction (so no other
    connection writes meanwhile; SQLite's DDL is transactional): the trigger is dropped and
    created again before the block's changes can be committed, so no other connection ever
    sees the table without it. Rows are recognised by an id above the largest one before
    the block. If the block raises, the trigger is put back (the caller rolls back anyway).
    """
    from sqlalchemy import text

    _checked(table, {})
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    fts = fts_table(table)
    trigger_sql = session.execute(text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
                                  {"name": f"{fts}_insert"}).scalar()
    if trigger_sql is None:  # no substring index on this table
        yield
        return
    names = [row[1] for row in session.execute(text(f"PRAGMA table_info({fts})"))]
    _checked(table, dict.fromkeys(names, "x"))
    columns = ", ".join(names)
    last = session.execute(text(f"SELECT max(id) FROM {table}")).scalar() or 0  # nosec B608 - checked names
    session.execute(text(f"DROP TRIGGER {fts}_insert"))
    try:
        yield
        session.execute(text(f"INSERT INTO {fts}(rowid, {columns}) "  # nosec B608 - checked names
                             f"SELECT id, {columns} FROM {table} WHERE id > :last"), {"last": last})
    except BaseException:
        with suppress(Exception):  # the caller's error is the one to report
            session.execute(text(trigger_sql))
        raise
    session.execute(text(trigger_sql))


def drop_index(op, table: str, columns: dict[str, str]) -> None:
    _checked(table, columns)
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        fts = fts_table(table)
        for suffix in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")
    elif bind.dialect.name == "postgresql":
        for name in columns:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_{name}_trgm")
