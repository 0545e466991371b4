"""The business events the CRM offers to other modules: on_lead_converted,
on_opportunity_won, on_opportunity_lost, called inside their transaction."""

from __future__ import annotations

import pytest

from core import hookimpl
from core.db import db
from core.plugins import HookError
from modules.crm.models import Opportunity
from modules.crm.services import opportunities
from tests.crm.conftest import reason


@pytest.fixture
def listener(app):
    seen: list[tuple] = []

    class Listener:
        @hookimpl(optionalhook=True)
        def on_lead_converted(self, lead, partner, contact, by):
            seen.append(("converted", lead.status, partner.name, by.email))

        @hookimpl(optionalhook=True)
        def on_opportunity_won(self, opportunity, by):
            seen.append(("won", opportunity.status, by.email))

        @hookimpl(optionalhook=True)
        def on_opportunity_lost(self, opportunity, by):
            seen.append(("lost", opportunity.status, opportunity.lost_reason_id))

    registry = app.extensions["comptoir"]
    registry.pm.register(Listener(), name="core.listener")
    yield seen
    registry.pm.unregister(name="core.listener")


def new_opportunity(manager, name="Deal"):
    return opportunities.create_opportunity({"name": name, "amount": "1000.00"}, by=manager)


def test_on_opportunity_won_and_lost(app, manager, listener):
    won = new_opportunity(manager, "Won deal")
    opportunities.mark_won(won, by=manager)
    lost = new_opportunity(manager, "Lost deal")
    opportunities.mark_lost(lost, reason().id, "price", by=manager)
    assert listener == [("won", "won", manager.email), ("lost", "lost", reason().id)]


def test_on_opportunity_won_can_refuse(app, manager):
    class Refuser:
        @hookimpl(optionalhook=True)
        def on_opportunity_won(self, opportunity, by):
            raise RuntimeError("not now")

    registry = app.extensions["comptoir"]
    registry.pm.register(Refuser(), name="core.refuser")
    try:
        opp = new_opportunity(manager)
        with pytest.raises(HookError) as info:
            opportunities.mark_won(opp, by=manager)
        assert info.value.module == "core.refuser" and isinstance(info.value.__cause__, RuntimeError)
        db.session.rollback()
        assert db.session.get(Opportunity, opp.id).status == "open"
    finally:
        registry.pm.unregister(name="core.refuser")


def test_on_lead_converted(app, manager, make_lead, listener):
    lead = make_lead(status="new", company_name="Hooked Industries")
    from modules.crm.services import leads

    leads.convert(lead, by=manager)
    assert listener == [("converted", "converted", "Hooked Industries", manager.email)]
