"""The sales rules: products, order lines and amounts, the order status machine and the
confirmation (one transaction with the ``on_order_confirmed`` hook). Pages, API and demo
data all come through here."""

from __future__ import annotations

import logging
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from core import access, search, tally, timeline
from core.access import require, require_model
from core.auth.models import User
from core.db import db, utcnow
from core.errors import Conflict, ValidationError, check_version
from core.models import next_in_sequence
from core.partners.models import Partner
from core.partners.services import name_contains, promote
from core.plugins import HookError, call_each, hook
from core.timeline import N_
from modules.sales.models import ORDER_STATUSES, OrderTally, Product, SaleOrder, SaleOrderLine

log = logging.getLogger("comptoir.sales")

CENT = Decimal("0.01")
QTY = Decimal("0.001")
MAX_QUANTITY = Decimal("1000000")
MAX_PRICE = Decimal("100000000")
MAX_LINES = 200

#: action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "finalize": (("draft",), "finalized"),
    "confirm": (("finalized",), "confirmed"),
    "complete": (("confirmed",), "completed"),
    "cancel": (("draft", "finalized"), "cancelled"),
}
STATUS_FLOW = ("draft", "finalized", "confirmed", "completed")

PRODUCT_FIELDS = ("code", "name", "unit_price", "tax_rate", "active")
ORDER_FIELDS = ("partner_id", "prospect_type", "prospect_id", "origin_type", "origin_id",
                "assigned_to", "currency", "valid_until", "note")
LINE_FIELDS = ("product_id", "description", "quantity", "unit_price", "discount_percent",
               "tax_percent")
#: how the API names the generic references
REFERENCE_FIELDS = {("origin", "opportunity"): "opportunity_id", ("prospect", "lead"): "lead_id"}


#: The order list's status filter: one status, or one of these groups.
STATUS_GROUPS = {"quotes": ("draft", "finalized"), "orders": ("confirmed", "completed")}


def allowed_actions(status: str) -> list[str]:
    return [name for name, (sources, _target) in TRANSITIONS.items() if status in sources]


# --- the order list ---------------------------------------------------------------------

def _statuses(status: str | None) -> tuple[str, ...] | None:
    if status in ORDER_STATUSES:
        return (status,)
    return STATUS_GROUPS.get(status or "")


def matching(q: str, *, narrow: bool | None = True) -> sa.ColumnElement:
    """Orders whose number or customer's name contains ``q``, each through its substring
    index (migrations sales_0006 and core_0005); ``narrow``: see ``core.search.contains``.
    The customers are the partners whose name matches, found once."""
    customers = sa.select(Partner.id).where(name_contains(q))
    return sa.or_(search.contains("sales_order", SaleOrder.id, [sa.func.lower(SaleOrder.number)], q, narrow=narrow),
                  SaleOrder.partner_id.in_(customers))


def filtered(stmt: sa.Select, *, q: str | None = None, status: str | None = None,
             assigned_to: int | None = None, partner_id: int | None = None, opportunity_id: int | None = None,
             lead_id: int | None = None, narrow: bool | None = True) -> sa.Select:
    """The order list's filters on ``stmt`` (already restricted by ``access.visible``), for
    the page and the API: a search (:func:`matching`), a status or a group of them
    (``STATUS_GROUPS``), a salesperson, a customer, the opportunity or lead it came from."""
    if q:
        stmt = stmt.where(matching(q, narrow=narrow))
    if statuses := _statuses(status):
        stmt = stmt.where(SaleOrder.status.in_(statuses))
    if assigned_to is not None:
        stmt = stmt.where(SaleOrder.assigned_to == assigned_to)
    if partner_id is not None:
        stmt = stmt.where(SaleOrder.partner_id == partner_id)
    if opportunity_id is not None:
        stmt = stmt.where(SaleOrder.origin_type == "opportunity", SaleOrder.origin_id == opportunity_id)
    if lead_id is not None:
        stmt = stmt.where(SaleOrder.prospect_type == "lead", SaleOrder.prospect_id == lead_id)
    return stmt


