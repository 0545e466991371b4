"""The orders' running totals (``sales_order_tally``, core.tally): exact after any writes,
and the order list's count read from them equals the table's for every filter and role."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from itertools import product

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import access, tally
from core.db import db
from modules.sales import services
from modules.sales.models import ORDER_STATUSES, ORDER_TALLY, OrderTally, SaleOrder

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def assert_exact():
    assert tally.drift(db.session.connection(), ORDER_TALLY) == []


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_tally_stays_exact_through_any_writes(app, manager, sales, sales2, data):
    """Inserts, updates of one order or many (reassigning, changing status), deletes, and
    updates of columns the tally does not read, in plain SQL as an import or psql would."""
    users = [None, manager.id, sales.id, sales2.id]
    order = SaleOrder.__table__
    savepoint = db.session.begin_nested()
    try:
        for step in range(data.draw(st.integers(1, 20))):
            action = data.draw(st.sampled_from(["insert", "update", "update many", "delete", "touch"]))
            ids = list(db.session.scalars(sa.select(order.c.id)))
            if action == "insert" or not ids:
                db.session.execute(order.insert().values(
                    number=f"T{step}-{len(ids)}", currency="EUR", version=1, created_at=NOW, updated_at=NOW,
                    amount_untaxed=0, amount_tax=0, amount_total=0,
                    status=data.draw(st.sampled_from(ORDER_STATUSES)), assigned_to=data.draw(st.sampled_from(users))))
            elif action == "update":
                values = data.draw(st.fixed_dictionaries({}, optional={
                    "status": st.sampled_from(ORDER_STATUSES), "assigned_to": st.sampled_from(users)}))
                db.session.execute(order.update().where(order.c.id == data.draw(st.sampled_from(ids)))
                                   .values(values or {"note": "same"}))
            elif action == "update many":
                chosen = data.draw(st.lists(st.sampled_from(ids), min_size=1))
                db.session.execute(order.update().where(order.c.id.in_(chosen)).values(
                    assigned_to=data.draw(st.sampled_from(users))))
            elif action == "delete":
                db.session.execute(order.delete().where(order.c.id == data.draw(st.sampled_from(ids))))
            else:
                db.session.execute(order.update().values(note="touched", amount_total=order.c.amount_total + 1))
        assert_exact()
    finally:
        savepoint.rollback()


def test_the_tally_follows_the_services_and_foreign_keys(app, manager, sales, make_order):
    from core.auth.models import User
    from core.auth.services import create_user
    from core.testing.pytest_plugin import PASSWORD

    gone = create_user(email="gone@test.example", name="Gone", role="salesperson", password=PASSWORD)
    quote = make_order(gone)
    make_order(gone, status="confirmed")
    make_order(sales, status="cancelled")
    db.session.commit()
    assert_exact()
    assert db.session.get(OrderTally, (gone.id, "draft")).n == 1
    assert db.session.get(OrderTally, (gone.id, "confirmed")).n == 1

    services.run_action(quote, "finalize", by=gone)
    db.session.commit()
    assert db.session.get(OrderTally, (gone.id, "draft")) is None  # an emptied row goes
    assert db.session.get(OrderTally, (gone.id, "finalized")).n == 1

    # ON DELETE SET NULL rewrites the salesperson: the orders move to "nobody" (0).
    db.session.execute(sa.update(SaleOrder).where(SaleOrder.assigned_to == gone.id).values(assigned_to=None))
    db.session.execute(sa.delete(User).where(User.id == gone.id))
    db.session.commit()
    assert_exact()
    assert {(t.assigned_to, t.status, t.n) for t in db.session.scalars(sa.select(OrderTally))} == {
        (0, "finalized", 1), (0, "confirmed", 1), (sales.id, "cancelled", 1)}


def _listed_count(client, url: str) -> int:
    html = client.get(url).get_data(as_text=True)
    found = re.search(r"([0-9,]+) records?</", html)
    return int(found.group(1).replace(",", "")) if found else 0


def test_order_list_counts_from_the_tally_equal_the_live_counts(app, manager, sales, sales2, login, api,
                                                                make_order, monkeypatch):
    """Every status filter (each status, the quotes, the orders, an unknown one), every
    salesperson filter, both roles, on the page and in the API: the count from the running
    totals, then from the table (as if no rule could say its condition on the totals)."""
    import random

    rng = random.Random(2026)  # noqa: S311 - test data
    for _ in range(60):
        make_order(rng.choice([manager, sales, sales, sales2]), status=rng.choice(ORDER_STATUSES))
    db.session.execute(sa.update(SaleOrder).where(SaleOrder.id.in_([1, 2, 3])).values(assigned_to=None))
    db.session.commit()
    clients = {user.id: login(user) for user in (manager, sales)}
    cases = list(product((manager, sales), ("", *ORDER_STATUSES, "quotes", "orders", "bogus"),
                         ("", "me", "none", str(sales.id), str(sales2.id))))

    api_clients = {user.id: api(user) for user in (manager, sales)}

    def counts():
        found = []
        for user, status, who in cases:
            found.append(_listed_count(clients[user.id], f"/sales/orders?status={status}&salesperson={who}"))
            if status != "bogus" and who != "none":  # the API's own filters (groups too)
                query = "&".join(f"{k}={v}" for k, v in (("status", status), ("assigned_to", who)) if v)
                found.append(api_clients[user.id].get(f"/orders?{query}").json["total"])
        return found

    for group in ("quotes", "orders"):  # the API's groups are the page's
        page = _listed_count(clients[manager.id], f"/sales/orders?status={group}")
        assert api_clients[manager.id].get(f"/orders?status={group}").json["total"] == page > 0
    assert services.tally_count(manager, q="dub") is None  # a search counts the table
    assert services.tally_count(manager) is not None
    tallied = counts()
    assert len(set(tallied)) > 10 and max(tallied) > 25  # several pages too

    monkeypatch.setattr(access, "tallied", lambda model, user: None)
    assert services.tally_count(manager) is None
    assert counts() == tallied


def test_the_list_reads_its_count_from_the_tally(app, manager, sales, login, api, make_order):
    """The count is the totals' (corrupted here on purpose), not the table's; a search, or
    in the API a customer, counts the table."""
    partner = make_order(sales).partner_id
    make_order(sales, status="confirmed")
    db.session.execute(sa.update(OrderTally).values(n=OrderTally.n + 100))
    db.session.commit()
    client = login(manager)
    assert _listed_count(client, "/sales/orders") == 202
    assert _listed_count(client, "/sales/orders?status=confirmed") == 101
    assert _listed_count(client, "/sales/orders?q=prospect") == 2
    assert _listed_count(login(sales), "/sales/orders?status=quotes") == 101
    assert api(manager).get("/orders").json["total"] == 202
    assert api(manager).get(f"/orders?partner_id={partner}").json["total"] == 1


def test_recount_covers_the_order_tally(app, manager, sales, make_order):
    make_order(sales)
    db.session.execute(sa.delete(OrderTally))
    db.session.commit()
    checked = app.test_cli_runner().invoke(args=["db", "recount", "--check"])
    assert checked.exit_code == 1 and "sales_order_tally:" in checked.output
    assert app.test_cli_runner().invoke(args=["db", "recount"]).exit_code == 0
    db.session.expire_all()
    assert_exact()
    assert db.session.get(OrderTally, (sales.id, "draft")).n == 1
