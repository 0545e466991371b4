"""Query budgets: the lead list, the lead kanban, the pipeline and the dashboard run the
same number of queries for few and many rows."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.db import db, utcnow
from core.testing import count_queries
from modules.crm.models import Lead, Opportunity
from modules.crm.services import leads, opportunities


def _add_leads(n, user_ids, start=0):
    now = utcnow()
    rows = []
    for i in range(start, start + n):
        values = {"last_name": f"Name{i}", "company_name": f"Co {i}", "email": f"p{i}@c{i}.example"}
        rows.append(values | leads.derive(values) | {
            "status": ("new", "assigned", "in_progress", "lost")[i % 4] if i % 4 != 0 else "new",
            "assigned_to": user_ids[i % len(user_ids)] if i % 4 else None,
            "recycled": False, "version": 1, "created_at": now, "updated_at": now,
            "source_id": 1 + i % 6})
    db.session.execute(sa.insert(Lead.__table__), rows)
    db.session.commit()


def _add_opps(n, user_ids, start=0):
    stages = [s.id for s in opportunities.stages(open_only=True)]
    now = utcnow()
    db.session.execute(sa.insert(Opportunity.__table__), [{
        "name": f"Opp {i}", "name_search": f"opp {i}", "stage_id": stages[i % len(stages)],
        "status": "open", "amount": 100 * (i + 1), "currency": "EUR", "probability": 20,
        "expected_close_date": date.today() + timedelta(days=i % 300),
        "assigned_to": user_ids[i % len(user_ids)], "version": 1, "created_at": now,
        "updated_at": now} for i in range(start, start + n)])
    db.session.commit()


def _queries(client, url):
    with count_queries(db.engine) as counter:
        response = client.get(url)
    assert response.status_code == 200, response.data[:300]
    return counter.count


@pytest.mark.parametrize("url", ["/crm/leads", "/crm/leads?sort=-name&status=assigned",
                                 "/crm/leads/kanban", "/crm/pipeline", "/crm/",
                                 "/crm/opportunities"])
def test_flat_query_count(login, manager, sales, sales2, url):
    users = [sales.id, sales2.id, manager.id]
    _add_leads(10, users)
    _add_opps(10, users)
    client = login(manager)
    client.get(url)  # warm caches (module state, access rules, the signed-in user)
    few = _queries(client, url)
    _add_leads(490, users, start=10)
    _add_opps(490, users, start=10)
    client.get(url)
    many = _queries(client, url)
    assert few == many, (few, many)


def test_list_total_counts_every_visible_row(login, manager, sales):
    _add_leads(30, [sales.id])
    html = login(manager).get("/crm/leads").get_data(as_text=True)
    assert "30 records" in html


def test_dashboard_for_salesperson_counts_own_only(login, sales, sales2):
    _add_opps(6, [sales.id, sales2.id])
    html = login(sales).get("/crm/").get_data(as_text=True)
    assert html.count("Opp ") == 0  # figures only, no records
    rows = opportunities.pipeline_by_stage(sales)
    assert sum(r["count"] for r in rows) == 3
    assert sum(r["amount"] for r in rows) == Decimal("900.00")  # 100 + 300 + 500
