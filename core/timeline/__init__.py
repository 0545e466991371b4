"""The history of each record: who did what, when, and what changed.

Modules write it only through :func:`record` so that every timeline looks alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.auth.models import User
from core.db import UTCDateTime, db, utcnow


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Mark a message for translation at display time (it is stored untranslated)."""
    return message


class TimelineEntry(db.Model):
    __tablename__ = "core_timeline_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    record_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    message: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    params: Mapped[dict | None] = mapped_column(sa.JSON)
    changes: Mapped[dict | None] = mapped_column(sa.JSON)

    user: Mapped[User | None] = relationship()

    __table_args__ = (sa.Index("ix_core_timeline_record", "record_type", "record_id", "at"),)

    @property
    def text(self) -> str:
        text = gettext(self.message)
        if self.params:
            try:
                return text % self.params
            except (KeyError, TypeError, ValueError):
                return text
        return text


@dataclass
class Entry:
    """A timeline item for display, stored (TimelineEntry) or contributed by a hook."""

    at: datetime
    kind: str
    text: str
    user: Any = None
    changes: dict | None = None
    url: str | None = None
    icon: str = "dot"


def record_type_of(record: Any) -> str:
    return getattr(record, "__record_type__", None) or record.__tablename__


def record(
    target: Any,
    kind: str,
    message: str,
    *,
    by: User | None = None,
    params: dict | None = None,
    changes: dict | None = None,
) -> TimelineEntry:
    """Append an entry to ``target``'s timeline, in the caller's transaction."""
    if target.id is None:
        db.session.flush()
    entry = TimelineEntry(
        record_type=record_type_of(target),
        record_id=target.id,
        user_id=by.id if by is not None else None,
        kind=kind,
        message=message,
        params=_jsonable(params),
        changes=_jsonable(changes),
    )
    db.session.add(entry)
    return entry


def _jsonable(value):
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def changes_between(record_obj: Any, new_values: dict) -> dict:
    """{field: [old, new]} for the values that differ."""
    diff = {}
    for name, new in new_values.items():
        old = getattr(record_obj, name, None)
        if old != new:
            diff[name] = [old, new]
    return diff


def entries_for(target: Any, user: User, limit: int = 100) -> list[Entry]:
    """The stored entries of a record plus those that modules add, newest first."""
    from core.plugins import call_each, flatten

    rows = db.session.scalars(
        sa.select(TimelineEntry)
        .options(sa.orm.joinedload(TimelineEntry.user))
        .where(
            TimelineEntry.record_type == record_type_of(target),
            TimelineEntry.record_id == target.id,
        )
        .order_by(TimelineEntry.at.desc(), TimelineEntry.id.desc())
        .limit(limit)
    ).all()
    entries = [
        Entry(at=r.at, kind=r.kind, text=r.text, user=r.user, changes=r.changes) for r in rows
    ]
    extra = call_each(
        "timeline_entries", record_type=record_type_of(target), record=target, user=user
    )
    entries.extend(value for _module, value in flatten(extra))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
