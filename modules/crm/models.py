"""CRM tables: leads, their sources and lost reasons, opportunities and their stages."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.auth.models import User
from core.db import Money, TimestampMixin, UTCDateTime, db
from core.partners.models import Contact, Partner
from core.tally import Tally

LEAD_STATUSES = ("new", "assigned", "in_progress", "converted", "lost")
OPPORTUNITY_STATUSES = ("open", "won", "lost")

_LEGAL_FORMS = {"sarl", "sas", "sasu", "sa", "eurl", "sci", "snc", "gmbh", "ag", "kg", "inc",
                "ltd", "llc", "plc", "bv", "nv", "srl", "spa", "co", "corp", "company", "cie",
                "et", "and", "the", "le", "la", "les"}


def company_key(name: str | None) -> str | None:
    """A comparable form of a company name: no accents, punctuation or legal form."""
    if not name:
        return None
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = [w for w in re.split(r"[^a-z0-9]+", text) if w and w not in _LEGAL_FORMS]
    return " ".join(words)[:200] or None


class LostReason(db.Model):
    __tablename__ = "crm_lost_reason"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False, unique=True)

    def __str__(self) -> str:
        return self.name


class LeadSource(db.Model):
    __tablename__ = "crm_lead_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False, unique=True)
    #: a stable code for the defaults (website, trade_show...), used by web-to-lead and import.
    code: Mapped[str | None] = mapped_column(sa.String(40), unique=True)

    def __str__(self) -> str:
        return self.name


class Lead(TimestampMixin, db.Model):
    __tablename__ = "crm_lead"
    __record_type__ = "lead"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str | None] = mapped_column(sa.String(100))
    last_name: Mapped[str | None] = mapped_column(sa.String(100))
    company_name: Mapped[str | None] = mapped_column(sa.String(200))
    job_title: Mapped[str | None] = mapped_column(sa.String(120))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    mobile: Mapped[str | None] = mapped_column(sa.String(40))
    website: Mapped[str | None] = mapped_column(sa.String(250))
    street: Mapped[str | None] = mapped_column(sa.String(200))
    city: Mapped[str | None] = mapped_column(sa.String(100))
    postal_code: Mapped[str | None] = mapped_column(sa.String(20))
    country: Mapped[str | None] = mapped_column(sa.String(2))
    source_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("crm_lead_source.id", ondelete="SET NULL"), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="new")
    assigned_to: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="SET NULL"))  # ix_crm_lead_assignee_status_source
    lost_reason_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("crm_lost_reason.id", ondelete="RESTRICT"), index=True)
    lost_note: Mapped[str | None] = mapped_column(sa.String(2000))
    recycled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    partner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_partner.id", ondelete="SET NULL"), index=True)
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_contact.id", ondelete="SET NULL"), index=True)
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Derived, indexed columns for search and duplicate detection.
    name_search: Mapped[str] = mapped_column(sa.String(420), nullable=False, default="")
    email_lower: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    email_domain: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    phone_normalized: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    mobile_normalized: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    company_key: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    source: Mapped[LeadSource | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assigned_to])
    lost_reason: Mapped[LostReason | None] = relationship()
    partner: Mapped[Partner | None] = relationship()
    contact: Mapped[Contact | None] = relationship()

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('new', 'assigned', 'in_progress', 'converted', 'lost')", name="status"),
        sa.Index("ix_crm_lead_status_created", "status", "created_at"),
        sa.Index("ix_crm_lead_name_search", "name_search"),
        # The default sort (newest, then id); the salesperson makes a salesperson's deep pages
        # index-only (migration crm_0006).
        sa.Index("ix_crm_lead_created_assignee", "created_at", "id", "assigned_to"),
        sa.Index("ix_crm_lead_updated_at", "updated_at"),
        sa.Index("ix_crm_lead_city", "city"),
        # the list filtered by status and source (and sorted by name) without a sort of all rows
        sa.Index("ix_crm_lead_status_source", "status", "source_id", "name_search"),
        # A salesperson's visible leads (theirs and the unassigned) counted by status and
        # source from the index alone (the dashboard, the home panel).
        sa.Index("ix_crm_lead_assignee_status_source", "assigned_to", "status", "source_id"),
    )

    @property
    def person_name(self) -> str:
        return self.person_of(self.first_name, self.last_name)

    @staticmethod
    def person_of(first_name: str | None, last_name: str | None) -> str:
        """First and last name, those given (pages that read rows, not leads)."""
        return " ".join(p for p in (first_name, last_name) if p)

    @property
    def display_name(self) -> str:
        return self.name_of(self.id, self.first_name, self.last_name, self.company_name)

    @staticmethod
    def name_of(lead_id: int, first_name: str | None, last_name: str | None, company_name: str | None) -> str:
        """A lead's display name from its columns (pages that read rows, not leads)."""
        person = Lead.person_of(first_name, last_name)
        if person and company_name:
            return f"{person} ({company_name})"
        return person or company_name or f"#{lead_id}"

    def __str__(self) -> str:
        return self.display_name


class OpportunityStage(db.Model):
    __tablename__ = "crm_opportunity_stage"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False, unique=True)
    sequence: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=10)
    probability: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=10)
    is_won: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    is_lost: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)

    __table_args__ = (
        sa.CheckConstraint("probability BETWEEN 0 AND 100", name="probability"),
        sa.Index("ix_crm_opportunity_stage_sequence", "sequence"),
    )

    @property
    def is_open(self) -> bool:
        return not (self.is_won or self.is_lost)

    def __str__(self) -> str:
        return self.name


