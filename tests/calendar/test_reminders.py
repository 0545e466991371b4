"""Reminder dispatch: exactly once in-app (even with racing dispatchers), email through a
real SMTP server with retries, late reminders, never for cancelled or deleted events."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.db import db, utcnow
from core.notifications import Notification
from modules.calendar import jobs, services
from modules.calendar.models import Reminder
from tests.calendar.conftest import at


def event_with(user, *reminders, start=None, **values):
    data = {"subject": "Démonstration", "start": start or at(1), "location": "Lyon",
            "reminders": [{"offset_minutes": m, "channel": c} for m, c in reminders]}
    data.update(values)
    return services.create_event(data, by=user)


def reminders(**filters):
    db.session.expire_all()
    return db.session.scalars(sa.select(Reminder).filter_by(**filters).order_by(Reminder.id)).all()


def test_not_due_yet_is_not_sent(sales):
    event_with(sales, (15, "notification"))
    assert jobs.dispatch_reminders() == 0
    assert reminders()[0].state == "pending"


def test_in_app_notification_exactly_once(sales, sales2, partner):
    event = event_with(sales, (15, "notification"), attendee_user_ids=[sales2.id], partner_id=partner.id)
    due = event.start - timedelta(minutes=15)
    assert jobs.dispatch_reminders(now=due + timedelta(seconds=5)) == 2
    assert jobs.dispatch_reminders(now=due + timedelta(seconds=10)) == 0
    rows = reminders()
    assert {r.state for r in rows} == {"sent"} and not any(r.late for r in rows)
    notes = db.session.scalars(sa.select(Notification).order_by(Notification.user_id)).all()
    assert [n.user_id for n in notes] == sorted([sales.id, sales2.id])
    note = notes[0]
    assert note.key == f"reminder:{rows[0].id}" or note.key.startswith("reminder:")
    assert note.title == "Reminder: Démonstration"
    assert note.url == f"/calendar/events/{event.id}"
    assert "Lyon" in note.body and partner.name in note.body


@pytest.mark.parametrize(("locale", "same_day", "other_day"), [
    ("en", "When: Monday, March 1, 2027, 10:00\u202fAM – 11:30\u202fAM (Europe/Paris)",
     "When: Monday, March 1, 2027, 10:00\u202fAM – Tuesday, March 2, 2027, 9:00\u202fAM (Europe/Paris)"),
    ("fr", "Quand\u00a0: lundi 1 mars 2027, 10:00 – 11:30 (Europe/Paris)",
     "Quand\u00a0: lundi 1 mars 2027, 10:00 – mardi 2 mars 2027, 09:00 (Europe/Paris)"),
])
def test_reminder_says_when_in_the_recipients_language_and_time_zone(sales, locale, same_day, other_day):
    """The day in full, the times without seconds, the end's day only when it is another
    one, and the zone named (a mail may be read elsewhere)."""
    from datetime import UTC, datetime

    from core.auth.services import update_user

    update_user(sales, locale=locale, timezone="Europe/Paris")
    start = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    event_with(sales, (15, "notification"), start=start, end=start + timedelta(minutes=90))
    event_with(sales, (15, "notification"), start=start, end=start + timedelta(hours=23))
    assert jobs.dispatch_reminders(now=start - timedelta(minutes=14)) == 2
    bodies = db.session.scalars(sa.select(Notification.body)).all()
    # Both reminders are due at once: the dispatcher's order between them is not defined.
    assert sorted(line for body in bodies for line in body.splitlines() if line.startswith(same_day[:5])) == sorted(
        [same_day, other_day])


def test_overdue_at_start_is_sent_and_marked_late(sales):
    event_with(sales, (60, "notification"), start=utcnow() + timedelta(minutes=10))  # due 50 minutes ago
    assert jobs.dispatch_reminders() == 1
    row = reminders()[0]
    assert row.state == "sent" and row.late


def test_never_for_cancelled_or_deleted_events(sales):
    cancelled = event_with(sales, (60, "notification"), start=utcnow() + timedelta(minutes=10))
    deleted = event_with(sales, (60, "notification"), start=utcnow() + timedelta(minutes=10))
    services.cancel_event(cancelled, by=sales)
    services.delete_event(deleted, by=sales)
    # Even a pending row left on a cancelled event is never claimed.
    db.session.execute(sa.update(Reminder).values(state="pending"))
    db.session.commit()
    assert jobs.dispatch_reminders() == 0
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_moving_an_event_moves_its_reminder(sales):
    event = event_with(sales, (30, "notification"), start=utcnow() + timedelta(minutes=10))
    services.move_event(event, at(3), None, by=sales)
    assert jobs.dispatch_reminders() == 0
    assert reminders()[0].due_at == at(3) - timedelta(minutes=30)


def test_stale_sending_claims_go_back_to_pending(sales):
    event_with(sales, (60, "notification"), start=utcnow() + timedelta(minutes=10))
    db.session.execute(sa.update(Reminder).values(state="sending", claimed_at=utcnow() - timedelta(minutes=6)))
    db.session.commit()
    assert jobs.dispatch_reminders() == 1
    assert reminders()[0].state == "sent"
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 1


def test_fresh_sending_claims_are_left_alone(sales):
    event_with(sales, (60, "notification"), start=utcnow() + timedelta(minutes=10))
    db.session.execute(sa.update(Reminder).values(state="sending", claimed_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert jobs.dispatch_reminders() == 0
    assert reminders()[0].state == "sending"


def test_racing_dispatchers_deliver_each_once(app, sales, sales2):
    """Four dispatchers in threads (separate sessions and connections) on one SQLite file."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the PostgreSQL race runs real scheduler processes (test_postgres.py)")
    start = utcnow() + timedelta(minutes=5)
    for i in range(30):
        event_with(sales, (10, "notification"), (20, "notification"), start=start + timedelta(seconds=i),
                   attendee_user_ids=[sales2.id] if i % 2 else [])
    total = len(reminders())
    assert total == 90
    db.session.commit()  # this thread's transaction must not hold SQLite's write lock
    results, errors = [], []
    barrier = threading.Barrier(4)

    def run():
        with app.app_context():
            try:
                barrier.wait()
                results.append(jobs.dispatch_reminders(app))
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sum(results) == total
    keys = db.session.scalars(sa.select(Notification.key)).all()
    assert len(keys) == total == len(set(keys))
    assert {r.state for r in reminders()} == {"sent"}


