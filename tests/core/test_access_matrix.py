"""Who may do what, over every channel, generated from ONE table.

Each cell reads ``page/htmx/api``: the status of the full page (a browser without
JavaScript), of the same request sent by htmx (``HX-Request: true``) and of the API call.
"owner" is the salesperson of the partner (and so of its contacts), "other" another
salesperson. Signed-out callers are redirected to the sign-in page (302), told by a 401
with ``HX-Redirect`` (htmx) or by a 401 problem (API).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.auth.models import User
from core.db import db
from core.partners.models import Contact, Partner
from core.partners.services import create_contact, create_partner
from core.testing import access as matrix

TABLE = """
resource action   | admin        manager      owner        other        anonymous
partner  list     | 200/200/200  200/200/200  200/200/200  200/200/200  302/401/401
partner  read     | 200/200/200  200/200/200  200/200/200  200/200/200  302/401/401
partner  missing  | 404/404/404  404/404/404  404/404/404  404/404/404  302/401/401
partner  create   | 303/303/201  303/303/201  303/303/201  303/303/201  302/401/401
partner  edit     | 200/200/---  200/200/---  200/200/---  403/403/---  302/401/---
partner  update   | 303/303/200  303/303/200  303/303/200  403/403/403  302/401/401
partner  promote  | 303/303/200  303/303/200  303/303/200  403/403/403  302/401/401
contact  list     | 200/200/200  200/200/200  200/200/200  200/200/200  302/401/401
contact  read     | 200/200/200  200/200/200  200/200/200  200/200/200  302/401/401
contact  missing  | 404/404/404  404/404/404  404/404/404  404/404/404  302/401/401
contact  create   | 303/303/201  303/303/201  303/303/201  303/303/201  302/401/401
contact  edit     | 200/200/---  200/200/---  200/200/---  403/403/---  302/401/---
contact  update   | 303/303/200  303/303/200  303/303/200  403/403/403  302/401/401
users    list     | 200/200/200  403/403/403  403/403/403  403/403/403  302/401/401
users    read     | 200/200/---  403/403/---  403/403/---  403/403/---  302/401/---
users    create   | 303/303/201  403/403/403  403/403/403  403/403/403  302/401/401
users    me       | 200/200/200  200/200/200  200/200/200  200/200/200  302/401/401
modules  list     | 200/200/200  403/403/403  403/403/403  403/403/403  302/401/401
"""

CASES = matrix.cases(TABLE)


@pytest.fixture
def make_world(manager, sales):
    """A fresh partner of ``sales`` with a contact, for each channel tried."""
    counter = iter(range(1, 100))

    def make():
        n = next(counter)
        partner = create_partner({"name": f"Owned Co {n}", "kind": "company",
                                  "salesperson_id": sales.id}, by=manager)
        contact = create_contact({"partner_id": partner.id, "first_name": "Olga",
                                  "last_name": "Owned"}, by=manager)
        return {"n": n, "partner_id": partner.id, "partner_version": partner.version,
                "contact_id": contact.id, "contact_version": contact.version,
                "sales_id": sales.id}

    return make


def _request(resource, action, w):
    """(method, page url, form data, api method, api url, api json) of an action."""
    pid, cid = w["partner_id"], w["contact_id"]
    table = {
        ("partner", "list"): ("get", "/partners", None, "get", "/partners", None),
        ("partner", "read"): ("get", f"/partners/{pid}", None, "get", f"/partners/{pid}", None),
        ("partner", "missing"): ("get", "/partners/987654", None, "get", "/partners/987654", None),
        ("partner", "create"): ("post", "/partners/new", {"name": "Fresh Co", "kind": "company"},
                                "post", "/partners", {"name": "Fresh Co"}),
        ("partner", "edit"): ("get", f"/partners/{pid}/edit", None, None, None, None),
        ("partner", "update"): ("post", f"/partners/{pid}/edit",
                                {"name": "Renamed Co", "kind": "company",
                                 "version": str(w["partner_version"])},
                                "patch", f"/partners/{pid}", {"name": "Renamed Co"}),
        ("partner", "promote"): ("post", f"/partners/{pid}/promote", {},
                                 "post", f"/partners/{pid}/promote", None),
        ("contact", "list"): ("get", "/contacts", None, "get", "/contacts", None),
        ("contact", "read"): ("get", f"/contacts/{cid}", None, "get", f"/contacts/{cid}", None),
        ("contact", "missing"): ("get", "/contacts/987654", None, "get", "/contacts/987654", None),
        ("contact", "create"): ("post", "/contacts/new", {"partner_id": str(pid), "last_name": "Newman"},
                                "post", "/contacts", {"partner_id": pid, "last_name": "Newman"}),
        ("contact", "edit"): ("get", f"/contacts/{cid}/edit", None, None, None, None),
        ("contact", "update"): ("post", f"/contacts/{cid}/edit",
                                {"partner_id": str(pid), "last_name": "Renamed",
                                 "version": str(w["contact_version"])},
                                "patch", f"/contacts/{cid}", {"last_name": "Renamed"}),
        ("users", "list"): ("get", "/admin/users", None, "get", "/users", None),
        ("users", "read"): ("get", f"/admin/users/{w['sales_id']}", None, None, None, None),
        ("users", "create"): ("post", "/admin/users/new",
                              {"name": "Nina New", "email": f"nina{w['n']}@test.example",
                               "role": "salesperson", "password": "a-long-enough-secret"},
                              "post", "/users", {"name": "Nina New",
                                                 "email": f"nina{w['n']}@test.example",
                                                 "role": "salesperson",
                                                 "password": "a-long-enough-secret"}),
        ("users", "me"): ("get", "/profile", None, "get", "/users/me", None),
        ("modules", "list"): ("get", "/admin/modules", None, "get", "/modules", None),
    }
    return matrix.Request(*table[(resource, action)])


def _state(resource, action, w):
    """What the action would change, read back from the database."""
    db.session.expire_all()
    partner = db.session.get(Partner, w["partner_id"])
    contact = db.session.get(Contact, w["contact_id"])
    return {
        "partner": (partner.name, partner.partner_type, partner.version),
        "contact": (contact.last_name, contact.version),
        "partners": db.session.scalar(sa.select(sa.func.count()).select_from(Partner)),
        "contacts": db.session.scalar(sa.select(sa.func.count()).select_from(Contact)),
        "users": db.session.scalar(sa.select(sa.func.count()).select_from(User)),
    }


def _check(resource, action, channel, expected, response, before, after) -> list[str]:
    problems = matrix.problems(channel, expected, response)
    if response.status_code != expected:
        return problems
    if channel != "api" and expected in (200, 403, 404) and "HX-Request" not in response.headers.get(
            "Vary", ""):
        problems.append(f"{channel}: no 'Vary: HX-Request'")
    if (channel == "htmx" and resource in ("partner", "contact") and action == "list"
            and expected == 200 and (b"<html" in response.data or b"<table" not in response.data)):
        problems.append(f"{channel}: not the results fragment")
    if expected not in (200, 201, 303) and after != before:
        problems.append(f"{channel}: a refused request changed something")
    elif expected in (200, 201, 303) and action in ("update", "promote", "create") and after == before:
        problems.append(f"{channel}: an accepted request changed nothing")
    return problems


@pytest.mark.parametrize(("resource", "action", "role", "expected"), CASES)
def test_access_matrix(app, make_world, login, api, client, request, resource, action, role,
                       expected):
    user = matrix.user_for(request, role)
    problems = []
    for channel, status in expected.items():
        w = make_world()
        before = _state(resource, action, w)
        response = matrix.send(_request(resource, action, w), channel, user, login=login, api=api,
                               client=client)
        problems += _check(resource, action, channel, status, response, before,
                           _state(resource, action, w))
    assert not problems, problems


def test_matrix_covers_every_role_and_channel():
    assert matrix.covers_every_role_and_channel(CASES)


def test_owner_of_partner_is_the_salesperson(make_world, login, sales, sales2):
    """The matrix' owner/other split comes from salesperson_id, not from who created it."""
    pid = make_world()["partner_id"]
    assert "Promote to customer" in login(sales).get(f"/partners/{pid}").get_data(as_text=True)
    page = login(sales2).get(f"/partners/{pid}").get_data(as_text=True)
    assert "Promote to customer" not in page
    assert f"/partners/{pid}/edit" not in page
