"""Event rules through the services: validation, status machine, reminders rewritten in
the same transaction, timeline entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.db import db
from core.errors import Conflict, ValidationError
from core.timeline import TimelineEntry
from modules.calendar import services
from modules.calendar.models import Event, Reminder
from tests.calendar.conftest import at


def make(user, **values):
    data = {"subject": "Démonstration", "start": at(2), "type": "meeting"}
    data.update(values)
    return services.create_event(data, by=user)


def test_create_defaults_and_reminders_per_recipient(sales, sales2, partner):
    event = make(sales, partner_id=partner.id, attendee_user_ids=[sales2.id],
                 reminders=[{"offset_minutes": 15, "channel": "notification"},
                            {"offset_minutes": 60, "channel": "email"}])
    assert event.organizer_id == sales.id
    assert event.end - event.start == timedelta(hours=1)
    assert event.status == "planned"
    rows = db.session.query(Reminder).filter_by(event_id=event.id).all()
    assert len(rows) == 4  # 2 recipients x 2 reminders
    assert {(r.user_id, r.channel) for r in rows} == {
        (sales.id, "notification"), (sales.id, "email"), (sales2.id, "notification"), (sales2.id, "email")}
    for r in rows:
        assert r.state == "pending"
        assert r.due_at == event.start - timedelta(minutes=r.offset_minutes)


@pytest.mark.parametrize("values, field", [
    ({"end": at(1)}, "end"),  # end before start (start is in 2 days)
    ({"attendee_user_ids": [999999]}, "attendee_user_ids"),
    ({"attendee_contact_ids": [999999]}, "attendee_contact_ids"),
    ({"reminders": [{"offset_minutes": -5, "channel": "notification"}]}, "reminders.0.offset_minutes"),
    ({"reminders": [{"offset_minutes": 5, "channel": "pigeon"}]}, "reminders.0.channel"),
    ({"reminders": [{"channel": "email"}]}, "reminders.0"),
    ({"partner_id": 999999}, "partner_id"),
    ({"contact_id": 999999}, "contact_id"),
    ({"related": {"type": "nope", "id": 1}}, "related.type"),
    ({"subject": "  "}, "subject"),
    ({"type": "party"}, "type"),
    ({"start": "not a date"}, "start"),
])
def test_validation_names_the_field(sales, values, field):
    with pytest.raises(ValidationError) as info:
        make(sales, **values)
    assert field in info.value.errors
    db.session.rollback()
    assert db.session.query(Event).count() == 0


def test_contact_must_belong_to_partner(sales, partner, contact):
    from core.partners import services as partners

    other = partners.create_partner({"name": "Autre"}, by=sales)
    with pytest.raises(ValidationError) as info:
        make(sales, partner_id=other.id, contact_id=contact.id)
    assert "contact_id" in info.value.errors
    db.session.rollback()
    event = make(sales, contact_id=contact.id)
    assert event.partner_id == partner.id  # taken from the contact


def test_only_managers_choose_another_organizer(sales, sales2, manager):
    with pytest.raises(ValidationError) as info:
        make(sales, organizer_id=sales2.id)
    assert "organizer_id" in info.value.errors
    db.session.rollback()
    assert make(manager, organizer_id=sales2.id).organizer_id == sales2.id


def test_all_day_events_span_whole_days(sales):
    event = make(sales, start=datetime(2027, 3, 4, 15, 30, tzinfo=UTC), end=datetime(2027, 3, 5, 9, tzinfo=UTC),
                 all_day=True)
    assert event.start == datetime(2027, 3, 4, tzinfo=UTC)
    assert event.end == datetime(2027, 3, 5, tzinfo=UTC)  # exclusive: one day
    one = make(sales, start=datetime(2027, 3, 4, tzinfo=UTC), all_day=True)
    assert one.end - one.start == timedelta(days=1)


def test_move_rewrites_pending_reminders_keeps_duration(sales):
    event = make(sales, end=at(2) + timedelta(minutes=30),
                 reminders=[{"offset_minutes": 30, "channel": "notification"},
                            {"remind_at": at(1), "channel": "notification"}])
    sent = event.reminders[0]
    new_start = at(5, hour=14)
    services.move_event(event, new_start, None, by=sales)
    event = db.session.get(Event, event.id)
    assert event.start == new_start and event.end == new_start + timedelta(minutes=30)
    by_kind = {r.offset_minutes: r for r in event.reminders}
    assert by_kind[30].due_at == new_start - timedelta(minutes=30)
    assert by_kind[None].due_at == at(1)  # an absolute reminder stays put
    assert sent is not None


def test_move_leaves_sent_reminders_alone(sales):
    event = make(sales, reminders=[{"offset_minutes": 10, "channel": "notification"}])
    reminder = event.reminders[0]
    reminder.state, old_due = "sent", reminder.due_at
    db.session.commit()
    services.move_event(event, at(3), None, by=sales)
    assert db.session.get(Reminder, reminder.id).due_at == old_due


def test_update_replaces_reminders_and_attendees(sales, sales2):
    event = make(sales, reminders=[{"offset_minutes": 10, "channel": "notification"}])
    services.update_event(event, {"attendee_user_ids": [sales2.id],
                                  "reminders": [{"offset_minutes": 1440, "channel": "email"}]}, by=sales)
    rows = db.session.query(Reminder).filter_by(event_id=event.id).all()
    assert {(r.user_id, r.channel, r.offset_minutes) for r in rows} == {
        (sales.id, "email", 1440), (sales2.id, "email", 1440)}
    services.update_event(event, {"attendee_user_ids": []}, by=sales)
    assert {r.user_id for r in db.session.query(Reminder).filter_by(event_id=event.id)} == {sales.id}


def test_stale_version_conflicts(sales):
    event = make(sales)
    with pytest.raises(Conflict):
        services.update_event(event, {"subject": "x"}, by=sales, version=event.version + 5)


ACTIONS = {"done": services.mark_done, "cancel": services.cancel_event}
ALLOWED = {("planned", "done"): "done", ("planned", "cancel"): "cancelled"}


@pytest.mark.parametrize("status", ["planned", "done", "cancelled"])
@pytest.mark.parametrize("action", ["done", "cancel"])
def test_status_machine(sales, status, action):
    event = make(sales, reminders=[{"offset_minutes": 5, "channel": "notification"}])
    if status != "planned":
        ACTIONS["done" if status == "done" else "cancel"](event, by=sales)
    expected = ALLOWED.get((status, action))
    if expected is None:
        with pytest.raises(Conflict):
            ACTIONS[action](event, by=sales)
        db.session.rollback()
        assert db.session.get(Event, event.id).status == status
    else:
        ACTIONS[action](event, by=sales)
        assert db.session.get(Event, event.id).status == expected
        # Pending reminders never outlive a done or cancelled event.
        assert {r.state for r in db.session.get(Event, event.id).reminders} == {"cancelled"}


def test_log_a_call_is_created_done_with_timeline(sales, partner, contact):
    event = services.create_event({"type": "call", "subject": "Appel", "start": at(-1), "contact_id": contact.id,
                                   "reminders": [{"offset_minutes": 5, "channel": "notification"}]},
                                  by=sales, done=True)
    assert event.status == "done"
    assert {r.state for r in event.reminders} == {"cancelled"}
    texts = {(e.record_type, e.text) for e in db.session.query(TimelineEntry)}
    assert ("partner", "Call logged") in texts
    assert ("contact", "Call logged") in texts
    assert ("event", "Call logged") in texts


def test_meeting_scheduled_on_partner_timeline(sales, partner):
    make(sales, partner_id=partner.id, subject="Revue")
    texts = [e.text for e in db.session.query(TimelineEntry).filter_by(record_type="partner", record_id=partner.id)]
    assert sorted(texts) == ["Meeting scheduled", "Partner created"]


def test_delete_removes_reminders(sales):
    event = make(sales, reminders=[{"offset_minutes": 5, "channel": "notification"}])
    services.delete_event(event, by=sales)
    assert db.session.query(Reminder).count() == 0


def test_access_condition(app, sales, sales2, manager, partner):
    from core import access

    own = make(sales)
    attended = make(sales2, attendee_user_ids=[sales.id])
    of_my_partner = make(sales2, partner_id=partner.id)  # partner's salesperson is `sales`
    private = make(sales2)
    visible = {e.id for e in db.session.scalars(services.visible_events(sales))}
    assert visible == {own.id, attended.id, of_my_partner.id}
    assert access.sees(sales, own) and not access.sees(sales, private)
    assert {e.id for e in db.session.scalars(services.visible_events(manager))} >= {private.id}
    assert access.can(sales, "update", attended) and not access.can(sales, "update", of_my_partner)


def test_overlapping_window_edges(sales):
    """[start, end) of the window against each event's [start, end]: instants count when
    strictly inside, an event touching the window's edge from outside does not, a long one
    spanning it does (the PostgreSQL period index must agree with the plain comparison)."""
    import sqlalchemy as sa

    w_start, w_end = datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 3, 8, tzinfo=UTC)
    hour = timedelta(hours=1)
    cases = {
        "inside": (w_start + hour, w_start + 2 * hour, True),
        "instant inside": (w_start + hour, w_start + hour, True),
        "instant at the start": (w_start, w_start, False),
        "instant at the end": (w_end, w_end, False),
        "ends at the start": (w_start - hour, w_start, False),
        "starts at the end": (w_end, w_end + hour, False),
        "crosses the start": (w_start - hour, w_start + hour, True),
        "crosses the end": (w_end - hour, w_end + hour, True),
        "spans the window": (w_start - timedelta(days=30), w_end + timedelta(days=30), True),
        "long before": (w_start - timedelta(days=60), w_start - timedelta(days=59), False),
    }
    ids = {}
    for name, (start, end, _expected) in cases.items():
        event = Event(type="meeting", subject=name, start=start, end=end, organizer_id=sales.id)
        db.session.add(event)
        db.session.flush()
        ids[event.id] = name
    db.session.commit()
    found = set(db.session.scalars(services.overlapping(sa.select(Event.id), w_start, w_end)))
    assert {ids[i] for i in found} == {name for name, (_s, _e, expected) in cases.items() if expected}
