"""Leads: creation, edition and the status machine (SPEC.md section 3).

Every status change is a conditional UPDATE (``WHERE status IN (...)``) whose row count
is checked, so two simultaneous actions take effect once; the loser gets a Conflict.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from core import access, search, settings, tally, timeline
from core.auth.models import User
from core.db import db, utcnow
from core.errors import Conflict, ValidationError, check_version
from core.partners.models import Partner
from core.partners.services import email_domain
from core.plugins import call_each
from core.timeline import N_
from core.validation import normalize_phone
from core.web import int_or_none
from modules.crm.models import Lead, LeadSource, LeadTally, LostReason, company_key

LEAD_FIELDS = ("first_name", "last_name", "company_name", "job_title", "email", "phone", "mobile",
               "website", "street", "city", "postal_code", "country", "source_id", "description",
               "assigned_to")

#: action -> the statuses it may start from (SPEC.md section 3; nothing else is allowed).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "assign": ("new", "assigned", "in_progress"),
    "start": ("assigned",),
    "convert": ("new", "assigned", "in_progress"),
    "lose": ("new", "assigned", "in_progress"),
    "recycle": ("lost",),
    "delete": ("lost",),
}
ACTIONS = tuple(TRANSITIONS)
STATUS_LABELS = {"new": N_("New"), "assigned": N_("Assigned"), "in_progress": N_("In progress"),
                 "converted": N_("Converted"), "lost": N_("Lost")}


def allowed(lead: Lead, action: str) -> bool:
    """Does the status machine allow ``action`` from the lead's current status?"""
    if action == "start":
        return lead.status == "assigned" and lead.assigned_to is not None
    return lead.status in TRANSITIONS.get(action, ())


def available_actions(lead: Lead, user: User) -> list[str]:
    """The actions both the status machine and the user's role allow (the page's buttons)."""
    result = []
    for action in ACTIONS:
        if not allowed(lead, action):
            continue
        if action == "assign":
            if access.can(user, "assign", lead):
                result.append("assign")
            if lead.assigned_to != user.id and access.can(user, "assign_me", lead):
                result.append("assign_me")
            continue
        if access.can(user, action, lead):
            result.append(action)
    return result


def _refuse(lead: Lead, action: str):
    db.session.rollback()
    raise Conflict(_("A lead that is %(status)s cannot be %(action)s.",
                     status=_(STATUS_LABELS.get(lead.status, lead.status)).lower(),
                     action=_(_ACTION_PAST.get(action, action))))


_ACTION_PAST = {"assign": N_("assigned"), "start": N_("started"), "convert": N_("converted"),
                "lose": N_("lost"), "recycle": N_("recycled"), "delete": N_("deleted")}


def _check_allowed(lead: Lead, action: str) -> None:
    if not allowed(lead, action):
        _refuse(lead, action)


