"""CRM pages: leads, opportunities and pipeline, dashboards, lists, import, web-to-lead."""

from __future__ import annotations

from flask import Blueprint, make_response
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_login import current_user, login_required

from core.plugins import call_each, flatten
from core.web import StatusBadge

bp = Blueprint("crm", __name__, url_prefix="/crm", template_folder="../templates",
               static_folder="../static/crm", static_url_path="/static")


def _lead_labels() -> dict[str, str]:
    from modules.crm.services.leads import STATUS_LABELS

    return {status: _(label) for status, label in STATUS_LABELS.items()}


# {{ lead_status(lead.status) }}, {{ opp_status(opp.status) }}: badges, once a row in lists.
LEAD_STATUS = StatusBadge(_lead_labels, {
    "new": "secondary", "assigned": "info", "in_progress": "primary", "converted": "success",
    "lost": "danger"})
bp.add_app_template_global(LEAD_STATUS, "lead_status")
OPP_STATUS = StatusBadge(lambda: {
    "open": pgettext("opportunity status", "Open"), "won": _("Won"), "lost": _("Lost")}, {
    "open": "primary", "won": "success", "lost": "danger"})
bp.add_app_template_global(OPP_STATUS, "opp_status")


@bp.before_request
@login_required
def _login():
    return None




def panels_for(record_type: str, record) -> list:
    panels = [panel for _m, panel in flatten(call_each(
        "record_panels", record_type=record_type, record=record, user=current_user))]
    panels.sort(key=lambda p: p.order)
    return panels


def close_modal(redirect_to: str | None = None):
    """Answer an HTMX modal form: close it and reload (or go to ``redirect_to``)."""
    response = make_response("", 204)
    if redirect_to:
        response.headers["HX-Redirect"] = redirect_to
    else:
        response.headers["HX-Refresh"] = "true"
    response.headers["HX-Trigger"] = "closeModal"
    return response


from modules.crm.views import (  # noqa: E402,F401
    dashboard,
    imports,  # noqa: E402,F401
    leads,
    lists,
    opportunities,
)
