"""Events (calls, meetings, events, tasks), their attendees, reminders and feed secrets."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.auth.models import User
from core.db import TimestampMixin, UTCDateTime, db, utcnow
from core.partners.models import Contact, Partner
from core.tally import Tally

EVENT_TYPES = ("call", "meeting", "event", "task")
EVENT_STATUSES = ("planned", "done", "cancelled")
REMINDER_STATES = ("pending", "sending", "sent", "failed", "cancelled")

event_user = sa.Table(
    "calendar_event_user",
    db.metadata,
    sa.Column("event_id", sa.ForeignKey("calendar_event.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_calendar_event_user_user", "user_id", "event_id"),
)

event_contact = sa.Table(
    "calendar_event_contact",
    db.metadata,
    sa.Column("event_id", sa.ForeignKey("calendar_event.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("contact_id", sa.ForeignKey("core_contact.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_calendar_event_contact_contact", "contact_id", "event_id"),
)


class Event(TimestampMixin, db.Model):
    __tablename__ = "calendar_event"
    __record_type__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="meeting")
    subject: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    start: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    end: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    all_day: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    location: Mapped[str | None] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="planned")
    organizer_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id"), nullable=False)
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_partner.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_contact.id", ondelete="SET NULL"))
    related_type: Mapped[str | None] = mapped_column(sa.String(40))
    related_id: Mapped[int | None] = mapped_column(sa.Integer)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    organizer: Mapped[User] = relationship(foreign_keys=[organizer_id])
    partner: Mapped[Partner | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    attendee_users: Mapped[list[User]] = relationship(secondary=event_user, order_by=User.name)
    attendee_contacts: Mapped[list[Contact]] = relationship(
        secondary=event_contact, order_by=(Contact.last_name, Contact.first_name))
    reminders: Mapped[list[Reminder]] = relationship(
        back_populates="event", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Reminder.due_at, Reminder.id")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("type IN ('call', 'meeting', 'event', 'task')", name="type"),
        sa.CheckConstraint("status IN ('planned', 'done', 'cancelled')", name="status"),
        sa.CheckConstraint('"end" >= start', name="end_after_start"),
        sa.Index("ix_calendar_event_start", "start"),
        sa.Index("ix_calendar_event_end", "end"),
        sa.Index("ix_calendar_event_organizer", "organizer_id", "start"),
        # Calls and meetings per organizer over a period (the CRM dashboard) from the index alone.
        sa.Index("ix_calendar_event_type_organizer", "type", "organizer_id", "start", "status"),
        sa.Index("ix_calendar_event_partner", "partner_id", "start"),
        sa.Index("ix_calendar_event_contact", "contact_id", "start"),
        sa.Index("ix_calendar_event_related", "related_type", "related_id"),
    )

    def __str__(self) -> str:
        return self.subject


class Reminder(db.Model):
    """One delivery: (event, recipient, channel), due at ``due_at``."""

    __tablename__ = "calendar_reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("calendar_event.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id", ondelete="CASCADE"), nullable=False)
    channel: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    offset_minutes: Mapped[int | None] = mapped_column(sa.Integer)
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    late: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    event: Mapped[Event] = relationship(back_populates="reminders")
    user: Mapped[User] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "state IN ('pending', 'sending', 'sent', 'failed', 'cancelled')", name="state"),
        sa.CheckConstraint("offset_minutes IS NULL OR offset_minutes >= 0", name="offset"),
        sa.Index("ix_calendar_reminder_state_due", "state", "due_at"),
    )

    @property
    def spec(self) -> dict:
        if self.offset_minutes is not None:
            return {"offset_minutes": self.offset_minutes, "channel": self.channel}
        return {"remind_at": self.remind_at, "channel": self.channel}


class FeedSecret(db.Model):
    """The nonce behind a user's private ICS feed URL; regenerating it kills the old URL."""

    __tablename__ = "calendar_feed_secret"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True)
    nonce: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


#: Events counted per organizer, type, status and month of start (UTC): the CRM
#: dashboard's activity per salesperson. Kept by triggers (core.tally; calendar_0005).
EVENT_TALLY = Tally(
    table="calendar_event_tally", source="calendar_event",
    keys={"organizer_id": "{row}.organizer_id", "type": "{row}.type", "status": "{row}.status",
          "month": {"sqlite": "strftime('%Y-%m', {row}.start)",
                    "postgresql": "to_char({row}.start AT TIME ZONE 'UTC', 'YYYY-MM')"}},
    sums={}, reads=("organizer_id", "type", "status", "start"))


class EventTally(db.Model):
    """``EVENT_TALLY``'s rows."""

    __tablename__ = "calendar_event_tally"

    organizer_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    n: Mapped[int] = mapped_column(sa.Integer, nullable=False)
