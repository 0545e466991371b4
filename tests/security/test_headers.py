"""Hardening: security headers on every page and API answer, no inline script anywhere
(crawled for each role), cookie flags, sessions ended at logout and deactivation."""

from __future__ import annotations

import pytest

from core.testing.pytest_plugin import PASSWORD
from tests.security.crawl import crawl, parse

ROLES = ("admin", "manager", "sales")


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_hardened(url: str, response) -> None:
    headers = response.headers
    csp = csp_directives(response)
    assert csp, f"{url}: no Content-Security-Policy"
    script_src = csp.get("script-src", csp.get("default-src"))
    assert script_src, f"{url}: CSP without script-src/default-src"
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, url
    assert "*" not in script_src and "data:" not in script_src, url
    if url.startswith("/crm/web-to-lead"):
        # The public contact form is meant to be embedded in the company's website (an
        # iframe): its frame-ancestors come from WEB_TO_LEAD_FRAME_ANCESTORS.
        assert csp.get("frame-ancestors"), url
    else:
        assert csp.get("frame-ancestors") == ["'none'"], url
        assert headers.get("X-Frame-Options") == "DENY", url
    assert csp.get("object-src", csp.get("default-src")) in (["'none'"], ["'self'"]), url
    assert headers.get("X-Content-Type-Options") == "nosniff", url
    assert headers.get("Referrer-Policy") in ("same-origin", "strict-origin-when-cross-origin",
                                              "no-referrer"), url


@pytest.fixture
def records(app, sales, manager):
    """A partner and a contact of each salesperson, so detail pages are crawled too."""
    from core.partners.services import create_contact, create_partner

    partner = create_partner({"name": "Crawled SA", "website": "https://crawled.example"}, by=sales)
    create_contact({"partner_id": partner.id, "last_name": "Crawlee"}, by=sales)
    create_partner({"name": "Managed SA"}, by=manager)
    return partner


@pytest.mark.parametrize("role", ROLES)
def test_every_reachable_page_is_hardened_and_has_no_inline_script(
        request, role, records, login, admin):
    user = request.getfixturevalue(role)
    client = login(user)
    pages = 0
    for url, response, parsed in crawl(client):
        assert response.status_code < 500, url
        assert_hardened(url, response)
        if parsed is None:
            continue
        pages += 1
        assert not parsed.inline_scripts, f"{url}: inline <script>: {parsed.inline_scripts}"
        assert not parsed.handlers, f"{url}: inline event handlers {parsed.handlers}"
        assert not parsed.javascript_urls, f"{url}: javascript: URLs {parsed.javascript_urls}"
        for script in parsed.scripts:
            src = script["src"]
            same_origin = src.startswith("/") and not src.startswith("//")
            assert same_origin and "/static/" in src, f"{url}: foreign script {script}"
    assert pages >= (8 if role == "admin" else 5), f"only {pages} pages crawled for {role}"


def test_htmx_fragments_are_hardened(records, login, sales):
    client = login(sales)
    for url in ("/partners?q=crawl", "/contacts?q=crawl", "/partners/search?q=cra",
                "/partners?sort=-name&page=1"):
        response = client.get(url, headers={"HX-Request": "true"})
        assert response.status_code == 200, url
        assert_hardened(url, response)
        assert not parse(response.get_data(as_text=True)).inline_scripts


@pytest.mark.parametrize("url", ["/login", "/no-such-page", "/static/core/comptoir.css"])
def test_anonymous_answers_are_hardened(client, url):
    with client.get(url) as response:
        assert_hardened(url, response)


def test_error_pages_are_hardened(login, sales, admin):
    client = login(sales)
    for url, status in (("/admin/users", 403), ("/partners/999999", 404)):
        response = client.get(url)
        assert response.status_code == status
        assert_hardened(url, response)
        assert not parse(response.get_data(as_text=True)).inline_scripts


