"""Likely duplicates of a lead among leads, contacts and partners: same email, same email
domain (common mail providers excluded), same normalized phone, similar company name."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _

from core import access
from core.db import db
from core.partners import services as partner_services
from core.partners.models import Contact, Partner
from modules.crm.models import Lead
from modules.crm.services.leads import derive

COMMON_MAIL_DOMAINS = (
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.fr", "hotmail.com", "hotmail.fr",
    "outlook.com", "outlook.fr", "live.com", "live.fr", "msn.com", "icloud.com", "me.com",
    "aol.com", "gmx.com", "gmx.de", "gmx.fr", "web.de", "orange.fr", "wanadoo.fr", "free.fr",
    "sfr.fr", "laposte.net", "bbox.fr", "protonmail.com", "proton.me", "yandex.com", "mail.com",
    "example.com", "example.org",
)
LIMIT = 20


def common_domains() -> set[str]:
    return {d.lower() for d in current_app.config.get("CRM_COMMON_MAIL_DOMAINS", COMMON_MAIL_DOMAINS)}


def find(values: dict, user, *, exclude_lead_id: int | None = None) -> list[dict]:
    """Each likely duplicate once, with the strongest reason, leads the user may see only."""
    keys = derive(values)
    email, domain = keys["email_lower"], keys["email_domain"]
    if domain in common_domains():
        domain = None
    phones = [p for p in (keys["phone_normalized"], keys["mobile_normalized"]) if p]
    company = keys["company_key"]
    found: dict[tuple[str, int], dict] = {}

    def search(kind, base, checks, options=()):
        """One query per kind: every check's condition OR-ed, the strongest first; each
        row keeps its strongest reason, at most LIMIT rows per reason (as one query per
        check did)."""
        checks = [(condition, test, reason) for value, condition, test, reason in checks if value]
        if not checks:
            return
        rank = sa.case(*[(condition, i) for i, (condition, _t, _r) in enumerate(checks)], else_=len(checks))
        rows = db.session.scalars(base.where(sa.or_(*[c for c, _t, _r in checks])).options(*options)
                                  .order_by(rank).limit(LIMIT * len(checks))).unique()
        per_reason: dict[str, int] = {}
        for row in rows:
            reason = next((r for _c, test, r in checks if test(row)), checks[-1][2])
            if per_reason.get(reason, 0) >= LIMIT:
                continue
            per_reason[reason] = per_reason.get(reason, 0) + 1
            found.setdefault((kind, row.id), {"kind": kind, "id": row.id, "reason": reason, "record": row})

    def lower(text):
        return text.lower() if text else None

    # Leads
    lead_base = access.visible(sa.select(Lead), Lead, user)
    if exclude_lead_id is not None:
        lead_base = lead_base.where(Lead.id != exclude_lead_id)
    search("lead", lead_base, [
        (email, Lead.email_lower == email, lambda r: r.email_lower == email, _("same email")),
        (phones, sa.or_(Lead.phone_normalized.in_(phones), Lead.mobile_normalized.in_(phones)),
         lambda r: r.phone_normalized in phones or r.mobile_normalized in phones, _("same phone")),
        (company, Lead.company_key == company, lambda r: r.company_key == company,
         _("similar company name")),
        (domain, Lead.email_domain == domain, lambda r: r.email_domain == domain, _("same email domain")),
    ])
    # Contacts
    search("contact", sa.select(Contact), [
        (email, Contact.email.is_not(None) & (sa.func.lower(Contact.email) == email),
         lambda r: lower(r.email) == email, _("same email")),
        (phones, Contact.phone_normalized.in_(phones), lambda r: r.phone_normalized in phones,
         _("same phone")),
        (domain, Contact.email_domain == domain, lambda r: r.email_domain == domain, _("same email domain")),
    ], options=(sa.orm.joinedload(Contact.partner),))
    # Partners
    search("partner", sa.select(Partner), [
        (email, sa.func.lower(Partner.email) == email, lambda r: lower(r.email) == email, _("same email")),
        (phones, Partner.phone_normalized.in_(phones), lambda r: r.phone_normalized in phones,
         _("same phone")),
        (company and len(company) >= 3,
         partner_services.name_contains(company or ""),
         lambda r: (company or "") in (r.name_search or ""), _("similar company name")),
        (domain, Partner.email_domain == domain, lambda r: r.email_domain == domain, _("same email domain")),
    ])
    return list(found.values())


def for_lead(lead: Lead, user) -> list[dict]:
    values = {f: getattr(lead, f) for f in ("first_name", "last_name", "company_name", "email",
                                            "phone", "mobile")}
    return find(values, user, exclude_lead_id=lead.id)


def describe(item: dict) -> dict:
    """Title and URL of a duplicate for the pages."""
    record = item["record"]
    if item["kind"] == "lead":
        url = url_for("crm.show_lead", lead_id=record.id)
        title = record.display_name
    elif item["kind"] == "contact":
        url = url_for("partners.show_contact", contact_id=record.id)
        title = f"{record.name} ({record.partner.name})"
    else:
        url = url_for("partners.show_partner", partner_id=record.id)
        title = record.name
    return {**item, "title": title, "url": url}
