"""The lists managers edit: lost reasons, lead sources, opportunity stages."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from core import access
from core.auth.models import User
from core.db import db
from core.errors import Conflict, ValidationError
from modules.crm.models import Lead, LeadSource, LostReason, Opportunity, OpportunityStage

#: model -> the columns that still use a row (deleting it then answers 409).
_USED_BY = {
    LostReason: ((Lead, Lead.lost_reason_id), (Opportunity, Opportunity.lost_reason_id)),
    LeadSource: ((Lead, Lead.source_id),),
    OpportunityStage: ((Opportunity, Opportunity.stage_id),),
}


def all_of(model) -> list:
    order = (model.sequence, model.id) if model is OpportunityStage else (model.name,)
    return list(db.session.scalars(sa.select(model).order_by(*order)))


def _unique_name(model, name: str, exclude_id: int | None = None) -> None:
    # The exact name too: SQLite's lower() folds ASCII only, so "Été" and "été" differ
    # there, and a second "Été" would reach the unique index (a 500).
    stmt = sa.select(model.id).where(sa.or_(model.name == name,
                                            sa.func.lower(model.name) == name.lower()))
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    if db.session.scalar(stmt) is not None:
        raise ValidationError.field("name", _("This name is already used."))


def _check_stage(values: dict) -> None:
    if values.get("is_won") and values.get("is_lost"):
        raise ValidationError.field("is_lost", _("A stage cannot be both won and lost."))


def create(model, values: dict, *, by: User):
    access.require_model(by, "create", model)
    _unique_name(model, values["name"])
    if model is OpportunityStage:
        _check_stage(values)
    row = model(**values)
    db.session.add(row)
    db.session.commit()
    return row


def update(row, values: dict, *, by: User):
    access.require(by, "update", row)
    if "name" in values and values["name"] is not None:
        _unique_name(type(row), values["name"], row.id)
    values = {k: v for k, v in values.items() if v is not None}
    if isinstance(row, OpportunityStage):
        _check_stage({"is_won": row.is_won, "is_lost": row.is_lost} | values)
    for key, value in values.items():
        setattr(row, key, value)
    db.session.commit()
    return row


def delete(row, *, by: User) -> None:
    access.require(by, "delete", row)
    for model, column in _USED_BY[type(row)]:
        if db.session.scalar(sa.select(sa.func.count()).select_from(model).where(column == row.id)):
            raise Conflict(_("“%(name)s” is still used; it cannot be deleted.", name=row.name))
    db.session.delete(row)
    db.session.commit()
