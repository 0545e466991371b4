import pytest

from core.db import db
from modules.crm.models import LostReason, OpportunityStage
from modules.crm.services import leads


@pytest.fixture
def make_lead(app, manager):
    def _make(status="new", by=None, assigned_to=None, **values):
        values.setdefault("last_name", "Durand")
        values.setdefault("company_name", "Durand Industries")
        by = by or manager
        lead = leads.create_lead({**values, "assigned_to": assigned_to}, by=by)
        if status in ("assigned", "in_progress"):
            leads.assign(lead, assigned_to or manager.id, by=manager)
        if status == "in_progress":
            leads.start(lead, by=manager)
        if status == "lost":
            leads.lose(lead, reason().id, "too far", by=manager)
        if status == "converted":
            leads.convert(lead, by=manager)
        assert lead.status == status
        return lead

    return _make


def reason():
    return db.session.scalars(db.select(LostReason).order_by(LostReason.id)).first()


def stage(name):
    return db.session.scalars(db.select(OpportunityStage).where(OpportunityStage.name == name)).one()


@pytest.fixture(autouse=True)
def _crm_app(app):
    """Every CRM test runs on a fresh application and database."""
    return app