def _conditional_update(lead: Lead, action: str, values: dict, *extra_where) -> None:
    """UPDATE the lead only if its status still allows ``action``; else Conflict."""
    result = db.session.execute(
        sa.update(Lead)
        .where(Lead.id == lead.id, Lead.status.in_(TRANSITIONS[action]), *extra_where)
        .values(**values, version=Lead.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(lead)
        _refuse(lead, action)
    db.session.refresh(lead)


# --- fields ------------------------------------------------------------------------------

def filtered(stmt, user: User, *, q: str | None = None, status: str | None = None,
             source_id: int | None = None, assigned_to: int | str | None = None,
             narrow: bool | None = True):
    """``stmt`` restricted to the leads ``user`` sees and to the filters given (the list
    page, its kanban and the API): ``assigned_to`` a user id or "none" (unassigned);
    ``narrow`` as :func:`matching`."""
    stmt = access.visible(stmt, Lead, user)
    if q and narrow:
        stmt = search.narrowed(stmt, "crm_lead", Lead.id, _SEARCHED, q)
    elif q:
        stmt = stmt.where(matching(q, narrow=narrow))
    if status in STATUS_LABELS:
        stmt = stmt.where(Lead.status == status)
    if source_id is not None:
        stmt = stmt.where(Lead.source_id == source_id)
    if assigned_to == "none":
        stmt = stmt.where(Lead.assigned_to.is_(None))
    elif assigned_to is not None:
        stmt = stmt.where(Lead.assigned_to == assigned_to)
    return stmt


def tally_scope(user: User, *, q: str | None = None, status: str | None = None,
                source_id: int | None = None, assigned_to: int | str | None = None, **_ignored):
    """:func:`filtered`'s conditions said on the running totals (``LeadTally``), so that a
    list's count reads a few hundred rows instead of every visible lead (a salesperson's
    first page counted 25,000 index entries: 4 of its 14 ms). None when the totals cannot
    answer: a search, or an access rule that cannot say its condition on them. Keep the two
    in step: ``tests/crm/test_tally.py`` compares them for every filter and role."""
    seen = access.tallied(Lead, user)
    if q or seen is None:
        return None
    conditions = [seen]
    if status in STATUS_LABELS:
        conditions.append(LeadTally.status == status)
    if source_id is not None:
        conditions.append(LeadTally.source_id == source_id)
    if assigned_to == "none":
        conditions.append(LeadTally.assigned_to == 0)
    elif assigned_to is not None:
        conditions.append(LeadTally.assigned_to == assigned_to)
    return sa.and_(*conditions)


def tally_count(user: User, **filters) -> sa.Select | None:
    """The count of ``filtered(..., **filters)`` from the running totals, or None."""
    return tally.count(LeadTally, tally_scope(user, **filters))


def matching(q: str, *, narrow: bool | None = True) -> sa.ColumnElement:
    """The search box's condition: leads whose name or company, email or city contains
    ``q`` (served by the substring index of migration crm_0004; ``narrow``: see
    core.search.contains)."""
    return search.contains("crm_lead", Lead.id, _SEARCHED, q, narrow=narrow)


#: The search box's columns: the substring index of migration crm_0004.
_SEARCHED = [Lead.name_search, Lead.email_lower, sa.func.lower(Lead.city)]


def derive(values: dict, normalized_phones: dict | None = None) -> dict:
    """The derived search and duplicate columns of a lead's values (``normalized_phones``:
    already normalized ``phone``/``mobile``, so that an import parses each number once)."""
    phones = normalized_phones if normalized_phones is not None else {
        "phone": normalize_phone(values.get("phone")),
        "mobile": normalize_phone(values.get("mobile"))}
    person = " ".join(p for p in (values.get("first_name"), values.get("last_name")) if p)
    email = values.get("email")
    return {
        "name_search": " ".join(p for p in (person, values.get("company_name")) if p).lower()[:420],
        "email_lower": email.lower() if email else None,
        "email_domain": email_domain(email),
        "phone_normalized": phones.get("phone"),
        "mobile_normalized": phones.get("mobile"),
        "company_key": company_key(values.get("company_name")),
    }


def _check_refs(values: dict) -> None:
    errors: dict[str, list[str]] = {}
    user_id = values.get("assigned_to")
    if user_id is not None:
        user = db.session.get(User, user_id)
        if user is None or not user.active:
            errors["assigned_to"] = [_("Unknown or inactive user.")]
    if values.get("source_id") is not None and db.session.get(LeadSource, values["source_id"]) is None:
        errors["source_id"] = [_("Unknown lead source.")]
    if errors:
        raise ValidationError(_("Some fields are invalid."), errors=errors)


def identity_errors(values: dict) -> dict[str, list[str]]:
    """The rule every lead keeps, as field errors: a last name, a company name or an email
    (a form shows it with the other fields' errors, not on a second try)."""
    if values.get("last_name") or values.get("company_name") or values.get("email"):
        return {}
    return {"last_name": [_("Give at least a last name, a company name or an email.")]}


def _check_identity(values: dict) -> None:
    if errors := identity_errors(values):
        raise ValidationError(errors["last_name"][0], errors=errors)


# --- who gets the web-to-lead form's leads ------------------------------------------------

WEB_TO_LEAD_ASSIGNEE = "crm.web_to_lead_assignee"  # a setting: the user's email, "" for nobody


def web_to_lead_assignee() -> tuple[str, int | None]:
    """Who the web-to-lead form's leads are assigned to: the email set (the setting, else,
    when it is empty, the ``WEB_TO_LEAD_ASSIGNEE`` configuration) and the id of the active
    user it names, or None (nobody, or someone no longer active: the leads wait unassigned)."""
    email = (settings.get(WEB_TO_LEAD_ASSIGNEE) or current_app.config.get("WEB_TO_LEAD_ASSIGNEE") or "")
    email = email.strip().lower()
    user_id = db.session.scalar(sa.select(User.id).where(User.email == email, User.active)) if email else None
    return email, user_id


def set_web_to_lead_assignee(user_id: int | None, *, by: User) -> None:
    """Assign the form's leads to an active user, or to nobody (``None``); managers, as the
    CRM's other settings (``LostReason`` and the other lists)."""
    access.require_model(by, "update", LostReason)
    email = ""
    if user_id is not None:
        user = db.session.get(User, user_id)
        if user is None or not user.active:
            raise ValidationError.field("assignee", _("Unknown or inactive user."))
        email = user.email
    settings.set_value(WEB_TO_LEAD_ASSIGNEE, email)
    db.session.commit()


def source_by_code(code: str) -> LeadSource | None:
    return db.session.scalar(sa.select(LeadSource).where(
        sa.or_(LeadSource.code == code, sa.func.lower(LeadSource.name) == code.lower())))


def resolve_source(value: str | int | None) -> int | None:
    """A lead source id from an id, a code (``website``) or a name; 422 if unknown."""
    if value is None or value == "":
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        # An id; one beyond the key's range (or "²", a digit int() refuses) is unknown.
        source_id = int_or_none(value)
        source = db.session.get(LeadSource, source_id) if source_id else None
    else:
        source = source_by_code(str(value))
    if source is None:
        raise ValidationError.field("source", _("Unknown lead source."))
    return source.id


def create_lead(values: dict, *, by: User | None, commit: bool = True,
                check: bool = True) -> Lead:
    """Create a lead: ``new``, or ``assigned`` when an assignee is given."""
    if check:
        access.require_model(by, "create", Lead)
    values = {k: v for k, v in values.items() if k in LEAD_FIELDS}
    if (check and values.get("assigned_to") not in (None, getattr(by, "id", None))
            and not access.can(by, "assign", model=Lead)):
        raise ValidationError.field("assigned_to", _("Only a manager can assign a lead to someone else."))
    _check_refs(values)
    _check_identity(values)
    lead = Lead(**values, **derive(values))
    lead.status = "assigned" if lead.assigned_to else "new"
    db.session.add(lead)
    db.session.flush()
    timeline.record(lead, "created", N_("Lead created"), by=by)
    if lead.assigned_to:
        timeline.record(lead, "assigned", N_("Assigned to %(name)s"), by=by,
                        params={"name": db.session.get(User, lead.assigned_to).name})
    if commit:
        db.session.commit()
    return lead


def update_lead(lead: Lead, values: dict, *, by: User, version: int | None = None) -> Lead:
    """Edit a lead's fields (not its status, nor its assignee: those are actions)."""
    access.require(by, "update", lead)
    check_version(lead, version)
    if lead.status == "converted":
        raise Conflict(_("A converted lead cannot be edited: edit its partner and contact."))
    values = {k: v for k, v in values.items() if k in LEAD_FIELDS and k != "assigned_to"}
    _check_refs(values)
    merged = {f: getattr(lead, f) for f in LEAD_FIELDS} | values
    _check_identity(merged)
    changes = timeline.changes_between(lead, values)
    for key, value in values.items():
        setattr(lead, key, value)
    for key, value in derive(merged).items():
        setattr(lead, key, value)
    if changes:
        if "description" in changes:  # long texts: note the change, not the text
            changes["description"] = ["…", "…"]
        timeline.record(lead, "updated", N_("Lead updated"), by=by, changes=changes)
    db.session.commit()
    return lead


# --- the status machine -----------------------------------------------------------------

def assign(lead: Lead, user_id: int | None = None, *, by: User, commit: bool = True) -> Lead:
    """Assign the lead to ``user_id`` (None: to ``by``). in_progress stays in_progress."""
    target_id = by.id if user_id is None else user_id
    access.require(by, "assign" if target_id != by.id else "assign_me", lead)
    target = db.session.get(User, target_id)
    if target is None or not target.active:
        raise ValidationError.field("user_id", _("Unknown or inactive user."))
    _check_allowed(lead, "assign")
    _conditional_update(lead, "assign", {
        "assigned_to": target.id,
        "status": sa.case((Lead.status == "in_progress", "in_progress"), else_="assigned"),
    })
    timeline.record(lead, "assigned", N_("Assigned to %(name)s"), by=by, params={"name": target.name})
    if commit:
        db.session.commit()
    return lead


def start(lead: Lead, *, by: User, commit: bool = True) -> Lead:
    access.require(by, "start", lead)
    _check_allowed(lead, "start")
    _conditional_update(lead, "start", {"status": "in_progress"}, Lead.assigned_to.is_not(None))
    timeline.record(lead, "status", N_("Work started (in progress)"), by=by)
    if commit:
        db.session.commit()
    return lead


def lose(lead: Lead, lost_reason_id: int | None, note: str | None = None, *, by: User,
         commit: bool = True) -> Lead:
    access.require(by, "lose", lead)
    _check_allowed(lead, "lose")
    reason = db.session.get(LostReason, lost_reason_id) if lost_reason_id else None
    if reason is None:
        raise ValidationError.field("lost_reason_id", _("Choose a lost reason."))
    _conditional_update(lead, "lose", {"status": "lost", "lost_reason_id": reason.id,
                                       "lost_note": note or None})
    timeline.record(lead, "status", N_("Closed as lost: %(reason)s"), by=by,
                    params={"reason": reason.name}, changes={"note": [None, note]} if note else None)
    if commit:
        db.session.commit()
    return lead


def recycle(lead: Lead, *, by: User, commit: bool = True) -> Lead:
    """Bring a lost lead back: in_progress if assigned, else new; the reason stays in history."""
    access.require(by, "recycle", lead)
    _check_allowed(lead, "recycle")
    old_reason = lead.lost_reason.name if lead.lost_reason else None
    old_note = lead.lost_note
    _conditional_update(lead, "recycle", {
        "status": sa.case((Lead.assigned_to.is_not(None), "in_progress"), else_="new"),
        "recycled": True, "lost_reason_id": None, "lost_note": None,
    })
    timeline.record(lead, "status", N_("Recycled (was lost: %(reason)s)"), by=by,
                    params={"reason": old_reason or "—"},
                    changes={"lost_note": [old_note, None]} if old_note else None)
    if commit:
        db.session.commit()
    return lead


def delete(lead: Lead, *, by: User) -> None:
    """Delete a lost lead (converted leads are never deleted)."""
    access.require(by, "delete", lead)
    _check_allowed(lead, "delete")
    result = db.session.execute(
        sa.delete(Lead).where(Lead.id == lead.id, Lead.status == "lost")
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        _refuse(lead, "delete")
    db.session.expunge(lead)
    db.session.commit()


# --- conversion --------------------------------------------------------------------------

#: test seam: called right after the partner is written (fault injection in tests).
after_partner_written: Callable[[Partner], None] = lambda partner: None  # noqa: E731


def convert(lead: Lead, *, by: User, partner_id: int | None = None,
            create_opportunity: bool = False, opportunity: dict | None = None,
            partner_type: str = "prospect", commit: bool = True, check: bool = True) -> dict:
    """Convert a lead into a partner (new, or an existing one) and a contact, optionally
    with an opportunity; all in one transaction or nothing."""
    from core.partners import services as partners

    if check:
        access.require(by, "convert", lead)
    _check_allowed(lead, "convert")
    try:
        if partner_id is not None:
            partner = db.session.get(Partner, partner_id)
            if partner is None or (check and not access.sees(by, partner)):
                raise ValidationError.field("partner_id", _("Unknown partner."))
        else:
            partner = partners.create_partner({
                "name": lead.company_name or lead.person_name or lead.email,
                "kind": "company" if lead.company_name else "individual",
                "partner_type": "prospect",
                "email": lead.email, "phone": lead.phone or lead.mobile, "website": lead.website,
                "street": lead.street, "city": lead.city, "postal_code": lead.postal_code,
                "country": lead.country,
                "salesperson_id": lead.assigned_to or (by.id if by is not None else None),
            }, by=by, commit=False)
            if partner_type == "customer":
                partner.partner_type = "customer"
                timeline.record(partner, "status", N_("Created as a customer"), by=by)
        after_partner_written(partner)
        contact = None
        if lead.last_name or lead.first_name:
            contact = partners.create_contact({
                "partner_id": partner.id, "first_name": lead.first_name,
                "last_name": lead.last_name or lead.first_name, "email": lead.email,
                "phone": lead.phone or lead.mobile, "job_title": lead.job_title,
            }, by=by, commit=False)
        _conditional_update(lead, "convert", {
            "status": "converted", "partner_id": partner.id,
            "contact_id": contact.id if contact else None, "converted_at": utcnow(),
        })
        from modules.crm.services import opportunities

        opportunities.repoint_lead(lead, partner, contact)
        opp = None
        if create_opportunity:
            data = dict(opportunity or {})
            data.setdefault("name", lead.company_name or lead.display_name)
            data.update(lead_id=lead.id, partner_id=partner.id,
                        contact_id=contact.id if contact else None)
            data.setdefault("assigned_to", lead.assigned_to or by.id)
            opp = opportunities.create_opportunity(data, by=by, commit=False, check=False)
        timeline.record(lead, "converted", N_("Converted into %(partner)s"), by=by,
                        params={"partner": partner.name})
        timeline.record(partner, "lead", N_("Converted from lead %(lead)s"), by=by,
                        params={"lead": lead.display_name})
        call_each("on_lead_converted", safe=False, lead=lead, partner=partner, contact=contact, by=by)
        if commit:
            db.session.commit()
    except BaseException:
        if commit:
            db.session.rollback()
        raise
    return {"lead": lead, "partner": partner, "contact": contact, "opportunity": opp}
