"""The platform's hooks. Modules implement them with ``@hookimpl`` (``from core import
hookimpl``), asking only for the keyword arguments they use. See docs/hooks.md.

Families: ``register_*`` returns things, ``*_panels`` fills a slot of a page, ``on_*``
tells that a business event happened (called inside its transaction: raising rolls it
back), ``prepare_*`` changes an object before it is used, ``extra_*`` adds assets.
"""

from __future__ import annotations

from typing import Any

from core.plugins import hookspec


@hookspec
def register_blueprints() -> list:
    """Return the Flask blueprints (pages and API) of the module."""


@hookspec
def register_menu_entries() -> list:
    """Return ``core.web.MenuEntry`` items for the main navigation."""


@hookspec
def register_jobs() -> list:
    """Return ``core.scheduler.Job`` items that ``comptoir scheduler`` runs periodically."""


@hookspec
def register_cli_commands() -> list:
    """Return click commands added to the ``comptoir`` command line."""


@hookspec
def register_access_rules() -> list:
    """Return ``core.access.AccessRule`` items: who may see and do what on a model."""


@hookspec
def register_linkable_types() -> list:
    """Return ``core.records.LinkableType`` items: record types events can be linked to."""


@hookspec
def register_reminder_channels() -> list:
    """Return ``core.notifications.Channel`` items that reminders can be sent through."""


@hookspec
def register_settings() -> list:
    """Return ``core.settings.Setting`` items that administrators can change."""


@hookspec
def register_demo_data() -> Any:
    """Return a callable ``load(app)`` that adds the module's demo data (idempotently)."""


@hookspec
def record_panels(record_type: str, record: Any, user: Any) -> Any:
    """Return a ``core.web.Panel`` (or a list) for the page of a record, or None."""


@hookspec
def home_panels(user: Any) -> Any:
    """Return a ``core.web.Panel`` (or a list) for the user's home page, or None."""


@hookspec
def timeline_entries(record_type: str, record: Any, user: Any) -> list:
    """Return extra ``core.timeline.Entry`` items to show in a record's timeline."""


@hookspec
def prepare_user_json(user: Any, data: dict) -> None:
    """Add fields to the API representation of a user (``data`` is changed in place)."""


@hookspec
def extra_js_urls() -> list:
    """Return URLs of scripts added to every page (served from the module's static)."""


@hookspec
def extra_css_urls() -> list:
    """Return URLs of stylesheets added to every page."""


@hookspec
def on_startup(app: Any) -> None:
    """The application was created and its modules loaded."""


@hookspec
def on_partner_promoted(partner: Any, by: Any) -> None:
    """A prospect partner became a customer (inside the transaction)."""


@hookspec
def on_module_enabled(name: str) -> None:
    """Module ``name`` was just enabled (inside the transaction)."""
