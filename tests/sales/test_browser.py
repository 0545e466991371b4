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
