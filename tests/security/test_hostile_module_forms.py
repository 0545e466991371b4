"""Hypothesis: the modules' page forms (leads, opportunities, events, products, quotes and
their lines, and the lead actions that take a form), filled with random and hostile
values, answer a redirect, a page or a 4xx, never a 5xx; a rejected post leaves the
database exactly as it was. (The API bodies of the same records are walked by the
schemathesis fuzzer, test_api_fuzz.py; the core's forms by test_hostile_input.py.)"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.security import test_hostile_input as hostile
from tests.security.test_hostile_input import FORM_VALUES, SETTINGS

WATCHED = ("crm_lead", "crm_opportunity", "calendar_event", "calendar_reminder", "calendar_event_user",
           "sales_product", "sales_order", "sales_order_line", "core_partner", "core_contact",
           "core_timeline_entry")

#: url -> the form's field names (as the templates send them), and what a success answers.
FORMS = {
    "/crm/leads/new": (["first_name", "last_name", "company_name", "job_title", "email", "phone", "mobile",
                        "website", "street", "city", "postal_code", "country", "source_id", "description",
                        "assigned_to", "confirm_duplicates"], (200, 303)),
    "/crm/leads/{lead}/edit": (["first_name", "last_name", "company_name", "email", "phone", "country",
                                "source_id", "description", "version"], (200, 303)),
    "/crm/leads/{lead}/assign": (["user_id"], (200, 303)),
    "/crm/leads/{lead}/lose": (["lost_reason_id", "note"], (200, 303)),
    "/crm/opportunities/new": (["name", "partner_id", "lead_id", "contact_id", "stage_id", "amount",
                                "currency", "probability", "expected_close_date", "assigned_to", "source",
                                "description"], (200, 303)),
    "/crm/opportunities/{opp}/edit": (["name", "amount", "probability", "expected_close_date", "stage_id",
                                       "version"], (200, 303)),
    "/calendar/events/new": (["type", "subject", "start", "end", "all_day", "location", "description",
                              "partner_id", "contact_id", "attendee_user_ids", "attendee_contact_ids",
                              "organizer_id", "reminders-0-mode", "reminders-0-amount", "reminders-0-unit",
                              "reminders-0-at", "reminders-0-channel", "done"], (200, 303)),
    "/calendar/events/{event}/edit": (["subject", "start", "end", "all_day", "version", "reminders-0-mode",
                                       "reminders-0-amount", "reminders-0-channel"], (200, 303)),
    "/sales/products/new": (["code", "name", "unit_price", "tax_rate", "active"], (200, 303)),
    "/sales/orders/new": (["partner_id", "lead_id", "opportunity_id", "assigned_to", "currency",
                           "valid_until", "note"], (200, 303)),
    "/sales/orders/{order}/lines": (["product_id", "description", "quantity", "unit_price",
                                     "discount_percent", "tax_percent"], (200, 303)),
}


def snapshot() -> dict:
    return hostile.snapshot(WATCHED)


@pytest.fixture
def records(app, manager):
    from core.partners.services import create_partner
    from modules.calendar import services as calendar
    from modules.crm.services import leads, opportunities
    from modules.sales import services as sales

    partner = create_partner({"name": "Target"}, by=manager)
    lead = leads.create_lead({"last_name": "Target", "company_name": "Target SA"}, by=manager)
    opp = opportunities.create_opportunity({"name": "Target deal", "partner_id": partner.id}, by=manager)
    event = calendar.create_event({"subject": "Target call", "type": "call",
                                   "start": "2027-01-04T10:00:00+00:00"}, by=manager)
    order = sales.create_order({"partner_id": partner.id}, by=manager)
    return {"lead": lead.id, "opp": opp.id, "event": event.id, "order": order.id}


@pytest.mark.parametrize("url", sorted(FORMS))
def test_module_forms_with_hostile_values(login, manager, records, url):
    client = login(manager)
    names, ok = FORMS[url]
    target = url.format(**records)

    @SETTINGS
    @given(form=st.dictionaries(st.sampled_from(names),
                                st.one_of(FORM_VALUES, st.lists(FORM_VALUES, min_size=2, max_size=3)),
                                max_size=len(names)))
    def run(form):
        before = snapshot()
        response = client.post(target, data=form)
        status = response.status_code
        assert status < 500, (target, form, status, response.get_data(as_text=True)[:300])
        assert status in ok or 400 <= status < 500, (target, status)
        if status >= 400:
            assert snapshot() == before, f"a rejected post ({status}) changed the database"

    run()
