"""Races on PostgreSQL through the whole HTTP stack: several processes, each with its own
application and connection pool, send the same request at the same moment."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.auth.services import issue_token
from core.db import db
from core.partners.models import Partner
from core.partners.services import create_partner
from core.timeline import TimelineEntry
from tests.reliability.helpers import bearer, run_parallel

pytestmark = pytest.mark.postgres
PROCESSES = 4


@pytest.fixture
def product(app, manager):
    from modules.sales import services

    return services.create_product({"code": "RACE-1", "name": "Race widget", "unit_price": Decimal("50.00"),
                                    "tax_rate": Decimal("20")}, by=manager)


def _order(product, partner, user, status="draft"):
    from modules.sales import services

    order = services.create_order({"partner_id": partner.id, "assigned_to": user.id},
                                  [{"product_id": product.id, "quantity": "3"}], by=user)
    if status == "finalized":
        services.run_action(order, "finalize", by=user)
    return order


def test_converting_the_same_lead_at_once_makes_one_partner(need_postgres, comptoir_db_url, manager, sales):
    from modules.crm.models import Lead, Opportunity
    from modules.crm.services import leads

    lead = leads.create_lead({"last_name": "Racer", "company_name": "Race Conditions SA",
                              "assigned_to": sales.id}, by=manager)
    leads.assign(lead, sales.id, by=manager)
    lead_id, auth = lead.id, bearer(issue_token(sales, "race"))
    partners_before = db.session.scalar(sa.select(sa.func.count()).select_from(Partner))
    outcomes = run_parallel(comptoir_db_url, [[("post", f"/api/v1/leads/{lead_id}/convert",
                                                 {"json": {}, **auth})]] * PROCESSES)
    codes = sorted(code for code, _ in outcomes)
    assert codes == [200] + [409] * (PROCESSES - 1), outcomes
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Partner)) == partners_before + 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Partner)
                             .where(Partner.name == "Race Conditions SA")) == 1
    lead = db.session.get(Lead, lead_id)
    assert lead.status == "converted" and lead.partner_id is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Opportunity)
                             .where(Opportunity.lead_id == lead_id)) <= 1


def test_confirming_the_same_order_at_once_promotes_once(need_postgres, comptoir_db_url, manager, sales,
                                                         product):
    from modules.sales.models import SaleOrder

    partner = create_partner({"name": "Race Prospect", "salesperson_id": sales.id}, by=manager)
    order = _order(product, partner, sales, "finalized")
    order_id, partner_id, auth = order.id, partner.id, bearer(issue_token(sales, "race"))
    outcomes = run_parallel(comptoir_db_url, [[("post", f"/api/v1/orders/{order_id}/confirm", auth)]] * PROCESSES)
    assert sorted(code for code, _ in outcomes) == [200] + [409] * (PROCESSES - 1), outcomes
    order = db.session.get(SaleOrder, order_id)
    assert order.status == "confirmed" and order.confirmed_at is not None
    partner = db.session.get(Partner, partner_id)
    assert partner.partner_type == "customer"
    promotions = db.session.scalar(sa.select(sa.func.count()).select_from(TimelineEntry).where(
        TimelineEntry.record_type == "partner", TimelineEntry.record_id == partner_id,
        TimelineEntry.message == "Promoted to customer"))
    assert promotions == 1


def test_finalizing_many_quotes_at_once_gives_unique_numbers(need_postgres, comptoir_db_url, manager, sales,
                                                             product):
    from modules.sales.models import SaleOrder

    partner = create_partner({"name": "Many quotes", "salesperson_id": sales.id}, by=manager)
    per_process = 5
    ids = [_order(product, partner, sales).id for _ in range(PROCESSES * per_process)]
    auth = bearer(issue_token(sales, "race"))
    batches = [[("post", f"/api/v1/orders/{i}/finalize", auth) for i in ids[p::PROCESSES]]
               for p in range(PROCESSES)]
    outcomes = run_parallel(comptoir_db_url, batches)
    assert [code for code, _ in outcomes] == [200] * len(ids), outcomes
    numbers = db.session.scalars(sa.select(SaleOrder.number).where(SaleOrder.id.in_(ids))).all()
    assert None not in numbers and len(set(numbers)) == len(ids)


def test_same_version_edits_one_wins_the_other_gets_409_and_keeps_its_input(need_postgres, comptoir_db_url,
                                                                              manager, sales, login):
    from modules.crm.models import Lead
    from modules.crm.services import leads

    lead = leads.create_lead({"last_name": "Original", "company_name": "Versioned SA",
                              "assigned_to": sales.id}, by=manager)
    lead_id, version = lead.id, lead.version
    auth = bearer(issue_token(sales, "race"))
    names = [f"Editor{i}" for i in range(PROCESSES)]
    batches = [[("patch", f"/api/v1/leads/{lead_id}", {"json": {"last_name": name, "version": version}, **auth})]
               for name in names]
    outcomes = run_parallel(comptoir_db_url, batches)
    assert sorted(code for code, _ in outcomes) == [200] + [409] * (PROCESSES - 1), outcomes
    refusal = next(body for code, body in outcomes if code == 409)
    assert "modified" in refusal.lower() or "changed" in refusal.lower(), refusal
    lead = db.session.get(Lead, lead_id)
    winner = next(body for code, body in outcomes if code == 200)
    assert lead.last_name in names and lead.last_name in winner and lead.version == version + 1

    # The page form: a stale save is refused with a message, and the form keeps what was typed.
    page = login(sales).post(f"/crm/leads/{lead_id}/edit",
                             data={"last_name": "Typed but stale", "company_name": "Versioned SA",
                                   "version": str(version)})
    assert page.status_code == 409
    assert "Typed but stale" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Lead, lead_id).last_name == lead.last_name
