"""Settings that administrators change at run time (stored in ``core_setting``).

Modules declare theirs with ``register_settings``; :func:`get` returns the stored value
or the declared default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from core.db import db
from core.models import Setting as SettingRow


@dataclass
class Setting:
    key: str  # "crm.mark_opportunity_won_on_order"
    label: str
    default: Any
    type: str = "bool"  # bool, int, str
    help: str = ""


def declared() -> dict[str, Setting]:
    from core.plugins import call_each, flatten

    return {s.key: s for _m, s in flatten(call_each("register_settings", safe=True))}


def get(key: str, default: Any = None) -> Any:
    row = db.session.get(SettingRow, key)
    if row is not None:
        return json.loads(row.value)
    setting = declared().get(key)
    return setting.default if setting is not None else default


def set_value(key: str, value: Any) -> None:
    """Store a setting in the caller's transaction."""
    row = db.session.get(SettingRow, key)
    if row is None:
        db.session.add(SettingRow(key=key, value=json.dumps(value)))
    else:
        row.value = json.dumps(value)
