"""The order status machine: every action from every status, through the service, the API
and the pages. Allowed: draft -> finalized -> confirmed -> completed, draft|finalized ->
cancelled; anything else is a 409 and changes nothing."""

import pytest

from core.db import db
from core.errors import Conflict
from modules.sales import services
from modules.sales.models import SaleOrder

STATUSES = ["draft", "finalized", "confirmed", "completed", "cancelled"]
ACTIONS = ["finalize", "confirm", "complete", "cancel"]
ALLOWED = {("draft", "finalize"): "finalized", ("finalized", "confirm"): "confirmed",
           ("confirmed", "complete"): "completed", ("draft", "cancel"): "cancelled",
           ("finalized", "cancel"): "cancelled"}
TABLE = [(s, a) for s in STATUSES for a in ACTIONS]


def _state(order_id):
    db.session.expire_all()
    order = db.session.get(SaleOrder, order_id)
    return order.status, order.version, order.number, order.confirmed_at


@pytest.mark.parametrize(("status", "action"), TABLE)
def test_service(status, action, make_order, sales):
    order = make_order(sales, status)
    before = _state(order.id)
    assert before[0] == status
    if (status, action) in ALLOWED:
        services.run_action(order, action, by=sales)
        assert _state(order.id)[0] == ALLOWED[(status, action)]
    else:
        with pytest.raises(Conflict):
            services.run_action(order, action, by=sales)
        assert _state(order.id) == before


@pytest.mark.parametrize(("status", "action"), TABLE)
def test_api(status, action, make_order, sales, api):
    order = make_order(sales, status)
    client = api(sales)
    before = client.get(f"/orders/{order.id}").json
    r = client.post(f"/orders/{order.id}/{action}")
    if (status, action) in ALLOWED:
        assert r.status_code == 200, r.json
        assert r.json["status"] == ALLOWED[(status, action)]
    else:
        assert r.status_code == 409, r.json
        assert r.headers["Content-Type"] == "application/problem+json"
        assert status in r.json["detail"]
        assert client.get(f"/orders/{order.id}").json == before


@pytest.mark.parametrize(("status", "action"), TABLE)
def test_pages(status, action, make_order, sales, login):
    order = make_order(sales, status)
    client = login(sales)
    page = client.get(f"/sales/orders/{order.id}").get_data(as_text=True)
    allowed = (status, action) in ALLOWED
    assert (f'data-action="{action}"' in page) == allowed  # only the allowed buttons
    r = client.post(f"/sales/orders/{order.id}/{action}")
    assert r.status_code == 303
    assert _state(order.id)[0] == (ALLOWED[(status, action)] if allowed else status)
    if not allowed:
        assert "cannot be" in client.get(r.headers["Location"]).get_data(as_text=True)


def test_finalize_numbers_and_confirm_sets_who_and_when(make_order, sales, api):
    order = make_order(sales, "draft")
    assert order.number is None
    r = api(sales).post(f"/orders/{order.id}/finalize")
    import re

    assert re.fullmatch(r"Q\d{4}-\d{5}", r.json["number"])
    r = api(sales).post(f"/orders/{order.id}/confirm")
    assert r.json["confirmed_by"] == sales.id and r.json["confirmed_at"].endswith("+00:00")
    r2 = api(sales).post(f"/orders/{order.id}/confirm")
    assert r2.status_code == 409
    assert api(sales).get(f"/orders/{order.id}").json["confirmed_at"] == r.json["confirmed_at"]


def test_empty_quote_cannot_be_finalized_or_confirmed(app, sales, make_partner):
    order = services.create_order({"partner_id": make_partner().id}, [], by=sales)
    from core.errors import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.finalize(order, by=sales)
    assert "lines" in exc.value.errors
    assert _state(order.id)[0] == "draft"


def test_no_customer_cannot_be_confirmed(app, sales, product, api):
    client = api(sales)
    order = client.post("/orders", json={"lines": [{"product_id": product.id, "quantity": 1}]}).json
    assert client.post(f"/orders/{order['id']}/finalize").status_code == 200
    r = client.post(f"/orders/{order['id']}/confirm")
    assert r.status_code == 422 and "partner_id" in r.json["errors"]
    assert client.get(f"/orders/{order['id']}").json["status"] == "finalized"


def test_others_cannot_act(make_order, sales, sales2, manager, api):
    order = make_order(sales, "finalized")
    assert api(sales2).post(f"/orders/{order.id}/confirm").status_code == 404
    assert api(sales2).get(f"/orders/{order.id}").status_code == 404
    assert api(manager).post(f"/orders/{order.id}/confirm").status_code == 200
