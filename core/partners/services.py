"""Partner and contact rules, shared by pages, API, CRM conversion and sales."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from core import search, timeline
from core.access import require, require_model
from core.auth.models import User
from core.db import db
from core.errors import ValidationError, check_version
from core.partners.models import Contact, Partner
from core.plugins import call_each
from core.timeline import N_
from core.validation import normalize_phone

PARTNER_FIELDS = ("name", "kind", "partner_type", "email", "phone", "website", "street", "city",
                  "postal_code", "country", "notes", "salesperson_id")
CONTACT_FIELDS = ("partner_id", "first_name", "last_name", "email", "phone", "job_title")


def matching(q: str, *, narrow: bool | None = True) -> sa.ColumnElement:
    """Partners whose name, email or city contains ``q`` (the substring index of migration
    core_0005; ``narrow``: see ``core.search.contains``)."""
    return search.contains("core_partner", Partner.id, [Partner.name_search, sa.func.lower(Partner.email),
                                                        sa.func.lower(Partner.city)], q, narrow=narrow)


def name_contains(text: str) -> sa.ColumnElement:
    """Partners whose (lowercased) name contains ``text``, through the same index."""
    return search.contains("core_partner", Partner.id, [Partner.name_search], text)


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].lower()


def _derived(record) -> None:
    record.phone_normalized = normalize_phone(record.phone)
    record.email_domain = email_domain(record.email)
    if isinstance(record, Partner):
        record.name_search = record.name.lower()
    else:
        record.name_search = " ".join(p for p in (record.first_name, record.last_name) if p).lower()


def _check_user(user_id: int | None, field: str = "salesperson_id") -> None:
    if user_id is None:
        return
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        raise ValidationError.field(field, _("Unknown or inactive user."))


def _readable(changes: dict) -> dict:
    """History shows people by name, not by id."""
    if "salesperson_id" in changes:
        names = []
        for user_id in changes.pop("salesperson_id"):
            user = db.session.get(User, user_id) if user_id else None
            names.append(user.name if user else None)
        changes["salesperson"] = names
    return changes


def create_partner(values: dict, *, by: User, commit: bool = True) -> Partner:
    require_model(by, "create", Partner)
    values = {k: v for k, v in values.items() if k in PARTNER_FIELDS}
    if "salesperson_id" not in values or values["salesperson_id"] is None:
        values["salesperson_id"] = by.id if by.role == "salesperson" else values.get("salesperson_id")
    _check_user(values.get("salesperson_id"))
    if values.get("partner_type") == "customer" and not by.is_manager:
        values["partner_type"] = "prospect"  # becomes customer by order or promotion
    partner = Partner(**values)
    _derived(partner)
    db.session.add(partner)
    db.session.flush()
    timeline.record(partner, "created", N_("Partner created"), by=by)
    if commit:
        db.session.commit()
    return partner


def update_partner(partner: Partner, values: dict, *, by: User, version: int | None = None) -> Partner:
    require(by, "update", partner)
    check_version(partner, version)
    values = {k: v for k, v in values.items() if k in PARTNER_FIELDS and k != "partner_type"}
    if "salesperson_id" in values:
        if not by.is_manager and values["salesperson_id"] != partner.salesperson_id:
            raise ValidationError.field("salesperson_id", _("Only a manager can change the salesperson."))
        _check_user(values["salesperson_id"])
    changes = _readable(timeline.changes_between(partner, values))
    for key, value in values.items():
        setattr(partner, key, value)
    _derived(partner)
    if changes:
        timeline.record(partner, "updated", N_("Partner updated"), by=by, changes=changes)
    db.session.commit()
    return partner


def promote(partner: Partner, *, by: User | None, commit: bool = True, check: bool = True) -> bool:
    """Make a prospect a customer. Returns False if it already was one (no change)."""
    if check:
        require(by, "promote", partner)
    result = db.session.execute(
        sa.update(Partner)
        .where(Partner.id == partner.id, Partner.partner_type == "prospect")
        .values(partner_type="customer", version=Partner.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:
        db.session.refresh(partner)
        return False
    db.session.refresh(partner)
    timeline.record(partner, "status", N_("Promoted to customer"), by=by)
    call_each("on_partner_promoted", safe=False, partner=partner, by=by)
    if commit:
        db.session.commit()
    return True


def create_contact(values: dict, *, by: User, commit: bool = True) -> Contact:
    values = {k: v for k, v in values.items() if k in CONTACT_FIELDS}
    partner = db.session.get(Partner, values.get("partner_id") or 0)
    if partner is None:
        raise ValidationError.field("partner_id", _("Unknown partner."))
    require_model(by, "create", Contact)
    contact = Contact(**values)
    contact.partner = partner
    _derived(contact)
    db.session.add(contact)
    db.session.flush()
    timeline.record(contact, "created", N_("Contact created"), by=by)
    timeline.record(partner, "contact", N_("Contact %(name)s added"), by=by,
                    params={"name": contact.name})
    if commit:
        db.session.commit()
    return contact


def update_contact(contact: Contact, values: dict, *, by: User, version: int | None = None) -> Contact:
    require(by, "update", contact)
    check_version(contact, version)
    values = {k: v for k, v in values.items() if k in CONTACT_FIELDS}
    if ("partner_id" in values and values["partner_id"] != contact.partner_id
            and db.session.get(Partner, values["partner_id"] or 0) is None):
            raise ValidationError.field("partner_id", _("Unknown partner."))
    changes = timeline.changes_between(contact, values)
    for key, value in values.items():
        setattr(contact, key, value)
    _derived(contact)
    if changes:
        timeline.record(contact, "updated", N_("Contact updated"), by=by, changes=changes)
    db.session.commit()
    return contact
