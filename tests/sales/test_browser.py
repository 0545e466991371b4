"""The whole quote story in Chromium: from a prospect partner, create a quote, add two lines
in place, finalize, confirm, and see the partner now marked customer."""

import pytest
from playwright.sync_api import expect

from core.db import db
from core.testing.pytest_plugin import browser_login

pytestmark = pytest.mark.browser


def test_quote_to_order_makes_a_customer(page, sales, make_partner, product):
    partner_id, email = make_partner("Browser Prospect", "prospect", salesperson=sales).id, sales.email
    _ = product.id
    db.session.remove()  # end the test's transaction: SQLite has one writer (the live server)
    page.on("dialog", lambda dialog: dialog.accept())
    browser_login(page, email)
    page.goto(f"/partners/{partner_id}")
    assert "Prospect" in page.inner_text("#partner-type")
    page.click("[data-testid=create-quote]")
    page.wait_for_url("**/sales/orders/new**")
    assert page.input_value("#f-partner_id") == str(partner_id)
    page.click("#order-form button[type=submit]")
    page.wait_for_url("**/sales/orders/*")
    # first line: search the product, pick it, set the quantity
    page.fill("#product-search", "widg")
    page.click("[data-product-id]")
    page.wait_for_selector("#new-description[value='Widget']")
    page.fill("#new-quantity", "2")
    page.click("#add-line-form button[type=submit]")
    expect(page.locator("#lines-table tr[data-line]")).to_have_count(1)
    expect(page.locator("[data-total=total]")).to_have_text("€240.00")
    # second line: free text
    page.fill("#new-description", "Delivery")
    page.fill("#new-quantity", "1")
    page.fill("#new-unit_price", "15")
    page.fill("#new-tax_percent", "0")
    page.click("#add-line-form button[type=submit]")
    expect(page.locator("#lines-table tr[data-line]")).to_have_count(2)
    expect(page.locator("[data-total=total]")).to_have_text("€255.00")
    # finalize, then confirm
    page.click("[data-action=finalize]")
    page.wait_for_selector("#order-status [data-status=finalized]")
    assert page.inner_text("#order-name").startswith("Q")
    page.click("[data-action=confirm]")
    page.wait_for_selector("#order-status [data-status=confirmed]")
    page.click("#order-customer a")
    page.wait_for_url(f"**/partners/{partner_id}")
    assert "Customer" in page.inner_text("#partner-type")


def test_order_and_opportunity_lists_fit_a_phone(page, manager, make_order, make_partner):
    """At 390 px the lists' tables fit their card: the amount column stays in view (the
    customer, and an order's status, go under the name there)."""
    from modules.crm.services import opportunities

    partner = make_partner("Société Générale des Très Longs Noms SARL")
    for _ in range(3):
        make_order(manager, partner=partner)
    make_order(manager, partner=partner, status="finalized")
    opportunities.create_opportunity({"name": "Renouvellement du parc informatique", "amount": "125000",
                                      "partner_id": partner.id}, by=manager)
    email = manager.email
    db.session.remove()
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, email)
    for url, table in (("/sales/orders", "#orders-table"), ("/crm/opportunities", "table")):
        page.goto(url)
        widths = page.locator(table).first.evaluate(
            "t => [t.scrollWidth, t.parentElement.clientWidth, t.querySelector('tbody td.text-end')"
            ".getBoundingClientRect().right]")
        assert widths[0] <= widths[1] and widths[2] <= 390, (url, widths)
