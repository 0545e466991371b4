"""The whole story in Chromium: a lead from creation to conversion, and a pipeline drag."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from core.db import db
from core.testing.pytest_plugin import browser_login
from modules.crm.services import opportunities
from tests.crm.conftest import stage

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _reads_do_not_lock(app):
    """The test thread only reads while the browser works: never hold SQLite's write lock
    (the default begin mode is IMMEDIATE), and end each read transaction."""
    from core.db import db, sqlite_begin_mode

    token = sqlite_begin_mode.set("DEFERRED")
    db.session.commit()
    yield
    sqlite_begin_mode.reset(token)


def test_lead_story(page, sales):
    email = sales.email
    db.session.commit()
    browser_login(page, email)
    page.goto("/crm/leads/new")
    page.fill("#f-first_name", "Nina")
    page.fill("#f-last_name", "Bauer")
    page.fill("#f-company_name", "Bauer Optik")
    page.fill("#f-email", "nina@bauer-optik.example")
    page.fill("#f-description", "Met at the Lyon fair; wants 5 licences.")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/crm/leads/*")
    assert page.locator("#lead-status [aria-current=step]").inner_text() == "New"
    page.click("text=Assign to me")
    page.wait_for_selector("text=Lead assigned to")
    assert page.locator("#lead-status [aria-current=step]").inner_text() == "Assigned"
    page.click("#lead-actions >> text=Start")
    page.wait_for_selector("text=Work on this lead has started.")
    assert page.locator("#lead-status [aria-current=step]").inner_text() == "In progress"
    # Log a call from the lead's events panel (the calendar module's modal form). Wait for
    # the page and htmx to settle first: a click during a swap lands on a detached button.
    page.wait_for_load_state("networkidle")
    page.click("#panel-events >> text=Log a call")
    expect(page.locator("#event-form #f-subject")).to_be_visible(timeout=20000)
    page.fill("#f-subject", "Discovery call with Nina")
    page.fill("#f-description", "Needs 5 licences before March.")
    page.click("#event-form button[type=submit]")
    page.wait_for_selector("#modal", state="hidden")
    page.wait_for_selector("[data-events=past] >> text=Discovery call with Nina")
    page.click("#lead-actions >> text=Convert")
    page.wait_for_url("**/convert")
    page.check("#f-create_opportunity")
    page.fill("#f-opportunity_amount", "4200")
    page.fill("#f-opportunity_close", "2027-03-31")
    page.click("#convert-form button[type=submit]")
    page.wait_for_url("**/partners/*")
    assert page.locator("h1").inner_text().startswith("Bauer Optik")
    panel = page.locator("#panel-opportunities")
    assert "Bauer Optik" in panel.inner_text() and "4,200.00" in panel.inner_text()
    assert "Nina Bauer" in page.locator("#contacts").inner_text()
    # The call logged on the lead now shows on the partner's page.
    assert "Discovery call with Nina" in page.locator("#panel-events").inner_text()


def test_pipeline_drag(page, manager, sales):
    qualification = stage("Qualification")
    opp = opportunities.create_opportunity({
        "name": "Drag me", "stage_id": qualification.id, "amount": Decimal("1000.00"),
        "assigned_to": sales.id}, by=manager)
    opportunities.create_opportunity({
        "name": "Stay", "stage_id": stage("Negotiation").id, "amount": Decimal("2000.00")},
        by=manager)
    neg_id, qual_id, opp_id, email = stage("Negotiation").id, qualification.id, opp.id, manager.email
    db.session.commit()
    browser_login(page, email)
    page.goto("/crm/pipeline")
    negotiation = page.locator(f"section[data-stage-id='{neg_id}']")
    qual_col = page.locator(f"section[data-stage-id='{qual_id}']")
    assert negotiation.locator("[data-count]").inner_text() == "1"
    assert "€1,500.00" in negotiation.locator("[data-weighted]").inner_text()
    card = page.locator(f"#opp-{opp_id}")
    assert card.locator("[data-probability]").inner_text() == "20 %"
    box = card.bounding_box()
    target = negotiation.locator(".kanban-list").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 10)
    page.mouse.down()
    page.mouse.move(box["x"] + 40, box["y"] + 20, steps=5)
    page.mouse.move(target["x"] + 30, target["y"] + target["height"] - 5, steps=15)
    page.mouse.up()
    expect(negotiation.locator("[data-count]")).to_have_text("2")
    assert negotiation.locator("[data-count]").inner_text() == "2"
    assert qual_col.locator("[data-count]").inner_text() == "0"
    assert "€3,000.00" in negotiation.locator("[data-amount]").inner_text()
    assert "€2,250.00" in negotiation.locator("[data-weighted]").inner_text()
    assert page.locator(f"#opp-{opp_id} [data-probability]").inner_text() == "75 %"


def test_dashboard_counts_have_whole_number_ticks(page, manager, sales):
    """One won deal and a few calls: the count charts' axes step 0, 1 (not 0.2, 0.4...)."""
    opp = opportunities.create_opportunity({"name": "Won once", "stage_id": stage("Proposition").id,
                                            "amount": Decimal("900.00"), "assigned_to": sales.id}, by=manager)
    opportunities.mark_won(opp, by=manager)
    email = manager.email
    db.session.commit()
    browser_login(page, email)
    page.goto("/crm/")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('#won-lost canvas'))")
    ticks = page.evaluate("""() => [...document.querySelectorAll('section canvas')].map(c => Chart.getChart(c))
        .filter(chart => chart.config.type === 'bar')
        .map(chart => [chart.canvas.closest('section').id, chart.scales.y.ticks.map(t => t.value)])""")
    ticks = dict(ticks)
    assert ticks["won-lost"] == [0, 1]
    assert all(value == int(value) for values in ticks.values() for value in values), ticks


