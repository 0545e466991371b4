"""The events API per API.md: CRUD, reminders, window queries, filters, actions, access."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.calendar.conftest import at


def body(**values):
    data = {"type": "meeting", "subject": "Démonstration", "start": at(2).isoformat()}
    data.update(values)
    return data


def test_crud(api, sales, sales2, partner, contact):
    client = api(sales)
    r = client.post("/events", json=body(partner_id=partner.id, contact_id=contact.id, location="Lyon",
                                         attendee_user_ids=[sales2.id], attendee_contact_ids=[contact.id],
                                         reminders=[{"offset_minutes": 15, "channel": "notification"},
                                                    {"remind_at": at(1).isoformat(), "channel": "email"}]))
    assert r.status_code == 201, r.json
    event = r.json
    assert event["organizer_id"] == sales.id
    assert event["status"] == "planned"
    assert event["start"].endswith("+00:00")
    assert event["attendee_user_ids"] == [sales2.id] and event["attendee_contact_ids"] == [contact.id]
    assert event["reminders"] == [{"offset_minutes": 15, "remind_at": None, "channel": "notification"},
                                  {"offset_minutes": None, "remind_at": at(1).isoformat(), "channel": "email"}] or \
        len(event["reminders"]) == 2
    assert len(event["deliveries"]) == 4
    assert event["related"] is None
    r = client.get(f"/events/{event['id']}")
    assert r.status_code == 200 and r.json["subject"] == "Démonstration"
    r = client.patch(f"/events/{event['id']}", json={"subject": "Démo", "start": at(3).isoformat(),
                                                     "version": event["version"]})
    assert r.status_code == 200, r.json
    assert r.json["subject"] == "Démo" and r.json["start"] == at(3).isoformat()
    assert r.json["end"] == (at(3) + timedelta(hours=1)).isoformat()
    r = client.patch(f"/events/{event['id']}", json={"subject": "x", "version": event["version"]})
    assert r.status_code == 409
    assert client.delete(f"/events/{event['id']}").status_code == 204
    assert client.get(f"/events/{event['id']}").status_code == 404


@pytest.mark.parametrize("values, field", [
    ({"end": at(1).isoformat()}, "end"),
    ({"attendee_user_ids": [424242]}, "attendee_user_ids"),
    ({"attendee_contact_ids": [424242]}, "attendee_contact_ids"),
    ({"reminders": [{"offset_minutes": -1, "channel": "notification"}]}, "reminders.0.offset_minutes"),
    ({"reminders": [{"offset_minutes": 5, "channel": "carrier-pigeon"}]}, "reminders.0.channel"),
    ({"reminders": [{"offset_minutes": 5, "remind_at": at(1).isoformat()}]}, "reminders.0"),
    ({"partner_id": 424242}, "partner_id"),
    ({"related": {"type": "unknown", "id": 1}}, "related.type"),
    ({"type": "party"}, "type"),
    ({"subject": ""}, "subject"),
    ({"start": "tomorrow"}, "start"),
    ({"status": "done"}, "status"),
    ({"id": 5}, "id"),
    ({"colour": "red"}, "colour"),
    ({"attendee_user_ids": "1"}, "attendee_user_ids"),
    ({"start": "2026-13-45T99:00:00"}, "start"),
])
def test_bad_input_is_422_naming_the_field(api, sales, values, field):
    r = api(sales).post("/events", json=body(**values))
    assert r.status_code == 422, r.json
    assert r.mimetype == "application/problem+json"
    assert field in r.json["errors"], r.json


@pytest.mark.parametrize("payload", [b"{", b"[]", b"null", b'"x"'])
def test_malformed_json_is_400(api, sales, payload):
    r = api(sales).post("/events", data=payload, headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def test_window_query(api, sales):
    client = api(sales)
    inside = client.post("/events", json=body(start=at(2).isoformat())).json
    overlapping = client.post("/events", json=body(start=(at(1) - timedelta(hours=1)).isoformat(),
                                                   end=(at(1) + timedelta(hours=1)).isoformat())).json
    client.post("/events", json=body(start=at(40).isoformat()))
    r = client.get("/events", query_string={"start": at(1).isoformat(), "end": at(10).isoformat()})
    assert r.status_code == 200
    assert {e["id"] for e in r.json["items"]} == {inside["id"], overlapping["id"]}
    assert r.json["total"] == 2 and r.json["page"] == 1


@pytest.mark.parametrize("params, field", [
    ({"start": at(0).isoformat(), "end": at(400).isoformat()}, "end"),
    ({"start": at(5).isoformat(), "end": at(1).isoformat()}, "end"),
    ({"start": at(0).isoformat()}, "end"),
    ({"end": at(0).isoformat()}, "start"),
    ({"related_type": "lead"}, "related_id"),
])
def test_bad_window_or_filter_is_422(api, sales, params, field):
    r = api(sales).get("/events", query_string=params)
    assert r.status_code == 422
    assert field in r.json["errors"]


@pytest.mark.parametrize("value", ["someone", "0", str(2**31), "99999999999999999999"])
def test_bad_user_id_is_400_naming_it(api, sales, value):
    """A malformed query parameter is a 400 (API.md), naming it: user_id is 'me' or an id."""
    r = api(sales).get("/events", query_string={"user_id": value})
    assert r.status_code == 400
    assert "user_id" in r.json["errors"]


@pytest.mark.parametrize("params", [{"per_page": 500}, {"page": 0}, {"start": "yesterday", "end": "x"},
                                    {"type": "party"}, {"partner_id": "x"}])
def test_bad_parameters_are_4xx(api, sales, params):
    assert api(sales).get("/events", query_string=params).status_code in (400, 422)


def test_filters(api, sales, sales2, partner, contact):
    client = api(sales)
    a = client.post("/events", json=body(type="call", partner_id=partner.id)).json
    b = client.post("/events", json=body(contact_id=contact.id, attendee_user_ids=[sales2.id])).json
    c = client.post("/events", json=body(type="task")).json
    client.post(f"/events/{c['id']}/done")

    def ids(**params):
        r = client.get("/events", query_string=params)
        assert r.status_code == 200, r.json
        return {e["id"] for e in r.json["items"]}

    assert ids(type="call") == {a["id"]}
    assert ids(partner_id=partner.id) == {a["id"], b["id"]}
    assert ids(contact_id=contact.id) == {b["id"]}
    assert ids(status="done") == {c["id"]}
    assert ids(user_id=sales2.id) == {b["id"]}
    assert ids(user_id="me") == {a["id"], b["id"], c["id"]}
    assert ids(related_type="lead", related_id=1) == set()


ALLOWED = {("planned", "done"): "done", ("planned", "cancel"): "cancelled"}


@pytest.mark.parametrize("status", ["planned", "done", "cancelled"])
@pytest.mark.parametrize("action", ["done", "cancel"])
def test_actions_status_machine_over_http(api, sales, status, action):
    client = api(sales)
    event = client.post("/events", json=body(reminders=[{"offset_minutes": 5, "channel": "notification"}])).json
    if status != "planned":
        assert client.post(f"/events/{event['id']}/{'done' if status == 'done' else 'cancel'}").status_code == 200
    r = client.post(f"/events/{event['id']}/{action}")
    expected = ALLOWED.get((status, action))
    if expected is None:
        assert r.status_code == 409
        assert client.get(f"/events/{event['id']}").json["status"] == status
    else:
        assert r.status_code == 200 and r.json["status"] == expected
        assert {d["state"] for d in r.json["deliveries"]} == {"cancelled"}


def test_another_salesperson_gets_404(api, sales, sales2):
    event = api(sales).post("/events", json=body()).json
    other = api(sales2)
    for method, url in [("get", f"/events/{event['id']}"), ("patch", f"/events/{event['id']}"),
                        ("delete", f"/events/{event['id']}"), ("post", f"/events/{event['id']}/done"),
                        ("post", f"/events/{event['id']}/cancel")]:
        kwargs = {"json": {"subject": "hijack"}} if method == "patch" else {}
        assert getattr(other, method)(url, **kwargs).status_code == 404, (method, url)
    assert other.get("/events").json["total"] == 0
    assert api(sales).get(f"/events/{event['id']}").json["subject"] == "Démonstration"


def test_attendee_sees_and_edits_manager_sees_all(api, sales, sales2, manager):
    event = api(sales).post("/events", json=body(attendee_user_ids=[sales2.id])).json
    assert api(sales2).get(f"/events/{event['id']}").status_code == 200
    assert api(sales2).patch(f"/events/{event['id']}", json={"location": "Visio"}).status_code == 200
    assert api(manager).get(f"/events/{event['id']}").status_code == 200


def test_users_me_has_feed_url(api, sales):
    r = api(sales).get("/users/me")
    assert r.status_code == 200
    assert "/api/v1/calendar/feed/" in r.json["calendar_feed_url"]
    assert r.json["calendar_feed_url"].endswith(".ics")


def test_unauthenticated_is_401(client):
    assert client.get("/api/v1/events").status_code == 401


def test_openapi_lists_events(api, sales):
    doc = api(sales).get("/openapi.json").json
    assert "/api/v1/events" in doc["paths"] and "/api/v1/events/{event_id}/cancel" in doc["paths"]
