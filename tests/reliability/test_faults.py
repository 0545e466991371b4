"""Faults: a gunicorn worker killed with SIGKILL in the middle of order confirmations,
``comptoir scheduler`` killed in the middle of a reminder dispatch, PostgreSQL restarted
under load, and the database unreachable in process. Figures: docs/reliability.md."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.auth.services import issue_token
from core.db import db
from core.partners.models import Partner
from core.partners.services import create_partner
from core.timeline import TimelineEntry

ROOT = Path(__file__).resolve().parents[2]
ORDERS = 40


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(base, path, token):
    request = urllib.request.Request(base + path, method="POST", data=b"",  # noqa: S310 (loopback)
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None  # the worker died under the request


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


@contextlib.contextmanager
def _gunicorn(db_url: str, log_path: Path | None = None):
    """``gunicorn -c config/gunicorn.conf.py 'core:create_app()'`` with 2 workers on a free
    loopback port (its output in ``log_path``); yields (base URL, master process)."""
    port = _free_port()
    env = {**os.environ, "COMPTOIR_SECRET_KEY": "fault-test-secret", "COMPTOIR_WORKERS": "2",
           "COMPTOIR_SQLALCHEMY_DATABASE_URI": db_url, "COMPTOIR_BIND": f"127.0.0.1:{port}",
           "COMPTOIR_RATELIMIT_ENABLED": "false"}
    log = open(log_path, "w") if log_path else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", "config/gunicorn.conf.py",
                             "core:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=log)
    if log_path:
        log.close()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):  # noqa: S310
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("gunicorn did not start")
    try:
        yield base, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def gunicorn(comptoir_db_url, need_postgres):
    with _gunicorn(comptoir_db_url) as server:
        yield server


@pytest.mark.postgres
@pytest.mark.slow
def test_killed_worker_leaves_no_half_written_order(app, manager, gunicorn):
    from modules.sales import services
    from modules.sales.models import SaleOrder

    base, proc = gunicorn
    product = services.create_product({"code": "KILL-1", "name": "Kill widget", "unit_price": Decimal("9.00"),
                                       "tax_rate": Decimal("20")}, by=manager)
    orders = []
    for i in range(ORDERS):
        partner = create_partner({"name": f"Prospect {i}", "salesperson_id": manager.id}, by=manager)
        order = services.create_order({"partner_id": partner.id}, [{"product_id": product.id, "quantity": "1"}],
                                      by=manager)
        services.run_action(order, "finalize", by=manager)
        orders.append((order.id, partner.id))
    token = issue_token(manager, "faults")
    db.session.commit()

    # Four clients confirm concurrently; the workers are killed while requests are in flight.
    killed, statuses = [], []
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(_post, base, f"/api/v1/orders/{order_id}/confirm", token)
                   for order_id, _ in orders]
        for share in (3, 3 // 2):
            while sum(f.done() for f in futures) < ORDERS // share and not all(f.done() for f in futures):
                time.sleep(0.01)
            victims = _workers(proc.pid)
            assert victims, "no gunicorn worker found"
            os.kill(victims[0], signal.SIGKILL)
            killed.append(victims[0])
        statuses = [f.result() for f in futures]
    lost = statuses.count(None) + sum(1 for code in statuses if code is not None and code >= 500)
    # A client retries what got no answer: each retry is 200 (never done) or 409 (already done).
    for order_id, _ in orders:
        assert _post(base, f"/api/v1/orders/{order_id}/confirm", token) in (200, 409)
    assert len(killed) == 2 and proc.poll() is None  # the master replaced its workers

    db.session.expire_all()
    for order_id, partner_id in orders:
        order = db.session.get(SaleOrder, order_id)
        partner = db.session.get(Partner, partner_id)
        assert order.status == "confirmed" and order.confirmed_at is not None, order_id
        assert partner.partner_type == "customer", partner_id
        promotions = db.session.scalar(sa.select(sa.func.count()).select_from(TimelineEntry).where(
            TimelineEntry.record_type == "partner", TimelineEntry.record_id == partner_id,
            TimelineEntry.message == "Promoted to customer"))
        assert promotions == 1, partner_id
    # Nothing confirmed without its timestamp, anywhere.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SaleOrder).where(
        SaleOrder.status == "confirmed", SaleOrder.confirmed_at.is_(None))) == 0
    print(json.dumps({"orders": ORDERS, "workers_killed": len(killed), "requests_without_answer": lost}))


# --- the scheduler killed in the middle of a reminder dispatch ------------------------

REMINDERS = 4000  # 200 events x 20 reminders, all due, through the in-app notification


def _scheduler(url: str, tmp_path: Path, name: str, mail_port: int = 1) -> tuple[subprocess.Popen, Path]:
    """A real ``comptoir scheduler`` process on ``url`` (a reminder tick every second), its
    output in ``tmp_path/name.log``."""
    env = {**os.environ, "COMPTOIR_SQLALCHEMY_DATABASE_URI": url, "COMPTOIR_SECRET_KEY": "x" * 40,
           "FLASK_DEBUG": "0", "COMPTOIR_INSTANCE_PATH": str(tmp_path), "COMPTOIR_MAIL_PORT": str(mail_port),
           "COMPTOIR_MAIL_TIMEOUT": "30", "COMPTOIR_CALENDAR_REMINDER_INTERVAL": "1"}
    log_path = tmp_path / f"{name}.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([str(Path(sys.executable).with_name("comptoir")), "scheduler"],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
    return proc, log_path


def _count_reminders(state: str) -> int:
    from modules.calendar.models import Reminder

    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(Reminder.id)).where(Reminder.state == state))


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_killed_scheduler_loses_and_repeats_no_reminder(app, sales, sales2, tmp_path):
    """Runs on SQLite and on PostgreSQL (whichever the suite uses)."""
    from datetime import timedelta

    from core.db import utcnow
    from core.notifications import Notification
    from modules.calendar import services
    from modules.calendar.models import Reminder

    start = utcnow() + timedelta(minutes=2)
    for i in range(REMINDERS // 20):
        services.create_event({
            "subject": f"Kill {i}", "start": start + timedelta(seconds=i),
            "reminders": [{"offset_minutes": 10 + k, "channel": "notification"} for k in range(20)],
        }, by=sales if i % 2 else sales2, commit=False)
    db.session.commit()
    assert _count_reminders("pending") == REMINDERS
    url = db.engine.url.render_as_string(hide_password=False).replace("postgresql+psycopg://", "postgresql://")

    first, first_log = _scheduler(url, tmp_path, "killed")
    try:
        deadline = time.monotonic() + 40
        sent = 0
        while time.monotonic() < deadline and not 0 < sent < REMINDERS:
            assert first.poll() is None, first_log.read_text()[-3000:]
            sent = _count_reminders("sent")
            time.sleep(0.005)
        time.sleep(0.05)  # into the next batch's transaction
        in_flight = None  # PostgreSQL: the scheduler's transactions open at the kill
        if db.engine.dialect.name == "postgresql":
            in_flight = db.session.scalar(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"))
        os.kill(first.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        first.wait(10)
    finally:
        _stop(first)
    at_kill = {state: _count_reminders(state) for state in ("pending", "sending", "sent")}
    sent = at_kill["sent"]
    assert 0 < sent < REMINDERS, f"the kill missed the dispatch ({sent} sent)\n{first_log.read_text()[-3000:]}"

    second, second_log = _scheduler(url, tmp_path, "restarted")
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and _count_reminders("sent") < REMINDERS:
            assert second.poll() is None, second_log.read_text()[-3000:]
            time.sleep(0.1)
        recovered = time.monotonic() - killed_at
        time.sleep(2)  # a couple more ticks: nothing may be delivered again
    finally:
        _stop(second)

    db.session.rollback()
    states = dict(db.session.execute(sa.select(Reminder.state, sa.func.count()).group_by(Reminder.state)).all())
    assert states == {"sent": REMINDERS}, (states, second_log.read_text()[-3000:])
    # Exactly one notification per reminder, to the reminder's recipient.
    recipients = dict(db.session.execute(sa.select(Reminder.id, Reminder.user_id)).all())
    delivered = db.session.execute(sa.select(Notification.key, Notification.user_id)).all()
    assert len(delivered) == REMINDERS
    assert sorted(delivered) == sorted((f"reminder:{rid}", uid) for rid, uid in recipients.items())
    print(json.dumps({"database": db.engine.dialect.name, "reminders": REMINDERS, "sent_at_kill": sent,
                      "open_transactions_at_kill": in_flight, "states_after_kill": at_kill,
                      "seconds_to_recover": round(recovered, 1)}))


class _StallingInbox:
    """An SMTP server that records every message and stalls before answering the
    ``stall_at``-th one (the sender is killed while it waits) until ``release`` is set."""

    def __init__(self, stall_at: int):
        import threading

        self.messages: list[str] = []
        self.stall_at = stall_at
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's API
        import asyncio
        import email
        import email.policy

        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message["Message-ID"])
        if len(self.messages) == self.stall_at:
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return "250 Message accepted for delivery"


@pytest.mark.slow
def test_killed_scheduler_sends_email_reminders_at_least_once(app, sales, tmp_path):
    """Email is not transactional: a claim is committed (``sending``), the mail sent, then
    the row marked ``sent``. A scheduler killed in between leaves its claims to a lease
    (``STALE_AFTER``); when it expires they are sent again: nothing lost, and the message
    whose fate was unknown is sent twice under the same Message-ID."""
    from datetime import timedelta

    from aiosmtpd.controller import Controller

    from core.db import utcnow
    from modules.calendar import services
    from modules.calendar.jobs import STALE_AFTER
    from modules.calendar.models import Reminder

    count, stall_at = 10, 4
    services.create_event({"subject": "Kill mail", "start": utcnow() + timedelta(minutes=2),
                           "reminders": [{"offset_minutes": 10 + k, "channel": "email"} for k in range(count)]},
                          by=sales)
    ids = db.session.scalars(sa.select(Reminder.id)).all()
    inbox = _StallingInbox(stall_at)
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    url = db.engine.url.render_as_string(hide_password=False).replace("postgresql+psycopg://", "postgresql://")
    try:
        first, first_log = _scheduler(url, tmp_path, "killed", mail_port=port)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len(inbox.messages) < stall_at:
                assert first.poll() is None, first_log.read_text()[-3000:]
                time.sleep(0.02)
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)
        finally:
            _stop(first)
        assert len(inbox.messages) == stall_at, first_log.read_text()[-3000:]
        at_kill = {state: _count_reminders(state) for state in ("pending", "sending", "sent")}
        assert at_kill == {"pending": 0, "sending": count - stall_at + 1, "sent": stall_at - 1}
        inbox.release.set()

        second, second_log = _scheduler(url, tmp_path, "restarted", mail_port=port)
        try:
            time.sleep(2.5)  # two ticks: the dead scheduler's claims are still leased
            assert _count_reminders("sending") == count - stall_at + 1
            assert len(inbox.messages) == stall_at
            db.session.execute(sa.update(Reminder).where(Reminder.state == "sending")
                               .values(claimed_at=utcnow() - STALE_AFTER - timedelta(seconds=1)))
            db.session.commit()  # the lease ran out
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and _count_reminders("sent") < count:
                assert second.poll() is None, second_log.read_text()[-3000:]
                time.sleep(0.1)
            time.sleep(1.5)
        finally:
            _stop(second)
    finally:
        controller.stop()
    assert _count_reminders("sent") == count, second_log.read_text()[-3000:]
    expected = [f"<reminder-{rid}@comptoir>" for rid in ids]
    assert set(inbox.messages) == set(expected)  # none lost
    repeated = [mid for mid in expected if inbox.messages.count(mid) > 1]
    assert len(inbox.messages) == count + 1 and len(repeated) == 1  # the one in flight, once more
    print(json.dumps({"database": db.engine.dialect.name, "email_reminders": count,
                      "states_after_kill": at_kill, "messages_received": len(inbox.messages)}))


# --- PostgreSQL restarted under load ------------------------------------------------------

class _PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb as the ``postgres`` user, like
    ``.ci/run``), so stopping it disturbs no other test."""

    def __init__(self):
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)
                      if p.parent.name.isdigit() else 0)
        self.bin = bins[-1] if bins else None
        self.port = _free_port()
        self.data = None

    def available(self) -> str | None:
        import pwd

        if os.geteuid() != 0:
            return "runs its own PostgreSQL cluster through `su postgres`: needs root (as in CI)"
        if self.bin is None or not (self.bin / "initdb").exists():
            return "no PostgreSQL binaries in /usr/lib/postgresql/*/bin"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "no `postgres` system user"
        return None

    def _su(self, command: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["su", "postgres", "-c", command], check=check, capture_output=True,  # noqa: S603,S607
                              text=True, timeout=60)

    def init(self) -> str:
        import shutil
        import tempfile

        self.data = Path(tempfile.mkdtemp(prefix="comptoir-pg-restart-"))
        shutil.chown(self.data, "postgres", "postgres")
        self._su(f"{self.bin}/initdb -D {self.data} -A trust -U postgres")
        self.start()
        self._su(f"{self.bin}/createdb -h 127.0.0.1 -p {self.port} comptoir_restart")
        return f"postgresql://postgres@127.0.0.1:{self.port}/comptoir_restart"

    def start(self) -> None:
        self._su(f"{self.bin}/pg_ctl -D {self.data} -o '-p {self.port} -h 127.0.0.1 -k {self.data} -c fsync=off' "
                 f"-l {self.data}/server.log -w start")

    def stop(self, mode: str = "fast") -> None:
        self._su(f"{self.bin}/pg_ctl -D {self.data} -m {mode} -w stop")

    def destroy(self) -> None:
        import shutil

        if self.data is not None:
            self._su(f"{self.bin}/pg_ctl -D {self.data} -m immediate stop", check=False)
            shutil.rmtree(self.data, ignore_errors=True)


