"""Partner and contact fields, for the API and the forms."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from core.api import In, Out, UtcDatetime
from core.validation import Blank, Country, Email, Id, Int, Name, Phone, Text, Url

Opt = lambda t: Annotated[t | None, Blank]  # noqa: E731


class PartnerIn(In):
    name: Name
    kind: Literal["company", "individual"] = "company"
    partner_type: Literal["prospect", "customer"] = "prospect"
    email: Opt(Email) = None
    phone: Opt(Phone) = None
    website: Opt(Url) = None
    street: Opt(Text(200)) = None
    city: Opt(Text(100)) = None
    postal_code: Opt(Text(20)) = None
    country: Opt(Country) = None
    notes: Opt(Text(20000)) = None
    salesperson_id: Id | None = None


class PartnerPatch(In):
    name: Name | None = None
    kind: Literal["company", "individual"] | None = None
    email: Opt(Email) = None
    phone: Opt(Phone) = None
    website: Opt(Url) = None
    street: Opt(Text(200)) = None
    city: Opt(Text(100)) = None
    postal_code: Opt(Text(20)) = None
    country: Opt(Country) = None
    notes: Opt(Text(20000)) = None
    salesperson_id: Id | None = None
    version: Int(1) | None = Field(None, description="Optimistic lock: the version you read")


class PartnerOut(Out):
    id: int
    name: str
    kind: str
    partner_type: str
    email: str | None
    phone: str | None
    website: str | None
    street: str | None
    city: str | None
    postal_code: str | None
    country: str | None
    notes: str | None
    salesperson_id: int | None
    version: int
    created_at: UtcDatetime
    updated_at: UtcDatetime


class ContactIn(In):
    partner_id: Id
    first_name: Opt(Text(100)) = None
    last_name: Text(100, 1)
    email: Opt(Email) = None
    phone: Opt(Phone) = None
    job_title: Opt(Text(120)) = None


class ContactPatch(In):
    partner_id: Id | None = None
    first_name: Opt(Text(100)) = None
    last_name: Text(100, 1) | None = None
    email: Opt(Email) = None
    phone: Opt(Phone) = None
    job_title: Opt(Text(120)) = None
    version: Int(1) | None = None


class ContactOut(Out):
    id: int
    partner_id: int
    first_name: str | None
    last_name: str
    email: str | None
    phone: str | None
    job_title: str | None
    version: int
    created_at: UtcDatetime
    updated_at: UtcDatetime
