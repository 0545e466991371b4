"""Conversion: new partner, existing customer partner, atomicity under a fault, opportunity."""

import pytest
import sqlalchemy as sa

from core.db import db
from core.errors import Conflict
from core.partners import services as partners
from core.partners.models import Contact, Partner
from core.timeline import TimelineEntry
from modules.crm.models import Lead, Opportunity
from modules.crm.services import leads, opportunities


def _counts():
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m))
                 for m in (Partner, Contact, Opportunity, TimelineEntry))


def test_convert_creates_company_prospect_contact_and_opportunity(make_lead, manager, api):
    lead = make_lead("in_progress", first_name="Léa", email="lea@durand.example",
                     phone="+33 1 40 00 00 01", job_title="CEO")
    response = api(manager).post(f"/leads/{lead.id}/convert", json={
        "partner_id": None, "create_opportunity": True,
        "opportunity": {"name": "Durand deal", "amount": "5000.00",
                        "expected_close_date": "2027-01-31"}})
    assert response.status_code == 200, response.json
    body = response.json
    assert body["lead"]["status"] == "converted"
    assert body["partner"]["kind"] == "company" and body["partner"]["partner_type"] == "prospect"
    assert body["partner"]["name"] == "Durand Industries"
    assert body["contact"]["last_name"] == "Durand" and body["contact"]["job_title"] == "CEO"
    opp = body["opportunity"]
    assert opp["amount"] == "5000.00" and opp["probability"] == 10 and opp["lead_id"] == lead.id
    assert opp["partner_id"] == body["partner"]["id"]
    assert body["lead"]["partner_id"] == body["partner"]["id"]
    assert body["lead"]["contact_id"] == body["contact"]["id"]


def test_convert_individual_without_company(make_lead, manager):
    lead = make_lead("new", company_name=None, first_name="Paul")
    result = leads.convert(lead, by=manager)
    assert result["partner"].kind == "individual" and result["partner"].name == "Paul Durand"
    assert result["opportunity"] is None


def test_existing_customer_stays_customer(make_lead, manager):
    customer = partners.create_partner({"name": "Old Customer", "partner_type": "customer"},
                                       by=manager)
    assert customer.partner_type == "customer"
    lead = make_lead("assigned")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Partner))
    result = leads.convert(lead, by=manager, partner_id=customer.id)
    assert result["partner"].id == customer.id
    assert db.session.get(Partner, customer.id).partner_type == "customer"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Partner)) == before
    assert result["contact"].partner_id == customer.id


def test_unknown_partner_is_422(make_lead, manager, api):
    lead = make_lead("new")
    response = api(manager).post(f"/leads/{lead.id}/convert", json={"partner_id": 99999})
    assert response.status_code == 422 and "partner_id" in response.json["errors"]
    assert db.session.get(Lead, lead.id).status == "new"


def test_conversion_is_atomic(make_lead, manager, monkeypatch):
    lead = make_lead("in_progress")
    lead_id = lead.id
    before = _counts()

    def boom(partner):
        assert partner.id is not None  # the partner row was written
        raise RuntimeError("fault injected after the partner")

    monkeypatch.setattr(leads, "after_partner_written", boom)
    with pytest.raises(RuntimeError):
        leads.convert(lead, by=manager, create_opportunity=True, opportunity={"name": "X"})
    db.session.remove()
    assert _counts() == before
    row = db.session.get(Lead, lead_id)
    assert row.status == "in_progress" and row.partner_id is None


def test_conversion_fault_in_business_hook_rolls_back(make_lead, manager, monkeypatch, app):
    """A module's on_lead_converted that raises undoes the whole conversion."""
    lead = make_lead("new")
    lead_id = lead.id
    before = _counts()
    from modules.crm.services import leads as svc

    def failing_call_each(name, **kwargs):
        if name == "on_lead_converted":
            raise RuntimeError("hook failed")
        return []

    monkeypatch.setattr(svc, "call_each", failing_call_each)
    with pytest.raises(RuntimeError):
        leads.convert(lead, by=manager)
    db.session.remove()
    assert _counts() == before
    assert db.session.get(Lead, lead_id).status == "new"


def test_converting_twice_is_conflict(make_lead, manager):
    lead = make_lead("new")
    leads.convert(lead, by=manager)
    with pytest.raises(Conflict):
        leads.convert(lead, by=manager)


def test_lead_only_opportunity_follows_conversion(make_lead, manager):
    lead = make_lead("assigned")
    opp = opportunities.create_opportunity({"name": "Early", "lead_id": lead.id}, by=manager)
    assert opp.partner_id is None
    result = leads.convert(lead, by=manager)
    db.session.refresh(opp)
    assert opp.partner_id == result["partner"].id and opp.contact_id == result["contact"].id


def test_convert_page_creates_opportunity_and_redirects_to_partner(make_lead, manager, login):
    lead = make_lead("in_progress")
    client = login(manager)
    assert client.get(f"/crm/leads/{lead.id}/convert").status_code == 200
    response = client.post(f"/crm/leads/{lead.id}/convert", data={
        "partner_mode": "new", "create_opportunity": "1", "opportunity_name": "Big one",
        "opportunity_amount": "1200.50", "opportunity_close": "2027-02-15"})
    assert response.status_code == 303
    partner_id = db.session.get(Lead, lead.id).partner_id
    assert response.headers["Location"].endswith(f"/partners/{partner_id}")
    page = client.get(f"/partners/{partner_id}").get_data(as_text=True)
    assert "Big one" in page  # the CRM's opportunities panel
    response = client.post(f"/crm/leads/{lead.id}/convert", data={"partner_mode": "new"})
    assert response.status_code == 409
