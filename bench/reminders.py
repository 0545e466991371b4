"""Benchmark: 10,000 reminders due at once, all delivered through the in-app notification
channel by the dispatch job. Prints the elapsed time and the process's peak memory.

    .venv/bin/python bench/reminders.py                 # SQLite in a temporary folder
    .venv/bin/python bench/reminders.py postgresql://postgres@127.0.0.1:5544/comptoir_bench

A plain script (not a timed test): the setup is not measured, only the dispatch.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REMINDERS = int(__import__("os").environ.get("BENCH_REMINDERS", 10_000))
EVENTS = 200
USERS = 5


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import sqlalchemy as sa

    from core import create_app
    from core.db import db, utcnow

    tmp = tempfile.mkdtemp(prefix="comptoir-bench-")
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{tmp}/bench.db"
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                      "INSTANCE_TMP": tmp, "MAIL_PORT": 1})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        from core.auth.services import create_user
        from core.module_admin import upgrade_all
        from core.notifications import Notification
        from modules.calendar import services
        from modules.calendar.jobs import dispatch_reminders
        from modules.calendar.models import Reminder

        upgrade_all()
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
            for i in range(REMINDERS)])
        db.session.commit()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        delivered = dispatch_reminders(app, budget_seconds=600)
        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        sent = db.session.scalar(sa.select(sa.func.count(Reminder.id)).where(Reminder.state == "sent"))
        notes = db.session.scalar(sa.select(sa.func.count(sa.distinct(Notification.key))))
        print(f"database: {db.engine.dialect.name}")
        print(f"reminders delivered: {delivered} (sent rows {sent}, distinct notifications {notes})")
        print(f"elapsed: {elapsed:.2f} s ({delivered / elapsed:,.0f} reminders/s)")
        print(f"peak memory (ru_maxrss): {peak / 1024:.1f} MiB (before dispatch {before / 1024:.1f} MiB)")
        if not (delivered == sent == notes == REMINDERS):
            raise SystemExit("not every reminder was delivered exactly once")


if __name__ == "__main__":
    main()
