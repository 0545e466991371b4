"""The order list's search (the number or the customer's name contains the text) through
the substring indexes of core.search: the same orders as a plain LIKE whichever way the
list reads them, kept in step with numbering and renames, and on SQLite the indexes used."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core import search
from core.db import db
from core.partners.models import Partner
from core.partners.services import update_partner
from modules.sales import services
from modules.sales.models import SaleOrder


def plain_like(q: str) -> list[int]:
    pattern = search.pattern(q)
    return sorted(db.session.scalars(
        sa.select(SaleOrder.id).outerjoin(Partner, Partner.id == SaleOrder.partner_id).where(sa.or_(
            sa.func.lower(SaleOrder.number).like(pattern, escape="\\"),
            Partner.name_search.like(pattern, escape="\\")))))


def listed(q: str, narrow: bool | None) -> list[int]:
    return sorted(db.session.scalars(services.filtered(sa.select(SaleOrder.id), q=q, narrow=narrow)))


@pytest.fixture
def sample(manager, make_order, make_partner):
    made = {}
    for key, name in {"dubois": "Dubois & Fils", "percent": "100% Bio_Shop", "quote": 'O"Neil AND OR NEAR*',
                      "accent": "Évreux Équipement", "other": "Petit"}.items():
        partner = make_partner(name)
        made[key] = make_order(manager, partner=partner, status="finalized").id
        made[f"{key} draft"] = make_order(manager, partner=partner).id  # no number yet
    return made


@pytest.mark.parametrize("q", ["dubois", "DUBOIS", "ubo", "fils", "100%", "bio_s", "_", "%", 'o"neil', '"',
                               "and or", "near*", "*", "évreux", "équipement", "du", "d", "x" * 100,
                               "nothing-like-this", "dubois\x00", "  dubois  ", "2026", "-0", "q20"])
def test_same_orders_as_a_plain_like(sample, q):
    expected = plain_like(q)
    for narrow in (True, False, None):  # the indexes driving, checked, or the text alone
        assert listed(q, narrow) == expected, narrow


def test_finds_by_number_and_customer(sample):
    number = db.session.get(SaleOrder, sample["percent"]).number
    assert number and listed(number.lower(), True) == [sample["percent"]]
    assert listed(number[-4:], True) == plain_like(number[-4:])
    assert listed("dubois", True) == sorted([sample["dubois"], sample["dubois draft"]])
    assert listed("100%", True) == sorted([sample["percent"], sample["percent draft"]])


def test_the_index_follows_numbering_and_renames(sample, manager):
    draft = db.session.get(SaleOrder, sample["other draft"])
    services.run_action(draft, "finalize", by=manager)
    db.session.commit()
    assert draft.number and listed(draft.number, True) == [draft.id]
    partner = db.session.get(Partner, db.session.get(SaleOrder, sample["other"]).partner_id)
    update_partner(partner, {"name": "Grandjean"}, by=manager)
    assert listed("grandjean", True) == sorted([sample["other"], draft.id])
    assert listed("petit", True) == []


def test_page_and_api_search_alike(sample, login, api, manager):
    html = login(manager).get("/sales/orders?q=dubois").get_data(as_text=True)
    assert "Dubois &amp; Fils" in html and "Petit" not in html and "2 records" in html
    found = api(manager).get("/orders?q=dubois").json
    assert sorted(item["id"] for item in found["items"]) == sorted([sample["dubois"], sample["dubois draft"]])


def test_sqlite_reads_the_indexes_not_the_table(sample, app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's FTS5 indexes (PostgreSQL: pg_trgm, the planner's choice)")
    stmt = services.filtered(sa.select(sa.func.count(SaleOrder.id)), q="dubois")
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = " | ".join(row[-1] for row in db.session.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
    assert "sales_order_fts" in plan and "core_partner_fts" in plan, plan
    assert "SCAN sales_order " not in plan + " ", plan
