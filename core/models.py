"""The platform's own tables: module states, a key/value store, sequences, settings."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow


class CoreModule(db.Model):
    __tablename__ = "core_module"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # enabled, disabled
    installed_version: Mapped[str | None] = mapped_column(sa.String(40))
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


class CoreMeta(db.Model):
    """Small process-shared values, such as the modules serial."""

    __tablename__ = "core_meta"

    key: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(200), nullable=False)


class Sequence(db.Model):
    """Gap-tolerant, never-repeating counters (quote numbers per year...)."""

    __tablename__ = "core_sequence"

    name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)


class Setting(db.Model):
    __tablename__ = "core_setting"

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text, nullable=False)


def next_in_sequence(name: str) -> int:
    """The next value of counter ``name``, taken atomically inside the caller's
    transaction (the row stays locked until it commits, so numbers never repeat)."""
    session = db.session
    stmt = (
        sa.update(Sequence)
        .where(Sequence.name == name)
        .values(value=Sequence.value + 1)
        .returning(Sequence.value)
    )
    value = session.execute(stmt).scalar()
    if value is None:
        # First use: create the row. A concurrent creator makes the insert fail on the
        # primary key; then the update above wins on the second try.
        try:
            with session.begin_nested():
                session.add(Sequence(name=name, value=1))
            return 1
        except sa.exc.IntegrityError:
            value = session.execute(stmt).scalar()
    return int(value)


class FormToken(db.Model):
    """Single-use tokens of create forms (``core.once``): a double submission creates one record."""

    __tablename__ = "core_form_token"

    token: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
