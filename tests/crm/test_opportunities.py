"""Opportunities: probability from the stage, moves, won/lost rules, forecast and pipeline
figures against a hand-computed fixture, and access."""

from datetime import date
from decimal import Decimal

import pytest

from core.db import db
from core.errors import Conflict, ValidationError
from modules.crm.models import Opportunity
from modules.crm.services import opportunities as svc
from modules.crm.services.opportunities import add_months
from tests.crm.conftest import reason, stage


def _opp(by, name="Deal", **values):
    return svc.create_opportunity({"name": name, **values}, by=by)


def test_probability_defaults_from_stage_and_can_be_overridden(manager):
    assert _opp(manager).probability == 10 and _opp(manager).stage.name == "New"
    assert _opp(manager, stage_id=stage("Proposition").id).probability == 50
    assert _opp(manager, stage_id=stage("Proposition").id, probability=33).probability == 33


def test_move_sets_stage_probability(manager):
    opp = _opp(manager, stage_id=stage("Qualification").id, amount=Decimal("1000"))
    svc.move(opp, stage("Negotiation").id, by=manager)
    assert opp.stage.name == "Negotiation" and opp.probability == 75


def test_move_to_won_stage_wins_and_lost_stage_needs_lose(manager):
    opp = _opp(manager)
    with pytest.raises(ValidationError):
        svc.move(opp, stage("Closed lost").id, by=manager)
    assert db.session.get(Opportunity, opp.id).status == "open"
    svc.move(opp, stage("Closed won").id, by=manager)
    assert opp.status == "won" and opp.probability == 100


@pytest.mark.parametrize("first", ["won", "lost"])
@pytest.mark.parametrize("then", ["won", "lost", "move"])
def test_closed_opportunities_refuse_everything(manager, first, then):
    opp = _opp(manager)
    if first == "won":
        svc.mark_won(opp, by=manager)
    else:
        svc.mark_lost(opp, reason().id, by=manager)
    version = opp.version
    with pytest.raises(Conflict):
        if then == "won":
            svc.mark_won(opp, by=manager)
        elif then == "lost":
            svc.mark_lost(opp, reason().id, by=manager)
        else:
            svc.move(opp, stage("Negotiation").id, by=manager)
    assert db.session.get(Opportunity, opp.id).version == version


def test_lost_needs_a_reason(api, manager):
    opp = _opp(manager)
    client = api(manager)
    assert client.post(f"/opportunities/{opp.id}/lose", json={}).status_code == 422
    response = client.post(f"/opportunities/{opp.id}/lose", json={"lost_reason_id": 999})
    assert response.status_code == 422 and "lost_reason_id" in response.json["errors"]
    response = client.post(f"/opportunities/{opp.id}/lose", json={"lost_reason_id": reason().id})
    assert response.status_code == 200 and response.json["status"] == "lost"
    assert response.json["probability"] == 0
    assert client.post(f"/opportunities/{opp.id}/won").status_code == 409


def test_api_bad_input(api, manager):
    client = api(manager)
    for body, field in (({"name": "X", "amount": "-1"}, "amount"),
                        ({"name": "X", "probability": 101}, "probability"),
                        ({"name": "X", "stage_id": 999}, "stage_id"),
                        ({"name": "", "amount": "1"}, "name"),
                        ({"name": "X", "status": "won"}, "status")):
        response = client.post("/opportunities", json=body)
        assert response.status_code == 422, body
        assert field in response.json["errors"], response.json
    opp = client.post("/opportunities", json={"name": "Ok", "amount": "10.5"}).json
    assert opp["amount"] == "10.50" and opp["status"] == "open" and opp["assigned_to"] == manager.id
    response = client.patch(f"/opportunities/{opp['id']}", json={"stage_id": stage("Negotiation").id})
    assert response.status_code == 200 and response.json["probability"] == 75
    response = client.patch(f"/opportunities/{opp['id']}", json={"probability": 60})
    assert response.json["probability"] == 60


def test_salesperson_sees_own_opportunities_only(api, manager, sales, sales2):
    mine = _opp(sales, "Mine")
    theirs = _opp(sales2, "Theirs")
    client = api(sales)
    ids = [o["id"] for o in client.get("/opportunities").json["items"]]
    assert ids == [mine.id]
    assert client.get(f"/opportunities/{theirs.id}").status_code == 404
    assert client.post(f"/opportunities/{theirs.id}/won").status_code == 404
    response = client.post("/opportunities", json={"name": "X", "assigned_to": sales2.id})
    assert response.status_code == 422
    assert len(api(manager).get("/opportunities").json["items"]) == 2


