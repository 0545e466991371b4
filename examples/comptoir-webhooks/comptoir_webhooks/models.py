from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db, utcnow

EVENTS = ("lead.converted", "order.confirmed", "reminder")


class Endpoint(db.Model):
    __tablename__ = "webhooks_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    secret: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    events: Mapped[str] = mapped_column(sa.String(200), nullable=False)  # comma-separated
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    def wants(self, event: str) -> bool:
        return self.active and event in self.events.split(",")


class Delivery(db.Model):
    """The outbox: one row per (endpoint, event occurrence)."""

    __tablename__ = "webhooks_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhooks_endpoint.id", ondelete="CASCADE"), nullable=False)
    event: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    payload: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    state: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    endpoint: Mapped[Endpoint] = relationship()

    __table_args__ = (sa.Index("ix_webhooks_delivery_state_next", "state", "next_attempt_at"),)
