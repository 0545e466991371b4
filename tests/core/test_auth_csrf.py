"""With CSRF protection switched on, as in production."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from core.db import db
from core.partners.models import Partner
from core.testing.pytest_plugin import PASSWORD


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def _signed_in(app, user):
    client = app.test_client()
    token = _token(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303
    return client


def _partners() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Partner))


def test_login_without_token_is_refused(client, sales):
    r = client.post("/login", data={"email": sales.email, "password": PASSWORD})
    assert r.status_code == 400
    assert client.get("/partners").status_code == 302  # not signed in


def test_form_post_without_token_is_400_and_writes_nothing(app, sales):
    client = _signed_in(app, sales)
    r = client.post("/partners/new", data={"name": "No Token", "kind": "company"})
    assert r.status_code == 400
    assert b"This form has expired" in r.data
    assert _partners() == 0


def test_form_post_with_the_pages_token_works(app, sales):
    client = _signed_in(app, sales)
    token = _token(client.get("/partners/new").get_data(as_text=True))
    r = client.post("/partners/new", data={"name": "With Token", "kind": "company",
                                           "csrf_token": token})
    assert r.status_code == 303
    assert _partners() == 1


def test_htmx_post_with_header_works(app, sales):
    client = _signed_in(app, sales)
    html = client.get("/partners").get_data(as_text=True)
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    r = client.post("/partners/new", data={"name": "Htmx Co", "kind": "company"},
                    headers={"HX-Request": "true", "X-CSRFToken": header_token})
    assert r.status_code == 303
    assert _partners() == 1


def test_bearer_api_call_needs_no_csrf(api, sales):
    r = api(sales).post("/partners", json={"name": "Api Co"})
    assert r.status_code == 201
    assert _partners() == 1


def test_json_call_with_session_cookie_but_no_token_is_refused(app, sales):
    client = _signed_in(app, sales)
    assert client.get("/api/v1/partners").status_code == 200  # reading is fine
    r = client.post("/api/v1/partners", json={"name": "Cookie Co"})
    assert r.status_code == 400
    assert r.mimetype == "application/problem+json"
    assert _partners() == 0


def test_logout_needs_the_token(app, sales):
    client = _signed_in(app, sales)
    assert client.post("/logout").status_code == 400
    assert client.get("/partners").status_code == 200  # still signed in
    token = _token(client.get("/partners").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/partners").status_code == 302


def test_other_4xx_pages_are_styled(app, sales):
    client = _signed_in(app, sales)
    r = client.get("/logout")
    assert r.status_code == 405
    assert b"data-error-message" in r.data and b"cannot be done this way" in r.data
