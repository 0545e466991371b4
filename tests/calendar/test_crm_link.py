"""With the CRM module: events linked to a lead show on the lead page (panel with Log a
call / Schedule a meeting), follow the lead's visibility, and are refused for a lead the
user may not see."""

from __future__ import annotations

from tests.calendar.conftest import at


def test_event_linked_to_a_lead(api, login, sales, sales2):
    lead = api(sales).post("/leads", json={"last_name": "Durand", "company_name": "ACME", "assigned_to": sales.id})
    if lead.status_code == 404:  # the CRM module is not installed
        return
    assert lead.status_code == 201, lead.json
    lead_id = lead.json["id"]
    event = api(sales).post("/events", json={"subject": "Appel lead", "start": at(1).isoformat(),
                                             "related": {"type": "lead", "id": lead_id}})
    assert event.status_code == 201, event.json
    page = login(sales).get(f"/crm/leads/{lead_id}").data.decode()
    assert "Appel lead" in page and "Log a call" in page and "related_type=lead" in page
    assert api(sales2).get(f"/events/{event.json['id']}").status_code == 404
    refused = api(sales2).post("/events", json={"subject": "x", "start": at(1).isoformat(),
                                                "related": {"type": "lead", "id": lead_id}})
    assert refused.status_code == 422 and "related.id" in refused.json["errors"]


def test_converting_a_lead_repoints_its_events(api, login, sales):
    """API.md: events of a lead also appear with partner_id/contact_id once converted."""
    client = api(sales)
    lead = client.post("/leads", json={"first_name": "Jeanne", "last_name": "Durand",
                                       "company_name": "Durand SA", "assigned_to": sales.id}).json
    event = client.post("/events", json={"subject": "Premier appel", "start": at(1).isoformat(),
                                         "type": "call", "related": {"type": "lead", "id": lead["id"]}}).json
    assert event["partner_id"] is None
    converted = client.post(f"/leads/{lead['id']}/convert", json={"create_opportunity": False})
    assert converted.status_code == 200, converted.json
    partner_id = converted.json["partner"]["id"]
    contact_id = converted.json["contact"]["id"]
    after = client.get(f"/events/{event['id']}").json
    assert (after["partner_id"], after["contact_id"]) == (partner_id, contact_id)
    assert after["related"] == {"type": "lead", "id": lead["id"]}
    assert [e["id"] for e in client.get(f"/events?partner_id={partner_id}").json["items"]] == [event["id"]]
    assert "Premier appel" in login(sales).get(f"/partners/{partner_id}").get_data(as_text=True)