def tally_count(user: User, *, status: str | None = None, assigned_to: int | None = None,
                **others) -> sa.Select | None:
    """The count of :func:`filtered`'s orders that ``user`` sees, from the running totals
    (``OrderTally``), or None where only the table can answer: a filter the totals do not
    hold (a search, a customer, an origin). Keep the two in step:
    ``tests/sales/test_order_tally.py`` compares them for every filter and role."""
    seen = access.tallied(SaleOrder, user)
    if seen is None or any(value not in (None, "") for value in others.values()):
        return None
    conditions = [seen]
    if statuses := _statuses(status):
        conditions.append(OrderTally.status.in_(statuses))
    if assigned_to is not None:
        conditions.append(OrderTally.assigned_to == assigned_to)
    return tally.count(OrderTally, sa.and_(*conditions))


# --- amounts ----------------------------------------------------------------------------

def round_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_amounts(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal,
                 tax_percent: Decimal) -> tuple[Decimal, Decimal]:
    """(untaxed, tax) of one line, each rounded half-up to the cent."""
    untaxed = round_money(quantity * unit_price * (Decimal(100) - discount_percent) / Decimal(100))
    tax = round_money(untaxed * tax_percent / Decimal(100))
    return untaxed, tax


def recompute(order: SaleOrder) -> None:
    """Order totals: the sums of the lines' rounded amounts."""
    untaxed = sum((line.amount_untaxed for line in order.lines), Decimal("0.00"))
    tax = sum((line.amount_tax for line in order.lines), Decimal("0.00"))
    order.amount_untaxed = untaxed
    order.amount_tax = tax
    order.amount_total = untaxed + tax


# --- products -----------------------------------------------------------------------------

def _decimal(value: Any, field: str, *, places: Decimal, minimum: Decimal, maximum: Decimal,
             min_exclusive: bool = False) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError.field(field, _("Enter a number.")) from None
    if not number.is_finite():
        raise ValidationError.field(field, _("Enter a number."))
    number = number.quantize(places, rounding=ROUND_HALF_UP) if abs(number) < 10**15 else number
    if min_exclusive and number <= minimum:
        raise ValidationError.field(field, _("Must be greater than %(min)s.", min=minimum))
    if number < minimum or number > maximum:
        raise ValidationError.field(field, _("Must be between %(min)s and %(max)s.",
                                             min=minimum, max=maximum))
    return number


def _product_values(values: dict, partial: bool) -> dict:
    clean = {k: v for k, v in values.items() if k in PRODUCT_FIELDS}
    errors: dict[str, list[str]] = {}
    for key in ("code", "name"):
        if key in clean or not partial:
            text = (clean.get(key) or "").strip()
            if not text:
                errors[key] = [_("This field is required.")]
            clean[key] = text
    for key, maximum in (("unit_price", MAX_PRICE), ("tax_rate", Decimal(100))):
        if key in clean and clean[key] is not None:
            try:
                clean[key] = _decimal(clean[key], key, places=CENT, minimum=Decimal(0), maximum=maximum)
            except ValidationError as exc:
                errors.update(exc.errors)
        elif key in clean or not partial:
            clean[key] = Decimal("0.00")
    if errors:
        raise ValidationError(_("Please correct the product's fields."), errors=errors)
    return clean


def _check_code(code: str | None, product_id: int | None = None) -> None:
    if code is None:
        return
    # The exact code too: SQLite's lower() folds ASCII only ("É1" stays "É1"), and a second
    # "É1" would reach the unique index (a 500).
    stmt = sa.select(Product.id).where(sa.or_(Product.code == code,
                                              sa.func.lower(Product.code) == code.lower()))
    if product_id:
        stmt = stmt.where(Product.id != product_id)
    if db.session.scalar(stmt) is not None:
        raise ValidationError.field("code", _("Another product already uses this code."))


def create_product(values: dict, *, by: User) -> Product:
    require_model(by, "create", Product)
    clean = _product_values(values, partial=False)
    _check_code(clean["code"])
    product = Product(**clean)
    product.active = bool(clean.get("active", True))
    product.name_search = f"{product.code} {product.name}".lower()
    db.session.add(product)
    db.session.commit()
    return product


