"""Query budgets: the number of queries of list and detail pages does not grow with rows."""

from __future__ import annotations

import pytest

from core.db import db
from core.partners.services import create_contact, create_partner
from core.testing import count_queries


def add_partners(n: int, by, start: int = 0):
    for i in range(start, start + n):
        partner = create_partner({"name": f"Partner {i:04d}", "city": "Lyon", "salesperson_id": by.id},
                                 by=by, commit=False)
        create_contact({"partner_id": partner.id, "last_name": f"Contact {i}"}, by=by, commit=False)
    db.session.commit()


def queries(client, url) -> int:
    client.get(url)  # warm caches (menu, access rules)
    with count_queries(db.engine) as counter:
        assert client.get(url).status_code == 200
    return counter.count


@pytest.mark.parametrize("url", ["/partners", "/partners?q=partner&sort=-city", "/contacts",
                                 "/partners/1", "/api/v1/partners", "/api/v1/contacts"])
def test_flat_query_count(app, manager, login, api, url):
    add_partners(3, manager)
    client = api(manager).client if url.startswith("/api") else login(manager)
    headers = api(manager).headers if url.startswith("/api") else {}
    if headers:
        client.environ_base.update({"HTTP_AUTHORIZATION": headers["Authorization"]})
    few = queries(client, url)
    add_partners(60, manager, start=3)
    many = queries(client, url)
    assert many == few, f"{url}: {few} queries with 3 partners, {many} with 63"
    assert many <= 12
