"""Likely duplicates of a lead among leads, contacts and partners: same email, same email
domain (common mail providers excluded), same normalized phone, similar company name."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _

from core import access
from core.db import db
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

    def add(kind, rows, reason):
        for row in rows:
            found.setdefault((kind, row.id), {"kind": kind, "id": row.id, "reason": reason,
                                              "record": row})

    # Leads
    lead_base = access.visible(sa.select(Lead), Lead, user)
    if exclude_lead_id is not None:
        lead_base = lead_base.where(Lead.id != exclude_lead_id)
    checks = [
        (email, lambda s: s.where(Lead.email_lower == email), _("same email")),
        (phones, lambda s: s.where(sa.or_(Lead.phone_normalized.in_(phones),
                                          Lead.mobile_normalized.in_(phones))), _("same phone")),
        (company, lambda s: s.where(Lead.company_key == company), _("similar company name")),
        (domain, lambda s: s.where(Lead.email_domain == domain), _("same email domain")),
    ]
    for value, where, reason in checks:
        if value:
            add("lead", db.session.scalars(where(lead_base).limit(LIMIT)), reason)
    # Contacts
    contact_checks = [
        (email, Contact.email.is_not(None) & (sa.func.lower(Contact.email) == email), _("same email")),
        (phones, Contact.phone_normalized.in_(phones), _("same phone")),
        (domain, Contact.email_domain == domain, _("same email domain")),
    ]
    for value, condition, reason in contact_checks:
        if value:
            add("contact", db.session.scalars(sa.select(Contact).where(condition).limit(LIMIT)), reason)
    # Partners
    partner_checks = [
        (email, sa.func.lower(Partner.email) == email, _("same email")),
        (phones, Partner.phone_normalized.in_(phones), _("same phone")),
        (company and len(company) >= 3,
         Partner.name_search.like(f"%{_escape(company or '')}%", escape="\\"),
         _("similar company name")),
        (domain, Partner.email_domain == domain, _("same email domain")),
    ]
    for value, condition, reason in partner_checks:
        if value:
            add("partner", db.session.scalars(sa.select(Partner).where(condition).limit(LIMIT)), reason)
    return list(found.values())


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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