def delete_product(product: Product, *, by: User) -> None:
    """Only a product no order uses can be deleted; deactivate the others."""
    require(by, "delete", product)
    used = db.session.scalar(sa.select(SaleOrderLine.id).where(SaleOrderLine.product_id == product.id).limit(1))
    if used is not None:
        raise Conflict(_("Product %(code)s is used by orders: deactivate it instead.", code=product.code))
    db.session.delete(product)
    db.session.commit()


def update_product(product: Product, values: dict, *, by: User, version: int | None = None) -> Product:
    require(by, "update", product)
    if version is not None and version != product.version:
        raise Conflict(_("This product was changed by someone else since you opened it."))
    clean = _product_values(values, partial=True)
    _check_code(clean.get("code"), product.id)
    for key, value in clean.items():
        setattr(product, key, value if key != "active" else bool(value))
    product.name_search = f"{product.code} {product.name}".lower()
    db.session.commit()
    return product


# --- order lines --------------------------------------------------------------------------

def build_line(values: dict, prefix: str = "") -> SaleOrderLine:
    """A validated line (not attached): a product or a description, a quantity > 0, a
    discount within 0-100; the product supplies price, tax and text unless given."""
    errors: dict[str, list[str]] = {}

    def check(field, fn):
        try:
            return fn()
        except ValidationError as exc:
            for reasons in exc.errors.values():
                errors.setdefault(prefix + field, []).extend(reasons)
            return None

    product = None
    product_id = values.get("product_id")
    if product_id not in (None, ""):
        try:
            product = db.session.get(Product, int(product_id))
        except (TypeError, ValueError, OverflowError):
            product = None
        if product is None:
            errors[prefix + "product_id"] = [_("Unknown product.")]
        elif not product.active:
            errors[prefix + "product_id"] = [_("This product is no longer sold (inactive).")]
            product = None
    description = (values.get("description") or "").strip()
    if not description and product is not None:
        description = product.name
    if not description and (prefix + "product_id") not in errors:
        errors[prefix + "description"] = [_("Give a product or a description.")]
    if len(description) > 500:
        errors[prefix + "description"] = [_("At most 500 characters.")]

    quantity = values.get("quantity")
    if quantity in (None, ""):
        errors[prefix + "quantity"] = [_("This field is required.")]
    else:
        quantity = check("quantity", lambda: _decimal(
            values["quantity"], "quantity", places=QTY, minimum=Decimal(0), maximum=MAX_QUANTITY,
            min_exclusive=True))
    unit_price = values.get("unit_price")
    if unit_price in (None, ""):
        if product is not None:
            unit_price = product.unit_price
        elif (prefix + "product_id") not in errors:
            errors[prefix + "unit_price"] = [_("Give a unit price (or a product).")]
    else:
        unit_price = check("unit_price", lambda: _decimal(
            values["unit_price"], "unit_price", places=CENT, minimum=Decimal(0), maximum=MAX_PRICE))
    discount = values.get("discount_percent")
    discount = Decimal("0.00") if discount in (None, "") else check("discount_percent", lambda: _decimal(
        values["discount_percent"], "discount_percent", places=CENT, minimum=Decimal(0),
        maximum=Decimal(100)))
    tax = values.get("tax_percent")
    if tax in (None, ""):
        tax = product.tax_rate if product is not None else Decimal("0.00")
    else:
        tax = check("tax_percent", lambda: _decimal(
            values["tax_percent"], "tax_percent", places=CENT, minimum=Decimal(0), maximum=Decimal(100)))
    if errors:
        raise ValidationError(_("Please correct the line's fields."), errors=errors)
    untaxed, tax_amount = line_amounts(quantity, unit_price, discount, tax)
    return SaleOrderLine(product_id=product.id if product else None, product=product,
                         description=description, quantity=quantity, unit_price=unit_price,
                         discount_percent=discount, tax_percent=tax, amount_untaxed=untaxed,
                         amount_tax=tax_amount)


