"""The whole story in Chromium: create a meeting on the calendar, drag it to another day,
see it on the partner page with its reminder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.db import db, sqlite_begin_mode
from core.testing.pytest_plugin import browser_login
from modules.calendar.models import Event


@pytest.mark.browser
def test_create_drag_and_see_on_partner(page, sales, partner):
    # This thread only reads: deferred transactions never hold SQLite's write lock
    # that the live server's requests need.
    db.session.commit()
    sqlite_begin_mode.set("DEFERRED")
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday())
    day = monday + timedelta(days=2)  # Wednesday of the week on screen
    browser_login(page, sales.email)
    page.goto("/calendar")
    page.wait_for_selector(".fc-timegrid")

    page.click("#new-event-button")
    page.wait_for_selector("#event-form #f-subject")
    page.fill("#f-subject", "Démonstration Chromium")
    page.fill("#f-start", f"{day.isoformat()}T10:00")
    page.fill("#f-end", f"{day.isoformat()}T11:00")
    page.select_option("#f-partner_id", str(partner.id))
    page.wait_for_selector("#f-contact_id")  # the contact pickers came back (htmx)
    assert page.input_value("[name=reminders-0-amount]") == "15"
    page.click("#event-form button[type=submit]")
    page.wait_for_selector("#modal", state="hidden")
    page.wait_for_selector(".fc-event:has-text('Démonstration Chromium')")

    db.session.rollback()  # a fresh snapshot
    event = db.session.query(Event).one()
    assert event.start == datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=10)
    assert event.partner_id == partner.id and event.organizer_id == sales.id

    # Drag it one day to the right.
    target_day = day + timedelta(days=1)
    page.wait_for_timeout(300)  # the calendar refetched its events after the save
    box = page.locator(".fc-event:has-text('Démonstration Chromium')").bounding_box()
    column = page.locator(f"td.fc-timegrid-col[data-date='{target_day.isoformat()}']").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + 8
    with page.expect_response(lambda r: "/api/v1/events/" in r.url and r.request.method == "PATCH") as info:
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 10, y + 2, steps=5)
        page.mouse.move(column["x"] + column["width"] / 2, y, steps=15)
        page.mouse.up()
    assert info.value.status == 200, info.value.text()
    db.session.rollback()  # a fresh snapshot
    moved = db.session.get(Event, event.id)
    assert moved.start.date() == target_day and moved.start.hour == 10
    assert moved.end - moved.start == timedelta(hours=1)
    assert moved.reminders[0].due_at == moved.start - timedelta(minutes=15)

    page.goto(f"/partners/{partner.id}")
    row = page.locator("#panel-events .event-row", has_text="Démonstration Chromium")
    assert row.count() == 1
    assert row.locator(".reminder-badge").count() == 1
    row.locator("a").click()
    page.wait_for_selector("#reminders")
    assert "15 minutes before" in page.inner_text("#reminders")
    assert "Pending" in page.inner_text("#reminders")


@pytest.mark.browser
def test_log_a_call_from_the_partner_panel(page, sales, partner):
    db.session.commit()
    sqlite_begin_mode.set("DEFERRED")
    browser_login(page, sales.email)
    page.goto(f"/partners/{partner.id}")
    page.click("#panel-events >> text=Log a call")
    page.wait_for_selector("#event-form #f-subject")
    assert page.input_value("#f-partner_id") == str(partner.id)
    page.fill("#f-subject", "Appel de qualification")
    page.fill("#f-description", "Intéressé par la gamme pro.")
    page.click("#event-form button[type=submit]")
    page.wait_for_selector("#modal", state="hidden")
    # The panel reloads itself: the call is in the past list, done.
    page.wait_for_selector("[data-events=past] >> text=Appel de qualification")
    db.session.rollback()
    event = db.session.query(Event).one()
    assert event.status == "done" and event.type == "call" and event.partner_id == partner.id
    # Errors stay in the modal.
    page.click("#panel-events >> text=Schedule a meeting")
    page.wait_for_selector("#event-form #f-subject")
    page.fill("#f-subject", "Rendez-vous")
    page.fill("#f-start", "2026-12-10T10:00")
    page.fill("#f-end", "2026-12-10T09:00")
    page.click("#event-form button[type=submit]")
    page.wait_for_selector("[data-field-error=end]")
    assert page.is_visible("#modal")


@pytest.mark.browser
def test_modal_closes_when_answered_while_still_opening(page, sales, partner):
    """A form answered before its modal finished fading in (a quick Enter, a fast
    server) must still close it: Bootstrap ignores hide() during a transition."""
    db.session.commit()
    sqlite_begin_mode.set("DEFERRED")
    browser_login(page, sales.email)
    page.goto(f"/partners/{partner.id}")
    # Answer "close" the moment the modal starts opening, as a 204 + HX-Trigger would.
    page.evaluate("""() => document.getElementById("modal").addEventListener(
        "show.bs.modal",
        () => { document.body.dataset.modalOpening = "yes";
                setTimeout(() => document.body.dispatchEvent(new Event("closeModal"))); },
        {once: true})""")
    page.click("#panel-events >> text=Log a call")
    page.wait_for_selector("body[data-modal-opening=yes]", state="attached")
    page.wait_for_selector("#event-form #f-subject", state="attached")
    # Bootstrap shows the backdrop first and the dialog after it: wait for the end
    # state, the page given back (no modal-open class, no backdrop, dialog hidden).
    page.wait_for_selector("body:not(.modal-open)", state="attached", timeout=5000)
    assert page.locator(".modal-backdrop").count() == 0
    assert not page.is_visible("#modal")
    # And it opens again normally afterwards.
    page.click("#panel-events >> text=Schedule a meeting")
    page.wait_for_selector("#event-form #f-subject")
    page.wait_for_selector("#modal.show")
    assert page.is_visible("#modal")


@pytest.mark.browser
def test_calendar_shows_the_users_time_zone_not_the_browsers(page, sales):
    """The user saved Asia/Tokyo; the browser runs in Europe/Paris. The calendar places an
    event at its Tokyo time (as every other page formats it) and a drag saves the instant
    it shows: one day later, same Tokyo hour."""
    from zoneinfo import ZoneInfo

    from modules.calendar import services

    tokyo = ZoneInfo("Asia/Tokyo")
    sales.timezone = "Asia/Tokyo"
    today = datetime.now(tokyo).date()
    monday = today - timedelta(days=today.weekday())
    day = monday + timedelta(days=2)
    start = datetime.combine(day, datetime.min.time(), tzinfo=tokyo).replace(hour=10)  # 01:00 UTC
    event = services.create_event({"type": "meeting", "subject": "Réunion à Tokyo", "start": start,
                                   "end": start + timedelta(hours=1)}, by=sales)
    db.session.commit()
    sqlite_begin_mode.set("DEFERRED")
    browser_login(page, sales.email)
    page.goto("/calendar")
    card = page.locator(".fc-event:has-text('Réunion à Tokyo')")
    card.wait_for()
    assert "10:00" in card.inner_text()  # Paris would say 02:00, before the 07:00 first slot
    # In the 10 o'clock row of Wednesday's column.
    slot = page.locator("td.fc-timegrid-slot-lane[data-time='10:00:00']").bounding_box()
    box = card.bounding_box()
    assert abs(box["y"] - slot["y"]) < slot["height"]
    column = page.locator(f"td.fc-timegrid-col[data-date='{day.isoformat()}']").bounding_box()
    assert column["x"] <= box["x"] + box["width"] / 2 <= column["x"] + column["width"]

    target = page.locator(f"td.fc-timegrid-col[data-date='{(day + timedelta(days=1)).isoformat()}']")
    x, y = box["x"] + box["width"] / 2, box["y"] + 8
    with page.expect_response(lambda r: "/api/v1/events/" in r.url and r.request.method == "PATCH") as info:
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 10, y + 2, steps=5)
        to = target.bounding_box()
        page.mouse.move(to["x"] + to["width"] / 2, y, steps=15)
        page.mouse.up()
    assert info.value.status == 200, info.value.text()
    db.session.rollback()
    moved = db.session.get(Event, event.id)
    assert moved.start == start + timedelta(days=1)
    assert moved.end - moved.start == timedelta(hours=1)


@pytest.mark.browser
def test_short_events_show_their_time_and_title_on_one_line(page, sales):
    """A 30-minute and a 15-minute call: time and title on one line, inside the event's box
    (their titles were cut in half across two lines), the whole title in its tooltip."""
    from modules.calendar import services

    today = datetime.now(UTC).date()
    day = today - timedelta(days=today.weekday()) + timedelta(days=2)
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=9)
    subject = "Appel de suivi après la démonstration du produit"
    for minutes in (30, 15):
        services.create_event({"type": "call", "subject": f"{subject} ({minutes})", "start": start,
                               "end": start + timedelta(minutes=minutes)}, by=sales)
        start += timedelta(hours=2)
    db.session.commit()
    sqlite_begin_mode.set("DEFERRED")
    browser_login(page, sales.email)
    page.goto("/calendar")
    for minutes in (30, 15):
        card = page.locator(f".fc-event:has-text('({minutes})')")
        card.wait_for()
        box = card.bounding_box()
        time_box = card.locator(".fc-event-time").bounding_box()
        title = card.locator(".fc-event-title")
        title_box = title.bounding_box()
        assert abs(title_box["y"] - time_box["y"]) < 4, f"{minutes} min: the title is under the time"
        assert title_box["y"] + title_box["height"] <= box["y"] + box["height"] + 1, f"{minutes} min: title cut"
        # One line of text, cut with an ellipsis: it wrapped to five lines (87 px) in a 24 px box.
        assert title.evaluate("e => e.scrollHeight < 2 * parseFloat(getComputedStyle(e).fontSize)"), (
            f"{minutes} min: the title wraps")
        assert card.get_attribute("title").startswith(f"{subject} ({minutes})")


@pytest.mark.browser
def test_the_calendar_feed_address_is_copied_with_one_click(page, sales):
    db.session.commit()
    sqlite_begin_mode.set("DEFERRED")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    browser_login(page, sales.email)
    page.goto("/profile")
    address = page.input_value("#calendar-feed-url")
    assert "/api/v1/calendar/feed/" in address
    page.click("[data-copy='#calendar-feed-url']")
    assert page.evaluate("navigator.clipboard.readText()") == address
