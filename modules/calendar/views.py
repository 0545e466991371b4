"""Calendar pages: the calendar (FullCalendar fed by a JSON endpoint), the event modal form,
the event page, record panels and the feed secret on the profile."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import format_time, get_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from core import access, timeline
from core.auth.models import User
from core.auth.services import active_users
from core.db import db, utcnow
from core.errors import BusinessError
from core.extensions import is_htmx
from core.notifications import channels
from core.partners.models import Contact, Partner
from core.records import linkable_types
from core.web import int_or_none, render, url_pattern
from modules.calendar import feed, services
from modules.calendar.models import EVENT_TYPES, Event

bp = Blueprint("calendar", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/calendar")

UNITS = {"minutes": 1, "hours": 60, "days": 1440, "weeks": 10080}
MAX_WINDOW = timedelta(days=366)
PANEL_LIMIT = 8


@bp.before_request
@login_required
def _login():
    return None


def _tz() -> ZoneInfo:
    return ZoneInfo(str(get_timezone()))


def _local_input(value: datetime | None, all_day: bool = False) -> str:
    if value is None:
        return ""
    if all_day:
        return value.astimezone(UTC).strftime("%Y-%m-%dT00:00")
    return value.astimezone(_tz()).strftime("%Y-%m-%dT%H:%M")


def _parse_local(value: str | None, field: str, errors: dict, all_day: bool = False) -> datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        if "T" in value:  # a "+01:00" offset decoded from a URL as " 01:00"
            value = value.replace(" ", "+")
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC if all_day else _tz())
        parsed = parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        errors[field] = [_("Not a valid date and time.")]
        return None
    if not 1900 < parsed.year < 9000:
        errors[field] = [_("Not a valid date and time.")]
        return None
    return parsed




def _ints(values) -> list[int]:
    return [n for n in (int_or_none(v) for v in values) if n is not None]


# --- the calendar --------------------------------------------------------------------

@bp.get("/calendar")
def calendar_page():
    who = request.args.get("who", "me")
    if who not in ("me", "team") and int_or_none(who) is None:
        who = "me"
    # The calendar shows the time zone the rest of the app formats dates in (the user's
    # saved one, else the default), not the browser's.
    return render("calendar/calendar.html", who=who, users=active_users(), timezone=str(_tz()))


def _window() -> tuple[datetime, datetime]:
    errors: dict = {}
    start = _parse_local(request.args.get("start"), "start", errors, all_day=True)
    end = _parse_local(request.args.get("end"), "end", errors, all_day=True)
    if not errors and (start is None or end is None or end <= start or end - start > MAX_WINDOW):
        errors["end"] = ["give start < end, at most a year apart"]
    if errors:
        _feed_refusal("Invalid window", errors)
    return start, end


def _feed_refusal(title: str, errors: dict) -> None:
    """The JSON feed's 422: problem+json naming the wrong parameters."""
    abort(Response(json.dumps({"title": title, "status": 422, "errors": errors}),
                   status=422, mimetype="application/problem+json"))


# Made once: an alias builds its attribute proxies on first use (7 ms a request).
_FEED_ORGANIZER = sa.orm.aliased(User, name="organizer")
_FEED_PARTNER = sa.orm.aliased(Partner, name="partner")


@bp.get("/calendar/events.json")
def events_json():
    """FullCalendar's event source: the visible events overlapping the window."""
    start, end = _window()
    stmt = services.overlapping(services.visible_events(current_user), start, end)
    who = request.args.get("who", "me")
    if who == "me":
        stmt = services.involving(stmt, current_user.id)
    elif who != "team":
        user_id = int_or_none(who)
        if user_id is None:
            _feed_refusal("Invalid calendar", {"who": ["me, team or a user id"]})
        stmt = services.involving(stmt, user_id)
    if request.args.get("cancelled") != "1":
        stmt = stmt.where(Event.status != "cancelled")
    # Plain columns, not events with their partner and organizer: a team's week is hundreds.
    organizer, partner = _FEED_ORGANIZER, _FEED_PARTNER
    events = db.session.execute(
        stmt.with_only_columns(Event.id, Event.organizer_id, Event.subject, Event.type, Event.status,
                               Event.version, Event.all_day, Event.start, Event.end, Event.location,
                               organizer.name.label("organizer_name"), partner.name.label("partner_name"))
        .join(organizer, organizer.id == Event.organizer_id)
        .outerjoin(partner, partner.id == Event.partner_id)
        .order_by(Event.start).limit(2000)).all()
    updatable = services.updatable_ids(current_user, events)
    event_url = url_pattern("calendar.show_event", "event_id")
    items = []
    for event in events:
        editable = event.status == "planned" and event.id in updatable
        item = {
            "id": str(event.id),
            "title": event.subject if event.organizer_id == current_user.id or who == "me"
            else f"{event.subject} · {event.organizer_name}", "url": event_url(event.id),
            "allDay": event.all_day, "editable": editable,
            "classNames": [f"ev-{event.type}", f"ev-{event.status}"],
            "extendedProps": {"type": event.type, "status": event.status, "version": event.version,
                              "partner": event.partner_name, "organizer": event.organizer_name,
                              "location": event.location},
        }
        if event.all_day:
            item["start"], item["end"] = event.start.date().isoformat(), event.end.date().isoformat()
        else:
            item["start"], item["end"] = event.start.isoformat(), event.end.isoformat()
        items.append(item)
    return Response(json.dumps(items), mimetype="application/json")


