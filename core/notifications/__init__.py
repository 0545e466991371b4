"""In-app notifications (the bell) and the registry of reminder channels.

A channel delivers a message to a user. ``transactional`` channels (the in-app one)
write in the caller's transaction, so marking a reminder sent and delivering it happen
together: exactly once. Others (email, webhooks) run after the claim is committed and
are retried: at least once, with a stable key a receiver can use to drop duplicates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow


class Notification(db.Model):
    __tablename__ = "core_notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    body: Mapped[str | None] = mapped_column(sa.Text)
    url: Mapped[str | None] = mapped_column(sa.String(500))
    # A stable key (e.g. "reminder:42") makes a repeated delivery a no-op.
    key: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sa.Index("ix_core_notification_user_read", "user_id", "read_at", "id"),)

    @property
    def read(self) -> bool:
        return self.read_at is not None


def _add_unread_count_to_users() -> None:
    """``User.unread_notifications``: the bell's count as a deferred column of the user, so
    that signing a request's user in (``core.app``'s user loader undefers it) reads it in
    the same query instead of a query of its own on every page. A commit expires it, so a
    request that marks notifications read and then draws the bell reads it again."""
    from core.auth.models import User

    User.unread_notifications = sa.orm.column_property(
        sa.select(sa.func.count(Notification.id))
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .correlate_except(Notification).scalar_subquery(),
        deferred=True)


_add_unread_count_to_users()


@dataclass
class Message:
    """What a channel delivers."""

    user_id: int
    title: str
    body: str = ""
    url: str | None = None
    kind: str = "reminder"
    key: str | None = None
    html: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class Channel:
    name: str
    label: str
    deliver: Callable[[Message], None]
    transactional: bool = False
    #: optional: deliver a batch at once (same effect as ``deliver`` on each message).
    deliver_many: Callable[[list[Message]], None] | None = None


def notify(message: Message) -> Notification | None:
    """Add an in-app notification in the current transaction (no-op if its key exists)."""
    if message.key is not None:
        exists = db.session.scalar(
            sa.select(Notification.id).where(Notification.key == message.key)
        )
        if exists is not None:
            return None
    notification = Notification(
        user_id=message.user_id,
        kind=message.kind,
        title=message.title[:200],
        body=message.body,
        url=message.url,
        key=message.key,
    )
    db.session.add(notification)
    return notification


def notify_many(messages: list[Message]) -> list[Notification]:
    """``notify`` for a batch: one query for the keys that exist, one insert."""
    keys = [m.key for m in messages if m.key is not None]
    existing: set[str] = set()
    for start in range(0, len(keys), 500):
        existing.update(db.session.scalars(
            sa.select(Notification.key).where(Notification.key.in_(keys[start:start + 500]))))
    added, seen = [], set()
    for message in messages:
        if message.key is not None and (message.key in existing or message.key in seen):
            continue
        seen.add(message.key)
        added.append(Notification(user_id=message.user_id, kind=message.kind, title=message.title[:200],
                                  body=message.body, url=message.url, key=message.key))
    db.session.add_all(added)
    return added


def channels() -> dict[str, Channel]:
    """The reminder channels of the active modules, by name."""
    from core.plugins import call_each, flatten

    return {
        channel.name: channel
        for _module, channel in flatten(call_each("register_reminder_channels", safe=True))
    }