def _build_lines(lines: list[dict]) -> list[SaleOrderLine]:
    if len(lines) > MAX_LINES:
        raise ValidationError.field("lines", _("At most %(n)s lines.", n=MAX_LINES))
    built, errors = [], {}
    for index, values in enumerate(lines):
        try:
            line = build_line(values, prefix=f"lines.{index}.")
        except ValidationError as exc:
            errors.update(exc.errors)
            continue
        line.sequence = (index + 1) * 10
        built.append(line)
    if errors:
        raise ValidationError(_("Some lines are invalid."), errors=errors)
    return built


def _check_draft(order: SaleOrder) -> None:
    if order.status != "draft":
        raise Conflict(_("Order %(name)s is %(status)s: only a draft quote can be changed.",
                         name=order.display_name, status=status_label(order.status)))


def replace_lines(order: SaleOrder, lines: list[dict], *, by: User, version: int | None = None,
                  commit: bool = True) -> SaleOrder:
    require(by, "update", order)
    _check_draft(order)
    check_version(order, version)
    built = _build_lines(lines)
    order.lines = built
    recompute(order)
    _touch(order)
    if commit:
        db.session.commit()
    return order


def add_line(order: SaleOrder, values: dict, *, by: User) -> SaleOrderLine:
    require(by, "update", order)
    _check_draft(order)
    if len(order.lines) >= MAX_LINES:
        raise ValidationError.field("lines", _("At most %(n)s lines.", n=MAX_LINES))
    line = build_line(values)
    line.sequence = (max((x.sequence for x in order.lines), default=0)) + 10
    order.lines.append(line)
    recompute(order)
    _touch(order)
    db.session.commit()
    return line


def update_line(order: SaleOrder, line: SaleOrderLine, values: dict, *, by: User) -> SaleOrderLine:
    require(by, "update", order)
    _check_draft(order)
    fresh = build_line(values)
    for key in (*LINE_FIELDS, "product", "amount_untaxed", "amount_tax"):
        setattr(line, key, getattr(fresh, key))
    recompute(order)
    _touch(order)
    db.session.commit()
    return line


def remove_line(order: SaleOrder, line: SaleOrderLine, *, by: User) -> None:
    require(by, "update", order)
    _check_draft(order)
    order.lines.remove(line)
    recompute(order)
    _touch(order)
    db.session.commit()


def _touch(order: SaleOrder) -> None:
    order.updated_at = utcnow()


# --- orders --------------------------------------------------------------------------------

def describe_reference(ref_type: str | None, ref_id: int | None, user: User) -> dict | None:
    """Title and URL of a generic reference, if a module recognises it and ``user`` may see
    it (the ``describe_order_reference`` hook), else None."""
    if not ref_type or not ref_id:
        return None
    try:
        return hook.describe_order_reference(ref_type=ref_type, ref_id=ref_id, user=user)
    except Exception:  # a display helper: a failing module must not break the page
        log.exception("describe_order_reference failed for %s %s", ref_type, ref_id)
        return None


PREFILL_FIELDS = ("partner_id", "prospect_type", "prospect_id", "assigned_to", "currency")


def prefill(origin_type: str, origin_id: int, user: User) -> dict | None:
    """Initial values of an order made from record ``origin_type``/``origin_id`` (the
    ``prefill_order`` hook), or None if no module knows it or ``user`` may not see it."""
    try:
        values = hook.prefill_order(origin_type=origin_type, origin_id=origin_id, user=user)
    except Exception:
        log.exception("prefill_order failed for %s %s", origin_type, origin_id)
        return None
    if values is None:
        return None
    values = {k: v for k, v in dict(values).items() if k in PREFILL_FIELDS and v is not None}
    if values.get("assigned_to") not in (None, user.id) and not user.is_manager:
        values["assigned_to"] = user.id
    return values


def _check_reference(kind: str, ref_type: str | None, ref_id: int | None, user: User) -> None:
    if ref_type is None and ref_id is None:
        return
    field = REFERENCE_FIELDS.get((kind, ref_type), f"{kind}_type")
    if not ref_type or not ref_id or describe_reference(ref_type, ref_id, user) is None:
        raise ValidationError.field(field, _("Unknown, not visible to you, or requires the CRM module."))


