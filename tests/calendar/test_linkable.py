"""Events linked to a record type that another module registers (a stand-in type here,
since CRM registers leads and opportunities): validation, access, panel, API filter."""

from __future__ import annotations

import pytest

from core.db import db
from core.notifications import Message, Notification, notify, notify_many
from core.partners.models import Partner
from core.records import LinkableType
from modules.calendar import services, views
from tests.calendar.conftest import at


@pytest.fixture
def thing_type(monkeypatch):
    types = {"thing": LinkableType("thing", "Thing", Partner, url=lambda r: f"/partners/{r.id}",
                                   title=lambda r: r.name, partner_of=lambda r: (r.id, None))}
    monkeypatch.setattr(services, "linkable_types", lambda: types)
    monkeypatch.setattr(views, "linkable_types", lambda: types)
    return types


def test_link_to_a_registered_type(api, login, sales, partner, thing_type):
    r = api(sales).post("/events", json={"subject": "Suivi", "start": at(1).isoformat(),
                                         "related": {"type": "thing", "id": partner.id}})
    assert r.status_code == 201, r.json
    assert r.json["related"] == {"type": "thing", "id": partner.id}
    assert r.json["partner_id"] == partner.id  # from partner_of
    found = api(sales).get("/events", query_string={"related_type": "thing", "related_id": partner.id}).json
    assert [e["id"] for e in found["items"]] == [r.json["id"]]
    html = login(sales).get(f"/calendar/panel/thing/{partner.id}").data.decode()
    assert "Suivi" in html and "related_type=thing" in html
    page = login(sales).get(f"/calendar/events/{r.json['id']}").data.decode()
    assert "Thing" in page and partner.name in page


def test_unknown_related_record_is_422(api, sales, thing_type):
    r = api(sales).post("/events", json={"subject": "Suivi", "start": at(1).isoformat(),
                                         "related": {"type": "thing", "id": 999999}})
    assert r.status_code == 422 and "related.id" in r.json["errors"]


def test_events_linked_to_visible_records_are_visible(sales, sales2, partner, thing_type):
    # Partners have no SQL condition (everyone sees them): events linked through the
    # generic link to a record the user may see are visible to them.
    event = services.create_event({"subject": "Lié", "start": at(1), "related": {"type": "thing", "id": partner.id}},
                                  by=sales2)
    assert event.id in {e.id for e in db.session.scalars(services.visible_events(sales))}


def test_notify_many_skips_known_keys(sales):
    notify(Message(user_id=sales.id, title="A", key="k1"))
    db.session.commit()
    added = notify_many([Message(user_id=sales.id, title="A", key="k1"), Message(user_id=sales.id, title="B", key="k2"),
                         Message(user_id=sales.id, title="B", key="k2"), Message(user_id=sales.id, title="C")])
    db.session.commit()
    assert [n.title for n in added] == ["B", "C"]
    assert db.session.query(Notification).count() == 3
