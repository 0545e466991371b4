"""Reminder dispatch: 10,000 reminders due at once (2,000 quick), delivered in-app by the dispatch job.

In its own process (its own peak memory) on a fresh database (SQLite in a temporary folder
or COMPTOIR_BENCH_DATABASE_URL): 200 events of 5 salespeople, N pending reminders due a
second ago through the in-app notification channel; only the dispatch is timed, and every
reminder must be delivered exactly once. Also a script:

    .venv/bin/python -m bench.bench_reminders --reminders 10000
"""

from __future__ import annotations

import resource
import time
from datetime import timedelta

from bench.common import in_own_process, script

EVENTS = 200
USERS = 5


def measure(reminders: int) -> dict:
    import sqlalchemy as sa

    from bench.common import bench_app

    with bench_app(MAIL_PORT=1) as app:
        from core.auth.services import create_user
        from core.db import db, utcnow
        from core.notifications import Notification
        from modules.calendar import services
        from modules.calendar.jobs import dispatch_reminders
        from modules.calendar.models import Reminder

        users = [create_user(email=f"bench{i}@example.org", name=f"Bench {i}", role="salesperson",
                             password="bench-password-123") for i in range(USERS)]
        start = utcnow() + timedelta(minutes=5)
        events = [services.create_event({"subject": f"Rendez-vous {i}", "start": start + timedelta(minutes=i),
                                         "location": "Lyon"}, by=users[i % USERS], commit=False)
                  for i in range(EVENTS)]
        db.session.flush()
        now = utcnow()
        db.session.execute(sa.insert(Reminder), [
            {"event_id": events[i % EVENTS].id, "user_id": events[i % EVENTS].organizer_id,
             "channel": "notification", "offset_minutes": 10 + i // EVENTS, "due_at": now - timedelta(seconds=1),
             "state": "pending", "attempts": 0, "late": False, "created_at": now}
            for i in range(reminders)])
        db.session.commit()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started, cpu = time.perf_counter(), time.process_time()
        delivered = dispatch_reminders(app, budget_seconds=600)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        sent = db.session.scalar(sa.select(sa.func.count(Reminder.id)).where(Reminder.state == "sent"))
        notes = db.session.scalar(sa.select(sa.func.count(sa.distinct(Notification.key))))
        database = db.engine.dialect.name
    if not (delivered == sent == notes == reminders):
        raise SystemExit(f"not every reminder was delivered exactly once: {delivered} {sent} {notes}")
    return {"reminders": reminders, "delivered": delivered, "database": database,
            "seconds": round(elapsed, 2), "per_s": round(delivered / elapsed), "cpu_per_s": round(delivered / cpu),
            "peak_rss_mb": round(peak / 1024, 1), "rss_before_mb": round(before / 1024, 1)}


def run(quick: bool) -> list[dict]:
    count = 2_000 if quick else 10_000
    return [in_own_process("bench_reminders", "reminders", count)]


if __name__ == "__main__":
    script(measure, "reminders", 10_000)
