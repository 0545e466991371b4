"""Field types shared by API bodies and page forms (pydantic), so a rule lives once.

Pages validate ``request.form`` with the same models as the API (:func:`validate_form`),
and show each error under its field.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from flask import current_app
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StringConstraints
from pydantic import ValidationError as PydanticValidationError

#: The largest id a key column holds (a 32-bit signed INTEGER: PostgreSQL refuses more).
#: The ``<int:...>`` URL converter (``core.app.BoundedInt``), :data:`Id` and
#: ``core.web.int_or_none`` use this one bound.
MAX_ID = 2**31 - 1


def _not_bool(value: Any) -> Any:
    """JSON ``true`` is not the number 1 (pydantic's lax mode would take it for one)."""
    if isinstance(value, bool):
        raise ValueError("Input should be a valid integer, not a boolean")
    return value


def Int(ge: int | None = None, le: int | None = None):  # noqa: N802 - a type factory
    """An integer of an API body or page form, within [ge, le]: a number, or digits from a
    form; never a boolean. (The bounds come before the validator so that the OpenAPI
    document shows them as ``minimum``/``maximum``.)"""
    return Annotated[int, Field(ge=ge, le=le), BeforeValidator(_not_bool)]


def _not_number(kind: str):
    def check(value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(f"Input should be a valid {kind}, not a number")
        return value

    return check


#: A yes/no field of an API body or page form: JSON ``0``/``1`` are not false/true
#: (pydantic's lax mode would take them for ones); a form's "on", "1" or "true" still are.
Flag = Annotated[bool, BeforeValidator(_not_number("boolean"))]
#: A date of an API body or page form, "YYYY-MM-DD": a number is not a date (pydantic's
#: lax mode reads it as a Unix time).
Day = Annotated[date, BeforeValidator(_not_number("date"))]
#: A date and time (ISO 8601), never a number.
Moment = Annotated[datetime, BeforeValidator(_not_number("datetime"))]

#: Any record id in an API body, query or page form: a positive integer that fits the key
#: column. The OpenAPI document shows the bounds; anything else is refused naming the field.
Id = Int(1, MAX_ID)


def N_(message: str) -> str:  # noqa: N802 - marks a message for translation at display time
    return message


# The common shape (plain ASCII dot-atom @ letter-digit-hyphen labels, alphabetic top-level
# domain), which email_validator accepts and normalizes by lowercasing the domain: checked
# here without it (it costs ~150 us, most of a lead import's time). Everything else (quotes,
# Unicode, IP literals, special-use domains, errors) goes through email_validator; a
# hypothesis test checks that both agree on this shape.
_SIMPLE_EMAIL = re.compile(
    r"([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})")


def _simple_email(value: str) -> str | None:
    """The normalized form of ``value`` if it has the common shape, else None."""
    match = _SIMPLE_EMAIL.fullmatch(value)
    if match is None or len(value) > 254 or len(match[1]) > 64:
        return None
    domain = match[2].lower()
    if any(domain == name or domain.endswith("." + name) for name in SPECIAL_USE_DOMAIN_NAMES):
        return None
    if any(label[2:4] == "--" for label in domain.split(".")):  # IDNA's reserved "xn--" form
        return None
    return f"{match[1]}@{domain}"


def _email(value: str) -> str:
    if (simple := _simple_email(value)) is not None:
        return simple
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(N_("not a valid email address") + ": " + str(exc)) from None


def normalize_phone(value: str | None, region: str | None = None) -> str | None:
    """E.164 form of a phone number, or None if it cannot be read."""
    if not value:
        return None
    try:
        number = phonenumbers.parse(value, (region or _default_region()).upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _default_region() -> str:
    try:
        return current_app.config.get("DEFAULT_PHONE_REGION", "FR")
    except RuntimeError:
        return "FR"


def _phone(value: str) -> str:
    if not re.fullmatch(r"[0-9+().\-\s/]{3,40}", value) or normalize_phone(value) is None:
        raise ValueError(N_("not a valid phone number"))
    return value


_URL = re.compile(r"^https?://[^\s/$.?#][^\s<>\"']*$", re.IGNORECASE)


def _url(value: str) -> str:
    if not value.lower().startswith(("http://", "https://")):
        value = "https://" + value
    if not _URL.match(value) or "." not in value.split("/")[2]:
        raise ValueError(N_("not a valid web address"))
    return value


def _country(value: str) -> str:
    value = value.upper()
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise ValueError(N_("use a two-letter country code (FR, DE, US...)"))
    return value


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # below 32 but tab, newline, return


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError(N_("contains control characters"))
    return value


def Text(max_length: int, min_length: int = 0):  # noqa: N802 - a type factory
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_no_control),
    ]


Name = Text(200, 1)
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254),
                  AfterValidator(_email)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40),
                  AfterValidator(_phone)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=250), AfterValidator(_url)]
