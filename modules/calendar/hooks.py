"""Hook implementations of the calendar module."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import hookimpl
from modules.calendar import models  # noqa: F401  (tables known to the metadata)


@hookimpl
def register_blueprints():
    from modules.calendar.api import api
    from modules.calendar.views import bp

    return [bp, api]


@hookimpl
def register_menu_entries():
    from core.web import MenuEntry

    return [MenuEntry(_l("Calendar"), "calendar.calendar_page", icon="calendar3", order=30)]


@hookimpl
def register_access_rules():
    from core.access import AccessRule
    from modules.calendar import services
    from modules.calendar.models import Event

    return [AccessRule(Event, condition=services.visible_condition, sees=services.sees, can=services.can)]


@hookimpl
def register_jobs():
    from flask import current_app

    from core.scheduler import Job
    from modules.calendar.jobs import dispatch_reminders

    try:
        seconds = float(current_app.config.get("CALENDAR_REMINDER_INTERVAL", 5))
    except RuntimeError:
        seconds = 5.0
    return [Job("reminders", dispatch_reminders, seconds=seconds, run_at_start=True)]


@hookimpl
def record_panels(record_type, record, user):
    from flask import url_for
    from markupsafe import Markup

    from core.web import Panel

    if record_type == "profile":
        from flask import render_template

        from modules.calendar import feed

        html = render_template("calendar/_feed_panel.html", feed_url=feed.feed_url(user),
                               regenerate_url=url_for("calendar.regenerate_feed"))
        return Panel(str(_l("Calendar feed")), Markup(html), order=50, id="calendar-feed")  # noqa: S704  # nosec B704 - autoescaped template
    from modules.calendar.views import panel_html

    result = panel_html(record_type, record)
    if result is None:
        return None
    html, total = result
    return Panel(str(_l("Events")), html, order=20, id="events", count=total)


@hookimpl
def prepare_user_json(user, data):
    from modules.calendar import feed

    data["calendar_feed_url"] = feed.feed_url(user)


@hookimpl
def register_demo_data():
    from modules.calendar.demo import load

    return load


@hookimpl
def extra_js_urls():
    from flask import url_for

    return [url_for("calendar.static", filename="calendar/forms.js")]


@hookimpl
def extra_css_urls():
    from flask import url_for

    return [url_for("calendar.static", filename="calendar/calendar.css")]


@hookimpl
def home_panels(user):
    from markupsafe import Markup

    from core.web import Panel
    from modules.calendar.views import agenda_html

    html, _count = agenda_html(user)
    return Panel(str(_l("My agenda")), Markup(html), order=10, id="agenda")  # noqa: S704  # nosec B704 - autoescaped template


@hookimpl(optionalhook=True)
def on_lead_converted(lead, partner, contact, by):
    """The lead's events now also belong to its partner and contact (same transaction)."""
    from .services import repoint_related

    repoint_related("lead", lead.id, partner_id=partner.id,
                    contact_id=contact.id if contact is not None else None)