FIXTURE = [
    # (months ahead, stage, amount, owner, status)
    (0, "New", "1000.00", "sales", "open"),           # 10 % -> 100.00
    (0, "Proposition", "2000.00", "sales2", "open"),  # 50 % -> 1000.00
    (1, "Negotiation", "3000.00", "sales", "open"),   # 75 % -> 2250.00
    (1, "Qualification", "333.33", "sales", "open"),  # 20 % -> 66.666 -> total 2316.67
    (3, "New", "500.00", "sales2", "won"),            # closed: not in the forecast
    (12, "New", "9999.00", "sales", "open"),          # outside 12 months
    (-1, "New", "777.00", "sales", "open"),           # last month: outside
]


@pytest.fixture
def fixture_opps(manager, sales, sales2):
    people = {"sales": sales, "sales2": sales2}
    today = date.today()
    for ahead, stage_name, amount, owner, status in FIXTURE:
        opp = svc.create_opportunity({
            "name": f"{stage_name} {amount}", "stage_id": stage(stage_name).id,
            "amount": Decimal(amount), "assigned_to": people[owner].id,
            "expected_close_date": add_months(today, ahead).replace(day=15)}, by=manager)
        if status == "won":
            svc.mark_won(opp, by=manager)
    return today


def test_forecast_figures(api, manager, sales, fixture_opps):
    this = add_months(fixture_opps, 0).strftime("%Y-%m")
    following = add_months(fixture_opps, 1).strftime("%Y-%m")
    items = api(manager).get("/opportunities/forecast?months=12").json["items"]
    assert len(items) == 12 and items[0]["month"] == this
    assert items[0] == {"month": this, "count": 2, "amount": "3000.00", "weighted_amount": "1100.00"}
    assert items[1] == {"month": following, "count": 2, "amount": "3333.33",
                        "weighted_amount": "2316.67"}
    assert all(i["count"] == 0 and i["amount"] == "0.00" for i in items[2:])
    # A salesperson's forecast counts their own opportunities only.
    mine = api(sales).get("/opportunities/forecast?months=2").json["items"]
    assert mine[0]["amount"] == "1000.00" and mine[0]["weighted_amount"] == "100.00"
    assert api(manager).get("/opportunities/forecast?months=0").status_code == 400


def test_pipeline_figures(manager, sales, fixture_opps):
    rows = {r["stage"].name: r for r in svc.pipeline_by_stage(manager)}
    assert rows["New"]["count"] == 3
    assert rows["New"]["amount"] == Decimal("11776.00")
    assert rows["New"]["weighted_amount"] == Decimal("1177.60")
    assert rows["Negotiation"]["weighted_amount"] == Decimal("2250.00")
    assert "Closed won" not in rows
    mine = {r["stage"].name: r for r in svc.pipeline_by_stage(sales)}
    assert mine["Proposition"]["count"] == 0


