"""CRM fields for the API and the page forms (one set of rules)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from core.api import In, ListQuery, MoneyStr, Out, Query, UtcDatetime
from core.validation import Blank, Country, Day, Email, Flag, Id, Int, Phone, Text, Url

Opt = lambda t: Annotated[t | None, Blank]  # noqa: E731
LeadStatus = Literal["new", "assigned", "in_progress", "converted", "lost"]


class LeadFields(In):
    first_name: Opt(Text(100)) = None
    last_name: Opt(Text(100)) = None
    company_name: Opt(Text(200)) = None
    job_title: Opt(Text(120)) = None
    email: Opt(Email) = None
    phone: Opt(Phone) = None
    mobile: Opt(Phone) = None
    website: Opt(Url) = None
    street: Opt(Text(200)) = None
    city: Opt(Text(100)) = None
    postal_code: Opt(Text(20)) = None
    country: Opt(Country) = None
    source: Opt(Text(100)) = Field(None, description="A lead source's code, name or id")
    source_id: Annotated[Id | None, Blank] = None
    description: Opt(Text(20000)) = None


class LeadIn(LeadFields):
    assigned_to: Annotated[Id | None, Blank] = None


class LeadPatch(LeadFields):
    version: Int(1) | None = Field(None, description="Optimistic lock: the version you read")


class LeadOut(Out):
    id: int
    first_name: str | None
    last_name: str | None
    company_name: str | None
    job_title: str | None
    email: str | None
    phone: str | None
    mobile: str | None
    website: str | None
    street: str | None
    city: str | None
    postal_code: str | None
    country: str | None
    source: str | None
    source_id: int | None
    description: str | None
    status: LeadStatus
    assigned_to: int | None
    lost_reason_id: int | None
    lost_note: str | None
    recycled: bool
    partner_id: int | None
    contact_id: int | None
    opportunity_ids: list[int] = []
    version: int
    created_at: UtcDatetime
    updated_at: UtcDatetime


class LeadQuery(ListQuery):
    status: LeadStatus | None = None
    assigned_to: Literal["me", "none"] | Id | None = None
    source: str | None = Field(None, max_length=100)
    sort: str | None = Field(None, pattern=r"^-?(name|company|status|created|updated|city)$")


class AssignIn(In):
    user_id: Id | None = None


class LoseIn(In):
    lost_reason_id: Id
    note: Opt(Text(2000)) = None


class OpportunityValues(In):
    name: Text(200, 1) | None = None
    amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    expected_close_date: Day | None = None
    stage_id: Id | None = None
    probability: Int(0, 100) | None = None
    description: Opt(Text(20000)) = None


class ConvertIn(In):
    partner_id: Id | None = None
    create_opportunity: Flag = False
    opportunity: OpportunityValues | None = None


class OpportunityIn(In):
    name: Text(200, 1)
    partner_id: Id | None = None
    lead_id: Id | None = None
    contact_id: Id | None = None
    stage_id: Id | None = None
    amount: Decimal = Field(Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    probability: Int(0, 100) | None = None
    expected_close_date: Day | None = None
    assigned_to: Id | None = None
    source: Opt(Text(100)) = None
    description: Opt(Text(20000)) = None


class OpportunityPatch(In):
    name: Text(200, 1) | None = None
    partner_id: Id | None = None
    contact_id: Id | None = None
    stage_id: Id | None = None
    amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    probability: Int(0, 100) | None = None
    expected_close_date: Day | None = None
    assigned_to: Id | None = None
    source: Opt(Text(100)) = None
    description: Opt(Text(20000)) = None
    version: Int(1) | None = None


class OpportunityOut(Out):
    id: int
    name: str
    partner_id: int | None
    lead_id: int | None
    contact_id: int | None
    stage_id: int
    status: Literal["open", "won", "lost"]
    amount: MoneyStr
    currency: str
    probability: int
    expected_close_date: date | None
    assigned_to: int | None
    source: str | None
    description: str | None
    lost_reason_id: int | None
    version: int
    created_at: UtcDatetime
    updated_at: UtcDatetime


class OpportunityQuery(ListQuery):
    status: Literal["open", "won", "lost"] | None = None
    stage_id: Id | None = None
    assigned_to: Literal["me"] | Id | None = None
    partner_id: Id | None = None
    lead_id: Id | None = None
    close_from: date | None = None
    close_to: date | None = None


class OpportunityLoseIn(In):
    lost_reason_id: Id
    note: Opt(Text(2000)) = None


class ConvertOut(Out):
    lead: LeadOut
    partner: dict
    contact: dict | None
    opportunity: OpportunityOut | None


class ForecastQuery(Query):
    months: int = Field(12, ge=1, le=36)
    assigned_to: Literal["me"] | Id | None = None


class ForecastItem(Out):
    month: str
    count: int
    amount: MoneyStr
    weighted_amount: MoneyStr


class ForecastOut(Out):
    items: list[ForecastItem]


class NamedIn(In):
    name: Text(100, 1)


class NamedOut(Out):
    id: int
    name: str


class SourceOut(NamedOut):
    code: str | None = None


class StageIn(In):
    name: Text(100, 1)
    sequence: Int(0, 100000) = 10
    probability: Int(0, 100) = 10
    is_won: Flag = False
    is_lost: Flag = False


class StagePatch(In):
    name: Text(100, 1) | None = None
    sequence: Int(0, 100000) | None = None
    probability: Int(0, 100) | None = None
    is_won: Flag | None = None
    is_lost: Flag | None = None


class StageOut(Out):
    id: int
    name: str
    sequence: int
    probability: int
    is_won: bool
    is_lost: bool


class DuplicateItem(Out):
    kind: Literal["lead", "contact", "partner"]
    id: int
    reason: str
    title: str | None = None


class DuplicatesOut(Out):
    items: list[DuplicateItem]
