"""Confirmation: the on_order_confirmed hook in one transaction with the status change."""

import pytest
import sqlalchemy as sa

from core import hookimpl
from core.db import db
from core.errors import Conflict
from core.partners.models import Partner
from core.timeline import TimelineEntry
from modules.sales import services
from modules.sales.models import SaleOrder


def _reload(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def test_prospect_becomes_customer(make_order, make_partner, sales):
    partner = make_partner("Prospect", "prospect")
    order = make_order(sales, "finalized", partner=partner)
    services.confirm(order, by=sales)
    assert _reload(Partner, partner.id).partner_type == "customer"
    assert _reload(SaleOrder, order.id).status == "confirmed"


def test_customer_stays_customer(make_order, make_partner, sales):
    partner = make_partner("Client", "customer")
    version = partner.version
    order = make_order(sales, "finalized", partner=partner)
    services.confirm(order, by=sales)
    partner = _reload(Partner, partner.id)
    assert partner.partner_type == "customer" and partner.version == version
    entries = db.session.scalars(sa.select(TimelineEntry.message).where(
        TimelineEntry.record_type == "partner", TimelineEntry.record_id == partner.id)).all()
    assert "Promoted to customer" not in entries


class Failing:
    @hookimpl
    def on_order_confirmed(self, order, by):
        raise RuntimeError("the warehouse is closed")


def test_failing_implementation_rolls_everything_back(plugin, make_order, make_partner, sales, api):
    plugin(Failing())
    partner = make_partner("Prospect", "prospect")
    order = make_order(sales, "finalized", partner=partner)
    r = api(sales).post(f"/orders/{order.id}/confirm")
    assert r.status_code == 409
    assert "core.test" in r.json["detail"] and "the warehouse is closed" in r.json["detail"]
    order = _reload(SaleOrder, order.id)
    assert order.status == "finalized" and order.confirmed_at is None
    assert _reload(Partner, partner.id).partner_type == "prospect"  # promotion undone too
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(TimelineEntry).where(
        TimelineEntry.message == "Order %(number)s confirmed"))


def test_failing_implementation_on_the_page(plugin, make_order, sales, login):
    plugin(Failing())
    order = make_order(sales, "finalized")
    client = login(sales)
    r = client.post(f"/sales/orders/{order.id}/confirm", follow_redirects=True)
    assert r.status_code == 200
    assert "the warehouse is closed" in r.get_data(as_text=True)
    assert _reload(SaleOrder, order.id).status == "finalized"


class LeadConverter:
    """Plays the CRM: knows leads 1-99, turns the lead into a customer on confirmation."""

    calls = 0

    @hookimpl
    def describe_order_reference(self, ref_type, ref_id, user):
        if ref_type in ("lead", "opportunity") and ref_id < 100:
            return {"title": f"{ref_type.title()} {ref_id}", "url": f"/{ref_type}s/{ref_id}"}
        return None

    @hookimpl
    def prefill_order(self, origin_type, origin_id, user):
        if origin_type == "opportunity" and origin_id < 100:
            return {"prospect_type": "lead", "prospect_id": 7, "assigned_to": user.id, "currency": "USD"}
        return None

    @hookimpl
    def on_order_confirmed(self, order, by):
        from core.partners.services import create_partner

        type(self).calls += 1
        if order.partner_id is None and order.prospect_type == "lead":
            partner = create_partner({"name": f"From lead {order.prospect_id}", "partner_type": "customer"},
                                     by=by, commit=False)
            order.partner_id = partner.id


def test_lead_prospect_is_converted_by_a_module(plugin, api, sales, product):
    plugin(LeadConverter())
    client = api(sales)
    r = client.post("/orders", json={"lead_id": 7, "opportunity_id": 3,
                                     "lines": [{"product_id": product.id, "quantity": "1"}]})
    assert r.status_code == 201, r.json
    assert r.json["lead_id"] == 7 and r.json["opportunity_id"] == 3 and r.json["partner_id"] is None
    oid = r.json["id"]
    client.post(f"/orders/{oid}/finalize")
    r = client.post(f"/orders/{oid}/confirm")
    assert r.status_code == 200, r.json
    partner = db.session.get(Partner, r.json["partner_id"])
    assert partner.partner_type == "customer"


def test_lead_without_a_converter_cannot_be_confirmed(plugin, api, sales, product):
    class DescribeOnly:
        @hookimpl
        def describe_order_reference(self, ref_type, ref_id, user):
            return {"title": "Lead", "url": "/leads/1"}

    plugin(DescribeOnly())
    client = api(sales)
    oid = client.post("/orders", json={"lead_id": 7, "lines": [{"product_id": product.id, "quantity": "1"}]}).json["id"]
    client.post(f"/orders/{oid}/finalize")
    r = client.post(f"/orders/{oid}/confirm")
    assert r.status_code == 409
    assert client.get(f"/orders/{oid}").json["status"] == "finalized"


