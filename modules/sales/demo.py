"""Demo data of the sales module (``comptoir demo``, idempotent): products, quotes in every
status and a few confirmed orders for the core's demo partners."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from core.auth.models import User
from core.db import db, utcnow
from core.partners.models import Partner
from modules.sales import services
from modules.sales.models import Product, SaleOrder

PRODUCTS = [
    ("CPT-LIC-USER", "Comptoir licence, per user and year", "240.00", "20.00"),
    ("CPT-LIC-SITE", "Comptoir site licence (unlimited users)", "4900.00", "20.00"),
    ("SRV-SETUP", "Setup and data import", "850.00", "20.00"),
    ("SRV-TRAIN-D", "Training, one day on site", "1200.00", "20.00"),
    ("SRV-CONSULT-H", "Consulting, per hour", "110.00", "20.00"),
    ("SUP-PREMIUM", "Premium support, yearly", "1800.00", "20.00"),
    ("HW-TERMINAL", "Point-of-sale terminal", "649.90", "20.00"),
    ("BOOK-GUIDE", "Printed user guide", "29.00", "5.50"),
    ("OLD-LIC-2019", "Legacy licence (2019 edition)", "180.00", "20.00"),
]

# (partner name, final status, [(product code, quantity, discount)])
ORDERS = [
    ("Boulangeries Dupain", "completed", [("CPT-LIC-USER", 12, 0), ("SRV-SETUP", 1, 0), ("SRV-TRAIN-D", 2, 10)]),
    ("Boulangeries Dupain", "confirmed", [("HW-TERMINAL", 6, 5), ("SUP-PREMIUM", 1, 0)]),
    ("Nordwind GmbH", "confirmed", [("CPT-LIC-SITE", 1, 0), ("SRV-CONSULT-H", 16, 0)]),
    ("Transports Garnier", "confirmed", [("CPT-LIC-USER", 25, 15), ("SRV-TRAIN-D", 3, 0), ("BOOK-GUIDE", 25, 0)]),
    ("Atelier Lumière", "finalized", [("CPT-LIC-USER", 8, 0), ("SRV-SETUP", 1, 0)]),
    ("Clinique des Tilleuls", "finalized", [("CPT-LIC-SITE", 1, 5), ("SUP-PREMIUM", 1, 0), ("SRV-TRAIN-D", 2, 0)]),
    ("Clinique des Tilleuls", "draft", [("CPT-LIC-USER", 40, 20)]),
    ("Léa Fontaine", "draft", [("SRV-CONSULT-H", 6, 0)]),
    ("Atelier Lumière", "cancelled", [("HW-TERMINAL", 2, 0)]),
]


def load_sales_demo(app) -> str:
    manager = db.session.scalar(sa.select(User).where(User.email == "manager@comptoir.example"))
    if manager is None:
        return "sales: no demo manager (run the core demo first)"
    added = 0
    for code, name, price, tax in PRODUCTS:
        if db.session.scalar(sa.select(Product.id).where(Product.code == code)) is None:
            services.create_product({"code": code, "name": name, "unit_price": Decimal(price),
                                     "tax_rate": Decimal(tax), "active": code != "OLD-LIC-2019"},
                                    by=manager)
            added += 1
    orders = 0
    if db.session.scalar(sa.select(sa.func.count()).select_from(SaleOrder)) == 0:
        products = {p.code: p for p in db.session.scalars(sa.select(Product))}
        for index, (partner_name, status, lines) in enumerate(ORDERS):
            partner = db.session.scalar(sa.select(Partner).where(Partner.name == partner_name))
            if partner is None:
                continue
            owner = db.session.get(User, partner.salesperson_id) if partner.salesperson_id else manager
            order = services.create_order(
                {"partner_id": partner.id, "assigned_to": owner.id, "currency": "EUR",
                 "valid_until": (utcnow() + timedelta(days=30 - index)).date(),
                 "note": "Payment: 30 days net. Prices in euros."},
                [{"product_id": products[code].id, "quantity": qty, "discount_percent": disc}
                 for code, qty, disc in lines],
                by=owner)
            path = {"draft": [], "finalized": ["finalize"], "confirmed": ["finalize", "confirm"],
                    "completed": ["finalize", "confirm", "complete"], "cancelled": ["finalize", "cancel"]}
            for action in path[status]:
                services.run_action(order, action, by=owner)
            orders += 1
    return f"sales: {added} products and {orders} quotes and orders added"
