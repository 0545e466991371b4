"""Passwords (policy, hashing), API tokens stored hashed, the login rate limit."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from core.auth.models import ApiToken, User
from core.db import db
from core.errors import ValidationError
from core.testing.pytest_plugin import PASSWORD


@pytest.mark.parametrize("password, reason", [
    ("short1!", "at least"),
    ("password123", "too common"),
    ("123456789012", "too common"),
    ("qwertyuiop", "too common"),
    ("aaaaaaaaaaaaaaaa", "too common"),
    ("Password2026!", "too common"),
    ("azerty123456", "too common"),
    ("0987654321", "too common"),
    ("abcdefghijkl", "too common"),
    ("abcabcabcabc", "too common"),
    ("ababababababab", "too common"),
    ("new.user@test.example", "differ from the email"),
    ("NEW.USER@TEST.EXAMPLE", "differ from the email"),
    ("x" * 300, "at most"),
])
def test_password_policy(app, password, reason):
    from core.auth.services import create_user

    with pytest.raises(ValidationError) as caught:
        create_user(email="new.user@test.example", name="New", role="salesperson",
                    password=password)
    assert any(reason in message for message in caught.value.errors["password"]), \
        caught.value.errors
    assert db.session.scalar(sa.select(User).where(User.email == "new.user@test.example")) is None


@pytest.mark.parametrize("password", ["correct-horse-battery-staple", "Tr0ub4dor&3xyz",
                                      "le chat dort sur 3 toits", "Zq8!mLp2#rT5"])
def test_good_passwords_pass(app, password):
    from core.auth.passwords import password_problems

    assert password_problems(password, "new.user@test.example") == []


def test_password_policy_applies_to_every_entry_point(app, admin, sales, login, api):
    r = api(admin).post("/users", json={"email": "p@test.example", "name": "P",
                                        "role": "salesperson", "password": "password123"})
    assert r.status_code == 422 and "password" in r.json["errors"]
    r = login(admin).post("/admin/users/new", data={"email": "p@test.example", "name": "P",
                                                    "role": "salesperson", "password": "short"})
    assert r.status_code == 422
    client = login(sales)
    r = client.post("/profile/password", data={"current_password": PASSWORD,
                                               "new_password": "password123"})
    assert r.status_code == 303
    db.session.refresh(sales)
    assert sales.check_password(PASSWORD)  # unchanged
    assert client.get("/partners").status_code == 200  # still signed in


def test_passwords_are_stored_as_slow_salted_hashes(app, sales):
    assert PASSWORD not in sales.password_hash
    assert sales.password_hash.startswith("scrypt:")
    other = User(email="x@test.example", name="X")
    other.set_password(PASSWORD)
    assert other.password_hash != sales.password_hash  # salted


def test_tokens_are_stored_hashed_never_in_clear(app, api, sales, login):
    from core.auth.services import issue_token

    clear = issue_token(sales, "script")
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == sales.id))
    assert row.token_hash == hashlib.sha256(clear.encode()).hexdigest()
    assert row.prefix == clear[:10] and len(clear) > 40
    with db.engine.connect() as conn:
        dump = repr([tuple(r) for r in conn.execute(sa.text("SELECT * FROM core_api_token"))])
    assert clear not in dump and clear[10:] not in dump
    # The page that creates a token shows it once, then never again.
    client = login(sales)
    client.post("/profile/tokens", data={"name": "page"})
    shown = client.get("/profile").get_data(as_text=True)
    again = client.get("/profile").get_data(as_text=True)
    new = db.session.scalars(sa.select(ApiToken).where(ApiToken.name == "page")).one()
    assert new.prefix in shown
    prefix_pos = shown.find("cpt_")
    assert prefix_pos != -1
    assert shown.count("cpt_") > again.count("cpt_")


def test_revoked_and_unknown_tokens_are_refused(app, client, sales):
    from core.auth.services import issue_token, revoke_token

    clear = issue_token(sales, "t")
    auth = {"Authorization": f"Bearer {clear}"}
    assert client.get("/api/v1/users/me", headers=auth).status_code == 200
    token_id = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == sales.id))
    revoke_token(sales, token_id)
    assert client.get("/api/v1/users/me", headers=auth).status_code == 401
    for bad in ("", "cpt_", clear[:-1], clear + "x", "x" * 5000, "\x00"):
        r = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {bad}"})
        assert r.status_code == 401


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True,
                                         "LOGIN_RATE_LIMIT": "3 per minute"}])
def test_login_is_rate_limited(app, sales):
    from core.extensions import limiter

    limiter.reset()
    client = app.test_client()
    statuses = [client.post("/login", data={"email": sales.email, "password": "wrong-one-1"},
                            environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code
                for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    r = client.post("/login", data={"email": sales.email, "password": PASSWORD},
                    environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert r.status_code == 429  # even the right password waits
    assert r.mimetype == "text/html" and "Retry-After" in r.headers
    # Another address is not blocked.
    r = client.post("/login", data={"email": sales.email, "password": PASSWORD},
                    environ_base={"REMOTE_ADDR": "203.0.113.10"})
    assert r.status_code == 303
    limiter.reset()


@pytest.mark.parametrize("target", [
    "//evil.example", "/\\evil.example", "https://evil.example", "/%5cevil.example",
    "/%09/evil.example",  # found: the tab was dropped, Location became //evil.example
    "/%0a/evil.example", "/%0d%0a/evil.example",  # found: a newline in the header was a 500
    "/%00/evil.example", "/ /evil.example", "javascript:alert(1)",
])
def test_sign_in_never_redirects_to_another_site(app, sales, target):
    r = app.test_client().post(f"/login?next={target}",
                               data={"email": sales.email, "password": PASSWORD})
    assert r.status_code == 303
    assert r.headers["Location"] == "/"


def test_sign_in_follows_a_local_next(app, sales):
    r = app.test_client().post("/login?next=/partners%3Fq%3Dx",
                               data={"email": sales.email, "password": PASSWORD})
    assert r.status_code == 303 and r.headers["Location"] == "/partners?q=x"
