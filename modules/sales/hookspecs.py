"""Hooks offered by the sales module. Other modules implement them with
``@hookimpl(optionalhook=True)`` so that they still load when sales is disabled.

An order keeps two generic references that sales itself does not interpret:
``origin_type``/``origin_id`` (what it was made from, e.g. ``("opportunity", 12)``) and
``prospect_type``/``prospect_id`` (who the customer will be while it is not a partner
yet, e.g. ``("lead", 5)``). The API shows them as ``opportunity_id`` and ``lead_id``.
"""

from __future__ import annotations

from typing import Any

from core.plugins import hookspec


@hookspec
def on_order_confirmed(order: Any, by: Any) -> None:
    """An order was confirmed (inside the transaction: raising rolls the confirmation back)."""


@hookspec(firstresult=True)
def prefill_order(origin_type: str, origin_id: int, user: Any) -> dict | None:
    """Return initial values of an order made from a record of another module, or None."""


@hookspec(firstresult=True)
def describe_order_reference(ref_type: str, ref_id: int, user: Any) -> dict | None:
    """Return ``{"title": ..., "url": ...}`` for a reference that ``user`` may see, else None."""
