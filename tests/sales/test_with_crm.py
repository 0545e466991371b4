"""Sales with the real CRM enabled (through HTTP only: sales never imports the CRM): a quote
made from a lead-only opportunity converts the lead into a customer on confirmation, sets
the partner on the order and the opportunity, and marks the opportunity won; once."""

import pytest
from playwright.sync_api import expect

from core.db import db
from core.testing.pytest_plugin import browser_login


@pytest.fixture
def lead_opportunity(api, sales):
    client = api(sales)
    lead = client.post("/leads", json={"first_name": "Ana", "last_name": "Costa", "company_name": "Costa Lda",
                                       "email": "ana@costa.example", "assigned_to": sales.id})
    assert lead.status_code == 201, lead.json
    opp = client.post("/opportunities", json={"name": "Costa rollout", "lead_id": lead.json["id"],
                                              "amount": "5000.00", "assigned_to": sales.id})
    assert opp.status_code == 201, opp.json
    return lead.json, opp.json


def test_quote_from_lead_opportunity_converts_the_lead(api, sales, product, lead_opportunity):
    lead, opp = lead_opportunity
    client = api(sales)
    r = client.post(f"/opportunities/{opp['id']}/quote")
    assert r.status_code == 201, r.json
    order = r.json
    assert (order["opportunity_id"], order["lead_id"], order["partner_id"]) == (opp["id"], lead["id"], None)
    assert order["assigned_to"] == sales.id
    r = client.patch(f"/orders/{order['id']}", json={"lines": [
        {"product_id": product.id, "quantity": "3"}, {"description": "Training", "quantity": 1, "unit_price": "800"}]})
    assert r.status_code == 200 and r.json["amount_untaxed"] == "1100.00"
    assert client.post(f"/orders/{order['id']}/finalize").status_code == 200
    r = client.post(f"/orders/{order['id']}/confirm")
    assert r.status_code == 200, r.json
    partner_id = r.json["partner_id"]
    assert partner_id is not None
    assert client.get(f"/partners/{partner_id}").json["partner_type"] == "customer"
    assert client.get(f"/leads/{lead['id']}").json["status"] == "converted"
    opp_now = client.get(f"/opportunities/{opp['id']}").json
    assert opp_now["status"] == "won" and opp_now["partner_id"] == partner_id
    # a second confirmation changes nothing: still one partner
    partners = client.get("/partners?q=costa").json["total"]
    assert client.post(f"/orders/{order['id']}/confirm").status_code == 409
    assert client.get("/partners?q=costa").json["total"] == partners == 1
    # the orders of the opportunity and of the lead
    assert client.get(f"/orders?opportunity_id={opp['id']}").json["total"] == 1
    assert client.get(f"/orders?lead_id={lead['id']}").json["total"] == 1


def test_crm_references_are_checked_against_visibility(api, sales, sales2, lead_opportunity):
    lead, opp = lead_opportunity
    assert api(sales2).post(f"/opportunities/{opp['id']}/quote").status_code == 404
    r = api(sales2).post("/orders", json={"opportunity_id": opp["id"]})
    assert r.status_code == 422 and "opportunity_id" in r.json["errors"]
    r = api(sales).post("/orders", json={"opportunity_id": opp["id"]})  # prefilled from the opportunity
    assert r.status_code == 201 and r.json["lead_id"] == lead["id"]


def test_opportunity_page_panel(login, sales, lead_opportunity, api):
    _lead, opp = lead_opportunity
    api(sales).post(f"/opportunities/{opp['id']}/quote")
    client = login(sales)
    html = client.get(f"/crm/opportunities/{opp['id']}").get_data(as_text=True)
    assert "Quotes and orders" in html and "Create quote" in html and "Draft quote #" in html


@pytest.mark.browser
def test_browser_from_opportunity_to_customer(page, sales, product, lead_opportunity):
    """Chromium: from the opportunity, create a quote, add two lines, finalize, confirm:
    the lead became a customer partner."""
    _lead, opp = lead_opportunity
    email = sales.email
    _ = product.id
    db.session.remove()
    page.on("dialog", lambda dialog: dialog.accept())
    browser_login(page, email)
    page.goto(f"/crm/opportunities/{opp['id']}")
    page.click("[data-testid=create-quote]")
    page.wait_for_url("**/sales/orders/new?**")
    expect(page.locator("[data-origin]")).to_contain_text("Costa rollout")
    page.click("#order-form button[type=submit]")
    page.wait_for_url("**/sales/orders/*")
    page.fill("#product-search", "widget")
    page.click("[data-product-id]")
    page.wait_for_selector("#new-description[value='Widget']")
    page.click("#add-line-form button[type=submit]")
    expect(page.locator("#lines-table tr[data-line]")).to_have_count(1)
    page.fill("#new-description", "Installation")
    page.fill("#new-unit_price", "300")
    page.click("#add-line-form button[type=submit]")
    expect(page.locator("#lines-table tr[data-line]")).to_have_count(2)
    expect(page.locator("[data-total=untaxed]")).to_have_text("€400.00")
    page.click("[data-action=finalize]")
    page.wait_for_selector("#order-status [data-status=finalized]")
    page.click("[data-action=confirm]")
    page.wait_for_selector("#order-status [data-status=confirmed]")
    page.click("#order-customer a")
    page.wait_for_url("**/partners/*")
    expect(page.locator("#partner-type")).to_contain_text("Customer")
