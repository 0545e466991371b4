"""The partners' search (name, email, city contains the text) through the substring index
of migration core_0005: the same rows as a plain LIKE, kept in step with writes, used by the
list page, the export, the API and the CRM's "similar company name" duplicate check."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core import search
from core.db import db
from core.partners import services
from core.partners.models import Partner


def ids(q: str) -> set[int]:
    return set(db.session.scalars(sa.select(Partner.id).where(services.matching(q))))


def plain_like(q: str) -> set[int]:
    pattern = search.pattern(q)
    return set(db.session.scalars(sa.select(Partner.id).where(sa.or_(
        Partner.name_search.like(pattern, escape="\\"), sa.func.lower(Partner.email).like(pattern, escape="\\"),
        sa.func.lower(Partner.city).like(pattern, escape="\\")))))


@pytest.fixture
def sample(manager):
    made = {}
    for key, values in {
        "dubois": {"name": "Fromagerie Dubois", "city": "Lyon"},
        "email": {"name": "Martin SA", "email": "Contact@DuboisGroup.example", "city": "LILLE"},
        "percent": {"name": "100% Bio_Shop", "city": "Nantes"},
        "quote": {"name": 'O"Neil AND OR NEAR*', "city": "Évreux"},
        "other": {"name": "Petit", "city": "Marseille"},
    }.items():
        made[key] = services.create_partner(values, by=manager).id
    return made


@pytest.mark.parametrize("q", ["dubois", "DUBOIS", "ubo", "lyon", "lille", "Lil", "duboisgroup.example",
                               "@dubois", "100%", "bio_s", "_", "%", 'o"neil', '"', "and or", "near*",
                               "*", "évreux", "du", "d", "x" * 100, "nothing-like-this", "dubois\x00"])
def test_same_rows_as_a_plain_like(sample, q):
    assert ids(q) == plain_like(q)


def test_index_follows_writes(sample, manager):
    assert ids("dubois") == {sample["dubois"], sample["email"]}
    partner = db.session.get(Partner, sample["other"])
    services.update_partner(partner, {"name": "Grandjean", "city": "Brest"}, by=manager)
    assert ids("grandjean") == {partner.id} and ids("petit") == set() and ids("brest") == {partner.id}
    db.session.delete(partner)
    db.session.commit()
    assert ids("grandjean") == set()


def test_page_export_and_api_search_the_same_columns(sample, login, api, manager):
    client = login(manager)
    html = client.get("/partners?q=dubois").get_data(as_text=True)
    assert "Fromagerie Dubois" in html and "Martin SA" in html and "Petit" not in html
    csv = client.get("/partners/export.csv?q=lille").get_data(as_text=True)
    assert "Martin SA" in csv and "Fromagerie" not in csv
    found = api(manager).get("/partners?q=lyon").json
    assert [p["name"] for p in found["items"]] == ["Fromagerie Dubois"]


def test_name_contains_for_duplicates(sample):
    found = set(db.session.scalars(sa.select(Partner.id).where(services.name_contains("bio_s"))))
    assert found == {sample["percent"]}
    assert set(db.session.scalars(sa.select(Partner.id).where(services.name_contains("lyon")))) == set()


@pytest.mark.parametrize("total", [1, 5000])
def test_list_page_reads_matches_either_way(sample, login, manager, monkeypatch, total):
    """Few matches drive the query through the index; many are checked row by row: the
    page is the same."""
    monkeypatch.setattr(search, "NARROW_LIMIT", 0 if total > 1 else 10_000)
    html = login(manager).get("/partners?q=dubois&sort=-name").get_data(as_text=True)
    assert html.index("Martin SA") < html.index("Fromagerie Dubois")
