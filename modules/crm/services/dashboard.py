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
    # Count by source id first (from the index), then name the few groups: grouping by the
    # joined name made SQLite join every lead before counting.
    stmt = access.visible(sa.select(Lead.source_id, sa.func.count(Lead.id).label("n")), Lead, user)
    if assigned_to is not None:
        stmt = stmt.where(Lead.assigned_to == assigned_to)
    counts = stmt.group_by(Lead.source_id).subquery()
    rows = db.session.execute(
        sa.select(sa.func.coalesce(LeadSource.name, "—"), sa.func.sum(counts.c.n))
        .select_from(counts).outerjoin(LeadSource, LeadSource.id == counts.c.source_id)
        .group_by(LeadSource.name).order_by(sa.func.sum(counts.c.n).desc()))
    return [(name, int(count)) for name, count in rows]


def activity_by_salesperson(user, months: int = 12, *, today: date | None = None,
                            assigned_to: int | None = None) -> list[dict]:
    """Calls and meetings (not cancelled) per organizer over the period, from the calendar
    (a dependency of the CRM), restricted to the events the user may see."""
    from datetime import UTC, datetime

    from core.auth.models import User
    from modules.calendar.models import Event
    from modules.crm.services.opportunities import add_months

    first = add_months((today or date.today()).replace(day=1), -(months - 1))
    end = add_months((today or date.today()).replace(day=1), 1)
    stmt = access.visible(
        sa.select(User.name, Event.type, sa.func.count(Event.id))
        .join(User, User.id == Event.organizer_id)
        .where(Event.type.in_(("call", "meeting")), Event.status != "cancelled",
               Event.start >= datetime(first.year, first.month, 1, tzinfo=UTC),
               Event.start < datetime(end.year, end.month, 1, tzinfo=UTC))
        .group_by(User.name, Event.type), Event, user)
    if assigned_to is not None:
        stmt = stmt.where(Event.organizer_id == assigned_to)
    people: dict[str, dict] = {}
    for name, kind, count in db.session.execute(stmt):
        people.setdefault(name, {"name": name, "call": 0, "meeting": 0})[kind] = int(count)
    return sorted(people.values(), key=lambda r: r["name"])


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
        "activity": activity_by_salesperson(user, months, today=today, assigned_to=assigned_to),
    }
