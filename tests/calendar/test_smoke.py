from tests.calendar.conftest import at


def test_smoke(api, login, sales, partner, contact):
    r = api(sales).post("/events", json={"subject": "Demo", "start": at(1).isoformat(), "partner_id": partner.id,
                                         "reminders": [{"offset_minutes": 15, "channel": "notification"}]})
    assert r.status_code == 201, r.json
    ev = r.json
    c = login(sales)
    for url in ["/calendar", f"/calendar/events/{ev['id']}", "/calendar/events/new", f"/partners/{partner.id}",
                f"/contacts/{contact.id}", "/profile", f"/calendar/events/{ev['id']}/edit",
                "/calendar/events.json?start=2026-01-01&end=2027-01-01&who=me"]:
        resp = c.get(url)
        assert resp.status_code == 200, (url, resp.data[:3000])
