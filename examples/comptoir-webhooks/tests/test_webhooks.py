"""The webhooks plugin against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from comptoir_webhooks.models import Delivery, Endpoint
from comptoir_webhooks.outbox import deliver_due, enqueue

from core import module_admin
from core.db import db


def endpoint(url, events="lead.converted,order.confirmed,reminder"):
    ep = Endpoint(url=url, secret="s3cret", events=events)
    db.session.add(ep)
    db.session.commit()
    return ep


def test_event_is_posted_signed(app, receiver):
    endpoint(receiver.url)
    assert enqueue("order.confirmed", {"id": 7}) == 1
    db.session.commit()
    assert deliver_due(app) == 1
    [request] = receiver.requests
    expected = "sha256=" + hmac.new(b"s3cret", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Comptoir-Signature"] == expected
    assert request["headers"]["X-Comptoir-Event"] == "order.confirmed"
    assert request["json"]["data"] == {"id": 7}
    assert db.session.scalars(sa.select(Delivery.state)).all() == ["sent"]
    assert deliver_due(app) == 0  # sent once


def test_rolled_back_action_sends_nothing(app, receiver):
    endpoint(receiver.url)
    enqueue("order.confirmed", {"id": 8})
    db.session.rollback()
    assert deliver_due(app) == 0 and receiver.requests == []


def test_failure_is_retried_with_backoff_then_marked_failed(app, receiver):
    endpoint(receiver.url)
    receiver.fail_next = 100
    enqueue("order.confirmed", {"id": 9})
    db.session.commit()
    assert deliver_due(app) == 0
    delivery = db.session.scalars(sa.select(Delivery)).one()
    assert delivery.state == "pending" and delivery.attempts == 1 and "503" in delivery.last_error
    for _ in range(10):  # make it due again, until it gives up
        db.session.execute(sa.update(Delivery).values(next_attempt_at=delivery.created_at))
        db.session.commit()
        deliver_due(app)
    db.session.refresh(delivery)
    assert delivery.state == "failed" and delivery.attempts == 5


def test_only_endpoints_that_want_the_event(app, receiver):
    endpoint(receiver.url, events="lead.converted")
    assert enqueue("order.confirmed", {"id": 1}) == 0


def test_reminder_channel_is_offered(app):
    from core.notifications import Message, channels

    channel = channels()["webhook"]
    assert channel.transactional
    db.session.add(Endpoint(url="http://127.0.0.1:9/x", secret="s", events="reminder"))
    db.session.commit()
    channel.deliver(Message(user_id=1, title="Call Dupain", key="reminder:1"))
    db.session.commit()
    assert db.session.scalars(sa.select(Delivery.event)).all() == ["reminder"]


def test_admin_page(app, admin, sales, login, receiver):
    web = login(admin)
    assert web.post("/webhooks/", data={"url": "not a url"}).status_code == 422
    assert web.post("/webhooks/", data={"url": receiver.url, "events": ["order.confirmed"]}).status_code == 303
    page = web.get("/webhooks/").get_data(as_text=True)
    assert receiver.url in page and "order.confirmed" in page
    assert login(sales).get("/webhooks/").status_code == 403
    module_admin.disable("webhooks")
    assert web.get("/webhooks/").status_code == 404


def test_order_confirmation_is_posted(app, manager, receiver):
    from core.partners.services import create_partner
    from modules.sales import services as sales

    endpoint(receiver.url, events="order.confirmed")
    partner = create_partner({"name": "Hook Buyer"}, by=manager)
    order = sales.create_order({"partner_id": partner.id},
                               [{"description": "Audit", "quantity": "1", "unit_price": "1500.00"}], by=manager)
    sales.finalize(order, by=manager)
    sales.confirm(order, by=manager)
    assert deliver_due(app) == 1
    data = receiver.requests[0]["json"]["data"]
    assert data["number"] == order.number and data["amount_total"] == "1500.00"
    assert data["partner_id"] == partner.id


def test_lead_conversion_is_posted(app, manager, receiver):
    from modules.crm.services import leads

    endpoint(receiver.url, events="lead.converted")
    lead = leads.create_lead({"last_name": "Martin", "company_name": "Martin & Fils"}, by=manager)
    result = leads.convert(lead, by=manager)
    assert deliver_due(app) == 1
    data = receiver.requests[0]["json"]["data"]
    assert data["lead_id"] == lead.id and data["partner_id"] is not None
    assert result is not None
