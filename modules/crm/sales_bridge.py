"""The CRM's side of the sales module's hooks (sales may be disabled or absent: nothing
here imports it; orders are seen only through the attributes the hookspecs document)."""

from __future__ import annotations

from flask import url_for

from core import access, settings, timeline
from core.db import db
from core.timeline import N_
from modules.crm.models import Lead, Opportunity
from modules.crm.services import leads, opportunities


def prefill_order(origin_type: str, origin_id: int, user) -> dict | None:
    if origin_type != "opportunity":
        return None
    opp = db.session.get(Opportunity, origin_id)
    if opp is None or not access.sees(user, opp):
        return None
    values = {"assigned_to": opp.assigned_to or user.id, "currency": opp.currency}
    if opp.partner_id:
        values["partner_id"] = opp.partner_id
    elif opp.lead_id:
        values.update(prospect_type="lead", prospect_id=opp.lead_id)
    return values


def describe_order_reference(ref_type: str, ref_id: int, user) -> dict | None:
    model = {"opportunity": Opportunity, "lead": Lead}.get(ref_type)
    if model is None:
        return None
    record = db.session.get(model, ref_id)
    if record is None or not access.sees(user, record):
        return None
    if ref_type == "lead":
        return {"title": record.display_name, "url": url_for("crm.show_lead", lead_id=record.id)}
    return {"title": record.name, "url": url_for("crm.show_opportunity", opp_id=record.id)}


def on_order_confirmed(order, by) -> None:
    """Inside the confirmation's transaction: convert the order's unconverted lead into a
    customer, and mark the origin opportunity won (setting, on by default)."""
    if getattr(order, "prospect_type", None) == "lead" and getattr(order, "prospect_id", None):
        lead = db.session.get(Lead, order.prospect_id)
        if lead is not None and lead.status != "converted" and leads.allowed(lead, "convert"):
            result = leads.convert(lead, by=by, partner_type="customer", commit=False,
                                   check=False)
            order.partner_id = result["partner"].id
        elif lead is not None and lead.partner_id and not getattr(order, "partner_id", None):
            order.partner_id = lead.partner_id
    if getattr(order, "origin_type", None) == "opportunity" and getattr(order, "origin_id", None):
        opp = db.session.get(Opportunity, order.origin_id)
        if opp is None:
            return
        if opp.partner_id is None and getattr(order, "partner_id", None):
            opp.partner_id = order.partner_id
            timeline.record(opp, "updated", N_("Customer set from the confirmed order"), by=by)
        if opp.status == "open" and settings.get("crm.mark_opportunity_won_on_order", True):
            opportunities.mark_won(opp, by=by, commit=False, check=False)
