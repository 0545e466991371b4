"""Who may do what in the CRM, calendar and sales modules, over every channel, from ONE table.

Each cell reads ``page/htmx/api``: the status of the full page, of the same request sent by
htmx (``HX-Request: true``) and of the API call; ``---`` where a channel has no such action.
"owner" is the salesperson the records are assigned to (lead, opportunity, order), who
organizes the event and owns the notification; "other" is another salesperson, who must
learn nothing: every id of the owner's answers 404, whatever the channel. Signed-out
callers get the sign-in page (302), a 401 with ``HX-Redirect`` (htmx) or a 401 problem (API).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.db import db
from core.notifications import Message, Notification, notify
from core.partners.services import create_partner
from core.testing import access as matrix

TABLE = """
resource      action     | admin        manager      owner        other        anonymous
lead          list       | 200/200/200  200/200/200  200/200/200  200/200/200  302/401/401
lead          read       | 200/200/200  200/200/200  200/200/200  404/404/404  302/401/401
lead          missing    | 404/404/404  404/404/404  404/404/404  404/404/404  302/401/401
lead          create     | 303/303/201  303/303/201  303/303/201  303/303/201  302/401/401
lead          edit       | 200/200/---  200/200/---  200/200/---  404/404/---  302/401/---
lead          update     | 303/303/200  303/303/200  303/303/200  404/404/404  302/401/401
lead          start      | 303/303/200  303/303/200  303/303/200  404/404/404  302/401/401
lead          lose       | 303/204/200  303/204/200  303/204/200  404/404/404  302/401/401
lead          recycle    | 303/303/200  303/303/200  303/303/200  404/404/404  302/401/401
lead          convert    | 303/303/200  303/303/200  303/303/200  404/404/404  302/401/401
lead          duplicates | 200/200/200  200/200/200  200/200/200  404/404/404  302/401/401
lead          delete     | 409/409/409  409/409/409  409/409/409  404/404/404  302/401/401
opportunity   list       | 200/200/200  200/200/200  200/200/200  200/200/200  302/401/401
opportunity   read       | 200/200/200  200/200/200  200/200/200  404/404/404  302/401/401
opportunity   create     | 303/303/201  303/303/201  303/303/201  303/303/201  302/401/401
opportunity   edit       | 200/200/---  200/200/---  200/200/---  404/404/---  302/401/---
opportunity   update     | 303/303/200  303/303/200  303/303/200  404/404/404  302/401/401
opportunity   move       | 303/200/---  303/200/---  303/200/---  404/404/---  302/401/---
opportunity   won        | 303/303/200  303/303/200  303/303/200  404/404/404  302/401/401
opportunity   lose       | 303/204/200  303/204/200  303/204/200  404/404/404  302/401/401
event         list       | 200/200/200  200/200/200  200/200/200  200/200/200  302/401/401
event         read       | 200/200/200  200/200/200  200/200/200  404/404/404  302/401/401
event         create     | 303/204/201  303/204/201  303/204/201  303/204/201  302/401/401
event         edit       | 200/200/---  200/200/---  200/200/---  404/404/---  302/401/---
event         update     | 303/204/200  303/204/200  303/204/200  404/404/404  302/401/401
event         done       | 303/303/200  303/303/200  303/303/200  404/404/404  302/401/401
event         cancel     | 303/303/200  303/303/200  303/303/200  404/404/404  302/401/401
event         delete     | 303/303/204  303/303/204  303/303/204  404/404/404  302/401/401
feed          owner      | ---/---/200  ---/---/200  ---/---/200  ---/---/200  ---/---/200
feed          forged     | ---/---/404  ---/---/404  ---/---/404  ---/---/404  ---/---/404
notification  list       | 200/200/200  200/200/200  200/200/200  200/200/200  302/401/401
notification  markread   | 404/404/404  404/404/404  303/303/200  404/404/404  302/401/401
order         list       | 200/200/200  200/200/200  200/200/200  200/200/200  302/401/401
order         read       | 200/200/200  200/200/200  200/200/200  404/404/404  302/401/401
order         print      | 200/200/---  200/200/---  200/200/---  404/404/---  302/401/---
order         create     | 303/303/201  303/303/201  303/303/201  303/303/201  302/401/401
order         edit       | 200/200/---  200/200/---  200/200/---  404/404/---  302/401/---
order         update     | 303/303/200  303/303/200  303/303/200  404/404/404  302/401/401
order         finalize   | 303/303/200  303/303/200  303/303/200  404/404/404  302/401/401
order         confirm    | 303/303/200  303/303/200  303/303/200  404/404/404  302/401/401
order         complete   | 303/303/200  303/303/200  303/303/200  404/404/404  302/401/401
order         cancel     | 303/303/200  303/303/200  303/303/200  404/404/404  302/401/401
product       list       | 200/200/200  200/200/200  200/200/200  200/200/200  302/401/401
product       read       | ---/---/200  ---/---/200  ---/---/200  ---/---/200  ---/---/401
product       create     | 303/303/201  303/303/201  403/403/403  403/403/403  302/401/401
product       update     | 303/303/200  303/303/200  403/403/403  403/403/403  302/401/401
product       delete     | 303/303/204  303/303/204  403/403/403  403/403/403  302/401/401
"""

CASES = matrix.cases(TABLE)


def _soon(days=2):
    return (datetime.now(UTC).replace(microsecond=0, second=0, minute=0) + timedelta(days=days))


@pytest.fixture
def make_world(app, manager, sales):
    """Fresh records of ``sales`` (made by the manager), one set per channel tried."""
    from modules.calendar import services as calendar
    from modules.crm.models import LostReason
    from modules.crm.services import leads, opportunities
    from modules.sales import services as sales_services

    counter = iter(range(1, 1000))
    product = sales_services.create_product(
        {"code": "MX-1", "name": "Matrix widget", "unit_price": Decimal("10.00"),
         "tax_rate": Decimal("20")}, by=manager)
    reason_id = db.session.scalars(sa.select(LostReason.id).order_by(LostReason.id)).first()

    def make():
        n = next(counter)
        partner = create_partner({"name": f"Owned Co {n}", "salesperson_id": sales.id}, by=manager)
        lead = leads.create_lead({"last_name": f"Lead{n}", "company_name": f"Lead Co {n}",
                                  "assigned_to": sales.id}, by=manager)
        leads.assign(lead, sales.id, by=manager)
        lost = leads.create_lead({"last_name": f"Lost{n}", "company_name": f"Lost Co {n}",
                                  "assigned_to": sales.id}, by=manager)
        leads.assign(lost, sales.id, by=manager)
        leads.lose(lost, reason_id, "far", by=manager)
        opp = opportunities.create_opportunity({"name": f"Opp {n}", "partner_id": partner.id,
                                                "assigned_to": sales.id}, by=manager)
        event = calendar.create_event({"subject": f"Meeting {n}", "start": _soon(),
                                       "organizer_id": sales.id}, by=sales)
        draft = sales_services.create_order({"partner_id": partner.id, "assigned_to": sales.id},
                                            [{"product_id": product.id, "quantity": "1"}], by=manager)
        finalized = sales_services.create_order({"partner_id": partner.id, "assigned_to": sales.id},
                                                [{"product_id": product.id, "quantity": "1"}], by=manager)
        sales_services.run_action(finalized, "finalize", by=manager)
        confirmed = sales_services.create_order({"partner_id": partner.id, "assigned_to": sales.id},
                                                [{"product_id": product.id, "quantity": "1"}], by=manager)
        sales_services.run_action(confirmed, "finalize", by=manager)
        sales_services.run_action(confirmed, "confirm", by=manager)
        spare = sales_services.create_product({"code": f"SPARE-{n}", "name": f"Spare {n}",
                                               "unit_price": Decimal("1.00")}, by=manager)
        note = notify(Message(user_id=sales.id, title=f"Hello {n}", key=f"matrix-{n}"))
        db.session.commit()
        return {"n": n, "partner": partner.id, "lead": lead.id, "lead_version": lead.version,
                "lost": lost.id, "opp": opp.id, "opp_version": opp.version, "event": event.id,
                "event_version": event.version, "draft": draft.id, "draft_version": draft.version,
                "finalized": finalized.id, "confirmed": confirmed.id, "product": spare.id,
                "product_version": spare.version, "notification": note.id, "reason": reason_id,
                "sales": sales.id}

    return make


def _request(resource, action, w):
    """(page method, page url, form, api method, api url, api json) of an action."""
    lead, opp, ev = w["lead"], w["opp"], w["event"]
    start = _soon(3).strftime("%Y-%m-%dT%H:%M")
    n = w["n"]
    t = {
        ("lead", "list"): ("get", "/crm/leads", None, "get", "/leads", None),
        ("lead", "read"): ("get", f"/crm/leads/{lead}", None, "get", f"/leads/{lead}", None),
        ("lead", "missing"): ("get", "/crm/leads/987654", None, "get", "/leads/987654", None),
        ("lead", "create"): ("post", "/crm/leads/new", {"last_name": f"Fresh{n}", "company_name": f"Fresh {n}"},
                             "post", "/leads", {"last_name": f"Fresh{n}", "company_name": f"Fresh {n}"}),
        ("lead", "edit"): ("get", f"/crm/leads/{lead}/edit", None, None, None, None),
        ("lead", "update"): ("post", f"/crm/leads/{lead}/edit",
                             {"last_name": "Renamed", "company_name": "Renamed Co",
                              "version": str(w["lead_version"])},
                             "patch", f"/leads/{lead}", {"last_name": "Renamed"}),
        ("lead", "start"): ("post", f"/crm/leads/{lead}/start", {}, "post", f"/leads/{lead}/start", None),
        ("lead", "lose"): ("post", f"/crm/leads/{lead}/lose", {"lost_reason_id": str(w["reason"])},
                           "post", f"/leads/{lead}/lose", {"lost_reason_id": w["reason"]}),
        ("lead", "recycle"): ("post", f"/crm/leads/{w['lost']}/recycle", {},
                              "post", f"/leads/{w['lost']}/recycle", None),
        ("lead", "convert"): ("post", f"/crm/leads/{lead}/convert", {"partner_mode": "new"},
                              "post", f"/leads/{lead}/convert", {}),
        ("lead", "duplicates"): ("get", f"/crm/leads/{lead}/duplicates", None,
                                 "get", f"/leads/{lead}/duplicates", None),
        ("lead", "delete"): ("post", f"/crm/leads/{lead}/delete", {}, "delete", f"/leads/{lead}", None),
        ("opportunity", "list"): ("get", "/crm/opportunities", None, "get", "/opportunities", None),
        ("opportunity", "read"): ("get", f"/crm/opportunities/{opp}", None, "get", f"/opportunities/{opp}", None),
        ("opportunity", "create"): ("post", "/crm/opportunities/new",
                                    {"name": f"New opp {n}", "partner_id": str(w["partner"])},
                                    "post", "/opportunities", {"name": f"New opp {n}",
                                                               "partner_id": w["partner"]}),
        ("opportunity", "edit"): ("get", f"/crm/opportunities/{opp}/edit", None, None, None, None),
        ("opportunity", "update"): ("post", f"/crm/opportunities/{opp}/edit",
                                    {"name": "Renamed opp", "partner_id": str(w["partner"]),
                                     "version": str(w["opp_version"])},
                                    "patch", f"/opportunities/{opp}", {"name": "Renamed opp"}),
        ("opportunity", "move"): ("post", f"/crm/opportunities/{opp}/move", {"stage_id": str(w["stage"])},
                                  None, None, None),
        ("opportunity", "won"): ("post", f"/crm/opportunities/{opp}/won", {},
                                 "post", f"/opportunities/{opp}/won", None),
        ("opportunity", "lose"): ("post", f"/crm/opportunities/{opp}/lose", {"lost_reason_id": str(w["reason"])},
                                  "post", f"/opportunities/{opp}/lose", {"lost_reason_id": w["reason"]}),
        ("event", "list"): ("get", "/calendar", None, "get", "/events", None),
        ("event", "read"): ("get", f"/calendar/events/{ev}", None, "get", f"/events/{ev}", None),
        ("event", "create"): ("post", "/calendar/events/new",
                              {"type": "call", "subject": f"Call {n}", "start": start},
                              "post", "/events", {"type": "call", "subject": f"Call {n}",
                                                  "start": _soon(3).isoformat()}),
        ("event", "edit"): ("get", f"/calendar/events/{ev}/edit", None, None, None, None),
        ("event", "update"): ("post", f"/calendar/events/{ev}/edit",
                              {"type": "meeting", "subject": "Moved", "start": start,
                               "version": str(w["event_version"])},
                              "patch", f"/events/{ev}", {"subject": "Moved"}),
        ("event", "done"): ("post", f"/calendar/events/{ev}/done", {}, "post", f"/events/{ev}/done", None),
        ("event", "cancel"): ("post", f"/calendar/events/{ev}/cancel", {}, "post", f"/events/{ev}/cancel", None),
        ("event", "delete"): ("post", f"/calendar/events/{ev}/delete", {}, "delete", f"/events/{ev}", None),
        ("feed", "owner"): (None, None, None, "get", f"/calendar/feed/{w['feed']}.ics", None),
        ("feed", "forged"): (None, None, None, "get", f"/calendar/feed/{w['sales']}-{'0' * 40}.ics", None),
        ("notification", "list"): ("get", "/notifications", None, "get", "/notifications", None),
        ("notification", "markread"): ("post", f"/notifications/{w['notification']}/read", {},
                                       "post", f"/notifications/{w['notification']}/read", None),
        ("order", "list"): ("get", "/sales/orders", None, "get", "/orders", None),
        ("order", "read"): ("get", f"/sales/orders/{w['draft']}", None, "get", f"/orders/{w['draft']}", None),
        ("order", "print"): ("get", f"/sales/orders/{w['draft']}/print", None, None, None, None),
        ("order", "create"): ("post", "/sales/orders/new", {"partner_id": str(w["partner"]), "currency": "EUR"},
                              "post", "/orders", {"partner_id": w["partner"]}),
        ("order", "edit"): ("get", f"/sales/orders/{w['draft']}/edit", None, None, None, None),
        ("order", "update"): ("post", f"/sales/orders/{w['draft']}/edit",
                              {"partner_id": str(w["partner"]), "currency": "USD",
                               "version": str(w["draft_version"])},
                              "patch", f"/orders/{w['draft']}", {"currency": "USD"}),
        ("order", "finalize"): ("post", f"/sales/orders/{w['draft']}/finalize", {},
                                "post", f"/orders/{w['draft']}/finalize", None),
        ("order", "confirm"): ("post", f"/sales/orders/{w['finalized']}/confirm", {},
                               "post", f"/orders/{w['finalized']}/confirm", None),
        ("order", "complete"): ("post", f"/sales/orders/{w['confirmed']}/complete", {},
                                "post", f"/orders/{w['confirmed']}/complete", None),
        ("order", "cancel"): ("post", f"/sales/orders/{w['draft']}/cancel", {},
                              "post", f"/orders/{w['draft']}/cancel", None),
        ("product", "list"): ("get", "/sales/products", None, "get", "/products", None),
        ("product", "read"): (None, None, None, "get", f"/products/{w['product']}", None),
        ("product", "create"): ("post", "/sales/products/new",
                                {"code": f"NEW-{n}", "name": "New", "unit_price": "1", "tax_rate": "20"},
                                "post", "/products", {"code": f"NEW-{n}", "name": "New"}),
        ("product", "update"): ("post", f"/sales/products/{w['product']}/edit",
                                {"code": f"SPARE-{n}", "name": f"Renamed {n}", "unit_price": "2", "tax_rate": "20",
                                 "version": str(w["product_version"])},
                                "patch", f"/products/{w['product']}", {"name": f"Renamed {n}"}),
        ("product", "delete"): ("post", f"/sales/products/{w['product']}/delete", {},
                                "delete", f"/products/{w['product']}", None),
    }
    return matrix.Request(*t[(resource, action)])


def _state(w):
    """Everything the actions may change, read back from the database."""
    from modules.calendar.models import Event
    from modules.crm.models import Lead, Opportunity
    from modules.sales.models import Product, SaleOrder

    db.session.expire_all()

    def rows(model, *cols):
        return sorted(db.session.execute(sa.select(model.id, *cols)).all())

    return {
        "leads": rows(Lead, Lead.status, Lead.last_name, Lead.version),
        "opps": rows(Opportunity, Opportunity.name, Opportunity.stage_id, Opportunity.version),
        "events": rows(Event, Event.subject, Event.version),
        "orders": rows(SaleOrder, SaleOrder.status, SaleOrder.currency, SaleOrder.version),
        "products": rows(Product, Product.name, Product.version),
        "notes": rows(Notification, Notification.read_at),
    }


def _leaks(response, w) -> bool:
    """Does a refusal name the owner's record?"""
    text = response.get_data(as_text=True)
    return any(marker in text for marker in (f"Lead{w['n']}", f"Opp {w['n']}", f"Meeting {w['n']}",
                                             f"Hello {w['n']}"))


