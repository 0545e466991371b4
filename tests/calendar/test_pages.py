"""Calendar pages: the calendar JSON feed, the modal form, the event page, panels, access
and query budgets."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from core.db import db
from core.testing import count_queries
from modules.calendar import services
from modules.calendar.models import Event
from tests.calendar.conftest import at

HX = {"HX-Request": "true"}


def make(user, **values):
    data = {"subject": "Démonstration", "start": at(1)}
    data.update(values)
    return services.create_event(data, by=user)


def window():
    return {"start": (at(0) - timedelta(days=7)).date().isoformat(),
            "end": (at(0) + timedelta(days=30)).date().isoformat()}


def test_pages_render(login, sales, partner, contact):
    event = make(sales, partner_id=partner.id, reminders=[{"offset_minutes": 15, "channel": "email"}])
    c = login(sales)
    for url in ["/calendar", "/calendar?who=team", "/calendar?who=abc", f"/calendar?who={sales.id}",
                f"/calendar/events/{event.id}", "/calendar/events/new", f"/calendar/events/{event.id}/edit",
                f"/partners/{partner.id}", f"/contacts/{contact.id}", "/profile",
                f"/calendar/events/new?type=call&done=1&partner_id={partner.id}",
                "/calendar/events/new?start=2026-12-01T10:00:00%2B01:00&end=2026-12-01T11:00:00%2B01:00&all_day=0",
                "/calendar/events/new?start=2026-12-01&end=2026-12-02&all_day=1",
                "/calendar/events/new?start=garbage&end=x&all_day=1&partner_id=x&contact_id=999999",
                f"/calendar/events/contacts?partner_id={partner.id}", "/calendar/events/contacts?partner_id=x"]:
        r = c.get(url)
        assert r.status_code == 200, (url, r.data[:500])
    page = c.get(f"/partners/{partner.id}").data.decode()
    assert "Log a call" in page and "Schedule a meeting" in page and "Démonstration" in page
    assert "Calendar" in c.get("/").data.decode()  # the menu entry


def test_modal_form_creates_through_htmx(login, sales, partner, contact):
    c = login(sales)
    form = {"type": "meeting", "subject": "Visite", "start": "2026-12-10T10:00", "end": "2026-12-10T11:30",
            "partner_id": str(partner.id), "contact_id": str(contact.id), "attendee_contact_ids": str(contact.id),
            "reminders-0-mode": "before", "reminders-0-amount": "2", "reminders-0-unit": "hours",
            "reminders-0-channel": "email", "reminders-1-mode": "at", "reminders-1-at": "2026-12-09T18:00",
            "reminders-1-channel": "notification", "reminders-2-mode": "before", "reminders-2-amount": "",
            "location": "Lyon", "description": "Ordre du jour"}
    r = c.post("/calendar/events/new", data=form, headers=HX)
    assert r.status_code == 204, r.data[:2000]
    trigger = json.loads(r.headers["HX-Trigger"])
    assert trigger["closeModal"] and "calendarChanged" in trigger
    event = db.session.query(Event).one()
    assert event.subject == "Visite" and event.partner_id == partner.id and event.contact_id == contact.id
    assert (event.end - event.start) == timedelta(minutes=90)
    assert sorted((r.offset_minutes or 0, r.channel) for r in event.reminders) == [(0, "notification"), (120, "email")]


def test_log_a_call_from_the_modal(login, sales, partner):
    c = login(sales)
    r = c.post("/calendar/events/new", data={"type": "call", "subject": "Appel", "start": "2026-11-20T10:00",
                                             "partner_id": str(partner.id), "done": "1"}, headers=HX)
    assert r.status_code == 204
    assert db.session.query(Event).one().status == "done"


@pytest.mark.parametrize("changes, field", [
    ({"end": "2026-12-10T09:00"}, "end"),
    ({"subject": ""}, "subject"),
    ({"start": "not-a-date"}, "start"),
    ({"attendee_user_ids": "999999"}, "attendee_user_ids"),
    ({"reminders-0-mode": "before", "reminders-0-amount": "-5", "reminders-0-unit": "minutes",
      "reminders-0-channel": "notification"}, "reminders-0"),
    ({"reminders-0-mode": "before", "reminders-0-amount": "abc", "reminders-0-unit": "minutes",
      "reminders-0-channel": "notification"}, "reminders-0"),
    ({"reminders-0-mode": "before", "reminders-0-amount": "5", "reminders-0-unit": "minutes",
      "reminders-0-channel": "fax"}, "reminders-0"),
    ({"type": "party"}, "type"),
    ({"partner_id": "999999"}, "partner_id"),
])
def test_modal_form_shows_errors(login, sales, changes, field):
    form = {"type": "meeting", "subject": "Visite", "start": "2026-12-10T10:00", "end": "2026-12-10T11:00"}
    form.update(changes)
    r = login(sales).post("/calendar/events/new", data=form, headers=HX)
    assert r.status_code == 422
    assert f'data-field-error="{field}"'.encode() in r.data, r.data.decode()[:3000]
    assert b"<html" not in r.data  # only the modal's block
    assert db.session.query(Event).count() == 0


def test_edit_form_and_stale_version(login, sales):
    event = make(sales, reminders=[{"offset_minutes": 10080, "channel": "notification"}])
    c = login(sales)
    page = c.get(f"/calendar/events/{event.id}/edit", headers=HX).data.decode()
    assert 'value="1"' in page and "weeks" in page
    form = {"type": "call", "subject": "Renommé", "start": "2026-12-11T10:00", "end": "2026-12-11T10:30",
            "version": str(event.version)}
    r = c.post(f"/calendar/events/{event.id}/edit", data=form, headers=HX)
    assert r.status_code == 204
    assert db.session.get(Event, event.id).subject == "Renommé"
    r = c.post(f"/calendar/events/{event.id}/edit", data=form, headers=HX)  # old version again
    assert r.status_code == 409
    assert db.session.get(Event, event.id).reminders == []  # the form had no reminder rows left


def test_done_and_cancel_buttons(login, sales):
    event = make(sales)
    c = login(sales)
    assert b"Done" in c.get(f"/calendar/events/{event.id}").data
    assert c.post(f"/calendar/events/{event.id}/done").status_code == 303
    assert db.session.get(Event, event.id).status == "done"
    r = c.post(f"/calendar/events/{event.id}/cancel", follow_redirects=True)
    assert b"already" in r.data
    assert db.session.get(Event, event.id).status == "done"


def test_other_salesperson_gets_404_everywhere(login, sales, sales2):
    event = make(sales)
    c = login(sales2)
    for method, url in [("get", f"/calendar/events/{event.id}"), ("get", f"/calendar/events/{event.id}/edit"),
                        ("post", f"/calendar/events/{event.id}/edit"), ("post", f"/calendar/events/{event.id}/done"),
                        ("post", f"/calendar/events/{event.id}/cancel"),
                        ("post", f"/calendar/events/{event.id}/delete")]:
        assert getattr(c, method)(url).status_code == 404, url
    items = c.get("/calendar/events.json", query_string={**window(), "who": "team"}).json
    assert items == []
    items = c.get("/calendar/events.json", query_string={**window(), "who": str(sales.id)}).json
    assert items == []
    assert db.session.get(Event, event.id).status == "planned"


def test_json_feed_for_me_colleague_and_team(login, sales, sales2, manager, partner):
    mine = make(sales)
    theirs = make(sales2, attendee_user_ids=[sales.id])
    private = make(sales2)
    all_day = make(sales, start=at(2), all_day=True)
    about_my_partner = make(sales2, partner_id=partner.id)  # seen by sales, not theirs to edit
    c = login(sales)
    items = c.get("/calendar/events.json", query_string={**window(), "who": "me"}).json
    assert {int(i["id"]) for i in items} == {mine.id, theirs.id, all_day.id}
    by_id = {int(i["id"]): i for i in items}
    assert by_id[all_day.id]["allDay"] and len(by_id[all_day.id]["start"]) == 10
    assert by_id[mine.id]["editable"] and by_id[theirs.id]["editable"]
    team = {int(i["id"]): i for i in c.get("/calendar/events.json",
                                           query_string={**window(), "who": "team"}).json}
    assert set(team) == {mine.id, theirs.id, all_day.id, about_my_partner.id}
    assert team[theirs.id]["editable"] and not team[about_my_partner.id]["editable"]
    assert all(services.can(sales, "update", db.session.get(Event, i)) == item["editable"]
               for i, item in team.items())
    boss = login(manager)
    team = boss.get("/calendar/events.json", query_string={**window(), "who": "team"}).json
    assert {int(i["id"]) for i in team} == {mine.id, theirs.id, private.id, all_day.id,
                                            about_my_partner.id}
    assert all(i["editable"] for i in team)
    colleague = boss.get("/calendar/events.json", query_string={**window(), "who": str(sales2.id)}).json
    assert {int(i["id"]) for i in colleague} == {theirs.id, private.id, about_my_partner.id}


@pytest.mark.parametrize(("params", "field"), [
    ({}, "end"), ({"start": "2026-01-01"}, "end"), ({"start": "2026-01-01", "end": "2028-01-01"}, "end"),
    ({"start": "x", "end": "2026-01-01"}, "start"), ({"start": "2026-02-01", "end": "2026-01-01"}, "end"),
    ({"start": "2026-01-01", "end": "2026-02-01", "who": "nobody"}, "who")])
def test_json_feed_bad_window(login, sales, params, field):
    """Every refusal of the JSON feed is problem+json naming the wrong parameter."""
    response = login(sales).get("/calendar/events.json", query_string=params)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json" and field in response.json["errors"]


def test_anonymous_is_sent_to_login(client):
    for url in ["/calendar", "/calendar/events.json", "/calendar/events/1", "/calendar/events/new"]:
        assert client.get(url).status_code in (302, 401)


def _many(user, partner, n):
    for i in range(n):
        make(user, partner_id=partner.id, subject=f"Event {i}", start=at((-1 if i % 2 else 1) * (1 + i % 6)),
             attendee_user_ids=[user.id], reminders=[{"offset_minutes": 5, "channel": "notification"}])


@pytest.mark.parametrize("what", ["json", "panel"])
def test_query_budget_is_flat(login, sales, partner, what):
    c = login(sales)

    def measure():
        db.session.expire_all()
        url = (f"/calendar/events.json?start={window()['start']}&end={window()['end']}&who=me"
               if what == "json" else f"/calendar/panel/partner/{partner.id}")
        with count_queries(db.engine) as q:
            r = c.get(url)
        assert r.status_code == 200
        return q.count

    _many(sales, partner, 5)
    few = measure()
    _many(sales, partner, 195)
    assert measure() == few


def test_partner_page_budget_is_flat(login, sales, partner):
    c = login(sales)

    def measure():
        with count_queries(db.engine) as q:
            assert c.get(f"/partners/{partner.id}").status_code == 200
        return q.count

    _many(sales, partner, 5)
    few = measure()
    _many(sales, partner, 195)
    assert measure() == few


def test_panel_shows_reminders_and_linked_only(login, sales, partner, contact):
    from core.partners import services as partners

    other = partners.create_partner({"name": "Ailleurs"}, by=sales)
    make(sales, partner_id=partner.id, subject="Chez eux", reminders=[{"offset_minutes": 5, "channel": "email"}])
    make(sales, partner_id=other.id, subject="Ailleurs RDV")
    make(sales, contact_id=contact.id, subject="Avec Hugo", start=at(-3))
    c = login(sales)
    html = c.get(f"/calendar/panel/partner/{partner.id}").data.decode()
    assert "Chez eux" in html and "Avec Hugo" in html and "Ailleurs RDV" not in html
    assert "reminder-badge" in html
    contact_html = c.get(f"/calendar/panel/contact/{contact.id}").data.decode()
    assert "Avec Hugo" in contact_html and "Chez eux" not in contact_html
    assert c.get("/calendar/panel/nothing/1").status_code == 404
    assert c.get("/calendar/panel/partner/999999").status_code == 404


def test_panel_hides_events_the_user_may_not_see(login, sales, sales2, partner):
    from core.partners import services as partners

    theirs = partners.create_partner({"name": "Chez Sue", "salesperson_id": sales2.id}, by=sales2)
    make(sales2, partner_id=theirs.id, subject="Secret de Sue")
    html = login(sales).get(f"/partners/{theirs.id}").data.decode()
    assert "Secret de Sue" not in html


def test_home_agenda(login, sales, sales2):
    make(sales, subject="Mon rendez-vous", start=at(1))
    make(sales2, subject="Pas le mien", start=at(1))
    make(sales, subject="Trop loin", start=at(20))
    html = login(sales).get("/").data.decode()
    assert "My agenda" in html and "Mon rendez-vous" in html
    assert "Pas le mien" not in html and "Trop loin" not in html


@pytest.mark.parametrize("who", ["me", "team"])
def test_feed_keeps_events_that_began_long_before_the_window(login, sales, manager, who):
    """The window's overlap bounds start from below by the longest event's length (SQLite:
    services.longest_event): an event that began weeks earlier and still runs is in the
    feed; one that ended just before the window is not; nor one that starts at its end."""
    week = {"start": at(0).date().isoformat(), "end": (at(0) + timedelta(days=7)).date().isoformat()}
    window_start = at(0).replace(hour=0)
    fair = make(sales, subject="Salon (6 semaines)", start=window_start - timedelta(days=40),
                end=window_start + timedelta(hours=1))
    ended = make(sales, subject="Fini juste avant", start=window_start - timedelta(days=3),
                 end=window_start)
    short = make(sales, subject="Court", start=window_start + timedelta(hours=9),
                 end=window_start + timedelta(hours=10))
    after = make(sales, subject="Après", start=window_start + timedelta(days=7),
                 end=window_start + timedelta(days=7, hours=1))
    c = login(sales if who == "me" else manager)
    ids = {int(i["id"]) for i in c.get("/calendar/events.json", query_string={**week, "who": who}).json}
    assert fair.id in ids and short.id in ids
    assert ended.id not in ids and after.id not in ids
    if db.engine.dialect.name == "sqlite":  # julianday's arithmetic is good to the millisecond
        assert abs(services.longest_event() - timedelta(days=40, hours=1)) < timedelta(milliseconds=5)


def test_visibility_holds_in_queries_that_join_partners_contacts_and_leads(sales, sales2, partner, contact):
    """The visibility condition's subqueries correlate to the event only: a query that also
    joins partners, contacts or leads (the bench's baseline, a plugin's report) keeps them
    as its own tables (SQLAlchemy would otherwise correlate them too, and fail)."""
    import sqlalchemy as sa

    from core.partners.models import Contact, Partner
    from modules.crm.models import Lead
    from modules.crm.services import leads as lead_svc

    lead = lead_svc.create_lead({"last_name": "Visible"}, by=sales)
    about_partner = make(sales2, partner_id=partner.id)
    about_contact = make(sales2, contact_id=contact.id, partner_id=partner.id)
    about_lead = make(sales2, related={"type": "lead", "id": lead.id})
    hidden = make(sales2)
    stmt = (services.visible_events(sales)
            .with_only_columns(Event.id, Partner.name, Contact.last_name, Lead.last_name)
            .outerjoin(Partner, Partner.id == Event.partner_id)
            .outerjoin(Contact, Contact.id == Event.contact_id)
            .outerjoin(Lead, sa.and_(Event.related_type == "lead", Lead.id == Event.related_id)))
    rows = {r[0]: r[1:] for r in db.session.execute(stmt)}
    assert set(rows) == {about_partner.id, about_contact.id, about_lead.id}
    assert rows[about_contact.id][:2] == (partner.name, contact.last_name) and hidden.id not in rows
