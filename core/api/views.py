"""The core's API: users, modules, partners, contacts, notifications, the OpenAPI document."""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from pydantic import ConfigDict, Field

from core import access, module_admin
from core.api import (
    ApiBlueprint,
    ApiError,
    In,
    ListQuery,
    Out,
    UtcDatetime,
    api_user,
    json_response,
    openapi_document,
    page_of,
)
from core.auth import services as auth_services
from core.auth.models import User
from core.db import db, utcnow
from core.modules import ModuleError
from core.notifications import Notification
from core.partners import services
from core.partners.models import Contact, Partner
from core.partners.schemas import ContactIn, ContactOut, ContactPatch, PartnerIn, PartnerOut, PartnerPatch
from core.plugins import call_each
from core.validation import Id
from core.web import search_pattern

api = ApiBlueprint("core_api", __name__, tag="core")


@api.get("/openapi.json")
def openapi():
    return json_response(openapi_document())


# --- users ----------------------------------------------------------------------------

class UserOut(Out):
    """A user; modules add fields through ``prepare_user_json``."""

    model_config = ConfigDict(from_attributes=True, extra="allow")

    id: int
    email: str
    name: str
    role: str
    active: bool
    calendar_feed_url: str | None = None


class UserIn(In):
    email: str = Field(max_length=254)
    name: str = Field(min_length=1, max_length=120)
    role: Literal["admin", "manager", "salesperson"]
    password: str = Field(max_length=256)


def user_json(user: User) -> dict:
    data = {"id": user.id, "email": user.email, "name": user.name, "role": user.role,
            "active": user.active, "calendar_feed_url": None}
    call_each("prepare_user_json", safe=True, user=user, data=data)
    return data


@api.operation("/users/me", summary="The calling user", response=UserOut)
def me():
    return user_json(api_user())


def _require_admin():
    if not api_user().is_admin:
        raise ApiError(403, "Forbidden", "Administrators only.")


@api.operation("/users", summary="List users (admins)", query=ListQuery, response=UserOut,
               list_response=True)
def list_users(query: ListQuery):
    _require_admin()
    stmt = sa.select(User).order_by(User.id)
    if query.q:
        pattern = search_pattern(query.q)
        stmt = stmt.where(sa.or_(sa.func.lower(User.name).like(pattern, escape="\\"),
                                 User.email.like(pattern, escape="\\")))
    page = page_of(stmt, query)
    page["items"] = [user_json(u) for u in page["items"]]
    return page


@api.operation("/users", "POST", summary="Create a user (admins)", body=UserIn,
               response=UserOut, status=201)
def create_user(data: UserIn):
    _require_admin()
    user = auth_services.create_user(**data.model_dump())
    return user_json(user)


# --- modules ----------------------------------------------------------------------------

class ModuleOut(Out):
    name: str
    version: str
    summary: str
    depends: list[str]
    state: Literal["enabled", "disabled", "broken"]
    error: str | None = None


class ModuleChange(Out):
    changed: list[str]
    modules: list[ModuleOut]


class DisableQuery(In):
    cascade: bool = False


@api.operation("/modules", summary="List modules (admins)", response=ModuleOut,
               list_response=True)
def list_modules():
    _require_admin()
    items = [vars(m) for m in module_admin.list_modules()]
    return {"items": items, "page": 1, "per_page": len(items), "total": len(items)}


def _module_call(fn, name, **kwargs):
    _require_admin()
    try:
        changed = fn(name, **kwargs)
    except ModuleError as exc:
        errors = {"depends": exc.names} if exc.names and exc.status == 409 else None
        title = "Unknown module" if exc.status == 404 else "Conflict"
        raise ApiError(exc.status, title, str(exc), errors) from None
    return {"changed": changed, "modules": [vars(m) for m in module_admin.list_modules()]}


@api.operation("/modules/<name>/enable", "POST", summary="Enable a module and its dependencies",
               response=ModuleChange)
def enable_module(name: str):
    return _module_call(module_admin.enable, name)


@api.operation("/modules/<name>/disable", "POST",
               summary="Disable a module (cascade=true also disables its dependents)",
               query=DisableQuery, response=ModuleChange)
def disable_module(name: str, query: DisableQuery):
    return _module_call(module_admin.disable, name, cascade=query.cascade)


# --- partners ---------------------------------------------------------------------------

def _no_nulls(values: dict, required: tuple[str, ...]) -> None:
    """A PATCH may leave a required field out, not empty it."""
    errors = {name: ["may not be null"] for name in required if name in values and values[name] is None}
    if errors:
        raise ApiError(422, "Invalid fields", "Some fields are invalid.", errors)


class PartnerQuery(ListQuery):
    partner_type: Literal["prospect", "customer"] | None = None
    kind: Literal["company", "individual"] | None = None
    salesperson_id: Id | None = None
    sort: Literal["name", "-name", "created_at", "-created_at", "id", "-id"] = "name"


