"""Product and order fields, for the API and the page forms."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from core.api import In, ListQuery, MoneyStr, Out, UtcDatetime
from core.validation import Blank, Day, Flag, Id, Int, Text

Opt = lambda t: Annotated[t | None, Blank]  # noqa: E731
Number = Annotated[Decimal, Field(allow_inf_nan=False, max_digits=20)]


def _decimal_str(places: int):
    from pydantic import PlainSerializer

    return PlainSerializer(lambda v: f"{v:.{places}f}", return_type=str, when_used="json")


QuantityStr = Annotated[Decimal, _decimal_str(3)]
PercentStr = Annotated[Decimal, _decimal_str(2)]


class ProductIn(In):
    code: Text(40, 1)
    name: Text(200, 1)
    unit_price: Number = Decimal("0")
    tax_rate: Number = Decimal("0")
    active: Flag = True


class ProductPatch(In):
    code: Text(40, 1) | None = None
    name: Text(200, 1) | None = None
    unit_price: Number | None = None
    tax_rate: Number | None = None
    active: Flag | None = None
    version: Int(1) | None = None


class ProductOut(Out):
    id: int
    code: str
    name: str
    unit_price: MoneyStr
    tax_rate: PercentStr
    active: bool
    version: int
    created_at: UtcDatetime
    updated_at: UtcDatetime


class ProductQuery(ListQuery):
    active: bool | None = None
    sort: Literal["code", "-code", "name", "-name", "id", "-id"] = "code"


class LineIn(In):
    product_id: Id | None = None
    description: Opt(Text(500)) = None
    quantity: Opt(Number) = None
    unit_price: Opt(Number) = None
    discount_percent: Opt(Number) = None
    tax_percent: Opt(Number) = None


class OrderIn(In):
    partner_id: Id | None = None
    lead_id: Id | None = None
    opportunity_id: Id | None = None
    assigned_to: Id | None = None
    currency: Opt(Text(3)) = None
    valid_until: Day | None = None
    note: Opt(Text(20000)) = None
    lines: list[LineIn] = Field(default_factory=list, max_length=200)


class OrderPatch(In):
    partner_id: Id | None = None
    assigned_to: Id | None = None
    currency: Opt(Text(3)) = None
    valid_until: Day | None = None
    note: Opt(Text(20000)) = None
    lines: list[LineIn] | None = Field(None, max_length=200)
    version: Int(1) | None = None


class LineOut(Out):
    id: int
    product_id: int | None
    description: str
    quantity: QuantityStr
    unit_price: MoneyStr
    discount_percent: PercentStr
    tax_percent: PercentStr
    amount_untaxed: MoneyStr
    amount_tax: MoneyStr


class OrderOut(Out):
    id: int
    number: str | None
    status: Literal["draft", "finalized", "confirmed", "completed", "cancelled"]
    partner_id: int | None
    lead_id: int | None
    opportunity_id: int | None
    origin_type: str | None
    origin_id: int | None
    prospect_type: str | None
    prospect_id: int | None
    assigned_to: int | None
    currency: str
    valid_until: date | None
    note: str | None
    lines: list[LineOut]
    amount_untaxed: MoneyStr
    amount_tax: MoneyStr
    amount_total: MoneyStr
    confirmed_at: UtcDatetime | None
    confirmed_by: int | None
    version: int
    created_at: UtcDatetime
    updated_at: UtcDatetime


class OrderQuery(ListQuery):
    status: Literal["draft", "finalized", "confirmed", "completed", "cancelled", "quotes", "orders"] | None = Field(
        None, description="A status, or a group as the order list's filter: quotes (draft, finalized), "
                          "orders (confirmed, completed)")
    partner_id: Id | None = None
    assigned_to: Literal["me"] | Id | None = None
    opportunity_id: Id | None = None
    lead_id: Id | None = None
    sort: Literal["number", "-number", "created_at", "-created_at", "amount_total",
                  "-amount_total", "id", "-id"] = "-id"

