"""The API base: pagination, problem+json errors, the OpenAPI document."""

from __future__ import annotations

import pytest

from core.partners.services import create_partner

PROBLEM = "application/problem+json"




def _problem(r, status):
    assert r.status_code == status, r.data[:300]
    assert r.mimetype == PROBLEM
    body = r.json
    assert body["status"] == status and body["title"] and body["type"]
    return body


# --- pagination ------------------------------------------------------------------------

def test_pagination(api, manager):
    for i in range(7):
        create_partner({"name": f"P{i:02d}"}, by=manager, commit=False)
    from core.db import db

    db.session.commit()
    client = api(manager)
    r = client.get("/partners", query_string={"page": 2, "per_page": 3})
    assert r.status_code == 200
    assert {k: r.json[k] for k in ("page", "per_page", "total")} == {"page": 2, "per_page": 3, "total": 7}
    assert [p["name"] for p in r.json["items"]] == ["P03", "P04", "P05"]
    assert client.get("/partners", query_string={"page": 9, "per_page": 3}).json["items"] == []
    r = client.get("/partners")
    assert r.json["per_page"] == 50 and r.json["page"] == 1


@pytest.mark.parametrize("params", [{"per_page": 201}, {"per_page": 0}, {"page": 0},
                                    {"page": "x"}, {"per_page": "1e3"}, {"sort": "password"},
                                    {"colour": "red"}, {"partner_type": "alien"}])
def test_bad_parameters_are_400(api, sales, params):
    body = _problem(api(sales).get("/partners", query_string=params), 400)
    assert set(body["errors"]) == set(params)


def test_per_page_200_is_allowed(api, sales):
    assert api(sales).get("/partners?per_page=200").status_code == 200


# --- errors ----------------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"{", b"[1, 2]", b'"text"', b"null", b"\xff\xfe",
                                  b'{"name": "a"', b"NaN"])
def test_malformed_json_is_400(api, sales, data):
    r = api(sales).post("/partners", data=data, headers={"Content-Type": "application/json"})
    _problem(r, 400)


def test_no_token_is_401_problem(client):
    body = _problem(client.get("/api/v1/partners"), 401)
    assert "Bearer" in body["detail"]


def test_forbidden_is_403_problem(api, manager, sales, sales2):
    p = create_partner({"name": "Theirs", "salesperson_id": sales.id}, by=manager)
    _problem(api(sales2).patch(f"/partners/{p.id}", json={"city": "X"}), 403)


def test_not_found_never_reveals_existence(api, manager, sales):
    client = api(sales)
    missing = client.get("/partners/999999")
    body = _problem(missing, 404)
    assert "999999" not in str(body)
    # A user's notification: invisible to others, answered exactly as an absent one.
    from core.db import db
    from core.notifications import Notification

    n = Notification(user_id=manager.id, kind="info", title="Secret")
    db.session.add(n)
    db.session.commit()
    theirs = client.post(f"/notifications/{n.id}/read")
    absent = client.post("/notifications/999999/read")
    assert theirs.status_code == absent.status_code == 404
    assert theirs.json == absent.json


def test_unknown_route_is_404_problem(api, sales):
    _problem(api(sales).get("/nothing-here"), 404)


def test_wrong_method_is_405_problem(api, sales):
    _problem(api(sales).delete("/users/me"), 405)


def test_stale_version_is_409(api, manager):
    client = api(manager)
    p = client.post("/partners", json={"name": "V"}).json
    assert client.patch(f"/partners/{p['id']}", json={"city": "A", "version": p["version"]}
                        ).status_code == 200
    _problem(client.patch(f"/partners/{p['id']}", json={"city": "B", "version": p["version"]}), 409)
    c = client.post("/contacts", json={"partner_id": p["id"], "last_name": "L"}).json
    client.patch(f"/contacts/{c['id']}", json={"job_title": "A", "version": c["version"]})
    _problem(client.patch(f"/contacts/{c['id']}", json={"job_title": "B", "version": c["version"]}), 409)


def test_422_lists_every_bad_field(api, sales):
    r = api(sales).post("/partners", json={
        "name": "", "email": "nope", "phone": "abc", "website": "not a site", "country": "France",
        "kind": "alien", "salesperson_id": "x", "id": 4, "created_at": "2020-01-01", "colour": "red"})
    body = _problem(r, 422)
    assert set(body["errors"]) == {"name", "email", "phone", "website", "country", "kind",
                                   "salesperson_id", "id", "created_at", "colour"}
    assert body["errors"]["id"] == ["is read-only"]
    assert body["errors"]["created_at"] == ["is read-only"]
    assert body["errors"]["colour"] == ["unknown field"]


def test_422_on_patch_read_only_fields(api, manager):
    client = api(manager)
    p = client.post("/partners", json={"name": "RO"}).json
    body = _problem(client.patch(f"/partners/{p['id']}", json={
        "partner_type": "customer", "id": 3, "updated_at": "x"}), 422)
    assert set(body["errors"]) == {"partner_type", "id", "updated_at"}


def test_contact_with_unknown_partner_is_422(api, sales):
    body = _problem(api(sales).post("/contacts", json={"partner_id": 999999, "last_name": "X"}), 422)
    assert "partner_id" in body["errors"]


def test_salesperson_must_exist(api, manager):
    body = _problem(api(manager).post("/partners", json={"name": "S", "salesperson_id": 99999}), 422)
    assert "salesperson_id" in body["errors"]


def test_null_name_on_patch_is_422(api, manager):
    client = api(manager)
    p = client.post("/partners", json={"name": "N"}).json
    body = _problem(client.patch(f"/partners/{p['id']}", json={"name": None}), 422)
    assert "name" in body["errors"]


# --- OpenAPI --------------------------------------------------------------------------------

def test_openapi_is_public_json(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    assert r.json["openapi"].startswith("3.")


def test_openapi_validates(client):
    validator = pytest.importorskip(
        "openapi_spec_validator",
        reason="openapi-spec-validator is not installed (pip install openapi-spec-validator)")
    validator.validate(client.get("/api/v1/openapi.json").json)


def test_openapi_lists_every_api_route(app, client):
    import re

    doc = client.get("/api/v1/openapi.json").json
    documented = {(path, method.upper()) for path, item in doc["paths"].items() for method in item}
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routed.add((path, method))
    assert routed, "no API route found"
    assert routed <= documented, routed - documented
    for path, method in routed:
        op = doc["paths"][path][method.lower()]
        assert op["summary"] and op["responses"]
    assert "/api/v1/partners/{partner_id}/promote" in doc["paths"]



def test_ids_too_big_for_the_database_are_404(app, manager, login, api):
    big = 2**40
    assert api(manager).get(f"/partners/{big}").status_code == 404
    assert login(manager).get(f"/partners/{big}").status_code == 404
    assert api(manager).get(f"/opportunities/{big}").status_code == 404
