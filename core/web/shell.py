"""What every page's layout needs: the menu of the active modules, the bell, assets."""

from __future__ import annotations

import logging

from flask import current_app, g, request, url_for
from flask_login import current_user

from core.plugins import call_each, flatten

log = logging.getLogger("comptoir.web")


def menu_for(user) -> list[dict]:
    entries = []
    for _module, entry in flatten(call_each("register_menu_entries")):
        if entry.allowed is not None and not entry.allowed(user):
            continue
        try:
            url = url_for(entry.endpoint, **entry.url_kwargs)
        except Exception:  # an endpoint of a module that failed to register
            log.warning("menu entry %s has no route", entry.endpoint)
            continue
        active = request.endpoint == entry.endpoint or (
            request.blueprint and entry.endpoint.split(".")[0] == request.blueprint
            and request.path.startswith(url.rstrip("/") or "/")
        )
        entries.append({"label": str(entry.label), "url": url, "icon": entry.icon,
                        "order": entry.order, "active": bool(active)})
    entries.sort(key=lambda e: e["order"])
    return entries


def shell_context() -> dict:
    """Computed once per request (panels render their own templates, which would
    otherwise run this again)."""
    if not request or request.path.startswith("/api/") or request.path.startswith("/static"):
        return {}
    cached = g.get("_shell_context")
    if cached is not None:
        return cached
    g._shell_context = _shell_context()
    return g._shell_context


def _shell_context() -> dict:
    from flask_babel import get_locale

    context = {"company_name": current_app.config["COMPANY_NAME"],
               "current_locale": lambda: str(get_locale() or "en")}
    if current_user.is_authenticated:
        from core.notifications import unread_count

        context["menu"] = menu_for(current_user)
        context["unread_notifications"] = unread_count(current_user.id)
        context["extra_js"] = [url for _m, url in flatten(call_each("extra_js_urls"))]
        context["extra_css"] = [url for _m, url in flatten(call_each("extra_css_urls"))]
    return context
