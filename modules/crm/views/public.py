"""Web-to-lead: a public, embeddable contact form that creates leads with source "website".
CSRF-exempt (it is posted from other sites, without a session), rate limited, with a
honeypot, and the same thank-you answer whatever happens (it never reveals existing data)."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _

from core.errors import ValidationError
from core.extensions import limiter
from core.validation import validate_form
from modules.crm.schemas import LeadIn
from modules.crm.services import leads

log = logging.getLogger("comptoir.crm")
public = Blueprint("crm_public", __name__, url_prefix="/crm", template_folder="../templates")

FIELDS = ["first_name", "last_name", "company_name", "email", "phone", "description"]
HONEYPOT = "fax_number"


def _embeddable(response):
    ancestors = current_app.config.get("WEB_TO_LEAD_FRAME_ANCESTORS", "*")
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data:; form-action 'self'; frame-ancestors {ancestors}; base-uri 'self'")
    return response


def _page(template, status=200, **context):
    response = current_app.make_response((render_template(template, **context), status))
    return _embeddable(response)


@public.get("/web-to-lead")
def web_to_lead_form():
    return _page("crm/public/form.html", values={}, errors={})


@public.post("/web-to-lead")
@limiter.limit(lambda: current_app.config.get("WEB_TO_LEAD_RATE_LIMIT", "5 per minute"))
def web_to_lead_submit():
    if request.form.get(HONEYPOT):
        log.info("web-to-lead: honeypot filled, ignored")
        return _page("crm/public/thanks.html")
    data, errors = validate_form(LeadIn, request.form, FIELDS)
    for required in ("last_name", "email"):
        if not (request.form.get(required) or "").strip():
            errors.setdefault(required, []).append(_("This field is required."))
            data = None
    if data is None:
        return _page("crm/public/form.html", 422, values=request.form, errors=errors)
    values = data.model_dump(exclude={"source", "assigned_to"})
    values["source_id"] = leads.resolve_source("website")
    values["assigned_to"] = leads.web_to_lead_assignee()[1]
    try:
        leads.create_lead(values, by=None, check=False)
    except ValidationError as exc:
        return _page("crm/public/form.html", 422, values=request.form, errors=exc.errors)
    return _page("crm/public/thanks.html")


web_to_lead_submit.csrf_exempt = True
