"""Access, duplicates, web-to-lead, the lists managers edit, the sales bridge."""

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from core import settings
from core.db import db
from core.partners import services as partners
from core.partners.models import Partner
from core.testing import count_queries
from modules.crm.models import Lead, LeadSource
from modules.crm.services import leads, opportunities
from modules.crm.views import public

# --- access ---------------------------------------------------------------------------------

def test_salesperson_sees_own_and_unassigned(api, make_lead, manager, sales, sales2, login):
    mine = make_lead("assigned", assigned_to=sales.id)
    free = make_lead("new")
    other = make_lead("assigned", assigned_to=sales2.id)
    ids = {item["id"] for item in api(sales).get("/leads").json["items"]}
    assert ids == {mine.id, free.id}
    assert api(sales).get(f"/leads/{other.id}").status_code == 404
    assert api(sales).post(f"/leads/{other.id}/start").status_code == 404
    assert login(sales).get(f"/crm/leads/{other.id}").status_code == 404
    assert len(api(manager).get("/leads").json["items"]) == 3
    # a salesperson takes charge of a free lead but cannot give one to someone else
    assert api(sales).post(f"/leads/{free.id}/assign", json={"user_id": sales2.id}).status_code == 403
    assert api(sales).post(f"/leads/{free.id}/assign").json["assigned_to"] == sales.id


# (one signed-in user per test: the test app context keeps flask-login's user in ``g``)
def test_salesperson_buttons(make_lead, sales, login):
    lead = make_lead("new")
    html = login(sales).get(f"/crm/leads/{lead.id}").get_data(as_text=True)
    actions = html.split('id="lead-actions"')[1].split("</div>")[0]
    assert "Assign to me" in actions and "bi-person-gear" not in actions
    assert "Recycle" not in actions and "Start" not in actions and "Convert" in actions


def test_manager_buttons(make_lead, manager, login):
    lead = make_lead("lost")
    html = login(manager).get(f"/crm/leads/{lead.id}").get_data(as_text=True)
    actions = html.split('id="lead-actions"')[1].split("</div>")[0]
    assert "Recycle" in actions and "Delete" in actions
    assert "Convert" not in actions and "Assign" not in actions


