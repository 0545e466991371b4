"""The CRM's REST API (API.md: leads, lost-reasons, lead-sources, opportunity-stages,
opportunities, forecast). Every action goes through the services."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response
from flask_babel import gettext as _

from core import access
from core.api import ApiBlueprint, ApiError, ListQuery, api_user, page_of
from core.db import db
from core.partners.schemas import ContactOut, PartnerOut
from core.web import sort_clause
from modules.crm import schemas as s
from modules.crm.models import Lead, LeadSource, LostReason, Opportunity, OpportunityStage
from modules.crm.services import duplicates, leads, lists, opportunities

api = ApiBlueprint("crm_api", __name__, tag="crm")

LEAD_SORTS = {"name": Lead.name_search, "company": Lead.company_key, "status": Lead.status,
              "created": Lead.created_at, "updated": Lead.updated_at, "city": Lead.city}


def lead_json(lead: Lead, opportunity_ids: list[int] | None = None) -> dict:
    data = {c: getattr(lead, c) for c in s.LeadOut.model_fields if hasattr(lead, c)
            and c not in ("source", "opportunity_ids")}
    data["source"] = (lead.source.code or lead.source.name) if lead.source else None
    if opportunity_ids is None:
        opportunity_ids = list(db.session.scalars(
            sa.select(Opportunity.id).where(Opportunity.lead_id == lead.id).order_by(Opportunity.id)))
    data["opportunity_ids"] = opportunity_ids
    return data


def _lead_values(data, *, partial: bool) -> dict:
    values = data.model_dump(exclude_unset=partial, exclude={"version"})
    source = values.pop("source", None)
    if source is not None:
        values["source_id"] = leads.resolve_source(source)
    elif "source" in data.model_fields_set and partial:
        values["source_id"] = None
    return values


def _user_filter(value: str | int | None, user) -> int | None:
    """``assigned_to`` of a query: "me" or a user id (an ``Id``, validated by the model)."""
    if value == "me":
        return user.id
    return value if isinstance(value, int) else None


# --- leads -----------------------------------------------------------------------------

@api.operation("/leads", summary="List leads", query=s.LeadQuery, response=s.LeadOut,
               list_response=True)
def list_leads(query: s.LeadQuery):
    user = api_user()

    source = leads.resolve_source(query.source) if query.source else None
    assigned_to = "none" if query.assigned_to == "none" else _user_filter(query.assigned_to, user)
    _key, order = sort_clause(LEAD_SORTS, query.sort, "-created")

    def rows(narrow: bool | None = True):  # narrow: see core.web.paginate
        return leads.filtered(sa.select(Lead), user, q=query.q, status=query.status, source_id=source,
                              assigned_to=assigned_to, narrow=narrow
                              ).options(sa.orm.joinedload(Lead.source)).order_by(order, Lead.id.desc())

    page = page_of(rows(), query, rows_stmt=rows, count_stmt=leads.tally_count(
        user, q=query.q, status=query.status, source_id=source, assigned_to=assigned_to))
    ids = [lead.id for lead in page["items"]]
    by_lead: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        for opp_id, lead_id in db.session.execute(
                sa.select(Opportunity.id, Opportunity.lead_id).where(Opportunity.lead_id.in_(ids))
                .order_by(Opportunity.id)):
            by_lead[lead_id].append(opp_id)
    page["items"] = [lead_json(lead, by_lead[lead.id]) for lead in page["items"]]
    return page


@api.operation("/leads", "POST", summary="Create a lead", body=s.LeadIn, response=s.LeadOut,
               status=201)
def create_lead(data: s.LeadIn):
    lead = leads.create_lead(_lead_values(data, partial=False), by=api_user())
    return lead_json(lead, [])


def _lead(lead_id: int, action: str = "read") -> Lead:
    return access.get_or_404(Lead, lead_id, api_user(), action)


@api.operation("/leads/<int:lead_id>", summary="Read a lead", response=s.LeadOut)
def get_lead(lead_id: int):
    return lead_json(_lead(lead_id))


@api.operation("/leads/<int:lead_id>", "PATCH", summary="Update a lead's fields",
               body=s.LeadPatch, response=s.LeadOut)
def update_lead(lead_id: int, data: s.LeadPatch):
    lead = _lead(lead_id)
    return lead_json(leads.update_lead(lead, _lead_values(data, partial=True), by=api_user(),
                                       version=data.version))


@api.operation("/leads/<int:lead_id>", "DELETE", summary="Delete a lost lead", status=204)
def delete_lead(lead_id: int):
    leads.delete(_lead(lead_id), by=api_user())
    return Response(status=204)


@api.operation("/leads/<int:lead_id>/assign", "POST",
               summary="Assign a lead (no body: to me)", body=s.AssignIn, response=s.LeadOut)
def assign_lead(lead_id: int, data: s.AssignIn):
    return lead_json(leads.assign(_lead(lead_id), data.user_id, by=api_user()))


@api.operation("/leads/<int:lead_id>/start", "POST", summary="Start work on a lead",
               response=s.LeadOut)
def start_lead(lead_id: int):
    return lead_json(leads.start(_lead(lead_id), by=api_user()))


@api.operation("/leads/<int:lead_id>/lose", "POST", summary="Close a lead as lost",
               body=s.LoseIn, response=s.LeadOut)
def lose_lead(lead_id: int, data: s.LoseIn):
    return lead_json(leads.lose(_lead(lead_id), data.lost_reason_id, data.note, by=api_user()))


@api.operation("/leads/<int:lead_id>/recycle", "POST", summary="Recycle a lost lead",
               response=s.LeadOut)
def recycle_lead(lead_id: int):
    return lead_json(leads.recycle(_lead(lead_id), by=api_user()))


@api.operation("/leads/<int:lead_id>/convert", "POST",
               summary="Convert a lead into a partner and contact (and an opportunity)",
               body=s.ConvertIn, response=s.ConvertOut)
def convert_lead(lead_id: int, data: s.ConvertIn):
    lead = _lead(lead_id)
    opp_values = data.opportunity.model_dump(exclude_none=True) if data.opportunity else None
    result = leads.convert(lead, by=api_user(), partner_id=data.partner_id,
                           create_opportunity=data.create_opportunity or bool(opp_values),
                           opportunity=opp_values)
    opp = result["opportunity"]
    return {
        "lead": lead_json(result["lead"]),
        "partner": PartnerOut.model_validate(result["partner"]).model_dump(mode="json"),
        "contact": ContactOut.model_validate(result["contact"]).model_dump(mode="json")
        if result["contact"] else None,
        "opportunity": s.OpportunityOut.model_validate(opp) if opp else None,
    }


@api.operation("/leads/<int:lead_id>/duplicates", summary="Likely duplicates of a lead",
               response=s.DuplicatesOut)
def lead_duplicates(lead_id: int):
    items = duplicates.for_lead(_lead(lead_id), api_user())
    return {"items": [duplicates.describe(i) for i in items]}


# --- lost reasons, lead sources, stages ----------------------------------------------------

def _list_api(path: str, model, body, patch, out, label: str):
    def list_rows(query: ListQuery):
        api_user()
        order = (model.sequence, model.id) if model is OpportunityStage else (model.name, model.id)
        return page_of(sa.select(model).order_by(*order), query)

    def create_row(data):
        return lists.create(model, data.model_dump(), by=api_user())

    def get_row(row_id: int):
        return access.get_or_404(model, row_id, api_user())

    def update_row(row_id: int, data):
        row = access.get_or_404(model, row_id, api_user())
        return lists.update(row, data.model_dump(exclude_unset=True), by=api_user())

    def delete_row(row_id: int):
        lists.delete(access.get_or_404(model, row_id, api_user()), by=api_user())
        return Response(status=204)

    prefix = path.strip("/").replace("-", "_")
    for fn, name in ((list_rows, "list"), (create_row, "create"), (get_row, "get"),
                     (update_row, "update"), (delete_row, "delete")):
        fn.__name__ = f"{name}_{prefix}"
    api.operation(path, summary=f"List {label}", query=ListQuery, response=out,
                  list_response=True)(list_rows)
    api.operation(path, "POST", summary=f"Create a {label[:-1]} (managers)", body=body,
                  response=out, status=201)(create_row)
    api.operation(f"{path}/<int:row_id>", summary=f"Read a {label[:-1]}", response=out)(get_row)
    api.operation(f"{path}/<int:row_id>", "PATCH", summary=f"Update a {label[:-1]} (managers)",
                  body=patch, response=out)(update_row)
    api.operation(f"{path}/<int:row_id>", "DELETE", summary=f"Delete an unused {label[:-1]}",
                  status=204)(delete_row)


class _NamedPatch(s.NamedIn):
    pass


_list_api("/lost-reasons", LostReason, s.NamedIn, _NamedPatch, s.NamedOut, "lost reasons")
_list_api("/lead-sources", LeadSource, s.NamedIn, _NamedPatch, s.SourceOut, "lead sources")
_list_api("/opportunity-stages", OpportunityStage, s.StageIn, s.StagePatch, s.StageOut, "stages")


# --- opportunities ------------------------------------------------------------------------

def _opp(opp_id: int) -> Opportunity:
    return access.get_or_404(Opportunity, opp_id, api_user())


@api.operation("/opportunities/forecast", summary="Open opportunities by expected close month",
               query=s.ForecastQuery, response=s.ForecastOut)
def forecast(query: s.ForecastQuery):
    user = api_user()
    return {"items": opportunities.forecast(user, query.months,
                                            assigned_to=_user_filter(query.assigned_to, user))}


@api.operation("/opportunities", summary="List opportunities", query=s.OpportunityQuery,
               response=s.OpportunityOut, list_response=True)
def list_opportunities(query: s.OpportunityQuery):
    user = api_user()
    filters = {"assigned_to": _user_filter(query.assigned_to, user), "q": query.q,
               **query.model_dump(include={"status", "stage_id", "partner_id", "lead_id", "close_from",
                                           "close_to"})}
    stmt = opportunities.filtered(sa.select(Opportunity), user, **filters)
    return page_of(stmt.order_by(Opportunity.id.desc()), query,
                   count_stmt=opportunities.tally_count(user, **filters))


@api.operation("/opportunities", "POST", summary="Create an opportunity", body=s.OpportunityIn,
               response=s.OpportunityOut, status=201)
def create_opportunity(data: s.OpportunityIn):
    return opportunities.create_opportunity(data.model_dump(), by=api_user())


@api.operation("/opportunities/<int:opp_id>", summary="Read an opportunity",
               response=s.OpportunityOut)
def get_opportunity(opp_id: int):
    return _opp(opp_id)


@api.operation("/opportunities/<int:opp_id>", "PATCH", summary="Update an opportunity",
               body=s.OpportunityPatch, response=s.OpportunityOut)
def update_opportunity(opp_id: int, data: s.OpportunityPatch):
    values = data.model_dump(exclude_unset=True, exclude={"version"})
    for required in ("name", "amount", "stage_id", "probability"):
        if required in values and values[required] is None:
            raise ApiError(422, "Invalid fields", _("Some fields are invalid."),
                           {required: ["cannot be null"]})
    return opportunities.update_opportunity(_opp(opp_id), values, by=api_user(),
                                            version=data.version)


@api.operation("/opportunities/<int:opp_id>/won", "POST", summary="Mark an opportunity won",
               response=s.OpportunityOut)
def won_opportunity(opp_id: int):
    return opportunities.mark_won(_opp(opp_id), by=api_user())


@api.operation("/opportunities/<int:opp_id>/lose", "POST", summary="Mark an opportunity lost",
               body=s.OpportunityLoseIn, response=s.OpportunityOut)
def lose_opportunity(opp_id: int, data: s.OpportunityLoseIn):
    return opportunities.mark_lost(_opp(opp_id), data.lost_reason_id, data.note, by=api_user())
