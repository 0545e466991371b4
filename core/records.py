"""Record types that other modules can link to (events link to leads, opportunities...).

A module registers its types with ``register_linkable_types``; the calendar then stores a
generic ``(related_type, related_id)`` and asks this registry for titles, URLs and access.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.db import db


@dataclass
class LinkableType:
    name: str  # "lead", "opportunity"
    label: str
    model: type
    url: Callable[[Any], str]
    title: Callable[[Any], str] = str
    #: (partner_id, contact_id) the record stands for, if any (a converted lead's partner).
    partner_of: Callable[[Any], tuple[int | None, int | None]] | None = None


def linkable_types() -> dict[str, LinkableType]:
    from core.plugins import call_each, flatten

    return {t.name: t for _m, t in flatten(call_each("register_linkable_types", safe=True))}


def resolve(type_name: str, record_id: int, user=None):
    """The record behind a link, or None if the type is unknown (module disabled), the
    record is gone, or ``user`` may not see it."""
    from core import access

    linkable = linkable_types().get(type_name)
    if linkable is None:
        return None
    record = db.session.get(linkable.model, record_id)
    if record is None or (user is not None and not access.sees(user, record)):
        return None
    return record