def test_list_filters_and_search(make_lead, login, manager, sales):
    make_lead("new", company_name="Alpha SA", email="a@alpha.example")
    make_lead("assigned", assigned_to=sales.id, company_name="Beta", city="Lyon")
    client = login(manager)
    assert "Alpha SA" in client.get("/crm/leads?q=alpha").get_data(as_text=True)
    html = client.get("/crm/leads?q=alpha", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Alpha SA" in html and "Beta" not in html and "<html" not in html
    html = client.get(f"/crm/leads?assignee={sales.id}&status=assigned&sort=-name").get_data(as_text=True)
    assert "Beta" in html and "Alpha SA" not in html
    assert client.get("/crm/leads/kanban?q=lyon").status_code == 200


# --- duplicates -------------------------------------------------------------------------------

def test_duplicates(api, manager, make_lead):
    partner = partners.create_partner({"name": "Acme Robotics SAS", "email": "info@acme.example",
                                       "phone": "+33 1 23 45 67 00"}, by=manager)
    partners.create_contact({"partner_id": partner.id, "last_name": "Coyote",
                             "email": "wile@acme.example"}, by=manager)
    earlier = make_lead("new", email="jane@gmail.com", company_name="Other")
    lead = make_lead("new", company_name="ACME Robotics", email="wile@acme.example",
                     phone="01 23 45 67 00")
    gmail = make_lead("new", company_name="Zzz", email="john@gmail.com")
    items = api(manager).get(f"/leads/{lead.id}/duplicates").json["items"]
    found = {(i["kind"], i["id"]): i["reason"] for i in items}
    assert found[("contact", partner.contacts[0].id)] == "same email"
    assert found[("partner", partner.id)] in ("same phone", "similar company name")
    # a common mail provider's domain is not a reason
    items = api(manager).get(f"/leads/{gmail.id}/duplicates").json["items"]
    assert ("lead", earlier.id) not in {(i["kind"], i["id"]) for i in items}
    html = api(manager).client.get(f"/crm/leads/{lead.id}")  # not signed in: no leak
    assert html.status_code in (302, 401)


def test_duplicate_warning_on_create(login, manager, make_lead):
    make_lead("new", email="x@firm.example", last_name="First")
    client = login(manager)
    response = client.post("/crm/leads/new", data={"last_name": "Second", "email": "y@firm.example"})
    assert response.status_code == 200 and "Possible duplicates" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 1
    response = client.post("/crm/leads/new", data={"last_name": "Second", "email": "y@firm.example",
                                                   "confirm_duplicates": "1"})
    assert response.status_code == 303
    response = client.post("/crm/leads/new", data={"last_name": "Bad", "email": "nope"})
    assert response.status_code == 422 and 'data-field-error="email"' in response.get_data(as_text=True)


def test_web_to_lead_assignee_from_configuration_unless_a_manager_chooses(app, client, login, manager, sales,
                                                                          sales2):
    """While the setting is empty, WEB_TO_LEAD_ASSIGNEE (configuration) names the assignee,
    and the settings page shows it as the one in effect; a manager's choice of a user wins."""
    app.config["WEB_TO_LEAD_ASSIGNEE"] = sales.email.upper()
    page = login(manager)
    assert f'<option value="{sales.id}" selected>' in page.get("/crm/settings").get_data(as_text=True)
    client.post("/crm/web-to-lead", data={"last_name": "Configured", "email": "c@web.example"})
    assert db.session.scalars(sa.select(Lead.assigned_to).where(Lead.last_name == "Configured")).one() == sales.id
    assert page.post("/crm/settings/web-to-lead/assignee", data={"assignee": str(sales2.id)}).status_code == 303
    client.post("/crm/web-to-lead", data={"last_name": "Chosen", "email": "n@web.example"})
    assert db.session.scalars(sa.select(Lead.assigned_to).where(Lead.last_name == "Chosen")).one() == sales2.id


def test_lead_forms_name_every_mistake_at_once(login, manager, make_lead):
    """A phone that is not one and no name, company or email: both errors in one answer,
    on the new and the edit form; nothing saved. Alone, the missing identity is still refused."""
    client = login(manager)
    for url in ("/crm/leads/new", f"/crm/leads/{make_lead('new', last_name='Kept').id}/edit"):
        response = client.post(url, data={"first_name": "Ann", "phone": "abc", "last_name": " "})
        html = response.get_data(as_text=True)
        assert response.status_code == 422, url
        assert 'data-field-error="phone"' in html and 'data-field-error="last_name"' in html, url
        assert "Give at least a last name, a company name or an email." in html
        response = client.post(url, data={"first_name": "Ann"})
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and 'data-field-error="last_name"' in html, url
        # A wrong phone with a name: only the phone.
        html = client.post(url, data={"last_name": "Named", "phone": "abc"}).get_data(as_text=True)
        assert 'data-field-error="phone"' in html and 'data-field-error="last_name"' not in html
    assert db.session.scalars(sa.select(Lead.last_name)).all() == ["Kept"]


# --- web-to-lead ------------------------------------------------------------------------------

def _count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Lead))


def test_web_to_lead_creates_website_lead(client, app, sales):
    settings.set_value("crm.web_to_lead_assignee", sales.email)
    db.session.commit()
    assert client.get("/crm/web-to-lead").status_code == 200
    response = client.post("/crm/web-to-lead", data={"last_name": "Web", "email": "w@web.example",
                                                     "description": "Call me"})
    assert response.status_code == 200 and 'id="thanks"' in response.get_data(as_text=True)
    lead = db.session.scalars(sa.select(Lead)).one()
    assert lead.source.code == "website" and lead.assigned_to == sales.id
    assert lead.status == "assigned"
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]


