"""The private ICS feed: parsed back with icalendar, UTC times, all-day DATE values, served
as ``text/calendar; charset=utf-8`` as documented; a wrong secret gets a bare 404,
regenerating kills the old URL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from icalendar import Calendar

from modules.calendar import feed, services


def feed_path(app, user) -> str:
    with app.test_request_context():
        return "/api/v1/calendar/feed/" + feed.secret_for(user) + ".ics"


def test_feed_parses_back(app, client, sales, sales2, partner):
    timed = services.create_event({"subject": "Démo – Lyon", "start": datetime(2026, 12, 3, 13, 30, tzinfo=UTC),
                                   "end": datetime(2026, 12, 3, 15, tzinfo=UTC), "location": "Lyon",
                                   "partner_id": partner.id, "description": "Ordre du jour"}, by=sales)
    all_day = services.create_event({"subject": "Salon", "type": "event", "start": datetime(2026, 12, 7, tzinfo=UTC),
                                     "end": datetime(2026, 12, 9, tzinfo=UTC), "all_day": True}, by=sales)
    attended = services.create_event({"subject": "Invité", "start": datetime(2026, 12, 4, 9, tzinfo=UTC),
                                      "attendee_user_ids": [sales.id]}, by=sales2)
    cancelled = services.create_event({"subject": "Annulé", "start": datetime(2026, 12, 5, 9, tzinfo=UTC)}, by=sales)
    services.cancel_event(cancelled, by=sales)
    services.create_event({"subject": "Pas à moi", "start": datetime(2026, 12, 5, 9, tzinfo=UTC)}, by=sales2)

    r = client.get(feed_path(app, sales))
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/calendar; charset=utf-8"
    cal = Calendar.from_ical(r.data)
    events = {str(c["summary"]): c for c in cal.walk("VEVENT")}
    assert set(events) == {"Démo – Lyon", "Salon", "Invité", "Annulé"}
    demo = events["Démo – Lyon"]
    assert demo.decoded("dtstart") == datetime(2026, 12, 3, 13, 30, tzinfo=UTC)
    assert demo.decoded("dtend") == datetime(2026, 12, 3, 15, tzinfo=UTC)
    assert demo["dtstart"].to_ical() == b"20261203T133000Z"
    assert str(demo["location"]) == "Lyon"
    assert partner.name in str(demo["description"]) and "Ordre du jour" in str(demo["description"])
    assert str(demo["uid"]) == f"event-{timed.id}@comptoir"
    assert str(demo["url"]).endswith(f"/calendar/events/{timed.id}")
    salon = events["Salon"]
    assert salon.decoded("dtstart") == date(2026, 12, 7) and salon.decoded("dtend") == date(2026, 12, 9)
    assert salon["dtstart"].params.get("VALUE") == "DATE" or salon["dtstart"].to_ical() == b"20261207"
    assert str(events["Annulé"]["status"]) == "CANCELLED"
    assert str(events["Invité"]["uid"]) == f"event-{attended.id}@comptoir"
    assert all_day.id


def test_wrong_secret_is_a_bare_404(app, client, sales):
    good = feed_path(app, sales)
    for path in [good.replace(".ics", "0.ics"), "/api/v1/calendar/feed/nope.ics",
                 f"/api/v1/calendar/feed/{sales.id}-{'0' * 40}.ics", "/api/v1/calendar/feed/-.ics",
                 "/api/v1/calendar/feed/99999999999999999999-x.ics"]:
        r = client.get(path)
        assert r.status_code == 404, path
        assert b"secret" not in r.data.lower() and b"user" not in r.data.lower()
        assert r.mimetype == "application/problem+json"  # as the OpenAPI document says


def test_feed_is_documented_as_text_calendar(client):
    """The OpenAPI entry of the feed: a text/calendar answer, no bearer token, problem+json
    errors (the fuzzer checks the answers against it)."""
    doc = client.get("/api/v1/openapi.json").json
    op = doc["paths"]["/api/v1/calendar/feed/{secret}.ics"]["get"]
    assert op["responses"]["200"]["content"] == {"text/calendar": {"schema": {"type": "string"}}}
    assert "application/problem+json" in op["responses"]["404"]["content"]
    assert "security" not in op


def test_regenerate_from_profile_kills_old_url(app, client, login, sales):
    old = feed_path(app, sales)
    assert client.get(old).status_code == 200
    browser = login(sales)
    profile = browser.get("/profile")
    assert old.encode() in profile.data  # the panel shows the URL
    r = browser.post("/calendar/feed/regenerate")
    assert r.status_code == 303
    new = feed_path(app, sales)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_inactive_user_feed_is_404(app, client, sales):
    from core.db import db

    path = feed_path(app, sales)
    sales.active = False
    db.session.commit()
    assert client.get(path).status_code == 404