# --- the event form (modal) ----------------------------------------------------------

def _reminder_rows(event: Event | None, values: dict) -> list[dict]:
    rows = []
    specs = services.reminder_specs_of(event) if event is not None else values.get("_default_reminders", [])
    for spec in specs:
        if spec.get("offset_minutes") is not None:
            offset = spec["offset_minutes"]
            unit = next(u for u in ("weeks", "days", "hours", "minutes") if offset % UNITS[u] == 0 or u == "minutes")
            rows.append({"mode": "before", "amount": offset // UNITS[unit], "unit": unit, "at": "",
                         "channel": spec["channel"]})
        else:
            rows.append({"mode": "at", "amount": "", "unit": "minutes", "at": _local_input(spec["remind_at"]),
                         "channel": spec["channel"]})
    return rows


def _form_reminders(form, errors: dict) -> tuple[list[dict], list[dict], list[int]]:
    """(specs for the service, rows to show again, spec index -> row index)."""
    specs, rows, origin = [], [], []
    for i in range(20):
        mode = form.get(f"reminders-{i}-mode")
        if mode is None:
            continue
        row = {"mode": mode, "amount": form.get(f"reminders-{i}-amount", "").strip(),
               "unit": form.get(f"reminders-{i}-unit", "minutes"), "at": form.get(f"reminders-{i}-at", ""),
               "channel": form.get(f"reminders-{i}-channel", "notification")}
        index = len(rows)
        rows.append(row)
        if mode == "before":
            if row["amount"] == "":
                continue
            try:
                amount = int(row["amount"])
            except ValueError:
                errors[f"reminders-{index}"] = [_("Give a whole number.")]
                continue
            specs.append({"offset_minutes": amount * UNITS.get(row["unit"], 1), "channel": row["channel"]})
            origin.append(index)
        elif mode == "at":
            if not row["at"].strip():
                continue
            at = _parse_local(row["at"], f"reminders-{index}", errors)
            if at is not None:
                specs.append({"remind_at": at, "channel": row["channel"]})
                origin.append(index)
    return specs, rows, origin


def _map_errors(errors: dict, origin: list[int]) -> dict:
    mapped = {}
    for key, messages in errors.items():
        parts = key.split(".")
        if parts[0] == "reminders" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(origin):
            mapped.setdefault(f"reminders-{origin[int(parts[1])]}", []).extend(messages)
        elif parts[0] == "related":
            mapped.setdefault("form", []).extend(messages)
        else:
            mapped.setdefault(parts[0], []).extend(messages)
    return mapped


def _form_values(form, errors: dict) -> dict:
    all_day = bool(form.get("all_day"))
    values = {
        "type": form.get("type", "meeting"),
        "subject": form.get("subject", "").strip(),
        "start": _parse_local(form.get("start"), "start", errors, all_day),
        "end": _parse_local(form.get("end"), "end", errors, all_day),
        "all_day": all_day,
        "location": form.get("location", "").strip()[:200] or None,
        "description": form.get("description", "").strip()[:20000] or None,
        "partner_id": int_or_none(form.get("partner_id")),
        "contact_id": int_or_none(form.get("contact_id")),
        "attendee_user_ids": _ints(form.getlist("attendee_user_ids")),
        "attendee_contact_ids": _ints(form.getlist("attendee_contact_ids")),
    }
    if values["type"] not in EVENT_TYPES:
        errors["type"] = [_("Unknown event type.")]
    if not values["subject"]:
        errors["subject"] = [_("This field is required.")]
    elif len(values["subject"]) > 200:
        errors["subject"] = [_("At most %(n)d characters.", n=200)]
    if values["start"] is None and "start" not in errors:
        errors["start"] = [_("This field is required.")]
    if form.get("organizer_id") and current_user.is_manager:
        values["organizer_id"] = int_or_none(form.get("organizer_id"))
    related_type, related_id = form.get("related_type"), int_or_none(form.get("related_id"))
    if related_type and related_id:
        values["related"] = {"type": related_type, "id": related_id}
    return values


