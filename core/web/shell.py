"""What every page's layout needs: the menu of the active modules, the bell, assets."""

from __future__ import annotations

import logging
from functools import cached_property

from flask import current_app, g, request, url_for
from flask_login import current_user
from markupsafe import Markup

from core.plugins import call_each, flatten

log = logging.getLogger("comptoir.web")


def declared(name: str, key: tuple = ()) -> list[tuple[str, object]]:
    """The (module, item) results of a hook without arguments that *declares* things
    (menu entries, scripts, stylesheets), called once per active set of modules and
    ``key`` rather than on every page: they were a tenth of a list page's time.

    The registry's cache is emptied when a module is enabled or disabled, or a plugin
    registered. A module whose implementation raised is retried on the next page."""
    registry = current_app.extensions["comptoir"]
    registry._check_plugins()
    cache_key = ("declared", name, *key)
    items = registry.cache.get(cache_key)
    if items is None:
        failures = registry.hook_failure_count
        items = list(flatten(call_each(name)))
        if registry.hook_failure_count != failures:
            return items
        registry.cache[cache_key] = items
    return items


def _menu_entries(locale: str) -> list[tuple[object, str, str]]:
    """(entry, label, url) of every active module's menu entry, in menu order, for one
    locale and root URL; computed once per active set."""
    registry = current_app.extensions["comptoir"]
    cache_key = ("menu", locale, request.script_root)
    entries = registry.cache.get(cache_key)
    if entries is not None:
        return entries
    entries, failures = [], registry.hook_failure_count
    for _module, entry in declared("register_menu_entries"):
        try:
            url = url_for(entry.endpoint, **entry.url_kwargs)
        except Exception:  # an endpoint of a module that failed to register
            log.warning("menu entry %s has no route", entry.endpoint)
            continue
        entries.append((entry, str(entry.label), url))
    entries.sort(key=lambda e: e[0].order)
    if registry.hook_failure_count == failures:
        registry.cache[cache_key] = entries
    return entries


def menu_for(user) -> list[dict]:
    from core.i18n import current_locale_id

    req = request._get_current_object()
    endpoint, blueprint, path = req.endpoint, req.blueprint, req.path
    entries = []
    for entry, label, url in _menu_entries(current_locale_id()):
        if entry.allowed is not None and not entry.allowed(user):
            continue
        active = endpoint == entry.endpoint or bool(
            blueprint and entry.endpoint.split(".")[0] == blueprint
            and path.startswith(url.rstrip("/") or "/"))
        entries.append({"label": label, "url": url, "icon": entry.icon, "order": entry.order, "active": active})
    return entries


def bell_badge(count: int | None) -> Markup:
    """The bell's count of unread notifications (a template global: every page's navigation
    shows it, and ``web.bell`` answers it alone every 30 seconds)."""
    from core.i18n import current_translations
    from core.web import template_url_for

    count = count or 0
    return Markup(
        '<span id="bell-count" hx-get="{}" hx-trigger="every 30s" hx-swap="outerHTML" '
        'class="position-absolute top-0 start-100 translate-middle badge rounded-pill bg-danger{}" '
        'data-count="{}">{}<span class="visually-hidden"> {}</span></span>'
    ).format(template_url_for("web.bell"), "" if count else " d-none", count, count,
             current_translations().ugettext("unread"))


class Shell:
    """The layout's parts that cost a query or a hook call: computed the first time a
    template asks for them, so an HTMX fragment (a list's rows while the user types) does
    not pay for a menu it does not show."""

    def __init__(self, user):
        self.user = user if user is not None and user.is_authenticated else None

    @cached_property
    def menu(self) -> list[dict]:
        return menu_for(self.user) if self.user else []

    @cached_property
    def unread_notifications(self) -> int:
        return (self.user.unread_notifications or 0) if self.user else 0

    @cached_property
    def extra_js(self) -> list[str]:
        return [url for _m, url in declared("extra_js_urls", (request.script_root,))] if self.user else []

    @cached_property
    def extra_css(self) -> list[str]:
        return [url for _m, url in declared("extra_css_urls", (request.script_root,))] if self.user else []


def shell_context() -> dict:
    """Once per request (panels render their own templates, which would otherwise run this
    again)."""
    from core.i18n import current_locale_id

    if not request:
        return {"shell": Shell(None)}
    cached = g.get("_shell_context")
    if cached is None:
        user = current_user._get_current_object()
        cached = g._shell_context = {
            "company_name": current_app.config["COMPANY_NAME"],
            "current_locale": current_locale_id,
            "shell": Shell(user),
        }
    return cached
