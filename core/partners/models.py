from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.auth.models import User
from core.db import TimestampMixin, db

PARTNER_KINDS = ("company", "individual")
PARTNER_TYPES = ("prospect", "customer")


class Partner(TimestampMixin, db.Model):
    __tablename__ = "core_partner"
    __record_type__ = "partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="company")
    partner_type: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="prospect")
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    phone_normalized: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    website: Mapped[str | None] = mapped_column(sa.String(250))
    street: Mapped[str | None] = mapped_column(sa.String(200))
    city: Mapped[str | None] = mapped_column(sa.String(100))
    postal_code: Mapped[str | None] = mapped_column(sa.String(20))
    country: Mapped[str | None] = mapped_column(sa.String(2))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    salesperson_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="SET NULL"), index=True
    )
    # Lower-cased copies for indexed, case-insensitive search and duplicate detection.
    name_search: Mapped[str] = mapped_column(sa.String(200), nullable=False, index=True)
    email_domain: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    salesperson: Mapped[User | None] = relationship()
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="partner", order_by="Contact.last_name, Contact.first_name"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("kind IN ('company', 'individual')", name="kind"),
        sa.CheckConstraint("partner_type IN ('prospect', 'customer')", name="partner_type"),
        sa.Index("ix_core_partner_type_name", "partner_type", "name_search"),
        sa.Index("ix_core_partner_email", "email"),
        # The duplicate checks compare emails without case.
        sa.Index("ix_core_partner_email_lower", sa.func.lower(email)),
        sa.Index("ix_core_partner_city", "city"),  # list sorts
        sa.Index("ix_core_partner_created_at", "created_at"),
    )

    def __str__(self) -> str:
        return self.name


class Contact(TimestampMixin, db.Model):
    __tablename__ = "core_contact"
    __record_type__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("core_partner.id", ondelete="CASCADE"), nullable=False, index=True
    )
    first_name: Mapped[str | None] = mapped_column(sa.String(100))
    last_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    email: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    phone_normalized: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    job_title: Mapped[str | None] = mapped_column(sa.String(120))
    name_search: Mapped[str] = mapped_column(sa.String(220), nullable=False, index=True)
    email_domain: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    partner: Mapped[Partner] = relationship(back_populates="contacts")

    __mapper_args__ = {"version_id_col": version}
    # The duplicate checks (a lead's page, imports) compare emails without case.
    __table_args__ = (sa.Index("ix_core_contact_email_lower", sa.func.lower(email)),
                      sa.Index("ix_core_contact_created_at", "created_at"))  # list sort

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    def __str__(self) -> str:
        return self.name
