"""Concurrent confirmations and finalizations on PostgreSQL, from separate processes."""

import multiprocessing

import pytest
import sqlalchemy as sa

from core.db import db
from core.partners.models import Partner
from core.timeline import TimelineEntry
from modules.sales.models import SaleOrder

pytestmark = pytest.mark.postgres


def _act(url, action, order_id, user_id, barrier, results):
    from core.auth.models import User
    from core.errors import Conflict
    from core.testing.pytest_plugin import make_app
    from modules.sales import services

    app = make_app(url)
    with app.app_context(), app.test_request_context():
        order = db.session.get(SaleOrder, order_id)
        user = db.session.get(User, user_id)
        assert order.status in ("draft", "finalized")  # both processes start from the same state
        barrier.wait(timeout=30)
        try:
            services.run_action(order, action, by=user)
            results.put(("ok", order.number))
        except Conflict:
            results.put(("conflict", None))
        finally:
            db.session.remove()
            db.engine.dispose()


def _run(comptoir_db_url, jobs):
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(jobs))
    results = ctx.Queue()
    db.session.remove()
    processes = [ctx.Process(target=_act, args=(comptoir_db_url, action, order_id, user_id, barrier, results))
                 for action, order_id, user_id in jobs]
    for p in processes:
        p.start()
    outcomes = [results.get(timeout=60) for _ in processes]
    for p in processes:
        p.join(timeout=30)
        assert p.exitcode == 0
    return outcomes


def test_double_confirmation_takes_effect_once(need_postgres, comptoir_db_url, make_order, make_partner, sales):
    partner = make_partner("Race prospect")
    order = make_order(sales, "finalized", partner=partner)
    order_id, partner_id, user_id = order.id, partner.id, sales.id
    outcomes = _run(comptoir_db_url, [("confirm", order_id, user_id)] * 2)
    assert sorted(o[0] for o in outcomes) == ["conflict", "ok"]
    db.session.expire_all()
    assert db.session.get(SaleOrder, order_id).status == "confirmed"
    assert db.session.get(Partner, partner_id).partner_type == "customer"
    count = db.session.scalar(sa.select(sa.func.count()).select_from(TimelineEntry).where(
        TimelineEntry.message.in_(["Order %(number)s confirmed", "Promoted to customer"])))
    assert count == 2  # one confirmation, one promotion


def test_concurrent_finalizations_get_distinct_numbers(need_postgres, comptoir_db_url, make_order, sales):
    orders = [make_order(sales) for _ in range(6)]
    outcomes = _run(comptoir_db_url, [("finalize", o.id, sales.id) for o in orders])
    numbers = [number for status, number in outcomes]
    assert all(status == "ok" for status, _n in outcomes)
    assert len(set(numbers)) == 6
