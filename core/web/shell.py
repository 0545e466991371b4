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
        entries.append({"label": label, "url": url, "icon": entry.icon, "order": entry.order, "active": active,
                        "admin": entry.admin})
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


#: Navigation bars kept (Shell.nav): one per user and menu state, all emptied beyond this.
NAV_CACHE_SIZE = 2000
_BELL, _CSRF = "\x00bell\x00", "\x00csrf\x00"  # placeholders: no template outputs a NUL
_BELL_MARKUP = Markup(_BELL)  # noqa: S704  # nosec B704 - a constant


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
    def nav(self) -> Markup:
        """The navigation bar (``web/_nav.html``), kept once rendered for this user (id,
        name, email, role), language, root URL and menu (entries, the active one): about
        30 translations and URLs a page, the same on each. The registry's cache holds it,
        so enabling or disabling a module starts again. The bell's count and the sign-out
        form's CSRF token change between pages: they are filled in each time."""
        from flask import render_template
        from flask_wtf.csrf import generate_csrf

        from core.i18n import current_locale_id

        user, menu = self.user, self.menu
        key = (current_locale_id(), request.script_root, user.id, user.name, user.email, user.role,
               *((e["label"], e["url"], e["icon"], e["active"], e["admin"]) for e in menu))
        registry = current_app.extensions["comptoir"]
        cache = registry.cache.setdefault("nav", {})
        html = cache.get(key)
        if html is None:
            html = render_template("web/_nav.html", user=user, menu=menu, bell=_BELL_MARKUP, csrf=_CSRF)
            if len(cache) >= NAV_CACHE_SIZE:
                cache.clear()
            cache[key] = html
        html = html.replace(_BELL, bell_badge(self.unread_notifications)).replace(_CSRF, generate_csrf())
        return Markup(html)  # noqa: S704  # nosec B704 - a rendered template, its two placeholders filled

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
