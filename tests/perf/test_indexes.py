"""Every column a list sorts or filters by leads an index (issue 9: "indexes on every filter
and sort column"), so a sorted page walks the index and stops after its rows. The sort
allow-lists are read from the views themselves; the filters are listed here, next to the
view that applies them."""

from __future__ import annotations

import sqlalchemy as sa


def _leading_columns(table: sa.Table) -> set[str]:
    names = set()
    for index in table.indexes:
        first = list(index.expressions)[0]
        if isinstance(first, sa.Column):
            names.add(first.name)
    for constraint in table.constraints:
        columns = list(getattr(constraint, "columns", []))
        if columns and isinstance(constraint, (sa.PrimaryKeyConstraint, sa.UniqueConstraint)):
            names.add(columns[0].name)
    return names


def _sorts():
    from core.partners.views import CONTACT_SORTS, PARTNER_SORTS
    from modules.crm.api import LEAD_SORTS as API_LEAD_SORTS
    from modules.crm.views.leads import LEAD_SORTS
    from modules.crm.views.opportunities import OPP_SORTS
    from modules.sales.views import ORDER_SORTS, PRODUCT_SORTS

    for name, sorts in (("partners", PARTNER_SORTS), ("contacts", CONTACT_SORTS), ("leads", LEAD_SORTS),
                        ("API leads", API_LEAD_SORTS), ("opportunities", OPP_SORTS),
                        ("orders", ORDER_SORTS), ("products", PRODUCT_SORTS)):
        for key, column in sorts.items():
            yield f"{name} sorted by {key}", column


def _filters():
    from core.partners.models import Partner
    from modules.calendar.models import Event
    from modules.crm.models import Lead, Opportunity
    from modules.sales.models import Product, SaleOrder

    return {
        "partners by type": Partner.partner_type, "partners by salesperson": Partner.salesperson_id,
        "leads by status": Lead.status, "leads by source": Lead.source_id,
        "leads by assignee": Lead.assigned_to,
        "opportunities by status": Opportunity.status, "opportunities by stage": Opportunity.stage_id,
        "opportunities by assignee": Opportunity.assigned_to,
        "opportunities by close date": Opportunity.expected_close_date,
        "orders by status": SaleOrder.status, "orders by salesperson": SaleOrder.assigned_to,
        "products by state": Product.active,
        "events by start (calendar window)": Event.start, "events by organizer": Event.organizer_id,
    }


def test_every_sort_and_filter_column_leads_an_index(app):
    checked = list(_sorts()) + list(_filters().items())
    missing = [f"{what}: {column.table.name}.{column.name}" for what, column in checked
               if column.name not in _leading_columns(column.table)]
    assert missing == []
    assert len(checked) > 40
