"""Panels the CRM adds to record pages: opportunities on partner and lead pages, and the
leads a partner was converted from."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template
from flask_babel import gettext as _
from markupsafe import Markup

from core import access
from core.db import db
from core.web import Panel
from modules.crm.models import Opportunity
from modules.crm.services.leads import STATUS_LABELS


def _html(template: str, **context) -> Markup:
    """A panel's HTML, rendered by autoescaping Jinja (so safe to mark as markup)."""
    return Markup(render_template(template, **context))  # noqa: S704  # nosec B704 - autoescaped template


def _opportunities(column, value, user):
    return db.session.scalars(
        access.visible(sa.select(Opportunity), Opportunity, user).where(column == value)
        .options(sa.orm.joinedload(Opportunity.stage))
        .order_by(Opportunity.status, Opportunity.expected_close_date, Opportunity.id)).all()


def for_record(record_type: str, record, user) -> list[Panel] | None:
    if record_type == "partner":
        opps = _opportunities(Opportunity.partner_id, record.id, user)
        # (the leads a partner was converted from are in its history: one query here)
        panels = [Panel(_("Opportunities"), _html(
            "crm/panels/opportunities.html", opportunities=opps, partner=record, lead=None,
            can_create=access.can(user, "create", model=Opportunity)),
            order=20, id="opportunities", count=len(opps))]
        return panels
    if record_type == "lead":
        opps = _opportunities(Opportunity.lead_id, record.id, user)
        return [Panel(_("Opportunities"), _html(
            "crm/panels/opportunities.html", opportunities=opps, partner=None, lead=record,
            can_create=record.status not in ("lost",)
            and access.can(user, "create", model=Opportunity)),
            order=20, id="opportunities", count=len(opps))]
    return None


def home(user) -> Panel:
    """The user's leads by status and open pipeline, on the home page."""
    from modules.crm.services import dashboard, opportunities

    statuses = dashboard.leads_by_status(user)
    pipeline = opportunities.pipeline_by_stage(user, open_only=True)
    return Panel(_("Sales"), _html("crm/panels/home.html", statuses=statuses, pipeline=pipeline,
                                   labels=STATUS_LABELS), order=10, id="crm-home")
