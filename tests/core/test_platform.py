"""The platform: schema vs models, CLI commands, scheduler, configuration, hook tracing."""

from __future__ import annotations

import logging
import threading

import pytest
import sqlalchemy as sa

from core import create_app
from core.db import db


def test_migrations_produce_exactly_the_models_schema(app):
    """`alembic check`: autogenerate finds no difference (run on SQLite and PostgreSQL)."""
    from core.testing import schema_diff

    assert schema_diff(db.engine, db.metadata) == []


def test_every_module_branch_is_at_its_head(app):
    from core.migrate import branch_heads, current_revisions

    heads = branch_heads()
    assert "core" in heads
    assert set(heads.values()) <= current_revisions() | set()


def test_db_upgrade_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["db", "upgrade"])
    second = runner.invoke(args=["db", "upgrade"])
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert "Schema up to date" in second.output


def test_demo_is_idempotent(app):
    from core.auth.models import User
    from core.partners.models import Partner

    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    counts = (db.session.scalar(sa.select(sa.func.count(User.id))),
              db.session.scalar(sa.select(sa.func.count(Partner.id))))
    assert counts[0] >= 5 and counts[1] >= 6
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert counts == (db.session.scalar(sa.select(sa.func.count(User.id))),
                      db.session.scalar(sa.select(sa.func.count(Partner.id))))


def test_create_app_never_starts_a_scheduler(other_app):
    before = {t.name for t in threading.enumerate()}
    app = other_app(SCHEDULER_EMBEDDED=True)
    assert "comptoir_scheduler" not in app.extensions
    after = {t.name for t in threading.enumerate()}
    assert not any("APScheduler" in name for name in after - before)


def test_scheduler_runs_registered_jobs_of_active_modules_only(app, comptoir_db_url):
    from apscheduler.schedulers.background import BackgroundScheduler

    from core import module_admin, scheduler
    from core.plugins import hookimpl

    ran = []

    class Plugin:
        @hookimpl
        def register_jobs(self):
            return [scheduler.Job("probe", lambda app: ran.append(1), seconds=3600)]

    registry = app.extensions["comptoir"]
    registry.pm.register(Plugin(), name="sales.probe")  # a job of the sales module
    try:
        jobs = scheduler.collect_jobs(app)
        assert ("sales", "probe") in [(m, j.id) for m, j in jobs]
        sched = BackgroundScheduler()
        scheduler.configure(sched, app)
        run = next(j for j in sched.get_jobs() if j.id == "sales.probe").func
        run()
        assert ran == [1]
        module_admin.disable("sales")
        run()
        assert ran == [1]  # disabled: the job rests
    finally:
        registry.pm.unregister(name="sales.probe")


def test_refuses_default_secret_key_outside_debug(comptoir_db_url, monkeypatch):
    monkeypatch.delenv("COMPTOIR_SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(RuntimeError) as info:
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert "COMPTOIR_SECRET_KEY" in str(info.value)


def test_settings_from_prefixed_environment(other_app, monkeypatch):
    monkeypatch.setenv("COMPTOIR_PAGE_SIZE", "7")
    monkeypatch.setenv("COMPTOIR_COMPANY_NAME", "ACME")
    app = other_app()
    assert app.config["PAGE_SIZE"] == 7 and app.config["COMPANY_NAME"] == "ACME"


def test_trace_hooks_logs_calls(other_app, caplog):
    app = other_app(TRACE_HOOKS=True)
    with caplog.at_level(logging.INFO, logger="comptoir.hooks"), app.app_context():
        app.extensions["comptoir"].caller("register_menu_entries")()
    assert any("register_menu_entries" in r.getMessage() for r in caplog.records)


def test_sqlite_is_tuned_for_several_workers(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_sequences_never_repeat(app):
    from core.models import next_in_sequence

    values = [next_in_sequence("test.seq") for _ in range(5)]
    db.session.commit()
    assert values == [1, 2, 3, 4, 5]


def test_scheduler_command_runs_until_sigterm(app, comptoir_db_url, tmp_path):
    """`comptoir scheduler` in a real process: starts, runs, stops cleanly on SIGTERM."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    env = {**os.environ, "COMPTOIR_SQLALCHEMY_DATABASE_URI": comptoir_db_url,
           "COMPTOIR_SECRET_KEY": "scheduler-test", "COMPTOIR_INSTANCE_PATH": str(tmp_path),
           "PYTHONUNBUFFERED": "1"}
    env.pop("FLASK_DEBUG", None)
    comptoir = Path(sys.executable).with_name("comptoir")
    proc = subprocess.Popen([str(comptoir), "scheduler"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if "scheduler running" in line or not line:
                break
        assert "scheduler running" in line, line
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
        assert code == 0, proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


@pytest.mark.postgres
def test_postgresql_connections_run_without_jit(app):
    """JIT compilation costs a page's short queries more than it saves (the calendar feed:
    40 of 87 ms): the engine turns it off on every connection."""
    assert db.session.scalar(sa.text("SHOW jit")) == "off"
    assert db.session.scalar(sa.text("SELECT 1")) == 1


def test_url_pattern_builds_the_same_urls_as_url_for(app):
    """One routing-map build for many ids (a board's cards), the same URLs, under a
    script root too; only integers go in."""
    from flask import url_for

    from core.web import url_pattern

    for base in ("http://localhost/", "http://localhost/comptoir/"):
        with app.test_request_context("/", base_url=base):
            card = url_pattern("crm.show_opportunity", "opp_id")
            for opp_id in (1, 42, 2**31 - 1):
                assert card(opp_id) == url_for("crm.show_opportunity", opp_id=opp_id)
            partner = url_pattern("partners.show_partner", "partner_id")
            assert partner(7) == url_for("partners.show_partner", partner_id=7)
            with pytest.raises(ValueError):
                card("1/../../admin")
