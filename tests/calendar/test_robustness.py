"""No input gives a 500: odd dates, huge numbers, wrong types, on the API, the pages and
the JSON feed; CSRF protects the session-authenticated drag-and-drop."""

from __future__ import annotations

import pytest

from modules.calendar import services
from tests.calendar.conftest import at

ODD_DATES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "9999-12-31T23:30:00", "1900-01-01",
             "2026-02-30T10:00:00", "2026-01-01T25:00", "", "  ", "2026-01-01T10:00:00+99:00", "1e9", "null"]


@pytest.mark.parametrize("value", ODD_DATES)
def test_odd_dates_on_the_api(api, sales, value):
    client = api(sales)
    for payload in ({"subject": "x", "start": value}, {"subject": "x", "start": at(1).isoformat(), "end": value},
                    {"subject": "x", "start": at(1).isoformat(), "reminders": [{"remind_at": value}]}):
        r = client.post("/events", json=payload)
        assert r.status_code in (201, 422), (payload, r.status_code, r.data[:300])
    r = client.get("/events", query_string={"start": value, "end": "2026-01-01T00:00:00Z"})
    assert r.status_code in (200, 400, 422)
    event = client.post("/events", json={"subject": "x", "start": at(1).isoformat()}).json
    r = client.patch(f"/events/{event['id']}", json={"start": value})
    assert r.status_code in (200, 422), r.data[:300]


@pytest.mark.parametrize("value", ODD_DATES)
def test_odd_dates_on_the_pages(login, sales, value):
    c = login(sales)
    r = c.post("/calendar/events/new", data={"subject": "x", "start": value, "end": value,
                                             "reminders-0-mode": "at", "reminders-0-at": value})
    assert r.status_code in (204, 303, 422)
    assert c.get("/calendar/events.json", query_string={"start": value, "end": value}).status_code == 422
    assert c.get("/calendar/events/new", query_string={"start": value, "end": value, "all_day": "1"}).status_code == 200


@pytest.mark.parametrize("payload", [
    {"subject": "x", "start": "2026-12-01T10:00:00Z", "attendee_user_ids": [2**70]},
    {"subject": "x", "start": "2026-12-01T10:00:00Z", "attendee_contact_ids": [-1, 0]},
    {"subject": "x", "start": "2026-12-01T10:00:00Z", "partner_id": 2**40},
    {"subject": "x", "start": "2026-12-01T10:00:00Z", "reminders": [{"offset_minutes": 10**12}]},
    {"subject": "x", "start": "2026-12-01T10:00:00Z", "reminders": [{"offset_minutes": 5}] * 21},
    {"subject": "x" * 201, "start": "2026-12-01T10:00:00Z"},
    {"subject": "x\x00y", "start": "2026-12-01T10:00:00Z"},
    {"subject": ["x"], "start": "2026-12-01T10:00:00Z"},
    {"subject": "x", "start": "2026-12-01T10:00:00Z", "end": "2028-12-01T10:00:00Z"},
    {"subject": "x", "start": "2026-12-01T10:00:00Z", "related": {"type": "lead"}},
    {"subject": "x", "start": "2026-12-01T10:00:00Z", "related": "lead:1"},
    {"subject": "x", "start": "2026-12-01T10:00:00Z", "all_day": "perhaps"},
])
def test_bad_values_are_422(api, sales, payload):
    r = api(sales).post("/events", json=payload)
    assert r.status_code == 422, r.data[:300]
    assert r.json["errors"]


@pytest.mark.parametrize("form", [
    {"subject": "x", "start": "2026-12-01T10:00", "partner_id": "99999999999999999999"},
    {"subject": "x", "start": "2026-12-01T10:00", "contact_id": "abc", "attendee_user_ids": ["x", "-3"]},
    {"subject": "x", "start": "2026-12-01T10:00", "reminders-0-mode": "before", "reminders-0-amount": "1e9",
     "reminders-0-unit": "weeks"},
    {"subject": "x", "start": "2026-12-01T10:00", "reminders-0-mode": "before", "reminders-0-amount": "99999999",
     "reminders-0-unit": "weeks"},
    {"subject": "x", "start": "2026-12-01T10:00", "reminders-0-mode": "sideways"},
    {"subject": "x", "start": "2026-12-01T10:00", "related_type": "nope", "related_id": "1"},
    {"subject": "x", "start": "2026-12-01T10:00", "organizer_id": "5"},
    {"type": "x" * 500, "subject": "x" * 500, "start": "x" * 500},
])
def test_odd_forms_never_500(login, sales, form):
    r = login(sales).post("/calendar/events/new", data=form)
    assert r.status_code in (303, 422), r.data[:500]


def test_unchanged_link_survives_an_edit_when_its_type_is_gone(sales, partner, monkeypatch):
    from core.db import db
    from core.partners.models import Partner
    from core.records import LinkableType

    types = {"thing": LinkableType("thing", "Thing", Partner, url=lambda r: "/")}
    monkeypatch.setattr(services, "linkable_types", lambda: types)
    event = services.create_event({"subject": "x", "start": at(1), "related": {"type": "thing", "id": partner.id}},
                                  by=sales)
    monkeypatch.setattr(services, "linkable_types", dict)  # the module went away
    services.update_event(event, {"subject": "y", "related": {"type": "thing", "id": partner.id}}, by=sales)
    db.session.expire_all()
    assert (event.subject, event.related_type) == ("y", "thing")
