"""The sales API: products, orders (quotes and orders) and their actions, and
``POST /opportunities/{id}/quote`` (through the ``prefill_order`` hook, without the CRM)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from core import access
from core.api import ApiBlueprint, ApiError, api_user, page_of
from core.web import search_pattern
from modules.sales import services
from modules.sales.models import Product, SaleOrder
from modules.sales.schemas import (
    OrderIn,
    OrderOut,
    OrderPatch,
    OrderQuery,
    ProductIn,
    ProductOut,
    ProductPatch,
    ProductQuery,
)

api = ApiBlueprint("sales_api", __name__, tag="sales")


# --- products -----------------------------------------------------------------------

PRODUCT_SORT = {"code": Product.code, "name": Product.name_search, "id": Product.id}


@api.operation("/products", summary="List products", query=ProductQuery, response=ProductOut,
               list_response=True)
def list_products(query: ProductQuery):
    stmt = access.visible(sa.select(Product), Product, api_user())
    if query.q and query.q.replace("\x00", ""):
        stmt = stmt.where(Product.name_search.like(search_pattern(query.q.replace("\x00", "")), escape="\\"))
    if query.active is not None:
        stmt = stmt.where(Product.active.is_(query.active))
    column = PRODUCT_SORT[query.sort.lstrip("-")]
    stmt = stmt.order_by(column.desc() if query.sort.startswith("-") else column, Product.id)
    return page_of(stmt, query)


@api.operation("/products", "POST", summary="Create a product (managers)", body=ProductIn,
               response=ProductOut, status=201)
def create_product(data: ProductIn):
    return services.create_product(data.model_dump(), by=api_user())


@api.operation("/products/<int:product_id>", summary="Read a product", response=ProductOut)
def get_product(product_id: int):
    return access.get_or_404(Product, product_id, api_user())


@api.operation("/products/<int:product_id>", "PATCH", summary="Change a product (managers)",
               body=ProductPatch, response=ProductOut)
def patch_product(product_id: int, data: ProductPatch):
    user = api_user()
    product = access.get_or_404(Product, product_id, user, "update")
    values = data.model_dump(exclude_unset=True)
    version = values.pop("version", None)
    for key in ("code", "name", "active"):
        if key in values and values[key] is None:
            raise ApiError(422, "Invalid fields", errors={key: ["may not be null"]})
    return services.update_product(product, values, by=user, version=version)


@api.operation("/products/<int:product_id>", "DELETE", summary="Delete an unused product (managers)",
               status=204)
def delete_product(product_id: int):
    user = api_user()
    services.delete_product(access.get_or_404(Product, product_id, user, "delete"), by=user)


# --- orders ---------------------------------------------------------------------------

ORDER_SORT = {"number": SaleOrder.number, "created_at": SaleOrder.created_at,
              "amount_total": SaleOrder.amount_total, "id": SaleOrder.id}


def _order_filters(user, query: OrderQuery) -> dict:
    """The query's filters as ``services.filtered`` takes them (the page's, and a few more)."""
    assigned_to = user.id if query.assigned_to == "me" else query.assigned_to
    return {"q": (query.q or "").replace("\x00", "") or None, "status": query.status, "assigned_to": assigned_to,
            "partner_id": query.partner_id, "opportunity_id": query.opportunity_id, "lead_id": query.lead_id}


@api.operation("/orders", summary="List quotes and orders", query=OrderQuery, response=OrderOut,
               list_response=True)
def list_orders(query: OrderQuery):
    user = api_user()
    filters = _order_filters(user, query)
    visible = access.visible(sa.select(SaleOrder), SaleOrder, user)
    column = ORDER_SORT[query.sort.lstrip("-")]
    order = column.desc() if query.sort.startswith("-") else column

    def rows(narrow: bool | None = True):  # as the page's list (modules.sales.views.list_orders)
        return (services.filtered(visible, narrow=narrow, **filters).order_by(order, SaleOrder.id.desc())
                .options(selectinload(SaleOrder.lines)))

    return page_of(rows(), query, rows_stmt=rows if filters["q"] else None,
                   count_stmt=services.tally_count(user, **filters))


def prefilled(origin_type: str, origin_id: int, user) -> dict | None:
    """Initial values of an order made from a record (``prefill_order``), or None."""
    values = services.prefill(origin_type, origin_id, user)
    if values is None:
        return None
    values.update(origin_type=origin_type, origin_id=origin_id)
    return values


@api.operation("/orders", "POST", summary="Create a quote (draft order)", body=OrderIn,
               response=OrderOut, status=201)
def create_order(data: OrderIn):
    user = api_user()
    given = data.model_dump(exclude_unset=True)
    lines = given.pop("lines", [])
    values = {k: v for k, v in given.items() if k in services.ORDER_FIELDS}
    if data.opportunity_id is not None:
        values.update(origin_type="opportunity", origin_id=data.opportunity_id)
    if data.lead_id is not None:
        values.update(prospect_type="lead", prospect_id=data.lead_id)
    if data.opportunity_id is not None and data.partner_id is None and data.lead_id is None:
        # Made from an opportunity: its customer, salesperson and currency by default.
        for key, value in (services.prefill("opportunity", data.opportunity_id, user) or {}).items():
            values.setdefault(key, value)
    return services.create_order(values, lines, by=user)


@api.operation("/orders/<int:order_id>", summary="Read a quote or order", response=OrderOut)
def get_order(order_id: int):
    return access.get_or_404(SaleOrder, order_id, api_user())


@api.operation("/orders/<int:order_id>", "PATCH",
               summary="Change a draft quote (lines, when given, replace all the lines)",
               body=OrderPatch, response=OrderOut)
def patch_order(order_id: int, data: OrderPatch):
    user = api_user()
    order = access.get_or_404(SaleOrder, order_id, user, "update")
    values = data.model_dump(exclude_unset=True)
    version = values.pop("version", None)
    lines = values.pop("lines", None)
    if "currency" in values and values["currency"] is None:
        raise ApiError(422, "Invalid fields", errors={"currency": ["may not be null"]})
    return services.update_order(order, values, lines, by=user, version=version)


def _action(order_id: int, action: str):
    user = api_user()
    order = access.get_or_404(SaleOrder, order_id, user)
    return services.run_action(order, action, by=user)


@api.operation("/orders/<int:order_id>/finalize", "POST", summary="Finalize a quote (gives its number)",
               response=OrderOut)
def finalize_order(order_id: int):
    return _action(order_id, "finalize")


@api.operation("/orders/<int:order_id>/confirm", "POST",
               summary="Confirm an order (the customer becomes a customer)", response=OrderOut)
def confirm_order(order_id: int):
    return _action(order_id, "confirm")


@api.operation("/orders/<int:order_id>/complete", "POST", summary="Mark an order completed",
               response=OrderOut)
def complete_order(order_id: int):
    return _action(order_id, "complete")


@api.operation("/orders/<int:order_id>/cancel", "POST", summary="Cancel a quote", response=OrderOut)
def cancel_order(order_id: int):
    return _action(order_id, "cancel")


@api.operation("/opportunities/<int:opportunity_id>/quote", "POST",
               summary="Create a quote from an opportunity (needs the sales module)",
               response=OrderOut, status=201)
def quote_opportunity(opportunity_id: int):
    user = api_user()
    values = prefilled("opportunity", opportunity_id, user)
    if values is None:
        raise ApiError(404, "Not Found", "No such opportunity (or the CRM module is disabled).")
    return services.create_order(values, [], by=user)