@pytest.mark.parametrize("width", [1280, 390])
def test_the_close_date_filters_are_labelled_and_wide_enough(page, manager, width):
    """The opportunity list's and pipeline's expected close range: a visible label, and each
    date wide enough for its whole value (the list's first one was 100 px at 1280, cut to
    "mm/dd/yyy", and neither page said what the two dates were)."""
    email = manager.email
    db.session.commit()
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, email)
    for url in ("/crm/opportunities", "/crm/pipeline"):
        page.goto(url)
        dates = page.locator("form.filters input[type=date]")
        expect(dates).to_have_count(2)
        label = page.locator("form.filters").get_by_text("Expected close", exact=True).locator("visible=true")
        expect(label).to_have_count(1)
        label_box = label.bounding_box()
        for i in range(2):
            box = dates.nth(i).bounding_box()
            assert box["width"] >= 130, f"{url} at {width} px: date {i} is {box['width']} px wide"
            assert box["x"] + box["width"] <= width, f"{url} at {width} px: date {i} overflows"
            # the label before (wide) or above (phone) the dates
            assert label_box["x"] < box["x"] or label_box["y"] + label_box["height"] <= box["y"] + 1
        assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_lead_kanban_fits_a_laptop_and_scrolls_on_a_phone(page, manager):
    """At 1280 px the lead statuses' columns share the width (the last one was cut off and
    the board scrolled sideways); on a phone each column keeps a card's width and the board,
    not the page, scrolls."""
    email = manager.email
    db.session.commit()
    browser_login(page, email)
    page.goto("/crm/leads/kanban")
    board = page.locator("#lead-kanban")
    assert page.locator("#lead-kanban .kanban-column").count() >= 5
    assert board.evaluate("e => e.scrollWidth <= e.clientWidth"), "the lead kanban scrolls at 1280 px"
    page.set_viewport_size({"width": 390, "height": 844})
    assert board.evaluate("e => e.scrollWidth > e.clientWidth")
    assert page.locator("#lead-kanban .kanban-column").first.bounding_box()["width"] >= 260
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
