"""CSV exports: streamed (memory stays flat), access-filtered by the caller's query, and
escaped against formula injection (a cell starting with = + - @ or a control character
is prefixed with a quote so spreadsheets show it as text)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import Response, stream_with_context

from core.db import db

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")


def safe_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def csv_rows(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield "\ufeff" + buffer.getvalue()  # BOM: spreadsheets read UTF-8 right
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(v) for v in row])
        yield buffer.getvalue()


def csv_response(filename: str, header: list[str], stmt: sa.Select,
                 row: Callable[[object], list], batch: int = 1000) -> Response:
    """Stream the rows of ``stmt`` (already restricted with ``access.visible``)."""

    def records():
        result = db.session.execute(stmt.execution_options(yield_per=batch)).scalars()
        for record in result:
            yield row(record)

    response = Response(stream_with_context(csv_rows(header, records())), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
