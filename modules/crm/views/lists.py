"""The lists managers edit: lost reasons, lead sources, opportunity stages (one page)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import access
from core.auth.services import active_users
from core.errors import Conflict, ValidationError
from core.validation import validate_form
from core.web import int_or_none, render
from modules.crm.models import LeadSource, LostReason, OpportunityStage
from modules.crm.schemas import NamedIn, StageIn
from modules.crm.services import leads, lists
from modules.crm.views import bp

KINDS = {"lost-reasons": (LostReason, NamedIn), "lead-sources": (LeadSource, NamedIn),
         "stages": (OpportunityStage, StageIn)}


def _page(errors=None, status=200):
    can_edit = access.can(current_user, "update", model=LostReason)
    assignee = None
    if can_edit:
        email, user_id = leads.web_to_lead_assignee()
        assignee = {"email": email, "id": user_id, "users": active_users()}
    return render("crm/lists/settings.html", reasons=lists.all_of(LostReason),
                  sources=lists.all_of(LeadSource), stages=lists.all_of(OpportunityStage),
                  errors=errors or {}, can_edit=can_edit, assignee=assignee), status


@bp.post("/settings/web-to-lead/assignee")
def set_web_to_lead_assignee():
    """Who the web-to-lead form's leads are assigned to (managers): an active user, or
    nobody (the leads wait, unassigned, for a manager to dispatch them)."""
    access.require_model(current_user, "update", LostReason)  # before reading the form
    raw = request.form.get("assignee", "").strip()
    try:
        if raw and int_or_none(raw) is None:
            raise ValidationError.field("assignee", _("Unknown or inactive user."))
        leads.set_web_to_lead_assignee(int_or_none(raw), by=current_user)
    except ValidationError as exc:
        return _page({"web-to-lead": exc.errors}, 422)
    flash(_("Saved."), "success")
    return redirect(url_for("crm.settings") + "#web-to-lead", 303)


@bp.get("/settings")
def settings():
    return _page()


def _kind(kind: str):
    if kind not in KINDS:
        from werkzeug.exceptions import NotFound

        raise NotFound()
    return KINDS[kind]


def _stage_form():
    form = request.form.to_dict()
    for flag in ("is_won", "is_lost"):
        form[flag] = "true" if request.form.get(flag) else "false"
    return form


@bp.post("/settings/<kind>")
def add_list_item(kind: str):
    model, schema = _kind(kind)
    access.require_model(current_user, "create", model)
    form = _stage_form() if model is OpportunityStage else request.form
    data, errors = validate_form(schema, form)
    if data is None:
        return _page({kind: errors}, 422)
    try:
        lists.create(model, data.model_dump(), by=current_user)
    except ValidationError as exc:
        return _page({kind: exc.errors}, 422)
    flash(_("Added."), "success")
    return redirect(url_for("crm.settings") + f"#{kind}", 303)


@bp.post("/settings/<kind>/<int:row_id>")
def update_list_item(kind: str, row_id: int):
    model, schema = _kind(kind)
    row = access.get_or_404(model, row_id, current_user, "update")
    form = _stage_form() if model is OpportunityStage else request.form
    data, errors = validate_form(schema, form)
    if data is None:
        return _page({kind: errors}, 422)
    try:
        lists.update(row, data.model_dump(), by=current_user)
    except ValidationError as exc:
        return _page({kind: exc.errors}, 422)
    flash(_("Saved."), "success")
    return redirect(url_for("crm.settings") + f"#{kind}", 303)


@bp.post("/settings/<kind>/<int:row_id>/delete")
def delete_list_item(kind: str, row_id: int):
    model, _schema = _kind(kind)
    row = access.get_or_404(model, row_id, current_user, "delete")
    try:
        lists.delete(row, by=current_user)
    except Conflict as exc:
        flash(exc.message, "danger")
    else:
        flash(_("Deleted."), "success")
    return redirect(url_for("crm.settings") + f"#{kind}", 303)
