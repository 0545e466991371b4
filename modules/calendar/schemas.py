"""Event fields for the API (and the shape the pages send to the same services)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.api import In, Out, Query, UtcDatetime
from core.validation import Blank, Flag, Id, Int, Moment, Text

Opt = lambda t: Annotated[t | None, Blank]  # noqa: E731
EventType = Literal["call", "meeting", "event", "task"]


class ReminderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    offset_minutes: Int(0, 366 * 24 * 60) | None = Field(None,
                                       description="Minutes before the start")
    remind_at: Moment | None = Field(None, description="An absolute time instead of an offset")
    channel: str = Field("notification", max_length=40)

    @model_validator(mode="after")
    def _one_of(self):
        if (self.offset_minutes is None) == (self.remind_at is None):
            raise ValueError("give either offset_minutes or remind_at")
        return self


class RelatedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(max_length=40)
    id: Id


class EventIn(In):
    type: EventType = "meeting"
    subject: Text(200, 1)
    start: Moment
    end: Moment | None = None
    all_day: Flag = False
    location: Opt(Text(200)) = None
    description: Opt(Text(20000)) = None
    organizer_id: Id | None = None
    attendee_user_ids: list[Id] = Field(default_factory=list, max_length=100)
    attendee_contact_ids: list[Id] = Field(default_factory=list, max_length=100)
    partner_id: Id | None = None
    contact_id: Id | None = None
    related: RelatedIn | None = None
    reminders: list[ReminderIn] = Field(default_factory=list, max_length=20)


class EventPatch(In):
    type: EventType | None = None
    subject: Text(200, 1) | None = None
    start: Moment | None = None
    end: Moment | None = None
    all_day: Flag | None = None
    location: Opt(Text(200)) = None
    description: Opt(Text(20000)) = None
    organizer_id: Id | None = None
    attendee_user_ids: list[Id] | None = Field(None, max_length=100)
    attendee_contact_ids: list[Id] | None = Field(None, max_length=100)
    partner_id: Id | None = None
    contact_id: Id | None = None
    related: RelatedIn | None = None
    reminders: list[ReminderIn] | None = Field(None, max_length=20)
    version: Int(1) | None = Field(None, description="Optimistic lock: the version you read")


class EventQuery(Query):
    page: int = Field(1, ge=1, le=10**6)
    per_page: int = Field(50, ge=1, le=200)
    q: str | None = Field(None, max_length=200)
    start: datetime | None = None
    end: datetime | None = None
    user_id: Literal["me"] | Id | None = Field(None, description="A user id, or 'me'")
    partner_id: Id | None = None
    contact_id: Id | None = None
    related_type: str | None = Field(None, max_length=40)
    related_id: Id | None = None
    type: EventType | None = None
    status: Literal["planned", "done", "cancelled"] | None = None


class RelatedOut(BaseModel):
    type: str
    id: int


class ReminderOut(BaseModel):
    offset_minutes: int | None = None
    remind_at: UtcDatetime | None = None
    channel: str


class DeliveryOut(BaseModel):
    id: int
    user_id: int
    channel: str
    due_at: UtcDatetime
    state: str
    late: bool
    attempts: int
    sent_at: UtcDatetime | None
    last_error: str | None


class EventOut(Out):
    id: int
    type: str
    subject: str
    start: UtcDatetime
    end: UtcDatetime
    all_day: bool
    location: str | None
    description: str | None
    status: str
    organizer_id: int
    attendee_user_ids: list[int]
    attendee_contact_ids: list[int]
    partner_id: int | None
    contact_id: int | None
    related: RelatedOut | None
    reminders: list[ReminderOut]
    deliveries: list[DeliveryOut] = Field(description="One row per reminder x recipient, with its state")
    url: str
    version: int
    created_at: UtcDatetime
    updated_at: UtcDatetime
