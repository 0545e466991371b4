"""Sign-in, sessions, API tokens, password policy and the users CLI."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.auth import services
from core.auth.models import ApiToken, User
from core.db import db
from core.errors import ValidationError
from core.testing.pytest_plugin import PASSWORD


def _session_cookie(client):
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


# --- sign-in ---------------------------------------------------------------------------

def test_login_does_not_reveal_whether_the_email_exists(client, sales):
    unknown = client.post("/login", data={"email": "nobody@test.example", "password": "whatever-123"})
    wrong = client.post("/login", data={"email": sales.email, "password": "whatever-123"})
    malformed = client.post("/login", data={"email": "not an email", "password": "x"})
    assert unknown.status_code == wrong.status_code == malformed.status_code == 401
    message = b"Wrong email or password."
    assert message in unknown.data and message in wrong.data and message in malformed.data
    # The pages differ only by the email typed back into the field.
    assert unknown.data.replace(b"nobody@test.example", b"X") == wrong.data.replace(
        sales.email.encode(), b"X")


def test_deactivated_user_cannot_sign_in_and_gets_the_same_answer(client, sales, admin):
    services.update_user(sales, active=False)
    r = client.post("/login", data={"email": sales.email, "password": PASSWORD})
    assert r.status_code == 401 and b"Wrong email or password." in r.data


def test_login_is_case_insensitive_on_email_and_follows_safe_next(client, sales):
    r = client.post("/login?next=/contacts", data={"email": sales.email.upper(), "password": PASSWORD})
    assert r.status_code == 303 and r.headers["Location"] == "/contacts"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "javascript:alert(1)"])
def test_login_never_redirects_off_site(app, sales, target):
    client = app.test_client()
    r = client.post("/login", query_string={"next": target},
                    data={"email": sales.email, "password": PASSWORD})
    assert r.status_code == 303 and r.headers["Location"] == "/"


def test_signed_out_page_redirects_to_login_and_back(client, sales):
    r = client.get("/partners?q=a")
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login?next=")
    r = client.post(r.headers["Location"], data={"email": sales.email, "password": PASSWORD})
    assert r.headers["Location"] == "/partners?q=a"


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}

    def test_login_is_rate_limited(self, app, sales):
        from core.extensions import limiter

        limiter.reset()
        client = app.test_client()
        for _ in range(3):
            assert client.post("/login", data={"email": sales.email, "password": "nope-nope-nope"}
                               ).status_code == 401
        r = client.post("/login", data={"email": sales.email, "password": PASSWORD})
        assert r.status_code == 429
        assert b"Too many attempts" in r.data
        assert int(r.headers["Retry-After"]) > 0
        assert client.get("/login").status_code == 200  # only attempts are limited
        limiter.reset()


# --- sessions ----------------------------------------------------------------------------

def test_session_is_renewed_at_login(app, sales):
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    before = _session_cookie(client)
    client.post("/login", data={"email": sales.email, "password": PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session
        assert "_user_id" in session
    assert _session_cookie(client) != before


def test_session_cookie_flags(client, sales):
    r = client.post("/login", data={"email": sales.email, "password": PASSWORD})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout_ends_the_session(login, sales):
    client = login(sales)
    assert client.get("/partners").status_code == 200
    r = client.post("/logout")
    assert r.status_code == 303
    assert client.get("/partners").status_code == 302
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_logout_needs_post(login, sales):
    client = login(sales)
    assert client.get("/logout").status_code == 405
    assert client.get("/partners").status_code == 200


def test_deactivation_ends_every_session(login, admin, sales):
    one, two = login(sales), login(sales)
    token = services.issue_token(sales, "script")
    r = login(admin).post(f"/admin/users/{sales.id}", data={
        "name": sales.name, "email": sales.email, "role": "salesperson"})  # "active" unticked
    assert r.status_code == 303
    assert one.get("/partners").status_code == 302
    assert two.get("/partners").status_code == 302
    r = one.get("/api/v1/partners", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_password_change_ends_the_other_sessions_only(login, sales):
    mine, other = login(sales), login(sales)
    r = mine.post("/profile/password", data={"current_password": PASSWORD,
                                             "new_password": "another-long-secret"})
    assert r.status_code == 303
    assert mine.get("/partners").status_code == 200
    assert other.get("/partners").status_code == 302
    assert login(sales, "another-long-secret").get("/partners").status_code == 200


def test_password_change_needs_the_current_password(login, sales):
    client = login(sales)
    client.post("/profile/password", data={"current_password": "wrong-one-here",
                                           "new_password": "another-long-secret"})
    db.session.expire_all()
    assert db.session.get(User, sales.id).check_password(PASSWORD)


def test_admin_password_reset_ends_the_users_sessions(login, admin, sales):
    victim = login(sales)
    r = login(admin).post(f"/admin/users/{sales.id}", data={
        "name": sales.name, "email": sales.email, "role": "salesperson", "active": "1",
        "password": "reset-by-the-admin"})
    assert r.status_code == 303
    assert victim.get("/partners").status_code == 302


def test_admin_cannot_demote_or_deactivate_themselves(login, admin):
    r = login(admin).post(f"/admin/users/{admin.id}", data={
        "name": admin.name, "email": admin.email, "role": "manager", "active": "1"})
    assert r.status_code == 422
    db.session.expire_all()
    assert db.session.get(User, admin.id).role == "admin"


# --- password policy ---------------------------------------------------------------------

@pytest.mark.parametrize(("password", "reason"), [
    ("short", "at least"),
    ("password123", "too common"),
    ("aaaaaaaaaaaaaa", "too common"),
    ("x" * 257, "at most"),
    ("newbie@test.example", "differ from the email"),
])
def test_password_policy(app, password, reason):
    with pytest.raises(ValidationError) as info:
        services.create_user(email="newbie@test.example", name="New", role="salesperson",
                             password=password)
    assert any(reason in problem for problem in info.value.errors["password"])


def test_passwords_are_hashed(sales):
    assert PASSWORD not in sales.password_hash
    assert sales.password_hash.startswith("scrypt:")


# --- tokens --------------------------------------------------------------------------------

def test_tokens_are_stored_hashed(app, sales):
    clear = services.issue_token(sales, "script")
    rows = db.session.execute(sa.text("SELECT * FROM core_api_token")).mappings().all()
    dump = repr([dict(r) for r in rows])
    assert clear not in dump
    assert clear[10:] not in dump
    assert rows[0]["token_hash"] == ApiToken.hash(clear)


def test_token_listed_and_revocable_on_profile(login, sales, api):
    client = login(sales)
    r = client.post("/profile/tokens", data={"name": "My script"})
    assert r.status_code == 303
    page = client.get("/profile").get_data(as_text=True)
    assert "My script" in page
    clear = page.split('id="new-token">')[1].split("<")[0]
    assert clear.startswith("cpt_")
    # shown once only
    assert clear not in client.get("/profile").get_data(as_text=True)
    bearer = {"Authorization": f"Bearer {clear}"}
    assert client.application.test_client().get("/api/v1/users/me", headers=bearer).status_code == 200
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "My script"))
    assert client.post(f"/profile/tokens/{token.id}/revoke").status_code == 303
    r = client.application.test_client().get("/api/v1/users/me", headers=bearer)
    assert r.status_code == 401
    assert r.mimetype == "application/problem+json"
    assert "Revoked" in client.get("/profile").get_data(as_text=True)


def test_cannot_revoke_someone_elses_token(login, sales, sales2):
    services.issue_token(sales2, "theirs")
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "theirs"))
    assert login(sales).post(f"/profile/tokens/{token.id}/revoke").status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None


@pytest.mark.parametrize("header", ["Bearer ", "Bearer nope", "Basic abc", "Bearer cpt_" + "x" * 43])
def test_bad_tokens_are_401(client, header):
    r = client.get("/api/v1/partners", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.mimetype == "application/problem+json"


# --- CLI -------------------------------------------------------------------------------------

def test_cli_users_create_and_token(app):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["users", "create", "cli@test.example", "--name", "Cli User",
                            "--role", "manager", "--password", "a-long-enough-secret"])
    assert r.exit_code == 0, r.output
    user = services.find_user("cli@test.example")
    assert user.role == "manager"
    r = runner.invoke(args=["users", "token", "cli@test.example"])
    assert r.exit_code == 0, r.output
    clear = r.output.strip()
    assert clear.startswith("cpt_") and "\n" not in clear
    assert app.test_client().get("/api/v1/users/me", headers={
        "Authorization": f"Bearer {clear}"}).json["email"] == "cli@test.example"


def test_cli_duplicate_email_fails_clearly(app, sales):
    r = app.test_cli_runner().invoke(args=["users", "create", sales.email, "--name", "Dup",
                                           "--role", "salesperson", "--password", "a-long-enough-secret"])
    assert r.exit_code == 1
    assert "already exists" in r.output


def test_cli_weak_password_fails_clearly(app):
    r = app.test_cli_runner().invoke(args=["users", "create", "weak@test.example", "--name", "W",
                                           "--role", "salesperson", "--password", "123"])
    assert r.exit_code == 1
    assert "password" in r.output.lower() and "at least" in r.output
    assert services.find_user("weak@test.example") is None


def test_cli_token_for_unknown_user_fails(app):
    r = app.test_cli_runner().invoke(args=["users", "token", "ghost@test.example"])
    assert r.exit_code == 1
    assert "no active user" in r.output


# --- users through the API and the admin page ---------------------------------------------

def test_api_create_user_validation(api, admin, sales):
    client = api(admin)
    r = client.post("/users", json={"email": sales.email, "name": "Dup", "role": "salesperson",
                                    "password": "a-long-enough-secret"})
    assert r.status_code == 422 and "email" in r.json["errors"]
    r = client.post("/users", json={"email": "x@test.example", "name": "", "role": "boss",
                                    "password": "short", "active": True})
    assert r.status_code == 422
    assert set(r.json["errors"]) == {"name", "role", "active"}
    r = client.post("/users", json={"email": "weak@test.example", "name": "Weak",
                                    "role": "salesperson", "password": "password123"})
    assert r.status_code == 422 and "password" in r.json["errors"]
    r = client.post("/users", json={"email": "ok@test.example", "name": "Okay",
                                    "role": "salesperson", "password": "a-long-enough-secret"})
    assert r.status_code == 201 and r.json["role"] == "salesperson"
    assert "password" not in r.json and "password_hash" not in r.json


def test_admin_page_user_form_names_bad_fields(login, admin, sales):
    r = login(admin).post("/admin/users/new", data={"email": sales.email, "name": "",
                                                    "role": "boss", "password": "short"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    for field in ("email", "name", "role", "password"):
        assert f'data-field-error="{field}"' in html, field
    assert "short" not in html  # the password is never sent back


def test_users_me(api, sales):
    r = api(sales).get("/users/me")
    assert r.status_code == 200
    assert {k: r.json[k] for k in ("email", "name", "role")} == {
        "email": sales.email, "name": "Sam Sales", "role": "salesperson"}


@pytest.mark.parametrize("name", ["bad\x00name", "x" * 121, "tab\there"])
def test_user_names_are_checked_everywhere(login, admin, sales, name):
    client = login(admin)
    r = client.post("/admin/users/new", data={"email": "n@test.example", "name": name,
                                              "role": "salesperson", "password": "a-long-enough-secret"})
    assert r.status_code == 422 and 'data-field-error="name"' in r.get_data(as_text=True)
    r = client.post(f"/admin/users/{sales.id}", data={"email": sales.email, "name": name,
                                                      "role": "salesperson", "active": "1"})
    assert r.status_code == 422 and 'data-field-error="name"' in r.get_data(as_text=True)
    r = client.post("/profile", data={"name": name})
    assert r.status_code == 422
    db.session.expire_all()
    assert db.session.get(User, sales.id).name == "Sam Sales"


def test_token_name_is_cleaned(login, sales):
    client = login(sales)
    client.post("/profile/tokens", data={"name": "my\x00script\x07" + "y" * 100})
    token = db.session.scalar(sa.select(ApiToken))
    assert token.name.startswith("myscript") and len(token.name) == 80