def _form_context(event: Event | None, values: dict, errors: dict, rows: list[dict]) -> dict:
    partner_id = int_or_none(values.get("partner_id"))
    partner = db.session.get(Partner, partner_id) if partner_id else None
    partners = db.session.scalars(
        access.visible(sa.select(Partner), Partner, current_user).order_by(Partner.name_search).limit(500)).all()
    if partner is not None and partner not in partners:
        partners = [partner, *partners]
    related = None
    if values.get("related_type") and values.get("related_id"):
        linkable = linkable_types().get(values["related_type"])
        record = None
        if linkable is not None:
            record = db.session.get(linkable.model, int_or_none(values["related_id"]) or 0)
        if record is not None and access.sees(current_user, record):
            related = {"label": linkable.label, "title": linkable.title(record)}
    return {"event": event, "values": values, "errors": errors, "rows": rows or [],
            "partners": partners, "partner": partner,
            "contacts": partner.contacts if partner is not None else [],
            "users": active_users(), "channels": channels(), "types": EVENT_TYPES, "related": related,
            "units": list(UNITS)}


def _success(event: Event, message: str):
    if is_htmx():
        response = Response(status=204)
        response.headers["HX-Trigger"] = json.dumps({
            "closeModal": True, "calendarChanged": {"id": event.id},
            "flash": {"message": message, "category": "success"}})
        return response
    flash(message, "success")
    return redirect(url_for("calendar.show_event", event_id=event.id), 303)


@bp.route("/calendar/events/new", methods=["GET", "POST"])
def new_event():
    errors: dict = {}
    if request.method == "POST":
        values = _form_values(request.form, errors)
        specs, rows, origin = _form_reminders(request.form, errors)
        shown = {**request.form.to_dict(), "attendee_user_ids": values["attendee_user_ids"],
                 "attendee_contact_ids": values["attendee_contact_ids"]}
        if not errors:
            values["reminders"] = specs
            try:
                event = services.create_event(values, by=current_user, done=request.form.get("done") == "1")
            except BusinessError as exc:
                db.session.rollback()
                errors = _map_errors(exc.errors or {"form": [exc.message]}, origin)
            else:
                return _success(event, _("Event “%(subject)s” saved.", subject=event.subject))
        return render("calendar/form.html", fragment="modal",
                      **_form_context(None, shown, errors, rows)), 422
    args = request.args
    all_day = args.get("all_day") in ("1", "true")
    start = _parse_local(args.get("start"), "start", errors, all_day)
    if start is None:
        now = utcnow().astimezone(_tz())
        start = (now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)).astimezone(UTC)
    end = _parse_local(args.get("end"), "end", errors, all_day)
    if all_day and end is not None and end > start:
        end = end - timedelta(days=1)  # FullCalendar's exclusive end -> the last day
    event_type = args.get("type") if args.get("type") in EVENT_TYPES else "meeting"
    done = args.get("done") == "1"
    if end is None or end < start:
        end = start + (timedelta(minutes=30) if event_type == "call" else timedelta(hours=1))
    if done and not args.get("start"):
        end = utcnow().replace(second=0, microsecond=0)
        start = end - timedelta(minutes=15)
    partner_id, contact_id = int_or_none(args.get("partner_id")), int_or_none(args.get("contact_id"))
    if contact_id and not partner_id:
        contact = db.session.get(Contact, contact_id)
        partner_id = contact.partner_id if contact else None
    values = {
        "type": event_type, "start": _local_input(start, all_day), "end": _local_input(end, all_day),
        "all_day": all_day, "partner_id": partner_id, "contact_id": contact_id, "done": "1" if done else "",
        "related_type": args.get("related_type", "")[:40], "related_id": int_or_none(args.get("related_id")) or "",
        "attendee_user_ids": [], "attendee_contact_ids": [contact_id] if contact_id else [],
        "subject": {"call": _("Call"), "meeting": _("Meeting")}.get(event_type, "") if done else "",
    }
    rows = [] if done else [{"mode": "before", "amount": 15, "unit": "minutes", "at": "", "channel": "notification"}]
    return render("calendar/form.html", fragment="modal", **_form_context(None, values, errors, rows))


