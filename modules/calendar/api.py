"""The calendar's REST API: /events and the private ICS feed."""

from __future__ import annotations

from datetime import UTC, timedelta

import sqlalchemy as sa
from flask import Response

from core import access
from core.api import ApiBlueprint, ApiError, api_user, page_of
from core.db import db
from core.errors import BusinessError
from modules.calendar import feed, services
from modules.calendar.jobs import event_path
from modules.calendar.models import Event
from modules.calendar.schemas import EventIn, EventOut, EventPatch, EventQuery

api = ApiBlueprint("calendar_api", __name__, tag="events")

MAX_WINDOW = timedelta(days=366)


def event_json(event: Event) -> dict:
    return {
        "id": event.id, "type": event.type, "subject": event.subject, "start": event.start,
        "end": event.end, "all_day": event.all_day, "location": event.location,
        "description": event.description, "status": event.status, "organizer_id": event.organizer_id,
        "attendee_user_ids": [u.id for u in event.attendee_users],
        "attendee_contact_ids": [c.id for c in event.attendee_contacts],
        "partner_id": event.partner_id, "contact_id": event.contact_id,
        "related": {"type": event.related_type, "id": event.related_id} if event.related_type else None,
        "reminders": services.reminder_specs_of(event),
        "deliveries": [{"id": r.id, "user_id": r.user_id, "channel": r.channel, "due_at": r.due_at,
                        "state": r.state, "late": r.late, "attempts": r.attempts, "sent_at": r.sent_at,
                        "last_error": r.last_error} for r in event.reminders],
        "url": event_path(event.id), "version": event.version,
        "created_at": event.created_at, "updated_at": event.updated_at,
    }


def _fail(exc: BusinessError):
    raise ApiError(exc.status, "Invalid fields" if exc.status == 422 else "Conflict", exc.message,
                   exc.errors or None) from None


def _load(event_id: int, action: str = "read") -> Event:
    return access.get_or_404(Event, event_id, api_user(), action, options=services.load_options())


def _payload(data) -> dict:
    values = data.model_dump(exclude_unset=True)
    if "reminders" in values and values["reminders"] is not None:
        values["reminders"] = [r.model_dump() for r in data.reminders]
    if "related" in values and data.related is not None:
        values["related"] = data.related.model_dump()
    return values


def window_query(stmt: sa.Select, start, end) -> sa.Select:
    """Events overlapping [start, end); both bounds or none, at most a year apart (422)."""
    if start is None and end is None:
        return stmt
    if start is None or end is None:
        missing = "start" if start is None else "end"
        raise ApiError(422, "Invalid fields", "A window needs both start and end.",
                       {missing: ["required with the other bound of the window"]})
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    end = end if end.tzinfo else end.replace(tzinfo=UTC)
    if end <= start:
        raise ApiError(422, "Invalid fields", "The window ends before it starts.",
                       {"end": ["must be after start"]})
    if end - start > MAX_WINDOW:
        raise ApiError(422, "Invalid fields", "The window is longer than a year.",
                       {"end": ["the window may span at most one year"]})
    return services.overlapping(stmt, start, end)


@api.operation("/events", "GET", summary="List events (visible ones), optionally in a time window",
               query=EventQuery, response=EventOut, list_response=True)
def list_events(query: EventQuery):
    user = api_user()
    stmt = window_query(services.visible_events(user), query.start, query.end)
    if query.user_id is not None:
        stmt = services.involving(stmt, user.id if query.user_id == "me" else query.user_id)
    if query.partner_id is not None:
        stmt = stmt.where(Event.partner_id == query.partner_id)
    if query.contact_id is not None:
        stmt = stmt.where(Event.contact_id == query.contact_id)
    if (query.related_type is None) != (query.related_id is None):
        missing = "related_id" if query.related_id is None else "related_type"
        raise ApiError(422, "Invalid fields", "related_type and related_id go together.",
                       {missing: ["required with the other related_ parameter"]})
    if query.related_type is not None:
        stmt = stmt.where(Event.related_type == query.related_type, Event.related_id == query.related_id)
    if query.type is not None:
        stmt = stmt.where(Event.type == query.type)
    if query.status is not None:
        stmt = stmt.where(Event.status == query.status)
    if query.q:
        from core.web import search_pattern

        stmt = stmt.where(sa.func.lower(Event.subject).like(search_pattern(query.q), escape="\\"))
    stmt = stmt.options(*services.load_options()).order_by(Event.start, Event.id)
    result = page_of(stmt, query)
    result["items"] = [event_json(e) for e in result["items"]]
    return result


@api.operation("/events", "POST", summary="Create an event", body=EventIn, response=EventOut, status=201)
def create_event(data: EventIn):
    try:
        event = services.create_event(_payload(data), by=api_user())
    except BusinessError as exc:
        db.session.rollback()
        _fail(exc)
    return event_json(_load(event.id))


@api.operation("/events/<int:event_id>", "GET", summary="Read an event", response=EventOut)
def get_event(event_id: int):
    return event_json(_load(event_id))


@api.operation("/events/<int:event_id>", "PATCH", summary="Change an event (reminders follow)",
               body=EventPatch, response=EventOut)
def update_event(event_id: int, data: EventPatch):
    event = _load(event_id, "update")
    values = _payload(data)
    try:
        services.update_event(event, values, by=api_user(), version=values.pop("version", None))
    except BusinessError as exc:
        db.session.rollback()
        _fail(exc)
    return event_json(_load(event_id))


@api.operation("/events/<int:event_id>", "DELETE", summary="Delete an event and its reminders", status=204)
def delete_event(event_id: int):
    services.delete_event(_load(event_id, "delete"), by=api_user())


@api.operation("/events/<int:event_id>/done", "POST", summary="Mark a planned event done", response=EventOut)
def done_event(event_id: int):
    try:
        services.mark_done(_load(event_id, "done"), by=api_user())
    except BusinessError as exc:
        db.session.rollback()
        _fail(exc)
    return event_json(_load(event_id))


@api.operation("/events/<int:event_id>/cancel", "POST", summary="Cancel a planned event and its reminders",
               response=EventOut)
def cancel_event(event_id: int):
    try:
        services.cancel_event(_load(event_id, "cancel"), by=api_user())
    except BusinessError as exc:
        db.session.rollback()
        _fail(exc)
    return event_json(_load(event_id))


@api.operation("/calendar/feed/<secret>.ics", "GET", public=True, tag="calendar",
               produces="text/calendar",
               summary="A user's events as iCalendar (secret URL, no login)")
def calendar_feed(secret: str):
    user = feed.user_for_secret(secret)
    if user is None:
        raise ApiError(404, "Not Found")  # a bare problem: nothing about secrets or users
    body = feed.build_ics(user)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="comptoir.ics"', "Cache-Control": "private, max-age=300"})