def _check(action, channel, expected, response, before, after, w) -> list[str]:
    # Every API-channel refusal is problem+json, the forged ICS feed's 404 included.
    problems = matrix.problems(channel, expected, response)
    if response.status_code != expected:
        return problems
    if expected >= 400 and _leaks(response, w):
        problems.append(f"{channel}: the refusal names the record")
    if expected >= 400 and after != before:
        problems.append(f"{channel}: a refused request changed something")
    elif expected == 409:
        pass
    elif (expected in (201, 204, 303) or (expected == 200 and channel == "api"
                                          and action not in ("list", "read", "owner", "duplicates"))) \
            and after == before and action != "markread":
        problems.append(f"{channel}: an accepted request changed nothing")
    return problems


@pytest.mark.parametrize(("resource", "action", "role", "expected"), CASES)
def test_module_access_matrix(app, make_world, login, api, client, request, resource, action, role,
                              expected):
    from modules.calendar import feed
    from modules.crm.models import OpportunityStage

    user = matrix.user_for(request, role)
    problems = []
    for channel, status in expected.items():
        w = make_world()
        owner = db.session.get(type(request.getfixturevalue("sales")), w["sales"])
        w["feed"] = feed.secret_for(owner)
        w["stage"] = db.session.scalars(
            sa.select(OpportunityStage.id).where(OpportunityStage.is_won.is_(False),
                                                 OpportunityStage.is_lost.is_(False))
            .order_by(OpportunityStage.id.desc())).first()
        before = _state(w)
        response = matrix.send(_request(resource, action, w), channel, user, login=login, api=api,
                               client=client)
        problems += _check(action, channel, status, response, before, _state(w), w)
    assert not problems, problems