def _check_order_values(values: dict, by: User, order: SaleOrder | None = None) -> dict:
    clean = {k: v for k, v in values.items() if k in ORDER_FIELDS}
    if clean.get("partner_id") is not None:
        partner = db.session.get(Partner, clean["partner_id"])
        if partner is None:
            raise ValidationError.field("partner_id", _("Unknown partner."))
    if "assigned_to" in clean:
        user_id = clean["assigned_to"]
        current = order.assigned_to if order else None
        if user_id is None:
            clean["assigned_to"] = by.id if order is None else current
        elif user_id != current and user_id != by.id and not by.is_manager:
            raise ValidationError.field("assigned_to", _("Only a manager can give an order to someone else."))
        else:
            user = db.session.get(User, user_id)
            if user is None or not user.active:
                raise ValidationError.field("assigned_to", _("Unknown or inactive user."))
    if "currency" in clean:
        currency = (clean["currency"] or current_app.config.get("DEFAULT_CURRENCY", "EUR")).upper()
        if len(currency) != 3 or not currency.isalpha():
            raise ValidationError.field("currency", _("Use a three-letter currency code (EUR, USD...)."))
        clean["currency"] = currency
    if clean.get("valid_until") is not None and not isinstance(clean["valid_until"], date):
        raise ValidationError.field("valid_until", _("Enter a date."))
    if "note" in clean and clean["note"] is not None and len(clean["note"]) > 20000:
        raise ValidationError.field("note", _("At most 20000 characters."))
    return clean


def create_order(values: dict, lines: list[dict] | None = None, *, by: User,
                 commit: bool = True) -> SaleOrder:
    """A draft quote. References (origin, prospect) must be recognised by a module."""
    require_model(by, "create", SaleOrder)
    values = dict(values)
    values.setdefault("assigned_to", None)
    values.setdefault("currency", None)
    clean = _check_order_values(values, by)
    _check_reference("origin", clean.get("origin_type"), clean.get("origin_id"), by)
    _check_reference("prospect", clean.get("prospect_type"), clean.get("prospect_id"), by)
    order = SaleOrder(status="draft", **clean)
    order.lines = _build_lines(lines or [])
    recompute(order)
    db.session.add(order)
    db.session.flush()
    timeline.record(order, "created", N_("Quote created"), by=by)
    if commit:
        db.session.commit()
    return order


def update_order(order: SaleOrder, values: dict, lines: list[dict] | None = None, *, by: User,
                 version: int | None = None) -> SaleOrder:
    require(by, "update", order)
    _check_draft(order)
    check_version(order, version)
    clean = _check_order_values(values, by, order)
    for key in ("origin_type", "origin_id", "prospect_type", "prospect_id"):
        clean.pop(key, None)  # set at creation only
    changes = timeline.changes_between(order, clean)
    for key, value in clean.items():
        setattr(order, key, value)
    if lines is not None:
        order.lines = _build_lines(lines)
        recompute(order)
    _touch(order)
    if changes:
        timeline.record(order, "updated", N_("Quote updated"), by=by, changes=changes)
    db.session.commit()
    return order


def status_label(status: str) -> str:
    return {"draft": _("draft"), "finalized": _("finalized"), "confirmed": _("confirmed"),
            "completed": _("completed"), "cancelled": _("cancelled")}.get(status, status)


