"""Two real ``comptoir scheduler`` processes against one PostgreSQL database deliver each
of 1,000 due reminders exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.db import db, utcnow
from core.notifications import Notification
from modules.calendar import services
from modules.calendar.models import Reminder


@pytest.mark.postgres
def test_two_schedulers_deliver_each_reminder_once(app, need_postgres, sales, sales2, tmp_path):
    start = utcnow() + timedelta(minutes=2)
    for i in range(50):  # 50 events x 20 reminders = 1,000 rows, all due
        services.create_event({
            "subject": f"Rendez-vous {i}", "start": start + timedelta(seconds=i),
            "reminders": [{"offset_minutes": 10 + k, "channel": "notification"} for k in range(20)],
        }, by=sales if i % 2 else sales2, commit=False)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Reminder.id)).where(Reminder.state == "pending")) == 1000

    url = db.engine.url.render_as_string(hide_password=False).replace("postgresql+psycopg://", "postgresql://")
    env = {**os.environ, "COMPTOIR_SQLALCHEMY_DATABASE_URI": url, "COMPTOIR_SECRET_KEY": "x" * 40,
           "FLASK_DEBUG": "0", "COMPTOIR_INSTANCE_PATH": str(tmp_path), "COMPTOIR_MAIL_PORT": "1"}
    comptoir = Path(sys.executable).with_name("comptoir")
    procs, logs = [], []
    for n in range(2):
        log = open(tmp_path / f"scheduler{n}.log", "w")  # noqa: SIM115 - closed below
        logs.append(log)
        procs.append(subprocess.Popen([str(comptoir), "scheduler"], env=env, stdout=log, stderr=subprocess.STDOUT))
    try:
        deadline = time.monotonic() + 90
        sent = 0
        while time.monotonic() < deadline:
            db.session.rollback()
            sent = db.session.scalar(sa.select(sa.func.count(Reminder.id)).where(Reminder.state == "sent"))
            if sent == 1000:
                break
            assert all(p.poll() is None for p in procs), "a scheduler died"
            time.sleep(0.5)
        time.sleep(2)  # let both run a few more ticks: nothing may be sent twice
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        for log in logs:
            log.close()
    output = "\n".join((tmp_path / f"scheduler{n}.log").read_text() for n in range(2))
    assert sent == 1000, output[-3000:]
    db.session.rollback()
    keys = db.session.scalars(sa.select(Notification.key)).all()
    assert len(keys) == 1000 and len(set(keys)) == 1000
    ids = db.session.scalars(sa.select(Reminder.id)).all()
    assert set(keys) == {f"reminder:{i}" for i in ids}
    assert db.session.scalar(sa.select(sa.func.count(Reminder.id)).where(Reminder.late.is_(False))) == 0
    assert output.count("Comptoir scheduler running") == 2
