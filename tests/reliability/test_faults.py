"""Faults: a gunicorn worker killed with SIGKILL in the middle of order confirmations."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
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


@pytest.fixture
def gunicorn(comptoir_db_url, need_postgres):
    port = _free_port()
    env = {**os.environ, "COMPTOIR_SECRET_KEY": "fault-test-secret", "COMPTOIR_WORKERS": "2",
           "COMPTOIR_SQLALCHEMY_DATABASE_URI": comptoir_db_url, "COMPTOIR_BIND": f"127.0.0.1:{port}",
           "COMPTOIR_RATELIMIT_ENABLED": "false"}
    log = subprocess.DEVNULL
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", "config/gunicorn.conf.py",
                             "core:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=log)
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
    yield base, proc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


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
