"""CRM pages: leads, opportunities and pipeline, dashboards, lists, import, web-to-lead."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, make_response
from flask_login import current_user, login_required

from core.auth.models import User
from core.db import db
from core.plugins import call_each, flatten

bp = Blueprint("crm", __name__, url_prefix="/crm", template_folder="../templates",
               static_folder="../static/crm", static_url_path="/static")


@bp.before_request
@login_required
def _login():
    return None


def users() -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.active).order_by(User.name)))


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