@bp.get("/calendar/events/contacts")
def contact_options():
    """The contact pickers for the chosen partner (HTMX)."""
    partner_id = int_or_none(request.args.get("partner_id"))
    partner = db.session.get(Partner, partner_id) if partner_id else None
    values = {"contact_id": None, "attendee_contact_ids": []}
    return render("calendar/_contact_fields.html", contacts=partner.contacts if partner else [],
                  values=values, errors={})


def _load(event_id: int, action: str = "read") -> Event:
    return access.get_or_404(Event, event_id, current_user, action, options=services.load_options())


@bp.route("/calendar/events/<int:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id: int):
    event = _load(event_id, "update")
    errors: dict = {}
    if request.method == "POST":
        values = _form_values(request.form, errors)
        specs, rows, origin = _form_reminders(request.form, errors)
        shown = {**request.form.to_dict(), "attendee_user_ids": values["attendee_user_ids"],
                 "attendee_contact_ids": values["attendee_contact_ids"]}
        if not errors:
            values["reminders"] = specs
            if "related" not in values:
                values["related"] = None
            try:
                services.update_event(event, values, by=current_user, version=int_or_none(request.form.get("version")))
            except BusinessError as exc:
                db.session.rollback()
                errors = _map_errors(exc.errors or {"form": [exc.message]}, origin)
                status = exc.status
            else:
                return _success(event, _("Event “%(subject)s” saved.", subject=event.subject))
        else:
            status = 422
        event = _load(event_id)
        return render("calendar/form.html", fragment="modal",
                      **_form_context(event, shown, errors, rows)), 422 if status == 422 else status
    values = {
        "type": event.type, "subject": event.subject, "start": _local_input(event.start, event.all_day),
        "end": _local_input(event.end - timedelta(days=1) if event.all_day else event.end, event.all_day),
        "all_day": event.all_day, "location": event.location, "description": event.description,
        "partner_id": event.partner_id, "contact_id": event.contact_id, "organizer_id": event.organizer_id,
        "attendee_user_ids": [u.id for u in event.attendee_users],
        "attendee_contact_ids": [c.id for c in event.attendee_contacts],
        "related_type": event.related_type or "", "related_id": event.related_id or "", "version": event.version,
    }
    return render("calendar/form.html", fragment="modal",
                  **_form_context(event, values, errors, _reminder_rows(event, values)))


@bp.get("/calendar/events/<int:event_id>")
def show_event(event_id: int):
    event = _load(event_id)
    related = None
    if event.related_type:
        linkable = linkable_types().get(event.related_type)
        if linkable is not None:
            record = db.session.get(linkable.model, event.related_id)
            if record is not None and access.sees(current_user, record):
                related = {"label": linkable.label, "title": linkable.title(record), "url": linkable.url(record)}
    return render("calendar/detail.html", event=event, related=related, channels=channels(),
                  timedelta_day=timedelta(days=1), offset_label=offset_label, format_time=format_time,
                  user_tz=_tz(),
                  entries=timeline.entries_for(event, current_user),
                  can_edit=access.can(current_user, "update", event),
                  can_delete=access.can(current_user, "delete", event))


def offset_label(minutes: int) -> str:
    from flask_babel import ngettext

    if minutes == 0:
        return _("At the start")
    for unit, size in (("weeks", 10080), ("days", 1440), ("hours", 60)):
        if minutes % size == 0:
            n = minutes // size
            return {"weeks": ngettext("%(num)d week before", "%(num)d weeks before", n),
                    "days": ngettext("%(num)d day before", "%(num)d days before", n),
                    "hours": ngettext("%(num)d hour before", "%(num)d hours before", n)}[unit]
    return ngettext("%(num)d minute before", "%(num)d minutes before", minutes)


def _action(event_id: int, action: str, fn, message: str):
    event = _load(event_id, action)
    try:
        fn(event, by=current_user, version=int_or_none(request.form.get("version")))
    except BusinessError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("calendar.show_event", event_id=event_id), 303)
    flash(message % {"subject": event.subject}, "success")
    return redirect(request.form.get("next") if (request.form.get("next") or "").startswith("/")
                    and not request.form.get("next", "").startswith("//")
                    else url_for("calendar.show_event", event_id=event_id), 303)


@bp.post("/calendar/events/<int:event_id>/done")
def done_event(event_id: int):
    return _action(event_id, "done", services.mark_done, _("“%(subject)s” is done."))


