"""The CRM's home: forecast, pipeline by stage, leads by status and source, won and lost."""

from __future__ import annotations

import json
from datetime import date

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from core.auth.services import active_users
from core.i18n import fmt_month
from core.web import assignee_arg, int_or_none, render
from modules.crm.services import dashboard
from modules.crm.services.leads import STATUS_LABELS
from modules.crm.views import bp

PERIODS = (3, 6, 12)


def _chart(kind: str, labels: list, datasets: list[tuple[str, list]]) -> str:
    return json.dumps({"type": kind, "labels": labels,
                       "datasets": [{"label": label, "data": [float(v) for v in data]}
                                    for label, data in datasets]})


def _month_labels(*series: list[dict]) -> dict[str, str]:
    """Each ``"2026-11"`` month key as the user's language writes a month (the API keeps
    the keys)."""
    return {r["month"]: fmt_month(date(int(r["month"][:4]), int(r["month"][5:7]), 1)) for rows in series for r in rows}


@bp.get("/")
def dashboard_page():
    assignee = request.args.get("assignee", "")
    assigned_to = assignee_arg(assignee, current_user)
    assigned_to = assigned_to if isinstance(assigned_to, int) else None  # no "unassigned" figures
    months = int_or_none(request.args.get("months")) or 12
    months = months if months in PERIODS else 12
    data = dashboard.figures(current_user, assigned_to=assigned_to, months=months)
    month = _month_labels(data["forecast"], data["won_lost"])
    charts = {
        "forecast": _chart("bar", [month[r["month"]] for r in data["forecast"]], [
            (_("Expected"), [r["amount"] for r in data["forecast"]]),
            (_("Weighted"), [r["weighted_amount"] for r in data["forecast"]])]),
        "pipeline": _chart("bar", [r["stage"].name for r in data["pipeline"]], [
            (_("Amount"), [r["amount"] for r in data["pipeline"]]),
            (_("Weighted"), [r["weighted_amount"] for r in data["pipeline"]])]),
        "status": _chart("doughnut", [_(STATUS_LABELS[s]) for s, _n in data["leads_by_status"]],
                         [(_("Leads"), [n for _s, n in data["leads_by_status"]])]),
        "source": _chart("doughnut", [s for s, _n in data["leads_by_source"]],
                         [(_("Leads"), [n for _s, n in data["leads_by_source"]])]),
        "won_lost": _chart("bar", [month[r["month"]] for r in data["won_lost"]], [
            (_("Won"), [r["won"] for r in data["won_lost"]]),
            (_("Lost"), [r["lost"] for r in data["won_lost"]])]),
        "activity": _chart("bar", [r["name"] for r in data["activity"]], [
            (_("Calls"), [r["call"] for r in data["activity"]]),
            (_("Meetings"), [r["meeting"] for r in data["activity"]])]),
    }
    return render("crm/dashboard.html", data=data, charts=charts, month=month, users=active_users(),
                  assignee=assignee, months=months, periods=PERIODS, statuses=STATUS_LABELS)
