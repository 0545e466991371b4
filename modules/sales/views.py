"""Sales pages: products, the order list, the order page with its lines edited in place
(HTMX), the printable quote, and the quotes panels on other records' pages."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload, selectinload

from core import access, once, search, timeline
from core.auth.models import User
from core.auth.services import active_users
from core.db import db, utcnow
from core.errors import Conflict, ValidationError
from core.extensions import is_htmx
from core.partners.models import Partner
from core.validation import validate_form
from core.web import (
    Columns,
    Panel,
    StatusBadge,
    assignee_arg,
    int_arg,
    int_or_none,
    paginate,
    render,
    search_pattern,
    sort_clause,
    url_pattern,
)
from modules.sales import services
from modules.sales.models import ORDER_STATUSES, Product, SaleOrder, SaleOrderLine
from modules.sales.schemas import LineIn, OrderIn, OrderPatch, ProductIn

bp = Blueprint("sales", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/sales")

ORDER_SORTS = {"number": SaleOrder.number, "created": SaleOrder.created_at,
               "total": SaleOrder.amount_total, "status": SaleOrder.status,
               "valid_until": SaleOrder.valid_until}
PRODUCT_SORTS = {"code": Product.code, "name": Product.name_search, "price": Product.unit_price}

# {{ status_badge(order.status) }}: a template global (once a row in the order list).
ORDER_STATUS = StatusBadge(lambda: {
    "draft": _("Draft"), "finalized": _("Finalized"), "confirmed": _("Confirmed"),
    "completed": _("Completed"), "cancelled": _("Cancelled")}, {
    "draft": "secondary", "finalized": "info", "confirmed": "success", "completed": "dark",
    "cancelled": "danger"})
bp.add_app_template_global(ORDER_STATUS, "status_badge")


@bp.before_request
@login_required
def _login():
    return None


def _search_text() -> str:
    """The ``q`` parameter, without NUL characters (PostgreSQL refuses them)."""
    return request.args.get("q", "").replace("\x00", "").strip()[:100]




# --- products -----------------------------------------------------------------------

@bp.get("/sales/products")
def list_products():
    q = _search_text()
    state = request.args.get("state", "active")
    sort, order = sort_clause(PRODUCT_SORTS, request.args.get("sort"), "code")
    stmt = access.visible(sa.select(Product), Product, current_user)
    if q:
        stmt = stmt.where(Product.name_search.like(search_pattern(q), escape="\\"))
    if state == "active":
        stmt = stmt.where(Product.active.is_(True))
    elif state == "inactive":
        stmt = stmt.where(Product.active.is_(False))
    page = paginate(stmt.order_by(order, Product.id), int_arg("page", 1), 25,
                    count_limit=search.count_limit(q))
    return render("sales/products.html", fragment="results", page=page, q=q, state=state, sort=sort,
                  can_manage=access.can(current_user, "create", model=Product))


def _product_form(product: Product | None):
    if product is None:
        access.require_model(current_user, "create", Product)
        values = {"active": "1", "tax_rate": "20.00", "unit_price": "0.00"}
    else:
        values = {"code": product.code, "name": product.name, "unit_price": product.unit_price,
                  "tax_rate": product.tax_rate, "active": "1" if product.active else "",
                  "version": product.version}
    errors: dict = {}
    status = 200
    if request.method == "POST":
        values = request.form.to_dict()
        data, errors = validate_form(ProductIn, request.form, extra={"active": "active" in request.form})
        if data is not None:
            try:
                if product is None:
                    product = services.create_product(data.model_dump(), by=current_user)
                else:
                    services.update_product(product, data.model_dump(), by=current_user,
                                            version=int_or_none(request.form.get("version")))
            except ValidationError as exc:
                errors = exc.errors
            except Conflict as exc:
                errors, status = {"form": [exc.message]}, 409
            else:
                flash(_("Product %(code)s saved.", code=product.code), "success")
                return redirect(url_for("sales.list_products"), 303)
        status = status if status != 200 else 422
    return render("sales/product_form.html", product=product, values=values, errors=errors), status


@bp.route("/sales/products/new", methods=["GET", "POST"])
def new_product():
    return _product_form(None)


@bp.route("/sales/products/<int:product_id>/edit", methods=["GET", "POST"])
def edit_product(product_id: int):
    return _product_form(access.get_or_404(Product, product_id, current_user, "update"))


@bp.post("/sales/products/<int:product_id>/delete")
def delete_product(product_id: int):
    product = access.get_or_404(Product, product_id, current_user, "delete")
    code = product.code
    try:
        services.delete_product(product, by=current_user)
    except Conflict as exc:
        flash(exc.message, "danger")
        return redirect(url_for("sales.edit_product", product_id=product_id), 303)
    flash(_("Product %(code)s deleted.", code=code), "success")
    return redirect(url_for("sales.list_products"), 303)


# --- order list ------------------------------------------------------------------------

def order_name(number: str | None, order_id: int) -> str:
    """A quote's or order's name on pages (the template global ``order_name_of``, which the
    ``order_name()`` macro calls): its number, or "Draft quote #id" until it has one."""
    return number or _("Draft quote #%(id)s", id=order_id)


bp.add_app_template_global(order_name, "order_name_of")


def customer_html(partner_name: str | None, prospect_type: str | None, prospect: dict | None = None) -> Markup:
    """Who a quote or order is for (the template global ``order_customer``, which the
    ``customer()`` macro of sales/_macros.html calls): its partner; else the prospect the
    module that owns it describes (``prospect``: ``services.describe_reference``'s dict),
    or the prospect's kind."""
    if partner_name:
        return escape(partner_name)
    # Translated outside the f-strings: Babel's extractor does not look inside one (Python 3.11).
    if prospect is not None:
        kind = escape(_("lead"))
        return Markup(f'{escape(prospect["title"])} <span class="badge text-bg-light border">'  # noqa: S704  # nosec B704
                      f'{kind}</span>')
    if prospect_type:
        text = escape(_("A %(type)s (not a partner yet)", type=prospect_type))
        return Markup(f'<span class="text-muted">{text}</span>')  # noqa: S704  # nosec B704 - escaped
    return Markup('<span class="text-muted">—</span>')


bp.add_app_template_global(customer_html, "order_customer")

_CUSTOMER, _SELLER = sa.orm.aliased(Partner), sa.orm.aliased(User)
_LIST_COLUMNS = Columns(  # the order list's (core.web.paginate(shape=...))
    SaleOrder.id, SaleOrder.number, SaleOrder.status, SaleOrder.prospect_type, SaleOrder.currency,
    SaleOrder.valid_until, SaleOrder.created_at, SaleOrder.amount_total, _CUSTOMER.name.label("partner_name"),
    _SELLER.name.label("salesperson_name"),
    joins=[(_CUSTOMER, _CUSTOMER.id == SaleOrder.partner_id), (_SELLER, _SELLER.id == SaleOrder.assigned_to)])


def _rows_html(rows) -> Markup:
    """The order list's rows, built here like the lead list's (crm.views.leads._rows_html);
    every text escaped."""
    from core.i18n import date_formatter, money_formatter

    fmt_date, fmt_money = date_formatter(), money_formatter()
    order_url = url_pattern("sales.show_order", "order_id")
    parts = []
    for o in rows:
        who = customer_html(o.partner_name, o.prospect_type)
        name = order_name(o.number, o.id)
        badge = ORDER_STATUS(o.status)
        valid = escape(fmt_date(o.valid_until)) if o.valid_until else ""
        parts.append(
            f'<tr><td><a class="fw-semibold text-nowrap" href="{escape(order_url(o.id))}">{escape(name)}</a>'
            f'<div class="d-sm-none small">{who} {badge}</div></td><td class="d-none d-sm-table-cell">{who}</td>'
            f'<td class="d-none d-sm-table-cell">{badge}</td>'
            f'<td class="d-none d-lg-table-cell">{escape(o.salesperson_name or "—")}</td>'
            f'<td class="d-none d-md-table-cell text-nowrap">{valid}</td>'
            f'<td class="d-none d-md-table-cell text-nowrap">{escape(fmt_date(o.created_at))}</td>'
            f'<td class="text-end text-nowrap">{escape(fmt_money(o.amount_total, o.currency))}</td></tr>')
    return Markup("".join(parts))  # noqa: S704  # nosec B704 - every text escaped above


@bp.get("/sales/orders")
def list_orders():
    q = _search_text()
    status = request.args.get("status", "")
    salesperson = request.args.get("salesperson", "")
    sort, order = sort_clause(ORDER_SORTS, request.args.get("sort"), "-created")
    salesperson_id = assignee_arg(salesperson, current_user)
    filters = {"q": q, "status": status,
               "assigned_to": salesperson_id if isinstance(salesperson_id, int) else None}
    visible = access.visible(sa.select(SaleOrder), SaleOrder, current_user)

    def rows(narrow: bool | None = True):
        # Few matches (narrow): read through the indexes, then sorted; many: the list's
        # order walked, each row's text checked (see core.web.paginate).
        return services.filtered(visible, narrow=narrow, **filters).order_by(order, SaleOrder.id.desc())

    page = paginate(rows(), int_arg("page", 1), 25, rows_stmt=rows if q else None,
                    count_stmt=services.tally_count(current_user, **filters),
                    count_limit=search.count_limit(q), shape=_LIST_COLUMNS)
    return render("sales/orders.html", fragment="results", page=page, rows_html=_rows_html(page.items), q=q,
                  status=status,
                  salesperson=salesperson, sort=sort, users=active_users() if current_user.is_manager else [],
                  statuses=ORDER_STATUSES)


# --- creating a quote ------------------------------------------------------------------

def _partner_options(selected_id: int | None, q: str = "") -> list[Partner]:
    stmt = access.visible(sa.select(Partner), Partner, current_user)
    if q:
        stmt = stmt.where(Partner.name_search.like(search_pattern(q), escape="\\"))
    partners = list(db.session.scalars(stmt.order_by(Partner.name_search).limit(30)))
    if selected_id and all(p.id != selected_id for p in partners):
        selected = db.session.get(Partner, selected_id)
        if selected is not None and access.sees(current_user, selected):
            partners.insert(0, selected)
    return partners


@bp.get("/sales/partner-options")
def partner_options():
    """The partner picker's options (HTMX active search)."""
    q = _search_text()
    return render_template("sales/_partner_options.html", partners=_partner_options(None, q),
                           selected=None)


@bp.route("/sales/orders/new", methods=["GET", "POST"])
def new_order():
    access.require_model(current_user, "create", SaleOrder)
    origin_type = (request.values.get("origin_type") or "").strip()[:40] or None
    origin_id = int_or_none(request.values.get("origin_id"))
    values: dict = {"assigned_to": current_user.id,
                    "currency": current_app.config.get("DEFAULT_CURRENCY", "EUR"),
                    "valid_until": (utcnow() + timedelta(days=30)).date().isoformat(),
                    "partner_id": int_or_none(request.args.get("partner_id"))}
    origin = None
    if origin_type:
        prefill = services.prefill(origin_type, origin_id, current_user) if origin_id else None
        origin = services.describe_reference(origin_type, origin_id, current_user)
        if prefill is None or origin is None:
            flash(_("That record is unknown, not visible to you, or its module is disabled."), "danger")
            return redirect(url_for("sales.list_orders"), 303)
        values.update(prefill)
    prospect = services.describe_reference(values.get("prospect_type"), values.get("prospect_id"),
                                           current_user)
    errors: dict = {}
    if request.method == "POST":
        form_values = request.form.to_dict()
        data, errors = validate_form(OrderIn, request.form,
                                     ["partner_id", "assigned_to", "currency", "valid_until", "note"])
        if data is not None:
            payload = data.model_dump(exclude={"lead_id", "opportunity_id", "lines"})
            if not current_user.is_manager:
                payload["assigned_to"] = current_user.id
            if origin_type:
                payload.update(origin_type=origin_type, origin_id=origin_id)
                if values.get("prospect_type") and payload.get("partner_id") is None:
                    payload.update(prospect_type=values["prospect_type"], prospect_id=values["prospect_id"])
            if (again := once.repeated(url_for("sales.list_orders"))) is not None:
                return again
            try:
                order = services.create_order(payload, [], by=current_user)
            except ValidationError as exc:
                errors = exc.errors
            else:
                flash(_("Quote created: add its lines."), "success")
                return redirect(url_for("sales.show_order", order_id=order.id), 303)
        values.update(form_values)
    return render("sales/order_form.html", order=None, values=values, errors=errors, origin=origin,
                  origin_type=origin_type, origin_id=origin_id, prospect=prospect,
                  partners=_partner_options(int_or_none(values.get("partner_id"))),
                  users=active_users()), 422 if errors else 200


@bp.route("/sales/orders/<int:order_id>/edit", methods=["GET", "POST"])
def edit_order(order_id: int):
    order = access.get_or_404(SaleOrder, order_id, current_user, "update")
    if order.status != "draft":
        flash(_("Only a draft quote can be changed."), "warning")
        return redirect(url_for("sales.show_order", order_id=order.id), 303)
    values = {"partner_id": order.partner_id, "assigned_to": order.assigned_to,
              "currency": order.currency, "valid_until": order.valid_until, "note": order.note,
              "version": order.version}
    errors: dict = {}
    status = 200
    if request.method == "POST":
        values = request.form.to_dict()
        fields = ["partner_id", "assigned_to", "currency", "valid_until", "note"]
        data, errors = validate_form(OrderPatch, request.form, fields)
        if data is not None:
            payload = data.model_dump(include=set(fields))
            if not current_user.is_manager:
                payload.pop("assigned_to", None)
            try:
                services.update_order(order, payload, by=current_user,
                                      version=int_or_none(request.form.get("version")))
            except ValidationError as exc:
                errors = exc.errors
            except Conflict as exc:
                errors, status = {"form": [exc.message]}, 409
            else:
                flash(_("Changes saved."), "success")
                return redirect(url_for("sales.show_order", order_id=order.id), 303)
        status = status if status != 200 else 422
    return render("sales/order_form.html", order=order, values=values, errors=errors, origin=None,
                  origin_type=None, origin_id=None, prospect=None,
                  partners=_partner_options(int_or_none(values.get("partner_id"))),
                  users=active_users()), status


# --- the order page -------------------------------------------------------------------------

def _load(order_id: int, action: str = "read") -> SaleOrder:
    return access.get_or_404(SaleOrder, order_id, current_user, action, options=[
        selectinload(SaleOrder.lines).joinedload(SaleOrderLine.product),
        joinedload(SaleOrder.partner), joinedload(SaleOrder.salesperson)])


def _order_context(order: SaleOrder, **extra) -> dict:
    can_update = access.can(current_user, "update", order)
    context = {
        "order": order,
        "editable": can_update and order.status == "draft",
        "actions": [a for a in services.allowed_actions(order.status)
                    if access.can(current_user, a, order)],
        "flow": services.STATUS_FLOW,
        "origin": services.describe_reference(order.origin_type, order.origin_id, current_user),
        "prospect": services.describe_reference(order.prospect_type, order.prospect_id, current_user),
        "editing": None,
        "line_errors": {},
        "line_values": {},
        "picked": None,
    }
    context.update(extra)
    return context


@bp.get("/sales/orders/<int:order_id>")
def show_order(order_id: int):
    order = _load(order_id)
    return render("sales/order.html", entries=timeline.entries_for(order, current_user),
                  **_order_context(order))


def _lines_answer(order: SaleOrder, status: int = 200, **extra):
    """The lines block (table, add form, totals) for HTMX; the order page otherwise."""
    if is_htmx():
        db.session.refresh(order)
        return render_block("sales/order.html", "lines", **_order_context(order, **extra)), status
    if status >= 400:
        errors = extra.get("line_errors") or {}
        flash(" ".join(r for reasons in errors.values() for r in reasons) or _("Invalid line."), "danger")
    return redirect(url_for("sales.show_order", order_id=order.id), 303)


def _line_values() -> tuple[dict | None, dict]:
    data, errors = validate_form(LineIn, request.form)
    if data is None:
        return None, errors
    return data.model_dump(), {}


@bp.get("/sales/orders/<int:order_id>/lines/form")
def line_form(order_id: int):
    """The add-line form, pre-filled from a picked product (the product search)."""
    order = _load(order_id, "update")
    product = None
    product_id = int_or_none(request.args.get("product_id"))
    if product_id:
        product = db.session.get(Product, product_id)
        if product is not None and not product.active:
            product = None
    values = {}
    if product is not None:
        values = {"product_id": product.id, "description": product.name, "quantity": "1",
                  "unit_price": product.unit_price, "tax_percent": product.tax_rate,
                  "discount_percent": "0"}
    return render_block("sales/order.html", "add_line",
                        **_order_context(order, line_values=values, picked=product))


@bp.get("/sales/products/search")
def search_products():
    """Products matching ``q`` for the add-line form (HTMX)."""
    q = _search_text()
    order_id = int_or_none(request.args.get("order_id"))
    if order_id is None:
        abort(400)
    stmt = access.visible(sa.select(Product), Product, current_user).where(Product.active.is_(True))
    if q:
        stmt = stmt.where(Product.name_search.like(search_pattern(q), escape="\\"))
    products = db.session.scalars(stmt.order_by(Product.code).limit(8)).all()
    return render_template("sales/_product_results.html", products=products, order_id=order_id, q=q)


@bp.post("/sales/orders/<int:order_id>/lines")
def add_line(order_id: int):
    order = _load(order_id, "update")
    values, errors = _line_values()
    status = 422
    if values is not None:
        try:
            services.add_line(order, values, by=current_user)
        except ValidationError as exc:
            errors = exc.errors
        except Conflict as exc:
            errors, status = {"form": [exc.message]}, 409
    if errors:
        db.session.rollback()
        return _lines_answer(order, status, line_errors=errors, line_values=request.form.to_dict())
    return _lines_answer(order)


def _line_of(order: SaleOrder, line_id: int) -> SaleOrderLine:
    for line in order.lines:
        if line.id == line_id:
            return line
    from werkzeug.exceptions import NotFound

    raise NotFound()


@bp.get("/sales/orders/<int:order_id>/lines/<int:line_id>/edit")
def edit_line(order_id: int, line_id: int):
    order = _load(order_id, "update")
    line = _line_of(order, line_id)
    if not is_htmx():
        return redirect(url_for("sales.show_order", order_id=order.id), 303)
    return render_block("sales/order.html", "lines", **_order_context(order, editing=line.id))


@bp.post("/sales/orders/<int:order_id>/lines/<int:line_id>")
def update_line(order_id: int, line_id: int):
    order = _load(order_id, "update")
    line = _line_of(order, line_id)
    values, errors = _line_values()
    status = 422
    if values is not None:
        try:
            services.update_line(order, line, values, by=current_user)
        except ValidationError as exc:
            errors = exc.errors
        except Conflict as exc:
            errors, status = {"form": [exc.message]}, 409
    if errors:
        db.session.rollback()
        return _lines_answer(order, status, editing=line.id, line_errors=errors,
                             line_values=request.form.to_dict())
    return _lines_answer(order)


@bp.post("/sales/orders/<int:order_id>/lines/<int:line_id>/delete")
def delete_line(order_id: int, line_id: int):
    order = _load(order_id, "update")
    line = _line_of(order, line_id)
    try:
        services.remove_line(order, line, by=current_user)
    except Conflict as exc:
        db.session.rollback()
        return _lines_answer(order, 409, line_errors={"form": [exc.message]})
    return _lines_answer(order)


@bp.post("/sales/orders/<int:order_id>/<any(finalize, confirm, complete, cancel):action>")
def order_action(order_id: int, action: str):
    order = _load(order_id)
    try:
        services.run_action(order, action, by=current_user)
    except (ValidationError, Conflict) as exc:
        flash(exc.message, "danger")
    else:
        messages = {
            "finalize": _("Quote %(name)s finalized.", name=order.display_name),
            "confirm": _("Order %(name)s confirmed.", name=order.display_name),
            "complete": _("Order %(name)s completed.", name=order.display_name),
            "cancel": _("Quote %(name)s cancelled.", name=order.display_name),
        }
        flash(messages[action], "success")
    return redirect(url_for("sales.show_order", order_id=order_id), 303)


@bp.get("/sales/orders/<int:order_id>/print")
def print_order(order_id: int):
    order = _load(order_id)
    config = current_app.config
    company = {key: config.get(f"COMPANY_{key.upper()}") for key in ("name", "address", "email", "phone")}
    return render("sales/print.html", company=company, **_order_context(order))


# --- panels on other pages --------------------------------------------------------------------

def _first_and_count(stmt: sa.Select, limit: int) -> tuple[list[SaleOrder], int]:
    """The ``limit`` most recent orders of ``stmt`` and how many there are, in one query."""
    rows = db.session.execute(stmt.add_columns(sa.func.count().over().label("total"))
                              .order_by(SaleOrder.id.desc()).limit(limit)).unique().all()
    return [row[0] for row in rows], (rows[0].total if rows else 0)


def _partial(template: str, **context) -> str:
    """A panel's HTML, without the page's context processors (menu, bell: queries the
    page already made)."""
    return current_app.jinja_env.get_template(template).render(**context)


def orders_panel(record_type: str, record, user) -> Panel | None:
    """Quotes and orders of a partner, or made from / for any other record (an opportunity,
    a lead) through the generic references."""
    if record_type in ("sale_order", "product") or getattr(record, "id", None) is None:
        return None
    if record_type == "partner":
        condition = SaleOrder.partner_id == record.id
    else:
        condition = sa.or_(
            sa.and_(SaleOrder.origin_type == record_type, SaleOrder.origin_id == record.id),
            sa.and_(SaleOrder.prospect_type == record_type, SaleOrder.prospect_id == record.id))
    orders, total = _first_and_count(
        access.visible(sa.select(SaleOrder).where(condition), SaleOrder, user), 10)
    if total == 0 and record_type not in ("partner", "opportunity"):
        return None
    new_url = None
    if record_type == "opportunity":
        new_url = url_for("sales.new_order", origin_type="opportunity", origin_id=record.id)
    elif record_type == "partner":
        new_url = url_for("sales.new_order", partner_id=record.id)
    html = _partial("sales/_panel.html", orders=orders, total=total, new_url=new_url,
                    record_type=record_type, record=record)
    return Panel(title=_("Quotes and orders"), html=Markup(html), order=30, id="sales-orders",  # noqa: S704  # nosec B704 - autoescaped
                 count=total)


def home_panel(user) -> Panel:
    """My open quotes (draft and finalized), most recent first."""
    stmt = access.visible(sa.select(SaleOrder), SaleOrder, user).where(
        SaleOrder.assigned_to == user.id, SaleOrder.status.in_(("draft", "finalized")))
    orders, total = _first_and_count(stmt.options(joinedload(SaleOrder.partner)), 5)
    html = _partial("sales/_home_panel.html", orders=orders, total=total)
    return Panel(title=_("My open quotes"), html=Markup(html), order=40, id="sales-open-quotes",  # noqa: S704  # nosec B704 - autoescaped template
                 count=total)
