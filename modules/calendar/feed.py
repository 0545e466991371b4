"""The private iCalendar feed of a user: ``/api/v1/calendar/feed/<secret>.ics``.

The secret is ``<user id>-<HMAC(SECRET_KEY, user id, nonce)>``: nothing to store until the
user regenerates it (a new random nonce), which kills the old URL at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from icalendar import Calendar
from icalendar import Event as IcsEvent

from core.auth.models import User
from core.db import db, utcnow
from core.web import int_or_none
from modules.calendar import services
from modules.calendar.jobs import event_path
from modules.calendar.models import Event, FeedSecret

FEED_PAST = timedelta(days=183)
FEED_LIMIT = 5000


def _signature(user_id: int, nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"calendar-feed:{user_id}:{nonce}".encode(), hashlib.sha256).hexdigest()[:40]


def _nonce(user_id: int) -> str:
    return db.session.scalar(sa.select(FeedSecret.nonce).where(FeedSecret.user_id == user_id)) or "0"


def secret_for(user) -> str:
    return f"{user.id}-{_signature(user.id, _nonce(user.id))}"


def feed_url(user) -> str:
    base = current_app.config.get("BASE_URL", "").rstrip("/")
    return f"{base}/api/v1/calendar/feed/{secret_for(user)}.ics"


def regenerate(user) -> str:
    """A new secret; the old URL stops working."""
    row = db.session.get(FeedSecret, user.id)
    if row is None:
        row = FeedSecret(user_id=user.id, nonce="")
        db.session.add(row)
    row.nonce = secrets.token_hex(16)
    row.created_at = utcnow()
    db.session.commit()
    return secret_for(user)


def user_for_secret(secret: str) -> User | None:
    ident, _, signature = (secret or "").partition("-")
    user_id = int_or_none(ident) if ident.isascii() and ident.isdigit() else None
    if user_id is None or len(signature) != 40:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(signature, _signature(user.id, _nonce(user.id))):
        return None
    return user


STATUS = {"planned": "CONFIRMED", "done": "CONFIRMED", "cancelled": "CANCELLED"}


def build_ics(user) -> bytes:
    """The user's events (organized or attended) from six months ago on, in UTC; all-day
    events as DATE values."""
    base = current_app.config.get("BASE_URL", "").rstrip("/")
    stmt = (services.involving(sa.select(Event), user.id)
            .where(Event.end >= utcnow() - FEED_PAST)
            .options(sa.orm.joinedload(Event.partner), sa.orm.joinedload(Event.organizer))
            .order_by(Event.start).limit(FEED_LIMIT))
    cal = Calendar()
    cal.add("prodid", "-//Comptoir//Calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"Comptoir – {user.name}")
    cal.add("x-wr-timezone", "UTC")
    for event in db.session.scalars(stmt).unique():
        item = IcsEvent()
        item.add("uid", f"event-{event.id}@comptoir")
        item.add("dtstamp", event.updated_at)
        item.add("last-modified", event.updated_at)
        item.add("created", event.created_at)
        item.add("sequence", event.version)
        if event.all_day:
            item.add("dtstart", event.start.date())
            item.add("dtend", event.end.date())
        else:
            item.add("dtstart", event.start)
            item.add("dtend", event.end)
        item.add("summary", event.subject)
        if event.location:
            item.add("location", event.location)
        details = [event.description or ""]
        if event.partner is not None:
            details.insert(0, event.partner.name)
        item.add("description", "\n\n".join(d for d in details if d))
        item.add("status", STATUS[event.status])
        item.add("categories", [event.type])
        item.add("url", base + event_path(event.id))
        item.add("organizer", f"mailto:{event.organizer.email}", parameters={"cn": event.organizer.name})
        cal.add_component(item)
    return cal.to_ical()
