"""Lead pages: list (active search, filters, sorting), kanban by status, detail with the
status bar and the allowed actions, create/edit, lose and assign modals, conversion wizard."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict

from core import access, once, search, timeline
from core.auth.models import User
from core.auth.services import active_users
from core.db import db
from core.errors import Conflict, ValidationError
from core.extensions import is_htmx
from core.partners.models import Partner
from core.validation import validate_form
from core.web import (
    Columns,
    assignee_arg,
    int_arg,
    int_or_none,
    paginate,
    render,
    sort_clause,
    url_pattern,
    wants_fragment,
)
from modules.crm.models import Lead, LeadSource, LeadTally, LostReason
from modules.crm.schemas import LeadIn, LeadPatch, OpportunityValues
from modules.crm.services import duplicates, leads, lists
from modules.crm.views import LEAD_STATUS, bp, close_modal, panels_for

LEAD_SORTS = {"name": Lead.name_search, "company": Lead.company_key, "status": Lead.status,
              "source": Lead.source_id, "assignee": Lead.assigned_to, "city": Lead.city,
              "created": Lead.created_at, "updated": Lead.updated_at}
FORM_FIELDS = ["first_name", "last_name", "company_name", "job_title", "email", "phone", "mobile",
               "website", "street", "city", "postal_code", "country", "source_id", "description"]
KANBAN_LIMIT = 50


def _filtered(args, *, narrow: bool | None = True):
    q = args.get("q", "").strip()[:100]
    status = args.get("status", "")
    source = args.get("source", "")
    assignee = args.get("assignee", "")
    assigned_to = assignee_arg(assignee, current_user)
    values = {"q": q, "status": status, "source_id": int_or_none(source), "assigned_to": assigned_to}
    stmt = leads.filtered(sa.select(Lead), current_user, narrow=narrow, **values)
    filters = {"q": q, "status": status, "source": source, "assignee": assignee}
    return stmt, filters, values


_SOURCES = sa.select(LeadSource.id, LeadSource.name).order_by(LeadSource.name)  # made once


def _options():
    sources = db.session.execute(_SOURCES).all()
    return {"sources": sources, "source_options": [(s.id, s.name) for s in sources],
            "users": active_users(), "statuses": leads.STATUS_LABELS}


_SOURCE, _ASSIGNEE = sa.orm.aliased(LeadSource), sa.orm.aliased(User)
_LIST_COLUMNS = Columns(  # the lead list's (core.web.paginate(shape=...))
    Lead.id, Lead.first_name, Lead.last_name, Lead.company_name, Lead.recycled, Lead.status, Lead.email,
    Lead.created_at, _SOURCE.name.label("source_name"), _ASSIGNEE.name.label("assignee_name"),
    joins=[(_SOURCE, _SOURCE.id == Lead.source_id), (_ASSIGNEE, _ASSIGNEE.id == Lead.assigned_to)])


def _rows_html(rows) -> Markup:
    """The lead list's rows, built here rather than in the template (as Django's admin
    builds its change list's cells, and the pipeline its cards): Jinja spent 15-20 µs a
    row on its calls, escapes and lookups. Every text is escaped."""
    from core.i18n import date_formatter

    fmt_date = date_formatter()
    lead_url = url_pattern("crm.show_lead", "lead_id")
    recycled_text = escape(_("Recycled"))  # not inside the f-string, where Babel's extractor does not look
    recycled = f' <i class="bi bi-recycle text-muted small" title="{recycled_text}"></i>'
    parts = []
    for lead in rows:
        person = Lead.person_of(lead.first_name, lead.last_name)
        parts.append(
            f'<tr><td><a class="fw-semibold" href="{escape(lead_url(lead.id))}">'
            f'{escape(person or lead.company_name or f"#{lead.id}")}</a>{recycled if lead.recycled else ""}</td>'
            f'<td>{escape(lead.company_name or "")}</td><td>{LEAD_STATUS(lead.status)}</td>'
            f'<td class="d-none d-md-table-cell">{escape(lead.source_name or "")}</td>'
            f'<td class="d-none d-lg-table-cell">{escape(lead.email or "")}</td>'
            f'<td class="d-none d-md-table-cell">{escape(lead.assignee_name or "—")}</td>'
            f'<td class="d-none d-lg-table-cell small text-muted">{escape(fmt_date(lead.created_at))}</td></tr>')
    return Markup("".join(parts))  # noqa: S704  # nosec B704 - every text escaped above


@bp.get("/leads")
def list_leads():
    sort = request.args.get("sort")

    base, filters, values = _filtered(request.args)

    def rows(narrow: bool | None = True):  # narrow: see core.web.paginate
        # Only a search's condition depends on narrow.
        stmt = base if narrow or not values["q"] else _filtered(request.args, narrow=narrow)[0]
        # Few matches (narrow): sort them rather than walk the sort index until 25 turn up,
        # which read most of the table for a rare source or status (35 ms at 100,000 leads).
        _key, order = sort_clause(LEAD_SORTS, sort, "-created", unindexed=narrow)
        return stmt.order_by(order, Lead.id.desc())

    stmt = rows()
    page = paginate(stmt, int_arg("page", 1), 25, count_stmt=leads.tally_count(current_user, **values),
                    count_limit=search.count_limit(values["q"]), shape=_LIST_COLUMNS,
                    rows_stmt=lambda narrow: stmt if narrow else rows(narrow))
    return render("crm/leads/list.html", fragment="results", page=page, rows_html=_rows_html(page.items),
                  sort=sort_clause(LEAD_SORTS, sort, "-created")[0], filters=filters, view="list",
                  **({} if wants_fragment() else _options()))


@bp.get("/leads/kanban")
def leads_kanban():
    stmt, filters, values = _filtered(request.args)
    if (scope := leads.tally_scope(current_user, **values)) is not None:  # from the running totals
        counts = dict(db.session.execute(sa.select(LeadTally.status, sa.func.sum(LeadTally.n))
                                         .where(scope).group_by(LeadTally.status)).all())
    else:
        counts = dict(db.session.execute(
            stmt.with_only_columns(Lead.status, sa.func.count(Lead.id)).group_by(Lead.status)).all())
    # The newest leads of each status (a window function keeps it to one query).
    ranked = stmt.add_columns(sa.func.row_number().over(
        partition_by=Lead.status, order_by=(Lead.updated_at.desc(), Lead.id.desc())).label("rank")
    ).subquery()
    alias = sa.orm.aliased(Lead, ranked)
    rows = db.session.scalars(
        sa.select(alias).where(ranked.c.rank <= KANBAN_LIMIT)
        .options(sa.orm.joinedload(alias.assignee), sa.orm.joinedload(alias.source))
        .order_by(ranked.c.rank)).unique().all()
    columns = {status: [] for status in leads.STATUS_LABELS}
    for lead in rows:
        columns[lead.status].append(lead)
    return render("crm/leads/kanban.html", fragment="results", columns=columns, counts=counts,
                  filters=filters, limit=KANBAN_LIMIT, view="kanban", **_options())


def _form_values(lead=None):
    if lead is None:
        return {"source_id": request.args.get("source_id")}
    values = {f: getattr(lead, f) for f in FORM_FIELDS}
    values["version"] = lead.version
    return values


@bp.route("/leads/new", methods=["GET", "POST"])
def new_lead():
    access.require_model(current_user, "create", Lead)
    errors, values, dups = {}, _form_values(), []
    if request.method == "POST":
        values = request.form.to_dict()
        fields = FORM_FIELDS + (["assigned_to"] if request.form.get("assigned_to") else [])
        data, errors = validate_form(LeadIn, request.form, fields)
        errors = _with_identity(errors)
        if data is not None:
            payload = data.model_dump(exclude={"source"})
            if (again := once.repeated(url_for("crm.list_leads"))) is not None:
                return again
            dups = [duplicates.describe(d) for d in duplicates.find(payload, current_user)]
            if dups and not request.form.get("confirm_duplicates"):
                errors = {}
            else:
                try:
                    lead = leads.create_lead(payload, by=current_user)
                except ValidationError as exc:
                    errors = exc.errors
                else:
                    flash(_("Lead %(name)s created.", name=lead.display_name), "success")
                    return redirect(url_for("crm.show_lead", lead_id=lead.id), 303)
    status = 422 if errors else 200
    return render("crm/leads/form.html", lead=None, values=values, errors=errors,
                  duplicates=dups, can_assign=access.can(current_user, "assign", model=Lead),
                  **_options()), status


def _with_identity(errors: dict) -> dict:
    """A form's field errors with the lead's identity rule (leads.identity_errors) when
    other fields are wrong too: every mistake in one answer. (When they are all right the
    service checks the rule itself.)"""
    if not errors:
        return errors
    typed = {f: (request.form.get(f) or "").strip() for f in ("last_name", "company_name", "email")}
    return {**leads.identity_errors(typed), **errors}


@bp.route("/leads/<int:lead_id>/edit", methods=["GET", "POST"])
def edit_lead(lead_id: int):
    lead = access.get_or_404(Lead, lead_id, current_user, "update")
    errors, values = {}, _form_values(lead)
    if request.method == "POST":
        values = request.form.to_dict()
        data, errors = validate_form(LeadPatch, request.form, FORM_FIELDS)
        errors = _with_identity(errors)
        if data is not None:
            payload = {f: getattr(data, f) for f in FORM_FIELDS}
            try:
                leads.update_lead(lead, payload, by=current_user,
                                  version=int_or_none(request.form.get("version")))
            except ValidationError as exc:
                errors = exc.errors
            except Conflict as exc:
                return render("crm/leads/form.html", lead=lead, values=values,
                              errors={"form": [exc.message]}, duplicates=[], can_assign=False,
                              **_options()), 409
            else:
                flash(_("Changes saved."), "success")
                return redirect(url_for("crm.show_lead", lead_id=lead.id), 303)
    return render("crm/leads/form.html", lead=lead, values=values, errors=errors, duplicates=[],
                  can_assign=False, **_options()), 422 if errors else 200


@bp.get("/leads/<int:lead_id>")
def show_lead(lead_id: int):
    lead = access.get_or_404(Lead, lead_id, current_user, options=(
        sa.orm.joinedload(Lead.source), sa.orm.joinedload(Lead.lost_reason),
        sa.orm.joinedload(Lead.assignee), sa.orm.joinedload(Lead.partner)))
    dups = [duplicates.describe(d) for d in duplicates.for_lead(lead, current_user)] \
        if lead.status != "converted" else []
    return render("crm/leads/detail.html", lead=lead, panels=panels_for("lead", lead),
                  entries=timeline.entries_for(lead, current_user),
                  actions=leads.available_actions(lead, current_user),
                  can_edit=lead.status != "converted" and access.can(current_user, "update", lead),
                  duplicates=dups)


def _after_action(lead, message):
    flash(message, "success")
    return redirect(url_for("crm.show_lead", lead_id=lead.id), 303)


@bp.route("/leads/<int:lead_id>/assign", methods=["GET", "POST"])
def assign_lead(lead_id: int):
    lead = access.get_or_404(Lead, lead_id, current_user)
    if request.method == "GET":
        access.require(current_user, "assign", lead)
        return render("crm/leads/_assign.html", lead=lead, users=active_users(), errors={})
    user_id = int_or_none(request.form.get("user_id"))
    if request.form.get("user_id") and user_id is None:
        return render("crm/leads/_assign.html", lead=lead, users=active_users(),
                      errors={"user_id": [_("Choose a salesperson.")]}), 422
    try:
        leads.assign(lead, user_id, by=current_user)
    except ValidationError as exc:
        return render("crm/leads/_assign.html", lead=lead, users=active_users(), errors=exc.errors), 422
    if is_htmx():
        return close_modal()
    return _after_action(lead, _("Lead assigned to %(name)s.", name=lead.assignee.name))


@bp.post("/leads/<int:lead_id>/start")
def start_lead(lead_id: int):
    lead = access.get_or_404(Lead, lead_id, current_user)
    leads.start(lead, by=current_user)
    return _after_action(lead, _("Work on this lead has started."))


@bp.route("/leads/<int:lead_id>/lose", methods=["GET", "POST"])
def lose_lead(lead_id: int):
    lead = access.get_or_404(Lead, lead_id, current_user)
    reasons = [(r.id, r.name) for r in lists.all_of(LostReason)]
    if request.method == "GET":
        access.require(current_user, "lose", lead)
        return render("crm/_lose.html", lead=lead, reason_options=reasons, errors={}, values={})
    try:
        leads.lose(lead, int_or_none(request.form.get("lost_reason_id")),
                   (request.form.get("note") or "").strip()[:2000] or None, by=current_user)
    except ValidationError as exc:
        return render("crm/_lose.html", lead=lead, reason_options=reasons, errors=exc.errors,
                      values=request.form), 422
    if is_htmx():
        return close_modal()
    return _after_action(lead, _("Lead closed as lost."))


@bp.post("/leads/<int:lead_id>/recycle")
def recycle_lead(lead_id: int):
    lead = access.get_or_404(Lead, lead_id, current_user)
    leads.recycle(lead, by=current_user)
    return _after_action(lead, _("Lead recycled."))


@bp.post("/leads/<int:lead_id>/delete")
def delete_lead(lead_id: int):
    lead = access.get_or_404(Lead, lead_id, current_user)
    name = lead.display_name
    leads.delete(lead, by=current_user)
    flash(_("Lead %(name)s deleted.", name=name), "success")
    return redirect(url_for("crm.list_leads"), 303)


@bp.route("/leads/<int:lead_id>/convert", methods=["GET", "POST"])
def convert_lead(lead_id: int):
    lead = access.get_or_404(Lead, lead_id, current_user, "convert")
    if not leads.allowed(lead, "convert"):
        raise Conflict(_("This lead cannot be converted any more."))
    dups = [duplicates.describe(d) for d in duplicates.for_lead(lead, current_user)]
    candidates = [d for d in dups if d["kind"] == "partner"]
    candidates += [{"kind": "partner", "id": d["record"].partner_id,
                    "title": d["record"].partner.name, "reason": d["reason"]}
                   for d in dups if d["kind"] == "contact"]
    errors: dict = {}
    values = {"partner_mode": "new", "create_opportunity": "",
              "opportunity_name": lead.company_name or lead.display_name}
    if request.method == "POST":
        values = request.form.to_dict()
        partner_id = None
        if values.get("partner_mode") == "existing":
            partner_id = int_or_none(values.get("partner_id"))
            if partner_id is None:
                errors["partner_id"] = [_("Choose a partner, or create a new one.")]
        opp_values = None
        if values.get("create_opportunity"):
            payload = {"name": values.get("opportunity_name"),
                       "amount": values.get("opportunity_amount") or "0",
                       "expected_close_date": values.get("opportunity_close") or None}
            data, opp_errors = validate_form(OpportunityValues, MultiDict(
                {k: v for k, v in payload.items() if v is not None}))
            errors.update({f"opportunity_{k.replace('expected_close_date', 'close')}": v
                           for k, v in opp_errors.items()})
            opp_values = data.model_dump(exclude_none=True) if data else None
        if not errors:
            try:
                result = leads.convert(lead, by=current_user, partner_id=partner_id,
                                       create_opportunity=opp_values is not None,
                                       opportunity=opp_values)
            except ValidationError as exc:
                errors = exc.errors
            else:
                flash(_("Lead converted into %(name)s.", name=result["partner"].name), "success")
                return redirect(url_for("partners.show_partner",
                                        partner_id=result["partner"].id), 303)
    chosen = None
    if values.get("partner_id"):
        chosen = db.session.get(Partner, int_or_none(values.get("partner_id")) or 0)
    return render("crm/leads/convert.html", lead=lead, duplicates=dups, candidates=candidates,
                  values=values, errors=errors, chosen=chosen), 422 if errors else 200


@bp.get("/leads/<int:lead_id>/duplicates")
def lead_duplicates(lead_id: int):
    lead = access.get_or_404(Lead, lead_id, current_user)
    dups = [duplicates.describe(d) for d in duplicates.for_lead(lead, current_user)]
    return render("crm/leads/_duplicates.html", duplicates=dups)