def test_api_answers_are_hardened(api, client, sales, records):
    bearer = api(sales)
    answers = {
        "openapi": client.get("/api/v1/openapi.json"),
        "list": bearer.get("/partners"),
        "read": bearer.get(f"/partners/{records.id}"),
        "problem 422": bearer.post("/partners", json={"name": ""}),
        "problem 401": client.get("/api/v1/partners"),
        "problem 404": bearer.get("/partners/999999"),
    }
    for name, response in answers.items():
        assert_hardened(name, response)


# --- cookies ------------------------------------------------------------------------

def _set_cookies(response) -> dict[str, str]:
    """name -> the full Set-Cookie header."""
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def _flags(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(";")[1:]}


def _sign_in(client, user, remember=True, **kwargs):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "remember": "1" if remember else ""}, **kwargs)
    assert response.status_code == 303
    return _set_cookies(response)


def test_session_and_remember_cookies_are_httponly_and_lax(app, sales):
    cookies = _sign_in(app.test_client(), sales)
    assert {"session", "remember_token"} <= set(cookies)
    for name in ("session", "remember_token"):
        flags = _flags(cookies[name])
        assert "httponly" in flags, cookies[name]
        assert "samesite=lax" in flags, cookies[name]
        assert "secure" not in flags  # plain HTTP in development: a Secure cookie would be lost


def test_cookies_are_secure_over_https(app, sales):
    cookies = _sign_in(app.test_client(), sales, base_url="https://localhost")
    for name in ("session", "remember_token"):
        flags = _flags(cookies[name])
        assert {"secure", "httponly", "samesite=lax"} <= flags, cookies[name]


@pytest.mark.parametrize("app_config", [
    {"SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": True}])
def test_session_cookie_secure_comes_from_the_configuration(app, sales):
    cookies = _sign_in(app.test_client(), sales)
    for name in ("session", "remember_token"):
        assert "secure" in _flags(cookies[name]), cookies[name]


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


# --- sessions end -----------------------------------------------------------------

def _replay(app, cookies: dict[str, str], *names):
    """A fresh client carrying copies of the given cookies (a stolen or kept cookie)."""
    client = app.test_client()
    for name in names:
        value = cookies[name].split(";", 1)[0].split("=", 1)[1]
        client.set_cookie(name, value)
    return client


def _signed_in(client) -> bool:
    response = client.get("/partners")
    return response.status_code == 200


def test_logout_ends_the_session_even_for_a_copied_cookie(app, sales):
    client = app.test_client()
    cookies = _sign_in(client, sales)
    assert _signed_in(_replay(app, cookies, "session"))
    assert _signed_in(_replay(app, cookies, "remember_token"))
    assert client.post("/logout").status_code == 303
    assert not _signed_in(client)
    assert not _signed_in(_replay(app, cookies, "session"))
    assert not _signed_in(_replay(app, cookies, "remember_token"))


def test_deactivation_ends_sessions_and_tokens(app, sales, admin, login, api):
    from core.auth.services import update_user

    client = app.test_client()
    cookies = _sign_in(client, sales)
    bearer = api(sales)
    assert _signed_in(client) and bearer.get("/users/me").status_code == 200
    update_user(sales, active=False)
    assert not _signed_in(client)
    assert not _signed_in(_replay(app, cookies, "remember_token"))
    assert bearer.get("/users/me").status_code == 401
    r = app.test_client().post("/login", data={"email": sales.email, "password": PASSWORD})
    assert r.status_code == 401


def test_deactivation_through_the_users_page_ends_sessions(app, sales, admin, login):
    victim = app.test_client()
    _sign_in(victim, sales)
    assert _signed_in(victim)
    r = login(admin).post(f"/admin/users/{sales.id}", data={
        "email": sales.email, "name": sales.name, "role": sales.role})  # no "active": off
    assert r.status_code == 303
    assert not _signed_in(victim)


def test_password_change_ends_the_other_sessions(app, sales, login):
    other = app.test_client()
    _sign_in(other, sales)
    me = login(sales)
    r = me.post("/profile/password", data={"current_password": PASSWORD,
                                           "new_password": "a-new-long-passphrase-42"})
    assert r.status_code == 303
    assert _signed_in(me)
    assert not _signed_in(other)
