"""Partner and contact pages."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import access, once, search, timeline
from core.auth.services import active_users
from core.db import db
from core.errors import Conflict, ValidationError
from core.exports import csv_response
from core.partners import services
from core.partners.models import Contact, Partner
from core.partners.schemas import ContactIn, PartnerIn
from core.plugins import call_each, flatten
from core.validation import validate_form
from core.web import assignee_arg, int_arg, int_or_none, paginate, render, search_pattern, sort_clause

bp = Blueprint("partners", __name__)

PARTNER_SORTS = {"name": Partner.name_search, "city": Partner.city,
                 "type": Partner.partner_type, "created": Partner.created_at}
CONTACT_SORTS = {"name": Contact.name_search, "email": Contact.email, "created": Contact.created_at}


@bp.before_request
@login_required
def _login():
    return None


def _q() -> str:
    """The search box, without control characters (PostgreSQL refuses NUL in a string)."""
    value = request.args.get("q", "")[:100]
    return "".join(c for c in value if ord(c) >= 32 and c != "\x7f").strip()


def panels_for(record_type: str, record) -> list:
    panels = [panel for _m, panel in flatten(call_each(
        "record_panels", record_type=record_type, record=record, user=current_user))]
    panels.sort(key=lambda p: p.order)
    return panels


@bp.get("/partners")
def list_partners():
    q = _q()
    partner_type = request.args.get("type", "")
    salesperson = request.args.get("salesperson", "")
    sort, order = sort_clause(PARTNER_SORTS, request.args.get("sort"), "name")

    salesperson_id = assignee_arg(salesperson, current_user)

    def rows(narrow: bool | None = True):  # narrow: see core.web.paginate
        stmt = access.visible(sa.select(Partner), Partner, current_user)
        if q:
            stmt = stmt.where(services.matching(q, narrow=narrow))
        if partner_type in ("prospect", "customer"):
            stmt = stmt.where(Partner.partner_type == partner_type)
        if isinstance(salesperson_id, int):
            stmt = stmt.where(Partner.salesperson_id == salesperson_id)
        return stmt.options(sa.orm.joinedload(Partner.salesperson)).order_by(order, Partner.id)

    page = paginate(rows(), int_arg("page", 1), 25, rows_stmt=rows,
                    count_limit=search.count_limit(q))
    return render("partners/list.html", fragment="results", page=page, q=q,
                  partner_type=partner_type, salesperson=salesperson, sort=sort, users=active_users())


def _partner_filters(stmt):
    q = request.args.get("q", "").strip()[:100]
    if q:
        stmt = stmt.where(services.matching(q))
    if request.args.get("type") in ("prospect", "customer"):
        stmt = stmt.where(Partner.partner_type == request.args["type"])
    return stmt


@bp.get("/partners/export.csv")
def export_partners():
    stmt = _partner_filters(access.visible(sa.select(Partner), Partner, current_user))
    stmt = stmt.order_by(Partner.name_search, Partner.id)
    header = ["id", "name", "kind", "partner_type", "email", "phone", "website", "street", "city",
              "postal_code", "country", "salesperson_id"]
    return csv_response("partners.csv", header, stmt, lambda p: [getattr(p, f) for f in header])


@bp.get("/contacts/export.csv")
def export_contacts():
    stmt = access.visible(sa.select(Contact), Contact, current_user).order_by(Contact.name_search, Contact.id)
    header = ["id", "partner_id", "first_name", "last_name", "email", "phone", "job_title"]
    return csv_response("contacts.csv", header, stmt, lambda c: [getattr(c, f) for f in header])


@bp.route("/partners/new", methods=["GET", "POST"])
def new_partner():
    access.require_model(current_user, "create", Partner)
    errors, values = {}, {"kind": "company", "salesperson_id": current_user.id}
    if request.method == "POST":
        data, errors = validate_form(PartnerIn, request.form)
        values = request.form.to_dict()
        if data is not None:
            if (again := once.repeated(url_for("partners.list_partners"))) is not None:
                return again
            try:
                partner = services.create_partner(data.model_dump(), by=current_user)
            except ValidationError as exc:
                errors = exc.errors
            else:
                flash(_("Partner %(name)s created.", name=partner.name), "success")
                return redirect(url_for("partners.show_partner", partner_id=partner.id), 303)
    return render("partners/form.html", partner=None, values=values, errors=errors,
                  users=active_users()), 422 if errors else 200


@bp.get("/partners/<int:partner_id>")
def show_partner(partner_id: int):
    partner = access.get_or_404(Partner, partner_id, current_user)
    return render("partners/detail.html", partner=partner,
                  panels=panels_for("partner", partner),
                  entries=timeline.entries_for(partner, current_user),
                  can_edit=access.can(current_user, "update", partner),
                  can_promote=access.can(current_user, "promote", partner))


@bp.route("/partners/<int:partner_id>/edit", methods=["GET", "POST"])
def edit_partner(partner_id: int):
    partner = access.get_or_404(Partner, partner_id, current_user, "update")
    errors = {}
    values = {f: getattr(partner, f) for f in services.PARTNER_FIELDS}
    values["version"] = partner.version
    if request.method == "POST":
        values = request.form.to_dict()
        fields = [f for f in PartnerIn.model_fields if f != "partner_type"]
        data, errors = validate_form(PartnerIn, request.form, fields)
        if data is not None:
            payload = data.model_dump(exclude={"partner_type"})
            if not current_user.is_manager:
                payload.pop("salesperson_id", None)
            try:
                services.update_partner(partner, payload, by=current_user,
                                        version=int_or_none(request.form.get("version")))
            except ValidationError as exc:
                errors = exc.errors
            except Conflict as exc:
                errors = {"form": [exc.message]}
                return render("partners/form.html", partner=partner, values=values,
                              errors=errors, users=active_users()), 409
            else:
                flash(_("Changes saved."), "success")
                return redirect(url_for("partners.show_partner", partner_id=partner.id), 303)
    return render("partners/form.html", partner=partner, values=values, errors=errors,
                  users=active_users()), 422 if errors else 200




@bp.post("/partners/<int:partner_id>/promote")
def promote_partner(partner_id: int):
    partner = access.get_or_404(Partner, partner_id, current_user, "promote")
    if services.promote(partner, by=current_user):
        flash(_("%(name)s is now a customer.", name=partner.name), "success")
    else:
        flash(_("%(name)s was already a customer.", name=partner.name), "info")
    return redirect(url_for("partners.show_partner", partner_id=partner.id), 303)


# --- contacts --------------------------------------------------------------------

@bp.get("/contacts")
def list_contacts():
    q = _q()
    sort, order = sort_clause(CONTACT_SORTS, request.args.get("sort"), "name")
    stmt = access.visible(sa.select(Contact), Contact, current_user)
    if q:
        pattern = search_pattern(q)
        stmt = stmt.where(sa.or_(Contact.name_search.like(pattern, escape="\\"),
                                 sa.func.lower(Contact.email).like(pattern, escape="\\")))
    stmt = stmt.options(sa.orm.joinedload(Contact.partner)).order_by(order, Contact.id)
    page = paginate(stmt, int_arg("page", 1), 25, count_limit=search.count_limit(q))
    return render("partners/contacts.html", fragment="results", page=page, q=q, sort=sort)


@bp.route("/contacts/new", methods=["GET", "POST"])
def new_contact():
    partner_id = request.values.get("partner_id", type=int)
    partner = None
    if partner_id and request.method == "GET":
        partner = access.get_or_404(Partner, partner_id, current_user)
    elif int_or_none(partner_id):
        # A POST naming an unknown partner answers 422 on the field (the service checks it).
        found = db.session.get(Partner, partner_id)
        partner = found if found is not None and access.sees(current_user, found) else None
    errors, values = {}, {"partner_id": partner_id}
    if request.method == "POST":
        values = request.form.to_dict()
        data, errors = validate_form(ContactIn, request.form)
        if data is not None:
            try:
                contact = services.create_contact(data.model_dump(), by=current_user)
            except ValidationError as exc:
                errors = exc.errors
            else:
                flash(_("Contact %(name)s created.", name=contact.name), "success")
                return redirect(url_for("partners.show_partner", partner_id=contact.partner_id), 303)
    choices = [] if partner else db.session.scalars(
        access.visible(sa.select(Partner), Partner, current_user)
        .order_by(Partner.name_search, Partner.id).limit(50)).all()
    return render("partners/contact_form.html", contact=None, partner=partner, values=values,
                  errors=errors, choices=choices), 422 if errors else 200


@bp.get("/contacts/<int:contact_id>")
def show_contact(contact_id: int):
    contact = access.get_or_404(Contact, contact_id, current_user)
    return render("partners/contact_detail.html", contact=contact,
                  panels=panels_for("contact", contact),
                  entries=timeline.entries_for(contact, current_user),
                  can_edit=access.can(current_user, "update", contact))


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
def edit_contact(contact_id: int):
    contact = access.get_or_404(Contact, contact_id, current_user, "update")
    errors = {}
    values = {f: getattr(contact, f) for f in services.CONTACT_FIELDS}
    values["version"] = contact.version
    if request.method == "POST":
        values = request.form.to_dict()
        data, errors = validate_form(ContactIn, request.form)
        if data is not None:
            try:
                services.update_contact(contact, data.model_dump(), by=current_user,
                                        version=int_or_none(request.form.get("version")))
            except ValidationError as exc:
                errors = exc.errors
            except Conflict as exc:
                return render("partners/contact_form.html", contact=contact, partner=contact.partner,
                              values=values, errors={"form": [exc.message]}), 409
            else:
                flash(_("Changes saved."), "success")
                return redirect(url_for("partners.show_contact", contact_id=contact.id), 303)
    return render("partners/contact_form.html", contact=contact, partner=contact.partner,
                  values=values, errors=errors), 422 if errors else 200


@bp.get("/partners/search")
def search_partners():
    """Autocomplete options for partner pickers (HTMX)."""
    q = _q()
    stmt = access.visible(sa.select(Partner), Partner, current_user)
    if q:  # an emptied search box lists the first partners again
        stmt = stmt.where(Partner.name_search.like(search_pattern(q), escape="\\"))
    stmt = stmt.order_by(Partner.name_search, Partner.id).limit(10 if q else 50)
    return render("partners/_options.html", partners=db.session.scalars(stmt).all())