@bp.post("/calendar/events/<int:event_id>/cancel")
def cancel_event(event_id: int):
    return _action(event_id, "cancel", services.cancel_event, _("“%(subject)s” is cancelled."))


@bp.post("/calendar/events/<int:event_id>/delete")
def delete_event(event_id: int):
    event = _load(event_id, "delete")
    subject = event.subject
    services.delete_event(event, by=current_user)
    flash(_("“%(subject)s” was deleted.", subject=subject), "success")
    return redirect(url_for("calendar.calendar_page"), 303)


# --- panels on record pages -----------------------------------------------------------

def _record_filter(record_type: str, record) -> sa.ColumnElement | None:
    from modules.calendar.models import event_contact

    if record_type == "partner":
        return Event.partner_id == record.id
    if record_type == "contact":
        return sa.or_(Event.contact_id == record.id, Event.id.in_(
            sa.select(event_contact.c.event_id).where(event_contact.c.contact_id == record.id)))
    if record_type in linkable_types():
        return sa.and_(Event.related_type == record_type, Event.related_id == record.id)
    return None


def panel_html(record_type: str, record) -> tuple[Markup, int] | None:
    condition = _record_filter(record_type, record)
    if condition is None:
        return None
    now = utcnow()
    # The record's events the user sees, once: the next and the last PANEL_LIMIT of them and
    # their count all read it. Written out three times, the visibility condition took
    # PostgreSQL 2 of the statement's 3 ms to plan.
    seen = (services.visible_events(current_user).where(condition)
            .with_only_columns(Event.id, Event.start, Event.end).order_by(None).cte("seen"))
    # The next and the last PANEL_LIMIT events in one query (and their reminders in one).
    ids = sa.union_all(
        sa.select(sa.select(seen.c.id).where(seen.c.end >= now)
                  .order_by(seen.c.start, seen.c.id).limit(PANEL_LIMIT).subquery()),
        sa.select(sa.select(seen.c.id).where(seen.c.end < now)
                  .order_by(seen.c.start.desc(), seen.c.id.desc()).limit(PANEL_LIMIT).subquery()))
    # The count of all of them rides along as a column (none shown: none at all).
    total = sa.select(sa.func.count()).select_from(seen).scalar_subquery()
    rows = db.session.execute(
        sa.select(Event, total).where(Event.id.in_(ids))
        .options(sa.orm.selectinload(Event.reminders), sa.orm.joinedload(Event.organizer))
        .order_by(Event.start, Event.id)).unique().all()
    events = [row[0] for row in rows]
    total = rows[0][1] if rows else 0
    upcoming = [e for e in events if e.end >= now]
    past = [e for e in reversed(events) if e.end < now]
    prefill = {"partner": {"partner_id": record.id}, "contact": {"contact_id": record.id}}.get(
        record_type, {"related_type": record_type, "related_id": record.id})
    from flask import render_template

    html = render_template("calendar/_panel.html", upcoming=upcoming, past=past, total=total, prefill=prefill,
                           record_type=record_type, record_id=record.id, now=now)
    return Markup(html), total  # noqa: S704  # nosec B704 - rendered by Jinja with autoescape


@bp.get("/calendar/panel/<record_type>/<int:record_id>")
def panel(record_type: str, record_id: int):
    """The events panel alone, reloaded after the modal saved an event."""
    models = {"partner": Partner, "contact": Contact}
    model = models.get(record_type)
    if model is None:
        linkable = linkable_types().get(record_type)
        model = linkable.model if linkable else None
    if model is None:
        abort(404)
    record = access.get_or_404(model, record_id, current_user)
    result = panel_html(record_type, record)
    if result is None:
        abort(404)
    return result[0]


def agenda_html(user) -> tuple[str, int]:
    """The home page's agenda: the user's planned events of the next seven days."""
    from flask import render_template

    now = utcnow()
    stmt = (services.involving(services.visible_events(user), user.id)
            .where(Event.status == "planned", Event.end >= now, Event.start < now + timedelta(days=7))
            .options(sa.orm.joinedload(Event.partner)).order_by(Event.start, Event.id).limit(10))
    events = db.session.scalars(stmt).unique().all()
    return render_template("calendar/_agenda.html", events=events, user_tz=_tz()), len(events)


# --- feed secret (profile) ----------------------------------------------------------

@bp.post("/calendar/feed/regenerate")
def regenerate_feed():
    feed.regenerate(current_user)
    flash(_("A new calendar feed address was made; the old one no longer works."), "success")
    return redirect(url_for("auth.profile") + "#calendar-feed", 303)