@pytest.fixture
def private_postgres():
    from core.testing.pytest_plugin import _need

    cluster = _PrivatePostgres()
    reason = cluster.available()
    _need(reason is None, reason or "")
    try:
        yield cluster, cluster.init()
    finally:
        cluster.destroy()


def _request(opener, base, method, path, body=None, headers=None):
    """-> (status, content type, Retry-After, body text); status None if no answer came."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, method=method, data=data,  # noqa: S310 (loopback)
                                     headers={**({"Content-Type": "application/json"} if data else {}),
                                              **(headers or {})})
    try:
        with opener.open(request, timeout=30) as response:
            return (response.status, response.headers.get("Content-Type", ""), response.headers.get("Retry-After"),
                    response.read().decode())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.headers.get("Retry-After"), exc.read().decode()
    except OSError as exc:
        return None, "", None, repr(exc)


def _browser_session(base: str, email: str, password: str):
    """An opener with a signed-in session cookie (the login form and its CSRF token)."""
    import http.cookiejar
    import re

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(base + "/login", timeout=30) as response:
        token = re.search(r'name="csrf_token" value="([^"]+)"', response.read().decode()).group(1)
    form = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token}).encode()
    login = urllib.request.Request(base + "/login", data=form, method="POST")  # noqa: S310 (loopback)
    with opener.open(login, timeout=30) as response:
        assert "/login" not in response.url
    return opener


@pytest.mark.postgres
@pytest.mark.slow
def test_app_survives_a_postgresql_restart(private_postgres, tmp_path):
    """gunicorn (2 workers) on a private cluster, 4 clients (API writes and reads, HTML
    pages); ``pg_ctl stop -m fast``, 3 s down, ``pg_ctl start``. During the outage: 503
    with Retry-After, problem+json or a page, never a 500; afterwards the same workers
    answer again; every acknowledged write is stored."""
    import threading

    from core.auth.services import create_user
    from core.module_admin import upgrade_all
    from core.testing.pytest_plugin import PASSWORD, make_app
    from modules.crm.models import Lead

    cluster, url = private_postgres
    setup_app = make_app(url)
    with setup_app.app_context():
        upgrade_all()
        user = create_user(email="restart@test.example", name="Rita Restart", role="manager", password=PASSWORD)
        token = issue_token(user, "restart")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()  # its connections would not survive the restart anyway

    log: list[tuple] = []  # (started at, client, method, status, content type, Retry-After, body)
    created: list[tuple[int, str]] = []
    stop = threading.Event()

    def api_client(n: int):
        opener = urllib.request.build_opener()
        auth = {"Authorization": f"Bearer {token}"}
        i = 0
        while not stop.is_set():
            i += 1
            started = time.monotonic()
            if i % 2:
                name = f"Restart {n}-{i}"
                answer = _request(opener, base, "POST", "/api/v1/leads", {"last_name": name}, auth)
                if answer[0] == 201:
                    created.append((json.loads(answer[3])["id"], name))
                log.append((started, f"api{n}", "POST", *answer))
            else:
                log.append((time.monotonic(), f"api{n}", "GET",
                            *_request(opener, base, "GET", "/api/v1/leads?per_page=5", headers=auth)))
            time.sleep(0.02)

    def page_client():
        opener = _browser_session(base, "restart@test.example", PASSWORD)
        while not stop.is_set():
            log.append((time.monotonic(), "html", "GET", *_request(opener, base, "GET", "/crm/leads")))
            time.sleep(0.02)

    with _gunicorn(url, tmp_path / "gunicorn.log") as (base, proc):
        time.sleep(1)  # both workers booted
        workers = sorted(_workers(proc.pid))
        assert len(workers) == 2
        threads = [threading.Thread(target=api_client, args=(n,)) for n in range(3)]
        threads.append(threading.Thread(target=page_client))
        for thread in threads:
            thread.start()
        try:
            time.sleep(2)
            down = time.monotonic()
            cluster.stop("fast")
            time.sleep(3)
            cluster.start()
            up = time.monotonic()
            # Recovered: every client has had a 2xx since the server came back.
            deadline = up + 20
            while time.monotonic() < deadline and not all(
                    any(t > up and c == client and s in (200, 201) for t, c, _m, s, *_ in list(log))
                    for client in ("api0", "api1", "api2", "html")):
                time.sleep(0.05)
            recovered = time.monotonic() - up
            time.sleep(2)
        finally:
            stop.set()
            for thread in threads:
                thread.join(60)
        assert proc.poll() is None and sorted(_workers(proc.pid)) == workers  # no restart of the app

    statuses = [s for _t, _c, _m, s, *_ in log]
    outage = [entry for entry in log if down <= entry[0] <= up]
    summary = {"requests": len(log), "during_outage": len(outage),
               "outage_statuses": {str(s): sum(1 for e in outage if e[3] == s) for s in {e[3] for e in outage}},
               "statuses": {str(s): statuses.count(s) for s in set(statuses)},
               "outage_seconds": round(up - down, 1), "seconds_to_recover": round(recovered, 1),
               "leads_acknowledged": len(created)}
    print(json.dumps(summary))
    # Never a 500, never a dropped connection.
    unexpected = [e[1:] for e in log if e[3] not in (200, 201, 503)]
    assert not unexpected, (summary, unexpected[:3], (tmp_path / "gunicorn.log").read_text()[-6000:])
    assert recovered < 10, summary
    assert sum(1 for e in outage if e[3] == 503) >= 10, summary
    for _t, client, _m, status, content_type, retry_after, body in log:
        if status != 503:
            continue
        assert retry_after == "5"
        if client == "html":
            assert content_type.startswith("text/html") and "Traceback" not in body
            assert "The database is unavailable for a moment" in body
        else:
            assert content_type == "application/problem+json"
            assert json.loads(body)["status"] == 503
    # After the restart, nothing but successes.
    assert all(e[3] in (200, 201) for e in log if e[0] > up + recovered + 0.5), summary

    with setup_app.app_context():
        stored = dict(db.session.execute(sa.select(Lead.id, Lead.last_name)).all())
        db.session.remove()
        db.engine.dispose()
    assert all(stored.get(lead_id) == name for lead_id, name in created), "an acknowledged lead was lost"


# --- the database unreachable, in process (both databases) --------------------------------

@contextlib.contextmanager
def _database_down(event: str = "before_cursor_execute"):
    """Every statement (or every rollback) fails as when the server is gone."""
    def refuse(conn, *args):
        if event == "rollback":
            conn.invalidate()  # what SQLAlchemy does on a disconnect
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"), connection_invalidated=True)

    sa.event.listen(db.engine, event, refuse)
    try:
        yield
    finally:
        sa.event.remove(db.engine, event, refuse)


def test_database_down_answers_503_never_500(app, login, api, manager):
    browser, bearer, name = login(manager), api(manager), manager.name
    assert browser.get("/crm/leads").status_code == 200
    with _database_down():
        for response in (bearer.get("/leads"), bearer.post("/leads", json={"last_name": "Down"})):
            assert response.status_code == 503 and response.headers["Retry-After"] == "5"
            assert response.mimetype == "application/problem+json" and response.json["status"] == 503
        for path in ("/crm/leads", "/", "/healthz"):
            page = browser.get(path)
            assert page.status_code == 503 and page.headers["Retry-After"] == "5", path
            if path != "/healthz":
                text = page.get_data(as_text=True)
                assert "The database is unavailable for a moment" in text and "Traceback" not in text
                assert name not in text  # the layout did not load the user
        assert bearer.get("/leads").status_code == 503  # module states kept: still a 503, not a 404
    assert browser.get("/crm/leads").status_code == 200
    assert bearer.post("/leads", json={"last_name": "Up"}).status_code == 201


def test_connection_dropped_before_the_teardown_is_not_a_500(app, client):
    with _database_down("rollback"):
        assert client.get("/healthz").status_code == 200  # the answer was made: it stands
    assert client.get("/healthz").status_code == 200
