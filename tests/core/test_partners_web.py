"""Partner and contact pages: lists, forms, history, and hostile input on every channel."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.db import db
from core.partners.models import Contact, Partner
from core.partners.services import create_contact, create_partner
from core.timeline import TimelineEntry


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- lists -----------------------------------------------------------------------------------

def test_list_counts_search_filters_and_sorts(login, manager, sales):
    for name, city, owner in [("Alpha", "Lyon", sales), ("Beta", "Paris", manager),
                              ("Gamma", "Lyon", None)]:
        create_partner({"name": name, "city": city, "salesperson_id": owner.id if owner else None},
                       by=manager)
    client = login(sales)
    page = client.get("/partners").get_data(as_text=True)
    assert "3 records" in page
    page = client.get("/partners?q=lyo").get_data(as_text=True)
    assert "Alpha" in page and "Gamma" in page and "Beta" not in page
    page = client.get("/partners?salesperson=me").get_data(as_text=True)
    assert "Alpha" in page and "Gamma" not in page
    page = client.get("/partners?sort=-name").get_data(as_text=True)
    assert page.index("Gamma") < page.index("Beta") < page.index("Alpha")
    fragment = client.get("/partners?q=bet", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Beta" in fragment and "<nav" not in fragment and "Alpha" not in fragment


@pytest.mark.parametrize("q", ["%", "_", "\\", "'", '"; drop table', "\x00", "é" * 500, "🎉"])
def test_search_with_odd_input(login, sales, q):
    for url in ("/partners", "/contacts", "/partners/search"):
        r = login(sales).get(url, query_string={"q": q})
        assert r.status_code in (200, 400), (url, r.status_code)


@pytest.mark.parametrize("q", ["\x00", "a\x07b", "x" * 201])
def test_api_search_rejects_control_characters(api, sales, q):
    r = api(sales).get("/partners", query_string={"q": q})
    assert r.status_code == 400
    assert "q" in r.json["errors"]


def test_page_arguments_never_crash(login, sales):
    client = login(sales)
    for qs in ("page=-1", "page=abc", "page=99999999999999999999", "sort=%00", "type=x",
               "salesperson=99999999999999999999", "salesperson=%C2%B2", "page=%C2%B2"):
        assert client.get(f"/partners?{qs}").status_code == 200, qs


# --- forms --------------------------------------------------------------------------------------

def test_create_partner_through_the_form(login, sales):
    r = login(sales).post("/partners/new", data={"name": "  Café Ünïcode 東京 ", "kind": "company",
                                                 "email": "Contact@Example.COM", "country": "fr",
                                                 "website": "example.com"})
    assert r.status_code == 303
    p = db.session.scalar(sa.select(Partner))
    assert p.name == "Café Ünïcode 東京"
    assert p.country == "FR" and p.website == "https://example.com"
    assert p.salesperson_id == sales.id and p.partner_type == "prospect"


BAD_FORM_FIELDS = [
    ("name", ""), ("name", "x" * 201), ("name", "bad\x00null"), ("name", "bell\x07"),
    ("email", "not-an-email"), ("email", "a@b@c"), ("phone", "call me"), ("phone", "1" * 41),
    ("website", "javascript:alert(1)"), ("country", "FRA"), ("country", "1"),
    ("kind", "alien"), ("salesperson_id", "abc"), ("salesperson_id", "99999"),
    ("salesperson_id", "-1"), ("postal_code", "9" * 21), ("notes", "n" * 20001),
    ("city", "x" * 101),
]


@pytest.mark.parametrize(("field", "value"), BAD_FORM_FIELDS)
def test_bad_partner_form_names_the_field(login, manager, field, value):
    data = {"name": "Good Co", "kind": "company", field: value}
    r = login(manager).post("/partners/new", data=data)
    assert r.status_code == 422, r.status_code
    html = r.get_data(as_text=True)
    assert f'data-field-error="{field}"' in html
    assert f'id="f-{field}"' in html and "is-invalid" in html
    assert _count(Partner) == 0


@pytest.mark.parametrize(("field", "value"), BAD_FORM_FIELDS)
def test_bad_partner_edit_names_the_field(login, manager, field, value):
    p = create_partner({"name": "Good Co"}, by=manager)
    data = {"name": "Good Co", "kind": "company", "version": str(p.version), field: value}
    r = login(manager).post(f"/partners/{p.id}/edit", data=data)
    assert r.status_code == 422
    assert f'data-field-error="{field}"' in r.get_data(as_text=True)


@pytest.mark.parametrize(("field", "value"), [
    ("last_name", ""), ("last_name", "x" * 101), ("first_name", "\x00"), ("email", "nope"),
    ("phone", "abc"), ("job_title", "j" * 121), ("partner_id", "abc"), ("partner_id", "999999"),
])
def test_bad_contact_form_names_the_field(login, manager, field, value):
    p = create_partner({"name": "Home"}, by=manager)
    data = {"partner_id": str(p.id), "last_name": "Doe", field: value}
    r = login(manager).post("/contacts/new", data=data)
    assert r.status_code == 422
    assert f'data-field-error="{field}"' in r.get_data(as_text=True)
    assert _count(Contact) == 0


def test_stale_edit_form_is_409_and_keeps_the_other_change(login, manager):
    p = create_partner({"name": "Race"}, by=manager)
    client = login(manager)
    old = str(p.version)
    assert client.post(f"/partners/{p.id}/edit", data={"name": "First", "kind": "company",
                                                         "version": old}).status_code == 303
    r = client.post(f"/partners/{p.id}/edit", data={"name": "Second", "kind": "company",
                                                      "version": old})
    assert r.status_code == 409
    assert "changed by someone else" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Partner, p.id).name == "First"


def test_salesperson_cannot_reassign_through_the_form(login, sales, sales2):
    p = create_partner({"name": "Mine"}, by=sales)
    login(sales).post(f"/partners/{p.id}/edit", data={
        "name": "Mine", "kind": "company", "salesperson_id": str(sales2.id), "version": str(p.version)})
    db.session.expire_all()
    assert db.session.get(Partner, p.id).salesperson_id == sales.id


def test_salesperson_cannot_create_a_customer(api, sales):
    r = api(sales).post("/partners", json={"name": "Sneaky", "partner_type": "customer"})
    assert r.status_code == 201 and r.json["partner_type"] == "prospect"


# --- history -------------------------------------------------------------------------------------

def test_history_shows_who_when_what(login, manager, sales):
    client = login(sales)
    client.post("/partners/new", data={"name": "Histo", "kind": "company", "city": "Lyon"})
    p = db.session.scalar(sa.select(Partner).where(Partner.name == "Histo"))
    client.post(f"/partners/{p.id}/edit", data={"name": "Histo", "kind": "company", "city": "Paris",
                                                "version": str(p.version)})
    login(manager).post(f"/partners/{p.id}/promote")
    client.post("/contacts/new", data={"partner_id": str(p.id), "first_name": "Ana",
                                       "last_name": "Lyse"})
    entries = db.session.scalars(sa.select(TimelineEntry).where(
        TimelineEntry.record_type == "partner", TimelineEntry.record_id == p.id)
        .order_by(TimelineEntry.id)).all()
    assert [e.kind for e in entries] == ["created", "updated", "status", "contact"]
    assert entries[0].user_id == sales.id and entries[2].user_id == manager.id
    assert entries[1].changes == {"city": ["Lyon", "Paris"]}

    html = client.get(f"/partners/{p.id}").get_data(as_text=True)
    timeline = html[html.index('id="timeline"'):]
    for text in ("Partner created", "Partner updated", "Promoted to customer",
                 "Contact Ana Lyse added", "Sam Sales", "Max Manager", "Lyon", "Paris"):
        assert text in timeline, text
    assert re.search(r"City</span>: <span[^>]*>Lyon</span> → Paris", timeline)
    assert re.search(r"\d{1,2}:\d{2}", timeline)  # when


def test_history_of_salesperson_change_shows_names(login, manager, sales, sales2):
    p = create_partner({"name": "Moving", "salesperson_id": sales.id}, by=manager)
    login(manager).post(f"/partners/{p.id}/edit", data={
        "name": "Moving", "kind": "company", "salesperson_id": str(sales2.id),
        "version": str(p.version)})
    html = login(manager).get(f"/partners/{p.id}").get_data(as_text=True)
    timeline = html[html.index('id="timeline"'):]
    assert "Sam Sales" in timeline and "Sue Sales" in timeline


def test_new_contact_picks_the_partner_from_a_list(login, manager):
    for name in ("Zeta", "Alpha"):
        create_partner({"name": name}, by=manager)
    client = login(manager)
    html = client.get("/contacts/new").get_data(as_text=True)
    assert html.index(">Alpha<") < html.index(">Zeta<")
    assert 'hx-get="/partners/search"' in html
    options = client.get("/partners/search?q=zet", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Zeta" in options and "Alpha" not in options
    everything = client.get("/partners/search?q=", headers={"HX-Request": "true"})
    assert everything.status_code == 200 and "Alpha" in everything.get_data(as_text=True)
    zeta = db.session.scalar(sa.select(Partner).where(Partner.name == "Zeta"))
    r = client.post("/contacts/new", data={"partner_id": str(zeta.id), "last_name": "Doe", "q": "zet"})
    assert r.status_code == 303 and r.headers["Location"] == f"/partners/{zeta.id}"


def test_contact_history(login, manager):
    p = create_partner({"name": "Home"}, by=manager)
    c = create_contact({"partner_id": p.id, "last_name": "Doe"}, by=manager)
    login(manager).post(f"/contacts/{c.id}/edit", data={"partner_id": str(p.id), "last_name": "Doe",
                                                         "job_title": "CEO", "version": str(c.version)})
    html = login(manager).get(f"/contacts/{c.id}").get_data(as_text=True)
    assert "Contact created" in html and "Contact updated" in html and "CEO" in html


def test_unchanged_save_writes_no_history(login, manager):
    p = create_partner({"name": "Still"}, by=manager)
    login(manager).post(f"/partners/{p.id}/edit", data={"name": "Still", "kind": "company",
                                                         "version": str(p.version)})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TimelineEntry).where(
        TimelineEntry.record_id == p.id, TimelineEntry.kind == "updated")) == 0


# --- hostile API bodies ----------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False) | st.text(max_size=300)
    | st.sampled_from(["", " ", "\x00", "\u202e", "x" * 20001, "a@b.co", "FR", "company",
                       "prospect", "+33 1 23 45 67 89", "https://example.com"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children,
                                                                       max_size=3),
    max_leaves=5)

PARTNER_KEYS = ["name", "kind", "partner_type", "email", "phone", "website", "street", "city",
                "postal_code", "country", "notes", "salesperson_id", "version", "id", "bogus"]
CONTACT_KEYS = ["partner_id", "first_name", "last_name", "email", "phone", "job_title", "version",
                "id", "bogus"]


def _check_problem(r, body):
    assert r.status_code < 500, (body, r.data[:300])
    if r.status_code == 422:
        errors = r.json["errors"]
        assert errors, body
        assert set(errors) <= set(body) | {"name", "last_name", "partner_id"}, (errors, body)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(PARTNER_KEYS), JSON_VALUES, max_size=6))
def test_partner_api_bodies_never_500(api, manager, body):
    client = api(manager)
    _check_problem(client.post("/partners", json=body), body)
    p = create_partner({"name": "Target"}, by=manager)
    _check_problem(client.patch(f"/partners/{p.id}", json=body), body)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(CONTACT_KEYS), JSON_VALUES, max_size=6))
def test_contact_api_bodies_never_500(api, manager, body):
    client = api(manager)
    p = create_partner({"name": "Home"}, by=manager)
    body = dict(body)
    _check_problem(client.post("/contacts", json=body), body)
    c = create_contact({"partner_id": p.id, "last_name": "Doe"}, by=manager)
    _check_problem(client.patch(f"/contacts/{c.id}", json=body), body)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.dictionaries(st.sampled_from(PARTNER_KEYS), st.text(max_size=300), max_size=6))
def test_partner_form_never_500(login, manager, form):
    client = login(manager)
    r = client.post("/partners/new", data=form)
    assert r.status_code in (303, 422), (form, r.status_code)