class Opportunity(TimestampMixin, db.Model):
    __tablename__ = "crm_opportunity"
    __record_type__ = "opportunity"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    partner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_partner.id", ondelete="SET NULL"), index=True)
    lead_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("crm_lead.id", ondelete="SET NULL"), index=True)
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_contact.id", ondelete="SET NULL"), index=True)
    stage_id: Mapped[int] = mapped_column(
        sa.ForeignKey("crm_opportunity_stage.id", ondelete="RESTRICT"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="open")
    amount: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal("0"))
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default="EUR")
    probability: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=10)
    expected_close_date: Mapped[date | None] = mapped_column(sa.Date, index=True)
    assigned_to: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="SET NULL"), index=True)
    source: Mapped[str | None] = mapped_column(sa.String(100))
    description: Mapped[str | None] = mapped_column(sa.Text)
    lost_reason_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("crm_lost_reason.id", ondelete="RESTRICT"), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    name_search: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="", index=True)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    stage: Mapped[OpportunityStage] = relationship()
    partner: Mapped[Partner | None] = relationship()
    lead: Mapped[Lead | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assigned_to])
    lost_reason: Mapped[LostReason | None] = relationship()

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("status IN ('open', 'won', 'lost')", name="status"),
        sa.CheckConstraint("probability BETWEEN 0 AND 100", name="probability"),
        sa.CheckConstraint("amount >= 0", name="amount"),
        # Covering indexes: the pipeline (kanban ranking, totals by stage), the forecast, won
        # and lost by month, and the same for one salesperson, read from the index alone.
        sa.Index("ix_crm_opportunity_status_stage", "status", "stage_id", "expected_close_date",
                 "amount", "probability", "assigned_to"),
        sa.Index("ix_crm_opportunity_status_close", "status", "expected_close_date", "amount",
                 "probability", "assigned_to"),
        sa.Index("ix_crm_opportunity_status_closed", "status", "closed_at", "amount", "assigned_to"),
        sa.Index("ix_crm_opportunity_assignee_status", "assigned_to", "status", "stage_id",
                 "expected_close_date", "amount", "probability"),
        sa.Index("ix_crm_opportunity_amount", "amount"),
        sa.Index("ix_crm_opportunity_probability", "probability"),  # a list sort
        sa.Index("ix_crm_opportunity_created_at", "created_at"),
    )

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.probability / 100).quantize(Decimal("0.01"))

    @property
    def customer_name(self) -> str:
        lead = self.lead
        return self.customer_of(self.partner.name if self.partner is not None else None, self.lead_id,
                                *((lead.first_name, lead.last_name, lead.company_name) if lead else (None,) * 3))

    @staticmethod
    def customer_of(partner_name: str | None, lead_id: int | None, first_name: str | None,
                    last_name: str | None, company_name: str | None) -> str:
        """Who the opportunity is for, from columns: its partner, else its lead, else nothing
        (the board and the list read rows, not opportunities)."""
        if partner_name is not None:
            return partner_name
        return Lead.name_of(lead_id, first_name, last_name, company_name) if lead_id is not None else ""

    def __str__(self) -> str:
        return self.name


# Running totals for the dashboard, kept by triggers (core.tally; created by crm_0007).
# A missing salesperson, source or month is 0 or '' (keys are never NULL).

LEAD_TALLY = Tally(
    table="crm_lead_tally", source="crm_lead",
    keys={"assigned_to": "coalesce({row}.assigned_to, 0)", "status": "{row}.status",
          "source_id": "coalesce({row}.source_id, 0)"},
    sums={}, reads=("assigned_to", "status", "source_id"))

OPPORTUNITY_TALLY = Tally(
    table="crm_opportunity_tally", source="crm_opportunity",
    keys={"assigned_to": "coalesce({row}.assigned_to, 0)", "status": "{row}.status",
          "stage_id": "{row}.stage_id",
          # The month an open opportunity is expected to close, or a closed one closed (UTC).
          "month": {"sqlite": "coalesce(strftime('%Y-%m', CASE WHEN {row}.status = 'open' "
                              "THEN {row}.expected_close_date ELSE {row}.closed_at END), '')",
                    "postgresql": "coalesce(to_char(CASE WHEN {row}.status = 'open' "
                                  "THEN CAST({row}.expected_close_date AS timestamp) "
                                  "ELSE {row}.closed_at AT TIME ZONE 'UTC' END, 'YYYY-MM'), '')"}},
    sums={"amount": "{row}.amount", "weighted": "{row}.amount * {row}.probability"},
    reads=("assigned_to", "status", "stage_id", "expected_close_date", "closed_at", "amount",
           "probability"))


class LeadTally(db.Model):
    """Leads counted per salesperson, status and source (``LEAD_TALLY``)."""

    __tablename__ = "crm_lead_tally"

    assigned_to: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    source_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class OpportunityTally(db.Model):
    """Opportunities counted and summed per salesperson, status, stage and month
    (``OPPORTUNITY_TALLY``): amount in cents, weighted in cents times percent."""

    __tablename__ = "crm_opportunity_tally"

    assigned_to: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    stage_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    n: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    weighted: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
