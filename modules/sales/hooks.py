"""Hook implementations of the sales module."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import hookimpl
from modules.sales import models  # noqa: F401 - the tables join the metadata

ORDER_ACTIONS = ("update", "finalize", "confirm", "complete", "cancel")


@hookimpl
def register_blueprints():
    from modules.sales.api import api
    from modules.sales.views import bp

    return [bp, api]


@hookimpl
def register_access_rules():
    import sqlalchemy as sa

    from core.access import AccessRule
    from modules.sales.models import OrderTally, Product, SaleOrder

    def order_condition(user):
        return sa.true() if user.is_manager else SaleOrder.assigned_to == user.id

    def order_tallied(user):
        return sa.true() if user.is_manager else OrderTally.assigned_to == user.id

    def order_sees(user, order):
        return user.is_manager or order.assigned_to == user.id

    def order_can(user, action, order):
        if action in ("read", "create"):
            return True
        if action in ORDER_ACTIONS:
            return order is not None and (user.is_manager or order.assigned_to == user.id)
        return False

    def product_can(user, action, product):
        return action == "read" or user.is_manager

    return [
        AccessRule(SaleOrder, condition=order_condition, sees=order_sees, can=order_can,
                   tallied=order_tallied),
        AccessRule(Product, can=product_can),
    ]


@hookimpl
def register_menu_entries():
    from core.web import MenuEntry

    return [
        MenuEntry(_l("Orders"), "sales.list_orders", icon="receipt", order=40),
        MenuEntry(_l("Products"), "sales.list_products", icon="box-seam", order=41),
    ]


@hookimpl
def on_order_confirmed(order, by):
    """A prospect partner becomes a customer at its first confirmed order."""
    from core.db import db
    from core.partners.models import Partner
    from core.partners.services import promote

    partner = db.session.get(Partner, order.partner_id) if order.partner_id else None
    if partner is not None and partner.partner_type == "prospect":
        promote(partner, by=by, commit=False, check=False)


@hookimpl
def record_panels(record_type, record, user):
    from modules.sales.views import orders_panel

    return orders_panel(record_type, record, user)


@hookimpl
def home_panels(user):
    from modules.sales.views import home_panel

    return home_panel(user)


@hookimpl
def register_demo_data():
    from modules.sales.demo import load_sales_demo

    return load_sales_demo