Country = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2, min_length=2),
                    AfterValidator(_country)]
LongText = Text(20000)


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


Blank = BeforeValidator(_blank_to_none)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside a field's annotation (``X``, ``X | None``, ``list[X]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def error_field(loc: tuple, model: type[BaseModel] | None = None) -> str:
    """The dotted name of the field a pydantic error is about (``lines.0.product_id``).

    With ``model``, the names pydantic gives the members of a union (``user_id.literal['me']``,
    ``user_id.constrained-int``) are left out: the error names the field the caller sent."""
    parts: list[str] = []
    current = model
    for part in loc:
        if part == "__root__":
            continue
        if isinstance(part, int):
            parts.append(str(part))
        elif model is None or current is not None:
            parts.append(str(part))
            field = current.model_fields.get(part) if current is not None else None
            current = _model_in(field.annotation) if field is not None else None
        # else: a union member's tag under a scalar field
    return ".".join(parts)


def form_payload(form, fields: list[str]) -> dict:
    """Form values for ``fields``; empty strings become None (absent for optional)."""
    data = {}
    for name in fields:
        if name in form:
            values = form.getlist(name)
            value = values if len(values) > 1 else values[0]
            if isinstance(value, str):
                value = value.strip()
                if value == "":
                    value = None
            data[name] = value
    return data


def validate_form(model: type[BaseModel], form, fields: list[str] | None = None,
                  extra: dict | None = None) -> tuple[BaseModel | None, dict[str, list[str]]]:
    """Validate a submitted form with an API model: (object, {}) or (None, errors)."""
    fields = fields or list(model.model_fields)
    payload = {k: v for k, v in form_payload(form, fields).items() if v is not None}
    payload.update(extra or {})
    try:
        return model.model_validate(payload), {}
    except PydanticValidationError as exc:
        errors: dict[str, list[str]] = {}
        for err in exc.errors():
            name = error_field(err["loc"], model) or "form"
            errors.setdefault(name, []).append(form_message(err))
        return None, errors


def form_message(err: dict) -> str:
    """A pydantic error in the user's language (the API keeps pydantic's English)."""
    from flask_babel import gettext as _

    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return _("This field is required.")
    if kind == "string_too_long":
        return _("Use at most %(n)d characters.", n=ctx.get("max_length", 0))
    if kind == "string_too_short":
        return _("Use at least %(n)d characters.", n=ctx.get("min_length", 0))
    if kind in ("literal_error", "enum"):
        return _("Choose one of the proposed values.")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Enter a whole number.")
    if kind in ("decimal_parsing", "decimal_type", "float_parsing", "decimal_max_places"):
        return _("Enter a number.")
    if kind in ("greater_than_equal", "greater_than"):
        return _("Enter a value of at least %(n)s.", n=ctx.get("ge", ctx.get("gt", "")))
    if kind in ("less_than_equal", "less_than"):
        return _("Enter a value of at most %(n)s.", n=ctx.get("le", ctx.get("lt", "")))
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_type"):
        return _("Enter a date (YYYY-MM-DD).")
    if kind in ("datetime_parsing", "datetime_from_date_parsing", "datetime_type"):
        return _("Enter a date and time.")
    if kind in ("bool_parsing", "bool_type"):
        return _("Choose yes or no.")
    if kind == "value_error":
        message = str(ctx.get("error", err["msg"].removeprefix("Value error, ")))
        head, _sep, _detail = message.partition(": ")
        return _(head)
    return err["msg"]
