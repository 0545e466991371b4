"""The CRM dashboard's figures: each a GROUP BY in the database, restricted by
``access.visible`` to what the user may see."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from core import access
from core.db import db
from modules.crm.models import Lead, LeadSource
from modules.crm.services import opportunities
from modules.crm.services.leads import STATUS_LABELS


def leads_by_status(user, assigned_to: int | None = None) -> list[tuple[str, int]]:
    stmt = access.visible(sa.select(Lead.status, sa.func.count(Lead.id)), Lead, user)
    if assigned_to is not None:
        stmt = stmt.where(Lead.assigned_to == assigned_to)
    counts = dict(db.session.execute(stmt.group_by(Lead.status)).all())
    return [(status, counts.get(status, 0)) for status in STATUS_LABELS]


def leads_by_source(user, assigned_to: int | None = None) -> list[tuple[str, int]]:
    stmt = access.visible(
        sa.select(sa.func.coalesce(LeadSource.name, "—"), sa.func.count(Lead.id))
        .select_from(Lead).outerjoin(LeadSource, LeadSource.id == Lead.source_id), Lead, user)
    if assigned_to is not None:
        stmt = stmt.where(Lead.assigned_to == assigned_to)
    rows = db.session.execute(stmt.group_by(LeadSource.name).order_by(sa.func.count(Lead.id).desc()))
    return [(name, int(count)) for name, count in rows]


def figures(user, *, assigned_to: int | None = None, months: int = 12,
            today: date | None = None) -> dict:
    return {
        "forecast": opportunities.forecast(user, months, today=today, assigned_to=assigned_to),
        "pipeline": opportunities.pipeline_by_stage(user, open_only=True, assigned_to=assigned_to),
        "leads_by_status": leads_by_status(user, assigned_to),
        "leads_by_source": leads_by_source(user, assigned_to),
        "won_lost": opportunities.won_lost_by_month(user, months, today=today,
                                                    assigned_to=assigned_to),
        "by_salesperson": opportunities.won_lost_by_salesperson(user, assigned_to=assigned_to),
    }