def test_pipeline_page_move_changes_totals(login, manager, fixture_opps):
    client = login(manager)
    opp = db.session.scalars(db.select(Opportunity).where(
        Opportunity.stage_id == stage("Qualification").id)).first()
    response = client.post(f"/crm/opportunities/{opp.id}/move",
                           data={"stage_id": stage("Negotiation").id},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="pipeline"' in html and "<html" not in html
    assert db.session.get(Opportunity, opp.id).probability == 75
    won = svc.mark_won(svc.create_opportunity({"name": "W"}, by=manager), by=manager)
    response = client.post(f"/crm/opportunities/{won.id}/move",
                           data={"stage_id": stage("New").id}, headers={"HX-Request": "true"})
    assert response.status_code == 409


def test_pipeline_columns_show_the_first_cards_by_close_date_undated_last(
        login, manager, sales, monkeypatch):
    """Each column lists its first KANBAN_LIMIT open opportunities: dated ones by close
    date (then id), undated ones after them; other columns, other statuses and records the
    user may not see stay out; the column's count still says how many there are."""
    import re

    from modules.crm.views import opportunities as views

    monkeypatch.setattr(views, "KANBAN_LIMIT", 4)
    new, qualification = stage("New").id, stage("Qualification").id
    _opp(manager, "U-first", stage_id=new)
    for day in (9, 3, 7, 1, 5):
        _opp(manager, f"D-{day}", stage_id=new, expected_close_date=date(2027, 1, day))
    _opp(manager, "U-late", stage_id=new)
    svc.mark_won(_opp(manager, "Won-early", stage_id=new, expected_close_date=date(2020, 1, 1)),
                 by=manager)
    _opp(manager, "Q-only", stage_id=qualification)
    _opp(sales, "Sales-early", stage_id=new, expected_close_date=date(2019, 1, 1))

    def column(html, stage_id=new):
        start = html.index(f'data-stage-id="{stage_id}"')
        section = html[start:html.index("</section>", start)]
        return re.findall(r'class="fw-semibold text-decoration-none" href="[^"]+">([^<]+)<', section)

    html = login(manager).get("/crm/pipeline").get_data(as_text=True)
    assert column(html) == ["Sales-early", "D-1", "D-3", "D-5"]
    assert column(html, qualification) == ["Q-only"]
    monkeypatch.setattr(views, "KANBAN_LIMIT", 10)
    html = login(manager).get("/crm/pipeline").get_data(as_text=True)
    assert column(html) == ["Sales-early", "D-1", "D-3", "D-5", "D-7", "D-9", "U-first", "U-late"]
    assert 'data-count>8<' in html
    html = login(sales).get("/crm/pipeline").get_data(as_text=True)
    assert column(html) == ["Sales-early"] and column(html, qualification) == []


def test_pipeline_cards_show_customer_amount_date_and_salesperson(login, manager, sales):
    """A card is read as plain columns (services.opportunities.BoardCard): its customer is
    the partner, else the lead (Lead.display_name's rule), else nothing."""
    from core.partners.models import Partner
    from modules.crm.services import leads as lead_svc

    partner = Partner(name="Fromagerie Dubois", name_search="fromagerie dubois", version=1)
    db.session.add(partner)
    db.session.commit()
    lead = lead_svc.create_lead({"first_name": "Ana", "last_name": "Lima", "company_name": "Lima SA"},
                                by=manager)
    bare_lead = lead_svc.create_lead({"company_name": "Seule SARL"}, by=manager)
    new = stage("New").id
    _opp(manager, "With partner", stage_id=new, partner_id=partner.id, amount=Decimal("1234.5"),
         expected_close_date=date(2027, 3, 4), assigned_to=sales.id)
    _opp(manager, "With lead", stage_id=new, lead_id=lead.id)
    _opp(manager, "With bare lead", stage_id=new, lead_id=bare_lead.id)
    _opp(manager, "Alone", stage_id=new)
    cards = {c.name: c for c in svc.board_cards(manager, svc.stages(open_only=True), 50)[new]}
    assert cards["With partner"].customer_name == "Fromagerie Dubois"
    assert cards["With lead"].customer_name == "Ana Lima (Lima SA)" == db.session.get(
        Opportunity, cards["With lead"].id).customer_name
    assert cards["With bare lead"].customer_name == "Seule SARL"
    assert cards["Alone"].customer_name == ""
    card = cards["With partner"]
    assert (card.amount, card.currency, card.probability, card.assignee_name) == (
        Decimal("1234.50"), "EUR", 10, sales.name)
    html = login(manager).get("/crm/pipeline").get_data(as_text=True)
    start = html.index(f'id="opp-{card.id}"')
    shown = html[start:html.index("</article>", start)]
    for text in ("With partner", "Fromagerie Dubois", "€1,234.50", "10 %", "Mar 4, 2027", sales.name):
        assert text in shown, text


@pytest.mark.parametrize("field", ["name", "amount", "probability", "currency"])
def test_patch_cannot_empty_a_required_field(api, login, manager, field):
    """A PATCH may leave a field out but not empty it (it was a 500: name None had no
    lower(), amount None reached the NOT NULL column); the page's edit form too."""
    opp = _opp(manager, "Keep me", amount=Decimal("100"))
    response = api(manager).patch(f"/opportunities/{opp.id}", json={field: None})
    assert response.status_code == 422 and field in response.json["errors"]
    page = login(manager).post(f"/crm/opportunities/{opp.id}/edit",
                               data={"name": "Keep me", "amount": "100", field: "", "version": opp.version})
    assert page.status_code in (200, 422) and b"Traceback" not in page.data
    kept = db.session.get(Opportunity, opp.id)
    db.session.refresh(kept)
    assert kept.name == "Keep me" and kept.amount == Decimal("100")