def test_matrix_covers_every_role_and_channel():
    assert matrix.covers_every_role_and_channel(CASES)


def test_other_salesperson_counts_nothing_of_the_owner(make_world, api, login, sales, sales2, manager):
    """Lists, counts, feeds and dashboards of another salesperson never include the owner's
    records: the totals the API reports equal those of an empty world, the pages and the
    JSON calendar feed never name them, and the manager sees them all."""
    def totals(user):
        client = api(user)
        return {url: client.get(url).json["total"] for url in ("/leads", "/opportunities", "/orders", "/events")}

    empty = totals(sales2)
    worlds = [make_world() for _ in range(3)]
    assert totals(sales2) == empty
    seen = totals(manager)
    assert all(seen[url] >= empty[url] + 3 for url in seen), seen
    other = login(sales2)
    start = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    end = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()
    pages = ["/crm/leads", "/crm/leads/kanban", "/crm/opportunities", "/crm/pipeline", "/crm/",
             "/sales/orders", "/calendar", f"/calendar/events.json?start={start}&end={end}",
             "/notifications", "/notifications/bell", "/"]
    for url in pages:
        for headers in ({}, matrix.HX):
            response = other.get(url, headers=headers)
            assert response.status_code == 200, url
            text = response.get_data(as_text=True)
            for w in worlds:
                for marker in (f"Lead{w['n']}", f"Opp {w['n']}", f"Meeting {w['n']}", f"Hello {w['n']}",
                               f"/crm/leads/{w['lead']}\"", f"/sales/orders/{w['draft']}\""):
                    assert marker not in text, (url, marker)
    mine = login(sales).get(f"/calendar/events.json?start={start}&end={end}").get_data(as_text=True)
    assert f"Meeting {worlds[0]['n']}" in mine