def test_managers_choose_who_gets_the_web_to_lead_leads(client, login, manager, sales, sales2):
    """The CRM settings page sets the form's assignee (the setting keeps the user's email);
    the form's next lead goes to them; nobody leaves it unassigned. A salesperson may not
    set it; an unknown or inactive user is refused with the field named, nothing changed."""
    import re

    from core.auth.services import update_user

    page = login(manager)
    html = page.get("/crm/settings").get_data(as_text=True)
    assert re.search(r'<select[^>]*name="assignee"', html) and '<option value="" selected' not in html
    response = page.post("/crm/settings/web-to-lead/assignee", data={"assignee": str(sales2.id)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/crm/settings#web-to-lead")
    assert settings.get("crm.web_to_lead_assignee") == sales2.email
    assert f'<option value="{sales2.id}" selected>' in page.get("/crm/settings").get_data(as_text=True)
    client.post("/crm/web-to-lead", data={"last_name": "Webster", "email": "webster@web.example"})
    assert db.session.scalars(sa.select(Lead.assigned_to).where(Lead.last_name == "Webster")).one() == sales2.id

    for bad in ("999999", "abc", "99999999999999999999", str(manager.id) + " "):
        expected = 303 if bad.strip() == str(manager.id) else 422
        response = page.post("/crm/settings/web-to-lead/assignee", data={"assignee": bad})
        assert response.status_code == expected, bad
        if expected == 422:
            assert 'data-field-error="assignee"' in response.get_data(as_text=True)
            assert settings.get("crm.web_to_lead_assignee") == sales2.email  # unchanged
    update_user(sales, active=False)
    assert page.post("/crm/settings/web-to-lead/assignee", data={"assignee": str(sales.id)}).status_code == 422
    assert login(sales2).post("/crm/settings/web-to-lead/assignee", data={"assignee": ""}).status_code == 403
    assert settings.get("crm.web_to_lead_assignee") == manager.email

    assert page.post("/crm/settings/web-to-lead/assignee", data={"assignee": ""}).status_code == 303
    assert settings.get("crm.web_to_lead_assignee") == ""
    client.post("/crm/web-to-lead", data={"last_name": "Pool", "email": "pool@web.example"})
    assert db.session.scalars(sa.select(Lead.assigned_to).where(Lead.last_name == "Pool")).one() is None
    # A setting naming someone who left (set by an administrator, or before they left) is shown.
    settings.set_value("crm.web_to_lead_assignee", sales.email)
    db.session.commit()
    html = page.get("/crm/settings").get_data(as_text=True)
    assert f"{sales.email} is not an active user" in html and '<option value="" selected' not in html


def test_web_to_lead_honeypot_same_answer(client):
    real = client.post("/crm/web-to-lead", data={"last_name": "A", "email": "a@a.example"})
    bot = client.post("/crm/web-to-lead", data={"last_name": "B", "email": "b@b.example",
                                                public.HONEYPOT: "spam"})
    assert bot.status_code == real.status_code == 200
    assert bot.get_data() == real.get_data()
    assert _count() == 1


# --- lists ------------------------------------------------------------------------------------

def test_lists_managers_edit(api, manager, sales):
    assert api(sales).post("/lost-reasons", json={"name": "Too late"}).status_code == 403
    created = api(manager).post("/lost-reasons", json={"name": "Too late"})
    assert created.status_code == 201
    assert api(manager).post("/lost-reasons", json={"name": "too late"}).status_code == 422
    names = [r["name"] for r in api(sales).get("/lead-sources").json["items"]]
    assert {"Website form", "Trade show", "Event", "Referral", "Cold call", "Other"} <= set(names)
    stages = api(sales).get("/opportunity-stages").json["items"]
    assert [(s["name"], s["probability"]) for s in stages] == [
        ("New", 10), ("Qualification", 20), ("Proposition", 50), ("Negotiation", 75),
        ("Closed won", 100), ("Closed lost", 0)]
    assert stages[4]["is_won"] and stages[5]["is_lost"]
    response = api(manager).patch(f"/opportunity-stages/{stages[1]['id']}", json={"probability": 25})
    assert response.json["probability"] == 25
    # a source in use cannot be deleted
    source = db.session.scalars(sa.select(LeadSource).where(LeadSource.code == "website")).one()
    leads.create_lead({"last_name": "X", "source_id": source.id}, by=manager)
    assert api(manager).delete(f"/lead-sources/{source.id}").status_code == 409
    assert api(manager).delete(f"/lost-reasons/{created.json['id']}").status_code == 204


@pytest.mark.parametrize("path", ["/lost-reasons", "/lead-sources", "/opportunity-stages"])
def test_non_ascii_duplicate_names_are_422(api, manager, path):
    """Found by the fuzzer: SQLite's lower() folds ASCII only, so a second "Été Î" slipped
    past the case-insensitive check and hit the unique index (a 500)."""
    client = api(manager)
    first = client.post(path, json={"name": "Été Î"})
    assert first.status_code == 201, first.json
    r = client.post(path, json={"name": "Été Î"})
    assert r.status_code == 422 and "name" in r.json["errors"], r.json
    other = client.post(path, json={"name": "Autre"}).json
    r = client.patch(f"{path}/{other['id']}", json={"name": "Été Î"})
    assert r.status_code == 422 and "name" in r.json["errors"], r.json


def test_settings_page(login, manager):
    client = login(manager)
    assert client.get("/crm/settings").status_code == 200
    assert client.post("/crm/settings/lead-sources", data={"name": "Podcast"}).status_code == 303
    assert client.post("/crm/settings/lead-sources", data={"name": ""}).status_code == 422


def test_settings_page_salesperson(login, sales):
    assert login(sales).post("/crm/settings/lead-sources", data={"name": "Nope"}).status_code == 403


# --- sales bridge -----------------------------------------------------------------------------

def test_order_confirmed_converts_lead_into_customer_and_wins(make_lead, manager, app):
    from modules.crm import sales_bridge

    lead = make_lead("in_progress")
    opp = opportunities.create_opportunity({"name": "Quote me", "lead_id": lead.id}, by=manager)
    assert sales_bridge.prefill_order("opportunity", opp.id, manager)["prospect_id"] == lead.id
    order = SimpleNamespace(prospect_type="lead", prospect_id=lead.id, partner_id=None,
                            origin_type="opportunity", origin_id=opp.id)
    sales_bridge.on_order_confirmed(order, manager)
    db.session.commit()
    partner = db.session.get(Partner, order.partner_id)
    assert partner.partner_type == "customer"
    assert db.session.get(Lead, lead.id).status == "converted"
    opp = db.session.get(type(opp), opp.id)
    assert opp.status == "won" and opp.partner_id == partner.id
    with app.test_request_context():
        ref = sales_bridge.describe_order_reference("lead", lead.id, manager)
    assert ref["url"].endswith(f"/crm/leads/{lead.id}")


def test_order_confirmed_respects_setting(manager):
    from modules.crm import sales_bridge

    settings.set_value("crm.mark_opportunity_won_on_order", False)
    opp = opportunities.create_opportunity({"name": "Keep open"}, by=manager)
    sales_bridge.on_order_confirmed(SimpleNamespace(prospect_type=None, prospect_id=None,
                                                    partner_id=None, origin_type="opportunity",
                                                    origin_id=opp.id), manager)
    assert opp.status == "open"


def test_web_to_lead_requires_name_and_email(client):
    response = client.post("/crm/web-to-lead", data={"company_name": "Only a company"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-field-error="last_name"' in html and 'data-field-error="email"' in html
    assert _count() == 0


@pytest.mark.parametrize("many", [False, True])
def test_lead_list_sorts_few_matches_instead_of_walking_its_sort_index(login, manager, make_lead, monkeypatch,
                                                                        many):
    """Up to core.search.NARROW_LIMIT matches, the list's order is one SQLite cannot take
    from an index, so the filters' indexes find the rows and they are sorted (a source
    with no lead walked all 100,000 by creation date: 41 -> 5 ms); with more, the sort
    index is walked and stops after the page. Same rows, same order either way."""
    from core import search

    source = db.session.scalars(sa.select(LeadSource)).first()
    for name in ("Alphaname", "Bravoname", "Charliename"):
        make_lead(last_name=name, source_id=source.id)
    make_lead(last_name="Zuluname")
    if many:
        monkeypatch.setattr(search, "NARROW_LIMIT", 0)
    with count_queries(db.engine) as queries:  # the statements run, as the query budgets do
        page = login(manager).get(f"/crm/leads?source={source.id}&sort=name").get_data(as_text=True)
    statements = queries.statements
    assert page.index("Alphaname") < page.index("Bravoname") < page.index("Charliename")
    assert "Zuluname" not in page
    (rows,) = [s for s in statements if s.startswith("SELECT crm_lead.id") and "ORDER BY" in s]
    unindexed = "ORDER BY +crm_lead.name_search" in rows
    assert unindexed == (db.engine.dialect.name == "sqlite" and not many)
