"""Products, sale orders (quotes and orders are one record) and their lines."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.auth.models import User
from core.db import FixedDecimal, Money, TimestampMixin, UTCDateTime, db
from core.partners.models import Partner
from core.tally import Tally

ORDER_STATUSES = ("draft", "finalized", "confirmed", "completed", "cancelled")


class Product(TimestampMixin, db.Model):
    __tablename__ = "sales_product"
    __record_type__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal("0"))
    #: percent, e.g. 20.00 for 20 %
    tax_rate: Mapped[Decimal] = mapped_column(FixedDecimal(2), nullable=False, default=Decimal("0"))
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    name_search: Mapped[str] = mapped_column(sa.String(260), nullable=False, index=True)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (sa.Index("ix_sales_product_active_code", "active", "code"),  # the list's filter
                      sa.Index("ix_sales_product_unit_price", "unit_price"))  # a sort

    def __str__(self) -> str:
        return f"[{self.code}] {self.name}"


class SaleOrder(TimestampMixin, db.Model):
    __tablename__ = "sales_order"
    __record_type__ = "sale_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(sa.String(30), unique=True)
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="draft", index=True)
    partner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_partner.id", ondelete="RESTRICT"), index=True)
    #: what the order was made from, e.g. ("opportunity", 12); sales does not interpret it.
    origin_type: Mapped[str | None] = mapped_column(sa.String(40))
    origin_id: Mapped[int | None] = mapped_column(sa.Integer)
    #: who the customer will be while not a partner yet, e.g. ("lead", 5).
    prospect_type: Mapped[str | None] = mapped_column(sa.String(40))
    prospect_id: Mapped[int | None] = mapped_column(sa.Integer)
    assigned_to: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="SET NULL"))  # indexed with created_at, below
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default="EUR")
    valid_until: Mapped[date | None] = mapped_column(sa.Date)
    note: Mapped[str | None] = mapped_column(sa.Text)
    amount_untaxed: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal("0"))
    amount_tax: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal("0"))
    amount_total: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal("0"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    partner: Mapped[Partner | None] = relationship()
    salesperson: Mapped[User | None] = relationship(foreign_keys=[assigned_to])
    lines: Mapped[list[SaleOrderLine]] = relationship(
        back_populates="order", order_by="SaleOrderLine.sequence, SaleOrderLine.id",
        cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('draft', 'finalized', 'confirmed', 'completed', 'cancelled')", name="status"),
        sa.Index("ix_sales_order_origin", "origin_type", "origin_id"),
        sa.Index("ix_sales_order_prospect", "prospect_type", "prospect_id"),
        sa.Index("ix_sales_order_created_at", "created_at"),  # the order list's default sort
        sa.Index("ix_sales_order_assignee_created", "assigned_to", "created_at"),  # a salesperson's
        sa.Index("ix_sales_order_amount_total", "amount_total"),  # its other sorts
        sa.Index("ix_sales_order_valid_until", "valid_until"),
    )

    @property
    def opportunity_id(self) -> int | None:
        return self.origin_id if self.origin_type == "opportunity" else None

    @property
    def lead_id(self) -> int | None:
        return self.prospect_id if self.prospect_type == "lead" else None

    @property
    def is_quote(self) -> bool:
        return self.status in ("draft", "finalized")

    @property
    def display_name(self) -> str:
        return self.number or f"Draft #{self.id}"

    def __str__(self) -> str:
        return self.display_name


class SaleOrderLine(db.Model):
    __tablename__ = "sales_order_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sales_order.id", ondelete="CASCADE"), nullable=False, index=True)
    sequence: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=10)
    product_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sales_product.id", ondelete="RESTRICT"), index=True)
    description: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    quantity: Mapped[Decimal] = mapped_column(FixedDecimal(3), nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    discount_percent: Mapped[Decimal] = mapped_column(FixedDecimal(2), nullable=False, default=Decimal("0"))
    tax_percent: Mapped[Decimal] = mapped_column(FixedDecimal(2), nullable=False, default=Decimal("0"))
    amount_untaxed: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    amount_tax: Mapped[Decimal] = mapped_column(Money(), nullable=False)

    order: Mapped[SaleOrder] = relationship(back_populates="lines")
    product: Mapped[Product | None] = relationship()


# The order list's count, kept by triggers (core.tally; created by sales_0005): orders per
# salesperson (0: none) and status, so that counting a list stays flat as orders grow.
ORDER_TALLY = Tally(
    table="sales_order_tally", source="sales_order",
    keys={"assigned_to": "coalesce({row}.assigned_to, 0)", "status": "{row}.status"},
    sums={}, reads=("assigned_to", "status"))


class OrderTally(db.Model):
    """Quotes and orders counted per salesperson and status (``ORDER_TALLY``)."""

    __tablename__ = "sales_order_tally"

    assigned_to: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    n: Mapped[int] = mapped_column(sa.Integer, nullable=False)
