"""Locale and time zone of the current user, and formatting helpers for templates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, available_timezones

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import current_app, has_request_context, request
from flask_babel import format_date, format_datetime, format_decimal, get_locale, get_timezone
from flask_babel import gettext as _gettext
from flask_login import current_user


def select_locale() -> str:
    languages = list(current_app.config["LANGUAGES"])
    if not has_request_context():
        return current_app.config.get("BABEL_DEFAULT_LOCALE", languages[0])
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or languages[0]


def select_timezone() -> str | None:
    if not has_request_context():
        return None
    if current_user and current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    return None


def valid_timezone(name: str) -> bool:
    return name in _timezones()


_TZ: frozenset[str] | None = None


def _timezones() -> frozenset[str]:
    global _TZ
    if _TZ is None:
        _TZ = frozenset(available_timezones())
    return _TZ


def timezone_choices() -> list[str]:
    return sorted(_timezones())


def to_user_tz(value: datetime) -> datetime:
    return value.astimezone(ZoneInfo(str(get_timezone())))


def fmt_datetime(value: datetime | None, fmt: str = "medium") -> str:
    return format_datetime(value, fmt) if value else ""


def fmt_date(value: date | datetime | None, fmt: str = "medium") -> str:
    if not value:
        return ""
    if isinstance(value, datetime):  # Flask-Babel moves it to the user's time zone first
        return format_date(value, fmt)
    # A plain date has no time zone: Babel directly (a third of the cost; a kanban has
    # hundreds of them).
    return babel_dates.format_date(value, fmt, locale=get_locale())


def fmt_money(value: Decimal | None, currency: str | None = None) -> str:
    if value is None:
        return ""
    return babel_numbers.format_currency(value, currency or current_app.config["DEFAULT_CURRENCY"],
                                         locale=get_locale())


def fmt_number(value) -> str:
    return format_decimal(value) if value is not None else ""


def register_filters(app) -> None:
    app.jinja_env.filters.update(
        datetime=fmt_datetime, date=fmt_date, money=fmt_money, number=fmt_number
    )
    app.jinja_env.filters["zip_self"] = lambda value: (value, value)
    app.jinja_env.filters["translate_second"] = lambda pair: (pair[0], _gettext(pair[1]))
    app.jinja_env.globals["user_options"] = lambda users: [(u.id, u.name) for u in users]
