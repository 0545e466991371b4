"""Helpers for the sales tests: products, partners and orders made through the services."""

from __future__ import annotations

from decimal import Decimal

import pytest


@pytest.fixture
def product(app, manager):
    from modules.sales import services

    return services.create_product({"code": "P1", "name": "Widget", "unit_price": Decimal("100.00"),
                                    "tax_rate": Decimal("20")}, by=manager)


@pytest.fixture
def make_partner(app, manager):
    from core.partners.services import create_partner

    def _make(name="Prospect Co", partner_type="prospect", salesperson=None):
        return create_partner({"name": name, "partner_type": partner_type,
                               "salesperson_id": salesperson.id if salesperson else None}, by=manager)

    return _make


@pytest.fixture
def make_order(app, product, make_partner):
    """``make_order(user, status="draft", partner=None)``: an order with one line, moved to ``status``."""
    from modules.sales import services

    path = {"draft": [], "finalized": ["finalize"], "confirmed": ["finalize", "confirm"],
            "completed": ["finalize", "confirm", "complete"], "cancelled": ["cancel"]}

    def _make(user, status="draft", partner=None, lines=None):
        partner = partner or make_partner()
        order = services.create_order(
            {"partner_id": partner.id}, lines if lines is not None else [
                {"product_id": product.id, "quantity": "2"}], by=user)
        for action in path[status]:
            services.run_action(order, action, by=user)
        return order

    return _make


class _Client:
    """A signed-in test client that forgets the user flask-login cached in ``g``: the test's
    app context is shared by every request, so without this a second client would be served
    as the first one's user."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if name not in ("get", "post", "open"):
            return attr

        def call(*args, **kwargs):
            from flask import g

            g.pop("_login_user", None)
            return attr(*args, **kwargs)

        return call


@pytest.fixture
def login(login):
    """The core's ``login(user)``, safe to use for several users in one test."""

    def _login(user):
        from flask import g

        g.pop("_login_user", None)
        return _Client(login(user))

    return _login