def test_references_need_a_module_that_knows_them(api, sales):
    r = api(sales).post("/orders", json={"lead_id": 7})
    assert r.status_code == 422
    assert "CRM" in r.json["errors"]["lead_id"][0]
    r = api(sales).post("/orders", json={"opportunity_id": 3})
    assert r.status_code == 422 and "opportunity_id" in r.json["errors"]


def test_quote_from_opportunity(plugin, api, sales):
    assert api(sales).post("/opportunities/3/quote").status_code == 404  # nobody knows it
    plugin(LeadConverter())
    r = api(sales).post("/opportunities/3/quote")
    assert r.status_code == 201, r.json
    assert r.json["opportunity_id"] == 3 and r.json["lead_id"] == 7
    assert r.json["status"] == "draft" and r.json["currency"] == "USD"
    assert r.json["assigned_to"] == sales.id
    assert api(sales).post("/opportunities/500/quote").status_code == 404


def test_create_quote_page_from_opportunity(app, plugin, login, sales, sales2):
    plugin(LeadConverter())
    client = login(sales)
    page = client.get("/sales/orders/new?origin_type=opportunity&origin_id=3")
    assert page.status_code == 200 and "Opportunity 3" in page.get_data(as_text=True)
    r = client.post("/sales/orders/new", data={"origin_type": "opportunity", "origin_id": "3", "currency": "EUR"})
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    order = db.session.scalar(sa.select(SaleOrder).order_by(SaleOrder.id.desc()))
    assert (order.origin_type, order.origin_id, order.prospect_type, order.prospect_id) == ("opportunity", 3, "lead", 7)
    # the opportunity's page shows the quote through the panel, with a "Create quote" button
    from modules.sales.views import orders_panel

    class Opp:
        id = 3

    with app.test_request_context():
        panel = orders_panel("opportunity", Opp(), sales)
        assert panel.count == 1 and "Create quote" in panel.html
        assert orders_panel("lead", type("L", (), {"id": 7})(), sales).count == 1
        assert orders_panel("lead", type("L", (), {"id": 8})(), sales) is None
        assert orders_panel("opportunity", Opp(), sales2).count == 0  # not theirs
    # unknown origin: back to the list with a message, nothing created
    r = client.get("/sales/orders/new?origin_type=opportunity&origin_id=500")
    assert r.status_code == 303


def test_confirming_twice_is_once(make_order, sales):
    order = make_order(sales, "finalized")
    services.confirm(order, by=sales)
    stale = db.session.get(SaleOrder, order.id)
    with pytest.raises(Conflict):
        services.confirm(stale, by=sales)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TimelineEntry).where(
        TimelineEntry.record_type == "sale_order", TimelineEntry.record_id == order.id,
        TimelineEntry.message == "Order %(number)s confirmed")) == 1


def test_stale_object_cannot_confirm_twice(make_order, sales):
    """A second confirmation working on an out-of-date copy (status still 'finalized' in
    memory) is stopped by the conditional update."""
    order = make_order(sales, "finalized")
    order_id = order.id
    db.session.execute(sa.update(SaleOrder).where(SaleOrder.id == order_id).values(
        status="confirmed", version=SaleOrder.version + 1))
    db.session.commit()
    order = db.session.get(SaleOrder, order_id)
    from sqlalchemy.orm.attributes import set_committed_value

    set_committed_value(order, "status", "finalized")
    with pytest.raises(Conflict):
        services.confirm(order, by=sales)
    assert _reload(SaleOrder, order_id).status == "confirmed"


class SetsProspectPartner:
    """A module that sets an existing prospect partner on the order during confirmation."""

    partner_id = None

    @hookimpl
    def describe_order_reference(self, ref_type, ref_id, user):
        return {"title": "Lead", "url": "/leads/1"}

    @hookimpl
    def on_order_confirmed(self, order, by):
        if order.partner_id is None:
            order.partner_id = type(self).partner_id


def test_partner_set_by_another_module_becomes_customer(plugin, api, sales, product, make_partner):
    SetsProspectPartner.partner_id = make_partner("Converted earlier", "prospect").id
    plugin(SetsProspectPartner())
    client = api(sales)
    oid = client.post("/orders", json={"lead_id": 4, "lines": [{"product_id": product.id, "quantity": "1"}]}).json["id"]
    client.post(f"/orders/{oid}/finalize")
    r = client.post(f"/orders/{oid}/confirm")
    assert r.status_code == 200 and r.json["partner_id"] == SetsProspectPartner.partner_id
    assert _reload(Partner, SetsProspectPartner.partner_id).partner_type == "customer"