def _move(order: SaleOrder, action: str, by: User, **extra) -> None:
    """Conditional UPDATE: the status changes only if it still is one the action starts
    from, so concurrent requests take effect once; the loser gets a Conflict."""
    sources, target = TRANSITIONS[action]
    result = db.session.execute(
        sa.update(SaleOrder)
        .where(SaleOrder.id == order.id, SaleOrder.status.in_(sources))
        .values(status=target, version=SaleOrder.version + 1, updated_at=utcnow(), **extra)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(order)
        raise _not_allowed(order, action)
    db.session.refresh(order)


def _not_allowed(order: SaleOrder, action: str) -> Conflict:
    labels = {"finalize": _("finalized"), "confirm": _("confirmed"), "complete": _("completed"),
              "cancel": _("cancelled")}
    return Conflict(_("Order %(name)s is %(status)s: it cannot be %(action)s.",
                      name=order.display_name, status=status_label(order.status),
                      action=labels[action]))


def _precheck(order: SaleOrder, action: str, by: User) -> None:
    require(by, action, order)
    if order.status not in TRANSITIONS[action][0]:
        raise _not_allowed(order, action)


def _check_confirmable(order: SaleOrder, by: User) -> None:
    errors: dict[str, list[str]] = {}
    if not order.lines:
        errors["lines"] = [_("Add at least one line first.")]
    if order.partner_id is None and not (order.prospect_type and order.prospect_id):
        errors["partner_id"] = [_("Choose the customer (a partner, or the lead behind the quote).")]
    if errors:
        raise ValidationError(" ".join(r for reasons in errors.values() for r in reasons), errors=errors)


def finalize(order: SaleOrder, *, by: User) -> SaleOrder:
    """draft -> finalized, with the next number of the year's sequence (Q2026-00042)."""
    _precheck(order, "finalize", by)
    if not order.lines:
        raise ValidationError.field("lines", _("Add at least one line first."))
    _move(order, "finalize", by)
    year = utcnow().year
    order.number = f"Q{year}-{next_in_sequence(f'sales.order.{year}'):05d}"
    timeline.record(order, "status", N_("Quote %(number)s finalized"), by=by,
                    params={"number": order.number})
    db.session.commit()
    return order


def confirm(order: SaleOrder, *, by: User) -> SaleOrder:
    """finalized -> confirmed, then the ``on_order_confirmed`` implementations, all in one
    transaction: if any of them fails, nothing is kept and the error says which module."""
    _precheck(order, "confirm", by)
    _check_confirmable(order, by)
    try:
        _move(order, "confirm", by, confirmed_at=utcnow(), confirmed_by=by.id)
        timeline.record(order, "status", N_("Order %(number)s confirmed"), by=by,
                        params={"number": order.display_name})
        # The implementations of the active modules (and of plugins registered outside
        # the module registry), one by one: a refusal (ValidationError, Conflict) goes to
        # the user as it is, any other failure names its module.
        try:
            call_each("on_order_confirmed", safe=False, order=order, by=by)
        except HookError as exc:
            log.exception("module %r failed in on_order_confirmed (order %s)", exc.module, order.id)
            raise Conflict(_("The order was not confirmed: module %(module)s failed (%(error)s).",
                             module=exc.module, error=str(exc.original) or type(exc.original).__name__)
                           ) from exc
        db.session.flush()
        partner_id = db.session.scalar(sa.select(SaleOrder.partner_id).where(SaleOrder.id == order.id))
        if partner_id is None:
            raise Conflict(_("The order was not confirmed: no module turned its lead into a customer."))
        # Whatever order the implementations ran in, the customer of a confirmed order is
        # a customer (a module may have set a prospect partner after ours ran).
        partner = db.session.get(Partner, partner_id)
        if partner is not None and partner.partner_type == "prospect":
            promote(partner, by=by, commit=False, check=False)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return order


def complete(order: SaleOrder, *, by: User) -> SaleOrder:
    _precheck(order, "complete", by)
    _move(order, "complete", by)
    timeline.record(order, "status", N_("Order completed"), by=by)
    db.session.commit()
    return order


def cancel(order: SaleOrder, *, by: User) -> SaleOrder:
    _precheck(order, "cancel", by)
    _move(order, "cancel", by)
    timeline.record(order, "status", N_("Quote cancelled"), by=by)
    db.session.commit()
    return order


ACTIONS = {"finalize": finalize, "confirm": confirm, "complete": complete, "cancel": cancel}


def run_action(order: SaleOrder, action: str, *, by: User) -> SaleOrder:
    return ACTIONS[action](order, by=by)
