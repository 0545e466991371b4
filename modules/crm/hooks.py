"""Hook implementations of the crm module."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import hookimpl
from modules.crm import models  # noqa: F401 - the tables must be known to the metadata


@hookimpl
def register_access_rules():
    from modules.crm.access import rules

    return rules()


@hookimpl
def register_blueprints():
    from modules.crm.api import api

    return [api]
