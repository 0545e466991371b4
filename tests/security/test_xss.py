"""Stored XSS: partners and contacts whose every text field holds a payload are rendered
inert on list, detail and edit pages and in HTMX fragments; a ``javascript:`` website
never becomes a clickable link. The browser test checks the same pages in Chromium."""

from __future__ import annotations

import markupsafe
import pytest

from core.testing.pytest_plugin import browser_login
from tests.security.crawl import parse

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOADS = (SCRIPT, IMG)


def _partner_values(payload: str, tag: str) -> dict:
    return {"name": f"{tag} {payload}", "street": payload, "city": f"{tag}{payload}"[:100],
            "postal_code": payload[:20], "notes": f"{payload}\n{payload}"}


def _contact_values(payload: str, partner_id: int) -> dict:
    return {"partner_id": partner_id, "first_name": payload, "last_name": f"Z {payload}",
            "job_title": payload}


@pytest.fixture
def hostile(app, sales):
    """For each payload, a partner and a contact carrying it in every text field (created
    through the API, as an attacker would)."""
    from core.auth.services import issue_token

    client = app.test_client()
    headers = {"Authorization": f"Bearer {issue_token(sales, 'xss')}"}
    made = []
    for i, payload in enumerate(PAYLOADS):
        r = client.post("/api/v1/partners", json=_partner_values(payload, f"X{i}"), headers=headers)
        assert r.status_code == 201, r.json
        partner = r.json
        r = client.post("/api/v1/contacts", json=_contact_values(payload, partner["id"]),
                        headers=headers)
        assert r.status_code == 201, r.json
        made.append((payload, partner["id"], r.json["id"]))
    return made


def _pages(partner_id: int, contact_id: int) -> list[tuple[str, dict]]:
    htmx = {"HX-Request": "true"}
    return [
        ("/partners", {}), ("/partners?q=x", htmx), ("/partners/search?q=x", htmx),
        (f"/partners/{partner_id}", {}), (f"/partners/{partner_id}/edit", {}),
        ("/contacts", {}), ("/contacts?q=z", htmx),
        (f"/contacts/{contact_id}", {}), (f"/contacts/{contact_id}/edit", {}),
        (f"/contacts/new?partner_id={partner_id}", {}), ("/", {}),
    ]


def assert_inert(url: str, body: str, payload: str) -> None:
    assert payload not in body, f"{url}: the payload is in the page unescaped"
    parsed = parse(body)
    assert not parsed.inline_scripts, f"{url}: injected <script>"
    assert not parsed.handlers, f"{url}: injected event handler {parsed.handlers}"
    assert not parsed.javascript_urls, f"{url}: javascript: URL {parsed.javascript_urls}"


def test_payloads_are_escaped_everywhere(hostile, login, sales, manager):
    for user in (sales, manager):
        client = login(user)
        for payload, partner_id, contact_id in hostile:
            escaped = str(markupsafe.escape(payload))
            for url, headers in _pages(partner_id, contact_id):
                response = client.get(url, headers=headers)
                assert response.status_code == 200, url
                body = response.get_data(as_text=True)
                assert_inert(url, body, payload)
                if url.startswith(("/partners/", "/contacts/")) and "search" not in url \
                        and "new" not in url:
                    assert escaped in body, (
                        f"{url}: the escaped payload is missing")


def test_payloads_through_the_forms_are_inert_in_flash_and_errors(login, sales):
    client = login(sales)
    for payload in PAYLOADS:
        r = client.post("/partners/new", data=_partner_values(payload, "F"),
                        follow_redirects=True)
        assert r.status_code == 200
        assert_inert("partner form", r.get_data(as_text=True), payload)
        # An invalid submission echoes the values back into the form.
        r = client.post("/partners/new", data={**_partner_values(payload, "G"), "email": payload})
        assert r.status_code == 422
        assert_inert("partner form errors", r.get_data(as_text=True), payload)


@pytest.mark.parametrize("website", ["javascript:alert(1)", "JaVaScRiPt:alert(1)",
                                     " javascript:alert(1)", "javascript://x.example/%0aalert(1)",
                                     "data:text/html,<script>alert(1)</script>",
                                     "vbscript:msgbox(1)"])
def test_a_javascript_website_is_refused(api, login, sales, website):
    r = api(sales).post("/partners", json={"name": "Evil", "website": website})
    if r.status_code == 201:  # accepted only as a harmless https:// address
        assert r.json["website"].startswith("https://"), r.json
    else:
        assert r.status_code == 422 and "website" in r.json["errors"]
    r = login(sales).post("/partners/new", data={"name": "Evil", "website": website})
    assert r.status_code in (303, 422)


def test_a_javascript_website_already_stored_is_not_a_link(app, login, sales):
    """Defence in depth: a website written by an import or an old version of the app,
    bypassing validation, is shown as text, not as a link."""
    from core.db import db
    from core.partners.services import create_partner

    partner = create_partner({"name": "Legacy"}, by=sales)
    partner.website = "javascript:alert(1)"
    db.session.commit()
    body = login(sales).get(f"/partners/{partner.id}").get_data(as_text=True)
    assert "javascript:alert(1)" in body  # shown
    assert not parse(body).javascript_urls, "a javascript: website became a link"


@pytest.mark.browser
def test_payloads_are_inert_in_chromium(page, hostile, sales):
    from core.db import db

    email = sales.email
    db.session.commit()  # the test thread holds no transaction while the browser works
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    browser_login(page, email)
    for _payload, partner_id, contact_id in hostile:
        for url, _headers in _pages(partner_id, contact_id):
            if "search" in url:
                continue
            page.goto(url)
            page.wait_for_load_state("networkidle")
            assert page.locator("img[src='x']").count() == 0, url
            assert page.locator("svg[onload], [onerror]").count() == 0, url
            assert page.locator("script:not([src])").count() == 0, url
        # The HTMX search box swaps the results fragment in place.
        page.goto("/partners")
        page.fill("input[name=q]", "x")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(600)
        assert page.locator("#results a", has_text="alert(1)").count() >= 1
        assert page.locator("#results img, #results script").count() == 0
    assert dialogs == [], f"a payload ran: {dialogs}"
