"""Hook implementations of the crm module."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import hookimpl
from modules.crm import models  # noqa: F401 - the tables must be known to the metadata


@hookimpl
def register_access_rules():
    from modules.crm.access import rules

    return rules()


@hookimpl
def register_blueprints():
    from modules.crm.api import api
    from modules.crm.views import bp
    from modules.crm.views.public import public

    return [bp, public, api]


@hookimpl
def register_menu_entries():
    from core.web import MenuEntry

    return [
        MenuEntry(_l("CRM"), "crm.dashboard_page", icon="speedometer2", order=10),
        MenuEntry(_l("Leads"), "crm.list_leads", icon="person-plus", order=20),
        MenuEntry(_l("Pipeline"), "crm.pipeline", icon="kanban", order=30),
        MenuEntry(_l("CRM settings"), "crm.settings", icon="sliders", order=800,
                  allowed=lambda user: user.is_manager, admin=True),
    ]


@hookimpl
def extra_css_urls():
    from flask import url_for

    return [url_for("crm.static", filename="crm.css")]


@hookimpl
def register_linkable_types():
    from flask import url_for

    from core.records import LinkableType
    from modules.crm.models import Lead, Opportunity

    return [
        LinkableType("lead", str(_l("Lead")), Lead,
                     url=lambda lead: url_for("crm.show_lead", lead_id=lead.id),
                     title=lambda lead: lead.display_name,
                     partner_of=lambda lead: (lead.partner_id, lead.contact_id)),
        LinkableType("opportunity", str(_l("Opportunity")), Opportunity,
                     url=lambda opp: url_for("crm.show_opportunity", opp_id=opp.id),
                     title=lambda opp: opp.name,
                     partner_of=lambda opp: (opp.partner_id, opp.contact_id)),
    ]


@hookimpl
def register_settings():
    from core.settings import Setting

    return [
        Setting("crm.mark_opportunity_won_on_order",
                str(_l("Mark the origin opportunity won when its order is confirmed")), True),
        Setting("crm.web_to_lead_assignee",
                str(_l("Assign web-to-lead leads to this salesperson (email)")), "", type="str"),
    ]


@hookimpl
def record_panels(record_type, record, user):
    from modules.crm import panels

    return panels.for_record(record_type, record, user)


@hookimpl
def home_panels(user):
    from modules.crm import panels

    return panels.home(user)


@hookimpl
def register_cli_commands():
    from modules.crm.cli import leads_group

    return [leads_group]


@hookimpl
def register_demo_data():
    from modules.crm.demo import load

    return load


# --- the sales bridge (sales may be disabled: optional hooks, no import of modules.sales) ---

@hookimpl(optionalhook=True)
def prefill_order(origin_type, origin_id, user):
    from modules.crm import sales_bridge

    return sales_bridge.prefill_order(origin_type, origin_id, user)


@hookimpl(optionalhook=True)
def describe_order_reference(ref_type, ref_id, user):
    from modules.crm import sales_bridge

    return sales_bridge.describe_order_reference(ref_type, ref_id, user)


@hookimpl(optionalhook=True)
def on_order_confirmed(order, by):
    from modules.crm import sales_bridge

    sales_bridge.on_order_confirmed(order, by)
