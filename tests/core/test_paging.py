"""core.web.paginate / page_rows: deep pages pick their rows by key first (a deferred join).
Every page must hold exactly the rows, in the order, of the plain LIMIT/OFFSET query."""

from __future__ import annotations

import random
import re

import pytest
import sqlalchemy as sa

from core.db import db
from core.partners.models import Partner
from core.web import page_rows, paginate


@pytest.fixture()
def partners(app, sales, sales2):
    rng = random.Random(7)
    rows = []
    for i in range(83):
        rows.append(Partner(
            name=rng.choice(["Alpha", "Beta", "Gamma", "Delta"]) + (f" {i}" if i % 3 else ""),
            name_search="x", kind=rng.choice(["company", "individual"]),
            partner_type=rng.choice(["prospect", "customer"]),
            city=rng.choice([None, "Lyon", "Paris"]),
            salesperson_id=rng.choice([None, sales.id, sales2.id]), version=1))
    db.session.add_all(rows)
    db.session.commit()
    return rows


SHAPES = {
    "ties broken by id": lambda s: s.order_by(Partner.city.desc(), Partner.id),
    "name, filtered": lambda s: s.where(Partner.partner_type == "prospect").order_by(Partner.name, Partner.id.desc()),
    "eager-loaded salesperson": lambda s: s.options(sa.orm.joinedload(Partner.salesperson))
    .order_by(Partner.kind, Partner.id),
    "joined filter": lambda s: s.join(Partner.salesperson).where(Partner.salesperson_id.is_not(None))
    .order_by(Partner.name, Partner.id),
}


def _with_salesperson_name(stmt):
    from core.auth.models import User
    from core.web import Columns

    seller = sa.orm.aliased(User)
    return Columns(Partner.id, Partner.name, seller.name.label("salesperson_name"),
                   joins=[(seller, seller.id == Partner.salesperson_id)])(stmt)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("per_page", [1, 7, 25])
def test_every_page_is_the_plain_offsets(app, partners, shape, per_page):
    stmt = SHAPES[shape](sa.select(Partner))
    total = len(db.session.scalars(stmt).unique().all())
    assert total > per_page
    pages = -(-total // per_page)
    seen = []
    for number in range(1, pages + 2):  # and one past the end: empty
        plain = db.session.scalars(stmt.limit(per_page).offset((number - 1) * per_page)).unique().all()
        deferred = db.session.scalars(page_rows(stmt, number, per_page)).unique().all()
        assert [p.id for p in deferred] == [p.id for p in plain], number
        result = paginate(stmt, number, per_page, past_end="empty")
        assert [p.id for p in result.items] == [p.id for p in plain] and result.total == total
        keyed = paginate(stmt, number, per_page, key_first=True, past_end="empty")  # the first page too
        assert [p.id for p in keyed.items] == [p.id for p in plain]
        # Rows of columns with their own join, the rows picked on the entity query.
        shaped = paginate(stmt, number, per_page, past_end="empty", shape=_with_salesperson_name)
        assert [(r.id, r.name, r.salesperson_name) for r in shaped.items] == [
            (p.id, p.name, p.salesperson.name if p.salesperson else None) for p in plain]
        seen += [p.id for p in deferred]
    assert len(seen) == len(set(seen)) == total


def test_deep_pages_pick_keys_first(app, partners):
    stmt = sa.select(Partner).options(sa.orm.joinedload(Partner.salesperson)).order_by(Partner.name, Partner.id)
    first = str(page_rows(stmt, 1, 25).compile(db.engine))
    deep = str(page_rows(stmt, 3, 25).compile(db.engine))
    assert " IN (SELECT " not in first
    assert " IN (SELECT core_partner.id" in deep
    assert " IN (SELECT core_partner.id" in str(page_rows(stmt, 1, 25, key_first=True).compile(db.engine))
    # Not an entity query (rows of columns): a plain OFFSET.
    columns = sa.select(Partner.id, Partner.name).order_by(Partner.name)
    assert " IN (SELECT " not in str(page_rows(columns, 3, 25).compile(db.engine))


@pytest.mark.parametrize("count_limit", [10, 30, 40, 83, 200])
def test_a_limited_count_says_more_and_still_reaches_every_row(app, partners, count_limit):
    stmt = sa.select(Partner).order_by(Partner.name, Partner.id)
    every = [p.id for p in db.session.scalars(stmt)]
    seen, number = [], 1
    while True:
        page = paginate(stmt, number, 10, count_limit=count_limit)
        assert [p.id for p in page.items] == every[(number - 1) * 10:number * 10]
        counted_to = max(count_limit, number * 10)  # the limit, or this page's end
        if counted_to < 83:
            assert page.more and page.total == counted_to and page.has_next
        else:
            assert not page.more and page.total == 83 and page.pages == 9
        seen += [p.id for p in page.items]
        if not page.has_next:
            break
        number += 1
    assert seen == every and number == 9


def test_an_exact_count_ignores_the_limit(app, partners):
    stmt = sa.select(Partner).order_by(Partner.id)
    page = paginate(stmt, 1, 10, count_stmt=sa.select(sa.literal(83)), count_limit=20)
    assert page.total == 83 and not page.more and page.pages == 9


def test_a_page_past_the_end_shows_the_last_one(app, partners, login, manager, api):
    """Pages: a page past the last (a kept bookmark, a typed URL) is the last page, said as
    such. The API answers that page empty, with the total."""
    stmt = sa.select(Partner).order_by(Partner.id)
    last = paginate(stmt, 9, 10)
    for number in (10, 500, 10**9):
        page = paginate(stmt, number, 10)
        assert page.page == 9 and [p.id for p in page.items] == [p.id for p in last.items]
        assert not page.has_next and page.has_prev
    assert paginate(sa.select(Partner).where(Partner.id < 0), 7, 10).page == 1  # nothing at all
    html = login(manager).get("/partners?page=500").get_data(as_text=True)
    shown, pages = re.search(r'id="page-count">Page (\d+) of (\d+) ·', html).groups()
    assert shown == pages and int(pages) > 1 and "No partner" not in html
    listed = api(manager).get("/partners?page=500&per_page=10").json
    assert listed["items"] == [] and listed["page"] == 500 and listed["total"] == 83
