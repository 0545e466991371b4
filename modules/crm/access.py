"""Who sees and does what on leads and opportunities (registered as access rules)."""

from __future__ import annotations

import sqlalchemy as sa

from core.access import AccessRule
from modules.crm.models import (
    Lead,
    LeadSource,
    LeadTally,
    LostReason,
    Opportunity,
    OpportunityStage,
    OpportunityTally,
)

#: actions a salesperson may take on a lead they see (the status machine decides the rest).
SALES_LEAD_ACTIONS = {"read", "create", "update", "assign_me", "start", "convert", "lose",
                      "recycle", "delete"}
SALES_OPPORTUNITY_ACTIONS = {"read", "create", "update", "move", "won", "lose"}


def _lead_condition(user):
    if user.is_manager:
        return sa.true()
    return sa.or_(Lead.assigned_to == user.id, Lead.assigned_to.is_(None))


def _lead_tallied(user):
    """``_lead_condition`` on the lead tally (an unassigned lead is counted under 0)."""
    if user.is_manager:
        return sa.true()
    return LeadTally.assigned_to.in_((user.id, 0))


def _lead_sees(user, lead) -> bool:
    return user.is_manager or lead.assigned_to in (None, user.id)


def _lead_can(user, action, lead) -> bool:
    if user.is_manager:
        return True
    return action in SALES_LEAD_ACTIONS


def _opp_condition(user):
    if user.is_manager:
        return sa.true()
    return Opportunity.assigned_to == user.id


def _opp_tallied(user):
    if user.is_manager:
        return sa.true()
    return OpportunityTally.assigned_to == user.id


def _opp_sees(user, opp) -> bool:
    return user.is_manager or opp.assigned_to == user.id


def _opp_can(user, action, opp) -> bool:
    if user.is_manager:
        return True
    return action in SALES_OPPORTUNITY_ACTIONS


def _list_can(user, action, record) -> bool:
    return action == "read" or user.is_manager


def rules() -> list[AccessRule]:
    return [
        AccessRule(Lead, condition=_lead_condition, sees=_lead_sees, can=_lead_can,
                   tallied=_lead_tallied),
        AccessRule(Opportunity, condition=_opp_condition, sees=_opp_sees, can=_opp_can,
                   tallied=_opp_tallied),
        AccessRule(LostReason, can=_list_can),
        AccessRule(LeadSource, can=_list_can),
        AccessRule(OpportunityStage, can=_list_can),
    ]
