"""The lists read columns, not records (core.web.paginate(shape=...)): each cell must say
what the record says, for every combination of what may be missing."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from core.db import db
from core.partners import services as partners
from modules.crm.models import LeadSource
from modules.crm.services import leads, opportunities
from modules.sales import services as sales_orders
from tests.crm.conftest import stage


def _cells(html: str, href: str) -> list[str]:
    """The text of each cell of the row linking to ``href``."""
    row = re.search(r"<tr>((?:(?!</tr>).)*?href=\"" + re.escape(href) + r"\"(?:(?!</tr>).)*)</tr>", html, re.S)
    assert row, href
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells]


def test_lead_list_cells(login, manager, sales, make_lead):
    web = LeadSource(name="Web site", code="web")
    db.session.add(web)
    db.session.commit()
    full = make_lead(first_name="Anne", last_name="Roy", company_name="Roy SA", email="anne@roy.example",
                     source_id=web.id, status="assigned", assigned_to=sales.id)
    company = make_lead(first_name=None, last_name=None, company_name="Only Co")
    person = make_lead(first_name="Jean", last_name="Lenoir", company_name=None)
    mail_only = make_lead(first_name=None, last_name=None, company_name=None, email="x@y.example")
    html = login(manager).get("/crm/leads").get_data(as_text=True)
    assert _cells(html, f"/crm/leads/{full.id}")[:6] == [
        "Anne Roy", "Roy SA", "Assigned", "Web site", "anne@roy.example", sales.name]
    assert _cells(html, f"/crm/leads/{company.id}")[:6] == ["Only Co", "Only Co", "New", "", "", "—"]
    assert _cells(html, f"/crm/leads/{person.id}")[:6] == ["Jean Lenoir", "", "New", "", "", "—"]
    assert _cells(html, f"/crm/leads/{mail_only.id}")[:6] == [f"#{mail_only.id}", "", "New", "", "x@y.example", "—"]
    hostile = make_lead(first_name="<img src=x onerror=alert(1)>", last_name="O'Brien & Co", company_name="<b>")
    html = login(manager).get("/crm/leads").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt; O&#39;Brien &amp; Co" in html
    assert _cells(html, f"/crm/leads/{hostile.id}")[1] == "&lt;b&gt;"
    back = leads.recycle(make_lead(last_name="Again", status="lost"), by=manager)
    html = login(manager).get("/crm/leads").get_data(as_text=True)
    row = re.search(rf'href="/crm/leads/{back.id}">Again</a>(.*?)</td>', html).group(1)
    assert 'class="bi bi-recycle text-muted small" title="Recycled"' in row
    assert "bi-recycle" not in re.search(rf'href="/crm/leads/{full.id}">Anne Roy</a>(.*?)</td>', html).group(1)


def test_opportunity_list_cells(login, manager, sales, make_lead):
    partner = partners.create_partner({"name": "Panel Co"}, by=manager)
    lead = make_lead(first_name="Anne", last_name="Roy", company_name="Roy SA")
    of_partner = opportunities.create_opportunity(
        {"name": "Deal A", "partner_id": partner.id, "amount": Decimal("1500"), "assigned_to": sales.id,
         "stage_id": stage("Proposition").id, "expected_close_date": date(2027, 5, 1)}, by=manager)
    of_lead = opportunities.create_opportunity({"name": "Deal B", "lead_id": lead.id}, by=manager)
    alone = opportunities.create_opportunity({"name": "Deal C"}, by=manager)
    opportunities.mark_won(alone, by=manager)
    html = login(manager).get("/crm/opportunities").get_data(as_text=True)
    a = _cells(html, f"/crm/opportunities/{of_partner.id}")
    # On a phone the customer is shown under the name (its column is hidden there).
    assert a[:3] == ["Deal A Panel Co", "Panel Co", "Proposition"] and "1,500.00" in a[3] and a[6] == sales.name
    b = _cells(html, f"/crm/opportunities/{of_lead.id}")
    assert b[1] == "Anne Roy (Roy SA)" and b[6] == manager.name  # the creator by default
    c = _cells(html, f"/crm/opportunities/{alone.id}")
    assert c[0] == "Deal C Won" and c[1] == ""
    hostile = opportunities.create_opportunity({"name": "<i>x</i> & y"}, by=manager)
    html = login(manager).get("/crm/opportunities").get_data(as_text=True)
    assert "<i>x</i>" not in html
    assert _cells(html, f"/crm/opportunities/{hostile.id}")[0] == "&lt;i&gt;x&lt;/i&gt; &amp; y"


def test_order_list_cells(app, login, manager, sales, make_lead):
    partner = partners.create_partner({"name": "Panel Co"}, by=manager)
    lead = make_lead(last_name="Prospect")
    product_line = {"description": "Service", "quantity": "2", "unit_price": "50"}
    to_partner = sales_orders.create_order({"partner_id": partner.id, "assigned_to": sales.id},
                                           [product_line], by=manager)
    with app.test_request_context("/"):  # the CRM describes the lead with its URL
        to_lead = sales_orders.create_order({"prospect_type": "lead", "prospect_id": lead.id}, by=manager)
    html = login(manager).get("/sales/orders").get_data(as_text=True)
    a = _cells(html, f"/sales/orders/{to_partner.id}")
    assert a[0].startswith(f"Draft quote #{to_partner.id}") and a[1] == "Panel Co" and a[2] == "Draft"
    assert a[3] == sales.name and to_partner.amount_total > Decimal(0)
    assert "€" in a[6] or "EUR" in a[6]
    b = _cells(html, f"/sales/orders/{to_lead.id}")
    assert b[1] == "A lead (not a partner yet)" and b[3] == manager.name  # the creator by default
    # The order's own page names the lead the CRM describes (the same rule, with the prospect).
    page = login(manager).get(f"/sales/orders/{to_lead.id}").get_data(as_text=True)
    assert f'{lead.display_name} <span class="badge text-bg-light border">lead</span>' in page


def test_pipeline_cards(login, manager, sales, make_lead):
    """The board's cards, built by the view: every text escaped, the move form's stage chosen."""
    partner = partners.create_partner({"name": "Panel <b>Co</b>"}, by=manager)
    lead = make_lead(first_name="Anne", last_name="Roy", company_name="Roy & Fils")
    proposal = stage("Proposition")
    of_partner = opportunities.create_opportunity(
        {"name": "<script>alert(1)</script>", "partner_id": partner.id, "amount": Decimal("1500"),
         "assigned_to": sales.id, "stage_id": proposal.id, "expected_close_date": date(2027, 5, 1)}, by=manager)
    of_lead = opportunities.create_opportunity({"name": "Deal B", "lead_id": lead.id}, by=manager)
    html = login(manager).get("/crm/pipeline").get_data(as_text=True)
    opening = f'<article class="kanban-card" data-id="{of_partner.id}" id="opp-{of_partner.id}">'
    card = re.search(re.escape(opening) + "(.*?)</article>", html, re.S).group(1)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in card
    assert f'href="/crm/opportunities/{of_partner.id}"' in card and "Panel &lt;b&gt;Co&lt;/b&gt;" in card
    assert "1,500.00" in card and f"{of_partner.probability} %" in card
    assert "May 1, 2027" in card and f" · {sales.name}" in card
    assert f'action="/crm/opportunities/{of_partner.id}/move"' in card
    assert f'<option value="{proposal.id}" selected>Proposition</option>' in card
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    assert f'name="csrf_token" value="{token}"' in card
    other = re.search(rf'data-id="{of_lead.id}"[^>]*>(.*?)</article>', html, re.S).group(1)
    assert "Anne Roy (Roy &amp; Fils)" in other and "bi-calendar-event" not in other
