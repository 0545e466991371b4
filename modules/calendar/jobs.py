"""Reminder dispatch, run by ``comptoir scheduler`` every few seconds (several schedulers
may run at once).

1. ``sending`` claims older than ``STALE_AFTER`` go back to ``pending`` (a scheduler died
   between its claim and its send).
2. A batch of due pending reminders of planned events is claimed in one transaction:
   PostgreSQL ``SELECT ... FOR UPDATE SKIP LOCKED``, then a conditional
   ``UPDATE ... WHERE state = 'pending'`` on both databases (on SQLite the transaction is
   ``BEGIN IMMEDIATE``: a single writer). In that same transaction the reminders of
   *transactional* channels (the in-app notification) are delivered and marked ``sent``:
   exactly once.
3. The others (email, plugins' channels) are committed as ``sending``, delivered outside
   the transaction (stable Message-ID ``<reminder-N@comptoir>``), then marked ``sent``; a
   failure goes back to ``pending`` with a backoff, and after ``MAX_ATTEMPTS`` to ``failed``.
"""

from __future__ import annotations

import logging
import time as _time
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_date, format_time
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape

from core.db import db, is_postgres, sqlite_begin_mode, utcnow
from core.i18n import format_moment
from core.notifications import Message, channels, notify
from modules.calendar.models import Event, Reminder

log = logging.getLogger("comptoir.calendar.reminders")

BATCH = 500
STALE_AFTER = timedelta(minutes=5)
LATE_AFTER = timedelta(seconds=60)
MAX_ATTEMPTS = 4
BACKOFF_SECONDS = (60, 300, 1800)  # after the 1st, 2nd, 3rd failure


@dataclass
class Outgoing:
    reminder_id: int
    claimed_at: datetime
    attempts: int
    channel: str
    message: Message


def event_path(event_id: int) -> str:
    return f"/calendar/events/{event_id}"


def build_message(reminder: Reminder, event: Event, user, cache: dict | None = None) -> Message:
    """The reminder as the user reads it: their language and time zone, a link back.
    ``cache`` shares the texts between the recipients of one event who read alike."""
    locale = user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    tz_name = user.timezone or current_app.config.get("BABEL_DEFAULT_TIMEZONE", "UTC")
    key = (event.id, locale, tz_name)
    texts = cache.get(key) if cache is not None else None
    if texts is None:
        texts = _texts(event, locale, ZoneInfo(tz_name))
        if cache is not None:
            cache[key] = texts
    title, text, html, link = texts
    return Message(user_id=user.id, title=title, body=text, url=event_path(event.id), kind="reminder",
                   key=f"reminder:{reminder.id}", html=html,
                   extra={"event_id": event.id, "absolute_url": link, "reminder_id": reminder.id,
                          "message_id": f"<reminder-{reminder.id}@comptoir>"})


def _texts(event: Event, locale: str, tz: ZoneInfo) -> tuple[str, str, str, str]:
    base = current_app.config.get("BASE_URL", "").rstrip("/")
    link = base + event_path(event.id)
    with force_locale(locale):
        if event.all_day:
            last_day = (event.end - timedelta(days=1)).date()
            when = format_date(event.start.date(), "full", locale=locale)
            if last_day > event.start.date():
                when += " – " + format_date(last_day, "full", locale=locale)
        else:
            # "Monday, November 30, 2026, 11:00 AM – 12:00 PM (Europe/Paris)": the zone named,
            # as the mail may be read elsewhere.
            end = (format_time(event.end, "short", tzinfo=tz, locale=locale)
                   if event.end.astimezone(tz).date() == event.start.astimezone(tz).date()
                   else format_moment(event.end, locale, tz, "full"))
            when = f"{format_moment(event.start, locale, tz, 'full')} – {end} ({tz.key})"
        kind = {"call": _("Call"), "meeting": _("Meeting"), "event": _("Event"), "task": _("Task")}[event.type]
        title = _("Reminder: %(subject)s", subject=event.subject)
        rows = [(_("Type"), kind), (_("When"), when)]
        if event.location:
            rows.append((_("Where"), event.location))
        if event.partner is not None:
            rows.append((_("Partner"), event.partner.name))
        if event.contact is not None:
            rows.append((_("Contact"), event.contact.name))
        open_label = _("Open the event")

        def line(label: str, value: str) -> str:  # "When: ...", "Quand : ..." (French spacing)
            return _("%(label)s: %(value)s", label=label, value=value)

        text = "\n".join([event.subject, ""] + [line(k, v) for k, v in rows]
                         + ([""] + [event.description] if event.description else []) + ["", line(open_label, link)])
    html = (
        f"<html><body style=\"font-family:sans-serif\"><h2>{escape(event.subject)}</h2><table>"
        + "".join(f"<tr><th align=\"left\" style=\"padding-right:1em\">{escape(k)}</th><td>{escape(v)}</td></tr>"
                  for k, v in rows)
        + "</table>"
        + (f"<p style=\"white-space:pre-wrap\">{escape(event.description)}</p>" if event.description else "")
        + f"<p><a href=\"{escape(link)}\">{escape(open_label)}</a></p></body></html>"
    )
    return title, text, html, link