def test_unknown_channel_is_failed_not_lost(sales):
    event_with(sales, (60, "notification"), start=utcnow() + timedelta(minutes=10))
    db.session.execute(sa.update(Reminder).values(channel="sms"))
    db.session.commit()
    jobs.dispatch_reminders()
    row = reminders()[0]
    assert row.state == "failed" and "sms" in row.last_error


def test_a_plugin_channel_is_used(sales, monkeypatch):
    from core.notifications import Channel, channels

    got = []
    extra = dict(channels())
    extra["sms"] = Channel("sms", "SMS", got.append)
    monkeypatch.setattr(jobs, "channels", lambda: extra)
    monkeypatch.setattr(services, "_reminder_specs", services._reminder_specs)
    event_with(sales, (60, "notification"), start=utcnow() + timedelta(minutes=10))
    db.session.execute(sa.update(Reminder).values(channel="sms"))
    db.session.commit()
    assert jobs.dispatch_reminders() == 1
    assert len(got) == 1 and got[0].title == "Reminder: Démonstration"
    assert reminders()[0].state == "sent"


# --- email -----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's API
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(app):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield inbox
    controller.stop()


def test_email_through_a_real_smtp_server(smtp, sales, partner):
    event = event_with(sales, (60, "email"), start=utcnow() + timedelta(minutes=10), partner_id=partner.id,
                       description="Apporter les échantillons")
    assert jobs.dispatch_reminders() == 1
    assert len(smtp.messages) == 1
    rcpt, raw = smtp.messages[0]
    assert rcpt == [sales.email]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    row = reminders()[0]
    assert msg["Message-ID"] == f"<reminder-{row.id}@comptoir>"  # stable: a receiver drops a duplicate
    assert msg["Subject"] == "Reminder: Démonstration"
    parts = {p.get_content_type(): p.get_content() for p in msg.walk()
             if not p.is_multipart()}
    assert set(parts) == {"text/plain", "text/html"}
    for part in parts.values():
        assert f"/calendar/events/{event.id}" in part
        assert partner.name in part and "Lyon" in part and "échantillons" in part
    assert "<a href=" in parts["text/html"]
    assert row.state == "sent" and row.attempts == 1
    assert jobs.dispatch_reminders() == 0
    assert len(smtp.messages) == 1


def test_failed_email_is_retried_then_failed_and_shown(app, login, sales):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)  # nothing listens
    event = event_with(sales, (60, "email"), start=utcnow() + timedelta(minutes=10))
    now = utcnow()
    assert jobs.dispatch_reminders(now=now) == 0
    row = reminders()[0]
    assert row.state == "pending" and row.attempts == 1 and row.last_error
    assert row.due_at > now  # backoff
    for attempt in range(2, jobs.MAX_ATTEMPTS + 1):
        now = reminders()[0].due_at + timedelta(seconds=1)
        assert jobs.dispatch_reminders(now=now) == 0
        assert reminders()[0].attempts == attempt
    row = reminders()[0]
    assert row.state == "failed" and row.attempts == jobs.MAX_ATTEMPTS
    assert jobs.dispatch_reminders(now=now + timedelta(days=1)) == 0
    note = db.session.scalars(sa.select(Notification)).one()  # the user is told in the app
    assert note.user_id == sales.id and note.kind == "reminder_failed" and note.url == f"/calendar/events/{event.id}"
    page = login(sales).get(f"/calendar/events/{event.id}")
    assert b'data-reminder-state="failed"' in page.data and b"Failed" in page.data


def test_email_retry_succeeds_once_the_server_is_back(app, sales):
    from aiosmtpd.controller import Controller

    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=2)
    event_with(sales, (60, "email"), start=utcnow() + timedelta(minutes=10))
    jobs.dispatch_reminders()
    assert reminders()[0].state == "pending"
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert jobs.dispatch_reminders(now=reminders()[0].due_at + timedelta(seconds=1)) == 1
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    row = reminders()[0]
    assert row.state == "sent" and row.attempts == 2 and row.last_error is None


def test_job_is_registered(app):
    from core.scheduler import collect_jobs

    found = {(module, job.id): job for module, job in collect_jobs(app)}
    job = found[("calendar", "reminders")]
    assert job.seconds == 5 and job.run_at_start
