"""Demo data: ``comptoir demo`` (idempotent). The core adds users, partners and contacts;
each module adds its own through the ``register_demo_data`` hook."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from core.db import db

DEMO_PASSWORD = "comptoir-demo-2026"  # the documented demo password  # nosec B105
DEMO_USERS = [
    ("admin@comptoir.example", "Alice Admin", "admin"),
    ("manager@comptoir.example", "Marc Manager", "manager"),
    ("sales1@comptoir.example", "Sophie Martin", "salesperson"),
    ("sales2@comptoir.example", "Julien Bernard", "salesperson"),
    ("sales3@comptoir.example", "Camille Petit", "salesperson"),
]
DEMO_PARTNERS = [
    ("Boulangeries Dupain", "company", "customer", "contact@dupain.fr", "+33 1 44 55 66 77", "Paris", "75011", "FR",
     [("Jeanne", "Dupain", "Gérante", "jeanne@dupain.fr")]),
    ("Atelier Lumière", "company", "prospect", "hello@atelier-lumiere.fr", "+33 4 72 10 20 30", "Lyon", "69002", "FR",
     [("Hugo", "Lefèvre", "Directeur technique", "hugo@atelier-lumiere.fr"), ("Inès", "Moreau", "Acheteuse", "ines@atelier-lumiere.fr")]),
    ("Transports Garnier", "company", "prospect", "info@garnier-transports.fr", "+33 5 56 00 11 22", "Bordeaux", "33000", "FR",
     [("Paul", "Garnier", "PDG", "paul@garnier-transports.fr")]),
    ("Nordwind GmbH", "company", "customer", "kontakt@nordwind.de", "+49 40 1234567", "Hamburg", "20095", "DE",
     [("Katrin", "Vogel", "Einkauf", "k.vogel@nordwind.de")]),
    ("Clinique des Tilleuls", "company", "prospect", "direction@tilleuls-sante.fr", "+33 3 88 77 66 55", "Strasbourg", "67000", "FR",
     [("Nadia", "Rahmani", "Directrice", "n.rahmani@tilleuls-sante.fr")]),
    ("Léa Fontaine", "individual", "prospect", "lea.fontaine@example.org", "+33 6 12 34 56 78", "Nantes", "44000", "FR", []),
]


def load_core_demo(app) -> str:
    from core.auth import services as auth
    from core.partners import services as partners
    from core.partners.models import Partner

    created = 0
    users = {}
    for email, name, role in DEMO_USERS:
        user = auth.find_user(email)
        if user is None:
            user = auth.create_user(email=email, name=name, role=role, password=DEMO_PASSWORD,
                                    timezone="Europe/Paris")
            created += 1
        users[email] = user
    sales = [users[e] for e, _n, r in DEMO_USERS if r == "salesperson"]
    manager = users["manager@comptoir.example"]
    for i, (name, kind, ptype, email, phone, city, postal, country, contacts) in enumerate(DEMO_PARTNERS):
        if db.session.scalar(sa.select(Partner.id).where(Partner.name == name)):
            continue
        partner = partners.create_partner(
            {"name": name, "kind": kind, "partner_type": ptype, "email": email, "phone": phone,
             "city": city, "postal_code": postal, "country": country,
             "street": f"{10 + i} rue de la République", "salesperson_id": sales[i % len(sales)].id},
            by=manager)
        for first, last, job, cemail in contacts:
            partners.create_contact({"partner_id": partner.id, "first_name": first,
                                     "last_name": last, "job_title": job, "email": cemail},
                                    by=manager)
        created += 1
    return f"core: {created} users and partners added (password for every demo user: {DEMO_PASSWORD})"


def load_demo() -> list[str]:
    """Run the demo loaders of the core and of each active module, in dependency order."""
    from core.plugins import call_each

    app = current_app._get_current_object()
    lines = []
    for result in call_each("register_demo_data", safe=False):
        loader = result.value
        message = loader(app)
        db.session.commit()
        lines.append(message or f"{result.module}: demo data loaded")
    return lines
