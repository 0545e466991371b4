"""Query budgets of the pages the benchmark measures (bench/bench_pages.py): at most 12
queries, and the same number with 10 times more rows, as a salesperson and as a manager.

The data come from bench/dataset.py at tiny sizes (1/2000 of the bench: 50 leads, then
10 times more with the same users). The CRM, calendar and sales suites pin the flatness of
some of these pages as a manager; this suite adds the 12-query ceiling, the salesperson's
view, and the pages they do not cover (lead detail, partner detail, API lead list, deep,
searched and filtered lead lists).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from bench.dataset import PASSWORD, build
from core.auth.models import ApiToken, User
from core.db import db
from core.partners.models import Partner
from core.testing import count_queries
from modules.crm.models import Lead

SMALL = 2000  # scale: 50 leads, 10 partners, 100 events, 10 orders
BUDGET = 12

PAGES = {
    "lead list": "/crm/leads",
    "lead list page 2": "/crm/leads?page=2",
    "lead list search": "/crm/leads?q=dubois",
    "lead list filters": "/crm/leads?status=in_progress&source=2&sort=-name",
    "lead kanban": "/crm/leads/kanban",
    "lead detail": "/crm/leads/{lead}",
    "partner detail": "/partners/{partner}",
    "pipeline": "/crm/pipeline",
    "opportunity list": "/crm/opportunities",
    "crm dashboard": "/crm/",
    "calendar feed": "/calendar/events.json?{window}",
    "calendar feed (team)": "/calendar/events.json?{window}&who=team",  # ~600 events at 10x
    "order list": "/sales/orders",
    "order list search": "/sales/orders?q=dub",
    "api lead list": "/api/v1/leads",
    "api opportunity list": "/api/v1/opportunities",
    "api order list": "/api/v1/orders",
}




def _client(app, email):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 303
    return client


def _queries(client, url, headers) -> int:
    client.get(url, headers=headers)  # warm caches (module states, access rules)
    with count_queries(db.engine) as counter:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code, response.data[:300])
    return counter.count


@pytest.mark.parametrize("role", ["salesperson", "manager"])
@pytest.mark.parametrize("page", PAGES)
def test_page_budget_is_flat_and_small(app, page, role):
    info = build(scale=SMALL)
    email = "s0@bench.example" if role == "salesperson" else "manager@bench.example"
    user_id = info.salesperson_id if role == "salesperson" else info.manager_id
    # records the salesperson sees, so both roles load the same pages
    lead = db.session.scalar(sa.select(Lead.id).where(Lead.assigned_to == info.salesperson_id).limit(1))
    partner = db.session.scalar(sa.select(Partner.id).where(Partner.salesperson_id == info.salesperson_id)
                                .limit(1))
    # a window of a year, so that the feed has events at both sizes (its attendee query
    # runs only when there are events)
    today = info.now.date()
    window = f"start={today - timedelta(days=180)}&end={today + timedelta(days=180)}"
    url = PAGES[page].format(lead=lead, partner=partner, window=window)
    headers = {}
    if url.startswith("/api/"):
        _token, clear = ApiToken.issue(db.session.get(User, user_id), name="budget")
        db.session.commit()
        headers = {"Authorization": f"Bearer {clear}"}
    client = _client(app, email)
    few = _queries(client, url, headers)
    build(scale=SMALL // 10, append=True, now=info.now)  # 10 times the rows, same users
    many = _queries(client, url, headers)
    assert many == few, f"{page} as {role}: {few} queries, then {many} with 10x the rows"
    assert many <= BUDGET, f"{page} as {role}: {many} queries (budget {BUDGET})"