def requeue_stale(now: datetime) -> int:
    result = db.session.execute(
        sa.update(Reminder.__table__)
        .where(Reminder.__table__.c.state == "sending", Reminder.__table__.c.claimed_at < now - STALE_AFTER)
        .values(state="pending", claimed_at=None))
    db.session.commit()
    if result.rowcount:
        log.warning("%d stale reminder claims went back to pending", result.rowcount)
    return result.rowcount


def _claim_batch(now: datetime, known: dict, cache: dict) -> tuple[int, list[Outgoing], int]:
    """Claim up to BATCH due reminders; deliver the transactional ones in the same
    transaction; return the others, committed as ``sending``."""
    table = Reminder.__table__
    stmt = (sa.select(table.c.id).join(Event.__table__, Event.__table__.c.id == table.c.event_id)
            .where(table.c.state == "pending", table.c.due_at <= now, Event.__table__.c.status == "planned")
            .order_by(table.c.due_at, table.c.id).limit(BATCH))
    if is_postgres():
        stmt = stmt.with_for_update(skip_locked=True, of=table)
    ids = db.session.scalars(stmt).all()
    if not ids:
        db.session.commit()
        return 0, [], 0
    claimed = db.session.scalars(
        sa.update(table).where(table.c.id.in_(ids), table.c.state == "pending")
        .values(state="sending", claimed_at=now, attempts=table.c.attempts + 1)
        .returning(table.c.id)).all()
    if not claimed:
        db.session.commit()
        return 0, [], 0
    rows = db.session.scalars(
        sa.select(Reminder).where(Reminder.id.in_(claimed))
        .options(sa.orm.joinedload(Reminder.user),
                 sa.orm.joinedload(Reminder.event).joinedload(Event.partner),
                 sa.orm.joinedload(Reminder.event).joinedload(Event.contact))
        .execution_options(populate_existing=True)).unique().all()
    done, outgoing, batches = [], [], {}
    for reminder in rows:
        channel = known.get(reminder.channel)
        late = now - reminder.due_at > LATE_AFTER
        if channel is None:
            done.append({"id": reminder.id, "state": "failed", "late": late,
                         "last_error": f"channel {reminder.channel!r} is not available"})
            continue
        message = build_message(reminder, reminder.event, reminder.user, cache)
        if channel.transactional:
            batches.setdefault(channel.name, []).append(message)
            done.append({"id": reminder.id, "state": "sent", "sent_at": now, "late": late, "last_error": None})
        else:
            outgoing.append(Outgoing(reminder.id, now, reminder.attempts, reminder.channel, message))
    with db.session.no_autoflush:  # the notifications go in one batch at the commit
        for name, messages in batches.items():
            channel = known[name]
            if channel.deliver_many is not None:
                channel.deliver_many(messages)
            else:
                for message in messages:
                    channel.deliver(message)
    sent = sum(len(m) for m in batches.values())
    if done:
        db.session.execute(sa.update(Reminder), done)
    db.session.commit()
    return sent, outgoing, len(claimed)


def _send(item: Outgoing, known: dict) -> bool:
    table = Reminder.__table__
    mine = sa.and_(table.c.id == item.reminder_id, table.c.state == "sending",
                   table.c.claimed_at == item.claimed_at)
    try:
        known[item.channel].deliver(item.message)
    except Exception as exc:  # any channel failure is retried, then shown on the event
        error = f"{type(exc).__name__}: {exc}"[:500]
        if item.attempts >= MAX_ATTEMPTS:
            values = {"state": "failed", "last_error": error}
            log.error("reminder %s failed for good: %s", item.reminder_id, error)
        else:
            delay = BACKOFF_SECONDS[min(item.attempts, len(BACKOFF_SECONDS)) - 1]
            values = {"state": "pending", "claimed_at": None, "last_error": error,
                      "due_at": utcnow() + timedelta(seconds=delay)}
            log.warning("reminder %s failed (attempt %s), retry in %ss: %s",
                        item.reminder_id, item.attempts, delay, error)
        result = db.session.execute(sa.update(table).where(mine).values(**values))
        if values["state"] == "failed" and result.rowcount == 1 and item.channel != "notification":
            # Tell the user in the app, in the same transaction (once: a stable key).
            notify(Message(user_id=item.message.user_id, kind="reminder_failed",
                           title=_("A reminder could not be sent: %(title)s", title=item.message.title),
                           body=error, url=item.message.url, key=f"reminder-failed:{item.reminder_id}"))
        db.session.commit()
        return False
    now = utcnow()
    db.session.execute(sa.update(table).where(mine).values(
        state="sent", sent_at=now, last_error=None,
        late=sa.case((table.c.due_at < now - LATE_AFTER, True), else_=False)))
    db.session.commit()
    return True


def dispatch_reminders(app=None, *, now: datetime | None = None, budget_seconds: float = 25.0) -> int:
    """Deliver the due reminders; returns how many were delivered."""
    token = sqlite_begin_mode.set("IMMEDIATE")
    try:
        db.session.commit()  # start from a fresh transaction
        known = channels()
        requeue_stale(now or utcnow())
        delivered, started, cache = 0, _time.monotonic(), {}
        while _time.monotonic() - started < budget_seconds:
            sent, outgoing, claimed = _claim_batch(now or utcnow(), known, cache)
            delivered += sent
            for item in outgoing:
                delivered += _send(item, known)
            if claimed < BATCH:
                break
        return delivered
    finally:
        sqlite_begin_mode.reset(token)

