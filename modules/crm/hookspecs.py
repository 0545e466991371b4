"""Hooks offered by the CRM module. Other modules implement them with
``@hookimpl(optionalhook=True)`` so that they still load when the CRM is disabled."""

from __future__ import annotations

from typing import Any

from core.plugins import hookspec


@hookspec
def on_lead_converted(lead: Any, partner: Any, contact: Any, by: Any) -> None:
    """A lead was converted into ``partner`` and ``contact`` (inside the transaction)."""


@hookspec
def on_opportunity_won(opportunity: Any, by: Any) -> None:
    """An opportunity was marked won (inside the transaction)."""


@hookspec
def on_opportunity_lost(opportunity: Any, by: Any) -> None:
    """An opportunity was marked lost (inside the transaction)."""