PARTNER_SORT = {"name": Partner.name_search, "created_at": Partner.created_at, "id": Partner.id}


@api.operation("/partners", summary="List partners", query=PartnerQuery, response=PartnerOut,
               list_response=True)
def list_partners(query: PartnerQuery):
    user = api_user()
    stmt = access.visible(sa.select(Partner), Partner, user)
    if query.q:
        stmt = stmt.where(services.matching(query.q))
    if query.partner_type:
        stmt = stmt.where(Partner.partner_type == query.partner_type)
    if query.kind:
        stmt = stmt.where(Partner.kind == query.kind)
    if query.salesperson_id:
        stmt = stmt.where(Partner.salesperson_id == query.salesperson_id)
    column = PARTNER_SORT[query.sort.lstrip("-")]
    stmt = stmt.order_by(column.desc() if query.sort.startswith("-") else column, Partner.id)
    return page_of(stmt, query)


@api.operation("/partners", "POST", summary="Create a partner", body=PartnerIn,
               response=PartnerOut, status=201)
def create_partner(data: PartnerIn):
    return services.create_partner(data.model_dump(), by=api_user())


@api.operation("/partners/<int:partner_id>", summary="Read a partner", response=PartnerOut)
def get_partner(partner_id: int):
    return access.get_or_404(Partner, partner_id, api_user())


@api.operation("/partners/<int:partner_id>", "PATCH", summary="Change a partner",
               body=PartnerPatch, response=PartnerOut)
def patch_partner(partner_id: int, data: PartnerPatch):
    user = api_user()
    partner = access.get_or_404(Partner, partner_id, user, "update")
    values = data.model_dump(exclude_unset=True)
    version = values.pop("version", None)
    _no_nulls(values, ("name", "kind"))
    return services.update_partner(partner, values, by=user, version=version)


@api.operation("/partners/<int:partner_id>/promote", "POST", summary="Make a prospect a customer",
               response=PartnerOut)
def promote_partner(partner_id: int):
    user = api_user()
    partner = access.get_or_404(Partner, partner_id, user, "promote")
    services.promote(partner, by=user)
    return partner


# --- contacts ----------------------------------------------------------------------------

class ContactQuery(ListQuery):
    partner_id: Id | None = None


@api.operation("/contacts", summary="List contacts", query=ContactQuery, response=ContactOut,
               list_response=True)
def list_contacts(query: ContactQuery):
    user = api_user()
    stmt = access.visible(sa.select(Contact), Contact, user)
    if query.q:
        stmt = stmt.where(Contact.name_search.like(search_pattern(query.q), escape="\\"))
    if query.partner_id:
        stmt = stmt.where(Contact.partner_id == query.partner_id)
    return page_of(stmt.order_by(Contact.name_search, Contact.id), query)


@api.operation("/contacts", "POST", summary="Create a contact", body=ContactIn,
               response=ContactOut, status=201)
def create_contact(data: ContactIn):
    user = api_user()
    partner = db.session.get(Partner, data.partner_id)
    if partner is None or not access.sees(user, partner):
        raise ApiError(422, "Invalid fields", errors={"partner_id": ["unknown partner"]})
    return services.create_contact(data.model_dump(), by=user)


@api.operation("/contacts/<int:contact_id>", summary="Read a contact", response=ContactOut)
def get_contact(contact_id: int):
    return access.get_or_404(Contact, contact_id, api_user())


@api.operation("/contacts/<int:contact_id>", "PATCH", summary="Change a contact",
               body=ContactPatch, response=ContactOut)
def patch_contact(contact_id: int, data: ContactPatch):
    user = api_user()
    contact = access.get_or_404(Contact, contact_id, user, "update")
    values = data.model_dump(exclude_unset=True)
    version = values.pop("version", None)
    _no_nulls(values, ("last_name", "partner_id"))
    return services.update_contact(contact, values, by=user, version=version)


# --- notifications ------------------------------------------------------------------------

class NotificationOut(Out):
    id: int
    kind: str
    title: str
    body: str | None
    url: str | None
    created_at: UtcDatetime
    read: bool


class NotificationQuery(ListQuery):
    unread: bool | None = None


@api.operation("/notifications", summary="My notifications", query=NotificationQuery,
               response=NotificationOut, list_response=True)
def list_notifications(query: NotificationQuery):
    user = api_user()
    stmt = sa.select(Notification).where(Notification.user_id == user.id)
    if query.unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    return page_of(stmt.order_by(Notification.id.desc()), query)


@api.operation("/notifications/<int:notification_id>/read", "POST", summary="Mark as read",
               response=NotificationOut)
def read_notification(notification_id: int):
    user = api_user()
    notification = (db.session.get(Notification, notification_id)
                    if access.id_in_range(Notification, notification_id) else None)
    if notification is None or notification.user_id != user.id:
        raise ApiError(404, "Not Found", "No such notification.")
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return notification


