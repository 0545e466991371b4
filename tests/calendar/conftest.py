"""Helpers for the calendar tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.partners import services as partners


@pytest.fixture
def partner(app, sales):
    return partners.create_partner({"name": "Atelier Lumière", "salesperson_id": sales.id}, by=sales)


@pytest.fixture
def contact(app, partner, sales):
    return partners.create_contact({"partner_id": partner.id, "first_name": "Hugo", "last_name": "Lefèvre",
                                    "email": "hugo@example.org"}, by=sales)


def at(days: float = 1, hour: int = 10) -> datetime:
    """A round time ``days`` from today, in UTC."""
    base = datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return base + timedelta(days=days)
