"""Pages and API in process (Flask test client) on the bench data set, each against a bare baseline.

For every page: median and 95th percentile, the number of SQL queries, and the ratio to a
bare baseline: a minimal Flask route (registered only in the bench app) that runs the same
main SQL query and renders the same rows with plain Jinja (or json.dumps for JSON). As a
salesperson and as a manager. Full size: bench/dataset.py (100,000 leads); quick: 1/20.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, request
from flask_login import current_user
from jinja2 import Environment

from bench.common import timed
from bench.dataset import PASSWORD, dataset_app

#: (label, kind, target median ms); kind "list" pages must stay within 2x of their baseline.
TARGETS = {"list": 25.0, "detail": 25.0, "dashboard": 80.0}

_jinja = Environment(autoescape=True)
TABLE = _jinja.from_string(
    "<table>{% for row in rows %}<tr>{% for v in row %}<td>{{ v }}</td>{% endfor %}</tr>"
    "{% endfor %}</table>")
RECORD = _jinja.from_string("<dl>{% for k, v in row.items() %}<dt>{{ k }}</dt><dd>{{ v }}</dd>"
                            "{% endfor %}</dl>")


def _bare_blueprint() -> Blueprint:
    """The baselines: same main query as the page, no framework around the rendering."""
    from core import access
    from core.auth.models import User
    from core.db import db
    from core.partners.models import Partner
    from core.web import search_pattern
    from modules.calendar import services as calendar
    from modules.calendar.models import Event
    from modules.crm.models import Lead, LeadSource, Opportunity, OpportunityStage
    from modules.crm.services.opportunities import _first_ids_by_stage
    from modules.crm.views.opportunities import KANBAN_LIMIT
    from modules.sales.models import SaleOrder

    bp = Blueprint("bench_bare", __name__, url_prefix="/_bare")

    def page_args(per_page=25):
        page = max(1, int(request.args.get("page", 1)))
        return per_page, (page - 1) * per_page

    @bp.get("/leads")
    def leads():
        stmt = (sa.select(Lead.id, Lead.first_name, Lead.last_name, Lead.company_name, Lead.email,
                          Lead.city, Lead.status, LeadSource.name, User.name, Lead.created_at)
                .select_from(Lead).outerjoin(LeadSource, LeadSource.id == Lead.source_id)
                .outerjoin(User, User.id == Lead.assigned_to))
        stmt = access.visible(stmt, Lead, current_user)
        if q := request.args.get("q"):
            pattern = search_pattern(q)
            stmt = stmt.where(sa.or_(Lead.name_search.like(pattern, escape="\\"),
                                     Lead.email_lower.like(pattern, escape="\\"),
                                     sa.func.lower(Lead.city).like(pattern, escape="\\")))
        if status := request.args.get("status"):
            stmt = stmt.where(Lead.status == status)
        if source := request.args.get("source"):
            stmt = stmt.where(Lead.source_id == int(source))
        order = Lead.name_search.desc() if request.args.get("sort") == "-name" else Lead.created_at.desc()
        per_page, offset = page_args()
        rows = db.session.execute(stmt.order_by(order, Lead.id.desc()).limit(per_page).offset(offset)).all()
        return TABLE.render(rows=rows)

    @bp.get("/api/leads")
    def api_leads():
        stmt = access.visible(sa.select(Lead.__table__), Lead, current_user)
        per_page, offset = page_args(50)
        rows = db.session.execute(stmt.order_by(Lead.created_at.desc(), Lead.id.desc())
                                  .limit(per_page).offset(offset)).mappings().all()
        return json.dumps([dict(r) for r in rows], default=str)

    @bp.get("/leads/<int:lead_id>")
    def lead(lead_id):
        row = db.session.execute(access.visible(sa.select(Lead.__table__), Lead, current_user)
                                 .where(Lead.id == lead_id)).mappings().one()
        return RECORD.render(row=row)

    @bp.get("/partners/<int:partner_id>")
    def partner(partner_id):
        row = db.session.execute(access.visible(sa.select(Partner.__table__), Partner, current_user)
                                 .where(Partner.id == partner_id)).mappings().one()
        return RECORD.render(row=row)

    @bp.get("/pipeline")
    def pipeline():
        # The page's own ranking (one UNION ALL of index walks per stage), then the cards.
        stmt = access.visible(sa.select(Opportunity), Opportunity, current_user
                              ).where(Opportunity.status == "open")
        ids = _first_ids_by_stage(stmt, db.session.scalars(sa.select(OpportunityStage).where(
            OpportunityStage.is_won.is_(False), OpportunityStage.is_lost.is_(False))).all(), KANBAN_LIMIT)
        rows = db.session.execute(
            sa.select(Opportunity.id, Opportunity.name, Opportunity.stage_id, Opportunity.amount,
                      Opportunity.expected_close_date, Partner.name)
            .outerjoin(Partner, Partner.id == Opportunity.partner_id).where(Opportunity.id.in_(ids))
            .order_by(Opportunity.expected_close_date, Opportunity.id)).all()
        return TABLE.render(rows=rows)

    @bp.get("/dashboard")
    def dashboard():
        by_stage = db.session.execute(
            access.visible(sa.select(OpportunityStage.name, sa.func.count(Opportunity.id),
                                     sa.func.sum(Opportunity.amount))
                           .join(Opportunity, Opportunity.stage_id == OpportunityStage.id)
                           .where(Opportunity.status == "open"), Opportunity, current_user)
            .group_by(OpportunityStage.name)).all()
        by_status = db.session.execute(access.visible(
            sa.select(Lead.status, sa.func.count(Lead.id)), Lead, current_user).group_by(Lead.status)).all()
        return TABLE.render(rows=by_stage + by_status)

    @bp.get("/events.json")
    def events():
        start = datetime.fromisoformat(request.args["start"]).replace(tzinfo=UTC)
        end = datetime.fromisoformat(request.args["end"]).replace(tzinfo=UTC)
        stmt = calendar.involving(calendar.overlapping(access.visible(
            sa.select(Event.id, Event.subject, Event.start, Event.end, Event.type, Event.status,
                      Partner.name, User.name).select_from(Event)
            .outerjoin(Partner, Partner.id == Event.partner_id).join(User, User.id == Event.organizer_id),
            Event, current_user), start, end), current_user.id).where(Event.status != "cancelled")
        rows = db.session.execute(stmt.order_by(Event.start).limit(2000)).all()
        return json.dumps([{"id": r[0], "title": r[1], "start": r[2].isoformat(), "end": r[3].isoformat(),
                            "type": r[4], "status": r[5], "partner": r[6], "organizer": r[7]} for r in rows])

    @bp.get("/opportunities")
    def opportunities():
        stmt = access.visible(
            sa.select(Opportunity.id, Opportunity.name, Opportunity.status, OpportunityStage.name,
                      Partner.name, Opportunity.amount, Opportunity.expected_close_date, User.name)
            .select_from(Opportunity)
            .outerjoin(OpportunityStage, OpportunityStage.id == Opportunity.stage_id)
            .outerjoin(Partner, Partner.id == Opportunity.partner_id)
            .outerjoin(User, User.id == Opportunity.assigned_to), Opportunity, current_user)
        per_page, offset = page_args()
        rows = db.session.execute(stmt.order_by(Opportunity.expected_close_date, Opportunity.id)
                                  .limit(per_page).offset(offset)).all()
        return TABLE.render(rows=rows)

    @bp.get("/orders")
    def orders():
        stmt = access.visible(
            sa.select(SaleOrder.id, SaleOrder.number, SaleOrder.status, Partner.name, User.name,
                      SaleOrder.amount_total, SaleOrder.created_at).select_from(SaleOrder)
            .outerjoin(Partner, Partner.id == SaleOrder.partner_id)
            .outerjoin(User, User.id == SaleOrder.assigned_to), SaleOrder, current_user)
        if q := request.args.get("q"):
            pattern = search_pattern(q)
            stmt = stmt.where(sa.or_(sa.func.lower(SaleOrder.number).like(pattern, escape="\\"),
                                     Partner.name_search.like(pattern, escape="\\")))
        per_page, offset = page_args()
        rows = db.session.execute(stmt.order_by(SaleOrder.created_at.desc(), SaleOrder.id.desc())
                                  .limit(per_page).offset(offset)).all()
        return TABLE.render(rows=rows)

    return bp


def pages(info, quick: bool) -> list[tuple[str, str, str, str]]:
    """(label, kind, url, baseline url)."""
    from core.db import db
    from core.partners.models import Partner
    from modules.crm.models import Lead

    deep = 50 if quick else 1000
    lead_id = db.session.scalar(sa.select(Lead.id).where(Lead.assigned_to == info.salesperson_id)
                                .order_by(Lead.id).limit(1))
    partner_id = db.session.scalar(sa.select(Partner.id).where(Partner.salesperson_id == info.salesperson_id)
                                   .order_by(Partner.id).limit(1))
    rare = db.session.scalar(sa.select(Lead.email).where(Lead.email.is_not(None)).order_by(Lead.id.desc())
                             .limit(1))  # one lead's email: a search that matches one row
    monday = (info.now - timedelta(days=info.now.weekday())).date()
    week = f"start={monday.isoformat()}&end={(monday + timedelta(days=7)).isoformat()}"
    filters = "status=in_progress&source=2&sort=-name"
    return [
        ("lead list p1", "list", "/crm/leads", "/_bare/leads"),
        (f"lead list p{deep}", "list", f"/crm/leads?page={deep}", f"/_bare/leads?page={deep}"),
        ("lead list search", "list", "/crm/leads?q=dubois", "/_bare/leads?q=dubois"),
        ("lead list search (one match)", "list", f"/crm/leads?q={rare}", f"/_bare/leads?q={rare}"),
        ("lead list filters", "list", f"/crm/leads?{filters}", f"/_bare/leads?{filters}"),
        ("lead detail", "detail", f"/crm/leads/{lead_id}", f"/_bare/leads/{lead_id}"),
        ("partner detail", "detail", f"/partners/{partner_id}", f"/_bare/partners/{partner_id}"),
        ("pipeline kanban", "list", "/crm/pipeline", "/_bare/pipeline"),
        ("crm dashboard", "dashboard", "/crm/", "/_bare/dashboard"),
        ("calendar week feed", "list", f"/calendar/events.json?{week}", f"/_bare/events.json?{week}"),
        ("opportunity list", "list", "/crm/opportunities", "/_bare/opportunities"),
        ("order list", "list", "/sales/orders", "/_bare/orders"),
        ("order list search", "list", "/sales/orders?q=dub", "/_bare/orders?q=dub"),
        ("api lead list", "list", "/api/v1/leads", "/_bare/api/leads"),
    ]


def signed_in(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code in (302, 303), response.status_code
    return client


def bearer(user_id: int) -> dict:
    from core.auth.models import ApiToken, User
    from core.db import db

    _token, clear = ApiToken.issue(db.session.get(User, user_id), name="bench")
    db.session.commit()
    return {"Authorization": f"Bearer {clear}"}


def measure(app, info, quick: bool, repeat: int) -> list[dict]:
    from core.db import db
    from core.testing import count_queries

    rows = []
    for role, user_id, email in (("salesperson", info.salesperson_id, "s0@bench.example"),
                                 ("manager", info.manager_id, "manager@bench.example")):
        client = signed_in(app, email)
        headers = bearer(user_id)
        only = os.environ.get("BENCH_PAGES")  # e.g. BENCH_PAGES="lead list" while profiling
        for label, kind, url, bare in pages(info, quick):
            if only and only not in label:
                continue
            extra = {"headers": headers} if url.startswith("/api/") else {}
            for u in (url, bare):  # warm caches (modules, access rules, compiled SQL)
                response = client.get(u, **extra)
                assert response.status_code == 200, (u, response.status_code, response.data[:300])
            with count_queries(db.engine) as counter:
                client.get(url, **extra)
            page = timed(lambda c=client, u=url, e=extra: c.get(u, **e), repeat)
            base = timed(lambda c=client, u=bare, e=extra: c.get(u, **e), repeat)
            target = TARGETS[kind]
            ratio = round(page["median_ms"] / base["median_ms"], 2) if base["median_ms"] else None
            cpu_ratio = round(page["cpu_ms"] / base["cpu_ms"], 2) if base["cpu_ms"] else None
            ok = page["median_ms"] <= target and counter.count <= 12 and (kind != "list" or ratio <= 2)
            rows.append({"page": label, "as": role, "median_ms": page["median_ms"], "p95_ms": page["p95_ms"],
                         "cpu_ms": page["cpu_ms"], "queries": counter.count, "bare_ms": base["median_ms"],
                         "ratio": ratio, "bare_cpu_ms": base["cpu_ms"], "cpu_ratio": cpu_ratio,
                         "target_ms": target, "ok": ok})
    return rows


def run(quick: bool) -> list[dict]:
    scale = 20 if quick else 1
    repeat = int(os.environ.get("BENCH_REPEAT", 10 if quick else 40))
    with dataset_app(scale, [_bare_blueprint()]) as (app, info):
        rows = measure(app, info, quick, repeat)
        rows.append({"dataset_seconds": info.seconds, "dataset_cpu_seconds": info.cpu_seconds, **info.counts})
    return rows
