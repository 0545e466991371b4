"""Demo data: leads in every status from varied sources, with descriptions, and
opportunities across the stages and the next twelve months (idempotent)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from core.auth.models import User
from core.db import db
from core.partners.models import Partner
from modules.crm.models import Lead, LostReason
from modules.crm.services import leads, opportunities
from modules.crm.services.opportunities import add_months

LEADS = [
    # first, last, company, job, email, phone, city, source, status, description
    ("Émilie", "Roche", "Fromagerie Roche", "Gérante", "emilie@fromagerie-roche.fr", "+33 4 79 11 22 33", "Chambéry", "website", "new",
     "Filled the contact form: wants a quote for 3 point-of-sale terminals before the winter season."),
    ("Thomas", "Girard", "Garage Girard & Fils", "Owner", "thomas@garage-girard.fr", "+33 2 40 55 66 77", "Nantes", "trade_show", "new",
     "Met at the Rennes trade show, booth 14. Interested in stock management for spare parts."),
    ("Sarah", "Klein", "Klein Architekten", "Partner", "s.klein@klein-arch.de", "+49 30 5556667", "Berlin", "referral", "assigned",
     "Referred by Nordwind GmbH. 12 seats, needs German invoices."),
    ("Lucas", "Perrin", None, None, "lucas.perrin@gmail.com", "+33 6 22 33 44 55", "Lille", "website", "assigned",
     "Freelance photographer, asks about the monthly plan."),
    ("Chloé", "Marchand", "Marchand Traiteur", "Directrice", "chloe@marchand-traiteur.fr", "+33 1 47 00 11 22", "Paris", "event", "in_progress",
     "Attended our webinar of 12 November.\nCall on 18/11: budget approved for Q1, decision by end of January."),
    ("Marco", "Bianchi", "Bianchi Import", "Purchasing", "m.bianchi@bianchi-import.it", "+39 02 1234 5678", "Milano", "cold_call", "in_progress",
     "Cold call: uses spreadsheets today, 4 warehouses. Demo scheduled."),
    ("Anne", "Lemoine", "Cabinet Lemoine", "Associée", "a.lemoine@cabinet-lemoine.fr", "+33 5 61 22 33 44", "Toulouse", "trade_show", "lost",
     "Chose a competitor already used by their accountant."),
    ("Karim", "Haddad", "Haddad Transports", "Dirigeant", "karim@haddad-transports.fr", "+33 4 91 00 99 88", "Marseille", "other", "lost",
     "No budget this year; call back in September."),
    ("Julie", "Faure", "Faure Paysages", "Gérante", "julie@faure-paysages.fr", "+33 4 75 44 55 66", "Valence", "event", "converted",
     "Met at the Valence business breakfast. Converted after the second meeting."),
    ("Pierre", "Vidal", "Vidal Menuiserie", "Artisan", "pierre@vidal-menuiserie.fr", "+33 5 59 12 13 14", "Pau", "referral", "converted",
     "Referred by Boulangeries Dupain."),
]

OPPORTUNITIES = [
    # name, stage, amount, months ahead
    ("Fromagerie Roche — POS terminals", "New", "4800.00", 1),
    ("Klein Architekten — 12 seats", "Qualification", "14400.00", 2),
    ("Marchand Traiteur — full suite", "Proposition", "22000.00", 1),
    ("Bianchi Import — warehouses", "Negotiation", "38000.00", 3),
    ("Faure Paysages — yearly plan", "Proposition", "6500.00", 0),
    ("Vidal Menuiserie — starter", "Qualification", "2400.00", 4),
    ("Atelier Lumière — extension", "Negotiation", "9800.00", 2),
    ("Transports Garnier — fleet module", "New", "17500.00", 6),
    ("Clinique des Tilleuls — pilot", "Qualification", "12000.00", 8),
    ("Nordwind GmbH — second site", "Proposition", "26000.00", 5),
    ("Boulangeries Dupain — renewal", "Negotiation", "7200.00", 10),
    ("Léa Fontaine — coaching", "New", "900.00", 11),
]


def load(app) -> str:
    if db.session.scalar(sa.select(sa.func.count()).select_from(Lead)):
        return "crm: demo data already there"
    manager = db.session.scalar(sa.select(User).where(User.role == "manager").order_by(User.id))
    sales = list(db.session.scalars(sa.select(User).where(User.role == "salesperson").order_by(User.id)))
    if manager is None or not sales:
        return "crm: no demo users"
    reasons = list(db.session.scalars(sa.select(LostReason).order_by(LostReason.id)))
    stages = {s.name: s for s in opportunities.stages()}
    for i, (first, last, company, job, email, phone, city, source, status, text) in enumerate(LEADS):
        owner = sales[i % len(sales)]
        lead = leads.create_lead({
            "first_name": first, "last_name": last, "company_name": company, "job_title": job,
            "email": email, "phone": phone, "city": city, "description": text,
            "source_id": leads.resolve_source(source)}, by=manager)
        if status in ("assigned", "in_progress", "converted") or (status == "lost" and i % 2):
            leads.assign(lead, owner.id, by=manager)
        if status in ("in_progress", "converted"):
            leads.start(lead, by=owner)
        if status == "lost":
            leads.lose(lead, reasons[i % len(reasons)].id, text, by=manager)
        if status == "converted":
            leads.convert(lead, by=owner)
    today = date.today()
    partners = {p.name: p for p in db.session.scalars(sa.select(Partner))}
    for i, (name, stage, amount, ahead) in enumerate(OPPORTUNITIES):
        owner = sales[i % len(sales)]
        partner_name = name.split(" — ")[0]
        partner = partners.get(partner_name)
        lead = db.session.scalar(sa.select(Lead).where(Lead.company_name == partner_name))
        close = add_months(today, ahead).replace(day=min(28, 5 + 2 * i))
        opportunities.create_opportunity({
            "name": name, "stage_id": stages[stage].id, "amount": Decimal(amount),
            "expected_close_date": close, "assigned_to": owner.id,
            "partner_id": partner.id if partner else (lead.partner_id if lead else None),
            "lead_id": lead.id if lead else None,
            "description": "Created for the demo."}, by=manager)
    won = opportunities.create_opportunity({
        "name": "Nordwind GmbH — first site", "stage_id": stages["Negotiation"].id,
        "amount": Decimal("18000.00"), "expected_close_date": today, "assigned_to": sales[0].id,
        "partner_id": partners["Nordwind GmbH"].id if "Nordwind GmbH" in partners else None},
        by=manager)
    opportunities.mark_won(won, by=manager)
    lost = opportunities.create_opportunity({
        "name": "Transports Garnier — pilot", "stage_id": stages["Proposition"].id,
        "amount": Decimal("5000.00"), "expected_close_date": today, "assigned_to": sales[1].id},
        by=manager)
    opportunities.mark_lost(lost, reasons[0].id, by=manager)
    return f"crm: {len(LEADS)} leads, {len(OPPORTUNITIES) + 2} opportunities"
