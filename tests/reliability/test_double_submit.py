"""A create form submitted twice (double click, resent POST, two processes at once) creates
one record: the form's single-use token (core.once) is claimed in the record's transaction."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from core.db import db
from core.partners.models import Partner
from tests.reliability.helpers import run_parallel

FORMS = {
    "lead": ("/crm/leads/new", {"last_name": "Twice", "company_name": "Double Click SA",
                                "email": "twice@double-click.example"}),
    "partner": ("/partners/new", {"name": "Double Click Partner", "kind": "company"}),
    "order": ("/sales/orders/new", {"currency": "EUR"}),
}


def _count(kind):
    from modules.crm.models import Lead
    from modules.sales.models import SaleOrder

    model = {"lead": Lead, "partner": Partner, "order": SaleOrder}[kind]
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _token(client, url):
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="_once" value="([^"]+)"', page)
    assert match, "the create form carries no single-use token"
    return match.group(1)


@pytest.mark.parametrize("kind", sorted(FORMS))
def test_resubmitted_create_form_creates_one_record(kind, login, sales):
    url, data = FORMS[kind]
    client = login(sales)
    if kind == "order":
        data = {**data, "partner_id": str(_partner(sales))}
    data = {**data, "_once": _token(client, url)}
    before = _count(kind)
    first = client.post(url, data=data)
    second = client.post(url, data=data)
    assert first.status_code == 303 and second.status_code == 303
    assert _count(kind) == before + 1
    assert "already submitted" in client.get(second.headers["Location"]).get_data(as_text=True)
    # a fresh form (new token) creates again (the lead form first warns about the duplicate)
    again = {**data, "_once": _token(client, url), "confirm_duplicates": "1"}
    assert client.post(url, data=again).status_code == 303
    assert _count(kind) == before + 2


def _partner(user):
    from core.partners.services import create_partner

    return create_partner({"name": "Order target", "salesperson_id": user.id}, by=user).id


@pytest.mark.postgres
@pytest.mark.parametrize("kind", sorted(FORMS))
def test_concurrent_double_submit_creates_one_record(kind, need_postgres, comptoir_db_url, login, sales, app):
    url, data = FORMS[kind]
    client = login(sales)
    if kind == "order":
        data = {**data, "partner_id": str(_partner(sales))}
    data = {**data, "_once": _token(client, url)}
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None
    cookies = {cookie.key: cookie.value}
    before = _count(kind)
    outcomes = run_parallel(comptoir_db_url, [[("post", url, {"data": data, "cookies": cookies})]] * 4)
    assert [code for code, _ in outcomes] == [303] * 4, outcomes
    assert _count(kind) == before + 1
