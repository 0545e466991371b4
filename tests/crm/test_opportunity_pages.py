"""Opportunity and lead pages: forms (validation, stale versions), won/lose, panels."""

import json
import re
from decimal import Decimal
from html import unescape

import pytest
import sqlalchemy as sa

from core.db import db
from core.partners import services as partners
from core.testing import count_queries
from modules.crm.models import Lead, Opportunity
from modules.crm.services import opportunities
from tests.crm.conftest import reason, stage


def test_new_edit_won(login, manager):
    partner = partners.create_partner({"name": "Panel Co"}, by=manager)
    client = login(manager)
    assert client.get(f"/crm/opportunities/new?partner_id={partner.id}").status_code == 200
    response = client.post("/crm/opportunities/new", data={"name": "", "amount": "-5"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'data-field-error="name"' in html and 'data-field-error="amount"' in html
    response = client.post("/crm/opportunities/new", data={
        "name": "Panel deal", "partner_id": partner.id, "amount": "1500", "assigned_to": manager.id,
        "stage_id": stage("Proposition").id, "expected_close_date": "2027-05-01"})
    assert response.status_code == 303
    opp = db.session.scalars(sa.select(Opportunity)).one()
    assert opp.probability == 50 and opp.amount == Decimal("1500.00")
    assert "Panel deal" in client.get(f"/partners/{partner.id}").get_data(as_text=True)
    page = client.get(f"/crm/opportunities/{opp.id}").get_data(as_text=True)
    assert "Won" in page and "Lose" in page
    stale = client.post(f"/crm/opportunities/{opp.id}/edit", data={
        "name": "Renamed", "version": opp.version - 1 if opp.version > 1 else 999})
    assert stale.status_code == 409
    response = client.post(f"/crm/opportunities/{opp.id}/edit", data={
        "name": "Renamed", "amount": "2000", "probability": "60", "version": opp.version})
    assert response.status_code == 303
    db.session.expire_all()
    opp = db.session.get(Opportunity, opp.id)
    assert opp.name == "Renamed" and opp.probability == 60
    assert client.post(f"/crm/opportunities/{opp.id}/won").status_code == 303
    assert db.session.get(Opportunity, opp.id).status == "won"
    assert client.post(f"/crm/opportunities/{opp.id}/won").status_code == 409


@pytest.mark.parametrize("kind", ["opportunity", "lead"])
def test_lose_modal(login, manager, make_lead, kind):
    """The one "lost" dialog, for an opportunity and for a lead: its own title, form action
    and button; a missing reason re-shows it with the error; a reason closes it."""
    if kind == "opportunity":
        record = opportunities.create_opportunity({"name": "Lose me"}, by=manager)
        url, model = f"/crm/opportunities/{record.id}/lose", Opportunity
        title, button = "Mark Lose me as lost", "Mark as lost"
    else:
        record = make_lead(status="in_progress", last_name="Perdu", company_name="Perdu SA")
        url, model = f"/crm/leads/{record.id}/lose", Lead
        title, button = f"Close {record.display_name} as lost", "Close as lost"
    client = login(manager)
    htmx = {"HX-Request": "true"}
    form = client.get(url, headers=htmx).get_data(as_text=True)
    assert "<html" not in form and "lost_reason_id" in form
    assert title in form and f'hx-post="{url}"' in form and f">{button}</button>" in form
    assert "<html" in client.get(url).get_data(as_text=True)
    response = client.post(url, data={}, headers=htmx)
    assert response.status_code == 422
    assert title in response.get_data(as_text=True) and "is-invalid" in response.get_data(as_text=True)
    response = client.post(url, data={"lost_reason_id": reason().id}, headers=htmx)
    assert response.status_code == 204 and response.headers["HX-Trigger"] == "closeModal"
    assert db.session.get(model, record.id).status == "lost"


def test_lead_edit_and_stale_version(login, manager, make_lead):
    lead = make_lead("new")
    version = lead.version
    client = login(manager)
    assert client.get(f"/crm/leads/{lead.id}/edit").status_code == 200
    response = client.post(f"/crm/leads/{lead.id}/edit", data={
        "last_name": "Durand", "website": "not a site", "version": version})
    assert response.status_code == 422 and 'data-field-error="website"' in response.get_data(as_text=True)
    response = client.post(f"/crm/leads/{lead.id}/edit", data={
        "last_name": "Durand", "city": "Lyon", "description": "Long story", "version": version})
    assert response.status_code == 303
    response = client.post(f"/crm/leads/{lead.id}/edit", data={
        "last_name": "Other", "version": version})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).last_name == "Durand"


def test_lead_patch_api(api, manager, make_lead):
    lead = make_lead("new")
    client = api(manager)
    response = client.patch(f"/leads/{lead.id}", json={"city": "Nice", "source": "referral"})
    assert response.status_code == 200 and response.json["city"] == "Nice"
    assert response.json["source"] == "referral"
    assert client.patch(f"/leads/{lead.id}", json={"status": "lost"}).status_code == 422
    assert client.patch(f"/leads/{lead.id}", json={"version": 1, "city": "X"}).status_code == 409
    converted = make_lead("converted")
    assert client.patch(f"/leads/{converted.id}", json={"city": "X"}).status_code == 409
    assert client.get("/leads?status=converted").json["total"] == 1
    assert client.get("/leads?assigned_to=me").json["total"] == 0
    assert client.get("/leads?status=bogus").status_code == 400


def test_home_panel(login, sales, make_lead):
    make_lead("new")
    opportunities.create_opportunity({"name": "Panel deal", "stage_id": stage("Proposition").id,
                                      "amount": Decimal("26000"), "assigned_to": sales.id}, by=sales)
    html = login(sales).get("/").get_data(as_text=True)
    assert 'id="panel-crm-home"' in html and "Open pipeline" in html
    # The pipeline's amounts are weighted (26,000 at 50 %), and say so.
    pipeline = html[html.index("Open pipeline"):]
    assert re.search(r"<th[^>]*>Weighted</th>", pipeline)
    assert re.search(r"<td>Proposition</td><td[^>]*>1</td><td[^>]*>€13,000.00</td>", pipeline)


@pytest.mark.parametrize(("language", "months"), [("en", ["Nov 2026", "Dec 2026", "Oct 2027"]),
                                                  ("fr", ["nov. 2026", "déc. 2026", "oct. 2027"])])
def test_dashboard_names_months_in_the_users_language(login, manager, monkeypatch, language, months):
    """The forecast and won/lost months, in the charts and the tables, as the user's
    language writes them (the API keeps its "2026-11" keys)."""
    import datetime as dt

    import modules.crm.services.opportunities as opps

    class Today(dt.date):
        @classmethod
        def today(cls):
            return cls(2026, 11, 27)

    monkeypatch.setattr(opps, "date", Today)
    html = login(manager).get("/crm/", headers={"Accept-Language": language}).get_data(as_text=True)
    forecast = html[html.index('id="forecast"'):html.index('id="pipeline-by-stage"')]
    chart = json.loads(unescape(re.search(r'data-chart="([^"]*)"', forecast).group(1)))
    assert chart["labels"][0] == months[0] and chart["labels"][-1] == months[-1]
    for month in months:
        assert f"<td>{month}</td>" in forecast, month
    assert "2026-11" not in forecast


def test_openapi_lists_crm_operations(client):
    doc = client.get("/api/v1/openapi.json").json
    for path in ("/api/v1/leads", "/api/v1/leads/{lead_id}/convert", "/api/v1/lost-reasons",
                 "/api/v1/lead-sources", "/api/v1/opportunity-stages",
                 "/api/v1/opportunities/forecast", "/api/v1/opportunities/{opp_id}/lose"):
        assert path in doc["paths"], path


def test_activity_by_salesperson(login, manager, sales, sales2):
    from datetime import timedelta

    from core.db import utcnow
    from modules.calendar.models import Event
    from modules.crm.services import dashboard

    now = utcnow()
    for organizer, kind, status in ((sales, "call", "done"), (sales, "call", "planned"),
                                    (sales, "meeting", "done"), (sales, "call", "cancelled"),
                                    (sales2, "meeting", "done"), (sales2, "task", "done")):
        db.session.add(Event(type=kind, subject="x", start=now, end=now + timedelta(hours=1),
                             status=status, organizer_id=organizer.id))
    db.session.commit()
    rows = {r["name"]: r for r in dashboard.activity_by_salesperson(manager)}
    assert rows[sales.name] == {"name": sales.name, "call": 2, "meeting": 1}
    assert rows[sales2.name] == {"name": sales2.name, "call": 0, "meeting": 1}
    mine = dashboard.activity_by_salesperson(sales)
    assert [r["name"] for r in mine] == [sales.name]
    assert 'id="activity"' in login(manager).get("/crm/").get_data(as_text=True)


@pytest.mark.parametrize("many", [False, True])
def test_opportunity_list_sorts_few_matches_instead_of_walking_its_sort_index(login, manager, monkeypatch, many):
    """As the lead list: up to core.search.NARROW_LIMIT matches the order is one SQLite
    cannot take from an index (a stage with no opportunity walked all 50,000 by close date:
    21 -> 4 ms); same rows, same order either way."""
    from core import search

    first = stage("Qualification")
    for name, amount in (("Alphadeal", "300"), ("Bravodeal", "200"), ("Charliedeal", "100")):
        opportunities.create_opportunity({"name": name, "amount": amount, "stage_id": first.id}, by=manager)
    opportunities.create_opportunity({"name": "Zuludeal"}, by=manager)
    if many:
        monkeypatch.setattr(search, "NARROW_LIMIT", 0)
    with count_queries(db.engine) as queries:  # the statements run, as the query budgets do
        page = login(manager).get(f"/crm/opportunities?stage={first.id}&sort=-amount").get_data(as_text=True)
    statements = queries.statements
    assert page.index("Alphadeal") < page.index("Bravodeal") < page.index("Charliedeal")
    assert "Zuludeal" not in page
    (rows,) = [s for s in statements if s.startswith("SELECT crm_opportunity.id") and "ORDER BY" in s]
    assert ("ORDER BY +crm_opportunity.amount DESC" in rows) == (db.engine.dialect.name == "sqlite" and not many)
